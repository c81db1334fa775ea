/*
 * ndarray.c - arrays and scalars from numpy's own pickling:
 *   numpy.core.multiarray._reconstruct(cls, (0,), b'b') + BUILD((version,) shape, dtype,
 *       is_fortran, data)        data: raw bytes, or a list for object arrays
 *   numpy.core.multiarray.scalar(dtype, raw bytes)
 *   numpy.core.numeric._frombuffer(buffer, dtype, shape, order)   (protocol 5)
 * and the same under numpy._core (numpy 2).
 */
#include "numpy.h"

#include <stdlib.h>

bool jlp__array_size(const jlp__dtype_info *dt, const uint64_t *shape, uint32_t ndim,
                     uint64_t *count, uint64_t *nbytes) {
    uint64_t c = 1;
    for (uint32_t i = 0; i < ndim; i++)
        if (!jlp__mul_u64(c, shape[i], &c)) return false;
    *count = c;
    return jlp__mul_u64(c, dt->itemsize, nbytes);
}

jlp_val *jlp__new_ndarray(jlp_doc *d, jlp_val *dtype, const uint64_t *shape, uint32_t ndim) {
    jlp_val *v = jlp__new_val(d, JLP_NDARRAY);
    jlp__ndarray *a = jlp__doc_alloc(d, sizeof *a);
    uint64_t *s = jlp__doc_alloc(d, (ndim ? ndim : 1) * sizeof *s);
    if (!v || !a || !s) return NULL;
    memset(a, 0, sizeof *a);
    if (ndim) memcpy(s, shape, ndim * sizeof *s);
    a->doc = d;
    a->dtype = dtype;
    a->shape = s;
    a->ndim = ndim;
    a->order = 'C';
    a->offset = UINT64_MAX;
    v->u.ext = a;
    return v;
}

/* Which numpy callable `fn` is, under either module layout. */
enum { NP_NONE, NP_DTYPE, NP_RECONSTRUCT, NP_SCALAR, NP_FROMBUFFER };

static int which(const jlp_val *fn) {
    if (fn->type != JLP_GLOBAL) return NP_NONE;
    if (JLP__GLOBAL_IS(fn, "numpy", "dtype")) return NP_DTYPE;
    if (JLP__GLOBAL_IS(fn, "numpy.core.multiarray", "_reconstruct") ||
        JLP__GLOBAL_IS(fn, "numpy._core.multiarray", "_reconstruct"))
        return NP_RECONSTRUCT;
    if (JLP__GLOBAL_IS(fn, "numpy.core.multiarray", "scalar") ||
        JLP__GLOBAL_IS(fn, "numpy._core.multiarray", "scalar"))
        return NP_SCALAR;
    if (JLP__GLOBAL_IS(fn, "numpy.core.numeric", "_frombuffer") ||
        JLP__GLOBAL_IS(fn, "numpy._core.numeric", "_frombuffer"))
        return NP_FROMBUFFER;
    return NP_NONE;
}

bool jlp__numpy_is_scalar_fn(const jlp_val *fn) { return which(fn) == NP_SCALAR; }

jlp_val *jlp__numpy_scalar_new(jlp_doc *doc, jlp_val *dtype, const uint8_t *data) {
    /* a scalar made of a dtype before its BUILD reads by the state given later */
    jlp__dt_use(jlp__dt(dtype));
    jlp_val *v = jlp__new_val(doc, JLP_SCALAR);
    jlp__scalar *sc = jlp__doc_alloc(doc, sizeof *sc);
    if (!v || !sc) return NULL;
    *sc = (jlp__scalar){.dtype = dtype, .data = data};
    v->u.ext = sc;
    return v;
}

/* Raw item bytes from a bytes/bytearray node, or from a py2 str (Latin-1 code points). */
static jlp_code raw_bytes(jlp__np *m, jlp_val *v, const uint8_t **p, size_t *n) {
    if (v->type == JLP_BYTES || v->type == JLP_BYTEARRAY) {
        *p = (const uint8_t *)v->u.s.p;
        *n = v->u.s.n;
        return JLP_OK;
    }
    if (v->type != JLP_STR) return jlp__np_fail(m, JLP_E_BAD_ARRAY, "array data is %s", jlp__a_type(v));
    const uint8_t *s = (const uint8_t *)v->u.s.p;
    size_t len = v->u.s.n, o = 0;
    uint8_t *out = jlp__doc_alloc(m->doc, len + 1);
    if (!out) return jlp__np_nomem(m);
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x80) out[o++] = s[i++];
        else if ((s[i] == 0xC2 || s[i] == 0xC3) && i + 1 < len) {
            out[o++] = (uint8_t)(((s[i] & 0x1F) << 6) | (s[i + 1] & 0x3F));
            i += 2;
        } else {
            return jlp__np_fail(m, JLP_E_BAD_ARRAY, "array data str has a code point above U+00FF");
        }
    }
    *p = out;
    *n = o;
    return JLP_OK;
}

