/*
 * test_threads.c - the thread-safety statements of jlpickle.h, exercised: NTHREADS
 * threads at once load files (jlp_load_path with and without mmap, jlp_load_mem), dump
 * documents (jlp_dump_mem / jlp_dump_cb with no codec, zlib, gzip, zstd, lz4 and xz,
 * single- and multi-threaded encoders), read one shared document (JSON export, the
 * accessors, jlp_array_copy_native, dumping it) and detect containers, with the default
 * registry (NULL and jlp_registry_default()) and with one registry made by
 * jlp_registry_new that every thread shares (nothing is added to it while they run).
 * Every result is compared exactly with a reference computed single-threaded first.
 *
 * Inputs: tests/joblib/golden (every file of its MANIFEST, legacy ones by path only),
 * every 8th pickle of tests/pickle/golden, documents built with the builder API, and
 * the reference dumps written to a temporary directory (so zstd, xz and lz4 files are
 * also loaded by path). JLP_QUICK=1 (set for the valgrind pass) uses fewer files and
 * rounds. Build with -fsanitize=thread (make tsan) to have the races reported.
 */
#include "harness.h"
#include "util.h"
#include "jlpickle_codec.h"

#include <pthread.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#define NTHREADS 8
#define MAX_FILES 512
#define MAX_REPORTS 8 /* failure messages printed per thread */



/* A growable buffer for jlp_dump_cb and jlp_export_json. */
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
 * A digest of a value graph read through the public accessors only
 * ===================================================================================== */

typedef struct digest {
    uint64_t h;
    size_t budget; /* nodes left: shared values and cycles are walked again, up to this */
} digest;

static void dg_bytes(digest *d, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) d->h = (d->h ^ b[i]) * 1099511628211ull;
}
static void dg_u64(digest *d, uint64_t x) { dg_bytes(d, &x, sizeof x); }
static void dg_str(digest *d, const char *s, size_t n) {
    dg_u64(d, n);
    if (s) dg_bytes(d, s, n);
}

static void walk(digest *d, const jlp_val *v, int depth) {
    if (!d->budget) return;
    d->budget--;
    jlp_type t = jlp_get_type(v);
    dg_u64(d, (uint64_t)t);
    if (depth > 40) return;
    size_t n = 0;
    const char *s;
    switch (t) {
    case JLP_BOOL: case JLP_INT: dg_u64(d, (uint64_t)jlp_get_int(v)); break;
    case JLP_BIGINT: {
        const uint8_t *b = jlp_get_bigint(v, &n);
        dg_str(d, (const char *)b, n);
        break;
    }
    case JLP_FLOAT: {
        double f = jlp_get_float(v);
        dg_bytes(d, &f, sizeof f);
        break;
    }
    case JLP_COMPLEX: {
        double re, im;
        jlp_get_complex(v, &re, &im);
        dg_bytes(d, &re, sizeof re);
        dg_bytes(d, &im, sizeof im);
        break;
    }
    case JLP_STR: case JLP_BYTES: case JLP_BYTEARRAY:
        s = jlp_get_str(v, &n);
        dg_str(d, s, n);
        break;
    case JLP_TUPLE: case JLP_LIST: case JLP_SET: case JLP_FROZENSET: {
        dg_u64(d, jlp_len(v));
        jlp_iter it = jlp_iter_make(v);
        for (jlp_val *x; (x = jlp_iter_next(&it));) walk(d, x, depth + 1);
        break;
    }
    case JLP_DICT:
        dg_u64(d, jlp_len(v));
        for (size_t i = 0; i < jlp_len(v); i++) {
            walk(d, jlp_dict_key(v, i), depth + 1);
            walk(d, jlp_dict_value(v, i), depth + 1);
        }
        break;
    case JLP_GLOBAL:
        s = jlp_global_module(v, &n);
        dg_str(d, s, n);
        s = jlp_global_name(v, &n);
        dg_str(d, s, n);
        break;
    case JLP_OBJECT:
        dg_u64(d, (uint64_t)jlp_obj_get_kind(v));
        walk(d, jlp_obj_callable(v), depth + 1);
        walk(d, jlp_obj_args(v), depth + 1);
        walk(d, jlp_obj_kwargs(v), depth + 1);
        walk(d, jlp_obj_state(v), depth + 1);
        walk(d, jlp_obj_items(v), depth + 1);
        walk(d, jlp_obj_dictitems(v), depth + 1);
        break;
    case JLP_NDARRAY: {
        jlp_array_info a = JLP_ARRAY_INFO_INIT;
        jlp_array_get(v, &a);
        s = jlp_dtype_str(a.dtype);
        dg_str(d, s, s ? strlen(s) : 0);
        dg_u64(d, a.ndim);
        for (uint32_t k = 0; k < a.ndim; k++) dg_u64(d, a.shape[k]);
        dg_u64(d, (uint64_t)a.order);
        dg_u64(d, a.nbytes);
        if (a.data) {
            void *buf = malloc(a.nbytes ? (size_t)a.nbytes : 1);
            jlp_error err;
            if (jlp_array_copy_native(v, buf, (size_t)a.nbytes, &err) == JLP_OK) dg_bytes(d, buf, (size_t)a.nbytes);
            else dg_u64(d, 0xbad);
            free(buf);
        } else {
            for (uint64_t i = 0; i < a.count && d->budget; i++) walk(d, jlp_array_object(v, i), depth + 1);
        }
        break;
    }
    case JLP_SCALAR: {
        const jlp_val *dt = jlp_scalar_dtype(v);
        s = jlp_dtype_str(dt);
        dg_str(d, s, s ? strlen(s) : 0);
        const void *p = jlp_scalar_data(v, &n);
        dg_str(d, p, n);
        walk(d, jlp_scalar_object(v), depth + 1);
        break;
    }
    case JLP_DTYPE:
        s = jlp_dtype_str(v);
        dg_str(d, s, s ? strlen(s) : 0);
        dg_u64(d, jlp_dtype_itemsize(v));
        dg_u64(d, jlp_dtype_nfields(v));
        for (size_t i = 0; i < jlp_dtype_nfields(v); i++) {
            const char *name = NULL;
            size_t nl = 0;
            uint64_t off = 0;
            walk(d, jlp_dtype_field(v, i, &name, &nl, &off), depth + 1);
            dg_str(d, name, nl);
            dg_u64(d, off);
        }
        break;
    case JLP_PERSID: walk(d, jlp_persid_value(v), depth + 1); break;
    case JLP_EXT: dg_u64(d, (uint64_t)jlp_ext_code(v)); break;
    default: break;
    }
}

