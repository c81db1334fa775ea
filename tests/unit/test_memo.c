/*
 * test_memo.c - the unpickler's memo (libjlpickle/pickle/memo.c): sequential keys in
 * the dense array, a huge key (the "memo index bomb") in the hash table without growing
 * the array, replacement, many sparse keys through rehashing, sparse entries moved into
 * the array when it grows over them, allocation failure, and release returning every
 * byte.
 */
#include "harness.h"

#include "../../libjlpickle/pickle/memo.h"

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
