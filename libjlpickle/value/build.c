/*
 * build.c - the public constructors and editors of documents. They reuse the node
 * constructors the unpickler uses, so a built document and a loaded one are the same
 * kind of thing and dump the same way.
 */
#include "doc.h"

#include "bigint.h"
#include "../common/opts.h"
#include "../numpy/numpy.h"

#include <stdlib.h>

jlp_doc *jlp_doc_new(const jlp_alc *alc) {
    bool hit = false;
    jlp_doc *d = jlp__doc_new(jlp__alc_or_default(alc), 0, &hit);
    if (d) d->container = "none";
    return d;
}

jlp_code jlp_doc_set_root(jlp_doc *doc, jlp_val *root) {
    if (!doc) return JLP_E_INVALID_ARG;
    doc->root = root;
    return JLP_OK;
}

jlp_val *jlp_new_none(jlp_doc *doc) { return doc ? jlp__new_none(doc) : NULL; }
jlp_val *jlp_new_bool(jlp_doc *doc, int b) { return doc ? jlp__new_bool(doc, b != 0) : NULL; }
jlp_val *jlp_new_int(jlp_doc *doc, int64_t i) { return doc ? jlp__new_int(doc, i) : NULL; }
jlp_val *jlp_new_float(jlp_doc *doc, double f) { return doc ? jlp__new_float(doc, f) : NULL; }

jlp_val *jlp_new_bigint(jlp_doc *doc, const uint8_t *bytes, size_t len) {
    if (!doc || (!bytes && len)) return NULL;
    int64_t i;
    if (jlp__bigint_to_i64(bytes, len, &i)) return jlp__new_int(doc, i);
    return jlp__new_bytes_copy(doc, JLP_BIGINT, bytes, jlp__bigint_minlen(bytes, len));
}

jlp_val *jlp_new_complex(jlp_doc *doc, double re, double im) {
    jlp_val *v = doc ? jlp__new_val(doc, JLP_COMPLEX) : NULL;
    if (v) {
        v->u.c.re = re;
        v->u.c.im = im;
    }
    return v;
}

/* Mark a value as made here: the writer may then recognise it by value where Python
 * would hold one shared object (interned strings, classes, builtin dtypes). */
static jlp_val *built(jlp_val *v) {
    if (v) v->flags |= JLP_VF_BUILT;
    return v;
}

jlp_val *jlp_new_str(jlp_doc *doc, const char *s, size_t len) {
    if (!doc || (!s && len) || jlp__utf8_valid_prefix((const uint8_t *)s, len) != len) return NULL;
    return built(jlp__new_bytes_copy(doc, JLP_STR, s ? s : "", len));
}

jlp_val *jlp_new_strz(jlp_doc *doc, const char *s) { return s ? jlp_new_str(doc, s, strlen(s)) : NULL; }

jlp_val *jlp_new_bytes(jlp_doc *doc, const void *p, size_t len) {
    return doc && (p || !len) ? built(jlp__new_bytes_copy(doc, JLP_BYTES, p ? p : "", len)) : NULL;
}

jlp_val *jlp_new_bytearray(jlp_doc *doc, const void *p, size_t len) {
    return doc && (p || !len) ? jlp__new_bytes_copy(doc, JLP_BYTEARRAY, p ? p : "", len) : NULL;
}

static bool items_ok(jlp_val *const *items, size_t n) {
    if (n && !items) return false;
    for (size_t i = 0; i < n; i++)
        if (!items[i]) return false;
    return true;
}

jlp_val *jlp_new_tuple(jlp_doc *doc, jlp_val *const *items, size_t n) {
    return doc && items_ok(items, n) ? jlp__new_seq(doc, JLP_TUPLE, items, n) : NULL;
}
jlp_val *jlp_new_frozenset(jlp_doc *doc, jlp_val *const *items, size_t n) {
    return doc && items_ok(items, n) ? jlp__new_seq(doc, JLP_FROZENSET, items, n) : NULL;
}
jlp_val *jlp_new_list(jlp_doc *doc) { return doc ? jlp__new_seq(doc, JLP_LIST, NULL, 0) : NULL; }
jlp_val *jlp_new_dict(jlp_doc *doc) { return doc ? jlp__new_seq(doc, JLP_DICT, NULL, 0) : NULL; }
jlp_val *jlp_new_set(jlp_doc *doc) { return doc ? jlp__new_seq(doc, JLP_SET, NULL, 0) : NULL; }

jlp_code jlp_list_append(jlp_doc *doc, jlp_val *list, jlp_val *item) {
    if (!doc || !list || !item || (list->type != JLP_LIST && list->type != JLP_SET))
        return JLP_E_INVALID_ARG;
    return jlp__seq_append(doc, list, &item, 1) ? JLP_OK : JLP_E_NOMEM;
}

