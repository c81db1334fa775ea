/*
 * npy.c - numpy's .npy format (numpy/lib/format.py), read as numpy.load reads it and
 * written byte for byte as numpy.save (numpy 1.24) writes it:
 *
 *   "\x93NUMPY" major minor   major 1: u16 header length, latin-1 header
 *                             major 2: u32 length, latin-1;  major 3: u32, UTF-8
 *   header    the repr of {'descr': ..., 'fortran_order': ..., 'shape': (...), }, padded
 *             with spaces and a final '\n' so the data starts at a multiple of 64
 *   data      prod(shape) * itemsize bytes in C or Fortran order, in the dtype's byte
 *             order; for an object dtype a pickle of the whole array instead
 *
 * The same header reader and array maker serve .npy files (pickle/npy.c, which also
 * reads the data or an object array's pickle) and the companion files of joblib <= 0.9
 * (companion.c). Nothing allocates from a length before it is checked.
 */
#include "numpy.h"

#include <stdarg.h>
#include <stdio.h>

/* Longest header accepted. numpy.load refuses more than 10000 characters unless the
 * file is trusted (allow_pickle); numpy.save writes more for dtypes with many fields,
 * so the reader takes up to 1 MiB: the header is parsed without recursion beyond 16
 * levels and costs memory linear in its size. */
#define NPY_MAX_HEADER ((size_t)1 << 20)
/* numpy.save aligns the data to this; GROWTH_AXIS_MAX_DIGITS pads the header so that
 * the growth axis can be rewritten in place. Both from numpy/lib/format.py. */
#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21

static const uint8_t NPY_MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

bool jlp__npy_magic(const uint8_t *head, size_t len) {
    return head && len >= sizeof NPY_MAGIC && !memcmp(head, NPY_MAGIC, sizeof NPY_MAGIC);
}

int jlp_is_npy(const void *head, size_t len) { return jlp__npy_magic(head, len); }

/* ---- reading ---------------------------------------------------------------------- */

/* Report `code` at byte `at` of the .npy file (a companion reports at the opcode that
 * names it), the message led by the file's name when there is one. */
JLP_PRINTF(5, 6)
static jlp_code npy_fail(jlp__np *m, const jlp__npy_ctx *x, uint64_t at, jlp_code code, const char *fmt, ...) {
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint64_t off = x->companion ? m->op_off : at;
    int op = x->companion ? m->op : -1;
    if (x->name) return jlp__fail(m->err, code, off, op, "%s: %s", x->name, msg);
    return jlp__fail(m->err, code, off, op, "%s", msg);
}

/* An allocation failed: NOMEM, or LIMIT when it was the document's budget. */
static jlp_code npy_nomem(jlp__np *m, const jlp__npy_ctx *x, uint64_t at) {
    if (jlp__doc_limit_hit(m->doc))
        return npy_fail(m, x, at, JLP_E_LIMIT, "document allocation exceeds limits.max_alloc (%llu)",
                        (unsigned long long)m->lim->max_alloc);
    return npy_fail(m, x, at, JLP_E_NOMEM, "out of memory");
}

/* The next `n` bytes of `src`, or TRUNCATED (the read error when there was one). */
static jlp_code npy_take(jlp__np *m, jlp_source *src, const jlp__npy_ctx *x, size_t n, const char *what,
                         const uint8_t **out) {
    uint64_t at = jlp__src_tell(src);
    *out = jlp__src_take(src, n);
    if (*out) return JLP_OK;
    if (src->failed) return jlp__src_error(src, m->err, x->companion ? m->op_off : at, x->companion ? m->op : -1);
    return npy_fail(m, x, at, JLP_E_TRUNCATED, "%s: truncated", what);
}

/* The header text as UTF-8: latin-1 (versions 1 and 2) is widened, UTF-8 (version 3)
 * checked. *out points into the source or into the document. */
