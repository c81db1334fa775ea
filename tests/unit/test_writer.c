/*
 * test_writer.c - the writer: byte-identical output for files joblib.dump wrote,
 * load -> dump -> load round trips at every protocol and codec, write failures at every
 * byte (nothing lost, nothing leaked), atomic path writes, and the builder API.
 * JLP_QUICK=1 (the valgrind pass) round-trips every 10th golden file only.
 */
#include "harness.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>


static char *json_of(const jlp_val *v) {
    jlp_error err;
    return jlp_export_json_str(v, NULL, NULL, &err);
}

/* Files written with joblib's defaults: dumping what was loaded gives the same bytes. */
static const char *const IDENTICAL[] = {
    "arrays_none_p2.pkl", "arrays_none_p3.pkl", "arrays_none_p4.pkl", "arrays_none_p5.pkl",
    "misc_containers_none_p4.pkl", "misc_dict50_none_p4.pkl", "misc_dtypes_none_p4.pkl",
    "misc_big_object_none_p4.pkl", "misc_objarray_nested_none_p2.pkl", "misc_objarray_nested_none_p4.pkl",
    "misc_scalars_none_p2.pkl", "misc_scalars_none_p4.pkl", "misc_shared_twice_none_p4.pkl",
    "misc_zerod_none_p4.pkl", "models_gbr_none_p4.pkl", "models_logreg_none_p4.pkl",
    "models_pipeline_none_p2.pkl", "models_pipeline_none_p4.pkl", "models_rf_none_p4.pkl",
};

TEST(joblib_output_is_byte_identical) {
    for (size_t i = 0; i < sizeof IDENTICAL / sizeof IDENTICAL[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "tests/joblib/golden/%s", IDENTICAL[i]);
        size_t n;
        char *orig = slurp(path, &n);
        if (!orig) { TH_FAIL("missing %s", path); continue; }
        jlp_error err;
        jlp_doc *d = jlp_load_mem(orig, n, NULL, NULL, &err);
        if (!d) { TH_FAIL("%s: %s", path, err.msg); free(orig); continue; }
        jlp_write_opts o = JLP_WRITE_OPTS_INIT;
        o.protocol = jlp_doc_protocol(d);
        void *out = NULL;
        size_t len = 0;
        CHECK_INT(jlp_dump_mem(jlp_doc_root(d), &o, &out, &len, &err), JLP_OK);
        if (len != n || memcmp(out, orig, n)) {
            size_t k = 0;
            while (k < n && k < len && ((char *)out)[k] == orig[k]) k++;
            TH_FAIL("%s: dump differs from joblib's at byte %zu (sizes %zu, %zu)", IDENTICAL[i], k, len, n);
        }
        free(out);
        jlp_doc_free(d);
        free(orig);
    }
}

