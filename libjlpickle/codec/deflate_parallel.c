/*
 * deflate_parallel.c - zlib's deflate run pigz-style by a pool of worker threads, for
 * jlp_write_opts.threads > 1 (the encoder of deflate.c hands its stream here).
 *
 * The input is cut into PD_BLOCK blocks. Each block is compressed independently as raw
 * deflate by one of `threads` workers, primed with the last 32 KiB of the input before it
 * (deflateSetDictionary), so matches reach back across the cut as in one stream. Every
 * block but the last ends with Z_SYNC_FLUSH (an empty stored block: byte-aligned, not
 * final), the last with Z_FINISH, so the pieces concatenate into one deflate stream. The
 * calling thread writes the zlib or gzip header and trailer itself and combines the
 * blocks' checksums (adler32_combine / crc32_combine), computed by the workers.
 *
 * Memory is bounded: a ring of 2 * threads + 2 slots, each holding one block's input
 * (dictionary + data) and its compressed output. Slot `seq % nslots` carries block `seq`;
 * the caller fills one slot at a time, queues it, and writes finished slots out in order.
 * When every slot is busy, jlp__pdeflate_run waits for the oldest one. Every allocation
 * happens in jlp__pdeflate_new on the caller's thread (workers never call the jlp_alc),
 * so an allocator needs no locking; workers only run deflate() into buffers sized for
 * the worst case.
 *
 * A full block is queued only once more input arrives (or with finish, as the last
 * block), so the last block always carries the final bit and the stream never needs an
 * extra empty block.
 */
#include "codec.h"

#include <errno.h>

#ifdef JLP_HAVE_ZLIB
#include <pthread.h>
#include <zlib.h>

typedef jlp__pdeflate pdeflate;

static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    return jlp__codec_alloc(opaque, (size_t)items * size);
}

static void z_free(voidpf opaque, voidpf ptr) { jlp__codec_free(opaque, ptr); }

#define PD_BLOCK ((size_t)128 << 10)
#define PD_DICT ((size_t)32 << 10)
/* A worst case for one block (zlib's conservative deflateBound for any parameters, plus
 * the sync-flush marker and slack), so a worker never runs out of output space. */
#define PD_OUT_CAP (PD_BLOCK + (PD_BLOCK >> 3) + (PD_BLOCK >> 6) + 5 + 64)
/* More workers never help and each costs about 0.9 MiB (two slots and a deflate state). */
#define PD_MAX_THREADS 256

/* Testing hook (tests/unit/test_pdeflate.c): a worker reports failure instead of
 * compressing the block with this sequence number; -1 never. Set before enc_new. */
long long jlp__pdeflate_test_fail_block = -1;

enum { SLOT_FREE, SLOT_FILLING, SLOT_QUEUED, SLOT_DONE, SLOT_FAILED };

typedef struct pd_slot {
    uint8_t *in;            /* PD_DICT + PD_BLOCK: dictionary, then the block's data */
    uint8_t *out;           /* PD_OUT_CAP: the compressed block */
    size_t dict_len, len;   /* dictionary and data bytes in `in` */
    size_t out_len, out_pos;/* compressed bytes, bytes already written out */
    uint32_t check;         /* adler32 (zlib) or crc32 (gzip) of the data */
    bool last;
    int state;              /* SLOT_*: QUEUED, DONE and FAILED are set under the mutex */
    const char *fail;       /* SLOT_FAILED: what went wrong (static text) */
    jlp_code fail_code;
} pd_slot;

struct jlp__pdeflate {
    const jlp_alc *alc;
    bool gzip;
    int level;
    int threads;            /* workers wanted (sizes zs, tids) */
    int nworkers;           /* threads started */
    int nzs;                /* deflate states initialised (one per worker) */
    pthread_t *tids;
    z_stream *zs;
    pd_slot *slots;
    size_t nslots;
    pthread_mutex_t mu;
    pthread_cond_t work;    /* workers: a slot was queued, or stop */
    pthread_cond_t done;    /* caller: a slot finished */
    bool sync_init;         /* mu and the conditions exist */
    bool stop;              /* guarded by mu */
    uint64_t queued;        /* blocks queued so far (the caller changes it under mu) */
    uint64_t taken;         /* blocks handed to workers (guarded by mu) */
    /* caller's side only: */
    uint64_t written;       /* blocks written out so far */
    bool filling;           /* slot `queued % nslots` is being filled */
    bool last_queued, ended;
    uint32_t check;         /* combined checksum of the blocks written so far */
    uint64_t total;         /* input bytes of the blocks written so far */
    uint8_t hdr[10], tail[8];
    size_t hdr_len, hdr_pos, tail_len, tail_pos;
    bool tail_ready;
    jlp_error err;          /* sticky failure, code JLP_OK while none */
};

