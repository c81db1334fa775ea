/*
 * fuzz_common.h - helpers shared by the fuzz targets (fuzz/fuzz_*.c): the failure
 * report, input hashing, a deterministic generator, a byte reader that turns the input
 * into decisions, a size-checking allocator (the jlp_alc contract) and a hashing sink.
 *
 * Header-only (every function static inline), so each target stays one .c file: the
 * main Makefile links fuzz/<target>.c with fuzz/replay.c and nothing else, and treats
 * every fuzz/<name>.c as a target. Define FZ_TARGET (a string) before including.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "jlpickle.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FZ_TARGET
#error "define FZ_TARGET before including fuzz_common.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- failure ------------------------------------------------------------------------
 * A broken property aborts: libFuzzer records the input as a crash, the replay driver
 * stops with the message. */

static inline void fz_die(const char *what, const char *detail, unsigned long long a,
                          unsigned long long b) {
    fprintf(stderr, "%s: %s: %s (%llu vs %llu)\n", FZ_TARGET, what, detail ? detail : "", a, b);
    fflush(stderr);
    abort();
}

#define FZ_CHECK(cond, what, a, b)                                                          \
    do {                                                                                    \
        if (!(cond)) fz_die(what, #cond, (unsigned long long)(a), (unsigned long long)(b)); \
    } while (0)

#define FZ_EQ(what, a, b)                                                                   \
    do {                                                                                    \
        if ((a) != (b)) fz_die(what, #a " != " #b, (unsigned long long)(a),                 \
                               (unsigned long long)(b));                                    \
    } while (0)

/* A failed library call whose error should not have happened. */
static inline void fz_die_err(const char *what, const jlp_error *e) {
    fprintf(stderr, "%s: %s: %s at %llu (opcode %d): %s\n", FZ_TARGET, what, jlp_error_name(e->code),
            (unsigned long long)e->offset, e->opcode, e->msg);
    fflush(stderr);
    abort();
}

/* Known, reported library bugs are tolerated while fuzzing (so a campaign gets past
 * them) unless FUZZ_STRICT=1 is set, as `make -f fuzz/fuzz.mk regressions` does: then
 * every reproducer in fuzz/regressions/ fails until its bug is fixed. Each tolerance is
 * a narrow predicate naming its reproducer (fuzz/README.md lists them). */
static inline int fz_strict(void) {
    static int strict = -1;
    if (strict < 0) {
        const char *e = getenv("FUZZ_STRICT");
        strict = e && *e && strcmp(e, "0") != 0;
    }
    return strict;
}

/* ---- hashing and a generator -------------------------------------------------------- */

static inline uint64_t fz_fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static inline uint64_t fz_mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static inline uint64_t fz_xorshift(uint64_t *s) {
    uint64_t x = *s ? *s : 0x2545F4914F6CDD1Dull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* ---- a byte reader: the input as a sequence of decisions ------------------------------
 * Past the end it yields zeros, so every input is a complete program. */

typedef struct fz_reader {
    const uint8_t *p;
    size_t n, i;
} fz_reader;

static inline int fz_done(const fz_reader *r) { return r->i >= r->n; }

static inline uint8_t fz_u8(fz_reader *r) { return r->i < r->n ? r->p[r->i++] : 0; }

static inline uint16_t fz_u16(fz_reader *r) {
    uint16_t lo = fz_u8(r);
    return (uint16_t)(lo | (uint16_t)fz_u8(r) << 8);
}

static inline uint32_t fz_u32(fz_reader *r) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) v |= (uint32_t)fz_u8(r) << (8 * k);
    return v;
}

static inline uint64_t fz_u64(fz_reader *r) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v |= (uint64_t)fz_u8(r) << (8 * k);
    return v;
}

/* A value in [0, n) (n > 0). */
static inline size_t fz_below(fz_reader *r, size_t n) {
    return n <= 256 ? fz_u8(r) % n : fz_u16(r) % n;
}

/* Up to `max` bytes of the input, taken in place; *len receives how many. */
static inline const uint8_t *fz_bytes(fz_reader *r, size_t max, size_t *len) {
    size_t k = fz_u8(r);
    if (k > max) k = k % (max + 1);
    size_t left = r->i < r->n ? r->n - r->i : 0;
    if (k > left) k = left;
    const uint8_t *p = left ? r->p + r->i : (const uint8_t *)"";
    r->i += k;
    *len = k;
    return p;
}

/* ---- a size-checking allocator --------------------------------------------------------
 * Every block carries a 16-byte header holding its size: free/realloc must be given the
 * size the block was allocated with (the jlp_alc contract), and `live` must return to 0
 * once everything is freed. `fail_at` (0: never) makes the n-th allocation fail, for the
 * NOMEM paths. */

typedef struct fz_heap {
    uint64_t live, blocks, calls, fail_at, peak;
} fz_heap;

#define FZ_HDR ((size_t)16)

static inline size_t fz_hdr_size(const void *p) {
    size_t n;
    memcpy(&n, (const unsigned char *)p - FZ_HDR, sizeof n);
    return n;
}

