/*
 * fuzz_load.c - libFuzzer target: load every pickle of the input twice and compare.
 *
 *   1. From a memory source (jlp_source_mem), calling jlp_load() repeatedly while bytes
 *      remain, so one input can hold several pickles one after another.
 *   2. From a callback source (jlp_source_cb) that hands the same bytes out in small
 *      chunks whose sizes come from a hash of the input (1-byte trickles, odd sizes, an
 *      occasional large read), which drives the window refill, line scanning and
 *      stream-copy paths of the reader.
 *
 * Both loads run in lockstep. Every successful document is exported to JSON through a
 * callback writer that discards the bytes but folds them into a length and two hashes.
 * The target abort()s (the crash libFuzzer records) when the two loads disagree: success
 * vs failure, error code, opcode or offset, bytes consumed, protocol, warnings, opcode
 * count, or the exported JSON text. It also abort()s when a documented invariant breaks:
 * the document allocating more than limits.max_alloc, an error offset outside the pickle,
 * JSON that does not end in exactly one "\n", or the allocator hooks receiving a size that
 * differs from the one allocated (the jlp_alc contract), or memory left allocated after
 * every document and source was freed.
 *
 * Limits are tight but realistic (64 MiB per document, 10^6 opcodes, 1 MiB strings), so
 * a finding is something a service loading untrusted pickles with sane limits would hit.
 * A hash of the input also picks, identically for both loads, tiny limits for one input
 * in four, the py2 str mode, 0-3 out-of-band buffers, and for half of the inputs a trace
 * callback whose events (folded into a hash) must match between the two loads too; for
 * a quarter, a trace callback on the memory load only: a traced load never takes the
 * reader's fast path, so the chunked load's fast path (runs of opcodes, numpy scalar
 * runs) must give what the general loop gives. At the end of the input,
 * jlp_source_check_end() must answer alike for both sources.
 *
 * One known disagreement is tolerated unless FUZZ_LOAD_STRICT=1 is set in the
 * environment: once either load fails with a decoder integrity error (CHECKSUM, CORRUPT)
 * the input is not compared further, since where such an error surfaces depends on the
 * chunking: that is how a stream is read, not a bug. In
 * fuzz/corpus/fuzz_load/divergence-zstd-bad-checksum.zst the one-shot load fails on the
 * checksum while the chunked one completes the pickle first and meets the checksum at
 * jlp_source_check_end(); in other inputs both fail with the same code at different
 * pickle offsets.
 *
 * The same file is linked with fuzz/replay.c into build/fuzz_replay_fuzz_load (plain
 * build, used by `make check`) and with libFuzzer by fuzz/fuzz.mk.
 */
#include "jlpickle.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ALLOC ((uint64_t)64 << 20)
#define FUZZ_MAX_OPS ((uint64_t)1000000)
#define FUZZ_MAX_STR ((uint64_t)1 << 20)

/* ---- a size-checking allocator --------------------------------------------------------
 * Every block carries a 16-byte header holding its size (16 keeps the payload aligned as
 * malloc's). free/realloc must be given the size the block was allocated with. */

typedef struct fz_heap {
    uint64_t live;      /* bytes currently allocated through the hooks */
    uint64_t blocks;    /* blocks currently allocated */
} fz_heap;

#define FZ_HDR ((size_t)16)

static void fz_die(const char *what, const char *detail, unsigned long long a,
                   unsigned long long b) {
    fprintf(stderr, "fuzz_load: %s: %s (%llu vs %llu)\n", what, detail, a, b);
    abort();
}

static size_t fz_hdr_size(const void *p) {
    size_t n;
    memcpy(&n, (const unsigned char *)p - FZ_HDR, sizeof n);
    return n;
}

static void *fz_malloc(void *ctx, size_t n) {
    fz_heap *h = ctx;
    if (n > SIZE_MAX - FZ_HDR) return NULL;
    unsigned char *b = malloc(n + FZ_HDR);
    if (!b) return NULL;
    memcpy(b, &n, sizeof n);
    h->live += n;
    h->blocks++;
    return b + FZ_HDR;
}

static void fz_free(void *ctx, void *p, size_t n) {
    fz_heap *h = ctx;
    if (!p) return;
    size_t have = fz_hdr_size(p);
    if (have != n) fz_die("allocator contract", "free() given a size other than allocated",
                          (unsigned long long)n, (unsigned long long)have);
    h->live -= n;
    h->blocks--;
    free((unsigned char *)p - FZ_HDR);
}

