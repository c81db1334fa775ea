#!/usr/bin/python3
"""gen_seeds.py - (re)write the seed corpus of fuzz_load: fuzz/corpus/fuzz_load/.

    /usr/bin/python3 fuzz/gen_seeds.py            (from the repository root)

Four kinds of seeds, every file under 8 KiB, about 60 in all:

  golden-*.pickle     copies of varied tests/pickle/golden files, all protocols 0-5
  joblib-*            small joblib.dump files from tests/joblib/golden (numpy arrays,
                      dtypes, scalars, object arrays, lz4 and zstd containers)
  hostile-*.pickle    hand-written hostile inputs (below), built opcode by opcode
  container-*         small pickles inside compressed containers (zlib, xz),
                      for the container-detection layer

A file may hold several pickles one after another: fuzz_load loads them in turn until
one fails, so each hostile file packs its well-formed variants first and ends with (at
most) one failing pickle. The script deletes the old golden-, joblib-, hostile- and
container- files first; other files in the directory (seeds added by hand) are kept.
"""
import lzma
import os
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus", "fuzz_load")
GOLDEN = os.path.join(ROOT, "tests", "pickle", "golden")
MAX_SIZE = 8 * 1024

GOLDEN_PICKS = [
    "kitchen_sink.p0", "kitchen_sink.p2", "kitchen_sink.p4", "kitchen_sink.p5",
    "multi.p1", "py2_inst_args.p0", "py2_reconstructor.p0", "obj_newargs_ex.p4",
    "cycle_instance.p3", "int_1e5000.p4",
]
JOBLIB = os.path.join(ROOT, "tests", "joblib", "golden")
JOBLIB_PICKS = [
    "misc_dtypes_none_p4.pkl", "misc_objarray_nested_none_p2.pkl", "misc_objp5_none_p4.pkl",
    "misc_scalars_none_p2.pkl", "misc_zerod_none_p4.pkl", "models_rf_lz4_p4.pkl.lz4",
    "zstd_models_rf_none_p4.pkl.zst",
]

# ---- opcode helpers -------------------------------------------------------------------

def u8(n): return struct.pack("<B", n)
def u16(n): return struct.pack("<H", n)
def u32(n): return struct.pack("<I", n & 0xFFFFFFFF)
def u64(n): return struct.pack("<Q", n & 0xFFFFFFFFFFFFFFFF)

PROTO = lambda n: b"\x80" + u8(n)
STOP = b"."
MARK = b"("
NONE = b"N"
def sbu(s):  # SHORT_BINUNICODE
    b = s.encode("utf-8", "surrogatepass") if isinstance(s, str) else s
    return b"\x8c" + u8(len(b)) + b
def binunicode(b): return b"X" + u32(len(b)) + b
def sbb(b): return b"C" + u8(len(b)) + b
def binint1(n): return b"K" + u8(n)
def binint(n): return b"J" + struct.pack("<i", n)
def binput(n): return b"q" + u8(n)
def binget(n): return b"h" + u8(n)
def long_binput(n): return b"r" + u32(n)
def long_binget(n): return b"j" + u32(n)
def frame(n): return b"\x95" + u64(n)
def glob(mod, name): return b"c" + mod + b"\n" + name + b"\n"
def long1(b): return b"\x8a" + u8(len(b)) + b
def long4(b): return b"\x8b" + u32(len(b)) + b
def binfloat(x): return b"G" + struct.pack(">d", x)

def framed(body, proto=4):
    """PROTO 4/5 with body inside one FRAME, as Python writes it."""
    return PROTO(proto) + frame(len(body)) + body

# ---- hostile seeds --------------------------------------------------------------------

