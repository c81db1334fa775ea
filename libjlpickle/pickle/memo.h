/*
 * memo.h - the unpickler memo: a map from uint64 keys to values. Python writes keys
 * 0, 1, 2, ... so a dense array serves almost every lookup; a key far beyond the number
 * of entries (LONG_BINPUT 0x7fffffff, the "memo index bomb") goes to a small hash table
 * instead, so a huge index costs nothing.
 */
#ifndef JLP_MEMO_H
#define JLP_MEMO_H

#include "../common/common.h"

typedef struct jlp__memo {
    const jlp_alc *alc;
    jlp_val **dense;
    size_t dense_cap;
    uint64_t *keys;      /* sparse table, open addressing; slot empty when vals[i]==NULL */
    jlp_val **vals;
    size_t sparse_cap, sparse_n;
    uint64_t count;      /* distinct keys stored */
} jlp__memo;

void jlp__memo_init(jlp__memo *m, const jlp_alc *alc);
void jlp__memo_release(jlp__memo *m);
/** Store v (non-NULL) under key. @return false on allocation failure. */
bool jlp__memo_put(jlp__memo *m, uint64_t key, jlp_val *v);
/** jlp__memo_put with the common case inline: the next key of the dense array. */
static inline bool jlp__memo_put_inline(jlp__memo *m, uint64_t key, jlp_val *v) {
    if (JLP_LIKELY(key < m->dense_cap && !m->dense[key])) {
        m->dense[key] = v;
        m->count++;
        return true;
    }
    return jlp__memo_put(m, key, v);
}
/** @return the value under key, or NULL. */
jlp_val *jlp__memo_sparse_lookup(const jlp__memo *m, uint64_t key);
static inline jlp_val *jlp__memo_get(const jlp__memo *m, uint64_t key) {
    if (JLP_LIKELY(key < m->dense_cap)) return m->dense[key];
    return m->sparse_n ? jlp__memo_sparse_lookup(m, key) : NULL;
}

#endif
