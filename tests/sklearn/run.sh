#!/bin/sh
# tests/sklearn/run.sh [BUILD_DIR] - examples/sklearn_predict.c and
# examples/tree_importances.c against scikit-learn: builds the examples as a user would
# (cc, the static library, the Makefile's link libraries) and runs tests/sklearn/check.py,
# which trains the models, saves them with joblib and compares the programs' predictions
# and feature importances with Python's. Prints "N passed, N
# failed" last. Run from the source root after `make`. PYTHON (default /usr/bin/python3),
# CC (default cc).
set -u
B=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
for prog in sklearn_predict tree_importances; do
    build_user_program "$work/$prog" "examples/$prog.c"
done
"$PYTHON" tests/sklearn/check.py "$work/sklearn_predict" "$work" "$work/tree_importances"
