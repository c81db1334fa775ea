/*
 * test_alloc_write.c - allocation failure in the writer and the JSON exporter. For a set
 * of documents (golden files loaded normally, and one made with the builder API), an
 * allocator that fails the n-th allocation (only it, or it and every later one) is given
 * in jlp_write_opts.alc to jlp_dump_mem / jlp_dump_cb, without a codec and with zlib,
 * zstd and xz, and in jlp_json_opts.alc to jlp_export_json / jlp_export_json_str, for
 * n = 1, 2, ... until the call succeeds. Every failure must be JLP_E_NOMEM, leave no
 * block of the allocator live (blocks and bytes are counted with the sizes the library
 * passes, and checked against the sizes allocated), and never crash; the final success
 * must give the reference output.
 *
 * Only what goes through the jlp_alc is failed: jlp_dump_mem's output buffer and
 * jlp_export_json_str's string use malloc (documented), and libzstd allocates with its
 * own malloc. JLP_QUICK=1 (set for the valgrind pass) uses fewer documents and fails
 * every third allocation only (n = 1, 4, 7, ...).
 */
#include "harness.h"
#include "util.h"
#include "jlpickle_codec.h"

#include <pthread.h>

#define LFAIL(line, ...)                                                             \
    do {                                                                             \
        fprintf(stderr, "  %s:%d: ", __FILE__, (line));                              \
        fprintf(stderr, __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                         \
        th_failed_now = 1;                                                           \
    } while (0)



/* =====================================================================================
 * The failing allocator: headered blocks, so the sizes given back to realloc and free
 * are checked against what was allocated. A mutex keeps the counts right should a codec
 * call it from its worker threads.
 * ===================================================================================== */

typedef struct fa {
    pthread_mutex_t mu;
    size_t calls;      /* malloc + realloc calls so far */
    size_t fail_at;    /* 1-based call to fail; 0 = never */
    int sticky;        /* fail every call from fail_at on */
    size_t live;       /* blocks not yet freed */
    size_t bytes;      /* bytes not yet freed (by the sizes allocated) */
    size_t freed_bytes_claimed, alloc_bytes; /* sums of sizes passed to free, allocated */
    size_t bad_size;   /* free/realloc with a size that is not the block's */
    size_t failed;     /* calls failed */
} fa;

#define FA_HDR 16u

static int fa_should_fail(fa *a) {
    a->calls++;
    if (!a->fail_at) return 0;
    if (a->calls == a->fail_at || (a->sticky && a->calls > a->fail_at)) {
        a->failed++;
        return 1;
    }
    return 0;
}

static void *fa_malloc_locked(fa *a, size_t n) {
    if (fa_should_fail(a)) return NULL;
    uint8_t *p = malloc(n + FA_HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    a->live++;
    a->bytes += n;
    a->alloc_bytes += n;
    return p + FA_HDR;
}

static void *fa_malloc(void *ctx, size_t n) {
    fa *a = ctx;
    pthread_mutex_lock(&a->mu);
    void *p = fa_malloc_locked(a, n);
    pthread_mutex_unlock(&a->mu);
    return p;
}

static void fa_free(void *ctx, void *ptr, size_t n) {
    fa *a = ctx;
    if (!ptr) return;
    pthread_mutex_lock(&a->mu);
    uint8_t *p = (uint8_t *)ptr - FA_HDR;
    size_t have;
    memcpy(&have, p, sizeof have);
    if (have != n) a->bad_size++;
    a->live--;
    a->bytes -= have;
    a->freed_bytes_claimed += n;
    free(p);
    pthread_mutex_unlock(&a->mu);
}

static void *fa_realloc(void *ctx, void *ptr, size_t old_n, size_t n) {
    fa *a = ctx;
    pthread_mutex_lock(&a->mu);
    void *r = NULL;
    if (!ptr) {
        r = fa_malloc_locked(a, n);
    } else if (!fa_should_fail(a)) {
        uint8_t *p = (uint8_t *)ptr - FA_HDR;
        size_t have;
        memcpy(&have, p, sizeof have);
        if (have != old_n) a->bad_size++;
        uint8_t *np = realloc(p, n + FA_HDR);
        if (np) {
            memcpy(np, &n, sizeof n);
            a->bytes = a->bytes - have + n;
            a->alloc_bytes = a->alloc_bytes - have + n;
            r = np + FA_HDR;
        }
    }
    pthread_mutex_unlock(&a->mu);
    return r;
}

static void fa_init(fa *a, size_t fail_at, int sticky) {
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->mu, NULL);
    a->fail_at = fail_at;
    a->sticky = sticky;
}

/* Nothing live, and the sizes given back add up to the sizes allocated. */
static int fa_clean(int line, const fa *a, const char *what, size_t k) {
    if (!a->live && !a->bytes && !a->bad_size && a->freed_bytes_claimed == a->alloc_bytes) return 1;
    LFAIL(line, "%s, allocation %zu failed: %zu blocks (%zu bytes) leaked, %zu frees with a wrong size", what, k,
          a->live, a->bytes, a->bad_size);
    return 0;
}

/* A growable buffer for the callbacks. */
typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
} membuf;

