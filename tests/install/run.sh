#!/bin/sh
# tests/install/run.sh - `make install DESTDIR=...` installs a library that a program
# built with `pkg-config --cflags --libs libjlpickle` can use, shared and static; and
# `make uninstall` removes every installed file. A second install from the same build
# with another PREFIX and LIBDIR installs a .pc naming them (it is made again, not the
# first one's). A packager's flags reach the commands of a plain build (`make -n` of a
# fresh build directory): CPPFLAGS on every compile, LDFLAGS on every link before the
# first object, and no -Werror (only make check adds it).
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
got=$(PKG_CONFIG_PATH="$dest/usr/lib/pkgconfig" pkg-config --variable=prefix libjlpickle 2>&1)
[ "$got" = /usr ] && ok || bad "make install PREFIX=/usr installed a .pc whose prefix is $got"
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

# the same build installed again under another prefix: the .pc follows
make -s install B="${B:-build}" DESTDIR="$dest/two" PREFIX=/opt/jlp LIBDIR=/opt/jlp/lib64 >"$dest/log" 2>&1 ||
    { cat "$dest/log"; bad "make install PREFIX=/opt/jlp"; }
pc=$dest/two/opt/jlp/lib64/pkgconfig/libjlpickle.pc
got="$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR= pkg-config --variable=prefix libjlpickle 2>&1) $(
        PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR= pkg-config --variable=libdir libjlpickle 2>&1)"
if [ "$got" = "/opt/jlp /opt/jlp/lib64" ]; then ok; else
    bad "make install PREFIX=/opt/jlp LIBDIR=/opt/jlp/lib64 installed a .pc whose prefix and libdir are: $got"
fi

# a packager's CPPFLAGS and LDFLAGS, and no -Werror, in a plain build's commands: a make
# of its own, not a child of make check's (whose MAKEFLAGS name a jobserver this shell
# does not hold, and whose WERROR is in the environment)
cc_name=$( (unset MAKEFLAGS MFLAGS MAKELEVEL WERROR; make -s --no-print-directory print-CC) )
(unset MAKEFLAGS MFLAGS MAKELEVEL WERROR
 make -n --no-print-directory B="$dest/flags" CPPFLAGS=-DJLP_PROBE_CPPFLAGS LDFLAGS=-Wl,-O1,--probe-ldflags all) 2>/dev/null |
    sed -e ':a' -e '/\\$/{N' -e 's/\\\n//' -e 'ba' -e '}' >"$dest/cmds"
awk -v cc="$cc_name" '
$1 != cc { next }
/ -c / { compiles++; if ($0 !~ / -DJLP_PROBE_CPPFLAGS /) { print "FAIL CPPFLAGS missing: " substr($0, 1, 160); bad++ } }
!/ -c / {
    links++
    for (i = 2; i <= NF; i++) {
        if ($i == "-Wl,-O1,--probe-ldflags") break
        if ($i ~ /\.(o|c|a)$/) { print "FAIL LDFLAGS after an input: " substr($0, 1, 160); bad++; break }
    }
    if (i > NF) { print "FAIL LDFLAGS missing: " substr($0, 1, 160); bad++ }
}
/-Werror/ { print "FAIL -Werror in a plain build: " substr($0, 1, 160); bad++ }
END {
    if (compiles < 40 || links < 4) { printf "FAIL only %d compiles and %d links seen\n", compiles, links; bad++ }
    exit bad > 0
}' "$dest/cmds" >"$dest/flags.out"
if [ $? -eq 0 ]; then ok; else cat "$dest/flags.out"; bad "packager flags"; fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
