#!/bin/sh
# tests/layers/check.sh [-k KNOWN] BUILD_DIR - the library's layers call downward only.
#
# Layer order, lowest first (a file may use its own layer and any lower one):
#
#   common <- codec <- io <- value <- numpy <- pickle <- archive, scan <- load/dump
#
# A file's layer is its directory under libjlpickle/; a source directly in libjlpickle/
# would be the top layer (there is none today: the entry points live in pickle/ and
# archive/), and the public headers libjlpickle/jlpickle*.h may be included from anywhere. Two kinds of use are derived, never declared:
#   call     from `nm` of each object BUILD_DIR/libjlpickle/**/*.o: an undefined symbol
#            of one object that another library object defines;
#   include  from the `#include "..."` lines of every libjlpickle/**/*.[ch].
# Any use of a higher layer fails unless the known-violations file (default
# tests/layers/known-violations.txt) lists it; a listed violation that no longer happens
# fails too, so the list can only shrink. Prints one line per failure and
# "N passed, N failed" last (one pass per source file without a new violation); exits 1
# on any failure. Run from the source root after `make`. NM overrides nm.
set -u
here=$(cd "$(dirname "$0")" && pwd)
known=$here/known-violations.txt
known_name=tests/layers/known-violations.txt
if [ "${1:-}" = "-k" ]; then
    known=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
    known_name=$2
    shift 2
fi
B=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "FAIL no build directory ${1:-build}"; echo "0 passed, 1 failed"; exit 1; }
NM=${NM:-nm}
# LAYERS_ROOT: the source tree to check (default: the one holding this script)
cd "${LAYERS_ROOT:-$here/../..}" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The layer table: directory under libjlpickle/ and its rank ("." is the top layer).
LAYERS="common:0 codec:1 io:2 value:3 numpy:4 pickle:5 archive:6 scan:6 .:7"

# The objects of today's sources only (an object left behind by a deleted source is
# not part of the library).
srcs=$(find libjlpickle -name '*.c' | sort)
missing=0
for src in $srcs; do
    if [ ! -f "$B/${src%.c}.o" ]; then
        echo "FAIL $B/${src%.c}.o is missing (run make first)"
        missing=$((missing + 1))
    fi
done
if [ "$missing" -ne 0 ]; then
    echo "0 passed, $missing failed"
    exit 1
fi

# uses.txt: "call SRC SYMBOL" for every undefined symbol, "def SRC SYMBOL" for every
# defined global one, "include SRC TARGET" for every quoted include (TARGET resolved to
# a path under libjlpickle/), "file SRC" for every source file.
for src in $srcs; do
    "$NM" -P "$B/${src%.c}.o" | awk -v src="$src" '
        $2 == "U" { print "call", src, $1; next }
        $2 ~ /^[A-TV-Z]$/ { print "def", src, $1 }'
done >"$work/uses.txt" || exit 2
find libjlpickle -name '*.[ch]' | sort | while read -r f; do
    echo "file $f"
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
        while read -r inc; do
            # resolve INC against the including file's directory
            p="$(dirname "$f")/$inc"
            while :; do
                q=$(printf '%s\n' "$p" | sed -e 's#/\./#/#g' -e 's#[^/][^/]*/\.\./##')
                [ "$q" = "$p" ] && break
                p=$q
            done
            echo "include $f $p"
        done
done >>"$work/uses.txt"

# known.txt: the listed violations, "call SRC SYMBOL DEFINER" / "include SRC TARGET",
# each with its line number.
if [ -e "$known" ]; then
    awk '!/^[[:space:]]*(#|$)/ { print FNR, $0 }' "$known" >"$work/known.txt"
else
    echo "FAIL known-violations file $known is missing"
    echo "0 passed, 1 failed"
    exit 1
fi

awk -v layers="$LAYERS" -v known="$known_name" -v knownf="$work/known.txt" '
function dir_of(path,    rest, n, parts) {
    rest = substr(path, length("libjlpickle/") + 1)
    n = split(rest, parts, "/")
    return n == 1 ? "." : parts[1]
}
function rank_of(d) { return (d in rank) ? rank[d] : -1 }
function lname(d) { return d == "." ? "load/dump" : d }
BEGIN {
    n = split(layers, l, " ")
    for (i = 1; i <= n; i++) { split(l[i], kv, ":"); rank[kv[1]] = kv[2] + 0 }
    while ((getline line < knownf) > 0) {
        split(line, f, " ")
        key = f[2] " " f[3] " " f[4] (f[2] == "call" ? " " f[5] : "")
        listed[key] = f[1]
    }
}
$1 == "def" { definer[$3] = $2; next }
$1 == "call" { calls[++ncalls] = $2 " " $3; next }
$1 == "include" { incs[++nincs] = $2 " " $3; next }
$1 == "file" { files[$2] = 1; nfiles++; next }
END {
    # every directory must have a layer
    for (s in files) {
        d = dir_of(s)
        if (rank_of(d) < 0 && !(d in unknown)) {
            unknown[d] = 1
            printf "FAIL libjlpickle/%s/ has no layer: add it to LAYERS in tests/layers/check.sh\n", d
            nfail++
        }
    }
    for (i = 1; i <= ncalls; i++) {
        split(calls[i], c, " ")
        src = c[1]; sym = c[2]
        if (!(sym in definer) || definer[sym] == src) continue
        to = definer[sym]
        from_d = dir_of(src); to_d = dir_of(to)
        if (rank_of(from_d) < 0 || rank_of(to_d) < 0) continue
        if (rank_of(to_d) <= rank_of(from_d)) continue
        key = "call " src " " sym " " to
        if (key in listed) { seen[key] = 1; continue }
        printf "FAIL upward call: %s (layer %s) calls %s, defined in %s (layer %s); %s may use only %s\n", \
            src, lname(from_d), sym, to, lname(to_d), lname(from_d), below(rank_of(from_d))
        bad[src] = 1; nfail++
    }
    for (i = 1; i <= nincs; i++) {
        split(incs[i], c, " ")
        src = c[1]; to = c[2]
        if (to ~ /^libjlpickle\/jlpickle[^\/]*\.h$/) continue    # the public headers
        if (to !~ /^libjlpickle\//) {
            printf "FAIL include outside the library: %s includes %s\n", src, to
            bad[src] = 1; nfail++
            continue
        }
        from_d = dir_of(src); to_d = dir_of(to)
        if (rank_of(from_d) < 0 || rank_of(to_d) < 0) continue
        if (rank_of(to_d) <= rank_of(from_d)) continue
        key = "include " src " " to
        if (key in listed) { seen[key] = 1; continue }
        printf "FAIL upward include: %s (layer %s) includes %s (layer %s); %s may use only %s\n", \
            src, lname(from_d), to, lname(to_d), lname(from_d), below(rank_of(from_d))
        bad[src] = 1; nfail++
    }
    for (key in listed) if (!(key in seen)) {
        printf "FAIL %s:%d lists \"%s\", which no longer happens: delete that line\n", known, listed[key], key
        nfail++
    }
    npass = 0
    for (s in files) if (!(s in bad)) npass++
    printf "%d passed, %d failed\n", npass, nfail + 0
    exit nfail > 0
}
function below(r,    d, s, i, k, names, m) {
    # the layers a file of rank r may use, in layer order
    m = 0
    for (k = 0; k <= r; k++) for (d in rank) if (rank[d] == k) names[++m] = lname(d)
    s = names[1]
    for (i = 2; i <= m; i++) s = s ", " names[i]
    return s
}' "$work/uses.txt"
