/*
 * dump.c - the jlp_dump_* entry points: choosing the codec (by option or by the file
 * name's extension, as joblib does), setting up the sink, and writing files atomically.
 */
#include "sink.h"

#include "../common/opts.h"

#include "../pickle/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static bool ends_with(const char *s, const char *suffix, size_t n) {
    size_t sl = strlen(s);
    return sl >= n && !memcmp(s + sl - n, suffix, n);
}

/* The codec a path's extension names, or NULL. Like joblib, the last match wins. */
static const jlp_codec *codec_for_path(const jlp_registry *reg, const char *path) {
    const jlp_codec *found = NULL;
    for (size_t i = 0; i < jlp_registry_count(reg); i++) {
        const jlp_codec *c = jlp_registry_get(reg, i);
        const char *e = c->extensions;
        while (e && *e) {
            while (*e == ' ') e++;
            size_t n = strcspn(e, " ");
            if (n && ends_with(path, e, n) && c->enc_new) found = c;
            e += n;
        }
    }
    return found;
}

static jlp_code setup(jlp__sink *s, const jlp_write_opts *o, const char *path, jlp_error *err) {
    if (o->protocol < 0 || o->protocol > 5)
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "protocol %d (0 to 5 are written)", o->protocol);
    if (o->arrays != JLP_ARRAYS_JOBLIB && o->arrays != JLP_ARRAYS_NUMPY)
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "unknown array format");
    const jlp_codec *codec = NULL;
    if (o->codec && strcmp(o->codec, "none") != 0) {
        codec = jlp_registry_find(o->registry, o->codec);
        if (!codec) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "unknown codec '%s'", o->codec);
        if (!codec->enc_new)
            return jlp__fail(err, JLP_E_CODEC_MISSING, 0, -1, "%s cannot be written by this build", codec->name);
    } else if (!o->codec && path) {
        codec = codec_for_path(o->registry, path);
    }
    if (!codec) return JLP_OK;
    if (o->level != -1 && (o->level < codec->min_level || o->level > codec->max_level))
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "%s level %d is outside %d..%d", codec->name, o->level,
                         codec->min_level, codec->max_level);
    if (jlp__sink_set_codec(s, codec, o->level, o->threads) != JLP_OK) {
        if (err) *err = s->err;
        return s->err.code;
    }
    return JLP_OK;
}

/* Write root to an initialised sink and finish it. */
static jlp_code write_all(jlp__sink *s, const jlp_val *root, const jlp_write_opts *o, const char *path,
                          jlp_error *err) {
    jlp_code c = setup(s, o, path, err);
    if (!c) c = jlp__write(s, root, o, err);
    if (!c) {
        c = jlp__sink_finish(s);
        if (c && err) *err = s->err;
    }
    return c;
}


jlp_code jlp_dump_cb(const jlp_val *root, jlp_write_fn fn, void *ctx, const jlp_write_opts *opts,
                     jlp_error *err) {
    jlp__clear(err);
    if (!root || !fn) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL value or callback");
    jlp_write_opts resolved;
    jlp_code oc = jlp__write_opts_take(&resolved, opts, err);
    if (oc) return oc;
    opts = &resolved;
    jlp__sink s;
    jlp_code c = jlp__sink_init(&s, opts->alc, -1, NULL, fn, ctx, NULL, err);
    if (!c) c = write_all(&s, root, opts, NULL, err);
    jlp__sink_release(&s);
    return c;
}

jlp_code jlp_dump_file(const jlp_val *root, FILE *fp, const jlp_write_opts *opts, jlp_error *err) {
    jlp__clear(err);
    if (!root || !fp) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL value or FILE");
    jlp_write_opts resolved;
    jlp_code oc = jlp__write_opts_take(&resolved, opts, err);
    if (oc) return oc;
    opts = &resolved;
    jlp__sink s;
    jlp_code c = jlp__sink_init(&s, opts->alc, -1, fp, NULL, NULL, NULL, err);
    if (!c) {
        long at = ftell(fp);
        s.pos = at > 0 && !(opts->codec && strcmp(opts->codec, "none")) ? (uint64_t)at : 0;
        c = write_all(&s, root, opts, NULL, err);
    }
    jlp__sink_release(&s);
    return c;
}

