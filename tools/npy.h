/*
 * npy.h - the Python literal of a dtype given in JSON, for jldump --from-json (which
 * reads {"$npy": FILE} tags with the library's jlp_load_npy_path).
 */
#ifndef JLP_NPY_H
#define JLP_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "json_in.h"

/** Append the Python literal of a dtype given as spec/JSON.md writes it (a string such
 *  as "<f8", a structured descr list, or numpy's dict form for fields that overlap or
 *  are out of order) to buf (cap bytes, NUL-terminated).
 *  @return 0, or -1 when it does not fit or is malformed. */
int npy_descr_py(const char *text, const jv *d, char *buf, size_t cap);
#endif
