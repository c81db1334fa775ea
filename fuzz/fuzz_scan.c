/*
 * fuzz_scan.c - libFuzzer target: the safety scan (jlp_scan, jlpickle_scan.h).
 *
 * Input: any bytes (a pickle, a joblib file in any container, a .npy file...). The scan
 * runs with the fuzz budgets (fuzz_common.h), a size-checking allocator and companion
 * files off, over:
 *   M  jlp_scan_mem                 C  jlp_scan on a read callback in small chunks
 *   F  jlp_scan of a source mapping the input written to a memfd (jlp_source_path_mapped)
 *   P  jlp_scan_mem of a complete os.system pickle followed by the input
 *   A  jlp_scan_mem of the input followed by that pickle (only when M read the input to
 *      its end as raw pickles, without an error, trailing bytes or a budget stop, the
 *      pickle-py reading too, and no frame of the input runs past its end)
 *   S  the input's decoded stream with an os.system call spliced in at an opcode boundary
 *      the pickle-py reading reached (jlp_report_reach; see pick_site()): into any
 *      pickle, inside frames (their length fixed), before an error, a budget stop or
 *      trailing bytes; scanned as it is (raw, or re-encoded with its codec when the
 *      input is compressed), and, for some inputs, wrapped in a codec (a raw input),
 *      as the member of a zip, and as the data.pkl of a PyTorch checkpoint (a site the
 *      torch reading of the input as a checkpoint record reached, in its first pickle);
 *      in an object .npy file, into its pickle (where the numpy reading reached); in a
 *      legacy torch file, into its five pickles (the torch reading); in an archive
 *      (tar, a tar in a codec, zip, .npz, checkpoint), into a member the scan read to
 *      its end, scanned alone (jlp_scan_archive_member) for its reach, a member that is
 *      an archive in turn (two levels), and the archive written again (zip stored, or
 *      ustar in the tar's codec) with the members that can be read (splice_archive())
 *   R  for an archive: jlp_scan_archive_member of each member M scanned, the archive
 *      opened with jlp_scan_archive_opts (as jlinspect walks archives)
 *
 * Properties (abort on failure):
 *   - M succeeds (a NULL report only for NOMEM, which the budgets rule out);
 *   - the report is consistent: its verdict is the worst of its findings' (a finding not
 *     listed because of max_per_subject has the verdict of one listed); every finding
 *     has a known verdict and reading, an action, a reason, module and name
 *     NUL-terminated at their stated lengths, depth >= 0, and nested_at is UINT64_MAX exactly at depth 0; in a
 *     raw pickle stream every offset lies inside the input;
 *   - memory, chunked and mapped sources give the same report: verdict, error code and
 *     offset, numbers of findings, globals and pickles, and every finding (verdict,
 *     reading, offset, action, module, name);
 *   - a verdict never drops when a dangerous call is added: P is dangerous whatever
 *     the input is (every reading reads the first pickle first), and A is dangerous
 *     (or, when the opcode budget over all the pickles is spent before the appended
 *     one, suspicious with a limit finding); every S is dangerous with a dangerous
 *     os.system finding at the spliced offset (unless findings of that subject were
 *     past max_per_subject): the reading reaches the spliced call (see pick_site());
 *   - budgets are respected: the scan's peak allocation stays within a bound derived
 *     from the budgets, and every allocation is returned;
 *   - R: a member's scan alone gives the verdict and error code M's scan of the archive
 *     gave it (when M read it to its end and its listing entry is no finding), within
 *     the same peak bound; a member's budget is at most max_decoded.
 *
 * FUZZ_SCAN_HARMLESS=1 splices collections.OrderedDict('x') in place of os.system('x'):
 * the S properties are then counted, not enforced, and the process exits 1 at the end
 * unless each of them failed at least once (a property that cannot fail checks
 * nothing). FUZZ_SCAN_STATS=1 prints how often each S property was checked.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#define FZ_TARGET "fuzz_scan"
#include "fuzz_common.h"
#include "jlpickle_codec.h"
#include "jlpickle_scan.h"

#include <sys/mman.h>
#include <unistd.h>

#define MAX_INPUT ((size_t)64 << 10)

/* An os.system call in a pickle of its own (protocol 0). */
static const char DANGER[] = "cos\nsystem\n(S'id'\ntR.";
#define DANGER_LEN (sizeof DANGER - 1)

/* An os.system call that leaves the stack, the marks and the memo as it found them
 * (protocol 2 opcodes: GLOBAL 'os system', SHORT_BINSTRING 'x', TUPLE1, REDUCE, POP). */
static const char SPLICE[] = "cos\nsystem\nU\x01x\x85R0";
/* The same shape with a harmless call, for FUZZ_SCAN_HARMLESS=1. */
static const char HARMLESS[] = "ccollections\nOrderedDict\nU\x01x\x85R0";
#define SPLICE_MAX (sizeof HARMLESS - 1)

/* The scan's peak memory: the decoded stream (grown by doubling), a document per
 * reading, and the findings and globals, which grow with the input. */
#define PEAK_BOUND (4 * FZ_MAX_DECODED + 2 * FZ_MAX_ALLOC + ((uint64_t)64 << 20))

typedef struct chunks {
    const uint8_t *p;
    size_t n, at;
    uint64_t rng;
} chunks;

static long long read_chunks(void *ctx, void *buf, size_t cap) {
    chunks *c = ctx;
    size_t k = (size_t)(fz_xorshift(&c->rng) % 7) + 1;
    if (k > cap) k = cap;
    if (k > c->n - c->at) k = c->n - c->at;
    memcpy(buf, c->p + c->at, k);
    c->at += k;
    return (long long)k;
}

static void opts_for(jlp_scan_opts *o, jlp_limits *lim, const jlp_alc *a) {
    jlp_scan_opts_init(o);
    jlp_limits_init(lim);
    lim->max_alloc = FZ_MAX_ALLOC;
    lim->max_ops = FZ_MAX_OPS;
    lim->max_str = FZ_MAX_STR;
    lim->max_stack = (uint64_t)1 << 20;
    lim->max_memo = (uint64_t)1 << 20;
    lim->max_decoded = FZ_MAX_DECODED;
    lim->max_ratio = FZ_MAX_RATIO;
    o->limits = lim;
    o->alc = a;
    o->no_companions = 1;
}

/* The report keeps `a` (the library keeps a pointer to the caller's jlp_alc): it must
 * outlive the report. */
static jlp_scan_report *scan_mem(const uint8_t *p, size_t n, fz_heap *h, const jlp_alc *a, const char *what) {
    jlp_scan_opts o;
    jlp_limits lim;
    opts_for(&o, &lim, a);
    jlp_error e;
    jlp_scan_report *r = jlp_scan_mem(p, n, &o, &e);
    if (!r) fz_die_err(what, &e);
    uint64_t bound = PEAK_BOUND;
    FZ_CHECK(h->peak <= bound, "peak memory past the budgets' bound", h->peak, bound);
    return r;
}

