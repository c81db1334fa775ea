/*
 * torch.c - PyTorch checkpoints (the zip format torch.save writes since 1.6) loaded
 * without torch.
 *
 * `<prefix>/data.pkl` is an ordinary protocol-2 pickle, loaded inert like any other.
 * Where torch's unpickler calls persistent_load, the pickle holds a BINPERSID whose id
 * is ('storage', <storage type>, key, location, numel) and whose bytes are the member
 * `<prefix>/data/<key>`; tensors are REDUCE calls of torch._utils._rebuild_tensor_v2
 * (storage, storage_offset, size, stride, requires_grad, backward_hooks) and friends.
 * After the load, one iterative walk over the value graph finds both: each storage id
 * becomes a one-dimensional ndarray over the storage's bytes (one per key, shared), and
 * each tensor call becomes an ndarray view of its storage, so everything that referred
 * to the call (through the memo too) now refers to the array. Facts checked against
 * torch 1.13's serialization.py, _utils.py and _weights_only_unpickler.py.
 */
#include "archive.h"

#include "../numpy/numpy.h"

#include <stdlib.h>

/* ---- storage types -------------------------------------------------------------------- */

/* torch's find_class maps any global whose name holds "Storage" by its name alone
 * (serialization.StorageType); quantized storages hold their raw integers. */
static const struct storage_type {
    const char *name;
    const char *dtype;   /* numpy type string without byte order; "bfloat16" */
    uint32_t itemsize;
} STORAGE_TYPES[] = {
    {"DoubleStorage", "f8", 8},      {"FloatStorage", "f4", 4},        {"HalfStorage", "f2", 2},
    {"LongStorage", "i8", 8},        {"IntStorage", "i4", 4},          {"ShortStorage", "i2", 2},
    {"CharStorage", "i1", 1},        {"ByteStorage", "u1", 1},         {"BoolStorage", "b1", 1},
    {"BFloat16Storage", "bfloat16", 2}, {"ComplexDoubleStorage", "c16", 16},
    {"ComplexFloatStorage", "c8", 8}, {"QInt8Storage", "i1", 1},       {"QUInt8Storage", "u1", 1},
    {"QInt32Storage", "i4", 4},      {"QUInt4x2Storage", "u1", 1},     {"QUInt2x4Storage", "u1", 1},
    {"UntypedStorage", "u1", 1},
};
#define N_STORAGE_TYPES (sizeof STORAGE_TYPES / sizeof STORAGE_TYPES[0])

/* The dtypes _rebuild_tensor_v3 (torch >= 2.1) names, as torch.<name>, over an untyped
 * storage: those numpy has. float8, complex32 and the sub-byte and bits types have no
 * numpy dtype: such tensors stay inert calls with their storage resolved. */
static const struct tensor_dtype {
    const char *name;
    const char *dtype;
    uint32_t itemsize;
} TENSOR_DTYPES[] = {
    {"float64", "f8", 8}, {"float32", "f4", 4}, {"float16", "f2", 2}, {"bfloat16", "bfloat16", 2},
    {"int64", "i8", 8},   {"int32", "i4", 4},   {"int16", "i2", 2},   {"int8", "i1", 1},
    {"uint8", "u1", 1},   {"bool", "b1", 1},    {"complex128", "c16", 16}, {"complex64", "c8", 8},
    {"uint16", "u2", 2},  {"uint32", "u4", 4},  {"uint64", "u8", 8},
};
#define N_TENSOR_DTYPES (sizeof TENSOR_DTYPES / sizeof TENSOR_DTYPES[0])

/* The TENSOR_DTYPES index of `g` = torch.<name>, or -1. */
static int tensor_dtype_of(const jlp_val *g) {
    if (jlp_get_type(g) != JLP_GLOBAL) return -1;
    for (size_t i = 0; i < N_TENSOR_DTYPES; i++)
        if (jlp_global_is(g, "torch", TENSOR_DTYPES[i].name)) return (int)i;
    return -1;
}

static int storage_type_of(const jlp_val *g) {
    size_t n;
    const char *name = jlp_global_name(g, &n);
    if (!name) return -1;
    for (size_t i = 0; i < N_STORAGE_TYPES; i++)
        if (strlen(STORAGE_TYPES[i].name) == n && !memcmp(STORAGE_TYPES[i].name, name, n)) return (int)i;
    return -1;
}

