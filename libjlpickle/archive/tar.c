/*
 * tar.c - tar archives through libarchive: listing every entry, and reading a member's
 * data. The tar stream comes from the library's own decoded-source layer, so a tar
 * inside any codec the registry detects is read, within the archive's budgets, and
 * libarchive only ever sees an uncompressed tar.
 *
 * A tar has no index: reading a member of a compressed tar decodes the stream again up
 * to it. Members of an uncompressed tar are read straight from the archive's bytes at
 * the data offset libarchive reports (archive.c), so only compressed tars come here for
 * data.
 */
#include "archive.h"

#include <stdlib.h>

#ifdef JLP_HAVE_ARCHIVE
#include <archive.h>
#include <archive_entry.h>

/* libarchive pulls the decoded stream window by window. */
typedef struct feed {
    jlp_source *src;
    uint64_t fed;   /* bytes handed to libarchive */
} feed;

static la_ssize_t feed_read(struct archive *a, void *ctx, const void **buf) {
    feed *f = ctx;
    jlp_source *s = f->src;
    size_t have = jlp__src_avail(s);
    if (!have) have = jlp__src_fill(s, 1);
    if (!have) {
        if (s->failed) {
            archive_set_error(a, -1, "decoding failed");
            return -1;
        }
        return 0;
    }
    *buf = s->cur;
    s->cur += have;
    f->fed += have;
    return (la_ssize_t)have;
}

