#!/usr/bin/python3
"""views.py --driver VIEWRUN [--seed S] [--cases N] [--keep DIR] - typed views against numpy.

Makes N random arrays (seeded): every numeric dtype numpy has (bool, int8..int64,
uint8..uint64, float16/32/64, longdouble, complex64/128, clongdouble, datetime64 and
timedelta64 of several units) in both byte orders, shapes of 0 to 3 dimensions (0-d and
empty arrays too), values drawn to sit on the edges that matter (type limits, integers
near 2**24 and 2**53, float32 rounding midpoints, NaN, infinities, -0.0, subnormals,
floats just past float32's largest), stored as joblib stores them: C or Fortran order,
views (transposes, strided and reversed slices) written as their copies. One joblib file
holds them all; VIEWRUN (tests/views/viewrun.c) asks jlp_array_as for every element type,
without and with JLP_AS_ROUND, and every answer is compared with numpy:

  - the element types the rule of jlpickle.h allows for the dtype (bool and ints to any
    numeric type, floats to every type but bool, complex to complex, datetime64 and
    timedelta64 to int64 only), else BAD_TYPE with its exact message;
  - for an allowed type, RANGE with the exact message naming the first element in C
    order whose value the target cannot hold exactly (an int outside the range or not
    integral, a float that loses bits without JLP_AS_ROUND, a finite value beyond the
    target float's range even with it), else OK with exactly numpy's astype() values
    (bit for bit; NaN as NaN), the array's shape, and copied = 0 exactly when the
    array's own bytes are already native, C-ordered items of that type.

Exactness is decided on exact rational values (fractions.Fraction), never by numpy's
out-of-range casts. Prints a line per failure (at most 30 shown) and "N passed, N failed",
counting arrays (an array passes when all 26 of its views are right).
"""
import argparse
import fractions
import os
import random
import shutil
import subprocess
import sys
import tempfile
import warnings

import joblib
import numpy as np

F = fractions.Fraction

# (jlp_elem value, name in messages, numpy type, kind, bits)
TARGETS = [
    (1, "bool", np.bool_, "b", 8),
    (2, "int8", np.int8, "i", 8), (3, "int16", np.int16, "i", 16), (4, "int32", np.int32, "i", 32),
    (5, "int64", np.int64, "i", 64),
    (6, "uint8", np.uint8, "u", 8), (7, "uint16", np.uint16, "u", 16), (8, "uint32", np.uint32, "u", 32),
    (9, "uint64", np.uint64, "u", 64),
    (10, "float32", np.float32, "f", 32), (11, "float64", np.float64, "f", 64),
    (12, "complex64", np.complex64, "c", 64), (13, "complex128", np.complex128, "c", 128),
]

DTYPES = ["?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "g", "F", "D", "G",
          "M8[s]", "M8[ns]", "M8[D]", "m8[us]", "m8[h]", "m8[ms]"]


# ---- values ------------------------------------------------------------------------------

def float_pool(rnd):
    """Doubles on the edges of the conversions."""
    f32max = float(np.finfo(np.float32).max)
    ulp32max = 2.0 ** (127 - 23)
    pool = [0.0, -0.0, 1.0, -1.0, 0.5, -1.5, 2.0, 3.0, 255.0, 256.0, -128.0, -129.0, 65535.0, 65536.0,
            2.0 ** 31, -2.0 ** 31, 2.0 ** 32, 2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 63, -2.0 ** 63, 2.0 ** 64,
            2.0 ** 64 - 2048, float("nan"), float("inf"), float("-inf"), 1e-45, 5e-324, 1e-310,
            f32max, -f32max, f32max + ulp32max / 4, f32max + ulp32max / 2, f32max * 2, 1e300, 0.1, 1 / 3,
            float(np.float32(0.1)), float(np.float16(0.1)), 16777217.0, 2.0 ** 24 + 2]
    out = []
    for _ in range(8):
        r = rnd.random()
        if r < 0.4:
            out.append(rnd.choice(pool))
        elif r < 0.55:  # any double
            out.append(float(np.frombuffer(rnd.getrandbits(64).to_bytes(8, "little"), "<f8")[0]))
        elif r < 0.7:  # integral, of any size
            out.append(float(rnd.choice([1, -1]) * rnd.getrandbits(rnd.randint(1, 66))))
        elif r < 0.85:  # a float32 value, or a float32 rounding midpoint (and a hair off it)
            m = rnd.getrandbits(24) | (1 << 23)
            e = rnd.randint(-30, 40)
            x = m * 2.0 ** e
            if rnd.random() < 0.5:
                x += 2.0 ** (e - 1) * rnd.choice([1, 1, 1 + 2.0 ** -20, 1 - 2.0 ** -20])
            out.append(x * rnd.choice([1, -1]))
        else:
            out.append(rnd.uniform(-1000, 1000))
    return out


