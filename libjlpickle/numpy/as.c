/*
 * as.c - checked scalars: jlp_as_int64, jlp_as_uint64, jlp_as_double, jlp_as_bool and
 * jlp_as_str over Python values, numpy scalars and 0-d or one-element arrays, with
 * exact conversions only (elem.c).
 */
#include "elem.h"

#include "../common/item.h"

#include <inttypes.h>

/* An object scalar's value or a one-element object array's element: what the checked
 * scalars look through (one level only, so a chain of them cannot recurse). */
static const jlp_val *unwrap(const jlp_val *v) {
    if (!v) return v;
    if (v->type == JLP_SCALAR && jlp__sc(v)->object) return jlp__sc(v)->object;
    if (v->type == JLP_NDARRAY && jlp__arr(v)->objects && jlp__arr(v)->count == 1) {
        const jlp_val *list = jlp__arr(v)->objects;
        return list->u.seq.n == 1 ? list->u.seq.v[0] : v;
    }
    return v;
}

/* Read `v` as a number. @return JLP_OK, BAD_TYPE (with err) or RANGE (a big int). */
static jlp_code number_of(const jlp_val *v, const char *target, jlp__num *n, jlp_error *err) {
    v = unwrap(v);
    const jlp__dtype_info *d = NULL;
    const uint8_t *p = NULL;
    if (v && v->type == JLP_SCALAR && jlp__sc(v)->data) {
        d = jlp__dt(jlp__sc(v)->dtype);
        p = jlp__sc(v)->data;
    } else if (v && v->type == JLP_NDARRAY && !jlp__arr(v)->objects) {
        const jlp__ndarray *a = jlp__arr(v);
        if (a->count != 1)
            return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "an array of %" PRIu64 " elements is not %s %s", a->count,
                             jlp__an(target), target);
        d = jlp__dt(a->dtype);
        p = a->data;
    }
    if (d) {
        if (!jlp__num_dtype(d) || !p)
            return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "a %s value is not %s %s", d->str, jlp__an(target), target);
        jlp__num_read(d, p, n);
        return JLP_OK;
    }
    jlp_code c = jlp__num_python(v, n);
    if (c == JLP_E_BAD_TYPE) return jlp__fail(err, c, 0, -1, "%s is not %s %s", jlp__a_type(v), jlp__an(target), target);
    if (c == JLP_E_RANGE)
        return jlp__fail(err, c, 0, -1, "an int beyond 64 bits does not fit %s %s", jlp__an(target), target);
    return JLP_OK;
}

/* Convert `v` to element type `t` at `out`. */
static jlp_code as_elem(const jlp_val *v, jlp_elem t, const char *target, void *out, jlp_error *err) {
    if (!v) return jlp__null_value(err);
    jlp__clear(err);
    if (!out) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL output");
    jlp__num n;
    jlp_code c = number_of(v, target, &n, err);
    if (c) return c;
    /* datetime64/timedelta64 counts are ints to the int getters only */
    bool datetime = n.datetime && t != JLP_I64 && t != JLP_U64;
    if (!jlp__num_fits_type(n.kind, datetime, t))
        return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "a %s value is not %s %s",
                         datetime ? "datetime64/timedelta64" : n.kind == JLP__V_COMPLEX ? "complex" : "float",
                         jlp__an(target), target);
    union { int64_t i; uint64_t u; double f; uint8_t b; } tmp;
    if (!jlp__num_write(&n, t, false, &tmp))
        return jlp__fail(err, JLP_E_RANGE, 0, -1, "the value does not fit %s %s exactly", jlp__an(target), target);
    memcpy(out, &tmp, jlp__elem_size(t));
    return JLP_OK;
}

jlp_code jlp_as_int64(const jlp_val *v, int64_t *out, jlp_error *err) {
    return as_elem(v, JLP_I64, "int64", out, err);
}

jlp_code jlp_as_uint64(const jlp_val *v, uint64_t *out, jlp_error *err) {
    return as_elem(v, JLP_U64, "uint64", out, err);
}

jlp_code jlp_as_double(const jlp_val *v, double *out, jlp_error *err) {
    return as_elem(v, JLP_F64, "double", out, err);
}

jlp_code jlp_as_bool(const jlp_val *v, int *out, jlp_error *err) {
    uint8_t b = 0;
    jlp_code c = out ? as_elem(v, JLP_B8, "bool", &b, err) : as_elem(v, JLP_B8, "bool", NULL, err);
    if (!c) *out = b;
    return c;
}

