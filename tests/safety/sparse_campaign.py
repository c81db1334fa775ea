#!/usr/bin/python3
"""Random torch sparse tensors: the scan's verdict against what torch does with them
(spec/SAFETY.md SA-7).

    /usr/bin/python3 tests/safety/sparse_campaign.py --build B [--cases N] [--seed S]
        [--keep DIR] [--json]

Each case is a random sparse tensor - COO (one to three dimensions, hybrid ones too),
CSR, CSC, BSR or BSC - built with torch's unchecked constructors from indices that are
in range, or with one defect put in: an index equal to or past its dimension, negative,
huge (10**11), a compressed index past nnz, decreasing or not starting at 0, a row
growing by more than the plain dimension, plain indices out of order within a row, a
false is_coalesced claim. It is written as joblib and pickle write it (pickle protocol
5, storages as torch.storage._load_from_bytes), and, for COO and CSR (the layouts torch
1.13 saves), as torch.save writes it (zip and legacy formats); CSC, BSR, BSC and COO with
is_coalesced are pickled in torch 2.x's form (_rebuild_sparse_tensor(layout, data)).

The truth: a forked child of this process (torch imported once, glibc's malloc checks
on: MALLOC_CHECK_=3 with libc_malloc_debug when present) loads the file as Python
would - pickle.load, or torch.load with its sparse validation turned off, as torch 2.8
and later load by default - with torch 2.x's _rebuild_sparse_tensor where the layout
needs it, then calls to_dense() (and coalesce().to_dense() for COO) and frees it all.
A child killed by a signal (SIGSEGV, SIGABRT of a corrupted heap) crashed, and so did
one still running after 30 s (glibc's malloc assertion on a corrupted heap can wait
forever for the arena lock it holds).

The scan: `B/jlinspect --safety --json` of every file. Properties (each a failed case
when broken):
  - a file whose child crashed is never "safe" (the property that matters);
  - a tensor with a defect is never "safe" (the scan claims to prove the indices);
    one with an index out of range (COO index, plain index, a compressed index that
    does not run from 0 up to nnz) is "dangerous";
  - a tensor without a defect is "safe".
Ends with "N passed, N failed" and, per layout and defect, how many files crashed and
the verdicts given. make check runs a few dozen cases (tests/safety/check.py, suite
sparse); `make safety-campaign` or this script runs more.
"""
import argparse
import gc
import io
import json
import os
import pickle
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "sparse"))
sys.path.insert(0, HERE)

HUGE = 10 ** 11
HANG_SECONDS = 30
MALLOC_DEBUG = "/lib/x86_64-linux-gnu/libc_malloc_debug.so.0"

# defects: name -> the verdict the scan must give at least ("dangerous" for an index out
# of range, "suspicious" for the other defects); None: no defect, "safe" exactly
OOB = ("index_eq_dim", "index_past_dim", "index_negative", "index_huge")
DEFECTS_COO = OOB + ("coalesced_false_claim",)
DEFECTS_COMPRESSED = OOB + ("ptr_past_nnz", "ptr_decreasing", "ptr_first_not_zero",
                            "row_too_long", "plain_unsorted")


# out of range: a COO or plain index outside its dimension, a compressed index that
# does not run from 0 up to nnz (spec/SAFETY.md SA-7)
OUT_OF_RANGE = OOB + ("ptr_past_nnz", "ptr_decreasing", "ptr_first_not_zero")


def want_of(defect):
    if defect is None:
        return "safe"
    return "dangerous" if defect in OUT_OF_RANGE else "suspicious"


def bad_index(rng, defect, dim):
    if defect == "index_eq_dim":
        return dim
    if defect == "index_past_dim":
        return dim + rng.randrange(1, 1000)
    if defect == "index_negative":
        return -rng.randrange(1, 4)
    return HUGE