static uint64_t digest_of(const jlp_val *v) {
    digest d = {1469598103934665603ull, 200000};
    walk(&d, v, 0);
    return d.h ^ d.budget;
}

/* =====================================================================================
 * The single-threaded reference
 * ===================================================================================== */

/* A file loaded by the threads. */
typedef struct fileref {
    char path[600];
    char *data;           /* the file's bytes, for jlp_load_mem and detection */
    size_t len;
    int by_mem;           /* jlp_load_mem gives the same document (not legacy G0) */
    int mappable;         /* uncompressed: also loaded with mmap */
    char *json;           /* export of the first pickle */
    char container[16];
    char generation[16];
    int protocol;
    const char *detected; /* jlp_registry_detect's codec name, "pickle" or "none" */
    jlp_code dump_code;   /* jlp_dump_mem with the defaults */
    void *dump;
    size_t dump_len;
} fileref;

/* The write configurations used on shared documents. */
typedef struct dumpcfg {
    const char *codec;
    int level;
    int threads;
    int protocol;
    jlp_array_format arrays;
    int in_quick; /* also with JLP_QUICK */
} dumpcfg;

static const dumpcfg DUMPS[] = {
    {"none", -1, 0, 4, JLP_ARRAYS_JOBLIB, 1},
    {"none", -1, 0, 2, JLP_ARRAYS_NUMPY, 1},
    {"zlib", -1, 0, 4, JLP_ARRAYS_JOBLIB, 1},
    {"gzip", -1, 0, 4, JLP_ARRAYS_JOBLIB, 0},
    {"zstd", -1, 0, 4, JLP_ARRAYS_JOBLIB, 1},
    {"lz4", -1, 0, 4, JLP_ARRAYS_JOBLIB, 1},
    {"xz", 0, 0, 4, JLP_ARRAYS_JOBLIB, 1}, /* preset 0: 8 preset-6 encoders would need 750 MB */
    {"zstd", -1, 2, 4, JLP_ARRAYS_JOBLIB, 1},
    {"xz", 0, 2, 5, JLP_ARRAYS_JOBLIB, 0},
    {"zlib", -1, 2, 4, JLP_ARRAYS_JOBLIB, 0},
};
#define NDUMPS (sizeof DUMPS / sizeof DUMPS[0])

typedef struct dumpref {
    jlp_code code;
    void *bytes;
    size_t len;
    char *reload_json;    /* export of the dump loaded back */
} dumpref;

