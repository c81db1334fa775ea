/*
 * members.c - the scan of an archive (a zip or tar, a tar in a codec: PyTorch
 * checkpoints, .npz files, model bundles). Every member a loader may unpickle is
 * scanned as a file of its own and its findings join the archive's report under the
 * member's name (jlp_finding.file); a member that is an archive is scanned in turn
 * (the archive layer bounds the nesting). A checkpoint's pickle records are read in the
 * torch reading, as torch.load reads them; its storages are raw bytes nobody unpickles.
 * What the listing alone shows (names that climb out, duplicates, links, members that
 * cannot be read, TorchScript code) is a finding too, and an archive this library
 * refuses is suspicious: other readers may accept it and load what it holds.
 */
#include "scan.h"

#include "../archive/archive.h"
#include "../io/source.h"
#include "../jlpickle_codec.h"

#include <stdlib.h>

typedef struct walk {
    jlp_scan_report *r;
    jlp_reading reading;   /* of the findings of listings: the archive's loader */
    const jlp_scan_opts *opts;
    const jlp_limits *lim;
    jlp__buf name, why;
    uint64_t packed;       /* the bytes of the archive walked, compressed as they are */
} walk;

static void finding(walk *w, jlp_verdict v, const char *file, const char *action, const char *reason) {
    jlp__finding_in f = {.verdict = v, .reading = w->reading, .offset = 0, .depth = 0, .pickle = 0,
                         .nested_at = UINT64_MAX, .module = "", .name = "", .action = action,
                         .reason = reason, .file = file};
    jlp__report_add(w->r, &f);
}

static jlp_scan_member *member_add(walk *w, const char *name, size_t nl, const char *content, uint64_t size) {
    jlp_scan_report *r = w->r;
    if (r->nmembers == r->mcap) {
        size_t cap = r->mcap ? r->mcap * 2 : 16;
        jlp_scan_member *nm = jlp__realloc(r->alc, r->members, r->mcap * sizeof *nm, cap * sizeof *nm);
        if (!nm) {
            r->nomem = true;
            return NULL;
        }
        r->members = nm;
        r->mcap = cap;
    }
    jlp_scan_member *m = &r->members[r->nmembers];
    memset(m, 0, sizeof *m);
    m->name = jlp__report_str(r, name, nl);
    m->name_len = nl;
    m->content = content;
    m->size = size;
    m->error_msg = "";
    if (!m->name) return NULL;
    r->nmembers++;
    return m;
}

static void member_error(walk *w, size_t index, const char *name, const jlp_error *e) {
    jlp_scan_report *r = w->r;
    jlp_scan_member *m = &r->members[index];
    m->error = e->code;
    m->error_msg = jlp__report_str(r, e->msg, strlen(e->msg));
    if (!m->error_msg) m->error_msg = "";
    if (!r->failed) {
        r->failed = true;
        r->error = *e;
        /* "MEMBER: message", cut to the field */
        char *out = r->error.msg;
        size_t cap = sizeof r->error.msg, nl = strlen(name), k = nl < cap - 3 ? nl : cap - 3;
        memcpy(out, name, k);
        memcpy(out + k, ": ", 2);
        k += 2;
        size_t ml = strnlen(e->msg, sizeof e->msg);
        if (ml > cap - 1 - k) ml = cap - 1 - k;
        memcpy(out + k, e->msg, ml);
        out[k + ml] = 0;
    }
}

/* What a listing entry alone says (as jlinspect's member table). */
static const char *listing_reason(unsigned f) {
    if (f & JLP_MEMBER_UNSAFE_NAME) return "an absolute name or one with '..': an extractor may write outside its directory";
    if (f & JLP_MEMBER_DUPLICATE) return "another member has the same name: readers disagree on which one counts";
    if (f & JLP_MEMBER_LINK) return "a link: an extractor may follow it out of its directory";
    if (f & (JLP_MEMBER_ENCRYPTED | JLP_MEMBER_UNREADABLE | JLP_MEMBER_SPECIAL))
        return "cannot be read here, so it was not scanned";
    return NULL;
}

static bool ends_with(const char *s, size_t n, const char *tail) {
    size_t k = strlen(tail);
    return n >= k && !memcmp(s + n - k, tail, k);
}

