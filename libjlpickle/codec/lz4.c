/* lz4.c - LZ4 frames through liblz4's frame API. joblib writes frames without block or
 * content checksums, so a flipped bit may decode to wrong bytes undetected; frames that
 * carry checksums are verified by liblz4. */
#include "codec.h"

static int bid_lz4(const uint8_t *h, size_t len) {
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

static void *dec_new(const jlp_alc *alc, jlp_error *err) {
    lz4dec *d = jlp__malloc(alc, sizeof *d);
    if (!d || LZ4F_isError(LZ4F_createDecompressionContext(&d->ctx, LZ4F_VERSION))) {
        jlp__free(alc, d, sizeof *d);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate an lz4 decoder");
        return NULL;
    }
    d->alc = alc;
    return d;
}

static void dec_free(void *state) {
    lz4dec *d = state;
    LZ4F_freeDecompressionContext(d->ctx);
    jlp__free(d->alc, d, sizeof *d);
}

static jlp_codec_status dec_run(void *state, jlp_inbuf *in, jlp_outbuf *out, jlp_error *err) {
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

static const char *version(void) { return LZ4_versionString(); }
#define DECODER dec_new, dec_run, dec_free, version
#else
#define DECODER NULL, NULL, NULL, NULL
#endif

const jlp_codec jlp__codec_lz4 = {JLP_CODEC_ABI_VERSION, "lz4", ".lz4", 6, bid_lz4, 1, DECODER, NULL};
