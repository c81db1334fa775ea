/*
 * archive.c - opening archives, listing their members, and reading members as sources.
 *
 * A member is read in one of three ways: straight from the archive's bytes when they
 * lie there uncompressed (a stored zip member, a member of an uncompressed tar), through
 * libarchive when they are compressed (zipread.c, tar.c), and, for loads with mmap, in
 * place (load.c). Every way goes through jlp__mread_account, which holds the member to
 * its declared size and CRC and the archive to its budgets.
 */
#include "archive.h"

#include "../common/opts.h"

#include <stdlib.h>

/* The ratio limit applies once this much of a member has been decoded, as in the codec
 * layer: small members that compress extremely well are common and harmless. */
#define RATIO_GRACE ((uint64_t)64 << 20)

/* ---- options ------------------------------------------------------------------------ */

jlp_code jlp__archive_opts_take(jlp_archive_opts *out, const jlp_archive_opts *user, jlp_error *err) {
    const jlp_archive_opts d = JLP_ARCHIVE_OPTS_INIT;
    *out = d;
    return jlp__struct_in(out, sizeof *out, user, "jlp_archive_opts", err);
}

/* ---- sources with a reader of their own ---------------------------------------------- */

jlp_source *jlp__src_custom(const jlp_alc *alc, jlp__pull_fn pull, void *ctx,
                            void (*release)(jlp_source *), jlp_error *err) {
    jlp_source *s = jlp__src_new(alc, pull, err);
    if (!s) return NULL;
    s->ctx = ctx;
    s->release = release;
    return s;
}

void jlp__err_prefix(jlp_error *err, const char *name) {
    if (!err || !name) return;
    size_t n = strlen(name);
    if (!strncmp(err->msg, name, n) && err->msg[n] == ':') return; /* already named */
    char msg[sizeof err->msg];
    int k = snprintf(msg, sizeof msg, "%.100s: ", name);
    if (k < 0) return;
    size_t used = (size_t)k < sizeof msg ? (size_t)k : sizeof msg - 1;
    size_t room = sizeof msg - 1 - used, len = strlen(err->msg);
    if (len > room) len = room;
    memcpy(msg + used, err->msg, len);
    msg[used + len] = '\0';
    memcpy(err->msg, msg, sizeof msg);
}

const char *jlp__member_name(const jlp_archive *ar, size_t i) {
    return i < ar->n ? ar->m[i].name : "?";
}

jlp_code jlp__mread_account(jlp__mread *r, jlp_source *src, const void *data, size_t n) {
    const jlp__member *m = r->mem;
    if (n > m->size - r->got) {
        src->failed = true;
        return jlp__fail(&src->pending, JLP_E_CORRUPT, m->size, -1,
                         "%s: member decodes to more than its declared %llu bytes", m->name,
                         (unsigned long long)m->size);
    }
    if (r->check_crc) r->crc = jlp__crc32(r->crc, data, n);
    r->got += n;
    jlp_archive *ar = r->ar;
    uint64_t total = atomic_fetch_add_explicit(&ar->decoded, (uint64_t)n, memory_order_relaxed) + n;
    if (ar->opts.max_total && total > ar->opts.max_total) {
        src->failed = true;
        return jlp__fail(&src->pending, JLP_E_LIMIT, r->got, -1,
                         "%s: reads from this archive exceed max_total (%llu bytes)", m->name,
                         (unsigned long long)ar->opts.max_total);
    }
    if (r->got == m->size && r->check_crc && r->crc != m->crc) {
        src->failed = true;
        return jlp__fail(&src->pending, JLP_E_CHECKSUM, r->got, -1,
                         "%s: CRC-32 %08x, the archive says %08x", m->name, (unsigned)r->crc, (unsigned)m->crc);
    }
    return JLP_OK;
}

jlp_code jlp__mread_end(jlp__mread *r, jlp_source *src) {
    if (r->got == r->mem->size) return JLP_OK;
    src->failed = true;
    return jlp__fail(&src->pending, JLP_E_TRUNCATED, r->got, -1,
                     "%s: member ends after %llu of its declared %llu bytes", r->mem->name,
                     (unsigned long long)r->got, (unsigned long long)r->mem->size);
}

