/*
 * randdoc.c - random documents made with the builder API (see randdoc.h).
 *
 * Every document is one Python could hold, in the shape Python's pickler gives it at
 * protocol 5, so that Python's own rewrite of what it loads exports as the document
 * does (tests/diff/diff.py):
 *   - globals are importable names (builtins, collections, datetime, numpy and the
 *     classes of tests/diff/diffclasses.py);
 *   - instances are built as those classes reduce: NEWOBJ with a state dict that is
 *     left out when empty, slots as (dict-or-None, slots), list and dict items,
 *     __reduce__ calls with their state, items and dict items, __getnewargs__
 *     arguments; values (date, Decimal, Fraction, range...) as their reduce calls;
 *   - dict keys and set items are hashable and distinct by Python's equality (1 and
 *     True are one key), and nothing inside them is shared;
 *   - only what Python's pickle keeps the identity of is shared: lists, dicts, sets,
 *     instances, non-empty tuples (never the empty tuple, which pickle does not
 *     memoize, nor state dicts, which BUILD copies); cycles go through containers
 *     filled after they are made;
 *   - numpy scalars are native (numpy holds them so), and U and S scalars do not end in
 *     NUL (numpy strips it); U items are code points below U+110000.
 */
#include "randdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MAX 64
#define KEYS_MAX 8
#define CLASS_MAX 512

typedef struct gen {
    jlp_doc *d;
    uint64_t s;
    int budget;      /* values left to make */
    int joblib;      /* arrays in joblib's layout */
    int fresh;       /* > 0: inside a joblib object array: nothing shared in or out */
    jlp_val *pool[POOL_MAX];
    int npool;
    const char *why;
} gen;

