/*
 * decoded.c - the decoded-source driver, the one decoding loop. Detection examines the first bytes of a source; for
 * a compressed container it moves the raw input into an inner source and turns the
 * source itself into the decoded stream, pulled through the codec's dec_run callback.
 * Offsets seen by the unpickler are then offsets of the decoded stream; errors carry
 * both the decoded offset and the offset in the compressed input.
 *
 * The driver, not the codecs, enforces what every container shares: the input must not
 * end before the codec's end marker (TRUNCATED), nothing but another stream of the same
 * codec may follow the end (TRAILING), and decoding stops at limits.max_decoded bytes or
 * at limits.max_ratio (decompression bombs).
 */
#include "source.h"

#include "../codec/codec.h"

#include <errno.h>

/* Leading bytes examined by detection (every bidder asks for fewer). */
#define DETECT_BYTES 64
/* The ratio limit applies once this much has been decoded: small inputs that compress
 * extremely well (a file of zeros) are common and harmless. */
#define RATIO_GRACE ((uint64_t)64 << 20)

/* An LZ4 skippable frame (magic 0x184D2A50 to 0x184D2A5F, then a 4-byte length and that
 * many bytes) after a frame: python-lz4's reader, which joblib uses, and liblz4 skip it
 * and read on, so the frames after it belong to the stream. A fresh decoder consumes it.
 * (A file that starts with one is not lz4 to joblib.) */
static bool skippable(const jlp_codec *codec, const uint8_t *h, size_t have) {
    if (codec != &jlp__codec_lz4) return false;
    return have >= 4 && (h[0] & 0xf0) == 0x50 && h[1] == 0x2a && h[2] == 0x4d && h[3] == 0x18;
}

typedef struct jlp__layer {
    const jlp_codec *codec;
    const jlp_alc *alc;
    void *state;
    uint64_t max_decoded, max_ratio, max_alloc;
    bool ended;      /* the last stream ended and no input follows */
    bool trailing;   /* input follows the end: reported once the decoded bytes are used */
    bool failed;     /* a decoder or budget error, reported once the bytes decoded before
                        it are used: where an error surfaces must not depend on how the
                        input arrived in pieces */
    jlp_error error;
} jlp__layer;

static long long layer_fail(jlp_source *s, jlp_code code, uint64_t decoded, const char *what) {
    jlp__fail(&s->pending, code, decoded, -1, "%s: %s", s->layer->codec->name, what);
    s->pending.input_offset = jlp__src_tell(s->inner);
    return -1;
}

static long long pull_layer(jlp_source *s, void *dst, size_t cap) {
    jlp__layer *L = s->layer;
    jlp_source *in = s->inner;
    const jlp_codec *codec = L->codec;
    for (;;) {
        if (L->failed) {
            s->pending = L->error;
            return -1;
        }
        if (L->ended) return 0;
        if (L->trailing)
            return layer_fail(s, JLP_E_TRAILING, s->end_off, "unexpected bytes after the end of the stream");
        if (!jlp__src_avail(in) && !jlp__src_fill(in, 1)) {
            if (in->failed) {
                s->sys_errno = in->sys_errno;
                return -1;
            }
            return layer_fail(s, JLP_E_TRUNCATED, s->end_off, "stream ends before its end marker");
        }
        jlp_inbuf ib = {in->cur, jlp__src_avail(in), 0};
        jlp_outbuf ob = {dst, cap, 0};
        jlp_error e;
        jlp__clear(&e);
        jlp_codec_status st = codec->dec_run(codec, L->state, &ib, &ob, &e);
        in->cur += ib.pos;
        uint64_t decoded = s->end_off + ob.pos;
        if (st == JLP_CODEC_ERROR) {
            L->error = e;
            if (L->error.code == JLP_OK) jlp__fail(&L->error, JLP_E_CORRUPT, 0, -1, "%s: corrupt stream", codec->name);
            L->error.offset = decoded;
            L->error.input_offset = jlp__src_tell(in);
            L->failed = true;
            if (ob.pos) return (long long)ob.pos;
            continue;
        }
        if (L->max_decoded && decoded > L->max_decoded) {
            /* hand out exactly up to the budget, then fail there */
            jlp__fail(&L->error, JLP_E_LIMIT, L->max_decoded, -1, "%s: stream decodes past limits.max_decoded",
                      codec->name);
            L->error.input_offset = UINT64_MAX;
            L->failed = true;
            size_t keep = (size_t)(L->max_decoded - s->end_off);
            if (keep) return (long long)keep;
            continue;
        }
        uint64_t used = jlp__src_tell(in);
        if (L->max_ratio && decoded > RATIO_GRACE && decoded / (used ? used : 1) > L->max_ratio)
            return layer_fail(s, JLP_E_LIMIT, decoded, "stream exceeds limits.max_ratio");
        if (st == JLP_CODEC_END) {
            size_t want = codec->bid_bytes ? codec->bid_bytes : 1;
            size_t have = jlp__src_fill(in, want);
            if (in->failed) {
                s->sys_errno = in->sys_errno;
                return -1;
            }
            if (have == 0) {
                L->ended = true;
            } else if (codec->concatenation && (codec->bid(codec, in->cur, have) > 0 || skippable(codec, in->cur, have))) {
                codec->dec_free(codec, L->state);
                L->state = codec->dec_new(codec, L->alc, &e);
                if (!L->state) {
                    s->pending = e;
                    return -1;
                }
                jlp__codec_limit_memory(codec, L->state, L->max_alloc);
            } else {
                L->trailing = true;
            }
        } else if (ib.pos == 0 && ob.pos == 0) {
            /* The decoder needs more input than the window holds. */
            size_t before = jlp__src_avail(in);
            if (jlp__src_fill(in, before + 1) <= before) {
                if (in->failed) {
                    s->sys_errno = in->sys_errno;
                    return -1;
                }
                return layer_fail(s, JLP_E_TRUNCATED, decoded, "stream ends before its end marker");
            }
        }
        if (ob.pos) return (long long)ob.pos;
    }
}