/* Members whose bytes lie uncompressed in the archive are copied out of it. */
typedef struct slice_reader {
    jlp__mread r;
    jlp__blob *blob;
    const uint8_t *p;
    uint64_t left;
} slice_reader;

static long long pull_slice(jlp_source *s, void *dst, size_t cap) {
    slice_reader *sr = s->ctx;
    if (!sr->left) return 0;
    size_t k = sr->left < cap ? (size_t)sr->left : cap;
    memcpy(dst, sr->p, k);
    if (jlp__mread_account(&sr->r, s, sr->p, k)) return -1;
    sr->p += k;
    sr->left -= k;
    return (long long)k;
}

static void release_slice(jlp_source *s) {
    slice_reader *sr = s->ctx;
    jlp__blob_unref(sr->blob);
    jlp__free(s->alc, sr, sizeof *sr);
    s->ctx = NULL;
}

#ifdef JLP_HAVE_ZLIB
#include <zlib.h>

/* A deflated zip member of an archive read by its central directory (ar->central):
 * inflated with zlib from the data offset the local header gives, as miniz and zipfile
 * do, rather than by libarchive, which reads the local header's own name and method. */
typedef struct inflate_reader {
    jlp__mread r;
    jlp__blob *blob;
    z_stream z;
    bool ended;
} inflate_reader;

static long long pull_inflate(jlp_source *s, void *dst, size_t cap) {
    inflate_reader *ir = s->ctx;
    if (ir->ended) return jlp__mread_end(&ir->r, s) ? -1 : 0;
    /* one byte more than remains, so that a member decoding to more is caught */
    uint64_t want = ir->r.mem->size - ir->r.got + 1;
    if (cap > want) cap = (size_t)want;
    if (cap > UINT_MAX) cap = UINT_MAX;
    for (;;) {
        ir->z.next_out = dst;
        ir->z.avail_out = (uInt)cap;
        int rc = inflate(&ir->z, Z_NO_FLUSH);
        size_t k = cap - ir->z.avail_out;
        if (rc == Z_STREAM_END) ir->ended = true;
        else if (rc != Z_OK && !(rc == Z_BUF_ERROR && k)) {
            s->failed = true;
            jlp__fail(&s->pending, rc == Z_BUF_ERROR ? JLP_E_TRUNCATED : JLP_E_CORRUPT, ir->r.got, -1,
                      "%s: deflate stream %s", ir->r.mem->name, rc == Z_BUF_ERROR ? "ends early" : "is corrupt");
            return -1;
        }
        if (k) {
            if (jlp__mread_account(&ir->r, s, dst, k)) return -1;
            return (long long)k;
        }
        if (ir->ended) return jlp__mread_end(&ir->r, s) ? -1 : 0;
    }
}

static void release_inflate(jlp_source *s) {
    inflate_reader *ir = s->ctx;
    inflateEnd(&ir->z);
    jlp__blob_unref(ir->blob);
    jlp__free(s->alc, ir, sizeof *ir);
    s->ctx = NULL;
}

static jlp_source *central_inflate_source(jlp_archive *ar, size_t i, jlp_error *err) {
    const jlp__member *m = &ar->m[i];
    inflate_reader *ir = jlp__malloc(ar->alc, sizeof *ir);
    if (!ir) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    memset(ir, 0, sizeof *ir);
    ir->r.ar = ar;
    ir->r.mem = m;
    ir->r.index = i;
    ir->r.check_crc = true;
    if (inflateInit2(&ir->z, -15) != Z_OK || m->csize > UINT_MAX) {
        jlp__free(ar->alc, ir, sizeof *ir);
        jlp__fail(err, JLP_E_UNSUPPORTED, m->header, -1, "%s: cannot inflate it here", m->name);
        return NULL;
    }
    ir->blob = jlp__blob_ref(ar->blob);
    ir->z.next_in = (Bytef *)(uintptr_t)(ar->blob->data + m->offset);
    ir->z.avail_in = (uInt)m->csize;
    jlp_source *s = jlp__src_custom(ar->alc, pull_inflate, ir, release_inflate, err);
    if (!s) {
        inflateEnd(&ir->z);
        jlp__blob_unref(ir->blob);
        jlp__free(ar->alc, ir, sizeof *ir);
        return NULL;
    }
    s->size_hint = m->size;
    return s;
}
#endif

