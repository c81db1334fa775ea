/*
 * common.h - internal helpers shared by every part of libjlpickle: error reporting,
 * the allocator and arena, checked size arithmetic and bounds-checked byte readers.
 * Nothing here is part of the public ABI.
 *
 * common/ is the lowest layer: it uses nothing else of the library (the layers, lowest
 * first: common, codec, io, value, numpy, pickle, archive and scan, load/dump; each may
 * use only its own and lower ones, which tests/layers/check.sh enforces).
 */
#ifndef JLP_COMMON_H
#define JLP_COMMON_H

#include "../jlpickle.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#if defined(__GNUC__)
#  define JLP_LIKELY(x) __builtin_expect(!!(x), 1)
#  define JLP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define JLP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define JLP_LIKELY(x) (x)
#  define JLP_UNLIKELY(x) (x)
#  define JLP_PRINTF(f, a)
#endif

/* ---- errors -------------------------------------------------------------------------- */

/** Fill `err` (may be NULL) and return `code`. `offset` is the decoded-stream offset;
 *  input_offset is set equal to it (container layers overwrite it). */
jlp_code jlp__fail(jlp_error *err, jlp_code code, uint64_t offset, int opcode,
                   const char *fmt, ...) JLP_PRINTF(5, 6);
/** Reset `err` (may be NULL) to JLP_OK. */
void jlp__clear(jlp_error *err);
/** What a call does with a NULL value where it reads one (jlpickle.h section 2: a NULL
 *  value after a failed lookup): an error `err` already holds is the lookup's, kept as
 *  it is. @return its code; else INVALID_ARG "NULL value" (also for a NULL err). */
jlp_code jlp__null_value(jlp_error *err);
/** @return "an" or "a": the article of `word` in a message ("an int", "an ndarray",
 *  "a uint64", "a <f8 array"). */
const char *jlp__an(const char *word);
/** @return `path`, or its last 80 bytes when longer, to name a file in a message that
 *  must fit jlp_error.msg. */
const char *jlp__path_tail(const char *path);

/* ---- allocation ---------------------------------------------------------------------- */

/** @return the default allocator: malloc for small blocks, huge-page mappings for
 *  large ones (freed with munmap, so sizes given to free/realloc must be exact). */
const jlp_alc *jlp__alc_default(void);
/** @return plain malloc/realloc/free, for buffers callers release with free(). */
const jlp_alc *jlp__alc_malloc(void);
static inline const jlp_alc *jlp__alc_or_default(const jlp_alc *a) {
    return a ? a : jlp__alc_default();
}
static inline void *jlp__malloc(const jlp_alc *a, size_t n) { return a->malloc(a->ctx, n); }
static inline void *jlp__realloc(const jlp_alc *a, void *p, size_t old_n, size_t n) {
    return a->realloc(a->ctx, p, old_n, n);
}
static inline void jlp__free(const jlp_alc *a, void *p, size_t n) {
    if (p) a->free(a->ctx, p, n);
}

/* ---- checked size arithmetic --------------------------------------------------------- */

/** *out = a + b; @return false on overflow. */
static inline bool jlp__add_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_add_overflow(a, b, out);
}
static inline bool jlp__mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool jlp__add_size(size_t a, size_t b, size_t *out) {
    return !__builtin_add_overflow(a, b, out);
}
static inline bool jlp__mul_size(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}

/* ---- little/big-endian readers (callers have checked the bounds) --------------------- */

static inline uint16_t jlp__le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t jlp__le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static inline uint64_t jlp__le64(const uint8_t *p) {
    return (uint64_t)jlp__le32(p) | ((uint64_t)jlp__le32(p + 4) << 32);
}
/* Written out byte by byte (not as a loop) so that compilers see one load and one byte
 * swap: the loop form stayed a loop of eight loads at -O2, a third of a float's load. */
static inline uint64_t jlp__be64(const uint8_t *p) {
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
           ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
           ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}
/* The 8 bytes of v, most significant first, at p (one byte-swapped store). */
static inline void jlp__put_be64(uint8_t *p, uint64_t v) {
    p[0] = (uint8_t)(v >> 56);
    p[1] = (uint8_t)(v >> 48);
    p[2] = (uint8_t)(v >> 40);
    p[3] = (uint8_t)(v >> 32);
    p[4] = (uint8_t)(v >> 24);
    p[5] = (uint8_t)(v >> 16);
    p[6] = (uint8_t)(v >> 8);
    p[7] = (uint8_t)v;
}

/* ---- arena ----------------------------------------------------------------------------
 * A document's memory: a chain of chunks, bump-allocated, freed all at once. Freeing a
 * document is therefore a walk over chunks, never over the (possibly cyclic, possibly
 * deep) value graph. Large requests get a chunk of their own so they waste nothing. */

typedef struct jlp__chunk jlp__chunk;

typedef struct jlp__arena {
    const jlp_alc *alc;
    jlp__chunk *head;     /* chunk being bumped */
    uint8_t *cur, *end;   /* free space in head */
    uint64_t total;       /* bytes obtained from the allocator */
    uint64_t *total_ptr;  /* the budget counted against `limit` (&total, or shared
                             between the arenas of one document) */
    uint64_t limit;       /* 0 = none */
    size_t next_size;     /* size of the next regular chunk (grows geometrically) */
    uint8_t *slab_cur, *slab_end; /* free space of the slab that large blocks are cut
                                     from one after another (alloc.c), or NULL */
} jlp__arena;

