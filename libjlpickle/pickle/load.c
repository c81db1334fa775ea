/*
 * load.c - the public loaders: options resolved once per call, sources made and freed,
 * files mapped, and the end of a compressed container checked. Pickles run through the
 * unpickler (reader.c), .npy files through the .npy reader (numpy/npy.c); both fill
 * one kind of document.
 */
#include "vm.h"

#include "../common/opts.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const jlp__load_how PICKLE = {NULL, NULL, JLP__MODE_LOAD, NULL};
static const jlp__load_how NPY = {jlp__npy_body, "npy", JLP__MODE_LOAD, NULL};

jlp_doc *jlp_load(jlp_source *src, const jlp_read_opts *opts, jlp_error *err) {
    jlp__clear(err);
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err) != JLP_OK) return NULL;
    if (!src) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL source");
        return NULL;
    }
    return jlp__load_resolved(src, &cfg.opts, &PICKLE, err);
}

jlp_doc *jlp_load_npy(jlp_source *src, const jlp_read_opts *opts, jlp_error *err) {
    jlp__clear(err);
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err) != JLP_OK) return NULL;
    if (!src) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL source");
        return NULL;
    }
    return jlp__load_resolved(src, &cfg.opts, &NPY, err);
}

/* One-shot load: compressed input must also end cleanly after the pickle. */
static jlp_doc *load_once(jlp_source *src, const jlp_read_opts *opts, const jlp__load_how *how, jlp_error *err) {
    jlp_doc *d = jlp__load_resolved(src, opts, how, err);
    if (d && src->layer && jlp_source_check_end(src, err) != JLP_OK) {
        jlp_doc_free(d);
        d = NULL;
    }
    return d;
}

static jlp_doc *load_and_free(jlp_source *src, const jlp_read_opts *opts, const jlp__load_how *how,
                              jlp_error *err) {
    if (!src) return NULL;
    jlp_doc *d = load_once(src, opts, how, err);
    jlp_source_free(src);
    return d;
}

static jlp_doc *load_consumed_and_free(jlp_source *src, const jlp_read_opts *opts, const jlp__load_how *how,
                                       size_t *consumed, jlp_error *err) {
    jlp_doc *d = load_once(src, opts, how, err);
    if (consumed) *consumed = d ? (size_t)jlp_doc_consumed(d) : 0;
    jlp_source_free(src);
    return d;
}

static jlp_doc *load_mem(const void *data, size_t len, const jlp_read_opts *opts, const jlp__load_how *how,
                         size_t *consumed, jlp_error *err) {
    jlp__clear(err);
    if (consumed) *consumed = 0;
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err) != JLP_OK) return NULL;
    jlp_source *src = jlp_source_mem(data, len, cfg.opts.alc, err);
    if (!src) return NULL;
    return load_consumed_and_free(src, &cfg.opts, how, consumed, err);
}

jlp_doc *jlp__load_mem_source_pickle(jlp_source *src, const jlp_read_opts *opts, size_t *consumed,
                                     jlp_error *err) {
    return load_consumed_and_free(src, opts, &PICKLE, consumed, err);
}

/* jlp_load_mem is archive/load.c's: it hands what is not an archive to this. */
jlp_doc *jlp__load_mem_pickle(const void *data, size_t len, const jlp_read_opts *opts, size_t *consumed,
                              jlp_error *err) {
    return load_mem(data, len, opts, &PICKLE, consumed, err);
}

jlp_doc *jlp_load_npy_mem(const void *data, size_t len, const jlp_read_opts *opts, jlp_error *err) {
    return load_mem(data, len, opts, &NPY, NULL, err);
}

/* Map the file and load from it: opcodes (or a .npy header) are read through the
 * descriptor, as from any file, and every payload (array data, long bytes) is a pointer
 * into the mapping that the load never touches, so a load reads the pages its opcodes
 * are on and no others (on a cold page cache, joblib.load with mmap_mode does the same).
 * The document keeps the mapping. JLP_MMAP_COPY_ON_WRITE maps it writable and private. */
static jlp_doc *load_mapped(const char *path, const jlp_read_opts *opts, const jlp__load_how *how,
                            jlp_error *err) {
    jlp_source *src = jlp_source_path(path, opts->alc, err);
    if (!src) return NULL;
    struct stat st;
    if (fstat(src->fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SIZE_MAX) {
        jlp_source_free(src);
        jlp__fail(err, JLP_E_MMAP, 0, -1, "%s is not a regular file that can be mapped", jlp__path_tail(path));
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    int prot = opts->mmap == JLP_MMAP_COPY_ON_WRITE ? PROT_READ | PROT_WRITE : PROT_READ;
    void *map = len ? mmap(NULL, len, prot, MAP_PRIVATE, src->fd, 0) : NULL;
    if (len && map == MAP_FAILED) {
        jlp__fail(err, JLP_E_MMAP, 0, -1, "cannot map %s: %s", jlp__path_tail(path), strerror(errno));
        jlp_source_free(src);
        return NULL;
    }
    src->map = map;
    src->map_len = len;
    src->mapped = true;
    jlp_doc *d = load_once(src, opts, how, err);
    jlp_source_free(src);
    if (!d) {
        if (map) munmap(map, len);
        return NULL;
    }
    d->map = map;
    d->map_len = len;
    d->map_writable = (prot & PROT_WRITE) != 0;
    return d;
}

static jlp_doc *load_path(const char *path, const jlp_read_opts *opts, const jlp__load_how *how, jlp_error *err) {
    jlp__clear(err);
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err) != JLP_OK) return NULL;
    if (path && cfg.opts.mmap) return load_mapped(path, &cfg.opts, how, err);
    return load_and_free(jlp_source_path(path, cfg.opts.alc, err), &cfg.opts, how, err);
}

/* jlp_load_path is archive/load.c's, as jlp_load_mem. */
jlp_doc *jlp__load_source_pickle(jlp_source *src, const jlp_read_opts *opts, jlp_error *err) {
    return load_and_free(src, opts, &PICKLE, err);
}

jlp_doc *jlp__load_path_pickle(const char *path, const jlp_read_opts *opts, jlp_error *err) {
    return load_path(path, opts, &PICKLE, err);
}

jlp_doc *jlp_load_npy_path(const char *path, const jlp_read_opts *opts, jlp_error *err) {
    return load_path(path, opts, &NPY, err);
}

jlp_doc *jlp_load_fd(int fd, const jlp_read_opts *opts, jlp_error *err) {
    jlp__clear(err);
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err) != JLP_OK) return NULL;
    return load_and_free(jlp_source_fd(fd, cfg.opts.alc, err), &cfg.opts, &PICKLE, err);
}

jlp_doc *jlp_load_file(FILE *fp, const jlp_read_opts *opts, jlp_error *err) {
    jlp__clear(err);
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err) != JLP_OK) return NULL;
    return load_and_free(jlp_source_file(fp, cfg.opts.alc, err), &cfg.opts, &PICKLE, err);
}

jlp_doc *jlp_load_cb(jlp_read_fn fn, void *ctx, const jlp_read_opts *opts, jlp_error *err) {
    jlp__clear(err);
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err) != JLP_OK) return NULL;
    return load_and_free(jlp_source_cb(fn, ctx, cfg.opts.alc, err), &cfg.opts, &PICKLE, err);
}