/* A name loaders read as a pickle, with or without a codec's extension. */
static bool pickle_name(const char *name, size_t n) {
    static const char *const codec_ext[] = {".z", ".gz", ".bz2", ".lzma", ".xz", ".lz4", ".zst"};
    static const char *const ext[] = {".joblib", ".pkl", ".pickle", ".pt", ".pth", ".bin", ".debug_pkl"};
    for (size_t k = 0; k < sizeof codec_ext / sizeof codec_ext[0]; k++)
        if (ends_with(name, n, codec_ext[k])) {
            n -= strlen(codec_ext[k]);
            break;
        }
    for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++)
        if (ends_with(name, n, ext[k])) return true;
    return false;
}

/* From a member's first bytes: "archive", "npy", "pickle" (one that starts with PROTO
 * or is compressed by a known codec, or whose name says pickle and whose first byte is
 * an opcode: protocols 0 and 1 have no header) or "data"; "unreadable" with *e set. */
static const char *content_of(jlp_archive *ar, size_t i, const jlp_member_info *mi, const walk *w, jlp_error *e) {
    jlp_source *s = jlp_archive_member_source(ar, i, e);
    if (!s) return "unreadable";
    const void *head = NULL;
    long long n = jlp_source_peek(s, 512, &head, e);
    const char *kind = "data";
    int is_pickle = 0;
    jlp_read_opts ro;
    jlp_read_opts_init(&ro);
    ro.registry = w->opts->registry;
    if (n < 0) kind = "unreadable";
    else if (jlp_archive_detect(head, (size_t)n, &ro)) kind = "archive";
    else if (jlp_is_npy(head, (size_t)n)) kind = "npy";
    else if (n > 0 && jlp_registry_detect(w->opts->registry, head, (size_t)n, &is_pickle)) kind = "pickle";
    else if (is_pickle && ((n > 1 && ((const uint8_t *)head)[0] == 0x80) || pickle_name(mi->name, mi->name_len)))
        kind = "pickle";
    jlp_source_free(s);
    return kind;
}

/* Whether `mi` lies under `<p>/<dir>` (the checkpoint's prefix p[0..prefix)). */
static bool under(const jlp_member_info *mi, const char *p, size_t prefix, const char *dir) {
    size_t dl = strlen(dir);
    return prefix && mi->name_len > prefix + 1 + dl && !memcmp(mi->name, p, prefix) && mi->name[prefix] == '/' &&
           !memcmp(mi->name + prefix + 1, dir, dl);
}

/* A checkpoint's pickle records: `<prefix>/NAME.pkl` (data.pkl, constants.pkl) and
 * TorchScript's `<prefix>/code/...debug_pkl`. */
static bool record_name(const jlp_member_info *mi, const char *p, size_t prefix) {
    if (!under(mi, p, prefix, "")) return false;
    const char *rest = mi->name + prefix + 1;
    size_t n = mi->name_len - prefix - 1;
    if (!memchr(rest, '/', n)) return ends_with(rest, n, ".pkl");
    return n > 5 && !memcmp(rest, "code/", 5) && ends_with(rest, n, ".debug_pkl");
}

/* The findings and globals of a member's report, in the archive's. */
static void merge(walk *w, const jlp_scan_report *sub, const char *file) {
    jlp_scan_report *r = w->r;
    for (size_t i = 0; i < sub->nfindings; i++) {
        const jlp_finding *f = &sub->findings[i];
        jlp__buf *b = &w->why;
        b->len = 0;
        jlp__buf_puts(b, file);
        if (f->file) {
            jlp__buf_puts(b, "::");
            jlp__buf_puts(b, f->file);
        }
        jlp__finding_in in = {f->verdict, f->reading, f->offset, f->depth, f->pickle, f->nested_at, f->module,
                              f->name, f->module_len, f->name_len, f->action, f->opcode, f->reason,
                              jlp__buf_cstr(b)};
        jlp__report_add(r, &in);
    }
    if (sub->verdict > r->verdict) r->verdict = sub->verdict;
    r->not_listed += sub->not_listed;
    for (int k = 0; k < JLP_READING_COUNT; k++) r->not_listed_by[k] += sub->not_listed_by[k];
    for (size_t i = 0; i < sub->nglobals; i++) {
        const jlp_scan_global *g = &sub->globals[i];
        jlp_scan_global *e = jlp__report_global(r, w->opts->policy, g->module, g->module_len, g->name, g->name_len);
        if (!e) continue;
        e->named += g->named;
        e->called += g->called;
        if (g->verdict < e->verdict) { /* a reading that knows better (torch's) */
            e->verdict = g->verdict;
            e->reason = jlp__report_str(r, g->reason, strlen(g->reason));
            if (!e->reason) e->reason = "";
        }
    }
    r->pickles += sub->pickles;
    r->readings |= sub->readings;
    r->nomem = r->nomem || sub->nomem;
}

