/*
 * load.c - the loading entry points that know about archives: jlp_load_path() and
 * jlp_load_mem() recognise zip and tar archives (a tar also inside a compressor) by
 * their first bytes and hand them to jlp_load_archive(); the `archive::member` path
 * syntax names a member, `outer::inner::member` one inside a nested archive. Everything
 * else goes to the pickle loader unchanged.
 */
#include "archive.h"

#include "../common/opts.h"
#include "../numpy/numpy.h"
#include "../pickle/vm.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

/* torch.save files before 1.6 start with a pickle of this number (torch/serialization.py
 * MAGIC_NUMBER), as a LONG1: 0x1950a86a20f9469cfc6c in little-endian bytes. */
static const uint8_t TORCH_LEGACY_MAGIC[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

/* A document whose root is that number is the first of a legacy torch file's pickles. */
static jlp_doc *refuse_legacy_torch(jlp_doc *d, jlp_error *err) {
    size_t n;
    const uint8_t *b = d ? jlp_get_bigint(jlp_doc_root(d), &n) : NULL;
    if (!b || n != sizeof TORCH_LEGACY_MAGIC || memcmp(b, TORCH_LEGACY_MAGIC, n)) return d;
    jlp_doc_free(d);
    jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1,
              "a PyTorch file in the format of torch < 1.6 (magic number 0x1950a86a20f9469cfc6c): not supported");
    return NULL;
}

static const jlp__load_how NPY = {jlp__npy_body, "npy", JLP__MODE_LOAD, NULL};

/* One pickle or .npy file from `s` (detection done) as a file of its own: a compressed
 * container must end with it. */
static jlp_doc *load_src(jlp_source *s, const jlp_read_opts *opts, jlp_error *err) {
    jlp_doc *d = jlp_is_npy(s->cur, jlp__src_avail(s)) ? jlp__load_resolved(s, opts, &NPY, err)
                                                        : jlp_load(s, opts, err);
    if (d && s->layer && jlp_source_check_end(s, err) != JLP_OK) {
        jlp_doc_free(d);
        d = NULL;
    }
    return refuse_legacy_torch(d, err);
}

/* Whether the decoded bytes of `s` (at its start) are an archive. Detection of the
 * container is done here, once; a load from `s` continues from its start. */
static jlp__sniff sniff_source(jlp_source *s, const jlp_read_opts *opts, jlp_error *err, jlp_code *c) {
    *c = JLP_OK;
    /* an uncompressed archive first: its bytes are no pickle, so detection would refuse
     * them */
    size_t have = jlp__src_fill(s, 512);
    jlp__sniff k = jlp__archive_sniff(s->cur, have);
    if (k != JLP__SNIFF_NONE) return k;
    if (jlp_is_npy(s->cur, have)) {
        s->detected = true; /* a .npy file is never inside a container */
        return JLP__SNIFF_NONE;
    }
    *c = jlp__src_detect(s, opts, err);
    if (*c || !s->layer) return JLP__SNIFF_NONE;
    have = jlp__src_fill(s, 512);
    return jlp__archive_sniff(s->cur, have);
}


/* The blob an archive's bytes ultimately live in (a mapping, caller memory, or a
 * decoded buffer). */
static const jlp__blob *root_blob(const jlp__blob *b) {
    while (b->parent) b = b->parent;
    return b;
}

/* Array offsets of a member's document say where the bytes are in the archive's bytes
 * (the file, for an archive on disk) when the member lies there uncompressed, and
 * nothing (UINT64_MAX) when it was decoded; a member that is itself a compressed file
 * keeps the offsets of its own decoded stream, as any compressed file does. */
typedef struct shift {
    uint64_t by;
    bool drop;
} shift;

static jlp_code shift_offset(void *ctx, jlp_val *v) {
    const shift *sh = ctx;
    if (jlp_get_type(v) != JLP_NDARRAY || jlp__arr(v)->offset == UINT64_MAX) return JLP_OK;
    jlp__ndarray *a = jlp__arr(v);
    uint64_t off;
    a->offset = sh->drop || !jlp__add_u64(a->offset, sh->by, &off) ? UINT64_MAX : off;
    return JLP_OK;
}

