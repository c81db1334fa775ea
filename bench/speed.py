#!/usr/bin/python3
"""The speed suite of bench/run.py: every row the speed work is judged by, side by side.

    /usr/bin/python3 bench/run.py --build build --suite speed [--quick] [--only sp-loads,...]
                                   [--rounds R]

Groups (names for --only), each libjlpickle against its Python (or tool) counterpart in
one run, the sides alternating over R rounds (default 5) in fresh processes, samples
pooled (best and median); results in bench/results/speed.md and speed.png:

  sp-loads    jlp_load_mem() vs pickle.loads (CPython's C unpickler) on the six pickle
              workloads (ints, strs, floats, dict, records, nested); target 3x
  sp-dumps    jlp_dump_mem() vs pickle.dumps (C pickler), protocol 4, the same six
              workloads; target 2x (joblib.dump, the pure-Python pickler, for reference)
  sp-dumpsweep  jlp_dump_mem() vs pickle.dumps at protocols 0-5 on 40-odd workloads outside
              the six (bytes, bytearrays, big and negative ints, non-ASCII and 1 MB strs,
              tuples of each size, sets, int-keyed dicts, shared objects, deep nesting, a
              DataFrame and sklearn models loaded from pickles, a joblib file of many small
              arrays also vs joblib.dump); target 2x (bench/dumpsweep.py)
  sp-copy     jlp_load_path() copying a 512 MiB and a 2 GiB float64 array (default: large
              payloads read by several threads; and with jlp_read_opts.threads = 1) vs
              joblib.load; target 1.5x with peak RSS at most the array + a few MiB; the
              copy-on-write mapping (JLP_MMAP_COPY_ON_WRITE) vs joblib mmap_mode='c'
  sp-cold     mapped loads (JLP_MMAP_READONLY) of the same files with the file evicted
              from the page cache before each process (posix_fadvise DONTNEED on that file
              only), plus the touch of 3 elements, vs joblib.load(mmap_mode='r'); the
              file's pages resident afterwards (mincore) and the major faults of the
              process; target: no slower than joblib
  sp-inflate  the 60 MB table compressed by joblib.dump with each codec: jlp_load_path()
              vs the codec's own tool (to /dev/null) and joblib.load; zlib and gzip also
              with libjlpickle's zlib back end (what they used before ISA-L), igzip and
              libdeflate-gunzip; targets: ISA-L at least 2x the zlib back end, every codec
              within 1.1x of its tool, peak RSS at most the decoded size + 64 MiB
  sp-durable  jlp_dump_path() of a 512 MiB array, durable (default: fsync, write-back
              overlapped) and durable = 0, vs joblib.dump; target durable = 0 >= joblib
  sp-models   every model of bench/gen_models.py's corpus (all_estimators fitted on a
              small data set, plus the named gradient boosting and random forests):
              jlp_load_path() vs a warm joblib.load, in one process per side and model;
              target 10x for every model; the read floor of each file (open, fstat,
              one read() into memory already faulted in, close) as a third side; each
              model's JSON export is hashed and compared with the first run's
              (EXPORTS.json in the corpus directory): a changed one is named in the notes
  sp-models-real  the same for gen_models.py --real: models the size of users' files
              (text vectorizers with 10^4-10^5-entry vocabularies, string categories,
              a pandas-fitted pipeline, big ensembles and neighbours, compressed copies)
  sp-sweep    jlp_load_mem() vs pickle.loads on the load sweep (bench/sweep.py): 43 shapes
              of data users pickle (bytes, big ints, non-ASCII and long str, tuples, sets,
              memo-heavy, deep nesting, class instances, datetime/Decimal/OrderedDict,
              numpy, pandas and scikit-learn by plain pickle, Python 2 pickles, streams
              of concatenated pickles) at protocols 0-5, written by pickle.dumps and,
              where the bytes differ, joblib.dump; target 3x on every row; the rows are
              also written to bench/results/sweep.md (speed.md keeps the other groups)
  sp-tools    a whole `jlinspect` process on the 100-tree random forest (20 MB) vs a whole
              `python3 -c "import joblib; joblib.load(...)"`; target 100x

Ratios: reference time / libjlpickle time (above 1: libjlpickle is faster); for the
inflate group also libjlpickle / tool (below 1.1 meets the target).
"""
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

import run as R

MiB, GiB = 1 << 20, 1 << 30
NAMES = ["sp-loads", "sp-dumps", "sp-dumpsweep", "sp-copy", "sp-cold", "sp-inflate", "sp-durable", "sp-models",
         "sp-models-real", "sp-tools", "sp-sweep"]

# ---- children ----------------------------------------------------------------------------

