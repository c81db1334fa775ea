/*
 * json.c - the JSON export of spec/JSON.md.
 *
 * The value graph may be deep, shared and cyclic, so the exporter never recurses: it
 * keeps an explicit stack of frames, one per container being printed. Each container
 * printed is remembered with the JSON pointer of where it stands (as a chain of path
 * nodes, so memory stays linear in the number of containers whatever their depth); a
 * container met again prints {"$ref": pointer}.
 */
#include "doc.h"

#include "bigint.h"
#include "../common/float_repr.h"
#include "../common/item.h"
#include "../common/opts.h"
#include "../common/sha256.h"
#include "npvalue.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

/* Output is flushed to the caller's writer in blocks of this size. */
#define JSON_FLUSH_AT ((size_t)64 * 1024)
/* Python refuses to print ints of more than 4300 digits; the export switches to hex. */
#define JSON_INT_MAX_DIGITS 4300

typedef struct pnode {
    const struct pnode *parent;
    size_t len;
    char seg[]; /* "/a/b" text, already escaped */
} pnode;

typedef enum fkind {
    F_ARRAY,      /* [ items ] : list, or the inner array of $tuple/$set/$frozenset */
    F_OBJDICT,    /* { "k": v } : dict with plain str keys */
    F_PAIRS,      /* [[k, v], ...] : $dict and dictitems */
    F_OBJECT,     /* {"$object": {...}} */
    F_ONE,        /* one child, then `close`: {"$persid": v}, an object scalar */
    F_NDOBJ       /* the elements of an object array, nested by shape */
} fkind;

typedef struct frame {
    const jlp_val *v;     /* the container (for F_OBJECT the object; for items the list;
                             for F_ONE the child) */
    const pnode *path;    /* pointer of the container's JSON array/object */
    fkind kind;
    uint8_t step;         /* F_OBJECT: which field comes next */
    size_t i;             /* next child */
    const char *close;    /* text after the last child */
} frame;

typedef struct exporter {
    jlp__buf out;
    jlp_write_fn fn;
    void *ctx;
    const jlp_json_opts *opts;
    jlp__arena paths;     /* path nodes */
    frame *stack;
    size_t sp, cap;
    /* visited containers: open-addressed map val -> path node */
    const jlp_val **keys;
    const pnode **vals;
    size_t vcap, vn;
    bool io_failed;
    bool nomem;
    bool beyond_unicode;  /* a U item held a code point above U+10FFFF */
    /* decimal text of big ints already printed: converting is quadratic in the digits,
     * and one memoized int may be printed many times */
    const jlp_val **bigk;
    const char **bigv;
    size_t *bign;
    size_t bigcap, bigused;
} exporter;

static void flush(exporter *e) {
    if (e->out.len && !e->io_failed && e->fn(e->ctx, e->out.data, e->out.len) != 0)
        e->io_failed = true;
    e->out.len = 0;
}

static inline void put(exporter *e, const char *s, size_t n) {
    jlp__buf_put(&e->out, s, n);
    if (e->out.len >= JSON_FLUSH_AT) flush(e);
}
static inline void puts_(exporter *e, const char *s) { put(e, s, strlen(s)); }

/* ---- path nodes and the visited map ------------------------------------------------- */

static const pnode *path_child(exporter *e, const pnode *parent, const char *seg, size_t n) {
    pnode *p = jlp__arena_alloc(&e->paths, sizeof *p + n + 1, NULL);
    if (!p) { e->nomem = true; return parent; }
    p->parent = parent;
    p->len = n;
    memcpy(p->seg, seg, n);
    p->seg[n] = 0;
    return p;
}

/* A segment from a fixed prefix ("/$tuple") and an index. */
static const pnode *path_index(exporter *e, const pnode *parent, const char *prefix, size_t i) {
    char tmp[96];
    int n = snprintf(tmp, sizeof tmp, "%s/%zu", prefix, i);
    return path_child(e, parent, tmp, (size_t)n);
}

/* A segment for a dict key (RFC 6901 escaping of '~' and '/'). */
static const pnode *path_key(exporter *e, const pnode *parent, const char *k, size_t n) {
    size_t extra = 0;
    for (size_t i = 0; i < n; i++) extra += (k[i] == '~' || k[i] == '/');
    pnode *p = jlp__arena_alloc(&e->paths, sizeof *p + n + extra + 2, NULL);
    if (!p) { e->nomem = true; return parent; }
    char *o = p->seg;
    *o++ = '/';
    for (size_t i = 0; i < n; i++) {
        if (k[i] == '~') { *o++ = '~'; *o++ = '0'; }
        else if (k[i] == '/') { *o++ = '~'; *o++ = '1'; }
        else *o++ = k[i];
    }
    *o = 0;
    p->parent = parent;
    p->len = (size_t)(o - p->seg);
    return p;
}

static size_t hash_ptr(const void *p, size_t cap) {
    return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
}

static const pnode *visited_get(const exporter *e, const jlp_val *v) {
    if (!e->vcap) return NULL;
    for (size_t i = hash_ptr(v, e->vcap);; i = (i + 1) & (e->vcap - 1)) {
        if (!e->keys[i]) return NULL;
        if (e->keys[i] == v) return e->vals[i];
    }
}

