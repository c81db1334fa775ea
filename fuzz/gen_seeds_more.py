#!/usr/bin/python3
"""gen_seeds_more.py - (re)write the generated seeds of the fuzz targets other than
fuzz_load (whose seeds come from gen_seeds.py).

    /usr/bin/python3 fuzz/gen_seeds_more.py [TARGET...]     (from the repository root)

Needs Debian's python3 (zlib, bz2, lzma, gzip are in the standard library; python3-lz4
for LZ4 frames) and the zstd command-line tool (package zstd) for Zstandard frames; a
seed whose tool is missing is skipped with a note. Every generated file is named
gen-*; the script deletes the old gen-* files of a target first and keeps the others
(inputs merged in from a fuzzing campaign are named by their SHA-1, as libFuzzer names
them). Each target's directory stays small: at most about 40 generated files, each
under 8 KiB.

Targets and what their seeds are:

  fuzz_detect     streams of every codec, their bare magics, pickles of each protocol,
                  streams of the target's own "fzx" codec, look-alike headers
  fuzz_decoder    one selector byte (codec index: 0 zlib, 1 gzip, 2 bz2, 3 lzma, 4 xz,
                  5 lz4, 6 zstd, 7 zf) + a small stream of that codec: plain, empty,
                  concatenated, with and without checksums, truncated, corrupted
  fuzz_mmap       uncompressed joblib-style files with aligned and unaligned array
                  payloads, a numpy-reduce array, companion-file pickles (the target
                  writes the companion from the input's tail), a compressed file
  fuzz_json       pickles whose export exercises every JSON form: tags, $ref pointers
                  with escaped keys, surrogates, control characters, big ints, floats,
                  arrays of every dtype kind above and below max_items
  fuzz_safety     pickles with globals, REDUCE/NEWOBJ/INST/OBJ calls, nested object
                  array pickles, joblib payloads, persistent ids, extension codes
  fuzz_roundtrip  builder programs (byte strings the target interprets): a few fixed
                  ones that reach every type, plus random ones from a fixed seed
  fuzz_scan       where its splice goes: several pickles in a row (framed, protocol 0
                  to 5), a framed pickle cut in its frame, bytes after a pickle, a
                  frame that runs past STOP, a joblib file with array payloads, each
                  raw and in every codec and ZF; inputs it splices into a member of or
                  as a file of its own: tars (plain, gzip, xz), a zip of zips, a zip in
                  a tar, an .npz and a .npy with object arrays, legacy torch files and a
                  checkpoint in a tar (numpy and torch when present)
"""
import bz2
import gzip
import hashlib
import io
import lzma
import os
import pickle
import random
import shutil
import struct
import subprocess
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
MAX_SIZE = 8 * 1024

try:
    import lz4.frame as lz4frame
except ImportError:  # pragma: no cover
    lz4frame = None


def zstd(data, *args):
    exe = shutil.which("zstd")
    if not exe:
        return None
    return subprocess.run([exe, "-q", "-c", *args], input=data, stdout=subprocess.PIPE, check=True).stdout


def zf(data):
    """joblib <= 0.9's ZF container: 'ZF' + '0x<hex length>' padded to 19 bytes + zlib."""
    return b"ZF" + ("0x%x" % len(data)).ljust(19).encode() + zlib.compress(data)


def fzx(data, param=0x10):
    """fuzz_detect's toy codec: 'JLPX' + param, bytes ^ 0x5A, 0xFF 0x01 escapes 0xFF,
    0xFF 0x00 ends."""
    out = bytearray(b"JLPX" + bytes([param]))
    for b in data:
        x = b ^ 0x5A
        out += b"\xff\x01" if x == 0xFF else bytes([x])
    return bytes(out + b"\xff\x00")


# A few small pickles of varied shape.
class Thing:  # pickled by reference: __main__.Thing
    def __init__(self):
        self.a = 1
        self.b = [1, 2.5, "x"]


SAMPLE = {"a": [1, 2, 3], "b": ("t", b"\x00\xff", 3.5), "c": {1, 2}, "d": None, "e": 10**30}
PICKLES = {
    "p0": pickle.dumps(SAMPLE, protocol=0),
    "p2": pickle.dumps(SAMPLE, protocol=2),
    "p4": pickle.dumps(SAMPLE, protocol=4),
    "p5": pickle.dumps([bytearray(b"abc"), frozenset([1]), "\u00e9\u20ac\U0001f600"], protocol=5),
    "ints": pickle.dumps(list(range(-300, 300, 7)), protocol=2),
    "text": pickle.dumps("hello world " * 40, protocol=4),
}


