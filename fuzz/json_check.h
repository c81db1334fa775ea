/*
 * json_check.h - a streaming validator of jlp_export_json() output (spec/JSON.md), for
 * the fuzz targets. Header-only (static inline) so that it is not a fuzz target of its
 * own: the main Makefile takes every fuzz/<name>.c for one.
 *
 *     jc_state c;  jc_init(&c, max_items);
 *     jc_feed(&c, bytes, n) ...          (as the export writes them, in any pieces)
 *     jc_finish(&c);  jc_free(&c);       (c.err is NULL when everything held)
 *
 * It holds only a stack of open containers, so output of any size is checked in
 * constant memory per nesting level. What it checks:
 *
 *   - RFC 8259 JSON, one value, compact (no whitespace at all), then exactly one "\n";
 *   - strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF) inside
 *     strings, ASCII outside;
 *   - canonical strings: only the escapes \" \\ \b \f \n \r \t and \u with lower-case
 *     hex, \u only for the other code points below U+0020 and for U+D800..U+DFFF;
 *   - object keys are distinct; an object with a key starting with '$' has exactly one
 *     key, and it is one of the tags of the spec, with a value of the right shape:
 *       $int {"hex":"-?0x[0-9a-f]+"}, $float "nan"|"inf"|"-inf", $complex [a,b],
 *       $bytes/$bytearray standard padded base64, $tuple/$set/$frozenset [...],
 *       $dict [[k,v],...], $global "...", $ext integer, $ref "<pointer>",
 *       $object {class|call, args?, kwargs?, state?, items?, dictitems?} in that order,
 *       $ndarray {dtype, shape, order, data | nbytes+sha256}, $scalar {dtype, value},
 *       $dtype string, array or numpy's dict form {names, formats, offsets, titles?,
 *       itemsize} in that order (also as an $ndarray's or $scalar's dtype), $persid any;
 *   - every $ref names the JSON pointer of an object or array printed before it (its
 *     first occurrence, or an enclosing one for a cycle);
 *   - arrays: shape is a list of non-negative integers, order "C" or "F"; with "data",
 *     an array of ndim >= 1 has shape[0] top-level items, and (dtype not object) no more
 *     elements than max_items unless max_items is 0; with "nbytes", more elements than
 *     max_items, nbytes = elements * itemsize (for a simple dtype string) and a sha256
 *     of 64 lower-case hex digits.
 */
#ifndef FUZZ_JSON_CHECK_H
#define FUZZ_JSON_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tags, in the spec's order */
enum {
    JT_NONE = 0, JT_INT, JT_FLOAT, JT_COMPLEX, JT_BYTES, JT_BYTEARRAY, JT_TUPLE, JT_SET, JT_FROZENSET,
    JT_DICT, JT_GLOBAL, JT_OBJECT, JT_NDARRAY, JT_SCALAR, JT_DTYPE, JT_PERSID, JT_EXT, JT_REF, JT__COUNT
};
static const char *const jc_tag_names[JT__COUNT] = {
    "", "$int", "$float", "$complex", "$bytes", "$bytearray", "$tuple", "$set", "$frozenset",
    "$dict", "$global", "$object", "$ndarray", "$scalar", "$dtype", "$persid", "$ext", "$ref"};

/* what a value must be, from where it stands */
enum {
    R_ANY = 0,
    R_ARRAY,      /* an array of anything */
    R_PAIRS,      /* an array of [k, v] */
    R_PAIR,       /* an array of exactly two */
    R_INT_OBJ,    /* {"hex": ...} */
    R_HEX,        /* "-?0x[0-9a-f]+" */
    R_FLOATNAME,  /* "nan" | "inf" | "-inf" */
    R_B64,        /* base64 */
    R_STRING,     /* any string */
    R_INTEGER,    /* an integer number */
    R_UINT,       /* a non-negative integer */
    R_REF,        /* a pointer string */
    R_OBJ_INNER,  /* the object of $object */
    R_ND_INNER,   /* the object of $ndarray */
    R_SC_INNER,   /* the object of $scalar */
    R_DTYPE,      /* a string, an array or the dict form (its frame keeps this role) */
    R_SHAPE,      /* an array of R_UINT */
    R_ORDER,      /* "C" | "F" */
    R_SHA256,     /* 64 lower-case hex digits */
    R_ND_DATA     /* the data of an ndarray: counted */
};

#define JC_HASH_P 0x100000001b3ull
#define JC_HASH_0 0xcbf29ce484222325ull