void jlp__arena_init(jlp__arena *a, const jlp_alc *alc, uint64_t limit);
/** jlp__arena_init with a first chunk of `first_chunk` bytes (header included) instead of
 *  the default 1 KiB; chunks then grow as from a default arena's second one when it is
 *  2 KiB, as from its first otherwise. */
void jlp__arena_init_first(jlp__arena *a, const jlp_alc *alc, uint64_t limit, size_t first_chunk);
/** Give the empty arena `a` the `n` bytes at `p` (16-byte aligned, a multiple of 16,
 *  owned by another arena that outlives it) as its free space: its first allocations
 *  come from there, and releasing `a` does not free them. */
void jlp__arena_lend(jlp__arena *a, void *p, size_t n);
void jlp__arena_release(jlp__arena *a);
/** @return `n` bytes aligned to 16, or NULL when the allocator fails or the limit would
 *  be exceeded (*limit_hit set to true in that case when non-NULL). */
void *jlp__arena_alloc_slow(jlp__arena *a, size_t n, bool *limit_hit);
static inline void *jlp__arena_alloc(jlp__arena *a, size_t n, bool *limit_hit) {
    size_t need = (n + 15u) & ~(size_t)15u;
    if (JLP_LIKELY(need >= n && (size_t)(a->end - a->cur) >= need)) {
        void *p = a->cur;
        a->cur += need;
        return p;
    }
    return jlp__arena_alloc_slow(a, n, limit_hit);
}
/** A large block filled as data arrives: made with room for `n` bytes, grown with
 *  jlp__arena_block_grow (realloc: a mapped block moves without copying), then either
 *  kept by the arena (freed with it) or dropped. Counted against the arena's limit. */
void *jlp__arena_block_new(jlp__arena *a, size_t n, bool *limit_hit);
void *jlp__arena_block_grow(jlp__arena *a, void *p, size_t n, bool *limit_hit);
void jlp__arena_block_keep(jlp__arena *a, void *p);
void jlp__arena_block_drop(jlp__arena *a, void *p);

/** Grow the most recent allocation `p` of `old_n` bytes to `new_n` in place if it sits at
 *  the top of the current chunk. @return true on success. */
bool jlp__arena_extend(jlp__arena *a, void *p, size_t old_n, size_t new_n);

/* ---- growable byte buffer (malloc-backed, for exporters and tools) ------------------- */

typedef struct jlp__buf {
    const jlp_alc *alc;
    char *data;
    size_t len, cap;
    bool failed;          /* sticky: an allocation failed */
} jlp__buf;

void jlp__buf_init(jlp__buf *b, const jlp_alc *alc);
void jlp__buf_release(jlp__buf *b);
bool jlp__buf_reserve(jlp__buf *b, size_t extra);
static inline void jlp__buf_put(jlp__buf *b, const void *p, size_t n) {
    if (!n) return;
    if (JLP_UNLIKELY(b->cap - b->len < n) && !jlp__buf_reserve(b, n)) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}
/** A hint that *p will be read soon (GCC and clang; nothing elsewhere). */
static inline void jlp__prefetch(const void *p) {
#if defined(__GNUC__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}

static inline void jlp__buf_putc(jlp__buf *b, char c) {
    if (JLP_UNLIKELY(b->cap == b->len) && !jlp__buf_reserve(b, 1)) return;
    b->data[b->len++] = c;
}
static inline void jlp__buf_puts(jlp__buf *b, const char *s) { jlp__buf_put(b, s, strlen(s)); }
void jlp__buf_printf(jlp__buf *b, const char *fmt, ...) JLP_PRINTF(2, 3);

/* ---- text ---------------------------------------------------------------------------- */

/** Validate UTF-8 as Python's "surrogatepass" decoder accepts it: well-formed sequences,
 *  shortest form, code points up to U+10FFFF, surrogates U+D800..U+DFFF allowed.
 *  @return the length of the valid prefix (== n when valid). */
size_t jlp__utf8_valid_prefix(const uint8_t *s, size_t n);
/** Append the UTF-8 (surrogatepass) encoding of code point `cp` (<= 0x10FFFF) to `out`.
 *  @return bytes written (1..4). Inline: text decoders call it once a character. */
static inline size_t jlp__utf8_put(uint8_t *out, uint32_t cp) {
    if (cp < 0x80) { out[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}
/** The first bytes of valid UTF-8 text `s` of `n` bytes as Latin-1, 16 at a time where the
 *  CPU has SSSE3 (x86-64), for protocol 2's bytes (`_codecs.encode(text, 'latin1')`).
 *  Writes one byte per code point to `out` (room for n bytes; bytes past the result may be
 *  written too) and stops at least 16 bytes before the end, at a sequence boundary.
 *  @return the input bytes consumed (*out_n: the bytes written, *max_byte: the largest
 *  input byte seen, above 0xC3 when a code point was past U+00FF); 0 where the CPU has no
 *  such instructions, the caller going on byte by byte. Thread-safe. */
size_t jlp__latin1_from_utf8_wide(uint8_t *out, const uint8_t *s, size_t n, size_t *out_n,
                                  unsigned *max_byte);

#endif /* JLP_COMMON_H */