def write(target, files):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("gen-"):
            os.unlink(os.path.join(d, f))
    n = 0
    for name, data in files:
        if data is None:
            print("  %s: skipped %s (tool missing)" % (target, name))
            continue
        if len(data) > MAX_SIZE:
            raise SystemExit("%s/%s is %d bytes (> %d)" % (target, name, len(data), MAX_SIZE))
        with open(os.path.join(d, "gen-" + name), "wb") as fp:
            fp.write(data)
        n += 1
    print("%-16s %d generated seeds" % (target, n))


def lz4f(data, **kw):
    return lz4frame.compress(data, **kw) if lz4frame else None


# ---- fuzz_decoder -------------------------------------------------------------------

def decoder_seeds():
    p4, p2, text = PICKLES["p4"], PICKLES["p2"], PICKLES["text"]
    s = []

    def add(name, idx, stream):
        s.append((name, None if stream is None else bytes([idx]) + stream))

    add("zlib-p4", 0, zlib.compress(p4))
    add("zlib-level1-text", 0, zlib.compress(text, 1))
    add("zlib-empty", 0, zlib.compress(b""))
    add("zlib-truncated", 0, zlib.compress(p2)[:-7])
    bad = bytearray(zlib.compress(p2))
    bad[-1] ^= 1
    add("zlib-bad-adler", 0, bytes(bad))
    add("zlib-stored", 0, zlib.compress(p2, 0))
    add("gzip-p4", 1, gzip.compress(p4, mtime=0))
    buf = io.BytesIO()
    with gzip.GzipFile(filename="name.pkl", mode="wb", fileobj=buf, mtime=1) as g:
        g.write(p2)
    add("gzip-fname", 1, buf.getvalue())
    hdr = b"\x1f\x8b\x08\x1e\x00\x00\x00\x00\x00\xff" + b"\x04\x00ABCD" + b"name\x00" + b"comment\x00"
    body = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = body.compress(p2) + body.flush()
    fhcrc = struct.pack("<H", zlib.crc32(hdr) & 0xFFFF)
    add("gzip-fextra-fcomment-fhcrc", 1, hdr + fhcrc + raw + struct.pack("<II", zlib.crc32(p2), len(p2)))
    bad = bytearray(gzip.compress(p2, mtime=0))
    bad[-5] ^= 0x40
    add("gzip-bad-crc", 1, bytes(bad))
    add("bz2-p4", 2, bz2.compress(p4))
    add("bz2-empty", 2, bz2.compress(b""))
    add("bz2-two-streams", 2, bz2.compress(p2[:40]) + bz2.compress(p2[40:]))
    add("bz2-truncated", 2, bz2.compress(text)[:-10])
    add("lzma-alone-p4", 3, lzma.compress(p4, format=lzma.FORMAT_ALONE, preset=0))
    add("lzma-alone-text", 3, lzma.compress(text, format=lzma.FORMAT_ALONE, preset=1))
    add("lzma-alone-empty", 3, lzma.compress(b"", format=lzma.FORMAT_ALONE))
    add("xz-p4", 4, lzma.compress(p4, preset=0))
    add("xz-check-none", 4, lzma.compress(p2, check=lzma.CHECK_NONE, preset=0))
    add("xz-check-crc32", 4, lzma.compress(p2, check=lzma.CHECK_CRC32, preset=0))
    add("xz-check-sha256", 4, lzma.compress(p2, check=lzma.CHECK_SHA256, preset=0))
    add("xz-two-streams-padding", 4, lzma.compress(p2[:30], preset=0) + b"\0" * 4 + lzma.compress(p2[30:], preset=0))
    add("xz-empty", 4, lzma.compress(b"", preset=0))
    filters = [{"id": lzma.FILTER_DELTA, "dist": 4}, {"id": lzma.FILTER_LZMA2, "preset": 0}]
    add("xz-delta-filter", 4, lzma.compress(p2, filters=filters))
    add("lz4-p4", 5, lz4f(p4))
    add("lz4-checksums", 5, lz4f(p2, content_checksum=True, block_checksum=True) if lz4frame else None)
    add("lz4-content-size", 5, lz4f(text, store_size=True) if lz4frame else None)
    add("lz4-two-frames", 5, (lz4f(p2[:20]) + lz4f(p2[20:])) if lz4frame else None)
    add("lz4-uncompressed-block", 5, lz4f(os.urandom(0) + bytes(range(256)) * 3, store_size=False) if lz4frame else None)
    add("lz4-skippable-frame", 5, (b"\x50\x2a\x4d\x18" + struct.pack("<I", 4) + b"skip" + lz4f(p2)) if lz4frame else None)
    add("zstd-p4", 6, zstd(p4, "-3"))
    add("zstd-no-check", 6, zstd(p2, "--no-check"))
    add("zstd-text-19", 6, zstd(text, "-19"))
    z1, z2 = zstd(p2[:25], "-1"), zstd(p2[25:], "-1")
    add("zstd-two-frames", 6, None if z1 is None else z1 + z2)
    add("zstd-skippable", 6, None if z1 is None else b"\x50\x2a\x4d\x18" + struct.pack("<I", 3) + b"abc" + z1)
    add("zf-p2", 7, zf(p2))
    add("zf-extra-space", 7, b"ZF" + ("0x%x" % len(p4)).ljust(19).encode() + b" " + zlib.compress(p4))
    add("zf-wrong-length", 7, b"ZF" + ("0x%x" % (len(p2) + 1)).ljust(19).encode() + zlib.compress(p2))
    return s


