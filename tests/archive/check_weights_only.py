#!/usr/bin/python3
"""check_weights_only.py - the scan's torch reading takes torch's own weights_only
allowlist as safe (spec/SAFETY.md, libjlpickle/scan/torch.c).

    /usr/bin/python3 tests/archive/check_weights_only.py BUILD_DIR

Every global of the installed torch's torch.load(weights_only=True) allowlist
(torch._weights_only_unpickler._get_allowed_globals(): storage and tensor types,
dtypes, rebuild functions, OrderedDict, Size, device, ...) is named by the data.pkl of a
minimal checkpoint (a zip with `archive/data.pkl` and `archive/version`); `jlinspect
--safety --json` must judge it safe for that reason, in the torch reading. Controls that
must not pass: names outside the allowlist that run or load code in a checkpoint
(dangerous), and the sparse rebuilders, whose indices only torch.load checks, in a plain pickle
(suspicious). Prints one line per failure and "N passed, N failed".
"""
import io
import json
import os
import subprocess
import sys
import zipfile

import torch
from torch import _weights_only_unpickler

# the allowlist's own reason; storage types have find_class's (torch.load maps their names
# to dtypes whatever the module, before any allowlist is consulted)
REASONS = ("in the allowlist of torch.load(weights_only=True)",
           "torch.load maps a storage type name to its dtype without importing anything")


def global_pickle(dotted):
    module, _, name = dotted.rpartition(".")
    return b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\nq\x00."


def checkpoint(dotted):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", global_pickle(dotted))
        z.writestr("archive/version", b"3\n")
    return buf.getvalue()


def scan(jlinspect, path):
    p = subprocess.run([jlinspect, "--safety", "--json", path], capture_output=True, text=True)
    return json.loads(p.stdout)


def findings(report):
    for f in report["inspected"]["files"] if report.get("inspected") else []:
        for g in f["findings"]:
            yield f, g


def main(build):
    jlinspect = os.path.join(build, "jlinspect")
    tmp = os.path.join(build, "check_weights_only")
    os.makedirs(tmp, exist_ok=True)
    passed = failed = 0

    def expect(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL " + what)

    names = sorted(_weights_only_unpickler._get_allowed_globals())
    expect(len(names) > 50, "torch's allowlist has only %d names" % len(names))
    for dotted in names:
        path = os.path.join(tmp, dotted + ".pt")
        with open(path, "wb") as fh:
            fh.write(checkpoint(dotted))
        r = scan(jlinspect, path)
        fs = list(findings(r))
        ok = (r["verdict"] == "safe" and r["archive"]["kind"] == "torch checkpoint" and len(fs) == 1
              and fs[0][1]["reading"] == "torch" and fs[0][1]["verdict"] == "safe"
              and fs[0][1]["reason"].startswith(REASONS))
        expect(ok, "%s: %s" % (dotted, json.dumps(fs[0][1] if fs else r)[:300]))
    # controls: the same checkpoint around names outside the allowlist
    for dotted in ("os.system", "torch.load", "torch.jit.load", "builtins.eval"):
        path = os.path.join(tmp, "control-" + dotted + ".pt")
        with open(path, "wb") as fh:
            fh.write(checkpoint(dotted))
        r = scan(jlinspect, path)
        expect(r["verdict"] == "dangerous", "control %s in a checkpoint: %s" % (dotted, r["verdict"]))
    for dotted in ("torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_sparse_csr_tensor"):
        path = os.path.join(tmp, "control-" + dotted + ".pkl")
        with open(path, "wb") as fh:
            fh.write(global_pickle(dotted))
        r = scan(jlinspect, path)
        v = [g["verdict"] for g in r["findings"]]
        expect(r["verdict"] == "suspicious" and v and set(v) == {"suspicious"},
               "control %s in a plain pickle: %s" % (dotted, r["verdict"]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
