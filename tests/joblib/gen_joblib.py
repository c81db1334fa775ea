#!/usr/bin/python3
"""Generate golden joblib files and their expected JSON export.

Usage:  /usr/bin/python3 tests/joblib/gen_joblib.py OUTDIR

Writes, for every file NAME (see tests/joblib/README.md for the list):

    OUTDIR/NAME          made by joblib.dump (or the zstd tool, or copied: legacy/)
    OUTDIR/NAME.json     the expected JSON export, exact bytes (one line + "\\n")
    OUTDIR/NAME.meta     "container=<c> generation=<G..> protocol=<N>\\n"

plus OUTDIR/MANIFEST (every NAME, sorted, one per line; legacy files as
"legacy/<file>"; the legacy companion .npy / .npy.z files are not listed).

The expected JSON is NOT taken from joblib.load().  It comes from the reference inert
unpickler of tests/pickle/gen_pickles.py (imported, not copied) with two hooks added
here: BUILD on a joblib array wrapper reads the array payload from the stream the way
joblib does, and numpy's own reductions (numpy.dtype, _reconstruct, scalar,
_frombuffer, under numpy.core.* and numpy._core.*) become ndarray / scalar / dtype
nodes computed from the raw bytes as data.  Nothing named in a file is imported or
called.  The JSON text is gen_pickles.export(), which prints these nodes through its
export_parts extension point.

Every file is then cross-checked against the real joblib.load() (with joblib's
byte-order normalisation turned off so arrays keep the file's byte order):
  * every extracted ndarray is lined up with the real array at the same JSON pointer
    and compared (same dtype, shape, order, np.array_equal, identical bytes);
  * the whole export is recomputed from the real loaded object by an independent
    converter (tolist()-based, numpy's and pickle's own __reduce_ex__ for objects)
    and must be identical text.
It fails if anything differs.
"""

import base64
import collections
import contextlib
import copyreg
import hashlib
import io
import json
import lzma
import bz2
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import types
import warnings
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pickle"))
import gen_pickles as gp  # noqa: E402  (re-executes with PYTHONHASHSEED=0)

import numpy as np  # noqa: E402
import numpy.lib.format as npformat  # noqa: E402

LEGACY_SRC = "/usr/lib/python3/dist-packages/joblib/test/data"
MAX_ITEMS = 1000


# ---------------------------------------------------------------------------
# Names the reference recognises (compared as "module.qualname" text)
# ---------------------------------------------------------------------------

_JOBLIB_MODULES = ("joblib.numpy_pickle", "sklearn.externals.joblib.numpy_pickle")
NUMPY_ARRAY_WRAPPERS = {m + ".NumpyArrayWrapper" for m in _JOBLIB_MODULES}
ND_ARRAY_WRAPPERS = {m + ".NDArrayWrapper" for m in _JOBLIB_MODULES}
ZND_ARRAY_WRAPPERS = {m + ".ZNDArrayWrapper" for m in _JOBLIB_MODULES}
NP_DTYPE = {"numpy.dtype"}
NP_RECONSTRUCT = {"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"}
NP_SCALAR = {"numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar"}
NP_FROMBUFFER = {"numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer"}


class RefError(Exception):
    pass


class BeyondUnicode(RefError):
    """A U item holds a code point above U+10FFFF: numpy makes of it a str no UTF-8
    carries (CPython's encoder prints garbage bytes for it, some of them valid UTF-8 of
    another character), or fails with SystemError when the item is one character long.
    libjlpickle has no export for it (spec/JSON.md): the reference refuses too."""


def _need(cond, msg):
    if not cond:
        raise RefError(msg)


# ---------------------------------------------------------------------------
# dtype text (D) and element values
# ---------------------------------------------------------------------------

def _descr_json(x):
    if isinstance(x, (list, tuple)):
        return "[" + ",".join(_descr_json(i) for i in x) + "]"
    if type(x) is dict:
        return "{" + ",".join("%s:%s" % (gp.json_str(k), _descr_json(v)) for k, v in x.items()) + "}"
    if type(x) is str:
        return gp.json_str(x)
    if type(x) is int:
        return str(x)
    if x is None:
        return "null"
    raise RefError("unexpected item in dtype.descr: %r" % (x,))


def _struct_descr(dt):
    """D of a structured dtype as Python values: numpy's dtype.descr (its _array_descr),
    or, at a level whose fields overlap or are out of order (where dtype.descr raises),
    numpy's dict form {'names', 'formats', 'offsets', 'titles' (when a field has one),
    'itemsize'} with a subarray field's format as (base, shape) (spec/JSON.md)."""
    try:
        return dt.descr
    except ValueError:
        pass

    def fmt(fd):
        return _struct_descr(fd) if fd.names is not None else fd.str

    fields = [(name,) + dt.fields[name] for name in dt.names]
    offset = 0
    for name, fd, off, *title in fields:
        if off < offset:
            break
        offset = off + fd.itemsize
    else:
        # in order here, overlapping below: _array_descr with this rule for the fields
        out, offset = [], 0
        for name, fd, off, *title in fields:
            if off > offset:
                out.append(("", "|V%d" % (off - offset)))
            label = (title[0], name) if title else name
            out.append((label, fmt(fd.subdtype[0]), fd.subdtype[1]) if fd.subdtype else (label, fmt(fd)))
            offset = off + fd.itemsize
        if dt.itemsize > offset:
            out.append(("", "|V%d" % (dt.itemsize - offset)))
        return out
    d = {"names": [f[0] for f in fields],
         "formats": [(fmt(f[1].subdtype[0]), f[1].subdtype[1]) if f[1].subdtype else fmt(f[1]) for f in fields],
         "offsets": [f[2] for f in fields]}
    if any(len(f) > 3 for f in fields):
        d["titles"] = [f[3] if len(f) > 3 else None for f in fields]
    d["itemsize"] = dt.itemsize
    return d


def dtype_text(dt):
    """D: dtype.str, or dtype.descr (tuples -> arrays) for structured dtypes, numpy's
    dict form where a level's fields overlap or are out of order."""
    if dt.names is not None:
        return _descr_json(_struct_descr(dt))
    return gp.json_str(dt.str)


def _elem(v, dt):
    """One element (a numpy scalar of dtype dt) as an inert node / plain value."""
    if dt.names is not None:
        return gp.List([_field(_item(v, nm), dt.fields[nm][0]) for nm in dt.names])
    k = dt.kind
    if k == "b":
        return bool(v)
    if k in "iu":
        return int(v)
    if k == "f":
        return float(v)                       # float16/float32 widen exactly
    if k == "c":
        return complex(v)
    if k == "S":
        return gp.Bytes(bytes(v))             # numpy strips trailing NULs
    if k == "U":
        return _unicode_item(v)               # numpy strips trailing NULs
    if k == "V":
        return gp.Bytes(v.tobytes())          # unstructured void: the raw item bytes
    if k in "Mm":
        return int(np.asarray(v).view(np.int64))   # raw int64, NaT = -2**63
    raise RefError("no element rule for dtype %r" % (dt,))


def _unicode_item(v):
    # UTF-32 with surrogatepass hands back numpy's code units as they are, even those
    # above U+10FFFF (iterating the str would fail on them)
    raw = str.encode(v, "utf-32-le", "surrogatepass")
    if any(int.from_bytes(raw[i:i + 4], "little") > 0x10FFFF for i in range(0, len(raw), 4)):
        raise BeyondUnicode("a U item holds a code point above U+10FFFF")
    return str(v)


def _item(a, index):
    """a[index], numpy's scalar; numpy fails with SystemError on a one-character U item
    above U+10FFFF (CPython refuses such a character)."""
    try:
        return a[index]
    except SystemError as e:
        if "maximum character" in str(e):
            raise BeyondUnicode("a U item holds a code point above U+10FFFF") from e
        raise


def _field(v, fdt):
    if fdt.subdtype is not None:
        return value_tree(np.asarray(v))
    return _elem(v, fdt)


def value_tree(a):
    """tolist()-shaped tree of a non-object array: gen_pickles List nodes + values."""
    if a.ndim == 0:
        return _elem(_item(a, ()), a.dtype)
    if a.ndim == 1:
        return gp.List([_elem(_item(a, i), a.dtype) for i in range(a.shape[0])])
    return gp.List([value_tree(a[i]) for i in range(a.shape[0])])


def _nest(flat, shape):
    """Flat C-order element list -> nested List nodes by shape (0-d: the element)."""
    if len(shape) == 0:
        return flat[0]
    if len(shape) == 1:
        return gp.List(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return gp.List([_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])])


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _order_of(arr):
    return "F" if (arr.flags.f_contiguous and not arr.flags.c_contiguous) else "C"


# ---------------------------------------------------------------------------
# numpy nodes (exported through gen_pickles.export's export_parts hook)
# ---------------------------------------------------------------------------

EXPORT_LOG = []     # (JSON pointer text, NDArray) in export order, for the cross-check
KEEP_ALIVE = []     # nodes made during an export: export() keys $ref sharing by id()


def export_text(root):
    """gen_pickles.export(root); returns (text, [(pointer, NDArray), ...])."""
    del EXPORT_LOG[:]
    try:
        return gp.export(root), list(EXPORT_LOG)
    finally:
        del EXPORT_LOG[:]
        del KEEP_ALIVE[:]


class DType:
    """REDUCE(numpy.dtype, (descr, align, copy)) + BUILD(state): a real np.dtype."""
    is_container = False

    def __init__(self, args):
        self.args = list(args)
        self.state = None
        self._dt = None

    def set_state(self, state):
        _need(self._dt is None and self.state is None, "dtype built twice")
        self.state = state
        self._dt = build_dtype(self.args, state)

    @property
    def dtype(self):
        if self._dt is None:
            self._dt = build_dtype(self.args, None)
        return self._dt

    def export_parts(self, ptr):
        return ['{"$dtype":%s}' % dtype_text(self.dtype)]


