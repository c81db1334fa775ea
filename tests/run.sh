#!/bin/sh
# tests/run.sh - run every test suite and add up their "N passed, N failed" lines.
# Called by `make check` (and `make asan` with SAN_ONLY=1). Environment:
#   B             build directory (build)
#   SAN_DIR       build directory of the ASan+UBSan pass (unit tests run again there)
#   PYTHON        Debian's python3 with joblib, numpy (optional: fresh golden sets)
#   FUZZ_TARGETS  fuzz targets whose corpus is replayed
#   SAN_KIND      tsan: the sanitizer pass is ThreadSanitizer's (make tsan)
#   QUICK         1: only the fast suites (make check-quick): no valgrind, fresh-Python,
#                 interop, differential or packager suites
set -u
B=${B:-build}
QUICK=${QUICK:-}
# the tools may be linked against build/libjlpickle.so (make TOOLS_LINK=shared)
LD_LIBRARY_PATH=$B${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
PYTHON=${PYTHON:-/usr/bin/python3}
total_pass=0
total_fail=0
total_skip=0
log=$(mktemp)
trap 'rm -f "$log"; rm -rf "${fresh:-}"' EXIT

# run LABEL CMD...: run a suite, take its last "N passed, N failed" line.
run() {
    label=$1
    shift
    "$@" >"$log" 2>&1
    status=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        cat "$log"
        echo "FAIL $label: exited $status without a summary"
        total_fail=$((total_fail + 1))
        return
    fi
    p=$(echo "$line" | sed 's/^\([0-9]*\) passed.*/\1/')
    f=$(echo "$line" | sed 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/')
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -ne 0 ]; then grep -v -E '^[0-9]+ passed' "$log" | head -n 60; fi
    printf '%-34s %s\n' "$label" "$line"
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}

skip() {
    printf '%-34s skipped: %s\n' "$1" "$2"
    total_skip=$((total_skip + 1))
}

if [ -z "${SAN_ONLY:-}" ]; then
    for t in "$B"/tests/test_*; do
        [ -x "$t" ] || continue
        run "$(basename "$t")" "$t"
    done
    # zlib, gzip and ZF streams are decoded by ISA-L where the library has it: the codec
    # and joblib suites run again with zlib's inflate, so both back ends pass them.
    for t in test_codec test_joblib; do
        [ -x "$B/tests/$t" ] && run "$t (zlib inflate)" env JLP_TEST_INFLATE=zlib "$B/tests/$t"
    done
    # The unit tests again under valgrind's memcheck (definite leaks are errors), with
    # JLP_QUICK=1 (fewer golden files and rounds) and without the stress tests that
    # would take most of valgrind's time (the ASan pass runs them). A test that measures
    # time (a ratio or a bound, through now_sec(), cpu_ratio(), clock_gettime, getrusage or clock()
    # in its own body) is left out as well: valgrind's slowdown is no property of the
    # library. Timing done in a helper must be named in vskip.
    if [ -n "$QUICK" ]; then
        skip "valgrind (unit tests)" "QUICK=1"
    elif command -v valgrind >/dev/null 2>&1; then
        for t in "$B"/tests/test_*; do
            [ -x "$t" ] || continue
            n=$(basename "$t")
            case $n in
            test_hostile) vskip='^c06_(200k|nested_tuples)' ;;
            test_codec) vskip='^decoded_size_and_ratio_budgets$' ;;
            test_pdeflate) vskip='^(round_trip_|headers_equal|a_failing_worker|freed_mid_stream)' ;;
            test_threads) vskip='^threads_(load|dump|export)_' ;; # threads_mixed_workload does all three
            test_writer) vskip='^write_failure_at_every_byte$' ;;
            test_archive_hostile) vskip='^zip_bombs$' ;;
            *) vskip= ;;
            esac
            timed=$(awk '/^TEST\(/ { t = $0; sub(/^TEST\(/, "", t); sub(/\).*/, "", t); next }
                /^}/ { t = "" }
                t != "" && /now_sec\(|cpu_ratio\(|clock_gettime|CLOCK_[A-Z]+|getrusage|[^_a-z]clock\(\)/ { print t }' \
                "tests/unit/$n.c" | sort -u | tr '\n' '|' | sed 's/|$//')
            [ -n "$timed" ] && vskip="${vskip:+$vskip|}^($timed)\$"
            names=
            [ -n "$vskip" ] && names=$(sed -n 's/^TEST(\([A-Za-z0-9_]*\)).*/\1/p' "tests/unit/$n.c" | grep -v -E "$vskip")
            if [ -n "$vskip" ] && [ -z "$names" ]; then # no names would run them all
                skip "valgrind $n" "every test is a stress or timing test"
                continue
            fi
            run "valgrind $n" env JLP_QUICK=1 valgrind -q --error-exitcode=99 --leak-check=full \
                --errors-for-leak-kinds=definite "$t" $names
        done
    else
        skip "valgrind (unit tests)" "valgrind is not installed"
    fi
    if [ -n "$QUICK" ]; then
        skip "fresh Python sets" "QUICK=1"
    elif "$PYTHON" -c 'import joblib' >/dev/null 2>&1; then
        fresh=$(mktemp -d)
        if "$PYTHON" tests/pickle/gen_pickles.py "$fresh" >"$log" 2>&1; then
            run "test_golden (fresh Python set)" env JLP_GOLDEN_DIR="$fresh" "$B"/tests/test_golden
        else
            cat "$log"
            echo "FAIL gen_pickles.py"
            total_fail=$((total_fail + 1))
        fi
        freshj=$(mktemp -d)
        if "$PYTHON" tests/joblib/gen_joblib.py "$freshj" >"$log" 2>&1; then
            run "test_joblib (fresh Python set)" env JLP_JOBLIB_DIR="$freshj" "$B"/tests/test_joblib
            run "test_joblib (fresh set, zlib inflate)" env JLP_JOBLIB_DIR="$freshj" JLP_TEST_INFLATE=zlib \
                "$B"/tests/test_joblib
        else
            cat "$log"
            echo "FAIL gen_joblib.py"
            total_fail=$((total_fail + 1))
        fi
        rm -rf "$freshj"
        freshn=$(mktemp -d)
        if "$PYTHON" tests/npy/gen_npy.py "$freshn" >"$log" 2>&1; then
            run "test_npy (fresh Python set)" env JLP_NPY_DIR="$freshn" "$B"/tests/test_npy golden_files
        else
            cat "$log"
            echo "FAIL gen_npy.py"
            total_fail=$((total_fail + 1))
        fi
        rm -rf "$freshn"
        if "$PYTHON" -c 'import torch, sklearn' >/dev/null 2>&1; then
            fresha=$(mktemp -d)
            if "$PYTHON" tests/archive/gen_archives.py "$fresha" >"$log" 2>&1; then
                run "test_archive (fresh Python set)" env JLP_ARCHIVE_DIR="$fresha" "$B"/tests/test_archive
            else
                cat "$log"
                echo "FAIL gen_archives.py"
                total_fail=$((total_fail + 1))
            fi
            rm -rf "$fresha"
            run "npz writes (numpy.load)" "$PYTHON" tests/archive/check_npz_writes.py "$B"
            run "torch weights_only allowlist safe in the scan" "$PYTHON" tests/archive/check_weights_only.py "$B"
        else
            skip "test_archive (fresh Python set)" "needs $PYTHON with torch and scikit-learn"
        fi
    else
        skip "test_golden (fresh Python set)" "needs $PYTHON with joblib"
        skip "test_joblib (fresh Python set)" "needs $PYTHON with joblib"
        skip "test_npy (fresh Python set)" "needs $PYTHON with joblib and numpy"
    fi
    if [ -f tests/cli/run.sh ]; then
        run "cli golden tests" sh tests/cli/run.sh "$B"
    fi
    run "spec vectors" sh spec/vectors/run.sh "$B"
    run "layer check" sh tests/layers/run.sh "$B"
    # the safety scan against its attack and benign corpora and against Python
    if [ -n "$QUICK" ]; then
        skip "safety (attacks, benign, pydiff)" "QUICK=1"
    else
        run "safety (attacks, benign, pydiff)" env PYTHON="$PYTHON" sh tests/safety/run.sh "$B"
    fi
    run "exports and soname" sh tests/packaging/exports.sh "$B/libjlpickle.so"
    run "make and meson agree" sh tests/packaging/consistency.sh
    if [ -f tests/interop/run.sh ] && [ -n "$QUICK" ]; then
        skip "interop (writer <-> Python)" "QUICK=1"
    elif [ -f tests/interop/run.sh ]; then
        if "$PYTHON" -c 'import joblib, numpy, sklearn' >/dev/null 2>&1; then
            run "interop (writer <-> Python)" env PYTHON="$PYTHON" sh tests/interop/run.sh "$B"
        else
            skip "interop (writer <-> Python)" "needs $PYTHON with joblib, numpy and scikit-learn"
        fi
    fi
    if [ -n "$QUICK" ]; then
        skip "differential test (Python oracle)" "QUICK=1"
    elif "$PYTHON" -c 'import joblib, numpy, lz4' >/dev/null 2>&1 && [ -x "$B/tests/diffrun" ]; then
        # the randomized differential test against Python, fixed seed (tests/diff/)
        run "differential test (Python oracle)" "$PYTHON" tests/diff/diff.py --driver "$B/tests/diffrun" \
            --seed 1 --cases 2000 --mutants 2000 --builds 500 --texts 300
    else
        skip "differential test (Python oracle)" "needs $PYTHON with joblib, numpy and lz4, and $B/tests/diffrun"
    fi
    # jlp_float_repr against repr(float): the edges and 40000 random doubles, and their negatives
    if [ -x "$B/tests/diffrun" ]; then
        run "float repr vs Python" "$PYTHON" tests/diff/float_repr_check.py --driver "$B/tests/diffrun" \
            --seed 1 --cases 40000
    else
        skip "float repr vs Python" "needs $B/tests/diffrun"
    fi
    # the load sweep's shapes and protocols (bench/sweep.py), small, against the reference reader
    if [ -n "$QUICK" ]; then
        skip "load sweep shapes (reference reader)" "QUICK=1"
    elif "$PYTHON" -c 'import joblib, numpy' >/dev/null 2>&1; then
        run "load sweep shapes (reference reader)" "$PYTHON" tests/diff/sweep_check.py "$B"
    else
        skip "load sweep shapes (reference reader)" "needs $PYTHON with joblib and numpy"
    fi
    # typed views (jlp_array_as) of random arrays against numpy's astype, fixed seed
    if "$PYTHON" -c 'import joblib, numpy' >/dev/null 2>&1; then
        run "typed views vs numpy" env PYTHON="$PYTHON" sh tests/views/run.sh "$B"
    else
        skip "typed views vs numpy" "needs $PYTHON with joblib and numpy"
    fi
    if "$PYTHON" -c 'import joblib, numpy, sklearn' >/dev/null 2>&1; then
        run "examples/sklearn_predict vs Python" sh tests/sklearn/run.sh "$B"
        run "builder output loaded by Python" sh tests/builder/run.sh "$B"
        run "README example vs Python" sh tests/readme/run.sh "$B"
    else
        skip "examples/sklearn_predict vs Python" "needs $PYTHON with joblib, numpy and scikit-learn"
        skip "builder output loaded by Python" "needs $PYTHON with joblib, numpy and scikit-learn"
        skip "README example vs Python" "needs $PYTHON with joblib, numpy and scikit-learn"
    fi
    if command -v pkg-config >/dev/null 2>&1; then
        run "install + pkg-config" env B="$B" sh tests/install/run.sh
    else
        skip "install + pkg-config" "needs pkg-config"
    fi
    if [ -n "$QUICK" ]; then
        skip "packager build (no zstd, shared)" "QUICK=1"
    else
        run "packager build (no zstd, shared)" sh tests/packaging/packager.sh
    fi
    for target in ${FUZZ_TARGETS:-}; do
        dirs=""
        for d in "fuzz/corpus/$target" "fuzz/regressions/$target"; do
            [ -d "$d" ] && dirs="$dirs $d"
        done
        [ -n "$dirs" ] && run "fuzz replay $target" "$B/fuzz_replay_$target" $dirs
        # fuzz_scan's splice properties must each fail with a harmless call spliced in
        [ "$target" = fuzz_scan ] && [ -n "$dirs" ] &&
            run "fuzz replay $target (harmless call)" env FUZZ_SCAN_HARMLESS=1 "$B/fuzz_replay_$target" $dirs
    done
fi

SAN=${SAN_DIR:-}
[ -n "${SAN_ONLY:-}" ] && SAN=$B
if [ -n "$SAN" ]; then
    for t in "$SAN"/tests/test_*; do
        [ -x "$t" ] || continue
        if [ "${SAN_KIND:-}" = tsan ]; then   # make tsan: ThreadSanitizer reports exit 66
            run "tsan $(basename "$t")" env TSAN_OPTIONS="${TSAN_OPTIONS:-second_deadlock_stack=1}" "$t"
        else
            run "asan+ubsan $(basename "$t")" env ASAN_OPTIONS=detect_leaks=1 "$t"
        fi
    done
    for target in ${FUZZ_TARGETS:-}; do
        [ -x "$SAN/fuzz_replay_$target" ] || continue
        dirs=""
        for d in "fuzz/corpus/$target" "fuzz/regressions/$target"; do
            [ -d "$d" ] && dirs="$dirs $d"
        done
        [ -n "$dirs" ] && run "asan+ubsan fuzz replay $target" "$SAN/fuzz_replay_$target" $dirs
    done
fi

if [ "$total_skip" -gt 0 ]; then
    echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
    echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