jlp_source *jlp__archive_stream(jlp_archive *ar, jlp_error *err) {
    jlp_source *s = jlp_source_mem(ar->blob->data, (size_t)ar->blob->len, ar->alc, err);
    if (!s) return NULL;
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_decoded = ar->opts.max_total;
    lim.max_ratio = ar->opts.max_ratio;
    jlp_read_opts ro = JLP_READ_OPTS_INIT;
    ro.limits = &lim;
    ro.registry = ar->registry;
    /* an uncompressed tar is no pickle: detection would refuse it */
    if (jlp__archive_sniff(s->cur, jlp__src_avail(s)) == JLP__SNIFF_TAR) s->detected = true;
    else if (jlp__src_detect(s, &ro, err) != JLP_OK) {
        jlp_source_free(s);
        return NULL;
    }
    return s;
}

/* Whether the (decoded) stream of ar->blob starts with a tar header; sets the
 * container. */
static jlp_code sniff_tar(jlp_archive *ar, jlp_error *err) {
    jlp_source *s = jlp__archive_stream(ar, err);
    if (!s) return err ? err->code : JLP_E_NOMEM;
    ar->container = jlp__src_container(s);
    size_t head = jlp__src_fill(s, 512);
    jlp_code c = JLP_OK;
    if (s->failed && head < 512) c = jlp__src_error(s, err, head, -1);
    else if (jlp__archive_sniff(s->cur, head) != JLP__SNIFF_TAR)
        c = jlp__fail(err, JLP_E_UNKNOWN_FORMAT, 0, -1, "neither a zip nor a tar archive");
    jlp_source_free(s);
    return c;
}

/* ---- opening ------------------------------------------------------------------------- */

static const char *method_name(uint16_t m) {
    switch (m) {
    case 0: return "stored";
    case 8: return "deflated";
    case 9: return "deflate64";
    case 12: return "bzip2";
    case 14: return "lzma";
    case 93: return "zstd";
    case 95: return "xz";
    default: return NULL;
    }
}

/* Methods libarchive 3.6 decodes in zip members. */
static bool method_readable(uint16_t m) {
    return m == 0 || m == 8 || m == 12 || m == 14 || m == 93 || m == 95;
}