_DESCR_RE = re.compile(r"([biufcSUVOMm])([0-9]*)\Z")


def _dt_of(node):
    _need(isinstance(node, DType), "a dtype was expected, got %r" % (node,))
    return node.dtype


def _with_no_byte_order(dt):
    """numpy's __setstate__ keeps a state's byte order '|' even for items that have one
    (dtype.str '|i4', '|U1', '|M8[ns]'; numpy reads them in the host's order), and no
    constructor makes such a dtype: make it as unpickling does, a new np.dtype(code,
    False, True) given a state of plain values (the same dtype in every other way)."""
    d = np.dtype(dt.str[1:].split("[")[0], False, True)
    if dt.kind in "Mm":
        unit, num = np.datetime_data(dt)
        d.__setstate__((4, "|", None, None, None, -1, -1, 0, ({}, (unit.encode("ascii"), num, 1, 1))))
    elif dt.kind in "SUV":
        d.__setstate__((3, "|", None, None, None, dt.itemsize, dt.alignment, dt.flags))
    else:
        d.__setstate__((3, "|", None, None, None, -1, -1, dt.flags))
    _need(d.str == "|" + dt.str[1:], "dtype %s with byte order '|' came out as %s" % (dt.str, d.str))
    return d


def build_dtype(args, state):
    """The np.dtype that numpy's own unpickling would make, built from the data.

    Only constructors are used (np.dtype of a type code / a fields dict / a
    (base, shape) pair); nothing from the pickle is called.
    """
    # numpy.dtype(obj, align=False, copy=False, metadata={}): align and copy may be any
    # object (their truth is taken, and changes nothing for a type string), metadata a
    # dict (it is not part of the value); numpy pickles (descr, False, True)
    _need(1 <= len(args) <= 4, "numpy.dtype takes 1 to 4 arguments")
    _need(len(args) < 4 or isinstance(args[3], gp.Dict), "numpy.dtype's metadata must be a dict")
    descr = args[0]
    # without a state (a dtype never given its BUILD) the constructor's dtype stays
    endian, sub, names, fields, elsize, flags, meta = "=", None, None, None, -1, 0, None
    if state is not None:
        _need(isinstance(state, gp.Tuple), "dtype state must be a tuple")
        st = state.items
        if len(st) == 9:
            _, endian, sub, names, fields, elsize, _align, flags, meta = st
        elif len(st) == 8:
            _, endian, sub, names, fields, elsize, _align, flags = st
        elif len(st) == 7:
            _, endian, sub, names, fields, elsize, _align = st
        else:
            raise RefError("unsupported dtype state of %d items" % len(st))
        # numpy's __setstate__ takes one ASCII character (str) or one byte (bytes): '<',
        # '>' and '|' are kept, any other character is the host's order (FORMAT.md D-3)
        if isinstance(endian, gp.Bytes):
            _need(len(endian.data) == 1, "dtype byte order is not one byte")
            endian = chr(endian.data[0]) if endian.data[0] < 0x80 else "="
        _need(type(endian) is str and len(endian) == 1 and endian.isascii(),
              "dtype byte order is not one ASCII character")
        if endian not in "<>|":
            endian = "="
    if isinstance(descr, gp.Global):
        # a dtype whose scalar type is not builtin (numpy.record for np.recarray):
        # the type object is dropped, the layout is the void one below
        kind, size = "V", elsize
    else:
        _need(type(descr) is str, "dtype descr must be a str")
        m = _DESCR_RE.match(descr)
        _need(m is not None, "bad dtype descr %r" % (descr,))
        kind, size = m.group(1), (int(m.group(2)) if m.group(2) else None)
        if size is None and kind in "bifcu":
            # a bare letter is numpy's one-character type code: 'b' int8, 'i' int32,
            # 'f' float32, 'c' S1; 'u' is none
            _need(kind != "u", "data type 'u' not understood")
            kind, size = {"b": ("i", 1), "i": ("i", 4), "f": ("f", 4), "c": ("S", 1)}[kind]
        elif size is None and kind in "SUV":
            # a flexible type takes its size from the state (numpy's __setstate__)
            size = max(elsize, 0) // (4 if kind == "U" else 1)
    if names is not None:
        _need(isinstance(names, gp.Tuple) and isinstance(fields, gp.Dict), "bad struct")
        fmap = {k: v for k, v in fields.pairs}
        spec = {"names": [], "formats": [], "offsets": [], "titles": []}
        for nm in names.items:
            f = fmap[nm].items
            spec["names"].append(nm)
            spec["formats"].append(_dt_of(f[0]))
            spec["offsets"].append(f[1])
            spec["titles"].append(f[2] if len(f) > 2 else None)
        if all(t is None for t in spec["titles"]):
            del spec["titles"]
        spec["itemsize"] = elsize
        dt = np.dtype(spec, align=bool(flags & 0x80))     # NPY_ALIGNED_STRUCT
    elif sub is not None:
        _need(isinstance(sub, gp.Tuple) and len(sub.items) == 2, "bad subarray")
        base, shp = sub.items
        shp = tuple(shp.items) if isinstance(shp, gp.Tuple) else shp
        dt = np.dtype((_dt_of(base), shp))
    elif kind in "Mm":
        unit = "generic"
        num = 1
        if meta is not None:
            # numpy's __setstate__: (metadata, (unit, num[, den[, events]])), num and den
            # C ints from 1 (a third item of three is ignored); a den above 1 numpy
            # turns into a smaller unit, which the reader refuses (FORMAT.md D-7)
            _need(isinstance(meta, gp.Tuple) and len(meta.items) == 2, "datetime metadata is not a pair")
            _need(isinstance(meta.items[1], gp.Tuple) and 2 <= len(meta.items[1].items) <= 4,
                  "datetime units are not a tuple of 2 to 4 items")
            u = meta.items[1].items
            _need(isinstance(u[0], gp.Bytes) or type(u[0]) is str, "datetime unit is not a str")
            unit = u[0].data.decode("ascii") if isinstance(u[0], gp.Bytes) else u[0]
            num = u[1]
            _need(type(num) in (int, bool) and 1 <= num < 2**31, "datetime num is not from 1 to 2^31 - 1")
            _need(len(u) < 4 or (type(u[2]) in (int, bool) and u[2] == 1), "datetime den is not 1")
            num = int(num)
        code = kind + "8"
        if unit != "generic":
            code += "[%s%s]" % (num if num != 1 else "", unit)
        dt = np.dtype(code)
    elif kind == "O":
        dt = np.dtype("O")
    else:
        _need(size is not None, "dtype descr without a size")
        if kind in "SUV" and type(elsize) is int and elsize >= 0:
            # a flexible kind takes its size from the state, whatever the descr said;
            # a U size that holds no whole number of characters is refused (numpy makes
            # a dtype of it that no U text fits; FORMAT.md D-4)
            _need(kind != "U" or elsize % 4 == 0, "U item size %d is not a multiple of 4" % elsize)
            size = elsize // 4 if kind == "U" else elsize
        dt = np.dtype("%s%d" % (kind, size))
    if endian in ("<", ">") and dt.names is None and dt.subdtype is None:
        dt = dt.newbyteorder(endian)
    elif endian == "|" and dt.names is None and dt.subdtype is None and dt.byteorder != "|":
        dt = _with_no_byte_order(dt)
    # numpy's __setstate__ takes elsize for the flexible kinds (S, U, V, structured) and
    # ignores it for the others (FORMAT.md D-4)
    if elsize is not None and elsize >= 0 and dt.kind in "SUV":
        _need(dt.itemsize == elsize, "itemsize %d != state elsize %d" % (dt.itemsize, elsize))
    return dt


def _unbuilt_value(shape, dtn):
    """numpy's _reconstruct(cls, shape, dtype) before its BUILD: an array of
    uninitialised items. With no items (numpy's own pickles pass (0,) and b'b') it is an
    empty array; the reference reads the dtype argument when it is a dtype or the type
    code 'b' (what libjlpickle reads, FORMAT.md A-1). None when it has no such value."""
    if isinstance(shape, (gp.Tuple, gp.List)):
        dims = shape.items
    else:
        dims = [shape]
    if not (len(dims) <= 64 and all(type(x) in (int, bool) and x >= 0 for x in dims) and 0 in dims):
        return None
    if isinstance(dtn, DType) and dtn.state is not None:
        dt = dtn.dtype
    elif (type(dtn) is str and dtn == "b") or (isinstance(dtn, gp.Bytes) and dtn.data == b"b"):
        dt = np.dtype("i1")
    else:
        return None
    if isinstance(shape, (gp.Tuple, gp.List)):
        return NDArray.from_bytes(dt, [int(x) for x in dims], False, b"", "reconstruct")
    return NDArray.from_bytes(dt, [0], False, b"", "reconstruct")


