/*
 * view.c - typed views of arrays (jlp_array_as) and of structured arrays' fields
 * (jlp_array_field): the array's own bytes when they already are the C type asked for,
 * otherwise an exact conversion into the document, made once and kept on the array.
 */
#include "elem.h"

#include "../common/item.h"
#include "../common/opts.h"

#include <inttypes.h>

/* ---- matching an array's items with a C element type ----------------------------- */

/* The alignment C gives the element type. */
static size_t elem_align(jlp_elem t) {
    return t == JLP_C64 ? 4 : t == JLP_C128 ? 8 : jlp__elem_size(t);
}

static const char *elem_name(jlp_elem t) {
    static const char *const names[] = {"none", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                                        "uint32", "uint64", "float32", "float64", "complex64", "complex128"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

/* Whether items of `d` are, byte for byte, elements of type `t` in host order. */
static bool same_bytes(const jlp__dtype_info *d, jlp_elem t) {
    if (!jlp__num_dtype(d) || d->bfloat16 || d->itemsize != jlp__elem_size(t)) return false;
    bool native = d->byteorder == '|' || (d->byteorder == '<') == jlp__host_little();
    if (!native) return false;
    switch (t) {
    case JLP_B8: return d->kind == 'b';
    case JLP_I8: case JLP_I16: case JLP_I32: return d->kind == 'i';
    case JLP_I64: return d->kind == 'i' || d->kind == 'M' || d->kind == 'm';
    case JLP_U8: case JLP_U16: case JLP_U32: case JLP_U64: return d->kind == 'u';
    case JLP_F32: case JLP_F64: return d->kind == 'f';
    case JLP_C64: case JLP_C128: return d->kind == 'c';
    default: return false;
    }
}

/* The kind of value items of `d` give (for the type check before converting). */
static bool item_kind(const jlp__dtype_info *d, jlp__vkind *k, bool *datetime) {
    if (!jlp__num_dtype(d)) return false;
    *datetime = d->kind == 'M' || d->kind == 'm';
    *k = d->kind == 'b' ? JLP__V_BOOL : d->kind == 'f' || d->bfloat16 ? JLP__V_FLOAT
         : d->kind == 'c' ? JLP__V_COMPLEX : JLP__V_INT;
    return true;
}

/* Whether the array's bytes are in C order (Fortran order with at most one extent
 * above 1 is C order too, as numpy's flags say). */
static bool c_contiguous(const jlp__ndarray *a) {
    if (a->order != 'F' || a->count == 0) return true;
    unsigned big = 0;
    for (uint32_t k = 0; k < a->ndim; k++) big += a->shape[k] > 1;
    return big < 2;
}

/* ---- walking the items in C order ----------------------------------------------------- */

/* The byte offset of each item, visited in C order, of an array stored in C or F
 * order: the last coordinate moves fastest, each step adds its storage stride. */
typedef struct walk {
    uint32_t ndim;
    const uint64_t *shape;
    uint64_t coord[64];
    uint64_t stride[64];
    uint64_t off;
} walk;

static void walk_init(walk *w, const jlp__ndarray *a, uint64_t itemsize) {
    memset(w, 0, sizeof *w);
    w->ndim = a->ndim;
    w->shape = a->shape;
    bool f = !c_contiguous(a);
    uint64_t s = itemsize;
    for (uint32_t i = 0; i < a->ndim; i++) {
        uint32_t k = f ? i : a->ndim - 1 - i; /* F: the first axis is contiguous */
        w->stride[k] = s;
        s *= a->shape[k]; /* bounded: count * itemsize was checked when the array was made */
    }
}

static void walk_next(walk *w) {
    for (uint32_t k = w->ndim; k-- > 0;) {
        w->off += w->stride[k];
        if (++w->coord[k] < w->shape[k]) return;
        w->off -= w->coord[k] * w->stride[k];
        w->coord[k] = 0;
    }
}

/* ---- converting ----------------------------------------------------------------------- */

static jlp_code doc_nomem(jlp_doc *doc, jlp_error *err) {
    return jlp__doc_limit_hit(doc) ? jlp__fail(err, JLP_E_LIMIT, 0, -1, "a typed view exceeds limits.max_alloc")
                                   : jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for a typed view");
}

/* Convert `count` items of `d`, each at `base + offset + (walk offset)`, `per` values
 * per item (a subarray field), into a new block of elements of type `t`. */
static jlp_code convert(const jlp__ndarray *a, const jlp__dtype_info *d, uint64_t offset, uint64_t per,
                        jlp_elem t, bool round, const char *what, const void **out, jlp_error *err) {
    size_t es = jlp__elem_size(t);
    uint64_t n, bytes;
    if (!jlp__mul_u64(a->count, per, &n) || !jlp__mul_u64(n, es, &bytes) || bytes >= SIZE_MAX)
        return jlp__fail(err, JLP_E_NOMEM, 0, -1, "a typed view of %s is too large", what);
    uint8_t *dst = jlp__doc_alloc(a->doc, bytes ? (size_t)bytes : 1);
    if (!dst) return doc_nomem(a->doc, err);
    const jlp__dtype_info *rec = jlp__dt(a->dtype);
    walk w;
    walk_init(&w, a, rec->itemsize);
    uint64_t k = 0;
    for (uint64_t i = 0; i < a->count; i++, walk_next(&w)) {
        const uint8_t *item = a->data + w.off + offset;
        for (uint64_t j = 0; j < per; j++, k++) {
            jlp__num v;
            jlp__num_read(d, item + j * d->itemsize, &v);
            if (!jlp__num_write(&v, t, round, dst + k * es))
                return jlp__fail(err, JLP_E_RANGE, 0, -1, "%s: element %" PRIu64 " does not fit %s exactly%s", what, k,
                                 elem_name(t), round ? "" : " (JLP_AS_ROUND rounds floats)");
        }
    }
    *out = dst;
    return JLP_OK;
}

static jlp__conv *find_conv(const jlp__ndarray *a, int64_t field, jlp_elem t, bool round) {
    for (jlp__conv *c = a->convs; c; c = c->next)
        if (c->field == field && c->elem == (int)t && c->round == round) return c;
    return NULL;
}

static jlp__conv *keep_conv(jlp__ndarray *a, int64_t field, jlp_elem t, bool round, const void *data,
                            const uint64_t *shape, uint32_t ndim, uint64_t count) {
    jlp__conv *c = jlp__doc_alloc(a->doc, sizeof *c);
    if (!c) return NULL;
    c->next = a->convs;
    c->field = field;
    c->elem = (int)t;
    c->round = round;
    c->data = data;
    c->shape = shape;
    c->ndim = ndim;
    c->count = count;
    a->convs = c;
    return c;
}

static void fill(jlp_view *view, const void *data, uint64_t count, int64_t stride, const uint64_t *shape,
                 uint32_t ndim, jlp_elem t, bool copied) {
    jlp_view full;
    memset(&full, 0, sizeof full);
    full.data = count ? data : NULL;
    full.count = count;
    full.stride = stride;
    full.shape = shape;
    full.ndim = ndim;
    full.elem = t;
    full.elem_size = (uint32_t)jlp__elem_size(t);
    full.copied = copied;
    jlp__struct_out(view, &full, sizeof full);
}

/* Arguments every view call checks. @return the array, or NULL with err filled. */
static jlp__ndarray *view_args(const jlp_val *arr, jlp_elem t, unsigned flags, jlp_view *view, jlp_error *err) {
    size_t vs = 0;
    if (view) memcpy(&vs, view, sizeof vs);
    if (!view || vs < sizeof(size_t) || vs > 4096 || !jlp__elem_size(t) ||
        (flags & ~(JLP_AS_ROUND | JLP_AS_NOCOPY | JLP_AS_STRIDED))) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL or uninitialised view (JLP_VIEW_INIT), or an unknown element type or flag");
        return NULL;
    }
    if (arr->type != JLP_NDARRAY) {
        jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "a typed view needs an ndarray, not %s", jlp__a_type(arr));
        return NULL;
    }
    jlp__ndarray *a = jlp__arr(arr);
    if (a->objects) {
        jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "an object array holds values: use jlp_item");
        return NULL;
    }
    return a;
}

