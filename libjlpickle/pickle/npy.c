/*
 * npy.c - the parts of numpy's .npy files that need the unpickler or the writer: the
 * load body (the header by numpy/npy.c, then the data, or the pickle numpy.save writes
 * for an object array) and the jlp_dump_npy_* entry points (numpy.save's header, then
 * the array's bytes, or its pickle at protocol 3 with numpy's reduce).
 */
#include "vm.h"

#include "../io/sink.h"
#include "../numpy/numpy.h"

jlp_code jlp__npy_body(jlp__vm *m, const jlp__load_how *how) {
    (void)how;
    const jlp__npy_ctx x = {NULL, false, (m->opts->flags & JLP_READ_NPY_PICKLE) != 0};
    jlp__npy_header h;
    uint64_t count = 0, nbytes = 0;
    jlp__np np = jlp__vm_np(m); /* one context: the header reader moves its offset */
    jlp_code c = jlp__npy_read_header(&np, m->src, &x, &h);
    if (!c) c = jlp__npy_data_size(&np, m->src, &x, &h, &count, &nbytes);
    if (c) return c;
    m->op_off = h.data_offset;
    if (jlp__dt(h.dtype)->hasobject) {
        jlp_val *root;
        if ((c = jlp__vm_event(m, JLP_EV_NESTED, h.data_offset, 0)) || (c = jlp__vm_nested(m, &root))) return c;
        if (root->type != JLP_NDARRAY) {
            m->op_off = h.data_offset; /* the nested pickle moved it */
            m->op = -1;
            return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "the pickled payload is %s, not an array",
                                jlp__a_type(root));
        }
        m->result = root;
        return JLP_OK;
    }
    const uint8_t *data;
    bool borrowed;
    if ((c = jlp__vm_read_raw(m, nbytes, &data, &borrowed))) return c;
    if ((c = jlp__vm_event(m, JLP_EV_PAYLOAD, h.data_offset, nbytes))) return c;
    jlp_storage st = !borrowed ? JLP_STORE_ARENA : m->doc->mapped ? JLP_STORE_MMAP : JLP_STORE_BORROWED;
    if ((c = jlp__npy_new_array(&np, &x, &h, data, count, nbytes, st, &m->result))) return c;
    jlp__arr(m->result)->origin = JLP_ORIGIN_NPY;
    return JLP_OK;
}

/* ---- writing ---------------------------------------------------------------------- */

/* A .npy file: numpy.save's header, then the array's bytes as they are (byte order and
 * memory order kept), or for an object array its pickle as numpy.save writes it. */
static jlp_code npy_dump_body(jlp__sink *s, const void *ctx, jlp_error *err) {
    const jlp_val *v = ctx;
    jlp__buf h;
    jlp__buf_init(&h, s->alc);
    jlp_code c = jlp__npy_write_header(&h, v, err);
    if (!c) jlp__sink_write(s, h.data, h.len);
    jlp__buf_release(&h);
    if (c) return c;
    if (v->type == JLP_SCALAR) {
        const jlp__scalar *sc = jlp__sc(v);
        if (!sc->data) return jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "a numpy scalar of object dtype");
        size_t n = (size_t)jlp__dt(sc->dtype)->itemsize;
        if (n) jlp__sink_write(s, sc->data, n);
        return JLP_OK;
    }
    const jlp__ndarray *a = jlp__arr(v);
    if (a->objects) {
        jlp_write_opts o = JLP_WRITE_OPTS_INIT;
        o.protocol = 3;
        o.arrays = JLP_ARRAYS_NUMPY;
        return jlp__write(s, v, &o, err);
    }
    if (a->nbytes > SIZE_MAX) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "array too large for this machine");
    if (a->nbytes) jlp__sink_write(s, a->data, (size_t)a->nbytes);
    return JLP_OK;
}

static jlp_code npy_arg(const jlp_val *v, jlp_error *err) {
    if (!v) return jlp__null_value(err); /* a failed lookup's error is kept */
    jlp__clear(err);
    if (!v || (v->type != JLP_NDARRAY && v->type != JLP_SCALAR))
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "a .npy file holds an ndarray or a numpy scalar");
    return JLP_OK;
}

jlp_code jlp_dump_npy_path(const jlp_val *arr, const char *path, jlp_error *err) {
    jlp_code c = npy_arg(arr, err);
    if (c) return c;
    if (!path || !*path) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL or empty path");
    return jlp__dump_body_path(npy_dump_body, arr, path, err);
}

jlp_code jlp_dump_npy_cb(const jlp_val *arr, jlp_write_fn fn, void *ctx, jlp_error *err) {
    jlp_code c = npy_arg(arr, err);
    if (c) return c;
    if (!fn) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL callback");
    return jlp__dump_body_cb(npy_dump_body, arr, fn, ctx, err);
}

jlp_code jlp_dump_npy_mem(const jlp_val *arr, void **out, size_t *len, jlp_error *err) {
    jlp_code c = npy_arg(arr, err);
    if (!out) return c ? c : jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL output pointer");
    *out = NULL;
    if (len) *len = 0;
    if (c) return c;
    return jlp__dump_body_mem(npy_dump_body, arr, out, len, err);
}
