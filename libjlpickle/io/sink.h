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
    bool writeback;          /* fd: start write-back as the file grows (jlp__sink_writeback) */
    uint64_t wb_started;     /* out_bytes up to which write-back was started */
    bool failed;
    jlp_error err;
} jlp__sink;

/** Set up a sink over one target (exactly one of fd >= 0, fp, fn, mem). */
jlp_code jlp__sink_init(jlp__sink *s, const jlp_alc *alc, int fd, FILE *fp, jlp_write_fn fn,
                        void *ctx, jlp__buf *mem, jlp_error *err);
/** For a file descriptor sink writing a regular file from offset 0 that will be fsynced
 *  (durable path writes): start the kernel's write-back of each chunk as soon as it is
 *  written, and wait for the chunk before it, so that the disk works while the writer
 *  does, at most two chunks are dirty, and the final fsync waits only for the tail.
 *  Where the system lacks sync_file_range (Linux) this does nothing. */
void jlp__sink_writeback(jlp__sink *s);
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

/** What a dump writes into its sink (everything but finishing it); `ctx` is the
 *  body's own. output.c runs a body over a callback, FILE, descriptor, memory or a path
 *  written atomically, so every format's writer (pickle/dump.c, .npy, .npz) reuses it. */
typedef jlp_code (*jlp__dump_body)(jlp__sink *s, const void *ctx, jlp_error *err);

/** One dump: the body, its context, and the resolved options that choose the codec,
 *  level, threads, allocator and durability (NULL: no codec, the body alone, durable). */
typedef struct jlp__dump_job {
    jlp__dump_body body;
    const void *ctx;
    const jlp_write_opts *o;
} jlp__dump_job;
/** Run the job into `fn(fn_ctx, ...)`. @return JLP_OK or the error. */
jlp_code jlp__dump_run_cb(const jlp__dump_job *j, jlp_write_fn fn, void *fn_ctx, jlp_error *err);
/** Run the job into `fp` at its position (padding counts from it when uncompressed). */
jlp_code jlp__dump_run_file(const jlp__dump_job *j, FILE *fp, jlp_error *err);
/** Run the job into descriptor `fd` at its position. */
jlp_code jlp__dump_run_fd(const jlp__dump_job *j, int fd, jlp_error *err);
/** Run the job into a new malloc()ed buffer (*out, *len; len may be NULL). */
jlp_code jlp__dump_run_mem(const jlp__dump_job *j, void **out, size_t *len, jlp_error *err);
/** Run the job into the file `path`, written atomically (a temporary file beside it,
 *  fsynced when durable, renamed over it); the codec may come from the path's name. */
jlp_code jlp__dump_run_path(const jlp__dump_job *j, const char *path, jlp_error *err);

/** Run `body` into `fn(fn_ctx, ...)`. @return JLP_OK or the error. */
jlp_code jlp__dump_body_cb(jlp__dump_body body, const void *ctx, jlp_write_fn fn, void *fn_ctx, jlp_error *err);
/** Run `body` into a new malloc()ed buffer (*out, *len; len may be NULL). */
jlp_code jlp__dump_body_mem(jlp__dump_body body, const void *ctx, void **out, size_t *len, jlp_error *err);
/** Run `body` into the file `path`, written atomically as jlp_dump_path does. */
jlp_code jlp__dump_body_path(jlp__dump_body body, const void *ctx, const char *path, jlp_error *err);

#endif
