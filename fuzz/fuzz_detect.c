/*
 * fuzz_detect.c - libFuzzer target: container detection (jlp_registry_detect) and its
 * agreement with loading.
 *
 * Three registries are examined for every input: the built-in one (NULL and
 * jlp_registry_default()), and a registry from jlp_registry_new() with a user codec
 * "fzx" added (a toy container with a real streaming decoder, below) and, for half of
 * the inputs, the built-in "gzip" replaced by a bid-only copy (a codec without decoder,
 * as when a library is compiled out). For each registry the target checks:
 *
 *   - stability: detection of the whole input, of its first 64 bytes (what the loader
 *     looks at) and a repeated call give the same codec and is_pickle; every codec's bid
 *     is the same whether it sees the whole input or only its bid_bytes (each bidder is
 *     called on an exact-size heap copy, so a read past `len` is an ASan report);
 *   - the documented choice: the winner is the first codec, in registry order, with the
 *     highest bid, and that bid is positive; nothing wins when every codec bids 0;
 *     jlp_registry_find() of the winner's name gives the winner;
 *   - consistency with loading (jlp_load_mem with tight budgets, and jlp_load_cb fed in
 *     chunks): an empty input fails with TRUNCATED; no winner and no pickle fails with
 *     UNKNOWN_FORMAT; a winner without decoder fails with CODEC_MISSING; a winner with
 *     one never fails with UNKNOWN_FORMAT or CODEC_MISSING and, on success, the document
 *     names it as its container ("none" for a pickle); both sources agree on that much
 *     (inputs that jlp_archive_detect calls archives are left to fuzz_archive).
 *
 * It also checks the registry API's contract: invalid codecs are refused with
 * INVALID_ARG and leave the registry unchanged; the default registry is immutable;
 * re-adding a codec by name replaces it; every allocation is returned.
 */
#define FZ_TARGET "fuzz_detect"
#include "fuzz_common.h"
#include "jlpickle_codec.h"

#define DETECT_WINDOW 64

/* ---- the user codec "fzx" -------------------------------------------------------------
 * A stream is "JLPX", one parameter byte, then a body: every byte b other than 0xFF
 * decodes to b ^ 0x5A; 0xFF 0x00 ends the stream, 0xFF 0x01 is a literal 0xFF, 0xFF
 * followed by anything else is corrupt. The parameter byte is the bid (1 + p) and, in
 * its low 3 bits, how many bytes the decoder produces per call at most (p & 7, 0 = no
 * cap), so the driver meets decoders that make slow progress. The bidder also bids on
 * inputs that start 0x78 (the zlib magic) with 0..31 points, so it competes with the
 * built-in zlib (16) and with the pickle bidder. */

typedef struct fzx_state {
    const jlp_alc *alc;
    uint8_t hdr[5];
    size_t hdr_got;
    int esc;
} fzx_state;

static int fzx_bid(const jlp_codec *self, const uint8_t *h, size_t len) {
    (void)self;
    if (len >= 5 && memcmp(h, "JLPX", 4) == 0) return 1 + h[4];
    if (len >= 2 && h[0] == 0x78) return h[1] & 31;
    return 0;
}

static int fzx_fail_new; /* set per input: dec_new fails with NOMEM */

static void *fzx_new(const jlp_codec *self, const jlp_alc *alc, jlp_error *err) {
    (void)self;
    if (fzx_fail_new || !alc) {
        if (err) {
            memset(err, 0, sizeof *err);
            err->code = JLP_E_NOMEM;
            err->opcode = -1;
            err->input_offset = UINT64_MAX;
            snprintf(err->msg, sizeof err->msg, "fzx: no decoder for this input");
        }
        return NULL;
    }
    fzx_state *s = alc->malloc(alc->ctx, sizeof *s);
    if (!s) return NULL;
    memset(s, 0, sizeof *s);
    s->alc = alc;
    return s;
}

static void fzx_free(const jlp_codec *self, void *state) {
    (void)self;
    fzx_state *s = state;
    s->alc->free(s->alc->ctx, s, sizeof *s);
}

static jlp_codec_status fzx_fail(jlp_error *err, const char *what) {
    if (err) {
        err->code = JLP_E_CORRUPT;
        snprintf(err->msg, sizeof err->msg, "fzx: %s", what);
    }
    return JLP_CODEC_ERROR;
}

