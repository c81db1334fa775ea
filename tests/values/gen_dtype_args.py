#!/usr/bin/python3
"""Write tests/values/dtype_args.txt: generated numpy.dtype(TEXT, ALIGN) arguments with
numpy's answer, the oracle of the reader's numpy.dtype (libjlpickle/numpy/descr.c).

Usage:  /usr/bin/python3 tests/values/gen_dtype_args.py [N [SEED]] > tests/values/dtype_args.txt

Each line is "ALIGN<TAB>TEXT<TAB>ANSWER": ALIGN 0 or 1, TEXT printable ASCII without tab
or backslash, ANSWER "!" when numpy refuses it, else the dtype written as
  str                         a plain dtype ("<f8", "|S5", "<M8[ns]")
  (d0,d1)BASE                 a subarray
  {name@offset:FIELD;...}SIZE a structured dtype, fields in numpy's order
The texts mix numpy's names and codes, kind + size forms (with the spaces and signs
strtol takes), byte orders, datetime units, repeat counts and shapes, comma lists, and
random edits of them (insertions, deletions, case changes), so that both what numpy
accepts and what it refuses are represented. numpy 1.24 on an LP64 little-endian host.

With --dicts it writes tests/values/dtype_dicts.txt instead: generated dict arguments
({'names', 'formats', 'offsets', 'titles', 'itemsize', 'aligned'} and the field dict
{name: (format, offset[, title])}, formats of every kind, nested dicts, object fields,
lengths, offsets and item sizes numpy refuses), one "ALIGN<TAB>HEX<TAB>ANSWER" line each,
HEX the pickled dict (protocol 2 opcodes without PROTO and STOP).
"""
import random
import sys
import warnings

import numpy as np


def canon(d):
    if d.subdtype is not None:
        base, shape = d.subdtype
        return "(%s)%s" % (",".join(str(x) for x in shape), canon(base))
    if d.names is not None:
        parts = ["%s@%d:%s" % (n, d.fields[n][1], canon(d.fields[n][0])) for n in d.names]
        return "{%s}%d" % (";".join(parts), d.itemsize)
    return d.str


def answer(text, align):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return canon(np.dtype(text, align))
        except Exception:  # numpy refuses: TypeError, ValueError, SyntaxError...
            return "!"


NAMES = sorted(k for k in np.sctypeDict if isinstance(k, str))
KINDS = "biufcSUVOMmaeEdgGhHlLqQpP?xz"
UNITS = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "generic", "x", ""]
SIZES = ["0", "1", "2", "3", "4", "5", "8", "12", "16", "24", "32", "04", "+4", " 4", "-4", "99999999999", ""]
ORDERS = ["", "", "", "<", ">", "=", "|"]


def one(rng):
    r = rng.random()
    if r < 0.3:
        t = rng.choice(NAMES)
    elif r < 0.6:
        t = rng.choice(KINDS) + rng.choice(SIZES)
    elif r < 0.75:
        t = rng.choice(["M8", "m8", "datetime64", "timedelta64"])
        if rng.random() < 0.8:
            t += "[%s%s]" % (rng.choice(["", "", "2", "10", "0"]), rng.choice(UNITS))
    else:
        t = rng.choice(KINDS[:12])
    if rng.random() < 0.4:
        t = rng.choice(ORDERS) + t
    if rng.random() < 0.25:
        rep = rng.choice(["2", "3", "1", "0", "(2,3)", "(2,)", "()", "(1,)", "2,3", "03", "(1)", " 3", "3 "])
        t = rep + t
        if rng.random() < 0.3:
            t = rng.choice(ORDERS) + t
    return t


def mutate(rng, t):
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(5)
        i = rng.randrange(len(t) + 1)
        if op == 0:
            t = t[:i] + rng.choice(" ,()[]<>|=?.0123456789abcfiOSUVMmx") + t[i:]
        elif op == 1 and t:
            t = t[:i] + t[i + 1:]
        elif op == 2:
            t = t.swapcase()
        elif op == 3:
            t = t + rng.choice([" ", ",", ", ", ",,", "  "])
        else:
            t = rng.choice([" ", ","]) + t
    return t


def texts(n, seed):
    rng = random.Random(seed)
    seen = set()
    out = []
    while len(out) < n:
        r = rng.random()
        if r < 0.45:
            t = one(rng)
        elif r < 0.75:
            t = rng.choice([",", ", ", " ,", ","]).join(one(rng) for _ in range(rng.randint(2, 4)))
        else:
            t = mutate(rng, one(rng) if rng.random() < 0.6 else ",".join(one(rng) for _ in range(2)))
        align = int(rng.random() < 0.3)
        if "\t" in t or "\\" in t or (t, align) in seen:
            continue
        seen.add((t, align))
        out.append((t, align))
    return out


# ---- dict arguments: numpy.dtype({'names': ..., 'formats': ...}) and {name: (fmt, off)} ----

