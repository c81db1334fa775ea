/*
 * build.c - the public constructors and editors of documents (numpy values: numpy/
 * build.c). They reuse the node constructors the unpickler uses, so a built document and
 * a loaded one are the same kind of thing and dump the same way. Every failure is also
 * kept in the document for jlp_doc_error.
 */
#include "doc.h"

#include "bigint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

jlp_doc *jlp_doc_new(const jlp_alc *alc) {
    bool hit = false;
    jlp_doc *d = jlp__doc_new(jlp__alc_or_default(alc), 0, &hit);
    if (d) d->container = "none";
    return d;
}

jlp_code jlp_doc_set_root(jlp_doc *doc, jlp_val *root) {
    if (!doc) return JLP_E_INVALID_ARG;
    doc->root = root;
    return JLP_OK;
}

/* ---- failures ----------------------------------------------------------------------- */

/* A constructor's allocation failed: NOMEM, or LIMIT when it was the document's budget. */
static jlp_val *no_room(jlp_doc *doc, const char *what) {
    jlp__doc_note(doc, jlp__doc_limit_hit(doc) ? JLP_E_LIMIT : JLP_E_NOMEM, "%s: %s", what,
                  jlp__doc_limit_hit(doc) ? "the document's limits.max_alloc is reached" : "out of memory");
    return NULL;
}

/* The result of a constructor: itself, or NULL with the allocation failure noted. */
static jlp_val *made(jlp_doc *doc, jlp_val *v, const char *what) { return v ? v : no_room(doc, what); }

JLP_PRINTF(3, 4)
static jlp_val *refuse(jlp_doc *doc, jlp_code code, const char *fmt, ...) {
    if (!doc) return NULL;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jlp__doc_note(doc, code, "%s", msg);
    return NULL;
}

/* An editing call's failure: noted, and returned. */
JLP_PRINTF(3, 4)
static jlp_code failed(jlp_doc *doc, jlp_code code, const char *fmt, ...) {
    if (!doc) return code;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jlp__doc_note(doc, code, "%s", msg);
    return code;
}

static jlp_code append_failed(jlp_doc *doc, const char *what) {
    no_room(doc, what);
    return jlp__doc_limit_hit(doc) ? JLP_E_LIMIT : JLP_E_NOMEM;
}

jlp_code jlp_doc_error(jlp_doc *doc, jlp_error *err) {
    jlp__clear(err);
    if (!doc) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL document");
    jlp_code c = doc->error.code;
    if (err) *err = doc->error;
    jlp__clear(&doc->error);
    return c;
}

/* ---- scalars ------------------------------------------------------------------------ */

jlp_val *jlp_new_none(jlp_doc *doc) { return doc ? made(doc, jlp__new_none(doc), "jlp_new_none") : NULL; }
jlp_val *jlp_new_bool(jlp_doc *doc, int b) { return doc ? made(doc, jlp__new_bool(doc, b != 0), "jlp_new_bool") : NULL; }
jlp_val *jlp_new_int(jlp_doc *doc, int64_t i) { return doc ? made(doc, jlp__new_int(doc, i), "jlp_new_int") : NULL; }
jlp_val *jlp_new_float(jlp_doc *doc, double f) { return doc ? made(doc, jlp__new_float(doc, f), "jlp_new_float") : NULL; }

jlp_val *jlp_new_bigint(jlp_doc *doc, const uint8_t *bytes, size_t len) {
    if (!doc) return NULL;
    if (!bytes && len) return refuse(doc, JLP_E_INVALID_ARG, "jlp_new_bigint: NULL bytes with a length");
    int64_t i;
    if (jlp__bigint_to_i64(bytes, len, &i)) return made(doc, jlp__new_int(doc, i), "jlp_new_bigint");
    return made(doc, jlp__new_bytes_copy(doc, JLP_BIGINT, bytes, jlp__bigint_minlen(bytes, len)), "jlp_new_bigint");
}