static int membuf_write(void *ctx, const void *data, size_t len) {
    membuf *b = ctx;
    if (b->n + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + len) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    return 0;
}

/* =====================================================================================
 * Documents
 * ===================================================================================== */

static const char *const GOLDEN[] = {
    "tests/joblib/golden/models_logreg_none_p4.pkl",
    "tests/joblib/golden/misc_objarray_nested_none_p4.pkl",
    "tests/joblib/golden/misc_dtypes_none_p4.pkl",
    "tests/pickle/golden/kitchen_sink.p4.pickle",
    "tests/pickle/golden/dict_1001.p5.pickle",
    "tests/pickle/golden/cycle_instance.p4.pickle",
};
#define NGOLDEN (sizeof GOLDEN / sizeof GOLDEN[0])
/* quick mode: the builder document and this one */
static int golden_in_quick(size_t i) { return i == 0; }

/* Every kind of value, sharing, a cycle, a dict of > 16 str keys, 300 nested lists (the
 * exporter's frame stack and the writer's task stack grow), a nested qualname (written
 * as getattr below protocol 4), a big int past 4300 digits. */
static jlp_doc *build_doc(void) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *root = jlp_new_dict(d);
    jlp_val *ints = jlp_new_list(d);
    for (int i = 0; i < 1200; i++) jlp_list_append(d, ints, jlp_new_int(d, (int64_t)i * 7919 - 100000));
    jlp_dict_set_str(d, root, "ints", ints);
    jlp_dict_set_str(d, root, "ints again", ints);
    jlp_val *self = jlp_new_list(d);
    jlp_list_append(d, self, self);
    jlp_list_append(d, self, jlp_new_strz(d, "h\xc3\xa9llo / ~ \"quoted\""));
    jlp_dict_set_str(d, root, "cycle", self);
    jlp_val *wide = jlp_new_dict(d);
    for (int i = 0; i < 40; i++) {
        char k[16];
        snprintf(k, sizeof k, "key_%d", i);
        jlp_dict_set_str(d, wide, k, jlp_new_float(d, i / 3.0));
    }
    jlp_dict_set_str(d, root, "wide", wide);
    jlp_val *deep = jlp_new_list(d), *cur = deep;
    for (int i = 0; i < 300; i++) {
        jlp_val *next = jlp_new_list(d);
        jlp_list_append(d, cur, next);
        cur = next;
    }
    jlp_list_append(d, cur, ints);
    jlp_dict_set_str(d, root, "deep", deep);
    static uint8_t big[2000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 37 + 1);
    big[sizeof big - 1] = 0x40;
    jlp_val *misc[9] = {jlp_new_none(d), jlp_new_bool(d, 1), jlp_new_float(d, 3.25), jlp_new_complex(d, -1, 0.5),
                        jlp_new_bigint(d, big, 20), jlp_new_bigint(d, big, sizeof big),
                        jlp_new_bytes(d, "\x00\x01\xff", 3), jlp_new_bytearray(d, "abc", 3),
                        jlp_new_frozenset(d, NULL, 0)};
    jlp_dict_set_str(d, root, "misc", jlp_new_tuple(d, misc, 9));
    jlp_val *set = jlp_new_set(d);
    for (int i = 0; i < 20; i++) jlp_list_append(d, set, jlp_new_int(d, i * i));
    jlp_dict_set_str(d, root, "set", set);
    jlp_val *f8 = jlp_new_dtype(d, "<f8", &err);
    static double v[2 * 50];
    for (int i = 0; i < 100; i++) v[i] = i / 8.0;
    uint64_t shape[2] = {2, 50};
    jlp_dict_set_str(d, root, "f8", jlp_new_array(d, f8, 2, shape, 'F', v, sizeof v, JLP_COPY, &err));
    jlp_val *u3 = jlp_new_dtype(d, "<U3", &err);
    static const uint32_t text[6] = {'a', 0xe9, 'c', 0x1F600, 0, 0};
    uint64_t two = 2;
    jlp_dict_set_str(d, root, "u3", jlp_new_array(d, u3, 1, &two, 'C', text, sizeof text, JLP_COPY, &err));
    jlp_val *st = jlp_new_dtype(d, "[('a', '>i4'), ('b', '<f8', (2,))]", &err);
    static uint8_t rec[3 * 20];
    for (size_t i = 0; i < sizeof rec; i++) rec[i] = (uint8_t)(i * 13);
    uint64_t three = 3;
    jlp_dict_set_str(d, root, "records", jlp_new_array(d, st, 1, &three, 'C', rec, sizeof rec, JLP_COPY, &err));
    jlp_val *objs[3] = {ints, jlp_new_strz(d, "x"), jlp_new_none(d)};
    jlp_dict_set_str(d, root, "objects", jlp_new_object_array(d, 1, &three, objs, &err));
    int32_t one = 7;
    jlp_dict_set_str(d, root, "scalar", jlp_new_scalar(d, jlp_new_dtype(d, "<i4", &err), &one, &err));
    jlp_val *cls = jlp_new_global(d, "sklearn.linear_model._base", "LinearRegression");
    jlp_val *state = jlp_new_dict(d);
    jlp_dict_set_str(d, state, "fit_intercept", jlp_new_bool(d, 1));
    jlp_dict_set_str(d, state, "coef_", jlp_dict_get(root, "f8"));
    jlp_dict_set_str(d, root, "model", jlp_new_object(d, cls, NULL, state));
    jlp_val *args[1] = {jlp_new_strz(d, "2024-01-01")};
    jlp_dict_set_str(d, root, "call",
                     jlp_new_call(d, jlp_new_global(d, "datetime", "date.fromisoformat"), jlp_new_tuple(d, args, 1)));
    jlp_doc_set_root(d, root);
    return d;
}

