/*
 * inflate.c - the decoder of zlib (RFC 1950), gzip (RFC 1952) and ZF streams, with two
 * back ends behind one dec_run:
 *
 *   - ISA-L's isal_inflate (libisal, JLP_HAVE_ISAL), used when the build finds it: on
 *     x86-64 it inflates joblib's level-3 streams several times as fast as zlib;
 *   - zlib's inflate, the fallback (and the encoder of record, in deflate.c).
 *
 * For ISA-L this file reads the zlib and gzip wrappers itself, with zlib's checks in
 * zlib's order, and hands ISA-L only the deflate data and the trailer (ISA-L verifies the
 * Adler-32, or the CRC-32 and length). So both back ends give the same bytes and the same
 * errors for headers (CHECKSUM for zlib's "incorrect header check", CORRUPT for a wrong
 * method, window size, flags, dictionary or header CRC), for trailers (CHECKSUM), for
 * truncation and for trailing data (the stream ends exactly after its trailer: bytes
 * ISA-L buffered past it are handed back, see give_back). Budgets are the driver's and do
 * not depend on the back end.
 *
 * Corrupt deflate data is refused by both (CORRUPT, or CHECKSUM when a block that zlib
 * refuses decodes in ISA-L to wrong bytes), but not always at the same decoded offset:
 * ISA-L accepts Huffman codes that are incomplete (zlib refuses them when the block
 * header is read), and when it finds an invalid symbol or distance it may already have
 * written bytes past it, or counted bytes it never wrote. So when ISA-L fails, nothing of
 * the failing call is handed out: the error surfaces at the decoded offset where that
 * call began (no bytes past the corruption, and no stale memory, ever reach the reader,
 * and the bytes handed out do not depend on how the input arrives). spec/errors.md says
 * so; fuzz_decoder compares the two back ends on every zlib, gzip and ZF input and allows
 * exactly this difference.
 *
 * ZF (joblib <= 0.9): a 21- or 22-byte text header ("ZF" + hex length padded to 19
 * bytes, one more space in files of joblib 0.8.4 on Python 2) before a zlib stream; the
 * declared length is checked against the output.
 */
#include "codec.h"

/* Testing hook (tests/run.sh, fuzz_decoder): which back end dec_new picks. Set it before
 * decoders are created; it is read once per decoder. */
int jlp__inflate_backend = JLP__INFLATE_AUTO;

bool jlp__inflate_isal_built(void) {
#if defined(JLP_HAVE_ZLIB) && defined(JLP_HAVE_ISAL)
    return true;
#else
    return false;
#endif
}

#if defined(JLP_HAVE_ZLIB)
#include <zlib.h>
#if defined(JLP_HAVE_ISAL)
#include <isa-l.h>
#endif

/* zlib and ISA-L count in 32-bit units: hand them at most 1 GiB per call. (This also
 * keeps ISA-L 2.30's fixed_size_read clear of its 32-bit wrap when avail_in nears 4 GiB,
 * fixed upstream in 2.31.) */
#define STEP_MAX ((size_t)1 << 30)

/* Where the ISA-L path is in the wrapper (zlib: MAGIC, BODY; gzip: all but DICT). */
typedef enum wrap_state {
    W_MAGIC,     /* zlib: CMF FLG; gzip: ID1 ID2 */
    W_METHOD,    /* gzip: CM FLG */
    W_TIME,      /* gzip: MTIME XFL OS */
    W_XLEN,      /* gzip FEXTRA: its 2-byte length */
    W_EXTRA,     /* gzip FEXTRA: its bytes */
    W_NAME,      /* gzip FNAME: up to a zero byte */
    W_COMMENT,   /* gzip FCOMMENT: up to a zero byte */
    W_HCRC,      /* gzip FHCRC: 2 bytes */
    W_BODY,      /* deflate data: ISA-L */
    W_CHECK,     /* the trailer: Adler-32 (zlib, big-endian) or CRC-32 (gzip) */
    W_LENGTH,    /* gzip: the length modulo 2^32 */
    W_FAILED     /* ISA-L found the data corrupt: hand out what it decoded, then fail */
} wrap_state;

