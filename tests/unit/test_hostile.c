/*
 * test_hostile.c - regression tests for every hostile-input class 1-18 of
 * /work/shared/HOSTILE-INPUTS.md. Each test builds the hostile bytes in C and loads them
 * from memory (jlp_load_mem) and, through jlp_load_cb, from a callback that hands out a
 * few bytes at a time. Failing inputs must give the exact code, offset (the byte where
 * the faulty opcode starts) and opcode; inputs that must load are checked structurally
 * and for bounded memory (a counting allocator, jlp_doc_alloc_bytes) and CPU time as a
 * ratio to a linear baseline (cpu_ratio).
 */
#include "harness.h"

#include <stdint.h>
#include <sys/resource.h>

/* ---- byte builder ---------------------------------------------------------------------- */

typedef struct bb {
    uint8_t *p;
    size_t n, cap;
} bb;

static void bput(bb *b, const void *d, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) abort();
        b->p = np;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void bbyte(bb *b, int c) {
    uint8_t x = (uint8_t)c;
    bput(b, &x, 1);
}
static void brep(bb *b, int c, size_t count) {
    for (size_t i = 0; i < count; i++) bbyte(b, c);
}
static void bstr(bb *b, const char *s) { bput(b, s, strlen(s)); }
static void bu32(bb *b, uint32_t v) {
    for (int i = 0; i < 4; i++) bbyte(b, (int)((v >> (8 * i)) & 0xFF));
}
static void bu64(bb *b, uint64_t v) {
    for (int i = 0; i < 8; i++) bbyte(b, (int)((v >> (8 * i)) & 0xFF));
}
static void bfree(bb *b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}
#define BLIT(b, lit) bput((b), (lit), sizeof(lit) - 1)

/* ---- counting allocator ---------------------------------------------------------------
 * Every block carries a 16-byte header with its size, so the test can check that the
 * sizes the library passes to realloc/free are the sizes it asked for. */

typedef struct cnt {
    size_t cur, peak, live, calls, bad_size;
} cnt;

#define HDR 16u