/* Every golden pickle: load, dump at `proto`, load again: the same export. */
static void round_trip_dir(const char *dir, int arrays) {
    char path[600];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    size_t mlen;
    char *manifest = slurp(path, &mlen);
    if (!manifest) { TH_FAIL("missing %s", path); return; }
    int checked = 0;
    const char *quick = getenv("JLP_QUICK");
    bool q = quick && *quick && strcmp(quick, "0");
    size_t nth = 0;
    for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n")) {
        if (q && nth++ % 10) continue;
        if (strstr(line, "multi")) continue; /* two pickles in one file */
        snprintf(path, sizeof path, "%s/%s%s", dir, line, strstr(dir, "pickle") ? ".pickle" : "");
        jlp_error err;
        jlp_doc *d = jlp_load_path(path, NULL, &err);
        if (!d) continue; /* legacy files needing companions are loaded by path elsewhere */
        char *want = json_of(jlp_doc_root(d));
        int orig = jlp_doc_protocol(d);
        for (int proto = 0; proto <= 5; proto++) {
            /* Python's own pickler changes some forms with the protocol: instances become
             * copyreg._reconstructor calls below 2, nested qualnames getattr calls below
             * 4. The tree must be identical at the file's protocol and at any protocol that
             * keeps every form; other protocols must still load. */
            bool exact = proto == orig || (orig >= 2 && proto >= 2 && (proto >= 4 || orig < 4));
            jlp_write_opts o = JLP_WRITE_OPTS_INIT;
            o.protocol = proto;
            o.arrays = (jlp_array_format)arrays;
            void *out = NULL;
            size_t len;
            jlp_code c = jlp_dump_mem(jlp_doc_root(d), &o, &out, &len, &err);
            if (c == JLP_E_UNSUPPORTED) continue; /* e.g. NEWOBJ_EX keywords below protocol 4 */
            if (c) { TH_FAIL("%s p%d: dump %s: %s", line, proto, jlp_error_name(c), err.msg); continue; }
            jlp_doc *d2 = jlp_load_mem(out, len, NULL, NULL, &err);
            char *got = d2 ? json_of(jlp_doc_root(d2)) : NULL;
            if (!got || (exact && strcmp(got, want)))
                TH_FAIL("%s p%d: reload %s\n  got:      %.300s\n  expected: %.300s", line, proto,
                        d2 ? "differs" : err.msg, got ? got : "", want);
            checked++;
            free(got);
            jlp_doc_free(d2);
            free(out);
        }
        free(want);
        jlp_doc_free(d);
    }
    CHECK(checked > (q ? 10 : 100));
    free(manifest);
}

TEST(round_trip_every_golden_pickle_every_protocol) { round_trip_dir("tests/pickle/golden", JLP_ARRAYS_JOBLIB); }
TEST(round_trip_every_joblib_file_joblib_arrays) { round_trip_dir("tests/joblib/golden", JLP_ARRAYS_JOBLIB); }
TEST(round_trip_every_joblib_file_numpy_arrays) { round_trip_dir("tests/joblib/golden", JLP_ARRAYS_NUMPY); }

TEST(every_codec_round_trips) {
    static const char *const codecs[] = {"zlib", "gzip", "bz2", "lzma", "xz", "lz4", "zstd"};
    size_t n;
    char *orig = slurp("tests/joblib/golden/models_rf_none_p4.pkl", &n);
    jlp_error err;
    jlp_doc *d = jlp_load_mem(orig, n, NULL, NULL, &err);
    CHECK(d != NULL);
    for (size_t i = 0; d && i < sizeof codecs / sizeof codecs[0]; i++) {
        for (int threads = 1; threads <= 2; threads++) {
            jlp_write_opts o = JLP_WRITE_OPTS_INIT;
            o.codec = codecs[i];
            o.threads = threads;
            void *out;
            size_t len;
            CHECK_INT(jlp_dump_mem(jlp_doc_root(d), &o, &out, &len, &err), JLP_OK);
            jlp_doc *d2 = jlp_load_mem(out, len, NULL, NULL, &err);
            if (!d2) TH_FAIL("%s: %s", codecs[i], err.msg);
            else {
                CHECK_STR(jlp_doc_container(d2), codecs[i]);
                /* the uncompressed stream inside is exactly what joblib wrote */
                void *raw;
                size_t rlen;
                jlp_write_opts plain = JLP_WRITE_OPTS_INIT;
                CHECK_INT(jlp_dump_mem(jlp_doc_root(d2), &plain, &raw, &rlen, &err), JLP_OK);
                CHECK(rlen == n && !memcmp(raw, orig, n));
                free(raw);
            }
            jlp_doc_free(d2);
            free(out);
        }
    }
    jlp_doc_free(d);
    free(orig);
}

