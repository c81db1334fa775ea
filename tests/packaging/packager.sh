#!/bin/sh
# tests/packaging/packager.sh [SOURCE_DIR] - a packager's build, from an unpatched tree:
# zstd left out and the tools linked against the shared library, once with the Makefile
#   make B=DIR WITH_ZSTD=no TOOLS_LINK=shared && make install DESTDIR=ROOT PREFIX=/usr
# and once with Meson (skipped without meson and ninja), warnings as errors
#   meson setup DIR -Dzstd=disabled -Dtools_link=shared --prefix=/usr --libdir=lib
#   meson install --destdir ROOT
# Each installed tree must hold the library (soname libjlpickle.so.0.MINOR, no libzstd
# among its NEEDED, only the public API exported), the tools using that library (no
# RPATH), a .pc without libzstd, the headers and man pages; its tools must load a gzip
# file and name zstd as CODEC_MISSING; a program built with its pkg-config must run.
# Then the two trees must be the same: the same files, identical headers, man pages and
# .pc, the same soname and exported symbols with their versions.
# Prints "N passed, N failed" last. Environment: CC (default cc), MAKE (default make),
# JOBS (default 2), PACKAGER_KEEP=1 keeps the work directory.
set -u
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
MAKE=${MAKE:-make}
JOBS=${JOBS:-2}
work=$(mktemp -d)
if [ -z "${PACKAGER_KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "# work directory: $work"; fi
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
    echo "FAIL $1"
    fail=$((fail + 1))
}
version=$(sed -n 's/^#define JLP_VERSION_STRING "\(.*\)"/\1/p' "$src/libjlpickle/jlpickle.h")
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
if [ "$major" = 0 ]; then sover=0.$minor; else sover=$major; fi

# Inputs: the same pickle ({"a": 1}) gzip- and zstd-compressed.
printf '\200\002}q\000X\001\000\000\000aK\001s.' >"$work/t.pkl"
gzip -c "$work/t.pkl" >"$work/t.pkl.gz"
have_zstd_cli=
if command -v zstd >/dev/null 2>&1; then
    zstd -q -c "$work/t.pkl" >"$work/t.pkl.zst" && have_zstd_cli=1
fi

# check_tree NAME ROOT: the installed tree ROOT (prefix /usr, libdir /usr/lib)
check_tree() {
    name=$1
    root=$2
    lib=$root/usr/lib
    for f in usr/include/jlpickle.h usr/include/jlpickle_codec.h usr/lib/libjlpickle.a \
             usr/lib/libjlpickle.so usr/lib/libjlpickle.so.$sover usr/lib/libjlpickle.so.$version \
             usr/lib/pkgconfig/libjlpickle.pc usr/bin/jlload usr/bin/jldump usr/bin/jlinspect \
             usr/share/man/man1/jlload.1 usr/share/man/man1/jldump.1 usr/share/man/man1/jlinspect.1; do
        [ -e "$root/$f" ] || bad "$name: $f is not installed"
    done
    [ "$(readlink "$lib/libjlpickle.so")" = "libjlpickle.so.$sover" ] &&
        [ "$(readlink "$lib/libjlpickle.so.$sover")" = "libjlpickle.so.$version" ] && ok ||
        bad "$name: the symlinks are libjlpickle.so -> $(readlink "$lib/libjlpickle.so"), libjlpickle.so.$sover -> $(readlink "$lib/libjlpickle.so.$sover")"
    needed=$(readelf -d "$lib/libjlpickle.so.$version" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    case " $needed" in
    *" libzstd"*) bad "$name: libjlpickle.so needs libzstd ($needed)" ;;
    *" libz.so"*) ok ;;
    *) bad "$name: libjlpickle.so does not need libz ($needed)" ;;
    esac
    sh "$here/exports.sh" "$lib/libjlpickle.so.$version" >"$work/exports.log" 2>&1 && ok ||
        { cat "$work/exports.log"; bad "$name: exports"; }
    for t in jlload jldump jlinspect; do
        d=$(readelf -d "$root/usr/bin/$t")
        echo "$d" | grep -q "(NEEDED).*\[libjlpickle.so.$sover\]" && ok || bad "$name: $t does not use libjlpickle.so.$sover"
        echo "$d" | grep -q -E '\((RPATH|RUNPATH)\)' && bad "$name: $t has an RPATH or RUNPATH" || ok
    done
    nm "$root/usr/bin/jlload" | grep -q ' T jlp_load$' && bad "$name: jlload holds a copy of jlp_load" || ok
    req=$(sed -n 's/^Requires.private: *//p' "$lib/pkgconfig/libjlpickle.pc")
    case " $req " in
    *" libzstd "*) bad "$name: libjlpickle.pc requires libzstd ($req)" ;;
    *) ok ;;
    esac
    # the tools, from the installed tree
    out=$(LD_LIBRARY_PATH=$lib "$root/usr/bin/jlload" --version 2>&1)
    echo "$out" | grep -q "^  zstd  not built in$" && ok || bad "$name: jlload --version says: $out"
    out=$(LD_LIBRARY_PATH=$lib "$root/usr/bin/jlload" --json "$work/t.pkl.gz" 2>&1)
    [ "$out" = '{"a":1}' ] && ok || bad "$name: jlload t.pkl.gz printed '$out'"
    if [ -n "$have_zstd_cli" ]; then
        LD_LIBRARY_PATH=$lib "$root/usr/bin/jlload" --json "$work/t.pkl.zst" >"$work/out" 2>"$work/err"
        rc=$?
        if [ "$rc" = 1 ] && [ ! -s "$work/out" ] &&
           grep -q "error at byte 0: CODEC_MISSING: .*zstd" "$work/err"; then ok; else
            bad "$name: jlload t.pkl.zst exited $rc: $(cat "$work/out" "$work/err")"
        fi
    fi
    # a program built with the installed .pc
    if command -v pkg-config >/dev/null 2>&1; then
        flags=$(PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root pkg-config --cflags --libs libjlpickle)
        if $CC -o "$work/prog" "$src/tests/install/prog.c" $flags 2>"$work/cc.log"; then
            out=$(LD_LIBRARY_PATH=$lib "$work/prog" "$work/t.pkl.gz" | head -n 1)
            [ "$out" = '{"a":1}' ] && ok || bad "$name: the pkg-config program printed '$out'"
        else
            cat "$work/cc.log"
            bad "$name: cannot build a program with pkg-config --cflags --libs libjlpickle ($flags)"
        fi
    fi
}

