/* from_json.c - tagged JSON (spec/JSON.md) to a document with the builder API. */
#include "from_json.h"

#include "json_in.h"
#include "npy.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    const char *t;
    size_t len;
    jv *root;
    jlp_doc *doc;
    const char *base;
    char *msg;
    size_t cap;
    int failed;
} ctx;

__attribute__((format(printf, 3, 4))) static void fail(ctx *c, const jv *at, const char *fmt, ...) {
    if (c->failed) return;
    c->failed = 1;
    unsigned long l, col;
    jv_linecol(c->t, at ? at->start : 0, &l, &col);
    int k = snprintf(c->msg, c->cap, "%lu:%lu: ", l, col);
    if (k < 0 || (size_t)k >= c->cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg + k, c->cap - (size_t)k, fmt, ap);
    va_end(ap);
}

static int tag_is(const char *tag, size_t tl, const char *s) { return strlen(s) == tl && !memcmp(tag, s, tl); }

/* ---- scalars ------------------------------------------------------------------------ */

static int is_float_text(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) if (p[i] == '.' || p[i] == 'e' || p[i] == 'E') return 1;
    return 0;
}

/* two's complement little-endian bytes of a decimal or hexadecimal ("0x..") integer */
static jlp_val *bigint_text(ctx *c, const jv *at, const char *p, size_t n, int hex) {
    int neg = n && p[0] == '-';
    if (neg) { p++; n--; }
    if (hex) {
        if (n < 3 || p[0] != '0' || (p[1] != 'x' && p[1] != 'X')) { fail(c, at, "bad hexadecimal integer"); return NULL; }
        p += 2; n -= 2;
    }
    size_t cap = n / 2 + 2;
    uint8_t *b = calloc(cap, 1);
    if (!b) { fail(c, at, "out of memory"); return NULL; }
    unsigned base = hex ? 16 : 10;
    for (size_t i = 0; i < n; i++) {
        int d = p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10
              : p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10 : 99;
        if (d >= (int)base) { free(b); fail(c, at, "bad digit in integer"); return NULL; }
        unsigned carry = (unsigned)d;
        for (size_t k = 0; k < cap; k++) {
            unsigned v = b[k] * base + carry;
            b[k] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    if (neg) {
        unsigned carry = 1;
        for (size_t k = 0; k < cap; k++) {
            unsigned v = (uint8_t)~b[k] + carry;
            b[k] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    jlp_val *v = jlp_new_bigint(c->doc, b, cap);
    free(b);
    return v;
}

static jlp_val *number(ctx *c, const jv *x) {
    const char *p = c->t + x->start;
    size_t n = x->end - x->start;
    if (is_float_text(p, n)) return jlp_new_float(c->doc, strtod(p, NULL));
    errno = 0;
    long long v = strtoll(p, NULL, 10);
    if (errno == ERANGE) return bigint_text(c, x, p, n, 0);
    return jlp_new_int(c->doc, v);
}

static int get_double(ctx *c, const jv *x, double *out) {
    const char *tag;
    size_t tl;
    jv *in;
    if (x->kind == JV_NUM) { *out = strtod(c->t + x->start, NULL); return 0; }
    if ((in = jv_tag(c->t, x, &tag, &tl)) && tag_is(tag, tl, "$float") && in->kind == JV_STR) {
        if (jv_str_eq(c->t, in, "nan", 3)) *out = NAN;
        else if (jv_str_eq(c->t, in, "inf", 3)) *out = INFINITY;
        else if (jv_str_eq(c->t, in, "-inf", 4)) *out = -INFINITY;
        else goto bad;
        return 0;
    }
bad:
    fail(c, x, "expected a float");
    return -1;
}

static int b64(int ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* decode base64 of a JV_STR into a malloc()ed buffer */
static uint8_t *base64(ctx *c, const jv *s, size_t *len) {
    if (s->kind != JV_STR) { fail(c, s, "expected a base64 string"); return NULL; }
    const char *p = c->t + s->start + 1;
    size_t n = s->end - s->start - 2;
    uint8_t *o = malloc(n / 4 * 3 + 3);
    if (!o) { fail(c, s, "out of memory"); return NULL; }
    size_t k = 0;
    if (n % 4) goto bad;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int q = 0; q < 4; q++) {
            v[q] = p[i + q] == '=' && i + 4 == n && q >= 2 ? -2 : b64((unsigned char)p[i + q]);
            if (v[q] == -1) goto bad;
        }
        if (v[2] == -2 && v[3] != -2) goto bad;
        o[k++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
        if (v[2] >= 0) o[k++] = (uint8_t)(v[1] << 4 | v[2] >> 2);
        if (v[3] >= 0) o[k++] = (uint8_t)(v[2] << 6 | v[3]);
    }
    *len = k;
    return o;
bad:
    free(o);
    fail(c, s, "malformed base64");
    return NULL;
}

static jlp_val *global(ctx *c, const jv *s) {
    size_t n;
    char *q = s->kind == JV_STR ? jv_str(c->t, s, &n) : NULL;
    if (!q) { fail(c, s, "expected \"module.qualname\""); return NULL; }
    /* module and qualname are not told apart in the text: the qualname starts at the
     * first dotted component that begins with a capital letter (Outer.Inner), else it
     * is the last component */
    char *cut = NULL;
    for (char *d = strchr(q, '.'); d; d = strchr(d + 1, '.'))
        if (d[1] >= 'A' && d[1] <= 'Z') { cut = d; break; }
    if (!cut) cut = strrchr(q, '.');
    jlp_val *v = NULL;
    if (!cut || cut == q || !cut[1]) fail(c, s, "expected \"module.qualname\"");
    else {
        *cut = 0;
        v = jlp_new_global(c->doc, q, cut + 1);
    }
    free(q);
    return v;
}

static jlp_val *dtype(ctx *c, const jv *d) {
    jlp_error err;
    jlp_val *v = NULL;
    if (d->kind == JV_STR) {
        char *s = jv_str(c->t, d, NULL);
        if (s) v = jlp_new_dtype(c->doc, s, &err);
        free(s);
    } else {
        size_t cap = (d->end - d->start) * 2 + 64;
        char *lit = malloc(cap);
        if (lit && npy_descr_py(c->t, d, lit, cap) == 0) v = jlp_new_dtype(c->doc, lit, &err);
        else err.code = JLP_E_BAD_DTYPE, snprintf(err.msg, sizeof err.msg, "malformed dtype description");
        free(lit);
    }
    if (!v) fail(c, d, "bad dtype: %s", err.msg);
    return v;
}

/* ---- array items -------------------------------------------------------------------- */

static uint16_t to_half(double d) {
    float f = (float)d;
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, mant = x & 0x7fffff;
    int32_t e8 = (int32_t)((x >> 23) & 0xff), exp = e8 - 127 + 15;
    if (e8 == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    if (exp >= 31) return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000;
        unsigned shift = (unsigned)(14 - exp);
        uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = sign | (uint32_t)exp << 10 | mant >> 13, rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
    return (uint16_t)h;
}

static int host_little(void) { const uint16_t one = 1; return *(const uint8_t *)&one; }

static void swap_units(uint8_t *p, size_t n, size_t unit) {
    for (size_t o = 0; o + unit <= n; o += unit)
        for (size_t i = 0; i < unit / 2; i++) {
            uint8_t t = p[o + i];
            p[o + i] = p[o + unit - 1 - i];
            p[o + unit - 1 - i] = t;
        }
}

static int leaves(ctx *c, const jv *data, uint32_t ndim, const uint64_t *shape, jv ***out, uint64_t *count);
static int encode(ctx *c, const jlp_val *dt, const jv *x, uint8_t *o, int depth);

/* one item of dtype dt from x into o (itemsize bytes, zeroed by the caller) */
static int encode(ctx *c, const jlp_val *dt, const jv *x, uint8_t *o, int depth) {
    char kind = jlp_dtype_kind(dt);
    size_t is = (size_t)jlp_dtype_itemsize(dt);
    const char *tag;
    size_t tl;
    jv *in;
    if (depth > 32) { fail(c, x, "dtype nested too deeply"); return -1; }
    size_t nsub;
    const uint64_t *subshape;
    const jlp_val *base = jlp_dtype_subarray(dt, &nsub, &subshape);
    if (base) {
        jv **lv;
        uint64_t cnt;
        if (leaves(c, x, (uint32_t)nsub, subshape, &lv, &cnt)) return -1;
        size_t bis = (size_t)jlp_dtype_itemsize(base);
        for (uint64_t i = 0; i < cnt; i++)
            if (encode(c, base, lv[i], o + i * bis, depth + 1)) { free(lv); return -1; }
        free(lv);
        return 0;
    }
    size_t nf = jlp_dtype_nfields(dt);
    if (nf) {
        if (x->kind != JV_ARR || x->n != nf) { fail(c, x, "expected a record of %zu fields", nf); return -1; }
        for (size_t i = 0; i < nf; i++) {
            uint64_t off;
            const jlp_val *fd = jlp_dtype_field(dt, i, NULL, NULL, &off);
            if (encode(c, fd, &x->kids[i], o + off, depth + 1)) return -1;
        }
        return 0;
    }
    int swap = (jlp_dtype_byteorder(dt) == '>') == host_little();
    switch (kind) {
    case 'b':
        if (x->kind != JV_TRUE && x->kind != JV_FALSE) break;
        o[0] = x->kind == JV_TRUE;
        return 0;
    case 'i': case 'u': case 'M': case 'm': {
        if (x->kind != JV_NUM || is_float_text(c->t + x->start, x->end - x->start) || is > 8) break;
        uint64_t u;
        errno = 0;
        if (kind == 'u') u = strtoull(c->t + x->start, NULL, 10);
        else u = (uint64_t)strtoll(c->t + x->start, NULL, 10);
        if (errno) { fail(c, x, "integer out of range for the dtype"); return -1; }
        for (size_t i = 0; i < is; i++) o[i] = (uint8_t)(u >> (8 * i));
        if (!host_little()) swap_units(o, is, is);
        if (swap) swap_units(o, is, is);
        return 0;
    }
    case 'f': case 'c': {
        double v[2] = { 0, 0 };
        size_t parts = kind == 'c' ? 2 : 1, unit = is / parts;
        if (kind == 'c') {
            if (!(in = jv_tag(c->t, x, &tag, &tl)) || !tag_is(tag, tl, "$complex") || in->kind != JV_ARR || in->n != 2) break;
            if (get_double(c, &in->kids[0], &v[0]) || get_double(c, &in->kids[1], &v[1])) return -1;
        } else if (get_double(c, x, &v[0])) return -1;
        for (size_t p = 0; p < parts; p++) {
            if (unit == 8) memcpy(o + 8 * p, &v[p], 8);
            else if (unit == 4) { float f = (float)v[p]; memcpy(o + 4 * p, &f, 4); }
            else if (unit == 2) { uint16_t h = to_half(v[p]); memcpy(o + 2 * p, &h, 2); }
            else { fail(c, x, "float of %zu bytes not supported", unit); return -1; }
        }
        if (swap) swap_units(o, is, unit);
        return 0;
    }
    case 'S': case 'V': {
        if (!(in = jv_tag(c->t, x, &tag, &tl)) || !tag_is(tag, tl, "$bytes")) break;
        size_t n;
        uint8_t *b = base64(c, in, &n);
        if (!b) return -1;
        if (n > is) { free(b); fail(c, x, "%zu bytes do not fit an item of %zu", n, is); return -1; }
        memcpy(o, b, n);
        free(b);
        return 0;
    }
    case 'U': {
        if (x->kind != JV_STR) break;
        size_t n;
        char *s = jv_str(c->t, x, &n);
        size_t k = 0;
        for (size_t i = 0; s && i < n;) {
            unsigned char b0 = (unsigned char)s[i];
            uint32_t cp;
            int l = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
            cp = l == 1 ? b0 : l == 2 ? b0 & 31u : l == 3 ? b0 & 15u : b0 & 7u;
            for (int q = 1; q < l && i + (size_t)q < n; q++) cp = cp << 6 | ((unsigned char)s[i + q] & 63u);
            i += (size_t)l;
            if ((k + 1) * 4 > is) { free(s); fail(c, x, "string does not fit the dtype"); return -1; }
            for (int q = 0; q < 4; q++) o[4 * k + (size_t)q] = (uint8_t)(cp >> (8 * q));
            k++;
        }
        free(s);
        if (swap) swap_units(o, is, 4);
        return 0;
    }
    default:
        fail(c, x, "dtype kind '%c' not supported here", kind);
        return -1;
    }
    fail(c, x, "value does not match dtype %s", jlp_dtype_str(dt));
    return -1;
}

/* the elements of nested lists `data` of the given shape, in C order */
static int leaves(ctx *c, const jv *data, uint32_t ndim, const uint64_t *shape, jv ***out, uint64_t *count) {
    uint64_t n = 1;
    for (uint32_t i = 0; i < ndim; i++) {
        if (shape[i] && n > UINT64_MAX / shape[i]) { fail(c, data, "shape too large"); return -1; }
        n *= shape[i];
    }
    if (n > (data->end - data->start)) { fail(c, data, "data has fewer elements than the shape"); return -1; }
    jv **lv = malloc((size_t)(n ? n : 1) * sizeof *lv);
    if (!lv) { fail(c, data, "out of memory"); return -1; }
    if (ndim == 0) { lv[0] = (jv *)(uintptr_t)data; *out = lv; *count = 1; return 0; }
    /* explicit stack of (node, next index) per level */
    jv **nodes = malloc(ndim * sizeof *nodes);
    uint64_t *idx = calloc(ndim, sizeof *idx);
    uint64_t k = 0;
    if (!nodes || !idx) { fail(c, data, "out of memory"); goto bad; }
    uint32_t d = 0;
    nodes[0] = (jv *)(uintptr_t)data;
    if (data->kind != JV_ARR || data->n != shape[0]) { fail(c, data, "data does not match the shape"); goto bad; }
    for (;;) {
        if (idx[d] == shape[d]) {
            if (d == 0) break;
            d--;
            continue;
        }
        jv *x = &nodes[d]->kids[idx[d]++];
        if (d + 1 == ndim) { lv[k++] = x; continue; }
        if (x->kind != JV_ARR || x->n != shape[d + 1]) { fail(c, x, "data does not match the shape"); goto bad; }
        d++;
        nodes[d] = x;
        idx[d] = 0;
    }
    free(nodes);
    free(idx);
    *out = lv;
    *count = k;
    return 0;
bad:
    free(nodes);
    free(idx);
    free(lv);
    return -1;
}

static int get_shape(ctx *c, const jv *s, uint64_t *shape, uint32_t *ndim) {
    if (!s || s->kind != JV_ARR || s->n > 64) { fail(c, s, "expected \"shape\": [...]"); return -1; }
    for (size_t i = 0; i < s->n; i++) {
        const jv *e = &s->kids[i];
        if (e->kind != JV_NUM || c->t[e->start] == '-') { fail(c, e, "bad extent"); return -1; }
        shape[i] = strtoull(c->t + e->start, NULL, 10);
    }
    *ndim = (uint32_t)s->n;
    return 0;
}

static jlp_val *npy_array(ctx *c, const jv *s) {
    char *rel = s->kind == JV_STR ? jv_str(c->t, s, NULL) : NULL;
    if (!rel) { fail(c, s, "expected \"$npy\": \"path\""); return NULL; }
    char path[4096];
    if (rel[0] == '/' || !c->base) snprintf(path, sizeof path, "%s", rel);
    else snprintf(path, sizeof path, "%s/%s", c->base, rel);
    free(rel);
    /* the library reads the file; its array (with its dtype, copied) joins our document */
    jlp_error e;
    jlp_doc *npy = jlp_load_npy_path(path, NULL, &e);
    if (!npy) { fail(c, s, "%s: %s", path, e.msg); return NULL; }
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    jlp_val *v = NULL;
    jlp_array_get(jlp_doc_root(npy), &a);
    if (!(v = jlp_new_array(c->doc, a.dtype, a.ndim, a.shape, a.order, a.data, (size_t)a.nbytes, JLP_COPY, &e)))
        fail(c, s, "%s: %s", path, e.msg);
    jlp_doc_free(npy);
    return v;
}

/* a numeric ndarray from {"dtype","shape","order","data"} */
static jlp_val *ndarray(ctx *c, const jv *body, jlp_val *dt, uint64_t *shape, uint32_t ndim, char order) {
    const jv *data = jv_get(c->t, body, "data");
    if (!data) { fail(c, body, "array without \"data\" (export it with jlload --max-items 0)"); return NULL; }
    jv **lv;
    uint64_t cnt;
    if (leaves(c, data, ndim, shape, &lv, &cnt)) return NULL;
    size_t is = (size_t)jlp_dtype_itemsize(dt), nb = (size_t)cnt * is;
    uint8_t *buf = calloc(nb ? nb : 1, 1);
    jlp_val *v = NULL;
    if (!buf) { fail(c, body, "out of memory"); free(lv); return NULL; }
    for (uint64_t k = 0; k < cnt; k++) {
        uint64_t pos = k;
        if (order == 'F') { /* C index k -> Fortran position */
            uint64_t rem = k, stride = 1;
            pos = 0;
            uint64_t mi[64];
            for (uint32_t d = ndim; d-- > 0;) { mi[d] = rem % shape[d]; rem /= shape[d]; }
            for (uint32_t d = 0; d < ndim; d++) { pos += mi[d] * stride; stride *= shape[d]; }
        }
        if (encode(c, dt, lv[k], buf + pos * is, 0)) goto out;
    }
    jlp_error e;
    v = jlp_new_array(c->doc, dt, ndim, shape, order, buf, nb, JLP_COPY, &e);
    if (!v) fail(c, body, "%s", e.msg);
out:
    free(buf);
    free(lv);
    return v;
}

/* ---- the iterative builder ----------------------------------------------------------- */

/* roles, in the order an object's parts are taken (the object is made at the first role
   from R_STATE on, so its class, args and kwargs come before) */
enum { R_ITEM, R_DVAL, R_DKEY, R_CALLABLE, R_ARG, R_KWARGS, R_STATE, R_OITEM, R_ODKEY, R_ODVAL };
enum { K_LIST, K_DICT, K_TUPLE, K_SET, K_FROZENSET, K_PAIRDICT, K_OBJECT, K_OBJARRAY, K_PERSID };

typedef struct step { jv *node; const jv *key; int role; } step;

typedef struct frame {
    jv *node;            /* the node whose value this frame builds */
    int kind;
    step *plan;
    size_t n, i;
    jlp_val *val, *key, *callable, *kwargs;
    jlp_val **vals;      /* tuple/frozenset items, object args, object array elements */
    size_t nv;
    int reduce;          /* "call" rather than "class" */
    char order;          /* an object array's memory order */
    uint64_t shape[64];
    uint32_t ndim;
} frame;

static int add_step(frame *f, size_t *cap, jv *node, const jv *key, int role) {
    if (f->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        step *p = realloc(f->plan, nc * sizeof *p);
        if (!p) return -1;
        f->plan = p;
        *cap = nc;
    }
    f->plan[f->n++] = (step){ node, key, role };
    return 0;
}

/* A value that needs no frame, or NULL with *need_frame set. */
static jlp_val *immediate(ctx *c, jv *x, int *need_frame) {
    *need_frame = 0;
    switch (x->kind) {
    case JV_NULL: return jlp_new_none(c->doc);
    case JV_TRUE: return jlp_new_bool(c->doc, 1);
    case JV_FALSE: return jlp_new_bool(c->doc, 0);
    case JV_NUM: return number(c, x);
    case JV_STR: {
        size_t n;
        char *s = jv_str(c->t, x, &n);
        jlp_val *v = s ? jlp_new_str(c->doc, s, n) : NULL;
        free(s);
        if (!v) fail(c, x, "invalid string");
        return v;
    }
    case JV_ARR: *need_frame = 1; return NULL;
    case JV_OBJ: break;
    }
    const char *tag;
    size_t tl;
    jv *in = jv_tag(c->t, x, &tag, &tl);
    if (!in) { *need_frame = 1; return NULL; }
    if (tag_is(tag, tl, "$bytes") || tag_is(tag, tl, "$bytearray")) {
        size_t n;
        uint8_t *b = base64(c, in, &n);
        if (!b) return NULL;
        jlp_val *v = tag[2] == 'y' && tl == 6 ? jlp_new_bytes(c->doc, b, n) : jlp_new_bytearray(c->doc, b, n);
        free(b);
        return v;
    }
    if (tag_is(tag, tl, "$int")) {
        const jv *h = jv_get(c->t, in, "hex");
        if (!h || h->kind != JV_STR) { fail(c, x, "expected {\"$int\":{\"hex\":...}}"); return NULL; }
        return bigint_text(c, h, c->t + h->start + 1, h->end - h->start - 2, 1);
    }
    if (tag_is(tag, tl, "$float")) {
        double d;
        return get_double(c, x, &d) ? NULL : jlp_new_float(c->doc, d);
    }
    if (tag_is(tag, tl, "$complex")) {
        double re, im;
        if (in->kind != JV_ARR || in->n != 2) { fail(c, in, "expected [re, im]"); return NULL; }
        if (get_double(c, &in->kids[0], &re) || get_double(c, &in->kids[1], &im)) return NULL;
        return jlp_new_complex(c->doc, re, im);
    }
    if (tag_is(tag, tl, "$global")) return global(c, in);
    if (tag_is(tag, tl, "$dtype")) return dtype(c, in);
    if (tag_is(tag, tl, "$npy")) return npy_array(c, in);
    if (tag_is(tag, tl, "$ref")) {
        jv_token *toks;
        long n = in->kind == JV_STR ? 0 : -1;
        char *p = n == 0 ? jv_str(c->t, in, NULL) : NULL;
        n = p ? jv_pointer_split(p, strlen(p), &toks) : -1;
        free(p);
        if (n < 0) { fail(c, in, "bad JSON pointer"); return NULL; }
        jv *target = jv_follow(c->t, c->root, toks, n);
        jv_tokens_free(toks, n);
        if (!target) { fail(c, in, "$ref to a place that does not exist"); return NULL; }
        if (!target->user) {
            fail(c, in, "$ref to a value not built yet (a cycle through a tuple, frozenset, "
                        "object arguments or object array cannot be rebuilt)");
            return NULL;
        }
        return target->user;
    }
    if (tag_is(tag, tl, "$scalar")) {
        const jv *d = jv_get(c->t, in, "dtype"), *val = jv_get(c->t, in, "value");
        if (!d || !val) { fail(c, in, "expected {\"dtype\":...,\"value\":...}"); return NULL; }
        jlp_val *dt = dtype(c, d);
        if (!dt) return NULL;
        if (jlp_dtype_kind(dt) == 'O') { fail(c, in, "object scalars are not supported"); return NULL; }
        size_t is = (size_t)jlp_dtype_itemsize(dt);
        uint8_t *b = calloc(is ? is : 1, 1);
        jlp_val *v = NULL;
        jlp_error e;
        if (b && encode(c, dt, val, b, 0) == 0 && !(v = jlp_new_scalar(c->doc, dt, b, &e))) fail(c, in, "%s", e.msg);
        free(b);
        return v;
    }
    if (tag_is(tag, tl, "$ndarray")) {
        const jv *d = jv_get(c->t, in, "dtype"), *o = jv_get(c->t, in, "order");
        uint64_t shape[64];
        uint32_t ndim;
        if (!d || get_shape(c, jv_get(c->t, in, "shape"), shape, &ndim)) { if (!d) fail(c, in, "array without dtype"); return NULL; }
        if (d->kind == JV_STR && jv_str_eq(c->t, d, "|O", 2)) { *need_frame = 1; return NULL; }
        jlp_val *dt = dtype(c, d);
        if (!dt) return NULL;
        char order = o && jv_str_eq(c->t, o, "F", 1) ? 'F' : 'C';
        return ndarray(c, in, dt, shape, ndim, order);
    }
    if (tag_is(tag, tl, "$ext")) {
        jlp_val *n = in->kind == JV_NUM && !is_float_text(c->t + in->start, in->end - in->start) ? number(c, in) : NULL;
        jlp_val *v = jlp_get_type(n) == JLP_INT ? jlp_new_ext(c->doc, jlp_get_int(n)) : NULL;
        if (!v) fail(c, in, "expected an extension code, an int from 1 to 2147483647");
        return v;
    }
    if (tag_is(tag, tl, "$persid") || tag_is(tag, tl, "$tuple") || tag_is(tag, tl, "$set") || tag_is(tag, tl, "$frozenset") ||
        tag_is(tag, tl, "$dict") || tag_is(tag, tl, "$object")) {
        *need_frame = 1;
        return NULL;
    }
    fail(c, x, "unknown tag \"%.*s\"", (int)tl, tag);
    return NULL;
}

/* set up the plan of a container frame */
static int frame_init(ctx *c, frame *f, jv *x) {
    memset(f, 0, sizeof *f);
    f->node = x;
    size_t cap = 0;
    const char *tag;
    size_t tl;
    jv *in = jv_tag(c->t, x, &tag, &tl);
    if (x->kind == JV_ARR) {
        f->kind = K_LIST;
        f->val = jlp_new_list(c->doc);
        x->user = f->val;
        for (size_t i = 0; i < x->n; i++) if (add_step(f, &cap, &x->kids[i], NULL, R_ITEM)) goto nomem;
        return 0;
    }
    if (!in) {
        f->kind = K_DICT;
        f->val = jlp_new_dict(c->doc);
        x->user = f->val;
        for (size_t i = 0; i < x->n; i++) if (add_step(f, &cap, &x->kids[2 * i + 1], &x->kids[2 * i], R_DVAL)) goto nomem;
        return 0;
    }
    if (tag_is(tag, tl, "$tuple") || tag_is(tag, tl, "$set") || tag_is(tag, tl, "$frozenset")) {
        if (in->kind != JV_ARR) { fail(c, in, "expected an array"); return -1; }
        f->kind = tl == 6 ? K_TUPLE : tl == 4 ? K_SET : K_FROZENSET;
        if (f->kind == K_SET) { f->val = jlp_new_set(c->doc); x->user = f->val; }
        for (size_t i = 0; i < in->n; i++) if (add_step(f, &cap, &in->kids[i], NULL, R_ARG)) goto nomem;
        return 0;
    }
    if (tag_is(tag, tl, "$dict")) {
        if (in->kind != JV_ARR) { fail(c, in, "expected [[key, value], ...]"); return -1; }
        f->kind = K_PAIRDICT;
        f->val = jlp_new_dict(c->doc);
        x->user = f->val;
        for (size_t i = 0; i < in->n; i++) {
            jv *p = &in->kids[i];
            if (p->kind != JV_ARR || p->n != 2) { fail(c, p, "expected [key, value]"); return -1; }
            if (add_step(f, &cap, &p->kids[0], NULL, R_DKEY) || add_step(f, &cap, &p->kids[1], NULL, R_DVAL)) goto nomem;
        }
        return 0;
    }
    if (tag_is(tag, tl, "$persid")) { /* its value: any value */
        f->kind = K_PERSID;
        if (add_step(f, &cap, in, NULL, R_ARG)) goto nomem;
        return 0;
    }
    if (tag_is(tag, tl, "$ndarray")) { /* object array */
        f->kind = K_OBJARRAY;
        const jv *o = jv_get(c->t, in, "order");
        f->order = o && jv_str_eq(c->t, o, "F", 1) ? 'F' : 'C';
        if (get_shape(c, jv_get(c->t, in, "shape"), f->shape, &f->ndim)) return -1;
        const jv *data = jv_get(c->t, in, "data");
        if (!data) { fail(c, in, "object array without \"data\""); return -1; }
        jv **lv;
        uint64_t cnt;
        if (leaves(c, data, f->ndim, f->shape, &lv, &cnt)) return -1;
        for (uint64_t i = 0; i < cnt; i++) if (add_step(f, &cap, lv[i], NULL, R_ARG)) { free(lv); goto nomem; }
        free(lv);
        return 0;
    }
    /* $object */
    if (in->kind != JV_OBJ) { fail(c, in, "expected {\"class\" or \"call\": ...}"); return -1; }
    f->kind = K_OBJECT;
    jv *cls = jv_get(c->t, in, "class"), *call = jv_get(c->t, in, "call");
    if (!cls == !call) { fail(c, in, "an object needs exactly one of \"class\" and \"call\""); return -1; }
    f->reduce = call != NULL;
    jv *cl = cls ? cls : call;
    if (cl->kind == JV_STR) { if (!(f->callable = global(c, cl))) return -1; }
    else if (add_step(f, &cap, cl, NULL, R_CALLABLE)) goto nomem;
    jv *args = jv_get(c->t, in, "args"), *kw = jv_get(c->t, in, "kwargs"),
             *state = jv_get(c->t, in, "state"), *items = jv_get(c->t, in, "items"),
             *ditems = jv_get(c->t, in, "dictitems");
    if (kw && (kw->kind != JV_OBJ || jv_tag(c->t, kw, &(const char *){NULL}, &(size_t){0}))) {
        fail(c, kw, "expected \"kwargs\": {\"name\": value, ...}");
        return -1;
    }
    if (kw && kw->n && f->reduce) {
        fail(c, kw, "kwargs (NEWOBJ_EX) go with a \"class\", not a \"call\"");
        return -1;
    }
    if (args) {
        if (args->kind != JV_ARR) { fail(c, args, "expected \"args\": [...]"); return -1; }
        for (size_t i = 0; i < args->n; i++) if (add_step(f, &cap, &args->kids[i], NULL, R_ARG)) goto nomem;
    }
    if (kw && kw->n && add_step(f, &cap, kw, NULL, R_KWARGS)) goto nomem;
    if (state && add_step(f, &cap, state, NULL, R_STATE)) goto nomem;
    if (items) {
        if (items->kind != JV_ARR) { fail(c, items, "expected \"items\": [...]"); return -1; }
        for (size_t i = 0; i < items->n; i++) if (add_step(f, &cap, &items->kids[i], NULL, R_OITEM)) goto nomem;
    }
    if (ditems) {
        if (ditems->kind != JV_ARR) { fail(c, ditems, "expected \"dictitems\": [[k, v], ...]"); return -1; }
        for (size_t i = 0; i < ditems->n; i++) {
            jv *p = &ditems->kids[i];
            if (p->kind != JV_ARR || p->n != 2) { fail(c, p, "expected [key, value]"); return -1; }
            if (add_step(f, &cap, &p->kids[0], NULL, R_ODKEY) || add_step(f, &cap, &p->kids[1], NULL, R_ODVAL)) goto nomem;
        }
    }
    return 0;
nomem:
    fail(c, x, "out of memory");
    return -1;
}

static int push_val(ctx *c, frame *f, jlp_val *v) {
    jlp_val **p = realloc(f->vals, (f->nv + 1) * sizeof *p);
    if (!p) { fail(c, f->node, "out of memory"); return -1; }
    f->vals = p;
    f->vals[f->nv++] = v;
    return 0;
}

static int make_object(ctx *c, frame *f) {
    if (f->val) return 0;
    jlp_val *args = jlp_new_tuple(c->doc, f->vals, f->nv);
    f->val = f->reduce ? jlp_new_call(c->doc, f->callable, args)
                       : jlp_new_object_ex(c->doc, f->callable, args, f->kwargs, NULL);
    if (!f->val) { fail(c, f->node, "cannot build the object"); return -1; }
    f->node->user = f->val;
    return 0;
}

/* take the value of the step just finished */
static int take(ctx *c, frame *f, int role, const jv *key, jlp_val *v) {
    jlp_code rc = JLP_OK;
    switch (role) {
    case R_ITEM: rc = jlp_list_append(c->doc, f->val, v); break;
    case R_DVAL:
        if (key) {
            size_t n;
            char *s = jv_str(c->t, key, &n);
            jlp_val *k = s ? jlp_new_str(c->doc, s, n) : NULL;
            free(s);
            if (!k) { fail(c, key, "invalid key"); return -1; }
            f->key = k;
        }
        rc = jlp_dict_set(c->doc, f->val, f->key, v);
        break;
    case R_DKEY: case R_ODKEY: f->key = v; break;
    case R_CALLABLE: f->callable = v; break;
    case R_KWARGS: f->kwargs = v; break;
    case R_ARG:
        if (f->kind == K_SET) rc = jlp_list_append(c->doc, f->val, v);
        else return push_val(c, f, v);
        break;
    case R_STATE: rc = jlp_obj_set_state(c->doc, f->val, v); break;
    case R_OITEM: rc = jlp_obj_append_item(c->doc, f->val, v); break;
    case R_ODVAL: rc = jlp_obj_set_dictitem(c->doc, f->val, f->key, v); break;
    }
    if (rc != JLP_OK) { fail(c, f->node, "cannot add a value: %s", jlp_strerror(rc)); return -1; }
    return 0;
}

static int finish(ctx *c, frame *f) {
    jlp_error e;
    switch (f->kind) {
    case K_TUPLE: f->val = jlp_new_tuple(c->doc, f->vals, f->nv); break;
    case K_FROZENSET: f->val = jlp_new_frozenset(c->doc, f->vals, f->nv); break;
    case K_OBJECT: if (make_object(c, f)) return -1; break;
    case K_OBJARRAY:
        f->val = jlp_new_object_array_ex(c->doc, f->ndim, f->shape, f->order, f->vals, &e);
        if (!f->val) { fail(c, f->node, "%s", e.msg); return -1; }
        break;
    case K_PERSID:
        f->val = f->nv == 1 ? jlp_new_persid(c->doc, f->vals[0]) : NULL;
        break;
    default: break;
    }
    if (!f->val) { fail(c, f->node, "out of memory"); return -1; }
    f->node->user = f->val;
    return 0;
}

jlp_doc *from_json(const char *text, size_t len, const char *base, char *msg, size_t cap) {
    ctx c = { text, len, NULL, NULL, base, msg, cap, 0 };
    c.root = jv_parse(text, len, msg, cap);
    if (!c.root) return NULL;
    c.doc = jlp_doc_new(NULL);
    frame *stk = NULL;
    size_t d = 0, scap = 0;
    jlp_val *result = NULL;
    if (!c.doc) { fail(&c, NULL, "out of memory"); goto out; }
    int nf;
    result = immediate(&c, c.root, &nf);
    if (!nf) goto out;
    scap = 16;
    stk = malloc(scap * sizeof *stk);
    if (!stk) { fail(&c, NULL, "out of memory"); goto out; }
    if (frame_init(&c, &stk[0], c.root)) { d = 1; goto out; }
    d = 1;
    while (d && !c.failed) {
        frame *f = &stk[d - 1];
        if (f->i == f->n) {
            if (finish(&c, f)) break;
            jlp_val *v = f->val;
            free(f->plan);
            free(f->vals);
            d--;
            if (!d) { result = v; break; }
            frame *p = &stk[d - 1];
            if (take(&c, p, p->plan[p->i - 1].role, p->plan[p->i - 1].key, v)) break;
            continue;
        }
        step s = f->plan[f->i++];
        if (f->kind == K_OBJECT && s.role >= R_STATE && make_object(&c, f)) break;
        jv *x = s.node;
        jlp_val *v = immediate(&c, x, &nf);
        if (c.failed) break;
        if (!nf) {
            if (!v) { fail(&c, x, "out of memory"); break; }
            if (!x->user) x->user = v; /* arrays are $ref targets */
            if (take(&c, f, s.role, s.key, v)) break;
            continue;
        }
        if (d == scap) {
            frame *q = realloc(stk, scap * 2 * sizeof *stk);
            if (!q) { fail(&c, x, "out of memory"); break; }
            stk = q;
            scap *= 2;
        }
        if (frame_init(&c, &stk[d], x)) { d++; break; }
        d++;
    }
out:
    while (d) { d--; free(stk[d].plan); free(stk[d].vals); }
    free(stk);
    jv_free(c.root);
    if (c.failed || !result) {
        if (!c.failed) fail(&c, NULL, "out of memory");
        jlp_doc_free(c.doc);
        return NULL;
    }
    jlp_doc_set_root(c.doc, result);
    return c.doc;
}
