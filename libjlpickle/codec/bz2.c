/* bz2.c - bzip2 streams through libbz2. Several streams may follow one another (as
 * pbzip2 writes them and Python's BZ2File reads them). */
#include "codec.h"

static int bid_bz2(const jlp_codec *self, const uint8_t *h, size_t len) {
    (void)self;
    if (len < 10 || h[0] != 'B' || h[1] != 'Z' || h[2] != 'h' || h[3] < '1' || h[3] > '9')
        return 0;
    static const uint8_t block[6] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59}; /* pi */
    static const uint8_t eos[6] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};   /* sqrt(pi) */
    if (memcmp(h + 4, block, 6) && memcmp(h + 4, eos, 6)) return 0;
    return 80;
}

#ifdef JLP_HAVE_BZ2
#include <bzlib.h>

typedef struct bz2dec {
    bz_stream bs;
    const jlp_alc *alc;
} bz2dec;

static void *bz_alloc(void *opaque, int items, int size) {
    return jlp__codec_alloc(opaque, (size_t)items * (size_t)size);
}

/* A bz_stream wired to the allocator; the caller starts the (de)compressor. */
static bz2dec *bz_state(const jlp_alc *alc, jlp_error *err) {
    bz2dec *d = jlp__malloc(alc, sizeof *d);
    if (!d) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a bz2 stream");
        return NULL;
    }
    memset(d, 0, sizeof *d);
    d->alc = alc;
    d->bs.bzalloc = bz_alloc;
    d->bs.bzfree = jlp__codec_free;
    d->bs.opaque = (void *)(uintptr_t)alc;
    return d;
}

static void *dec_new(const jlp_codec *self, const jlp_alc *alc, jlp_error *err) {
    (void)self;
    bz2dec *d = bz_state(alc, err);
    if (!d) return NULL;
    if (BZ2_bzDecompressInit(&d->bs, 0, 0) != BZ_OK) {
        jlp__free(alc, d, sizeof *d);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot initialise a bz2 decoder");
        return NULL;
    }
    return d;
}

static void dec_free(const jlp_codec *self, void *state) {
    (void)self;
    bz2dec *d = state;
    BZ2_bzDecompressEnd(&d->bs);
    jlp__free(d->alc, d, sizeof *d);
}

static jlp_codec_status dec_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out, jlp_error *err) {
    (void)self;
    bz2dec *d = state;
    size_t avail = in->size - in->pos, cap = out->size - out->pos;
    d->bs.next_in = (char *)(uintptr_t)((const char *)in->src + in->pos);
    d->bs.avail_in = (unsigned)(avail > (1u << 30) ? (1u << 30) : avail);
    d->bs.next_out = (char *)out->dst + out->pos;
    d->bs.avail_out = (unsigned)(cap > (1u << 30) ? (1u << 30) : cap);
    unsigned in0 = d->bs.avail_in, out0 = d->bs.avail_out;
    int r = BZ2_bzDecompress(&d->bs);
    in->pos += in0 - d->bs.avail_in;
    out->pos += out0 - d->bs.avail_out;
    if (r == BZ_STREAM_END) return JLP_CODEC_END;
    if (r == BZ_OK) return JLP_CODEC_MORE;
    if (r == BZ_MEM_ERROR) return jlp__codec_fail(err, JLP_E_NOMEM, "bz2", "out of memory");
    return jlp__codec_fail(err, JLP_E_CORRUPT, "bz2",
                           r == BZ_DATA_ERROR_MAGIC ? "bad stream magic"
                                                    : "corrupt data or CRC mismatch");
}

static const char *version(const jlp_codec *self) { (void)self; return BZ2_bzlibVersion(); }

/* Writing: Python's BZ2File, compresslevel 9 by default (joblib keeps it). */
static void *enc_new(const jlp_codec *self, const jlp_alc *alc, int level, int threads, jlp_error *err) {
    (void)self;
    (void)threads;
    bz2dec *d = bz_state(alc, err);
    if (!d) return NULL;
    if (BZ2_bzCompressInit(&d->bs, level, 0, 0) != BZ_OK) {
        jlp__free(alc, d, sizeof *d);
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "bz2 refused level %d", level);
        return NULL;
    }
    return d;
}

static jlp_codec_status enc_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out, int finish, jlp_error *err) {
    (void)self;
    bz2dec *d = state;
    size_t avail = in->size - in->pos, cap = out->size - out->pos;
    d->bs.next_in = (char *)(uintptr_t)((const char *)in->src + in->pos);
    d->bs.avail_in = (unsigned)(avail > (1u << 30) ? (1u << 30) : avail);
    d->bs.next_out = (char *)out->dst + out->pos;
    d->bs.avail_out = (unsigned)(cap > (1u << 30) ? (1u << 30) : cap);
    unsigned in0 = d->bs.avail_in, out0 = d->bs.avail_out;
    bool last = finish && avail == d->bs.avail_in;
    int r = BZ2_bzCompress(&d->bs, last ? BZ_FINISH : BZ_RUN);
    in->pos += in0 - d->bs.avail_in;
    out->pos += out0 - d->bs.avail_out;
    if (r == BZ_STREAM_END) return JLP_CODEC_END;
    if (r == BZ_RUN_OK || r == BZ_FINISH_OK) return JLP_CODEC_MORE;
    return jlp__codec_fail(err, JLP_E_CORRUPT, "bz2", "encoder error");
}

static void enc_free(const jlp_codec *self, void *state) {
    (void)self;
    bz2dec *d = state;
    BZ2_bzCompressEnd(&d->bs);
    jlp__free(d->alc, d, sizeof *d);
}

#define CODEC_CALLBACKS .dec_new = dec_new, .dec_run = dec_run, .dec_free = dec_free, .version = version, \
                        .enc_new = enc_new, .enc_run = enc_run, .enc_free = enc_free
#else
#define CODEC_CALLBACKS .dec_new = NULL
#endif

const jlp_codec jlp__codec_bz2 = {.abi_version = JLP_CODEC_ABI_VERSION, .name = "bz2", .extensions = ".bz2",
                                  .bid_bytes = 10, .bid = bid_bz2, .concatenation = 1, CODEC_CALLBACKS,
                                  .default_level = 9, .min_level = 1, .max_level = 9};
