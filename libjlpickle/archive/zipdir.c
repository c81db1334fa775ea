/*
 * zipdir.c - the central directory of a zip archive, read and cross-checked.
 *
 * Python's zipfile (numpy.load) and PyTorch's reader (miniz) take a member's method,
 * sizes and CRC from the central directory and use the local header only for the
 * length of its name and extra field; streaming readers and some scanners read the
 * local headers alone. Where the two disagree, two programs see two different archives,
 * so any disagreement fails closed here (JLP_E_ARCHIVE), as do members that overlap
 * each other or the directory (the overlapping-member zip bomb), prepended or appended
 * bytes, and end records that could be read in more than one way.
 */
#include "archive.h"

#include <stdlib.h>

#define EOCD_SIZE 22u
#define EOCD64_SIZE 56u
#define LOCATOR_SIZE 20u
#define CDH_SIZE 46u
#define LFH_SIZE 30u
#define MAX_COMMENT 0xFFFFu
#define U32_SENTINEL 0xFFFFFFFFu
#define U16_SENTINEL 0xFFFFu

static jlp_code bad(jlp_error *err, uint64_t off, const char *what) {
    return jlp__fail(err, JLP_E_ARCHIVE, off, -1, "zip: %s", what);
}

/* The end record: the last 22-byte record whose comment reaches exactly the end of the
 * file. A second candidate (an end record hidden in the comment) is ambiguous. */
static jlp_code find_eocd(const uint8_t *p, uint64_t n, uint64_t *at, jlp_error *err) {
    if (n < EOCD_SIZE) return jlp__fail(err, JLP_E_TRUNCATED, n, -1, "zip: shorter than an end of central directory record");
    uint64_t lo = n > EOCD_SIZE + MAX_COMMENT ? n - EOCD_SIZE - MAX_COMMENT : 0;
    bool found = false;
    uint64_t misfit = UINT64_MAX; /* the last signature whose comment does not end the file */
    for (uint64_t i = n - EOCD_SIZE + 1; i-- > lo;) {
        const uint8_t *r = p + i;
        if (r[0] != 'P' || r[1] != 'K' || r[2] != 5 || r[3] != 6) continue;
        if (i + EOCD_SIZE + jlp__le16(r + 20) != n) {
            if (misfit == UINT64_MAX) misfit = i;
            continue;
        }
        if (found) return bad(err, i, "two end of central directory records fit the end of the file");
        found = true;
        *at = i;
    }
    if (!found && misfit != UINT64_MAX)
        return bad(err, misfit, "the end of central directory record does not end the file");
    if (!found) {
        /* A file that starts like a zip but has no end record was cut short. */
        if (n >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4)
            return jlp__fail(err, JLP_E_TRUNCATED, n, -1, "zip: no end of central directory record (the archive is truncated)");
        return bad(err, 0, "no end of central directory record");
    }
    return JLP_OK;
}

/* The zip64 extra field (0x0001) of a central record: 64-bit values for each field that
 * holds its sentinel, in the order usize, csize, local header offset, disk. */
static jlp_code zip64_extra(const uint8_t *x, size_t xlen, uint64_t off, jlp__zentry *e, uint32_t usize32,
                            uint32_t csize32, uint32_t lho32, uint16_t disk16, uint32_t *disk, jlp_error *err) {
    bool need = usize32 == U32_SENTINEL || csize32 == U32_SENTINEL || lho32 == U32_SENTINEL || disk16 == U16_SENTINEL;
    size_t i = 0;
    bool seen = false;
    while (i < xlen) {
        if (xlen - i < 4) return bad(err, off, "malformed extra field");
        uint16_t id = jlp__le16(x + i), len = jlp__le16(x + i + 2);
        if (xlen - i - 4 < len) return bad(err, off, "malformed extra field");
        const uint8_t *d = x + i + 4;
        if (id == 0x0001 && !seen) {
            seen = true;
            size_t k = 0;
#define TAKE64(field)                                                                    \
            do {                                                                         \
                if (len - k < 8) return bad(err, off, "zip64 extra field too short");    \
                field = jlp__le64(d + k);                                                \
                k += 8;                                                                  \
            } while (0)
            if (usize32 == U32_SENTINEL) TAKE64(e->usize);
            if (csize32 == U32_SENTINEL) TAKE64(e->csize);
            if (lho32 == U32_SENTINEL) TAKE64(e->lho);
#undef TAKE64
            if (disk16 == U16_SENTINEL) {
                if (len - k < 4) return bad(err, off, "zip64 extra field too short");
                *disk = jlp__le32(d + k);
            }
        }
        i += 4u + len;
    }
    if (need && !seen) return bad(err, off, "32-bit field at its maximum without a zip64 extra field");
    return JLP_OK;
}

