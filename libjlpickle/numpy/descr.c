/*
 * descr.c - numpy dtypes from their text forms: type strings ("<i8", "|S5", "<M8[ns]"),
 * the `descr` lists of .npy headers and numpy's dtype.descr
 * ("[('a', '<i4'), ('b', '<f8', (2,))]") and, for jlp_new_dtype only, numpy's dict form
 * ("{'names': ['a', 'b'], 'formats': ['<i4', '<i2'], 'offsets': [0, 0], 'itemsize': 4}",
 * the only one that places overlapping or out-of-order fields), read by a small parser
 * of the Python literals they are written in (dict, list, tuple, str with Python's
 * escapes, int, True, False, None).
 */
#include "numpy.h"

#include <stdio.h>
#include <stdlib.h>


typedef struct lit {
    const char *p, *end;
    jlp_doc *doc;
    int depth;
} lit;

static void skip_ws(lit *l) {
    while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r')) l->p++;
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* `n` hex digits at p (all present). @return the value, or -1. */
static long hex_value(const char *p, int n) {
    long v = 0;
    for (int i = 0; i < n; i++) {
        int d = hex_digit(p[i]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A str literal (optional u prefix, single or double quotes) with Python's escapes, as
 * repr() writes them for field names holding quotes or unprintable characters; \N{...}
 * is refused. The text is UTF-8; escapes of surrogates give ED A0 80..ED BF BF. */
static jlp_val *parse_str(lit *l) {
    if (*l->p == 'u') l->p++;
    char q = *l->p++;
    const char *s = l->p;
    while (l->p < l->end && *l->p != q) l->p += *l->p == '\\' && l->p + 1 < l->end ? 2 : 1;
    if (l->p >= l->end) return NULL;
    size_t n = (size_t)(l->p - s);
    l->p++;
    char *out = jlp__doc_alloc(l->doc, n + 1); /* escapes never expand */
    if (!out) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            out[k++] = s[i++];
            continue;
        }
        char e = s[i + 1];
        i += 2;
        long cp = -1;
        switch (e) {
        case '\n': continue; /* a line continuation */
        case '\\': case '\'': case '"': cp = e; break;
        case 'a': cp = 7; break;
        case 'b': cp = 8; break;
        case 'f': cp = 12; break;
        case 'n': cp = 10; break;
        case 'r': cp = 13; break;
        case 't': cp = 9; break;
        case 'v': cp = 11; break;
        case 'x': case 'u': case 'U': {
            int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            if (n - i < (size_t)digits || (cp = hex_value(s + i, digits)) < 0 || cp > 0x10FFFF) return NULL;
            i += (size_t)digits;
            break;
        }
        default:
            if (e >= '0' && e <= '7') { /* up to three octal digits */
                cp = e - '0';
                for (int d = 0; d < 2 && i < n && s[i] >= '0' && s[i] <= '7'; d++) cp = cp * 8 + (s[i++] - '0');
                break;
            }
            if (e == 'N') return NULL;
            out[k++] = '\\'; /* an unknown escape stays as written */
            out[k++] = e;
            continue;
        }
        k += jlp__utf8_put((uint8_t *)out + k, (uint32_t)cp);
    }
    out[k] = 0;
    if (jlp__utf8_valid_prefix((const uint8_t *)out, k) != k) return NULL;
    jlp_val *v = jlp__new_val(l->doc, JLP_STR);
    if (!v) return NULL;
    v->u.s.p = out;
    v->u.s.n = k;
    return v;
}

/* Parse one literal: dict, list, tuple, str, int, True, False, None. NULL on error. */
static jlp_val *parse_lit(lit *l) {
    skip_ws(l);
    if (l->p >= l->end || ++l->depth > 16) return NULL;
    jlp_val *v = NULL;
    char c = *l->p;
    if (c == '{' || c == '[' || c == '(') {
        char close = c == '{' ? '}' : c == '[' ? ']' : ')';
        jlp_type t = c == '{' ? JLP_DICT : c == '[' ? JLP_LIST : JLP_TUPLE;
        l->p++;
        v = jlp__new_seq(l->doc, t, NULL, 0);
        if (!v) return NULL;
        for (;;) {
            skip_ws(l);
            if (l->p < l->end && *l->p == close) { l->p++; break; }
            jlp_val *item[2];
            item[0] = parse_lit(l);
            if (!item[0]) return NULL;
            if (t == JLP_DICT) {
                skip_ws(l);
                if (l->p >= l->end || *l->p != ':') return NULL;
                l->p++;
                item[1] = parse_lit(l);
                if (!item[1]) return NULL;
            }
            if (!jlp__seq_append(l->doc, v, item, 1)) return NULL;
            skip_ws(l);
            if (l->p < l->end && *l->p == ',') { l->p++; continue; }
            if (l->p < l->end && *l->p == close) { l->p++; break; }
            return NULL;
        }
    } else if (c == '\'' || c == '"' || (c == 'u' && l->p + 1 < l->end && (l->p[1] == '\'' || l->p[1] == '"'))) {
        v = parse_str(l);
    } else if ((c >= '0' && c <= '9') || c == '-') {
        bool neg = c == '-';
        if (neg) l->p++;
        int64_t x = 0;
        int digits = 0;
        while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
            if (++digits > 18) return NULL;
            x = x * 10 + (*l->p++ - '0');
        }
        if (l->p < l->end && *l->p == 'L') l->p++; /* Python 2 longs */
        if (!digits) return NULL;
        v = jlp__new_int(l->doc, neg ? -x : x);
    } else {
        static const char *const words[] = {"True", "False", "None"};
        for (int i = 0; i < 3 && !v; i++) {
            size_t n = strlen(words[i]);
            if ((size_t)(l->end - l->p) >= n && !memcmp(l->p, words[i], n)) {
                l->p += n;
                v = i == 2 ? jlp__new_none(l->doc) : jlp__new_bool(l->doc, i == 0);
            }
        }
    }
    l->depth--;
    return v;
}

/* A dtype from a .npy descr: a type string ("<i8", "|S5", "<M8[ns]") or a list of
 * (name, descr[, shape]) fields laid out one after another. */

static jlp_code from_str(jlp__np *m, const char *s, size_t n, bool zero_count, jlp_val **out);

jlp_code jlp__dtype_from_str(jlp__np *m, const char *s, size_t n, jlp_val **out) {
    return from_str(m, s, n, false, out);
}

/* zero_count: take a datetime count of 0 ("M8[0s]"), which numpy.dtype() takes */
static jlp_code from_str(jlp__np *m, const char *s, size_t n, bool zero_count, jlp_val **out) {
    char buf[64];
    if (n >= sizeof buf) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype string too long");
    memcpy(buf, s, n);
    buf[n] = 0;
    char *unit = strchr(buf, '[');
    size_t base = unit ? (size_t)(unit - buf) : n;
    jlp_code c = jlp__dtype_simple(m, buf, base, out);
    if (c) return c;
    jlp__dtype_info *d = jlp__dt(*out);
    if (unit) {
        /* "[" [digits] unit "]" at the end, as numpy parses it: a unit it knows and a
         * count from 1 to 2^31 - 1 (numpy reads "[0s]" but cannot load its own pickle
         * of it; the writer would write what no loader reads) */
        char *close = strchr(unit, ']');
        char *p = unit + 1;
        while (*p == ' ') p++;
        int64_t num = 0;
        bool digits = false;
        while (*p >= '0' && *p <= '9' && num <= INT32_MAX) {
            num = num * 10 + (*p++ - '0');
            digits = true;
        }
        size_t ul = close ? (size_t)(close - p) : 0;
        if (ul == 3 && !memcmp(p, "\xce\xbcs", 3)) p = (char *)"us", ul = 2; /* numpy's alias */
        if (!close || close[1] || (d->kind != 'M' && d->kind != 'm') || !jlp__datetime_unit_known(p, ul) ||
            (digits && (num < !zero_count || num > INT32_MAX)))
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "malformed datetime dtype '%s'", buf);
        if (!(ul == 7 && !memcmp(p, "generic", 7))) {
            memcpy(d->unit, p, ul);
            d->unit[ul] = 0;
            d->unit_num = digits ? num : 1;
        }
    }
    d->built = true;
    jlp__dtype_finish(d);
    return JLP_OK;
}

