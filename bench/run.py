#!/usr/bin/python3
"""Side-by-side load benchmarks: libjlpickle against CPython's unpickler and joblib.

    /usr/bin/python3 bench/run.py --build build [--suite pickle|arrays|codecs|all]
                                   [--repeat N] [--rounds R] [--quick]
                                   [--only NAME[,NAME...]] [--profile] [--no-cold]
                                   [--keep-data] [--table-rows N]

Suites (default: all, in this order; each writes bench/results/<suite>.md and .png):

  pickle   jlp_load_mem() vs pickle.loads (CPython's C unpickler) on four plain pickles
           (results/load.md, load.png)
  arrays   a 512 MiB float64 array written by joblib.dump (uncompressed, 16-byte aligned):
           jlp_load_path() copying the data vs joblib.load(path), and jlp_load_path() with
           opts.mmap = 1 vs joblib.load(path, mmap_mode='r'), the latter also on a 2 GiB
           array; warm page cache, and cold (caches dropped before each process) when
           /proc/sys/vm/drop_caches is writable (results/arrays.md, arrays.png)
  codecs   a ~300 MB compressible table (dict of 20 numpy columns) dumped with every joblib
           compressor at its default level, plus zstd (the zstd tool on the uncompressed
           dump): jlp_load_path() vs joblib.load vs the codec's own command-line
           decompression to /dev/null (results/codecs.md, codecs.png)
  dump     the writers: a 512 MiB array, the six pickle workloads, the ~300 MB table with
           every codec, 1 and 2 threads, vs joblib.dump / pickle.dumps (bench/dump.py;
           results/dump.md, dump.png)
  speed    every row the speed work is judged by, side by side (bench/speed.py:
           results/speed.md, speed.png): loads and dumps of the six workloads, copied,
           copy-on-write and cold mapped arrays, every codec against its tool (ISA-L
           against the zlib back end), durable and non-durable path writes, a corpus of
           fitted scikit-learn models against warm joblib.load, jlinspect against a
           python -c joblib.load process

Steps for every suite: compile the C driver (bench/bench_load.c for pickle,
bench/bench_file.c for arrays and codecs) against BUILD/libjlpickle.a; write the data
into BUILD/bench-data/ (big array and table files are cached between runs, keyed by their
parameters; files of 1 GiB or more are deleted at the end unless --keep-data); run R
rounds in which every side runs in its own fresh process, one after the other, in an
order that rotates from round to round, so all sides see the same machine noise; pool the
samples of all rounds (best and median per side); print a table; write markdown and PNG.

Peak memory is the peak RSS (VmHWM of /proc/self/status; getrusage's ru_maxrss is not
usable here because Linux carries it over fork+exec from this big parent) of each process.

--profile additionally runs `perf record` (or valgrind callgrind when perf is missing) on
the C driver for each workload and prints the top functions by self time (for the codecs
suite they are also written into codecs.md).
"""
import argparse
import datetime
import json
import os
import pickle
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SUITES = ("pickle", "arrays", "codecs", "dump", "speed")  # dump: bench/dump.py, speed: bench/speed.py
MiB = 1 << 20
GiB = 1 << 30

# ---- workloads (pickle suite) -----------------------------------------------------------


def wl_ints():
    return list(range(10**6))


def wl_strs():
    return [f"s{i}" for i in range(10**6)]


def wl_floats():
    rng = random.Random(3)
    return [rng.random() for _ in range(10**6)]


def wl_nested():
    return [[i, (f"r{i}", i * 0.5), None, True, [i % 3, f"x{i}"]] for i in range(200_000)]


def wl_str_float_dict():
    rng = random.Random(1)
    return {f"key{i}": rng.random() for i in range(200_000)}


def wl_records():
    rng = random.Random(2)
    return [
        {"id": i, "name": f"user{i}", "score": rng.random() * 100.0,
         "tags": [f"t{i % 7}", f"g{i % 13}"]}
        for i in range(100_000)
    ]


WORKLOADS = [
    # name, description, builder
    ("ints", "list(range(10**6))", wl_ints),
    ("strs", "10**6 short str: [f's{i}' ...]", wl_strs),
    ("floats", "10**6 random floats", wl_floats),
    ("dict", "dict of 200,000 str -> float", wl_str_float_dict),
    ("records", "100,000 dicts {id, name, score, tags: [str, str]}", wl_records),
    ("nested", "200,000 rows [int, (str, float), None, True, [int, str]]", wl_nested),
]

# ---- the Python side of the pickle suite (runs in a child process) ----------------------

PY_CHILD = r"""
import gc, json, pickle, resource, sys, time
path, repeat, use_gc = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "on"
assert pickle.loads.__module__ == "_pickle", "not the C unpickler"

def peak_rss_kib():
    # VmHWM: exec resets it, unlike ru_maxrss, which Linux carries over from the parent.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

with open(path, "rb") as f:
    data = f.read()
if not use_gc:
    gc.disable()
baseline = peak_rss_kib()
obj = pickle.loads(data)          # untimed warm-up
kind, n = type(obj).__name__, len(obj)
del obj
times = []
for _ in range(repeat):
    t0 = time.perf_counter()
    obj = pickle.loads(data)
    t1 = time.perf_counter()
    del obj
    times.append(t1 - t0)
print(json.dumps({"times": times, "baseline_rss_kib": baseline,
                  "peak_rss_kib": peak_rss_kib(), "root_type": kind, "root_len": n}))
"""