static jlp_verdict scan_archive(walk *w, jlp_archive *ar, size_t prefix_len);

/* As io/decoded.c: the ratio budget applies once this much has been decoded. */
#define MEMBER_RATIO_GRACE ((uint64_t)64 << 20)

/* The bytes of member i the scan reads: all of them, or as many as a compressed stream
 * of the same packed size may decode to under the scan's budgets (limits.max_decoded;
 * past 64 MiB, limits.max_ratio times the packed bytes: the member's own for zip, the
 * whole archive's for a compressed tar). The bound is known before anything is
 * allocated, so a member bomb costs what the same bomb costs as a plain stream. */
static uint64_t member_budget(const walk *w, jlp_archive *ar, const jlp_member_info *mi, const char **which) {
    uint64_t cap = UINT64_MAX;
    *which = NULL;
    if (w->lim->max_decoded) {
        cap = w->lim->max_decoded;
        *which = "limits.max_decoded";
    }
    bool zip = !strcmp(jlp_archive_format(ar), "zip");
    uint64_t packed = zip || !strcmp(jlp_archive_container(ar), "none") ? mi->csize : w->packed;
    if (w->lim->max_ratio) {
        uint64_t r;
        if (!jlp__mul_u64(packed ? packed : 1, w->lim->max_ratio, &r)) r = UINT64_MAX;
        if (r < MEMBER_RATIO_GRACE) r = MEMBER_RATIO_GRACE;
        if (r < cap) {
            cap = r;
            *which = "limits.max_ratio";
        }
    }
    return cap;
}

/* Read member i into memory within member_budget(): *cut says why it ends early (a
 * LIMIT at the budget), and the bytes before are kept. @return JLP_OK or the error of
 * a member that cannot be read (in *e). */
static jlp_code read_member(walk *w, jlp_archive *ar, size_t i, const jlp_member_info *mi, uint8_t **out,
                            size_t *len, size_t *cap, jlp_error *cut, bool *was_cut, jlp_error *e) {
    const jlp_alc *alc = jlp__alc_or_default(w->opts->alc);
    *out = NULL;
    *len = *cap = 0;
    *was_cut = false;
    const char *which;
    uint64_t budget = member_budget(w, ar, mi, &which);
    uint64_t want = mi->size < budget ? mi->size : budget;
    if (want > SIZE_MAX - 1) return jlp__fail(e, JLP_E_LIMIT, 0, -1, "%s: too large for memory", mi->name);
    jlp_source *s = jlp_archive_member_source(ar, i, e);
    if (!s) return e->code ? e->code : JLP_E_IO;
    size_t room = (size_t)want + 1, have = 0;
    uint8_t *buf = jlp__malloc(alc, room);
    if (!buf) {
        jlp_source_free(s);
        return jlp__fail(e, JLP_E_NOMEM, 0, -1, "out of memory for member %s", mi->name);
    }
    for (;;) {
        size_t avail = jlp__src_avail(s);
        if (!avail && !jlp__src_fill(s, 1)) break;
        avail = jlp__src_avail(s);
        if (have + avail > want) {
            /* the budget (or a member longer than declared, which its reader refuses at
             * the next pull): keep what fits and stop there */
            memcpy(buf + have, s->cur, (size_t)want - have);
            have = (size_t)want;
            jlp__fail(cut, JLP_E_LIMIT, want, -1, "%s: member decodes past %s (%llu bytes read)", mi->name,
                      which ? which : "its declared size", (unsigned long long)want);
            cut->input_offset = UINT64_MAX;
            *was_cut = true;
            break;
        }
        memcpy(buf + have, s->cur, avail);
        s->cur += avail;
        have += avail;
    }
    if (!*was_cut && s->failed) {
        jlp__src_error(s, e, have, -1);
        jlp_source_free(s);
        jlp__free(alc, buf, room);
        return e->code ? e->code : JLP_E_IO;
    }
    jlp_source_free(s);
    *out = buf;
    *len = have;
    *cap = room;
    return JLP_OK;
}