class NDArray:
    """An ndarray: real numpy data for non-object dtypes, element nodes otherwise."""
    is_container = True

    def __init__(self):
        self.dtype = None
        self.shape = None
        self.order = None
        self.array = None       # np.ndarray in the file's byte order (non-object)
        self.objects = None     # flat C-order list of element nodes (object dtype)
        self.origin = None

    @classmethod
    def from_bytes(cls, dtype, shape, fortran, raw, origin):
        self = cls()
        shape = tuple(shape)
        _need(all(type(s) is int and s >= 0 for s in shape), "bad shape %r" % (shape,))
        _need(not dtype.hasobject, "raw bytes for an object dtype")
        n = _prod(shape)
        _need(len(raw) == n * dtype.itemsize,
              "%d data bytes for %d x %d" % (len(raw), n, dtype.itemsize))
        order = "F" if fortran else "C"
        if n == 0 or dtype.itemsize == 0:
            arr = np.zeros(shape, dtype=dtype, order=order)
        else:
            arr = np.frombuffer(bytes(raw), dtype=dtype, count=n).reshape(shape, order=order)
        self.dtype, self.shape, self.array, self.origin = dtype, shape, arr, origin
        # numpy's unpickled array of item size 0 has all strides 0 and counts as both C-
        # and F-contiguous (np.zeros(order='F') sets its flags otherwise)
        self.order = "C" if dtype.itemsize == 0 else _order_of(arr)
        return self

    @classmethod
    def from_objects(cls, dtype, shape, fortran, items, origin):
        self = cls()
        shape = tuple(shape)
        _need(dtype.hasobject, "an element list needs a dtype with objects")
        _need(len(items) == _prod(shape), "element count does not match the shape")
        self.dtype, self.shape, self.objects, self.origin = dtype, shape, list(items), origin
        self.order = _order_of(np.empty(shape, dtype=object, order="F" if fortran else "C"))
        return self

    @property
    def size(self):
        return _prod(self.shape)

    def data_node(self):
        if self.objects is not None:
            items = self.objects
            if self.dtype.names is not None:
                # numpy pickles the records of a structured array with object fields as
                # tuples; they print as records (arrays of field values, spec/JSON.md)
                items = [Record(x) if isinstance(x, gp.Tuple) else x for x in items]
            return _nest(items, self.shape)
        return value_tree(self.array)

    def export_parts(self, ptr):
        if self.shape is None:
            unbuilt = getattr(self, "unbuilt", None)
            _need(unbuilt is not None, "ndarray never built (REDUCE without BUILD): numpy leaves its items "
                  "uninitialised")
            self.__dict__.update(unbuilt.__dict__)
        EXPORT_LOG.append((gp._ptr_text(ptr), self))
        head = '{"$ndarray":{"dtype":%s,"shape":[%s],"order":"%s",' % (
            dtype_text(self.dtype), ",".join(str(s) for s in self.shape), self.order)
        if self.objects is None and self.size > MAX_ITEMS:
            b = np.ascontiguousarray(self.array).tobytes()
            return [head + '"nbytes":%d,"sha256":"%s"}}' % (len(b), hashlib.sha256(b).hexdigest())]
        data = self.data_node()
        KEEP_ALIVE.append(data)
        return [head + '"data":', (data, (ptr, "/$ndarray/data")), "}}"]


class Record:
    """A record of a structured object array: a bare array of the tuple's items, not a
    $ref target (like an object's args)."""
    is_container = False

    def __init__(self, tup):
        self.tup = tup

    def export_parts(self, ptr):
        parts = ["["]
        for i, x in enumerate(self.tup.items):
            if i:
                parts.append(",")
            parts.append((x, (ptr, "/%d" % i)))
        parts.append("]")
        return parts


class Scalar:
    """numpy.core.multiarray.scalar(dtype, rawbytes-or-object)."""
    is_container = False

    def __init__(self, dtype, raw=None, obj=None):
        self.dtype = dtype
        self.raw = raw
        self.obj = obj

    def export_parts(self, ptr):
        if self.dtype.hasobject:
            value = self.obj
        else:     # built fresh each time: a scalar printed twice shares nothing
            item = (np.zeros((), dtype=self.dtype)[()] if self.dtype.itemsize == 0
                    else _item(np.frombuffer(self.raw, dtype=self.dtype, count=1), 0))
            value = _elem(item, self.dtype)
            KEEP_ALIVE.append(value)
        return ['{"$scalar":{"dtype":%s,"value":' % dtype_text(self.dtype),
                (value, (ptr, "/$scalar/value")), "}}"]


def _raw_bytes(node):
    if isinstance(node, (gp.Bytes, gp.ByteArray)):
        return node.data
    if type(node) is str:            # a Python 2 str: bytes as latin-1
        return node.encode("latin-1")
    raise RefError("raw array data must be bytes, got %r" % (node,))


# ---------------------------------------------------------------------------
# The loader: gen_pickles' inert unpickler + joblib / numpy hooks
# ---------------------------------------------------------------------------

def read_zfile_bytes(data):
    """ZF container: 'ZF' + 19-char hex length (+ one space for py2 0.8.4) + zlib."""
    _need(data[:2] == b"ZF", "not a ZF file")
    length = int(data[2:21].decode("ascii"), 16)
    start = 22 if data[21:22] == b" " else 21
    out = zlib.decompress(data[start:], 15, length)
    _need(len(out) == length, "ZF length mismatch")
    return out


def _safe_companion(dirname, name):
    _need(type(name) is str and name and "/" not in name and "\\" not in name
          and name not in (".", ".."), "unsafe companion file name %r" % (name,))
    _need(dirname is not None, "companion file without a directory")
    return os.path.join(dirname, name)


class Loader:
    def __init__(self, dirname=None, nested=False, parent=None):
        self.dirname = dirname
        self.nested = nested
        self.root = parent.root if parent else self
        if parent is None:
            self.wrappers = []        # (class name, state keys, allow_mmap, alignment)
            self.payloads = []        # (start, end, kind) of top-level payloads
            self.pads = collections.Counter()
            self.misaligned = []
            self.companions = []

    # -- REDUCE ------------------------------------------------------------
    def reduce(self, fn, args):
        if isinstance(fn, gp.Global) and isinstance(args, gp.Tuple):
            name = fn.dotted()
            a = args.items
            if name in NP_DTYPE:
                return DType(a)
            if name in NP_RECONSTRUCT:
                _need(len(a) == 3, "_reconstruct takes 3 arguments")
                nd = NDArray()
                nd.origin = "reconstruct"
                nd.unbuilt = _unbuilt_value(a[1], a[2])
                return nd
            if name in NP_SCALAR:
                _need(len(a) == 2, "scalar takes 2 arguments")
                dt = _dt_of(a[0])
                if dt.hasobject:
                    return Scalar(dt, obj=a[1])
                raw = _raw_bytes(a[1])
                _need(len(raw) == dt.itemsize, "scalar data size")
                return Scalar(dt, raw=raw)
            if name in NP_FROMBUFFER:
                _need(len(a) == 4, "_frombuffer takes 4 arguments")
                buf, dtn, shape, order = a
                _need(isinstance(shape, gp.Tuple) and order in ("C", "F"), "bad _frombuffer")
                return NDArray.from_bytes(_dt_of(dtn), shape.items, order == "F",
                                          _raw_bytes(buf), "frombuffer")
        return gp.do_reduce(fn, args)

    # -- BUILD -------------------------------------------------------------
    def build(self, node, state, f):
        if isinstance(node, DType):
            node.set_state(state)
            return node
        if isinstance(node, NDArray) and node.origin == "reconstruct" and node.shape is None:
            return self._setstate(node, state)
        if (not self.nested and isinstance(node, gp.Object) and node.kind == "class"
                and isinstance(node.cls, gp.Global)):
            name = node.cls.dotted()
            if name in NUMPY_ARRAY_WRAPPERS:
                return self._numpy_array_wrapper(name, state, f)
            if name in ZND_ARRAY_WRAPPERS:
                return self._znd_array_wrapper(name, state)
            if name in ND_ARRAY_WRAPPERS:
                return self._nd_array_wrapper(name, state)
        return None

    def _setstate(self, nd, state):
        """ndarray.__setstate__((version,) shape, dtype, is_fortran, rawdata), parsed as
        numpy parses it ("(iO!O!iO)"): version and is_fortran C ints, version 0 or 1,
        shape a tuple of ints (not bools)."""
        _need(isinstance(state, gp.Tuple), "ndarray state must be a tuple")
        st = state.items
        if len(st) == 5:
            _need(type(st[0]) in (int, bool) and st[0] in (0, 1), "ndarray state version is not 0 or 1")
            st = st[1:]
        _need(len(st) == 4, "ndarray state of %d items" % len(st))
        shape, dtn, fortran, raw = st
        _need(isinstance(shape, gp.Tuple), "ndarray shape must be a tuple")
        _need(all(type(s) is int for s in shape.items), "ndarray shape holds a value that is not an int")
        _need(type(fortran) in (int, bool) and -2**31 <= fortran < 2**31, "ndarray is_fortran is not a C int")
        dt = _dt_of(dtn)
        if dt.hasobject:
            _need(isinstance(raw, gp.List), "object array data must be a list")
            new = NDArray.from_objects(dt, shape.items, bool(fortran), raw.items, "reconstruct")
        else:
            new = NDArray.from_bytes(dt, shape.items, bool(fortran), _raw_bytes(raw),
                                     "reconstruct")
        nd.__dict__.update(new.__dict__)     # same node: memo references stay valid
        return nd

    def _state_dict(self, state):
        _need(isinstance(state, gp.Dict) and all(type(k) is str for k, _ in state.pairs),
              "wrapper state must be a dict with str keys")
        return dict(state.pairs), [k for k, _ in state.pairs]

    def _numpy_array_wrapper(self, name, state, f):
        st, keys = self._state_dict(state)
        # what joblib's NumpyArrayWrapper.read_array and read use: a missing attribute
        # fails there (AttributeError)
        dt = _dt_of(st["dtype"])
        shape = st["shape"]
        _need(isinstance(shape, (gp.Tuple, gp.List)), "wrapper shape must be a tuple")   # len(shape)
        _need(isinstance(st["subclass"], gp.Global), "wrapper subclass must be a class")  # _reconstruct(subclass, ...)
        order = st["order"] if not dt.hasobject else None     # only non-object arrays reshape by it
        _need(dt.hasobject or dt.itemsize, "wrapper of item size 0 (joblib divides by it)")
        align = st.get("numpy_array_alignment_bytes")
        root = self.root
        root.wrappers.append((name, tuple(keys), st.get("allow_mmap"), align,
                              "numpy_array_alignment_bytes" in st, dt.hasobject))
        start = f.tell()
        if dt.hasobject:
            # a complete nested pickle (own memo), loaded by the same inert machine;
            # like joblib (plain pickle.load: _pickle.c's text numbers, J-8) it does
            # not intercept wrappers
            value = gp.unpickle_stream(f, reduce=self.reduce,
                                       build=Loader(self.dirname, True, self).build, rules="c")
            root.payloads.append((start, f.tell(), "pickle"))
            return value
        if align is not None:
            _need(type(align) is int and align > 0, "bad alignment %r" % (align,))
            pad = f.read(1)
            _need(len(pad) == 1, "EOF in the pad byte")
            p = pad[0]
            filler = f.read(p)
            _need(len(filler) == p, "EOF in the padding")
            root.pads[p] += 1
            if filler != b"\xff" * p or not 1 <= p <= align or (start + 1 + p) % align:
                root.misaligned.append((start, p, filler))
        n = _prod(shape.items)
        raw = f.read(n * dt.itemsize)
        _need(len(raw) == n * dt.itemsize, "EOF: reading array data")
        root.payloads.append((start, f.tell(), "raw"))
        return NDArray.from_bytes(dt, shape.items, type(order) is str and order == "F", raw, "wrapper")

    def _nd_array_wrapper(self, name, state):
        """G0: the data is in a companion .npy file (NPY format, or a pickle inside)."""
        st, keys = self._state_dict(state)
        self.root.wrappers.append((name, tuple(keys), st.get("allow_mmap"), None, False, None))
        path = _safe_companion(self.dirname, st["filename"])
        self.root.companions.append(os.path.basename(path))
        with open(path, "rb") as cf:
            version = npformat.read_magic(cf)
            if version == (1, 0):
                shape, fortran, dt = npformat.read_array_header_1_0(cf)
            else:
                shape, fortran, dt = npformat.read_array_header_2_0(cf)
            if dt.hasobject:
                # np.load unpickles the array itself (pickle.load: _pickle.c's rules)
                value = gp.unpickle_stream(cf, reduce=self.reduce,
                                           build=Loader(self.dirname, True, self).build, rules="c")
            else:
                raw = cf.read(_prod(shape) * dt.itemsize)
                value = NDArray.from_bytes(dt, shape, fortran, raw, "npy")
            _need(cf.read(1) == b"", "trailing data in %s" % path)
        return value

    def _znd_array_wrapper(self, name, state):
        """G0z: init_args + state inline, the raw data in a companion ZF file."""
        st, keys = self._state_dict(state)
        self.root.wrappers.append((name, tuple(keys), None, None, False, None))
        path = _safe_companion(self.dirname, st["filename"])
        self.root.companions.append(os.path.basename(path))
        init = st["init_args"]
        _need(isinstance(init, gp.Tuple) and len(init.items) == 3, "bad init_args")
        s = st["state"]
        _need(isinstance(s, gp.Tuple) and len(s.items) == 4, "bad ZNDArrayWrapper state")
        _, shape, dtn, fortran = s.items
        with open(path, "rb") as cf:
            raw = read_zfile_bytes(cf.read())
        return NDArray.from_bytes(_dt_of(dtn), shape.items, bool(fortran), raw, "zf")

    def load(self, f):
        return gp.unpickle_stream(f, reduce=self.reduce, build=self.build)