TEST(codec_by_extension_and_bad_options) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_val *root = jlp_new_strz(d, "hello");
    jlp_error err;
    char dir[] = "/tmp/jlp-writer-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    static const struct { const char *ext, *codec; } cases[] = {
        {".z", "zlib"}, {".gz", "gzip"}, {".bz2", "bz2"}, {".lzma", "lzma"},
        {".xz", "xz"}, {".lz4", "lz4"}, {".zst", "zstd"}, {".pkl", "none"}, {".joblib", "none"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/x%s", dir, cases[i].ext);
        CHECK_INT(jlp_dump_path(root, path, NULL, &err), JLP_OK);
        jlp_doc *back = jlp_load_path(path, NULL, &err);
        CHECK(back && jlp_str_eq(jlp_doc_root(back), "hello"));
        CHECK_STR(jlp_doc_container(back), cases[i].codec);
        jlp_doc_free(back);
        unlink(path);
    }
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.codec = "zip";
    CHECK_INT(jlp_dump_mem(root, &o, &(void *){NULL}, NULL, &err), JLP_E_INVALID_ARG);
    o.codec = "zlib";
    o.level = 10;
    CHECK_INT(jlp_dump_mem(root, &o, &(void *){NULL}, NULL, &err), JLP_E_INVALID_ARG);
    o.codec = NULL;
    o.level = -1;
    o.protocol = 6;
    CHECK_INT(jlp_dump_mem(root, &o, &(void *){NULL}, NULL, &err), JLP_E_INVALID_ARG);
    CHECK_INT(jlp_dump_mem(NULL, NULL, &(void *){NULL}, NULL, &err), JLP_E_INVALID_ARG);
    rmdir(dir);
    jlp_doc_free(d);
}

/* A writer that fails at byte `fail_at`. */
typedef struct { size_t written, fail_at; } failing;
static int failing_write(void *ctx, const void *p, size_t n) {
    (void)p;
    failing *f = ctx;
    if (f->written + n > f->fail_at) return -1;
    f->written += n;
    return 0;
}

TEST(write_failure_at_every_byte) {
    size_t n;
    char *orig = slurp("tests/joblib/golden/models_logreg_none_p4.pkl", &n);
    jlp_error err;
    jlp_doc *d = jlp_load_mem(orig, n, NULL, NULL, &err);
    CHECK(d != NULL);
    for (int compressed = 0; d && compressed <= 1; compressed++) {
        jlp_write_opts o = JLP_WRITE_OPTS_INIT;
        o.codec = compressed ? "gzip" : "none";
        void *full;
        size_t total;
        CHECK_INT(jlp_dump_mem(jlp_doc_root(d), &o, &full, &total, &err), JLP_OK);
        free(full);
        for (size_t at = 0; at < total; at++) {
            failing f = {0, at};
            jlp_code c = jlp_dump_cb(jlp_doc_root(d), failing_write, &f, &o, &err);
            if (c != JLP_E_IO) { TH_FAIL("fail at %zu: %s", at, jlp_error_name(c)); break; }
        }
        failing ok = {0, total};
        CHECK_INT(jlp_dump_cb(jlp_doc_root(d), failing_write, &ok, &o, &err), JLP_OK);
        CHECK_INT(ok.written, total);
    }
    jlp_doc_free(d);
    free(orig);
}

TEST(atomic_path_write_keeps_old_content) {
    char dir[] = "/tmp/jlp-atomic-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/model.joblib", dir);
    FILE *f = fopen(path, "wb");
    fputs("old content", f);
    fclose(f);
    /* a file size limit makes write(2) fail part way (EFBIG) */
    size_t n;
    char *orig = slurp("tests/joblib/golden/models_rf_none_p4.pkl", &n);
    jlp_error err;
    jlp_doc *d = jlp_load_mem(orig, n, NULL, NULL, &err);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    lim.rlim_cur = 1000;
    lim.rlim_max = old.rlim_max;
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    jlp_code c = jlp_dump_path(jlp_doc_root(d), path, NULL, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK_INT(c, JLP_E_IO);
    size_t len;
    char *now = slurp(path, &len);
    CHECK_STR(now, "old content");
    free(now);
    /* no temporary file is left behind */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    CHECK(system(cmd) == 0);
    /* and a successful write replaces the file, keeping its mode */
    chmod(path, 0640);
    CHECK_INT(jlp_dump_path(jlp_doc_root(d), path, NULL, &err), JLP_OK);
    now = slurp(path, &len);
    CHECK(len == n && !memcmp(now, orig, n));
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
    free(now);
    unlink(path);
    rmdir(dir);
    jlp_doc_free(d);
    free(orig);
}

