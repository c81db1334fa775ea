/*
 * jlpickle_codec.h - the compressor plug-in ABI of libjlpickle.
 *
 * A codec is a struct of callbacks. The library ships zlib, gzip, bz2, lzma ("alone"),
 * xz, lz4 (frame), zstd and joblib's legacy ZF container; a program can register codecs
 * of its own in a jlp_registry and pass it in jlp_read_opts.registry.
 *
 * Detection (libarchive style): each codec's `bid` looks at the leading bytes of the
 * input and returns how many bits of them it checked and found right (0: not mine).
 * The highest bid wins; the raw pickle bidder competes with a low score, so a compressed
 * stream always beats a pickle whose first opcode happens to match a magic byte. A
 * codec compiled out of this build still bids (so detection names it) but has no
 * decoder; loading fails with JLP_E_CODEC_MISSING.
 *
 * Streaming (zstd style): the decoder consumes bytes from `in` and produces bytes into
 * `out`, advancing their `pos`, until it needs more input, fills the output, or reaches
 * the end of its stream. One driver loop in the library calls it; the codec never reads
 * files itself.
 *
 * Every callback receives the codec it belongs to as `self`, so one set of functions
 * can serve several codecs and reach their `user` field (a library handle, a dictionary,
 * the codec a wrapper forwards to).
 *
 * ABI: `abi_version` says which fields a codec struct has. Version 2 (this header) has
 * every field below; later versions only append fields, and the library reads an
 * appended field only from codecs whose abi_version has it. Version 1 (callbacks
 * without `self`) is no longer accepted.
 *
 * Thread safety: a jlp_codec is immutable once registered and shared by every load, so
 * callbacks may run on several threads at once (with different states); a decoder or
 * encoder state belongs to one load or write.
 */
#ifndef JLPICKLE_CODEC_H
#define JLPICKLE_CODEC_H

#include "jlpickle.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JLP_CODEC_ABI_VERSION 2

typedef struct jlp_inbuf {
    const void *src;
    size_t size;
    size_t pos;     /**< bytes consumed; the codec advances it */
} jlp_inbuf;

typedef struct jlp_outbuf {
    void *dst;
    size_t size;
    size_t pos;     /**< bytes produced; the codec advances it */
} jlp_outbuf;

/** Results of a decoder step. */
typedef enum jlp_codec_status {
    JLP_CODEC_ERROR = -1,   /**< corrupt input; `err` is filled (CORRUPT, CHECKSUM...) */
    JLP_CODEC_MORE = 0,     /**< progress made or more input/output space needed */
    JLP_CODEC_END = 1       /**< the stream ended; in->pos is just past its last byte */
} jlp_codec_status;

typedef struct jlp_codec jlp_codec;

struct jlp_codec {
    unsigned abi_version;        /**< JLP_CODEC_ABI_VERSION */
    /** Nonzero when several streams may follow one another (bz2, xz, lz4, zstd): after
     *  JLP_CODEC_END the driver bids on the rest of the input and, if this codec wins
     *  again, continues with a fresh decoder. Zero: bytes after the end are an error. */
    int concatenation;
    int default_level;           /**< what joblib uses when given only the codec name */
    int min_level, max_level;
    const char *name;            /**< "zlib", "gzip", ... unique in a registry */
    const char *extensions;      /**< space-separated, with dots: ".gz .gzip" */
    size_t bid_bytes;            /**< leading bytes `bid` wants to see (<= 64) */
    /** @return bits of `head` checked and matched, 0 if the input is not this codec.
     *  `len` may be shorter than bid_bytes for short inputs. */
    int (*bid)(const jlp_codec *self, const uint8_t *head, size_t len);
    /** Decoder: NULL when the codec is compiled out of this build. dec_new returns the
     *  state (NULL with err filled on failure); dec_free releases it. */
    void *(*dec_new)(const jlp_codec *self, const jlp_alc *alc, jlp_error *err);
    jlp_codec_status (*dec_run)(const jlp_codec *self, void *state, jlp_inbuf *in,
                                jlp_outbuf *out, jlp_error *err);
    void (*dec_free)(const jlp_codec *self, void *state);
    /** Version of the underlying library ("1.2.13"), or NULL. The function may be NULL. */
    const char *(*version)(const jlp_codec *self);
    /** Encoder: NULL when the codec cannot write (compiled out, or read-only like zf).
     *  `level` is in [min_level, max_level] (the writer substitutes default_level for
     *  -1); `threads` > 1 asks for parallel workers where the codec has them. */
    void *(*enc_new)(const jlp_codec *self, const jlp_alc *alc, int level, int threads,
                     jlp_error *err);
    /** Compress what `in` holds into `out`. With `finish` set no more input will come:
     *  flush and write the stream's end. @return JLP_CODEC_MORE (call again, with more
     *  output space if out is full), JLP_CODEC_END (finish done, everything written), or
     *  JLP_CODEC_ERROR with err filled. */
    jlp_codec_status (*enc_run)(const jlp_codec *self, void *state, jlp_inbuf *in,
                                jlp_outbuf *out, int finish, jlp_error *err);
    void (*enc_free)(const jlp_codec *self, void *state);
    void *user;                  /**< free for the codec's author; reached as self->user */
};

/** A set of codecs used for detection. */
typedef struct jlp_registry jlp_registry;

/** @return the built-in registry: immutable, static, shared by every thread. */
JLP_API const jlp_registry *jlp_registry_default(void);
/** @return a new registry holding the built-in codecs, to which codecs can be added,
 *  or NULL on allocation failure. alc NULL = malloc. Free with jlp_registry_free. */
JLP_API jlp_registry *jlp_registry_new(const jlp_alc *alc);
/** Add `codec` (borrowed: it must outlive the registry). A codec with the name of an
 *  existing one replaces it.
 *  @return JLP_OK, JLP_E_INVALID_ARG (NULL, abi_version other than 2, no name or bid,
 *  bid_bytes > 64, decoder or encoder callbacks only partly set), JLP_E_NOMEM. Not thread-safe with respect to loads using the same registry. */
JLP_API jlp_code jlp_registry_add(jlp_registry *reg, const jlp_codec *codec, jlp_error *err);
/** Release a registry from jlp_registry_new. NULL and the default registry are ignored. */
JLP_API void jlp_registry_free(jlp_registry *reg);
/** @return the codec called `name` (NULL registry = default), or NULL. */
JLP_API const jlp_codec *jlp_registry_find(const jlp_registry *reg, const char *name);
/** @return the number of codecs, and codec `i` of them (NULL past the end). */
JLP_API size_t jlp_registry_count(const jlp_registry *reg);
JLP_API const jlp_codec *jlp_registry_get(const jlp_registry *reg, size_t i);
/** Detect the container of `head`: @return the winning codec, or NULL when the raw
 *  pickle bidder wins (*is_pickle = 1) or nothing bids (*is_pickle = 0). The pickle
 *  bidder bids on a leading opcode byte, but not on numpy's .npy magic ("\x93NUMPY"),
 *  which no pickle can start with. */
JLP_API const jlp_codec *jlp_registry_detect(const jlp_registry *reg, const uint8_t *head,
                                             size_t len, int *is_pickle);

#ifdef __cplusplus
}
#endif
#endif /* JLPICKLE_CODEC_H */