static jlp_code header_text(jlp__np *m, const jlp__npy_ctx *x, int major, const uint8_t *p, size_t n,
                            uint64_t at, const char **out, size_t *out_len) {
    if (major == 3) {
        size_t ok = jlp__utf8_valid_prefix(p, n);
        if (ok != n) return npy_fail(m, x, at + ok, JLP_E_BAD_UTF8, "header is not UTF-8 at byte %zu", ok);
        *out = (const char *)p;
        *out_len = n;
        return JLP_OK;
    }
    size_t high = 0;
    for (size_t i = 0; i < n; i++) high += p[i] >= 0x80;
    if (!high) {
        *out = (const char *)p;
        *out_len = n;
        return JLP_OK;
    }
    char *u = jlp__doc_alloc(m->doc, n + high);
    if (!u) return npy_nomem(m, x, at);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += jlp__utf8_put((uint8_t *)u + k, p[i]);
    *out = u;
    *out_len = k;
    return JLP_OK;
}

/* numpy takes the last value of a repeated key, as a dict display does. */
static jlp_val *last_value(const jlp_val *dict, const char *key) {
    jlp_val *v = NULL;
    for (size_t i = 0; i < dict->u.seq.n; i++)
        if (jlp_str_eq(dict->u.seq.v[2 * i], key)) v = dict->u.seq.v[2 * i + 1];
    return v;
}

/* Check the header dict as numpy's _read_array_header does and build its parts. */
static jlp_code header_fields(jlp__np *m, const jlp__npy_ctx *x, jlp_val *hd, uint64_t at, jlp__npy_header *h) {
    if (!hd) return npy_fail(m, x, at, JLP_E_BAD_ARRAY, "cannot parse the header");
    if (hd->type != JLP_DICT) return npy_fail(m, x, at, JLP_E_BAD_ARRAY, "header is not a dictionary");
    for (size_t i = 0; i < hd->u.seq.n; i++) {
        const jlp_val *k = hd->u.seq.v[2 * i];
        if (!jlp_str_eq(k, "descr") && !jlp_str_eq(k, "fortran_order") && !jlp_str_eq(k, "shape"))
            return npy_fail(m, x, at, JLP_E_BAD_ARRAY, "header does not contain the correct keys");
    }
    jlp_val *descr = last_value(hd, "descr"), *fortran = last_value(hd, "fortran_order");
    jlp_val *shape = last_value(hd, "shape");
    if (!descr || !fortran || !shape)
        return npy_fail(m, x, at, JLP_E_BAD_ARRAY, "header does not contain the correct keys");
    if (shape->type != JLP_TUPLE) return npy_fail(m, x, at, JLP_E_BAD_ARRAY, "shape is not a tuple");
    for (size_t i = 0; i < shape->u.seq.n; i++) {
        /* numpy's check passes a bool, then its reshape fails: refused here at once */
        if (shape->u.seq.v[i]->type != JLP_INT) return npy_fail(m, x, at, JLP_E_BAD_ARRAY, "shape is not valid");
    }
    if (fortran->type != JLP_BOOL) return npy_fail(m, x, at, JLP_E_BAD_ARRAY, "fortran_order is not a valid bool");
    /* the dtype and shape parsers report at the VM's offset: the header's */
    if (!x->companion) m->op_off = at;
    jlp_code c = jlp__dtype_from_descr(m, descr, &h->dtype);
    if (!c) c = jlp__shape_from_tuple(m, shape, &h->shape, &h->ndim);
    if (c) return c;
    h->fortran = jlp_get_bool(fortran) != 0;
    return JLP_OK;
}

jlp_code jlp__npy_read_header(jlp__np *m, jlp_source *src, const jlp__npy_ctx *x, jlp__npy_header *h) {
    memset(h, 0, sizeof *h);
    uint64_t start = jlp__src_tell(src);
    const uint8_t *p;
    jlp_code c = npy_take(m, src, x, 8, "magic", &p);
    if (c) return c;
    /* a companion that is no .npy file is a malformed array of its pickle */
    if (!jlp__npy_magic(p, 8))
        return npy_fail(m, x, start, x->companion ? JLP_E_BAD_ARRAY : JLP_E_UNKNOWN_FORMAT,
                        "not a .npy file (starts %02x %02x %02x %02x)", p[0], p[1], p[2], p[3]);
    h->major = p[6];
    if ((p[6] < 1 || p[6] > 3) || p[7] != 0)
        return npy_fail(m, x, start + 6, JLP_E_UNSUPPORTED, "format version %u.%u (1.0, 2.0 and 3.0 are read)",
                        p[6], p[7]);
    size_t width = h->major == 1 ? 2 : 4;
    if ((c = npy_take(m, src, x, width, "header length", &p))) return c;
    size_t hlen = width == 2 ? jlp__le16(p) : jlp__le32(p);
    uint64_t at = start + 8 + width;
    if (hlen > NPY_MAX_HEADER)
        return npy_fail(m, x, start + 8, JLP_E_LIMIT, "header of %zu bytes (at most %zu are read)", hlen,
                        NPY_MAX_HEADER);
    if ((c = npy_take(m, src, x, hlen, "header", &p))) return c;
    const char *text = NULL;
    size_t tlen = 0;
    if ((c = header_text(m, x, h->major, p, hlen, at, &text, &tlen))) return c;
    c = header_fields(m, x, jlp__parse_literal(m->doc, text, tlen), at, h);
    if (c) return c;
    h->data_offset = at + hlen;
    return JLP_OK;
}