/* splitmix64 */
static uint64_t next(gen *g) {
    uint64_t z = (g->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static unsigned pick(gen *g, unsigned n) { return (unsigned)(next(g) % n); }
static int chance(gen *g, unsigned percent) { return pick(g, 100) < percent; }

static jlp_val *ck(gen *g, jlp_val *v, const char *what) {
    if (!v && !g->why) g->why = what;
    return v;
}

static void share(gen *g, jlp_val *v) {
    if (v && !g->fresh && g->npool < POOL_MAX) g->pool[g->npool++] = v;
}

static jlp_val *global(gen *g, const char *mod, const char *name) {
    return ck(g, jlp_new_global(g->d, mod, name), "global");
}

/* ---- text --------------------------------------------------------------------------- */

/* UTF-8 pieces: ASCII, escapes and controls, 2-, 3- and 4-byte characters, U+FFFF,
 * lone surrogates (ED A0 80 is U+D800) and a surrogate pair kept as two code points. */
static const char *const PIECES[] = {"a", "b", "_", "x", ".", "\n", "\\", "\"", "'", "\r", "\t", " ",
                                     "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xdf\xbf",
                                     "\xef\xbf\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xa0\xbd\xed\xb8\x80",
                                     "\x01", "\x7f"};

static size_t text(gen *g, char *buf, size_t cap) {
    static const unsigned lens[] = {0, 1, 2, 3, 5, 8, 20, 70};
    unsigned n = lens[pick(g, sizeof lens / sizeof *lens)];
    size_t len = 0;
    unsigned alphabet = pick(g, 3); /* 0: ASCII letters only, 1: all, 2: non-ASCII */
    for (unsigned i = 0; i < n; i++) {
        const char *p = alphabet == 0 ? PIECES[pick(g, 5)]
                      : alphabet == 1 ? PIECES[pick(g, sizeof PIECES / sizeof *PIECES)]
                                      : PIECES[12 + pick(g, 8)];
        size_t k = strlen(p);
        if (len + k >= cap) break;
        memcpy(buf + len, p, k);
        len += k;
    }
    buf[len] = 0;
    return len;
}

static jlp_val *str(gen *g) {
    char buf[320];
    size_t n = text(g, buf, sizeof buf);
    return ck(g, jlp_new_str(g->d, buf, n), "str");
}

/* ---- hashables: dict keys and set items ------------------------------------------- */

/* A key's class under Python's equality, as text: values of one class are equal. */
typedef struct keyset {
    char cls[KEYS_MAX][CLASS_MAX];
    int n;
} keyset;

static int keyset_add(keyset *ks, const char *cls) {
    for (int i = 0; i < ks->n; i++)
        if (!strcmp(ks->cls[i], cls)) return 0;
    if (ks->n == KEYS_MAX) return 0;
    snprintf(ks->cls[ks->n++], CLASS_MAX, "%s", cls);
    return 1;
}

static int cmp_cls(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static jlp_val *hashable(gen *g, int depth, char *cls, size_t cap);

/* A frozenset of distinct hashables; its class lists the item classes sorted. */
static jlp_val *frozen(gen *g, int depth, char *cls, size_t cap) {
    keyset ks = {.n = 0};
    jlp_val *items[KEYS_MAX];
    int n = 0, want = (int)pick(g, depth < 2 ? 4 : 1);
    char c[CLASS_MAX];
    for (int i = 0; i < want; i++) {
        jlp_val *v = hashable(g, depth + 1, c, sizeof c);
        if (v && keyset_add(&ks, c)) items[n++] = v;
    }
    qsort(ks.cls, (size_t)ks.n, CLASS_MAX, cmp_cls);
    size_t len = (size_t)snprintf(cls, cap, "f{");
    for (int i = 0; i < ks.n && len < cap; i++) len += (size_t)snprintf(cls + len, cap - len, "%s,", ks.cls[i]);
    if (len < cap) snprintf(cls + len, cap - len, "}");
    return ck(g, jlp_new_frozenset(g->d, items, (size_t)n), "frozenset");
}

static jlp_val *hashable(gen *g, int depth, char *cls, size_t cap) {
    unsigned k = pick(g, depth < 2 ? 9 : 7);
    if (k < 3) {
        char buf[320];
        size_t n = text(g, buf, sizeof buf);
        snprintf(cls, cap, "s%s", buf);
        return ck(g, jlp_new_str(g->d, buf, n), "str key");
    }
    if (k < 5) {
        static const int64_t ints[] = {0, 1, -1, 7, 255, 256, 65536, -300, 2147483647, -2147483648LL,
                                       9007199254740993LL, INT64_MIN, INT64_MAX};
        int64_t i = ints[pick(g, sizeof ints / sizeof *ints)];
        snprintf(cls, cap, "i%lld", (long long)i);
        return ck(g, jlp_new_int(g->d, i), "int key");
    }
    if (k == 5) {
        unsigned b = pick(g, 3);
        snprintf(cls, cap, "%s", b == 2 ? "n" : b ? "i1" : "i0"); /* True == 1, False == 0 */
        return ck(g, b == 2 ? jlp_new_none(g->d) : jlp_new_bool(g->d, (int)b), "bool key");
    }
    if (k == 6) {
        uint8_t b[4];
        unsigned n = pick(g, 4);
        size_t len = (size_t)snprintf(cls, cap, "b");
        for (unsigned i = 0; i < n; i++) {
            b[i] = (uint8_t)next(g);
            len += (size_t)snprintf(cls + len, cap - len, "%02x", b[i]);
        }
        return ck(g, jlp_new_bytes(g->d, b, n), "bytes key");
    }
    if (k == 7) { /* a tuple of hashables, not shared */
        jlp_val *items[3];
        unsigned n = 1 + pick(g, 3);
        char c[CLASS_MAX];
        size_t len = (size_t)snprintf(cls, cap, "t(");
        for (unsigned i = 0; i < n; i++) {
            items[i] = hashable(g, depth + 1, c, sizeof c);
            if (len < cap) len += (size_t)snprintf(cls + len, cap - len, "%s,", c);
        }
        if (len < cap) snprintf(cls + len, cap - len, ")");
        return ck(g, jlp_new_tuple(g->d, items, n), "tuple key");
    }
    return frozen(g, depth, cls, cap);
}

/* ---- scalars ------------------------------------------------------------------------ */

static jlp_val *value(gen *g, int depth);

static const char *const NATIVE_SCALAR_DTYPES[] = {"<i2", "<f8", "|b1", "|u1", "<c16", "<f16", "<M8[ns]", "<m8[s]",
                                                   "|S3", "<U2", "|V3", "<f2", "<u8", "|i1", "<c8", "<f4"};
static const char *const ARRAY_DTYPES[] = {
    "|b1", "|i1", "<i2", ">i2", "<i4", ">i4", "<i8", ">i8", "|u1", "<u2", ">u4", "<u8", ">u8", "<f2", ">f2", "<f4",
    ">f4", "<f8", ">f8", "<f16", ">f16", "<c8", ">c8", "<c16", ">c16", "<c32", "|S1", "|S5", "<U1", ">U3", "<U4",
    "|V3", "|V1", "|V0", "<M8[ns]", ">M8[us]", "<M8[D]", "<M8[3s]", "<m8[s]", ">m8[ms]", "<m8[7ns]",
    "[('a', '<i4'), ('b', '>f8', (2,))]", "[('x', '|u1'), ('y', [('p', '<u2'), ('q', '|S2')])]",
    "[('m', '<M8[s]'), ('v', '|V2')]", "[('a', '>i2'), ('b', '>f4')]", "[]"};

/* Random item bytes numpy can hold and export: bools 0 or 1, U code points below
 * U+110000 in the dtype's order; when `no_trailing_nul`, the last S/U character is not
 * NUL (numpy's scalars strip it). */
static void fill_items(gen *g, const char *descr, uint8_t *p, size_t n, size_t itemsize, int no_trailing_nul) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)next(g);
    char kind = descr[0] == '<' || descr[0] == '>' || descr[0] == '|' ? descr[1] : descr[0];
    if (descr[0] == '[') return;
    if (kind == 'b') {
        for (size_t i = 0; i < n; i++) p[i] &= 1;
    } else if (kind == 'U') {
        for (size_t i = 0; i + 4 <= n; i += 4) {
            static const uint32_t cps[] = {0, 0x41, 0xe9, 0x20ac, 0x1f600, 0xd800, 0xdfff, 0xffff, 0x10ffff};
            uint32_t cp = pick(g, 2) ? cps[pick(g, sizeof cps / sizeof *cps)] : (uint32_t)(next(g) % 0x110000);
            if (no_trailing_nul && (i + 4) % itemsize == 0 && cp == 0) cp = 0x62;
            for (int b = 0; b < 4; b++)
                p[i + (size_t)b] = (uint8_t)(cp >> (descr[0] == '>' ? 8 * (3 - b) : 8 * b));
        }
    } else if (kind == 'S' && no_trailing_nul) {
        for (size_t i = itemsize; i <= n && itemsize; i += itemsize)
            if (!p[i - 1]) p[i - 1] = 'z';
    }
}

static jlp_val *numpy_scalar(gen *g) {
    const char *descr = NATIVE_SCALAR_DTYPES[pick(g, sizeof NATIVE_SCALAR_DTYPES / sizeof *NATIVE_SCALAR_DTYPES)];
    jlp_error err;
    jlp_val *dt = ck(g, jlp_new_dtype(g->d, descr, &err), "scalar dtype");
    if (!dt) return NULL;
    uint8_t buf[32];
    size_t n = (size_t)jlp_dtype_itemsize(dt);
    fill_items(g, descr, buf, n, n, 1);
    return ck(g, jlp_new_scalar(g->d, dt, buf, &err), "scalar");
}

static jlp_val *dtype_value(gen *g) {
    jlp_error err;
    return ck(g, jlp_new_dtype(g->d, ARRAY_DTYPES[pick(g, sizeof ARRAY_DTYPES / sizeof *ARRAY_DTYPES)], &err),
              "dtype");
}

static jlp_val *call(gen *g, const char *mod, const char *name, jlp_val *const *args, size_t n) {
    jlp_val *t = ck(g, jlp_new_tuple(g->d, args, n), "call args");
    return t ? ck(g, jlp_new_call(g->d, global(g, mod, name), t), "call") : NULL;
}

static jlp_val *I(gen *g, int64_t i) { return ck(g, jlp_new_int(g->d, i), "int"); }

/* Values Python pickles as a call of their class: (class, args) of their __reduce__. */
static jlp_val *reduced_value(gen *g) {
    jlp_val *a[3];
    switch (pick(g, 6)) {
    case 0: {
        static const uint8_t dates[][4] = {{7, 228, 1, 31}, {0, 1, 1, 1}, {39, 15, 12, 31}};
        a[0] = ck(g, jlp_new_bytes(g->d, dates[pick(g, 3)], 4), "date bytes");
        return call(g, "datetime", "date", a, 1);
    }
    case 1: {
        static const uint8_t dt[10] = {7, 207, 12, 31, 23, 59, 1, 0, 0, 5};
        a[0] = ck(g, jlp_new_bytes(g->d, dt, 10), "datetime bytes");
        return call(g, "datetime", "datetime", a, 1);
    }
    case 2: /* timedelta(days, seconds, microseconds), normalised as Python keeps it */
        a[0] = I(g, (int64_t)pick(g, 2000) - 1000);
        a[1] = I(g, pick(g, 86400));
        a[2] = I(g, pick(g, 1000000));
        return call(g, "datetime", "timedelta", a, 3);
    case 3: {
        static const char *const decimals[] = {"-1.50", "0", "1E+3", "NaN", "-0", "3.14159", "Infinity"};
        a[0] = ck(g, jlp_new_strz(g->d, decimals[pick(g, 7)]), "decimal");
        return call(g, "decimal", "Decimal", a, 1);
    }
    case 4: { /* Fraction(n, d) in lowest terms */
        static const int64_t fr[][2] = {{3, 7}, {-1, 2}, {0, 1}, {22, 7}, {1, 1000000007}};
        unsigned i = pick(g, 5);
        a[0] = I(g, fr[i][0]);
        a[1] = I(g, fr[i][1]);
        return call(g, "fractions", "Fraction", a, 2);
    }
    default:
        a[0] = I(g, (int64_t)pick(g, 20) - 10);
        a[1] = I(g, (int64_t)pick(g, 40) - 10);
        a[2] = I(g, pick(g, 2) ? 1 + (int64_t)pick(g, 5) : -1 - (int64_t)pick(g, 5));
        return call(g, "builtins", "range", a, 3);
    }
}

static jlp_val *scalar(gen *g) {
    switch (pick(g, 15)) {
    case 0: return ck(g, jlp_new_none(g->d), "None");
    case 1: return ck(g, jlp_new_bool(g->d, (int)pick(g, 2)), "bool");
    case 2: {
        static const int64_t ints[] = {0, 1, -1, 255, 256, 65535, 65536, 2147483647, -2147483648LL, 2147483648LL,
                                       INT64_MAX, INT64_MIN, 1000000};
        return I(g, pick(g, 3) ? ints[pick(g, sizeof ints / sizeof *ints)] : (int64_t)next(g));
    }
    case 3: { /* a big int: 9 to 40 bytes of two's complement */
        uint8_t b[40];
        size_t n = 9 + pick(g, 32);
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)next(g);
        return ck(g, jlp_new_bigint(g->d, b, n), "bigint");
    }
    case 4: {
        static const double f[] = {0.0, -0.0, 1.5, -2.25, 1e300, 5e-324, 0.1, 1e16, 123456789.125};
        double x;
        if (pick(g, 3)) x = f[pick(g, sizeof f / sizeof *f)];
        else {
            uint64_t bits = next(g);
            memcpy(&x, &bits, sizeof x); /* NaN payloads and infinities too */
        }
        return ck(g, jlp_new_float(g->d, x), "float");
    }
    case 5: return ck(g, jlp_new_complex(g->d, pick(g, 2) ? -0.0 : 1.5, pick(g, 2) ? 2.0 : -1e-300), "complex");
    case 6:
    case 7: return str(g);
    case 8: {
        static const unsigned lens[] = {0, 1, 2, 7, 300};
        uint8_t b[300];
        unsigned n = lens[pick(g, 5)];
        for (unsigned i = 0; i < n; i++) b[i] = (uint8_t)next(g);
        return ck(g, jlp_new_bytes(g->d, b, n), "bytes");
    }
    case 9: {
        uint8_t b[5];
        unsigned n = pick(g, 6);
        for (unsigned i = 0; i < n; i++) b[i] = (uint8_t)next(g);
        return ck(g, jlp_new_bytearray(g->d, b, n), "bytearray");
    }
    case 10: {
        static const char *const names[][2] = {
            {"builtins", "len"}, {"builtins", "int"}, {"builtins", "object"}, {"diffclasses", "a_function"},
            {"diffclasses", "Plain"}, {"diffclasses", "Outer.Inner"}, {"collections", "OrderedDict"},
            {"numpy", "ndarray"}, {"numpy", "float64"}, {"datetime", "date"}};
        unsigned i = pick(g, sizeof names / sizeof *names);
        return global(g, names[i][0], names[i][1]);
    }
    case 11: return reduced_value(g);
    case 12: return numpy_scalar(g);
    case 13: return dtype_value(g);
    default: return ck(g, jlp_new_int(g->d, (int64_t)pick(g, 2000) - 1000), "small int");
    }
}