static jlp_doc *place_offsets(jlp_doc *d, const jlp_archive *ar, const jlp__member *m, bool in_place,
                              jlp_error *err) {
    if (!d || strcmp(jlp_doc_container(d), "none") != 0) return d;
    shift sh = {m->offset, !in_place};
    if (jlp__walk(jlp_doc_root(d), ar->alc, shift_offset, &sh) != JLP_OK) {
        jlp_doc_free(d);
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        return NULL;
    }
    return d;
}

jlp_doc *jlp_archive_load(jlp_archive *ar, size_t i, const jlp_read_opts *opts, jlp_error *err) {
    jlp__clear(err);
    if (!ar || i >= ar->n) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "no member %zu", i);
        return NULL;
    }
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err)) return NULL;
    opts = &cfg.opts;
    const jlp__member *m = &ar->m[i];
    jlp_source *s;
    bool in_place = jlp__member_in_place(ar, i) && !(m->flags & (JLP_MEMBER_DIR | JLP_MEMBER_LINK |
                                                                  JLP_MEMBER_SPECIAL | JLP_MEMBER_UNREADABLE));
    if (in_place && opts->mmap) {
        if (ar->fmt == JLP__AR_ZIP && ar->opts.verify_mapped_crc &&
            jlp__crc32(0, ar->blob->data + m->offset, (size_t)m->size) != m->crc) {
            jlp__fail(err, JLP_E_CHECKSUM, 0, -1, "%s: CRC-32 mismatch", m->name);
            return NULL;
        }
        s = jlp_source_mem(ar->blob->data + m->offset, (size_t)m->size, ar->alc, err);
        if (s) s->mapped = root_blob(ar->blob)->kind == JLP__BLOB_MAPPED;
    } else {
        s = jlp_archive_member_source(ar, i, err);
    }
    if (!s) {
        jlp__err_prefix(err, m->name);
        return NULL;
    }
    jlp_code c;
    jlp__sniff kind = sniff_source(s, opts, err, &c);
    jlp_doc *d = NULL;
    if (c) {
        /* nothing to load */
    } else if (kind != JLP__SNIFF_NONE) {
        jlp_source_free(s);
        s = NULL;
        jlp_archive *sub = jlp_archive_open_member(ar, i, err);
        if (sub) {
            d = place_offsets(jlp_load_archive(sub, opts, err), ar, m, in_place, err);
            jlp_archive_free(sub);
        }
    } else {
        d = place_offsets(load_src(s, opts, err), ar, m, in_place, err);
        if (d && jlp__member_read_to_end(s, err)) {
            jlp_doc_free(d);
            d = NULL;
        }
        if (d && in_place && opts->mmap) jlp__doc_keep_blob(d, ar->blob);
    }
    jlp_source_free(s);
    if (!d) jlp__err_prefix(err, m->name);
    return d;
}

/* ---- what an archive holds ---------------------------------------------------------- */

static bool ends_with(const char *s, size_t n, const char *tail) {
    size_t k = strlen(tail);
    return n >= k && !memcmp(s + n - k, tail, k);
}

/* The length of `name` without a compressor's extension. */
static size_t strip_codec_ext(const char *name, size_t n) {
    static const char *const exts[] = {".z", ".gz", ".bz2", ".lzma", ".xz", ".lz4", ".zst"};
    for (size_t k = 0; k < sizeof exts / sizeof exts[0]; k++)
        if (ends_with(name, n, exts[k])) return n - strlen(exts[k]);
    return n;
}

static bool model_ext(const char *name, size_t n, bool npy) {
    static const char *const exts[] = {".joblib", ".pkl", ".pickle", ".pt", ".pth", ".bin", ".npz"};
    n = strip_codec_ext(name, n);
    for (size_t k = 0; k < sizeof exts / sizeof exts[0]; k++)
        if (ends_with(name, n, exts[k])) return true;
    return npy && ends_with(name, n, ".npy");
}

/* A member named as an archive: *.tar and *.zip (a tar optionally followed by a
 * compressor's extension), *.tgz. */
