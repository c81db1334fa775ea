/*
 * test_memo.c - the unpickler's memo (libjlpickle/pickle/memo.c): sequential keys in
 * the dense array, a huge key (the "memo index bomb") in the hash table without growing
 * the array, replacement, many sparse keys through rehashing, sparse entries moved into
 * the array when it grows over them, allocation failure, and release returning every
 * byte. The writer's memo of nodes (libjlpickle/pickle/nodemap.h): nodes allocated
 * together in neighbouring slots, aliasing windows turned apart, colliding runs without
 * clusters, growth keeping every entry and the order.
 */
#include "harness.h"

#include "../../libjlpickle/pickle/memo.h"
#include "../../libjlpickle/pickle/nodemap.h"

#include <stdbool.h>

static long long live, fail_after = -1;
static void *m_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (fail_after == 0) return NULL;
    if (fail_after > 0) fail_after--;
    live += (long long)n;
    return malloc(n ? n : 1);
}
static void m_free(void *ctx, void *p, size_t n) {
    (void)ctx;
    if (!p) return;
    live -= (long long)n;
    free(p);
}
static void *m_realloc(void *ctx, void *p, size_t old_n, size_t n) {
    if (fail_after == 0) return NULL;
    if (fail_after > 0) fail_after--;
    (void)ctx;
    void *q = realloc(p, n ? n : 1);
    if (q) live += (long long)n - (long long)old_n;
    return q;
}
static const jlp_alc alc = {m_malloc, m_realloc, m_free, NULL};

/* Distinct fake values: the memo stores pointers and never reads through them. */
static jlp_val *val(uint64_t k) { return (jlp_val *)(uintptr_t)(0x1000 + 16 * (k & 0xffffff)); }

TEST(sequential_keys_are_dense) {
    live = 0;
    jlp__memo m;
    jlp__memo_init(&m, &alc);
    for (uint64_t k = 0; k < 5000; k++) CHECK(jlp__memo_put_inline(&m, k, val(k)));
    CHECK_INT(m.count, 5000);
    CHECK_INT(m.sparse_n, 0);
    CHECK(m.dense_cap >= 5000 && m.dense_cap < 10000);
    for (uint64_t k = 0; k < 5000; k++)
        if (jlp__memo_get(&m, k) != val(k)) {
            TH_FAIL("key %llu", (unsigned long long)k);
            break;
        }
    CHECK(jlp__memo_get(&m, 5000) == NULL);
    CHECK(jlp__memo_get(&m, UINT64_MAX) == NULL);
    jlp__memo_release(&m);
    CHECK_INT(live, 0);
}

TEST(huge_key_stays_sparse) {
    live = 0;
    jlp__memo m;
    jlp__memo_init(&m, &alc);
    CHECK(jlp__memo_put(&m, 0x7fffffffu, val(1)));
    CHECK(jlp__memo_put(&m, UINT64_MAX, val(2)));
    CHECK_INT(m.dense_cap, 0);
    CHECK_INT(m.sparse_n, 2);
    CHECK(live < 4096); /* two entries, not an array reaching the key */
    CHECK(jlp__memo_get(&m, 0x7fffffffu) == val(1));
    CHECK(jlp__memo_get(&m, UINT64_MAX) == val(2));
    CHECK(jlp__memo_get(&m, 0x7ffffffeu) == NULL);
    jlp__memo_release(&m);
    CHECK_INT(live, 0);
}

TEST(replace_keeps_the_count) {
    jlp__memo m;
    jlp__memo_init(&m, &alc);
    CHECK(jlp__memo_put(&m, 3, val(1)));
    CHECK(jlp__memo_put(&m, 3, val(2)));
    CHECK(jlp__memo_put(&m, 1u << 30, val(3)));
    CHECK(jlp__memo_put(&m, 1u << 30, val(4)));
    CHECK_INT(m.count, 2);
    CHECK(jlp__memo_get(&m, 3) == val(2));
    CHECK(jlp__memo_get(&m, 1u << 30) == val(4));
    jlp__memo_release(&m);
}

TEST(many_sparse_keys_rehash) {
    live = 0;
    jlp__memo m;
    jlp__memo_init(&m, &alc);
    for (uint64_t i = 0; i < 3000; i++) CHECK(jlp__memo_put(&m, (i + 1) * 1000003u, val(i)));
    CHECK_INT(m.sparse_n, 3000);
    CHECK(m.sparse_cap >= 6000);
    for (uint64_t i = 0; i < 3000; i++)
        if (jlp__memo_get(&m, (i + 1) * 1000003u) != val(i)) {
            TH_FAIL("sparse key %llu lost", (unsigned long long)i);
            break;
        }
    jlp__memo_release(&m);
    CHECK_INT(live, 0);
}