typedef struct pd_worker_arg {
    pdeflate *p;
    int id;
} pd_worker_arg;

/* Compress one slot with deflate state `zs`. Runs without the lock: a queued slot
 * belongs to the worker that took it until the worker publishes the returned state
 * (SLOT_DONE or SLOT_FAILED) under the lock. */
static int pd_compress(z_stream *zs, pd_slot *s, bool gzip, uint64_t seq) {
    const uint8_t *data = s->in + s->dict_len;
    s->check = gzip ? (uint32_t)crc32(0L, data, (uInt)s->len) : (uint32_t)adler32(1L, data, (uInt)s->len);
    s->out_len = s->out_pos = 0;
    if ((long long)seq == jlp__pdeflate_test_fail_block) {
        s->fail = "worker failed (test hook)";
        s->fail_code = JLP_E_CORRUPT;
        return SLOT_FAILED;
    }
    int r = deflateReset(zs);
    if (r == Z_OK && s->dict_len) r = deflateSetDictionary(zs, s->in, (uInt)s->dict_len);
    if (r == Z_OK) {
        zs->next_in = (Bytef *)(uintptr_t)data;
        zs->avail_in = (uInt)s->len;
        zs->next_out = s->out;
        zs->avail_out = (uInt)PD_OUT_CAP;
        r = deflate(zs, s->last ? Z_FINISH : Z_SYNC_FLUSH);
        s->out_len = PD_OUT_CAP - zs->avail_out;
        if (s->last ? r == Z_STREAM_END : (r == Z_OK && zs->avail_in == 0 && zs->avail_out > 0))
            return SLOT_DONE;
        if (r == Z_OK || r == Z_STREAM_END) r = Z_BUF_ERROR;
    }
    s->fail = r == Z_MEM_ERROR ? "worker out of memory"
            : r == Z_BUF_ERROR ? "worker ran out of output space"
            : zs->msg ? zs->msg : "worker failed";
    s->fail_code = r == Z_MEM_ERROR ? JLP_E_NOMEM : JLP_E_CORRUPT;
    return SLOT_FAILED;
}

static void *pd_worker(void *arg) {
    pdeflate *p = ((pd_worker_arg *)arg)->p;
    z_stream *zs = &p->zs[((pd_worker_arg *)arg)->id];
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->taken == p->queued) pthread_cond_wait(&p->work, &p->mu);
        if (p->stop) break;
        uint64_t seq = p->taken++;
        pd_slot *s = &p->slots[seq % p->nslots];
        pthread_mutex_unlock(&p->mu);
        int state = pd_compress(zs, s, p->gzip, seq);
        pthread_mutex_lock(&p->mu);
        s->state = state;
        pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void jlp__pdeflate_free(pdeflate *p) {
    if (!p) return;
    if (p->nworkers) {
        pthread_mutex_lock(&p->mu);
        p->stop = true;
        pthread_cond_broadcast(&p->work);
        pthread_mutex_unlock(&p->mu);
        for (int i = 0; i < p->nworkers; i++) pthread_join(p->tids[i], NULL);
    }
    if (p->sync_init) {
        pthread_cond_destroy(&p->done);
        pthread_cond_destroy(&p->work);
        pthread_mutex_destroy(&p->mu);
    }
    for (int i = 0; i < p->nzs; i++) deflateEnd(&p->zs[i]);
    if (p->slots)
        for (size_t i = 0; i < p->nslots; i++) {
            jlp__free(p->alc, p->slots[i].in, PD_DICT + PD_BLOCK);
            jlp__free(p->alc, p->slots[i].out, PD_OUT_CAP);
        }
    jlp__free(p->alc, p->slots, p->nslots * sizeof *p->slots);
    jlp__free(p->alc, p->zs, (size_t)p->threads * sizeof *p->zs);
    /* the worker arguments live just after the thread ids */
    jlp__free(p->alc, p->tids, (size_t)p->threads * (sizeof(pthread_t) + sizeof(pd_worker_arg)));
    jlp__free(p->alc, p, sizeof *p);
}

