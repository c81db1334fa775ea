#!/usr/bin/python3
"""Randomized differential test of libjlpickle against Python.

Usage:  /usr/bin/python3 tests/diff/diff.py --build BUILD [--seed S] [--cases N]
                                            [--mutants M] [--builds B] [--keep] [-v]

One Python process makes N random object graphs (every Python value, container and
subclass kind, shared references and cycles, numpy arrays of every dtype, order, byte
order and view, numpy scalars and dtypes, instances of tests/diff/diffclasses.py) and
writes each with pickle.dumps at protocol 0-5 or joblib.dump with a codec and level.
One C process (diffrun, built from tests/diff/diffrun.c: what jlload and jldump do, for
many files) then loads and rewrites them all, and this script checks:

  (a) export: the C JSON export of each file equals the export of the reference inert
      reader (tests/pickle/gen_pickles.py's unpickler with tests/joblib/gen_joblib.py's
      numpy and joblib hooks), byte for byte;
  (b) writer: each file rewritten with a random codec, level, protocol and array
      layout loads in joblib.load (or pickle.load) deep-equal (tests/interop/values.py:
      types, dtypes, order, subclasses, bytes, sharing) to what Python itself gives for
      the original written the same way (joblib.dump + joblib.load, or pickle);
  (c) --numpy-arrays output loads in plain pickle.load deep-equal as well;
  (d) mutants: M files with random byte flips, insertions, deletions, truncations and
      splices are rejected (an error code and a byte offset) or export what the
      reference exports;
  (e) built documents: B random documents built in C with the builder API
      (tests/diff/randdoc.c) and dumped with a random codec, protocol and layout load
      in Python without warnings, and Python's own protocol 5 pickle of what it loaded
      exports, through the C exporter, as the document does;
  (f) protocol 0 text: T pickles of 60 random floats (any bit pattern, decimal strings
      of up to 40 digits and exponents to +-400 as float() reads them), ints (to 1000
      digits) and str (Latin-1, CJK, astral, backslashes, long) written by pickle.dumps at
      protocol 0 export what the reference exports.

Differences libjlpickle makes on purpose are listed in spec/DEVIATIONS.md; this script
reads the identifiers there and accepts a difference only when it is classified as one
of them. The last line is "N passed, N failed". Exit status 1 on any failure.
"""

import argparse
import collections
import datetime
import decimal
import fractions
import io
import json
import math
import os
import pickle
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "joblib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
import gen_joblib as gj  # noqa: E402  (imports gen_pickles, which pins PYTHONHASHSEED=0)
import values  # noqa: E402

import diffclasses as dc  # noqa: E402
import joblib  # noqa: E402
import numpy as np  # noqa: E402

gp = gj.gp
sys.setrecursionlimit(20000)

# ---------------------------------------------------------------------------------------
# Intentional deviations (spec/DEVIATIONS.md): "| DV-n | `class` | ..." rows
# ---------------------------------------------------------------------------------------


def read_deviations():
    path = os.path.join(ROOT, "spec", "DEVIATIONS.md")
    classes = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\|\s*(DV-\d+)\s*\|\s*`([a-z0-9-]+)`\s*\|", line)
            if m:
                classes[m.group(2)] = m.group(1)
    return classes


# ---------------------------------------------------------------------------------------
# Random object graphs
# ---------------------------------------------------------------------------------------

PLAIN_DTYPES = ["?", "i1", "<i2", ">i2", "<i4", ">i4", "<i8", ">i8", "u1", "<u2", ">u2", "<u4", ">u4",
                "<u8", ">u8", "<f2", ">f2", "<f4", ">f4", "<f8", ">f8", "<f16", ">f16", "<c8", ">c8",
                "<c16", ">c16", "<c32", "S1", "S5", "<U1", ">U3", "<U4", "V3", "V1",
                "<M8[ns]", ">M8[us]", "<M8[D]", "<M8[3s]", "<M8", "<m8[s]", ">m8[ms]", "<m8[7ns]"]
