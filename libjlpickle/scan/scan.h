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
    uint64_t not_listed_by[JLP_READING_COUNT];
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
    jlp_scan_member *members;  /* a scan of an archive (members.c) */
    size_t nmembers, mcap;
    /* how far each reading read the decoded stream (jlp_report_reach) */
    struct jlp__reach {
        bool known, copied;
        jlp_reading same_as;
        jlp_code code;
        uint64_t offset, len;
        unsigned pickles;
    } reach[JLP_READING_COUNT];
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

/* ---- the scan and its readings (scan.c, reading.c) --------------------------------- */

/* Nesting depths tracked for "in the nested pickle at byte N" (deeper ones share the
 * last slot). */
#define JLP__SCAN_DEPTH 16

/* A set of 64-bit keys (0 is never a key): what the primary reading did. */
typedef struct jlp__keyset {
    uint64_t *slots;
    size_t n, cap;
    const jlp_alc *alc;
} jlp__keyset;

bool jlp__keyset_add(jlp__keyset *s, uint64_t key);
bool jlp__keyset_has(const jlp__keyset *s, uint64_t key);
void jlp__keyset_free(jlp__keyset *s);

/* Bytes of the decoded stream the primary reading reads as array data. */
typedef struct jlp__range {
    uint64_t start, end;
    bool nested; /* an object array's nested pickle: opcodes to every reading */
} jlp__range;

/* A companion file an NDArrayWrapper names, for reading numpy. */
typedef struct jlp__companion {
    char *name;
    size_t name_len;
    uint64_t offset;   /* of the wrapper's BUILD */
    unsigned pickle;
    bool zf;           /* ZNDArrayWrapper: raw data in a ZF file, no pickle */
} jlp__companion;

/* How the primary reading settled a global judged by use (rules.c), by its offset. */
typedef struct jlp__settled {
    uint64_t offset;
    jlp_verdict verdict;
} jlp__settled;
#define JLP__SETTLED_MAX 256

/* The storage a legacy torch file holds as its object (torch.save of one storage, the
 * bytes torch.storage._load_from_bytes loads): its raw elements after pickle 5. */
typedef struct jlp__torch_storage {
    const uint8_t *data;           /* NULL: the file is not one storage the scan could read */
    uint64_t numel;                /* elements at data */
    unsigned esize;                /* bytes per element */
    const char *type;              /* its storage type name ("LongStorage"), static */
    uint64_t at;                   /* offset of data in the file */
    const char *member;            /* a checkpoint's storage: its member's name, else NULL */
} jlp__torch_storage;

/* A checkpoint's archive, lent to the torch reading of its pickle records for the
 * storages `P/data/<key>` they name (members.c). */
typedef struct jlp__torch_zip jlp__torch_zip;

/** The storage record `key` of the checkpoint, read from its member `P/data/<key>` (once:
 *  kept until the checkpoint's scan ends; each read charged to the checkpoint's budget
 *  of four times its size plus 1 MiB), and in *name the member's name. @return its
 *  bytes, or NULL (no such member, one that cannot be read, past the budget). */
const uint8_t *jlp__torch_zip_storage(jlp__torch_zip *z, const char *key, size_t kl, size_t *len,
                                      const char **name);
/** What is left of the checkpoint's budget for sparse index checks (decreased by the
 *  caller). */
uint64_t *jlp__torch_zip_budget(jlp__torch_zip *z);
/** The storages of checkpoint `ar` for the scan of one of its records taken out of it
 *  (jlp_scan_opts.torch_archive), or NULL (no memory). Free with jlp__torch_zip_free(). */
jlp__torch_zip *jlp__torch_zip_new(jlp_archive *ar, const jlp_scan_opts *o, const jlp_limits *lim);
void jlp__torch_zip_free(jlp__torch_zip *z);