PY_LOADS = r"""
import pickle, sys, time, json
data = open(sys.argv[1], 'rb').read(); n = int(sys.argv[2]); what = sys.argv[3]
obj = pickle.loads(data)
ts, cpu = [], []
for i in range(n + 1):
    c = time.process_time()
    if what == 'load':
        t = time.perf_counter(); o = pickle.loads(data); e = time.perf_counter() - t; ec = time.process_time() - c; del o
    else:
        t = time.perf_counter(); b = pickle.dumps(obj, 4); e = time.perf_counter() - t; ec = time.process_time() - c; del b
    if i: ts.append(e); cpu.append(ec)
print(json.dumps({"times": ts, "cpu": cpu}))
"""

# The sweep's Python side: the classes of its object workloads come from bench/ (the
# first, untimed load imports them and numpy, pandas or scikit-learn as the file needs).
# 'all': the file holds several pickles; one load reads all of them with one Unpickler
# (what a reader of a pickle stream does), keeping every object until the timer stops.
PY_SWEEP = r"""
import io, pickle, sys, time, json
sys.path.insert(0, sys.argv[4])
data = open(sys.argv[1], 'rb').read(); n = int(sys.argv[2]); every = sys.argv[3] == 'all'
def load_all(data):
    f = io.BytesIO(data); u = pickle.Unpickler(f); out = []
    while f.tell() < len(data):
        out.append(u.load())
    return out
load = load_all if every else pickle.loads
load(data)
ts, cpu = [], []
for i in range(n + 1):
    c = time.process_time(); t = time.perf_counter()
    o = load(data)
    e = time.perf_counter() - t; ec = time.process_time() - c
    del o
    if i: ts.append(e); cpu.append(ec)
print(json.dumps({"times": ts, "cpu": cpu}))
"""

PY_JOBLIB_DUMP = r"""
import pickle, sys, time, json, os, joblib
obj = pickle.loads(open(sys.argv[1], 'rb').read()); out = sys.argv[2]; n = int(sys.argv[3])
ts = []
for i in range(n):
    t = time.perf_counter(); joblib.dump(obj, out); ts.append(time.perf_counter() - t); os.unlink(out)
print(json.dumps(ts))
"""

PY_ARRAY = r"""
import sys, time, json, resource, joblib
path, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def vmhwm():
    for l in open('/proc/self/status'):
        if l.startswith('VmHWM'): return int(l.split()[1])
ts, cpu, s = [], [], 0.0
base = vmhwm()
for i in range(n + (0 if mode == 'cold' else 1)):
    t = time.perf_counter(); c = time.process_time()
    a = joblib.load(path, mmap_mode=None if mode == 'copy' else ('c' if mode == 'cow' else 'r'))
    s = a.item(0) + a.item(len(a) // 2) + a.item(len(a) - 1)
    e = time.perf_counter() - t; ec = time.process_time() - c
    del a
    if i or mode == 'cold': ts.append(e); cpu.append(ec)
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"times": ts, "cpu": cpu, "sum": s, "peak_kib": vmhwm(), "base_kib": base, "majflt": ru.ru_majflt}))
"""

PY_MODEL = r"""
import sys, time, json, warnings, joblib
warnings.filterwarnings('ignore')
n, paths = int(sys.argv[1]), sys.argv[2:]
out = {}
for path in paths:
    joblib.load(path); joblib.load(path)
    ts, cpu = [], []
    for i in range(n):
        c = time.process_time(); t = time.perf_counter(); joblib.load(path)
        ts.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
    out[path] = [ts, cpu]
print(json.dumps(out))
"""

PY_MINCORE = r"""
import ctypes, mmap, os, sys, json
libc = ctypes.CDLL(None, use_errno=True)
path = sys.argv[1]
size = os.path.getsize(path)
if sys.argv[2] == 'evict':
    fd = os.open(path, os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)
fd = os.open(path, os.O_RDONLY)
m = mmap.mmap(fd, size, prot=mmap.PROT_READ); os.close(fd)
import numpy as np
a = np.frombuffer(m, dtype=np.uint8)
pages = (size + 4095) // 4096
vec = (ctypes.c_ubyte * pages)()
libc.mincore(ctypes.c_void_p(a.ctypes.data), ctypes.c_size_t(size), vec)
print(json.dumps({"resident": sum(1 for v in vec if v & 1), "pages": pages}))
del a; m.close()
"""


def kv(out):
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def c_run(argv):
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"speed.py: {' '.join(argv)} failed:\n{out.stderr[-2000:]}")
    return kv(out.stdout)