/* ---- the checkpoint being loaded -------------------------------------------------------- */

typedef struct storage {
    const char *key;
    size_t key_len;
    jlp_val *node;         /* the 1-d ndarray of the storage */
    int type;              /* index into STORAGE_TYPES */
} storage;

typedef struct ckpt {
    jlp_archive *ar;
    const char *prefix;
    size_t prefix_len;
    const jlp_read_opts *opts;
    jlp_doc *doc;
    jlp_error *err;
    char byteorder;        /* '<' or '>' (the `byteorder` record of torch >= 2.1) */
    jlp_val *dtypes[N_STORAGE_TYPES];
    jlp_val *v3_dtypes[N_TENSOR_DTYPES];
    storage *st;
    size_t nst, cap_st;
    bool keep_blob;        /* some array points into the archive's bytes */
} ckpt;

static jlp_code nomem(ckpt *c) {
    if (c->doc && jlp__doc_limit_hit(c->doc))
        return jlp__fail(c->err, JLP_E_LIMIT, 0, -1, "checkpoint: document allocation exceeds limits.max_alloc");
    return jlp__fail(c->err, JLP_E_NOMEM, 0, -1, "checkpoint: out of memory");
}

static jlp_code find_record(ckpt *c, const char *rec, size_t rec_len, size_t *index) {
    char name[600];
    if (c->prefix_len + 1 + rec_len >= sizeof name)
        return jlp__fail(c->err, JLP_E_MEMBER, 0, -1, "checkpoint: record name too long");
    memcpy(name, c->prefix, c->prefix_len);
    name[c->prefix_len] = '/';
    memcpy(name + c->prefix_len + 1, rec, rec_len);
    name[c->prefix_len + 1 + rec_len] = '\0';
    jlp_code r = jlp_archive_find(c->ar, name, index, c->err);
    if (r == JLP_OK && (c->ar->m[*index].flags & (JLP_MEMBER_DIR | JLP_MEMBER_LINK | JLP_MEMBER_SPECIAL)))
        r = jlp__fail(c->err, JLP_E_MEMBER, 0, -1, "checkpoint: %s is not a file", name);
    return r;
}

/* A dtype node for numpy type string `ts` (without byte order) of `itemsize`, or
 * "bfloat16", in the checkpoint's byte order, made once per slot. */
static jlp_val *make_dtype(ckpt *c, jlp_val **slot, const char *ts, uint32_t itemsize) {
    if (*slot) return *slot;
    jlp_val *dt;
    if (!strcmp(ts, "bfloat16")) {
        dt = jlp_new_dtype(c->doc, "|V2", c->err);
        if (!dt) return NULL;
        jlp__dtype_info *d = jlp__dt(dt);
        d->bfloat16 = true;
        d->byteorder = c->byteorder;
        d->alignment = 2;
        snprintf(d->str, sizeof d->str, "bfloat16");
    } else {
        char s[8];
        snprintf(s, sizeof s, "%c%s", itemsize == 1 ? '|' : c->byteorder, ts);
        dt = jlp_new_dtype(c->doc, s, c->err);
        if (!dt) return NULL;
    }
    *slot = dt;
    return dt;
}

static jlp_val *dtype_node(ckpt *c, int type) {
    return make_dtype(c, &c->dtypes[type], STORAGE_TYPES[type].dtype, STORAGE_TYPES[type].itemsize);
}

