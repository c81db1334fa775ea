/*
 * test_arena.c - the document arena (libjlpickle/common/alloc.c) through a counting
 * allocator: 16-byte alignment and no overlap, chunks that grow, large requests in a
 * chunk of their own that leave the head's free space alone, the limit (never passed,
 * reported), in-place extension, growing blocks kept or dropped, size overflow, and
 * release returning every byte with the size it was allocated with. The byte buffer's
 * growth, and jlp_dump_mem's output reused from dump to dump.
 */
#include "harness.h"

#include "../../libjlpickle/common/common.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>

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

/* A small document (one record of a stream of pickles: a dict of an int, a str and a
 * list of 10 floats, protocol 4) takes half a page: its first chunk of 2 KiB and a
 * header, item slots included (4144 bytes in three chunks before, 8224 with 4 KiB first
 * chunks). A 700-byte request in a fresh arena fits its first chunk. */
TEST(small_document_takes_one_page) {
    static const unsigned char rec[] =
        "\x80\x04\x95\x80\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x03seq\x94K\x01\x8c\x07pay"
        "load\x94]\x94(G\x3f\xe0\x00\x00\x00\x00\x00\x00G\x3f\xe0\x00\x00\x00\x00\x00\x00G"
        "\x3f\xe0\x00\x00\x00\x00\x00\x00G\x3f\xe0\x00\x00\x00\x00\x00\x00G\x3f\xe0\x00\x00"
        "\x00\x00\x00\x00G\x3f\xe0\x00\x00\x00\x00\x00\x00G\x3f\xe0\x00\x00\x00\x00\x00\x00"
        "G\x3f\xe0\x00\x00\x00\x00\x00\x00G\x3f\xe0\x00\x00\x00\x00\x00\x00G\x3f\xe0\x00\x00"
        "\x00\x00\x00\x00" "e\x8c\x03tag\x94\x8c\x02m1\x94u.";
    jlp_error err;
    size_t used = 0;
    jlp_doc *d = jlp_load_mem(rec, sizeof rec - 1, NULL, &used, &err);
    CHECK(d != NULL);
    CHECK_INT(used, sizeof rec - 1);
    CHECK_INT(jlp_len(jlp_doc_root(d)), 3);
    CHECK_INT(jlp_doc_alloc_bytes(d), 2048 + 16);
    jlp_doc_free(d);

    setup();
    jlp__arena a;
    jlp__arena_init(&a, &alc, 0);
    uint8_t *p = jlp__arena_alloc(&a, 700, NULL), *q = jlp__arena_alloc(&a, 200, NULL);
    CHECK(p && q && q == p + 704);
    CHECK_INT(ctr.allocs, 1);
    jlp__arena_release(&a);
    CHECK_INT(ctr.live, 0);
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

/* The default allocator keeps freed blocks of 64 KiB to 2 MiB for the next allocation
 * of their size class: a document freed and loaded again reuses pages already faulted
 * in. Before, glibc returned the freed top of its heap to the kernel and the same load
 * faulted every page in again (about 170 pages for each of these blocks). */
static long minor_faults(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* Page faults are the process's own only without a sanitizer's shadow memory or
 * valgrind's (which fault on their own): the counts are checked only then. */
static bool faults_are_ours(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
    return false;
#endif
#endif
    const char *pre = getenv("LD_PRELOAD");
    return !(pre && strstr(pre, "vgpreload"));
}

TEST(default_alc_reuses_freed_blocks) {
    const jlp_alc *d = jlp__alc_default();
    enum { N = 4, SIZE = 700000 };
    uint8_t *b[N];
    for (int round = 0; round < 3; round++) {
        long before = minor_faults();
        for (int i = 0; i < N; i++) {
            b[i] = jlp__malloc(d, SIZE);
            CHECK(b[i] != NULL);
            memset(b[i], round + i, SIZE);
        }
        long faults = minor_faults() - before;
        if (round > 0 && faults_are_ours()) CHECK(faults < 64); /* 4 x 171 pages when fresh */
        for (int i = 0; i < N; i++) CHECK_INT(b[i][SIZE - 1], round + i);
        for (int i = N; i-- > 0;) jlp__free(d, b[i], SIZE);
    }
    /* a size of the same class (700000 and 720000: 768 KiB) gets a kept block, and a
     * realloc within the class stays in place */
    uint8_t *p = jlp__malloc(d, 720000);
    CHECK(p != NULL);
    p[0] = 1;
    uint8_t *q = jlp__realloc(d, p, 720000, 786432);
    CHECK(q == p);
    CHECK_INT(q[0], 1);
    q[786431] = 2;
    /* across classes and out of the range: the bytes move with the block */
    q = jlp__realloc(d, q, 786432, 1000);
    CHECK(q != NULL);
    CHECK_INT(q[0], 1);
    q = jlp__realloc(d, q, 1000, 1500000);
    CHECK(q != NULL);
    CHECK_INT(q[0], 1);
    q[1499999] = 3;
    q = jlp__realloc(d, q, 1500000, 3 << 20);
    CHECK(q != NULL);
    CHECK_INT(q[0], 1);
    CHECK_INT(q[1499999], 3);
    jlp__free(d, q, 3 << 20);
}

/* Whether the page at p is mapped in this process (mincore fails with ENOMEM on an
 * unmapped range). */
static bool mapped(const void *p) {
    unsigned char vec;
    void *page = (void *)((uintptr_t)p & ~(uintptr_t)4095);
    return mincore(page, 4096, &vec) == 0 || errno != ENOMEM;
}

/* Empty the default allocator's kept mappings: a request that no kept block holds
 * unmaps them all, and a block above 32 MiB is never kept. */
static void drop_kept(const jlp_alc *d) {
    void *p = jlp__malloc(d, 40 << 20);
    CHECK(p != NULL);
    jlp__free(d, p, 40 << 20);
}

/* Mapped blocks (2 MiB and more) of the default allocator are kept when freed, up to
 * 32 MiB, for the next request they hold: a model of an 18 MB array loaded again reuses
 * the pages of the last load instead of a fresh mapping the kernel zeroes and faults in
 * (twice the read() of the file, before). Best fit, the tail beyond the request unmapped;
 * a request that none holds unmaps them all first; blocks above 32 MiB, or past the
 * 32 MiB budget, are unmapped at once. */
TEST(default_alc_keeps_freed_mappings) {
    const jlp_alc *d = jlp__alc_default();
    drop_kept(d);
    /* the same size again: the same block, its bytes still there (but the first word) */
    uint8_t *p = jlp__malloc(d, 6 << 20);
    CHECK(p != NULL);
    if (!p) return;
    memset(p, 7, 6 << 20);
    jlp__free(d, p, 6 << 20);
    long before = minor_faults();
    uint8_t *q = jlp__malloc(d, 6 << 20);
    CHECK(q == p);
    if (q != p) return;
    CHECK_INT(q[100], 7);
    CHECK_INT(q[(6 << 20) - 1], 7);
    memset(q, 8, 6 << 20);
    if (faults_are_ours()) CHECK(minor_faults() - before < 16); /* 1,536 pages when fresh */
    jlp__free(d, q, 6 << 20);
    /* best fit: 3 MiB takes the 3 MiB block, 5 MiB the 8 MiB one, whose tail goes */
    drop_kept(d);
    uint8_t *a = jlp__malloc(d, 8 << 20), *b = jlp__malloc(d, 3 << 20);
    CHECK(a != NULL && b != NULL);
    if (!a || !b) return;
    jlp__free(d, a, 8 << 20);
    jlp__free(d, b, 3 << 20);
    CHECK(mapped(a) && mapped(b));
    CHECK(jlp__malloc(d, 3 << 20) == b);
    CHECK(jlp__malloc(d, 5 << 20) == a);
    CHECK(mapped(a + (5 << 20) - 1));
    CHECK(!mapped(a + (5 << 20)));
    CHECK(!mapped(a + (8 << 20) - 1));
    /* a realloc of a kept block grows it as any mapped block, bytes kept */
    a[0] = 5;
    uint8_t *g = jlp__realloc(d, a, 5 << 20, 12 << 20);
    CHECK(g != NULL);
    if (!g) return;
    CHECK_INT(g[0], 5);
    g[(12 << 20) - 1] = 6;
    jlp__free(d, g, 12 << 20);
    jlp__free(d, b, 3 << 20);
    /* a request that no kept block holds unmaps them (unless the new block reuses the
     * range) */
    uint8_t *big = jlp__malloc(d, 16 << 20);
    CHECK(big != NULL);
    if (!big) return;
    CHECK(!mapped(b) || (b >= big && b < big + (16 << 20)));
    CHECK(!mapped(g) || (g >= big && g < big + (16 << 20)));
    jlp__free(d, big, 16 << 20);
    /* the budget: two blocks of 12 MiB kept, the third unmapped; above 32 MiB never */
    drop_kept(d);
    uint8_t *t[3];
    for (int i = 0; i < 3; i++) {
        t[i] = jlp__malloc(d, 12 << 20);
        CHECK(t[i] != NULL);
        if (!t[i]) return;
        t[i][0] = 1;
    }
    for (int i = 0; i < 3; i++) jlp__free(d, t[i], 12 << 20);
    CHECK(mapped(t[0]) && mapped(t[1]));
    CHECK(!mapped(t[2]));
    uint8_t *h = jlp__malloc(d, 33 << 20);
    CHECK(h != NULL);
    if (!h) return;
    h[0] = 1;
    jlp__free(d, h, 33 << 20);
    CHECK(!mapped(h));
    CHECK(!mapped(t[0]) && !mapped(t[1]));
}

/* Threads taking and giving back kept mappings at once: no block is ever handed to two
 * of them (each fills its block with its own byte and finds it unchanged before freeing
 * it), whatever sizes they ask for. */
typedef struct keep_worker {
    int id, bad;
} keep_worker;

static void *keep_worker_run(void *arg) {
    keep_worker *w = arg;
    const jlp_alc *d = jlp__alc_default();
    uint32_t r = 2463534242u * (uint32_t)(w->id + 1);
    for (int i = 0; i < 150; i++) {
        r ^= r << 13;
        r ^= r >> 17;
        r ^= r << 5;
        size_t n = ((size_t)2 << 20) + (r % (10u << 20));
        uint8_t *p = jlp__malloc(d, n);
        if (!p) {
            w->bad++;
            continue;
        }
        uint8_t mark = (uint8_t)(w->id * 31 + i);
        for (size_t o = 0; o < n; o += 4096) p[o] = mark;
        p[n - 1] = mark;
        for (size_t o = 0; o < n; o += 4096) w->bad += p[o] != mark;
        w->bad += p[n - 1] != mark;
        jlp__free(d, p, n);
    }
    return NULL;
}

TEST(default_alc_kept_mappings_across_threads) {
    enum { T = 4 };
    pthread_t th[T];
    keep_worker w[T];
    for (int t = 0; t < T; t++) {
        w[t].id = t;
        w[t].bad = 0;
        CHECK(pthread_create(&th[t], NULL, keep_worker_run, &w[t]) == 0);
    }
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        CHECK_INT(w[t].bad, 0);
    }
    drop_kept(jlp__alc_default());
}

/* Whether the kernel gives huge pages to mappings advised MADV_HUGEPAGE. */
static bool thp_madvise(void) {
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f) return false;
    char line[128] = "";
    bool on = fgets(line, sizeof line, f) && (strstr(line, "[always]") || strstr(line, "[madvise]"));
    fclose(f);
    return on;
}

