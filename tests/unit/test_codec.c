/*
 * test_codec.c - container detection, every built-in decoder on good and bad streams,
 * the decompression budgets, and a codec registered at run time.
 * The compressed inputs are made here with the same system libraries. tests/run.sh runs
 * this suite once with each inflate back end (ISA-L where built in, and zlib).
 */
#include "harness.h"
#include "jlpickle_codec.h"
#include "util.h"

#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <unistd.h>

/* A small pickle: {'a': [1, 2, 3], 's': 'hello'}, protocol 2. */
static const uint8_t PK[] = {0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01, 0x5d, 0x71, 0x02, 0x28, 0x4b, 0x01, 0x4b, 0x02, 0x4b, 0x03, 0x65, 0x58, 0x01, 0x00, 0x00, 0x00, 0x73, 0x71, 0x03, 0x58, 0x05, 0x00, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x71, 0x04, 0x75, 0x2e};
#define PK_LEN (sizeof PK)
static const char *PK_JSON = "{\"a\":[1,2,3],\"s\":\"hello\"}\n";

typedef struct blob { uint8_t *p; size_t n; } blob;

static blob deflate_with(const uint8_t *in, size_t n, int wbits) {
    blob b = {malloc(n + 1024), 0};
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, 3, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = b.p;
    zs.avail_out = (uInt)(n + 1024);
    deflate(&zs, Z_FINISH);
    b.n = zs.total_out;
    deflateEnd(&zs);
    return b;
}

static blob make(const char *codec, const uint8_t *in, size_t n) {
    blob b = {NULL, 0};
    size_t cap = n + n / 2 + 4096;
    if (!strcmp(codec, "zlib")) return deflate_with(in, n, 15);
    if (!strcmp(codec, "gzip")) return deflate_with(in, n, 31);
    b.p = malloc(cap);
    if (!strcmp(codec, "bz2")) {
        unsigned out = (unsigned)cap;
        BZ2_bzBuffToBuffCompress((char *)b.p, &out, (char *)(uintptr_t)in, (unsigned)n, 9, 0, 0);
        b.n = out;
    } else if (!strcmp(codec, "xz")) {
        lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, in, n, b.p, &b.n, cap);
    } else if (!strcmp(codec, "lzma")) {
        lzma_stream ls = LZMA_STREAM_INIT;
        lzma_options_lzma opt;
        lzma_lzma_preset(&opt, 6);
        if (lzma_alone_encoder(&ls, &opt) != LZMA_OK) return b;
        ls.next_in = in;
        ls.avail_in = n;
        ls.next_out = b.p;
        ls.avail_out = cap;
        while (lzma_code(&ls, LZMA_FINISH) == LZMA_OK) {}
        b.n = cap - ls.avail_out;
        lzma_end(&ls);
    } else if (!strcmp(codec, "lz4")) {
        LZ4F_preferences_t pref;
        memset(&pref, 0, sizeof pref);
        b.n = LZ4F_compressFrame(b.p, cap, in, n, &pref);
    } else if (!strcmp(codec, "zstd")) {
        /* with a content checksum, as the zstd tool writes by default */
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
        b.n = ZSTD_compress2(cc, b.p, cap, in, n);
        ZSTD_freeCCtx(cc);
    }
    return b;
}

static const char *const CODECS[] = {"zlib", "gzip", "bz2", "lzma", "xz", "lz4", "zstd"};
#define NCODECS (sizeof CODECS / sizeof CODECS[0])

static char *load_json(const void *p, size_t n, const jlp_read_opts *o, jlp_error *err) {
    jlp_doc *d = jlp_load_mem(p, n, o, NULL, err);
    if (!d) return NULL;
    char *js = jlp_export_json_str(jlp_doc_root(d), NULL, NULL, err);
    jlp_doc_free(d);
    return js;
}