typedef struct inflater {
    const jlp_alc *alc;
    const char *name;
    bool zf, gzip;
    bool isal;               /* back end: ISA-L (is) or zlib (zs) */
    uint8_t head[21];        /* ZF header being collected */
    size_t head_len, head_need;  /* head_need: 21 until the header and its optional space are read */
    bool head_checked;       /* the 21 header bytes parsed; the optional space is next */
    uint64_t declared, produced;
    z_stream zs;
#if defined(JLP_HAVE_ISAL)
    struct inflate_state *is;
    wrap_state w;
    uint8_t wbuf[6];         /* a fixed-size wrapper field being collected */
    size_t wlen, wneed;
    unsigned flags;          /* gzip FLG */
    size_t extra_left;
    uint32_t hcrc;           /* CRC-32 of the gzip header so far (FHCRC) */
    /* W_FAILED: decoded bytes still in ISA-L's window, then the error */
    size_t drain_pos, drain_end;
    jlp_code fail_code;
    const char *fail_msg;
    bool fail_at_eof_only;   /* the error may be the input's end: fail only if more comes */
#endif
} inflater;

static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    return jlp__codec_alloc(opaque, (size_t)items * size);
}

static void z_free(voidpf opaque, voidpf ptr) { jlp__codec_free(opaque, ptr); }

static void *inflater_new(const jlp_alc *alc, bool gzip, const char *name, bool zf, jlp_error *err) {
    inflater *z = jlp__malloc(alc, sizeof *z);
    if (!z) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a %s decoder", name);
        return NULL;
    }
    memset(z, 0, sizeof *z);
    z->alc = alc;
    z->name = name;
    z->zf = zf;
    z->gzip = gzip;
    z->head_need = zf ? 21 : 0;
#if defined(JLP_HAVE_ISAL)
    if (jlp__inflate_backend != JLP__INFLATE_ZLIB) {
        /* The whole ISA-L state is one block (about 85 KiB with its window); it never
         * allocates on its own. Zeroed, so its window holds nothing from elsewhere. */
        z->is = jlp__malloc(alc, sizeof *z->is);
        if (!z->is) {
            jlp__free(alc, z, sizeof *z);
            jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a %s decoder", name);
            return NULL;
        }
        memset(z->is, 0, sizeof *z->is);
        isal_inflate_init(z->is);
        /* deflate data only: the wrapper and the trailer are read here, ISA-L sums */
        z->is->crc_flag = gzip ? ISAL_GZIP_NO_HDR : ISAL_ZLIB_NO_HDR;
        z->isal = true;
        z->w = W_MAGIC;
        z->wneed = 2;
        return z;
    }
#endif
    z->zs.zalloc = z_alloc;
    z->zs.zfree = z_free;
    z->zs.opaque = (voidpf)(uintptr_t)alc;
    if (inflateInit2(&z->zs, gzip ? 31 : 15) != Z_OK) {
        jlp__free(alc, z, sizeof *z);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot initialise a %s decoder", name);
        return NULL;
    }
    return z;
}

void *jlp__inflate_new_zlib(const jlp_codec *self, const jlp_alc *alc, jlp_error *err) {
    (void)self;
    return inflater_new(alc, false, "zlib", false, err);
}
void *jlp__inflate_new_gzip(const jlp_codec *self, const jlp_alc *alc, jlp_error *err) {
    (void)self;
    return inflater_new(alc, true, "gzip", false, err);
}
void *jlp__inflate_new_zf(const jlp_codec *self, const jlp_alc *alc, jlp_error *err) {
    (void)self;
    return inflater_new(alc, false, "zf", true, err);
}

void jlp__inflate_free(const jlp_codec *self, void *state) {
    (void)self;
    inflater *z = state;
#if defined(JLP_HAVE_ISAL)
    if (z->isal) {
        jlp__free(z->alc, z->is, sizeof *z->is);
        jlp__free(z->alc, z, sizeof *z);
        return;
    }
#endif
    inflateEnd(&z->zs);
    jlp__free(z->alc, z, sizeof *z);
}