static jlp_code dtype_from_lit(jlp__np *m, jlp_val *descr, bool dicts, jlp_val **out);

/* A subarray dtype of `base` and the shape tuple `shape`. */
static jlp_code subarray_dtype(jlp__np *m, jlp_val *base, jlp_val *shape, jlp_val **out) {
    jlp_val *sub = jlp__new_val(m->doc, JLP_DTYPE);
    jlp__dtype_info *sd = jlp__doc_alloc(m->doc, sizeof *sd);
    if (!sub || !sd) return jlp__np_nomem(m);
    memset(sd, 0, sizeof *sd);
    sd->doc = m->doc;
    uint32_t nd;
    jlp_code c = jlp__shape_from_tuple(m, shape, &sd->sub_shape, &nd);
    if (c) return c;
    sd->sub_ndim = nd;
    sd->sub_base = base;
    sd->kind = 'V';
    sd->byteorder = '|';
    sd->alignment = 1;
    uint64_t cnt;
    if (!jlp__array_size(jlp__dt(base), sd->sub_shape, nd, &cnt, &sd->itemsize))
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "subarray size overflows");
    sd->hasobject = jlp__dt(base)->hasobject;
    sd->built = true;
    sub->u.ext = sd;
    jlp__dtype_finish(sd);
    *out = sub;
    return JLP_OK;
}

/* A new structured dtype node with room for n fields. */
static jlp_val *new_struct(jlp__np *m, size_t n) {
    jlp_val *v = jlp__new_val(m->doc, JLP_DTYPE);
    jlp__dtype_info *d = jlp__doc_alloc(m->doc, sizeof *d);
    jlp__field *f = jlp__doc_alloc(m->doc, (n ? n : 1) * sizeof *f);
    if (!v || !d || !f) return NULL;
    memset(d, 0, sizeof *d);
    d->doc = m->doc;
    d->kind = 'V';
    d->byteorder = '|';
    d->alignment = 1;
    d->structured = true;
    d->fields = f;
    v->u.ext = d;
    return v;
}

/* Append a field to a dtype made by new_struct (room for it was made there). */
static void add_field(jlp__dtype_info *d, jlp_val *name, jlp_val *title, jlp_val *fd, uint64_t off) {
    jlp__field *f = &d->fields[d->nfields++];
    f->name = name->u.s.p;
    f->name_len = name->u.s.n;
    f->name_val = name;
    f->dtype = fd;
    f->offset = off;
    f->title = title;
    if (jlp__dt(fd)->hasobject) d->hasobject = true;
}

static bool same_str(const jlp_val *a, const jlp_val *b) {
    return a && b && a->type == JLP_STR && b->type == JLP_STR && a->u.s.n == b->u.s.n &&
           !memcmp(a->u.s.p, b->u.s.p, a->u.s.n);
}

static jlp_code np_struct(jlp__np *m, size_t n, jlp_val *const *names, jlp_val *const *formats,
                          jlp_val *const *offsets, jlp_val *const *titles, const jlp_val *itemsize, bool align,
                          bool descr, int depth, jlp_val **out);

/* Object fields past this many are not compared with the others for overlaps. */
#define DICT_OBJECT_FIELDS_MAX 1024

/* numpy's dict form {'names': [...], 'formats': [...], 'offsets': [...], 'titles':
 * [...], 'itemsize': N} (offsets, titles and itemsize optional), as numpy.dtype() takes
 * it: fields at their offsets in the order of names, which may overlap and be out of
 * order (numpy's repr of such a dtype; spec/JSON.md prints them so). Stricter than
 * numpy about its keys (no other key, each once, lists of one length, titles str or
 * None), then read by np_struct as numpy.dtype() reads the dict (the scan's readings
 * share it): names and titles distinct, offsets not negative, the item size holding
 * every field, no object field sharing bytes with another field. */
static jlp_code dtype_from_dict(jlp__np *m, jlp_val *dict, jlp_val **out) {
    static const char *const keys[] = {"names", "formats", "offsets", "titles", "itemsize"};
    jlp_val *val[5] = {0};
    for (size_t i = 0; i < dict->u.seq.n; i++) {
        jlp_val *k = dict->u.seq.v[2 * i];
        size_t j = 0;
        while (j < 5 && !(k->type == JLP_STR && k->u.s.n == strlen(keys[j]) && !memcmp(k->u.s.p, keys[j], k->u.s.n))) j++;
        if (j == 5 || val[j]) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict key is not one of names, formats, "
                                                  "offsets, titles, itemsize, or is repeated");
        val[j] = dict->u.seq.v[2 * i + 1];
    }
    jlp_val *names = val[0], *formats = val[1], *offsets = val[2], *titles = val[3], *itemsize = val[4];
    if (!names || !formats) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict without names and formats");
    for (int j = 0; j < 4; j++)
        if (val[j] && val[j]->type != JLP_LIST && val[j]->type != JLP_TUPLE)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict %s is not a list", keys[j]);
    size_t n = names->u.seq.n;
    if (formats->u.seq.n != n || (offsets && offsets->u.seq.n != n) || (titles && titles->u.seq.n != n))
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict lists differ in length");
    if (itemsize && (itemsize->type != JLP_INT || itemsize->u.i < 0))
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict itemsize is not a non-negative int");
    for (size_t i = 0; titles && i < n; i++)
        if (titles->u.seq.v[i]->type != JLP_NONE && titles->u.seq.v[i]->type != JLP_STR)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict title is not a str or None");
    for (size_t i = 0; offsets && i < n; i++)
        if (offsets->u.seq.v[i]->type != JLP_INT || offsets->u.seq.v[i]->u.i < 0)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict offset is not a non-negative int");
    return np_struct(m, n, names->u.seq.v, formats->u.seq.v, offsets ? offsets->u.seq.v : NULL,
                     titles ? titles->u.seq.v : NULL, itemsize, false, true, 0, out);
}

/* A format of dtype_from_dict: a descr, or (descr, shape). */
static jlp_code descr_format(jlp__np *m, jlp_val *fmt, jlp_val **out) {
    if (fmt->type != JLP_TUPLE) return dtype_from_lit(m, fmt, true, out);
    if (fmt->u.seq.n != 2) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict format is not (format, shape)");
    jlp_code c = dtype_from_lit(m, fmt->u.seq.v[0], true, out);
    return c ? c : subarray_dtype(m, *out, fmt->u.seq.v[1], out);
}

/* A dtype from a parsed descr: a type string, a list of (name, descr[, shape]) fields
 * laid out one after another, and (when `dicts`) numpy's dict form at any level. */
/* Lists of fields inside lists of fields (through dicts and (base, shape) tuples too):
 * deeper ones are refused before they are read, so that this recursion is bounded
 * whatever the input nests (a pickled list may nest as deep as its opcodes go). */
#define DESCR_MAX_DEPTH 32

static jlp_code dtype_from_lit_at(jlp__np *m, jlp_val *descr, bool dicts, jlp_val **out);

