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


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    for t, align in texts(n, seed):
        print("%d\t%s\t%s" % (align, t, answer(t, align)))


if __name__ == "__main__":
    main()
