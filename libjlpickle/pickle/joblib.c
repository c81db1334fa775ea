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
#include "vm.h"

#include <stdlib.h>

/* joblib's alignment; a pad longer than this is not something joblib writes. */
#define JOBLIB_ALIGNMENT 16

enum wrapper { W_NONE, W_NUMPY, W_NDARRAY, W_ZNDARRAY };

static bool str_is(const char *s, size_t n, const char *lit) {
    return strlen(lit) == n && !memcmp(s, lit, n);
}

/* Which wrapper class the global `cls` names, as Python's find_class resolves it: the
 * classes of joblib.numpy_pickle (NDArrayWrapper and ZNDArrayWrapper are imported there
 * from numpy_pickle_compat), of the copy scikit-learn vendored before 0.23, and, from
 * protocol 4 on, the dotted walks from the package ("joblib", "numpy_pickle.X"). */
static enum wrapper wrapper_class(const jlp__vm *m, const jlp_val *cls) {
    if (!cls || cls->type != JLP_GLOBAL) return W_NONE;
    size_t ml, nl;
    const char *mod = jlp_global_module(cls, &ml), *name = jlp_global_name(cls, &nl);
    static const char *const packages[] = {"joblib", "sklearn.externals.joblib"};
    for (size_t k = 0; k < 2; k++) {
        size_t pl = strlen(packages[k]);
        if (ml < pl || memcmp(mod, packages[k], pl)) continue;
        const char *sub = mod + pl, *leaf = name;
        size_t sl = ml - pl, ll = nl;
        if (sl == 0) {
            /* a dotted name walks from the package to the module (protocol >= 4) */
            const char *dot = memchr(name, '.', nl);
            if (m->proto < 4 || !dot) continue;
            sub = name;
            sl = (size_t)(dot - name);
            leaf = dot + 1;
            ll = nl - sl - 1;
        } else {
            if (sub[0] != '.') continue;
            sub++;
            sl--;
        }
        bool compat = str_is(sub, sl, "numpy_pickle_compat");
        if (!compat && !str_is(sub, sl, "numpy_pickle")) continue;
        if (!compat && str_is(leaf, ll, "NumpyArrayWrapper")) return W_NUMPY;
        if (str_is(leaf, ll, "NDArrayWrapper")) return W_NDARRAY;
        if (str_is(leaf, ll, "ZNDArrayWrapper")) return W_ZNDARRAY;
    }
    return W_NONE;
}

/* joblib's load_build tests isinstance(obj, (NDArrayWrapper, NumpyArrayWrapper)) after
 * every BUILD: an object of a wrapper class is a wrapper however it was made (NEWOBJ,
 * NEWOBJ_EX, OBJ, INST, REDUCE of the class, copyreg's helpers). The loader of ZF files
 * knows NDArrayWrapper only; plain pickle.load and numpy.load know neither. */
static enum wrapper wrapper_of(const jlp__vm *m, const jlp_val *target) {
    if (m->mode == JLP__MODE_PICKLE || m->mode == JLP__MODE_PICKLE_PY || m->mode == JLP__MODE_NUMPY) return W_NONE;
    enum wrapper w = wrapper_class(m, target->u.obj->callable);
    if (m->mode == JLP__MODE_COMPAT && w == W_NUMPY) return W_NONE;
    return w;
}

/* The attributes joblib's read() uses, by wrapper class, with their lengths: every array
 * of a model passes here, so the names are compared and copied without a strlen each. */
typedef struct attr_name {
    const char *s;
    size_t n;
} attr_name;
#define ATTR(lit) {lit, sizeof lit - 1}
enum numpy_attr { NA_SUBCLASS, NA_SHAPE, NA_ORDER, NA_DTYPE, NA_ALLOW_MMAP, NA_ALIGNMENT };
static const attr_name numpy_attrs[] = {
    [NA_SUBCLASS] = ATTR("subclass"),       [NA_SHAPE] = ATTR("shape"),
    [NA_ORDER] = ATTR("order"),             [NA_DTYPE] = ATTR("dtype"),
    [NA_ALLOW_MMAP] = ATTR("allow_mmap"),   [NA_ALIGNMENT] = ATTR("numpy_array_alignment_bytes")};
