/*
 * test_memo.c - the unpickler's memo (libjlpickle/pickle/memo.c): sequential keys in
 * the dense array, a huge key (the "memo index bomb") in the hash table without growing
 * the array, replacement, many sparse keys through rehashing, sparse entries moved into
 * the array when it grows over them, allocation failure, and release returning every
 * byte. The writer's memo of nodes (libjlpickle/pickle/nodemap.h): nodes allocated
 * together in neighbouring slots, regions far apart laid side by side, laps of the
 * regions around the table turned apart, colliding runs without clusters, growth keeping
 * every entry and the order, the region table's allocation failure.
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

static void nm_free(jlp__nodemap *m) {
    free(m->e);
    jlp__nodemap_free_regions(m, &alc);
}

/* Insert p (absent) with index idx, growing as the writer does (at most half full; its
 * region given a base first); @return the slots looked at. */
static size_t nm_insert(jlp__nodemap *m, const jlp_val *p, uint64_t idx) {
    if ((m->n + 1) * 2 > m->cap) {
        jlp__nodemap to = nm_new(m->cap * 2);
        jlp__nodemap_rehash(m, &to);
        free(m->e);
        *m = to;
    }
    if (!jlp__nodemap_add_region(m, &alc, p)) abort();
    size_t probes, i = jlp__nodemap_slot(m, p, &probes);
    if (m->e[i].key) TH_FAIL("node %p is already in the map", (const void *)p);
    m->e[i].key = p;
    m->e[i].idx = idx;
    m->n++;
    return probes;
}

/* The index of p, or -1 when absent; *probes: the slots looked at. */
static long long nm_find(jlp__nodemap *m, const jlp_val *p, size_t *probes) {
    size_t i = jlp__nodemap_slot(m, p, probes);
    return i != JLP__NODEMAP_NONE && m->e[i].key ? (long long)m->e[i].idx : -1;
}

/* Units of the address space of a 64-bit process's heap and of a second mapping. */
#define NM_BASE ((uintptr_t)0x5581a3c40000 >> JLP__NODE_SHIFT)

TEST(nodemap_allocation_order_is_table_order) {
    jlp__nodemap m = nm_new(1 << 12);
    size_t probes0;
    CHECK_INT(jlp__nodemap_home(&m, node_at(NM_BASE)), JLP__NODEMAP_NONE);   /* no region met */
    CHECK_INT(nm_find(&m, node_at(NM_BASE), &probes0), -1);
    CHECK_INT(probes0, 0);
    size_t mask = m.cap - 1, h0 = 0, extra = 0;
    /* 2,000 nodes 48 bytes apart (a node and a short string's bytes, as a list of strs
     * is allocated), over two regions: the nodes a unit or two apart have slots a unit or
     * two apart, across the regions' border too */
    for (uint64_t k = 0; k < 2000; k++) {
        uintptr_t u = NM_BASE + (k * 48) / JLP__NODE_UNIT;
        extra += nm_insert(&m, node_at(u), k) - 1;
        if (!k) h0 = jlp__nodemap_home(&m, node_at(NM_BASE));
        CHECK_INT(jlp__nodemap_home(&m, node_at(u)), (h0 + (u - NM_BASE)) & mask);
    }
    CHECK_INT(m.rn, 2);
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
    nm_free(&m);
}

/* Arena chunks a multiple of the table's span apart, each in a region of its own: the
 * regions' bases go twice around the table, and without the turn of each lap the runs
 * of every other region would have the same slots. */
TEST(nodemap_aliasing_windows_are_turned_apart) {
    enum { RUNS = 8, RUN = 256 };
    jlp__nodemap m = nm_new(1 << 12);
    static char seen[1 << 12];
    memset(seen, 0, sizeof seen);
    size_t homes = 0, probes = 0;
    for (uint64_t r = 0; r < RUNS; r++)
        for (uint64_t k = 0; k < RUN; k++) {
            const jlp_val *p = node_at(NM_BASE + r * m.cap + k);
            probes += nm_insert(&m, p, r * RUN + k);
            size_t h = jlp__nodemap_home(&m, p);
            homes += !seen[h];
            seen[h] = 1;
        }
    CHECK_INT(m.cap, 1 << 12);
    CHECK_INT(m.rn, RUNS);
    CHECK(homes >= RUNS * RUN * 3 / 4);      /* 512 without the turn */
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
    nm_free(&m);
}

/* Two dense runs whose nodes have exactly the same home slots (a table of one region's
 * span, where every region covers all slots: the second run's nodes picked for it, as
 * an unlucky pair of chunks would have them): the second run steps away from the first
 * rather than piling up behind it (linear probing: about RUN * RUN / 2 probes). */
