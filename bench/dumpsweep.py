#!/usr/bin/python3
"""The sp-dumpsweep group of the speed suite: jlp_dump_mem() on dump workloads outside the
six of sp-dumps, each against CPython's C pickler at the same protocol, side by side.

    /usr/bin/python3 bench/run.py --build build --suite speed --only sp-dumpsweep [--rounds R]
    JLP_SWEEP_ONLY=bytes_short,intdict ... (a subset of the workloads, by name)

Every workload is a Python object written once with pickle.dumps(obj, 4) (or, for the
joblib rows, joblib.dump(obj, path)) into build/bench-data/sweep_<name>.pkl. The C side
(bench_dump pickle) loads that file once, untimed (jlp_load_mem; jlp_load_path for a joblib
file), and times jlp_dump_mem() of the document at the workload's protocol; the Python
side loads it once (pickle.loads / joblib.load) and times pickle.dumps(obj, protocol).
Arrays are written with numpy's reduce (JLP_ARRAYS_NUMPY) when the reference is
pickle.dumps, with joblib's wrapper when it is joblib.dump. Rounds alternate the sides in
fresh processes; best and median of the pooled samples, and the ratio of median CPU times.

Before the timed runs, one C output of each workload is checked in Python: it must load
(pickle.loads, or joblib.load for the joblib rows) to a value equal to the object
(arrays and DataFrames compared by content, other objects by their pickle.dumps), and
the table says whether its bytes equal pickle.dumps's (the C pickler) and pickle.py's
(pickle._dumps, the pure-Python pickler libjlpickle's writer follows).

The library has no out-of-band buffer API (no buffer_callback): protocol 5 rows are
in-band on both sides.

Target: 2x pickle.dumps on every row (joblib rows: joblib.dump is beaten by far more).
"""
import json
import os
import statistics
import sys

import run as R

TARGET = 2.0


# ---- workloads (built in the runner, deterministic) ---------------------------------------

def _rng():
    import random
    return random.Random(12)


def records(n):
    r = _rng()
    return [{"id": i, "name": f"user{i}", "score": r.random(), "tags": [f"t{i % 7}", f"g{i % 13}"]}
            for i in range(n)]


def nested(n):
    return [[i, (f"s{i}", i * 0.5), None, True, [i, f"x{i}"]] for i in range(n)]


def bytes_short():
    r = _rng()
    return [bytes(r.getrandbits(8) for _ in range(8)) * (1 + i % 4) for i in range(100_000)]


def bytes_long():
    r = _rng()
    return [r.randbytes(1 << 20) for _ in range(16)]


def bytearray_short():
    r = _rng()
    return [bytearray(r.randbytes(16 + i % 16)) for i in range(50_000)]


def bytearray_long():
    r = _rng()
    return [bytearray(r.randbytes(1 << 20)) for _ in range(16)]


def bigints():
    return [(1 << (64 + i % 200)) + i * 7919 if i % 2 else -(1 << (63 + i % 100)) - i for i in range(100_000)]


def negints():
    return [-(i * 37) for i in range(1_000_000)]


def mixed_ints():
    # every width: BININT1, BININT2, BININT (negative), LONG1 of 5-8 bytes
    return [(i * 2654435761) % (1 << (1 + i % 63)) - (i % 3) * (1 << (i % 40)) for i in range(500_000)]


def latin1():
    return [f"café-{i}-naïve" for i in range(200_000)]


def cjk():
    return [f"東京{i}大阪の天気" for i in range(200_000)]


def emoji():
    return [f"😀{i}🎉" for i in range(200_000)]


def big_strs():
    return [("abcdefghij" * 100_000)[:1_000_000 - i] + str(i) for i in range(16)]


def big_strs_utf8():
    return [("défi東京😀" * 125_000)[:1_000_000 - i] + str(i) for i in range(8)]


def tuples_1():
    return [(i,) for i in range(200_000)]


def tuples_2():
    return [(i, f"k{i}") for i in range(200_000)]


def tuples_3():
    return [(i, i * 0.5, -i) for i in range(200_000)]


def tuples_any():
    return [tuple(range(i, i + i % 8)) for i in range(200_000)]


def tuples_20():
    return [tuple(f"c{j}" if j % 2 else i + j for j in range(20)) for i in range(20_000)]


def sets():
    return [set(range(i, i + 10)) for i in range(20_000)]


def frozensets():
    return [frozenset((i, i + 1, f"f{i}")) for i in range(50_000)]


