/*
 * npy.h - numpy's .npy format (format version 1.0, or 2.0 for headers over 64 KiB) as
 * numpy.save writes it, for jlload --extract and jldump --from-json.
 */
#ifndef JLP_NPY_H
#define JLP_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "json_in.h"

/** Append the Python literal of a dtype given as spec/JSON.md writes it (a string such
 *  as "<f8", or a structured descr list) to buf (cap bytes, NUL-terminated).
 *  @return 0, or -1 when it does not fit or is malformed. */
int npy_descr_py(const char *text, const jv *d, char *buf, size_t cap);
/** Write an .npy file. descr_py is the Python literal of the descr ('<f8' with quotes,
 *  or a list). @return 0, or -1 with errno set. */
int npy_write(const char *path, const char *descr_py, int fortran, uint32_t ndim,
              const uint64_t *shape, const void *data, uint64_t nbytes);

typedef struct npy_file {
    char *descr;        /**< the descr literal: text of the string, or "[...]" */
    int fortran;
    uint32_t ndim;
    uint64_t shape[64];
    void *data;         /**< malloc()ed payload */
    size_t nbytes;      /**< payload bytes after the header */
} npy_file;
/** Read an .npy file. @return 0, or -1 with a message in err. */
int npy_read(const char *path, npy_file *out, char *err, size_t cap);
void npy_free(npy_file *f);

#endif
