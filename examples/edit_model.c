/*
 * edit_model.c - change one coefficient of a scikit-learn linear model saved by
 * joblib.dump() (or pickle.dump()), and save the edited model.
 *
 * Build (from the source tree, after `make`):
 *
 *     cc -Ilibjlpickle examples/edit_model.c build/libjlpickle.a \
 *        -lz -lbz2 -llzma -llz4 -lzstd -lm -o edit_model
 *     ./edit_model IN OUT INDEX VALUE
 *
 * sets coef_.flat[INDEX] = VALUE (INDEX counts in C order, as numpy's .flat does,
 * whatever the array's memory order) in the model read from IN and writes OUT with the
 * container and protocol IN had (a gzip file stays gzip, and so on). OUT may be IN.
 *
 * The model is an object whose BUILD state is a dict of its attributes; coef_ is a
 * float64 (or float32) ndarray. The library keeps array bytes exactly as the file has
 * them, in the file's byte order: a model saved on a big-endian machine, or one whose
 * coef_ was built as ">f8", has big-endian bytes. The program reads and writes the
 * element in that order, so the rest of the file is left untouched.
 */
#include "jlpickle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const jlp_error *err) {
    if (err && err->code != JLP_OK)
        fprintf(stderr, "edit_model: %s: %s (%s)\n", what, err->msg, jlp_error_name(err->code));
    else
        fprintf(stderr, "edit_model: %s\n", what);
    return 1;
}

/* Copy n bytes, reversing them when `swap` is set. */
static void copy_bytes(void *dst, const void *src, size_t n, int swap) {
    const uint8_t *s = src;
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++) d[i] = swap ? s[n - 1 - i] : s[i];
}

/* Byte offset of element `flat` (C order) in an array stored in `order`. */
static uint64_t element_offset(const jlp_array_info *a, uint64_t flat, uint64_t itemsize) {
    if (a->order == 'C' || a->ndim < 2) return flat * itemsize;
    /* Fortran order: unravel the C-order index, re-ravel with the first axis fastest */
    uint64_t idx[32], rest = flat, mem = 0, stride = 1;
    for (uint32_t d = a->ndim; d-- > 0;) {
        idx[d] = rest % a->shape[d];
        rest /= a->shape[d];
    }
    for (uint32_t d = 0; d < a->ndim; d++) {
        mem += idx[d] * stride;
        stride *= a->shape[d];
    }
    return mem * itemsize;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s IN OUT INDEX VALUE\n", argv[0]);
        return 2;
    }
    const char *in = argv[1], *out = argv[2];
    char *end;
    errno = 0;
    unsigned long long flat = strtoull(argv[3], &end, 10);
    if (errno || *end || argv[3][0] == '-') return fail("INDEX must be a non-negative integer", NULL);
    double value = strtod(argv[4], &end);
    if (*end || end == argv[4]) return fail("VALUE must be a number", NULL);

    /* Map an uncompressed IN instead of reading it: arrays then point into the read-only
     * mapping, and jlp_array_data_mut() copies just the array we change. OUT may be IN:
     * jlp_dump_path() writes a temporary file and renames it over IN, and the mapping
     * keeps the old file's bytes until jlp_doc_free(). */
    jlp_read_opts ropts;
    jlp_read_opts_init(&ropts);
    ropts.mmap = 1;
    jlp_error err;
    jlp_doc *doc = jlp_load_path(in, &ropts, &err);
    if (!doc) return fail(in, &err);
    int status = 1;

    /* root: the estimator object; its BUILD state: the attribute dict */
    jlp_val *model = jlp_doc_root(doc);
    jlp_val *state = jlp_obj_state(model);
    if (jlp_get_type(model) != JLP_OBJECT || jlp_get_type(state) != JLP_DICT) {
        fail("the file does not hold an object with a dict state (a fitted estimator)", NULL);
        goto done;
    }
    jlp_val *cls = jlp_obj_callable(model);
    jlp_val *coef = jlp_dict_get(state, "coef_");
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    if (!jlp_array_get(coef, &a)) {
        fail("the model has no coef_ array (is it a fitted linear model?)", NULL);
        goto done;
    }
    char kind = jlp_dtype_kind(a.dtype);
    uint64_t itemsize = jlp_dtype_itemsize(a.dtype);
    if (kind != 'f' || (itemsize != 4 && itemsize != 8)) {
        fprintf(stderr, "edit_model: coef_ has dtype %s; float32 or float64 expected\n", jlp_dtype_str(a.dtype));
        goto done;
    }
    if (flat >= a.count) {
        fprintf(stderr, "edit_model: INDEX %llu is outside coef_ (%llu elements)\n", flat,
                (unsigned long long)a.count);
        goto done;
    }

    /* jlp_array_data_mut gives writable bytes (copying them into the document first when
     * they were borrowed from the file or a mapping). The pointer from jlp_array_get is
     * read-only. */
    uint8_t *data = jlp_array_data_mut(doc, coef);
    if (!data) {
        fail("jlp_array_data_mut failed (out of memory)", NULL);
        goto done;
    }
    uint8_t *item = data + element_offset(&a, flat, itemsize);
    /* a.native says whether the items are in this machine's byte order; if not, every
     * item is read and written reversed */
    int swap = !a.native;

    double old;
    if (itemsize == 8) {
        copy_bytes(&old, item, 8, swap);
        copy_bytes(item, &value, 8, swap);
    } else {
        float f, nf = (float)value;
        copy_bytes(&f, item, 4, swap);
        old = f;
        copy_bytes(item, &nf, 4, swap);
    }
    const char *mod = jlp_global_module(cls, NULL), *name = jlp_global_name(cls, NULL);
    printf("%s.%s: coef_.flat[%llu] (%s, %s order) %.17g -> %.17g\n", mod ? mod : "?", name ? name : "?", flat,
           jlp_dtype_str(a.dtype), a.order == 'F' ? "Fortran" : "C", old, value);

    /* Write it back as it came: same protocol, same container, and joblib's array layout
     * if the file had it (a plain pickle keeps numpy's own array reduce). */
    jlp_write_opts opts = JLP_WRITE_OPTS_INIT;
    int proto = jlp_doc_protocol(doc);
    opts.protocol = proto >= 2 ? proto : 2; /* 0 means "no PROTO opcode": protocol 0 or 1 */
    opts.codec = jlp_doc_container(doc);
    if (strcmp(opts.codec, "zf") == 0) opts.codec = "zlib"; /* joblib <= 0.9's ZF is read-only */
    opts.arrays = jlp_doc_generation(doc) ? JLP_ARRAYS_JOBLIB : JLP_ARRAYS_NUMPY;
    if (jlp_dump_path(model, out, &opts, &err) != JLP_OK) {
        fail(out, &err);
        goto done;
    }
    printf("wrote %s (%s, protocol %d)\n", out, opts.codec, opts.protocol);
    status = 0;
done:
    jlp_doc_free(doc);
    return status;
}