# ---------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------

MAGICS = [(b"ZF", "zf"), (b"\x78", "zlib"), (b"\x1f\x8b", "gzip"), (b"BZ", "bz2"),
          (b"\x5d\x00", "lzma"), (b"\xfd7zXZ", "xz"), (b"\x04\x22\x4d\x18", "lz4"),
          (b"\x28\xb5\x2f\xfd", "zstd")]


def detect_container(data):
    for magic, name in MAGICS:
        if data.startswith(magic):
            return name
    return "none"


def decompress(container, data, path):
    if container == "none":
        return data
    if container == "zf":
        return read_zfile_bytes(data)
    if container == "zlib":
        d = zlib.decompressobj(15)
        out = d.decompress(data)
        _need(d.eof and not d.unused_data, "zlib stream not exactly one stream")
        return out
    if container == "gzip":
        d = zlib.decompressobj(31)
        out = d.decompress(data)
        _need(d.eof and not d.unused_data, "gzip not exactly one member")
        return out
    if container == "bz2":
        return bz2.decompress(data)
    if container in ("lzma", "xz"):
        return lzma.decompress(data)
    if container == "lz4":
        import lz4.frame
        return lz4.frame.decompress(data)
    if container == "zstd":
        return subprocess.run(["zstd", "-d", "-q", "-c", path], check=True,
                              stdout=subprocess.PIPE).stdout
    raise RefError(container)


def generation_of(container, wrappers):
    if container == "zf":
        return "G0z"
    kinds = set()
    for name, _keys, _mmap, align, has_key, _obj in wrappers:
        if name in ND_ARRAY_WRAPPERS or name in ZND_ARRAY_WRAPPERS:
            kinds.add("G0")
        elif not has_key:
            kinds.add("G1")
        elif align is None:
            kinds.add("G2-notell")
        else:
            kinds.add("G2")
    _need(len(kinds) == 1, "cannot tell the generation: %r" % (kinds,))
    return kinds.pop()


class Reference:
    """The reference reading of one file."""

    def __init__(self, path):
        with open(path, "rb") as fh:
            data = fh.read()
        self.container = detect_container(data)
        self.stream = decompress(self.container, data, path)
        self.protocol = self.stream[1] if self.stream[:1] == b"\x80" else 0
        self.loader = Loader(os.path.dirname(os.path.abspath(path)))
        f = io.BytesIO(self.stream)
        self.root = self.loader.load(f)
        _need(f.tell() == len(self.stream),
              "%d bytes after STOP" % (len(self.stream) - f.tell()))
        self.generation = generation_of(self.container, self.loader.wrappers)
        text, self.arrays = export_text(self.root)
        self.json = (text + "\n").encode("utf-8")

    def meta(self):
        return "container=%s generation=%s protocol=%d\n" % (
            self.container, self.generation, self.protocol)


def frame_report(stream, payloads):
    """Check FORMAT-FACTS 1.6: no payload inside a FRAME; which payloads follow a frame end."""
    starts = {s: e for s, e, _ in payloads}
    f = io.BytesIO(stream)
    frames = []
    ops = gp.iter_ops(f)
    for name, arg, pos in ops:
        if name == "FRAME":
            frames.append((pos + 9, pos + 9 + arg))
        here = f.tell()
        if name == "BUILD" and here in starts:
            f.seek(starts[here])
    ends = {e for _, e in frames}
    bad = [s for s in starts for (a, b) in frames if a < s < b]
    after_frame = sum(1 for s in starts if s in ends)
    return {"frames": len(frames), "payload_inside_frame": bad,
            "payload_after_frame_end": after_frame, "payloads": len(starts)}


# ---------------------------------------------------------------------------
# Independent export of the real joblib.load() result (for the cross-check)
# ---------------------------------------------------------------------------

def _ind_str(s):
    t = json.dumps(s, ensure_ascii=False)
    return re.sub("[\ud800-\udfff]", lambda m: "\\u%04x" % ord(m.group(0)), t)


def _ind_float(x):
    if x != x:
        return '{"$float":"nan"}'
    if x in (float("inf"), float("-inf")):
        return '{"$float":"%s"}' % ("inf" if x > 0 else "-inf")
    return json.dumps(x)


def _ind_value(x):
    """A tolist() value (no sharing): tuple/list/ndarray -> JSON arrays."""
    if x is None or type(x) is bool:
        return json.dumps(x)
    if type(x) is int:
        return json.dumps(x)
    if type(x) is float:
        return _ind_float(x)
    if type(x) is complex:
        return '{"$complex":[%s,%s]}' % (_ind_float(x.real), _ind_float(x.imag))
    if type(x) is str:
        return _ind_str(x)
    if type(x) is bytes:
        return '{"$bytes":%s}' % json.dumps(base64.b64encode(x).decode())
    if type(x) in (list, tuple):
        return "[" + ",".join(_ind_value(i) for i in x) + "]"
    if isinstance(x, np.ndarray):          # subarray field inside a record
        return _ind_value(x.tolist())
    raise TypeError("tolist() gave %r" % (type(x),))


def _ind_tolist(a):
    if a.dtype.kind in "Mm":
        return a.view(a.dtype.str[0] + "i8").tolist()
    if a.dtype.names is not None and any(a.dtype.fields[n][0].kind in "Mm" for n in a.dtype.names):
        raise TypeError("datetime field in a record")
    return a.tolist()


def _ind_dtype(dt):
    if dt.names is not None:
        return json.dumps(_struct_descr(dt), separators=(",", ":"), ensure_ascii=False)
    return json.dumps(dt.str)


def _pkey(k):
    return k.replace("~", "~0").replace("/", "~1")