/* Blocks of 2 to 16 MiB of the default allocator are cut one after another from a
 * shared slab (huge pages without a partial 4 KiB-paged tail each); a dropped newest
 * block gives its room back, a grown one moves out with its bytes, and the limit counts
 * each block's own size. */
TEST(default_alc_large_blocks_share_slabs) {
    jlp__arena a;
    jlp__arena_init(&a, NULL, 0);
    enum { COLS = 20, SIZE = 3000000 };
    uint8_t *b[COLS];
    long before = minor_faults();
    for (int i = 0; i < COLS; i++) {
        b[i] = jlp__arena_block_new(&a, SIZE, NULL);
        CHECK(b[i] != NULL);
        if (!b[i]) return;
        CHECK_INT((uintptr_t)b[i] % 64, 0);
        memset(b[i], i + 1, SIZE);
        jlp__arena_block_keep(&a, b[i]);
    }
    long faults = minor_faults() - before;
    /* 3000000 + 16 bytes, each next block 64-aligned: 3000064 apart within a slab */
    CHECK(b[1] == b[0] + 3000064);
    CHECK_INT(a.total, (uint64_t)COLS * (SIZE + 16));
    /* each block alone: a huge page and 220 4 KiB pages, 4,420 faults in all */
    if (thp_madvise() && faults_are_ours()) CHECK(faults < 1000);
    for (int i = 0; i < COLS; i++) CHECK(b[i][0] == i + 1 && b[i][SIZE - 1] == i + 1);
    /* the newest block dropped: the next one takes its place */
    uint8_t *x = jlp__arena_block_new(&a, SIZE, NULL);
    CHECK(x != NULL);
    jlp__arena_block_drop(&a, x);
    CHECK_INT(a.total, (uint64_t)COLS * (SIZE + 16));
    uint8_t *y = jlp__arena_block_new(&a, 2 << 20, NULL);
    CHECK(y == x);
    /* grown past the slab's range: a block of its own, bytes kept */
    memset(y, 9, 2 << 20);
    uint8_t *z = jlp__arena_block_grow(&a, y, 20 << 20, NULL);
    CHECK(z != NULL && z != y);
    if (z) {
        CHECK(z[0] == 9 && z[(2 << 20) - 1] == 9);
        z[(20 << 20) - 1] = 1;
        jlp__arena_block_keep(&a, z);
    }
    CHECK_INT(a.total, (uint64_t)COLS * (SIZE + 16) + (20 << 20) + 16);
    jlp__arena_release(&a);
    CHECK_INT(a.total, 0);
    /* the limit: a block that does not fit is refused, with limit_hit */
    jlp__arena_init(&a, NULL, 5 << 20);
    bool hit = false;
    CHECK(jlp__arena_block_new(&a, 3 << 20, &hit) != NULL);
    CHECK(!hit);
    CHECK(jlp__arena_block_new(&a, 3 << 20, &hit) == NULL);
    CHECK(hit);
    jlp__arena_release(&a);
}