/* The storage's bytes: in place in the archive (mmap), else copied into the document. */
static jlp_code storage_bytes(ckpt *c, size_t index, uint64_t nbytes, const uint8_t **data, uint8_t *where,
                              uint64_t *file_off) {
    jlp_archive *ar = c->ar;
    const jlp__member *m = &ar->m[index];
    *file_off = UINT64_MAX;
    if (jlp__member_in_place(ar, index) && c->opts->mmap && !(m->flags & JLP_MEMBER_UNREADABLE)) {
        if (ar->fmt == JLP__AR_ZIP && ar->opts.verify_mapped_crc &&
            jlp__crc32(0, ar->blob->data + m->offset, (size_t)m->size) != m->crc)
            return jlp__fail(c->err, JLP_E_CHECKSUM, 0, -1, "%s: CRC-32 mismatch", m->name);
        *data = ar->blob->data + m->offset;
        const jlp__blob *root = ar->blob;
        while (root->parent) root = root->parent;
        *where = root->kind == JLP__BLOB_MAPPED ? JLP_STORE_MMAP : JLP_STORE_BORROWED;
        *file_off = m->offset;
        c->keep_blob = true;
        return JLP_OK;
    }
    if (jlp__member_in_place(ar, index)) *file_off = m->offset; /* a copy of the bytes there */
    uint8_t *buf = jlp__doc_alloc(c->doc, nbytes ? (size_t)nbytes : 1);
    if (!buf) return nomem(c);
    jlp_source *s = jlp_archive_member_source(ar, index, c->err);
    if (!s) return c->err ? c->err->code : JLP_E_NOMEM;
    size_t got = jlp__src_copy(s, buf, (size_t)nbytes);
    jlp_code r = JLP_OK;
    if (s->failed) r = jlp__src_error(s, c->err, got, -1);
    else if (got != nbytes) r = jlp__fail(c->err, JLP_E_TRUNCATED, got, -1, "%s: member ends early", m->name);
    jlp_source_free(s);
    if (r) {
        jlp__err_prefix(c->err, m->name);
        return r;
    }
    *data = buf;
    *where = JLP_STORE_ARENA;
    return JLP_OK;
}

static bool str_or_bytes(const jlp_val *v, const char **p, size_t *n) {
    jlp_type t = jlp_get_type(v);
    if (t != JLP_STR && t != JLP_BYTES) return false;
    *p = jlp_get_str(v, n);
    return true;
}

/* Turn the persistent id node `pid` into the 1-d ndarray of its storage, sharing the
 * bytes of every other id with the same key. */
static jlp_code resolve_storage(ckpt *c, jlp_val *pid) {
    const jlp_val *id = jlp_persid_value(pid);
    const char *s;
    size_t n;
    if (jlp_get_type(id) != JLP_TUPLE || jlp_len(id) == 0 || !str_or_bytes(jlp_item(id, 0), &s, &n) ||
        n != 7 || memcmp(s, "storage", 7))
        return jlp__fail(c->err, JLP_E_UNSUPPORTED, 0, -1, "checkpoint: a persistent id that is not ('storage', ...)");
    if (jlp_len(id) != 5)
        return jlp__fail(c->err, JLP_E_BAD_VALUE, 0, -1, "checkpoint: storage id with %zu fields, not 5", jlp_len(id));
    int type = storage_type_of(jlp_item(id, 1));
    const char *key;
    size_t key_len;
    const jlp_val *numel_v = jlp_item(id, 4);
    if (type < 0) {
        size_t gn;
        const char *g = jlp_global_name(jlp_item(id, 1), &gn);
        return jlp__fail(c->err, JLP_E_UNSUPPORTED, 0, -1, "checkpoint: storage type %.*s",
                         g ? (int)(gn > 60 ? 60 : gn) : 1, g ? g : "?");
    }
    if (!str_or_bytes(jlp_item(id, 2), &key, &key_len) || jlp_get_type(numel_v) != JLP_INT || jlp_get_int(numel_v) < 0)
        return jlp__fail(c->err, JLP_E_BAD_VALUE, 0, -1, "checkpoint: malformed storage id");
    uint64_t numel = (uint64_t)jlp_get_int(numel_v);
    for (size_t i = 0; i < c->nst; i++) {
        storage *t = &c->st[i];
        if (t->key_len != key_len || memcmp(t->key, key, key_len)) continue;
        if (t->type != type && STORAGE_TYPES[t->type].itemsize != STORAGE_TYPES[type].itemsize)
            return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "checkpoint: storage %.*s used with two item sizes",
                             (int)(key_len > 40 ? 40 : key_len), key);
        if (jlp__arr(t->node)->count != numel)
            return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "checkpoint: storage %.*s with two lengths",
                             (int)(key_len > 40 ? 40 : key_len), key);
        *pid = *t->node;
        return JLP_OK;
    }
    char rec[520];
    if (key_len > 500) return jlp__fail(c->err, JLP_E_BAD_VALUE, 0, -1, "checkpoint: storage key too long");
    memcpy(rec, "data/", 5);
    memcpy(rec + 5, key, key_len);
    size_t index;
    if (find_record(c, rec, 5 + key_len, &index)) return c->err ? c->err->code : JLP_E_MEMBER;
    uint32_t isz = STORAGE_TYPES[type].itemsize;
    uint64_t nbytes;
    if (!jlp__mul_u64(numel, isz, &nbytes))
        return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "checkpoint: storage size overflows");
    const jlp__member *m = &c->ar->m[index];
    /* torch builds the storage over the record's data at the byte size the id gives,
     * whatever the record's size: anything but equality is refused */
    if (m->size != nbytes)
        return jlp__fail(c->err, JLP_E_BAD_ARRAY, m->header, -1, "%s holds %llu bytes, its storage id says %llu x %u",
                         m->name, (unsigned long long)m->size, (unsigned long long)numel, (unsigned)isz);
    jlp_val *dt = dtype_node(c, type);
    if (!dt) return c->err && c->err->code ? c->err->code : nomem(c);
    const uint8_t *data = NULL;
    uint8_t where = JLP_STORE_ARENA;
    uint64_t file_off = UINT64_MAX;
    jlp_code r = storage_bytes(c, index, nbytes, &data, &where, &file_off);
    if (r) return r;
    jlp_val *arr = jlp__new_ndarray(c->doc, dt, &numel, 1);
    if (!arr) return nomem(c);
    jlp__ndarray *a = jlp__arr(arr);
    a->data = data;
    a->count = numel;
    a->nbytes = nbytes;
    a->storage = where;
    a->origin = JLP_ORIGIN_TORCH;
    a->offset = file_off;
    if (c->nst == c->cap_st) {
        size_t cap = c->cap_st ? c->cap_st * 2 : 16;
        storage *st = jlp__realloc(c->ar->alc, c->st, c->cap_st * sizeof *st, cap * sizeof *st);
        if (!st) return nomem(c);
        c->st = st;
        c->cap_st = cap;
    }
    storage *t = &c->st[c->nst++];
    t->key = key;
    t->key_len = key_len;
    t->node = arr;
    t->type = type;
    *pid = *arr;
    return JLP_OK;
}