class RealExporter:
    """Real objects -> JSON text, written independently of gen_pickles.export()."""

    def __init__(self, proto, file_dtypes=None):
        self.proto = proto
        # pointer -> the dtype the file holds, for arrays numpy's own unpickler
        # byte-swapped to native (ndarray.__setstate__ does that for simple dtypes)
        self.file_dtypes = file_dtypes or {}
        self.swapped_back = 0
        self.ids = {}            # id -> (pointer, obj)  (obj kept alive)
        self.arrays = {}         # pointer -> real ndarray
        self.unknown = []
        self.keep = []           # temporaries from __reduce_ex__, kept alive (ids stay unique)

    def run(self, obj):
        return self.conv(obj, "")

    def _shared(self, x, ptr):
        if id(x) in self.ids:
            return '{"$ref":%s}' % _ind_str(self.ids[id(x)][0])
        self.ids[id(x)] = (ptr, x)
        return None

    def _name(self, obj):
        mod = getattr(obj, "__module__", None)
        qn = getattr(obj, "__qualname__", None) or getattr(obj, "__name__")
        return "%s.%s" % (mod, qn)

    def array(self, a, ptr):
        r = self._shared(a, ptr)
        if r:
            return r
        self.arrays[ptr] = a
        fd = self.file_dtypes.get(ptr)
        if fd is not None and a.dtype != fd and a.dtype == fd.newbyteorder("=") \
                and a.dtype.kind != "O":
            a = a.astype(fd)
            self.swapped_back += 1
        a0 = np.asarray(a)
        head = '{"$ndarray":{"dtype":%s,"shape":%s,"order":"%s",' % (
            _ind_dtype(a.dtype), json.dumps(list(a.shape), separators=(",", ":")),
            "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C")
        if a.dtype.kind != "O" and a.size > MAX_ITEMS:
            b = np.ascontiguousarray(a0).tobytes()
            return head + '"nbytes":%d,"sha256":"%s"}}' % (a0.nbytes, hashlib.sha256(b).hexdigest())
        if a.dtype.kind == "O":
            def rec(sub, p):
                if sub.ndim == 0:
                    return self.conv(sub[()], p)
                return "[" + ",".join(rec(sub[i:i + 1].reshape(sub.shape[1:]), "%s/%d" % (p, i))
                                      for i in range(sub.shape[0])) + "]"
            data = rec(a0, ptr + "/$ndarray/data")
        else:
            data = _ind_value(_ind_tolist(a0))
        return head + '"data":' + data + "}}"

    def conv(self, x, ptr):
        if x is None or x is True or x is False:
            return json.dumps(x)
        if isinstance(x, np.ndarray):
            if type(x) in (np.ndarray, np.matrix, np.memmap):
                return self.array(x, ptr)
            rv = x.__reduce_ex__(self.proto)
            if rv[0] in (np.core.multiarray._reconstruct, np.core.numeric._frombuffer):
                return self.array(x, ptr)
            return self.obj(x, ptr)
        if isinstance(x, np.generic):
            return '{"$scalar":{"dtype":%s,"value":%s}}' % (
                _ind_dtype(x.dtype), _ind_value(_ind_tolist(np.asarray(x))))
        if isinstance(x, np.dtype):
            return '{"$dtype":%s}' % _ind_dtype(x)
        t = type(x)
        if t is int:
            return json.dumps(x)
        if t is float:
            return _ind_float(x)
        if t is complex:
            return '{"$complex":[%s,%s]}' % (_ind_float(x.real), _ind_float(x.imag))
        if t is str:
            return _ind_str(x)
        if t is bytes:
            return '{"$bytes":%s}' % json.dumps(base64.b64encode(x).decode())
        if t is bytearray:
            return '{"$bytearray":%s}' % json.dumps(base64.b64encode(bytes(x)).decode())
        if t in (list, tuple, dict, collections.OrderedDict):
            if not (t is tuple and len(x) == 0):
                r = self._shared(x, ptr)
                if r:
                    return r
            if t is list:
                return "[" + ",".join(self.conv(v, "%s/%d" % (ptr, i)) for i, v in enumerate(x)) + "]"
            if t is tuple:
                return '{"$tuple":[' + ",".join(self.conv(v, "%s/$tuple/%d" % (ptr, i))
                                                for i, v in enumerate(x)) + "]}"
            if all(type(k) is str and not k.startswith("$") for k in x):
                return "{" + ",".join(_ind_str(k) + ":" + self.conv(v, ptr + "/" + _pkey(k))
                                      for k, v in x.items()) + "}"
            return '{"$dict":[' + ",".join(
                "[%s,%s]" % (self.conv(k, "%s/$dict/%d/0" % (ptr, i)),
                             self.conv(v, "%s/$dict/%d/1" % (ptr, i)))
                for i, (k, v) in enumerate(x.items())) + "]}"
        if isinstance(x, (type, types.FunctionType, types.BuiltinFunctionType)):
            return '{"$global":%s}' % _ind_str(self._name(x))
        return self.obj(x, ptr)

    def obj(self, x, ptr):
        """An instance, as pickle's save_reduce writes it (protocol >= 2)."""
        r = self._shared(x, ptr)
        if r:
            return r
        rv = x.__reduce_ex__(self.proto)
        self.keep.append(rv)
        if isinstance(rv, str):
            self.unknown.append("reduce to a name: %r" % (x,))
            return '"?"'
        rv = tuple(rv) + (None,) * (5 - len(rv))
        func, args, state, items, dictitems = rv
        base = ptr + "/$object"
        fields = []
        if func is copyreg.__newobj__:
            fields.append('"class":' + _ind_str(self._name(args[0])))
            args = args[1:]
        elif func is copyreg.__newobj_ex__:
            self.unknown.append("__newobj_ex__")
            return '"?"'
        else:
            fields.append('"call":' + _ind_str(self._name(func)))
        if args:
            fields.append('"args":[' + ",".join(self.conv(v, "%s/args/%d" % (base, i))
                                                for i, v in enumerate(args)) + "]")
        if state is not None:
            fields.append('"state":' + self.conv(state, base + "/state"))
        if items is not None:
            items = list(items)
            if items:
                fields.append('"items":[' + ",".join(self.conv(v, "%s/items/%d" % (base, i))
                                                     for i, v in enumerate(items)) + "]")
        if dictitems is not None:
            dictitems = list(dictitems)
            if dictitems:
                fields.append('"dictitems":[' + ",".join(
                    "[%s,%s]" % (self.conv(k, "%s/dictitems/%d/0" % (base, i)),
                                 self.conv(v, "%s/dictitems/%d/1" % (base, i)))
                    for i, (k, v) in enumerate(dictitems)) + "]")
        return '{"$object":{' + ",".join(fields) + "}}"


@contextlib.contextmanager
def numpy2_module_aliases(real=True):
    """numpy._core.* names for numpy 1.24: real modules (load) or pickling stand-ins."""
    saved = {k: sys.modules.get(k) for k in ALIAS_MODULES}
    try:
        if real:
            sys.modules["numpy._core"] = np.core
            sys.modules["numpy._core.multiarray"] = np.core.multiarray
            sys.modules["numpy._core.numeric"] = np.core.numeric
        else:
            for modname, attrs in _standins().items():
                m = types.ModuleType(modname)
                for k, v in attrs.items():
                    setattr(m, k, v)
                sys.modules[modname] = m
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


ALIAS_MODULES = ("numpy._core", "numpy._core.multiarray", "numpy._core.numeric")
_STANDINS = {}


def _standins():
    if not _STANDINS:
        def mk(mod, name):
            def f(*a):
                raise RuntimeError("pickling stand-in only")
            f.__module__, f.__name__, f.__qualname__ = mod, name, name
            return f
        _STANDINS["numpy._core"] = {}
        _STANDINS["numpy._core.multiarray"] = {
            "_reconstruct": mk("numpy._core.multiarray", "_reconstruct"),
            "scalar": mk("numpy._core.multiarray", "scalar")}
        _STANDINS["numpy._core.numeric"] = {
            "_frombuffer": mk("numpy._core.numeric", "_frombuffer")}
    return _STANDINS


def real_load(path, swap):
    """joblib.load(path); with swap=False joblib's byte-order normalisation is off."""
    import joblib
    import joblib.numpy_pickle as jnp
    import joblib.numpy_pickle_compat as jnc
    saved = (jnp._ensure_native_byte_order, jnc._ensure_native_byte_order)
    try:
        if not swap:
            jnp._ensure_native_byte_order = jnc._ensure_native_byte_order = lambda a: a
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with numpy2_module_aliases(real=True):
                return joblib.load(path)
    finally:
        jnp._ensure_native_byte_order, jnc._ensure_native_byte_order = saved


def _value_bytes(a):
    """The array's bytes in C order, padding between struct fields left out."""
    if a.dtype.names is None:
        return np.ascontiguousarray(a).tobytes()
    return b"".join(_value_bytes(np.ascontiguousarray(a[n])) for n in a.dtype.names)


def _equal_nan_ok(dt):
    return dt.names is None and dt.kind in "fcmM"