static void check_report(const jlp_scan_report *r, size_t input_len) {
    const char *container = jlp_report_container(r); /* NULL when no format was detected */
    int raw = container && !strcmp(container, "none");
    jlp_verdict worst = JLP_VERDICT_SAFE;
    for (size_t i = 0; i < jlp_report_count(r); i++) {
        const jlp_finding *f = jlp_report_finding(r, i);
        FZ_CHECK(f != NULL, "finding in range", i, jlp_report_count(r));
        FZ_CHECK(f->verdict >= JLP_VERDICT_SAFE && f->verdict <= JLP_VERDICT_DANGEROUS, "finding verdict",
                 f->verdict, i);
        FZ_CHECK((unsigned)f->reading < JLP_READING_COUNT, "finding reading", f->reading, i);
        FZ_CHECK(f->action && f->action[0], "finding action", i, 0);
        FZ_CHECK(f->reason && f->reason[0], "finding reason", i, 0);
        /* names are counted (a pickle's name may hold a NUL) and NUL-terminated */
        FZ_CHECK(f->module && f->module[f->module_len] == 0, "module NUL-terminated at its length", f->module_len, i);
        FZ_CHECK(f->name && f->name[f->name_len] == 0, "name NUL-terminated at its length", f->name_len, i);
        FZ_CHECK(f->depth >= 0, "finding depth", f->depth, i);
        FZ_CHECK((f->depth == 0) == (f->nested_at == UINT64_MAX), "nested_at exactly inside nested pickles",
                 f->depth, f->nested_at);
        if (raw) FZ_CHECK(f->offset <= input_len, "finding offset inside the input", f->offset, input_len);
        if (f->verdict > worst) worst = f->verdict;
    }
    FZ_EQ("report verdict is its worst finding's", jlp_report_verdict(r), worst);
    for (size_t i = 0; i < jlp_report_global_count(r); i++) {
        const jlp_scan_global *g = jlp_report_global(r, i);
        FZ_CHECK(g && g->module[g->module_len] == 0 && g->name[g->name_len] == 0, "global names", i, 0);
        FZ_CHECK(g->noffsets <= 16, "global offsets kept", g->noffsets, 16);
    }
}

/* The offset of the opcode after the one at `at` in pickle._Unpickler's reading (no
 * payloads), by the library's opcode table; SIZE_MAX for an unknown opcode or an
 * argument cut by the end of the input (or a negative SLEN4 length). */
static size_t next_opcode(const uint8_t *p, size_t n, size_t at) {
    const jlp_opcode_desc *d = jlp_opcode_info(p[at]);
    if (!d) return SIZE_MAX;
    size_t q = at + 1, len = 0;
    const uint8_t *nl;
    switch (d->arg) {
    case JLP_ARG_NONE: break;
    case JLP_ARG_U1: len = 1; break;
    case JLP_ARG_U2: len = 2; break;
    case JLP_ARG_I4: case JLP_ARG_U4: len = 4; break;
    case JLP_ARG_U8: case JLP_ARG_F8: len = 8; break;
    case JLP_ARG_LINE2:
        if (!(nl = q < n ? memchr(p + q, '\n', n - q) : NULL)) return SIZE_MAX;
        q = (size_t)(nl - p) + 1;
        /* fallthrough */
    case JLP_ARG_LINE:
        if (!(nl = q < n ? memchr(p + q, '\n', n - q) : NULL)) return SIZE_MAX;
        len = (size_t)(nl - p) + 1 - q;
        break;
    case JLP_ARG_LEN1:
        if (q >= n) return SIZE_MAX;
        len = 1 + (size_t)p[q];
        break;
    case JLP_ARG_LEN4: case JLP_ARG_SLEN4: {
        if (n - q < 4) return SIZE_MAX;
        uint64_t l = (uint64_t)p[q] | (uint64_t)p[q + 1] << 8 | (uint64_t)p[q + 2] << 16 | (uint64_t)p[q + 3] << 24;
        if (d->arg == JLP_ARG_SLEN4 && l >= 0x80000000u) return SIZE_MAX;
        if (l > n) return SIZE_MAX;
        len = (size_t)l + 4;
        break;
    }
    case JLP_ARG_LEN8: {
        if (n - q < 8) return SIZE_MAX;
        uint64_t l = 0;
        for (int i = 7; i >= 0; i--) l = l << 8 | p[q + i];
        if (l > n) return SIZE_MAX;
        len = (size_t)l + 8;
        break;
    }
    }
    return len > n - q ? SIZE_MAX : q + len;
}

/* The same report, finding by finding. */
static void same_report(const jlp_scan_report *x, const jlp_scan_report *m, const char *what) {
    FZ_CHECK(jlp_report_verdict(x) == jlp_report_verdict(m), what, jlp_report_verdict(x), jlp_report_verdict(m));
    const jlp_error *xe = jlp_report_error(x), *me = jlp_report_error(m);
    FZ_CHECK((xe != NULL) == (me != NULL), what, xe != NULL, me != NULL);
    if (xe && me) {
        FZ_CHECK(xe->code == me->code, what, xe->code, me->code);
        FZ_CHECK(xe->offset == me->offset, what, xe->offset, me->offset);
    }
    FZ_CHECK(jlp_report_count(x) == jlp_report_count(m), what, jlp_report_count(x), jlp_report_count(m));
    FZ_CHECK(jlp_report_global_count(x) == jlp_report_global_count(m), what, jlp_report_global_count(x),
             jlp_report_global_count(m));
    FZ_CHECK(jlp_report_pickles(x) == jlp_report_pickles(m), what, jlp_report_pickles(x), jlp_report_pickles(m));
    for (size_t i = 0; i < jlp_report_count(m); i++) {
        const jlp_finding *a = jlp_report_finding(x, i), *b = jlp_report_finding(m, i);
        FZ_CHECK(a->verdict == b->verdict && a->reading == b->reading, what, i, a->verdict);
        FZ_CHECK(a->offset == b->offset, what, a->offset, b->offset);
        FZ_CHECK(!strcmp(a->action, b->action), what, i, 0);
        FZ_CHECK(a->module_len == b->module_len && !memcmp(a->module, b->module, a->module_len), what, i, 0);
        FZ_CHECK(a->name_len == b->name_len && !memcmp(a->name, b->name, a->name_len), what, i, 0);
    }
}

static int has_action(const jlp_scan_report *r, const char *action) {
    for (size_t i = 0; i < jlp_report_count(r); i++)
        if (!strcmp(jlp_report_finding(r, i)->action, action)) return 1;
    return 0;
}

/* The archive in data opened as jlinspect opens it for a scan: the scan's options and
 * limits (*o, *lim), their archive budgets, memory from *a. NULL when it does not open. */
static jlp_archive *open_for_scan(const uint8_t *data, size_t size, const jlp_alc *a, jlp_scan_opts *o,
                                  jlp_limits *lim, jlp_error *e) {
    opts_for(o, lim, a);
    jlp_archive_opts ao;
    jlp_archive_opts_init(&ao);
    jlp_scan_archive_opts(&ao, lim);
    ao.alc = a;
    return jlp_archive_open_mem(data, size, &ao, e);
}

