#!/bin/sh
# fuzz/ci.sh - the short fuzz run of CI (.ci/run calls it before `make check`): every
# target for FUZZ_SECONDS (default 20) seconds, about 3 minutes in all. When clang or its
# libFuzzer runtime is missing it prints one skip line and succeeds; a finding (crash,
# leak, timeout, OOM) fails it, with the libFuzzer log of the target in
# build/fuzz/logs/ and the input in build/fuzz/artifacts/<target>/.
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-20}
if ! command -v "${CLANG:-clang}" >/dev/null 2>&1; then
    echo "fuzz: skipped (no clang)"
    exit 0
fi
if ! make -s --no-print-directory -f fuzz/fuzz.mk check-runtime >/dev/null 2>&1; then
    echo "fuzz: skipped (clang's libFuzzer runtime not found: apt-get install libclang-rt-14-dev)"
    exit 0
fi
# A fixed seed (FUZZ_SEED, default 1): libFuzzer then walks the same mutations on every
# machine, and a slower one runs a prefix of them; a finding reproduces with the same seed.
if make --no-print-directory fuzz FUZZ_SECONDS="$secs" FUZZ_FLAGS="-seed=${FUZZ_SEED:-1}"; then
    echo "fuzz: every target ran $secs s without a finding"
else
    echo "fuzz: FOUND SOMETHING, see build/fuzz/logs/ and build/fuzz/artifacts/"
    exit 1
fi
