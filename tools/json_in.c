/* json_in.c - iterative JSON reader (see json_in.h). */
#include "json_in.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jv_linecol(const char *text, size_t off, unsigned long *line, unsigned long *col) {
    unsigned long l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') { l++; c = 1; } else c++;
    }
    *line = l;
    *col = c;
}

__attribute__((format(printf, 5, 6))) static void seterr(char *err, size_t cap, const char *text, size_t off,
                                                       const char *fmt, ...) {
    unsigned long l, c;
    jv_linecol(text, off, &l, &c);
    int k = snprintf(err, cap, "%lu:%lu: ", l, c);
    if (k < 0 || (size_t)k >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + k, cap - (size_t)k, fmt, ap);
    va_end(ap);
}

typedef struct frame {
    jv *items;
    size_t n, cap;
    int is_obj;
    size_t start;
} frame;

static int push_item(frame *f, const jv *v) {
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 8;
        jv *p = realloc(f->items, nc * sizeof *p);
        if (!p) return -1;
        f->items = p;
        f->cap = nc;
    }
    f->items[f->n++] = *v;
    return 0;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Scan a string token starting at text[i] == '"'. @return index after the closing
 * quote, or 0 on error (err filled). */
static size_t scan_string(const char *t, size_t len, size_t i, char *err, size_t cap) {
    size_t s = i++;
    while (i < len) {
        unsigned char c = (unsigned char)t[i];
        if (c == '"') return i + 1;
        if (c < 0x20) { seterr(err, cap, t, i, "control character in string"); return 0; }
        if (c == '\\') {
            if (i + 1 >= len) break;
            char e = t[i + 1];
            if (e == 'u') {
                for (int k = 0; k < 4; k++)
                    if (i + 2 + (size_t)k >= len || hexval(t[i + 2 + k]) < 0) {
                        seterr(err, cap, t, i, "bad \\u escape");
                        return 0;
                    }
                i += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || !e) { seterr(err, cap, t, i, "bad escape"); return 0; }
            i += 2;
            continue;
        }
        i++;
    }
    seterr(err, cap, t, s, "unterminated string");
    return 0;
}

static size_t scan_number(const char *t, size_t len, size_t i, char *err, size_t cap) {
    size_t s = i;
    if (i < len && t[i] == '-') i++;
    if (i < len && t[i] == '0') i++;
    else if (i < len && t[i] >= '1' && t[i] <= '9') { while (i < len && t[i] >= '0' && t[i] <= '9') i++; }
    else goto bad;
    if (i < len && t[i] == '.') {
        i++;
        if (i >= len || t[i] < '0' || t[i] > '9') goto bad;
        while (i < len && t[i] >= '0' && t[i] <= '9') i++;
    }
    if (i < len && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < len && (t[i] == '+' || t[i] == '-')) i++;
        if (i >= len || t[i] < '0' || t[i] > '9') goto bad;
        while (i < len && t[i] >= '0' && t[i] <= '9') i++;
    }
    return i;
bad:
    seterr(err, cap, t, s, "malformed number");
    return 0;
}

static void free_items(jv *items, size_t n);

