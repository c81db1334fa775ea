/*
 * npy.h - reading .npy files for jldump --from-json ({"$npy": FILE} tags), and the
 * Python literal of a dtype given in JSON. Writing .npy files is the library's
 * (jlp_dump_npy_*).
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
