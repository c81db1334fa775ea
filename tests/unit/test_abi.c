/*
 * test_abi.c - the growable public structs (jlpickle.h, "ABI"): a program built against
 * an older header (a struct that is a prefix of today's, with its smaller size) gets the
 * library's defaults for the fields it does not have; one built against a newer header
 * (a larger struct) is accepted when the unknown fields are zero and refused with
 * UNSUPPORTED otherwise; an unset size is INVALID_ARG; out-structs are written only up
 * to their size; trace events carry the library's size; the _init functions equal the
 * _INIT macros.
 */
#include "harness.h"

#include <stddef.h>

/* A py2 BINSTRING of one non-ASCII byte: bytes under AUTO, BAD_VALUE under ASCII. */
static const char PY2_LATIN[] = "\x80\x02U\x01\xe9.";
#define PY2_LATIN_LEN (sizeof PY2_LATIN - 1)

/* Five opcodes: LIMIT under max_ops 2. */
static const char FIVE_OPS[] = "\x80\x04NN\x86.";
#define FIVE_OPS_LEN (sizeof FIVE_OPS - 1)

TEST(read_opts_from_an_older_header_get_defaults_past_their_size) {
    /* An older program's struct ends before py2str: whatever lies beyond its size is
     * not read, so ASCII (set only in the bytes past the size) does not apply. */
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.py2str = JLP_PY2STR_ASCII;
    jlp_error err;
    jlp_doc *d = jlp_load_mem(PY2_LATIN, PY2_LATIN_LEN, &o, NULL, &err);
    CHECK(d == NULL);
    CHECK_ERR(err, JLP_E_BAD_VALUE, 2);
    o.size = offsetof(jlp_read_opts, py2str);
    d = jlp_load_mem(PY2_LATIN, PY2_LATIN_LEN, &o, NULL, &err);
    CHECK(d != NULL);
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_BYTES);
    jlp_doc_free(d);
    /* the fields inside the size are read: limits */
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_ops = 2;
    o.limits = &lim;
    CHECK(jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, &o, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_LIMIT, 3);
    /* a struct of only its size: every default */
    o.size = sizeof(size_t);
    d = jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, &o, NULL, &err);
    CHECK(d != NULL && err.code == JLP_OK);
    jlp_doc_free(d);
}

TEST(limits_from_an_older_header_get_defaults_past_their_size) {
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_ops = 2;
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.limits = &lim;
    lim.size = offsetof(jlp_limits, max_ops); /* max_ops lies past the size: ignored */
    jlp_error err;
    jlp_doc *d = jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, &o, NULL, &err);
    CHECK(d != NULL);
    jlp_doc_free(d);
    lim.size = offsetof(jlp_limits, max_ops) + sizeof lim.max_ops;
    CHECK(jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, &o, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_LIMIT, 3);
}

/* A struct from a newer header: today's fields, then one this library does not know. */
typedef struct newer_read_opts {
    jlp_read_opts known;
    uint64_t future_option;
} newer_read_opts;

TEST(read_opts_from_a_newer_header_need_unknown_fields_zero) {
    newer_read_opts n;
    memset(&n, 0, sizeof n);
    jlp_read_opts_init(&n.known);
    n.known.size = sizeof n;
    jlp_error err;
    jlp_doc *d = jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, &n.known, NULL, &err);
    CHECK(d != NULL);
    jlp_doc_free(d);
    n.future_option = 1;
    CHECK(jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, &n.known, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_UNSUPPORTED, 0);
    char want[96];
    snprintf(want, sizeof want, "jlp_read_opts sets a field at byte %zu that libjlpickle %s does not know",
             sizeof(jlp_read_opts), JLP_VERSION_STRING);
    CHECK_STR(err.msg, want);
    /* every loader checks the options first */
    CHECK(jlp_load_path("/nonexistent/file.pkl", &n.known, &err) == NULL);
    CHECK_INT(err.code, JLP_E_UNSUPPORTED);
    jlp_source *src = jlp_source_mem(FIVE_OPS, FIVE_OPS_LEN, NULL, &err);
    CHECK(jlp_load(src, &n.known, &err) == NULL);
    CHECK_INT(err.code, JLP_E_UNSUPPORTED);
    jlp_source_free(src);
}