TEST(detect_each_codec) {
    for (size_t i = 0; i < NCODECS; i++) {
        blob b = make(CODECS[i], PK, PK_LEN);
        int is_pickle = -1;
        const jlp_codec *c = jlp_registry_detect(NULL, b.p, b.n, &is_pickle);
        CHECK(c != NULL);
        if (c) CHECK_STR(c->name, CODECS[i]);
        CHECK_INT(is_pickle, 0);
        free(b.p);
    }
    int is_pickle = -1;
    CHECK(jlp_registry_detect(NULL, PK, PK_LEN, &is_pickle) == NULL);
    CHECK_INT(is_pickle, 1);
    /* protocol 0 pickles start with any opcode, e.g. '(' (MARK) */
    CHECK(jlp_registry_detect(NULL, (const uint8_t *)"(lp0\n.", 6, &is_pickle) == NULL);
    CHECK_INT(is_pickle, 1);
    CHECK(jlp_registry_detect(NULL, (const uint8_t *)"\xfe\xca\x01\x02", 4, &is_pickle) == NULL);
    CHECK_INT(is_pickle, 0);
    /* ZF: the legacy container of joblib <= 0.9 */
    const uint8_t zf[] = "ZF0x1f               x\x9c";
    const jlp_codec *c = jlp_registry_detect(NULL, zf, sizeof zf - 1, &is_pickle);
    CHECK(c && !strcmp(c->name, "zf"));
}

TEST(every_codec_round_trips) {
    for (size_t i = 0; i < NCODECS; i++) {
        blob b = make(CODECS[i], PK, PK_LEN);
        jlp_error err;
        char *js = load_json(b.p, b.n, NULL, &err);
        if (!js) TH_FAIL("%s: %s: %s", CODECS[i], jlp_error_name(err.code), err.msg);
        else CHECK_STR(js, PK_JSON);
        jlp_doc *d = jlp_load_mem(b.p, b.n, NULL, NULL, &err);
        CHECK_STR(jlp_doc_container(d), CODECS[i]);
        jlp_doc_free(d);
        free(js);
        free(b.p);
    }
}

TEST(truncated_streams) {
    for (size_t i = 0; i < NCODECS; i++) {
        blob b = make(CODECS[i], PK, PK_LEN);
        /* cut in the middle, and right before the end */
        size_t cuts[2] = {b.n / 2, b.n - 1};
        for (int k = 0; k < 2; k++) {
            jlp_error err;
            jlp_doc *d = jlp_load_mem(b.p, cuts[k], NULL, NULL, &err);
            CHECK(d == NULL);
            if (err.code != JLP_E_TRUNCATED && err.code != JLP_E_CORRUPT)
                TH_FAIL("%s cut at %zu: %s (%s)", CODECS[i], cuts[k], jlp_error_name(err.code), err.msg);
            if (err.code == JLP_E_TRUNCATED) CHECK_INT(err.input_offset, cuts[k]);
            jlp_doc_free(d);
        }
        free(b.p);
    }
}

TEST(corrupt_streams) {
    for (size_t i = 0; i < NCODECS; i++) {
        blob b = make(CODECS[i], PK, PK_LEN);
        if (!strcmp(CODECS[i], "lz4")) { free(b.p); continue; } /* no checksums by default */
        /* flip a bit in the body (past every header) */
        b.p[b.n - 6] ^= 0x10;
        jlp_error err;
        jlp_doc *d = jlp_load_mem(b.p, b.n, NULL, NULL, &err);
        if (d) TH_FAIL("%s: a flipped bit loaded", CODECS[i]);
        else if (err.code != JLP_E_CORRUPT && err.code != JLP_E_CHECKSUM && err.code != JLP_E_TRUNCATED &&
                 err.code != JLP_E_BAD_OPCODE && err.code != JLP_E_TRAILING)
            TH_FAIL("%s: %s (%s)", CODECS[i], jlp_error_name(err.code), err.msg);
        jlp_doc_free(d);
        free(b.p);
    }
}

