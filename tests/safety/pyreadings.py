#!/usr/bin/python3
"""Load files the way each Python loader would, and record what they resolve and call.

    /usr/bin/python3 tests/safety/pyreadings.py FILE...      one JSON object per line

The readings of libjlpickle's scan contract (SCAN-CONTRACT.md section 2):

  joblib         joblib.load (joblib >= 0.10 files: pickle._Unpickler with NumpyUnpickler's
                 wrapper logic; object-array payloads read by the C pickle.load)
  joblib-compat  joblib.load of a ZF file (<= 0.9): numpy_pickle_compat's ZipNumpyUnpickler
  pickle         pickle.load, the C unpickler
  pickle-py      pickle._Unpickler, the pure-Python unpickler
  numpy          numpy.load(allow_pickle=True) of a .npy file
  torch          torch.load of a PyTorch checkpoint (a zip with data.pkl, or the legacy
                 sequence of pickles): torch's own find_class (storage names are dtype
                 tags) and persistent_load, names resolved through the recorder; a
                 TorchScript archive is reported as an effect (torch.load hands it to
                 torch.jit.load, which runs its code); not a reading the scan reports

Nothing a file names is run. Every find_class goes through Python's own find_class (so
the module is imported, Python 2 names are renamed and dotted qualnames are walked
exactly as Python does), but what comes back is an inert stand-in class that records
being called, built (NEWOBJ), given state (BUILD) or items; only a small set of
data-only names (numpy's array reconstruction, joblib's wrappers, builtin containers)
returns the real object, so that joblib reads array payloads as it really does. An audit
hook (PEP 578) blocks, and reports, any process, file-write, network or other effect, and
any find_class that did not come through the recorder; the process runs under memory and
CPU limits.

Each result: {"file", "readings": {R: {"resolved": [[module, name], ...],
"called": [[module, name], ...], "state": [[module, name, key], ...],
"effects": [event, ...], "error": null | "Type: message"}}}; "resolved" is in the order
Python resolved the names (repeats kept out), after Python's own renaming.
"""
import _compat_pickle
import contextlib
import io
import json
import os
import pickle
import resource
import signal
import sys
import threading
import warnings

warnings.filterwarnings("ignore")

import joblib  # noqa: E402
import numpy  # noqa: E402
from joblib import numpy_pickle, numpy_pickle_compat  # noqa: E402
import numpy.lib.format  # noqa: E402

READINGS = ("joblib", "joblib-compat", "pickle", "pickle-py", "numpy", "torch")

# Names whose real object is returned: data only, needed for joblib's payload logic and
# numpy's array reconstruction to behave as they really do.
REAL = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.ma.core", "MaskedArray"), ("numpy.ma.core", "_mareconstruct"),
    ("numpy", "matrix"), ("numpy.matrixlib.defmatrix", "matrix"),
    ("joblib.numpy_pickle", "NumpyArrayWrapper"), ("joblib.numpy_pickle", "NDArrayWrapper"),
    ("joblib.numpy_pickle_compat", "NDArrayWrapper"), ("joblib.numpy_pickle_compat", "ZNDArrayWrapper"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "bytearray"),
    ("builtins", "bytes"), ("builtins", "complex"), ("builtins", "list"), ("builtins", "dict"),
    ("builtins", "tuple"), ("builtins", "int"), ("builtins", "float"), ("builtins", "str"),
    ("builtins", "bool"), ("builtins", "object"), ("collections", "OrderedDict"),
    ("_codecs", "encode"), ("copyreg", "_reconstructor"),
    # cls.__new__(cls, *args): a real class (a joblib wrapper) is really built, a
    # stand-in records its call
    ("copyreg", "__newobj__"), ("copyreg", "__newobj_ex__"),
}

PREIMPORT = ("sklearn", "sklearn.base", "sklearn.linear_model", "sklearn.pipeline",
             "sklearn.utils", "scipy.sparse", "scipy.stats", "numpy.random", "collections",
             "datetime", "decimal", "fractions", "uuid", "logging.config", "pydoc", "timeit",
             "code", "webbrowser", "subprocess", "socket", "shutil", "importlib", "marshal",
             "operator", "functools", "types")


class Recorder:
    """What one reading of one file did."""

    def __init__(self):
        self.resolved, self.called, self.state, self.effects = [], [], [], []
        self.error = None

    def add(self, lst, item):
        if item not in lst:
            lst.append(item)

    def as_json(self):
        return {"resolved": self.resolved, "called": self.called, "state": self.state,
                "effects": self.effects, "error": self.error}


CURRENT = threading.local()


def current():
    return getattr(CURRENT, "rec", None)