jlp_val *jlp_new_complex(jlp_doc *doc, double re, double im) {
    jlp_val *v = doc ? made(doc, jlp__new_val(doc, JLP_COMPLEX), "jlp_new_complex") : NULL;
    if (v) {
        v->u.c.re = re;
        v->u.c.im = im;
    }
    return v;
}

/* Mark a value as made here: the writer may then recognise it by value where Python
 * would hold one shared object (interned strings, classes, builtin dtypes). */
static jlp_val *built(jlp_val *v) {
    if (v) v->flags |= JLP_VF_BUILT;
    return v;
}

jlp_val *jlp_new_str(jlp_doc *doc, const char *s, size_t len) {
    if (!doc) return NULL;
    if (!s && len) return refuse(doc, JLP_E_INVALID_ARG, "jlp_new_str: NULL text with a length");
    size_t ok = jlp__utf8_valid_prefix((const uint8_t *)s, len);
    if (ok != len) return refuse(doc, JLP_E_BAD_UTF8, "jlp_new_str: not UTF-8 at byte %zu", ok);
    return made(doc, built(jlp__new_bytes_copy(doc, JLP_STR, s ? s : "", len)), "jlp_new_str");
}

jlp_val *jlp_new_strz(jlp_doc *doc, const char *s) {
    return s ? jlp_new_str(doc, s, strlen(s)) : refuse(doc, JLP_E_INVALID_ARG, "jlp_new_strz: NULL text");
}

jlp_val *jlp_new_bytes(jlp_doc *doc, const void *p, size_t len) {
    if (!doc) return NULL;
    if (!p && len) return refuse(doc, JLP_E_INVALID_ARG, "jlp_new_bytes: NULL bytes with a length");
    return made(doc, built(jlp__new_bytes_copy(doc, JLP_BYTES, p ? p : "", len)), "jlp_new_bytes");
}

jlp_val *jlp_new_bytearray(jlp_doc *doc, const void *p, size_t len) {
    if (!doc) return NULL;
    if (!p && len) return refuse(doc, JLP_E_INVALID_ARG, "jlp_new_bytearray: NULL bytes with a length");
    return made(doc, jlp__new_bytes_copy(doc, JLP_BYTEARRAY, p ? p : "", len), "jlp_new_bytearray");
}

/* ---- containers --------------------------------------------------------------------- */

/* Whether `items` holds n values (NULL allowed when n is 0). */
static bool items_ok(jlp_doc *doc, jlp_val *const *items, size_t n, const char *what) {
    if (n && !items) return refuse(doc, JLP_E_INVALID_ARG, "%s: NULL items", what), false;
    for (size_t i = 0; i < n; i++)
        if (!items[i]) return refuse(doc, JLP_E_INVALID_ARG, "%s: item %zu is NULL", what, i), false;
    return true;
}

jlp_val *jlp_new_tuple(jlp_doc *doc, jlp_val *const *items, size_t n) {
    if (!doc || !items_ok(doc, items, n, "jlp_new_tuple")) return NULL;
    return made(doc, jlp__new_seq(doc, JLP_TUPLE, items, n), "jlp_new_tuple");
}
jlp_val *jlp_new_frozenset(jlp_doc *doc, jlp_val *const *items, size_t n) {
    if (!doc || !items_ok(doc, items, n, "jlp_new_frozenset")) return NULL;
    return made(doc, jlp__new_seq(doc, JLP_FROZENSET, items, n), "jlp_new_frozenset");
}
jlp_val *jlp_new_list(jlp_doc *doc) { return doc ? made(doc, jlp__new_seq(doc, JLP_LIST, NULL, 0), "jlp_new_list") : NULL; }
jlp_val *jlp_new_dict(jlp_doc *doc) { return doc ? made(doc, jlp__new_seq(doc, JLP_DICT, NULL, 0), "jlp_new_dict") : NULL; }
jlp_val *jlp_new_set(jlp_doc *doc) { return doc ? made(doc, jlp__new_seq(doc, JLP_SET, NULL, 0), "jlp_new_set") : NULL; }