typedef struct jc_frame {
    char kind;          /* 'o' or 'a' */
    uint8_t role;
    uint8_t tag;        /* objects: the tag of the first key, if any */
    uint8_t last_field; /* inner objects: index of the last field seen, for the order */
    uint64_t count;     /* items or keys so far */
    uint64_t ptr;       /* pointer hash of this container's place */
    size_t keys_start;  /* into jc_state.keys */
    /* $ndarray inner */
    uint32_t fields;    /* bit per field seen */
    uint64_t shape_prod;
    uint64_t shape0;
    uint32_t ndim;
    int shape_huge;
    uint64_t itemsize;  /* 0: unknown */
    int dtype_object, dtype_simple;
    uint64_t nbytes;
    uint64_t data_items;
    int data_array;
} jc_frame;

typedef struct jc_state {
    const char *err;
    uint64_t err_at;
    uint64_t pos;
    uint64_t max_items;
    int state;
    int started, done;
    /* containers */
    jc_frame *f;
    size_t nf, capf;
    uint64_t *keys;
    size_t nkeys, capkeys;
    uint64_t *refs;     /* open-addressed set of pointer hashes of containers */
    size_t nrefs, caprefs;
    /* the value being read */
    uint8_t role;       /* role of the value that starts next / is being read */
    uint64_t vptr;      /* its pointer hash */
    /* strings */
    int is_key;
    uint8_t ucont, umin, umax;   /* UTF-8: continuation bytes still due, range of the next */
    uint32_t ucp;                /* code point being assembled (for the pointer hash) */
    int hexn;
    uint32_t hexv;
    uint64_t khash, kptr;        /* key: plain hash, pointer hash continued from the parent */
    char small[72];              /* first bytes of the decoded string */
    size_t slen;                 /* decoded length */
    int b64_pad;                 /* base64: '=' seen */
    uint64_t rhash;              /* $ref: hash of the decoded pointer */
    /* numbers */
    int nstate;                  /* 0 sign, 1 first digit, 2 int digits, 3 frac first, 4 frac, 5 exp sign, 6 exp first, 7 exp */
    int nneg, nint_only, nhuge;
    uint64_t nval;
    /* literals */
    const char *lit;
    int litn;
} jc_state;

enum { JS_VALUE = 0, JS_OBJ_FIRST, JS_KEY, JS_COLON, JS_ARR_FIRST, JS_AFTER, JS_STR, JS_ESC, JS_UHEX, JS_NUM, JS_LIT, JS_END, JS_DONE };

static inline void jc_fail(jc_state *c, const char *what) {
    if (!c->err) {
        c->err = what;
        c->err_at = c->pos;
    }
}

static inline void *jc_grow(void *p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return p;
    size_t n = *cap ? *cap : 16;
    while (n < need) n *= 2;
    void *q = realloc(p, n * size);
    if (!q) abort();
    *cap = n;
    return q;
}

static inline uint64_t jc_h(uint64_t h, uint8_t b) { return (h ^ b) * JC_HASH_P; }

static inline uint64_t jc_h_str(uint64_t h, const char *s) {
    while (*s) h = jc_h(h, (uint8_t)*s++);
    return h;
}

static inline uint64_t jc_h_cp(uint64_t h, uint32_t cp) {
    /* generalised UTF-8 (surrogates take three bytes, as in the library's strings) */
    if (cp < 0x80) return jc_h(h, (uint8_t)cp);
    if (cp < 0x800) return jc_h(jc_h(h, (uint8_t)(0xC0 | cp >> 6)), (uint8_t)(0x80 | (cp & 0x3F)));
    if (cp < 0x10000)
        return jc_h(jc_h(jc_h(h, (uint8_t)(0xE0 | cp >> 12)), (uint8_t)(0x80 | ((cp >> 6) & 0x3F))),
                    (uint8_t)(0x80 | (cp & 0x3F)));
    return jc_h(jc_h(jc_h(jc_h(h, (uint8_t)(0xF0 | cp >> 18)), (uint8_t)(0x80 | ((cp >> 12) & 0x3F))),
                     (uint8_t)(0x80 | ((cp >> 6) & 0x3F))),
                (uint8_t)(0x80 | (cp & 0x3F)));
}

