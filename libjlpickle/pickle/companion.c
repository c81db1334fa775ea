/*
 * companion.c - arrays of joblib <= 0.9, stored beside the main pickle:
 *   NDArrayWrapper  {filename, allow_mmap, subclass}: a standard .npy file
 *   ZNDArrayWrapper {filename, init_args, state}: a ZF file of the raw bytes, with
 *                   shape/dtype/order in `state` = (version, shape, dtype, is_fortran)
 * joblib stores only the base name and joins it to the main file's directory. A name
 * with a separator, "..", or anything but a plain file name is refused (JLP_E_PATH):
 * a pickle must not make the loader open other files.
 */
#include "vm.h"

#include "../io/source.h"

#include <stdio.h>
#include <stdlib.h>

static jlp_code companion_path(jlp__vm *m, const jlp_val *name, char **out) {
    if (m->opts->no_companions)
        return jlp__vm_fail(m, JLP_E_PATH, "companion files are disabled (no_companions)");
    if (!name || name->type != JLP_STR)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "companion file name is not a str");
    const char *n = name->u.s.p;
    size_t len = name->u.s.n;
    if (!len || len > 255 || memchr(n, '/', len) || memchr(n, '\\', len) || memchr(n, '\0', len) ||
        (len == 1 && n[0] == '.') || (len == 2 && n[0] == '.' && n[1] == '.'))
        return jlp__vm_fail(m, JLP_E_PATH, "refused companion file name '%.*s'", (int)(len > 64 ? 64 : len), n);
    const char *main_path = m->src->inner ? m->src->inner->path : m->src->path;
    if (!main_path)
        return jlp__vm_fail(m, JLP_E_PATH, "companion file '%.*s' needs the main file's path (load it with jlp_load_path)",
                            (int)(len > 64 ? 64 : len), n);
    const char *slash = strrchr(main_path, '/');
    size_t dir = slash ? (size_t)(slash - main_path) + 1 : 0;
    char *p = jlp__doc_alloc(m->doc, dir + len + 1);
    if (!p) return jlp__vm_nomem(m);
    memcpy(p, main_path, dir);
    memcpy(p + dir, n, len);
    p[dir + len] = 0;
    *out = p;
    return JLP_OK;
}

/* Read a .npy companion with the .npy header reader (npy.c), errors at the BUILD. */
static jlp_code npy_array(jlp__vm *m, const char *path, jlp_val **out) {
    jlp_error e;
    jlp_source *s = jlp_source_path(path, m->alc, &e);
    if (!s) return jlp__vm_fail(m, JLP_E_IO, "companion %s", e.msg);
    s->detected = true; /* a .npy file, not a container */
    size_t plen = strlen(path);
    char *name = jlp__doc_alloc(m->doc, plen + 11);
    jlp_code c = JLP_OK;
    if (!name) {
        c = jlp__vm_nomem(m);
        goto out;
    }
    memcpy(name, "companion ", 10);
    memcpy(name + 10, path, plen + 1);
    const jlp__npy_ctx x = {name, true, true};
    jlp__np np = jlp__vm_np(m);
    jlp__npy_header h;
    uint64_t count = 0, nbytes = 0;
    if ((c = jlp__npy_read_header(&np, s, &x, &h)) || (c = jlp__npy_data_size(&np, s, &x, &h, &count, &nbytes)))
        goto out;
    if (jlp__dt(h.dtype)->hasobject) {
        /* np.save pickles object arrays after the header */
        jlp_val *root;
        c = jlp__vm_nested_src(m, s, &root);
        if (!c && root->type != JLP_NDARRAY)
            c = jlp__vm_fail(m, JLP_E_BAD_ARRAY, "companion %s: pickled payload is not an array", path);
        if (!c) *out = root;
        goto out;
    }
    uint8_t *data = jlp__doc_alloc(m->doc, (size_t)nbytes + 1);
    if (!data) {
        c = jlp__vm_nomem(m);
        goto out;
    }
    if (jlp__src_copy(s, data, (size_t)nbytes) != nbytes) {
        c = s->failed ? jlp__src_error(s, m->err, m->op_off, m->op)
                      : jlp__vm_fail(m, JLP_E_TRUNCATED, "companion %s: %llu data bytes expected", path,
                                     (unsigned long long)nbytes);
        goto out;
    }
    c = jlp__npy_new_array(&np, &x, &h, data, count, nbytes, JLP_STORE_ARENA, out);
out:
    jlp_source_free(s);
    return c;
}

