#!/usr/bin/python3
"""The load sweep: pickles of the shapes and protocols users write, for the speed suite's
sp-sweep group (bench/speed.py) and for tests (tests/diff/sweep_check.py).

    /usr/bin/python3 bench/sweep.py DIR [--scale S] [--only NAME,...]

writes every workload into DIR as NAME-pP.pkl (pickle.dumps, CPython's C pickler, at
protocol P) and, where the bytes differ, NAME-pP-jl.pkl (joblib.dump at the same
protocol: joblib's NumpyPickler is the pure-Python pickler, whose opcode choices differ
in places), plus MANIFEST.json: one entry per file (row name, workload, protocol, writer,
whether the file holds several pickles one after another, bytes). --scale divides the
sizes (tests/diff/sweep_check.py uses 50; the bench 1). Nothing is written for numpy, pandas
and scikit-learn objects by joblib.dump: joblib stores arrays in its own layout, which
the copy suite measures; here they are pickled by plain pickle, as many users do.
"""
import argparse
import collections
import datetime
import decimal
import io
import json
import os
import pickle
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sweep_types as T  # noqa: E402

VERSION = 1  # bump when a workload changes: cached files are rewritten


# ---- the workloads ---------------------------------------------------------------------
# Each builder takes the scale divisor k and returns the object (or, for "concat",
# the list of objects pickled one after another).

def n(base, k):
    return max(1, base // k)


def wl_ints(k):
    return list(range(n(200_000, k)))


def wl_ints_wide(k):
    rng = random.Random(5)
    # all the int opcodes: BININT1, BININT2, BININT (negative too), LONG1 of 5-9 bytes
    return [rng.choice((rng.randrange(256), rng.randrange(65536), rng.randrange(-2**31, 2**31),
                        rng.randrange(-2**63, 2**64))) for _ in range(n(200_000, k))]


def wl_bigints(k):
    rng = random.Random(6)
    return [rng.randrange(-2**200, 2**200) for _ in range(n(100_000, k))] + [3**5000, -(7**3000)]


def wl_strs(k):
    return [f"s{i}" for i in range(n(200_000, k))]


def wl_floats(k):
    rng = random.Random(3)
    return [rng.random() * 10 ** rng.randrange(-5, 6) for _ in range(n(200_000, k))]


def wl_records(k):
    rng = random.Random(2)
    return [{"id": i, "name": f"user{i}", "score": rng.random() * 100.0, "tags": [f"t{i % 7}", f"g{i % 13}"]}
            for i in range(n(50_000, k))]


def wl_latin1(k):
    rng = random.Random(7)
    words = ["café", "naïve", "Straße", "élève", "garçon", "smörgåsbord", "piñata", "über"]
    return [f"{rng.choice(words)} {i}" for i in range(n(100_000, k))]


def wl_cjk(k):
    rng = random.Random(8)
    return ["".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(rng.randrange(2, 12)))
            for _ in range(n(100_000, k))]


def wl_emoji(k):
    rng = random.Random(9)
    return [f"msg {i} " + "".join(chr(rng.randrange(0x1F600, 0x1F650)) for _ in range(rng.randrange(1, 5)))
            for i in range(n(100_000, k))]


def wl_longstr(k):
    rng = random.Random(10)
    text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz      \n") for _ in range(n(1 << 20, k)))
    return [text, text.upper(), text.replace("e", "é")]   # ASCII, ASCII, 2-byte UTF-8


def wl_longstr_cjk(k):
    rng = random.Random(11)
    return "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(n(350_000, k)))  # ~1 MB of UTF-8


def wl_bytes_short(k):
    rng = random.Random(12)
    return [rng.randbytes(rng.randrange(0, 40)) for _ in range(n(100_000, k))]


def wl_bytes_long(k):
    rng = random.Random(13)
    return [rng.randbytes(n(1 << 20, k)) for _ in range(16)]


def wl_bytearray_short(k):
    rng = random.Random(14)
    return [bytearray(rng.randbytes(rng.randrange(0, 40))) for _ in range(n(50_000, k))]


def wl_bytearray_long(k):
    rng = random.Random(15)
    return [bytearray(rng.randbytes(n(1 << 20, k))) for _ in range(16)]


def wl_tuples(k):
    m = n(40_000, k)
    return [(), *[(i,) for i in range(m)], *[(i, -i) for i in range(m)], *[(i, "a", 1.5) for i in range(m)],
            *[(i, i, i, i) for i in range(m)], *[tuple(range(i % 9 + 5)) for i in range(m)]]


def wl_pairs(k):
    rng = random.Random(16)
    return [(f"w{i % 5000}", rng.random()) for i in range(n(200_000, k))]