jlp_code jlp_list_append(jlp_doc *doc, jlp_val *list, jlp_val *item) {
    if (!doc) return JLP_E_INVALID_ARG;
    if (!list || !item || (list->type != JLP_LIST && list->type != JLP_SET))
        return failed(doc, JLP_E_INVALID_ARG, "jlp_list_append: NULL item, or not a list or set");
    return jlp__seq_append(doc, list, &item, 1) ? JLP_OK : append_failed(doc, "jlp_list_append");
}

jlp_code jlp_list_set(jlp_doc *doc, jlp_val *list, size_t i, jlp_val *item) {
    if (!doc) return JLP_E_INVALID_ARG;
    if (!list || !item || list->type != JLP_LIST) return failed(doc, JLP_E_INVALID_ARG, "jlp_list_set: NULL item, or not a list");
    if (i >= list->u.seq.n) return failed(doc, JLP_E_INVALID_ARG, "jlp_list_set: index %zu past the end", i);
    list->u.seq.v[i] = item;
    return JLP_OK;
}

jlp_code jlp_list_del(jlp_doc *doc, jlp_val *list, size_t i) {
    if (!doc) return JLP_E_INVALID_ARG;
    if (!list || list->type != JLP_LIST) return failed(doc, JLP_E_INVALID_ARG, "jlp_list_del: not a list");
    if (i >= list->u.seq.n) return failed(doc, JLP_E_NOT_FOUND, "jlp_list_del: index %zu past the end", i);
    memmove(list->u.seq.v + i, list->u.seq.v + i + 1, (list->u.seq.n - i - 1) * sizeof *list->u.seq.v);
    list->u.seq.n--;
    return JLP_OK;
}

/* The pair index of str key `key` (n bytes) in a dict, or SIZE_MAX. */
static size_t find_str_key(const jlp_val *dict, const char *key, size_t n) {
    for (size_t i = 0; i < dict->u.seq.n; i++) {
        const jlp_val *k = dict->u.seq.v[2 * i];
        if (k->type == JLP_STR && k->u.s.n == n && !memcmp(k->u.s.p, key, n)) return i;
    }
    return SIZE_MAX;
}

jlp_code jlp_dict_set(jlp_doc *doc, jlp_val *dict, jlp_val *key, jlp_val *value) {
    if (!doc) return JLP_E_INVALID_ARG;
    if (!dict || !key || !value || dict->type != JLP_DICT)
        return failed(doc, JLP_E_INVALID_ARG, "jlp_dict_set: NULL key or value, or not a dict");
    size_t i = key->type == JLP_STR ? find_str_key(dict, key->u.s.p, key->u.s.n) : SIZE_MAX;
    if (i != SIZE_MAX) {
        dict->u.seq.v[2 * i + 1] = value;
        return JLP_OK;
    }
    jlp_val *kv[2] = {key, value};
    return jlp__seq_append(doc, dict, kv, 1) ? JLP_OK : append_failed(doc, "jlp_dict_set");
}

jlp_code jlp_dict_set_str(jlp_doc *doc, jlp_val *dict, const char *key, jlp_val *value) {
    if (!doc) return JLP_E_INVALID_ARG;
    jlp_val *k = jlp_new_strz(doc, key);
    return k ? jlp_dict_set(doc, dict, k, value) : doc->error.code ? doc->error.code : JLP_E_INVALID_ARG;
}

/* Remove pair `i` of a dict, keeping the order of the others. */
static void dict_remove(jlp_val *dict, size_t i) {
    jlp_val **v = dict->u.seq.v;
    memmove(v + 2 * i, v + 2 * i + 2, (dict->u.seq.n - i - 1) * 2 * sizeof *v);
    dict->u.seq.n--;
}

jlp_code jlp_dict_del(jlp_doc *doc, jlp_val *dict, const char *key) {
    if (!doc) return JLP_E_INVALID_ARG;
    if (!dict || !key || dict->type != JLP_DICT) return failed(doc, JLP_E_INVALID_ARG, "jlp_dict_del: NULL key, or not a dict");
    size_t i = find_str_key(dict, key, strlen(key));
    if (i == SIZE_MAX) return failed(doc, JLP_E_NOT_FOUND, "jlp_dict_del: no key '%.60s'", key);
    dict_remove(dict, i);
    return JLP_OK;
}