/* R: each member M scanned, scanned alone as jlinspect scans it. */
static void members_alone(const uint8_t *data, size_t size, const jlp_scan_report *m) {
    if (!jlp_report_member_count(m)) return;
    fz_heap h = {0};
    jlp_alc a = fz_alc(&h);
    jlp_scan_opts o;
    jlp_limits lim;
    jlp_error e;
    jlp_archive *ar = open_for_scan(data, size, &a, &o, &lim, &e);
    if (ar) {
        const unsigned listed = JLP_MEMBER_UNSAFE_NAME | JLP_MEMBER_DUPLICATE | JLP_MEMBER_LINK |
                                JLP_MEMBER_ENCRYPTED | JLP_MEMBER_UNREADABLE | JLP_MEMBER_SPECIAL;
        for (size_t i = 0, n = jlp_archive_count(ar); i < n; i++) {
            jlp_member_info mi;
            if (!jlp_archive_member(ar, i, &mi)) continue;
            FZ_CHECK(jlp_scan_member_budget(ar, i, size, &lim) <= lim.max_decoded, "a member's budget past max_decoded",
                     jlp_scan_member_budget(ar, i, size, &lim), lim.max_decoded);
            /* its entry in M's member table: the top-level member of that name */
            const jlp_scan_member *entry = NULL;
            for (size_t k = 0; k < jlp_report_member_count(m) && !entry; k++) {
                const jlp_scan_member *x = jlp_report_member(m, k);
                if (x->name_len == mi.name_len && !memcmp(x->name, mi.name, mi.name_len)) entry = x;
            }
            if (!entry || !entry->scanned || entry->error != JLP_OK || (mi.flags & listed)) continue;
            jlp_scan_report *r = jlp_scan_archive_member(ar, i, size, &o, &e);
            if (!r) fz_die_err("jlp_scan_archive_member of a member the archive scan read", &e);
            check_report(r, mi.size > SIZE_MAX ? SIZE_MAX : (size_t)mi.size);
            FZ_EQ("a member scanned alone has the verdict of the archive scan", jlp_report_verdict(r),
                  entry->verdict);
            FZ_EQ("a member scanned alone reads to its end as in the archive scan", jlp_report_error(r) == NULL, 1);
            jlp_report_free(r);
            FZ_CHECK(h.peak <= PEAK_BOUND, "peak memory past the budgets' bound", h.peak, PEAK_BOUND);
        }
        jlp_archive_free(ar);
    }
    fz_heap_check_empty(&h, "after the member scans");
}

/* ---- S: a call spliced in where a reading reached ----------------------------------- */