static inline void *fz_malloc(void *ctx, size_t n) {
    fz_heap *h = ctx;
    if (n > SIZE_MAX - FZ_HDR) return NULL;
    if (h->fail_at && ++h->calls == h->fail_at) return NULL;
    unsigned char *b = malloc(n + FZ_HDR);
    if (!b) return NULL;
    memcpy(b, &n, sizeof n);
    h->live += n;
    h->blocks++;
    if (h->live > h->peak) h->peak = h->live;
    return b + FZ_HDR;
}

static inline void fz_free(void *ctx, void *p, size_t n) {
    fz_heap *h = ctx;
    if (!p) return;
    size_t have = fz_hdr_size(p);
    if (have != n)
        fz_die("allocator contract", "free() given a size other than allocated", (unsigned long long)n,
               (unsigned long long)have);
    h->live -= n;
    h->blocks--;
    free((unsigned char *)p - FZ_HDR);
}

static inline void *fz_realloc(void *ctx, void *p, size_t old_n, size_t n) {
    fz_heap *h = ctx;
    if (!p) {
        if (old_n != 0)
            fz_die("allocator contract", "realloc(NULL) with a nonzero old size", (unsigned long long)old_n, 0);
        return fz_malloc(ctx, n);
    }
    size_t have = fz_hdr_size(p);
    if (have != old_n)
        fz_die("allocator contract", "realloc() given an old size other than allocated",
               (unsigned long long)old_n, (unsigned long long)have);
    if (n > SIZE_MAX - FZ_HDR) return NULL;
    if (h->fail_at && ++h->calls == h->fail_at) return NULL;
    unsigned char *b = realloc((unsigned char *)p - FZ_HDR, n + FZ_HDR);
    if (!b) return NULL;
    memcpy(b, &n, sizeof n);
    h->live = h->live - old_n + n;
    if (h->live > h->peak) h->peak = h->live;
    return b + FZ_HDR;
}

static inline jlp_alc fz_alc(fz_heap *h) {
    jlp_alc a = {fz_malloc, fz_realloc, fz_free, h};
    return a;
}

static inline void fz_heap_check_empty(const fz_heap *h, const char *where) {
    if (h->live || h->blocks)
        fz_die("memory left allocated after freeing everything", where, (unsigned long long)h->live,
               (unsigned long long)h->blocks);
}

/* ---- a sink that keeps only a length and two hashes ----------------------------------- */

typedef struct fz_sink {
    uint64_t len, h1, h2, newlines;
    int last;
} fz_sink;

static inline void fz_sink_init(fz_sink *s) {
    memset(s, 0, sizeof *s);
    s->h1 = 0xcbf29ce484222325ull;
    s->last = -1;
}

static inline int fz_sink_write(void *ctx, const void *data, size_t len);

/* An export that failed with UNSUPPORTED (a numpy U item above U+10FFFF, which JSON
 * cannot carry) leaves the sink holding this marker instead of its partial text, so two
 * exports of the same values still compare equal. @return whether c was that. */
static inline int fz_sink_unsupported(fz_sink *s, jlp_code c) {
    if (c != JLP_E_UNSUPPORTED) return 0;
    fz_sink_init(s);
    fz_sink_write(s, "UNSUPPORTED\n", 12);
    return 1;
}

static inline int fz_sink_write(void *ctx, const void *data, size_t len) {
    fz_sink *s = ctx;
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        s->h1 = (s->h1 ^ p[i]) * 0x100000001b3ull;
        s->h2 = (s->h2 + p[i] + 1) * 0x9E3779B97F4A7C15ull;
        s->newlines += p[i] == '\n';
    }
    if (len) s->last = p[len - 1];
    s->len += len;
    return 0;
}

static inline int fz_sink_same(const fz_sink *a, const fz_sink *b) {
    return a->len == b->len && a->h1 == b->h1 && a->h2 == b->h2;
}

/* ---- limits ------------------------------------------------------------------------
 * Budgets under which no input can run long: what a service loading untrusted pickles
 * would set. */

#define FZ_MAX_ALLOC ((uint64_t)64 << 20)
#define FZ_MAX_OPS ((uint64_t)1000000)
#define FZ_MAX_STR ((uint64_t)1 << 20)
#define FZ_MAX_DECODED ((uint64_t)16 << 20)
#define FZ_MAX_RATIO ((uint64_t)1000)

/* Set the budgets into `lim` and make `o` use them (lim must outlive the loads). */
static inline void fz_budget(jlp_read_opts *o, jlp_limits *lim) {
    jlp_limits_init(lim);
    lim->max_alloc = FZ_MAX_ALLOC;
    lim->max_ops = FZ_MAX_OPS;
    lim->max_str = FZ_MAX_STR;
    lim->max_stack = (uint64_t)1 << 20;
    lim->max_memo = (uint64_t)1 << 20;
    lim->max_decoded = FZ_MAX_DECODED;
    lim->max_ratio = FZ_MAX_RATIO;
    o->limits = lim;
}

#endif