TEST(growing_array_takes_sparse_keys) {
    jlp__memo m;
    jlp__memo_init(&m, &alc);
    CHECK(jlp__memo_put(&m, 1500, val(1500))); /* beyond the slack of an empty memo */
    CHECK_INT(m.sparse_n, 1);
    for (uint64_t k = 0; k < 1500; k++) CHECK(jlp__memo_put_inline(&m, k, val(k)));
    CHECK(m.dense_cap > 1500);
    CHECK_INT(m.sparse_n, 0); /* moved into the array */
    CHECK(jlp__memo_get(&m, 1500) == val(1500));
    CHECK_INT(m.count, 1501);
    jlp__memo_release(&m);
}

TEST(allocation_failure) {
    live = 0;
    jlp__memo m;
    jlp__memo_init(&m, &alc);
    fail_after = 0;
    CHECK(!jlp__memo_put(&m, 0, val(0)));
    CHECK(!jlp__memo_put(&m, (uint64_t)1 << 40, val(1)));
    CHECK_INT(m.count, 0);
    fail_after = -1;
    CHECK(jlp__memo_put(&m, 0, val(0)));
    CHECK(jlp__memo_get(&m, 0) == val(0));
    jlp__memo_release(&m);
    CHECK_INT(live, 0);
}

/* ---- the writer's memo of nodes (nodemap.h) ------------------------------------------ */

/* A node at unit u of the address space (the map never reads through its keys). */
static const jlp_val *node_at(uintptr_t unit) { return (const jlp_val *)(unit << JLP__NODE_SHIFT); }
static uintptr_t unit_of(const jlp_val *p) { return (uintptr_t)p >> JLP__NODE_SHIFT; }

static jlp__nodemap nm_new(size_t cap) {
    jlp__nodemap_ent *e = calloc(cap, sizeof *e);
    if (!e) abort();
    return jlp__nodemap_empty(e, cap);
}

/* Insert p (absent) with index idx, growing as the writer does (at most half full);
 * @return the slots looked at. */
static size_t nm_insert(jlp__nodemap *m, const jlp_val *p, uint64_t idx) {
    if ((m->n + 1) * 2 > m->cap) {
        jlp__nodemap to = nm_new(m->cap * 2);
        jlp__nodemap_rehash(m, &to);
        free(m->e);
        *m = to;
    }
    size_t probes, i = jlp__nodemap_slot(m, p, &probes);
    if (m->e[i].key) TH_FAIL("node %p is already in the map", (const void *)p);
    m->e[i].key = p;
    m->e[i].idx = idx;
    m->n++;
    return probes;
}

/* The index of p, or -1 when absent; *probes: the slots looked at. */
static long long nm_find(const jlp__nodemap *m, const jlp_val *p, size_t *probes) {
    size_t i = jlp__nodemap_slot(m, p, probes);
    return m->e[i].key ? (long long)m->e[i].idx : -1;
}

/* Units of the address space of a 64-bit process's heap and of a second mapping. */
#define NM_BASE ((uintptr_t)0x5581a3c40000 >> JLP__NODE_SHIFT)

TEST(nodemap_allocation_order_is_table_order) {
    jlp__nodemap m = nm_new(1 << 12);
    size_t mask = m.cap - 1, h0 = jlp__nodemap_home(&m, node_at(NM_BASE)), extra = 0;
    /* 2,000 nodes 48 bytes apart (a node and a short string's bytes, as a list of strs
     * is allocated): the nodes a unit or two apart have slots a unit or two apart */
    for (uint64_t k = 0; k < 2000; k++) {
        uintptr_t u = NM_BASE + (k * 48) / JLP__NODE_UNIT;
        CHECK_INT(jlp__nodemap_home(&m, node_at(u)), (h0 + (u - NM_BASE)) & mask);
        extra += nm_insert(&m, node_at(u), k) - 1;
    }
    CHECK_INT(extra, 0);   /* no collision at all */
    CHECK_INT(m.cap, 1 << 12);
    for (uint64_t k = 0; k < 2000; k++) {
        size_t probes;
        CHECK_INT(nm_find(&m, node_at(NM_BASE + (k * 48) / JLP__NODE_UNIT), &probes), (long long)k);
        CHECK_INT(probes, 1);
    }
    /* absent nodes: between two present ones, past the end, in another window */
    size_t probes;
    CHECK_INT(nm_find(&m, node_at(NM_BASE + 2), &probes), -1);
    CHECK_INT(nm_find(&m, node_at(NM_BASE + 3000), &probes), -1);
    CHECK_INT(nm_find(&m, node_at(NM_BASE + m.cap), &probes), -1);
    free(m.e);
}

/* Arena chunks a multiple of the table's span apart: without the turn of each window
 * all of them would have the same slots. */