static int by_name(const void *a, const void *b) {
    const jlp__member *x = *(const jlp__member *const *)a, *y = *(const jlp__member *const *)b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static jlp_code mark_duplicates(jlp_archive *ar, jlp_error *err) {
    if (ar->n < 2) return JLP_OK;
    jlp__member **order = jlp__malloc(ar->alc, ar->n * sizeof *order);
    if (!order) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
    for (size_t i = 0; i < ar->n; i++) order[i] = &ar->m[i];
    qsort(order, ar->n, sizeof *order, by_name);
    for (size_t i = 1; i < ar->n; i++) {
        if (!by_name(&order[i - 1], &order[i])) {
            order[i - 1]->flags |= JLP_MEMBER_DUPLICATE;
            order[i]->flags |= JLP_MEMBER_DUPLICATE;
        }
    }
    jlp__free(ar->alc, order, ar->n * sizeof *order);
    return JLP_OK;
}

static int zentry_by_lho(const void *a, const void *b) {
    const jlp__zentry *x = *(const jlp__zentry *const *)a, *y = *(const jlp__zentry *const *)b;
    return x->lho < y->lho ? -1 : x->lho > y->lho;
}

static jlp_code zip_list(jlp_archive *ar, jlp_error *err) {
    jlp_code c = jlp__zipdir_read_ex(ar->blob->data, ar->blob->len, ar->opts.max_members, ar->alc, ar->central,
                                     &ar->zip, err);
    if (c) return c;
    jlp__zipdir *z = &ar->zip;
    if (!z->n) return JLP_OK;
    ar->m = jlp__malloc(ar->alc, z->n * sizeof *ar->m);
    if (ar->m) ar->cap_m = z->n;
    jlp__zentry **order = jlp__malloc(ar->alc, z->n * sizeof *order);
    if (!ar->m || !order) {
        jlp__free(ar->alc, order, z->n * sizeof *order);
        return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for %zu members", z->n);
    }
    memset(ar->m, 0, z->n * sizeof *ar->m);
    for (size_t i = 0; i < z->n; i++) order[i] = &z->e[i];
    qsort(order, z->n, sizeof *order, zentry_by_lho);
    for (size_t i = 0; i < z->n; i++) ar->m[order[i] - z->e].rank = i;
    jlp__free(ar->alc, order, z->n * sizeof *order);
    for (size_t i = 0; i < z->n; i++) {
        const jlp__zentry *e = &z->e[i];
        jlp__member *m = &ar->m[i];
        bool hit = false;
        char *name = jlp__arena_alloc(&ar->names, e->raw_len * 3 + 1, &hit);
        if (!name) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for member names");
        size_t len = jlp__zip_name_utf8(e, name);
        if (len == SIZE_MAX)
            return jlp__fail(err, JLP_E_ARCHIVE, e->cd_off, -1, "zip: member %zu has the UTF-8 flag but its name is not UTF-8", i);
        name[len] = '\0';
        m->name = name;
        m->name_len = len;
        m->size = e->usize;
        m->csize = e->csize;
        m->offset = e->data_off;
        m->header = e->lho;
        m->crc = e->crc;
        m->method = e->method;
        m->method_name = method_name(e->method);
        if (!m->method_name) {
            char *t = jlp__arena_alloc(&ar->names, 16, &hit);
            if (!t) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for member names");
            snprintf(t, 16, "method-%u", (unsigned)e->method);
            m->method_name = t;
        }
        ar->n = i + 1;
        if (len && name[len - 1] == '/') m->flags |= JLP_MEMBER_DIR;
        /* Unix mode bits in the high half of the external attributes (system 3) */
        uint32_t mode = e->system == 3 ? e->ext_attr >> 16 : 0;
        uint32_t type = mode & 0170000u;
        if (type == 0120000u) m->flags |= JLP_MEMBER_LINK;
        else if (type == 0040000u) m->flags |= JLP_MEMBER_DIR;
        else if (type && type != 0100000u) m->flags |= JLP_MEMBER_SPECIAL;
        if (e->flags & (JLP__ZF_ENCRYPTED | JLP__ZF_STRONG)) m->flags |= JLP_MEMBER_ENCRYPTED | JLP_MEMBER_UNREADABLE;
        if ((e->flags & JLP__ZF_PATCHED) || !method_readable(e->method)) m->flags |= JLP_MEMBER_UNREADABLE;
        if (e->method == 0 && !(m->flags & JLP_MEMBER_UNREADABLE)) m->flags |= JLP_MEMBER_MAPPABLE;
        if (jlp__name_unsafe(name, len)) m->flags |= JLP_MEMBER_UNSAFE_NAME;
    }
    return JLP_OK;
}

static jlp_archive *open_blob(jlp__blob *blob, const jlp_archive_opts *opts, unsigned depth, bool central,
                              jlp_error *err);

jlp_archive *jlp__archive_open_blob(jlp__blob *blob, const jlp_archive_opts *opts, unsigned depth,
                                    jlp_error *err) {
    return open_blob(blob, opts, depth, false, err);
}

static jlp_archive *open_blob(jlp__blob *blob, const jlp_archive_opts *opts, unsigned depth, bool central,
                              jlp_error *err) {
    jlp_archive_opts o = *opts;
    if (o.max_depth && depth > o.max_depth) {
        jlp__fail(err, JLP_E_LIMIT, 0, -1, "archive nested %u deep, more than max_depth (%u)", depth,
                  (unsigned)o.max_depth);
        return NULL;
    }
    const jlp_alc *alc = jlp__alc_or_default(o.alc);
    jlp_archive *ar = jlp__malloc(alc, sizeof *ar);
    if (!ar) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    memset(ar, 0, sizeof *ar);
    ar->alc = alc;
    ar->opts = o;
    ar->registry = o.registry;
    ar->depth = depth;
    ar->central = central;
    ar->blob = jlp__blob_ref(blob);
    ar->container = "none";
    atomic_init(&ar->decoded, 0);
    jlp__arena_init(&ar->names, alc, 0);
    jlp_code c;
    if (jlp__archive_sniff(blob->data, (size_t)(blob->len < 512 ? blob->len : 512)) == JLP__SNIFF_ZIP) {
        ar->fmt = JLP__AR_ZIP;
        c = zip_list(ar, err);
    } else {
        ar->fmt = JLP__AR_TAR;
        c = sniff_tar(ar, err);
        if (!c) c = jlp__tar_list(ar, err);
    }
    if (!c) c = mark_duplicates(ar, err);
    if (c) {
        jlp_archive_free(ar);
        return NULL;
    }
    return ar;
}

jlp_archive *jlp_archive_open_path(const char *path, const jlp_archive_opts *opts, jlp_error *err) {
    jlp__clear(err);
    if (!path) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL path");
        return NULL;
    }
    jlp_archive_opts o;
    if (jlp__archive_opts_take(&o, opts, err)) return NULL;
    jlp__blob *b = jlp__blob_map(path, o.alc, err);
    if (!b) return NULL;
    jlp_archive *ar = jlp__archive_open_blob(b, &o, 0, err);
    jlp__blob_unref(b);
    return ar;
}