static void *c_malloc(void *ctx, size_t n) {
    cnt *c = ctx;
    c->calls++;
    uint8_t *p = malloc(n + HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    c->cur += n;
    c->live++;
    if (c->cur > c->peak) c->peak = c->cur;
    return p + HDR;
}
static void c_free(void *ctx, void *ptr, size_t n) {
    cnt *c = ctx;
    if (!ptr) return;
    uint8_t *p = (uint8_t *)ptr - HDR;
    size_t have;
    memcpy(&have, p, sizeof have);
    if (have != n) c->bad_size++;
    c->cur -= have;
    c->live--;
    free(p);
}
static void *c_realloc(void *ctx, void *ptr, size_t old_n, size_t n) {
    cnt *c = ctx;
    if (!ptr) return c_malloc(ctx, n);
    c->calls++;
    uint8_t *p = (uint8_t *)ptr - HDR;
    size_t have;
    memcpy(&have, p, sizeof have);
    if (have != old_n) c->bad_size++;
    uint8_t *np = realloc(p, n + HDR);
    if (!np) return NULL;
    memcpy(np, &n, sizeof n);
    c->cur = c->cur - have + n;
    if (c->cur > c->peak) c->peak = c->cur;
    return np + HDR;
}

/* ---- loading helpers -------------------------------------------------------------------- */

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

/* ---- CPU-time ratios --------------------------------------------------------------------
 * The machine running the tests is shared, so no test bounds a wall time. A test that
 * guards against super-linear work which only time shows (a quadratic walk, an
 * exponential one over shared nodes) measures its hostile input against a linear
 * baseline of comparable size, side by side in the same run: process CPU time
 * (getrusage), the least of several interleaved samples, each sample repeated until the
 * baseline takes at least 20 ms. The bound on the ratio is generous (a blowup at these
 * sizes costs thousands of times the baseline). tests/run.sh leaves every test calling
 * cpu_ratio( out of its valgrind pass. */

static double cpu_sec(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

typedef void (*cpu_work)(const bb *in, const void *ctx);

static double cpu_run(cpu_work w, const bb *in, const void *ctx, long reps) {
    double t0 = cpu_sec();
    for (long i = 0; i < reps; i++) w(in, ctx);
    return cpu_sec() - t0;
}

static double cpu_ratio(cpu_work hostile, const bb *h, cpu_work base, const bb *b,
                        const void *ctx) {
    long reps = 1;
    while (cpu_run(base, b, ctx, reps) < 0.02 && reps < (1L << 16)) reps *= 2;
    double mh = 1e300, mb = 1e300;
    for (int s = 0; s < 3; s++) {
        double tb = cpu_run(base, b, ctx, reps), th = cpu_run(hostile, h, ctx, reps);
        if (tb < mb) mb = tb;
        if (th < mh) mh = th;
    }
    if (mb < 1e-6) mb = 1e-6;
    if (getenv("JLP_TEST_SHOW_RATIOS"))
        fprintf(stderr, "    cpu ratio %.3f (%.4f s / %.4f s, %ld reps)\n", mh / mb, mh, mb, reps);
    return mh / mb;
}

#define CHECK_RATIO(r, max)                                                           \
    do {                                                                              \
        double th_r = (r);                                                            \
        if (!(th_r < (max))) TH_FAIL("CPU ratio %.2f to the linear baseline, bound %g", th_r, (double)(max)); \
    } while (0)

/* Work for cpu_ratio. ctx non-NULL: load through 7-byte reads, else from memory. */
static jlp_doc *load_either(const bb *in, const void *ctx) {
    jlp_error err;
    if (!ctx) return jlp_load_mem(in->p, in->n, NULL, NULL, &err);
    trickle t = {in->p, in->n, 7};
    return jlp_load_cb(trickle_read, &t, NULL, &err);
}
/* load and free */
static void w_load(const bb *in, const void *ctx) { jlp_doc_free(load_either(in, ctx)); }
/* load with the options ctx (a jlp_read_opts) and free */
static void w_load_opts(const bb *in, const void *ctx) {
    jlp_error err;
    jlp_doc_free(jlp_load_mem(in->p, in->n, ctx, NULL, &err));
}
/* load, export the root as JSON, free both */
static void w_load_export(const bb *in, const void *ctx) {
    jlp_doc *d = load_either(in, ctx);
    jlp_error err;
    if (d) free(jlp_export_json_str(jlp_doc_root(d), NULL, NULL, &err));
    jlp_doc_free(d);
}

#define ANY_OP (-2)

#define LFAIL(line, ...)                                                             \
    do {                                                                             \
        fprintf(stderr, "  %s:%d: ", __FILE__, (line));                              \
        fprintf(stderr, __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                         \
        th_failed_now = 1;                                                           \
    } while (0)

static void check_one_err(int line, const char *how, jlp_doc *d, const jlp_error *err,
                          jlp_code code, uint64_t off, int opcode) {
    if (d) {
        LFAIL(line, "[%s] loaded, expected %s at %llu", how, jlp_error_name(code),
              (unsigned long long)off);
        jlp_doc_free(d);
        return;
    }
    if (err->code != code || err->offset != off || (opcode != ANY_OP && err->opcode != opcode) ||
        err->input_offset != err->offset)
        LFAIL(line, "[%s] error %s at %llu (opcode %d, input_offset %llu: %s), expected %s at %llu (opcode %d)",
              how, jlp_error_name(err->code), (unsigned long long)err->offset, err->opcode,
              (unsigned long long)err->input_offset, err->msg, jlp_error_name(code),
              (unsigned long long)off, opcode);
}

/* The input must fail with exactly (code, offset, opcode), from memory and from a
 * callback stream handing out `chunk` bytes at a time. */
static void expect_err_opts(int line, const void *p, size_t n, const jlp_read_opts *o,
                            jlp_code code, uint64_t off, int opcode) {
    jlp_error err;
    memset(&err, 0x55, sizeof err);
    jlp_doc *d = jlp_load_mem(p, n, o, NULL, &err);
    check_one_err(line, "mem", d, &err, code, off, opcode);
    static const size_t chunks[] = {1, 3, 4096};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        trickle t = {p, n, chunks[i]};
        memset(&err, 0x55, sizeof err);
        d = jlp_load_cb(trickle_read, &t, o, &err);
        char how[32];
        snprintf(how, sizeof how, "cb chunk %zu", chunks[i]);
        check_one_err(line, how, d, &err, code, off, opcode);
    }
}
#define EXPECT_ERR(lit, code, off, opc) \
    expect_err_opts(__LINE__, (lit), sizeof(lit) - 1, NULL, (code), (off), (opc))
#define EXPECT_ERR_B(b, code, off, opc) \
    expect_err_opts(__LINE__, (b)->p, (b)->n, NULL, (code), (off), (opc))

static char *json_of(const jlp_val *v) {
    jlp_error err;
    size_t len = 0;
    char *s = jlp_export_json_str(v, NULL, &len, &err);
    if (s && strlen(s) != len) {
        free(s);
        return NULL;
    }
    return s;
}

/* The input must load from memory and from a 3-byte callback, give the same JSON both
 * ways and consume all `n` bytes; returns the memory document. */
static jlp_doc *load_ok_opts(int line, const void *p, size_t n, const jlp_read_opts *o) {
    jlp_error err;
    size_t consumed = 12345;
    jlp_doc *d = jlp_load_mem(p, n, o, &consumed, &err);
    if (!d) {
        LFAIL(line, "[mem] load failed: %s at %llu: %s", jlp_error_name(err.code),
              (unsigned long long)err.offset, err.msg);
        return NULL;
    }
    if (err.code != JLP_OK) LFAIL(line, "err.code %d after success", (int)err.code);
    if (consumed != n || jlp_doc_consumed(d) != n)
        LFAIL(line, "consumed %zu / %llu, expected %zu", consumed,
              (unsigned long long)jlp_doc_consumed(d), n);
    trickle t = {p, n, 3};
    jlp_doc *d2 = jlp_load_cb(trickle_read, &t, o, &err);
    if (!d2) {
        LFAIL(line, "[cb] load failed: %s at %llu: %s", jlp_error_name(err.code),
              (unsigned long long)err.offset, err.msg);
        return d;
    }
    char *a = json_of(jlp_doc_root(d)), *b = json_of(jlp_doc_root(d2));
    if (!a || !b || strcmp(a, b)) LFAIL(line, "mem and cb loads export differently");
    if (jlp_doc_warnings(d) != jlp_doc_warnings(d2)) LFAIL(line, "warnings differ mem/cb");
    free(a);
    free(b);
    jlp_doc_free(d2);
    return d;
}
#define LOAD_OK(lit) load_ok_opts(__LINE__, (lit), sizeof(lit) - 1, NULL)
#define LOAD_OK_B(b) load_ok_opts(__LINE__, (b)->p, (b)->n, NULL)
#define LOAD_OK_O(lit, o) load_ok_opts(__LINE__, (lit), sizeof(lit) - 1, (o))
#define EXPECT_ERR_O(lit, o, code, off, opc) \
    expect_err_opts(__LINE__, (lit), sizeof(lit) - 1, (o), (code), (off), (opc))

/* JSON export of v must be exactly `want` followed by "\n". */
static void check_json_line(int line, const jlp_val *v, const char *want) {
    char *s = json_of(v);
    size_t wl = strlen(want);
    if (!s || strlen(s) != wl + 1 || memcmp(s, want, wl) || s[wl] != '\n')
        LFAIL(line, "json\n    got:      %s    expected: %s", s ? s : "(null)\n", want);
    free(s);
}
#define CHECK_JSON(v, want) check_json_line(__LINE__, (v), (want))

static jlp_read_opts opts_default(void) {
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    return o;
}

/* =====================================================================================
 * Class 1: huge declared length, tiny payload
 * ===================================================================================== */

/* PROTO 4, then `op` with a `width`-byte length field holding `len`, then `data`
 * (not enough of it). Must fail at offset 2 with `code`, without allocating anything
 * near `len`: peak below 64 KiB from memory; from a stream the library may commit at
 * most its documented 16 MiB direct-read budget plus its 64 KiB window. */
static void huge_len_case(int line, int op, int width, uint64_t len, const char *data,
                          jlp_code code, uint64_t max_str) {
    bb b = {0};
    BLIT(&b, "\x80\x04");
    bbyte(&b, op);
    if (width == 1) bbyte(&b, (int)len);
    else if (width == 4) bu32(&b, (uint32_t)len);
    else bu64(&b, len);
    bstr(&b, data);
    cnt c = {0};
    jlp_alc alc = {c_malloc, c_realloc, c_free, &c};
    jlp_read_opts o = opts_default();
    jlp_limits lim = JLP_LIMITS_INIT;
    o.limits = &lim;
    o.alc = &alc;
    lim.max_str = max_str;
    expect_err_opts(line, b.p, b.n, &o, code, 2, op);
    /* expect_err_opts ran the memory load first, then the streams: check each alone. */
    cnt cm = {0};
    alc.ctx = &cm;
    jlp_error err;
    jlp_doc *d = jlp_load_mem(b.p, b.n, &o, NULL, &err);
    jlp_doc_free(d);
    if (cm.peak > 64 * 1024)
        LFAIL(line, "op 0x%02x len %llu: memory load peaked at %zu bytes", op,
              (unsigned long long)len, cm.peak);
    cnt cs = {0};
    alc.ctx = &cs;
    trickle t = {b.p, b.n, 3};
    d = jlp_load_cb(trickle_read, &t, &o, &err);
    jlp_doc_free(d);
    if (cs.peak > ((size_t)16 << 20) + 256 * 1024)
        LFAIL(line, "op 0x%02x len %llu: stream load peaked at %zu bytes", op,
              (unsigned long long)len, cs.peak);
    if (c.live || cm.live || cs.live || c.bad_size || cm.bad_size || cs.bad_size)
        LFAIL(line, "allocator: live %zu/%zu/%zu bad sizes %zu/%zu/%zu", c.live, cm.live, cs.live,
              c.bad_size, cm.bad_size, cs.bad_size);
    bfree(&b);
}
#define HUGE(op, w, len, data, code, max_str) huge_len_case(__LINE__, op, w, len, data, code, max_str)

#define DEF_MAX_STR ((uint64_t)1 << 31)

TEST(c01_huge_length_u32_opcodes) {
    /* BINBYTES, BINUNICODE: u32 lengths. Up to limits.max_str: TRUNCATED; above: LIMIT
     * (the documented limit is checked before reading); with no limit: TRUNCATED. */
    static const int ops[] = {'B', 'X'};
    for (int i = 0; i < 2; i++) {
        HUGE(ops[i], 4, 0x7fffffffu, "", JLP_E_TRUNCATED, DEF_MAX_STR);
        HUGE(ops[i], 4, 0x80000000u, "abc", JLP_E_TRUNCATED, DEF_MAX_STR);
        HUGE(ops[i], 4, 0xffffffffu, "", JLP_E_LIMIT, DEF_MAX_STR);
        HUGE(ops[i], 4, 0xffffffffu, "", JLP_E_TRUNCATED, 0);
        HUGE(ops[i], 4, 0x01000001u, "", JLP_E_TRUNCATED, DEF_MAX_STR); /* 16 MiB + 1 */
        HUGE(ops[i], 4, 0x00ffffffu, "", JLP_E_TRUNCATED, DEF_MAX_STR);
        HUGE(ops[i], 4, 5, "abcd", JLP_E_TRUNCATED, DEF_MAX_STR);
    }
}

TEST(c01_huge_length_u64_opcodes) {
    /* BINBYTES8, BYTEARRAY8, BINUNICODE8 */
    static const int ops[] = {0x8e, 0x96, 0x8d};
    for (int i = 0; i < 3; i++) {
        HUGE(ops[i], 8, (uint64_t)1 << 31, "", JLP_E_TRUNCATED, DEF_MAX_STR);
        HUGE(ops[i], 8, ((uint64_t)1 << 31) + 1, "", JLP_E_LIMIT, DEF_MAX_STR);
        HUGE(ops[i], 8, (uint64_t)1 << 62, "", JLP_E_LIMIT, DEF_MAX_STR);
        HUGE(ops[i], 8, (uint64_t)1 << 62, "", JLP_E_TRUNCATED, 0);
        HUGE(ops[i], 8, (uint64_t)1 << 63, "xy", JLP_E_TRUNCATED, 0);
        HUGE(ops[i], 8, UINT64_MAX, "", JLP_E_TRUNCATED, 0);
        HUGE(ops[i], 8, UINT64_MAX - 1, ".", JLP_E_TRUNCATED, 0);
        HUGE(ops[i], 8, 1u << 30, "", JLP_E_TRUNCATED, 0);
    }
}

TEST(c01_huge_length_short_and_signed_opcodes) {
    HUGE('C', 1, 255, "", JLP_E_TRUNCATED, DEF_MAX_STR);
    HUGE('C', 1, 255, "abc", JLP_E_TRUNCATED, DEF_MAX_STR);
    HUGE(0x8c, 1, 200, "", JLP_E_TRUNCATED, DEF_MAX_STR);
    HUGE('U', 1, 200, "", JLP_E_TRUNCATED, DEF_MAX_STR);
    /* BINSTRING and LONG4 lengths are signed int32: 2^31-1 is the largest */
    HUGE('T', 4, 0x7fffffffu, "", JLP_E_TRUNCATED, DEF_MAX_STR);
    HUGE('T', 4, 0x7fffffffu, "", JLP_E_TRUNCATED, 0);
    HUGE(0x8b, 4, 0x7fffffffu, "", JLP_E_TRUNCATED, DEF_MAX_STR);
    HUGE(0x8b, 4, 0x7fffffffu, "\x01\x02", JLP_E_TRUNCATED, 0);
}

TEST(c01_length_field_itself_truncated) {
    EXPECT_ERR("\x80\x04\x8e\xff\xff\xff", JLP_E_TRUNCATED, 2, 0x8e);
    EXPECT_ERR("\x80\x04X\xff", JLP_E_TRUNCATED, 2, 'X');
    EXPECT_ERR("\x80\x04" "C", JLP_E_TRUNCATED, 2, 'C');
    EXPECT_ERR("\x80\x04\x8b\x01\x00", JLP_E_TRUNCATED, 2, 0x8b);
}

/* =====================================================================================
 * Class 2: length sign / width bugs
 * ===================================================================================== */

TEST(c02_binunicode_ffffffff_is_unsigned) {
    /* `X\xff\xff\xff\xff.`: 4 GiB - 1, not -1. Above max_str by default: LIMIT; without
     * the limit it is simply truncated (one byte remains). */
    EXPECT_ERR("X\xff\xff\xff\xff.", JLP_E_LIMIT, 0, 'X');
    jlp_read_opts o = opts_default();
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_str = 0;
    o.limits = &lim;
    expect_err_opts(__LINE__, "X\xff\xff\xff\xff.", 6, &o, JLP_E_TRUNCATED, 0, 'X');
    expect_err_opts(__LINE__, "B\xff\xff\xff\xff.", 6, &o, JLP_E_TRUNCATED, 0, 'B');
}

TEST(c02_bytearray8_length_top_bit) {
    bb b = {0};
    bbyte(&b, 0x96);
    bu64(&b, (uint64_t)1 << 63);
    BLIT(&b, "abc.");
    EXPECT_ERR_B(&b, JLP_E_LIMIT, 0, 0x96);
    jlp_read_opts o = opts_default();
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_str = 0;
    o.limits = &lim;
    expect_err_opts(__LINE__, b.p, b.n, &o, JLP_E_TRUNCATED, 0, 0x96);
    bfree(&b);
}

TEST(c02_binstring_negative_count) {
    EXPECT_ERR("T\xff\xff\xff\xff" "abc.", JLP_E_BAD_VALUE, 0, 'T');
    EXPECT_ERR("\x80\x02T\x00\x00\x00\x80.", JLP_E_BAD_VALUE, 2, 'T');
    EXPECT_ERR("\x80\x02]T\xfe\xff\xff\xff", JLP_E_BAD_VALUE, 3, 'T');
    /* zero is fine */
    jlp_doc *d = LOAD_OK("T\x00\x00\x00\x00.");
    CHECK(jlp_str_eq(jlp_doc_root(d), ""));
    jlp_doc_free(d);
}

TEST(c02_long4_negative_count) {
    EXPECT_ERR("\x80\x02\x8b\xff\xff\xff\xff.", JLP_E_BAD_VALUE, 2, 0x8b);
    EXPECT_ERR("\x80\x02\x8b\x00\x00\x00\x80\x01.", JLP_E_BAD_VALUE, 2, 0x8b);
    jlp_doc *d = LOAD_OK("\x80\x02\x8b\x00\x00\x00\x00.");
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_INT);
    CHECK_INT(jlp_get_int(jlp_doc_root(d)), 0);
    jlp_doc_free(d);
    d = LOAD_OK("\x80\x02\x8b\x02\x00\x00\x00\xff\x7f.");
    CHECK_INT(jlp_get_int(jlp_doc_root(d)), 0x7fff);
    jlp_doc_free(d);
}

/* =====================================================================================
 * Class 3: memo index bomb
 * ===================================================================================== */

static void memo_bounded(int line, const void *p, size_t n, const char *want_json) {
    cnt c = {0};
    jlp_alc alc = {c_malloc, c_realloc, c_free, &c};
    jlp_read_opts o = opts_default();
    o.alc = &alc;
    jlp_doc *d = load_ok_opts(line, p, n, &o);
    if (d) {
        check_json_line(line, jlp_doc_root(d), want_json);
        if (jlp_doc_alloc_bytes(d) > 8192 + 64 * n)
            LFAIL(line, "alloc_bytes %llu", (unsigned long long)jlp_doc_alloc_bytes(d));
    }
    jlp_doc_free(d);
    if (c.peak > 256 * 1024) LFAIL(line, "peak %zu bytes for a %zu-byte memo bomb", c.peak, n);
    if (c.live || c.bad_size) LFAIL(line, "live %zu bad_size %zu", c.live, c.bad_size);
}

#define MEMO_BOUNDED(lit, json) memo_bounded(__LINE__, (lit), sizeof(lit) - 1, (json))

TEST(c03_long_binput_7fffffff) {
    MEMO_BOUNDED("Nr\xff\xff\xff\x7f.", "null");
    MEMO_BOUNDED("\x80\x02]r\xff\xff\xff\x7f" "0j\xff\xff\xff\x7f.", "[]");
    MEMO_BOUNDED("\x80\x02]r\xff\xff\xff\xff" "0j\xff\xff\xff\xff.", "[]");
    /* the value under the huge key is the very same node */
    jlp_doc *d = LOAD_OK("\x80\x02]r\xff\xff\xff\x7fj\xff\xff\xff\x7f\x86.");
    jlp_val *t = jlp_doc_root(d);
    CHECK_INT(jlp_len(t), 2);
    CHECK(jlp_item(t, 0) == jlp_item(t, 1));
    CHECK_JSON(t, "{\"$tuple\":[[],{\"$ref\":\"/$tuple/0\"}]}");
    jlp_doc_free(d);
}

TEST(c03_text_put_999999999999) {
    MEMO_BOUNDED("Np999999999999\n.", "null");
    MEMO_BOUNDED("(lp999999999999\n0g999999999999\n.", "[]");
    MEMO_BOUNDED("(lp9223372036854775807\n0g9223372036854775807\n.", "[]");
    /* negative and malformed indices */
    EXPECT_ERR("Np-1\n.", JLP_E_BAD_VALUE, 1, 'p');
    EXPECT_ERR("Npx\n.", JLP_E_BAD_VALUE, 1, 'p');
    EXPECT_ERR("Np\n.", JLP_E_BAD_VALUE, 1, 'p');
    EXPECT_ERR("Np12", JLP_E_TRUNCATED, 1, 'p');
}

TEST(c03_many_sparse_keys_stay_proportional) {
    /* 4000 values under scattered 32-bit keys, then all fetched back into a list */
    enum { N = 4000 };
    bb b = {0};
    BLIT(&b, "\x80\x02]");
    for (uint32_t i = 0; i < N; i++) {
        uint32_t key = (uint32_t)(0x10000000u + i * 2654435761u);
        bbyte(&b, 'J');
        bu32(&b, i);
        bbyte(&b, 'r');
        bu32(&b, key);
        bbyte(&b, '0');
    }
    bbyte(&b, '(');
    for (uint32_t i = 0; i < N; i++) {
        uint32_t key = (uint32_t)(0x10000000u + i * 2654435761u);
        bbyte(&b, 'j');
        bu32(&b, key);
    }
    BLIT(&b, "e.");
    cnt c = {0};
    jlp_alc alc = {c_malloc, c_realloc, c_free, &c};
    jlp_read_opts o = opts_default();
    o.alc = &alc;
    jlp_doc *d = load_ok_opts(__LINE__, b.p, b.n, &o);
    jlp_val *l = jlp_doc_root(d);
    CHECK_INT(jlp_len(l), N);
    int bad = 0;
    for (size_t i = 0; i < N; i++) bad += jlp_get_int(jlp_item(l, i)) != (int64_t)i;
    CHECK_INT(bad, 0);
    CHECK(c.peak < 64 * b.n + 256 * 1024);
    jlp_doc_free(d);
    CHECK_INT(c.live, 0);
    CHECK_INT(c.bad_size, 0);
    bfree(&b);
}

TEST(c03_sparse_key_survives_dense_growth) {
    /* key 1500 first lands in the sparse table; sequential keys 0..1999 then grow the
     * dense array past it: the entry must move, not vanish, and later PUTs to 1500
     * replace it. */
    bb b = {0};
    BLIT(&b, "\x80\x02K\x07r\xdc\x05\x00\x00" "0");
    for (uint32_t i = 0; i < 2000; i++) {
        if (i == 1500) continue;
        BLIT(&b, "N");
        bbyte(&b, 'r');
        bu32(&b, i);
        bbyte(&b, '0');
    }
    BLIT(&b, "j\xdc\x05\x00\x00K\x08r\xdc\x05\x00\x00j\xdc\x05\x00\x00\x87.");
    jlp_doc *d = LOAD_OK_B(&b);
    CHECK_JSON(jlp_doc_root(d), "{\"$tuple\":[7,8,8]}");
    jlp_doc_free(d);
    bfree(&b);
}

TEST(c03_max_memo_limit) {
    jlp_read_opts o = opts_default();
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_memo = 2;
    o.limits = &lim;
    EXPECT_ERR_O("\x80\x04N\x94\x94\x94.", &o, JLP_E_LIMIT, 5, 0x94);
    EXPECT_ERR_O("Nr\xff\xff\xff\x7fr\x00\x00\x00\x00r\x01\x00\x00\x00.", &o, JLP_E_LIMIT, 11, 'r');
    /* overwriting an existing key is not a new entry */
    jlp_doc *d = LOAD_OK_O("\x80\x04N\x94\x94q\x00q\x01.", &o);
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_NONE);
    jlp_doc_free(d);
}

