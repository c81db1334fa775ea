/*
 * lzma.c - the .lzma "alone" format and .xz, both through liblzma. joblib writes alone
 * files with an unknown size and an end marker; older test data has a known size. xz
 * streams may follow one another.
 */
#include "codec.h"

/* LZMA-alone header: properties byte (lc/lp/pb, < 225), dictionary size (liblzma
 * writes 2^n or 2^n + 2^(n-1)), uncompressed size (all ones when unknown). */
static int bid_lzma(const jlp_codec *self, const uint8_t *h, size_t len) {
    (void)self;
    if (len < 13 || h[0] >= 225) return 0;
    /* the dictionary size is 2^n or 2^n + 2^(n-1) for n in 12..30, or UINT32_MAX;
     * checked through its lowest set bit (every raw pickle passes through this bidder:
     * no loop) */
    uint32_t dict = jlp__le32(h + 1), low = dict & (0u - dict);
    bool ok = dict == UINT32_MAX || (dict == low && low >= (1u << 12) && low <= (1u << 30)) ||
              (dict == 3 * low && low >= (1u << 11) && low <= (1u << 29));
    if (!ok) return 0;
    uint64_t size = jlp__le64(h + 5);
    if (size != UINT64_MAX && size >= ((uint64_t)1 << 50)) return 0;
    return 40;
}

static int bid_xz(const jlp_codec *self, const uint8_t *h, size_t len) {
    (void)self;
    static const uint8_t magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0};
    if (len < 8 || memcmp(h, magic, 6) || h[6] != 0 || (h[7] & 0xF0)) return 0;
    return 64;
}

#ifdef JLP_HAVE_LZMA
#include <lzma.h>

/* Memory a decoder may use: far above xz -9e (674 MiB would be -9e's encoder). */
#define LZMA_MEMLIMIT ((uint64_t)1 << 30)

typedef struct lzdec {
    lzma_stream ls;
    lzma_allocator la;
    const jlp_alc *alc;
    const char *name;
} lzdec;

static void *lz_alloc(void *opaque, size_t nmemb, size_t size) {
    size_t n;
    return jlp__mul_size(nmemb, size, &n) ? jlp__codec_alloc(opaque, n) : NULL;
}

/* An lzma_stream wired to the allocator; the caller starts the (de)coder. */
static lzdec *lz_state(const jlp_alc *alc, bool xz, jlp_error *err) {
    lzdec *d = jlp__malloc(alc, sizeof *d);
    if (!d) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate an lzma stream");
        return NULL;
    }
    lzma_stream init = LZMA_STREAM_INIT;
    d->ls = init;
    d->alc = alc;
    d->name = xz ? "xz" : "lzma";
    d->la.alloc = lz_alloc;
    d->la.free = jlp__codec_free;
    d->la.opaque = (void *)(uintptr_t)alc;
    d->ls.allocator = &d->la;
    return d;
}

static void *lz_new(const jlp_alc *alc, bool xz, jlp_error *err) {
    lzdec *d = lz_state(alc, xz, err);
    if (!d) return NULL;
    lzma_ret r = xz ? lzma_stream_decoder(&d->ls, LZMA_MEMLIMIT, 0)
                    : lzma_alone_decoder(&d->ls, LZMA_MEMLIMIT);
    if (r != LZMA_OK) {
        jlp__free(alc, d, sizeof *d);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot initialise an lzma decoder");
        return NULL;
    }
    return d;
}

static void *dec_new_lzma(const jlp_codec *self, const jlp_alc *alc, jlp_error *err) {
    (void)self;
    return lz_new(alc, false, err);
}
static void *dec_new_xz(const jlp_codec *self, const jlp_alc *alc, jlp_error *err) {
    (void)self;
    return lz_new(alc, true, err);
}

static void dec_free(const jlp_codec *self, void *state) {
    (void)self;
    lzdec *d = state;
    lzma_end(&d->ls);
    jlp__free(d->alc, d, sizeof *d);
}

static jlp_codec_status dec_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out, jlp_error *err) {
    (void)self;
    lzdec *d = state;
    d->ls.next_in = (const uint8_t *)in->src + in->pos;
    d->ls.avail_in = in->size - in->pos;
    d->ls.next_out = (uint8_t *)out->dst + out->pos;
    d->ls.avail_out = out->size - out->pos;
    size_t in0 = d->ls.avail_in, out0 = d->ls.avail_out;
    lzma_ret r = lzma_code(&d->ls, LZMA_RUN);
    in->pos += in0 - d->ls.avail_in;
    out->pos += out0 - d->ls.avail_out;
    switch (r) {
    case LZMA_OK: case LZMA_BUF_ERROR: return JLP_CODEC_MORE;
    case LZMA_STREAM_END: return JLP_CODEC_END;
    case LZMA_MEM_ERROR: return jlp__codec_fail(err, JLP_E_NOMEM, d->name, "out of memory");
    case LZMA_MEMLIMIT_ERROR:
        return jlp__codec_fail(err, JLP_E_LIMIT, d->name, "decoder needs more memory than limits.max_alloc (or 1 GiB)");
    case LZMA_FORMAT_ERROR: return jlp__codec_fail(err, JLP_E_CORRUPT, d->name, "not a valid header");
    case LZMA_OPTIONS_ERROR: return jlp__codec_fail(err, JLP_E_CORRUPT, d->name, "unsupported options");
    case LZMA_DATA_ERROR: return jlp__codec_fail(err, JLP_E_CORRUPT, d->name, "corrupt data");
    default: return jlp__codec_fail(err, JLP_E_CORRUPT, d->name, "decoder error");
    }
}

