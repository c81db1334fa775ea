/*
 * archive.h - the archive layer: zip and tar bundles, .npz files and PyTorch checkpoints.
 * It sits on top of the pickle layer and may use everything below it (common, codec, io,
 * value, numpy, pickle); nothing below includes this header.
 *
 * An archive's bytes are held by a blob (a read-only mapping of the file, the caller's
 * memory, or a buffer the library decoded), shared by reference count between the
 * archive, archives nested in it and the documents whose arrays point into it.
 *
 * Zip archives are read from their central directory, which this layer parses and
 * checks itself (every local header against its central record, member extents against
 * each other and the directory) because the offsets of stored members are what lets
 * them be mapped, and libarchive does not expose them; libarchive decodes compressed zip
 * members and reads tar archives of every flavour. A compressed tar is decoded by the
 * library's own codec layer, so the same codecs and budgets apply as for joblib files.
 */
#ifndef JLP_ARCHIVE_H
#define JLP_ARCHIVE_H

#include "../io/source.h"
#include "../value/doc.h"

#include <stdatomic.h>

/* ---- blobs -------------------------------------------------------------------------- */

typedef enum jlp__blob_kind {
    JLP__BLOB_BORROWED = 0, /* caller memory: never freed by the library */
    JLP__BLOB_MAPPED = 1,   /* a read-only private mapping of a file */
    JLP__BLOB_OWNED = 2     /* allocated with `alc` (a member decoded into memory) */
} jlp__blob_kind;

typedef struct jlp__blob {
    atomic_uint refs;
    jlp__blob_kind kind;
    const uint8_t *data;
    uint64_t len;
    const jlp_alc *alc;
    struct jlp__blob *parent; /* a slice keeps the blob it lies in */
} jlp__blob;

/** A blob over `data`. For MAPPED blobs `data` is munmap()ed and for OWNED blobs freed
 *  with `alc` when the last reference goes. @return NULL when allocation fails (the
 *  bytes are then not released). */
jlp__blob *jlp__blob_new(const jlp_alc *alc, jlp__blob_kind kind, const void *data, uint64_t len);
/** A blob over [off, off + len) of `parent` (which the caller has bounds-checked),
 *  holding a reference to it. @return NULL when allocation fails. */
jlp__blob *jlp__blob_slice(jlp__blob *parent, uint64_t off, uint64_t len);
/** Map the regular file at `path` read-only. @return the blob, or NULL with err (IO with
 *  the path and errno text, MMAP for a file that is not regular). An empty file gives an
 *  empty blob. */
jlp__blob *jlp__blob_map(const char *path, const jlp_alc *alc, jlp_error *err);
jlp__blob *jlp__blob_ref(jlp__blob *b);
void jlp__blob_unref(jlp__blob *b);
/** Make `doc` hold a reference to `b` until it is freed (its arrays point into b). */
void jlp__doc_keep_blob(jlp_doc *doc, jlp__blob *b);

/* ---- CRC-32 (zip) ------------------------------------------------------------------- */

uint32_t jlp__crc32(uint32_t crc, const void *data, size_t n);

/* ---- zip central directory ----------------------------------------------------------- */

/* General purpose flag bits that change how a member is read. */
#define JLP__ZF_ENCRYPTED  0x0001u
#define JLP__ZF_DESCRIPTOR 0x0008u
#define JLP__ZF_PATCHED    0x0020u
#define JLP__ZF_STRONG     0x0040u
#define JLP__ZF_UTF8       0x0800u

typedef struct jlp__zentry {
    const uint8_t *raw_name;  /* the name's bytes in the central directory */
    size_t raw_len;
    uint16_t flags, method;
    uint32_t crc;
    uint64_t csize, usize;
    uint64_t lho;             /* offset of the local header */
    uint64_t data_off;        /* where the data starts, from the local header */
    uint64_t cd_off;          /* offset of the central record (for error reports) */
    uint32_t ext_attr;
    uint8_t system;
} jlp__zentry;

typedef struct jlp__zipdir {
    jlp__zentry *e;
    size_t n, cap;            /* entries read; entries allocated (the declared count) */
    uint64_t cd_off, cd_size; /* the central directory's extent */
    bool zip64;
} jlp__zipdir;

/** Parse and check the central directory of the zip archive in [p, p + n), then every
 *  member's local header: same name, method, flags, CRC and sizes (those the local
 *  header carries), data inside the file and before the central directory, and no two
 *  members overlapping. @return JLP_OK with *dir filled (entries allocated with `alc`,
 *  released by jlp__zipdir_release), or ARCHIVE (offset: the faulty record), TRUNCATED
 *  (no end record: not a whole zip), LIMIT (more than max_members), NOMEM. */
