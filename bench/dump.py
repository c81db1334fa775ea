#!/usr/bin/python3
"""The dump suite of bench/run.py: libjlpickle's writers against Python, side by side.

    /usr/bin/python3 bench/run.py --build build --suite dump [--quick] [--only dump-zlib,...]
                                   [--repeat N] [--rounds R] [--profile]

Three groups (names for --only in brackets), results in bench/results/dump.md and dump.png:

  array    [dump-array] a 512 MiB float64 array (np.arange): C builds a document around the
           caller's bytes (jlp_new_array(..., JLP_BORROW)) and writes it with jlp_dump_path()
           (temporary file, fsync, rename) vs joblib.dump(a, path). For information also C
           jlp_dump_fd() on an open file (no fsync) and joblib.dump + os.fsync. Peak extra
           memory of the C dump = VmHWM - the array's bytes, also for 64 MiB and 2 GiB arrays.
  objects  [dump-ints, dump-strs, dump-dict, dump-records] the four workloads of the pickle
           suite: C loads the pickle once (untimed) and times jlp_dump_mem() at protocol 4 vs
           CPython's C pickler pickle.dumps(obj, 4) vs joblib.dump(obj, path).
  codecs   [dump-zlib, dump-gzip, dump-bz2, dump-lzma, dump-xz, dump-lz4, dump-zstd] the
           ~300 MB table of the codecs suite (dict of 20 low-cardinality columns): C loads the
           uncompressed joblib dump (untimed) and times jlp_dump_fd() (no fsync, as
           joblib.dump) into a file with each codec at
           joblib's default level, single-threaded and with 2 threads (zlib and gzip: the
           library's parallel deflate; xz: liblzma's threaded encoder; zstd: libzstd's
           workers; bz2, lzma and lz4 have no threads) vs joblib.dump(table, path,
           compress=codec). joblib 1.2 cannot write zstd: the zstd tool (-3 --single-thread /
           -3 -T2 on the uncompressed dump) is shown instead. Every C output is decompressed by Python's
           module (the zstd tool for zstd) and compared with the uncompressed dump.

Every side runs in its own fresh process; R rounds rotate the order of the sides so that all
of them see the same machine noise; samples are pooled (best and median). Before each timed
dump to a file, the output is removed and sync() runs (untimed) on both sides.
"""
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

import run as R  # the runner: helpers, and the pickle suite's workloads

HERE, ROOT = R.HERE, R.ROOT
MiB, GiB = 1 << 20, 1 << 30

ARRAY_NAME = "dump-array"
OBJ_CASES = [("dump-" + name, name, desc, builder) for name, desc, builder in R.WORKLOADS]
CODEC_CASES = [
    # name, codec, joblib compress= (None: joblib 1.2 cannot), default level, threads by
    ("dump-zlib", "zlib", "zlib", 3, "libjlpickle's parallel deflate"),
    ("dump-gzip", "gzip", "gzip", 3, "libjlpickle's parallel deflate"),
    ("dump-bz2", "bz2", "bz2", 9, None),
    ("dump-lzma", "lzma", "lzma", 6, None),
    ("dump-xz", "xz", "xz", 6, "liblzma lzma_stream_encoder_mt"),
    ("dump-lz4", "lz4", "lz4", 0, None),
    ("dump-zstd", "zstd", None, 3, "libzstd ZSTD_c_nbWorkers"),
]
SLOW_CODECS = {"bz2", "lzma", "xz"}     # one round by default: minutes per dump
NAMES = [ARRAY_NAME] + [c[0] for c in OBJ_CASES] + [c[0] for c in CODEC_CASES]
THREADS = 2

# Targets (see bench/README.md).
T_ARRAY_RATIO = 1.2          # joblib time / C time
T_ARRAY_EXTRA_MIB = 64       # C peak RSS - array bytes
T_OBJ_RATIO = 2.0            # pickle.dumps time / C time
T_CODEC_1T = 1.0             # joblib time / C single-threaded time
T_CODEC_2T = 1.7             # joblib time / C 2-thread time
T_SIZE_PCT = 1.0             # |C size / joblib size - 1|

# ---- Python children -----------------------------------------------------------------------

PY_PRELUDE = r"""
import json, os, resource, sys, time
def vmhwm():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
def before_file_dump(path):
    if os.path.exists(path):
        os.unlink(path)
    os.sync()
"""

# argv: nbytes out repeat fsync(0|1)
PY_ARRAY = PY_PRELUDE + r"""
import numpy as np, joblib
nbytes, out, repeat, do_fsync = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
a = np.arange(nbytes // 8, dtype=np.float64)
baseline = vmhwm()
times, cpus = [], []
for _ in range(repeat):
    before_file_dump(out)
    c0, t0 = cpu(), time.perf_counter()
    joblib.dump(a, out)
    if do_fsync:
        fd = os.open(out, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    times.append(time.perf_counter() - t0)
    cpus.append(cpu() - c0)
size = os.path.getsize(out)
os.unlink(out)
print(json.dumps({"times": times, "cpu": cpus, "baseline_rss_kib": baseline,
                  "peak_rss_kib": vmhwm(), "out_bytes": size, "joblib": joblib.__version__,
                  "numpy": np.__version__}))
"""

