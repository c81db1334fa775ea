#!/usr/bin/python3
"""Write a corpus of fitted scikit-learn models with joblib.dump, for bench/speed.py.

    /usr/bin/python3 bench/gen_models.py OUTDIR

Every estimator of sklearn.utils.all_estimators() that fits with its default parameters
on a small data set (classifiers and regressors on 300 x 8, clusterers and transformers
on the same X; meta-estimators get a decision tree or a linear model where they need
one) is fitted and dumped uncompressed to OUTDIR/<Name>.joblib; so are a 100-stage
GradientBoostingRegressor, a 50-tree and a 100-tree RandomForestClassifier on 2,000 and
20,000 rows. OUTDIR/MANIFEST.json lists the files with the scikit-learn, joblib and numpy
versions. Estimators that cannot be fitted this way (they need special input: text,
graphs, multi-output targets, positive data...) are listed as skipped, with the reason.
The random seed is fixed, so a rerun writes the same models.

    /usr/bin/python3 bench/gen_models.py --real OUTDIR

writes the second corpus instead: models the size users' files are, which the tiny data
set above never makes (see real_models()): text vectorizers fitted on real text (Python's
own documentation and standard library, so the vocabulary is the same for a given
Python: vocabulary_ dicts of 10^4-10^5 str -> int or numpy int64, stop_words_ sets),
encoders of string categories (object arrays of str), a DictVectorizer, a ColumnTransformer
pipeline fitted on a pandas DataFrame (feature_names_in_), a 200-iteration
HistGradientBoosting, k-neighbours on 10^5 points, a 500-tree ExtraTrees, a Gaussian
process on 1,500 points, and compressed variants of some of them (compress=3, joblib's
default zlib; lz4; xz).
"""
import json
import os
import sys
import time
import warnings

import joblib
import numpy as np
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.utils import all_estimators


def fit_one(cls, kind, X, y_c, y_r):
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    name = cls.__name__
    kwargs = {}
    import inspect
    params = inspect.signature(cls.__init__).parameters
    base = DecisionTreeClassifier(max_depth=3, random_state=0) if kind == "classifier" else \
        DecisionTreeRegressor(max_depth=3, random_state=0)
    for p in ("estimator", "base_estimator"):
        if p in params and params[p].default is inspect.Parameter.empty:
            kwargs[p] = base
    if "estimators" in params and params["estimators"].default is inspect.Parameter.empty:
        kwargs["estimators"] = [("a", base), ("b", LogisticRegression() if kind == "classifier"
                                               else LinearRegression())]
    if "random_state" in params:
        kwargs["random_state"] = 0
    est = cls(**kwargs)
    if kind == "classifier":
        est.fit(X, y_c)
    elif kind == "regressor":
        est.fit(X, y_r)
    elif kind == "cluster":
        est.fit(X)
    else:
        try:
            est.fit(X)
        except TypeError:
            est.fit(X, y_c)
    return est


def real_text():
    """Documents of real English and Python text, the same for a given Python: the
    paragraphs of the interpreter's help topics (pydoc_data) and the source of every
    top-level module of its standard library, sorted by name."""
    import glob
    import sysconfig
    import pydoc_data.topics as topics
    docs = [p for k in sorted(topics.topics) for p in topics.topics[k].split("\n\n") if p.strip()]
    for f in sorted(glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "*.py"))):
        with open(f, encoding="utf-8", errors="replace") as fh:
            docs.append(fh.read())
    return docs


