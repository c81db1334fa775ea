"""The value set c_writer.c builds, built in Python, and a strict recursive comparison.

expected_values(protocol) must stay in sync with build() in c_writer.c.
"""
import collections
import datetime
import decimal
import fractions
import math
import types

import numpy as np

import sample_classes as sc

NAN = float("nan")
INF = float("inf")


# ---- the value set ------------------------------------------------------------------

FAMILY_VALUES = {
    "b1": ("b1", [True, False, False, True, True, False]),
    "i1": ("i1", [-128, -1, 0, 1, 127, 42]),
    "i2": ("i2", [-32768, -1, 0, 1, 32767, 1234]),
    "i4": ("i4", [-2**31, -1, 0, 1, 2**31 - 1, 123456]),
    "i8": ("i8", [-2**63, -1, 0, 1, 2**63 - 1, 1099511627776]),
    "u1": ("u1", [0, 1, 127, 128, 255, 42]),
    "u2": ("u2", [0, 1, 32767, 32768, 65535, 1234]),
    "u4": ("u4", [0, 1, 2**31 - 1, 2**31, 2**32 - 1, 123456]),
    "u8": ("u8", [0, 1, 2**63 - 1, 2**63, 2**64 - 1, 1099511627776]),
    "f2": ("f2", None),  # from bit patterns, below
    "f4": ("f4", [0.0, -0.0, 1.5, INF, NAN, 3.4028235e38]),
    "f8": ("f8", [0.0, -0.0, 0.1, -INF, NAN, 1e308]),
    "c8": ("c8", [complex(1, 2), complex(NAN, 0), complex(-0.0, INF), complex(0.5, -0.25), 0j,
                  complex(-1, 1e30)]),
    "c16": ("c16", [complex(1, 2), complex(NAN, 0), complex(-0.0, -INF), complex(0.1, -0.2), 0j,
                    complex(1e300, -1e-300)]),
    "S5": ("S5", [b"", b"a", b"abcde", b"a\x00b", b"xy", b"\xff\x01"]),
    "U3": ("U3", ["", "a", "abc", "\xe9", "\U0001f600z", "\ud800"]),
    "V4": ("V4", None),
    "M8ns": ("M8[ns]", None),
    "m8s": ("m8[s]", None),
}
BIG_ENDIAN = {"be_f8": ("f8", ">f8"), "be_i4": ("i4", ">i4"), "be_U3": ("U3", ">U3"), "be_c16": ("c16", ">c16")}


def family_flat(name):
    descr, vals = FAMILY_VALUES[name]
    if name == "f2":
        return np.array([0x0000, 0x8000, 0x3C00, 0x7C00, 0x7E00, 0x3555], dtype="=u2").view("=f2")
    if name == "V4":
        raw = [b"\0\0\0\0", b"\1\2\3\4", b"\xff\xff\xff\xff", b"\0\0\0\1", b"abcd", b"\x7f\x80\0\0"]
        return np.frombuffer(b"".join(raw), dtype="V4").copy()
    if name == "M8ns":
        return np.array([-2**63, 0, 1, -1, 1577836800000000000, -1577836800000000000], dtype="=i8").view("M8[ns]")
    if name == "m8s":
        return np.array([-2**63, 0, 1, -1, 86400, 31536000], dtype="=i8").view("m8[s]")
    return np.array(vals, dtype=descr)


def family_arrays(out, name, flat):
    out[name + "_c"] = flat.reshape(2, 3).copy()
    out[name + "_f"] = np.asfortranarray(flat.reshape(2, 3))
    out[name + "_e0"] = flat[:0].copy()
    out[name + "_e20"] = flat[:0].reshape(2, 0).copy()
    out[name + "_z"] = flat[4:5].reshape(()).copy()


STRUCT_DTYPE = np.dtype([("a", "<i4"), ("b", "<f8", (2,)), ("c", "S3"), ("d", [("x", "<u2"), ("y", ">f4")])])


def records():
    return np.array([(k - 2, (k * 0.5, -k), b"ab" if k % 2 else b"xyz", (k * 1000, k * 1.5)) for k in range(4)],
                    dtype=STRUCT_DTYPE)


def object_array(items, shape):
    a = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        a[i] = x
    return a.reshape(shape)


