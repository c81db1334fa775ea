#!/bin/sh
# tests/builder/run.sh [BUILD_DIR] - what the newer constructors (persistent ids,
# extension codes, NEWOBJ_EX, Fortran-ordered object arrays, attribute editing) write,
# loaded by Python: builds tests/builder/write.c as a user would and runs check.py.
# Prints "N passed, N failed" last. Run from the source root after `make`.
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
if ! $CC -std=c11 -Wall -Wextra -Werror -Ilibjlpickle -o "$work/write" tests/builder/write.c "$B/libjlpickle.a" \
    $LIBS 2>"$work/cc.log"; then
    cat "$work/cc.log"
    echo "FAIL: tests/builder/write.c does not build"
    echo "0 passed, 1 failed"
    exit 1
fi
mkdir "$work/out"
"$PYTHON" tests/builder/check.py "$work/write" "$work/out"