# ---- fuzz_detect ---------------------------------------------------------------------

def detect_seeds():
    p2, p4 = PICKLES["p2"], PICKLES["p4"]
    s = [
        ("pickle-p0", PICKLES["p0"]),
        ("pickle-p2", p2),
        ("pickle-p5", PICKLES["p5"]),
        ("pickle-proto9", b"\x80\x09N."),
        ("zlib", zlib.compress(p2)),
        ("zlib-preset-dict-flag", b"\x78\xbb" + zlib.compress(p2)[2:]),
        ("gzip", gzip.compress(p2, mtime=0)),
        ("bz2", bz2.compress(p2)),
        ("bz2-empty-stream", bz2.compress(b"")),
        ("lzma-alone", lzma.compress(p2, format=lzma.FORMAT_ALONE, preset=0)),
        ("lzma-alone-odd-dict", b"\x5d" + struct.pack("<I", 3 << 19) + b"\xff" * 8 + b"\x00" * 8),
        ("xz", lzma.compress(p2, preset=0)),
        ("lz4", lz4f(p2)),
        ("lz4-magic-only", b"\x04\x22\x4d\x18\x64\x40"),
        ("zstd", zstd(p2, "-1")),
        ("zstd-reserved-bit", b"\x28\xb5\x2f\xfd\x08\x00"),
        ("zf", zf(p2)),
        ("zf-py2-long", b"ZF" + b"0x1fL".ljust(19) + zlib.compress(b"x" * 31)),
        ("zf-bad-hex", b"ZF0xZZ" + b" " * 15 + zlib.compress(p2)),
        ("fzx-p2", fzx(p2)),
        ("fzx-p4-slow", fzx(p4, param=0xA1)),
        ("fzx-two-streams", fzx(p2[:10], 0x30) + fzx(p2[10:], 0x30)),
        ("fzx-high-bid", fzx(b"\x80\x02N.", param=0xFF)),
        ("fzx-bad-escape", b"JLPX\x10\x12\xff\x07"),
        ("fzx-vs-zlib", b"\x78\x1f" + p2),
        ("zlib-vs-fzx", b"\x78\x9c" + zlib.compress(p2)[2:]),
        ("gzip-trailing", gzip.compress(p2, mtime=0) + b"tail"),
        ("xz-then-zstd", lzma.compress(p2, preset=0) + (zstd(p2, "-1") or b"")),
        ("empty", b""),
        ("one-byte-N", b"N"),
        ("not-a-pickle", b"\xfe\xfe\xfe\xfe"),
    ]
    return s


# ---- fuzz_mmap -----------------------------------------------------------------------