static bool archive_ext(const char *name, size_t n) {
    if (ends_with(name, n, ".tgz") || ends_with(name, n, ".zip")) return true;
    return ends_with(name, strip_codec_ext(name, n), ".tar");
}

/* A companion of joblib <= 0.9: `<main>_NN.npy` or `<main>_NN.npy.z` beside `main`. */
static bool companion_of(const jlp__member *c, const jlp__member *main) {
    size_t n = c->name_len;
    if (ends_with(c->name, n, ".z")) n -= 2;
    if (!ends_with(c->name, n, ".npy")) return false;
    n -= 4;
    size_t digits = 0;
    while (digits < n && c->name[n - 1 - digits] >= '0' && c->name[n - 1 - digits] <= '9') digits++;
    if (!digits || digits == n || c->name[n - 1 - digits] != '_') return false;
    size_t base = n - 1 - digits;
    return base == main->name_len && !memcmp(c->name, main->name, base);
}

static bool regular(const jlp__member *m) {
    return !(m->flags & (JLP_MEMBER_DIR | JLP_MEMBER_LINK | JLP_MEMBER_SPECIAL));
}

static bool has_member(const jlp_archive *ar, const char *name, size_t n) {
    for (size_t i = 0; i < ar->n; i++)
        if (ar->m[i].name_len == n && !memcmp(ar->m[i].name, name, n) && regular(&ar->m[i])) return true;
    return false;
}

/* PyTorch's reader takes the directory of the first record as the archive's prefix
 * (caffe2/serialize/inline_container.cc): @return its length (without '/'), or 0. */
static size_t torch_prefix(const jlp_archive *ar) {
    if (ar->fmt != JLP__AR_ZIP || !ar->n) return 0;
    const char *slash = memchr(ar->m[0].name, '/', ar->m[0].name_len);
    return slash ? (size_t)(slash - ar->m[0].name) : 0;
}

static bool has_record(const jlp_archive *ar, size_t plen, const char *rec) {
    char buf[512];
    size_t k = strlen(rec);
    if (plen + 1 + k >= sizeof buf) return false;
    memcpy(buf, ar->m[0].name, plen);
    buf[plen] = '/';
    memcpy(buf + plen + 1, rec, k);
    return has_member(ar, buf, plen + 1 + k);
}

jlp_archive_kind jlp_archive_kind_of(const jlp_archive *ar, size_t *model) {
    if (model) *model = SIZE_MAX;
    if (!ar) return JLP_KIND_BUNDLE;
    size_t plen = torch_prefix(ar);
    if (plen && has_record(ar, plen, "data.pkl"))
        return has_record(ar, plen, "constants.pkl") ? JLP_KIND_TORCHSCRIPT : JLP_KIND_TORCH;
    if (ar->fmt == JLP__AR_TAR && has_member(ar, "pickle", 6) && has_member(ar, "storages", 8) &&
        has_member(ar, "tensors", 7))
        return JLP_KIND_LEGACY_TORCH;
    size_t found = SIZE_MAX, count = 0, npy = 0;
    bool zip = ar->fmt == JLP__AR_ZIP;
    for (size_t i = 0; i < ar->n; i++) {
        const jlp__member *m = &ar->m[i];
        if (!regular(m)) continue;
        if (zip && ends_with(m->name, m->name_len, ".npy")) npy++;
        if (!model_ext(m->name, m->name_len, !zip)) continue;
        bool comp = false;
        for (size_t k = 0; k < ar->n && !comp; k++) comp = k != i && companion_of(m, &ar->m[k]);
        if (comp) continue;
        count++;
        found = i;
    }
    if (count == 1) {
        if (model) *model = found;
        return JLP_KIND_MODEL;
    }
    if (zip && (npy || (!count && ar->n == 0))) return JLP_KIND_NPZ;
    if (!count) {
        /* No model file at this level: a bundle wrapped once more (a tar in a zip, a
         * zip in a tar.gz) holds its model in its one nested archive, which is loaded
         * by these same rules (jlp_archive_opts.max_depth bounds the nesting). */
        for (size_t i = 0; i < ar->n; i++) {
            if (!regular(&ar->m[i]) || !archive_ext(ar->m[i].name, ar->m[i].name_len)) continue;
            count++;
            found = i;
        }
        if (count == 1) {
            if (model) *model = found;
            return JLP_KIND_MODEL;
        }
    }
    return JLP_KIND_BUNDLE;
}