static void *fz_realloc(void *ctx, void *p, size_t old_n, size_t n) {
    fz_heap *h = ctx;
    if (!p) {
        if (old_n != 0)
            fz_die("allocator contract", "realloc(NULL) with a nonzero old size",
                   (unsigned long long)old_n, 0);
        return fz_malloc(ctx, n);
    }
    size_t have = fz_hdr_size(p);
    if (have != old_n)
        fz_die("allocator contract", "realloc() given an old size other than allocated",
               (unsigned long long)old_n, (unsigned long long)have);
    if (n > SIZE_MAX - FZ_HDR) return NULL;
    unsigned char *b = realloc((unsigned char *)p - FZ_HDR, n + FZ_HDR);
    if (!b) return NULL;
    memcpy(b, &n, sizeof n);
    h->live = h->live - old_n + n;
    return b + FZ_HDR;
}

/* ---- the input hash and the chunked callback source ---------------------------------- */

static uint64_t fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t xorshift(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

typedef struct chunker {
    const uint8_t *p;
    size_t left;
    uint64_t rng;
    size_t max_chunk;   /* chunk sizes are 1..max_chunk */
} chunker;

static long long chunk_read(void *ctx, void *buf, size_t cap) {
    chunker *c = ctx;
    size_t k = 1 + (size_t)(xorshift(&c->rng) % c->max_chunk);
    if (k > c->left) k = c->left;
    if (k > cap) k = cap;
    if (k) memcpy(buf, c->p, k);
    c->p += k;
    c->left -= k;
    return (long long)k;
}

/* ---- the JSON sink -------------------------------------------------------------------- */

typedef struct sink {
    uint64_t len;
    uint64_t h1, h2;
    uint64_t newlines;
    int last;
} sink;

static int sink_write(void *ctx, const void *data, size_t len) {
    sink *s = ctx;
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        s->h1 = (s->h1 ^ p[i]) * 0x100000001b3ull;
        s->h2 = (s->h2 + p[i] + 1) * 0x9E3779B97F4A7C15ull;
        s->newlines += p[i] == '\n';
    }
    if (len) s->last = p[len - 1];
    s->len += len;
    return 0;
}

static void export_doc(const jlp_doc *doc, const jlp_alc *alc, sink *s) {
    memset(s, 0, sizeof *s);
    s->h1 = 0xcbf29ce484222325ull;
    s->last = -1;
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.alc = alc;
    jlp_error err;
    jlp_code c = jlp_export_json(jlp_doc_root(doc), &jo, sink_write, s, &err);
    if (c == JLP_E_UNSUPPORTED) { /* a U item above U+10FFFF: a marker stands for the text */
        memset(s, 0, sizeof *s);
        s->h1 = 0xcbf29ce484222325ull;
        s->last = -1;
        sink_write(s, "UNSUPPORTED\n", 12);
        return;
    }
    if (c != JLP_OK)
        fz_die("jlp_export_json failed", jlp_error_name(c), (unsigned long long)c, 0);
    if (s->last != '\n' || s->newlines != 1)
        fz_die("JSON export", "output must end in exactly one newline",
               (unsigned long long)s->newlines, (unsigned long long)s->len);
}

/* ---- the trace: every opcode event of a load, folded into a hash ---------------------- */

typedef struct tracer {
    uint64_t h, n;
} tracer;

static int trace_event(void *ctx, const jlp_event *ev) {
    tracer *t = ctx;
    if ((ev->opcode >= 0) != (ev->name != NULL) && ev->kind == JLP_EV_OPCODE)
        fz_die("trace", "an opcode event without its name (or a name without opcode)",
               (unsigned long long)ev->opcode, (unsigned long long)ev->offset);
    const uint64_t f[9] = {
        (uint64_t)ev->kind, ev->offset, ev->length, (uint64_t)(int64_t)ev->opcode,
        (uint64_t)ev->memo, ev->stack_depth, ev->marks, (uint64_t)(int64_t)ev->depth,
        (uint64_t)jlp_get_type(ev->value) | (uint64_t)jlp_get_type(ev->callable) << 8};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) t->h = (t->h ^ f[i]) * 0x100000001b3ull;
    t->n++;
    return 0;
}

/* ---- the target ----------------------------------------------------------------------- */

/* Out-of-band buffers for NEXT_BUFFER (PEP 574): 0 to 3 of them are supplied, chosen by
 * the input hash. The last one is the caller error the API rejects (NULL data, len > 0). */
