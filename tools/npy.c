/* npy.c - the .npy reader of jldump --from-json and the descr literal of a JSON dtype
 * (see npy.h). */
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

static void descr(sbuf *b, const char *text, const jv *d, int depth) {
    if (depth > 32) { b->bad = 1; return; }
    if (d->kind == JV_STR) { pystr(b, text, d); return; }
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

static const char *skipws(const char *p) { while (*p == ' ') p++; return p; }

int npy_read(const char *path, npy_file *f, char *err, size_t cap) {
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    char *h = NULL;
    if (!fp) { snprintf(err, cap, "%s: %s", path, strerror(errno)); return -1; }
    unsigned char m[12];
    size_t hl;
    if (fread(m, 1, 10, fp) != 10 || memcmp(m, "\x93NUMPY", 6)) goto notnpy;
    if (m[6] == 1) hl = (size_t)m[8] | (size_t)m[9] << 8;
    else if (m[6] == 2 || m[6] == 3) {
        if (fread(m + 10, 1, 2, fp) != 2) goto notnpy;
        hl = (size_t)m[8] | (size_t)m[9] << 8 | (size_t)m[10] << 16 | (size_t)m[11] << 24;
        if (hl > (1u << 24)) goto notnpy;
    } else goto notnpy;
    h = malloc(hl + 1);
    if (!h || fread(h, 1, hl, fp) != hl) goto notnpy;
    h[hl] = 0;
    /* {'descr': X, 'fortran_order': B, 'shape': (..), } in any key order */
    const char *d = strstr(h, "'descr':"), *fo = strstr(h, "'fortran_order':"), *sh = strstr(h, "'shape':");
    if (!d || !fo || !sh) goto notnpy;
    d = skipws(d + 8);
    const char *e = d;
    if (*d == '\'') {
        e = strchr(d + 1, '\'');
        if (!e) goto notnpy;
        f->descr = strndup(d + 1, (size_t)(e - d - 1));
    } else if (*d == '[') {
        int lvl = 0, q = 0;
        for (; *e; e++) {
            if (q) { if (*e == '\\' && e[1]) e++; else if (*e == '\'') q = 0; continue; }
            if (*e == '\'') q = 1;
            else if (*e == '[' || *e == '(') lvl++;
            else if ((*e == ']' || *e == ')') && --lvl == 0) break;
        }
        if (!*e) goto notnpy;
        f->descr = strndup(d, (size_t)(e - d + 1));
    } else goto notnpy;
    fo = skipws(fo + 16);
    f->fortran = !strncmp(fo, "True", 4);
    sh = skipws(sh + 8);
    if (*sh != '(') goto notnpy;
    sh++;
    for (;;) {
        sh = skipws(sh);
        if (*sh == ')') break;
        char *end;
        unsigned long long v = strtoull(sh, &end, 10);
        if (end == sh || f->ndim >= 64) goto notnpy;
        f->shape[f->ndim++] = v;
        sh = skipws(end);
        if (*sh == ',') sh++;
    }
    long pos = ftell(fp);
    if (fseek(fp, 0, SEEK_END) || pos < 0) goto notnpy;
    long endp = ftell(fp);
    if (endp < pos || fseek(fp, pos, SEEK_SET)) goto notnpy;
    f->nbytes = (size_t)(endp - pos);
    f->data = malloc(f->nbytes ? f->nbytes : 1);
    if (!f->data || fread(f->data, 1, f->nbytes, fp) != f->nbytes) goto notnpy;
    free(h);
    fclose(fp);
    return 0;
notnpy:
    snprintf(err, cap, "%s: not a readable .npy file", path);
    free(h);
    fclose(fp);
    npy_free(f);
    return -1;
}

void npy_free(npy_file *f) {
    free(f->descr);
    free(f->data);
    f->descr = NULL;
    f->data = NULL;
}