static jlp_code dtype_from_lit(jlp__np *m, jlp_val *descr, bool dicts, jlp_val **out) {
    if (m->descr_depth >= DESCR_MAX_DEPTH)
        return jlp__np_fail(m, JLP_E_LIMIT, "dtype nests deeper than %d levels", DESCR_MAX_DEPTH);
    m->descr_depth++;
    jlp_code c = dtype_from_lit_at(m, descr, dicts, out);
    m->descr_depth--;
    return c;
}

static jlp_code dtype_from_lit_at(jlp__np *m, jlp_val *descr, bool dicts, jlp_val **out) {
    /* numpy's descr_to_dtype: a str is numpy.dtype(str) (any spelling: 'object', 'i4,O'),
     * a tuple numpy.dtype((base, shape)) */
    if (descr->type == JLP_STR || descr->type == JLP_TUPLE) return jlp__dtype_arg(m, descr, false, out);
    if (dicts && descr->type == JLP_DICT) return dtype_from_dict(m, descr, out);
    if (descr->type != JLP_LIST) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "npy descr is not a str or list");
    size_t n = descr->u.seq.n;
    jlp_val *v = new_struct(m, n);
    if (!v) return jlp__np_nomem(m);
    jlp__dtype_info *d = jlp__dt(v); /* a list descr, even [] or padding only, as numpy's format reads it */
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        jlp_val *e = descr->u.seq.v[i];
        if (e->type != JLP_TUPLE || e->u.seq.n < 2 || e->u.seq.n > 3)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "npy descr field is not (name, type[, shape])");
        jlp_val *name = e->u.seq.v[0], *title = NULL, *fd;
        if (name->type == JLP_TUPLE && name->u.seq.n == 2) {
            title = name->u.seq.v[0];
            name = name->u.seq.v[1];
        }
        if (name->type != JLP_STR) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "npy descr field name is not a str");
        jlp_code c = dtype_from_lit(m, e->u.seq.v[1], dicts, &fd);
        if (c) return c;
        if (e->u.seq.n == 3 && (c = subarray_dtype(m, fd, e->u.seq.v[2], &fd))) return c;
        uint64_t size = jlp__dt(fd)->itemsize;
        if (name->u.s.n == 0) { /* '' entries are padding */
            if (!jlp__add_u64(off, size, &off)) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype too large");
            continue;
        }
        add_field(d, name, title, fd, off);
        if (!jlp__add_u64(off, size, &off)) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype too large");
    }
    d->itemsize = off;
    d->built = true;
    jlp__dtype_finish(d);
    *out = v;
    return JLP_OK;
}

jlp_code jlp__dtype_from_descr(jlp__np *m, jlp_val *descr, jlp_val **out) {
    return dtype_from_lit(m, descr, false, out);
}


jlp_val *jlp__parse_literal(jlp_doc *doc, const char *text, size_t n) {
    lit l = {text, text + n, doc, 0};
    jlp_val *v = parse_lit(&l);
    if (!v) return NULL;
    skip_ws(&l);
    return l.p == l.end ? v : NULL;
}

/* The names and one-character codes numpy.dtype() accepts (numpy's sctypeDict and
 * typecodes), with the type string numpy 1.24 gives them on an LP64 host (C long and
 * pointers 64 bits, long double the x87 format in 16 bytes). "=" is host order. */
static const struct { const char *name, *str; } aliases[] = {
    {"?", "|b1"}, {"b", "|i1"}, {"B", "|u1"}, {"h", "=i2"}, {"H", "=u2"}, {"i", "=i4"}, {"I", "=u4"},
    {"l", "=i8"}, {"L", "=u8"}, {"q", "=i8"}, {"Q", "=u8"}, {"p", "=i8"}, {"P", "=u8"},
    {"e", "=f2"}, {"f", "=f4"}, {"d", "=f8"}, {"g", "=f16"}, {"F", "=c8"}, {"D", "=c16"}, {"G", "=c32"},
    {"O", "|O"}, {"S", "|S0"}, {"a", "|S0"}, {"U", "=U0"}, {"V", "|V0"}, {"M", "=M8"}, {"m", "=m8"},
    {"c", "|S1"},
    {"bool", "|b1"}, {"bool_", "|b1"}, {"bool8", "|b1"},
    {"byte", "|i1"}, {"short", "=i2"}, {"intc", "=i4"}, {"int_", "=i8"}, {"int", "=i8"}, {"long", "=i8"},
    {"longlong", "=i8"}, {"intp", "=i8"}, {"int0", "=i8"},
    {"int8", "|i1"}, {"int16", "=i2"}, {"int32", "=i4"}, {"int64", "=i8"},
    {"ubyte", "|u1"}, {"ushort", "=u2"}, {"uintc", "=u4"}, {"uint", "=u8"}, {"ulong", "=u8"},
    {"ulonglong", "=u8"}, {"uintp", "=u8"}, {"uint0", "=u8"},
    {"uint8", "|u1"}, {"uint16", "=u2"}, {"uint32", "=u4"}, {"uint64", "=u8"},
    {"half", "=f2"}, {"single", "=f4"}, {"double", "=f8"}, {"float", "=f8"}, {"float_", "=f8"},
    {"longdouble", "=f16"}, {"longfloat", "=f16"},
    {"float16", "=f2"}, {"float32", "=f4"}, {"float64", "=f8"}, {"float128", "=f16"},
    {"csingle", "=c8"}, {"singlecomplex", "=c8"}, {"cdouble", "=c16"}, {"cfloat", "=c16"}, {"complex", "=c16"},
    {"complex_", "=c16"}, {"clongdouble", "=c32"}, {"clongfloat", "=c32"}, {"longcomplex", "=c32"},
    {"complex64", "=c8"}, {"complex128", "=c16"}, {"complex256", "=c32"},
    {"object", "|O"}, {"object_", "|O"}, {"object0", "|O"},
    {"str", "=U0"}, {"str_", "=U0"}, {"str0", "=U0"}, {"unicode", "=U0"}, {"unicode_", "=U0"},
    {"bytes", "|S0"}, {"bytes_", "|S0"}, {"bytes0", "|S0"}, {"string_", "|S0"},
    {"void", "|V0"}, {"void0", "|V0"},
    {"datetime64", "=M8"}, {"timedelta64", "=m8"},
};

jlp_code jlp__dtype_from_text(jlp__np *m, const char *text, size_t n, jlp_val **out) {
    while (n && (*text == ' ' || *text == '\t')) { text++; n--; }
    if (n && (text[0] == '[' || text[0] == '{')) {
        jlp_val *lit_v = jlp__parse_literal(m->doc, text, n);
        if (!lit_v) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "malformed structured dtype description");
        return dtype_from_lit(m, lit_v, true, out);
    }
    /* a byte order may lead a one-character code: '>f' is >f4 */
    char order = 0;
    if (n == 2 && strchr("<>=|", text[0])) {
        order = text[0];
        text++;
        n--;
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strlen(aliases[i].name) != n || memcmp(aliases[i].name, text, n)) continue;
        /* '|' (no byte order) before a code that has one means the host's, as in numpy */
        if (!order || order == '|') return jlp__dtype_from_str(m, aliases[i].str, strlen(aliases[i].str), out);
        char buf[8];
        snprintf(buf, sizeof buf, "%c%s", aliases[i].str[0] == '|' ? '|' : order, aliases[i].str + 1);
        return jlp__dtype_from_str(m, buf, strlen(buf), out);
    }
    if (order) { /* not a code after all: give the text back whole */
        text--;
        n++;
    }
    /* sized and unit forms: "a5" is S5; "datetime64[ns]" and "timedelta64[D]" are M8/m8 */
    char buf[64];
    if (n >= 2 && n < sizeof buf && text[0] == 'a' && text[1] >= '0' && text[1] <= '9') {
        snprintf(buf, sizeof buf, "S%.*s", (int)(n - 1), text + 1);
        return jlp__dtype_from_str(m, buf, n, out);
    }
    static const struct { const char *name, *code; } units[] = {{"datetime64[", "M8["}, {"timedelta64[", "m8["}};
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(units[i].name);
        if (n > k && n - k + 3 < sizeof buf && !memcmp(text, units[i].name, k)) {
            snprintf(buf, sizeof buf, "%s%.*s", units[i].code, (int)(n - k), text + k);
            return jlp__dtype_from_str(m, buf, strlen(buf), out);
        }
    }
    return jlp__dtype_from_str(m, text, n, out);
}

