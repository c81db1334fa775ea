#!/bin/sh
# tests/packaging/consistency.sh - the Makefile and meson.build build the same things.
# The Makefile finds its files by wildcard; Meson lists them. This compares, without
# building anything:
#   library sources   Makefile LIB_SRC         meson.build lib_sources
#   public headers    Makefile PUBLIC_HEADERS  meson.build public_headers
#   tool sources      Makefile TOOL_NAMES, TOOL_COMMON, MAN_PAGES
#                                              meson.build tool_names, tool_common,
#                                              install_man
#   unit tests        Makefile TEST_SRC        tests/meson.build unit_tests
#   fuzz targets      Makefile FUZZ_TARGETS    meson.build fuzz_targets
#   optional libs     codecs.mk CODEC_TABLE    meson.build optional_libs, and an option
#                                              of each one's lowercase NAME in
#                                              meson_options.txt
# and names, for each difference, the file and the list to add the missing entry to.
# Prints "N passed, N failed" last.
set -u
MAKE=${MAKE:-make}
cd "$(dirname "$0")/../.." || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

# mk VAR: the Makefile's VAR, one word a line (a make of its own: MAKEFLAGS inherited
# from an outer make would print "Entering directory" lines)
mk() {
    MAKEFLAGS= MAKELEVEL= $MAKE -s --no-print-directory "print-$1" >"$work/mk" 2>&1 || {
        cat "$work/mk"
        echo "FAIL make print-$1"
        echo "$pass passed, $((fail + 1)) failed"
        exit 1
    }
    tr ' ' '\n' <"$work/mk" | sed '/^$/d' | sort
}
# quoted FILE START: the '...' strings from the line of FILE matching START to the first
# line that ends with ")" or "]"
quoted() {
    awk -v start="$2" '
        !inlist && $0 ~ start { inlist = 1 }
        inlist {
            line = $0
            while (match(line, /\047[^\047]*\047/)) {
                print substr(line, RSTART + 1, RLENGTH - 2)
                line = substr(line, RSTART + RLENGTH)
            }
            if ($0 ~ /[\])][[:space:]]*$/) exit     # the line that closes the list
        }' "$1" | sort
}

# compare WHAT MAKE_LIST MESON_LIST MESON_PLACE MAKE_PLACE: one FAIL per difference
compare() {
    comm -23 "$2" "$3" | while read -r x; do
        echo "FAIL $1: $x is in $5 but not in $4: add it to $4"
    done >"$work/diff"
    comm -13 "$2" "$3" | while read -r x; do
        echo "FAIL $1: $4 has $x, which $5 has not: delete it from $4 (or add it to $5)"
    done >>"$work/diff"
    if [ -s "$work/diff" ]; then
        cat "$work/diff"
        fail=$((fail + $(wc -l <"$work/diff")))
    elif [ -s "$2" ]; then
        pass=$((pass + 1))
    else
        echo "FAIL $1: $5 is empty"
        fail=$((fail + 1))
    fi
}

mk LIB_SRC >"$work/a"
quoted meson.build '^lib_sources = files\(' >"$work/b"
compare "library sources" "$work/a" "$work/b" "meson.build's lib_sources" "the library (libjlpickle/*.c, libjlpickle/*/*.c)"

mk PUBLIC_HEADERS >"$work/a"
quoted meson.build '^public_headers = files\(' >"$work/b"
compare "public headers" "$work/a" "$work/b" "meson.build's public_headers" "the public headers (libjlpickle/jlpickle*.h)"

mk TOOL_COMMON >"$work/a"
quoted meson.build 'tool_common = files\(' >"$work/b"
compare "tool sources" "$work/a" "$work/b" "meson.build's tool_common" "the Makefile's TOOL_COMMON"

mk TOOL_NAMES >"$work/a"
quoted meson.build 'tool_names = \[' >"$work/b"
compare "tools" "$work/a" "$work/b" "meson.build's tool_names" "the Makefile's TOOL_NAMES"

mk MAN_PAGES >"$work/a"
quoted meson.build 'install_man\(' >"$work/b"
compare "man pages" "$work/a" "$work/b" "meson.build's install_man" "the man pages (tools/*.1)"

mk TEST_SRC | sed 's#^tests/unit/##; s#\.c$##' >"$work/a"
quoted tests/meson.build '^unit_tests = \[' >"$work/b"
compare "unit tests" "$work/a" "$work/b" "tests/meson.build's unit_tests" "the unit tests (tests/unit/test_*.c)"

mk FUZZ_TARGETS >"$work/a"
quoted meson.build '^fuzz_targets = \[' >"$work/b"
compare "fuzz targets" "$work/a" "$work/b" "meson.build's fuzz_targets" "the fuzz targets (fuzz/*.c but replay.c)"

# optional libraries: rows header:NAME:library:module on both sides
mk CODEC_TABLE >"$work/a"
awk '/^optional_libs = \[/ { inlist = 1; next }
     inlist && /^\]/ { exit }
     inlist && /\[/ {
        n = 0; line = $0; row = ""
        while (match(line, /\047[^\047]*\047/)) {
            row = row (n++ ? ":" : "") substr(line, RSTART + 1, RLENGTH - 2)
            line = substr(line, RSTART + RLENGTH)
        }
        sub(/:$/, "", row)
        print row
     }' meson.build | sort >"$work/b"
compare "optional libraries" "$work/a" "$work/b" "meson.build's optional_libs" "codecs.mk's CODEC_TABLE"
n0=$fail
while IFS=: read -r header name rest; do
    opt=$(echo "$name" | tr 'A-Z' 'a-z')
    grep -q "^option('$opt', type: 'feature'" meson_options.txt ||
        { echo "FAIL optional libraries: meson_options.txt has no feature option '$opt' for $header: add option('$opt', type: 'feature', value: 'auto', description: '...')"; fail=$((fail + 1)); }
done <"$work/a"
[ "$fail" = "$n0" ] && pass=$((pass + 1))

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