static jlp_archive *open_mem(const void *data, size_t len, const jlp_archive_opts *opts, bool central,
                             jlp_error *err);

jlp_archive *jlp_archive_open_mem(const void *data, size_t len, const jlp_archive_opts *opts,
                                  jlp_error *err) {
    return open_mem(data, len, opts, false, err);
}

jlp_archive *jlp__archive_open_central(const void *data, size_t len, const jlp_archive_opts *opts, jlp_error *err) {
    return open_mem(data, len, opts, true, err);
}

static jlp_archive *open_mem(const void *data, size_t len, const jlp_archive_opts *opts,
                                                     bool central, jlp_error *err) {
    jlp__clear(err);
    if (!data && len) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL data with nonzero length");
        return NULL;
    }
    jlp_archive_opts o;
    if (jlp__archive_opts_take(&o, opts, err)) return NULL;
    jlp__blob *b = jlp__blob_new(o.alc, JLP__BLOB_BORROWED, data ? data : "", len);
    if (!b) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    jlp_archive *ar = open_blob(b, &o, 0, central, err);
    jlp__blob_unref(b);
    return ar;
}

void jlp_archive_free(jlp_archive *ar) {
    if (!ar) return;
    jlp__zipdir_release(&ar->zip, ar->alc);
    jlp__free(ar->alc, ar->m, ar->cap_m * sizeof *ar->m);
    jlp__arena_release(&ar->names);
    jlp__blob_unref(ar->blob);
    jlp__free(ar->alc, ar, sizeof *ar);
}

/* ---- accessors ------------------------------------------------------------------------ */

const char *jlp_archive_format(const jlp_archive *ar) {
    if (!ar) return NULL;
    return ar->fmt == JLP__AR_ZIP ? "zip" : "tar";
}

const char *jlp_archive_container(const jlp_archive *ar) { return ar ? ar->container : NULL; }

size_t jlp_archive_count(const jlp_archive *ar) { return ar ? ar->n : 0; }

int jlp_archive_member(const jlp_archive *ar, size_t i, jlp_member_info *info) {
    if (info) memset(info, 0, sizeof *info);
    if (!ar || !info || i >= ar->n) return 0;
    const jlp__member *m = &ar->m[i];
    info->name = m->name;
    info->name_len = m->name_len;
    info->size = m->size;
    info->csize = m->csize;
    info->offset = m->offset;
    info->flags = m->flags;
    info->crc32 = m->crc;
    info->link = m->link;
    info->method = m->method_name;
    return 1;
}

jlp_code jlp_archive_find(const jlp_archive *ar, const char *name, size_t *index, jlp_error *err) {
    jlp__clear(err);
    if (!ar || !name || !index) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL argument");
    size_t len = strlen(name), found = SIZE_MAX, hits = 0;
    for (int pass = 0; pass < 2 && !hits; pass++) {
        /* numpy.load's keys leave out ".npy": try the name as given, then with it */
        for (size_t i = 0; i < ar->n; i++) {
            const jlp__member *m = &ar->m[i];
            bool eq = pass == 0 ? (m->name_len == len && !memcmp(m->name, name, len))
                                : (m->name_len == len + 4 && !memcmp(m->name, name, len) &&
                                   !memcmp(m->name + len, ".npy", 4));
            if (eq) {
                hits++;
                found = i;
            }
        }
    }
    if (!hits) return jlp__fail(err, JLP_E_MEMBER, 0, -1, "no member named \"%s\"", name);
    if (hits > 1)
        return jlp__fail(err, JLP_E_MEMBER, 0, -1, "%zu members are named \"%s\": ambiguous", hits, name);
    *index = found;
    return JLP_OK;
}