STRUCT_DTYPES = [
    [("a", "<i4"), ("b", ">f8", (2,))],
    [("x", "u1"), ("y", [("p", "<u2"), ("q", "S2")])],
    {"names": ["a", "b"], "formats": ["<i2", "<f4"], "offsets": [0, 8], "itemsize": 16},
    {"names": ["t"], "formats": ["<i8"], "titles": ["the title"]},
    [("m", "<M8[s]"), ("v", "V2"), ("s", "<U2")],
    # fields that overlap or are out of offset order (numpy's dict form in the export)
    {"names": ["a", "b"], "formats": ["<i4", ("<i2", (2,))], "offsets": [2, 0], "titles": [None, "t"],
     "itemsize": 6},
    [("x", "u1"), ("y", {"names": ["p", "q"], "formats": [">u2", "S2"], "offsets": [2, 0], "itemsize": 4})],
]
OBJECT_STRUCT_DTYPES = [[("o", "O"), ("i", "<i4")], [("a", "<f8"), ("o", "O", (2,))]]


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.pool = []          # mutable containers made so far (shared references)
        self.budget = 0

    def r(self):
        return self.rng.random()

    # -- scalars -----------------------------------------------------------------------
    def text(self):
        rng = self.rng
        n = rng.choice([0, 1, 2, 3, 5, 8, 20, 70, 300])
        alphabet = rng.choice(["abc_xyz", "abc\n\\\x00\r\"'", "é€😀\u07ff\uffff", "\ud800\udc00\udfff", "a.b"])
        return "".join(rng.choice(alphabet) for _ in range(n))

    def scalar(self):
        rng = self.rng
        k = rng.randrange(13)
        if k == 0:
            return None
        if k == 1:
            return rng.random() < 0.5
        if k == 2:
            return rng.choice([0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31, 2**63 - 1, -2**63,
                               2**64, -2**64 - 1, 10**40, -(7**200), rng.randrange(-10**6, 10**6)])
        if k == 3:
            return rng.choice([0.0, -0.0, 1.5, -2.25, 1e300, 5e-324, float("inf"), float("-inf"),
                               float("nan"), 0.1, rng.uniform(-1e10, 1e10)])
        if k == 4:
            return complex(rng.choice([0.0, -0.0, 1.5, float("nan")]), rng.choice([2.0, -0.0, float("inf")]))
        if k in (5, 6):
            return self.text()
        if k == 7:
            return bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 2, 7, 300])))
        if k == 8:
            return bytearray(rng.randrange(256) for _ in range(rng.choice([0, 1, 5])))
        if k == 9:
            return rng.choice([dc.a_function, dc.Plain, dc.Outer.Inner, len, np.ndarray, np.float64, int,
                               collections.OrderedDict])
        if k == 10:
            return rng.choice([datetime.date(2020, 1, 31), datetime.datetime(1999, 12, 31, 23, 59, 1, 5),
                               datetime.timedelta(days=-3, seconds=7), decimal.Decimal("-1.50"),
                               fractions.Fraction(3, 7), range(2, 9, 3)])
        if k == 11:
            return self.np_scalar()
        return np.dtype(rng.choice(PLAIN_DTYPES + ["O"]))

    def key(self, depth=0):
        rng = self.rng
        k = rng.randrange(8)
        if k < 4:
            return self.text()
        if k == 4:
            return rng.randrange(-5, 300)
        if k == 5:
            return rng.choice([None, True, False, 1.5, -0.0, b"k", 2**70])
        if k == 6 and depth < 2:
            return tuple(self.key(depth + 1) for _ in range(rng.randrange(3)))
        return frozenset(self.key(depth + 1) for _ in range(rng.randrange(3))) if depth < 2 else "k"

    def np_scalar(self):
        rng = self.rng
        dt = np.dtype(rng.choice(PLAIN_DTYPES))
        raw = self.raw_items(dt, 1)
        return np.frombuffer(raw, dtype=dt, count=1)[0]

    # -- arrays ------------------------------------------------------------------------
    def raw_items(self, dt, n):
        rng = self.rng
        if dt.kind == "U":
            cps = []
            for _ in range(n * dt.itemsize // 4):
                c = rng.choice([0, 65, 0xe9, 0x20ac, 0x1f600, 0xd800, rng.randrange(0x110000)])
                cps.append(c.to_bytes(4, "little" if dt.byteorder in "<=|" else "big"))
            return b"".join(cps)
        if dt.kind == "b":
            return bytes(rng.randrange(2) for _ in range(n))
        if dt.kind in "Mm" and rng.random() < 0.5:
            vals = [rng.choice([-2**63, 0, 1, -1, 10**15]) for _ in range(n)]
            return np.array(vals, dtype=dt.newbyteorder("=").str.replace("M8", "i8").replace("m8", "i8")[:3]
                            ).astype(dt.byteorder.replace("|", "=") + "i8").tobytes()
        if dt.kind == "f" and rng.random() < 0.5:
            vals = [rng.choice([0.0, -0.0, 1.0, float("nan"), float("inf"), 1e-300, 3.25]) for _ in range(n)]
            return np.array(vals).astype(dt).tobytes()
        return bytes(rng.randrange(256) for _ in range(n * dt.itemsize))

    def shape(self):
        rng = self.rng
        nd = rng.choice([0, 1, 1, 2, 2, 3])
        if rng.random() < 0.03:
            return (rng.choice([1001, 1500]),)          # past max_items: nbytes + sha256
        return tuple(rng.choice([0, 1, 2, 3, 4]) for _ in range(nd))

    def array(self, depth):
        rng = self.rng
        k = rng.random()
        shape = self.shape()
        n = int(np.prod(shape)) if shape else 1
        if k < 0.12:
            dt = np.dtype("O")
            a = np.empty(shape, dtype=dt)
            flat = a.reshape(-1) if a.ndim else None
            for i in range(n):
                v = self.value(depth + 1)
                if a.ndim:
                    flat[i] = v
                else:
                    a[()] = v
        elif k < 0.17:
            dt = np.dtype(rng.choice(OBJECT_STRUCT_DTYPES))
            a = np.zeros(shape, dtype=dt)
            for name in dt.names:
                sub = a[name]
                if dt[name].hasobject:
                    for idx in np.ndindex(sub.shape):
                        sub[idx] = self.scalar()
                else:
                    sub[...] = np.frombuffer(self.raw_items(dt[name].base, sub.size), dtype=dt[name].base
                                             ).reshape(sub.shape) if sub.size else sub
        else:
            if k < 0.3:
                spec = rng.choice(STRUCT_DTYPES)
                dt = np.dtype(spec, align=rng.random() < 0.2) if isinstance(spec, list) else np.dtype(spec)
            elif k < 0.31:
                dt = np.dtype(rng.choice(["V0", "S0", "<U0"])) if rng.random() < 0.5 else np.dtype([])
            else:
                dt = np.dtype(rng.choice(PLAIN_DTYPES))
            raw = self.raw_items(dt, n)
            if n == 0 or dt.itemsize == 0:
                a = np.zeros(shape, dtype=dt)
            else:
                a = np.frombuffer(raw, dtype=dt, count=n).reshape(shape).copy()
        # order, views, subclasses
        v = rng.random()
        if v < 0.2 and a.ndim >= 2:
            a = np.asfortranarray(a)
        elif v < 0.28 and a.ndim >= 1 and a.shape[0] > 1:
            a = a[::2]                                   # a non-contiguous view
        elif v < 0.33 and a.ndim >= 2:
            a = a.T                                      # F-contiguous view
        elif v < 0.37 and a.ndim == 2 and not a.dtype.hasobject and a.dtype.names is None:
            a = np.asmatrix(a)
        elif v < 0.41 and a.dtype.names is not None and not a.dtype.hasobject:
            a = a.view(np.recarray)
        return a

    # -- containers --------------------------------------------------------------------
    def shared(self):
        return self.rng.choice(self.pool) if self.pool and self.r() < 0.15 else None

    def value(self, depth=0):
        rng = self.rng
        self.budget -= 1
        s = self.shared()
        if s is not None:
            return s
        if depth > 5 or self.budget <= 0:
            return self.scalar()
        k = rng.random()
        if k < 0.35:
            return self.scalar()
        if k < 0.47:
            return self.array(depth)
        n = rng.choice([0, 1, 2, 3, 4, 6])
        if k < 0.55:
            x = []
            self.pool.append(x)
            x.extend(self.value(depth + 1) for _ in range(n))
            return x
        if k < 0.62:
            return tuple(self.value(depth + 1) for _ in range(n))
        if k < 0.70:
            x = {} if rng.random() < 0.9 else collections.OrderedDict()
            self.pool.append(x)
            for _ in range(n):
                x[self.key()] = self.value(depth + 1)
            return x
        if k < 0.74:
            x = set(self.key() for _ in range(n))
            self.pool.append(x)
            return x
        if k < 0.76:
            return frozenset(self.key() for _ in range(n))
        return self.instance(depth, n)

    def instance(self, depth, n):
        rng = self.rng
        kind = rng.randrange(11)
        if kind == 0:
            o = dc.Plain()
            self.pool.append(o)
            for i in range(n):
                setattr(o, "f%d" % i, self.value(depth + 1))
            return o
        if kind == 1:
            o = dc.Slotted()
            o.a = self.value(depth + 1)
            if rng.random() < 0.5:
                o.b = self.value(depth + 1)
            return o
        if kind == 2:
            o = dc.SlottedDict()
            o.a = self.value(depth + 1)
            o.extra = self.value(depth + 1)
            return o
        if kind == 3:
            o = dc.DictSub()
            self.pool.append(o)
            for _ in range(n):
                o[self.key()] = self.value(depth + 1)
            if rng.random() < 0.3:
                o.attr = self.value(depth + 1)
            return o
        if kind == 4:
            o = dc.ListSub()
            self.pool.append(o)
            o.extend(self.value(depth + 1) for _ in range(n))
            if rng.random() < 0.3:
                o.attr = self.value(depth + 1)
            return o
        if kind == 5:
            o = dc.SetSub(self.key() for _ in range(n))
            return o
        if kind == 6:
            return dc.TupleSub(self.value(depth + 1) for _ in range(n))
        if kind == 7:
            return rng.choice([dc.IntSub(rng.randrange(-5, 10**20)), dc.StrSub(self.text())])
        if kind == 8:
            return dc.NewArgs(self.scalar(), self.value(depth + 1))
        if kind == 9:
            o = dc.Reduced(self.scalar())
            self.pool.append(o)
            for _ in range(rng.randrange(3)):
                o.append(self.value(depth + 1))
            if rng.random() < 0.5:
                o[self.key()] = self.value(depth + 1)
            if rng.random() < 0.5:
                o.note = self.value(depth + 1)
            return o
        o = dc.StateHolder()
        self.pool.append(o)
        o.data.extend(self.value(depth + 1) for _ in range(n))
        return o

    def graph(self):
        self.pool = []
        self.budget = self.rng.choice([5, 15, 40, 100])
        return self.value(0)


# ---------------------------------------------------------------------------------------
# Writing the originals
# ---------------------------------------------------------------------------------------

JOBLIB_CODECS = ["zlib", "gzip", "bz2", "lzma", "xz", "lz4"]
DUMP_CODECS = ["none", "none", "zlib", "gzip", "bz2", "lzma", "xz", "lz4", "zstd"]


def write_original(rng, obj, path):
    """Write obj to path as pickle or joblib; return a description, or None when Python
    cannot write it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if rng.random() < 0.5:
                proto = rng.randrange(6)
                data = pickle.dumps(obj, protocol=proto)
                with open(path, "wb") as f:
                    f.write(data)
                return "pickle p%d" % proto
            proto = rng.choice([None, 0, 1, 2, 3, 4, 5])
            codec = rng.choice([None] + JOBLIB_CODECS)
            compress = (codec, rng.randrange(1, 10)) if codec else 0
            joblib.dump(obj, path, compress=compress, protocol=proto)
            return "joblib %s p%s" % (compress and "%s:%d" % compress or "none", proto)
    except (RecursionError, pickle.PicklingError, TypeError, ZeroDivisionError, ValueError, AttributeError):
        return None


class ItemSizeZeroPickler(joblib.numpy_pickle.NumpyPickler):
    """joblib's pickler with the one change libjlpickle makes (DV-5, FORMAT.md W-3): an
    array whose dtype has item size 0 (joblib divides by it) is written with numpy's own
    reduce instead of a wrapper. Everything else, the nested pickles of object arrays
    with their own memo included, is joblib's."""

    def save(self, obj):
        if type(obj) in (np.ndarray, np.matrix, np.memmap) and obj.dtype.itemsize == 0 \
                and not obj.dtype.hasobject:
            return pickle._Pickler.save(self, obj)
        return joblib.numpy_pickle.NumpyPickler.save(self, obj)


def python_reference(obj, arrays, proto):
    """What Python gives for obj written with the same layout and protocol."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if arrays == "joblib":
            fd, tmp = tempfile.mkstemp(dir=WORK, suffix=".ref")
            os.close(fd)
            try:
                # joblib.dump(obj, tmp, protocol=proto), with item size 0 as DV-5 says
                with open(tmp, "wb") as f:
                    ItemSizeZeroPickler(f, protocol=proto).dump(obj)
                return joblib.load(tmp)
            finally:
                os.unlink(tmp)
        return pickle.loads(pickle.dumps(obj, protocol=proto))


def python_load(path, codec, arrays):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        if codec == "none" and arrays == "numpy":
            with open(path, "rb") as f:
                v = pickle.load(f)
        else:
            v = joblib.load(path)
    return v, [str(x.message) for x in w]


# ---------------------------------------------------------------------------------------
# Mutants
# ---------------------------------------------------------------------------------------

def mutate(rng, data, other):
    b = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        k = rng.randrange(6)
        if not b:
            b = bytearray(b"\x80")
        i = rng.randrange(len(b))
        if k == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif k == 1:
            b[i] = rng.choice([0, 0xff, 0x7f, 0x80, ord("("), ord("."), ord("0"), rng.randrange(256)])
        elif k == 2:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5)))
        elif k == 3:
            del b[i:i + rng.randrange(1, 9)]
        elif k == 4:
            del b[rng.randrange(len(b) + 1):]
        else:
            j = rng.randrange(len(other) + 1)
            b[i:i + rng.randrange(0, 16)] = other[j:j + rng.randrange(1, 32)]
    return bytes(b)


# ---------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------

class Results:
    def __init__(self, verbose, findings=None, seed=0):
        self.findings = findings    # directory the inputs of failures are copied to
        self.seed = seed
        self.passed = 0
        self.failed = 0
        self.deviations = collections.Counter()
        self.notes = collections.Counter()
        self.verbose = verbose
        self.shown = 0

    def ok(self, what):
        self.passed += 1
        if self.verbose:
            print("ok -", what)

    def fail(self, what, detail, path=None):
        self.failed += 1
        if self.findings and path and os.path.exists(path):
            os.makedirs(self.findings, exist_ok=True)
            kept = os.path.join(self.findings, "seed%d-%s" % (self.seed, os.path.basename(path)))
            shutil.copyfile(path, kept)
            detail = "%s\n(input kept as %s)" % (detail, kept)
        if self.shown < 40:
            print("FAIL -", what)
            for line in str(detail).splitlines()[:6]:
                print("    ", line[:400])
        self.shown += 1


def reference_json(path):
    """The reference export of a file (gen_joblib.Reference without its generation
    bookkeeping), or the exception that stopped it."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        container = gj.detect_container(data)
        stream = gj.decompress(container, data, path)
        f = io.BytesIO(stream)
        root = gj.Loader(os.path.dirname(path)).load(f)
        if container != "none" and f.tell() != len(stream):
            raise gj.RefError("%d bytes after STOP" % (len(stream) - f.tell()))
        text, _ = gj.export_text(root)
        return (text + "\n").encode("utf-8"), None
    except Exception as e:  # noqa: BLE001 (any refusal counts as a refusal)
        return None, e


def run_c(driver, commands, timeout):
    text = "".join("\t".join(c) + "\n" for c in commands)
    p = subprocess.run([driver], input=text, capture_output=True, text=True, timeout=timeout)
    lines = p.stdout.splitlines()
    if p.returncode != 0 or len(lines) != len(commands):
        raise RuntimeError("diffrun exited %d after %d of %d commands: %s" % (
            p.returncode, len(lines), len(commands), p.stderr[-2000:]))
    return lines


def check_export(res, name, path, line, want, err, deviations):
    """The C export of `path` (diffrun answered `line`) is the reference's (`want`, or
    the error `err` that stopped it), or differs by one of `deviations`.
    @return True when they are the same."""
    if err is not None:
        res.fail("reference %s" % name, "%s: %s" % (type(err).__name__, err), path)
    elif line != "OK":
        res.fail("load %s" % name, line, path)
    else:
        with open(path + ".json", "rb") as f:
            got = f.read()
        if got == want:
            res.ok("export %s" % name)
            return True
        cls = classify_export(want, got)
        if cls in deviations:
            res.deviations[cls] += 1
        else:
            res.fail("export %s" % name, first_difference(want, got), path)
    return False


def classify_export(ref, got):
    """A listed deviation that explains a difference of exports, or None."""
    return None


NUMPY_CALLS = re.compile(rb'"call":"numpy\.(core\.multiarray\.(_reconstruct|scalar)|core\.numeric\._frombuffer|dtype)"')


def classify_mutant(path, err, got):
    """A listed deviation that explains C accepting what the reference refuses."""
    if isinstance(err, gj.RefError) and NUMPY_CALLS.search(got):
        # numpy's reduce functions called with arguments numpy's own pickles never
        # have: the reference (like numpy) fails, libjlpickle keeps the call inert
        return "inert-numpy-call"
    return None


def main():
    global WORK
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--driver", default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--mutants", type=int, default=1000)
    ap.add_argument("--builds", type=int, default=0,
                    help="random documents built in C (tests/diff/randdoc.c) and read by Python")
    ap.add_argument("--texts", type=int, default=0,
                    help="protocol 0 pickles of random floats, ints and str, 60 values each")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--findings", default=None,
                    help="copy the input of every failure to this directory (a seed repeats its graphs "
                         "and choices, but not always the exact bytes: None's hash in CPython 3.11 is its "
                         "address and gzip headers hold a time)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    driver = args.driver or os.path.join(args.build, "tests", "diffrun")
    deviations = read_deviations()
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    WORK = tempfile.mkdtemp(prefix="jlp-diff.", dir=base)
    res = Results(args.verbose, args.findings, args.seed)
    t0 = time.time()
    try:
        run(args, driver, deviations, res)
        run_texts(args, driver, random.Random(args.seed + 1), res)
    finally:
        if args.keep:
            print("# work directory:", WORK)
        else:
            shutil.rmtree(WORK, ignore_errors=True)
    for cls, n in sorted(res.deviations.items()):
        print("# listed deviation %s (%s): %d" % (deviations.get(cls, "?"), cls, n))
    for note, n in sorted(res.notes.items()):
        print("# %s: %d" % (note, n))
    print("# seed %d, %d cases, %d mutants, %d built documents, %d protocol 0 texts, %.1f s" % (
        args.seed, args.cases, args.mutants, args.builds, args.texts, time.time() - t0))
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed else 0