def _record_state(name, state):
    rec = current()
    if rec is None:
        return
    # (state, slotstate), and the dicts of other tuples: Cython's __set_state updates
    # __dict__ from the item after its fields, pandas' NDArrayBacked setattr()s its third
    parts = state if isinstance(state, tuple) else (state,)
    for part in parts:
        if isinstance(part, dict):
            for k in part:
                rec.add(rec.state, list(name) + [str(k)])


def _record_item(name, key):
    rec = current()
    if rec is not None:
        rec.add(rec.state, list(name) + [key if isinstance(key, str) else "[%s]" % type(key).__name__])


class _Both:
    """A method that works on a stand-in instance and on the stand-in class itself (a
    find_class result may be used as a dict, a list or an object: BUILD, SETITEMS and
    APPENDS reach it as a class)."""

    def __init__(self, fn):
        self.fn = fn

    def __get__(self, obj, cls):
        target = obj if obj is not None else cls
        return lambda *args: self.fn(target, *args)


class InertMeta(type):
    def __setitem__(cls, k, v):
        _record_item(cls._jlp_name, k)

    def __getitem__(cls, k):
        return cls


class Inert(metaclass=InertMeta):
    """Base of the stand-ins: accepts anything, records calls, state and items."""
    _jlp_name = ("?", "?")

    def __new__(cls, *args, **kwargs):
        rec = current()
        if rec is not None:
            rec.add(rec.called, list(cls._jlp_name))
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    @_Both
    def __setstate__(self, state):
        _record_state(self._jlp_name, state)

    def __setitem__(self, k, v):
        _record_item(self._jlp_name, k)

    @_Both
    def append(self, v):
        pass

    @_Both
    def extend(self, v):
        pass

    @_Both
    def add(self, v):
        pass

    def __call__(self, *args, **kwargs):
        rec = current()
        if rec is not None:
            rec.add(rec.called, list(self._jlp_name) + ["()"])
        return self


_standins = {}


def standin(module, name):
    key = (module, name)
    if key not in _standins:
        _standins[key] = type("Inert_" + name.replace(".", "_")[:40], (Inert,), {"_jlp_name": key})
    return _standins[key]


def _walk(obj, dotted):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def resolved_name(module, name, obj):
    """The (module, name) Python really looked up for find_class(module, name): the
    Python-2 renaming applies only to streams below protocol 3, which the C unpickler
    does not tell; the name whose object is the one returned is the one looked up."""
    mapped = (module, name)
    if (module, name) in _compat_pickle.NAME_MAPPING:
        mapped = _compat_pickle.NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.IMPORT_MAPPING:
        mapped = (_compat_pickle.IMPORT_MAPPING[module], name)
    if mapped == (module, name):
        return mapped
    raw_mod = sys.modules.get(module)
    if raw_mod is not None:
        try:
            if _walk(raw_mod, name) is obj:
                return (module, name)
        except Exception:
            pass
    return mapped


ALLOW_FIND_CLASS = threading.local()

_REAL_IDS = None


def real_ids():
    """The objects of REAL, however a pickle reaches them (a dotted qualname such as
    joblib + numpy_pickle.NumpyArrayWrapper is the same class to Python)."""
    global _REAL_IDS
    if _REAL_IDS is None:
        import importlib
        ids = set()
        for m, n in REAL:
            try:
                ids.add(id(_walk(importlib.import_module(m), n)))
            except Exception:
                pass
        _REAL_IDS = ids
    return _REAL_IDS


# pandas' unpickling helpers build the class they are given (_new_Index(cls, d) is
# cls.__new__(cls, **d); _new_DatetimeIndex calls cls._simple_new or cls.__new__,
# _new_IntervalIndex cls.from_arrays, _new_PeriodIndex cls._simple_new or cls(...);
# Cython's __pyx_unpickle_NDArrayBacked(cls, checksum, state) cls.__new__(cls), then
# sets the state). Their model records the helper's call and builds the class as the
# helper would, so that a stand-in class records its own call and state.
PANDAS_BUILDERS = {
    ("pandas.core.indexes.base", "_new_Index"), ("pandas.core.indexes.datetimes", "_new_DatetimeIndex"),
    ("pandas.core.indexes.interval", "_new_IntervalIndex"), ("pandas.core.indexes.period", "_new_PeriodIndex"),
    ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"),
}


