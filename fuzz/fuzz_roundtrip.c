/*
 * fuzz_roundtrip.c - libFuzzer target: build a value graph with the builder API, dump
 * it, load it back, compare.
 *
 * The input is a program. Its first six bytes choose the dump: protocol (0-5), array
 * format (joblib wrapper or numpy reduce), codec (none zlib gzip bz2 lzma xz lz4 zstd),
 * level (low ones, so no input is slow), worker threads, and whether the persistent ids
 * and extension codes of a base document are in reach. The rest is a sequence of
 * operations on a pool of at most 64 values: make a value of any builder type (None,
 * bool, int, bigint, float, complex, str with non-ASCII text and lone surrogates, bytes,
 * bytearray, tuple, list, dict, set, frozenset, global (nested qualnames too), object,
 * call, dtype (from a table or from the input's text), ndarray of several dtypes, shapes
 * and both orders, copied or borrowed, object array, numpy scalar), or mutate one (append
 * to a list or set, set dict items, set an object's state, items and dict items, replace
 * a list item), which makes shared references and cycles. The graph starts in a document
 * loaded from a small pickle holding persistent ids and extension codes (a loaded
 * document may be edited with the builder calls), and its root is a new list of every
 * pool value.
 *
 * Properties (abort on failure):
 *   - the dump succeeds, or fails with UNSUPPORTED (a form the protocol cannot express);
 *     dumping again gives identical bytes (or the same UNSUPPORTED), and jlp_dump_mem
 *     gives the same bytes as jlp_dump_cb;
 *   - the bytes load back (the container is the codec chosen), and when every form
 *     survives the protocol, the JSON export of the loaded root equals the original's.
 *     Below protocol 4 nested qualnames become getattr calls, as Python's pickler
 *     writes them; the comparison is skipped then (instances are copyreg.__newobj__
 *     calls below protocol 2, which load back as the same instances). The generator
 *     avoids sharing what is not memoized (the empty tuple; joblib-format arrays, each
 *     reference of which writes its own wrapper) and gives joblib object arrays fresh
 *     elements (they are written as a separate nested pickle with its own memo);
 *   - dumping the loaded graph again gives the first dump's bytes (when exact);
 *   - the writer's output stays proportional to the graph (a runaway writer is caught at
 *     1 MiB instead of eating memory); every allocation is returned.
 *
 *   - a graph that reaches a value again through values the writer memoizes only after
 *     their parts (a set below protocol 4, tuples, frozensets, an object's class and
 *     arguments), found here by presave_cycle(), is refused with CYCLE, and no other is.
 */
#define FZ_TARGET "fuzz_roundtrip"
#include "fuzz_common.h"

#define POOL_MAX 64
#define OPS_MAX 400
#define ARRAY_BYTES_MAX 2048
#define DUMP_CAP ((size_t)1 << 20)

/* The base document: [persid('pid'), persid(7), ext(5), ext(0x1234), ext(0x12345678)]. */
static const uint8_t base_pickle[] = {
    0x80, 0x02, '(', 'P', 'p', 'i', 'd', '\n', 'K', 0x07, 'Q', 0x82, 0x05, 0x83, 0x34, 0x12,
    0x84, 0x78, 0x56, 0x34, 0x12, 'l', '.'};

static const char *const codecs[8] = {"none", "zlib", "gzip", "bz2", "lzma", "xz", "lz4", "zstd"};

static const char *const globals_table[][2] = {
    {"fzmod", "Cls"},
    {"fzmod.sub", "func"},
    {"fzmod", "Outer.Inner"},
    {"fzmod", "Outer.Inner.Deepest"},
    {"builtins", "object"},
    {"builtins", "range"},
    {"builtins", "str"},
    {"collections", "deque"},
    {"io", "StringIO"},
    {"sklearn.linear_model._logistic", "LogisticRegression"},
    {"fzmod", "\xc3\xa9t\xc3\xa9"},
    {"__main__", "Thing"},
};
#define NGLOBALS (sizeof globals_table / sizeof globals_table[0])

