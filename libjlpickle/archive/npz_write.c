/*
 * npz_write.c - writing .npz files as numpy.savez (stored) and numpy.savez_compressed
 * (deflated) write them: one member `<key>.npy` per array, each the bytes
 * jlp_dump_npy_* writes, in a plain zip that Python's zipfile (numpy.load) reads.
 *
 * Differences that do not change what numpy.load reads: the date of every member is
 * 1980-01-01 (numpy uses the clock; a fixed date makes the output reproducible), zip64
 * records are written only when a size or offset needs them (numpy forces a zip64
 * local record on every member), and a stored member carries an alignment extra field
 * (0xD935, the convention of Android's zipalign) so that its data starts at a multiple
 * of 64 bytes in the file: the array inside (whose .npy header numpy pads to 64 bytes)
 * is then aligned for any dtype when the file is mapped.
 */
#include "archive.h"

#include "../io/sink.h"
#include "../numpy/numpy.h"

#include <stdlib.h>

#ifdef JLP_HAVE_ZLIB
#include <zlib.h>
#endif

/* Data offsets of stored members are padded to this (see above). */
#define NPZ_ALIGN 64u
#define ZIP64_LIMIT 0xFFFFFFFFu

typedef struct npz_entry {
    char *name;           /* "<key>.npy", malloc()ed */
    size_t name_len;
    uint32_t crc;
    uint64_t csize, usize, lho;
    uint16_t method;
} npz_entry;

typedef struct npz_writer {
    jlp__sink *s;
    uint64_t pos;         /* bytes of the zip written */
    npz_entry *e;
    size_t n;
    int compress;
    jlp_error *err;
} npz_writer;

static void put(npz_writer *w, const void *p, size_t n) {
    jlp__sink_write(w->s, p, n);
    w->pos += n;
}
static void put16(npz_writer *w, uint32_t v) {
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(w, b, 2);
}
static void put32(npz_writer *w, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(w, b, 4);
}
static void put64(npz_writer *w, uint64_t v) {
    put32(w, (uint32_t)v);
    put32(w, (uint32_t)(v >> 32));
}

static uint32_t clamp32(uint64_t v) { return v >= ZIP64_LIMIT ? ZIP64_LIMIT : (uint32_t)v; }

/* DOS time 00:00, date 1980-01-01 */
#define DOS_TIME 0u
#define DOS_DATE 0x21u

static void local_header(npz_writer *w, const npz_entry *e) {
    bool z64 = e->usize >= ZIP64_LIMIT || e->csize >= ZIP64_LIMIT;
    size_t xlen = z64 ? 20 : 0;
    size_t pad = 0;
    if (e->method == 0) {
        /* the alignment record: id, size, alignment, then zero padding */
        uint64_t data = w->pos + 30 + e->name_len + xlen + 6;
        pad = (size_t)((NPZ_ALIGN - data % NPZ_ALIGN) % NPZ_ALIGN);
        xlen += 6 + pad;
    }
    put32(w, 0x04034b50);
    put16(w, z64 ? 45 : 20);
    put16(w, 0x0800);        /* names are UTF-8 */
    put16(w, e->method);
    put16(w, DOS_TIME);
    put16(w, DOS_DATE);
    put32(w, e->crc);
    put32(w, z64 ? ZIP64_LIMIT : (uint32_t)e->csize);
    put32(w, z64 ? ZIP64_LIMIT : (uint32_t)e->usize);
    put16(w, (uint32_t)e->name_len);
    put16(w, (uint32_t)xlen);
    put(w, e->name, e->name_len);
    if (z64) {
        put16(w, 0x0001);
        put16(w, 16);
        put64(w, e->usize);
        put64(w, e->csize);
    }
    if (e->method == 0) {
        static const uint8_t zeros[NPZ_ALIGN] = {0};
        put16(w, 0xD935);
        put16(w, (uint32_t)(2 + pad));
        put16(w, NPZ_ALIGN);
        put(w, zeros, pad);
    }
}

/* The member's .npy bytes: for stored numeric arrays the header and the array's own bytes
 * (no copy), otherwise jlp_dump_npy_mem's buffer. */