static const attr_name nd_attrs[] = {ATTR("filename"), ATTR("subclass"), ATTR("allow_mmap")};
static const attr_name znd_attrs[] = {ATTR("filename"), ATTR("init_args"), ATTR("state")};
#undef ATTR

/* The wrapper's attributes as Python has them after this BUILD: the arguments of its
 * __init__ (when REDUCE, OBJ or INST called the class with arguments), then every state
 * merged in order - a dict, or a (state, slotstate) pair - the last value of a name
 * winning, as dict updates and setattr do. @return a new dict of the names read() uses
 * (stored as the object's state for a later BUILD), or NULL with the error set. */
static jlp_code merged_attrs(jlp__vm *m, enum wrapper w, jlp_val *target, jlp_val *state, jlp_val **out) {
    const attr_name *names = w == W_NUMPY ? numpy_attrs : w == W_NDARRAY ? nd_attrs : znd_attrs;
    size_t nnames = w == W_NUMPY ? 6 : 3;
    jlp_val *val[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    jlp__obj *o = target->u.obj;
    if (o->state) {
        /* a previous BUILD on the same wrapper (fetched again from the memo) */
        for (size_t i = 0; i < nnames; i++) val[i] = jlp_dict_get(o->state, names[i].s);
    } else if ((o->kind == JLP_OBJ_REDUCE || o->kind == JLP_OBJ_OBJ || o->kind == JLP_OBJ_INST) && o->args &&
               (o->kind == JLP_OBJ_REDUCE || o->args->u.seq.n)) {
        /* __init__(self, <required>, <defaults>) runs for REDUCE, and for OBJ and INST
         * with arguments: NumpyArrayWrapper takes 4 to 6, NDArrayWrapper 2 or 3,
         * ZNDArrayWrapper 3; other counts are a TypeError in Python, which stops there
         * (the object stays inert here) */
        size_t n = o->args->u.seq.n, lo = w == W_NUMPY ? 4 : w == W_NDARRAY ? 2 : 3;
        if (n < lo || n > nnames) return JLP_OK;
        for (size_t i = 0; i < n; i++) val[i] = o->args->u.seq.v[i];
        if (w == W_NUMPY && n < 6) {
            /* the defaults: allow_mmap=False, numpy_array_alignment_bytes=16 */
            if (n < 5) val[4] = jlp__new_bool(m->doc, false);
            val[5] = jlp__new_int(m->doc, 16);
            if (!val[4] || !val[5]) return jlp__vm_nomem(m);
        }
        if (w == W_NDARRAY && n < 3 && !(val[2] = jlp__new_bool(m->doc, true))) return jlp__vm_nomem(m);
    }
    jlp_val *parts[2] = {state, NULL};
    if (state->type == JLP_TUPLE && state->u.seq.n == 2) {
        parts[0] = state->u.seq.v[0];
        parts[1] = state->u.seq.v[1];
    }
    for (int k = 0; k < 2; k++) {
        jlp_val *p = parts[k];
        if (!p || p->type == JLP_NONE) continue;
        if (p->type != JLP_DICT)
            return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "joblib wrapper state is %s, not a dict",
                                jlp__a_type(p));
        for (size_t i = 0; i < p->u.seq.n; i++) {
            size_t kl;
            const char *key = jlp_get_str(p->u.seq.v[2 * i], &kl);
            if (!key) continue; /* not a str: not an attribute name */
            for (size_t a = 0; a < nnames; a++)
                if (kl == names[a].n && !memcmp(key, names[a].s, kl)) val[a] = p->u.seq.v[2 * i + 1];
        }
    }
    /* the pairs first, then the dict made at its size in one call (not grown pair by pair) */
    jlp_val *kv[2 * 6];
    size_t npairs = 0;
    for (size_t a = 0; a < nnames; a++) {
        if (!val[a]) continue;
        kv[2 * npairs] = jlp__new_bytes_copy(m->doc, JLP_STR, names[a].s, names[a].n);
        if (!kv[2 * npairs]) return jlp__vm_nomem(m);
        kv[2 * npairs + 1] = val[a];
        npairs++;
    }
    jlp_val *d = jlp__new_seq(m->doc, JLP_DICT, kv, npairs);
    if (!d) return jlp__vm_nomem(m);
    *out = d;
    return JLP_OK;
}

