/*
 * dtype.c - numpy dtypes from their pickled form: REDUCE(numpy.dtype, (descr, align,
 * copy)) then BUILD(state). `descr` is kind + size ("f8", "U3" counts characters, "M8"
 * has no unit); the state tuple carries byte order, subarray, field names and fields,
 * item size and alignment for flexible types, flags, and metadata (datetime units).
 * State layouts by length: 9 (v3/v4 + metadata), 8 (+ flags), 7, 6 (no names), 5 (v0).
 */
#include "numpy.h"

#include <stdio.h>
#include <stdlib.h>

/* Structured dtypes nest fields and subarrays; numpy itself has no limit, but every
 * traversal of a dtype (export, byte swapping) recurses on this depth, so it is bounded. */
#define DTYPE_MAX_DEPTH 32

static bool host_little(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* Kinds whose items have no byte order. */
static bool orderless(char kind, uint64_t itemsize) {
    return kind == 'S' || kind == 'V' || kind == 'O' || kind == 'b' || itemsize == 1;
}

jlp_code jlp__dtype_reduce(jlp__np *m, jlp_val *args, jlp_val **out) {
    /* numpy.dtype(obj, align=False, copy=False, metadata={}): align and copy may be
     * anything (only their truth is taken: align lays out the fields of a structured
     * dtype), metadata must be a dict and is no part of the value; more arguments are
     * a TypeError in numpy */
    size_t nargs = args->u.seq.n;
    if (nargs > 4) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "numpy.dtype takes at most 4 arguments (%zu given)", nargs);
    if (nargs == 4 && args->u.seq.v[3]->type != JLP_DICT)
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "numpy.dtype's metadata is %s, not a dict",
                            jlp__a_type(args->u.seq.v[3]));
    if (!nargs) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "numpy.dtype needs an argument");
    jlp_code c = jlp__dtype_arg(m, args->u.seq.v[0], nargs > 1 && jlp__truthy(args->u.seq.v[1]), out);
    if (c) return c;
    /* a dtype awaiting its BUILD state, which numpy's own pickles give */
    jlp__dt(*out)->built = false;
    return JLP_OK;
}

jlp_code jlp__dtype_simple(jlp__np *m, const char *s, size_t n, jlp_val **out) {
    char order = '=';
    if (n && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
        order = s[0];
        s++;
        n--;
    }
    if (n < 1 || !strchr("biufcSUVMmO", s[0]) || n > 12)
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "unsupported dtype '%.*s'", (int)(n > 20 ? 20 : n), s);
    char kind = s[0];
    uint64_t size = 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "unsupported dtype '%.*s'", (int)n, s);
        size = size * 10 + (uint64_t)(s[i] - '0');
    }
    if (kind == 'U') {
        if (size > UINT64_MAX / 4) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype too large");
        size *= 4;
    }
    if (n == 1) { /* a bare letter is numpy's one-character type code, not a kind */
        switch (kind) {
        case 'b': kind = 'i'; size = 1; break;  /* signed char */
        case 'i': case 'f': size = 4; break;    /* int, float */
        case 'c': kind = 'S'; size = 1; break;  /* char */
        case 'u': return jlp__np_fail(m, JLP_E_BAD_DTYPE, "data type 'u' not understood (numpy has no such code)");
        case 'S': case 'U': case 'V': size = 0; break;
        default: size = 8; break;               /* M, m (generic units), O */
        }
    }
    bool fixed = !(kind == 'S' || kind == 'U' || kind == 'V');
    if (fixed) {
        bool ok = (kind == 'b' && size == 1) || ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8))
                  || (kind == 'f' && (size == 2 || size == 4 || size == 8 || size == 16 || size == 12))
                  || (kind == 'c' && (size == 8 || size == 16 || size == 32 || size == 24))
                  || ((kind == 'M' || kind == 'm') && size == 8) || (kind == 'O' && (size == 8 || size == 4));
        if (!ok) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "unsupported dtype '%.*s'", (int)n, s);
    }
    jlp_val *v = jlp__new_val(m->doc, JLP_DTYPE);
    jlp__dtype_info *d = jlp__doc_alloc(m->doc, sizeof *d);
    if (!v || !d) return jlp__np_nomem(m);
    memset(d, 0, sizeof *d);
    d->doc = m->doc;
    d->kind = kind;
    d->itemsize = size;
    if (order == '=') order = host_little() ? '<' : '>';
    d->byteorder = orderless(kind, size) ? '|' : order;
    d->alignment = 1;
    d->hasobject = kind == 'O';
    v->u.ext = d;
    jlp__dtype_finish(d);
    *out = v;
    return JLP_OK;
}

