/*
 * torch.c - the torch reading (JLP_READING_TORCH): how torch.load reads the pickle
 * records of a checkpoint (`<prefix>/data.pkl`; TorchScript's `constants.pkl` and
 * `code/...debug_pkl`, which torch.jit.load reads with an unpickler of its own that
 * knows the same names and torch.jit._pickle's identity functions).
 *
 * torch.load unpickles with the C unpickler and two hooks of its own
 * (torch/serialization.py, _load): find_class maps every name holding "Storage" that is
 * one of torch's storage type names to a StorageType record, whatever the module, and
 * imports nothing; persistent_load accepts only ('storage', type, key, location, numel)
 * and reads the record `<prefix>/data/<key>` as raw bytes. torch.load(weights_only=True)
 * (the default since torch 2.6) resolves globals from a fixed allowlist only
 * (torch/_weights_only_unpickler.py, _get_allowed_globals): those names build tensors,
 * storages, dtypes and plain containers, and are safe here. Everything else a checkpoint
 * names (a full module's classes) is judged by the policy as in any other reading.
 * The list is the union of torch 1.13's allowlist and that of later releases.
 */
#include "scan.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool eq(const char *s, size_t n, const char *lit) { return strlen(lit) == n && !memcmp(s, lit, n); }

/* serialization.StorageType's names (storage._storage_type_to_dtype_map). */
static const char *const STORAGE_NAMES[] = {
    "DoubleStorage", "FloatStorage", "HalfStorage", "LongStorage", "IntStorage", "ShortStorage",
    "CharStorage", "ByteStorage", "BoolStorage", "BFloat16Storage", "ComplexDoubleStorage",
    "ComplexFloatStorage", "QInt8Storage", "QInt32Storage", "QUInt8Storage", "QUInt4x2Storage",
    "QUInt2x4Storage",
};
/* torch._utils._element_size of each one's dtype, in the same order. */
static const unsigned char STORAGE_ESIZE[] = {8, 4, 2, 8, 4, 2, 1, 1, 1, 2, 16, 8, 1, 4, 1, 1, 1};
_Static_assert(sizeof STORAGE_ESIZE == sizeof STORAGE_NAMES / sizeof STORAGE_NAMES[0], "one size per name");

/* torch._tensor_classes: <Type>Tensor in torch, torch.cuda, torch.sparse, torch.cuda.sparse. */
static const char *const TENSOR_TYPES[] = {"Double", "Float", "Half", "BFloat16", "Long", "Int",
                                           "Short", "Char", "Byte", "Bool"};
static const char *const TENSOR_MODULES[] = {"torch", "torch.cuda", "torch.sparse", "torch.cuda.sparse"};

/* str(dtype) of every dtype the allowlists name ("torch.float32"): the dtype objects,
 * and the quantization schemes. */
static const char *const DTYPE_NAMES[] = {
    "float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
    "complex128", "complex64", "complex32", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
    "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "bits8", "bits16", "bits1x8",
    "bits2x4", "bits4x2", "uint16", "uint32", "uint64", "uint1", "uint2", "uint3", "uint4", "uint5",
    "uint6", "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7", "per_tensor_affine",
    "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric",
    "per_channel_affine_float_qparams",
};

/* Functions and classes named module.name in the allowlists. */
static const struct { const char *module, *name; } NAMED[] = {
    {"collections", "OrderedDict"},
    {"collections", "Counter"},
    {"torch.nn.parameter", "Parameter"},
    {"torch.serialization", "_get_layout"},
    {"torch", "Size"},
    {"torch", "Tensor"},
    {"torch", "device"},
    {"torch.storage", "TypedStorage"},
    {"torch.storage", "UntypedStorage"},
    {"torch", "UntypedStorage"}, /* what torch.save names an untyped storage */
    {"torch._utils", "_rebuild_parameter"},
    {"torch._utils", "_rebuild_parameter_with_state"},
    {"torch._utils", "_rebuild_qtensor"},
    {"torch._utils", "_rebuild_tensor"},
    {"torch._utils", "_rebuild_tensor_v2"},
    {"torch._utils", "_rebuild_tensor_v3"},
    {"torch._utils", "_rebuild_sparse_tensor"},
    {"torch._utils", "_rebuild_sparse_csr_tensor"},
    {"torch._utils", "_rebuild_meta_tensor_no_storage"},
    {"torch._utils", "_rebuild_wrapper_subclass"},
    {"torch._utils", "_rebuild_device_tensor_from_cpu_tensor"},
    {"torch._utils", "_rebuild_device_tensor_from_numpy"},
    {"torch._tensor", "_rebuild_from_type_v2"},
    /* TorchScript's pickles (torch/jit/_pickle.py: each returns its argument) */
    {"torch.jit._pickle", "build_intlist"},
    {"torch.jit._pickle", "build_tensorlist"},
    {"torch.jit._pickle", "build_doublelist"},
    {"torch.jit._pickle", "build_boollist"},
    {"torch.jit._pickle", "build_tensor_from_id"},
    {"torch.jit._pickle", "restore_type_tag"},
    {"torch.tensor", "_rebuild_from_type_v2"}, /* torch.load reads torch.tensor as torch._tensor */
};