/* Look up a str key in the state dict, as jlp_dict_get does (the first key equal to it)
 * with the name's length known; *present tells a missing key from a None value. */
static jlp_val *state_get(const jlp_val *state, const attr_name *key, bool *present) {
    jlp_val *v = NULL;
    for (size_t i = 0; state && state->type == JLP_DICT && i < state->u.seq.n; i++) {
        const jlp_val *k = state->u.seq.v[2 * i];
        if (k->type == JLP_STR && k->u.s.n == key->n && !memcmp(k->u.s.p, key->s, key->n)) {
            v = state->u.seq.v[2 * i + 1];
            break;
        }
    }
    if (present) *present = v != NULL;
    return v;
}

/* Read `n` payload bytes at the decoded offset `at`, which lies past the current frame:
 * pickle.py buffered the frame, joblib reads the payload from the file (a scan reading
 * of a memory source only). */
static jlp_code read_past_frame(jlp__vm *m, uint64_t at, uint64_t n, const uint8_t **out) {
    jlp_source *src = m->src;
    uint64_t here = jlp__src_tell(src), avail = jlp__src_avail(src);
    if (n == 0) { /* joblib reads nothing for an empty array */
        *out = src->cur;
        return JLP_OK;
    }
    if (at < here || at - here > avail || n > avail - (at - here))
        return jlp__vm_fail(m, JLP_E_TRUNCATED, "array payload of %llu bytes at %llu (past the frame), input ends first",
                            (unsigned long long)n, (unsigned long long)at);
    *out = src->cur + (at - here);
    return JLP_OK;
}

/* Whether `v` is the class numpy.dtype, named from numpy or one of its submodules
 * (numpy.core.multiarray.dtype, ...; a protocol-4 walk "core.multiarray.dtype"). A
 * scan reading may take a module that has no such name: Python stops at it anyway. */
static bool is_dtype_class(const jlp_val *v) {
    if (!v || v->type != JLP_GLOBAL) return false;
    size_t ml, nl;
    const char *mod = jlp_global_module(v, &ml), *name = jlp_global_name(v, &nl);
    if (ml < 5 || memcmp(mod, "numpy", 5) || (ml > 5 && mod[5] != '.')) return false;
    return nl >= 5 && !memcmp(name + nl - 5, "dtype", 5) && (nl == 5 || name[nl - 6] == '.');
}

/* Whether Python's int() of this text (a str, bytes or bytearray) is an int64, as
 * numpy.int64(text) wants: blanks around, a sign, decimal digits with single
 * underscores between them. (int() also takes non-ASCII digits and blanks: not here.) */
static bool text_int_ok(const char *p, size_t n) {
    size_t i = 0;
    while (n && strchr(" \t\n\v\f\r", p[n - 1]) && p[n - 1]) n--;
    while (i < n && strchr(" \t\n\v\f\r", p[i]) && p[i]) i++;
    bool neg = i < n && p[i] == '-';
    if (i < n && (p[i] == '-' || p[i] == '+')) i++;
    uint64_t v = 0, max = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    size_t digits = 0;
    for (; i < n; i++) {
        if (p[i] == '_' && digits && i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '9') continue;
        if (p[i] < '0' || p[i] > '9') return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (max - d) / 10) return false; /* OverflowError */
        v = v * 10 + d;
        digits++;
    }
    return digits > 0;
}

/* What joblib's read_array asks of the shape of an object array, whose payload is a
 * nested pickle: len(shape) and numpy.int64(x) of each dimension, multiplied with
 * int64 wrap-around; nothing else (numpy.empty is never called). So a negative
 * dimension, a bool, a float in int64's range, or more dimensions than numpy allows
 * read on, and so does a str or bytes int() reads as an int64. */
static bool obj_shape_ok(const jlp_val *shape) {
    if (shape->type != JLP_TUPLE && shape->type != JLP_LIST) return false;
    for (size_t i = 0; i < shape->u.seq.n; i++) {
        const jlp_val *x = shape->u.seq.v[i];
        if (x->type == JLP_INT || x->type == JLP_BOOL) continue;
        if (x->type == JLP_FLOAT && x->u.f >= -9223372036854775808.0 && x->u.f < 9223372036854775808.0)
            continue;
        if ((x->type == JLP_STR || x->type == JLP_BYTES || x->type == JLP_BYTEARRAY) && text_int_ok(x->u.s.p, x->u.s.n))
            continue;
        return false; /* a big int overflows, NaN and others fail */
    }
    return true;
}