def g_str(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b if len(b) < 256 else b"X" + struct.pack("<I", len(b)) + b


def wrapper_pickle(dtype_descr, shape, payload, pad_bytes=None, align=True, order="C", tail=b""):
    """A protocol-4 pickle of a list holding one joblib NumpyArrayWrapper and its payload,
    opcode by opcode (as joblib >= 1.2 writes it), followed by more opcodes."""
    p = bytearray(b"\x80\x04")
    p += b"]" + b"("  # list, MARK for APPENDS
    p += g_str("joblib.numpy_pickle") + g_str("NumpyArrayWrapper") + b"\x93" + b")" + b"\x81"
    p += b"}" + b"("
    p += g_str("subclass") + g_str("numpy") + g_str("ndarray") + b"\x93"
    p += g_str("shape") + b"(" + b"".join(b"K" + bytes([d]) if d < 256 else b"M" + struct.pack("<H", d) for d in shape) + b"t"
    p += g_str("order") + g_str(order)
    p += g_str("dtype") + g_str("numpy") + g_str("dtype") + b"\x93" + g_str(dtype_descr) + b"\x89\x88\x87R"
    p += b"(K\x03" + g_str("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    p += g_str("allow_mmap") + b"\x88"
    if align:
        p += g_str("numpy_array_alignment_bytes") + b"K\x10"
    p += b"u" + b"b"
    if align:
        pad = pad_bytes if pad_bytes is not None else 16 - ((len(p) + 1) % 16)
        p += bytes([pad]) + b"\xff" * pad
    p += payload
    p += g_str("after") + tail + b"e."
    return bytes(p)


def mmap_seeds():
    f8 = struct.pack("<4d", 1.0, -2.5, 3.25, 1e300)
    i4 = struct.pack(">6i", 1, -2, 3, 2**31 - 1, -(2**31), 0)
    s = [
        ("wrapper-f8-aligned", wrapper_pickle("f8", [4], f8)),
        ("wrapper-i4-be-2x3", wrapper_pickle(">i4", [2, 3], i4)),
        ("wrapper-f8-pad1", wrapper_pickle("f8", [4], f8, pad_bytes=1)),
        ("wrapper-unaligned-g1", wrapper_pickle("f8", [4], f8, align=False)),
        ("wrapper-c16-fortran", wrapper_pickle("c16", [2, 2], struct.pack("<8d", *range(8)), order="F")),
        ("wrapper-u2-empty", wrapper_pickle("<u2", [0], b"")),
        ("wrapper-S3", wrapper_pickle("S3", [3], b"abcde\x00fgh")),
        ("wrapper-truncated", wrapper_pickle("f8", [400], f8)),
        ("pickle-p2", PICKLES["p2"]),
        ("pickle-p5", PICKLES["p5"]),
        ("zlib-p4", zlib.compress(PICKLES["p4"])),
    ]
    # Companion pickles: the target writes the input's tail after the 8-byte marker
    # "FZMMAPC\n" as the companion file "c.npy" (or "c.z") beside the mapped file.
    npy_hdr = b"{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }"
    npy_hdr += b" " * (63 - (10 + len(npy_hdr)) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(npy_hdr)) + npy_hdr + f8
    nd = (b"\x80\x02cjoblib.numpy_pickle\nNDArrayWrapper\nq\x00)\x81q\x01}q\x02(U\x08filenameq\x03U\x05c.npyq\x04"
          b"U\nallow_mmapq\x05\x89U\x08subclassq\x06cnumpy\nndarray\nq\x07ub.")
    s.append(("companion-npy", nd + b"FZMMAPC\n" + npy))
    zstate = b"(K\x01K\x04\x85cnumpy\ndtype\nU\x02f8\x89\x88\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89t"
    znd = (b"\x80\x02cjoblib.numpy_pickle\nZNDArrayWrapper\nq\x00)\x81q\x01}q\x02(U\x08filenameq\x03U\x03c.zq\x04"
           b"U\tinit_argsq\x05cnumpy\nndarray\n(K\x00\x85U\x01bt\x86U\x05stateq\x06" + zstate + b"ub.")
    s.append(("companion-zf", znd + b"FZMMAPC\n" + zf(f8)))
    # numpy's own reduce (protocol 2) of a float64 array, as pickle.dumps(np.arange(3.0)).
    red = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q\x02C\x01bq\x03\x87q\x04Rq\x05"
           b"(K\x01K\x03\x85q\x06cnumpy\ndtype\nq\x07X\x02\x00\x00\x00f8q\x08\x89\x88\x87q\tRq\n(K\x03X\x01\x00\x00\x00<q\x0b"
           b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0cb\x89C\x18" + struct.pack("<3d", 0, 1, 2) + b"q\rtq\x0eb.")
    s.append(("numpy-reduce-f8", red))
    # The options byte the target reads first is the input's last byte; vary it.
    return [(n + "-opt%d" % k, d + bytes([k * 37 % 256])) for k, (n, d) in enumerate(s)]


# ---- fuzz_json -----------------------------------------------------------------------

def json_seeds():
    shared = [1, 2]
    cyc = []
    cyc.append(cyc)
    d = {"a/b": shared, "c~d": shared, "$x": 1}
    objs = {
        "escapes": ["\x00\x01\x1f\x7f\"\\/\b\f\n\r\t", "\ud800", "\udfff\ud800", "\u2028\U0010ffff"],
        "refs": [shared, shared, d, {"k": d}, cyc],
        "numbers": [0, -1, 2**63 - 1, -(2**63), 2**64, -(2**100), 10**4299, 1.5e-05, 1e16, 0.1, -0.0,
                    float("inf"), float("-inf"), float("nan"), 1e-300, 5e-324, complex(1, -0.0)],
        "tags": [b"\x00\xff", bytearray(b"ab"), (1,), set(), frozenset([1]), {1: 2}, {"$ref": 1}, (), [], {}],
    }
    s = []
    for name, o in objs.items():
        for proto in (2, 5):
            s.append(("%s-p%d" % (name, proto), pickle.dumps(o, protocol=proto)))
    s.append(("bigint-4301-digits-text", b"I" + b"9" * 4301 + b"\n."))
    s.append(("bigint-long4", b"\x80\x02\x8b\x00\x04\x00\x00" + b"\x00" * 4 + b"."))  # truncated on purpose
    s.append(("surrogate-pair-p0", b"V\\ud83d\\ude00\np0\n."))
    s.append(("deep-list", b"\x80\x02" + b"]" * 300 + b"a" * 299 + b"."))
    # arrays: every dtype kind, above and below max_items, written by joblib itself when
    # numpy and joblib are installed (Debian: python3-numpy python3-joblib), else by hand
    try:
        import numpy as np
        import joblib
    except ImportError:
        np = None
    if np is not None:
        arrays = {
            "f8-nan": np.array([1.5, np.nan, -0.0]),
            "f2": np.array([1.5, np.inf, -2.0], dtype="<f2"),
            "c8": np.array([1 + 2j, 3 - 4j], dtype="<c8"),
            "b1": np.array([False, True, True]),
            "U2": np.array(["a", "\u00e9\U0001f600"]),
            "S2": np.array([b"a", b""], dtype="S2"),
            "M8-ns": np.array([0, -(2**63)], dtype="<M8[ns]"),
            "m8-D": np.array(7, dtype="<m8[D]"),
            "V3": np.array([b"abc", b"def"], dtype="V3"),
            "i2-1001": np.arange(1001, dtype="<i2"),
            "u1-2x3x4": np.arange(24, dtype="u1").reshape(2, 3, 4),
            "i4-be-fortran": np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3)),
            "structured": np.array([(1, [1.5, 2.5]), (2, [3.5, 4.5])], dtype=[("a", "<i4"), ("b", "<f8", (2,))]),
            "object": np.array([None, "x", [1, 2], {"k": (1,)}], dtype=object),
            "object-3x1-none": np.empty((3, 1), dtype=object),
            "zero-d": np.float32(2.5),
        }
        for name, a in arrays.items():
            buf = io.BytesIO()
            joblib.dump({"a": a, "again": a} if name == "f8-nan" else a, buf)
            s.append(("joblib-" + name, buf.getvalue()))
            if name in ("f8-nan", "object", "structured"):
                s.append(("numpy-reduce-p2-" + name, pickle.dumps(a, protocol=2)))
                s.append(("numpy-reduce-p5-" + name, pickle.dumps(a, protocol=5)))
    else:
        kinds = [("f8", struct.pack("<3d", 1.5, float("nan"), -0.0), [3]),
                 ("<f2", struct.pack("<3e", 1.5, float("inf"), -2.0), [3]),
                 ("|b1", b"\x00\x01\x02", [3]),
                 ("<U2", "a\0".encode("utf-32-le") + struct.pack("<2I", 0x110000, 0xD800), [2]),
                 ("<i2", struct.pack("<1001h", *range(1001)), [1001]),
                 ("<u1", bytes(range(24)), [2, 3, 4])]
        for descr, payload, shape in kinds:
            name = "array-" + descr.replace("<", "le").replace("|", "")
            s.append((name, wrapper_pickle(descr, shape, payload)))
    # U items that are not code points (above U+10FFFF, surrogates): hand-made
    s.append(("array-U-invalid-code-points",
              wrapper_pickle("<U2", [2], "a\0".encode("utf-32-le") + struct.pack("<2I", 0x110000, 0xD800))))
    return s