static jlp_code set_data(jlp__np *m, jlp__ndarray *a, jlp_val *data) {
    jlp__dtype_info *dt = jlp__dt(a->dtype);
    jlp__dt_use(dt);
    if (!jlp__array_size(dt, a->shape, a->ndim, &a->count, &a->nbytes))
        return jlp__np_fail(m, JLP_E_BAD_ARRAY, "array size overflows");
    if (dt->hasobject) {
        if (data->type != JLP_LIST || data->u.seq.n != a->count)
            return jlp__np_fail(m, JLP_E_BAD_ARRAY, "object array data is not a list of %llu items",
                                (unsigned long long)a->count);
        a->objects = data;
        a->storage = JLP_STORE_NONE;
        return JLP_OK;
    }
    const uint8_t *p;
    size_t n;
    jlp_code c = raw_bytes(m, data, &p, &n);
    if (c) return c;
    if (n != a->nbytes)
        return jlp__np_fail(m, JLP_E_BAD_ARRAY, "array data has %zu bytes, shape and dtype need %llu", n,
                            (unsigned long long)a->nbytes);
    a->data = p;
    a->storage = (data->flags & JLP_VF_BORROWED) ? JLP_STORE_BORROWED : JLP_STORE_ARENA;
    return jlp__array_place(m, a);
}

/* An int numpy's argument parser takes for a C int ("i"): an int or a bool in range. */
static bool c_int(const jlp_val *v, int64_t *out) {
    if (v->type != JLP_INT && v->type != JLP_BOOL) return false;
    *out = v->u.i;
    return v->u.i >= INT32_MIN && v->u.i <= INT32_MAX;
}

/* Whether the global names a class of numpy's own modules. */
static bool subclass_of_numpy(const jlp_val *g) {
    size_t ml = g->aux;
    const char *mod = g->u.g.mod;
    return (ml == 5 && !memcmp(mod, "numpy", 5)) || (ml > 5 && !memcmp(mod, "numpy.", 6));
}

jlp_code jlp__ndarray_build(jlp__np *m, jlp_val *arr, jlp_val *state) {
    jlp__ndarray *a = jlp__arr(arr);
    if (!a->pending) return jlp__np_fail(m, JLP_E_BAD_TYPE, "BUILD on a complete ndarray");
    /* Subclasses outside numpy (numpy's own refuse these; spec/SAFETY.md S-40) that
     * restore ndarray's state with their own beside it, as astropy's do: the recipe of
     * Quantity and Angle, (ndarray state, __dict__), whose __setstate__ updates __dict__
     * from the second item; and Column's, ndarray's 5-tuple with one tuple of its
     * attributes after it, which __setstate__ setattr()s under fixed names. The array is
     * read from ndarray's part; the rest is the scan's to judge. */
    jlp_val *const *items = state->type == JLP_TUPLE ? state->u.seq.v : NULL;
    size_t n = state->type == JLP_TUPLE ? state->u.seq.n : 0;
    if (a->subclass && a->origin == JLP_ORIGIN_REDUCE && !subclass_of_numpy(a->subclass)) {
        if (n == 2 && items[0]->type == JLP_TUPLE && items[1]->type == JLP_DICT) {
            n = items[0]->u.seq.n;
            items = items[0]->u.seq.v;
        } else if (n == 6 && items[5]->type == JLP_TUPLE) {
            n = 5;
        }
    }
    if (!items || (n != 5 && n != 4))
        return jlp__np_fail(m, JLP_E_BAD_ARRAY, "ndarray state is not a 4- or 5-tuple");
    /* numpy's __setstate__ parses "(iO!O!iO)": (version, a tuple shape, a dtype, is_fortran
     * as a C int, data), or the same without the version, and takes versions 0 and 1
     * (FORMAT.md A-1) */
    jlp_val *const *s = items + (n == 5);
    int64_t version = 1, fortran;
    if (n == 5 && (!c_int(items[0], &version) || (version != 0 && version != 1)))
        return jlp__np_fail(m, JLP_E_BAD_ARRAY, "ndarray state version is not 0 or 1");
    if (s[1]->type != JLP_DTYPE) return jlp__np_fail(m, JLP_E_BAD_ARRAY, "ndarray state has no dtype");
    if (s[0]->type != JLP_TUPLE) return jlp__np_fail(m, JLP_E_BAD_ARRAY, "ndarray state shape is not a tuple");
    if (!c_int(s[2], &fortran)) return jlp__np_fail(m, JLP_E_BAD_ARRAY, "ndarray state is_fortran is not a C int");
    uint64_t *shape;
    uint32_t ndim;
    jlp_code c = jlp__shape_from_tuple(m, s[0], &shape, &ndim);
    if (c) return c;
    a->dtype = s[1];
    a->shape = shape;
    a->ndim = ndim;
    a->order = fortran ? 'F' : 'C';
    a->py_order = JLP_PY_ORDER_NUMPY;
    c = set_data(m, a, s[3]);
    if (c) return c;
    a->pending = false;
    m->doc->unbuilt -= a->unbuilt;
    a->unbuilt = false;
    return JLP_OK;
}