def run(args, driver, deviations, res):
    rng = random.Random(args.seed)
    gen = Gen(rng)
    cases = []                       # (path, obj, description)
    while len(cases) < args.cases:
        obj = gen.graph()
        path = os.path.join(WORK, "c%05d.pkl" % len(cases))
        how = write_original(rng, obj, path)
        if how is None:
            res.notes["graphs Python cannot write (skipped)"] += 1
            continue
        cases.append((path, obj, how))

    # the C side, all at once: load + export every file, one rewrite of each
    commands, plans = [], []
    for i, (path, obj, how) in enumerate(cases):
        commands.append(("L", path, path + ".json"))
        codec = rng.choice(DUMP_CODECS)
        if codec not in ("none", "zstd") and rng.random() < 0.5:
            codec += ":%d" % rng.randrange(1, 10)
        proto = rng.randrange(6)
        arrays = "numpy" if rng.random() < 0.35 else "joblib"
        out = path + ".out"
        commands.append(("D", path, out, codec, str(proto), arrays))
        commands.append(("L", out, out + ".json"))
        plans.append((codec.split(":")[0], proto, arrays, out))
    lines = run_c(driver, commands, timeout=600)

    for i, (path, obj, how) in enumerate(cases):
        name = "%s (%s)" % (os.path.basename(path), how)
        load_line, dump_line, reload_line = lines[3 * i: 3 * i + 3]
        # (a) the export
        want, err = reference_json(path)
        beyond = False
        if load_line == "ERR UNSUPPORTED 0" and isinstance(err, gj.BeyondUnicode):
            # numpy makes a str of a U item above U+10FFFF that no UTF-8 carries (or
            # fails): the reference and libjlpickle both have no export for it
            res.ok("export %s: a U item above U+10FFFF" % name)
            beyond = True
        else:
            check_export(res, name, path, load_line, want, err, deviations)
        # (b), (c) the rewrite
        codec, proto, arrays, out = plans[i]
        what = "%s -> %s p%d %s" % (name, codec, proto, arrays)
        if dump_line != "OK":
            res.fail("dump %s" % what, dump_line, path)
            continue
        if reload_line != "OK" and not (beyond and reload_line == "ERR UNSUPPORTED 0"):
            res.fail("C reload %s" % what, reload_line, path)
            continue
        if codec == "zstd":
            res.ok("zstd rewrite reloads %s" % what)   # joblib 1.2 has no zstd
            continue
        # the reference: Python's own load of the original, written by Python the same
        # way and loaded again (what Python keeps: byte order, views, sharing). Below
        # protocol 2 Python's pickler drops a false __getstate__() result, which the
        # file holds: the reference is written at protocol 2 then.
        # The original is read as Python reads it: joblib.load and numpy's __setstate__
        # make arrays native, and a rewrite must load as they did (FORMAT.md W-10).
        try:
            src = gj.real_load(path, swap=True)
        except Exception as e:  # noqa: BLE001
            res.fail("Python load of the original %s" % name, "%s: %s" % (type(e).__name__, e), path)
            continue
        try:
            ref = python_reference(src, arrays, max(proto, 2))
        except Exception as e:  # noqa: BLE001
            res.notes["rewrites Python cannot write at that protocol (not compared)"] += 1
            continue
        try:
            got, warns = python_load(out, codec, arrays)
        except Exception as e:  # noqa: BLE001
            res.fail("Python load %s" % what, "%s: %s" % (type(e).__name__, e), path)
            continue
        diff = values.same(ref, got)
        if diff is None and not warns:
            res.ok("rewrite %s" % what)
        else:
            res.fail("rewrite %s" % what, diff or "warnings: %s" % warns, path)
        if arrays == "numpy" and codec == "none":
            res.notes["(c) numpy-layout rewrites read by pickle.load"] += 1

    # (d) mutants of the originals
    originals = [c[0] for c in cases if os.path.getsize(c[0]) <= 1 << 16]
    mut_cmds = []
    for k in range(args.mutants if originals else 0):
        src = rng.choice(originals)
        with open(src, "rb") as f:
            data = f.read()
        with open(rng.choice(originals), "rb") as f:
            other = f.read()
        path = os.path.join(WORK, "m%05d.bin" % k)
        with open(path, "wb") as f:
            f.write(mutate(rng, data, other))
        mut_cmds.append(("L", path, path + ".json"))
    mlines = run_c(driver, mut_cmds, timeout=600) if mut_cmds else []
    for (cmd, path, jpath), line in zip(mut_cmds, mlines):
        name = os.path.basename(path)
        if line.startswith("ERR "):
            m = re.match(r"ERR ([A-Z0-9_]+) (\d+)$", line)
            if not m:
                res.fail("mutant %s error line" % name, line, path)
                continue
            res.notes["mutants rejected with %s" % m.group(1)] += 1
            res.ok("mutant %s rejected" % name)
            continue
        if line != "OK":
            res.fail("mutant %s" % name, line, path)
            continue
        want, err = reference_json(path)
        with open(jpath, "rb") as f:
            got = f.read()
        if err is None and got == want:
            res.notes["mutants loaded as the reference loads them"] += 1
            res.ok("mutant %s agrees" % name)
            continue
        cls = classify_mutant(path, err, got) if err is not None else classify_export(want, got)
        if cls in deviations:
            res.deviations[cls] += 1
            res.ok("mutant %s (%s)" % (name, cls))
        elif err is not None:
            res.fail("mutant %s: C loads what the reference refuses" % name, "%s: %s" % (type(err).__name__, err), path)
        else:
            res.fail("mutant %s: exports differ" % name, first_difference(want, got), path)

    # (e) documents built in C, with their own random stream (the cases above stay
    # what they were for a seed)
    run_builds(args, driver, random.Random(args.seed * 7919 + 1), res)


