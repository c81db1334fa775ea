/*
 * rules.c - what each reader event means for safety: the globals a reading resolves,
 * the calls it makes, and the rules that look at the arguments (codecs, numpy.memmap,
 * numpy's ufunc reconstructor, copyreg._reconstructor). spec/SAFETY.md section 6 lists
 * them with their reasons.
 */
#include "scan.h"

static const char *const text_codecs[] = {
    /* codecs that map text to text or bytes to text: anything else (base64, zlib, hex,
     * bz2, uu, quopri...) turns data into other data, the first step of a hidden payload */
    "utf_8", "utf8", "u8", "utf", "utf_8_sig", "latin_1", "latin1", "latin", "l1", "iso_8859_1",
    "iso8859_1", "8859", "cp819", "ascii", "us_ascii", "646", "utf_16", "utf16", "utf_16_le",
    "utf_16_be", "utf_32", "utf32", "utf_32_le", "utf_32_be", "raw_unicode_escape",
    "unicode_escape", "cp1252", "windows_1252",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int ev_depth(const jlp_event *ev) {
    return ev->depth < 0 ? 0 : ev->depth >= JLP__SCAN_DEPTH ? JLP__SCAN_DEPTH - 1 : ev->depth;
}

void jlp__reading_finding(jlp__reading_ctx *c, const jlp_event *ev, uint64_t offset, jlp_verdict v,
                          const char *module, size_t ml, const char *name, size_t nl,
                          const char *action, const char *reason) {
    int depth = ev ? ev_depth(ev) : 0;
    jlp__finding_in f = {
        .verdict = v, .reading = c->reading, .offset = offset, .depth = ev ? ev->depth : 0,
        .pickle = c->pickle, .nested_at = depth > 0 ? c->nested_at[depth] : UINT64_MAX,
        .module = module, .name = name, .ml = ml, .nl = nl, .action = action,
        .opcode = ev ? ev->name : NULL, .reason = reason, .file = NULL};
    jlp__report_add(c->r, &f);
}

static void global_name(jlp__buf *b, const jlp_val *g) {
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    jlp__buf_put(b, m, ml);
    jlp__buf_putc(b, '.');
    jlp__buf_put(b, n, nl);
}

/* A short description of a callable that is not a global. */
static void describe_computed(jlp__buf *b, const jlp_val *v) {
    if (jlp_get_type(v) == JLP_OBJECT) {
        const jlp_val *cl = jlp_obj_callable(v);
        if (jlp_get_type(cl) == JLP_GLOBAL) {
            jlp__buf_puts(b, jlp_obj_get_kind(v) == JLP_OBJ_REDUCE ? "the result of " : "an instance of ");
            global_name(b, cl);
            return;
        }
        jlp__buf_puts(b, "a computed object");
        return;
    }
    jlp__buf_puts(b, "a ");
    jlp__buf_puts(b, jlp_type_name(jlp_get_type(v)));
}

static bool is_text_codec(const char *s, size_t n) {
    char norm[40];
    if (n >= sizeof norm) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        norm[i] = ch == '-' || ch == ' ' ? '_' : (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    norm[n] = 0;
    for (size_t i = 0; i < COUNT(text_codecs); i++)
        if (!strcmp(norm, text_codecs[i])) return true;
    return false;
}

static bool name_is(const char *s, size_t n, const char *lit) {
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* A finding about the global g at event ev. */
static void global_finding(jlp__reading_ctx *c, const jlp_event *ev, const jlp_val *g, jlp_verdict v,
                           const char *action, const char *reason) {
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    jlp__reading_finding(c, ev, ev->offset, v, m, ml, n, nl, action, reason);
}

static jlp_verdict judge(jlp__reading_ctx *c, const jlp_val *g, jlp__buf *why) {
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    why->len = 0;
    return jlp__judge(c->policy, m, ml, n, nl, why);
}

/* Checks that depend on the arguments of a call. @return true when they decided. */
static bool call_checks(jlp__reading_ctx *c, const jlp_event *ev, const jlp_val *g) {
    const jlp_val *res = ev->value;
    const jlp_val *args = jlp_get_type(res) == JLP_OBJECT ? jlp_obj_args(res) : NULL;
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    jlp__buf *why = &c->why;
    bool codec_fn = (name_is(m, ml, "codecs") || name_is(m, ml, "_codecs")) &&
                    (name_is(n, nl, "decode") || name_is(n, nl, "encode"));
    if (codec_fn && args) {
        const jlp_val *enc = jlp_item(args, 1);
        size_t l;
        const char *s = jlp_get_str(enc, &l);
        if (!enc) return false; /* default utf-8 */
        why->len = 0;
        if (jlp_get_type(enc) != JLP_STR) {
            jlp__buf_printf(why, "%.*s.%.*s with a computed codec", (int)ml, m, (int)nl, n);
            global_finding(c, ev, g, JLP_VERDICT_DANGEROUS, "call", jlp__buf_cstr(why));
            return true;
        }
        if (!is_text_codec(s, l)) {
            jlp__buf_printf(why, "%.*s.%.*s with the non-text codec '%.*s' (decodes hidden data)", (int)ml, m,
                            (int)nl, n, (int)(l > 40 ? 40 : l), s);
            global_finding(c, ev, g, JLP_VERDICT_DANGEROUS, "call", jlp__buf_cstr(why));
            return true;
        }
        return false;
    }
    if (name_is(n, nl, "memmap") &&
        (name_is(m, ml, "numpy") || name_is(m, ml, "numpy.core.memmap") || name_is(m, ml, "numpy._core.memmap"))) {
        /* joblib names numpy.memmap as an array subclass, which is safe; calling it (its
         * __new__ included) opens, creates or truncates the file it is given */
        global_finding(c, ev, g, JLP_VERDICT_DANGEROUS, "call",
                       "numpy.memmap opens, creates or overwrites the file it is given");
        return true;
    }
    bool ufunc = (name_is(m, ml, "numpy.core") || name_is(m, ml, "numpy._core")) && name_is(n, nl, "_ufunc_reconstruct");
    if (ufunc && args) {
        const jlp_val *a0 = jlp_item(args, 0), *a1 = jlp_item(args, 1);
        if (jlp_get_type(a0) != JLP_STR || jlp_get_type(a1) != JLP_STR) {
            global_finding(c, ev, g, JLP_VERDICT_DANGEROUS, "call", "imports a computed name");
            return true;
        }
        size_t uml, unl;
        const char *um = jlp_get_str(a0, &uml), *un = jlp_get_str(a1, &unl);
        jlp__buf *r2 = &c->subj;
        r2->len = 0;
        jlp_verdict v = jlp__judge(c->policy, um, uml, un, unl, r2);
        if (v == JLP_VERDICT_SAFE) return false;
        why->len = 0;
        jlp__buf_printf(why, "imports and returns %.*s.%.*s: ", (int)(uml > 100 ? 100 : uml), um,
                        (int)(unl > 100 ? 100 : unl), un);
        jlp__buf_put(why, r2->data, r2->len);
        global_finding(c, ev, g, v, "call", jlp__buf_cstr(why));
        return true;
    }
    if (name_is(m, ml, "copyreg") && name_is(n, nl, "_reconstructor")) {
        /* _reconstructor(cls, base, state) calls base.__new__(cls, state) and, unless
         * base is object, base.__init__(obj, state): what runs is cls's and base's code */
        if (jlp_get_type(res) != JLP_OBJECT) return false;
        const jlp_val *cls = jlp_obj_callable(res), *base = args ? jlp_item(args, 0) : NULL;
        jlp_verdict worst = JLP_VERDICT_SAFE;
        jlp__buf text;
        jlp__buf_init(&text, NULL);
        for (int k = 0; k < 2; k++) {
            const jlp_val *x = k ? base : cls;
            if (!x) continue;
            if (jlp_get_type(x) != JLP_GLOBAL) {
                if (worst < JLP_VERDICT_SUSPICIOUS) {
                    text.len = 0;
                    jlp__buf_puts(&text, "builds an object with ");
                    describe_computed(&text, x);
                    jlp__buf_puts(&text, k ? " as base (its __new__ and __init__ run)" : " as class");
                    worst = JLP_VERDICT_SUSPICIOUS;
                }
                continue;
            }
            jlp_verdict v = judge(c, x, why);
            if (v > worst) {
                worst = v;
                text.len = 0;
                jlp__buf_puts(&text, "runs code of ");
                global_name(&text, x);
                jlp__buf_puts(&text, k ? " (base: __new__ and __init__): " : " (class: __new__): ");
                jlp__buf_put(&text, why->data, why->len);
            }
        }
        if (worst != JLP_VERDICT_SAFE) global_finding(c, ev, g, worst, "call", jlp__buf_cstr(&text));
        jlp__buf_release(&text);
        return worst != JLP_VERDICT_SAFE;
    }
    return false;
}

static bool is_call_op(int op) {
    return op == 'R' || op == 0x81 || op == 0x92 || op == 'o' || op == 'i';
}

/* The globals table entry of g (primary reading only). */
static jlp_scan_global *table_entry(jlp__reading_ctx *c, const jlp_val *g) {
    if (!c->primary) return NULL;
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    return jlp__report_global(c->r, c->policy, m, ml, n, nl);
}

void jlp__rules_event(jlp__reading_ctx *c, const jlp_event *ev) {
    if (ev->kind == JLP_EV_NESTED) {
        int d = ev_depth(ev) + 1;
        if (d < JLP__SCAN_DEPTH) c->nested_at[d] = ev->offset;
        return;
    }
    if (ev->kind != JLP_EV_OPCODE) return;
    int op = ev->opcode;
    if (op == 'c' || op == 0x93 || op == 'i') {
        const jlp_val *g = op == 'i' ? ev->callable : ev->value;
        if (jlp_get_type(g) == JLP_GLOBAL) {
            jlp_scan_global *e = table_entry(c, g);
            if (e) {
                e->named++;
                if (e->noffsets < 16) {
                    e->nested[e->noffsets] = ev->depth > 0;
                    e->offsets[e->noffsets++] = ev->offset;
                }
            }
            jlp_verdict v = judge(c, g, &c->why);
            global_finding(c, ev, g, v, "global", jlp__buf_cstr(&c->why));
        }
    }
    if (is_call_op(op)) {
        const jlp_val *cl = ev->callable;
        if (jlp_get_type(cl) == JLP_GLOBAL) {
            jlp_scan_global *e = table_entry(c, cl);
            if (e) e->called++;
            if (!call_checks(c, ev, cl)) {
                jlp_verdict v = judge(c, cl, &c->why);
                if (v != JLP_VERDICT_SAFE) global_finding(c, ev, cl, v, "call", jlp__buf_cstr(&c->why));
            }
        } else {
            c->subj.len = 0;
            describe_computed(&c->subj, cl);
            jlp__buf_puts(&c->subj, ": a callable computed by the pickle (a gadget chain)");
            jlp__reading_finding(c, ev, ev->offset, JLP_VERDICT_SUSPICIOUS, "", 0, "", 0, "call",
                                 jlp__buf_cstr(&c->subj));
        }
    }
    if (op == 0x82 || op == 0x83 || op == 0x84) {
        c->subj.len = 0;
        jlp__buf_printf(&c->subj, "code %lld: resolved through copyreg's extension registry at load time",
                        (long long)jlp_ext_code(ev->value));
        jlp__reading_finding(c, ev, ev->offset, JLP_VERDICT_SUSPICIOUS, "", 0, "", 0, "ext", jlp__buf_cstr(&c->subj));
    }
    if (op == 'P' || op == 'Q') {
        jlp__reading_finding(c, ev, ev->offset, JLP_VERDICT_SUSPICIOUS, "", 0, "", 0, "persid",
                             "the loader's persistent_load decides what it becomes");
    }
}