/* ---- numpy.dtype(arg, align): numpy 1.24's rules -------------------------------------
 * As numpy/core/src/multiarray/descriptor.c (_convert_from_str, _convert_from_tuple,
 * _convert_from_list) and numpy/core/_internal.py (_commastring) read them, so that a
 * reading goes on wherever Python's does (tests/values/dtype_args.txt holds numpy's
 * answers for generated arguments; test_scan checks the reader against them). */

/* Comma strings and (base, shape) items nest only through shorter text. */
#define NP_ARG_DEPTH 8
/* numpy's NPY_MAXDIMS */
#define NP_MAXDIMS 32

bool jlp__truthy(const jlp_val *v) {
    switch (v->type) {
    case JLP_NONE: return false;
    case JLP_BOOL: case JLP_INT: return v->u.i != 0;
    case JLP_FLOAT: return v->u.f != 0;
    case JLP_STR: case JLP_BYTES: case JLP_BYTEARRAY: return v->u.s.n != 0;
    case JLP_TUPLE: case JLP_LIST: case JLP_DICT: case JLP_SET: case JLP_FROZENSET: return v->u.seq.n != 0;
    default: return true;
    }
}

static char native_order(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1 ? '<' : '>';
}

/* C's isspace (strtol) and Python's \s over ASCII */
static bool c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static bool py_space(char c) { return c_space(c) || (c >= 0x1c && c <= 0x1f); }
static bool digit(char c) { return c >= '0' && c <= '9'; }
static bool alnum(char c) { return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static jlp_code not_understood(jlp__np *m, const char *s, size_t n) {
    return jlp__np_fail(m, JLP_E_BAD_DTYPE, "data type '%.*s' not understood", (int)(n > 40 ? 40 : n), s);
}

/* What a scan reading makes of an argument numpy may accept that is not modelled: an
 * object dtype (the worst its items can be), marked for the scan to report. */
static jlp_code unmodelled(jlp__np *m, const char *why, jlp_val **out) {
    if (!m->lenient) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "numpy.dtype of %s is not supported", why);
    jlp_code c = jlp__dtype_from_str(m, "|O", 2, out);
    if (c) return c;
    jlp__dt(*out)->stand_in = why;
    return JLP_OK;
}

static jlp_code alias(jlp__np *m, const char *s, size_t n, bool *found, jlp_val **out) {
    *found = false;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strlen(aliases[i].name) != n || memcmp(aliases[i].name, s, n)) continue;
        *found = true;
        return jlp__dtype_from_str(m, aliases[i].str, strlen(aliases[i].str), out);
    }
    return JLP_OK;
}

/* A repeat count or shape as ast.literal_eval reads numpy's "repeats" text (spaces,
 * digits, commas, one pair of parentheses). */
typedef struct np_rep {
    bool is_int;
    size_t ndim;
    int64_t dims[NP_MAXDIMS + 1];
} np_rep;

static bool parse_rep(const char *p, const char *e, np_rep *r) {
    while (p < e && *p == ' ') p++; /* literal_eval strips leading spaces */
    bool paren = p < e && *p == '(', closed = false, comma = false, want_num = true;
    if (paren) p++;
    r->ndim = 0;
    while (p < e) {
        if (*p == ' ') { p++; continue; }
        if (paren && *p == ')') {
            for (p++; p < e && *p == ' '; p++) {}
            if (p != e) return false;
            closed = true;
            break;
        }
        if (digit(*p)) {
            if (!want_num) return false;
            const char *q = p;
            int64_t v = 0;
            bool nonzero_after_zero = false;
            for (; q < e && digit(*q); q++) {
                if (*p == '0' && *q != '0') nonzero_after_zero = true;
                v = v > INT64_MAX / 20 ? INT64_MAX / 20 : v * 10 + (*q - '0');
            }
            if (nonzero_after_zero) return false; /* "03": leading zeros are a SyntaxError */
            if (r->ndim > NP_MAXDIMS) return false;
            r->dims[r->ndim++] = v;
            p = q;
            want_num = false;
        } else if (*p == ',') {
            if (want_num) return false;
            comma = want_num = true;
            p++;
        } else {
            return false;
        }
    }
    if (paren ? !closed : r->ndim == 0) return false;
    r->is_int = !comma && r->ndim == 1;
    return true;
}

static jlp_code np_text(jlp__np *m, const char *s, size_t n, bool align, int depth, jlp_val **out);

/* _convert_from_tuple: (base, itemsize) of an unsized base, else (base, shape). */
static jlp_code np_tuple(jlp__np *m, jlp_val *base, const np_rep *r, jlp_val **out) {
    jlp__dtype_info *b = jlp__dt(base);
    if (b->itemsize == 0 && !b->structured && (b->kind == 'S' || b->kind == 'U' || b->kind == 'V')) {
        if (!r->is_int) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "invalid itemsize in generic type tuple");
        if (r->dims[0] > INT32_MAX / (b->kind == 'U' ? 4 : 1))
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "invalid itemsize in generic type tuple");
        b->itemsize = (uint64_t)r->dims[0] * (b->kind == 'U' ? 4 : 1);
        jlp__dtype_finish(b);
        *out = base;
        return JLP_OK;
    }
    if ((r->is_int && r->dims[0] == 1) || (!r->is_int && r->ndim == 0)) { /* (t, 1), (t, ()): t itself */
        *out = base;
        return JLP_OK;
    }
    if (r->ndim > NP_MAXDIMS) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "invalid shape in fixed-type tuple");
    uint64_t items = 1;
    for (size_t i = 0; i < r->ndim; i++) {
        if (r->dims[i] > INT32_MAX)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "invalid shape in fixed-type tuple: dimension does not fit into a C int");
        if (!jlp__mul_u64(items, (uint64_t)r->dims[i], &items) || items > INT32_MAX)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "invalid shape in fixed-type tuple: dtype size in bytes must fit into a C int");
    }
    if (b->itemsize && items > INT32_MAX / b->itemsize)
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "invalid shape in fixed-type tuple: dtype size in bytes must fit into a C int");
    jlp_val *v = jlp__new_val(m->doc, JLP_DTYPE);
    jlp__dtype_info *d = jlp__doc_alloc(m->doc, sizeof *d);
    uint64_t *shape = jlp__doc_alloc(m->doc, (r->ndim ? r->ndim : 1) * sizeof *shape);
    if (!v || !d || !shape) return jlp__np_nomem(m);
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < r->ndim; i++) shape[i] = (uint64_t)r->dims[i];
    d->doc = m->doc;
    d->kind = 'V';
    d->byteorder = '|';
    d->alignment = jlp__dtype_align(b);
    d->sub_base = base;
    d->sub_shape = shape;
    d->sub_ndim = r->ndim;
    d->itemsize = b->itemsize * items;
    d->hasobject = b->hasobject;
    d->stand_in = b->stand_in;
    d->depth = (uint8_t)(b->depth + 1);
    d->built = true;
    v->u.ext = d;
    jlp__dtype_finish(d);
    *out = v;
    return JLP_OK;
}

/* _convert_from_list of converted items: fields f0, f1, ... one after another, each at
 * its alignment when `align`. */
