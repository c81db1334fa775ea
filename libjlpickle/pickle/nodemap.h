/*
 * nodemap.h - the writer's memo of nodes: an open-addressed map from a node's address to
 * a memo index that keeps the document's allocation order.
 *
 * A node's home slot is its offset in its region of the address space (64 KiB, in units
 * of a node: JLP__NODE_UNIT bytes, no more than sizeof(jlp_val), so two nodes never
 * share a unit) plus the base of that region: the regions get consecutive bases in the
 * order the map first meets them. The nodes of one item, allocated together, have
 * neighbouring slots, and a dump, which walks the document in about the order it was
 * built, goes through the table nearly in order: a cache line of the table serves four
 * nodes and the hardware prefetcher follows the stream, where a mixed hash missed the
 * cache once per value as soon as the table outgrew the caches (CPython's pickler does
 * the same: its memo keys an object by its address).
 *
 * The regions are laid side by side in the table whatever their addresses, so the
 * nodes of arena chunks scattered in the address space do not meet in the table until
 * the regions together span more slots than the table has. (Before, each window of the
 * address space as large as the table was turned by its own mixed offset: the runs of
 * two chunks in different windows overlapped at random, and a list of short bytes or
 * strs took 1.1 to 1.4 probes per node, each extra one a cache miss.) A region's base
 * does not depend on the table's size, and the regions stay when the table grows.
 *
 * When the regions do wrap around (more of them than the table holds, or a small table:
 * every region takes JLP__REGION_UNITS slots however few of its units hold nodes), each
 * lap of the bases around the table is turned by its own mixed offset, so regions a lap
 * apart do not land on the same slots, and a collision continues on a step perturbed by
 * the address (as CPython's dict and memo probe), not in the next slot, so two dense
 * runs of nodes that meet cost about one probe more per node where they overlap, instead
 * of growing one cluster that every later probe of either run has to cross.
 *
 * The map never holds more than half its capacity, nor its region table (their owner
 * grows them first), so a probe always ends. Nothing is ever removed. A node whose
 * region the map has not met is not in it: lookups answer that without a probe, and an
 * insert first gives the region a base (jlp__nodemap_add_region).
 */
#ifndef JLP_NODEMAP_H
#define JLP_NODEMAP_H

#include "../common/common.h"

#include <stdint.h>
#include <string.h>

#define JLP__NODE_SHIFT 5
#define JLP__NODE_UNIT ((size_t)1 << JLP__NODE_SHIFT)
#define JLP__NODEMAP_PERTURB_SHIFT 5
#define JLP__REGION_SHIFT 16
/* the units of one region: the span of slots it takes */
#define JLP__REGION_UNITS ((size_t)1 << (JLP__REGION_SHIFT - JLP__NODE_SHIFT))
/* no slot: a node whose region the map has not met */
#define JLP__NODEMAP_NONE SIZE_MAX

typedef struct jlp__nodemap_ent {
    const jlp_val *key;     /* NULL: empty slot */
    uint64_t idx;
} jlp__nodemap_ent;

typedef struct jlp__nodemap_region {
    uintptr_t id;           /* address >> JLP__REGION_SHIFT, plus 1; 0: empty */
    size_t base;            /* the slot (before masking) of the region's first unit */
} jlp__nodemap_region;

/* A region's first slot (its base turned for its lap, before masking), kept for the
 * next nodes of the region: most lookups go to one of a few regions in a row (a row's
 * nodes, and the shared values it refers to), and then skip the region table. */
typedef struct jlp__nodemap_hot {
    uintptr_t id;           /* as jlp__nodemap_region.id; 0: empty */
    size_t start;
} jlp__nodemap_hot;
#define JLP__NODEMAP_HOT 8  /* a power of two */

typedef struct jlp__nodemap {
    jlp__nodemap_ent *e;
    size_t cap, n;          /* cap: 0 or a power of two */
    unsigned bits;          /* cap == 1 << bits */
    jlp__nodemap_region *r; /* the regions met: open-addressed by id, at most half full */
    size_t rcap, rn;        /* rcap: 0 or a power of two */
    size_t next_base;       /* the base of the next region met */
    jlp__nodemap_hot hot[JLP__NODEMAP_HOT];   /* by id: regions met lately */
} jlp__nodemap;

static inline size_t jlp__nodemap_rslot(uintptr_t id, size_t rcap) {
    return (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ull >> 40) & (rcap - 1);
}

/** The base of p's region, or JLP__NODEMAP_NONE when m has not met it. */
static inline size_t jlp__nodemap_base(const jlp__nodemap *m, const void *p) {
    if (!m->rcap) return JLP__NODEMAP_NONE;
    uintptr_t id = ((uintptr_t)p >> JLP__REGION_SHIFT) + 1;
    for (size_t i = jlp__nodemap_rslot(id, m->rcap);; i = (i + 1) & (m->rcap - 1)) {
        if (m->r[i].id == id) return m->r[i].base;
        if (!m->r[i].id) return JLP__NODEMAP_NONE;
    }
}