/* Shared documents: read (exported, walked, dumped) by every thread at once. */
static const char *const SHARED_FILES[] = {
    NULL, /* the builder document */
    "tests/joblib/golden/models_rf_none_p4.pkl",
    "tests/joblib/golden/arrays_none_p4.pkl",
    "tests/pickle/golden/kitchen_sink.p4.pickle",
    /* not with JLP_QUICK: */
    "tests/joblib/golden/misc_dtypes_none_p4.pkl",
    "tests/joblib/golden/misc_objarray_nested_none_p4.pkl",
    "tests/joblib/golden/misc_shared_twice_none_p4.pkl",
};
#define NSHARED_QUICK 4
#define NSHARED (sizeof SHARED_FILES / sizeof SHARED_FILES[0])

typedef struct shared {
    jlp_doc *doc;
    char *json;           /* default export */
    char *json_small;     /* export with max_items 3 (arrays as nbytes + sha256) */
    uint64_t digest;
    dumpref dumps[NDUMPS];
} shared;

static struct {
    int ready, broken;
    fileref *files;
    size_t nfiles;
    shared docs[NSHARED];
    jlp_registry *reg;    /* the shared registry from jlp_registry_new */
    char tmpdir[64];
} G;

static const jlp_registry *registry_variant(int k) {
    switch (k % 3) {
    case 0: return NULL;
    case 1: return jlp_registry_default();
    default: return G.reg;
    }
}

static const char *detect_name(const jlp_registry *reg, const char *data, size_t len) {
    int is_pickle = 0;
    const jlp_codec *c = jlp_registry_detect(reg, (const uint8_t *)data, len < 64 ? len : 64, &is_pickle);
    return c ? c->name : is_pickle ? "pickle" : "none";
}

static char *export_str(const jlp_val *v, uint64_t max_items) {
    jlp_json_opts o = JLP_JSON_OPTS_INIT;
    o.max_items = max_items;
    jlp_error err;
    return jlp_export_json_str(v, &o, NULL, &err);
}

/* A document with every kind of value the builder makes, shared values and a cycle. */
static jlp_doc *build_doc(void) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *root = jlp_new_dict(d);
    jlp_val *ints = jlp_new_list(d);
    for (int i = 0; i < 300; i++) jlp_list_append(d, ints, jlp_new_int(d, (int64_t)i * 7919 - 100000));
    jlp_dict_set_str(d, root, "ints", ints);
    jlp_dict_set_str(d, root, "ints again", ints);
    jlp_val *self = jlp_new_list(d);
    jlp_list_append(d, self, self);
    jlp_list_append(d, self, jlp_new_strz(d, "h\xc3\xa9llo / ~ \"quoted\""));
    jlp_dict_set_str(d, root, "cycle", self);
    uint8_t big[17];
    for (int i = 0; i < 17; i++) big[i] = (uint8_t)(i * 37 + 1);
    jlp_val *misc[8] = {jlp_new_none(d), jlp_new_bool(d, 1), jlp_new_float(d, 3.25), jlp_new_complex(d, -1, 0.5),
                        jlp_new_bigint(d, big, sizeof big), jlp_new_bytes(d, "\x00\x01\xff", 3),
                        jlp_new_bytearray(d, "abc", 3), jlp_new_frozenset(d, NULL, 0)};
    jlp_dict_set_str(d, root, "misc", jlp_new_tuple(d, misc, 8));
    jlp_val *set = jlp_new_set(d);
    for (int i = 0; i < 20; i++) jlp_list_append(d, set, jlp_new_int(d, i * i));
    jlp_dict_set_str(d, root, "set", set);
    jlp_val *f8 = jlp_new_dtype(d, "<f8", &err);
    double v[2 * 50];
    for (int i = 0; i < 100; i++) v[i] = i / 8.0;
    uint64_t shape[2] = {2, 50};
    jlp_dict_set_str(d, root, "f8", jlp_new_array(d, f8, 2, shape, 'F', v, sizeof v, JLP_COPY, &err));
    jlp_val *st = jlp_new_dtype(d, "[('a', '>i4'), ('b', '<f8', (2,))]", &err);
    uint8_t rec[3 * 20];
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

static void teardown(void) {
    for (size_t i = 0; i < G.nfiles; i++) {
        free(G.files[i].data);
        free(G.files[i].json);
        free(G.files[i].dump);
        if (!strncmp(G.files[i].path, G.tmpdir, strlen(G.tmpdir)) && G.tmpdir[0]) unlink(G.files[i].path);
    }
    free(G.files);
    for (size_t i = 0; i < NSHARED; i++) {
        shared *s = &G.docs[i];
        jlp_doc_free(s->doc);
        free(s->json);
        free(s->json_small);
        for (size_t k = 0; k < NDUMPS; k++) {
            free(s->dumps[k].bytes);
            free(s->dumps[k].reload_json);
        }
    }
    jlp_registry_free(G.reg);
    if (G.tmpdir[0]) rmdir(G.tmpdir);
}