def wl_sets(k):
    return [{i, i + 1, f"k{i % 100}"} for i in range(n(30_000, k))] + \
           [frozenset((i, i * 2)) for i in range(n(30_000, k))] + [set(range(n(50_000, k)))]


def wl_intkey_dicts(k):
    return {i: {j: i * j for j in range(20)} for i in range(n(10_000, k))}


def wl_dict_of_lists(k):
    rng = random.Random(17)
    return {f"col{c}": [rng.random() if c % 2 else rng.randrange(1000) for _ in range(n(20_000, k))]
            for c in range(10)}


def wl_str_dict(k):
    return {f"word{i}": i for i in range(n(200_000, k))}


def wl_same_obj(k):
    s, t = "shared", ("a", 1)
    return [s, t] * n(200_000, k)


def wl_memo_many(k):
    words = [f"tok{i}" for i in range(3000)]        # memo indices past 256: LONG_BINGET
    rng = random.Random(18)
    return [rng.choice(words) for _ in range(n(300_000, k))]


def wl_deep(k):
    x = []
    for _ in range(n(10_000, k)):
        x = [x]
    return x


def wl_deep_dicts(k):
    x = {}
    for i in range(n(10_000, k)):
        x = {"child": x, "i": i}
    return x


def wl_flags(k):
    return [True, False, None, True, True, None] * n(50_000, k)


def wl_complex(k):
    rng = random.Random(19)
    return [complex(rng.random(), -rng.random()) for _ in range(n(50_000, k))]


def wl_datetimes(k):
    base = datetime.datetime(2020, 1, 1, 12, 30)
    return [(base + datetime.timedelta(seconds=37 * i), datetime.date(2000 + i % 30, 1 + i % 12, 1 + i % 28),
             datetime.timedelta(minutes=i)) for i in range(n(30_000, k))]


def wl_decimals(k):
    return [decimal.Decimal(f"{i}.{i % 100:02d}") for i in range(n(50_000, k))]


def wl_ordered(k):
    return [collections.OrderedDict([("a", i), ("b", str(i)), ("c", i * 0.5)]) for i in range(n(30_000, k))]


def wl_points(k):
    return [T.Point(i, -i * 0.5, f"p{i}") for i in range(n(50_000, k))]


def wl_dataclasses(k):
    return [T.Trade(i, "ABCD"[i % 4] * 3, 100.0 + i / 100, i % 500, bool(i & 1)) for i in range(n(50_000, k))]


def wl_slotted(k):
    return [T.Slotted(i, f"s{i}") for i in range(n(50_000, k))]


def wl_matrix(k):
    rng = random.Random(20)
    m = max(2, int((n(250_000, k)) ** 0.5))
    return [[rng.random() for _ in range(m)] for _ in range(m)]


def wl_json_docs(k):
    rng = random.Random(21)
    return [{"user": {"id": i, "name": f"u{i}", "langs": ["en", "fr"][: 1 + i % 2]},
             "events": [{"t": i * 10 + j, "kind": rng.choice(["click", "view", "buy"]), "ok": j % 3 != 0,
                         "v": None if j % 4 == 0 else rng.random()} for j in range(5)],
             "meta": {"source": "web", "version": 3}} for i in range(n(10_000, k))]


def wl_concat(k):
    rng = random.Random(22)
    return [{"seq": i, "payload": [rng.random() for _ in range(10)], "tag": f"m{i}"} for i in range(n(5_000, k))]


def wl_py2(k):
    rng = random.Random(23)
    return [{"id": i, "name": f"user{i}", "score": rng.random(), "tags": {"a", f"t{i % 7}"},
             "city": "Zürich" if i % 5 == 0 else "Bern", "big": 10**20 + i} for i in range(n(30_000, k))]


def wl_np_small(k):
    import numpy as np
    rng = np.random.default_rng(24)
    return [rng.random(10) for _ in range(n(10_000, k))]


def wl_np_big(k):
    import numpy as np
    return np.arange(n(8 << 20, k), dtype=np.float64)          # 64 MiB


def wl_np_mixed(k):
    import numpy as np
    m = n(100_000, k)
    return {"x": np.arange(m, dtype=np.int64), "y": np.linspace(0, 1, m, dtype=np.float32),
            "mask": np.arange(m) % 3 == 0, "grid": np.ones((50, 50), dtype=np.float64)}


