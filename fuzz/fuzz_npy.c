/*
 * fuzz_npy.c - libFuzzer target: .npy files (jlp_load_npy_*, jlp_dump_npy_*).
 *
 * Input: the bytes of a .npy file (the hash of the input picks the chunk size of the
 * stream load and whether object arrays are allowed).
 *
 * Loads, each with the fuzz budgets and the JSON export (max_items 0) hashed:
 *   M  jlp_load_npy_mem            S  jlp_load_npy on a read callback in small chunks
 *
 * Properties (abort on failure):
 *   - M and S agree: success, error code and offset, bytes consumed, JSON; except that a
 *     budget (LIMIT) may tell them apart, since a stream copies what memory lends;
 *   - an error offset lies within the input; the pickle loaders refuse the input with
 *     UNKNOWN_FORMAT at 0 whenever it starts with the .npy magic;
 *   - a loaded array written back with jlp_dump_npy_mem loads again to the same JSON,
 *     and writing that load gives the same bytes (numpy.save's layout is a fixed point);
 *     a non-object array's data is the last nbytes of what was written. An object
 *     array's pickle (protocol 3, as numpy.save writes it) may change on its first trip:
 *     a global with a dotted name is written as a getattr call, as Python's pickler does
 *     below protocol 4, and loads back as that call. So for object arrays the JSON and
 *     the bytes are compared from the second trip on;
 *   - every allocation is returned.
 * An export that refuses a U item above U+10FFFF (UNSUPPORTED, spec/JSON.md) counts as
 * that outcome in the comparisons.
 */
#define FZ_TARGET "fuzz_npy"
#include "fuzz_common.h"

#include <stdbool.h>

typedef struct chunker {
    const uint8_t *p;
    size_t left, step;
} chunker;

static long long chunk_read(void *ctx, void *buf, size_t cap) {
    chunker *c = ctx;
    size_t k = c->left < c->step ? c->left : c->step;
    if (k > cap) k = cap;
    memcpy(buf, c->p, k);
    c->p += k;
    c->left -= k;
    return (long long)k;
}

typedef struct outcome {
    jlp_code code;
    uint64_t offset, consumed;
    fz_sink json;
} outcome;

static void export_hash(jlp_doc *d, const jlp_alc *alc, fz_sink *s) {
    fz_sink_init(s);
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = 0;
    jo.alc = alc;
    jlp_error err;
    jlp_code c = jlp_export_json(jlp_doc_root(d), &jo, fz_sink_write, s, &err);
    /* a U item above U+10FFFF has no JSON (spec/JSON.md): the outcome is that refusal */
    if (c == JLP_E_UNSUPPORTED) {
        fz_sink_init(s);
        fz_sink_write(s, "UNSUPPORTED", 11);
    } else if (c != JLP_OK) {
        fz_die_err("export of a loaded .npy", &err);
    }
}

static outcome run(jlp_doc *d, const jlp_error *err, const jlp_alc *alc) {
    outcome o;
    memset(&o, 0, sizeof o);
    fz_sink_init(&o.json);
    o.code = d ? JLP_OK : err->code;
    o.offset = d ? 0 : err->offset;
    if (d) {
        o.consumed = jlp_doc_consumed(d);
        export_hash(d, alc, &o.json);
    }
    return o;
}

/* Write the array of `d` and load it back: the same JSON. @return the reload (NULL when
 * the array cannot be written or the reload meets a budget), *out the bytes written. */
