/*
 * zipread.c - compressed zip members decoded by libarchive.
 *
 * libarchive's seekable zip reader walks the central directory's members in the order
 * of their local headers; zipdir.c has already checked that directory, every local
 * header and the member extents, so the member's position in that order (its rank)
 * finds it, and its name and size are checked once more against what libarchive reads.
 * The decoded bytes are held to the declared size and CRC by jlp__mread_account, not
 * left to libarchive's warnings.
 */
#include "archive.h"

#ifdef JLP_HAVE_ARCHIVE
#include <archive.h>
#include <archive_entry.h>

typedef struct zip_reader {
    jlp__mread r;
    struct archive *a;
    jlp__blob *blob;
    const uint8_t *blk; /* decoded bytes of libarchive's last block not handed out yet */
    size_t blk_left;
    bool short_end;     /* the member's data ended before its declared size */
} zip_reader;

/* libarchive checks a member's size and CRC at its end itself, and returns the last
 * block's bytes only with a warning then: its verdict is translated into the codes the
 * library gives for the same faults (jlp__mread_account), at the same offsets. */
static void zip_error(zip_reader *z, jlp_error *e) {
    const jlp__member *m = z->r.mem;
    const char *msg = archive_error_string(z->a);
    char text[120];
    snprintf(text, sizeof text, "%s", msg ? msg : "corrupt member");
    text[strcspn(text, "\n")] = '\0';
    const char *size = strstr(text, "wrong size (read ");
    unsigned long long got, want;
    if (strstr(text, "CRC")) {
        jlp__fail(e, JLP_E_CHECKSUM, m->size, -1, "%s: CRC-32 mismatch (%s)", m->name, text);
    } else if (size && sscanf(size, "wrong size (read %llu, expected %llu)", &got, &want) == 2 && got < want) {
        jlp__fail(e, JLP_E_TRUNCATED, got, -1, "%s: member ends after %llu of its declared %llu bytes", m->name, got, want);
    } else if (size) {
        jlp__fail(e, JLP_E_CORRUPT, m->size, -1, "%s: member decodes to more than its declared %llu bytes", m->name,
                  (unsigned long long)m->size);
    } else {
        jlp__fail(e, JLP_E_CORRUPT, z->r.got, -1, "%s: %s", m->name, text);
    }
}

/* Whether libarchive's warning is a member whose data ended short of its declared size. */
static bool ends_short(zip_reader *z) {
    const char *msg = archive_error_string(z->a);
    const char *size = msg ? strstr(msg, "uncompressed data is wrong size (read ") : NULL;
    unsigned long long got, want;
    return size && sscanf(size, "uncompressed data is wrong size (read %llu, expected %llu)", &got, &want) == 2 &&
           got < want;
}

/* A member's data block by block. A member whose data ends short of its declared size
 * comes with libarchive's warning on its last block: that block is handed out before
 * the member ends as TRUNCATED, because Python's zipfile gives a reader those bytes
 * (pickle.load runs what they hold) before it notices the size; the scan must see them.
 * Any other warning (a CRC, a compressed size) fails at once, as before. */
static long long pull_zip(jlp_source *s, void *dst, size_t cap) {
    zip_reader *z = s->ctx;
    while (!z->blk_left) { /* libarchive may return empty blocks */
        if (z->short_end) return jlp__mread_end(&z->r, s) ? -1 : 0;
        const void *b = NULL;
        size_t n = 0;
        la_int64_t off = 0;
        int r = archive_read_data_block(z->a, &b, &n, &off);
        if (r == ARCHIVE_EOF) return jlp__mread_end(&z->r, s) ? -1 : 0;
        if (r == ARCHIVE_WARN && ends_short(z)) {
            z->short_end = true;
        } else if (r != ARCHIVE_OK) {
            s->failed = true;
            zip_error(z, &s->pending);
            return -1;
        }
        if (n && (off < 0 || (uint64_t)off != z->r.got)) { /* a zip member has no holes */
            s->failed = true;
            jlp__fail(&s->pending, JLP_E_CORRUPT, z->r.got, -1, "%s: data block at %lld, not at %llu",
                      z->r.mem->name, (long long)off, (unsigned long long)z->r.got);
            return -1;
        }
        z->blk = b;
        z->blk_left = n;
    }
    size_t k = z->blk_left < cap ? z->blk_left : cap;
    if (jlp__mread_account(&z->r, s, z->blk, k)) return -1;
    memcpy(dst, z->blk, k);
    z->blk += k;
    z->blk_left -= k;
    return (long long)k;
}

static void release_zip(jlp_source *s) {
    zip_reader *z = s->ctx;
    if (z->a) archive_read_free(z->a);
    jlp__blob_unref(z->blob);
    jlp__free(s->alc, z, sizeof *z);
    s->ctx = NULL;
}

jlp_source *jlp__zip_member_source(jlp_archive *ar, size_t i, jlp_error *err) {
    const jlp__member *m = &ar->m[i];
    zip_reader *z = jlp__malloc(ar->alc, sizeof *z);
    if (!z) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    memset(z, 0, sizeof *z);
    z->r.ar = ar;
    z->r.index = i;
    z->r.mem = m;
    z->r.check_crc = true;
    z->blob = jlp__blob_ref(ar->blob);
    jlp_source *s = jlp__src_custom(ar->alc, pull_zip, z, release_zip, err);
    if (!s) {
        jlp__blob_unref(z->blob);
        jlp__free(ar->alc, z, sizeof *z);
        return NULL;
    }
    z->a = archive_read_new();
    if (!z->a || archive_read_support_format_zip_seekable(z->a) != ARCHIVE_OK ||
        archive_read_open_memory(z->a, ar->blob->data, (size_t)ar->blob->len) != ARCHIVE_OK) {
        jlp__fail(err, z->a ? JLP_E_ARCHIVE : JLP_E_NOMEM, 0, -1, "zip: %s",
                  z->a && archive_error_string(z->a) ? archive_error_string(z->a) : "libarchive cannot open the archive");
        jlp_source_free(s);
        return NULL;
    }
    for (size_t k = 0; k <= m->rank; k++) {
        struct archive_entry *e;
        int r = archive_read_next_header(z->a, &e);
        if (r != ARCHIVE_OK) {
            const char *msg = archive_error_string(z->a);
            jlp__fail(err, JLP_E_ARCHIVE, m->header, -1, "zip: %s", msg ? msg : "libarchive lists fewer members");
            jlp_source_free(s);
            return NULL;
        }
        if (k == m->rank) {
            /* the same member as the central directory says, or fail closed */
            const char *name = archive_entry_pathname(e);
            const jlp__zentry *ze = &ar->zip.e[i];
            if (!name || strlen(name) != ze->raw_len || memcmp(name, ze->raw_name, ze->raw_len) != 0 ||
                (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) != m->size)) {
                jlp__fail(err, JLP_E_ARCHIVE, m->header, -1, "zip: libarchive reads another member at %s's place", m->name);
                jlp_source_free(s);
                return NULL;
            }
        }
    }
    s->size_hint = m->size;
    return s;
}

#else /* !JLP_HAVE_ARCHIVE */

jlp_source *jlp__zip_member_source(jlp_archive *ar, size_t i, jlp_error *err) {
    jlp__fail(err, JLP_E_CODEC_MISSING, 0, -1, "%s: a %s zip member, but this libjlpickle was built without libarchive",
              ar->m[i].name, ar->m[i].method_name);
    return NULL;
}

#endif
