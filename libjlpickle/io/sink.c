/* sink.c - buffered output with an optional encoder (see sink.h). */
#define _GNU_SOURCE /* sync_file_range (Linux): the overlapped write-back of durable writes */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* Uncompressed bytes gathered before they go to the encoder or the target. */
#define SINK_BUF ((size_t)256 << 10)

/* Durable writes: write-back is started per chunk of this size. Large enough that the
 * disk gets long sequential writes and the system calls cost nothing next to them,
 * small enough that two dirty chunks are little memory and the final fsync short. */
#define WRITEBACK_CHUNK ((uint64_t)32 << 20)

void jlp__sink_writeback(jlp__sink *s) { s->writeback = true; }

/* Start write-back of every whole chunk written so far, waiting for the one before. */
static void writeback(jlp__sink *s) {
#ifdef SYNC_FILE_RANGE_WRITE
    while (s->out_bytes - s->wb_started >= WRITEBACK_CHUNK) {
        off_t at = (off_t)s->wb_started;
        /* Failures are left to the final fsync, which reports them. */
        (void)sync_file_range(s->fd, at, (off_t)WRITEBACK_CHUNK, SYNC_FILE_RANGE_WRITE);
        if (at > 0)
            (void)sync_file_range(s->fd, at - (off_t)WRITEBACK_CHUNK, (off_t)WRITEBACK_CHUNK,
                                  SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        s->wb_started += WRITEBACK_CHUNK;
    }
#else
    s->writeback = false;
#endif
}

static void fail_io(jlp__sink *s, const char *what, int e) {
    if (s->failed) return;
    s->failed = true;
    jlp__fail(&s->err, JLP_E_IO, s->pos, -1, "%s: %s", what, strerror(e ? e : EIO));
}

static void emit(jlp__sink *s, const uint8_t *p, size_t n) {
    if (s->failed || !n) return;
    if (s->fd >= 0) {
        while (n) {
            ssize_t k = write(s->fd, p, n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n);
            if (k < 0) {
                if (errno == EINTR) continue;
                fail_io(s, "write failed", errno);
                return;
            }
            p += k;
            n -= (size_t)k;
            s->out_bytes += (uint64_t)k;
        }
        if (s->writeback) writeback(s);
    } else if (s->fp) {
        if (fwrite(p, 1, n, s->fp) != n) { fail_io(s, "fwrite failed", errno); return; }
        s->out_bytes += n;
    } else if (s->fn) {
        if (s->fn(s->ctx, p, n) != 0) { fail_io(s, "the write callback failed", EIO); return; }
        s->out_bytes += n;
    } else {
        jlp__buf_put(s->mem, p, n);
        if (s->mem->failed) {
            s->failed = true;
            jlp__fail(&s->err, JLP_E_NOMEM, s->pos, -1, "out of memory for the output");
            return;
        }
        s->out_bytes += n;
    }
}

/* Push `n` uncompressed bytes through the encoder (or straight out). */
static void encode(jlp__sink *s, const uint8_t *p, size_t n, bool finish) {
    if (s->failed) return;
    if (!s->codec) {
        emit(s, p, n);
        return;
    }
    jlp_inbuf in = {p, n, 0};
    for (;;) {
        jlp_outbuf out = {s->zbuf, s->zcap, 0};
        jlp_error e;
        jlp__clear(&e);
        jlp_codec_status st = s->codec->enc_run(s->codec, s->enc, &in, &out, finish, &e);
        emit(s, s->zbuf, out.pos);
        if (st == JLP_CODEC_ERROR) {
            if (!s->failed) {
                s->failed = true;
                s->err = e;
            }
            return;
        }
        if (s->failed || st == JLP_CODEC_END) return;
        if (!finish && in.pos == in.size && out.pos < out.size) return;
    }
}

jlp_code jlp__sink_init(jlp__sink *s, const jlp_alc *alc, int fd, FILE *fp, jlp_write_fn fn,
                        void *ctx, jlp__buf *mem, jlp_error *err) {
    memset(s, 0, sizeof *s);
    s->alc = jlp__alc_or_default(alc);
    s->fd = fd;
    s->fp = fp;
    s->fn = fn;
    s->ctx = ctx;
    s->mem = mem;
    s->cap = SINK_BUF;
    s->buf = jlp__malloc(s->alc, s->cap);
    if (!s->buf) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate an output buffer");
    return JLP_OK;
}

jlp_code jlp__sink_set_codec(jlp__sink *s, const jlp_codec *codec, int level, int threads) {
    if (!codec->enc_new) {
        s->failed = true;
        return jlp__fail(&s->err, JLP_E_CODEC_MISSING, 0, -1, "%s cannot be written by this build", codec->name);
    }
    s->zcap = SINK_BUF;
    s->zbuf = jlp__malloc(s->alc, s->zcap);
    if (!s->zbuf) {
        s->failed = true;
        return jlp__fail(&s->err, JLP_E_NOMEM, 0, -1, "cannot allocate a compression buffer");
    }
    s->enc = codec->enc_new(codec, s->alc, level < 0 ? codec->default_level : level, threads, &s->err);
    if (!s->enc) {
        s->failed = true;
        return s->err.code;
    }
    s->codec = codec;
    return JLP_OK;
}

void jlp__sink_write(jlp__sink *s, const void *p, size_t n) {
    if (s->failed) return;
    s->pos += n;
    if (s->len + n <= s->cap) {
        memcpy(s->buf + s->len, p, n);
        s->len += n;
        return;
    }
    encode(s, s->buf, s->len, false);
    s->len = 0;
    if (n >= s->cap / 2) {
        encode(s, p, n, false);
    } else {
        memcpy(s->buf, p, n);
        s->len = n;
    }
}

jlp_code jlp__sink_finish(jlp__sink *s) {
    if (!s->failed) {
        encode(s, s->buf, s->len, s->codec != NULL);
        s->len = 0;
    }
    return s->failed ? s->err.code : JLP_OK;
}

void jlp__sink_release(jlp__sink *s) {
    if (s->enc) s->codec->enc_free(s->codec, s->enc);
    jlp__free(s->alc, s->buf, s->cap);
    jlp__free(s->alc, s->zbuf, s->zcap);
    s->enc = NULL;
    s->buf = s->zbuf = NULL;
}
