/* doc.c - documents, node constructors and the public read accessors. */
#include "doc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

/* ---- documents ------------------------------------------------------------------------ */

/* A document starts as one allocation of DOC_FIRST_CHUNK bytes holding the document
 * itself (496 bytes), the first DOC_FIRST_ITEMS bytes of item slots (lent to the items
 * arena) and the first nodes. A small document, one record of a stream of pickles (a
 * dict of an int, a str and a list of 10 floats: about 20 nodes and 200 bytes of
 * slots), then takes one malloc() and 2 KiB, where it took three and 4 KiB (1 KiB for
 * the document and its first nodes, 2 KiB for the rest, 1 KiB of item slots): a stream
 * of 5,000 such pickles, every document kept, spent about half of its load in malloc()
 * and in faulting in the pages it had released at the last load. The main arena's
 * chunks then go on from 8 KiB, as after a default arena's 1 and 2 KiB. */
#define DOC_FIRST_CHUNK ((size_t)2048)
#define DOC_FIRST_ITEMS ((size_t)384)

jlp_doc *jlp__doc_new(const jlp_alc *alc, uint64_t alloc_limit, bool *limit_hit) {
    jlp__arena arena;
    jlp__arena_init_first(&arena, alc, alloc_limit, DOC_FIRST_CHUNK);
    jlp_doc *d = jlp__arena_alloc(&arena, sizeof *d, limit_hit);
    void *slots = d ? jlp__arena_alloc(&arena, DOC_FIRST_ITEMS, limit_hit) : NULL;
    if (!slots) {
        jlp__arena_release(&arena);
        return NULL;
    }
    memset(d, 0, sizeof *d);
    d->arena = arena;
    d->arena.total_ptr = &d->arena.total;
    jlp__arena_init(&d->items, alc, alloc_limit);
    d->items.total_ptr = &d->arena.total;
    jlp__arena_lend(&d->items, slots, DOC_FIRST_ITEMS);
    return d;
}

void jlp_doc_free(jlp_doc *doc) {
    if (!doc) return;
    if (doc->map) munmap(doc->map, doc->map_len);
    if (doc->keep_release) doc->keep_release(doc->keep_ctx);
    jlp__arena_release(&doc->items);
    /* The document struct itself lives in its arena: copy the arena out first. */
    jlp__arena arena = doc->arena;
    jlp__arena_release(&arena);
}

jlp_val *jlp_doc_root(const jlp_doc *doc) { return doc ? doc->root : NULL; }
int jlp_doc_protocol(const jlp_doc *doc) { return doc ? doc->protocol : -1; }
uint64_t jlp_doc_consumed(const jlp_doc *doc) { return doc ? doc->consumed : 0; }
uint64_t jlp_doc_ops(const jlp_doc *doc) { return doc ? doc->ops : 0; }
unsigned jlp_doc_warnings(const jlp_doc *doc) { return doc ? doc->warnings : 0; }
uint64_t jlp_doc_alloc_bytes(const jlp_doc *doc) { return doc ? doc->arena.total : 0; }
const char *jlp_doc_container(const jlp_doc *doc) { return doc ? doc->container : NULL; }
uint64_t jlp_doc_array_count(const jlp_doc *doc) { return doc ? doc->arrays : 0; }

const char *jlp_doc_generation(const jlp_doc *doc) {
    if (!doc) return NULL;
    unsigned o = doc->origins;
    if (o & (1u << JLP_ORIGIN_NPY_COMPANION)) return "G0";
    if ((o & (1u << JLP_ORIGIN_ZF_COMPANION)) || (doc->container && !strcmp(doc->container, "zf")))
        return "G0z";
    if (o & (1u << JLP_ORIGIN_WRAPPER_G2)) return "G2";
    if (o & (1u << JLP_ORIGIN_WRAPPER_NOTELL)) return "G2-notell";
    if (o & (1u << JLP_ORIGIN_WRAPPER_G1)) return "G1";
    return NULL;
}

bool jlp__doc_limit_hit(jlp_doc *d) { return d->limit_hit; }

void jlp__doc_note(jlp_doc *d, jlp_code code, const char *fmt, ...) {
    if (!d || d->error.code != JLP_OK) return;
    d->error.code = code;
    d->error.opcode = -1;
    d->error.offset = d->error.input_offset = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error.msg, sizeof d->error.msg, fmt, ap);
    va_end(ap);
}