/* Read a ZNDArrayWrapper's ZF companion of raw bytes. */
static jlp_code zf_array(jlp__vm *m, const char *path, jlp_val *st, jlp_val **out) {
    if (!st || st->type != JLP_TUPLE || st->u.seq.n != 4 || st->u.seq.v[2]->type != JLP_DTYPE)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "ZNDArrayWrapper state is not (version, shape, dtype, is_fortran)");
    uint64_t *shape;
    uint32_t ndim;
    jlp__np np = jlp__vm_np(m);
    jlp_code c = jlp__shape_from_tuple(&np, st->u.seq.v[1], &shape, &ndim);
    if (c) return c;
    jlp_val *dtype = st->u.seq.v[2];
    jlp__dtype_info *dt = jlp__dt(dtype);
    uint64_t count, nbytes;
    if (dt->hasobject || !jlp__array_size(dt, shape, ndim, &count, &nbytes) || nbytes >= SIZE_MAX)
        return jlp__vm_fail(m, JLP_E_BAD_ARRAY, "ZNDArrayWrapper of an object or oversized array");
    jlp_error e;
    jlp_source *s = jlp_source_path(path, m->alc, &e);
    if (!s) return jlp__vm_fail(m, JLP_E_IO, "companion %s: %s", path, e.msg);
    jlp_val *arr = jlp__new_ndarray(m->doc, dtype, shape, ndim);
    uint8_t *data = arr ? jlp__doc_alloc(m->doc, (size_t)nbytes + 1) : NULL;
    if (!data) c = jlp__vm_nomem(m);
    else if (jlp__src_detect(s, m->opts, &e) != JLP_OK)
        c = jlp__vm_fail(m, e.code, "companion %s: %s", path, e.msg);
    else if (strcmp(jlp__src_container(s), "zf") != 0)
        c = jlp__vm_fail(m, JLP_E_BAD_ARRAY, "companion %s is not a ZF file", path);
    else if (jlp__src_copy(s, data, (size_t)nbytes) != nbytes)
        c = s->failed ? jlp__vm_fail(m, s->pending.code ? s->pending.code : JLP_E_IO, "companion %s: %s", path, s->pending.msg)
                      : jlp__vm_fail(m, JLP_E_TRUNCATED, "companion %s: %llu bytes expected", path, (unsigned long long)nbytes);
    else if (jlp_source_at_eof(s, &e) != 1)
        c = jlp__vm_fail(m, e.code ? e.code : JLP_E_TRAILING, "companion %s holds more than the array", path);
    jlp_source_free(s);
    if (c) return c;
    jlp__ndarray *a = jlp__arr(arr);
    a->data = data;
    a->nbytes = nbytes;
    a->count = count;
    a->order = jlp_get_int(st->u.seq.v[3]) ? 'F' : 'C';
    a->storage = JLP_STORE_ARENA;
    *out = arr;
    return JLP_OK;
}

jlp_code jlp__companion_build(jlp__vm *m, jlp_val *state, bool zf, jlp_val **out) {
    char *path = NULL;
    jlp_code c = companion_path(m, jlp_dict_get(state, "filename"), &path);
    if (c) return c;
    c = zf ? zf_array(m, path, jlp_dict_get(state, "state"), out) : npy_array(m, path, out);
    if (c) return c;
    jlp__ndarray *a = jlp__arr(*out);
    a->origin = zf ? JLP_ORIGIN_ZF_COMPANION : JLP_ORIGIN_NPY_COMPANION;
    /* joblib rebuilds a ZF companion with numpy's __setstate__, and passes what
     * numpy.load gives for a .npy companion through _ensure_native_byte_order */
    a->py_order = zf ? JLP_PY_ORDER_NUMPY : JLP_PY_ORDER_JOBLIB;
    jlp_val *sub = jlp_dict_get(state, "subclass");
    if (!sub) {
        jlp_val *init = jlp_dict_get(state, "init_args");
        if (init && init->type == JLP_TUPLE && init->u.seq.n) sub = init->u.seq.v[0];
    }
    a->subclass = sub && sub->type == JLP_GLOBAL ? sub : NULL;
    return JLP_OK;
}
