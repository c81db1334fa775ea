/* zstd.c - Zstandard frames through libzstd's streaming decoder. joblib has no zstd;
 * files are written by the zstd tool or by libjlpickle. Frames may follow one another. */
#include "codec.h"

static int bid_zstd(const jlp_codec *self, const uint8_t *h, size_t len) {
    (void)self;
    if (len < 5 || h[0] != 0x28 || h[1] != 0xB5 || h[2] != 0x2F || h[3] != 0xFD) return 0;
    if (h[4] & 0x08) return 0; /* reserved bit of the frame header descriptor */
    return 36;
}

#ifdef JLP_HAVE_ZSTD
#include <zstd.h>
#include <zstd_errors.h>

/* Largest window a frame may ask for: 2^27 = 128 MiB, zstd's own default limit. */
#define ZSTD_WINDOWLOG_LIMIT 27

/* The largest frame header (ZSTD_FRAMEHEADERSIZE_MAX, in libzstd's experimental API). */
#define FRAME_HEADER_MAX 18

/* One frame (the driver starts a new decoder for each frame that follows). */
typedef struct zdec {
    ZSTD_DStream *ds;
    const jlp_alc *alc;
    uint8_t head[FRAME_HEADER_MAX]; /* the frame's first bytes, as they are consumed */
    size_t head_len;
    uint64_t produced;              /* bytes decoded from this frame */
} zdec;

static void *dec_new(const jlp_codec *self, const jlp_alc *alc, jlp_error *err) {
    (void)self;
    zdec *d = jlp__malloc(alc, sizeof *d);
    if (!d) goto fail;
    /* libzstd's custom allocator entry points are in its static-linking-only API; the
     * decoder's own memory therefore comes from malloc, bounded by the window limit. */
    d->ds = ZSTD_createDStream();
    if (!d->ds) goto fail;
    d->alc = alc;
    d->head_len = 0;
    d->produced = 0;
    ZSTD_DCtx_setParameter(d->ds, ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_LIMIT);
    return d;
fail:
    jlp__free(alc, d, sizeof *d);
    jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a zstd decoder");
    return NULL;
}

static void dec_free(const jlp_codec *self, void *state) {
    (void)self;
    zdec *d = state;
    ZSTD_freeDStream(d->ds);
    jlp__free(d->alc, d, sizeof *d);
}

/* Whether the frame header declares a content size other than what was decoded. */
static bool content_size_differs(const zdec *d) {
    unsigned long long want = ZSTD_getFrameContentSize(d->head, d->head_len);
    return want != ZSTD_CONTENTSIZE_UNKNOWN && want != ZSTD_CONTENTSIZE_ERROR && want != d->produced;
}

/* libzstd checks a frame in two ways. When one call holds the whole frame and room for
 * its declared content size, it decodes it in a single pass, which compares the decoded
 * size with the header's before the checksum (CORRUPT); fed in pieces it streams, and
 * after an empty last block it checks only the checksum (CHECKSUM, or success for a
 * frame whose decoded size is wrong). So that the same bytes give the same result
 * however they arrive, the decoder always streams, as every other codec does (bytes are
 * handed out before the checksum that covers them is read), and the decoded size is
 * checked here at the end of the frame. */