void *jlp__doc_alloc_slow(jlp_doc *d, size_t n) {
    bool hit = false;
    void *p = jlp__arena_alloc_slow(&d->arena, n, &hit);
    if (!p) d->limit_hit = hit;
    return p;
}

/* ---- constructors ---------------------------------------------------------------------- */

jlp_val *jlp__new_none(jlp_doc *d) {
    if (!d->none_val) d->none_val = jlp__new_val(d, JLP_NONE);
    return d->none_val;
}

jlp_val *jlp__new_bool(jlp_doc *d, bool b) {
    jlp_val **slot = b ? &d->true_val : &d->false_val;
    if (!*slot) {
        *slot = jlp__new_val(d, JLP_BOOL);
        if (*slot) (*slot)->u.i = b;
    }
    return *slot;
}

jlp_val *jlp__new_bytes_copy(jlp_doc *d, jlp_type t, const void *p, size_t n) {
    if (n == SIZE_MAX) return NULL;
    jlp_val *v = jlp__new_val(d, t);
    if (!v) return NULL;
    char *s = jlp__doc_alloc(d, n + 1);
    if (!s) return NULL;
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    v->u.s.p = s;
    v->u.s.n = n;
    return v;
}

jlp_val *jlp__new_bytes_borrow(jlp_doc *d, jlp_type t, const void *p, size_t n) {
    jlp_val *v = jlp__new_val(d, t);
    if (!v) return NULL;
    v->flags |= JLP_VF_BORROWED;
    v->u.s.p = p;
    v->u.s.n = n;
    return v;
}

static size_t slots_of(const jlp_val *v, size_t n) { return v->type == JLP_DICT ? 2 * n : n; }

/* The item slots a first jlp__seq_append gives a sequence of up to this many. */
#define SEQ_FIRST_CAP 4

jlp_val *jlp__new_seq(jlp_doc *d, jlp_type t, jlp_val *const *items, size_t n) {
    jlp_val *v = jlp__new_val(d, t);
    if (!v) return NULL;
    size_t slots = slots_of(v, n);
    if (n && slots <= SEQ_FIRST_CAP) {
        /* the small tuples most pickles are full of (a reduce's arguments): what
         * jlp__seq_append does for them, without its growth logic and a call to memcpy */
        bool hit = false;
        jlp_val **nv = jlp__arena_alloc(&d->items, SEQ_FIRST_CAP * sizeof *nv, &hit);
        if (!nv) {
            d->limit_hit = hit;
            return NULL;
        }
        for (size_t i = 0; i < slots; i++) nv[i] = items[i];
        v->u.seq.v = nv;
        v->u.seq.n = n;
        v->u.seq.cap = SEQ_FIRST_CAP;
        return v;
    }
    if (n && !jlp__seq_append(d, v, items, n)) return NULL;
    return v;
}

bool jlp__seq_append(jlp_doc *d, jlp_val *seq, jlp_val *const *items, size_t n) {
    size_t have = slots_of(seq, seq->u.seq.n), add = slots_of(seq, n), need;
    if (!jlp__add_size(have, add, &need) || need > SIZE_MAX / sizeof(jlp_val *)) return false;
    if (need > seq->u.seq.cap) {
        size_t cap = seq->u.seq.cap ? seq->u.seq.cap : SEQ_FIRST_CAP;
        while (cap < need) cap = cap > SIZE_MAX / 2 / sizeof(jlp_val *) ? need : cap * 2;
        size_t old_bytes = seq->u.seq.cap * sizeof(jlp_val *);
        size_t new_bytes = cap * sizeof(jlp_val *);
        if (seq->u.seq.v && jlp__arena_extend(&d->items, seq->u.seq.v, old_bytes, new_bytes)) {
            seq->u.seq.cap = cap;
        } else {
            bool hit = false;
            jlp_val **nv = jlp__arena_alloc(&d->items, new_bytes, &hit);
            if (!nv) {
                d->limit_hit = hit;
                return false;
            }
            if (have) memcpy(nv, seq->u.seq.v, have * sizeof(jlp_val *));
            seq->u.seq.v = nv;
            seq->u.seq.cap = cap;
        }
    }
    memcpy(seq->u.seq.v + have, items, add * sizeof(jlp_val *));
    seq->u.seq.n += n;
    return true;
}