/* Where a call may be spliced into a decoded stream, and what the splice must fix. */
typedef struct site {
    size_t at;       /* an opcode boundary */
    size_t fix;      /* offset of the 8-byte length of the FRAME whose frame holds `at`, or
                        SIZE_MAX */
    unsigned pickle; /* 1-based: the pickle of `at` in the walk */
} site;

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* The opcode boundaries of p[0..n) before `limit`, walked as pickle._Unpickler reads
 * (next_opcode()), pickle after pickle (the next one starts after a STOP): the `want`-th
 * is stored in *out. @return their number. A boundary inside a frame comes with the
 * frame's length to fix (frames whose length + the splice would overflow have none).
 * After a STOP inside a frame the walk goes on at the frame's end, where pickle.py's
 * next load starts, or with `c_stop` right after the STOP, where _pickle.c's does on a
 * file that can peek (torch.load's of a legacy file; spec/SAFETY.md S-6). It stops
 * after `most` pickles (0: no bound), and where next_opcode() cannot go on.
 * Why a call spliced at such a boundary must be met: the reach of a reading
 * (jlp_report_reach) says every opcode before its offset was read; the reading read the
 * pickles before as this walk does (each opcode's extent is its argument's, whatever
 * the unpickler) and reaches the boundary with the same stack, memo and marks (a MARK
 * before it stays below the call, which pushes and pops above it); the frame that holds
 * the boundary is longer by the splice, so the frame rules of either unpickler (S-6)
 * see the same frames. It then reads GLOBAL os.system, dangerous by name, whatever
 * comes after. Were a budget spent earlier in the spliced stream (5 opcodes more, a
 * longer frame), the sweep after the budget stop (S-27) names it all the same. */
static size_t walk_sites(const uint8_t *p, size_t n, uint64_t limit, unsigned most, int c_stop, size_t want,
                         site *out) {
    size_t count = 0, fix = SIZE_MAX, fstart = 0, fend = 0;
    unsigned pickle = 1;
    for (size_t at = 0; at < n && at < limit;) {
        int inside = fix != SIZE_MAX && at >= fstart && at < fend;
        int fixable = !inside || le64(p + fix) <= UINT64_MAX - SPLICE_MAX;
        if (fixable) {
            if (count == want && out) {
                out->at = at;
                out->fix = inside ? fix : SIZE_MAX;
                out->pickle = pickle;
            }
            count++;
        }
        size_t nx = next_opcode(p, n, at);
        if (nx == SIZE_MAX) break;
        if (p[at] == 0x95) { /* FRAME: its data starts after the length */
            uint64_t l = le64(p + at + 1);
            fix = at + 1;
            fstart = nx;
            fend = l > n - nx ? n : nx + (size_t)l;
        } else if (p[at] == '.') {
            if (most && pickle >= most) break;
            /* a STOP inside a frame: pickle.py's next load starts at the frame's end,
             * _pickle.c's on a file that can peek right after the STOP */
            if (!c_stop && fix != SIZE_MAX && nx >= fstart && nx < fend) nx = fend;
            fix = SIZE_MAX;
            pickle++;
        }
        at = nx;
    }
    return count;
}

/* Whether a FRAME of p[0..n), walked as walk_sites() walks, declares more bytes than
 * the input holds: pickle.py's load of that pickle then takes whatever follows the
 * input into its frame, and its next load starts past it. */
static int frame_past_end(const uint8_t *p, size_t n) {
    size_t fend = 0;
    int in_frame = 0;
    for (size_t at = 0; at < n;) {
        size_t nx = next_opcode(p, n, at);
        if (nx == SIZE_MAX) break;
        if (p[at] == 0x95) {
            if (le64(p + at + 1) > n - nx) return 1;
            in_frame = 1;
            fend = nx + (size_t)le64(p + at + 1);
        } else if (p[at] == '.') {
            if (in_frame && nx < fend) nx = fend;
            in_frame = 0;
        }
        at = nx;
    }
    return 0;
}

/* A site chosen by `k` among those of walk_sites(); 0 when there is none. */
static int pick_site(const uint8_t *p, size_t n, uint64_t limit, unsigned most, int c_stop, uint64_t k,
                     site *out) {
    size_t count = walk_sites(p, n, limit, most, c_stop, SIZE_MAX, NULL);
    if (!count) return 0;
    walk_sites(p, n, limit, most, c_stop, (size_t)(k % count), out);
    return 1;
}

/* The S properties, counted for FUZZ_SCAN_STATS and FUZZ_SCAN_HARMLESS. */
enum {
    S_RAW,        /* a raw pickle stream */
    S_FRAME,      /* a site inside a frame */
    S_LATER,      /* a site in a pickle after the first */
    S_STOPPED,    /* the reading stopped before the end: an error, a budget, trailing bytes */
    S_CODEC,      /* a compressed input: decoded, spliced, encoded again with its codec */
    S_WRAPPED,    /* a raw input spliced, then compressed with a codec */
    S_ZIP,        /* the spliced file as the member of a zip */
    S_TORCH,      /* the spliced record as data.pkl of a checkpoint */
    S_NPY,        /* the pickle of an object .npy file */
    S_LEGACY,     /* one of the five pickles of a legacy torch file */
    S_ARCHIVE,    /* a member of an archive input, the archive written again */
    S_NESTED,     /* a member of an archive inside an archive input */
    S_TAR_CODEC,  /* a member of a compressed tar input */
    S_COUNT
};
static const char *const S_NAMES[S_COUNT] = {"raw", "in a frame", "in a later pickle", "before a stop",
                                             "compressed input", "wrapped in a codec", "zip member",
                                             "checkpoint record", "object .npy", "legacy torch",
                                             "archive member", "nested archive", "compressed tar"};
static unsigned long s_checked[S_COUNT], s_failed[S_COUNT];
static int s_harmless = -1, s_stats;
static const char *s_call = SPLICE;
static size_t s_call_len = sizeof SPLICE - 1;

static void s_report(void) {
    int vacuous = 0;
    for (int i = 0; i < S_COUNT; i++) {
        fprintf(stderr, "fuzz_scan: S %-19s checked %lu%s", S_NAMES[i], s_checked[i], s_harmless ? "" : "\n");
        if (s_harmless) fprintf(stderr, ", not dangerous with a harmless call %lu\n", s_failed[i]);
        if (s_harmless && !s_failed[i]) vacuous = 1;
    }
    if (s_harmless && vacuous) {
        fprintf(stderr, "fuzz_scan: some S property never failed with a harmless call\n");
        _exit(1);
    }
}

static void s_init(void) {
    if (s_harmless >= 0) return;
    const char *h = getenv("FUZZ_SCAN_HARMLESS"), *st = getenv("FUZZ_SCAN_STATS");
    s_harmless = h && *h && strcmp(h, "0");
    s_stats = st && *st && strcmp(st, "0");
    if (s_harmless) {
        s_call = HARMLESS;
        s_call_len = sizeof HARMLESS - 1;
    }
    if (s_harmless || s_stats) atexit(s_report);
}

/* d[0..n) with the call spliced in at `st` (the frame's length fixed), into a new buffer
 * of n + s_call_len bytes. */
static uint8_t *spliced(const uint8_t *d, size_t n, const site *st) {
    uint8_t *b = malloc(n + s_call_len + 1);
    if (!b) return NULL;
    memcpy(b, d, st->at);
    memcpy(b + st->at, s_call, s_call_len);
    memcpy(b + st->at + s_call_len, d + st->at, n - st->at);
    if (st->fix != SIZE_MAX) {
        uint64_t l = le64(b + st->fix) + s_call_len;
        for (int i = 0; i < 8; i++) b[st->fix + i] = (uint8_t)(l >> (8 * i));
    }
    return b;
}

/* Whether the report has os.system, dangerous, at decoded offset `at` (of member `file`
 * when not NULL; in the pickle a .npy file holds from `nested`, else UINT64_MAX: at depth
 * 0), or lists fewer findings than it met (the one sought may not be listed). */
static int has_spliced_call(const jlp_scan_report *r, uint64_t at, uint64_t nested, const char *file) {
    if (jlp_report_verdict(r) != JLP_VERDICT_DANGEROUS) return 0;
    if (jlp_report_not_listed(r)) return 1;
    for (size_t i = 0; i < jlp_report_count(r); i++) {
        const jlp_finding *f = jlp_report_finding(r, i);
        if (f->verdict == JLP_VERDICT_DANGEROUS && f->offset == at && f->depth == (nested != UINT64_MAX) &&
            f->nested_at == nested && f->module_len == 2 &&
            !memcmp(f->module, "os", 2) && f->name_len == 6 && !memcmp(f->name, "system", 6) &&
            (file ? f->file && !strcmp(f->file, file) : !f->file))
            return 1;
    }
    return 0;
}

/* Scan `file` (a spliced input) and check that the call at decoded offset `at` is met;
 * `props` is the set of S properties this checks. */
static void check_spliced(const uint8_t *file, size_t n, uint64_t at, uint64_t nested, const char *member,
                          unsigned props, const char *what) {
    fz_heap h = {0};
    jlp_alc a = fz_alc(&h);
    jlp_scan_report *r = scan_mem(file, n, &h, &a, what);
    check_report(r, n);
    int ok = has_spliced_call(r, at, nested, member);
    for (int i = 0; i < S_COUNT; i++)
        if (props & 1u << i) {
            s_checked[i]++;
            s_failed[i] += !ok;
        }
    if (!s_harmless && !ok) {
        fprintf(stderr, "fuzz_scan: %s: os.system spliced in at decoded byte %llu, verdict %s\n", what,
                (unsigned long long)at, jlp_verdict_name(jlp_report_verdict(r)));
        FZ_CHECK(ok, "a call spliced in where a reading reached is met, dangerous", at, jlp_report_verdict(r));
    }
    jlp_report_free(r);
    fz_heap_check_empty(&h, what);
}

/* ---- buffers, codecs and zips for S ---------------------------------------------------- */

typedef struct obuf {
    uint8_t *p;
    size_t n, cap;
    int failed;
} obuf;

static void ob_put(obuf *b, const void *d, size_t n) {
    if (b->failed) return;
    if (n > b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < n) cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void ob_le(obuf *b, uint64_t v, int bytes) {
    uint8_t x[8];
    for (int i = 0; i < bytes; i++) x[i] = (uint8_t)(v >> (8 * i));
    ob_put(b, x, (size_t)bytes);
}

/* What `c`'s decoder gives for p[0..n) up to its first end or error, at most `cap` bytes.
 * @return 0 when its decoder cannot be made. */
static int codec_decode(const jlp_codec *c, const uint8_t *p, size_t n, size_t cap, obuf *out) {
    jlp_error e;
    fz_heap h = {0};
    jlp_alc a = fz_alc(&h);
    void *st = c->dec_new(c, &a, &e);
    if (!st) return 0;
    jlp_inbuf in = {p, n, 0};
    uint8_t tmp[4096];
    while (out->n < cap && !out->failed) {
        jlp_outbuf o = {tmp, sizeof tmp, 0};
        size_t before = in.pos;
        jlp_codec_status s = c->dec_run(c, st, &in, &o, &e);
        ob_put(out, tmp, o.pos < cap - out->n ? o.pos : cap - out->n);
        if (s != JLP_CODEC_MORE || (o.pos == 0 && in.pos == before)) break;
    }
    c->dec_free(c, st);
    fz_heap_check_empty(&h, "after a decoder of S");
    return !out->failed;
}

/* p[0..n) compressed by `c` at its default level. @return 0 when it cannot be. */
static int codec_encode(const jlp_codec *c, const uint8_t *p, size_t n, obuf *out) {
    jlp_error e;
    fz_heap h = {0};
    jlp_alc a = fz_alc(&h);
    void *st = c->enc_new(c, &a, c->default_level, 1, &e);
    if (!st) return 0;
    jlp_inbuf in = {p, n, 0};
    uint8_t tmp[4096];
    jlp_codec_status s = JLP_CODEC_MORE;
    for (int rounds = 0; s == JLP_CODEC_MORE && !out->failed && rounds < 1 << 16; rounds++) {
        jlp_outbuf o = {tmp, sizeof tmp, 0};
        s = c->enc_run(c, st, &in, &o, 1, &e);
        ob_put(out, tmp, o.pos);
    }
    c->enc_free(c, st);
    fz_heap_check_empty(&h, "after an encoder of S");
    return s == JLP_CODEC_END && !out->failed;
}

/* p[0..n) in the container `c` writes, or in joblib <= 0.9's ZF container (a 21-byte
 * header, "ZF" and hex(n) padded with spaces, then a zlib stream) when `c` is zf. */
static int container_encode(const jlp_codec *c, const uint8_t *p, size_t n, obuf *out) {
    if (strcmp(c->name, "zf")) return codec_encode(c, p, n, out);
    const jlp_codec *z = jlp_registry_find(jlp_registry_default(), "zlib");
    if (!z || !z->enc_new) return 0;
    char h[32];
    snprintf(h, sizeof h, "ZF0x%-17llx", (unsigned long long)n);
    ob_put(out, h, 21);
    return codec_encode(z, p, n, out);
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c >> 1 ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

/* A zip holding p[0..n) stored as its one member `name`. */
static void zip_one(obuf *z, const char *name, const uint8_t *p, size_t n) {
    size_t nl = strlen(name);
    uint32_t crc = crc32_of(p, n);
    ob_le(z, 0x04034b50, 4); ob_le(z, 20, 2); ob_le(z, 0, 2); ob_le(z, 0, 2); ob_le(z, 0, 2); ob_le(z, 0x21, 2);
    ob_le(z, crc, 4); ob_le(z, n, 4); ob_le(z, n, 4); ob_le(z, nl, 2); ob_le(z, 0, 2);
    ob_put(z, name, nl);
    ob_put(z, p, n);
    size_t cd = z->n;
    ob_le(z, 0x02014b50, 4); ob_le(z, 20, 2); ob_le(z, 20, 2); ob_le(z, 0, 2); ob_le(z, 0, 2); ob_le(z, 0, 2);
    ob_le(z, 0x21, 2); ob_le(z, crc, 4); ob_le(z, n, 4); ob_le(z, n, 4); ob_le(z, nl, 2); ob_le(z, 0, 2);
    ob_le(z, 0, 2); ob_le(z, 0, 2); ob_le(z, 0, 2); ob_le(z, 0, 4); ob_le(z, 0, 4);
    ob_put(z, name, nl);
    size_t cdn = z->n - cd;
    ob_le(z, 0x06054b50, 4); ob_le(z, 0, 2); ob_le(z, 0, 2); ob_le(z, 1, 2); ob_le(z, 1, 2); ob_le(z, cdn, 4);
    ob_le(z, cd, 4); ob_le(z, 0, 2);
}

/* The codecs that can both decode and encode (zf through zlib), in registry order. */
static const jlp_codec *codec_nth(size_t k, size_t *count) {
    const jlp_registry *reg = jlp_registry_default();
    size_t n = 0;
    const jlp_codec *pick = NULL;
    for (size_t i = 0; i < jlp_registry_count(reg); i++) {
        const jlp_codec *c = jlp_registry_get(reg, i);
        if (!c->dec_new || !(c->enc_new || !strcmp(c->name, "zf"))) continue;
        if (n == k) pick = c;
        n++;
    }
    if (count) *count = n;
    return pick;
}

/* The .npy header's end in p[0..n) when its descr is an object dtype ('|O', 'O'), whose
 * data numpy.load reads with pickle.load; 0 otherwise. */
static size_t npy_object_data(const uint8_t *p, size_t n) {
    if (n < 10 || !jlp_is_npy(p, n)) return 0;
    size_t hl, at;
    if (p[6] == 1) {
        hl = (size_t)p[8] | (size_t)p[9] << 8;
        at = 10;
    } else if (p[6] == 2 || p[6] == 3) {
        if (n < 12) return 0;
        hl = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
        at = 12;
    } else {
        return 0;
    }
    if (hl > n - at) return 0;
    static const char key[] = "'descr':";
    const uint8_t *k = memmem(p + at, hl, key, sizeof key - 1);
    if (!k) return 0;
    size_t q = (size_t)(k - p) + sizeof key - 1;
    while (q < at + hl && p[q] == ' ') q++;
    static const char *const objs[] = {"'|O'", "'O'"};
    for (size_t i = 0; i < 2; i++) {
        size_t l = strlen(objs[i]);
        if (at + hl - q >= l && !memcmp(p + q, objs[i], l)) return at + hl;
    }
    return 0;
}

/* The call spliced into the decoded stream of the file data[0..size) (`m` its scan), at
 * a site its reading reached: a raw or compressed pickle stream (the pickle-py reading;
 * a checkpoint record, read by the torch reading alone: its first pickle), the pickle
 * of an object .npy file (the numpy reading) or the five pickles of a legacy torch file
 * (the torch reading). On success *file holds the spliced file, *st the site, *sp the
 * spliced decoded stream (*spn bytes, malloc()ed), *props its S properties, *codec the
 * input's codec (NULL: raw), *nested where the .npy file's pickle starts (the call is
 * met at depth 1 in it; UINT64_MAX for other files). @return 0 when there is no site or the input's container
 * cannot be written again. */
static int splice_file(const uint8_t *data, size_t size, const jlp_scan_report *m, uint64_t seed, obuf *file,
                       site *st, uint8_t **sp, size_t *spn, unsigned *props, const jlp_codec **codec_out,
                       uint64_t *nested) {
    const char *container = jlp_report_container(m);
    if (!container) return 0;
    jlp_scan_reach rc = JLP_SCAN_REACH_INIT;
    size_t base = 0;   /* where the sites may start (a .npy file's pickle) */
    unsigned most = 0; /* pickles walked (0: all) */
    unsigned kind = 0;
    int c_stop = 0;    /* the reading is _pickle.c's on a file that can peek (S-6) */
    if (!strcmp(container, "npy")) {
        base = npy_object_data(data, size);
        if (!base || jlp_report_reach(m, JLP_READING_NUMPY, &rc) != JLP_OK || !rc.known) return 0;
        most = 1;
        kind = 1u << S_NPY;
    } else if (!strcmp(container, "torch-legacy")) {
        if (jlp_report_reach(m, JLP_READING_TORCH, &rc) != JLP_OK || !rc.known) return 0;
        most = 5; /* storages follow the fifth pickle */
        kind = 1u << S_LEGACY;
        c_stop = 1; /* torch.load reads the file with pickle.load */
    } else if (jlp_report_reach(m, JLP_READING_PICKLE_PY, &rc) != JLP_OK || !rc.known) {
        /* a checkpoint record: the torch reading alone, one pickle */
        rc = (jlp_scan_reach)JLP_SCAN_REACH_INIT;
        if (strcmp(container, "none") || jlp_report_reach(m, JLP_READING_TORCH, &rc) != JLP_OK || !rc.known)
            return 0;
        most = 1;
    }
    int raw = !strcmp(container, "none") || kind;
    const jlp_codec *codec = raw ? NULL : jlp_registry_find(jlp_registry_default(), container);
    const jlp_codec *zlib = jlp_registry_find(jlp_registry_default(), "zlib");
    if (!raw && !(codec && codec->dec_new && (codec->enc_new || (!strcmp(container, "zf") && zlib && zlib->enc_new))))
        return 0;
    /* the decoded stream: the input, or what its codec gives (the scan's decoder) */
    obuf dec = {0};
    const uint8_t *d = data;
    size_t dn = size;
    int ok = 0;
    if (!raw) {
        if (!codec_decode(codec, data, size, (size_t)rc.stream_len, &dec)) goto out;
        d = dec.p;
        dn = dec.n;
    }
    FZ_CHECK(dn <= rc.stream_len, "decoded bytes within the reach's stream", dn, rc.stream_len);
    if (rc.offset <= base || !pick_site(d + base, dn - base, rc.offset - base, most, c_stop, seed >> 7, st)) goto out;
    st->at += base;
    *nested = kind & 1u << S_NPY ? base : UINT64_MAX;
    if (st->fix != SIZE_MAX) st->fix += base;
    *props = kind | (raw ? (kind ? 0 : 1u << S_RAW) : 1u << S_CODEC) | (st->fix != SIZE_MAX ? 1u << S_FRAME : 0) |
             (st->pickle > 1 ? 1u << S_LATER : 0) | (rc.code != JLP_OK ? 1u << S_STOPPED : 0);
    *sp = spliced(d, dn, st);
    if (!*sp) goto out;
    *spn = dn + s_call_len;
    if (raw) {
        ob_put(file, *sp, *spn);
    } else if (!container_encode(codec, *sp, *spn, file)) {
        FZ_CHECK(0, "the input's codec encodes the spliced stream", *spn, 0);
    }
    ok = !file->failed;
    if (!ok) {
        free(*sp);
        *sp = NULL;
    }
    *codec_out = codec;
out:
    free(dec.p);
    return ok;
}

/* ---- S for archives: a member spliced, the archive written again -------------------- */

/* A ustar entry of `name` holding p[0..n). @return 0 when the name does not fit. */
static int tar_put(obuf *t, const char *name, size_t nl, const uint8_t *p, size_t n) {
    if (nl >= 100 || memchr(name, 0, nl)) return 0;
    uint8_t h[512] = {0};
    memcpy(h, name, nl);
    memcpy(h + 100, "0000644", 7);
    memcpy(h + 108, "0000000", 7);
    memcpy(h + 116, "0000000", 7);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)n);
    memcpy(h + 136, "00000000000", 11);
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar\0" "00", 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    ob_put(t, h, 512);
    ob_put(t, p, n);
    static const uint8_t zero[512];
    if (n % 512) ob_put(t, zero, 512 - n % 512);
    return 1;
}

/* A zip of the members (stored, names flagged UTF-8 as the library gives them). */
typedef struct zmember {
    const char *name;
    size_t nl;
    const uint8_t *p;
    size_t n;
} zmember;

static void zip_put(obuf *z, const zmember *ms, size_t count) {
    size_t *at = calloc(count ? count : 1, sizeof *at);
    if (!at) {
        z->failed = 1;
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const zmember *x = &ms[i];
        at[i] = z->n;
        ob_le(z, 0x04034b50, 4); ob_le(z, 20, 2); ob_le(z, 0x800, 2); ob_le(z, 0, 2); ob_le(z, 0, 2);
        ob_le(z, 0x21, 2); ob_le(z, crc32_of(x->p, x->n), 4); ob_le(z, x->n, 4); ob_le(z, x->n, 4);
        ob_le(z, x->nl, 2); ob_le(z, 0, 2);
        ob_put(z, x->name, x->nl);
        ob_put(z, x->p, x->n);
    }
    size_t cd = z->n;
    for (size_t i = 0; i < count; i++) {
        const zmember *x = &ms[i];
        ob_le(z, 0x02014b50, 4); ob_le(z, 20, 2); ob_le(z, 20, 2); ob_le(z, 0x800, 2); ob_le(z, 0, 2);
        ob_le(z, 0, 2); ob_le(z, 0x21, 2); ob_le(z, crc32_of(x->p, x->n), 4); ob_le(z, x->n, 4); ob_le(z, x->n, 4);
        ob_le(z, x->nl, 2); ob_le(z, 0, 2); ob_le(z, 0, 2); ob_le(z, 0, 2); ob_le(z, 0, 2); ob_le(z, 0, 4);
        ob_le(z, at[i], 4);
        ob_put(z, x->name, x->nl);
    }
    size_t cdn = z->n - cd;
    ob_le(z, 0x06054b50, 4); ob_le(z, 0, 2); ob_le(z, 0, 2); ob_le(z, count, 2); ob_le(z, count, 2); ob_le(z, cdn, 4);
    ob_le(z, cd, 4); ob_le(z, 0, 2);
    free(at);
}

/* Member flags that keep a member out of the archive written again. */
#define NOT_COPIED (JLP_MEMBER_DIR | JLP_MEMBER_LINK | JLP_MEMBER_SPECIAL | JLP_MEMBER_DUPLICATE | \
                    JLP_MEMBER_ENCRYPTED | JLP_MEMBER_UNREADABLE | JLP_MEMBER_UNSAFE_NAME)

