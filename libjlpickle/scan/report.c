/*
 * report.c - the scan report: findings in the order met, a cap per subject so a file
 * naming os.system a million times lists ten of them (the verdict counts all), the
 * globals the primary reading named, and the error that ended the scan.
 */
#include "scan.h"

#include <stdlib.h>

/* Default findings listed per subject (jlp_scan_opts.max_per_subject). */
#define DEFAULT_PER_SUBJECT 10

static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL; /* a separator: ("ab","c") != ("a","bc") */
}

static uint64_t finish(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1; /* 0 marks an empty slot */
}

jlp_scan_report *jlp__report_new(const jlp_alc *alc, unsigned max_per_subject) {
    alc = jlp__alc_or_default(alc);
    jlp_scan_report *r = jlp__malloc(alc, sizeof *r);
    if (!r) return NULL;
    memset(r, 0, sizeof *r);
    r->alc = alc;
    jlp__arena_init(&r->strings, alc, 0);
    r->max_per_subject = max_per_subject ? max_per_subject : DEFAULT_PER_SUBJECT;
    return r;
}

void jlp_report_free(jlp_scan_report *r) {
    if (!r) return;
    jlp__arena_release(&r->strings);
    jlp__free(r->alc, r->findings, r->fcap * sizeof *r->findings);
    jlp__free(r->alc, r->subjects, r->scap * sizeof *r->subjects);
    jlp__free(r->alc, r->globals, r->gcap * sizeof *r->globals);
    jlp__free(r->alc, r->gslots, r->gslot_cap * sizeof *r->gslots);
    jlp__free(r->alc, r->members, r->mcap * sizeof *r->members);
    jlp__free(r->alc, r, sizeof *r);
}

