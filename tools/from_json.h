/*
 * from_json.h - build a document from the tagged JSON of spec/JSON.md (what jlload
 * --json prints), for jldump --from-json. Arrays may also be given as
 * {"$npy": "path.npy"}, relative to `base_dir`. Iterative: nesting depth costs heap only.
 */
#ifndef JLP_FROM_JSON_H
#define JLP_FROM_JSON_H

#include "jlpickle.h"

/** Parse text[0, len) and build its value into a new document.
 *  @return the document (root set), or NULL with "LINE:COL: message" in msg. */
jlp_doc *from_json(const char *text, size_t len, const char *base_dir, char *msg, size_t cap);

#endif
