#!/bin/sh
# tests/packaging/distcheck.sh TARBALL - what `make distcheck` runs on the release
# tarball of `make dist`: unpack it into a fresh directory (nothing of the source tree or
# its build around) and there
#   1. make -j2 check-quick                  (the Makefile, warnings as errors)
#   2. meson setup -Dwerror=true, meson test (Meson; skipped without meson and ninja)
#   3. tests/packaging/packager.sh on the unpacked tree: a packager's build of the
#      tarball as it is (zstd left out, tools linked against the shared library), with
#      both systems
# Prints each step's summary and "N passed, N failed" last, counting steps. JOBS
# (default 2) is the parallelism.
set -u
tarball=$(cd "$(dirname "${1:?usage: distcheck.sh TARBALL}")" && pwd)/$(basename "$1")
JOBS=${JOBS:-2}
MAKE=${MAKE:-make}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

name=$(basename "$tarball" .tar.gz)
if ! (cd "$work" && gzip -dc "$tarball" | tar -xf -); then
    echo "FAIL cannot unpack $tarball"
    echo "0 passed, 1 failed"
    exit 1
fi
dir=$work/$name
if [ ! -f "$dir/Makefile" ] || [ ! -f "$dir/meson.build" ]; then
    echo "FAIL $tarball does not unpack into $name/ with a Makefile and meson.build"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "== $name: make check-quick"
t0=$(date +%s)
if (cd "$dir" && $MAKE -j"$JOBS" check-quick) >"$work/make.log" 2>&1; then
    pass=$((pass + 1))
    echo "$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/make.log" | tail -n 1) ($(($(date +%s) - t0)) s)"
else
    tail -n 40 "$work/make.log"
    echo "FAIL make check-quick in the unpacked tarball"
    fail=$((fail + 1))
fi

if command -v meson >/dev/null 2>&1 && command -v ninja >/dev/null 2>&1; then
    echo "== $name: meson setup -Dwerror=true, meson test"
    t0=$(date +%s)
    if (cd "$dir" && meson setup build-meson -Dwerror=true && meson compile -C build-meson -j "$JOBS" &&
        meson test -C build-meson --num-processes "$JOBS" --print-errorlogs) >"$work/meson.log" 2>&1; then
        pass=$((pass + 1))
        echo "$(grep -E '^(Ok|Fail|Timeout): ' "$work/meson.log" | tr -s ' ' | tr '\n' ' ')($(($(date +%s) - t0)) s)"
    else
        tail -n 60 "$work/meson.log"
        echo "FAIL meson build or test in the unpacked tarball"
        fail=$((fail + 1))
    fi
else
    echo "meson: skipped (meson or ninja is not installed)"
fi

echo "== $name: packager build (WITH_ZSTD=no TOOLS_LINK=shared, meson -Dzstd=disabled)"
t0=$(date +%s)
if JOBS=$JOBS MAKE=$MAKE sh "$dir/tests/packaging/packager.sh" "$dir" >"$work/packager.log" 2>&1; then
    pass=$((pass + 1))
    echo "$(tail -n 1 "$work/packager.log") ($(($(date +%s) - t0)) s)"
else
    tail -n 40 "$work/packager.log"
    echo "FAIL the packager's build of the unpacked tarball"
    fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