jlp_code jlp__zipdir_read(const uint8_t *p, uint64_t n, uint64_t max_members, const jlp_alc *alc,
                          jlp__zipdir *dir, jlp_error *err);
/** As jlp__zipdir_read, with `central`: a local header that disagrees with its central
 *  record (flags, method, name, CRC, sizes) is no error (the central record counts). */
jlp_code jlp__zipdir_read_ex(const uint8_t *p, uint64_t n, uint64_t max_members, const jlp_alc *alc, bool central,
                             jlp__zipdir *dir, jlp_error *err);
void jlp__zipdir_release(jlp__zipdir *dir, const jlp_alc *alc);
/** The name of a zip entry as Python's zipfile decodes it: UTF-8 when flag bit 11 is set
 *  (it must then be valid UTF-8), else CP437. Writes at most 3 * raw_len bytes into out.
 *  @return the length, or SIZE_MAX when a UTF-8-flagged name is not valid UTF-8. */
size_t jlp__zip_name_utf8(const jlp__zentry *e, char *out);

/* ---- the archive object ------------------------------------------------------------- */

typedef enum jlp__arfmt { JLP__AR_ZIP = 1, JLP__AR_TAR = 2 } jlp__arfmt;

typedef struct jlp__member {
    const char *name;         /* UTF-8, NUL-terminated, in the archive's name arena */
    size_t name_len;
    const char *link;         /* link target, or NULL */
    uint64_t size;            /* decoded size (as declared) */
    uint64_t csize;           /* bytes in the archive */
    uint64_t offset;          /* zip: data offset in the file; tar: in the tar stream */
    uint64_t header;          /* zip: local header offset; tar: header offset */
    unsigned flags;           /* JLP_MEMBER_* */
    uint32_t crc;             /* zip */
    uint16_t method;          /* zip compression method; 0 for tar */
    const char *method_name;  /* "stored", "deflated", ... "method-N" */
    size_t rank;              /* zip: position in local-header order (libarchive's order);
                                 tar: the entry's position in the stream */
    bool sparse;              /* tar: GNU/pax sparse file (read through libarchive only) */
} jlp__member;

struct jlp_archive {
    const jlp_alc *alc;
    jlp_archive_opts opts;
    jlp__blob *blob;          /* the archive's bytes (compressed, for a compressed tar) */
    jlp__arfmt fmt;
    const char *container;    /* "none" or the codec of a compressed tar */
    const struct jlp_registry *registry;
    unsigned depth;           /* 0 for an archive opened by the caller */
    bool central;             /* zip: read as the central directory says (jlp__archive_open_central) */
    size_t n, cap_m;          /* members listed; members allocated */
    jlp__member *m;
    jlp__arena names;         /* member names and link targets */
    _Atomic uint64_t decoded; /* bytes handed out by member reads (max_total) */
    jlp__zipdir zip;
};

/** Resolve the caller's archive options (NULL: defaults) over the defaults, as
 *  jlp__struct_in does. @return JLP_OK, INVALID_ARG (size unset), UNSUPPORTED. */
jlp_code jlp__archive_opts_take(jlp_archive_opts *out, const jlp_archive_opts *user, jlp_error *err);
/** Open the archive held by `blob` (a new reference is taken) with resolved options.
 *  @return NULL with err. */
jlp_archive *jlp__archive_open_blob(jlp__blob *blob, const jlp_archive_opts *opts, unsigned depth,
                                    jlp_error *err);
/** As jlp_archive_open_mem, but a zip (and every zip nested in it) is read as torch's
 *  reader (miniz) and Python's zipfile read it: members as the central directory gives
 *  them (name, method, flags, CRC, sizes), their data after the local header's name and
 *  extra field, whatever else the local header says. For the safety scan's second
 *  reading of a zip that jlp_archive_open_mem refuses (spec/SAFETY.md SA-4); never for
 *  loading. @return NULL with err. */
jlp_archive *jlp__archive_open_central(const void *data, size_t len, const jlp_archive_opts *opts, jlp_error *err);

/** The tar reader (tar.c): list every entry of the tar stream in ar->blob into ar->m. */
jlp_code jlp__tar_list(jlp_archive *ar, jlp_error *err);
/** A source over the data of tar member `i` read through libarchive (compressed tars,
 *  sparse members). */