/* ---- globals and objects ------------------------------------------------------------ */

jlp_val *jlp_new_global(jlp_doc *doc, const char *module, const char *qualname) {
    if (!doc) return NULL;
    if (!module || !qualname || !*module || !*qualname)
        return refuse(doc, JLP_E_INVALID_ARG, "jlp_new_global: NULL or empty module or name");
    size_t ml = strlen(module), nl = strlen(qualname);
    if (jlp__utf8_valid_prefix((const uint8_t *)module, ml) != ml ||
        jlp__utf8_valid_prefix((const uint8_t *)qualname, nl) != nl)
        return refuse(doc, JLP_E_BAD_UTF8, "jlp_new_global: module or name not UTF-8");
    if (memchr(module, '\n', ml) || memchr(qualname, '\n', nl))
        return refuse(doc, JLP_E_INVALID_ARG, "jlp_new_global: a newline in the module or name");
    return made(doc, built(jlp__new_global(doc, module, ml, qualname, nl)), "jlp_new_global");
}

jlp_val *jlp_new_object_ex(jlp_doc *doc, jlp_val *cls, jlp_val *args, jlp_val *kwargs, jlp_val *state) {
    if (!doc) return NULL;
    if (!cls || (args && args->type != JLP_TUPLE) || (kwargs && kwargs->type != JLP_DICT))
        return refuse(doc, JLP_E_INVALID_ARG, "jlp_new_object: NULL class, args not a tuple or kwargs not a dict");
    jlp_val *o = made(doc, jlp__new_object(doc, kwargs ? JLP_OBJ_NEWOBJ_EX : JLP_OBJ_NEWOBJ, cls, args), "jlp_new_object");
    if (o) {
        o->u.obj->kwargs = kwargs;
        o->u.obj->state = state;
    }
    return o;
}

jlp_val *jlp_new_object(jlp_doc *doc, jlp_val *cls, jlp_val *args, jlp_val *state) {
    return jlp_new_object_ex(doc, cls, args, NULL, state);
}

jlp_val *jlp_new_call(jlp_doc *doc, jlp_val *callable, jlp_val *args) {
    if (!doc) return NULL;
    if (!callable || (args && args->type != JLP_TUPLE))
        return refuse(doc, JLP_E_INVALID_ARG, "jlp_new_call: NULL callable or args not a tuple");
    return made(doc, jlp__new_object(doc, JLP_OBJ_REDUCE, callable, args), "jlp_new_call");
}

jlp_val *jlp_new_persid(jlp_doc *doc, jlp_val *value) {
    if (!doc) return NULL;
    if (!value) return refuse(doc, JLP_E_INVALID_ARG, "jlp_new_persid: NULL value");
    jlp_val *v = made(doc, jlp__new_val(doc, JLP_PERSID), "jlp_new_persid");
    if (v) v->u.ref = value;
    return v;
}

jlp_val *jlp_new_ext(jlp_doc *doc, int64_t code) {
    if (!doc) return NULL;
    /* EXT4 carries a signed 32-bit code; copyreg accepts 1 to 2**31 - 1 */
    if (code < 1 || code > INT32_MAX) return refuse(doc, JLP_E_INVALID_ARG, "jlp_new_ext: code %lld is not in 1..2**31-1", (long long)code);
    jlp_val *v = made(doc, jlp__new_val(doc, JLP_EXT), "jlp_new_ext");
    if (v) v->u.i = code;
    return v;
}

jlp_code jlp_obj_set_state(jlp_doc *doc, jlp_val *obj, jlp_val *state) {
    if (!doc) return JLP_E_INVALID_ARG;
    if (!obj || obj->type != JLP_OBJECT) return failed(doc, JLP_E_INVALID_ARG, "jlp_obj_set_state: not an object");
    obj->u.obj->state = state;
    return JLP_OK;
}

