/*
 * deflate.c - zlib (RFC 1950), gzip (RFC 1952) and joblib's legacy ZF container: their
 * bidders, their codec entries, and the encoder (zlib's deflate, one stream; pigz-style
 * parallel blocks are deflate_parallel.c). The decoder, with its ISA-L and zlib back ends, is inflate.c. They
 * differ in window bits and, for ZF, a 21- or 22-byte text header ("ZF" + hex length
 * padded to 19 bytes, one more space in files of joblib 0.8.4 on Python 2) whose
 * declared length is checked against the output.
 */
#include "codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* --- bidders (always built, so detection names a codec even when it is compiled out) */

static int bid_zlib(const jlp_codec *self, const uint8_t *h, size_t len) {
    (void)self;
    /* joblib and Python's zlib write CMF 0x78 (deflate, 32 KiB window); FLG makes the
     * pair a multiple of 31 and has no preset dictionary. */
    if (len < 2 || h[0] != 0x78 || ((h[0] << 8) | h[1]) % 31 != 0 || (h[1] & 0x20)) return 0;
    return 16;
}

static int bid_gzip(const jlp_codec *self, const uint8_t *h, size_t len) {
    (void)self;
    if (len < 4 || h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || (h[3] & 0xE0)) return 0;
    return 27;
}

/* The ZF header: "ZF" then 19 bytes "0x<hex>" padded with spaces (an 'L' may end the
 * hex on Python 2), then an optional extra space. @return the header length (21/22) and
 * the declared length, or 0 when it is not a ZF header. */
size_t jlp__zf_header(const uint8_t *h, size_t len, uint64_t *declared) {
    if (len < 21 || h[0] != 'Z' || h[1] != 'F') return 0;
    size_t i = 2, end = 21;
    while (i < end && h[i] == ' ') i++;
    if (i + 2 > end || h[i] != '0' || (h[i + 1] != 'x' && h[i + 1] != 'X')) return 0;
    i += 2;
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < end; i++) {
        uint8_t c = h[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) break;
        if (digits++ == 16) return 0;
        v = v * 16 + (uint64_t)d;
    }
    if (!digits) return 0;
    if (i < end && h[i] == 'L') i++;
    for (; i < end; i++)
        if (h[i] != ' ') return 0;
    *declared = v;
    return len > 21 && h[21] == ' ' ? 22 : 21;
}

static int bid_zf(const jlp_codec *self, const uint8_t *h, size_t len) {
    (void)self;
    uint64_t declared;
    return jlp__zf_header(h, len, &declared) ? 21 * 8 : 0;
}

#ifdef JLP_HAVE_ZLIB
#include <pthread.h>
#include <zlib.h>

static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    return jlp__codec_alloc(opaque, (size_t)items * size);
}

static void z_free(voidpf opaque, voidpf ptr) { jlp__codec_free(opaque, ptr); }

/* Writing: joblib's BinaryZlibFile is zlib.compressobj(level, DEFLATED, wbits, memLevel 8,
 * default strategy), wbits 15 for zlib and 31 for gzip (zlib then writes a gzip header
 * with mtime 0 and OS 3), one stream per file.
 *
 * With threads > 1 the stream is compressed pigz-style by a pool of workers
 * (deflate_parallel.c); the result is still one standard zlib or gzip stream. */

typedef struct deflater {
    z_stream zs;        /* single-threaded: the whole stream; unused when par is set */
    const jlp_alc *alc;
    jlp__pdeflate *par; /* threads > 1 */
} deflater;

/* ---- the encoder callbacks ---------------------------------------------------------------- */