/* Sizes from a local header's zip64 extra field (both sizes, usize first). */
static jlp_code local_zip64(const uint8_t *x, size_t xlen, uint64_t off, uint64_t *usize, uint64_t *csize,
                            jlp_error *err) {
    size_t i = 0;
    while (i < xlen) {
        if (xlen - i < 4) return bad(err, off, "malformed local extra field");
        uint16_t id = jlp__le16(x + i), len = jlp__le16(x + i + 2);
        if (xlen - i - 4 < len) return bad(err, off, "malformed local extra field");
        if (id == 0x0001) {
            if (len < 16) return bad(err, off, "local zip64 extra field too short");
            *usize = jlp__le64(x + i + 4);
            *csize = jlp__le64(x + i + 12);
            return JLP_OK;
        }
        i += 4u + len;
    }
    return bad(err, off, "local header sizes at their maximum without a zip64 extra field");
}

/* Flags that change how the data is read must agree between the two headers. */
#define FLAGS_COMPARED (JLP__ZF_ENCRYPTED | JLP__ZF_DESCRIPTOR | JLP__ZF_PATCHED | JLP__ZF_STRONG | JLP__ZF_UTF8)

static jlp_code check_local(const uint8_t *p, jlp__zentry *e, uint64_t cd_off, bool central, jlp_error *err) {
    uint64_t lho = e->lho;
    if (lho >= cd_off || cd_off - lho < LFH_SIZE) return bad(err, e->cd_off, "local header offset outside the member area");
    const uint8_t *h = p + lho;
    if (h[0] != 'P' || h[1] != 'K' || h[2] != 3 || h[3] != 4) return bad(err, lho, "bad local header signature");
    uint16_t flags = jlp__le16(h + 6), method = jlp__le16(h + 8);
    uint32_t crc = jlp__le32(h + 14);
    uint64_t csize = jlp__le32(h + 18), usize = jlp__le32(h + 22);
    uint16_t nlen = jlp__le16(h + 26), xlen = jlp__le16(h + 28);
    uint64_t data_off = lho + LFH_SIZE + nlen + xlen;
    if (data_off > cd_off) return bad(err, lho, "local header runs into the central directory");
    if (central) {
        /* torch's reader (miniz) and zipfile take all of it from the central record */
    } else if ((flags & FLAGS_COMPARED) != (e->flags & FLAGS_COMPARED)) {
        return bad(err, lho, "local and central headers disagree on the flags");
    } else if (method != e->method) {
        return bad(err, lho, "local and central headers disagree on the method");
    } else if (nlen != e->raw_len || memcmp(h + LFH_SIZE, e->raw_name, nlen) != 0) {
        return bad(err, lho, "local and central headers disagree on the name");
    } else if (!(flags & JLP__ZF_DESCRIPTOR)) {
        if (csize == U32_SENTINEL || usize == U32_SENTINEL) {
            jlp_code c = local_zip64(h + LFH_SIZE + nlen, xlen, lho, &usize, &csize, err);
            if (c) return c;
        }
        if (crc != e->crc || csize != e->csize || usize != e->usize)
            return bad(err, lho, "local and central headers disagree on the CRC or sizes");
    }
    if (e->csize > cd_off - data_off) return bad(err, lho, "member data runs into the central directory");
    if (e->method == 0 && e->csize != e->usize && !(e->flags & (JLP__ZF_ENCRYPTED | JLP__ZF_STRONG)))
        return bad(err, e->cd_off, "stored member whose compressed and decoded sizes differ");
    e->data_off = data_off;
    return JLP_OK;
}

static int by_lho(const void *a, const void *b) {
    const jlp__zentry *x = *(const jlp__zentry *const *)a, *y = *(const jlp__zentry *const *)b;
    return x->lho < y->lho ? -1 : x->lho > y->lho;
}

