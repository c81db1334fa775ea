/*
 * scan.h - the safety scan's internal interface: policies (policy.c), the report and
 * its findings (report.c), the rules that look at arguments and state (rules.c) and the
 * driver that runs the readings (scan.c).
 */
#ifndef JLP_SCAN_INTERNAL_H
#define JLP_SCAN_INTERNAL_H

#include "../jlpickle_scan.h"
#include "../common/common.h"

/* ---- policy.c ------------------------------------------------------------------------ */

typedef struct jlp__rule {
    const char *module, *name; /* name "*": the module and its submodules */
    size_t ml, nl;
    jlp_verdict verdict;
    const char *reason;        /* "policy FILE:LINE" for a caller's rule */
} jlp__rule;

struct jlp_policy {
    const jlp_alc *alc;
    jlp__arena strings;        /* module, name and reason text of the caller's rules */
    jlp__rule *rules;
    size_t nrules, cap;
};

/** Judge module.qualname by name (jlp_policy_judge): the reason is appended to `why`. */
jlp_verdict jlp__judge(const jlp_policy *p, const char *m, size_t ml, const char *n, size_t nl,
                       jlp__buf *why);

/** Whether s[0..n) is a dunder name (__x__). */
bool jlp__is_dunder(const char *s, size_t n);

/* ---- report.c ------------------------------------------------------------------------ */

struct jlp_scan_report {
    const jlp_alc *alc;
    jlp__arena strings;        /* every string findings and globals point to */
    jlp_finding *findings;
    size_t nfindings, fcap;
    uint64_t not_listed;
    unsigned max_per_subject;
    /* how many findings of each subject were met: open addressing on a hash of
     * (reading, action, module, name); value = count */
    struct jlp__subject { uint64_t hash; uint64_t count; } *subjects;
    size_t nsubjects, scap;
    jlp_scan_global *globals;
    size_t nglobals, gcap;
    uint32_t *gslots;          /* index of globals: entry + 1, 0 empty */
    size_t gslot_cap;
    jlp_verdict verdict;
    bool failed;
    bool nomem;                /* a finding or global could not be stored */
    jlp_error error;
    unsigned pickles;
    unsigned readings;
    char container[24];
};

jlp_scan_report *jlp__report_new(const jlp_alc *alc, unsigned max_per_subject);

/** Everything a finding says; strings are copied into the report. */
typedef struct jlp__finding_in {
    jlp_verdict verdict;
    jlp_reading reading;
    uint64_t offset;
    int depth;
    unsigned pickle;
    uint64_t nested_at;
    const char *module, *name;
    size_t ml, nl;
    const char *action, *opcode, *reason, *file;
} jlp__finding_in;

/** Record a finding: it raises the verdict; it is listed unless max_per_subject findings
 *  of the same (reading, action, module, name, verdict) were listed already, and safe
 *  findings of a global are listed once per reading and name. */
void jlp__report_add(jlp_scan_report *r, const jlp__finding_in *f);

/** The entry of global module.name in the globals table (created, judged by `policy`,
 *  on first use), or NULL when it cannot be stored. */
jlp_scan_global *jlp__report_global(jlp_scan_report *r, const jlp_policy *policy, const char *m,
                                    size_t ml, const char *n, size_t nl);

/** Copy a string into the report. @return the copy (NUL-terminated) or NULL. */
const char *jlp__report_str(jlp_scan_report *r, const char *s, size_t n);

/** A NUL-terminated view of `b` ("" after an allocation failure). */
static inline const char *jlp__buf_cstr(jlp__buf *b) {
    jlp__buf_putc(b, 0);
    if (b->failed || !b->data) return "";
    b->len--;
    return b->data;
}

/* ---- rules.c ------------------------------------------------------------------------- */

/* Nesting depths tracked for "in the nested pickle at byte N" (deeper ones share the
 * last slot). */
#define JLP__SCAN_DEPTH 16

/** The state of one reading while its events arrive. */
typedef struct jlp__reading_ctx {
    jlp_scan_report *r;
    const jlp_policy *policy;
    jlp_reading reading;
    bool primary;              /* fill the report's globals table */
    unsigned pickle;           /* 1-based */
    uint64_t nested_at[JLP__SCAN_DEPTH];
    jlp__buf why, subj;        /* scratch */
} jlp__reading_ctx;

/** Judge one event of the reader (the trace callback's body). */
void jlp__rules_event(jlp__reading_ctx *c, const jlp_event *ev);

/** Record a finding of the reading at `ev` (ev may be NULL: offset 0, depth 0). */
void jlp__reading_finding(jlp__reading_ctx *c, const jlp_event *ev, uint64_t offset, jlp_verdict v,
                          const char *module, size_t ml, const char *name, size_t nl,
                          const char *action, const char *reason);

#endif
