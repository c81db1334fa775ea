#!/usr/bin/python3
"""check.py PROGRAM WORKDIR [IMPORTANCES] - examples/sklearn_predict.c (and
examples/tree_importances.c) against scikit-learn itself.

Trains every model examples/sklearn_predict.c claims (with fixed seeds), saves each with
joblib.dump, saves 1000 test samples with numpy.save, runs PROGRAM MODEL X.npy, and
compares its lines with Python's own predict() / predict_proba(): labels equal,
probabilities and regression values within 1e-12 (absolute, or relative to values above
1). With IMPORTANCES (examples/tree_importances.c built), each tree model's
feature_importances_ and its largest tree's node count and depth are compared too.
Prints one line per check and "N passed, N failed" last; exit status 1 on a failure.
"""
import os
import subprocess
import sys
import warnings

import joblib
import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier,
                              GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

TOL = 1e-12
N_TEST = 1000


def datasets():
    """(name, X_train, y_train, X_test) for 2 and 3 classes, string labels, regression."""
    X, y = make_classification(n_samples=1600, n_features=8, n_informative=5, n_redundant=1,
                               n_classes=3, random_state=1)
    X2, y2 = make_classification(n_samples=1600, n_features=6, n_informative=4, random_state=2)
    Xr, yr = make_regression(n_samples=1600, n_features=7, noise=3.0, random_state=3)
    names = np.array(["setosa", "versicolor", "virginica"])
    return {
        "c3": (X[:600], y[:600], X[600:600 + N_TEST]),
        "c2": (X2[:600], y2[:600], X2[600:600 + N_TEST]),
        "str": (X[:600], names[y[:600]], X[600:600 + N_TEST]),
        "reg": (Xr[:600], yr[:600], Xr[600:600 + N_TEST]),
    }


def models():
    return [
        ("decision_tree_classifier", "c3", DecisionTreeClassifier(max_depth=8, random_state=0)),
        ("decision_tree_regressor", "reg", DecisionTreeRegressor(max_depth=8, random_state=0)),
        ("random_forest_classifier", "c3", RandomForestClassifier(n_estimators=25, max_depth=7, random_state=0)),
        ("random_forest_classifier_str", "str", RandomForestClassifier(n_estimators=10, random_state=0)),
        ("random_forest_regressor", "reg", RandomForestRegressor(n_estimators=20, max_depth=8, random_state=0)),
        ("extra_trees_classifier", "c2", ExtraTreesClassifier(n_estimators=25, max_depth=8, random_state=0)),
        ("extra_trees_regressor", "reg", ExtraTreesRegressor(n_estimators=20, max_depth=8, random_state=0)),
        ("gradient_boosting_classifier_binary", "c2",
         GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=0)),
        ("gradient_boosting_classifier_3class", "c3",
         GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0)),
        ("gradient_boosting_regressor", "reg", GradientBoostingRegressor(n_estimators=40, max_depth=3, random_state=0)),
        ("logistic_regression_binary", "c2", LogisticRegression(max_iter=500)),
        ("logistic_regression_multinomial", "c3", LogisticRegression(max_iter=500)),
        ("logistic_regression_ovr_liblinear", "c3", LogisticRegression(solver="liblinear")),
        ("linear_regression", "reg", LinearRegression()),
        ("ridge", "reg", Ridge(alpha=2.0)),
        ("pipeline_scaler_logistic", "c3", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))),
    ]


def close(a, b):
    return abs(a - b) <= TOL * max(1.0, abs(b))


def compare(model, X, lines, stats):
    """None when the program's lines are what scikit-learn predicts, else why not;
    stats["diff"] gets the largest difference of a number."""
    if len(lines) != len(X):
        return "%d lines for %d samples" % (len(lines), len(X))
    stats["diff"] = 0.0
    pred = model.predict(X)
    proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
    for i, line in enumerate(lines):
        f = line.split()
        if proba is None:
            if len(f) != 1 or not close(float(f[0]), float(pred[i])):
                return "sample %d: %s, Python %r" % (i, line, float(pred[i]))
            stats["diff"] = max(stats["diff"], abs(float(f[0]) - float(pred[i])))
            continue
        want = pred[i]
        label = str(int(want)) if isinstance(want, (int, np.integer)) else str(want)
        if f[0] != label:
            return "sample %d: label %s, Python %s" % (i, f[0], label)
        got = [float(v) for v in f[1:]]
        if len(got) != proba.shape[1] or not all(close(g, w) for g, w in zip(got, proba[i])):
            worst = max(abs(g - w) for g, w in zip(got, proba[i])) if len(got) == proba.shape[1] else -1
            return "sample %d: probabilities %s, Python %s (max difference %.3g)" % (
                i, f[1:], list(proba[i]), worst)
        stats["diff"] = max([stats["diff"]] + [abs(g - w) for g, w in zip(got, proba[i])])
    return None


def importances_differ(program, mpath, model):
    """None when PROGRAM (examples/tree_importances.c) prints the model's
    feature_importances_ (within TOL) and the node count and depth of its largest tree,
    else why not."""
    p = subprocess.run([program, mpath], capture_output=True, text=True)
    if p.returncode:
        return "tree_importances: exit status %d: %s" % (p.returncode, p.stderr.strip())
    lines = p.stdout.splitlines()
    want = model.feature_importances_
    trees = [model] if not hasattr(model, "estimators_") else list(np.ravel(model.estimators_))
    nodes = max(t.tree_.node_count for t in trees)
    depth = max(t.tree_.max_depth for t in trees)
    if len(lines) != len(want) + 1:
        return "tree_importances: %d lines for %d features" % (len(lines), len(want))
    for f, (line, w) in enumerate(zip(lines, want)):
        if not close(float(line), float(w)):
            return "tree_importances: feature %d: %s, Python %r" % (f, line, float(w))
    if lines[-1] != "largest tree: %d nodes, depth %d" % (nodes, depth):
        return "tree_importances: %r, Python %d nodes, depth %d" % (lines[-1], nodes, depth)
    return None


def main():
    program, work = sys.argv[1], sys.argv[2]
    importances = sys.argv[3] if len(sys.argv) > 3 else None
    warnings.simplefilter("ignore")
    data = datasets()
    passed = failed = 0
    for name, ds, model in models():
        Xtr, ytr, Xte = data[ds]
        model.fit(Xtr, ytr)
        mpath = os.path.join(work, name + ".joblib")
        xpath = os.path.join(work, name + "_X.npy")
        joblib.dump(model, mpath)
        np.save(xpath, Xte)
        p = subprocess.run([program, mpath, xpath], capture_output=True, text=True)
        stats = {"diff": float("nan")}
        why = ("exit status %d: %s" % (p.returncode, p.stderr.strip())) if p.returncode else \
            compare(model, Xte, p.stdout.splitlines(), stats)
        if why:
            failed += 1
            print("FAIL %s: %s" % (name, why))
        else:
            passed += 1
            print("ok   %-38s %d samples, largest difference %.3g" % (name, len(Xte), stats["diff"]))
        if importances and hasattr(model, "feature_importances_") and hasattr(model, "n_features_in_"):
            why = importances_differ(importances, mpath, model)
            if why:
                failed += 1
                print("FAIL %s: %s" % (name, why))
            else:
                passed += 1
                print("ok   %-38s feature importances, largest tree" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
