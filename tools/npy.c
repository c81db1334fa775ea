/* npy.c - the Python literal of a dtype given in JSON (see npy.h). */
#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sbuf { char *p; size_t n, cap; int bad; } sbuf;

static void put(sbuf *b, const char *s, size_t n) {
    if (b->bad || b->n + n + 1 > b->cap) { b->bad = 1; return; }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void pystr(sbuf *b, const char *text, const jv *s) {
    size_t n;
    char *d = jv_str(text, s, &n);
    if (!d) { b->bad = 1; return; }
    puts_(b, "'");
    for (size_t i = 0; i < n; i++) {
        if (d[i] == '\'' || d[i] == '\\') put(b, "\\", 1);
        put(b, d + i, 1);
    }
    puts_(b, "'");
    free(d);
}

static void shape_tuple(sbuf *b, const char *text, const jv *a) {
    if (a->kind != JV_ARR) { b->bad = 1; return; }
    puts_(b, "(");
    for (size_t i = 0; i < a->n; i++) {
        if (a->kids[i].kind != JV_NUM) { b->bad = 1; return; }
        if (i) puts_(b, ", ");
        put(b, text + a->kids[i].start, a->kids[i].end - a->kids[i].start);
    }
    puts_(b, a->n == 1 ? ",)" : ")");
}

static void descr(sbuf *b, const char *text, const jv *d, int depth);

/* Whether a format of the dict form is a subarray, [base, [shape]]: a descr list's
 * entries never end in an array of numbers. */
static int is_subarray(const jv *f) {
    if (f->kind != JV_ARR || f->n != 2 || f->kids[1].kind != JV_ARR) return 0;
    for (size_t i = 0; i < f->kids[1].n; i++)
        if (f->kids[1].kids[i].kind != JV_NUM) return 0;
    return 1;
}

/* numpy's dict form, {"names":[...],"formats":[...],"offsets":[...],"titles":[...],
 * "itemsize":N}, as the Python dict numpy.dtype() takes. */
static void dtype_dict(sbuf *b, const char *text, const jv *d, int depth) {
    puts_(b, "{");
    for (size_t i = 0; i < d->n; i++) {
        const jv *k = &d->kids[2 * i], *v = &d->kids[2 * i + 1];
        if (i) puts_(b, ", ");
        pystr(b, text, k);
        puts_(b, ": ");
        if (jv_str_eq(text, k, "itemsize", 8)) {
            if (v->kind != JV_NUM) { b->bad = 1; return; }
            put(b, text + v->start, v->end - v->start);
            continue;
        }
        if (v->kind != JV_ARR) { b->bad = 1; return; }
        puts_(b, "[");
        for (size_t j = 0; j < v->n; j++) {
            const jv *x = &v->kids[j];
            if (j) puts_(b, ", ");
            if (jv_str_eq(text, k, "formats", 7) && is_subarray(x)) {
                puts_(b, "(");
                descr(b, text, &x->kids[0], depth + 1);
                puts_(b, ", ");
                shape_tuple(b, text, &x->kids[1]);
                puts_(b, ")");
            } else if (jv_str_eq(text, k, "formats", 7)) {
                descr(b, text, x, depth + 1);
            } else if (x->kind == JV_NUM) {
                put(b, text + x->start, x->end - x->start);
            } else if (x->kind == JV_STR) {
                pystr(b, text, x);
            } else if (x->kind == JV_NULL) {
                puts_(b, "None");
            } else {
                b->bad = 1;
                return;
            }
        }
        puts_(b, "]");
    }
    puts_(b, "}");
}

static void descr(sbuf *b, const char *text, const jv *d, int depth) {
    if (depth > 32) { b->bad = 1; return; }
    if (d->kind == JV_STR) { pystr(b, text, d); return; }
    if (d->kind == JV_OBJ) { dtype_dict(b, text, d, depth); return; }
    if (d->kind != JV_ARR) { b->bad = 1; return; }
    puts_(b, "[");
    for (size_t i = 0; i < d->n; i++) {
        const jv *f = &d->kids[i];
        if (f->kind != JV_ARR || f->n < 2 || f->n > 3) { b->bad = 1; return; }
        if (i) puts_(b, ", ");
        puts_(b, "(");
        const jv *name = &f->kids[0];
        if (name->kind == JV_ARR && name->n == 2) {
            puts_(b, "(");
            pystr(b, text, &name->kids[0]);
            puts_(b, ", ");
            pystr(b, text, &name->kids[1]);
            puts_(b, ")");
        } else if (name->kind == JV_STR) pystr(b, text, name);
        else { b->bad = 1; return; }
        puts_(b, ", ");
        descr(b, text, &f->kids[1], depth + 1);
        if (f->n == 3) { puts_(b, ", "); shape_tuple(b, text, &f->kids[2]); }
        puts_(b, ")");
    }
    puts_(b, "]");
}

int npy_descr_py(const char *text, const jv *d, char *buf, size_t cap) {
    sbuf b = { buf, 0, cap, 0 };
    if (cap) buf[0] = 0;
    descr(&b, text, d, 0);
    return b.bad ? -1 : 0;
}

