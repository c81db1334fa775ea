/* alloc.c - the default allocator, the document arena and the growable byte buffer. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* mremap */
#endif
#include "common.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Blocks this large (arena chunks, array payloads, big buffers) are mapped directly,
 * aligned to 2 MiB and offered to the kernel for transparent huge pages: a loaded
 * document touches all of its memory once, and first-touch page faults on 4 KiB pages
 * otherwise dominate load time. Mapped blocks grow with mremap, without copying.
 * jlp_alc hands the size to free and realloc, which is what makes munmap possible. */
#define HUGE_BLOCK ((size_t)2 << 20)

static size_t map_len(size_t n) { return (n + 4095u) & ~(size_t)4095u; }

/* The whole block is advised: a mapping split into parts with different flags could
 * no longer be grown by mremap. */
static void advise(void *p, size_t len) {
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);
#else
    (void)p;
    (void)len;
#endif
}

static void *map_block(size_t n) {
    size_t len = map_len(n);
    /* over-map by 2 MiB and trim, so the block starts on a huge page boundary */
    size_t span = len + HUGE_BLOCK;
    uint8_t *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    uint8_t *p = (uint8_t *)(((uintptr_t)raw + HUGE_BLOCK - 1) & ~(uintptr_t)(HUGE_BLOCK - 1));
    if (p > raw) munmap(raw, (size_t)(p - raw));
    size_t tail = (size_t)(raw + span - (p + len));
    if (tail) munmap(p + len, tail);
    advise(p, len);
    return p;
}

/* Freed mapped blocks up to MAP_KEEP_MAX are kept, MAP_KEEP_BYTES in all, for the next
 * mapped block they can hold, as glibc keeps freed memory below its trim threshold: the
 * arrays of a model (a Gaussian process's 18 MB factor, k-neighbours' 8 MB tree data) and
 * the big arena chunks are mapped afresh by every load, and a fresh mapping is zeroed and
 * faulted in page by page by the kernel, which made a warm load of a 17 MB model cost
 * twice the read() of its file. A kept block is taken by the smallest request it holds
 * (best fit; its tail beyond the request is unmapped, so the block ends where its size
 * says); a request that no kept block holds first unmaps every kept block, so a process
 * never maps more at once than it would without them. A kept block's mapped length is in
 * its first word. The slots are atomic pointers, as below; map_keep_len is only a hint
 * for choosing (the length is read again from the block once its slot is emptied). */
#define MAP_KEEP_SLOTS 4
#define MAP_KEEP_MAX ((size_t)32 << 20)
#define MAP_KEEP_BYTES ((size_t)32 << 20)

static _Atomic(void *) map_keep[MAP_KEEP_SLOTS];
static atomic_size_t map_keep_len[MAP_KEEP_SLOTS];
static atomic_size_t map_keep_bytes;

static void map_unkeep_all(void) {
    for (size_t k = 0; k < MAP_KEEP_SLOTS; k++) {
        void *p = atomic_exchange(&map_keep[k], NULL);
        if (!p) continue;
        size_t len;
        memcpy(&len, p, sizeof len);
        atomic_fetch_sub(&map_keep_bytes, len);
        munmap(p, len);
    }
}

/* A kept block of len bytes (page multiple), or NULL. */
static void *map_take(size_t len) {
    for (;;) {
        size_t best = MAP_KEEP_SLOTS, best_len = 0;
        for (size_t k = 0; k < MAP_KEEP_SLOTS; k++) {
            size_t l = atomic_load(&map_keep_len[k]);
            if (atomic_load(&map_keep[k]) && l >= len && (best == MAP_KEEP_SLOTS || l < best_len)) {
                best = k;
                best_len = l;
            }
        }
        if (best == MAP_KEEP_SLOTS) {
            map_unkeep_all();
            return NULL;
        }
        uint8_t *p = atomic_exchange(&map_keep[best], NULL);
        if (!p) continue; /* another thread took it */
        size_t have;
        memcpy(&have, p, sizeof have);
        atomic_fetch_sub(&map_keep_bytes, have);
        if (have < len) { /* the hint was stale */
            munmap(p, have);
            continue;
        }
        if (have > len) munmap(p + len, have - len);
        return p;
    }
}