TEST(unset_sizes_are_invalid_arguments) {
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    jlp_error err;
    static const size_t bad[] = {0, 1, sizeof(size_t) - 1, 4097, (size_t)-1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.size = bad[i];
        CHECK(jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, &o, NULL, &err) == NULL);
        CHECK_ERR(err, JLP_E_INVALID_ARG, 0);
    }
    o.size = 0;
    CHECK(jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, &o, NULL, &err) == NULL);
    CHECK(strstr(err.msg, "jlp_read_opts.size is 0") != NULL);
    /* the nested limits are checked too, and named */
    jlp_limits lim;
    memset(&lim, 0, sizeof lim);
    jlp_read_opts_init(&o);
    o.limits = &lim;
    CHECK(jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, &o, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_INVALID_ARG, 0);
    CHECK(strstr(err.msg, "jlp_limits.size is 0") != NULL);
    /* write and JSON options the same */
    jlp_doc *d = jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, NULL, NULL, &err);
    jlp_write_opts w;
    memset(&w, 0, sizeof w);
    void *out = NULL;
    size_t len = 0;
    CHECK_INT(jlp_dump_mem(jlp_doc_root(d), &w, &out, &len, &err), JLP_E_INVALID_ARG);
    CHECK(out == NULL);
    jlp_json_opts j;
    memset(&j, 0, sizeof j);
    CHECK(jlp_export_json_str(jlp_doc_root(d), &j, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_INVALID_ARG);
    jlp_doc_free(d);
}

TEST(write_and_json_opts_past_their_size_are_defaults) {
    jlp_error err;
    jlp_doc *d = jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, NULL, NULL, &err);
    jlp_val *root = jlp_doc_root(d);
    /* an older writer struct without `codec`: gzip set past the size is not applied */
    jlp_write_opts w = JLP_WRITE_OPTS_INIT;
    w.codec = "gzip";
    w.size = offsetof(jlp_write_opts, codec);
    void *out = NULL;
    size_t len = 0;
    CHECK_INT(jlp_dump_mem(root, &w, &out, &len, &err), JLP_OK);
    CHECK(len > 3 && !memcmp(out, "\x80\x04\x95", 3)); /* a plain pickle */
    free(out);
    w.size = sizeof w;
    CHECK_INT(jlp_dump_mem(root, &w, &out, &len, &err), JLP_OK);
    CHECK(len > 2 && !memcmp(out, "\x1f\x8b", 2)); /* gzip */
    free(out);
    /* a newer one with an unknown field set */
    struct { jlp_write_opts known; uint64_t future; } nw;
    memset(&nw, 0, sizeof nw);
    jlp_write_opts_init(&nw.known);
    nw.known.size = sizeof nw;
    nw.future = 7;
    CHECK_INT(jlp_dump_mem(root, &nw.known, &out, &len, &err), JLP_E_UNSUPPORTED);
    CHECK(strstr(err.msg, "jlp_write_opts") != NULL);
    /* JSON: max_items past the size keeps its default of 1000 */
    jlp_json_opts j = JLP_JSON_OPTS_INIT;
    CHECK_INT(j.max_items, 1000);
    j.max_items = 1;
    j.size = offsetof(jlp_json_opts, max_items);
    char *s = jlp_export_json_str(root, &j, NULL, &err);
    CHECK_STR(s, "{\"$tuple\":[null,null]}\n");
    free(s);
    jlp_doc_free(d);
}