static void visited_put(exporter *e, const jlp_val *v, const pnode *p) {
    const jlp_alc *alc = e->out.alc;
    if ((e->vn + 1) * 2 > e->vcap) {
        size_t cap = e->vcap ? e->vcap * 2 : 256;
        const jlp_val **k = jlp__malloc(alc, cap * sizeof *k);
        const pnode **pv = jlp__malloc(alc, cap * sizeof *pv);
        if (!k || !pv) {
            jlp__free(alc, k, cap * sizeof *k);
            jlp__free(alc, pv, cap * sizeof *pv);
            e->nomem = true;
            return;
        }
        memset(k, 0, cap * sizeof *k);
        for (size_t i = 0; i < e->vcap; i++) {
            if (!e->keys[i]) continue;
            size_t j = hash_ptr(e->keys[i], cap);
            while (k[j]) j = (j + 1) & (cap - 1);
            k[j] = e->keys[i];
            pv[j] = e->vals[i];
        }
        jlp__free(alc, e->keys, e->vcap * sizeof *e->keys);
        jlp__free(alc, e->vals, e->vcap * sizeof *e->vals);
        e->keys = k;
        e->vals = pv;
        e->vcap = cap;
    }
    size_t i = hash_ptr(v, e->vcap);
    while (e->keys[i]) i = (i + 1) & (e->vcap - 1);
    e->keys[i] = v;
    e->vals[i] = p;
    e->vn++;
}

static void put_string(exporter *e, const char *s, size_t n);

/* Print the pointer of `p` as a JSON string (root first; segments hold UTF-8 that may
 * need escaping like any string). */
static void print_pointer(exporter *e, const pnode *p) {
    size_t depth = 0, total = 0;
    for (const pnode *q = p; q; q = q->parent) {
        depth++;
        total += q->len;
    }
    const pnode **chain = jlp__malloc(e->out.alc, depth * sizeof *chain);
    char *text = chain ? jlp__malloc(e->out.alc, total + 1) : NULL;
    if (!chain || !text) {
        jlp__free(e->out.alc, chain, depth * sizeof *chain);
        e->nomem = true;
        return;
    }
    size_t k = depth;
    for (const pnode *q = p; q; q = q->parent) chain[--k] = q;
    size_t o = 0;
    for (size_t i = 0; i < depth; i++) {
        memcpy(text + o, chain[i]->seg, chain[i]->len);
        o += chain[i]->len;
    }
    put_string(e, text, o);
    jlp__free(e->out.alc, text, total + 1);
    jlp__free(e->out.alc, chain, depth * sizeof *chain);
}

/* ---- scalars ------------------------------------------------------------------------ */

static void put_string(exporter *e, const char *s, size_t n) {
    static const char hexd[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    put(e, "\"", 1);
    size_t run = 0; /* start of the pending run of bytes copied verbatim */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        const char *esc = NULL;
        char u[8];
        size_t skip = 0;
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c < 0x20) {
            switch (c) {
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            default:
                u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
                u[4] = hexd[c >> 4]; u[5] = hexd[c & 15]; u[6] = 0;
                esc = u;
            }
        } else if (c == 0xED && i + 2 < n && p[i + 1] >= 0xA0) {
            /* a lone surrogate, encoded as Python's surrogatepass does */
            unsigned cp = ((c & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
            snprintf(u, sizeof u, "\\u%04x", cp);
            esc = u;
            skip = 2;
        }
        if (!esc) continue;
        if (i > run) put(e, s + run, i - run);
        puts_(e, esc);
        i += skip;
        run = i + 1;
    }
    if (n > run) put(e, s + run, n - run);
    put(e, "\"", 1);
}

static void put_float(exporter *e, double d) {
    if (isnan(d)) { puts_(e, "{\"$float\":\"nan\"}"); return; }
    if (isinf(d)) { puts_(e, d > 0 ? "{\"$float\":\"inf\"}" : "{\"$float\":\"-inf\"}"); return; }
    char tmp[40];
    size_t n = jlp__float_repr(d, tmp);
    put(e, tmp, n);
}

static void put_int(exporter *e, int64_t i) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, i);
    put(e, tmp, (size_t)n);
}

static void put_bigint_text(const uint8_t *b, size_t n, jlp__buf *tmp) {
    if (jlp__bigint_decimal(b, n, JSON_INT_MAX_DIGITS, tmp)) return;
    tmp->len = 0;
    jlp__buf_puts(tmp, "{\"$int\":{\"hex\":\"");
    jlp__bigint_hex(b, n, tmp);
    jlp__buf_puts(tmp, "\"}}");
}