def gen_coo(rng, defect):
    """(indices [sparse_dim][nnz], values shape, size, coalesced flag or None)."""
    ndim = rng.choice((1, 2, 2, 3))
    size = [rng.randrange(1, 6) for _ in range(ndim)]
    sparse_dim = rng.randrange(1, ndim + 1)
    cells = 1
    for d in size[:sparse_dim]:
        cells *= d
    nnz = rng.randrange(1, min(cells, 8) + 1)
    flat = sorted(rng.sample(range(cells), nnz))
    idx = [[0] * nnz for _ in range(sparse_dim)]
    for k, f in enumerate(flat):
        for d in range(sparse_dim - 1, -1, -1):
            idx[d][k] = f % size[d]
            f //= size[d]
    claim = None
    if defect in OOB:
        d, k = rng.randrange(sparse_dim), rng.randrange(nnz)
        idx[d][k] = bad_index(rng, defect, size[d])
    elif defect == "coalesced_false_claim":
        if nnz < 2:
            # a duplicate needs two entries
            for d in range(sparse_dim):
                idx[d].append(idx[d][0])
            nnz = 2
        else:
            for d in range(sparse_dim):
                idx[d][1] = idx[d][0]
        claim = True
    elif rng.random() < 0.3:
        claim = True  # torch's own coalesced tensors say so
    return idx, [nnz] + size[sparse_dim:], size, claim


def gen_compressed(rng, layout, defect):
    """(compressed, plain, values shape, size) of a 2-D CSR/CSC/BSR/BSC tensor; None when
    the draw cannot hold the defect (the caller draws again)."""
    blocked = layout in ("bsr", "bsc")
    b = (rng.randrange(1, 3), rng.randrange(1, 3)) if blocked else (1, 1)
    nb = (rng.randrange(1, 5), rng.randrange(1, 5))  # blocks (or elements) per dimension
    size = [nb[0] * b[0], nb[1] * b[1]]
    rows, plain_dim = (nb[0], nb[1]) if layout in ("csr", "bsr") else (nb[1], nb[0])
    ptr, plain = [0], []
    for _ in range(rows):
        k = rng.randrange(0, plain_dim + 1)
        plain.extend(sorted(rng.sample(range(plain_dim), k)))
        ptr.append(len(plain))
    if not plain:  # at least one entry, so that every defect has something to change
        plain.append(rng.randrange(plain_dim))
        ptr = [0] + [1] * rows
    nnz = len(plain)
    if defect in OOB:
        plain[rng.randrange(nnz)] = bad_index(rng, defect, plain_dim)
    elif defect == "ptr_past_nnz":
        ptr[-1] = nnz + rng.randrange(1, 4)
    elif defect == "ptr_decreasing":
        if rows < 2:
            return None
        if rows == 2:
            ptr[1] = -1
        else:
            ptr[1] = nnz
            ptr[2] = 0
    elif defect == "ptr_first_not_zero":
        ptr[0] = 1
    elif defect == "row_too_long":
        # row 0 holds plain_dim + 1 entries, each in range (one twice)
        row0 = list(range(plain_dim)) + [plain_dim - 1]
        plain = row0 + plain[ptr[1]:]
        ptr = [0] + [p - ptr[1] + len(row0) for p in ptr[1:]]
    elif defect == "plain_unsorted":
        for r in range(rows):
            if ptr[r + 1] - ptr[r] >= 2:
                a = ptr[r]
                plain[a], plain[a + 1] = plain[a + 1], plain[a]
                break
        else:
            return None
    vshape = [len(plain)] + ([b[0], b[1]] if blocked else [])
    return ptr, plain, vshape, size


class Case:
    def __init__(self, cid, layout, defect, form, data):
        self.cid, self.layout, self.defect, self.form, self.data = cid, layout, defect, form, data
        self.name = "c%05d_%s_%s.%s" % (cid, layout, defect or "valid",
                                        {"p5": "p5.pkl", "pt": "pt", "legacy": "legacy.pt"}[form])
        self.truth = None   # "crash", "refused", "ok"
        self.detail = ""
        self.verdict = None