static jlp_code np_fields(jlp__np *m, jlp_val **items, size_t n, bool align, jlp_val **out) {
    jlp_val *v = new_struct(m, n);
    if (!v) return jlp__np_nomem(m);
    jlp__dtype_info *d = jlp__dt(v);
    jlp__field *f = d->fields;
    uint64_t off = 0;
    uint32_t maxalign = 1;
    for (size_t i = 0; i < n; i++) {
        jlp__dtype_info *fd = jlp__dt(items[i]);
        if (align) {
            uint32_t a = jlp__dtype_align(fd);
            if (a > 1) off = (off + a - 1) / a * a;
            if (a > maxalign) maxalign = a;
        }
        char name[24];
        int nl = snprintf(name, sizeof name, "f%zu", i);
        f[i].name_val = jlp__new_bytes_copy(m->doc, JLP_STR, name, (size_t)nl);
        if (!f[i].name_val) return jlp__np_nomem(m);
        f[i].name = f[i].name_val->u.s.p;
        f[i].name_len = (size_t)nl;
        f[i].dtype = items[i];
        f[i].offset = off;
        f[i].title = NULL;
        if (fd->hasobject) d->hasobject = true;
        if (fd->stand_in && !d->stand_in) d->stand_in = fd->stand_in;
        if (fd->depth >= d->depth) d->depth = (uint8_t)(fd->depth + 1);
        if (!jlp__add_u64(off, fd->itemsize, &off) || off > INT32_MAX)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype too large");
    }
    if (align && maxalign > 1) off = (off + maxalign - 1) / maxalign * maxalign;
    d->nfields = n;
    d->itemsize = off;
    d->alignment = align ? maxalign : 1;
    d->built = true;
    jlp__dtype_finish(d);
    *out = v;
    return JLP_OK;
}

/* _check_for_commastring */
static bool commastring(const char *s, size_t n) {
    bool bo0 = n > 1 && strchr("<>|=", s[0]) && s[0];
    if (digit(s[0]) || (bo0 && digit(s[1]))) return true;
    if ((n > 1 && s[0] == '(' && s[1] == ')') || (n > 3 && bo0 && s[1] == '(' && s[2] == ')')) return true;
    int sq = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ',' && sq == 0) return true;
        if (s[i] == '[') sq++;
        if (s[i] == ']') sq--;
    }
    return false;
}

/* _commastring, then one item converted alone or a list of them as fields */
static jlp_code np_comma(jlp__np *m, const char *s, size_t n, bool align, int depth, jlp_val **out) {
    jlp_val **items = jlp__doc_alloc(m->doc, (n ? n : 1) * sizeof *items);
    if (!items) return jlp__np_nomem(m);
    size_t k = 0, pos = 0;
    const char nat = native_order();
    while (pos < n) {
        /* format_re: [<>|=]? ( *[(]?[ ,0-9]*[)]? *) [<>|=]? ([A-Za-z0-9.?]*(\[[a-zA-Z0-9,.]+\])?) */
        char o1 = pos < n && strchr("<>|=", s[pos]) && s[pos] ? s[pos++] : 0;
        size_t rs = pos;
        while (pos < n && s[pos] == ' ') pos++;
        if (pos < n && s[pos] == '(') pos++;
        while (pos < n && (s[pos] == ' ' || s[pos] == ',' || digit(s[pos]))) pos++;
        if (pos < n && s[pos] == ')') pos++;
        while (pos < n && s[pos] == ' ') pos++;
        size_t re = pos;
        char o2 = pos < n && strchr("<>|=", s[pos]) && s[pos] ? s[pos++] : 0;
        size_t ds = pos;
        while (pos < n && (alnum(s[pos]) || s[pos] == '.' || s[pos] == '?')) pos++;
        if (pos < n && s[pos] == '[') {
            size_t q = pos + 1;
            while (q < n && (alnum(s[q]) || s[q] == ',' || s[q] == '.')) q++;
            if (q > pos + 1 && q < n && s[q] == ']') pos = q + 1;
        }
        size_t de = pos;
        if (pos < n) { /* a separator, or spaces to the end */
            size_t q = pos;
            while (q < n && py_space(s[q])) q++;
            if (q > pos && q == n) {
                pos = n;
            } else if (q < n && s[q] == ',') {
                for (q++; q < n && py_space(s[q]); q++) {}
                pos = q;
            } else {
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "format number %zu of \"%.*s\" is not recognized", k + 1,
                                    (int)(n > 40 ? 40 : n), s);
            }
        }
        char o = o1;
        if (o1 && o2) {
            char c1 = o1 == '=' ? nat : o1, c2 = o2 == '=' ? nat : o2;
            if (c1 != c2)
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "inconsistent byte-order specification %c and %c", c1, c2);
        } else if (!o1) {
            o = o2;
        }
        if (o == '|' || o == '=' || o == nat) o = 0;
        char buf[80];
        if (de - ds + 2 > sizeof buf) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype string too long");
        size_t bl = 0;
        if (o) buf[bl++] = o;
        memcpy(buf + bl, s + ds, de - ds);
        bl += de - ds;
        jlp_val *dt;
        np_rep r;
        if (re > rs && !parse_rep(s + rs, s + re, &r))
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "malformed repeat count '%.*s' in a dtype string", (int)(re - rs), s + rs);
        jlp_code c = np_text(m, buf, bl, align, depth + 1, &dt);
        if (!c && re > rs) c = np_tuple(m, dt, &r, &dt);
        if (c) return c;
        items[k++] = dt;
    }
    if (k == 0) return not_understood(m, s, n);
    if (k == 1) {
        *out = items[0];
        return JLP_OK;
    }
    return np_fields(m, items, k, align, out);
}

/* The sizes a kind takes on this host (PyArray_TypestrConvert). */
static bool typestr_ok(char kind, int32_t size) {
    switch (kind) {
    case 'b': return size == 1;
    case 'i': case 'u': return size == 1 || size == 2 || size == 4 || size == 8;
    /* 12 and 24: the long double of a 32-bit x86 host, which numpy there writes; numpy
     * here refuses it, and reading on where it stops only ever shows more */
    case 'f': return size == 2 || size == 4 || size == 8 || size == 16 || size == 12;
    case 'c': return size == 8 || size == 16 || size == 32 || size == 24;
    case 'O': return size == 4 || size == 8;
    default: return false;
    }
}

/* _convert_from_str */
/* "<kind><size>" into buf (room for a kind and a 32-bit size): what snprintf's "%c%ld"
 * writes, without its cost, which was most of an array's dtype argument read (every
 * array of a model has one). @return the length written. */
static size_t kind_size_text(char *buf, char kind, uint32_t size) {
    char digits[10];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + size % 10);
        size /= 10;
    } while (size);
    buf[0] = kind;
    for (size_t i = 0; i < nd; i++) buf[1 + i] = digits[nd - 1 - i];
    buf[1 + nd] = '\0';
    return 1 + nd;
}