typedef struct npy_bytes {
    jlp__buf head;
    const uint8_t *data;
    size_t data_len;
    void *owned;
} npy_bytes;

static jlp_code npy_of(const jlp_val *v, const jlp_alc *alc, npy_bytes *b, jlp_error *err) {
    memset(b, 0, sizeof *b);
    jlp__buf_init(&b->head, alc);
    if (v->type == JLP_NDARRAY && !jlp__arr(v)->objects) {
        jlp_code c = jlp__npy_write_header(&b->head, v, err);
        if (c) return c;
        if (b->head.failed) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        const jlp__ndarray *a = jlp__arr(v);
        if (a->nbytes > SIZE_MAX) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "array too large for this machine");
        b->data = a->data;
        b->data_len = (size_t)a->nbytes;
        return JLP_OK;
    }
    size_t len = 0;
    jlp_code c = jlp_dump_npy_mem(v, &b->owned, &len, err);
    if (c) return c;
    b->data = b->owned;
    b->data_len = len;
    return JLP_OK;
}

static void npy_release(npy_bytes *b) {
    jlp__buf_release(&b->head);
    free(b->owned);
}

#ifdef JLP_HAVE_ZLIB
/* Raw deflate (zip method 8) of the two parts into a new malloc()ed buffer, at zlib's
 * default level, as zipfile.ZIP_DEFLATED writes. */
static jlp_code deflate_parts(const npy_bytes *b, uint8_t **out, uint64_t *out_len, jlp_error *err) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return jlp__fail(err, JLP_E_NOMEM, 0, -1, "deflate: cannot start");
    size_t cap = 4096 + (b->head.len + b->data_len) / 2, len = 0;
    uint8_t *buf = malloc(cap);
    const uint8_t *parts[2] = {(const uint8_t *)b->head.data, b->data};
    size_t sizes[2] = {b->head.len, b->data_len};
    jlp_code c = buf ? JLP_OK : jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
    for (int k = 0; k < 2 && !c; k++) {
        const uint8_t *p = parts[k];
        size_t left = sizes[k];
        int flush = Z_NO_FLUSH;
        do {
            uInt in = left > (1u << 30) ? 1u << 30 : (uInt)left;
            z.next_in = (Bytef *)(uintptr_t)p;
            z.avail_in = in;
            p += in;
            left -= in;
            flush = k == 1 && !left ? Z_FINISH : Z_NO_FLUSH;
            int r;
            do {
                if (cap - len < 65536) {
                    size_t ncap = cap * 2;
                    uint8_t *nb = realloc(buf, ncap);
                    if (!nb) { c = jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory"); break; }
                    buf = nb;
                    cap = ncap;
                }
                z.next_out = buf + len;
                z.avail_out = (uInt)(cap - len > (1u << 30) ? 1u << 30 : cap - len);
                uInt before = z.avail_out;
                r = deflate(&z, flush);
                len += before - z.avail_out;
                if (r == Z_STREAM_ERROR) { c = jlp__fail(err, JLP_E_CORRUPT, 0, -1, "deflate failed"); break; }
            } while (!c && (z.avail_in || (flush == Z_FINISH && r != Z_STREAM_END)));
        } while (!c && left);
    }
    deflateEnd(&z);
    if (c) {
        free(buf);
        return c;
    }
    *out = buf;
    *out_len = len;
    return JLP_OK;
}
#endif