pdeflate *jlp__pdeflate_new(const jlp_alc *alc, int level, bool gzip, int threads, jlp_error *err) {
    const char *name = gzip ? "gzip" : "zlib";
    if (threads > PD_MAX_THREADS) threads = PD_MAX_THREADS;
    pdeflate *p = jlp__malloc(alc, sizeof *p);
    if (!p) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a parallel %s encoder", name);
        return NULL;
    }
    memset(p, 0, sizeof *p);
    p->alc = alc;
    p->gzip = gzip;
    p->level = level == Z_DEFAULT_COMPRESSION ? 6 : level;
    p->threads = threads;
    p->nslots = (size_t)threads * 2 + 2;
    size_t targ = (size_t)threads * (sizeof(pthread_t) + sizeof(pd_worker_arg));
    p->slots = jlp__malloc(alc, p->nslots * sizeof *p->slots);
    if (p->slots) memset(p->slots, 0, p->nslots * sizeof *p->slots);
    p->zs = jlp__malloc(alc, (size_t)threads * sizeof *p->zs);
    p->tids = jlp__malloc(alc, targ);
    if (!p->slots || !p->zs || !p->tids) goto nomem;
    for (size_t i = 0; i < p->nslots; i++) {
        p->slots[i].in = jlp__malloc(alc, PD_DICT + PD_BLOCK);
        p->slots[i].out = jlp__malloc(alc, PD_OUT_CAP);
        if (!p->slots[i].in || !p->slots[i].out) goto nomem;
    }
    for (; p->nzs < threads; p->nzs++) {
        z_stream *zs = &p->zs[p->nzs];
        memset(zs, 0, sizeof *zs);
        zs->zalloc = z_alloc;
        zs->zfree = z_free;
        zs->opaque = (voidpf)(uintptr_t)alc;
        int r = deflateInit2(zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
        if (r == Z_MEM_ERROR) goto nomem;
        if (r != Z_OK) {
            jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "zlib refused level %d", level);
            jlp__pdeflate_free(p);
            return NULL;
        }
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) goto nomem;
    if (pthread_cond_init(&p->work, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        goto nomem;
    }
    if (pthread_cond_init(&p->done, NULL) != 0) {
        pthread_cond_destroy(&p->work);
        pthread_mutex_destroy(&p->mu);
        goto nomem;
    }
    p->sync_init = true;
    pd_worker_arg *args = (pd_worker_arg *)(void *)(p->tids + threads);
    for (; p->nworkers < threads; p->nworkers++) {
        args[p->nworkers].p = p;
        args[p->nworkers].id = p->nworkers;
        int e = pthread_create(&p->tids[p->nworkers], NULL, pd_worker, &args[p->nworkers]);
        if (e) {
            jlp__fail(err, e == EAGAIN ? JLP_E_NOMEM : JLP_E_IO, 0, -1,
                      "cannot start %s compression threads: %s", name, strerror(e));
            jlp__pdeflate_free(p);
            return NULL;
        }
    }
    /* header: what zlib's deflate writes for these parameters */
    if (gzip) {
        static const uint8_t gz[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
        memcpy(p->hdr, gz, 10);
        p->hdr[8] = p->level == 9 ? 2 : p->level < 2 ? 4 : 0;
        p->hdr_len = 10;
        p->check = 0;              /* crc32 of nothing */
    } else {
        unsigned flags = p->level < 2 ? 0 : p->level < 6 ? 1 : p->level == 6 ? 2 : 3;
        unsigned h = (0x78u << 8) | (flags << 6);
        h += 31 - h % 31;
        p->hdr[0] = (uint8_t)(h >> 8);
        p->hdr[1] = (uint8_t)h;
        p->hdr_len = 2;
        p->check = 1;              /* adler32 of nothing */
    }
    return p;
nomem:
    jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a parallel %s encoder", name);
    jlp__pdeflate_free(p);
    return NULL;
}

/* Copy pending bytes src[*pos..len) into out. @return true when all are out. */
static bool pd_put(const uint8_t *src, size_t *pos, size_t len, jlp_outbuf *out) {
    size_t k = len - *pos, room = out->size - out->pos;
    if (k > room) k = room;
    memcpy((uint8_t *)out->dst + out->pos, src + *pos, k);
    out->pos += k;
    *pos += k;
    return *pos == len;
}

static jlp_codec_status pd_fail(pdeflate *p, jlp_error *err) {
    if (err) *err = p->err;
    return JLP_CODEC_ERROR;
}

/* Wait until block `written` has left the workers (DONE or FAILED). Caller holds no lock. */
static void pd_wait_oldest(pdeflate *p) {
    pd_slot *s = &p->slots[p->written % p->nslots];
    pthread_mutex_lock(&p->mu);
    while (s->state == SLOT_QUEUED) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void pd_queue(pdeflate *p, bool last) {
    pd_slot *s = &p->slots[p->queued % p->nslots];
    s->last = last;
    pthread_mutex_lock(&p->mu);
    s->state = SLOT_QUEUED;
    p->queued++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    p->filling = false;
    if (last) p->last_queued = true;
}

/* Start filling the next slot (one must be free), primed with the previous block's tail. */
static void pd_start_slot(pdeflate *p) {
    pd_slot *s = &p->slots[p->queued % p->nslots];
    s->len = 0;
    s->dict_len = 0;
    if (p->queued > 0) {
        /* The previous slot is intact: it is reused only for block queued - 1 + nslots. */
        const pd_slot *prev = &p->slots[(p->queued - 1) % p->nslots];
        size_t d = prev->len < PD_DICT ? prev->len : PD_DICT;
        memcpy(s->in, prev->in + prev->dict_len + prev->len - d, d);
        s->dict_len = d;
    }
    s->state = SLOT_FILLING;
    p->filling = true;
}

jlp_codec_status jlp__pdeflate_run(pdeflate *p, jlp_inbuf *in, jlp_outbuf *out, int finish, jlp_error *err) {
    if (p->err.code) return pd_fail(p, err);
    if (p->ended) {
        if (in->pos == in->size) return JLP_CODEC_END;
        jlp__fail(&p->err, JLP_E_INVALID_ARG, 0, -1, "%s: input after the end of the stream", p->gzip ? "gzip" : "zlib");
        return pd_fail(p, err);
    }
    if (!pd_put(p->hdr, &p->hdr_pos, p->hdr_len, out)) return JLP_CODEC_MORE;
    for (;;) {
        /* 1. write out finished blocks, oldest first */
        while (p->written < p->queued) {
            pd_slot *s = &p->slots[p->written % p->nslots];
            pthread_mutex_lock(&p->mu);
            int state = s->state;
            pthread_mutex_unlock(&p->mu);
            if (state == SLOT_QUEUED) break;
            if (state == SLOT_FAILED) {
                jlp__fail(&p->err, s->fail_code, 0, -1, "%s: %s", p->gzip ? "gzip" : "zlib", s->fail);
                return pd_fail(p, err);
            }
            if (!pd_put(s->out, &s->out_pos, s->out_len, out)) return JLP_CODEC_MORE;
            p->check = p->gzip ? (uint32_t)crc32_combine(p->check, s->check, (z_off_t)s->len)
                               : (uint32_t)adler32_combine(p->check, s->check, (z_off_t)s->len);
            p->total += s->len;
            s->state = SLOT_FREE;
            p->written++;
            if (s->last) {
                uint32_t c = p->check;
                if (p->gzip) {
                    uint32_t n = (uint32_t)p->total;
                    for (int i = 0; i < 4; i++) p->tail[i] = (uint8_t)(c >> (8 * i));
                    for (int i = 0; i < 4; i++) p->tail[4 + i] = (uint8_t)(n >> (8 * i));
                    p->tail_len = 8;
                } else {
                    for (int i = 0; i < 4; i++) p->tail[i] = (uint8_t)(c >> (24 - 8 * i));
                    p->tail_len = 4;
                }
                p->tail_ready = true;
            }
        }
        /* 2. the trailer ends the stream */
        if (p->tail_ready) {
            if (!pd_put(p->tail, &p->tail_pos, p->tail_len, out)) return JLP_CODEC_MORE;
            p->ended = true;
            return JLP_CODEC_END;
        }
        if (out->pos == out->size) return JLP_CODEC_MORE;
        /* 3. take input */
        size_t avail = in->size - in->pos;
        if (p->last_queued) {
            pd_wait_oldest(p);
            continue;
        }
        pd_slot *cur = &p->slots[p->queued % p->nslots];
        if (p->filling && cur->len == PD_BLOCK && (avail || finish)) {
            pd_queue(p, avail == 0);      /* full: more input follows, or it is the last */
            continue;
        }
        if (!avail && !finish) return JLP_CODEC_MORE;
        if (!p->filling) {
            if (p->queued - p->written == p->nslots) {
                pd_wait_oldest(p);        /* every slot busy: wait for the oldest */
                continue;
            }
            pd_start_slot(p);
            cur = &p->slots[p->queued % p->nslots];
        }
        if (!avail) {                     /* finish: the block being filled is the last */
            pd_queue(p, true);
            continue;
        }
        size_t k = PD_BLOCK - cur->len;
        if (k > avail) k = avail;
        memcpy(cur->in + cur->dict_len + cur->len, (const uint8_t *)in->src + in->pos, k);
        cur->len += k;
        in->pos += k;
    }
}

#endif /* JLP_HAVE_ZLIB */