static jlp_code subclass_check(jlp__vm *m, const jlp_val *subclass) {
    if (!subclass) return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper state has no subclass");
    if (subclass->type != JLP_GLOBAL)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper subclass is %s, not a class",
                            jlp__a_type(subclass));
    return JLP_OK;
}

static jlp_code numpy_wrapper(jlp__vm *m, jlp_val *state, jlp_val **out, jlp__wrapper_event *ev) {
    jlp_val *dtype = state_get(state, &numpy_attrs[NA_DTYPE], NULL);
    jlp_val *shape_v = state_get(state, &numpy_attrs[NA_SHAPE], NULL);
    jlp_val *order_v = state_get(state, &numpy_attrs[NA_ORDER], NULL);
    jlp_val *subclass = state_get(state, &numpy_attrs[NA_SUBCLASS], NULL);
    bool has_align;
    jlp_val *align = state_get(state, &numpy_attrs[NA_ALIGNMENT], &has_align);
    /* What joblib's NumpyArrayWrapper.read needs (J-2): every attribute it reads must
     * be there, or joblib.load fails with AttributeError after this BUILD. */
    /* joblib asks dtype.hasobject only: the class numpy.dtype has that attribute (a
     * descriptor, which is true), so joblib reads a nested pickle for it; a scan reading
     * does the same (SD-27) */
    bool dtype_class = m->lenient && is_dtype_class(dtype);
    if ((!dtype || dtype->type != JLP_DTYPE) && !dtype_class)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper state has no dtype");
    bool has_obj = dtype_class || jlp__dt(dtype)->hasobject;
    if (!shape_v) return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper state has no shape");
    /* joblib takes len(shape): a bare int, which numpy itself accepts elsewhere, fails */
    if (shape_v->type != JLP_TUPLE && shape_v->type != JLP_LIST)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper shape is %s, not a tuple",
                            jlp__a_type(shape_v));
    /* joblib compares the subclass with ndarray and memmap and calls
     * _reconstruct(subclass, (0,), 'b') for anything else: it must be a class. joblib
     * looks at it after reading the payload: a scan reading reads an object array's
     * nested pickle first, as joblib does, and stops after it (SD-27). */
    if (!m->lenient) {
        jlp_code sc = subclass_check(m, subclass);
        if (sc) return sc;
    }
    uint64_t *shape = NULL;
    uint32_t ndim = 0;
    jlp__np np = jlp__vm_np(m);
    jlp_code c = JLP_OK;
    jlp__dtype_info *dt = dtype_class ? NULL : jlp__dt(dtype);
    if (dt) jlp__dt_use(dt);
    uint64_t count = 0, nbytes = 0;
    if (!(has_obj && m->lenient && obj_shape_ok(shape_v))) {
        /* an object array's shape is not used (the nested pickle makes the array), but
         * the loader holds it to numpy's rules */
        c = jlp__shape_from_tuple(&np, shape_v, &shape, &ndim);
        if (c) return c;
        if (!has_obj && !jlp__array_size(dt, shape, ndim, &count, &nbytes))
            return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "array of shape and itemsize %llu overflows 64 bits",
                                (unsigned long long)dt->itemsize);
    }
    /* the payload of a non-object array: joblib reads it in chunks of BUFFER_SIZE //
     * itemsize items (so item size 0 divides by zero, whatever the count) and reshapes
     * it by `order` */
    if (!has_obj && dt->itemsize == 0)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "array dtype has itemsize 0 (joblib divides by it)");
    if (!order_v && !has_obj) return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "NumpyArrayWrapper state has no order");
    /* joblib reads the payload from the file itself: a frame must not cover it (F-7).
     * Python reads it from past the frame pickle.py buffered, then goes on with the
     * frame's opcodes, then skips what it read; a scan reading does the same. */
    jlp_source *src = m->src;
    bool past_frame = m->in_frame && jlp__src_tell(src) < m->frame_end;
    if (past_frame && !(m->lenient && jlp__src_is_mem(src)))
        return jlp__vm_fail(m, JLP_E_FRAME, "array payload inside a frame (joblib ends frames at wrappers)");
    if (!past_frame) m->in_frame = false;
    uint64_t file_at = past_frame ? m->frame_end + m->after_frame : jlp__src_tell(src);
    ev->data_start = ev->data_end = file_at;

    jlp_val *arr;
    if (has_obj) {
        /* A nested pickle whose result is the array (numpy's own reduce). */
        jlp_val *root;
        uint64_t at = file_at;
        ev->nested = true;
        c = jlp__vm_event(m, JLP_EV_NESTED, at, 0);
        if (!c && past_frame) {
            /* pickle.load reads it from the file, past the frame: the memory source is
             * moved there for the nested pickle and back after it */
            const uint8_t *back = src->cur;
            uint64_t here = jlp__src_tell(src);
            if (at - here > jlp__src_avail(src)) {
                c = jlp__vm_fail(m, JLP_E_TRUNCATED, "nested pickle at %llu (past the frame): the input ends first",
                                 (unsigned long long)at);
            } else {
                src->cur += at - here;
                c = jlp__vm_nested(m, &root);
                ev->data_end = jlp__src_tell(src);
                if (!c) m->after_frame += jlp__src_tell(src) - at;
                src->cur = back;
            }
        } else if (!c) {
            c = jlp__vm_nested(m, &root);
            ev->data_end = jlp__src_tell(src);
        }
        if (c) return c;
        if (root->type != JLP_NDARRAY)
            return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "object array payload at %llu is %s, not an array",
                                (unsigned long long)at, jlp__a_type(root));
        arr = root;
    } else {
        jlp_array_origin origin = JLP_ORIGIN_WRAPPER_G1;
        uint64_t payload_start = file_at, pos = file_at;
        const uint8_t *pad;
        bool borrowed = true;
        if (has_align && align->type == JLP_NONE) origin = JLP_ORIGIN_WRAPPER_NOTELL;
        else if (has_align) {
            /* joblib reads a pad whenever the attribute is not None, its length byte and
             * that many bytes whatever they are; the format wants a small int, 0xff
             * bytes and at most 16 of them (J-4, J-5) */
            if (!m->lenient && (align->type != JLP_INT || align->u.i <= 0 || align->u.i > 4096))
                return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "numpy_array_alignment_bytes is not a small int or None");
            origin = JLP_ORIGIN_WRAPPER_G2;
            uint8_t p = 0;
            if (m->lenient && jlp__src_is_mem(src) && pos - jlp__src_tell(src) >= jlp__src_avail(src)) {
                /* file.read(1) at the end gives b'': a pad of 0 for joblib */
            } else {
                c = past_frame ? read_past_frame(m, pos, 1, &pad) : jlp__vm_read_raw(m, 1, &pad, &borrowed);
                if (c) return c;
                pos++;
                p = pad[0];
            }
            if (p > JOBLIB_ALIGNMENT && !m->lenient)
                return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "array padding of %u bytes (joblib writes 1 to 16)", p);
            if (p && m->lenient && jlp__src_is_mem(src)) {
                /* joblib reads the pad with file.read(p) and checks nothing: the input
                 * may end inside it */
                uint64_t here = jlp__src_tell(src), left = jlp__src_avail(src);
                uint64_t room = pos - here <= left ? left - (pos - here) : 0;
                uint64_t got = p < room ? p : room;
                if (!past_frame) src->cur += got;
                pos += got;
            } else if (p) {
                uint64_t pad_at = pos;
                c = past_frame ? read_past_frame(m, pos, p, &pad) : jlp__vm_read_raw(m, p, &pad, &borrowed);
                if (c) return c;
                pos += p;
                for (unsigned i = 0; i < p && !m->lenient; i++)
                    if (pad[i] != 0xFF)
                        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "array padding byte at %llu is 0x%02x, not 0xff",
                                            (unsigned long long)(pad_at + i), pad[i]);
            }
        }
        uint64_t at = pos;
        /* (a small file read whole lends, but limits and fails as the file's stream) */
        if ((!jlp__src_lends(src) || src->whole_file) && m->lim->max_alloc && nbytes > m->lim->max_alloc)
            return jlp__vm_fail(m, JLP_E_LIMIT, "array payload of %llu bytes exceeds limits.max_alloc",
                                (unsigned long long)nbytes);
        if (!past_frame && jlp__src_lends(src) && !src->whole_file && nbytes > jlp__src_remaining(src))
            return jlp__vm_fail(m, JLP_E_TRUNCATED, "array payload of %llu bytes at %llu, only %llu remain",
                                (unsigned long long)nbytes, (unsigned long long)at,
                                (unsigned long long)jlp__src_remaining(src));
        const uint8_t *data;
        c = past_frame ? read_past_frame(m, pos, nbytes, &data) : jlp__vm_read_raw(m, nbytes, &data, &borrowed);
        if (c) return c;
        pos += nbytes;
        if (past_frame) m->after_frame += pos - payload_start;
        ev->data_end = pos;
        c = jlp__vm_event(m, JLP_EV_PAYLOAD, payload_start, pos - payload_start);
        if (c) return c;
        arr = jlp__new_ndarray(m->doc, dtype, shape, ndim);
        if (!arr) return jlp__vm_nomem(m);
        jlp__ndarray *a = jlp__arr(arr);
        a->data = data;
        a->nbytes = nbytes;
        a->count = count;
        a->offset = at;
        a->origin = origin;
        a->py_order = JLP_PY_ORDER_JOBLIB; /* joblib's _ensure_native_byte_order */
        a->storage = !borrowed ? JLP_STORE_ARENA : m->doc->mapped ? JLP_STORE_MMAP : JLP_STORE_BORROWED;
        np = jlp__vm_np(m);
        c = jlp__array_place(&np, a);
        if (c) return c;
    }
    if (m->lenient && (c = subclass_check(m, subclass))) return c;
    jlp__ndarray *a = jlp__arr(arr);
    /* the outer stream's memo may share the wrapper's dtype node; the nested pickle of
     * an object array has its own */
    if (has_obj && !dtype_class) a->wrapper_dtype = dtype;
    else if (!has_obj) a->dtype = dtype;
    a->subclass = subclass;
    if (!has_obj && jlp_str_eq(order_v, "F")) a->order = 'F';
    if (has_obj) a->origin = has_align && align->type != JLP_NONE ? JLP_ORIGIN_WRAPPER_G2
                                 : has_align ? JLP_ORIGIN_WRAPPER_NOTELL : JLP_ORIGIN_WRAPPER_G1;
    *out = arr;
    return JLP_OK;
}

