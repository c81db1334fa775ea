/* alloc.c - the default allocator, the document arena and the growable byte buffer. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Blocks this large (document arena chunks, big arrays) are aligned to 2 MiB and
 * offered to the kernel for transparent huge pages: a loaded document touches all of
 * its memory once, and first-touch page faults on 4 KiB pages otherwise dominate load
 * time. */
#define HUGE_BLOCK ((size_t)2 << 20)

static void *std_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n >= HUGE_BLOCK) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE_BLOCK, n) != 0) return NULL;
#ifdef MADV_HUGEPAGE
        madvise(p, n & ~(HUGE_BLOCK - 1), MADV_HUGEPAGE);
#endif
        return p;
    }
    return malloc(n ? n : 1);
}
static void *std_realloc(void *ctx, void *p, size_t old_n, size_t n) {
    (void)ctx;
    (void)old_n;
    return realloc(p, n ? n : 1);
}
static void std_free(void *ctx, void *p, size_t n) {
    (void)ctx;
    (void)n;
    free(p);
}

static const jlp_alc default_alc = {std_malloc, std_realloc, std_free, NULL};

const jlp_alc *jlp__alc_default(void) { return &default_alc; }

/* ---- arena ---------------------------------------------------------------------------- */

struct jlp__chunk {
    jlp__chunk *next;
    size_t size;          /* bytes of this allocation, header included */
    /* 16-byte aligned payload follows */
};

#define CHUNK_HEADER ((sizeof(jlp__chunk) + 15u) & ~(size_t)15u)
/* The first chunk is small so tiny pickles cost little; chunks then double up to
 * ARENA_MAX_CHUNK so a million-node document needs only a few allocations, each large
 * enough to be backed by huge pages (see alloc.c's HUGE_BLOCK). */
#define ARENA_FIRST_CHUNK ((size_t)4096)
#define ARENA_MAX_CHUNK ((size_t)32 << 20)

void jlp__arena_init(jlp__arena *a, const jlp_alc *alc, uint64_t limit) {
    a->alc = jlp__alc_or_default(alc);
    a->head = NULL;
    a->cur = a->end = NULL;
    a->total = 0;
    a->total_ptr = &a->total;
    a->limit = limit;
    a->next_size = ARENA_FIRST_CHUNK;
}

void jlp__arena_release(jlp__arena *a) {
    jlp__chunk *c = a->head;
    while (c) {
        jlp__chunk *next = c->next;
        jlp__free(a->alc, c, c->size);
        c = next;
    }
    a->head = NULL;
    a->cur = a->end = NULL;
    a->total = 0;
}

static jlp__chunk *arena_new_chunk(jlp__arena *a, size_t payload, bool *limit_hit) {
    size_t size;
    if (!jlp__add_size(payload, CHUNK_HEADER, &size)) return NULL;
    uint64_t *total = a->total_ptr;
    if (a->limit && (size > a->limit || *total > a->limit - size)) {
        if (limit_hit) *limit_hit = true;
        return NULL;
    }
    jlp__chunk *c = jlp__malloc(a->alc, size);
    if (!c) return NULL;
    c->size = size;
    *total += size;
    return c;
}

void *jlp__arena_alloc_slow(jlp__arena *a, size_t n, bool *limit_hit) {
    size_t need = (n + 15u) & ~(size_t)15u;
    if (need < n) return NULL;
    if (need > a->next_size / 4) {
        /* A large block gets its own chunk, linked behind the head so the head keeps
         * its free space for small allocations. */
        jlp__chunk *c = arena_new_chunk(a, need, limit_hit);
        if (!c) return NULL;
        if (a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = NULL;
            a->head = c;
            a->cur = a->end = (uint8_t *)c + c->size;
        }
        return (uint8_t *)c + CHUNK_HEADER;
    }
    jlp__chunk *c = arena_new_chunk(a, a->next_size, limit_hit);
    if (!c) return NULL;
    c->next = a->head;
    a->head = c;
    a->cur = (uint8_t *)c + CHUNK_HEADER;
    a->end = (uint8_t *)c + c->size;
    if (a->next_size < ARENA_MAX_CHUNK) a->next_size *= 2;
    void *p = a->cur;
    a->cur += need;
    return p;
}

bool jlp__arena_extend(jlp__arena *a, void *p, size_t old_n, size_t new_n) {
    size_t old_need = (old_n + 15u) & ~(size_t)15u;
    size_t new_need = (new_n + 15u) & ~(size_t)15u;
    if (new_need < new_n || (uint8_t *)p + old_need != a->cur) return false;
    if (new_need <= old_need) return true;
    if ((size_t)(a->end - (uint8_t *)p) < new_need) return false;
    a->cur = (uint8_t *)p + new_need;
    return true;
}

/* ---- growable buffer ------------------------------------------------------------------ */

void jlp__buf_init(jlp__buf *b, const jlp_alc *alc) {
    b->alc = jlp__alc_or_default(alc);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}

void jlp__buf_release(jlp__buf *b) {
    jlp__free(b->alc, b->data, b->cap);
    b->data = NULL;
    b->len = b->cap = 0;
}

bool jlp__buf_reserve(jlp__buf *b, size_t extra) {
    if (b->failed) return false;
    size_t need;
    if (!jlp__add_size(b->len, extra, &need)) goto fail;
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    char *d = jlp__realloc(b->alc, b->data, b->cap, cap);
    if (!d) goto fail;
    b->data = d;
    b->cap = cap;
    return true;
fail:
    b->failed = true;
    return false;
}

void jlp__buf_printf(jlp__buf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        jlp__buf_put(b, tmp, (size_t)n);
        return;
    }
    if (!jlp__buf_reserve(b, (size_t)n + 1)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}