# argv: pickle_file mode(pickle|joblib) repeat out c_copy(- none)
PY_OBJ = PY_PRELUDE + r"""
import pickle
path, mode, repeat, out, c_copy = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
assert pickle.dumps.__module__ == "_pickle", "not the C pickler"
with open(path, "rb") as f:
    obj = pickle.loads(f.read())
res = {}
if mode == "pickle":
    ref = pickle.dumps(obj, 4)                      # untimed warm-up
    if c_copy != "-":
        with open(c_copy, "rb") as f:
            c = f.read()
        res["c_identical"] = c == ref
        res["c_loads_equal"] = pickle.loads(c) == obj
    res["out_bytes"] = len(ref)
    del ref
    baseline = vmhwm()
    times, cpus = [], []
    for _ in range(repeat):
        c0, t0 = cpu(), time.perf_counter()
        b = pickle.dumps(obj, 4)
        times.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
        del b
else:
    import joblib
    res["joblib"] = joblib.__version__
    baseline = vmhwm()
    times, cpus = [], []
    for _ in range(repeat):
        before_file_dump(out)
        c0, t0 = cpu(), time.perf_counter()
        joblib.dump(obj, out)
        times.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
    res["out_bytes"] = os.path.getsize(out)
    os.unlink(out)
res.update({"times": times, "cpu": cpus, "baseline_rss_kib": baseline, "peak_rss_kib": vmhwm()})
print(json.dumps(res))
"""

# argv: raw_dump codec out repeat
PY_TABLE = PY_PRELUDE + r"""
import joblib
raw, codec, out, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
table = joblib.load(raw)
baseline = vmhwm()
times, cpus = [], []
for _ in range(repeat):
    before_file_dump(out)
    c0, t0 = cpu(), time.perf_counter()
    joblib.dump(table, out, compress=codec)      # the compressor at its default level
    times.append(time.perf_counter() - t0)
    cpus.append(cpu() - c0)
size = os.path.getsize(out)
print(json.dumps({"times": times, "cpu": cpus, "baseline_rss_kib": baseline,
                  "peak_rss_kib": vmhwm(), "out_bytes": size}))
"""

# argv: codec path -> sha256 and size of the decompressed stream (Python's own modules).
PY_DECODE = r"""
import hashlib, json, sys
codec, path = sys.argv[1], sys.argv[2]
if codec == "zlib":
    import zlib
    d = zlib.decompressobj(15)
elif codec == "gzip":
    import zlib
    d = zlib.decompressobj(31)
elif codec == "bz2":
    import bz2
    d = bz2.BZ2Decompressor()
elif codec in ("lzma", "xz"):
    import lzma
    d = lzma.LZMADecompressor(lzma.FORMAT_ALONE if codec == "lzma" else lzma.FORMAT_XZ)
elif codec == "lz4":
    import lz4.frame
    d = lz4.frame.LZ4FrameDecompressor()
h, n = hashlib.sha256(), 0
with open(path, "rb", buffering=0) as f:
    while True:
        buf = f.read(1 << 20)
        if not buf:
            break
        chunk = d.decompress(buf)
        h.update(chunk)
        n += len(chunk)
if codec in ("zlib", "gzip"):
    chunk = d.flush()
    h.update(chunk)
    n += len(chunk)
    assert d.eof and not d.unused_data, "stream did not end at the end of the file"
elif codec != "lz4":
    assert d.eof and not d.unused_data, "stream did not end at the end of the file"
print(json.dumps({"sha256": h.hexdigest(), "decoded": n}))
"""


def py_child(script, *argv):
    out = subprocess.run([sys.executable, "-c", script] + [str(a) for a in argv],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"dump.py: Python child {' '.join(map(str, argv))} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def c_child(exe, *argv):
    cmd = [exe] + [str(a) for a in argv]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"dump.py: {' '.join(cmd)} failed:\n{out.stderr}")
    res = R.parse_kv(out.stdout)
    res["times"] = [float(x) for x in res["dump_samples_s"].split(",")]
    res["cpu"] = [float(x) for x in res["cpu_samples_s"].split(",")]
    for k in ("out_bytes", "payload_bytes", "peak_rss_kib", "baseline_rss_kib"):
        res[k] = int(res[k])
    return res


def tool_child(argv, out):
    """The zstd tool: wall and CPU time of one compression of a file into `out`."""
    import resource
    if os.path.exists(out):
        os.unlink(out)
    os.sync()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv + ["-o", out], check=True)
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"times": [t1 - t0], "cpu": [(r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)],
            "out_bytes": os.path.getsize(out)}


def compile_dump(build):
    exe = os.path.join(build, "bench_dump")
    lib = os.path.join(build, "libjlpickle.a")
    if not os.path.exists(lib):
        sys.exit(f"dump.py: {lib} not found; run `make` first")
    cmd = [os.environ.get("CC", "cc"), "-O2", "-g", "-std=c11", "-Wall", "-Wextra", "-Werror",
           "-I" + os.path.join(ROOT, "libjlpickle"), os.path.join(HERE, "bench_dump.c"), lib] + \
        R.library_ldlibs() + ["-lpthread", "-o", exe]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return exe


class Sides:
    """Pooled samples per side."""

    def __init__(self):
        self.t, self.cpu, self.info = {}, {}, {}

    def add(self, side, res):
        self.t.setdefault(side, []).extend(res["times"])
        self.cpu.setdefault(side, []).extend(res["cpu"])
        info = self.info.setdefault(side, {})
        for k in ("peak_rss_kib", "baseline_rss_kib"):
            if k in res:
                info[k] = max(info.get(k, 0), int(res[k]))
        for k, v in res.items():
            if k not in ("times", "cpu", "peak_rss_kib", "baseline_rss_kib", "dump_samples_s",
                         "cpu_samples_s"):
                info[k] = v

    def best(self, side):
        return min(self.t[side]) if self.t.get(side) else None

    def med(self, side):
        return statistics.median(self.t[side]) if self.t.get(side) else None

    def cpu_med(self, side):
        return statistics.median(self.cpu[side]) if self.cpu.get(side) else None

    def summary(self, side):
        return {"best": self.best(side), "med": self.med(side), "cpu_med": self.cpu_med(side),
                "n": len(self.t.get(side, [])), **self.info.get(side, {})}


