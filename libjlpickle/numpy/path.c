/*
 * path.c - path access (jlp_at, jlp_at_prefix): RFC 6901 JSON pointers in the syntax of
 * the JSON export (spec/JSON.md), followed through the value graph, plus the shorthands
 * a C program wants (an object's attribute by name, a tuple's item by index). The walk
 * is a loop over segments: no recursion, and each step moves to a part of the current
 * value, so cycles cost nothing.
 */
#include "numpy.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

/* One segment of a pointer: the raw (still escaped) text after its '/', and where that
 * '/' stands. */
typedef struct seg {
    const char *p;
    size_t n;
    size_t at;
    bool ok;  /* there is such a segment */
} seg;

typedef struct walker {
    const char *ptr;
    size_t len;
    bool prefix;  /* jlp_at_prefix: stop where the export has no value node */
    jlp_error *err;
} walker;

/* The segment whose '/' is at `pos` (pos == len: none). */
static seg seg_at(const walker *w, size_t pos) {
    seg s = {NULL, 0, pos, false};
    if (pos >= w->len) return s;
    const char *start = w->ptr + pos + 1;
    const char *end = memchr(start, '/', w->len - pos - 1);
    s.p = start;
    s.n = end ? (size_t)(end - start) : w->len - pos - 1;
    s.ok = true;
    return s;
}

static size_t after(const seg *s) { return s->at + 1 + s->n; }

/* Whether the escaped segment text equals `key` (n bytes) once ~0 and ~1 are decoded. */
static bool seg_eq(const seg *s, const char *key, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++, k++) {
        char c = s->p[i];
        if (c == '~') c = s->p[++i] == '0' ? '~' : '/';
        if (k >= n || key[k] != c) return false;
    }
    return k == n;
}

static bool seg_is(const seg *s, const char *word) { return s->ok && seg_eq(s, word, strlen(word)); }

/* An array index: "0" or digits without a leading zero, below 2^64. */
static bool seg_index(const seg *s, uint64_t *out) {
    if (!s->ok || !s->n || s->n > 20 || (s->n > 1 && s->p[0] == '0')) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->p[i] < '0' || s->p[i] > '9') return false;
        if (v > (UINT64_MAX - (uint64_t)(s->p[i] - '0')) / 10) return false;
        v = v * 10 + (uint64_t)(s->p[i] - '0');
    }
    *out = v;
    return true;
}

/* Fail at segment `s`: the message names the path resolved so far and the segment. */
JLP_PRINTF(3, 4)
static void seg_fail(const walker *w, const seg *s, const char *fmt, ...) {
    if (!w->err) return;
    char why[120];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    jlp_code code = w->err->code;
    int seen = (int)(s->at > 40 ? 40 : s->at), segn = (int)(s->n > 40 ? 40 : s->n);
    jlp__fail(w->err, code, s->at, -1, "at '%s%.*s', segment '%.*s': %s", s->at > 40 ? "..." : "", seen,
              w->ptr + s->at - (size_t)seen, segn, s->p, why);
}

/* Item `i` of a sequence value (tuple, list, set, frozenset), or NULL with a reason. */
static jlp_val *nth(const walker *w, const seg *s, const jlp_val *v, uint64_t i) {
    if (i < v->u.seq.n) return v->u.seq.v[i];
    w->err->code = JLP_E_NOT_FOUND;
    seg_fail(w, s, "index %" PRIu64 " is past the end of %s of %zu", i, jlp__a_type(v),
             (size_t)v->u.seq.n);
    return NULL;
}

/* The value of the first pair whose str key is the segment's text. */
static jlp_val *by_key(const jlp_val *d, const seg *s) {
    for (size_t i = 0; d && i < d->u.seq.n; i++) {
        const jlp_val *k = d->u.seq.v[2 * i];
        if (k->type == JLP_STR && seg_eq(s, k->u.s.p, k->u.s.n)) return d->u.seq.v[2 * i + 1];
    }
    return NULL;
}

/* Pair I's key (0) or value (1) of a dict, from the segments at a and b. */
static jlp_val *pair(const walker *w, const jlp_val *d, const seg *a, const seg *b) {
    uint64_t i, which;
    if (!d || !seg_index(a, &i) || !seg_index(b, &which) || which > 1) {
        w->err->code = JLP_E_NOT_FOUND;
        seg_fail(w, a, "a pair is addressed as I/0 (its key) or I/1 (its value)");
        return NULL;
    }
    if (i >= d->u.seq.n) {
        w->err->code = JLP_E_NOT_FOUND;
        seg_fail(w, a, "pair %" PRIu64 " is past the end of %zu pairs", i, (size_t)d->u.seq.n);
        return NULL;
    }
    return d->u.seq.v[2 * i + which];
}

