# tests/lib.sh - the preamble of the suites that build a program as a user would (cc,
# the static library, the Makefile's link libraries, -Werror) and check it with Python:
# tests/{readme,views,sklearn,builder}/run.sh. Sourced from the source root, after the
# suite has set B (the build directory). Sets PYTHON (default /usr/bin/python3), CC
# (default cc), LIBS and a temporary directory $work removed on exit.
PYTHON=${PYTHON:-/usr/bin/python3}
CC=${CC:-cc}
export PYTHONDONTWRITEBYTECODE=1
# The link libraries are the Makefile's own, so a build with a codec left out links.
LIBS=$(make -s -p -n -f Makefile B="$B" 2>/dev/null | sed -n 's/^LDLIBS_LIB := //p' | head -n 1)
[ -n "$LIBS" ] || LIBS="-lz -lbz2 -llzma -llz4 -lzstd -lm"
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT

# build_user_program OUT SOURCE [WHAT]: compiles SOURCE against the static library with -Werror;
# on failure prints the compiler's output, a FAIL line and a "0 passed, 1 failed" summary,
# and exits 1, so the suite's result counts the failure.
build_user_program() {
    if ! $CC -std=c11 -Wall -Wextra -Werror -Ilibjlpickle -o "$1" "$2" "$B/libjlpickle.a" $LIBS \
        2>"$work/cc.log"; then
        cat "$work/cc.log"
        echo "FAIL: ${3:-$2} does not build"
        echo "0 passed, 1 failed"
        exit 1
    fi
}