/* One step of zlib's inflate. */
static jlp_codec_status step_zlib(inflater *z, const uint8_t *src, size_t avail, size_t *used,
                                  uint8_t *dst, size_t cap, size_t *made, jlp_error *err) {
    z->zs.next_in = (Bytef *)(uintptr_t)src;
    z->zs.avail_in = (uInt)(avail > STEP_MAX ? STEP_MAX : avail);
    z->zs.next_out = dst;
    z->zs.avail_out = (uInt)(cap > STEP_MAX ? STEP_MAX : cap);
    uInt in0 = z->zs.avail_in, out0 = z->zs.avail_out;
    int r = inflate(&z->zs, Z_NO_FLUSH);
    *used = in0 - z->zs.avail_in;
    *made = out0 - z->zs.avail_out;
    if (r == Z_STREAM_END) return JLP_CODEC_END;
    if (r == Z_OK || r == Z_BUF_ERROR) return JLP_CODEC_MORE;
    if (r == Z_MEM_ERROR) return jlp__codec_fail(err, JLP_E_NOMEM, z->name, "out of memory");
    const char *msg = z->zs.msg ? z->zs.msg : "corrupt stream";
    /* "incorrect data check", "incorrect length check", "incorrect header check" */
    jlp_code code = strstr(msg, "check") ? JLP_E_CHECKSUM : JLP_E_CORRUPT;
    return jlp__codec_fail(err, code, z->name, msg);
}

#if defined(JLP_HAVE_ISAL)
/* The gzip state after the fields before `from` (FEXTRA, FNAME, FCOMMENT, FHCRC, in
 * this order, each when its flag is set). */
static wrap_state gzip_next(inflater *z, wrap_state from) {
    static const struct { wrap_state st; unsigned flag; } order[4] = {
        {W_XLEN, 0x04}, {W_NAME, 0x08}, {W_COMMENT, 0x10}, {W_HCRC, 0x02}};
    for (int i = 0; i < 4; i++)
        if (order[i].st > from && (z->flags & order[i].flag)) {
            z->wlen = 0;
            z->wneed = order[i].st == W_XLEN || order[i].st == W_HCRC ? 2 : 0;
            return order[i].st;
        }
    return W_BODY;
}

/* The zlib or gzip wrapper before the deflate data, checked as zlib's inflate checks it
 * (its states HEAD to HCRC), field by field, so that every error has zlib's class and
 * comes after the same input bytes. Consumes from src into *used; @return
 * JLP_CODEC_MORE (z->w == W_BODY once the wrapper is done) or JLP_CODEC_ERROR. */
static jlp_codec_status read_wrapper(inflater *z, const uint8_t *src, size_t avail, size_t *used, jlp_error *err) {
    size_t i = 0;
    jlp_codec_status st = JLP_CODEC_MORE;
    bool hc = (z->flags & 0x02) != 0;   /* FHCRC: the header bytes are summed */
    while (z->w != W_BODY && i < avail) {
        if (z->w == W_NAME || z->w == W_COMMENT) {
            const uint8_t *nul = memchr(src + i, 0, avail - i);
            size_t k = nul ? (size_t)(nul - (src + i)) + 1 : avail - i;
            if (hc) z->hcrc = (uint32_t)crc32(z->hcrc, src + i, (uInt)k);
            i += k;
            if (nul) z->w = gzip_next(z, z->w);
            continue;
        }
        if (z->w == W_EXTRA) {
            size_t k = avail - i < z->extra_left ? avail - i : z->extra_left;
            if (hc) z->hcrc = (uint32_t)crc32(z->hcrc, src + i, (uInt)k);
            i += k;
            z->extra_left -= k;
            if (!z->extra_left) z->w = gzip_next(z, W_EXTRA);
            continue;
        }
        /* a fixed-size field: collect wneed bytes */
        size_t k = z->wneed - z->wlen;
        if (k > avail - i) k = avail - i;
        memcpy(z->wbuf + z->wlen, src + i, k);
        z->wlen += k;
        i += k;
        if (z->wlen < z->wneed) break;
        const uint8_t *h = z->wbuf;
        if (!z->gzip) {                       /* zlib: CMF FLG */
            if (((unsigned)h[0] << 8 | h[1]) % 31) {
                st = jlp__codec_fail(err, JLP_E_CHECKSUM, z->name, "incorrect header check");
                break;
            }
            if ((h[0] & 0x0F) != 8) {
                st = jlp__codec_fail(err, JLP_E_CORRUPT, z->name, "unknown compression method");
                break;
            }
            if ((h[0] >> 4) + 8 > 15) {
                st = jlp__codec_fail(err, JLP_E_CORRUPT, z->name, "invalid window size");
                break;
            }
            if (h[1] & 0x20) {   /* zlib returns Z_NEED_DICT, reported as corrupt */
                st = jlp__codec_fail(err, JLP_E_CORRUPT, z->name, "needs a preset dictionary");
                break;
            }
            z->w = W_BODY;
        } else if (z->w == W_MAGIC) {
            if (h[0] != 0x1f || h[1] != 0x8b) {
                st = jlp__codec_fail(err, JLP_E_CHECKSUM, z->name, "incorrect header check");
                break;
            }
            z->w = W_METHOD;
            z->wlen = 0;
            z->wneed = 2;
        } else if (z->w == W_METHOD) {
            if (h[0] != 8) {
                st = jlp__codec_fail(err, JLP_E_CORRUPT, z->name, "unknown compression method");
                break;
            }
            if (h[1] & 0xE0) {
                st = jlp__codec_fail(err, JLP_E_CORRUPT, z->name, "unknown header flags set");
                break;
            }
            z->flags = h[1];
            hc = (z->flags & 0x02) != 0;
            if (hc) {
                static const uint8_t id[2] = {0x1f, 0x8b};
                z->hcrc = (uint32_t)crc32(crc32(0L, id, 2), h, 2);
            }
            z->w = W_TIME;
            z->wlen = 0;
            z->wneed = 6;
        } else if (z->w == W_TIME) {
            if (hc) z->hcrc = (uint32_t)crc32(z->hcrc, h, 6);
            z->w = gzip_next(z, W_TIME);
        } else if (z->w == W_XLEN) {
            if (hc) z->hcrc = (uint32_t)crc32(z->hcrc, h, 2);
            z->extra_left = (size_t)h[0] | (size_t)h[1] << 8;
            z->w = W_EXTRA;
        } else {                              /* W_HCRC */
            if (((unsigned)h[0] | (unsigned)h[1] << 8) != (z->hcrc & 0xFFFF)) {
                st = jlp__codec_fail(err, JLP_E_CORRUPT, z->name, "header crc mismatch");
                break;
            }
            z->w = W_BODY;
        }
    }
    *used = i;
    return st;
}