/* Scan member i (index `at` in the report's member table). @return its verdict. */
static jlp_verdict scan_member(walk *w, jlp_archive *ar, size_t i, const jlp_member_info *mi, size_t at,
                               bool torch, const char *tp, size_t tprefix) {
    jlp_scan_report *r = w->r;
    const char *name = r->members[at].name;
    jlp_error e;
    jlp__clear(&e);
    const char *content = content_of(ar, i, mi, w, &e);
    r->members[at].content = content;
    if (!strcmp(content, "unreadable")) {
        member_error(w, at, name, &e);
        return JLP_VERDICT_SAFE;
    }
    if (!strcmp(content, "archive")) {
        jlp_archive *sub = jlp_archive_open_member(ar, i, &e);
        if (!sub) {
            member_error(w, at, name, &e);
            w->why.len = 0;
            jlp__buf_printf(&w->why, "a nested archive that cannot be read here (%s: %s): its members were not "
                                     "scanned, and readers that accept it may load what it holds",
                            jlp_error_name(e.code), e.msg);
            finding(w, JLP_VERDICT_SUSPICIOUS, name, "archive", jlp__buf_cstr(&w->why));
            return JLP_VERDICT_SUSPICIOUS;
        }
        size_t keep = w->name.len;
        uint64_t packed = w->packed;
        jlp__buf_puts(&w->name, "::");
        w->packed = mi->size;
        jlp_verdict v = scan_archive(w, sub, w->name.len);
        w->packed = packed;
        w->name.len = keep;
        jlp_archive_free(sub);
        return v;
    }
    if (!strcmp(content, "data")) return JLP_VERDICT_SAFE;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    jlp_error cut;
    jlp__clear(&cut);
    bool was_cut = false;
    if (read_member(w, ar, i, mi, &buf, &len, &cap, &cut, &was_cut, &e) != JLP_OK) {
        member_error(w, at, name, &e);
        return JLP_VERDICT_SAFE;
    }
    /* a checkpoint's pickle records (data.pkl, constants.pkl, directly under its
     * prefix) are torch.load's; anything else is judged as any file would be */
    jlp_scan_opts o = *w->opts;
    o.torch_record = torch && record_name(mi, tp, tprefix);
    jlp_limits lim = *w->lim;
    jlp_error se;
    jlp_scan_report *sub = jlp__scan_bytes(buf, len, was_cut ? &cut : NULL, &o, &lim, &se);
    jlp__free(jlp__alc_or_default(w->opts->alc), buf, cap);
    if (!sub) {
        if (se.code == JLP_E_NOMEM) r->nomem = true;
        member_error(w, at, name, &se);
        return JLP_VERDICT_SAFE;
    }
    r->members[at].scanned = 1;
    if (o.torch_record) r->members[at].content = "torch-record";
    merge(w, sub, name);
    if (sub->failed) member_error(w, at, name, &sub->error);
    jlp_verdict v = sub->verdict;
    jlp_report_free(sub);
    return v;
}

/* Scan every member of `ar`; member names are w->name (the path of `ar` in the outer
 * archives, "" or "A::") + the member's. @return the worst verdict. */
