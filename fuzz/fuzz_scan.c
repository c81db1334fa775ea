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
 *      its end as raw pickles, without an error, trailing bytes or a budget stop)
 *   S  jlp_scan_mem of the input with an os.system call spliced in at an opcode boundary
 *      of its first pickle (under the same condition as A; see splice_at())
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
 *     one, suspicious with a limit finding); S is dangerous (the pickle-py reading,
 *     which reads no payloads, reaches the spliced call: see splice_at());
 *   - budgets are respected: the scan's peak allocation stays within a bound derived
 *     from the budgets, and every allocation is returned;
 *   - R: a member's scan alone gives the verdict and error code M's scan of the archive
 *     gave it (when M read it to its end and its listing entry is no finding), within
 *     the same peak bound; a member's budget is at most max_decoded.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#define FZ_TARGET "fuzz_scan"
#include "fuzz_common.h"
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
#define SPLICE_LEN (sizeof SPLICE - 1)

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

/* Where SPLICE may go into the first pickle of `p`: the `k`-th (modulo their number)
 * of the opcode boundaries from offset 0 up to and including the first STOP, walked as
 * pickle._Unpickler reads (next_opcode()), and only up to the first FRAME (a call
 * spliced into a frame would move the frame's end); SIZE_MAX when there is none.
 * Why S must then be dangerous: when the scan of the input read it to its end in every
 * reading (no error, no limit finding, raw pickles, nothing trailing), the pickle-py
 * reading read the first pickle opcode by opcode from offset 0 to its STOP, which is
 * this walk, without error; in the spliced input it reads the same opcodes up to the
 * boundary (same stack, memo and marks: a MARK before the boundary stays below the
 * call, which pushes and pops only above it), then the spliced GLOBAL os.system. The
 * pickle-py reading is run on its own whenever it may read differently from the primary
 * reading (a payload read before the boundary), else it shares the primary reading's
 * findings (spec/SAFETY.md S-8). The opcode budget: the input took at most max_ops
 * opcodes, the splice adds 5; were it spent, the sweep after the budget stop (S-27)
 * still names os.system, which is dangerous by name. */
static size_t splice_at(const uint8_t *p, size_t n, uint64_t k) {
    size_t count = 0;
    for (size_t at = 0; at < n && at != SIZE_MAX; at = next_opcode(p, n, at)) {
        count++;
        if (p[at] == 0x95 /* FRAME */ || p[at] == '.' /* STOP */) break;
    }
    if (!count) return SIZE_MAX;
    k %= count;
    size_t at = 0;
    while (k--) at = next_opcode(p, n, at);
    return at;
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

/* R: each member M scanned, scanned alone as jlinspect scans it. */
static void members_alone(const uint8_t *data, size_t size, const jlp_scan_report *m) {
    if (!jlp_report_member_count(m)) return;
    fz_heap h = {0};
    jlp_alc a = fz_alc(&h);
    jlp_scan_opts o;
    jlp_limits lim;
    opts_for(&o, &lim, &a);
    jlp_archive_opts ao;
    jlp_archive_opts_init(&ao);
    jlp_scan_archive_opts(&ao, &lim);
    ao.alc = &a;
    jlp_error e;
    jlp_archive *ar = jlp_archive_open_mem(data, size, &ao, &e);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
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

    uint8_t *buf = malloc(size + (DANGER_LEN > SPLICE_LEN ? DANGER_LEN : SPLICE_LEN));
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
        if (!me && size && container && !strcmp(container, "none") && !has_action(m, "trailing") &&
            !has_action(m, "limit")) {
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

            /* S: os.system spliced in at an opcode boundary of the first pickle */
            size_t at = splice_at(data, size, seed >> 7);
            if (at != SIZE_MAX) {
                memcpy(buf, data, at);
                memcpy(buf + at, SPLICE, SPLICE_LEN);
                memcpy(buf + at + SPLICE_LEN, data + at, size - at);
                fz_heap hs = {0};
                jlp_alc as = fz_alc(&hs);
                jlp_scan_report *sp = scan_mem(buf, size + SPLICE_LEN, &hs, &as, "jlp_scan_mem of a spliced input");
                check_report(sp, size + SPLICE_LEN);
                FZ_CHECK(jlp_report_verdict(sp) == JLP_VERDICT_DANGEROUS,
                         "os.system spliced in where the pickle-py reading reads makes it dangerous", at,
                         jlp_report_verdict(sp));
                jlp_report_free(sp);
                fz_heap_check_empty(&hs, "after the spliced scan");
            }
        }
        free(buf);
    }
    members_alone(data, size, m);
    jlp_report_free(m);
    fz_heap_check_empty(&hm, "after the memory scan");
    return 0;
}