/* ---- member sources ------------------------------------------------------------------- */

/* Why member `i` cannot be read at all, or JLP_OK. */
static jlp_code check_readable(const jlp_archive *ar, size_t i, jlp_error *err) {
    const jlp__member *m = &ar->m[i];
    if (m->flags & JLP_MEMBER_DIR) return jlp__fail(err, JLP_E_MEMBER, 0, -1, "%s: a directory", m->name);
    if (m->flags & JLP_MEMBER_LINK)
        return jlp__fail(err, JLP_E_MEMBER, 0, -1, "%s: a link (to \"%s\"); links are not followed", m->name,
                         m->link ? m->link : "");
    if (m->flags & JLP_MEMBER_SPECIAL) return jlp__fail(err, JLP_E_MEMBER, 0, -1, "%s: not a regular file", m->name);
    if (m->flags & JLP_MEMBER_ENCRYPTED) return jlp__fail(err, JLP_E_MEMBER, 0, -1, "%s: encrypted", m->name);
    if (m->flags & JLP_MEMBER_UNREADABLE)
        return jlp__fail(err, JLP_E_MEMBER, 0, -1, "%s: compression method %u is not supported", m->name,
                         (unsigned)m->method);
    const jlp_archive_opts *o = &ar->opts;
    if (o->max_member_size && m->size > o->max_member_size)
        return jlp__fail(err, JLP_E_LIMIT, m->header, -1, "%s: declared size %llu exceeds max_member_size (%llu)",
                         m->name, (unsigned long long)m->size, (unsigned long long)o->max_member_size);
    if (ar->fmt == JLP__AR_ZIP && m->method != 0 && o->max_ratio && m->size > RATIO_GRACE &&
        m->size / (m->csize ? m->csize : 1) > o->max_ratio)
        return jlp__fail(err, JLP_E_LIMIT, m->header, -1, "%s: declared ratio %llu:1 exceeds max_ratio (%llu)", m->name,
                         (unsigned long long)(m->size / (m->csize ? m->csize : 1)), (unsigned long long)o->max_ratio);
    return JLP_OK;
}

bool jlp__member_in_place(const jlp_archive *ar, size_t i) {
    const jlp__member *m = &ar->m[i];
    if (ar->fmt == JLP__AR_ZIP) return m->method == 0;
    return !strcmp(ar->container, "none") && !m->sparse;
}

jlp_source *jlp_archive_member_source(jlp_archive *ar, size_t i, jlp_error *err) {
    jlp__clear(err);
    if (!ar || i >= ar->n) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "no member %zu", i);
        return NULL;
    }
    if (check_readable(ar, i, err)) return NULL;
    const jlp__member *m = &ar->m[i];
#ifdef JLP_HAVE_ZLIB
    if (ar->central && ar->fmt == JLP__AR_ZIP && m->method == 8) return central_inflate_source(ar, i, err);
#endif
    if (!jlp__member_in_place(ar, i))
        return ar->fmt == JLP__AR_ZIP ? jlp__zip_member_source(ar, i, err) : jlp__tar_member_source(ar, i, err);
    slice_reader *sr = jlp__malloc(ar->alc, sizeof *sr);
    if (!sr) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    memset(sr, 0, sizeof *sr);
    sr->r.ar = ar;
    sr->r.mem = m;
    sr->r.index = i;
    sr->r.check_crc = ar->fmt == JLP__AR_ZIP;
    sr->blob = jlp__blob_ref(ar->blob);
    sr->p = ar->blob->data + m->offset;
    sr->left = m->size;
    jlp_source *s = jlp__src_custom(ar->alc, pull_slice, sr, release_slice, err);
    if (!s) {
        jlp__blob_unref(sr->blob);
        jlp__free(ar->alc, sr, sizeof *sr);
        return NULL;
    }
    s->size_hint = m->size;
    /* an empty member's CRC is checked at once */
    if (!m->size && sr->r.check_crc && m->crc != 0) {
        s->failed = true;
        jlp__fail(&s->pending, JLP_E_CHECKSUM, 0, -1, "%s: CRC-32 00000000, the archive says %08x", m->name,
                  (unsigned)m->crc);
    }
    return s;
}