/* Reference of one file: path load, export, dump; NULL json when it does not load. */
static void add_file(const char *path, const char *want_json) {
    if (G.nfiles == MAX_FILES) return;
    fileref *f = &G.files[G.nfiles];
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    f->data = slurp(path, &f->len);
    jlp_error err;
    jlp_doc *d = f->data ? jlp_load_path(path, NULL, &err) : NULL;
    if (!d) {
        TH_FAIL("reference load of %s: %s", path, f->data ? err.msg : "cannot read");
        free(f->data);
        G.broken = 1;
        return;
    }
    f->json = export_str(jlp_doc_root(d), 1000);
    if (!f->json) TH_FAIL("reference export of %s failed", path);
    if (want_json && f->json && strcmp(f->json, want_json))
        TH_FAIL("%s: reference export differs from the golden JSON", path);
    snprintf(f->container, sizeof f->container, "%s", jlp_doc_container(d));
    const char *gen = jlp_doc_generation(d);
    snprintf(f->generation, sizeof f->generation, "%s", gen ? gen : "-");
    f->protocol = jlp_doc_protocol(d);
    f->mappable = !strcmp(f->container, "none");
    f->detected = detect_name(NULL, f->data, f->len);
    f->dump_code = jlp_dump_mem(jlp_doc_root(d), NULL, &f->dump, &f->dump_len, &err);
    jlp_doc_free(d);
    /* loading from memory gives the same document, except for companion files */
    d = jlp_load_mem(f->data, f->len, NULL, NULL, &err);
    char *js = d ? export_str(jlp_doc_root(d), 1000) : NULL;
    f->by_mem = js && f->json && !strcmp(js, f->json);
    if (!f->by_mem && !strstr(path, "legacy/")) TH_FAIL("%s: load_mem differs from load_path", path);
    free(js);
    jlp_doc_free(d);
    G.nfiles++;
}

static void setup(void) {
    if (G.ready) return;
    G.ready = 1;
    atexit(teardown);
    G.files = calloc(MAX_FILES, sizeof *G.files);
    G.reg = jlp_registry_new(NULL);
    CHECK(G.reg != NULL);
    snprintf(G.tmpdir, sizeof G.tmpdir, "/tmp/jlp-threads-XXXXXX");
    if (!mkdtemp(G.tmpdir)) {
        TH_FAIL("mkdtemp failed");
        G.tmpdir[0] = 0;
        G.broken = 1;
    }
    int q = quick();
    char path[600];
    size_t mlen, jlen;

    /* every joblib golden file (every 6th when quick) */
    char *manifest = slurp("tests/joblib/golden/MANIFEST", &mlen);
    if (!manifest) { TH_FAIL("missing tests/joblib/golden/MANIFEST"); G.broken = 1; return; }
    size_t line_no = 0;
    for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n"), line_no++) {
        if (q && line_no % 6) continue;
        snprintf(path, sizeof path, "tests/joblib/golden/%s.json", line);
        char *want = slurp(path, &jlen);
        snprintf(path, sizeof path, "tests/joblib/golden/%s", line);
        add_file(path, want);
        free(want);
    }
    free(manifest);

    /* every 8th golden pickle (every 80th when quick), skipping multi-pickle files */
    manifest = slurp("tests/pickle/golden/MANIFEST", &mlen);
    if (!manifest) { TH_FAIL("missing tests/pickle/golden/MANIFEST"); G.broken = 1; return; }
    line_no = 0;
    for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n"), line_no++) {
        if (line_no % (q ? 80 : 8) || !strncmp(line, "multi", 5)) continue;
        snprintf(path, sizeof path, "tests/pickle/golden/%s.json", line);
        char *want = slurp(path, &jlen);
        snprintf(path, sizeof path, "tests/pickle/golden/%s.pickle", line);
        add_file(path, want);
        free(want);
    }
    free(manifest);

    /* the shared documents and their reference exports and dumps */
    for (size_t i = 0; i < (q ? NSHARED_QUICK : NSHARED); i++) {
        shared *s = &G.docs[i];
        jlp_error err;
        s->doc = SHARED_FILES[i] ? jlp_load_path(SHARED_FILES[i], NULL, &err) : build_doc();
        if (!s->doc) {
            TH_FAIL("cannot load %s: %s", SHARED_FILES[i], err.msg);
            G.broken = 1;
            continue;
        }
        const jlp_val *root = jlp_doc_root(s->doc);
        s->json = export_str(root, 1000);
        s->json_small = export_str(root, 3);
        s->digest = digest_of(root);
        CHECK(s->json && s->json_small);
        CHECK_INT(digest_of(root), s->digest); /* deterministic */
        for (size_t k = 0; k < NDUMPS; k++) {
            dumpref *r = &s->dumps[k];
            if (q && !DUMPS[k].in_quick) continue;
            jlp_write_opts o = JLP_WRITE_OPTS_INIT;
            o.codec = DUMPS[k].codec;
            o.level = DUMPS[k].level;
            o.threads = DUMPS[k].threads;
            o.protocol = DUMPS[k].protocol;
            o.arrays = DUMPS[k].arrays;
            r->code = jlp_dump_mem(root, &o, &r->bytes, &r->len, &err);
            if (r->code) {
                TH_FAIL("shared doc %zu, %s: reference dump failed: %s", i, DUMPS[k].codec, err.msg);
                G.broken = 1;
                continue;
            }
            /* the encoder's output does not depend on the registry or on timing */
            void *again = NULL;
            size_t again_len = 0;
            o.registry = G.reg;
            CHECK_INT(jlp_dump_mem(root, &o, &again, &again_len, &err), JLP_OK);
            if (again_len != r->len || memcmp(again, r->bytes, r->len))
                TH_FAIL("shared doc %zu, %s threads %d: two dumps differ", i, DUMPS[k].codec, DUMPS[k].threads);
            free(again);
            jlp_doc *back = jlp_load_mem(r->bytes, r->len, NULL, NULL, &err);
            r->reload_json = back ? export_str(jlp_doc_root(back), 1000) : NULL;
            if (!back) TH_FAIL("shared doc %zu, %s: reload failed: %s", i, DUMPS[k].codec, err.msg);
            else CHECK_STR(jlp_doc_container(back), DUMPS[k].codec);
            jlp_doc_free(back);
            /* compressed single-threaded dumps become files to load by path */
            if (G.tmpdir[0] && strcmp(DUMPS[k].codec, "none") && !DUMPS[k].threads && (!q || i < 2)) {
                snprintf(path, sizeof path, "%s/doc%zu.%s", G.tmpdir, i, DUMPS[k].codec);
                FILE *fp = fopen(path, "wb");
                if (fp && fwrite(r->bytes, 1, r->len, fp) == r->len && fclose(fp) == 0) add_file(path, r->reload_json);
                else TH_FAIL("cannot write %s", path);
            }
        }
    }
    if (th_failed_now) G.broken = 1;
}