# ---- fuzz_safety ---------------------------------------------------------------------

def safety_seeds():
    s = []
    dangerous = [
        b"cos\nsystem\n(S'echo hi'\ntR.",
        b"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x8c\x04eval\x93\x8c\x031+1\x85R.",
        b"(S'ls'\nios\nsystem\n.",
        b"\x80\x02cbuiltins\ngetattr\ncbuiltins\n__import__\nX\x02\x00\x00\x00os\x85RX\x06\x00\x00\x00system\x86R.",
        b"\x80\x02csubprocess\nPopen\n]X\x02\x00\x00\x00ls\x85\x85R.",
        b"\x80\x02(cos\nsystem\nX\x02\x00\x00\x00lso.",
        b"\x80\x02cnumpy\nload\nX\x01\x00\x00\x00x\x85R.",
        b"\x80\x02c__builtin__\nset\n]K\x01a\x85R.",
        b"\x80\x02ccopy_reg\n_reconstructor\ncmod\nC\ncbuiltins\nobject\nN\x87R}b.",
        b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x01m\x8c\x05A.B.C\x93)\x81.",
        b"\x80\x02(X\x03\x00\x00\x00pidQ\x82\x05\x83\x34\x12\x84\x78\x56\x34\x12l.",
        b"Pfoo\n.",
        b"\x80\x05\x97\x98.",
    ]
    for k, p in enumerate(dangerous):
        s.append(("calls-%02d" % k, p))
    s.append(("wrapper-payload", wrapper_pickle("f8", [2], struct.pack("<2d", 1, 2), tail=b"cos\nsystem\n")))
    s.append(("kitchen-p4", PICKLES["p4"]))
    s.append(("kitchen-p0", PICKLES["p0"]))
    s.append(("zlib-calls", zlib.compress(dangerous[0])))
    # a joblib object array: the wrapper's payload is a nested protocol 2 pickle
    nested = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R"
              b"(K\x01K\x02\x85cnumpy\ndtype\nX\x02\x00\x00\x00O8\x89\x88\x87R(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb\x89"
              b"]((cos\nsystem\nX\x01\x00\x00\x00xtR]eetb.")
    w = bytearray(wrapper_pickle("O8", [2], b"", align=True))
    cut = w.index(g_str("after"))
    pad_at = cut - 1
    while pad_at > 0 and w[pad_at] == 0xFF:
        pad_at -= 1
    s.append(("object-array-nested", bytes(w[:pad_at]) + nested + bytes(w[cut:])))
    return s