static const char *const dtypes_table[] = {
    "<f8", ">i4", "|b1", "<u2", "<f4", ">f2", "<c16", "|S3", "<U2", "<i8", "|u1", ">c8", "<M8[ns]",
    "<m8[s]", "|V4", "[('a', '<i4'), ('b', '<f8', (2,))]", "[('x', '|S2'), ('y', '>u2')]", "float64", "bool",
    ">U1", "<m8", "|i1",
    /* fields that overlap or are out of order: numpy's dict form */
    "{'names': ['a', 'b'], 'formats': ['<i4', ('>i2', (2,))], 'offsets': [2, 0], 'titles': [None, 't'], 'itemsize': 6}",
    "[('x', '|u1'), ('y', {'names': ['p', 'q'], 'formats': ['<u2', '|S2'], 'offsets': [2, 0], 'itemsize': 4})]"};
#define NDTYPES (sizeof dtypes_table / sizeof dtypes_table[0])

static const char *const str_snippets[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\xa0\x80",
                                           "\xed\xbf\xbf", "\n", "\\", "\"", "\r", "\x7f", "~/", "$"};
#define NSNIPPETS (sizeof str_snippets / sizeof str_snippets[0])

typedef struct entry {
    jlp_val *v;
    int single;   /* may have one parent only (not memoized by the writer) */
    int used;
} entry;

typedef struct gen {
    fz_reader r;
    jlp_doc *doc;
    jlp_val *base;      /* the base document's list */
    entry pool[POOL_MAX];
    size_t n;
    int joblib_arrays;
    int has_nested;     /* nested qualnames: getattr below protocol 4 */
    uint8_t *scratch;   /* borrowed array bytes, freed after the document */
    size_t scratch_len;
} gen;

static void add(gen *g, jlp_val *v, int single) {
    if (!v) return;
    if (g->n < POOL_MAX) {
        g->pool[g->n].v = v;
        g->pool[g->n].single = single;
        g->pool[g->n].used = 0;
        g->n++;
    } else {
        /* full: overwrite one, but keep it reachable through the root of lists */
        size_t i = fz_below(&g->r, POOL_MAX);
        if (!g->pool[i].used) return; /* an unused value would be lost from the root */
        g->pool[i].v = v;
        g->pool[i].single = single;
        g->pool[i].used = 0;
    }
}

/* A value of the pool to reference (None when the pool is empty or the chosen value
 * may not be referenced again). */
static jlp_val *pick(gen *g) {
    if (!g->n) return jlp_new_none(g->doc);
    entry *e = &g->pool[fz_below(&g->r, g->n)];
    if (e->single && e->used) return jlp_new_none(g->doc);
    e->used = 1;
    return e->v;
}

static jlp_val *pick_type(gen *g, jlp_type t) {
    if (!g->n) return NULL;
    size_t start = fz_below(&g->r, g->n);
    for (size_t k = 0; k < g->n; k++) {
        entry *e = &g->pool[(start + k) % g->n];
        if (jlp_get_type(e->v) == t) return e->v;
    }
    return NULL;
}

static jlp_val *make_str(gen *g) {
    char buf[128];
    size_t len = 0;
    size_t parts = fz_below(&g->r, 12);
    for (size_t i = 0; i < parts; i++) {
        uint8_t b = fz_u8(&g->r);
        const char *s;
        char one[2] = {0, 0};
        if (b >= 0xF0) s = str_snippets[b % NSNIPPETS];
        else {
            one[0] = (char)(b & 0x7F);
            s = one;
        }
        size_t sl = b >= 0xF0 ? strlen(s) : 1;
        if (len + sl > sizeof buf) break;
        memcpy(buf + len, s, sl);
        len += sl;
    }
    jlp_val *v = jlp_new_str(g->doc, buf, len);
    FZ_CHECK(v != NULL, "jlp_new_str refused valid UTF-8 (lone surrogates included)", len, 0);
    return v;
}

