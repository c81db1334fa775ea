/*
 * reconstruct.c - the exact allowlist of globals whose REDUCE is rebuilt natively, and
 * Python 3's renaming of Python 2 names. Every other callable stays an inert object.
 * Matching is on the exact (module, qualname) pair: a dotted prefix never matches.
 *
 * The argument shapes accepted are the ones Python's pickler writes:
 *   builtins.set(), set(seq)            -> set          (protocols 0-3 write sets so)
 *   builtins.frozenset(), frozenset(seq)-> frozenset
 *   builtins.bytes(), bytes(b)          -> bytes        (protocol 2 writes b'' as bytes())
 *   builtins.bytearray(), (b), (s, 'latin-1') -> bytearray
 *   builtins.complex(re[, im])          -> complex
 *   collections.OrderedDict()           -> dict         (SETITEMS then fill it)
 *   copyreg._reconstructor(cls, base, state) -> object of class cls
 *   copyreg.__newobj__(cls, *args)      -> object (as NEWOBJ)
 *   copyreg.__newobj_ex__(cls, args, kwargs) -> object (as NEWOBJ_EX)
 *   _codecs.encode(s, 'latin1')         -> bytes        (protocol 0-2 bytes)
 * Other argument shapes leave the call inert.
 */
#include "vm.h"

#include "compat_names.h"
#include "../numpy/numpy.h"

#include <stdlib.h>

static int cmp_str(const char *a, size_t al, const char *b) {
    size_t bl = strlen(b);
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

/* Binary search of a name table, then of a module table (both sorted by the key). */
static void rename_with(const struct jlp__compat_entry *names, size_t nnames,
                        const struct jlp__compat_module *mods, size_t nmods, const char **mod,
                        size_t *mod_len, const char **name, size_t *name_len) {
    size_t lo = 0, hi = nnames;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct jlp__compat_entry *e = &names[mid];
        int c = cmp_str(*mod, *mod_len, e->old_mod);
        if (!c) c = cmp_str(*name, *name_len, e->old_name);
        if (!c) {
            *mod = e->new_mod;
            *mod_len = strlen(e->new_mod);
            *name = e->new_name;
            *name_len = strlen(e->new_name);
            return;
        }
        if (c < 0) hi = mid; else lo = mid + 1;
    }
    lo = 0;
    hi = nmods;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_str(*mod, *mod_len, mods[mid].old_mod);
        if (!c) {
            *mod = mods[mid].new_mod;
            *mod_len = strlen(*mod);
            return;
        }
        if (c < 0) hi = mid; else lo = mid + 1;
    }
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

void jlp__compat_name(const char **mod, size_t *mod_len, const char **name, size_t *name_len) {
    rename_with(jlp__compat_names, COUNT(jlp__compat_names), jlp__compat_modules, COUNT(jlp__compat_modules),
                mod, mod_len, name, name_len);
}

void jlp__compat_reverse(const char **mod, size_t *mod_len, const char **name, size_t *name_len) {
    rename_with(jlp__compat_reverse_names, COUNT(jlp__compat_reverse_names), jlp__compat_reverse_modules,
                COUNT(jlp__compat_reverse_modules), mod, mod_len, name, name_len);
}

static bool is_seq_like(const jlp_val *v) {
    return v->type == JLP_LIST || v->type == JLP_TUPLE || v->type == JLP_SET ||
           v->type == JLP_FROZENSET;
}

bool jlp__is_latin1_name(const jlp_val *v) {
    return jlp_str_eq(v, "latin1") || jlp_str_eq(v, "latin-1");
}