# ---- fuzz_roundtrip ------------------------------------------------------------------

def roundtrip_seeds():
    s = []
    # The target reads: options (protocol, arrays, codec, level, threads, flags), then ops.
    # Fixed programs: each op byte below is interpreted modulo the op count, so these
    # reach every type; the rest are random programs from a fixed seed.
    rnd = random.Random(1234)
    for proto in range(6):
        for codec in range(8):
            if (proto + codec) % 3:
                continue
            prog = bytes([proto, codec & 1, codec, 1, 0, 0]) + bytes(range(0, 64)) + bytes(rnd.randrange(256) for _ in range(160))
            s.append(("p%d-c%d" % (proto, codec), prog))
    for k in range(16):
        s.append(("random-%02d" % k, bytes(rnd.randrange(256) for _ in range(rnd.randrange(32, 600)))))
    return s


# ---- fuzz_scan ------------------------------------------------------------------------

def scan_seeds():
    s = []
    p4, p2, p0, p5 = PICKLES["p4"], PICKLES["p2"], PICKLES["p0"], PICKLES["p5"]
    streams = {
        "three-pickles": p4 + p2 + p0,
        "framed-pickles": p4 + PICKLES["text"] + p5,
        "cut-in-frame": p4 + p4[: len(p4) // 2],
        "trailing": p2 + b"\x00junk after the pickle",
        "budget-stop": p2 + b"\x80\x02" + b"N0" * 2000 + b"N.",
        # a frame that goes on after its pickle's STOP: each unpickler has its own idea
        # of where the next pickle starts
        "frame-past-stop": b"\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00N.N.NN0." + p2,
    }
    s.append(("wrapper-then-pickle", wrapper_pickle("f8", [2], struct.pack("<2d", 1, 2)) + p2))
    for name, data in streams.items():
        s.append((name, data))
    for name in ("three-pickles", "cut-in-frame", "trailing"):
        data = streams[name]
        s.append((name + ".z", zlib.compress(data)))
        s.append((name + ".gz", gzip.compress(data, mtime=0)))
        s.append((name + ".bz2", bz2.compress(data)))
        s.append((name + ".xz", lzma.compress(data)))
        s.append((name + ".lzma", lzma.compress(data, format=lzma.FORMAT_ALONE)))
        s.append((name + ".lz4", lz4f(data)))
        s.append((name + ".zst", zstd(data)))
        s.append((name + ".zf", zf(data)))
    s.extend(scan_archive_seeds(streams))
    return s


def tar_of(members):
    """A ustar archive of (name, bytes) with fixed metadata."""
    import tarfile
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), 0, 0o644
            t.addfile(ti, io.BytesIO(data))
    # the end blocks without tarfile's padding to 10 KiB records
    end = sum(512 + -(-len(data) // 512) * 512 for _, data in members) + 1024
    return out.getvalue()[:end]


def zip_of(members, method=None):
    """A zip of (name, bytes) with fixed timestamps."""
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method if method is not None else zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def scan_archive_seeds(streams):
    """Archives and files fuzz_scan splices into other than pickle streams: a member
    of a tar (plain and in a codec), of a zip inside a zip or a tar, of an .npz; the
    pickle of an object .npy file; the pickles of a legacy torch file."""
    import zipfile
    s = []
    three, cut = streams["three-pickles"], streams["cut-in-frame"]
    tar = tar_of([("model.pkl", three), ("other.pkl.gz", gzip.compress(PICKLES["p2"], mtime=0))])
    s.append(("archive.tar", tar))
    s.append(("archive.tar.gz", gzip.compress(tar, mtime=0)))
    s.append(("archive.tar.xz", lzma.compress(tar)))
    inner = zip_of([("a.pkl", three), ("b.pkl", cut)])
    s.append(("zip-of-zips.zip", zip_of([("inner.zip", inner), ("c.pkl", PICKLES["p0"])])))
    s.append(("zip-in-tar.tar.gz", gzip.compress(tar_of([("inner.zip", inner)]), mtime=0)))
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        return s
    obj = np.array([{"k": [1, 2]}, "text", (3.5, None)], dtype=object)
    f = io.BytesIO()
    np.save(f, obj, allow_pickle=True)
    s.append(("object.npy", f.getvalue()))
    f = io.BytesIO()
    np.savez(f, objs=obj, nums=np.arange(6, dtype="<i4"))
    s.append(("object.npz", f.getvalue()))
    f = io.BytesIO()
    np.savez_compressed(f, objs=obj)
    s.append(("object-deflated.npz", f.getvalue()))
    try:
        import torch
    except ImportError:  # pragma: no cover
        return s
    torch.manual_seed(0)
    state = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "step": 3, "name": "layer"}
    f = io.BytesIO()
    torch.save(state, f, _use_new_zipfile_serialization=False)
    s.append(("legacy-torch.pt", f.getvalue()))
    f = io.BytesIO()
    sp = torch.sparse_coo_tensor(torch.tensor([[0, 1], [2, 0]]), torch.tensor([1.0, 2.0]), (2, 3))
    torch.save({"sp": sp}, f, _use_new_zipfile_serialization=False)
    s.append(("legacy-torch-sparse.pt", f.getvalue()))
    f = io.BytesIO()
    torch.save(state, f)
    s.append(("checkpoint-in.tar", tar_of([("model.pt", f.getvalue())])))
    return s


TARGETS = {
    "fuzz_decoder": decoder_seeds,
    "fuzz_detect": detect_seeds,
    "fuzz_mmap": mmap_seeds,
    "fuzz_json": json_seeds,
    "fuzz_safety": safety_seeds,
    "fuzz_roundtrip": roundtrip_seeds,
    "fuzz_scan": scan_seeds,
}


def main(argv):
    names = argv[1:] or sorted(TARGETS)
    for t in names:
        if t not in TARGETS:
            raise SystemExit("unknown target %s (known: %s)" % (t, " ".join(sorted(TARGETS))))
        write(t, TARGETS[t]())


if __name__ == "__main__":
    main(sys.argv)
