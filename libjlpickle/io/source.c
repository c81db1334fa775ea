/* source.c - memory, path, file descriptor, FILE* and callback sources. */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Window size for pulled sources: large enough that a syscall moves a useful amount of
 * data, small enough that loading a tiny pickle from a pipe costs little. */
#define SOURCE_BUF_INITIAL ((size_t)64 * 1024)
/* The first read asks for this much, each next one for twice as much up to the window:
 * a pickle of a few hundred bytes in front of a large array (a mapped load reads only
 * its opcodes) costs one page and the kernel's smallest read-ahead, a long one soon
 * reads whole windows. */
#define SOURCE_FIRST_READ ((size_t)4096)

jlp_source *jlp__src_new(const jlp_alc *alc, jlp__pull_fn pull, jlp_error *err) {
    alc = jlp__alc_or_default(alc);
    jlp_source *s = jlp__malloc(alc, sizeof *s);
    if (!s) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a source");
        return NULL;
    }
    memset(s, 0, sizeof *s);
    s->alc = alc;
    s->pull = pull;
    s->fd = -1;
    s->threads = 1;
    s->read_ask = SOURCE_FIRST_READ;
    return s;
}

jlp_source *jlp_source_mem(const void *data, size_t len, const jlp_alc *alc, jlp_error *err) {
    jlp__clear(err);
    if (!data && len) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL data with nonzero length");
        return NULL;
    }
    jlp_source *s = jlp__src_new(alc, NULL, err);
    if (!s) return NULL;
    static const uint8_t empty[1] = {0};
    s->cur = data ? data : empty;
    s->end = s->cur + len;
    s->end_off = len;
    s->at_end = true;
    return s;
}

static long long pull_fd(jlp_source *s, void *dst, size_t cap) {
    for (;;) {
        ssize_t n = read(s->fd, dst, cap > ((size_t)1 << 30) ? ((size_t)1 << 30) : cap);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        s->sys_errno = errno;
        return -1;
    }
}

static long long pull_file(jlp_source *s, void *dst, size_t cap) {
    size_t n = fread(dst, 1, cap, s->fp);
    if (n == 0 && ferror(s->fp)) {
        s->sys_errno = errno ? errno : EIO;
        return -1;
    }
    return (long long)n;
}

static long long pull_cb(jlp_source *s, void *dst, size_t cap) {
    long long n = s->fn(s->ctx, dst, cap);
    if (n < 0 || (unsigned long long)n > cap) {
        s->sys_errno = EIO;
        return -1;
    }
    return n;
}

/* Bytes from fd's position to the end of a regular file; 0 when it is not one. It lets
 * large payloads be read straight into a buffer of their final size. */
static uint64_t file_size_from(int fd, bool at_start) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    off_t at = at_start ? 0 : lseek(fd, 0, SEEK_CUR);
    if (at < 0 || at > st.st_size) return 0;
    return (uint64_t)(st.st_size - at);
}

jlp_source *jlp_source_path(const char *path, const jlp_alc *alc, jlp_error *err) {
    jlp__clear(err);
    if (!path) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL path");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        jlp__fail(err, JLP_E_IO, 0, -1, "cannot open %s: %s", jlp__path_tail(path), strerror(errno));
        return NULL;
    }
    jlp_source *s = jlp__src_new(alc, pull_fd, err);
    if (!s) {
        close(fd);
        return NULL;
    }
    s->fd = fd;
    s->own_fd = true;
    s->size_hint = file_size_from(fd, true); /* just opened: at its start */
    /* Kept for companion files of old joblib formats, which live beside this one. */
    size_t n = strlen(path) + 1;
    char *copy = jlp__malloc(s->alc, n);
    if (!copy) {
        jlp_source_free(s);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a source");
        return NULL;
    }
    memcpy(copy, path, n);
    s->path = copy;
    return s;
}

jlp_source *jlp_source_path_mapped(const char *path, const jlp_alc *alc, jlp_error *err) {
    jlp_source *s = jlp_source_path(path, alc, err);
    if (!s) return NULL;
    struct stat st;
    if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SIZE_MAX) {
        jlp_source_free(s);
        jlp__fail(err, JLP_E_MMAP, 0, -1, "%s is not a regular file that can be mapped", jlp__path_tail(path));
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, s->fd, 0) : NULL;
    if (len && map == MAP_FAILED) {
        jlp__fail(err, JLP_E_MMAP, 0, -1, "cannot map %s: %s", jlp__path_tail(path), strerror(errno));
        jlp_source_free(s);
        return NULL;
    }
    s->map = map;
    s->map_len = len;
    s->own_map = true;
    s->mapped = true;
    return s;
}