static inline void jc_ref_put(jc_state *c, uint64_t h) {
    if ((c->nrefs + 1) * 2 > c->caprefs) {
        size_t ncap = c->caprefs ? c->caprefs * 2 : 1024;
        uint64_t *n = calloc(ncap, sizeof *n);
        if (!n) abort();
        for (size_t i = 0; i < c->caprefs; i++) {
            uint64_t k = c->refs[i];
            if (!k) continue;
            size_t j = (size_t)(k * 0x9E3779B97F4A7C15ull >> 20) & (ncap - 1);
            while (n[j]) j = (j + 1) & (ncap - 1);
            n[j] = k;
        }
        free(c->refs);
        c->refs = n;
        c->caprefs = ncap;
    }
    if (!h) h = 1;
    size_t j = (size_t)(h * 0x9E3779B97F4A7C15ull >> 20) & (c->caprefs - 1);
    while (c->refs[j]) {
        if (c->refs[j] == h) return;
        j = (j + 1) & (c->caprefs - 1);
    }
    c->refs[j] = h;
    c->nrefs++;
}

static inline int jc_ref_has(const jc_state *c, uint64_t h) {
    if (!c->caprefs) return 0;
    if (!h) h = 1;
    size_t j = (size_t)(h * 0x9E3779B97F4A7C15ull >> 20) & (c->caprefs - 1);
    while (c->refs[j]) {
        if (c->refs[j] == h) return 1;
        j = (j + 1) & (c->caprefs - 1);
    }
    return 0;
}

static inline void jc_init(jc_state *c, uint64_t max_items) {
    memset(c, 0, sizeof *c);
    c->max_items = max_items;
    c->state = JS_VALUE;
    c->role = R_ANY;
    c->vptr = JC_HASH_0; /* the root's pointer is "" */
}

static inline void jc_free(jc_state *c) {
    free(c->f);
    free(c->keys);
    free(c->refs);
    c->f = NULL;
    c->keys = c->refs = NULL;
}

static inline jc_frame *jc_top(jc_state *c) { return c->nf ? &c->f[c->nf - 1] : NULL; }

/* ---- field names of the inner objects ---------------------------------------------- */

static const char *const jc_obj_fields[] = {"class", "call", "args", "kwargs", "state", "items", "dictitems"};
static const char *const jc_nd_fields[] = {"dtype", "shape", "order", "data", "nbytes", "sha256"};
static const char *const jc_sc_fields[] = {"dtype", "value"};
static const char *const jc_dt_fields[] = {"names", "formats", "offsets", "titles", "itemsize"};

static inline int jc_field(const char *const *names, size_t n, const char *s, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && !memcmp(names[i], s, len)) return (int)i;
    return -1;
}

/* A simple dtype string ("<f8", "|S3", "<U2", "<M8[ns]", "|O"): its itemsize. */
static inline void jc_dtype_str(jc_frame *nd, const char *s, size_t len) {
    nd->dtype_simple = 0;
    nd->itemsize = 0;
    if (len < 2 || len > 40) return;
    size_t i = 0;
    if (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=') i++;
    char kind = s[i++];
    if (kind == 'O') {
        nd->dtype_object = 1;
        return;
    }
    uint64_t n = 0;
    size_t digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 12) n = n * 10 + (uint64_t)(s[i++] - '0'), digits++;
    if (!digits) return;
    if (i < len && s[i] != '[') return;
    nd->dtype_simple = 1;
    nd->itemsize = kind == 'U' ? 4 * n : n;
}

/* ---- values start and end ------------------------------------------------------------ */

/* The role and pointer of the value that follows key/element `seg` of the top frame. */
static inline void jc_child_of_array(jc_state *c) {
    jc_frame *t = jc_top(c);
    char num[24];
    snprintf(num, sizeof num, "/%llu", (unsigned long long)t->count);
    c->vptr = jc_h_str(t->ptr, num);
    switch (t->role) {
    case R_PAIRS: c->role = R_PAIR; break;
    case R_SHAPE: c->role = R_UINT; break;
    default: c->role = R_ANY; break;
    }
}

