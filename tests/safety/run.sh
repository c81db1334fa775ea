#!/bin/sh
# tests/safety/run.sh B - the safety suite against B/jlinspect: the attack corpus, the
# benign corpus (committed files and a fresh sample) and the differential test against
# Python (tests/safety/check.py). Ends with "N passed, N failed". Called by tests/run.sh
# (make check); SAFETY_ARGS adds check.py options (make safety-campaign).
B=${1:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
cd "$(dirname "$0")/../.." || exit 1
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
# shellcheck disable=SC2086
exec "$PYTHON" tests/safety/check.py --build "$B" --python "$PYTHON" ${SAFETY_ARGS:-}