/* ---- containers --------------------------------------------------------------------- */

static int n_items(gen *g) { return (int)pick(g, 5); }

static jlp_val *list(gen *g, int depth) {
    jlp_val *l = ck(g, jlp_new_list(g->d), "list");
    share(g, l);
    for (int i = 0, n = n_items(g); l && i < n; i++)
        if (jlp_list_append(g->d, l, value(g, depth + 1)) != JLP_OK) g->why = g->why ? g->why : "list append";
    return l;
}

static jlp_val *tuple(gen *g, int depth) {
    jlp_val *items[5] = {NULL};
    int n = n_items(g);
    for (int i = 0; i < n; i++) items[i] = value(g, depth + 1);
    jlp_val *t = ck(g, jlp_new_tuple(g->d, items, (size_t)n), "tuple");
    if (n) share(g, t); /* pickle never memoizes the empty tuple */
    return t;
}

/* A dict whose keys are str (identifier-like when `names`) or any distinct hashables. */
static jlp_val *dict_with(gen *g, int depth, int names, int shared) {
    static const char *const attrs[] = {"x", "y", "note", "k_1", ("donn\xc3\xa9" "es"), "z"};
    jlp_val *d = ck(g, jlp_new_dict(g->d), "dict");
    if (shared) share(g, d);
    keyset ks = {.n = 0};
    char cls[CLASS_MAX];
    for (int i = 0, n = 1 + n_items(g); d && i < n; i++) {
        jlp_val *k;
        if (names) {
            const char *a = attrs[pick(g, sizeof attrs / sizeof *attrs)];
            snprintf(cls, sizeof cls, "s%s", a);
            k = ck(g, jlp_new_strz(g->d, a), "attr");
        } else {
            k = hashable(g, 0, cls, sizeof cls);
        }
        if (!k || !keyset_add(&ks, cls)) continue;
        if (jlp_dict_set(g->d, d, k, value(g, depth + 1)) != JLP_OK) g->why = g->why ? g->why : "dict set";
    }
    return d;
}