jlp_code jlp__joblib_build(jlp__vm *m, jlp_val *target, jlp_val *state, bool *handled) {
    *handled = false;
    enum wrapper w = wrapper_of(m, target);
    if (w == W_NONE) return JLP_OK;
    jlp_val *attrs = NULL;
    jlp_code c = merged_attrs(m, w, target, state, &attrs);
    if (c || !attrs) return c; /* attrs NULL: __init__ would have failed */
    target->u.obj->state = attrs;
    jlp__wrapper_event ev = {m->op_off, m->depth, (int)w, target, attrs, 0, 0, false};
    if (w != W_NUMPY && m->lenient) {
        /* a scan reading leaves the companion file to the scan (reading numpy) and the
         * wrapper on the stack where joblib puts the array */
        ev.data_start = ev.data_end = jlp__src_tell(m->src);
        if (m->hooks && m->hooks->wrapper) m->hooks->wrapper(m->hooks->ctx, &ev);
        *handled = true;
        return JLP_OK;
    }
    jlp_val *arr;
    c = w == W_NUMPY ? numpy_wrapper(m, attrs, &arr, &ev) : jlp__companion_build(m, attrs, w == W_ZNDARRAY, &arr);
    if (c) return c;
    if (m->hooks && m->hooks->wrapper) m->hooks->wrapper(m->hooks->ctx, &ev);
    m->doc->arrays++;
    m->doc->origins |= 1u << jlp__arr(arr)->origin;
    /* joblib pops the wrapper and pushes the array in its place. */
    m->stack[m->sp - 2] = arr;
    *handled = true;
    return JLP_OK;
}