jlp_code jlp_as_str(const jlp_val *v, const char **s, size_t *len, jlp_error *err) {
    if (!v) return jlp__null_value(err);
    jlp__clear(err);
    if (!s) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL output");
    v = unwrap(v);
    if (v->type != JLP_STR) return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "%s is not a str", jlp__a_type(v));
    *s = v->u.s.p;
    if (len) *len = v->u.s.n;
    return JLP_OK;
}

/* The bytes of element `i` (C order) of a non-object array, whatever its memory order. */
static const uint8_t *element_at(const jlp__ndarray *a, uint64_t i, uint64_t itemsize) {
    bool fortran = a->order == 'F';
    if (!fortran || a->ndim < 2) return a->data + i * itemsize;
    uint64_t off = 0, stride = itemsize, coord[64];
    for (uint32_t k = a->ndim; k-- > 0;) { /* C index: the last dimension varies fastest */
        coord[k] = i % a->shape[k];
        i /= a->shape[k];
    }
    for (uint32_t k = 0; k < a->ndim; k++) {
        off += coord[k] * stride;
        stride *= a->shape[k];
    }
    return a->data + off;
}

jlp_code jlp_array_str(const jlp_val *arr, uint64_t i, char *buf, size_t cap, size_t *len, jlp_error *err) {
    if (len) *len = 0;
    if (!arr) return jlp__null_value(err);
    jlp__clear(err);
    if (len) *len = 0;
    if (!buf && cap) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL buffer with a capacity");
    const jlp__dtype_info *d = NULL;
    const uint8_t *item = NULL;
    if (arr && arr->type == JLP_NDARRAY) {
        const jlp__ndarray *a = jlp__arr(arr);
        if (i >= a->count)
            return jlp__fail(err, JLP_E_NOT_FOUND, 0, -1, "element %" PRIu64 " is past the end of %" PRIu64, i, a->count);
        if (a->objects) {
            const jlp_val *s = a->objects->u.seq.v[i];
            if (s->type != JLP_STR)
                return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "element %" PRIu64 " is %s, not a str", i, jlp__a_type(s));
            if (len) *len = s->u.s.n;
            if (cap <= s->u.s.n) return jlp__fail(err, JLP_E_RANGE, 0, -1, "the string needs %zu bytes and its NUL", s->u.s.n);
            memcpy(buf, s->u.s.p, s->u.s.n + 1);
            return JLP_OK;
        }
        d = jlp__dt(a->dtype);
        if (d->kind == 'U' || d->kind == 'S') item = element_at(a, i, d->itemsize);
    } else if (arr && arr->type == JLP_SCALAR && jlp__sc(arr)->data) {
        d = jlp__dt(jlp__sc(arr)->dtype);
        if (i) return jlp__fail(err, JLP_E_NOT_FOUND, 0, -1, "a scalar has one element");
        item = jlp__sc(arr)->data;
    }
    if (!item || (d->kind != 'U' && d->kind != 'S'))
        return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "not an array of strings (U, S or object)");
    /* numpy drops the trailing NULs of an item */
    size_t n = 0, need = 0;
    if (d->kind == 'S') {
        n = (size_t)d->itemsize;
        while (n && !item[n - 1]) n--;
        need = n;
    } else {
        n = (size_t)d->itemsize / 4;
        while (n && !jlp__load_uint(item + 4 * (n - 1), 4, d->byteorder)) n--;
        uint8_t tmp[4];
        for (size_t k = 0; k < n; k++) {
            uint32_t cp = (uint32_t)jlp__load_uint(item + 4 * k, 4, d->byteorder);
            if (cp > 0x10FFFF) return jlp__fail(err, JLP_E_BAD_UTF8, 0, -1, "a code point above U+10FFFF");
            need += jlp__utf8_put(tmp, cp);
        }
    }
    if (len) *len = need;
    if (cap <= need) return jlp__fail(err, JLP_E_RANGE, 0, -1, "the string needs %zu bytes and its NUL", need);
    if (d->kind == 'S') {
        memcpy(buf, item, n);
    } else {
        size_t k = 0;
        for (size_t c = 0; c < n; c++) k += jlp__utf8_put((uint8_t *)buf + k, (uint32_t)jlp__load_uint(item + 4 * c, 4, d->byteorder));
    }
    buf[need] = '\0';
    return JLP_OK;
}