/* The call spliced into one member of the archive data[0..size) (`m` its scan) that the
 * scan read to its end, and the archive written again: the same format (zip stored, or
 * ustar re-encoded with the tar's codec), the members it could read, in their order,
 * with the spliced one in place. A member that is an archive is spliced into in turn
 * (at most `depth` levels more). *path receives the member's name ("INNER::NAME" in a
 * nested archive), *at the call's offset in its decoded stream (*nested: as
 * splice_file() says). @return 0 when no
 * member could be spliced into. */
static int splice_archive(const uint8_t *data, size_t size, const jlp_scan_report *m, uint64_t seed, int depth,
                          obuf *file, obuf *path, uint64_t *at, uint64_t *nested, unsigned *props) {
    if (!jlp_report_member_count(m) || depth < 0) return 0;
    fz_heap h = {0};
    jlp_alc a = fz_alc(&h);
    jlp_scan_opts o;
    jlp_limits lim;
    jlp_error e;
    int ok = 0;
    jlp_archive *ar = open_for_scan(data, size, &a, &o, &lim, &e);
    if (!ar) goto done;
    size_t count = jlp_archive_count(ar);
    const char *fmt = jlp_archive_format(ar), *cont = jlp_archive_container(ar);
    const jlp_codec *tc = NULL;
    if (strcmp(cont, "none")) {
        tc = jlp_registry_find(jlp_registry_default(), cont);
        if (!tc || !tc->enc_new) goto done;
    }
    /* the candidates: top-level members the scan read to its end (an archive: whose
     * members it read), listed as no finding */
    size_t cand[64], nc = 0;
    for (size_t i = 0; i < count && nc < 64; i++) {
        jlp_member_info mi;
        if (!jlp_archive_member(ar, i, &mi) || (mi.flags & NOT_COPIED)) continue;
        for (size_t k = 0; k < jlp_report_member_count(m); k++) {
            const jlp_scan_member *x = jlp_report_member(m, k);
            if (x->name_len == mi.name_len && !memcmp(x->name, mi.name, mi.name_len)) {
                if ((x->scanned || !strcmp(x->content, "archive")) && x->error == JLP_OK) cand[nc++] = i;
                break;
            }
        }
    }
    /* the first candidate from one the seed picks that has a site */
    size_t pick = 0;
    jlp_member_info pm;
    void *mb = NULL;
    obuf inner = {0}, ipath = {0};
    unsigned mprops = 0;
    int made = 0;
    for (size_t t = 0; t < nc && !made; t++) {
        pick = cand[((seed >> 3) + t) % nc];
        jlp_archive_member(ar, pick, &pm);
        /* the member as the archive scan scans it, and its bytes */
        jlp_scan_report *r = jlp_scan_archive_member(ar, pick, size, &o, &e);
        if (!r) continue;
        size_t mn = 0;
        uint8_t *sp = NULL;
        size_t spn = 0;
        site st;
        const jlp_codec *mc;
        free(mb);
        mb = NULL;
        inner.n = ipath.n = 0;
        inner.failed = ipath.failed = 0;
        mprops = 0;
        if (jlp_archive_read(ar, pick, &mb, &mn, &e) == JLP_OK) {
            if (jlp_report_member_count(r)) {
                made = splice_archive(mb, mn, r, fz_mix(seed, 77), depth - 1, &inner, &ipath, at, nested, &mprops);
                mprops |= 1u << S_NESTED;
            } else if (splice_file(mb, mn, r, seed, &inner, &st, &sp, &spn, &mprops, &mc, nested)) {
                made = 1;
                *at = st.at;
                free(sp);
            }
        }
        jlp_report_free(r);
    }
    if (made) {
        /* the archive again, every member it can read copied */
        zmember *ms = calloc(count, sizeof *ms);
        void **bufs = calloc(count, sizeof *bufs);
        size_t n = 0;
        obuf out = {0};
        int fits = ms && bufs;
        for (size_t i = 0; fits && i < count; i++) {
            jlp_member_info mi;
            if (!jlp_archive_member(ar, i, &mi) || (mi.flags & NOT_COPIED)) continue;
            if (i == pick) {
                ms[n++] = (zmember){mi.name, mi.name_len, inner.p, inner.n};
                continue;
            }
            size_t bl;
            jlp_error re;
            if (jlp_archive_read(ar, i, &bufs[i], &bl, &re) != JLP_OK) continue;
            ms[n++] = (zmember){mi.name, mi.name_len, bufs[i], bl};
        }
        if (fits && !strcmp(fmt, "zip")) {
            zip_put(&out, ms, n);
        } else if (fits) {
            for (size_t i = 0; i < n && fits; i++) fits = tar_put(&out, ms[i].name, ms[i].nl, ms[i].p, ms[i].n);
            static const uint8_t zero[1024];
            ob_put(&out, zero, sizeof zero);
        }
        if (fits && !out.failed) {
            if (tc) {
                ok = container_encode(tc, out.p, out.n, file);
            } else {
                ob_put(file, out.p, out.n);
                ok = !file->failed;
            }
        }
        if (ok) {
            ob_put(path, pm.name, pm.name_len);
            if (ipath.n) {
                ob_put(path, "::", 2);
                ob_put(path, ipath.p, ipath.n);
            }
            *props = mprops | 1u << S_ARCHIVE | (tc ? 1u << S_TAR_CODEC : 0);
            *props &= ~(1u << S_RAW); /* the member's own stream is checked as a member here */
        }
        free(out.p);
        for (size_t i = 0; bufs && i < count; i++) free(bufs[i]);
        free(bufs);
        free(ms);
    }
    free(mb);
    free(inner.p);
    free(ipath.p);
done:
    jlp_archive_free(ar);
    fz_heap_check_empty(&h, "after the archive splice");
    return ok;
}