static void put_bigint(exporter *e, const jlp_val *v) {
    if (e->bigcap) {
        for (size_t i = hash_ptr(v, e->bigcap);; i = (i + 1) & (e->bigcap - 1)) {
            if (!e->bigk[i]) break;
            if (e->bigk[i] == v) {
                put(e, e->bigv[i], e->bign[i]);
                return;
            }
        }
    }
    jlp__buf tmp;
    jlp__buf_init(&tmp, e->out.alc);
    put_bigint_text((const uint8_t *)v->u.s.p, v->u.s.n, &tmp);
    if (tmp.failed) {
        e->nomem = true;
        jlp__buf_release(&tmp);
        return;
    }
    put(e, tmp.data, tmp.len);
    /* remember it: the table doubles when half full */
    if ((e->bigused + 1) * 2 > e->bigcap) {
        size_t cap = e->bigcap ? e->bigcap * 2 : 64;
        const jlp_val **k = jlp__malloc(e->out.alc, cap * sizeof *k);
        const char **tv = jlp__malloc(e->out.alc, cap * sizeof *tv);
        size_t *tn = jlp__malloc(e->out.alc, cap * sizeof *tn);
        if (!k || !tv || !tn) {
            jlp__free(e->out.alc, k, cap * sizeof *k);
            jlp__free(e->out.alc, tv, cap * sizeof *tv);
            jlp__free(e->out.alc, tn, cap * sizeof *tn);
            e->nomem = true;
            jlp__buf_release(&tmp);
            return;
        }
        memset(k, 0, cap * sizeof *k);
        for (size_t i = 0; i < e->bigcap; i++) {
            if (!e->bigk[i]) continue;
            size_t j = hash_ptr(e->bigk[i], cap);
            while (k[j]) j = (j + 1) & (cap - 1);
            k[j] = e->bigk[i];
            tv[j] = e->bigv[i];
            tn[j] = e->bign[i];
        }
        jlp__free(e->out.alc, e->bigk, e->bigcap * sizeof *e->bigk);
        jlp__free(e->out.alc, e->bigv, e->bigcap * sizeof *e->bigv);
        jlp__free(e->out.alc, e->bign, e->bigcap * sizeof *e->bign);
        e->bigk = k;
        e->bigv = tv;
        e->bign = tn;
        e->bigcap = cap;
    }
    char *copy = jlp__arena_alloc(&e->paths, tmp.len, NULL);
    if (copy) {
        memcpy(copy, tmp.data, tmp.len);
        size_t i = hash_ptr(v, e->bigcap);
        while (e->bigk[i]) i = (i + 1) & (e->bigcap - 1);
        e->bigk[i] = v;
        e->bigv[i] = copy;
        e->bign[i] = tmp.len;
        e->bigused++;
    }
    jlp__buf_release(&tmp);
}

static void put_base64(exporter *e, const uint8_t *p, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char blk[4 * 256];
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t x = (uint32_t)p[i] << 16;
        if (i + 1 < n) x |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) x |= p[i + 2];
        blk[o++] = tab[x >> 18];
        blk[o++] = tab[(x >> 12) & 63];
        blk[o++] = i + 1 < n ? tab[(x >> 6) & 63] : '=';
        blk[o++] = i + 2 < n ? tab[x & 63] : '=';
        if (o == sizeof blk) { put(e, blk, o); o = 0; }
    }
    put(e, blk, o);
}

static void put_global_name(exporter *e, const jlp_val *g) {
    jlp__buf tmp;
    jlp__buf_init(&tmp, e->out.alc);
    jlp__buf_put(&tmp, g->u.g.mod, g->aux);
    jlp__buf_putc(&tmp, '.');
    jlp__buf_put(&tmp, g->u.g.name, g->u.g.name_len);
    if (tmp.failed) e->nomem = true;
    else put_string(e, tmp.data, tmp.len);
    jlp__buf_release(&tmp);
}

/* ---- containers ----------------------------------------------------------------------- */

/* Values printed with children of their own: they need their own pointer. */
static bool has_children(const jlp_val *v);

static bool is_container(const jlp_val *v) {
    switch (v->type) {
    case JLP_LIST: case JLP_TUPLE: case JLP_DICT: case JLP_SET: case JLP_FROZENSET:
    case JLP_OBJECT: case JLP_NDARRAY:
        return true;
    default:
        return false;
    }
}

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return h;
}

static bool same_key(const jlp_val *a, const jlp_val *b) {
    return a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
}

/* A dict prints as a JSON object when its keys are distinct str not starting with '$';
 * a repeated key (possible in a pickle, not in a Python dict) forces the $dict form. */
static bool has_children(const jlp_val *v) {
    return is_container(v) || v->type == JLP_PERSID || v->type == JLP_SCALAR;
}

static bool dict_is_plain(exporter *e, const jlp_val *d) {
    size_t n = d->u.seq.n;
    for (size_t i = 0; i < n; i++) {
        const jlp_val *k = d->u.seq.v[2 * i];
        if (k->type != JLP_STR || (k->u.s.n && k->u.s.p[0] == '$')) return false;
    }
    if (n <= 16) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (same_key(d->u.seq.v[2 * i], d->u.seq.v[2 * j])) return false;
        return true;
    }
    size_t cap = 32;
    while (cap < 2 * n) cap *= 2;
    size_t *slot = jlp__malloc(e->out.alc, cap * sizeof *slot);
    if (!slot) { e->nomem = true; return true; }
    memset(slot, 0xFF, cap * sizeof *slot);
    bool plain = true;
    for (size_t i = 0; i < n && plain; i++) {
        const jlp_val *k = d->u.seq.v[2 * i];
        size_t h = (size_t)hash_bytes(k->u.s.p, k->u.s.n) & (cap - 1);
        while (slot[h] != SIZE_MAX) {
            if (same_key(d->u.seq.v[2 * slot[h]], k)) { plain = false; break; }
            h = (h + 1) & (cap - 1);
        }
        slot[h] = i;
    }
    jlp__free(e->out.alc, slot, cap * sizeof *slot);
    return plain;
}

static void push_frame(exporter *e, const jlp_val *v, const pnode *path, fkind kind,
                       const char *close) {
    if (e->sp == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        frame *st = jlp__realloc(e->out.alc, e->stack, e->cap * sizeof *st, cap * sizeof *st);
        if (!st) { e->nomem = true; return; }
        e->stack = st;
        e->cap = cap;
    }
    frame *f = &e->stack[e->sp++];
    f->v = v;
    f->path = path;
    f->kind = kind;
    f->step = 0;
    f->i = 0;
    f->close = close;
}

