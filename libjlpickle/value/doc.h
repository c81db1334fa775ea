/*
 * doc.h - the internal layout of documents and value nodes, and the constructors the
 * unpickler (and later the builder API) use. Every node, string and item array lives in
 * the document's arena, so freeing a document never walks the value graph.
 * value/ (documents, nodes, builders, big ints, the JSON export) uses common/, codec/
 * and io/; the payloads of numpy values it reads are value/npvalue.h.
 */
#ifndef JLP_DOC_H
#define JLP_DOC_H

#include "../common/common.h"

typedef struct jlp__obj {
    jlp_obj_kind kind;
    jlp_val *callable;   /* class or callable */
    jlp_val *args;       /* JLP_TUPLE, never NULL */
    jlp_val *kwargs;     /* JLP_DICT or NULL */
    jlp_val *state;      /* NULL until BUILD */
    jlp_val *items;      /* JLP_LIST or NULL */
    jlp_val *dictitems;  /* JLP_DICT or NULL */
} jlp__obj;

/* Node flags. */
#define JLP_VF_BORROWED 0x01u  /* s.p points into caller memory, not the arena */
#define JLP_VF_ORDERED  0x02u  /* a dict that was a collections.OrderedDict */
#define JLP_VF_FRESH    0x04u  /* writer scratch: a new object each time in Python, never
                                  matched by value in the writer's memo */
#define JLP_VF_BUILT    0x08u  /* made by the builder API or the writer, not loaded: the
                                  writer may match it by value (see writer.c by_value) */
#define JLP_VF_SCRATCH  0x10u  /* made by the writer for one save (reduce arguments, the
                                  items of a set below protocol 4, array wrappers...) */

struct jlp_val {
    uint8_t type;        /* jlp_type */
    uint8_t flags;
    uint16_t reserved;
    uint32_t aux;        /* JLP_GLOBAL: module length */
    union {
        int64_t i;                                  /* INT, BOOL, EXT */
        double f;                                   /* FLOAT */
        struct { double re, im; } c;                /* COMPLEX */
        struct { const char *p; size_t n; } s;      /* STR, BYTES, BYTEARRAY, BIGINT */
        struct { jlp_val **v; size_t n, cap; } seq; /* TUPLE LIST SET FROZENSET; DICT: n pairs
                                                        in v[2i], v[2i+1], cap in slots */
        struct { const char *mod, *name; uint32_t name_len; } g; /* GLOBAL */
        jlp__obj *obj;                               /* OBJECT */
        jlp_val *ref;                               /* PERSID */
        void *ext;                                  /* NDARRAY, SCALAR, DTYPE (numpy/) */
    } u;
};

struct jlp_doc {
    jlp__arena arena;       /* nodes, strings, array data; holds this struct itself */
    jlp__arena items;       /* item arrays of containers: kept apart so the array being
                               filled is usually the last allocation and grows in place */
    jlp_val *root;
    jlp_val *none_val, *true_val, *false_val;  /* shared singletons */
    int protocol;
    unsigned warnings;
    uint64_t consumed;
    uint64_t frame_rest;    /* bytes of the frame left after its STOP (the scan's pickle.py
                               readings: a next pickle.load() starts after them) */
    uint64_t ops;
    bool limit_hit;         /* the last failed allocation hit limits.max_alloc */
    uint8_t new_flags;      /* flags every new node of this document starts with (the
                               writer's scratch document: JLP_VF_SCRATCH) */
    const char *container;  /* codec name, "none" for a raw pickle */
    uint64_t arrays;        /* arrays read through joblib wrappers */
    uint64_t unbuilt;       /* arrays numpy's _reconstruct made with items (or with a dtype
                               argument not read) that no BUILD has filled yet */
    unsigned origins;       /* 1 << jlp_array_origin of each wrapper met */
    jlp_error error;        /* the first failure of a builder or editing call since the
                               last jlp_doc_error (code JLP_OK when none) */
    bool mapped;            /* the input is the mapping below */
    void *map;
    size_t map_len;
    bool map_writable;      /* a private writable mapping: arrays in it are edited in place */
    void (*keep_release)(void *ctx); /* called by jlp_doc_free: releases what the
                                        document's values point into (an archive's
                                        bytes), set by the layer that loaded it */
    void *keep_ctx;
};

/** @return a new empty document, or NULL when the allocator fails. */
jlp_doc *jlp__doc_new(const jlp_alc *alc, uint64_t alloc_limit, bool *limit_hit);

/* Constructors: each returns NULL when the arena cannot allocate (the caller reports
 * NOMEM or LIMIT, see jlp__doc_alloc_failed). */
