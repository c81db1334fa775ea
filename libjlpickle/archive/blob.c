/*
 * blob.c - the bytes of an archive, shared by reference count between the archive,
 * archives nested in it and the documents whose arrays point into it, so a document
 * loaded with mmap may outlive the archive it came from.
 */
#include "archive.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

jlp__blob *jlp__blob_new(const jlp_alc *alc, jlp__blob_kind kind, const void *data, uint64_t len) {
    alc = jlp__alc_or_default(alc);
    jlp__blob *b = jlp__malloc(alc, sizeof *b);
    if (!b) return NULL;
    atomic_init(&b->refs, 1u);
    b->kind = kind;
    b->data = data;
    b->len = len;
    b->alc = alc;
    b->parent = NULL;
    return b;
}

jlp__blob *jlp__blob_slice(jlp__blob *parent, uint64_t off, uint64_t len) {
    jlp__blob *b = jlp__blob_new(parent->alc, JLP__BLOB_BORROWED, parent->data + off, len);
    if (b) b->parent = jlp__blob_ref(parent);
    return b;
}

jlp__blob *jlp__blob_map(const char *path, const jlp_alc *alc, jlp_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        jlp__fail(err, JLP_E_IO, 0, -1, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        jlp__fail(err, JLP_E_MMAP, 0, -1, "%s: not a regular file that can be mapped", path);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    int map_errno = errno;
    close(fd);
    if (len && map == MAP_FAILED) {
        jlp__fail(err, JLP_E_MMAP, 0, -1, "%s: mmap failed: %s", path, strerror(map_errno));
        return NULL;
    }
    jlp__blob *b = jlp__blob_new(alc, len ? JLP__BLOB_MAPPED : JLP__BLOB_BORROWED, len ? map : "", len);
    if (!b) {
        if (len) munmap(map, len);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
    }
    return b;
}

jlp__blob *jlp__blob_ref(jlp__blob *b) {
    if (b) atomic_fetch_add_explicit(&b->refs, 1u, memory_order_relaxed);
    return b;
}

void jlp__blob_unref(jlp__blob *b) {
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1u, memory_order_acq_rel) != 1u) return;
    if (b->kind == JLP__BLOB_MAPPED) munmap((void *)(uintptr_t)b->data, (size_t)b->len);
    else if (b->kind == JLP__BLOB_OWNED) jlp__free(b->alc, (void *)(uintptr_t)b->data, (size_t)b->len);
    jlp__blob *parent = b->parent;
    jlp__free(b->alc, b, sizeof *b);
    jlp__blob_unref(parent);
}

static void release_blob(void *ctx) { jlp__blob_unref(ctx); }

void jlp__doc_keep_blob(jlp_doc *doc, jlp__blob *b) {
    /* A document keeps one blob: every mapped member of one load comes from the same
     * archive, and nested archives share their parent's blob or own a copy that the
     * load then takes over. */
    if (doc->keep_release) doc->keep_release(doc->keep_ctx);
    doc->keep_release = release_blob;
    doc->keep_ctx = jlp__blob_ref(b);
}