def wl_pandas(k):
    import numpy as np
    import pandas as pd
    m = n(100_000, k)
    rng = np.random.default_rng(25)
    return pd.DataFrame({"id": np.arange(m), "value": rng.random(m), "name": [f"n{i % 1000}" for i in range(m)],
                         "cat": pd.Categorical(["a", "b", "c", "d"] * (m // 4) + ["a"] * (m % 4)),
                         "when": pd.date_range("2020-01-01", periods=m, freq="min")})


def wl_sklearn(k):
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    rng = np.random.default_rng(26)
    X = rng.random((2000, 8))
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    return RandomForestClassifier(n_estimators=max(1, 20 // k), random_state=0).fit(X, y)


def wl_sklearn_pipe(k):
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    rng = np.random.default_rng(27)
    X = rng.random((500, 20))
    y = (X[:, 0] > 0.5).astype(int)
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)


ALL_P = (0, 1, 2, 3, 4, 5)
# name, description, builder, protocols, joblib protocols, kind
WORKLOADS = [
    ("ints", "200,000 ints 0..n", wl_ints, ALL_P, (0, 2, 4), None),
    ("ints-wide", "200,000 ints of every width, negative, past 2**63", wl_ints_wide, (0, 2, 4), (4,), None),
    ("bigints", "100,000 ints of 200 bits, +-, and two of thousands of digits", wl_bigints, (0, 2, 4), (4,), None),
    ("strs", "200,000 short ASCII str", wl_strs, ALL_P, (0, 2, 4), None),
    ("floats", "200,000 floats of many magnitudes", wl_floats, ALL_P, (0, 2, 4), None),
    ("records", "50,000 dicts {id, name, score, tags}", wl_records, ALL_P, (0, 2, 4), None),
    ("latin1", "100,000 Latin-1 str", wl_latin1, (0, 2, 4), (4,), None),
    ("cjk", "100,000 CJK str (3-byte UTF-8)", wl_cjk, (0, 4), (4,), None),
    ("emoji", "100,000 str with emoji (4-byte UTF-8)", wl_emoji, (0, 4), (4,), None),
    ("longstr", "three 1 MiB str (ASCII, ASCII, 2-byte UTF-8)", wl_longstr, (0, 4), (4,), None),
    ("longstr-cjk", "one 1 MB CJK str", wl_longstr_cjk, (4,), (), None),
    ("bytes-short", "100,000 bytes of 0-39 bytes", wl_bytes_short, (0, 2, 3, 4, 5), (2, 4), None),
    ("bytes-long", "16 bytes of 1 MiB", wl_bytes_long, (2, 3, 4, 5), (4,), None),
    ("bytearray-short", "50,000 bytearray of 0-39 bytes", wl_bytearray_short, (2, 4, 5), (4, 5), None),
    ("bytearray-long", "16 bytearray of 1 MiB (in band)", wl_bytearray_long, (4, 5), (5,), None),
    ("tuples", "200,001 tuples of sizes 0-13", wl_tuples, (0, 1, 2, 4), (1, 4), None),
    ("pairs", "200,000 (str, float) with 5,000 distinct str", wl_pairs, (2, 4), (4,), None),
    ("sets", "set and frozenset: 60,000 small, one of 50,000", wl_sets, (2, 4), (2, 4), None),
    ("intkey-dicts", "10,000 dicts of 20 int -> int, int keys", wl_intkey_dicts, (2, 4), (4,), None),
    ("dict-of-lists", "10 columns of 20,000 int or float", wl_dict_of_lists, (4,), (4,), None),
    ("str-dict", "dict of 200,000 str -> int", wl_str_dict, (2, 4), (4,), None),
    ("same-obj", "one str and one tuple repeated 200,000 times", wl_same_obj, (0, 2, 4), (4,), None),
    ("memo-many", "300,000 picks of 3,000 distinct str (LONG_BINGET)", wl_memo_many, (2, 4), (4,), None),
    ("deep-lists", "10,000 nested lists", wl_deep, (0, 2, 4), (4,), "deep"),
    ("deep-dicts", "10,000 nested dicts", wl_deep_dicts, (2, 4), (4,), "deep"),
    ("flags", "300,000 True/False/None", wl_flags, (0, 2, 4), (4,), None),
    ("complex", "50,000 complex", wl_complex, (0, 2, 4), (4,), None),
    ("datetimes", "30,000 (datetime, date, timedelta)", wl_datetimes, (2, 4), (4,), None),
    ("decimals", "50,000 Decimal", wl_decimals, (2, 4), (4,), None),
    ("ordered", "30,000 OrderedDict of 3", wl_ordered, (2, 4), (4,), None),
    ("points", "50,000 instances of a plain class", wl_points, (0, 1, 2, 4), (0, 4), None),
    ("dataclasses", "50,000 dataclass instances", wl_dataclasses, (4,), (4,), None),
    ("slotted", "50,000 instances of a __slots__ class", wl_slotted, (2, 4), (4,), None),
    ("matrix", "500 x 500 list of lists of float", wl_matrix, (2, 4), (4,), None),
    ("json-docs", "10,000 nested JSON-like documents", wl_json_docs, (0, 2, 4), (4,), None),
    ("concat", "5,000 small pickles one after another", wl_concat, (2, 4), (4,), "concat"),
    ("py2", "30,000 records as Python 2 pickled them (str as BINSTRING, __builtin__.set)", wl_py2, (2,), (), "py2"),
    ("np-small", "10,000 numpy arrays of 10 float64 (plain pickle)", wl_np_small, (2, 4, 5), (), None),
    ("np-big", "one 64 MiB float64 array (plain pickle)", wl_np_big, (4, 5), (), None),
    ("np-mixed", "dict of int64/float32/bool/2-d arrays (plain pickle)", wl_np_mixed, (2, 4, 5), (), None),
    ("pandas", "DataFrame of 100,000 rows: int, float, str, category, datetime", wl_pandas, (4, 5), (), None),
    ("sklearn-forest", "20-tree RandomForestClassifier (plain pickle)", wl_sklearn, (4, 5), (), None),
    ("sklearn-pipe", "StandardScaler + LogisticRegression pipeline (plain pickle)", wl_sklearn_pipe, (4,), (), None),
]


# ---- writers ---------------------------------------------------------------------------

class Py2Pickler(pickle._Pickler):
    """What Python 2's cPickle wrote at protocol 2: a str (bytes in Python 2) as
    SHORT_BINSTRING/BINSTRING, unicode as BINUNICODE, Python 2 module names (the pure
    pickler maps builtins to __builtin__ below protocol 3), no frames."""
    dispatch = pickle._Pickler.dispatch.copy()

    def save_str_py2(self, obj):
        if not obj.isascii():
            return pickle._Pickler.save_str(self, obj)
        b = obj.encode("ascii")
        if len(b) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(b)]) + b)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(b)) + b)
        self.memoize(obj)
    dispatch[str] = save_str_py2