/* =====================================================================================
 * The jobs the threads run
 * ===================================================================================== */

typedef enum jkind { J_LOAD_PATH, J_LOAD_MMAP, J_LOAD_MEM, J_DUMP, J_EXPORT } jkind;

typedef struct job {
    jkind kind;
    size_t a; /* file or shared document */
    size_t b; /* dump configuration */
} job;

typedef struct worker {
    pthread_t tid;
    int id;
    const job *jobs;
    size_t njobs, count; /* runs `count` jobs starting at its own offset */
    pthread_barrier_t *start;
    int fails;
    uint64_t checks;
} worker;

__attribute__((format(printf, 2, 3))) static void wfail(worker *w, const char *fmt, ...) {
    if (++w->fails > MAX_REPORTS) return;
    char m[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    fprintf(stderr, "  thread %d: %s\n", w->id, m);
}
#define WFAIL(w, ...) wfail((w), __VA_ARGS__)

#define WCHECK(w, cond, ...)                                                        \
    do {                                                                            \
        (w)->checks++;                                                              \
        if (!(cond)) WFAIL(w, __VA_ARGS__);                                         \
    } while (0)

static const char *const REG_NAMES[] = {"NULL registry", "jlp_registry_default()", "shared jlp_registry_new"};

static void job_load(worker *w, const fileref *f, jkind how, int regk) {
    const jlp_registry *reg = registry_variant(regk);
    const char *rn = REG_NAMES[regk % 3];
    WCHECK(w, !strcmp(detect_name(reg, f->data, f->len), f->detected), "%s: detection differs (%s)", f->path, rn);
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    o.registry = reg;
    o.mmap = how == J_LOAD_MMAP;
    jlp_error err;
    jlp_doc *d = how == J_LOAD_MEM ? jlp_load_mem(f->data, f->len, &o, NULL, &err) : jlp_load_path(f->path, &o, &err);
    static const char *const hows[] = {"path", "mmap", "mem"};
    if (!d) {
        WFAIL(w, "%s (%s, %s): load failed: %s: %s", f->path, hows[how], rn, jlp_error_name(err.code), err.msg);
        return;
    }
    const char *gen = jlp_doc_generation(d);
    WCHECK(w, !strcmp(jlp_doc_container(d), f->container) && !strcmp(gen ? gen : "-", f->generation) &&
                  jlp_doc_protocol(d) == f->protocol,
           "%s (%s): container/generation/protocol %s/%s/%d, expected %s/%s/%d", f->path, hows[how],
           jlp_doc_container(d), gen ? gen : "-", jlp_doc_protocol(d), f->container, f->generation, f->protocol);
    char *js = export_str(jlp_doc_root(d), 1000);
    WCHECK(w, js && !strcmp(js, f->json), "%s (%s, %s): export differs\n    got:      %.200s\n    expected: %.200s",
           f->path, hows[how], rn, js ? js : "(null)", f->json);
    free(js);
    void *out = NULL;
    size_t len = 0;
    jlp_code c = jlp_dump_mem(jlp_doc_root(d), NULL, &out, &len, &err);
    WCHECK(w, c == f->dump_code && (c || (len == f->dump_len && !memcmp(out, f->dump, len))),
           "%s (%s): dump of the loaded document gives %s / %zu bytes, expected %s / %zu", f->path, hows[how],
           jlp_error_name(c), len, jlp_error_name(f->dump_code), f->dump_len);
    free(out);
    jlp_doc_free(d);
}

static void job_dump(worker *w, size_t di, size_t k, int regk, int via_cb) {
    const shared *s = &G.docs[di];
    const dumpref *r = &s->dumps[k];
    const dumpcfg *cfg = &DUMPS[k];
    const jlp_registry *reg = registry_variant(regk);
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.codec = cfg->codec;
    o.level = cfg->level;
    o.threads = cfg->threads;
    o.protocol = cfg->protocol;
    o.arrays = cfg->arrays;
    o.registry = reg;
    jlp_error err;
    membuf mb = {0};
    void *out = NULL;
    size_t len = 0;
    jlp_code c;
    if (via_cb) {
        c = jlp_dump_cb(jlp_doc_root(s->doc), membuf_write, &mb, &o, &err);
        out = mb.p;
        len = mb.n;
    } else {
        c = jlp_dump_mem(jlp_doc_root(s->doc), &o, &out, &len, &err);
    }
    WCHECK(w, c == JLP_OK, "shared doc %zu, %s threads %d protocol %d (%s, %s): dump failed: %s", di, cfg->codec,
           cfg->threads, cfg->protocol, REG_NAMES[regk % 3], via_cb ? "cb" : "mem", err.msg);
    if (!c) {
        WCHECK(w, len == r->len && !memcmp(out, r->bytes, len),
               "shared doc %zu, %s threads %d protocol %d %s arrays (%s, %s): %zu bytes differ from the reference's %zu",
               di, cfg->codec, cfg->threads, cfg->protocol, cfg->arrays == JLP_ARRAYS_NUMPY ? "numpy" : "joblib",
               REG_NAMES[regk % 3], via_cb ? "cb" : "mem", len, r->len);
        jlp_read_opts ro;
        jlp_read_opts_init(&ro);
        ro.registry = reg;
        jlp_doc *back = jlp_load_mem(out, len, &ro, NULL, &err);
        char *js = back ? export_str(jlp_doc_root(back), 1000) : NULL;
        WCHECK(w, js && r->reload_json && !strcmp(js, r->reload_json), "shared doc %zu, %s: reload %s", di,
               cfg->codec, back ? "differs" : err.msg);
        free(js);
        jlp_doc_free(back);
    }
    free(out);
}

static void job_export(worker *w, size_t di, int variant) {
    const shared *s = &G.docs[di];
    const jlp_val *root = jlp_doc_root(s->doc);
    if (variant % 3 == 0) {
        char *js = export_str(root, 1000);
        WCHECK(w, js && !strcmp(js, s->json), "shared doc %zu: export differs", di);
        free(js);
    } else if (variant % 3 == 1) {
        jlp_json_opts o = JLP_JSON_OPTS_INIT;
        o.max_items = 3;
        membuf mb = {0};
        jlp_error err;
        jlp_code c = jlp_export_json(root, &o, membuf_write, &mb, &err);
        WCHECK(w, c == JLP_OK && mb.n == strlen(s->json_small) && !memcmp(mb.p, s->json_small, mb.n),
               "shared doc %zu: export with max_items 3 differs (%s)", di, jlp_error_name(c));
        free(mb.p);
    } else {
        WCHECK(w, digest_of(root) == s->digest, "shared doc %zu: the accessors read something else", di);
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    pthread_barrier_wait(w->start);
    for (size_t n = 0; n < w->count; n++) {
        size_t j = (n + (size_t)w->id * (w->njobs / NTHREADS + 1)) % w->njobs;
        const job *jb = &w->jobs[j];
        int vary = (int)(n / w->njobs) + w->id + (int)j; /* registry / variant, differs per thread */
        switch (jb->kind) {
        case J_LOAD_PATH: case J_LOAD_MMAP: case J_LOAD_MEM: job_load(w, &G.files[jb->a], jb->kind, vary); break;
        case J_DUMP: job_dump(w, jb->a, jb->b, vary, vary & 1); break;
        case J_EXPORT: job_export(w, jb->a, vary); break;
        }
    }
    return NULL;
}

/* Run NTHREADS workers over `jobs`, each doing `rounds` passes from its own offset, all
 * released at once. */
static void run_workers(const job *jobs, size_t njobs, double rounds) {
    if (!njobs) { TH_FAIL("no jobs"); return; }
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS);
    worker w[NTHREADS];
    size_t count = (size_t)(rounds * (double)njobs);
    if (!count) count = 1;
    int started = 0;
    for (int i = 0; i < NTHREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].id = i;
        w[i].jobs = jobs;
        w[i].njobs = njobs;
        w[i].count = count;
        w[i].start = &start;
    }
    for (int i = 0; i < NTHREADS; i++) {
        if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) break;
        started++;
    }
    if (started != NTHREADS) {
        /* cannot happen on a sane system; the barrier would never open */
        fprintf(stderr, "pthread_create failed after %d threads\n", started);
        abort();
    }
    uint64_t checks = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(w[i].tid, NULL);
        if (w[i].fails) TH_FAIL("thread %d: %d of %llu checks failed", i, w[i].fails, (unsigned long long)w[i].checks);
        checks += w[i].checks;
    }
    CHECK(checks >= count * NTHREADS);
    pthread_barrier_destroy(&start);
}