/* Name the model candidates in the error of a bundle that has none or several. */
static void bundle_error(const jlp_archive *ar, jlp_error *err) {
    char list[120];
    size_t used = 0, count = 0;
    list[0] = '\0';
    for (size_t i = 0; i < ar->n; i++) {
        const jlp__member *m = &ar->m[i];
        if (!regular(m) || !model_ext(m->name, m->name_len, true)) continue;
        count++;
        int k = snprintf(list + used, sizeof list - used, "%s%.40s", used ? ", " : "", m->name);
        if (k > 0) used = used + (size_t)k < sizeof list ? used + (size_t)k : sizeof list - 1;
    }
    if (!count)
        jlp__fail(err, JLP_E_MEMBER, 0, -1, "the %s archive holds no model file (%zu entries); name a member as ARCHIVE::MEMBER",
                  jlp_archive_format(ar), ar->n);
    else
        jlp__fail(err, JLP_E_MEMBER, 0, -1, "%zu model files (%s); name one as ARCHIVE::MEMBER", count, list);
}

jlp_doc *jlp_load_archive(jlp_archive *ar, const jlp_read_opts *opts, jlp_error *err) {
    jlp__clear(err);
    if (!ar) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL archive");
        return NULL;
    }
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err)) return NULL;
    opts = &cfg.opts;
    size_t model;
    switch (jlp_archive_kind_of(ar, &model)) {
    case JLP_KIND_TORCH:
    case JLP_KIND_TORCHSCRIPT:
        return jlp__torch_load(ar, torch_prefix(ar), opts, err);
    case JLP_KIND_NPZ:
        return jlp__npz_load(ar, opts, err);
    case JLP_KIND_MODEL:
        return jlp_archive_load(ar, model, opts, err);
    case JLP_KIND_LEGACY_TORCH:
        jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "a PyTorch file in the tar format of torch < 0.4: not supported");
        return NULL;
    case JLP_KIND_BUNDLE:
    default:
        bundle_error(ar, err);
        return NULL;
    }
}

/* ---- paths and memory ---------------------------------------------------------------- */

/* The archive budgets of `opts`, with its allocator unless they name their own. */
static jlp_code archive_opts_of(const jlp_read_opts *opts, jlp_archive_opts *ao, jlp_error *err) {
    jlp_code c = jlp__archive_opts_take(ao, opts->archive, err);
    if (!c && !ao->alc) ao->alc = opts->alc;
    return c;
}

static jlp_archive *open_path(const char *path, const jlp_read_opts *opts, jlp_error *err) {
    jlp_archive_opts ao;
    if (archive_opts_of(opts, &ao, err)) return NULL;
    return jlp_archive_open_path(path, &ao, err);
}

/* Follow `a::b::c` from an open archive: @return the document of the last member. */
static jlp_doc *load_chain(jlp_archive *ar, const char *chain, const jlp_read_opts *opts, jlp_error *err) {
    char name[4096];
    jlp_archive *cur = ar, *owned = NULL;
    jlp_doc *d = NULL;
    for (;;) {
        const char *sep = strstr(chain, "::");
        size_t n = sep ? (size_t)(sep - chain) : strlen(chain);
        if (n >= sizeof name) {
            jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "member name longer than %zu bytes", sizeof name - 1);
            break;
        }
        memcpy(name, chain, n);
        name[n] = '\0';
        size_t i;
        if (jlp_archive_find(cur, name, &i, err)) break;
        if (!sep) {
            d = jlp_archive_load(cur, i, opts, err);
            break;
        }
        jlp_archive *sub = jlp_archive_open_member(cur, i, err);
        jlp_archive_free(owned);
        owned = cur = sub;
        if (!sub) break;
        chain = sep + 2;
    }
    jlp_archive_free(owned);
    return d;
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

