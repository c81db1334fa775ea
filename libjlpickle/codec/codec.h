/*
 * codec.h - internal declarations of the codec layer: the built-in codecs (one file
 * each, sharing code where the library underneath is shared) and the raw pickle bidder.
 * codec/ converts bytes and uses only common/; reading through a codec (detection,
 * budgets, truncation) is io/decoded.c's.
 */
#ifndef JLP_CODEC_INTERNAL_H
#define JLP_CODEC_INTERNAL_H

#include "../jlpickle_codec.h"
#include "../common/common.h"

extern const jlp_codec jlp__codec_zlib;
extern const jlp_codec jlp__codec_gzip;
extern const jlp_codec jlp__codec_zf;
extern const jlp_codec jlp__codec_bz2;
extern const jlp_codec jlp__codec_lzma;
extern const jlp_codec jlp__codec_xz;
extern const jlp_codec jlp__codec_lz4;
extern const jlp_codec jlp__codec_zstd;

/** Parse a ZF header (joblib <= 0.9): "ZF", then 19 bytes "0x<hex>" padded with spaces,
 *  then an optional space. @return the header length (21 or 22) with the declared
 *  decoded length in *declared, or 0 when `h` does not start with one. (deflate.c) */
size_t jlp__zf_header(const uint8_t *h, size_t len, uint64_t *declared);

/* The zlib / gzip / ZF decoder (inflate.c), built with zlib; ISA-L does the inflating
 * when the build found it. */
enum { JLP__INFLATE_AUTO, JLP__INFLATE_ZLIB };
/** Testing hook: JLP__INFLATE_ZLIB makes new decoders use zlib even where ISA-L is
 *  built in. Set it before any decoder is created (not thread-safe). */
extern int jlp__inflate_backend;
/** @return whether ISA-L is built in (JLP_HAVE_ISAL). */
bool jlp__inflate_isal_built(void);
void *jlp__inflate_new_zlib(const jlp_codec *self, const jlp_alc *alc, jlp_error *err);
void *jlp__inflate_new_gzip(const jlp_codec *self, const jlp_alc *alc, jlp_error *err);
void *jlp__inflate_new_zf(const jlp_codec *self, const jlp_alc *alc, jlp_error *err);
jlp_codec_status jlp__inflate_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out,
                                  jlp_error *err);
void jlp__inflate_free(const jlp_codec *self, void *state);
/** @return the zlib version, with ISA-L's when it decodes. */
const char *jlp__inflate_version(const jlp_codec *self);

/** The parallel deflate encoder (deflate_parallel.c, built with zlib): one zlib
 *  (gzip = false) or gzip stream compressed in blocks by `threads` workers; every
 *  allocation is made here, on the caller's thread. @return NULL with err filled. */
typedef struct jlp__pdeflate jlp__pdeflate;
jlp__pdeflate *jlp__pdeflate_new(const jlp_alc *alc, int level, bool gzip, int threads, jlp_error *err);
/** The codec ABI's enc_run over the parallel encoder. */
jlp_codec_status jlp__pdeflate_run(jlp__pdeflate *p, jlp_inbuf *in, jlp_outbuf *out, int finish, jlp_error *err);
/** Stop the workers and free everything. */
void jlp__pdeflate_free(jlp__pdeflate *p);

/** Score the leading bytes as an uncompressed pickle (low: any codec magic wins). */
int jlp__bid_pickle(const uint8_t *head, size_t len);

/** Allocation for codec libraries that free without a size: the block records its
 *  size in front so jlp_alc's free gets it. `opaque` is the jlp_alc. */
void *jlp__codec_alloc(void *opaque, size_t n);
void jlp__codec_free(void *opaque, void *ptr);

/** Bound the memory a built-in decoder's own state may take (liblzma's dictionary, which
 *  an .lzma or .xz header sets, up to 1.5 GiB) to `bytes`, the document's
 *  limits.max_alloc: a decoder needing more fails with LIMIT before allocating it. A no-op
 *  for codecs whose state does not grow with the input's header. */
void jlp__codec_limit_memory(const jlp_codec *codec, void *state, uint64_t bytes);

/** Fill err for a corrupt stream. @return JLP_CODEC_ERROR. */
jlp_codec_status jlp__codec_fail(jlp_error *err, jlp_code code, const char *codec,
                                 const char *what);

#endif