/* What a load left unread of a member is read to the member's end, so that a document
 * comes only from a member whose size and CRC check out: the last block of a zip member
 * that ends short of its declared size reaches the reader before the member fails
 * (zipread.c), and a pickle may stop before it. @return JLP_OK, or the member's error
 * (in *err). */
jlp_code jlp__member_read_to_end(jlp_source *s, jlp_error *err) {
    for (;;) {
        size_t avail = jlp__src_avail(s);
        if (avail) {
            s->cur += avail;
            continue;
        }
        if (!jlp__src_fill(s, 1)) break;
    }
    return s->failed ? jlp__src_error(s, err, jlp__src_tell(s), -1) : JLP_OK;
}

jlp_code jlp_archive_read(jlp_archive *ar, size_t i, void **out, size_t *len, jlp_error *err) {
    jlp__clear(err);
    if (!out || !len) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL output");
    *out = NULL;
    *len = 0;
    jlp_source *s = jlp_archive_member_source(ar, i, err);
    if (!s) return err ? err->code : JLP_E_INVALID_ARG;
    const jlp__member *m = &ar->m[i];
    if (m->size > SIZE_MAX - 1) {
        jlp_source_free(s);
        return jlp__fail(err, JLP_E_LIMIT, 0, -1, "%s: too large for memory", m->name);
    }
    uint8_t *buf = malloc(m->size ? (size_t)m->size : 1);
    if (!buf) {
        jlp_source_free(s);
        return jlp__fail(err, JLP_E_NOMEM, 0, -1, "%s: cannot allocate %llu bytes", m->name,
                         (unsigned long long)m->size);
    }
    size_t got = jlp__src_copy(s, buf, (size_t)m->size);
    jlp_code c = JLP_OK;
    if (got < m->size || s->failed) {
        c = s->failed ? jlp__src_error(s, err, got, -1)
                      : jlp__fail(err, JLP_E_TRUNCATED, got, -1, "%s: member ends after %zu bytes", m->name, got);
    } else {
        /* a reader may know of more bytes only once asked for them */
        int r = jlp_source_at_eof(s, err);
        if (r < 0) c = err ? err->code : JLP_E_IO;
        else if (r == 0) c = jlp__fail(err, JLP_E_CORRUPT, got, -1, "%s: member decodes to more than its declared size", m->name);
    }
    jlp_source_free(s);
    if (c) {
        free(buf);
        return c;
    }
    *out = buf;
    *len = (size_t)m->size;
    return JLP_OK;
}

jlp_archive *jlp_archive_open_member(jlp_archive *ar, size_t i, jlp_error *err) {
    jlp__clear(err);
    if (!ar || i >= ar->n) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "no member %zu", i);
        return NULL;
    }
    if (check_readable(ar, i, err)) return NULL;
    const jlp__member *m = &ar->m[i];
    if (ar->opts.max_depth && ar->depth + 1 > ar->opts.max_depth) {
        jlp__fail(err, JLP_E_LIMIT, 0, -1, "%s: archive nested %u deep, more than max_depth (%u)", m->name,
                  ar->depth + 1, (unsigned)ar->opts.max_depth);
        return NULL;
    }
    jlp__blob *b;
    if (jlp__member_in_place(ar, i)) {
        /* the CRC of a stored member is checked once, as a copy would be */
        if (ar->fmt == JLP__AR_ZIP && jlp__crc32(0, ar->blob->data + m->offset, (size_t)m->size) != m->crc) {
            jlp__fail(err, JLP_E_CHECKSUM, 0, -1, "%s: CRC-32 mismatch", m->name);
            return NULL;
        }
        b = jlp__blob_slice(ar->blob, m->offset, m->size);
    } else {
        void *data;
        size_t len;
        if (jlp_archive_read(ar, i, &data, &len, err)) return NULL;
        /* jlp_archive_read allocates with malloc: hand it to a blob that frees with it */
        b = jlp__blob_new(jlp__alc_malloc(), JLP__BLOB_OWNED, data, len);
        if (!b) free(data);
    }
    if (!b) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    jlp_archive *sub = open_blob(b, &ar->opts, ar->depth + 1, ar->central, err);
    jlp__blob_unref(b);
    if (!sub) jlp__err_prefix(err, m->name);
    return sub;
}
