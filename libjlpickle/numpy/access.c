/* access.c - the public accessors of arrays, dtypes and scalars, byte-order conversion,
 * and the alignment policy applied when an array's data stays in the input. */
#include "numpy.h"

#include "../common/opts.h"

#include <stdlib.h>

static bool host_little(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static const jlp__dtype_info *dt_of(const jlp_val *v) {
    return v && v->type == JLP_DTYPE ? jlp__dt(v) : NULL;
}

/* Whether every item of `d` is in host byte order (fields and subarrays included). */
static bool dtype_native(const jlp__dtype_info *d) {
    if (d->sub_base) return dtype_native(jlp__dt(d->sub_base));
    for (size_t i = 0; i < d->nfields; i++)
        if (!dtype_native(jlp__dt(d->fields[i].dtype))) return false;
    if (d->byteorder == '|') return true;
    return (d->byteorder == '<') == host_little();
}

jlp_code jlp__array_place(jlp__np *m, jlp__ndarray *a) {
    uint32_t al = jlp__dtype_align(jlp__dt(a->dtype));
    if (!a->data || al <= 1 || ((uintptr_t)a->data % al) == 0) return JLP_OK;
    if (m->opts->align == JLP_ALIGN_REQUIRE)
        return jlp__np_fail(m, JLP_E_UNALIGNED, "array data at offset %llu is not %u-byte aligned",
                            (unsigned long long)a->offset, al);
    if (m->opts->align == JLP_ALIGN_COPY && a->storage != JLP_STORE_ARENA) {
        uint8_t *copy = jlp__doc_alloc(m->doc, a->nbytes ? (size_t)a->nbytes : 1);
        if (!copy) return jlp__np_nomem(m);
        memcpy(copy, a->data, (size_t)a->nbytes);
        a->data = copy;
        a->storage = JLP_STORE_ARENA;
    }
    return JLP_OK;
}

int jlp_array_get(const jlp_val *v, jlp_array_info *info) {
    jlp_array_info full;
    memset(&full, 0, sizeof full);
    bool is_array = v && v->type == JLP_NDARRAY;
    if (is_array) {
        const jlp__ndarray *a = jlp__arr(v);
        const jlp__dtype_info *d = jlp__dt(a->dtype);
        uint32_t al = jlp__dtype_align(d);
        full.dtype = a->dtype;
        full.ndim = a->ndim;
        full.shape = a->shape;
        full.count = a->count;
        full.order = a->order;
        full.data = a->data;
        full.nbytes = a->nbytes;
        full.storage = (jlp_storage)a->storage;
        full.origin = (jlp_array_origin)a->origin;
        full.offset = a->offset;
        full.aligned = !a->data || al <= 1 || ((uintptr_t)a->data % al) == 0;
        full.native = dtype_native(d);
        full.subclass = a->subclass;
    }
    return jlp__struct_out(info, &full, sizeof full) && is_array;
}

jlp_val *jlp_array_object(const jlp_val *v, uint64_t i) {
    if (!v || v->type != JLP_NDARRAY || !jlp__arr(v)->objects) return NULL;
    const jlp_val *list = jlp__arr(v)->objects;
    return i < list->u.seq.n ? list->u.seq.v[i] : NULL;
}

void jlp__swap_to_host(const jlp__dtype_info *d, uint8_t *p, uint64_t count, uint64_t stride) {
    if (d->sub_base) {
        const jlp__dtype_info *b = jlp__dt(d->sub_base);
        uint64_t n = b->itemsize ? d->itemsize / b->itemsize : 0;
        for (uint64_t i = 0; i < count; i++) jlp__swap_to_host(b, p + i * stride, n, b->itemsize);
        return;
    }
    if (d->nfields) {
        for (size_t f = 0; f < d->nfields; f++)
            jlp__swap_to_host(jlp__dt(d->fields[f].dtype), p + d->fields[f].offset, count, stride);
        return;
    }
    if (d->byteorder == '|' || (d->byteorder == '<') == host_little()) return;
    /* complex numbers swap each half; everything else swaps the whole item */
    uint64_t w = d->kind == 'c' ? d->itemsize / 2 : d->kind == 'U' ? 4 : d->itemsize;
    uint64_t per = w ? d->itemsize / w : 0;
    for (uint64_t i = 0; i < count; i++)
        for (uint64_t k = 0; k < per; k++) {
            uint8_t *q = p + i * stride + k * w;
            for (uint64_t a = 0, b = w - 1; a < b; a++, b--) {
                uint8_t t = q[a];
                q[a] = q[b];
                q[b] = t;
            }
        }
}

/* The byte order that is not the host's. */
static char foreign_order(void) { return host_little() ? '>' : '<'; }

bool jlp__python_swapped(const jlp__ndarray *a) {
    const jlp__dtype_info *d = jlp__dt(a->dtype);
    if (a->py_order == JLP_PY_ORDER_KEPT || a->objects) return false;
    if (d->byteorder == foreign_order()) return true;
    /* joblib's _is_numpy_array_byte_order_mismatch: dtype.fields non-empty and every
     * field's own byte order the foreign one (a subarray or nested struct field is '|') */
    if (a->py_order != JLP_PY_ORDER_JOBLIB || !d->structured || !d->nfields || d->byteorder != '|') return false;
    for (size_t i = 0; i < d->nfields; i++)
        if (jlp__dt(d->fields[i].dtype)->byteorder != foreign_order()) return false;
    return true;
}

/* A copy of a simple dtype in host byte order. */
static jlp_val *native_copy(jlp_doc *doc, const jlp_val *dt) {
    jlp_val *v = jlp__new_val(doc, JLP_DTYPE);
    jlp__dtype_info *d = jlp__doc_alloc(doc, sizeof *d);
    if (!v || !d) return NULL;
    *d = *jlp__dt(dt);
    d->byteorder = host_little() ? '<' : '>';
    jlp__dtype_finish(d);
    v->u.ext = d;
    return v;
}

jlp_val *jlp__dtype_fields_native(jlp_doc *doc, const jlp_val *dt) {
    const jlp__dtype_info *src = jlp__dt(dt);
    jlp_val *v = jlp__new_val(doc, JLP_DTYPE);
    jlp__dtype_info *d = jlp__doc_alloc(doc, sizeof *d);
    jlp__field *f = jlp__doc_alloc(doc, (src->nfields ? src->nfields : 1) * sizeof *f);
    if (!v || !d || !f) return NULL;
    *d = *src;
    for (size_t i = 0; i < src->nfields; i++) {
        f[i] = src->fields[i];
        if (!(f[i].dtype = native_copy(doc, src->fields[i].dtype))) return NULL;
    }
    d->fields = f;
    v->u.ext = d;
    return v;
}

jlp_code jlp_array_copy_native(const jlp_val *v, void *dst, size_t cap, jlp_error *err) {
    if (!v) return jlp__null_value(err);
    jlp__clear(err);
    if (!v || v->type != JLP_NDARRAY || !dst)
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "not an array, or NULL destination");
    const jlp__ndarray *a = jlp__arr(v);
    if (a->objects) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "object arrays hold values, not bytes");
    if (cap < a->nbytes) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "destination holds %zu bytes, the array %llu", cap, (unsigned long long)a->nbytes);
    if (a->nbytes) memcpy(dst, a->data, (size_t)a->nbytes);
    const jlp__dtype_info *d = jlp__dt(a->dtype);
    jlp__swap_to_host(d, dst, a->count, d->itemsize);
    return JLP_OK;
}