def _pandas_builder(key):
    def model(cls, *args, **kwargs):
        rec = current()
        if rec is not None:
            rec.add(rec.called, list(key))
        if not isinstance(cls, type):
            # issubclass(cls, ...) / cls.__new__(cls) of a non-class fail before any call
            raise TypeError("%s.%s: the class argument is not a class" % key)
        obj = cls.__new__(cls)
        if key[1] == "__pyx_unpickle_NDArrayBacked" and len(args) >= 2 and args[1] is not None:
            _record_state(getattr(cls, "_jlp_name", key), args[1])
        return obj
    return model


# Functions of other libraries that call the class they are given with the pickle's
# arguments (astropy's _recreate_irreducible_unit(cls, names, registered) is cls(names)
# for a unit its registry lacks): their model records the call and calls the class, so
# that a stand-in class records its own call.
CLASS_CALLERS = {("astropy.units.core", "_recreate_irreducible_unit")}


def _class_caller(key):
    def model(cls, names, *rest):
        rec = current()
        if rec is not None:
            rec.add(rec.called, list(key))
        return cls(names)
    return model


def recording_find_class(base_find_class, self, module, name):
    rec = current()
    ALLOW_FIND_CLASS.on = True
    try:
        obj = base_find_class(self, module, name)
    finally:
        ALLOW_FIND_CLASS.on = False
    m, n = resolved_name(module, name, obj)
    if rec is not None:
        rec.add(rec.resolved, [m, n])
    if (m, n) in REAL or id(obj) in real_ids():
        return obj
    if (m, n) in PANDAS_BUILDERS:
        return _pandas_builder((m, n))
    if (m, n) in CLASS_CALLERS:
        return _class_caller((m, n))
    return standin(m, n)


real_ids()


class CUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        return recording_find_class(pickle.Unpickler.find_class, self, module, name)


class PyUnpickler(pickle._Unpickler):
    def find_class(self, module, name):
        return recording_find_class(pickle._Unpickler.find_class, self, module, name)


class JoblibUnpickler(numpy_pickle.NumpyUnpickler):
    def find_class(self, module, name):
        return recording_find_class(pickle._Unpickler.find_class, self, module, name)


class CompatUnpickler(numpy_pickle_compat.ZipNumpyUnpickler):
    def find_class(self, module, name):
        return recording_find_class(pickle._Unpickler.find_class, self, module, name)


class _PickleShim:
    """Stands in for the pickle module inside joblib and numpy: their nested loads
    (object-array payloads, .npy object arrays) go through the recording C unpickler."""

    def __getattr__(self, attr):
        return getattr(pickle, attr)

    @staticmethod
    def load(f, **kwargs):
        return CUnpickler(f, **kwargs).load()

    @staticmethod
    def loads(data, **kwargs):
        return CUnpickler(io.BytesIO(data), **kwargs).load()


numpy_pickle.NumpyUnpickler = JoblibUnpickler
numpy_pickle_compat.ZipNumpyUnpickler = CompatUnpickler
numpy_pickle.pickle = _PickleShim()
numpy.lib.format.pickle = _PickleShim()


# ---- effects -------------------------------------------------------------------------------

EFFECTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
           "os.forkpty", "os.kill", "os.killpg", "socket.", "webbrowser.open", "os.remove",
           "os.rename", "os.mkdir", "os.rmdir", "os.chmod", "os.chown", "os.link", "os.symlink",
           "os.truncate", "shutil.", "ctypes.", "sys.settrace", "sys.setprofile",
           "sys.addaudithook", "mmap.__new__")
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def audit(event, args):
    rec = current()
    if rec is None:
        return
    blocked = False
    if event == "pickle.find_class":
        blocked = not getattr(ALLOW_FIND_CLASS, "on", False)
    elif event == "open":
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        blocked = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
            (isinstance(flags, int) and bool(flags & WRITE))
    elif event == "import":
        blocked = False
    else:
        blocked = any(event == e or (e.endswith(".") and event.startswith(e)) for e in EFFECTS)
    if blocked:
        rec.add(rec.effects, event)
        raise PermissionError("pyreadings blocked %s" % event)


# ---- readings ------------------------------------------------------------------------------

class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout("reading took too long")


@contextlib.contextmanager
def reading(rec, seconds):
    CURRENT.rec = rec
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            yield
    except BaseException as e:  # any failure of the loader is part of the result
        if isinstance(e, KeyboardInterrupt):
            raise
        rec.error = "%s: %s" % (type(e).__name__, str(e).split("\n")[0][:200])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        CURRENT.rec = None


def is_zf(path):
    with open(path, "rb") as f:
        return f.read(2) == b"ZF"


def is_npy(path):
    with open(path, "rb") as f:
        return f.read(6) == b"\x93NUMPY"


