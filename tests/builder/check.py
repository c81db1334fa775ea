#!/usr/bin/python3
"""check.py PROGRAM WORKDIR - what the newer constructors write, loaded by Python.

Runs PROGRAM (tests/builder/write.c) into WORKDIR, then loads each file with Python's
C and pure-Python unpicklers (pickle.load, pickle._load) and checks the values:
persistent ids reach persistent_load with their value, extension codes resolve through
copyreg's registry, NEWOBJ_EX passes its keyword arguments to __new__ (protocol 4 and
5; copyreg.__newobj_ex__ below), a Fortran-ordered object array loads Fortran-ordered
with its elements in place, edited attributes are what the program left. Prints one
line per file and "N passed, N failed" last.
"""
import copyreg
import io
import os
import pickle
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import builder_classes as bc  # noqa: E402

copyreg.add_extension("builder_classes", "E1", 300)
copyreg.add_extension("builder_classes", "E2", 70000)


def load(data, pure):
    cls = pickle._Unpickler if pure else pickle.Unpickler

    class U(cls):
        def persistent_load(self, pid):
            return ("P", pid)

    return U(io.BytesIO(data)).load()


def expect(name, proto, v):
    """None when `v` is what the file `name` at `proto` must hold, else why not."""
    if name == "persid":
        want = [("P", "blob-1"), 3] if proto == 0 else [("P", "blob-1"), ("P", 7), 3]
        return None if v == want else "got %r" % (v,)
    if name == "ext":
        return None if v == [bc.E1, bc.E2] else "got %r" % (v,)
    if name == "newobj_ex":
        if type(v) is not bc.C or v.new_args != (1,) or v.new_kwargs != {"k": 2} or v.x != 5:
            return "got %r with %r" % (v, getattr(v, "__dict__", None))
        return None
    if name == "objarr_f":
        want = np.array([[1, "a"], [None, 2.5]], dtype=object)
        if not isinstance(v, np.ndarray) or v.dtype != object or v.shape != (2, 2):
            return "got %r" % (v,)
        if not (v.flags.f_contiguous and not v.flags.c_contiguous) or v.tolist() != want.tolist():
            return "got %r, F-contiguous %s" % (v.tolist(), v.flags.f_contiguous)
        return None
    if name == "attrs":
        return None if type(v) is bc.D and v.__dict__ == {"kept": "yes", "n": 2} else "got %r" % (v.__dict__,)
    return "unknown file"


def main():
    program, work = sys.argv[1], sys.argv[2]
    p = subprocess.run([program, work], capture_output=True, text=True)
    passed = failed = 0
    if p.returncode:
        print("FAIL %s: exit status %d: %s" % (program, p.returncode, p.stderr.strip()))
        failed += 1
    for path in p.stdout.split():
        base = os.path.basename(path)[:-len(".pkl")]
        name, proto = base.rsplit("_p", 1)
        with open(path, "rb") as f:
            data = f.read()
        for pure in (False, True):
            try:
                why = expect(name, int(proto), load(data, pure))
            except Exception as e:  # noqa: BLE001 - any failure to load is the finding
                why = "%s: %s" % (type(e).__name__, e)
            label = "%s (%s unpickler)" % (os.path.basename(path), "pure-Python" if pure else "C")
            if why:
                failed += 1
                print("FAIL %s: %s" % (label, why))
            else:
                passed += 1
                print("ok   %s" % label)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
