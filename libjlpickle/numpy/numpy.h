/*
 * numpy.h - numpy values without numpy: dtypes, arrays and scalars rebuilt from their
 * pickled forms (numpy's own reduce functions and joblib's array wrappers), never by
 * calling anything the pickle names.
 */
#ifndef JLP_NUMPY_H
#define JLP_NUMPY_H

#include "../pickle/vm.h"

typedef struct jlp_field {
    const char *name;
    size_t name_len;
    jlp_val *name_val;    /* the str node the name came from (kept for rewriting) */
    jlp_val *dtype;       /* JLP_DTYPE */
    uint64_t offset;
    jlp_val *title;       /* NULL when none */
} jlp_field;

typedef struct jlp_dtype_info {
    jlp_doc *doc;         /* the document that owns the node */
    char kind;            /* b i u f c S U V M m O */
    char byteorder;       /* '<' '>' '|' */
    uint64_t itemsize;
    uint32_t alignment;
    int32_t flags;        /* numpy's dtype flags from the pickled state */
    bool hasobject;
    bool built;           /* BUILD applied */
    bool bfloat16;        /* PyTorch's bfloat16 (kind 'V', itemsize 2, str "bfloat16"):
                             the upper half of an IEEE float32, in `byteorder` */
    uint8_t depth;        /* nesting of fields and subarrays (bounded, see dtype.c) */
    bool structured;      /* has names and fields (even none: numpy's dtype([])) */
    size_t nfields;
    jlp_field *fields;    /* in `names` order */
    jlp_val *sub_base;    /* subarray base dtype, or NULL */
    size_t sub_ndim;
    uint64_t *sub_shape;
    char unit[8];         /* datetime unit ("ns"), empty when generic */
    int64_t unit_num;
    jlp_val *metadata;
    char str[40];         /* numpy's dtype.str, computed at BUILD */
} jlp_dtype_info;

/* A conversion of an array's elements made for a typed view (view.c), kept for the
 * document's lifetime so the same request returns the same bytes. */
typedef struct jlp__conv {
    struct jlp__conv *next;
    int64_t field;        /* index of the field viewed, -1 for the whole array */
    int elem;             /* jlp_elem */
    bool round;           /* made with JLP_AS_ROUND */
    const void *data;
    const uint64_t *shape;
    uint32_t ndim;
    uint64_t count;
} jlp__conv;

typedef struct jlp_ndarray {
    jlp_doc *doc;         /* the document that owns the node (typed views convert into it) */
    jlp__conv *convs;     /* conversions made for typed views, newest first */
    jlp_val *dtype;       /* JLP_DTYPE */
    uint32_t ndim;
    uint64_t *shape;
    uint64_t count;       /* elements */
    char order;           /* 'C' or 'F': memory order of data */
    const uint8_t *data;  /* NULL for object arrays */
    uint64_t nbytes;
    jlp_val *objects;     /* object arrays: JLP_LIST of the elements in C order */
    uint8_t storage;      /* jlp_storage */
    uint8_t origin;       /* jlp_array_origin */
    uint64_t offset;      /* decoded-stream offset of data, UINT64_MAX when none */
    jlp_val *subclass;    /* the subclass global recorded by joblib, or NULL */
    jlp_val *wrapper_dtype; /* joblib object arrays: the wrapper state's dtype node (the
                               nested pickle has its own); NULL otherwise */
    bool pending;         /* _reconstruct placeholder waiting for its BUILD */
    bool unbuilt;         /* pending with no value numpy would give the same way (its items
                             uninitialised memory): counted in doc->unbuilt */
    uint8_t py_order;     /* jlp_py_order: what Python's loader did to its byte order */
} jlp_ndarray;

/* What Python's loader does with an array whose bytes are not in the host's order (the
 * document keeps the file's order; a rewrite must give Python what it had). */
typedef enum jlp_py_order {
    JLP_PY_ORDER_KEPT = 0,   /* the byte order stays (numpy's _frombuffer, the builder) */
    JLP_PY_ORDER_NUMPY = 1,  /* numpy's __setstate__ (protocols 0-4, ZF companions) swaps an
                                array whose dtype is not native at its top (not the fields of
                                a structured dtype) and makes the dtype native */
    JLP_PY_ORDER_JOBLIB = 2  /* joblib's read (wrappers, .npy companions): as numpy, and also
                                a structured dtype whose fields all are in the other order */
} jlp_py_order;