static inline void jc_container_start(jc_state *c, char kind) {
    uint8_t role = c->role;
    if (kind == 'a' && role != R_ANY && role != R_ARRAY && role != R_PAIRS && role != R_PAIR && role != R_DTYPE &&
        role != R_SHAPE && role != R_ND_DATA)
        jc_fail(c, "an array where the spec wants something else");
    if (kind == 'o' && role != R_ANY && role != R_INT_OBJ && role != R_OBJ_INNER && role != R_ND_INNER &&
        role != R_SC_INNER && role != R_ND_DATA && role != R_DTYPE)
        jc_fail(c, "an object where the spec wants something else");
    jc_frame *parent = jc_top(c);
    if (parent && parent->role == R_ND_INNER && role == R_ND_DATA) {
        parent->data_array = kind == 'a';
    }
    c->f = jc_grow(c->f, &c->capf, c->nf + 1, sizeof *c->f);
    jc_frame *t = &c->f[c->nf++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->role = role;
    t->ptr = c->vptr;
    t->keys_start = c->nkeys;
    t->shape_prod = 1;
    t->last_field = 0xFF;
    jc_ref_put(c, c->vptr);
}

static inline void jc_value_done(jc_state *c);

static inline int jc_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static inline void jc_container_end(jc_state *c) {
    jc_frame *t = jc_top(c);
    if (t->kind == 'o') {
        /* distinct keys (64-bit hashes of the decoded text) */
        size_t n = c->nkeys - t->keys_start;
        if (n > 1) {
            uint64_t *k = c->keys + t->keys_start;
            qsort(k, n, sizeof *k, jc_cmp_u64);
            for (size_t i = 1; i < n; i++)
                if (k[i] == k[i - 1]) jc_fail(c, "an object repeats a key");
        }
        c->nkeys = t->keys_start;
        if (t->tag && t->count != 1) jc_fail(c, "a tagged object without its value");
        if (t->role == R_INT_OBJ && t->fields != 1) jc_fail(c, "$int without hex");
        if (t->role == R_SC_INNER && t->fields != 3) jc_fail(c, "$scalar without dtype and value");
        if (t->role == R_DTYPE && (t->fields & 0x17) != 0x17)
            jc_fail(c, "a dtype dict without names, formats, offsets and itemsize");
        if (t->role == R_OBJ_INNER && !(t->fields & 3)) jc_fail(c, "$object without class or call");
        if (t->role == R_ND_INNER) {
            if ((t->fields & 7) != 7) jc_fail(c, "$ndarray without dtype, shape and order");
            int data = (t->fields >> 3) & 1, nb = (t->fields >> 4) & 1, sha = (t->fields >> 5) & 1;
            if (data == (nb || sha) || nb != sha) jc_fail(c, "$ndarray needs data, or nbytes and sha256");
            if (data && t->ndim >= 1 && t->data_array && t->data_items != t->shape0)
                jc_fail(c, "$ndarray data does not have shape[0] items");
            if (data && t->ndim >= 1 && !t->data_array) jc_fail(c, "$ndarray data of ndim >= 1 is not an array");
            if (!t->shape_huge && c->max_items && t->dtype_simple && !t->dtype_object && data &&
                t->shape_prod > c->max_items)
                jc_fail(c, "$ndarray prints data for more elements than max_items");
            if (!t->shape_huge && nb && (c->max_items == 0 || t->shape_prod <= c->max_items))
                jc_fail(c, "$ndarray prints a digest for max_items elements or fewer");
            if (!t->shape_huge && nb && t->dtype_simple && t->itemsize &&
                t->shape_prod <= UINT64_MAX / t->itemsize && t->nbytes != t->shape_prod * t->itemsize)
                jc_fail(c, "$ndarray nbytes is not elements * itemsize");
        }
    } else {
        if (t->role == R_PAIR && t->count != 2) jc_fail(c, "a pair that is not [k, v]");
        if (t->role == R_ARRAY && c->nf >= 2 && c->f[c->nf - 2].tag == JT_COMPLEX && t->count != 2)
            jc_fail(c, "$complex is not [re, im]");
    }
    uint64_t items = t->count;
    uint8_t role = t->role;
    c->nf--;
    jc_frame *p = jc_top(c);
    if (p && p->role == R_ND_INNER && role == R_ND_DATA) p->data_items = items;
    if (p && p->role == R_ND_INNER && role == R_SHAPE) p->ndim = (uint32_t)items;
    jc_value_done(c);
}

/* A scalar value (string, number, literal) of the current role has ended. */
static inline void jc_scalar_end(jc_state *c, char type) {
    uint8_t role = c->role;
    switch (role) {
    case R_ANY: case R_ND_DATA: break;
    case R_PAIR: case R_PAIRS: case R_ARRAY: case R_SHAPE: case R_INT_OBJ: case R_OBJ_INNER: case R_ND_INNER:
    case R_SC_INNER:
        jc_fail(c, "a scalar where the spec wants a container");
        break;
    case R_INTEGER:
        if (type != 'n' || !c->nint_only) jc_fail(c, "not an integer");
        break;
    case R_UINT:
        if (type != 'n' || !c->nint_only || c->nneg) jc_fail(c, "not a non-negative integer");
        break;
    default:
        if (type != 's') jc_fail(c, "not a string where the spec wants one");
        break;
    }
    if (type == 's') {
        const char *s = c->small;
        size_t n = c->slen;
        switch (role) {
        case R_HEX:
            if (n < (size_t)(s[0] == '-' ? 4 : 3)) jc_fail(c, "$int hex is not -?0x[0-9a-f]+");
            break;
        case R_FLOATNAME:
            if (!((n == 3 && !memcmp(s, "nan", 3)) || (n == 3 && !memcmp(s, "inf", 3)) || (n == 4 && !memcmp(s, "-inf", 4))))
                jc_fail(c, "$float is not nan, inf or -inf");
            break;
        case R_B64:
            if (n % 4) jc_fail(c, "base64 length is not a multiple of 4");
            break;
        case R_REF:
            if (n && s[0] != '/') jc_fail(c, "$ref pointer does not start with /");
            if (!jc_ref_has(c, c->rhash)) jc_fail(c, "$ref names no container printed before it");
            break;
        case R_ORDER:
            if (n != 1 || (s[0] != 'C' && s[0] != 'F')) jc_fail(c, "order is not C or F");
            break;
        case R_SHA256:
            if (n != 64) jc_fail(c, "sha256 is not 64 hex digits");
            for (size_t k = 0; k < n && k < 64; k++)
                if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f'))) jc_fail(c, "sha256 is not lower-case hex");
            break;
        default: break;
        }
    }
    jc_frame *p = jc_top(c);
    if (p && p->role == R_ND_INNER) {
        if (role == R_DTYPE && type == 's') jc_dtype_str(p, c->small, c->slen < sizeof c->small ? c->slen : 0);
        if (role == R_UINT && p->last_field == 4) p->nbytes = c->nval; /* nbytes */
    }
    if (p && p->role == R_SHAPE && role == R_UINT) {
        /* a shape entry: fold into the enclosing $ndarray frame */
        jc_frame *nd = c->nf >= 2 ? &c->f[c->nf - 2] : NULL;
        if (nd && nd->role == R_ND_INNER) {
            if (c->nhuge) nd->shape_huge = 1;
            else if (nd->shape_prod && c->nval && nd->shape_prod > UINT64_MAX / c->nval) nd->shape_huge = 1;
            else nd->shape_prod *= c->nval;
            if (p->count == 0) nd->shape0 = c->nval;
        }
    }
    jc_value_done(c);
}

static inline void jc_value_done(jc_state *c) {
    jc_frame *t = jc_top(c);
    if (!t) {
        c->state = JS_END;
        return;
    }
    t->count++;
    c->state = JS_AFTER;
}

/* A key has been read: decide what its value must be. */
static inline void jc_key_done(jc_state *c) {
    jc_frame *t = jc_top(c);
    c->keys = jc_grow(c->keys, &c->capkeys, c->nkeys + 1, sizeof *c->keys);
    c->keys[c->nkeys++] = c->khash;
    c->vptr = c->kptr;
    c->role = R_ANY;
    const char *s = c->small;
    size_t n = c->slen;
    int dollar = n && s[0] == '$';
    if (t->role == R_ANY || t->role == R_ND_DATA) {
        if (dollar) {
            if (t->count) jc_fail(c, "a key starting with $ in an object with other keys");
            int tag = 0;
            for (int k = 1; k < JT__COUNT; k++)
                if (n == strlen(jc_tag_names[k]) && !memcmp(s, jc_tag_names[k], n)) tag = k;
            if (!tag) jc_fail(c, "an unknown $ tag");
            t->tag = (uint8_t)tag;
            static const uint8_t roles[JT__COUNT] = {
                R_ANY, R_INT_OBJ, R_FLOATNAME, R_ARRAY, R_B64, R_B64, R_ARRAY, R_ARRAY, R_ARRAY,
                R_PAIRS, R_STRING, R_OBJ_INNER, R_ND_INNER, R_SC_INNER, R_DTYPE, R_ANY, R_INTEGER, R_REF};
            c->role = roles[tag];
        } else if (t->tag) {
            jc_fail(c, "a tagged object with a second key");
        }
        return;
    }
    int field = -1;
    switch (t->role) {
    case R_INT_OBJ:
        if (n != 3 || memcmp(s, "hex", 3)) jc_fail(c, "$int has a key other than hex");
        t->fields |= 1;
        c->role = R_HEX;
        return;
    case R_OBJ_INNER:
        field = jc_field(jc_obj_fields, 7, s, n);
        if (field < 0) { jc_fail(c, "$object has an unknown key"); return; }
        if (t->last_field != 0xFF && field <= t->last_field) jc_fail(c, "$object keys out of order");
        if (field == 1 && (t->fields & 1)) jc_fail(c, "$object has both class and call");
        if (field >= 2 && !(t->fields & 3)) jc_fail(c, "$object key before class/call");
        t->fields |= 1u << field;
        t->last_field = (uint8_t)field;
        c->role = field == 0 || field == 1 ? R_ANY : field == 2 || field == 5 ? R_ARRAY : field == 6 ? R_PAIRS : R_ANY;
        return;
    case R_ND_INNER:
        field = jc_field(jc_nd_fields, 6, s, n);
        if (field < 0) { jc_fail(c, "$ndarray has an unknown key"); return; }
        if (t->last_field != 0xFF && field <= t->last_field) jc_fail(c, "$ndarray keys out of order");
        t->fields |= 1u << field;
        t->last_field = (uint8_t)field;
        c->role = field == 0 ? R_DTYPE : field == 1 ? R_SHAPE : field == 2 ? R_ORDER : field == 3 ? R_ND_DATA
                : field == 4 ? R_UINT : R_SHA256;
        return;
    case R_SC_INNER:
        field = jc_field(jc_sc_fields, 2, s, n);
        if (field < 0) { jc_fail(c, "$scalar has an unknown key"); return; }
        if (t->last_field != 0xFF && field <= t->last_field) jc_fail(c, "$scalar keys out of order");
        t->fields |= 1u << field;
        t->last_field = (uint8_t)field;
        c->role = field == 0 ? R_DTYPE : R_ANY;
        return;
    case R_DTYPE:
        field = jc_field(jc_dt_fields, 5, s, n);
        if (field < 0) { jc_fail(c, "a dtype dict has an unknown key"); return; }
        if (t->last_field != 0xFF && field <= t->last_field) jc_fail(c, "dtype dict keys out of order");
        t->fields |= 1u << field;
        t->last_field = (uint8_t)field;
        c->role = field == 2 ? R_SHAPE : field == 4 ? R_UINT : R_ARRAY;
        return;
    default:
        return;
    }
}

/* ---- strings ------------------------------------------------------------------------ */

static inline void jc_str_begin(jc_state *c, int is_key) {
    c->is_key = is_key;
    c->ucont = 0;
    c->slen = 0;
    c->b64_pad = 0;
    c->khash = JC_HASH_0;
    c->rhash = JC_HASH_0;
    if (is_key) {
        jc_frame *t = jc_top(c);
        c->kptr = jc_h(t->ptr, '/');
    }
    c->state = JS_STR;
}

/* One decoded code point of the string. */
static inline void jc_str_cp(jc_state *c, uint32_t cp) {
    size_t idx = c->slen;
    if (!c->is_key && c->role == R_HEX) {
        /* -?0x[0-9a-f]+ */
        size_t neg = c->small[0] == '-' && idx > 0;
        int ok;
        if (idx == 0) ok = cp == '-' || cp == '0';
        else if (idx == neg) ok = cp == '0';
        else if (idx == neg + 1) ok = cp == 'x';
        else ok = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'f');
        if (!ok) jc_fail(c, "$int hex is not -?0x[0-9a-f]+");
    }
    if (idx < sizeof c->small) {
        /* keep the first bytes (ASCII exactly, others as '?') */
        c->small[c->slen] = cp < 0x80 ? (char)cp : '?';
    }
    c->slen++;
    if (c->is_key) {
        c->khash = jc_h_cp(c->khash, cp);
        if (cp == '~') c->kptr = jc_h(jc_h(c->kptr, '~'), '0');
        else if (cp == '/') c->kptr = jc_h(jc_h(c->kptr, '~'), '1');
        else c->kptr = jc_h_cp(c->kptr, cp);
        return;
    }
    switch (c->role) {
    case R_REF: c->rhash = jc_h_cp(c->rhash, cp); break;
    case R_B64:
        if (cp == '=') {
            if (++c->b64_pad > 2) jc_fail(c, "base64 with more than two '='");
        } else if (c->b64_pad || !((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') ||
                                   cp == '+' || cp == '/')) {
            jc_fail(c, "not standard base64");
        }
        break;
    default: break;
    }
}

static inline void jc_str_end(jc_state *c) {
    if (c->ucont) jc_fail(c, "string ends inside a UTF-8 sequence");
    if (c->is_key) {
        jc_key_done(c);
        c->state = JS_COLON;
    } else {
        jc_scalar_end(c, 's');
    }
}

static inline void jc_str_byte(jc_state *c, uint8_t b) {
    if (c->ucont) {
        if (b < c->umin || b > c->umax) {
            jc_fail(c, "invalid UTF-8 continuation");
            c->ucont = 0;
            return;
        }
        c->umin = 0x80;
        c->umax = 0xBF;
        c->ucp = c->ucp << 6 | (b & 0x3F);
        if (--c->ucont == 0) jc_str_cp(c, c->ucp);
        return;
    }
    if (b == '"') { jc_str_end(c); return; }
    if (b == '\\') { c->state = JS_ESC; return; }
    if (b < 0x20) { jc_fail(c, "raw control character in a string"); return; }
    if (b < 0x80) { jc_str_cp(c, b); return; }
    c->umin = 0x80;
    c->umax = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) { c->ucont = 1; c->ucp = b & 0x1F; }
    else if (b >= 0xE0 && b <= 0xEF) {
        c->ucont = 2;
        c->ucp = b & 0x0F;
        if (b == 0xE0) c->umin = 0xA0;
        if (b == 0xED) c->umax = 0x9F; /* no surrogates: they must be \u escapes */
    } else if (b >= 0xF0 && b <= 0xF4) {
        c->ucont = 3;
        c->ucp = b & 0x07;
        if (b == 0xF0) c->umin = 0x90;
        if (b == 0xF4) c->umax = 0x8F;
    } else {
        jc_fail(c, "invalid UTF-8 lead byte");
    }
}