static jlp_codec_status dec_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out, jlp_error *err) {
    (void)self;
    zdec *d = state;
    /* A frame starts with zstd's magic 28 b5 2f fd (C-10: skippable frames are trailing
     * data, and the pre-1.0 "legacy" formats are not read). Checked here byte by byte,
     * before libzstd sees them: libzstd (built with legacy support) looks for a legacy
     * magic in each call's input rather than in the frame's first bytes, so it took
     * "28 25 b5 2f fd" for a legacy frame one byte in when the bytes came in two calls,
     * and refused it when they came in one. */
    static const uint8_t magic[4] = {0x28, 0xB5, 0x2F, 0xFD};
    for (size_t k = d->head_len; k < 4 && in->pos + (k - d->head_len) < in->size; k++)
        if (((const uint8_t *)in->src)[in->pos + (k - d->head_len)] != magic[k]) {
            in->pos += k - d->head_len;
            return jlp__codec_fail(err, JLP_E_CORRUPT, "zstd", "not a zstd frame (its magic number is not 28 b5 2f fd)");
        }
    size_t in0 = in->pos, out0 = out->pos;
    /* the frame's first call gets its first byte only: the header is then never whole
     * in a call that starts at the frame, which the single pass needs */
    size_t in_end = !d->head_len && in->size - in0 > 1 ? in0 + 1 : in->size;
    ZSTD_inBuffer zi = {in->src, in_end, in->pos};
    ZSTD_outBuffer zo = {out->dst, out->size, out->pos};
    size_t r = ZSTD_decompressStream(d->ds, &zo, &zi);
    in->pos = zi.pos;
    out->pos = zo.pos;
    size_t take = zi.pos - in0 < FRAME_HEADER_MAX - d->head_len ? zi.pos - in0 : FRAME_HEADER_MAX - d->head_len;
    if (take) memcpy(d->head + d->head_len, (const uint8_t *)in->src + in0, take);
    d->head_len += take;
    d->produced += zo.pos - out0;
    if (ZSTD_isError(r)) {
        ZSTD_ErrorCode ec = ZSTD_getErrorCode(r);
        jlp_code code = ec == ZSTD_error_checksum_wrong ? JLP_E_CHECKSUM
                        : ec == ZSTD_error_frameParameter_windowTooLarge ? JLP_E_LIMIT
                        : ec == ZSTD_error_memory_allocation ? JLP_E_NOMEM
                        : JLP_E_CORRUPT;
        return jlp__codec_fail(err, code, "zstd", ZSTD_getErrorName(r));
    }
    if (r == 0 && content_size_differs(d))
        return jlp__codec_fail(err, JLP_E_CORRUPT, "zstd", "decoded size differs from the frame header");
    return r == 0 ? JLP_CODEC_END : JLP_CODEC_MORE;
}

static const char *version(const jlp_codec *self) { (void)self; return ZSTD_versionString(); }

/* Writing: level 3 (zstd's own default), with a content checksum as the zstd tool
 * writes by default; threads > 1 use libzstd's workers. */
typedef struct zenc {
    ZSTD_CCtx *cc;
    const jlp_alc *alc;
} zenc;

static void *enc_new(const jlp_codec *self, const jlp_alc *alc, int level, int threads, jlp_error *err) {
    (void)self;
    zenc *d = jlp__malloc(alc, sizeof *d);
    ZSTD_CCtx *cc = d ? ZSTD_createCCtx() : NULL;
    if (!cc) {
        jlp__free(alc, d, sizeof *d);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a zstd encoder");
        return NULL;
    }
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    if (threads > 1) ZSTD_CCtx_setParameter(cc, ZSTD_c_nbWorkers, threads);
    d->cc = cc;
    d->alc = alc;
    return d;
}

static jlp_codec_status enc_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out, int finish, jlp_error *err) {
    (void)self;
    ZSTD_CCtx *cc = ((zenc *)state)->cc;
    ZSTD_inBuffer zi = {in->src, in->size, in->pos};
    ZSTD_outBuffer zo = {out->dst, out->size, out->pos};
    size_t r = ZSTD_compressStream2(cc, &zo, &zi, finish ? ZSTD_e_end : ZSTD_e_continue);
    in->pos = zi.pos;
    out->pos = zo.pos;
    if (ZSTD_isError(r)) return jlp__codec_fail(err, JLP_E_CORRUPT, "zstd", ZSTD_getErrorName(r));
    return finish && r == 0 ? JLP_CODEC_END : JLP_CODEC_MORE;
}

static void enc_free(const jlp_codec *self, void *state) {
    (void)self;
    zenc *d = state;
    ZSTD_freeCCtx(d->cc);
    jlp__free(d->alc, d, sizeof *d);
}

#define CODEC_CALLBACKS .dec_new = dec_new, .dec_run = dec_run, .dec_free = dec_free, .version = version, \
                        .enc_new = enc_new, .enc_run = enc_run, .enc_free = enc_free
#else
#define CODEC_CALLBACKS .dec_new = NULL
#endif

const jlp_codec jlp__codec_zstd = {.abi_version = JLP_CODEC_ABI_VERSION, .name = "zstd", .extensions = ".zst .zstd",
                                   .bid_bytes = 5, .bid = bid_zstd, .concatenation = 1, CODEC_CALLBACKS,
                                   .default_level = 3, .min_level = 1, .max_level = 19};
