#!/usr/bin/python3
"""The differential test of the safety scan against real Python.

    /usr/bin/python3 tests/safety/pydiff.py --build B [--cases N] [--seed S] [--keep DIR]
                                            [--findings DIR]

Generated and mutated pickles and joblib files are read twice:

- by Python (pyreadings.py, in a child process under memory and CPU limits): the C and
  pure-Python unpicklers, joblib.load (or its ZF compat loader) and numpy.load, each with
  a find_class that records every (module, name) Python resolves and returns an inert
  stand-in, and an audit hook that blocks any other find_class or effect;
- by `B/jlinspect --safety --json`.

Assertions, per file:
  1. every name a Python reading resolved is among the scan's findings for that reading
     (the same module and qualname; with jlinspect's older output, among its globals);
  2. when any reading resolved a name outside the safe list (rules_gen.h), the verdict is
     suspicious or dangerous, never safe nor merely invalid;
  3. jlinspect exits 0-3 (no crash) within its time.

The generator is a grammar of opcode programs that reach globals (GLOBAL, STACK_GLOBAL
with every string opcode, dotted qualnames, Python 2 names), calls (REDUCE, NEWOBJ,
NEWOBJ_EX, INST, OBJ, copyreg's helpers), BUILD with dict and (state, slotstate) forms
and dunder keys, the memo (every PUT/GET form, text indices such as '010'), joblib
wrappers built every way with payloads, nested pickles, FRAME, every literal opcode;
a share of the programs is then mutated (bytes flipped, inserted, deleted, duplicated,
truncated, spliced) and wrapped in a joblib compressor or a ZF container.
"""
import argparse
import bz2
import gzip
import json
import lzma
import os
import pickle
import pickletools
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

sys.path.insert(0, os.path.join(HERE, "..", "values"))
import gen_dtype_args  # noqa: E402
import pk  # noqa: E402
import rules  # noqa: E402
import scan  # noqa: E402