static void emit(exporter *e, const jlp_val *v, const pnode *path);
static bool is_container(const jlp_val *v);
static void push_frame(exporter *e, const jlp_val *v, const pnode *path, fkind kind, const char *close);

/* ---- numpy values ------------------------------------------------------------------- */

static void put_uint(exporter *e, uint64_t u) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, u);
    put(e, tmp, (size_t)n);
}

/* numpy's dtype.descr of a structured dtype, as JSON (numpy's _array_descr), or numpy's
 * dict form where the fields overlap or are out of order. */
static void put_descr(exporter *e, const jlp__dtype_info *d);

static void put_field_format(exporter *e, const jlp__dtype_info *d) {
    if (d->structured) put_descr(e, d);
    else put_string(e, d->str, strlen(d->str));
}

/* A field's dtype: its format, or for a subarray its base's format and its shape
 * (`"<f8",[2]`, which a descr entry ends with and the dict form brackets). */
static void put_field_dtype(exporter *e, const jlp__dtype_info *fd) {
    if (!fd->sub_base) {
        put_field_format(e, fd);
        return;
    }
    put_field_format(e, jlp__dt(fd->sub_base));
    put(e, ",[", 2);
    for (size_t k = 0; k < fd->sub_ndim; k++) {
        if (k) put(e, ",", 1);
        put_uint(e, fd->sub_shape[k]);
    }
    put(e, "]", 1);
}

static void put_field_title(exporter *e, const jlp__field *f) {
    if (f->title && f->title->type == JLP_STR) put_string(e, f->title->u.s.p, f->title->u.s.n);
    else puts_(e, "null");
}

/* Whether numpy's _array_descr describes the fields of `d` (not those of its field
 * dtypes): each starts at or after the end of the one before it. */
static bool fields_in_order(const jlp__dtype_info *d) {
    uint64_t off = 0;
    for (size_t i = 0; i < d->nfields; i++) {
        const jlp__field *f = &d->fields[i];
        if (f->offset < off) return false;
        off = f->offset + jlp__dt(f->dtype)->itemsize;
    }
    return true;
}

/* numpy's dict form, {"names":[...],"formats":[...],"offsets":[...],"titles":[...],
 * "itemsize":N} ("titles" only when a field has one), for fields a descr list cannot
 * place; a subarray field's format is [base, shape] (spec/JSON.md). */
static void put_dtype_dict(exporter *e, const jlp__dtype_info *d) {
    bool titles = false;
    puts_(e, "{\"names\":[");
    for (size_t i = 0; i < d->nfields; i++) {
        if (i) put(e, ",", 1);
        put_string(e, d->fields[i].name, d->fields[i].name_len);
        titles |= d->fields[i].title != NULL;
    }
    puts_(e, "],\"formats\":[");
    for (size_t i = 0; i < d->nfields; i++) {
        const jlp__dtype_info *fd = jlp__dt(d->fields[i].dtype);
        if (i) put(e, ",", 1);
        if (fd->sub_base) put(e, "[", 1);
        put_field_dtype(e, fd);
        if (fd->sub_base) put(e, "]", 1);
    }
    puts_(e, "],\"offsets\":[");
    for (size_t i = 0; i < d->nfields; i++) {
        if (i) put(e, ",", 1);
        put_uint(e, d->fields[i].offset);
    }
    if (titles) {
        puts_(e, "],\"titles\":[");
        for (size_t i = 0; i < d->nfields; i++) {
            if (i) put(e, ",", 1);
            put_field_title(e, &d->fields[i]);
        }
    }
    puts_(e, "],\"itemsize\":");
    put_uint(e, d->itemsize);
    put(e, "}", 1);
}

static void put_descr(exporter *e, const jlp__dtype_info *d) {
    if (!fields_in_order(d)) {
        put_dtype_dict(e, d);
        return;
    }
    put(e, "[", 1);
    uint64_t off = 0;
    bool first = true;
    char pad[48];
    for (size_t i = 0; i < d->nfields; i++) {
        const jlp__field *f = &d->fields[i];
        const jlp__dtype_info *fd = jlp__dt(f->dtype);
        if (f->offset > off) {
            int n = snprintf(pad, sizeof pad, "%s[\"\",\"|V%" PRIu64 "\"]", first ? "" : ",", f->offset - off);
            put(e, pad, (size_t)n);
            off = f->offset;
            first = false;
        }
        if (!first) put(e, ",", 1);
        first = false;
        put(e, "[", 1);
        if (f->title) {
            put(e, "[", 1);
            put_field_title(e, f);
            put(e, ",", 1);
            put_string(e, f->name, f->name_len);
            put(e, "]", 1);
        } else {
            put_string(e, f->name, f->name_len);
        }
        put(e, ",", 1);
        put_field_dtype(e, fd);
        put(e, "]", 1);
        off = f->offset + fd->itemsize;
    }
    if (d->itemsize > off) {
        int n = snprintf(pad, sizeof pad, "%s[\"\",\"|V%" PRIu64 "\"]", first ? "" : ",", d->itemsize - off);
        put(e, pad, (size_t)n);
    }
    put(e, "]", 1);
}

/* D of spec/JSON.md: dtype.str, or the descr list (the dict form where fields overlap
 * or are out of order) for structured dtypes. */
static void put_dtype(exporter *e, const jlp__dtype_info *d) {
    if (d->structured) put_descr(e, d);
    else put_string(e, d->str, strlen(d->str));
}

/* One item of a non-object dtype, as numpy's tolist() gives it. */
static void put_item(exporter *e, const jlp__dtype_info *d, const uint8_t *p);

