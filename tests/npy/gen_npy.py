#!/usr/bin/python3
"""Generate golden .npy files and what libjlpickle must make of them.

Usage:  /usr/bin/python3 tests/npy/gen_npy.py OUTDIR

For every case NAME this writes

    OUTDIR/NAME.npy    the file: numpy.save's bytes, or hand-made bytes (hand_*) that
                       numpy.load reads
    OUTDIR/NAME.json   the expected JSON export of the loaded array (one line + "\\n")
    OUTDIR/NAME.meta   "version=V data=OFFSET end=END order=C|F object=0|1 resave=0|1\\n":
                       the format version, where the data (or an object array's pickle)
                       starts and ends (bytes after END are ignored), the memory order,
                       whether the dtype holds objects, and whether jlp_dump_npy_* must
                       reproduce the file byte for byte (numpy.save's own files)

plus OUTDIR/MANIFEST (every NAME, sorted, one per line).

The expected JSON is not taken from numpy.load(). The header is read with numpy's
own header parser (numpy.lib.format: a literal parser, nothing is called), the data
becomes an array with np.frombuffer, and an object array's pickle is read by the
reference inert unpickler of tests/joblib/gen_joblib.py (imported, not copied); the
export text is gen_pickles.export(). Every case is then cross-checked against the real
numpy.load(allow_pickle=True): same dtype, shape, memory order and bytes, or for object
arrays the same elements. It fails if anything differs.
"""

import io
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "joblib"))
import gen_joblib as gj  # noqa: E402  (re-executes with PYTHONHASHSEED=0)

import numpy as np  # noqa: E402
import numpy.lib.format as npformat  # noqa: E402

gp = gj.gp


def saved(value):
    bio = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # format 2.0 / 3.0 warnings
        np.save(bio, value, allow_pickle=True)
    return bio.getvalue()


def header_bytes(text, version=(1, 0)):
    """A hand-made file's prefix: magic, length, the header text padded as numpy pads."""
    return npformat._wrap_header(text, version)


def cases():
    out = []

    def add(name, value):
        out.append((name, saved(value), True))

    rng = np.random.default_rng(7)
    scalar_kinds = ["?", "i1", "u1", "<i2", ">i2", "<u2", "<i4", ">i4", "<u4", "<i8", ">i8",
                    "<u8", "<f2", ">f2", "<f4", ">f4", "<f8", ">f8", "<c8", ">c16", "<c16",
                    "S5", "<U3", ">U2", "V4", "<M8[ns]", ">M8[D]", "<m8[s]", "<M8[2h]"]
    for code in scalar_kinds:
        dt = np.dtype(code)
        raw = rng.integers(0, 256, size=6 * dt.itemsize, dtype=np.uint8).tobytes()
        a = np.frombuffer(raw, dtype=dt).copy()
        if dt.kind == "f" or dt.kind == "c":
            a = np.arange(6).astype(dt) / 4 - 0.5
        if dt.kind == "U":
            a = np.array(["ab", "\u00e9", "x\U0001F600", "", "abc", "z"], dtype=dt)
        safe = code.replace("<", "le").replace(">", "be").replace("[", "_").replace("]", "")
        safe = safe.replace("?", "bool")
        add("dtype_%s" % safe, a)
    add("shape_0d", np.array(3.25))
    add("shape_empty", np.zeros((0,), dtype="<i4"))
    add("shape_empty_2d_f", np.asfortranarray(np.zeros((3, 0), dtype="<f8")))
    add("shape_3d", np.arange(24, dtype="<i2").reshape(2, 3, 4))
    add("order_f_2d", np.asfortranarray(np.arange(12, dtype=">f4").reshape(3, 4)))
    add("order_f_3d", np.asfortranarray(np.arange(24, dtype="<i8").reshape(2, 3, 4)))
    add("order_f_one_big_axis", np.asfortranarray(np.arange(5, dtype="<f8").reshape(1, 5)))
    add("order_noncontig", np.arange(20, dtype="<i4").reshape(4, 5)[:, ::2])
    add("big_1d", np.arange(5000, dtype="<f8"))
    add("scalar_float32", np.float32(1.5))
    add("scalar_int64", np.int64(-7))
    add("scalar_datetime", np.datetime64("2024-01-02T03:04", "m"))
    st = np.dtype([("a", "<i4"), ("b", "<f8", (2,)), ("c", "S3")])
    add("struct_simple", np.array([(1, (0.5, 1.5), b"ab"), (-2, (2.5, 3.5), b"xyz")], dtype=st))
    nested = np.dtype([("id", ">u2"), ("pt", [("x", "<f4"), ("y", "<f4")]), ("tags", "S2", (2, 2))])
    add("struct_nested", np.zeros(3, dtype=nested))
    aligned = np.dtype([("c", "u1"), ("d", "<f8"), ("e", "<i2")], align=True)
    add("struct_aligned_padding", np.zeros(2, dtype=aligned))
    gaps = np.dtype({"names": ["a", "b"], "formats": ["<i2", "<i4"], "offsets": [2, 8], "itemsize": 16})
    add("struct_offsets_gaps", np.zeros(2, dtype=gaps))
    titled = np.dtype({"names": ["x", "y"], "formats": ["<i4", "<f4"], "titles": ["X coordinate", None]})
    add("struct_titles", np.zeros(2, dtype=titled))
    add("struct_name_latin1", np.zeros(2, dtype=[("caf\u00e9", "<i4"), ("na\u00efve", "u1")]))
    add("struct_name_quote", np.zeros(1, dtype=[("it's", "<i4"), ('say "hi"', "u1")]))
    add("struct_name_both_quotes", np.zeros(1, dtype=[("a'b\"c", "<i4"), ("tab\there", "u1")]))
    add("struct_name_unicode_v3", np.zeros(2, dtype=[("\u03b1\u03b2", "<f8"), ("\u6570", "<i2")]))
    many = np.dtype([("field_%04d" % i, "<i4") for i in range(3500)])
    add("struct_many_fields_v2", np.zeros(1, dtype=many))
    add("struct_record_array", np.rec.array([(1, 2.0)], dtype=[("i", "<i4"), ("f", "<f8")]))
    add("object_1d", np.array([1, "x", None, [1, 2], {"k": (3, 4.5)}], dtype=object))
    obj2 = np.empty((2, 2), dtype=object)
    obj2[:] = [[b"b", 2.5], [frozenset([1]), None]]
    add("object_2d", obj2)
    add("object_f", np.asfortranarray(obj2))

    # hand-made files numpy.load reads the same way
    hand = []
    hand.append(("hand_keys_reordered",
                 header_bytes("{'shape': (3,), 'fortran_order': False,   'descr': '<i2'}")
                 + np.arange(3, dtype="<i2").tobytes()))
    hand.append(("hand_py2_long_suffix",
                 header_bytes("{'descr': '<u1', 'fortran_order': False, 'shape': (2L, 3L), }")
                 + bytes(range(6))))
    hand.append(("hand_unicode_prefix",
                 header_bytes("{u'descr': [(u'a', u'<i4')], u'fortran_order': False, u'shape': (1,)}")
                 + b"\x07\x00\x00\x00"))
    hand.append(("hand_duplicate_key",
                 header_bytes("{'descr': '<i8', 'descr': '<i2', 'fortran_order': False, 'shape': (2,)}")
                 + b"\x01\x00\x02\x00"))
    hand.append(("hand_trailing_bytes",
                 saved(np.array([1.0, 2.0])) + b"trailing bytes numpy.load ignores"))
    hand.append(("hand_escaped_name",
                 header_bytes("{'descr': [('\\x41\\u00e9\\n', '<i2'), ('\\'q', 'u1')], "
                              "'fortran_order': False, 'shape': (1,)}") + b"\x05\x00\x09"))
    hand.append(("hand_v2_small_header",
                 header_bytes("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 2), }", (2, 0))
                 + np.arange(4, dtype=">i4").tobytes()))
    hand.append(("hand_v3_ascii",
                 header_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (), }", (3, 0))
                 + b"\x01"))
    for name, data in hand:
        out.append((name, data, False))
    return out