static jlp_doc *trip(jlp_doc *d, const jlp_read_opts *ro, const jlp_alc *alc, bool same_json, void **out,
                     size_t *n) {
    jlp_val *root = jlp_doc_root(d);
    jlp_error err;
    *out = NULL;
    *n = 0;
    jlp_code c = jlp_dump_npy_mem(root, out, n, &err);
    if (c == JLP_E_UNSUPPORTED) return NULL; /* fields numpy cannot describe either */
    if (c != JLP_OK) fz_die_err("jlp_dump_npy_mem of a loaded array", &err);
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    FZ_CHECK(jlp_array_get(root, &a), "the root of a .npy document is an array", 0, 0);
    if (a.data)
        FZ_CHECK(*n >= a.nbytes && !memcmp((const uint8_t *)*out + *n - a.nbytes, a.data, (size_t)a.nbytes),
                 "the written data is the array's", *n, a.nbytes);
    jlp_doc *back = jlp_load_npy_mem(*out, *n, ro, &err);
    if (!back) {
        if (err.code == JLP_E_LIMIT) return NULL;
        fz_die_err("a written .npy does not load", &err);
    }
    if (same_json) {
        fz_sink j1, j2;
        export_hash(d, alc, &j1);
        export_hash(back, alc, &j2);
        FZ_CHECK(fz_sink_same(&j1, &j2), "a written .npy loads to another JSON", j1.len, j2.len);
    }
    FZ_EQ("a written .npy is consumed whole", jlp_doc_consumed(back), *n);
    return back;
}

static void round_trip(jlp_doc *d, const jlp_read_opts *ro, const jlp_alc *alc) {
    void *out1, *out2 = NULL, *out3 = NULL;
    size_t n1, n2 = 0, n3 = 0;
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    jlp_array_get(jlp_doc_root(d), &a);
    bool objects = a.data == NULL && a.count;
    jlp_doc *b1 = trip(d, ro, alc, !objects, &out1, &n1);
    jlp_doc *b2 = b1 ? trip(b1, ro, alc, true, &out2, &n2) : NULL;
    if (b2 && !objects) FZ_CHECK(n1 == n2 && !memcmp(out1, out2, n1), "writing is not a fixed point", n1, n2);
    jlp_doc *b3 = b2 && objects ? trip(b2, ro, alc, true, &out3, &n3) : NULL;
    if (b3) FZ_CHECK(n2 == n3 && !memcmp(out2, out3, n2), "writing an object array is not a fixed point", n2, n3);
    jlp_doc_free(b1);
    jlp_doc_free(b2);
    jlp_doc_free(b3);
    free(out1);
    free(out2);
    free(out3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint64_t h = fz_fnv1a(data, size);
    fz_heap heap = {0, 0, 0, 0, 0};
    jlp_alc alc = fz_alc(&heap);
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    jlp_limits lim;
    fz_budget(&o, &lim);
    o.alc = &alc;
    o.flags = (h >> 7) & 1 ? JLP_READ_NPY_PICKLE : 0;
    jlp_error em, es;

    jlp_doc *dm = jlp_load_npy_mem(data, size, &o, &em);
    outcome m = run(dm, &em, &alc);
    chunker ch = {data, size, 1 + (size_t)((h >> 16) % 97)};
    jlp_source *src = jlp_source_cb(chunk_read, &ch, &alc, &es);
    if (!src) fz_die_err("jlp_source_cb", &es);
    jlp_doc *ds = jlp_load_npy(src, &o, &es);
    outcome s = run(ds, &es, &alc);
    jlp_source_free(src);

    if (m.code != JLP_E_LIMIT && s.code != JLP_E_LIMIT) {
        FZ_EQ("memory and stream loads differ in code", m.code, s.code);
        FZ_EQ("memory and stream loads differ in offset", m.offset, s.offset);
        FZ_EQ("memory and stream loads differ in bytes consumed", m.consumed, s.consumed);
        FZ_CHECK(fz_sink_same(&m.json, &s.json), "memory and stream loads differ in JSON", m.json.len, s.json.len);
    }
    if (!dm) FZ_CHECK(em.offset <= size, "error offset past the input", em.offset, size);
    if (dm) round_trip(dm, &o, &alc);
    jlp_doc_free(dm);
    jlp_doc_free(ds);

    if (jlp_is_npy(data, size)) {
        jlp_doc *p = jlp_load_mem(data, size, &o, NULL, &em);
        FZ_CHECK(p == NULL && em.code == JLP_E_UNKNOWN_FORMAT && em.offset == 0,
                 "a pickle loader took a .npy file", em.code, em.offset);
    }
    fz_heap_check_empty(&heap, "loads, exports and writes");
    return 0;
}
