#!/bin/sh
# tests/views/run.sh [BUILD_DIR] [views.py options] - typed views (jlp_array_as) against
# numpy: builds tests/views/viewrun.c as a user would (cc, the static library) and runs
# tests/views/views.py with it (seed 1, 2000 random arrays unless options say otherwise).
# Prints "N passed, N failed" last. Run from the source root after `make`. PYTHON (default
# /usr/bin/python3), CC (default cc).
set -u
B=${1:-build}
[ $# -gt 0 ] && shift
PYTHON=${PYTHON:-/usr/bin/python3}
CC=${CC:-cc}
cd "$(dirname "$0")/../.." || exit 2
export PYTHONDONTWRITEBYTECODE=1
LIBS=$(make -s -p -n -f Makefile B="$B" 2>/dev/null | sed -n 's/^LDLIBS_LIB := //p' | head -n 1)
[ -n "$LIBS" ] || LIBS="-lz -lbz2 -llzma -llz4 -lzstd -lm"
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
if ! $CC -std=c11 -Wall -Wextra -Werror -Ilibjlpickle -o "$work/viewrun" tests/views/viewrun.c \
    "$B/libjlpickle.a" $LIBS 2>"$work/cc.log"; then
    cat "$work/cc.log"
    echo "FAIL: tests/views/viewrun.c does not build"
    echo "0 passed, 1 failed"
    exit 1
fi
[ $# -eq 0 ] && set -- --seed 1 --cases 2000
"$PYTHON" tests/views/views.py --driver "$work/viewrun" "$@"