static inline void jc_esc(jc_state *c, uint8_t b) {
    c->state = JS_STR;
    switch (b) {
    case '"': jc_str_cp(c, '"'); break;
    case '\\': jc_str_cp(c, '\\'); break;
    case 'b': jc_str_cp(c, 8); break;
    case 'f': jc_str_cp(c, 12); break;
    case 'n': jc_str_cp(c, 10); break;
    case 'r': jc_str_cp(c, 13); break;
    case 't': jc_str_cp(c, 9); break;
    case 'u': c->state = JS_UHEX; c->hexn = 0; c->hexv = 0; break;
    case '/': jc_fail(c, "\\/ is not canonical"); break;
    default: jc_fail(c, "invalid escape");
    }
}

static inline void jc_uhex(jc_state *c, uint8_t b) {
    int d = b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10 : -1;
    if (d < 0) {
        jc_fail(c, b >= 'A' && b <= 'F' ? "upper-case hex in \\u" : "invalid \\u escape");
        c->state = JS_STR;
        return;
    }
    c->hexv = c->hexv << 4 | (uint32_t)d;
    if (++c->hexn < 4) return;
    c->state = JS_STR;
    uint32_t v = c->hexv;
    if (v == 8 || v == 9 || v == 10 || v == 12 || v == 13) jc_fail(c, "\\u escape of a character with a short escape");
    else if (v >= 0x20 && (v < 0xD800 || v > 0xDFFF)) jc_fail(c, "\\u escape of a character that is written as it is");
    jc_str_cp(c, v);
}