/* ---- tensors ------------------------------------------------------------------------------ */

enum { FN_NONE, FN_TENSOR, FN_TENSOR_V2, FN_TENSOR_V3, FN_PARAMETER, FN_PARAMETER_STATE, FN_FROM_TYPE };

static int rebuild_fn(const jlp_val *g) {
    if (jlp_get_type(g) != JLP_GLOBAL) return FN_NONE;
    if (jlp_global_is(g, "torch._utils", "_rebuild_tensor")) return FN_TENSOR;
    if (jlp_global_is(g, "torch._utils", "_rebuild_tensor_v2")) return FN_TENSOR_V2;
    if (jlp_global_is(g, "torch._utils", "_rebuild_tensor_v3")) return FN_TENSOR_V3;
    if (jlp_global_is(g, "torch._utils", "_rebuild_parameter")) return FN_PARAMETER;
    if (jlp_global_is(g, "torch._utils", "_rebuild_parameter_with_state")) return FN_PARAMETER_STATE;
    /* torch.load maps the module torch.tensor to torch._tensor */
    if (jlp_global_is(g, "torch._tensor", "_rebuild_from_type_v2") ||
        jlp_global_is(g, "torch.tensor", "_rebuild_from_type_v2"))
        return FN_FROM_TYPE;
    return FN_NONE;
}

static bool is_tensor_fn(int fn) { return fn == FN_TENSOR || fn == FN_TENSOR_V2 || fn == FN_TENSOR_V3; }

static jlp_code int_tuple(ckpt *c, const jlp_val *t, const char *what, uint64_t *out, uint32_t *n) {
    if (jlp_get_type(t) != JLP_TUPLE && jlp_get_type(t) != JLP_LIST)
        return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: %s is not a tuple", what);
    size_t k = jlp_len(t);
    if (k > 64) return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: %zu dimensions (at most 64)", k);
    for (size_t i = 0; i < k; i++) {
        const jlp_val *x = jlp_item(t, i);
        if (jlp_get_type(x) != JLP_INT || jlp_get_int(x) < 0)
            return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: %s[%zu] is not a non-negative int", what, i);
        out[i] = (uint64_t)jlp_get_int(x);
    }
    *n = (uint32_t)k;
    return JLP_OK;
}