# The Makefile, out of tree in $work/make.
if (cd "$src" && $MAKE -s -j"$JOBS" B="$work/make" WITH_ZSTD=no TOOLS_LINK=shared all &&
    $MAKE -s B="$work/make" WITH_ZSTD=no TOOLS_LINK=shared PREFIX=/usr DESTDIR="$work/make-root" install) \
    >"$work/make.log" 2>&1; then
    ok
    check_tree make "$work/make-root"
else
    tail -n 30 "$work/make.log"
    bad "make WITH_ZSTD=no TOOLS_LINK=shared"
fi

# Meson, in $work/meson.
if command -v meson >/dev/null 2>&1 && command -v ninja >/dev/null 2>&1; then
    if meson setup "$work/meson" "$src" -Dzstd=disabled -Dtools_link=shared -Dtests=false \
           -Dwerror=true --prefix=/usr --libdir=lib >"$work/meson.log" 2>&1 &&
       meson compile -C "$work/meson" -j "$JOBS" >>"$work/meson.log" 2>&1 &&
       meson install -C "$work/meson" --destdir "$work/meson-root" >>"$work/meson.log" 2>&1; then
        ok
        check_tree meson "$work/meson-root"
        # the same result from both
        (cd "$work/make-root" && find . | sort) >"$work/make.files"
        (cd "$work/meson-root" && find . | sort) >"$work/meson.files"
        if diff "$work/make.files" "$work/meson.files" >"$work/files.diff"; then ok; else
            cat "$work/files.diff"
            bad "make and meson install different files"
        fi
        for f in usr/include/jlpickle.h usr/include/jlpickle_codec.h usr/lib/pkgconfig/libjlpickle.pc \
                 usr/share/man/man1/jlload.1 usr/share/man/man1/jldump.1 usr/share/man/man1/jlinspect.1; do
            if cmp -s "$work/make-root/$f" "$work/meson-root/$f"; then ok; else
                diff "$work/make-root/$f" "$work/meson-root/$f" | head -n 20
                bad "make and meson install different $f"
            fi
        done
        for r in make meson; do
            so=$work/$r-root/usr/lib/libjlpickle.so.$version
            { readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/soname \1/p'
              nm -D --defined-only "$so" | awk '$2 != "A" { print $2, $3 }' | sort; } >"$work/$r.abi"
        done
        if diff "$work/make.abi" "$work/meson.abi" >"$work/abi.diff"; then ok; else
            head -n 20 "$work/abi.diff"
            bad "make's and meson's libjlpickle.so differ in soname or exported symbols"
        fi
    else
        tail -n 30 "$work/meson.log"
        bad "meson -Dzstd=disabled -Dtools_link=shared"
    fi
else
    echo "meson: skipped (meson or ninja is not installed)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
