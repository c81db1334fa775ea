/*
 * jlpickle_scan.h - the safety scan of libjlpickle: what a pickle or joblib file would
 * make Python import and call, judged before anyone loads it. spec/SAFETY.md is the
 * normative description; this header is the manual of the C interface.
 *
 * Copyright (c) 2026 The libjlpickle authors. BSD-3-Clause, see LICENSE.
 *
 *   1. Verdicts and readings   jlp_verdict, jlp_reading
 *   2. Policies                the rules: built in, added in C, loaded from files/strings
 *   3. Scanning                jlp_scan() and its options; budgets for untrusted input
 *   4. Reports                 the verdict, the findings, the error, the globals named
 *
 * Model: the scan runs the library's own reader (jlp_load's virtual machine, never a
 * second parser) once for every way a Python loader may read the same bytes - joblib.load
 * with its array payloads, joblib's loader for the old ZF container, pickle.load (the C
 * unpickler), pickle._Unpickler, numpy.load of companion files - and judges every import
 * and call each reading would perform, with the arguments and state it would receive.
 * The verdict is the worst finding of any reading; where readings disagree about what
 * the bytes mean, the disagreement is a finding of its own. Nothing is imported or run.
 *
 * A scan never stops at the first problem: an input that cannot be read to its end gives
 * a report with an error AND every finding met before the error, which decide the
 * verdict ("invalid" is not "harmless": Python may have run what came before).
 *
 * Thread safety: a policy may be shared by scans on many threads once it is no longer
 * modified; a report is read by any number of threads once made; nothing is global.
 */
#ifndef JLPICKLE_SCAN_H
#define JLPICKLE_SCAN_H

#include "jlpickle.h"