/* ---- numbers and literals ------------------------------------------------------------ */

static inline void jc_num_begin(jc_state *c) {
    c->state = JS_NUM;
    c->nstate = 0;
    c->nneg = 0;
    c->nint_only = 1;
    c->nhuge = 0;
    c->nval = 0;
}

/* @return 1 when b belongs to the number, 0 when it ends it (b not consumed). */
static inline int jc_num_byte(jc_state *c, uint8_t b) {
    int digit = b >= '0' && b <= '9';
    switch (c->nstate) {
    case 0:
        if (b == '-') { c->nneg = 1; c->nstate = 1; return 1; }
        /* fall through */
    case 1:
        if (!digit) { jc_fail(c, "a number without digits"); return 0; }
        c->nval = (uint64_t)(b - '0');
        c->nstate = b == '0' ? 9 : 2;
        return 1;
    case 2:
        if (digit) {
            uint64_t d = (uint64_t)(b - '0');
            if (c->nval > (UINT64_MAX - d) / 10) c->nhuge = 1;
            else c->nval = c->nval * 10 + d;
            return 1;
        }
        /* fall through */
    case 9: /* after a leading 0 */
        if (digit) { jc_fail(c, "a number with a leading zero"); return 1; }
        if (b == '.') { c->nint_only = 0; c->nstate = 3; return 1; }
        if (b == 'e' || b == 'E') { c->nint_only = 0; c->nstate = 5; return 1; }
        return 0;
    case 3:
        if (!digit) { jc_fail(c, "no digit after the decimal point"); return 0; }
        c->nstate = 4;
        return 1;
    case 4:
        if (digit) return 1;
        if (b == 'e' || b == 'E') { c->nstate = 5; return 1; }
        return 0;
    case 5:
        if (b == '+' || b == '-') { c->nstate = 6; return 1; }
        /* fall through */
    case 6:
        if (!digit) { jc_fail(c, "no digit in the exponent"); return 0; }
        c->nstate = 7;
        return 1;
    default:
        return digit;
    }
}