def make_cases(n, seed):
    import torch
    import gen_sparse
    rng = random.Random(seed)
    torch.manual_seed(seed)
    cases = []
    layouts = ("coo", "coo", "csr", "csr", "csc", "bsr", "bsc")
    while len(cases) < n:
        layout = rng.choice(layouts)
        defects = DEFECTS_COO if layout == "coo" else DEFECTS_COMPRESSED
        defect = rng.choice(defects) if rng.random() < 0.6 else None
        li = torch.int64 if layout == "coo" or rng.random() < 0.8 else torch.int32
        if layout == "coo":
            idx, vshape, size, claim = gen_coo(rng, defect)
            indices = torch.tensor(idx, dtype=torch.int64)
            values = torch.randn(vshape)
            if claim is not None:
                obj = gen_sparse.Rebuild(torch.sparse_coo, indices, values, torch.Size(size), claim)
                forms = ("p5",)
            else:
                obj = torch._sparse_coo_tensor_unsafe(indices, values, size)
                forms = ("p5", "pt", "legacy")
        else:
            g = gen_compressed(rng, layout, defect)
            if g is None:
                continue
            ptr, plain, vshape, size = g
            if any(abs(x) >= 2 ** 31 for x in ptr + plain):
                li = torch.int64
            ci, pi = torch.tensor(ptr, dtype=li), torch.tensor(plain, dtype=li)
            values = torch.randn(vshape)
            if layout == "csr":
                obj = torch._sparse_csr_tensor_unsafe(ci, pi, values, size)
                forms = ("p5", "pt", "legacy")
            else:
                lay = {"csc": torch.sparse_csc, "bsr": torch.sparse_bsr, "bsc": torch.sparse_bsc}[layout]
                obj = gen_sparse.Rebuild(lay, ci, pi, values, torch.Size(size))
                forms = ("p5",)
        form = rng.choice(forms)
        if form == "p5":
            data = gen_sparse.pickled(obj)
        else:
            data = gen_sparse.saved(obj, form == "pt")
        cases.append(Case(len(cases), layout, defect, form, data))
    return cases


# ---- the truth: a child per file ---------------------------------------------------------

def _rebuild_v2(layout, data):
    """torch 2.x's _rebuild_sparse_tensor (every layout, COO's is_coalesced) over torch
    1.13's unchecked constructors, without the validation torch 2.8 skips."""
    import torch
    if layout == torch.sparse_coo:
        indices, values, size = data[:3]
        r = torch._sparse_coo_tensor_unsafe(indices, values, size)
        if len(data) > 3 and data[3]:
            r._coalesced_(True)
        return r
    ci, pi, values, size = data
    return torch._sparse_compressed_tensor_unsafe(ci, pi, values, size, dtype=values.dtype, layout=layout)


def _use(t):
    import torch
    d = t.to_dense()
    s = float(d.sum())
    if t.layout == torch.sparse_coo:
        s += float(t.coalesce().to_dense().sum())
    return s


