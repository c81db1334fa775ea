/*
 * test_pdeflate.c - the parallel zlib/gzip encoder (libjlpickle/codec/deflate_parallel.c, used
 * when enc_new gets threads > 1): round trips of many sizes through zlib's own inflate,
 * fed in whole and in pieces into output buffers large and tiny; header bytes equal to
 * zlib's; sizes close to the single-threaded stream; files written and read back by the
 * library; allocation failures at every allocation and a failing worker surfacing as
 * errors without hangs or leaks. JLP_QUICK=1 (valgrind passes) uses 2 MiB instead of the
 * 10 MiB round trips.
 */
#include "harness.h"
#include "jlpickle_codec.h"

#include <unistd.h>
#include <zlib.h>

/* Must match PD_BLOCK / PD_DICT in libjlpickle/codec/deflate_parallel.c. */
#define BLOCK ((size_t)128 << 10)
#define DICT ((size_t)32 << 10)

/* deflate.c's testing hook: the worker given this block fails; -1 never. */
extern long long jlp__pdeflate_test_fail_block;

/* ---- a counting allocator that can fail the n-th allocation ---------------------------- */

typedef struct counting {
    long long allocs, fail_at;   /* fail_at: index of the allocation that fails, -1 none */
    long long live;              /* allocations not yet freed */
    size_t bytes;                /* bytes not yet freed */
    int size_mismatch;
} counting;

static void *c_malloc(void *ctx, size_t n) {
    counting *c = ctx;
    if (c->allocs++ == c->fail_at) return NULL;
    size_t *p = malloc(n + 16);
    if (!p) return NULL;
    p[0] = n;
    c->live++;
    c->bytes += n;
    return p + 2;
}
static void c_free(void *ctx, void *ptr, size_t n) {
    counting *c = ctx;
    if (!ptr) return;
    size_t *p = (size_t *)ptr - 2;
    if (p[0] != n) c->size_mismatch = 1;
    c->live--;
    c->bytes -= p[0];
    free(p);
}
static void *c_realloc(void *ctx, void *ptr, size_t old_n, size_t n) {
    void *q = c_malloc(ctx, n);
    if (!q) return NULL;
    if (ptr) {
        memcpy(q, ptr, old_n < n ? old_n : n);
        c_free(ctx, ptr, old_n);
    }
    return q;
}

/* ---- data -------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* kind 0: random bytes; 1: compressible (text-like runs of a small alphabet, with
 * repeats at all distances, so matches cross block boundaries). */
static uint8_t *make_data(size_t n, int kind) {
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        if (kind == 0) p[i] = (uint8_t)rnd();
        else if (i >= 1000 && rnd() % 4 == 0) p[i] = p[i - 1 - rnd() % 999];
        else p[i] = (uint8_t)("abcdefgh \n"[rnd() % 10]);
    }
    return p;
}

/* ---- encode through the codec ABI ----------------------------------------------------- */

typedef struct outb { uint8_t *p; size_t n, cap; } outb;

static void out_put(outb *o, const void *p, size_t n) {
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2 + 64;
        o->p = realloc(o->p, o->cap);
    }
    memcpy(o->p + o->n, p, n);
    o->n += n;
}

/* Compress `in` with codec `name`. in_step: bytes given per enc_run call before finish
 * (0: all at once); out_step: size of the output buffer per call. @return status of the
 * last call (JLP_CODEC_END on success); *o gets the stream. */
static jlp_codec_status encode(const char *name, const jlp_alc *alc, int level, int threads,
                               const uint8_t *in, size_t n, size_t in_step, size_t out_step,
                               outb *o, jlp_error *err) {
    const jlp_codec *c = jlp_registry_find(NULL, name);
    memset(o, 0, sizeof *o);
    void *st = c->enc_new(c, alc, level, threads, err);
    if (!st) return JLP_CODEC_ERROR;
    uint8_t *buf = malloc(out_step);
    size_t fed = 0;
    jlp_codec_status r = JLP_CODEC_MORE;
    long guard = 0;
    for (;;) {
        size_t chunk = in_step ? (n - fed < in_step ? n - fed : in_step) : n - fed;
        int finish = fed + chunk == n;
        jlp_inbuf ib = {in + fed, chunk, 0};
        for (;;) {
            jlp_outbuf ob = {buf, out_step, 0};
            r = c->enc_run(c, st, &ib, &ob, finish, err);
            out_put(o, buf, ob.pos);
            if (r != JLP_CODEC_MORE) break;
            if (!finish && ib.pos == ib.size && ob.pos < ob.size) break;
            if (++guard > 100000000L) { r = JLP_CODEC_ERROR; break; }
        }
        fed += ib.pos;
        if (r != JLP_CODEC_MORE || finish) break;
    }
    free(buf);
    c->enc_free(c, st);
    return r;
}

