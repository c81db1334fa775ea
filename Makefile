# libjlpickle - the one build file.
#
#   make            static + shared library and the tools (build/)
#   make check      every test, the unit tests again under ASan+UBSan, the fuzz corpus
#                   replay; ends with "N passed, N failed"
#   make asan       the tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make tsan       the unit tests (test_threads above all) under ThreadSanitizer
#   make fuzz       libFuzzer targets (clang), each run FUZZ_SECONDS seconds
#   make diff-campaign  the differential test against Python, N cases, a new SEED
#   make bench      side-by-side benchmarks against Python (bench/results/)
#   make safety-campaign  the safety suite at scale: every benign object, N pydiff cases
#                   (default 50000) with seed SEED (default: the clock)
#   make install    PREFIX DESTDIR LIBDIR INCLUDEDIR BINDIR MANDIR
#   make uninstall / make clean

VERSION := $(shell sed -n 's/^\#define JLP_VERSION_STRING "\(.*\)"/\1/p' libjlpickle/jlpickle.h)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))

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
CSTD := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT ?= -O2 -g
CFLAGS ?=
WERROR ?= -Werror
ALL_CFLAGS = $(CSTD) $(OPT) $(WARNINGS) $(WERROR) -fvisibility=hidden -fPIC $(CODEC_DEFS) $(CFLAGS)
# Codecs: each system library found is compiled in (codecs.mk). JLP_CODECS=none builds
# without any.
JLP_CODECS ?= auto
CODEC_CC := $(CC)
CODEC_SELECT := $(JLP_CODECS)
include codecs.mk
LDLIBS_LIB := $(CODEC_LIBS) -lm

B := build
# `make V=1` shows whole command lines.
Q := $(if $(V),,@)
LIB_SRC := $(sort $(wildcard libjlpickle/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
TOOL_NAMES := jlload jldump jlinspect
TOOL_COMMON := tools/cli.c tools/json_in.c tools/npy.c tools/from_json.c
TOOLS := $(TOOL_NAMES:%=$(B)/%)
MAN_PAGES := $(wildcard tools/*.1)
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BINS := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)

STATIC := $(B)/libjlpickle.a
SHARED := $(B)/libjlpickle.so.$(VERSION)

.PHONY: all lib tools check asan test-run fuzz fuzz-replay bench install uninstall clean demo \
        safety-campaign

all: lib tools

lib: $(STATIC) $(SHARED)

$(B)/%.o: %.c $(wildcard libjlpickle/*.h libjlpickle/*/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)ar rcs $@ $^

$(SHARED): $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libjlpickle.so.$(SOVERSION) -o $@ $^ $(LDLIBS_LIB) $(LDFLAGS)
	$(Q)ln -sf libjlpickle.so.$(VERSION) $(B)/libjlpickle.so.$(SOVERSION)
	$(Q)ln -sf libjlpickle.so.$(SOVERSION) $(B)/libjlpickle.so

tools: $(TOOLS)

$(B)/%: tools/%.c $(TOOL_COMMON) tools/cli.h $(STATIC)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Ilibjlpickle -o $@ $< $(TOOL_COMMON) $(STATIC) $(LDLIBS_LIB) $(LDFLAGS)

$(B)/tests/%: tests/unit/%.c tests/unit/harness.h tests/unit/util.h $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Ilibjlpickle -o $@ $< $(STATIC) $(LDLIBS_LIB) $(LDFLAGS) -lpthread

# the generated safety rules are compiled and checked by their own unit test
$(B)/tests/test_rules_gen: libjlpickle/scan/rules_gen.h

$(B)/fuzz_replay_%: fuzz/%.c fuzz/replay.c $(STATIC)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Ilibjlpickle -o $@ $< fuzz/replay.c $(STATIC) $(LDLIBS_LIB) $(LDFLAGS)

# The C side of the differential test (tests/diff/): jlload and jldump over many files.
DIFFRUN := $(B)/tests/diffrun
$(DIFFRUN): tests/diff/diffrun.c tests/diff/randdoc.c tests/diff/randdoc.h $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Ilibjlpickle -o $@ tests/diff/diffrun.c tests/diff/randdoc.c $(STATIC) $(LDLIBS_LIB) $(LDFLAGS)

# diff-campaign: the differential test against Python with a new seed, N random cases,
# N/5 mutants and N/5 documents built in C (make check runs seed 1 with 2000 cases,
# 2000 mutants and 500 built documents).
N ?= 20000
SEED ?= $(shell date +%s)
.PHONY: diff-campaign
diff-campaign: all $(DIFFRUN)
	@nice $(PYTHON) tests/diff/diff.py --driver $(DIFFRUN) --seed $(SEED) --cases $(N) --mutants $$(($(N) / 5)) --builds $$(($(N) / 5))

FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(filter-out fuzz/replay.c,$(wildcard fuzz/*.c)))
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(B)/fuzz_replay_%)

# check: build warnings-as-errors, run all suites, then the ASan+UBSan pass and the
# corpus replay; tests/run.sh adds up every suite's "N passed, N failed" line.
check: all $(TEST_BINS) $(FUZZ_REPLAYS) $(DIFFRUN)
	@B=$(B) PYTHON=$(PYTHON) SAN_DIR=$(B)/asan FUZZ_TARGETS="$(FUZZ_TARGETS)" \
	  $(MAKE) --no-print-directory -s asan-build >/dev/null
	@B=$(B) PYTHON=$(PYTHON) SAN_DIR=$(B)/asan FUZZ_TARGETS="$(FUZZ_TARGETS)" sh tests/run.sh

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
	  --pydiff-seed $(or $(SEED),$$(date +%s)) --findings tests/safety/findings" \
	  sh tests/safety/run.sh $(B)

$(B)/libjlpickle.pc: libjlpickle/libjlpickle.pc.in libjlpickle/jlpickle.h
	@mkdir -p $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS_PRIVATE@|$(LDLIBS_LIB)|' $< > $@

install: all $(B)/libjlpickle.pc
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR)
	install -m 644 libjlpickle/jlpickle.h libjlpickle/jlpickle_codec.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libjlpickle.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libjlpickle.so.$(SOVERSION)
	ln -sf libjlpickle.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libjlpickle.so
	install -m 644 $(B)/libjlpickle.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/jlpickle.h $(DESTDIR)$(INCLUDEDIR)/jlpickle_codec.h $(DESTDIR)$(LIBDIR)/libjlpickle.a \
	      $(DESTDIR)$(LIBDIR)/libjlpickle.so $(DESTDIR)$(LIBDIR)/libjlpickle.so.$(SOVERSION) \
	      $(DESTDIR)$(LIBDIR)/libjlpickle.so.$(VERSION) $(DESTDIR)$(LIBDIR)/pkgconfig/libjlpickle.pc \
	      $(TOOL_NAMES:%=$(DESTDIR)$(BINDIR)/%) \
	      $(MAN_PAGES:tools/%=$(DESTDIR)$(MANDIR)/man1/%)

# demo: build, write a sample file from C, look at it with the tools (tools/demo.sh)
demo:
	@B=$(B) PYTHON=$(PYTHON) sh tools/demo.sh

clean:
	rm -rf $(B)
