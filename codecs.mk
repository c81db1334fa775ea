# codecs.mk - which compression libraries a build compiles in; included by Makefile and
# fuzz/fuzz.mk. Set CODEC_CC (the compiler whose preprocessor looks for the headers) and
# CODEC_SELECT (auto: every library whose header is found; anything else: none) first.
# Gives CODEC_DEFS (-DJLP_HAVE_*) and CODEC_LIBS (-l*). A codec left out still bids, so
# detection names it (JLP_E_CODEC_MISSING).
codec_have = $(shell printf '\043include <$(1)>\n' | $(CODEC_CC) -E -x c - >/dev/null 2>&1 && echo 1)
# header:JLP_HAVE_ suffix:library. ISA-L (libisal-dev) is optional and only an
# accelerator: when zlib is found too, it decodes zlib, gzip and ZF streams (zlib stays
# the encoder and the fallback).
CODEC_TABLE := zlib.h:ZLIB:z bzlib.h:BZ2:bz2 lzma.h:LZMA:lzma lz4frame.h:LZ4:lz4 zstd.h:ZSTD:zstd \
               isa-l.h:ISAL:isal
codec_field = $(word $(2),$(subst :, ,$(1)))
CODEC_FOUND := $(if $(filter auto,$(CODEC_SELECT)),$(foreach c,$(CODEC_TABLE),$(if $(call codec_have,$(call codec_field,$(c),1)),$(c))))
CODEC_FOUND := $(if $(filter zlib.h:%,$(CODEC_FOUND)),$(CODEC_FOUND),$(filter-out isa-l.h:%,$(CODEC_FOUND)))
CODEC_DEFS := $(foreach c,$(CODEC_FOUND),-DJLP_HAVE_$(call codec_field,$(c),2))
CODEC_LIBS := $(foreach c,$(CODEC_FOUND),-l$(call codec_field,$(c),3))