/* ISA-L's 64-bit input buffer may hold whole bytes it has not decoded yet. When a call
 * ends with the output full (whether or not input is left over) or with the deflate
 * data's end, they are handed back to the input (the newest bytes first; only bytes of
 * this call's input can be), so that no bytes are carried into the next call and the
 * deflate data ends exactly where zlib's does: the trailer, and whatever follows the
 * stream, are then read from the input here, and the driver sees trailing bytes where
 * they begin. (ISA-L 2.31 hands back bytes after the trailer too.) When the input ran out
 * with room left for output, the bytes held are the start of an incomplete symbol, which
 * zlib has consumed as well. A block header split between calls is an exception: ISA-L
 * keeps its start in tmp_in_buffer behind the bits it holds, so those stay. Bytes still
 * held at the deflate data's end (taken in by an earlier call) are the trailer's first
 * bytes: see held_trailer. */
static void give_back(struct inflate_state *is, size_t *used) {
    if (is->read_in_length < 8 || (is->block_state == ISAL_BLOCK_HDR && is->tmp_in_size > 0)) return;
    size_t bytes = (size_t)is->read_in_length / 8;
    if (bytes > *used) bytes = *used;
    *used -= bytes;
    is->read_in_length -= (int32_t)(bytes * 8);
    is->read_in &= is->read_in_length >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << is->read_in_length) - 1;
}

/* The trailer after the deflate data, read as zlib reads it: the check value first (an
 * error as soon as it is complete), then gzip's length. */
static jlp_codec_status read_trailer(inflater *z, const uint8_t *src, size_t avail, size_t *used, jlp_error *err) {
    size_t i = 0;
    while ((z->w == W_CHECK || z->w == W_LENGTH) && i < avail) {
        size_t k = 4 - z->wlen;
        if (k > avail - i) k = avail - i;
        memcpy(z->wbuf + z->wlen, src + i, k);
        z->wlen += k;
        i += k;
        if (z->wlen < 4) break;
        const uint8_t *h = z->wbuf;
        uint32_t be = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        uint32_t le = (uint32_t)h[3] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[1] << 8 | h[0];
        z->wlen = 0;
        if (z->w == W_LENGTH) {
            *used = i;
            if (le != z->is->total_out) return jlp__codec_fail(err, JLP_E_CHECKSUM, z->name, "incorrect length check");
            return JLP_CODEC_END;
        }
        *used = i;
        if ((z->gzip ? le : be) != z->is->crc) return jlp__codec_fail(err, JLP_E_CHECKSUM, z->name, "incorrect data check");
        if (!z->gzip) return JLP_CODEC_END;
        z->w = W_LENGTH;
    }
    *used = i;
    return JLP_CODEC_MORE;
}

