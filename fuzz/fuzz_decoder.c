/*
 * fuzz_decoder.c - libFuzzer target: each built-in decoder through the public codec ABI
 * (jlp_codec dec_new / dec_run / dec_free), then the library's own driver.
 *
 * The first input byte picks the codec (modulo 8: zlib gzip bz2 lzma xz lz4 zstd zf);
 * the rest is the stream. A codec compiled out of this build (dec_new NULL) skips the ABI
 * passes. Passes:
 *
 *   A. one shot: the whole stream as one input buffer, one output buffer of OUT_CAP
 *      bytes, dec_run called until END, ERROR, no progress, or the cap;
 *   B. chunked: input windows growing by chunks of 1..4096 bytes and output buffers of
 *      1..4096 bytes (sizes from a hash of the input), each an exact-size heap copy so
 *      ASan sees any access past `size`; once the input is all given, calls with an
 *      empty input drain what the decoder still holds;
 *   C. the allocator fails at the n-th allocation (n from the hash): only NOMEM (or the
 *      data's own error) may come out, nothing may leak;
 *   D. jlp_load_mem of the stream (detection picks whatever it picks) with tight budgets
 *      (max_decoded, max_ratio, max_alloc, max_ops), exported to JSON;
 *   E. where ISA-L is built in, zlib, gzip and ZF inputs go through passes A, B and D
 *      again with zlib's inflate: both back ends must agree on everything (output bytes,
 *      how each pass ends, error codes, input consumed, the load's error code, decoded
 *      and input offsets, and its JSON).
 *
 * Properties (abort on failure):
 *   - every call: status is ERROR, MORE or END; in->pos and out->pos never move back and
 *     stay within size; ERROR fills err with a code in range; nothing after END/ERROR;
 *   - B's output equals A's byte for byte over their common length; when neither hit the
 *     cap, both end the same way (END, ERROR with the same code, or input exhausted)
 *     with the same output length, and END at the same input position;
 *   - the driver is checked against pass A: when A decoded the whole stream to its END
 *     (no trailing bytes, under the cap) and the stream is detected as this codec, the
 *     compressed load and a load of A's output as a raw pickle must agree (success and
 *     JSON hashes, or error code and decoded offset);
 *   - every allocation through the jlp_alc hooks is returned with its size.
 */
#define FZ_TARGET "fuzz_decoder"
#include "fuzz_common.h"
#include "jlpickle_codec.h"

#include <stdbool.h>

#define OUT_CAP ((size_t)256 * 1024)

static const char *const codec_names[8] = {"zlib", "gzip", "bz2", "lzma", "xz", "lz4", "zstd", "zf"};

typedef enum ending { END_DONE, END_ERROR, END_EXHAUSTED, END_CAPPED } ending;

typedef struct result {
    ending how;
    jlp_code code;      /* for END_ERROR */
    size_t consumed;    /* input bytes consumed */
    size_t produced;    /* output bytes produced */
} result;

static uint8_t out_a[OUT_CAP];
static uint8_t out_i[OUT_CAP], out_z[OUT_CAP];   /* pass E: pass A's output with ISA-L, zlib */

/* The back-end switch is internal (codec/codec.h). */
enum { JLP__INFLATE_AUTO, JLP__INFLATE_ZLIB };
extern int jlp__inflate_backend;
bool jlp__inflate_isal_built(void);

/* Whether `name` is decoded by inflate.c, and a second back end is there to compare. */
static int inflate_pair(const char *name) {
    return name && jlp__inflate_isal_built() &&
           (!strcmp(name, "zlib") || !strcmp(name, "gzip") || !strcmp(name, "zf"));
}

static jlp_codec_status run_checked(const jlp_codec *c, void *st, jlp_inbuf *in, jlp_outbuf *out, jlp_error *err) {
    size_t in0 = in->pos, out0 = out->pos;
    memset(err, 0, sizeof *err);
    jlp_codec_status s = c->dec_run(c, st, in, out, err);
    FZ_CHECK(s == JLP_CODEC_ERROR || s == JLP_CODEC_MORE || s == JLP_CODEC_END, "dec_run status", s, 0);
    FZ_CHECK(in->pos >= in0 && in->pos <= in->size, "in->pos out of range or moved back", in->pos, in->size);
    FZ_CHECK(out->pos >= out0 && out->pos <= out->size, "out->pos out of range or moved back", out->pos, out->size);
    if (s == JLP_CODEC_ERROR)
        FZ_CHECK(err->code > JLP_OK && err->code < JLP_E__COUNT, "ERROR without an error code", err->code, 0);
    return s;
}