def big_set():
    return set(range(0, 600_000, 3))


def intdict():
    r = _rng()
    return {r.getrandbits(40): r.random() for _ in range(200_000)}


def intdict_seq():
    return {i: f"v{i}" for i in range(200_000)}


def shared_list():
    shared = [1, 2.5, "three"]
    return [shared] * 100_000


def shared_mix():
    a, b, c = ["x", 1], {"k": 2}, (3, "y")
    return [(a, b, c, i) for i in range(50_000)]


def dicts_of_lists():
    return [{"id": i, "tags": [f"t{i % 50}", "x"], "pos": [i, i + 1, i * 0.5]} for i in range(50_000)]


def objects():
    import argparse
    # instances with a __dict__ state (NEWOBJ, then BUILD of a dict), as dataclasses and
    # plain classes pickle; argparse.Namespace so that both sides can import the class
    return [argparse.Namespace(id=i, name=f"n{i}", score=i * 0.25, flags=[i % 2, True]) for i in range(20_000)]


def deep_lists():
    out = []
    for k in range(100):
        v = [k]
        for _ in range(400):
            v = [v]
        out.append(v)
    return out


def deep_dicts():
    out = []
    for k in range(100):
        v = {"leaf": k}
        for d in range(300):
            v = {"d": v, "n": d}
        out.append(v)
    return out


def dataframe():
    import numpy as np
    import pandas as pd
    n = 100_000
    rng = np.random.default_rng(3)
    return pd.DataFrame({"i": np.arange(n), "f": rng.random(n), "s": [f"name{i % 977}" for i in range(n)],
                         "t": pd.date_range("2020-01-01", periods=n, freq="min"),
                         "c": pd.Categorical([("a", "b", "c")[i % 3] for i in range(n)])})


def sklearn_forest():
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    rng = np.random.default_rng(4)
    x = rng.random((2000, 10))
    y = (x[:, 0] + x[:, 1] > 1).astype(int)
    return RandomForestClassifier(n_estimators=30, random_state=0).fit(x, y)


def sklearn_pipeline():
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    docs = [f"word{i % 500} token{i % 37} item{i % 1000} w{i}" for i in range(5000)]
    y = np.array([i % 2 for i in range(5000)])
    return make_pipeline(CountVectorizer(), LogisticRegression(max_iter=50)).fit(docs, y)


def many_arrays():
    import numpy as np
    rng = np.random.default_rng(5)
    return {f"w{i}": rng.random(16) for i in range(5000)}