jlp_val *jlp__latin1_encode(jlp_doc *doc, const jlp_val *s, jlp_type t, bool *inert) {
    const uint8_t *p = (const uint8_t *)s->u.s.p;
    size_t n = s->u.s.n, o = 0, i = 0;
    uint8_t *out = jlp__doc_alloc(doc, n + 1);
    if (!out) return NULL;
    /* s is valid UTF-8 (a str node): a byte from 0xC0 is a lead followed by its
     * continuation (0x80-0xBF), and a lead from 0xC4 (a code point past U+00FF) is the
     * only refusal. Bytes (protocol 2 writes them as this text) are random, so nothing
     * here is branched on per byte: every byte but a continuation yields one output
     * byte, written at o whatever it is (a continuation's write is overwritten by the
     * next one) with o advanced by whether it was one; each step depends on no earlier
     * step's load. Branching on lead or ASCII took a mispredicted branch every other
     * byte, and stepping i by the sequence's length chained every load to the last. */
    unsigned top;
    i = jlp__latin1_from_utf8_wide(out, p, n, &o, &top);
    unsigned bad = top >= 0xC4u;
    /* Eight bytes at a time: a word of ASCII (array data of small numbers, zeros) is
     * copied whole, any other word goes byte by byte (random bytes: the word test is
     * then almost never passed, so it is a branch predicted right). */
    while (i + 8 < n) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (!(w & 0x8080808080808080ull)) {
            memcpy(out + o, &w, 8);
            o += 8;
            i += 8;
            continue;
        }
        for (size_t end = i + 8; i < end; i++) {
            unsigned c = p[i], pick = 0u - (c >> 7); /* all ones from 0x80 */
            unsigned two = ((c & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
            out[o] = (uint8_t)((two & pick) | (c & ~pick));
            o += (c & 0xC0u) != 0x80u;
            bad |= c >= 0xC4u;
        }
    }
    for (; i + 1 < n; i++) {
        unsigned c = p[i], pick = 0u - (c >> 7);
        unsigned two = ((c & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
        out[o] = (uint8_t)((two & pick) | (c & ~pick));
        o += (c & 0xC0u) != 0x80u;
        bad |= c >= 0xC4u;
    }
    if (i < n) {
        unsigned c = p[i];
        if ((c & 0xC0u) != 0x80u) {
            bad |= c >= 0x80u;
            out[o++] = (uint8_t)c;
        }
    }
    if (bad) goto refuse;
    out[o] = 0;
    jlp_val *v = jlp__new_val(doc, t);
    if (v) { v->u.s.p = (const char *)out; v->u.s.n = o; }
    return v;
refuse:
    *inert = true;
    return NULL;
}

static jlp_val *copy_bytes(jlp__vm *m, const jlp_val *b, jlp_type t) {
    return jlp__new_bytes_copy(m->doc, t, b->u.s.p, b->u.s.n);
}

static bool is_number(const jlp_val *v) { return v->type == JLP_INT || v->type == JLP_FLOAT; }

jlp_code jlp__reduce(jlp__vm *m, jlp_val *fn, jlp_val *args, jlp_val **out) {
    size_t n = args->u.seq.n;
    jlp_val *const *a = args->u.seq.v;
    jlp_val *r = NULL;
    bool inert = false;

    jlp__np np = jlp__vm_np(m);
    jlp_code c = jlp__numpy_reduce(&np, fn, args, &r);
    if (c) return c;
    if (r) {
        *out = r;
        return JLP_OK;
    }
    if (fn->type == JLP_GLOBAL) {
        if (JLP__GLOBAL_IS(fn, "builtins", "set") || JLP__GLOBAL_IS(fn, "builtins", "frozenset")) {
            jlp_type t = fn->u.g.name[0] == 's' ? JLP_SET : JLP_FROZENSET;
            if (n == 0) r = jlp__new_seq(m->doc, t, NULL, 0);
            else if (n == 1 && is_seq_like(a[0])) {
                r = jlp__new_seq(m->doc, t, a[0]->u.seq.v, a[0]->u.seq.n);
                jlp__note_keys(m, a[0]->u.seq.v, a[0]->u.seq.n, 1);
            }
            else inert = true;
        } else if (JLP__GLOBAL_IS(fn, "builtins", "bytes")) {
            if (n == 0) r = jlp__new_bytes_copy(m->doc, JLP_BYTES, "", 0);
            else if (n == 1 && a[0]->type == JLP_BYTES) r = copy_bytes(m, a[0], JLP_BYTES);
            else inert = true;
        } else if (JLP__GLOBAL_IS(fn, "builtins", "bytearray")) {
            if (n == 0) r = jlp__new_bytes_copy(m->doc, JLP_BYTEARRAY, "", 0);
            else if (n == 1 && a[0]->type == JLP_BYTES) r = copy_bytes(m, a[0], JLP_BYTEARRAY);
            else if (n == 2 && a[0]->type == JLP_STR && jlp__is_latin1_name(a[1]))
                r = jlp__latin1_encode(m->doc, a[0], JLP_BYTEARRAY, &inert);
            else inert = true;
        } else if (JLP__GLOBAL_IS(fn, "builtins", "complex")) {
            if ((n == 1 || n == 2) && is_number(a[0]) && (n == 1 || is_number(a[1]))) {
                r = jlp__new_val(m->doc, JLP_COMPLEX);
                if (r) {
                    r->u.c.re = jlp_get_float(a[0]);
                    r->u.c.im = n == 2 ? jlp_get_float(a[1]) : 0.0;
                }
            } else inert = true;
        } else if (JLP__GLOBAL_IS(fn, "collections", "OrderedDict")) {
            if (n == 0) r = jlp__new_seq(m->doc, JLP_DICT, NULL, 0);
            else inert = true;
            if (r) r->flags |= JLP_VF_ORDERED; /* written back as an OrderedDict */
        } else if (JLP__GLOBAL_IS(fn, "copyreg", "_reconstructor")) {
            if (n == 3) {
                jlp_val *rest = jlp__new_seq(m->doc, JLP_TUPLE, a + 1, 2);
                r = rest ? jlp__new_object(m->doc, JLP_OBJ_RECONSTRUCTOR, a[0], rest) : NULL;
            } else inert = true;
        } else if (JLP__GLOBAL_IS(fn, "copyreg", "__newobj__")) {
            /* cls.__new__(cls, *args): what NEWOBJ does, spelled as a call */
            if (n >= 1) {
                jlp_val *rest = jlp__new_seq(m->doc, JLP_TUPLE, a + 1, n - 1);
                r = rest ? jlp__new_object(m->doc, JLP_OBJ_NEWOBJ, a[0], rest) : NULL;
            } else inert = true;
        } else if (JLP__GLOBAL_IS(fn, "copyreg", "__newobj_ex__")) {
            if (n == 3 && a[1]->type == JLP_TUPLE && a[2]->type == JLP_DICT) {
                r = jlp__new_object(m->doc, JLP_OBJ_NEWOBJ_EX, a[0], a[1]);
                if (r) r->u.obj->kwargs = a[2]->u.seq.n ? a[2] : NULL;
            } else inert = true;
        } else if (JLP__GLOBAL_IS(fn, "_codecs", "encode")) {
            if (n == 2 && a[0]->type == JLP_STR && jlp__is_latin1_name(a[1]))
                r = jlp__latin1_encode(m->doc, a[0], JLP_BYTES, &inert);
            else inert = true;
        } else {
            inert = true;
        }
    } else {
        inert = true;
    }
    if (inert) r = jlp__new_object(m->doc, JLP_OBJ_REDUCE, fn, args);
    if (!r) return jlp__vm_nomem(m);
    *out = r;
    return JLP_OK;
}
