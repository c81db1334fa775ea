/*
 * c_regress.c - small reproductions of library bugs the interop suite found (fixed;
 * each check fails if its bug comes back). Each check prints "ok - ..." or
 * "FAIL - ..."; the last line is "N passed, N failed". See tests/interop/README.md
 * ("Regressions") for the diagnosis of each.
 */
#include "jlpickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

static void report(int ok, const char *name, const char *detail) {
    if (ok) {
        passed++;
        printf("ok - %s\n", name);
    } else {
        failed++;
        printf("FAIL - %s: %s\n", name, detail);
    }
}

/* ---- 1. the writer's output depends on where the nodes happen to be in memory --------
 *
 * A document with more than 128 identifier-like strings (the writer looks those up by
 * value, as Python shares interned strings) followed by repeats of some of them. The same
 * document built twice, at different addresses, must give the same bytes, and every
 * repeat must be a memo fetch, as in Python. */
static jlp_doc *interned_doc(size_t junk) {
    void *pad = malloc(junk); /* move the next allocations around */
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_val *root = jlp_new_dict(d);
    char key[32];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "key_%d", i);
        jlp_dict_set_str(d, root, key, jlp_new_int(d, i));
    }
    jlp_val *again = jlp_new_list(d);
    for (int i = 0; i < 300; i += 7) {
        snprintf(key, sizeof key, "key_%d", i);
        jlp_list_append(d, again, jlp_new_strz(d, key)); /* a new node with an old value */
    }
    jlp_dict_set_str(d, root, "again", again);
    jlp_doc_set_root(d, root);
    free(pad);
    return d;
}

static void interned_map_determinism(void) {
    void *first = NULL;
    size_t first_len = 0;
    int differ = 0, runs = 12, repeats = 0;
    size_t min_len = (size_t)-1, max_len = 0;
    for (int r = 0; r < runs; r++) {
        jlp_doc *d = interned_doc((size_t)r * 4099 + 1);
        void *out = NULL;
        size_t len = 0;
        jlp_error err;
        if (jlp_dump_mem(jlp_doc_root(d), NULL, &out, &len, &err) != JLP_OK) {
            report(0, "writer output does not depend on node addresses", err.msg);
            jlp_doc_free(d);
            free(first);
            return;
        }
        min_len = len < min_len ? len : min_len;
        max_len = len > max_len ? len : max_len;
        if (!first) {
            /* each repeated string must be fetched from the memo: its text occurs once */
            for (int i = 0; i < 300; i += 7) {
                char key[32];
                int n = snprintf(key, sizeof key, "key_%d", i), seen = 0;
                for (size_t at = 0; at + (size_t)n <= len; at++)
                    if (!memcmp((char *)out + at, key, (size_t)n) &&
                        (at + (size_t)n == len || ((char *)out)[at + n] < '0' || ((char *)out)[at + n] > '9'))
                        seen++;
                repeats += seen > 1;
            }
            first = out;
            first_len = len;
        } else {
            differ += len != first_len || memcmp(out, first, len) != 0;
            free(out);
        }
        jlp_doc_free(d);
    }
    char detail[200];
    snprintf(detail, sizeof detail, "%d of %d dumps of the same document differ from the first (sizes %zu..%zu)",
             differ, runs - 1, min_len, max_len);
    report(differ == 0, "writer output does not depend on node addresses (> 128 interned strings)", detail);
    snprintf(detail, sizeof detail, "%d of 43 repeated identifier strings written again instead of fetched from the memo",
             repeats);
    report(repeats == 0, "repeated interned strings are memo fetches (> 128 interned strings)", detail);
    free(first);
}

int main(void) {
    interned_map_determinism();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