/* One jlp_scan(): what every reading shares. */
typedef struct jlp__scan {
    jlp_scan_report *r;
    const jlp_policy *policy;
    const jlp_scan_opts *opts;
    const jlp_limits *lim;
    const jlp_alc *alc;
    const char *path;              /* the main file (companions live beside it), or NULL */
    jlp_reading primary;
    jlp__keyset actions;           /* (offset, opcode, module, name) of the primary's effects */
    jlp__range *ranges;
    size_t nranges, rcap;
    uint64_t primary_stop;         /* where the primary reading failed; UINT64_MAX: its end */
    bool torch;                    /* a checkpoint's pickle record: the torch reading only */
    bool saw_payload;              /* the primary read a NumpyArrayWrapper payload */
    bool differs;                  /* the two unpicklers read some outer opcode differently */
    jlp__companion *comps;
    size_t ncomps, ccap;
    jlp__settled settled[JLP__SETTLED_MAX];
    size_t nsettled;
    bool nomem;
    unsigned nest;                 /* torch.load calls around this scan (_load_from_bytes) */
    uint64_t nested_bytes;         /* bytes charged for _load_from_bytes scans so far, */
    uint64_t nested_budget;        /* and at most: four times the largest stream read plus
                                    * 1 MiB, shared by the scans nested inside them */
    uint64_t sparse_bytes;         /* index bytes read to check sparse tensors so far (at
                                    * most nested_budget's bound: each storage byte is in
                                    * the input, read a few times over) */
    jlp__torch_storage storage;    /* a legacy torch file read as the primary: the storage
                                    * its object is, when it is one */
    jlp__torch_zip *zip;           /* a checkpoint's pickle record: its archive, or NULL */
} jlp__scan;

/* torch.load calls inside each other that are scanned (torch's own pickles nest one). */
#define JLP__NEST_MAX 2
/* What one _load_from_bytes scan costs the budget at least, whatever its length: a bound
 * on the number of scans (a real pickled tensor carries one legacy file of a few hundred
 * bytes per storage). */
#define JLP__NEST_MIN_CHARGE 512

/* A global whose verdict depends on how the reading uses it (numpy.memmap is harmless
 * as a wrapper's subclass, builtins.getattr of a safe method): judged when the pickle
 * ends. */
typedef struct jlp__pending {
    const jlp_val *node;           /* the global's node: compared, never read after the load */
    uint64_t offset, nested_at;
    int depth;
    const char *opcode;
    char *module, *name;
    size_t ml, nl;
    jlp_verdict verdict;           /* the worst use so far */
    char *reason;                  /* of that use, or NULL: the unused reason */
    bool used;
} jlp__pending;

/** The state of one reading while its events arrive. */
typedef struct jlp__reading_ctx {
    jlp__scan *s;
    jlp_scan_report *r;
    const jlp_policy *policy;
    jlp_reading reading;
    bool primary;                  /* fill the globals table and the action set */
    const char *file;              /* reading numpy: the companion's name */
    unsigned pickle;               /* 1-based */
    uint64_t nested_at[JLP__SCAN_DEPTH];
    jlp__buf why, subj;            /* scratch */
    jlp__pending *pend;
    size_t npend, pcap;
    bool torch_legacy;             /* torch.load of a legacy (pre-1.6 format) file */
    struct jlp__storage_key {
        char *key;
        size_t len;
        unsigned esize;
        size_t order;
        const char *type;          /* the record's storage type name (static) */
        int64_t numel;             /* the record's element count */
        const uint8_t *data;       /* a legacy file's: its elements after pickle 5 (the
                                    * key's first record), or NULL */
        uint64_t count;            /* how many the file holds there */
    } *keys;                       /* its storage records, in the order met (a legacy
                                    * file, or a checkpoint's record) */
    size_t nkeys, kcap;
    /* _load_from_bytes calls of this pickle already scanned: bytes node, verdict, the
     * storage the bytes hold */
    struct jlp__lfb { const jlp_val *bytes; jlp_verdict v; jlp__torch_storage st; } lfb[8];
    size_t nlfb, lfb_next;
    const uint8_t *data;           /* the bytes read (where values the pickle holds are) */
    size_t len;
    /* a legacy torch file whose object (pickle 4) is one storage record: its key */
    char *obj_key;
    size_t obj_klen;
    const char *obj_type;
    uint64_t obj_numel;
    jlp__torch_storage zst[4];     /* a checkpoint's storages the last lookups found (one
                                    * sparse check looks up three at most) */
    size_t zst_next;
    bool legacy_sparse;            /* a legacy file's pickle 4 rebuilds a sparse tensor: it
                                    * is read again once its storages are known */
    bool legacy_again;             /* that second reading (sparse calls only) */
} jlp__reading_ctx;