/* =====================================================================================
 * Class 4: memo / DUP expansion ("billion laughs")
 * ===================================================================================== */

TEST(c04_get_dag_2_to_40) {
    bb b = {0};
    BLIT(&b, "\x80\x02]q\x00");
    for (int i = 0; i < 40; i++) {
        bbyte(&b, 'h');
        bbyte(&b, i);
        bbyte(&b, 'h');
        bbyte(&b, i);
        bbyte(&b, 0x86);
        bbyte(&b, 'q');
        bbyte(&b, i + 1);
    }
    bbyte(&b, '.');
    CHECK_INT(b.n, 286);
    jlp_doc *d = LOAD_OK_B(&b);
    CHECK(jlp_doc_alloc_bytes(d) > 0);
    CHECK(jlp_doc_alloc_bytes(d) <= 8192 + 64 * b.n);
    CHECK(jlp_doc_warnings(d) & JLP_WARN_STACK_LEFT);
    /* the structure: 40 levels, each a pair of the same node */
    jlp_val *v = jlp_doc_root(d);
    int ok = 1;
    for (int i = 0; i < 40 && ok; i++) {
        ok = jlp_get_type(v) == JLP_TUPLE && jlp_len(v) == 2 && jlp_item(v, 0) == jlp_item(v, 1);
        v = jlp_item(v, 0);
    }
    CHECK(ok);
    CHECK_INT(jlp_get_type(v), JLP_LIST);
    CHECK_INT(jlp_len(v), 0);
    /* The export prints each level once and a $ref for its twin:
     * E(0,P) = [], E(k,P) = {"$tuple":[E(k-1,P/$tuple/0),{"$ref":"P/$tuple/0"}]}. */
    size_t cap = 64 * 1024;
    char *want = malloc(cap);
    size_t wl = 0;
    for (int k = 40; k >= 1; k--) wl += (size_t)snprintf(want + wl, cap - wl, "{\"$tuple\":[");
    wl += (size_t)snprintf(want + wl, cap - wl, "[]");
    /* closing parts, innermost first: level k's pointer has (40-k+1) "/$tuple/0" */
    for (int k = 1; k <= 40; k++) {
        wl += (size_t)snprintf(want + wl, cap - wl, ",{\"$ref\":\"");
        for (int j = 0; j < 40 - k + 1; j++) wl += (size_t)snprintf(want + wl, cap - wl, "/$tuple/0");
        wl += (size_t)snprintf(want + wl, cap - wl, "\"}]}");
    }
    CHECK_JSON(jlp_doc_root(d), want);
    char *js = json_of(jlp_doc_root(d));
    CHECK(js && strlen(js) < 20000);
    free(js);
    free(want);
    jlp_doc_free(d);
    /* Loading, exporting and freeing walk each of the 40 levels once: in CPU time they
     * cost about what 40 levels without sharing cost (each tuple's second item a fresh
     * empty list). A walk that followed both edges would cost 2^40 visits. */
    bb lin = {0};
    BLIT(&lin, "\x80\x02]q\x00");
    for (int i = 0; i < 40; i++) {
        bbyte(&lin, 'h');
        bbyte(&lin, i);
        bbyte(&lin, ']');
        bbyte(&lin, 0x86);
        bbyte(&lin, 'q');
        bbyte(&lin, i + 1);
    }
    bbyte(&lin, '.');
    CHECK_RATIO(cpu_ratio(w_load_export, &b, w_load_export, &lin, NULL), 20);
    bfree(&lin);
    bfree(&b);
}

TEST(c04_dup_append_1000) {
    bb b = {0};
    bbyte(&b, ']');
    for (int i = 0; i < 1000; i++) BLIT(&b, "2a");
    bbyte(&b, '.');
    jlp_doc *d = LOAD_OK_B(&b);
    jlp_val *l = jlp_doc_root(d);
    CHECK_INT(jlp_len(l), 1000);
    CHECK(jlp_item(l, 0) == l && jlp_item(l, 999) == l);
    bb w = {0};
    bbyte(&w, '[');
    for (int i = 0; i < 1000; i++) {
        if (i) bbyte(&w, ',');
        bstr(&w, "{\"$ref\":\"\"}");
    }
    bbyte(&w, ']');
    bbyte(&w, 0);
    CHECK_JSON(l, (const char *)w.p);
    CHECK(jlp_doc_alloc_bytes(d) <= 8192 + 64 * b.n);
    jlp_doc_free(d);
    bfree(&w);
    bfree(&b);
}

/* =====================================================================================
 * Class 5: cycles
 * ===================================================================================== */

TEST(c05_list_appends_itself) {
    jlp_doc *d = LOAD_OK("\x80\x02]\x94g0\na.");
    jlp_val *l = jlp_doc_root(d);
    CHECK_INT(jlp_len(l), 1);
    CHECK(jlp_item(l, 0) == l);
    CHECK_JSON(l, "[{\"$ref\":\"\"}]");
    jlp_doc_free(d);
}

TEST(c05_dict_setitem_itself) {
    jlp_doc *d = LOAD_OK("\x80\x04}\x94\x8c\x01kh\x00s.");
    jlp_val *v = jlp_doc_root(d);
    CHECK(jlp_dict_get(v, "k") == v);
    CHECK_JSON(v, "{\"k\":{\"$ref\":\"\"}}");
    CHECK_INT(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY, 0);
    jlp_doc_free(d);
    /* the dict as its own key (SETITEMS): loads, flagged unhashable */
    d = LOAD_OK("\x80\x04}\x94(h\x00h\x00u.");
    v = jlp_doc_root(d);
    CHECK(jlp_dict_key(v, 0) == v && jlp_dict_value(v, 0) == v);
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    CHECK_JSON(v, "{\"$dict\":[[{\"$ref\":\"\"},{\"$ref\":\"\"}]]}");
    jlp_doc_free(d);
}

TEST(c05_set_contains_itself) {
    jlp_doc *d = LOAD_OK("\x80\x04\x8f\x94(h\x00\x90.");
    jlp_val *s = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(s), JLP_SET);
    CHECK(jlp_item(s, 0) == s);
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    CHECK_JSON(s, "{\"$set\":[{\"$ref\":\"\"}]}");
    jlp_doc_free(d);
}

TEST(c05_tuple_through_list) {
    jlp_doc *d = LOAD_OK("\x80\x04]\x94\x85\x94h\x00h\x01" "a0.");
    jlp_val *t = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(t), JLP_TUPLE);
    CHECK(jlp_item(jlp_item(t, 0), 0) == t);
    CHECK_JSON(t, "{\"$tuple\":[[{\"$ref\":\"\"}]]}");
    jlp_doc_free(d);
}

