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
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
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
build_user_program "$work/readme" "$work/readme.c" "README.md's example"
"$PYTHON" tests/readme/check.py "$work/readme" "$work"
