/*
 * build.c - the public constructors of numpy values (dtypes, arrays, scalars) and
 * jlp_array_data_mut. A dtype of another document is copied into the one being built,
 * so a loaded array's (const) dtype can make a new array anywhere. Failures fill `err`
 * and are kept in the document for jlp_doc_error.
 */
#include "numpy.h"

#include "../common/opts.h"

#include <stdarg.h>
#include <stdio.h>

/* Fill err and the document's builder error. @return NULL. */
JLP_PRINTF(4, 5)
static jlp_val *refuse(jlp_doc *doc, jlp_error *err, jlp_code code, const char *fmt, ...) {
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jlp__fail(err, code, 0, -1, "%s", msg);
    jlp__doc_note(doc, code, "%s", msg);
    return NULL;
}

static jlp_val *no_room(jlp_doc *doc, jlp_error *err, const char *what) {
    bool limit = jlp__doc_limit_hit(doc);
    return refuse(doc, err, limit ? JLP_E_LIMIT : JLP_E_NOMEM, "%s: %s", what,
                  limit ? "the document's limits.max_alloc is reached" : "out of memory");
}

/* A NULL dtype (section 2 of jlpickle.h): the error a failed lookup or constructor left
 * in err is kept and noted in the document as this call's failure; else INVALID_ARG. */
static jlp_val *null_dtype(jlp_doc *doc, jlp_error *err, const char *what) {
    jlp_code c = jlp__null_value(err);
    if (c == JLP_E_INVALID_ARG && (!err || !strcmp(err->msg, "NULL value")))
        return refuse(doc, err, c, "%s: NULL dtype", what);
    jlp__doc_note(doc, c, "%s", err->msg);
    return NULL;
}

/* Mark a value as made here (see value/build.c). */
static jlp_val *built(jlp_val *v) {
    if (v) v->flags |= JLP_VF_BUILT;
    return v;
}

/* The numpy parsers' context for a builder call: the document and the error, the
 * default read options, and no position (offset 0, no opcode). */
static jlp__np builder_np(jlp_doc *doc, jlp_error *err) {
    const jlp_read_opts *opts = jlp__read_opts_default();
    jlp__np m = {doc, err, opts, opts->limits, -1, 0, false, false, 0};
    return m;
}

jlp_val *jlp_new_dtype(jlp_doc *doc, const char *descr, jlp_error *err) {
    jlp__clear(err);
    if (!doc) return refuse(NULL, err, JLP_E_INVALID_ARG, "NULL document");
    if (!descr) return refuse(doc, err, JLP_E_INVALID_ARG, "jlp_new_dtype: NULL description");
    jlp_error e;
    jlp__np m = builder_np(doc, &e);
    jlp_val *dt = NULL;
    if (jlp__dtype_from_text(&m, descr, strlen(descr), &dt) != JLP_OK)
        return refuse(doc, err, e.code, "jlp_new_dtype: %s", e.msg);
    jlp__dt(dt)->built = true;
    return built(dt);
}

jlp_val *jlp_new_dtype_copy(jlp_doc *doc, const jlp_val *dtype, jlp_error *err) {
    if (doc && !dtype) return null_dtype(doc, err, "jlp_new_dtype_copy");
    jlp__clear(err);
    if (!doc) return refuse(NULL, err, JLP_E_INVALID_ARG, "NULL document");
    if (!dtype || dtype->type != JLP_DTYPE) return refuse(doc, err, JLP_E_INVALID_ARG, "jlp_new_dtype_copy: not a dtype");
    jlp_val *v = jlp__dtype_copy(doc, dtype);
    return v ? v : no_room(doc, err, "jlp_new_dtype_copy");
}

jlp_val *jlp_new_array(jlp_doc *doc, const jlp_val *dtype, uint32_t ndim, const uint64_t *shape, char order,
                       const void *data, size_t nbytes, jlp_ownership own, jlp_error *err) {
    if (doc && !dtype) return null_dtype(doc, err, "jlp_new_array");
    jlp__clear(err);
    if (!doc) return refuse(NULL, err, JLP_E_INVALID_ARG, "NULL document");
    if (!dtype || dtype->type != JLP_DTYPE || (ndim && !shape) || ndim > 64 || (order != 'C' && order != 'F') ||
        (!data && nbytes) || (own != JLP_COPY && own != JLP_BORROW))
        return refuse(doc, err, JLP_E_INVALID_ARG, "jlp_new_array: invalid arguments");
    const jlp__dtype_info *dt = jlp__dt(dtype);
    uint64_t count, need;
    if (dt->hasobject) return refuse(doc, err, JLP_E_INVALID_ARG, "object arrays are made with jlp_new_object_array");
    if (!jlp__array_size(dt, shape, ndim, &count, &need) || need != nbytes)
        return refuse(doc, err, JLP_E_INVALID_ARG, "jlp_new_array: shape and dtype need %llu bytes, %zu given",
                      (unsigned long long)need, nbytes);
    jlp_val *own_dt = jlp__dtype_in(doc, dtype);
    jlp_val *v = own_dt ? jlp__new_ndarray(doc, own_dt, shape, ndim) : NULL;
    const uint8_t *p = data;
    if (v && own == JLP_COPY) {
        uint8_t *copy = jlp__doc_alloc(doc, nbytes ? nbytes : 1);
        if (copy && nbytes) memcpy(copy, data, nbytes);
        p = copy;
    }
    if (!v || !p) return no_room(doc, err, "jlp_new_array");
    jlp__ndarray *a = jlp__arr(v);
    a->data = p;
    a->nbytes = nbytes;
    a->count = count;
    a->order = order;
    a->storage = own == JLP_COPY ? JLP_STORE_ARENA : JLP_STORE_BORROWED;
    a->origin = JLP_ORIGIN_WRAPPER_G2;
    return v;
}

