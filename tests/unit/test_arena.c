/*
 * test_arena.c - the document arena (libjlpickle/common/alloc.c) through a counting
 * allocator: 16-byte alignment and no overlap, chunks that grow, large requests in a
 * chunk of their own that leave the head's free space alone, the limit (never passed,
 * reported), in-place extension, growing blocks kept or dropped, size overflow, and
 * release returning every byte with the size it was allocated with.
 */
#include "harness.h"

#include "../../libjlpickle/common/common.h"

#include <stdbool.h>

/* A malloc-backed allocator that counts live bytes and checks each free's size. */
typedef struct counter {
    long long live, allocs, frees, bad_sizes;
    long long fail_after; /* allocations left before one fails; -1 never */
} counter;

static void *c_malloc(void *ctx, size_t n) {
    counter *c = ctx;
    if (c->fail_after == 0) return NULL;
    if (c->fail_after > 0) c->fail_after--;
    size_t *p = malloc(n + 16);
    if (!p) return NULL;
    p[0] = n;
    c->live += (long long)n;
    c->allocs++;
    return (uint8_t *)p + 16;
}
static void c_free(void *ctx, void *ptr, size_t n) {
    counter *c = ctx;
    if (!ptr) return;
    size_t *p = (size_t *)(void *)((uint8_t *)ptr - 16);
    if (p[0] != n) c->bad_sizes++;
    c->live -= (long long)p[0];
    c->frees++;
    free(p);
}
static void *c_realloc(void *ctx, void *ptr, size_t old_n, size_t n) {
    void *q = c_malloc(ctx, n);
    if (!q) return NULL;
    if (ptr) {
        memcpy(q, ptr, old_n < n ? old_n : n);
        c_free(ctx, ptr, old_n);
    }
    return q;
}

static counter ctr;
static jlp_alc alc;
static void setup(void) {
    memset(&ctr, 0, sizeof ctr);
    ctr.fail_after = -1;
    alc = (jlp_alc){c_malloc, c_realloc, c_free, &ctr};
}

TEST(aligned_and_disjoint) {
    setup();
    jlp__arena a;
    jlp__arena_init(&a, &alc, 0);
    uint8_t *ptrs[300];
    for (size_t i = 0; i < 300; i++) {
        size_t n = i % 97 + 1;
        ptrs[i] = jlp__arena_alloc(&a, n, NULL);
        CHECK(ptrs[i] != NULL);
        CHECK_INT((uintptr_t)ptrs[i] % 16, 0);
        memset(ptrs[i], (int)(i & 0xff), n);
    }
    for (size_t i = 0; i < 300; i++)
        for (size_t k = 0; k < i % 97 + 1; k++)
            if (ptrs[i][k] != (uint8_t)(i & 0xff)) {
                TH_FAIL("allocation %zu was overwritten", i);
                k = i % 97 + 1;
                i = 300;
            }
    CHECK(ctr.allocs > 1); /* 300 allocations of up to 97 bytes need more than 4 KiB */
    CHECK_INT(a.total, ctr.live);
    jlp__arena_release(&a);
    CHECK_INT(ctr.live, 0);
    CHECK_INT(ctr.frees, ctr.allocs);
    CHECK_INT(ctr.bad_sizes, 0);
}

TEST(large_request_keeps_the_head) {
    setup();
    jlp__arena a;
    jlp__arena_init(&a, &alc, 0);
    uint8_t *p1 = jlp__arena_alloc(&a, 10, NULL);
    uint8_t *big = jlp__arena_alloc(&a, 1 << 20, NULL);
    uint8_t *p2 = jlp__arena_alloc(&a, 10, NULL);
    CHECK(p1 && big && p2);
    CHECK(p2 == p1 + 16); /* the small ones stay in the first chunk */
    CHECK_INT(ctr.allocs, 2);
    memset(big, 1, 1 << 20);
    jlp__arena_release(&a);
    CHECK_INT(ctr.live, 0);
    CHECK_INT(ctr.bad_sizes, 0);
}

TEST(limit) {
    setup();
    jlp__arena a;
    jlp__arena_init(&a, &alc, 100000);
    bool hit = false;
    size_t got = 0;
    while (jlp__arena_alloc(&a, 1000, &hit)) got++;
    CHECK(hit);
    CHECK(got > 50);
    CHECK(a.total <= 100000);
    CHECK_INT(a.total, ctr.live);
    /* a request larger than the whole limit */
    hit = false;
    CHECK(jlp__arena_alloc(&a, 200000, &hit) == NULL);
    CHECK(hit);
    jlp__arena_release(&a);
    CHECK_INT(ctr.live, 0);
}

TEST(allocator_failure_is_not_a_limit) {
    setup();
    jlp__arena a;
    jlp__arena_init(&a, &alc, 0);
    ctr.fail_after = 0;
    bool hit = false;
    CHECK(jlp__arena_alloc(&a, 10, &hit) == NULL);
    CHECK(!hit);
    ctr.fail_after = -1;
    CHECK(jlp__arena_alloc(&a, 10, &hit) != NULL);
    jlp__arena_release(&a);
    CHECK_INT(ctr.live, 0);
}

TEST(overflowing_size) {
    setup();
    jlp__arena a;
    jlp__arena_init(&a, &alc, 0);
    CHECK(jlp__arena_alloc(&a, SIZE_MAX, NULL) == NULL);
    CHECK(jlp__arena_alloc(&a, SIZE_MAX - 8, NULL) == NULL);
    CHECK_INT(ctr.allocs, 0);
    jlp__arena_release(&a);
}

TEST(extend_in_place) {
    setup();
    jlp__arena a;
    jlp__arena_init(&a, &alc, 0);
    uint8_t *p = jlp__arena_alloc(&a, 20, NULL);
    CHECK(jlp__arena_extend(&a, p, 20, 200));
    uint8_t *q = jlp__arena_alloc(&a, 8, NULL);
    CHECK(q == p + 208); /* 200 rounded up to 16 */
    CHECK(!jlp__arena_extend(&a, p, 200, 300)); /* no longer the last one */
    CHECK(jlp__arena_extend(&a, q, 8, 4));      /* shrinking always fits */
    CHECK(!jlp__arena_extend(&a, q, 8, 1 << 20)); /* past the chunk */
    jlp__arena_release(&a);
    CHECK_INT(ctr.live, 0);
}

TEST(blocks_kept_and_dropped) {
    setup();
    jlp__arena a;
    jlp__arena_init(&a, &alc, 1 << 20);
    bool hit = false;
    uint8_t *b = jlp__arena_block_new(&a, 1000, &hit);
    CHECK(b != NULL);
    memset(b, 7, 1000);
    b = jlp__arena_block_grow(&a, b, 5000, &hit);
    CHECK(b != NULL);
    CHECK_INT(b[999], 7);
    CHECK_INT(a.total, ctr.live);
    CHECK(jlp__arena_block_grow(&a, b, 2 << 20, &hit) == NULL); /* over the limit */
    CHECK(hit);
    jlp__arena_block_drop(&a, b);
    CHECK_INT(a.total, 0);
    CHECK_INT(ctr.live, 0);
    uint8_t *k = jlp__arena_block_new(&a, 3000, NULL);
    CHECK(k != NULL);
    jlp__arena_block_keep(&a, k);
    uint8_t *s = jlp__arena_alloc(&a, 16, NULL);
    CHECK(s != NULL);
    jlp__arena_release(&a);
    CHECK_INT(ctr.live, 0);
    CHECK_INT(ctr.bad_sizes, 0);
}