static bool storage_name(const char *n, size_t nl) {
    for (size_t i = 0; i < COUNT(STORAGE_NAMES); i++)
        if (eq(n, nl, STORAGE_NAMES[i])) return true;
    return false;
}

bool jlp__torch_judge(const char *m, size_t ml, const char *n, size_t nl, jlp__buf *why) {
    if (storage_name(n, nl)) {
        jlp__buf_puts(why, "torch.load maps a storage type name to its dtype without importing anything");
        return true;
    }
    bool hit = false;
    for (size_t i = 0; i < COUNT(NAMED) && !hit; i++) hit = eq(m, ml, NAMED[i].module) && eq(n, nl, NAMED[i].name);
    for (size_t i = 0; i < COUNT(TENSOR_MODULES) && !hit; i++) {
        if (!eq(m, ml, TENSOR_MODULES[i])) continue;
        for (size_t k = 0; k < COUNT(TENSOR_TYPES) && !hit; k++) {
            size_t tl = strlen(TENSOR_TYPES[k]);
            hit = nl == tl + 6 && !memcmp(n, TENSOR_TYPES[k], tl) && !memcmp(n + tl, "Tensor", 6);
        }
    }
    for (size_t i = 0; i < COUNT(DTYPE_NAMES) && !hit; i++) hit = eq(m, ml, "torch") && eq(n, nl, DTYPE_NAMES[i]);
    if (hit) jlp__buf_puts(why, "in the allowlist of torch.load(weights_only=True): builds tensors, storages, "
                                "dtypes or plain containers");
    return hit;
}

/* The legacy format's view_metadata: None, or (view key, offset, size). */
static bool view_metadata(const jlp_val *v) {
    if (jlp_get_type(v) == JLP_NONE) return true;
    jlp_type kt = jlp_get_type(jlp_item(v, 0));
    return jlp_get_type(v) == JLP_TUPLE && jlp_len(v) == 3 && (kt == JLP_STR || kt == JLP_BYTES) &&
           jlp_get_type(jlp_item(v, 1)) == JLP_INT && jlp_get_type(jlp_item(v, 2)) == JLP_INT;
}

bool jlp__torch_storage_id(const jlp_val *id) {
    /* the zip format's ('storage', type, key, location, numel), the legacy format's
     * with view_metadata after them */
    if (jlp_get_type(id) != JLP_TUPLE || (jlp_len(id) != 5 && jlp_len(id) != 6)) return false;
    if (jlp_len(id) == 6 && !view_metadata(jlp_item(id, 5))) return false;
    size_t n;
    const jlp_val *t = jlp_item(id, 0);
    const char *s = (jlp_get_type(t) == JLP_STR || jlp_get_type(t) == JLP_BYTES) ? jlp_get_str(t, &n) : NULL;
    if (!s || !eq(s, n, "storage")) return false;
    const jlp_val *type = jlp_item(id, 1);
    size_t ml, nl;
    const char *m = jlp_global_module(type, &ml), *name = jlp_global_name(type, &nl);
    if (jlp_get_type(type) != JLP_GLOBAL || !m || !name) return false;
    jlp__buf scratch;
    jlp__buf_init(&scratch, NULL);
    bool known = jlp__torch_judge(m, ml, name, nl, &scratch) &&
                 (storage_name(name, nl) || eq(name, nl, "UntypedStorage"));
    jlp__buf_release(&scratch);
    jlp_type kt = jlp_get_type(jlp_item(id, 2));
    return known && (kt == JLP_STR || kt == JLP_BYTES) && jlp_get_type(jlp_item(id, 4)) == JLP_INT;
}