jv *jv_parse(const char *t, size_t len, char *err, size_t cap) {
    enum { S_VALUE, S_ARR_FIRST, S_OBJ_FIRST, S_KEY, S_COLON, S_AFTER } st = S_VALUE;
    frame *stk = NULL;
    size_t depth = 0, scap = 0;
    jv *root = NULL;
    size_t i = 0;
    jv v;
    if (err && cap) err[0] = 0;
    for (;;) {
        while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) i++;
        if (st == S_AFTER && depth == 0) {
            if (i != len) { seterr(err, cap, t, i, "unexpected text after the JSON value"); goto fail; }
            free(stk);
            return root;
        }
        if (i >= len) { seterr(err, cap, t, i, "unexpected end of input"); goto fail; }
        char c = t[i];
        frame *top = depth ? &stk[depth - 1] : NULL;
        if (st == S_COLON) {
            if (c != ':') { seterr(err, cap, t, i, "expected ':'"); goto fail; }
            i++;
            st = S_VALUE;
            continue;
        }
        if (st == S_AFTER) {
            if (c == ',') { i++; st = top->is_obj ? S_KEY : S_VALUE; continue; }
            if (c == (top->is_obj ? '}' : ']')) { i++; goto close; }
            seterr(err, cap, t, i, top->is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
            goto fail;
        }
        if ((st == S_ARR_FIRST && c == ']') || (st == S_OBJ_FIRST && c == '}')) { i++; goto close; }
        if (st == S_OBJ_FIRST || st == S_KEY) {
            if (c != '"') { seterr(err, cap, t, i, "expected a string key"); goto fail; }
            size_t e = scan_string(t, len, i, err, cap);
            if (!e) goto fail;
            memset(&v, 0, sizeof v);
            v.kind = JV_STR; v.start = i; v.end = e;
            if (push_item(top, &v)) goto nomem;
            i = e;
            st = S_COLON;
            continue;
        }
        /* a value */
        memset(&v, 0, sizeof v);
        v.start = i;
        if (c == '{' || c == '[') {
            if (depth == scap) {
                size_t nc = scap ? scap * 2 : 16;
                frame *p = realloc(stk, nc * sizeof *p);
                if (!p) goto nomem;
                stk = p;
                scap = nc;
            }
            frame *f = &stk[depth++];
            memset(f, 0, sizeof *f);
            f->is_obj = c == '{';
            f->start = i;
            i++;
            st = f->is_obj ? S_OBJ_FIRST : S_ARR_FIRST;
            continue;
        } else if (c == '"') {
            size_t e = scan_string(t, len, i, err, cap);
            if (!e) goto fail;
            v.kind = JV_STR; v.end = e;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t e = scan_number(t, len, i, err, cap);
            if (!e) goto fail;
            v.kind = JV_NUM; v.end = e;
        } else if (len - i >= 4 && !memcmp(t + i, "null", 4)) { v.kind = JV_NULL; v.end = i + 4; }
        else if (len - i >= 4 && !memcmp(t + i, "true", 4)) { v.kind = JV_TRUE; v.end = i + 4; }
        else if (len - i >= 5 && !memcmp(t + i, "false", 5)) { v.kind = JV_FALSE; v.end = i + 5; }
        else { seterr(err, cap, t, i, "expected a JSON value"); goto fail; }
        i = v.end;
        goto emit;
    close: {
            frame *f = &stk[depth - 1];
            memset(&v, 0, sizeof v);
            v.kind = f->is_obj ? JV_OBJ : JV_ARR;
            v.start = f->start;
            v.end = i;
            v.n = f->is_obj ? f->n / 2 : f->n;
            v.kids = f->items;
            if (f->n && f->n < f->cap) {
                jv *p = realloc(f->items, f->n * sizeof *p);
                if (p) v.kids = p;
            }
            if (!f->n) { free(f->items); v.kids = NULL; }
            depth--;
        }
    emit:
        if (depth == 0) {
            root = malloc(sizeof *root);
            if (!root) { free_items(v.kids, v.kind == JV_OBJ ? 2 * v.n : v.n); goto nomem; }
            *root = v;
        } else if (push_item(&stk[depth - 1], &v)) {
            free_items(v.kids, v.kind == JV_OBJ ? 2 * v.n : v.n);
            goto nomem;
        }
        st = S_AFTER;
    }
nomem:
    seterr(err, cap, t, i, "out of memory");
fail:
    while (depth) {
        depth--;
        free_items(stk[depth].items, stk[depth].n);
    }
    free(stk);
    jv_free(root);
    return NULL;
}

/* free an array of nodes and everything below, iteratively */
static void free_items(jv *items, size_t n) {
    if (!items) return;
    typedef struct { jv *p; size_t n; } blk;
    blk *stk = NULL;
    size_t d = 0, cap = 0;
    blk cur = { items, n };
    for (;;) {
        for (size_t k = 0; k < cur.n; k++) {
            jv *x = &cur.p[k];
            if (x->kids) {
                if (d == cap) {
                    size_t nc = cap ? cap * 2 : 16;
                    blk *q = realloc(stk, nc * sizeof *q);
                    if (!q) { /* leak rather than recurse */ continue; }
                    stk = q;
                    cap = nc;
                }
                stk[d].p = x->kids;
                stk[d].n = x->kind == JV_OBJ ? 2 * x->n : x->n;
                d++;
            }
        }
        free(cur.p);
        if (!d) break;
        cur = stk[--d];
    }
    free(stk);
}

void jv_free(jv *root) {
    if (!root) return;
    free_items(root, 1);
}

/* append the UTF-8 of code unit u (surrogates as their 3-byte form) */
static size_t put_utf8(char *o, unsigned u) {
    if (u < 0x80) { o[0] = (char)u; return 1; }
    if (u < 0x800) { o[0] = (char)(0xC0 | (u >> 6)); o[1] = (char)(0x80 | (u & 63)); return 2; }
    o[0] = (char)(0xE0 | (u >> 12));
    o[1] = (char)(0x80 | ((u >> 6) & 63));
    o[2] = (char)(0x80 | (u & 63));
    return 3;
}

