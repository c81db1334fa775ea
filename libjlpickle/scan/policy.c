/*
 * policy.c - judging a global by its name: the built-in rule tables (rules_builtin.h,
 * and the generated rules_gen.h once it exists), the caller's rules, policy files, and
 * the order in which they decide (spec/SAFETY.md section 5):
 *
 *   1. a caller's rule naming exactly this global (the last one added wins);
 *   2. a built-in dangerous rule covering it (exact name, or MODULE.* for the module or
 *      a parent package): no caller's wildcard can make os.system safe;
 *   3. a dotted qualname is an attribute walk (protocol 4 find_class): through a dunder
 *      attribute (__globals__, __builtins__...), to something a dangerous rule covers
 *      (numpy.lib.utils.os.system reaches os.system), or ending in a command runner
 *      (any .system, .popen, .Popen...) it is dangerous whatever the path;
 *   4. a caller's MODULE.* rule (the longest module wins, the last among equals; a safe
 *      one never covers a dotted or dunder qualname);
 *   5. the built-in tables: an exact rule beats a wildcard, the longest module wins,
 *      dangerous beats safe on a tie, a safe wildcard never covers a dotted or dunder
 *      qualname;
 *   6. anything else is suspicious: not known to be harmless.
 */
#include "scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct builtin_rule {
    const char *module, *name, *reason;
    unsigned char verdict;
} builtin_rule;

#define JLP_RULE(v, m, n, r) {m, n, r, JLP_VERDICT_##v},
static const builtin_rule hand_rules[] = {
#include "rules_builtin.h"
};
#if defined(__has_include)
#  if __has_include("rules_gen.h")
#    define JLP_HAVE_RULES_GEN 1
static const builtin_rule gen_rules[] = {
#include "rules_gen.h"
};
/* The other libraries' rules (gen_libs_rules.py: xgboost, statsmodels, networkx...), a
 * second generated table beside rules_gen.h, read the same way. */
#    if __has_include("rules_libs_gen.h")
#      define JLP_HAVE_RULES_LIBS_GEN 1
static const builtin_rule libs_rules[] = {
#include "rules_libs_gen.h"
};
#    endif
#  endif
#endif
#undef JLP_RULE

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Every module and name of the built-in tables is shorter than this (test_scan
 * rule_tables_sorted checks it): longer text matches no rule, so the lookups of a dotted
 * qualname look at its first RULE_PART_MAX bytes from each place only. */
#define RULE_PART_MAX 128
/* A dotted qualname of more attributes than this is dangerous unjudged (rule 3): no
 * class Python pickles is nested that deep, and every walk through it would cost a
 * lookup per pair of its dots. */
#define WALK_MAX 32

/* Final components of a dotted walk that run commands whatever object they hang off
 * (rule 3): the walk shows the pickle is reaching for them through another module's
 * imports. */
static const char *const command_runners[] = {
    "system", "popen", "Popen", "popen2", "popen3", "popen4", "spawnl", "spawnle", "spawnlp",
    "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "execl", "execle", "execlp",
    "execlpe", "execv", "execve", "execvp", "execvpe", "posix_spawn", "posix_spawnp",
    "startfile", "check_call", "check_output", "getoutput", "getstatusoutput", "call",
    "run", "fork", "forkpty", "eval", "exec", "compile", "__import__", "import_module",
    "load", "loads", "load_module", "exec_module", "open", "remove", "unlink", "rmtree",
};

bool jlp__is_dunder(const char *s, size_t n) {
    return n > 4 && s[0] == '_' && s[1] == '_' && s[n - 1] == '_' && s[n - 2] == '_';
}

/* Compare a (module, name) pair of lengths with a NUL-terminated pair, bytewise (the
 * order the tables are sorted in). */
static int pair_cmp(const char *am, const char *an, const char *m, size_t ml, const char *n, size_t nl) {
    size_t aml = strlen(am);
    int c = memcmp(am, m, aml < ml ? aml : ml);
    if (c) return c;
    if (aml != ml) return aml < ml ? -1 : 1;
    size_t anl = strlen(an);
    c = memcmp(an, n, anl < nl ? anl : nl);
    if (c) return c;
    return anl == nl ? 0 : anl < nl ? -1 : 1;
}