static bool contiguous(uint32_t nd, const uint64_t *size, const uint64_t *stride, bool c_order) {
    uint64_t want = 1;
    for (uint32_t j = 0; j < nd; j++) {
        uint32_t k = c_order ? nd - 1 - j : j;
        if (size[k] == 0) return true;
        if (size[k] != 1 && stride[k] != want) return false;
        want *= size[k];
    }
    return true;
}

/* The tensor of `args` = (storage, storage_offset, size, stride, ...), as a new array
 * node: a view of the storage when contiguous in C or F order, else a C-ordered copy.
 * _rebuild_tensor_v3's args end (..., requires_grad, hooks, dtype[, metadata]): the
 * dtype reads the storage's bytes (an untyped storage). *out stays NULL for a v3 dtype
 * numpy has no equivalent of (the call stays inert). */
static jlp_code build_tensor(ckpt *c, const jlp_val *args, bool v3, jlp_val **out) {
    *out = NULL;
    if (jlp_get_type(args) != JLP_TUPLE || jlp_len(args) < (v3 ? 7u : 4u))
        return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: fewer than %u arguments", v3 ? 7u : 4u);
    const jlp_val *sv = jlp_item(args, 0);
    const storage *st = NULL;
    for (size_t i = 0; i < c->nst && !st; i++)
        if (jlp_get_type(sv) == JLP_NDARRAY && sv->u.ext == c->st[i].node->u.ext) st = &c->st[i];
    if (!st) return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: the first argument is not a storage");
    jlp__ndarray view = *jlp__arr(st->node);
    const jlp__ndarray *sa = &view;
    if (v3) {
        int k = tensor_dtype_of(jlp_item(args, 6));
        if (k < 0) return JLP_OK;
        const struct tensor_dtype *t = &TENSOR_DTYPES[k];
        jlp_val *dt = make_dtype(c, &c->v3_dtypes[k], t->dtype, t->itemsize);
        if (!dt) return c->err && c->err->code ? c->err->code : nomem(c);
        if (view.nbytes % t->itemsize)
            return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: a storage of %llu bytes read as torch.%s",
                             (unsigned long long)view.nbytes, t->name);
        view.dtype = dt;
        view.count = view.nbytes / t->itemsize;
    }
    const jlp_val *off_v = jlp_item(args, 1);
    if (jlp_get_type(off_v) != JLP_INT || jlp_get_int(off_v) < 0)
        return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: storage_offset is not a non-negative int");
    uint64_t off = (uint64_t)jlp_get_int(off_v);
    uint64_t size[64], stride[64];
    uint32_t nd, nd2;
    jlp_code r = int_tuple(c, jlp_item(args, 2), "size", size, &nd);
    if (!r) r = int_tuple(c, jlp_item(args, 3), "stride", stride, &nd2);
    if (r) return r;
    if (nd != nd2) return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: %u sizes but %u strides", nd, nd2);
    uint64_t count = 1, last = off;
    bool ok = true;
    for (uint32_t k = 0; k < nd; k++) ok = ok && jlp__mul_u64(count, size[k], &count);
    if (!ok) return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: element count overflows");
    if (count) {
        for (uint32_t k = 0; k < nd && ok; k++) {
            uint64_t span;
            ok = jlp__mul_u64(size[k] - 1, stride[k], &span) && jlp__add_u64(last, span, &last);
        }
        if (!ok || last >= sa->count)
            return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1,
                             "tensor: reaches element %llu of a storage of %llu", ok ? (unsigned long long)last : 0ULL,
                             (unsigned long long)sa->count);
    } else if (off > sa->count) {
        return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: storage_offset %llu past a storage of %llu",
                         (unsigned long long)off, (unsigned long long)sa->count);
    }
    const jlp__dtype_info *d = jlp__dt(sa->dtype);
    uint64_t isz = d->itemsize, nbytes;
    /* a view spans at most its storage, but strides of 0 (an expanded tensor) repeat
     * elements: its C-ordered copy may be far larger than the storage */
    if (!jlp__mul_u64(count, isz, &nbytes) || nbytes > SIZE_MAX / 2)
        return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: %llu elements overflow", (unsigned long long)count);
    jlp_val *v = jlp__new_ndarray(c->doc, sa->dtype, size, nd);
    if (!v) return nomem(c);
    jlp__ndarray *a = jlp__arr(v);
    a->count = count;
    a->nbytes = nbytes;
    a->origin = JLP_ORIGIN_TORCH;
    bool corder = contiguous(nd, size, stride, true), forder = !corder && contiguous(nd, size, stride, false);
    if (corder || forder || !count) {
        a->order = forder ? 'F' : 'C';
        a->data = count ? sa->data + off * isz : sa->data;
        a->storage = sa->storage;
        a->offset = sa->offset == UINT64_MAX || !count ? UINT64_MAX : sa->offset + off * isz;
    } else {
        /* gathered in C order by an odometer over the indices (no recursion) */
        uint8_t *dst = jlp__doc_alloc(c->doc, (size_t)a->nbytes);
        if (!dst) return nomem(c);
        uint64_t idx[64] = {0};
        for (uint64_t e = 0; e < count; e++) {
            uint64_t at = off;
            for (uint32_t k = 0; k < nd; k++) at += idx[k] * stride[k];
            memcpy(dst + e * isz, sa->data + at * isz, (size_t)isz);
            for (uint32_t k = nd; k-- > 0;) {
                if (++idx[k] < size[k]) break;
                idx[k] = 0;
            }
        }
        a->data = dst;
        a->storage = JLP_STORE_ARENA;
    }
    if (a->storage != JLP_STORE_ARENA && a->data) {
        uint32_t al = jlp__dtype_align(d);
        if (al > 1 && (uintptr_t)a->data % al) {
            if (c->opts->align == JLP_ALIGN_REQUIRE)
                return jlp__fail(c->err, JLP_E_UNALIGNED, a->offset, -1, "tensor data at offset %llu is not %u-byte aligned",
                                 (unsigned long long)a->offset, al);
            if (c->opts->align == JLP_ALIGN_COPY) {
                uint8_t *copy = jlp__doc_alloc(c->doc, (size_t)a->nbytes);
                if (!copy) return nomem(c);
                memcpy(copy, a->data, (size_t)a->nbytes);
                a->data = copy;
                a->storage = JLP_STORE_ARENA;
            }
        }
    }
    *out = v;
    return JLP_OK;
}