/* inflate `z` (wbits 15 zlib, 31 gzip): must end exactly at the end and equal `want`. */
static int inflate_equals(const outb *z, int wbits, const uint8_t *want, size_t n) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, wbits) != Z_OK) return 0;
    uint8_t *got = malloc(n + 1);
    zs.next_in = z->p;
    zs.avail_in = (uInt)z->n;
    zs.next_out = got;
    zs.avail_out = (uInt)(n + 1);
    int r = inflate(&zs, Z_FINISH);
    int ok = r == Z_STREAM_END && zs.avail_in == 0 && zs.total_out == n && !memcmp(got, want, n);
    if (!ok)
        fprintf(stderr, "    inflate: %d (%s), in left %u, out %lu of %zu\n", r, zs.msg ? zs.msg : "",
                zs.avail_in, zs.total_out, n);
    inflateEnd(&zs);
    free(got);
    return ok;
}

static void round_trip(const char *name, int threads, const uint8_t *in, size_t n, size_t in_step,
                       size_t out_step) {
    counting cnt = {0, -1, 0, 0, 0};
    jlp_alc alc = {c_malloc, c_realloc, c_free, &cnt};
    outb o;
    jlp_error err;
    jlp_codec_status r = encode(name, &alc, 3, threads, in, n, in_step, out_step, &o, &err);
    if (r != JLP_CODEC_END) TH_FAIL("%s threads %d size %zu: status %d (%s)", name, threads, n, r, err.msg);
    else if (!inflate_equals(&o, strcmp(name, "gzip") ? 15 : 31, in, n))
        TH_FAIL("%s threads %d size %zu (in step %zu, out step %zu): does not inflate back", name, threads,
                n, in_step, out_step);
    if (cnt.live || cnt.bytes || cnt.size_mismatch)
        TH_FAIL("%s threads %d size %zu: %lld allocations (%zu bytes) leaked, size mismatch %d", name,
                threads, n, cnt.live, cnt.bytes, cnt.size_mismatch);
    free(o.p);
}

static const char *const WRAPS[] = {"zlib", "gzip"};

TEST(round_trip_sizes_around_block_boundaries) {
    /* 10 slots for 4 threads, 6 for 2: 12 blocks wraps the ring of both */
    const size_t sizes[] = {0, 1, 2, 100, DICT - 1, DICT, DICT + 1, BLOCK - 1, BLOCK, BLOCK + 1,
                            2 * BLOCK - 1, 2 * BLOCK, 2 * BLOCK + 1, 6 * BLOCK, 11 * BLOCK + 1,
                            12 * BLOCK, 13 * BLOCK - 1};
    uint8_t *data = make_data(13 * BLOCK, 1);
    for (int w = 0; w < 2; w++)
        for (int threads = 2; threads <= 4; threads += 2)
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
                round_trip(WRAPS[w], threads, data, sizes[i], 0, 256 << 10);
    free(data);
}

TEST(round_trip_ten_mib_random_and_compressible) {
    /* JLP_QUICK=1 (valgrind passes): 2 MiB, still 16 blocks and every ring slot reused */
    const char *quick = getenv("JLP_QUICK");
    size_t n = (size_t)(quick && *quick && strcmp(quick, "0") ? 2 : 10) << 20;
    for (int kind = 0; kind < 2; kind++) {
        uint8_t *data = make_data(n, kind);
        for (int w = 0; w < 2; w++)
            for (int threads = 2; threads <= 4; threads += 2) round_trip(WRAPS[w], threads, data, n, 0, 256 << 10);
        free(data);
    }
}