DNAMES = ["a", "b", "c", "f0", "f1", "x", "", "T", "names"]
DFORMATS = ["<i4", "u1", "f8", "O", "|O", "S3", "U2", "V4", "i2", "<f2", ">i8", "M8[s]", "bool", "float64",
            "object", "bad", "2i4", "i4,O", np.float64, np.object_, np.dtype("<i4"), np.dtype("O"),
            ("i4", (2,)), ("O", 2), ("u1", ()), ("S", 4), [("p", "u1"), ("q", "O")], [("p", "<f4")], None]


def rand_format(rng, depth):
    if depth < 2 and rng.random() < 0.12:
        return rand_dict(rng, depth + 1)
    return rng.choice(DFORMATS)


def rand_dict(rng, depth=0):
    # a nested dict has fields: numpy 1.24 divides by the alignment of a nested dict of
    # none under align=True, which is 0 (a crash, SIGFPE)
    n = rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4] if depth == 0 else [1, 1, 2, 2, 3])
    names = [rng.choice(DNAMES) for _ in range(n)]
    if rng.random() < 0.05 and names:
        names[rng.randrange(n)] = rng.choice([1, b"a", None])
    if rng.random() < 0.25:  # the field dict form
        d = {}
        for nm in names:
            e = (rand_format(rng, depth), rng.choice([0, 1, 2, 4, 8, 8, 16, -1, True, 3.0]))
            if rng.random() < 0.2:
                e += (rng.choice(["T", "t2", nm, None, 5]),)
            if rng.random() < 0.03:
                e = list(e)
            d[nm if isinstance(nm, str) or nm is None else "k"] = e
        return d
    d = {"names": names if rng.random() < 0.8 else tuple(names)}
    m = n + rng.choice([0, 0, 0, 0, 0, 1, -1])
    d["formats"] = [rand_format(rng, depth) for _ in range(max(m, 0))]
    if rng.random() < 0.5:
        d["offsets"] = [rng.choice([0, 0, 1, 2, 4, 4, 8, 8, 12, 16, 24]) for _ in range(n + rng.choice([0, 0, 0, 1, -1]))]
        if rng.random() < 0.05 and d["offsets"]:
            d["offsets"][0] = rng.choice([-1, True, 2.0, 2 ** 31, "4"])
    if rng.random() < 0.25:
        d["titles"] = [rng.choice([None, None, "T", "U", "a", 7]) for _ in range(n)]
    if rng.random() < 0.3:
        d["itemsize"] = rng.choice([0, 4, 8, 12, 16, 24, 32, 40, 7, -1, True, 8.0])
    if rng.random() < 0.1:
        d["aligned"] = rng.choice([True, False, 1])
    if rng.random() < 0.05:
        d[rng.choice(["metadata", "foo"])] = {}
    if rng.random() < 0.05:
        del d["formats"]
    return d


def empty_nested(fmt, depth=0):
    """Whether a dict inside `fmt` has no fields: numpy 1.24 then divides by its
    alignment, 0 under align=True (SIGFPE), so such cases are not generated."""
    if isinstance(fmt, dict):
        if "names" in fmt and "formats" in fmt:
            fields = list(fmt["formats"])[:len(fmt["names"])] if isinstance(fmt["names"], (list, tuple)) else []
            empty = len(fields) == 0
        else:
            fields = [e[0] for k, e in fmt.items() if isinstance(e, (tuple, list)) and len(e) >= 2 and
                      not (len(e) == 3 and e[2] == k)]
            empty = len(fields) == 0
        return (depth > 0 and empty) or any(empty_nested(f, depth + 1) for f in fields)
    if isinstance(fmt, list):
        return any(empty_nested(e[1], depth + 1) for e in fmt if isinstance(e, tuple) and len(e) >= 2)
    if isinstance(fmt, tuple) and fmt:
        return empty_nested(fmt[0], depth + 1)
    return False


def dict_cases(n, seed):
    """(align, pickled argument, numpy's answer) for n generated dicts."""
    import pickle
    import pickletools
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        d = rand_dict(rng)
        align = int(rng.random() < 0.3)
        if empty_nested(d):
            continue
        body = pickletools.optimize(pickle.dumps(d, protocol=2))[2:-1]
        out.append((align, body.hex(), answer(d, align)))
    return out


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--dicts":
        # /usr/bin/python3 tests/values/gen_dtype_args.py --dicts [N [SEED]] > tests/values/dtype_dicts.txt
        # "ALIGN<TAB>HEX<TAB>ANSWER": HEX the pickled dict (protocol 2 opcodes, no PROTO/STOP)
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
        seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
        for align, hexbody, ans in dict_cases(n, seed):
            print("%d\t%s\t%s" % (align, hexbody, ans))
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    for t, align in texts(n, seed):
        print("%d\t%s\t%s" % (align, t, answer(t, align)))


if __name__ == "__main__":
    main()