static inline void jc_num_end(jc_state *c) {
    if (c->nstate == 0 || c->nstate == 1 || c->nstate == 3 || c->nstate == 5 || c->nstate == 6)
        jc_fail(c, "a number ends early");
    jc_scalar_end(c, 'n');
}

/* ---- the driver --------------------------------------------------------------------- */

static inline void jc_value_start(jc_state *c, uint8_t b) {
    switch (b) {
    case '{': jc_container_start(c, 'o'); c->state = JS_OBJ_FIRST; break;
    case '[': jc_container_start(c, 'a'); c->state = JS_ARR_FIRST; break;
    case '"': jc_str_begin(c, 0); break;
    case 't': c->lit = "true"; c->litn = 1; c->state = JS_LIT; break;
    case 'f': c->lit = "false"; c->litn = 1; c->state = JS_LIT; break;
    case 'n': c->lit = "null"; c->litn = 1; c->state = JS_LIT; break;
    default:
        if (b == '-' || (b >= '0' && b <= '9')) {
            jc_num_begin(c);
            jc_num_byte(c, b);
        } else {
            jc_fail(c, b == ' ' || b == '\t' || b == '\n' || b == '\r' ? "whitespace (the export is compact)"
                                                                        : "not a JSON value");
        }
    }
}

static inline void jc_byte(jc_state *c, uint8_t b) {
    if (c->state == JS_STR) { jc_str_byte(c, b); return; }
    if (c->state == JS_ESC) { jc_esc(c, b); return; }
    if (c->state == JS_UHEX) { jc_uhex(c, b); return; }
    if (b >= 0x80) { jc_fail(c, "non-ASCII byte outside a string"); return; }
    if (c->state == JS_NUM) {
        if (jc_num_byte(c, b)) return;
        jc_num_end(c);
        if (c->err) return;
    }
    if (c->state == JS_LIT) {
        if (b != (uint8_t)c->lit[c->litn]) { jc_fail(c, "invalid literal"); return; }
        if (c->lit[++c->litn] == 0) {
            if (c->role != R_ANY && c->role != R_ND_DATA) jc_fail(c, "a literal where the spec wants something else");
            jc_value_done(c);
        }
        return;
    }
    switch (c->state) {
    case JS_VALUE: jc_value_start(c, b); break;
    case JS_ARR_FIRST:
        if (b == ']') { jc_container_end(c); break; }
        jc_child_of_array(c);
        jc_value_start(c, b);
        break;
    case JS_OBJ_FIRST:
        if (b == '}') { jc_container_end(c); break; }
        /* fall through */
    case JS_KEY:
        if (b != '"') { jc_fail(c, "an object key is not a string"); break; }
        jc_str_begin(c, 1);
        break;
    case JS_COLON:
        if (b != ':') { jc_fail(c, "no ':' after a key"); break; }
        c->state = JS_VALUE;
        break;
    case JS_AFTER: {
        jc_frame *t = jc_top(c);
        if (b == ',') {
            if (t->kind == 'o') c->state = JS_KEY;
            else {
                jc_child_of_array(c);
                c->state = JS_VALUE;
            }
        } else if ((b == '}' && t->kind == 'o') || (b == ']' && t->kind == 'a')) {
            jc_container_end(c);
        } else {
            jc_fail(c, "expected ',' or the end of the container");
        }
        break;
    }
    case JS_END:
        if (b != '\n') jc_fail(c, "bytes after the value other than one newline");
        c->state = JS_DONE;
        break;
    case JS_DONE:
        jc_fail(c, "bytes after the final newline");
        break;
    default:
        jc_fail(c, "validator state");
    }
}

static inline void jc_feed(jc_state *c, const void *data, size_t n) {
    const uint8_t *p = data;
    for (size_t i = 0; i < n && !c->err; i++, c->pos++) jc_byte(c, p[i]);
}

static inline void jc_finish(jc_state *c) {
    if (c->err) return;
    if (c->state == JS_NUM) jc_num_end(c); /* cannot happen: a newline must follow */
    if (c->state != JS_DONE) jc_fail(c, c->state == JS_END ? "no final newline" : "output ends inside a value");
}

#endif