typedef struct docref {
    const char *name;
    jlp_doc *doc;
    char *data; /* the golden file's bytes (borrowed by the document) */
} docref;

static size_t load_docs(docref *out) {
    size_t n = 0;
    out[n].name = "builder document";
    out[n].doc = build_doc();
    out[n].data = NULL;
    n++;
    for (size_t i = 0; i < NGOLDEN; i++) {
        if (quick() && !golden_in_quick(i)) continue;
        size_t len;
        char *data = slurp(GOLDEN[i], &len);
        jlp_error err;
        jlp_doc *d = data ? jlp_load_mem(data, len, NULL, NULL, &err) : NULL;
        if (!d) {
            TH_FAIL("cannot load %s", GOLDEN[i]);
            free(data);
            continue;
        }
        out[n].name = GOLDEN[i];
        out[n].doc = d;
        out[n].data = data;
        n++;
    }
    return n;
}

static void free_docs(docref *docs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        jlp_doc_free(docs[i].doc);
        free(docs[i].data);
    }
}

static char *json_of(const jlp_val *v) {
    jlp_error err;
    return jlp_export_json_str(v, NULL, NULL, &err);
}

/* =====================================================================================
 * The writer
 * ===================================================================================== */

typedef struct wcfg {
    const char *codec;
    int level;
    int threads;
    int protocol;
    jlp_array_format arrays;
} wcfg;