TEST(round_trip_fed_in_pieces_into_small_outputs) {
    /* partial input many times, then finish; output buffers down to one byte */
    const size_t steps[][2] = {{1, 1 << 20}, {7, 13}, {1000, 1}, {BLOCK - 1, 100}, {BLOCK, 4096},
                               {BLOCK + 1, 1 << 16}, {300 << 10, 3}, {5 << 20, 256 << 10}};
    size_t sizes[] = {0, 1, BLOCK, 3 * BLOCK + 17};
    uint8_t *data = make_data((size_t)3 << 20, 1);
    for (int w = 0; w < 2; w++)
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++)
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                if (steps[s][0] == 1 && sizes[i] > BLOCK) continue; /* slow and adds nothing */
                round_trip(WRAPS[w], 2 + (int)(s % 2) * 2, data, sizes[i], steps[s][0], steps[s][1]);
            }
    /* a few MiB in odd pieces into odd outputs */
    round_trip("gzip", 3, data, (size_t)3 << 20, 77777, 5555);
    round_trip("zlib", 3, data, (size_t)3 << 20, 77777, 5555);
    free(data);
}

TEST(headers_equal_zlibs_and_size_close_to_one_thread) {
    size_t n = (size_t)1 << 20;
    uint8_t *data = make_data(n, 1);
    for (int w = 0; w < 2; w++)
        for (int level = 1; level <= 9; level++) {
            outb one, par;
            jlp_error err;
            CHECK_INT(encode(WRAPS[w], NULL, level, 1, data, n, 0, 1 << 20, &one, &err), JLP_CODEC_END);
            CHECK_INT(encode(WRAPS[w], NULL, level, 2, data, n, 0, 1 << 20, &par, &err), JLP_CODEC_END);
            size_t hl = w ? 10 : 2;
            if (one.n < hl || par.n < hl || memcmp(one.p, par.p, hl))
                TH_FAIL("%s level %d: header differs from zlib's", WRAPS[w], level);
            /* trailers are equal too: same checksum and length */
            size_t tl = w ? 8 : 4;
            if (one.n >= tl && par.n >= tl && memcmp(one.p + one.n - tl, par.p + par.n - tl, tl))
                TH_FAIL("%s level %d: trailer differs", WRAPS[w], level);
            double ratio = (double)par.n / (double)one.n;
            if (ratio > 1.01 || ratio < 0.97)
                TH_FAIL("%s level %d: %zu bytes with 2 threads vs %zu with one", WRAPS[w], level, par.n, one.n);
            free(one.p);
            free(par.p);
        }
    free(data);
}

/* ---- through the library: write files, read them back --------------------------------- */

static jlp_val *make_doc(jlp_doc *d, double *arr, size_t count) {
    jlp_val *root = jlp_new_dict(d);
    jlp_error err;
    uint64_t shape[1] = {count};
    jlp_val *dt = jlp_new_dtype(d, "<f8", &err);
    jlp_val *a = jlp_new_array(d, dt, 1, shape, 'C', arr, count * sizeof(double), JLP_BORROW, &err);
    jlp_dict_set_str(d, root, "x", a);
    jlp_val *lst = jlp_new_list(d);
    for (int i = 0; i < 1000; i++) jlp_list_append(d, lst, jlp_new_int(d, i * 7));
    jlp_dict_set_str(d, root, "l", lst);
    jlp_dict_set_str(d, root, "s", jlp_new_strz(d, "hello"));
    return root;
}

static int same_doc(const jlp_val *root, const double *arr, size_t count) {
    jlp_val *x = jlp_dict_get(root, "x");
    jlp_array_info info = JLP_ARRAY_INFO_INIT;
    if (!x || !jlp_array_get(x, &info) || info.count != count) return 0;
    if (memcmp(info.data, arr, count * sizeof(double))) return 0;
    jlp_val *l = jlp_dict_get(root, "l");
    if (!l || jlp_len(l) != 1000 || jlp_get_int(jlp_item(l, 999)) != 999 * 7) return 0;
    return jlp_str_eq(jlp_dict_get(root, "s"), "hello");
}

