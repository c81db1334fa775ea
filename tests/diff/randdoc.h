/*
 * randdoc.h - random documents made with the builder API, for the differential test
 * (tests/diff/): what the writer writes from them must load in Python as the document
 * says (tests/diff/diff.py compares through the JSON export).
 */
#ifndef JLP_RANDDOC_H
#define JLP_RANDDOC_H

#include "jlpickle.h"

#include <stdint.h>

/** A random document from `seed`: its root, in a new document (*doc, freed by the
 *  caller). `joblib_arrays`: it will be written in joblib's layout, where an array
 *  referenced twice loads as two arrays and an object array's elements are a pickle of
 *  their own, so arrays are not shared and object array elements share nothing with
 *  the rest. @return the root, or NULL when the builder failed (a bug: the message is
 *  in *why). */
jlp_val *randdoc_make(uint64_t seed, int joblib_arrays, jlp_doc **doc, const char **why);

#endif