void *jlp__doc_alloc_slow(jlp_doc *d, size_t n);
static inline void *jlp__doc_alloc(jlp_doc *d, size_t n) {
    jlp__arena *a = &d->arena;
    size_t need = (n + 15u) & ~(size_t)15u;
    if (JLP_LIKELY(need >= n && (size_t)(a->end - a->cur) >= need)) {
        void *p = a->cur;
        a->cur += need;
        return p;
    }
    return jlp__doc_alloc_slow(d, n);
}
static inline jlp_val *jlp__new_val(jlp_doc *d, jlp_type t) {
    jlp_val *v = (jlp_val *)jlp__doc_alloc(d, sizeof *v);
    if (!v) return NULL;
    /* one struct store: the compiler writes the node with a few wide stores */
    *v = (jlp_val){.type = (uint8_t)t, .flags = d->new_flags};
    return v;
}
static inline jlp_val *jlp__new_int(jlp_doc *d, int64_t i) {
    jlp_val *v = (jlp_val *)jlp__doc_alloc(d, sizeof *v);
    if (!v) return NULL;
    *v = (jlp_val){.type = JLP_INT, .flags = d->new_flags, .u.i = i};
    return v;
}
jlp_val *jlp__new_none(jlp_doc *d);
jlp_val *jlp__new_bool(jlp_doc *d, bool b);
static inline jlp_val *jlp__new_float(jlp_doc *d, double f) {
    jlp_val *v = (jlp_val *)jlp__doc_alloc(d, sizeof *v);
    if (!v) return NULL;
    *v = (jlp_val){.type = JLP_FLOAT, .flags = d->new_flags, .u.f = f};
    return v;
}
/** A JLP_STR, JLP_BYTES, JLP_BYTEARRAY or JLP_BIGINT node over a copy of `p` (a NUL is
 *  appended). */
jlp_val *jlp__new_bytes_copy(jlp_doc *d, jlp_type t, const void *p, size_t n);
/** Same, over `p` without copying (caller guarantees its lifetime). */
jlp_val *jlp__new_bytes_borrow(jlp_doc *d, jlp_type t, const void *p, size_t n);
/** A sequence (TUPLE LIST SET FROZENSET) or DICT node with room for `cap` items (pairs for
 *  DICT) and the items copied from `items` (n items, 2n for DICT). */
jlp_val *jlp__new_seq(jlp_doc *d, jlp_type t, jlp_val *const *items, size_t n);
jlp_val *jlp__new_global(jlp_doc *d, const char *mod, size_t mod_len, const char *name,
                         size_t name_len);
jlp_val *jlp__new_object(jlp_doc *d, jlp_obj_kind kind, jlp_val *callable, jlp_val *args);
/** Append n items (2n for a DICT: key, value, ...) to a sequence/dict node.
 *  @return false on allocation failure. */
bool jlp__seq_append(jlp_doc *d, jlp_val *seq, jlp_val *const *items, size_t n);
/** The dicts an object's attributes live in: its state when it is a dict, or the dict
 *  and the slots dict of a (dict, slots) state tuple; NULL where there is none. */
void jlp__obj_attr_dicts(const jlp_val *obj, const jlp_val **d, const jlp_val **slots);
/** @return the type of `v` named with its article for messages ("an int", "a list",
 *  "None"; "a NULL" for NULL). Static storage. */
const char *jlp__a_type(const jlp_val *v);
/** An object's attribute by a name of `n` bytes (see jlp_obj_attr), or NULL. */
jlp_val *jlp__obj_attr_n(const jlp_val *obj, const char *name, size_t n);
/** Keep `code` and the message as the document's builder error (jlp_doc_error) unless
 *  an earlier failure is kept already: the first one is the cause. NULL doc: ignored. */
void jlp__doc_note(jlp_doc *d, jlp_code code, const char *fmt, ...) JLP_PRINTF(3, 4);
/** jlp_global_is for a module and name given as string literals: their lengths are
 *  known at compile time, so a global that is not the one costs a compare or two
 *  (reduce dispatch tries a dozen names per call). */
#define JLP__GLOBAL_IS(v, module, name) \
    jlp__global_is_n((v), (module), sizeof(module) - 1, (name), sizeof(name) - 1)
static inline bool jlp__global_is_n(const jlp_val *v, const char *module, size_t ml, const char *name,
                                    size_t nl) {
    return v && v->type == JLP_GLOBAL && v->aux == ml && v->u.g.name_len == nl &&
           memcmp(v->u.g.name, name, nl) == 0 && memcmp(v->u.g.mod, module, ml) == 0;
}
/** Whether the last allocation failure was the alloc limit (true) or the allocator. */
bool jlp__doc_limit_hit(jlp_doc *d);

#endif /* JLP_DOC_H */