TEST(pipe_output_without_seeking) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_val *l = jlp_new_list(d);
    for (int i = 0; i < 100; i++) jlp_list_append(d, l, jlp_new_int(d, i));
    jlp_error err;
    CHECK_INT(jlp_dump_fd(l, fds[1], NULL, &err), JLP_OK);
    close(fds[1]);
    jlp_doc *back = jlp_load_fd(fds[0], NULL, &err);
    close(fds[0]);
    CHECK(back && jlp_len(jlp_doc_root(back)) == 100);
    jlp_doc_free(back);
    jlp_doc_free(d);
}

TEST(builder_values_and_arrays) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *root = jlp_new_dict(d);
    jlp_dict_set_str(d, root, "n", jlp_new_int(d, 7));
    jlp_dict_set_str(d, root, "n", jlp_new_int(d, 8)); /* replaces */
    uint8_t big[9] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
    jlp_dict_set_str(d, root, "big", jlp_new_bigint(d, big, 9));
    jlp_dict_set_str(d, root, "c", jlp_new_complex(d, 1.5, -2));
    jlp_val *two[2] = {jlp_new_strz(d, "a"), jlp_new_bytes(d, "\x00\x01", 2)};
    jlp_dict_set_str(d, root, "t", jlp_new_tuple(d, two, 2));
    CHECK(jlp_new_str(d, "\xff", 1) == NULL); /* not UTF-8 */
    jlp_val *dt = jlp_new_dtype(d, "<f8", &err);
    double v[6] = {0, 1, 2, 3, 4, 5};
    uint64_t shape[2] = {2, 3};
    jlp_dict_set_str(d, root, "a", jlp_new_array(d, dt, 2, shape, 'F', v, sizeof v, JLP_COPY, &err));
    CHECK(jlp_new_array(d, dt, 2, shape, 'C', v, 8, JLP_COPY, &err) == NULL);
    CHECK_INT(err.code, JLP_E_INVALID_ARG);
    jlp_val *st = jlp_new_dtype(d, "[('a', '<i4'), ('b', '<f8', (2,))]", &err);
    CHECK(st != NULL);
    CHECK_INT(jlp_dtype_itemsize(st), 20);
    CHECK(jlp_new_dtype(d, "<q9", &err) == NULL);
    CHECK_INT(err.code, JLP_E_BAD_DTYPE);
    jlp_val *cls = jlp_new_global(d, "sklearn.linear_model._base", "LinearRegression");
    jlp_val *state = jlp_new_dict(d);
    jlp_dict_set_str(d, state, "fit_intercept", jlp_new_bool(d, 1));
    jlp_dict_set_str(d, root, "model", jlp_new_object(d, cls, NULL, state));
    jlp_doc_set_root(d, root);
    void *out;
    size_t len;
    CHECK_INT(jlp_dump_mem(root, NULL, &out, &len, &err), JLP_OK);
    jlp_doc *back = jlp_load_mem(out, len, NULL, NULL, &err);
    char *js = back ? json_of(jlp_doc_root(back)) : NULL;
    CHECK_STR(js, "{\"n\":8,\"big\":18446744073709551616,\"c\":{\"$complex\":[1.5,-2.0]},"
                  "\"t\":{\"$tuple\":[\"a\",{\"$bytes\":\"AAE=\"}]},"
                  "\"a\":{\"$ndarray\":{\"dtype\":\"<f8\",\"shape\":[2,3],\"order\":\"F\",\"data\":[[0.0,2.0,4.0],[1.0,3.0,5.0]]}},"
                  "\"model\":{\"$object\":{\"class\":\"sklearn.linear_model._base.LinearRegression\",\"state\":{\"fit_intercept\":true}}}}\n");
    /* editing: a coefficient changed through the mutable pointer */
    jlp_array_info ai = JLP_ARRAY_INFO_INIT;
    jlp_val *arr = jlp_dict_get(jlp_doc_root(back), "a");
    double *p = jlp_array_data_mut(back, arr);
    CHECK(p != NULL && jlp_array_get(arr, &ai) && ai.storage == JLP_STORE_ARENA);
    if (p) p[1] = 42;
    CHECK(jlp_get_float(NULL) == 0.0);
    free(js);
    js = json_of(arr);
    CHECK_STR(js, "{\"$ndarray\":{\"dtype\":\"<f8\",\"shape\":[2,3],\"order\":\"F\",\"data\":[[0.0,2.0,4.0],[42.0,3.0,5.0]]}}\n");
    free(js);
    free(out);
    jlp_doc_free(back);
    jlp_doc_free(d);
}