/* Whether `t` is a shape with no elements that numpy takes: the int 0, or a tuple or
 * list of at most 64 non-negative ints, one of them 0. */
static bool empty_shape(const jlp_val *t) {
    if (t->type == JLP_INT) return t->u.i == 0;
    if ((t->type != JLP_TUPLE && t->type != JLP_LIST) || t->u.seq.n > 64) return false;
    bool zero = false;
    for (size_t i = 0; i < t->u.seq.n; i++) {
        const jlp_val *x = t->u.seq.v[i];
        if ((x->type != JLP_INT && x->type != JLP_BOOL) || x->u.i < 0) return false;
        zero |= x->u.i == 0;
    }
    return zero;
}

jlp_code jlp__numpy_reduce(jlp__np *m, jlp_val *fn, jlp_val *args, jlp_val **out) {
    *out = NULL;
    size_t n = args->u.seq.n;
    jlp_val *const *a = args->u.seq.v;
    switch (which(fn)) {
    case NP_DTYPE:
        return jlp__dtype_reduce(m, args, out);
    case NP_RECONSTRUCT: {
        if (n != 3) return JLP_OK; /* unexpected shape: stays inert */
        /* numpy's _reconstruct(cls, shape, dtype) is ndarray.__new__(cls, shape, dtype):
         * an array of uninitialised items, which its BUILD replaces whole. numpy's own
         * pickles pass (0,) and b'b' (an empty int8 array). Until a BUILD, an array
         * without items is that array; one with items, or whose dtype argument is not
         * a dtype or numpy's type code 'b', has no value numpy would give the same way,
         * and a load that ends with it unbuilt fails (jlp__vm_unbuilt). */
        uint64_t zero = 0, *shape = &zero;
        uint32_t ndim = 1;
        jlp_code c;
        jlp_val *dt = a[2]->type == JLP_DTYPE && jlp__dt(a[2])->built ? a[2] : NULL;
        if ((a[2]->type == JLP_STR || a[2]->type == JLP_BYTES) && a[2]->u.s.n == 1 && a[2]->u.s.p[0] == 'b' &&
            (c = jlp__dtype_from_str(m, "|i1", 3, &dt)))
            return c;
        bool defined = dt && empty_shape(a[1]);
        if (defined && (c = jlp__shape_from_tuple(m, a[1], &shape, &ndim))) return c;
        if (!defined && (c = jlp__dtype_from_str(m, "|i1", 3, &dt))) return c; /* a placeholder */
        jlp_val *v = jlp__new_ndarray(m->doc, dt, shape, ndim);
        if (!v) return jlp__np_nomem(m);
        jlp__arr(v)->pending = true;
        jlp__arr(v)->unbuilt = !defined;
        m->doc->unbuilt += !defined;
        jlp__arr(v)->subclass = a[0]->type == JLP_GLOBAL ? a[0] : NULL;
        jlp__arr(v)->origin = JLP_ORIGIN_REDUCE;
        *out = v;
        return JLP_OK;
    }
    case NP_SCALAR: {
        if ((n != 1 && n != 2) || a[0]->type != JLP_DTYPE) return JLP_OK;
        jlp__dtype_info *dt = jlp__dt(a[0]);
        jlp_val *v = jlp__numpy_scalar_new(m->doc, a[0], NULL);
        if (!v) return jlp__np_nomem(m);
        jlp__scalar *sc = jlp__sc(v);
        if (dt->hasobject) {
            sc->object = n == 2 ? a[1] : jlp__new_none(m->doc);
        } else {
            /* as numpy's scalar(): without data the item is zeros; of longer data the
             * first itemsize bytes are taken; shorter data is an error */
            const uint8_t *p = NULL;
            size_t len = 0;
            if (n == 2) {
                jlp_code c = raw_bytes(m, a[1], &p, &len);
                if (c) return c;
                if (len < dt->itemsize)
                    return jlp__np_fail(m, JLP_E_BAD_ARRAY, "scalar data has %zu bytes, its dtype %llu", len,
                                        (unsigned long long)dt->itemsize);
            } else if (dt->itemsize) {
                if (dt->itemsize > SIZE_MAX) return jlp__np_nomem(m);
                uint8_t *z = jlp__doc_alloc(m->doc, (size_t)dt->itemsize);
                if (!z) return jlp__np_nomem(m);
                memset(z, 0, (size_t)dt->itemsize);
                p = z;
            }
            sc->data = p;
        }
        *out = v;
        return JLP_OK;
    }
    case NP_FROMBUFFER: {
        if (n != 4 || (a[0]->type != JLP_BYTES && a[0]->type != JLP_BYTEARRAY) || a[1]->type != JLP_DTYPE)
            return JLP_OK;
        uint64_t *shape;
        uint32_t ndim;
        jlp_code c = jlp__shape_from_tuple(m, a[2], &shape, &ndim);
        if (c) return c;
        jlp__dt_use(jlp__dt(a[1]));
        if (jlp__dt(a[1])->hasobject) return jlp__np_fail(m, JLP_E_BAD_ARRAY, "_frombuffer of an object dtype");
        jlp_val *v = jlp__new_ndarray(m->doc, a[1], shape, ndim);
        if (!v) return jlp__np_nomem(m);
        jlp__ndarray *arr = jlp__arr(v);
        arr->order = jlp_str_eq(a[3], "F") ? 'F' : 'C';
        arr->origin = JLP_ORIGIN_FROMBUFFER;
        c = set_data(m, arr, a[0]);
        if (c) return c;
        *out = v;
        return JLP_OK;
    }
    default:
        return JLP_OK;
    }
}