/* ---- reading.c ----------------------------------------------------------------------- */

/* What one reading reads and how. */
typedef struct jlp__reading_in {
    jlp_reading reading;
    int mode;                      /* jlp__mode (pickle/vm.h) */
    bool primary;
    bool npy;                      /* a .npy file (numpy.load's reading) */
    const uint8_t *data;           /* the decoded stream, or a companion file */
    size_t len;
    const char *file;              /* a companion's name, or NULL */
    const jlp_error *tail_error;   /* why the decoded stream ends early, or NULL */
    bool torch_legacy;             /* a legacy torch file: storages follow pickle 5 */
} jlp__reading_in;

/** Run one reading over in->data, pickle after pickle, its findings into s->r.
 *  @return JLP_OK, or NOMEM (the input's own errors are the report's). */
jlp_code jlp__run_reading(jlp__scan *s, const jlp__reading_in *in, jlp_error *err);

/* ---- scan.c, members.c --------------------------------------------------------------- */

/** The scan of `len` bytes at `data` (a file of its own: no companions) under `o` and
 *  `lim` (both resolved): an archive's members when the bytes are one. `tail`, when not
 *  NULL, says why the bytes end early (a member cut at a budget): the readings report
 *  it where they run out, as for a compressed stream cut by its budget.
 *  @return as jlp_scan_mem(). */
jlp_scan_report *jlp__scan_bytes(const uint8_t *data, size_t len, const jlp_error *tail, const jlp_scan_opts *o,
                                 const jlp_limits *lim, jlp__torch_zip *zip, jlp_error *err);
/** The bytes of member `mi` of `ar` a scan reads (jlp_scan_member_budget()); *which
 *  names the limit that sets it, or NULL when none does. `archive_packed`: the
 *  compressed bytes of the archive, for a member of a compressed tar. */
uint64_t jlp__member_budget(jlp_archive *ar, const jlp_member_info *mi, uint64_t archive_packed, const jlp_limits *lim,
                            const char **which);
/** jlp_scan_archive_member() under resolved options and limits. */
jlp_scan_report *jlp__scan_member(jlp_archive *ar, size_t i, uint64_t packed, const jlp_scan_opts *o,
                                  const jlp_limits *lim, jlp_error *err);
/** The bounds of `ao` a scan opens an archive with (jlp_scan_archive_opts()). */
void jlp__scan_archive_opts(jlp_archive_opts *ao, const jlp_limits *lim);
/** jlp__member_budget() of member i; 0 when there is no member i. */
uint64_t jlp__scan_member_budget(jlp_archive *ar, size_t i, uint64_t packed, const jlp_limits *lim);
/** The scan of the archive (zip, tar, compressed tar) at data[0..len). */
jlp_scan_report *jlp__scan_archive(const uint8_t *data, size_t len, const jlp_scan_opts *o, const jlp_limits *lim,
                                   jlp_error *err);

/** The scan of the legacy torch file data[0..len) that torch.storage._load_from_bytes
 *  hands torch.load, under the parent's policy and budgets: its verdict, and in `why`
 *  the worst finding's place and reason; in `st` (when not NULL) the storage the file holds
 *  as its object (st->data NULL when it holds none the scan could read). NOMEM comes back
 *  as dangerous. */
jlp_verdict jlp__scan_torch_bytes(jlp__scan *parent, const uint8_t *data, size_t len, jlp__buf *why,
                                  jlp__torch_storage *st);

/* ---- torch.c ------------------------------------------------------------------------- */

/** The torch reading's judgement of module.name: true (safe, the reason appended to
 *  `why`) for the names torch.load resolves harmlessly, false to judge by the policy. */
bool jlp__torch_judge(const char *m, size_t ml, const char *n, size_t nl, jlp__buf *why);
/** Whether `id` is a persistent id torch's persistent_load reads as a storage record:
 *  ('storage', <storage type global>, key, location, numel), and in the legacy format
 *  with view_metadata (None or (key, offset, size)) after them. */
