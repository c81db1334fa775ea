#!/usr/bin/python3
"""check_npz_writes.py - numpy.load reads the .npz files jldump writes.

    /usr/bin/python3 tests/archive/check_npz_writes.py BUILD_DIR

For every golden .npz of tests/archive/golden (numpy.savez and savez_compressed files,
object arrays excepted) and every golden checkpoint whose tensors numpy can hold, jldump
writes OUT.npz stored and deflated (-c deflate); numpy.load of OUT must give the same
keys in the same order and, for each, an array equal to the original's in dtype (byte
order included), shape, memory order (C/F contiguity) and bytes. Checkpoints compare with
torch.load's state dict. Prints "N passed, N failed".
"""
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")


def same(a, b):
    return (a.dtype == b.dtype and a.shape == b.shape and a.flags.c_contiguous == b.flags.c_contiguous
            and a.flags.f_contiguous == b.flags.f_contiguous and a.tobytes(order="A") == b.tobytes(order="A"))


def main(build):
    jldump = os.path.join(build, "jldump")
    passed = failed = 0
    tmp = tempfile.mkdtemp()
    try:
        cases = []
        for fn in sorted(os.listdir(GOLDEN)):
            p = os.path.join(GOLDEN, fn)
            if fn.endswith(".npz") and fn != "n_object.npz" and fn != "n_mixed.npz":
                with np.load(p) as z:
                    cases.append((fn, p, [(k, z[k]) for k in z.files]))
            elif fn in ("t_state_dict.pt", "t_tensor.pt"):
                import torch
                obj = torch.load(p)
                items = obj.items() if isinstance(obj, dict) else [("arr_0", obj)]
                cases.append((fn, p, [(k, v.numpy()) for k, v in items]))
        for fn, p, want in cases:
            for flag in ([], ["-c", "deflate"]):
                out = os.path.join(tmp, "out.npz")
                r = subprocess.run([jldump] + flag + [p, out], capture_output=True, text=True)
                ok = r.returncode == 0
                if ok:
                    with np.load(out) as z:
                        got = [(k, z[k]) for k in z.files]
                    ok = [k for k, _ in got] == [k for k, _ in want] and all(same(a, b) for (_, a), (_, b) in zip(got, want))
                    with zipfile.ZipFile(out) as zf:
                        method = {zipfile.ZIP_STORED if not flag else zipfile.ZIP_DEFLATED}
                        ok = ok and {i.compress_type for i in zf.infolist()} == method and zf.testzip() is None
                if ok:
                    passed += 1
                else:
                    failed += 1
                    print("FAIL %s %s: %s" % (fn, " ".join(flag) or "stored", r.stderr.strip()))
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
