#!/bin/sh
# tests/install/run.sh - `make install DESTDIR=...` installs a library that a program
# built with `pkg-config --cflags --libs libjlpickle` can use, shared and static; and
# `make uninstall` removes every installed file.
set -u
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

make -s install B="${B:-build}" DESTDIR="$dest" PREFIX=/usr >"$dest/log" 2>&1 || { cat "$dest/log"; bad "make install"; }
for f in usr/include/jlpickle.h usr/include/jlpickle_codec.h usr/include/jlpickle_scan.h usr/lib/libjlpickle.a usr/lib/libjlpickle.so \
         usr/lib/pkgconfig/libjlpickle.pc usr/bin/jlload usr/bin/jldump; do
    if [ -e "$dest/$f" ]; then ok; else bad "missing $f"; fi
done
export PKG_CONFIG_PATH="$dest/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
printf '\200\002}q\000X\001\000\000\000aK\001s.' >"$dest/t.pkl"
if cc -o "$dest/prog" tests/install/prog.c $(pkg-config --cflags --libs libjlpickle) 2>"$dest/log"; then
    out=$(LD_LIBRARY_PATH="$dest/usr/lib" "$dest/prog" "$dest/t.pkl" | head -n 1)
    if [ "$out" = '{"a":1}' ]; then ok; else bad "shared program printed '$out'"; fi
else
    cat "$dest/log"
    bad "build against the shared library"
fi
if cc -o "$dest/prog-static" tests/install/prog.c $(pkg-config --cflags libjlpickle) \
      "$dest/usr/lib/libjlpickle.a" $(pkg-config --libs-only-other --static libjlpickle) \
      $(pkg-config --static --libs libjlpickle | tr ' ' '\n' | grep -v -- '-ljlpickle' | tr '\n' ' ') 2>"$dest/log"; then
    out=$("$dest/prog-static" "$dest/t.pkl" | head -n 1)
    if [ "$out" = '{"a":1}' ]; then ok; else bad "static program printed '$out'"; fi
else
    cat "$dest/log"
    bad "build against the static library"
fi
make -s uninstall B="${B:-build}" DESTDIR="$dest" PREFIX=/usr >/dev/null 2>&1
left=$(find "$dest/usr" -type f 2>/dev/null | wc -l)
if [ "$left" -eq 0 ]; then ok; else bad "uninstall left $left files"; fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