def run_python(path, repeat, use_gc=True):
    out = subprocess.run([sys.executable, "-c", PY_CHILD, path, str(repeat),
                          "on" if use_gc else "off"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def parse_kv(out):
    res = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        res[k] = v
    return res


def run_c(exe, path, repeat):
    out = subprocess.run([exe, path, str(repeat)], check=True, capture_output=True,
                         text=True).stdout
    return parse_kv(out)


# ---- the joblib side of the arrays and codecs suites (a child process) ------------------

# argv: path repeat warmup mode(copy|mmap) warm_file(- for none)
# Times joblib.load(path[, mmap_mode='r']) plus the same touch as bench_file.c: elements
# 0, n//2 and n-1 of every array (the root, or the values of a root dict), added up as
# float in the same order, so the checksums of both sides must be equal.
PY_FILE_CHILD = r"""
import json, sys, time
path, repeat, warmup, mode, warm_file = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                         sys.argv[4], sys.argv[5])
import numpy as np
import joblib
mmap_mode = "r" if mode == "mmap" else None

def peak_rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1

def touch(obj):
    if isinstance(obj, np.ndarray):
        arrays = [obj]
    elif isinstance(obj, dict):
        arrays = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        arrays = list(obj)
    else:
        arrays = []
    s, n = 0.0, 0
    for a in arrays:
        if not isinstance(a, np.ndarray) or a.size == 0:
            continue
        c = a.size
        s += float(a.item(0))
        s += float(a.item(c // 2))
        s += float(a.item(c - 1))
        n += 1
    return s, n

if warm_file != "-":
    o = joblib.load(warm_file, mmap_mode=mmap_mode)
    touch(o)
    del o
baseline = peak_rss_kib()
times, cpu = [], []
for k in range(-warmup, repeat):
    c0 = time.process_time()
    t0 = time.perf_counter()
    obj = joblib.load(path, mmap_mode=mmap_mode)
    s, n = touch(obj)
    t1 = time.perf_counter()
    c1 = time.process_time()
    kind = type(obj).__name__
    del obj
    if k >= 0:
        times.append(t1 - t0)
        cpu.append(c1 - c0)
print(json.dumps({"times": times, "cpu_times": cpu, "baseline_rss_kib": baseline,
                  "peak_rss_kib": peak_rss_kib(),
                  "checksum": s, "touched_arrays": n, "root_type": kind,
                  "joblib": joblib.__version__, "numpy": np.__version__}))
"""

# Python's zlib as the "tool" for zlib streams (no pigz on the machine): streaming
# decompressobj, 128 KiB reads, output in <= 1 MiB pieces written to /dev/null. Times
# itself (interpreter start-up and imports excluded). argv: path
PY_ZLIB_TOOL = r"""
import json, os, sys, time, zlib
path = sys.argv[1]
c0 = time.process_time()
t0 = time.perf_counter()
d = zlib.decompressobj(15)
out = os.open(os.devnull, os.O_WRONLY)
total = 0
with open(path, "rb", buffering=0) as f:
    while True:
        buf = f.read(128 * 1024)
        if not buf:
            break
        while buf:
            chunk = d.decompress(buf, 1 << 20)
            if chunk:
                os.write(out, chunk)
                total += len(chunk)
            buf = d.unconsumed_tail
    chunk = d.flush()
    os.write(out, chunk)
    total += len(chunk)
t1 = time.perf_counter()
c1 = time.process_time()
assert d.eof, "zlib stream did not end"
print(json.dumps({"time": t1 - t0, "cpu": c1 - c0, "decoded": total}))
"""


def run_c_file(exe, path, repeat, mmap=False, warmup=1, warm_file=None):
    cmd = [exe] + (["--mmap"] if mmap else []) + ["--warmup", str(warmup)]
    if warm_file:
        cmd += ["--warmup-file", warm_file]
    out = subprocess.run(cmd + [path, str(repeat)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"run.py: {' '.join(cmd)} {path} failed:\n{out.stderr}")
    return parse_kv(out.stdout)


def run_read_only(exe, path, repeat, warmup=1):
    out = subprocess.run([exe, "--read-only", "--warmup", str(warmup), path, str(repeat)],
                         capture_output=True, text=True, check=True)
    return parse_kv(out.stdout)


def run_alloc_touch(exe, nbytes, chunk, repeat, warmup=0):
    out = subprocess.run([exe, "--alloc-touch", str(nbytes), str(chunk), str(repeat),
                          str(warmup)],
                         capture_output=True, text=True, check=True)
    return parse_kv(out.stdout)


def run_py_file(path, repeat, mmap=False, warmup=1, warm_file=None):
    out = subprocess.run([sys.executable, "-c", PY_FILE_CHILD, path, str(repeat), str(warmup),
                          "mmap" if mmap else "copy", warm_file or "-"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"run.py: joblib.load child on {path} failed:\n{out.stderr}")
    return json.loads(out.stdout)


# ---- helpers ----------------------------------------------------------------------------


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def human_size(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def mib(kib):
    return f"{kib / 1024:.1f}"


def split_rounds(repeat, rounds):
    """Per-round split of the repeats: e.g. 12 over 3 rounds -> 4, 4, 4."""
    rounds = max(1, min(rounds, repeat))
    return [repeat // rounds + (1 if r < repeat % rounds else 0) for r in range(rounds)]


def rotation(sides, r):
    """The order of the sides in round r: rotated by one every round."""
    k = r % len(sides)
    return sides[k:] + sides[:k]


def fmt_time(s):
    """Seconds, printed in the unit that suits them."""
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def library_ldlibs():
    """The libraries libjlpickle.a needs (the Makefile's LDLIBS_LIB: optional codec
    libraries + -lm), asked from make itself so the bench links whatever `make` detected.
    BENCH_LDLIBS overrides; falls back to -lm."""
    if "BENCH_LDLIBS" in os.environ:
        return os.environ["BENCH_LDLIBS"].split()
    probe = "_bench_print_ldlibs:\n\t@echo $(LDLIBS_LIB)\n"
    try:
        out = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT,
                              "-f", "Makefile", "-f", "-", "_bench_print_ldlibs"],
                             input=probe, capture_output=True, text=True, timeout=60)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.split()
    except (OSError, subprocess.SubprocessError):
        pass
    return ["-lm"]


_COMPILED = {}


def compile_bench(build, name="bench_load"):
    exe = os.path.join(build, name)
    if exe in _COMPILED:
        return exe
    _COMPILED[exe] = True
    lib = os.path.join(build, "libjlpickle.a")
    if not os.path.exists(lib):
        sys.exit(f"run.py: {lib} not found; run `make` first")
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-O2", "-g", "-std=c11", "-Wall", "-Wextra", "-Werror",
           "-I" + os.path.join(ROOT, "libjlpickle"),
           os.path.join(HERE, name + ".c"), lib] + library_ldlibs() + ["-o", exe]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return exe


def machine_info():
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": cpu_model(),
        "kernel": platform.release(),
        "python": sys.version.split()[0] + f" ({sys.executable})",
        "cc": (sh([os.environ.get("CC", "cc"), "--version"]).splitlines() or ["?"])[0],
        "loadavg_start": loadavg(),
        "env": " ".join(f"{k}={os.environ[k]}" for k in ("GLIBC_TUNABLES", "PYTHONMALLOC",
                                                          "MALLOC_ARENA_MAX")
                        if os.environ.get(k)),
    }


def drop_caches():
    """Write back dirty pages and drop the page cache (root only; a container may refuse).
    @return True when it worked."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def page_cache_warm(path):
    """Read the file once so that it sits in the page cache."""
    with open(path, "rb", buffering=0) as f:
        while f.read(8 * MiB):
            pass


def machine_rows(machine, extra):
    """The header table of a result file."""
    L = ["| | |", "|---|---|",
         f"| date | {machine['date']} |",
         f"| machine | {machine['nproc']} CPU(s), {machine['cpu']}, Linux {machine['kernel']}, "
         f"{human_size(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES'))} RAM |",
         f"| load average (start / end) | {machine['loadavg_start']} / "
         f"{machine.get('loadavg_end', '?')} |",
         f"| Python | {machine['python']} |"]
    L += [f"| {k} | {v} |" for k, v in extra]
    if machine["env"]:
        L.append(f"| environment (all sides) | `{machine['env']}` |")
    return L


# ---- profiling --------------------------------------------------------------------------


def profile(argv, tmp, top=10, callgraph=False):
    """Top functions by self time of the command `argv` (the C driver on one file). The
    samples cover the whole process: file read, warm-up, loads and jlp_doc_free() (kernel
    time included when perf_event_paranoid allows it)."""
    if shutil.which("perf"):
        rec = subprocess.run(["perf", "record", "-q", "-F", "2999"] +
                             (["-g"] if callgraph else []) + ["-o", tmp] + argv,
                             capture_output=True, text=True)
        if rec.returncode == 0:
            def report(sort):
                out = sh(["perf", "report", "-i", tmp, "--stdio", "--no-children", "-g", "none",
                          "--sort", sort, "--percent-limit", "0.5"])
                return [re.sub(r"(\s+-)+\s*$", "", ln).strip() for ln in out.splitlines()
                        if ln.strip() and not ln.startswith("#")]
            split = ", ".join(" ".join(r.split()[:2]) for r in report("dso")[:4])
            rows = report("dso,symbol")[:top]
            os.unlink(tmp)
            return f"perf, whole process ({split})", rows
    if shutil.which("valgrind"):
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}"] + argv,
                       capture_output=True, check=True)
        rep = sh(["callgrind_annotate", tmp])
        os.unlink(tmp)
        rows = [ln.strip() for ln in rep.splitlines()
                if re.match(r"\s*[\d,]+ \(\s*[\d.]+%\)\s+\S+:\S", ln)]
        return "callgrind, instructions (user space only)", rows[:top]
    return "no profiler found", []


# ---- main -------------------------------------------------------------------------------


def main():
    import dump  # the dump suite (writers) lives in bench/dump.py
    import speed  # the speed suite (every row of the speed work) lives in bench/speed.py
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build directory holding libjlpickle.a (default: build)")
    ap.add_argument("--suite", default="all", choices=SUITES + ("all",),
                    help="which benchmark suite to run (default all)")
    ap.add_argument("--repeat", type=int, default=None,
                    help="timed loads per side and workload, pooled over the rounds "
                         "(default: pickle 30, arrays 10 (mmap cases 20x that), codecs 5)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="alternating rounds per workload (default 5 in every suite); "
                         "cold-cache runs do one load per side per round")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: --repeat 3 --rounds 1 (codecs: 1 and 1) unless given "
                         "explicitly; the arrays and codecs suites also use small data")
    ap.add_argument("--only", default="",
                    help="comma-separated workload names; suites without a selected name "
                         "are skipped (pickle: " + ",".join(w[0] for w in WORKLOADS) +
                         "; arrays: " + ",".join(c[0] for c in ARRAY_CASES) +
                         "; codecs: " + ",".join(c[0] for c in CODECS) +
                         "; dump: " + ",".join(dump.NAMES) + "; speed: " + ",".join(speed.NAMES) + ")")
    ap.add_argument("--no-gc-column", action="store_true",
                    help="pickle suite: skip the extra Python run with the cyclic GC disabled")
    ap.add_argument("--no-cold", action="store_true",
                    help="arrays suite: do not drop the page cache (warm runs only)")
    ap.add_argument("--keep-data", action="store_true",
                    help="keep data files of 1 GiB or more (default: deleted after the suite)")
    ap.add_argument("--table-rows", type=int, default=None,
                    help="codecs suite: rows of the 20-column table (default 1875000, i.e. "
                         "300 MB decoded; --quick: 100000)")
    ap.add_argument("--profile", action="store_true",
                    help="also profile the C driver on each workload (perf or callgrind)")
    ap.add_argument("--results", default=os.path.join(HERE, "results"),
                    help="output directory for the .md and .png files (default bench/results)")
    args = ap.parse_args()
    if args.repeat is not None and args.repeat < 1:
        sys.exit("run.py: --repeat must be >= 1")
    if args.rounds is not None and args.rounds < 1:
        sys.exit("run.py: --rounds must be >= 1")

    only = set(filter(None, args.only.split(",")))
    known = ({w[0] for w in WORKLOADS} | {c[0] for c in ARRAY_CASES} | {c[0] for c in CODECS}
             | set(dump.NAMES) | set(speed.NAMES))  # dump and speed suites
    if only - known:
        sys.exit(f"run.py: --only: unknown workload(s) {','.join(sorted(only - known))}")
    names = {"pickle": [w[0] for w in WORKLOADS], "arrays": [c[0] for c in ARRAY_CASES],
             "codecs": [c[0] for c in CODECS], "dump": dump.NAMES, "speed": speed.NAMES}
    suites = [s for s in (SUITES if args.suite == "all" else (args.suite,))
              if not only or only & set(names[s])]
    if not suites:
        sys.exit("run.py: --only matched no workload of the selected suite(s)")

    build = os.path.abspath(args.build)
    datadir = os.path.join(build, "bench-data")
    os.makedirs(datadir, exist_ok=True)
    os.makedirs(args.results, exist_ok=True)
    written = []
    t0 = time.monotonic()
    for s in suites:
        print(f"\n===== suite {s} =====", flush=True)
        if s == "pickle":
            written += suite_pickle(args, build, datadir, only)
        elif s == "arrays":
            written += suite_arrays(args, build, datadir, only)
        elif s == "dump":
            written += dump.suite_dump(args, build, datadir, only)
        elif s == "speed":
            written += speed.suite_speed(args, build, datadir, only)
        else:
            written += suite_codecs(args, build, datadir, only)
    print(f"\nwrote {', '.join(os.path.relpath(p, ROOT) for p in written)} "
          f"({time.monotonic() - t0:.0f} s)")


# ===== suite: pickle ======================================================================


def suite_pickle(args, build, datadir, only):
    repeat = args.repeat or (3 if args.quick else 30)
    rounds = args.rounds or (1 if args.quick else 5)
    rounds = max(1, min(rounds, repeat))
    args_repeat, args_rounds = repeat, rounds
    t_start = time.monotonic()
    exe = compile_bench(build, "bench_load")

    selected = [w for w in WORKLOADS if not only or w[0] in only]
    machine = machine_info()
    per_round = split_rounds(repeat, rounds)

    results = []
    for name, desc, build_obj in selected:
        path = os.path.join(datadir, f"{name}.pkl")
        obj = build_obj()
        blob = pickle.dumps(obj, protocol=4)
        expect_type, expect_len = type(obj).__name__, len(obj)
        del obj
        with open(path, "wb") as f:
            f.write(blob)
        size = len(blob)
        del blob
        print(f"[{name}] {desc}: {human_size(size)}, {rounds} round(s) x "
              f"{per_round} loads per side", flush=True)

        py_t, c_t, py_nogc_t = [], [], []
        py_rss = py_base = c_rss = c_base = 0
        c = {}
        for r, n in enumerate(per_round):
            order = ("c", "py") if r % 2 == 0 else ("py", "c")
            for side in order:
                if side == "c":
                    c = run_c(exe, path, n)
                    if c["root_type"] != expect_type or int(c["root_len"]) != expect_len:
                        sys.exit(f"run.py: {name}: bench_load loaded {c['root_type']} of "
                                 f"{c['root_len']}, expected {expect_type} of {expect_len}")
                    c_t += [float(x) for x in c["load_samples_s"].split(",")]
                    c_rss = max(c_rss, int(c["peak_rss_kib"]))
                    c_base = max(c_base, int(c["baseline_rss_kib"]))
                else:
                    p = run_python(path, n)
                    if p["root_type"] != expect_type or p["root_len"] != expect_len:
                        sys.exit(f"run.py: {name}: the Python child loaded a different object")
                    py_t += p["times"]
                    py_rss = max(py_rss, p["peak_rss_kib"])
                    py_base = max(py_base, p["baseline_rss_kib"])
        if not args.no_gc_column:
            # Informational only: the same loads with gc.disable(), after the main rounds.
            py_nogc_t = run_python(path, max(1, min(repeat, 10)), use_gc=False)["times"]

        res = {
            "name": name, "desc": desc, "size": size,
            "py_best": min(py_t), "py_med": statistics.median(py_t),
            "c_best": min(c_t), "c_med": statistics.median(c_t),
            "py_nogc_best": min(py_nogc_t) if py_nogc_t else None,
            "py_rss": py_rss, "py_base": py_base, "c_rss": c_rss, "c_base": c_base,
            "c_alloc": int(c["doc_alloc_bytes"]), "c_free_med": float(c["free_median_s"]),
            "ops": int(c["ops"]), "n_py": len(py_t), "n_c": len(c_t),
        }
        res["ratio_best"] = res["py_best"] / res["c_best"]
        res["ratio_med"] = res["py_med"] / res["c_med"]
        results.append(res)
        print(f"    Python best {res['py_best'] * 1e3:8.2f} ms  median {res['py_med'] * 1e3:8.2f} ms"
              f"   |  C best {res['c_best'] * 1e3:8.2f} ms  median {res['c_med'] * 1e3:8.2f} ms"
              f"   |  ratio {res['ratio_best']:.2f}x (best) {res['ratio_med']:.2f}x (median)",
              flush=True)

    machine["loadavg_end"] = loadavg()
    machine["libjlpickle"] = c.get("library_version", "?")
    elapsed = time.monotonic() - t_start

    print()
    print_table(results)
    md = os.path.join(args.results, "load.md")
    png = os.path.join(args.results, "load.png")

    class _A:  # what write_markdown reads of the arguments
        pass
    a = _A()
    a.repeat, a.rounds = args_repeat, args_rounds
    write_markdown(md, results, machine, a, per_round, elapsed, os.path.basename(png))
    plot(png, results, machine)
    print(f"\nwrote {os.path.relpath(md, ROOT)} and {os.path.relpath(png, ROOT)} "
          f"({elapsed:.0f} s)")

    if args.profile:
        for name, desc, _ in selected:
            path = os.path.join(datadir, f"{name}.pkl")
            if not os.path.exists(path):
                continue
            tool, rows = profile([exe, path, str(max(3, min(repeat, 10)))], path + ".prof")
            print(f"\n[profile {name}] {tool}")
            for row in rows:
                print("   " + row.strip())
    return [md, png]


# ---- reporting (pickle suite) -----------------------------------------------------------

COLS = ["workload", "pickle", "Py best ms", "Py med ms", "C best ms", "C med ms",
        "ratio best", "ratio med", "Py peak MiB", "C peak MiB"]


def table_rows(results):
    rows = []
    for r in results:
        rows.append([r["name"], human_size(r["size"]),
                     f"{r['py_best'] * 1e3:.2f}", f"{r['py_med'] * 1e3:.2f}",
                     f"{r['c_best'] * 1e3:.2f}", f"{r['c_med'] * 1e3:.2f}",
                     f"{r['ratio_best']:.2f}x", f"{r['ratio_med']:.2f}x",
                     f"{mib(r['py_rss'])} (+{mib(r['py_rss'] - r['py_base'])})",
                     f"{mib(r['c_rss'])} (+{mib(r['c_rss'] - r['c_base'])})"])
    return rows


def print_rows(cols, rows):
    rows = [cols] + rows
    widths = [max(len(row[i]) for row in rows) for i in range(len(cols))]
    for k, row in enumerate(rows):
        print("  ".join(cell.rjust(w) if i else cell.ljust(w)
                        for i, (cell, w) in enumerate(zip(row, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def print_table(results):
    print_rows(COLS, table_rows(results))
    print("ratio = Python time / C time (higher is better for C; >1 means C is faster).")
    print("peak = VmHWM of the process; (+N) = peak minus RSS before the first load.")


def write_markdown(path, results, machine, args, per_round, elapsed, png_name):
    L = []
    L.append("# Load benchmark: libjlpickle vs CPython's C unpickler")
    L.append("")
    L.append("Generated by `make bench` (`bench/run.py`); see `bench/README.md` for what is "
             "measured and how to read it. Numbers from one run on a shared machine: "
             "compare the **ratios** (measured side by side, in alternating rounds), not "
             "the absolute times.")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    L.append(f"| date | {machine['date']} |")
    L.append(f"| machine | {machine['nproc']} CPU(s), {machine['cpu']}, Linux "
             f"{machine['kernel']} |")
    L.append(f"| load average (start / end) | {machine['loadavg_start']} / "
             f"{machine['loadavg_end']} |")
    L.append(f"| Python | {machine['python']}, `pickle.loads` = `_pickle.loads` (C), "
             f"pickles written with protocol 4 |")
    L.append(f"| libjlpickle | {machine['libjlpickle']}, `jlp_load_mem()` with default "
             f"options; bench_load built with `{machine['cc']}` -O2 |")
    if machine["env"]:
        L.append(f"| environment (both sides) | `{machine['env']}` |")
    L.append(f"| repeats | {args.repeat} timed loads per side and workload, in "
             f"{len(per_round)} alternating round(s) of {per_round}, each round with one "
             f"untimed warm-up load; whole run {elapsed:.0f} s |")
    L.append("")
    L.append("| workload | pickle size | Python best ms | Python median ms | C best ms | "
             "C median ms | ratio (best) | ratio (median) | Python peak RSS MiB (load) | "
             "C peak RSS MiB (load) | C doc alloc MiB |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r, row in zip(results, table_rows(results)):
        L.append(f"| {r['name']}: {r['desc']} | " + " | ".join(row[1:]) +
                 f" | {r['c_alloc'] / 2**20:.1f} |")
    L.append("")
    L.append("- ratio = Python time / C time: above 1 the C load is faster; the target is "
             "at least 2x on every workload.")
    L.append("- Times are per load of the whole pickle from memory; teardown is excluded on "
             "both sides (`del obj` / `jlp_doc_free()` run outside the timer).")
    L.append("- Peak RSS is VmHWM (peak resident set) of the process doing the loads; (load) is peak minus "
             "the RSS measured after reading the file and before the first load, i.e. what "
             "one loaded object costs. The Python peak includes the interpreter (about "
             "10 MiB). C doc alloc is `jlp_doc_alloc_bytes()` of one document.")
    if any(r["py_nogc_best"] for r in results):
        L.append("- For information, Python best with `gc.disable()`: " + ", ".join(
            f"{r['name']} {r['py_nogc_best'] * 1e3:.2f} ms" for r in results
            if r["py_nogc_best"]) + ". The table uses the default (gc enabled).")
    L.append("- C `jlp_doc_free()` median: " + ", ".join(
        f"{r['name']} {r['c_free_med'] * 1e3:.2f} ms" for r in results) + ".")
    L.append("")
    L.append(f"![load times]({png_name})")
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))


def plot(path, results, machine):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = list(range(len(results)))
    w = 0.38
    fig, ax = plt.subplots(figsize=(8.5, 4.8), dpi=110)
    py_med = [r["py_med"] * 1e3 for r in results]
    c_med = [r["c_med"] * 1e3 for r in results]
    b1 = ax.bar([i - w / 2 for i in x], py_med, w, label="CPython pickle.loads (C)",
                color="#4C72B0")
    b2 = ax.bar([i + w / 2 for i in x], c_med, w, label="libjlpickle jlp_load_mem",
                color="#DD8452")
    # Best times as black ticks on each bar.
    ax.scatter([i - w / 2 for i in x], [r["py_best"] * 1e3 for r in results], marker="_",
               s=300, color="black", zorder=3, label="best of run")
    ax.scatter([i + w / 2 for i in x], [r["c_best"] * 1e3 for r in results], marker="_",
               s=300, color="black", zorder=3)
    for bars in (b1, b2):
        ax.bar_label(bars, fmt="%.1f", padding=2, fontsize=8)
    top = max(py_med + c_med)
    for i, r in enumerate(results):
        # Ratio above the taller bar of each group (and its value label).
        ax.text(i, max(py_med[i], c_med[i]) + top * 0.08, f"ratio {r['ratio_med']:.2f}x",
                ha="center", fontsize=9, fontweight="bold",
                color="#2a7a2a" if r["ratio_med"] >= 2 else "#b22222")
    ax.set_ylim(0, top * 1.22)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{r['name']}\n{human_size(r['size'])}" for r in results])
    ax.set_ylabel("ms per load (bar: median, tick: best)")
    ax.set_xlabel("ratio = Python time / C time (median); green: at least 2x", fontsize=8)
    ax.set_title(f"Pickle load time, lower is better (ratio = Python / C, median)\n"
                 f"{machine['nproc']} CPU {machine['cpu']}, Python "
                 f"{machine['python'].split()[0]}, libjlpickle {machine['libjlpickle']}",
                 fontsize=10)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.95)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ===== data files of the arrays and codecs suites =========================================

# Runs in a child process so that this runner never holds the big arrays (a big parent
# makes every later fork+exec slower and inflates ru_maxrss of its children).
# argv: path nbytes. The array is np.arange(n, dtype=float64): element i is i, which makes
# the touched elements and their sum predictable.
PY_GEN_ARRAY = r"""
import sys, joblib, numpy as np
path, nbytes = sys.argv[1], int(sys.argv[2])
a = np.arange(nbytes // 8, dtype=np.float64)
joblib.dump(a, path)
"""

# argv: directory stem rows seed codec[,codec...]; "raw" writes the uncompressed dump,
# a joblib compressor name writes joblib.dump(table, ..., compress=name) (the compressor's
# default level).
PY_GEN_TABLE = r"""
import os, sys, joblib, numpy as np
d, stem, rows, seed, which = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rng = np.random.default_rng(seed)
table = {}
for j in range(20):
    if j % 2 == 0:
        table[f"c{j:02d}_int"] = rng.integers(0, 10, rows)          # int64, 10 values
    else:
        table[f"c{j:02d}_float"] = np.round(rng.random(rows), 1)    # float64, 11 values
for name in which.split(","):
    ext = {"raw": "", "zlib": ".z", "gzip": ".gz", "bz2": ".bz2", "lzma": ".lzma",
           "xz": ".xz", "lz4": ".lz4"}[name]
    path = os.path.join(d, stem + ".pkl" + ext)
    tmp = path + ".tmp"
    # compress=name: that compressor at its default level (FORMAT-FACTS.md 3.3)
    joblib.dump(table, tmp, compress=0 if name == "raw" else name)
    os.replace(tmp, path)
    print(name, os.path.getsize(path), flush=True)
"""


def data_meta():
    """What cached data files depend on, besides their own parameters."""
    out = sh([sys.executable, "-c", "import joblib, numpy; "
              "print(joblib.__version__, numpy.__version__)"])
    return out or "?"


def cached(path, meta):
    """True when `path` exists and its sidecar <path>.meta.json matches `meta`."""
    try:
        with open(path + ".meta.json") as f:
            return os.path.exists(path) and json.load(f) == meta
    except (OSError, ValueError):
        return False


def mark_cached(path, meta):
    with open(path + ".meta.json", "w") as f:
        json.dump(meta, f)


def remove_data(path):
    for p in (path, path + ".meta.json"):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def ensure_array_file(path, nbytes, versions):
    meta = {"kind": "arange-f8", "nbytes": nbytes, "versions": versions}
    if cached(path, meta):
        return
    print(f"    writing {os.path.relpath(path, ROOT)}: joblib.dump(np.arange("
          f"{nbytes // 8}, dtype=float64)) ({human_size(nbytes)})", flush=True)
    t = time.monotonic()
    subprocess.run([sys.executable, "-c", PY_GEN_ARRAY, path, str(nbytes)], check=True)
    mark_cached(path, meta)
    print(f"    ... {time.monotonic() - t:.0f} s", flush=True)


# ===== suite: arrays =====================================================================

ARRAY_CASES = [
    # name, mmap, which file ("small" = 512 MiB, "big" = 2 GiB), what
    ("copy", False, "small", "in memory: C jlp_load_path() (data copied into the document) "
                             "vs joblib.load(path)"),
    ("mmap", True, "small", "mapped: C jlp_load_path() with opts.mmap = 1 vs "
                            "joblib.load(path, mmap_mode='r')"),
    ("mmap-big", True, "big", "mapped, 4x larger file: same as mmap"),
]


def suite_arrays(args, build, datadir, only):
    quick = args.quick
    repeat = args.repeat or (3 if quick else 10)
    rounds = args.rounds or (1 if quick else 5)
    rounds = max(1, min(rounds, repeat))
    mmap_repeat = repeat * 20
    sizes = {"small": (64 if quick else 512) * MiB, "big": (256 if quick else 2048) * MiB}
    t_start = time.monotonic()
    exe = compile_bench(build, "bench_file")
    machine = machine_info()
    versions = data_meta()
    cases = [c for c in ARRAY_CASES if not only or c[0] in only]
    cold = not args.no_cold and drop_caches()
    cold_note = ("dropped before each cold process (`sync; echo 3 > /proc/sys/vm/drop_caches`)"
                 if cold else "not dropped: " + ("--no-cold given" if args.no_cold else
                                                 "/proc/sys/vm/drop_caches is not writable") +
                 "; warm page cache only")
    print(f"[arrays] page cache: {cold_note}", flush=True)

    warm_file = os.path.join(datadir, "array_warmup.pkl")
    ensure_array_file(warm_file, 64 * 1024, versions)
    files = {}
    for key in sorted({c[2] for c in cases}):
        files[key] = os.path.join(datadir, f"array_f8_{sizes[key] // MiB}MiB.pkl")
        ensure_array_file(files[key], sizes[key], versions)

    results = []
    for name, mmap, key, what in cases:
        path = files[key]
        nbytes = sizes[key]
        n = nbytes // 8
        expect_sum = 0.0 + float(n // 2) + float(n - 1)
        fsize = os.path.getsize(path)
        reps = mmap_repeat if mmap else repeat
        per_round = split_rounds(reps, rounds)
        print(f"[{name}] {human_size(nbytes)} float64 array, file {human_size(fsize)}: {what}",
              flush=True)
        for state in (["warm", "cold"] if cold else ["warm"]):
            c_t, py_t, c_cpu, py_cpu, fl_t, fl_cpu = [], [], [], [], [], []
            c_rss = c_base = py_rss = py_base = 0
            sides = ["c", "py"] if mmap else ["c", "py", "floor"]
            c = p = {}
            if state == "warm":
                page_cache_warm(path)
                print(f"    warm: {len(per_round)} round(s) x {per_round} loads per side, "
                      f"one untimed warm-up load per process", flush=True)
            else:
                print(f"    cold: {rounds} round(s) x 1 load per side, page cache dropped "
                      f"before each process", flush=True)
            for r in range(rounds if state == "cold" else len(per_round)):
                for side in rotation(sides, r):
                    if state == "warm":
                        k, wu, wf = per_round[r], 1, None
                    else:
                        drop_caches()
                        k, wu, wf = 1, 0, warm_file
                    if side == "floor":
                        f = run_read_only(exe, path, k, warmup=wu)
                        fl_t += [float(x) for x in f["load_samples_s"].split(",")]
                        fl_cpu += [float(x) for x in f["load_cpu_samples_s"].split(",")]
                    elif side == "c":
                        c = run_c_file(exe, path, k, mmap=mmap, warmup=wu, warm_file=wf)
                        c_t += [float(x) for x in c["load_samples_s"].split(",")]
                        c_cpu += [float(x) for x in c["load_cpu_samples_s"].split(",")]
                        c_rss = max(c_rss, int(c["peak_rss_kib"]))
                        c_base = max(c_base, int(c["baseline_rss_kib"]))
                        if float(c["checksum"]) != expect_sum or c["storage"] != (
                                "mmap" if mmap else "arena"):
                            sys.exit(f"run.py: {name}: bench_file checksum {c['checksum']} "
                                     f"storage {c['storage']}, expected {expect_sum}")
                    else:
                        p = run_py_file(path, k, mmap=mmap, warmup=wu, warm_file=wf)
                        py_t += p["times"]
                        py_cpu += p["cpu_times"]
                        py_rss = max(py_rss, p["peak_rss_kib"])
                        py_base = max(py_base, p["baseline_rss_kib"])
                        if p["checksum"] != expect_sum:
                            sys.exit(f"run.py: {name}: joblib checksum {p['checksum']}, "
                                     f"expected {expect_sum}")
            res = {"name": name, "state": state, "mmap": mmap, "nbytes": nbytes,
                   "fsize": fsize, "n_c": len(c_t), "n_py": len(py_t),
                   "c_best": min(c_t), "c_med": statistics.median(c_t),
                   "py_best": min(py_t), "py_med": statistics.median(py_t),
                   "c_cpu_med": statistics.median(c_cpu), "py_cpu_med": statistics.median(py_cpu),
                   "floor_best": min(fl_t) if fl_t else None,
                   "floor_med": statistics.median(fl_t) if fl_t else None,
                   "floor_cpu_med": statistics.median(fl_cpu) if fl_cpu else None,
                   "c_rss": c_rss, "c_base": c_base, "py_rss": py_rss, "py_base": py_base,
                   "c_free_med": float(c["free_median_s"]), "generation": c["generation"],
                   "storage": c["storage"], "aligned": c["aligned"],
                   "doc_alloc": int(c["doc_alloc_bytes"]), "py_type": p["root_type"],
                   "joblib": p["joblib"], "numpy": p["numpy"],
                   "libjlpickle": c["library_version"]}
            res["ratio_best"] = res["py_best"] / res["c_best"]
            res["ratio_med"] = res["py_med"] / res["c_med"]
            res["ratio_cpu"] = res["py_cpu_med"] / res["c_cpu_med"]
            results.append(res)
            print(f"    {state}: joblib best {fmt_time(res['py_best'])} median "
                  f"{fmt_time(res['py_med'])} | C best {fmt_time(res['c_best'])} median "
                  f"{fmt_time(res['c_med'])} | joblib/C {res['ratio_best']:.2f}x (best) "
                  f"{res['ratio_med']:.2f}x (median), CPU {res['ratio_cpu']:.2f}x | peak RSS C {mib(c_rss)} MiB, "
                  f"joblib {mib(py_rss)} MiB" + (
                      f" | read() floor {fmt_time(res['floor_med'])}, joblib/floor "
                      f"{res['py_med'] / res['floor_med']:.2f}x" if fl_t else ""), flush=True)

    machine["loadavg_end"] = loadavg()
    elapsed = time.monotonic() - t_start
    print()
    print_rows(ARRAY_COLS, array_rows(results))
    print("joblib/C = joblib time / C time (above 1: C is faster). peak = VmHWM of the "
          "process; (+N) = peak minus VmHWM before the first load.")
    md = os.path.join(args.results, "arrays.md")
    png = os.path.join(args.results, "arrays.png")
    targets = array_targets(results)
    write_arrays_md(md, results, machine, targets, cold_note, repeat, rounds, mmap_repeat,
                    elapsed, os.path.basename(png), quick)
    plot_arrays(png, results, machine)
    print()
    for t in targets:
        print(f"target: {t}")

    if args.profile:
        for name, mmap, key, _ in cases:
            argv = [exe] + (["--mmap"] if mmap else []) + [files[key],
                                                          str(50 if mmap else 3)]
            tool, rows = profile(argv, os.path.join(datadir, f"{name}.prof"))
            print(f"\n[profile {name}] {tool}")
            for row in rows:
                print("   " + row.strip())

    if not args.keep_data:
        for path in files.values():
            if os.path.getsize(path) >= GiB:
                print(f"removing {os.path.relpath(path, ROOT)} (--keep-data keeps it)")
                remove_data(path)
    return [md, png]


ARRAY_COLS = ["case", "cache", "C best", "C med", "joblib best", "joblib med",
              "joblib/C best", "joblib/C med", "C peak MiB", "joblib peak MiB", "C CPU med",
              "joblib CPU med", "joblib/C CPU", "read() floor med", "joblib/floor"]


def array_rows(results):
    rows = []
    for r in results:
        rows.append([f"{r['name']} ({human_size(r['nbytes'])})", r["state"],
                     fmt_time(r["c_best"]), fmt_time(r["c_med"]),
                     fmt_time(r["py_best"]), fmt_time(r["py_med"]),
                     f"{r['ratio_best']:.2f}x", f"{r['ratio_med']:.2f}x",
                     f"{mib(r['c_rss'])} (+{mib(r['c_rss'] - r['c_base'])})",
                     f"{mib(r['py_rss'])} (+{mib(r['py_rss'] - r['py_base'])})",
                     fmt_time(r["c_cpu_med"]), fmt_time(r["py_cpu_med"]),
                     f"{r['ratio_cpu']:.2f}x",
                     fmt_time(r["floor_med"]) if r["floor_med"] else "-",
                     f"{r['py_med'] / r['floor_med']:.2f}x" if r["floor_med"] else "-"])
    return rows


def array_targets(results):
    """One line per target of the arrays suite, with MET / MISSED."""
    out = []
    for r in results:
        if not r["mmap"]:
            ok = r["ratio_med"] >= 1.5
            out.append(f"copy load at least 1.5x faster than joblib.load ({r['state']} cache): "
                       f"{r['ratio_med']:.2f}x median, {r['ratio_best']:.2f}x best, "
                       f"{r['ratio_cpu']:.2f}x CPU time: {'MET' if ok else 'MISSED'}" +
                       (f" (a single read() into one buffer, the floor of a copying load, "
                        f"is {r['py_med'] / r['floor_med']:.2f}x faster than joblib)"
                        if r["floor_med"] else ""))
        else:
            ok = r["c_med"] < 100e-6
            out.append(f"mmap load under 100 µs ({human_size(r['nbytes'])}, {r['state']} "
                       f"cache): median {fmt_time(r['c_med'])}, best {fmt_time(r['c_best'])}: "
                       f"{'MET' if ok else 'MISSED'}")
    by = {(r["name"], r["state"]): r for r in results}
    for state in ("warm", "cold"):
        a, b = by.get(("mmap", state)), by.get(("mmap-big", state))
        if a and b:
            out.append(f"mmap load time vs size ({state}): {human_size(b['nbytes'])} / "
                       f"{human_size(a['nbytes'])} = {b['c_med'] / a['c_med']:.2f}x for C, "
                       f"{b['py_med'] / a['py_med']:.2f}x for joblib (median; 1.00 = "
                       f"independent of size)")
    return out


def write_arrays_md(path, results, machine, targets, cold_note, repeat, rounds, mmap_repeat,
                    elapsed, png_name, quick):
    r0 = results[0]
    L = ["# Array load benchmark: libjlpickle vs joblib.load", "",
         "Generated by `make bench` (`bench/run.py --suite arrays`); see `bench/README.md`. "
         "Numbers from one run on a shared machine: compare the **ratios** (both sides "
         "measured in alternating rounds), not the absolute times.", ""]
    L += machine_rows(machine, [
        ("joblib / numpy", f"{r0['joblib']} / {r0['numpy']} (the joblib side: "
                           "`joblib.load(path)` and `joblib.load(path, mmap_mode='r')`)"),
        ("libjlpickle", f"{r0['libjlpickle']}, `jlp_load_path()`, default options (+ "
                        f"`mmap = 1`); bench_file built with `{machine['cc']}` -O2"),
        ("files", "`joblib.dump(np.arange(n, dtype=float64), path)`, uncompressed, joblib "
                  f"generation {r0['generation']} (16-byte aligned payload)" +
         (" -- **--quick: small arrays**" if quick else "")),
        ("page cache", cold_note),
        ("repeats", f"warm: {repeat} timed loads per side (mmap cases: {mmap_repeat}) in "
                    f"{rounds} alternating round(s), each process with one untimed warm-up "
                    f"load; cold: {rounds} round(s) of one load per side in a fresh process "
                    f"(after one load of a 64 KiB file to warm the code, not the data); "
                    f"whole suite {elapsed:.0f} s"),
    ])
    L += ["", "| case | cache | C best | C median | joblib best | joblib median | "
          "joblib/C (best) | joblib/C (median) | C peak RSS MiB (load) | "
          "joblib peak RSS MiB (load) | C CPU median | joblib CPU median | joblib/C (CPU) | "
          "read() floor median | joblib/floor | C jlp_doc_free median |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r, row in zip(results, array_rows(results)):
        what = "copy" if not r["mmap"] else "mmap"
        L.append(f"| {r['name']}: {what}, {human_size(r['nbytes'])} array | " +
                 " | ".join(row[1:]) + f" | {fmt_time(r['c_free_med'])} |")
    L += ["", "Targets:", ""] + [f"- {t}" for t in targets]
    L += ["",
          "- A load is timed from the call to the end of a touch of the data: elements 0, "
          "n/2 and n-1 are read and added on both sides (C: `jlp_load_path()` + "
          "`jlp_array_get()`; Python: `joblib.load()` + `a.item(i)`), so a mapped load pays "
          "for faulting those pages in and nothing can be skipped lazily. Freeing the result "
          "(`jlp_doc_free()`, `del a`) is outside the timer.",
          "- joblib/C = joblib time / C time: above 1 the C load is faster. CPU = user + "
          "system time of the loading process around the load (C: `CLOCK_PROCESS_CPUTIME_ID`, "
          "Python: `time.process_time()`); it leaves out waiting for a CPU on the busy shared "
          "machine (but not the kernel's page-fault work, which is system time).",
          "- Peak RSS is VmHWM of the process doing the loads (one side per process; mapped "
          "file pages count once touched); (load) is the peak minus VmHWM before the first "
          "load of the big file.",
          "- read() floor (copy case only): `bench_file --read-only`, no pickle parsing at all: "
          "one `read()` of the whole file into one fresh buffer allocated like the library's "
          "big blocks (2 MiB aligned, `MADV_HUGEPAGE`) + the same touch, in its own process in "
          "the same rotation. It is the fastest an in-memory load that copies the file once "
          "can be here; joblib/floor says how much room the 1.5x target has.",
          "- cold: `sync; echo 3 > /proc/sys/vm/drop_caches` before each process, one timed "
          "load per process, so the time includes reading the file from disk (for mmap: the "
          "pickle header and the touched pages only).",
          "", f"![array load times]({png_name})", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))


def plot_arrays(path, results, machine):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    copy = [r for r in results if not r["mmap"]]
    mapped = [r for r in results if r["mmap"]]
    fig, axes = plt.subplots(1, 2, figsize=(13, 6), dpi=110,
                             gridspec_kw={"width_ratios": [max(1, len(copy)),
                                                           max(1, len(mapped))]})
    w = 0.38
    for ax, rs, unit, scale, title in (
            (axes[0], copy, "ms", 1e3, "in-memory load (data copied)"),
            (axes[1], mapped, "µs", 1e6, "memory-mapped load (log scale)")):
        if not rs:
            ax.set_visible(False)
            continue
        x = list(range(len(rs)))
        py = [r["py_med"] * scale for r in rs]
        cc = [r["c_med"] * scale for r in rs]
        b1 = ax.bar([i - w / 2 for i in x], py, w, label="joblib.load", color="#4C72B0")
        b2 = ax.bar([i + w / 2 for i in x], cc, w, label="libjlpickle jlp_load_path",
                    color="#DD8452")
        if unit == "ms" and all(r["floor_med"] for r in rs):
            ax.scatter([i + w / 2 for i in x], [r["floor_med"] * scale for r in rs],
                       marker="D", s=30, color="#55A868", zorder=4,
                       label="read() floor: 1 read() into 1 buffer (median)")
        ax.scatter([i - w / 2 for i in x], [r["py_best"] * scale for r in rs], marker="_",
                   s=300, color="black", zorder=3, label="best of run")
        ax.scatter([i + w / 2 for i in x], [r["c_best"] * scale for r in rs], marker="_",
                   s=300, color="black", zorder=3)
        for bars in (b1, b2):
            ax.bar_label(bars, fmt="%.0f" if unit == "µs" else "%.1f", padding=2, fontsize=8)
        if unit == "µs":
            ax.set_yscale("log")
            ax.axhline(100, color="#b22222", ls="--", lw=1, label="target: C < 100 µs")
            top = max(py + cc) * 6
            ax.set_ylim(min(py + cc) / 3, top)
            for i, r in enumerate(rs):
                ax.text(i, max(py[i], cc[i]) * 2.2, f"joblib/C {r['ratio_med']:.1f}x",
                        ha="center", fontsize=9, fontweight="bold",
                        color="#2a7a2a" if r["c_med"] < 100e-6 else "#b22222")
        else:
            top = max(py + cc)
            ax.set_ylim(0, top * 1.25)
            for i, r in enumerate(rs):
                ax.text(i, max(py[i], cc[i]) + top * 0.08, f"joblib/C {r['ratio_med']:.2f}x",
                        ha="center", fontsize=9, fontweight="bold",
                        color="#2a7a2a" if r["ratio_med"] >= 1.5 else "#b22222")
        ax.set_xticks(x)
        ax.set_xticklabels([f"{human_size(r['nbytes'])}, {r['state']}\npeak RSS MiB\n"
                            f"C {r['c_rss'] / 1024:.0f} / joblib {r['py_rss'] / 1024:.0f}"
                            for r in rs], fontsize=8)
        ax.set_ylabel(f"{unit} per load + touch (bar: median, tick: best)")
        ax.set_title(title, fontsize=10)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8,
                  framealpha=0.95)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"float64 array written by joblib.dump: load time, lower is better "
                 f"(joblib/C = joblib time / C time, median; copy target >= 1.5x)\n"
                 f"{machine['nproc']} CPU {machine['cpu']}, Python "
                 f"{machine['python'].split()[0]}, joblib {results[0]['joblib']}, "
                 f"libjlpickle {results[0]['libjlpickle']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ===== suite: codecs =====================================================================

CODECS = [
    # name, joblib compress= (None: written by the zstd tool), extension, default level,
    # the codec's own decompressor (argv without the file; None: Python's zlib child)
    ("zlib", "zlib", ".z", 3, None),
    ("gzip", "gzip", ".gz", 3, ["gzip", "-dc"]),
    ("bz2", "bz2", ".bz2", 9, ["bzip2", "-dc"]),
    ("lzma", "lzma", ".lzma", 6, ["xz", "--format=lzma", "-dc"]),
    ("xz", "xz", ".xz", 6, ["xz", "-T1", "-dc"]),
    ("lz4", "lz4", ".lz4", 0, ["lz4", "-dc"]),
    ("zstd", None, ".zst", 3, ["zstd", "-q", "-dc"]),
]
TOOL_VERSION = {
    "gzip": ["gzip", "--version"], "bzip2": ["bzip2", "--help"], "xz": ["xz", "--version"],
    "lz4": ["lz4", "--version"], "zstd": ["zstd", "--version"],
}


def tool_label(codec):
    name, _, _, _, tool = codec
    if tool is None:
        return "python3 zlib.decompressobj (streaming, timed inside the process)"
    return " ".join(tool)


def tool_version(tool):
    if tool is None:
        import zlib
        return f"Python zlib module, zlib {zlib.ZLIB_RUNTIME_VERSION}"
    out = subprocess.run(TOOL_VERSION[tool[0]], capture_output=True, text=True)
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0].strip("* ") if text else "?"


def run_tool(codec, path):
    """Decompress `path` with the codec's own tool to /dev/null.
    @return (wall seconds, CPU seconds: user + system of the tool process)."""
    tool = codec[4]
    if tool is None:
        out = json.loads(subprocess.run([sys.executable, "-c", PY_ZLIB_TOOL, path],
                                        capture_output=True, text=True, check=True).stdout)
        return out["time"], out["cpu"]
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(tool + [path], stdout=subprocess.DEVNULL, check=True)
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t1 - t0, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def check_tool(codec, path, raw):
    """The tool must decode the file to exactly the uncompressed dump (also warms the
    page cache and the tool's binary)."""
    tool = codec[4]
    if tool is None:
        out = json.loads(subprocess.run([sys.executable, "-c", PY_ZLIB_TOOL, path],
                                        capture_output=True, text=True, check=True).stdout)
        if out["decoded"] != os.path.getsize(raw):
            sys.exit(f"run.py: zlib tool decoded {out['decoded']} bytes of {path}")
        return
    p1 = subprocess.Popen(tool + [path], stdout=subprocess.PIPE)
    r = subprocess.run(["cmp", "-s", "-", raw], stdin=p1.stdout)
    p1.stdout.close()
    if p1.wait() != 0 or r.returncode != 0:
        sys.exit(f"run.py: {' '.join(tool)} {path} does not decode to {raw}")


def ensure_table(datadir, rows, codecs, versions):
    """Write the raw dump and each compressed one (cached). @return {name: path}."""
    stem = f"table20_r{rows}"
    raw = os.path.join(datadir, stem + ".pkl")
    base = {"kind": "table20", "rows": rows, "seed": 0, "versions": versions}
    paths = {"raw": raw}
    todo = [] if cached(raw, dict(base, codec="raw")) else ["raw"]
    for c in codecs:
        p = raw + c[2]
        paths[c[0]] = p
        if c[1] and not cached(p, dict(base, codec=c[0])):
            todo.append(c[0])
    if todo:
        print(f"    writing {stem}.pkl{{{','.join(todo)}}} with joblib.dump "
              f"(the slow compressors take minutes; cached for later runs)", flush=True)
        t = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", PY_GEN_TABLE, datadir, stem, str(rows), "0",
                               ",".join(todo)], check=True, capture_output=True, text=True)
        for name in todo:
            mark_cached(paths[name], dict(base, codec=name))
        print(f"    ... {time.monotonic() - t:.0f} s: " + proc.stdout.replace("\n", "; "),
              flush=True)
    for c in codecs:
        if c[1] is None:  # zstd: the tool, default level, from the raw dump
            p = paths[c[0]]
            meta = dict(base, codec=c[0], tool=tool_version(["zstd"]))
            if not cached(p, meta):
                subprocess.run(["zstd", "-q", "-f", raw, "-o", p], check=True)
                mark_cached(p, meta)
    return paths


def suite_codecs(args, build, datadir, only):
    quick = args.quick
    repeat = args.repeat or (1 if quick else 5)
    rounds = args.rounds or (1 if quick else 5)
    rounds = max(1, min(rounds, repeat))
    rows = args.table_rows or (100_000 if quick else 1_875_000)
    t_start = time.monotonic()
    exe = compile_bench(build, "bench_file")
    machine = machine_info()
    versions = data_meta()
    codecs = [c for c in CODECS if not only or c[0] in only]
    paths = ensure_table(datadir, rows, codecs, versions)
    raw = paths["raw"]
    decoded = os.path.getsize(raw)
    per_round = split_rounds(repeat, rounds)
    column_bytes = rows * 8
    print(f"[codecs] table: dict of 20 columns x {rows} rows (int64 0..9 and float64 rounded "
          f"to 0.1), uncompressed dump {human_size(decoded)}; {len(per_round)} round(s) x "
          f"{per_round} loads per side, warm page cache", flush=True)

    results = []
    for codec in codecs:
        name, jname, ext, level, tool = codec
        path = paths[name]
        csize = os.path.getsize(path)
        check_tool(codec, path, raw)
        sides = ["c", "tool"] + (["py"] if jname else []) + ["touch"]
        print(f"[{name}] {human_size(csize)} ({decoded / csize:.1f}:1), tool: "
              f"{tool_label(codec)}", flush=True)
        c_t, py_t, tool_t, touch_t = [], [], [], []
        c_cpu, py_cpu, tool_cpu, touch_cpu = [], [], [], []
        c_rss = c_base = py_rss = py_base = 0
        c = p = {}
        for r, k in enumerate(per_round):
            for side in rotation(sides, r):
                if side == "c":
                    c = run_c_file(exe, path, k, warmup=0)
                    c_t += [float(x) for x in c["load_samples_s"].split(",")]
                    c_cpu += [float(x) for x in c["load_cpu_samples_s"].split(",")]
                    c_rss = max(c_rss, int(c["peak_rss_kib"]))
                    c_base = max(c_base, int(c["baseline_rss_kib"]))
                    if c["container"] != name or int(c["decoded_bytes"]) != decoded:
                        sys.exit(f"run.py: {name}: bench_file saw container {c['container']}, "
                                 f"{c['decoded_bytes']} decoded bytes (expected {decoded})")
                elif side == "py":
                    p = run_py_file(path, k, warmup=0)
                    py_t += p["times"]
                    py_cpu += p["cpu_times"]
                    py_rss = max(py_rss, p["peak_rss_kib"])
                    py_base = max(py_base, p["baseline_rss_kib"])
                elif side == "touch":
                    t = run_alloc_touch(exe, decoded, column_bytes, k)
                    touch_t += [float(x) for x in t["load_samples_s"].split(",")]
                    touch_cpu += [float(x) for x in t["load_cpu_samples_s"].split(",")]
                else:
                    for _ in range(k):
                        w, u = run_tool(codec, path)
                        tool_t.append(w)
                        tool_cpu.append(u)
        if p and float(c["checksum"]) != p["checksum"]:
            sys.exit(f"run.py: {name}: checksums differ: C {c['checksum']}, joblib "
                     f"{p['checksum']}")
        res = {"name": name, "level": level, "csize": csize, "decoded": decoded,
               "tool": tool_label(codec), "tool_version": tool_version(tool),
               "c_best": min(c_t), "c_med": statistics.median(c_t),
               "tool_best": min(tool_t), "tool_med": statistics.median(tool_t),
               "py_best": min(py_t) if py_t else None,
               "py_med": statistics.median(py_t) if py_t else None,
               "c_cpu_med": statistics.median(c_cpu), "tool_cpu_med": statistics.median(tool_cpu),
               "py_cpu_med": statistics.median(py_cpu) if py_cpu else None,
               "touch_med": statistics.median(touch_t), "touch_best": min(touch_t),
               "touch_cpu_med": statistics.median(touch_cpu),
               "c_rss": c_rss, "c_base": c_base, "py_rss": py_rss, "py_base": py_base,
               "doc_alloc": int(c["doc_alloc_bytes"]), "c_free_med": float(c["free_median_s"]),
               "n": len(c_t), "joblib": p.get("joblib"), "numpy": p.get("numpy"),
               "libjlpickle": c["library_version"], "arrays": int(c["arrays"])}
        res["c_over_tool_best"] = res["c_best"] / res["tool_best"]
        res["c_over_tool_med"] = res["c_med"] / res["tool_med"]
        res["c_over_py_best"] = res["c_best"] / res["py_best"] if py_t else None
        res["c_over_py_med"] = res["c_med"] / res["py_med"] if py_t else None
        res["c_over_tool_cpu"] = res["c_cpu_med"] / res["tool_cpu_med"]
        res["c_over_py_cpu"] = res["c_cpu_med"] / res["py_cpu_med"] if py_cpu else None
        results.append(res)
        print(f"    C {fmt_time(res['c_best'])} / {fmt_time(res['c_med'])} | joblib " +
              (f"{fmt_time(res['py_best'])} / {fmt_time(res['py_med'])}" if py_t else "n/a") +
              f" | tool {fmt_time(res['tool_best'])} / {fmt_time(res['tool_med'])}"
              f" (best / median) | C/tool {res['c_over_tool_med']:.2f}x" +
              (f" C/joblib {res['c_over_py_med']:.2f}x" if py_t else "") +
              f" | CPU C/tool {res['c_over_tool_cpu']:.2f}x | alloc+touch "
              f"{fmt_time(res['touch_med'])} | C peak {mib(c_rss)} MiB for "
              f"{human_size(decoded)} decoded", flush=True)

    machine["loadavg_end"] = loadavg()
    elapsed = time.monotonic() - t_start
    print()
    print_rows(CODEC_COLS, codec_rows(results))
    print("C/tool, C/joblib: C time / other time (median; below 1: C is faster). "
          "C peak - decoded: VmHWM minus the decoded size (target <= 64 MiB).")
    targets = codec_targets(results)
    print()
    for t in targets:
        print(f"target: {t}")

    profiles = []
    if args.profile:
        for codec in codecs:
            tool, prow = profile([exe, "--warmup", "0", paths[codec[0]], "1"],
                                 os.path.join(datadir, f"{codec[0]}.prof"), top=12)
            profiles.append((codec[0], tool, prow))
            print(f"\n[profile {codec[0]}] {tool}")
            for row in prow:
                print("   " + row.strip())

    md = os.path.join(args.results, "codecs.md")
    png = os.path.join(args.results, "codecs.png")
    write_codecs_md(md, results, machine, targets, rows, repeat, per_round, elapsed,
                    os.path.basename(png), quick, profiles)
    plot_codecs(png, results, machine, rows)
    return [md, png]


CODEC_COLS = ["codec", "level", "file", "C med", "joblib med", "tool med", "touch med",
              "C/joblib", "C/tool", "CPU C/tool", "(C-touch)/tool", "C peak MiB",
              "peak-decoded MiB"]


def ratio_s(x):
    return "n/a" if x is None else f"{x:.2f}x"


def codec_rows(results):
    rows = []
    for r in results:
        rows.append([r["name"], str(r["level"]),
                     f"{human_size(r['csize'])} ({r['decoded'] / r['csize']:.0f}:1)",
                     fmt_time(r["c_med"]),
                     fmt_time(r["py_med"]) if r["py_med"] else "n/a",
                     fmt_time(r["tool_med"]), fmt_time(r["touch_med"]),
                     ratio_s(r["c_over_py_med"]), ratio_s(r["c_over_tool_med"]),
                     ratio_s(r["c_over_tool_cpu"]),
                     ratio_s((r["c_med"] - r["touch_med"]) / r["tool_med"]),
                     mib(r["c_rss"]), f"{(r['c_rss'] * 1024 - r['decoded']) / MiB:+.1f}"])
    return rows


def codec_targets(results):
    out = []
    for r in results:
        ok_t = r["c_over_tool_med"] <= 1.1
        slack = r["c_rss"] * 1024 - r["decoded"]
        ok_m = slack <= 64 * MiB
        out.append(f"{r['name']}: C/tool {r['c_over_tool_med']:.2f}x median "
                   f"({r['c_over_tool_best']:.2f}x best, CPU time {r['c_over_tool_cpu']:.2f}x), "
                   f"target <= 1.10x: {'MET' if ok_t else 'MISSED'}; C peak {mib(r['c_rss'])} "
                   f"MiB = decoded {slack / MiB:+.1f} MiB, target <= +64 MiB: "
                   f"{'MET' if ok_m else 'MISSED'}")
    return out


def write_codecs_md(path, results, machine, targets, rows, repeat, per_round, elapsed,
                    png_name, quick, profiles):
    r0 = results[0]
    decoded = r0["decoded"]
    L = ["# Compressed load benchmark: libjlpickle vs joblib.load vs the codec's own tool", "",
         "Generated by `make bench` (`bench/run.py --suite codecs`); see `bench/README.md`. "
         "Numbers from one run on a shared machine: compare the **ratios** (all sides "
         "measured in rotating rounds), not the absolute times.", ""]
    L += machine_rows(machine, [
        ("joblib / numpy", f"{r0['joblib']} / {r0['numpy']}"),
        ("libjlpickle", f"{r0['libjlpickle']}, `jlp_load_path()` with default options (the "
                        "library's streaming decoder layer); bench_file built with "
                        f"`{machine['cc']}` -O2"),
        ("data", f"`joblib.dump(table, path, compress=NAME)` (each compressor at its default "
                 f"level); `table` = dict of 20 numpy columns x {rows:,} rows: 10 int64 "
                 f"`rng.integers(0, 10, n)` and 10 float64 `np.round(rng.random(n), 1)`; "
                 f"uncompressed dump {decoded:,} bytes ({human_size(decoded)}); zstd: the "
                 f"uncompressed dump compressed by `zstd` at its default level (3)" +
         (" -- **--quick: small table**" if quick else "")),
        ("tools", "; ".join(sorted({f"`{r['tool']}`: {r['tool_version']}" for r in results}))),
        ("page cache", "warm: every file is read once (by the tool check) before the timed "
                       "runs; nothing is dropped"),
        ("repeats", f"{repeat} timed loads per side and codec in {len(per_round)} rotating "
                    f"round(s) of {per_round}; every C and joblib load in a fresh process, "
                    f"without warm-up load; whole suite {elapsed:.0f} s"),
    ])
    na = "n/a"
    L += ["", "### Times per load (wall clock; CPU = user + system time of the process)", "",
          "| codec (level) | file (ratio) | C best | C median | C CPU median | joblib best | "
          "joblib median | joblib CPU median | tool best | tool median | tool CPU median | "
          "alloc+touch median |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        L.append(f"| {r['name']} ({r['level']}) | {human_size(r['csize'])} "
                 f"({r['decoded'] / r['csize']:.0f}:1) | {fmt_time(r['c_best'])} | "
                 f"{fmt_time(r['c_med'])} | {fmt_time(r['c_cpu_med'])} | "
                 f"{fmt_time(r['py_best']) if r['py_best'] else na} | "
                 f"{fmt_time(r['py_med']) if r['py_med'] else na} | "
                 f"{fmt_time(r['py_cpu_med']) if r['py_cpu_med'] else na} | "
                 f"{fmt_time(r['tool_best'])} | {fmt_time(r['tool_med'])} | "
                 f"{fmt_time(r['tool_cpu_med'])} | {fmt_time(r['touch_med'])} |")
    L += ["", "### Ratios and memory", "",
          "| codec | C/joblib (median) | C/joblib CPU | C/tool (median) | C/tool (best) | "
          "C/tool CPU | (C - alloc+touch)/tool | C peak RSS MiB | C peak - decoded MiB | "
          "joblib peak RSS MiB |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        L.append(f"| {r['name']} | {ratio_s(r['c_over_py_med'])} | {ratio_s(r['c_over_py_cpu'])} | "
                 f"{ratio_s(r['c_over_tool_med'])} | {ratio_s(r['c_over_tool_best'])} | "
                 f"{ratio_s(r['c_over_tool_cpu'])} | "
                 f"{ratio_s((r['c_med'] - r['touch_med']) / r['tool_med'])} | "
                 f"{mib(r['c_rss'])} | {(r['c_rss'] * 1024 - r['decoded']) / MiB:+.1f} | "
                 f"{mib(r['py_rss']) if r['py_med'] else na} |")
    L += ["", "Targets (C/tool <= 1.10x; C peak RSS <= decoded size + 64 MiB):", ""]
    L += [f"- {t}" for t in targets]
    L += ["",
          "- C/joblib and C/tool = C time / other time: **below 1 the C load is faster**.",
          "- C: `jlp_load_path(path, NULL opts)` plus a touch of elements 0, n/2 and n-1 of "
          "every column (the same touch on the joblib side); `jlp_doc_free()` is outside the "
          "timer. joblib: `joblib.load(path)` + the touch. Tool: wall time of the command "
          "writing to /dev/null, process start included (about 1 ms), except the zlib row, "
          "whose \"tool\" is Python's zlib module streaming to /dev/null timed inside the "
          "process (no pigz on the machine). joblib 1.2 cannot read zstd: n/a.",
          "- alloc+touch: `bench_file --alloc-touch`, no decoding at all: allocate the decoded "
          "size in column-sized blocks the way the library's default allocator does (2 MiB "
          "aligned, `MADV_HUGEPAGE`) and write every byte once, in a fresh process in the same "
          "rotation. It is the price of materialising the decoded data in fresh memory (page "
          "faults, the kernel zeroing pages, on a VM the hypervisor backing them), which the C "
          "load and joblib pay and a tool writing to /dev/null from a small reused buffer does "
          "not. (C - alloc+touch)/tool is therefore an estimate of the decoding overhead alone.",
          "- CPU: user + system time of the process (C: `CLOCK_PROCESS_CPUTIME_ID` around the "
          "load; joblib: `time.process_time()`; tool: `getrusage(RUSAGE_CHILDREN)` of the tool "
          "process). It leaves out waiting for a CPU, which dominates the wall-clock spread "
          "when the shared machine is busy.",
          "- Peak RSS is VmHWM of the process doing the load (C: `bench_file`, joblib: a "
          "Python child, which includes the interpreter and numpy, about 30 MiB).",
          f"- Decoded size = the uncompressed dump, {decoded:,} bytes; C doc alloc "
          f"(`jlp_doc_alloc_bytes()`): {r0['doc_alloc'] / MiB:.1f} MiB.", ""]
    if profiles:
        L += ["## Where the C time goes", "",
              "`perf record` of one `bench_file` load per codec, top symbols by self time "
              "(whole process):", ""]
        for name, tool, prow in profiles:
            L += [f"**{name}** ({tool})", "", "```"] + prow + ["```", ""]
    L += [f"![compressed load times]({png_name})", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))


def plot_codecs(path, results, machine, rows):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(11, 8.5), dpi=110,
                                  gridspec_kw={"height_ratios": [3, 2]})
    x = list(range(len(results)))
    w = 0.21
    series = [("joblib.load", "py", "#4C72B0", -1.5 * w),
              ("libjlpickle jlp_load_path", "c", "#DD8452", -0.5 * w),
              ("codec tool -> /dev/null", "tool", "#55A868", 0.5 * w),
              ("alloc+touch of the decoded size (no decoding)", "touch", "#999999", 1.5 * w)]
    for label, key, color, dx in series:
        xs = [i + dx for i, r in enumerate(results) if r[f"{key}_med"]]
        ys = [r[f"{key}_med"] for r in results if r[f"{key}_med"]]
        bars = ax.bar(xs, ys, w, label=label, color=color)
        ax.bar_label(bars, labels=[fmt_time(y) for y in ys], padding=2, fontsize=7,
                     rotation=90)
        ax.scatter(xs, [r[f"{key}_best"] for r in results if r[f"{key}_med"]], marker="_",
                   s=150, color="black", zorder=3)
    ax.set_yscale("log")
    lo = min(min(r["c_med"], r["tool_med"], r["touch_med"]) for r in results)
    hi = max(max(r["c_med"], r["tool_med"], r["py_med"] or 0) for r in results)
    ax.set_ylim(lo / 2, hi * 8)
    for i, r in enumerate(results):
        top = max(r["c_med"], r["tool_med"], r["py_med"] or 0)
        ax.text(i, top * 3.2, f"C/tool {r['c_over_tool_med']:.2f}x" +
                (f"\nC/joblib {r['c_over_py_med']:.2f}x" if r["c_over_py_med"] else ""),
                ha="center", fontsize=8, fontweight="bold",
                color="#2a7a2a" if r["c_over_tool_med"] <= 1.1 else "#b22222")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{r['name']} ({r['level']})\n{human_size(r['csize'])}"
                        for r in results], fontsize=8)
    ax.set_ylabel("seconds per load, log scale\n(bar: median, tick: best)")
    ax.legend(loc="upper right", fontsize=7, framealpha=0.95, ncol=2)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(f"Compressed joblib table ({human_size(results[0]['decoded'])} decoded, "
                 f"20 columns x {rows:,} rows): load time, lower is better\n"
                 f"C/tool = C time / tool time (green: <= 1.1x); "
                 f"{machine['nproc']} CPU {machine['cpu']}, libjlpickle "
                 f"{results[0]['libjlpickle']}, joblib {results[0]['joblib']}", fontsize=10)

    dec = results[0]["decoded"] / MiB
    c_pk = [r["c_rss"] / 1024 for r in results]
    w = 0.38
    py_x = [i - w / 2 for i, r in enumerate(results) if r["py_med"]]
    py_pk = [r["py_rss"] / 1024 for r in results if r["py_med"]]
    b1 = ax2.bar(py_x, py_pk, w, label="joblib.load peak RSS", color="#4C72B0")
    b2 = ax2.bar([i + w / 2 for i in x], c_pk, w, label="C peak RSS", color="#DD8452")
    for bars in (b1, b2):
        ax2.bar_label(bars, fmt="%.0f", padding=2, fontsize=7)
    ax2.axhline(dec, color="gray", ls=":", lw=1, label=f"decoded size {dec:.0f} MiB")
    ax2.axhline(dec + 64, color="#b22222", ls="--", lw=1,
                label="C target: decoded + 64 MiB")
    ax2.set_ylim(0, max(c_pk + py_pk + [dec + 64]) * 1.25)
    ax2.set_xticks(x)
    ax2.set_xticklabels([r["name"] for r in results], fontsize=8)
    ax2.set_ylabel("MiB (VmHWM)")
    ax2.legend(loc="upper left", fontsize=8, framealpha=0.95, ncol=2)
    ax2.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()
