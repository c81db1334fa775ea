/* memo.c - dense-array-plus-hash memo (see memo.h). */
#include "memo.h"

/* The dense array grows to cover a new key only while the key is below
 * DENSE_SLACK + 2 * entries: sequential keys always qualify, a lone huge key never does. */
#define DENSE_SLACK 1024u

void jlp__memo_init(jlp__memo *m, const jlp_alc *alc) {
    memset(m, 0, sizeof *m);
    m->alc = alc;
}

void jlp__memo_release(jlp__memo *m) {
    jlp__free(m->alc, m->dense, m->dense_cap * sizeof *m->dense);
    jlp__free(m->alc, m->keys, m->sparse_cap * sizeof *m->keys);
    jlp__free(m->alc, m->vals, m->sparse_cap * sizeof *m->vals);
    memset(m, 0, sizeof *m);
}

static size_t slot_of(uint64_t key, size_t cap) {
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

jlp_val *jlp__memo_sparse_lookup(const jlp__memo *m, uint64_t key) {
    if (!m->sparse_cap) return NULL;
    for (size_t i = slot_of(key, m->sparse_cap);; i = (i + 1) & (m->sparse_cap - 1)) {
        if (!m->vals[i]) return NULL;
        if (m->keys[i] == key) return m->vals[i];
    }
}

/* Insert or replace in the sparse table. @return 1 new, 0 replaced, -1 no memory. */
static int sparse_put(jlp__memo *m, uint64_t key, jlp_val *v) {
    if ((m->sparse_n + 1) * 2 > m->sparse_cap) {
        size_t cap = m->sparse_cap ? m->sparse_cap * 2 : 16;
        uint64_t *k = jlp__malloc(m->alc, cap * sizeof *k);
        jlp_val **vv = jlp__malloc(m->alc, cap * sizeof *vv);
        if (!k || !vv) {
            jlp__free(m->alc, k, cap * sizeof *k);
            jlp__free(m->alc, vv, cap * sizeof *vv);
            return -1;
        }
        memset(vv, 0, cap * sizeof *vv);
        for (size_t i = 0; i < m->sparse_cap; i++) {
            if (!m->vals[i]) continue;
            size_t j = slot_of(m->keys[i], cap);
            while (vv[j]) j = (j + 1) & (cap - 1);
            k[j] = m->keys[i];
            vv[j] = m->vals[i];
        }
        jlp__free(m->alc, m->keys, m->sparse_cap * sizeof *m->keys);
        jlp__free(m->alc, m->vals, m->sparse_cap * sizeof *m->vals);
        m->keys = k;
        m->vals = vv;
        m->sparse_cap = cap;
    }
    size_t i = slot_of(key, m->sparse_cap);
    while (m->vals[i] && m->keys[i] != key) i = (i + 1) & (m->sparse_cap - 1);
    int fresh = m->vals[i] == NULL;
    m->keys[i] = key;
    m->vals[i] = v;
    m->sparse_n += (size_t)fresh;
    return fresh;
}

/* Move sparse entries that the grown dense array now covers. The table is rebuilt
 * without them; entries are few, so the rebuild is cheap. */
static bool migrate(jlp__memo *m) {
    if (!m->sparse_n) return true;
    size_t cap = m->sparse_cap;
    uint64_t *keys = m->keys;
    jlp_val **vals = m->vals;
    m->keys = NULL;
    m->vals = NULL;
    m->sparse_cap = m->sparse_n = 0;
    bool ok = true;
    for (size_t i = 0; i < cap; i++) {
        if (!vals[i]) continue;
        if (keys[i] < m->dense_cap) m->dense[keys[i]] = vals[i];
        else if (sparse_put(m, keys[i], vals[i]) < 0) ok = false;
    }
    jlp__free(m->alc, keys, cap * sizeof *keys);
    jlp__free(m->alc, vals, cap * sizeof *vals);
    return ok;
}

bool jlp__memo_put(jlp__memo *m, uint64_t key, jlp_val *v) {
    if (key >= m->dense_cap && key < DENSE_SLACK + 2 * m->count) {
        size_t cap = m->dense_cap ? m->dense_cap : 64;
        while (cap <= key) cap *= 2;
        jlp_val **d = jlp__realloc(m->alc, m->dense, m->dense_cap * sizeof *d, cap * sizeof *d);
        if (!d) return false;
        memset(d + m->dense_cap, 0, (cap - m->dense_cap) * sizeof *d);
        m->dense = d;
        m->dense_cap = cap;
        if (!migrate(m)) return false;
    }
    if (key < m->dense_cap) {
        m->count += m->dense[key] == NULL;
        m->dense[key] = v;
        return true;
    }
    int r = sparse_put(m, key, v);
    if (r < 0) return false;
    m->count += (uint64_t)r;
    return true;
}
