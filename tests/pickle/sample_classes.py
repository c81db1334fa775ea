"""Small classes used by gen_pickles.py to produce instance pickles.

The module is imported as top-level ``sample_classes`` (gen_pickles.py puts this
directory on sys.path), so every global in the generated pickles reads
``sample_classes.<qualname>``.  Keep names and behaviour stable: the golden files
depend on them.
"""


def some_function(x=0):
    """A plain module-level function, pickled by reference."""
    return x


def make_point(x, y):
    """The custom callable that Custom.__reduce__ returns."""
    return Custom(x, y)


class Plain:
    """Plain instance with a __dict__ (NEWOBJ + BUILD, or _reconstructor at p0/1)."""

    def __init__(self, a=1, b="two"):
        self.a = a
        self.b = b


class Slotted:
    """Instance with __slots__ only: state is (None, {slot: value})."""

    __slots__ = ("x", "y")

    def __init__(self, x=1, y=2):
        self.x = x
        self.y = y


class TupleState:
    """__getstate__ returns a tuple; __setstate__ takes it back."""

    def __init__(self, a=1, b=2.5):
        self.a = a
        self.b = b

    def __getstate__(self):
        return (self.a, self.b)

    def __setstate__(self, state):
        self.a, self.b = state


class Custom:
    """__reduce__ returns a custom module-level callable with args."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __reduce__(self):
        return (make_point, (self.x, self.y))


class ListSub(list):
    """A list subclass that also carries attributes."""


class DictSub(dict):
    """A dict subclass (no extra attributes)."""


class Bag:
    """__reduce__ with 5 elements: state, an items iterator, a dictitems iterator."""

    def __init__(self):
        self.items = []
        self.mapping = {}
        self.label = None

    def append(self, x):
        self.items.append(x)

    def extend(self, xs):
        self.items.extend(xs)

    def __setitem__(self, k, v):
        self.mapping[k] = v

    def __setstate__(self, state):
        self.label = state["label"]

    def __reduce__(self):
        return (Bag, (), {"label": self.label},
                iter(self.items), iter(self.mapping.items()))


class NewArgsEx:
    """__getnewargs_ex__ with keyword arguments: NEWOBJ_EX at protocol 4+."""

    def __new__(cls, a, *, scale=1):
        self = super().__new__(cls)
        self.a = a
        self.scale = scale
        return self

    def __getnewargs_ex__(self):
        return ((self.a,), {"scale": self.scale})


class Outer:
    """Holds a nested class, whose qualname is dotted (Outer.Inner)."""

    class Inner:
        pass