jlp_val *jlp_new_object_array_ex(jlp_doc *doc, uint32_t ndim, const uint64_t *shape, char order,
                                 jlp_val *const *items, jlp_error *err) {
    jlp__clear(err);
    if (!doc) return refuse(NULL, err, JLP_E_INVALID_ARG, "NULL document");
    if ((ndim && !shape) || ndim > 64 || (order != 'C' && order != 'F'))
        return refuse(doc, err, JLP_E_INVALID_ARG, "jlp_new_object_array: invalid arguments");
    jlp_val *dt = jlp_new_dtype(doc, "|O", err);
    if (!dt) return NULL;
    uint64_t count, nbytes;
    if (!jlp__array_size(jlp__dt(dt), shape, ndim, &count, &nbytes) || count > SIZE_MAX / sizeof(jlp_val *))
        return refuse(doc, err, JLP_E_INVALID_ARG, "jlp_new_object_array: the shape is too large");
    if (count && !items) return refuse(doc, err, JLP_E_INVALID_ARG, "jlp_new_object_array: NULL items");
    for (uint64_t i = 0; i < count; i++)
        if (!items[i]) return refuse(doc, err, JLP_E_INVALID_ARG, "jlp_new_object_array: item %llu is NULL", (unsigned long long)i);
    jlp_val *v = jlp__new_ndarray(doc, dt, shape, ndim);
    jlp_val *list = v ? jlp__new_seq(doc, JLP_LIST, items, (size_t)count) : NULL;
    if (!list) return no_room(doc, err, "jlp_new_object_array");
    jlp__ndarray *a = jlp__arr(v);
    a->objects = list;
    a->count = count;
    a->order = order;
    a->storage = JLP_STORE_NONE;
    a->origin = JLP_ORIGIN_WRAPPER_G2;
    return v;
}

jlp_val *jlp_new_object_array(jlp_doc *doc, uint32_t ndim, const uint64_t *shape, jlp_val *const *items,
                              jlp_error *err) {
    return jlp_new_object_array_ex(doc, ndim, shape, 'C', items, err);
}

jlp_val *jlp_new_scalar(jlp_doc *doc, const jlp_val *dtype, const void *data, jlp_error *err) {
    if (doc && !dtype) return null_dtype(doc, err, "jlp_new_scalar");
    jlp__clear(err);
    if (!doc) return refuse(NULL, err, JLP_E_INVALID_ARG, "NULL document");
    if (!dtype || dtype->type != JLP_DTYPE || !data || jlp__dt(dtype)->hasobject)
        return refuse(doc, err, JLP_E_INVALID_ARG, "jlp_new_scalar: NULL data, or not a dtype without objects");
    size_t n = (size_t)jlp__dt(dtype)->itemsize;
    jlp_val *own_dt = jlp__dtype_in(doc, dtype);
    jlp_val *v = own_dt ? jlp__new_val(doc, JLP_SCALAR) : NULL;
    jlp__scalar *sc = v ? jlp__doc_alloc(doc, sizeof *sc) : NULL;
    uint8_t *copy = sc ? jlp__doc_alloc(doc, n ? n : 1) : NULL;
    if (!copy) return no_room(doc, err, "jlp_new_scalar");
    memcpy(copy, data, n);
    memset(sc, 0, sizeof *sc);
    sc->dtype = own_dt;
    sc->data = copy;
    v->u.ext = sc;
    return v;
}

void *jlp_array_data_mut(jlp_doc *doc, jlp_val *arr) {
    if (!doc) return NULL;
    if (!arr || arr->type != JLP_NDARRAY || jlp__arr(arr)->objects || jlp__arr(arr)->pending) {
        refuse(doc, NULL, JLP_E_INVALID_ARG, "jlp_array_data_mut: not an array of bytes");
        return NULL;
    }
    jlp__ndarray *a = jlp__arr(arr);
    a->convs = NULL; /* typed views converted from the old bytes no longer hold */
    /* a copy-on-write mapping is the document's own: a write copies the page, privately */
    const uint8_t *map = doc->map;
    if (a->storage == JLP_STORE_MMAP && doc->map_writable && a->data >= map && a->nbytes <= doc->map_len &&
        (size_t)(a->data - map) <= doc->map_len - a->nbytes)
        return (void *)(uintptr_t)a->data;
    if (a->storage != JLP_STORE_ARENA) {
        uint8_t *copy = jlp__doc_alloc(doc, a->nbytes ? (size_t)a->nbytes : 1);
        if (!copy) {
            no_room(doc, NULL, "jlp_array_data_mut");
            return NULL;
        }
        if (a->nbytes) memcpy(copy, a->data, (size_t)a->nbytes);
        a->data = copy;
        a->storage = JLP_STORE_ARENA;
    }
    return (void *)(uintptr_t)a->data;
}