TEST(cycles_and_sharing_are_written_once) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_val *l = jlp_new_list(d);
    jlp_val *inner = jlp_new_list(d);
    jlp_list_append(d, l, inner);
    jlp_list_append(d, l, inner);
    jlp_list_append(d, l, l);
    for (int proto = 0; proto <= 5; proto++) {
        jlp_write_opts o = JLP_WRITE_OPTS_INIT;
        o.protocol = proto;
        void *out;
        size_t len;
        jlp_error err;
        CHECK_INT(jlp_dump_mem(l, &o, &out, &len, &err), JLP_OK);
        jlp_doc *back = jlp_load_mem(out, len, NULL, NULL, &err);
        char *js = back ? json_of(jlp_doc_root(back)) : NULL;
        CHECK_STR(js, "[[],{\"$ref\":\"/0\"},{\"$ref\":\"\"}]\n");
        free(js);
        jlp_doc_free(back);
        free(out);
    }
    jlp_doc_free(d);
}

TEST(mmap_of_a_written_file_and_of_a_truncated_one) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *dt = jlp_new_dtype(d, "<f8", &err);
    static double v[4096];
    for (int i = 0; i < 4096; i++) v[i] = i;
    uint64_t shape[1] = {4096};
    jlp_val *a = jlp_new_array(d, dt, 1, shape, 'C', v, sizeof v, JLP_BORROW, &err);
    jlp_val *l = jlp_new_list(d);
    jlp_list_append(d, l, jlp_new_strz(d, "x"));
    jlp_list_append(d, l, a);
    char path[] = "/tmp/jlp-mmap-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK_INT(jlp_dump_path(l, path, NULL, &err), JLP_OK);
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.mmap = 1;
    jlp_doc *m = jlp_load_path(path, &o, &err);
    jlp_array_info ai = JLP_ARRAY_INFO_INIT;
    CHECK(m && jlp_array_get(jlp_item(jlp_doc_root(m), 1), &ai));
    if (m) {
        CHECK_INT(ai.storage, JLP_STORE_MMAP);
        CHECK_INT(ai.aligned, 1);
        CHECK_INT(ai.offset % 16, 0);
        CHECK_INT((uintptr_t)ai.data % 16, 0);
        CHECK(!memcmp(ai.data, v, sizeof v));
    }
    struct stat st;
    stat(path, &st);
    jlp_doc_free(m);
    /* the same file cut inside the payload: an error with the payload's offset, no crash */
    CHECK(truncate(path, st.st_size - 100) == 0);
    m = jlp_load_path(path, &o, &err);
    CHECK(m == NULL);
    CHECK_INT(err.code, JLP_E_TRUNCATED);
    jlp_doc_free(m);
    unlink(path);
    jlp_doc_free(d);
}

/* A set holding itself (possible in a pickle, not in Python) can be written with
 * protocol 4's EMPTY_SET/ADDITEMS, which memoize the set first; below 4 a set is
 * set([items]), written before it is memoized, so the writer refuses it with CYCLE
 * instead of writing forever. A set reached again through a list is fine at any protocol. */