char jlp_dtype_kind(const jlp_val *v) { const jlp__dtype_info *d = dt_of(v); return d ? d->kind : 0; }
char jlp_dtype_byteorder(const jlp_val *v) { const jlp__dtype_info *d = dt_of(v); return d ? d->byteorder : 0; }
uint64_t jlp_dtype_itemsize(const jlp_val *v) { const jlp__dtype_info *d = dt_of(v); return d ? d->itemsize : 0; }
const char *jlp_dtype_str(const jlp_val *v) { const jlp__dtype_info *d = dt_of(v); return d ? d->str : NULL; }
size_t jlp_dtype_nfields(const jlp_val *v) { const jlp__dtype_info *d = dt_of(v); return d ? d->nfields : 0; }

jlp_val *jlp_dtype_field(const jlp_val *v, size_t i, const char **name, size_t *name_len,
                         uint64_t *offset) {
    const jlp__dtype_info *d = dt_of(v);
    if (!d || i >= d->nfields) return NULL;
    if (name) *name = d->fields[i].name;
    if (name_len) *name_len = d->fields[i].name_len;
    if (offset) *offset = d->fields[i].offset;
    return d->fields[i].dtype;
}

jlp_val *jlp_dtype_subarray(const jlp_val *v, size_t *ndim, const uint64_t **shape) {
    const jlp__dtype_info *d = dt_of(v);
    if (!d || !d->sub_base) return NULL;
    if (ndim) *ndim = d->sub_ndim;
    if (shape) *shape = d->sub_shape;
    return d->sub_base;
}

const char *jlp_dtype_unit(const jlp_val *v, int64_t *num) {
    const jlp__dtype_info *d = dt_of(v);
    if (!d || (d->kind != 'M' && d->kind != 'm')) return NULL;
    if (num) *num = d->unit[0] ? d->unit_num : 0;
    return d->unit;
}

jlp_val *jlp_scalar_dtype(const jlp_val *v) {
    return v && v->type == JLP_SCALAR ? jlp__sc(v)->dtype : NULL;
}

const void *jlp_scalar_data(const jlp_val *v, size_t *len) {
    bool ok = v && v->type == JLP_SCALAR && jlp__sc(v)->data;
    if (len) *len = ok ? (size_t)jlp__dt(jlp__sc(v)->dtype)->itemsize : 0;
    return ok ? jlp__sc(v)->data : NULL;
}

jlp_val *jlp_scalar_object(const jlp_val *v) {
    return v && v->type == JLP_SCALAR ? jlp__sc(v)->object : NULL;
}