static bool int_of(const jlp_val *v, int64_t *out) {
    if (!v || (v->type != JLP_INT && v->type != JLP_BOOL)) return false;
    *out = v->u.i;
    return true;
}

jlp_code jlp__shape_from_tuple(jlp__np *m, jlp_val *t, uint64_t **shape, uint32_t *ndim) {
    if (t->type == JLP_INT) { /* numpy accepts a bare int for a 1-d shape */
        if (t->u.i < 0) return jlp__np_fail(m, JLP_E_BAD_ARRAY, "negative dimensions are not allowed");
        *shape = jlp__doc_alloc(m->doc, sizeof **shape);
        if (!*shape) return jlp__np_nomem(m);
        (*shape)[0] = (uint64_t)t->u.i;
        *ndim = 1;
        return JLP_OK;
    }
    if (t->type != JLP_TUPLE && t->type != JLP_LIST)
        return jlp__np_fail(m, JLP_E_BAD_ARRAY, "shape is %s, not a tuple", jlp__a_type(t));
    size_t n = t->u.seq.n;
    if (n > 64) return jlp__np_fail(m, JLP_E_BAD_ARRAY, "%zu dimensions (numpy allows 64)", n);
    uint64_t *s = jlp__doc_alloc(m->doc, (n ? n : 1) * sizeof *s);
    if (!s) return jlp__np_nomem(m);
    for (size_t i = 0; i < n; i++) {
        const jlp_val *x = t->u.seq.v[i];
        if (x->type == JLP_BIGINT)
            return jlp__np_fail(m, JLP_E_BAD_ARRAY, "dimension %zu does not fit in 64 bits", i);
        int64_t d;
        /* numpy takes no bool for a dimension ("an integer is required") */
        if (x->type == JLP_BOOL || !int_of(x, &d))
            return jlp__np_fail(m, JLP_E_BAD_ARRAY, "dimension %zu is not an int", i);
        if (d < 0) return jlp__np_fail(m, JLP_E_BAD_ARRAY, "negative dimensions are not allowed");
        s[i] = (uint64_t)d;
    }
    *shape = s;
    *ndim = (uint32_t)n;
    return JLP_OK;
}

static jlp_code set_fields(jlp__np *m, jlp__dtype_info *d, jlp_val *names, jlp_val *fields) {
    if (fields->type != JLP_DICT) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype fields is not a dict");
    size_t nf = names ? names->u.seq.n : fields->u.seq.n;
    d->fields = jlp__doc_alloc(m->doc, (nf ? nf : 1) * sizeof *d->fields);
    if (!d->fields) return jlp__np_nomem(m);
    size_t k = 0;
    for (size_t i = 0; i < (names ? names->u.seq.n : fields->u.seq.n); i++) {
        jlp_val *name = names ? names->u.seq.v[i] : fields->u.seq.v[2 * i];
        if (name->type != JLP_STR) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field name is not a str");
        jlp_val *entry = NULL;
        for (size_t j = 0; j < fields->u.seq.n && !entry; j++) {
            jlp_val *key = fields->u.seq.v[2 * j];
            if (key->type == JLP_STR && key->u.s.n == name->u.s.n && !memcmp(key->u.s.p, name->u.s.p, name->u.s.n))
                entry = fields->u.seq.v[2 * j + 1];
        }
        if (!entry || entry->type != JLP_TUPLE || entry->u.seq.n < 2 || entry->u.seq.n > 3 ||
            entry->u.seq.v[0]->type != JLP_DTYPE || !jlp__dt(entry->u.seq.v[0])->built)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field '%.*s' is malformed", (int)name->u.s.n, name->u.s.p);
        jlp_val *title = entry->u.seq.n == 3 ? entry->u.seq.v[2] : NULL;
        /* Without names (state versions 0/1) title aliases appear as keys too: skip them. */
        if (!names && title && title->type == JLP_STR && title->u.s.n == name->u.s.n &&
            !memcmp(title->u.s.p, name->u.s.p, name->u.s.n))
            continue;
        int64_t off;
        if (!int_of(entry->u.seq.v[1], &off) || (off < 0 && !m->lenient))
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field offset is not a non-negative int");
        if (off < 0) {
            /* numpy's __setstate__ takes it and reads and writes before the item; a scan
             * reading judges the dtype and goes on with the field at the item's start */
            if (!d->forged) {
                d->forged = "a field lies before the item";
                d->forged_memory = true;
            }
            off = 0;
        }
        jlp__field *f = &d->fields[k++];
        f->name = name->u.s.p;
        f->name_len = name->u.s.n;
        f->name_val = name;
        f->dtype = entry->u.seq.v[0];
        f->offset = (uint64_t)off;
        f->title = title && title->type != JLP_NONE ? title : NULL;
        if (jlp__dt(f->dtype)->hasobject) d->hasobject = true;
        uint64_t end;
        if (!jlp__add_u64(f->offset, jlp__dt(f->dtype)->itemsize, &end) || end > d->itemsize) {
            /* numpy's __setstate__ takes it (and reads past the item); a scan reading
             * goes on and judges the dtype */
            if (!m->lenient)
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype field '%.*s' extends past the item", (int)name->u.s.n,
                                    name->u.s.p);
            d->forged = "a field lies past the item size";
            d->forged_memory = true;
        }
    }
    d->nfields = k;
    if (!names) { /* order by offset, as numpy does for old states */
        for (size_t i = 1; i < k; i++)
            for (size_t j = i; j > 0 && d->fields[j - 1].offset > d->fields[j].offset; j--) {
                jlp__field t = d->fields[j];
                d->fields[j] = d->fields[j - 1];
                d->fields[j - 1] = t;
            }
    }
    return JLP_OK;
}