static jlp_val *set(gen *g) {
    jlp_val *s = ck(g, jlp_new_set(g->d), "set");
    share(g, s);
    keyset ks = {.n = 0};
    char cls[CLASS_MAX];
    for (int i = 0, n = n_items(g); s && i < n; i++) {
        jlp_val *k = hashable(g, 0, cls, sizeof cls);
        if (k && keyset_add(&ks, cls) && jlp_list_append(g->d, s, k) != JLP_OK) g->why = g->why ? g->why : "set add";
    }
    return s;
}

/* ---- instances of tests/diff/diffclasses.py ----------------------------------------- */

static jlp_val *state_dict(gen *g, int depth) { return dict_with(g, depth, 1, 0); }

static jlp_val *instance(gen *g, int depth) {
    jlp_doc *d = g->d;
    jlp_val *o = NULL, *a[2];
    switch (pick(g, 11)) {
    case 0: /* Plain: __dict__ as its state, none when empty */
        o = ck(g, jlp_new_object(d, global(g, "diffclasses", "Plain"), NULL, NULL), "Plain");
        share(g, o);
        if (o && chance(g, 70)) jlp_obj_set_state(d, o, state_dict(g, depth));
        return o;
    case 1: { /* Slotted: (None, {slot: value}) in slot order */
        o = ck(g, jlp_new_object(d, global(g, "diffclasses", "Slotted"), NULL, NULL), "Slotted");
        share(g, o);
        unsigned which = pick(g, 4); /* bit 0: a, bit 1: b; 0: nothing set, no state */
        if (!o || !which) return o;
        jlp_val *slots = ck(g, jlp_new_dict(d), "slots");
        if (which & 1) jlp_dict_set_str(d, slots, "a", value(g, depth + 1));
        if (which & 2) jlp_dict_set_str(d, slots, "b", value(g, depth + 1));
        a[0] = jlp_new_none(d);
        a[1] = slots;
        jlp_obj_set_state(d, o, ck(g, jlp_new_tuple(d, a, 2), "slot state"));
        return o;
    }
    case 2: { /* SlottedDict: __dict__ alone, or (__dict__ or None, {a: value}) */
        o = ck(g, jlp_new_object(d, global(g, "diffclasses", "SlottedDict"), NULL, NULL), "SlottedDict");
        share(g, o);
        unsigned form = pick(g, 4);
        if (!o || !form) return o;
        if (form == 1) {
            jlp_obj_set_state(d, o, state_dict(g, depth));
            return o;
        }
        jlp_val *slots = ck(g, jlp_new_dict(d), "slots");
        jlp_dict_set_str(d, slots, "a", value(g, depth + 1));
        a[0] = form == 2 ? jlp_new_none(d) : state_dict(g, depth);
        a[1] = slots;
        jlp_obj_set_state(d, o, ck(g, jlp_new_tuple(d, a, 2), "slot state"));
        return o;
    }
    case 3: /* DictSub: dict items, and __dict__ */
    case 4: { /* ListSub: list items, and __dict__ */
        int is_dict = pick(g, 2);
        o = ck(g, jlp_new_object(d, global(g, "diffclasses", is_dict ? "DictSub" : "ListSub"), NULL, NULL), "sub");
        share(g, o);
        if (!o) return o;
        if (is_dict) {
            keyset ks = {.n = 0};
            char cls[CLASS_MAX];
            for (int i = 0, n = n_items(g); i < n; i++) {
                jlp_val *k = hashable(g, 0, cls, sizeof cls);
                if (k && keyset_add(&ks, cls)) jlp_obj_set_dictitem(d, o, k, value(g, depth + 1));
            }
        } else {
            for (int i = 0, n = n_items(g); i < n; i++) jlp_obj_append_item(d, o, value(g, depth + 1));
        }
        if (chance(g, 30)) jlp_obj_set_state(d, o, state_dict(g, depth));
        return o;
    }
    case 5: { /* SetSub: set's __reduce__, (cls, ([items],), __dict__ or None); one item
               * at most, as a set's order is Python's */
        char cls[CLASS_MAX];
        jlp_val *items = ck(g, jlp_new_list(d), "setsub items");
        if (items && pick(g, 2)) jlp_list_append(d, items, hashable(g, 0, cls, sizeof cls));
        o = call(g, "diffclasses", "SetSub", &items, 1);
        share(g, o);
        if (o && chance(g, 30)) jlp_obj_set_state(d, o, state_dict(g, depth));
        return o;
    }
    case 6: { /* TupleSub, IntSub, StrSub: NEWOBJ with the base value as argument */
        unsigned which = pick(g, 3);
        jlp_val *arg;
        if (which == 0) {
            jlp_val *items[4];
            int n = n_items(g) % 4;
            for (int i = 0; i < n; i++) items[i] = value(g, depth + 1);
            arg = ck(g, jlp_new_tuple(d, items, (size_t)n), "tuple items");
        } else if (which == 1) {
            uint8_t b[12];
            for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)next(g);
            arg = pick(g, 2) ? I(g, (int64_t)next(g)) : ck(g, jlp_new_bigint(d, b, sizeof b), "bigint");
        } else {
            arg = str(g);
        }
        static const char *const cls[] = {"TupleSub", "IntSub", "StrSub"};
        jlp_val *args = ck(g, jlp_new_tuple(d, &arg, 1), "args");
        o = ck(g, jlp_new_object(d, global(g, "diffclasses", cls[which]), args, NULL), "base subclass");
        share(g, o);
        if (o && chance(g, 25)) jlp_obj_set_state(d, o, state_dict(g, depth));
        return o;
    }
    case 7: { /* NewArgs: __getnewargs__ (x, y), and x and y again in __dict__ (not the
               * empty tuple: pickle writes it afresh each time) */
        for (int i = 0; i < 2; i++) {
            a[i] = value(g, depth + 1);
            if (a[i] && jlp_get_type(a[i]) == JLP_TUPLE && jlp_len(a[i]) == 0) a[i] = I(g, i);
        }
        jlp_val *args = ck(g, jlp_new_tuple(d, a, 2), "newargs");
        jlp_val *st = ck(g, jlp_new_dict(d), "newargs state");
        if (st) {
            jlp_dict_set_str(d, st, "x", a[0]);
            jlp_dict_set_str(d, st, "y", a[1]);
        }
        o = ck(g, jlp_new_object(d, global(g, "diffclasses", "NewArgs"), args, st), "NewArgs");
        share(g, o);
        return o;
    }
    case 8: { /* Reduced: __reduce__ with its arguments, state, items and dict items */
        jlp_val *args[2];
        int n = (int)pick(g, 3);
        for (int i = 0; i < n; i++) args[i] = value(g, depth + 1);
        o = call(g, "diffclasses", "Reduced", args, (size_t)n);
        share(g, o);
        if (!o) return o;
        for (int i = 0, k = n_items(g) % 3; i < k; i++) jlp_obj_append_item(d, o, value(g, depth + 1));
        keyset ks = {.n = 0};
        char cls[CLASS_MAX];
        for (int i = 0, k = n_items(g) % 3; i < k; i++) {
            jlp_val *key = hashable(g, 0, cls, sizeof cls);
            if (key && keyset_add(&ks, cls)) jlp_obj_set_dictitem(d, o, key, value(g, depth + 1));
        }
        if (chance(g, 40)) {
            jlp_val *st = ck(g, jlp_new_dict(d), "Reduced state");
            if (st) jlp_dict_set_str(d, st, "note", value(g, depth + 1));
            jlp_obj_set_state(d, o, st);
        }
        return o;
    }
    default: { /* StateHolder: __getstate__ gives its list, which may be shared */
        o = ck(g, jlp_new_object(d, global(g, "diffclasses", "StateHolder"), NULL, NULL), "StateHolder");
        share(g, o);
        jlp_val *data = NULL;
        for (int i = 0; i < g->npool && !g->fresh && chance(g, 30); i++) {
            jlp_val *c = g->pool[pick(g, (unsigned)g->npool)];
            if (jlp_get_type(c) == JLP_LIST) data = c;
        }
        if (!data) data = list(g, depth);
        if (o) jlp_obj_set_state(d, o, data);
        return o;
    }
    }
}

