/*
 * dump.c - the jlp_dump_* entry points: arguments checked, options resolved, and the
 * writer (writer.c) run as the body of a dump (io/output.c chooses the codec, sets up the
 * sink and writes files atomically).
 */
#include "vm.h"

#include "../common/opts.h"
#include "../io/sink.h"

/* A pickle of `ctx` (the root value) with the options the job carries. */
typedef struct pickle_job {
    const jlp_val *root;
    const jlp_write_opts *o;
} pickle_job;

static jlp_code pickle_body(jlp__sink *s, const void *ctx, jlp_error *err) {
    const pickle_job *p = ctx;
    return jlp__write(s, p->root, p->o, err);
}

jlp_code jlp_dump_cb(const jlp_val *root, jlp_write_fn fn, void *ctx, const jlp_write_opts *opts,
                     jlp_error *err) {
    if (!root) return jlp__null_value(err); /* a failed lookup's error is kept */
    jlp__clear(err);
    if (!fn) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL callback");
    jlp_write_opts resolved;
    jlp_code oc = jlp__write_opts_take(&resolved, opts, err);
    if (oc) return oc;
    pickle_job p = {root, &resolved};
    jlp__dump_job j = {pickle_body, &p, &resolved};
    return jlp__dump_run_cb(&j, fn, ctx, err);
}

jlp_code jlp_dump_file(const jlp_val *root, FILE *fp, const jlp_write_opts *opts, jlp_error *err) {
    if (!root) return jlp__null_value(err); /* a failed lookup's error is kept */
    jlp__clear(err);
    if (!fp) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL FILE");
    jlp_write_opts resolved;
    jlp_code oc = jlp__write_opts_take(&resolved, opts, err);
    if (oc) return oc;
    pickle_job p = {root, &resolved};
    jlp__dump_job j = {pickle_body, &p, &resolved};
    return jlp__dump_run_file(&j, fp, err);
}

jlp_code jlp_dump_fd(const jlp_val *root, int fd, const jlp_write_opts *opts, jlp_error *err) {
    if (!root) return jlp__null_value(err); /* a failed lookup's error is kept */
    jlp__clear(err);
    if (fd < 0) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "negative fd");
    jlp_write_opts resolved;
    jlp_code c = jlp__write_opts_take(&resolved, opts, err);
    pickle_job p = {root, &resolved};
    jlp__dump_job j = {pickle_body, &p, &resolved};
    return c ? c : jlp__dump_run_fd(&j, fd, err);
}

jlp_code jlp_dump_mem(const jlp_val *root, const jlp_write_opts *opts, void **out, size_t *len,
                      jlp_error *err) {
    if (out) *out = NULL;
    if (len) *len = 0;
    if (!root) return jlp__null_value(err); /* a failed lookup's error is kept */
    jlp__clear(err);
    if (!out) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL output pointer");
    *out = NULL;
    if (len) *len = 0;
    jlp_write_opts resolved;
    jlp_code oc = jlp__write_opts_take(&resolved, opts, err);
    if (oc) return oc;
    pickle_job p = {root, &resolved};
    jlp__dump_job j = {pickle_body, &p, &resolved};
    return jlp__dump_run_mem(&j, out, len, err);
}

jlp_code jlp_dump_path(const jlp_val *root, const char *path, const jlp_write_opts *opts,
                       jlp_error *err) {
    if (!root) return jlp__null_value(err); /* a failed lookup's error is kept */
    jlp__clear(err);
    if (!path || !*path) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL or empty path");
    jlp_write_opts resolved;
    jlp_code oc = jlp__write_opts_take(&resolved, opts, err);
    if (oc) return oc;
    pickle_job p = {root, &resolved};
    jlp__dump_job j = {pickle_body, &p, &resolved};
    return jlp__dump_run_path(&j, path, err);
}