static const char *version(const jlp_codec *self) { (void)self; return lzma_version_string(); }

/* Writing: Python's LZMAFile, preset 6 by default; .lzma is the "alone" format (unknown
 * size, end marker), .xz a stream with a CRC64 check. xz can use liblzma's threads. */
static void *enc_new_any(const jlp_alc *alc, int level, int threads, bool xz, jlp_error *err) {
    lzdec *d = lz_state(alc, xz, err);
    if (!d) return NULL;
    lzma_ret r;
    if (!xz) {
        lzma_options_lzma opt;
        r = lzma_lzma_preset(&opt, (uint32_t)level) ? LZMA_OPTIONS_ERROR : lzma_alone_encoder(&d->ls, &opt);
    } else if (threads > 1) {
        lzma_mt mt;
        memset(&mt, 0, sizeof mt);
        mt.threads = (uint32_t)threads;
        mt.preset = (uint32_t)level;
        mt.check = LZMA_CHECK_CRC64;
        r = lzma_stream_encoder_mt(&d->ls, &mt);
    } else {
        r = lzma_easy_encoder(&d->ls, (uint32_t)level, LZMA_CHECK_CRC64);
    }
    if (r != LZMA_OK) {
        jlp__free(alc, d, sizeof *d);
        jlp__fail(err, r == LZMA_MEM_ERROR ? JLP_E_NOMEM : JLP_E_INVALID_ARG, 0, -1, "liblzma refused preset %d", level);
        return NULL;
    }
    return d;
}

static void *enc_new_lzma(const jlp_codec *self, const jlp_alc *alc, int level, int threads, jlp_error *err) {
    (void)self;
    return enc_new_any(alc, level, threads, false, err);
}
static void *enc_new_xz(const jlp_codec *self, const jlp_alc *alc, int level, int threads, jlp_error *err) {
    (void)self;
    return enc_new_any(alc, level, threads, true, err);
}

static jlp_codec_status enc_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out, int finish, jlp_error *err) {
    (void)self;
    lzdec *d = state;
    d->ls.next_in = (const uint8_t *)in->src + in->pos;
    d->ls.avail_in = in->size - in->pos;
    d->ls.next_out = (uint8_t *)out->dst + out->pos;
    d->ls.avail_out = out->size - out->pos;
    size_t in0 = d->ls.avail_in, out0 = d->ls.avail_out;
    lzma_ret r = lzma_code(&d->ls, finish ? LZMA_FINISH : LZMA_RUN);
    in->pos += in0 - d->ls.avail_in;
    out->pos += out0 - d->ls.avail_out;
    if (r == LZMA_STREAM_END) return JLP_CODEC_END;
    if (r == LZMA_OK || r == LZMA_BUF_ERROR) return JLP_CODEC_MORE;
    return jlp__codec_fail(err, r == LZMA_MEM_ERROR ? JLP_E_NOMEM : JLP_E_CORRUPT, d->name, "encoder error");
}

void jlp__codec_limit_memory(const jlp_codec *codec, void *state, uint64_t bytes) {
    if (!state || (codec->dec_new != dec_new_lzma && codec->dec_new != dec_new_xz)) return;
    lzdec *d = state;
    /* below what the decoder already holds liblzma keeps the old limit, which is safe:
     * the header has not been read yet, so that is only the decoder's base state */
    if (bytes && bytes < LZMA_MEMLIMIT) (void)lzma_memlimit_set(&d->ls, bytes);
}

#define CODEC_CALLBACKS(dec, enc) .dec_new = dec, .dec_run = dec_run, .dec_free = dec_free, .version = version, \
                                  .enc_new = enc, .enc_run = enc_run, .enc_free = dec_free
#else
void jlp__codec_limit_memory(const jlp_codec *codec, void *state, uint64_t bytes) {
    (void)codec, (void)state, (void)bytes;
}

#define CODEC_CALLBACKS(dec, enc) .dec_new = NULL
#endif

const jlp_codec jlp__codec_lzma = {.abi_version = JLP_CODEC_ABI_VERSION, .name = "lzma", .extensions = ".lzma",
                                   .bid_bytes = 13, .bid = bid_lzma, .concatenation = 1,
                                   CODEC_CALLBACKS(dec_new_lzma, enc_new_lzma),
                                   .default_level = 6, .min_level = 0, .max_level = 9};
const jlp_codec jlp__codec_xz = {.abi_version = JLP_CODEC_ABI_VERSION, .name = "xz", .extensions = ".xz",
                                 .bid_bytes = 8, .bid = bid_xz, .concatenation = 1,
                                 CODEC_CALLBACKS(dec_new_xz, enc_new_xz),
                                 .default_level = 6, .min_level = 0, .max_level = 9};