TEST(c05_object_cycles_via_build_append_setitem) {
    jlp_doc *d = LOAD_OK("\x80\x04\x8c\x01m\x8c\x01" "C\x93)\x81\x94h\x00" "b.");
    jlp_val *o = jlp_doc_root(d);
    CHECK(jlp_obj_state(o) == o);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"m.C\",\"state\":{\"$ref\":\"\"}}}");
    jlp_doc_free(d);

    d = LOAD_OK("\x80\x04\x8c\x01m\x8c\x01" "C\x93)\x81\x94h\x00" "a.");
    o = jlp_doc_root(d);
    CHECK(jlp_item(jlp_obj_items(o), 0) == o);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"m.C\",\"items\":[{\"$ref\":\"\"}]}}");
    jlp_doc_free(d);

    d = LOAD_OK("\x80\x04\x8c\x01m\x8c\x01" "C\x93)\x81\x94h\x00h\x00s.");
    o = jlp_doc_root(d);
    CHECK(jlp_dict_key(jlp_obj_dictitems(o), 0) == o);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"m.C\",\"dictitems\":[[{\"$ref\":\"\"},{\"$ref\":\"\"}]]}}");
    jlp_doc_free(d);

    /* the state dict refers back to the object */
    d = LOAD_OK("\x80\x04\x8c\x01m\x8c\x01" "C\x93)\x81\x94}\x8c\x04selfh\x00sb.");
    o = jlp_doc_root(d);
    CHECK(jlp_dict_get(jlp_obj_state(o), "self") == o);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"m.C\",\"state\":{\"self\":{\"$ref\":\"\"}}}}");
    jlp_doc_free(d);
}

TEST(c05_ref_pointers_deeper) {
    jlp_doc *d = LOAD_OK("\x80\x04}\x8c\x01" "a]\x94h\x00" "as.");
    CHECK_JSON(jlp_doc_root(d), "{\"a\":[{\"$ref\":\"/a\"}]}");
    jlp_doc_free(d);
    /* RFC 6901 escapes of '~' and '/' in keys */
    d = LOAD_OK("\x80\x04}\x8c\x05" "a/b~c]\x94h\x00" "as.");
    CHECK_JSON(jlp_doc_root(d), "{\"a/b~c\":[{\"$ref\":\"/a~1b~0c\"}]}");
    jlp_doc_free(d);
    /* shared, not cyclic: second occurrence in a $dict */
    d = LOAD_OK("\x80\x04}(K\x01]\x94K\x02h\x00u.");
    CHECK_JSON(jlp_doc_root(d), "{\"$dict\":[[1,[]],[2,{\"$ref\":\"/$dict/0/1\"}]]}");
    jlp_doc_free(d);
}

/* =====================================================================================
 * Class 6: deep nesting / recursive teardown
 * ===================================================================================== */

static void deep_lists(int chunked) {
    enum { N = 200000 };
    bb b = {0};
    BLIT(&b, "\x80\x02");
    brep(&b, ']', N);
    brep(&b, 'a', N - 1);
    bbyte(&b, '.');
    CHECK_INT(b.n, 400002);
    jlp_error err;
    jlp_doc *d;
    if (chunked) {
        trickle t = {b.p, b.n, 7};
        d = jlp_load_cb(trickle_read, &t, NULL, &err);
    } else {
        d = jlp_load_mem(b.p, b.n, NULL, NULL, &err);
    }
    CHECK(d != NULL);
    if (!d) { bfree(&b); return; }
    CHECK(jlp_doc_alloc_bytes(d) <= 64 * b.n + 65536);
    jlp_val *v = jlp_doc_root(d);
    size_t depth = 0;
    while (jlp_get_type(v) == JLP_LIST && jlp_len(v) == 1) { v = jlp_item(v, 0); depth++; }
    CHECK_INT(depth, N - 1);
    CHECK_INT(jlp_len(v), 0);
    size_t len = 0;
    char *js = jlp_export_json_str(jlp_doc_root(d), NULL, &len, &err);
    CHECK(js != NULL);
    CHECK_INT(len, 2 * N + 1);
    if (js && len == 2 * N + 1) {
        size_t bad = 0;
        for (size_t i = 0; i < N; i++) bad += js[i] != '[' || js[N + i] != ']';
        CHECK_INT(bad, 0);
        CHECK_INT(js[2 * N], '\n');
    }
    free(js);
    jlp_doc_free(d);
    /* Loading, exporting and freeing 200k levels cost, in CPU time, about what 200k
     * empty lists appended to one list cost (same opcodes but one level): nothing is
     * quadratic in the depth. */
    bb flat = {0};
    BLIT(&flat, "\x80\x02]");
    for (int i = 0; i < N - 1; i++) BLIT(&flat, "]a");
    bbyte(&flat, '.');
    CHECK_RATIO(cpu_ratio(w_load_export, &b, w_load_export, &flat, chunked ? &b : NULL), 20);
    bfree(&flat);
    bfree(&b);
}

TEST(c06_200k_nested_lists_mem) { deep_lists(0); }
TEST(c06_200k_nested_lists_stream) { deep_lists(1); }

TEST(c06_nested_tuples_dicts_persids) {
    enum { N = 200000 };
    bb b = {0};
    bbyte(&b, 'N');
    brep(&b, 0x85, N);
    bbyte(&b, '.');
    jlp_doc *d = LOAD_OK_B(&b);
    size_t len = 0;
    char *js = jlp_export_json_str(jlp_doc_root(d), NULL, &len, NULL);
    CHECK(js && len == N * strlen("{\"$tuple\":[]}") + 4 + 1);
    CHECK(js && !strncmp(js, "{\"$tuple\":[{\"$tuple\":[", 22));
    free(js);
    jlp_doc_free(d);
    bfree(&b);

    /* a BINPERSID chain */
    bbyte(&b, 'N');
    brep(&b, 'Q', N);
    bbyte(&b, '.');
    d = LOAD_OK_B(&b);
    jlp_val *v = jlp_doc_root(d);
    size_t depth = 0;
    while (jlp_get_type(v) == JLP_PERSID) { v = jlp_persid_value(v); depth++; }
    CHECK_INT(depth, N);
    CHECK_INT(jlp_get_type(v), JLP_NONE);
    js = jlp_export_json_str(jlp_doc_root(d), NULL, &len, NULL);
    CHECK(js && len == N * strlen("{\"$persid\":}") + 4 + 1);
    free(js);
    jlp_doc_free(d);
    bfree(&b);

    /* dicts nested through SETITEM: {"k": {"k": ... {}}} */
    BLIT(&b, "\x80\x04");
    for (int i = 0; i < N; i++) BLIT(&b, "}\x8c\x01k");
    bbyte(&b, '}');
    brep(&b, 's', N);
    bbyte(&b, '.');
    d = LOAD_OK_B(&b);
    v = jlp_doc_root(d);
    depth = 0;
    while (jlp_len(v) == 1) { v = jlp_dict_get(v, "k"); depth++; }
    CHECK_INT(depth, N);
    js = jlp_export_json_str(jlp_doc_root(d), NULL, &len, NULL);
    CHECK(js && len == N * strlen("{\"k\":}") + 2 + 1);
    free(js);
    jlp_doc_free(d);
    bfree(&b);
}

TEST(c06_1M_marks_hit_max_depth) {
    /* The default max_depth is 100000 open MARKs: the 100001st MARK is the one that
     * crosses it (offset 100000, opcode '('). */
    enum { N = 1000000 };
    bb b = {0};
    brep(&b, '(', N);
    BLIT(&b, "N.");
    EXPECT_ERR_B(&b, JLP_E_LIMIT, 100000, '(');
    /* refused after 100001 MARKs, at the CPU cost of about 100k plain pushes */
    bb lin = {0};
    brep(&lin, 'N', 100001);
    bbyte(&lin, '.');
    CHECK_RATIO(cpu_ratio(w_load, &b, w_load, &lin, NULL), 20);
    bfree(&lin);
    /* a small explicit limit is exact too */
    jlp_read_opts o = opts_default();
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_depth = 10;
    o.limits = &lim;
    expect_err_opts(__LINE__, "(((((((((((N.", 13, &o, JLP_E_LIMIT, 10, '(');
    jlp_doc *d = load_ok_opts(__LINE__, "((((((((((N.", 12, &o);
    jlp_doc_free(d);
    bfree(&b);
}

TEST(c06_1M_marks_with_raised_limit) {
    enum { N = 1000000 };
    bb b = {0};
    brep(&b, '(', N);
    BLIT(&b, "N.");
    jlp_read_opts o = opts_default();
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_depth = 2 * N;
    o.limits = &lim;
    jlp_doc *d = load_ok_opts(__LINE__, b.p, b.n, &o);
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_NONE);
    CHECK_INT(jlp_doc_ops(d), N + 2);
    CHECK(jlp_doc_warnings(d) & JLP_WARN_STACK_LEFT);
    CHECK(jlp_doc_alloc_bytes(d) < 65536);
    jlp_doc_free(d);
    /* a million open MARKs cost, in CPU time, about what a million plain pushes cost */
    bb lin = {0};
    brep(&lin, 'N', N + 1);
    bbyte(&lin, '.');
    CHECK_RATIO(cpu_ratio(w_load_opts, &b, w_load_opts, &lin, &o), 20);
    bfree(&lin);
    /* max_depth 0 means no limit */
    lim.max_depth = 0;
    d = load_ok_opts(__LINE__, b.p, b.n, &o);
    CHECK(d != NULL);
    jlp_doc_free(d);
    bfree(&b);
}

/* =====================================================================================
 * Class 7: stack underflow / missing MARK / wrong arity
 * ===================================================================================== */

TEST(c07_underflow_on_empty_stack) {
    EXPECT_ERR("t.", JLP_E_NO_MARK, 0, 't');
    EXPECT_ERR("\x86.", JLP_E_STACK_UNDERFLOW, 0, 0x86);
    EXPECT_ERR("N\x87.", JLP_E_STACK_UNDERFLOW, 1, 0x87);
    EXPECT_ERR("R.", JLP_E_STACK_UNDERFLOW, 0, 'R');
    EXPECT_ERR("NR.", JLP_E_STACK_UNDERFLOW, 1, 'R');
    EXPECT_ERR(".", JLP_E_STACK_UNDERFLOW, 0, '.');
    EXPECT_ERR("a", JLP_E_STACK_UNDERFLOW, 0, 'a');
    EXPECT_ERR("}Ns", JLP_E_STACK_UNDERFLOW, 2, 's');
    EXPECT_ERR("b", JLP_E_STACK_UNDERFLOW, 0, 'b');
    EXPECT_ERR("2", JLP_E_STACK_UNDERFLOW, 0, '2');
    EXPECT_ERR("0", JLP_E_STACK_UNDERFLOW, 0, '0');
    EXPECT_ERR("\x94", JLP_E_STACK_UNDERFLOW, 0, 0x94);
    EXPECT_ERR("q\x00", JLP_E_STACK_UNDERFLOW, 0, 'q');
    EXPECT_ERR("\x80\x04\x8c\x01" "a\x93.", JLP_E_STACK_UNDERFLOW, 5, 0x93);
    EXPECT_ERR("\x81", JLP_E_STACK_UNDERFLOW, 0, 0x81);
    EXPECT_ERR("NN\x92", JLP_E_STACK_UNDERFLOW, 2, 0x92);
    EXPECT_ERR("Q", JLP_E_STACK_UNDERFLOW, 0, 'Q');
    EXPECT_ERR("\x98", JLP_E_STACK_UNDERFLOW, 0, 0x98);
}