typedef struct jlp_scalar {
    jlp_val *dtype;
    const uint8_t *data;  /* itemsize bytes */
    jlp_val *object;      /* object dtype scalars */
} jlp_scalar;

static inline jlp_dtype_info *jlp__dt(const jlp_val *v) { return (jlp_dtype_info *)v->u.ext; }
static inline jlp_ndarray *jlp__arr(const jlp_val *v) { return (jlp_ndarray *)v->u.ext; }
static inline jlp_scalar *jlp__sc(const jlp_val *v) { return (jlp_scalar *)v->u.ext; }

/** REDUCE of numpy.dtype(descr, align, copy): a dtype awaiting its BUILD state. */
jlp_code jlp__dtype_reduce(jlp__vm *m, jlp_val *args, jlp_val **out);
/** Whether u[0..n) is one of numpy's datetime units ("ns", "D", "generic"...). */
bool jlp__datetime_unit_known(const char *u, size_t n);
/** BUILD of a dtype with numpy's state tuple (versions 0 to 4). */
jlp_code jlp__dtype_build(jlp__vm *m, jlp_val *dt, jlp_val *state);
/** A copy of the dtype `src` (of any document) in `doc`: fields, names, titles that are
 *  str, subarrays and units; metadata is not copied. @return NULL when out of memory. */
jlp_val *jlp__dtype_copy(jlp_doc *doc, const jlp_val *src);
/** `dtype` itself when `doc` owns it, else a copy in `doc` (NULL when out of memory). */
jlp_val *jlp__dtype_in(jlp_doc *doc, const jlp_val *dtype);
/** Recompute derived facts (hasobject, str) after fields changed. */
void jlp__dtype_finish(jlp_dtype_info *d);
/** @return the alignment numpy would require of the dtype's items (1 for packed). */
uint32_t jlp__dtype_align(const jlp_dtype_info *d);

/** numpy reductions: _reconstruct, scalar, _frombuffer. @return JLP_OK with *out, or
 *  *out = NULL when `fn` is not one of them. */
jlp_code jlp__numpy_reduce(jlp__vm *m, jlp_val *fn, jlp_val *args, jlp_val **out);
/** BUILD on an ndarray made by _reconstruct. */
jlp_code jlp__ndarray_build(jlp__vm *m, jlp_val *arr, jlp_val *state);
/** A new array node; shape copied. */
jlp_val *jlp__new_ndarray(jlp_doc *d, jlp_val *dtype, const uint64_t *shape, uint32_t ndim);
/** Product of the shape times the itemsize, checked. @return false on overflow. */
bool jlp__array_size(const jlp_dtype_info *dt, const uint64_t *shape, uint32_t ndim,
                     uint64_t *count, uint64_t *nbytes);
/** Read a shape tuple of non-negative ints. */
jlp_code jlp__shape_from_tuple(jlp__vm *m, jlp_val *t, uint64_t **shape, uint32_t *ndim);

/** BUILD on joblib's NumpyArrayWrapper / NDArrayWrapper / ZNDArrayWrapper: read the
 *  payload and replace the wrapper on the stack with the array. @return JLP_OK with
 *  *handled = false when `target` is not a joblib wrapper. */
jlp_code jlp__joblib_build(jlp__vm *m, jlp_val *target, jlp_val *state, bool *handled);

/** Whether Python holds `a` (after loading the file it came from) in host byte order
 *  although its dtype says otherwise: true for a non-native array Python's loader
 *  swapped (see jlp_py_order). */
bool jlp__python_swapped(const jlp_ndarray *a);
/** A copy of the structured dtype `dt` (in `doc`) with every field in host byte order,
 *  as joblib's newbyteorder('=') makes it; its fields are simple items. NULL when out of
 *  memory. */
jlp_val *jlp__dtype_fields_native(jlp_doc *doc, const jlp_val *dt);
/** Swap `count` items of dtype `d` at p (stride bytes apart) to host byte order. */
void jlp__swap_to_host(const jlp_dtype_info *d, uint8_t *p, uint64_t count, uint64_t stride);

