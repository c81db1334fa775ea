"""The safe list: every global that real scikit-learn, numpy and scipy pickles name.

Each object of rulegen.instances is pickled with protocols 0, 1, 2 and 5 and dumped
with joblib (protocols 0 and 1 write a class instance as copyreg._reconstructor(cls,
builtins.object, None), names the others never write); the pickles are read back by Python's own unpicklers (pickle._Unpickler and
joblib's NumpyUnpickler) with a find_class that records each (module, name) it is asked
for, after Python's own Python-2 renaming. These are our own objects, so reading them
back is harmless.

A harvested name becomes a SAFE rule only after review (gen_rules.py): the walk must not
find it dangerous, and its reason says what kind of thing it is and what was checked.
"""
import _compat_pickle
import builtins
import io
import os
import pickle
import tempfile
import warnings

import joblib
from joblib import numpy_pickle

from . import instances


def _renamed(unpickler, module, name):
    """The name Python 3 looks up (pickle.py's own renaming of Python 2 names)."""
    if unpickler.proto < 3 and unpickler.fix_imports:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            return _compat_pickle.NAME_MAPPING[(module, name)]
        if module in _compat_pickle.IMPORT_MAPPING:
            return _compat_pickle.IMPORT_MAPPING[module], name
    return module, name


def _recording_find_class(unpickler, base, module, name):
    """Record the global; getattr(obj, "name") (how pickle writes a bound method) is also
    recorded as the method it returns, "module:Class.name" of obj's class, since that is
    what a later REDUCE calls."""
    seen = unpickler._seen
    seen.add(_renamed(unpickler, module, name))
    obj = base(unpickler, module, name)
    if obj is getattr:
        def recording_getattr(target, attr, *default):
            cls = target if isinstance(target, type) else type(target)
            seen.add((cls.__module__, "%s.%s" % (cls.__qualname__, attr)))
            return builtins.getattr(target, attr, *default)
        return recording_getattr
    return obj


class _Recording(pickle._Unpickler):
    def __init__(self, f, seen):
        super().__init__(f)
        self._seen = seen

    def find_class(self, module, name):
        return _recording_find_class(self, pickle._Unpickler.find_class, module, name)


class _JoblibRecording(numpy_pickle.NumpyUnpickler):
    def __init__(self, filename, fobj, seen):
        super().__init__(filename, fobj)
        self._seen = seen

    def find_class(self, module, name):
        return _recording_find_class(self, pickle._Unpickler.find_class, module, name)


def names_of_pickle(data):
    seen = set()
    _Recording(io.BytesIO(data), seen).load()
    return seen


def names_of_joblib(obj, tmpdir):
    path = os.path.join(tmpdir, "h.joblib")
    joblib.dump(obj, path, compress=0)
    seen = set()
    with open(path, "rb") as f:
        _JoblibRecording(path, f, seen).load()
    return seen


def memmap_names(tmpdir):
    """A numpy.memmap dumped with joblib names the class as the wrapper's subclass."""
    import numpy as np
    path = os.path.join(tmpdir, "m.dat")
    mm = np.memmap(path, dtype="f8", mode="w+", shape=(4,))
    mm[:] = 1.5
    mm.flush()
    return names_of_joblib(np.memmap(path, dtype="f8", mode="r", shape=(4,)), tmpdir)


def harvest(log, objects=None):
    """{(module, name): sorted list of object names whose pickles name it}."""
    found = {}
    built = failed = 0
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for oname, factory in objects or instances.benign_objects():
            try:
                obj = factory()
            except instances.Unbuildable as e:
                failed += 1
                log("harvest: %s not built: %s" % (oname, e))
                continue
            built += 1
            names = set()
            for proto in (0, 1, 2, 5):
                try:
                    data = pickle.dumps(obj, protocol=proto)
                except (TypeError, pickle.PicklingError) as e:
                    if proto >= 2:
                        raise
                    # copyreg's protocol 0/1 reduction refuses some objects (__slots__
                    # without __getstate__, objects of C types without __reduce__)
                    log("harvest: %s not picklable with protocol %d: %s" % (oname, proto, e))
                    continue
                names |= names_of_pickle(data)
            names |= names_of_joblib(obj, tmp)
            for n in names:
                found.setdefault(n, []).append(oname)
        for n in memmap_names(tmp):
            found.setdefault(n, []).append("joblib_memmap")
    log("harvest: %d objects pickled, %d not buildable, %d names" % (built, failed, len(found)))
    return {k: sorted(v) for k, v in found.items()}