#ifdef __cplusplus
extern "C" {
#endif

/* =====================================================================================
 * 1. Verdicts and readings
 * ===================================================================================== */

/** How dangerous a finding, or a whole input, is (spec/SAFETY.md section 2). Ordered:
 *  a larger value is worse. */
typedef enum jlp_verdict {
    JLP_VERDICT_SAFE = 0,       /**< only builds data: every name on the safe list, with
                                     arguments and state the rules accept */
    JLP_VERDICT_SUSPICIOUS = 1, /**< runs code the rules do not know to be harmless */
    JLP_VERDICT_DANGEROUS = 2   /**< runs commands, reads or writes files, imports or
                                     unpickles more, or corrupts memory: do not load */
} jlp_verdict;

/** @return "safe", "suspicious" or "dangerous"; "unknown" for other values. Static
 *  storage. Thread-safe. */
JLP_API const char *jlp_verdict_name(jlp_verdict v);

/** A program that may read the scanned bytes (spec/SAFETY.md section 3). */
typedef enum jlp_reading {
    JLP_READING_JOBLIB = 0,        /**< joblib.load of joblib >= 0.10: pickle._Unpickler
                                        plus NumpyArrayWrapper payloads; object arrays are
                                        nested pickles read by pickle.load */
    JLP_READING_JOBLIB_COMPAT = 1, /**< joblib's loader of ZF files (joblib <= 0.9): no
                                        NumpyArrayWrapper payloads */
    JLP_READING_PICKLE = 2,        /**< pickle.load, CPython's C unpickler: no payloads */
    JLP_READING_PICKLE_PY = 3,     /**< pickle._Unpickler, the pure-Python one */
    JLP_READING_NUMPY = 4,         /**< numpy.load(allow_pickle=True) of a companion file
                                        named by an NDArrayWrapper, or of a .npy file */
    JLP_READING_TORCH = 5          /**< torch.load of a checkpoint's pickle record
                                        (data.pkl): the C unpickler with torch's
                                        find_class and persistent_load; the names of
                                        torch.load(weights_only=True)'s allowlist are
                                        safe (spec/SAFETY.md 3.4) */
} jlp_reading;

#define JLP_READING_COUNT 6

/** @return "joblib", "joblib-compat", "pickle", "pickle-py", "numpy" or "torch";
 *  "unknown" for other values. Static storage. Thread-safe. */
JLP_API const char *jlp_reading_name(jlp_reading r);

/* =====================================================================================
 * 2. Policies
 *
 * A policy judges a global (module, qualname): built-in rules (generated lists of
 * dangerous and safe names, spec/SAFETY.md section 5) plus rules added by the caller.
 * A caller's rule naming exactly one global beats every other rule; "MODULE.*" rules
 * apply to a module and its submodules, the longest module winning; the built-in
 * dangerous list always beats a caller's wildcard (a wildcard cannot make os.system
 * safe), and a safe wildcard never covers a dotted or dunder qualname. Rules that depend
 * on arguments and state (spec/SAFETY.md section 6) are applied on top by the scan.
 * ===================================================================================== */

typedef struct jlp_policy jlp_policy;

/** A policy holding the built-in rules only.
 *  @param alc NULL for malloc/realloc/free.
 *  @return the policy, or NULL (err: NOMEM). Free with jlp_policy_free(). */
JLP_API jlp_policy *jlp_policy_new(const jlp_alc *alc, jlp_error *err);

/** Add one rule. `module` is a module name ("os", "numpy.core"); `qualname` a name in it
 *  ("system", "dtype", "Outer.Inner") or "*" for every name of the module and its
 *  submodules. `origin` (may be NULL) is quoted in the reasons of findings the rule
 *  decides ("site.policy:3"). The strings are copied.
 *  @return JLP_OK; INVALID_ARG for a NULL policy/module/qualname, an empty module or
 *  qualname, or a verdict out of range; NOMEM. Not thread-safe for the policy. */
JLP_API jlp_code jlp_policy_add(jlp_policy *p, jlp_verdict v, const char *module,
                                const char *qualname, const char *origin, jlp_error *err);

/** Add the rules of a policy text: one rule per line, `VERDICT SPEC`, where VERDICT is
 *  safe, suspicious or dangerous and SPEC is MODULE.NAME (the last dot separates),
 *  MODULE:DOTTED.QUALNAME or MODULE.*; '#' starts a comment; blank lines are ignored.
 *  `origin` names the text in reasons and errors (a file name; NULL: "policy").
 *  @return JLP_OK; BAD_VALUE for a malformed line (nothing of the text is added; the
 *  message is "ORIGIN:LINE: what is wrong" and err->offset the line's first byte);
 *  INVALID_ARG for NULL p or text; NOMEM. Not thread-safe for the policy. */
JLP_API jlp_code jlp_policy_load_str(jlp_policy *p, const char *text, size_t len,
                                     const char *origin, jlp_error *err);

/** jlp_policy_load_str() of the file at `path` (the path is the origin).
 *  @return as jlp_policy_load_str(), or IO when the file cannot be read. */
JLP_API jlp_code jlp_policy_load_path(jlp_policy *p, const char *path, jlp_error *err);

/** Judge the global module.qualname by name alone (no arguments, no state).
 *  @param reason receives a short English reason, NUL-terminated and cut to
 *  `reason_cap` bytes (may be NULL when reason_cap is 0).
 *  @return the verdict; a NULL policy judges with the built-in rules only, a NULL module
 *  or qualname is taken as "". Thread-safe once the policy is no longer modified. */
JLP_API jlp_verdict jlp_policy_judge(const jlp_policy *p, const char *module, size_t module_len,
                                     const char *qualname, size_t qualname_len, char *reason,
                                     size_t reason_cap);

/** Release a policy. NULL is ignored. Reports made with it must be freed first only if
 *  the caller reads reasons through them afterwards (reports copy their strings, so
 *  they do not need the policy). */
JLP_API void jlp_policy_free(jlp_policy *p);

/* =====================================================================================
 * 3. Scanning
 * ===================================================================================== */

/** Fill `lim` with budgets for an input of `input_size` bytes from a stranger (0:
 *  unknown size): the JLP_LIMITS_INIT limits, with
 *    max_ratio    256: past 64 MiB, the decoded stream may not exceed 256 times the
 *                 compressed bytes read (so a file under 1 MiB decodes to 256 MiB at
 *                 most; a few bytes of bz2 no longer become gigabytes)
 *    max_decoded  256 MiB + 256 * input_size (unknown size: 256 MiB)
 *    max_ops      16 Mi + 32 * input_size opcodes (unknown size: 16 Mi + max_decoded/8)
 *    max_str, max_alloc   max_decoded, 2 * max_decoded
 *  The tools use these by default (their --max-* options raise them); jlp_scan() uses
 *  them when jlp_scan_opts.limits is NULL. NULL lim is ignored. Thread-safe. */
JLP_API void jlp_limits_untrusted(jlp_limits *lim, uint64_t input_size);

/** Options of a scan: growable (jlpickle.h section 1), start from JLP_SCAN_OPTS_INIT or
 *  jlp_scan_opts_init(). */
typedef struct jlp_scan_opts {
    size_t size;                /**< sizeof(jlp_scan_opts): set by JLP_SCAN_OPTS_INIT */
    const jlp_policy *policy;   /**< NULL: the built-in rules */
    const jlp_limits *limits;   /**< NULL: jlp_limits_untrusted() for the input's size */
    const jlp_alc *alc;         /**< NULL: malloc/realloc/free */
    const struct jlp_registry *registry; /**< codecs; NULL: the built-in ones */
    int no_companions;          /**< do not open the companion files of joblib <= 0.9: an
                                     NDArrayWrapper is then judged without its file */
    unsigned max_per_subject;   /**< findings listed per (reading, action, module, name)
                                     before the rest are only counted (default 10; 0: the
                                     default) */
    int torch_record;           /**< the input is a pickle record of a PyTorch checkpoint
                                     (`<prefix>/data.pkl` taken out of the zip): read it
                                     in the torch reading only, as torch.load does. A scan
                                     of the checkpoint itself does this for its records */
    jlp_archive *torch_archive; /**< with torch_record: the checkpoint the record was taken
                                     from (open while the scan runs; the scan reads members
                                     of it, one thread at a time). The storages the record
                                     names, `<prefix>/data/<key>` (prefix: the directory of
                                     its first member), are read from it to check the
                                     indices of sparse tensors (spec/SAFETY.md SA-7). NULL:
                                     they are not read, and a sparse tensor's rebuild is
                                     judged by torch.load's allowlist alone. A scan of the
                                     checkpoint itself does this for its records */
} jlp_scan_opts;

#define JLP_SCAN_OPTS_INIT { sizeof(jlp_scan_opts), NULL, NULL, NULL, NULL, 0, 10, 0, NULL }

/** Fill `opts` with the defaults (JLP_SCAN_OPTS_INIT). NULL is ignored. Inline, as
 *  jlp_limits_init, so it fills exactly the struct this header declares. Thread-safe. */
static inline void jlp_scan_opts_init(jlp_scan_opts *opts) {
    jlp_scan_opts d = JLP_SCAN_OPTS_INIT;
    if (opts) *opts = d;
}

typedef struct jlp_scan_report jlp_scan_report;

/** Scan every pickle of `src` (a file holds one; a stream may hold several in a row)
 *  in every reading that applies (spec/SAFETY.md section 3). A regular file (or a memory
 *  source) is read in place; another stream is first read into memory, within the
 *  budgets. The source is left at an unspecified position.
 *  An archive (what jlp_archive_detect() recognises: a PyTorch checkpoint, an .npz, a
 *  zip or tar bundle, a tar in a codec) is scanned member by member: every member a
 *  loader may unpickle or numpy.load is scanned as a file of its own (a checkpoint's
 *  pickle records in the torch reading), nested archives in turn, within the budgets
 *  (each member within jlp_scan_member_budget(), all of them together at most
 *  max_decoded bytes; offsets are of each member's decoded stream); findings name
 *  their member in jlp_finding.file, and jlp_report_member() gives each member's
 *  verdict. Listing entries that climb out of the archive, duplicates, links, members
 *  that cannot be read, TorchScript code and archives that cannot be read here are
 *  suspicious findings. The report's error is the archive's, else the first member's.
 *  @param opts NULL for the defaults.
 *  @return a report, also when the input is malformed or a budget stops the scan (see
 *  jlp_report_error()); NULL only for NULL src or options without a valid size
 *  (INVALID_ARG), options of a newer header asking for what this library lacks
 *  (UNSUPPORTED), an allocation failure (NOMEM) or a read error of the source (IO).
 *  Free with jlp_report_free().
 *  Thread-safety: one thread per source. */
JLP_API jlp_scan_report *jlp_scan(jlp_source *src, const jlp_scan_opts *opts, jlp_error *err);
/** jlp_scan() of the file at `path` (companion files are looked for beside it).
 *  @return as jlp_scan(); NULL with IO when the file cannot be opened. */
JLP_API jlp_scan_report *jlp_scan_path(const char *path, const jlp_scan_opts *opts,
                                       jlp_error *err);
/** jlp_scan() of `len` bytes at `data` (borrowed during the call only).
 *  @return as jlp_scan(); INVALID_ARG when data is NULL and len > 0. */
JLP_API jlp_scan_report *jlp_scan_mem(const void *data, size_t len, const jlp_scan_opts *opts,
                                      jlp_error *err);

/** Scan member `i` of the open archive `ar` as jlp_scan() of the whole archive scans
 *  it (spec/SAFETY.md 3.4), for a caller that walks the archive itself (jlinspect; open
 *  `ar` with the options of jlp_scan_archive_opts(), or the archive's own bounds may
 *  refuse a member the scan would read up to its budget):
 *  the member is read from `ar` into memory within jlp_scan_member_budget(), and when
 *  it decodes past that budget the bytes before it are scanned and the cut is a limit
 *  finding and the report's error (LIMIT), as for a compressed stream cut by its budget;
 *  a member that is an archive is scanned as one. A checkpoint's pickle record (and any
 *  member, with opts->torch_record) is read in the torch reading. Companion files are
 *  not looked for (the member is no file of its own). Findings do not name the member
 *  (jlp_finding.file is NULL or names a member of a nested archive), and what the
 *  listing alone shows (jlp_member_info.flags) is the caller's to judge.
 *  @param packed  the compressed bytes of `ar`: the size of the archive's file, or for
 *                 an archive opened from a member, that member's decoded size (the
 *                 budget of a member of a compressed tar is a ratio of it)
 *  @param opts    NULL for the defaults; opts->limits NULL: jlp_limits_untrusted(packed).
 *                 Give the limits of the outermost file to bound a nested archive's
 *                 members as jlp_scan() of that file does.
 *  @return a report (free with jlp_report_free()), or NULL with err: INVALID_ARG for a
 *  NULL archive or no member i, the errors of jlp_archive_member_source() and of its
 *  reads (MEMBER, LIMIT, CODEC_MISSING, a damaged stream), NOMEM, and jlp_scan()'s.
 *  Thread-safety: one thread per archive. */
JLP_API jlp_scan_report *jlp_scan_archive_member(jlp_archive *ar, size_t i, uint64_t packed,
                                                 const jlp_scan_opts *opts, jlp_error *err);
/** Set the bounds of `ao` to those jlp_scan() opens an archive with under `lim`: all
 *  member reads together at most lim->max_decoded (max_total; unchanged when that is
 *  0), and no bound of the archive's own on one member (max_member_size and max_ratio
 *  0), which would refuse a member whole from its declared size or ratio where the scan
 *  reads it up to jlp_scan_member_budget() and judges the bytes before. Open the
 *  archive given to jlp_scan_archive_member() so, from jlp_archive_opts_init(). NULL
 *  ao or lim is ignored. Thread-safe. */
JLP_API void jlp_scan_archive_opts(jlp_archive_opts *ao, const jlp_limits *lim);
/** @return the decoded bytes of member `i` of `ar` that jlp_scan_archive_member() (and
 *  jlp_scan() of the archive) reads at most: lim->max_decoded, and past 64 MiB at most
 *  lim->max_ratio times the member's compressed bytes (a zip member's own; for a
 *  compressed tar, `packed`, the archive's); UINT64_MAX when neither limit is set, 0
 *  for a NULL archive or lim or no member i. A caller that copies the member (jlinspect
 *  for its other views) reads no more than this. Thread-safety: one thread per archive. */
JLP_API uint64_t jlp_scan_member_budget(jlp_archive *ar, size_t i, uint64_t packed,
                                        const jlp_limits *lim);

/* =====================================================================================
 * 4. Reports
 * ===================================================================================== */

/** One finding: something a reading would import or call, a state it would set, a
 *  disagreement between readings, a budget that stopped the scan. Strings are UTF-8
 *  (module and name as the pickle spells them, possibly with NUL or control bytes: use
 *  the lengths), owned by the report. */
typedef struct jlp_finding {
    jlp_verdict verdict;
    jlp_reading reading;
    uint64_t offset;      /**< decoded-stream offset of the opcode (of the companion's
                               stream for reading numpy) */
    int depth;            /**< 0 for the outer pickle, 1+ inside nested pickles */
    unsigned pickle;      /**< 1-based index of the pickle in the stream (0: none) */
    uint64_t nested_at;   /**< offset where the nested pickle starts, UINT64_MAX at depth 0 */
    const char *module;   /**< "" when no global is involved */
    size_t module_len;
    const char *name;
    size_t name_len;
    const char *action;   /**< "global" (a name is resolved), "call", "build" (state
                               given to an object), "state" (what a state sets),
                               "divergence", "limit", "ext", "persid", "trailing" */
    const char *opcode;   /**< pickletools name of the opcode, or NULL */
    const char *reason;   /**< short English reason, lower case, no final period */
    const char *file;     /**< the companion file (reading numpy); in the scan of an
                               archive, the member ("MEMBER", "MEMBER::COMPANION",
                               "INNER::MEMBER" in a nested archive); else NULL */
} jlp_finding;

/** What the report knows about one global the primary reading named (joblib, or
 *  joblib-compat for ZF files): for jlinspect --globals. */
typedef struct jlp_scan_global {
    const char *module;
    size_t module_len;
    const char *name;
    size_t name_len;
    jlp_verdict verdict;  /**< by name (jlp_policy_judge) */
    const char *reason;
    uint64_t named;       /**< times a GLOBAL/STACK_GLOBAL/INST named it */
    uint64_t called;      /**< times it was called or instantiated */
    unsigned noffsets;    /**< offsets kept (at most 16) */
    uint64_t offsets[16]; /**< where it was named */
    uint8_t nested[16];   /**< nonzero: that offset is inside a nested pickle */
} jlp_scan_global;

/** @return the verdict of the whole input: the worst finding of every reading (safe
 *  when there is none, also when the input is malformed: see jlp_report_error()).
 *  JLP_VERDICT_SAFE for NULL. */
JLP_API jlp_verdict jlp_report_verdict(const jlp_scan_report *r);
/** @return NULL when every reading read the input to its end; otherwise the first error
 *  of the primary reading (or of the container), which the findings listed were met
 *  before. NULL for NULL. Valid as long as the report. */
JLP_API const jlp_error *jlp_report_error(const jlp_scan_report *r);
/** @return the number of findings listed, 0 for NULL. */
JLP_API size_t jlp_report_count(const jlp_scan_report *r);
/** @return finding i in the order met (reading by reading), or NULL when out of range. */
JLP_API const jlp_finding *jlp_report_finding(const jlp_scan_report *r, size_t i);
/** @return findings met but not listed (past max_per_subject), 0 for NULL. */
JLP_API uint64_t jlp_report_not_listed(const jlp_scan_report *r);
/** @return the number of distinct globals the primary reading named, 0 for NULL. */
JLP_API size_t jlp_report_global_count(const jlp_scan_report *r);
/** @return global i in the order first named, or NULL. */
JLP_API const jlp_scan_global *jlp_report_global(const jlp_scan_report *r, size_t i);
/** @return pickles the primary reading read completely, 0 for NULL. */
JLP_API unsigned jlp_report_pickles(const jlp_scan_report *r);
/** @return the container of the input ("none", "zlib", "zf", "torch-legacy", ...), or NULL when not
 *  known (the input could not be examined) or for NULL. */
JLP_API const char *jlp_report_container(const jlp_scan_report *r);
/** @return bitmask of the readings that were run (1u << jlp_reading), 0 for NULL. A
 *  reading that applies but provably reads the bytes as another one does is not run
 *  again: its findings are copies of that reading's, under its own name. */
JLP_API unsigned jlp_report_readings(const jlp_scan_report *r);

/** How far one reading read the decoded stream (spec/SAFETY.md S-29a): where it stopped
 *  and why. Growable: the caller sets `size` (JLP_SCAN_REACH_INIT); only the fields
 *  inside it are written. */
typedef struct jlp_scan_reach {
    size_t size;          /**< sizeof(jlp_scan_reach): set by JLP_SCAN_REACH_INIT */
    int known;            /**< 1: the reading applies to the input and the fields below
                               say how far it read; 0: it was not run (not a reading of
                               this input, an archive, whose members are files of their
                               own, or an input that could not be examined) */
    int copied;           /**< 1: not run, its findings copied from `same_as`, which
                               reads the bytes exactly as it does (S-8): its reach */
    jlp_reading same_as;  /**< the reading actually run (the reading itself when not copied) */
    jlp_code code;        /**< JLP_OK: every pickle read to the end of the decoded stream
                               (a .npy file: its array read); else why it stopped: the
                               error of the pickle it stopped in (also bytes after a
                               complete pickle that are not one), LIMIT for a budget */
    uint64_t offset;      /**< decoded-stream offset where it stopped: the end of the
                               stream when code is JLP_OK, else where the faulty opcode or
                               field starts (jlp_error.offset). Every opcode before it was
                               read, and its effects judged */
    unsigned pickles;     /**< pickles it read completely */
    uint64_t stream_len;  /**< bytes of the decoded stream it read from */
} jlp_scan_reach;
#define JLP_SCAN_REACH_INIT { sizeof(jlp_scan_reach), 0, 0, JLP_READING_JOBLIB, JLP_OK, 0, 0, 0 }

/** How far `reading` read the input's decoded stream (the input itself for a raw
 *  pickle; for a .npy input, reading numpy; companion files are not covered).
 *  @param out initialised by the caller with JLP_SCAN_REACH_INIT: the fields inside
 *  out->size are written (`known` 0 and the rest zeroed when the reading was not run).
 *  @return JLP_OK; INVALID_ARG for NULL r or out, an out->size smaller than the struct's
 *  first release (which this one is), or a reading out of range. Thread-safe once the
 *  report is made. */
JLP_API jlp_code jlp_report_reach(const jlp_scan_report *r, jlp_reading reading, jlp_scan_reach *out);

/** What the scan of an archive says about one of its members (spec/SAFETY.md 3.4). */
typedef struct jlp_scan_member {
    const char *name;       /**< the member's name; a member of a nested archive is
                                 "INNER::NAME", as jlp_load_path's syntax writes it */
    size_t name_len;
    const char *content;    /**< "pickle", "torch-record" (a checkpoint's pickle, read
                                 in the torch reading), "npy", "archive", "storage" (a
                                 checkpoint's raw tensor bytes), "code" (TorchScript),
                                 "data", "directory", "link", "unreadable" */
    uint64_t size;          /**< decoded bytes, as declared */
    jlp_verdict verdict;    /**< the worst finding of the member (a nested archive: of
                                 its members too) and of its listing entry */
    int scanned;            /**< nonzero: its bytes were scanned as a file */
    jlp_code error;         /**< JLP_OK, or why it could not be read or scanned to its end */
    const char *error_msg;  /**< "" when error is JLP_OK */
} jlp_scan_member;

/** @return the number of members a scan of an archive listed (nested archives' members
 *  included, after the member that holds them); 0 for other inputs and NULL. */
JLP_API size_t jlp_report_member_count(const jlp_scan_report *r);
/** @return member i, or NULL when out of range. Valid as long as the report. */
JLP_API const jlp_scan_member *jlp_report_member(const jlp_scan_report *r, size_t i);

/** Release a report. NULL is ignored. */
JLP_API void jlp_report_free(jlp_scan_report *r);

#ifdef __cplusplus
}
#endif

#endif /* JLPICKLE_SCAN_H */