const char *jlp__report_str(jlp_scan_report *r, const char *s, size_t n) {
    char *d = jlp__arena_alloc(&r->strings, n + 1, NULL);
    if (!d) {
        r->nomem = true;
        return NULL;
    }
    if (n) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* Count one more finding of subject `h`. @return the count before it. */
static uint64_t subject_bump(jlp_scan_report *r, uint64_t h) {
    if ((r->nsubjects + 1) * 2 > r->scap) {
        size_t cap = r->scap ? r->scap * 2 : 256;
        struct jlp__subject *ns = jlp__malloc(r->alc, cap * sizeof *ns);
        if (!ns) {
            r->nomem = true;
            return UINT64_MAX; /* not listed; the verdict still counts */
        }
        memset(ns, 0, cap * sizeof *ns);
        for (size_t i = 0; i < r->scap; i++) {
            if (!r->subjects[i].hash) continue;
            size_t j = (size_t)r->subjects[i].hash & (cap - 1);
            while (ns[j].hash) j = (j + 1) & (cap - 1);
            ns[j] = r->subjects[i];
        }
        jlp__free(r->alc, r->subjects, r->scap * sizeof *r->subjects);
        r->subjects = ns;
        r->scap = cap;
    }
    size_t j = (size_t)h & (r->scap - 1);
    while (r->subjects[j].hash && r->subjects[j].hash != h) j = (j + 1) & (r->scap - 1);
    if (!r->subjects[j].hash) {
        r->subjects[j].hash = h;
        r->nsubjects++;
    }
    return r->subjects[j].count++;
}

void jlp__report_add(jlp_scan_report *r, const jlp__finding_in *f) {
    if (f->verdict > r->verdict) r->verdict = f->verdict;
    const char *action = f->action ? f->action : "";
    uint64_t h = 0xcbf29ce484222325ULL;
    unsigned char head[2] = {(unsigned char)f->reading, (unsigned char)f->verdict};
    h = mix(h, head, sizeof head);
    h = mix(h, action, strlen(action));
    h = mix(h, f->module ? f->module : "", f->module ? f->ml : 0);
    h = mix(h, f->name ? f->name : "", f->name ? f->nl : 0);
    if (f->file) h = mix(h, f->file, strlen(f->file));
    uint64_t seen = subject_bump(r, finish(h));
    uint64_t cap = f->verdict == JLP_VERDICT_SAFE ? 1 : r->max_per_subject;
    if (seen >= cap) {
        if (f->verdict != JLP_VERDICT_SAFE) {
            r->not_listed++;
            if ((unsigned)f->reading < JLP_READING_COUNT) r->not_listed_by[f->reading]++;
        }
        return;
    }
    if (r->nfindings == r->fcap) {
        size_t cap2 = r->fcap ? r->fcap * 2 : 32;
        jlp_finding *nf = jlp__realloc(r->alc, r->findings, r->fcap * sizeof *nf, cap2 * sizeof *nf);
        if (!nf) {
            r->nomem = true;
            r->not_listed++;
            return;
        }
        r->findings = nf;
        r->fcap = cap2;
    }
    jlp_finding out;
    memset(&out, 0, sizeof out);
    out.verdict = f->verdict;
    out.reading = f->reading;
    out.offset = f->offset;
    out.depth = f->depth;
    out.pickle = f->pickle;
    out.nested_at = f->nested_at;
    out.module = jlp__report_str(r, f->module ? f->module : "", f->module ? f->ml : 0);
    out.module_len = f->module ? f->ml : 0;
    out.name = jlp__report_str(r, f->name ? f->name : "", f->name ? f->nl : 0);
    out.name_len = f->name ? f->nl : 0;
    out.action = jlp__report_str(r, action, strlen(action));
    out.opcode = f->opcode ? jlp__report_str(r, f->opcode, strlen(f->opcode)) : NULL;
    out.reason = jlp__report_str(r, f->reason ? f->reason : "", f->reason ? strlen(f->reason) : 0);
    out.file = f->file ? jlp__report_str(r, f->file, strlen(f->file)) : NULL;
    if (!out.module || !out.name || !out.action || !out.reason || (f->opcode && !out.opcode) ||
        (f->file && !out.file)) {
        r->not_listed++;
        return;
    }
    r->findings[r->nfindings++] = out;
}

static uint64_t name_hash(const char *m, size_t ml, const char *n, size_t nl) {
    return finish(mix(mix(0xcbf29ce484222325ULL, m, ml), n, nl));
}

static void gslot_put(jlp_scan_report *r, size_t entry) {
    const jlp_scan_global *g = &r->globals[entry];
    size_t i = (size_t)name_hash(g->module, g->module_len, g->name, g->name_len) & (r->gslot_cap - 1);
    while (r->gslots[i]) i = (i + 1) & (r->gslot_cap - 1);
    r->gslots[i] = (uint32_t)entry + 1;
}

jlp_scan_global *jlp__report_global(jlp_scan_report *r, const jlp_policy *policy, const char *m,
                                    size_t ml, const char *n, size_t nl) {
    if (r->gslot_cap) {
        size_t i = (size_t)name_hash(m, ml, n, nl) & (r->gslot_cap - 1);
        for (; r->gslots[i]; i = (i + 1) & (r->gslot_cap - 1)) {
            jlp_scan_global *g = &r->globals[r->gslots[i] - 1];
            if (g->module_len == ml && g->name_len == nl && !memcmp(g->module, m, ml) && !memcmp(g->name, n, nl))
                return g;
        }
    }
    if (r->nglobals >= UINT32_MAX - 1) return NULL;
    if ((r->nglobals + 1) * 2 > r->gslot_cap) {
        size_t cap = r->gslot_cap ? r->gslot_cap * 2 : 256;
        uint32_t *ns = jlp__malloc(r->alc, cap * sizeof *ns);
        if (!ns) {
            r->nomem = true;
            return NULL;
        }
        memset(ns, 0, cap * sizeof *ns);
        jlp__free(r->alc, r->gslots, r->gslot_cap * sizeof *r->gslots);
        r->gslots = ns;
        r->gslot_cap = cap;
        for (size_t k = 0; k < r->nglobals; k++) gslot_put(r, k);
    }
    if (r->nglobals == r->gcap) {
        size_t cap = r->gcap ? r->gcap * 2 : 32;
        jlp_scan_global *ng = jlp__realloc(r->alc, r->globals, r->gcap * sizeof *ng, cap * sizeof *ng);
        if (!ng) {
            r->nomem = true;
            return NULL;
        }
        r->globals = ng;
        r->gcap = cap;
    }
    jlp__buf why;
    jlp__buf_init(&why, r->alc);
    jlp_scan_global g;
    memset(&g, 0, sizeof g);
    g.verdict = jlp__judge(policy, m, ml, n, nl, &why);
    g.module = jlp__report_str(r, m, ml);
    g.module_len = ml;
    g.name = jlp__report_str(r, n, nl);
    g.name_len = nl;
    g.reason = why.failed ? NULL : jlp__report_str(r, why.data ? why.data : "", why.len);
    jlp__buf_release(&why);
    if (!g.module || !g.name || !g.reason) {
        r->nomem = true;
        return NULL;
    }
    r->globals[r->nglobals] = g;
    gslot_put(r, r->nglobals++);
    return &r->globals[r->nglobals - 1];
}

/* ---- accessors ----------------------------------------------------------------------- */

jlp_verdict jlp_report_verdict(const jlp_scan_report *r) { return r ? r->verdict : JLP_VERDICT_SAFE; }
const jlp_error *jlp_report_error(const jlp_scan_report *r) { return r && r->failed ? &r->error : NULL; }
size_t jlp_report_count(const jlp_scan_report *r) { return r ? r->nfindings : 0; }
const jlp_finding *jlp_report_finding(const jlp_scan_report *r, size_t i) {
    return r && i < r->nfindings ? &r->findings[i] : NULL;
}
uint64_t jlp_report_not_listed(const jlp_scan_report *r) { return r ? r->not_listed : 0; }
size_t jlp_report_global_count(const jlp_scan_report *r) { return r ? r->nglobals : 0; }
const jlp_scan_global *jlp_report_global(const jlp_scan_report *r, size_t i) {
    return r && i < r->nglobals ? &r->globals[i] : NULL;
}
unsigned jlp_report_pickles(const jlp_scan_report *r) { return r ? r->pickles : 0; }
const char *jlp_report_container(const jlp_scan_report *r) {
    return r && r->container[0] ? r->container : NULL;
}
unsigned jlp_report_readings(const jlp_scan_report *r) { return r ? r->readings : 0; }

jlp_code jlp_report_reach(const jlp_scan_report *r, jlp_reading reading, jlp_scan_reach *out) {
    if (!r || !out || out->size < sizeof(jlp_scan_reach) || (unsigned)reading >= JLP_READING_COUNT) return JLP_E_INVALID_ARG;
    const struct jlp__reach *rr = &r->reach[reading];
    jlp_scan_reach v;
    memset(&v, 0, sizeof v);
    v.size = out->size;
    v.same_as = reading;
    if (rr->known) {
        v.known = 1;
        v.copied = rr->copied;
        v.same_as = rr->copied ? rr->same_as : reading;
        v.code = rr->code;
        v.offset = rr->offset;
        v.pickles = rr->pickles;
        v.stream_len = rr->len;
    }
    memcpy(out, &v, sizeof v); /* a larger struct of a newer header keeps its tail */
    return JLP_OK;
}
