#!/bin/sh
# tests/packaging/exports.sh SHARED_LIBRARY - the shared library exports the public API,
# all of it and nothing else, under the version script's symbol versions and the soname
# the version policy gives:
#   - every function declared JLP_API in libjlpickle/jlpickle*.h is listed in
#     libjlpickle/libjlpickle.map, and the map lists nothing else;
#   - the library's dynamic symbols are exactly the map's, each with the version of the
#     node that lists it (jlp_load@@JLPICKLE_0.1);
#   - before 1.0 the map has the one node JLPICKLE_0.MINOR, and the soname is
#     libjlpickle.so.0.MINOR (libjlpickle.so.MAJOR from 1.0 on).
# Prints one FAIL line per problem and "N passed, N failed" last. CC (default cc)
# preprocesses the headers; NM and READELF override the binutils.
set -u
lib=${1:?usage: exports.sh SHARED_LIBRARY}
CC=${CC:-cc}
NM=${NM:-nm}
READELF=${READELF:-readelf}
cd "$(dirname "$0")/../.." || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
map=libjlpickle/libjlpickle.map
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
    echo "FAIL $1"
    fail=$((fail + 1))
}

# The JLP_API declarations, as the compiler sees them: JLP_API expands to the
# visibility attribute, and the name is the last identifier before "(" or ";".
for h in libjlpickle/jlpickle*.h; do printf '#include "%s"\n' "$(basename "$h")"; done |
    $CC -E -P -Ilibjlpickle -x c - >"$work/pp" || { bad "cannot preprocess the public headers"; echo "$pass passed, $fail failed"; exit 1; }
tr '\n' ' ' <"$work/pp" | sed 's/__attribute__((visibility("default")))/\
@API@/g' | sed -n 's/^@API@\([^(;]*\)[(;].*/\1/p' |
    sed 's/[[:space:]]*$//; s/.*[^A-Za-z0-9_]//' | sort >"$work/api"
[ -s "$work/api" ] || bad "no JLP_API declaration found in libjlpickle/jlpickle*.h"

# The map: "NODE SYMBOL" for every global, in the order of the file.
sed 's#/\*.*\*/##' "$map" | awk '
    /\/\*/ { incomment = 1 }
    incomment { if ($0 ~ /\*\//) incomment = 0; next }
    /^[A-Za-z_][A-Za-z0-9_.]*[[:space:]]*\{/ { node = $1; sub(/\{.*/, "", node); next }
    /^[[:space:]]*(global|local):/ { scope = $1; next }
    scope == "global:" && /^[[:space:]]+[A-Za-z_][A-Za-z0-9_]*;/ {
        s = $1; sub(/;.*/, "", s); print node, s }' >"$work/map"
awk '{print $2}' "$work/map" | sort >"$work/mapsyms"

comm -23 "$work/api" "$work/mapsyms" | while read -r s; do
    echo "FAIL $s is declared JLP_API but $map does not list it: add \"    $s;\" to the newest node of $map"
done >"$work/f1"
comm -13 "$work/api" "$work/mapsyms" | while read -r s; do
    echo "FAIL $map lists $s, which no public header declares JLP_API: delete it from $map"
done >>"$work/f1"
if [ -s "$work/f1" ]; then
    cat "$work/f1"
    fail=$((fail + $(wc -l <"$work/f1")))
else
    ok
fi
dups=$(sort "$work/mapsyms" | uniq -d)
[ -z "$dups" ] && ok || bad "$map lists more than once: $dups"

# The dynamic symbols the library defines, "SYMBOL VERSION".
if ! "$NM" -D --defined-only "$lib" >"$work/nm" 2>&1; then
    cat "$work/nm"
    bad "nm -D $lib"
fi
awk '$2 != "A" && $3 != "" { print $3 }' "$work/nm" | sed 's/@@*/ /' | sort >"$work/dyn"
awk '{print $1}' "$work/dyn" | sort >"$work/dynsyms"
comm -13 "$work/dynsyms" "$work/mapsyms" | while read -r s; do
    echo "FAIL $lib does not export $s, which $map lists (is it defined, and not static?)"
done >"$work/f2"
comm -23 "$work/dynsyms" "$work/mapsyms" | while read -r s; do
    echo "FAIL $lib exports $s, which $map does not list"
done >>"$work/f2"
awk 'NR == FNR { node[$2] = $1; next }
     ($1 in node) && $2 != node[$1] { printf "FAIL %s has version %s, not %s\n", $1, $2 == "" ? "none" : $2, node[$1] }' \
    "$work/map" "$work/dyn" >>"$work/f2"
if [ -s "$work/f2" ]; then
    cat "$work/f2"
    fail=$((fail + $(wc -l <"$work/f2")))
else
    pass=$((pass + $(wc -l <"$work/dyn")))
fi

# The version policy: soname and version nodes.
version=$(sed -n 's/^#define JLP_VERSION_STRING "\(.*\)"/\1/p' libjlpickle/jlpickle.h)
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
if [ "$major" = 0 ]; then sover=0.$minor; else sover=$major; fi
soname=$("$READELF" -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$soname" = "libjlpickle.so.$sover" ] && ok || bad "soname is '$soname', the version policy gives libjlpickle.so.$sover for $version"
nodes=$(awk '{print $1}' "$work/map" | sort -u | tr '\n' ' ')
if [ "$major" = 0 ]; then
    [ "$nodes" = "JLPICKLE_0.$minor " ] && ok || bad "$map has the nodes '$nodes'; before 1.0 it has the one node JLPICKLE_0.$minor"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