# ---------------------------------------------------------------------------------------
# (e) documents built in C, read by Python
# ---------------------------------------------------------------------------------------

BUILD_CODECS = ["none", "none", "zlib", "gzip", "bz2", "lzma", "xz", "lz4"]   # joblib 1.2 reads no zstd


def random_text_value(rng):
    """A float, int or str of the kinds protocol 0 writes as text (FLOAT, INT, LONG and
    UNICODE lines), drawn to reach the corners of their decoders."""
    k = rng.randrange(6)
    if k == 0:  # any double, subnormals, infinities and nan included
        return struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
    if k == 1:  # the double nearest a random decimal string: long digit strings, ties
        digits = "".join(rng.choice("0123456789" if rng.random() < 0.7 else "09")
                         for _ in range(rng.randrange(1, 41)))
        dot = rng.randrange(len(digits) + 1)
        text = "%s%s.%se%d" % (rng.choice("+-"), digits[:dot], digits[dot:], rng.randrange(-400, 400))
        return float(text)
    if k == 2:  # a random float of a random magnitude, as the load sweep has
        return rng.random() * 10.0 ** rng.randrange(-30, 30)
    if k == 3:
        bits = rng.choice([rng.randrange(1, 64), rng.randrange(60, 70), rng.randrange(64, 700),
                           rng.randrange(700, 3300)])
        return rng.choice([1, -1]) * rng.getrandbits(bits)
    n = rng.choice([0, 1, 2, 5, 12, 40, 300, 5000])
    alphabet = rng.choice(["abc xyz", "café naïve ÿ\x80", "中文字符\u4e00\u9fff", "😀🙏\U0010ffff",
                           "a\\u\\U\\\\uu00e9\n\r\x00\x1a", "é中😀\\ a"])
    return "".join(rng.choice(alphabet) for _ in range(n))


