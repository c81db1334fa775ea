/*
 * sink.h - the output layer: a buffered byte sink that counts its position (the
 * uncompressed offset joblib's padding is computed from), optionally through a codec's
 * encoder, into a file descriptor, a FILE*, a callback or memory. Errors are sticky:
 * after the first failure every call is a no-op and the error is kept.
 */
#ifndef JLP_SINK_H
#define JLP_SINK_H

#include "../common/common.h"
#include "../jlpickle_codec.h"

typedef struct jlp__sink {
    const jlp_alc *alc;
    uint64_t pos;            /* uncompressed bytes written, plus the starting offset */
    uint8_t *buf;            /* uncompressed bytes not yet encoded/written */
    size_t len, cap;
    const jlp_codec *codec;  /* NULL: no compression */
    void *enc;
    uint8_t *zbuf;           /* encoder output */
    size_t zcap;
    int fd;
    FILE *fp;
    jlp_write_fn fn;
    void *ctx;
    jlp__buf *mem;
    uint64_t out_bytes;      /* bytes given to the target */
    bool failed;
    jlp_error err;
} jlp__sink;

/** Set up a sink over one target (exactly one of fd >= 0, fp, fn, mem). */
jlp_code jlp__sink_init(jlp__sink *s, const jlp_alc *alc, int fd, FILE *fp, jlp_write_fn fn,
                        void *ctx, jlp__buf *mem, jlp_error *err);
/** Compress everything that follows with `codec` at `level` with `threads`. */
jlp_code jlp__sink_set_codec(jlp__sink *s, const jlp_codec *codec, int level, int threads);
/** Append bytes. Large blocks bypass the buffer. */
void jlp__sink_write(jlp__sink *s, const void *p, size_t n);
static inline void jlp__sink_byte(jlp__sink *s, uint8_t b) {
    if (JLP_LIKELY(s->len < s->cap)) {
        s->buf[s->len++] = b;
        s->pos++;
    } else {
        jlp__sink_write(s, &b, 1);
    }
}
/** Write out everything and end the codec's stream. @return JLP_OK or the sticky error. */
jlp_code jlp__sink_finish(jlp__sink *s);
/** Release buffers and the encoder (does not close the target). */
void jlp__sink_release(jlp__sink *s);

#endif