/* Keep the freed mapped block p of len bytes, or unmap it. */
static void map_release(void *p, size_t len) {
    if (len <= MAP_KEEP_MAX && atomic_fetch_add(&map_keep_bytes, len) + len <= MAP_KEEP_BYTES) {
        memcpy(p, &len, sizeof len);
        for (size_t k = 0; k < MAP_KEEP_SLOTS; k++) {
            void *none = NULL;
            if (atomic_load(&map_keep[k])) continue;
            atomic_store(&map_keep_len[k], len);
            if (atomic_compare_exchange_strong(&map_keep[k], &none, p)) return;
        }
        atomic_fetch_sub(&map_keep_bytes, len);
    } else if (len <= MAP_KEEP_MAX) {
        atomic_fetch_sub(&map_keep_bytes, len);
    }
    munmap(p, len);
}

/* Freed blocks from CACHE_MIN up to HUGE_BLOCK are kept for the next allocation of the
 * same size class instead of going back to malloc. A document frees all of its memory at
 * once: glibc then finds more than its trim threshold free at the top of its heap and
 * returns it to the kernel, so every load of the same model faulted the same fresh pages
 * in again (about 1.5 us per 4 KiB page on a VM: a 1.4 MiB model spent three quarters of
 * its load time in page faults). Kept blocks stay resident; CACHE_BYTES bounds them.
 * Sizes in the range are rounded up to a class (a quarter of the size's power of two), so
 * free knows a block's capacity from the size the caller hands back, and a block of one
 * class serves any size of that class. The slots are atomic pointers, without a lock: a
 * process that forks while another thread allocates cannot inherit a held lock. */
#define CACHE_MIN ((size_t)64 << 10)
#define CACHE_CLASSES 21 /* 64 KiB, 80, 96, 112, 128, 160, ... 1.75 MiB, 2 MiB */
#define CACHE_PER_CLASS 4
#define CACHE_BYTES ((size_t)8 << 20)

static _Atomic(void *) cache_slot[CACHE_CLASSES][CACHE_PER_CLASS];
static atomic_size_t cache_bytes;
static atomic_uint cache_evict_at;

static bool cached_size(size_t n) { return n >= CACHE_MIN && n < HUGE_BLOCK; }

/* The capacity of the class of n (n in the cached range): n rounded up to a quarter of
 * its highest power of two. */
static size_t class_cap(size_t n) {
    size_t top = CACHE_MIN;
    while (top <= n / 2) top *= 2;
    size_t step = top / 4;
    return (n + step - 1) & ~(step - 1);
}

/* The slot row of a class capacity. */
static size_t class_index(size_t cap) {
    size_t top = CACHE_MIN, log = 0;
    while (top <= cap / 2) {
        top *= 2;
        log++;
    }
    return 4 * log + (cap - top) / (top / 4);
}

static size_t cap_of_index(size_t i) { return (CACHE_MIN << (i / 4)) / 4 * (4 + i % 4); }

static void *cache_take(size_t cap) {
    _Atomic(void *) *row = cache_slot[class_index(cap)];
    for (size_t k = 0; k < CACHE_PER_CLASS; k++) {
        void *p = atomic_exchange(&row[k], NULL);
        if (p) {
            atomic_fetch_sub(&cache_bytes, cap);
            return p;
        }
    }
    return NULL;
}

/* Free one kept block, of another class than the one being kept, so that the classes of
 * documents no longer loaded do not hold the budget for ever. */
static void cache_evict_one(size_t except) {
    unsigned at = atomic_fetch_add(&cache_evict_at, 1);
    for (size_t j = 0; j < CACHE_CLASSES * CACHE_PER_CLASS; j++) {
        size_t s = (at + j) % (CACHE_CLASSES * CACHE_PER_CLASS), i = s / CACHE_PER_CLASS;
        if (i == except) continue;
        void *p = atomic_exchange(&cache_slot[i][s % CACHE_PER_CLASS], NULL);
        if (p) {
            atomic_fetch_sub(&cache_bytes, cap_of_index(i));
            free(p);
            return;
        }
    }
}