static const uint8_t oob_bytes[48] = "out-of-band buffer bytes, borrowed by the doc.";
static const jlp_buffer oob[3] = {
    {oob_bytes, 40, 1},
    {oob_bytes + 40, 0, 0},
    {NULL, 3, 0},
};

/* The options of one input, from its hash: mostly the realistic limits; for a quarter of
 * the inputs tiny ones (so the LIMIT paths are fuzzed too; max_alloc stays, since memory
 * sources lend bytes that streamed ones must copy, which legitimately changes the
 * allocation total); the py2 str mode; the out-of-band buffers; a trace callback. The
 * alignment policy stays ALLOW: whether caller memory is aligned legitimately differs
 * between the two sources. */
static void set_opts(jlp_read_opts *o, jlp_limits *lim, const jlp_alc *alc, tracer *t, uint64_t h, int side) {
    jlp_read_opts_init(o);
    jlp_limits_init(lim);
    o->limits = lim;
    lim->max_alloc = FUZZ_MAX_ALLOC;
    lim->max_ops = FUZZ_MAX_OPS;
    lim->max_str = FUZZ_MAX_STR;
    lim->max_stack = (uint64_t)1 << 20;
    lim->max_memo = (uint64_t)1 << 20;
    if (((h >> 44) & 3) == 0) {
        lim->max_ops = 3000;
        lim->max_depth = 50;
        lim->max_stack = 300;
        lim->max_memo = 40;
        lim->max_str = 64;
        lim->max_bigint_digits = 30;
    }
    o->py2str = (jlp_py2str)((h >> 40) & 3);
    o->buffers = oob;
    o->nbuffers = (size_t)((h >> 42) & 3);
    o->alc = alc;
    /* half of the inputs run both loads with a trace callback; a quarter only the memory
     * load: a traced load never takes the reader's fast path, so the chunked load's fast
     * path is then compared with the general loop */
    if (((h >> 46) & 1) || (((h >> 47) & 1) && side == 0)) {
        o->trace = trace_event;
        o->trace_ctx = t;
    }
}

/* A failed load whose error is the decoder's integrity check of a compressed container. */
static int decoder_integrity_error(const jlp_doc *d, const jlp_error *e) {
    return !d && (e->code == JLP_E_CHECKSUM || e->code == JLP_E_CORRUPT);
}

