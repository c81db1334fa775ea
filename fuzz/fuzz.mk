# fuzz/fuzz.mk - build and run the libFuzzer targets (clang, ASan + UBSan).
#
# Run from the repository root:
#
#   make -f fuzz/fuzz.mk FUZZ_SECONDS=60        build, then fuzz every target 60 s each
#   make fuzz FUZZ_SECONDS=60                   the same, through the main Makefile
#   make -f fuzz/fuzz.mk build                  only build build/fuzz/bin/<tag>/<target>
#   make -f fuzz/fuzz.mk replay                 the seed corpus under ASan+UBSan, no libFuzzer
#   make -f fuzz/fuzz.mk regressions            each fuzz/regressions/<target>/ file on its own
#   make -f fuzz/fuzz.mk merge                  fold the working corpora into fuzz/corpus/
#   make -f fuzz/fuzz.mk check-runtime          exit 0 when clang's libFuzzer runtime links
#   make -f fuzz/fuzz.mk clean                  remove build/fuzz (the working corpora too)
#
# Every fuzz/fuzz_*.c is a target (helpers are headers: fuzz_common.h, json_check.h).
# The library sources (libjlpickle/*/*.c) are compiled again with coverage
# instrumentation and sanitizers into build/fuzz/obj/<tag>/.
#
# Options: fuzz/<target>.options holds a target's libFuzzer flags in the format OSS-Fuzz
# uses ([libfuzzer] then `max_len = 16384`, `dict = pickle.dict codecs.dict`,
# `timeout = 10`, `rss_limit_mb = 2048`, any other -flag=value); fuzz/options.sh turns
# it into flags and concatenates the dictionaries into build/fuzz/dict/<target>.dict.
# A target without one gets -dict=fuzz/pickle.dict. Precedence, lowest first: the
# defaults (FUZZ_TIMEOUT, FUZZ_RSS_MB), the options file, FUZZ_TIMEOUT / FUZZ_RSS_MB
# given on the command line or in the environment, FUZZ_FLAGS.
#
# Corpora: libFuzzer is given two directories, build/fuzz/corpus/<target>/ first and the
# committed seeds fuzz/corpus/<target>/ second. It reads both and writes new inputs only
# into the first, so the committed corpus never changes by itself (to fold good inputs
# back in, see fuzz/README.md). Crashes, timeouts and OOMs land in
# build/fuzz/artifacts/<target>/; the libFuzzer output of the last run of each target
# is kept in build/fuzz/logs/<target>.log.
#
# Variables:
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_TIMEOUT   seconds one input may take before libFuzzer reports a timeout (10)
#   FUZZ_RSS_MB    memory limit in MB before libFuzzer reports an OOM (2048)
#   FUZZ_FLAGS     extra libFuzzer flags (e.g. -jobs=4 -workers=4, -max_len=16384)
#   FUZZ_TARGETS   targets to run (default: every fuzz/fuzz_*.c)
#   FUZZ_STRICT    1: known, reported library bugs are not tolerated (see fuzz/README.md);
#                  `regressions` always sets it
#   LIBSRC         library source directory (default libjlpickle); pointing it at a
#                  snapshot (git archive HEAD libjlpickle | tar -x -C /tmp/snap) fuzzes
#                  that snapshot, with its objects kept apart under another <tag>
#   CLANG          the compiler (default clang)

CLANG ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_RSS_MB ?= 2048
# explicit FUZZ_TIMEOUT / FUZZ_RSS_MB beat the options files
USER_LIMITS := $(if $(filter command line environment,$(origin FUZZ_TIMEOUT)),-timeout=$(FUZZ_TIMEOUT)) \
               $(if $(filter command line environment,$(origin FUZZ_RSS_MB)),-rss_limit_mb=$(FUZZ_RSS_MB))
FUZZ_FLAGS ?=
LIBSRC ?= libjlpickle

FZ := build/fuzz
FUZZ_TARGETS ?= $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
# the flags of fuzz/<target>.options (shell: $$t is the target)
OPTS = $$(sh fuzz/options.sh $$t $(FZ)/dict) || exit 2

# Objects of different library trees must not mix: the default tree is "default", any
# other LIBSRC gets a tag from a checksum of its absolute path.
TAG := $(if $(filter libjlpickle libjlpickle/,$(LIBSRC)),default,$(firstword $(shell printf '%s' '$(abspath $(LIBSRC))' | cksum)))
OBJ := $(FZ)/obj/$(TAG)
BIN := $(FZ)/bin/$(TAG)

