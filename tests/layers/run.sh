#!/bin/sh
# tests/layers/run.sh BUILD_DIR - the layer check on the library as built, and proof that
# it fails where it must:
#   1. tests/layers/check.sh passes on the library with the known-violations list;
#   2. with an empty list it reports every listed violation, no more (none once the
#      layering is done: it passes);
#   3. a probe file added to a copy of the tree, libjlpickle/common/probe.c, which
#      includes the VM's header and calls the writer, fails with exactly those two
#      messages;
#   4. numpy/ calling the unpickler again (the circle the layering removed) fails with
#      exactly the two messages that name it;
#   5. a listed violation that does not happen fails as a stale line.
# Prints "N passed, N failed" last. Run from the source root after `make`.
set -u
B=${1:-build}
CC=${CC:-cc}
cd "$(dirname "$0")/../.." || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
    echo "FAIL $1"
    fail=$((fail + 1))
}
known=tests/layers/known-violations.txt

# 1
if sh tests/layers/check.sh "$B" >"$work/out" 2>&1; then ok; else
    cat "$work/out"
    bad "layer check"
fi

# 2: every line of the list is a real violation, reported as such; with an empty list
#    the library has none left and the check passes without the list too
if sh tests/layers/check.sh -k /dev/null "$B" >"$work/out" 2>&1; then passed=yes; else passed=no; fi
listed=$(grep -c -E '^(call|include) ' "$known")
reported=$(grep -c -E '^FAIL upward (call|include): ' "$work/out")
expected=no
[ "$listed" = 0 ] && expected=yes
if [ "$reported" = "$listed" ] && [ $passed = $expected ]; then
    ok
else
    cat "$work/out"
    bad "with an empty list: $reported upward uses reported, $listed listed"
fi

# 3: a new upward call and include in a copy of the tree
mkdir -p "$work/src" "$work/b/libjlpickle/common"
cp -R libjlpickle "$work/src/"
cat >"$work/src/libjlpickle/common/probe.c" <<'EOF'
#include "../pickle/vm.h"
void jlp__layer_probe(void);
void jlp__layer_probe(void) { jlp__write(0, 0, 0, 0); }
EOF
(cd "$B" && find libjlpickle -name '*.o') | while read -r o; do
    mkdir -p "$work/b/$(dirname "$o")"
    ln -s "$(cd "$B" && pwd)/$o" "$work/b/$o"
done
# compiled as an object only: its call need not match jlp__write's real signature
printf 'void jlp__write(int, int, int, int);\nvoid jlp__layer_probe(void);\nvoid jlp__layer_probe(void) { jlp__write(0, 0, 0, 0); }\n' |
    $CC -x c -c -o "$work/b/libjlpickle/common/probe.o" - || bad "cannot compile the probe"
LAYERS_ROOT=$work/src sh tests/layers/check.sh "$work/b" >"$work/out" 2>&1 && bad "the probe passed"
cat >"$work/want" <<'EOF'
FAIL upward call: libjlpickle/common/probe.c (layer common) calls jlp__write, defined in libjlpickle/pickle/writer.c (layer pickle); common may use only common
FAIL upward include: libjlpickle/common/probe.c (layer common) includes libjlpickle/pickle/vm.h (layer pickle); common may use only common
EOF
grep '^FAIL' "$work/out" >"$work/got"
if cmp -s "$work/want" "$work/got"; then ok; else
    cat "$work/out"
    bad "the probe's report differs from the expected two lines"
fi

# 4 (in the same copy): the circle the layering removed comes back, numpy/ reporting
# through the unpickler
rm -f "$work/src/libjlpickle/common/probe.c" "$work/b/libjlpickle/common/probe.o"
printf '#include "../pickle/vm.h"\n' >"$work/src/libjlpickle/numpy/probe.c"
printf 'int jlp__vm_fail(int, int, const char *);\nvoid jlp__layer_probe(void);\nvoid jlp__layer_probe(void) { jlp__vm_fail(0, 0, ""); }\n' |
    $CC -x c -c -o "$work/b/libjlpickle/numpy/probe.o" - || bad "cannot compile the numpy probe"
LAYERS_ROOT=$work/src sh tests/layers/check.sh "$work/b" >"$work/out" 2>&1 && bad "the numpy probe passed"
cat >"$work/want" <<'EOF'
FAIL upward call: libjlpickle/numpy/probe.c (layer numpy) calls jlp__vm_fail, defined in libjlpickle/pickle/reader.c (layer pickle); numpy may use only common, codec, io, value, numpy
FAIL upward include: libjlpickle/numpy/probe.c (layer numpy) includes libjlpickle/pickle/vm.h (layer pickle); numpy may use only common, codec, io, value, numpy
EOF
grep '^FAIL' "$work/out" >"$work/got"
if cmp -s "$work/want" "$work/got"; then ok; else
    cat "$work/out"
    bad "the numpy probe's report differs from the expected two lines"
fi

# 5: a stale line
cp "$known" "$work/known"
echo "call libjlpickle/common/error.c jlp__write libjlpickle/pickle/writer.c" >>"$work/known"
sh tests/layers/check.sh -k "$work/known" "$B" >"$work/out" 2>&1 && bad "a stale line passed"
n=$(wc -l <"$work/known")
if grep -q "^FAIL $work/known:$n lists \"call libjlpickle/common/error.c jlp__write libjlpickle/pickle/writer.c\", which no longer happens: delete that line$" "$work/out" &&
    [ "$(grep -c '^FAIL' "$work/out")" = 1 ]; then ok; else
    cat "$work/out"
    bad "the stale line was not reported alone"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
