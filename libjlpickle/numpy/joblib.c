/*
 * joblib.c - joblib's array wrappers. joblib pickles each ndarray as a
 * NumpyArrayWrapper object whose BUILD state describes the array; the array's bytes
 * follow that BUILD in the stream, outside any frame, with no length field:
 *
 *   G2 (joblib >= 1.2): state key numpy_array_alignment_bytes = 16, then one pad-length
 *       byte p (1..16) and p bytes 0xFF, then the data, 16-byte aligned in the stream
 *   G2 on an unseekable output: the key is None and there is no pad
 *   G1 (joblib 0.10 - 1.1): no key, no pad
 *   object dtype (any generation): the payload is a complete nested pickle
 *
 * The payload length is prod(shape) * itemsize, computed with overflow checks and
 * checked against the bytes that remain before anything is allocated. Older joblib
 * (<= 0.9) wrote NDArrayWrapper / ZNDArrayWrapper with companion files (companion.c).
 */
#include "numpy.h"

#include <stdlib.h>

/* joblib's alignment; a pad longer than this is not something joblib writes. */
#define JOBLIB_ALIGNMENT 16

enum wrapper { W_NONE, W_NUMPY, W_NDARRAY, W_ZNDARRAY };

static enum wrapper wrapper_of(const jlp_val *target) {
    const jlp_val *cls = target->u.obj->callable;
    if (!cls || cls->type != JLP_GLOBAL) return W_NONE;
    if (target->u.obj->kind != JLP_OBJ_NEWOBJ && target->u.obj->kind != JLP_OBJ_RECONSTRUCTOR &&
        target->u.obj->kind != JLP_OBJ_OBJ && target->u.obj->kind != JLP_OBJ_INST)
        return W_NONE;
    size_t ml;
    const char *mod = jlp_global_module(cls, &ml);
    /* joblib, and the copy scikit-learn vendored before 0.23 */
    if (!(ml == 19 && !memcmp(mod, "joblib.numpy_pickle", 19)) &&
        !(ml == 37 && !memcmp(mod, "sklearn.externals.joblib.numpy_pickle", 37)))
        return W_NONE;
    size_t nl;
    const char *name = jlp_global_name(cls, &nl);
    if (nl == 17 && !memcmp(name, "NumpyArrayWrapper", 17)) return W_NUMPY;
    if (nl == 14 && !memcmp(name, "NDArrayWrapper", 14)) return W_NDARRAY;
    if (nl == 15 && !memcmp(name, "ZNDArrayWrapper", 15)) return W_ZNDARRAY;
    return W_NONE;
}

/* Look up a str key in the state dict; *present tells a missing key from a None value. */
static jlp_val *state_get(jlp_val *state, const char *key, bool *present) {
    jlp_val *v = jlp_dict_get(state, key);
    if (present) *present = v != NULL;
    return v;
}