unsigned jlp__torch_storage_esize(const jlp_val *id) {
    if (!jlp__torch_storage_id(id)) return 0;
    size_t nl;
    const char *n = jlp_global_name(jlp_item(id, 1), &nl);
    for (size_t i = 0; i < COUNT(STORAGE_NAMES); i++)
        if (eq(n, nl, STORAGE_NAMES[i])) return STORAGE_ESIZE[i];
    return 1; /* UntypedStorage: bytes */
}

bool jlp__torch_module_id(const jlp_val *id) {
    /* ('module', class, source file, source): the legacy persistent_load compares the
     * source with the class's and returns the class, which the pickle named */
    if (jlp_get_type(id) != JLP_TUPLE || jlp_len(id) != 4) return false;
    size_t n;
    const jlp_val *t = jlp_item(id, 0);
    const char *s = (jlp_get_type(t) == JLP_STR || jlp_get_type(t) == JLP_BYTES) ? jlp_get_str(t, &n) : NULL;
    if (!s || !eq(s, n, "module") || jlp_get_type(jlp_item(id, 1)) != JLP_GLOBAL) return false;
    for (size_t i = 2; i < 4; i++) {
        jlp_type k = jlp_get_type(jlp_item(id, i));
        if (k != JLP_STR && k != JLP_BYTES && k != JLP_NONE) return false;
    }
    return true;
}

/* The first pickle torch.save's legacy format writes: its MAGIC_NUMBER
 * (0x1950a86a20f9469cfc6c) as LONG1, with protocol 2 (the default) to 5. */
bool jlp__torch_legacy_magic(const uint8_t *p, size_t n) {
    static const uint8_t magic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
    if (n < 2 + sizeof magic || p[0] != 0x80 || p[1] < 2 || p[1] > 5) return false;
    size_t at = 2;
    if (p[at] == 0x95) at += 9; /* a FRAME */
    return n >= at + sizeof magic && !memcmp(p + at, magic, sizeof magic);
}

const char *jlp__torch_storage_type(const jlp_val *id) {
    if (!jlp__torch_storage_id(id)) return NULL;
    size_t nl;
    const char *n = jlp_global_name(jlp_item(id, 1), &nl);
    for (size_t i = 0; i < COUNT(STORAGE_NAMES); i++)
        if (eq(n, nl, STORAGE_NAMES[i])) return STORAGE_NAMES[i];
    return "UntypedStorage";
}

/* ---- sparse tensors (SA-7) --------------------------------------------------------------
 *
 * torch._utils._rebuild_sparse_tensor(layout, data) builds a sparse tensor without
 * checking its indices (torch._sparse_coo_tensor_unsafe in 1.13; sparse_coo_tensor and
 * sparse_compressed_tensor with check_invariants=False later) and appends it to a list
 * that only torch.load checks, when it ends (_validate_loaded_sparse_tensors; since torch
 * 2.8 only when torch.sparse.check_sparse_tensor_invariants is enabled or, later, with
 * weights_only=True). pickle.load and joblib.load never do: an index past the size is
 * used as is, and the kernels that read the tensor (coalesce, to_dense, index_select...)
 * read and write memory at it. The constructors themselves check the shapes (sparse and
 * dense dimensions, nnz of indices and values), not the index values.
 *
 * So the scan checks what torch's validation checks, reading the indices from the storage
 * the pickle carries: a tensor pickled by pickle holds each storage as
 * torch.storage._load_from_bytes(<the legacy file torch.save writes for it>), whose
 * elements the nested scan found (jlp__torch_storage). */

#define SPARSE_DIMS 8 /* dimensions of a sparse tensor's size the check reads (real ones: 2) */

/* Integers of a tuple or list, or of torch.Size(tuple): n of them into out. */
static bool int_seq(const jlp_val *v, int64_t *out, size_t *n) {
    if (jlp_get_type(v) == JLP_OBJECT && jlp_global_is(jlp_obj_callable(v), "torch", "Size") &&
        jlp_len(jlp_obj_args(v)) == 1)
        v = jlp_item(jlp_obj_args(v), 0);
    jlp_type t = jlp_get_type(v);
    if ((t != JLP_TUPLE && t != JLP_LIST) || jlp_len(v) > SPARSE_DIMS) return false;
    *n = jlp_len(v);
    for (size_t i = 0; i < *n; i++) {
        const jlp_val *x = jlp_item(v, i);
        if (jlp_get_type(x) != JLP_INT || jlp_get_int(x) < 0) return false;
        out[i] = jlp_get_int(x);
    }
    return true;
}