static jlp_val *make_global(gen *g) {
    uint8_t b = fz_u8(&g->r);
    if (b < 200) {
        const char *const *e = globals_table[b % NGLOBALS];
        if (strchr(e[1], '.')) g->has_nested = 1;
        return jlp_new_global(g->doc, e[0], e[1]);
    }
    /* from the input: "fz" + [a-z0-9_.] (cannot be a name the loader rebuilds) */
    char mod[24] = "fz", name[24] = "fz";
    size_t ml = 2 + fz_below(&g->r, 8), nl = 2 + fz_below(&g->r, 8);
    static const char alpha[] = "abcxyz019_.";
    for (size_t i = 2; i < ml; i++) mod[i] = alpha[fz_u8(&g->r) % (sizeof alpha - 1)];
    for (size_t i = 2; i < nl; i++) name[i] = alpha[fz_u8(&g->r) % (sizeof alpha - 1)];
    mod[ml] = name[nl] = 0;
    if (strchr(name, '.')) g->has_nested = 1;
    return jlp_new_global(g->doc, mod, name);
}

static jlp_val *make_dtype(gen *g) {
    uint8_t b = fz_u8(&g->r);
    jlp_error err;
    if (b >= 0xE0) {
        /* numpy's text from the input: the dtype parser on its own */
        char text[32];
        size_t n = fz_below(&g->r, sizeof text);
        for (size_t i = 0; i < n; i++) text[i] = (char)(0x20 + fz_u8(&g->r) % 0x5F);
        text[n] = 0;
        jlp_val *dt = jlp_new_dtype(g->doc, text, &err);
        if (dt) {
            FZ_CHECK(jlp_get_type(dt) == JLP_DTYPE, "jlp_new_dtype returned a non-dtype", 0, 0);
            return dt;
        }
        FZ_CHECK(err.code == JLP_E_BAD_DTYPE || err.code == JLP_E_NOMEM || err.code == JLP_E_LIMIT,
                 "jlp_new_dtype failed with an unexpected code", err.code, 0);
    }
    jlp_val *dt = jlp_new_dtype(g->doc, dtypes_table[b % NDTYPES], &err);
    if (!dt) fz_die_err("jlp_new_dtype of a table entry", &err);
    return dt;
}

static jlp_val *make_array(gen *g) {
    jlp_val *dt = make_dtype(g);
    if (jlp_dtype_kind(dt) == 'O') return NULL;
    uint64_t item = jlp_dtype_itemsize(dt);
    uint32_t ndim = (uint32_t)fz_below(&g->r, 4);
    uint64_t shape[3];
    uint64_t count = 1;
    for (uint32_t k = 0; k < ndim; k++) {
        shape[k] = fz_below(&g->r, 5);
        count *= shape[k];
    }
    if (item && count * item > ARRAY_BYTES_MAX) {
        ndim = 1;
        shape[0] = ARRAY_BYTES_MAX / item;
        count = shape[0];
    }
    size_t nbytes = (size_t)(count * item);
    char order = fz_u8(&g->r) & 1 ? 'F' : 'C';
    int borrow = fz_u8(&g->r) & 1;
    uint8_t *bytes = g->scratch + g->scratch_len;
    if (g->scratch_len + nbytes > 64 * 1024) return NULL;
    for (size_t i = 0; i < nbytes; i++) bytes[i] = fz_u8(&g->r);
    if (borrow) g->scratch_len += nbytes;
    jlp_error err;
    jlp_val *a = jlp_new_array(g->doc, dt, ndim, shape, order, bytes, nbytes, borrow ? JLP_BORROW : JLP_COPY, &err);
    if (!a) fz_die_err("jlp_new_array with a matching size", &err);
    return a;
}

static jlp_val *make_leaf(gen *g) {
    switch (fz_u8(&g->r) % 5) {
    case 0: return jlp_new_none(g->doc);
    case 1: return jlp_new_int(g->doc, (int64_t)fz_u64(&g->r));
    case 2: return make_str(g);
    case 3: {
        size_t n;
        const uint8_t *p = fz_bytes(&g->r, 16, &n);
        return jlp_new_bytes(g->doc, p, n);
    }
    default: {
        double d;
        uint64_t u = fz_u64(&g->r);
        memcpy(&d, &u, sizeof d);
        return jlp_new_float(g->doc, d);
    }
    }
}