/* At the deflate data's end, whole bytes ISA-L took in by an earlier call and could not
 * hand back (give_back) are the trailer's first bytes: they are read from its bit buffer,
 * after the bits of the last deflate byte. (Since give_back runs whenever the output
 * fills, a call whose input ran out ended inside a symbol, so these can be no more than
 * the trailer; bytes after it would be trailing data the driver never sees, refused.) */
static jlp_codec_status held_trailer(inflater *z, jlp_error *err) {
    struct inflate_state *is = z->is;
    size_t held = (size_t)is->read_in_length / 8;
    if (!held) return JLP_CODEC_MORE;
    uint8_t b[8];
    uint64_t v = is->read_in >> (is->read_in_length & 7);
    for (size_t i = 0; i < held; i++) b[i] = (uint8_t)(v >> (8 * i));
    is->read_in = 0;
    is->read_in_length = 0;
    size_t t = 0;
    jlp_codec_status st = read_trailer(z, b, held, &t, err);
    if (st == JLP_CODEC_END && t < held)
        return jlp__codec_fail(err, JLP_E_TRAILING, z->name, "unexpected bytes after the end of the stream");
    return st;
}

/* After ISA-L failed: hand out the decoded bytes its window still holds, then the error.
 * An error that may only be the input's end waits for more input (the driver reports the
 * end as TRUNCATED, as with zlib). */
static jlp_codec_status drain_failed(inflater *z, size_t avail, uint8_t *dst, size_t cap, size_t *made,
                                     jlp_error *err) {
    size_t k = z->drain_end - z->drain_pos;
    if (k) {
        if (k > cap) k = cap;
        memcpy(dst, z->is->tmp_out_buffer + z->drain_pos, k);
        z->drain_pos += k;
        *made = k;
        return JLP_CODEC_MORE;
    }
    if (z->fail_at_eof_only && avail == 0) return JLP_CODEC_MORE;
    return jlp__codec_fail(err, z->fail_code, z->name, z->fail_msg);
}

/* One step of ISA-L: the wrapper, isal_inflate on the deflate data, the trailer. */
static jlp_codec_status step_isal(inflater *z, const uint8_t *src, size_t avail, size_t *used,
                                  uint8_t *dst, size_t cap, size_t *made, jlp_error *err) {
    *used = *made = 0;
    if (z->w == W_FAILED) return drain_failed(z, avail, dst, cap, made, err);
    if (z->w < W_BODY) {
        jlp_codec_status st = read_wrapper(z, src, avail, used, err);
        if (st != JLP_CODEC_MORE || z->w != W_BODY) return st;
    }
    if (z->w == W_BODY) {
        struct inflate_state *is = z->is;
        size_t rest = avail - *used;
        is->next_in = (uint8_t *)(uintptr_t)(src + *used);
        is->avail_in = (uint32_t)(rest > STEP_MAX ? STEP_MAX : rest);
        is->next_out = dst;
        is->avail_out = (uint32_t)(cap > STEP_MAX ? STEP_MAX : cap);
        uint32_t in0 = is->avail_in, out0 = is->avail_out;
        int r = isal_inflate(is);
        size_t in_used = in0 - is->avail_in;
        bool drained = is->avail_in == 0;
        if (!drained || is->avail_out == 0 || r < 0 || is->block_state == ISAL_BLOCK_INPUT_DONE ||
            is->block_state == ISAL_BLOCK_FINISH)
            give_back(is, &in_used);
        *used += in_used;
        *made = out0 - is->avail_out;
        if (r < 0) {
            z->fail_code = JLP_E_CORRUPT;
            z->fail_msg = r == ISAL_INVALID_LOOKBACK ? "invalid distance too far back"
                        : r == ISAL_INVALID_SYMBOL ? "invalid literal/length or distance code" : "invalid block";
            /* ISA-L's bit reader decides on an invalid literal/length code before it has
             * all its bits: the only such code zlib lets through a block header is 286 or
             * 287 of the fixed code (8 bits, 1100011x); with just its 7 first bits left at
             * the end of the input, zlib waits for the 8th. Every symbol before them was
             * whole and is handed out, with what waits in ISA-L's window. */
            z->fail_at_eof_only = r == ISAL_INVALID_SYMBOL && drained && is->read_in_length == 7 &&
                                  (is->read_in & 0x7F) == 0x63;
            if (z->fail_at_eof_only) {
                size_t end = is->tmp_out_valid > is->tmp_out_processed ? (size_t)is->tmp_out_valid : 0;
                z->drain_pos = end ? (size_t)is->tmp_out_processed : 0;
                z->drain_end = end;
            } else {
                /* Otherwise nothing ISA-L decoded in the failing call is handed out,
                 * neither what it wrote to dst nor what waits in its window: ISA-L (2.30,
                 * the assembly decoder) decodes ahead and may have written bytes past the
                 * corruption (literals after an invalid distance code; an invalid
                 * distance's match counted but never written), which depend on how the
                 * input and output arrive. The error surfaces where the call began, and
                 * every byte handed out came from calls that succeeded. */
                *made = 0;
                z->drain_pos = z->drain_end = 0;
            }
            z->w = W_FAILED;
            if (*made) return JLP_CODEC_MORE;
            return drain_failed(z, avail - *used, dst, cap, made, err);
        }
        if (is->block_state != ISAL_BLOCK_FINISH) return JLP_CODEC_MORE;
        z->w = W_CHECK;
        z->wlen = 0;
        jlp_codec_status st = held_trailer(z, err);
        if (st != JLP_CODEC_MORE) return st;
    }
    size_t t = 0;
    jlp_codec_status st = read_trailer(z, src + *used, avail - *used, &t, err);
    *used += t;
    return st;
}
#endif