jlp_code jlp__npy_data_size(jlp__np *m, jlp_source *src, const jlp__npy_ctx *x, const jlp__npy_header *h,
                            uint64_t *count, uint64_t *nbytes) {
    const jlp__dtype_info *dt = jlp__dt(h->dtype);
    if (dt->hasobject)
        return x->allow_pickle ? JLP_OK
                               : npy_fail(m, x, h->data_offset, JLP_E_UNSUPPORTED,
                                          "an object array is a pickle: allow it with JLP_READ_NPY_PICKLE");
    if (!jlp__array_size(dt, h->shape, h->ndim, count, nbytes) || *nbytes >= SIZE_MAX / 2)
        return npy_fail(m, x, h->data_offset, JLP_E_BAD_ARRAY, "array size overflows");
    if (dt->itemsize == 0 && *count)
        return npy_fail(m, x, h->data_offset, JLP_E_BAD_ARRAY, "array dtype has itemsize 0");
    /* what remains is known for memory and for regular files: no allocation from a size
     * the input cannot hold */
    uint64_t here = jlp__src_tell(src);
    bool known = jlp__src_lends(src) || src->size_hint;
    uint64_t left = jlp__src_lends(src) ? jlp__src_remaining(src) : src->size_hint >= here ? src->size_hint - here : 0;
    if (known && *nbytes > left)
        return npy_fail(m, x, h->data_offset, JLP_E_TRUNCATED, "array data of %llu bytes, only %llu remain",
                        (unsigned long long)*nbytes, (unsigned long long)left);
    if (!jlp__src_lends(src) && m->lim->max_alloc && *nbytes > m->lim->max_alloc)
        return npy_fail(m, x, h->data_offset, JLP_E_LIMIT, "array data of %llu bytes exceeds limits.max_alloc",
                        (unsigned long long)*nbytes);
    return JLP_OK;
}

jlp_code jlp__npy_new_array(jlp__np *m, const jlp__npy_ctx *x, const jlp__npy_header *h, const uint8_t *data,
                            uint64_t count, uint64_t nbytes, jlp_storage storage, jlp_val **out) {
    jlp_val *arr = jlp__new_ndarray(m->doc, h->dtype, h->shape, h->ndim);
    if (!arr) return npy_nomem(m, x, h->data_offset);
    jlp__ndarray *a = jlp__arr(arr);
    a->data = data;
    a->nbytes = nbytes;
    a->count = count;
    a->order = h->fortran ? 'F' : 'C';
    a->offset = h->data_offset;
    a->storage = (uint8_t)storage;
    if (!x->companion) m->op_off = h->data_offset; /* the alignment policy reports there */
    jlp_code c = jlp__array_place(m, a);
    if (c) return c;
    *out = arr;
    return JLP_OK;
}

/* ---- writing ---------------------------------------------------------------------- */

/* Whether code point `cp` prints as itself in Python's repr (str.isprintable): the
 * controls, separators and format characters numpy's field names could plausibly hold
 * are escaped; other unassigned or unusual code points are written as themselves (numpy
 * would escape some of them; the file reads back the same either way). */
static bool py_printable(uint32_t cp) {
    if (cp < 0x20 || cp == 0x7F) return false;
    if (cp < 0x7F) return true;
    if (cp <= 0xA0 || cp == 0xAD) return false;
    if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
        (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF)
        return false;
    if (cp >= 0xD800 && cp <= 0xF8FF) return false; /* surrogates, private use */
    return cp < 0xF0000;
}

