/*
 * test_errors.c - the error table (pinned codes, names, texts), the version functions,
 * every source constructor's argument checks, loading from pipes, files and paths, read
 * errors, and allocation failure: an allocator that fails the n-th allocation, for every
 * n until the load succeeds, must give JLP_E_NOMEM without leaking or crashing, and
 * limits.max_alloc must give JLP_E_LIMIT.
 */
#include "harness.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#define LFAIL(line, ...)                                                             \
    do {                                                                             \
        fprintf(stderr, "  %s:%d: ", __FILE__, (line));                              \
        fprintf(stderr, __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                         \
        th_failed_now = 1;                                                           \
    } while (0)

/* =====================================================================================
 * The error table
 * ===================================================================================== */

/* Written out by hand, not generated from JLP_ERROR_TABLE: a renumbering of the public
 * table must break this test. */
static const struct {
    jlp_code code;
    int value;
    const char *name;
    const char *text;
} pinned[] = {
    {JLP_E_OK, 0, "OK", "no error"},
    {JLP_E_NOMEM, 1, "NOMEM", "out of memory"},
    {JLP_E_INVALID_ARG, 2, "INVALID_ARG", "invalid argument"},
    {JLP_E_IO, 3, "IO", "I/O error"},
    {JLP_E_TRUNCATED, 4, "TRUNCATED", "input ended before the value was complete"},
    {JLP_E_BAD_OPCODE, 5, "BAD_OPCODE", "unknown opcode"},
    {JLP_E_BAD_PROTO, 6, "BAD_PROTO", "unsupported pickle protocol"},
    {JLP_E_STACK_UNDERFLOW, 7, "STACK_UNDERFLOW", "unpickling stack underflow"},
    {JLP_E_NO_MARK, 8, "NO_MARK", "no MARK on the stack"},
    {JLP_E_BAD_TYPE, 9, "BAD_TYPE", "operand has the wrong type"},
    {JLP_E_MEMO_MISSING, 10, "MEMO_MISSING", "memo key not defined"},
    {JLP_E_BAD_VALUE, 11, "BAD_VALUE", "malformed opcode argument"},
    {JLP_E_BAD_UTF8, 12, "BAD_UTF8", "invalid UTF-8"},
    {JLP_E_FRAME, 13, "FRAME", "pickle frame violation"},
    {JLP_E_LIMIT, 14, "LIMIT", "a configured limit was exceeded"},
    {JLP_E_NO_BUFFER, 15, "NO_BUFFER", "out-of-band buffer not supplied"},
    {JLP_E_UNKNOWN_FORMAT, 16, "UNKNOWN_FORMAT", "input is neither a pickle nor a known container"},
    {JLP_E_CODEC_MISSING, 17, "CODEC_MISSING", "compressor recognised but not available in this build"},
    {JLP_E_CORRUPT, 18, "CORRUPT", "compressed stream is corrupt"},
    {JLP_E_CHECKSUM, 19, "CHECKSUM", "checksum mismatch"},
    {JLP_E_TRAILING, 20, "TRAILING", "unexpected bytes after the end of the stream"},
    {JLP_E_BAD_ARRAY, 21, "BAD_ARRAY", "malformed array description or payload"},
    {JLP_E_BAD_DTYPE, 22, "BAD_DTYPE", "malformed numpy dtype"},
    {JLP_E_MMAP, 23, "MMAP", "memory mapping failed or not possible"},
    {JLP_E_UNALIGNED, 24, "UNALIGNED", "array payload is not aligned as required"},
    {JLP_E_PATH, 25, "PATH", "refused companion file name"},
    {JLP_E_UNSUPPORTED, 26, "UNSUPPORTED", "valid input that this operation does not support"},
    {JLP_E_CYCLE, 27, "CYCLE", "value graph has a cycle where none is allowed"},
    {JLP_E_RANGE, 28, "RANGE", "value does not fit the requested type exactly"},
    {JLP_E_NOT_FOUND, 29, "NOT_FOUND", "no value at the requested key, index or path"},
};

TEST(error_codes_are_pinned) {
    size_t n = sizeof pinned / sizeof pinned[0];
    CHECK_INT(JLP_OK, 0);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(pinned[i].code, pinned[i].value);
        CHECK_STR(jlp_error_name(pinned[i].code), pinned[i].name);
        CHECK_STR(jlp_strerror(pinned[i].code), pinned[i].text);
    }
    /* new codes may only be appended: every table entry is pinned above */
    CHECK(JLP_E__COUNT >= (int)n);
}

