#!/bin/sh
# fuzz/options.sh TARGET DICTDIR - print the libFuzzer flags that fuzz/TARGET.options asks
# for, one line, for fuzz/fuzz.mk. Run from the repository root.
#
# An options file has the format OSS-Fuzz uses: a [libfuzzer] section of `name = value`
# lines, each becoming -name=value (max_len, timeout, rss_limit_mb, dict, ...). Lines in
# other sections and comments (#, ;) are ignored. `dict` may name several dictionaries
# (file names relative to fuzz/, separated by spaces): they are concatenated into
# DICTDIR/TARGET.dict, since libFuzzer takes one -dict. A target without an options file
# gets -dict=fuzz/pickle.dict.
set -eu
t=$1
out=$2
f=fuzz/$t.options
if [ ! -f "$f" ]; then
    echo "-dict=fuzz/pickle.dict"
    exit 0
fi
flags=""
section=""
while IFS= read -r line || [ -n "$line" ]; do
    line=$(printf '%s' "$line" | sed -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//')
    case "$line" in
        ''|'#'*|';'*) continue ;;
        '['*']') section=$line; continue ;;
    esac
    [ "$section" = "[libfuzzer]" ] || continue
    key=$(printf '%s' "$line" | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*=.*$/\1/p')
    val=$(printf '%s' "$line" | sed -n 's/^[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=[[:space:]]*//p')
    if [ -z "$key" ]; then
        echo "fuzz/options.sh: $f: not 'name = value': $line" >&2
        exit 1
    fi
    if [ "$key" = dict ]; then
        mkdir -p "$out"
        : > "$out/$t.dict"
        for d in $val; do
            if [ ! -f "fuzz/$d" ]; then
                echo "fuzz/options.sh: $f: no dictionary fuzz/$d" >&2
                exit 1
            fi
            cat "fuzz/$d" >> "$out/$t.dict"
        done
        flags="$flags -dict=$out/$t.dict"
    else
        flags="$flags -$key=$val"
    fi
done < "$f"
echo "$flags"
