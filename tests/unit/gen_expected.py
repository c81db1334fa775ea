#!/usr/bin/python3
"""Write tests/unit/expected_gen.h: what Python says, for the white-box unit tests.

  - every opcode of pickletools.opcodes: name, byte, protocol, and its stack effect
    (values below a mark's slice or all values taken, values pushed, mark popped or
    pushed), for test_opcodes.c;
  - repr() of doubles, for test_float_repr.c: edges (zeros, subnormals, the extremes,
    powers of two and ten, ties such as 2**-24) and random doubles (random bit patterns,
    and short decimals) from a fixed seed, 2000 in all;
  - ints as pickle stores them (pickle.encode_long: two's complement, little-endian,
    minimal) with their decimal text and hex(), for test_bigint.c: edges around every
    byte boundary and 64 bits, and random ints of up to 150 digits, 600 in all.

Run: /usr/bin/python3 tests/unit/gen_expected.py > tests/unit/expected_gen.h
"""
import math
import pickle
import pickletools
import random
import struct

ARG = {
    None: "JLP_ARG_NONE",
    "uint1": "JLP_ARG_U1", "uint2": "JLP_ARG_U2", "int4": "JLP_ARG_I4", "uint4": "JLP_ARG_U4",
    "uint8": "JLP_ARG_U8", "float8": "JLP_ARG_F8",
    "decimalnl_short": "JLP_ARG_LINE", "decimalnl_long": "JLP_ARG_LINE", "floatnl": "JLP_ARG_LINE",
    "stringnl": "JLP_ARG_LINE", "stringnl_noescape": "JLP_ARG_LINE", "unicodestringnl": "JLP_ARG_LINE",
    "stringnl_noescape_pair": "JLP_ARG_LINE2",
    "string1": "JLP_ARG_LEN1", "bytes1": "JLP_ARG_LEN1", "unicodestring1": "JLP_ARG_LEN1", "long1": "JLP_ARG_LEN1",
    "string4": "JLP_ARG_SLEN4", "long4": "JLP_ARG_SLEN4",
    "bytes4": "JLP_ARG_LEN4", "unicodestring4": "JLP_ARG_LEN4",
    "bytes8": "JLP_ARG_LEN8", "unicodestring8": "JLP_ARG_LEN8", "bytearray8": "JLP_ARG_LEN8",
}


def opcodes():
    mark = pickletools.markobject
    print("/* pickletools.opcodes: name, byte, protocol, argument, pops, pushes, pops_mark, pushes_mark */")
    print("static const struct { const char *name; int code, protocol, arg, pops, pushes, pops_mark, pushes_mark; } expected_opcodes[] = {")
    for op in pickletools.opcodes:
        before, after = op.stack_before, op.stack_after
        pops = before.index(mark) if mark in before else len(before)
        pushes = len([x for x in after if x is not mark])
        arg = ARG[op.arg.name if op.arg else None]
        print('    {"%s", 0x%02x, %d, %s, %d, %d, %d, %d},' % (
            op.name, ord(op.code), op.proto, arg, pops, pushes, int(mark in before), int(mark in after)))
    print("};")


def doubles():
    rnd = random.Random(20261207)
    xs = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 100.0, 1e16, 1e15, 123456789012345678.0, 1e-4, 1e-5,
          0.0001234, 9.999999999999999e-05, 5e-324, -5e-324, 2.2250738585072014e-308,
          2.225073858507201e-308, 1.7976931348623157e308, -1.7976931348623157e308, 2.0 ** -24,
          2.0 ** -1074 * 3, 9007199254740993.0, 9007199254740992.0, 1 / 3, 2 / 3, math.pi, math.e,
          1e22, 1e23, 5e-310, 0.3, 1.1, 2.675, 1e100, 1e-100, 123.456, 4.35, 0.1 + 0.2]
    xs += [2.0 ** e for e in range(-1074, 1024, 7)]
    xs += [10.0 ** e for e in range(-307, 308, 5)]
    while len(xs) < 2000:
        if rnd.random() < 0.6:
            (x,) = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))
            if math.isnan(x) or math.isinf(x):
                continue
        else:
            x = float("%de%d" % (rnd.randrange(1, 10 ** rnd.randrange(1, 17)), rnd.randrange(-30, 30)))
        xs.append(x)
    print("/* repr() of doubles: the bits, then Python's repr */")
    print("static const struct { uint64_t bits; const char *repr; } expected_reprs[] = {")
    for x in xs:
        (bits,) = struct.unpack("<Q", struct.pack("<d", x))
        print('    {0x%016xu, "%s"},' % (bits, repr(x)))
    print("};")


def bigints():
    rnd = random.Random(13)
    xs = [0, 1, -1, 127, 128, -128, -129, 255, 256, -256, -257, 2 ** 63 - 1, 2 ** 63, -2 ** 63, -2 ** 63 - 1,
          2 ** 64 - 1, 2 ** 64, -2 ** 64, 10 ** 18, 10 ** 19, 10 ** 100, -10 ** 100]
    xs += [s * (2 ** b + d) for b in range(1, 200, 7) for d in (-1, 0, 1) for s in (1, -1)]
    while len(xs) < 600:
        x = rnd.randrange(10 ** rnd.randrange(1, 150))
        xs.append(-x if rnd.random() < 0.5 else x)
    print("/* ints: decimal text, pickle.encode_long bytes (hex digits, little-endian), hex() */")
    print("static const struct { const char *decimal, *bytes, *hex; } expected_ints[] = {")
    for x in xs:
        print('    {"%d", "%s", "%s"},' % (x, pickle.encode_long(x).hex(), hex(x)))
    print("};")


print("/* expected_gen.h - written by tests/unit/gen_expected.py from Python %s; do not edit. */"
      % ".".join(map(str, __import__("sys").version_info[:3])))
opcodes()
doubles()
bigints()