def arrays():
    d = {}
    for name in FAMILY_VALUES:
        family_arrays(d, name, family_flat(name))
    for name, (base, descr) in BIG_ENDIAN.items():
        family_arrays(d, name, family_flat(base).astype(descr))
    d["f8_big"] = np.arange(9000) * 0.25 - 1000
    i, j = np.meshgrid(np.arange(40), np.arange(30), indexing="ij")
    d["i2_f_40x30"] = np.asfortranarray((((i * 30 + j) * 7) % 1000 - 500).astype("=i2"))
    d["i4_f_2x3x4"] = np.asfortranarray((np.arange(24, dtype="=i4") * 3 - 20).reshape(2, 3, 4))
    r = records()
    d["struct_c"] = r[:3].copy()
    d["struct_f"] = np.asfortranarray(r.reshape(2, 2))
    d["struct_z"] = r[3:4].reshape(()).copy()
    d["obj_1d"] = object_array(["one", 2, None, [3], {"k": 4}, (5,)], (6,))
    d["obj_2d"] = object_array([1, "b", 2.5, None], (2, 2))
    d["obj_0d"] = object_array([7], ())
    shared = [1, 2]
    d["obj_shared"] = object_array([shared, shared, np.array([7, 8, 9], dtype="=i4")], (3,))
    twice = np.array([0.0, -0.0, 1.5], dtype="=f4")
    d["twice"] = [twice, twice]
    return d


def scalars():
    return {
        "f8": np.float64(1.5),
        "f8_nan": np.float64(NAN),
        "f4": np.float32(-2.5),
        "i8": np.int64(-3),
        "u1": np.uint8(255),
        "b1": np.bool_(True),
        "c16": np.complex128(complex(1, -1)),
        "f2": np.float16(1.0),
        "M8D": np.datetime64(18262, "D"),
        "m8s": np.timedelta64(3600, "s"),
        "U3": np.str_("h\xe9y"),
        "S4": np.array(b"ab", dtype="S4")[()],
        "V3": np.void(b"\x01\x00\x02"),
        "be_f8": np.array(2.0, dtype=">f8")[()],
    }


def expected_values(protocol):
    """The value c_writer.c writes at `protocol`."""
    x = [1, 2]
    sd = {"k": "v"}
    t = (x, sd)
    cl = [1, "x"]
    cl.append(cl)
    cd = {"n": 1}
    cd["self"] = cd
    ctl = []
    ct = (ctl, 1)
    ctl.append(ct)
    ls = sc.ListSub([1, "two"])
    ls.tag = "t"
    bag = sc.Bag()
    bag.label = "L"
    bag.items.extend([1, 2])
    bag.mapping["k"] = "v"
    same = sc.Plain.__new__(sc.Plain)
    plain = sc.Plain.__new__(sc.Plain)
    plain.a, plain.b = 1, "two"
    objects = {
        "plain": plain,
        "slotted": sc.Slotted(10, [20]),
        "tuple_state": sc.TupleState(3, 4.5),
        "listsub": ls,
        "dictsub": sc.DictSub({"a": 1, 2: "b"}),
        "bag": bag,
        "fraction": fractions.Fraction(3, 4),
        "ordereddict": collections.OrderedDict([("z", 1), ("a", 2)]),
        "decimal": decimal.Decimal("1.25"),
        "range": range(0, 10, 3),
        "date": datetime.date(2020, 1, 2),
        "same_instance": [same, same],
    }
    return {
        "none": None,
        "true": True,
        "false": False,
        "ints": [0, 1, -1, 255, 256, -256, 65535, 65536, 2147483647, -2147483648, 2147483648, 2**63 - 1, -2**63],
        "bigints": [2**63, -2**63 - 1, 2**64, 2**100, -2**100, 10**40, 2**1000, 42, -1],
        "floats": [0.0, -0.0, 1.5, 0.1, 1e300, 5e-324, 2.2250738585072014e-308, INF, -INF, NAN, 1e16,
                   123456789.123],
        "complex": [complex(1, 2), complex(-0.0, 0.0), complex(NAN, -INF), complex(0, 1e-300)],
        "strs": ["", "ascii", "h\xe9llo w\xf6rld", "\u65e5\u672c\u8a9e", "\U0001f600 emoji \U0001d11e", "\ud800",
                 "\udfff", "a\ud83dz", "\ud83d\ude00", "a\x00b", "line\nbreak\\back\rslash", "quote\"'",
                 "\u0100\uffff", "x" * 300, "\x80\xff"],
        "bytes": [b"", b"\x00\xffabc", bytes(range(256)), b"x" * 300],
        "bytearrays": [bytearray(), bytearray(b"\x01\x02\xff"), bytearray(range(256))],
        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((1,), [2], {"k": (3,)})],
        "list": [1, "two", 3.0, None, [4, [5, []]]],
        "dict": {"a": 1, 2: "b", (1, 2): [3], None: None, 1.5: True, "": {}, b"k": "bytes key", -7: -7},
        "sets": [set(), {1, 2, 3}, {"x", (1, 2), None}, frozenset(), frozenset({1, "a"})],
        "shared": {"a": x, "b": x, "c": [x, sd, sd], "t1": t, "t2": t},
        "cycle_list": cl,
        "cycle_dict": cd,
        "cycle_tuple": ct,
        "globals": [collections.OrderedDict, len, sc.some_function, sc.Outer.Inner],
        "objects": objects,
        "arrays": arrays(),
        "scalars": scalars(),
        "dtypes": [np.dtype("<f8"), np.dtype(">i2"), np.dtype("<M8[ns]"),
                   np.dtype([("a", "<i4"), ("b", "<f8", (2,))]), np.dtype("S7"), np.dtype("O")],
    }