def torch_kind(path):
    """'zip' or 'legacy' when torch.load would read path as a checkpoint, else None."""
    import zipfile
    with open(path, "rb") as f:
        head = f.read(16)
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as z:
                return "zip" if any(n.endswith("/data.pkl") or n == "data.pkl" for n in z.namelist()) else None
        except zipfile.BadZipFile:
            return None
    # the legacy format starts with the pickled magic number 0x1950a86a20f9469cfc6c
    return "legacy" if head.startswith(b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19") else None


def read_torch(path, rec):
    # torch's own import (native libraries, threads) is not the file's doing: imported
    # with the recorder off, only when a checkpoint is met
    CURRENT.rec = None
    try:
        import torch
    finally:
        CURRENT.rec = rec
    real = pickle.Unpickler

    class Recording(real):
        def find_class(self, module, name):
            return recording_find_class(real.find_class, self, module, name)
    import zipfile
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            if any(n.endswith("constants.pkl") for n in z.namelist()):
                rec.add(rec.effects, "torch.jit.load")    # TorchScript: its code would run
                return
    pickle.Unpickler = Recording      # torch.load subclasses pickle.Unpickler when called
    try:
        torch.load(path, map_location="cpu")
    finally:
        pickle.Unpickler = real


def read_all(path, seconds=5.0, readings=READINGS):
    out = {}
    if ("joblib" in readings or "joblib-compat" in readings) and not torch_kind(path) == "zip":
        name = "joblib-compat" if is_zf(path) else "joblib"
        rec = Recorder()
        with reading(rec, seconds):
            joblib.load(path)
        out[name] = rec.as_json()
    if "pickle" in readings:
        rec = Recorder()
        with reading(rec, seconds), open(path, "rb") as f:
            CUnpickler(f).load()     # a real file: the C unpickler reads frames from it
        out["pickle"] = rec.as_json()
    if "pickle-py" in readings:
        rec = Recorder()
        with reading(rec, seconds), open(path, "rb") as f:
            PyUnpickler(f).load()
        out["pickle-py"] = rec.as_json()
    if "torch" in readings and torch_kind(path):
        rec = Recorder()
        with reading(rec, seconds * 4):
            read_torch(path, rec)
        out["torch"] = rec.as_json()
    if "numpy" in readings and is_npy(path):
        rec = Recorder()
        with reading(rec, seconds):
            numpy.load(path, allow_pickle=True)
        out["numpy"] = rec.as_json()
    return out


def run_files(python, paths, seconds=5.0, mem_mib=2048, cwd=None):
    """Read paths in child processes: ({path: readings}, [(path, exit status, stderr)]).
    A file that kills the child (a segfault in numpy, a limit) is reported and the
    rest are read by a new child."""
    import subprocess
    import tempfile
    out, crashed = {}, []
    todo = list(paths)
    with tempfile.TemporaryDirectory(prefix="jlp-pyreadings-") as tmp:
        while todo:
            lst = os.path.join(tmp, "list")
            with open(lst, "w") as f:
                f.write("\n".join(todo) + "\n")
            proc = subprocess.run([python, os.path.abspath(__file__), "--list", lst,
                                   "--seconds", str(seconds), "--mem", str(mem_mib)],
                                  capture_output=True, text=True, cwd=cwd or tmp)
            done = 0
            for line in proc.stdout.splitlines():
                try:
                    res = json.loads(line)
                except ValueError:
                    break
                out[res["file"]] = res["readings"]
                done += 1
            if done >= len(todo):
                break
            crashed.append((todo[done], proc.returncode, proc.stderr.strip()[-300:]))
            todo = todo[done + 1:]
    return out, crashed


def limit_resources(mem_bytes=2 << 30, cpu_seconds=600):
    resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, hard))


def main(argv):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*")
    ap.add_argument("--list", help="read file names from this file, one a line")
    ap.add_argument("--seconds", type=float, default=5.0, help="per reading")
    ap.add_argument("--mem", type=int, default=2048, help="MiB of address space")
    args = ap.parse_args(argv)
    files = list(args.files)
    if args.list:
        with open(args.list) as f:
            files += [line.rstrip("\n") for line in f if line.strip()]
    limit_resources(args.mem << 20)
    sys.setrecursionlimit(10000)
    # the packages pickles name most, imported before the hook so that their own import
    # work (environment, ctypes, threads) is not taken for a file's effects
    for name in PREIMPORT:
        try:
            __import__(name)
        except ImportError:
            pass
    if any(torch_kind(path) for path in files if os.path.isfile(path)):
        import torch  # noqa: F401  (its import is not a file's doing)
        import torch._utils  # noqa: F401
    sys.addaudithook(audit)
    for path in files:
        res = {"file": path, "readings": read_all(path, args.seconds)}
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