static const builtin_rule *table_find(const builtin_rule *t, size_t count, const char *m, size_t ml,
                                      const char *n, size_t nl) {
    if (ml >= RULE_PART_MAX || nl >= RULE_PART_MAX) return NULL;
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = pair_cmp(t[mid].module, t[mid].name, m, ml, n, nl);
        if (!c) return &t[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* The built-in tables in use: the generated one and the hand-made one (of which only the
 * dangerous rules count when a generated table exists: what is safe by name is the
 * generator's reviewed harvest, nothing else). */
typedef struct table_view {
    const builtin_rule *t;
    size_t n;
    bool dangerous_only;
} table_view;

#define TABLES_MAX 3

static size_t tables(table_view out[TABLES_MAX]) {
    size_t k = 0;
#ifdef JLP_HAVE_RULES_GEN
    out[k++] = (table_view){gen_rules, COUNT(gen_rules), false};
#  ifdef JLP_HAVE_RULES_LIBS_GEN
    out[k++] = (table_view){libs_rules, COUNT(libs_rules), false};
#  endif
    out[k++] = (table_view){hand_rules, COUNT(hand_rules), true};
#else
    out[k++] = (table_view){hand_rules, COUNT(hand_rules), false};
#endif
    return k;
}

/* A built-in rule for exactly (m, n) (n may be "*"), the worst one when several tables
 * have one. */
static const builtin_rule *builtin_exact(const char *m, size_t ml, const char *n, size_t nl) {
    table_view tv[TABLES_MAX];
    size_t k = tables(tv);
    const builtin_rule *best = NULL;
    for (size_t i = 0; i < k; i++) {
        const builtin_rule *r = table_find(tv[i].t, tv[i].n, m, ml, n, nl);
        if (!r || (tv[i].dangerous_only && r->verdict != JLP_VERDICT_DANGEROUS)) continue;
        if (!best || r->verdict > best->verdict) best = r;
    }
    return best;
}

/* Whether some built-in table has a rule for exactly (m, n), of any verdict. */
static bool builtin_named(const char *m, size_t ml, const char *n, size_t nl) {
    table_view tv[TABLES_MAX];
    size_t k = tables(tv);
    for (size_t i = 0; i < k; i++)
        if (table_find(tv[i].t, tv[i].n, m, ml, n, nl)) return true;
    return false;
}

/* The built-in wildcard rule for the longest of m's packages (m itself first), or NULL. */
static const builtin_rule *builtin_wild(const char *m, size_t ml, bool dangerous_only) {
    for (size_t len = ml;;) {
        if (len < RULE_PART_MAX) {
            const builtin_rule *r = builtin_exact(m, len, "*", 1);
            if (r && (!dangerous_only || r->verdict == JLP_VERDICT_DANGEROUS)) return r;
        }
        /* the next package up; those of RULE_PART_MAX bytes or more are no table's */
        if (len > RULE_PART_MAX + 1) len = RULE_PART_MAX + 1;
        while (len > 0 && m[len - 1] != '.') len--;
        if (len == 0) return NULL;
        len--; /* drop the dot */
    }
}

/* A built-in dangerous rule covering the dotted path s[0..n) read as module.name at any
 * dot, or as a module (wildcards only). */
static const builtin_rule *path_danger(const char *s, size_t n) {
    /* every package of s, s[0..j) at each dot j included */
    const builtin_rule *w = builtin_wild(s, n, true);
    if (w) return w;
    for (size_t j = 0; j < n && j < RULE_PART_MAX; j++) {
        if (s[j] != '.') continue;
        const builtin_rule *r = builtin_exact(s, j, s + j + 1, n - j - 1);
        if (r && r->verdict == JLP_VERDICT_DANGEROUS) return r;
    }
    return NULL;
}

static bool str_is(const char *s, size_t n, const char *lit) {
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static bool module_covers(const char *rule_mod, size_t rl, const char *m, size_t ml) {
    return ml >= rl && memcmp(m, rule_mod, rl) == 0 && (ml == rl || m[rl] == '.');
}

/* Append `s` with control bytes and backslashes escaped (names may hold anything). */
static void put_clean(jlp__buf *b, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '\\') jlp__buf_printf(b, "\\x%02x", c);
        else jlp__buf_putc(b, (char)c);
    }
}

jlp_verdict jlp__judge(const jlp_policy *p, const char *m, size_t ml, const char *n, size_t nl,
                       jlp__buf *why) {
    /* 1. the caller's exact rules, the last one added first */
    for (size_t i = p ? p->nrules : 0; i-- > 0;) {
        const jlp__rule *r = &p->rules[i];
        if (!str_is(r->name, r->nl, "*") && r->ml == ml && r->nl == nl && !memcmp(r->module, m, ml) &&
            !memcmp(r->name, n, nl)) {
            jlp__buf_puts(why, r->reason);
            return r->verdict;
        }
    }
    /* 2. the built-in dangerous rules */
    const builtin_rule *d = builtin_exact(m, ml, n, nl);
    if (!d || d->verdict != JLP_VERDICT_DANGEROUS) d = builtin_wild(m, ml, true);
    if (d) {
        jlp__buf_puts(why, d->reason);
        return JLP_VERDICT_DANGEROUS;
    }
    /* 3. a dotted qualname: an attribute walk */
    if (memchr(n, '.', nl)) {
        size_t start = 0, last_start = 0, parts = 0;
        for (size_t i = 0; i <= nl; i++) {
            if (i < nl && n[i] != '.') continue;
            if (++parts > WALK_MAX) {
                jlp__buf_printf(why, "qualname walks through more than %d attributes: not judged", WALK_MAX);
                return JLP_VERDICT_DANGEROUS;
            }
            if (jlp__is_dunder(n + start, i - start)) {
                jlp__buf_puts(why, "qualname walks through the attribute ");
                put_clean(why, n + start, i - start);
                return JLP_VERDICT_DANGEROUS;
            }
            const builtin_rule *w = path_danger(n + start, nl - start);
            if (w) {
                jlp__buf_puts(why, "qualname reaches ");
                put_clean(why, n + start, nl - start);
                jlp__buf_puts(why, ": ");
                jlp__buf_puts(why, w->reason);
                return JLP_VERDICT_DANGEROUS;
            }
            last_start = start;
            start = i + 1;
        }
        const char *last = n + last_start;
        size_t last_len = nl - last_start;
        for (size_t i = 0; i < COUNT(command_runners); i++)
            if (str_is(last, last_len, command_runners[i])) {
                jlp__buf_puts(why, "qualname walks to ");
                put_clean(why, last, last_len);
                jlp__buf_puts(why, ", a name that runs commands, code or file operations");
                return JLP_VERDICT_DANGEROUS;
            }
    }
    /* 3b. a dunder attribute of a module (builtins.__dict__, os.__builtins__, a class's
     * __globals__...): the module's internals, through which a pickle reaches or changes
     * anything; only a rule naming it exactly (copyreg.__newobj__, a caller's rule)
     * judges one otherwise */
    if (jlp__is_dunder(n, nl) && !builtin_named(m, ml, n, nl)) {
        jlp__buf_puts(why, "a dunder attribute of the module: its internals reach or change anything");
        return JLP_VERDICT_DANGEROUS;
    }
    bool walk = memchr(n, '.', nl) != NULL || jlp__is_dunder(n, nl);
    /* 4. the caller's wildcards */
    const jlp__rule *best = NULL;
    for (size_t i = 0; p && i < p->nrules; i++) {
        const jlp__rule *r = &p->rules[i];
        if (!str_is(r->name, r->nl, "*") || !module_covers(r->module, r->ml, m, ml)) continue;
        if (r->verdict == JLP_VERDICT_SAFE && walk) continue;
        if (!best || r->ml >= best->ml) best = r;
    }
    if (best) {
        jlp__buf_puts(why, best->reason);
        return best->verdict;
    }
    /* 5. the built-in tables */
    const builtin_rule *e = builtin_exact(m, ml, n, nl);
    if (e) {
        jlp__buf_puts(why, e->reason);
        return (jlp_verdict)e->verdict;
    }
    const builtin_rule *w = builtin_wild(m, ml, false);
    if (w && !(w->verdict == JLP_VERDICT_SAFE && walk)) {
        jlp__buf_puts(why, w->reason);
        return (jlp_verdict)w->verdict;
    }
    /* 6. unknown */
    jlp__buf_puts(why, "not in the safe list");
    return JLP_VERDICT_SUSPICIOUS;
}

/* ---- public API ---------------------------------------------------------------------- */

const char *jlp_verdict_name(jlp_verdict v) {
    switch (v) {
    case JLP_VERDICT_SAFE: return "safe";
    case JLP_VERDICT_SUSPICIOUS: return "suspicious";
    case JLP_VERDICT_DANGEROUS: return "dangerous";
    default: return "unknown";
    }
}

jlp_policy *jlp_policy_new(const jlp_alc *alc, jlp_error *err) {
    jlp__clear(err);
    alc = jlp__alc_or_default(alc);
    jlp_policy *p = jlp__malloc(alc, sizeof *p);
    if (!p) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a policy");
        return NULL;
    }
    memset(p, 0, sizeof *p);
    p->alc = alc;
    jlp__arena_init(&p->strings, alc, 0);
    return p;
}

void jlp_policy_free(jlp_policy *p) {
    if (!p) return;
    jlp__arena_release(&p->strings);
    jlp__free(p->alc, p->rules, p->cap * sizeof *p->rules);
    jlp__free(p->alc, p, sizeof *p);
}

static const char *keep(jlp_policy *p, const char *s, size_t n) {
    char *d = jlp__arena_alloc(&p->strings, n + 1, NULL);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* Append a rule without checking its text (the callers did). */
static jlp_code add_rule(jlp_policy *p, jlp_verdict v, const char *m, size_t ml, const char *n, size_t nl,
                         const char *reason, jlp_error *err) {
    if (p->nrules == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        jlp__rule *nr = jlp__realloc(p->alc, p->rules, p->cap * sizeof *nr, cap * sizeof *nr);
        if (!nr) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for policy rules");
        p->rules = nr;
        p->cap = cap;
    }
    jlp__rule r = {keep(p, m, ml), keep(p, n, nl), ml, nl, v, keep(p, reason, strlen(reason))};
    if (!r.module || !r.name || !r.reason) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for policy rules");
    p->rules[p->nrules++] = r;
    return JLP_OK;
}

jlp_code jlp_policy_add(jlp_policy *p, jlp_verdict v, const char *module, const char *qualname,
                        const char *origin, jlp_error *err) {
    jlp__clear(err);
    if (!p || !module || !qualname || !*module || !*qualname || (unsigned)v > JLP_VERDICT_DANGEROUS)
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "jlp_policy_add: invalid argument");
    char reason[200];
    snprintf(reason, sizeof reason, "policy %s", origin ? origin : "rule");
    return add_rule(p, v, module, strlen(module), qualname, strlen(qualname), reason, err);
}

static int parse_verdict(const char *s, size_t n) {
    for (int v = 0; v <= JLP_VERDICT_DANGEROUS; v++)
        if (str_is(s, n, jlp_verdict_name((jlp_verdict)v))) return v;
    return -1;
}

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* One policy line (without its '\n', comment already cut) split into up to three words. */
static size_t words(const char *s, size_t n, const char **w, size_t *wl) {
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && blank(s[i])) i++;
        if (i == n) break;
        size_t start = i;
        while (i < n && !blank(s[i])) i++;
        if (k < 3) {
            w[k] = s + start;
            wl[k] = i - start;
        }
        k++;
    }
    return k;
}