TEST(array_info_is_written_up_to_its_size) {
    /* numpy.arange(3, dtype='<i4') through numpy's reduce, protocol 2 */
    jlp_doc *doc = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *dt = jlp_new_dtype(doc, "<i4", &err);
    uint64_t shape = 3;
    int32_t data[3] = {0, 1, 2};
    jlp_val *arr = jlp_new_array(doc, dt, 1, &shape, 'C', data, sizeof data, JLP_BORROW, &err);
    /* an older struct that ends before nbytes: nbytes is left alone */
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    a.nbytes = 12345;
    a.size = offsetof(jlp_array_info, nbytes);
    CHECK_INT(jlp_array_get(arr, &a), 1);
    CHECK_INT(a.size, offsetof(jlp_array_info, nbytes));
    CHECK(a.dtype == dt);
    CHECK_INT(a.count, 3);
    CHECK(a.data == data);
    CHECK_INT(a.nbytes, 12345);
    /* the whole struct */
    jlp_array_info b = JLP_ARRAY_INFO_INIT;
    CHECK_INT(jlp_array_get(arr, &b), 1);
    CHECK_INT(b.size, sizeof b);
    CHECK_INT(b.nbytes, 12);
    CHECK_INT(b.storage, JLP_STORE_BORROWED);
    /* not an array: fields after size zeroed, size kept */
    CHECK_INT(jlp_array_get(dt, &b), 0);
    CHECK_INT(b.size, sizeof b);
    CHECK(b.dtype == NULL && b.count == 0 && b.nbytes == 0);
    /* size unset: nothing written */
    jlp_array_info c;
    memset(&c, 0xAB, sizeof c);
    c.size = 0;
    CHECK_INT(jlp_array_get(arr, &c), 0);
    CHECK_INT(c.count, 0xABABABABABABABABull);
    CHECK_INT(jlp_array_get(arr, NULL), 0);
    jlp_doc_free(doc);
}

static int count_events(void *ctx, const jlp_event *ev) {
    size_t *n = ctx;
    if (ev->size != sizeof(jlp_event) || !JLP_HAS_FIELD(ev, jlp_event, arg_len)) return 1;
    (*n)++;
    return 0;
}

TEST(trace_events_carry_the_library_size) {
    size_t n = 0;
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.trace = count_events;
    o.trace_ctx = &n;
    jlp_error err;
    jlp_doc *d = jlp_load_mem(FIVE_OPS, FIVE_OPS_LEN, &o, NULL, &err);
    CHECK(d != NULL);
    CHECK_INT(n, 5);
    jlp_doc_free(d);
}

TEST(init_functions_equal_init_macros) {
    jlp_limits l1 = JLP_LIMITS_INIT, l2;
    memset(&l2, 0xEE, sizeof l2);
    jlp_limits_init(&l2);
    CHECK(!memcmp(&l1, &l2, sizeof l1));
    CHECK_INT(l2.size, sizeof(jlp_limits));
    CHECK_INT(l2.max_bigint_digits, 4300);
    jlp_read_opts r1 = JLP_READ_OPTS_INIT, r2;
    jlp_read_opts_init(&r2);
    CHECK_INT(r2.size, sizeof(jlp_read_opts));
    CHECK(r2.limits == NULL && r1.limits == NULL && r2.py2str == r1.py2str && r2.align == r1.align);
    jlp_write_opts w1 = JLP_WRITE_OPTS_INIT, w2;
    jlp_write_opts_init(&w2);
    CHECK(w2.size == w1.size && w2.protocol == 4 && w2.level == -1 && w2.codec == NULL);
    jlp_json_opts j1 = JLP_JSON_OPTS_INIT, j2;
    jlp_json_opts_init(&j2);
    CHECK(j2.size == j1.size && j2.max_items == 1000 && j2.alc == NULL);
    jlp_limits_init(NULL);
    jlp_read_opts_init(NULL);
    jlp_write_opts_init(NULL);
    jlp_json_opts_init(NULL);
}