def cross_check(name, path, ref, stats):
    """Compare the reference with the real joblib.load(); raise on any difference."""
    load_path = path
    tmp = None
    if ref.container == "zstd":        # joblib cannot read zstd: decompress first
        tmp = tempfile.NamedTemporaryFile(suffix=".pkl", delete=False)
        tmp.write(ref.stream)
        tmp.close()
        load_path = tmp.name
    try:
        real = real_load(load_path, swap=False)
        real_swapped = real_load(load_path, swap=True)
    finally:
        if tmp:
            os.unlink(tmp.name)
    hints = {ptr: nd.dtype for ptr, nd in ref.arrays}
    ex = RealExporter(ref.protocol or 2, hints)
    text = ex.run(real) + "\n"
    stats["arrays numpy itself swapped to native (text check swaps back)"] += ex.swapped_back
    ex2 = RealExporter(ref.protocol or 2)
    ex2.run(real_swapped)
    # 1. every extracted array lined up with the real array at the same pointer
    matched = 0
    for ptr, nd in ref.arrays:
        _need(ptr in ex.arrays, "%s: no real array at %r" % (name, ptr))
        ra = ex.arrays[ptr]
        if ra.dtype != nd.dtype and nd.origin == "reconstruct" and nd.objects is None:
            # numpy's ndarray.__setstate__ swaps simple non-native dtypes to native
            _need(ra.dtype == nd.dtype.newbyteorder("="), "%s %s: dtype" % (name, ptr))
            ra = ra.astype(nd.dtype)
        _need(ra.dtype == nd.dtype and dtype_text(ra.dtype) == dtype_text(nd.dtype),
              "%s %s: dtype %r != %r" % (name, ptr, ra.dtype, nd.dtype))
        _need(ra.shape == nd.shape, "%s %s: shape" % (name, ptr))
        _need(_order_of(ra) == nd.order, "%s %s: order" % (name, ptr))
        if nd.objects is None:
            ra0 = np.asarray(ra)
            eq = np.array_equal(nd.array, ra0, equal_nan=_equal_nan_ok(nd.dtype))
            _need(eq, "%s %s: array_equal failed" % (name, ptr))
            # identical bytes, field by field (joblib.load does not keep the padding
            # bytes of aligned structs: np.empty + a field-wise copy)
            _need(_value_bytes(nd.array) == _value_bytes(ra0), "%s %s: bytes differ" % (name, ptr))
            # joblib's normal load (byte-swapped to native where needed): same values
            rs = np.asarray(ex2.arrays[ptr])
            _need(rs.dtype in (nd.dtype, nd.dtype.newbyteorder("=")) or
                  (nd.dtype.names is not None and rs.dtype == nd.dtype), "%s %s: swapped dtype" % (name, ptr))
            _need(np.array_equal(nd.array.astype(rs.dtype), rs, equal_nan=_equal_nan_ok(rs.dtype)),
                  "%s %s: swapped values" % (name, ptr))
            if rs.dtype != nd.dtype:
                stats["arrays swapped by joblib.load"] += 1
        else:
            _need(ra.dtype.kind == "O" and len(nd.objects) == ra.size, "%s %s: objects" % (name, ptr))
        matched += 1
    stats["arrays lined up"] += matched
    # 2. the whole export, recomputed from the real object
    if ex.unknown:
        stats["files without full-text check"] += 1
        return "arrays %d/%d; text check skipped (%s)" % (matched, len(ref.arrays), ex.unknown[0])
    got = text.encode("utf-8")
    if got != ref.json:
        a, b = ref.json.decode(), text
        i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        raise RefError("%s: export differs from joblib.load at char %d:\n ref: %s\n got: %s"
                       % (name, i, a[max(0, i - 150):i + 150], b[max(0, i - 150):i + 150]))
    stats["files with identical full text"] += 1
    return "arrays %d/%d; text identical" % (matched, len(ref.arrays))


# ---------------------------------------------------------------------------
# The values
# ---------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")


def _struct_array(dt, values, shape):
    """np.zeros first so that padding bytes are zero (reproducible files)."""
    a = np.zeros(len(values), dtype=dt)
    for i, v in enumerate(values):
        a[i] = v
    return a.reshape(shape)


def _object_array(values, shape):
    a = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        a[i] = v
    return a.reshape(shape)


def families():
    """family name -> (dtype, 12 values, maker(values, shape) -> array)."""
    def plain(dt):
        return lambda vals, shape: np.array(vals, dtype=dt).reshape(shape)

    def struct(dt):
        return lambda vals, shape: _struct_array(dt, vals, shape)

    def dtime(dt):
        return lambda vals, shape: np.array(vals, dtype="<i8").view(dt).reshape(shape)

    f = collections.OrderedDict()
    f["b1"] = ("|b1", [True, False, True, True, False, False, True, False, False, True, True, False])
    f["i1"] = ("|i1", [0, 1, -1, 127, -128, 5, -7, 100, -100, 42, 3, -3])
    f["i2"] = ("<i2", [0, 1, -1, 32767, -32768, 300, -300, 1000, -1000, 42, 255, 256])
    f["i4"] = ("<i4", [0, 1, -1, 2 ** 31 - 1, -2 ** 31, 65536, -65536, 7, -7, 123456789, 42, -42])
    f["i8"] = ("<i8", [0, 1, -1, 2 ** 63 - 1, -2 ** 63, 2 ** 32, -2 ** 32, 2 ** 53 + 1,
                       -(2 ** 53 + 1), 42, 10 ** 18, -10 ** 18])
    f["u1"] = ("|u1", [0, 1, 255, 128, 127, 2, 3, 4, 5, 6, 254, 42])
    f["u2"] = ("<u2", [0, 1, 65535, 32768, 256, 255, 2, 3, 4, 5, 6, 42])
    f["u4"] = ("<u4", [0, 1, 2 ** 32 - 1, 2 ** 31, 65536, 2, 3, 4, 5, 6, 7, 42])
    f["u8"] = ("<u8", [0, 1, 2 ** 64 - 1, 2 ** 63, 2 ** 32, 2 ** 53 + 1, 3, 4, 5, 6, 7, 42])
    f["f2"] = ("<f2", [0.0, -0.0, 1.0, NAN, INF, -INF, 65504.0, 0.1, 6e-08, -2.5, 1e-4, 1 / 3])
    f["f4"] = ("<f4", [0.0, -0.0, 0.1, NAN, INF, -INF, 3.4028235e38, 1e-45, -1.5, 16777217.0,
                       1 / 3, 2.5])
    f["f8"] = ("<f8", [0.0, -0.0, 0.1, NAN, INF, -INF, 1.7976931348623157e308, 5e-324, 1e16,
                       -1.5, 1 / 3, 123456789.123])
    f["c8"] = ("<c8", [complex(1, 2), complex(NAN, 0), complex(0, INF), complex(-0.0, -0.0),
                       0.1 + 0.2j, complex(-INF, NAN), 3j, -1 + 0j, 1e30 - 1e-30j, 2.5 - 2.5j,
                       0j, 1 + 1j])
    f["c16"] = ("<c16", [complex(1, 2), complex(NAN, 0), complex(0, INF), complex(-0.0, -0.0),
                         0.1 + 0.2j, complex(-INF, NAN), 3j, -1 + 0j, 1e300 - 5e-324j,
                         2.5 - 2.5j, 0j, 1 / 3 + 1j])
    f["S5"] = ("|S5", [b"", b"a", b"abcde", b"a\x00b", b"\xff\x00", b"\x00", b"\x00\x00x",
                       b"hello", b" ", b"ab  ", b"\x7f", b"12345"])
    f["U3"] = ("<U3", ["", "a", "abc", "\xe9", "\U0001f600", "\ud800", "a\x00b", "\x00",
                       "\xe9\U0001f600x", " ", '"\\', "\n\t"])
    f["V4"] = ("|V4", [b"\x00\x00\x00\x00", b"\x01\x02\x03\x04", b"\xff\xff\xff\xff",
                       b"ab\x00\x00", b"\x00\x00ab", b"\x00\x01\x00\x00", b"abcd", b"\x80\x81\x82\x83",
                       b"    ", b"\x00\x00\x00\x01", b"wxyz", b"\x10\x20\x30\x40"])
    f["M8ns"] = ("<M8[ns]", [-2 ** 63, 0, 2 ** 63 - 1, -2 ** 63 + 1, 1, -1, 1582979696789000000,
                             86400 * 10 ** 9, 10 ** 18, -10 ** 18, 123456789, 42])
    f["M8D"] = ("<M8[D]", [-2 ** 63, 0, 18262, -719162, 2932896, 1, -1, 11016, 20000, 365,
                           -365, 19000])
    f["m8s"] = ("<m8[s]", [-2 ** 63, 0, 1, -1, 86400, -86400 * 365, 2 ** 40, 3600, 60, 59,
                           -59, 2 ** 63 - 1])
    f["O"] = ("|O", [1, "str", {"k": [1, 2]}, np.arange(3, dtype="<i4"), None, 2.5, b"by",
                     (1, "tu"), [1, [2]], 2 ** 70, True, np.float32(0.5)])
    f["be_i4"] = (">i4", [0, 1, -1, 2 ** 31 - 1, -2 ** 31, 256, -256, 7, -7, 123456789, 42, -42])
    f["be_f8"] = (">f8", [0.0, -0.0, 0.1, NAN, INF, -INF, 1.7976931348623157e308, 5e-324, 1e16,
                          -1.5, 1 / 3, 2.5])
    f["be_U3"] = (">U3", ["", "a", "abc", "\xe9", "\U0001f600", "xyz", "a\x00b", "\x00",
                          "\xe9\U0001f600x", " ", "Z", "\n\t"])
    f["struct_plain"] = (np.dtype([("a", "<i4"), ("b", "<f8")]),
                         [(i, i * 0.5 - 1) for i in range(12)])
    f["struct_titles"] = (np.dtype({"names": ["x", "y"], "formats": ["<i2", "<f4"],
                                    "titles": ["Title X", "Title Y"]}),
                          [(i - 6, i / 4) for i in range(12)])
    f["struct_nested"] = (np.dtype([("p", [("x", "<i2"), ("y", ">f4")]), ("q", "|u1")]),
                          [((i, -i / 2), 200 + i) for i in range(12)])
    f["struct_subarray"] = (np.dtype([("a", "<i4"), ("b", "<f8", (2,)), ("c", "|S2", (2, 2))]),
                            [(i, (i + 0.25, -i), ((b"a", b"bb"), (b"", b"%d" % i)))
                             for i in range(12)])
    f["struct_aligned"] = (np.dtype([("a", "|u1"), ("b", "<f8"), ("c", "<i2")], align=True),
                           [(i, i * 1.5, -i) for i in range(12)])
    out = collections.OrderedDict()
    for k, (dt, vals) in f.items():
        dt = np.dtype(dt)
        if dt.kind in "Mm":
            maker = dtime(dt)
        elif dt.kind == "O":
            maker = _object_array
        elif dt.names is not None:
            maker = struct(dt)
        else:
            maker = plain(dt)
        out[k] = (dt, vals, maker)
    return out