/* ---- arrays ------------------------------------------------------------------------- */

static jlp_val *array(gen *g, int depth) {
    uint64_t shape[3];
    uint32_t ndim = pick(g, 4);
    uint64_t count = 1;
    for (uint32_t i = 0; i < ndim; i++) count *= (shape[i] = pick(g, 5));
    jlp_error err;
    if (chance(g, 15)) { /* an object array */
        jlp_val *items[64];
        if (g->joblib) g->fresh++; /* a nested pickle of its own */
        for (uint64_t i = 0; i < count; i++) items[i] = value(g, depth + 1);
        if (g->joblib) g->fresh--;
        jlp_val *a = ck(g, jlp_new_object_array(g->d, ndim, shape, items, &err), "object array");
        if (!g->joblib) share(g, a);
        return a;
    }
    const char *descr = ARRAY_DTYPES[pick(g, sizeof ARRAY_DTYPES / sizeof *ARRAY_DTYPES)];
    jlp_val *dt = ck(g, jlp_new_dtype(g->d, descr, &err), "array dtype");
    if (!dt) return NULL;
    size_t itemsize = (size_t)jlp_dtype_itemsize(dt);
    size_t n = (size_t)count * itemsize;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return NULL;
    fill_items(g, descr, buf, n, itemsize, 0);
    char order = ndim >= 2 && pick(g, 2) ? 'F' : 'C';
    jlp_val *a = ck(g, jlp_new_array(g->d, dt, ndim, shape, order, buf, n, JLP_COPY, &err), "array");
    free(buf);
    if (!g->joblib) share(g, a); /* joblib writes each reference as an array of its own */
    return a;
}