jlp_source *jlp_source_fd(int fd, const jlp_alc *alc, jlp_error *err) {
    jlp__clear(err);
    if (fd < 0) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "negative file descriptor");
        return NULL;
    }
    jlp_source *s = jlp__src_new(alc, pull_fd, err);
    if (s) {
        s->fd = fd;
        s->size_hint = file_size_from(fd, false);
    }
    return s;
}

jlp_source *jlp_source_file(FILE *fp, const jlp_alc *alc, jlp_error *err) {
    jlp__clear(err);
    if (!fp) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL FILE");
        return NULL;
    }
    jlp_source *s = jlp__src_new(alc, pull_file, err);
    if (s) s->fp = fp;
    return s;
}

jlp_source *jlp_source_cb(jlp_read_fn fn, void *ctx, const jlp_alc *alc, jlp_error *err) {
    jlp__clear(err);
    if (!fn) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL read callback");
        return NULL;
    }
    jlp_source *s = jlp__src_new(alc, pull_cb, err);
    if (s) {
        s->fn = fn;
        s->ctx = ctx;
    }
    return s;
}

void jlp_source_free(jlp_source *src) {
    if (!src) return;
    jlp__layer_free(src);
    if (src->own_map && src->map) munmap((void *)(uintptr_t)src->map, (size_t)src->map_len);
    if (src->release) src->release(src);
    if (src->own_fd && src->fd >= 0) close(src->fd);
    if (src->path) jlp__free(src->alc, (char *)(uintptr_t)src->path, strlen(src->path) + 1);
    jlp__free(src->alc, src->buf, src->cap);
    jlp__free(src->alc, src, sizeof *src);
}

uint64_t jlp_source_tell(const jlp_source *src) { return src ? jlp__src_tell(src) : 0; }

int jlp_source_at_eof(jlp_source *src, jlp_error *err) {
    jlp__clear(err);
    if (!src) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL source");
        return -1;
    }
    if (jlp__src_avail(src) || jlp__src_fill(src, 1)) return 0;
    if (src->failed) {
        jlp__src_error(src, err, jlp__src_tell(src), -1);
        return -1;
    }
    return 1;
}

/* Most a peek may ask for: the window grows to hold it, so it is bounded. */
#define PEEK_MAX ((size_t)64 << 10)

long long jlp_source_peek(jlp_source *src, size_t n, const void **data, jlp_error *err) {
    jlp__clear(err);
    if (data) *data = NULL;
    if (!src || !data || n > PEEK_MAX) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL source or output, or more than %zu bytes", PEEK_MAX);
        return -1;
    }
    size_t have = jlp__src_avail(src) >= n ? n : jlp__src_fill(src, n);
    if (have < n && src->failed) {
        jlp__src_error(src, err, jlp__src_tell(src), -1);
        return -1;
    }
    *data = src->cur;
    return (long long)(have < n ? have : n);
}

jlp_code jlp_source_check_end(jlp_source *src, jlp_error *err) {
    jlp__clear(err);
    if (!src) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL source");
    int r = jlp_source_at_eof(src, err);
    if (r < 0) return err ? err->code : JLP_E_IO;
    if (r == 0) {
        jlp__fail(err, JLP_E_TRAILING, jlp__src_tell(src), -1, "unexpected bytes after the pickle");
        if (err && src->inner) err->input_offset = jlp__src_tell(src->inner);
        return JLP_E_TRAILING;
    }
    return JLP_OK;
}

jlp_code jlp__src_error(jlp_source *s, jlp_error *err, uint64_t offset, int opcode) {
    if (s->pending.code != JLP_OK) {
        if (err) {
            *err = s->pending;
            if (opcode >= 0) err->opcode = opcode;
        }
        return s->pending.code;
    }
    const char *path = s->path ? s->path : s->inner ? s->inner->path : NULL;
    jlp_code c = path ? jlp__fail(err, JLP_E_IO, offset, opcode, "read error on %s: %s", jlp__path_tail(path),
                                  strerror(s->sys_errno ? s->sys_errno : EIO))
                      : jlp__fail(err, JLP_E_IO, offset, opcode, "read error: %s",
                                  strerror(s->sys_errno ? s->sys_errno : EIO));
    if (err && s->inner) err->input_offset = jlp__src_tell(s->inner);
    return c;
}

