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
    /* the bytes there are, also of a member that breaks off within them (shorter than
     * it declares): read_member() keeps those too */
    long long n = (long long)jlp__src_fill(s, 512);
    const void *head = s->cur;
    if (!n && s->failed) {
        jlp__src_error(s, e, 0, -1);
        n = -1;
    }
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

/* A checkpoint's prefix: the directory of its first member (*p its name, the length
 * returned; 0 when there is none). */
static size_t torch_prefix(jlp_archive *ar, const char **p) {
    jlp_member_info first;
    *p = "";
    if (!jlp_archive_member(ar, 0, &first)) return 0;
    const char *slash = memchr(first.name, '/', first.name_len);
    *p = first.name;
    return slash ? (size_t)(slash - first.name) : 0;
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

static jlp_code read_member(walk *w, jlp_archive *ar, size_t i, const jlp_member_info *mi, uint8_t **out,
                            size_t *len, size_t *cap, jlp_error *cut, bool *was_cut, jlp_error *e);

/* A checkpoint's storages, read for the torch reading of its records (SA-7). */
struct jlp__torch_zip {
    walk *w;
    jlp_archive *ar;
    const char *tp;           /* the first member's name: its prefix P is tp[0..tprefix) */
    size_t tprefix;
    uint64_t budget;          /* bytes left to read storages and check their elements */
    struct zip_storage {
        char *key;
        size_t kl;
        uint8_t *buf;         /* NULL: could not be read */
        size_t len, cap;
        char *name;           /* the member's name */
    } *st;
    size_t n, cap;
};

uint64_t *jlp__torch_zip_budget(jlp__torch_zip *z) { return &z->budget; }

const uint8_t *jlp__torch_zip_storage(jlp__torch_zip *z, const char *key, size_t kl, size_t *len,
                                      const char **name_out) {
    for (size_t i = 0; i < z->n; i++)
        if (z->st[i].kl == kl && !memcmp(z->st[i].key, key, kl)) {
            *len = z->st[i].len;
            *name_out = z->st[i].name;
            return z->st[i].buf;
        }
    const jlp_alc *alc = jlp__alc_or_default(z->w->opts->alc);
    if (z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 8;
        struct zip_storage *ns = jlp__realloc(alc, z->st, z->cap * sizeof *ns, cap * sizeof *ns);
        if (!ns) return NULL;
        z->st = ns;
        z->cap = cap;
    }
    /* P/data/<key>, exactly as torch.load names it */
    jlp__buf name;
    jlp__buf_init(&name, alc);
    jlp__buf_put(&name, z->tp, z->tprefix);
    jlp__buf_puts(&name, "/data/");
    jlp__buf_put(&name, key, kl);
    const char *nm = jlp__buf_cstr(&name);
    struct zip_storage e = {malloc(kl + 1), kl, NULL, 0, 0, name.failed ? NULL : malloc(name.len + 1)};
    size_t i;
    jlp_member_info mi;
    jlp_error err, cut;
    bool was_cut = false;
    if (e.key && !name.failed && jlp_archive_find(z->ar, nm, &i, &err) == JLP_OK &&
        jlp_archive_member(z->ar, i, &mi) && mi.size <= z->budget &&
        read_member(z->w, z->ar, i, &mi, &e.buf, &e.len, &e.cap, &cut, &was_cut, &err) == JLP_OK) {
        if (was_cut) { /* past the scan's budgets: not what torch reads */
            jlp__free(alc, e.buf, e.cap);
            e.buf = NULL;
            e.len = e.cap = 0;
        } else {
            z->budget -= e.len;
        }
    }
    if (!e.key || !e.name) {
        jlp__free(alc, e.buf, e.cap);
        free(e.key);
        free(e.name);
        jlp__buf_release(&name);
        return NULL;
    }
    memcpy(e.name, nm, name.len + 1);
    jlp__buf_release(&name);
    memcpy(e.key, key, kl);
    e.key[kl] = 0;
    z->st[z->n++] = e;
    *len = e.len;
    *name_out = e.name;
    return e.buf;
}

static void torch_zip_release(jlp__torch_zip *z) {
    const jlp_alc *alc = jlp__alc_or_default(z->w->opts->alc);
    for (size_t i = 0; i < z->n; i++) {
        free(z->st[i].key);
        free(z->st[i].name);
        jlp__free(alc, z->st[i].buf, z->st[i].cap);
    }
    jlp__free(alc, z->st, z->cap * sizeof *z->st);
}

/* A record scanned alone (jlp_scan_opts.torch_archive): its own walk of the archive */
typedef struct zip_alone {
    jlp__torch_zip z;
    walk w;
} zip_alone;

jlp__torch_zip *jlp__torch_zip_new(jlp_archive *ar, const jlp_scan_opts *o, const jlp_limits *lim) {
    zip_alone *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    /* the bytes of the archive: what its members hold stored, as the walk counts it */
    uint64_t packed = 0;
    for (size_t i = 0; i < jlp_archive_count(ar); i++) {
        jlp_member_info mi;
        if (jlp_archive_member(ar, i, &mi) && !jlp__add_u64(packed, mi.csize, &packed)) packed = UINT64_MAX;
    }
    a->w = (walk){NULL, JLP_READING_TORCH, o, lim, {0}, {0}, packed};
    a->z = (jlp__torch_zip){&a->w, ar, NULL, 0, 0, NULL, 0, 0};
    a->z.tprefix = torch_prefix(ar, &a->z.tp);
    if (!jlp__mul_u64(packed, 4, &a->z.budget) || !jlp__add_u64(a->z.budget, (uint64_t)1 << 20, &a->z.budget))
        a->z.budget = UINT64_MAX;
    return &a->z;
}

void jlp__torch_zip_free(jlp__torch_zip *z) {
    if (!z) return;
    torch_zip_release(z);
    free((zip_alone *)(void *)z); /* z is the first member of its zip_alone */
}

/* As io/decoded.c: the ratio budget applies once this much has been decoded. */
#define MEMBER_RATIO_GRACE ((uint64_t)64 << 20)

/* The bytes of member i the scan reads: all of them, or as many as a compressed stream
 * of the same packed size may decode to under the scan's budgets (limits.max_decoded;
 * past 64 MiB, limits.max_ratio times the packed bytes: the member's own for zip, the
 * whole archive's for a compressed tar). The bound is known before anything is
 * allocated, so a member bomb costs what the same bomb costs as a plain stream. */
static uint64_t member_budget(const walk *w, jlp_archive *ar, const jlp_member_info *mi, const char **which) {
    return jlp__member_budget(ar, mi, w->packed, w->lim, which);
}

uint64_t jlp__member_budget(jlp_archive *ar, const jlp_member_info *mi, uint64_t archive_packed, const jlp_limits *lim,
                            const char **which) {
    uint64_t cap = UINT64_MAX;
    *which = NULL;
    if (lim->max_decoded) {
        cap = lim->max_decoded;
        *which = "limits.max_decoded";
    }
    bool zip = !strcmp(jlp_archive_format(ar), "zip");
    uint64_t packed = zip || !strcmp(jlp_archive_container(ar), "none") ? mi->csize : archive_packed;
    if (lim->max_ratio) {
        uint64_t r;
        if (!jlp__mul_u64(packed ? packed : 1, lim->max_ratio, &r)) r = UINT64_MAX;
        if (r < MEMBER_RATIO_GRACE) r = MEMBER_RATIO_GRACE;
        if (r < cap) {
            cap = r;
            *which = "limits.max_ratio";
        }
    }
    return cap;
}

/* Read member i into memory within member_budget(): *cut says why it ends early (a
 * LIMIT at the budget, or the error of a member that breaks off), and the bytes before
 * are kept. @return JLP_OK or the error of a member that cannot be read at all (in
 * *e). */
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
    if (!*was_cut && s->failed && !have) {
        jlp__src_error(s, e, have, -1);
        jlp_source_free(s);
        jlp__free(alc, buf, room);
        return e->code ? e->code : JLP_E_IO;
    }
    if (!*was_cut && s->failed) {
        /* a member that breaks off (a damaged stream, shorter than declared, past
         * max_total): Python's zipfile and tarfile hand an unpickler the bytes before
         * the damage, so they are scanned, the damage ending them as a cut does */
        jlp__src_error(s, cut, have, -1);
        *was_cut = true;
    }
    jlp_source_free(s);
    *out = buf;
    *len = have;
    *cap = room;
    return JLP_OK;
}

