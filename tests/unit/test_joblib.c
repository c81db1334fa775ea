/*
 * test_joblib.c - every joblib file of a golden set (tests/joblib/golden, or
 * $JLP_JOBLIB_DIR), written by Python's joblib.dump, must export exactly the JSON the
 * Python side computed, and report the container and generation in its .meta file.
 * Each file is loaded by path; uncompressed ones also through a read-only mapping
 * (arrays must then point into it) and every file also through a pipe-like reader.
 * JLP_QUICK=1 (the valgrind pass) checks every 10th file only.
 */
#include "jlpickle.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct { const char *p; size_t left; } trickle;
static long long trickle_read(void *ctx, void *buf, size_t cap) {
    trickle *t = ctx;
    size_t k = t->left < 4093 ? t->left : 4093;
    if (k > cap) k = cap;
    memcpy(buf, t->p, k);
    t->p += k;
    t->left -= k;
    return (long long)k;
}

static char *export(jlp_doc *d) {
    jlp_error err;
    return jlp_export_json_str(jlp_doc_root(d), NULL, NULL, &err);
}

/* Every array of the document whose data is in the input must point into the map. */
static int arrays_in_map(const jlp_val *v, int depth) {
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    if (depth > 64) return 1;
    if (jlp_array_get(v, &a)) {
        if (a.data && a.origin <= JLP_ORIGIN_WRAPPER_NOTELL && a.storage != JLP_STORE_MMAP) return 0;
        if (a.origin == JLP_ORIGIN_WRAPPER_G2 && a.data && ((uintptr_t)a.data % 16) != 0) return 0;
        return 1;
    }
    jlp_iter it = jlp_iter_make(v);
    for (jlp_val *x; (x = jlp_iter_next(&it));) {
        if (!arrays_in_map(x, depth + 1)) return 0;
        if (jlp_get_type(v) == JLP_DICT && !arrays_in_map(jlp_iter_value(&it), depth + 1)) return 0;
    }
    if (jlp_get_type(v) == JLP_OBJECT) return arrays_in_map(jlp_obj_state(v), depth + 1);
    return 1;
}

int main(void) {
    const char *dir = getenv("JLP_JOBLIB_DIR");
    if (!dir) dir = "tests/joblib/golden";
    char path[4096];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    size_t mlen;
    char *manifest = slurp(path, &mlen);
    if (!manifest) {
        fprintf(stderr, "cannot read %s\n", path);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    int passed = 0, failed = 0;
    const char *quick = getenv("JLP_QUICK");
    size_t nth = 0;
    for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n")) {
        if (quick && *quick && strcmp(quick, "0") && nth++ % 10) continue;
        size_t jlen, mtlen, plen;
        char file[3800];
        snprintf(file, sizeof file, "%s/%s", dir, line);
        snprintf(path, sizeof path, "%s.json", file);
        char *want = slurp(path, &jlen);
        snprintf(path, sizeof path, "%s.meta", file);
        char *meta = slurp(path, &mtlen);
        char *raw = slurp(file, &plen);
        int ok = want && meta && raw;
        jlp_error err;
        jlp_doc *d = ok ? jlp_load_path(file, NULL, &err) : NULL;
        if (!d) {
            fprintf(stderr, "FAIL %s: %s at %llu: %s\n", line, ok ? jlp_error_name(err.code) : "missing files",
                    ok ? (unsigned long long)err.offset : 0ULL, ok ? err.msg : "");
            ok = 0;
        } else {
            char *got = export(d);
            if (!got || strcmp(got, want)) {
                fprintf(stderr, "FAIL %s\n  got:      %.400s\n  expected: %.400s\n", line, got ? got : "(null)", want);
                ok = 0;
            }
            char expect_meta[256];
            const char *gen = jlp_doc_generation(d);
            snprintf(expect_meta, sizeof expect_meta, "container=%s generation=%s protocol=%d\n",
                     jlp_doc_container(d), gen ? gen : "none", jlp_doc_protocol(d));
            if (strcmp(expect_meta, meta)) {
                fprintf(stderr, "FAIL %s: meta %s  expected %s", line, expect_meta, meta);
                ok = 0;
            }
            int uncompressed = !strcmp(jlp_doc_container(d), "none");
            free(got);
            jlp_doc_free(d);
            if (ok && uncompressed && !strstr(line, "legacy/")) {
                jlp_read_opts o = JLP_READ_OPTS_INIT;
                o.mmap = 1;
                d = jlp_load_path(file, &o, &err);
                got = d ? export(d) : NULL;
                if (!got || strcmp(got, want) || !arrays_in_map(jlp_doc_root(d), 0)) {
                    fprintf(stderr, "FAIL %s (mmap): %s\n", line, d ? "arrays not in the mapping or JSON differs" : err.msg);
                    ok = 0;
                }
                free(got);
                jlp_doc_free(d);
            }
            if (ok && !strstr(line, "legacy/")) {
                trickle t = {raw, plen};
                d = jlp_load_cb(trickle_read, &t, NULL, &err);
                got = d ? export(d) : NULL;
                if (!got || strcmp(got, want)) {
                    fprintf(stderr, "FAIL %s (streamed): %s\n", line, d ? "JSON differs" : err.msg);
                    ok = 0;
                }
                free(got);
                jlp_doc_free(d);
            }
        }
        if (ok) passed++;
        else failed++;
        free(want);
        free(meta);
        free(raw);
    }
    free(manifest);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