TEST(c07_missing_mark) {
    EXPECT_ERR("e", JLP_E_NO_MARK, 0, 'e');
    EXPECT_ERR("]N" "e.", JLP_E_NO_MARK, 2, 'e');
    EXPECT_ERR("}NN" "u.", JLP_E_NO_MARK, 3, 'u');
    EXPECT_ERR("u", JLP_E_NO_MARK, 0, 'u');
    EXPECT_ERR("NNd.", JLP_E_NO_MARK, 2, 'd');
    EXPECT_ERR("Nl.", JLP_E_NO_MARK, 1, 'l');
    EXPECT_ERR("1", JLP_E_NO_MARK, 0, '1');
    EXPECT_ERR("\x8f" "\x90", JLP_E_NO_MARK, 1, 0x90);
    EXPECT_ERR("\x91", JLP_E_NO_MARK, 0, 0x91);
    EXPECT_ERR("o", JLP_E_NO_MARK, 0, 'o');
    EXPECT_ERR("im\nC\n", JLP_E_NO_MARK, 0, 'i');
}

TEST(c07_odd_counts) {
    EXPECT_ERR("}(K\x01u.", JLP_E_BAD_VALUE, 4, 'u');
    EXPECT_ERR("}(K\x01K\x02K\x03u.", JLP_E_BAD_VALUE, 8, 'u');
    EXPECT_ERR("(K\x01" "d.", JLP_E_BAD_VALUE, 3, 'd');
    EXPECT_ERR("(NNNd.", JLP_E_BAD_VALUE, 4, 'd');
    jlp_doc *d = LOAD_OK("(K\x01K\x02" "d.");
    CHECK_JSON(jlp_doc_root(d), "{\"$dict\":[[1,2]]}");
    jlp_doc_free(d);
}

TEST(c07_targets_below_a_mark) {
    /* the list sits below the fence of an inner MARK: APPEND/SETITEM cannot reach it */
    EXPECT_ERR("](N" "a.", JLP_E_STACK_UNDERFLOW, 3, 'a');
    EXPECT_ERR("}(NN" "s.", JLP_E_STACK_UNDERFLOW, 4, 's');
    EXPECT_ERR("N(\x85.", JLP_E_STACK_UNDERFLOW, 2, 0x85);
    EXPECT_ERR("N(.", JLP_E_STACK_UNDERFLOW, 2, '.');
    EXPECT_ERR("N(R", JLP_E_STACK_UNDERFLOW, 2, 'R');
    /* APPENDS whose MARK is at the very bottom has no list to append to */
    EXPECT_ERR("(N" "e.", JLP_E_STACK_UNDERFLOW, 2, 'e');
    /* a list inside an outer mark: ]( ... e with the list below an unrelated mark */
    EXPECT_ERR("](((N" "e.", JLP_E_STACK_UNDERFLOW, 5, 'e');
}

TEST(c07_pop_at_and_past_a_mark) {
    /* POP right at a MARK discards the mark (as _pickle.c) */
    jlp_doc *d = LOAD_OK("N(0.");
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_NONE);
    CHECK_INT(jlp_doc_warnings(d) & JLP_WARN_STACK_LEFT, 0);
    jlp_doc_free(d);
    /* ... so a TUPLE after it has no MARK */
    EXPECT_ERR("N(0t.", JLP_E_NO_MARK, 3, 't');
    /* popping the mark and then the value empties the stack */
    EXPECT_ERR("N(00.", JLP_E_STACK_UNDERFLOW, 4, '.');
    EXPECT_ERR("(0.", JLP_E_STACK_UNDERFLOW, 2, '.');
    EXPECT_ERR("(00", JLP_E_STACK_UNDERFLOW, 2, '0');
    /* POP_MARK discards everything above the mark */
    d = LOAD_OK("K\x01(K\x02K\x03" "1.");
    CHECK_INT(jlp_get_int(jlp_doc_root(d)), 1);
    jlp_doc_free(d);
    EXPECT_ERR("(K\x02" "1.", JLP_E_STACK_UNDERFLOW, 4, '.');
    /* an open MARK at STOP is left over, not an error */
    d = LOAD_OK("(N.");
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_NONE);
    CHECK_INT(jlp_doc_warnings(d), JLP_WARN_STACK_LEFT);
    jlp_doc_free(d);
}

/* =====================================================================================
 * Class 8: mark-search CPU blow-up
 * ===================================================================================== */

TEST(c08_marks_are_O1) {
    /* 100k values, then 100k MARK/value/POP_MARK rounds and 100k MARK/TUPLE rounds above
     * them, then a list built from a 100k-item APPENDS: linear work. */
    enum { N = 100000 };
    bb b = {0};
    BLIT(&b, "\x80\x04");
    brep(&b, 'N', N);
    for (int i = 0; i < N; i++) BLIT(&b, "(N1");
    for (int i = 0; i < N; i++) BLIT(&b, "(t0");
    BLIT(&b, "](");
    brep(&b, 'N', N);
    BLIT(&b, "e.");
    jlp_doc *d = LOAD_OK_B(&b);
    CHECK_INT(jlp_len(jlp_doc_root(d)), N);
    CHECK_INT(jlp_doc_ops(d), 1 + N + 3 * N + 3 * N + 2 + N + 2);
    CHECK(jlp_doc_warnings(d) & JLP_WARN_STACK_LEFT);
    jlp_doc_free(d);
    /* In CPU time this costs about what as many opcodes without MARKs cost: the same
     * 100k values, 300k push/pop pairs, a list of 100k single APPENDs. A MARK search
     * over the values below would cost 100k x 100k. */
    bb lin = {0};
    BLIT(&lin, "\x80\x04");
    brep(&lin, 'N', N);
    for (int i = 0; i < 3 * N; i++) BLIT(&lin, "N0");
    bbyte(&lin, ']');
    for (int i = 0; i < N; i++) BLIT(&lin, "Na");
    bbyte(&lin, '.');
    CHECK_RATIO(cpu_ratio(w_load, &b, w_load, &lin, NULL), 20);
    bfree(&lin);
    bfree(&b);
}

/* =====================================================================================
 * Class 9: FRAME lies
 * ===================================================================================== */

static void frame_hdr(bb *b, uint64_t len) {
    bbyte(b, 0x95);
    bu64(b, len);
}

TEST(c09_frame_longer_than_input) {
    /* frame of 16 bytes, only "N." follow: STOP at 12 lies inside the frame */
    bb b = {0};
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 16);
    BLIT(&b, "N.");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 12, '.');
    bfree(&b);
    /* the input ends inside the frame, before any STOP */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 16);
    BLIT(&b, "N");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 12, -1);
    bfree(&b);
    /* an argument runs past the end of the input inside a frame */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 16);
    BLIT(&b, "\x8c\x05hel");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 11, 0x8c);
    bfree(&b);
}

TEST(c09_argument_straddles_frame_end) {
    bb b = {0};
    /* frame covers "C\x05h", the rest of the argument lies outside */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 3);
    BLIT(&b, "C\x05hello.");
    CHECK_INT(b.n, 19);
    EXPECT_ERR_B(&b, JLP_E_FRAME, 11, 'C');
    bfree(&b);
    /* the length field itself straddles */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 2);
    BLIT(&b, "NX\x01\x00\x00\x00" "a.");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 12, 'X');
    bfree(&b);
    /* a text line whose '\n' lies beyond the frame */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 3);
    BLIT(&b, "I12\n.");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 11, 'I');
    bfree(&b);
    /* BINFLOAT's 8 bytes straddle */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 5);
    BLIT(&b, "G\x3f\xf0\x00\x00\x00\x00\x00\x00.");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 11, 'G');
    bfree(&b);
    /* exactly at the frame end is fine, and unframed opcodes may follow a frame */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 7);
    BLIT(&b, "C\x05hello.");
    jlp_doc *d = LOAD_OK_B(&b);
    CHECK_JSON(jlp_doc_root(d), "{\"$bytes\":\"aGVsbG8=\"}");
    jlp_doc_free(d);
    bfree(&b);
}

TEST(c09_new_frame_before_previous_ends) {
    bb b = {0};
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 20);
    BLIT(&b, "N");
    frame_hdr(&b, 2);
    BLIT(&b, "0N.");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 12, 0x95);
    bfree(&b);
    /* a nested FRAME whose own argument crosses the outer frame's end */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 4);
    BLIT(&b, "N");
    frame_hdr(&b, 2);
    BLIT(&b, "0N.");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 12, 0x95);
    bfree(&b);
    /* back-to-back frames are fine */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 1);
    BLIT(&b, "N");
    frame_hdr(&b, 2);
    BLIT(&b, "\x85.");
    jlp_doc *d = LOAD_OK_B(&b);
    CHECK_JSON(jlp_doc_root(d), "{\"$tuple\":[null]}");
    jlp_doc_free(d);
    bfree(&b);
}

TEST(c09_frame_2_to_63_and_max) {
    bb b = {0};
    /* 2^63: accepted as a length, then STOP arrives long before the frame's end */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, (uint64_t)1 << 63);
    BLIT(&b, "N.");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 12, '.');
    bfree(&b);
    /* 2^64-1: the end offset would overflow: rejected at the FRAME itself */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, UINT64_MAX);
    BLIT(&b, "N.");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 2, 0x95);
    bfree(&b);
    /* a truncated FRAME argument */
    EXPECT_ERR("\x80\x04\x95\x01\x00\x00", JLP_E_TRUNCATED, 2, 0x95);
}

TEST(c09_frame_of_length_zero) {
    bb b = {0};
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 0);
    BLIT(&b, "N.");
    jlp_doc *d = LOAD_OK_B(&b);
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_NONE);
    jlp_doc_free(d);
    bfree(&b);
    /* two empty frames in a row, then a real one */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 0);
    frame_hdr(&b, 0);
    frame_hdr(&b, 2);
    BLIT(&b, "N.");
    d = LOAD_OK_B(&b);
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_NONE);
    jlp_doc_free(d);
    bfree(&b);
}

TEST(c09_stop_before_frame_end) {
    bb b = {0};
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 5);
    BLIT(&b, "N.NNN");
    EXPECT_ERR_B(&b, JLP_E_FRAME, 12, '.');
    bfree(&b);
    /* STOP as the frame's last byte is right */
    BLIT(&b, "\x80\x04");
    frame_hdr(&b, 2);
    BLIT(&b, "N.");
    jlp_doc *d = LOAD_OK_B(&b);
    CHECK(d != NULL);
    jlp_doc_free(d);
    bfree(&b);
}

/* =====================================================================================
 * Class 10: unhashable / non-comparable keys
 * ===================================================================================== */