static jlp_val *make_object_array(gen *g) {
    uint32_t ndim = (uint32_t)fz_below(&g->r, 3);
    uint64_t shape[2];
    uint64_t count = 1;
    for (uint32_t k = 0; k < ndim; k++) {
        shape[k] = fz_below(&g->r, 4);
        count *= shape[k];
    }
    jlp_val *items[9];
    for (uint64_t i = 0; i < count; i++) items[i] = g->joblib_arrays ? make_leaf(g) : pick(g);
    for (uint64_t i = 0; i < count; i++)
        if (!items[i]) return NULL;
    jlp_error err;
    jlp_val *a = jlp_new_object_array(g->doc, ndim, shape, items, &err);
    if (!a) fz_die_err("jlp_new_object_array", &err);
    return a;
}

/* A tuple of 0-3 picks (NULL for "no args" half of the time when allowed). */
static jlp_val *make_args(gen *g, int may_be_null) {
    uint8_t b = fz_u8(&g->r);
    if (may_be_null && (b & 4)) return NULL;
    jlp_val *items[3];
    size_t n = b % 4;
    for (size_t i = 0; i < n; i++) items[i] = pick(g);
    return jlp_new_tuple(g->doc, items, n);
}

static void step(gen *g) {
    jlp_doc *d = g->doc;
    uint8_t op = fz_u8(&g->r) % 32;
    switch (op) {
    case 0: add(g, jlp_new_none(d), 0); break;
    case 1: add(g, jlp_new_bool(d, fz_u8(&g->r) & 1), 0); break;
    case 2: add(g, jlp_new_int(d, (int64_t)fz_u64(&g->r) >> (fz_u8(&g->r) % 64)), 0); break;
    case 3: {
        size_t n;
        const uint8_t *p = fz_bytes(&g->r, 40, &n);
        jlp_val *v = jlp_new_bigint(d, p, n);
        FZ_CHECK(v != NULL, "jlp_new_bigint", n, 0);
        add(g, v, 0);
        break;
    }
    case 4: {
        double f;
        uint64_t u = fz_u64(&g->r);
        memcpy(&f, &u, sizeof f);
        add(g, jlp_new_float(d, f), 0);
        break;
    }
    case 5: {
        double re, im;
        uint64_t u = fz_u64(&g->r), w = fz_u64(&g->r);
        memcpy(&re, &u, sizeof re);
        memcpy(&im, &w, sizeof im);
        add(g, jlp_new_complex(d, re, im), 0);
        break;
    }
    case 6: add(g, make_str(g), 0); break;
    case 7: {
        size_t n;
        const uint8_t *p = fz_bytes(&g->r, 64, &n);
        add(g, jlp_new_bytes(d, p, n), 0);
        break;
    }
    case 8: {
        size_t n;
        const uint8_t *p = fz_bytes(&g->r, 64, &n);
        add(g, jlp_new_bytearray(d, p, n), 0);
        break;
    }
    case 9: {
        jlp_val *t = make_args(g, 0);
        add(g, t, jlp_len(t) == 0);
        break;
    }
    case 10: add(g, jlp_new_list(d), 0); break;
    case 11: add(g, jlp_new_dict(d), 0); break;
    case 12: add(g, jlp_new_set(d), 0); break;
    case 13: {
        jlp_val *items[3];
        size_t n = fz_below(&g->r, 4);
        for (size_t i = 0; i < n; i++) items[i] = pick(g);
        add(g, jlp_new_frozenset(d, items, n), 0);
        break;
    }
    case 14: add(g, make_global(g), 0); break;
    case 15: {
        jlp_val *cls = make_global(g);
        jlp_val *args = make_args(g, 1);
        jlp_val *state = fz_u8(&g->r) & 1 ? pick(g) : NULL;
        jlp_val *o = jlp_new_object(d, cls, args, state);
        FZ_CHECK(o != NULL, "jlp_new_object", 0, 0);
        add(g, o, 0);
        break;
    }
    case 16: {
        jlp_val *fn = make_global(g);
        jlp_val *o = jlp_new_call(d, fn, make_args(g, 1));
        FZ_CHECK(o != NULL, "jlp_new_call", 0, 0);
        add(g, o, 0);
        break;
    }
    case 17: case 18: {
        jlp_val *l = pick_type(g, JLP_LIST);
        if (l) FZ_EQ("jlp_list_append", jlp_list_append(d, l, pick(g)), JLP_OK);
        break;
    }
    case 19: {
        jlp_val *m = pick_type(g, JLP_DICT);
        if (m) {
            jlp_val *k = fz_u8(&g->r) & 1 ? make_str(g) : pick(g);
            FZ_EQ("jlp_dict_set", jlp_dict_set(d, m, k, pick(g)), JLP_OK);
        }
        break;
    }
    case 20: {
        jlp_val *s = pick_type(g, JLP_SET);
        if (s) FZ_EQ("jlp_list_append to a set", jlp_list_append(d, s, pick(g)), JLP_OK);
        break;
    }
    case 21: {
        jlp_val *o = pick_type(g, JLP_OBJECT);
        if (o) FZ_EQ("jlp_obj_set_state", jlp_obj_set_state(d, o, fz_u8(&g->r) & 3 ? pick(g) : NULL), JLP_OK);
        break;
    }
    case 22: {
        jlp_val *o = pick_type(g, JLP_OBJECT);
        if (o) FZ_EQ("jlp_obj_append_item", jlp_obj_append_item(d, o, pick(g)), JLP_OK);
        break;
    }
    case 23: {
        jlp_val *o = pick_type(g, JLP_OBJECT);
        if (o) FZ_EQ("jlp_obj_set_dictitem", jlp_obj_set_dictitem(d, o, pick(g), pick(g)), JLP_OK);
        break;
    }
    case 24: {
        jlp_val *l = pick_type(g, JLP_LIST);
        if (l && jlp_len(l)) FZ_EQ("jlp_list_set", jlp_list_set(d, l, fz_below(&g->r, jlp_len(l)), pick(g)), JLP_OK);
        break;
    }
    case 25: {
        jlp_val *m = pick_type(g, JLP_DICT);
        if (m) {
            static const char *const keys[] = {"a", "key", "$tag", "a/b", "c~d", "", "\xc3\xa9"};
            FZ_EQ("jlp_dict_set_str", jlp_dict_set_str(d, m, keys[fz_u8(&g->r) % 7], pick(g)), JLP_OK);
        }
        break;
    }
    case 26: add(g, make_dtype(g), 0); break;
    case 27: case 28: add(g, make_array(g), g->joblib_arrays); break;
    case 29: add(g, make_object_array(g), g->joblib_arrays); break;
    case 30: {
        jlp_val *dt = make_dtype(g);
        if (jlp_dtype_kind(dt) == 'O') break;
        uint8_t item[64];
        uint64_t n = jlp_dtype_itemsize(dt);
        if (n > sizeof item) break;
        for (uint64_t i = 0; i < n; i++) item[i] = fz_u8(&g->r);
        jlp_error err;
        jlp_val *s = jlp_new_scalar(d, dt, item, &err);
        if (!s) fz_die_err("jlp_new_scalar", &err);
        add(g, s, 0);
        break;
    }
    default:
        /* persistent ids and extension codes of the base document */
        if (g->base) add(g, jlp_item(g->base, fz_below(&g->r, jlp_len(g->base))), 0);
        break;
    }
}

