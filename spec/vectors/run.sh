#!/bin/sh
# spec/vectors/run.sh BUILD_DIR - run the conformance vectors of spec/FORMAT.md.
#
# For every NAME.bin beside this script, run `BUILD_DIR/jlload --trusted --json NAME.bin`
# (the library's own limits, which the vectors exercise, not the tools' budgets) and
#   - with NAME.json: the exit status must be 0 and stdout must equal NAME.json byte
#     for byte;
#   - with NAME.err (one line "CODE OFFSET"): the exit status must be 1, stdout empty,
#     and the first "FILE: error at byte N: CODE: ..." line of stderr must give that
#     CODE and N.
# The writer references (w_*.bin) are also rewritten with `BUILD_DIR/jldump` and the
# result must be byte-identical to the file joblib wrote.
# Prints one FAIL line per failure and "N passed, N failed" last; exits 1 on failure.
set -u
B=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
bdir=$(cd "$B" 2>/dev/null && pwd) || { echo "run.sh: no build directory '$B'"; echo "0 passed, 1 failed"; exit 1; }
J=$bdir/jlload
D=$bdir/jldump
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
}

for bin in "$here"/*.bin; do
    [ -f "$bin" ] || continue
    name=$(basename "$bin" .bin)
    "$J" --trusted --json "$bin" >"$tmp/out" 2>"$tmp/err"
    status=$?
    if [ -f "$here/$name.json" ]; then
        if [ "$status" -ne 0 ]; then
            bad "$name: exit status $status, expected 0: $(head -n 1 "$tmp/err")"
        elif ! cmp -s "$tmp/out" "$here/$name.json"; then
            bad "$name: output differs"
            echo "  expected: $(head -c 300 "$here/$name.json")"
            echo "  got:      $(head -c 300 "$tmp/out")"
        else
            ok
        fi
    elif [ -f "$here/$name.err" ]; then
        want=$(head -n 1 "$here/$name.err")
        got=$(sed -n 's/^.*: error at byte \([0-9][0-9]*\): \([A-Z0-9_][A-Z0-9_]*\): .*$/\2 \1/p' "$tmp/err" | head -n 1)
        if [ "$status" -ne 1 ]; then
            bad "$name: exit status $status, expected 1 ($want)"
        elif [ "$got" != "$want" ]; then
            bad "$name: error '$got', expected '$want': $(head -n 1 "$tmp/err")"
        elif [ -s "$tmp/out" ]; then
            bad "$name: printed output although it failed"
        else
            ok
        fi
    else
        bad "$name: neither $name.json nor $name.err"
    fi
    case $name in
    w_*)
        rm -f "$tmp/rewritten"
        if ! "$D" "$bin" "$tmp/rewritten" 2>"$tmp/derr"; then
            bad "$name (jldump rewrite): $(head -n 1 "$tmp/derr")"
        elif ! cmp -s "$bin" "$tmp/rewritten"; then
            bad "$name (jldump rewrite): not byte-identical to joblib's file ($(cmp "$bin" "$tmp/rewritten" 2>&1 | head -n 1))"
        else
            ok
        fi
        ;;
    esac
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
