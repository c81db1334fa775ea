/*
 * fuzz_json.c - libFuzzer target: the JSON export (jlp_export_json, spec/JSON.md) of
 * whatever loads from the input, checked by a streaming validator (fuzz/json_check.h).
 *
 * The input is loaded like any file (any container, tight budgets), pickle after pickle
 * while bytes remain (at most 4). Each document's root is exported with max_items 0,
 * 1, 3, 1000 and UINT64_MAX, each through a callback writer that feeds the validator in
 * the pieces the exporter writes. Then:
 *
 *   - every export is valid, canonical, compact JSON in strict UTF-8 with one final
 *     newline, whose tags, $ref pointers and arrays follow the spec (json_check.h);
 *   - max_items 0 and UINT64_MAX print the same text (both print every element), and a
 *     document without arrays prints the same text whatever max_items is;
 *   - jlp_export_json_str gives the same text as the callback (NUL-terminated, no NUL
 *     inside);
 *   - a writer failing at a byte chosen from the input makes the export return
 *     JLP_E_IO (and nothing leaks);
 *   - the first children of the root (items, dict values, an object's args and state)
 *     export as valid JSON on their own, with pointers relative to themselves;
 *   - every allocation through the jlp_alc hooks is returned with its size.
 *
 * Output is amplifiable by design (a shared string prints wherever it occurs), so the
 * writer stops an export at 32 MiB (the export then ends with JLP_E_IO, which is
 * checked) and the remaining exports of that document are skipped.
 */
#define FZ_TARGET "fuzz_json"
#include "fuzz_common.h"
#include "json_check.h"

#define OUT_CAP ((uint64_t)32 << 20)

typedef struct jsink {
    jc_state jc;
    fz_sink hash;
    int saw_ndarray;
    uint64_t fail_at;   /* nonzero: fail the write that reaches this many bytes */
    int failed;
} jsink;

static int jsink_write(void *ctx, const void *data, size_t len) {
    jsink *s = ctx;
    if (s->failed) fz_die("the exporter wrote again after its writer failed", "write", s->hash.len, len);
    if (s->fail_at && s->hash.len + len >= s->fail_at) {
        s->failed = 1;
        return -1;
    }
    if (s->hash.len + len > OUT_CAP) {
        s->failed = 1;
        return -1;
    }
    jc_feed(&s->jc, data, len);
    fz_sink_write(&s->hash, data, len);
    if (!s->saw_ndarray && len >= 11) {
        /* `{"$ndarray":` cannot occur inside a JSON string (its quote would be escaped) */
        const char *p = data;
        for (size_t i = 0; i + 12 <= len && !s->saw_ndarray; i++)
            if (p[i] == '{' && !memcmp(p + i, "{\"$ndarray\":", 12)) s->saw_ndarray = 1;
    }
    if (s->jc.err) {
        fprintf(stderr, "fuzz_json: invalid export at byte %llu: %s\n", (unsigned long long)s->jc.err_at, s->jc.err);
        size_t from = s->jc.err_at > s->hash.len - len + 40 ? (size_t)(s->jc.err_at - (s->hash.len - len)) - 40 : 0;
        fprintf(stderr, "near: %.*s\n", (int)(len - from < 120 ? len - from : 120), (const char *)data + from);
        fz_die("the JSON export is not valid", s->jc.err, s->jc.err_at, 0);
    }
    return 0;
}

/* Export v with max_items; @return 1 when complete (0 when the output cap stopped it, or
 * a U item above U+10FFFF made it UNSUPPORTED). */
static int export_checked(const jlp_val *v, uint64_t max_items, const jlp_alc *alc, jsink *s) {
    memset(s, 0, sizeof *s);
    jc_init(&s->jc, max_items);
    fz_sink_init(&s->hash);
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = max_items;
    jo.alc = alc;
    jlp_error err;
    jlp_code c = jlp_export_json(v, &jo, jsink_write, s, &err);
    if (s->failed) {
        FZ_EQ("a failing writer must make the export fail with IO", c, JLP_E_IO);
        jc_free(&s->jc);
        return 0;
    }
    if (c == JLP_E_UNSUPPORTED) { /* a U item above U+10FFFF: JSON cannot carry it */
        jc_free(&s->jc);
        return 0;
    }
    if (c != JLP_OK) fz_die_err("jlp_export_json", &err);
    jc_finish(&s->jc);
    if (s->jc.err) fz_die("the JSON export is not valid", s->jc.err, s->jc.err_at, s->hash.len);
    jc_free(&s->jc);
    return 1;
}