def hostile():
    s = {}

    # Huge declared lengths (must fail fast, allocate nothing of that size).
    s["huge-binunicode8"] = PROTO(4) + b"\x8d" + u64(1 << 63) + b"abc" + STOP
    s["huge-binbytes-1mib-declared"] = PROTO(3) + b"B" + u32(1 << 20) + b"x" * 16 + STOP
    s["huge-long4-and-bytearray8"] = (PROTO(5) + b"\x96" + u64(3) + b"abc" + STOP +
                                      PROTO(2) + b"\x8b" + u32(0x7FFFFFFF) + b"\x01" + STOP)

    # Sparse memo indexes, then dense growth that migrates sparse keys into the array.
    sp = PROTO(2) + b"]" + long_binput(0x7FFFFFFF) + long_binput(0xFFFFFFFF) + long_binput(1100)
    sp += MARK + long_binget(0x7FFFFFFF) + long_binget(0xFFFFFFFF) + long_binget(1100) + b"e"
    sp += STOP
    mig = PROTO(4) + NONE + long_binput(1100) + b"0"
    mig += (NONE + b"\x94" + b"0") * 80 + b"]" + long_binput(1101)
    mig += MARK + long_binget(1100) + long_binget(79) + long_binget(1101) + b"e" + STOP
    text = b"(lp9223372036854775807\ng9223372036854775807\na" + STOP
    s["memo-sparse-keys"] = sp + mig + text + PROTO(2) + long_binget(0x7FFFFFFE) + STOP

    # GET-DAG: each level a tuple of the previous one twice (2^40 leaves as a tree), and
    # a list holding one 255-byte str 1500 times (strs are not shared in the export).
    dag = PROTO(2) + sbu("x" * 200) + binput(0)
    for i in range(40):
        dag += binget(i) + binget(i) + b"\x86" + binput(i + 1) + b"0"
    dag += binget(40) + STOP
    strs = PROTO(2) + b"]" + binput(0) + binunicode(b"s" * 255) + binput(1) + b"0"
    strs += binget(0) + MARK + binget(1) * 1500 + b"e" + STOP
    s["get-dag-expansion"] = dag + strs

    # Cycles of every kind the format allows.
    cyc = PROTO(2) + b"]" + binput(0) + binget(0) + b"a" + STOP           # L = [L]
    cyc += PROTO(2) + b"}" + binput(0) + sbu("me") + binget(0) + b"s" + STOP  # d["me"] = d
    cyc += PROTO(2) + b"]" + binput(0) + binget(0) + b"\x85" + b"a" + STOP    # L = [(L,)]
    cyc += PROTO(2) + glob(b"copy_reg", b"_reconstructor") + glob(b"__main__", b"C") + \
        glob(b"__builtin__", b"object") + NONE + b"\x87R" + binput(0) + binget(0) + b"b" + STOP
    cyc += PROTO(2) + b"]" + binput(0) + binget(0) + b"Q" + b"a" + STOP       # L = [persid(L)]
    cyc += PROTO(4) + b"\x8f" + binput(0) + MARK + binget(0) + b"\x90" + STOP  # S = {S}
    cyc += PROTO(2) + b"}" + binput(0) + binget(0) + binget(0) + b"s" + STOP  # d[d] = d
    s["cycles"] = cyc

    # Deep nesting: 3000 lists through APPEND, and 2500 MARK ... LIST pairs.
    s["deep-append-3000"] = PROTO(2) + b"]" * 3000 + b"a" * 2999 + STOP
    s["deep-marks-2500"] = MARK * 2500 + b"l" * 2500 + STOP

    # Stack underflow, across a MARK too (the value below the mark is not reachable).
    s["underflow-pop-empty"] = PROTO(2) + b"0" + STOP
    s["underflow-append-across-mark"] = PROTO(2) + b"]" + MARK + binint1(1) + b"a" + STOP
    s["underflow-setitems-no-target"] = PROTO(2) + MARK + binint1(1) + binint1(2) + b"u" + STOP

    # Missing MARK.
    s["nomark-tuple"] = NONE + b"t" + STOP
    s["nomark-pop-mark-frozenset"] = PROTO(4) + NONE + b"1" + STOP + PROTO(4) + NONE + b"\x91" + STOP

    # FRAME lies.
    s["frame-too-long"] = PROTO(4) + frame(100) + NONE + STOP
    s["frame-straddle"] = PROTO(4) + frame(3) + sbu("hello") + STOP
    s["frame-nested"] = PROTO(4) + frame(20) + frame(2) + NONE + STOP + b"\x00" * 8
    s["frame-stop-early"] = PROTO(4) + frame(10) + NONE + STOP + b"N" * 8
    s["frame-line-straddle"] = PROTO(4) + frame(4) + b"I12345\n" + STOP
    s["frame-length-overflow"] = PROTO(4) + frame(0xFFFFFFFFFFFFFFFF) + NONE + STOP
    ok = framed(NONE + STOP) + PROTO(4) + frame(0) + NONE + STOP
    ok += PROTO(4) + frame(3) + b"]" + binput(0) + frame(3) + binint1(7) + b"a" + STOP
    ok += framed(sbu("a") + b"\x94" + sbu("b") + b"\x94" + b"\x86" + STOP, proto=5)
    s["frame-valid-variants"] = ok

    # Unhashable keys (loaded, with a warning).
    uh = PROTO(2) + b"}" + b"]" + binint1(1) + b"s" + STOP
    uh += MARK + b"]" + binint1(1) + b"}" + binint1(2) + b"d" + STOP
    uh += PROTO(4) + b"\x8f" + MARK + b"}" + b"]" + b"\x90" + STOP
    uh += PROTO(4) + MARK + b"]" + b"\x96" + u64(1) + b"z" + b"\x91" + STOP
    s["unhashable-keys"] = uh

    # Type confusion.
    s["type-reduce-non-tuple"] = PROTO(2) + glob(b"__builtin__", b"set") + NONE + b"R" + STOP
    s["type-build-on-int"] = PROTO(2) + binint1(1) + NONE + b"b" + STOP
    s["type-append-to-int"] = PROTO(2) + binint1(1) + NONE + b"a" + STOP
    s["type-stack-global-ints"] = PROTO(4) + binint1(1) + binint1(2) + b"\x93" + STOP

    # Missing memo key.
    s["memo-missing"] = PROTO(2) + NONE + binput(3) + binget(5) + STOP

    # Huge text ints: 4300 digits load, 4301 hit limits.max_bigint_digits.
    big = b"I" + b"9" * 4300 + b"\n" + STOP
    big += b"L-" + b"1" * 200 + b"L\n" + STOP + b"I  +0042 \n" + STOP + b"I01\n" + STOP
    s["int-text-4300-digits"] = big
    s["int-text-4301-digits"] = b"L" + b"7" * 4301 + b"L\n" + STOP

    # Binary bigints around the export's decimal/hex switch (4300 digits ~ 1786 bytes).
    bi = PROTO(2) + long1(b"\xff" * 255) + STOP + PROTO(2) + long1(b"\x00" * 9) + STOP
    bi += PROTO(2) + long1(b"\x01" * 8 + b"\x80") + STOP
    bi += PROTO(2) + long4(b"\x5a" * 1785) + STOP + PROTO(2) + long4(b"\xa5" * 1790) + STOP
    s["bigint-export-edges"] = bi

    # PROTO anomalies: late, duplicated, then an unknown protocol.
    pa = NONE + PROTO(2) + STOP + PROTO(2) + PROTO(3) + NONE + STOP + PROTO(0) + NONE + STOP
    s["proto-anomalies"] = pa + PROTO(6) + NONE + STOP

    # No STOP; data after STOP.
    s["no-stop"] = PROTO(4) + frame(1) + NONE
    s["data-after-stop"] = PROTO(2) + NONE + STOP + PROTO(2) + binint1(1) + STOP + b"garbage\x00\xff"

    # EXT codes: valid ones, then a negative EXT4 code.
    ext = PROTO(2) + b"\x82\x01" + STOP + PROTO(2) + b"\x83\xff\xff" + STOP
    ext += PROTO(2) + b"\x84" + u32(0x7FFFFFFF) + STOP
    s["ext-codes"] = ext + PROTO(2) + b"\x84" + u32(0x80000000) + STOP

    # Out-of-band buffers: READONLY_BUFFER on an in-band bytearray, then NEXT_BUFFER
    # without any buffer supplied.
    s["next-buffer-without-buffers"] = (PROTO(5) + b"\x96" + u64(3) + b"abc" + b"\x98" + STOP +
                                        PROTO(5) + b"\x97" + STOP)

    # UTF-8: surrogates and a 4-byte maximum are valid; an overlong form is not.
    u = PROTO(4) + sbu(b"\xed\xa0\x80") + STOP + PROTO(4) + sbu(b"\xf4\x8f\xbf\xbf") + STOP
    u += PROTO(4) + sbu(b"a\xed\xb0\x80") + STOP
    s["utf8-invalid"] = u + PROTO(4) + sbu(b"\xc0\xaf") + STOP
    s["utf8-invalid-global"] = glob(b"mod\xff", b"name") + STOP

    # Protocol 0 STRING quoting and escapes; UNICODE raw-unicode-escape.
    st = b"S'a\\x41\\101\\n\\q'\n" + STOP + b'S"x\'y"\n' + STOP + b"S'\xe9'  \r\n" + STOP
    s["string-bad-quoting"] = st + b"S'abc\n" + STOP
    un = b"V\\u20ac\\U0001F600\xe9\\ud800\n" + STOP + b"V\\\\u0041\n" + STOP
    s["unicode-raw-escape"] = un + b"V\\U00110000\n" + STOP

    # Floats: text and binary edge values.
    fl = b"Fnan\n" + STOP + b"F-inf\n" + STOP + b"F1e999\n" + STOP + b"F.5\n" + STOP
    fl += b"F1.\n" + STOP + PROTO(2) + binfloat(5e-324) + STOP + PROTO(2) + binfloat(1e16) + STOP
    fl += PROTO(2) + binfloat(-0.0) + STOP + PROTO(2) + binfloat(1e22) + STOP
    s["float-edges"] = fl + b"F0x1p3\n" + STOP

    # The native-reconstruction allowlist, with the right and the wrong argument shapes.
    def call(mod, name, args):
        return PROTO(2) + glob(mod, name) + args + b"R" + STOP
    rc = call(b"__builtin__", b"set", b"]" + MARK + binint1(1) + binint1(2) + b"e" + b"\x85")
    rc += call(b"__builtin__", b"frozenset", b")")
    rc += call(b"builtins", b"bytes", b")")
    rc += call(b"__builtin__", b"bytearray", sbu("\xe9t\xe9") + sbu("latin-1") + b"\x86")
    rc += call(b"__builtin__", b"bytearray", sbu("\u20ac") + sbu("latin1") + b"\x86")
    rc += call(b"__builtin__", b"complex", binint1(1) + binfloat(2.5) + b"\x86")
    rc += call(b"__builtin__", b"complex", b"\x88" + b"\x85")
    rc += call(b"collections", b"OrderedDict", b")") [:-1] + MARK + sbu("k") + binint1(1) + b"u" + STOP
    rc += call(b"_codecs", b"encode", sbu("abc\xff") + sbu("latin1") + b"\x86")
    rc += call(b"copy_reg", b"_reconstructor", glob(b"m", b"C") + glob(b"__builtin__", b"list") +
               b"]" + b"\x87")
    rc += call(b"os", b"system", sbu("echo pwned") + b"\x85")
    s["reconstruct-allowlist"] = rc

    # Instances: INST, OBJ, NEWOBJ, NEWOBJ_EX, BUILD, persistent ids; then OBJ with
    # nothing after its MARK.
    ins = MARK + b"S'a'\n" + b"imod\nCls\n" + b"(dp0\nS'x'\nI1\nsb" + STOP
    ins += PROTO(1) + MARK + glob(b"mod", b"Cls") + binint1(3) + b"o" + b"}" + b"b" + STOP
    ins += PROTO(4) + sbu("mod") + sbu("Cls") + b"\x93" + b")" + b"}" + sbu("k") + NONE + b"s" + \
        b"\x92" + NONE + b"}" + sbu("a") + binint1(1) + b"s" + b"\x86" + b"b" + \
        MARK + binint1(1) + b"e" + MARK + sbu("z") + binint1(2) + b"u" + STOP
    ins += b"Ppid-0\n" + STOP + PROTO(2) + sbu("x") + binint1(1) + b"\x86" + b"Q" + STOP
    s["instances-and-persid"] = ins + PROTO(2) + MARK + b"o" + STOP

    # JSON export edges: $ keys, RFC 6901 escapes in $ref pointers, duplicate keys,
    # control characters, a dict under a tuple key.
    js = PROTO(2) + b"}" + MARK + sbu("a/b~c") + b"]" + binput(0) + \
        sbu('q"\\\x01\n') + binget(0) + b"u" + STOP
    js += PROTO(2) + b"}" + MARK + sbu("$ref") + sbu("/x") + sbu("$") + b"]" + binput(0) + \
        sbu("") + binget(0) + b"u" + STOP
    js += PROTO(2) + b"}" + MARK + sbu("k") + binint1(1) + sbu("k") + binint1(2) + b"u" + STOP
    js += PROTO(2) + b"}" + MARK + b"]" + binput(0) + b"\x85" + binget(0) + b"u" + STOP
    keys = b"".join(sbu("key%02d" % i) + binint1(i) for i in range(40))
    js += PROTO(2) + b"}" + MARK + keys + sbu("key07") + NONE + b"u" + STOP
    s["json-export-edges"] = js

    # A joblib-shaped pickle: NumpyArrayWrapper then raw array bytes after STOP (joblib
    # writes array data there), so the next "pickle" is the array payload.
    wrapper = (PROTO(2) + glob(b"joblib.numpy_pickle", b"NumpyArrayWrapper") + binput(0) +
               b")" + b"\x81" + binput(1) + b"}" + binput(2) + MARK +
               sbu("subclass") + glob(b"numpy", b"ndarray") + sbu("shape") + binint1(4) + b"\x85" +
               sbu("order") + sbu("C") + sbu("dtype") + glob(b"numpy", b"dtype") + sbu("i8") +
               b"\x89\x88\x87" + b"R" + MARK + binint1(3) + sbu("<") + NONE + NONE + NONE +
               binint(-1) + binint(-1) + binint1(0) + b"t" + b"b" + sbu("allow_mmap") + b"\x88" +
               b"u" + b"b" + STOP)
    s["joblib-numpy-wrapper"] = wrapper + b"\x00" * 7 + struct.pack("<4q", 1, 2, 3, 4)
    return s

def containers():
    body = framed(b"]" + binput(0) + MARK + binint1(1) + sbu("two") + NONE + b"e" + STOP)
    return {
        "zlib.pkl.z": zlib.compress(body, 9),
        "xz.pkl.xz": lzma.compress(body, format=lzma.FORMAT_XZ),
    }

def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith(("golden-", "joblib-", "hostile-", "container-")):
            os.unlink(os.path.join(OUT, f))
    files = {}
    for stem in GOLDEN_PICKS:
        with open(os.path.join(GOLDEN, stem + ".pickle"), "rb") as f:
            files["golden-%s.pickle" % stem] = f.read()
    for name in JOBLIB_PICKS:
        with open(os.path.join(JOBLIB, name), "rb") as f:
            files["joblib-%s" % name] = f.read()
    for name, data in hostile().items():
        files["hostile-%s.pickle" % name] = data
    for name, data in containers().items():
        files["container-%s" % name] = data
    for name, data in sorted(files.items()):
        if len(data) >= MAX_SIZE:
            sys.exit("seed %s is %d bytes (limit %d)" % (name, len(data), MAX_SIZE))
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(files), os.path.relpath(OUT, ROOT)))

if __name__ == "__main__":
    main()