/* S: the call spliced into the decoded stream of the input (`m` its scan), at a site
 * the reading reached; then the variants (see the header). */
static void splice_checks(const uint8_t *data, size_t size, const jlp_scan_report *m, uint64_t seed) {
    if (jlp_report_member_count(m)) {
        obuf file = {0}, path = {0};
        uint64_t at = 0, nested = UINT64_MAX;
        unsigned props = 0;
        if (splice_archive(data, size, m, seed, 2, &file, &path, &at, &nested, &props)) {
            ob_put(&path, "", 1);
            if (!path.failed) check_spliced(file.p, file.n, at, nested, (const char *)path.p, props, "spliced archive member");
        }
        free(file.p);
        free(path.p);
        return;
    }
    obuf file = {0};
    site st;
    uint8_t *sp = NULL;
    size_t spn = 0;
    unsigned props = 0;
    const jlp_codec *codec = NULL;
    uint64_t nested = UINT64_MAX;
    if (!splice_file(data, size, m, seed, &file, &st, &sp, &spn, &props, &codec, &nested)) {
        free(file.p);
        return;
    }
    int raw = !codec;
    int plain = !(props & (1u << S_NPY | 1u << S_LEGACY)); /* a pickle stream, raw or compressed */
    const char *what = props & 1u << S_NPY      ? "spliced .npy file"
                       : props & 1u << S_LEGACY ? "spliced legacy torch file"
                       : raw                    ? "spliced input"
                                                : "spliced compressed input";
    check_spliced(file.p, file.n, st.at, nested, NULL, props, what);
    uint64_t h = seed >> 13;
    /* a raw input wrapped in a codec */
    size_t ncodecs;
    codec_nth(0, &ncodecs);
    if (raw && plain && ncodecs && h % 4 == 0) {
        const jlp_codec *c = codec_nth((size_t)(h >> 2) % ncodecs, NULL);
        obuf w = {0};
        if (container_encode(c, sp, spn, &w))
            check_spliced(w.p, w.n, st.at, UINT64_MAX, NULL, (props & ~(1u << S_RAW)) | 1u << S_WRAPPED,
                          "spliced input wrapped in a codec");
        free(w.p);
    }
    /* the spliced file as a zip member, scanned as a file of its own */
    if (plain && h % 4 == 1 && file.n < MAX_INPUT + 1024) {
        obuf z = {0};
        zip_one(&z, "m.pkl", file.p, file.n);
        if (!z.failed)
            check_spliced(z.p, z.n, st.at, UINT64_MAX, "m.pkl", (props & ~(1u << S_RAW | 1u << S_CODEC)) | 1u << S_ZIP,
                          "spliced file as a zip member");
        free(z.p);
    }
    free(file.p);
    free(sp);
    /* a checkpoint's data.pkl: read by the torch reading alone, which reads its first
     * pickle as torch.load does; the site from that reading's own reach */
    if (raw && plain && (seed >> 13) % 4 == 2) {
        fz_heap ht = {0};
        jlp_alc at = fz_alc(&ht);
        jlp_scan_opts o;
        jlp_limits lim;
        opts_for(&o, &lim, &at);
        o.torch_record = 1;
        jlp_error e;
        jlp_scan_report *t = jlp_scan_mem(data, size, &o, &e);
        if (!t) fz_die_err("jlp_scan_mem of a checkpoint record", &e);
        check_report(t, size);
        jlp_scan_reach tr = JLP_SCAN_REACH_INIT;
        FZ_EQ("jlp_report_reach of the torch reading", jlp_report_reach(t, JLP_READING_TORCH, &tr), JLP_OK);
        FZ_EQ("a checkpoint record is read by the torch reading", tr.known, 1);
        jlp_report_free(t);
        fz_heap_check_empty(&ht, "after the scan as a checkpoint record");
        if (pick_site(data, size, tr.offset, 1, 0, seed >> 17, &st)) {
            uint8_t *rec = spliced(data, size, &st);
            obuf z = {0};
            if (rec) zip_one(&z, "archive/data.pkl", rec, size + s_call_len);
            if (rec && !z.failed)
                check_spliced(z.p, z.n, st.at, UINT64_MAX, "archive/data.pkl",
                              1u << S_TORCH | (st.fix != SIZE_MAX ? 1u << S_FRAME : 0) |
                                  (tr.code != JLP_OK ? 1u << S_STOPPED : 0),
                              "spliced record as a checkpoint's data.pkl");
            free(z.p);
            free(rec);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    s_init();
    if (size > MAX_INPUT) return 0;
    uint64_t seed = fz_fnv1a(data, size) | 1;

    /* M */
    fz_heap hm = {0};
    jlp_alc am = fz_alc(&hm);
    jlp_scan_report *m = scan_mem(data, size, &hm, &am, "jlp_scan_mem");
    check_report(m, size);
    const jlp_error *me = jlp_report_error(m);

    /* C: the same report from a stream read in chunks of 1..7 bytes */
    {
        fz_heap hc = {0};
        jlp_alc a = fz_alc(&hc);
        jlp_scan_opts o;
        jlp_limits lim;
        opts_for(&o, &lim, &a);
        chunks ch = {data, size, 0, seed};
        jlp_error e;
        jlp_source *src = jlp_source_cb(read_chunks, &ch, &a, &e);
        if (!src) fz_die_err("jlp_source_cb", &e);
        jlp_scan_report *c = jlp_scan(src, &o, &e);
        if (!c) fz_die_err("jlp_scan of a chunked source", &e);
        same_report(c, m, "chunked report as memory's");
        jlp_report_free(c);
        jlp_source_free(src);
        fz_heap_check_empty(&hc, "after the chunked scan");
    }

    /* F: the same report from the input written to a memfd and mapped */
    {
        int fd = memfd_create("fuzz_scan", MFD_CLOEXEC);
        if (fd >= 0) {
            size_t w = 0;
            while (w < size) {
                ssize_t k = write(fd, data + w, size - w);
                if (k <= 0) break;
                w += (size_t)k;
            }
            if (w == size) {
                char path[64];
                snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
                fz_heap hf = {0};
                jlp_alc a = fz_alc(&hf);
                jlp_scan_opts o;
                jlp_limits lim;
                opts_for(&o, &lim, &a);
                jlp_error e;
                jlp_source *src = jlp_source_path_mapped(path, &a, &e);
                /* an empty file cannot be mapped: MMAP */
                if (!src) FZ_CHECK(size == 0 && e.code == JLP_E_MMAP, "jlp_source_path_mapped", e.code, size);
                if (src) {
                    jlp_scan_report *f = jlp_scan(src, &o, &e);
                    if (!f) fz_die_err("jlp_scan of a mapped file", &e);
                    check_report(f, size);
                    same_report(f, m, "mapped report as memory's");
                    jlp_report_free(f);
                    jlp_source_free(src);
                }
                fz_heap_check_empty(&hf, "after the mapped scan");
            }
            close(fd);
        }
    }

    uint8_t *buf = malloc(size + DANGER_LEN);
    if (buf) {
        /* P: a dangerous pickle first */
        memcpy(buf, DANGER, DANGER_LEN);
        memcpy(buf + DANGER_LEN, data, size);
        fz_heap hp = {0};
        jlp_alc ap_ = fz_alc(&hp);
        jlp_scan_report *p = scan_mem(buf, size + DANGER_LEN, &hp, &ap_, "jlp_scan_mem of os.system + input");
        check_report(p, size + DANGER_LEN);
        FZ_EQ("a dangerous first pickle makes the input dangerous", jlp_report_verdict(p), JLP_VERDICT_DANGEROUS);
        jlp_report_free(p);
        fz_heap_check_empty(&hp, "after the prefixed scan");

        /* A: a dangerous pickle after an input read to its end as pickles */
        const char *container = jlp_report_container(m);
        /* (the pickle-py reading read every pickle to the end, and no frame of them runs
         * past the end: the appended bytes would be part of it, and pickle.py's next
         * load starts after the frame; the joblib reading, which reads payloads, may
         * see such a frame where pickle-py fails) */
        jlp_scan_reach py = JLP_SCAN_REACH_INIT;
        jlp_report_reach(m, JLP_READING_PICKLE_PY, &py);
        if (!me && size && container && !strcmp(container, "none") && !has_action(m, "trailing") &&
            !has_action(m, "limit") && py.known && py.code == JLP_OK && py.offset == size &&
            !frame_past_end(data, size)) {
            memcpy(buf, data, size);
            memcpy(buf + size, DANGER, DANGER_LEN);
            fz_heap ha = {0};
            jlp_alc aa = fz_alc(&ha);
            jlp_scan_report *ap = scan_mem(buf, size + DANGER_LEN, &ha, &aa, "jlp_scan_mem of input + os.system");
            check_report(ap, size + DANGER_LEN);
            /* unless the opcode budget, which holds over all the pickles, is spent first */
            if (!has_action(ap, "limit"))
                FZ_EQ("a dangerous pickle appended keeps the verdict dangerous", jlp_report_verdict(ap),
                      JLP_VERDICT_DANGEROUS);
            else
                FZ_EQ("a dangerous pickle after a spent budget is suspicious at least", jlp_report_verdict(ap) >=
                      JLP_VERDICT_SUSPICIOUS, 1);
            jlp_report_free(ap);
            fz_heap_check_empty(&ha, "after the appended scan");
        }
        free(buf);
    }
    members_alone(data, size, m);

    /* S */
    splice_checks(data, size, m, seed);
    jlp_report_free(m);
    fz_heap_check_empty(&hm, "after the memory scan");
    return 0;
}