jlp_code jlp_policy_load_str(jlp_policy *p, const char *text, size_t len, const char *origin,
                             jlp_error *err) {
    jlp__clear(err);
    if (!p || (!text && len)) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "jlp_policy_load_str: invalid argument");
    if (!origin) origin = "policy";
    size_t before = p->nrules;
    unsigned long lineno = 0;
    for (size_t at = 0; at < len;) {
        const char *line = text + at;
        const char *nl = memchr(line, '\n', len - at);
        size_t n = nl ? (size_t)(nl - line) : len - at;
        size_t line_at = at;
        at += n + (nl ? 1 : 0);
        lineno++;
        const char *hash = memchr(line, '#', n);
        if (hash) n = (size_t)(hash - line);
        const char *w[3];
        size_t wl[3];
        size_t k = words(line, n, w, wl);
        if (k == 0) continue;
        const char *bad = NULL;
        int v = parse_verdict(w[0], wl[0]);
        const char *spec = k > 1 ? w[1] : NULL;
        size_t sl = k > 1 ? wl[1] : 0;
        const char *colon = spec ? memchr(spec, ':', sl) : NULL, *dot = NULL;
        for (size_t i = 0; spec && i < sl; i++)
            if (spec[i] == '.') dot = spec + i;
        if (memchr(line, '\0', n)) bad = "a NUL byte in the line";
        else if (v < 0) bad = "expected 'safe', 'suspicious' or 'dangerous'";
        else if (k < 2) bad = "expected MODULE.NAME, MODULE:QUALNAME or MODULE.*";
        else if (k > 2) bad = "one name per line";
        else if (colon ? (colon == spec || colon == spec + sl - 1) : (!dot || dot == spec || dot == spec + sl - 1))
            bad = "expected MODULE.NAME, MODULE:QUALNAME or MODULE.*";
        if (bad) {
            p->nrules = before; /* all or nothing (the strings stay in the arena) */
            jlp__fail(err, JLP_E_BAD_VALUE, line_at, -1, "%.100s:%lu: %s", origin, lineno, bad);
            return JLP_E_BAD_VALUE;
        }
        const char *sep = colon ? colon : dot;
        char reason[200];
        snprintf(reason, sizeof reason, "policy %.150s:%lu", origin, lineno);
        jlp_code c = add_rule(p, (jlp_verdict)v, spec, (size_t)(sep - spec), sep + 1, (size_t)(spec + sl - sep - 1),
                              reason, err);
        if (c) {
            p->nrules = before;
            return c;
        }
    }
    return JLP_OK;
}