static size_t add_load_jobs(job *jobs, size_t n) {
    for (size_t i = 0; i < G.nfiles; i++) {
        if (!G.files[i].json) continue;
        jobs[n++] = (job){J_LOAD_PATH, i, 0};
        if (G.files[i].mappable) jobs[n++] = (job){J_LOAD_MMAP, i, 0};
        if (G.files[i].by_mem) jobs[n++] = (job){J_LOAD_MEM, i, 0};
    }
    return n;
}

static size_t add_shared_jobs(job *jobs, size_t n, int dumps, int exports) {
    for (size_t i = 0; i < NSHARED; i++) {
        if (!G.docs[i].doc) continue;
        for (size_t k = 0; dumps && k < NDUMPS; k++)
            if (G.docs[i].dumps[k].reload_json) jobs[n++] = (job){J_DUMP, i, k};
        for (int r = 0; exports && r < 3; r++) jobs[n++] = (job){J_EXPORT, i, 0};
    }
    return n;
}

static job *alloc_jobs(void) { return malloc((3 * MAX_FILES + NSHARED * (NDUMPS + 3)) * sizeof(job)); }

/* =====================================================================================
 * Tests
 * ===================================================================================== */

TEST(single_threaded_reference) {
    setup();
    CHECK(!G.broken);
    CHECK(G.nfiles >= (quick() ? 20u : 150u));
    /* the shared registry holds the built-in codecs */
    CHECK_INT(jlp_registry_count(G.reg), jlp_registry_count(NULL));
    for (size_t i = 0; i < jlp_registry_count(NULL); i++)
        CHECK(jlp_registry_find(G.reg, jlp_registry_get(NULL, i)->name) == jlp_registry_get(NULL, i));
    /* every codec the threads use is compiled in (a build without one fails here) */
    static const char *const needed[] = {"zlib", "gzip", "zstd", "lz4", "xz", "bz2", "lzma"};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        const jlp_codec *c = jlp_registry_find(NULL, needed[i]);
        CHECK(c && c->dec_new && c->enc_new);
    }
}