/* Pass A: everything at once, into `dst` (OUT_CAP bytes). */
static result pass_a(const jlp_codec *c, const uint8_t *p, size_t n, const jlp_alc *alc, uint8_t *dst) {
    result r = {END_EXHAUSTED, JLP_OK, 0, 0};
    jlp_error err;
    void *st = c->dec_new(c, alc, &err);
    if (!st) fz_die_err("dec_new failed with a working allocator", &err);
    jlp_inbuf in = {p, n, 0};
    for (size_t calls = 0;; calls++) {
        FZ_CHECK(calls < 2 * (n + OUT_CAP) + 64, "decoder never finishes (pass A)", calls, in.pos);
        jlp_outbuf out = {dst, OUT_CAP, r.produced};
        size_t ip = in.pos, op = out.pos;
        jlp_codec_status s = run_checked(c, st, &in, &out, &err);
        r.consumed = in.pos;
        r.produced = out.pos;
        if (s == JLP_CODEC_END) { r.how = END_DONE; break; }
        if (s == JLP_CODEC_ERROR) { r.how = END_ERROR; r.code = err.code; break; }
        if (r.produced == OUT_CAP) { r.how = END_CAPPED; break; }
        if (in.pos == ip && out.pos == op) break; /* needs input it will never get */
    }
    c->dec_free(c, st);
    return r;
}

/* Pass B: small windows and small output buffers, compared with A's output. */
static result pass_b(const jlp_codec *c, const uint8_t *p, size_t n, const jlp_alc *alc, uint64_t seed,
                     const result *a, const uint8_t *a_out) {
    result r = {END_EXHAUSTED, JLP_OK, 0, 0};
    jlp_error err;
    void *st = c->dec_new(c, alc, &err);
    if (!st) fz_die_err("dec_new failed with a working allocator", &err);
    uint64_t rng = seed | 1;
    static const size_t in_max[4] = {1, 7, 64, 4096};
    static const size_t out_max[4] = {1, 13, 512, 4096};
    size_t imax = in_max[seed & 3], omax = out_max[(seed >> 2) & 3];
    size_t given = 0; /* input bytes handed over so far (consumed or in the window) */
    int stalls = 0;
    /* tiny output buffers make many calls: cap what they may produce */
    size_t cap_b = omax * 4096 < OUT_CAP ? omax * 4096 : OUT_CAP;
    /* every call consumes, produces, or (once) widens the window: this bounds them */
    size_t max_calls = 2 * (n + cap_b) + 64;
    for (size_t calls = 0;; calls++) {
        FZ_CHECK(calls < max_calls, "decoder never finishes (pass B)", calls, r.consumed);
        if (given == r.consumed || stalls) {
            /* the window is used up, or the decoder wants more: add a chunk */
            size_t k = 1 + (size_t)(fz_xorshift(&rng) % imax);
            if (k > n - given) k = n - given;
            given += k;
        }
        size_t wlen = given - r.consumed;
        size_t olen = 1 + (size_t)(fz_xorshift(&rng) % omax);
        if (olen > cap_b - r.produced) olen = cap_b - r.produced;
        uint8_t *win = malloc(wlen ? wlen : 1);
        uint8_t *obuf = malloc(olen);
        if (!win || !obuf) abort();
        if (wlen) memcpy(win, p + r.consumed, wlen);
        jlp_inbuf in = {win, wlen, 0};
        jlp_outbuf out = {obuf, olen, 0};
        jlp_codec_status s = run_checked(c, st, &in, &out, &err);
        if (out.pos) {
            /* the bytes must be A's bytes at the same place (where A has any) */
            size_t common = r.produced < a->produced ? a->produced - r.produced : 0;
            if (common > out.pos) common = out.pos;
            if (common && memcmp(obuf, a_out + r.produced, common) != 0)
                fz_die("chunked output differs from one-shot output", c->name, r.produced, common);
            if (a->how == END_DONE || a->how == END_EXHAUSTED)
                FZ_CHECK(r.produced + out.pos <= a->produced, "chunked decoding produced more than one-shot",
                         r.produced + out.pos, a->produced);
        }
        r.consumed += in.pos;
        r.produced += out.pos;
        free(win);
        free(obuf);
        if (s == JLP_CODEC_END) { r.how = END_DONE; break; }
        if (s == JLP_CODEC_ERROR) { r.how = END_ERROR; r.code = err.code; break; }
        if (r.produced == cap_b) { r.how = END_CAPPED; break; }
        if (in.pos == 0 && out.pos == 0) {
            /* no progress: it needs more input than the window holds */
            if (given == n) break;
            stalls = 1;
        } else {
            stalls = 0;
        }
    }
    c->dec_free(c, st);
    return r;
}