void jlp__layer_free(jlp_source *s) {
    if (!s->layer) return;
    jlp__layer *L = s->layer;
    if (L->state) L->codec->dec_free(L->codec, L->state);
    jlp__free(s->alc, L, sizeof *L);
    s->layer = NULL;
    jlp_source_free(s->inner);
    s->inner = NULL;
}

const char *jlp__src_container(const jlp_source *s) {
    if (s->layer) return s->layer->codec->name;
    return s->detected ? "none" : NULL;
}

jlp_code jlp__src_detect(jlp_source *s, const jlp_read_opts *opts, jlp_error *err) {
    if (s->detected) return JLP_OK;
    size_t have = jlp__src_fill(s, DETECT_BYTES);
    /* A read error after some bytes is reported when the loader reaches it. */
    if (s->failed && have == 0) return jlp__src_error(s, err, 0, -1);
    if (have == 0) return jlp__fail(err, JLP_E_TRUNCATED, 0, -1, "empty input");
    int is_pickle = 0;
    const jlp_codec *codec = jlp_registry_detect(opts->registry, s->cur, have, &is_pickle);
    if (!codec) {
        /* numpy's .npy magic starts with the STACK_GLOBAL opcode: name the format instead
         * of failing on an empty stack */
        if (have >= 6 && !memcmp(s->cur, "\x93NUMPY", 6))
            return jlp__fail(err, JLP_E_UNKNOWN_FORMAT, 0, -1, "this is a numpy .npy file, not a pickle (jlp_load_npy_* reads it)");
        if (!is_pickle) {
            const uint8_t *h = s->cur;
            return jlp__fail(err, JLP_E_UNKNOWN_FORMAT, 0, -1,
                             "neither a pickle nor a known container (starts %02x %02x %02x %02x)",
                             h[0], have > 1 ? h[1] : 0, have > 2 ? h[2] : 0, have > 3 ? h[3] : 0);
        }
        s->detected = true;
        return JLP_OK;
    }
    if (!codec->dec_new)
        return jlp__fail(err, JLP_E_CODEC_MISSING, 0, -1,
                         "%s-compressed input, but this libjlpickle was built without %s",
                         codec->name, codec->name);
    jlp__layer *L = jlp__malloc(s->alc, sizeof *L);
    jlp_source *inner = jlp__malloc(s->alc, sizeof *inner);
    void *state = NULL;
    if (L && inner) state = codec->dec_new(codec, s->alc, err);
    if (!L || !inner || !state) {
        jlp__free(s->alc, L, sizeof *L);
        jlp__free(s->alc, inner, sizeof *inner);
        if (!L || !inner) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a decoder");
        return err ? err->code : JLP_E_NOMEM;
    }
    L->codec = codec;
    L->alc = s->alc;
    L->state = state;
    L->max_decoded = opts->limits->max_decoded;
    L->max_ratio = opts->limits->max_ratio;
    L->max_alloc = opts->limits->max_alloc;
    jlp__codec_limit_memory(codec, state, L->max_alloc);
    L->ended = L->trailing = L->failed = false;
    jlp__clear(&L->error);
    /* The raw input moves, with its window, buffer and descriptor, into `inner`. */
    *inner = *s;
    inner->detected = true;
    s->inner = inner;
    s->layer = L;
    s->pull = pull_layer;
    s->buf = NULL;
    s->cap = 0;
    s->cur = s->end = NULL;
    s->end_off = 0;
    s->at_end = s->failed = false;
    s->fd = -1;
    s->own_fd = false;
    s->fp = NULL;
    s->path = NULL; /* owned by inner now */
    s->release = NULL; /* so is a custom reader */
    s->size_hint = 0; /* the decoded size is not known */
    s->map = NULL;    /* the mapping holds the compressed bytes (inner owns it) */
    s->map_len = 0;
    s->own_map = false;
    s->detected = true;
    return JLP_OK;
}