/* A tensor argument as torch pickles it: _rebuild_tensor_v2(storage, offset, size, stride,
 * ...) or _rebuild_tensor(storage, offset, size, stride), the storage a
 * _load_from_bytes call. */
typedef struct tview {
    const jlp__torch_storage *st; /* NULL: its elements are not known */
    const uint8_t *bytes;         /* the bytes value the storage was loaded from */
    int64_t offset;
    size_t ndim;
    int64_t size[SPARSE_DIMS], stride[SPARSE_DIMS];
} tview;

static const char *tensor_args(const jlp_val *a, jlp__storage_lookup lookup, void *ctx, tview *tv);

/* Read the tensor `t` into `tv`. @return NULL, or why it is not a tensor as torch pickles
 * one (its shape then unknown). */
static const char *tensor_of(const jlp_val *t, jlp__storage_lookup lookup, void *ctx, tview *tv) {
    memset(tv, 0, sizeof *tv);
    const jlp_val *f = jlp_get_type(t) == JLP_OBJECT ? jlp_obj_callable(t) : NULL;
    bool v2 = jlp_global_is(f, "torch._utils", "_rebuild_tensor_v2");
    if (!v2 && !jlp_global_is(f, "torch._utils", "_rebuild_tensor")) return "is not a tensor torch._utils rebuilds";
    return tensor_args(jlp_obj_args(t), lookup, ctx, tv);
}

/* Read the arguments (storage, offset, size, stride, ...) of a torch._utils rebuilder
 * into `tv`. @return NULL, or why they are not as torch pickles them. */
static const char *tensor_args(const jlp_val *a, jlp__storage_lookup lookup, void *ctx, tview *tv) {
    memset(tv, 0, sizeof *tv);
    if (jlp_len(a) < 4 || jlp_get_type(jlp_item(a, 1)) != JLP_INT || jlp_get_int(jlp_item(a, 1)) < 0)
        return "is not a tensor torch._utils rebuilds";
    size_t ns = 0, nt = 0;
    if (!int_seq(jlp_item(a, 2), tv->size, &ns) || !int_seq(jlp_item(a, 3), tv->stride, &nt) || ns != nt)
        return "has a size or stride that is not non-negative integers of the same length";
    tv->ndim = ns;
    tv->offset = jlp_get_int(jlp_item(a, 1));
    const jlp_val *s = jlp_item(a, 0);
    tv->st = lookup(ctx, s);
    if (tv->st && !tv->st->data) tv->st = NULL;
    if (tv->st && !tv->st->member) {
        /* the bytes _load_from_bytes loaded: where the reading has them */
        size_t bl;
        tv->bytes = (const uint8_t *)jlp_get_str(jlp_item(jlp_obj_args(s), 0), &bl);
    }
    return NULL;
}

/* Whether every element of the view is inside its storage (torch's set_ checks so:
 * otherwise the load fails), and how many elements it has. */
static bool view_fits(const tview *tv, uint64_t *numel) {
    uint64_t last = (uint64_t)tv->offset, n = 1;
    for (size_t i = 0; i < tv->ndim; i++) {
        if (!jlp__mul_u64(n, (uint64_t)tv->size[i], &n)) return false;
        uint64_t span;
        if (tv->size[i] && (!jlp__mul_u64((uint64_t)tv->size[i] - 1, (uint64_t)tv->stride[i], &span) ||
                            !jlp__add_u64(last, span, &last)))
            return false;
    }
    *numel = n;
    return n == 0 || last < tv->st->numel;
}

/* Element i of a 1-D view, j of row r of a 2-D one (int64 or int32 little-endian). */
static int64_t elem(const tview *tv, uint64_t pos, uint64_t *at) {
    const uint8_t *p = tv->st->data + pos * tv->st->esize;
    *at = (uint64_t)(p - (tv->bytes ? tv->bytes : tv->st->data));
    if (tv->st->esize == 8) return (int64_t)jlp__le64(p);
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (int32_t)u;
}

typedef enum { L_NONE, L_COO, L_CSR, L_CSC, L_BSR, L_BSC } layout_t;