TEST(joblib_files_written_with_threads_load_back) {
    size_t count = ((size_t)3 << 20) / sizeof(double) + 5;
    double *arr = malloc(count * sizeof(double));
    for (size_t i = 0; i < count; i++) arr[i] = (double)(i % 1000) * 0.5;
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_val *root = make_doc(d, arr, count);
    char dir[] = "/tmp/jlp-pdeflate-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    static const char *const exts[] = {".z", ".gz"};
    for (int w = 0; w < 2; w++)
        for (int threads = 1; threads <= 4; threads++) {
            char path[256];
            snprintf(path, sizeof path, "%s/t%d%s", dir, threads, exts[w]);
            jlp_write_opts o = JLP_WRITE_OPTS_INIT;
            o.threads = threads;
            jlp_error err;
            CHECK_INT(jlp_dump_path(root, path, &o, &err), JLP_OK);
            jlp_doc *back = jlp_load_path(path, NULL, &err);
            if (!back) {
                TH_FAIL("%s: %s", path, err.msg);
                continue;
            }
            CHECK_STR(jlp_doc_container(back), WRAPS[w]);
            CHECK_STR(jlp_doc_generation(back), "G2");
            CHECK(same_doc(jlp_doc_root(back), arr, count));
            jlp_doc_free(back);
            /* and in memory, with the library's own allocator hooks counting */
            counting cnt = {0, -1, 0, 0, 0};
            jlp_alc alc = {c_malloc, c_realloc, c_free, &cnt};
            o.alc = &alc;
            o.codec = WRAPS[w];
            void *out;
            size_t len;
            CHECK_INT(jlp_dump_mem(root, &o, &out, &len, &err), JLP_OK);
            CHECK(cnt.live == 0 && cnt.bytes == 0 && !cnt.size_mismatch);
            back = jlp_load_mem(out, len, NULL, NULL, &err);
            CHECK(back && same_doc(jlp_doc_root(back), arr, count));
            jlp_doc_free(back);
            free(out);
            unlink(path);
        }
    rmdir(dir);
    jlp_doc_free(d);
    free(arr);
}

/* ---- errors -------------------------------------------------------------------------------- */

TEST(allocation_failure_at_every_allocation_of_enc_new) {
    for (int w = 0; w < 2; w++)
        for (int threads = 2; threads <= 4; threads += 2) {
            const jlp_codec *c = jlp_registry_find(NULL, WRAPS[w]);
            long long k = 0;
            for (;; k++) {
                counting cnt = {0, k, 0, 0, 0};
                jlp_alc alc = {c_malloc, c_realloc, c_free, &cnt};
                jlp_error err;
                memset(&err, 0, sizeof err);
                void *st = c->enc_new(c, &alc, 3, threads, &err);
                if (st) {
                    /* every allocation succeeded: use it once, free it */
                    uint8_t data[1000], buf[4096];
                    memset(data, 'a', sizeof data);
                    jlp_inbuf ib = {data, sizeof data, 0};
                    jlp_codec_status r;
                    do {
                        jlp_outbuf ob = {buf, sizeof buf, 0};
                        r = c->enc_run(c, st, &ib, &ob, 1, &err);
                    } while (r == JLP_CODEC_MORE);
                    CHECK_INT(r, JLP_CODEC_END);
                    c->enc_free(c, st);
                    CHECK(cnt.live == 0 && cnt.bytes == 0 && !cnt.size_mismatch);
                    break;
                }
                if (err.code != JLP_E_NOMEM) TH_FAIL("allocation %lld: %s (%s)", k, jlp_error_name(err.code), err.msg);
                if (cnt.live || cnt.bytes || cnt.size_mismatch)
                    TH_FAIL("%s threads %d, failing allocation %lld: %lld blocks leaked", WRAPS[w], threads, k, cnt.live);
                if (k > 1000) {
                    TH_FAIL("enc_new never succeeds");
                    break;
                }
            }
            CHECK(k > 5); /* the slots, the states, the threads' table... were all tried */
        }
}