jlp_val *jlp__new_global(jlp_doc *d, const char *mod, size_t mod_len, const char *name,
                         size_t name_len) {
    if (mod_len > UINT32_MAX || name_len > UINT32_MAX) return NULL;
    jlp_val *v = jlp__new_val(d, JLP_GLOBAL);
    if (!v) return NULL;
    char *m = jlp__doc_alloc(d, mod_len + name_len + 2);
    if (!m) return NULL;
    memcpy(m, mod, mod_len);
    m[mod_len] = '\0';
    memcpy(m + mod_len + 1, name, name_len);
    m[mod_len + 1 + name_len] = '\0';
    v->aux = (uint32_t)mod_len;
    v->u.g.mod = m;
    v->u.g.name = m + mod_len + 1;
    v->u.g.name_len = (uint32_t)name_len;
    return v;
}

jlp_val *jlp__new_object(jlp_doc *d, jlp_obj_kind kind, jlp_val *callable, jlp_val *args) {
    jlp_val *v = jlp__new_val(d, JLP_OBJECT);
    if (!v) return NULL;
    jlp__obj *o = jlp__doc_alloc(d, sizeof *o);
    if (!o) return NULL;
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->callable = callable;
    o->args = args ? args : jlp__new_seq(d, JLP_TUPLE, NULL, 0);
    if (!o->args) return NULL;
    v->u.obj = o;
    return v;
}

/* ---- public accessors -------------------------------------------------------------- */

jlp_type jlp_get_type(const jlp_val *v) { return v ? (jlp_type)v->type : JLP_INVALID; }

