/*
 * walk.c - one visit of every node reachable from a value, iterative and cycle-aware
 * (a pointer set of the nodes seen), for the passes the archive layer makes over a
 * loaded document: resolving a checkpoint's storages and tensors, moving array offsets.
 */
#include "archive.h"

#include "../numpy/numpy.h"

/* A set of node pointers, open addressing, at most half full. */
typedef struct ptrset {
    const jlp_alc *alc;
    const void **slot;
    size_t cap, n;
} ptrset;

static size_t ptr_hash(const void *p, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

/* @return 1 when added, 0 when present, -1 on allocation failure. */
static int ptrset_add(ptrset *s, const void *p) {
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        const void **slot = jlp__malloc(s->alc, cap * sizeof *slot);
        if (!slot) return -1;
        memset(slot, 0, cap * sizeof *slot);
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i]) continue;
            size_t j = ptr_hash(s->slot[i], cap);
            while (slot[j]) j = (j + 1) & (cap - 1);
            slot[j] = s->slot[i];
        }
        jlp__free(s->alc, s->slot, s->cap * sizeof *s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    size_t j = ptr_hash(p, s->cap);
    while (s->slot[j]) {
        if (s->slot[j] == p) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->slot[j] = p;
    s->n++;
    return 1;
}

bool jlp__nodes_push(jlp__nodes *a, jlp_val *x) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        jlp_val **v = jlp__realloc(a->alc, a->v, a->cap * sizeof *v, cap * sizeof *v);
        if (!v) return false;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return true;
}

void jlp__nodes_release(jlp__nodes *a) {
    jlp__free(a->alc, a->v, a->cap * sizeof *a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

jlp_code jlp__walk(jlp_val *root, const jlp_alc *alc, jlp_code (*visit)(void *ctx, jlp_val *v), void *ctx) {
    ptrset seen = {alc, NULL, 0, 0};
    jlp__nodes todo = {alc, NULL, 0, 0};
    jlp_code r = JLP_OK;
    if (root && !jlp__nodes_push(&todo, root)) r = JLP_E_NOMEM;
    while (!r && todo.n) {
        jlp_val *v = todo.v[--todo.n];
        int added = ptrset_add(&seen, v);
        if (added < 0) { r = JLP_E_NOMEM; break; }
        if (!added) continue;
        r = visit(ctx, v);
        if (r) break;
        jlp_val *kids[6] = {NULL};
        size_t nk = 0;
        switch (jlp_get_type(v)) {
        case JLP_TUPLE: case JLP_LIST: case JLP_SET: case JLP_FROZENSET:
            for (size_t i = 0; i < v->u.seq.n && !r; i++)
                if (!jlp__nodes_push(&todo, v->u.seq.v[i])) r = JLP_E_NOMEM;
            break;
        case JLP_DICT:
            for (size_t i = 0; i < 2 * v->u.seq.n && !r; i++)
                if (!jlp__nodes_push(&todo, v->u.seq.v[i])) r = JLP_E_NOMEM;
            break;
        case JLP_OBJECT:
            kids[nk++] = jlp_obj_callable(v);
            kids[nk++] = jlp_obj_args(v);
            kids[nk++] = jlp_obj_kwargs(v);
            kids[nk++] = jlp_obj_state(v);
            kids[nk++] = jlp_obj_items(v);
            kids[nk++] = jlp_obj_dictitems(v);
            break;
        case JLP_PERSID:
            kids[nk++] = jlp_persid_value(v);
            break;
        case JLP_NDARRAY:
            kids[nk++] = jlp__arr(v)->objects;
            break;
        case JLP_SCALAR:
            kids[nk++] = jlp__sc(v)->object;
            break;
        default:
            break;
        }
        for (size_t i = 0; i < nk && !r; i++)
            if (kids[i] && !jlp__nodes_push(&todo, kids[i])) r = JLP_E_NOMEM;
    }
    jlp__free(alc, seen.slot, seen.cap * sizeof *seen.slot);
    jlp__nodes_release(&todo);
    return r;
}
