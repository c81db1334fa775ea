# codecs.mk - which optional libraries (the compression libraries, and libarchive for zip
# and tar archives) a build compiles in;
# included by Makefile and fuzz/fuzz.mk. Set CODEC_CC (the compiler whose preprocessor
# looks for the headers) and CODEC_SELECT (auto: every library found, as WITH_<NAME>=auto;
# none: none, as WITH_<NAME>=no) first.
#
# Each library is chosen on its own with WITH_<NAME>=auto|yes|no (WITH_ZSTD=no builds
# without zstd; yes fails the build when it is not found). A library is found when
# pkg-config knows its module (its --cflags and --libs are used) or else when its header
# preprocesses with CPPFLAGS (then -l<library> links it). A codec left out still bids, so
# detection names it (JLP_E_CODEC_MISSING).
#
# Gives CODEC_DEFS (-DJLP_HAVE_<NAME>), CODEC_CPPFLAGS (pkg-config --cflags), CODEC_LIBS
# (link flags), CODEC_FOUND (the names found), and for libjlpickle.pc CODEC_REQUIRES (the
# pkg-config modules) and CODEC_LIBS_PRIVATE (-l flags of the others).
#
# Adding an optional library is one row here and one in meson.build's optional_libs,
# plus its option line in meson_options.txt (tests/packaging/consistency.sh checks that
# the three agree). A row is header:NAME:library[:pkg-config module[:NEEDS]]; the C code
# tests JLP_HAVE_<NAME>; a library with NEEDS (the NAME of an earlier row) is left out
# when that one is not found.
#
# ISA-L (libisal-dev) is only an accelerator: when zlib is found too, it decodes zlib,
# gzip and ZF streams (zlib stays the encoder and the fallback).
CODEC_TABLE := zlib.h:ZLIB:z:zlib bzlib.h:BZ2:bz2:bzip2 lzma.h:LZMA:lzma:liblzma \
               lz4frame.h:LZ4:lz4:liblz4 zstd.h:ZSTD:zstd:libzstd isa-l.h:ISAL:isal:libisal:ZLIB \
               archive.h:ARCHIVE:archive:libarchive

PKG_CONFIG ?= pkg-config
codec_field = $(word $(2),$(subst :, ,$(1)))
codec_default := $(if $(filter none,$(CODEC_SELECT)),no,auto)
CODEC_FOUND :=
CODEC_DEFS :=
CODEC_CPPFLAGS :=
CODEC_LIBS :=
CODEC_REQUIRES :=
CODEC_LIBS_PRIVATE :=

# codec_select HEADER NAME LIBRARY MODULE NEEDS
define codec_select
WITH_$(2) ?= $$(codec_default)
ifeq ($$(filter auto yes no,$$(WITH_$(2))),)
$$(error WITH_$(2)=$$(WITH_$(2)): use auto, yes or no)
endif
ifneq ($(5),)
ifeq ($$(filter $(5),$$(CODEC_FOUND)),)
ifeq ($$(WITH_$(2)),yes)
$$(error WITH_$(2)=yes, but $(2) needs $(5), which is not built in)
endif
override WITH_$(2) := no
endif
endif
ifneq ($$(WITH_$(2)),no)
codec_pc := $(if $(4),$$(shell $$(PKG_CONFIG) --exists $(4) 2>/dev/null && echo $(4)))
codec_cflags := $$(if $$(codec_pc),$$(shell $$(PKG_CONFIG) --cflags $(4)))
ifeq ($$(shell printf '\043include <$(1)>\n' | $$(CODEC_CC) $$(CPPFLAGS) $$(codec_cflags) -E -x c - >/dev/null 2>&1 && echo 1),1)
CODEC_FOUND += $(2)
CODEC_DEFS += -DJLP_HAVE_$(2)
CODEC_CPPFLAGS += $$(codec_cflags)
ifneq ($$(codec_pc),)
CODEC_LIBS += $$(shell $$(PKG_CONFIG) --libs $(4))
CODEC_REQUIRES += $(4)
else
CODEC_LIBS += -l$(3)
CODEC_LIBS_PRIVATE += -l$(3)
endif
else ifeq ($$(WITH_$(2)),yes)
$$(error WITH_$(2)=yes, but <$(1)> was not found (CPPFLAGS: $$(CPPFLAGS)$(if $(4),; pkg-config module $(4))))
endif
endif
endef
$(foreach c,$(CODEC_TABLE),$(eval $(call codec_select,$(call codec_field,$(c),1),$(call codec_field,$(c),2),$(call codec_field,$(c),3),$(call codec_field,$(c),4),$(call codec_field,$(c),5))))
CODEC_FOUND := $(strip $(CODEC_FOUND))
CODEC_DEFS := $(strip $(CODEC_DEFS))
CODEC_CPPFLAGS := $(strip $(CODEC_CPPFLAGS))
CODEC_LIBS := $(strip $(CODEC_LIBS))
CODEC_REQUIRES := $(strip $(CODEC_REQUIRES))
CODEC_LIBS_PRIVATE := $(strip $(CODEC_LIBS_PRIVATE))