def run_texts(args, driver, rng, res):
    """(f) protocol 0 pickles of random floats, ints and str export as the reference's."""
    paths = []
    for k in range(args.texts):
        obj = [random_text_value(rng) for _ in range(60)]
        path = os.path.join(WORK, "t%05d.pkl" % k)
        with open(path, "wb") as f:
            f.write(pickle.dumps(obj, protocol=0))
        paths.append(path)
    lines = run_c(driver, [("L", p, p + ".json") for p in paths], timeout=600) if paths else []
    for path, line in zip(paths, lines):
        want, err = reference_json(path)
        if check_export(res, "protocol 0 text %s" % os.path.basename(path), path, line, want, err, {}):
            res.notes["(f) protocol 0 texts exported as the reference"] += 1


def canonical_export(x):
    """A parsed export with what Python does not keep made comparable: set and frozenset
    items sorted (their order is Python's hash order), and an array's dtype not native
    at its top shown native (numpy's __setstate__ makes it so on load, DV-6)."""
    if isinstance(x, list):
        return [canonical_export(i) for i in x]
    if isinstance(x, dict):
        if len(x) == 1:
            (k, v), = x.items()
            if k in ("$set", "$frozenset"):
                items = [canonical_export(i) for i in v]
                return {k: sorted(items, key=lambda i: json.dumps(i, sort_keys=True))}
            if k == "$ndarray" and isinstance(v.get("dtype"), str) and v["dtype"][:1] in "<>":
                v = dict(v, dtype="<" + v["dtype"][1:])
                return {k: canonical_export(v)}
        return {k: canonical_export(v) for k, v in x.items()}
    return x