jlp_code jlp_array_as(const jlp_val *arr, jlp_elem t, unsigned flags, jlp_view *view, jlp_error *err) {
    if (!arr) return jlp__null_value(err);
    jlp__clear(err);
    jlp__ndarray *a = view_args(arr, t, flags, view, err);
    if (!a) return err ? err->code : JLP_E_INVALID_ARG;
    const jlp__dtype_info *d = jlp__dt(a->dtype);
    jlp__vkind k;
    bool datetime;
    if (!item_kind(d, &k, &datetime) || !jlp__num_fits_type(k, datetime, t))
        return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "a %s array has no %s view", d->str, elem_name(t));
    bool round = (flags & JLP_AS_ROUND) != 0;
    size_t es = jlp__elem_size(t);
    if (same_bytes(d, t) && c_contiguous(a) && (!a->data || (uintptr_t)a->data % elem_align(t) == 0)) {
        fill(view, a->data, a->count, (int64_t)es, a->shape, a->ndim, t, false);
        return JLP_OK;
    }
    jlp__conv *c = find_conv(a, -1, t, round);
    if (!c) {
        if (flags & JLP_AS_NOCOPY)
            return jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "%s %s view of a %s array needs a conversion (JLP_AS_NOCOPY)",
                             jlp__an(elem_name(t)), elem_name(t), d->str);
        const void *data;
        jlp_code code = convert(a, d, 0, 1, t, round, "array", &data, err);
        if (code) return code;
        c = keep_conv(a, -1, t, round, data, a->shape, a->ndim, a->count);
        if (!c) return doc_nomem(a->doc, err);
    }
    fill(view, c->data, c->count, (int64_t)es, c->shape, c->ndim, t, true);
    return JLP_OK;
}

