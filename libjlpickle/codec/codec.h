/*
 * codec.h - internal declarations of the codec layer: the built-in codecs (one file
 * each, sharing code where the library underneath is shared) and the raw pickle bidder.
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

/** Score the leading bytes as an uncompressed pickle (low: any codec magic wins). */
int jlp__bid_pickle(const uint8_t *head, size_t len);

/** Allocation for codec libraries that free without a size: the block records its
 *  size in front so jlp_alc's free gets it. `opaque` is the jlp_alc. */
void *jlp__codec_alloc(void *opaque, size_t n);
void jlp__codec_free(void *opaque, void *ptr);

/** Fill err for a corrupt stream. @return JLP_CODEC_ERROR. */
jlp_codec_status jlp__codec_fail(jlp_error *err, jlp_code code, const char *codec,
                                 const char *what);

#endif