jlp_code jlp_list_set(jlp_doc *doc, jlp_val *list, size_t i, jlp_val *item) {
    if (!doc || !list || !item || list->type != JLP_LIST || i >= list->u.seq.n) return JLP_E_INVALID_ARG;
    list->u.seq.v[i] = item;
    return JLP_OK;
}

jlp_code jlp_dict_set(jlp_doc *doc, jlp_val *dict, jlp_val *key, jlp_val *value) {
    if (!doc || !dict || !key || !value || dict->type != JLP_DICT) return JLP_E_INVALID_ARG;
    if (key->type == JLP_STR) {
        for (size_t i = 0; i < dict->u.seq.n; i++) {
            jlp_val *k = dict->u.seq.v[2 * i];
            if (k->type == JLP_STR && k->u.s.n == key->u.s.n && !memcmp(k->u.s.p, key->u.s.p, k->u.s.n)) {
                dict->u.seq.v[2 * i + 1] = value;
                return JLP_OK;
            }
        }
    }
    jlp_val *kv[2] = {key, value};
    return jlp__seq_append(doc, dict, kv, 1) ? JLP_OK : JLP_E_NOMEM;
}

jlp_code jlp_dict_set_str(jlp_doc *doc, jlp_val *dict, const char *key, jlp_val *value) {
    jlp_val *k = jlp_new_strz(doc, key);
    return k ? jlp_dict_set(doc, dict, k, value) : JLP_E_INVALID_ARG;
}

jlp_val *jlp_new_global(jlp_doc *doc, const char *module, const char *qualname) {
    if (!doc || !module || !qualname || !*module || !*qualname) return NULL;
    size_t ml = strlen(module), nl = strlen(qualname);
    if (jlp__utf8_valid_prefix((const uint8_t *)module, ml) != ml ||
        jlp__utf8_valid_prefix((const uint8_t *)qualname, nl) != nl || memchr(module, '\n', ml) ||
        memchr(qualname, '\n', nl))
        return NULL;
    return built(jlp__new_global(doc, module, ml, qualname, nl));
}

jlp_val *jlp_new_object(jlp_doc *doc, jlp_val *cls, jlp_val *args, jlp_val *state) {
    if (!doc || !cls || (args && args->type != JLP_TUPLE)) return NULL;
    jlp_val *o = jlp__new_object(doc, JLP_OBJ_NEWOBJ, cls, args);
    if (o) o->u.obj->state = state;
    return o;
}

jlp_val *jlp_new_call(jlp_doc *doc, jlp_val *callable, jlp_val *args) {
    if (!doc || !callable || (args && args->type != JLP_TUPLE)) return NULL;
    return jlp__new_object(doc, JLP_OBJ_REDUCE, callable, args);
}

jlp_code jlp_obj_set_state(jlp_doc *doc, jlp_val *obj, jlp_val *state) {
    if (!doc || !obj || obj->type != JLP_OBJECT) return JLP_E_INVALID_ARG;
    obj->u.obj->state = state;
    return JLP_OK;
}

static jlp_code obj_slot(jlp_doc *doc, jlp_val *obj, bool pairs, jlp_val **slot) {
    if (!doc || !obj || obj->type != JLP_OBJECT) return JLP_E_INVALID_ARG;
    jlp_val **p = pairs ? &obj->u.obj->dictitems : &obj->u.obj->items;
    if (!*p) *p = jlp__new_seq(doc, pairs ? JLP_DICT : JLP_LIST, NULL, 0);
    if (!*p) return JLP_E_NOMEM;
    *slot = *p;
    return JLP_OK;
}

jlp_code jlp_obj_append_item(jlp_doc *doc, jlp_val *obj, jlp_val *item) {
    jlp_val *list;
    jlp_code c = item ? obj_slot(doc, obj, false, &list) : JLP_E_INVALID_ARG;
    return c ? c : jlp_list_append(doc, list, item);
}

jlp_code jlp_obj_set_dictitem(jlp_doc *doc, jlp_val *obj, jlp_val *key, jlp_val *value) {
    jlp_val *dict;
    jlp_code c = key && value ? obj_slot(doc, obj, true, &dict) : JLP_E_INVALID_ARG;
    return c ? c : jlp_dict_set(doc, dict, key, value);
}

/* The numpy parsers report errors through an unpickler; a builder call has none, so it
 * lends them one that only carries the document and the error. */
static void builder_vm(jlp__vm *m, jlp_doc *doc, jlp_error *err) {
    memset(m, 0, sizeof *m);
    m->doc = doc;
    m->err = err;
    m->opts = jlp__read_opts_default();
    m->lim = m->opts->limits;
    m->alc = doc->arena.alc;
    m->op = -1;
}