def write_pickle(obj, proto, kind):
    if kind == "concat":
        return b"".join(pickle.dumps(o, proto) for o in obj)
    if kind == "py2":
        f = io.BytesIO()
        Py2Pickler(f, 2, fix_imports=True).dump(obj)
        return f.getvalue()
    return pickle.dumps(obj, proto)


def write_joblib(obj, proto, kind, tmp):
    import joblib
    if kind == "concat":
        out = b""
        for o in obj:
            joblib.dump(o, tmp, protocol=proto)
            out += open(tmp, "rb").read()
        return out
    joblib.dump(obj, tmp, protocol=proto)
    with open(tmp, "rb") as f:
        return f.read()


def generate(d, scale=1, only=None):
    """Write the sweep into d (cached: a MANIFEST.json of the same version and scale is
    reused). @return the manifest's entries."""
    os.makedirs(d, exist_ok=True)
    man = os.path.join(d, "MANIFEST.json")
    if os.path.exists(man) and not only:
        m = json.load(open(man))
        if m.get("version") == VERSION and m.get("scale") == scale:
            return m["files"]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    files = []
    tmp = os.path.join(d, "joblib.tmp")
    for name, desc, builder, protos, jl_protos, kind in WORKLOADS:
        if only and name not in only:
            continue
        try:
            obj = builder(scale)
        except ImportError as e:  # numpy, pandas or scikit-learn missing: no such rows
            print(f"sweep.py: {name} skipped ({e})", file=sys.stderr)
            continue
        for p in protos:
            data = write_pickle(obj, p, kind)
            entries = [("pickle.dumps" if kind != "py2" else "Python 2 cPickle (emulated)", "", data)]
            if p in jl_protos:
                jd = write_joblib(obj, p, kind, tmp)
                if jd != data:
                    entries.append(("joblib.dump", "-jl", jd))
            for writer, suffix, blob in entries:
                row = f"{name}-p{p}{suffix}"
                path = os.path.join(d, row + ".pkl")
                with open(path + ".tmp", "wb") as f:
                    f.write(blob)
                os.replace(path + ".tmp", path)
                files.append({"row": row, "file": row + ".pkl", "workload": name, "desc": desc, "protocol": p,
                              "writer": writer, "all": kind == "concat", "bytes": len(blob)})
        del obj
    if os.path.exists(tmp):
        os.unlink(tmp)
    if not only:
        with open(man + ".tmp", "w") as f:
            json.dump({"version": VERSION, "scale": scale, "files": files}, f, indent=1)
        os.replace(man + ".tmp", man)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    files = generate(args.dir, args.scale, set(filter(None, args.only.split(","))))
    for f in files:
        print(f"{f['row']:28s} {f['bytes']:>10d}  {f['writer']}")
    print(f"{len({f['workload'] for f in files})} workloads, {len(files)} files")


if __name__ == "__main__":
    main()