static struct archive *tar_reader(feed *f, jlp_error *err) {
    struct archive *a = archive_read_new();
    if (!a) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "libarchive: out of memory");
        return NULL;
    }
    if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
        archive_read_open(a, f, NULL, feed_read, NULL) != ARCHIVE_OK) {
        jlp__fail(err, JLP_E_ARCHIVE, 0, -1, "tar: %s", archive_error_string(a) ? archive_error_string(a) : "cannot open");
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* Why libarchive failed: the decoder's error, truncation, or a malformed archive. */
static jlp_code tar_error(struct archive *a, feed *f, uint64_t at, jlp_error *err) {
    jlp_source *s = f->src;
    if (s->failed) return jlp__src_error(s, err, f->fed, -1);
    const char *msg = archive_error_string(a);
    if (msg && (strstr(msg, "runcated") || strstr(msg, "premature end")))
        return jlp__fail(err, JLP_E_TRUNCATED, f->fed, -1, "tar: %s", msg);
    return jlp__fail(err, JLP_E_ARCHIVE, at, -1, "tar: %s", msg ? msg : "malformed archive");
}

/* A name as Python's tarfile gives it: UTF-8, with each byte that is not part of valid
 * UTF-8 escaped as the lone surrogate U+DC80..U+DCFF ("surrogateescape"). */
static char *utf8_name(jlp_archive *ar, const char *raw, size_t *len) {
    size_t n = strlen(raw);
    bool hit = false;
    char *out = jlp__arena_alloc(&ar->names, n * 3 + 1, &hit);
    if (!out) return NULL;
    size_t k = 0, i = 0;
    while (i < n) {
        size_t ok = jlp__utf8_valid_prefix((const uint8_t *)raw + i, n - i);
        memcpy(out + k, raw + i, ok);
        k += ok;
        i += ok;
        if (i < n) k += jlp__utf8_put((uint8_t *)out + k, 0xDC00u + (uint8_t)raw[i++]);
    }
    out[k] = '\0';
    *len = k;
    return out;
}

static jlp_code add_entry(jlp_archive *ar, struct archive *a, struct archive_entry *e, jlp_error *err) {
    if (ar->n == ar->cap_m) {
        size_t cap = ar->cap_m ? ar->cap_m * 2 : 16;
        jlp__member *m = jlp__realloc(ar->alc, ar->m, ar->cap_m * sizeof *m, cap * sizeof *m);
        if (!m) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for members");
        ar->m = m;
        ar->cap_m = cap;
    }
    jlp__member *m = &ar->m[ar->n];
    memset(m, 0, sizeof *m);
    const char *raw = archive_entry_pathname_utf8(e);
    if (!raw) raw = archive_entry_pathname(e);
    if (!raw) raw = "";
    char *name = utf8_name(ar, raw, &m->name_len);
    m->name = name;
    if (!name) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for member names");
    la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    m->size = size > 0 ? (uint64_t)size : 0;
    m->csize = m->size;
    m->header = (uint64_t)archive_read_header_position(a);
    m->offset = (uint64_t)archive_filter_bytes(a, 0);
    m->rank = ar->n;
    m->method_name = "stored";
    const char *link = archive_entry_hardlink(e);
    if (!link && archive_entry_filetype(e) == AE_IFLNK) link = archive_entry_symlink(e);
    if (link) {
        size_t ll;
        m->link = utf8_name(ar, link, &ll);
        if (!m->link) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for member names");
        m->flags |= JLP_MEMBER_LINK;
    } else if (archive_entry_filetype(e) == AE_IFDIR) {
        m->flags |= JLP_MEMBER_DIR;
        /* as tarfile lists them: without the slash a directory's header name ends in */
        while (m->name_len > 1 && m->name[m->name_len - 1] == '/') name[--m->name_len] = '\0';
    } else if (archive_entry_filetype(e) != AE_IFREG) {
        m->flags |= JLP_MEMBER_SPECIAL;
    }
    if (archive_entry_sparse_count(e) > 0) {
        /* a sparse file's stored bytes are not its contents: not read here */
        m->sparse = true;
        m->flags |= JLP_MEMBER_UNREADABLE;
    }
    if (jlp__name_unsafe(m->name, m->name_len)) m->flags |= JLP_MEMBER_UNSAFE_NAME;
    ar->n++;
    return JLP_OK;
}

/* Decode what follows the end-of-archive blocks, so a compressed stream's own end
 * (checksum, trailer) is verified; tar readers ignore those bytes. */
static jlp_code drain(feed *f, jlp_error *err) {
    jlp_source *s = f->src;
    for (;;) {
        size_t have = jlp__src_avail(s);
        if (!have) have = jlp__src_fill(s, 1);
        if (!have) break;
        s->cur += have;
        f->fed += have;
    }
    if (s->failed) return jlp__src_error(s, err, f->fed, -1);
    return JLP_OK;
}

jlp_code jlp__tar_list(jlp_archive *ar, jlp_error *err) {
    feed f = {NULL, 0};
    f.src = jlp__archive_stream(ar, err);
    if (!f.src) return err ? err->code : JLP_E_NOMEM;
    struct archive *a = tar_reader(&f, err);
    if (!a) {
        jlp_source_free(f.src);
        return err ? err->code : JLP_E_NOMEM;
    }
    jlp_code c = JLP_OK;
    uint64_t last_end = 0;
    bool last_sparse = false;
    for (;;) {
        struct archive_entry *e;
        /* where the next header starts: after the last member's padded data */
        uint64_t at = ar->n ? last_end : 0;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK) {
            /* ARCHIVE_WARN too: libarchive resynchronises past a damaged header, where
             * another reader would stop or read something else. */
            c = tar_error(a, &f, at, err);
            break;
        }
        if (ar->opts.max_members && ar->n >= ar->opts.max_members) {
            c = jlp__fail(err, JLP_E_LIMIT, at, -1, "tar: more than max_members (%llu) entries",
                          (unsigned long long)ar->opts.max_members);
            break;
        }
        c = add_entry(ar, a, e, err);
        if (c) break;
        const jlp__member *m = &ar->m[ar->n - 1];
        last_sparse = m->sparse;
        last_end = m->offset + ((m->size + 511) & ~(uint64_t)511);
    }
    if (!c && ar->n && !last_sparse && f.fed < last_end + 512)
        c = jlp__fail(err, JLP_E_TRUNCATED, f.fed, -1, "tar: no end-of-archive block after the last member (the archive is truncated)");
    if (!c) c = drain(&f, err);
    archive_read_free(a);
    jlp_source_free(f.src);
    return c;
}

