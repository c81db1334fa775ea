"""npy_check.py DIR FILE: every DIR/<n>.npy that jlload --extract wrote must open with
numpy.load and equal (dtype, shape, values) the array joblib.load(FILE) holds at the
same place. Prints "ok N arrays" or the first difference; exit status 1 on a difference."""
import json
import warnings
import sys

import joblib
import numpy as np

warnings.simplefilter("ignore")


def walk(node, path, out):
    """(pointer tokens, npy name) for every {"$npy": ...} of value.json, iteratively."""
    stack = [(node, path)]
    while stack:
        n, p = stack.pop()
        if isinstance(n, dict):
            if list(n) == ["$npy"]:
                out.append((p, n["$npy"]))
                continue
            for k, v in n.items():
                stack.append((v, p + [k]))
        elif isinstance(n, list):
            for i, v in enumerate(n):
                stack.append((v, p + [str(i)]))


Skip = object()


def native(a):
    """joblib.load turns arrays to host byte order; .npy keeps the file's."""
    return a.astype(a.dtype.newbyteorder("="))


def descr(dt):
    return np.lib.format.dtype_to_descr(dt)


def follow(obj, toks):
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in ("$tuple", "$set", "$frozenset"):
            obj = list(obj)[int(toks[i + 1])]
            i += 2
        elif t == "$dict":
            obj = list(obj.items())[int(toks[i + 1])][int(toks[i + 2])]
            i += 3
        elif t == "$object":
            what = toks[i + 1]
            if what != "state":
                return Skip
            obj = obj.__getstate__() if hasattr(obj, "__getstate__") else obj.__dict__
            if obj is None:
                raise ValueError("no state")
            i += 2
        elif t == "$ndarray":
            i += 2  # "data", then indices
            while i < len(toks) and toks[i].isdigit() and isinstance(obj, np.ndarray):
                obj = obj[int(toks[i])]
                i += 1
        elif isinstance(obj, dict):
            obj = obj[t]
            i += 1
        else:
            obj = obj[int(t)]
            i += 1
    return obj


def main():
    d, f = sys.argv[1], sys.argv[2]
    ref = joblib.load(f)
    with open(d + "/value.json", encoding="utf-8") as fp:
        value = json.load(fp)
    found = []
    skipped = 0
    walk(value, [], found)
    for toks, name in found:
        got = np.load(d + "/" + name, allow_pickle=False)
        want = follow(ref, toks)
        if want is Skip:  # $object args/items: not reachable from the Python object
            skipped += 1
            continue
        got, want = native(got), native(np.asarray(want))
        same = (descr(got.dtype) == descr(want.dtype) and got.shape == want.shape and
                (bool((got == want).all()) if got.dtype.names  # padding bytes may differ
                 else got.tobytes(order="C") == want.tobytes(order="C")))
        if not same:
            print("DIFF %s at /%s: %s%s vs %s%s" % (name, "/".join(toks), got.dtype, got.shape,
                                                   want.dtype, want.shape))
            return 1
    print("ok %d arrays, %d not reachable from Python" % (len(found) - skipped, skipped))
    return 0


sys.exit(main())
