"""The rules for pandas: which classes pandas' reconstruction functions may build.

pandas pickles name a few functions that build a class they are given:

    pandas.core.indexes.base._new_Index(cls, d)            cls.__new__(cls, **d)
    pandas.core.indexes.datetimes._new_DatetimeIndex(cls, d)  cls._simple_new(..., **d)
    pandas.core.indexes.interval._new_IntervalIndex(cls, d)   cls.from_arrays(**d)
    pandas.core.indexes.period._new_PeriodIndex(cls, **d)      cls._simple_new / cls(...)
    pandas._libs.arrays.__pyx_unpickle_NDArrayBacked(cls, checksum, state)
    pandas._libs.interval.__pyx_unpickle_IntervalMixin(cls, checksum, state)
                                                           cls.__new__(cls), then its state

Each is safe only for the classes it is meant for (ROLES: a pandas Index class, a
DatetimeIndex, an IntervalIndex, a PeriodIndex, an NDArrayBacked array, an IntervalMixin
array such as IntervalArray): given another
class, it calls that class's __new__, _simple_new or from_arrays with the pickle's
arguments. The class lists are generated from the installed pandas (every class of
pandas' own modules that subclasses the role's base), plus the classes pandas 2.x
pickles name that this pandas does not have (PANDAS2, each read in pandas' source).

Names pandas pickles use that the walk cannot read (Cython functions and singletons)
get a reviewed reason here (SAFE_REASONS); gen_rules.py merges them with the harvest's.
"""
import importlib
import inspect
import pkgutil
import warnings

# role -> (module, qualname) of its base class in pandas
ROLES = {
    "INDEX": ("pandas.core.indexes.base", "Index"),
    "DATETIMEINDEX": ("pandas.core.indexes.datetimes", "DatetimeIndex"),
    "INTERVALINDEX": ("pandas.core.indexes.interval", "IntervalIndex"),
    "PERIODINDEX": ("pandas.core.indexes.period", "PeriodIndex"),
    "NDARRAYBACKED": ("pandas._libs.arrays", "NDArrayBacked"),
    "INTERVALMIXIN": ("pandas._libs.interval", "IntervalMixin"),
}

# (module, name) of a function -> the role of the class its first argument must be
BUILDERS = {
    ("pandas.core.indexes.base", "_new_Index"): "INDEX",
    ("pandas.core.indexes.datetimes", "_new_DatetimeIndex"): "DATETIMEINDEX",
    ("pandas.core.indexes.interval", "_new_IntervalIndex"): "INTERVALINDEX",
    ("pandas.core.indexes.period", "_new_PeriodIndex"): "PERIODINDEX",
    ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"): "NDARRAYBACKED",
    ("pandas._libs.interval", "__pyx_unpickle_IntervalMixin"): "INTERVALMIXIN",
}

# Modules of pandas whose classes are never built by a pickle of real data: test helpers
# (pandas._testing writes temporary files) and the I/O layer.
NOT_STATE = ("pandas._testing", "pandas.io", "pandas.tests", "pandas.conftest", "pandas.util._test_decorators")

# Classes pandas 2.x pickles name that pandas 1.5 does not define (read in
# pandas-dev/pandas, 2.1 to 2.2): module, qualname -> (role, reason).
PANDAS2 = {
    ("pandas.core.arrays.numpy_", "NumpyExtensionArray"): (
        "NDARRAYBACKED",
        "pandas 2.1+ numpy-backed extension array (PandasArray renamed): an ndarray and its dtype, "
        "restored by NDArrayBacked.__setstate__"),
}

R_BUILDER = "pandas unpickling helper: builds the class it is given (the engine checks it is a %s class)"
SAFE_REASONS = {
    ("pandas.core.indexes.base", "_new_Index"): R_BUILDER % "pandas Index",
    ("pandas.core.indexes.datetimes", "_new_DatetimeIndex"): R_BUILDER % "DatetimeIndex",
    ("pandas.core.indexes.interval", "_new_IntervalIndex"): R_BUILDER % "IntervalIndex",
    ("pandas.core.indexes.period", "_new_PeriodIndex"): R_BUILDER % "PeriodIndex",
    ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"):
        "cython unpickle helper of NDArrayBacked (the engine checks it builds a pandas array class of it)",
    ("pandas._libs.interval", "__pyx_unpickle_IntervalMixin"):
        "cython unpickle helper of IntervalMixin (the engine checks it builds a pandas interval class)",
    ("pandas._libs.internals", "_unpickle_block"):
        "rebuilds a pandas block from its values, placement and ndim (cython: new_block, no other call)",
    ("pandas._libs.missing", "NA"): "pandas' missing-value singleton, named, never called",
    ("pandas._libs.tslibs.nattype", "__nat_unpickle"): "returns pandas' NaT singleton, ignoring its arguments",
    ("pandas._libs.tslibs.timestamps", "_unpickle_timestamp"):
        "rebuilds a Timestamp from an integer, a frequency, a time zone and a unit (cython)",
    ("pandas._libs.tslibs.timedeltas", "_timedelta_unpickle"):
        "rebuilds a Timedelta from an integer and a unit (cython)",
}


def _pandas_classes():
    """Every class pandas' own modules define (its test suite, test helpers and I/O
    left out): [(module, qualname, class)]."""
    import pandas
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for info in pkgutil.walk_packages(pandas.__path__, "pandas."):
            mod = info.name
            if any(mod == p or mod.startswith(p + ".") for p in NOT_STATE):
                continue
            try:
                m = importlib.import_module(mod)
            except Exception:  # optional dependencies missing (pyarrow): not listed
                continue
            for value in vars(m).values():
                if inspect.isclass(value) and value.__module__ == mod:
                    out.append((mod, value.__qualname__, value))
    return sorted(set(out), key=lambda t: (t[0], t[1]))


def role_classes():
    """({role: sorted [(module, qualname)]}, problems): the classes each builder may
    build, from the installed pandas and PANDAS2."""
    problems = []
    bases = {}
    for role, (mod, qn) in ROLES.items():
        try:
            bases[role] = getattr(importlib.import_module(mod), qn)
        except (ImportError, AttributeError) as e:
            problems.append("pandas: base %s.%s of %s not found: %s" % (mod, qn, role, e))
    for (mod, name) in BUILDERS:
        try:
            getattr(importlib.import_module(mod), name)
        except (ImportError, AttributeError) as e:
            problems.append("pandas: builder %s.%s not found: %s" % (mod, name, e))
    out = {role: set() for role in ROLES}
    for mod, qn, cls in _pandas_classes():
        for role, base in bases.items():
            if issubclass(cls, base):
                out[role].add((mod, qn))
    for (mod, qn), (role, _why) in PANDAS2.items():
        try:
            here = getattr(importlib.import_module(mod), qn, None)
        except ImportError:
            here = None
        if here is not None and not issubclass(here, bases[role]):
            problems.append("pandas: %s.%s is listed as %s for pandas 2.x, but is not one here" % (mod, qn, role))
        out[role].add((mod, qn))
    return {r: sorted(v) for r, v in out.items()}, problems