TEST(a_failing_worker_is_an_error_without_hang_or_leak) {
    size_t n = (size_t)3 << 20;
    uint8_t *data = make_data(n, 1);
    const long long fail_blocks[] = {0, 1, 7, 23};     /* 24 blocks in all: 23 is the last */
    for (int w = 0; w < 2; w++)
        for (size_t f = 0; f < sizeof fail_blocks / sizeof fail_blocks[0]; f++)
            for (int threads = 2; threads <= 4; threads += 2) {
                jlp__pdeflate_test_fail_block = fail_blocks[f];
                counting cnt = {0, -1, 0, 0, 0};
                jlp_alc alc = {c_malloc, c_realloc, c_free, &cnt};
                outb o;
                jlp_error err;
                memset(&err, 0, sizeof err);
                /* fed in pieces: the failure shows up in a call without finish or with it */
                jlp_codec_status r = encode(WRAPS[w], &alc, 3, threads, data, n, 200000, 65536, &o, &err);
                CHECK_INT(r, JLP_CODEC_ERROR);
                CHECK_INT(err.code, JLP_E_CORRUPT);
                CHECK(strstr(err.msg, "worker failed") != NULL);
                CHECK(cnt.live == 0 && cnt.bytes == 0);
                free(o.p);
            }
    /* through the writer: the dump fails with the error, nothing leaks, no file is left */
    jlp__pdeflate_test_fail_block = 3;
    size_t count = n / sizeof(double);
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_val *root = make_doc(d, (double *)(void *)data, count);
    counting cnt = {0, -1, 0, 0, 0};
    jlp_alc alc = {c_malloc, c_realloc, c_free, &cnt};
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.codec = "gzip";
    o.threads = 2;
    o.alc = &alc;
    void *out = NULL;
    size_t len = 0;
    jlp_error err;
    CHECK_INT(jlp_dump_mem(root, &o, &out, &len, &err), JLP_E_CORRUPT);
    CHECK(out == NULL);
    CHECK(cnt.live == 0 && cnt.bytes == 0);
    jlp__pdeflate_test_fail_block = -1;
    jlp_doc_free(d);
    free(data);
}

TEST(freed_mid_stream_and_failing_target) {
    size_t n = (size_t)2 << 20;
    uint8_t *data = make_data(n, 0);
    const jlp_codec *c = jlp_registry_find(NULL, "zlib");
    for (int threads = 2; threads <= 4; threads += 2) {
        counting cnt = {0, -1, 0, 0, 0};
        jlp_alc alc = {c_malloc, c_realloc, c_free, &cnt};
        jlp_error err;
        void *st = c->enc_new(c, &alc, 3, threads, &err);
        CHECK(st != NULL);
        if (!st) continue;
        uint8_t buf[1000];
        jlp_inbuf ib = {data, n, 0};
        jlp_outbuf ob = {buf, sizeof buf, 0};
        /* blocks are queued; output is never collected; then the encoder goes away */
        while (ib.pos < ib.size) {
            ob.pos = 0;
            if (c->enc_run(c, st, &ib, &ob, 0, &err) != JLP_CODEC_MORE) break;
        }
        c->enc_free(c, st);
        CHECK(cnt.live == 0 && cnt.bytes == 0);
    }
    /* a level zlib refuses, and a huge thread count (capped) */
    jlp_error err;
    CHECK(c->enc_new(c, NULL, 10, 2, &err) == NULL);
    CHECK_INT(err.code, JLP_E_INVALID_ARG);
    void *st = c->enc_new(c, NULL, 1, 1 << 20, &err);
    CHECK(st != NULL);
    if (st) c->enc_free(c, st);
    free(data);
}

/* A write callback that fails after `left` bytes. */
static int fail_after(void *ctx, const void *p, size_t n) {
    (void)p;
    size_t *left = ctx;
    if (n > *left) return -1;
    *left -= n;
    return 0;
}

TEST(write_failure_while_workers_run) {
    size_t count = ((size_t)4 << 20) / sizeof(double);
    double *arr = malloc(count * sizeof(double));
    for (size_t i = 0; i < count; i++) arr[i] = (double)(rnd() % 100000);
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_val *root = make_doc(d, arr, count);
    const size_t cuts[] = {0, 1, 1000, 300000, 1500000};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        counting cnt = {0, -1, 0, 0, 0};
        jlp_alc alc = {c_malloc, c_realloc, c_free, &cnt};
        jlp_write_opts o = JLP_WRITE_OPTS_INIT;
        o.codec = "zlib";
        o.threads = 4;
        o.alc = &alc;
        size_t left = cuts[i];
        jlp_error err;
        CHECK_INT(jlp_dump_cb(root, fail_after, &left, &o, &err), JLP_E_IO);
        CHECK(cnt.live == 0 && cnt.bytes == 0);
    }
    jlp_doc_free(d);
    free(arr);
}
