#!/usr/bin/python3
"""Side-by-side load benchmark: libjlpickle's jlp_load_mem() against CPython's C unpickler.

    /usr/bin/python3 bench/run.py --build build [--repeat N] [--rounds R] [--quick]
                                   [--only NAME[,NAME...]] [--profile]

Steps:
  1. compile bench/bench_load.c against BUILD/libjlpickle.a into BUILD/bench_load;
  2. write the workloads with pickle.dumps(obj, protocol=4) (CPython's C pickler) into
     BUILD/bench-data/;
  3. for each workload, run R rounds; a round runs BUILD/bench_load and a fresh Python
     child (pickle.loads, gc enabled as in normal use) one after the other, alternating
     which goes first, so both sides see the same machine noise. Each side does one
     untimed warm-up load per round. The samples of all rounds are pooled: best and
     median per side, ratio = Python time / C time;
  4. print a table, write bench/results/load.md and bench/results/load.png.

Peak memory is the peak RSS (VmHWM of /proc/self/status; getrusage's ru_maxrss is not
usable here because Linux carries it over fork+exec from this big parent) of each process:
the C process holds the pickle bytes and one document at a time, the Python child holds
the interpreter, the pickle bytes and one loaded object at a time (the previous one is
released before the next load on both sides). "load" memory = peak - RSS measured after
reading the file and before the first load, which removes the interpreter/file baseline.

--profile additionally runs `perf record` (or valgrind callgrind when perf is missing) on
bench_load for each workload and prints the top functions by self time.
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

# ---- workloads --------------------------------------------------------------------------


def wl_ints():
    return list(range(10**6))


def wl_strs():
    return [f"s{i}" for i in range(10**6)]


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
    ("dict", "dict of 200,000 str -> float", wl_str_float_dict),
    ("records", "100,000 dicts {id, name, score, tags: [str, str]}", wl_records),
]

# ---- the Python side (runs in a child process) -----------------------------------------

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


def run_c(exe, path, repeat):
    out = subprocess.run([exe, path, str(repeat)], check=True, capture_output=True,
                         text=True).stdout
    res = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        res[k] = v
    return res


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


def compile_bench(build):
    exe = os.path.join(build, "bench_load")
    lib = os.path.join(build, "libjlpickle.a")
    if not os.path.exists(lib):
        sys.exit(f"run.py: {lib} not found; run `make` first")
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror",
           "-I" + os.path.join(ROOT, "libjlpickle"),
           os.path.join(HERE, "bench_load.c"), lib] + library_ldlibs() + ["-o", exe]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return exe


# ---- profiling --------------------------------------------------------------------------


def profile(exe, path, repeat, top=10):
    """Top functions by self time of bench_load on one file. The samples cover the whole
    process: file read, warm-up, loads and jlp_doc_free() (kernel time included when
    perf_event_paranoid allows it)."""
    tmp = path + ".prof"
    if shutil.which("perf"):
        rec = subprocess.run(["perf", "record", "-q", "-F", "2999", "-o", tmp, exe, path,
                              str(repeat)], capture_output=True, text=True)
        if rec.returncode == 0:
            def report(sort):
                out = sh(["perf", "report", "-i", tmp, "--stdio", "--no-children",
                          "--sort", sort, "--percent-limit", "0.5"])
                return [re.sub(r"(\s+-)+\s*$", "", ln).strip() for ln in out.splitlines()
                        if ln.strip() and not ln.startswith("#")]
            split = ", ".join(" ".join(r.split()[:2]) for r in report("dso")[:3])
            rows = report("dso,symbol")[:top]
            os.unlink(tmp)
            return f"perf, whole process ({split})", rows
    if shutil.which("valgrind"):
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}", exe,
                        path, "1"], capture_output=True, check=True)
        rep = sh(["callgrind_annotate", tmp])
        os.unlink(tmp)
        rows = [ln.strip() for ln in rep.splitlines()
                if re.match(r"\s*[\d,]+ \(\s*[\d.]+%\)\s+\S+:\S", ln)]
        return "callgrind, instructions, warm-up + 1 load (user space only)", rows[:top]
    return "no profiler found", []


# ---- main -------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build directory holding libjlpickle.a (default: build)")
    ap.add_argument("--repeat", type=int, default=30,
                    help="timed loads per side and workload, pooled over the rounds "
                         "(default 30)")
    ap.add_argument("--rounds", type=int, default=5,
                    help="alternating C/Python rounds per workload (default 5)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: --repeat 3 --rounds 1 unless given explicitly")
    ap.add_argument("--only", default="",
                    help="comma-separated workload names (" +
                         ",".join(w[0] for w in WORKLOADS) + ")")
    ap.add_argument("--no-gc-column", action="store_true",
                    help="skip the extra Python run with the cyclic GC disabled")
    ap.add_argument("--profile", action="store_true",
                    help="also profile bench_load on each workload (perf or callgrind)")
    ap.add_argument("--results", default=os.path.join(HERE, "results"),
                    help="output directory for load.md and load.png (default bench/results)")
    args = ap.parse_args()
    if args.quick:
        if "--repeat" not in " ".join(sys.argv):
            args.repeat = 3
        if "--rounds" not in " ".join(sys.argv):
            args.rounds = 1
    args.rounds = max(1, min(args.rounds, args.repeat))
    if args.repeat < 1:
        sys.exit("run.py: --repeat must be >= 1")

    build = os.path.abspath(args.build)
    t_start = time.monotonic()
    exe = compile_bench(build)
    datadir = os.path.join(build, "bench-data")
    os.makedirs(datadir, exist_ok=True)

    selected = [w for w in WORKLOADS if not args.only or w[0] in args.only.split(",")]
    if not selected:
        sys.exit("run.py: --only matched no workload")

    machine = {
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

    # Per-round split of the repeats: e.g. 12 over 3 rounds -> 4, 4, 4.
    per_round = [args.repeat // args.rounds + (1 if r < args.repeat % args.rounds else 0)
                 for r in range(args.rounds)]

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
        print(f"[{name}] {desc}: {human_size(size)}, {args.rounds} round(s) x "
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
            py_nogc_t = run_python(path, max(1, min(args.repeat, 10)), use_gc=False)["times"]

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
    os.makedirs(args.results, exist_ok=True)
    md = os.path.join(args.results, "load.md")
    png = os.path.join(args.results, "load.png")
    write_markdown(md, results, machine, args, per_round, elapsed, os.path.basename(png))
    plot(png, results, machine)
    print(f"\nwrote {os.path.relpath(md, ROOT)} and {os.path.relpath(png, ROOT)} "
          f"({elapsed:.0f} s)")

    if args.profile:
        for name, desc, _ in selected:
            path = os.path.join(datadir, f"{name}.pkl")
            if not os.path.exists(path):
                continue
            tool, rows = profile(exe, path, max(3, min(args.repeat, 10)))
            print(f"\n[profile {name}] {tool}")
            for row in rows:
                print("   " + row.strip())


# ---- reporting --------------------------------------------------------------------------

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


def print_table(results):
    rows = [COLS] + table_rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLS))]
    for k, row in enumerate(rows):
        print("  ".join(cell.rjust(w) if i else cell.ljust(w)
                        for i, (cell, w) in enumerate(zip(row, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))
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


if __name__ == "__main__":
    main()
