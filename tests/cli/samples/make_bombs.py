#!/usr/bin/python3
"""Write the two budget samples of the CLI tests (the files are committed):

  bomb_line.pkl.bz2   a few hundred bytes of bz2 that decode to a protocol 4 STRING
                      opcode whose line (1 GiB of 'a') never ends: read with the
                      library's defaults it made the tools allocate a gigabyte
  bomb_ops.pkl.bz2    a few KB of bz2 that decode to 500 million NONE/POP pairs and a
                      STOP: a billion opcodes, about 15 s of work with the defaults

    /usr/bin/python3 tests/cli/samples/make_bombs.py tests/cli/samples
"""
import bz2
import os
import sys

CHUNK = 1 << 20


def write(path, head, unit, total, tail):
    comp = bz2.BZ2Compressor(9)
    out = [comp.compress(head)]
    block = unit * (CHUNK // len(unit))
    left = total
    while left > 0:
        piece = block if left >= len(block) else unit * (left // len(unit))
        out.append(comp.compress(piece))
        left -= len(piece)
    out.append(comp.compress(tail))
    out.append(comp.flush())
    with open(path, "wb") as f:
        f.write(b"".join(out))


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    write(os.path.join(outdir, "bomb_line.pkl.bz2"), b"\x80\x04S", b"a", 1 << 30, b"")
    write(os.path.join(outdir, "bomb_ops.pkl.bz2"), b"\x80\x04N", b"N0", 1 << 30, b".")


if __name__ == "__main__":
    main()