/* Keep p (capacity cap) if its class has a free slot and the budget allows. */
static void cache_put(void *p, size_t cap) {
    size_t i = class_index(cap);
    if (atomic_fetch_add(&cache_bytes, cap) + cap > CACHE_BYTES) {
        atomic_fetch_sub(&cache_bytes, cap);
        cache_evict_one(i);
        free(p);
        return;
    }
    for (size_t k = 0; k < CACHE_PER_CLASS; k++) {
        void *none = NULL;
        if (atomic_compare_exchange_strong(&cache_slot[i][k], &none, p)) return;
    }
    atomic_fetch_sub(&cache_bytes, cap);
    free(p);
}

static void *std_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n >= HUGE_BLOCK) {
        void *p = map_take(map_len(n));
        return p ? p : map_block(n);
    }
    if (cached_size(n)) {
        size_t cap = class_cap(n);
        void *p = cache_take(cap);
        return p ? p : malloc(cap);
    }
    return malloc(n ? n : 1);
}

static void std_free(void *ctx, void *p, size_t n) {
    (void)ctx;
    if (!p) return;
    if (n >= HUGE_BLOCK) map_release(p, map_len(n));
    else if (cached_size(n)) cache_put(p, class_cap(n));
    else free(p);
}

static void *std_realloc(void *ctx, void *p, size_t old_n, size_t n) {
    if (!p) return std_malloc(ctx, n);
#ifdef MREMAP_MAYMOVE
    if (old_n >= HUGE_BLOCK && n >= HUGE_BLOCK) {
        void *q = mremap(p, map_len(old_n), map_len(n), MREMAP_MAYMOVE);
        if (q == MAP_FAILED) return NULL;
        advise(q, map_len(n));
        return q;
    }
#endif
    if (old_n < HUGE_BLOCK && n < HUGE_BLOCK) {
        /* a block in the cached range has its class's capacity: realloc to that */
        size_t cap = cached_size(n) ? class_cap(n) : (n ? n : 1);
        if (cached_size(old_n) && cap == class_cap(old_n)) return p;
        return realloc(p, cap);
    }
    /* crossing the threshold (or no mremap): move to a new block */
    void *q = std_malloc(ctx, n);
    if (!q) return NULL;
    memcpy(q, p, old_n < n ? old_n : n);
    std_free(ctx, p, old_n);
    return q;
}