/* Decode one UTF-8 (surrogatepass) sequence of a valid string. @return its length. */
static size_t utf8_get(const uint8_t *s, uint32_t *cp) {
    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    if (s[0] < 0xE0) { *cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F); return 2; }
    if (s[0] < 0xF0) { *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F); return 3; }
    *cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    return 4;
}

/* Python's repr() of a str given as valid UTF-8. */
static void repr_str(jlp__buf *b, const char *s, size_t n) {
    bool sq = memchr(s, '\'', n) != NULL, dq = memchr(s, '"', n) != NULL;
    char q = sq && !dq ? '"' : '\'';
    jlp__buf_putc(b, q);
    const uint8_t *p = (const uint8_t *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_get(p + i, &cp);
        if (cp == (uint32_t)q || cp == '\\') {
            jlp__buf_putc(b, '\\');
            jlp__buf_putc(b, (char)cp);
        } else if (cp == '\t') jlp__buf_puts(b, "\\t");
        else if (cp == '\n') jlp__buf_puts(b, "\\n");
        else if (cp == '\r') jlp__buf_puts(b, "\\r");
        else if (py_printable(cp)) jlp__buf_put(b, p + i, k);
        else if (cp < 0x100) jlp__buf_printf(b, "\\x%02x", cp);
        else if (cp < 0x10000) jlp__buf_printf(b, "\\u%04x", cp);
        else jlp__buf_printf(b, "\\U%08x", cp);
        i += k;
    }
    jlp__buf_putc(b, q);
}

static void repr_shape(jlp__buf *b, const uint64_t *shape, size_t ndim) {
    jlp__buf_putc(b, '(');
    for (size_t i = 0; i < ndim; i++) jlp__buf_printf(b, "%s%llu", i ? ", " : "", (unsigned long long)shape[i]);
    jlp__buf_puts(b, ndim == 1 ? ",)" : ")");
}

/* Python's repr() of numpy's _array_descr(d): the type string, (descr, shape) for a
 * subarray, or the field list with '' |V padding entries. @return false for fields
 * that overlap or are out of order (numpy refuses those too). dtype nesting is bounded
 * when dtypes are built, so the recursion is too. */
static bool repr_descr(jlp__buf *b, const jlp__dtype_info *d) {
    if (d->sub_base) {
        jlp__buf_putc(b, '(');
        if (!repr_descr(b, jlp__dt(d->sub_base))) return false;
        jlp__buf_puts(b, ", ");
        repr_shape(b, d->sub_shape, d->sub_ndim);
        jlp__buf_putc(b, ')');
        return true;
    }
    if (!d->structured) {
        repr_str(b, d->str, strlen(d->str));
        return true;
    }
    jlp__buf_putc(b, '[');
    uint64_t off = 0;
    for (size_t i = 0; i < d->nfields; i++) {
        const jlp__field *f = &d->fields[i];
        const jlp__dtype_info *fd = jlp__dt(f->dtype);
        if (f->offset < off) return false;
        if (i) jlp__buf_puts(b, ", ");
        if (f->offset > off) {
            jlp__buf_printf(b, "('', '|V%llu'), ", (unsigned long long)(f->offset - off));
            off = f->offset;
        }
        jlp__buf_putc(b, '(');
        if (f->title && f->title->type == JLP_STR) {
            jlp__buf_putc(b, '(');
            repr_str(b, f->title->u.s.p, f->title->u.s.n);
            jlp__buf_puts(b, ", ");
            repr_str(b, f->name, f->name_len);
            jlp__buf_putc(b, ')');
        } else {
            repr_str(b, f->name, f->name_len);
        }
        jlp__buf_puts(b, ", ");
        if (fd->sub_base) {
            if (!repr_descr(b, jlp__dt(fd->sub_base))) return false;
            jlp__buf_puts(b, ", ");
            repr_shape(b, fd->sub_shape, fd->sub_ndim);
        } else if (!repr_descr(b, fd)) {
            return false;
        }
        jlp__buf_putc(b, ')');
        off += fd->itemsize;
    }
    if (d->itemsize > off) jlp__buf_printf(b, "%s('', '|V%llu')", d->nfields ? ", " : "", (unsigned long long)(d->itemsize - off));
    jlp__buf_putc(b, ']');
    return true;
}

/* Whether numpy would mark an array of this shape stored in Fortran order as such: it
 * checks C-contiguity first, which holds when at most one extent differs from 1 or the
 * array is empty. */