/* One item of a 1-d iteration: the scalar numpy's getitem gives for the item at p
 * (np.bytes_ and np.str_ are bytes and str, without their trailing NULs). @return NULL
 * with *fails set when numpy's getitem raises (a code point past U+10FFFF), or NULL for
 * out of memory. */
static jlp_val *item_scalar(jlp__np *m, jlp_val *dtype, const uint8_t *p, bool *fails) {
    jlp__dtype_info *dt = jlp__dt(dtype);
    uint64_t size = dt->itemsize;
    if (dt->kind == 'S' && !dt->structured && !dt->sub_base) {
        while (size && p[size - 1] == 0) size--;
        return jlp__new_bytes_copy(m->doc, JLP_BYTES, p, (size_t)size);
    }
    if (dt->kind == 'U' && !dt->structured && !dt->sub_base) {
        uint64_t n = size / 4;
        bool big = dt->byteorder == '>';
        uint32_t *cp = jlp__doc_alloc(m->doc, (n ? n : 1) * sizeof *cp);
        uint8_t *u8 = jlp__doc_alloc(m->doc, (n ? n : 1) * 4);
        if (!cp || !u8) return NULL;
        for (uint64_t i = 0; i < n; i++) {
            const uint8_t *q = p + 4 * i;
            cp[i] = big ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]
                        : (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 | q[0];
        }
        while (n && cp[n - 1] == 0) n--;
        size_t len = 0;
        for (uint64_t i = 0; i < n; i++) {
            if (cp[i] > 0x10FFFF) {
                *fails = true;
                return NULL;
            }
            len += jlp__utf8_put(u8 + len, cp[i]);
        }
        return jlp__new_bytes_copy(m->doc, JLP_STR, u8, len);
    }
    jlp_val *v = jlp__new_val(m->doc, JLP_SCALAR);
    jlp__scalar *sc = jlp__doc_alloc(m->doc, sizeof *sc);
    if (!v || !sc) return NULL;
    memset(sc, 0, sizeof *sc);
    sc->dtype = dtype;
    sc->data = p;
    v->u.ext = sc;
    return v;
}