def run_builds(args, driver, rng, res):
    """Random documents built in C (randdoc.c) and written with a random codec, protocol
    and layout must load in Python (joblib.load, or pickle.load for a plain pickle)
    without a warning, and be what the document says: Python's own protocol 5 pickle of
    what it loaded (joblib's arrays without its byte-order normalisation) exports as the
    document does, through the C exporter."""
    cmds, plans = [], []
    for k in range(args.builds):
        codec = rng.choice(BUILD_CODECS)
        if codec != "none" and rng.random() < 0.5:
            codec += ":%d" % rng.randrange(1, 10)
        proto = rng.randrange(6)
        arrays = "numpy" if rng.random() < 0.5 else "joblib"
        out = os.path.join(WORK, "b%05d.pkl" % k)
        cmds.append(("B", str(rng.getrandbits(63)), out, codec, str(proto), arrays))
        plans.append((codec.split(":")[0], proto, arrays, out))
    lines = run_c(driver, cmds, timeout=600) if cmds else []
    again, names = [], []
    for cmd, (codec, proto, arrays, out), line in zip(cmds, plans, lines):
        name = "built document %s (seed %s) -> %s p%d %s" % (os.path.basename(out), cmd[1], codec, proto, arrays)
        if line != "OK":
            res.fail("dump of the %s" % name, line)
            continue
        try:
            got, warns = python_load(out, codec, arrays)
            held = gj.real_load(out, swap=False) if arrays == "joblib" else got
            data = pickle.dumps(held, protocol=5)
        except Exception as e:  # noqa: BLE001
            res.fail("Python load of the %s" % name, "%s: %s" % (type(e).__name__, e))
            continue
        if warns:
            res.fail("Python load of the %s" % name, "warnings: %s" % warns)
            continue
        with open(out + ".py.pkl", "wb") as f:
            f.write(data)
        again.append(("L", out + ".py.pkl", out + ".py.json"))
        names.append((name, out))
    lines = run_c(driver, again, timeout=600) if again else []
    for (name, out), line in zip(names, lines):
        if line != "OK":
            res.fail("export of Python's rewrite of the %s" % name, line)
            continue
        with open(out + ".built.json", "rb") as f:
            want_text = f.read()
        with open(out + ".py.json", "rb") as f:
            got_text = f.read()
        want = canonical_export(json.loads(want_text))
        got = canonical_export(json.loads(got_text))
        if want == got:
            res.ok(name)
            res.notes["(e) built documents Python reads as built"] += 1
        else:
            res.fail(name, first_difference(json.dumps(want).encode(), json.dumps(got).encode()))


def first_difference(want, got):
    n = 0
    while n < min(len(want), len(got)) and want[n] == got[n]:
        n += 1
    return "at byte %d\n  reference: %r\n  libjlpickle: %r" % (n, want[max(0, n - 60):n + 80], got[max(0, n - 60):n + 80])


WORK = None

if __name__ == "__main__":
    sys.exit(main())
