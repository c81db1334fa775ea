"""Classes the differential test puts in its random object graphs.

Pickles name them as `diffclasses.X`, so this module must be importable under that name
wherever the files are loaded (tests/diff/diff.py puts its folder on sys.path). Each
class exercises one way pickle saves an instance; __eq__ is left alone: the comparison
(tests/interop/values.py) walks __dict__, slots and contents itself.
"""


class Plain:
    """__dict__ state: NEWOBJ (or _reconstructor(cls, object, None) below protocol 2)."""


class Slotted:
    """__slots__ and no __dict__: the state is (None, {slot: value})."""
    __slots__ = ("a", "b")


class SlottedDict:
    """Both: the state is ({...}, {slot: value})."""
    __slots__ = ("a", "__dict__")


class DictSub(dict):
    """A dict subclass: dict items, plus attributes in __dict__."""


class ListSub(list):
    """A list subclass: list items, plus attributes in __dict__."""


class SetSub(set):
    """A set subclass: reduced by set's own __reduce__ (cls, (items,), __dict__)."""


class TupleSub(tuple):
    """A tuple subclass: NEWOBJ with the items as __new__ argument."""


class IntSub(int):
    """An int subclass: NEWOBJ with the value as __new__ argument."""


class StrSub(str):
    """A str subclass."""


class NewArgs:
    """__getnewargs__: NEWOBJ with arguments (copyreg.__newobj__ below protocol 2)."""

    def __new__(cls, x=None, y=None):
        self = object.__new__(cls)
        self.x = x
        self.y = y
        return self

    def __getnewargs__(self):
        return (self.x, self.y)


class Reduced:
    """__reduce__ returning (callable, args, state, listitems, dictitems)."""

    def __init__(self, *args):
        self.args = args
        self.items = []
        self.mapping = {}

    def append(self, x):
        self.items.append(x)

    def extend(self, xs):
        self.items.extend(xs)

    def __setitem__(self, k, v):
        self.mapping[k] = v

    def __reduce__(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("args", "items", "mapping")}
        return (Reduced, self.args, state or None, iter(self.items) if self.items else None,
                iter(self.mapping.items()) if self.mapping else None)


class StateHolder:
    """__getstate__/__setstate__ with a non-dict state (a list)."""

    def __init__(self):
        self.data = []

    def __getstate__(self):
        return self.data

    def __setstate__(self, state):
        self.data = state


class Outer:
    """A nested class: its qualname has a dot (getattr below protocol 4)."""

    class Inner:
        pass


def a_function():
    """A module-level function, pickled as a global."""
    return None