static void *deflater_new(const jlp_alc *alc, int level, int wbits, int threads, jlp_error *err) {
    alc = jlp__alc_or_default(alc);
    deflater *z = jlp__malloc(alc, sizeof *z);
    if (!z) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a deflate encoder");
        return NULL;
    }
    memset(z, 0, sizeof *z);
    z->alc = alc;
    if (threads > 1) {
        z->par = jlp__pdeflate_new(alc, level, wbits > 15, threads, err);
        if (!z->par) {
            jlp__free(alc, z, sizeof *z);
            return NULL;
        }
        return z;
    }
    z->zs.zalloc = z_alloc;
    z->zs.zfree = z_free;
    z->zs.opaque = (voidpf)(uintptr_t)alc;
    int r = deflateInit2(&z->zs, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
    if (r != Z_OK) {
        jlp__free(alc, z, sizeof *z);
        if (r == Z_MEM_ERROR) jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a deflate encoder");
        else jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "zlib refused level %d", level);
        return NULL;
    }
    return z;
}

static void *enc_new_zlib(const jlp_codec *self, const jlp_alc *alc, int level, int threads, jlp_error *err) {
    (void)self;
    return deflater_new(alc, level, 15, threads, err);
}
static void *enc_new_gzip(const jlp_codec *self, const jlp_alc *alc, int level, int threads, jlp_error *err) {
    (void)self;
    return deflater_new(alc, level, 31, threads, err);
}

static jlp_codec_status enc_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out, int finish, jlp_error *err) {
    (void)self;
    deflater *z = state;
    if (z->par) return jlp__pdeflate_run(z->par, in, out, finish, err);
    size_t avail = in->size - in->pos, cap = out->size - out->pos;
    z->zs.next_in = (Bytef *)(uintptr_t)((const uint8_t *)in->src + in->pos);
    z->zs.avail_in = (uInt)(avail > (1u << 30) ? (1u << 30) : avail);
    z->zs.next_out = (Bytef *)out->dst + out->pos;
    z->zs.avail_out = (uInt)(cap > (1u << 30) ? (1u << 30) : cap);
    uInt in0 = z->zs.avail_in, out0 = z->zs.avail_out;
    bool last = finish && avail == z->zs.avail_in;
    int r = deflate(&z->zs, last ? Z_FINISH : Z_NO_FLUSH);
    in->pos += in0 - z->zs.avail_in;
    out->pos += out0 - z->zs.avail_out;
    if (r == Z_STREAM_END) return JLP_CODEC_END;
    if (r == Z_OK || r == Z_BUF_ERROR) return JLP_CODEC_MORE;
    return jlp__codec_fail(err, JLP_E_CORRUPT, "deflate", z->zs.msg);
}

static void enc_free(const jlp_codec *self, void *state) {
    (void)self;
    deflater *z = state;
    if (z->par) jlp__pdeflate_free(z->par);
    else deflateEnd(&z->zs);
    jlp__free(z->alc, z, sizeof *z);
}

#define DECODER(new_fn) .dec_new = jlp__inflate_new_##new_fn, .dec_run = jlp__inflate_run, \
                        .dec_free = jlp__inflate_free, .version = jlp__inflate_version
#define ENCODER(new_fn) .enc_new = new_fn, .enc_run = enc_run, .enc_free = enc_free
#else
#define DECODER(new_fn) .dec_new = NULL
#define ENCODER(new_fn) .enc_new = NULL
#endif

const jlp_codec jlp__codec_zlib = {.abi_version = JLP_CODEC_ABI_VERSION, .name = "zlib", .extensions = ".z",
                                   .bid_bytes = 2, .bid = bid_zlib, DECODER(zlib), ENCODER(enc_new_zlib),
                                   .default_level = 3, .min_level = 1, .max_level = 9};
const jlp_codec jlp__codec_gzip = {.abi_version = JLP_CODEC_ABI_VERSION, .name = "gzip", .extensions = ".gz .gzip",
                                   .bid_bytes = 4, .bid = bid_gzip, DECODER(gzip), ENCODER(enc_new_gzip),
                                   .default_level = 3, .min_level = 1, .max_level = 9};
const jlp_codec jlp__codec_zf = {.abi_version = JLP_CODEC_ABI_VERSION, .name = "zf", .extensions = "",
                                 .bid_bytes = 22, .bid = bid_zf, DECODER(zf)};
