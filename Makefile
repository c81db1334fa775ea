# libjlpickle - the Makefile (meson.build builds the same library, .pc, tools and man
# pages; tests/packaging/ compares the two).
#
#   make            static + shared library and the tools (build/)
#   make check      every test with warnings as errors, the unit tests again under
#                   ASan+UBSan, the fuzz corpus replay; ends with "N passed, N failed"
#   make check-quick  the fast subset: unit, CLI, vector, layer and packaging tests only
#   make asan       the tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make tsan       the unit tests (test_threads above all) under ThreadSanitizer
#   make fuzz       libFuzzer targets (clang), each run FUZZ_SECONDS seconds
#   make diff-campaign  the differential test against Python, N cases, a new SEED
#   make bench      side-by-side benchmarks against Python (bench/results/)
#   make safety-campaign  the safety suite at scale: every benign object, N pydiff cases
#                   (default 50000) and SPARSE_N random sparse tensors (default 3000)
#                   with seed SEED (default: the clock)
#   make install    PREFIX DESTDIR LIBDIR INCLUDEDIR BINDIR MANDIR
#   make dist       build/libjlpickle-VERSION.tar.gz from git HEAD; make distcheck builds
#                   and tests that tarball with this Makefile and with Meson
#   make matrix     gcc/clang x make/Meson x each optional library off x static/shared
#   make uninstall / make clean
#
# Packagers: CC, CPPFLAGS, CFLAGS, LDFLAGS and LDLIBS are honoured (CFLAGS after the
# project's flags, LDFLAGS before the objects, LDLIBS after them). WITH_<NAME>=auto|yes|no
# picks each optional library (WITH_ZLIB, WITH_BZ2, WITH_LZMA, WITH_LZ4, WITH_ZSTD,
# WITH_ISAL: the rows of codecs.mk), TOOLS_LINK=shared links the tools against
# libjlpickle.so, WERROR=-Werror turns warnings into errors (make check always does).

VERSION := $(shell sed -n 's/^\#define JLP_VERSION_STRING "\(.*\)"/\1/p' libjlpickle/jlpickle.h)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
# The soname policy (CONTRIBUTING.md): before 1.0 every 0.MINOR may break the ABI, so the
# soname is libjlpickle.so.0.MINOR; from 1.0 it is libjlpickle.so.MAJOR.
SOVERSION := $(if $(filter 0,$(VERSION_MAJOR)),0.$(VERSION_MINOR),$(VERSION_MAJOR))

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PYTHON ?= /usr/bin/python3