static jlp_code np_text(jlp__np *m, const char *s, size_t n, bool align, int depth, jlp_val **out) {
    if (depth > NP_ARG_DEPTH) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype string nests too deep");
    if (n == 0) return not_understood(m, s, n);
    if (commastring(s, n)) return np_comma(m, s, n, align, depth, out);
    char endian = '=';
    const char *t = s;
    size_t len = n;
    if (len > 1 && strchr("<>|=", t[0]) && t[0]) {
        endian = t[0] == '|' ? '=' : t[0];
        t++;
        len--;
    }
    jlp_code c;
    jlp_val *dt = NULL;
    bool found;
    char buf[80];
    bool is_dt = (len >= 2 && t[1] == '8' && (t[0] == 'M' || t[0] == 'm'));
    size_t pre = is_dt ? 2 : (len >= 10 && !memcmp(t, "datetime64", 10)) ? 10 : (len >= 11 && !memcmp(t, "timedelta64", 11)) ? 11 : 0;
    if (pre) {
        /* M8, m8, datetime64, timedelta64, then nothing or "[unit]" */
        if (len - pre + 3 > sizeof buf || (len > pre && t[pre] != '['))
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "invalid datetime dtype '%.*s'", (int)(n > 40 ? 40 : n), s);
        buf[0] = (pre == 11 || (pre == 2 && t[0] == 'm')) ? 'm' : 'M';
        buf[1] = '8';
        memcpy(buf + 2, t + pre, len - pre);
        c = from_str(m, buf, len - pre + 2, true, &dt);
        if (c) return c;
    } else if (len == 1) {
        /* a one-character type code */
        c = alias(m, t, 1, &found, &dt);
        if (c) return c;
        if (!found) return not_understood(m, s, n);
    } else {
        /* kind + size as strtol reads the size ("i 4", "i+04"), else a name numpy's
         * sctypeDict holds, looked up as given (a byte order makes it unknown) */
        size_t i = 1;
        while (i < len && c_space(t[i])) i++;
        bool neg = false;
        if (i < len && (t[i] == '+' || t[i] == '-')) neg = t[i++] == '-';
        size_t d0 = i;
        int64_t v = 0;
        for (; i < len && digit(t[i]); i++) v = v > INT64_MAX / 20 ? INT64_MAX / 20 : v * 10 + (t[i] - '0');
        bool parsed = i > d0 && i == len;
        /* the long strtol gives, cut to numpy's C int */
        int32_t elsize = (int32_t)(uint32_t)(uint64_t)(neg ? -v : v);
        char kind = t[0] == 'a' ? 'S' : t[0];
        int32_t size = kind == 'U' ? (int32_t)((uint32_t)elsize << 2) : elsize;
        if (parsed && (kind == 'S' || kind == 'U' || kind == 'V')) {
            if (size < 0) return unmodelled(m, "a negative item size", out);
            size_t bl = kind_size_text(buf, kind, (uint32_t)(kind == 'U' ? size / 4 : size));
            c = jlp__dtype_from_str(m, buf, bl, &dt);
            if (c) return c;
        } else if (parsed && elsize != 0 && typestr_ok(kind, elsize)) {
            size_t bl = 2;
            if (kind == 'O') memcpy(buf, "|O", 3); /* O4 and O8 are the object dtype */
            else bl = kind_size_text(buf, kind, (uint32_t)elsize);
            c = jlp__dtype_from_str(m, buf, bl, &dt);
            if (c) return c;
        } else {
            c = alias(m, s, n, &found, out);
            if (c) return c;
            if (!found) return not_understood(m, s, n);
            return JLP_OK;
        }
    }
    jlp__dtype_info *d = jlp__dt(dt);
    if (endian != '=' && d->byteorder != '|' && d->byteorder != endian) {
        d->byteorder = endian;
        jlp__dtype_finish(d);
    }
    *out = dt;
    return JLP_OK;
}

/* numpy.dtype of a type object: numpy's scalar types and Python's, any other class an
 * object dtype (numpy's rule for classes it does not know). */
static jlp_code np_type(jlp__np *m, jlp_val *g, jlp_val **out) {
    size_t ml, nl;
    const char *mod = jlp_global_module(g, &ml), *name = jlp_global_name(g, &nl);
    static const struct { const char *name, *str; } py[] = {
        {"int", "=i8"}, {"float", "=f8"}, {"complex", "=c16"}, {"bool", "|b1"}, {"str", "=U0"},
        {"bytes", "|S0"}, {"object", "|O"}, {"unicode", "=U0"}, {"long", "=i8"}};
    bool found = false;
    if ((ml == 8 && !memcmp(mod, "builtins", 8)) || (ml == 11 && !memcmp(mod, "__builtin__", 11))) {
        for (size_t i = 0; i < sizeof py / sizeof py[0]; i++)
            if (strlen(py[i].name) == nl && !memcmp(py[i].name, name, nl))
                return jlp__dtype_from_str(m, py[i].str, strlen(py[i].str), out);
    } else if (ml == 5 && !memcmp(mod, "numpy", 5)) {
        if ((nl == 6 && !memcmp(name, "record", 6)) || (nl == 4 && !memcmp(name, "void", 4)))
            return jlp__dtype_from_str(m, "|V0", 3, out);
        if (nl > 1) {
            jlp_code c = alias(m, name, nl, &found, out);
            if (c || found) return c;
        }
        if (m->lenient) /* np.generic, np.number...: numpy gives a dtype (deprecated) */
            return unmodelled(m, "an abstract numpy type", out);
    }
    if (!m->lenient) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "numpy.dtype of %.*s.%.*s is not supported", (int)ml, mod, (int)nl, name);
    return jlp__dtype_from_str(m, "|O", 2, out);
}

static jlp_code np_arg(jlp__np *m, jlp_val *arg, bool align, int depth, jlp_val **out);

/* The value of the str key `k` in the dict d (the last one, as a dict literal keeps it),
 * or NULL. */
static jlp_val *dict_get(const jlp_val *d, const char *k) {
    size_t kl = strlen(k);
    jlp_val *v = NULL;
    for (size_t i = 0; i < d->u.seq.n; i++) {
        const jlp_val *key = d->u.seq.v[2 * i];
        if (key->type == JLP_STR && key->u.s.n == kl && !memcmp(key->u.s.p, k, kl)) v = d->u.seq.v[2 * i + 1];
    }
    return v;
}

/* PyArray_PyIntAsInt: 1 with *out, 0 when numpy refuses the value (bools, floats, strs,
 * containers, ints past a C int), -1 for what may have __index__ (an object, a numpy
 * scalar): not modelled. */
static int np_c_int(const jlp_val *v, int64_t *out) {
    switch (v->type) {
    case JLP_INT:
        if (v->u.i > INT32_MAX || v->u.i < INT32_MIN) return 0;
        *out = v->u.i;
        return 1;
    case JLP_BOOL: case JLP_BIGINT: case JLP_NONE: case JLP_FLOAT: case JLP_COMPLEX: case JLP_STR:
    case JLP_BYTES: case JLP_BYTEARRAY: case JLP_TUPLE: case JLP_LIST: case JLP_DICT: case JLP_SET:
    case JLP_FROZENSET:
        return 0;
    default:
        return -1;
    }
}

static bool seq_like(const jlp_val *v) { return v && (v->type == JLP_LIST || v->type == JLP_TUPLE); }

/* _convert_from_dict of numpy 1.24 once its lists are known: fields names[i] of
 * formats[i] (numpy.dtype of each, with `align`) at offsets[i] (or one after another,
 * each at its alignment when `align`), titles[i] a second key when a str; the item size
 * `itemsize` when given. Checked as numpy checks: names str and unused as a name or
 * title, offsets C ints not negative (divisible by the field's alignment when `align`),
 * no object field sharing bytes with another when the fields are out of order, the item
 * size not below the fields' end (a multiple of the alignment when `align`). */