/* Rebuild the call `node` in place (it becomes the tensor). A parameter's tensor comes
 * from its first argument, rebuilt first when it is itself a pending call; nesting is
 * followed a bounded number of steps. */
static jlp_code rebuild(ckpt *c, jlp_val *node) {
    jlp_val *chain[8];
    jlp_val *inert = NULL; /* the last call that stays a call (its parent does too) */
    size_t depth = 0;
    chain[depth++] = node;
    while (depth) {
        jlp_val *x = chain[depth - 1];
        if (jlp_get_type(x) != JLP_OBJECT) { depth--; continue; }
        int fn = rebuild_fn(jlp_obj_callable(x));
        const jlp_val *args = jlp_obj_args(x);
        jlp_val *built = NULL;
        if (is_tensor_fn(fn)) {
            jlp_code r = build_tensor(c, args, fn == FN_TENSOR_V3, &built);
            if (r) return r;
            if (!built) { /* a v3 dtype numpy lacks: inert */
                inert = x;
                depth--;
                continue;
            }
        } else if (fn == FN_PARAMETER || fn == FN_PARAMETER_STATE) {
            jlp_val *data = jlp_item(args, 0);
            if (data == inert) { /* its tensor stays a call: so does the parameter */
                inert = x;
                depth--;
                continue;
            }
            if (jlp_get_type(data) == JLP_OBJECT && rebuild_fn(jlp_obj_callable(data)) != FN_NONE) {
                if (depth == sizeof chain / sizeof chain[0])
                    return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: rebuild calls nested too deep");
                chain[depth++] = data;
                continue;
            }
            if (jlp_get_type(data) != JLP_NDARRAY || jlp__arr(data)->origin != JLP_ORIGIN_TORCH)
                return jlp__fail(c->err, JLP_E_BAD_ARRAY, 0, -1, "tensor: a parameter whose data is not a tensor");
            built = data;
        } else if (fn == FN_FROM_TYPE) {
            /* _rebuild_from_type_v2(func, type, args, state) of a plain tensor or a
             * parameter; other types stay inert */
            const jlp_val *f = jlp_item(args, 0), *t = jlp_item(args, 1);
            if (!is_tensor_fn(rebuild_fn(f)) ||
                !(jlp_global_is(t, "torch", "Tensor") || jlp_global_is(t, "torch._tensor", "Tensor") ||
                  jlp_global_is(t, "torch.nn.parameter", "Parameter"))) {
                inert = x;
                depth--;
                continue;
            }
            jlp_code r = build_tensor(c, jlp_item(args, 2), rebuild_fn(f) == FN_TENSOR_V3, &built);
            if (r) return r;
            if (!built) {
                inert = x;
                depth--;
                continue;
            }
        } else {
            depth--;
            continue;
        }
        *x = *built;
        depth--;
    }
    return JLP_OK;
}

