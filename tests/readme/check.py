#!/usr/bin/python3
"""check.py PROGRAM WORKDIR - README.md's "Using the library" example against Python.

Saves with joblib what the example opens, in WORKDIR: model.joblib, a
Pipeline(StandardScaler, LogisticRegression), and forest.joblib, a RandomForestClassifier
(fixed seeds); runs PROGRAM there and checks every line it prints against the values
Python reads from the same models: the feature count and mean[0] of the scaler, n_iter_,
the NOT_FOUND of a missing attribute (the error kept through the NULL chain), the first
threshold of the first tree, then the JSON export of the model. A second run without
forest.joblib checks that the failed load's error (IO, naming the file) is the
one printed at the end of the chain.
Prints one line per check and "N passed, N failed" last; exit status 1 on a failure.
"""
import json
import os
import subprocess
import sys
import warnings

import joblib
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main():
    program, work = sys.argv[1], sys.argv[2]
    warnings.simplefilter("ignore")
    X, y = make_classification(n_samples=400, n_features=6, n_informative=4, n_classes=3, random_state=4)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X, y)
    forest = RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0).fit(X, y)
    joblib.dump(model, os.path.join(work, "model.joblib"))
    joblib.dump(forest, os.path.join(work, "forest.joblib"))
    mean = model.steps[0][1].mean_
    want = [
        "%d features, mean[0] = %g" % (len(mean), mean[0]),
        "%d iterations" % int(model.steps[1][1].n_iter_[0]),
        "NOT_FOUND: at '/steps/1/1', segment 'n_iterations': the object has no such attribute",
        "first split at %g" % forest.estimators_[0].tree_.threshold[0],
    ]
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok   %s" % what)
        else:
            failed += 1
            print("FAIL %s" % what)

    p = subprocess.run([program], cwd=work, capture_output=True, text=True)
    check(p.returncode == 0, "the example exits 0 (got %d: %s)" % (p.returncode, p.stderr.strip()))
    lines = p.stdout.splitlines()
    for i, w in enumerate(want):
        got = lines[i] if i < len(lines) else "(nothing)"
        check(got == w, "line %d: %r (expected %r)" % (i + 1, got, w))
    rest = lines[len(want):]
    try:
        doc = json.loads(rest[0]) if len(rest) == 1 else None
    except ValueError:
        doc = None
    cls = doc.get("$object", {}).get("class") if isinstance(doc, dict) else None
    check(cls == "sklearn.pipeline.Pipeline",
          "the last line is the model's JSON export, a sklearn.pipeline.Pipeline object (class %r)" % cls)
    os.remove(os.path.join(work, "forest.joblib"))
    p = subprocess.run([program], cwd=work, capture_output=True, text=True)
    lines = p.stdout.splitlines()
    check(p.returncode == 0 and lines[:3] == want[:3] and not any(l.startswith("first split") for l in lines),
          "without forest.joblib the example goes on and prints no split")
    check(p.stderr.startswith("IO: ") and "forest.joblib" in p.stderr,
          "the failed load's error reaches the end of the chain naming the file: %r" % p.stderr.strip())
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