jlp_val *jlp_new_dtype(jlp_doc *doc, const char *descr, jlp_error *err) {
    jlp__clear(err);
    if (!doc || !descr) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL document or description");
        return NULL;
    }
    jlp__vm m;
    builder_vm(&m, doc, err);
    jlp_val *dt = NULL;
    if (jlp__dtype_from_text(&m, descr, strlen(descr), &dt) != JLP_OK) return NULL;
    jlp__dt(dt)->built = true;
    return built(dt);
}

jlp_val *jlp_new_array(jlp_doc *doc, jlp_val *dtype, uint32_t ndim, const uint64_t *shape,
                       char order, const void *data, size_t nbytes, jlp_ownership own,
                       jlp_error *err) {
    jlp__clear(err);
    if (!doc || !dtype || dtype->type != JLP_DTYPE || (ndim && !shape) || ndim > 64 ||
        (order != 'C' && order != 'F') || (!data && nbytes)) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "invalid array arguments");
        return NULL;
    }
    jlp_dtype_info *dt = jlp__dt(dtype);
    uint64_t count, need;
    if (dt->hasobject) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "object arrays are made with jlp_new_object_array");
        return NULL;
    }
    if (!jlp__array_size(dt, shape, ndim, &count, &need) || need != nbytes) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "shape and dtype need %llu bytes, %zu given",
                  (unsigned long long)need, nbytes);
        return NULL;
    }
    jlp_val *v = jlp__new_ndarray(doc, dtype, shape, ndim);
    const uint8_t *p = data;
    if (v && own == JLP_COPY) {
        uint8_t *copy = jlp__doc_alloc(doc, nbytes ? nbytes : 1);
        if (copy && nbytes) memcpy(copy, data, nbytes);
        p = copy;
    }
    if (!v || !p) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    jlp_ndarray *a = jlp__arr(v);
    a->data = p;
    a->nbytes = nbytes;
    a->count = count;
    a->order = order;
    a->storage = own == JLP_COPY ? JLP_STORE_ARENA : JLP_STORE_BORROWED;
    a->origin = JLP_ORIGIN_WRAPPER_G2;
    return v;
}

jlp_val *jlp_new_object_array(jlp_doc *doc, uint32_t ndim, const uint64_t *shape,
                              jlp_val *const *items, jlp_error *err) {
    jlp__clear(err);
    jlp_val *dt = doc ? jlp_new_dtype(doc, "|O", err) : NULL;
    if (!dt || (ndim && !shape) || ndim > 64) {
        if (dt) jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "invalid array arguments");
        return NULL;
    }
    uint64_t count, nbytes;
    if (!jlp__array_size(jlp__dt(dt), shape, ndim, &count, &nbytes) || !items_ok(items, count)) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "invalid elements");
        return NULL;
    }
    jlp_val *v = jlp__new_ndarray(doc, dt, shape, ndim);
    jlp_val *list = v ? jlp__new_seq(doc, JLP_LIST, items, count) : NULL;
    if (!list) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    jlp_ndarray *a = jlp__arr(v);
    a->objects = list;
    a->count = count;
    a->storage = JLP_STORE_NONE;
    a->origin = JLP_ORIGIN_WRAPPER_G2;
    return v;
}

jlp_val *jlp_new_scalar(jlp_doc *doc, jlp_val *dtype, const void *data, jlp_error *err) {
    jlp__clear(err);
    if (!doc || !dtype || dtype->type != JLP_DTYPE || !data || jlp__dt(dtype)->hasobject) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "invalid scalar arguments");
        return NULL;
    }
    size_t n = (size_t)jlp__dt(dtype)->itemsize;
    jlp_val *v = jlp__new_val(doc, JLP_SCALAR);
    jlp_scalar *sc = v ? jlp__doc_alloc(doc, sizeof *sc) : NULL;
    uint8_t *copy = sc ? jlp__doc_alloc(doc, n ? n : 1) : NULL;
    if (!copy) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    memcpy(copy, data, n);
    memset(sc, 0, sizeof *sc);
    sc->dtype = dtype;
    sc->data = copy;
    v->u.ext = sc;
    return v;
}

void *jlp_array_data_mut(jlp_doc *doc, jlp_val *arr) {
    if (!doc || !arr || arr->type != JLP_NDARRAY || jlp__arr(arr)->objects || jlp__arr(arr)->pending) return NULL;
    jlp_ndarray *a = jlp__arr(arr);
    if (a->storage != JLP_STORE_ARENA) {
        uint8_t *copy = jlp__doc_alloc(doc, a->nbytes ? (size_t)a->nbytes : 1);
        if (!copy) return NULL;
        if (a->nbytes) memcpy(copy, a->data, (size_t)a->nbytes);
        a->data = copy;
        a->storage = JLP_STORE_ARENA;
    }
    return (void *)(uintptr_t)a->data;
}
