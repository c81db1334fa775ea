#!/bin/sh
# tests/packaging/matrix.sh [SOURCE_DIR] - the build matrix (`make matrix`; a campaign,
# not part of make check: about 30 builds). For each compiler, each build system and
# each configuration, an out-of-tree build with warnings as errors, then:
#   all      every optional library, tools static: the fast test suite (make
#            check-quick, or meson test)
#   shared   every optional library, tools linked against libjlpickle.so
#   no-NAME  one optional library left out (WITH_NAME=no, -Dname=disabled), tools shared
# and for every configuration: the exports check, and jlload on the same pickle
# compressed by each codec's own tool, which must print it, or fail with
# "error at byte 0: CODEC_MISSING" exactly when that codec's library is left out.
# Environment: COMPILERS (default "gcc clang"), SYSTEMS ("make meson"), CONFIGS (all,
# shared and no-NAME for each optional library), JOBS (2). Prints one line per build and
# "N passed, N failed" last.
set -u
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
JOBS=${JOBS:-2}
MAKE=${MAKE:-make}
COMPILERS=${COMPILERS:-gcc clang}
SYSTEMS=${SYSTEMS:-make meson}
names=$(cd "$src" && MAKEFLAGS= $MAKE -s --no-print-directory print-CODEC_TABLE | tr ' ' '\n' |
    awk -F: 'NF { print tolower($2) }')
CONFIGS=${CONFIGS:-all shared $(for n in $names; do printf 'no-%s ' "$n"; done)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

# The pickle {"a": 1}, and one file per codec made by the codec's own tool:
# "CODEC FILE" lines (the codec is what jlload --version calls it).
printf '\200\002}q\000X\001\000\000\000aK\001s.' >"$work/t.pkl"
: >"$work/inputs"
add_input() { # CODEC TOOL-COMMAND...
    codec=$1
    shift
    command -v "$1" >/dev/null 2>&1 || return 0
    "$@" <"$work/t.pkl" >"$work/t.$codec" 2>/dev/null && echo "$codec $work/t.$codec" >>"$work/inputs"
}
add_input gzip gzip -c
add_input bz2 bzip2 -c
add_input xz xz -c
add_input lzma xz --format=lzma -c
add_input lz4 lz4 -c
add_input zstd zstd -q -c
python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))' \
    <"$work/t.pkl" >"$work/t.zlib" 2>/dev/null && echo "zlib $work/t.zlib" >>"$work/inputs"

# the codecs (as jlload --version names them) an optional library provides
codecs_of() {
    case $1 in
    zlib) echo "zlib gzip" ;;
    lzma) echo "lzma xz" ;;
    isal) echo "" ;;   # an accelerator only: zlib still decodes
    *) echo "$1" ;;
    esac
}

# try_build DIR CC SYSTEM CONFIG: build and install into DIR/root; 0 on success
try_build() {
    d=$1 cc=$2 sys=$3 conf=$4
    link=shared
    [ "$conf" = all ] && link=static
    off=
    case $conf in no-*) off=${conf#no-} ;; esac
    if [ "$sys" = make ]; then
        with=
        [ -n "$off" ] && with="WITH_$(echo "$off" | tr 'a-z' 'A-Z')=no"
        (cd "$src" && MAKEFLAGS= $MAKE -s -j"$JOBS" B="$d/b" CC="$cc" WERROR=-Werror TOOLS_LINK=$link $with all) \
            >"$d/build.log" 2>&1 || return 1
        if [ "$conf" = all ]; then
            (cd "$src" && MAKEFLAGS= $MAKE -s -j"$JOBS" B="$d/b" CC="$cc" TOOLS_LINK=$link check-quick) \
                >"$d/test.log" 2>&1 || { echo "make check-quick:"; tail -n 40 "$d/test.log"; return 1; }
            grep -E '^[0-9]+ passed' "$d/test.log" | tail -n 1 >"$d/summary"
        fi
        so=$d/b/libjlpickle.so
    else
        opt=
        [ -n "$off" ] && opt="-D$off=disabled"
        CC=$cc meson setup "$d/b" "$src" -Dwerror=true -Dtools_link=$link $opt \
            $( [ "$conf" = all ] || echo -Dtests=false ) >"$d/build.log" 2>&1 &&
            meson compile -C "$d/b" -j "$JOBS" >>"$d/build.log" 2>&1 || return 1
        if [ "$conf" = all ]; then
            meson test -C "$d/b" --num-processes "$JOBS" --print-errorlogs >"$d/test.log" 2>&1 ||
                { echo "meson test:"; tail -n 40 "$d/test.log"; return 1; }
            grep -E '^(Ok|Fail): ' "$d/test.log" | tr -s ' ' | tr '\n' ' ' >"$d/summary"
        fi
        so=$d/b/libjlpickle.so
    fi
    sh "$here/exports.sh" "$so" >"$d/exports.log" 2>&1 || { cat "$d/exports.log"; return 1; }
    # every codec's input: loaded, or CODEC_MISSING when its library is off
    missing=$( [ -n "$off" ] && codecs_of "$off" )
    while read -r codec file; do
        LD_LIBRARY_PATH=$d/b "$d/b/jlload" --json "$file" >"$d/out" 2>"$d/err"
        rc=$?
        case " $missing " in
        *" $codec "*)
            [ "$rc" = 1 ] && grep -q "error at byte 0: CODEC_MISSING" "$d/err" ||
                { echo "$codec input: exit $rc, $(cat "$d/out" "$d/err"), expected CODEC_MISSING"; return 1; } ;;
        *)
            [ "$rc" = 0 ] && [ "$(cat "$d/out")" = '{"a":1}' ] ||
                { echo "$codec input: exit $rc, $(cat "$d/out" "$d/err")"; return 1; } ;;
        esac
    done <"$work/inputs"
    for c in $missing; do
        LD_LIBRARY_PATH=$d/b "$d/b/jlload" --version | grep -q "^  $c *not built in$" ||
            { echo "jlload --version does not say $c is not built in"; return 1; }
    done
    if [ "$link" = shared ]; then
        readelf -d "$d/b/jlload" | grep -q 'NEEDED.*libjlpickle\.so' ||
            { echo "jlload is not linked against libjlpickle.so"; return 1; }
    fi
    return 0
}

for cc in $COMPILERS; do
    command -v "$cc" >/dev/null 2>&1 || { echo "skip $cc: not installed"; continue; }
    for sys in $SYSTEMS; do
        if [ "$sys" = meson ] && ! command -v meson >/dev/null 2>&1; then
            echo "skip meson: not installed"
            continue
        fi
        for conf in $CONFIGS; do
            d=$work/$cc-$sys-$conf
            mkdir -p "$d"
            t0=$(date +%s)
            if try_build "$d" "$cc" "$sys" "$conf" >"$d/why" 2>&1; then
                pass=$((pass + 1))
                printf 'ok   %-6s %-6s %-10s %4ss %s\n' "$cc" "$sys" "$conf" "$(($(date +%s) - t0))" \
                    "$(cat "$d/summary" 2>/dev/null)"
            else
                fail=$((fail + 1))
                printf 'FAIL %-6s %-6s %-10s\n' "$cc" "$sys" "$conf"
                sed 's/^/     /' "$d/why"
                tail -n 20 "$d/build.log" | sed 's/^/     /'
            fi
            rm -rf "$d/b"
        done
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