def real_models():
    """(name, estimator fitted, joblib.dump keyword arguments) of the real-size corpus."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import LabelEncoder, OneHotEncoder, OrdinalEncoder, StandardScaler
    rng = np.random.RandomState(0)
    docs = real_text()
    words = sorted(CountVectorizer().fit(docs).vocabulary_)
    out = []
    # vocabulary_: a dict of str -> int (25,000 and 50,000 entries; the bigram one keeps
    # the terms of two documents or more, the 190,000 others are its stop_words_ set);
    # with max_features, scikit-learn sorts before it prunes, and the values are numpy
    # int64 scalars (100,000 of them, beside 140,000 stop words)
    out.append(("CountVectorizer_text", CountVectorizer().fit(docs), {}))
    out.append(("TfidfVectorizer_bigrams", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(docs),
                {}))
    out.append(("TfidfVectorizer_max_features",
                TfidfVectorizer(ngram_range=(1, 2), max_features=100000, sublinear_tf=True).fit(docs), {}))
    # string categories: classes_ as a numpy str array and as an object array of str
    labels = [words[i] for i in rng.randint(0, 5000, 20000)]
    out.append(("LabelEncoder_str", LabelEncoder().fit(labels), {}))
    out.append(("LabelEncoder_object", LabelEncoder().fit(pd.Series(labels, dtype=object)), {}))
    # a DataFrame with numeric and string columns (feature_names_in_, categories_ object arrays)
    n = 5000
    frame = {f"num_{i}": rng.randn(n) for i in range(10)}
    for i, k in enumerate((10, 50, 300, 2000)):
        frame[f"cat_{i}"] = pd.Series([words[j] for j in rng.randint(0, k, n)], dtype=object)
    df = pd.DataFrame(frame)
    y = (df["num_0"] + rng.randn(n) > 0).astype(int)
    cats = [c for c in df.columns if c.startswith("cat_")]
    nums = [c for c in df.columns if c.startswith("num_")]
    out.append(("OneHotEncoder_frame", OneHotEncoder(handle_unknown="ignore").fit(df[cats]), {}))
    out.append(("OrdinalEncoder_frame", OrdinalEncoder().fit(df[cats]), {}))
    pipe = Pipeline([("prep", ColumnTransformer([("num", StandardScaler(), nums),
                                                 ("cat", OneHotEncoder(handle_unknown="ignore"), cats)])),
                     ("clf", LogisticRegression(max_iter=200))]).fit(df, y)
    out.append(("Pipeline_ColumnTransformer_frame", pipe, {}))
    recs = [{"word=" + words[j]: 1, "len": float(len(words[j])), "tag=" + words[(j * 7) % len(words)]: 1}
            for j in rng.randint(0, len(words), 20000)]
    out.append(("DictVectorizer_records", DictVectorizer().fit(recs), {}))
    Xc, yc = make_classification(n_samples=5000, n_features=20, n_informative=10, random_state=0)
    hgb = HistGradientBoostingClassifier(max_iter=200, early_stopping=False, random_state=0).fit(Xc, yc)
    out.append(("HistGradientBoostingClassifier_200", hgb, {}))
    Xk, yk = make_classification(n_samples=100000, n_features=10, random_state=0)
    out.append(("KNeighborsClassifier_100k", KNeighborsClassifier().fit(Xk, yk), {}))
    Xe, ye = make_classification(n_samples=2000, n_features=20, random_state=0)
    et = ExtraTreesClassifier(n_estimators=500, random_state=0).fit(Xe, ye)
    out.append(("ExtraTreesClassifier_500", et, {}))
    Xg, yg = make_regression(n_samples=1500, n_features=8, random_state=0)
    out.append(("GaussianProcessRegressor_1500", GaussianProcessRegressor(random_state=0).fit(Xg, yg), {}))
    # compressed as users write them: compress=3 (zlib), lz4, xz
    by_name = {name: est for name, est, _ in out}
    for name in ("TfidfVectorizer_bigrams", "Pipeline_ColumnTransformer_frame", "HistGradientBoostingClassifier_200",
                 "ExtraTreesClassifier_500"):
        for tag, compress in (("z3", 3), ("lz4", ("lz4", 3)), ("xz", ("xz", 3))):
            out.append((f"{name}.{tag}", by_name[name], {"compress": compress}))
    return out


def main_real(out):
    os.makedirs(out, exist_ok=True)
    warnings.filterwarnings("ignore")
    files = []
    for name, est, kw in real_models():
        path = os.path.join(out, name + ".joblib")
        joblib.dump(est, path, **kw)
        files.append({"name": name, "kind": "real", "file": os.path.basename(path), "bytes": os.path.getsize(path)})
    manifest = {"sklearn": sklearn.__version__, "joblib": joblib.__version__, "numpy": np.__version__,
                "python": sys.version.split()[0], "files": files, "skipped": []}
    with open(os.path.join(out, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(files)} real-size models written")


def main():
    if sys.argv[1] == "--real":
        return main_real(sys.argv[2])
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    warnings.filterwarnings("ignore")
    X, y_c = make_classification(n_samples=300, n_features=8, n_informative=5, random_state=0)
    X = np.abs(X)  # some estimators (chi2-based, NMF, MultinomialNB) need non-negative input
    _, y_r = make_regression(n_samples=300, n_features=8, random_state=0)
    files, skipped = [], []
    seen = set()
    for kind in ("classifier", "regressor", "cluster", "transformer"):
        for name, cls in all_estimators(type_filter=kind):
            if name in seen:
                continue
            t = time.monotonic()
            try:
                est = fit_one(cls, kind, X, y_c, y_r)
            except Exception as e:  # noqa: BLE001 - any estimator may refuse the input
                skipped.append({"name": name, "kind": kind, "reason": f"{type(e).__name__}: {e}"[:200]})
                continue
            if time.monotonic() - t > 60:
                skipped.append({"name": name, "kind": kind, "reason": "fit took over a minute"})
                continue
            seen.add(name)
            path = os.path.join(out, name + ".joblib")
            joblib.dump(est, path)
            files.append({"name": name, "kind": kind, "file": os.path.basename(path),
                          "bytes": os.path.getsize(path)})
    # the models the speed work names
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
    Xr, yr = make_regression(n_samples=500, n_features=10, random_state=0)
    extra = [("GradientBoostingRegressor_100", GradientBoostingRegressor(n_estimators=100, random_state=0), Xr, yr)]
    for rows, trees in ((2000, 50), (20000, 100)):
        Xc, yc = make_classification(n_samples=rows, n_features=20, random_state=0)
        extra.append((f"RandomForestClassifier_{trees}", RandomForestClassifier(n_estimators=trees, random_state=0),
                      Xc, yc))
    for name, est, Xe, ye in extra:
        est.fit(Xe, ye)
        path = os.path.join(out, name + ".joblib")
        joblib.dump(est, path)
        files.append({"name": name, "kind": "named", "file": os.path.basename(path),
                      "bytes": os.path.getsize(path)})
    manifest = {"sklearn": sklearn.__version__, "joblib": joblib.__version__, "numpy": np.__version__,
                "files": files, "skipped": skipped}
    with open(os.path.join(out, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(files)} models written, {len(skipped)} estimators skipped")


if __name__ == "__main__":
    main()