/* `count` items of `d` nested by `shape`, items `stride` bytes apart in C order. */
static void put_nested(exporter *e, const jlp__dtype_info *d, const uint8_t *p, const uint64_t *shape,
                       size_t ndim) {
    if (!ndim) { put_item(e, d, p); return; }
    uint64_t inner = d->itemsize;
    for (size_t k = 1; k < ndim; k++) inner *= shape[k];
    put(e, "[", 1);
    for (uint64_t i = 0; i < shape[0]; i++) {
        if (i) put(e, ",", 1);
        /* p is NULL for an empty array's brackets (no item is ever reached) */
        put_nested(e, d, p ? p + i * inner : NULL, shape + 1, ndim - 1);
    }
    put(e, "]", 1);
}

static void put_item(exporter *e, const jlp__dtype_info *d, const uint8_t *p) {
    if (d->sub_base) { put_nested(e, jlp__dt(d->sub_base), p, d->sub_shape, d->sub_ndim); return; }
    if (d->structured) {
        put(e, "[", 1);
        for (size_t i = 0; i < d->nfields; i++) {
            if (i) put(e, ",", 1);
            put_item(e, jlp__dt(d->fields[i].dtype), p + d->fields[i].offset);
        }
        put(e, "]", 1);
        return;
    }
    char bo = d->byteorder;
    if (d->bfloat16) { /* the upper half of a float32 */
        uint32_t b32 = (uint32_t)jlp__load_uint(p, 2, bo) << 16;
        float f;
        memcpy(&f, &b32, 4);
        put_float(e, (double)f);
        return;
    }
    switch (d->kind) {
    case 'b': puts_(e, p[0] ? "true" : "false"); break;
    case 'i': case 'M': case 'm': {
        uint64_t u = jlp__load_uint(p, d->itemsize, bo);
        unsigned shift = (unsigned)(64 - 8 * d->itemsize);
        put_int(e, shift ? (int64_t)(u << shift) >> shift : (int64_t)u);
        break;
    }
    case 'u': put_uint(e, jlp__load_uint(p, d->itemsize, bo)); break;
    case 'f': put_float(e, jlp__load_float(p, d->itemsize, bo, NULL)); break;
    case 'c':
        puts_(e, "{\"$complex\":[");
        put_float(e, jlp__load_float(p, d->itemsize / 2, bo, NULL));
        put(e, ",", 1);
        put_float(e, jlp__load_float(p + d->itemsize / 2, d->itemsize / 2, bo, NULL));
        puts_(e, "]}");
        break;
    case 'S': {
        uint64_t n = d->itemsize;
        while (n && p[n - 1] == 0) n--; /* tolist() strips trailing NULs */
        puts_(e, "{\"$bytes\":\"");
        put_base64(e, p, (size_t)n);
        puts_(e, "\"}");
        break;
    }
    case 'U': {
        uint64_t n = d->itemsize / 4;
        while (n && jlp__load_uint(p + 4 * (n - 1), 4, bo) == 0) n--;
        jlp__buf tmp;
        jlp__buf_init(&tmp, e->out.alc);
        for (uint64_t i = 0; i < n; i++) {
            uint8_t u8[4];
            uint32_t cp = (uint32_t)jlp__load_uint(p + 4 * i, 4, bo);
            if (cp > 0x10FFFF) {
                /* numpy makes a str of it that no UTF-8 (or JSON) can carry */
                e->beyond_unicode = true;
                break;
            }
            jlp__buf_put(&tmp, u8, jlp__utf8_put(u8, cp));
        }
        if (tmp.failed) e->nomem = true;
        else put_string(e, tmp.data ? tmp.data : "", tmp.len);
        jlp__buf_release(&tmp);
        break;
    }
    default: /* 'V': raw bytes */
        puts_(e, "{\"$bytes\":\"");
        put_base64(e, p, (size_t)d->itemsize);
        puts_(e, "\"}");
        break;
    }
}

/* The byte offset of the element with C-order index `idx` in an array stored in F order. */
static uint64_t f_offset(const jlp__ndarray *a, uint64_t idx, uint64_t itemsize) {
    uint64_t off = 0, stride = itemsize;
    uint64_t rem = idx;
    /* C index: last dimension varies fastest */
    uint64_t coord[64];
    for (uint32_t k = a->ndim; k-- > 0;) {
        coord[k] = a->shape[k] ? rem % a->shape[k] : 0;
        rem = a->shape[k] ? rem / a->shape[k] : 0;
    }
    for (uint32_t k = 0; k < a->ndim; k++) {
        off += coord[k] * stride;
        stride *= a->shape[k];
    }
    return off;
}

/* "F" only when the array is Fortran- and not C-contiguous, as numpy's flags say of the
 * array it loads: items of size 0 have all strides 0, which numpy counts as both. */
static bool f_order(const jlp__ndarray *a) {
    if (a->order != 'F' || a->count == 0 || jlp__dt(a->dtype)->itemsize == 0) return false;
    unsigned big = 0;
    for (uint32_t k = 0; k < a->ndim; k++) big += a->shape[k] > 1;
    return big >= 2;
}

/* Element `idx` (C order) of a non-object array. */
static const uint8_t *elem_at(const jlp__ndarray *a, uint64_t idx, uint64_t itemsize) {
    return a->data + (f_order(a) ? f_offset(a, idx, itemsize) : idx * itemsize);
}