const char *jlp_archive_detect(const void *data, size_t len, const jlp_read_opts *opts) {
    if (!data || !len) return NULL;
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, NULL)) return NULL;
    opts = &cfg.opts;
    jlp_source *s = jlp_source_mem(data, len, opts->alc, NULL);
    if (!s) return NULL;
    jlp_code c;
    jlp__sniff kind = sniff_source(s, opts, NULL, &c);
    jlp_source_free(s);
    return kind == JLP__SNIFF_ZIP ? "zip" : kind == JLP__SNIFF_TAR ? "tar" : NULL;
}

static jlp_doc *load_archive_path(const char *path, const jlp_read_opts *opts, jlp_error *err) {
    jlp_archive *ar = open_path(path, opts, err);
    if (!ar) return NULL;
    jlp_doc *d = jlp_load_archive(ar, opts, err);
    jlp_archive_free(ar);
    return d;
}

/* A regular file up to this size is read whole, in one read(), into one block that the
 * document keeps, and loaded as memory: array payloads are lent from the block as
 * jlp_load_mem lends them (the block takes the place of their own blocks, so peak
 * memory does not grow), where a streamed load reads a window and then each array
 * into its own block, one read() each. Above it a file streams: a few MiB bounds what
 * a document keeps beyond its values (the pickle's opcodes, which a streamed load
 * drops) and what one read() moves before any parsing starts. */
#define SMALL_FILE_MAX ((uint64_t)4 << 20)

typedef struct small_block {
    const jlp_alc *alc;
    size_t len;
    /* then the file's bytes, at a 64-byte aligned offset */
} small_block;

#define SMALL_BLOCK_HEAD ((size_t)64)

static void small_block_free(void *ctx) {
    small_block *b = ctx;
    if (b) jlp__free(b->alc, b, SMALL_BLOCK_HEAD + b->len);
}

/* Reads the file of path source `s` whole into a new block and turns `s` into a memory
 * source over it (its path kept for companion files). NULL, with `s` untouched, when it
 * is no regular file of 1..SMALL_FILE_MAX bytes (nor of at most max_alloc bytes, when
 * that is set), or the read fails or comes up short
 * (the streamed load then reports what it finds). */