static const char *ending_name(ending e) {
    return e == END_DONE ? "END" : e == END_ERROR ? "ERROR" : e == END_EXHAUSTED ? "input exhausted" : "capped";
}

/* Load `p` with budgets; the JSON export is hashed into *s. */
static jlp_doc *load_budgeted(const uint8_t *p, size_t n, const jlp_alc *alc, jlp_error *err) {
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    jlp_limits lim;
    fz_budget(&o, &lim);
    o.alc = alc;
    return jlp_load_mem(p, n, &o, NULL, err);
}

static void export(const jlp_doc *d, const jlp_alc *alc, fz_sink *s) {
    fz_sink_init(s);
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.alc = alc;
    jlp_error err;
    jlp_code c = jlp_export_json(jlp_doc_root(d), &jo, fz_sink_write, s, &err);
    if (c != JLP_OK && !fz_sink_unsupported(s, c)) fz_die_err("jlp_export_json", &err);
}

/* Pass E: ISA-L against zlib's inflate (libjlpickle/codec/inflate.c). They must agree
 * exactly (output bytes, how a pass ends, error code, input consumed and output produced;
 * a load's document, or its error code, decoded and input offsets), except where the
 * deflate data is corrupt: zlib says CORRUPT (ISA-L then fails elsewhere or, for an
 * incomplete Huffman code, decodes the block), or zlib ran out of input before reaching
 * a corruption that ISA-L found at no later output byte. */
static int isal_may_differ(const result *i, const result *z) {
    if (z->how == END_CAPPED || i->how == END_CAPPED) return 1;
    if (z->how == END_ERROR && z->code == JLP_E_CORRUPT) return 1;
    return z->how == END_EXHAUSTED && i->how == END_ERROR && i->code == JLP_E_CORRUPT && i->produced <= z->produced;
}

static void same_result(const char *pass, const result *i, const result *z) {
    if (isal_may_differ(i, z)) return;
    if (i->how != z->how || i->code != z->code || i->consumed != z->consumed || i->produced != z->produced) {
        fprintf(stderr, "%s: ISA-L %s (%s) after %zu in / %zu out; zlib %s (%s) after %zu in / %zu out\n", pass,
                ending_name(i->how), jlp_error_name(i->code), i->consumed, i->produced, ending_name(z->how),
                jlp_error_name(z->code), z->consumed, z->produced);
        fz_die("ISA-L and zlib end a pass differently", pass, i->how, z->how);
    }
}

static void same_bytes(const result *i, const result *z) {
    size_t common = i->produced < z->produced ? i->produced : z->produced;
    if (memcmp(out_i, out_z, common) != 0) fz_die("ISA-L and zlib decode different bytes", "pass E", common, 0);
}

/* The loads of p[0..n) with both back ends (di/ei: the ISA-L load already made, or NULL
 * with ei NULL to make it here). */
static void same_load(const uint8_t *p, size_t n, const jlp_alc *alc, jlp_doc *di, jlp_error *ei,
                      fz_sink *si, int tolerated) {
    jlp_error e1;
    fz_sink s1;
    jlp_doc *own = NULL;
    if (!ei) {
        own = di = load_budgeted(p, n, alc, &e1);
        ei = &e1;
        si = &s1;
        if (di) export(di, alc, si);
    }
    jlp__inflate_backend = JLP__INFLATE_ZLIB;
    jlp_error ez;
    jlp_doc *dz = load_budgeted(p, n, alc, &ez);
    jlp__inflate_backend = JLP__INFLATE_AUTO;
    if (!tolerated) {
        if ((di != NULL) != (dz != NULL)) {
            fprintf(stderr, "ISA-L load %s (%s), zlib load %s (%s)\n", di ? "succeeded" : "failed",
                    di ? "" : ei->msg, dz ? "succeeded" : "failed", dz ? "" : ez.msg);
            fz_die("the load with ISA-L and the load with zlib disagree", "pass E", di != NULL, dz != NULL);
        }
        if (di) {
            fz_sink sz;
            export(dz, alc, &sz);
            FZ_CHECK(fz_sink_same(si, &sz), "ISA-L and zlib loads give different documents", si->len, sz.len);
        } else if (ei->code != ez.code || ei->offset != ez.offset || ei->input_offset != ez.input_offset) {
            fprintf(stderr, "ISA-L load %s at %llu (input %llu): %s; zlib load %s at %llu (input %llu): %s\n",
                    jlp_error_name(ei->code), (unsigned long long)ei->offset, (unsigned long long)ei->input_offset,
                    ei->msg, jlp_error_name(ez.code), (unsigned long long)ez.offset,
                    (unsigned long long)ez.input_offset, ez.msg);
            fz_die("ISA-L and zlib loads fail differently", "pass E", ei->code, ez.code);
        }
    }
    jlp_doc_free(dz);
    jlp_doc_free(own);
}