jlp_code jlp_policy_load_path(jlp_policy *p, const char *path, jlp_error *err) {
    jlp__clear(err);
    if (!p || !path) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "jlp_policy_load_path: invalid argument");
    FILE *fp = fopen(path, "rb");
    if (!fp) return jlp__fail(err, JLP_E_IO, 0, -1, "%.100s: %s", path, strerror(errno));
    jlp__buf b;
    jlp__buf_init(&b, p->alc);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) jlp__buf_put(&b, chunk, got);
    bool read_failed = ferror(fp) != 0;
    fclose(fp);
    jlp_code c;
    if (read_failed) c = jlp__fail(err, JLP_E_IO, 0, -1, "%.100s: read error", path);
    else if (b.failed) c = jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory reading %.100s", path);
    else c = jlp_policy_load_str(p, b.data ? b.data : "", b.len, path, err);
    jlp__buf_release(&b);
    return c;
}

jlp_verdict jlp_policy_judge(const jlp_policy *p, const char *module, size_t module_len,
                             const char *qualname, size_t qualname_len, char *reason, size_t reason_cap) {
    if (!module) module_len = 0;
    if (!qualname) qualname_len = 0;
    jlp__buf why;
    jlp__buf_init(&why, p ? p->alc : NULL);
    jlp_verdict v = jlp__judge(p, module ? module : "", module_len, qualname ? qualname : "", qualname_len, &why);
    if (reason && reason_cap) {
        size_t k = why.failed ? 0 : why.len < reason_cap - 1 ? why.len : reason_cap - 1;
        if (k) memcpy(reason, why.data, k);
        reason[k] = 0;
    }
    jlp__buf_release(&why);
    return v;
}