/* ---- the known runaway: a cycle through values saved before they are memoized --------
 * Edges followed: what the writer saves before memoizing the value: items of tuples and
 * frozensets, items of sets below protocol 4 (set(list) REDUCE), the class, arguments
 * and keyword arguments of objects. Lists, dicts, and objects' state and items come
 * after the memo, which ends any recursion. */

typedef struct vmark {
    const jlp_val *v;
    int state; /* 1 on the DFS path, 2 done */
} vmark;

static int presave_visit(const jlp_val *v, int proto, vmark *marks, size_t *nmarks, size_t cap, int depth) {
    if (!v || depth > 1000) return 0;
    jlp_type t = jlp_get_type(v);
    int seq = t == JLP_TUPLE || t == JLP_FROZENSET || (t == JLP_SET && proto < 4);
    if (!seq && t != JLP_OBJECT) return 0;
    for (size_t i = 0; i < *nmarks; i++)
        if (marks[i].v == v) return marks[i].state == 1;
    if (*nmarks == cap) return 0;
    size_t me = (*nmarks)++;
    marks[me].v = v;
    marks[me].state = 1;
    int found = 0;
    if (seq) {
        for (size_t i = 0; i < jlp_len(v) && !found; i++) found = presave_visit(jlp_item(v, i), proto, marks, nmarks, cap, depth + 1);
    } else {
        found = presave_visit(jlp_obj_callable(v), proto, marks, nmarks, cap, depth + 1) ||
                presave_visit(jlp_obj_args(v), proto, marks, nmarks, cap, depth + 1) ||
                presave_visit(jlp_obj_kwargs(v), proto, marks, nmarks, cap, depth + 1);
    }
    marks[me].state = 2;
    return found;
}