static jlp_codec_status fzx_run(const jlp_codec *self, void *state, jlp_inbuf *in, jlp_outbuf *out,
                                jlp_error *err) {
    (void)self;
    fzx_state *s = state;
    const uint8_t *src = in->src;
    uint8_t *dst = out->dst;
    size_t made = 0;
    if (in->pos > in->size || out->pos > out->size) fz_die("fzx", "driver passed pos > size", in->pos, out->pos);
    while (in->pos < in->size) {
        uint8_t b = src[in->pos];
        if (s->hdr_got < 5) {
            if (s->hdr_got < 4 && b != (uint8_t)"JLPX"[s->hdr_got]) return fzx_fail(err, "bad magic");
            s->hdr[s->hdr_got++] = b;
            in->pos++;
            continue;
        }
        size_t cap = s->hdr[4] & 7;
        if (out->pos == out->size || (cap && made == cap)) return JLP_CODEC_MORE;
        in->pos++;
        if (s->esc) {
            s->esc = 0;
            if (b == 0) return JLP_CODEC_END;
            if (b != 1) return fzx_fail(err, "bad escape");
            dst[out->pos++] = 0xFF;
            made++;
        } else if (b == 0xFF) {
            s->esc = 1;
        } else {
            dst[out->pos++] = b ^ 0x5A;
            made++;
        }
    }
    return JLP_CODEC_MORE;
}

static const char *fzx_version(const jlp_codec *self) {
    (void)self;
    return "fzx 1";
}

static jlp_codec fzx_codec = {
    .abi_version = JLP_CODEC_ABI_VERSION,
    .name = "fzx",
    .extensions = ".fzx",
    .bid_bytes = 5,
    .bid = fzx_bid,
    .concatenation = 1,
    .dec_new = fzx_new,
    .dec_run = fzx_run,
    .dec_free = fzx_free,
    .version = fzx_version,
};

/* A bid-only stand-in for a built-in codec (what detection sees of a compiled-out one). */
static jlp_codec bidonly_codec;

/* ---- checks ------------------------------------------------------------------------- */

/* Every codec's bid on an exact-size copy: the whole input (up to the detection window
 * and beyond) must bid as its first bid_bytes do. */
static int bid_of(const jlp_codec *c, const uint8_t *data, size_t size) {
    size_t n = size < DETECT_WINDOW ? size : DETECT_WINDOW;
    uint8_t *whole = calloc(1, n ? n : 1);
    if (!whole) abort();
    if (n) memcpy(whole, data, n);
    int b = c->bid(c, whole, n);
    size_t k = c->bid_bytes < n ? c->bid_bytes : n;
    uint8_t *head = calloc(1, k ? k : 1);
    if (!head) abort();
    if (k) memcpy(head, data, k);
    int b2 = c->bid(c, head, k);
    free(head);
    free(whole);
    if (b != b2) {
        fprintf(stderr, "codec %s\n", c->name);
        fz_die("a bidder looks past bid_bytes", c->name, (unsigned long long)b, (unsigned long long)b2);
    }
    FZ_CHECK(b >= 0, "negative bid", b, 0);
    return b;
}

typedef struct loaded {
    jlp_code code;
    const char *container; /* static strings or codec names: valid after the doc is freed */
} loaded;

typedef struct chunker {
    const uint8_t *p;
    size_t left;
    uint64_t rng;
} chunker;

static long long chunk_read(void *ctx, void *buf, size_t cap) {
    chunker *c = ctx;
    size_t k = 1 + (size_t)(fz_xorshift(&c->rng) % 19);
    if (k > c->left) k = c->left;
    if (k > cap) k = cap;
    if (k) memcpy(buf, c->p, k);
    c->p += k;
    c->left -= k;
    return (long long)k;
}

static loaded load_with(const jlp_registry *reg, const uint8_t *data, size_t size, int chunked, uint64_t h) {
    fz_heap heap = {0, 0, 0, 0, 0};
    jlp_alc alc = fz_alc(&heap);
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    jlp_limits lim;
    fz_budget(&o, &lim);
    o.alc = &alc;
    o.registry = reg;
    jlp_error err;
    jlp_doc *d;
    if (chunked) {
        chunker ch = {data, size, h | 1};
        d = jlp_load_cb(chunk_read, &ch, &o, &err);
    } else {
        d = jlp_load_mem(data, size, &o, NULL, &err);
    }
    loaded r = {d ? JLP_OK : err.code, d ? jlp_doc_container(d) : NULL};
    if (d) {
        FZ_CHECK(r.container != NULL, "a loaded document names no container", 0, 0);
        FZ_CHECK(jlp_doc_root(d) != NULL, "a loaded document has no root", 0, 0);
    } else {
        FZ_CHECK(err.code > JLP_OK && err.code < JLP_E__COUNT, "error code out of range", err.code, 0);
    }
    jlp_doc_free(d);
    fz_heap_check_empty(&heap, "load");
    return r;
}

