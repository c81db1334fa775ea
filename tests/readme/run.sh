#!/bin/sh
# tests/readme/run.sh [BUILD_DIR] - the C code of README.md's "Using the library" is
# compiled and run, so it cannot rot: the first ```c block of that section becomes the
# body of main() (its #include lines stay in front), built as a user would (cc, the
# static library, the Makefile's link libraries, -Werror), and tests/readme/check.py runs
# it where scikit-learn saved the files it opens (model.joblib, forest.joblib) and
# compares what it prints with Python's values. Prints "N passed, N failed" last. Run from
# the source root after `make`. PYTHON (default /usr/bin/python3), CC (default cc).
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
awk '/^## Using the library/ { s = 1 } s && /^```c$/ { c = 1; next } c && /^```$/ { exit } c { print }' \
    README.md >"$work/snippet.c"
if [ ! -s "$work/snippet.c" ]; then
    echo "FAIL: no \`\`\`c block under README.md's \"## Using the library\""
    echo "0 passed, 1 failed"
    exit 1
fi
{
    grep '^#include' "$work/snippet.c"
    echo 'int main(void) {'
    grep -v '^#include' "$work/snippet.c"
    echo 'return 0;'
    echo '}'
} >"$work/readme.c"
if ! $CC -std=c11 -Wall -Wextra -Werror -Ilibjlpickle -o "$work/readme" "$work/readme.c" \
    "$B/libjlpickle.a" $LIBS 2>"$work/cc.log"; then
    cat "$work/cc.log"
    echo "FAIL: README.md's example does not build"
    echo "0 passed, 1 failed"
    exit 1
fi
"$PYTHON" tests/readme/check.py "$work/readme" "$work"