def autogroup():
    """The scheduler autogroup of this process (Linux with sched_autogroup: CPU time is
    shared between sessions first, so plain nice does not raise a benchmark above the
    other sessions' work; `echo -10 > /proc/self/autogroup` in a new session does)."""
    try:
        with open("/proc/self/autogroup") as f:
            return f.read().strip()
    except OSError:
        return "no autogroup"


def ratio(a, b):
    return a / b if a and b else None


def rounds_and_split(args, default_rounds, per_round_default):
    rounds = args.rounds or (1 if args.quick else default_rounds)
    per = max(1, (args.repeat // rounds) if args.repeat else per_round_default)
    return rounds, per


# ---- group: array -------------------------------------------------------------------------


def group_array(args, exe, outdir):
    nbytes = (16 if args.quick else 512) * MiB
    rounds, per = rounds_and_split(args, 5, 2)
    sides = ["c_path", "joblib", "c_fd", "joblib_fsync"]
    print(f"[{ARRAY_NAME}] np.arange float64, {R.human_size(nbytes)}: {rounds} round(s) x {per} "
          f"dump(s) per side", flush=True)
    s = Sides()
    for r in range(rounds):
        for side in R.rotation(sides, r):
            out = os.path.join(outdir, f"array-{side}.pkl")
            if side == "c_path":
                s.add(side, c_child(exe, "array", nbytes, out, per))
            elif side == "c_fd":
                s.add(side, c_child(exe, "array", "--fd", nbytes, out, per))
            else:
                s.add(side, py_child(PY_ARRAY, nbytes, out, per, 1 if side == "joblib_fsync" else 0))
    res = {"nbytes": nbytes, "rounds": rounds, "per": per,
           "sides": {k: s.summary(k) for k in sides}}
    c = res["sides"]["c_path"]
    if int(c["out_bytes"]) != int(res["sides"]["joblib"]["out_bytes"]):
        print(f"    note: C file {c['out_bytes']} bytes, joblib file "
              f"{res['sides']['joblib']['out_bytes']} bytes", flush=True)
    res["ratio_best"] = ratio(res["sides"]["joblib"]["best"], c["best"])
    res["ratio_med"] = ratio(res["sides"]["joblib"]["med"], c["med"])
    res["extra_kib"] = int(c["peak_rss_kib"]) - nbytes // 1024
    # peak extra memory at other sizes: one C dump each
    res["scaling"] = []
    for nb in ([4 * MiB, 64 * MiB] if args.quick else [64 * MiB, 2 * GiB]) + [nbytes]:
        if nb == nbytes:
            peak = int(c["peak_rss_kib"])
        else:
            out = os.path.join(outdir, "array-scaling.pkl")
            peak = int(c_child(exe, "array", nb, out, 1)["peak_rss_kib"])
        res["scaling"].append({"nbytes": nb, "peak_kib": peak, "extra_kib": peak - nb // 1024})
    res["scaling"].sort(key=lambda sc: sc["nbytes"])
    print(f"    C jlp_dump_path best {R.fmt_time(c['best'])} median {R.fmt_time(c['med'])} | "
          f"joblib best {R.fmt_time(res['sides']['joblib']['best'])} median "
          f"{R.fmt_time(res['sides']['joblib']['med'])} | joblib/C {res['ratio_best']:.2f}x best, "
          f"{res['ratio_med']:.2f}x median | C peak - array "
          f"{res['extra_kib'] / 1024:.1f} MiB", flush=True)
    return res


# ---- group: objects ----------------------------------------------------------------------


def group_objects(args, exe, datadir, outdir, only):
    rounds, per = rounds_and_split(args, 3, 10)
    per_joblib = 1 if args.quick else 2
    results = []
    for name, short, desc, builder in OBJ_CASES:
        if only and name not in only:
            continue
        path = os.path.join(datadir, f"dump-{short}.pkl")
        subprocess.run([sys.executable, "-c",
                        "import pickle, sys; sys.path.insert(0, sys.argv[2]); import run; "
                        "b = dict((w[0], w[2]) for w in run.WORKLOADS)[sys.argv[3]]; "
                        "open(sys.argv[1], 'wb').write(pickle.dumps(b(), protocol=4))",
                        path, HERE, short], check=True)
        print(f"[{name}] {desc}: {rounds} round(s) x {per} dumps (joblib: {per_joblib})",
              flush=True)
        s = Sides()
        copy = os.path.join(outdir, f"{short}-c.pkl")
        sides = ["c", "pickle", "joblib"]
        for r in range(rounds):
            for side in R.rotation(sides, r):
                if side == "c":
                    s.add(side, c_child(exe, "pickle", path, per, copy))
                elif side == "pickle":
                    s.add(side, py_child(PY_OBJ, path, "pickle", per, "-", copy))
                else:
                    s.add(side, py_child(PY_OBJ, path, "joblib", per_joblib,
                                         os.path.join(outdir, f"{short}-joblib.pkl"), "-"))
        os.unlink(copy)
        res = {"name": name, "short": short, "desc": desc,
               "sides": {k: s.summary(k) for k in sides}}
        c, p, j = (res["sides"][k] for k in sides)
        res["ratio_best"] = ratio(p["best"], c["best"])
        res["ratio_med"] = ratio(p["med"], c["med"])
        res["joblib_ratio_med"] = ratio(j["med"], c["med"])
        results.append(res)
        print(f"    C best {R.fmt_time(c['best'])} median {R.fmt_time(c['med'])} | pickle.dumps "
              f"best {R.fmt_time(p['best'])} median {R.fmt_time(p['med'])} | joblib.dump median "
              f"{R.fmt_time(j['med'])} | pickle/C {res['ratio_best']:.2f}x best, "
              f"{res['ratio_med']:.2f}x median; C output identical to pickle.dumps: "
              f"{p.get('c_identical')}, loads back equal: {p.get('c_loads_equal')}", flush=True)
    return results


# ---- group: codecs -------------------------------------------------------------------------


def ensure_raw_table(datadir, rows):
    """The uncompressed joblib dump of the codecs suite's table (its own generator), under a
    name of this suite's own. @return its path."""
    stem = f"dump-table20_r{rows}"
    raw = os.path.join(datadir, stem + ".pkl")
    meta = {"kind": "table20", "rows": rows, "seed": 0, "versions": R.data_meta()}
    if not R.cached(raw, meta):
        print(f"    writing {os.path.relpath(raw, ROOT)} with joblib.dump (uncompressed)",
              flush=True)
        subprocess.run([sys.executable, "-c", R.PY_GEN_TABLE, datadir, stem, str(rows), "0", "raw"],
                       check=True, capture_output=True, text=True)
        R.mark_cached(raw, meta)
    return raw


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def decode_check(codec, path, raw_sha, raw_size):
    """Python's module (the zstd tool for zstd) must decode `path` to the raw dump."""
    if codec == "zstd":
        p1 = subprocess.Popen(["zstd", "-q", "-dc", path], stdout=subprocess.PIPE)
        h = hashlib.sha256()
        n = 0
        for b in iter(lambda: p1.stdout.read(1 << 20), b""):
            h.update(b)
            n += len(b)
        ok = p1.wait() == 0 and h.hexdigest() == raw_sha and n == raw_size
    else:
        d = py_child(PY_DECODE, codec, path)
        ok = d["sha256"] == raw_sha and d["decoded"] == raw_size
    return ok


def group_codecs(args, exe, datadir, outdir, only):
    rows = args.table_rows or (100_000 if args.quick else 1_875_000)
    cases = [c for c in CODEC_CASES if not only or c[0] in only]
    if not cases:
        return None
    raw = ensure_raw_table(datadir, rows)
    raw_size = os.path.getsize(raw)
    raw_sha = sha256_file(raw)
    print(f"[codecs] table: 20 columns x {rows:,} rows, uncompressed dump "
          f"{R.human_size(raw_size)}", flush=True)
    results = []
    for name, codec, jname, level, how in cases:
        default_rounds = 1 if codec in SLOW_CODECS else 3
        rounds = args.rounds or (1 if args.quick else default_rounds)
        sides = ["c1"] + (["c2"] if how else []) + (["joblib"] if jname else ["tool1", "tool2"])
        print(f"[{name}] level {level}: {rounds} round(s) x 1 dump per side ({', '.join(sides)})",
              flush=True)
        s = Sides()
        for r in range(rounds):
            for side in R.rotation(sides, r):
                out = os.path.join(outdir, f"table-{side}.{codec}")
                if side in ("c1", "c2"):
                    # jlp_dump_fd (no fsync), as joblib.dump writes: the codecs are compared
                    s.add(side, c_child(exe, "codec", "--fd", raw, codec, -1,
                                        1 if side == "c1" else THREADS, out, 1))
                elif side == "joblib":
                    s.add(side, py_child(PY_TABLE, raw, jname, out, 1))
                else:
                    # tool1: libzstd's single-threaded mode, as the C side with 1 thread (the
                    # CLI's default -T1 runs one worker in libzstd's multithreaded mode, whose
                    # output differs); tool2: -T2, as the C side with 2 threads
                    mode = ["--single-thread"] if side == "tool1" else [f"-T{THREADS}"]
                    s.add(side, tool_child(["zstd", "-q", f"-{level}"] + mode + ["-f", raw], out))
                t = s.t[side][-1]
                print(f"    {side:7s} {R.fmt_time(t):>9s}  {R.human_size(s.info[side]['out_bytes'])}",
                      flush=True)
        verified = {}
        for side in sides:
            out = os.path.join(outdir, f"table-{side}.{codec}")
            if side.startswith("c"):
                verified[side] = decode_check(codec, out, raw_sha, raw_size)
            os.unlink(out)
        ref = "joblib" if jname else "tool1"
        res = {"name": name, "codec": codec, "level": level, "how": how, "rounds": rounds,
               "ref": ref, "sides": {k: s.summary(k) for k in sides}, "verified": verified}
        rs = res["sides"][ref]
        for side in ("c1", "c2"):
            if side not in res["sides"]:
                continue
            cs = res["sides"][side]
            other = rs if side == "c1" or jname else res["sides"]["tool2"]
            cs["cpu_ratio"] = ratio(other["cpu_med"], cs["cpu_med"])
            cs["ratio_best"] = ratio(other["best"], cs["best"])
            cs["ratio_med"] = ratio(other["med"], cs["med"])
            cs["size_pct"] = (int(cs["out_bytes"]) / int(other["out_bytes"]) - 1) * 100
            if side == "c2":   # against the single-threaded reference too (the 2T target)
                cs["ratio_vs_1t_best"] = ratio(rs["best"], cs["best"])
                cs["ratio_vs_1t_med"] = ratio(rs["med"], cs["med"])
        results.append(res)
        line = f"    {ref} median {R.fmt_time(rs['med'])} {int(rs['out_bytes']):,} B"
        for side in ("c1", "c2"):
            if side in res["sides"]:
                cs = res["sides"][side]
                line += (f" | {side} median {R.fmt_time(cs['med'])} {int(cs['out_bytes']):,} B "
                         f"({cs['size_pct']:+.2f}%) {ref}/{side} {cs['ratio_med']:.2f}x, "
                         f"decodes: {verified[side]}")
        print(line, flush=True)
    return {"rows": rows, "raw_size": raw_size, "results": results}


# ---- profile ---------------------------------------------------------------------------------


def profiles(exe, datadir, outdir, arr, objs, cods):
    """perf (or callgrind) top functions of the C driver for every measured case."""
    rows = []
    tmp = os.path.join(outdir, "perf.data")
    if arr:
        argv = [exe, "array", str(arr["nbytes"]), os.path.join(outdir, "prof.pkl"), "1"]
        rows.append((f"{ARRAY_NAME} (jlp_dump_path)",) + R.profile(argv, tmp))
    for o in objs or []:
        argv = [exe, "pickle", os.path.join(datadir, f"dump-{o['short']}.pkl"), "10"]
        rows.append((o["name"],) + R.profile(argv, tmp))
    if cods:
        raw = os.path.join(datadir, f"dump-table20_r{cods['rows']}.pkl")
        for r in cods["results"]:
            for side, th in (("c1", 1), ("c2", THREADS)):
                if side not in r["sides"] or r["codec"] in SLOW_CODECS:
                    continue
                out = os.path.join(outdir, f"prof.{r['codec']}")
                argv = [exe, "codec", "--fd", raw, r["codec"], "-1", str(th), out, "1"]
                rows.append((f"{r['name']} ({th} thread{'s' if th > 1 else ''})",) + R.profile(argv, tmp))
                if os.path.exists(out):
                    os.unlink(out)
    for name, how, top in rows:
        print(f"--- profile {name}: {how}")
        for ln in top:
            print("    " + ln)
    return rows


# ---- the suite -------------------------------------------------------------------------------


def suite_dump(args, build, datadir, only):
    only = {n for n in only if n in NAMES}
    t_start = time.monotonic()
    exe = compile_dump(build)
    outdir = os.path.join(datadir, "dump-out")
    os.makedirs(outdir, exist_ok=True)
    machine = R.machine_info()
    arr = group_array(args, exe, outdir) if not only or ARRAY_NAME in only else None
    objs = group_objects(args, exe, datadir, outdir, only)
    cods = group_codecs(args, exe, datadir, outdir, only)
    machine["loadavg_end"] = R.loadavg()
    prof = profiles(exe, datadir, outdir, arr, objs, cods) if args.profile else []
    elapsed = time.monotonic() - t_start
    md = os.path.join(args.results, "dump.md")
    png = os.path.join(args.results, "dump.png")
    write_md(md, machine, arr, objs, cods, prof, elapsed, os.path.basename(png), args, build)
    plot(png, machine, arr, objs, cods)
    print(f"wrote {os.path.relpath(md, ROOT)}, {os.path.relpath(png, ROOT)}", flush=True)
    return [md, png]


# ---- results ---------------------------------------------------------------------------------


def ft(x):
    return R.fmt_time(x) if x is not None else "n/a"


def fx(x):
    return f"{x:.2f}x" if x is not None else "n/a"


def verdict(ok):
    return "MET" if ok else "**MISSED**"


def targets(arr, objs, cods):
    L = []
    if arr:
        r = arr["ratio_med"]
        L.append(f"- array: joblib.dump / C jlp_dump_path {fx(r)} median ({fx(arr['ratio_best'])} "
                 f"best), target >= {T_ARRAY_RATIO}x: {verdict(r >= T_ARRAY_RATIO)}")
        worst = max(s["extra_kib"] for s in arr["scaling"]) / 1024
        L.append(f"- array: C peak RSS - array bytes at most {worst:.1f} MiB over "
                 f"{', '.join(R.human_size(s['nbytes']) for s in arr['scaling'])}, target < "
                 f"{T_ARRAY_EXTRA_MIB} MiB: {verdict(worst < T_ARRAY_EXTRA_MIB)}")
    for o in objs or []:
        L.append(f"- {o['name']}: pickle.dumps / C {fx(o['ratio_med'])} median "
                 f"({fx(o['ratio_best'])} best), target >= {T_OBJ_RATIO}x: "
                 f"{verdict(o['ratio_med'] >= T_OBJ_RATIO)}")
    for r in (cods or {}).get("results", []):
        ref = "joblib" if r["ref"] == "joblib" else "zstd --single-thread"
        c1 = r["sides"]["c1"]
        size_ok = abs(c1["size_pct"]) <= T_SIZE_PCT
        line = (f"- {r['codec']}: {ref} / C 1 thread {fx(c1['ratio_med'])} median, target >= "
                f"{T_CODEC_1T}x: {verdict(c1['ratio_med'] >= T_CODEC_1T)}; size {c1['size_pct']:+.2f}%"
                f" ({verdict(size_ok)})")
        if "c2" in r["sides"]:
            c2 = r["sides"]["c2"]
            ok2 = abs(c2["size_pct"]) <= T_SIZE_PCT
            line += (f"; {ref} / C 2 threads {fx(c2['ratio_vs_1t_med'])} median, target >= "
                     f"{T_CODEC_2T}x: {verdict(c2['ratio_vs_1t_med'] >= T_CODEC_2T)}; size "
                     f"{c2['size_pct']:+.2f}% ({verdict(ok2)})")
        else:
            line += "; no threads in this codec's library (not applicable)"
        L.append(line)
    return L


def write_md(path, machine, arr, objs, cods, prof, elapsed, png_name, args, build):
    ver = "?"
    for src in ([arr["sides"]["c_path"]] if arr else []) + \
               [o["sides"]["c"] for o in objs or []] + \
               [r["sides"]["c1"] for r in (cods or {}).get("results", [])]:
        ver = src.get("libjlpickle", ver)
    L = ["# Dump benchmark: libjlpickle's writers vs joblib.dump and CPython's pickler", "",
         "Generated by `make bench` (`bench/run.py --suite dump`, bench/dump.py); see "
         "`bench/README.md`. Numbers from one run on a shared machine: compare the **ratios** "
         "(all sides measured in rotating rounds), not the absolute times.", ""]
    L += R.machine_rows(machine, [
        ("libjlpickle", f"{ver}; bench_dump built with `{machine['cc']}` -O2"),
        ("threads", f"{THREADS} for the threaded C runs (zlib/gzip: libjlpickle's parallel deflate, "
                    "128 KiB blocks; xz: liblzma; zstd: libzstd)"),
        ("run", f"whole suite {elapsed:.0f} s" + (" -- **--quick: small data**" if args.quick else "")),
        ("scheduling", f"nice {os.nice(0)}, {autogroup()} (every side inherits it)"),
        ("library", os.environ.get("JLP_BENCH_LIBRARY") or
         (R.sh(["git", "-C", ROOT, "describe", "--always", "--dirty"]) or "?") + f", {build}"),
    ])
    L += ["", "## Targets", ""] + targets(arr, objs, cods)
    L += ["", "Ratios are other time / C time: **above 1 the C side is faster**.", ""]
    if arr:
        L += [f"## Array: {R.human_size(arr['nbytes'])} float64 (np.arange), uncompressed", "",
              f"{arr['rounds']} round(s) x {arr['per']} dump(s) per side, each side in its own "
              "process; the output file is removed and `sync()` runs before every dump (untimed).",
              "",
              "| side | best | median | joblib.dump / side (median) | CPU median | peak RSS MiB | "
              "peak - array MiB |", "|---|---:|---:|---:|---:|---:|---:|"]
        lab = {"c_path": "C `jlp_dump_path()` (tmp file + fsync + rename)",
               "c_fd": "C `jlp_dump_fd()` + close, no fsync (info)",
               "joblib": "`joblib.dump(a, path)`",
               "joblib_fsync": "`joblib.dump` + `os.fsync` (info)"}
        jm = arr["sides"]["joblib"]["med"]
        for k in ("c_path", "c_fd", "joblib", "joblib_fsync"):
            s = arr["sides"][k]
            pk = int(s["peak_rss_kib"])
            L.append(f"| {lab[k]} | {ft(s['best'])} | {ft(s['med'])} | {fx(ratio(jm, s['med']))} | "
                     f"{ft(s['cpu_med'])} | {pk / 1024:.1f} | {(pk - arr['nbytes'] // 1024) / 1024:+.1f} |")
        L += ["", "C peak extra memory by array size (one `jlp_dump_path()` each; VmHWM of "
              "`bench_dump` minus the array's bytes, so the process itself is included):", "",
              "| array | C peak RSS MiB | peak - array MiB |", "|---:|---:|---:|"]
        for sc in arr["scaling"]:
            L.append(f"| {R.human_size(sc['nbytes'])} | {sc['peak_kib'] / 1024:.1f} | "
                     f"{sc['extra_kib'] / 1024:+.1f} |")
        L.append("")
    if objs:
        L += ["## Objects: the pickle suite's workloads, protocol 4", "",
              "C: `jlp_dump_mem()` of the document `jlp_load_mem()` made of the pickle (load "
              "untimed, one untimed warm-up dump, output freed outside the timer). pickle: "
              "`pickle.dumps(obj, 4)` (CPython's C pickler, `_pickle`), GC enabled. joblib: "
              "`joblib.dump(obj, path)` (joblib's pure-Python pickler, to a file).", "",
              "| workload | output | C best | C median | pickle best | pickle median | "
              "joblib median | pickle / C (best) | pickle / C (median) | joblib / C (median) | "
              "C = pickle bytes | C peak RSS MiB | pickle peak RSS MiB |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
        for o in objs:
            c, p, j = o["sides"]["c"], o["sides"]["pickle"], o["sides"]["joblib"]
            same = "identical" if p.get("c_identical") else (
                "differs, loads equal" if p.get("c_loads_equal") else "**loads differently**")
            L.append(f"| {o['name']} ({o['desc']}) | {R.human_size(int(c['out_bytes']))} | "
                     f"{ft(c['best'])} | {ft(c['med'])} | {ft(p['best'])} | {ft(p['med'])} | "
                     f"{ft(j['med'])} | {fx(o['ratio_best'])} | {fx(o['ratio_med'])} | "
                     f"{fx(o['joblib_ratio_med'])} | {same} | {int(c['peak_rss_kib']) / 1024:.1f} | "
                     f"{int(p['peak_rss_kib']) / 1024:.1f} |")
        L.append("")
    if cods:
        L += [f"## Codecs: the table ({R.human_size(cods['raw_size'])} uncompressed, 20 columns x "
              f"{cods['rows']:,} rows), each codec at joblib's default level", "",
              "C: open + `jlp_dump_fd()` + close (no fsync, as joblib.dump; `jlp_dump_path()` adds "
              "an fsync of the output) of the document `jlp_load_path()` made of the uncompressed "
              "joblib dump (load untimed). joblib: `joblib.dump(table, path, compress=codec)` of "
              "the table `joblib.load()` made of the same file. zstd: joblib 1.2 has no zstd, the "
              "reference is `zstd -q -3 --single-thread` (and `-T2` for C 2T) on the uncompressed "
              "dump (process start and file read included). Sizes are compared with the "
              "reference's output (zstd C 2T: with `-T2`'s); "
              "`decodes` = Python's module (zstd: the zstd tool) decodes the C file to exactly "
              "the uncompressed dump.", "",
              "| codec (level) | rounds | reference | ref size | C 1T size | C 2T size | ref median "
              "| C 1T best | C 1T median | C 2T best | C 2T median | ref / C 1T (median) | "
              "ref / C 2T (median) | CPU: ref / C 1T / C 2T | C 2T CPU / wall | decodes |",
              "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in cods["results"]:
            rs = r["sides"][r["ref"]]
            c1 = r["sides"]["c1"]
            c2 = r["sides"].get("c2")
            refname = "joblib.dump" if r["ref"] == "joblib" else "zstd --single-thread"
            L.append(
                f"| {r['codec']} ({r['level']}) | {r['rounds']} | {refname} | {int(rs['out_bytes']):,} | "
                f"{int(c1['out_bytes']):,} ({c1['size_pct']:+.2f}%) | " +
                (f"{int(c2['out_bytes']):,} ({c2['size_pct']:+.2f}%)" if c2 else "no threads") +
                f" | {ft(rs['med'])} | {ft(c1['best'])} | {ft(c1['med'])} | " +
                (f"{ft(c2['best'])} | {ft(c2['med'])}" if c2 else "n/a | n/a") +
                f" | {fx(c1['ratio_med'])} | " + (fx(c2['ratio_vs_1t_med']) if c2 else "n/a") +
                f" | {ft(rs['cpu_med'])} / {ft(c1['cpu_med'])} / " + (ft(c2['cpu_med']) if c2 else "n/a") +
                " | " + (f"{c2['cpu_med'] / c2['med']:.2f}" if c2 and c2["med"] else "n/a") +
                " | " + ", ".join(f"{k}: {'yes' if v else '**NO**'}" for k, v in r["verified"].items()) +
                " |")
        z = [r for r in cods["results"] if r["ref"] != "joblib"]
        for r in z:
            t2 = r["sides"]["tool2"]
            L += ["", f"zstd tool with -T{THREADS}: median {ft(t2['med'])}, "
                  f"{int(t2['out_bytes']):,} bytes; tool -T{THREADS} / C 2T "
                  f"{fx(r['sides']['c2']['ratio_med'])} (median). libzstd's multithreaded mode "
                  "(the CLI's default, even with -T1) writes a smaller file on this table than "
                  "its single-threaded mode: compare C 2T with -T2 and C 1T with --single-thread."]
        L.append("")
    L += ["## Notes", "",
          "- Every side is a fresh process (C: `bench/bench_dump.c`; Python: a `python3 -c` child "
          "of bench/dump.py); rounds rotate the order of the sides. Times are wall-clock "
          "(`clock_gettime(CLOCK_MONOTONIC)` / `time.perf_counter()`) around the dump call only.",
          "- Peak RSS is VmHWM from /proc/self/status of the process doing the dumps. For the "
          "array, the C document borrows the array's bytes, so `peak - array` is what the dump "
          "itself (and the process) needs; the writer sends the payload to `write()` straight "
          "from the array.",
          "- The C array dump fsyncs (jlp_dump_path writes atomically); joblib.dump does not. "
          "Both variants of both sides are in the array table.",
          "- CPU time is user + system of the whole process during the dump (all threads): "
          "`CPU / wall` near 2 means both cores worked. On a shared machine, wall-clock ratios "
          "of single samples (bz2, lzma, xz) depend on what else ran; the CPU columns do not.",
          ""]
    if prof:
        L += ["## Profiles (--profile)", ""]
        for name, how, top in prof:
            L += [f"**{name}** ({how}):", "", "```"] + top + ["```", ""]
    L += [f"![dump benchmark]({png_name})", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))


def plot(path, machine, arr, objs, cods):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [p for p in (arr, objs, cods) if p]
    fig, axes = plt.subplots(len(panels), 1, figsize=(13, 4.6 * len(panels)), squeeze=False)
    axes = [a[0] for a in axes]
    k = 0
    green, red = "#2a7a2a", "#b22222"
    if arr:
        ax = axes[k]
        k += 1
        keys = ["c_path", "c_fd", "joblib", "joblib_fsync"]
        labels = ["C jlp_dump_path\n(+fsync)", "C jlp_dump_fd\n(no fsync, info)", "joblib.dump",
                  "joblib.dump\n+ fsync (info)"]
        colors = ["#DD8452", "#f0b48a", "#4C72B0", "#8fa9d6"]
        med = [arr["sides"][x]["med"] for x in keys]
        best = [arr["sides"][x]["best"] for x in keys]
        bars = ax.bar(range(4), med, color=colors)
        ax.scatter(range(4), best, marker="_", s=300, color="black", zorder=3, label="best")
        ax.bar_label(bars, labels=[R.fmt_time(m) for m in med], fontsize=8, padding=2)
        ax.set_xticks(range(4))
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_ylabel("seconds per dump\n(bar: median, tick: best)")
        ok = arr["ratio_med"] >= T_ARRAY_RATIO
        worst = max(s["extra_kib"] for s in arr["scaling"]) / 1024
        ax.set_title(f"{R.human_size(arr['nbytes'])} float64 array, uncompressed: joblib/C "
                     f"{arr['ratio_med']:.2f}x median (target >= {T_ARRAY_RATIO}x), C peak extra "
                     f"memory {worst:.1f} MiB (target < {T_ARRAY_EXTRA_MIB} MiB)", fontsize=10,
                     color=green if ok and worst < T_ARRAY_EXTRA_MIB else red)
        ax.set_ylim(0, max(med + best) * 1.25)
        ax.legend(loc="upper right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    if objs:
        ax = axes[k]
        k += 1
        w = 0.27
        x = list(range(len(objs)))
        for i, (key, lab, col) in enumerate((("c", "C jlp_dump_mem", "#DD8452"),
                                             ("pickle", "pickle.dumps (C pickler)", "#4C72B0"),
                                             ("joblib", "joblib.dump (to a file)", "#55A868"))):
            med = [o["sides"][key]["med"] for o in objs]
            xs = [xi + (i - 1) * w for xi in x]
            ax.bar(xs, med, w, label=lab, color=col)
            ax.scatter(xs, [o["sides"][key]["best"] for o in objs], marker="_", s=120,
                       color="black", zorder=3)
        ax.set_yscale("log")
        top = max(o["sides"]["joblib"]["med"] for o in objs)
        lo = min(min(o["sides"]["c"]["best"], o["sides"]["pickle"]["best"]) for o in objs)
        ax.set_ylim(lo / 2, top * 6)
        for i, o in enumerate(objs):
            r = o["ratio_med"]
            ax.text(i, top * 2, f"pickle/C {r:.2f}x", ha="center", fontsize=9, fontweight="bold",
                    color=green if r >= T_OBJ_RATIO else red)
        ax.set_xticks(x)
        ax.set_xticklabels([o["name"] for o in objs], fontsize=9)
        ax.set_ylabel("seconds per dump, log scale\n(bar: median, tick: best)")
        ax.set_title(f"Object-heavy pickles, protocol 4 (target pickle/C >= {T_OBJ_RATIO}x)",
                     fontsize=10)
        ax.legend(loc="upper left", fontsize=8, ncol=3)
        ax.grid(axis="y", alpha=0.3)
    if cods:
        ax = axes[k]
        res = cods["results"]
        w = 0.27
        x = list(range(len(res)))
        for i, (key, lab, col) in enumerate((("ref", "joblib.dump (zstd: zstd --single-thread)", "#4C72B0"),
                                             ("c1", "C 1 thread", "#DD8452"),
                                             ("c2", f"C {THREADS} threads", "#C44E52"))):
            xs, med, best = [], [], []
            for xi, r in zip(x, res):
                s = r["sides"].get(r["ref"] if key == "ref" else key)
                if not s:
                    continue
                xs.append(xi + (i - 1) * w)
                med.append(s["med"])
                best.append(s["best"])
            ax.bar(xs, med, w, label=lab, color=col)
            ax.scatter(xs, best, marker="_", s=120, color="black", zorder=3)
        ax.set_yscale("log")
        allt = [s["med"] for r in res for s in r["sides"].values() if s.get("med")]
        ax.set_ylim(min(allt) / 2, max(allt) * 8)
        for i, r in enumerate(res):
            c1 = r["sides"]["c1"]
            txt = f"1T {c1['ratio_med']:.2f}x"
            ok = c1["ratio_med"] >= T_CODEC_1T
            if "c2" in r["sides"]:
                txt += f"\n2T {r['sides']['c2']['ratio_vs_1t_med']:.2f}x"
                ok = ok and r["sides"]["c2"]["ratio_vs_1t_med"] >= T_CODEC_2T
            else:
                txt += "\n(no threads)"
            ax.text(i, max(allt) * 2.2, txt, ha="center", fontsize=8, fontweight="bold",
                    color=green if ok else red)
        ax.set_xticks(x)
        ax.set_xticklabels([f"{r['codec']} ({r['level']})\n{R.human_size(int(r['sides']['c1']['out_bytes']))}"
                            for r in res], fontsize=8)
        ax.set_ylabel("seconds per dump, log scale\n(bar: median, tick: best)")
        ax.set_title(f"{R.human_size(cods['raw_size'])} table, each codec at joblib's default level: "
                     f"reference/C (targets: 1T >= {T_CODEC_1T}x, 2T >= {T_CODEC_2T}x)", fontsize=10)
        ax.legend(loc="upper left", fontsize=8, ncol=3)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"libjlpickle dumps vs Python - {machine['nproc']} CPU {machine['cpu']}, "
                 f"load avg {machine['loadavg_start']} -> {machine.get('loadavg_end', '?')}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