TEST(pre_memo_cycles_are_refused) {
    static const uint8_t self_set[] = {0x80, 0x04, 0x8f, 0x94, '(', 'h', 0x00, 0x90, '.'};
    jlp_error err;
    jlp_doc *d = jlp_load_mem(self_set, sizeof self_set, NULL, NULL, &err);
    CHECK(d != NULL);
    if (!d) return;
    for (int proto = 0; proto <= 5; proto++) {
        jlp_write_opts o = JLP_WRITE_OPTS_INIT;
        o.protocol = proto;
        void *out = NULL;
        size_t len = 0;
        jlp_code c = jlp_dump_mem(jlp_doc_root(d), &o, &out, &len, &err);
        CHECK_INT(c, proto >= 4 ? JLP_OK : JLP_E_CYCLE);
        if (c == JLP_E_CYCLE) CHECK_INT(err.code, JLP_E_CYCLE);
        free(out);
    }
    jlp_doc_free(d);

    /* s = {o} where o.__dict__ == {"s": s}: Python writes it, the object being memoized
     * before its state */
    jlp_doc *b = jlp_doc_new(NULL);
    jlp_val *set = jlp_new_set(b), *state = jlp_new_dict(b);
    jlp_val *obj = jlp_new_object(b, jlp_new_global(b, "m", "C"), jlp_new_tuple(b, NULL, 0), NULL);
    CHECK_INT(jlp_dict_set_str(b, state, "s", set), JLP_OK);
    CHECK_INT(jlp_obj_set_state(b, obj, state), JLP_OK);
    CHECK_INT(jlp_list_append(b, set, obj), JLP_OK);
    jlp_val *root = set;
    for (int proto = 0; proto <= 5; proto++) {
        jlp_write_opts o = JLP_WRITE_OPTS_INIT;
        o.protocol = proto;
        void *out = NULL;
        size_t len = 0;
        CHECK_INT(jlp_dump_mem(root, &o, &out, &len, &err), JLP_OK);
        jlp_doc *back = out ? jlp_load_mem(out, len, NULL, NULL, &err) : NULL;
        char *js = back ? json_of(jlp_doc_root(back)) : NULL;
        CHECK(js && strstr(js, "{\"$ref\":\"\"}"));
        free(js);
        jlp_doc_free(back);
        free(out);
    }
    jlp_doc_free(b);
}

/* joblib.dump and joblib.load divide by the itemsize (ZeroDivisionError, even for an
 * empty array): in joblib's encoding an array whose dtype has itemsize 0 ("<U0", "V0",
 * dtype([])) is written with numpy's own reduce, which joblib.load reads; both encodings
 * load back to the same array. */
TEST(itemsize_zero_arrays) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *dt = jlp_new_dtype(d, "<U0", &err);
    CHECK(dt != NULL);
    uint64_t shape[1] = {4};
    jlp_val *a = dt ? jlp_new_array(d, dt, 1, shape, 'C', "", 0, JLP_COPY, &err) : NULL;
    CHECK(a != NULL);
    if (!a) { jlp_doc_free(d); return; }
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    void *out = NULL;
    size_t len = 0;
    for (int mode = 0; mode < 2; mode++) {
        o.arrays = mode ? JLP_ARRAYS_NUMPY : JLP_ARRAYS_JOBLIB;
        for (int proto = 2; proto <= 5; proto++) {
            o.protocol = proto;
            out = NULL;
            CHECK_INT(jlp_dump_mem(a, &o, &out, &len, &err), JLP_OK);
            /* never a wrapper, and at protocol 5 not _frombuffer (numpy refuses an empty
             * buffer for itemsize 0): _reconstruct, as numpy's __reduce_ex__ */
            CHECK(out && !mem_has(out, len, "NumpyArrayWrapper") && !mem_has(out, len, "_frombuffer") &&
                  mem_has(out, len, "_reconstruct"));
            jlp_doc *back = out ? jlp_load_mem(out, len, NULL, NULL, &err) : NULL;
            char *js = back ? json_of(jlp_doc_root(back)) : NULL;
            CHECK_STR(js, "{\"$ndarray\":{\"dtype\":\"<U0\",\"shape\":[4],\"order\":\"C\",\"data\":[\"\",\"\",\"\",\"\"]}}\n");
            free(js);
            jlp_doc_free(back);
            free(out);
        }
    }
    jlp_doc_free(d);
}