/* The layout argument: torch.serialization._get_layout('torch.sparse_coo') as pickle
 * writes it, or the torch.sparse_coo global itself. */
static layout_t layout_of(const jlp_val *v) {
    static const char *const names[] = {"sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc"};
    const char *s = NULL;
    size_t n = 0;
    if (jlp_get_type(v) == JLP_OBJECT && jlp_global_is(jlp_obj_callable(v), "torch.serialization", "_get_layout") &&
        jlp_len(jlp_obj_args(v)) == 1 && jlp_get_type(jlp_item(jlp_obj_args(v), 0)) == JLP_STR) {
        s = jlp_get_str(jlp_item(jlp_obj_args(v), 0), &n);
        if (n < 6 || memcmp(s, "torch.", 6)) return L_NONE;
        s += 6;
        n -= 6;
    } else if (jlp_get_type(v) == JLP_GLOBAL) {
        size_t ml;
        const char *m = jlp_global_module(v, &ml);
        if (!eq(m, ml, "torch")) return L_NONE;
        s = jlp_global_name(v, &n);
    }
    for (size_t i = 0; s && i < COUNT(names); i++)
        if (eq(s, n, names[i])) return (layout_t)(L_COO + i);
    return L_NONE;
}

/* An index tensor of the check: its elements readable, within the budget. */
static const char *index_tensor(const jlp_val *t, const char *what, size_t ndim, jlp__storage_lookup lookup,
                                void *ctx, uint64_t *budget, tview *tv, jlp__buf *why) {
    const char *bad = tensor_of(t, lookup, ctx, tv);
    if (bad) {
        jlp__buf_printf(why, "its %s %s", what, bad);
        return "";
    }
    if (tv->ndim != ndim) {
        jlp__buf_printf(why, "its %s has %zu dimensions, not %zu", what, tv->ndim, ndim);
        return "";
    }
    if (!tv->st) {
        jlp__buf_printf(why, "the elements of its %s are not a storage the scan read (torch.storage._load_from_bytes "
                             "of a legacy torch file holding one storage, or a checkpoint's storage record)", what);
        return "";
    }
    if (strcmp(tv->st->type, "LongStorage") && strcmp(tv->st->type, "IntStorage")) {
        jlp__buf_printf(why, "its %s are a %s, not integers", what, tv->st->type);
        return "";
    }
    uint64_t numel, nbytes;
    if (!view_fits(tv, &numel)) {
        jlp__buf_printf(why, "its %s view does not fit its storage (torch refuses it)", what);
        return "";
    }
    if (!jlp__mul_u64(numel, tv->st->esize, &nbytes) || nbytes > *budget) {
        jlp__buf_printf(why, "its %s were not read: past the budget for checking sparse indices", what);
        return "";
    }
    *budget -= nbytes;
    return NULL;
}

static void bad_index(jlp__sparse_check *out, const tview *tv, uint64_t at, const uint8_t *data, size_t len) {
    out->verdict = JLP_VERDICT_DANGEROUS;
    /* the offset in what the reading reads, when the bytes value lies in it (or, in a
     * legacy torch file, the storage itself) */
    const uint8_t *base = tv->bytes ? tv->bytes : tv->st->member ? NULL : tv->st->data;
    if (data && base && base >= data && base < data + len) out->bad_at = (uint64_t)(base - data) + at;
}

/* Where a bad index is: "byte N of the torch.save bytes of its indices", or of the
 * checkpoint's storage member. */
static void index_place(jlp__buf *why, const tview *tv, uint64_t at, const char *what) {
    if (tv->st->member)
        jlp__buf_printf(why, " (byte %llu of %s, its %s)", (unsigned long long)at, tv->st->member, what);
    else if (tv->bytes)
        jlp__buf_printf(why, " (byte %llu of the torch.save bytes of its %s)", (unsigned long long)at, what);
    else
        jlp__buf_printf(why, " (byte %llu of the file, in the storage of its %s after pickle 5)",
                        (unsigned long long)(tv->st->at + at), what);
}

static const char *const LAYOUT_NAMES[] = {"", "COO", "CSR", "CSC", "BSR", "BSC"};

/* An index out of range, its description already in `why`: dangerous, and where. */
static void out_of_range(jlp__sparse_check *out, jlp__buf *why, const tview *tv, uint64_t at, const uint8_t *in,
                         size_t inlen, const char *what) {
    bad_index(out, tv, at, in, inlen);
    index_place(why, tv, at, what);
    jlp__buf_puts(why, " (torch reads and writes memory at it when the tensor is used, e.g. by to_dense)");
}

