/*
 * numpy.h - numpy values without numpy: dtypes, arrays and scalars rebuilt from their
 * pickled forms (numpy's own reduce functions and BUILD states) and from .npy headers,
 * never by calling anything the pickle names. joblib's array wrappers and companion
 * files, which read through the unpickler, are pickle/joblib.c and pickle/companion.c.
 *
 * numpy/ may use common/, codec/, io/ and value/, never pickle/ or above
 * (tests/layers/check.sh): errors go through the small context below.
 */
#ifndef JLP_NUMPY_H
#define JLP_NUMPY_H

#include "../common/opts.h"
#include "../io/source.h"
#include "../value/npvalue.h"

/* How numpy code reports, and into what it builds: the document, the error to fill, the
 * read options (alignment, limits), and the position errors name. The unpickler lends
 * one per call (jlp__vm_np in pickle/vm.h: the opcode being executed), the builder API
 * one with no position; numpy code never sees the unpickler. */
typedef struct jlp__np {
    jlp_doc *doc;
    jlp_error *err;
    const jlp_read_opts *opts;
    const jlp_limits *lim;
    int op;              /* the opcode being executed, -1 for none */
    uint64_t op_off;     /* where errors are reported (the opcode's decoded offset) */
    bool layered;        /* decoded from a container: the input byte is not known */
    bool lenient;        /* a scan reading: take what numpy takes, for the scan to judge */
    unsigned descr_depth; /* lists of fields being read, one inside another (descr.c) */
} jlp__np;

/** Note that items are made of the dtype `d` (an array state, a scalar, a buffer):
 *  numpy reads them by whatever state the dtype is given later, so a BUILD after that
 *  is judged (dtype.c). */
static inline void jlp__dt_use(jlp__dtype_info *d) {
    if (!d->built) d->used_unbuilt = true;
}

/** Report `code` at the context's position. @return code. */
jlp_code jlp__np_fail(const jlp__np *m, jlp_code code, const char *fmt, ...) JLP_PRINTF(3, 4);
/** Report an allocation failure (NOMEM, or LIMIT when limits.max_alloc was hit). */
jlp_code jlp__np_nomem(const jlp__np *m);


/** REDUCE of numpy.dtype(descr, align, copy): a dtype awaiting its BUILD state. */
jlp_code jlp__dtype_reduce(jlp__np *m, jlp_val *args, jlp_val **out);
/** A dtype from a kind and size ("<f8", "S5", "O"; a bare letter is numpy's type code),
 *  without datetime units. */
jlp_code jlp__dtype_simple(jlp__np *m, const char *s, size_t n, jlp_val **out);
/** The dtype numpy.dtype(arg, align) gives (numpy 1.24's rules: type strings, names and
 *  codes, comma strings, scalar types, lists and (base, shape) tuples). A scan reading
 *  (m->lenient) takes an argument numpy may accept that is not modelled (a dict, a
 *  computed object, a class outside numpy) as an object dtype, marked `stand_in` unless
 *  numpy itself makes an object dtype of it. */
jlp_code jlp__dtype_arg(jlp__np *m, jlp_val *arg, bool align, jlp_val **out);
/** Python's truth of a value (containers by length, objects true). */
bool jlp__truthy(const jlp_val *v);
/** Whether u[0..n) is one of numpy's datetime units ("ns", "D", "generic"...). */
bool jlp__datetime_unit_known(const char *u, size_t n);
/** BUILD of a dtype with numpy's state tuple (versions 0 to 4). */
jlp_code jlp__dtype_build(jlp__np *m, jlp_val *dt, jlp_val *state);
/** A copy of the dtype `src` (of any document) in `doc`: fields, names, titles that are
 *  str, subarrays and units; metadata is not copied. @return NULL when out of memory. */
jlp_val *jlp__dtype_copy(jlp_doc *doc, const jlp_val *src);
/** `dtype` itself when `doc` owns it, else a copy in `doc` (NULL when out of memory). */
jlp_val *jlp__dtype_in(jlp_doc *doc, const jlp_val *dtype);
/** Recompute derived facts (hasobject, str) after fields changed. */
void jlp__dtype_finish(jlp__dtype_info *d);
/** @return the alignment numpy would require of the dtype's items (1 for packed). */
uint32_t jlp__dtype_align(const jlp__dtype_info *d);

/** numpy reductions: _reconstruct, scalar, _frombuffer. @return JLP_OK with *out, or
 *  *out = NULL when `fn` is not one of them. */
jlp_code jlp__numpy_reduce(jlp__np *m, jlp_val *fn, jlp_val *args, jlp_val **out);
/** The items `iter(arr)` yields, as the tuple pickle.py's `func(*args)` makes of an
 *  array: arr[0], arr[1]... (numpy scalars; bytes and str for S and U items, without
 *  their trailing NULs; the elements of an object array; arrays of the other dimensions
 *  when ndim > 1). @return JLP_OK with *out the tuple, or *out = NULL when numpy's
 *  iteration raises (a 0-d array, a code point past U+10FFFF); NOMEM or LIMIT. */