static const wcfg WRITES[] = {
    {"none", -1, 0, 4, JLP_ARRAYS_JOBLIB},
    {"none", -1, 0, 2, JLP_ARRAYS_NUMPY},
    {"none", -1, 0, 0, JLP_ARRAYS_JOBLIB},
    {"none", -1, 0, 5, JLP_ARRAYS_NUMPY},
    {"zlib", -1, 0, 4, JLP_ARRAYS_JOBLIB},
    {"zstd", -1, 0, 4, JLP_ARRAYS_JOBLIB},
    {"xz", 0, 0, 4, JLP_ARRAYS_JOBLIB}, /* preset 0: liblzma's allocations are the same, 1/40 of
                                          * the memory to clear for every try */
    {"zlib", -1, 2, 4, JLP_ARRAYS_JOBLIB},
};
#define NWRITES (sizeof WRITES / sizeof WRITES[0])

/* Dump `root` with an allocator failing allocation n (only it, or from it on), for
 * n = 1, 2, ... until the dump succeeds; the success must load back as `want`. */
static void fail_every_write_allocation(int line, const docref *dr, const wcfg *c, int via_cb, int sticky,
                                        const char *want) {
    char what[300];
    snprintf(what, sizeof what, "%s, %s (level %d, %d threads) protocol %d %s arrays via %s, %s", dr->name, c->codec,
             c->level, c->threads, c->protocol, c->arrays == JLP_ARRAYS_NUMPY ? "numpy" : "joblib",
             via_cb ? "jlp_dump_cb" : "jlp_dump_mem", sticky ? "failing from n on" : "failing only n");
    int done = 0, bad = 0;
    size_t k, ok_at = 0, step = quick() ? 3 : 1;
    for (k = 1; k < 100000 && !done && bad < 3; k += step) {
        fa a;
        fa_init(&a, k, sticky);
        jlp_alc alc = {fa_malloc, fa_realloc, fa_free, &a};
        jlp_write_opts o = JLP_WRITE_OPTS_INIT;
        o.codec = c->codec;
        o.level = c->level;
        o.threads = c->threads;
        o.protocol = c->protocol;
        o.arrays = c->arrays;
        o.alc = &alc;
        jlp_error err;
        memset(&err, 0, sizeof err);
        membuf mb = {0};
        void *out = (void *)&mb; /* must become NULL on failure */
        size_t len = 12345;
        jlp_code code;
        if (via_cb) {
            code = jlp_dump_cb(jlp_doc_root(dr->doc), membuf_write, &mb, &o, &err);
            out = mb.p;
            len = mb.n;
        } else {
            code = jlp_dump_mem(jlp_doc_root(dr->doc), &o, &out, &len, &err);
        }
        if (code == JLP_OK) {
            done = 1;
            ok_at = k;
            /* a failed allocation the writer recovered from is allowed; the output must
             * still be right */
            jlp_doc *back = jlp_load_mem(out, len, NULL, NULL, &err);
            char *js = back ? json_of(jlp_doc_root(back)) : NULL;
            if (!js || strcmp(js, want)) {
                LFAIL(line, "%s: the dump that succeeded with allocation %zu failing does not load back as the reference", what, k);
                bad++;
            }
            free(js);
            jlp_doc_free(back);
        } else {
            if (code != JLP_E_NOMEM || err.code != JLP_E_NOMEM) {
                LFAIL(line, "%s, allocation %zu failed: returned %s, err %s (%s), expected NOMEM", what, k,
                      jlp_error_name(code), jlp_error_name(err.code), err.msg);
                bad++;
            }
            if (!a.failed) {
                LFAIL(line, "%s: failed at k=%zu (%s) without a failed allocation", what, k, err.msg);
                bad++;
            }
            if (!via_cb && (out != NULL || len != 0)) {
                LFAIL(line, "%s, allocation %zu failed: *out %p, *len %zu after a failure", what, k, out, len);
                bad++;
                if (out != (void *)&mb) free(out);
            }
            out = via_cb ? mb.p : NULL;
        }
        if (!fa_clean(line, &a, what, k)) bad++;
        free(out);
        pthread_mutex_destroy(&a.mu);
    }
    if (!done && !bad) LFAIL(line, "%s never succeeded", what);
    /* ok_at - 1 allocations were failed in turn before the call succeeded */
    if (done && ok_at < 4) LFAIL(line, "%s: only %zu allocations go through the allocator", what, ok_at - 1);
    if (getenv("JLP_VERBOSE")) fprintf(stderr, "  %s: %zu allocations\n", what, ok_at - 1);
}