def truth_of(path, form):
    """Load `path` in a forked child as Python would and use the tensor."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 2)
            import torch
            import torch._utils
            torch._utils._rebuild_sparse_tensor = _rebuild_v2
            # torch >= 2.8's torch.load: no validation unless asked
            torch._utils._validate_loaded_sparse_tensors = lambda: torch._utils._sparse_tensors_to_validate.clear()
            if form == "p5":
                with open(path, "rb") as f:
                    t = pickle.load(f)
            else:
                t = torch.load(path)
            _use(t)
            del t
            gc.collect()
        except BaseException:
            code = 3
        os._exit(code)
    # a child may hang where the heap is corrupted: glibc's malloc assertion then asks
    # for memory under the arena lock it holds
    deadline = time.monotonic() + HANG_SECONDS
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "crash", "hung for %d s" % HANG_SECONDS
        time.sleep(0.02)
    if os.WIFSIGNALED(status):
        return "crash", signal.Signals(os.WTERMSIG(status)).name
    return ("ok", "") if os.WEXITSTATUS(status) == 0 else ("refused", "")


def truths(cases, d):
    import torch
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    for c in cases:
        c.truth, c.detail = truth_of(os.path.join(d, c.name), c.form)


# ---- the scan ----------------------------------------------------------------------------

def scan_all(jlinspect, d, cases, batch=64):
    import scan
    for k in range(0, len(cases), batch):
        part = cases[k:k + batch]
        r = subprocess.run([jlinspect, "--safety", "--json"] + [c.name for c in part], cwd=d,
                           capture_output=True, text=True, timeout=600)
        docs = scan.parse(r.stdout)
        by = {doc.get("file"): doc for doc in docs}
        for c in part:
            doc = by.get(c.name)
            c.verdict = doc.get("verdict") if doc else "missing (exit %d)" % r.returncode


RANK = {"safe": 0, "suspicious": 1, "dangerous": 2}


def judge(c):
    """(ok, why) of one case."""
    v = RANK.get(c.verdict, -1)
    if c.truth == "crash" and v < 1:
        return False, "torch crashed (%s) on it, the scan says %s" % (c.detail, c.verdict)
    want = want_of(c.defect)
    if c.defect is None:
        return (c.verdict == "safe"), "valid indices, the scan says %s" % c.verdict
    if v < RANK[want]:
        return False, "defect %s needs %s, the scan says %s" % (c.defect, want, c.verdict)
    return True, ""


def campaign(jlinspect, n, seed, keep=None):
    """@return (cases, [(case, ok, why)])."""
    d = keep or tempfile.mkdtemp(prefix="sparse_campaign.")
    os.makedirs(d, exist_ok=True)
    try:
        cases = make_cases(n, seed)
        for c in cases:
            with open(os.path.join(d, c.name), "wb") as f:
                f.write(c.data)
        truths(cases, d)
        scan_all(jlinspect, d, cases)
        return cases, [(c,) + judge(c) for c in cases]
    finally:
        if not keep:
            shutil.rmtree(d, ignore_errors=True)


def table(cases):
    rows = {}
    for c in cases:
        k = (c.layout, c.defect or "valid")
        r = rows.setdefault(k, {"n": 0, "crash": 0, "refused": 0, "safe": 0, "suspicious": 0, "dangerous": 0})
        r["n"] += 1
        if c.truth in ("crash", "refused"):
            r[c.truth] += 1
        if c.verdict in RANK:
            r[c.verdict] += 1
    out = ["%-5s %-22s %5s %6s %8s %5s %10s %9s" % ("", "defect", "files", "crash", "refused", "safe",
                                                    "suspicious", "dangerous")]
    for (lay, df), r in sorted(rows.items()):
        out.append("%-5s %-22s %5d %6d %8d %5d %10d %9d" % (lay, df, r["n"], r["crash"], r["refused"], r["safe"],
                                                         r["suspicious"], r["dangerous"]))
    return "\n".join(out)


def run_suite(rep, jlinspect, python, n, seed):
    """check.py's suite `sparse`: the campaign in a child python (malloc checks on), its
    cases reported to `rep`."""
    env = dict(os.environ)
    if os.path.exists(MALLOC_DEBUG):
        env["LD_PRELOAD"] = MALLOC_DEBUG
        env["MALLOC_CHECK_"] = "3"
    r = subprocess.run([python, os.path.abspath(__file__), "--build", os.path.dirname(jlinspect), "--cases",
                        str(n), "--seed", str(seed), "--json"], capture_output=True, text=True, env=env,
                       timeout=3600)
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        rep.case("sparse: campaign ran", False, "exit %d: %s" % (r.returncode, r.stderr[-400:]))
        return
    for name, ok, why in doc["cases"]:
        rep.case("sparse/" + name, ok, why)
    print("safety: sparse (seed %d): %d files, %d crashed torch" % (seed, len(doc["cases"]), doc["crashed"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="write the files here and keep them")
    ap.add_argument("--json", action="store_true", help="one JSON document for check.py")
    args = ap.parse_args()
    if "LD_PRELOAD" not in os.environ and os.path.exists(MALLOC_DEBUG) and not args.json:
        # glibc's malloc checks need their library loaded at start
        env = dict(os.environ, LD_PRELOAD=MALLOC_DEBUG, MALLOC_CHECK_="3")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    warnings.simplefilter("ignore")
    jlinspect = os.path.join(os.path.abspath(args.build), "jlinspect")
    cases, results = campaign(jlinspect, args.cases, args.seed, args.keep)
    crashed = sum(c.truth == "crash" for c in cases)
    if args.json:
        json.dump({"cases": [[c.name, ok, why] for c, ok, why in results], "crashed": crashed}, sys.stdout)
        return 0
    failed = [(c, why) for c, ok, why in results if not ok]
    for c, why in failed:
        print("FAIL %s: %s" % (c.name, why))
    print(table(cases))
    print("sparse campaign (seed %d): %d files, %d crashed torch; %d passed, %d failed" %
          (args.seed, len(cases), crashed, len(cases) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