/* A loaded global whose dotted name holds NUL bytes (GLOBAL reads any byte but '\n'):
 * below protocol 4 it is written as getattr(parent, last) with the parent named by
 * length; a C string stopped the parent at the NUL, the empty name was refused and
 * reported as NOMEM (fuzz_npy, corpus/fuzz_npy/regress_global_nul_dotted). */
TEST(dotted_global_with_nul_bytes_below_protocol_4) {
    static const uint8_t pk[] = "\x80\x02" "cm\x00x\na\x00" "b.c\n.";
    jlp_error err;
    jlp_doc *d = jlp_load_mem(pk, sizeof pk - 1, NULL, NULL, &err);
    CHECK(d != NULL);
    if (!d) return;
    for (int proto = 0; proto <= 4; proto++) {
        jlp_write_opts o = JLP_WRITE_OPTS_INIT;
        o.protocol = proto;
        void *out = NULL;
        size_t len = 0;
        CHECK_INT(jlp_dump_mem(jlp_doc_root(d), &o, &out, &len, &err), JLP_OK);
        jlp_doc *back = out ? jlp_load_mem(out, len, NULL, NULL, &err) : NULL;
        char *js = back ? json_of(jlp_doc_root(back)) : NULL;
        CHECK_STR(js, proto >= 4 ? "{\"$global\":\"m\\u0000x.a\\u0000b.c\"}\n"
                                 : "{\"$object\":{\"call\":\"builtins.getattr\",\"args\":"
                                   "[{\"$global\":\"m\\u0000x.a\\u0000b\"},\"c\"]}}\n");
        free(js);
        jlp_doc_free(back);
        free(out);
    }
    jlp_doc_free(d);
}

/* A dtype state's flags beyond a signed char (numpy ignores them for built-in types and
 * refuses them for flexible ones; the reader takes them): written as numpy's char keeps
 * them, the low byte signed, and written again unchanged. Each write took 256 off
 * (fuzz_npy: "writing an object array is not a fixed point",
 * corpus/fuzz_npy/regress_dtype_flags_fixed_point). */
TEST(dtype_flags_beyond_a_char_are_written_as_a_fixed_point) {
    /* pickle.dumps(numpy.dtype('V8'), 2) with the state's flags 0 made 0x31FFFFFF */
    static const uint8_t pk[] = "\x80\x02" "cnumpy\ndtype\nq\x00X\x02\x00\x00\x00V8q\x01\x89\x88\x87q\x02Rq\x03"
                                "(K\x03X\x01\x00\x00\x00|q\x04NNNK\x08K\x01J\xff\xff\xff\x31tq\x05" "b.";
    jlp_error err;
    jlp_doc *d = jlp_load_mem(pk, sizeof pk - 1, NULL, NULL, &err);
    CHECK(d != NULL);
    if (!d) return;
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.protocol = 2;
    void *out1 = NULL, *out2 = NULL;
    size_t n1 = 0, n2 = 0;
    CHECK_INT(jlp_dump_mem(jlp_doc_root(d), &o, &out1, &n1, &err), JLP_OK);
    jlp_doc *back = out1 ? jlp_load_mem(out1, n1, NULL, NULL, &err) : NULL;
    CHECK(back != NULL);
    if (back) CHECK_INT(jlp_dump_mem(jlp_doc_root(back), &o, &out2, &n2, &err), JLP_OK);
    CHECK(out1 && out2 && n1 == n2 && !memcmp(out1, out2, n1));
    /* the state's flags: the low byte 0xFF as a signed char, -1 (BININT -1) */
    static const uint8_t flags[] = {'K', 0x08, 'K', 0x01, 'J', 0xff, 0xff, 0xff, 0xff, 't'};
    int found = 0;
    for (size_t i = 0; out1 && i + sizeof flags <= n1; i++) found |= !memcmp((const uint8_t *)out1 + i, flags, sizeof flags);
    CHECK(found);
    free(out1);
    free(out2);
    jlp_doc_free(back);
    jlp_doc_free(d);
}