def py_run(script, *argv):
    out = subprocess.run([sys.executable, "-c", script] + [str(a) for a in argv], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"speed.py: Python child failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def samples(d, key):
    return [float(x) for x in d[key].split(",") if x]


def row(group, case, c, ref, ref_name, target, better="ratio", note="", cpu=None, **extra):
    """c, ref: lists of seconds. ratio = ref / c (or c / ref for 'below' targets).
    cpu: (C CPU seconds, reference CPU seconds) per sample, when measured: their median
    ratio is shown beside the wall-clock ones (a busy machine adds waiting for a core to
    the wall clock of both sides, not to their CPU time)."""
    r = {"group": group, "case": case, "ref_name": ref_name, "c_best": min(c), "c_med": statistics.median(c),
         "ref_best": min(ref), "ref_med": statistics.median(ref), "target": target, "better": better, "note": note,
         "n": (len(c), len(ref)), "cpu_ratio": None}
    if cpu and cpu[0] and cpu[1] and statistics.median(cpu[0]) > 0 and statistics.median(cpu[1]) > 0:
        cm, rm = statistics.median(cpu[0]), statistics.median(cpu[1])
        r["cpu_ratio"] = rm / cm if better == "ratio" else cm / rm
        r["c_cpu_med"], r["ref_cpu_med"] = cm, rm
    if better == "ratio":
        r["ratio_best"], r["ratio_med"] = r["ref_best"] / r["c_best"], r["ref_med"] / r["c_med"]
        r["met"] = target is None or r["ratio_med"] >= target or r["ratio_best"] >= target
    else:
        r["ratio_best"], r["ratio_med"] = r["c_best"] / r["ref_best"], r["c_med"] / r["ref_med"]
        r["met"] = target is None or r["ratio_med"] <= target or r["ratio_best"] <= target
    r.update(extra)
    print(f"  [{group}] {case}: C best {R.fmt_time(r['c_best'])} median {R.fmt_time(r['c_med'])} | "
          f"{ref_name} best {R.fmt_time(r['ref_best'])} median {R.fmt_time(r['ref_med'])} | "
          f"{'ref/C' if better == 'ratio' else 'C/ref'} {r['ratio_best']:.2f}x best {r['ratio_med']:.2f}x median"
          + (f", CPU {r['cpu_ratio']:.2f}x median" if r["cpu_ratio"] else "")
          + (f" (target {target})" if target else "") + (f" {note}" if note else ""), flush=True)
    return r


# ---- groups --------------------------------------------------------------------------------

def pickle_files(datadir):
    import pickle
    out = {}
    for name, desc, builder in R.WORKLOADS:
        path = os.path.join(datadir, f"speed_{name}.pkl")
        if not os.path.exists(path):
            with open(path + ".tmp", "wb") as f:
                f.write(pickle.dumps(builder(), protocol=4))
            os.replace(path + ".tmp", path)
        out[name] = (path, desc)
    return out


def group_loads(args, build, datadir, rounds):
    exe = R.compile_bench(build, "bench_load")
    rows = []
    per = 2 if args.quick else 6
    for name, (path, desc) in pickle_files(datadir).items():
        c, p, cc, pc = [], [], [], []
        for r in range(rounds):
            for side in R.rotation(["c", "py"], r):
                if side == "c":
                    d = c_run([exe, path, str(per)])
                    c += samples(d, "load_samples_s")
                    cc += samples(d, "load_cpu_samples_s")
                else:
                    d = py_run(PY_LOADS, path, per, "load")
                    p += d["times"]
                    pc += d["cpu"]
        rows.append(row("loads", f"{name}: {desc}", c, p, "pickle.loads", 3.0, cpu=(cc, pc)))
    return rows


def group_dumps(args, build, datadir, rounds):
    exe = R.compile_bench(build, "bench_dump")
    rows = []
    per = 2 if args.quick else 5
    tmp = os.path.join(datadir, "speed_dump.out")
    for name, (path, desc) in pickle_files(datadir).items():
        c, p, jb, cc, pc = [], [], [], [], []
        for r in range(rounds):
            for side in R.rotation(["c", "py"], r):
                if side == "c":
                    d = c_run([exe, "pickle", path, str(per)])
                    c += samples(d, "dump_samples_s")
                    cc += samples(d, "cpu_samples_s")
                else:
                    d = py_run(PY_LOADS, path, per, "dump")
                    p += d["times"]
                    pc += d["cpu"]
        jb = py_run(PY_JOBLIB_DUMP, path, tmp, 1)
        rows.append(row("dumps", f"{name}: {desc}", c, p, "pickle.dumps", 2.0, cpu=(cc, pc),
                        note=f"joblib.dump {R.fmt_time(min(jb))} ({min(jb) / statistics.median(c):.0f}x C)"))
    return rows


def group_dumpsweep(args, build, datadir, rounds):
    import dumpsweep  # the workloads and checks of the group live in bench/dumpsweep.py
    return dumpsweep.group(args, build, datadir, rounds, c_run, py_run, samples, row)


def array_files(args, datadir):
    versions = R.data_meta()
    sizes = [64 * MiB, 256 * MiB] if args.quick else [512 * MiB, 2 * GiB]
    files = []
    for n in sizes:
        path = os.path.join(datadir, f"array_f8_{n // MiB}MiB.pkl")
        R.ensure_array_file(path, n, versions)
        files.append((path, n))
    return files


def group_copy(args, build, datadir, rounds):
    exe = R.compile_bench(build, "bench_file")
    rows = []
    per = 1 if args.quick else 3
    for path, n in array_files(args, datadir):
        expect = 0.0 + float(n // 16) + float(n // 8 - 1)
        R.page_cache_warm(path)
        c, c1, cow, p, pc, fl = [], [], [], [], [], []
        cpu = {"c": [], "c1": [], "py": [], "fl": []}
        rss = {"c": 0, "c1": 0, "py": 0, "cow": 0, "pycow": 0}
        base = {"c": 0, "py": 0}
        for r in range(rounds):
            for side in R.rotation(["c", "c1", "py", "cow", "pycow", "fl"], r):
                if side == "fl":
                    d = c_run([exe, "--read-only", "--warmup", "1", path, str(per)])
                    fl.extend(samples(d, "load_samples_s"))
                    cpu["fl"].extend(samples(d, "load_cpu_samples_s"))
                elif side in ("c", "c1", "cow"):
                    opt = {"c": [], "c1": ["--threads", "1"], "cow": ["--cow"]}[side]
                    d = c_run([exe] + opt + ["--warmup", "1", path, str(per)])
                    if float(d["checksum"]) != expect:
                        sys.exit(f"speed.py: {path}: checksum {d['checksum']}, expected {expect}")
                    {"c": c, "c1": c1, "cow": cow}[side].extend(samples(d, "load_samples_s"))
                    if side in cpu:
                        cpu[side].extend(samples(d, "load_cpu_samples_s"))
                    rss[side] = max(rss[side], int(d["peak_rss_kib"]))
                    if side == "c":
                        base["c"] = int(d["baseline_rss_kib"])
                else:
                    d = py_run(PY_ARRAY, path, per, "copy" if side == "py" else "cow")
                    (p if side == "py" else pc).extend(d["times"])
                    if side == "py":
                        cpu["py"].extend(d["cpu"])
                    rss[side] = max(rss[side], d["peak_kib"])
                    if side == "py":
                        base["py"] = d["base_kib"]
        label = R.human_size(n)
        extra_mib = (rss["c"] - base["c"]) / 1024 - n / MiB
        rows.append(row("copy", f"{label} array, copied (threads: default)", c, p, "joblib.load", 1.5,
                        cpu=(cpu["c"], cpu["py"]),
                        note=f"peak RSS C {rss['c'] / 1024:.0f} MiB ({extra_mib:+.1f} MiB beyond the array), "
                             f"joblib {rss['py'] / 1024:.0f} MiB"))
        rows.append(row("copy", f"{label} array, copied (threads = 1)", c1, p, "joblib.load", None,
                        cpu=(cpu["c1"], cpu["py"]), note=f"peak RSS C {rss['c1'] / 1024:.0f} MiB"))
        rows.append(row("copy", f"{label} array, read() floor (no load) vs joblib.load", fl, p, "joblib.load", None,
                        cpu=(cpu["fl"], cpu["py"]),
                        note="the most one read() of the file into fresh memory allows"))
        rows.append(row("copy", f"{label} array, copied (threads = 1) vs the read() floor", c1, fl, "read() floor",
                        None, cpu=(cpu["c1"], cpu["fl"]), note="1.00x: the load costs what reading the file costs"))
        rows.append(row("copy", f"{label} array, copy-on-write mapping", cow, pc, "joblib mmap_mode='c'", None,
                        note=f"peak RSS C {rss['cow'] / 1024:.0f} MiB, joblib {rss['pycow'] / 1024:.0f} MiB"))
    return rows


def evict(path):
    return py_run(PY_MINCORE, path, "evict")


def resident(path):
    return py_run(PY_MINCORE, path, "look")


def group_cold(args, build, datadir, rounds):
    import resource
    exe = R.compile_bench(build, "bench_file")
    warm = os.path.join(datadir, "array_warmup.pkl")
    R.ensure_array_file(warm, 64 * 1024, R.data_meta())
    rows = []
    for path, n in array_files(args, datadir):
        c, p, c_res, p_res, c_maj, p_maj = [], [], [], [], [], []
        for r in range(max(3 * rounds, 3)):
            for side in R.rotation(["c", "py"], r):
                if evict(path)["resident"]:
                    print(f"  note: {path} kept pages after the eviction", flush=True)
                if side == "c":
                    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_majflt
                    d = c_run([exe, "--mmap", "--warmup", "0", "--warmup-file", warm, path, "1"])
                    c_maj.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_majflt - ru0)
                    c += samples(d, "load_samples_s")
                    c_res.append(resident(path)["resident"])
                else:
                    d = py_run(PY_ARRAY, path, 1, "cold")
                    p += d["times"]
                    p_maj.append(d["majflt"])
                    p_res.append(resident(path)["resident"])
        rows.append(row("cold", f"{R.human_size(n)} array, mapped, cold file", c, p, "joblib mmap_mode='r'", 1.0,
                        note=f"resident pages after: C {statistics.median(c_res):.0f}, joblib "
                             f"{statistics.median(p_res):.0f} (of {(os.path.getsize(path) + 4095) // 4096}); "
                             f"major faults C {statistics.median(c_maj):.0f}, joblib {statistics.median(p_maj):.0f}"))
    return rows


def group_inflate(args, build, datadir, rounds):
    exe = R.compile_bench(build, "bench_file")
    rows_n = 20000 if args.quick else 375000
    paths = R.ensure_table(datadir, rows_n, R.CODECS, R.data_meta())
    decoded = os.path.getsize(paths["raw"])
    column = decoded // 20   # the table's 20 columns: the blocks a load allocates
    rows = []
    per = 1 if args.quick else 3
    extra_tools = {"gzip": [("igzip", ["igzip", "-dc"]), ("libdeflate", ["libdeflate-gunzip", "-c"])]}
    for codec in R.CODECS:
        name, path = codec[0], paths[codec[0]]
        for r_ in range(1):
            subprocess.run(["cat", path], stdout=subprocess.DEVNULL)
        c, cz, t, rss = [], [], [], 0
        at, cpu = [], {"c": [], "cz": [], "tool": [], "at": []}
        others = {label: [] for label, _ in extra_tools.get(name, [])}
        for r in range(rounds):
            sides = ["c", "tool", "at"] + (["cz"] if name in ("zlib", "gzip") else []) + list(others)
            for side in R.rotation(sides, r):
                if side in ("c", "cz"):
                    d = c_run([exe] + (["--inflate", "zlib"] if side == "cz" else []) + ["--warmup", "0", path, str(per)])
                    (c if side == "c" else cz).extend(samples(d, "load_samples_s"))
                    cpu[side].extend(samples(d, "load_cpu_samples_s"))
                    if side == "c":
                        rss = max(rss, int(d["peak_rss_kib"]))
                elif side == "at":
                    d = c_run([exe, "--alloc-touch", str(decoded), str(column), str(per)])
                    at.extend(samples(d, "load_samples_s"))
                    cpu["at"].extend(samples(d, "load_cpu_samples_s"))
                elif side == "tool":
                    for _ in range(per):
                        wall, tcpu = R.run_tool(codec, path)
                        t.append(wall)
                        cpu["tool"].append(tcpu)
                else:
                    argv = dict(extra_tools[name])[side] + [path]
                    for _ in range(per):
                        t0 = time.perf_counter()
                        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
                        others[side].append(time.perf_counter() - t0)
        tool = " ".join(codec[4]) if codec[4] else "Python zlib streaming"
        over = rss / 1024 - decoded / MiB
        gap = (statistics.median(c) - statistics.median(at)) / statistics.median(t)
        rows.append(row("inflate", f"{name}: jlp_load_path vs {tool}", c, t, tool, 1.10, better="below",
                        cpu=(cpu["c"], cpu["tool"]),
                        note=f"peak RSS {rss / 1024:.0f} MiB (decoded {decoded / MiB:.0f} MiB, {over:+.0f} MiB); "
                             f"alloc+touch of the decoded size {R.fmt_time(statistics.median(at))} median, "
                             f"(C - alloc+touch) / tool {gap:.2f}x",
                        rss_over_mib=over))
        if cz:
            rows.append(row("inflate", f"{name}: ISA-L vs the zlib back end", c, cz, "libjlpickle with zlib", 2.0,
                            cpu=(cpu["c"], cpu["cz"])))
        for label, ts in others.items():
            rows.append(row("inflate", f"{name}: jlp_load_path vs {label}", c, ts, label, None, better="below"))
    return rows


def group_durable(args, build, datadir, rounds):
    exe = R.compile_bench(build, "bench_dump")
    n = 64 * MiB if args.quick else 512 * MiB
    out = os.path.join(datadir, "speed_durable.pkl")
    c, c0, p = [], [], []
    for r in range(rounds):
        for side in R.rotation(["c", "c0", "py"], r):
            if side == "py":
                p += py_run(PY_NP_DUMP, n, out, 1)
            else:
                d = c_run([exe, "array"] + (["--no-durable"] if side == "c0" else []) + [str(n), out, "1"])
                (c if side == "c" else c0).extend(samples(d, "dump_samples_s"))
    if os.path.exists(out):
        os.unlink(out)
    return [row("durable", f"{R.human_size(n)} array, jlp_dump_path durable = 0", c0, p, "joblib.dump", 1.0),
            row("durable", f"{R.human_size(n)} array, jlp_dump_path durable (fsync)", c, p, "joblib.dump", None)]


PY_NP_DUMP = r"""
import sys, os, time, json, subprocess, numpy as np, joblib
n, out, k = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
a = np.arange(n // 8, dtype=np.float64)
ts = []
for i in range(k):
    if os.path.exists(out): os.unlink(out)
    os.sync()
    t = time.perf_counter(); joblib.dump(a, out); ts.append(time.perf_counter() - t)
print(json.dumps(ts))
"""


def model_corpus(datadir, real):
    """The files of one model corpus (bench/gen_models.py; written once, cached)."""
    d = os.path.join(datadir, "models-real" if real else "models")
    if not os.path.exists(os.path.join(d, "MANIFEST.json")):
        print(f"  writing the {'real-size ' if real else ''}model corpus (bench/gen_models.py; a few minutes, cached)",
              flush=True)
        subprocess.run([sys.executable, os.path.join(R.HERE, "gen_models.py")] + (["--real"] if real else []) + [d],
                       check=True)
    return d, json.load(open(os.path.join(d, "MANIFEST.json")))["files"]


def export_changes(build, d, paths):
    """The models whose JSON export changed: each model's export (`jlload --max-items 0`,
    every element) is hashed and compared with the hash the first run over the same file
    wrote into EXPORTS.json beside the corpus (keyed by the file's own hash, so a
    regenerated corpus starts afresh); a speed change must not change what a model loads
    to. Delete EXPORTS.json after a deliberate change of the export."""
    jlload = os.path.join(build, "jlload")
    if not os.path.exists(jlload):
        print(f"  (no {jlload}: exports not checked)", flush=True)
        return []
    ref_path = os.path.join(d, "EXPORTS.json")
    ref = json.load(open(ref_path)) if os.path.exists(ref_path) else {}
    changed = []
    for p in paths:
        with open(p, "rb") as fh:
            file_hash = hashlib.sha256(fh.read()).hexdigest()
        out = subprocess.run([jlload, "--max-items", "0", p], capture_output=True)
        export = hashlib.sha256(out.stdout).hexdigest() if out.returncode == 0 else f"exit {out.returncode}"
        name = os.path.basename(p)
        if name in ref and ref[name][0] == file_hash:
            if ref[name][1] != export:
                changed.append(p)
        else:
            ref[name] = [file_hash, export]
    with open(ref_path, "w") as fh:
        json.dump(ref, fh, indent=1, sort_keys=True)
    for p in changed:
        print(f"  EXPORT CHANGED: {os.path.basename(p)} (against {ref_path})", flush=True)
    return changed


def group_models(args, build, datadir, rounds, real=False):
    exe = R.compile_bench(build, "bench_file")
    d, files = model_corpus(datadir, real)
    files = files[:12] if args.quick else files
    rows = []
    per = 10 if args.quick else 20
    paths = [os.path.join(d, f["file"]) for f in files]
    changed = set(export_changes(build, d, paths))
    c = {p: [] for p in paths}
    py = {p: [] for p in paths}
    floor = {p: [] for p in paths}
    c_cpu = {p: [] for p in paths}
    py_cpu = {p: [] for p in paths}
    # A round: every model loaded by a fresh bench_file process each, and by one Python
    # process that imports joblib (and, as the models need, scikit-learn) once and loads
    # every model warm (two loads first); the sides alternate which goes first. (One
    # Python process per model spent most of the group's time importing scikit-learn.)
    # The read floor of each file (bench_file --read-reuse: open, fstat, one read() of the
    # whole file into a buffer already faulted in, close; no load) is a third side: a
    # copying load cannot take less, so joblib.load / floor bounds the ratio reachable.
    # Both sides also report the CPU time of each load: on a busy machine the wall clock
    # of a compressed file's load is mostly waiting for a core (the CPU column).
    # (For a compressed file the floor is only the read of the compressed bytes.)
    for r in range(rounds):
        for side in R.rotation(["c", "py", "floor"], r):
            if side == "c":
                for p in paths:
                    out = c_run([exe, "--warmup", "2", p, str(per)])
                    c[p] += samples(out, "load_samples_s")
                    c_cpu[p] += samples(out, "load_cpu_samples_s")
            elif side == "floor":
                for p in paths:
                    floor[p] += samples(c_run([exe, "--read-reuse", "--warmup", "2", p, str(per)]), "load_samples_s")
            else:
                for p, (ts, cpu) in py_run(PY_MODEL, per, *paths).items():
                    py[p] += ts
                    py_cpu[p] += cpu
    for f, p in zip(files, paths):
        fl = statistics.median(floor[p])
        rows.append(row("models, real-size" if real else "models", f"{f['name']} ({R.human_size(f['bytes'])})",
                        c[p], py[p], "warm joblib.load", 10.0, cpu=(c_cpu[p], py_cpu[p]),
                        note=("EXPORT CHANGED; " if p in changed else "") +
                             f"read floor {R.fmt_time(fl)}: C/floor {statistics.median(c[p]) / fl:.2f}x, "
                             f"joblib/floor {statistics.median(py[p]) / fl:.1f}x",
                        floor_ratio=statistics.median(py[p]) / fl))
    return rows


def group_models_real(args, build, datadir, rounds):
    return group_models(args, build, datadir, rounds, real=True)


def group_tools(args, build, datadir, rounds):
    d = os.path.join(datadir, "models")
    path = os.path.join(d, "RandomForestClassifier_100.joblib")
    if not os.path.exists(path):
        group_models(args, build, datadir, 1)
    jl = os.path.join(build, "jlinspect")
    c, p = [], []
    for r in range(rounds):
        for side in R.rotation(["c", "py"], r):
            for _ in range(5 if side == "c" else 1):
                t0 = time.perf_counter()
                if side == "c":
                    subprocess.run([jl, path], stdout=subprocess.DEVNULL, check=True)
                else:
                    subprocess.run([sys.executable, "-c", f"import joblib; joblib.load({path!r})"], check=True)
                (c if side == "c" else p).append(time.perf_counter() - t0)
    return [row("tools", f"jlinspect process, 100-tree random forest ({R.human_size(os.path.getsize(path))})",
                c, p, "python3 -c joblib.load", 100.0)]


def group_sweep(args, build, datadir, rounds):
    import sweep
    exe = R.compile_bench(build, "bench_load")
    d = os.path.join(datadir, "sweep")
    print("  writing the sweep's pickles (bench/sweep.py; a minute, cached)", flush=True)
    files = sweep.generate(d)
    per = 2 if args.quick else 5
    rows = []
    for f in files:
        path = os.path.join(d, f["file"])
        c, p, cc, pc = [], [], [], []
        for r in range(rounds):
            for side in R.rotation(["c", "py"], r):
                if side == "c":
                    dd = c_run([exe] + (["--all"] if f["all"] else []) + [path, str(per)])
                    c += samples(dd, "load_samples_s")
                    cc += samples(dd, "load_cpu_samples_s")
                else:
                    dd = py_run(PY_SWEEP, path, per, "all" if f["all"] else "one", R.HERE)
                    p += dd["times"]
                    pc += dd["cpu"]
        rows.append(row("sweep", f"{f['row']}: {f['desc']}", c, p, "pickle.loads", 3.0, cpu=(cc, pc),
                        note=f"{R.human_size(f['bytes'])}, {f['writer']}" + (", several pickles" if f["all"] else "")))
    return rows


GROUPS = {"sp-loads": group_loads, "sp-dumps": group_dumps, "sp-dumpsweep": group_dumpsweep, "sp-copy": group_copy,
          "sp-cold": group_cold,
          "sp-inflate": group_inflate, "sp-durable": group_durable, "sp-models": group_models,
          "sp-models-real": group_models_real, "sp-tools": group_tools, "sp-sweep": group_sweep}


# ---- results -------------------------------------------------------------------------------

SWEEP_TITLE = ("Load sweep: jlp_load_mem against pickle.loads on the shapes and protocols users pickle",
               "Group sp-sweep of the speed suite: the pickles are written by bench/sweep.py into "
               "build/bench-data/sweep/; row names are workload-pP (pickle.dumps at protocol P) and "
               "workload-pP-jl (joblib.dump, where its bytes differ).")


def write_md(path, machine, rows, elapsed, rounds, png, args, title=None):
    with open(path, "w") as f:
        f.write(f"# {title[0] if title else 'Speed: libjlpickle against Python and the codec tools, side by side'}\n\n")
        if title:
            f.write(title[1] + " ")
        f.write("Generated by `make bench` (`bench/run.py --suite speed`, bench/speed.py); numbers from one run on "
                "a shared machine: compare the **ratios** (the sides alternate in fresh processes), not the "
                "absolute times.\n\n")
        f.write("| | |\n|---|---|\n")
        f.write(f"| date | {machine['date']} |\n| machine | {machine['nproc']} CPU(s), {machine['cpu']}, Linux "
                f"{machine['kernel']} |\n| load average (start / end) | {machine['loadavg_start']} / "
                f"{machine['loadavg_end']} |\n| Python | {machine['python']} |\n| compiler | {machine['cc']} |\n"
                f"| rounds | {rounds} (sides alternating){' (--quick: small data)' if args.quick else ''} |\n"
                f"| whole suite | {elapsed:.0f} s |\n\n")
        groups = []
        for r in rows:
            if r["group"] not in groups:
                groups.append(r["group"])
        for g in groups:
            rs = [r for r in rows if r["group"] == g]
            below = rs[0]["better"] == "below"
            f.write(f"## {g}\n\n| case | C best | C median | reference | ref best | ref median | "
                    f"{'C/ref' if below else 'ref/C'} (best) | (median) | CPU (median) | target | met | notes |\n"
                    "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|\n")
            for r in rs:
                tgt = "" if r["target"] is None else (f"<= {r['target']}x" if r["better"] == "below" else f">= {r['target']}x")
                f.write(f"| {r['case']} | {R.fmt_time(r['c_best'])} | {R.fmt_time(r['c_med'])} | {r['ref_name']} | "
                        f"{R.fmt_time(r['ref_best'])} | {R.fmt_time(r['ref_med'])} | {r['ratio_best']:.2f}x | "
                        f"{r['ratio_med']:.2f}x | {'' if r['cpu_ratio'] is None else format(r['cpu_ratio'], '.2f') + 'x'} | {tgt} | {'' if r['target'] is None else ('yes' if r['met'] else 'NO')} "
                        f"| {r['note']} |\n")
            if g == "sweep":
                med = sorted(rs, key=lambda r: r["ratio_med"])
                f.write(f"\n{len(rs)} rows: median ratio {statistics.median(r['ratio_med'] for r in rs):.1f}x; "
                        f"{sum(1 for r in rs if r['ratio_med'] < 3)} below 3x (median), "
                        f"{sum(1 for r in rs if not r['met'])} with neither median nor best at 3x; lowest: "
                        + ", ".join(f"{r['case'].split(':')[0]} {r['ratio_med']:.2f}x" for r in med[:5]) + ".\n")
            if g.startswith("models"):
                ratios = [r["ratio_med"] for r in rs]
                f.write(f"\n{len(rs)} models: median ratio {statistics.median(ratios):.1f}x, lowest "
                        f"{min(ratios):.1f}x, {sum(1 for x in ratios if x < 10)} below 10x (median), "
                        f"{sum(1 for r in rs if not r['met'])} with neither median nor best at 10x")
                bound = [r for r in rs if not r["met"] and r.get("floor_ratio") is not None and r["floor_ratio"] < 10]
                if bound:
                    f.write(f"; of these, {len(bound)} load in less than 10x the time of reading their file "
                            f"(joblib.load / read floor below 10x: the target is out of reach of any copying "
                            f"load on this machine)")
                f.write(".\n")
            f.write("\n")
        f.write("A target counts as met when the median or the best ratio reaches it. ref/C: the reference's time "
                "over libjlpickle's (above 1: libjlpickle is faster); C/ref (inflate): libjlpickle's time over the "
                "tool's (below 1.1 meets the target). CPU: the same ratio of the median CPU times (user + system, "
                "all threads) where both sides report them: the wall clock of a process on a busy machine also "
                "holds its waits for a core, its CPU time does not (a side using two threads shows its gain in "
                "the wall clock only). read() floor: one read() of the whole file into fresh memory, no load; "
                "alloc+touch: writing the decoded size into fresh memory, no decoding.\n\n")
        f.write(f"![ratios]({png})\n")


def plot(path, rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    shown = [r for r in rows if not r["group"].startswith("models")]
    models = [r for r in rows if r["group"].startswith("models")]
    fig, axes = plt.subplots(1, 2, figsize=(15, max(6, 0.28 * len(shown))), gridspec_kw={"width_ratios": [3, 1]})
    ax = axes[0]
    labels = [f"{r['group']}: {r['case'][:60]}" for r in shown]
    vals = [r["ratio_med"] if r["better"] == "ratio" else 1.0 / r["ratio_med"] for r in shown]
    colors = ["tab:green" if r["met"] else ("tab:gray" if r["target"] is None else "tab:red") for r in shown]
    ax.barh(range(len(shown)), vals, color=colors)
    for i, r in enumerate(shown):
        if r["target"]:
            t = r["target"] if r["better"] == "ratio" else 1.0 / r["target"]
            ax.plot([t, t], [i - 0.4, i + 0.4], color="black")
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("speed-up of libjlpickle (median; black: target; inflate: tool time / C time)")
    ax = axes[1]
    if models:
        ax.hist([r["ratio_med"] for r in models], bins=30, color="tab:blue")
        ax.axvline(10, color="black")
        ax.set_xlabel("models: warm joblib.load / C (median)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def suite_speed(args, build, datadir, only):
    rounds = args.rounds or (1 if args.quick else 5)
    machine = R.machine_info()
    t0 = time.monotonic()
    rows = []
    for name, fn in GROUPS.items():
        if only and name not in only:
            continue
        print(f"[{name}]", flush=True)
        rows += fn(args, build, datadir, rounds)
    machine["loadavg_end"] = R.loadavg()
    written = []
    # The sweep's hundred-odd rows have a file of their own; speed.md keeps the others
    # (and is left alone by a run of the sweep alone).
    for base, rs, title in (("speed", [r for r in rows if r["group"] != "sweep"], None),
                            ("sweep", [r for r in rows if r["group"] == "sweep"], SWEEP_TITLE)):
        if not rs:
            continue
        md = os.path.join(args.results, base + ".md")
        png = os.path.join(args.results, base + ".png")
        write_md(md, machine, rs, time.monotonic() - t0, rounds, os.path.basename(png), args, title)
        plot(png, rs)
        written += [md, png]
    return written