static void put_array_data(exporter *e, const jlp__ndarray *a, const jlp__dtype_info *d) {
    if (!f_order(a)) {
        put_nested(e, d, a->data, a->shape, a->ndim);
        return;
    }
    /* F-order data printed in C order: brackets opened and closed by index rollover. */
    for (uint64_t idx = 0; idx < a->count; idx++) {
        uint64_t span = 1;
        for (uint32_t k = a->ndim; k-- > 0;) {
            span *= a->shape[k];
            if (idx % span == 0) put(e, "[", 1);
        }
        if (idx % a->shape[a->ndim - 1]) put(e, ",", 1);
        put_item(e, d, elem_at(a, idx, d->itemsize));
        span = 1;
        for (uint32_t k = a->ndim; k-- > 0;) {
            span *= a->shape[k];
            if ((idx + 1) % span == 0) {
                put(e, "]", 1);
                if (idx + 1 < a->count && k > 0) {
                    uint64_t outer = span * a->shape[k - 1];
                    if ((idx + 1) % outer) put(e, ",", 1);
                }
            }
        }
    }
}

static void put_sha256(exporter *e, const jlp__ndarray *a, const jlp__dtype_info *d) {
    jlp__sha256 h;
    jlp__sha256_init(&h);
    if (!f_order(a)) jlp__sha256_update(&h, a->data, (size_t)a->nbytes);
    else
        for (uint64_t idx = 0; idx < a->count; idx++)
            jlp__sha256_update(&h, elem_at(a, idx, d->itemsize), (size_t)d->itemsize);
    uint8_t dig[32];
    jlp__sha256_final(&h, dig);
    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", dig[i]);
    put(e, hex, 64);
}

/* An element of a structured object array: numpy's item is a tuple of the field values,
 * exported as a record (a bare array of them, not a reference target, as an object's
 * args) like the records of other structured arrays. */
static bool is_record(const jlp__dtype_info *d, const jlp_val *elem) {
    return d->structured && elem->type == JLP_TUPLE;
}

static void put_ndarray(exporter *e, const jlp_val *v, const pnode *path) {
    const jlp__ndarray *a = jlp__arr(v);
    const jlp__dtype_info *d = jlp__dt(a->dtype);
    puts_(e, "{\"$ndarray\":{\"dtype\":");
    put_dtype(e, d);
    puts_(e, ",\"shape\":[");
    for (uint32_t k = 0; k < a->ndim; k++) {
        if (k) put(e, ",", 1);
        put_uint(e, a->shape[k]);
    }
    puts_(e, f_order(a) ? "],\"order\":\"F\"," : "],\"order\":\"C\",");
    if (a->objects) {
        puts_(e, "\"data\":");
        if (a->ndim == 0) {
            if (!a->objects->u.seq.n) {
                puts_(e, "null}}");
                return;
            }
            const jlp_val *only = a->objects->u.seq.v[0];
            const pnode *pp = path_child(e, path, "/$ndarray/data", 14);
            if (is_record(d, only)) {
                put(e, "[", 1);
                push_frame(e, only, pp, F_ARRAY, "]}}");
            } else {
                push_frame(e, only, pp, F_ONE, "}}");
            }
            return;
        }
        push_frame(e, v, path_child(e, path, "/$ndarray/data", 14), F_NDOBJ, "}}");
        return;
    }
    uint64_t max = e->opts->max_items;
    if (max && a->count > max) {
        puts_(e, "\"nbytes\":");
        put_uint(e, a->nbytes);
        puts_(e, ",\"sha256\":\"");
        put_sha256(e, a, d);
        puts_(e, "\"}}");
        return;
    }
    puts_(e, "\"data\":");
    put_array_data(e, a, d);
    puts_(e, "}}");
}

/* Object array elements: child i of the frame is element i in C order; brackets open
 * and close as the C index rolls over each dimension. */
static bool step_ndobj(exporter *e, frame *f) {
    const jlp__ndarray *a = jlp__arr(f->v);
    uint64_t idx = f->i;
    if (idx) {
        /* close the dimensions the previous element ended */
        uint64_t span = 1;
        for (uint32_t k = a->ndim; k-- > 0;) {
            span *= a->shape[k];
            if (idx % span == 0) put(e, "]", 1);
        }
    }
    if (idx >= a->count) {
        if (a->count == 0) put_nested(e, jlp__dt(a->dtype), NULL, a->shape, a->ndim);
        return false;
    }
    if (idx) put(e, ",", 1);
    uint64_t span = 1;
    for (uint32_t k = a->ndim; k-- > 0;) {
        span *= a->shape[k];
        if (idx % span == 0) put(e, "[", 1);
    }
    const jlp_val *child = a->objects->u.seq.v[idx];
    const pnode *pp = f->path;
    if (has_children(child)) {
        char seg[64 * 21 + 1];
        size_t n = 0;
        uint64_t rem = idx, coord[64];
        for (uint32_t k = a->ndim; k-- > 0;) {
            coord[k] = rem % a->shape[k];
            rem /= a->shape[k];
        }
        for (uint32_t k = 0; k < a->ndim; k++)
            n += (size_t)snprintf(seg + n, sizeof seg - n, "/%" PRIu64, coord[k]);
        pp = path_child(e, f->path, seg, n);
    }
    f->i++;
    if (is_record(jlp__dt(a->dtype), child)) {
        put(e, "[", 1);
        push_frame(e, child, pp, F_ARRAY, "]");
    } else {
        emit(e, child, pp);
    }
    return true;
}

