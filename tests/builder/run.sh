#!/bin/sh
# tests/builder/run.sh [BUILD_DIR] - what the newer constructors (persistent ids,
# extension codes, NEWOBJ_EX, Fortran-ordered object arrays, attribute editing) write,
# loaded by Python: builds tests/builder/write.c as a user would and runs check.py.
# Prints "N passed, N failed" last. Run from the source root after `make`.
set -u
B=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
build_user_program "$work/write" tests/builder/write.c
mkdir "$work/out"
"$PYTHON" tests/builder/check.py "$work/write" "$work/out"