/* A byte buffer doubles up to 8 MiB and then grows by half: 8, 12, 18, 27 MiB, so an
 * output of 16 to 27 MB stays below glibc's largest mmap threshold (32 MiB). */
TEST(buffer_grows_by_half_past_8_mib) {
    setup();
    jlp__buf b;
    jlp__buf_init(&b, &alc);
    static char piece[65536];
    size_t caps[64], ncaps = 0, last = 0;
    for (size_t k = 0; b.len < 20000000; k++) {
        memset(piece, (int)(k & 0x7f), sizeof piece);
        jlp__buf_put(&b, piece, sizeof piece);
        if (b.cap != last && ncaps < 64) caps[ncaps++] = last = b.cap;
    }
    CHECK(!b.failed);
    CHECK_INT(b.cap, (size_t)27 << 20);
    CHECK(ncaps >= 4);
    CHECK_INT(caps[ncaps - 4], (size_t)8 << 20);
    CHECK_INT(caps[ncaps - 3], (size_t)12 << 20);
    CHECK_INT(caps[ncaps - 2], (size_t)18 << 20);
    CHECK_INT(b.data[0], 0);
    CHECK_INT(b.data[b.len - 1], (int)(((b.len / sizeof piece) - 1) & 0x7f));
    jlp__buf_release(&b);
    CHECK_INT(ctr.live, 0);
}

/* jlp_dump_mem's output of 20 MB, freed with free(), comes back from the heap for the
 * next dump rather than as a fresh mapping to fault in (5,000 faults when it did). */
TEST(dump_mem_output_reused_between_dumps) {
    jlp_doc *doc = jlp_doc_new(NULL);
    CHECK(doc != NULL);
    if (!doc) return;
    jlp_val *list = jlp_new_list(doc);
    static char text[1000];
    for (int i = 0; i < 20000; i++) {
        snprintf(text, sizeof text, "%0999d", i);
        CHECK_INT(jlp_list_append(doc, list, jlp_new_strz(doc, text)), JLP_OK);
    }
    long faults[3] = {0};
    size_t len = 0;
    for (int round = 0; round < 3; round++) {
        void *out = NULL;
        long before = minor_faults();
        CHECK_INT(jlp_dump_mem(list, NULL, &out, &len, NULL), JLP_OK);
        faults[round] = minor_faults() - before;
        free(out);
    }
    CHECK(len > 20000000);
    if (faults_are_ours()) CHECK(faults[2] < 500);   /* 4,900 pages */
    jlp_doc_free(doc);
}