static jlp_code add_member(npz_writer *w, const char *key, size_t key_len, const jlp_val *v) {
    if (v->type != JLP_NDARRAY && v->type != JLP_SCALAR)
        return jlp__fail(w->err, JLP_E_UNSUPPORTED, w->pos, -1, "npz: \"%.*s\" is %s, not an array",
                         (int)(key_len > 60 ? 60 : key_len), key, jlp__a_type(v));
    npz_entry *e = &w->e[w->n];
    memset(e, 0, sizeof *e);
    e->name = malloc(key_len + 5);
    if (!e->name) return jlp__fail(w->err, JLP_E_NOMEM, w->pos, -1, "out of memory");
    memcpy(e->name, key, key_len);
    memcpy(e->name + key_len, ".npy", 5);
    e->name_len = key_len + 4;
    w->n++;
    npy_bytes b;
    jlp_code c = npy_of(v, w->s->alc, &b, w->err);
    if (c) {
        npy_release(&b);
        return c;
    }
    e->usize = (uint64_t)b.head.len + b.data_len;
    e->crc = jlp__crc32(jlp__crc32(0, b.head.data ? b.head.data : "", b.head.len), b.data ? b.data : (const uint8_t *)"",
                        b.data_len);
    e->lho = w->pos;
    if (w->compress) {
#ifdef JLP_HAVE_ZLIB
        uint8_t *z = NULL;
        c = deflate_parts(&b, &z, &e->csize, w->err);
        if (!c) {
            e->method = 8;
            local_header(w, e);
            put(w, z, (size_t)e->csize);
        }
        free(z);
#else
        c = jlp__fail(w->err, JLP_E_CODEC_MISSING, w->pos, -1, "npz: compressed members need zlib, which this build lacks");
#endif
    } else {
        e->method = 0;
        e->csize = e->usize;
        local_header(w, e);
        put(w, b.head.data, b.head.len);
        put(w, b.data, b.data_len);
    }
    npy_release(&b);
    return c;
}

static void central_directory(npz_writer *w) {
    uint64_t cd = w->pos;
    for (size_t i = 0; i < w->n; i++) {
        const npz_entry *e = &w->e[i];
        bool z64u = e->usize >= ZIP64_LIMIT, z64c = e->csize >= ZIP64_LIMIT, z64o = e->lho >= ZIP64_LIMIT;
        uint32_t xlen = (z64u ? 8 : 0) + (z64c ? 8 : 0) + (z64o ? 8 : 0);
        put32(w, 0x02014b50);
        put16(w, 0x0300 | 45);  /* made by Unix, zip 4.5 */
        put16(w, xlen ? 45 : 20);
        put16(w, 0x0800);
        put16(w, e->method);
        put16(w, DOS_TIME);
        put16(w, DOS_DATE);
        put32(w, e->crc);
        put32(w, clamp32(e->csize));
        put32(w, clamp32(e->usize));
        put16(w, (uint32_t)e->name_len);
        put16(w, xlen ? xlen + 4 : 0);
        put16(w, 0);
        put16(w, 0);
        put16(w, 0);
        put32(w, 0100644u << 16);   /* a regular file, rw-r--r-- */
        put32(w, clamp32(e->lho));
        put(w, e->name, e->name_len);
        if (xlen) {
            put16(w, 0x0001);
            put16(w, xlen);
            if (z64u) put64(w, e->usize);
            if (z64c) put64(w, e->csize);
            if (z64o) put64(w, e->lho);
        }
    }
    uint64_t cd_size = w->pos - cd;
    bool z64 = w->n >= 0xFFFF || cd >= ZIP64_LIMIT || cd_size >= ZIP64_LIMIT;
    if (z64) {
        uint64_t at = w->pos;
        put32(w, 0x06064b50);
        put64(w, 44);
        put16(w, 0x0300 | 45);
        put16(w, 45);
        put32(w, 0);
        put32(w, 0);
        put64(w, w->n);
        put64(w, w->n);
        put64(w, cd_size);
        put64(w, cd);
        put32(w, 0x07064b50);
        put32(w, 0);
        put64(w, at);
        put32(w, 1);
    }
    put32(w, 0x06054b50);
    put16(w, 0);
    put16(w, 0);
    put16(w, z64 ? 0xFFFF : (uint32_t)w->n);
    put16(w, z64 ? 0xFFFF : (uint32_t)w->n);
    put32(w, z64 ? ZIP64_LIMIT : (uint32_t)cd_size);
    put32(w, z64 ? ZIP64_LIMIT : (uint32_t)cd);
    put16(w, 0);
}

typedef struct npz_job {
    const jlp_val *arrays;
    int compress;
} npz_job;

/* What holds the arrays: the value itself, an OrderedDict() call's items (a PyTorch
 * state dict), or NULL for a lone array. */
