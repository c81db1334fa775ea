"""Classes of the load sweep's object workloads (bench/sweep.py): user classes pickled by
reference (module sweep_types), as an application's own types are. The loading side
(libjlpickle) never imports them; the Python side imports this module through sys.path."""
import dataclasses


class Point:
    """A plain class: protocol 0/1 write copyreg._reconstructor + BUILD, 2+ NEWOBJ + BUILD."""

    def __init__(self, x, y, label):
        self.x = x
        self.y = y
        self.label = label

    def __eq__(self, other):
        return type(other) is Point and self.__dict__ == other.__dict__


@dataclasses.dataclass
class Trade:
    """A dataclass, pickled like any class with a __dict__."""
    id: int
    symbol: str
    price: float
    qty: int
    side: bool


class Slotted:
    """A class with __slots__: the state is (None, {slot: value}) at protocol 2+."""
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __eq__(self, other):
        return type(other) is Slotted and (self.a, self.b) == (other.a, other.b)