/* A member of a compressed tar: the stream decoded again up to it. */
typedef struct tar_reader_ctx {
    jlp__mread r;
    feed f;
    struct archive *a;
    jlp__blob *blob;
} tar_reader_ctx;

static long long pull_tar(jlp_source *s, void *dst, size_t cap) {
    tar_reader_ctx *t = s->ctx;
    if (t->r.got == t->r.mem->size) return 0;
    la_ssize_t k = archive_read_data(t->a, dst, cap);
    if (k < 0) {
        s->failed = true;
        jlp_error e;
        tar_error(t->a, &t->f, t->r.got, &e);
        s->pending = e;
        return -1;
    }
    if (k == 0) return jlp__mread_end(&t->r, s) ? -1 : 0;
    if (jlp__mread_account(&t->r, s, dst, (size_t)k)) return -1;
    return k;
}

static void release_tar(jlp_source *s) {
    tar_reader_ctx *t = s->ctx;
    if (t->a) archive_read_free(t->a);
    jlp_source_free(t->f.src);
    jlp__blob_unref(t->blob);
    jlp__free(s->alc, t, sizeof *t);
    s->ctx = NULL;
}

jlp_source *jlp__tar_member_source(jlp_archive *ar, size_t i, jlp_error *err) {
    tar_reader_ctx *t = jlp__malloc(ar->alc, sizeof *t);
    if (!t) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    memset(t, 0, sizeof *t);
    t->r.ar = ar;
    t->r.index = i;
    t->r.mem = &ar->m[i];
    t->blob = jlp__blob_ref(ar->blob);
    jlp_source *s = jlp__src_custom(ar->alc, pull_tar, t, release_tar, err);
    if (!s) {
        jlp__blob_unref(t->blob);
        jlp__free(ar->alc, t, sizeof *t);
        return NULL;
    }
    t->f.src = jlp__archive_stream(ar, err);
    if (t->f.src) t->a = tar_reader(&t->f, err);
    if (!t->a) {
        jlp_source_free(s);
        return NULL;
    }
    for (size_t k = 0; k <= i; k++) {
        struct archive_entry *e;
        uint64_t at = (uint64_t)archive_filter_bytes(t->a, 0);
        int r = archive_read_next_header(t->a, &e);
        if (r != ARCHIVE_OK) {
            if (r == ARCHIVE_EOF) jlp__fail(err, JLP_E_ARCHIVE, at, -1, "tar: the archive changed since it was listed");
            else tar_error(t->a, &t->f, at, err);
            jlp_source_free(s);
            return NULL;
        }
        if (k == i) {
            const char *raw = archive_entry_pathname_utf8(e);
            if (!raw) raw = archive_entry_pathname(e);
            la_int64_t size = archive_entry_size(e);
            if (!raw || size < 0 || (uint64_t)size != t->r.mem->size) {
                jlp__fail(err, JLP_E_ARCHIVE, at, -1, "tar: the archive changed since it was listed");
                jlp_source_free(s);
                return NULL;
            }
        }
    }
    s->size_hint = t->r.mem->size;
    return s;
}

#else /* !JLP_HAVE_ARCHIVE */

static jlp_code no_libarchive(jlp_error *err) {
    return jlp__fail(err, JLP_E_CODEC_MISSING, 0, -1, "a tar archive, but this libjlpickle was built without libarchive");
}

jlp_code jlp__tar_list(jlp_archive *ar, jlp_error *err) {
    (void)ar;
    return no_libarchive(err);
}

jlp_source *jlp__tar_member_source(jlp_archive *ar, size_t i, jlp_error *err) {
    (void)ar;
    (void)i;
    no_libarchive(err);
    return NULL;
}

#endif