static jlp_code numpy_wrapper(jlp__vm *m, jlp_val *state, jlp_val **out) {
    jlp_val *dtype = state_get(state, "dtype", NULL);
    jlp_val *shape_v = state_get(state, "shape", NULL);
    jlp_val *order_v = state_get(state, "order", NULL);
    jlp_val *subclass = state_get(state, "subclass", NULL);
    bool has_align;
    jlp_val *align = state_get(state, "numpy_array_alignment_bytes", &has_align);
    /* What joblib's NumpyArrayWrapper.read needs (J-2): every attribute it reads must
     * be there, or joblib.load fails with AttributeError after this BUILD. */
    if (!dtype || dtype->type != JLP_DTYPE)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper state has no dtype");
    if (!shape_v) return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper state has no shape");
    /* joblib takes len(shape): a bare int, which numpy itself accepts elsewhere, fails */
    if (shape_v->type != JLP_TUPLE && shape_v->type != JLP_LIST)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper shape is a %s, not a tuple",
                            jlp_type_name((jlp_type)shape_v->type));
    /* joblib compares the subclass with ndarray and memmap and calls
     * _reconstruct(subclass, (0,), 'b') for anything else: it must be a class */
    if (!subclass) return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper state has no subclass");
    if (subclass->type != JLP_GLOBAL)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper subclass is a %s, not a class",
                            jlp_type_name((jlp_type)subclass->type));
    uint64_t *shape;
    uint32_t ndim;
    jlp_code c = jlp__shape_from_tuple(m, shape_v, &shape, &ndim);
    if (c) return c;
    jlp_dtype_info *dt = jlp__dt(dtype);
    uint64_t count, nbytes;
    if (!jlp__array_size(dt, shape, ndim, &count, &nbytes))
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "array of shape and itemsize %llu overflows 64 bits",
                            (unsigned long long)dt->itemsize);
    /* the payload of a non-object array: joblib reads it in chunks of BUFFER_SIZE //
     * itemsize items (so item size 0 divides by zero, whatever the count) and reshapes
     * it by `order` */
    if (dt->itemsize == 0 && !dt->hasobject)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "array dtype has itemsize 0 (joblib divides by it)");
    if (!order_v && !dt->hasobject) return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper state has no order");
    /* joblib reads the payload from the file itself: a frame must not cover it. */
    jlp_source *src = m->src;
    if (m->in_frame && jlp__src_tell(src) < m->frame_end)
        return jlp__vm_fail(m, JLP_E_FRAME, "array payload inside a frame (joblib ends frames at wrappers)");
    m->in_frame = false;

    jlp_val *arr;
    if (dt->hasobject) {
        /* A nested pickle whose result is the array (numpy's own reduce). */
        jlp_val *root;
        uint64_t at = jlp__src_tell(src);
        c = jlp__vm_event(m, JLP_EV_NESTED, at, 0);
        if (!c) c = jlp__vm_nested(m, &root);
        if (c) return c;
        if (root->type != JLP_NDARRAY)
            return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "object array payload at %llu is a %s, not an array",
                                (unsigned long long)at, jlp_type_name((jlp_type)root->type));
        arr = root;
    } else {
        jlp_array_origin origin = JLP_ORIGIN_WRAPPER_G1;
        uint64_t payload_start = jlp__src_tell(src);
        if (has_align && align->type == JLP_NONE) origin = JLP_ORIGIN_WRAPPER_NOTELL;
        else if (has_align) {
            if (align->type != JLP_INT || align->u.i <= 0 || align->u.i > 4096)
                return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "numpy_array_alignment_bytes is not a small int or None");
            origin = JLP_ORIGIN_WRAPPER_G2;
            const uint8_t *pad;
            bool borrowed;
            c = jlp__vm_read_raw(m, 1, &pad, &borrowed);
            if (c) return c;
            uint8_t p = pad[0];
            if (p > JOBLIB_ALIGNMENT)
                return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "array padding of %u bytes (joblib writes 1 to 16)", p);
            if (p) {
                uint64_t pad_at = jlp__src_tell(src);
                c = jlp__vm_read_raw(m, p, &pad, &borrowed);
                if (c) return c;
                for (unsigned i = 0; i < p; i++)
                    if (pad[i] != 0xFF)
                        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "array padding byte at %llu is 0x%02x, not 0xff",
                                            (unsigned long long)(pad_at + i), pad[i]);
            }
        }
        uint64_t at = jlp__src_tell(src);
        if (jlp__src_lends(src) && nbytes > jlp__src_remaining(src))
            return jlp__vm_fail(m, JLP_E_TRUNCATED, "array payload of %llu bytes at %llu, only %llu remain",
                                (unsigned long long)nbytes, (unsigned long long)at,
                                (unsigned long long)jlp__src_remaining(src));
        if (!jlp__src_lends(src) && m->lim->max_alloc && nbytes > m->lim->max_alloc)
            return jlp__vm_fail(m, JLP_E_LIMIT, "array payload of %llu bytes exceeds limits.max_alloc",
                                (unsigned long long)nbytes);
        const uint8_t *data;
        bool borrowed;
        c = jlp__vm_read_raw(m, nbytes, &data, &borrowed);
        if (!c) c = jlp__vm_event(m, JLP_EV_PAYLOAD, payload_start, jlp__src_tell(src) - payload_start);
        if (c) return c;
        arr = jlp__new_ndarray(m->doc, dtype, shape, ndim);
        if (!arr) return jlp__vm_nomem(m);
        jlp_ndarray *a = jlp__arr(arr);
        a->data = data;
        a->nbytes = nbytes;
        a->count = count;
        a->offset = at;
        a->origin = origin;
        a->py_order = JLP_PY_ORDER_JOBLIB; /* joblib's _ensure_native_byte_order */
        a->storage = !borrowed ? JLP_STORE_ARENA : m->doc->mapped ? JLP_STORE_MMAP : JLP_STORE_BORROWED;
        c = jlp__array_place(m, a);
        if (c) return c;
    }
    jlp_ndarray *a = jlp__arr(arr);
    /* the outer stream's memo may share the wrapper's dtype node; the nested pickle of
     * an object array has its own */
    if (dt->hasobject) a->wrapper_dtype = dtype;
    else a->dtype = dtype;
    a->subclass = subclass;
    if (!dt->hasobject && jlp_str_eq(order_v, "F")) a->order = 'F';
    if (dt->hasobject) a->origin = has_align && align->type != JLP_NONE ? JLP_ORIGIN_WRAPPER_G2
                                 : has_align ? JLP_ORIGIN_WRAPPER_NOTELL : JLP_ORIGIN_WRAPPER_G1;
    *out = arr;
    return JLP_OK;
}

jlp_code jlp__joblib_build(jlp__vm *m, jlp_val *target, jlp_val *state, bool *handled) {
    *handled = false;
    enum wrapper w = wrapper_of(target);
    if (w == W_NONE) return JLP_OK;
    if (state->type != JLP_DICT)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "joblib wrapper state is a %s, not a dict",
                            jlp_type_name((jlp_type)state->type));
    jlp_val *arr;
    jlp_code c = w == W_NUMPY ? numpy_wrapper(m, state, &arr)
                              : jlp__companion_build(m, state, w == W_ZNDARRAY, &arr);
    if (c) return c;
    m->doc->arrays++;
    m->doc->origins |= 1u << jlp__arr(arr)->origin;
    /* joblib pops the wrapper and pushes the array in its place. */
    m->stack[m->sp - 2] = arr;
    *handled = true;
    return JLP_OK;
}