jlp_source *jlp__tar_member_source(jlp_archive *ar, size_t i, jlp_error *err);
/** A source over the data of zip member `i` inflated by libarchive (zipread.c). */
jlp_source *jlp__zip_member_source(jlp_archive *ar, size_t i, jlp_error *err);
/** The source of the (possibly compressed) bytes of ar->blob, decoded by the codec
 *  layer with the archive's budgets. */
jlp_source *jlp__archive_stream(jlp_archive *ar, jlp_error *err);

/* ---- members read as sources -------------------------------------------------------- */

/** Limits on a member's decoded bytes, shared by every member reader: the declared size
 *  must not be exceeded or fallen short of, and the ratio of decoded to compressed
 *  bytes is capped. */
typedef struct jlp__mread {
    jlp_archive *ar;
    size_t index;
    const jlp__member *mem;
    uint64_t got;             /* decoded bytes handed out */
    uint32_t crc;             /* running CRC-32 (zip) */
    bool check_crc;
} jlp__mread;

/** Account `n` more decoded bytes of the member (CRC, size). On the last byte the CRC
 *  and size are verified. @return JLP_OK or the error (CORRUPT for more bytes than
 *  declared, CHECKSUM), filled into src->pending. */
jlp_code jlp__mread_account(jlp__mread *r, jlp_source *src, const void *data, size_t n);
/** At the end of the member's data: fewer bytes than declared is TRUNCATED. */
jlp_code jlp__mread_end(jlp__mread *r, jlp_source *src);
/** The rest of member source `s` read to its end, so that its size and CRC are checked
 *  (a load may stop before it). @return JLP_OK, or the member's error (in *err). */
jlp_code jlp__member_read_to_end(jlp_source *s, jlp_error *err);

/** A pulled source whose `release` hook frees `ctx` with `release`. */
jlp_source *jlp__src_custom(const jlp_alc *alc, jlp__pull_fn pull, void *ctx,
                            void (*release)(jlp_source *), jlp_error *err);

/** Start err->msg with "name: " (cut to fit), unless it already does. */
void jlp__err_prefix(jlp_error *err, const char *name);
/** Describe member `i` in the error message prefix. */
const char *jlp__member_name(const jlp_archive *ar, size_t i);
/** Whether member `i`'s bytes lie uncompressed in the archive's blob at its offset (a
 *  stored zip member; a non-sparse member of an uncompressed tar). */
bool jlp__member_in_place(const jlp_archive *ar, size_t i);

/* ---- walking a document ------------------------------------------------------------ */

/** A growable array of node pointers (alc set by the user, the rest zero). */
typedef struct jlp__nodes {
    const jlp_alc *alc;
    jlp_val **v;
    size_t n, cap;
} jlp__nodes;
bool jlp__nodes_push(jlp__nodes *a, jlp_val *x);
void jlp__nodes_release(jlp__nodes *a);
/** Call `visit` once for every node reachable from `root` (containers, objects' parts,
 *  persistent ids' values, object arrays' elements), iteratively; cycles are visited
 *  once. @return JLP_OK, visit's first non-OK code, or NOMEM. */
jlp_code jlp__walk(jlp_val *root, const jlp_alc *alc, jlp_code (*visit)(void *ctx, jlp_val *v), void *ctx);

/* ---- what archives hold ----------------------------------------------------------- */

/** A PyTorch checkpoint whose records live under the first member's directory (its
 *  first `prefix_len` bytes). */
jlp_doc *jlp__torch_load(jlp_archive *ar, size_t prefix_len, const jlp_read_opts *opts, jlp_error *err);
/** An .npz archive, as numpy.load reads it. */
jlp_doc *jlp__npz_load(jlp_archive *ar, const jlp_read_opts *opts, jlp_error *err);

/* ---- detection ---------------------------------------------------------------------- */

typedef enum jlp__sniff {
    JLP__SNIFF_NONE = 0,
    JLP__SNIFF_ZIP = 1,
    JLP__SNIFF_TAR = 2
} jlp__sniff;

/** What the leading (decoded) bytes are: a zip archive (local header or empty-archive
 *  end record), a tar archive (a 512-byte header whose checksum is right and that
 *  carries the ustar magic or is a plausible pre-POSIX header), or neither. */
jlp__sniff jlp__archive_sniff(const uint8_t *head, size_t len);
/** Whether a member name is absolute, has a `..` component, a drive letter or a
 *  backslash: reported (JLP_MEMBER_UNSAFE_NAME), never used as a file system path. */
bool jlp__name_unsafe(const char *name, size_t len);

#endif /* JLP_ARCHIVE_H */