TEST(nodemap_aliasing_windows_are_turned_apart) {
    enum { RUNS = 8, RUN = 256 };
    jlp__nodemap m = nm_new(1 << 12);
    static char seen[1 << 12];
    memset(seen, 0, sizeof seen);
    size_t homes = 0, probes = 0;
    for (uint64_t r = 0; r < RUNS; r++)
        for (uint64_t k = 0; k < RUN; k++) {
            const jlp_val *p = node_at(NM_BASE + r * m.cap + k);
            size_t h = jlp__nodemap_home(&m, p);
            homes += !seen[h];
            seen[h] = 1;
            probes += nm_insert(&m, p, r * RUN + k);
        }
    CHECK_INT(m.cap, 1 << 12);
    CHECK(homes >= RUNS * RUN * 3 / 4);      /* 256 without the turn */
    CHECK(probes <= RUNS * RUN * 3 / 2);
    for (uint64_t r = 0; r < RUNS; r++)
        for (uint64_t k = 0; k < RUN; k++) {
            size_t pr;
            if (nm_find(&m, node_at(NM_BASE + r * m.cap + k), &pr) != (long long)(r * RUN + k)) {
                TH_FAIL("run %llu node %llu", (unsigned long long)r, (unsigned long long)k);
                r = RUNS;
                break;
            }
        }
    free(m.e);
}

/* Two dense runs whose nodes have exactly the same home slots (found by search, as an
 * unlucky pair of chunks would have them): the second run steps away from the first
 * rather than piling up behind it (linear probing: about RUN * RUN / 2 probes). */
TEST(nodemap_colliding_runs_do_not_cluster) {
    enum { RUN = 1024 };
    jlp__nodemap m = nm_new(1 << 12);
    size_t mask = m.cap - 1, probes_a = 0, probes_b = 0, worst = 0;
    uintptr_t win_b = NM_BASE + 5 * m.cap;   /* a unit in another window */
    win_b -= (win_b & mask);                 /* ... its first one */
    size_t hb = jlp__nodemap_home(&m, node_at(win_b));
    const jlp_val *b[RUN];
    for (uint64_t k = 0; k < RUN; k++) probes_a += nm_insert(&m, node_at(NM_BASE + k), k);
    for (uint64_t k = 0; k < RUN; k++) {
        size_t h = jlp__nodemap_home(&m, node_at(NM_BASE + k));
        b[k] = node_at(win_b + ((h - hb) & mask));
        CHECK_INT(jlp__nodemap_home(&m, b[k]), h);
        size_t pr = nm_insert(&m, b[k], RUN + k);
        probes_b += pr;
        if (pr > worst) worst = pr;
    }
    CHECK_INT(m.cap, 1 << 12);
    CHECK_INT(probes_a, RUN);
    CHECK(probes_b <= 3 * RUN);
    CHECK(worst <= 16);
    for (uint64_t k = 0; k < RUN; k++) {
        size_t pr;
        CHECK_INT(nm_find(&m, node_at(NM_BASE + k), &pr), (long long)k);
        CHECK_INT(pr, 1);   /* the first run kept its homes */
        CHECK_INT(nm_find(&m, b[k], &pr), (long long)(RUN + k));
    }
    free(m.e);
}

/* Growth from 256 slots to 2^18 through ten rehashes, with three interleaved runs as a
 * loaded document has them (nodes, strings between nodes, a chunk one span of the final
 * table away): every entry is found with its index, and each run stays in order. */
TEST(nodemap_growth_keeps_entries_and_order) {
    enum { N = 100000 };
    jlp__nodemap m = nm_new(256);
    uintptr_t run[3] = {NM_BASE, NM_BASE + 7 * N, NM_BASE + ((size_t)1 << 18)};
    size_t stride[3] = {1, 2, 1};   /* in units */
    for (uint64_t k = 0; k < N; k++) nm_insert(&m, node_at(run[k % 3] + (k / 3) * stride[k % 3]), k);
    CHECK_INT(m.cap, (size_t)1 << 18);
    CHECK_INT(m.n, N);
    size_t probes = 0, found = 0, breaks = 0;
    for (uint64_t k = 0; k < N; k++) {
        size_t pr;
        found += nm_find(&m, node_at(run[k % 3] + (k / 3) * stride[k % 3]), &pr) == (long long)k;
        probes += pr;
    }
    CHECK_INT(found, N);
    CHECK(probes <= N * 5 / 4);
    /* consecutive nodes of the first run: consecutive homes but at a window's edge */
    for (uint64_t k = 1; k < N / 3; k++)
        breaks += jlp__nodemap_home(&m, node_at(NM_BASE + k)) !=
                  ((jlp__nodemap_home(&m, node_at(NM_BASE + k - 1)) + 1) & (m.cap - 1));
    CHECK(breaks <= 1);
    size_t unused;
    CHECK_INT(nm_find(&m, node_at(NM_BASE + N), &unused), -1);
    CHECK(unit_of(node_at(NM_BASE)) == NM_BASE);
    free(m.e);
}
