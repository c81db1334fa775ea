/*
 * rules.c - what each event of a reading means for safety (spec/SAFETY.md section 6):
 * the globals it resolves (judged by name, policy.c), the calls it makes with the
 * arguments they get, the state it gives objects, joblib's wrappers, and, for every
 * reading but the primary one, the effects the primary reading does not have at the
 * same place (divergences).
 */
#include "scan.h"

#include "../numpy/numpy.h"

#include <ctype.h>
#include <stdlib.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Values of an argument tree examined for an object fed to an array constructor. */
#define ARG_WALK_MAX 256

static int ev_depth(const jlp_event *ev) {
    return ev->depth < 0 ? 0 : ev->depth >= JLP__SCAN_DEPTH ? JLP__SCAN_DEPTH - 1 : ev->depth;
}

static bool str_is(const char *s, size_t n, const char *lit) {
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* ---- findings and effects ----------------------------------------------------------- */

static void finding_at(jlp__reading_ctx *c, int depth, const char *opcode, uint64_t offset, jlp_verdict v,
                       const char *module, size_t ml, const char *name, size_t nl, const char *action,
                       const char *reason) {
    int d = depth < 0 ? 0 : depth >= JLP__SCAN_DEPTH ? JLP__SCAN_DEPTH - 1 : depth;
    jlp__finding_in f = {
        .verdict = v, .reading = c->reading, .offset = offset, .depth = depth, .pickle = c->pickle,
        .nested_at = d > 0 ? c->nested_at[d] : UINT64_MAX, .module = module, .name = name, .ml = ml,
        .nl = nl, .action = action, .opcode = opcode, .reason = reason, .file = c->file};
    jlp__report_add(c->r, &f);
}

void jlp__reading_finding(jlp__reading_ctx *c, const jlp_event *ev, uint64_t offset, jlp_verdict v,
                          const char *module, size_t ml, const char *name, size_t nl,
                          const char *action, const char *reason) {
    finding_at(c, ev ? ev->depth : 0, ev ? ev->name : NULL, offset, v, module, ml, name, nl, action, reason);
}

static uint64_t effect_key(uint64_t offset, int opcode, const char *m, size_t ml, const char *n, size_t nl) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < 8; i++) h = (h ^ ((offset >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
    h = (h ^ (unsigned)(opcode & 0xff)) * 0x100000001b3ULL;
    for (size_t i = 0; i < ml; i++) h = (h ^ (unsigned char)m[i]) * 0x100000001b3ULL;
    h = (h ^ 0x1ff) * 0x100000001b3ULL;
    for (size_t i = 0; i < nl; i++) h = (h ^ (unsigned char)n[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1;
}

void jlp__reading_effect(jlp__reading_ctx *c, const jlp_event *ev, uint64_t offset, int opcode,
                         const char *module, size_t ml, const char *name, size_t nl, jlp_verdict v) {
    jlp__scan *s = c->s;
    if (!s || c->reading == JLP_READING_NUMPY) return; /* a companion has no other reading */
    uint64_t key = effect_key(offset, opcode, module, ml, name, nl);
    if (c->primary) {
        if (!jlp__keyset_add(&s->actions, key)) s->nomem = true;
        return;
    }
    if (jlp__keyset_has(&s->actions, key)) return;
    /* the primary reading has no such effect here: what are these bytes to it? */
    const jlp__range *in = NULL;
    for (size_t i = 0; i < s->nranges; i++)
        if (offset >= s->ranges[i].start && offset < s->ranges[i].end) in = &s->ranges[i];
    const char *prim = jlp_reading_name(s->primary);
    c->subj.len = 0;
    jlp_verdict dv = v > JLP_VERDICT_SUSPICIOUS ? v : JLP_VERDICT_SUSPICIOUS;
    if (in && in->nested) {
        /* an object array's pickle: opcodes to both, but pickle.load shares the outer
         * memo, so references resolve to other values; every call is judged anyway */
        dv = v;
        jlp__buf_printf(&c->subj, "%s reads the nested pickle at %llu with the outer pickle's memo, so this "
                        "effect differs from %s's", jlp_reading_name(c->reading), (unsigned long long)in->start, prim);
    } else if (in) {
        jlp__buf_printf(&c->subj, "%s runs this opcode in bytes %llu..%llu, which %s reads as array data",
                        jlp_reading_name(c->reading), (unsigned long long)in->start, (unsigned long long)in->end, prim);
    } else if (offset >= s->primary_stop) {
        jlp__buf_printf(&c->subj, "%s runs this opcode after byte %llu, where %s stops with an error",
                        jlp_reading_name(c->reading), (unsigned long long)s->primary_stop, prim);
    } else {
        jlp__buf_printf(&c->subj, "%s reads these bytes otherwise than %s (a divergence between the readings)",
                        jlp_reading_name(c->reading), prim);
    }
    if (v > JLP_VERDICT_SAFE) jlp__buf_puts(&c->subj, ", and the effect is not safe");
    finding_at(c, ev ? ev->depth : 0, ev ? ev->name : NULL, offset, dv, module, ml, name, nl, "divergence",
               jlp__buf_cstr(&c->subj));
}

/* ---- names -------------------------------------------------------------------------- */

static void global_name(jlp__buf *b, const jlp_val *g) {
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    jlp__buf_put(b, m, ml);
    jlp__buf_putc(b, '.');
    jlp__buf_put(b, n, nl);
}

static bool global_is_any(const jlp_val *g, const char *const *mods, size_t nmods, const char *name) {
    if (jlp_get_type(g) != JLP_GLOBAL) return false;
    for (size_t i = 0; i < nmods; i++)
        if (jlp_global_is(g, mods[i], name)) return true;
    return false;
}

static const char *const memmap_mods[] = {"numpy", "numpy.core.memmap", "numpy._core.memmap"};
static bool is_memmap(const jlp_val *g) { return global_is_any(g, memmap_mods, COUNT(memmap_mods), "memmap"); }

static const char *const reconstruct_mods[] = {"numpy.core.multiarray", "numpy._core.multiarray"};
static bool is_reconstruct(const jlp_val *g) {
    return global_is_any(g, reconstruct_mods, COUNT(reconstruct_mods), "_reconstruct");
}

static bool is_getattr(const jlp_val *g) {
    return jlp_global_is(g, "builtins", "getattr") || jlp_global_is(g, "__builtin__", "getattr");
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

static jlp_verdict judge(jlp__reading_ctx *c, const jlp_val *g, jlp__buf *why) {
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    why->len = 0;
    if (c->reading == JLP_READING_TORCH && jlp__torch_judge(m, ml, n, nl, why)) return JLP_VERDICT_SAFE;
    return jlp__judge(c->policy, m, ml, n, nl, why);
}

/* ---- globals whose verdict depends on their use ------------------------------------- */

static jlp__pending *pending_of(jlp__reading_ctx *c, const jlp_val *g) {
    for (size_t i = c->npend; i-- > 0;)
        if (c->pend[i].node == g) return &c->pend[i];
    return NULL;
}

/* ---- scipy.stats distributions (S-31) ------------------------------------------------ */

/* rv_generic.__setstate__ updates the instance's __dict__ with the pickled state and
 * execs its _parse_arg_template. The classes whose restoring is that one, scipy's
 * template and the (locscale_in, locscale_out) pairs scipy fills it with are generated
 * from the installed scipy and the sources of every release from 1.5 on
 * (gen_scipy_rules.py, scipy_releases.txt), and so are the constructor parameters a
 * scipy < 1.6 state holds. */
static const struct { const char *module, *name; } SCIPY_RV[] = {
#define JLP_SCIPY_RV(m, n) {m, n},
#define JLP_SCIPY_TEMPLATE(t)
#define JLP_SCIPY_LOCSCALE(i, o)
#define JLP_SCIPY_CTOR_PARAM(n)
#define JLP_SCIPY_GETATTR(n)
#include "rules_scipy_gen.h"
#undef JLP_SCIPY_RV
#undef JLP_SCIPY_TEMPLATE
#undef JLP_SCIPY_LOCSCALE
#undef JLP_SCIPY_CTOR_PARAM
#undef JLP_SCIPY_GETATTR
};
static const char *const SCIPY_TEMPLATE[] = {
#define JLP_SCIPY_RV(m, n)
#define JLP_SCIPY_TEMPLATE(t) t,
#define JLP_SCIPY_LOCSCALE(i, o)
#define JLP_SCIPY_CTOR_PARAM(n)
#define JLP_SCIPY_GETATTR(n)
#include "rules_scipy_gen.h"
#undef JLP_SCIPY_RV
#undef JLP_SCIPY_TEMPLATE
#undef JLP_SCIPY_LOCSCALE
#undef JLP_SCIPY_CTOR_PARAM
#undef JLP_SCIPY_GETATTR
};
static const struct { const char *in, *out; } SCIPY_LOCSCALE[] = {
#define JLP_SCIPY_RV(m, n)
#define JLP_SCIPY_TEMPLATE(t)
#define JLP_SCIPY_LOCSCALE(i, o) {i, o},
#define JLP_SCIPY_CTOR_PARAM(n)
#define JLP_SCIPY_GETATTR(n)
#include "rules_scipy_gen.h"
#undef JLP_SCIPY_RV
#undef JLP_SCIPY_TEMPLATE
#undef JLP_SCIPY_LOCSCALE
#undef JLP_SCIPY_CTOR_PARAM
#undef JLP_SCIPY_GETATTR
};

static const char *const SCIPY_CTOR_PARAM[] = {
#define JLP_SCIPY_RV(m, n)
#define JLP_SCIPY_TEMPLATE(t)
#define JLP_SCIPY_LOCSCALE(i, o)
#define JLP_SCIPY_CTOR_PARAM(n) n,
#define JLP_SCIPY_GETATTR(n)
#include "rules_scipy_gen.h"
#undef JLP_SCIPY_RV
#undef JLP_SCIPY_TEMPLATE
#undef JLP_SCIPY_LOCSCALE
#undef JLP_SCIPY_CTOR_PARAM
#undef JLP_SCIPY_GETATTR
};

static const char *const SCIPY_GETATTR[] = {
#define JLP_SCIPY_RV(m, n)
#define JLP_SCIPY_TEMPLATE(t)
#define JLP_SCIPY_LOCSCALE(i, o)
#define JLP_SCIPY_CTOR_PARAM(n)
#define JLP_SCIPY_GETATTR(n) n,
#include "rules_scipy_gen.h"
#undef JLP_SCIPY_RV
#undef JLP_SCIPY_TEMPLATE
#undef JLP_SCIPY_LOCSCALE
#undef JLP_SCIPY_CTOR_PARAM
#undef JLP_SCIPY_GETATTR
};

static bool scipy_rv_name(const char *m, size_t ml, const char *n, size_t nl) {
    if (ml < 12 || memcmp(m, "scipy.stats.", 12)) return false;
    for (size_t i = 0; i < COUNT(SCIPY_RV); i++)
        if (str_is(m, ml, SCIPY_RV[i].module) && str_is(n, nl, SCIPY_RV[i].name)) return true;
    return false;
}

static bool is_scipy_rv(const jlp_val *g) {
    if (jlp_get_type(g) != JLP_GLOBAL) return false;
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    return scipy_rv_name(m, ml, n, nl);
}

static bool ident_start(char ch) { return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static bool ident_char(char ch) { return ident_start(ch) || (ch >= '0' && ch <= '9'); }

/* Whether s[0..n) is template `t` with %(shape_arg_str)s one string of shape names
 * ("a, b, ": identifiers each followed by ", ", or nothing) everywhere, and
 * %(locscale_in)s, %(locscale_out)s the pair `ls`: exactly what scipy's
 * _construct_argparser writes, which only defines three argument parsers. */
static bool scipy_template_is(const char *t, const char *s, size_t n, size_t ls) {
    const char *shapes = NULL;
    size_t shl = 0, i = 0;
    while (*t) {
        const char *sub = NULL;
        size_t adv = 0;
        if (!strncmp(t, "%(shape_arg_str)s", 17)) {
            adv = 17;
            if (!shapes) {
                size_t k = i;
                for (;;) {
                    size_t e = k;
                    if (e >= n || !ident_start(s[e])) break;
                    while (e < n && ident_char(s[e])) e++;
                    if (e + 2 > n || s[e] != ',' || s[e + 1] != ' ') break;
                    k = e + 2;
                }
                shapes = s + i;
                shl = k - i;
            }
            sub = shapes;
        } else if (!strncmp(t, "%(locscale_in)s", 15)) {
            adv = 15;
            sub = SCIPY_LOCSCALE[ls].in;
        } else if (!strncmp(t, "%(locscale_out)s", 16)) {
            adv = 16;
            sub = SCIPY_LOCSCALE[ls].out;
        }
        if (sub) {
            size_t l = sub == shapes ? shl : strlen(sub);
            if (l > n - i || memcmp(s + i, sub, l)) return false;
            i += l;
            t += adv;
            continue;
        }
        if (i >= n || s[i] != *t) return false;
        i++;
        t++;
    }
    return i == n;
}

static bool scipy_template_ok(const jlp_val *v) {
    jlp_type t = jlp_get_type(v);
    size_t n;
    const char *s = t == JLP_STR || t == JLP_BYTES ? jlp_get_str(v, &n) : NULL;
    if (!s) return false;
    for (size_t k = 0; k < COUNT(SCIPY_TEMPLATE); k++)
        for (size_t ls = 0; ls < COUNT(SCIPY_LOCSCALE); ls++)
            if (scipy_template_is(SCIPY_TEMPLATE[k], s, n, ls)) return true;
    return false;
}

/* The random state scipy < 1.6 pickled beside ctor_param: None, or what numpy's own
 * pickles of a RandomState or Generator build (none of them iterable). */
static bool scipy_random_state(const jlp_val *v) {
    if (jlp_get_type(v) == JLP_NONE) return true;
    if (jlp_get_type(v) != JLP_OBJECT) return false;
    const jlp_val *cl = jlp_obj_callable(v);
    return jlp_global_is(cl, "numpy.random._pickle", "__randomstate_ctor") ||
           jlp_global_is(cl, "numpy.random._pickle", "__generator_ctor") ||
           jlp_global_is(cl, "numpy.random", "__RandomState_ctor");
}

/* A state scipy < 1.6 wrote, (ctor_param, random_state): NULL when every key of
 * ctor_param is a constructor parameter of some release's distributions and the random
 * state is one numpy pickles. scipy < 1.6 restores it as `self.__init__(**ctor_param)`
 * (which checks the shapes it is given before it makes its own template); scipy >= 1.6
 * cannot update __dict__ with it (ValueError: it calls __init__() with no argument, or,
 * for a ctor_param of two keys, sets one parameter name to the other and fails at the
 * random state, no iterable): no template of the pickle's is ever executed. */
static const char *scipy_old_state_problem(const jlp_val *state) {
    const jlp_val *param = jlp_item(state, 0);
    for (size_t i = 0; i < jlp_len(param); i++) {
        const jlp_val *key = jlp_dict_key(param, i);
        size_t kl, k = 0;
        const char *ks = jlp_get_type(key) == JLP_STR ? jlp_get_str(key, &kl) : NULL;
        while (ks && k < COUNT(SCIPY_CTOR_PARAM) && !str_is(ks, kl, SCIPY_CTOR_PARAM[k])) k++;
        if (!ks || k == COUNT(SCIPY_CTOR_PARAM))
            return "a scipy < 1.6 state (ctor_param, random_state) with a key that is no constructor parameter "
                   "(scipy >= 1.6 puts such pairs into __dict__, then execs its _parse_arg_template)";
    }
    if (!scipy_random_state(jlp_item(state, 1)))
        return "a scipy < 1.6 state (ctor_param, random_state) whose random state is not numpy's (scipy >= 1.6 "
               "puts the pairs it holds into __dict__, then execs its _parse_arg_template)";
    return NULL;
}

/* The state of a distribution as rv_generic.__setstate__ takes it: NULL when it is
 * scipy's own (a dict whose every _parse_arg_template is scipy's template, that replaces
 * none of the methods the restoring calls, or the state of scipy < 1.6), else what is
 * wrong with it. */
static const char *scipy_state_problem(const jlp_val *state) {
    if (jlp_get_type(state) == JLP_TUPLE && jlp_len(state) == 2 && jlp_get_type(jlp_item(state, 0)) == JLP_DICT)
        return scipy_old_state_problem(state);
    if (jlp_get_type(state) != JLP_DICT)
        return "a state that is not a dict (rv_generic.__setstate__ puts any pairs it is given into __dict__, "
               "then execs its _parse_arg_template)";
    for (size_t i = 0; i < jlp_len(state); i++) {
        const jlp_val *key = jlp_dict_key(state, i);
        size_t kl;
        const char *k = jlp_get_type(key) == JLP_STR ? jlp_get_str(key, &kl) : NULL;
        if (!k) return "a state key that is not a str";
        if (str_is(k, kl, "_parse_arg_template") && !scipy_template_ok(jlp_dict_value(state, i)))
            return "a _parse_arg_template that is not scipy's template for its shapes: the restoring execs it";
        if (str_is(k, kl, "_attach_methods") || str_is(k, kl, "_attach_argparser_methods"))
            return "a state that replaces a method the restoring calls";
    }
    return NULL;
}

/* A finding at a BUILD whose subject is the global `g` (a class or what a state is given
 * to), with its effect on the reading: `kind` says what of the BUILD it is about. */
static void build_finding(jlp__reading_ctx *c, uint64_t offset, int depth, jlp_verdict v, const jlp_val *g,
                          const char *kind, const char *why) {
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    finding_at(c, depth, "BUILD", offset, v, m, ml, n, nl, kind, why);
    jlp_event ev;
    memset(&ev, 0, sizeof ev);
    ev.depth = depth;
    ev.name = "BUILD";
    jlp__reading_effect(c, &ev, offset, 'b', m, ml, n, nl, v);
}

/* The class the object `obj` was built as: its callable, or the class given to copyreg's
 * helpers (__newobj__, __newobj_ex__, _reconstructor) as their first argument; NULL for
 * a value that is no object. */
static const jlp_val *class_made(const jlp_val *obj) {
    if (jlp_get_type(obj) != JLP_OBJECT) return NULL;
    const jlp_val *cl = jlp_obj_callable(obj);
    if (jlp_get_type(cl) == JLP_GLOBAL &&
        (jlp_global_is(cl, "copyreg", "__newobj__") || jlp_global_is(cl, "copyreg", "__newobj_ex__") ||
         jlp_global_is(cl, "copyreg", "_reconstructor")))
        return jlp_item(jlp_obj_args(obj), 0);
    return cl;
}

/* The scipy distribution class `obj` was built as, or NULL. */
static const jlp_val *scipy_class_of(const jlp_val *obj) {
    const jlp_val *k = class_made(obj);
    return is_scipy_rv(k) ? k : NULL;
}

/* ---- classes of modules that call native code through ctypes (S-40) ------------ */

/* The safe classes of modules that hold a ctypes library (xgboost's Booster): the rule
 * walk cannot follow their calls into it, so they are safe only as pickles build them,
 * without arguments (NEWOBJ of (), copyreg's helpers), their state restored; given
 * constructor arguments they load a model file or buffer in native code. Generated by
 * gen_libs_rules.py. */
static const struct { const char *module, *name; } NATIVE_CLASS[] = {
#define JLP_NATIVE_CLASS(m, n) {m, n},
#include "rules_libs_native_gen.h"
#undef JLP_NATIVE_CLASS
};

static bool native_class(const char *m, size_t ml, const char *n, size_t nl) {
    for (size_t i = 0; i < COUNT(NATIVE_CLASS); i++)
        if (str_is(m, ml, NATIVE_CLASS[i].module) && str_is(n, nl, NATIVE_CLASS[i].name)) return true;
    return false;
}

/* ---- pandas' unpickling helpers (S-33) ------------------------------------------- */

/* _new_Index(cls, d), _new_DatetimeIndex(cls, d), _new_IntervalIndex(cls, d),
 * _new_PeriodIndex(cls, **d) and Cython's __pyx_unpickle_NDArrayBacked and
 * __pyx_unpickle_IntervalMixin(cls, checksum, state) build the class they are given:
 * its __new__, _simple_new or from_arrays runs with the pickle's arguments. Which
 * classes each may build is generated from the installed pandas (gen_pandas_rules.py). */
enum { PD_INDEX, PD_DATETIMEINDEX, PD_INTERVALINDEX, PD_PERIODINDEX, PD_NDARRAYBACKED, PD_INTERVALMIXIN };
static const char *const PANDAS_ROLE[] = {"a pandas Index class", "a pandas DatetimeIndex class",
                                          "a pandas IntervalIndex class", "a pandas PeriodIndex class",
                                          "a pandas array class backed by an ndarray",
                                          "a pandas interval class"};
static const struct { const char *module, *name; int role; } PANDAS_BUILDER[] = {
#define JLP_PANDAS_BUILDER(m, n, r) {m, n, PD_##r},
#define JLP_PANDAS_CLASS(r, m, n)
#include "rules_pandas_gen.h"
#undef JLP_PANDAS_BUILDER
#undef JLP_PANDAS_CLASS
};
static const struct { int role; const char *module, *name; } PANDAS_CLASS[] = {
#define JLP_PANDAS_BUILDER(m, n, r)
#define JLP_PANDAS_CLASS(r, m, n) {PD_##r, m, n},
#include "rules_pandas_gen.h"
#undef JLP_PANDAS_BUILDER
#undef JLP_PANDAS_CLASS
};

/* The role of the class argument of pandas helper m.n, or -1. */
static int pandas_builder(const char *m, size_t ml, const char *n, size_t nl) {
    if (ml < 7 || memcmp(m, "pandas.", 7)) return -1;
    for (size_t i = 0; i < COUNT(PANDAS_BUILDER); i++)
        if (str_is(m, ml, PANDAS_BUILDER[i].module) && str_is(n, nl, PANDAS_BUILDER[i].name))
            return PANDAS_BUILDER[i].role;
    return -1;
}

static bool pandas_class_of_role(const jlp_val *cls, int role) {
    if (jlp_get_type(cls) != JLP_GLOBAL) return false;
    size_t ml, nl;
    const char *m = jlp_global_module(cls, &ml), *n = jlp_global_name(cls, &nl);
    for (size_t i = 0; i < COUNT(PANDAS_CLASS); i++)
        if (PANDAS_CLASS[i].role == role && str_is(m, ml, PANDAS_CLASS[i].module) &&
            str_is(n, nl, PANDAS_CLASS[i].name))
            return true;
    return false;
}

/* Names judged by use: numpy.memmap (creates or overwrites the file it is given when
 * called; harmless as joblib's subclass value, which joblib never calls),
 * builtins.getattr (judged as the attribute it looks up), scipy's distributions
 * (harmless when built without arguments and restored with scipy's own template) and
 * torch.storage._load_from_bytes (judged by the torch.save bytes it loads). */
static bool is_load_from_bytes(const jlp_val *g) { return jlp_global_is(g, "torch.storage", "_load_from_bytes"); }

static bool is_qtensor_rebuild(const jlp_val *g) { return jlp_global_is(g, "torch._utils", "_rebuild_qtensor"); }

/* torch._utils' sparse and quantized tensor rebuilders, checked against the storages
 * they are given: judged by the indices and the view (SA-7), by use in every reading
 * but a torch one with no checkpoint to read storages from (a legacy torch file's
 * storages follow the pickle that rebuilds the tensor: its calls are judged in a second
 * reading of that pickle, jlp__rules_legacy_sparse, and the name by the weights_only
 * allowlist). */
static bool is_checked_rebuild(const jlp_val *g) {
    return jlp_global_is(g, "torch._utils", "_rebuild_sparse_tensor") ||
           jlp_global_is(g, "torch._utils", "_rebuild_sparse_csr_tensor") || is_qtensor_rebuild(g);
}

static bool sparse_checked(const jlp__reading_ctx *c) {
    return c->reading != JLP_READING_TORCH || (c->s && c->s->zip);
}

static bool judged_by_use(const jlp__reading_ctx *c, const jlp_val *g) {
    return is_memmap(g) || is_getattr(g) || is_scipy_rv(g) || is_load_from_bytes(g) ||
           (sparse_checked(c) && is_checked_rebuild(g));
}

static char *dup(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static void pending_add(jlp__reading_ctx *c, const jlp_event *ev, const jlp_val *g) {
    if (pending_of(c, g)) return;
    if (c->npend == c->pcap) {
        size_t cap = c->pcap ? c->pcap * 2 : 8;
        jlp__pending *np = realloc(c->pend, cap * sizeof *np);
        if (!np) return;
        c->pend = np;
        c->pcap = cap;
    }
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    int d = ev_depth(ev);
    jlp__pending p = {g, ev->offset, d > 0 ? c->nested_at[d] : UINT64_MAX, ev->depth, ev->name,
                      dup(m, ml), dup(n, nl), ml, nl, JLP_VERDICT_SAFE, NULL, false};
    if (!p.module || !p.name) {
        free(p.module);
        free(p.name);
        return;
    }
    c->pend[c->npend++] = p;
}

/* A use of pending global g with this verdict. */
static void pending_use(jlp__reading_ctx *c, const jlp_val *g, jlp_verdict v, const char *reason) {
    jlp__pending *p = pending_of(c, g);
    if (!p) return;
    if (!p->used || v > p->verdict) {
        free(p->reason);
        p->reason = dup(reason, strlen(reason));
        p->verdict = v;
    }
    p->used = true;
}

void jlp__rules_settle(jlp__reading_ctx *c) {
    for (size_t i = 0; i < c->npend; i++) {
        jlp__pending *p = &c->pend[i];
        jlp_verdict v = p->verdict;
        const char *reason = p->reason;
        char unused[200];
        bool scipy = scipy_rv_name(p->module, p->ml, p->name, p->nl);
        bool lfb = str_is(p->name, p->nl, "_load_from_bytes");
        bool qtensor = str_is(p->name, p->nl, "_rebuild_qtensor");
        bool sparse = (p->nl > 15 && !memcmp(p->name, "_rebuild_sparse", 15)) || qtensor;
        if (!p->used) {
            bool getattr = str_is(p->name, p->nl, "getattr");
            v = getattr || scipy || lfb ? JLP_VERDICT_DANGEROUS : JLP_VERDICT_SUSPICIOUS;
            snprintf(unused, sizeof unused, "%s",
                     getattr ? "looks up any attribute (named, never called here: what calls it is not known)"
                     : scipy ? "a scipy.stats distribution named, not built as scipy's pickles build it (restoring "
                               "one execs its pickled _parse_arg_template)"
                     : lfb   ? "loads another pickle with torch.load (named, never called here on bytes: what "
                               "calls it is not known)"
                     : qtensor ? "builds a quantized tensor without checking its view against its storage (named, "
                                 "never called here on a storage the scan read: what calls it is not known)"
                     : sparse ? "builds a sparse tensor without checking its indices (named, never called here on "
                                "indices the scan read: what calls it is not known)"
                              : "numpy.memmap named, not as a joblib wrapper's subclass (it creates or overwrites "
                                "the file it is given when called)");
            reason = unused;
            if (sparse && c->reading == JLP_READING_TORCH) {
                /* a checkpoint's name never called builds nothing: torch.load's allowlist
                 * judges it (a call is judged by its indices) */
                c->why.len = 0;
                if (jlp__torch_judge(p->module, p->ml, p->name, p->nl, &c->why)) {
                    v = JLP_VERDICT_SAFE;
                    snprintf(unused, sizeof unused, "%s", jlp__buf_cstr(&c->why));
                }
            }
            /* another reading of the same bytes uses it as the primary did */
            const jlp__scan *s = c->s;
            for (size_t k = 0; s && !c->primary && !getattr && !scipy && !lfb && !sparse && k < s->nsettled; k++)
                if (s->settled[k].offset == p->offset) {
                    v = s->settled[k].verdict;
                    if (v == JLP_VERDICT_SAFE) reason = "joblib's array subclass value here, which no reading calls";
                }
        }
        if (c->primary && c->s && !str_is(p->name, p->nl, "getattr") && !scipy && !lfb && !sparse &&
            c->s->nsettled < JLP__SETTLED_MAX)
            c->s->settled[c->s->nsettled++] = (jlp__settled){p->offset, v};
        finding_at(c, p->depth, p->opcode, p->offset, v, p->module, p->ml, p->name, p->nl, "global", reason);
        if (c->primary) {
            jlp_scan_global *e = jlp__report_global(c->r, c->policy, p->module, p->ml, p->name, p->nl);
            if (e && (e->named == 1 || v > e->verdict)) {
                e->verdict = v;
                e->reason = jlp__report_str(c->r, reason, strlen(reason));
            }
        }
        free(p->module);
        free(p->name);
        free(p->reason);
    }
    c->npend = 0;
    c->nlfb = c->lfb_next = 0; /* the pickle's values end with it */
}

/* ---- calls -------------------------------------------------------------------------- */

static const char *const text_codecs[] = {
    /* codecs that map text to text or bytes to text: anything else (base64, zlib, hex,
     * bz2, uu, quopri...) turns data into other data, the first step of a hidden payload */
    "utf_8", "utf8", "u8", "utf", "utf_8_sig", "latin_1", "latin1", "latin", "l1", "iso_8859_1",
    "iso8859_1", "8859", "cp819", "ascii", "us_ascii", "646", "utf_16", "utf16", "utf_16_le",
    "utf_16_be", "utf_32", "utf32", "utf_32_le", "utf_32_be", "raw_unicode_escape",
    "unicode_escape", "cp1252", "windows_1252",
};

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

/* numpy and scipy callables that build an array from their argument: an object given
 * to them is read through its __array_interface__, __array_struct__ or buffer, which a
 * pickle can point at any address (a read or write anywhere). */
static bool array_constructor(const jlp_val *g) {
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    if (ml >= 5 && !memcmp(m, "numpy", 5) && (ml == 5 || m[5] == '.')) {
        static const char *const names[] = {"array", "asarray", "asanyarray", "ascontiguousarray",
                                            "asfortranarray", "asarray_chkfinite", "frombuffer", "fromiter",
                                            "ndarray", "matrix", "asmatrix", "MaskedArray", "masked_array",
                                            "recarray", "fromarrays", "fromrecords", "_frombuffer", "copy",
                                            "require", "atleast_1d", "atleast_2d", "atleast_3d"};
        for (size_t i = 0; i < COUNT(names); i++)
            if (str_is(n, nl, names[i])) return true;
        /* numpy.mean (safe by name: estimators hold it as a value) and the ufuncs convert
         * an argument that is not an array with asanyarray() too */
        if (str_is(n, nl, "mean")) return true;
        return str_is(m, ml, "numpy.core._multiarray_umath") || str_is(m, ml, "numpy.core.umath") ||
               str_is(m, ml, "numpy._core._multiarray_umath") || str_is(m, ml, "numpy._core.umath");
    }
    if (ml >= 12 && !memcmp(m, "scipy.sparse", 12) && (ml == 12 || m[12] == '.'))
        return (nl > 7 && !memcmp(n + nl - 7, "_matrix", 7)) || (nl > 6 && !memcmp(n + nl - 6, "_array", 6));
    return false;
}

/* A bounded walk over an argument tree without recursion: containers are opened (a
 * dict's keys and values), at most ARG_WALK_MAX values are looked at. */
typedef struct arg_walk {
    const jlp_val *todo[ARG_WALK_MAX];
    size_t n, seen;
} arg_walk;

static void arg_walk_init(arg_walk *w, const jlp_val *root) {
    w->n = w->seen = 0;
    if (root) w->todo[w->n++] = root;
}

/* @return the next value of the tree, or NULL when it is walked or the bound is met. */
static const jlp_val *arg_walk_next(arg_walk *w) {
    if (!w->n || w->seen++ >= ARG_WALK_MAX) return NULL;
    const jlp_val *v = w->todo[--w->n];
    switch (jlp_get_type(v)) {
    case JLP_TUPLE: case JLP_LIST: case JLP_SET: case JLP_FROZENSET:
        for (size_t i = 0; i < jlp_len(v) && w->n < ARG_WALK_MAX; i++) w->todo[w->n++] = jlp_item(v, i);
        break;
    case JLP_DICT:
        for (size_t i = 0; i < jlp_len(v) && w->n + 1 < ARG_WALK_MAX; i++) {
            w->todo[w->n++] = jlp_dict_key(v, i);
            w->todo[w->n++] = jlp_dict_value(v, i);
        }
        break;
    default: break;
    }
    return v;
}

/* A str in an argument tree that holds a dunder name (`__globals__`, `0.__class__`,
 * `[__builtins__]`): @return it, or NULL. */
static const char *dunder_in_args(const jlp_val *args, size_t *len) {
    arg_walk w;
    arg_walk_init(&w, args);
    for (const jlp_val *v; (v = arg_walk_next(&w));) {
        if (jlp_get_type(v) != JLP_STR) continue;
        size_t l;
        const char *p = jlp_get_str(v, &l);
        for (size_t i = 0; p && i + 4 < l; i++) {
            if (p[i] != '_' || p[i + 1] != '_' || (i && (isalnum((unsigned char)p[i - 1]) || p[i - 1] == '_')))
                continue;
            size_t j = i + 2;
            while (j < l && (isalnum((unsigned char)p[j]) || (p[j] == '_' && !(j + 1 < l && p[j + 1] == '_'))))
                j++;
            if (j > i + 2 && j + 1 < l && p[j] == '_' && p[j + 1] == '_' &&
                (j + 2 == l || !(isalnum((unsigned char)p[j + 2]) || p[j + 2] == '_'))) {
                *len = l;
                return p;
            }
        }
    }
    return NULL;
}

/* S-35: a call of code outside the safe list (or computed) given a dunder name: the first step
 * of a walk into the interpreter (string.Formatter's fields '0.__globals__', operator and
 * functools chains, a __reduce__ re-entered) that ends at eval or os.system without
 * naming either. */
static bool dunder_call(jlp__reading_ctx *c, const jlp_event *ev, int op, const char *m, size_t ml, const char *n,
                        size_t nl) {
    size_t l = 0;
    const char *d = dunder_in_args(ev->args, &l);
    if (!d && ev->kwargs) d = dunder_in_args(ev->kwargs, &l);
    if (!d) return false;
    c->subj.len = 0;
    jlp__buf_printf(&c->subj, "code outside the safe list given the dunder name '%.*s': a walk into the "
                    "interpreter's internals (to eval, a module's globals, any class) without naming them",
                    (int)(l > 60 ? 60 : l), d);
    jlp__reading_finding(c, ev, ev->offset, JLP_VERDICT_DANGEROUS, m, ml, n, nl, "call", jlp__buf_cstr(&c->subj));
    jlp__reading_effect(c, ev, ev->offset, op, m, ml, n, nl, JLP_VERDICT_DANGEROUS);
    return true;
}

/* Whether an argument tree holds an inert object (an instance or a call result). */
static bool holds_object(const jlp_val *args) {
    arg_walk w;
    arg_walk_init(&w, args);
    for (const jlp_val *v; (v = arg_walk_next(&w));)
        if (jlp_get_type(v) == JLP_OBJECT) return true;
    return false;
}

/* Judge `cls` as the class a helper builds (copyreg's __newobj__, __newobj_ex__,
 * _reconstructor; numpy's _reconstruct; Cython's helpers). @return the verdict, the
 * reason in c->subj. `how` says how the class is used ("class", "base", ...). */
static jlp_verdict judge_class(jlp__reading_ctx *c, const jlp_val *cls, const char *how, bool array_class) {
    c->subj.len = 0;
    if (jlp_get_type(cls) != JLP_GLOBAL) {
        jlp__buf_printf(&c->subj, "builds an object with ");
        describe_computed(&c->subj, cls);
        jlp__buf_printf(&c->subj, " as %s", how);
        /* numpy builds an array of whatever class object it is handed */
        return array_class ? JLP_VERDICT_DANGEROUS : JLP_VERDICT_SUSPICIOUS;
    }
    if (is_memmap(cls)) {
        if (array_class) {
            jlp__buf_puts(&c->subj, "numpy.memmap as the class of an array: its methods run on the array");
            pending_use(c, cls, JLP_VERDICT_SUSPICIOUS, jlp__buf_cstr(&c->subj));
            c->subj.len = 0;
            jlp__buf_puts(&c->subj, "numpy.memmap as the class of an array: its methods run on the array");
            return JLP_VERDICT_SUSPICIOUS;
        }
        jlp__buf_printf(&c->subj, "builds numpy.memmap as %s: it opens, creates or overwrites the file it is given", how);
        pending_use(c, cls, JLP_VERDICT_DANGEROUS, jlp__buf_cstr(&c->subj));
        return JLP_VERDICT_DANGEROUS;
    }
    jlp__buf why;
    jlp__buf_init(&why, NULL);
    jlp_verdict v = judge(c, cls, &why);
    if (v != JLP_VERDICT_SAFE) {
        jlp__buf_puts(&c->subj, "runs code of ");
        global_name(&c->subj, cls);
        jlp__buf_printf(&c->subj, " (%s): ", how);
        jlp__buf_put(&c->subj, why.data, why.len);
    }
    pending_use(c, cls, v, jlp__buf_cstr(&c->subj));
    jlp__buf_release(&why);
    return v;
}

/* getattr(obj, name): the attribute is judged as the dotted name Class.name (or
 * module.name) of what obj is; a computed obj or a name that is not plain is not
 * known to be harmless. */
static jlp_verdict judge_getattr(jlp__reading_ctx *c, const jlp_val *args) {
    const jlp_val *obj = jlp_item(args, 0), *attr = jlp_item(args, 1);
    size_t al;
    const char *a = jlp_get_str(attr, &al);
    c->subj.len = 0;
    if (jlp_get_type(attr) != JLP_STR || !al || memchr(a, '.', al) || jlp__is_dunder(a, al) || jlp_len(args) > 3) {
        jlp__buf_puts(&c->subj, "looks up an attribute by a computed, dotted or dunder name");
        return JLP_VERDICT_DANGEROUS;
    }
    const jlp_val *cls = obj;
    if (jlp_get_type(obj) == JLP_OBJECT && jlp_obj_get_kind(obj) != JLP_OBJ_REDUCE) cls = jlp_obj_callable(obj);
    if (jlp_get_type(cls) != JLP_GLOBAL) {
        jlp__buf_puts(&c->subj, "looks up '");
        jlp__buf_put(&c->subj, a, al > 60 ? 60 : al);
        jlp__buf_puts(&c->subj, "' on ");
        describe_computed(&c->subj, obj);
        return JLP_VERDICT_DANGEROUS;
    }
    size_t ml, nl;
    const char *m = jlp_global_module(cls, &ml), *n = jlp_global_name(cls, &nl);
    jlp__buf dotted, why;
    jlp__buf_init(&dotted, NULL);
    jlp__buf_init(&why, NULL);
    jlp__buf_put(&dotted, n, nl);
    jlp__buf_putc(&dotted, '.');
    jlp__buf_put(&dotted, a, al);
    jlp_verdict v = dotted.failed ? JLP_VERDICT_DANGEROUS : jlp__judge(c->policy, m, ml, dotted.data, dotted.len, &why);
    for (size_t k = 0; v != JLP_VERDICT_SAFE && is_scipy_rv(cls) && k < COUNT(SCIPY_GETATTR); k++) {
        if (!str_is(a, al, SCIPY_GETATTR[k])) continue;
        /* a distribution of another release than the installed one: the method its own
         * pickle looks up (S-31) */
        v = JLP_VERDICT_SAFE;
        why.len = 0;
        jlp__buf_puts(&why, "a method scipy's pickles of a distribution look up");
    }
    jlp__buf_puts(&c->subj, "looks up ");
    jlp__buf_put(&c->subj, m, ml);
    jlp__buf_putc(&c->subj, '.');
    jlp__buf_put(&c->subj, dotted.data, dotted.len);
    jlp__buf_puts(&c->subj, ": ");
    jlp__buf_put(&c->subj, why.data, why.len);
    jlp__buf_release(&dotted);
    jlp__buf_release(&why);
    return v;
}

/* A call of what getattr(G, 'name') returned, G a global and name plain: the call of
 * G.name (how pickle writes a class's bound method, zoneinfo.ZoneInfo._unpickle), judged
 * as that dotted name. @return false when cl is not such a result. */
static bool judge_getattr_result(jlp__reading_ctx *c, const jlp_val *cl, jlp_verdict *v, jlp__buf *dotted,
                                 jlp__buf *why) {
    if (jlp_get_type(cl) != JLP_OBJECT || jlp_obj_get_kind(cl) != JLP_OBJ_REDUCE) return false;
    const jlp_val *f = jlp_obj_callable(cl), *args = jlp_obj_args(cl);
    if (jlp_get_type(f) != JLP_GLOBAL || !is_getattr(f) || jlp_len(args) != 2) return false;
    const jlp_val *obj = jlp_item(args, 0), *attr = jlp_item(args, 1);
    size_t al;
    const char *a = jlp_get_str(attr, &al);
    if (jlp_get_type(obj) != JLP_GLOBAL || jlp_get_type(attr) != JLP_STR || !al || memchr(a, '.', al) ||
        jlp__is_dunder(a, al))
        return false;
    size_t nl;
    const char *n = jlp_global_name(obj, &nl);
    dotted->len = 0;
    jlp__buf_put(dotted, n, nl);
    jlp__buf_putc(dotted, '.');
    jlp__buf_put(dotted, a, al);
    if (dotted->failed) return false;
    size_t ml;
    const char *m = jlp_global_module(obj, &ml);
    why->len = 0;
    *v = jlp__judge(c->policy, m, ml, dotted->data, dotted->len, why);
    return true;
}

/* torch.storage._load_from_bytes(b) is torch.load(io.BytesIO(b)): what torch.save wrote
 * for a storage a pickled tensor holds (a legacy-format file), scanned as torch.load
 * reads it. Bytes computed, of another format, nested too deep or past the budget are
 * not scanned: dangerous, as the name is. */
static jlp_verdict judge_load_from_bytes(jlp__reading_ctx *c, const jlp_event *ev, const jlp_val *args,
                                         jlp__buf *why) {
    const jlp_val *b = jlp_item(args, 0);
    size_t bl = 0;
    const char *bp = jlp_get_type(b) == JLP_BYTES && jlp_len(args) == 1 && !(ev->kwargs && jlp_len(ev->kwargs))
                         ? jlp_get_str(b, &bl)
                         : NULL;
    jlp__scan *s = c->s;
    if (!bp) {
        jlp__buf_puts(why, "loads another pickle with torch.load, from bytes the pickle computes");
        return JLP_VERDICT_DANGEROUS;
    }
    if (!jlp__torch_legacy_magic((const uint8_t *)bp, bl)) {
        jlp__buf_puts(why, "loads another pickle with torch.load, from bytes that are not the legacy torch file "
                           "torch.save writes for a storage (not scanned)");
        return JLP_VERDICT_DANGEROUS;
    }
    for (size_t i = 0; i < c->nlfb; i++)
        if (c->lfb[i].bytes == b) {
            if (c->lfb[i].v != JLP_VERDICT_SAFE)
                jlp__buf_puts(why, "loads another pickle with torch.load, from the bytes of an earlier call that "
                                   "scan not safe");
            return c->lfb[i].v;
        }
    if (!s || s->nest >= JLP__NEST_MAX) {
        jlp__buf_puts(why, "loads another pickle with torch.load, inside bytes torch.load loads already (not "
                           "scanned deeper)");
        return JLP_VERDICT_DANGEROUS;
    }
    uint64_t charge = bl > JLP__NEST_MIN_CHARGE ? bl : JLP__NEST_MIN_CHARGE;
    if (charge > s->nested_budget - s->nested_bytes) {
        jlp__buf_puts(why, "loads another pickle with torch.load, past the budget for scanning such bytes (not "
                           "scanned)");
        return JLP_VERDICT_DANGEROUS;
    }
    s->nested_bytes += charge;
    jlp__torch_storage st;
    jlp_verdict v = jlp__scan_torch_bytes(s, (const uint8_t *)bp, bl, why, &st);
    if (v != JLP_VERDICT_SAFE && !why->len) jlp__buf_puts(why, "the torch.save bytes it loads are not safe");
    size_t cap = sizeof c->lfb / sizeof c->lfb[0];
    c->lfb[c->lfb_next++ % cap] = (struct jlp__lfb){b, v, st};
    if (c->nlfb < cap) c->nlfb++;
    return v;
}

/* The storage a tensor's storage argument holds: the bytes of a _load_from_bytes call
 * of this pickle, or in a checkpoint the member its storage record names. */
static const jlp__torch_storage *storage_lookup(void *ctx, const jlp_val *sv) {
    jlp__reading_ctx *c = ctx;
    if (jlp_get_type(sv) == JLP_OBJECT && jlp_global_is(jlp_obj_callable(sv), "torch.storage", "_load_from_bytes")) {
        const jlp_val *b = jlp_item(jlp_obj_args(sv), 0);
        for (size_t i = 0; b && i < c->nlfb; i++)
            if (c->lfb[i].bytes == b) return &c->lfb[i].st;
        return NULL;
    }
    const jlp_val *id = jlp_get_type(sv) == JLP_PERSID ? jlp_persid_value(sv) : NULL;
    if (c->legacy_again) {
        /* a legacy file: the key's first record (the keys are sorted by key, then by
         * order met), its elements after pickle 5; not a view (view_metadata None) */
        const char *type = jlp__torch_storage_type(id);
        const jlp_val *view = jlp_item(id, 5);
        size_t kl;
        const char *k = type ? jlp_get_str(jlp_item(id, 2), &kl) : NULL;
        if (!k || (view && jlp_get_type(view) != JLP_NONE)) return NULL;
        for (size_t i = 0; i < c->nkeys; i++) {
            const struct jlp__storage_key *e = &c->keys[i];
            if (e->len != kl || memcmp(e->key, k, kl)) continue;
            /* torch.load reads the record's count of elements from the file: another
             * count is its error */
            if (e->type != type || !e->data || e->numel < 0 || e->count != (uint64_t)e->numel) return NULL;
            jlp__torch_storage *st = &c->zst[c->zst_next++ % (sizeof c->zst / sizeof c->zst[0])];
            *st = (jlp__torch_storage){e->data, e->count, e->esize, type, (uint64_t)(e->data - c->data), NULL};
            return st;
        }
        return NULL;
    }
    const char *type = c->reading == JLP_READING_TORCH && c->s && c->s->zip ? jlp__torch_storage_type(id) : NULL;
    size_t kl, len;
    const char *k = type ? jlp_get_str(jlp_item(id, 2), &kl) : NULL, *member = NULL;
    int64_t numel = jlp_get_int(jlp_item(id, 4));
    const uint8_t *p = k && numel >= 0 ? jlp__torch_zip_storage(c->s->zip, k, kl, &len, &member) : NULL;
    unsigned esize = p ? jlp__torch_storage_esize(id) : 0;
    uint64_t nbytes;
    /* torch reads numel elements of the record's type from the member: fewer bytes are
     * its error */
    if (!p || !jlp__mul_u64((uint64_t)numel, esize, &nbytes) || nbytes > len) return NULL;
    /* torch.load keeps the storage of a key's first record: one of another type (the
     * same bytes read as other numbers) is not proved */
    for (size_t i = 0; i < c->nkeys; i++)
        if (c->keys[i].len == kl && !memcmp(c->keys[i].key, k, kl)) {
            if (c->keys[i].type != type) return NULL;
            break;
        }
    jlp__torch_storage *st = &c->zst[c->zst_next++ % (sizeof c->zst / sizeof c->zst[0])];
    *st = (jlp__torch_storage){p, (uint64_t)numel, esize, type, 0, member};
    return st;
}

/* torch._utils._rebuild_sparse_tensor / _rebuild_sparse_csr_tensor: safe when the scan
 * read the indices and they fit (SA-7). */
static jlp_verdict judge_sparse(jlp__reading_ctx *c, const jlp_event *ev, const jlp_val *g, jlp__buf *why,
                                uint64_t *at) {
    jlp__scan *s = c->s;
    if (ev->kwargs && jlp_len(ev->kwargs)) {
        jlp__buf_puts(why, "a tensor rebuilt with keyword arguments torch never pickles");
        return JLP_VERDICT_SUSPICIOUS;
    }
    if (is_qtensor_rebuild(g)) return jlp__torch_qtensor_check(ev->args, storage_lookup, c, why);
    uint64_t budget = 0;
    if (s && s->nested_budget > s->sparse_bytes) budget = s->nested_budget - s->sparse_bytes;
    /* a checkpoint's: what its storages may cost, the archive's size the bound */
    uint64_t *zb = c->reading == JLP_READING_TORCH && s && s->zip ? jlp__torch_zip_budget(s->zip) : NULL;
    if (zb) budget = *zb;
    uint64_t left = budget;
    bool csr = jlp_global_is(g, "torch._utils", "_rebuild_sparse_csr_tensor");
    jlp__sparse_check r = jlp__torch_sparse_check(csr, ev->args, storage_lookup, c, c->data, c->len, &left, why);
    if (zb) *zb -= budget - left < *zb ? budget - left : *zb;
    else if (s) s->sparse_bytes += budget - left;
    *at = r.bad_at;
    return r.verdict;
}

static bool is_call_op(int op);

void jlp__rules_legacy_sparse(jlp__reading_ctx *c, const jlp_event *ev) {
    if (ev->kind != JLP_EV_OPCODE || !is_call_op(ev->opcode) || !is_checked_rebuild(ev->callable)) return;
    const jlp_val *g = ev->callable;
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    c->why.len = 0;
    uint64_t at = UINT64_MAX;
    jlp_verdict v = judge_sparse(c, ev, g, &c->why, &at);
    if (v == JLP_VERDICT_SAFE) return; /* the global's finding (safe, by the allowlist) says it */
    if (at != UINT64_MAX) jlp__buf_printf(&c->why, "; rebuilt by the call at byte %llu", (unsigned long long)ev->offset);
    jlp__reading_finding(c, ev, at != UINT64_MAX ? at : ev->offset, v, m, ml, n, nl, "call", jlp__buf_cstr(&c->why));
}

/* Whether copyreg's helper `n` makes its class without calling into it: __newobj__(cls),
 * __newobj_ex__(cls, (), {}) (cls.__new__ of a Python class is object's), and
 * _reconstructor(cls, object, None). */
static bool scipy_helper_plain(const char *n, size_t nl, const jlp_val *args) {
    if (str_is(n, nl, "__newobj__")) return jlp_len(args) == 1;
    if (str_is(n, nl, "__newobj_ex__"))
        return jlp_len(args) == 3 && jlp_get_type(jlp_item(args, 1)) == JLP_TUPLE && jlp_len(jlp_item(args, 1)) == 0 &&
               jlp_get_type(jlp_item(args, 2)) == JLP_DICT && jlp_len(jlp_item(args, 2)) == 0;
    if (str_is(n, nl, "_reconstructor"))
        return jlp_len(args) == 3 && jlp_global_is(jlp_item(args, 1), "builtins", "object") &&
               jlp_get_type(jlp_item(args, 2)) == JLP_NONE;
    return false;
}

static void dunder_keys(jlp__reading_ctx *c, uint64_t offset, int depth, const char *opcode, const jlp_val *d,
                        const jlp_val *target, const char *how);

/* Dunder keys of the dicts a state tuple holds: Cython's generated __set_state updates
 * the instance's __dict__ from the item after its fields, and pandas' NDArrayBacked
 * .__setstate__ setattr()s the pairs of its third item. */
static void dunder_keys_in_tuple(jlp__reading_ctx *c, uint64_t offset, int depth, const char *opcode,
                                 const jlp_val *state, const jlp_val *target, const char *how) {
    if (jlp_get_type(state) != JLP_TUPLE) return;
    for (size_t i = 0; i < jlp_len(state) && i < 16; i++)
        dunder_keys(c, offset, depth, opcode, jlp_item(state, i), target, how);
}

/* torch's rebuild functions that give the tensor they make a pickled state by setattr()
 * (torch._utils._set_obj_state: a dict, or a (dict, slots) pair, as BUILD gives it):
 * _rebuild_from_type_v2(func, new_type, args, state) and
 * _rebuild_parameter_with_state(data, requires_grad, hooks, state). Their dunder keys
 * are judged as a BUILD state's (S-22). */
static void torch_state_setattr(jlp__reading_ctx *c, const jlp_event *ev, const jlp_val *g, const char *m, size_t ml,
                                const char *n, size_t nl) {
    bool rft = (str_is(m, ml, "torch._tensor") || str_is(m, ml, "torch.tensor")) && str_is(n, nl, "_rebuild_from_type_v2");
    bool pws = str_is(m, ml, "torch._utils") && str_is(n, nl, "_rebuild_parameter_with_state");
    if (!rft && !pws) return;
    const jlp_val *st = jlp_item(ev->args, 3);
    if (!st) return;
    const jlp_val *parts[2] = {st, NULL};
    if (jlp_get_type(st) == JLP_TUPLE && jlp_len(st) == 2) {
        parts[0] = jlp_item(st, 0);
        parts[1] = jlp_item(st, 1);
    }
    dunder_keys(c, ev->offset, ev->depth, ev->name, parts[0], g, "the state it setattr()s on its tensor");
    dunder_keys(c, ev->offset, ev->depth, ev->name, parts[1], g, "the slot state it setattr()s on its tensor");
}

/* bytes(n) and bytearray(n) of this many bytes or more are suspicious (16 MiB). */
#define BYTES_ALLOC_SUSPICIOUS ((int64_t)1 << 24)

/* Checks that depend on the arguments of a call of the global g. @return true when
 * they decided (a finding made or the call found safe). */
/* ---- scipy.sparse index arrays (S-50) -------------------------------------------- */

/* scipy's sparse kernels (sparsetools: toarray, @, tocsc, sums...) trust a matrix's index
 * arrays: an index past the shape is a read or write at that offset from the dense
 * buffer. Neither restoring a matrix (the state goes into __dict__ unchecked) nor
 * csr/csc/bsr_matrix((data, indices, indptr), shape) (check_format without its full
 * check) looks at the index values; coo_matrix((data, (row, col)), shape) does. */

/* 'r' csr, 'c' csc, 'b' bsr, 'o' coo, 'd' dia, 'l' lil for a scipy.sparse class global, else 0 */
static char sparse_format(const jlp_val *g) {
    if (jlp_get_type(g) != JLP_GLOBAL) return 0;
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    if (!(ml >= 12 && !memcmp(m, "scipy.sparse", 12) && (ml == 12 || m[12] == '.'))) return 0;
    if (!(str_is(n, nl, "csr_matrix") || str_is(n, nl, "csr_array") || str_is(n, nl, "csc_matrix") ||
          str_is(n, nl, "csc_array") || str_is(n, nl, "bsr_matrix") || str_is(n, nl, "bsr_array") ||
          str_is(n, nl, "coo_matrix") || str_is(n, nl, "coo_array") || str_is(n, nl, "dia_matrix") ||
          str_is(n, nl, "dia_array") || str_is(n, nl, "lil_matrix") || str_is(n, nl, "lil_array")))
        return 0;
    return n[0] == 'b' || n[0] == 'd' || n[0] == 'l' ? n[0] : n[0] == 'c' && n[1] == 's' ? n[2] : 'o';
}

/* The sparse class `obj` was built as (called, or given to copyreg's helpers), or NULL. */
static const jlp_val *sparse_class_of(const jlp_val *obj) {
    const jlp_val *k = class_made(obj);
    return sparse_format(k) ? k : NULL;
}

/* Integers of an index array: an ndarray of an integer dtype, or (the constructor
 * converts them) a list or tuple of ints. */
typedef struct sp_ints {
    const jlp_val *seq; /* the list or tuple, or NULL for an array */
    jlp_array_info info;
    uint64_t count;
    uint32_t ndim;
} sp_ints;

/* true with *o filled when `a` is such a sequence */
static bool sparse_ints(const jlp_val *a, sp_ints *o) {
    jlp_array_info init = JLP_ARRAY_INFO_INIT;
    o->info = init;
    o->seq = NULL;
    jlp_type t = jlp_get_type(a);
    if (t == JLP_LIST || t == JLP_TUPLE) {
        o->seq = a;
        o->count = jlp_len(a);
        o->ndim = 1;
        for (uint64_t i = 0; i < o->count; i++)
            if (jlp_get_type(jlp_item(a, (size_t)i)) != JLP_INT) return false;
        return true;
    }
    if (!jlp_array_get(a, &o->info) || !o->info.data) return false;
    char k = jlp_dtype_kind(o->info.dtype);
    uint64_t is = jlp_dtype_itemsize(o->info.dtype);
    if ((k != 'i' && k != 'u') || !(is == 1 || is == 2 || is == 4 || is == 8)) return false;
    o->count = o->info.count;
    o->ndim = o->info.ndim;
    return o->info.nbytes / is == o->info.count;
}

/* Element i (of the array's memory order) clamped to [INT64_MIN, INT64_MAX]. */
static int64_t sparse_elem(const sp_ints *s, uint64_t i) {
    if (s->seq) return jlp_get_int(jlp_item(s->seq, (size_t)i));
    const jlp_array_info *info = &s->info;
    uint64_t is = jlp_dtype_itemsize(info->dtype);
    const uint8_t *p = (const uint8_t *)info->data + i * is;
    static const uint16_t probe = 1;
    bool host_le = *(const uint8_t *)&probe == 1;
    char bo = jlp_dtype_byteorder(info->dtype);
    bool le = bo == '<' || (bo != '>' && host_le);
    uint64_t u = 0;
    for (uint64_t b = 0; b < is; b++) u |= (uint64_t)p[le ? b : is - 1 - b] << (8 * b);
    if (jlp_dtype_kind(info->dtype) == 'u') return u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
    if (is < 8 && (u >> (8 * is - 1)) & 1) u |= ~(uint64_t)0 << (8 * is); /* sign-extend */
    return (int64_t)u;
}

/* The first element of an index array outside [0, bound) (bound < 0: no upper bound),
 * or UINT64_MAX. */
static uint64_t sparse_bad_index(const sp_ints *info, uint64_t n, int64_t bound) {
    for (uint64_t i = 0; i < n; i++) {
        int64_t x = sparse_elem(info, i);
        if (x < 0 || (bound >= 0 && x >= bound)) return i;
    }
    return UINT64_MAX;
}

static bool int_value(const jlp_val *v, int64_t *out);

/* A shape of two non-negative ints (or numpy integers, as older scipy kept them) into
 * d[2]; false otherwise. */
static bool sparse_shape(const jlp_val *shape, int64_t d[2]) {
    jlp_type t = jlp_get_type(shape);
    if ((t != JLP_TUPLE && t != JLP_LIST) || jlp_len(shape) != 2) return false;
    for (size_t i = 0; i < 2; i++)
        if (!int_value(jlp_item(shape, i), &d[i]) || d[i] < 0) return false;
    return true;
}

/* Judges the index arrays of a sparse matrix of format `fmt` as scipy's full
 * check_format would, writing the problem to `why`. `shape` NULL: the constructor
 * infers it from the indices (any index is inside). SAFE, SUSPICIOUS (not readable,
 * shapes scipy refuses) or DANGEROUS (an index or pointer the kernels follow out of
 * the arrays). */
static jlp_verdict sparse_judge(char fmt, const jlp_val *shape, const jlp_val *data, const jlp_val *a1,
                                const jlp_val *a2, jlp__buf *why) {
    int64_t d[2] = {-1, -1};
    if (shape && !sparse_shape(shape, d)) {
        jlp__buf_puts(why, "a shape that is not two non-negative ints");
        return JLP_VERDICT_SUSPICIOUS;
    }
    jlp_array_info di = JLP_ARRAY_INFO_INIT;
    sp_ints i1, i2;
    jlp_type dt = jlp_get_type(data);
    if (!jlp_array_get(data, &di) && dt != JLP_LIST && dt != JLP_TUPLE) {
        jlp__buf_puts(why, "data that is not an array");
        return JLP_VERDICT_SUSPICIOUS;
    }
    const char *n1 = fmt == 'o' ? "row" : "indices", *n2 = fmt == 'o' ? "col" : "indptr";
    if (!sparse_ints(a1, &i1) || !sparse_ints(a2, &i2)) {
        jlp__buf_printf(why, "%s or %s that is not an integer array the scan can read", n1, n2);
        return JLP_VERDICT_SUSPICIOUS;
    }
    uint64_t ndata = dt == JLP_NDARRAY ? (di.ndim ? di.shape[0] : 0) : jlp_len(data);
    if (fmt == 'o') {
        /* coo_todense writes B[row * N + col] for each entry */
        uint64_t nnz = i1.count < i2.count ? i1.count : i2.count;
        uint64_t bad = sparse_bad_index(&i1, nnz, d[0]);
        const char *which = "row";
        int64_t bound = d[0];
        if (bad == UINT64_MAX) {
            bad = sparse_bad_index(&i2, nnz, d[1]);
            which = "col";
            bound = d[1];
            if (bad != UINT64_MAX) i1 = i2;
        }
        if (bad != UINT64_MAX) {
            jlp__buf_printf(why, "%s[%llu] = %lld outside [0, %lld)", which, (unsigned long long)bad,
                            (long long)sparse_elem(&i1, bad), (long long)bound);
            return JLP_VERDICT_DANGEROUS;
        }
        if (i1.count != i2.count || i1.count != ndata || i1.ndim != 1 || i2.ndim != 1) {
            jlp__buf_puts(why, "row, col and data of different lengths or dimensions, which scipy refuses");
            return JLP_VERDICT_SUSPICIOUS;
        }
        return JLP_VERDICT_SAFE;
    }
    /* compressed formats: major dimension by indptr, minor by indices (in blocks for bsr) */
    int64_t major = -1, minor = -1;
    if (fmt == 'b') {
        if (dt != JLP_NDARRAY || di.ndim != 3 || !di.shape[1] || !di.shape[2]) {
            jlp__buf_puts(why, "bsr data that is not an array of blocks");
            return JLP_VERDICT_SUSPICIOUS;
        }
        if (shape) {
            if ((uint64_t)d[0] % di.shape[1] || (uint64_t)d[1] % di.shape[2]) {
                jlp__buf_puts(why, "blocks that do not divide the shape");
                return JLP_VERDICT_SUSPICIOUS;
            }
            major = d[0] / (int64_t)di.shape[1];
            minor = d[1] / (int64_t)di.shape[2];
        }
    } else if (shape) {
        major = fmt == 'r' ? d[0] : d[1];
        minor = fmt == 'r' ? d[1] : d[0];
    }
    if (major < 0) major = i2.count ? (int64_t)i2.count - 1 : 0;
    if (i2.count < (uint64_t)major + 1) {
        jlp__buf_printf(why, "indptr of %llu entries for %lld rows: the kernels read past its end",
                        (unsigned long long)i2.count, (long long)major);
        return JLP_VERDICT_DANGEROUS;
    }
    uint64_t avail = i1.count < ndata ? i1.count : ndata;
    int64_t prev = 0;
    for (uint64_t r = 0; r <= (uint64_t)major; r++) {
        int64_t x = sparse_elem(&i2, r);
        if (x < prev || (uint64_t)x > avail || (r == 0 && x != 0)) {
            jlp__buf_printf(why, "indptr[%llu] = %lld %s", (unsigned long long)r, (long long)x,
                            r == 0 && x != 0 ? "where scipy starts at 0"
                            : x < prev       ? "below the entry before it"
                                             : "past the indices and data");
            jlp__buf_printf(why, " (%llu entries)", (unsigned long long)avail);
            return JLP_VERDICT_DANGEROUS;
        }
        prev = x;
    }
    uint64_t bad = sparse_bad_index(&i1, (uint64_t)prev, minor);
    if (bad != UINT64_MAX) {
        jlp__buf_printf(why, "indices[%llu] = %lld outside [0, %lld)", (unsigned long long)bad,
                        (long long)sparse_elem(&i1, bad), (long long)minor);
        return JLP_VERDICT_DANGEROUS;
    }
    if (i2.count != (uint64_t)major + 1 || i1.count != ndata || i1.ndim != 1 || i2.ndim != 1) {
        jlp__buf_puts(why, "indptr, indices and data of lengths or dimensions scipy refuses");
        return JLP_VERDICT_SUSPICIOUS;
    }
    return JLP_VERDICT_SAFE;
}

/* dia: dia_matvec reads data[i, :] for each of len(offsets) diagonals (the offsets
 * themselves are clipped to the shape). lil: tocsr (and with it @, toarray) writes the
 * row lengths into indptr[1:M+1] and flattens rows and data into arrays of the rows'
 * total length, unchecked, then builds a csr_matrix of those column indices. */
static jlp_verdict sparse_judge_dia_lil(char fmt, const jlp_val *state, jlp__buf *why) {
    int64_t d[2];
    const jlp_val *shape = jlp_dict_get(state, "_shape");
    if (!sparse_shape(shape, d)) {
        jlp__buf_puts(why, "a shape that is not two non-negative ints");
        return JLP_VERDICT_SUSPICIOUS;
    }
    jlp_array_info di = JLP_ARRAY_INFO_INIT;
    if (fmt == 'd') {
        sp_ints off;
        if (!jlp_array_get(jlp_dict_get(state, "data"), &di) || di.ndim != 2 ||
            !sparse_ints(jlp_dict_get(state, "offsets"), &off)) {
            jlp__buf_puts(why, "data or offsets the scan cannot read");
            return JLP_VERDICT_SUSPICIOUS;
        }
        if (off.count > di.shape[0]) {
            jlp__buf_printf(why, "%llu offsets for %llu rows of diagonals", (unsigned long long)off.count,
                            (unsigned long long)di.shape[0]);
            return JLP_VERDICT_DANGEROUS;
        }
        return JLP_VERDICT_SAFE;
    }
    jlp_array_info ri = JLP_ARRAY_INFO_INIT;
    const jlp_val *rows = jlp_dict_get(state, "rows"), *data = jlp_dict_get(state, "data");
    if (!jlp_array_get(rows, &ri) || !jlp_array_get(data, &di) || ri.data || di.data || ri.ndim != 1 ||
        di.ndim != 1) {
        jlp__buf_puts(why, "rows or data that are not object arrays of lists");
        return JLP_VERDICT_SUSPICIOUS;
    }
    if (ri.count != (uint64_t)d[0] || di.count != ri.count) {
        jlp__buf_printf(why, "%llu rows and %llu data lists for %lld rows", (unsigned long long)ri.count,
                        (unsigned long long)di.count, (long long)d[0]);
        return JLP_VERDICT_DANGEROUS;
    }
    for (uint64_t i = 0; i < ri.count; i++) {
        const jlp_val *r = jlp_array_object(rows, i), *x = jlp_array_object(data, i);
        sp_ints cols;
        jlp_type xt = jlp_get_type(x);
        if (!sparse_ints(r, &cols) || !cols.seq || (xt != JLP_LIST && xt != JLP_TUPLE)) {
            jlp__buf_printf(why, "row %llu that is not a list of ints with a list of data", (unsigned long long)i);
            return JLP_VERDICT_SUSPICIOUS;
        }
        if (jlp_len(x) != cols.count) {
            jlp__buf_printf(why, "row %llu of %llu columns and %zu data", (unsigned long long)i,
                            (unsigned long long)cols.count, jlp_len(x));
            return JLP_VERDICT_DANGEROUS;
        }
        uint64_t bad = sparse_bad_index(&cols, cols.count, d[1]);
        if (bad != UINT64_MAX) {
            jlp__buf_printf(why, "rows[%llu][%llu] = %lld outside [0, %lld)", (unsigned long long)i,
                            (unsigned long long)bad, (long long)sparse_elem(&cols, bad), (long long)d[1]);
            return JLP_VERDICT_DANGEROUS;
        }
    }
    return JLP_VERDICT_SAFE;
}

/* A state given to a scipy sparse matrix: __dict__.update, nothing checked. */
static void sparse_state(jlp__reading_ctx *c, uint64_t offset, int depth, const jlp_val *target,
                         const jlp_val *state) {
    const jlp_val *cls = sparse_class_of(target);
    if (!cls) return;
    char fmt = sparse_format(cls);
    jlp__buf *why = &c->subj;
    why->len = 0;
    global_name(why, cls);
    jlp__buf_puts(why, " restored with ");
    jlp_verdict v;
    if (jlp_get_type(state) != JLP_DICT) {
        jlp__buf_puts(why, "a state that is not a dict");
        v = JLP_VERDICT_SUSPICIOUS;
    } else if (fmt == 'd' || fmt == 'l') {
        v = sparse_judge_dia_lil(fmt, state, why);
    } else {
        const jlp_val *shape = jlp_dict_get(state, "_shape");
        if (!shape) shape = jlp_dict_get(state, "shape");
        v = sparse_judge(fmt, shape ? shape : state, jlp_dict_get(state, "data"),
                         jlp_dict_get(state, fmt == 'o' ? "row" : "indices"),
                         jlp_dict_get(state, fmt == 'o' ? "col" : "indptr"), why);
    }
    if (v == JLP_VERDICT_SAFE) return;
    jlp__buf_puts(why, v == JLP_VERDICT_DANGEROUS
                           ? ": scipy's sparse kernels (toarray, @, sums) read and write memory at it"
                           : ": the scan cannot prove the kernels stay inside the arrays");
    build_finding(c, offset, depth, v, cls, "state", jlp__buf_cstr(why));
}

/* ---- scikit-learn's decision trees (S-51) ------------------------------------------ */

/* Tree.__setstate__ checks the dtype and shape of its node and value arrays, not what the
 * nodes hold: apply/predict follow left_child and right_child as indices into the nodes
 * and read X[i, feature] with bounds checks off. The tree is Tree(n_features, n_classes,
 * n_outputs) given by BUILD {max_depth, node_count, nodes, values}. Returns the verdict,
 * the problem in `why`. */
static jlp_verdict tree_judge(const jlp_val *target, const jlp_val *state, jlp__buf *why) {
    const jlp_val *nf = jlp_item(jlp_obj_args(target), 0);
    if (jlp_get_type(state) != JLP_DICT) {
        jlp__buf_puts(why, "a state that is not a dict");
        return JLP_VERDICT_SUSPICIOUS;
    }
    const jlp_val *nodes = jlp_dict_get(state, "nodes"), *count = jlp_dict_get(state, "node_count");
    int64_t n, features;
    if (!int_value(nf, &features) || !int_value(count, &n) || jlp_get_type(nodes) != JLP_NDARRAY) {
        jlp__buf_puts(why, "n_features, node_count or nodes the scan cannot read");
        return JLP_VERDICT_SUSPICIOUS;
    }
    jlp_view l = JLP_VIEW_INIT, r = JLP_VIEW_INIT, f = JLP_VIEW_INIT;
    if (jlp_array_field(nodes, "left_child", JLP_I64, 0, &l, NULL) != JLP_OK ||
        jlp_array_field(nodes, "right_child", JLP_I64, 0, &r, NULL) != JLP_OK ||
        jlp_array_field(nodes, "feature", JLP_I64, 0, &f, NULL) != JLP_OK || l.count != r.count ||
        l.count != f.count) {
        jlp__buf_puts(why, "nodes without integer left_child, right_child and feature fields");
        return JLP_VERDICT_SUSPICIOUS;
    }
    if (n < 0 || (uint64_t)n > l.count) {
        jlp__buf_printf(why, "node_count %lld for %llu nodes: the tree is read past its node array", (long long)n,
                        (unsigned long long)l.count);
        return JLP_VERDICT_DANGEROUS;
    }
    const int64_t *lc = l.data, *rc = r.data, *fe = f.data;
    for (int64_t i = 0; i < n; i++) {
        if (lc[i] == -1) continue; /* a leaf: nothing followed */
        const char *what = NULL;
        int64_t x = 0;
        if (lc[i] <= i || lc[i] >= n) what = "left_child", x = lc[i];
        else if (rc[i] <= i || rc[i] >= n) what = "right_child", x = rc[i];
        else if (fe[i] < 0 || fe[i] >= features) what = "feature", x = fe[i];
        if (what) {
            jlp__buf_printf(why, "node %lld's %s = %lld outside ", (long long)i, what, (long long)x);
            if (what[0] == 'f') jlp__buf_printf(why, "[0, %lld) features", (long long)features);
            else jlp__buf_printf(why, "(%lld, %lld): a node after it", (long long)i, (long long)n);
            return JLP_VERDICT_DANGEROUS;
        }
    }
    return JLP_VERDICT_SAFE;
}

/* HistGradientBoosting's TreePredictor: predict follows nodes[i].left / .right and reads
 * X[row, feature_idx] (bitsets at bitset_idx for categorical splits) with bounds checks
 * off. The predictors are judged at the estimator's BUILD, which knows n_features_in_:
 * every node not a leaf has both children after it inside the nodes and a feature in
 * [0, n_features); a categorical split's bitset_idx is inside both bitset arrays. */
static jlp_verdict hgb_predictor_judge(const jlp_val *pred, int64_t features, uint64_t k, jlp__buf *why) {
    const jlp_val *st = jlp_get_type(pred) == JLP_OBJECT ? jlp_obj_state(pred) : NULL;
    if (jlp_get_type(st) != JLP_DICT) {
        jlp__buf_printf(why, "predictor %llu that is not a TreePredictor with a state", (unsigned long long)k);
        return JLP_VERDICT_SUSPICIOUS;
    }
    const jlp_val *nodes = jlp_dict_get(st, "nodes");
    jlp_view l = JLP_VIEW_INIT, r = JLP_VIEW_INIT, f = JLP_VIEW_INIT, leaf = JLP_VIEW_INIT, cat = JLP_VIEW_INIT,
             bi = JLP_VIEW_INIT;
    if (jlp_array_field(nodes, "left", JLP_I64, 0, &l, NULL) != JLP_OK ||
        jlp_array_field(nodes, "right", JLP_I64, 0, &r, NULL) != JLP_OK ||
        jlp_array_field(nodes, "feature_idx", JLP_I64, 0, &f, NULL) != JLP_OK ||
        jlp_array_field(nodes, "is_leaf", JLP_I64, 0, &leaf, NULL) != JLP_OK || l.count != r.count ||
        l.count != f.count || l.count != leaf.count) {
        jlp__buf_printf(why, "predictor %llu without integer left, right, feature_idx and is_leaf node fields",
                        (unsigned long long)k);
        return JLP_VERDICT_SUSPICIOUS;
    }
    bool has_cat = jlp_array_field(nodes, "is_categorical", JLP_I64, 0, &cat, NULL) == JLP_OK &&
                   jlp_array_field(nodes, "bitset_idx", JLP_I64, 0, &bi, NULL) == JLP_OK && cat.count == l.count &&
                   bi.count == l.count;
    uint64_t nbits = UINT64_MAX;
    const char *const bitsets[] = {"binned_left_cat_bitsets", "raw_left_cat_bitsets"};
    for (size_t j = 0; j < 2; j++) {
        jlp_array_info bs = JLP_ARRAY_INFO_INIT;
        if (jlp_array_get(jlp_dict_get(st, bitsets[j]), &bs) && bs.ndim >= 1 && bs.shape[0] < nbits)
            nbits = bs.shape[0];
    }
    const int64_t *lc = l.data, *rc = r.data, *fe = f.data, *lf = leaf.data;
    int64_t n = (int64_t)l.count;
    if (n == 0) {
        jlp__buf_printf(why, "predictor %llu of no nodes (predict reads node 0)", (unsigned long long)k);
        return JLP_VERDICT_DANGEROUS;
    }
    for (int64_t i = 0; i < n; i++) {
        if (lf[i]) continue;
        const char *what = NULL;
        int64_t x = 0, lo = i, hi = n;
        if (lc[i] <= i || lc[i] >= n) what = "left", x = lc[i];
        else if (rc[i] <= i || rc[i] >= n) what = "right", x = rc[i];
        else if (fe[i] < 0 || fe[i] >= features) what = "feature_idx", x = fe[i], lo = -1, hi = features;
        else if (has_cat && ((const int64_t *)cat.data)[i] &&
                 (((const int64_t *)bi.data)[i] < 0 || (uint64_t)((const int64_t *)bi.data)[i] >= nbits))
            what = "bitset_idx", x = ((const int64_t *)bi.data)[i], lo = -1,
            hi = nbits == UINT64_MAX ? 0 : (int64_t)nbits;
        if (what) {
            jlp__buf_printf(why, "predictor %llu's node %lld %s = %lld outside (%lld, %lld)", (unsigned long long)k,
                            (long long)i, what, (long long)x, (long long)lo, (long long)hi);
            return JLP_VERDICT_DANGEROUS;
        }
    }
    return JLP_VERDICT_SAFE;
}

static jlp_verdict hgb_judge(const jlp_val *state, jlp__buf *why) {
    if (jlp_get_type(state) != JLP_DICT) return JLP_VERDICT_SAFE; /* no predictors restored */
    const jlp_val *preds = jlp_dict_get(state, "_predictors"), *nf = jlp_dict_get(state, "n_features_in_");
    if (!preds) return JLP_VERDICT_SAFE; /* not fitted */
    if (!nf) nf = jlp_dict_get(state, "n_features_"); /* scikit-learn before 0.24 */
    int64_t features;
    if (!int_value(nf, &features) || jlp_get_type(preds) != JLP_LIST) {
        jlp__buf_puts(why, "_predictors or n_features_in_ the scan cannot read");
        return JLP_VERDICT_SUSPICIOUS;
    }
    uint64_t k = 0;
    for (size_t i = 0; i < jlp_len(preds); i++) {
        const jlp_val *row = jlp_item(preds, i);
        if (jlp_get_type(row) != JLP_LIST) {
            jlp__buf_puts(why, "_predictors that are not lists of predictors");
            return JLP_VERDICT_SUSPICIOUS;
        }
        for (size_t j = 0; j < jlp_len(row); j++, k++) {
            jlp_verdict v = hgb_predictor_judge(jlp_item(row, j), features, k, why);
            if (v != JLP_VERDICT_SAFE) return v;
        }
    }
    return JLP_VERDICT_SAFE;
}

/* A sklearn.metrics._dist_metrics class `cls` given the state (p, vec, mat, ...), which
 * __setstate__ takes unchecked, used on points of `features` coordinates (-1: as many
 * as `vec` has, the number pairwise and dist accept). SEuclidean, WMinkowski and a
 * weighted Minkowski read vec[:features]; Mahalanobis reads mat[:features, :features]
 * (a (1, 65536) mat for 1000 features: SIGSEGV in pairwise) and writes vec[:features]
 * as its buffer. Other classes and other modules: safe (nothing to check). */
static jlp_verdict dist_metric_judge(const jlp_val *cls, const jlp_val *ds, int64_t features, jlp__buf *why) {
    size_t dml, dnl;
    const char *dmm = jlp_get_type(cls) == JLP_GLOBAL ? jlp_global_module(cls, &dml) : NULL;
    const char *dmn = dmm ? jlp_global_name(cls, &dnl) : NULL;
    if (!dmm || !str_is(dmm, dml, "sklearn.metrics._dist_metrics")) return JLP_VERDICT_SAFE;
    bool mink = dnl >= 17 && !memcmp(dmn, "MinkowskiDistance", 17);
    bool maha = dnl >= 19 && !memcmp(dmn, "MahalanobisDistance", 19);
    bool weighted = (dnl >= 18 && !memcmp(dmn, "SEuclideanDistance", 18)) ||
                    (dnl >= 18 && !memcmp(dmn, "WMinkowskiDistance", 18)) || maha;
    if (!mink && !weighted) return JLP_VERDICT_SAFE;
    jlp_array_info vec = JLP_ARRAY_INFO_INIT, mat = JLP_ARRAY_INFO_INIT;
    if (jlp_get_type(ds) != JLP_TUPLE || !jlp_array_get(jlp_item(ds, 1), &vec) ||
        !jlp_array_get(jlp_item(ds, 2), &mat)) {
        jlp__buf_printf(why, "a %.*s whose vec and mat the scan cannot read", (int)dnl, dmn);
        return JLP_VERDICT_SUSPICIOUS;
    }
    uint64_t n = features < 0 ? vec.count : (uint64_t)features;
    bool short_vec = vec.count < n && !(mink && vec.count == 0);
    bool short_mat = maha && (mat.ndim != 2 || mat.shape[0] < n || mat.shape[1] < n);
    if (short_vec || short_mat) {
        jlp__buf_printf(why, "a %.*s whose %s of %llu items is short of %llu features", (int)dnl, dmn,
                        short_vec ? "vec" : "mat", (unsigned long long)(short_vec ? vec.count : mat.count),
                        (unsigned long long)n);
        return JLP_VERDICT_DANGEROUS;
    }
    return JLP_VERDICT_SAFE;
}

/* sklearn.neighbors._quad_tree._QuadTree(n_dimensions, verbose) given BUILD {cell_count,
 * cells, ...}: __setstate__ copies the first min(cell_count, len(cells)) cells as they
 * come, and get_cell, summarize and _check_coherence follow a cell's first
 * 2**n_dimensions children (-1: none) with bounds checks off; a cell holds 8 children
 * and 3 coordinates, so build_tree of more than 3 dimensions writes past them (SIGSEGV). */
static jlp_verdict quad_tree_judge(const jlp_val *target, const jlp_val *state, jlp__buf *why) {
    int64_t dims, count;
    if (!int_value(jlp_item(jlp_obj_args(target), 0), &dims) || dims < 1) {
        jlp__buf_puts(why, "n_dimensions the scan cannot read or below 1");
        return JLP_VERDICT_SUSPICIOUS;
    }
    if (dims > 3) {
        jlp__buf_printf(why, "n_dimensions %lld past the 3 a cell holds", (long long)dims);
        return JLP_VERDICT_DANGEROUS;
    }
    if (jlp_get_type(state) != JLP_DICT) {
        jlp__buf_puts(why, "a state that is not a dict");
        return JLP_VERDICT_SUSPICIOUS;
    }
    jlp_view ch = JLP_VIEW_INIT, lf = JLP_VIEW_INIT;
    const jlp_val *cells = jlp_dict_get(state, "cells");
    if (!int_value(jlp_dict_get(state, "cell_count"), &count) ||
        jlp_array_field(cells, "children", JLP_I64, 0, &ch, NULL) != JLP_OK ||
        jlp_array_field(cells, "is_leaf", JLP_I64, 0, &lf, NULL) != JLP_OK || ch.count != lf.count * 8) {
        jlp__buf_puts(why, "cell_count or cells without 8 integer children and is_leaf the scan cannot read");
        return JLP_VERDICT_SUSPICIOUS;
    }
    int64_t n = count < 0 ? 0 : (uint64_t)count < lf.count ? count : (int64_t)lf.count;
    const int64_t *c = ch.data, *leaf = lf.data;
    for (int64_t i = 0; i < n; i++) {
        if (leaf[i]) continue;
        for (int64_t k = 0; k < ((int64_t)1 << dims); k++) {
            int64_t x = c[i * 8 + k];
            if (x != -1 && (x <= i || x >= n)) {
                jlp__buf_printf(why, "cell %lld's child %lld = %lld outside (%lld, %lld): a cell after it",
                                (long long)i, (long long)k, (long long)x, (long long)i, (long long)n);
                return JLP_VERDICT_DANGEROUS;
            }
        }
    }
    return JLP_VERDICT_SAFE;
}

/* sklearn.neighbors' KDTree and BallTree: BinaryTree.__setstate__ takes (data, idx_array,
 * node_data, node_bounds, leaf_size, n_levels, n_nodes, ...) as they come, and query
 * reads data[idx_array[i]], node i's children 2i+1 and 2i+2 until is_leaf, and
 * node_bounds[:, i, :n_features] with bounds checks off. */
static jlp_verdict binary_tree_judge(const jlp_val *state, jlp__buf *why) {
    if (jlp_get_type(state) != JLP_TUPLE || jlp_len(state) < 7) {
        jlp__buf_puts(why, "a state that is not BinaryTree's tuple");
        return JLP_VERDICT_SUSPICIOUS;
    }
    jlp_array_info data = JLP_ARRAY_INFO_INIT, bounds = JLP_ARRAY_INFO_INIT;
    sp_ints idx;
    jlp_view st = JLP_VIEW_INIT, en = JLP_VIEW_INIT, lf = JLP_VIEW_INIT;
    const jlp_val *nodes = jlp_item(state, 2), *nn = jlp_item(state, 6);
    if (!jlp_array_get(jlp_item(state, 0), &data) || data.ndim != 2 || !sparse_ints(jlp_item(state, 1), &idx) ||
        !jlp_array_get(jlp_item(state, 3), &bounds) || bounds.ndim != 3 || jlp_get_type(nn) != JLP_INT ||
        jlp_array_field(nodes, "idx_start", JLP_I64, 0, &st, NULL) != JLP_OK ||
        jlp_array_field(nodes, "idx_end", JLP_I64, 0, &en, NULL) != JLP_OK ||
        jlp_array_field(nodes, "is_leaf", JLP_I64, 0, &lf, NULL) != JLP_OK || st.count != en.count ||
        st.count != lf.count) {
        jlp__buf_puts(why, "data, idx_array, node_data, node_bounds or n_nodes the scan cannot read");
        return JLP_VERDICT_SUSPICIOUS;
    }
    uint64_t samples = data.shape[0], features = data.shape[1];
    int64_t n = jlp_get_int(nn);
    uint64_t bad = sparse_bad_index(&idx, idx.count, samples > INT64_MAX ? INT64_MAX : (int64_t)samples);
    if (bad != UINT64_MAX) {
        jlp__buf_printf(why, "idx_array[%llu] = %lld outside [0, %llu) samples", (unsigned long long)bad,
                        (long long)sparse_elem(&idx, bad), (unsigned long long)samples);
        return JLP_VERDICT_DANGEROUS;
    }
    if (n < 0 || (uint64_t)n > st.count || (uint64_t)n > bounds.shape[1] || bounds.shape[2] < features) {
        jlp__buf_printf(why, "n_nodes %lld for %llu nodes and bounds of shape (%llu, %llu, %llu) over %llu features",
                        (long long)n, (unsigned long long)st.count, (unsigned long long)bounds.shape[0],
                        (unsigned long long)bounds.shape[1], (unsigned long long)bounds.shape[2],
                        (unsigned long long)features);
        return JLP_VERDICT_DANGEROUS;
    }
    const int64_t *s0 = st.data, *e0 = en.data, *l0 = lf.data;
    for (int64_t i = 0; i < n; i++) {
        if (s0[i] < 0 || s0[i] > e0[i] || (uint64_t)e0[i] > idx.count) {
            jlp__buf_printf(why, "node %lld's idx_start %lld and idx_end %lld outside [0, %llu]", (long long)i,
                            (long long)s0[i], (long long)e0[i], (unsigned long long)idx.count);
            return JLP_VERDICT_DANGEROUS;
        }
        if (!l0[i] && (i > (n - 3) / 2 || n < 3)) {
            jlp__buf_printf(why, "node %lld not a leaf without children 2i+1, 2i+2 among %lld nodes", (long long)i,
                            (long long)n);
            return JLP_VERDICT_DANGEROUS;
        }
    }
    /* the distance metric (state[11]), restored unchecked, is held to the data's features */
    const jlp_val *dm = jlp_item(state, 11);
    const jlp_val *dmc = jlp_get_type(dm) == JLP_OBJECT ? jlp_obj_callable(dm) : NULL;
    if (jlp_global_is(dmc, "sklearn.metrics._dist_metrics", "newObj")) dmc = jlp_item(jlp_obj_args(dm), 0);
    jlp_verdict v = dist_metric_judge(dmc, jlp_obj_state(dm), (int64_t)features, why);
    if (v != JLP_VERDICT_SAFE) return v;
    jlp_array_info w = JLP_ARRAY_INFO_INIT;
    if (jlp_len(state) > 12 && jlp_array_get(jlp_item(state, 12), &w) && w.count < samples) {
        jlp__buf_printf(why, "sample_weight of %llu items for %llu samples", (unsigned long long)w.count,
                        (unsigned long long)samples);
        return JLP_VERDICT_DANGEROUS;
    }
    return JLP_VERDICT_SAFE;
}

/* An int or a numpy integer scalar into *out; false otherwise. */
static bool int_value(const jlp_val *v, int64_t *out) {
    if (jlp_get_type(v) == JLP_INT) {
        *out = jlp_get_int(v);
        return true;
    }
    const jlp_val *dt = jlp_get_type(v) == JLP_SCALAR ? jlp_scalar_dtype(v) : NULL;
    size_t len = 0;
    const void *data = dt ? jlp_scalar_data(v, &len) : NULL;
    char k = jlp_dtype_kind(dt);
    if (!data || (k != 'i' && k != 'u') || len != jlp_dtype_itemsize(dt) || !(len == 1 || len == 2 || len == 4 || len == 8))
        return false;
    jlp_array_info info = JLP_ARRAY_INFO_INIT;
    info.dtype = dt;
    info.data = data;
    sp_ints one = {NULL, info, 1, 1};
    *out = sparse_elem(&one, 0);
    return true;
}

/* CountVectorizer and TfidfVectorizer: transform builds csr_matrix((values, j_indices,
 * indptr), shape=(docs, len(vocabulary_))) from the vocabulary's values, whose
 * constructor checks no index (S-50), and then multiplies it (TfidfVectorizer) or hands it
 * out: a value outside [0, len(vocabulary_)) is a read or write at that column. */
static jlp_verdict vocabulary_judge(const jlp_val *state, jlp__buf *why) {
    const jlp_val *voc = jlp_get_type(state) == JLP_DICT ? jlp_dict_get(state, "vocabulary_") : NULL;
    if (!voc) return JLP_VERDICT_SAFE; /* not fitted */
    if (jlp_get_type(voc) != JLP_DICT) {
        jlp__buf_puts(why, "a vocabulary_ that is not a dict");
        return JLP_VERDICT_SUSPICIOUS;
    }
    size_t n = jlp_len(voc);
    for (size_t i = 0; i < n; i++) {
        int64_t x;
        if (!int_value(jlp_dict_value(voc, i), &x)) {
            jlp__buf_printf(why, "vocabulary_ value %zu that is not an int", i);
            return JLP_VERDICT_SUSPICIOUS;
        }
        if (x < 0 || (uint64_t)x >= n) {
            size_t kl = 0;
            const char *k = jlp_get_str(jlp_dict_key(voc, i), &kl);
            jlp__buf_printf(why, "vocabulary_['%.*s'] = %lld outside [0, %zu): transform builds a csr_matrix with "
                            "that column index unchecked (S-50)", (int)(kl > 40 ? 40 : kl), k ? k : "", (long long)x, n);
            return JLP_VERDICT_DANGEROUS;
        }
    }
    return JLP_VERDICT_SAFE;
}

static void tree_state(jlp__reading_ctx *c, uint64_t offset, int depth, const jlp_val *target,
                       const jlp_val *state) {
    if (jlp_get_type(target) != JLP_OBJECT) return;
    const jlp_val *cls = jlp_obj_callable(target);
    const jlp_val *made = class_made(target);
    bool tree = jlp_global_is(cls, "sklearn.tree._tree", "Tree");
    bool hgb = jlp_global_is(made, "sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
                             "HistGradientBoostingClassifier") ||
               jlp_global_is(made, "sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
                             "HistGradientBoostingRegressor");
    bool btree = false;
    if (jlp_get_type(made) == JLP_GLOBAL && jlp_get_type(cls) == JLP_GLOBAL) {
        size_t cml, cnl;
        const char *cm = jlp_global_module(cls, &cml), *cn = jlp_global_name(cls, &cnl);
        if ((str_is(cm, cml, "sklearn.neighbors._kd_tree") || str_is(cm, cml, "sklearn.neighbors._ball_tree") ||
             str_is(cm, cml, "sklearn.metrics._dist_metrics")) &&
            str_is(cn, cnl, "newObj"))
            made = jlp_item(jlp_obj_args(target), 0);
        btree = jlp_global_is(made, "sklearn.neighbors._kd_tree", "KDTree") ||
                jlp_global_is(made, "sklearn.neighbors._kd_tree", "BinaryTree") ||
                jlp_global_is(made, "sklearn.neighbors._ball_tree", "BallTree") ||
                jlp_global_is(made, "sklearn.neighbors._ball_tree", "BinaryTree");
    }
    bool vocab = jlp_global_is(made, "sklearn.feature_extraction.text", "CountVectorizer") ||
                 jlp_global_is(made, "sklearn.feature_extraction.text", "TfidfVectorizer");
    bool quad = jlp_global_is(made, "sklearn.neighbors._quad_tree", "_QuadTree");
    size_t mml = 0;
    const char *mm = jlp_get_type(made) == JLP_GLOBAL ? jlp_global_module(made, &mml) : NULL;
    bool metric = mm && str_is(mm, mml, "sklearn.metrics._dist_metrics");
    if (!tree && !hgb && !btree && !vocab && !quad && !metric) return;
    cls = tree ? cls : made;
    jlp__buf *why = &c->subj;
    why->len = 0;
    global_name(why, cls);
    jlp__buf_puts(why, " restored with ");
    jlp_verdict v = tree     ? tree_judge(target, state, why)
                    : hgb    ? hgb_judge(state, why)
                    : vocab  ? vocabulary_judge(state, why)
                    : quad   ? quad_tree_judge(target, state, why)
                    : metric ? dist_metric_judge(made, state, -1, why)
                             : binary_tree_judge(state, why);
    if (v == JLP_VERDICT_SAFE) return;
    jlp__buf_puts(why, v != JLP_VERDICT_DANGEROUS ? ": the scan cannot prove the estimator stays inside its arrays"
                       : vocab  ? "; restoring does not check it"
                       : quad   ? ": restoring does not check it, and get_cell, summarize and build_tree follow it "
                                  "with bounds checks off (reads or writes outside the cells)"
                       : metric ? ": restoring does not check it, and pairwise and dist read the matrix with bounds "
                                  "checks off"
                                : ": restoring does not check it, and predict or query follow it with bounds "
                                  "checks off (reads outside the nodes, the data or X)");
    build_finding(c, offset, depth, v, cls, "state", jlp__buf_cstr(why));
}

/* ---- containers filled from a range (S-34) ---------------------------------------- */

static bool range_filler(const char *m, size_t ml, const char *n, size_t nl) {
    static const char *const b[] = {"list", "tuple", "set", "frozenset", "bytes", "bytearray", "dict"};
    if (str_is(m, ml, "builtins") || str_is(m, ml, "__builtin__")) {
        for (size_t i = 0; i < COUNT(b); i++)
            if (str_is(n, nl, b[i])) return true;
        return false;
    }
    return str_is(m, ml, "collections") &&
           (str_is(n, nl, "deque") || str_is(n, nl, "Counter") || str_is(n, nl, "OrderedDict"));
}

/* The length of range(...) an object was made by (0 when it is no such range). */
static uint64_t range_length(const jlp_val *v) {
    if (jlp_get_type(v) != JLP_OBJECT) return 0;
    const jlp_val *g = jlp_obj_callable(v);
    if (!jlp_global_is(g, "builtins", "range") && !jlp_global_is(g, "__builtin__", "range") &&
        !jlp_global_is(g, "__builtin__", "xrange"))
        return 0;
    const jlp_val *a = jlp_obj_args(v);
    size_t k = jlp_len(a);
    int64_t x[3] = {0, 0, 1};
    if (k < 1 || k > 3) return 0;
    for (size_t i = 0; i < k; i++)
        if (jlp_get_type(jlp_item(a, i)) != JLP_INT) return 0;
    if (k == 1) x[1] = jlp_get_int(jlp_item(a, 0));
    for (size_t i = 0; k > 1 && i < k; i++) x[i] = jlp_get_int(jlp_item(a, i));
    if (x[2] == 0) return 0;
    int64_t lo = x[2] > 0 ? x[0] : x[1], hi = x[2] > 0 ? x[1] : x[0];
    if (hi <= lo) return 0;
    uint64_t span = (uint64_t)hi - (uint64_t)lo; /* fits: hi > lo */
    uint64_t step = x[2] > 0 ? (uint64_t)x[2] : (uint64_t)0 - (uint64_t)x[2];
    return span / step + (span % step != 0);
}

static bool call_checks(jlp__reading_ctx *c, const jlp_event *ev, const jlp_val *g) {
    const jlp_val *args = ev->args;
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    torch_state_setattr(c, ev, g, m, ml, n, nl);
    jlp__buf *why = &c->why;
    why->len = 0;
    jlp_verdict v = JLP_VERDICT_SAFE;
    const char *reason = NULL;
    if (is_memmap(g)) {
        reason = "numpy.memmap opens, creates or overwrites the file it is given";
        v = JLP_VERDICT_DANGEROUS;
        pending_use(c, g, v, reason);
    } else if (is_getattr(g) && ev->opcode == 'R') {
        v = judge_getattr(c, args);
        reason = jlp__buf_cstr(&c->subj);
        pending_use(c, g, v, reason);
    } else if ((str_is(m, ml, "codecs") || str_is(m, ml, "_codecs")) && (str_is(n, nl, "decode") || str_is(n, nl, "encode"))) {
        const jlp_val *enc = jlp_item(args, 1);
        size_t l;
        const char *s = jlp_get_str(enc, &l);
        if (!enc) return false; /* default utf-8 */
        if (jlp_get_type(enc) != JLP_STR) {
            jlp__buf_printf(why, "%.*s.%.*s with a computed codec", (int)ml, m, (int)nl, n);
            v = JLP_VERDICT_DANGEROUS;
        } else if (!is_text_codec(s, l)) {
            jlp__buf_printf(why, "%.*s.%.*s with the non-text codec '%.*s' (decodes hidden data)", (int)ml, m, (int)nl,
                            n, (int)(l > 40 ? 40 : l), s);
            v = JLP_VERDICT_DANGEROUS;
        } else {
            return false;
        }
        reason = jlp__buf_cstr(why);
    } else if ((str_is(m, ml, "numpy.core") || str_is(m, ml, "numpy._core")) && str_is(n, nl, "_ufunc_reconstruct")) {
        const jlp_val *a0 = jlp_item(args, 0), *a1 = jlp_item(args, 1);
        if (jlp_get_type(a0) != JLP_STR || jlp_get_type(a1) != JLP_STR) {
            v = JLP_VERDICT_DANGEROUS;
            reason = "imports a computed name";
        } else {
            size_t uml, unl;
            const char *um = jlp_get_str(a0, &uml), *un = jlp_get_str(a1, &unl);
            jlp__buf r2;
            jlp__buf_init(&r2, NULL);
            v = jlp__judge(c->policy, um, uml, un, unl, &r2);
            jlp__buf_printf(why, "imports and returns %.*s.%.*s: ", (int)(uml > 100 ? 100 : uml), um,
                            (int)(unl > 100 ? 100 : unl), un);
            jlp__buf_put(why, r2.data, r2.len);
            jlp__buf_release(&r2);
            reason = jlp__buf_cstr(why);
        }
    } else if (is_load_from_bytes(g)) {
        v = judge_load_from_bytes(c, ev, args, why);
        reason = v == JLP_VERDICT_SAFE ? NULL : jlp__buf_cstr(why);
        pending_use(c, g, v, v == JLP_VERDICT_SAFE ? "torch.load of torch.save bytes that scan safe" : reason);
    } else if (sparse_checked(c) && is_checked_rebuild(g)) {
        uint64_t at = UINT64_MAX;
        v = judge_sparse(c, ev, g, why, &at);
        reason = jlp__buf_cstr(why);
        pending_use(c, g, v, reason);
        if (v == JLP_VERDICT_SAFE) reason = NULL;
        else if (at != UINT64_MAX) {
            /* the finding is where the bad index is; the call's offset is in the reason */
            jlp__buf_printf(why, "; rebuilt by the call at byte %llu", (unsigned long long)ev->offset);
            reason = jlp__buf_cstr(why);
            jlp__reading_effect(c, ev, ev->offset, ev->opcode, m, ml, n, nl, v);
            jlp__reading_finding(c, ev, at, v, m, ml, n, nl, "call", reason);
            return true;
        }
    } else if (is_scipy_rv(g)) {
        /* scipy's pickles build a distribution without arguments (NEWOBJ of ()); its
         * state, checked at BUILD, decides */
        if (jlp_len(args) == 0 && !(ev->kwargs && jlp_len(ev->kwargs))) {
            pending_use(c, g, JLP_VERDICT_SAFE, "a scipy.stats distribution built as scipy's pickles build it");
        } else {
            v = JLP_VERDICT_DANGEROUS;
            reason = "a scipy.stats distribution called with arguments, which scipy's pickles never pass";
            pending_use(c, g, v, reason);
        }
    } else if (str_is(m, ml, "copyreg") && is_scipy_rv(jlp_item(args, 0)) && scipy_helper_plain(n, nl, args)) {
        /* copyreg.__newobj__(cls), __newobj_ex__(cls, (), {}), _reconstructor(cls,
         * object, None): the object is made without running anything of the class */
        pending_use(c, jlp_item(args, 0), JLP_VERDICT_SAFE,
                    "a scipy.stats distribution built as scipy's pickles build it");
    } else if (str_is(m, ml, "copyreg") &&
               (str_is(n, nl, "__newobj__") || str_is(n, nl, "__newobj_ex__") || str_is(n, nl, "_reconstructor"))) {
        /* __newobj__(cls, *args) is cls.__new__(cls, *args); _reconstructor(cls, base,
         * state) runs base.__new__(cls, state) and, unless base is object,
         * base.__init__: what runs is the class built and its base */
        const jlp_val *cls = jlp_item(args, 0);
        if (!cls) return false;
        v = judge_class(c, cls, "class built", false);
        jlp__buf_put(why, c->subj.data, c->subj.len);
        if (str_is(n, nl, "_reconstructor")) {
            const jlp_val *base = jlp_item(args, 1);
            if (base && !jlp_global_is(base, "builtins", "object"))
                /* base.__init__(obj, state): for a dict base the state's pairs become the
                 * object's items, which a class with __getattr__ over its items (sklearn's
                 * Bunch) gives as attributes: judged as SETITEMS into the object (S-22) */
                dunder_keys(c, ev->offset, ev->depth, ev->name, jlp_item(args, 2), cls,
                            "the state base.__init__ puts into the object");
            if (base && !jlp_global_is(base, "builtins", "object")) {
                jlp_verdict bv = judge_class(c, base, "base: __new__ and __init__", false);
                if (bv > v) {
                    v = bv;
                    why->len = 0;
                    jlp__buf_put(why, c->subj.data, c->subj.len);
                }
            }
        }
        reason = jlp__buf_cstr(why);
    } else if (is_reconstruct(g)) {
        const jlp_val *cls = jlp_item(args, 0);
        if (!cls) return false;
        v = judge_class(c, cls, "array class", true);
        jlp__buf_put(why, c->subj.data, c->subj.len);
        reason = jlp__buf_cstr(why);
    } else if (pandas_builder(m, ml, n, nl) >= 0) {
        /* pandas' helpers build the class they are given: safe for their own role's
         * classes only (S-33) */
        int role = pandas_builder(m, ml, n, nl);
        const jlp_val *cls = jlp_item(args, 0);
        if (!cls) return false;
        v = judge_class(c, cls, "class built", false);
        jlp__buf_put(why, c->subj.data, c->subj.len);
        if (!pandas_class_of_role(cls, role) && v <= JLP_VERDICT_SUSPICIOUS) {
            v = JLP_VERDICT_SUSPICIOUS;
            why->len = 0;
            jlp__buf_printf(why, "pandas' %.*s builds ", (int)nl, n);
            if (jlp_get_type(cls) == JLP_GLOBAL) global_name(why, cls);
            else describe_computed(why, cls);
            jlp__buf_printf(why, ", not %s: it runs that class's constructor with the pickle's arguments",
                            PANDAS_ROLE[role]);
        }
        const jlp_val *d = jlp_item(args, 1);
        bool cython = nl > 15 && !memcmp(n, "__pyx_unpickle_", 15);
        if (!cython && role != PD_PERIODINDEX && d && jlp_get_type(d) != JLP_DICT && v < JLP_VERDICT_SUSPICIOUS) {
            v = JLP_VERDICT_SUSPICIOUS;
            why->len = 0;
            jlp__buf_printf(why, "pandas' %.*s given keyword arguments that are ", (int)nl, n);
            describe_computed(why, d);
            jlp__buf_puts(why, ", not a dict: Python calls its keys() and __getitem__");
        }
        if (cython)
            dunder_keys_in_tuple(c, ev->offset, ev->depth, ev->name, jlp_item(args, 2), cls, "the state");
        reason = jlp__buf_cstr(why);
    } else if ((nl > 15 && !memcmp(n, "__pyx_unpickle_", 15)) || str_is(n, nl, "newObj")) {
        /* Cython's pickling helpers build an object of the class they are given: safe
         * for the classes of their own module only */
        const jlp_val *cls = jlp_item(args, 0);
        if (!cls) return false;
        v = judge_class(c, cls, "class built", false);
        jlp__buf_put(why, c->subj.data, c->subj.len);
        size_t cml;
        const char *cm = jlp_global_module(cls, &cml);
        if (jlp_get_type(cls) != JLP_GLOBAL || cml != ml || memcmp(cm, m, ml)) {
            if (v < JLP_VERDICT_SUSPICIOUS) v = JLP_VERDICT_SUSPICIOUS;
            why->len = 0;
            jlp__buf_printf(why, "a Cython pickling helper of %.*s builds ", (int)ml, m);
            if (jlp_get_type(cls) == JLP_GLOBAL) global_name(why, cls);
            else describe_computed(why, cls);
            jlp__buf_puts(why, ", a class of another module");
        }
        dunder_keys_in_tuple(c, ev->offset, ev->depth, ev->name, jlp_item(args, 2), cls, "the state");
        reason = jlp__buf_cstr(why);
    } else if ((str_is(m, ml, "dateutil.tz.tz") || str_is(m, ml, "dateutil.tz")) && str_is(n, nl, "tzfile") &&
               jlp_item(args, 0) && jlp_get_type(jlp_item(args, 0)) != JLP_NONE) {
        /* dateutil's pickles write tzfile(None, filename): the name alone, nothing read;
         * a first argument makes it open and read that path or file object (S-33) */
        v = JLP_VERDICT_SUSPICIOUS;
        reason = "dateutil's tzfile given a file to read (its pickles pass None and the name): it opens and reads "
                 "the path or file object it is given, which may block on a fifo or device";
    } else if (native_class(m, ml, n, nl) && (ev->opcode == 'R' || ev->opcode == 'o' || ev->opcode == 'i') &&
               (jlp_len(args) > 0 || (ev->kwargs && jlp_len(ev->kwargs) > 0))) {
        /* REDUCE, OBJ and INST run __init__ with the arguments; NEWOBJ does not (S-40) */
        v = JLP_VERDICT_SUSPICIOUS;
        jlp__buf_printf(why, "%.*s called with arguments (its pickles pass none): its constructor calls native code "
                        "through ctypes, which may load a model file or buffer",
                        (int)(nl > 100 ? 100 : nl), n);
        reason = jlp__buf_cstr(why);
    } else if (array_constructor(g) && (holds_object(args) || holds_object(ev->kwargs))) {
        v = JLP_VERDICT_DANGEROUS;
        reason = "an array constructor fed an object: numpy reads its __array_interface__, __array_struct__ or "
                 "buffer (memory read or write at any address)";
    } else if (sparse_format(g) && strchr("rcb", sparse_format(g)) && jlp_get_type(jlp_item(args, 0)) == JLP_TUPLE &&
               jlp_len(jlp_item(args, 0)) == 3) {
        /* csr/csc/bsr_matrix((data, indices, indptr)[, shape]): check_format without its
         * full check, the index values unchecked (S-50) */
        const jlp_val *t = jlp_item(args, 0), *shape = jlp_item(args, 1);
        if (!shape && ev->kwargs) shape = jlp_dict_get(ev->kwargs, "shape");
        if (jlp_get_type(shape) == JLP_NONE) shape = NULL;
        global_name(why, g);
        jlp__buf_puts(why, " called with ");
        v = sparse_judge(sparse_format(g), shape, jlp_item(t, 0), jlp_item(t, 1), jlp_item(t, 2), why);
        if (v == JLP_VERDICT_SAFE) return false;
        jlp__buf_puts(why, v == JLP_VERDICT_DANGEROUS
                               ? ": its constructor does not check index values, and scipy's sparse kernels "
                                 "(toarray, @, sums) read and write memory at them"
                               : ": the scan cannot prove the kernels stay inside the arrays");
        reason = jlp__buf_cstr(why);
    } else if (str_is(m, ml, "numpy.random._pickle") &&
               (str_is(n, nl, "__generator_ctor") || str_is(n, nl, "__randomstate_ctor")) &&
               (jlp_item(args, 1) || (ev->kwargs && jlp_dict_get(ev->kwargs, "bit_generator_ctor")))) {
        /* __generator_ctor(name, bit_generator_ctor) calls bit_generator_ctor(name): numpy's
         * pickles pass __bit_generator_ctor or nothing; any other callable is called with
         * the pickle's first argument (S-52) */
        const jlp_val *f = jlp_item(args, 1);
        if (!f) f = jlp_dict_get(ev->kwargs, "bit_generator_ctor");
        if (jlp_global_is(f, "numpy.random._pickle", "__bit_generator_ctor")) return false;
        jlp__buf_printf(why, "numpy's %.*s calls its bit_generator_ctor argument with the pickle's name: ", (int)nl, n);
        if (jlp_get_type(f) == JLP_GLOBAL) {
            jlp__buf r2;
            jlp__buf_init(&r2, NULL);
            v = is_memmap(f) ? JLP_VERDICT_DANGEROUS : judge(c, f, &r2);
            global_name(why, f);
            jlp__buf_puts(why, is_memmap(f) ? " (opens the file it is given)" : ", ");
            if (!is_memmap(f)) jlp__buf_put(why, r2.data, r2.len);
            jlp__buf_release(&r2);
            if (v < JLP_VERDICT_SUSPICIOUS) v = JLP_VERDICT_SUSPICIOUS;
        } else {
            describe_computed(why, f);
            v = JLP_VERDICT_SUSPICIOUS;
        }
        reason = jlp__buf_cstr(why);
    } else if (range_filler(m, ml, n, nl) && jlp_len(args) >= 1 &&
               range_length(jlp_item(args, 0)) >= BYTES_ALLOC_SUSPICIOUS) {
        /* list(range(n)) and the other containers fill n items while loading: bytes(n) by
         * another spelling (S-34); no pickler writes a container as a call of a range */
        v = JLP_VERDICT_SUSPICIOUS;
        jlp__buf_printf(why, "%.*s of a range of %llu items fills them while loading (memory exhaustion); no "
                        "pickler writes it", (int)nl, n, (unsigned long long)range_length(jlp_item(args, 0)));
        reason = jlp__buf_cstr(why);
    } else if (str_is(m, ml, "builtins") && (str_is(n, nl, "bytes") || str_is(n, nl, "bytearray")) &&
               jlp_len(args) == 1 && jlp_get_type(jlp_item(args, 0)) == JLP_INT &&
               jlp_get_int(jlp_item(args, 0)) >= BYTES_ALLOC_SUSPICIOUS) {
        /* bytes(n) and bytearray(n) allocate and zero n bytes while loading; no pickler
         * writes them with an int */
        v = JLP_VERDICT_SUSPICIOUS;
        jlp__buf_printf(why, "%.*s(%lld) allocates and zeroes that many bytes while loading (memory exhaustion); "
                        "no pickler writes it", (int)nl, n, (long long)jlp_get_int(jlp_item(args, 0)));
        reason = jlp__buf_cstr(why);
    } else {
        return false;
    }
    jlp__reading_effect(c, ev, ev->offset, ev->opcode, m, ml, n, nl, v);
    if (v != JLP_VERDICT_SAFE || !reason) {
        if (reason) jlp__reading_finding(c, ev, ev->offset, v, m, ml, n, nl, "call", reason);
    } else {
        /* decided safe by its arguments: no finding beyond the global's */
        jlp_verdict byname = judge(c, g, why);
        if (byname != JLP_VERDICT_SAFE && !judged_by_use(c, g) && !str_is(m, ml, "copyreg") && !is_reconstruct(g))
            jlp__reading_finding(c, ev, ev->offset, byname, m, ml, n, nl, "call", jlp__buf_cstr(why));
    }
    return true;
}

static bool is_call_op(int op) {
    return op == 'R' || op == 0x81 || op == 0x92 || op == 'o' || op == 'i';
}

/* The globals table entry of g (primary reading only). */
static jlp_scan_global *table_entry(jlp__reading_ctx *c, const jlp_val *g) {
    if (!c->primary) return NULL;
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    jlp_scan_global *e = jlp__report_global(c->r, c->policy, m, ml, n, nl);
    if (e && e->named == 0 && c->reading == JLP_READING_TORCH && e->verdict != JLP_VERDICT_SAFE) {
        c->why.len = 0;
        if (jlp__torch_judge(m, ml, n, nl, &c->why)) {
            const char *why = jlp__report_str(c->r, c->why.data ? c->why.data : "", c->why.len);
            if (why) {
                e->verdict = JLP_VERDICT_SAFE;
                e->reason = why;
            }
        }
    }
    return e;
}

/* ---- state -------------------------------------------------------------------------- */

/* Dunder keys of a dict given as state or set as items: Python's setattr and __dict__
 * updates of __class__, __dict__, __array_interface__, __array_struct__... turn a safe
 * object into something else (numpy then reads or writes any address). */
static void dunder_keys(jlp__reading_ctx *c, uint64_t offset, int depth, const char *opcode, const jlp_val *d,
                        const jlp_val *target, const char *how) {
    if (jlp_get_type(d) != JLP_DICT) return;
    for (size_t i = 0; i < jlp_len(d); i++) {
        size_t kl;
        const char *k = jlp_get_str(jlp_dict_key(d, i), &kl);
        if (!k || !jlp__is_dunder(k, kl)) continue;
        jlp_type vt = jlp_get_type(jlp_dict_value(d, i));
        if (str_is(k, kl, "__doc__") && (vt == JLP_STR || vt == JLP_NONE) && jlp_get_type(target) != JLP_GLOBAL)
            continue; /* an instance's docstring (numpy.vectorize, scipy's distributions keep
                       * theirs in __dict__): nothing reads it but help() */
        c->subj.len = 0;
        jlp__buf_printf(&c->subj, "%s sets the attribute %.*s of ", how, (int)(kl > 60 ? 60 : kl), k);
        if (jlp_get_type(target) == JLP_GLOBAL) global_name(&c->subj, target);
        else describe_computed(&c->subj, target);
        jlp__buf_puts(&c->subj, ": a dunder attribute changes what the object is (numpy reads __array_interface__ "
                                "as a memory address)");
        size_t ml = 0, nl = 0;
        const jlp_val *cls = jlp_get_type(target) == JLP_OBJECT ? jlp_obj_callable(target) : target;
        const char *m = jlp_get_type(cls) == JLP_GLOBAL ? jlp_global_module(cls, &ml) : "";
        const char *n = jlp_get_type(cls) == JLP_GLOBAL ? jlp_global_name(cls, &nl) : "";
        finding_at(c, depth, opcode, offset, JLP_VERDICT_DANGEROUS, m, ml, n, nl, "state", jlp__buf_cstr(&c->subj));
    }
}

static bool falsy(const jlp_val *v) {
    switch (jlp_get_type(v)) {
    case JLP_NONE: return true;
    case JLP_BOOL: return !jlp_get_bool(v);
    case JLP_INT: return jlp_get_int(v) == 0;
    case JLP_STR: case JLP_BYTES: case JLP_BYTEARRAY: case JLP_TUPLE: case JLP_LIST: case JLP_DICT:
    case JLP_SET: case JLP_FROZENSET:
        return jlp_len(v) == 0;
    default: return false;
    }
}

void jlp__rules_build(jlp__reading_ctx *c, uint64_t offset, int depth, const jlp_val *target,
                      const jlp_val *state) {
    jlp_type tt = jlp_get_type(target);
    if (tt == JLP_NDARRAY && jlp_get_type(state) == JLP_TUPLE && jlp_len(state) == 2)
        /* an ndarray subclass's (array state, __dict__) pair (astropy's Quantity): the
         * dict updates the instance's __dict__ (S-22, S-40) */
        dunder_keys(c, offset, depth, "BUILD", jlp_item(state, 1), target, "the __dict__ state of an array subclass");
    if (tt == JLP_DTYPE || tt == JLP_NDARRAY) return; /* numpy's own states, read natively */
    const jlp_val *parts[2] = {state, NULL};
    if (jlp_get_type(state) == JLP_TUPLE && jlp_len(state) == 2) {
        parts[0] = jlp_item(state, 0);
        parts[1] = jlp_item(state, 1);
    }
    const jlp_val *rv = scipy_class_of(target);
    if (rv) {
        const char *bad = scipy_state_problem(state);
        if (bad) {
            c->subj.len = 0;
            jlp__buf_puts(&c->subj, "restoring ");
            global_name(&c->subj, rv);
            jlp__buf_printf(&c->subj, " (rv_generic.__setstate__) with %s", bad);
            const char *why = jlp__buf_cstr(&c->subj);
            build_finding(c, offset, depth, JLP_VERDICT_DANGEROUS, rv, "state", why);
            pending_use(c, rv, JLP_VERDICT_DANGEROUS, why);
        } else {
            pending_use(c, rv, JLP_VERDICT_SAFE,
                        "a scipy.stats distribution restored with scipy's own _parse_arg_template");
        }
    }
    const jlp_val *made = tt == JLP_OBJECT ? jlp_obj_callable(target) : NULL;
    size_t mml = 0, mnl = 0;
    const char *mm = jlp_get_type(made) == JLP_GLOBAL ? jlp_global_module(made, &mml) : NULL;
    const char *mn = mm ? jlp_global_name(made, &mnl) : NULL;
    if (mm && str_is(mm, mml, "torch._utils") && mnl > 9 && !memcmp(mn, "_rebuild_", 9)) {
        /* Tensor.__setstate__ re-points a tensor at another storage (set_ of a 4-tuple)
         * or replaces its data: torch's pickles never give a rebuilt tensor a state, and
         * the indices of a sparse tensor checked at its rebuild (SA-7) would change */
        c->subj.len = 0;
        jlp__buf_puts(&c->subj, "a state given to the tensor ");
        global_name(&c->subj, made);
        jlp__buf_puts(&c->subj, " rebuilt: Tensor.__setstate__ re-points it at another storage or replaces its data, "
                                "which torch's pickles never do (a sparse tensor's checked indices could change)");
        build_finding(c, offset, depth, JLP_VERDICT_SUSPICIOUS, made, "state", jlp__buf_cstr(&c->subj));
    }
    sparse_state(c, offset, depth, target, state);
    tree_state(c, offset, depth, target, state);
    dunder_keys(c, offset, depth, "BUILD", parts[0], target, "the state");
    dunder_keys(c, offset, depth, "BUILD", parts[1], target, "the slot state");
    if (jlp_get_type(state) == JLP_TUPLE && jlp_len(state) != 2)
        dunder_keys_in_tuple(c, offset, depth, "BUILD", state, target, "the state");
    if (tt == JLP_GLOBAL && !(falsy(parts[0]) && (!parts[1] || falsy(parts[1])))) {
        c->subj.len = 0;
        jlp__buf_puts(&c->subj, "BUILD sets attributes of ");
        global_name(&c->subj, target);
        jlp__buf_puts(&c->subj, " itself: it patches a module, class or function for what runs later");
        build_finding(c, offset, depth, JLP_VERDICT_DANGEROUS, target, "build", jlp__buf_cstr(&c->subj));
    }
}

void jlp__rules_wrapper(jlp__reading_ctx *c, uint64_t offset, int depth, int kind, const jlp_val *attrs) {
    /* NumpyArrayWrapper and NDArrayWrapper: joblib rebuilds any subclass but ndarray and
     * memmap with _reconstruct(subclass, (0,), 'b') and its __array_prepare__ */
    const jlp_val *sub = jlp_dict_get(attrs, "subclass");
    if (kind == 3) {
        /* ZNDArrayWrapper: _reconstruct(*init_args) */
        const jlp_val *init = jlp_dict_get(attrs, "init_args");
        sub = jlp_item(init, 0);
    }
    if (!sub) return;
    if (kind != 3 && is_memmap(sub)) {
        pending_use(c, sub, JLP_VERDICT_SAFE, "joblib's array subclass value, which joblib never calls");
        return;
    }
    if (jlp_global_is(sub, "numpy", "ndarray")) return;
    jlp_verdict v = judge_class(c, sub, "array subclass joblib rebuilds", true);
    if (v == JLP_VERDICT_SAFE) return;
    size_t ml = 0, nl = 0;
    const char *m = jlp_get_type(sub) == JLP_GLOBAL ? jlp_global_module(sub, &ml) : "";
    const char *n = jlp_get_type(sub) == JLP_GLOBAL ? jlp_global_name(sub, &nl) : "";
    finding_at(c, depth, "BUILD", offset, v, m, ml, n, nl, "call", jlp__buf_cstr(&c->subj));
}

/* ---- events ------------------------------------------------------------------------- */

/* Remember the element size of a legacy torch file's storage record by its key (the
 * first record of a key counts, as torch.load's deserialized_objects does: the table is
 * sorted by key, then by this order, when pickle 5 names the keys). */
static void storage_key(jlp__reading_ctx *c, const jlp_val *id) {
    size_t kl;
    const char *k = jlp_get_str(jlp_item(id, 2), &kl);
    if (!k) return;
    if (c->nkeys == c->kcap) {
        size_t cap = c->kcap ? c->kcap * 2 : 16;
        struct jlp__storage_key *nk = realloc(c->keys, cap * sizeof *nk);
        if (!nk) return;
        c->keys = nk;
        c->kcap = cap;
    }
    char *copy = dup(k, kl);
    if (!copy) return;
    c->keys[c->nkeys] = (struct jlp__storage_key){copy,  kl, jlp__torch_storage_esize(id), c->nkeys,
                                                  jlp__torch_storage_type(id), jlp_get_int(jlp_item(id, 4)),
                                                  NULL,  0};
    c->nkeys++;
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
        /* INST's global is its callable; one the input ends inside is the value (named
         * only: Python imports the module, then fails) */
        const jlp_val *g = op == 'i' && ev->callable ? ev->callable : ev->value;
        if (jlp_get_type(g) == JLP_GLOBAL) {
            size_t ml, nl;
            const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
            jlp_scan_global *e = table_entry(c, g);
            if (e) {
                e->named++;
                if (e->noffsets < 16) {
                    e->nested[e->noffsets] = ev->depth > 0;
                    e->offsets[e->noffsets++] = ev->offset;
                }
            }
            jlp_verdict v = judge(c, g, &c->why);
            if (judged_by_use(c, g)) {
                pending_add(c, ev, g);
                if (e && e->named == 1) e->verdict = JLP_VERDICT_SAFE; /* settled at the end */
            } else {
                jlp__reading_finding(c, ev, ev->offset, v, m, ml, n, nl, "global", jlp__buf_cstr(&c->why));
            }
            jlp__reading_effect(c, ev, ev->offset, 'c', m, ml, n, nl, judged_by_use(c, g) ? JLP_VERDICT_SAFE : v);
        }
    }
    if (is_call_op(op) && !(op == 'i' && !ev->callable)) {
        const jlp_val *cl = ev->callable;
        jlp_verdict gv = JLP_VERDICT_SAFE;
        jlp__buf gdotted;
        jlp__buf_init(&gdotted, NULL);
        /* the legacy torch.load's persistent_load returns the class a module record
         * names: the call is that class's */
        if (c->torch_legacy && jlp_get_type(cl) == JLP_PERSID && jlp__torch_module_id(jlp_persid_value(cl)))
            cl = jlp_item(jlp_persid_value(cl), 1);
        if (c->torch_legacy && c->pickle == 4 && is_checked_rebuild(cl)) c->legacy_sparse = true;
        if (jlp_get_type(cl) == JLP_GLOBAL) {
            jlp_scan_global *e = table_entry(c, cl);
            if (e) e->called++;
            if (!call_checks(c, ev, cl)) {
                size_t ml, nl;
                const char *m = jlp_global_module(cl, &ml), *n = jlp_global_name(cl, &nl);
                jlp_verdict v = judge(c, cl, &c->why);
                if (v != JLP_VERDICT_SAFE) jlp__reading_finding(c, ev, ev->offset, v, m, ml, n, nl, "call", jlp__buf_cstr(&c->why));
                jlp__reading_effect(c, ev, ev->offset, op, m, ml, n, nl, v);
                if (v == JLP_VERDICT_SUSPICIOUS) dunder_call(c, ev, op, m, ml, n, nl);
            }
        } else if (judge_getattr_result(c, cl, &gv, &gdotted, &c->why)) {
            /* the call of Class.name looked up with getattr */
            size_t ml;
            const char *m = jlp_global_module(jlp_item(jlp_obj_args(cl), 0), &ml);
            if (gv != JLP_VERDICT_SAFE)
                jlp__reading_finding(c, ev, ev->offset, gv, m, ml, gdotted.data, gdotted.len, "call",
                                     jlp__buf_cstr(&c->why));
            jlp__reading_effect(c, ev, ev->offset, op, m, ml, gdotted.data, gdotted.len, gv);
        } else {
            c->subj.len = 0;
            describe_computed(&c->subj, cl);
            jlp__buf_puts(&c->subj, ": a callable computed by the pickle (a gadget chain)");
            jlp__reading_finding(c, ev, ev->offset, JLP_VERDICT_SUSPICIOUS, "", 0, "", 0, "call", jlp__buf_cstr(&c->subj));
            jlp__reading_effect(c, ev, ev->offset, op, "", 0, "", 0, JLP_VERDICT_SUSPICIOUS);
            dunder_call(c, ev, op, "", 0, "", 0);
        }
        jlp__buf_release(&gdotted);
    }
    if (op == 'b' && jlp_get_type(ev->value) == JLP_DTYPE && jlp__dt(ev->value)->forged) {
        /* numpy's dtype __setstate__ trusts the fields, offsets and flags it is given */
        const jlp__dtype_info *d = jlp__dt(ev->value);
        c->subj.len = 0;
        jlp__buf_printf(&c->subj, "a numpy dtype state that does not fit its items (%s): %s", d->forged,
                        d->forged_memory ? "numpy reads raw bytes as object pointers or past the item (memory read "
                                           "or write at any address)"
                                         : "a state numpy never writes");
        jlp_verdict v = d->forged_memory ? JLP_VERDICT_DANGEROUS : JLP_VERDICT_SUSPICIOUS;
        jlp__reading_finding(c, ev, ev->offset, v, "numpy", 5, "dtype", 5, "state", jlp__buf_cstr(&c->subj));
        jlp__reading_effect(c, ev, ev->offset, op, "numpy", 5, "dtype", 5, v);
    }
    if (is_call_op(op) && jlp_get_type(ev->value) == JLP_DTYPE && jlp__dt(ev->value)->stand_in &&
        jlp_global_is(ev->callable, "numpy", "dtype")) {
        /* numpy.dtype() of an argument the reader does not model: read on with an object
         * dtype in its place */
        c->subj.len = 0;
        jlp__buf_printf(&c->subj, "numpy.dtype of %s: what numpy makes of it is not modelled (read on as an "
                        "object dtype)", jlp__dt(ev->value)->stand_in);
        jlp__reading_finding(c, ev, ev->offset, JLP_VERDICT_SUSPICIOUS, "numpy", 5, "dtype", 5, "call",
                             jlp__buf_cstr(&c->subj));
        jlp__reading_effect(c, ev, ev->offset, op, "numpy", 5, "dtype", 5, JLP_VERDICT_SUSPICIOUS);
    }
    if ((op == 's' || op == 'u' || op == 'a' || op == 'e' || op == 0x90) && jlp_get_type(ev->value) == JLP_GLOBAL) {
        /* items put into a module-level object itself (sys.modules, sys.path, a module's
         * __dict__, a registry): they change what every later import, call or lookup of
         * the process finds */
        size_t ml, nl;
        const char *m = jlp_global_module(ev->value, &ml), *n = jlp_global_name(ev->value, &nl);
        c->subj.len = 0;
        jlp__buf_printf(&c->subj, "%s puts items into ", ev->name ? ev->name : "the opcode");
        global_name(&c->subj, ev->value);
        jlp__buf_puts(&c->subj, " itself: it changes a module-level object for whatever runs later");
        jlp__reading_finding(c, ev, ev->offset, JLP_VERDICT_DANGEROUS, m, ml, n, nl, "state", jlp__buf_cstr(&c->subj));
        jlp__reading_effect(c, ev, ev->offset, op, m, ml, n, nl, JLP_VERDICT_DANGEROUS);
    }
    if ((op == 's' || op == 'u') && jlp_get_type(ev->value) == JLP_OBJECT) {
        /* SETITEM(S) into an object calls its __setitem__: a Bunch-like class makes its
         * keys attributes */
        dunder_keys(c, ev->offset, ev->depth, ev->name, jlp_obj_dictitems(ev->value), ev->value, "SETITEMS");
    }
    if (op == 0x82 || op == 0x83 || op == 0x84) {
        c->subj.len = 0;
        jlp__buf_printf(&c->subj, "code %lld: resolved through copyreg's extension registry at load time",
                        (long long)jlp_ext_code(ev->value));
        jlp__reading_finding(c, ev, ev->offset, JLP_VERDICT_SUSPICIOUS, "", 0, "", 0, "ext", jlp__buf_cstr(&c->subj));
        jlp__reading_effect(c, ev, ev->offset, op, "", 0, "", 0, JLP_VERDICT_SUSPICIOUS);
    }
    const jlp_val *pid = jlp_get_type(ev->value) == JLP_PERSID ? jlp_persid_value(ev->value) : ev->value;
    if ((op == 'P' || op == 'Q') && c->reading == JLP_READING_TORCH && jlp__torch_storage_id(pid)) {
        /* torch's persistent_load reads the storage record as raw bytes (a legacy
         * file's after its pickles: remember each key's element size) */
        if (c->torch_legacy || (c->s && c->s->zip)) storage_key(c, pid);
    } else if ((op == 'P' || op == 'Q') && c->torch_legacy && jlp__torch_module_id(pid)) {
        /* the legacy persistent_load returns the class the record names (judged where
         * it is named) */
    } else if (op == 'P' || op == 'Q') {
        jlp__reading_finding(c, ev, ev->offset, JLP_VERDICT_SUSPICIOUS, "", 0, "", 0, "persid",
                             "the loader's persistent_load decides what it becomes");
        jlp__reading_effect(c, ev, ev->offset, op, "", 0, "", 0, JLP_VERDICT_SUSPICIOUS);
    }
    if (op == '.' && ev->depth == 0) jlp__rules_settle(c);
}