TEST(c10_unhashable_keys_load_and_warn) {
    /* a dict as a dict key (DICT) */
    jlp_doc *d = LOAD_OK("((dNd.");
    jlp_val *v = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(jlp_dict_key(v, 0)), JLP_DICT);
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    CHECK_JSON(v, "{\"$dict\":[[{},null]]}");
    jlp_doc_free(d);
    /* }}}s: {dict: dict} through SETITEM */
    d = LOAD_OK("}}}s.");
    v = jlp_doc_root(d);
    CHECK_INT(jlp_len(v), 1);
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    CHECK_JSON(v, "{\"$dict\":[[{},{}]]}");
    jlp_doc_free(d);
    /* a list key through SETITEMS */
    d = LOAD_OK("}(]NK\x01K\x02u.");
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    CHECK_JSON(jlp_doc_root(d), "{\"$dict\":[[[],null],[1,2]]}");
    jlp_doc_free(d);
    /* a list in a set (ADDITEMS) and in a frozenset */
    d = LOAD_OK("\x80\x04\x8f(K\x01]\x90.");
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    CHECK_JSON(jlp_doc_root(d), "{\"$set\":[1,[]]}");
    jlp_doc_free(d);
    d = LOAD_OK("\x80\x04(]\x91.");
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    jlp_doc_free(d);
    /* bytearray and set keys too */
    d = LOAD_OK("\x80\x05}\x96\x01\x00\x00\x00\x00\x00\x00\x00xNs.");
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    jlp_doc_free(d);
    d = LOAD_OK("\x80\x04}\x8fNs.");
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    jlp_doc_free(d);
    /* an object key added to an object's dictitems */
    d = LOAD_OK("\x80\x04\x8c\x01m\x8c\x01" "C\x93)\x81]Ns.");
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    jlp_doc_free(d);
}

TEST(c10_hashable_keys_do_not_warn) {
    jlp_doc *d = LOAD_OK("\x80\x04}(K\x01N\x8c\x01sN)NC\x01" "bN\x88N\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01Nu.");
    CHECK_INT(jlp_len(jlp_doc_root(d)), 6);
    CHECK_INT(jlp_doc_warnings(d), 0);
    jlp_doc_free(d);
    d = LOAD_OK("\x80\x04(K\x01(K\x02\x91\x91.");
    CHECK_INT(jlp_doc_warnings(d), 0);
    jlp_doc_free(d);
}

TEST(c10_rebuilt_set_of_lists_is_unhashable) {
    /* builtins.set([[]]) rebuilt natively holds an unhashable member, like ADDITEMS */
    jlp_doc *d = LOAD_OK("\x80\x02" "c__builtin__\nset\n]]a\x85R.");
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_SET);
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    jlp_doc_free(d);
    d = LOAD_OK("\x80\x02" "c__builtin__\nfrozenset\n(}t\x85R.");
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_FROZENSET);
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    jlp_doc_free(d);
}

TEST(c10_tuple_holding_a_list_is_unhashable) {
    /* Python cannot hash ([],) either: the key is unhashable even though it is a tuple */
    jlp_doc *d = LOAD_OK("}]\x85Ns.");
    CHECK(jlp_doc_warnings(d) & JLP_WARN_UNHASHABLE_KEY);
    jlp_doc_free(d);
}

/* =====================================================================================
 * Class 11: type confusion on the stack
 * ===================================================================================== */

TEST(c11_type_confusion) {
    /* REDUCE with non-tuple args */
    EXPECT_ERR("\x80\x04\x8c\x01m\x8c\x01" "f\x93NR.", JLP_E_BAD_TYPE, 10, 'R');
    EXPECT_ERR("cm\nf\n]R.", JLP_E_BAD_TYPE, 6, 'R');
    /* BUILD on an int, a list, a global */
    EXPECT_ERR("K\x01Nb.", JLP_E_BAD_TYPE, 3, 'b');
    EXPECT_ERR("]}b.", JLP_E_BAD_TYPE, 2, 'b');
    EXPECT_ERR("cm\nC\n}b.", JLP_E_BAD_TYPE, 6, 'b');
    /* APPEND to an int, APPENDS to a dict, ADDITEMS to a list */
    EXPECT_ERR("K\x01K\x02" "a.", JLP_E_BAD_TYPE, 4, 'a');
    EXPECT_ERR("}(K\x01" "e.", JLP_E_BAD_TYPE, 4, 'e');
    EXPECT_ERR("\x80\x04](K\x01\x90.", JLP_E_BAD_TYPE, 6, 0x90);
    EXPECT_ERR("\x80\x04)(K\x01\x90.", JLP_E_BAD_TYPE, 6, 0x90);
    /* SETITEMS into a list, SETITEM into a tuple */
    EXPECT_ERR("](K\x01K\x02u.", JLP_E_BAD_TYPE, 6, 'u');
    EXPECT_ERR(")K\x01K\x02s.", JLP_E_BAD_TYPE, 5, 's');
    /* STACK_GLOBAL with non-str operands */
    EXPECT_ERR("\x80\x04K\x01K\x02\x93.", JLP_E_BAD_TYPE, 6, 0x93);
    EXPECT_ERR("\x80\x04\x8c\x01mC\x01" "f\x93.", JLP_E_BAD_TYPE, 8, 0x93);
    EXPECT_ERR("\x80\x04N\x8c\x01" "f\x93.", JLP_E_BAD_TYPE, 6, 0x93);
    /* GET returning the wrong type for the next opcode */
    EXPECT_ERR("\x80\x02K\x05q\x00]h\x00h\x00" "a.", JLP_E_BAD_TYPE, 11, 'a');
    /* NEWOBJ / NEWOBJ_EX argument types */
    EXPECT_ERR("\x80\x02" "cm\nC\nN\x81.", JLP_E_BAD_TYPE, 8, 0x81);
    EXPECT_ERR("\x80\x04" "cm\nC\nN}\x92.", JLP_E_BAD_TYPE, 9, 0x92);
    EXPECT_ERR("\x80\x04" "cm\nC\n)]\x92.", JLP_E_BAD_TYPE, 9, 0x92);
    /* READONLY_BUFFER on a non-buffer */
    EXPECT_ERR("\x80\x05K\x01\x98.", JLP_E_BAD_TYPE, 4, 0x98);
    EXPECT_ERR("\x80\x05\x8c\x01" "a\x98.", JLP_E_BAD_TYPE, 5, 0x98);
}

TEST(c11_legitimate_oddities_stay_symbolic) {
    /* STRING operands for STACK_GLOBAL load as str in Python 3 and are accepted */
    jlp_doc *d = LOAD_OK("\x80\x04S'os'\nS'system'\n\x93.");
    CHECK(jlp_global_is(jlp_doc_root(d), "os", "system"));
    jlp_doc_free(d);
    /* REDUCE of a non-global callable stays an inert call */
    d = LOAD_OK("K\x01)R.");
    jlp_val *o = jlp_doc_root(d);
    CHECK_INT(jlp_obj_get_kind(o), JLP_OBJ_REDUCE);
    CHECK_INT(jlp_get_int(jlp_obj_callable(o)), 1);
    jlp_doc_free(d);
    /* OBJ then POP (GHSA-mxhj-88fx-4pcv): nothing runs, None is the result */
    d = LOAD_OK("(cos\nsystem\nS'ls'\no0N.");
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_NONE);
    jlp_doc_free(d);
}

/* =====================================================================================
 * Class 12: missing memo key
 * ===================================================================================== */

TEST(c12_missing_memo_key) {
    EXPECT_ERR("h\x05.", JLP_E_MEMO_MISSING, 0, 'h');
    EXPECT_ERR("\x80\x02]q\x00h\x05.", JLP_E_MEMO_MISSING, 5, 'h');
    EXPECT_ERR("\x80\x02j\x00\x00\x01\x00.", JLP_E_MEMO_MISSING, 2, 'j');
    EXPECT_ERR("g7\n.", JLP_E_MEMO_MISSING, 0, 'g');
    EXPECT_ERR("Np1\ng2\n.", JLP_E_MEMO_MISSING, 4, 'g');
    EXPECT_ERR("h", JLP_E_TRUNCATED, 0, 'h');
    EXPECT_ERR("g1", JLP_E_TRUNCATED, 0, 'g');
}

/* =====================================================================================
 * Class 13: huge text ints
 * ===================================================================================== */

TEST(c13_long_with_a_million_digits) {
    bb b = {0};
    BLIT(&b, "L");
    brep(&b, '7', 1000000);
    BLIT(&b, "L\n.");
    EXPECT_ERR_B(&b, JLP_E_LIMIT, 0, 'L');
    /* The digits are counted, not converted: refusing them costs, in CPU time, about
     * what loading a text line of a million characters costs (UNICODE, decoded from
     * raw-unicode-escape); a decimal conversion is quadratic in them. */
    bb lin = {0};
    bbyte(&lin, 'V');
    brep(&lin, 'a', 1000000);
    BLIT(&lin, "\n.");
    CHECK_RATIO(cpu_ratio(w_load, &b, w_load, &lin, NULL), 20);
    bfree(&lin);
    bfree(&b);
    BLIT(&b, "\x80\x02]I");
    brep(&b, '1', 1000000);
    BLIT(&b, "\n.");
    EXPECT_ERR_B(&b, JLP_E_LIMIT, 3, 'I');
    bfree(&b);
    /* an INT/LONG line without its newline is merely truncated */
    EXPECT_ERR("L123", JLP_E_TRUNCATED, 0, 'L');
    EXPECT_ERR("I1", JLP_E_TRUNCATED, 0, 'I');
}

TEST(c13_digit_limit_4300) {
    bb b = {0};
    BLIT(&b, "L");
    brep(&b, '9', 4300);
    BLIT(&b, "L\n.");
    jlp_doc *d = LOAD_OK_B(&b);
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_BIGINT);
    char *js = json_of(jlp_doc_root(d));
    CHECK(js && strlen(js) == 4301 && strspn(js, "9") == 4300);
    free(js);
    jlp_doc_free(d);
    bfree(&b);
    /* 4301 digits: LIMIT (Python's int max str digits) */
    BLIT(&b, "L");
    brep(&b, '9', 4301);
    BLIT(&b, "L\n.");
    EXPECT_ERR_B(&b, JLP_E_LIMIT, 0, 'L');
    /* the sign does not count; leading zeros are refused, as by Python's int(s, 0) */
    bfree(&b);
    BLIT(&b, "L-");
    brep(&b, '9', 4300);
    BLIT(&b, "\n.");
    d = LOAD_OK_B(&b);
    js = json_of(jlp_doc_root(d));
    CHECK(js && js[0] == '-' && strlen(js) == 4302);
    free(js);
    jlp_doc_free(d);
    bfree(&b);
    BLIT(&b, "L-0009\n.");
    EXPECT_ERR_B(&b, JLP_E_BAD_VALUE, 0, 'L');
    bfree(&b);
    /* raised limit: 4301 digits load, and the JSON export switches to hex */
    BLIT(&b, "L");
    brep(&b, '9', 4301);
    BLIT(&b, "L\n.");
    jlp_read_opts o = opts_default();
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_bigint_digits = 5000;
    o.limits = &lim;
    d = load_ok_opts(__LINE__, b.p, b.n, &o);
    js = json_of(jlp_doc_root(d));
    CHECK(js && !strncmp(js, "{\"$int\":{\"hex\":\"0x", 18) && !strcmp(js + strlen(js) - 4, "\"}}\n"));
    free(js);
    jlp_doc_free(d);
    bfree(&b);
}