TEST(nodemap_colliding_runs_do_not_cluster) {
    enum { RUN = 512 };
    jlp__nodemap m = nm_new(JLP__REGION_UNITS);
    size_t probes_a = 0, probes_b = 0, worst = 0;
    uintptr_t reg_b = NM_BASE + 5 * JLP__REGION_UNITS;   /* the first unit of another region */
    const jlp_val *b[RUN];
    for (uint64_t k = 0; k < RUN; k++) probes_a += nm_insert(&m, node_at(NM_BASE + k), k);
    CHECK(jlp__nodemap_add_region(&m, &alc, node_at(reg_b)));
    size_t hb = jlp__nodemap_home(&m, node_at(reg_b));
    for (uint64_t k = 0; k < RUN; k++) {
        size_t h = jlp__nodemap_home(&m, node_at(NM_BASE + k));
        b[k] = node_at(reg_b + ((h - hb) & (JLP__REGION_UNITS - 1)));
        CHECK_INT(jlp__nodemap_home(&m, b[k]), h);
        size_t pr = nm_insert(&m, b[k], RUN + k);
        probes_b += pr;
        if (pr > worst) worst = pr;
    }
    CHECK_INT(m.cap, JLP__REGION_UNITS);
    CHECK_INT(probes_a, RUN);
    CHECK(probes_b <= 3 * RUN);
    CHECK(worst <= 16);
    for (uint64_t k = 0; k < RUN; k++) {
        size_t pr;
        CHECK_INT(nm_find(&m, node_at(NM_BASE + k), &pr), (long long)k);
        CHECK_INT(pr, 1);   /* the first run kept its homes */
        CHECK_INT(nm_find(&m, b[k], &pr), (long long)(RUN + k));
    }
    nm_free(&m);
}

/* Regions met one after another get consecutive bases, wherever they are: chunks far
 * apart in the address space (each a few regions long), their nodes met in allocation
 * order, take consecutive slots with no collision, where windows of the address space
 * turned at random overlapped (a list of short bytes took 1.1 probes per node, strs in
 * pairs 1.4). */
TEST(nodemap_scattered_chunks_side_by_side) {
    enum { CHUNKS = 6, PER = 3000 };
    jlp__nodemap m = nm_new((size_t)1 << 16);
    const uintptr_t at[CHUNKS] = {NM_BASE, NM_BASE + 977 * JLP__REGION_UNITS, NM_BASE - 4242 * JLP__REGION_UNITS,
                                  NM_BASE + 31 * ((size_t)1 << 15), NM_BASE + 5 * JLP__REGION_UNITS,
                                  NM_BASE + 123457 * JLP__REGION_UNITS};
    size_t probes = 0, breaks = 0, prev = 0;
    for (uint64_t c = 0; c < CHUNKS; c++)
        for (uint64_t k = 0; k < PER; k++) {
            /* a node and 16 bytes of data: 48 bytes */
            const jlp_val *p = node_at(at[c] + (k * 48) / JLP__NODE_UNIT);
            probes += nm_insert(&m, p, c * PER + k);
            size_t h = jlp__nodemap_home(&m, p);
            if (c + k && h != prev + 1 && h != prev + 2) breaks++;
            prev = h;
        }
    CHECK_INT(m.cap, (size_t)1 << 16);
    CHECK_INT(probes, CHUNKS * PER);   /* one probe each */
    CHECK_INT(m.rn, CHUNKS * 3);       /* 4,500 units: three regions each */
    /* a chunk's last region is partly used: its slots end early, once per chunk */
    CHECK(breaks <= CHUNKS - 1);
    nm_free(&m);
}

/* Growth from 256 slots to 2^18 through ten rehashes, with three interleaved runs as a
 * loaded document has them (nodes, strings between nodes, a chunk one span of the final
 * table away): every entry is found with its index, and each run stays in order within
 * each of its regions (the runs' regions are met in turn, so the next region of a run
 * does not follow its last one in the table: a break per region). */
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
    /* consecutive nodes of the first run: consecutive homes but at its regions' edges */
    size_t edges = 0;
    for (uint64_t k = 1; k < N / 3; k++) {
        breaks += jlp__nodemap_home(&m, node_at(NM_BASE + k)) !=
                  ((jlp__nodemap_home(&m, node_at(NM_BASE + k - 1)) + 1) & (m.cap - 1));
        edges += ((NM_BASE + k) & (JLP__REGION_UNITS - 1)) == 0;
    }
    CHECK(edges >= 16);
    CHECK(breaks <= edges);
    size_t unused;
    CHECK_INT(nm_find(&m, node_at(NM_BASE + N), &unused), -1);
    CHECK(unit_of(node_at(NM_BASE)) == NM_BASE);
    nm_free(&m);
}

/* The region table cannot grow: the insert is refused and the map is as it was; the
 * regions' memory is all returned. */
TEST(nodemap_region_allocation_failure) {
    long long live0 = live;
    jlp__nodemap m = nm_new(256);
    nm_insert(&m, node_at(NM_BASE), 0);
    CHECK_INT(m.rcap, 64);
    for (uint64_t r = 1; r < 32; r++) nm_insert(&m, node_at(NM_BASE + r * JLP__REGION_UNITS), r);
    CHECK_INT(m.rn, 32);                 /* the table is half full */
    fail_after = 0;
    CHECK(!jlp__nodemap_add_region(&m, &alc, node_at(NM_BASE + 99 * JLP__REGION_UNITS)));
    CHECK(jlp__nodemap_add_region(&m, &alc, node_at(NM_BASE + 7 * JLP__REGION_UNITS)));  /* met already */
    fail_after = -1;
    CHECK_INT(m.rn, 32);
    CHECK_INT(m.rcap, 64);
    size_t probes;
    CHECK_INT(nm_find(&m, node_at(NM_BASE + 99 * JLP__REGION_UNITS), &probes), -1);
    for (uint64_t r = 0; r < 32; r++) CHECK_INT(nm_find(&m, node_at(NM_BASE + r * JLP__REGION_UNITS), &probes), (long long)r);
    CHECK(jlp__nodemap_add_region(&m, &alc, node_at(NM_BASE + 99 * JLP__REGION_UNITS)));
    CHECK_INT(m.rcap, 128);
    nm_free(&m);
    CHECK_INT(live, live0);
}