static void put_scalar(exporter *e, const jlp_val *v, const pnode *path) {
    const jlp__scalar *sc = jlp__sc(v);
    const jlp__dtype_info *d = jlp__dt(sc->dtype);
    puts_(e, "{\"$scalar\":{\"dtype\":");
    put_dtype(e, d);
    puts_(e, ",\"value\":");
    if (sc->object) {
        push_frame(e, sc->object, path_child(e, path, "/$scalar/value", 14), F_ONE, "}}");
        return;
    }
    put_item(e, d, sc->data);
    puts_(e, "}}");
}

/* Print `v` standing at `path`: scalars at once, containers by pushing a frame. */
static void emit(exporter *e, const jlp_val *v, const pnode *path) {
    if (is_container(v)) {
        const pnode *seen = visited_get(e, v);
        if (seen) {
            puts_(e, "{\"$ref\":");
            print_pointer(e, seen);
            puts_(e, "}");
            return;
        }
        visited_put(e, v, path);
    }
    switch ((jlp_type)v->type) {
    case JLP_NONE: puts_(e, "null"); break;
    case JLP_BOOL: puts_(e, v->u.i ? "true" : "false"); break;
    case JLP_INT: put_int(e, v->u.i); break;
    case JLP_BIGINT: put_bigint(e, v); break;
    case JLP_FLOAT: put_float(e, v->u.f); break;
    case JLP_COMPLEX:
        puts_(e, "{\"$complex\":[");
        put_float(e, v->u.c.re);
        put(e, ",", 1);
        put_float(e, v->u.c.im);
        puts_(e, "]}");
        break;
    case JLP_STR: put_string(e, v->u.s.p, v->u.s.n); break;
    case JLP_BYTES: case JLP_BYTEARRAY:
        puts_(e, v->type == JLP_BYTES ? "{\"$bytes\":\"" : "{\"$bytearray\":\"");
        put_base64(e, (const uint8_t *)v->u.s.p, v->u.s.n);
        puts_(e, "\"}");
        break;
    case JLP_GLOBAL:
        puts_(e, "{\"$global\":");
        put_global_name(e, v);
        puts_(e, "}");
        break;
    case JLP_EXT:
        puts_(e, "{\"$ext\":");
        put_int(e, v->u.i);
        puts_(e, "}");
        break;
    case JLP_LIST:
        puts_(e, "[");
        push_frame(e, v, path, F_ARRAY, "]");
        break;
    case JLP_TUPLE: case JLP_SET: case JLP_FROZENSET: {
        const char *tag = v->type == JLP_TUPLE ? "$tuple" : v->type == JLP_SET ? "$set" : "$frozenset";
        puts_(e, "{\"");
        puts_(e, tag);
        puts_(e, "\":[");
        char seg[16];
        int n = snprintf(seg, sizeof seg, "/%s", tag);
        push_frame(e, v, path_child(e, path, seg, (size_t)n), F_ARRAY, "]}");
        break;
    }
    case JLP_DICT:
        if (dict_is_plain(e, v)) {
            puts_(e, "{");
            push_frame(e, v, path, F_OBJDICT, "}");
        } else {
            puts_(e, "{\"$dict\":[");
            push_frame(e, v, path_child(e, path, "/$dict", 6), F_PAIRS, "]}");
        }
        break;
    case JLP_OBJECT:
        puts_(e, "{\"$object\":{");
        push_frame(e, v, path_child(e, path, "/$object", 8), F_OBJECT, "}}");
        break;
    case JLP_PERSID:
        puts_(e, "{\"$persid\":");
        push_frame(e, v->u.ref, path_child(e, path, "/$persid", 8), F_ONE, "}");
        break;
    case JLP_NDARRAY: put_ndarray(e, v, path); break;
    case JLP_SCALAR: put_scalar(e, v, path); break;
    case JLP_DTYPE:
        puts_(e, "{\"$dtype\":");
        put_dtype(e, jlp__dt(v));
        puts_(e, "}");
        break;
    default:
        puts_(e, "null");
        break;
    }
}