/* Pass E on codec c (zlib, gzip or zf): one-shot and chunked decoding and the load with
 * each back end; then, when zlib decodes the whole stream, the same at three cuts of it
 * (a truncated sound stream must fail alike: TRUNCATED at the same offsets). */
static void pass_e(const jlp_codec *c, const uint8_t *p, size_t n, const jlp_alc *alc, uint64_t h,
                   jlp_doc *d, jlp_error *err, fz_sink *sd) {
    result ai = pass_a(c, p, n, alc, out_i);
    result bi = pass_b(c, p, n, alc, h, &ai, out_i);
    jlp__inflate_backend = JLP__INFLATE_ZLIB;
    result az = pass_a(c, p, n, alc, out_z);
    result bz = pass_b(c, p, n, alc, h, &az, out_z);
    jlp__inflate_backend = JLP__INFLATE_AUTO;
    same_result("one-shot", &ai, &az);
    same_result("chunked", &bi, &bz);
    same_bytes(&ai, &az);
    if (d || err) same_load(p, n, alc, d, err, sd, isal_may_differ(&ai, &az));
    if (az.how != END_DONE || az.consumed < 2) return;
    size_t whole = az.consumed;
    for (int k = 0; k < 3; k++) {
        size_t cut = 1 + (size_t)((h >> (8 * k)) % (whole - 1));
        ai = pass_a(c, p, cut, alc, out_i);
        jlp__inflate_backend = JLP__INFLATE_ZLIB;
        az = pass_a(c, p, cut, alc, out_z);
        jlp__inflate_backend = JLP__INFLATE_AUTO;
        same_result("one-shot, cut", &ai, &az);
        same_bytes(&ai, &az);
        same_load(p, cut, alc, NULL, NULL, NULL, 0);
    }
}

static void compare(const jlp_codec *c, const result *a, const result *b) {
    if (a->how == END_CAPPED || b->how == END_CAPPED) return;
    if (a->how != b->how || (a->how == END_ERROR && a->code != b->code)) {
        fprintf(stderr, "%s: one-shot %s (%s) after %zu in / %zu out; chunked %s (%s) after %zu in / %zu out\n",
                c->name, ending_name(a->how), jlp_error_name(a->code), a->consumed, a->produced,
                ending_name(b->how), jlp_error_name(b->code), b->consumed, b->produced);
        fz_die("one-shot and chunked decoding end differently", c->name, a->how, b->how);
    }
    if (a->how != END_ERROR) FZ_EQ("one-shot and chunked decoding produce different lengths", a->produced, b->produced);
    if (a->how == END_DONE) FZ_EQ("one-shot and chunked decoding end at different input bytes", a->consumed, b->consumed);
}