/* Index segment `s` into the sequence `v` (NULL: a missing part, NOT_FOUND). */
static jlp_val *index_into(const walker *w, const jlp_val *v, const seg *s, const char *what) {
    uint64_t i;
    if (!v) {
        w->err->code = JLP_E_NOT_FOUND;
        seg_fail(w, s, "the object has no %s", what);
        return NULL;
    }
    if (!seg_index(s, &i)) {
        w->err->code = JLP_E_NOT_FOUND;
        seg_fail(w, s, "%s are indexed by numbers", what);
        return NULL;
    }
    return nth(w, s, v, i);
}

/* An object's parts: $object/state, args/I, kwargs/key, items/I, dictitems/I/0|1,
 * class|call. `s` is the segment after "$object". */
static jlp_val *object_part(const walker *w, const jlp_val *v, const seg *s, size_t *next) {
    const jlp__obj *o = v->u.obj;
    seg t = seg_at(w, after(s));
    if (!s->ok) {
        w->err->code = JLP_E_NOT_FOUND;
        seg_fail(w, s, "$object needs a part: state, args, kwargs, items, dictitems, class or call");
        return NULL;
    }
    *next = after(s);
    if (seg_is(s, "state")) {
        if (!o->state) {
            w->err->code = JLP_E_NOT_FOUND;
            seg_fail(w, s, "the object has no state (no BUILD)");
        }
        return o->state;
    }
    if (seg_is(s, "class") || seg_is(s, "call")) {
        bool reduce = o->kind == JLP_OBJ_REDUCE;
        if (seg_is(s, reduce ? "class" : "call")) {
            w->err->code = JLP_E_NOT_FOUND;
            seg_fail(w, s, "the object is %s: its callable is '%s'", reduce ? "a call" : "an instance",
                     reduce ? "call" : "class");
            return NULL;
        }
        return o->callable;
    }
    bool indexed = seg_is(s, "args") || seg_is(s, "items") || seg_is(s, "kwargs") || seg_is(s, "dictitems");
    if (indexed && !t.ok) {
        w->err->code = JLP_E_NOT_FOUND;
        seg_fail(w, s, "%.*s needs an index or key after it", (int)s->n, s->p);
        return NULL;
    }
    *next = after(&t);
    if (seg_is(s, "args")) return index_into(w, o->args, &t, "args");
    if (seg_is(s, "items")) return index_into(w, o->items, &t, "items");
    if (seg_is(s, "kwargs")) {
        jlp_val *r = t.ok ? by_key(o->kwargs, &t) : NULL;
        if (!r) {
            w->err->code = JLP_E_NOT_FOUND;
            seg_fail(w, &t, "no such keyword argument");
        }
        return r;
    }
    if (seg_is(s, "dictitems")) {
        seg u = seg_at(w, after(&t));
        *next = after(&u);
        return pair(w, o->dictitems, &t, &u);
    }
    w->err->code = JLP_E_NOT_FOUND;
    seg_fail(w, s, "an object's parts are state, args, kwargs, items, dictitems, class or call");
    return NULL;
}

/* Element of an object array: $ndarray/data/I/J... (one index per dimension), from the
 * segment after "data". */
static jlp_val *array_element(const walker *w, const jlp_val *v, const seg *first, size_t *next) {
    const jlp__ndarray *a = jlp__arr(v);
    uint64_t flat = 0;
    seg s = *first;
    for (uint32_t d = 0; d < a->ndim; d++) {
        uint64_t i;
        if (!seg_index(&s, &i) || i >= a->shape[d]) {
            w->err->code = JLP_E_NOT_FOUND;
            seg_fail(w, &s, "dimension %u of the array has %" PRIu64 " elements", d, a->shape[d]);
            return NULL;
        }
        flat = flat * a->shape[d] + i;
        *next = after(&s);
        s = seg_at(w, *next);
    }
    if (!a->ndim) *next = first->at; /* a 0-d array: data is the element itself */
    return flat < a->objects->u.seq.n ? a->objects->u.seq.v[flat] : NULL;
}

/* One step from `v` at segment `s`: the part reached and in *next where the following
 * segment starts; NULL when the step cannot be taken (err->code says why: NOT_FOUND for
 * a missing part, BAD_TYPE for a value without parts of that kind). */