/* Advance the top frame by one child (or close it). */
static void step(exporter *e) {
    frame *f = &e->stack[e->sp - 1];
    const jlp_val *v = f->v;
    switch (f->kind) {
    case F_ARRAY:
        if (f->i < v->u.seq.n) {
            size_t i = f->i++;
            if (i) put(e, ",", 1);
            const jlp_val *child = v->u.seq.v[i];
            emit(e, child, has_children(child) ? path_index(e, f->path, "", i) : f->path);
            return;
        }
        break;
    case F_OBJDICT:
        if (f->i < v->u.seq.n) {
            size_t i = f->i++;
            if (i) put(e, ",", 1);
            const jlp_val *k = v->u.seq.v[2 * i], *child = v->u.seq.v[2 * i + 1];
            put_string(e, k->u.s.p, k->u.s.n);
            put(e, ":", 1);
            emit(e, child, has_children(child) ? path_key(e, f->path, k->u.s.p, k->u.s.n) : f->path);
            return;
        }
        break;
    case F_PAIRS:
        /* child 2k is the key of pair k, 2k+1 its value; pairs print as [k,v] */
        if (f->i < 2 * v->u.seq.n) {
            size_t i = f->i++;
            if (!(i & 1)) puts_(e, i ? "],[" : "[");
            else put(e, ",", 1);
            const jlp_val *child = v->u.seq.v[i];
            const pnode *pp = f->path;
            if (has_children(child)) {
                char seg[64];
                int n = snprintf(seg, sizeof seg, "/%zu/%zu", i / 2, i & 1);
                pp = path_child(e, f->path, seg, (size_t)n);
            }
            emit(e, child, pp);
            return;
        }
        if (v->u.seq.n) put(e, "]", 1);
        break;
    case F_ONE:
        if (f->i++ == 0) {
            emit(e, v, f->path);
            return;
        }
        break;
    case F_NDOBJ:
        if (step_ndobj(e, f)) return;
        break;
    case F_OBJECT: {
        const jlp__obj *o = v->u.obj;
        for (;;) {
            uint8_t s = f->step++;
            if (s == 0) {
                puts_(e, o->kind == JLP_OBJ_REDUCE ? "\"call\":" : "\"class\":");
                if (o->callable->type == JLP_GLOBAL) {
                    put_global_name(e, o->callable);
                    continue;
                }
                emit(e, o->callable, path_child(e, f->path, o->kind == JLP_OBJ_REDUCE ? "/call" : "/class",
                                                o->kind == JLP_OBJ_REDUCE ? 5 : 6));
                return;
            }
            if (s == 1) {
                if (!o->args->u.seq.n) continue;
                puts_(e, ",\"args\":[");
                push_frame(e, o->args, path_child(e, f->path, "/args", 5), F_ARRAY, "]");
                return;
            }
            if (s == 2) {
                if (!o->kwargs || !o->kwargs->u.seq.n) continue;
                puts_(e, ",\"kwargs\":");
                emit(e, o->kwargs, path_child(e, f->path, "/kwargs", 7));
                return;
            }
            if (s == 3) {
                if (!o->state) continue;
                puts_(e, ",\"state\":");
                emit(e, o->state, path_child(e, f->path, "/state", 6));
                return;
            }
            if (s == 4) {
                if (!o->items || !o->items->u.seq.n) continue;
                puts_(e, ",\"items\":[");
                push_frame(e, o->items, path_child(e, f->path, "/items", 6), F_ARRAY, "]");
                return;
            }
            if (s == 5) {
                if (!o->dictitems || !o->dictitems->u.seq.n) continue;
                puts_(e, ",\"dictitems\":[");
                push_frame(e, o->dictitems, path_child(e, f->path, "/dictitems", 10), F_PAIRS, "]");
                return;
            }
            break;
        }
        break;
    }
    }
    puts_(e, f->close);
    e->sp--;
}

jlp_code jlp_export_json(const jlp_val *v, const jlp_json_opts *opts, jlp_write_fn fn,
                         void *ctx, jlp_error *err) {
    if (!v) return jlp__null_value(err); /* a failed lookup's error is kept */
    jlp__clear(err);
    if (!fn) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL writer");
    jlp_json_opts resolved;
    jlp_code oc = jlp__json_opts_take(&resolved, opts, err);
    if (oc) return oc;
    exporter e;
    memset(&e, 0, sizeof e);
    const jlp_alc *alc = resolved.alc;
    jlp__buf_init(&e.out, alc);
    jlp__arena_init(&e.paths, alc, 0);
    e.fn = fn;
    e.ctx = ctx;
    e.opts = &resolved;
    const pnode *root = path_child(&e, NULL, "", 0);
    emit(&e, v, root);
    while (e.sp && !e.nomem && !e.io_failed && !e.beyond_unicode) step(&e);
    put(&e, "\n", 1);
    if (e.out.failed) e.nomem = true;
    if (!e.nomem && !e.beyond_unicode) flush(&e);
    jlp__buf_release(&e.out);
    jlp__arena_release(&e.paths);
    jlp__free(e.out.alc, e.stack, e.cap * sizeof *e.stack);
    jlp__free(e.out.alc, e.keys, e.vcap * sizeof *e.keys);
    jlp__free(e.out.alc, e.vals, e.vcap * sizeof *e.vals);
    jlp__free(e.out.alc, e.bigk, e.bigcap * sizeof *e.bigk);
    jlp__free(e.out.alc, e.bigv, e.bigcap * sizeof *e.bigv);
    jlp__free(e.out.alc, e.bign, e.bigcap * sizeof *e.bign);
    if (e.nomem) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory during JSON export");
    if (e.io_failed) return jlp__fail(err, JLP_E_IO, 0, -1, "JSON writer failed");
    if (e.beyond_unicode)
        return jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1,
                         "a numpy U item holds a code point above U+10FFFF, which JSON cannot carry");
    return JLP_OK;
}

static int write_file(void *ctx, const void *data, size_t len) {
    return fwrite(data, 1, len, (FILE *)ctx) == len ? 0 : -1;
}

jlp_code jlp_export_json_file(const jlp_val *v, const jlp_json_opts *opts, FILE *fp,
                              jlp_error *err) {
    if (!fp) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL FILE");
    return jlp_export_json(v, opts, write_file, fp, err);
}

static int write_buf(void *ctx, const void *data, size_t len) {
    jlp__buf *b = ctx;
    jlp__buf_put(b, data, len);
    return b->failed ? -1 : 0;
}

char *jlp_export_json_str(const jlp_val *v, const jlp_json_opts *opts, size_t *len,
                          jlp_error *err) {
    jlp__buf b;
    jlp__buf_init(&b, jlp__alc_malloc()); /* the caller frees it with free() */
    jlp_code c = jlp_export_json(v, opts, write_buf, &b, err);
    if (c == JLP_OK) jlp__buf_putc(&b, '\0');
    if (c != JLP_OK || b.failed) {
        if (c == JLP_OK) jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory during JSON export");
        jlp__buf_release(&b);
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = b.len - 1;
    return b.data; /* allocated by the default allocator: free() */
}
