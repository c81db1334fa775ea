/*
 * seq.c - sequences read alike: jlp_len, jlp_item and jlp_iter over tuples, lists, sets,
 * frozensets, dicts and object-dtype arrays (their elements in C order), so a list of
 * estimators and an object array of them need one code path.
 */
#include "numpy.h"

static bool is_seq(const jlp_val *v) {
    return v && (v->type == JLP_TUPLE || v->type == JLP_LIST || v->type == JLP_SET ||
                 v->type == JLP_FROZENSET);
}

/* The elements of an object array (a JLP_LIST in C order), or NULL. */
static const jlp_val *objects_of(const jlp_val *v) {
    return v && v->type == JLP_NDARRAY ? jlp__arr(v)->objects : NULL;
}

size_t jlp_len(const jlp_val *v) {
    if (is_seq(v) || (v && v->type == JLP_DICT)) return v->u.seq.n;
    const jlp_val *o = objects_of(v);
    return o ? o->u.seq.n : 0;
}

jlp_val *jlp_item(const jlp_val *v, size_t i) {
    if (!is_seq(v)) v = objects_of(v);
    return v && i < v->u.seq.n ? v->u.seq.v[i] : NULL;
}

jlp_iter jlp_iter_make(const jlp_val *v) {
    jlp_iter it = {v, 0};
    return it;
}

jlp_val *jlp_iter_next(jlp_iter *it) {
    if (!it || !it->v) return NULL;
    if (it->v->type == JLP_DICT) {
        if (it->i >= it->v->u.seq.n) return NULL;
        return it->v->u.seq.v[2 * it->i++];
    }
    const jlp_val *s = is_seq(it->v) ? it->v : objects_of(it->v);
    if (!s || it->i >= s->u.seq.n) return NULL;
    return s->u.seq.v[it->i++];
}

jlp_val *jlp_iter_value(const jlp_iter *it) {
    if (!it || !it->v || it->v->type != JLP_DICT || it->i == 0 || it->i > it->v->u.seq.n)
        return NULL;
    return it->v->u.seq.v[2 * (it->i - 1) + 1];
}
