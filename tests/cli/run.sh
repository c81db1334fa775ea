#!/bin/sh
# tests/cli/run.sh BUILD_DIR - golden tests of the command-line tools: each case runs a
# command and compares its exact stdout, stderr and exit status with
# tests/cli/expected/NAME.{out,err,status}. Inputs are made here from printf and the
# codecs' own command-line tools. `UPDATE=1 sh tests/cli/run.sh build` rewrites the
# expected files (review the diff before committing).
set -u
B=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
exp=$here/expected
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

# check NAME STATUS CMD...: run CMD in $work, compare with the expected files; the
# exit status must also be STATUS.
check() {
    name=$1
    want=$2
    shift 2
    (cd "$work" && "$@") >"$work/$name.out" 2>"$work/$name.err"
    echo $? >"$work/$name.status"
    if [ -n "${UPDATE:-}" ]; then
        cp "$work/$name.out" "$work/$name.err" "$work/$name.status" "$exp/"
    fi
    ok=1
    if [ "$(cat "$work/$name.status")" != "$want" ]; then
        ok=0
        echo "FAIL $name: exit status $(cat "$work/$name.status"), expected $want"
    fi
    for k in out err status; do
        if ! cmp -s "$work/$name.$k" "$exp/$name.$k"; then
            ok=0
            echo "FAIL $name ($k differs)"
            diff "$exp/$name.$k" "$work/$name.$k" | head -n 10
        fi
    done
    if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

J=$(cd "$B" && pwd)/jlload
P2='\200\002}q\000(X\001\000\000\000aq\001]q\002(K\001K\002K\003eX\001\000\000\000sq\003X\005\000\000\000helloq\004u.'
printf "$P2" >"$work/small.pkl"
printf "$P2$P2" >"$work/two.pkl"
gzip -c -n "$work/small.pkl" >"$work/small.pkl.gz"
cat "$work/small.pkl.gz" "$work/small.pkl.gz" >"$work/two-members.gz"
xz -c "$work/small.pkl" >"$work/small.pkl.xz"
head -c 40 "$work/small.pkl.xz" >"$work/cut.xz"
bzip2 -c "$work/small.pkl" >"$work/small.pkl.bz2"
lz4 -q -c "$work/small.pkl" >"$work/small.pkl.lz4"
zstd -q -c "$work/small.pkl" >"$work/small.pkl.zst"
printf '\376\312\001\002' >"$work/unknown.bin"
: >"$work/empty.pkl"
printf '\200\002]q\000(K\001K\002' >"$work/nostop.pkl"
printf '\200\006N.' >"$work/proto6.pkl"
printf '\200\002h\005.' >"$work/memo.pkl"
printf '\200\004\225\005\000\000\000\000\000\000\000N.' >"$work/frame.pkl"

check json_small 0 "$J" --json small.pkl
check json_stdin 0 sh -c "\"$J\" --json - < small.pkl"
check json_all 0 "$J" --json --all two.pkl
check json_gzip 0 "$J" --json small.pkl.gz
check json_xz 0 "$J" small.pkl.xz
check json_bz2 0 "$J" small.pkl.bz2
check json_lz4 0 "$J" small.pkl.lz4
check json_zstd 0 "$J" small.pkl.zst
check json_mmap 0 "$J" --mmap small.pkl
check err_missing_file 1 "$J" --json nonexistent.pkl
check err_empty 1 "$J" empty.pkl
check err_unknown_format 1 "$J" unknown.bin
check err_no_stop 1 "$J" nostop.pkl
check err_proto6 1 "$J" proto6.pkl
check err_memo 1 "$J" memo.pkl
check err_frame 1 "$J" frame.pkl
check err_gzip_two_members 1 "$J" two-members.gz
check err_xz_truncated 1 "$J" cut.xz
check err_mmap_empty 1 "$J" --mmap empty.pkl
check usage_no_file 2 "$J"
check usage_bad_option 2 "$J" --frobnicate x
check usage_max_items 2 "$J" --max-items -3 x
check help 0 "$J" --help

echo "$pass passed, $fail failed"
[ $fail = 0 ]
