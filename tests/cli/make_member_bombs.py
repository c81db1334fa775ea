#!/usr/bin/env python3
"""make_member_bombs.py DIR [MIB] - archive member bombs for tests/cli/run.sh.

Writes to DIR one pickle stream, the same in every file: os.system named and called,
then a BINBYTES8 of MIB MiB of zeros (default 256), then os.system again; and that
stream as
  bomb.pkl.gz            a plain gzip file (the reference: the scan's stream budgets)
  member_bomb.zip        a zip whose member bomb.pkl is deflated
  member_bomb.tar.gz     a gzip'd tar holding bomb.pkl
  member_bomb.pt         a PyTorch checkpoint whose record bomb/data.pkl is deflated
  member_bomb.tar.xz     an xz'd tar holding bomb.pkl (past the archive reader's ratio
                         bound: it cannot be listed)
Each is a few hundred KB that decodes to MIB MiB. Written in chunks: nothing holds the
decoded stream in memory. Only the standard library is used.
"""
import gzip
import io
import lzma
import os
import struct
import sys
import tarfile
import zipfile
import zlib

CHUNK = 1 << 20


def system_call(arg):
    # GLOBAL os.system, SHORT_BINUNICODE arg, TUPLE1, REDUCE, POP
    return b"cos\nsystem\n" + b"\x8c" + bytes([len(arg)]) + arg + b"\x85R0"


def pieces(mib):
    """The stream, in pieces of at most CHUNK bytes."""
    n = mib << 20
    yield b"\x80\x04" + system_call(b"echo first") + b"\x8e" + struct.pack("<Q", n)
    zeros = bytes(CHUNK)
    for _ in range(n // CHUNK):
        yield zeros
    yield b"0" + system_call(b"echo last") + b"N."


class Reader(io.RawIOBase):
    """The stream as a file object, for tarfile."""

    def __init__(self, mib):
        self.it = pieces(mib)
        self.buf = b""

    def readable(self):
        return True

    def readinto(self, b):
        while not self.buf:
            try:
                self.buf = next(self.it)
            except StopIteration:
                return 0
        k = min(len(b), len(self.buf))
        b[:k] = self.buf[:k]
        self.buf = self.buf[k:]
        return k


def write_zip(path, name, mib, extra=()):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9, allowZip64=True) as z:
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            for p in pieces(mib):
                f.write(p)
        for ename, data in extra:
            z.writestr(zipfile.ZipInfo(ename, date_time=(2020, 1, 1, 0, 0, 0)), data)


def main():
    out = sys.argv[1]
    mib = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    os.makedirs(out, exist_ok=True)
    size = sum(len(p) for p in pieces(0)) + (mib << 20)
    with open(os.path.join(out, "bomb.pkl.gz"), "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as g:
            for p in pieces(mib):
                g.write(p)
    write_zip(os.path.join(out, "member_bomb.zip"), "bomb.pkl", mib)
    write_zip(os.path.join(out, "member_bomb.pt"), "bomb/data.pkl", mib, [("bomb/version", b"3\n")])
    for ext, opener in (("gz", lambda raw: gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0)),
                        ("xz", lambda raw: lzma.LZMAFile(raw, "wb", preset=1))):
        with open(os.path.join(out, "member_bomb.tar." + ext), "wb") as raw:
            with opener(raw) as g:
                with tarfile.open(fileobj=g, mode="w", format=tarfile.PAX_FORMAT) as t:
                    info = tarfile.TarInfo("bomb.pkl")
                    info.size = size
                    info.mtime = 0
                    t.addfile(info, io.BufferedReader(Reader(mib), CHUNK))


if __name__ == "__main__":
    main()