def reference(data):
    """(expected JSON text, version, data start, data end, order, object) from the bytes
    alone."""
    f = io.BytesIO(data)
    version = npformat.read_magic(f)
    shape, fortran, dt = npformat._read_array_header(f, version, max_header_size=1 << 20)
    start = f.tell()
    if dt.hasobject:
        value = gp.unpickle_stream(f, reduce=gj.Loader(None).reduce,
                                   build=gj.Loader(None, True, gj.Loader(None)).build)
        text, _ = gj.export_text(value)
        return text, version[0], start, f.tell(), value.order, 1
    n = gj._prod(shape)
    raw = f.read(n * dt.itemsize)
    node = gj.NDArray.from_bytes(dt, shape, fortran, raw, "npy")
    text, _ = gj.export_text(node)
    return text, version[0], start, f.tell(), node.order, 0


def cross_check(name, data, order):
    real = np.load(io.BytesIO(data), allow_pickle=True)
    if real.dtype.hasobject:
        return real
    f = io.BytesIO(data)
    version = npformat.read_magic(f)
    shape, fortran, dt = npformat._read_array_header(f, version, max_header_size=1 << 20)
    if real.dtype != dt:
        raise SystemExit("%s: numpy.load gives dtype %r, the header says %r" % (name, real.dtype, dt))
    if gj._order_of(real) != order:
        raise SystemExit("%s: numpy.load gives order %s, expected %s" % (name, gj._order_of(real), order))
    return real


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    names = []
    for name, data, resave in cases():
        text, version, start, end, order, obj = reference(data)
        cross_check(name, data, order)
        with open(os.path.join(outdir, name + ".npy"), "wb") as f:
            f.write(data)
        with open(os.path.join(outdir, name + ".json"), "w", encoding="utf-8", newline="\n") as f:
            f.write(text + "\n")
        with open(os.path.join(outdir, name + ".meta"), "w") as f:
            f.write("version=%d data=%d end=%d order=%s object=%d resave=%d\n"
                    % (version, start, end, order, obj, resave))
        names.append(name)
    with open(os.path.join(outdir, "MANIFEST"), "w") as f:
        f.write("".join(n + "\n" for n in sorted(names)))
    print("%d .npy cases in %s" % (len(names), outdir))


if __name__ == "__main__":
    main()