bool jlp__datetime_unit_known(const char *u, size_t n) {
    static const char *const units[] = {"Y", "M", "W", "D", "h", "m", "s", "ms", "us",
                                        "ns", "ps", "fs", "as", "generic"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i]) == n && !memcmp(units[i], u, n)) return true;
    return false;
}

/* Fields past this many are not compared with each other for overlaps. */
#define FORGED_CHECK_FIELDS 1024

/* The flags numpy must have for items that hold object pointers: NPY_ITEM_REFCOUNT
 * (0x01: references are counted), NPY_LIST_PICKLE (0x02: ndarray.__setstate__ takes a
 * list, not raw bytes), NPY_NEEDS_INIT (0x08: new memory is zeroed before items are
 * stored, each store dropping the reference it replaces) and NPY_NEEDS_PYAPI (0x10).
 * numpy writes 63 for 'O' and 27 for a structured dtype with an object field. */
#define OBJECT_FLAGS 0x1b

/* Does a state numpy takes describe items numpy would misread? Its flags say whether
 * items hold object pointers, and numpy trusts them (for a state of version 3 or more;
 * without a flags item they are 0; before version 3 numpy derives them from the fields):
 * an object dtype without NPY_LIST_PICKLE takes raw bytes as pointers, one without
 * NPY_NEEDS_INIT drops references to whatever the new memory held, one without
 * NPY_ITEM_REFCOUNT frees objects still in use; an object field that shares bytes with
 * another makes numpy read raw bytes as pointers or reference-count raw bytes. */
static void forged_state(jlp__dtype_info *d, int64_t version, bool has_flags, int64_t fl) {
    if (d->forged) return;
    if (version >= 3) {
        int64_t eff = has_flags ? fl : 0;
        if (d->hasobject && (eff & OBJECT_FLAGS) != OBJECT_FLAGS) {
            d->forged = (eff & 1) ? "its flags deny what numpy needs for items that hold objects (list "
                                    "pickling, zeroed memory)"
                                  : "its flags say its items hold no object, but they do";
            d->forged_memory = true;
            return;
        }
        if (!d->hasobject && (eff & 1)) {
            d->forged = "its flags say its items hold objects, but they do not";
            return;
        }
    }
    if (!d->hasobject) return;
    if (d->nfields > FORGED_CHECK_FIELDS) {
        d->forged = "too many fields with objects to check for overlaps";
        return;
    }
    for (size_t i = 0; i < d->nfields; i++) {
        const jlp__field *a = &d->fields[i];
        if (!jlp__dt(a->dtype)->hasobject) continue;
        uint64_t a_end = a->offset + jlp__dt(a->dtype)->itemsize;
        for (size_t j = 0; j < d->nfields; j++) {
            const jlp__field *b = &d->fields[j];
            if (i == j) continue;
            uint64_t b_end = b->offset + jlp__dt(b->dtype)->itemsize;
            if (a->offset < b_end && b->offset < a_end && jlp__dt(b->dtype)->itemsize && jlp__dt(a->dtype)->itemsize) {
                d->forged = "an object field shares bytes with another field";
                d->forged_memory = true;
                return;
            }
        }
    }
}