TEST(error_table_matches_functions) {
    /* each entry of the public X-macro table, with its literal value and text */
    int count = 0;
#define CHECK_ENTRY(name, value, text)                                               \
    do {                                                                             \
        CHECK_INT(JLP_E_##name, value);                                              \
        CHECK_STR(jlp_error_name(JLP_E_##name), #name);                              \
        CHECK_STR(jlp_strerror(JLP_E_##name), text);                                 \
        CHECK_INT(value, count);                                                     \
        count++;                                                                     \
    } while (0);
    JLP_ERROR_TABLE(CHECK_ENTRY)
#undef CHECK_ENTRY
    CHECK_INT(count, JLP_E__COUNT);
    /* names are unique */
    for (int a = 0; a < count; a++)
        for (int b = a + 1; b < count; b++)
            CHECK(strcmp(jlp_error_name((jlp_code)a), jlp_error_name((jlp_code)b)) != 0);
}

TEST(unknown_codes) {
    static const int unknown[] = {-1, -1000, 30, 1000, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        jlp_code c = (jlp_code)unknown[i];
        if (unknown[i] >= 0 && unknown[i] < JLP_E__COUNT) continue;
        CHECK_STR(jlp_error_name(c), "UNKNOWN");
        const char *t = jlp_strerror(c);
        CHECK(t != NULL && t[0] != '\0');
    }
    CHECK_STR(jlp_error_name(JLP_E__COUNT), "UNKNOWN");
}

TEST(version_functions) {
    CHECK_INT(jlp_version_number(), JLP_VERSION_NUMBER);
    CHECK_STR(jlp_version_string(), JLP_VERSION_STRING);
    CHECK_INT(JLP_VERSION_NUMBER,
              JLP_VERSION_MAJOR * 10000 + JLP_VERSION_MINOR * 100 + JLP_VERSION_PATCH);
    char buf[64];
    snprintf(buf, sizeof buf, "%d.%d.%d", JLP_VERSION_MAJOR, JLP_VERSION_MINOR, JLP_VERSION_PATCH);
    CHECK_STR(jlp_version_string(), buf);
    CHECK(jlp_version_string() == jlp_version_string()); /* static storage */
}

/* =====================================================================================
 * Sources: argument checks
 * ===================================================================================== */

static long long never_read(void *ctx, void *buf, size_t cap) {
    (void)ctx;
    (void)buf;
    (void)cap;
    return 0;
}

static void expect_invalid(int line, const void *ret, const jlp_error *err) {
    if (ret != NULL || err->code != JLP_E_INVALID_ARG)
        LFAIL(line, "got %p / %s, expected NULL / INVALID_ARG", ret, jlp_error_name(err->code));
    if (err->msg[0] == '\0') LFAIL(line, "no message");
}
#define EXPECT_INVALID(expr)                                                         \
    do {                                                                             \
        memset(&err, 0, sizeof err);                                                 \
        err.code = JLP_OK;                                                           \
        const void *r_ = (expr);                                                     \
        expect_invalid(__LINE__, r_, &err);                                          \
    } while (0)

TEST(source_invalid_arguments) {
    jlp_error err;
    EXPECT_INVALID(jlp_source_path(NULL, NULL, &err));
    EXPECT_INVALID(jlp_source_fd(-1, NULL, &err));
    EXPECT_INVALID(jlp_source_fd(-12345, NULL, &err));
    EXPECT_INVALID(jlp_source_file(NULL, NULL, &err));
    EXPECT_INVALID(jlp_source_cb(NULL, NULL, NULL, &err));
    EXPECT_INVALID(jlp_source_mem(NULL, 1, NULL, &err));
    EXPECT_INVALID(jlp_source_mem(NULL, SIZE_MAX, NULL, &err));
    /* the one-shot loaders check the same */
    EXPECT_INVALID(jlp_load_path(NULL, NULL, &err));
    EXPECT_INVALID(jlp_load_fd(-1, NULL, &err));
    EXPECT_INVALID(jlp_load_file(NULL, NULL, &err));
    EXPECT_INVALID(jlp_load_cb(NULL, NULL, NULL, &err));
    EXPECT_INVALID(jlp_load_mem(NULL, 5, NULL, NULL, &err));
    EXPECT_INVALID(jlp_load(NULL, NULL, &err));
    /* err may be NULL */
    CHECK(jlp_source_path(NULL, NULL, NULL) == NULL);
    CHECK(jlp_load(NULL, NULL, NULL) == NULL);
    CHECK(jlp_load_mem(NULL, 5, NULL, NULL, NULL) == NULL);
    /* NULL data with length 0 is an empty source */
    jlp_source *s = jlp_source_mem(NULL, 0, NULL, &err);
    CHECK(s != NULL);
    CHECK_INT(err.code, JLP_OK);
    CHECK_INT(jlp_source_at_eof(s, &err), 1);
    CHECK(jlp_load(s, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_TRUNCATED, 0);
    jlp_source_free(s);
    /* a valid callback source needs no read before jlp_load */
    s = jlp_source_cb(never_read, NULL, NULL, &err);
    CHECK(s != NULL);
    CHECK_INT(jlp_source_tell(s), 0);
    CHECK_INT(jlp_source_at_eof(s, &err), 1);
    jlp_source_free(s);
    /* NULL-tolerant helpers */
    CHECK_INT(jlp_source_tell(NULL), 0);
    CHECK_INT(jlp_source_at_eof(NULL, &err), -1);
    CHECK_INT(err.code, JLP_E_INVALID_ARG);
    CHECK_INT(jlp_source_at_eof(NULL, NULL), -1);
    jlp_source_free(NULL);
}

TEST(nonexistent_path_is_io) {
    jlp_error err;
    const char *path = "/nonexistent-dir-jlp/none.pkl";
    CHECK(jlp_source_path(path, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_IO);
    CHECK(err.msg[0] != '\0');
    CHECK(jlp_load_path(path, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_IO);
    /* a directory opens but cannot be read */
    CHECK(jlp_load_path("/", NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_IO);
}

/* =====================================================================================
 * Loading from files, paths, pipes and callbacks
 * ===================================================================================== */

static const char two_pickles[] = "\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00}\x8c\x01" "aK\x01s.\x80\x02]K\x02" "a.";
#define TWO_LEN (sizeof two_pickles - 1)

TEST(load_file_from_tmpfile) {
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) return;
    CHECK_INT(fwrite(two_pickles, 1, TWO_LEN, f), TWO_LEN);
    rewind(f);
    jlp_error err;
    jlp_doc *d = jlp_load_file(f, NULL, &err);
    CHECK(d != NULL);
    CHECK_INT(jlp_get_int(jlp_dict_get(jlp_doc_root(d), "a")), 1);
    CHECK_INT(jlp_doc_protocol(d), 4);
    jlp_doc_free(d);
    /* a FILE source keeps its place across loads */
    rewind(f);
    jlp_source *s = jlp_source_file(f, NULL, &err);
    d = jlp_load(s, NULL, &err);
    CHECK_INT(jlp_source_tell(s), 19);
    jlp_doc_free(d);
    d = jlp_load(s, NULL, &err);
    CHECK(d != NULL);
    CHECK_INT(jlp_get_int(jlp_item(jlp_doc_root(d), 0)), 2);
    CHECK_INT(jlp_source_at_eof(s, &err), 1);
    jlp_doc_free(d);
    jlp_source_free(s);
    fclose(f);
}

TEST(load_path_from_temp_file) {
    char path[] = "/tmp/jlp_test_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    CHECK_INT(write(fd, two_pickles, TWO_LEN), (long long)TWO_LEN);
    close(fd);
    jlp_error err;
    jlp_doc *d = jlp_load_path(path, NULL, &err);
    CHECK(d != NULL);
    CHECK_INT(jlp_doc_consumed(d), 19);
    jlp_doc_free(d);
    jlp_source *s = jlp_source_path(path, NULL, &err);
    CHECK(s != NULL);
    jlp_doc_free(jlp_load(s, NULL, &err));
    d = jlp_load(s, NULL, &err);
    CHECK(d != NULL);
    CHECK_INT(jlp_doc_consumed(d), TWO_LEN - 19);
    jlp_doc_free(d);
    jlp_source_free(s);
    unlink(path);
}

typedef struct writer_arg {
    int fd;
    const uint8_t *p;
    size_t n;
} writer_arg;

static void *pipe_writer(void *arg) {
    writer_arg *w = arg;
    size_t off = 0;
    while (off < w->n) {
        size_t k = w->n - off < 4093 ? w->n - off : 4093; /* odd-sized writes */
        ssize_t r = write(w->fd, w->p + off, k);
        if (r < 0) {
            if (errno == EINTR) continue;
            break;
        }
        off += (size_t)r;
    }
    close(w->fd);
    return NULL;
}

TEST(load_fd_from_pipe) {
    int fds[2];
    CHECK_INT(pipe(fds), 0);
    /* small: fits in the pipe buffer */
    CHECK_INT(write(fds[1], two_pickles, TWO_LEN), (long long)TWO_LEN);
    close(fds[1]);
    jlp_error err;
    jlp_doc *d = jlp_load_fd(fds[0], NULL, &err);
    CHECK(d != NULL);
    CHECK_INT(jlp_get_int(jlp_dict_get(jlp_doc_root(d), "a")), 1);
    jlp_doc_free(d);
    close(fds[0]);

    /* large: a 3 MB pickle (a list of one 1 MB bytes and 200k small ints) and a second
     * pickle after it, written by a thread */
    size_t cap = 4u << 20, n = 0;
    uint8_t *buf = malloc(cap);
    memcpy(buf, "\x80\x04](\x8e", 5);
    n = 5;
    uint64_t blen = 1u << 20;
    for (int i = 0; i < 8; i++) buf[n++] = (uint8_t)(blen >> (8 * i));
    for (uint64_t i = 0; i < blen; i++) buf[n++] = (uint8_t)(i * 7);
    for (int i = 0; i < 200000; i++) {
        buf[n++] = 'M';
        buf[n++] = (uint8_t)i;
        buf[n++] = (uint8_t)(i >> 8);
    }
    buf[n++] = 'e';
    buf[n++] = '.';
    size_t first = n;
    memcpy(buf + n, "K\x2a.", 3);
    n += 3;
    CHECK_INT(pipe(fds), 0);
    writer_arg w = {fds[1], buf, n};
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, pipe_writer, &w), 0);
    jlp_source *s = jlp_source_fd(fds[0], NULL, &err);
    d = jlp_load(s, NULL, &err);
    CHECK(d != NULL);
    if (d) {
        jlp_val *l = jlp_doc_root(d);
        CHECK_INT(jlp_len(l), 200001);
        size_t bl = 0;
        const char *bp = jlp_get_str(jlp_item(l, 0), &bl);
        CHECK_INT(bl, blen);
        CHECK(bp && !memcmp(bp, buf + 13, blen));
        CHECK_INT(jlp_get_int(jlp_item(l, 200000)), 199999 & 0xffff);
        CHECK_INT(jlp_doc_consumed(d), first);
    }
    jlp_doc_free(d);
    d = jlp_load(s, NULL, &err);
    CHECK_INT(jlp_get_int(jlp_doc_root(d)), 42);
    jlp_doc_free(d);
    CHECK_INT(jlp_source_at_eof(s, &err), 1);
    jlp_source_free(s);
    /* drain whatever a failed load left, so the writer can finish */
    char sinkbuf[4096];
    while (read(fds[0], sinkbuf, sizeof sinkbuf) > 0) {}
    pthread_join(th, NULL);
    close(fds[0]);
    free(buf);
}

typedef struct failing_cb {
    const uint8_t *p;
    size_t left;
    int mode; /* 0: error at the end, 1: claim more than cap */
} failing_cb;

static long long failing_read(void *ctx, void *buf, size_t cap) {
    failing_cb *f = ctx;
    if (!f->left) return -1;
    if (f->mode == 1) return (long long)cap + 1;
    size_t k = f->left < 2 ? f->left : 2;
    if (k > cap) k = cap;
    memcpy(buf, f->p, k);
    f->p += k;
    f->left -= k;
    return (long long)k;
}

TEST(read_errors_are_io) {
    /* 303 bytes of whole opcodes arrive, then the callback fails: IO at 303, where the
     * next opcode would start */
    uint8_t in[400];
    size_t n = 0;
    memcpy(in, "\x80\x02]", 3);
    n = 3;
    for (int i = 0; i < 100; i++) {
        memcpy(in + n, "K\x01" "a", 3);
        n += 3;
    }
    failing_cb f = {in, n, 0};
    jlp_error err;
    CHECK(jlp_load_cb(failing_read, &f, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_IO, 303);
    CHECK_INT(err.opcode, -1);
    /* failing inside an argument: IO at the opcode */
    memcpy(in + n, "X\x10\x00\x00\x00" "abc", 8);
    failing_cb g = {in, n + 8, 0};
    CHECK(jlp_load_cb(failing_read, &g, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_IO, 303);
    CHECK_INT(err.opcode, 'X');
    /* a callback returning more than it was asked for is an error, not an overflow */
    failing_cb h = {(const uint8_t *)"N.", 2, 1};
    CHECK(jlp_load_cb(failing_read, &h, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_IO);
    /* at_eof reports the failure */
    failing_cb e = {(const uint8_t *)"", 0, 0};
    jlp_source *s = jlp_source_cb(failing_read, &e, NULL, &err);
    CHECK_INT(jlp_source_at_eof(s, &err), -1);
    CHECK_INT(err.code, JLP_E_IO);
    jlp_source_free(s);
    /* reading a write-only descriptor */
    int fds[2];
    if (pipe(fds) == 0) {
        CHECK(jlp_load_fd(fds[1], NULL, &err) == NULL);
        CHECK_INT(err.code, JLP_E_IO);
        close(fds[0]);
        close(fds[1]);
    }
}

TEST(read_errors_near_the_start) {
    /* the error comes after five good bytes: it is at 5, not at 0 */
    failing_cb f = {(const uint8_t *)"\x80\x02]K\x01", 5, 0};
    jlp_error err;
    CHECK(jlp_load_cb(failing_read, &f, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_IO, 5);
    /* a complete pickle followed by a failing read loads: nothing past STOP is needed */
    failing_cb g = {(const uint8_t *)"\x80\x02K\x07.", 5, 0};
    jlp_doc *d = jlp_load_cb(failing_read, &g, NULL, &err);
    CHECK(d != NULL);
    if (!d) fprintf(stderr, "    %s at %llu: %s\n", jlp_error_name(err.code), (unsigned long long)err.offset, err.msg);
    CHECK_INT(jlp_get_int(jlp_doc_root(d)), 7);
    jlp_doc_free(d);
}

/* =====================================================================================
 * Allocation failure
 * ===================================================================================== */

/* Headered blocks: sizes passed to realloc/free are checked against the allocation. */
typedef struct fa {
    size_t calls;      /* malloc + realloc calls so far */
    size_t fail_at;    /* 1-based call to fail; 0 = never */
    int sticky;        /* fail every call from fail_at on */
    size_t live;       /* blocks not yet freed */
    size_t bytes;      /* bytes not yet freed */
    size_t bad_size;   /* free/realloc with a size that is not the block's */
    size_t failed;     /* calls failed */
} fa;

#define FA_HDR 16u

static int fa_should_fail(fa *a) {
    a->calls++;
    if (!a->fail_at) return 0;
    if (a->calls == a->fail_at || (a->sticky && a->calls > a->fail_at)) {
        a->failed++;
        return 1;
    }
    return 0;
}

static void *fa_malloc(void *ctx, size_t n) {
    fa *a = ctx;
    if (fa_should_fail(a)) return NULL;
    uint8_t *p = malloc(n + FA_HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    a->live++;
    a->bytes += n;
    return p + FA_HDR;
}

static void fa_free(void *ctx, void *ptr, size_t n) {
    fa *a = ctx;
    if (!ptr) return;
    uint8_t *p = (uint8_t *)ptr - FA_HDR;
    size_t have;
    memcpy(&have, p, sizeof have);
    if (have != n) a->bad_size++;
    a->live--;
    a->bytes -= have;
    free(p);
}

static void *fa_realloc(void *ctx, void *ptr, size_t old_n, size_t n) {
    fa *a = ctx;
    if (!ptr) return fa_malloc(ctx, n);
    if (fa_should_fail(a)) return NULL;
    uint8_t *p = (uint8_t *)ptr - FA_HDR;
    size_t have;
    memcpy(&have, p, sizeof have);
    if (have != old_n) a->bad_size++;
    uint8_t *np = realloc(p, n + FA_HDR);
    if (!np) return NULL;
    memcpy(np, &n, sizeof n);
    a->bytes = a->bytes - have + n;
    return np + FA_HDR;
}


typedef struct trickle {
    const uint8_t *p;
    size_t left, chunk;
} trickle;

static long long trickle_read(void *ctx, void *buf, size_t cap) {
    trickle *t = ctx;
    size_t k = t->left < t->chunk ? t->left : t->chunk;
    if (k > cap) k = cap;
    memcpy(buf, t->p, k);
    t->p += k;
    t->left -= k;
    return (long long)k;
}

static const char *golden_dir(void) {
    const char *dir = getenv("JLP_GOLDEN_DIR");
    return dir ? dir : "tests/pickle/golden";
}

enum { VIA_MEM, VIA_CB, VIA_PATH };

/* Fail allocation n (only it, or it and all later ones) for n = 1, 2, ... until the
 * load succeeds. Every failure must be NOMEM, leave nothing allocated, and use
 * consistent sizes; the final success must export the golden JSON. */
static void fail_every_allocation(int line, const char *stem, int via, int sticky) {
    char path[4096], jpath[4096];
    snprintf(path, sizeof path, "%s/%s.pickle", golden_dir(), stem);
    snprintf(jpath, sizeof jpath, "%s/%s.json", golden_dir(), stem);
    size_t n = 0, jn = 0;
    char *data = slurp(path, &n), *want = slurp(jpath, &jn);
    if (!data || !want) {
        LFAIL(line, "cannot read %s", path);
        free(data);
        free(want);
        return;
    }
    char *nl = strchr(want, '\n');
    if (nl) nl[1] = '\0'; /* first pickle only */
    static const char *const vias[] = {"mem", "cb", "path"};
    size_t k;
    int done = 0, bad = 0;
    for (k = 1; k < 100000 && !done && bad < 3; k++) {
        fa a = {0};
        a.fail_at = k;
        a.sticky = sticky;
        jlp_alc alc = {fa_malloc, fa_realloc, fa_free, &a};
        jlp_read_opts o;
        jlp_read_opts_init(&o);
        o.alc = &alc;
        jlp_error err;
        jlp_doc *d = NULL;
        if (via == VIA_MEM) {
            d = jlp_load_mem(data, n, &o, NULL, &err);
        } else if (via == VIA_CB) {
            trickle t = {(const uint8_t *)data, n, 5};
            d = jlp_load_cb(trickle_read, &t, &o, &err);
        } else {
            d = jlp_load_path(path, &o, &err);
        }
        if (d) {
            done = 1;
            char *js = jlp_export_json_str(jlp_doc_root(d), NULL, NULL, NULL);
            if (!js || strcmp(js, want)) {
                LFAIL(line, "%s via %s: export after success differs", stem, vias[via]);
                bad++;
            }
            free(js);
            jlp_doc_free(d);
        } else {
            if (err.code != JLP_E_NOMEM) {
                LFAIL(line, "%s via %s, %s allocation %zu failed: got %s at %llu (%s), expected NOMEM",
                      stem, vias[via], sticky ? "from" : "only", k, jlp_error_name(err.code),
                      (unsigned long long)err.offset, err.msg);
                bad++;
            }
            if (!a.failed) {
                LFAIL(line, "%s via %s: load failed at k=%zu without a failed allocation", stem,
                      vias[via], k);
                bad++;
            }
        }
        if (a.live || a.bytes || a.bad_size) {
            LFAIL(line, "%s via %s, allocation %zu failed: %zu blocks (%zu bytes) leaked, %zu bad sizes",
                  stem, vias[via], k, a.live, a.bytes, a.bad_size);
            bad++;
        }
    }
    if (!done && !bad) LFAIL(line, "%s via %s never succeeded", stem, vias[via]);
    free(data);
    free(want);
}

static const char *const alloc_stems[] = {
    "kitchen_sink.p0", "kitchen_sink.p2", "kitchen_sink.p5", "cycle_instance.p4",
    "dict_1001.p5",    "py2_builtin_names.p2", "datetime_datetime_utc.p1",
};

TEST(failing_allocator_mem) {
    for (size_t i = 0; i < sizeof alloc_stems / sizeof alloc_stems[0]; i++) {
        fail_every_allocation(__LINE__, alloc_stems[i], VIA_MEM, 0);
        fail_every_allocation(__LINE__, alloc_stems[i], VIA_MEM, 1);
    }
}

TEST(failing_allocator_stream) {
    for (size_t i = 0; i < sizeof alloc_stems / sizeof alloc_stems[0]; i++) {
        fail_every_allocation(__LINE__, alloc_stems[i], VIA_CB, 0);
        fail_every_allocation(__LINE__, alloc_stems[i], VIA_CB, 1);
    }
}

TEST(failing_allocator_path) {
    fail_every_allocation(__LINE__, "kitchen_sink.p4", VIA_PATH, 0);
    fail_every_allocation(__LINE__, "kitchen_sink.p4", VIA_PATH, 1);
}

TEST(failing_allocator_hostile_shapes) {
    /* memo growth (dense and sparse), mark stack growth, a long string from a stream */
    static const struct { const char *name; size_t count; } shapes[] = {{"memo", 3000}, {"marks", 3000}};
    for (size_t s = 0; s < 2; s++) {
        size_t n = 0;
        uint8_t *in = malloc(8 * shapes[s].count + 16);
        in[n++] = 0x80;
        in[n++] = 0x04;
        for (size_t i = 0; i < shapes[s].count; i++) {
            if (s == 0) {
                in[n++] = 'N';
                in[n++] = 'r';
                uint32_t key = (uint32_t)(i % 3 ? i : i * 40503u + 70000u);
                for (int b = 0; b < 4; b++) in[n++] = (uint8_t)(key >> (8 * b));
                in[n++] = '0';
            } else {
                in[n++] = '(';
            }
        }
        in[n++] = 'N';
        in[n++] = '.';
        int done = 0;
        for (size_t k = 1; k < 10000 && !done; k++) {
            fa a = {0};
            a.fail_at = k;
            jlp_alc alc = {fa_malloc, fa_realloc, fa_free, &a};
            jlp_read_opts o;
            jlp_read_opts_init(&o);
            o.alc = &alc;
            jlp_error err;
            jlp_doc *d = jlp_load_mem(in, n, &o, NULL, &err);
            if (d) done = 1;
            else if (err.code != JLP_E_NOMEM)
                TH_FAIL("%s k=%zu: %s (%s)", shapes[s].name, k, jlp_error_name(err.code), err.msg);
            jlp_doc_free(d);
            if (a.live || a.bad_size) TH_FAIL("%s k=%zu: %zu leaked, %zu bad sizes", shapes[s].name, k, a.live, a.bad_size);
        }
        CHECK(done);
        free(in);
    }
}

/* =====================================================================================
 * limits.max_alloc
 * ===================================================================================== */

TEST(max_alloc_limit) {
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    jlp_limits lim = JLP_LIMITS_INIT;
    o.limits = &lim;
    jlp_error err;
    /* 5000 items appended at once: the item array crosses a 16 KiB budget at the APPENDS */
    size_t n = 0;
    uint8_t *in = malloc(6000);
    memcpy(in, "\x80\x04](", 4);
    n = 4;
    for (int i = 0; i < 5000; i++) in[n++] = 'N';
    in[n++] = 'e';
    in[n++] = '.';
    lim.max_alloc = 16384;
    CHECK(jlp_load_mem(in, n, &o, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_LIMIT, 5004);
    CHECK_INT(err.opcode, 'e');
    /* without the limit it loads, and reports what it allocated */
    lim.max_alloc = 0;
    jlp_doc *d = jlp_load_mem(in, n, &o, NULL, &err);
    CHECK(d != NULL);
    uint64_t used = jlp_doc_alloc_bytes(d);
    CHECK(used > 40000);
    jlp_doc_free(d);
    /* a limit of exactly what it needs is enough */
    lim.max_alloc = used;
    d = jlp_load_mem(in, n, &o, NULL, &err);
    CHECK(d != NULL);
    CHECK(jlp_doc_alloc_bytes(d) <= used);
    jlp_doc_free(d);
    free(in);

    /* a 100 kB str (copied, it needs a NUL) against a 64 KiB budget */
    in = malloc(100020);
    memcpy(in, "\x80\x04X\xa0\x86\x01\x00", 7);
    memset(in + 7, 'x', 100000);
    in[100007] = '.';
    lim.max_alloc = 65536;
    CHECK(jlp_load_mem(in, 100008, &o, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_LIMIT, 2);
    trickle t = {in, 100008, 1000};
    CHECK(jlp_load_cb(trickle_read, &t, &o, &err) == NULL);
    CHECK_ERR(err, JLP_E_LIMIT, 2);
    free(in);
}

TEST(max_alloc_smaller_than_a_document) {
    /* Even the empty document does not fit in 1000 bytes: that is the limit, not an
     * allocator failure. */
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_alloc = 1000;
    o.limits = &lim;
    jlp_error err;
    CHECK(jlp_load_mem("N.", 2, &o, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_LIMIT, 0);
}