static jlp_code np_struct(jlp__np *m, size_t n, jlp_val *const *names, jlp_val *const *formats,
                          jlp_val *const *offsets, jlp_val *const *titles, const jlp_val *itemsize, bool align,
                          bool descr, int depth, jlp_val **out) {
    jlp_val *v = new_struct(m, n);
    if (!v) return jlp__np_nomem(m);
    jlp__dtype_info *d = jlp__dt(v);
    int64_t total = 0;
    uint32_t maxalign = 0;
    bool out_of_order = false;
    for (size_t i = 0; i < n; i++) {
        jlp_val *title = titles ? titles[i] : NULL, *fd;
        if (title && title->type == JLP_NONE) title = NULL;
        jlp_code c = descr ? descr_format(m, formats[i], &fd) : np_arg(m, formats[i], align, depth + 1, &fd);
        if (c) return c;
        jlp__dtype_info *f = jlp__dt(fd);
        uint32_t fa = jlp__dtype_align(f);
        if (align && fa > maxalign) maxalign = fa;
        int64_t off;
        if (offsets) {
            int k = np_c_int(offsets[i], &off);
            if (k < 0) return unmodelled(m, "a dtype dict offset that is no int", out);
            if (k == 0) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict offset is not an int");
            if (off < 0) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict offset %lld cannot be negative", (long long)off);
            if (off < total) out_of_order = true;
            if (align && fa && off % fa)
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict offset %lld is not divisible by the field "
                                    "alignment %u with align=True", (long long)off, fa);
            if (off + (int64_t)f->itemsize > total) total = off + (int64_t)f->itemsize;
        } else {
            if (align && fa > 1) total = (total + fa - 1) / fa * fa;
            off = total;
            total += (int64_t)f->itemsize;
        }
        if (total > INT32_MAX) return unmodelled(m, "a dtype dict past a C int of bytes", out);
        jlp_val *name = names[i];
        if (name->type != JLP_STR) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict field names must be strings");
        if (title && title->type != JLP_STR) {
            /* numpy keeps it in the field's tuple as metadata, no key: the layout is the
             * same without it (the loader refuses what it cannot keep) */
            if (!m->lenient) return unmodelled(m, "a dtype field title that is no str", out);
            title = NULL;
        }
        for (size_t j = 0; j < i; j++) {
            const jlp__field *g = &d->fields[j];
            if (same_str(name, g->name_val) || same_str(name, g->title))
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict name '%.*s' already used as a name or title",
                                    (int)name->u.s.n, name->u.s.p);
        }
        if (same_str(title, name)) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict title is its field's name");
        for (size_t j = 0; title && j < i; j++) {
            const jlp__field *g = &d->fields[j];
            if (same_str(title, g->name_val) || same_str(title, g->title))
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict title already used as a name or title");
        }
        add_field(d, name, title, fd, (uint64_t)off);
        if (f->stand_in && !d->stand_in) d->stand_in = f->stand_in;
        if (f->depth >= d->depth) d->depth = (uint8_t)(f->depth + 1);
    }
    if (maxalign > 1) total = (total + maxalign - 1) / maxalign * maxalign;
    if (total > INT32_MAX) return unmodelled(m, "a dtype dict past a C int of bytes", out);
    d->alignment = align && maxalign ? maxalign : 1;
    /* _validate_object_field_overlap, zero-sized fields included */
    size_t nobj = 0;
    for (size_t i = 0; i < d->nfields; i++) nobj += jlp__dt(d->fields[i].dtype)->hasobject;
    if (out_of_order && nobj > DICT_OBJECT_FIELDS_MAX) return unmodelled(m, "a dtype dict of many object fields", out);
    for (size_t i = 0; out_of_order && nobj && i < d->nfields; i++) {
        const jlp__field *a = &d->fields[i];
        if (!jlp__dt(a->dtype)->hasobject) continue;
        uint64_t asz = jlp__dt(a->dtype)->itemsize;
        for (size_t j = 0; j < d->nfields; j++) {
            const jlp__field *b = &d->fields[j];
            if (j != i && a->offset < b->offset + jlp__dt(b->dtype)->itemsize && b->offset < a->offset + asz)
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict has overlapping object fields");
        }
    }
    d->itemsize = (uint64_t)total;
    if (itemsize) {
        int64_t is;
        int k = np_c_int(itemsize, &is);
        if (k < 0) return unmodelled(m, "a dtype dict itemsize that is no int", out);
        if (k == 0) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict itemsize is not an int");
        if (is < total)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict itemsize %lld is smaller than its fields' %lld bytes",
                                (long long)is, (long long)total);
        if (align && maxalign && is % maxalign)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict itemsize %lld is not a multiple of its alignment %u",
                                (long long)is, maxalign);
        d->itemsize = (uint64_t)is;
    }
    d->built = true;
    jlp__dtype_finish(d);
    *out = v;
    return JLP_OK;
}

/* Python's == of two simple values (str, bytes, int, bool, float, None): 1 or 0; -1 for
 * anything else (not modelled). */
static int simple_eq(const jlp_val *a, const jlp_val *b) {
    bool na = a->type == JLP_INT || a->type == JLP_BOOL, nb = b->type == JLP_INT || b->type == JLP_BOOL;
    bool sa = na || a->type == JLP_STR || a->type == JLP_BYTES || a->type == JLP_NONE;
    bool sb = nb || b->type == JLP_STR || b->type == JLP_BYTES || b->type == JLP_NONE;
    if (!sa || !sb) return -1;
    if (na && nb) return a->u.i == b->u.i;
    if (a->type != b->type) return 0;
    if (a->type == JLP_NONE) return 1;
    return a->u.s.n == b->u.s.n && !memcmp(a->u.s.p, b->u.s.p, a->u.s.n);
}

/* numpy.core._internal._usefields of a dict without 'names' and 'formats': {name:
 * (format, offset[, title])}, an entry whose title is its own name skipped, the fields
 * sorted by offset (stably), then read as the dict form. */
static jlp_code np_field_dict(jlp__np *m, jlp_val *dict, bool align, int depth, jlp_val **out) {
    size_t n = dict->u.seq.n;
    jlp_val **keys = jlp__doc_alloc(m->doc, 4 * (n ? n : 1) * sizeof *keys);
    int64_t *nums = jlp__doc_alloc(m->doc, (n ? n : 1) * sizeof *nums);
    if (!keys || !nums) return jlp__np_nomem(m);
    jlp_val **vals = keys + n, **fmts = keys + 2 * n, **titles = keys + 3 * n;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        jlp_val *key = dict->u.seq.v[2 * i], *val = dict->u.seq.v[2 * i + 1];
        if ((key->type == JLP_INT && key->u.i == -1) || (key->type == JLP_FLOAT && key->u.f == -1.0))
            return unmodelled(m, "a dtype field dict with a names entry", out);
        if (key->type != JLP_STR && key->type != JLP_INT && key->type != JLP_BOOL && key->type != JLP_BYTES &&
            key->type != JLP_NONE)
            return unmodelled(m, "a dtype field dict with an unusual key", out);
        size_t j = 0; /* a repeated key keeps its place and takes the last value */
        while (j < k && simple_eq(keys[j], key) != 1) j++;
        keys[j] = key;
        vals[j] = val;
        if (j == k) k++;
    }
    size_t nf = 0;
    for (size_t i = 0; i < k; i++) {
        jlp_val *key = keys[i], *t = vals[i];
        if (t->type != JLP_TUPLE || t->u.seq.n < 2 || t->u.seq.n > 3) {
            if (t->type == JLP_OBJECT || t->type == JLP_NDARRAY || t->type == JLP_SCALAR || t->type == JLP_GLOBAL)
                return unmodelled(m, "a dtype field dict entry that is no tuple", out);
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field dict entry not a 2- or 3- tuple");
        }
        if (t->u.seq.n == 3) {
            int eq = simple_eq(t->u.seq.v[2], key);
            if (eq < 0) return unmodelled(m, "a dtype field dict title of another kind", out);
            if (eq) continue;
        }
        jlp_val *o = t->u.seq.v[1];
        int64_t num;
        if (o->type == JLP_INT || o->type == JLP_BOOL) num = o->u.i;
        else if (o->type == JLP_FLOAT && o->u.f > -9e18 && o->u.f < 9e18) num = (int64_t)o->u.f;
        else if (o->type == JLP_NONE || o->type == JLP_TUPLE || o->type == JLP_LIST || o->type == JLP_DICT)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field dict offset is not a number");
        else return unmodelled(m, "a dtype field dict offset int() may read", out);
        if (num < 0) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field dict offset is negative");
        jlp_val *fd;
        jlp_code c = np_arg(m, t->u.seq.v[0], align, depth + 1, &fd);
        if (c) return c;
        keys[nf] = key;
        fmts[nf] = fd;
        titles[nf] = t->u.seq.n == 3 ? t->u.seq.v[2] : NULL;
        nums[nf++] = num;
    }
    /* sorted by offset, stably (insertion sort: n is the dict's size) */
    for (size_t i = 1; i < nf; i++) {
        for (size_t j = i; j > 0 && nums[j - 1] > nums[j]; j--) {
            int64_t tn = nums[j]; nums[j] = nums[j - 1]; nums[j - 1] = tn;
            jlp_val *t;
            t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t;
            t = fmts[j]; fmts[j] = fmts[j - 1]; fmts[j - 1] = t;
            t = titles[j]; titles[j] = titles[j - 1]; titles[j - 1] = t;
        }
    }
    jlp_val **offs = vals;
    for (size_t i = 0; i < nf; i++) {
        if (nums[i] > INT32_MAX) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field dict offset past a C int");
        if (!(offs[i] = jlp__new_int(m->doc, nums[i]))) return jlp__np_nomem(m);
    }
    return np_struct(m, nf, keys, fmts, offs, titles, NULL, align, false, depth, out);
}