/** Apply the alignment policy to an array whose data lies in the input: copy it into
 *  the document when misaligned under JLP_ALIGN_COPY, fail under JLP_ALIGN_REQUIRE. */
jlp_code jlp__array_place(jlp__vm *m, jlp_ndarray *a);
/** NDArrayWrapper (zf = false: a .npy companion) and ZNDArrayWrapper (zf = true: a ZF
 *  companion of raw bytes) of joblib <= 0.9. */
jlp_code jlp__companion_build(jlp__vm *m, jlp_val *state, bool zf, jlp_val **out);

/** How the .npy reader (npy.c) reports: `name` (or NULL) leads its messages; a
 *  `companion` (of a joblib <= 0.9 pickle) reports at the current opcode, and a file
 *  that is no .npy as BAD_ARRAY, where a .npy file of its own reports at its bytes and
 *  as UNKNOWN_FORMAT; `allow_pickle` lets object arrays (their pickle) through instead
 *  of refusing them with UNSUPPORTED. */
typedef struct jlp__npy_ctx {
    const char *name;
    bool companion;
    bool allow_pickle;
} jlp__npy_ctx;

/** What a .npy header says. */
typedef struct jlp__npy_header {
    int major;            /* format version 1, 2 or 3 */
    jlp_val *dtype;
    uint64_t *shape;
    uint32_t ndim;
    bool fortran;
    uint64_t data_offset; /* where the data starts, from the magic */
} jlp__npy_header;

/** Whether `head` starts with the .npy magic "\\x93NUMPY". */
bool jlp__npy_magic(const uint8_t *head, size_t len);
/** Read the magic and header of a .npy file at src's position into *h (dtype and shape
 *  in m->doc). Errors go to m->err (see jlp__npy_ctx). */
jlp_code jlp__npy_read_header(jlp__vm *m, jlp_source *src, const jlp__npy_ctx *x, jlp__npy_header *h);
/** Check the data the header announces before it is read: an object array without
 *  allow_pickle (UNSUPPORTED), a size that overflows or an item size of 0 (BAD_ARRAY),
 *  more than src holds (TRUNCATED) or a stream's payload over max_alloc (LIMIT).
 *  *count and *nbytes are left alone for object arrays. */
jlp_code jlp__npy_data_size(jlp__vm *m, jlp_source *src, const jlp__npy_ctx *x, const jlp__npy_header *h,
                            uint64_t *count, uint64_t *nbytes);
/** The ndarray of a .npy header over `data` (nbytes, where `storage` says), the
 *  alignment policy applied. */
jlp_code jlp__npy_new_array(jlp__vm *m, const jlp__npy_ctx *x, const jlp__npy_header *h, const uint8_t *data,
                            uint64_t count, uint64_t nbytes, jlp_storage storage, jlp_val **out);
/** Append to `out` the .npy header numpy.save writes for `v` (an ndarray or a numpy
 *  scalar, a 0-d array): version 1.0, else 2.0, else 3.0. @return JLP_OK,
 *  INVALID_ARG (not an array), UNSUPPORTED (overlapping fields), NOMEM. */
jlp_code jlp__npy_write_header(jlp__buf *out, const jlp_val *v, jlp_error *err);

/** Parse a Python literal (dict, list, tuple, str, int, bool, None) into values of
 *  `doc`. @return NULL when malformed. */
jlp_val *jlp__parse_literal(jlp_doc *doc, const char *text, size_t n);
/** A dtype from a type string ("<f8", "M8[ns]"; no byte order = host order). */
jlp_code jlp__dtype_from_str(jlp__vm *m, const char *s, size_t n, jlp_val **out);
/** A dtype from a descr value: a type string or a list of (name, descr[, shape]). */
jlp_code jlp__dtype_from_descr(jlp__vm *m, jlp_val *descr, jlp_val **out);
/** A dtype from text: a type string, a numpy name ("float64") or a descr literal. */
jlp_code jlp__dtype_from_text(jlp__vm *m, const char *text, size_t n, jlp_val **out);

#endif