def family_variants(dt, vals, maker):
    base = maker(vals, (3, 4))
    c2 = maker(vals[:6], (2, 3))
    f2 = np.zeros((2, 3), dtype=dt, order="F")     # zeroed: struct padding stays 0
    f2[...] = maker(vals[6:], (2, 3))
    assert f2.flags.f_contiguous and not f2.flags.c_contiguous
    empty0 = maker([], (0,))
    empty2x0 = maker([], (2, 0))
    zerod = maker([vals[1]], ())
    # every second column: non-contiguous, but one constant stride, so joblib's
    # nditer hands out strided chunks instead of copying into its (not zeroed)
    # buffer, which would put heap garbage into the padding of aligned structs
    view = base[:, ::2]
    assert not view.flags.c_contiguous and not view.flags.f_contiguous
    return collections.OrderedDict([("c", c2), ("f", f2), ("empty0", empty0),
                                    ("empty2x0", empty2x0), ("zerod", zerod), ("view", view)])


def python_values():
    return {"int": 1, "big": 2 ** 70, "neg": -5, "float": 1.5, "nan": NAN, "str": "h\xe9llo",
            "bytes": b"\x00\xff", "none": None, "bool": True, "tuple": (1, "a"),
            "list": [1, [2, 3]], "dict": {"a": {"b": 1}, 2: "int key"}}


def arrays_object(tmpdir):
    d = collections.OrderedDict()
    for name, (dt, vals, maker) in families().items():
        d[name] = family_variants(dt, vals, maker)
    extra = collections.OrderedDict()
    extra["matrix"] = np.matrix([[1, 2], [3, 4]], dtype="<i8")
    mm_path = os.path.join(tmpdir, "memmap.dat")
    mm = np.memmap(mm_path, dtype="<f4", mode="w+", shape=(2, 3))
    mm[:] = np.arange(6, dtype="<f4").reshape(2, 3) / 4
    mm.flush()
    extra["memmap"] = mm
    extra["f8_1500"] = np.arange(1500, dtype="<f8") / 7.0
    extra["i2_1000"] = np.arange(1000, dtype="<i2")
    extra["i2_1001"] = np.arange(1001, dtype="<i2")
    extra["be_f8_1200"] = np.arange(1200, dtype=">f8") / 3.0
    extra["fortran_i2_40x30"] = np.asfortranarray(np.arange(1200, dtype="<i2").reshape(40, 30))
    d["extra"] = extra
    d["python"] = python_values()
    return d


# ---------------------------------------------------------------------------
# misc objects
# ---------------------------------------------------------------------------

def misc_objects():
    import sample_classes
    m = collections.OrderedDict()
    dts = ["<f8", "<i4", "|u1", "<f4", "|b1", "<i8", ">i2", "<U4", "|S3", "<c16"]
    d50 = {}
    for i in range(50):
        dt = np.dtype(dts[i % len(dts)])
        a = np.arange(i % 7 + 1) * (i + 1)
        if dt.kind in "US":
            a = a.astype(str).astype(dt)
        else:
            a = a.astype(dt)
        d50["a%02d" % i] = a
    m["misc_dict50"] = (d50, 4)
    x = np.arange(4, dtype="<f8")
    m["misc_shared_twice"] = ([x, x], 4)
    m["misc_zerod"] = ([np.array(7.5), np.array(-3, dtype="<i4"), np.array(True),
                        np.array("\xe9t\xe9", dtype="<U3"), np.array(b"ab", dtype="|S3"),
                        np.array(5, dtype=">i8"), np.array(1 + 2j, dtype="<c8"),
                        np.array("2020-01-01", dtype="<M8[D]"), np.array("NaT", dtype="<m8[s]"),
                        _struct_array(np.dtype([("a", "<i4"), ("b", "<f8", (2,))]), [(1, (2, 3))], ()),
                        _object_array([{"in": "0-d object"}], ()),
                        np.array(b"\x01\x02", dtype="|V2")], 4)
    inst = sample_classes.Plain(np.arange(3, dtype="<i2"),
                                (np.eye(2), {"k": np.array(["x", "yz"])}))
    m["misc_containers"] = ({"tuple": (np.arange(2), (np.ones(1, dtype="<f4"), "s")),
                             "obj": inst, "list_of_tuples": [(np.zeros(2, "|u1"),)]}, 4)
    inner = _object_array([1, "x", [1, 2]], (3,))
    shared = ["shared", 1]
    outer = _object_array([inner, inner, np.arange(3, dtype="<i8"), {"k": inner}, shared,
                           shared, _object_array([inner, 2], (2,)), None,
                           np.array([1, -2], dtype=">i4"), np.array(["ab"], dtype=">U2")], (2, 5))
    fobj = np.asfortranarray(_object_array([inner, "a", 2, shared, 3.5, None], (2, 3)))
    m["misc_objarray_nested"] = ({"outer": outer, "fortran": fobj, "inner_again": inner}, 4)
    m["misc_objarray_nested_p2"] = ({"outer": outer}, 2)
    m["misc_scalars"] = (scalar_values(), 4)
    m["misc_scalars_p2"] = (scalar_values(), 2)
    m["misc_dtypes"] = (dtype_values(), 4)
    rec = np.rec.array([(1, 2.5, b"ab"), (3, -1.0, b"c")],
                       dtype=[("a", "<i4"), ("b", "<f8"), ("c", "|S2")])
    ma = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False], fill_value=-9.0)
    m["misc_recarray_ma"] = ({"rec": rec, "rec_again": rec, "ma": ma,
                              "plain": np.arange(3, dtype="<i8")}, 4)
    m["misc_big_object"] = ({"obj_1001": _object_array(list(range(1001)), (1001,)),
                             "f8_1001": np.arange(1001, dtype="<f8")}, 4)
    return m


def scalar_values():
    rec = np.zeros(1, dtype=[("a", "<i4"), ("b", "|S2")])
    rec[0] = (7, b"z")
    return [np.float32(1.5), np.int64(-3), np.datetime64("2020-01-01"), np.float16(0.1),
            np.float64("nan"), np.bool_(True), np.complex64(1 - 2j), np.str_("ab\xe9"),
            np.bytes_(b"xy"), np.void(b"\x01\x00"), np.uint64(2 ** 64 - 1),
            np.datetime64("NaT", "ns"), np.timedelta64(-5, "s"), rec[0], np.arange(2)]


def dtype_values():
    f8 = np.dtype(">f8")
    return [f8, f8, np.dtype("<U3"), np.dtype("<M8[ns]"), np.dtype("<m8[2s]"), np.dtype("M8"),
            np.dtype("O"), np.dtype("|V4"), np.dtype("|b1"),
            np.dtype([("a", "<i4"), ("b", ">f8", (2,))]),
            np.dtype([("a", "|u1"), ("b", "<f8")], align=True),
            np.dtype(("<i4", (2,))), np.arange(2)]


def objp5_value():
    """Object arrays whose nested pickle joblib >= 1.5 would write at protocol 5."""
    inner = np.arange(4, dtype="<i4").reshape(2, 2)
    return {"obj": _object_array([inner, np.float32(2.5), "s", np.asfortranarray(inner)], (4,)),
            "scalars": [np.float64(1.25), np.datetime64("2021-03-04", "D")],
            "plain": np.arange(3, dtype="<u2")}


class _NoTell(io.RawIOBase):
    """A writable file object whose tell() raises io.UnsupportedOperation."""

    def __init__(self, f):
        self._f = f

    def writable(self):
        return True

    def write(self, b):
        return self._f.write(b)

    def tell(self):
        raise io.UnsupportedOperation("tell")

    def seekable(self):
        return False


@contextlib.contextmanager
def nested_protocol5(numpy2_names):
    """Make joblib 1.2 write object-array payloads as joblib >= 1.5 does (protocol 5);
    with numpy2_names, numpy's callables are written as numpy._core.* (numpy 2 names)."""
    import joblib.numpy_pickle as jnp
    orig_write = jnp.NumpyArrayWrapper.write_array
    had = "reducer_override" in jnp.NumpyPickler.__dict__
    standins = _standins()
    alias = {np.core.multiarray._reconstruct: standins["numpy._core.multiarray"]["_reconstruct"],
             np.core.multiarray.scalar: standins["numpy._core.multiarray"]["scalar"],
             np.core.numeric._frombuffer: standins["numpy._core.numeric"]["_frombuffer"]}

    def override(self, obj):
        if numpy2_names and (type(obj) is np.ndarray or isinstance(obj, np.generic)):
            rv = obj.__reduce_ex__(self.proto if hasattr(self, "proto") else 5)
            if isinstance(rv, tuple) and rv[0] in alias:
                return (alias[rv[0]],) + tuple(rv[1:])
        return NotImplemented

    class P5(pickle.Pickler):
        proto = 5

        def reducer_override(self, obj):
            return override(self, obj)

    def write_array(self, array, pickler):
        if array.dtype.hasobject:
            P5(pickler.file_handle, protocol=5).dump(array)
        else:
            orig_write(self, array, pickler)

    jnp.NumpyArrayWrapper.write_array = write_array
    if numpy2_names:
        jnp.NumpyPickler.reducer_override = override
    try:
        with numpy2_module_aliases(real=False):
            yield
    finally:
        jnp.NumpyArrayWrapper.write_array = orig_write
        if numpy2_names and not had:
            del jnp.NumpyPickler.reducer_override


def fit_models():
    from sklearn.datasets import make_classification, make_regression
    from sklearn.decomposition import PCA
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = make_classification(n_samples=60, n_features=4, n_informative=3, n_redundant=0,
                               random_state=0)
    Xr, yr = make_regression(n_samples=60, n_features=4, random_state=0)
    rf = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y)
    lr = LogisticRegression(random_state=0).fit(X, y)
    pipe = Pipeline([("scaler", StandardScaler()), ("pca", PCA(2, random_state=0))]).fit(X)
    gbr = GradientBoostingRegressor(n_estimators=5, max_depth=2, random_state=0).fit(Xr, yr)
    return {"rf": rf, "logreg": lr, "pipeline": pipe, "gbr": gbr}


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