/* Every value reachable from `root` through any edge (at most `cap`). */
static size_t reachable(const jlp_val *root, const jlp_val **out, size_t cap) {
    size_t n = 0;
    out[n++] = root;
    for (size_t i = 0; i < n; i++) {
        const jlp_val *v = out[i];
        const jlp_val *kids[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
        size_t nk = 0, len = 0;
        jlp_type t = jlp_get_type(v);
        if (t == JLP_OBJECT) {
            kids[nk++] = jlp_obj_callable(v);
            kids[nk++] = jlp_obj_args(v);
            kids[nk++] = jlp_obj_kwargs(v);
            kids[nk++] = jlp_obj_state(v);
            kids[nk++] = jlp_obj_items(v);
            kids[nk++] = jlp_obj_dictitems(v);
        } else if (t == JLP_PERSID) {
            kids[nk++] = jlp_persid_value(v);
        } else if (t == JLP_SCALAR) {
            kids[nk++] = jlp_scalar_object(v);
        } else if (t == JLP_DICT) {
            len = 2 * jlp_len(v);
        } else if (t == JLP_NDARRAY) {
            while (jlp_array_object(v, len)) len++;
        } else {
            len = jlp_len(v);
        }
        for (size_t k = 0; k < nk + len; k++) {
            const jlp_val *c = k < nk ? kids[k]
                             : t == JLP_DICT ? ((k - nk) % 2 ? jlp_dict_value(v, (k - nk) / 2) : jlp_dict_key(v, (k - nk) / 2))
                             : t == JLP_NDARRAY ? jlp_array_object(v, k - nk) : jlp_item(v, k - nk);
            if (!c) continue;
            size_t j = 0;
            while (j < n && out[j] != c) j++;
            if (j == n) {
                if (n == cap) return n;
                out[n++] = c;
            }
        }
    }
    return n;
}

/* Whether some value reachable from the root reaches itself through pre-memo edges. */
static int presave_cycle(const jlp_val *root, int proto) {
    static vmark marks[4096];
    static const jlp_val *all[4096];
    size_t n = 0, nall = reachable(root, all, sizeof all / sizeof all[0]);
    for (size_t i = 0; i < nall; i++)
        if (presave_visit(all[i], proto, marks, &n, sizeof marks / sizeof marks[0], 0)) return 1;
    return 0;
}

/* ---- dumping into a capped buffer ---------------------------------------------------- */

typedef struct outbuf {
    uint8_t *p;
    size_t n, cap;
    int over;
} outbuf;

static int out_write(void *ctx, const void *data, size_t len) {
    outbuf *o = ctx;
    if (o->n + len > DUMP_CAP) {
        o->over = 1;
        return -1;
    }
    if (o->n + len > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->n + len) cap *= 2;
        uint8_t *q = realloc(o->p, cap);
        if (!q) abort();
        o->p = q;
        o->cap = cap;
    }
    memcpy(o->p + o->n, data, len);
    o->n += len;
    return 0;
}

/* @return the dump's code; *runaway when the output passed DUMP_CAP. */
static jlp_code dump(const jlp_val *root, const jlp_write_opts *wo, outbuf *o, jlp_error *err) {
    memset(o, 0, sizeof *o);
    jlp_code c = jlp_dump_cb(root, out_write, o, wo, err);
    if (o->over) FZ_EQ("a failing write callback must fail the dump with IO", c, JLP_E_IO);
    return c;
}

