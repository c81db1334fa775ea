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