char *jv_str(const char *t, const jv *s, size_t *len) {
    size_t n = s->end - s->start;
    char *o = malloc(n + 1);
    if (!o) return NULL;
    size_t k = 0;
    for (size_t i = s->start + 1; i + 1 < s->end;) {
        char c = t[i];
        if (c != '\\') { o[k++] = c; i++; continue; }
        char e = t[i + 1];
        switch (e) {
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            unsigned u = 0;
            for (int q = 0; q < 4; q++) u = u * 16 + (unsigned)hexval(t[i + 2 + q]);
            k += put_utf8(o + k, u);
            i += 6;
            continue;
        }
        default: o[k++] = e; break;
        }
        i += 2;
    }
    o[k] = 0;
    if (len) *len = k;
    return o;
}

int jv_str_eq(const char *t, const jv *s, const char *key, size_t klen) {
    if (!s || s->kind != JV_STR) return 0;
    /* fast path: no escapes */
    size_t n = s->end - s->start - 2;
    if (!memchr(t + s->start + 1, '\\', n)) return n == klen && !memcmp(t + s->start + 1, key, klen);
    size_t dl;
    char *d = jv_str(t, s, &dl);
    int eq = d && dl == klen && !memcmp(d, key, klen);
    free(d);
    return eq;
}

jv *jv_get(const char *t, const jv *obj, const char *key) {
    if (!obj || obj->kind != JV_OBJ) return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < obj->n; i++)
        if (jv_str_eq(t, &obj->kids[2 * i], key, kl)) return &obj->kids[2 * i + 1];
    return NULL;
}

jv *jv_tag(const char *t, const jv *obj, const char **tag, size_t *taglen) {
    if (!obj || obj->kind != JV_OBJ || obj->n != 1) return NULL;
    const jv *k = &obj->kids[0];
    if (k->end - k->start < 3 || t[k->start + 1] != '$') return NULL;
    *tag = t + k->start + 1;
    *taglen = k->end - k->start - 2;
    return &obj->kids[1];
}

long jv_pointer_split(const char *p, size_t len, jv_token **toks) {
    *toks = NULL;
    if (len == 0) return 0;
    if (p[0] != '/') return -1;
    long n = 0;
    for (size_t i = 0; i < len; i++) n += p[i] == '/';
    jv_token *tk = calloc((size_t)n, sizeof *tk);
    if (!tk) return -1;
    size_t i = 1;
    for (long k = 0; k < n; k++) {
        size_t e = i;
        while (e < len && p[e] != '/') e++;
        tk[k].s = malloc(e - i + 1);
        if (!tk[k].s) { jv_tokens_free(tk, n); return -1; }
        size_t o = 0;
        for (size_t q = i; q < e; q++) {
            if (p[q] == '~' && q + 1 < e && (p[q + 1] == '0' || p[q + 1] == '1')) {
                tk[k].s[o++] = p[q + 1] == '0' ? '~' : '/';
                q++;
            } else tk[k].s[o++] = p[q];
        }
        tk[k].s[o] = 0;
        tk[k].len = o;
        i = e + 1;
    }
    *toks = tk;
    return n;
}

void jv_tokens_free(jv_token *toks, long n) {
    if (!toks) return;
    for (long k = 0; k < n; k++) free(toks[k].s);
    free(toks);
}

int jv_token_index(const jv_token *t, uint64_t *out) {
    if (!t->len || t->len > 19 || (t->len > 1 && t->s[0] == '0')) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < t->len; i++) {
        if (t->s[i] < '0' || t->s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(t->s[i] - '0');
    }
    *out = v;
    return 0;
}

jv *jv_follow(const char *t, jv *node, const jv_token *toks, long n) {
    for (long k = 0; k < n && node; k++) {
        if (node->kind == JV_ARR) {
            uint64_t ix;
            if (jv_token_index(&toks[k], &ix) || ix >= node->n) return NULL;
            node = &node->kids[ix];
        } else if (node->kind == JV_OBJ) {
            jv *found = NULL;
            for (size_t i = 0; i < node->n && !found; i++)
                if (jv_str_eq(t, &node->kids[2 * i], toks[k].s, toks[k].len)) found = &node->kids[2 * i + 1];
            node = found;
        } else return NULL;
    }
    return node;
}