EXT = {"none": ".pkl", "zlib": ".pkl.z", "gzip": ".pkl.gz", "bz2": ".pkl.bz2",
       "lzma": ".pkl.lzma", "xz": ".pkl.xz", "lz4": ".pkl.lz4"}
CONTAINERS = ["none", "zlib", "gzip", "bz2", "lzma", "xz", "lz4"]


def dump(obj, outdir, stem, container, protocol):
    import joblib
    name = stem + EXT[container]
    path = os.path.join(outdir, name)
    if container == "none":
        joblib.dump(obj, path, compress=0, protocol=protocol)
    else:
        joblib.dump(obj, path, compress=True, protocol=protocol)
    return name


def legacy_files():
    main, companions = [], []
    for fn in sorted(os.listdir(LEGACY_SRC)):
        if not fn.startswith("joblib_") or not re.search(r"_py3[3-6]_", fn):
            continue
        (companions if re.search(r"_\d\d\.npy(\.z)?$", fn) else main).append(fn)
    skipped = sorted(fn for fn in os.listdir(LEGACY_SRC)
                     if fn.startswith("joblib_") and "_py27_" in fn)
    return main, companions, skipped


def clean(outdir):
    os.makedirs(outdir, exist_ok=True)
    pat = re.compile(r"(arrays|zstd|models|misc)_.*|MANIFEST")
    for fn in os.listdir(outdir):
        p = os.path.join(outdir, fn)
        if os.path.isfile(p) and pat.fullmatch(fn):
            os.unlink(p)
    leg = os.path.join(outdir, "legacy")
    if os.path.isdir(leg):
        for fn in os.listdir(leg):
            if fn.startswith("joblib_"):
                os.unlink(os.path.join(leg, fn))


def main(outdir):
    import joblib
    if joblib.__version__ != "1.2.0" or not np.__version__.startswith("1.24"):
        print("warning: golden files were made with joblib 1.2.0 / numpy 1.24; this is "
              "joblib %s / numpy %s" % (joblib.__version__, np.__version__), file=sys.stderr)
    clean(outdir)
    tmpdir = tempfile.mkdtemp()
    # name -> (expected container, expected generation, expected protocol or None)
    plan = collections.OrderedDict()
    try:
        arrays = arrays_object(tmpdir)
        for c in CONTAINERS:
            for p in (2, 3, 4, 5):
                name = dump(arrays, outdir, "arrays_%s_p%d" % (c, p), c, p)
                plan[name] = (c, "G2", p)
        models = fit_models()
        for key in ("rf", "logreg", "pipeline", "gbr"):
            plan[dump(models[key], outdir, "models_%s_none_p4" % key, "none", 4)] = ("none", "G2", 4)
        for c in ("zlib", "lz4"):
            plan[dump(models["rf"], outdir, "models_rf_%s_p4" % c, c, 4)] = (c, "G2", 4)
        plan[dump(models["pipeline"], outdir, "models_pipeline_none_p2", "none", 2)] = ("none", "G2", 2)
        for src in ("arrays_none_p4.pkl", "models_rf_none_p4.pkl"):
            name = "zstd_" + src + ".zst"
            subprocess.run(["zstd", "-q", "-19", "-f", "-o", os.path.join(outdir, name),
                            os.path.join(outdir, src)], check=True)
            plan[name] = ("zstd", "G2", 4)
        for stem, (obj, p) in misc_objects().items():
            if stem.endswith("_p2"):
                stem = stem[:-3]
            plan[dump(obj, outdir, "%s_none_p%d" % (stem, p), "none", p)] = ("none", "G2", p)
        for p in (4, 2):
            name = "misc_notell_none_p%d.pkl" % p
            with open(os.path.join(outdir, name), "wb") as fh:
                joblib.dump({"f8": np.arange(3, dtype="<f8"), "obj": _object_array([1, "a"], (2,)),
                             "F": np.asfortranarray(np.arange(6, dtype="<i2").reshape(2, 3)),
                             "empty": np.zeros(0, "<f4"), "zerod": np.array(2.5)},
                            _NoTell(fh), protocol=p)
            plan[name] = ("none", "G2-notell", p)
        with nested_protocol5(numpy2_names=False):
            plan[dump(objp5_value(), outdir, "misc_objp5_none_p4", "none", 4)] = ("none", "G2", 4)
        with nested_protocol5(numpy2_names=True):
            plan[dump(objp5_value(), outdir, "misc_numpy2names_none_p4", "none", 4)] = ("none", "G2", 4)
    finally:
        shutil.rmtree(tmpdir)
    legdir = os.path.join(outdir, "legacy")
    os.makedirs(legdir, exist_ok=True)
    leg_main, leg_comp, leg_skipped = legacy_files()
    for fn in leg_main + leg_comp:
        shutil.copyfile(os.path.join(LEGACY_SRC, fn), os.path.join(legdir, fn))
    for fn in leg_main:
        if fn.startswith("joblib_0.9") and "_compressed_" in fn:
            exp = ("zf", "G0z", None)
        elif fn.startswith("joblib_0.9"):
            exp = ("none", "G0", None)
        else:
            exp = (None, "G1", None)
        plan["legacy/" + fn] = exp

    stats = collections.Counter()
    lines = []
    total = 0
    texts = {}
    used_companions = set()
    for name, (econt, egen, eproto) in plan.items():
        path = os.path.join(outdir, name)
        ref = Reference(path)
        _need(econt is None or ref.container == econt,
              "%s: container %s, expected %s" % (name, ref.container, econt))
        _need(ref.generation == egen, "%s: generation %s, expected %s" % (name, ref.generation, egen))
        _need(eproto is None or ref.protocol == eproto, "%s: protocol %d" % (name, ref.protocol))
        _need(not ref.loader.misaligned, "%s: padding not as FORMAT-FACTS says: %r"
              % (name, ref.loader.misaligned[:3]))
        for c in ref.loader.companions:
            used_companions.add(c)
        fr = frame_report(ref.stream, ref.loader.payloads)
        _need(not fr["payload_inside_frame"], "%s: a payload inside a FRAME" % name)
        stats["pads"] += sum(ref.loader.pads.values())
        for p in ref.loader.pads:
            stats["pad=%d" % p] += 1
        for w in ref.loader.wrappers:
            stats["wrapper keys %s" % ",".join(w[1])] += 1
            if w[0] in NUMPY_ARRAY_WRAPPERS:
                stats["allow_mmap=%s obj=%s container=%s" % (w[2], w[5], "none" if ref.container == "none" else "compressed")] += 1
        if ref.protocol >= 4:
            stats["payloads (p>=4)"] += fr["payloads"]
            stats["payloads right after a frame end (p>=4)"] += fr["payload_after_frame_end"]
        with open(path + ".json", "wb") as fh:
            fh.write(ref.json)
        with open(path + ".meta", "w") as fh:
            fh.write(ref.meta())
        texts[name] = ref.json
        gp._check_refs(json.loads(ref.json))     # valid JSON; every $ref names a container
        note = cross_check(name, path, ref, stats)
        size = os.path.getsize(path)
        total += size + len(ref.json)
        lines.append(name)
        print("%-62s %7d B  %-5s %-9s p%d  %s" % (name, size, ref.container, ref.generation,
                                                 ref.protocol, note))
    # zstd copies export exactly like their sources; p5-nested and numpy2 names agree
    for src in ("arrays_none_p4.pkl", "models_rf_none_p4.pkl"):
        _need(texts["zstd_" + src + ".zst"] == texts[src], "zstd export differs for " + src)
    _need(texts["misc_objp5_none_p4.pkl"] == texts["misc_numpy2names_none_p4.pkl"],
          "numpy2-names file exports differently")
    _need(used_companions == set(leg_comp), "unused legacy companions: %r"
          % (set(leg_comp) - used_companions))
    for fn in leg_comp:
        total += os.path.getsize(os.path.join(legdir, fn))
    lines.sort()
    with open(os.path.join(outdir, "MANIFEST"), "w") as fh:
        fh.write("".join(n + "\n" for n in lines))
    print("%d files (+ %d legacy companions), %d bytes with .json" % (len(lines), len(leg_comp), total))
    for k in sorted(stats):
        print("  %s: %d" % (k, stats[k]))
    print("py27 legacy files not included: %s" % ", ".join(leg_skipped))


def _selftest():
    """numpy's own pickles (no joblib) through the reference vs the real pickle.loads."""
    vals = [np.arange(6, dtype=">i4").reshape(2, 3), np.asfortranarray(np.eye(3)),
            np.array(["a", "bc"]), np.float32(0.1), np.dtype([("a", "<i4"), ("b", "|S2")]),
            _object_array([np.arange(2), "x"], (2,)), np.array(b"\x01\x02", "|V2"),
            np.arange(4, dtype="<i8").view("<M8[s]")]
    for proto in (2, 4, 5):
        for v in vals:
            data = pickle.dumps(v, protocol=proto)
            for alias in (False, True):
                d = data
                if alias:    # numpy 2 names (GLOBAL text at protocol 2 only)
                    if proto != 2:
                        continue
                    d = d.replace(b"cnumpy.core.multiarray\n", b"cnumpy._core.multiarray\n")
                root = Loader().load(io.BytesIO(d))
                got, log = export_text(root)
                hints = {ptr: nd.dtype for ptr, nd in log}
                want = RealExporter(proto, hints).run(pickle.loads(data))
                assert got == want, (proto, v, got, want)
    assert dtype_text(np.dtype("<M8[ns]")) == '"<M8[ns]"'


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.split("\n\n")[1])
    _selftest()
    main(sys.argv[1])
