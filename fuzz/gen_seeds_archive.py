#!/usr/bin/python3
"""gen_seeds_archive.py - (re)write the seeds of fuzz_archive and fuzz_torch.

    /usr/bin/python3 fuzz/gen_seeds_archive.py        (from the repository root)

fuzz_archive (fuzz/corpus/fuzz_archive/):
  golden-*       every archive of tests/archive/golden up to 64 KiB (checkpoints, tar
                 bundles in every codec, zip bundles)
  made-*         small archives made here with zipfile and tarfile: zip64 records, a
                 data descriptor, unsafe names, duplicates, links, a nested zip, an empty
                 zip, GNU and ustar formats
fuzz_torch (fuzz/corpus/fuzz_torch/):
  golden-*       the data.pkl and storages of each tests/archive/golden checkpoint with
                 at most 15 storages, in fuzz_torch's input format: a flags byte (storage
                 count; 16: a "big" byteorder record; 32: the prefix "archive"), each
                 storage as a 16-bit length and its bytes, then data.pkl

The script deletes the old golden- and made- files first; others are kept.
"""
import io
import os
import struct
import sys
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "archive", "golden")
OUT_A = os.path.join(ROOT, "fuzz", "corpus", "fuzz_archive")
OUT_T = os.path.join(ROOT, "fuzz", "corpus", "fuzz_torch")
PICKLE = b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s."


def clean(d):
    os.makedirs(d, exist_ok=True)
    for fn in os.listdir(d):
        if fn.startswith(("golden-", "made-")):
            os.unlink(os.path.join(d, fn))


def zinfo(name):
    return zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))


def made_archives():
    out = {}
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        with z.open(zinfo("big.npy"), "w", force_zip64=True) as f:   # zip64 local record
            f.write(b"\x93NUMPY" + b"x" * 40)
        z.writestr(zinfo("m.pkl"), PICKLE)
    out["made-zip64-local.zip"] = b.getvalue()
    b = io.BytesIO()

    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.buf = bytearray()

        def writable(self):
            return True

        def write(self, data):
            self.buf += data
            return len(data)
    u = Unseekable()
    with zipfile.ZipFile(u, "w", zipfile.ZIP_DEFLATED) as z:     # data descriptors
        z.writestr(zinfo("model.joblib"), PICKLE)
    out["made-descriptor.zip"] = bytes(u.buf)
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for n in ("../up.pkl", "/abs.pkl", "a.pkl", "a.pkl", "dir/", "C:\\x.pkl"):
            z.writestr(zinfo(n), PICKLE)
    out["made-names.zip"] = b.getvalue()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr(zinfo("m.joblib"), PICKLE)
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr(zinfo("inner.zip"), inner.getvalue())
        z.writestr(zinfo("inner.npz"), inner.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    out["made-nested.zip"] = b.getvalue()
    b = io.BytesIO()
    zipfile.ZipFile(b, "w").close()
    out["made-empty.zip"] = b.getvalue()
    for fmt, tag in ((tarfile.GNU_FORMAT, "gnu"), (tarfile.USTAR_FORMAT, "ustar")):
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
            ti = tarfile.TarInfo("m.joblib")
            ti.size = len(PICKLE)
            t.addfile(ti, io.BytesIO(PICKLE))
            ti = tarfile.TarInfo("link")
            ti.type = tarfile.LNKTYPE
            ti.linkname = "m.joblib"
            t.addfile(ti)
            ti = tarfile.TarInfo("../../evil.pkl")
            ti.size = len(PICKLE)
            t.addfile(ti, io.BytesIO(PICKLE))
        out["made-%s.tar" % tag] = b.getvalue()
    return out


def torch_seed(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        prefix = names[0].split("/")[0]
        keys = sorted(int(n.split("/")[-1]) for n in names if n.startswith(prefix + "/data/"))
        if len(keys) > 15 or keys != list(range(len(keys))):
            return None
        flags = len(keys) | (16 if prefix + "/byteorder" in names else 0) | (32 if prefix == "archive" else 0)
        parts = [bytes([flags])]
        for k in keys:
            data = z.read("%s/data/%d" % (prefix, k))
            if len(data) > 0xFFFF:
                return None
            parts.append(struct.pack("<H", len(data)) + data)
        parts.append(z.read(prefix + "/data.pkl"))
        return b"".join(parts)


def main():
    clean(OUT_A)
    clean(OUT_T)
    count_a = count_t = 0
    for fn in sorted(os.listdir(GOLDEN)):
        p = os.path.join(GOLDEN, fn)
        if fn == "MANIFEST" or fn.endswith((".json", ".meta", ".err")):
            continue
        data = open(p, "rb").read()
        if len(data) <= 65536:
            open(os.path.join(OUT_A, "golden-" + fn), "wb").write(data)
            count_a += 1
        if fn.startswith("t_") and data[:2] == b"PK":
            seed = torch_seed(p)
            if seed is not None:
                open(os.path.join(OUT_T, "golden-" + fn), "wb").write(seed)
                count_t += 1
    for name, data in made_archives().items():
        open(os.path.join(OUT_A, name), "wb").write(data)
        count_a += 1
    print("fuzz_archive: %d seeds, fuzz_torch: %d seeds" % (count_a, count_t))


if __name__ == "__main__":
    sys.exit(main())