const char *jlp_type_name(jlp_type t) {
    static const char *const names[] = {
        "invalid", "none", "bool", "int", "bigint", "float", "complex", "str", "bytes",
        "bytearray", "tuple", "list", "dict", "set", "frozenset", "global", "object",
        "ndarray", "scalar", "dtype", "persid", "ext"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "invalid";
}

const char *jlp__a_type(const jlp_val *v) {
    static const char *const names[] = {
        "an invalid", "None", "a bool", "an int", "a bigint", "a float", "a complex", "a str", "a bytes",
        "a bytearray", "a tuple", "a list", "a dict", "a set", "a frozenset", "a global", "an object",
        "an ndarray", "a scalar", "a dtype", "a persid", "an ext"};
    if (!v) return "a NULL";
    return (unsigned)v->type < sizeof names / sizeof names[0] ? names[v->type] : "an invalid";
}

int jlp_get_bool(const jlp_val *v) { return v && v->type == JLP_BOOL && v->u.i; }

int64_t jlp_get_int(const jlp_val *v) {
    return v && (v->type == JLP_INT || v->type == JLP_BOOL) ? v->u.i : 0;
}

const uint8_t *jlp_get_bigint(const jlp_val *v, size_t *len) {
    bool ok = v && v->type == JLP_BIGINT;
    if (len) *len = ok ? v->u.s.n : 0;
    return ok ? (const uint8_t *)v->u.s.p : NULL;
}

double jlp_get_float(const jlp_val *v) {
    if (!v) return 0.0;
    if (v->type == JLP_FLOAT) return v->u.f;
    if (v->type == JLP_INT || v->type == JLP_BOOL) return (double)v->u.i;
    return 0.0;
}

int jlp_get_complex(const jlp_val *v, double *re, double *im) {
    bool ok = v && v->type == JLP_COMPLEX;
    if (re) *re = ok ? v->u.c.re : 0.0;
    if (im) *im = ok ? v->u.c.im : 0.0;
    return ok;
}

const char *jlp_get_str(const jlp_val *v, size_t *len) {
    bool ok = v && (v->type == JLP_STR || v->type == JLP_BYTES || v->type == JLP_BYTEARRAY);
    if (len) *len = ok ? v->u.s.n : 0;
    return ok ? v->u.s.p : NULL;
}

int jlp_str_eq(const jlp_val *v, const char *s) {
    if (!v || v->type != JLP_STR || !s) return 0;
    size_t n = strlen(s);
    return v->u.s.n == n && memcmp(v->u.s.p, s, n) == 0;
}


jlp_val *jlp_dict_key(const jlp_val *v, size_t i) {
    return v && v->type == JLP_DICT && i < v->u.seq.n ? v->u.seq.v[2 * i] : NULL;
}

jlp_val *jlp_dict_value(const jlp_val *v, size_t i) {
    return v && v->type == JLP_DICT && i < v->u.seq.n ? v->u.seq.v[2 * i + 1] : NULL;
}

jlp_val *jlp_dict_get(const jlp_val *v, const char *key) {
    if (!v || v->type != JLP_DICT || !key) return NULL;
    for (size_t i = 0; i < v->u.seq.n; i++)
        if (jlp_str_eq(v->u.seq.v[2 * i], key)) return v->u.seq.v[2 * i + 1];
    return NULL;
}

const char *jlp_global_module(const jlp_val *v, size_t *len) {
    bool ok = v && v->type == JLP_GLOBAL;
    if (len) *len = ok ? v->aux : 0;
    return ok ? v->u.g.mod : NULL;
}

const char *jlp_global_name(const jlp_val *v, size_t *len) {
    bool ok = v && v->type == JLP_GLOBAL;
    if (len) *len = ok ? v->u.g.name_len : 0;
    return ok ? v->u.g.name : NULL;
}

int jlp_global_is(const jlp_val *v, const char *module, const char *name) {
    if (!v || v->type != JLP_GLOBAL || !module || !name) return 0;
    size_t ml = strlen(module), nl = strlen(name);
    return v->aux == ml && v->u.g.name_len == nl && memcmp(v->u.g.mod, module, ml) == 0 &&
           memcmp(v->u.g.name, name, nl) == 0;
}

static const jlp__obj *obj_of(const jlp_val *v) {
    return v && v->type == JLP_OBJECT ? v->u.obj : NULL;
}

jlp_obj_kind jlp_obj_get_kind(const jlp_val *v) {
    const jlp__obj *o = obj_of(v);
    return o ? o->kind : JLP_OBJ_NONE;
}
jlp_val *jlp_obj_callable(const jlp_val *v) { const jlp__obj *o = obj_of(v); return o ? o->callable : NULL; }
jlp_val *jlp_obj_args(const jlp_val *v) { const jlp__obj *o = obj_of(v); return o ? o->args : NULL; }
jlp_val *jlp_obj_kwargs(const jlp_val *v) { const jlp__obj *o = obj_of(v); return o ? o->kwargs : NULL; }
jlp_val *jlp_obj_state(const jlp_val *v) { const jlp__obj *o = obj_of(v); return o ? o->state : NULL; }
jlp_val *jlp_obj_items(const jlp_val *v) { const jlp__obj *o = obj_of(v); return o ? o->items : NULL; }
jlp_val *jlp_obj_dictitems(const jlp_val *v) { const jlp__obj *o = obj_of(v); return o ? o->dictitems : NULL; }

jlp_val *jlp_persid_value(const jlp_val *v) {
    return v && v->type == JLP_PERSID ? v->u.ref : NULL;
}

int64_t jlp_ext_code(const jlp_val *v) { return v && v->type == JLP_EXT ? v->u.i : 0; }

/* The dict an object's attributes live in: its state, or the dict and the slots dict of
 * a (dict, slots) state as object.__reduce_ex__ writes them for classes with slots. */
void jlp__obj_attr_dicts(const jlp_val *obj, const jlp_val **d, const jlp_val **slots) {
    *d = *slots = NULL;
    const jlp__obj *o = obj_of(obj);
    const jlp_val *st = o ? o->state : NULL;
    if (!st) return;
    if (st->type == JLP_DICT) {
        *d = st;
    } else if (st->type == JLP_TUPLE && st->u.seq.n == 2) {
        if (st->u.seq.v[0]->type == JLP_DICT) *d = st->u.seq.v[0];
        if (st->u.seq.v[1]->type == JLP_DICT) *slots = st->u.seq.v[1];
    }
}

jlp_val *jlp__obj_attr_n(const jlp_val *obj, const char *name, size_t n) {
    const jlp_val *d[2];
    jlp__obj_attr_dicts(obj, &d[0], &d[1]);
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; d[k] && i < d[k]->u.seq.n; i++) {
            const jlp_val *key = d[k]->u.seq.v[2 * i];
            if (key->type == JLP_STR && key->u.s.n == n && !memcmp(key->u.s.p, name, n)) return d[k]->u.seq.v[2 * i + 1];
        }
    }
    return NULL;
}

jlp_val *jlp_obj_attr(const jlp_val *obj, const char *name) {
    return name ? jlp__obj_attr_n(obj, name, strlen(name)) : NULL;
}