# ---- the name pool: (module, qualname), as resolvable in this Python -----------------------------
SAFE_DATA = [
    ("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "bytearray"), ("builtins", "complex"), ("collections", "OrderedDict"),
    ("_codecs", "encode"), ("copyreg", "_reconstructor"), ("copyreg", "__newobj__"),
    ("copyreg", "__newobj_ex__"), ("joblib.numpy_pickle", "NumpyArrayWrapper"),
    ("sklearn.linear_model._logistic", "LogisticRegression"), ("sklearn.pipeline", "Pipeline"),
    ("sklearn.preprocessing._data", "StandardScaler"), ("sklearn.utils._bunch", "Bunch"),
    ("scipy.sparse._csr", "csr_matrix"), ("numpy", "float64"), ("numpy.random._pickle", "__randomstate_ctor"),
    ("numpy.core._multiarray_umath", "log1p"),
    # pandas: the helpers that build the class they are given, and classes they build
    ("pandas.core.indexes.base", "_new_Index"), ("pandas.core.indexes.base", "Index"),
    ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"), ("pandas.core.arrays.categorical", "Categorical"),
    ("pandas.core.frame", "DataFrame"),
]
OTHER = [
    ("os", "system"), ("posix", "system"), ("subprocess", "Popen"), ("subprocess", "check_output"),
    ("builtins", "eval"), ("builtins", "exec"), ("builtins", "getattr"), ("builtins", "__import__"),
    ("builtins", "open"), ("numpy", "memmap"), ("numpy.core.memmap", "memmap"), ("numpy", "save"),
    ("pickle", "loads"), ("_pickle", "loads"), ("marshal", "loads"), ("functools", "partial"),
    ("operator", "methodcaller"), ("operator", "attrgetter"), ("webbrowser", "open"),
    ("uuid", "_get_command_stdout"), ("logging.config", "dictConfig"), ("pydoc", "locate"),
    ("timeit", "timeit"), ("code", "InteractiveInterpreter"), ("collections", "Counter"),
    ("collections", "defaultdict"), ("datetime", "datetime"), ("types", "FunctionType"),
    ("joblib", "load"), ("joblib.numpy_pickle_compat", "NDArrayWrapper"), ("shutil", "rmtree"),
    ("sklearn.utils._testing", "assert_run_python_script"), ("_osx_support", "_read_output"),
    ("scipy.special._precompute.wright_bessel", "S"), ("importlib", "import_module"),
    ("numpy.lib.format", "open_memmap"), ("socket", "socket"),
    ("pandas", "read_pickle"), ("pandas", "eval"),
]
DOTTED = [
    ("joblib.numpy_pickle", "os.system"), ("joblib", "numpy_pickle.NumpyArrayWrapper"),
    ("sklearn.linear_model._logistic", "LogisticRegression.fit"),
    ("code", "InteractiveInterpreter.runsource"), ("numpy", "ndarray.tofile"),
    ("collections", "OrderedDict.fromkeys"), ("builtins", "set.__init__"),
    ("sklearn.linear_model._logistic", "LogisticRegression.__init__.__globals__"),
    ("numpy", "core.multiarray._reconstruct"), ("os", "path.join"),
]
PY2 = [("__builtin__", "set"), ("__builtin__", "eval"), ("copy_reg", "_reconstructor"),
       ("__builtin__", "getattr"), ("exceptions", "ValueError"), ("UserDict", "UserDict")]
BROKEN = [("no_such_module_jlp", "x"), ("os", "no_such_name_jlp"), ("", "x"), ("os", "")]

INT_TEXTS = ["0", "1", "00", "01", "010", "0x10", "1_0", " 8", "8 ", "-0", "+7", "017", "08",
             "123456789012345678901234567890", "-5", "0o7", "0b101"]
DUNDERS = ["__array_interface__", "__array_struct__", "__class__", "__dict__", "__reduce_ex__",
           "__setstate__", "__getattr__"]
CODES = ["u1", "i4", "<f8", ">i2", "O", "c16", "?"]


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.memo = []          # indices known to be stored
        self.proto = 2

    # -- literals
    def literal(self):
        r = self.rng
        k = r.randrange(14)
        if k == 0:
            return r.choice([pk.NONE, pk.NEWTRUE, pk.NEWFALSE, b"I01\n", b"I00\n"])
        if k == 1:
            return pk.integer(r.choice([0, 1, 255, 256, 65535, 65536, -1, 2 ** 31, -2 ** 63, 10 ** 30]))
        if k == 2:
            return pk.int_text(r.choice(INT_TEXTS))
        if k == 3:
            return b"L" + r.choice(INT_TEXTS).encode() + r.choice([b"L", b""]) + b"\n"
        if k == 4:
            return b"G" + struct.pack(">d", r.random() * 1e6)
        if k == 5:
            return b"F" + r.choice([b"1.5", b"nan", b"-inf", b"1e400", b"0x1p3", b"1_0.5"]) + b"\n"
        if k == 6:
            return pk.uni(r.choice(["", "a", "shape", "os", "system", "é", "\ud800", "x" * 300]))
        if k == 7:
            return pk.uni0(r.choice(["os", "\\u006fs", "a\\nb", "sys\\x74em"]))
        if k == 8:
            return pk.string0(r.choice(["os", "system", "abc"]))
        if k == 9:
            return pk.binstring(r.choice([b"os", b"system", b"\xff\xfe"]))
        if k == 10:
            return pk.binbytes(bytes(r.randrange(256) for _ in range(r.randrange(12))))
        if k == 11:
            return b"\x96" + struct.pack("<Q", 3) + b"abc"
        if k == 12:
            return pk.binbytes(self.nested())
        return r.choice([pk.EMPTY_TUPLE, pk.EMPTY_LIST, pk.EMPTY_DICT, pk.EMPTY_SET])

    def nested(self):
        sub = Gen(self.rng)
        return sub.program(depth=2)

    # -- names
    def name(self):
        r = self.rng
        pool = r.choices([SAFE_DATA, OTHER, DOTTED, PY2, BROKEN], weights=[40, 35, 12, 8, 5])[0]
        return r.choice(pool)

    def global_ref(self, name=None):
        r = self.rng
        mod, qn = name or self.name()
        k = r.randrange(10)
        if k < 5:
            return pk.glob(mod, qn)
        if k < 8:
            return pk.sglob(mod, qn)
        if k == 8:
            return pk.binstring(mod.encode()) + pk.binstring(qn.encode()) + pk.STACK_GLOBAL
        return pk.uni0(mod) + pk.uni0(qn) + pk.STACK_GLOBAL

    # -- memo
    def memoize(self, v):
        r = self.rng
        i = len(self.memo) if r.random() < 0.7 else r.randrange(300)
        k = r.randrange(5)
        if k == 0:
            put = pk.MEMOIZE
            i = len(self.memo)
        elif k == 1:
            put = pk.put_text(r.choice([str(i), "0%d" % i if i else "00", " %d" % i]))
        elif k == 2 and i < 256:
            put = b"q" + bytes([i])
        else:
            put = b"r" + struct.pack("<I", i)
        self.memo.append(i)
        return v + put

    def memo_get(self):
        r = self.rng
        i = r.choice(self.memo) if self.memo and r.random() < 0.9 else r.randrange(20)
        k = r.randrange(4)
        if k == 0:
            return pk.get_text(r.choice([str(i), "0%d" % i, "%d " % i]))
        if k == 1 and i < 256:
            return b"h" + bytes([i])
        return b"j" + struct.pack("<I", i)

    # -- structure
    def value(self, d=0):
        r = self.rng
        x = r.random()
        if d > 3 or x < 0.25:
            v = self.literal()
        elif x < 0.40:
            v = self.container(d)
        elif x < 0.52:
            v = self.global_ref()
        elif x < 0.74:
            v = self.call(d)
        elif x < 0.86:
            v = self.build(d)
        elif x < 0.94:
            v = self.wrapper()
        else:
            v = self.memo_get() if self.memo else self.literal()
        if r.random() < 0.15:
            v = self.memoize(v)
        return v

    def container(self, d):
        r = self.rng
        items = [self.value(d + 1) for _ in range(r.randrange(4))]
        k = r.randrange(7)
        if k == 0:
            return pk.tup(*items)
        if k == 1:
            return pk.MARK + b"".join(items) + pk.TUPLE
        if k == 2:
            return pk.lst(*items)
        if k == 3:
            return pk.MARK + b"".join(items) + pk.LIST
        if k == 4:
            keys = [self.key(d) for _ in items]
            return pk.dct(*zip(keys, items))
        if k == 5:
            return pk.EMPTY_SET + (pk.MARK + b"".join(items) + pk.ADDITEMS if items else b"")
        return pk.MARK + b"".join(items) + pk.FROZENSET

    def key(self, d):
        r = self.rng
        if r.random() < 0.2:
            return pk.uni(r.choice(DUNDERS))
        if r.random() < 0.1:
            return self.value(d + 1)
        return pk.uni(r.choice(["a", "shape", "dtype", "order", "steps", "C", "memory", "x"]))

    def args(self, d):
        return [self.value(d + 1) for _ in range(self.rng.choice([0, 1, 1, 2, 3]))]

    def callable(self, d):
        r = self.rng
        if self.memo and r.random() < 0.1:
            return self.memo_get()
        if r.random() < 0.1:
            return self.call(d + 1)       # a call's result called again (pydoc.locate...)
        return self.global_ref()

    def array(self, d):
        """A numpy array as numpy pickles it, whose items pickle.py passes as *args: strs,
        bytes, an object array of values, two dimensions, or none (0-d)."""
        r = self.rng
        k = r.randrange(5)
        if k == 2:  # an object array: _reconstruct, then BUILD with the list of its items
            items = self.args(d)
            dt = (pk.call(pk.glob("numpy", "dtype"), pk.uni("O8"), pk.NEWFALSE, pk.NEWTRUE) +
                  pk.tup(pk.integer(3), pk.uni("|"), pk.NONE, pk.NONE, pk.NONE, pk.integer(-1), pk.integer(-1),
                         pk.integer(63)) + pk.BUILD)
            return (pk.call(pk.glob("numpy.core.multiarray", "_reconstruct"), pk.glob("numpy", "ndarray"),
                            pk.tup(pk.integer(0)), pk.binbytes(b"b")) +
                    pk.tup(pk.integer(1), pk.tup(pk.integer(len(items))), dt, pk.NEWFALSE, pk.lst(*items)) + pk.BUILD)
        words = r.sample(["os", "system", "posix", "id", "/tmp/x", "numpy", "memmap", "a"], r.randrange(4))
        if k == 0:
            a = np.array(words, dtype="U8")
        elif k == 1:
            a = np.array([w.encode() for w in words], dtype="S8")
        elif k == 3:
            a = np.array(words + ["x"] * (len(words) % 2), dtype="U8").reshape(2, -1) if words else np.zeros((2, 0))
        else:
            a = np.array(r.choice(words or ["os"]))
        return pickletools.optimize(pickle.dumps(a, protocol=2))[2:-1]

    def dtype_dict(self):
        """numpy.dtype(DICT, ALIGN): a dict of fields as tests/values/gen_dtype_args.py
        makes them (numpy reads some, refuses others; object fields among them)."""
        r = self.rng
        d = gen_dtype_args.rand_dict(r)
        while gen_dtype_args.empty_nested(d):
            d = gen_dtype_args.rand_dict(r)
        body = pickletools.optimize(pickle.dumps(d, protocol=2))[2:-1]
        return pk.glob("numpy", "dtype") + pk.MARK + body + r.choice([pk.NEWTRUE, pk.NEWFALSE]) + pk.TUPLE + pk.REDUCE

    def call(self, d):
        r = self.rng
        f = self.callable(d)
        k = r.randrange(12)
        if k == 11:
            return self.dtype_dict()
        if k >= 9:  # pickle.py's *args of an array (the C unpickler refuses it)
            return f + self.array(d) + (pk.REDUCE if k == 9 else pk.NEWOBJ)
        a = self.args(d)
        if k < 4:
            return f + pk.tup(*a) + pk.REDUCE
        if k == 4:
            return f + pk.tup(*a) + pk.NEWOBJ
        if k == 5:
            kw = pk.dct(*[(pk.uni(r.choice(["mode", "shape", "x"])), self.value(d + 1))
                          for _ in range(r.randrange(2))])
            return f + pk.tup(*a) + kw + pk.NEWOBJ_EX
        if k == 6:
            mod, qn = self.name()
            return pk.MARK + b"".join(a) + pk.inst(mod, qn)
        if k == 7:
            return pk.MARK + f + b"".join(a) + pk.OBJ
        helper = r.choice([("copyreg", "__newobj__"), ("copyreg", "_reconstructor")])
        if helper[1] == "_reconstructor":
            return pk.call(pk.glob(*helper), f, self.global_ref(("builtins", "object")), self.value(d + 1))
        return pk.call(pk.glob(*helper), f, *a)

    def state(self, d):
        r = self.rng
        pairs = [(self.key(d), self.value(d + 1)) for _ in range(r.randrange(4))]
        st = pk.dct(*pairs)
        if r.random() < 0.25:
            slot = pk.dct(*[(self.key(d), self.value(d + 1)) for _ in range(r.randrange(3))])
            st = pk.tup(r.choice([st, pk.NONE]), slot)
        return st

    def build(self, d):
        obj = self.call(d) if self.rng.random() < 0.8 else self.global_ref()
        return obj + self.state(d) + pk.BUILD

    def wrapper(self):
        r = self.rng
        code = r.choice(CODES)
        n = r.choice([0, 1, 2, 8, 3])
        shape = pk.py_value((n,)) if r.random() < 0.9 else pk.int_text(r.choice(INT_TEXTS)) + pk.TUPLE1
        dtype = pk.call(pk.glob("numpy", "dtype"), pk.uni(code), pk.NEWFALSE, pk.NEWTRUE)
        pairs = [(pk.uni("subclass"), pk.glob("numpy", r.choice(["ndarray", "ndarray", "memmap"]))),
                 (pk.uni("shape"), shape), (pk.uni("order"), pk.uni(r.choice("CF"))),
                 (pk.uni("dtype"), dtype), (pk.uni("allow_mmap"), pk.NEWFALSE)]
        align = r.random() < 0.7
        if align:
            pairs.append((pk.uni("numpy_array_alignment_bytes"), pk.integer(16)))
        if r.random() < 0.15:
            pairs.append((pk.uni("shape"), pk.py_value((r.choice([0, 1]),))))
        st = pk.dct(*pairs)
        cls = self.global_ref(("joblib.numpy_pickle", "NumpyArrayWrapper"))
        k = r.randrange(4)
        if k == 0:
            w = cls + pk.EMPTY_TUPLE + pk.NEWOBJ
        elif k == 1:
            w = cls + pk.EMPTY_TUPLE + pk.EMPTY_DICT + pk.NEWOBJ_EX
        elif k == 2:
            w = pk.call(pk.glob("copyreg", "__newobj__"), cls)
        else:
            w = pk.call(cls, pk.glob("numpy", "ndarray"), pk.py_value((n,)), pk.uni("C"), dtype)
        if r.random() < 0.2:
            st = pk.tup(st, pk.dct((pk.uni("shape"), pk.py_value((r.choice([0, 1]),)))))
        payload = b""
        if align:
            p = r.choice([0, 3, 15, 16, 40])
            payload += bytes([p]) + r.choice([b"\xff", b"\x00", b"N"]) * p
        if code == "O":
            payload += self.nested()
        else:
            size = n * {"u1": 1, "i4": 4, "<f8": 8, ">i2": 2, "c16": 16, "?": 1}[code]
            payload += (pk.NONE + pk.POP) * (size // 2) + pk.NONE * (size % 2) \
                if r.random() < 0.5 else bytes(r.randrange(256) for _ in range(size))
        return w + st + pk.BUILD + payload

    def program(self, depth=0):
        r = self.rng
        p = r.choice([None, 0, 1, 2, 2, 3, 4, 4, 5])
        body = b""
        for i in range(r.randrange(1, 4)):
            body += self.value(depth)
            body += pk.POP if r.random() < 0.8 else b""
        body += self.value(depth) + pk.STOP
        out = pk.proto(p) if p is not None else b""
        if p is not None and p >= 4 and r.random() < 0.4:
            n = len(body) + r.choice([0, 0, 0, -1, 1, 5, -3])
            out += pk.frame(max(n, 0))
        return out + body


def mutate(rng, data, other):
    data = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        if not data:
            break
        k = rng.randrange(6)
        i = rng.randrange(len(data))
        if k == 0:
            data[i] = rng.randrange(256)
        elif k == 1:
            data.insert(i, rng.choice(b"(.012FGIJKLMNPQRSTUVXabcdeghijlopqrstu}])\x80\x81\x85\x86\x87"
                                      b"\x88\x89\x8a\x8c\x8e\x8f\x92\x93\x94\x95\x96"))
        elif k == 2:
            del data[i]
        elif k == 3:
            j = min(len(data), i + rng.randrange(1, 16))
            data[i:i] = data[i:j]
        elif k == 4:
            del data[i:]
        else:
            j = rng.randrange(len(other)) if other else 0
            data[i:i] = other[j:j + rng.randrange(1, 32)]
    return bytes(data)


def zf(data):
    return b"ZF" + ("0x%X" % len(data)).encode().ljust(19) + zlib.compress(data, 1)


def npy(data):
    """A .npy file of an object array: numpy.load(allow_pickle=True) unpickles data."""
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data


def container(rng, data):
    k = rng.random()
    if k < 0.68:
        return data, "pkl"
    if k < 0.72:
        return npy(data), "npy"
    import lz4.frame
    codecs = [("zlib", lambda d: zlib.compress(d, 3)), ("gzip", lambda d: gzip.compress(d, 3, mtime=0)),
              ("bz2", lambda d: bz2.compress(d, 3)),
              ("xz", lambda d: lzma.compress(d, format=lzma.FORMAT_XZ)),
              ("lzma", lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE)),
              ("lz4", lambda d: lz4.frame.compress(d)), ("zf", zf)]
    name, fn = rng.choice(codecs)
    out = fn(data)
    if rng.random() < 0.1:
        out = out[:len(out) - rng.randrange(1, 9)]
    return out, name


def make_cases(seed, n, outdir):
    rng = random.Random(seed)
    paths = []
    last = b""
    for i in range(n):
        g = Gen(rng)
        data = g.program()
        if rng.random() < 0.35:
            data = mutate(rng, data, last)
        last = data
        data, kind = container(rng, data)
        path = os.path.join(outdir, "case-%d-%05d.%s" % (seed, i, kind))
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths


# Names outside the safe list that the engine accepts as a value nobody calls: numpy.memmap
# as a joblib wrapper's subclass (SAFETY.md: joblib never calls it when it reads the
# payload). Resolving such a name without any reading calling it or giving it state may
# come with verdict safe.
VALUE_SAFE = {("numpy", "memmap"), ("numpy.core.memmap", "memmap")}


def judge(path, readings, res, run, safe):
    """The assertion's failures for one file, as strings."""
    problems = []
    if res is None:
        return ["no result from jlinspect (exit %d)" % run.status]
    unsafe_seen = []
    used = set()        # names some reading called or gave state to
    for r in readings.values():
        used |= {tuple(x) for x in r.get("called", [])} | {tuple(x[:2]) for x in r.get("state", [])}
    for reading, r in sorted(readings.items()):
        for m, n in r["resolved"]:
            if not res.has(reading, m, n):
                problems.append("%s reading resolves %s.%s, not among the scan's findings" % (reading, m, n))
            if (m, n) not in safe and not ((m, n) in VALUE_SAFE and (m, n) not in used):
                unsafe_seen.append("%s.%s (%s)" % (m, n, reading))
    if unsafe_seen and res.verdict not in ("suspicious", "dangerous"):
        problems.append("verdict %s although Python resolves %s" % (res.verdict, ", ".join(unsafe_seen[:3])))
    if problems and res.error:
        # where the scan stopped: most failures are a reader refusing what Python reads
        problems.insert(0, "the scan stopped at byte %s: %s: %s" % (
            res.error.get("offset"), res.error.get("code"), res.error.get("message")))
    return problems


def run_cases(jlinspect, python, seed, n, keep=None, findings=None, report=None):
    """Generate, read and compare n cases; call report(name, ok, detail) for each."""
    safe = rules.safe_names()
    tmp = tempfile.mkdtemp(prefix="jlp-pydiff-")
    stats = dict(cases=n, resolved=0, unsafe=0, failed=0, crashed=0)
    try:
        cdir = keep or os.path.join(tmp, "cases")
        os.makedirs(cdir, exist_ok=True)
        paths = make_cases(seed, n, cdir)
        import pyreadings
        readings, crashed = pyreadings.run_files(python, paths, seconds=3, cwd=tmp)
        stats["crashed"] = len(crashed)
        for path, status, err in crashed:
            print("pydiff: Python itself died on %s (status %s): %s" % (os.path.basename(path), status, err))
        for i in range(0, len(paths), 200):
            batch = paths[i:i + 200]
            results, run = scan.scan(jlinspect, batch, timeout=300)
            if run.status not in (0, 1, 2, 3):
                # a crash: scan the batch file by file to find who
                results = {}
                for p in batch:
                    rr, one = scan.scan(jlinspect, [p], timeout=60)
                    results.update(rr)
                    if one.status not in (0, 1, 2, 3):
                        results[p] = None
                        report("pydiff/" + os.path.basename(p), False,
                               "jlinspect exited %d: %s" % (one.status, one.stderr.strip()[-300:]))
                        stats["failed"] += 1
                        save(findings, p)
            for p in batch:
                if p not in readings or results.get(p, 0) is None:
                    continue
                rd = readings[p]
                if any(r["resolved"] for r in rd.values()):
                    stats["resolved"] += 1
                if any(tuple(x) not in safe for r in rd.values() for x in r["resolved"]):
                    stats["unsafe"] += 1
                problems = judge(p, rd, results.get(p), run, safe)
                if problems:
                    stats["failed"] += 1
                    save(findings, p)
                report("pydiff/" + os.path.basename(p), not problems, "; ".join(problems[:4]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return stats


def save(findings, path):
    if findings:
        os.makedirs(findings, exist_ok=True)
        shutil.copy(path, findings)


def run_suite(rep, jlinspect, python, n, seed, findings=None):
    stats = run_cases(jlinspect, python, seed, n, findings=findings, report=rep.case)
    print("pydiff: seed %d: %d cases, %d where Python resolved names, %d with names outside the "
          "safe list, %d failed, %d Python crashes skipped" % (
              seed, stats["cases"], stats["resolved"], stats["unsafe"], stats["failed"], stats["crashed"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="write the cases here and keep them")
    ap.add_argument("--findings", help="copy the inputs of failing cases here")
    ap.add_argument("--quiet", action="store_true", help="print failures only")
    args = ap.parse_args()
    counts = {"pass": 0, "fail": 0}
    by_finding = {}
    from check import classify

    def report(name, ok, detail):
        counts["pass" if ok else "fail"] += 1
        if not ok:
            f = classify(detail)
            by_finding[f] = by_finding.get(f, 0) + 1
        if not ok or not args.quiet:
            print("%s %s%s" % ("PASS" if ok else "FAIL", name, ": " + detail if detail else ""))
    stats = run_cases(os.path.join(args.build, "jlinspect"), args.python, args.seed, args.cases,
                      args.keep, args.findings, report)
    print("pydiff: seed %d: %d cases, %d where Python resolved names, %d with names outside the "
          "safe list, %d failed, %d Python crashes skipped" % (
              args.seed, stats["cases"], stats["resolved"], stats["unsafe"], stats["failed"], stats["crashed"]))
    if by_finding:
        print("pydiff: failures by finding: " + ", ".join(
            "%s %d" % kv for kv in sorted(by_finding.items(), key=lambda kv: -kv[1])))
    print("%d passed, %d failed" % (counts["pass"], counts["fail"]))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