# name, description, builder, protocol, source ("pickle": pickle.dumps(obj, 4) file,
# C loads with jlp_load_mem; "joblib": joblib.dump file, C loads with jlp_load_path)
WORKLOADS = [
    ("records_p0", "20,000 record dicts, protocol 0 (text, PUT/GET)", lambda: records(20_000), 0, "pickle"),
    ("records_p1", "100,000 record dicts, protocol 1 (BINPUT/BINGET)", lambda: records(100_000), 1, "pickle"),
    ("records_p2", "100,000 record dicts, protocol 2 (unframed)", lambda: records(100_000), 2, "pickle"),
    ("records_p3", "100,000 record dicts, protocol 3 (unframed)", lambda: records(100_000), 3, "pickle"),
    ("records_p5", "100,000 record dicts, protocol 5", lambda: records(100_000), 5, "pickle"),
    ("nested_p2", "100,000 nested rows, protocol 2", lambda: nested(100_000), 2, "pickle"),
    ("ints_p0", "200,000 ints, protocol 0 (I...)", lambda: list(range(-100_000, 100_000)), 0, "pickle"),
    ("floats_p0", "100,000 random floats, protocol 0 (repr)",
     lambda: [_rng().random() * 10 ** (i % 20 - 10) for i in range(100_000)], 0, "pickle"),
    ("bytes_short", "100,000 bytes of 8-32 B", bytes_short, 4, "pickle"),
    ("bytes_long", "16 bytes of 1 MiB", bytes_long, 4, "pickle"),
    ("bytes_p2", "100,000 bytes of 8-32 B, protocol 2 (_codecs.encode)", bytes_short, 2, "pickle"),
    ("bytearray_short", "50,000 bytearrays of 16-31 B (reduce)", bytearray_short, 4, "pickle"),
    ("bytearray_short_p5", "50,000 bytearrays of 16-31 B, protocol 5 (BYTEARRAY8)", bytearray_short, 5, "pickle"),
    ("bytearray_long_p5", "16 bytearrays of 1 MiB, protocol 5", bytearray_long, 5, "pickle"),
    ("bigints", "100,000 ints of 64-264 bits, both signs (LONG1)", bigints, 4, "pickle"),
    ("negints", "10**6 negative ints (BININT)", negints, 4, "pickle"),
    ("mixed_ints", "500,000 ints of every width", mixed_ints, 4, "pickle"),
    ("latin1", "200,000 Latin-1 strs", latin1, 4, "pickle"),
    ("cjk", "200,000 CJK strs", cjk, 4, "pickle"),
    ("emoji", "200,000 strs with emoji", emoji, 4, "pickle"),
    ("big_strs", "16 ASCII strs of 1 MB", big_strs, 4, "pickle"),
    ("big_strs_utf8", "8 non-ASCII strs of 1 M characters", big_strs_utf8, 4, "pickle"),
    ("tuples_1", "200,000 1-tuples (int,)", tuples_1, 4, "pickle"),
    ("tuples_2", "200,000 pairs (int, str)", tuples_2, 4, "pickle"),
    ("tuples_3", "200,000 triples (int, float, int)", tuples_3, 4, "pickle"),
    ("tuples_any", "200,000 int tuples of 0-7 items", tuples_any, 4, "pickle"),
    ("tuples_20", "20,000 tuples of 20 ints and strs", tuples_20, 4, "pickle"),
    ("sets", "20,000 sets of 10 ints", sets, 4, "pickle"),
    ("sets_p2", "20,000 sets of 10 ints, protocol 2 (set(list) reduce)", sets, 2, "pickle"),
    ("frozensets", "50,000 frozensets of 3 items", frozensets, 4, "pickle"),
    ("big_set", "a set of 200,000 ints", big_set, 4, "pickle"),
    ("intdict", "200,000 random int -> float", intdict, 4, "pickle"),
    ("intdict_seq", "200,000 int -> str", intdict_seq, 4, "pickle"),
    ("shared_list", "one list referenced 100,000 times (BINGET)", shared_list, 4, "pickle"),
    ("shared_mix", "50,000 tuples of 3 shared containers + an int", shared_mix, 4, "pickle"),
    ("dicts_of_lists", "50,000 dicts {id, tags: [str, str], pos: [int, int, float]}", dicts_of_lists, 4, "pickle"),
    ("objects", "20,000 instances with a __dict__ state (argparse.Namespace, 4 attributes)", objects, 4, "pickle"),
    ("deep_lists", "100 lists nested 400 deep", deep_lists, 4, "pickle"),
    ("deep_dicts", "100 dicts nested 300 deep", deep_dicts, 4, "pickle"),
    ("dataframe", "pandas DataFrame, 100,000 rows x 5 columns (int, float, str, datetime, category)",
     dataframe, 4, "pickle"),
    ("dataframe_p5", "the same DataFrame, protocol 5 (in-band buffers)", dataframe, 5, "pickle"),
    ("forest", "sklearn RandomForestClassifier, 30 trees", sklearn_forest, 4, "pickle"),
    ("pipeline", "sklearn CountVectorizer + LogisticRegression pipeline", sklearn_pipeline, 4, "pickle"),
    ("joblib_arrays", "joblib file: dict of 5,000 float64 arrays of 16", many_arrays, 4, "joblib"),
]
NAMES = [w[0] for w in WORKLOADS]


def ensure_file(datadir, name, builder, source):
    import pickle
    path = os.path.join(datadir, f"sweep_{name}.pkl")
    if not os.path.exists(path):
        obj = builder()
        if source == "joblib":
            import joblib
            joblib.dump(obj, path + ".tmp")
        else:
            with open(path + ".tmp", "wb") as f:
                f.write(pickle.dumps(obj, protocol=4))
        os.replace(path + ".tmp", path)
    return path


# ---- the Python children -----------------------------------------------------------------

