/* lz4.c - LZ4 frames through liblz4's frame API. joblib writes frames without block or
 * content checksums, so a flipped bit may decode to wrong bytes undetected; frames that
 * carry checksums are verified by liblz4. */
#include "codec.h"

static int bid_lz4(const jlp_codec *self, const uint8_t *h, size_t len) {
    (void)self;
    if (len < 6 || h[0] != 0x04 || h[1] != 0x22 || h[2] != 0x4D || h[3] != 0x18) return 0;
    if ((h[4] >> 6) != 1 || (h[4] & 0x02)) return 0; /* version 01, reserved bit clear */
    return 36;
}

#ifdef JLP_HAVE_LZ4
#include <lz4frame.h>
#include <lz4.h>

typedef struct lz4dec {
    LZ4F_dctx *ctx;
    const jlp_alc *alc;
} lz4dec;

static void *dec_new(const jlp_codec *self, const jlp_alc *alc, jlp_error *err) {
    (void)self;
    lz4dec *d = jlp__malloc(alc, sizeof *d);
    if (!d || LZ4F_isError(LZ4F_createDecompressionContext(&d->ctx, LZ4F_VERSION))) {
        jlp__free(alc, d, sizeof *d);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate an lz4 decoder");
        return NULL;
    }
    d->alc = alc;
    return d;
}

static void dec_free(const jlp_codec *self, void *state) {
    (void)self;
    lz4dec *d = state;
    LZ4F_freeDecompressionContext(d->ctx);
    jlp__free(d->alc, d, sizeof *d);
}

static jlp_codec_status dec_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out, jlp_error *err) {
    (void)self;
    lz4dec *d = state;
    size_t src_size = in->size - in->pos, dst_size = out->size - out->pos;
    size_t hint = LZ4F_decompress(d->ctx, (char *)out->dst + out->pos, &dst_size,
                                  (const char *)in->src + in->pos, &src_size, NULL);
    in->pos += src_size;
    out->pos += dst_size;
    if (LZ4F_isError(hint)) {
        const char *name = LZ4F_getErrorName(hint);
        jlp_code code = strstr(name, "hecksum") ? JLP_E_CHECKSUM : JLP_E_CORRUPT;
        return jlp__codec_fail(err, code, "lz4", name);
    }
    return hint == 0 ? JLP_CODEC_END : JLP_CODEC_MORE;
}

static const char *version(const jlp_codec *self) { (void)self; return LZ4_versionString(); }

/* Writing: python-lz4's LZ4FrameFile defaults, as joblib uses them: 64 KiB linked
 * blocks, no block or content checksum, no content size, level 0 (fast). */
typedef struct lz4enc {
    LZ4F_cctx *ctx;
    const jlp_alc *alc;
    LZ4F_preferences_t pref;
    bool begun, ended;
    uint8_t *stage;   /* liblz4 writes whole blocks: stage them, then copy out */
    size_t stage_cap, stage_len, stage_pos;
} lz4enc;

static void *enc_new(const jlp_codec *self, const jlp_alc *alc, int level, int threads, jlp_error *err) {
    (void)self;
    (void)threads;
    lz4enc *e = jlp__malloc(alc, sizeof *e);
    if (!e || LZ4F_isError(LZ4F_createCompressionContext(&e->ctx, LZ4F_VERSION))) {
        jlp__free(alc, e, sizeof *e);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate an lz4 encoder");
        return NULL;
    }
    e->alc = alc;
    memset(&e->pref, 0, sizeof e->pref);
    e->pref.frameInfo.blockSizeID = LZ4F_max64KB;
    e->pref.frameInfo.blockMode = LZ4F_blockLinked;
    e->pref.compressionLevel = level;
    e->begun = e->ended = false;
    e->stage_cap = LZ4F_compressBound(64 * 1024, &e->pref) + 64;
    e->stage = jlp__malloc(alc, e->stage_cap);
    e->stage_len = e->stage_pos = 0;
    if (!e->stage) {
        LZ4F_freeCompressionContext(e->ctx);
        jlp__free(alc, e, sizeof *e);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate an lz4 encoder");
        return NULL;
    }
    return e;
}

static jlp_codec_status enc_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out, int finish, jlp_error *err) {
    (void)self;
    lz4enc *e = state;
    for (;;) {
        if (e->stage_pos < e->stage_len) { /* drain what liblz4 produced */
            size_t k = e->stage_len - e->stage_pos, room = out->size - out->pos;
            if (k > room) k = room;
            memcpy((uint8_t *)out->dst + out->pos, e->stage + e->stage_pos, k);
            out->pos += k;
            e->stage_pos += k;
            if (e->stage_pos < e->stage_len) return JLP_CODEC_MORE;
        }
        if (e->ended) return JLP_CODEC_END;
        size_t r;
        if (!e->begun) {
            r = LZ4F_compressBegin(e->ctx, e->stage, e->stage_cap, &e->pref);
            e->begun = true;
        } else if (in->pos < in->size) {
            size_t chunk = in->size - in->pos;
            if (chunk > 64 * 1024) chunk = 64 * 1024;
            r = LZ4F_compressUpdate(e->ctx, e->stage, e->stage_cap, (const uint8_t *)in->src + in->pos, chunk, NULL);
            if (!LZ4F_isError(r)) in->pos += chunk;
        } else if (finish) {
            r = LZ4F_compressEnd(e->ctx, e->stage, e->stage_cap, NULL);
            e->ended = true;
        } else {
            return JLP_CODEC_MORE;
        }
        if (LZ4F_isError(r)) return jlp__codec_fail(err, JLP_E_CORRUPT, "lz4", LZ4F_getErrorName(r));
        e->stage_len = r;
        e->stage_pos = 0;
    }
}

static void enc_free(const jlp_codec *self, void *state) {
    (void)self;
    lz4enc *e = state;
    LZ4F_freeCompressionContext(e->ctx);
    jlp__free(e->alc, e->stage, e->stage_cap);
    jlp__free(e->alc, e, sizeof *e);
}

#define CODEC_CALLBACKS .dec_new = dec_new, .dec_run = dec_run, .dec_free = dec_free, .version = version, \
                        .enc_new = enc_new, .enc_run = enc_run, .enc_free = enc_free
#else
#define CODEC_CALLBACKS .dec_new = NULL
#endif

const jlp_codec jlp__codec_lz4 = {.abi_version = JLP_CODEC_ABI_VERSION, .name = "lz4", .extensions = ".lz4",
                                  .bid_bytes = 6, .bid = bid_lz4, .concatenation = 1, CODEC_CALLBACKS,
                                  .default_level = 0, .min_level = 0, .max_level = 12};