static char *json_of(const jlp_val *v, const jlp_alc *alc) {
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = 0;
    jo.alc = alc;
    jlp_error err;
    char *s = jlp_export_json_str(v, &jo, NULL, &err);
    if (!s && err.code == JLP_E_UNSUPPORTED) s = strdup("UNSUPPORTED"); /* U above U+10FFFF */
    if (!s) fz_die_err("jlp_export_json_str", &err);
    return s;
}

/* FUZZ_SAVE_DIR=dir: on a failure, write the dumps there (first, redump) for a look
 * with pickletools. */
static void save_dumps(const outbuf *b1, const outbuf *b3) {
    const char *dir = getenv("FUZZ_SAVE_DIR");
    if (!dir) return;
    const outbuf *bs[2] = {b1, b3};
    for (int k = 0; k < 2; k++) {
        if (!bs[k]) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/dump%d.bin", dir, k + 1);
        FILE *f = fopen(path, "wb");
        if (!f) continue;
        fwrite(bs[k]->p, 1, bs[k]->n, f);
        fclose(f);
    }
}

static void report_diff(const char *a, const char *b) {
    size_t i = 0;
    while (a[i] && a[i] == b[i]) i++;
    size_t from = i > 60 ? i - 60 : 0;
    fprintf(stderr, "fuzz_roundtrip: JSON differs at byte %zu\n  built:  ...%.160s\n  loaded: ...%.160s\n", i, a + from,
            b + from);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 6) return 0;
    fz_heap heap = {0, 0, 0, 0, 0}, wheap = {0, 0, 0, 0, 0};
    jlp_alc alc = fz_alc(&heap), walc = fz_alc(&wheap);

    jlp_write_opts wo = JLP_WRITE_OPTS_INIT;
    wo.protocol = data[0] % 6;
    wo.arrays = (jlp_array_format)(data[1] & 1);
    int ci = data[2] % 8;
    wo.codec = codecs[ci];
    uint8_t lv = data[3];
    static const int low[8][2] = {{0, 0}, {1, 9}, {1, 9}, {1, 3}, {0, 1}, {0, 1}, {0, 12}, {1, 6}};
    wo.level = (lv & 0xE0) == 0xE0 && ci != 4 && ci != 5 ? -1 : low[ci][0] + lv % (low[ci][1] - low[ci][0] + 1);
    if (ci == 0) wo.level = -1;
    wo.threads = (data[4] & 7) == 7 ? 2 : 0;
    wo.alc = &walc;
    int use_base = data[5] & 1;

    gen g;
    memset(&g, 0, sizeof g);
    g.r.p = data + 6;
    g.r.n = size - 6;
    g.joblib_arrays = wo.arrays == JLP_ARRAYS_JOBLIB;
    g.scratch = malloc(64 * 1024);
    if (!g.scratch) abort();
    jlp_error err;
    if (use_base) {
        g.doc = jlp_load_mem(base_pickle, sizeof base_pickle, NULL, NULL, &err);
        if (!g.doc) fz_die_err("loading the base document", &err);
        g.base = jlp_doc_root(g.doc);
    } else {
        g.doc = jlp_doc_new(&alc);
        FZ_CHECK(g.doc != NULL, "jlp_doc_new", 0, 0);
    }
    for (int i = 0; i < OPS_MAX && !fz_done(&g.r); i++) step(&g);

    jlp_val *root = jlp_new_list(g.doc);
    for (size_t i = 0; i < g.n; i++)
        if (!(g.pool[i].single && g.pool[i].used)) FZ_EQ("root append", jlp_list_append(g.doc, root, g.pool[i].v), JLP_OK);
    FZ_EQ("jlp_doc_set_root", jlp_doc_set_root(g.doc, root), JLP_OK);

    int exact = wo.protocol >= 4 || !g.has_nested;
    char *want = json_of(root, &alc);

    outbuf b1, b2;
    memset(&b1, 0, sizeof b1);
    int cyclic = presave_cycle(root, wo.protocol);
    jlp_code c1 = dump(root, &wo, &b1, &err);
    if (b1.over) fz_die("the writer's output grows without end", "dump", b1.n, 0);
    /* A graph with a cycle through pre-memo edges is refused with CYCLE (Python's
     * pickle recurses without end on it), and only such a graph. */
    if (c1 == JLP_E_CYCLE) FZ_CHECK(cyclic, "CYCLE for a graph without a pre-memo cycle", 0, 0);
    if (cyclic) FZ_CHECK(c1 == JLP_E_CYCLE || c1 == JLP_E_UNSUPPORTED, "a pre-memo cycle was written", c1, 0);
    fz_heap_check_empty(&wheap, "the writer");
    jlp_code c2 = dump(root, &wo, &b2, &err);
    FZ_EQ("dumping twice gives different results", c1, c2);
    if (c1 == JLP_E_UNSUPPORTED || c1 == JLP_E_CYCLE) goto out2;
    if (c1 != JLP_OK) fz_die_err("jlp_dump_cb", &err);
    FZ_CHECK(b1.n == b2.n && !memcmp(b1.p, b2.p, b1.n), "dumping twice gives different bytes", b1.n, b2.n);
    {
        void *m = NULL;
        size_t mlen = 0;
        FZ_EQ("jlp_dump_mem", jlp_dump_mem(root, &wo, &m, &mlen, &err), JLP_OK);
        FZ_CHECK(mlen == b1.n && !memcmp(m, b1.p, mlen), "jlp_dump_mem and jlp_dump_cb differ", mlen, b1.n);
        free(m);
    }
    fz_heap_check_empty(&wheap, "the writer");

    {
        jlp_read_opts ro;
        jlp_read_opts_init(&ro);
        ro.alc = &alc;
        jlp_doc *back = jlp_load_mem(b1.p, b1.n, &ro, NULL, &err);
        if (!back) {
            fprintf(stderr, "fuzz_roundtrip: protocol %d, arrays %d, codec %s: the dump does not load back\n", wo.protocol,
                    wo.arrays, wo.codec);
            fz_die_err("jlp_load_mem of the dump", &err);
        }
        const char *cont = jlp_doc_container(back);
        if (strcmp(cont, wo.codec) != 0) fz_die("the dump loads from another container", cont, 0, 0);
        if (exact) {
            char *got = json_of(jlp_doc_root(back), &alc);
            if (strcmp(want, got) != 0) {
                report_diff(want, got);
                save_dumps(&b1, NULL);
                fprintf(stderr, "fuzz_roundtrip: protocol %d, arrays %d, codec %s\n", wo.protocol, wo.arrays, wo.codec);
                fz_die("the loaded graph exports differently from the built one", "JSON", strlen(want), strlen(got));
            }
            free(got);
            /* the loaded graph dumps to the same bytes (this once failed when the writer
             * shared bytes of 0 or 1 byte by value only when the builder made them:
             * fuzz/corpus/fuzz_roundtrip/redump-small-bytes-by-value.bin). */
            outbuf b3;
            jlp_code c3 = dump(jlp_doc_root(back), &wo, &b3, &err);
            if (c3 != JLP_OK) fz_die_err("dumping the loaded graph", &err);
            if (b3.n != b1.n || memcmp(b3.p, b1.p, b1.n)) {
                size_t i = 0;
                while (i < b1.n && i < b3.n && b1.p[i] == b3.p[i]) i++;
                fprintf(stderr, "fuzz_roundtrip: protocol %d, arrays %d, codec %s: redump differs at byte %zu\n",
                        wo.protocol, wo.arrays, wo.codec, i);
                save_dumps(&b1, &b3);
                fz_die("dumping the loaded graph gives other bytes", "redump", b1.n, b3.n);
            }
            free(b3.p);
        }
        jlp_doc_free(back);
    }
out2:
    free(b2.p);
    free(b1.p);
    free(want);
    jlp_doc_free(g.doc);
    free(g.scratch);
    fz_heap_check_empty(&heap, "documents");
    fz_heap_check_empty(&wheap, "the writer");
    return 0;
}