jlp_code jlp__ndarray_items(jlp__np *m, const jlp_val *arr, jlp_val **out) {
    *out = NULL;
    const jlp__ndarray *a = jlp__arr(arr);
    jlp__dtype_info *dt = jlp__dt(a->dtype);
    if (a->ndim == 0) return JLP_OK; /* TypeError: iteration over a 0-d array */
    uint64_t count, nbytes;
    if (!jlp__array_size(dt, a->shape, a->ndim, &count, &nbytes))
        return jlp__np_fail(m, JLP_E_LIMIT, "array too large to iterate");
    uint64_t n = a->shape[0], inner = n ? count / n : 0;
    if (n > SIZE_MAX / sizeof(jlp_val *)) return jlp__np_nomem(m);
    jlp_val **items = jlp__doc_alloc(m->doc, (n ? n : 1) * sizeof *items);
    if (!items) return jlp__np_nomem(m);
    /* an array _reconstruct made and no BUILD filled: numpy's items are None for objects
     * and uninitialised memory otherwise (zeros here) */
    static const uint8_t none[1];
    const uint8_t *data = a->data ? a->data : none;
    if (!dt->hasobject && !a->data && nbytes) {
        uint8_t *z = jlp__doc_alloc(m->doc, (size_t)nbytes);
        if (!z) return jlp__np_nomem(m);
        memset(z, 0, (size_t)nbytes);
        data = z;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (a->ndim == 1) {
            if (dt->hasobject) {
                const jlp_val *objs = a->objects;
                jlp_val *o = objs && i < objs->u.seq.n ? objs->u.seq.v[i] : jlp__new_none(m->doc);
                items[i] = o;
                if (o && (dt->kind != 'O' || dt->structured || dt->sub_base)) { /* a record: np.void */
                    jlp__scalar *sc = jlp__doc_alloc(m->doc, sizeof *sc);
                    if (!sc || !(items[i] = jlp__new_val(m->doc, JLP_SCALAR))) return jlp__np_nomem(m);
                    memset(sc, 0, sizeof *sc);
                    sc->dtype = a->dtype;
                    sc->object = o;
                    items[i]->u.ext = sc;
                }
            } else {
                bool fails = false;
                items[i] = item_scalar(m, a->dtype, data + i * dt->itemsize, &fails);
                if (fails) return JLP_OK; /* numpy's getitem raises */
            }
        } else {
            /* arr[i]: an array of the other dimensions, its items in the same order */
            jlp_val *sub = jlp__new_ndarray(m->doc, a->dtype, a->shape + 1, a->ndim - 1);
            if (!sub) return jlp__np_nomem(m);
            jlp__ndarray *s = jlp__arr(sub);
            s->count = inner;
            s->nbytes = inner * dt->itemsize;
            s->order = a->order;
            s->storage = a->storage;
            s->origin = a->origin;
            if (dt->hasobject) {
                jlp_val **o = jlp__doc_alloc(m->doc, (inner ? inner : 1) * sizeof *o);
                if (!o) return jlp__np_nomem(m);
                for (uint64_t k = 0; k < inner; k++) {
                    const jlp_val *objs = a->objects;
                    uint64_t at = i * inner + k; /* objects are in C order */
                    o[k] = objs && at < objs->u.seq.n ? objs->u.seq.v[at] : jlp__new_none(m->doc);
                    if (!o[k]) return jlp__np_nomem(m);
                }
                if (!(s->objects = jlp__new_seq(m->doc, JLP_LIST, o, (size_t)inner))) return jlp__np_nomem(m);
            } else if (a->order == 'F') {
                /* element k (in F order) of arr[i] is element i + n * k of arr */
                uint8_t *d = jlp__doc_alloc(m->doc, (size_t)(s->nbytes ? s->nbytes : 1));
                if (!d) return jlp__np_nomem(m);
                for (uint64_t k = 0; k < inner; k++)
                    memcpy(d + k * dt->itemsize, data + (i + n * k) * dt->itemsize, (size_t)dt->itemsize);
                s->data = d;
            } else {
                s->data = data + i * inner * dt->itemsize;
            }
            items[i] = sub;
        }
        if (!items[i]) return jlp__np_nomem(m);
    }
    *out = jlp__new_seq(m->doc, JLP_TUPLE, items, (size_t)n);
    return *out ? JLP_OK : jlp__np_nomem(m);
}