/* Plain malloc, for buffers handed to callers who release them with free(). */
static void *plain_malloc(void *ctx, size_t n) {
    (void)ctx;
    return malloc(n ? n : 1);
}
static void *plain_realloc(void *ctx, void *p, size_t old_n, size_t n) {
    (void)ctx;
    (void)old_n;
    return realloc(p, n ? n : 1);
}
static void plain_free(void *ctx, void *p, size_t n) {
    (void)ctx;
    (void)n;
    free(p);
}
static const jlp_alc plain_alc = {plain_malloc, plain_realloc, plain_free, NULL};
const jlp_alc *jlp__alc_malloc(void) { return &plain_alc; }

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
 * enough to be backed by huge pages (see alloc.c's HUGE_BLOCK). A document of a few
 * dozen values (one record of a stream of pickles) holds 4 KiB in its two arenas, one
 * page; with 4 KiB first chunks it held 8 KiB, and a stream of 5,000 such pickles spent
 * most of its load in page faults. After the second chunk (2 KiB) the sizes go on from
 * 8 KiB, so a document past 3 KiB never holds more than with 4 KiB first chunks (1, 3,
 * 11, 27... KiB against 4, 12, 28...). A request above ARENA_LARGE_MIN and a quarter of the
 * next chunk gets a chunk of its own (ARENA_LARGE_MIN <= ARENA_FIRST_CHUNK: a smaller
 * request always fits a regular chunk). */
#define ARENA_FIRST_CHUNK ((size_t)1024)
#define ARENA_MAX_CHUNK ((size_t)32 << 20)
#define ARENA_LARGE_MIN ((size_t)1024)

void jlp__arena_init_first(jlp__arena *a, const jlp_alc *alc, uint64_t limit, size_t first_chunk) {
    a->alc = jlp__alc_or_default(alc);
    a->head = NULL;
    a->cur = a->end = NULL;
    a->total = 0;
    a->total_ptr = &a->total;
    a->limit = limit;
    a->next_size = first_chunk;
    a->slab_cur = a->slab_end = NULL;
}

void jlp__arena_init(jlp__arena *a, const jlp_alc *alc, uint64_t limit) {
    jlp__arena_init_first(a, alc, limit, ARENA_FIRST_CHUNK);
}

void jlp__arena_lend(jlp__arena *a, void *p, size_t n) {
    a->cur = p;
    a->end = (uint8_t *)p + n;
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
    a->slab_cur = a->slab_end = NULL;
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

/* Link chunk c behind the head, which keeps its free space for small allocations (or
 * make it the head, without free space, in an empty arena). */
static void link_behind_head(jlp__arena *a, jlp__chunk *c) {
    if (a->head) {
        c->next = a->head->next;
        a->head->next = c;
    } else {
        c->next = NULL;
        a->head = c;
        a->cur = a->end = (uint8_t *)c + c->size;
    }
}

void *jlp__arena_alloc_slow(jlp__arena *a, size_t n, bool *limit_hit) {
    size_t need = (n + 15u) & ~(size_t)15u;
    if (need < n) return NULL;
    if (need > a->next_size / 4 && need > ARENA_LARGE_MIN) {
        /* A large block gets its own chunk, linked behind the head so the head keeps
         * its free space for small allocations. */
        jlp__chunk *c = arena_new_chunk(a, need, limit_hit);
        if (!c) return NULL;
        link_behind_head(a, c);
        return (uint8_t *)c + CHUNK_HEADER;
    }
    jlp__chunk *c = arena_new_chunk(a, a->next_size, limit_hit);
    if (!c) return NULL;
    c->next = a->head;
    a->head = c;
    a->cur = (uint8_t *)c + CHUNK_HEADER;
    a->end = (uint8_t *)c + c->size;
    if (a->next_size < ARENA_MAX_CHUNK) a->next_size *= a->next_size == 2 * ARENA_FIRST_CHUNK ? 4 : 2;
    void *p = a->cur;
    a->cur += need;
    return p;
}

/* Blocks from HUGE_BLOCK up to SLAB_MAX (array payloads of known size: a compressed
 * table's columns) of the default allocator are cut one after another from slabs of
 * SLAB_SIZE, mapped like any large block (huge pages). Each block mapped on its own ended
 * in a partial huge page that the kernel faults in 4 KiB at a time: a 3 MB column took
 * about 220 page faults beside its one huge page, which was most of what materialising a
 * decoded table cost beyond decoding it (20 columns: 4,400 faults, 10 ms of CPU against
 * 4 ms when the huge pages are shared). In a slab only the slab's last huge page is
 * partly used, and untouched slab space is never resident. A slab block's header has
 * next = SLAB_BLOCK; it is counted against the limit with its own size, and freed with
 * its slab when the arena is released (dropping the newest block gives its space back). */
#define SLAB_MAX ((size_t)16 << 20)
#define SLAB_SIZE ((size_t)32 << 20)
#define SLAB_BLOCK ((jlp__chunk *)(uintptr_t)1)

static size_t slab_step(size_t size) { return (size + 63u) & ~(size_t)63u; }

static void *slab_block_new(jlp__arena *a, size_t n, bool *limit_hit) {
    size_t size = n + CHUNK_HEADER; /* n < SLAB_MAX: no overflow */
    uint64_t *total = a->total_ptr;
    if (a->limit && (size > a->limit || *total > a->limit - size)) {
        if (limit_hit) *limit_hit = true;
        return NULL;
    }
    size_t step = slab_step(size);
    if (!a->slab_cur || (size_t)(a->slab_end - a->slab_cur) < step) {
        jlp__chunk *s = jlp__malloc(a->alc, SLAB_SIZE);
        if (!s) return NULL;
        s->size = SLAB_SIZE;
        link_behind_head(a, s);
        /* after the slab's header; payloads (behind their block's header) start on 64 */
        a->slab_cur = (uint8_t *)s + 64 - CHUNK_HEADER;
        a->slab_end = (uint8_t *)s + SLAB_SIZE;
    }
    jlp__chunk *c = (jlp__chunk *)(void *)a->slab_cur;
    c->next = SLAB_BLOCK;
    c->size = size;
    a->slab_cur += step;
    *total += size;
    return (uint8_t *)c + CHUNK_HEADER;
}

static void slab_block_drop(jlp__arena *a, jlp__chunk *c) {
    *a->total_ptr -= c->size;
    if ((uint8_t *)c + slab_step(c->size) == a->slab_cur) a->slab_cur = (uint8_t *)c;
}

void *jlp__arena_block_new(jlp__arena *a, size_t n, bool *limit_hit) {
    if (n >= HUGE_BLOCK && n < SLAB_MAX && a->alc == &default_alc) {
        void *p = slab_block_new(a, n, limit_hit);
        if (p || (limit_hit && *limit_hit)) return p;
        /* no slab to be had: a block of its own */
    }
    jlp__chunk *c = arena_new_chunk(a, n, limit_hit);
    if (!c) return NULL;
    c->next = NULL;
    return (uint8_t *)c + CHUNK_HEADER;
}

void *jlp__arena_block_grow(jlp__arena *a, void *p, size_t n, bool *limit_hit) {
    jlp__chunk *c = (jlp__chunk *)(void *)((uint8_t *)p - CHUNK_HEADER);
    if (c->next == SLAB_BLOCK) {
        /* a slab block moves to a block of its own */
        size_t old = c->size - CHUNK_HEADER;
        jlp__chunk *nc = arena_new_chunk(a, n, limit_hit);
        if (!nc) return NULL;
        nc->next = NULL;
        memcpy((uint8_t *)nc + CHUNK_HEADER, p, old < n ? old : n);
        slab_block_drop(a, c);
        return (uint8_t *)nc + CHUNK_HEADER;
    }
    size_t size;
    if (!jlp__add_size(n, CHUNK_HEADER, &size)) return NULL;
    uint64_t *total = a->total_ptr;
    if (size > c->size && a->limit && (size - c->size > a->limit || *total > a->limit - (size - c->size))) {
        if (limit_hit) *limit_hit = true;
        return NULL;
    }
    size_t old = c->size;
    jlp__chunk *nc = jlp__realloc(a->alc, c, old, size);
    if (!nc) return NULL;
    *total = *total - old + size;
    nc->size = size;
    return (uint8_t *)nc + CHUNK_HEADER;
}

void jlp__arena_block_keep(jlp__arena *a, void *p) {
    jlp__chunk *c = (jlp__chunk *)(void *)((uint8_t *)p - CHUNK_HEADER);
    if (c->next == SLAB_BLOCK) return; /* its slab is the arena's already */
    link_behind_head(a, c);
}

void jlp__arena_block_drop(jlp__arena *a, void *p) {
    jlp__chunk *c = (jlp__chunk *)(void *)((uint8_t *)p - CHUNK_HEADER);
    if (c->next == SLAB_BLOCK) {
        slab_block_drop(a, c);
        return;
    }
    *a->total_ptr -= c->size;
    jlp__free(a->alc, c, c->size);
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

#define BUF_HALF_GROWTH ((size_t)8 << 20)

bool jlp__buf_reserve(jlp__buf *b, size_t extra) {
    if (b->failed) return false;
    size_t need;
    if (!jlp__add_size(b->len, extra, &need)) goto fail;
    if (need <= b->cap) return true;
    /* doubling, and past 8 MiB by half: a buffer doubled past 16 MiB asks for 32 MiB,
     * glibc's largest mmap threshold, so an output of 16 to 32 MB (jlp_dump_mem's,
     * freed with free()) was a fresh mapping every time, faulted in page by page (5,000
     * faults for 20 MB), where 27 MiB comes from the heap and is reused */
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap = cap < BUF_HALF_GROWTH ? cap * 2 : cap + cap / 2;
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
