/*
 * npz.c - numpy's .npz archives (numpy.savez, savez_compressed): read as numpy.load reads
 * them, written as numpy writes them.
 *
 * Reading follows numpy/lib/npyio.py's NpzFile: the keys are the member names with a
 * trailing ".npy" removed, in the archive's order; a member whose bytes start with the
 * .npy magic is an array (read by the library's one .npy reader, numpy/npy.c, into the
 * same document), any other member is its bytes. Object arrays need JLP_READ_NPY_PICKLE,
 * as numpy.load needs allow_pickle=True. A stored member loaded with mmap is used in
 * place (numpy.load has no mmap for .npz: it reads every member).
 */
#include "archive.h"

#include "../common/opts.h"
#include "../numpy/numpy.h"
#include "../pickle/vm.h"

#include <stdlib.h>

static const jlp__load_how NPY = {jlp__npy_body, "npy", JLP__MODE_LOAD, NULL};

static jlp_code npz_nomem(jlp_doc *doc, jlp_error *err) {
    if (doc && jlp__doc_limit_hit(doc))
        return jlp__fail(err, JLP_E_LIMIT, 0, -1, ".npz: document allocation exceeds limits.max_alloc");
    return jlp__fail(err, JLP_E_NOMEM, 0, -1, ".npz: out of memory");
}

static const jlp__blob *root_blob(const jlp__blob *b) {
    while (b->parent) b = b->parent;
    return b;
}

/* Where a member's arrays say their bytes are: in the archive when it lies there
 * uncompressed (its offset added), nowhere otherwise. */
static void place(jlp_val *arr, const jlp__member *m, bool in_place) {
    jlp__ndarray *a = jlp__arr(arr);
    uint64_t off;
    if (a->offset == UINT64_MAX) return;
    a->offset = in_place && jlp__add_u64(a->offset, m->offset, &off) ? off : UINT64_MAX;
}

/* One member's value: an array, or its bytes. */
static jlp_code member_value(jlp_archive *ar, size_t i, jlp_doc *doc, const jlp_read_opts *opts, bool *mapped,
                             jlp_val **out, jlp_error *err) {
    const jlp__member *m = &ar->m[i];
    bool in_place = jlp__member_in_place(ar, i);
    if ((m->flags & JLP_MEMBER_DIR) && !m->size) {
        /* numpy lists a directory entry too, and reads it as no bytes */
        *out = jlp__new_bytes_copy(doc, JLP_BYTES, "", 0);
        return *out ? JLP_OK : npz_nomem(doc, err);
    }
    jlp_source *s;
    if (in_place && opts->mmap) {
        if (ar->opts.verify_mapped_crc && jlp__crc32(0, ar->blob->data + m->offset, (size_t)m->size) != m->crc)
            return jlp__fail(err, JLP_E_CHECKSUM, 0, -1, "%s: CRC-32 mismatch", m->name);
        s = jlp_source_mem(ar->blob->data + m->offset, (size_t)m->size, ar->alc, err);
        if (s) s->mapped = doc->mapped;
    } else {
        s = jlp_archive_member_source(ar, i, err);
    }
    if (!s) return err ? err->code : JLP_E_NOMEM;
    size_t head = jlp__src_fill(s, 6);
    jlp_code c;
    if (s->failed) {
        c = jlp__src_error(s, err, head, -1);
    } else if (jlp_is_npy(s->cur, head)) {
        c = jlp__load_into(doc, s, opts, &NPY, out, err);
        if (!c) c = jlp__member_read_to_end(s, err);
        if (!c) {
            place(*out, m, in_place);
            if (jlp__arr(*out)->storage != JLP_STORE_ARENA && in_place && opts->mmap) *mapped = true;
        }
    } else {
        /* numpy gives the bytes of a member that is no .npy file */
        char *buf = m->size < SIZE_MAX ? jlp__doc_alloc(doc, (size_t)m->size + 1) : NULL;
        if (!buf) {
            c = npz_nomem(doc, err);
        } else {
            size_t got = jlp__src_copy(s, buf, (size_t)m->size);
            if (s->failed) c = jlp__src_error(s, err, got, -1);
            else if (got != m->size) c = jlp__fail(err, JLP_E_TRUNCATED, got, -1, "member ends early");
            else {
                buf[got] = '\0'; /* as every bytes value of a document */
                c = (*out = jlp__new_bytes_borrow(doc, JLP_BYTES, buf, got)) ? JLP_OK : npz_nomem(doc, err);
            }
        }
    }
    jlp_source_free(s);
    if (c) jlp__err_prefix(err, m->name);
    return c;
}

jlp_doc *jlp__npz_load(jlp_archive *ar, const jlp_read_opts *opts, jlp_error *err) {
    bool hit = false;
    jlp_doc *doc = jlp__doc_new(jlp__alc_or_default(opts->alc), opts->limits->max_alloc, &hit);
    if (!doc) {
        jlp__fail(err, hit ? JLP_E_LIMIT : JLP_E_NOMEM, 0, -1, ".npz: cannot allocate a document");
        return NULL;
    }
    doc->mapped = opts->mmap && root_blob(ar->blob)->kind == JLP__BLOB_MAPPED;
    jlp_val *dict = jlp__new_seq(doc, JLP_DICT, NULL, 0);
    jlp_code c = dict ? JLP_OK : npz_nomem(doc, err);
    bool mapped = false;
    for (size_t i = 0; !c && i < ar->n; i++) {
        const jlp__member *m = &ar->m[i];
        if (m->flags & JLP_MEMBER_DUPLICATE) {
            /* numpy would read the last of them; another zip reader the first */
            c = jlp__fail(err, JLP_E_MEMBER, 0, -1, "%s: several members have this name", m->name);
            break;
        }
        size_t klen = m->name_len;
        if (klen >= 4 && !memcmp(m->name + klen - 4, ".npy", 4)) klen -= 4;
        jlp_val *key = jlp__new_bytes_copy(doc, JLP_STR, m->name, klen);
        jlp_val *value = NULL;
        if (!key) {
            c = npz_nomem(doc, err);
            break;
        }
        c = member_value(ar, i, doc, opts, &mapped, &value, err);
        jlp_val *kv[2] = {key, value};
        if (!c && !jlp__seq_append(doc, dict, kv, 1)) c = npz_nomem(doc, err);
    }
    if (c) {
        jlp_doc_free(doc);
        return NULL;
    }
    doc->root = dict;
    doc->container = "none";
    if (mapped) jlp__doc_keep_blob(doc, ar->blob);
    return doc;
}