jlp_codec_status jlp__inflate_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out,
                                  jlp_error *err) {
    (void)self;
    inflater *z = state;
    const uint8_t *src = (const uint8_t *)in->src + in->pos;
    size_t avail = in->size - in->pos;
    if (z->head_need) {
        /* ZF: collect the 21-byte header, then look at one more byte for the optional
         * space; head_need stays set until that byte has been seen, so a call whose
         * input ends right after the header comes back here rather than to inflate. */
        size_t k = 21 - z->head_len;
        if (k > avail) k = avail;
        memcpy(z->head + z->head_len, src, k);
        z->head_len += k;
        in->pos += k;
        if (z->head_len < 21) return JLP_CODEC_MORE;
        if (!z->head_checked) {
            if (!jlp__zf_header(z->head, 21, &z->declared))
                return jlp__codec_fail(err, JLP_E_CORRUPT, "zf", "malformed ZF header");
            z->head_checked = true;
        }
        if (in->pos == in->size) return JLP_CODEC_MORE;
        if (((const uint8_t *)in->src)[in->pos] == ' ') in->pos++;
        z->head_need = 0;
        src = (const uint8_t *)in->src + in->pos;
        avail = in->size - in->pos;
    }
    size_t used = 0, made = 0;
    uint8_t *dst = (uint8_t *)out->dst + out->pos;
    size_t cap = out->size - out->pos;
    jlp_codec_status st;
#if defined(JLP_HAVE_ISAL)
    if (z->isal) st = step_isal(z, src, avail, &used, dst, cap, &made, err);
    else
#endif
        st = step_zlib(z, src, avail, &used, dst, cap, &made, err);
    in->pos += used;
    out->pos += made;
    z->produced += made;
    if (st == JLP_CODEC_END && z->zf && z->produced != z->declared)
        return jlp__codec_fail(err, JLP_E_CORRUPT, "zf", "decoded length differs from the ZF header");
    return st;
}

#define JLP_STR_(x) #x
#define JLP_STR(x) JLP_STR_(x)

const char *jlp__inflate_version(const jlp_codec *self) {
    (void)self;
#if defined(JLP_HAVE_ISAL)
    /* the encoder's library first: it is what files are written with */
    return ZLIB_VERSION " (decoding: ISA-L " JLP_STR(ISAL_MAJOR_VERSION) "." JLP_STR(ISAL_MINOR_VERSION) "."
           JLP_STR(ISAL_PATCH_VERSION) ")";
#else
    return zlibVersion();
#endif
}

#endif /* JLP_HAVE_ZLIB */