# ---- comparison ---------------------------------------------------------------------

class Mismatch(Exception):
    pass


def _float_same(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def _layout(dt):
    """Names, titles, offsets, formats (byte orders included) and item size of a dtype:
    what dtype.descr tells, also where its fields overlap or are out of order (there
    dtype.descr raises)."""
    if dt.names is None:
        return ("sub", _layout(dt.subdtype[0]), dt.subdtype[1]) if dt.subdtype else dt.str
    return ("struct", dt.itemsize, tuple((n, _layout(dt.fields[n][0])) + dt.fields[n][1:] for n in dt.names))


def _descr(dt):
    try:
        return dt.descr
    except ValueError:
        return _layout(dt)


def _dtype_same(a, b):
    return a == b and a.str == b.str and _descr(a) == _descr(b) and a.isnative == b.isnative


VALUE_TYPES = (fractions.Fraction, decimal.Decimal, range, datetime.date, datetime.datetime,
               datetime.timedelta)


class Comparer:
    """Strict recursive equality: exact types, dtype.str and descr, shapes, memory order,
    value bytes (so NaN payloads and -0.0 count), and the same sharing: a mutable value
    met twice on one side must be met twice, as one object, on the other side."""

    def __init__(self):
        self.ab = {}
        self.ba = {}
        self.keep = []

    def same(self, a, b, path="$"):
        self._same(a, b, path)

    def _shared(self, a, b, path):
        """True when the pair was met before (and is consistent)."""
        ia, ib = id(a), id(b)
        if ia in self.ab or ib in self.ba:
            if self.ab.get(ia) != ib or self.ba.get(ib) != ia:
                raise Mismatch(f"{path}: sharing differs (one side repeats an object the other does not)")
            return True
        self.ab[ia] = ib
        self.ba[ib] = ia
        self.keep.append((a, b))
        return False

    def _same(self, a, b, path):
        if type(a) is not type(b):
            raise Mismatch(f"{path}: type {type(a).__name__} != {type(b).__name__} ({a!r:.80} vs {b!r:.80})")
        if a is None or isinstance(a, (bool, int, str, bytes)):
            if a != b:
                raise Mismatch(f"{path}: {a!r:.100} != {b!r:.100}")
            return
        if isinstance(a, float):
            if not _float_same(a, b):
                raise Mismatch(f"{path}: {a!r} != {b!r}")
            return
        if isinstance(a, complex):
            if not (_float_same(a.real, b.real) and _float_same(a.imag, b.imag)):
                raise Mismatch(f"{path}: {a!r} != {b!r}")
            return
        if isinstance(a, (type, types.FunctionType, types.BuiltinFunctionType)):
            if a is not b:
                raise Mismatch(f"{path}: {a!r} is not {b!r}")
            return
        if isinstance(a, np.dtype):
            if not _dtype_same(a, b):
                raise Mismatch(f"{path}: dtype {a.str} {_descr(a)} != {b.str} {_descr(b)}")
            return
        if isinstance(a, np.void) and a.dtype.hasobject:
            # a record with object fields: its bytes hold pointers; compare the fields
            if not _dtype_same(a.dtype, b.dtype):
                raise Mismatch(f"{path}: record dtype {_descr(a.dtype)} != {_descr(b.dtype)}")
            for name in a.dtype.names:
                self._same(a[name], b[name], f"{path}.{name}")
            return
        if isinstance(a, np.generic):
            if not _dtype_same(a.dtype, b.dtype) or a.tobytes() != b.tobytes():
                raise Mismatch(f"{path}: scalar {a!r} ({a.dtype.str}) != {b!r} ({b.dtype.str})")
            return
        if isinstance(a, VALUE_TYPES):
            if a != b:
                raise Mismatch(f"{path}: {a!r} != {b!r}")
            return
        if isinstance(a, tuple):  # immutable: CPython may share equal tuples or not
            if len(a) != len(b):
                raise Mismatch(f"{path}: tuple length {len(a)} != {len(b)}")
            for i, (x, y) in enumerate(zip(a, b)):
                self._same(x, y, f"{path}[{i}]")
            return
        if type(a) in (set, frozenset):
            if type(a) is set and self._shared(a, b, path):
                return
            if a != b:
                raise Mismatch(f"{path}: {a!r:.100} != {b!r:.100}")
            return
        if isinstance(a, bytearray):
            if self._shared(a, b, path):
                return
            if a != b:
                raise Mismatch(f"{path}: {a!r:.100} != {b!r:.100}")
            return
        if isinstance(a, np.ndarray):
            if self._shared(a, b, path):
                return
            self._array(a, b, path)
            return
        if self._shared(a, b, path):
            return
        if isinstance(a, list):
            if len(a) != len(b):
                raise Mismatch(f"{path}: list length {len(a)} != {len(b)}")
            for i, (x, y) in enumerate(zip(a, b)):
                self._same(x, y, f"{path}[{i}]")
        if isinstance(a, dict):
            ka, kb = list(a), list(b)
            if len(ka) != len(kb):
                raise Mismatch(f"{path}: dict sizes {len(ka)} != {len(kb)}")
            for i, (x, y) in enumerate(zip(ka, kb)):
                self._same(x, y, f"{path}.keys[{i}]")
                self._same(a[x], b[y], f"{path}[{x!r:.40}]")
        if hasattr(a, "__dict__") and not isinstance(a, type):
            self._same(dict(vars(a)), dict(vars(b)), f"{path}.__dict__")
            return
        slots = [s for cls in type(a).__mro__ for s in getattr(cls, "__slots__", ())]
        if slots:
            for s in slots:
                self._same(getattr(a, s, None), getattr(b, s, None), f"{path}.{s}")
            return
        if isinstance(a, (list, dict)):
            return
        # extension types without __dict__ (sklearn's Tree...): compare their reduction
        ra, rb = a.__reduce_ex__(4), b.__reduce_ex__(4)
        self._same(ra[1:], rb[1:], f"{path}.__reduce__")

    def _array(self, a, b, path):
        if type(a) is not type(b):
            raise Mismatch(f"{path}: array type {type(a)} != {type(b)}")
        if not _dtype_same(a.dtype, b.dtype):
            raise Mismatch(f"{path}: dtype {a.dtype.str} {_descr(a.dtype)} != {b.dtype.str} {_descr(b.dtype)}")
        if a.shape != b.shape:
            raise Mismatch(f"{path}: shape {a.shape} != {b.shape}")
        fa = (a.flags.c_contiguous, a.flags.f_contiguous)
        fb = (b.flags.c_contiguous, b.flags.f_contiguous)
        if fa != fb:
            raise Mismatch(f"{path}: (C, F) contiguity {fa} != {fb}")
        if a.dtype.hasobject:
            for i, (x, y) in enumerate(zip(a.ravel(order="K"), b.ravel(order="K"))):
                self._same(x, y, f"{path}.flat[{i}]")
            return
        if a.dtype.names is not None:
            # field by field: padding bytes between fields are no value (numpy itself
            # does not keep them through every path)
            for name in a.dtype.names:
                fa, fb = np.ascontiguousarray(a[name]), np.ascontiguousarray(b[name])
                if fa.tobytes() != fb.tobytes():
                    raise Mismatch(f"{path}.{name}: values differ: {fa!r:.200} != {fb!r:.200}")
            return
        if a.tobytes(order="A") != b.tobytes(order="A"):
            if a.dtype.kind in "fc" and np.array_equal(a, b, equal_nan=True):
                raise Mismatch(f"{path}: values equal but bytes differ (NaN payload or -0.0?)")
            raise Mismatch(f"{path}: values differ: {a!r:.200} != {b!r:.200}")


def same(a, b):
    """None when equal, else the first difference as text."""
    try:
        Comparer().same(a, b)
    except Mismatch as e:
        return str(e)
    except RecursionError:
        return "recursion too deep"
    return None