static void write_suite(int line, int sticky) {
    docref docs[1 + NGOLDEN];
    size_t nd = load_docs(docs);
    for (size_t i = 0; i < nd; i++) {
        const jlp_val *root = jlp_doc_root(docs[i].doc);
        for (size_t c = 0; c < NWRITES; c++) {
            const wcfg *w = &WRITES[c];
            if (quick() && w->threads) continue;
            /* the reference: the same dump with malloc */
            jlp_write_opts o = JLP_WRITE_OPTS_INIT;
            o.codec = w->codec;
            o.level = w->level;
            o.threads = w->threads;
            o.protocol = w->protocol;
            o.arrays = w->arrays;
            void *out = NULL;
            size_t len = 0;
            jlp_error err;
            jlp_code code = jlp_dump_mem(root, &o, &out, &len, &err);
            if (code == JLP_E_UNSUPPORTED) continue; /* not expressible at this protocol */
            if (code != JLP_OK) {
                LFAIL(line, "%s: reference dump with %s failed: %s", docs[i].name, w->codec, err.msg);
                continue;
            }
            jlp_doc *back = jlp_load_mem(out, len, NULL, NULL, &err);
            char *want = back ? json_of(jlp_doc_root(back)) : NULL;
            jlp_doc_free(back);
            free(out);
            if (!want) {
                LFAIL(line, "%s: reference dump with %s does not load", docs[i].name, w->codec);
                continue;
            }
            /* both entry points for the uncompressed protocol 4 dump, one for the others */
            int both = c == 0;
            fail_every_write_allocation(line, &docs[i], w, (int)(c & 1), sticky, want);
            if (both) fail_every_write_allocation(line, &docs[i], w, 1, sticky, want);
            free(want);
        }
    }
    free_docs(docs, nd);
}

TEST(writer_allocation_failure_only_n) { write_suite(__LINE__, 0); }
TEST(writer_allocation_failure_from_n_on) { write_suite(__LINE__, 1); }

/* =====================================================================================
 * The JSON exporter
 * ===================================================================================== */

static void fail_every_export_allocation(int line, const docref *dr, uint64_t max_items, int via_str, int sticky) {
    char what[300];
    snprintf(what, sizeof what, "%s, JSON max_items %llu via %s, %s", dr->name, (unsigned long long)max_items,
             via_str ? "jlp_export_json_str" : "jlp_export_json", sticky ? "failing from n on" : "failing only n");
    const jlp_val *root = jlp_doc_root(dr->doc);
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = max_items;
    jlp_error err;
    size_t want_len = 0;
    char *want = jlp_export_json_str(root, &jo, &want_len, &err);
    if (!want) {
        LFAIL(line, "%s: reference export failed: %s", what, err.msg);
        return;
    }
    int done = 0, bad = 0;
    size_t k, ok_at = 0, step = quick() ? 3 : 1;
    for (k = 1; k < 100000 && !done && bad < 3; k += step) {
        fa a;
        fa_init(&a, k, sticky);
        jlp_alc alc = {fa_malloc, fa_realloc, fa_free, &a};
        jo.alc = &alc;
        memset(&err, 0, sizeof err);
        jlp_code code;
        char *got = NULL;
        size_t got_len = 0;
        membuf mb = {0};
        if (via_str) {
            got_len = 777;
            got = jlp_export_json_str(root, &jo, &got_len, &err);
            code = got ? JLP_OK : err.code;
            if (!got && got_len != 0) {
                LFAIL(line, "%s, allocation %zu failed: *len %zu after a failure", what, k, got_len);
                bad++;
            }
        } else {
            code = jlp_export_json(root, &jo, membuf_write, &mb, &err);
            got = (char *)mb.p;
            got_len = mb.n;
        }
        if (code == JLP_OK) {
            done = 1;
            ok_at = k;
            if (got_len != want_len || memcmp(got, want, want_len)) {
                LFAIL(line, "%s: the export that succeeded with allocation %zu failing differs from the reference", what, k);
                bad++;
            }
        } else {
            if (code != JLP_E_NOMEM || err.code != JLP_E_NOMEM) {
                LFAIL(line, "%s, allocation %zu failed: returned %s, err %s (%s), expected NOMEM", what, k,
                      jlp_error_name(code), jlp_error_name(err.code), err.msg);
                bad++;
            }
            if (!a.failed) {
                LFAIL(line, "%s: failed at k=%zu without a failed allocation", what, k);
                bad++;
            }
        }
        if (!fa_clean(line, &a, what, k)) bad++;
        free(got);
        pthread_mutex_destroy(&a.mu);
    }
    if (!done && !bad) LFAIL(line, "%s never succeeded", what);
    /* ok_at - 1 allocations were failed in turn before the call succeeded */
    if (done && ok_at < 4) LFAIL(line, "%s: only %zu allocations go through the allocator", what, ok_at - 1);
    if (getenv("JLP_VERBOSE")) fprintf(stderr, "  %s: %zu allocations\n", what, ok_at - 1);
    free(want);
}