def int_pool(rnd, lo, hi):
    """Ints in [lo, hi] on the edges: limits of every narrower type, float precisions,
    float32 rounding midpoints above 2**53 (where rounding through a double differs)."""
    edges = [0, 1, -1, 2, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, 65535, 65536,
             2 ** 31 - 1, 2 ** 31, -2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 24, 2 ** 24 + 1, 2 ** 53, 2 ** 53 + 1,
             2 ** 63 - 1, -2 ** 63, 2 ** 64 - 1, 2 ** 63]
    out = []
    for _ in range(8):
        r = rnd.random()
        if r < 0.35:
            x = rnd.choice(edges)
        elif r < 0.55:
            x = rnd.randint(lo, hi)
        elif r < 0.7:
            x = rnd.randint(-3, 3)
        else:  # m * 2**e + 2**(e-1) + d: a float32 midpoint, just past it or below it
            e = rnd.randint(1, 40)
            m = rnd.getrandbits(24) | (1 << 23)
            x = (m << e) + (1 << (e - 1)) + rnd.choice([0, 1, -1, 2])
            if rnd.random() < 0.5:
                x = -x
        if lo <= x <= hi:
            out.append(x)
    return out or [0]


def make_values(rnd, dt, n):
    if n == 0:
        return np.zeros(0, dt)
    k = dt.kind
    if k == "b":
        return np.array([rnd.random() < 0.5 for _ in range(n)], dt)
    if k in "iu":
        info = np.iinfo(dt)
        pool = int_pool(rnd, int(info.min), int(info.max))
        return np.array([rnd.choice(pool) for _ in range(n)], dt)
    if k in "Mm":
        vals = [rnd.choice([np.iinfo(np.int64).min, 0, 1, -1, rnd.getrandbits(63) - (1 << 62),
                            rnd.randint(-10 ** 6, 10 ** 6)]) for _ in range(n)]
        return np.array(vals, np.int64).view(dt.newbyteorder("="))
    pool = float_pool(rnd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if k == "f":
            vals = np.array([rnd.choice(pool) for _ in range(n)], np.float64).astype(dt)
            if dt.itemsize > 8:  # longdouble: bits beyond a double, and big exact integers
                for i in range(n):
                    r = rnd.random()
                    if r < 0.3 and np.isfinite(vals[i]):
                        vals[i] = vals[i] + vals[i] * np.longdouble(2.0) ** -60
                    elif r < 0.45:
                        vals[i] = np.longdouble(rnd.getrandbits(64))
            return vals
        re = np.array([rnd.choice(pool) for _ in range(n)], np.float64)
        im = np.array([rnd.choice(pool + [0.0, 0.0]) for _ in range(n)], np.float64)
        return (re + 1j * im).astype(dt) if dt.itemsize <= 16 else \
            re.astype(np.longdouble) + 1j * im.astype(np.longdouble)


def make_array(rnd, dt):
    ndim = rnd.choice([0, 1, 1, 2, 2, 3])
    shape = tuple(rnd.choice([0, 1, 2, 3, 4]) if rnd.random() < 0.1 else rnd.randint(1, 4) for _ in range(ndim))
    n = int(np.prod(shape)) if ndim else 1
    base = make_values(rnd, dt, n).reshape(shape)
    r = rnd.random()
    if ndim >= 2 and r < 0.3:
        base = np.asfortranarray(base)
    elif ndim >= 2 and r < 0.45:  # a transposed view of a C array
        base = np.ascontiguousarray(base.T).T
    elif ndim >= 1 and r < 0.6 and base.shape[0] > 1:  # a strided view, maybe reversed
        big = make_values(rnd, dt, 2 * n).reshape((2 * shape[0],) + shape[1:])
        base = big[::2] if rnd.random() < 0.5 else big[::-2]
    order = rnd.choice("<>")
    if dt.itemsize > 1 and dt.kind != "b":
        base = base.astype(base.dtype.newbyteorder(order))
    return base


# ---- the rule --------------------------------------------------------------------------

def exact(x):
    """An element as an exact value: ('n', Fraction, negative zero) or ('nan',) or
    ('inf', sign)."""
    if isinstance(x, (bool, np.bool_, np.integer, int)):
        return ("n", F(int(x)), False)
    if np.isnan(x):
        return ("nan",)
    if np.isinf(x):
        return ("inf", 1 if x > 0 else -1)
    return ("n", F(*x.as_integer_ratio()), x == 0 and np.signbit(x))


def allowed(src_kind, tkind):
    if src_kind in "Mm":
        return tkind == "i64"
    if src_kind in "biu":
        return True
    if src_kind == "f":
        return tkind != "b"
    return tkind == "c"


def float_of(val, fl_type):
    """The nearest fl_type of an exact value (round half to even), or None when a finite
    value overflows."""
    if val[0] == "nan":
        return fl_type("nan")
    if val[0] == "inf":
        return fl_type(val[1] * float("inf"))
    q = val[1]
    info = np.finfo(fl_type)
    mant = info.nmant + 1
    if q == 0:
        return fl_type(-0.0 if val[2] else 0.0)
    a = abs(q)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if F(2) ** e > a:
        e -= 1
    # a in [2**e, 2**(e+1)); the step of fl_type there (subnormals keep the smallest)
    step_e = max(e, int(info.minexp)) - (mant - 1)
    step = F(2) ** step_e
    k = a / step
    n = k.numerator // k.denominator
    rem = k - n
    if rem > F(1, 2) or (rem == F(1, 2) and n % 2 == 1):
        n += 1
    r = n * step
    if r > F(*float(info.max).as_integer_ratio()):
        return None
    return fl_type(float(r) if q > 0 else -float(r))


def element(val, tkind, bits, ttype, rnd_ok):
    """The converted element, or None when it does not fit exactly under the rule."""
    if tkind in ("b", "i", "u", "i64"):
        if val[0] != "n" or val[1].denominator != 1:
            return None
        v = val[1].numerator
        if tkind == "b":
            lo, hi = 0, 1
        elif tkind in ("i", "i64"):
            lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        else:
            lo, hi = 0, (1 << bits) - 1
        return v if lo <= v <= hi else None
    fl = np.float32 if (tkind == "f" and bits == 32) or (tkind == "c" and bits == 64) else np.float64
    y = float_of(val, fl)
    if y is None:
        return None
    if not rnd_ok and val[0] == "n" and F(*float(y).as_integer_ratio()) != val[1]:
        return None
    return y


_EXACT = {}


def exact_elements(a):
    """The array's elements in C order, each a list of exact values (two for complex)."""
    key = id(a)
    if key not in _EXACT:
        if a.dtype.kind in "Mm":
            ints = a.astype(a.dtype.newbyteorder("=")).view(np.int64).ravel(order="C")
            _EXACT[key] = [[("n", F(int(x)), False)] for x in ints]
        elif a.dtype.kind == "c":
            _EXACT[key] = [[exact(x.real), exact(x.imag)] for x in a.ravel(order="C")]
        else:
            _EXACT[key] = [[exact(x)] for x in a.ravel(order="C")]
    return _EXACT[key]


def expected(a, t, rnd_ok):
    """('BAD_TYPE', msg) | ('RANGE', msg) | ('OK', bytes, shape)."""
    code, name, ttype, tk, bits = t
    dt = a.dtype
    tkind = "i64" if code == 5 else tk
    if not allowed(dt.kind, tkind):
        return ("BAD_TYPE", "a %s array has no %s view" % (dt.str, name))
    out = []
    for i, vals in enumerate(exact_elements(a)):
        if tk == "c" and len(vals) == 1:
            vals = vals + [("n", F(0), False)]
        got = [element(v, tkind, bits, ttype, rnd_ok) for v in vals]
        if any(g is None for g in got):
            return ("RANGE", "array: element %d does not fit %s exactly%s" %
                    (i, name, "" if rnd_ok else " (JLP_AS_ROUND rounds floats)"))
        out.append(got)
    if tk == "c":
        part = np.float32 if code == 12 else np.float64
        arr = np.array([[part(g[0]), part(g[1])] for g in out], part).reshape(-1)
    elif tk == "f":
        arr = np.array([g[0] for g in out], ttype)
    else:
        arr = np.array([int(g[0]) for g in out], ttype)
    return ("OK", arr, a.shape)


def numpy_agrees(a, t, arr):
    """numpy's own astype gives the same elements (where the rule says they convert)."""
    code, name, ttype, tk, bits = t
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src = a.ravel(order="C")
        if a.dtype.kind in "Mm":
            src = src.astype(src.dtype.newbyteorder("=")).view(np.int64)
        np_arr = src.astype(ttype)
    if tk == "c":
        np_arr = np_arr.view(np.float32 if code == 12 else np.float64)
    return same_bits(np_arr, arr)


def same_bits(x, y):
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    if x.dtype.kind == "f":
        nx, ny = np.isnan(x), np.isnan(y)
        if not np.array_equal(nx, ny):
            return False
        x, y = x[~nx], y[~ny]
    return x.tobytes() == y.tobytes()


# ---- the run -----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--keep", help="keep the joblib file and the driver's output in this directory")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    arrays = []
    for _ in range(args.cases):
        base = rnd.choice(DTYPES)
        arrays.append(make_array(rnd, np.dtype(base)))
    work = args.keep or tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "views.joblib")
    joblib.dump(arrays, path)
    p = subprocess.run([args.driver, path], capture_output=True, text=True)
    if p.returncode:
        print("FAIL driver exit %d: %s" % (p.returncode, p.stderr.strip()))
        print("0 passed, 1 failed")
        return 1
    if args.keep:
        with open(os.path.join(work, "views.out"), "w") as f:
            f.write(p.stdout)
    else:
        shutil.rmtree(work)
    lines = p.stdout.splitlines()
    bad = set()  # arrays with a wrong view: each array counts once, passed or failed
    driver_failed = 0
    shown = 0
    want_lines = len(arrays) * len(TARGETS) * 2
    if len(lines) != want_lines:
        print("FAIL %d lines from the driver, expected %d" % (len(lines), want_lines))
        driver_failed = 1
    counts = {"OK": 0, "RANGE": 0, "BAD_TYPE": 0, "copied": 0, "zero-copy": 0}
    for line in lines:
        i, tcode, r, rest = line.split(" ", 3)
        i, tcode, r = int(i), int(tcode), int(r)
        a, t = arrays[i], TARGETS[tcode - 1]
        code, _, payload = rest.partition(" ")
        want = expected(a, t, r == 1)
        why = None
        if code != want[0]:
            why = "%s, expected %s" % (rest[:200], want[0] if want[0] == "OK" else "%s %s" % want)
        elif code != "OK":
            if payload != want[1]:
                why = "message %r, expected %r" % (payload, want[1])
        else:
            copied, shape_s, hexs = payload.split(" ")
            shape = () if shape_s == "-" else tuple(int(s) for s in shape_s.split(","))
            arr = want[1]
            got = np.frombuffer(bytes.fromhex("" if hexs == "-" else hexs), arr.dtype)
            native = a.dtype.isnative or a.dtype.itemsize == 1
            same = native and (
                (tcode == 1 and a.dtype.kind == "b") or
                (a.dtype.kind == t[3] and a.dtype.itemsize * 8 == t[4] and t[3] in "iufc") or
                (tcode == 5 and a.dtype.kind in "Mm"))
            c_order = a.flags.c_contiguous or not a.flags.f_contiguous
            want_copied = "0" if same and c_order else "1"
            if shape != want[2]:
                why = "shape %s, expected %s" % (shape, want[2])
            elif not same_bits(got, arr):
                why = "elements %s, expected %s" % (got[:8], arr[:8])
            elif copied != want_copied:
                why = "copied %s, expected %s" % (copied, want_copied)
            elif not numpy_agrees(a, t, arr):
                why = "the rule's values differ from numpy's astype: %s" % (arr[:8],)
            counts["copied" if copied == "1" else "zero-copy"] += 1
        counts[code] = counts.get(code, 0) + 1
        if why:
            bad.add(i)
            if shown < 30:
                shown += 1
                print("FAIL array %d (%s, shape %s, %s order) as %s%s: %s" % (
                    i, a.dtype.str, a.shape, "C" if a.flags.c_contiguous else "F", t[1],
                    " ROUND" if r else "", why))
                print("     values %s" % (a.ravel(order="C")[:6],))
    print("%d arrays, %d views: %d OK (%d zero-copy, %d converted), %d RANGE, %d BAD_TYPE" % (
        len(arrays), len(lines), counts["OK"], counts["zero-copy"], counts["copied"], counts["RANGE"],
        counts["BAD_TYPE"]))
    failed = len(bad) + driver_failed
    print("%d passed, %d failed" % (len(arrays) - len(bad), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
