/*
 * output.c - running a dump: choosing the codec (by option or by the file name's
 * extension, as joblib does), setting up the sink over a callback, FILE, descriptor or
 * memory, and writing files atomically. What is written is a body of the format's own
 * (the pickle writer's entry points are pickle/dump.c, .npy and .npz have theirs).
 */
#include "sink.h"

#include "../common/opts.h"

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

typedef jlp__dump_job job;

/* Write the job to an initialised sink and finish it. */
static jlp_code write_all(jlp__sink *s, const job *j, const char *path, jlp_error *err) {
    jlp_code c = j->o ? setup(s, j->o, path, err) : JLP_OK;
    if (!c) c = j->body(s, j->ctx, err);
    if (!c) {
        c = jlp__sink_finish(s);
        if (c && err) *err = s->err;
    }
    return c;
}

jlp_code jlp__dump_run_cb(const job *j, jlp_write_fn fn, void *ctx, jlp_error *err) {
    jlp__sink s;
    jlp_code c = jlp__sink_init(&s, j->o ? j->o->alc : NULL, -1, NULL, fn, ctx, NULL, err);
    if (!c) c = write_all(&s, j, NULL, err);
    jlp__sink_release(&s);
    return c;
}

jlp_code jlp__dump_run_file(const job *j, FILE *fp, jlp_error *err) {
    const jlp_write_opts *o = j->o;
    jlp__sink s;
    jlp_code c = jlp__sink_init(&s, o ? o->alc : NULL, -1, fp, NULL, NULL, NULL, err);
    if (!c) {
        long at = ftell(fp);
        s.pos = at > 0 && !(o && o->codec && strcmp(o->codec, "none")) ? (uint64_t)at : 0;
        c = write_all(&s, j, NULL, err);
    }
    jlp__sink_release(&s);
    return c;
}

static jlp_code dump_to_fd(const job *j, int fd, const char *path, bool writeback, jlp_error *err) {
    jlp__sink s;
    jlp_code c = jlp__sink_init(&s, j->o ? j->o->alc : NULL, fd, NULL, NULL, NULL, NULL, err);
    if (!c && writeback) jlp__sink_writeback(&s);
    if (!c) {
        /* joblib pads relative to the file position; compressed: to the decoded stream */
        off_t at = lseek(fd, 0, SEEK_CUR);
        const jlp_write_opts *o = j->o;
        bool compressed = !o || (o->codec && strcmp(o->codec, "none")) ||
                          (!o->codec && path && codec_for_path(o->registry, path));
        s.pos = at > 0 && !compressed ? (uint64_t)at : 0;
        c = write_all(&s, j, path, err);
    }
    jlp__sink_release(&s);
    return c;
}

jlp_code jlp__dump_run_fd(const job *j, int fd, jlp_error *err) { return dump_to_fd(j, fd, NULL, false, err); }

jlp_code jlp__dump_run_mem(const job *j, void **out, size_t *len, jlp_error *err) {
    *out = NULL;
    if (len) *len = 0;
    jlp__buf mem;
    jlp__buf_init(&mem, jlp__alc_malloc()); /* the caller frees it with free() */
    jlp__sink s;
    jlp_code c = jlp__sink_init(&s, j->o ? j->o->alc : NULL, -1, NULL, NULL, NULL, &mem, err);
    if (!c) c = write_all(&s, j, NULL, err);
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

/* Write the job to `path` atomically: into a temporary file beside it, fsynced, then
 * renamed over it. */
jlp_code jlp__dump_run_path(const job *j, const char *path, jlp_error *err) {
    const char *shown = jlp__path_tail(path);
    bool durable = !j->o || j->o->durable; /* other formats' bodies: always durable */
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
        c = jlp__fail(err, JLP_E_IO, 0, -1, "cannot create a temporary file beside %s: %s", shown, strerror(errno));
        goto out;
    }
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
    if (fchmod(fd, mode) != 0) {
        c = jlp__fail(err, JLP_E_IO, 0, -1, "fchmod of a temporary file beside %s: %s", shown, strerror(errno));
    } else {
        c = dump_to_fd(j, fd, path, durable, err);
        if (c == JLP_E_IO && err && !strstr(err->msg, shown)) {
            char msg[sizeof err->msg + 96]; /* a path tail is at most 80 bytes */
            snprintf(msg, sizeof msg, "%s: %s", shown, err->msg);
            memcpy(err->msg, msg, sizeof err->msg - 1);
            err->msg[sizeof err->msg - 1] = '\0';
        }
        if (!c && durable && fsync(fd) != 0) c = jlp__fail(err, JLP_E_IO, 0, -1, "fsync of %s: %s", shown, strerror(errno));
    }
    if (close(fd) != 0 && !c) c = jlp__fail(err, JLP_E_IO, 0, -1, "close of %s: %s", shown, strerror(errno));
    if (!c && rename(tmp, path) != 0) c = jlp__fail(err, JLP_E_IO, 0, -1, "rename to %s: %s", shown, strerror(errno));
    if (c) {
        unlink(tmp);
        goto out;
    }
    /* make the rename itself durable */
    int dfd = durable ? open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
out:
    free(tmp);
    free(dircopy);
    return c;
}

/* ---- bodies of other formats (.npy) ------------------------------------------------ */

jlp_code jlp__dump_body_cb(jlp__dump_body body, const void *ctx, jlp_write_fn fn, void *fn_ctx, jlp_error *err) {
    job j = {body, ctx, NULL};
    return jlp__dump_run_cb(&j, fn, fn_ctx, err);
}

jlp_code jlp__dump_body_mem(jlp__dump_body body, const void *ctx, void **out, size_t *len, jlp_error *err) {
    job j = {body, ctx, NULL};
    return jlp__dump_run_mem(&j, out, len, err);
}

jlp_code jlp__dump_body_path(jlp__dump_body body, const void *ctx, const char *path, jlp_error *err) {
    job j = {body, ctx, NULL};
    return jlp__dump_run_path(&j, path, err);
}