static small_block *small_file_read(jlp_source *s, uint64_t max_alloc) {
    /* a budget below the file's size streams, so that it counts what it always counted */
    if (!s->size_hint || s->size_hint > SMALL_FILE_MAX || s->fd < 0 || (max_alloc && s->size_hint > max_alloc))
        return NULL;
    size_t n = (size_t)s->size_hint;
    small_block *b = jlp__malloc(s->alc, SMALL_BLOCK_HEAD + n);
    if (!b) return NULL;
    b->alc = s->alc;
    b->len = n;
    uint8_t *data = (uint8_t *)b + SMALL_BLOCK_HEAD;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(s->fd, data + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    if (got != n) {
        (void)lseek(s->fd, 0, SEEK_SET);
        small_block_free(b);
        return NULL;
    }
    s->pull = NULL;
    s->cur = data;
    s->end = data + n;
    s->end_off = n;
    s->at_end = true;
    s->whole_file = true;
    return b;
}

jlp_doc *jlp_load_path(const char *path, const jlp_read_opts *opts, jlp_error *err) {
    jlp__clear(err);
    if (!path) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL path");
        return NULL;
    }
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err)) return NULL;
    opts = &cfg.opts;
    /* ARCHIVE::MEMBER, unless a file of that very name exists */
    const char *sep = strstr(path, "::");
    if (sep && !is_file(path)) {
        char buf[4096];
        for (; sep; sep = strstr(sep + 2, "::")) {
            size_t n = (size_t)(sep - path);
            if (n >= sizeof buf) break;
            memcpy(buf, path, n);
            buf[n] = '\0';
            if (!is_file(buf)) continue;
            jlp_archive *ar = open_path(buf, opts, err);
            if (!ar) return NULL;
            jlp_doc *d = load_chain(ar, sep + 2, opts, err);
            jlp_archive_free(ar);
            return d;
        }
    }
    /* Archives are recognised by their first (decoded) bytes; FIFOs and the like are not
     * read twice, so they load as pickles. A copying load of what is no archive goes on
     * with the source the bytes were sniffed from (its window read, its decoder set up,
     * nothing consumed): one open and one read for a small file, where opening it again
     * cost as much as a small model's whole load. */
    if (!opts->mmap) {
        jlp_source *s = jlp_source_path(path, opts->alc, err);
        if (!s) return NULL;
        small_block *blk = small_file_read(s, opts->limits->max_alloc);
        if (blk) {
            jlp_code c;
            jlp__sniff kind = sniff_source(s, opts, err, &c);
            bool npy = !s->layer && jlp_is_npy(s->cur, jlp__src_avail(s));
            if (!c && kind == JLP__SNIFF_NONE && !npy) {
                bool lends = !s->layer; /* a decoder's output is copied, never lent */
                jlp_doc *d = jlp__load_source_pickle(s, opts, err);
                if (d && lends && !d->keep_release) {
                    d->keep_release = small_block_free;
                    d->keep_ctx = blk;
                } else {
                    small_block_free(blk);
                }
                return refuse_legacy_torch(d, err);
            }
            jlp_source_free(s);
            small_block_free(blk);
            if (!c && kind != JLP__SNIFF_NONE) return load_archive_path(path, opts, err);
            return refuse_legacy_torch(jlp__load_path_pickle(path, opts, err), err);
        }
        if (!s->size_hint)   /* not a regular file, or an empty one */
            return refuse_legacy_torch(jlp__load_source_pickle(s, opts, err), err);
        jlp_code c;
        jlp__sniff kind = sniff_source(s, opts, err, &c);
        /* (a .npy file was marked detected by the sniff: the pickle loader names it) */
        bool npy = !s->layer && jlp_is_npy(s->cur, jlp__src_avail(s));
        if (!c && kind == JLP__SNIFF_NONE && !npy)
            return refuse_legacy_torch(jlp__load_source_pickle(s, opts, err), err);
        jlp_source_free(s);
        if (!c && kind != JLP__SNIFF_NONE) return load_archive_path(path, opts, err);
        return refuse_legacy_torch(jlp__load_path_pickle(path, opts, err), err);
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        jlp_source *s = jlp_source_path(path, opts->alc, err);
        if (!s) return NULL;
        jlp_code c;
        jlp__sniff kind = sniff_source(s, opts, err, &c);
        jlp_source_free(s);
        if (!c && kind != JLP__SNIFF_NONE) return load_archive_path(path, opts, err);
    }
    return refuse_legacy_torch(jlp__load_path_pickle(path, opts, err), err);
}

jlp_doc *jlp_load_mem(const void *data, size_t len, const jlp_read_opts *opts, size_t *consumed,
                      jlp_error *err) {
    jlp__clear(err);
    if (consumed) *consumed = 0;
    jlp__read_cfg cfg;
    if (jlp__read_cfg_init(&cfg, opts, err)) return NULL;
    opts = &cfg.opts;
    if (data && len) {
        jlp_source *s = jlp_source_mem(data, len, opts->alc, err);
        if (!s) return NULL;
        jlp_code c;
        jlp__sniff kind = sniff_source(s, opts, err, &c);
        /* not an archive: the sniffed source, detection done, is loaded as it is (as
         * jlp_load_path does), rather than made and detected again: a small pickle's
         * load is mostly such fixed costs */
        bool npy = !s->layer && jlp_is_npy(s->cur, jlp__src_avail(s));
        if (!c && kind == JLP__SNIFF_NONE && !npy)
            return refuse_legacy_torch(jlp__load_mem_source_pickle(s, opts, consumed, err), err);
        jlp_source_free(s);
        if (!c && kind != JLP__SNIFF_NONE) {
            jlp_archive_opts ao;
            if (archive_opts_of(opts, &ao, err)) return NULL;
            jlp_archive *ar = jlp_archive_open_mem(data, len, &ao, err);
            if (!ar) return NULL;
            jlp_doc *d = jlp_load_archive(ar, opts, err);
            jlp_archive_free(ar);
            if (d && consumed) *consumed = len;
            return d;
        }
    }
    return refuse_legacy_torch(jlp__load_mem_pickle(data, len, opts, consumed, err), err);
}