/* Pass C: allocation failures. */
static void pass_c(const jlp_codec *c, const uint8_t *p, size_t n, unsigned fail_at) {
    fz_heap heap = {0, 0, 0, fail_at, 0};
    jlp_alc alc = fz_alc(&heap);
    jlp_error err;
    memset(&err, 0, sizeof err);
    void *st = c->dec_new(c, &alc, &err);
    if (!st) {
        FZ_CHECK(err.code == JLP_E_NOMEM, "dec_new failed with another error than NOMEM", err.code, fail_at);
        fz_heap_check_empty(&heap, "dec_new failure");
        return;
    }
    jlp_inbuf in = {p, n, 0};
    static uint8_t sink[4096];
    for (int calls = 0; calls < 4096; calls++) {
        jlp_outbuf out = {sink, sizeof sink, 0};
        size_t ip = in.pos;
        jlp_codec_status s = run_checked(c, st, &in, &out, &err);
        if (s != JLP_CODEC_MORE || (in.pos == ip && out.pos == 0)) break;
    }
    c->dec_free(c, st);
    fz_heap_check_empty(&heap, "decoder with failing allocations");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *name = codec_names[data[0] % 8];
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    uint64_t h = fz_fnv1a(data, size);
    const jlp_codec *c = jlp_registry_find(NULL, name);
    FZ_CHECK(c != NULL, "built-in codec missing from the registry", 0, 0);

    fz_heap heap = {0, 0, 0, 0, 0};
    jlp_alc alc = fz_alc(&heap);
    result a = {END_EXHAUSTED, JLP_OK, 0, 0};
    if (c->dec_new) {
        a = pass_a(c, p, n, &alc, out_a);
        fz_heap_check_empty(&heap, "pass A");
        result b = pass_b(c, p, n, &alc, h, &a, out_a);
        fz_heap_check_empty(&heap, "pass B");
        compare(c, &a, &b);
        if (((h >> 20) & 3) == 0) pass_c(c, p, n, 1 + (unsigned)((h >> 22) % 12));
    }

    /* D: the library's own driver, on whatever detection makes of the bytes */
    jlp_error err;
    jlp_doc *d = load_budgeted(p, n, &alc, &err);
    fz_sink sd;
    if (d) {
        export(d, &alc, &sd);
        FZ_CHECK(jlp_doc_alloc_bytes(d) <= FZ_MAX_ALLOC, "document exceeds max_alloc", jlp_doc_alloc_bytes(d), 0);
    } else {
        FZ_CHECK(err.code > JLP_OK && err.code < JLP_E__COUNT, "error code out of range", err.code, 0);
    }
    /* E: the two inflate back ends, on the stream as the load detects it */
    const char *container = d ? jlp_doc_container(d) : NULL;
    if (!container) {   /* a failed load does not say: ask detection */
        const jlp_codec *dc = jlp_registry_detect(NULL, p, n, NULL);
        container = dc ? dc->name : NULL;
    }
    if (inflate_pair(container)) pass_e(jlp_registry_find(NULL, container), p, n, &alc, h, d, &err, &sd);
    if (inflate_pair(name) && (!container || strcmp(name, container)))
        pass_e(c, p, n, &alc, h, NULL, NULL, NULL);

    /* The driver against pass A: a complete single stream of this codec must load as
     * its decoded bytes do. */
    int is_pickle = 0;
    if (c->dec_new && a.how == END_DONE && a.consumed == n && a.produced > 0 &&
        jlp_registry_detect(NULL, p, n, NULL) == c &&
        jlp_registry_detect(NULL, out_a, a.produced, &is_pickle) == NULL && is_pickle) {
        uint8_t *raw = malloc(a.produced);
        if (!raw) abort();
        memcpy(raw, out_a, a.produced);
        jlp_error er;
        jlp_doc *dr = load_budgeted(raw, a.produced, &alc, &er);
        /* a raw pickle may be followed by other bytes; a compressed one may not (TRAILING) */
        int trailing_ok = !d && dr && err.code == JLP_E_TRAILING && jlp_doc_consumed(dr) < a.produced;
        if ((d != NULL) != (dr != NULL) && !trailing_ok) {
            fprintf(stderr, "%s: compressed load %s (%s at %llu: %s), raw load of the decoded %zu bytes %s (%s)\n",
                    name, d ? "succeeded" : "failed", d ? "" : jlp_error_name(err.code),
                    (unsigned long long)(d ? 0 : err.offset), d ? "" : err.msg, a.produced,
                    dr ? "succeeded" : "failed", dr ? "" : jlp_error_name(er.code));
            fz_die("the driver and a raw load of the decoded bytes disagree", name, d != NULL, dr != NULL);
        }
        if (d) {
            fz_sink sr;
            export(dr, &alc, &sr);
            FZ_CHECK(fz_sink_same(&sd, &sr), "the driver's document differs from the raw load's", sd.len, sr.len);
            FZ_EQ("consumed", jlp_doc_consumed(d), jlp_doc_consumed(dr));
        } else if (!dr) {
            if (err.code != er.code || err.offset != er.offset)
                fprintf(stderr, "%s: compressed load %s at %llu: %s; raw load %s at %llu: %s\n", name,
                        jlp_error_name(err.code), (unsigned long long)err.offset, err.msg, jlp_error_name(er.code),
                        (unsigned long long)er.offset, er.msg);
            FZ_EQ("error code of the compressed and the raw load", err.code, er.code);
            FZ_EQ("error offset of the compressed and the raw load", err.offset, er.offset);
        }
        jlp_doc_free(dr);
        free(raw);
    }
    jlp_doc_free(d);
    fz_heap_check_empty(&heap, "loads");
    return 0;
}