LIB_SRC := $(sort $(wildcard $(LIBSRC)/*/*.c))
LIB_HDR := $(wildcard $(LIBSRC)/*.h $(LIBSRC)/*/*.h)
LIB_OBJ := $(patsubst $(LIBSRC)/%.c,$(OBJ)/lib/%.o,$(LIB_SRC))

# Every UBSan check aborts, except pointer-overflow and nonnull-attribute, which are
# recoverable so that fuzz/ubsan.supp can silence known, reported instances of them
# (NULL + 0, memcpy(NULL, p, 0)) while fuzzing; halt_on_error=1 still stops at any
# instance the file does not name.
SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
       -fsanitize-recover=pointer-overflow,nonnull-attribute -fno-omit-frame-pointer
# Replay binaries: the same sanitizers without libFuzzer (main() is fuzz/replay.c).
SAN_REPLAY := $(filter-out -fsanitize=fuzzer%,$(SAN)) -fsanitize=address,undefined
CSTD := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT := -g -O1
# The library is others' code in progress: warnings are shown, not fatal. The fuzz
# targets themselves must build warning-free.
LIB_CFLAGS := $(CSTD) $(OPT) -Wall -Wextra
TARGET_CFLAGS := $(CSTD) $(OPT) -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes
# Codecs, as the main Makefile chooses them (codecs.mk), so the container layer is
# fuzzed with real decoders. FUZZ_CODECS=none builds without any.
FUZZ_CODECS ?= auto
CODEC_CC := $(CLANG)
CODEC_SELECT := $(FUZZ_CODECS)
include codecs.mk
LIB_CFLAGS += $(CODEC_DEFS) $(CODEC_CPPFLAGS)
LDLIBS := $(CODEC_LIBS) -lm

ASAN_OPTIONS ?= detect_leaks=1:allocator_may_return_null=1:strict_string_checks=1
UBSAN_BASE := print_stacktrace=1:halt_on_error=1
# Fuzzing and the corpus replay skip the known bugs listed in fuzz/ubsan.supp; the
# regressions target does not, so their reproducers keep failing until fixed.
UBSAN_FUZZ := $(UBSAN_BASE):suppressions=$(CURDIR)/fuzz/ubsan.supp
export ASAN_OPTIONS

.PHONY: all run build replay regressions merge check-runtime clean
.SECONDARY:

all: run

build: $(FUZZ_TARGETS:%=$(BIN)/%)

$(OBJ)/lib/%.o: $(LIBSRC)/%.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(LIB_CFLAGS) $(SAN) -c $< -o $@

$(OBJ)/libjlpickle-fuzz.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(OBJ)/replay/%.o: $(LIBSRC)/%.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(LIB_CFLAGS) $(SAN_REPLAY) -c $< -o $@

$(OBJ)/libjlpickle-replay.a: $(patsubst $(LIBSRC)/%.c,$(OBJ)/replay/%.o,$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

FUZZ_HDR := $(wildcard fuzz/*.h)

$(BIN)/fuzz_%: fuzz/fuzz_%.c $(OBJ)/libjlpickle-fuzz.a $(LIB_HDR) $(FUZZ_HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_CFLAGS) $(SAN) -I$(LIBSRC) -o $@ $< $(OBJ)/libjlpickle-fuzz.a $(LDLIBS)

$(BIN)/replay_%: fuzz/%.c fuzz/replay.c $(OBJ)/libjlpickle-replay.a $(LIB_HDR) $(FUZZ_HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_CFLAGS) $(SAN_REPLAY) -I$(LIBSRC) -o $@ $< fuzz/replay.c $(OBJ)/libjlpickle-replay.a $(LDLIBS)

# Fuzz each target for FUZZ_SECONDS; keep going over the targets, fail at the end if
# any of them found something (a crash, leak, timeout or OOM: libFuzzer exits nonzero).
run: build
	@status=0; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FZ)/corpus/$$t $(FZ)/artifacts/$$t $(FZ)/logs fuzz/corpus/$$t; \
	  opts=$(OPTS); \
	  echo "== $$t: $(FUZZ_SECONDS) s, library $(LIBSRC), log $(FZ)/logs/$$t.log"; \
	  echo "== $$t: flags$$opts $(strip $(USER_LIMITS) $(FUZZ_FLAGS))"; \
	  UBSAN_OPTIONS='$(UBSAN_FUZZ)' $(BIN)/$$t -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=$(FUZZ_RSS_MB) $$opts \
	    $(USER_LIMITS) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FZ)/artifacts/$$t/ $(FUZZ_FLAGS) \
	    $(FZ)/corpus/$$t fuzz/corpus/$$t >$(FZ)/logs/$$t.log 2>&1; \
	  rc=$$?; \
	  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^(stat::|Done )|(ERROR|WARNING): |^SUMMARY|^artifact_prefix|Test unit written|^fuzz_[a-z_]+: ' \
	    $(FZ)/logs/$$t.log | tail -n 25; \
	  if [ $$rc -ne 0 ]; then echo "== $$t: FOUND SOMETHING (exit $$rc), see $(FZ)/logs/$$t.log"; status=1; \
	  else echo "== $$t: no finding"; fi; \
	  echo "== $$t: working corpus $$(ls $(FZ)/corpus/$$t | wc -l) files, artifacts $$(ls $(FZ)/artifacts/$$t | wc -l)"; \
	done; exit $$status

# The committed corpus through fuzz/replay.c under ASan+UBSan (with the suppressions,
# like fuzzing). A crash stops the replay at once (the last file name printed).
replay: $(FUZZ_TARGETS:%=$(BIN)/replay_%)
	@status=0; \
	for t in $(FUZZ_TARGETS); do \
	  for d in fuzz/corpus/$$t; do \
	    [ -d $$d ] || continue; \
	    echo "== replay $$t $$d"; \
	    FUZZ_REPLAY_VERBOSE=1 UBSAN_OPTIONS='$(UBSAN_FUZZ)' $(BIN)/replay_$$t $$d >$(FZ)/last-replay.log 2>&1 || status=1; \
	    grep -v '^replay: ' $(FZ)/last-replay.log | tail -n 40; \
	    tail -n 1 $(FZ)/last-replay.log | grep -q passed || tail -n 3 $(FZ)/last-replay.log; \
	  done; \
	done; exit $$status

# One process per regression file, so every one of them is reported: no suppressions,
# FUZZ_STRICT=1 (and FUZZ_LOAD_STRICT=1), so each file fails until its bug is fixed.
regressions: build
	@pass=0; fail=0; \
	for t in $(FUZZ_TARGETS); do \
	  [ -d fuzz/regressions/$$t ] || continue; \
	  for f in fuzz/regressions/$$t/*; do \
	    [ -f "$$f" ] || continue; \
	    if FUZZ_STRICT=1 FUZZ_LOAD_STRICT=1 UBSAN_OPTIONS='$(UBSAN_BASE)' $(BIN)/$$t -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=$(FUZZ_RSS_MB) "$$f" >$(FZ)/last-regression.log 2>&1; \
	    then echo "ok    $$f"; pass=$$((pass + 1)); \
	    else echo "CRASH $$f: $$(grep -m1 -E 'runtime error|ERROR: |^fuzz_[a-z_]+: |out-of-memory' $(FZ)/last-regression.log)"; \
	      fail=$$((fail + 1)); fi; \
	  done; \
	done; \
	echo "$$pass passed, $$fail failed"

# Fold what fuzzing found into the committed corpora, minimised: libFuzzer -merge=1 adds
# to fuzz/corpus/<target>/ only the inputs of build/fuzz/corpus/<target>/ that bring new
# coverage. Files of MERGE_MAX_LEN bytes or more are dropped; a corpus whose bytes add
# up to more than MERGE_MAX_KB is reported (prune it by hand or merge a shorter campaign).
MERGE_MAX_LEN ?= 65536
MERGE_MAX_KB ?= 2048
merge: build
	@for t in $(FUZZ_TARGETS); do \
	  [ -d $(FZ)/corpus/$$t ] || continue; \
	  mkdir -p fuzz/corpus/$$t; \
	  before=$$(ls fuzz/corpus/$$t | wc -l); \
	  UBSAN_OPTIONS='$(UBSAN_FUZZ)' $(BIN)/$$t -merge=1 -max_len=$(MERGE_MAX_LEN) -timeout=$(FUZZ_TIMEOUT) \
	    -rss_limit_mb=$(FUZZ_RSS_MB) fuzz/corpus/$$t $(FZ)/corpus/$$t >$(FZ)/logs/$$t.merge.log 2>&1 || \
	    { echo "== $$t: merge failed, see $(FZ)/logs/$$t.merge.log"; exit 1; }; \
	  find fuzz/corpus/$$t -type f -size +$$(($(MERGE_MAX_LEN) - 1))c -delete; \
	  kb=$$(($$(cat fuzz/corpus/$$t/* | wc -c) / 1024)); \
	  echo "== $$t: $$before -> $$(ls fuzz/corpus/$$t | wc -l) files, $$kb KiB"; \
	  [ $$kb -le $(MERGE_MAX_KB) ] || echo "== $$t: corpus over $(MERGE_MAX_KB) KiB"; \
	done

# Whether clang can link a libFuzzer target at all (for CI: skip fuzzing without it).
check-runtime:
	@mkdir -p $(FZ)
	@printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	  'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	  'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' >$(FZ)/probe.c
	@$(CLANG) -fsanitize=fuzzer,address,undefined $(FZ)/probe.c -o $(FZ)/probe >$(FZ)/probe.log 2>&1

clean:
	rm -rf $(FZ)