/* Member i read within member_budget() and scanned as a file of its own (in the torch
 * reading when `record`). @return the member's report, or NULL with *e set and
 * *read_failed saying whether reading the member (not the scan) failed. */
static jlp_scan_report *scan_member_bytes(walk *w, jlp_archive *ar, size_t i, const jlp_member_info *mi, bool record,
                                          jlp__torch_zip *zip, bool *read_failed, jlp_error *e) {
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    jlp_error cut;
    jlp__clear(&cut);
    bool was_cut = false;
    *read_failed = true;
    if (read_member(w, ar, i, mi, &buf, &len, &cap, &cut, &was_cut, e) != JLP_OK) return NULL;
    *read_failed = false;
    jlp_scan_opts o = *w->opts;
    o.torch_record = record;
    jlp_limits lim = *w->lim;
    jlp_scan_report *sub = jlp__scan_bytes(buf, len, was_cut ? &cut : NULL, &o, &lim, record ? zip : NULL, e);
    jlp__free(jlp__alc_or_default(w->opts->alc), buf, cap);
    return sub;
}

/* Scan member i (index `at` in the report's member table). @return its verdict. */
static jlp_verdict scan_member(walk *w, jlp_archive *ar, size_t i, const jlp_member_info *mi, size_t at,
                               bool torch, const char *tp, size_t tprefix, jlp__torch_zip *zip) {
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
    /* a checkpoint's pickle records (data.pkl, constants.pkl, directly under its
     * prefix) are torch.load's; anything else is judged as any file would be */
    bool record = torch && record_name(mi, tp, tprefix);
    bool read_failed;
    jlp_scan_report *sub = scan_member_bytes(w, ar, i, mi, record, zip, &read_failed, &e);
    if (!sub) {
        if (!read_failed && e.code == JLP_E_NOMEM) r->nomem = true;
        member_error(w, at, name, &e);
        return JLP_VERDICT_SAFE;
    }
    r->members[at].scanned = 1;
    if (record) r->members[at].content = "torch-record";
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
    const char *tp = "";
    size_t tprefix = torch ? torch_prefix(ar, &tp) : 0;
    jlp_verdict worst = JLP_VERDICT_SAFE;
    size_t n = jlp_archive_count(ar);
    /* the storages its records name, for the sparse tensors' indices: four times the
     * archive walked plus 1 MiB, as the nested scans of a pickle */
    jlp__torch_zip zip = {w, ar, tp, tprefix, 0, NULL, 0, 0};
    if (!jlp__mul_u64(w->packed, 4, &zip.budget) || !jlp__add_u64(zip.budget, (uint64_t)1 << 20, &zip.budget))
        zip.budget = UINT64_MAX;
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
            jlp_verdict mv = scan_member(w, ar, i, &mi, at, torch, tp, tprefix, torch ? &zip : NULL);
            if (mv > v) v = mv;
        }
        w->r->members[at].verdict = v;
        if (v > worst) worst = v;
    }
    torch_zip_release(&zip);
    w->name.len = prefix_len;
    w->reading = outer;
    return worst;
}