jlp_code jlp__ndarray_items(jlp__np *m, const jlp_val *arr, jlp_val **out);
/** Whether `fn` is numpy's scalar reconstructor (numpy.core.multiarray.scalar, or
 *  numpy._core's): the unpickler's fast path caches the answer per global node. */
bool jlp__numpy_is_scalar_fn(const jlp_val *fn);
/** A scalar of the dtype `dtype` (not holding objects) over `data`, its itemsize bytes
 *  (not copied: the caller's node keeps them), as scalar(dtype, data) makes it.
 *  @return NULL when out of memory. */
jlp_val *jlp__numpy_scalar_new(jlp_doc *doc, jlp_val *dtype, const uint8_t *data);
/** BUILD on an ndarray made by _reconstruct. */
jlp_code jlp__ndarray_build(jlp__np *m, jlp_val *arr, jlp_val *state);
/** A new array node; shape copied. */
jlp_val *jlp__new_ndarray(jlp_doc *d, jlp_val *dtype, const uint64_t *shape, uint32_t ndim);
/** Product of the shape times the itemsize, checked. @return false on overflow. */
bool jlp__array_size(const jlp__dtype_info *dt, const uint64_t *shape, uint32_t ndim,
                     uint64_t *count, uint64_t *nbytes);
/** Read a shape tuple of non-negative ints. */
jlp_code jlp__shape_from_tuple(jlp__np *m, jlp_val *t, uint64_t **shape, uint32_t *ndim);


/** Whether Python holds `a` (after loading the file it came from) in host byte order
 *  although its dtype says otherwise: true for a non-native array Python's loader
 *  swapped (see jlp__py_order). */
bool jlp__python_swapped(const jlp__ndarray *a);
/** A copy of the structured dtype `dt` (in `doc`) with every field in host byte order,
 *  as joblib's newbyteorder('=') makes it; its fields are simple items. NULL when out of
 *  memory. */
jlp_val *jlp__dtype_fields_native(jlp_doc *doc, const jlp_val *dt);
/** Swap `count` items of dtype `d` at p (stride bytes apart) to host byte order. */
void jlp__swap_to_host(const jlp__dtype_info *d, uint8_t *p, uint64_t count, uint64_t stride);

/** Apply the alignment policy to an array whose data lies in the input: copy it into
 *  the document when misaligned under JLP_ALIGN_COPY, fail under JLP_ALIGN_REQUIRE. */
jlp_code jlp__array_place(jlp__np *m, jlp__ndarray *a);

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
jlp_code jlp__npy_read_header(jlp__np *m, jlp_source *src, const jlp__npy_ctx *x, jlp__npy_header *h);
/** Check the data the header announces before it is read: an object array without
 *  allow_pickle (UNSUPPORTED), a size that overflows or an item size of 0 (BAD_ARRAY),
 *  more than src holds (TRUNCATED) or a stream's payload over max_alloc (LIMIT).
 *  *count and *nbytes are left alone for object arrays. */
jlp_code jlp__npy_data_size(jlp__np *m, jlp_source *src, const jlp__npy_ctx *x, const jlp__npy_header *h,
                            uint64_t *count, uint64_t *nbytes);
/** The ndarray of a .npy header over `data` (nbytes, where `storage` says), the
 *  alignment policy applied. */
jlp_code jlp__npy_new_array(jlp__np *m, const jlp__npy_ctx *x, const jlp__npy_header *h, const uint8_t *data,
                            uint64_t count, uint64_t nbytes, jlp_storage storage, jlp_val **out);
/** Append to `out` the .npy header numpy.save writes for `v` (an ndarray or a numpy
 *  scalar, a 0-d array): version 1.0, else 2.0, else 3.0. @return JLP_OK,
 *  INVALID_ARG (not an array), UNSUPPORTED (overlapping fields), NOMEM. */
jlp_code jlp__npy_write_header(jlp__buf *out, const jlp_val *v, jlp_error *err);

/** Parse a Python literal (dict, list, tuple, str, int, bool, None) into values of
 *  `doc`. @return NULL when malformed. */
jlp_val *jlp__parse_literal(jlp_doc *doc, const char *text, size_t n);
/** A dtype from a type string ("<f8", "M8[ns]"; no byte order = host order). */
jlp_code jlp__dtype_from_str(jlp__np *m, const char *s, size_t n, jlp_val **out);
/** A dtype from a descr value: a type string or a list of (name, descr[, shape]). */
jlp_code jlp__dtype_from_descr(jlp__np *m, jlp_val *descr, jlp_val **out);
/** A dtype from text: a type string, a numpy name ("float64"), a descr literal or
 *  numpy's dict form ({'names': ..., 'formats': ..., 'offsets': ..., 'itemsize': ...}),
 *  which may also stand for a field's format inside either. */
jlp_code jlp__dtype_from_text(jlp__np *m, const char *text, size_t n, jlp_val **out);

#endif