jlp_code jlp__zipdir_read(const uint8_t *p, uint64_t n, uint64_t max_members, const jlp_alc *alc,
                          jlp__zipdir *dir, jlp_error *err) {
    return jlp__zipdir_read_ex(p, n, max_members, alc, false, dir, err);
}

jlp_code jlp__zipdir_read_ex(const uint8_t *p, uint64_t n, uint64_t max_members, const jlp_alc *alc, bool central,
                             jlp__zipdir *dir, jlp_error *err) {
    memset(dir, 0, sizeof *dir);
    uint64_t eocd = 0;
    jlp_code c = find_eocd(p, n, &eocd, err);
    if (c) return c;
    const uint8_t *r = p + eocd;
    uint64_t disk = jlp__le16(r + 4), cd_disk = jlp__le16(r + 6);
    uint64_t n_this = jlp__le16(r + 8), n_total = jlp__le16(r + 10);
    uint64_t cd_size = jlp__le32(r + 12), cd_off = jlp__le32(r + 16);
    uint64_t cd_end_limit = eocd; /* the directory must end where the end records begin */
    if (eocd >= LOCATOR_SIZE && !memcmp(p + eocd - LOCATOR_SIZE, "PK\6\7", 4)) {
        const uint8_t *loc = p + eocd - LOCATOR_SIZE;
        uint64_t at = jlp__le64(loc + 8);
        /* Python assumes the zip64 end record right before the locator; miniz follows the
         * locator's offset. Both must name the same record. */
        if (eocd < LOCATOR_SIZE + EOCD64_SIZE || at != eocd - LOCATOR_SIZE - EOCD64_SIZE)
            return bad(err, eocd - LOCATOR_SIZE, "zip64 locator does not point right before itself");
        if (jlp__le32(loc + 4) != 0 || jlp__le32(loc + 16) > 1) return bad(err, eocd - LOCATOR_SIZE, "multi-disk archive");
        const uint8_t *z = p + at;
        if (memcmp(z, "PK\6\6", 4) || jlp__le64(z + 4) != EOCD64_SIZE - 12)
            return bad(err, at, "bad zip64 end of central directory record");
        uint64_t d64 = jlp__le32(z + 16), cd64 = jlp__le32(z + 20);
        uint64_t t64 = jlp__le64(z + 24), tot64 = jlp__le64(z + 32);
        uint64_t size64 = jlp__le64(z + 40), off64 = jlp__le64(z + 48);
        if ((disk != U16_SENTINEL && disk != d64) || (cd_disk != U16_SENTINEL && cd_disk != cd64) ||
            (n_this != U16_SENTINEL && n_this != t64) || (n_total != U16_SENTINEL && n_total != tot64) ||
            (cd_size != U32_SENTINEL && cd_size != size64) || (cd_off != U32_SENTINEL && cd_off != off64))
            return bad(err, at, "zip64 and 32-bit end records disagree");
        disk = d64, cd_disk = cd64, n_this = t64, n_total = tot64, cd_size = size64, cd_off = off64;
        cd_end_limit = at;
        dir->zip64 = true;
    }
    if (disk != 0 || cd_disk != 0 || n_this != n_total) return bad(err, eocd, "multi-disk archive");
    if (cd_off > cd_end_limit || cd_size != cd_end_limit - cd_off)
        return bad(err, eocd, "central directory does not end where the end record begins");
    if (n_total > max_members)
        return jlp__fail(err, JLP_E_LIMIT, eocd, -1, "zip: %llu members, more than max_members (%llu)",
                         (unsigned long long)n_total, (unsigned long long)max_members);
    if (n_total > cd_size / CDH_SIZE) return bad(err, eocd, "more members than the central directory can hold");
    dir->cd_off = cd_off;
    dir->cd_size = cd_size;
    if (n_total) {
        dir->e = jlp__malloc(alc, (size_t)n_total * sizeof *dir->e);
        dir->cap = (size_t)n_total;
        if (!dir->e) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for %llu zip members",
                                      (unsigned long long)n_total);
    }
    uint64_t at = cd_off, end = cd_off + cd_size;
    for (uint64_t i = 0; i < n_total; i++) {
        if (end - at < CDH_SIZE) { c = bad(err, at, "central directory ends inside a record"); goto fail; }
        const uint8_t *h = p + at;
        if (memcmp(h, "PK\1\2", 4)) { c = bad(err, at, "bad central directory signature"); goto fail; }
        jlp__zentry *e = &dir->e[dir->n];
        memset(e, 0, sizeof *e);
        e->cd_off = at;
        e->system = h[5];
        e->flags = jlp__le16(h + 8);
        e->method = jlp__le16(h + 10);
        e->crc = jlp__le32(h + 16);
        uint32_t csize32 = jlp__le32(h + 20), usize32 = jlp__le32(h + 24), lho32 = jlp__le32(h + 42);
        uint16_t nlen = jlp__le16(h + 28), xlen = jlp__le16(h + 30), clen = jlp__le16(h + 32);
        uint16_t disk16 = jlp__le16(h + 34);
        e->ext_attr = jlp__le32(h + 38);
        e->csize = csize32, e->usize = usize32, e->lho = lho32;
        uint64_t rec = (uint64_t)CDH_SIZE + nlen + xlen + clen;
        if (end - at < rec) { c = bad(err, at, "central directory record runs past the directory"); goto fail; }
        e->raw_name = h + CDH_SIZE;
        e->raw_len = nlen;
        uint32_t disk32 = disk16;
        c = zip64_extra(h + CDH_SIZE + nlen, xlen, at, e, usize32, csize32, lho32, disk16, &disk32, err);
        if (c) goto fail;
        if (disk32 != 0) { c = bad(err, at, "member on another disk"); goto fail; }
        dir->n++;
        c = check_local(p, e, cd_off, central, err);
        if (c) goto fail;
        at += rec;
    }
    if (at != end) { c = bad(err, at, "bytes after the last central directory record"); goto fail; }
    if (dir->n > 1) {
        /* Members in file order: each must end before the next local header begins. */
        jlp__zentry **order = jlp__malloc(alc, dir->n * sizeof *order);
        if (!order) { c = jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory"); goto fail; }
        for (size_t i = 0; i < dir->n; i++) order[i] = &dir->e[i];
        qsort(order, dir->n, sizeof *order, by_lho);
        for (size_t i = 1; i < dir->n; i++) {
            if (order[i - 1]->data_off + order[i - 1]->csize > order[i]->lho) {
                c = bad(err, order[i]->lho, "members overlap");
                jlp__free(alc, order, dir->n * sizeof *order);
                goto fail;
            }
        }
        jlp__free(alc, order, dir->n * sizeof *order);
    }
    return JLP_OK;
fail:
    jlp__zipdir_release(dir, alc);
    return c;
}