void jlp__scan_archive_opts(jlp_archive_opts *ao, const jlp_limits *lim) {
    ao->max_member_size = 0;
    ao->max_ratio = 0;
    if (lim->max_decoded) ao->max_total = lim->max_decoded;
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
    /* members are read into memory: the scan's budget bounds all of them together
     * (max_total), and read_member() each as a compressed stream of its packed size.
     * The archive's own bounds on one member are off: they refuse a member whole from
     * its declared size or ratio, where the scan reads it up to its budget and judges
     * the bytes before (a 447-byte zip whose bzip2 member declares 256 MiB was
     * "unreadable", its os.system never seen) */
    jlp_archive_opts ao;
    jlp_archive_opts_init(&ao);
    jlp__scan_archive_opts(&ao, lim);
    ao.alc = o->alc;
    ao.registry = o->registry;
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

jlp_scan_report *jlp__scan_member(jlp_archive *ar, size_t i, uint64_t packed, const jlp_scan_opts *o,
                                  const jlp_limits *lim, jlp_error *err) {
    jlp_member_info mi;
    if (!ar || !jlp_archive_member(ar, i, &mi)) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "no member %zu in the archive", i);
        return NULL;
    }
    jlp_archive_kind kind = jlp_archive_kind_of(ar, NULL);
    const char *tp = "";
    size_t tprefix = kind == JLP_KIND_TORCH || kind == JLP_KIND_TORCHSCRIPT ? torch_prefix(ar, &tp) : 0;
    walk w = {NULL, JLP_READING_JOBLIB, o, lim, {0}, {0}, packed};
    bool record = o->torch_record || record_name(&mi, tp, tprefix);
    /* a record's sparse tensors are checked against the storages of its checkpoint
     * (jlp__scan_bytes() walks `torch_archive` for them) */
    jlp_scan_opts ro = *o;
    if (record && !ro.torch_archive) ro.torch_archive = ar;
    w.opts = &ro;
    bool read_failed;
    return scan_member_bytes(&w, ar, i, &mi, record, NULL, &read_failed, err);
}

uint64_t jlp__scan_member_budget(jlp_archive *ar, size_t i, uint64_t packed, const jlp_limits *lim) {
    jlp_member_info mi;
    const char *which;
    if (!ar || !jlp_archive_member(ar, i, &mi)) return 0;
    return jlp__member_budget(ar, &mi, packed, lim, &which);
}

size_t jlp_report_member_count(const jlp_scan_report *r) { return r ? r->nmembers : 0; }

const jlp_scan_member *jlp_report_member(const jlp_scan_report *r, size_t i) {
    return r && i < r->nmembers ? &r->members[i] : NULL;
}