static jlp_code dump_to_fd(const jlp_val *root, int fd, const jlp_write_opts *opts, const char *path,
                           bool writeback, jlp_error *err) {
    jlp__sink s;
    jlp_code c = jlp__sink_init(&s, opts->alc, fd, NULL, NULL, NULL, NULL, err);
    if (!c && writeback) jlp__sink_writeback(&s);
    if (!c) {
        /* joblib pads relative to the file position; compressed: to the decoded stream */
        off_t at = lseek(fd, 0, SEEK_CUR);
        bool compressed = (opts->codec && strcmp(opts->codec, "none")) || (!opts->codec && path && codec_for_path(opts->registry, path));
        s.pos = at > 0 && !compressed ? (uint64_t)at : 0;
        c = write_all(&s, root, opts, path, err);
    }
    jlp__sink_release(&s);
    return c;
}

jlp_code jlp_dump_fd(const jlp_val *root, int fd, const jlp_write_opts *opts, jlp_error *err) {
    jlp__clear(err);
    if (!root || fd < 0) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL value or negative fd");
    jlp_write_opts resolved;
    jlp_code c = jlp__write_opts_take(&resolved, opts, err);
    return c ? c : dump_to_fd(root, fd, &resolved, NULL, false, err);
}

jlp_code jlp_dump_mem(const jlp_val *root, const jlp_write_opts *opts, void **out, size_t *len,
                      jlp_error *err) {
    jlp__clear(err);
    if (!root || !out) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL value or output pointer");
    *out = NULL;
    if (len) *len = 0;
    jlp_write_opts resolved;
    jlp_code oc = jlp__write_opts_take(&resolved, opts, err);
    if (oc) return oc;
    opts = &resolved;
    jlp__buf mem;
    jlp__buf_init(&mem, jlp__alc_malloc()); /* the caller frees it with free() */
    jlp__sink s;
    jlp_code c = jlp__sink_init(&s, opts->alc, -1, NULL, NULL, NULL, &mem, err);
    if (!c) c = write_all(&s, root, opts, NULL, err);
    jlp__sink_release(&s);
    if (c) {
        jlp__buf_release(&mem);
        return c;
    }
    if (!mem.data && !jlp__buf_reserve(&mem, 1)) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
    *out = mem.data;
    if (len) *len = mem.len;
    return JLP_OK;
}

jlp_code jlp_dump_path(const jlp_val *root, const char *path, const jlp_write_opts *opts,
                       jlp_error *err) {
    jlp__clear(err);
    if (!root || !path || !*path) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL value or path");
    jlp_write_opts resolved;
    jlp_code oc = jlp__write_opts_take(&resolved, opts, err);
    if (oc) return oc;
    opts = &resolved;
    /* A temporary file beside the destination, so the final rename is atomic. */
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    char *dircopy = malloc(n + 1);
    if (!tmp || !dircopy) {
        free(tmp);
        free(dircopy);
        return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
    }
    snprintf(tmp, n + 16, "%s.tmp-XXXXXX", path);
    memcpy(dircopy, path, n + 1);
    int fd = mkstemp(tmp);
    jlp_code c = JLP_OK;
    if (fd < 0) {
        c = jlp__fail(err, JLP_E_IO, 0, -1, "cannot create a temporary file beside %s: %s", path, strerror(errno));
        goto out;
    }
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
    if (fchmod(fd, mode) != 0) {
        c = jlp__fail(err, JLP_E_IO, 0, -1, "fchmod: %s", strerror(errno));
    } else {
        c = dump_to_fd(root, fd, opts, path, opts->durable != 0, err);
        if (!c && opts->durable && fsync(fd) != 0) c = jlp__fail(err, JLP_E_IO, 0, -1, "fsync: %s", strerror(errno));
    }
    if (close(fd) != 0 && !c) c = jlp__fail(err, JLP_E_IO, 0, -1, "close: %s", strerror(errno));
    if (!c && rename(tmp, path) != 0) c = jlp__fail(err, JLP_E_IO, 0, -1, "rename: %s", strerror(errno));
    if (c) {
        unlink(tmp);
        goto out;
    }
    /* make the rename itself durable */
    int dfd = opts->durable ? open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
out:
    free(tmp);
    free(dircopy);
    return c;
}