jlp_code jlp__dtype_build(jlp__np *m, jlp_val *dt, jlp_val *state) {
    jlp__dtype_info *d = jlp__dt(dt);
    /* One BUILD per dtype, and fields only of dtypes already built: together these make
     * a cycle of dtypes impossible. */
    if (d->used_unbuilt && !d->built) {
        /* items were made of it before this state: numpy reads them by it (an object field
         * over bytes given as raw data). The loader refuses it; a scan reading judges it
         * and goes on without it, as its items were made. */
        if (!m->lenient) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "BUILD on a dtype that items were made of");
        d->forged = "a state given to a dtype after items were made of it (numpy reads them by the new state)";
        d->forged_memory = true;
        return JLP_OK;
    }
    if (d->built) {
        /* numpy's __setstate__ takes a second state too, and the arrays made of the
         * dtype since read their bytes by it: a scan reading judges it and goes on with
         * the first state */
        if (!m->lenient) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "BUILD on a dtype that is already built");
        d->forged = "a second state for a dtype already built (numpy changes the items of every array "
                    "made of it)";
        d->forged_memory = true;
        return JLP_OK;
    }
    if (state->type != JLP_TUPLE) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype state is not a tuple");
    jlp_val *const *s = state->u.seq.v;
    size_t n = state->u.seq.n;
    jlp_val *endian, *subarray, *names = NULL, *fields, *elsize, *align, *flags = NULL, *meta = NULL;
    int64_t version = 0;
    switch (n) {
    case 9: meta = s[8]; /* fall through */
    case 8: flags = s[7]; /* fall through */
    case 7:
        if (!int_of(s[0], &version)) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype state version is not an int");
        endian = s[1]; subarray = s[2]; names = s[3]; fields = s[4]; elsize = s[5]; align = s[6];
        break;
    case 6:
        if (!int_of(s[0], &version)) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype state version is not an int");
        endian = s[1]; subarray = s[2]; fields = s[3]; elsize = s[4]; align = s[5];
        break;
    case 5:
        endian = s[0]; subarray = s[1]; fields = s[2]; elsize = s[3]; align = s[4];
        break;
    default:
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype state has %zu items", n);
    }
    if (version < 0 || version > 4) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype state version %lld", (long long)version);
    /* numpy's __setstate__ takes one ASCII character (a str) or one byte (bytes): '<', '>'
     * and '|' are kept and any other ('=', NUL, 'x') is the host's order (D-3) */
    if (!((endian->type == JLP_STR && endian->u.s.n == 1 && (unsigned char)endian->u.s.p[0] < 0x80) ||
          (endian->type == JLP_BYTES && endian->u.s.n == 1)))
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype byte order is not one ASCII character");
    int64_t es = -1, al = -1, fl = 0;
    if (!int_of(elsize, &es) || !int_of(align, &al) || (flags && !int_of(flags, &fl)))
        return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype state sizes are not ints");
    char bo = endian->u.s.p[0];
    if (bo != '<' && bo != '>' && bo != '|') bo = host_little() ? '<' : '>';
    bool flexible = d->kind == 'S' || d->kind == 'U' || d->kind == 'V';
    if (flexible && es >= 0) {
        /* the state's size wins over the descr's digits, as in numpy; a U size that is
         * no whole number of characters is refused (numpy makes a dtype of it that no
         * text fits) */
        if (d->kind == 'U' && es % 4)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "U item size %lld is not a multiple of 4", (long long)es);
        d->itemsize = (uint64_t)es;
    }
    if (al > 0 && al <= 4096) d->alignment = (uint32_t)al;
    d->flags = (int32_t)fl;
    if (names && names->type == JLP_NONE) names = NULL;
    if (names && names->type != JLP_TUPLE) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype names is not a tuple");
    if (fields->type != JLP_NONE) {
        if (m->lenient && d->stand_in && d->kind == 'O') {
            /* a scan reading's stand-in for an argument it does not model: the state's
             * fields say what its items hold */
            d->kind = 'V';
            d->hasobject = false;
        }
        if (d->kind != 'V') {
            /* numpy's __setstate__ takes them and reads the item's bytes as the fields
             * (an object field of a float64 is a pointer from raw bytes): a scan reading
             * judges the dtype and goes on without them */
            if (!m->lenient) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "fields on a non-void dtype");
            if (!d->forged) {
                d->forged = "fields on a dtype that is not void";
                d->forged_memory = true;
            }
        } else {
            jlp_code c = set_fields(m, d, names, fields);
            if (c) return c;
            d->structured = true;
        }
    }
    if (subarray->type != JLP_NONE) {
        if (subarray->type != JLP_TUPLE || subarray->u.seq.n != 2 || subarray->u.seq.v[0]->type != JLP_DTYPE ||
            !jlp__dt(subarray->u.seq.v[0])->built)
            return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype subarray is not (dtype, shape)");
        uint32_t nd;
        jlp_code c = jlp__shape_from_tuple(m, subarray->u.seq.v[1], &d->sub_shape, &nd);
        if (c) return c;
        uint64_t cnt, nb;
        if (!jlp__array_size(jlp__dt(subarray->u.seq.v[0]), d->sub_shape, nd, &cnt, &nb) || nb != d->itemsize) {
            /* numpy's __setstate__ takes it: a subarray larger than the item reads and
             * writes past it (a crash with objects). A scan reading judges the dtype and
             * goes on with the item as raw bytes. */
            if (!m->lenient) return jlp__np_fail(m, JLP_E_BAD_DTYPE, "dtype subarray size differs from its item size");
            bool past = !jlp__array_size(jlp__dt(subarray->u.seq.v[0]), d->sub_shape, nd, &cnt, &nb) || nb > d->itemsize;
            if (!d->forged) {
                d->forged = past ? "its subarray lies past the item size" : "its subarray does not fill the item size";
                d->forged_memory = past;
            }
            d->sub_shape = NULL;
        } else {
            d->sub_ndim = nd;
            d->sub_base = subarray->u.seq.v[0];
            if (jlp__dt(d->sub_base)->hasobject) d->hasobject = true;
        }
    }
    if (m->lenient) forged_state(d, version, flags != NULL, fl);
    unsigned depth = 0;
    for (size_t i = 0; i < d->nfields; i++)
        if (jlp__dt(d->fields[i].dtype)->depth > depth) depth = jlp__dt(d->fields[i].dtype)->depth;
    if (d->sub_base && jlp__dt(d->sub_base)->depth > depth) depth = jlp__dt(d->sub_base)->depth;
    if (depth + 1 > DTYPE_MAX_DEPTH)
        return jlp__np_fail(m, JLP_E_LIMIT, "dtype nests deeper than %d levels", DTYPE_MAX_DEPTH);
    d->depth = (uint8_t)(depth + 1);
    d->byteorder = (orderless(d->kind, d->itemsize) || d->structured || d->sub_base) ? '|' : bo;
    if (meta && meta->type != JLP_NONE) {
        /* datetimes: (metadata, (unit, num[, den[, events]])), as numpy's __setstate__
         * requires it (FORMAT.md D-7); others: any metadata, kept */
        jlp_val *unit = NULL;
        if (d->kind == 'M' || d->kind == 'm') {
            if (meta->type != JLP_TUPLE || meta->u.seq.n != 2 || meta->u.seq.v[1]->type != JLP_TUPLE ||
                meta->u.seq.v[1]->u.seq.n < 2 || meta->u.seq.v[1]->u.seq.n > 4)
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "datetime metadata is not (metadata, (unit, num[, den[, events]]))");
            unit = meta->u.seq.v[1];
            d->metadata = meta->u.seq.v[0];
        } else {
            d->metadata = meta;
        }
        if (unit) {
            jlp_val *u = unit->u.seq.v[0];
            int64_t num, den = 1;
            if ((u->type != JLP_BYTES && u->type != JLP_STR) || u->u.s.n >= sizeof d->unit ||
                !int_of(unit->u.seq.v[1], &num) || num < 1 || num > INT32_MAX ||
                (unit->u.seq.n == 4 && !int_of(unit->u.seq.v[2], &den)) || den != 1)
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "malformed datetime unit");
            if (!jlp__datetime_unit_known(u->u.s.p, u->u.s.n))
                return jlp__np_fail(m, JLP_E_BAD_DTYPE, "unknown datetime unit");
            if (!(u->u.s.n == 7 && !memcmp(u->u.s.p, "generic", 7))) {
                memcpy(d->unit, u->u.s.p, u->u.s.n);
                d->unit[u->u.s.n] = 0;
                d->unit_num = num;
            }
        }
    }
    d->built = true;
    jlp__dtype_finish(d);
    return JLP_OK;
}