static jlp_val *step(const walker *w, const jlp_val *v, const seg *s, size_t *next) {
    seg t = seg_at(w, after(s));
    *next = after(s);
    uint64_t i;
    switch ((jlp_type)v->type) {
    case JLP_LIST:
        if (seg_index(s, &i)) return nth(w, s, v, i);
        break;
    case JLP_TUPLE: case JLP_SET: case JLP_FROZENSET: {
        const char *tag = v->type == JLP_TUPLE ? "$tuple" : v->type == JLP_SET ? "$set" : "$frozenset";
        if (seg_is(s, tag)) {
            *next = after(&t);
            if (seg_index(&t, &i)) return nth(w, &t, v, i);
            w->err->code = JLP_E_NOT_FOUND;
            seg_fail(w, &t, "items are indexed by numbers");
            return NULL;
        }
        if (seg_index(s, &i)) return nth(w, s, v, i);
        break;
    }
    case JLP_DICT: {
        jlp_val *r = by_key(v, s);
        if (r) return r;
        if (seg_is(s, "$dict") && t.ok) {
            seg u = seg_at(w, after(&t));
            *next = after(&u);
            return pair(w, v, &t, &u);
        }
        w->err->code = JLP_E_NOT_FOUND;
        seg_fail(w, s, "no such key in a dict of %zu pairs", (size_t)v->u.seq.n);
        return NULL;
    }
    case JLP_OBJECT: {
        if (seg_is(s, "$object")) {
            /* the export prints a global class or callable as a string, not a value */
            if (w->prefix && (seg_is(&t, "class") || seg_is(&t, "call")) && v->u.obj->callable &&
                v->u.obj->callable->type == JLP_GLOBAL) {
                w->err->code = JLP_E_BAD_TYPE;
                return NULL;
            }
            return object_part(w, v, &t, next);
        }
        const jlp_val *d, *slots;
        jlp__obj_attr_dicts(v, &d, &slots);
        jlp_val *r = by_key(d, s);
        if (!r) r = by_key(slots, s);
        if (r) return r;
        w->err->code = JLP_E_NOT_FOUND;
        seg_fail(w, s, d || slots ? "the object has no such attribute" : "the object has no state dict to hold attributes");
        return NULL;
    }
    case JLP_NDARRAY: {
        const jlp__ndarray *a = jlp__arr(v);
        if (!a->objects) {
            w->err->code = JLP_E_BAD_TYPE;
            seg_fail(w, s, "a %s array's elements are not values: use jlp_array_as", jlp__dt(a->dtype)->str);
            return NULL;
        }
        if (seg_is(s, "$ndarray") && seg_is(&t, "data")) {
            seg u = seg_at(w, after(&t));
            *next = after(&t);
            return array_element(w, v, &u, next);
        }
        if (seg_index(s, &i)) {
            if (i < a->objects->u.seq.n) return a->objects->u.seq.v[i];
            w->err->code = JLP_E_NOT_FOUND;
            seg_fail(w, s, "element %" PRIu64 " is past the end of %zu", i, (size_t)a->objects->u.seq.n);
            return NULL;
        }
        break;
    }
    case JLP_PERSID:
        if (seg_is(s, "$persid")) return v->u.ref;
        break;
    case JLP_SCALAR:
        if (jlp__sc(v)->object && seg_is(s, "$scalar") && seg_is(&t, "value")) {
            *next = after(&t);
            return jlp__sc(v)->object;
        }
        break;
    default:
        break;
    }
    w->err->code = (v->type == JLP_LIST || v->type == JLP_TUPLE || v->type == JLP_NDARRAY) ? JLP_E_NOT_FOUND
                                                                                            : JLP_E_BAD_TYPE;
    seg_fail(w, s, "%s has no such part", jlp__a_type(v));
    return NULL;
}

/* Check the pointer's syntax: empty, or segments each led by '/', '~' only as ~0 ~1. */
static bool syntax_ok(const char *ptr, size_t len, jlp_error *err) {
    if (len && ptr[0] != '/') {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "a JSON pointer is empty or starts with '/'");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (ptr[i] == '~' && (i + 1 >= len || (ptr[i + 1] != '0' && ptr[i + 1] != '1'))) {
            jlp__fail(err, JLP_E_INVALID_ARG, i, -1, "'~' at byte %zu is not ~0 or ~1", i);
            return false;
        }
    }
    return true;
}

static jlp_val *walk(const jlp_val *v, const char *pointer, bool prefix, const char **rest, jlp_error *err) {
    if (rest) *rest = NULL;
    if (!v) {
        jlp__null_value(err);
        return NULL;
    }
    jlp__clear(err);
    if (!pointer) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL pointer");
        return NULL;
    }
    size_t len = strlen(pointer);
    if (!syntax_ok(pointer, len, err)) return NULL;
    jlp_error scratch;
    jlp__clear(&scratch);
    walker w = {pointer, len, prefix, err ? err : &scratch};
    size_t pos = 0;
    while (pos < len) {
        seg s = seg_at(&w, pos);
        size_t next;
        jlp_val *r = step(&w, v, &s, &next);
        if (!r) {
            if (!prefix) {
                if (w.err->code == JLP_OK) { /* a slot that holds nothing */
                    w.err->code = JLP_E_NOT_FOUND;
                    seg_fail(&w, &s, "nothing is there");
                }
                return NULL;
            }
            jlp__clear(err);
            break;
        }
        v = r;
        pos = next;
    }
    if (rest) *rest = pointer + pos;
    return (jlp_val *)(uintptr_t)v;
}

jlp_val *jlp_at(const jlp_val *v, const char *pointer, jlp_error *err) {
    return walk(v, pointer, false, NULL, err);
}

jlp_val *jlp_at_prefix(const jlp_val *v, const char *pointer, const char **rest, jlp_error *err) {
    if (!rest) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL rest");
        return NULL;
    }
    return walk(v, pointer, true, rest, err);
}
