#!/bin/sh
# tools/demo.sh - what `make demo` runs: install missing Debian packages (as root; the
# list is .ci/run's), build, write a sample joblib file from C (examples/demo_model.c),
# look at it with jlinspect and jlload, and load it in Python when joblib is there.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
PYTHON=${PYTHON:-/usr/bin/python3}

# The package list lives in .ci/run only; take it from there.
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    PKGS=$(sed -n '/^PKGS="/,/"$/p' .ci/run | sed 's/^PKGS="//; s/"$//; s/\\$//' | tr '\n' ' ')
    missing=""
    for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        if [ "$(id -u)" -eq 0 ]; then
            echo "== installing:$missing"
            apt-get update
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
        else
            echo "== missing Debian packages (run as root, or bash .ci/run, to install):$missing"
        fi
    fi
fi

echo "== building"
make --no-print-directory B="$B" all
CODEC_LIBS=$(make --no-print-directory -s -p B="$B" -n all 2>/dev/null | sed -n 's/^CODEC_LIBS := //p' | head -n 1)
mkdir -p "$B/demo"
cc -std=c11 -O2 -Ilibjlpickle -o "$B/demo/demo_model" examples/demo_model.c "$B/libjlpickle.a" $CODEC_LIBS -lm
out="$B/demo/sample.joblib"

echo
echo "== $B/demo/demo_model $out        (a dict with arrays and a model, written from C)"
"$B/demo/demo_model" "$out"
echo
echo "== jlinspect $out"
"$B/jlinspect" "$out"
echo
echo "== jlinspect --safety $out"
"$B/jlinspect" --safety "$out" || true
echo
echo "== jlload --json $out"
"$B/jlload" --json "$out"
echo
echo "== jlload --get '/model/\$object/state/coef_' $out"
"$B/jlload" --get '/model/$object/state/coef_' "$out"

if [ -x "$PYTHON" ] && "$PYTHON" -c 'import joblib' 2>/dev/null; then
    echo
    echo "== $PYTHON: joblib.load('$out')"
    "$PYTHON" -W ignore -c 'import sys, joblib
d = joblib.load(sys.argv[1])
print(d)
if hasattr(d["model"], "predict"):
    print("model.predict(X):", d["model"].predict(d["X"]))' "$out" || true
else
    echo
    echo "== ($PYTHON with joblib not found: skipping the Python part)"
fi
