#!/usr/bin/python3
"""The load sweep's pickles (bench/sweep.py: the shapes and protocols users pickle, by
pickle.dumps, joblib.dump and an emulated Python 2 cPickle, streams of several pickles
included) at a small scale: `jlload --all FILE` of each must print exactly the export of
the reference inert reader (tests/joblib/gen_joblib.py), one line per pickle.

    /usr/bin/python3 tests/diff/sweep_check.py BUILD [--scale K] [--keep DIR]

Ends with `N passed, N failed` (the line tests/run.sh reads, after the file count); exit
status 1 when one failed."""
import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "pickle"))
sys.path.insert(0, os.path.join(ROOT, "tests", "joblib"))
import gen_joblib as gj  # noqa: E402
import sweep  # noqa: E402


def reference(path):
    data = open(path, "rb").read()
    f = io.BytesIO(data)
    out = []
    while f.tell() < len(data):
        out.append(gj.export_text(gj.Loader(os.path.dirname(path)).load(f))[0] + "\n")
    return "".join(out).encode("utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("--scale", type=int, default=50)
    ap.add_argument("--keep", help="write the files here and keep them")
    args = ap.parse_args()
    d = args.keep or tempfile.mkdtemp(prefix="jlp-sweep-")
    try:
        files = sweep.generate(d, args.scale)
        bad = 0
        for f in files:
            path = os.path.join(d, f["file"])
            want = reference(path)
            r = subprocess.run([os.path.join(args.build, "jlload"), "--all", path], capture_output=True)
            if r.returncode != 0 or r.stdout != want:
                bad += 1
                print(f"FAIL {f['row']}: exit {r.returncode} {r.stderr.decode(errors='replace')[:200]}"
                      f" ({len(r.stdout)} bytes of export, reference {len(want)})")
        print(f"{len(files)} files")
        print(f"{len(files) - bad} passed, {bad} failed")
        return 1 if bad else 0
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