/* Write byte order, kind and a decimal size, as "%c%c%llu" would: this runs for every
 * dtype a load builds (hundreds per model), where snprintf was a tenth of the time. */
static void put_simple(char *o, size_t cap, char order, char kind, uint64_t size) {
    char digits[20];
    size_t k = 0;
    do digits[k++] = (char)('0' + size % 10); while ((size /= 10) && k < sizeof digits);
    if (cap < 3 + k) { snprintf(o, cap, "?"); return; }
    *o++ = order;
    *o++ = kind;
    while (k) *o++ = digits[--k];
    *o = 0;
}

void jlp__dtype_finish(jlp__dtype_info *d) {
    char *o = d->str;
    size_t cap = sizeof d->str;
    uint64_t size = d->kind == 'U' ? d->itemsize / 4 : d->itemsize;
    if (d->kind == 'O') {
        snprintf(o, cap, "|O");
    } else if (d->kind == 'M' || d->kind == 'm') {
        if (!d->unit[0]) snprintf(o, cap, "%c%c8", d->byteorder, d->kind);
        else if (d->unit_num == 1) snprintf(o, cap, "%c%c8[%s]", d->byteorder, d->kind, d->unit);
        else snprintf(o, cap, "%c%c8[%lld%s]", d->byteorder, d->kind, (long long)d->unit_num, d->unit);
    } else if (d->structured || d->sub_base) {
        snprintf(o, cap, "|V%llu", (unsigned long long)d->itemsize);
    } else {
        put_simple(o, cap, d->byteorder, d->kind, size);
    }
}