/* Threads allocate from different malloc arenas, so a writer whose output depended on
 * where its nodes lie in memory would dump one document differently from different
 * threads. This checks that single-threaded and deterministically: the document is
 * loaded, and then dumped again and again, with a bump allocator in a region aligned to
 * 1 GiB (so every address bit a hash could use is the same from run to run), each dump
 * starting 16 bytes further into the region. The bytes written must not change. */
#include <sys/mman.h>

typedef struct bump {
    uint8_t *base, *cur, *end;
} bump;

static void *bump_malloc(void *ctx, size_t n) {
    bump *b = ctx;
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n || (size_t)(b->end - b->cur) < need) return NULL;
    void *p = b->cur;
    b->cur += need;
    return p;
}
static void bump_free(void *ctx, void *p, size_t n) {
    (void)ctx;
    (void)p;
    (void)n;
}
static void *bump_realloc(void *ctx, void *q, size_t old_n, size_t n) {
    void *p = bump_malloc(ctx, n);
    if (p && q) memcpy(p, q, old_n < n ? old_n : n);
    return p;
}

#define BUMP_ALIGN ((size_t)1 << 30)
#define BUMP_DOC ((size_t)32 << 20)  /* the loaded document */
#define BUMP_DUMP ((size_t)32 << 20) /* one dump's working memory */