static void check_registry(const jlp_registry *reg, const uint8_t *data, size_t size, uint64_t h) {
    int p1 = -1, p2 = -1, p3 = -1;
    const jlp_codec *c1 = jlp_registry_detect(reg, data, size, &p1);
    const jlp_codec *c2 = jlp_registry_detect(reg, data, size < DETECT_WINDOW ? size : DETECT_WINDOW, &p2);
    const jlp_codec *c3 = jlp_registry_detect(reg, data, size, &p3);
    FZ_CHECK(c1 == c2 && p1 == p2, "detection differs between the whole input and its first 64 bytes", p1, p2);
    FZ_CHECK(c1 == c3 && p1 == p3, "detection is not repeatable", p1, p3);
    FZ_CHECK(p1 == 0 || p1 == 1, "is_pickle is not 0 or 1", p1, 0);
    FZ_CHECK(!(c1 && p1), "a codec won and is_pickle is set", p1, 0);
    FZ_CHECK(jlp_registry_detect(reg, data, size, NULL) == c1, "detection with is_pickle NULL differs", 0, 0);

    /* the documented choice: first codec with the highest bid */
    size_t n = jlp_registry_count(reg);
    FZ_CHECK(n > 0 && n < 64, "registry size", n, 0);
    FZ_CHECK(jlp_registry_get(reg, n) == NULL, "jlp_registry_get past the end", n, 0);
    const jlp_codec *best = NULL;
    int best_bid = 0;
    for (size_t i = 0; i < n; i++) {
        const jlp_codec *c = jlp_registry_get(reg, i);
        FZ_CHECK(c && c->name && c->bid, "registry entry", i, 0);
        FZ_CHECK(jlp_registry_find(reg, c->name) == c, "jlp_registry_find of a registered name", i, 0);
        int b = bid_of(c, data, size);
        if (b > best_bid) {
            best_bid = b;
            best = c;
        }
    }
    if (c1) {
        FZ_CHECK(c1 == best, "the winner is not the first codec with the highest bid", best_bid,
                 (unsigned long long)bid_of(c1, data, size));
    } else if (best) {
        /* the pickle bidder beat (or tied) every codec: its score is low by design */
        FZ_CHECK(p1 == 1, "a codec bid but neither it nor the pickle bidder won", best_bid, 0);
    }
    if (size == 0) FZ_CHECK(!c1 && !p1, "an empty input was detected as something", p1, 0);

    /* consistency with loading; jlp_load_mem loads a zip or tar (also inside a codec) as
     * an archive, where a stream source reads the bytes as a pickle: such inputs are
     * fuzz_archive's */
    jlp_read_opts ro;
    jlp_read_opts_init(&ro);
    ro.registry = reg;
    if (jlp_archive_detect(data, size, &ro)) return;
    loaded a = load_with(reg, data, size, 0, h);
    loaded b = load_with(reg, data, size, 1, h);
    if (size == 0) {
        FZ_EQ("empty input must fail with TRUNCATED", a.code, JLP_E_TRUNCATED);
    } else if (!c1 && !p1) {
        FZ_EQ("undetected input must fail with UNKNOWN_FORMAT", a.code, JLP_E_UNKNOWN_FORMAT);
    } else if (c1 && !c1->dec_new) {
        FZ_EQ("a codec without decoder must fail with CODEC_MISSING", a.code, JLP_E_CODEC_MISSING);
    } else {
        FZ_CHECK(a.code != JLP_E_UNKNOWN_FORMAT && a.code != JLP_E_CODEC_MISSING,
                 "detected input failed as undetected", a.code, 0);
        if (a.code == JLP_OK) {
            const char *want = c1 ? c1->name : "none";
            if (strcmp(a.container, want) != 0) {
                fprintf(stderr, "container %s, detected %s\n", a.container, want);
                fz_die("the document names another container than detection chose", want, 0, 0);
            }
        }
    }
    int detect_err_a = a.code == JLP_E_UNKNOWN_FORMAT || a.code == JLP_E_CODEC_MISSING || size == 0;
    int detect_err_b = b.code == JLP_E_UNKNOWN_FORMAT || b.code == JLP_E_CODEC_MISSING || size == 0;
    FZ_EQ("memory and chunked sources disagree on detection", detect_err_a, detect_err_b);
    if (detect_err_a) FZ_EQ("memory and chunked sources fail detection differently", a.code, b.code);
    if (a.code == JLP_OK && b.code == JLP_OK && strcmp(a.container, b.container) != 0)
        fz_die("memory and chunked sources name different containers", a.container, 0, 0);
}