static bool fortran_flag(char order, const uint64_t *shape, uint32_t ndim) {
    if (order != 'F') return false;
    int big = 0;
    for (uint32_t i = 0; i < ndim; i++) {
        if (shape[i] == 0) return false;
        big += shape[i] != 1;
    }
    return big >= 2;
}

/* Whether every code point of the UTF-8 text is below U+0100 (latin-1 encodable). */
static bool latin1_ok(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)s[i] >= 0xC4) return false;
    return true;
}

jlp_code jlp__npy_write_header(jlp__buf *out, const jlp_val *v, jlp_error *err) {
    const jlp_val *dtype;
    const uint64_t *shape = NULL;
    uint32_t ndim = 0;
    char order = 'C';
    if (v && v->type == JLP_NDARRAY) { /* a _reconstruct never built is numpy's empty int8 array */
        const jlp__ndarray *a = jlp__arr(v);
        dtype = a->objects && a->wrapper_dtype ? a->wrapper_dtype : a->dtype;
        shape = a->shape;
        ndim = a->ndim;
        order = a->order;
    } else if (v && v->type == JLP_SCALAR) {
        dtype = jlp__sc(v)->dtype; /* numpy.save writes a scalar as a 0-d array */
    } else {
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "a .npy file holds an ndarray or a numpy scalar");
    }
    if (jlp__dt(dtype)->bfloat16) /* no descr names it: numpy has no bfloat16 */
        return jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "bfloat16 arrays: numpy has no such dtype");
    jlp__buf h;
    jlp__buf_init(&h, out->alc);
    jlp__buf_puts(&h, "{'descr': ");
    bool ok = repr_descr(&h, jlp__dt(dtype));
    jlp__buf_printf(&h, ", 'fortran_order': %s, 'shape': ", fortran_flag(order, shape, ndim) ? "True" : "False");
    repr_shape(&h, shape, ndim);
    jlp__buf_puts(&h, ", }");
    if (ndim) {
        char digits[24];
        int nd = snprintf(digits, sizeof digits, "%llu",
                          (unsigned long long)shape[fortran_flag(order, shape, ndim) ? ndim - 1 : 0]);
        for (int i = nd; i < NPY_GROWTH_DIGITS; i++) jlp__buf_putc(&h, ' ');
    }
    jlp_code c = JLP_OK;
    if (!ok) c = jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "a dtype with overlapping or out-of-order fields has no .npy descr");
    else if (h.failed) c = jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for a .npy header");
    if (c) {
        jlp__buf_release(&h);
        return c;
    }
    /* numpy tries version 1.0, then 2.0 (a longer header), then 3.0 (UTF-8) */
    bool latin1 = latin1_ok(h.data, h.len);
    size_t text = h.len;
    if (latin1) { /* each code point of the UTF-8 text becomes one byte */
        size_t k = 0;
        for (size_t i = 0; i < h.len; k++) {
            uint32_t cp;
            i += utf8_get((const uint8_t *)h.data + i, &cp);
            h.data[k] = (char)cp;
        }
        text = k;
    }
    int major = 3;
    size_t width = 4, pad = 0;
    for (int ver = latin1 ? 1 : 3; ver <= 3; ver++) {
        width = ver == 1 ? 2 : 4;
        pad = NPY_ALIGN - ((8 + width + text + 1) % NPY_ALIGN);
        if (ver == 1 && text + 1 + pad > 0xFFFF) continue;
        major = ver;
        break;
    }
    uint8_t prefix[12];
    memcpy(prefix, NPY_MAGIC, 6);
    prefix[6] = (uint8_t)major;
    prefix[7] = 0;
    uint64_t body = text + 1 + pad;
    if (body > UINT32_MAX) {
        jlp__buf_release(&h);
        return jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "a .npy header of %llu bytes", (unsigned long long)body);
    }
    for (size_t i = 0; i < width; i++) prefix[8 + i] = (uint8_t)(body >> (8 * i));
    jlp__buf_put(out, prefix, 8 + width);
    jlp__buf_put(out, h.data, text);
    for (size_t i = 0; i < pad; i++) jlp__buf_putc(out, ' ');
    jlp__buf_putc(out, '\n');
    jlp__buf_release(&h);
    if (out->failed) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for a .npy header");
    return JLP_OK;
}