static void check_coo(const jlp_val *data, const int64_t *size, size_t nsize, jlp__storage_lookup lookup, void *ctx,
                      const uint8_t *in, size_t inlen, uint64_t *budget, jlp__buf *why, jlp__sparse_check *out) {
    tview iv, vv;
    if (index_tensor(jlp_item(data, 0), "indices", 2, lookup, ctx, budget, &iv, why)) return;
    const char *bad = tensor_of(jlp_item(data, 1), lookup, ctx, &vv);
    if (bad) {
        jlp__buf_printf(why, "its values %s", bad);
        return;
    }
    size_t sd = (size_t)iv.size[0];
    int64_t nnz = iv.size[1];
    if (sd > nsize || vv.ndim != 1 + nsize - sd || vv.size[0] != nnz) {
        jlp__buf_printf(why, "indices of shape (%lld, %lld) and values of %zu dimensions do not fit a size of %zu "
                             "dimensions (torch refuses it)",
                        (long long)iv.size[0], (long long)nnz, vv.ndim, nsize);
        return;
    }
    for (size_t k = 0; k + 1 < vv.ndim; k++)
        if (vv.size[1 + k] != size[sd + k]) {
            jlp__buf_printf(why, "its values' dimension %zu is %lld, not the size's %lld (torch refuses it)", k + 1,
                            (long long)vv.size[1 + k], (long long)size[sd + k]);
            return;
        }
    const jlp_val *co = jlp_item(data, 3);
    bool coalesced = jlp_get_type(co) == JLP_BOOL && jlp_get_bool(co);
    if (co && jlp_get_type(co) != JLP_NONE && jlp_get_type(co) != JLP_BOOL) {
        jlp__buf_puts(why, "its is_coalesced is not None, True or False");
        return;
    }
    if (iv.st->esize != 8) {
        jlp__buf_puts(why, "its indices are not int64 (torch refuses them)");
        return;
    }
    for (int64_t j = 0; j < nnz; j++)
        for (size_t d = 0; d < sd; d++) {
            uint64_t at;
            int64_t x = elem(&iv, (uint64_t)iv.offset + d * (uint64_t)iv.stride[0] + (uint64_t)j * (uint64_t)iv.stride[1],
                             &at);
            if (x < 0 || x >= size[d]) {
                jlp__buf_printf(why, "a sparse COO tensor whose index indices[%zu][%lld] = %lld is outside [0, %lld)",
                                d, (long long)j, (long long)x, (long long)size[d]);
                out_of_range(out, why, &iv, at, in, inlen, "indices");
                return;
            }
        }
    if (coalesced) {
        /* a tensor said to be coalesced has its indices sorted and distinct: kernels
         * rely on it; checked as torch's validation does, by the linear index */
        uint64_t prev = 0;
        for (int64_t j = 0; j < nnz; j++) {
            uint64_t lin = 0, at = 0;
            bool ok = true;
            for (size_t d = 0; d < sd && ok; d++) {
                int64_t x = elem(&iv, (uint64_t)iv.offset + d * (uint64_t)iv.stride[0] +
                                          (uint64_t)j * (uint64_t)iv.stride[1], &at);
                ok = jlp__mul_u64(lin, (uint64_t)size[d], &lin) && jlp__add_u64(lin, (uint64_t)x, &lin);
            }
            if (!ok || (j > 0 && lin <= prev)) {
                jlp__buf_printf(why, "a sparse COO tensor said to be coalesced whose indices are not sorted and "
                                     "distinct (entry %lld)", (long long)j);
                return;
            }
            prev = lin;
        }
    }
    out->verdict = JLP_VERDICT_SAFE;
}

