#!/bin/sh
# tests/views/run.sh [BUILD_DIR] [views.py options] - typed views (jlp_array_as) against
# numpy: builds tests/views/viewrun.c as a user would (cc, the static library) and runs
# tests/views/views.py with it (seed 1, 2000 random arrays unless options say otherwise).
# Prints "N passed, N failed" last. Run from the source root after `make`. PYTHON (default
# /usr/bin/python3), CC (default cc).
set -u
B=${1:-build}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
build_user_program "$work/viewrun" tests/views/viewrun.c
[ $# -eq 0 ] && set -- --seed 1 --cases 2000
"$PYTHON" tests/views/views.py --driver "$work/viewrun" "$@"