static jlp_verdict scan_archive(walk *w, jlp_archive *ar, size_t prefix_len) {
    jlp_archive_kind kind = jlp_archive_kind_of(ar, NULL);
    bool torch = kind == JLP_KIND_TORCH || kind == JLP_KIND_TORCHSCRIPT;
    jlp_reading outer = w->reading;
    w->reading = torch ? JLP_READING_TORCH : kind == JLP_KIND_NPZ ? JLP_READING_NUMPY : JLP_READING_JOBLIB;
    jlp_member_info first;
    size_t tprefix = 0;
    const char *tp = "";
    if (torch && jlp_archive_member(ar, 0, &first)) {
        const char *slash = memchr(first.name, '/', first.name_len);
        tprefix = slash ? (size_t)(slash - first.name) : 0;
        tp = first.name;
    }
    jlp_verdict worst = JLP_VERDICT_SAFE;
    size_t n = jlp_archive_count(ar);
    for (size_t i = 0; i < n && !w->r->nomem; i++) {
        jlp_member_info mi;
        jlp_archive_member(ar, i, &mi);
        w->name.len = prefix_len;
        jlp__buf_put(&w->name, mi.name, mi.name_len);
        const char *name = jlp__buf_cstr(&w->name);
        size_t at = w->r->nmembers;
        jlp_scan_member *m = member_add(w, name, w->name.len, "data", mi.size);
        if (!m) break;
        jlp_verdict v = JLP_VERDICT_SAFE;
        const char *why = listing_reason(mi.flags);
        if (why) {
            finding(w, JLP_VERDICT_SUSPICIOUS, name, "member", why);
            v = JLP_VERDICT_SUSPICIOUS;
        }
        if (mi.flags & JLP_MEMBER_DIR) m->content = "directory";
        else if (mi.flags & JLP_MEMBER_LINK) m->content = "link";
        else if (mi.flags & (JLP_MEMBER_SPECIAL | JLP_MEMBER_UNREADABLE | JLP_MEMBER_ENCRYPTED)) m->content = "unreadable";
        else if (torch && under(&mi, tp, tprefix, "data/"))
            m->content = "storage"; /* raw bytes torch reads into a storage */
        else if (kind == JLP_KIND_TORCHSCRIPT && under(&mi, tp, tprefix, "code/") && ends_with(mi.name, mi.name_len, ".py")) {
            m->content = "code";
            finding(w, JLP_VERDICT_SUSPICIOUS, name, "code",
                    "TorchScript code: torch.jit.load compiles it and runs its __setstate__ methods; the scan "
                    "does not judge TorchScript");
            v = JLP_VERDICT_SUSPICIOUS;
        } else {
            jlp_verdict mv = scan_member(w, ar, i, &mi, at, torch, tp, tprefix);
            if (mv > v) v = mv;
        }
        w->r->members[at].verdict = v;
        if (v > worst) worst = v;
    }
    w->name.len = prefix_len;
    w->reading = outer;
    return worst;
}

jlp_scan_report *jlp__scan_archive(const uint8_t *data, size_t len, const jlp_scan_opts *o, const jlp_limits *lim,
                                   jlp_error *err) {
    jlp_scan_report *r = jlp__report_new(o->alc, o->max_per_subject);
    if (!r) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a report");
        return NULL;
    }
    walk w = {r, JLP_READING_JOBLIB, o, lim, {0}, {0}, len};
    jlp__buf_init(&w.name, r->alc);
    jlp__buf_init(&w.why, r->alc);
    /* members are read into memory: the scan's budget bounds each and all of them, and
     * read_member() each as a compressed stream of its packed size */
    jlp_archive_opts ao;
    jlp_archive_opts_init(&ao);
    ao.alc = o->alc;
    ao.registry = o->registry;
    if (lim->max_decoded) ao.max_member_size = ao.max_total = lim->max_decoded;
    jlp_error e;
    jlp_archive *ar = jlp_archive_open_mem(data, len, &ao, &e);
    if (!ar) {
        r->failed = true;
        r->error = e;
        snprintf(r->container, sizeof r->container, "archive");
        jlp__buf_printf(&w.why, "an archive that cannot be read here (%s: %s): its members were not scanned, and "
                                "readers that accept it may load what it holds",
                        jlp_error_name(e.code), e.msg);
        finding(&w, JLP_VERDICT_SUSPICIOUS, NULL, "archive", jlp__buf_cstr(&w.why));
        /* torch's reader (miniz) and Python's zipfile take a zip's members from its
         * central directory, whatever its local headers say: scan what they would load */
        jlp_error e2;
        jlp_archive *car = e.code == JLP_E_ARCHIVE ? jlp__archive_open_central(data, len, &ao, &e2) : NULL;
        if (car) {
            scan_archive(&w, car, 0);
            jlp_archive_free(car);
        }
    } else {
        const char *c = jlp_archive_container(ar);
        snprintf(r->container, sizeof r->container, "%s%s%s", jlp_archive_format(ar), strcmp(c, "none") ? "+" : "",
                 strcmp(c, "none") ? c : "");
        scan_archive(&w, ar, 0);
        jlp_archive_free(ar);
    }
    jlp__buf_release(&w.name);
    jlp__buf_release(&w.why);
    if (r->nomem) {
        jlp_report_free(r);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for the findings");
        return NULL;
    }
    return r;
}

size_t jlp_report_member_count(const jlp_scan_report *r) { return r ? r->nmembers : 0; }

const jlp_scan_member *jlp_report_member(const jlp_scan_report *r, size_t i) {
    return r && i < r->nmembers ? &r->members[i] : NULL;
}