static const jlp_val *arrays_of(const jlp_val *v) {
    if (jlp_get_type(v) == JLP_OBJECT && jlp_global_is(jlp_obj_callable(v), "collections", "OrderedDict") &&
        jlp_obj_get_kind(v) == JLP_OBJ_REDUCE && jlp_len(jlp_obj_args(v)) == 0 && !jlp_obj_items(v))
        return jlp_obj_dictitems(v) ? jlp_obj_dictitems(v) : jlp_obj_args(v);
    jlp_type t = jlp_get_type(v);
    return t == JLP_DICT || t == JLP_LIST || t == JLP_TUPLE ? v : NULL;
}

static jlp_code npz_body(jlp__sink *s, const void *ctx, jlp_error *err) {
    const npz_job *job = ctx;
    const jlp_val *v = arrays_of(job->arrays);
    bool dict = jlp_get_type(v) == JLP_DICT;
    size_t n = v ? jlp_len(v) : 1;
    npz_writer w = {s, 0, NULL, 0, job->compress, err};
    w.e = calloc(n ? n : 1, sizeof *w.e);
    if (!w.e) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
    jlp_code c = JLP_OK;
    for (size_t i = 0; i < n && !c; i++) {
        char key[32];
        const char *k = key;
        size_t klen;
        if (dict) {
            k = jlp_get_str(jlp_dict_key(v, i), &klen);
            /* savez(**kwds) takes the keys as they are and appends ".npy" */
            if (jlp_get_type(jlp_dict_key(v, i)) != JLP_STR || !klen) {
                c = jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "npz: key %zu is not a non-empty str", i);
                break;
            }
            for (size_t j = 0; j < i && !c; j++) {
                size_t jl;
                const char *kj = jlp_get_str(jlp_dict_key(v, j), &jl);
                if (jl == klen && !memcmp(kj, k, klen))
                    c = jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "npz: key \"%.*s\" twice", (int)(klen > 60 ? 60 : klen), k);
            }
            if (c) break;
        } else {
            klen = (size_t)snprintf(key, sizeof key, "arr_%zu", i); /* savez(*args) names */
        }
        c = add_member(&w, k, klen, dict ? jlp_dict_value(v, i) : v ? jlp_item(v, i) : job->arrays);
    }
    if (!c) central_directory(&w);
    for (size_t i = 0; i < w.n; i++) free(w.e[i].name);
    free(w.e);
    return c;
}

static jlp_code npz_arg(const jlp_val *arrays, jlp_error *err) {
    if (!arrays) return jlp__null_value(err); /* a failed lookup's error is kept */
    jlp__clear(err);
    jlp_type t = jlp_get_type(arrays);
    if (!arrays_of(arrays) && t != JLP_NDARRAY && t != JLP_SCALAR)
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1,
                         "an .npz file is written from a dict, list or tuple of arrays, or an array");
    return JLP_OK;
}

jlp_code jlp_dump_npz_path(const jlp_val *arrays, const char *path, int compress, jlp_error *err) {
    jlp_code c = npz_arg(arrays, err);
    if (c) return c;
    if (!path || !*path) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL or empty path");
    npz_job job = {arrays, compress};
    return jlp__dump_body_path(npz_body, &job, path, err);
}

jlp_code jlp_dump_npz_cb(const jlp_val *arrays, int compress, jlp_write_fn fn, void *ctx, jlp_error *err) {
    jlp_code c = npz_arg(arrays, err);
    if (c) return c;
    if (!fn) return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL callback");
    npz_job job = {arrays, compress};
    return jlp__dump_body_cb(npz_body, &job, fn, ctx, err);
}

jlp_code jlp_dump_npz_mem(const jlp_val *arrays, int compress, void **out, size_t *len, jlp_error *err) {
    jlp_code c = npz_arg(arrays, err);
    if (!out) return c ? c : jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL output pointer");
    *out = NULL;
    if (len) *len = 0;
    if (c) return c;
    npz_job job = {arrays, compress};
    return jlp__dump_body_mem(npz_body, &job, out, len, err);
}
