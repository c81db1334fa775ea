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


def main():
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