/* The registry API refuses what it documents as invalid and stays unchanged. */
static void check_registry_api(jlp_registry *reg, uint8_t which) {
    size_t n = jlp_registry_count(reg);
    jlp_codec bad = fzx_codec;
    bad.name = "fzx-bad";
    switch (which % 6) {
    case 0: bad.abi_version = JLP_CODEC_ABI_VERSION + 1; break;
    case 1: bad.name = ""; break;
    case 2: bad.bid = NULL; break;
    case 3: bad.bid_bytes = 65; break;
    case 4: bad.dec_run = NULL; break;
    default: bad.dec_free = NULL; break;
    }
    jlp_error err;
    FZ_EQ("an invalid codec must be refused", jlp_registry_add(reg, &bad, &err), JLP_E_INVALID_ARG);
    FZ_EQ("a refused codec changed the registry", jlp_registry_count(reg), n);
    FZ_EQ("NULL codec", jlp_registry_add(reg, NULL, &err), JLP_E_INVALID_ARG);
    FZ_EQ("the default registry must be immutable",
          jlp_registry_add((jlp_registry *)(uintptr_t)jlp_registry_default(), &fzx_codec, &err),
          JLP_E_INVALID_ARG);
    FZ_EQ("the default registry changed", jlp_registry_count(NULL), jlp_registry_count(jlp_registry_default()));
    jlp_registry_free(NULL);
    jlp_registry_free((jlp_registry *)(uintptr_t)jlp_registry_default()); /* ignored, as documented */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint64_t h = fz_fnv1a(data, size);

    FZ_CHECK(jlp_registry_detect(NULL, NULL, 0, NULL) == NULL, "detection of nothing", 0, 0);
    check_registry(NULL, data, size, h);
    check_registry(jlp_registry_default(), data, size, h);

    fz_heap heap = {0, 0, 0, 0, 0};
    jlp_alc alc = fz_alc(&heap);
    jlp_registry *reg = jlp_registry_new(&alc);
    FZ_CHECK(reg != NULL, "jlp_registry_new", 0, 0);
    size_t n0 = jlp_registry_count(reg);
    FZ_EQ("a new registry holds the built-in codecs", n0, jlp_registry_count(NULL));

    fzx_codec.concatenation = (int)((h >> 8) & 1);
    fzx_fail_new = ((h >> 9) & 15) == 0;
    jlp_error err;
    FZ_EQ("jlp_registry_add", jlp_registry_add(reg, &fzx_codec, &err), JLP_OK);
    FZ_EQ("adding a codec grows the registry", jlp_registry_count(reg), n0 + 1);
    FZ_EQ("re-adding replaces", jlp_registry_add(reg, &fzx_codec, &err), JLP_OK);
    FZ_EQ("re-adding replaces, not appends", jlp_registry_count(reg), n0 + 1);
    if ((h >> 13) & 1) {
        const jlp_codec *gz = jlp_registry_find(reg, "gzip");
        FZ_CHECK(gz != NULL, "built-in gzip", 0, 0);
        bidonly_codec = *gz;
        bidonly_codec.dec_new = NULL;
        bidonly_codec.dec_run = NULL;
        bidonly_codec.dec_free = NULL;
        FZ_EQ("replacing gzip", jlp_registry_add(reg, &bidonly_codec, &err), JLP_OK);
        FZ_EQ("replacing keeps the count", jlp_registry_count(reg), n0 + 1);
        FZ_CHECK(jlp_registry_find(reg, "gzip") == &bidonly_codec, "find after replacing", 0, 0);
        FZ_CHECK(jlp_registry_find(NULL, "gzip") == gz, "the default registry changed", 0, 0);
    }
    check_registry_api(reg, (uint8_t)(h >> 16));
    check_registry(reg, data, size, h);
    jlp_registry_free(reg);
    fz_heap_check_empty(&heap, "registry");
    return 0;
}