static void check_compressed(layout_t lay, const jlp_val *data, const int64_t *size, size_t nsize,
                             jlp__storage_lookup lookup, void *ctx, const uint8_t *in, size_t inlen, uint64_t *budget,
                             jlp__buf *why, jlp__sparse_check *out) {
    bool row = lay == L_CSR || lay == L_BSR, block = lay == L_BSR || lay == L_BSC;
    const char *cname = row ? "crow_indices" : "ccol_indices", *pname = row ? "col_indices" : "row_indices";
    if (nsize != 2) {
        jlp__buf_printf(why, "a sparse %s tensor of %zu dimensions (only 2, without batch dimensions, is checked)",
                        LAYOUT_NAMES[lay], nsize);
        return;
    }
    tview cv, pv, vv;
    if (index_tensor(jlp_item(data, 0), cname, 1, lookup, ctx, budget, &cv, why)) return;
    if (index_tensor(jlp_item(data, 1), pname, 1, lookup, ctx, budget, &pv, why)) return;
    const char *bad = tensor_of(jlp_item(data, 2), lookup, ctx, &vv);
    if (bad) {
        jlp__buf_printf(why, "its values %s", bad);
        return;
    }
    int64_t nnz = pv.size[0], b0 = 1, b1 = 1;
    if (block) {
        if (vv.ndim != 3 || !vv.size[1] || !vv.size[2] || size[0] % vv.size[1] || size[1] % vv.size[2]) {
            jlp__buf_printf(why, "a sparse %s tensor whose values are not blocks that divide its size",
                            LAYOUT_NAMES[lay]);
            return;
        }
        b0 = vv.size[1];
        b1 = vv.size[2];
    } else if (vv.ndim != 1) {
        jlp__buf_printf(why, "a sparse %s tensor whose values have %zu dimensions (only 1 is checked)",
                        LAYOUT_NAMES[lay], vv.ndim);
        return;
    }
    int64_t ncomp = row ? size[0] / b0 : size[1] / b1, nplain = row ? size[1] / b1 : size[0] / b0;
    if (cv.size[0] != ncomp + 1 || vv.size[0] != nnz || cv.st->esize != pv.st->esize) {
        jlp__buf_printf(why, "a sparse %s tensor whose %s (%lld), %s (%lld) and values (%lld) do not fit its size "
                             "(%lld, %lld) (torch refuses it)",
                        LAYOUT_NAMES[lay], cname, (long long)cv.size[0], pname, (long long)nnz, (long long)vv.size[0],
                        (long long)size[0], (long long)size[1]);
        return;
    }
    /* every index is checked: plain indices out of order make the tensor suspicious,
     * but a compressed or plain index out of range further on is what the kernels
     * write through (a BSR tensor whose crow_indices go from nnz back to 0 after a
     * first row holding every entry, unsorted there, crashes to_dense), so the worst
     * defect decides, not the first */
    size_t unsorted = SIZE_MAX; /* where why's reason for the first one starts */
    int64_t prev = 0;
    for (int64_t i = 0; i <= ncomp; i++) {
        uint64_t at;
        int64_t x = elem(&cv, (uint64_t)cv.offset + (uint64_t)i * (uint64_t)cv.stride[0], &at);
        /* more entries in a row than the plain dimension has are duplicates: the
         * sortedness below finds them */
        bool ok = i == 0 ? x == 0 : i == ncomp ? x == nnz && x >= prev : x >= prev && x <= nnz;
        if (!ok) {
            if (unsorted != SIZE_MAX) why->len = unsorted;
            jlp__buf_printf(why, "a sparse %s tensor whose %s[%lld] = %lld does not run from 0 up to nnz %lld",
                            LAYOUT_NAMES[lay], cname, (long long)i, (long long)x, (long long)nnz);
            out_of_range(out, why, &cv, at, in, inlen, cname);
            return;
        }
        if (i > 0) {
            /* the plain indices of this compressed row (column): in range, then sorted
             * and distinct */
            int64_t last = -1;
            for (int64_t j = prev; j < x; j++) {
                int64_t y = elem(&pv, (uint64_t)pv.offset + (uint64_t)j * (uint64_t)pv.stride[0], &at);
                if (y < 0 || y >= nplain) {
                    if (unsorted != SIZE_MAX) why->len = unsorted;
                    jlp__buf_printf(why, "a sparse %s tensor whose index %s[%lld] = %lld is outside [0, %lld)",
                                    LAYOUT_NAMES[lay], pname, (long long)j, (long long)y, (long long)nplain);
                    out_of_range(out, why, &pv, at, in, inlen, pname);
                    return;
                }
                if (y <= last && unsorted == SIZE_MAX) {
                    unsorted = why->len;
                    jlp__buf_printf(why, "a sparse %s tensor whose %s[%lld] = %lld is not above the one before it "
                                         "in its %s (torch's validation requires them sorted and distinct)",
                                    LAYOUT_NAMES[lay], pname, (long long)j, (long long)y, row ? "row" : "column");
                }
                last = y;
            }
        }
        prev = x;
    }
    if (unsorted == SIZE_MAX) out->verdict = JLP_VERDICT_SAFE;
}

