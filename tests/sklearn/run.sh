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
PYTHON=${PYTHON:-/usr/bin/python3}
CC=${CC:-cc}
cd "$(dirname "$0")/../.." || exit 2
export PYTHONDONTWRITEBYTECODE=1
LIBS=$(make -s -p -n -f Makefile B="$B" 2>/dev/null | sed -n 's/^LDLIBS_LIB := //p' | head -n 1)
[ -n "$LIBS" ] || LIBS="-lz -lbz2 -llzma -llz4 -lzstd -lm"
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
for prog in sklearn_predict tree_importances; do
    if ! $CC -std=c11 -Wall -Wextra -Werror -Ilibjlpickle -o "$work/$prog" "examples/$prog.c" \
        "$B/libjlpickle.a" $LIBS 2>"$work/cc.log"; then
        cat "$work/cc.log"
        echo "FAIL: examples/$prog.c does not build"
        echo "0 passed, 1 failed"
        exit 1
    fi
done
"$PYTHON" tests/sklearn/check.py "$work/sklearn_predict" "$work" "$work/tree_importances"