static jlp_code obj_slot(jlp_doc *doc, jlp_val *obj, bool pairs, jlp_val **slot) {
    if (!doc) return JLP_E_INVALID_ARG;
    if (!obj || obj->type != JLP_OBJECT) return failed(doc, JLP_E_INVALID_ARG, "not an object");
    jlp_val **p = pairs ? &obj->u.obj->dictitems : &obj->u.obj->items;
    if (!*p) *p = jlp__new_seq(doc, pairs ? JLP_DICT : JLP_LIST, NULL, 0);
    if (!*p) return append_failed(doc, pairs ? "jlp_obj_set_dictitem" : "jlp_obj_append_item");
    *slot = *p;
    return JLP_OK;
}

jlp_code jlp_obj_append_item(jlp_doc *doc, jlp_val *obj, jlp_val *item) {
    jlp_val *list;
    jlp_code c = item ? obj_slot(doc, obj, false, &list) : failed(doc, JLP_E_INVALID_ARG, "jlp_obj_append_item: NULL item");
    return c ? c : jlp_list_append(doc, list, item);
}

jlp_code jlp_obj_set_dictitem(jlp_doc *doc, jlp_val *obj, jlp_val *key, jlp_val *value) {
    jlp_val *dict;
    jlp_code c = key && value ? obj_slot(doc, obj, true, &dict)
                              : failed(doc, JLP_E_INVALID_ARG, "jlp_obj_set_dictitem: NULL key or value");
    return c ? c : jlp_dict_set(doc, dict, key, value);
}

jlp_code jlp_obj_set_attr(jlp_doc *doc, jlp_val *obj, const char *name, jlp_val *value) {
    if (!doc) return JLP_E_INVALID_ARG;
    if (!obj || obj->type != JLP_OBJECT || !name || !value)
        return failed(doc, JLP_E_INVALID_ARG, "jlp_obj_set_attr: not an object, or NULL name or value");
    jlp__obj *o = obj->u.obj;
    const jlp_val *d, *slots;
    jlp__obj_attr_dicts(obj, &d, &slots);
    /* an attribute held in the slots stays there */
    if (slots && find_str_key(slots, name, strlen(name)) != SIZE_MAX)
        return jlp_dict_set_str(doc, (jlp_val *)(uintptr_t)slots, name, value);
    if (!d) {
        bool none = !o->state || o->state->type == JLP_NONE;
        if (!none && !slots)
            return failed(doc, JLP_E_BAD_TYPE, "jlp_obj_set_attr: the object's state is %s, not a dict",
                          jlp__a_type(o->state));
        jlp_val *nd = jlp__new_seq(doc, JLP_DICT, NULL, 0);
        if (!nd) return append_failed(doc, "jlp_obj_set_attr");
        if (slots) { /* (None, slots) becomes (dict, slots), in a new tuple: it may be shared */
            jlp_val *pair[2] = {nd, (jlp_val *)(uintptr_t)slots};
            jlp_val *t = jlp__new_seq(doc, JLP_TUPLE, pair, 2);
            if (!t) return append_failed(doc, "jlp_obj_set_attr");
            o->state = t;
        } else {
            o->state = nd;
        }
        d = nd;
    }
    return jlp_dict_set_str(doc, (jlp_val *)(uintptr_t)d, name, value);
}

jlp_code jlp_obj_del_attr(jlp_doc *doc, jlp_val *obj, const char *name) {
    if (!doc) return JLP_E_INVALID_ARG;
    if (!obj || obj->type != JLP_OBJECT || !name) return failed(doc, JLP_E_INVALID_ARG, "jlp_obj_del_attr: not an object, or NULL name");
    const jlp_val *dicts[2];
    jlp__obj_attr_dicts(obj, &dicts[0], &dicts[1]);
    for (int k = 0; k < 2; k++) {
        size_t i = dicts[k] ? find_str_key(dicts[k], name, strlen(name)) : SIZE_MAX;
        if (i != SIZE_MAX) {
            dict_remove((jlp_val *)(uintptr_t)dicts[k], i);
            return JLP_OK;
        }
    }
    return failed(doc, JLP_E_NOT_FOUND, "jlp_obj_del_attr: no attribute '%.60s'", name);
}