uint32_t jlp__dtype_align(const jlp__dtype_info *d) {
    uint32_t a;
    switch (d->kind) {
    case 'b': case 'i': case 'u': case 'f': case 'M': case 'm':
        a = d->itemsize >= 16 ? 16 : (uint32_t)d->itemsize;
        break;
    case 'c': a = d->itemsize >= 32 ? 16 : (uint32_t)(d->itemsize / 2); break;
    case 'U': a = 4; break;
    case 'O': a = 8; break;
    default: a = d->alignment; break;
    }
    /* Only a power of two makes "aligned" a property of the file rather than of where
     * a page-aligned buffer happens to lie: odd sizes ("i3", "c24") and odd pickled
     * alignments count by their largest power-of-two factor. */
    if (!a) a = 1;
    return a & (~a + 1u);
}

jlp_val *jlp__dtype_copy(jlp_doc *doc, const jlp_val *src) {
    const jlp__dtype_info *sd = jlp__dt(src);
    jlp_val *v = jlp__new_val(doc, JLP_DTYPE);
    jlp__dtype_info *d = v ? jlp__doc_alloc(doc, sizeof *d) : NULL;
    if (!d) return NULL;
    *d = *sd;
    d->doc = doc;
    d->metadata = NULL;
    v->flags = src->flags | doc->new_flags;
    v->u.ext = d;
    if (sd->sub_base) { /* nesting is bounded (DTYPE_MAX_DEPTH), so is this recursion */
        d->sub_base = jlp__dtype_copy(doc, sd->sub_base);
        d->sub_shape = jlp__doc_alloc(doc, (sd->sub_ndim ? sd->sub_ndim : 1) * sizeof *d->sub_shape);
        if (!d->sub_base || !d->sub_shape) return NULL;
        if (sd->sub_ndim) memcpy(d->sub_shape, sd->sub_shape, sd->sub_ndim * sizeof *d->sub_shape);
    }
    if (sd->fields) {
        d->fields = jlp__doc_alloc(doc, (sd->nfields ? sd->nfields : 1) * sizeof *d->fields);
        if (!d->fields) return NULL;
        for (size_t i = 0; i < sd->nfields; i++) {
            const jlp__field *f = &sd->fields[i];
            jlp__field *g = &d->fields[i];
            g->name_val = jlp__new_bytes_copy(doc, JLP_STR, f->name, f->name_len);
            g->dtype = jlp__dtype_copy(doc, f->dtype);
            if (!g->name_val || !g->dtype) return NULL;
            g->name = g->name_val->u.s.p;
            g->name_len = f->name_len;
            g->offset = f->offset;
            g->title = NULL;
            if (f->title && f->title->type == JLP_STR) {
                g->title = jlp__new_bytes_copy(doc, JLP_STR, f->title->u.s.p, f->title->u.s.n);
                if (!g->title) return NULL;
            }
        }
    }
    return v;
}

jlp_val *jlp__dtype_in(jlp_doc *doc, const jlp_val *dtype) {
    if (jlp__dt(dtype)->doc == doc) return (jlp_val *)(uintptr_t)dtype;
    return jlp__dtype_copy(doc, dtype);
}