jlp__sparse_check jlp__torch_sparse_check(bool csr, const jlp_val *args, jlp__storage_lookup lookup, void *ctx,
                                          const uint8_t *data, size_t len, uint64_t *budget, jlp__buf *why) {
    jlp__sparse_check out = {JLP_VERDICT_SUSPICIOUS, UINT64_MAX};
    size_t w0 = why->len;
    layout_t lay = layout_of(jlp_item(args, 0));
    const jlp_val *d = jlp_item(args, 1);
    int64_t size[SPARSE_DIMS];
    size_t nsize = 0;
    if (jlp_len(args) != 2 || lay == L_NONE || (csr && lay != L_CSR) || jlp_get_type(d) != JLP_TUPLE) {
        jlp__buf_puts(why, "a sparse tensor rebuilt from arguments that are not a layout and a tuple as torch "
                           "pickles them");
    } else if (lay == L_COO ? jlp_len(d) != 3 && jlp_len(d) != 4 : jlp_len(d) != 4) {
        jlp__buf_printf(why, "a sparse %s tensor rebuilt from %zu parts", LAYOUT_NAMES[lay], jlp_len(d));
    } else if (!int_seq(jlp_item(d, lay == L_COO ? 2 : 3), size, &nsize)) {
        jlp__buf_puts(why, "a sparse tensor whose size is not a torch.Size of non-negative integers");
    } else if (lay == L_COO) {
        check_coo(d, size, nsize, lookup, ctx, data, len, budget, why, &out);
    } else {
        check_compressed(lay, d, size, nsize, lookup, ctx, data, len, budget, why, &out);
    }
    if (out.verdict == JLP_VERDICT_SAFE) {
        why->len = w0;
        jlp__buf_printf(why, "a sparse %s tensor whose indices fit its size, read and checked as torch's validation "
                             "checks them", LAYOUT_NAMES[lay]);
    } else if (out.verdict == JLP_VERDICT_SUSPICIOUS && why->len > w0 &&
               memcmp(why->data + w0, "a sparse", 8)) {
        /* the parts that are not what torch writes: prefix what was not proved */
        char tail[400];
        size_t n = why->len - w0 < sizeof tail - 1 ? why->len - w0 : sizeof tail - 1;
        memcpy(tail, why->data + w0, n);
        tail[n] = 0;
        why->len = w0;
        jlp__buf_printf(why, "a sparse tensor whose indices the scan cannot check: %s (pickle.load and joblib.load "
                             "never check them)", tail);
    }
    return out;
}

/* ---- quantized tensors ------------------------------------------------------------------
 *
 * torch._utils._rebuild_qtensor(storage, offset, size, stride, quantizer_params, ...)
 * makes an empty quantized tensor and points it at the storage with set_, which for a
 * quantized tensor (torch 1.13) does not check the view against the storage as a dense
 * tensor's does: a size, stride or offset past the storage makes dequantize, int_repr
 * and printing read outside it (SIGSEGV). The scales, zero points and axis are checked
 * by torch (a RuntimeError). */
jlp_verdict jlp__torch_qtensor_check(const jlp_val *args, jlp__storage_lookup lookup, void *ctx, jlp__buf *why) {
    tview tv;
    uint64_t numel;
    const char *bad = tensor_args(args, lookup, ctx, &tv);
    if (bad) {
        jlp__buf_printf(why, "a quantized tensor whose arguments %s", bad);
        return JLP_VERDICT_SUSPICIOUS;
    }
    if (!tv.st) {
        jlp__buf_puts(why, "a quantized tensor over a storage the scan did not read (its size unknown)");
        return JLP_VERDICT_SUSPICIOUS;
    }
    if (!view_fits(&tv, &numel)) {
        jlp__buf_printf(why, "a quantized tensor whose view (offset %lld, %zu dimensions) reaches past its storage "
                             "of %llu elements: set_ does not check it, and dequantize reads outside the storage",
                        (long long)tv.offset, tv.ndim, (unsigned long long)tv.st->numel);
        return JLP_VERDICT_DANGEROUS;
    }
    jlp__buf_puts(why, "a quantized tensor whose view fits its storage");
    return JLP_VERDICT_SAFE;
}