#define DIFFER(what, a, b)                                                                  \
    do {                                                                                    \
        if ((a) != (b))                                                                     \
            fz_die("memory and chunked loads disagree", what, (unsigned long long)(a),      \
                   (unsigned long long)(b));                                                \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_heap heap_a = {0, 0}, heap_b = {0, 0};
    const jlp_alc alc_a = {fz_malloc, fz_realloc, fz_free, &heap_a};
    const jlp_alc alc_b = {fz_malloc, fz_realloc, fz_free, &heap_b};
    const char *strict_env = getenv("FUZZ_LOAD_STRICT");
    const int strict = strict_env && *strict_env && strcmp(strict_env, "0") != 0;
    uint64_t h = fnv1a(data, size);
    tracer tr_a = {0, 0}, tr_b = {0, 0};
    jlp_read_opts opts_a, opts_b;
    jlp_limits lim_a, lim_b;
    set_opts(&opts_a, &lim_a, &alc_a, &tr_a, h, 0);
    set_opts(&opts_b, &lim_b, &alc_b, &tr_b, h, 1);
    const int both_traced = opts_b.trace != NULL;

    static const size_t max_chunks[8] = {1, 1, 2, 3, 7, 16, 61, 4096};
    chunker ch = {data, size, h | 1, max_chunks[h >> 61]};

    jlp_error err;
    jlp_source *a = jlp_source_mem(data, size, &alc_a, &err);
    if (!a) fz_die("jlp_source_mem", jlp_error_name(err.code), (unsigned long long)err.code, 0);
    jlp_source *b = jlp_source_cb(chunk_read, &ch, &alc_b, &err);
    if (!b) fz_die("jlp_source_cb", jlp_error_name(err.code), (unsigned long long)err.code, 0);

    for (;;) {
        int eof_a = jlp_source_at_eof(a, NULL), eof_b = jlp_source_at_eof(b, NULL);
        DIFFER("at_eof", eof_a, eof_b);
        if (eof_a != 0) {
            /* Everything was loaded: the container end (if any) must check alike. */
            jlp_error ea, eb;
            jlp_code ca = jlp_source_check_end(a, &ea), cb = jlp_source_check_end(b, &eb);
            if (strict || !((ca == JLP_E_CHECKSUM || ca == JLP_E_CORRUPT) &&
                            (cb == JLP_E_CHECKSUM || cb == JLP_E_CORRUPT))) {
                DIFFER("check_end code", ca, cb);
                if (ca != JLP_OK) DIFFER("check_end offset", ea.offset, eb.offset);
            }
            break;
        }
        uint64_t start = jlp_source_tell(a);
        DIFFER("tell before load", start, jlp_source_tell(b));

        jlp_error ea, eb;
        jlp_doc *da = jlp_load(a, &opts_a, &ea);
        jlp_doc *db = jlp_load(b, &opts_b, &eb);
        if (!strict && (decoder_integrity_error(da, &ea) || decoder_integrity_error(db, &eb))) {
            /* By design: a compressed stream's checksum/corruption error surfaces
             * at a point that depends on how much input each decoder call saw, so the
             * two sources may disagree from here on (see
             * fuzz/corpus/fuzz_load/divergence-zstd-bad-checksum.zst). Stop
             * comparing; FUZZ_LOAD_STRICT=1 keeps comparing and aborts. */
            jlp_doc_free(da);
            jlp_doc_free(db);
            break;
        }
        DIFFER("success", da != NULL, db != NULL);
        if (both_traced) {
            DIFFER("trace events", tr_a.n, tr_b.n);
            DIFFER("trace hash", tr_a.h, tr_b.h);
        }
        if (!da) {
            DIFFER("error code", ea.code, eb.code);
            DIFFER("error offset", ea.offset, eb.offset);
            DIFFER("error opcode", ea.opcode, eb.opcode);
            if (ea.code == JLP_OK || ea.code >= JLP_E__COUNT)
                fz_die("error code out of range", jlp_error_name(ea.code),
                       (unsigned long long)ea.code, 0);
            /* offset is in the decoded stream (larger than the input for compressed
             * data), input_offset in the input itself (UINT64_MAX when unknown). */
            if (ea.offset < start || (ea.input_offset != UINT64_MAX && ea.input_offset > size))
                fz_die("error offset outside the pickle", jlp_error_name(ea.code),
                       (unsigned long long)ea.offset, (unsigned long long)ea.input_offset);
            break; /* the source position is unspecified after a failure */
        }
        uint64_t consumed = jlp_doc_consumed(da);
        DIFFER("consumed", consumed, jlp_doc_consumed(db));
        DIFFER("protocol", jlp_doc_protocol(da), jlp_doc_protocol(db));
        DIFFER("warnings", jlp_doc_warnings(da), jlp_doc_warnings(db));
        DIFFER("ops", jlp_doc_ops(da), jlp_doc_ops(db));
        if (consumed == 0 || start + consumed != jlp_source_tell(a))
            fz_die("consumed does not match the source position", "memory source",
                   (unsigned long long)consumed, (unsigned long long)jlp_source_tell(a));
        DIFFER("tell after load", jlp_source_tell(a), jlp_source_tell(b));
        if (jlp_doc_alloc_bytes(da) > FUZZ_MAX_ALLOC || jlp_doc_alloc_bytes(db) > FUZZ_MAX_ALLOC)
            fz_die("document exceeds limits.max_alloc", "alloc_bytes",
                   (unsigned long long)jlp_doc_alloc_bytes(da),
                   (unsigned long long)jlp_doc_alloc_bytes(db));
        if (!jlp_doc_root(da))
            fz_die("successful load without a root", "root", 0, 0);
        if (jlp_doc_ops(da) > lim_a.max_ops || jlp_doc_ops(da) > consumed)
            fz_die("opcode count exceeds limits.max_ops or the bytes consumed", "ops",
                   (unsigned long long)jlp_doc_ops(da), (unsigned long long)consumed);

        sink sa, sb;
        export_doc(da, &alc_a, &sa);
        export_doc(db, &alc_b, &sb);
        DIFFER("JSON length", sa.len, sb.len);
        DIFFER("JSON text (hash 1)", sa.h1, sb.h1);
        DIFFER("JSON text (hash 2)", sa.h2, sb.h2);

        jlp_doc_free(da);
        jlp_doc_free(db);
    }
    jlp_source_free(a);
    jlp_source_free(b);
    if (heap_a.live || heap_a.blocks || heap_b.live || heap_b.blocks)
        fz_die("memory left allocated after freeing everything", "bytes",
               (unsigned long long)(heap_a.live + heap_b.live),
               (unsigned long long)(heap_a.blocks + heap_b.blocks));
    return 0;
}
