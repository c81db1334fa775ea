/*
 * viewrun.c - the C side of the randomized typed-view test (tests/views/views.py).
 *
 * viewrun FILE: loads FILE (a joblib file whose root is a list of ndarrays), asks
 * jlp_array_as for every element type (JLP_B8 .. JLP_C128), without and with
 * JLP_AS_ROUND, and prints one line per call:
 *
 *   I T R OK COPIED SHAPE HEX     the view's shape (extents joined by ',', '-' for 0-d)
 *                                 and its elements' bytes in hex ('-' for none)
 *   I T R CODE MESSAGE            any other result: the error name and err.msg
 *
 * I is the array's index in the list, T the jlp_elem, R 1 with JLP_AS_ROUND. Each view
 * is asked for twice: the second call must give the same bytes at the same address
 * (the conversion is kept), else the line says MISMATCH. Exit status 2 when the file
 * does not load or its root is no list.
 */
#include "jlpickle.h"

#include <stdio.h>
#include <string.h>

static void put_view(const jlp_view *v) {
    if (!v->ndim) {
        fputs(" -", stdout);
    } else {
        for (uint32_t k = 0; k < v->ndim; k++) printf("%c%llu", k ? ',' : ' ', (unsigned long long)v->shape[k]);
    }
    if (!v->count) {
        fputs(" -\n", stdout);
        return;
    }
    putchar(' ');
    const unsigned char *p = v->data;
    for (uint64_t i = 0; i < v->count; i++)
        for (uint32_t b = 0; b < v->elem_size; b++) printf("%02x", p[i * (uint64_t)v->stride + b]);
    putchar('\n');
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: viewrun FILE\n");
        return 2;
    }
    jlp_error err;
    jlp_doc *doc = jlp_load_path(argv[1], NULL, &err);
    jlp_val *root = jlp_doc_root(doc);
    if (jlp_get_type(root) != JLP_LIST) {
        fprintf(stderr, "viewrun: %s: %s: %s\n", argv[1], jlp_error_name(err.code), doc ? "not a list" : err.msg);
        jlp_doc_free(doc);
        return 2;
    }
    for (size_t i = 0; i < jlp_len(root); i++) {
        const jlp_val *arr = jlp_item(root, i);
        for (int t = JLP_B8; t <= JLP_C128; t++) {
            for (int r = 0; r < 2; r++) {
                unsigned flags = r ? JLP_AS_ROUND : 0;
                jlp_view v = JLP_VIEW_INIT, w = JLP_VIEW_INIT;
                jlp_code c = jlp_array_as(arr, (jlp_elem)t, flags, &v, &err);
                printf("%zu %d %d ", i, t, r);
                if (c != JLP_OK) {
                    printf("%s %s\n", jlp_error_name(c), err.msg);
                    continue;
                }
                jlp_code c2 = jlp_array_as(arr, (jlp_elem)t, flags, &w, &err);
                if (c2 != JLP_OK || w.data != v.data || w.count != v.count || w.copied != v.copied ||
                    v.elem != (jlp_elem)t || v.stride != (int64_t)v.elem_size) {
                    printf("MISMATCH a second view differs or the view is not packed\n");
                    continue;
                }
                printf("OK %u", (unsigned)v.copied);
                put_view(&v);
            }
        }
    }
    jlp_doc_free(doc);
    return 0;
}