TEST(c13_long4_2MB_exports_hex) {
    enum { N = 2000000 };
    bb b = {0};
    BLIT(&b, "\x80\x02\x8a\x00\x8b");
    bu32(&b, N);
    brep(&b, 0x11, N);
    BLIT(&b, "\x86.");
    jlp_doc *d = LOAD_OK_B(&b);
    jlp_val *t = jlp_doc_root(d);
    CHECK_INT(jlp_get_int(jlp_item(t, 0)), 0);
    size_t n = 0;
    const uint8_t *p = jlp_get_bigint(jlp_item(t, 1), &n);
    CHECK(p != NULL);
    CHECK_INT(n, N);
    size_t len = 0;
    char *js = jlp_export_json_str(t, NULL, &len, NULL);
    const char *head = "{\"$tuple\":[0,{\"$int\":{\"hex\":\"0x";
    CHECK(js && !strncmp(js, head, strlen(head)));
    CHECK_INT(len, strlen(head) + 2 * N + strlen("\"}}]}\n"));
    CHECK(js && strspn(js + strlen(head), "1") == 2 * N);
    free(js);
    jlp_doc_free(d);
    /* Loading and exporting the 2 MB int costs, in CPU time, about what loading and
     * exporting a string of its 4M hex digits costs (hex is linear; decimal would be
     * quadratic). */
    bb lin = {0};
    BLIT(&lin, "\x80\x02\x8a\x00X");
    bu32(&lin, 2 * N);
    brep(&lin, '1', 2 * N);
    BLIT(&lin, "\x86.");
    CHECK_RATIO(cpu_ratio(w_load_export, &b, w_load_export, &lin, NULL), 20);
    bfree(&lin);
    bfree(&b);
}

/* =====================================================================================
 * Class 14: PROTO anomalies
 * ===================================================================================== */