TEST(dump_does_not_depend_on_addresses) {
    setup();
    if (G.broken) { TH_FAIL("no reference"); return; }
    size_t maplen = BUMP_ALIGN + BUMP_DOC + BUMP_DUMP;
    uint8_t *map = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) { TH_FAIL("cannot map %zu bytes", maplen); return; }
    uint8_t *base = (uint8_t *)(((uintptr_t)map + BUMP_ALIGN - 1) & ~(uintptr_t)(BUMP_ALIGN - 1));
    for (size_t i = 0; i < NSHARED; i++) {
        if (!SHARED_FILES[i] || !G.docs[i].doc) continue;
        size_t len;
        char *data = slurp(SHARED_FILES[i], &len);
        bump db = {base, base, base + BUMP_DOC};
        jlp_alc dalc = {bump_malloc, bump_realloc, bump_free, &db};
        jlp_read_opts ro;
        jlp_read_opts_init(&ro);
        ro.alc = &dalc;
        jlp_error err;
        jlp_doc *d = data ? jlp_load_mem(data, len, &ro, NULL, &err) : NULL;
        if (!d) {
            TH_FAIL("%s: cannot load", SHARED_FILES[i]);
            free(data);
            continue;
        }
        for (size_t k = 0; k < NDUMPS; k++) {
            if (strcmp(DUMPS[k].codec, "none") || (quick() && !DUMPS[k].in_quick)) continue;
            void *first = NULL;
            size_t first_len = 0;
            int differ = 0;
            for (size_t shift = 0; shift < (quick() ? 256u : 2048u); shift += (quick() ? 32u : 16u)) {
                bump wb = {base + BUMP_DOC + shift, base + BUMP_DOC + shift, base + BUMP_DOC + BUMP_DUMP};
                jlp_alc walc = {bump_malloc, bump_realloc, bump_free, &wb};
                jlp_write_opts o = JLP_WRITE_OPTS_INIT;
                o.protocol = DUMPS[k].protocol;
                o.arrays = DUMPS[k].arrays;
                o.alc = &walc;
                void *out = NULL;
                size_t olen = 0;
                jlp_code c = jlp_dump_mem(jlp_doc_root(d), &o, &out, &olen, &err);
                if (c) {
                    TH_FAIL("%s: dump failed: %s", SHARED_FILES[i], err.msg);
                    break;
                }
                if (!first) {
                    first = out;
                    first_len = olen;
                    continue;
                }
                if ((olen != first_len || memcmp(out, first, olen)) && !differ++)
                    TH_FAIL("%s, protocol %d, %s arrays: with the writer's memory %zu bytes further the dump has "
                            "%zu bytes instead of %zu",
                            SHARED_FILES[i], DUMPS[k].protocol,
                            DUMPS[k].arrays == JLP_ARRAYS_NUMPY ? "numpy" : "joblib", shift, olen, first_len);
                free(out);
            }
            free(first);
        }
        jlp_doc_free(d);
        free(data);
    }
    munmap(map, maplen);
}

TEST(threads_load_every_file) {
    setup();
    if (G.broken) { TH_FAIL("no reference"); return; }
    job *jobs = alloc_jobs();
    size_t n = add_load_jobs(jobs, 0);
    run_workers(jobs, n, quick() ? 0.15 : 0.5);
    free(jobs);
}

TEST(threads_dump_shared_documents_every_codec) {
    setup();
    if (G.broken) { TH_FAIL("no reference"); return; }
    job *jobs = alloc_jobs();
    size_t n = add_shared_jobs(jobs, 0, 1, 0);
    run_workers(jobs, n, quick() ? 0.15 : 1);
    free(jobs);
}

TEST(threads_export_one_shared_document) {
    /* every thread exports, walks and dumps the same document at the same time */
    setup();
    if (G.broken) { TH_FAIL("no reference"); return; }
    for (size_t i = 0; i < NSHARED; i++) {
        if (!G.docs[i].doc) continue; /* JLP_QUICK */
        job jobs[4] = {{J_EXPORT, i, 0}, {J_EXPORT, i, 0}, {J_EXPORT, i, 0}, {J_DUMP, i, 0}};
        run_workers(jobs, 4, quick() ? 0.5 : 4);
    }
}

TEST(threads_mixed_workload) {
    /* loads, dumps and exports of everything at once */
    setup();
    if (G.broken) { TH_FAIL("no reference"); return; }
    job *jobs = alloc_jobs();
    size_t n = add_load_jobs(jobs, 0);
    n = add_shared_jobs(jobs, n, 1, 1);
    run_workers(jobs, n, quick() ? 0.2 : 0.5);
    free(jobs);
}
