/*
 * test_golden.c - every pickle of a golden set (tests/pickle/golden, or $JLP_GOLDEN_DIR)
 * must export exactly the JSON that the Python-side reference computed. Each file is
 * loaded twice: from memory, and through a read callback that hands out a few bytes at
 * a time, so the streaming paths must give the same result. JLP_QUICK=1 (the valgrind
 * pass) checks every 10th file only.
 */
#include "jlpickle.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct { const char *p; size_t left, chunk; } trickle;
static long long trickle_read(void *ctx, void *buf, size_t cap) {
    trickle *t = ctx;
    size_t k = t->left < t->chunk ? t->left : t->chunk;
    if (k > cap) k = cap;
    memcpy(buf, t->p, k);
    t->p += k;
    t->left -= k;
    return (long long)k;
}

/* Export every pickle in `src` one after another; NULL on error (printed). */
static char *export_all(jlp_source *src, const char *name, const char *how) {
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    out[0] = 0;
    jlp_error err;
    while (jlp_source_at_eof(src, &err) == 0) {
        jlp_doc *doc = jlp_load(src, NULL, &err);
        if (!doc) {
            fprintf(stderr, "FAIL %s (%s): error at byte %llu: %s: %s\n", name, how,
                    (unsigned long long)err.offset, jlp_error_name(err.code), err.msg);
            free(out);
            return NULL;
        }
        size_t len;
        char *js = jlp_export_json_str(jlp_doc_root(doc), NULL, &len, &err);
        jlp_doc_free(doc);
        if (!js) { free(out); return NULL; }
        while (n + len + 1 > cap) out = realloc(out, cap *= 2);
        memcpy(out + n, js, len + 1);
        n += len;
        free(js);
    }
    return out;
}

int main(void) {
    const char *dir = getenv("JLP_GOLDEN_DIR");
    if (!dir) dir = "tests/pickle/golden";
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
        size_t plen, jlen;
        snprintf(path, sizeof path, "%s/%s.pickle", dir, line);
        char *pk = slurp(path, &plen);
        snprintf(path, sizeof path, "%s/%s.json", dir, line);
        char *want = slurp(path, &jlen);
        if (!pk || !want) {
            fprintf(stderr, "FAIL %s: missing .pickle or .json\n", line);
            failed++;
            free(pk); free(want);
            continue;
        }
        jlp_source *mem = jlp_source_mem(pk, plen, NULL, NULL);
        char *got = export_all(mem, line, "memory");
        jlp_source_free(mem);
        trickle t = {pk, plen, 7};
        jlp_source *cb = jlp_source_cb(trickle_read, &t, NULL, NULL);
        char *got2 = export_all(cb, line, "7-byte reads");
        jlp_source_free(cb);
        if (!got || !got2) {
            failed++;
        } else if (strcmp(got, want) != 0 || strcmp(got2, want) != 0) {
            fprintf(stderr, "FAIL %s\n  got:      %.600s\n  expected: %.600s\n", line,
                    strcmp(got, want) ? got : got2, want);
            failed++;
        } else {
            passed++;
        }
        free(got); free(got2); free(pk); free(want);
    }
    free(manifest);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