TEST(c14_proto_anomalies) {
    EXPECT_ERR("\x80\x06N.", JLP_E_BAD_PROTO, 0, 0x80);
    EXPECT_ERR("\x80\xffN.", JLP_E_BAD_PROTO, 0, 0x80);
    EXPECT_ERR("\x80\x02N\x80\x06.", JLP_E_BAD_PROTO, 3, 0x80);
    EXPECT_ERR("\x80", JLP_E_TRUNCATED, 0, 0x80);
    EXPECT_ERR("N\x80\x06.", JLP_E_BAD_PROTO, 1, 0x80);
    /* PROTO 6 at the start of a later pickle of the same stream */
    jlp_error err;
    jlp_source *s = jlp_source_mem("\x80\x02N.\x80\x06N.", 8, NULL, &err);
    jlp_doc_free(jlp_load(s, NULL, &err));
    CHECK(jlp_load(s, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_BAD_PROTO, 4);
    jlp_source_free(s);
    for (int p = 0; p <= 5; p++) {
        uint8_t in[4] = {0x80, (uint8_t)p, 'N', '.'};
        jlp_doc *d = load_ok_opts(__LINE__, in, 4, NULL);
        CHECK_INT(jlp_doc_protocol(d), p);
        CHECK_INT(jlp_doc_warnings(d), 0);
        jlp_doc_free(d);
    }
    /* no PROTO: protocol 0 */
    jlp_doc *d = LOAD_OK("N.");
    CHECK_INT(jlp_doc_protocol(d), 0);
    CHECK_INT(jlp_doc_warnings(d), 0);
    jlp_doc_free(d);
    /* PROTO not first */
    d = LOAD_OK("N\x80\x02.");
    CHECK_INT(jlp_doc_warnings(d), JLP_WARN_PROTO_NOT_FIRST);
    CHECK_INT(jlp_doc_protocol(d), 2);
    jlp_doc_free(d);
    /* two PROTOs: the second is also not first */
    d = LOAD_OK("\x80\x02\x80\x04N.");
    CHECK_INT(jlp_doc_warnings(d), JLP_WARN_DUPLICATE_PROTO | JLP_WARN_PROTO_NOT_FIRST);
    CHECK_INT(jlp_doc_protocol(d), 4);
    jlp_doc_free(d);
}

/* =====================================================================================
 * Class 15: stream boundaries
 * ===================================================================================== */

TEST(c15_no_stop_and_empty_input) {
    EXPECT_ERR("\x80\x02N", JLP_E_TRUNCATED, 3, -1);
    EXPECT_ERR("\x80\x02]K\x01" "a", JLP_E_TRUNCATED, 6, -1);
    expect_err_opts(__LINE__, "", 0, NULL, JLP_E_TRUNCATED, 0, -1);
    jlp_error err;
    CHECK(jlp_load_mem(NULL, 0, NULL, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_TRUNCATED, 0);
}

TEST(c15_data_after_stop) {
    static const char in[] = "\x80\x02N.\x80\x04K\x07.garbage";
    size_t consumed = 0;
    jlp_error err;
    jlp_doc *d = jlp_load_mem(in, sizeof in - 1, NULL, &consumed, &err);
    CHECK(d != NULL);
    CHECK_INT(consumed, 4);
    CHECK_INT(jlp_doc_consumed(d), 4);
    jlp_doc_free(d);
    d = jlp_load_mem(in + consumed, sizeof in - 1 - consumed, NULL, &consumed, &err);
    CHECK_INT(jlp_get_int(jlp_doc_root(d)), 7);
    CHECK_INT(consumed, 5);
    jlp_doc_free(d);
}

static void several_from_source(jlp_source *src) {
    /* five pickles like legacy torch files, then trailing garbage */
    static const int64_t want[] = {1, 2, 3, 4, 5};
    static const uint64_t ends[] = {5, 10, 15, 23, 26};
    jlp_error err;
    for (int i = 0; i < 5; i++) {
        CHECK_INT(jlp_source_at_eof(src, &err), 0);
        jlp_doc *d = jlp_load(src, NULL, &err);
        CHECK(d != NULL);
        CHECK_INT(jlp_get_int(jlp_doc_root(d)), want[i]);
        CHECK_INT(jlp_source_tell(src), ends[i]);
        CHECK_INT(jlp_doc_consumed(d), ends[i] - (i ? ends[i - 1] : 0));
        jlp_doc_free(d);
    }
    CHECK_INT(jlp_source_at_eof(src, &err), 0);
    CHECK(jlp_load(src, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_BAD_OPCODE, 26);
}

static const char five[] = "\x80\x02K\x01.\x80\x04K\x02.\x80\x02K\x03.\x80\x04\x8c\x00" "0K\x04.K\x05.\xff";

TEST(c15_concatenated_pickles_mem_and_cb) {
    jlp_error err;
    jlp_source *s = jlp_source_mem(five, sizeof five - 1, NULL, &err);
    several_from_source(s);
    jlp_source_free(s);
    trickle t = {(const uint8_t *)five, sizeof five - 1, 2};
    s = jlp_source_cb(trickle_read, &t, NULL, &err);
    several_from_source(s);
    jlp_source_free(s);
}

TEST(c15_end_of_input_offset_is_tell) {
    static const char two[] = "N.K\x01.";
    jlp_error err;
    trickle t = {(const uint8_t *)two, sizeof two - 1, 1};
    jlp_source *s = jlp_source_cb(trickle_read, &t, NULL, &err);
    for (int i = 0; i < 2; i++) jlp_doc_free(jlp_load(s, NULL, &err));
    CHECK_INT(jlp_source_at_eof(s, &err), 1);
    CHECK(jlp_load(s, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_TRUNCATED, 5);
    CHECK_INT(err.opcode, -1);
    CHECK_INT(jlp_source_tell(s), 5);
    jlp_source_free(s);
}

/* =====================================================================================
 * Class 16: EXT codes
 * ===================================================================================== */

TEST(c16_ext_codes) {
    EXPECT_ERR("\x80\x02\x82\x00.", JLP_E_BAD_VALUE, 2, 0x82);
    EXPECT_ERR("\x80\x02\x83\x00\x00.", JLP_E_BAD_VALUE, 2, 0x83);
    EXPECT_ERR("\x80\x02\x84\xff\xff\xff\xff.", JLP_E_BAD_VALUE, 2, 0x84);
    EXPECT_ERR("\x80\x02\x84\x00\x00\x00\x80.", JLP_E_BAD_VALUE, 2, 0x84);
    EXPECT_ERR("\x80\x02\x84\x00\x00\x00\x00.", JLP_E_BAD_VALUE, 2, 0x84);
    EXPECT_ERR("\x80\x02\x84\x01\x00", JLP_E_TRUNCATED, 2, 0x84);
    jlp_doc *d = LOAD_OK("\x80\x02\x82\x05\x83\x34\x12\x84\xff\xff\xff\x7f\x87.");
    jlp_val *t = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(jlp_item(t, 0)), JLP_EXT);
    CHECK_INT(jlp_ext_code(jlp_item(t, 0)), 5);
    CHECK_INT(jlp_ext_code(jlp_item(t, 1)), 0x1234);
    CHECK_INT(jlp_ext_code(jlp_item(t, 2)), 0x7fffffff);
    CHECK_JSON(t, "{\"$tuple\":[{\"$ext\":5},{\"$ext\":4660},{\"$ext\":2147483647}]}");
    jlp_doc_free(d);
    /* an EXT node used as a callable stays inert */
    d = LOAD_OK("\x80\x02\x82\x01)R.");
    CHECK_INT(jlp_obj_get_kind(jlp_doc_root(d)), JLP_OBJ_REDUCE);
    CHECK_JSON(jlp_doc_root(d), "{\"$object\":{\"call\":{\"$ext\":1}}}");
    jlp_doc_free(d);
}

/* =====================================================================================
 * Class 17: out-of-band buffers
 * ===================================================================================== */

TEST(c17_next_buffer_without_buffers) {
    EXPECT_ERR("\x80\x05\x97.", JLP_E_NO_BUFFER, 2, 0x97);
    static const char buf0[] = "0123";
    jlp_buffer bufs[1] = {{buf0, 4, 1}};
    jlp_read_opts o = opts_default();
    o.buffers = bufs;
    o.nbuffers = 1;
    expect_err_opts(__LINE__, "\x80\x05\x97\x97\x86.", 6, &o, JLP_E_NO_BUFFER, 3, 0x97);
    /* a NULL buffer with a length is the caller's error */
    jlp_buffer nb[1] = {{NULL, 4, 1}};
    o.buffers = nb;
    expect_err_opts(__LINE__, "\x80\x05\x97.", 4, &o, JLP_E_INVALID_ARG, 2, 0x97);
    /* READONLY_BUFFER on an empty stack */
    EXPECT_ERR("\x80\x05\x98.", JLP_E_STACK_UNDERFLOW, 2, 0x98);
}

TEST(c17_caller_buffers) {
    static const char ro[] = "read-only bytes";
    static char rw[] = "writable bytes";
    jlp_buffer bufs[3] = {{ro, sizeof ro - 1, 1}, {rw, sizeof rw - 1, 0}, {rw, 8, 0}};
    jlp_read_opts o = opts_default();
    o.buffers = bufs;
    o.nbuffers = 3;
    jlp_doc *d = load_ok_opts(__LINE__, "\x80\x05\x97\x97\x97\x98\x87.", 8, &o);
    jlp_val *t = jlp_doc_root(d);
    size_t n = 0;
    CHECK_INT(jlp_get_type(jlp_item(t, 0)), JLP_BYTES);
    CHECK(jlp_get_str(jlp_item(t, 0), &n) == ro);
    CHECK_INT(n, sizeof ro - 1);
    CHECK_INT(jlp_get_type(jlp_item(t, 1)), JLP_BYTEARRAY);
    CHECK(jlp_get_str(jlp_item(t, 1), &n) == rw);
    CHECK_INT(n, sizeof rw - 1);
    /* READONLY_BUFFER turns the writable buffer into bytes over the same memory */
    CHECK_INT(jlp_get_type(jlp_item(t, 2)), JLP_BYTES);
    CHECK(jlp_get_str(jlp_item(t, 2), &n) == rw);
    CHECK_INT(n, 8);
    CHECK_JSON(t, "{\"$tuple\":[{\"$bytes\":\"cmVhZC1vbmx5IGJ5dGVz\"},{\"$bytearray\":\"d3JpdGFibGUgYnl0ZXM=\"},{\"$bytes\":\"d3JpdGFibGU=\"}]}");
    jlp_doc_free(d);
    /* READONLY_BUFFER on bytes leaves them alone; an empty NULL buffer is allowed */
    jlp_buffer eb[1] = {{NULL, 0, 1}};
    o.buffers = eb;
    o.nbuffers = 1;
    d = load_ok_opts(__LINE__, "\x80\x05\x97\x98.", 5, &o);
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_BYTES);
    n = 99;
    CHECK(jlp_get_str(jlp_doc_root(d), &n) != NULL);
    CHECK_INT(n, 0);
    jlp_doc_free(d);
}

/* =====================================================================================
 * Class 18: string / name edge cases
 * ===================================================================================== */

TEST(c18_invalid_utf8) {
    EXPECT_ERR("\x80\x04X\x02\x00\x00\x00\xff\xfe.", JLP_E_BAD_UTF8, 2, 'X');
    EXPECT_ERR("\x80\x04\x8c\x01\x80.", JLP_E_BAD_UTF8, 2, 0x8c);
    EXPECT_ERR("\x80\x04\x8c\x02\xc0\x80.", JLP_E_BAD_UTF8, 2, 0x8c);        /* overlong */
    EXPECT_ERR("\x80\x04\x8c\x04\xf4\x90\x80\x80.", JLP_E_BAD_UTF8, 2, 0x8c); /* > U+10FFFF */
    EXPECT_ERR("\x80\x04\x8c\x02\xe2\x82.", JLP_E_BAD_UTF8, 2, 0x8c);        /* cut short */
    EXPECT_ERR("\x80\x04]\x8d\x03\x00\x00\x00\x00\x00\x00\x00" "ab\xf8.", JLP_E_BAD_UTF8, 3, 0x8d);
    /* a long string whose last byte is wrong, from a stream too */
    bb b = {0};
    BLIT(&b, "\x80\x04X");
    bu32(&b, 100000);
    brep(&b, 'a', 99999);
    bbyte(&b, 0xff);
    bbyte(&b, '.');
    EXPECT_ERR_B(&b, JLP_E_BAD_UTF8, 2, 'X');
    bfree(&b);
    /* global names must be UTF-8 too */
    EXPECT_ERR("c\xff\nx\n.", JLP_E_BAD_UTF8, 0, 'c');
}

TEST(c18_lone_surrogates_accepted) {
    jlp_doc *d = LOAD_OK("\x80\x04\x8c\x03\xed\xa0\x80.");
    size_t n = 0;
    const char *s = jlp_get_str(jlp_doc_root(d), &n);
    CHECK_INT(n, 3);
    CHECK(s && !memcmp(s, "\xed\xa0\x80", 3));
    CHECK_JSON(jlp_doc_root(d), "\"\\ud800\"");
    jlp_doc_free(d);
    d = LOAD_OK("\x80\x04X\x04\x00\x00\x00" "a\xed\xbf\xbf.");
    CHECK_JSON(jlp_doc_root(d), "\"a\\udfff\"");
    jlp_doc_free(d);
    /* the UNICODE opcode's \ud800 escape gives the same bytes */
    d = LOAD_OK("V\\ud800\n.");
    s = jlp_get_str(jlp_doc_root(d), &n);
    CHECK(n == 3 && s && !memcmp(s, "\xed\xa0\x80", 3));
    jlp_doc_free(d);
}

TEST(c18_bad_string_quoting) {
    EXPECT_ERR("S'abc\n.", JLP_E_BAD_VALUE, 0, 'S');
    EXPECT_ERR("Sabc\n.", JLP_E_BAD_VALUE, 0, 'S');
    EXPECT_ERR("S\"abc'\n.", JLP_E_BAD_VALUE, 0, 'S');
    EXPECT_ERR("S'\n.", JLP_E_BAD_VALUE, 0, 'S');
    EXPECT_ERR("S\n.", JLP_E_BAD_VALUE, 0, 'S');
    EXPECT_ERR("NS'\\x4'\n.", JLP_E_BAD_VALUE, 1, 'S');
    EXPECT_ERR("S'\\xzz'\n.", JLP_E_BAD_VALUE, 0, 'S');
    EXPECT_ERR("S'abc\\'\n.", JLP_E_BAD_VALUE, 0, 'S');
    EXPECT_ERR("S'abc'", JLP_E_TRUNCATED, 0, 'S');
    jlp_doc *d = LOAD_OK("S\"it's\"\n.");
    CHECK(jlp_str_eq(jlp_doc_root(d), "it's"));
    jlp_doc_free(d);
}

TEST(c18_global_lines) {
    /* without '\n' the line never ends: truncated */
    EXPECT_ERR("cbuiltins\nset", JLP_E_TRUNCATED, 0, 'c');
    EXPECT_ERR("cbuiltins", JLP_E_TRUNCATED, 0, 'c');
    EXPECT_ERR("(ibuiltins\nset", JLP_E_TRUNCATED, 1, 'i');
    /* NUL inside a name is kept, and never matches a shorter name */
    jlp_doc *d = LOAD_OK("cbuil\x00tins\nset\n.");
    size_t ml = 0, nl = 0;
    const char *m = jlp_global_module(jlp_doc_root(d), &ml);
    CHECK_INT(ml, 9);
    CHECK(m && !memcmp(m, "buil\0tins", 9));
    CHECK(jlp_global_name(jlp_doc_root(d), &nl) && nl == 3);
    CHECK(!jlp_global_is(jlp_doc_root(d), "buil", "set"));
    jlp_doc_free(d);
    d = LOAD_OK("\x80\x03" "cbuiltins\nset\x00x\n)R.");
    jlp_val *o = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(o), JLP_OBJECT);
    CHECK_INT(jlp_obj_get_kind(o), JLP_OBJ_REDUCE);
    CHECK(jlp_global_name(jlp_obj_callable(o), &nl) && nl == 5);
    CHECK_JSON(o, "{\"$object\":{\"call\":\"builtins.set\\u0000x\"}}");
    jlp_doc_free(d);
}

#define SL(lit) {(lit), sizeof(lit) - 1}

TEST(c18_allowlist_never_matches_a_prefix) {
    /* the real thing is rebuilt ... */
    jlp_doc *d = LOAD_OK("\x80\x03" "cbuiltins\nset\n)R.");
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_SET);
    jlp_doc_free(d);
    /* ... but dotted or prefixed names stay inert */
    static const struct { const char *p; size_t n; } cases[] = {
        SL("\x80\x03" "cbuiltins\nset.x\n)R."),
        SL("\x80\x03" "cbuiltins.set\nx\n)R."),
        SL("\x80\x03" "cbuiltins\nse\n)R."),
        SL("\x80\x03" "cbuiltins\nsets\n)R."),
        SL("\x80\x03" "cbuiltin\nset\n)R."),
        SL("\x80\x03" "cbuiltinsx\nset\n)R."),
        SL("\x80\x03" "c__builtin__\nset\n)R."), /* protocol 3: no Python 2 renaming */
        SL("\x80\x03" "ccollections.OrderedDict\nx\n)R."),
        SL("\x80\x03" "ccopyreg\n_reconstructor.x\n(NNNtR."),
        SL("\x80\x03" "c_codecs\nencoder\n(X\x01\x00\x00\x00" "aX\x06\x00\x00\x00latin1tR."),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        d = load_ok_opts(__LINE__, cases[i].p, cases[i].n, NULL);
        jlp_val *o = jlp_doc_root(d);
        if (jlp_get_type(o) != JLP_OBJECT || jlp_obj_get_kind(o) != JLP_OBJ_REDUCE)
            TH_FAIL("case %zu: %s, expected an inert REDUCE", i, jlp_type_name(jlp_get_type(o)));
        jlp_doc_free(d);
    }
    d = LOAD_OK("\x80\x03" "cbuiltins\nset.x\n.");
    CHECK_JSON(jlp_doc_root(d), "{\"$global\":\"builtins.set.x\"}");
    CHECK(jlp_global_is(jlp_doc_root(d), "builtins", "set.x"));
    CHECK(!jlp_global_is(jlp_doc_root(d), "builtins", "set"));
    jlp_doc_free(d);
    /* the numpy dotted-qualname trick is just a name */
    d = LOAD_OK("\x80\x04\x8c\x05numpy\x8c\x1a" "core._internal.sys.modules\x93.");
    CHECK(jlp_global_is(jlp_doc_root(d), "numpy", "core._internal.sys.modules"));
    jlp_doc_free(d);
}

/* =====================================================================================
 * Class 25 (limits are exact): a limit fails the opcode that crosses it
 * ===================================================================================== */

TEST(limits_are_exact) {
    jlp_read_opts o = opts_default();
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_ops = 5;
    o.limits = &lim;
    expect_err_opts(__LINE__, "NNNN\x87.", 6, &o, JLP_E_LIMIT, 5, '.');
    jlp_doc *d = load_ok_opts(__LINE__, "NNN\x87.", 5, &o);
    CHECK_INT(jlp_doc_ops(d), 5);
    jlp_doc_free(d);

    jlp_limits_init(&lim);
    lim.max_stack = 100;
    bb b = {0};
    brep(&b, 'N', 100);
    bbyte(&b, '.');
    d = load_ok_opts(__LINE__, b.p, b.n, &o);
    jlp_doc_free(d);
    bfree(&b);
    brep(&b, 'N', 101);
    bbyte(&b, '.');
    expect_err_opts(__LINE__, b.p, b.n, &o, JLP_E_LIMIT, 100, 'N');
    bfree(&b);

    jlp_limits_init(&lim);
    lim.max_str = 4;
    expect_err_opts(__LINE__, "\x8c\x05hello.", 8, &o, JLP_E_LIMIT, 0, 0x8c);
    d = load_ok_opts(__LINE__, "\x8c\x04hell.", 7, &o);
    jlp_doc_free(d);
}