size_t jlp__src_fill(jlp_source *s, size_t need) {
    size_t have = jlp__src_avail(s);
    if (have >= need || !s->pull || s->at_end || s->failed) return have;
    /* Slide the unread bytes to the front, then grow the buffer if `need` exceeds it. */
    if (s->buf && s->cur != s->buf && have) memmove(s->buf, s->cur, have);
    if (need > s->cap || !s->buf) {
        size_t cap = s->cap ? s->cap : SOURCE_BUF_INITIAL;
        while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        uint8_t *nb = jlp__realloc(s->alc, s->buf, s->cap, cap);
        if (!nb) {
            s->failed = true;
            s->sys_errno = ENOMEM;
            jlp__fail(&s->pending, JLP_E_NOMEM, s->end_off, -1, "out of memory for the input buffer");
            if (s->buf) { s->cur = s->buf; s->end = s->buf + have; }
            return have;
        }
        s->buf = nb;
        s->cap = cap;
    }
    s->cur = s->buf;
    s->end = s->buf + have;
    while (have < need) {
        /* A regular file read up to the size it had when opened has ended: the read()
         * that would return 0 costs a syscall, a third of loading a small model. (Bytes
         * appended since are not read, as they were not for a payload: size_hint.) */
        if (s->size_hint && s->end_off >= s->size_hint && s->pull == pull_fd) { s->at_end = true; break; }
        size_t ask = s->cap - have;
        if (ask > s->read_ask && need - have <= s->read_ask) ask = s->read_ask;
        if (s->read_ask < SOURCE_BUF_INITIAL) s->read_ask *= 2;
        long long n = s->pull(s, s->buf + have, ask);
        if (n < 0) { s->failed = true; break; }
        if (n == 0) { s->at_end = true; break; }
        have += (size_t)n;
        s->end += n;
        s->end_off += (uint64_t)n;
    }
    return have;
}

/* ---- parallel reads of large payloads -------------------------------------------------
 *
 * Copying a payload of hundreds of MiB out of the page cache costs two passes over fresh
 * memory: the kernel zeroes every page of the destination on its first touch, then
 * copies the file's bytes over it. One read() does both on one core. Reading the parts
 * of the payload with pread() from several threads, each into its own place of the one
 * destination block, runs both passes on several cores: no extra memory, the same bytes,
 * and the descriptor is left where one read() would leave it. */

/* Payloads smaller than this are read by the calling thread alone (a thread costs some
 * tens of microseconds; below this the gain is not worth the risk of waiting for a core
 * on a busy machine). Each thread gets at least PARALLEL_PART bytes. */
#define PARALLEL_MIN ((size_t)64 << 20)
#define PARALLEL_PART ((size_t)32 << 20)
#define PARALLEL_MAX_THREADS 16
/* Parts start on 2 MiB boundaries of the destination: the huge pages of the default
 * allocator's blocks are then faulted in by one thread each. */
#define PARALLEL_ALIGN ((uintptr_t)2 << 20)

typedef struct pread_part {
    int fd;
    uint8_t *dst;
    size_t n, done;
    off_t at;
    int err;        /* errno of a failed pread, 0 */
} pread_part;

static void *pread_run(void *arg) {
    pread_part *p = arg;
    while (p->done < p->n) {
        size_t want = p->n - p->done;
        ssize_t k = pread(p->fd, p->dst + p->done, want > ((size_t)1 << 30) ? ((size_t)1 << 30) : want,
                          p->at + (off_t)p->done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            p->err = k < 0 ? errno : 0;
            break;
        }
        p->done += (size_t)k;
    }
    return NULL;
}

/* Read n bytes at the descriptor's position into dst with up to s->threads threads.
 * @return the bytes read in order from the start (a failed or short part ends it); the
 * descriptor is then just past them. (size_t)-1 when it cannot start (the caller reads
 * as usual). */
