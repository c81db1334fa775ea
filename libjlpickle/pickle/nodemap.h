/*
 * nodemap.h - the writer's memo of nodes: an open-addressed map from a node's address to
 * a memo index that keeps the document's allocation order.
 *
 * A node's home slot is its address in units of a node (JLP__NODE_UNIT bytes, no more
 * than sizeof(jlp_val), so two nodes never share a unit): the nodes of one item,
 * allocated together, have neighbouring slots, and a dump, which walks the document in
 * about the order it was built, goes through the table nearly in order. A cache line of
 * the table then serves four nodes and the hardware prefetcher follows the stream, where
 * a mixed hash missed the cache once per value as soon as the table outgrew the caches
 * (CPython's pickler does the same: its memo keys an object by its address).
 *
 * Two guards keep aliasing from clustering:
 *   - each window of the address space as large as the table's span (cap units) is
 *     turned by its own mixed offset, so arena chunks a multiple of the span apart do not
 *     land on the same slots;
 *   - a collision continues on a step perturbed by the address (as CPython's dict and
 *     memo probe), not in the next slot, so two dense runs of nodes that do meet cost
 *     about one probe more per node where they overlap, instead of growing one cluster
 *     that every later probe of either run has to cross.
 *
 * The map never holds more than half its capacity (its owner grows it first), so a probe
 * always ends. Nothing is ever removed.
 */
#ifndef JLP_NODEMAP_H
#define JLP_NODEMAP_H

#include "../common/common.h"

#include <stdint.h>

#define JLP__NODE_SHIFT 5
#define JLP__NODE_UNIT ((size_t)1 << JLP__NODE_SHIFT)
#define JLP__NODEMAP_PERTURB_SHIFT 5

typedef struct jlp__nodemap_ent {
    const jlp_val *key;     /* NULL: empty slot */
    uint64_t idx;
} jlp__nodemap_ent;

typedef struct jlp__nodemap {
    jlp__nodemap_ent *e;
    size_t cap, n;          /* cap: 0 or a power of two */
    unsigned bits;          /* cap == 1 << bits */
} jlp__nodemap;

/** The home slot of node p in m (m->cap > 0). */
static inline size_t jlp__nodemap_home(const jlp__nodemap *m, const void *p) {
    uintptr_t a = (uintptr_t)p >> JLP__NODE_SHIFT;
    uint64_t turn = (uint64_t)(a >> m->bits) * 0x9E3779B97F4A7C15ull >> 32;
    return (size_t)(a + turn) & (m->cap - 1);
}

/** The slot of p in m (m->cap > 0, at least one slot empty): the one holding p, else the
 * empty slot where p belongs. `probes`, when not NULL, is set to the slots looked at. */
static inline size_t jlp__nodemap_slot(const jlp__nodemap *m, const void *p, size_t *probes) {
    size_t i = jlp__nodemap_home(m, p), mask = m->cap - 1, k = 1;
    for (uintptr_t perturb = (uintptr_t)p >> JLP__NODE_SHIFT; m->e[i].key && m->e[i].key != p;
         perturb >>= JLP__NODEMAP_PERTURB_SHIFT, k++)
        i = (i * 5 + perturb + 1) & mask;
    if (probes) *probes = k;
    return i;
}

/** An empty map of `cap` slots (a power of two) in the zeroed array e. */
static inline jlp__nodemap jlp__nodemap_empty(jlp__nodemap_ent *e, size_t cap) {
    jlp__nodemap m = {e, cap, 0, 0};
    while (((size_t)1 << m.bits) < cap) m.bits++;
    return m;
}

/** Put every entry of `from` into `to` (empty, more than twice from->n slots). */
static inline void jlp__nodemap_rehash(const jlp__nodemap *from, jlp__nodemap *to) {
    for (size_t i = 0; i < from->cap; i++)
        if (from->e[i].key) to->e[jlp__nodemap_slot(to, from->e[i].key, NULL)] = from->e[i];
    to->n += from->n;
}

#endif
