#!/bin/sh
# tests/interop/run.sh [BUILD_DIR] - the writer against Python's joblib, pickle, numpy and
# scikit-learn (see tests/interop/README.md). Builds the examples and the test programs
# without the Makefile, as a user would, then runs tests/interop/interop.py.
# Prints "N passed, N failed" last; exits nonzero on failure. Run from the source root
# after `make`. Environment: PYTHON (default /usr/bin/python3), CC (default cc),
# INTEROP_KEEP=1 keeps the work directory, INTEROP_VERBOSE=1 prints every passing check.
set -u
B=${1:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
CC=${CC:-cc}
cd "$(dirname "$0")/../.." || exit 2
export PYTHONDONTWRITEBYTECODE=1

if ! "$PYTHON" -c 'import joblib, numpy, sklearn' >/dev/null 2>&1; then
    echo "skipped: $PYTHON lacks joblib, numpy or scikit-learn"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
if [ ! -f "$B/libjlpickle.a" ]; then
    echo "FAIL: $B/libjlpickle.a is missing (run make first)"
    echo "0 passed, 1 failed"
    exit 1
fi

# The link libraries: the ones the Makefile found (its LDLIBS_LIB), else all codecs.
LIBS=$(make -s -p -n -f Makefile B="$B" 2>/dev/null | sed -n 's/^LDLIBS_LIB := //p' | head -n 1)
[ -n "$LIBS" ] || LIBS="-lz -lbz2 -llzma -llz4 -lzstd -lm"

# Work in RAM when possible: every jlp_dump_path() fsyncs.
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/jlp-interop.XXXXXX") || exit 2
if [ -z "${INTEROP_KEEP:-}" ]; then
    trap 'rm -rf "$work"' EXIT
else
    echo "# work directory: $work"
fi
bin="$work/bin"
mkdir -p "$bin"

CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror"
build_failed=0
build() { # build NAME SOURCE
    if ! $CC $CFLAGS -Ilibjlpickle -o "$bin/$1" "$2" "$B/libjlpickle.a" $LIBS 2>"$work/cc.log"; then
        cat "$work/cc.log"
        echo "FAIL - build $2"
        build_failed=$((build_failed + 1))
    fi
}
build make_linear_models examples/make_linear_models.c
build edit_model examples/edit_model.c
build c_writer tests/interop/c_writer.c
build c_roundtrip tests/interop/c_roundtrip.c
build c_regress tests/interop/c_regress.c
if [ "$build_failed" -ne 0 ]; then
    echo "0 passed, $build_failed failed"
    exit 1
fi

# Regressions of library bugs found by this suite, each checked by its own small program.
"$bin/c_regress" >"$work/regress.log" 2>&1
regress_status=$?

verbose=
[ -n "${INTEROP_VERBOSE:-}" ] && verbose=-v
"$PYTHON" tests/interop/interop.py --bin "$bin" --work "$work" $verbose >"$work/interop.log" 2>&1
status=$?

grep -v -E '^[0-9]+ passed, [0-9]+ failed' "$work/regress.log"
grep -v -E '^[0-9]+ passed, [0-9]+ failed' "$work/interop.log"
# add up both summaries
sum() { grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1; }
r=$(sum "$work/regress.log")
i=$(sum "$work/interop.log")
if [ -z "$r" ] || [ -z "$i" ]; then
    echo "FAIL - a part ended without a summary (c_regress: ${r:-none}, interop.py: ${i:-none})"
    p=$(printf '%s\n%s\n' "${r:-0 passed, 0 failed}" "${i:-0 passed, 0 failed}" | awk '{s += $1} END {print s}')
    f=$(printf '%s\n%s\n' "${r:-0 passed, 0 failed}" "${i:-0 passed, 0 failed}" | awk '{s += $3} END {print s + 1}')
    echo "$p passed, $f failed"
    exit 1
fi
p=$(printf '%s\n%s\n' "$r" "$i" | awk '{s += $1} END {print s}')
f=$(printf '%s\n%s\n' "$r" "$i" | awk '{s += $3} END {print s}')
skipped=$(echo "$i" | sed -n 's/.*failed, \([0-9]*\) skipped.*/\1/p')
if [ -n "$skipped" ]; then
    echo "$p passed, $f failed, $skipped skipped"
else
    echo "$p passed, $f failed"
fi
[ "$f" -eq 0 ] && [ "$status" -eq 0 ] && [ "$regress_status" -eq 0 ]