jlp_val *jlp_dtype_field_named(const jlp_val *v, const char *name, uint64_t *offset, size_t *index) {
    if (!v || v->type != JLP_DTYPE || !name) return NULL;
    const jlp__dtype_info *d = jlp__dt(v);
    size_t n = strlen(name);
    for (size_t i = 0; i < d->nfields; i++) {
        const jlp__field *f = &d->fields[i];
        if (f->name_len == n && !memcmp(f->name, name, n)) {
            if (offset) *offset = f->offset;
            if (index) *index = i;
            return f->dtype;
        }
    }
    return NULL;
}

jlp_code jlp_array_field(const jlp_val *arr, const char *name, jlp_elem t, unsigned flags, jlp_view *view,
                         jlp_error *err) {
    if (!arr) return jlp__null_value(err);
    jlp__clear(err);
    jlp__ndarray *a = view_args(arr, t, flags, view, err);
    if (!a) return err ? err->code : JLP_E_INVALID_ARG;
    if (!name) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL field name");
    const jlp__dtype_info *rec = jlp__dt(a->dtype);
    if (!rec->nfields) return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "a %s array has no fields", rec->str);
    uint64_t offset;
    size_t index;
    const jlp_val *fdt = jlp_dtype_field_named(a->dtype, name, &offset, &index);
    if (!fdt) return jlp__fail(err, JLP_E_NOT_FOUND, 0, -1, "no field '%.60s' in %s", name, rec->str);
    const jlp__dtype_info *fd = jlp__dt(fdt);
    const jlp__dtype_info *base = fd->sub_base ? jlp__dt(fd->sub_base) : fd;
    uint64_t per = 1;
    if (fd->sub_base && !jlp__array_size(base, fd->sub_shape, (uint32_t)fd->sub_ndim, &per, &(uint64_t){0}))
        return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "field '%.60s' has an oversized subarray", name);
    jlp__vkind k;
    bool datetime;
    if (!item_kind(base, &k, &datetime) || !jlp__num_fits_type(k, datetime, t))
        return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "field '%.60s' (%s) has no %s view", name, base->str, elem_name(t));
    bool round = (flags & JLP_AS_ROUND) != 0;
    size_t es = jlp__elem_size(t);
    const uint8_t *first = a->data ? a->data + offset : NULL;
    if ((flags & JLP_AS_STRIDED) && !fd->sub_base && same_bytes(base, t) && c_contiguous(a) &&
        (!first || ((uintptr_t)first % elem_align(t) == 0 && rec->itemsize % elem_align(t) == 0))) {
        fill(view, first, a->count, (int64_t)rec->itemsize, a->shape, a->ndim, t, false);
        return JLP_OK;
    }
    jlp__conv *c = find_conv(a, (int64_t)index, t, round);
    if (!c) {
        if (flags & JLP_AS_NOCOPY)
            return jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "%s %s view of field '%.60s' needs a copy (JLP_AS_NOCOPY)",
                             jlp__an(elem_name(t)), elem_name(t), name);
        /* the view's shape: the array's, then the field's subarray's */
        uint32_t ndim = a->ndim + (fd->sub_base ? (uint32_t)fd->sub_ndim : 0);
        if (ndim > 64) return jlp__fail(err, JLP_E_BAD_TYPE, 0, -1, "field '%.60s' view has %u dimensions", name, ndim);
        uint64_t *shape = jlp__doc_alloc(a->doc, (ndim ? ndim : 1) * sizeof *shape);
        if (!shape) return doc_nomem(a->doc, err);
        if (a->ndim) memcpy(shape, a->shape, a->ndim * sizeof *shape);
        if (fd->sub_base && fd->sub_ndim) memcpy(shape + a->ndim, fd->sub_shape, fd->sub_ndim * sizeof *shape);
        const void *data;
        jlp_code code = convert(a, base, offset, per, t, round, "field", &data, err);
        if (code) return code;
        c = keep_conv(a, (int64_t)index, t, round, data, shape, ndim, a->count * per);
        if (!c) return doc_nomem(a->doc, err);
    }
    fill(view, c->data, c->count, (int64_t)es, c->shape, c->ndim, t, true);
    return JLP_OK;
}
