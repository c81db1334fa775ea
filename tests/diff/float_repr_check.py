#!/usr/bin/python3
"""jlp_float_repr against Python's repr(float), at random.

Doubles of every kind a shortest-digits algorithm can get wrong: random bit patterns,
random short decimals (the values people type), every power of two and of ten and
their neighbours, subnormals (the smallest ones one by one), the boundaries where repr
changes form (1e16, 1e-4) or integers stop being exact (2**53), doubles next to decimal
ties, and negatives of all. Each is sent to the C side (tests/diffrun, command R) as its
64 bits; its answer must be exactly repr(). Ends with "N passed, N failed".

Run: float_repr_check.py --driver build/tests/diffrun [--seed S] [--cases N]
"""
import argparse
import math
import random
import struct
import subprocess
import sys

BATCH = 256


def bits_of(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def of_bits(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def neighbours(x, span):
    """x and the doubles up to span steps either side of it (finite ones)."""
    b = bits_of(abs(x))
    for i in range(max(0, b - span), b + span + 1):
        y = of_bits(i)
        if math.isfinite(y):
            yield y


def fixed():
    """The same every run: the edges."""
    xs = [0.0, 1.0, 0.1, 1e16, 1e-4, 2.0 ** 53, 5e-324, 2.2250738585072014e-308,
          1.7976931348623157e308, float("inf"), float("nan")]
    for e in range(-1074, 1024):
        xs += neighbours(2.0 ** e, 2)
    for e in range(-323, 309):
        xs += neighbours(float("1e%d" % e), 2)
    for b in range(1, 2000):  # the smallest subnormals, whose interval is widest
        xs.append(of_bits(b))
    for x in (1e16, 1e-4, 1e-5, 1e15, 2.0 ** 53, 2.0 ** 63, 2.0 ** 64):
        xs += neighbours(x, 50)
    return xs


def random_double(rnd):
    kind = rnd.randrange(6)
    if kind == 0:  # any bit pattern
        return of_bits(rnd.getrandbits(64))
    if kind == 1:  # a short decimal
        return float("%de%d" % (rnd.randrange(1, 10 ** rnd.randrange(1, 18)), rnd.randrange(-330, 310)))
    if kind == 2:  # a decimal of 16 or 17 digits: the longest reprs
        return float("%de%d" % (rnd.randrange(10 ** 15, 10 ** 17), rnd.randrange(-340, 292)))
    if kind == 3:  # a subnormal
        return of_bits(rnd.getrandbits(rnd.randrange(1, 53)))
    if kind == 4:  # next to a tie: d.ddd5 * 10^e, between two doubles' shortest forms
        return float("%d5e%d" % (rnd.randrange(1, 10 ** rnd.randrange(1, 17)), rnd.randrange(-330, 300)))
    # an integer or a value near the form boundaries
    return rnd.choice([float(rnd.getrandbits(rnd.randrange(1, 70))),
                       rnd.uniform(1e15, 1e17), rnd.uniform(1e-5, 1e-3), rnd.uniform(0, 1)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=40000, help="random doubles, after the fixed edges")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    xs = fixed()
    xs += (random_double(rnd) for _ in range(a.cases))
    xs += [-x for x in xs]
    proc = subprocess.Popen([a.driver], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    passed = failed = 0
    for i in range(0, len(xs), BATCH):
        batch = xs[i:i + BATCH]
        proc.stdin.write("R\t%s\n" % " ".join("%x" % bits_of(x) for x in batch))
        proc.stdin.flush()
        got = proc.stdout.readline().split()
        for x, r in zip(batch, got + [None] * (len(batch) - len(got))):
            if r == repr(x):
                passed += 1
            else:
                failed += 1
                if failed <= 20:
                    print("0x%016x: got %s, Python says %s" % (bits_of(x), r, repr(x)))
    proc.stdin.close()
    proc.wait()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