/** The home slot of node p in m (m->cap > 0), or JLP__NODEMAP_NONE when m has not met
 * its region. Remembers p's region in m->hot (the only change it makes to m). */
static inline size_t jlp__nodemap_home(jlp__nodemap *m, const void *p) {
    uintptr_t id = ((uintptr_t)p >> JLP__REGION_SHIFT) + 1;
    jlp__nodemap_hot *h = &m->hot[id & (JLP__NODEMAP_HOT - 1)];
    if (JLP_UNLIKELY(h->id != id)) {
        size_t base = jlp__nodemap_base(m, p);
        if (base == JLP__NODEMAP_NONE) return base;   /* not kept: the region may come */
        /* each lap of the bases around the table is turned by its own mixed offset
         * (the first by none) */
        uint64_t turn = (uint64_t)(base >> m->bits) * 0x9E3779B97F4A7C15ull >> 32;
        h->id = id;
        h->start = (size_t)(base + turn);
    }
    return (h->start + (((uintptr_t)p >> JLP__NODE_SHIFT) & (JLP__REGION_UNITS - 1))) & (m->cap - 1);
}

/** The slot of p in m (m->cap > 0, at least one slot empty): the one holding p, else the
 * empty slot where p belongs; JLP__NODEMAP_NONE when m has not met p's region (p is not
 * in m). `probes`, when not NULL, is set to the slots looked at (0 for NONE). */
static inline size_t jlp__nodemap_slot(jlp__nodemap *m, const void *p, size_t *probes) {
    size_t i = jlp__nodemap_home(m, p), mask = m->cap - 1, k = 1;
    if (i == JLP__NODEMAP_NONE) {
        if (probes) *probes = 0;
        return i;
    }
    for (uintptr_t perturb = (uintptr_t)p >> JLP__NODE_SHIFT; m->e[i].key && m->e[i].key != p;
         perturb >>= JLP__NODEMAP_PERTURB_SHIFT, k++)
        i = (i * 5 + perturb + 1) & mask;
    if (probes) *probes = k;
    return i;
}

/** Give p's region a base, the next one, unless m has met it: then jlp__nodemap_slot()
 * finds a slot for p. The region table grows with `alc`. @return false when out of
 * memory (m unchanged). */
static inline bool jlp__nodemap_add_region(jlp__nodemap *m, const jlp_alc *alc, const void *p) {
    if (jlp__nodemap_base(m, p) != JLP__NODEMAP_NONE) return true;
    if ((m->rn + 1) * 2 > m->rcap) {
        size_t cap = m->rcap ? m->rcap * 2 : 64;
        jlp__nodemap_region *r = jlp__malloc(alc, cap * sizeof *r);
        if (!r) return false;
        memset(r, 0, cap * sizeof *r);
        for (size_t i = 0; i < m->rcap; i++) {
            if (!m->r[i].id) continue;
            size_t j = jlp__nodemap_rslot(m->r[i].id, cap);
            while (r[j].id) j = (j + 1) & (cap - 1);
            r[j] = m->r[i];
        }
        if (m->r) jlp__free(alc, m->r, m->rcap * sizeof *m->r);
        m->r = r;
        m->rcap = cap;
    }
    uintptr_t id = ((uintptr_t)p >> JLP__REGION_SHIFT) + 1;
    size_t i = jlp__nodemap_rslot(id, m->rcap);
    while (m->r[i].id) i = (i + 1) & (m->rcap - 1);
    m->r[i].id = id;
    m->r[i].base = m->next_base;
    m->next_base += JLP__REGION_UNITS;
    m->rn++;
    return true;
}

/** Free m's region table (allocated with `alc`); the entries are the owner's. */
static inline void jlp__nodemap_free_regions(jlp__nodemap *m, const jlp_alc *alc) {
    if (m->r) jlp__free(alc, m->r, m->rcap * sizeof *m->r);
    m->r = NULL;
    m->rcap = m->rn = 0;
    m->next_base = 0;
    memset(m->hot, 0, sizeof m->hot);
}

/** An empty map of `cap` slots (a power of two) in the zeroed array e, without regions. */
static inline jlp__nodemap jlp__nodemap_empty(jlp__nodemap_ent *e, size_t cap) {
    jlp__nodemap m = {e, cap, 0, 0, NULL, 0, 0, 0, {{0, 0}}};
    while (((size_t)1 << m.bits) < cap) m.bits++;
    return m;
}

/** Move every entry of `from` into `to` (empty, more than twice from->n slots), and
 * `from`'s regions with them: `to` owns them afterwards, `from` has none. */
static inline void jlp__nodemap_rehash(jlp__nodemap *from, jlp__nodemap *to) {
    to->r = from->r;
    to->rcap = from->rcap;
    to->rn = from->rn;
    to->next_base = from->next_base;
    from->r = NULL;
    from->rcap = from->rn = 0;
    memset(from->hot, 0, sizeof from->hot);
    for (size_t i = 0; i < from->cap; i++)
        if (from->e[i].key) to->e[jlp__nodemap_slot(to, from->e[i].key, NULL)] = from->e[i];
    to->n += from->n;
}

#endif