/* ---- values ------------------------------------------------------------------------- */

static jlp_val *value(gen *g, int depth) {
    if (g->why) return jlp_new_none(g->d);
    g->budget--;
    if (g->npool && !g->fresh && chance(g, 12)) return g->pool[pick(g, (unsigned)g->npool)];
    if (depth > 6 || g->budget <= 0 || chance(g, 35)) return scalar(g);
    switch (pick(g, 8)) {
    case 0: return list(g, depth);
    case 1: return tuple(g, depth);
    case 2: return dict_with(g, depth, pick(g, 2), 1);
    case 3: return set(g);
    case 4: {
        char cls[CLASS_MAX];
        return frozen(g, 0, cls, sizeof cls);
    }
    case 5:
    case 6: return instance(g, depth);
    default: return array(g, depth);
    }
}

jlp_val *randdoc_make(uint64_t seed, int joblib_arrays, jlp_doc **doc, const char **why) {
    static const int budgets[] = {5, 15, 40, 80};
    gen g;
    memset(&g, 0, sizeof g);
    g.s = seed;
    g.joblib = joblib_arrays;
    g.d = *doc = jlp_doc_new(NULL);
    *why = NULL;
    if (!g.d) {
        *why = "jlp_doc_new";
        return NULL;
    }
    g.budget = budgets[pick(&g, 4)];
    jlp_val *root = list(&g, 0);
    for (int i = 0; root && !g.why && g.budget > 0 && i < 6; i++) jlp_list_append(g.d, root, value(&g, 1));
    if (g.why || !root || jlp_doc_set_root(g.d, root) != JLP_OK) {
        *why = g.why ? g.why : "root";
        return NULL;
    }
    return root;
}