PY_TIME = r"""
import pickle, sys, time, json, os
path, n, proto, source, what, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
assert pickle.dumps.__module__ == "_pickle", "not the C pickler"
if source == "joblib":
    import joblib
    obj = joblib.load(path)
else:
    obj = pickle.loads(open(path, 'rb').read())
if what == "joblib":
    import joblib
ts, cpu = [], []
for i in range(n + 1):
    if what == "joblib":
        if os.path.exists(out): os.unlink(out)
        os.sync()
    c = time.process_time(); t = time.perf_counter()
    if what == "joblib":
        joblib.dump(obj, out)
    else:
        b = pickle.dumps(obj, proto)
    e = time.perf_counter() - t; ec = time.process_time() - c
    b = None
    if i: ts.append(e); cpu.append(ec)
if what == "joblib" and os.path.exists(out): os.unlink(out)
print(json.dumps({"times": ts, "cpu": cpu}))
"""

PY_CHECK = r"""
import pickle, sys, json, io
path, proto, source, cpath = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = open(cpath, 'rb').read()
if source == "joblib":
    import joblib
    obj = joblib.load(path)
    back = joblib.load(io.BytesIO(c))
else:
    obj = pickle.loads(open(path, 'rb').read())
    back = pickle.loads(c)

def same(a, b):
    try:
        import numpy as np
        if isinstance(a, np.ndarray):
            return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    except ImportError:
        pass
    try:
        import pandas as pd
        if isinstance(a, (pd.DataFrame, pd.Series)):
            return type(a) is type(b) and a.equals(b) and list(a.dtypes) == list(b.dtypes)
    except ImportError:
        pass
    if isinstance(a, dict) and isinstance(b, dict) and type(a) is type(b):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a).__module__ == "builtins":
        return type(a) is type(b) and a == b
    # by their pickles; `a` is then a second load of the reference, made after `back`:
    # the unpickler interns the keys of BUILD states, and a load finding them interned by
    # an earlier one shares those keys with it and no longer with its own other strs
    return type(a) is type(b) and pickle.dumps(a, 4) == pickle.dumps(b, 4)

sys.setrecursionlimit(10000)
again = joblib.load(path) if source == "joblib" else pickle.loads(open(path, 'rb').read())
print(json.dumps({"equal": same(again, back), "c_pickle": c == pickle.dumps(obj, proto) if source != "joblib" else None,
                  "py_pickle": c == pickle._dumps(obj, proto) if source != "joblib" else None}))
"""


def group(args, build, datadir, rounds, c_run, py_run, samples, row):
    exe = R.compile_bench(build, "bench_dump")
    sel = set(filter(None, os.environ.get("JLP_SWEEP_ONLY", "").split(",")))
    per = 2 if args.quick else 5
    rows = []
    tmp = os.path.join(datadir, "sweep_out.bin")
    for name, desc, builder, proto, source in WORKLOADS:
        if sel and name not in sel:
            continue
        path = ensure_file(datadir, name, builder, source)
        copt = ["--protocol", str(proto)] + (["--path"] if source == "joblib" else ["--numpy"])
        c_run([exe, "pickle"] + copt + [path, "1", tmp])
        chk = py_run(PY_CHECK, path, proto, source, tmp)
        if not chk["equal"]:
            sys.exit(f"dumpsweep: {name}: the C output does not load to the object")
        ident = {True: "yes", False: "no", None: "n/a"}
        note = f"bytes = pickle.dumps: {ident[chk['c_pickle']]}, = pickle.py: {ident[chk['py_pickle']]}"
        sides = ["c", "py"] + (["cfd", "jb"] if source == "joblib" else [])
        t = {s: [] for s in sides}
        cpu = {s: [] for s in sides}
        for r in range(rounds):
            for side in R.rotation(sides, r):
                if side in ("c", "cfd"):
                    fd = ["--fd", tmp] if side == "cfd" else []
                    d = c_run([exe, "pickle"] + copt + fd + [path, str(per)])
                    t[side] += samples(d, "dump_samples_s")
                    cpu[side] += samples(d, "cpu_samples_s")
                else:
                    d = py_run(PY_TIME, path, per, proto, source, "joblib" if side == "jb" else "dumps", tmp)
                    t[side] += d["times"]
                    cpu[side] += d["cpu"]
        rows.append(row("dumpsweep", f"{name}: {desc}", t["c"], t["py"], f"pickle.dumps p{proto}", TARGET,
                        cpu=(cpu["c"], cpu["py"]), note=note))
        if source == "joblib":
            rows.append(row("dumpsweep", f"{name}: jlp_dump_fd (joblib format, to a file) vs joblib.dump",
                            t["cfd"], t["jb"], "joblib.dump", TARGET, cpu=(cpu["cfd"], cpu["jb"])))
    if os.path.exists(tmp):
        os.unlink(tmp)
    return rows