/* The walk's visitor: storage ids and rebuild calls are noted. */
typedef struct collect {
    ckpt *c;
    jlp__nodes *pids, *calls;
} collect;

static jlp_code note(void *ctx, jlp_val *v) {
    collect *k = ctx;
    bool ok = true;
    if (jlp_get_type(v) == JLP_PERSID) ok = jlp__nodes_push(k->pids, v);
    else if (jlp_get_type(v) == JLP_OBJECT && rebuild_fn(jlp_obj_callable(v)) != FN_NONE) ok = jlp__nodes_push(k->calls, v);
    return ok ? JLP_OK : nomem(k->c);
}

static jlp_code read_byteorder(ckpt *c) {
    size_t index;
    c->byteorder = '<';
    jlp_error quiet;
    char name[600];
    if (c->prefix_len + 11 >= sizeof name) return JLP_OK;
    memcpy(name, c->prefix, c->prefix_len);
    memcpy(name + c->prefix_len, "/byteorder", 11);
    if (jlp_archive_find(c->ar, name, &index, &quiet) != JLP_OK) return JLP_OK; /* before torch 2.1: little */
    void *buf;
    size_t len;
    if (jlp_archive_read(c->ar, index, &buf, &len, c->err)) return c->err ? c->err->code : JLP_E_IO;
    jlp_code r = JLP_OK;
    if (len == 6 && !memcmp(buf, "little", 6)) c->byteorder = '<';
    else if (len == 3 && !memcmp(buf, "big", 3)) c->byteorder = '>';
    else r = jlp__fail(c->err, JLP_E_BAD_VALUE, 0, -1, "checkpoint: byteorder record is neither 'little' nor 'big'");
    free(buf);
    return r;
}

jlp_doc *jlp__torch_load(jlp_archive *ar, size_t prefix_len, const jlp_read_opts *opts, jlp_error *err) {
    ckpt c;
    memset(&c, 0, sizeof c);
    c.ar = ar;
    c.prefix = ar->m[0].name;
    c.prefix_len = prefix_len;
    c.opts = opts;
    c.err = err;
    size_t index;
    if (read_byteorder(&c) || find_record(&c, "data.pkl", 8, &index)) return NULL;
    jlp_read_opts pickle_opts = *opts;
    pickle_opts.mmap = 0; /* data.pkl holds no array payloads; storages are mapped below */
    c.doc = jlp_archive_load(ar, index, &pickle_opts, err);
    if (!c.doc) return NULL;
    jlp__nodes pids = {ar->alc, NULL, 0, 0}, calls = {ar->alc, NULL, 0, 0};
    collect k = {&c, &pids, &calls};
    jlp_code r = jlp__walk(jlp_doc_root(c.doc), ar->alc, note, &k);
    if (r == JLP_E_NOMEM) r = nomem(&c);
    for (size_t i = 0; !r && i < pids.n; i++) r = resolve_storage(&c, pids.v[i]);
    for (size_t i = 0; !r && i < calls.n; i++) r = rebuild(&c, calls.v[i]);
    jlp__nodes_release(&pids);
    jlp__nodes_release(&calls);
    jlp__free(ar->alc, c.st, c.cap_st * sizeof *c.st);
    if (r) {
        jlp_doc_free(c.doc);
        return NULL;
    }
    if (c.keep_blob) jlp__doc_keep_blob(c.doc, ar->blob);
    return c.doc;
}