void jlp__zipdir_release(jlp__zipdir *dir, const jlp_alc *alc) {
    jlp__free(alc, dir->e, dir->cap * sizeof *dir->e);
    memset(dir, 0, sizeof *dir);
}

/* CP437 code points of bytes 0x80..0xFF, as Python's cp437 codec maps them. */
static const uint16_t cp437_high[128] = {
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF,
    0x00EE, 0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
    0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA,
    0x00F1, 0x00D1, 0x00AA, 0x00BA, 0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557,
    0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559,
    0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
    0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4, 0x03A6, 0x0398, 0x03A9, 0x03B4,
    0x221E, 0x03C6, 0x03B5, 0x2229, 0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
    0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0};

size_t jlp__zip_name_utf8(const jlp__zentry *e, char *out) {
    if (e->flags & JLP__ZF_UTF8) {
        if (jlp__utf8_valid_prefix(e->raw_name, e->raw_len) != e->raw_len) return SIZE_MAX;
        /* Python decodes with the strict codec: surrogates are not allowed */
        for (size_t i = 0; i + 2 < e->raw_len; i++)
            if (e->raw_name[i] == 0xED && e->raw_name[i + 1] >= 0xA0) return SIZE_MAX;
        memcpy(out, e->raw_name, e->raw_len);
        return e->raw_len;
    }
    size_t k = 0;
    for (size_t i = 0; i < e->raw_len; i++) {
        uint8_t b = e->raw_name[i];
        if (b < 0x80) out[k++] = (char)b;
        else k += jlp__utf8_put((uint8_t *)out + k, cp437_high[b - 0x80]);
    }
    return k;
}
