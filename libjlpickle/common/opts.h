/*
 * opts.h - reading and filling the growable public structs (jlpickle.h, "ABI").
 *
 * A growable struct starts with `size_t size`, set by its _INIT macro and _init
 * function to the sizeof the caller was compiled with. Fields are only ever appended,
 * so the caller's size says which fields it knows:
 *
 *   - an options struct the library reads (jlp_read_opts, jlp_limits, jlp_write_opts,
 *     jlp_json_opts, ...) is copied with jlp__struct_in() over the library's defaults:
 *     fields beyond the caller's size keep their defaults;
 *   - an out-struct the library fills (jlp_array_info, ...) is filled with
 *     jlp__struct_out(): only the bytes the caller's struct has are written.
 *
 * Every function here depends on the public header only, so any layer may use it.
 */
#ifndef JLP_OPTS_H
#define JLP_OPTS_H

#include "common.h"

#include <stddef.h>

/* A caller struct larger than this is refused without reading it: its size field was
 * most likely never set. No struct of this header comes near it. */
#define JLP__STRUCT_MAX_SIZE 4096

/** Copy the caller's growable struct `user` (NULL: keep every default) into `dst`, a
 *  struct of the library's own version (`dst_size` = its sizeof) already holding the
 *  defaults. Fields wholly inside the caller's size are taken from `user`; the others
 *  keep their defaults. A caller struct larger than the library's (a program built
 *  against a newer header) is accepted when every byte this library does not know is
 *  zero, so a newer option that was asked for is never silently ignored. The size
 *  field of `dst` is left as dst_size. `type` names the struct in messages.
 *  @return JLP_OK; JLP_E_INVALID_ARG when the caller's size is below sizeof(size_t) or
 *  above JLP__STRUCT_MAX_SIZE (not initialised with the _INIT macro or _init function);
 *  JLP_E_UNSUPPORTED when a field unknown to this library is set. */
jlp_code jlp__struct_in(void *dst, size_t dst_size, const void *user, const char *type,
                        jlp_error *err);

/** Give the caller's growable out-struct `user` the leading bytes of `full`, the
 *  library's filled struct of `full_size` bytes: min(caller size, full_size) of them,
 *  the caller's size field kept.
 *  @return false (nothing written) when user is NULL or its size is below
 *  sizeof(size_t) or above JLP__STRUCT_MAX_SIZE. */
bool jlp__struct_out(void *user, const void *full, size_t full_size);

/** Whether the growable struct `s` of type `T` (its size field as the caller set it)
 *  holds `field` wholly: for structs a library function reads in place. */
#define JLP__HAS_FIELD(s, T, field) ((s)->size >= offsetof(T, field) + sizeof(((T *)0)->field))

/** Read options resolved once per public call: the caller's options and limits copied
 *  over the defaults, `opts.limits` pointing at `limits`. Not copyable by value (it
 *  points into itself): keep it where it was resolved. */
typedef struct jlp__read_cfg {
    jlp_read_opts opts;
    jlp_limits limits;
} jlp__read_cfg;

/** Resolve `user` (NULL: defaults) into `cfg`. @return as jlp__struct_in. */
jlp_code jlp__read_cfg_init(jlp__read_cfg *cfg, const jlp_read_opts *user, jlp_error *err);
/** @return the resolved default read options (static, immutable, limits set). */
const jlp_read_opts *jlp__read_opts_default(void);

/** Resolve `user` write options (NULL: defaults) into `out`. @return as jlp__struct_in. */
jlp_code jlp__write_opts_take(jlp_write_opts *out, const jlp_write_opts *user, jlp_error *err);
/** Resolve `user` JSON options (NULL: defaults) into `out`. @return as jlp__struct_in. */
jlp_code jlp__json_opts_take(jlp_json_opts *out, const jlp_json_opts *user, jlp_error *err);

#endif /* JLP_OPTS_H */