static void check_doc(const jlp_doc *d, const jlp_alc *alc, uint64_t h) {
    const jlp_val *root = jlp_doc_root(d);
    static const uint64_t mis[5] = {1000, 0, UINT64_MAX, 1, 3};
    fz_sink outs[5];
    int arrays = 0;
    for (int k = 0; k < 5; k++) {
        jsink s;
        if (!export_checked(root, mis[k], alc, &s)) return; /* amplified past the cap */
        outs[k] = s.hash;
        arrays |= s.saw_ndarray;
    }
    FZ_CHECK(fz_sink_same(&outs[1], &outs[2]), "max_items 0 and UINT64_MAX print differently", outs[1].len, outs[2].len);
    if (!arrays)
        for (int k = 1; k < 5; k++)
            FZ_CHECK(fz_sink_same(&outs[0], &outs[k]), "max_items changes the export of a document without arrays",
                     outs[0].len, outs[k].len);

    /* the string form */
    if (outs[0].len <= ((uint64_t)1 << 20)) {
        jlp_json_opts jo = JLP_JSON_OPTS_INIT;
        jo.alc = alc;
        size_t len = 0;
        jlp_error err;
        char *str = jlp_export_json_str(root, &jo, &len, &err);
        if (!str) fz_die_err("jlp_export_json_str", &err);
        fz_sink hs;
        fz_sink_init(&hs);
        fz_sink_write(&hs, str, len);
        FZ_CHECK(fz_sink_same(&hs, &outs[0]), "jlp_export_json_str differs from jlp_export_json", hs.len, outs[0].len);
        FZ_EQ("the string is NUL-terminated at its length, without NUL inside", strlen(str), len);
        free(str);
    }

    /* a writer that fails part-way */
    if (outs[0].len > 1) {
        jsink s;
        memset(&s, 0, sizeof s);
        jc_init(&s.jc, 1000);
        fz_sink_init(&s.hash);
        s.fail_at = 1 + h % outs[0].len;
        jlp_json_opts jo = JLP_JSON_OPTS_INIT;
        jo.alc = alc;
        jlp_error err;
        jlp_code c = jlp_export_json(root, &jo, jsink_write, &s, &err);
        FZ_EQ("a writer failing part-way must make the export fail with IO", c, JLP_E_IO);
        FZ_EQ("the error code is filled", err.code, JLP_E_IO);
        jc_free(&s.jc);
    }

    /* children on their own */
    const jlp_val *kids[8];
    size_t nk = 0;
    jlp_type t = jlp_get_type(root);
    if (t == JLP_DICT) {
        for (size_t i = 0; i < jlp_len(root) && nk < 4; i++) kids[nk++] = jlp_dict_value(root, i);
    } else if (t == JLP_OBJECT) {
        kids[nk++] = jlp_obj_args(root);
        if (jlp_obj_state(root)) kids[nk++] = jlp_obj_state(root);
        if (jlp_obj_callable(root)) kids[nk++] = jlp_obj_callable(root);
    } else if (t == JLP_NDARRAY) {
        for (uint64_t i = 0; i < 4 && jlp_array_object(root, i); i++) kids[nk++] = jlp_array_object(root, i);
    } else {
        for (size_t i = 0; i < jlp_len(root) && nk < 4; i++) kids[nk++] = jlp_item(root, i);
    }
    for (size_t i = 0; i < nk; i++) {
        jsink s;
        FZ_CHECK(kids[i] != NULL, "a child accessor returned NULL within range", i, 0);
        export_checked(kids[i], (h >> 8) & 1 ? 0 : 2, alc, &s);
    }
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
    o.py2str = (jlp_py2str)((h >> 40) & 3);
    jlp_error err;
    jlp_source *src = jlp_source_mem(data, size, &alc, &err);
    if (!src) fz_die_err("jlp_source_mem", &err);
    for (int n = 0; n < 4 && jlp_source_at_eof(src, NULL) == 0; n++) {
        jlp_doc *d = jlp_load(src, &o, &err);
        if (!d) break;
        check_doc(d, &alc, h);
        jlp_doc_free(d);
    }
    jlp_source_free(src);
    fz_heap_check_empty(&heap, "loads and exports");
    return 0;
}