static void export_suite(int line, int sticky) {
    docref docs[1 + NGOLDEN];
    size_t nd = load_docs(docs);
    static const uint64_t max_items[] = {1000, 3, 0};
    for (size_t i = 0; i < nd; i++) {
        for (size_t m = 0; m < sizeof max_items / sizeof max_items[0]; m++) {
            if (quick() && m == 2) continue;
            fail_every_export_allocation(line, &docs[i], max_items[m], (int)(m & 1), sticky);
            if (m == 0) fail_every_export_allocation(line, &docs[i], max_items[m], 1, sticky);
        }
    }
    free_docs(docs, nd);
}

TEST(json_export_allocation_failure_only_n) { export_suite(__LINE__, 0); }
TEST(json_export_allocation_failure_from_n_on) { export_suite(__LINE__, 1); }

/* A write callback that fails, with allocations failing too: whichever comes first is
 * reported, and nothing leaks. */
static int failing_write(void *ctx, const void *p, size_t n) {
    (void)p;
    size_t *left = ctx;
    if (n > *left) return -1;
    *left -= n;
    return 0;
}

TEST(write_and_allocation_failures_together) {
    docref docs[1 + NGOLDEN];
    size_t nd = load_docs(docs);
    static const size_t cuts[] = {0, 9, 5000, 40000, 1000000};
    for (size_t i = 0; i < nd && i < 2; i++) {
        for (size_t k = 1; k < 64; k += quick() ? 9 : 3) {
            for (size_t ci = 0; ci < sizeof cuts / sizeof cuts[0]; ci++) {
                size_t cut = cuts[ci];
                fa a;
                fa_init(&a, k, 0);
                jlp_alc alc = {fa_malloc, fa_realloc, fa_free, &a};
                jlp_write_opts o = JLP_WRITE_OPTS_INIT;
                o.codec = (k + ci) % 2 ? "zlib" : "none";
                o.alc = &alc;
                size_t left = cut;
                jlp_error err;
                jlp_code c = jlp_dump_cb(jlp_doc_root(docs[i].doc), failing_write, &left, &o, &err);
                if (c != JLP_OK && c != JLP_E_NOMEM && c != JLP_E_IO)
                    TH_FAIL("%s, allocation %zu, write cut at %zu: %s", docs[i].name, k, cut, jlp_error_name(c));
                if (c != err.code) TH_FAIL("returned %s, err says %s", jlp_error_name(c), jlp_error_name(err.code));
                fa_clean(__LINE__, &a, docs[i].name, k);
                pthread_mutex_destroy(&a.mu);
                jlp_json_opts jo = JLP_JSON_OPTS_INIT;
                jo.alc = &alc;
                fa_init(&a, k, 0);
                left = cut;
                c = jlp_export_json(jlp_doc_root(docs[i].doc), &jo, failing_write, &left, &err);
                if (c != JLP_OK && c != JLP_E_NOMEM && c != JLP_E_IO)
                    TH_FAIL("%s JSON, allocation %zu, write cut at %zu: %s", docs[i].name, k, cut, jlp_error_name(c));
                fa_clean(__LINE__, &a, docs[i].name, k);
                pthread_mutex_destroy(&a.mu);
            }
        }
    }
    free_docs(docs, nd);
}