/* _convert_from_dict: {'names': [...], 'formats': [...], 'offsets': [...], 'titles':
 * [...], 'itemsize': N, 'aligned': bool} (other keys ignored), the lists as long as
 * 'names' at least; without 'names' or 'formats', the field dict form. */
static jlp_code np_dict(jlp__np *m, jlp_val *dict, bool align, int depth, jlp_val **out) {
    jlp_val *names = dict_get(dict, "names"), *formats = dict_get(dict, "formats");
    if (!names || !formats) return np_field_dict(m, dict, align, depth, out);
    jlp_val *offsets = dict_get(dict, "offsets"), *titles = dict_get(dict, "titles");
    jlp_val *aligned = dict_get(dict, "aligned"), *itemsize = dict_get(dict, "itemsize");
    if (!seq_like(names) || !seq_like(formats) || (offsets && !seq_like(offsets)) || (titles && !seq_like(titles)))
        return unmodelled(m, "a dtype dict whose entries are not lists", out);
    size_t n = names->u.seq.n;
    if (n > formats->u.seq.n || (offsets && n > offsets->u.seq.n) || (titles && n > titles->u.seq.n))
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict entries 'names', 'formats', 'offsets' and 'titles' "
                            "must have the same length");
    if (aligned && aligned->type != JLP_BOOL)
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype dict 'aligned' is neither True nor False");
    if (aligned && aligned->u.i) align = true;
    return np_struct(m, n, names->u.seq.v, formats->u.seq.v, offsets ? offsets->u.seq.v : NULL,
                     titles ? titles->u.seq.v : NULL, itemsize, align, false, depth, out);
}

/* _convert_from_array_descr: [(name, format[, shape]), ...], name a str or (title,
 * name); an empty name is f<i> (or the title); laid out one after another, each at its
 * alignment when `align`. */
static jlp_code np_list(jlp__np *m, jlp_val *list, bool align, int depth, jlp_val **out) {
    size_t n = list->u.seq.n;
    jlp_val **names = jlp__doc_alloc(m->doc, 3 * (n ? n : 1) * sizeof *names);
    if (!names) return jlp__np_nomem(m);
    jlp_val **formats = names + n, **titles = names + 2 * n;
    for (size_t i = 0; i < n; i++) {
        jlp_val *item = list->u.seq.v[i];
        if (item->type != JLP_TUPLE || item->u.seq.n < 2 || item->u.seq.n > 3)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field elements must be 2- or 3-tuples");
        jlp_val *name = item->u.seq.v[0], *title = NULL;
        if (name->type == JLP_TUPLE) {
            if (name->u.seq.n != 2) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field (title, name) is no pair");
            title = name->u.seq.v[0];
            name = name->u.seq.v[1];
        }
        if (name->type != JLP_STR) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field name is not a str");
        if (name->u.s.n == 0) {
            if (!title) {
                char buf[24];
                int l = snprintf(buf, sizeof buf, "f%zu", i);
                if (!(name = jlp__new_bytes_copy(m->doc, JLP_STR, buf, (size_t)l))) return jlp__np_nomem(m);
            } else if (title->type == JLP_STR && title->u.s.n) {
                name = title;
            } else {
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field titles must be non-empty strings");
            }
        }
        names[i] = name;
        titles[i] = title;
        formats[i] = item->u.seq.n == 2 ? item->u.seq.v[1] : jlp__new_seq(m->doc, JLP_TUPLE, item->u.seq.v + 1, 2);
        if (!formats[i]) return jlp__np_nomem(m);
    }
    return np_struct(m, n, names, formats, NULL, titles, NULL, align, false, depth, out);
}

static jlp_code np_arg(jlp__np *m, jlp_val *arg, bool align, int depth, jlp_val **out) {
    if (depth > NP_ARG_DEPTH) return unmodelled(m, "a deeply nested description", out);
    switch (arg->type) {
    case JLP_STR: case JLP_BYTES:
        return np_text(m, arg->u.s.p, arg->u.s.n, align, depth, out);
    case JLP_GLOBAL:
        return np_type(m, arg, out);
    case JLP_NONE:
        return jlp__dtype_from_str(m, "=f8", 3, out);
    case JLP_DTYPE:
        jlp__dt_use(jlp__dt(arg)); /* numpy keeps the object itself in what it makes */
        *out = jlp__dtype_copy(m->doc, arg);
        if (!*out) return jlp__np_nomem(m);
        jlp__dt(*out)->built = true;
        return JLP_OK;
    case JLP_LIST:
        return np_list(m, arg, align, depth, out);
    case JLP_TUPLE: {
        np_rep r = {0};
        jlp_val *rep = arg->u.seq.n == 2 ? arg->u.seq.v[1] : NULL;
        bool ok = rep != NULL;
        if (ok && (rep->type == JLP_INT || rep->type == JLP_BOOL)) {
            r.is_int = true;
            r.ndim = 1;
            r.dims[0] = rep->u.i;
            ok = rep->u.i >= 0;
        } else if (ok && (rep->type == JLP_TUPLE || rep->type == JLP_LIST) && rep->u.seq.n <= NP_MAXDIMS) {
            r.ndim = rep->u.seq.n;
            for (size_t i = 0; i < r.ndim && ok; i++) {
                const jlp_val *x = rep->u.seq.v[i];
                ok = (x->type == JLP_INT || x->type == JLP_BOOL) && x->u.i >= 0;
                if (ok) r.dims[i] = x->u.i;
            }
        } else {
            ok = false;
        }
        if (!ok) return unmodelled(m, "a tuple the reader does not model", out);
        jlp_val *base;
        jlp_code c = np_arg(m, arg->u.seq.v[0], align, depth + 1, &base);
        return c ? c : np_tuple(m, base, &r, out);
    }
    case JLP_DICT:
        return np_dict(m, arg, align, depth, out);
    default:
        return unmodelled(m, "a value the reader does not model", out);
    }
}

jlp_code jlp__dtype_arg(jlp__np *m, jlp_val *arg, bool align, jlp_val **out) {
    return np_arg(m, arg, align, 0, out);
}