TEST(zlib_checksum_mismatch) {
    blob b = make("zlib", PK, PK_LEN);
    b.p[b.n - 1] ^= 0xFF; /* the Adler-32 trailer */
    jlp_error err;
    CHECK(jlp_load_mem(b.p, b.n, NULL, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_CHECKSUM);
    CHECK_INT(err.input_offset, b.n);
    free(b.p);
}

/* A zlib stream of PK whose literal/length code is incomplete (24 codes of 6 bits, 40 of
 * the 64 left unused), made by hand: zlib refuses it when it reads the block header
 * ("invalid literal/lengths set"; so do Python's zlib and joblib.load), ISA-L decodes it,
 * and its Adler-32 is right. The one difference between the back ends on a stream that
 * is otherwise sound (spec/errors.md); it also proves which back end ran. */
static const uint8_t INCOMPLETE_CODE[] = {
    0x78, 0x9c, 0x05, 0x80, 0x20, 0x09, 0x80, 0x54, 0xf5, 0x8b, 0xc9, 0x23, 0x1e, 0xb0, 0x18, 0x0c,
    0x82, 0x41, 0x10, 0x11, 0xa3, 0xe0, 0x74, 0x51, 0x20, 0x59, 0x00, 0x30, 0x12, 0x04, 0x00, 0x80,
    0x16, 0x40, 0x4a, 0x80, 0x30, 0x02, 0x24, 0x20, 0x02, 0x66, 0x48, 0x10, 0x00, 0x00, 0x51, 0x80,
    0x49, 0x14, 0x00, 0x00, 0x96, 0xe1, 0x38, 0x5e, 0x40, 0x24, 0x5c, 0x05, 0xe0, 0xdf, 0x09, 0xd2};

TEST(incomplete_huffman_code_by_back_end) {
    jlp_error err;
    char *js = load_json(INCOMPLETE_CODE, sizeof INCOMPLETE_CODE, NULL, &err);
    if (inflate_is_isal()) {
        if (!js) TH_FAIL("ISA-L: %s: %s", jlp_error_name(err.code), err.msg);
        else CHECK_STR(js, PK_JSON);
    } else {
        CHECK(js == NULL);
        CHECK_ERR(err, JLP_E_CORRUPT, 0);
        CHECK_INT(err.input_offset, 24);  /* zlib read the code lengths up to input byte 24 */
    }
    free(js);
}

TEST(gzip_header_fields_and_trailer_errors) {
    /* FEXTRA, FNAME, FCOMMENT and FHCRC before the deflate data (Python's gzip module
     * writes FNAME; the others are rare but legal), then damaged copies: every error as
     * zlib reports it, at the same input byte */
    blob b = make("gzip", PK, PK_LEN);
    static const uint8_t extra[] = {4, 0, 'a', 'b', 'c', 'd'};
    static const char name[] = "p.pkl", comment[] = "made by a test";
    size_t n = b.n + sizeof extra + sizeof name + sizeof comment + 2;
    uint8_t *g = malloc(n);
    memcpy(g, b.p, 10);
    g[3] = 0x04 | 0x08 | 0x10 | 0x02;
    size_t at = 10;
    memcpy(g + at, extra, sizeof extra), at += sizeof extra;
    memcpy(g + at, name, sizeof name), at += sizeof name;
    memcpy(g + at, comment, sizeof comment), at += sizeof comment;
    uint32_t hc = (uint32_t)crc32(0L, g, (uInt)at);
    g[at++] = (uint8_t)hc;
    g[at++] = (uint8_t)(hc >> 8);
    size_t body = at;
    memcpy(g + at, b.p + 10, b.n - 10);
    jlp_error err;
    char *js = load_json(g, n, NULL, &err);
    if (!js) TH_FAIL("%s: %s", jlp_error_name(err.code), err.msg);
    else CHECK_STR(js, PK_JSON);
    free(js);
    /* the header CRC */
    g[body - 1] ^= 1;
    CHECK(jlp_load_mem(g, n, NULL, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_CORRUPT, 0);
    CHECK_INT(err.input_offset, body);
    g[body - 1] ^= 1;
    /* the CRC-32, then the length: zlib checks the CRC as soon as its 4 bytes are in */
    g[n - 8] ^= 1;
    CHECK(jlp_load_mem(g, n, NULL, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_CHECKSUM, PK_LEN);
    CHECK_INT(err.input_offset, n - 4);
    CHECK(jlp_load_mem(g, n - 4, NULL, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_CHECKSUM, PK_LEN);
    CHECK_INT(err.input_offset, n - 4);
    g[n - 8] ^= 1;
    g[n - 1] ^= 1;
    CHECK(jlp_load_mem(g, n, NULL, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_CHECKSUM, PK_LEN);
    CHECK_INT(err.input_offset, n);
    free(g);
    free(b.p);
}

TEST(gzip_second_member_is_trailing) {
    blob b = make("gzip", PK, PK_LEN);
    uint8_t *two = malloc(2 * b.n);
    memcpy(two, b.p, b.n);
    memcpy(two + b.n, b.p, b.n);
    jlp_error err;
    CHECK(jlp_load_mem(two, 2 * b.n, NULL, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_TRAILING);
    CHECK_INT(err.offset, PK_LEN);
    CHECK_INT(err.input_offset, b.n);
    /* jlp_load on a source loads the first and leaves the decision to the caller */
    jlp_source *src = jlp_source_mem(two, 2 * b.n, NULL, NULL);
    jlp_doc *d = jlp_load(src, NULL, &err);
    CHECK(d != NULL);
    CHECK_INT(jlp_source_check_end(src, &err), JLP_E_TRAILING);
    jlp_doc_free(d);
    jlp_source_free(src);
    free(two);
    free(b.p);
}

static void *t_malloc(void *c, size_t n) { (void)c; return malloc(n); }
static void *t_realloc(void *c, void *p, size_t o, size_t n) { (void)c; (void)o; return realloc(p, n); }
static void t_free(void *c, void *p, size_t n) { (void)c; (void)n; free(p); }

TEST(output_full_as_the_input_ends) {
    /* The whole stream is the input; the output fills a few bytes before the end, then
     * the rest is asked for. ISA-L has by then taken the trailer into its bit buffer: the
     * decoder must still read it (it once waited for more input, and a whole file in
     * memory ended as TRUNCATED 2 bytes short). Every split of the last 40 bytes, with
     * the rest asked for 1 byte at a time or all at once, for zlib and gzip. */
    static const jlp_alc alc = {t_malloc, t_realloc, t_free, NULL};
    enum { N = 200000 };  /* (past 32 KiB: ISA-L decodes straight into the output) */
    uint8_t *src = calloc(1, N), *dst = malloc(N + 4096);
    for (size_t i = 0; i < N; i += 997) src[i] = (uint8_t)('a' + i % 26);
    src[N - 1] = '.';
    static const char *const names[] = {"zlib", "gzip"};
    for (size_t c = 0; c < 2; c++) {
        blob b = make(names[c], src, N);
        const jlp_codec *codec = jlp_registry_find(NULL, names[c]);
        CHECK(codec != NULL);
        for (size_t stop = N - 40; stop <= N; stop++) {
            for (size_t tail = 1; tail <= 4096; tail += 4095) {
                jlp_error err;
                void *st = codec->dec_new(codec, &alc, &err);
                CHECK(st != NULL);
                jlp_inbuf in = {b.p, b.n, 0};
                size_t total = 0;
                jlp_codec_status r = JLP_CODEC_MORE;
                for (int guard = 0; guard < 100000 && r == JLP_CODEC_MORE; guard++) {
                    size_t cap = total < stop ? stop - total : tail;
                    size_t before = in.pos;
                    jlp_outbuf out = {dst + total, cap, 0};
                    r = codec->dec_run(codec, st, &in, &out, &err);
                    total += out.pos;
                    if (r == JLP_CODEC_MORE && out.pos == 0 && in.pos == before) break;
                }
                if (r != JLP_CODEC_END || total != N || in.pos != b.n || memcmp(src, dst, N) != 0)
                    TH_FAIL("%s, split at %zu, then %zu: status %d, %zu of %d bytes, input %zu of %zu", names[c],
                            stop, tail, (int)r, total, N, in.pos, b.n);
                codec->dec_free(codec, st);
            }
        }
        free(b.p);
    }
    free(src);
    free(dst);
}

TEST(garbage_after_stream) {
    for (size_t i = 0; i < NCODECS; i++) {
        blob b = make(CODECS[i], PK, PK_LEN);
        uint8_t *g = malloc(b.n + 3);
        memcpy(g, b.p, b.n);
        memcpy(g + b.n, "xyz", 3);
        jlp_error err;
        CHECK(jlp_load_mem(g, b.n + 3, NULL, NULL, &err) == NULL);
        if (err.code != JLP_E_TRAILING) TH_FAIL("%s: %s", CODECS[i], jlp_error_name(err.code));
        CHECK_INT(err.input_offset, b.n);
        free(g);
        free(b.p);
    }
}

TEST(concatenated_streams_where_allowed) {
    /* bz2, xz, lz4 and zstd streams may follow one another: split the pickle in two */
    const char *multi[] = {"bz2", "xz", "lz4", "zstd"};
    for (int i = 0; i < 4; i++) {
        blob a = make(multi[i], PK, 10), b = make(multi[i], PK + 10, PK_LEN - 10);
        uint8_t *ab = malloc(a.n + b.n);
        memcpy(ab, a.p, a.n);
        memcpy(ab + a.n, b.p, b.n);
        jlp_error err;
        char *js = load_json(ab, a.n + b.n, NULL, &err);
        if (!js) TH_FAIL("%s: %s: %s", multi[i], jlp_error_name(err.code), err.msg);
        else CHECK_STR(js, PK_JSON);
        free(js);
        free(ab);
        free(a.p);
        free(b.p);
    }
}

/* An lz4 skippable frame (magic 0x184D2A5X, a length, that many bytes) between two
 * frames is skipped by python-lz4's reader (joblib) and liblz4, which read the frame
 * after it: so does the driver (it was trailing bytes, and a pickle split
 * around one was read only up to the split). A file that starts with one is not lz4. */
TEST(skippable_frames_between_frames) {
    const char *multi[] = {"lz4"};
    static const uint8_t skip[] = {0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'a', 'b', 'c',
                                   0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0};
    for (int i = 0; i < 1; i++) {
        blob a = make(multi[i], PK, 10), b = make(multi[i], PK + 10, PK_LEN - 10);
        uint8_t *ab = malloc(a.n + sizeof skip + b.n);
        memcpy(ab, a.p, a.n);
        memcpy(ab + a.n, skip, sizeof skip);
        memcpy(ab + a.n + sizeof skip, b.p, b.n);
        jlp_error err;
        char *js = load_json(ab, a.n + sizeof skip + b.n, NULL, &err);
        if (!js) TH_FAIL("%s: %s: %s", multi[i], jlp_error_name(err.code), err.msg);
        else CHECK_STR(js, PK_JSON);
        free(js);
        /* a skippable frame after the last frame ends the stream too */
        memcpy(ab + a.n, b.p, b.n);
        memcpy(ab + a.n + b.n, skip, sizeof skip);
        js = load_json(ab, a.n + sizeof skip + b.n, NULL, &err);
        if (!js) TH_FAIL("%s: %s: %s", multi[i], jlp_error_name(err.code), err.msg);
        else CHECK_STR(js, PK_JSON);
        free(js);
        free(ab);
        free(a.p);
        free(b.p);
    }
    jlp_error err;
    uint8_t head[sizeof skip + 8];
    memcpy(head, skip, sizeof skip);
    memcpy(head + sizeof skip, "\x80\x02N.", 4);
    CHECK(jlp_load_mem(head, sizeof skip + 4, NULL, NULL, &err) == NULL);
}

/* A BINBYTES8 pickle of `n` zero bytes. */
static uint8_t *zeros_pickle(size_t n, size_t *len) {
    uint8_t *p = calloc(n + 16, 1);
    memcpy(p, "\x80\x04\x8e", 3);
    for (int i = 0; i < 8; i++) p[3 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    p[11 + n] = '.';
    *len = n + 12;
    return p;
}

TEST(decoded_size_and_ratio_budgets) {
    size_t len;
    uint8_t *pk = zeros_pickle((size_t)80 << 20, &len);
    blob z = make("zstd", pk, len);
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    jlp_limits lim = JLP_LIMITS_INIT;
    o.limits = &lim;
    lim.max_decoded = 1 << 20;
    jlp_error err;
    CHECK(jlp_load_mem(z.p, z.n, &o, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_LIMIT);
    lim.max_decoded = 0;
    lim.max_ratio = 1000; /* 80 MiB of zeros compresses far better than 1000:1 */
    CHECK(jlp_load_mem(z.p, z.n, &o, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_LIMIT);
    lim.max_ratio = 0;
    jlp_doc *d = jlp_load_mem(z.p, z.n, &o, NULL, &err);
    CHECK(d != NULL);
    size_t n = 0;
    jlp_get_str(jlp_doc_root(d), &n);
    CHECK_INT(n, (size_t)80 << 20);
    jlp_doc_free(d);
    free(z.p);
    free(pk);
}

/* An .lzma header asking for a 768 MiB dictionary: liblzma allocates the dictionary
 * when it reads the header, so the decoder's memory is bounded by limits.max_alloc
 * (it was a fixed 1 GiB: 805 MB allocated under a 64 MiB budget, found by fuzz_scan).
 * With the default budget (8 GiB) the same bytes reach the decoder and fail later. */
TEST(lzma_dictionary_within_max_alloc) {
    static const uint8_t hdr[16] = {0x31, 0x00, 0x00, 0x00, 0x30, 0xe6, 0x62, 0x10,
                                    0x03, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2e};
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    jlp_limits lim = JLP_LIMITS_INIT;
    o.limits = &lim;
    lim.max_alloc = (uint64_t)64 << 20;
    jlp_error err;
    CHECK(jlp_load_mem(hdr, sizeof hdr, &o, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_LIMIT);
    CHECK_STR(err.msg, "lzma: decoder needs more memory than limits.max_alloc (or 1 GiB)");
}

/* The .lzma bidder's dictionary sizes are exactly 2^n and 2^n + 2^(n-1) for n in 12..30
 * and UINT32_MAX: every such size and its neighbours, and a million random sizes, against
 * the definition written as a loop. */
static bool lzma_dict_by_definition(uint32_t dict) {
    for (int n = 12; n <= 30; n++)
        if (dict == (1u << n) || dict == (1u << n) + (1u << (n - 1))) return true;
    return dict == UINT32_MAX;
}

TEST(lzma_bid_dictionary_sizes) {
    const jlp_codec *c = jlp_registry_find(NULL, "lzma");
    CHECK(c != NULL);
    if (!c) return;
    uint8_t h[13] = {0x5D, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    size_t agree = 0, total = 0, bids = 0;
    for (uint32_t i = 0; i < 1000000 + 32 * 2 * 5; i++) {
        uint32_t d;
        if (i < 32 * 2 * 5) {
            uint32_t base = (i / 5) % 2 ? (1u << (i / 10)) + ((1u << (i / 10)) >> 1) : 1u << (i / 10);
            d = base + (uint32_t)(i % 5) - 2;   /* base - 2 .. base + 2 */
        } else {
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
            d = (uint32_t)rng;
        }
        h[1] = (uint8_t)d; h[2] = (uint8_t)(d >> 8); h[3] = (uint8_t)(d >> 16); h[4] = (uint8_t)(d >> 24);
        bool want = lzma_dict_by_definition(d), got = c->bid(c, h, sizeof h) > 0;
        agree += want == got;
        bids += got;
        total++;
    }
    CHECK_INT(agree, total);
    /* 19 sizes of each form among the neighbours, and UINT32_MAX twice (1 - 2) */
    CHECK_INT(bids, 19 * 2 + 2);
}

/* ---- a codec registered at run time: "rot" adds `*user` to every byte after a magic --
 * The callbacks find the amount through `self->user`, so one set of functions serves
 * "rot" (adds 1) and "rot3" (adds 3, its own magic). */

static int rot_shift(const jlp_codec *self) { return *(const int *)self->user; }
static int rot_bid(const jlp_codec *self, const uint8_t *h, size_t len) {
    uint8_t magic[5] = {0xfe, 0xed, 'R', 'O', (uint8_t)('S' + rot_shift(self))};
    return len >= 5 && !memcmp(h, magic, 5) ? 40 : 0;
}
typedef struct rot { int header; int shift; } rot;
static void *rot_new(const jlp_codec *self, const jlp_alc *alc, jlp_error *err) {
    (void)alc;
    (void)err;
    rot *r = calloc(1, sizeof(rot));
    if (r) r->shift = rot_shift(self);
    return r;
}
static jlp_codec_status rot_run(const jlp_codec *self, void *st, jlp_inbuf *in, jlp_outbuf *out,
                                jlp_error *err) {
    (void)err;
    rot *r = st;
    if (r->shift != rot_shift(self)) return JLP_CODEC_ERROR; /* self is the codec of the state */
    const uint8_t *src = in->src;
    uint8_t *dst = out->dst;
    while (r->header < 5 && in->pos < in->size) { in->pos++; r->header++; }
    while (in->pos < in->size && out->pos < out->size) {
        uint8_t c = src[in->pos++];
        if (c == 0xFF) return JLP_CODEC_END; /* end marker */
        dst[out->pos++] = (uint8_t)(c - r->shift);
    }
    return JLP_CODEC_MORE;
}
static void rot_free(const jlp_codec *self, void *st) {
    (void)self;
    free(st);
}

static const int ONE = 1, THREE = 3;
static const jlp_codec ROT = {.abi_version = JLP_CODEC_ABI_VERSION, .name = "rot", .extensions = ".rot",
                              .bid_bytes = 5, .bid = rot_bid, .dec_new = rot_new, .dec_run = rot_run,
                              .dec_free = rot_free, .user = (void *)(uintptr_t)&ONE};

/* PK shifted by `shift` behind the magic of that shift, then the end marker. */
static void rot_encode(uint8_t *enc, int shift) {
    memcpy(enc, "\xfe\xedRO", 4);
    enc[4] = (uint8_t)('S' + shift);
    for (size_t i = 0; i < PK_LEN; i++) enc[5 + i] = (uint8_t)(PK[i] + shift);
    enc[5 + PK_LEN] = 0xFF;
}

TEST(user_codec) {
    uint8_t enc[5 + PK_LEN + 1];
    rot_encode(enc, 1);
    jlp_error err;
    /* unknown to the built-in registry */
    CHECK(jlp_load_mem(enc, sizeof enc, NULL, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_UNKNOWN_FORMAT, 0);
    jlp_registry *reg = jlp_registry_new(NULL);
    CHECK_INT(jlp_registry_add(reg, &ROT, &err), JLP_OK);
    CHECK(jlp_registry_find(reg, "rot") == &ROT);
    CHECK_INT(jlp_registry_count(reg), jlp_registry_count(NULL) + 1);
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.registry = reg;
    char *js = load_json(enc, sizeof enc, &o, &err);
    if (!js) TH_FAIL("%s: %s", jlp_error_name(err.code), err.msg);
    else CHECK_STR(js, PK_JSON);
    free(js);
    /* the default registry is immutable */
    CHECK_INT(jlp_registry_add((jlp_registry *)(uintptr_t)jlp_registry_default(), &ROT, &err), JLP_E_INVALID_ARG);
    jlp_codec bad = ROT;
    bad.abi_version = 99;
    CHECK_INT(jlp_registry_add(reg, &bad, &err), JLP_E_INVALID_ARG);
    bad.abi_version = 1; /* callbacks without self: no longer accepted */
    CHECK_INT(jlp_registry_add(reg, &bad, &err), JLP_E_INVALID_ARG);
    bad = ROT;
    bad.enc_free = rot_free; /* an encoder only partly set */
    CHECK_INT(jlp_registry_add(reg, &bad, &err), JLP_E_INVALID_ARG);
    jlp_registry_free(reg);
}

TEST(codec_callbacks_reach_their_own_codec) {
    /* two codecs, one set of callbacks: each finds its shift through self->user */
    jlp_codec rot3 = ROT;
    rot3.name = "rot3";
    rot3.user = (void *)(uintptr_t)&THREE;
    jlp_registry *reg = jlp_registry_new(NULL);
    jlp_error err;
    CHECK_INT(jlp_registry_add(reg, &ROT, &err), JLP_OK);
    CHECK_INT(jlp_registry_add(reg, &rot3, &err), JLP_OK);
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.registry = reg;
    for (int shift = 1; shift <= 3; shift += 2) {
        uint8_t enc[5 + PK_LEN + 1];
        rot_encode(enc, shift);
        char *js = load_json(enc, sizeof enc, &o, &err);
        if (!js) TH_FAIL("shift %d: %s: %s", shift, jlp_error_name(err.code), err.msg);
        else CHECK_STR(js, PK_JSON);
        free(js);
        jlp_doc *d = jlp_load_mem(enc, sizeof enc, &o, NULL, &err);
        CHECK_STR(jlp_doc_container(d), shift == 1 ? "rot" : "rot3");
        jlp_doc_free(d);
    }
    jlp_registry_free(reg);
}

TEST(codec_compiled_out_is_named) {
    /* a codec that bids but has no decoder, as a codec missing from a build */
    jlp_codec absent = ROT;
    absent.name = "rot";
    absent.dec_new = NULL;
    absent.dec_run = NULL;
    absent.dec_free = NULL;
    jlp_registry *reg = jlp_registry_new(NULL);
    jlp_error err;
    CHECK_INT(jlp_registry_add(reg, &absent, &err), JLP_OK);
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.registry = reg;
    CHECK(jlp_load_mem("\xfe\xedROT\x81\x03", 6, &o, NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_CODEC_MISSING, 0);
    CHECK(strstr(err.msg, "rot") != NULL);
    jlp_registry_free(reg);
}

TEST(streamed_compressed_input) {
    /* the same decoders behind a pipe-like callback source */
    for (size_t i = 0; i < NCODECS; i++) {
        blob b = make(CODECS[i], PK, PK_LEN);
        int fds[2];
        CHECK(pipe(fds) == 0);
        CHECK(write(fds[1], b.p, b.n) == (ssize_t)b.n);
        close(fds[1]);
        jlp_error err;
        jlp_doc *d = jlp_load_fd(fds[0], NULL, &err);
        close(fds[0]);
        if (!d) TH_FAIL("%s from a pipe: %s: %s", CODECS[i], jlp_error_name(err.code), err.msg);
        jlp_doc_free(d);
        free(b.p);
    }
}