bool jlp__torch_storage_id(const jlp_val *id);
/** The element size of a storage record's type (1 for UntypedStorage), 0 when `id` is
 *  no storage record. */
unsigned jlp__torch_storage_esize(const jlp_val *id);
/** Whether `id` is the legacy format's ('module', <class global>, source file, source):
 *  its persistent_load returns the class. */
bool jlp__torch_module_id(const jlp_val *id);
/** Whether p[0..n) starts with the first pickle of torch.save's legacy format. */
bool jlp__torch_legacy_magic(const uint8_t *p, size_t n);
/** The storage type name of a storage record ("LongStorage", "UntypedStorage"; static),
 *  NULL when `id` is no storage record. */
const char *jlp__torch_storage_type(const jlp_val *id);

/** The storage that `storage` (a tensor's storage argument: the call
 *  _load_from_bytes(bytes), or a checkpoint's storage record) holds, as the reading met
 *  it, or NULL. */
typedef const jlp__torch_storage *(*jlp__storage_lookup)(void *ctx, const jlp_val *storage);

/** What checking a sparse tensor's indices found. */
typedef struct jlp__sparse_check {
    jlp_verdict verdict;           /* safe: proved valid; dangerous: an index out of range */
    uint64_t bad_at;               /* the offending index's offset in the bytes read, or
                                    * UINT64_MAX */
} jlp__sparse_check;

/** Judge torch._utils._rebuild_sparse_tensor (csr: _rebuild_sparse_csr_tensor) called
 *  with `args`: safe when every index is read from a storage the lookup knows and fits
 *  the tensor's size as torch's own validation requires; dangerous when an index is out
 *  of range (torch reads and writes memory at it when the tensor is used); suspicious
 *  otherwise. `data`/`len`: the bytes the reading reads, to give offsets in them; `budget`
 *  the index bytes that may still be read (decreased). The reason is appended to `why`. */
jlp__sparse_check jlp__torch_sparse_check(bool csr, const jlp_val *args, jlp__storage_lookup lookup, void *ctx,
                                          const uint8_t *data, size_t len, uint64_t *budget, jlp__buf *why);

/** Judge torch._utils._rebuild_qtensor called with `args`: safe when the storage is one
 *  the lookup knows and the view (offset, size, stride) fits it; dangerous when the view
 *  reaches past it (set_ does not check a quantized tensor's view); suspicious otherwise.
 *  The reason is appended to `why`. */
jlp_verdict jlp__torch_qtensor_check(const jlp_val *args, jlp__storage_lookup lookup, void *ctx, jlp__buf *why);

/* ---- rules.c ------------------------------------------------------------------------- */

/** Judge one trace event of the reader. */
void jlp__rules_event(jlp__reading_ctx *c, const jlp_event *ev);
/** The second reading of a legacy torch file's pickle 4, its storages known: judge the
 *  sparse tensors it rebuilds (SA-7). */
void jlp__rules_legacy_sparse(jlp__reading_ctx *c, const jlp_event *ev);
/** Judge a BUILD before it is applied: its target and state. */
void jlp__rules_build(jlp__reading_ctx *c, uint64_t offset, int depth, const jlp_val *target,
                      const jlp_val *state);
/** Judge a joblib wrapper read as joblib reads it (its subclass, companion file). */
void jlp__rules_wrapper(jlp__reading_ctx *c, uint64_t offset, int depth, int kind, const jlp_val *attrs);
/** Give every pending global its verdict (at a pickle's STOP and at the reading's end). */
void jlp__rules_settle(jlp__reading_ctx *c);

/** Record a finding of the reading at `ev` (ev may be NULL: depth 0). */
void jlp__reading_finding(jlp__reading_ctx *c, const jlp_event *ev, uint64_t offset, jlp_verdict v,
                          const char *module, size_t ml, const char *name, size_t nl,
                          const char *action, const char *reason);
/** An effect of the reading (import, call, state): recorded for the primary reading,
 *  for the others a divergence finding when the primary has no such effect there. */
void jlp__reading_effect(jlp__reading_ctx *c, const jlp_event *ev, uint64_t offset, int opcode,
                         const char *module, size_t ml, const char *name, size_t nl, jlp_verdict v);

#endif