CC ?= cc
# The warning set is the style policy (after lz4's): everything that catches real bugs.
WARNINGS := -Wall -Wextra -Wshadow -Wcast-qual -Wcast-align -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wundef -Wvla -Wformat=2
CSTD := -std=c11
DEFS := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT ?= -O2 -g
CPPFLAGS ?=
CFLAGS ?=
LDFLAGS ?=
LDLIBS ?=
# Warnings are errors in make check and CI only: a newer compiler's new warning must not
# stop someone from building a release.
WERROR ?=
# The parallel deflate runs worker threads.
THREADS := -pthread
# Codecs: each optional library is compiled in when found (codecs.mk, WITH_<NAME>);
# JLP_CODECS=none builds without any unless a WITH_<NAME> says otherwise.
JLP_CODECS ?= auto
CODEC_CC := $(CC)
CODEC_SELECT := $(JLP_CODECS)
include codecs.mk
ALL_CPPFLAGS = $(DEFS) $(CODEC_DEFS) $(CODEC_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(CSTD) $(OPT) $(WARNINGS) $(WERROR) $(THREADS) -fvisibility=hidden -fPIC $(CFLAGS)
# What libjlpickle.a needs after it on a link line (libjlpickle.pc has the same).
LDLIBS_LIB := $(CODEC_LIBS) -lm $(THREADS)
# Only the symbols of libjlpickle/libjlpickle.map are exported, with its versions.
VERSION_SCRIPT := libjlpickle/libjlpickle.map
# TOOLS_LINK=shared: jlload, jldump and jlinspect use libjlpickle.so (run them from build/
# with LD_LIBRARY_PATH=build, or install them); static (default): libjlpickle.a.
TOOLS_LINK ?= static

B := build
# `make V=1` shows whole command lines.
Q := $(if $(V),,@)
LIB_SRC := $(sort $(wildcard libjlpickle/*.c libjlpickle/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
TOOL_NAMES := jlload jldump jlinspect
TOOL_COMMON := tools/cli.c tools/json_in.c tools/npy.c tools/from_json.c
TOOLS := $(TOOL_NAMES:%=$(B)/%)
MAN_PAGES := $(wildcard tools/*.1)
PUBLIC_HEADERS := $(wildcard libjlpickle/jlpickle*.h)
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BINS := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)

STATIC := $(B)/libjlpickle.a
SHARED := $(B)/libjlpickle.so.$(VERSION)
ifeq ($(TOOLS_LINK),shared)
TOOL_LIB := $(SHARED)
TOOL_LDLIBS := -lm
else ifeq ($(TOOLS_LINK),static)
TOOL_LIB := $(STATIC)
TOOL_LDLIBS := $(LDLIBS_LIB)
else
$(error TOOLS_LINK=$(TOOLS_LINK): use static or shared)
endif

.PHONY: all lib tools check check-quick check-build asan test-run fuzz fuzz-replay bench \
        install uninstall clean demo dist distcheck matrix safety-campaign FORCE print-%

all: lib tools

lib: $(STATIC) $(SHARED)

# build-flags holds every flag that shapes an object or a link; it changes (and so
# everything is rebuilt) exactly when one of them does, e.g. between `make` and
# `make check`, which adds -Werror.
BUILD_FLAGS = $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) | $(LDFLAGS) | $(LDLIBS_LIB) $(LDLIBS) | tools $(TOOLS_LINK)
$(B)/build-flags: FORCE
	@mkdir -p $(B)
	@printf '%s\n' '$(subst ','\'',$(BUILD_FLAGS))' >$@.new; \
	 if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

$(B)/%.o: %.c $(wildcard libjlpickle/*.h libjlpickle/*/*.h) $(B)/build-flags
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJ) $(VERSION_SCRIPT)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libjlpickle.so.$(SOVERSION) \
	  -Wl,--version-script=$(VERSION_SCRIPT) -o $@ $(LIB_OBJ) $(LDLIBS_LIB) $(LDLIBS)
	$(Q)ln -sf libjlpickle.so.$(VERSION) $(B)/libjlpickle.so.$(SOVERSION)
	$(Q)ln -sf libjlpickle.so.$(SOVERSION) $(B)/libjlpickle.so

tools: $(TOOLS)

$(B)/%: tools/%.c $(TOOL_COMMON) tools/cli.h $(TOOL_LIB) $(B)/build-flags
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Ilibjlpickle $(LDFLAGS) -o $@ $< $(TOOL_COMMON) \
	  $(TOOL_LIB) $(TOOL_LDLIBS) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/harness.h tests/unit/util.h $(STATIC) $(B)/build-flags
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Ilibjlpickle $(LDFLAGS) -o $@ $< $(STATIC) $(LDLIBS_LIB) $(LDLIBS)

# the generated safety rules are compiled and checked by their own unit test
$(B)/tests/test_rules_gen: libjlpickle/scan/rules_gen.h
$(B)/tests/test_scan_libs: libjlpickle/scan/rules_gen.h libjlpickle/scan/rules_libs_gen.h

$(B)/fuzz_replay_%: fuzz/%.c fuzz/replay.c $(STATIC) $(B)/build-flags
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Ilibjlpickle $(LDFLAGS) -o $@ $< fuzz/replay.c $(STATIC) \
	  $(LDLIBS_LIB) $(LDLIBS)

# The C side of the differential test (tests/diff/): jlload and jldump over many files.
DIFFRUN := $(B)/tests/diffrun
$(DIFFRUN): tests/diff/diffrun.c tests/diff/randdoc.c tests/diff/randdoc.h $(STATIC) $(B)/build-flags
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Ilibjlpickle $(LDFLAGS) -o $@ tests/diff/diffrun.c tests/diff/randdoc.c \
	  $(STATIC) $(LDLIBS_LIB) $(LDLIBS)

# diff-campaign: the differential test against Python with a new seed, N random cases,
# N/5 mutants and N/5 documents built in C (make check runs seed 1 with 2000 cases,
# 2000 mutants and 500 built documents). The input of every failure is kept in
# $(B)/diff-findings/.
N ?= 20000
SEED ?= $(shell date +%s)
.PHONY: diff-campaign
diff-campaign: all $(DIFFRUN)
	@nice $(PYTHON) tests/diff/diff.py --driver $(DIFFRUN) --seed $(SEED) --cases $(N) --mutants $$(($(N) / 5)) --builds $$(($(N) / 5)) --texts $$(($(N) / 5)) \
	  --findings $(B)/diff-findings

FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(filter-out fuzz/replay.c,$(wildcard fuzz/*.c)))
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(B)/fuzz_replay_%)

# check: build with warnings as errors, run all suites, then the ASan+UBSan pass and the
# corpus replay; tests/run.sh adds up every suite's "N passed, N failed" line. WERROR is
# also exported to the suites, so a `make install` inside one sees the same flags and
# rebuilds nothing.
check-build:
	@$(MAKE) --no-print-directory WERROR=-Werror all $(TEST_BINS) $(FUZZ_REPLAYS) $(DIFFRUN)

check: check-build
	@B=$(B) PYTHON=$(PYTHON) SAN_DIR=$(B)/asan FUZZ_TARGETS="$(FUZZ_TARGETS)" \
	  $(MAKE) --no-print-directory -s WERROR=-Werror asan-build >/dev/null
	@WERROR=-Werror B=$(B) PYTHON=$(PYTHON) SAN_DIR=$(B)/asan FUZZ_TARGETS="$(FUZZ_TARGETS)" sh tests/run.sh

# check-quick: what a tarball or a second build system is tested with (make distcheck,
# the Meson tests): no valgrind, sanitizer, fresh-Python or interop suites.
check-quick: check-build
	@WERROR=-Werror B=$(B) PYTHON=$(PYTHON) QUICK=1 FUZZ_TARGETS="$(FUZZ_TARGETS)" sh tests/run.sh

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
.PHONY: asan-build
asan-build:
	@$(MAKE) --no-print-directory B=$(B)/asan OPT="-O1 -g" CFLAGS="$(SAN_FLAGS)" \
	  LDFLAGS="$(SAN_FLAGS)" lib tools $(TEST_SRC:tests/unit/%.c=$(B)/asan/tests/%) \
	  $(FUZZ_TARGETS:%=$(B)/asan/fuzz_replay_%)

asan: asan-build
	@B=$(B)/asan PYTHON=$(PYTHON) SAN_ONLY=1 sh tests/run.sh

# tsan: the library and every unit test (test_threads above all) under ThreadSanitizer
# in $(B)/tsan, with clang when installed; any report fails the suite.
TSAN_CC ?= $(if $(shell command -v clang 2>/dev/null),clang,$(CC))
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
.PHONY: tsan tsan-build
tsan-build:
	@$(MAKE) --no-print-directory B=$(B)/tsan CC=$(TSAN_CC) OPT="-O1 -g" CFLAGS="$(TSAN_FLAGS)" \
	  LDFLAGS="$(TSAN_FLAGS)" $(TEST_SRC:tests/unit/%.c=$(B)/tsan/tests/%)

tsan: tsan-build
	@B=$(B)/tsan SAN_ONLY=1 SAN_KIND=tsan sh tests/run.sh

fuzz:
	@$(MAKE) --no-print-directory -f fuzz/fuzz.mk FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60)

bench: all
	@$(PYTHON) bench/run.py --build $(B)

# safety-campaign: tests/safety at scale; the inputs of pydiff failures are copied to
# tests/safety/findings/ (see tests/safety/check.py).
safety-campaign: all
	@PYTHON=$(PYTHON) SAFETY_ARGS="--benign-all --pydiff-cases $(or $(N),50000) \
	  --pydiff-seed $(or $(SEED),$$(date +%s)) --findings tests/safety/findings \
	  --sparse-cases $(or $(SPARSE_N),3000) --sparse-seed $(or $(SEED),$$(date +%s))" \
	  sh tests/safety/run.sh $(B)


# libjlpickle.pc: made again whenever the directories or the libraries it names differ
# from the last time (make install PREFIX=/opt after make gives /opt's paths).
# Requires.private names the codec libraries pkg-config knows, Libs.private the others.
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
PC_VARS = $(PREFIX)|$(call pc_dir,$(LIBDIR))|$(call pc_dir,$(INCLUDEDIR))|$(VERSION)|$(CODEC_REQUIRES)|$(CODEC_LIBS_PRIVATE) -lm $(THREADS)
$(B)/pc-vars: FORCE
	@mkdir -p $(B)
	@printf '%s\n' '$(subst ','\'',$(PC_VARS))' >$@.new; \
	 if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

$(B)/libjlpickle.pc: libjlpickle/libjlpickle.pc.in $(B)/pc-vars
	@$(if $(Q),echo "  GEN     $@")
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_dir,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_dir,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@REQUIRES_PRIVATE@|$(CODEC_REQUIRES)|' \
	    -e 's|@LIBS_PRIVATE@|$(strip $(CODEC_LIBS_PRIVATE) -lm $(THREADS))|' $< >$@

install: all $(B)/libjlpickle.pc
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR)
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libjlpickle.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libjlpickle.so.$(SOVERSION)
	ln -sf libjlpickle.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libjlpickle.so
	install -m 644 $(B)/libjlpickle.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(PUBLIC_HEADERS:libjlpickle/%=$(DESTDIR)$(INCLUDEDIR)/%) $(DESTDIR)$(LIBDIR)/libjlpickle.a \
	      $(DESTDIR)$(LIBDIR)/libjlpickle.so $(DESTDIR)$(LIBDIR)/libjlpickle.so.$(SOVERSION) \
	      $(DESTDIR)$(LIBDIR)/libjlpickle.so.$(VERSION) $(DESTDIR)$(LIBDIR)/pkgconfig/libjlpickle.pc \
	      $(TOOL_NAMES:%=$(DESTDIR)$(BINDIR)/%) \
	      $(MAN_PAGES:tools/%=$(DESTDIR)$(MANDIR)/man1/%)

# dist: the release tarball, every file of git HEAD under libjlpickle-VERSION/
# (uncommitted changes are not in it). distcheck: that tarball unpacked, built and tested
# with this Makefile (make check-quick) and with Meson (meson test), and a packager's
# build of it (tests/packaging/packager.sh).
DIST := libjlpickle-$(VERSION)
dist:
	@mkdir -p $(B)
	@git diff --quiet HEAD -- 2>/dev/null || echo "make dist: uncommitted changes are left out of the tarball" >&2
	git archive --format=tar --prefix=$(DIST)/ HEAD | gzip -9n >$(B)/$(DIST).tar.gz
	@echo "$(B)/$(DIST).tar.gz"

distcheck: dist
	@sh tests/packaging/distcheck.sh $(B)/$(DIST).tar.gz

# matrix: gcc and clang x make and Meson x every optional library left out in turn, tools
# static and shared (tests/packaging/matrix.sh; a campaign of about 30 builds)
matrix:
	@sh tests/packaging/matrix.sh

# make print-VAR prints a variable's value (tests/packaging/consistency.sh compares the
# Makefile's lists with meson.build's)
print-%:
	@echo '$(subst ','\'',$($*))'

# demo: build, write a sample file from C, look at it with the tools (tools/demo.sh)
demo:
	@B=$(B) PYTHON=$(PYTHON) sh tools/demo.sh

clean:
	rm -rf $(B)