static size_t copy_parallel(jlp_source *s, uint8_t *dst, size_t n) {
    off_t base = lseek(s->fd, 0, SEEK_CUR);
    if (base < 0) return (size_t)-1;
    size_t nt = (size_t)s->threads;
    if (!nt) {
        /* the default: the online processors, at most 4 (a copy out of the page cache
         * rarely gains from more); asked here, where it is worth a system call */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        nt = cpus < 1 ? 1 : cpus > 4 ? 4 : (size_t)cpus;
    }
    if (nt > PARALLEL_MAX_THREADS) nt = PARALLEL_MAX_THREADS;
    if (nt > n / PARALLEL_PART) nt = n / PARALLEL_PART;
    if (nt < 2) return (size_t)-1;
    pread_part part[PARALLEL_MAX_THREADS];
    pthread_t tid[PARALLEL_MAX_THREADS];
    bool started[PARALLEL_MAX_THREADS];
    size_t from = 0;
    for (size_t i = 0; i < nt; i++) {
        size_t to = n;
        if (i + 1 < nt) {
            uintptr_t cut = (uintptr_t)dst + n / nt * (i + 1);
            cut = (cut + PARALLEL_ALIGN - 1) & ~(PARALLEL_ALIGN - 1);
            to = (size_t)(cut - (uintptr_t)dst);
            if (to > n) to = n;
        }
        part[i] = (pread_part){s->fd, dst + from, to - from, 0, base + (off_t)from, 0};
        from = to;
    }
    /* part 0 is the caller's; a helper that cannot start leaves its part to the caller */
    for (size_t i = 1; i < nt; i++) started[i] = pthread_create(&tid[i], NULL, pread_run, &part[i]) == 0;
    pread_run(&part[0]);
    for (size_t i = 1; i < nt; i++) {
        if (started[i]) pthread_join(tid[i], NULL);
        else pread_run(&part[i]);
    }
    size_t done = 0;
    for (size_t i = 0; i < nt; i++) {
        done += part[i].done;
        if (part[i].done < part[i].n) {
            if (part[i].err) {
                s->failed = true;
                s->sys_errno = part[i].err;
            }
            break;
        }
    }
    if (lseek(s->fd, base + (off_t)done, SEEK_SET) < 0 && !s->failed) {
        s->failed = true;
        s->sys_errno = errno;
    }
    return done;
}

const uint8_t *jlp__src_lend(jlp_source *s, uint64_t n) {
    if (!jlp__src_lends(s) || n > jlp__src_remaining(s)) return NULL;
    size_t have = jlp__src_avail(s);
    if (!s->pull || n <= have) {
        const uint8_t *p = s->cur;
        s->cur += n;
        return s->pull ? s->map + (jlp__src_tell(s) - n) : p;
    }
    /* mapped: the bytes past the window are skipped, not read */
    uint64_t at = jlp__src_tell(s);
    uint64_t skip = n - have;
    if (skip > (uint64_t)INT64_MAX || lseek(s->fd, (off_t)skip, SEEK_CUR) < 0) {
        s->failed = true;
        s->sys_errno = errno ? errno : EOVERFLOW;
        return NULL;
    }
    s->cur = s->end;
    s->end_off += skip;
    return s->map + at;
}

size_t jlp__src_copy(jlp_source *s, void *dst, size_t n) {
    size_t have = jlp__src_avail(s);
    size_t k = have < n ? have : n;
    if (k) {   /* s->cur may be NULL while k is 0: a decoding layer has no window yet */
        memcpy(dst, s->cur, k);
        s->cur += k;
    }
    uint8_t *out = (uint8_t *)dst + k;
    size_t left = n - k;
    if (!left || !s->pull) return k;
    /* Small remainders go through the window so the next opcode read is buffered too;
     * large ones are read straight into the destination. */
    if (left < SOURCE_BUF_INITIAL / 2) {
        size_t got = jlp__src_fill(s, left);
        size_t c = got < left ? got : left;
        memcpy(out, s->cur, c);
        s->cur += c;
        return k + c;
    }
    if (s->threads != 1 && left >= PARALLEL_MIN && s->fd >= 0 && s->size_hint && !s->layer &&
        s->pull != NULL && !s->fp && !s->fn) {
        size_t got = copy_parallel(s, out, left);
        if (got != (size_t)-1) {
            s->end_off += got;
            return k + got;
        }
    }
    while (left && !s->at_end && !s->failed) {
        long long r = s->pull(s, out, left);
        if (r < 0) { s->failed = true; break; }
        if (r == 0) { s->at_end = true; break; }
        out += r;
        left -= (size_t)r;
        s->end_off += (uint64_t)r;
    }
    return n - left;
}

const uint8_t *jlp__src_line(jlp_source *s, size_t max, size_t *len) {
    size_t scanned = 0;
    for (;;) {
        size_t have = jlp__src_avail(s);
        size_t lim = have < max ? have : max;
        const uint8_t *nl = lim > scanned ? memchr(s->cur + scanned, '\n', lim - scanned) : NULL;
        if (nl) {
            const uint8_t *p = s->cur;
            *len = (size_t)(nl - p) + 1;
            s->cur = nl + 1;
            return p;
        }
        scanned = lim;
        if (lim >= max) { *len = 1; return NULL; }
        size_t want = have + (have < 4096 ? 4096 : have);
        if (want > max) want = max;
        if (jlp__src_fill(s, want) <= have) { *len = 0; return NULL; }
    }
}
