/*
 * writer.c - the writer. It produces what Python's pure-Python pickler (pickle._Pickler)
 * writes, with joblib's NumpyPickler on top for arrays, opcode for opcode:
 *
 *   - the memo: every str, bytes, tuple (but the empty one), list, dict, set, global and
 *     reduced object is memoized when first written and fetched with BINGET/LONG_BINGET
 *     afterwards; strings CPython interns (identifiers, one character, the empty
 *     string) are recognised by value, as Python's memo recognises them by identity;
 *   - PEP 3154 frames of about 64 KiB (protocol >= 4), ended before any large bytes/str
 *     and at every array wrapper, so array payloads lie outside frames;
 *   - batches of 1000 items for APPENDS, SETITEMS and ADDITEMS;
 *   - arrays as joblib's NumpyArrayWrapper + 16-byte padded raw payload (object arrays:
 *     a nested protocol 2 pickle), or as numpy's own reduce.
 *
 * The value graph may be deep and cyclic, so the writer keeps an explicit task stack
 * instead of recursing: a task is "save this value", "write these bytes", "memoize",
 * "finish this tuple", or "the next batch of this container".
 */
#include "../io/sink.h"
#include "vm.h"
#include "nodemap.h"
#include "../numpy/numpy.h"
#include "../value/bigint.h"
#include "../value/doc.h"
#include "../common/decimal.h"
#include "../common/float_repr.h"
#include "../common/opcodes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Python's pickler: frames are committed once they reach 64 KiB, and bytes/str at least
 * that long are written outside frames. */
#define FRAME_TARGET ((size_t)64 * 1024)
/* The frame buffer starts with room for the FRAME opcode and its length, filled when
 * the frame is committed, so a frame goes out in one piece. */
#define FRAME_HDR 9
/* Room past the frame target, so that an item started below it always fits. */
#define FRAME_SLACK 64
/* How many items ahead batch() prefetches memo slots. */
#define MEMO_AHEAD 8
#define FRAME_MIN 4
#define BATCHSIZE 1000
/* joblib's NumpyArrayWrapper alignment. */
#define ARRAY_ALIGNMENT 16

typedef enum task_kind {
    T_SAVE,        /* save v */
    T_SAVE_NEW,    /* save v, which the memo was just probed for and does not hold */
    T_BYTES,       /* write lit[0..n) */
    T_MEMOIZE,     /* memoize v */
    T_TUPLE_END,   /* the elements of tuple v are written: TUPLEn/TUPLE, or POP..GET */
    T_FSET_END,    /* the elements of frozenset v are written: FROZENSET, or POP_MARK GET */
    T_NEWOBJ_END,  /* the object v was created: memoize it, or POP GET when a cycle did */
    T_APPENDS,     /* batch of the list/items v from index i */
    T_SETITEMS,    /* batch of the dict v from pair index i */
    T_ADDITEMS,    /* batch of the set v from index i */
    T_BATCH_REST,  /* the rest of the open batch of v (kind lit[0]) from item slot i */
    T_PAYLOAD,     /* joblib: commit the frame, then the raw bytes of array v */
    T_NESTED       /* joblib: the nested protocol 2 pickle of object array v */
} task_kind;

typedef struct task {
    uint8_t kind;
    uint8_t n;
    uint8_t lit[62];         /* short literal output: opcodes, INST names */
    const jlp_val *v;
    size_t i;
} task;

/* Open-addressed maps from a node to a memo index: by address (nodemap.h), or for the
 * by-value map by its value (linear probing on a hash of the value). One array of
 * entries, so a probe touches one cache line. */
typedef jlp__nodemap_ent memo_ent;
typedef jlp__nodemap memo_map;

typedef struct writer {
    jlp__sink *sink;
    const jlp_alc *alc;
    int proto;
    jlp_array_format arrays;
    bool framing;
    bool c_batches;         /* batch like CPython's C pickler (_pickle.c), see batch() */
    jlp__buf frame;         /* FRAME_HDR bytes kept for the frame's header, then its bytes */
    memo_map memo;          /* by node */
    /* the last value the memo found, and its index: a value referenced again and again
     * (one list in every row) is fetched without a probe */
    const jlp_val *last_v;
    uint64_t last_idx;
    /* save() probes the memo once: a value it does not find is memoized in the slot
     * the probe ended on, unless the map changed since (any insert or growth) */
    const jlp_val *hint_v;
    size_t hint_slot;
    uint64_t hint_gen, memo_gen;
    memo_map interned;      /* interned strings and builtin dtypes, by value */
    uint64_t memo_len;
    /* Runaway guard. Tuples, frozensets, sets below protocol 4 and reduced objects are
     * memoized only after their parts are written. A graph that reaches such a value
     * again through such values only (a set holding itself, written with protocol 2)
     * would be written forever: Python's pickle recurses until RecursionError. Each
     * memoization of a document value is progress (`epoch`); a value opened twice
     * within one epoch repeats the same writes without end. Opens are counted only
     * after `open_run` of them without progress, so ordinary graphs never fill `open`. */
    uint64_t epoch, open_epoch, open_run;
    memo_map open;          /* by node: values opened in this epoch */
    bool in_item;           /* batch_items() is saving one of its items (see there) */
    task *tasks;
    size_t nt, cap;
    jlp_doc *scratch;       /* temporaries: wrappers, their states, args tuples */
    jlp_code code;
    jlp_error *err;
} writer;

/* ---- errors ---------------------------------------------------------------------- */

static void fail(writer *w, jlp_code code, const char *what) {
    if (w->code) return;
    w->code = code;
    jlp__fail(w->err, code, w->sink->pos, -1, "%s", what);
}

static void nomem(writer *w) { fail(w, JLP_E_NOMEM, "out of memory while writing"); }

/* ---- output and frames ----------------------------------------------------------- */

/* Start a frame: the room for its header, and for a full frame. */
static void frame_open(writer *w) {
    if (w->frame.len) return;
    jlp__buf_put(&w->frame, "\0\0\0\0\0\0\0\0", FRAME_HDR);
    if (!jlp__buf_reserve(&w->frame, FRAME_TARGET + FRAME_SLACK)) w->frame.failed = true;
    if (w->frame.failed) nomem(w);
}

static void out_slow(writer *w, const void *p, size_t n) {
    if (w->framing) {
        frame_open(w);
        jlp__buf_put(&w->frame, p, n);
        if (w->frame.failed) nomem(w);
    } else {
        jlp__sink_write(w->sink, p, n);
    }
}

/* Most writes are a few bytes into a frame that has room: inline, one memcpy of a size
 * the compiler knows at most call sites. */
static inline void out(writer *w, const void *p, size_t n) {
    jlp__buf *f = &w->frame;
    if (JLP_LIKELY(w->framing && f->len && f->cap - f->len >= n)) {
        memcpy(f->data + f->len, p, n);
        f->len += n;
        return;
    }
    out_slow(w, p, n);
}

static void out_byte(writer *w, uint8_t b) { out(w, &b, 1); }

/* Room for n bytes at the end of the open frame, or NULL (then out() writes them). An
 * opcode and its argument stored straight there, rather than built in a little array and
 * copied, are not read back from the stack: a copy's wide load over the narrow stores
 * that built it cannot be forwarded from them, and stalls until they are written. */
static inline uint8_t *frame_room(writer *w, size_t n) {
    jlp__buf *f = &w->frame;
    return JLP_LIKELY(w->framing && f->len && f->cap - f->len >= n) ? (uint8_t *)f->data + f->len : NULL;
}

static void commit_frame(writer *w, bool force) {
    if (!w->framing || !w->frame.len) return;
    size_t len = w->frame.len - FRAME_HDR;
    if (len < FRAME_TARGET && !force) return;
    uint8_t *h = (uint8_t *)w->frame.data;
    if (len >= FRAME_MIN) {
        /* the header goes in its room: the frame leaves in one write */
        h[0] = JLP_OP_FRAME;
        for (int k = 0; k < 8; k++) h[1 + k] = (uint8_t)((uint64_t)len >> (8 * k));
        jlp__sink_write(w->sink, h, FRAME_HDR + len);
    } else if (len) {
        jlp__sink_write(w->sink, h + FRAME_HDR, len);
    }
    w->frame.len = 0;
}

/* A large bytes/str argument goes out unframed, after the pending frame. */
static void out_large(writer *w, const uint8_t *hdr, size_t hn, const void *p, size_t n) {
    if (w->framing) {
        commit_frame(w, true);
        jlp__sink_write(w->sink, hdr, hn);
        jlp__sink_write(w->sink, p, n);
    } else {
        out(w, hdr, hn);
        out(w, p, n);
    }
}

static void out_u32(uint8_t *p, uint32_t v) {
    for (int k = 0; k < 4; k++) p[k] = (uint8_t)(v >> (8 * k));
}
static void out_u64(uint8_t *p, uint64_t v) {
    for (int k = 0; k < 8; k++) p[k] = (uint8_t)(v >> (8 * k));
}

/* ---- memo ------------------------------------------------------------------------- */

/* nodemap.h: a node's home slot is its address in units of a node */
_Static_assert(sizeof(jlp_val) >= JLP__NODE_UNIT, "two nodes never share a slot unit");

static uint64_t hash_str(const jlp_val *s) {
    uint64_t h = 1469598103934665603ull ^ s->type;
    for (size_t i = 0; i < s->u.s.n; i++) h = (h ^ (uint8_t)s->u.s.p[i]) * 1099511628211ull;
    return h;
}

static uint64_t value_hash(const jlp_val *v);

/* Grow a map; the by-value map places entries by value hash, the other by pointer. */
#define MAP_GROW_FOUR_BELOW ((size_t)1 << 16)
static bool map_resize(writer *w, memo_map *m, size_t cap);
static bool map_grow(writer *w, memo_map *m) {
    if ((m->n + 1) * 2 <= m->cap) return true;
    /* fourfold while the table is small (up to 1 MiB), as CPython's memo grows: a model
     * or a nested document of some thousand values went through six rehashes, a tenth
     * of its dump */
    return map_resize(w, m, !m->cap ? 256 : m->cap < MAP_GROW_FOUR_BELOW ? m->cap * 4 : m->cap * 2);
}

/* Rehash into `cap` slots (a power of two, more than twice the entries). */
static bool map_resize(writer *w, memo_map *m, size_t cap) {
    memo_ent *e = jlp__malloc(w->alc, cap * sizeof *e);
    if (!e) {
        nomem(w);
        return false;
    }
    memset(e, 0, cap * sizeof *e);
    bool values = m == &w->interned;
    memo_map to = jlp__nodemap_empty(e, cap);
    if (values) {
        for (size_t i = 0; i < m->cap; i++) {
            const jlp_val *k = m->e[i].key;
            if (!k) continue;
            size_t j = (size_t)(value_hash(k) * 0x9E3779B97F4A7C15ull >> 17) & (cap - 1);
            while (e[j].key) j = (j + 1) & (cap - 1);
            e[j] = m->e[i];
        }
        to.n = m->n;
    } else {
        jlp__nodemap_rehash(m, &to);
    }
    jlp__free(w->alc, m->e, m->cap * sizeof *m->e);
    *m = to;
    if (m == &w->memo) w->memo_gen++;
    return true;
}

/* Whether the writer memoizes v (as Python's pickler would). */
static bool memoized_kind(const jlp_val *x) {
    return x->type == JLP_STR || x->type == JLP_BYTES || x->type == JLP_BYTEARRAY || x->type == JLP_TUPLE ||
           x->type == JLP_LIST || x->type == JLP_DICT || x->type == JLP_SET || x->type == JLP_FROZENSET ||
           x->type == JLP_OBJECT;
}

/* See run(): the memo sized for a big root container of memoized items. The distinct
 * memoized nodes of a sample of its items, containers followed a few levels down
 * (records and rows memoize their strs and inner containers too, and a table sized for
 * the items alone was rehashed twice more, each time every entry moved into a table
 * larger than the caches), stand for all of them: nodes the sampled items
 * share (the keys of records) count once. Only the size of the table depends on it. */
#define PRESIZE_SAMPLE 64
#define PRESIZE_WALK 64     /* nodes looked at per sampled item */
/* slots of the sample's node set: a power of two, twice the nodes it may get */
#define PRESIZE_SEEN (2 * PRESIZE_SAMPLE * PRESIZE_WALK)
static void presize_memo(writer *w, const jlp_val *root) {
    if (!root || w->memo.cap || (root->type != JLP_LIST && root->type != JLP_TUPLE && root->type != JLP_SET &&
                                 root->type != JLP_DICT))
        return;
    size_t n = root->u.seq.n * (root->type == JLP_DICT ? 2 : 1);
    if (n < 4096) return;
    const jlp_val **seen = jlp__malloc(w->alc, PRESIZE_SEEN * sizeof *seen);
    if (!seen) return;   /* the table then grows as it fills */
    memset(seen, 0, PRESIZE_SEEN * sizeof *seen);
    size_t memoized = 0;
    for (size_t i = 0; i < PRESIZE_SAMPLE; i++) {
        const jlp_val *todo[PRESIZE_WALK];
        size_t ntodo = 0, looked = 0;
        todo[ntodo++] = root->u.seq.v[i * (n / PRESIZE_SAMPLE)];
        while (ntodo && looked < PRESIZE_WALK) {
            const jlp_val *x = todo[--ntodo];
            looked++;
            if (!memoized_kind(x)) continue;
            size_t h = (size_t)(((uintptr_t)x >> 4) * 0x9E3779B97F4A7C15ull >> 32) & (PRESIZE_SEEN - 1);
            while (seen[h] && seen[h] != x) h = (h + 1) & (PRESIZE_SEEN - 1);
            if (seen[h]) continue;   /* shared with an item sampled before */
            seen[h] = x;
            memoized++;
            if (x->type == JLP_STR || x->type == JLP_BYTES || x->type == JLP_BYTEARRAY || x->type == JLP_OBJECT)
                continue;
            size_t k = x->u.seq.n * (x->type == JLP_DICT ? 2 : 1);
            for (size_t j = 0; j < k && ntodo < PRESIZE_WALK; j++) todo[ntodo++] = x->u.seq.v[j];
        }
    }
    jlp__free(w->alc, seen, PRESIZE_SEEN * sizeof *seen);
    size_t want = n / PRESIZE_SAMPLE * memoized;
    if (want < 4096) return;
    if (want > ((size_t)1 << 23)) want = (size_t)1 << 23;
    size_t cap = 256;
    while (cap < 2 * want + 2) cap *= 2;
    map_resize(w, &w->memo, cap);
}

static void map_free(writer *w, memo_map *m) {
    jlp__free(w->alc, m->e, m->cap * sizeof *m->e);
    jlp__nodemap_free_regions(m, w->alc);
}

/* Ask for the memo slot of v, into the cache ahead of its probe (nothing when the memo
 * has not met v's region: then v is not in it). */
static inline void memo_prefetch(writer *w, const jlp_val *v) {
    size_t h = jlp__nodemap_home(&w->memo, v);
    if (h != JLP__NODEMAP_NONE) jlp__prefetch(&w->memo.e[h]);
}

/* Probe the memo for v. A miss leaves the slot it ended on as the hint for memoize(),
 * which takes it unless the map changed since (any insert or growth): save() probes
 * once per value. */
static bool memo_find(writer *w, const jlp_val *v, uint64_t *idx) {
    if (v == w->last_v) {
        *idx = w->last_idx;
        return true;
    }
    memo_map *m = &w->memo;
    if (!m->cap) return false;
    size_t i = jlp__nodemap_slot(m, v, NULL);
    if (i == JLP__NODEMAP_NONE) return false;   /* a region not met: memoize() adds it */
    if (m->e[i].key) {
        *idx = w->last_idx = m->e[i].idx;
        w->last_v = v;
        return true;
    }
    w->hint_v = v;
    w->hint_slot = i;
    w->hint_gen = w->memo_gen;
    return false;
}

/* Values Python would hold as one object wherever they occur: classes and functions,
 * interned strings (identifiers and dotted module names, single characters, the empty
 * string) and numpy's cached builtin dtypes. Every memoized one is also recorded by
 * value. Globals (a module attribute is one object in Python), strings of at most one
 * character (CPython's singletons) and values made by the builder or the writer
 * (JLP_VF_BUILT) are looked up by value; a loaded document already carries Python's
 * sharing of other values in its nodes. */
static bool by_value(const jlp_val *v) {
    if (v->flags & JLP_VF_FRESH) return false;
    if (v->type == JLP_GLOBAL) return true;
    if (v->type == JLP_BYTES) return v->u.s.n <= 1; /* CPython's one-byte bytes singletons */
    if (v->type == JLP_STR) {
        if (v->u.s.n <= 1) return !v->u.s.n || (uint8_t)v->u.s.p[0] < 0x80;
        if (v->u.s.n > 64) return false;
        for (size_t i = 0; i < v->u.s.n; i++) {
            char c = v->u.s.p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.'))
                return false;
        }
        return true;
    }
    if (v->type == JLP_DTYPE) {
        const jlp__dtype_info *d = jlp__dt(v);
        if (d->structured || d->sub_base || d->metadata || !strchr("biufcO", d->kind)) return false;
        const uint16_t one = 1;
        char native = *(const uint8_t *)&one ? '<' : '>';
        return d->byteorder == '|' || d->byteorder == native;
    }
    return false;
}

/* The value key of a by-value node: its str, or for a dtype its dtype.str. */
static bool same_value(const jlp_val *a, const jlp_val *b) {
    if (a->type != b->type) return false;
    if (a->type == JLP_STR || a->type == JLP_BYTES) return a->u.s.n == b->u.s.n && !memcmp(a->u.s.p, b->u.s.p, a->u.s.n);
    if (a->type == JLP_GLOBAL)
        return a->aux == b->aux && a->u.g.name_len == b->u.g.name_len && !memcmp(a->u.g.mod, b->u.g.mod, a->aux) &&
               !memcmp(a->u.g.name, b->u.g.name, a->u.g.name_len);
    return !strcmp(jlp__dt(a)->str, jlp__dt(b)->str);
}

static uint64_t value_hash(const jlp_val *v) {
    if (v->type == JLP_STR || v->type == JLP_BYTES) return hash_str(v);
    if (v->type == JLP_GLOBAL) {
        uint64_t h = 11;
        for (uint32_t i = 0; i < v->aux; i++) h = (h ^ (uint8_t)v->u.g.mod[i]) * 1099511628211ull;
        for (uint32_t i = 0; i < v->u.g.name_len; i++) h = (h ^ (uint8_t)v->u.g.name[i]) * 1099511628211ull;
        return h;
    }
    uint64_t h = 7;
    for (const char *p = jlp__dt(v)->str; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
    return h;
}

static bool interned_find(const writer *w, const jlp_val *v, uint64_t *idx) {
    const memo_map *m = &w->interned;
    if (!m->cap) return false;
    uint64_t h = value_hash(v);
    for (size_t i = (size_t)(h * 0x9E3779B97F4A7C15ull >> 17) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->e[i].key) return false;
        if (same_value(m->e[i].key, v)) { *idx = m->e[i].idx; return true; }
    }
}

/* "<op><decimal of v>\n" at o (room for 22 bytes), what protocol 0 writes for PUT, GET
 * and INT without going through snprintf: @return its length. */
static size_t text_op(char *o, char op, bool neg, uint64_t v) {
    size_t k = 0;
    o[k++] = op;
    if (neg) o[k++] = '-';
    k += jlp__u64_decimal(v, o + k);
    o[k++] = '\n';
    return k;
}

static void put_memo_op(writer *w, uint64_t idx) {
    if (w->proto >= 4) {
        out_byte(w, JLP_OP_MEMOIZE);
    } else if (w->proto >= 1) {
        if (idx < 256) {
            uint8_t b[2] = {JLP_OP_BINPUT, (uint8_t)idx};
            out(w, b, 2);
        } else {
            uint8_t b[5] = {JLP_OP_LONG_BINPUT};
            out_u32(b + 1, (uint32_t)idx);
            out(w, b, 5);
        }
    } else {
        char t[32];
        out(w, t, text_op(t, 'p', false, idx));
    }
}

/* BINGET or LONG_BINGET of memo index idx at o (room for 5 bytes): @return past it. */
static inline uint8_t *put_get_at(uint8_t *o, uint64_t idx) {
    if (idx < 256) {
        o[0] = JLP_OP_BINGET;
        o[1] = (uint8_t)idx;
        return o + 2;
    }
    o[0] = JLP_OP_LONG_BINGET;
    out_u32(o + 1, (uint32_t)idx);
    return o + 5;
}

static void put_get(writer *w, uint64_t idx) {
    uint8_t *o = frame_room(w, 5);
    if (o) {   /* framed: protocol >= 4 */
        w->frame.len = (size_t)(put_get_at(o, idx) - (uint8_t *)w->frame.data);
        return;
    }
    if (w->proto >= 1) {
        if (idx < 256) {
            uint8_t b[2] = {JLP_OP_BINGET, (uint8_t)idx};
            out(w, b, 2);
        } else {
            uint8_t b[5] = {JLP_OP_LONG_BINGET};
            out_u32(b + 1, (uint32_t)idx);
            out(w, b, 5);
        }
    } else {
        char t[32];
        out(w, t, text_op(t, 'g', false, idx));
    }
}

static void memoize(writer *w, const jlp_val *v) {
    if (w->code || w->memo_len > UINT32_MAX) {
        if (!w->code) fail(w, JLP_E_LIMIT, "more than 2^32 memoized values");
        return;
    }
    uint64_t idx = w->memo_len++;
    put_memo_op(w, idx);
    if (!(v->flags & JLP_VF_SCRATCH)) {
        w->epoch++;
        w->open_run = 0;
    }
    size_t i;
    if (!map_grow(w, &w->memo)) return;   /* a growth changes memo_gen */
    if (w->hint_v == v && w->hint_gen == w->memo_gen) {
        i = w->hint_slot;   /* save() probed for v and nothing changed the map since */
    } else {
        if (!jlp__nodemap_add_region(&w->memo, w->alc, v)) {
            nomem(w);
            return;
        }
        i = jlp__nodemap_slot(&w->memo, v, NULL);
    }
    w->hint_v = NULL;
    w->memo.e[i].key = v;
    w->memo.e[i].idx = idx;
    w->memo.n++;
    w->memo_gen++;
    /* A loaded string is found again by identity; it is recorded by value only when it
     * looks like a name (letters and '_', as attribute and class names are), which the
     * writer's own strings may meet again (the key "matrix", then the class name). Data
     * strings are left out: a million of them would only fill the map. */
    bool data_str = false;
    if (v->type == JLP_STR && v->u.s.n > 1 && !(v->flags & JLP_VF_BUILT)) {
        data_str = v->u.s.n > 32;
        for (size_t k = 0; k < v->u.s.n && !data_str; k++) {
            char c = v->u.s.p[k];
            data_str = !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_');
        }
    }
    if (!data_str && by_value(v)) {
        /* the first memoized node of a value stands for it; equal values memoized later
         * (Python would have written them again) are not added, so probes stay short */
        memo_map *m = &w->interned;
        if (!map_grow(w, m)) return;
        uint64_t h = value_hash(v);
        size_t j = (size_t)(h * 0x9E3779B97F4A7C15ull >> 17) & (m->cap - 1);
        for (; m->e[j].key; j = (j + 1) & (m->cap - 1))
            if (same_value(m->e[j].key, v)) return;
        m->e[j].key = v;
        m->e[j].idx = idx;
        m->n++;
    }
}

/* ---- tasks ------------------------------------------------------------------------ */

/* `v` (a document value, memoized only once its parts are written) is being opened:
 * fail when it was already opened since the last memoization (see writer.epoch). */
static void check_open(writer *w, const jlp_val *v) {
    if (v->flags & JLP_VF_SCRATCH || ++w->open_run <= 64) return;
    memo_map *m = &w->open;
    if (w->open_epoch != w->epoch) {
        /* a new epoch starts empty; a big map is dropped rather than cleared, so each
         * epoch costs what it inserts */
        if (m->cap > 1024) {
            map_free(w, m);
            memset(m, 0, sizeof *m);
        } else if (m->cap) {
            memset(m->e, 0, m->cap * sizeof *m->e);
        }
        m->n = 0;
        w->open_epoch = w->epoch;
    }
    if (!map_grow(w, m)) return;
    if (!jlp__nodemap_add_region(m, w->alc, v)) {
        nomem(w);
        return;
    }
    size_t i = jlp__nodemap_slot(m, v, NULL);
    if (m->e[i].key) {
        fail(w, JLP_E_CYCLE, "a value reaches itself through tuples, frozensets, sets (below protocol 4) "
                             "or reduce arguments only: pickle cannot write it");
        return;
    }
    m->e[i].key = v;
    m->e[i].idx = 0;
    m->n++;
}

static task *push(writer *w, task_kind k, const jlp_val *v, size_t i) {
    if (k == T_TUPLE_END || k == T_FSET_END || k == T_NEWOBJ_END) check_open(w, v);
    if (w->nt == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        task *t = jlp__realloc(w->alc, w->tasks, w->cap * sizeof *t, cap * sizeof *t);
        if (!t) {
            nomem(w);
            return NULL;
        }
        w->tasks = t;
        w->cap = cap;
    }
    task *t = &w->tasks[w->nt++];
    t->kind = (uint8_t)k;
    t->v = v;
    t->i = i;
    t->n = 0;
    return t;
}

/* Every value the writer makes for itself comes from the scratch document; a NULL here
 * is an allocation that failed, wherever it was made. */
static bool is_plain(const jlp_val *v);
static void push_save(writer *w, const jlp_val *v) {
    if (!v) {
        nomem(w);
        return;
    }
    /* its memo slot, into the cache while the tasks above it run (the slots of nodes
     * allocated together are neighbours (nodemap.h), but the table outgrows the caches
     * and the prefetcher does not always follow: still a little faster, measured) */
    if (w->memo.cap && !is_plain(v)) memo_prefetch(w, v);
    push(w, T_SAVE, v, 0);
}

static void push_bytes(writer *w, const void *p, size_t n) {
    task *t = push(w, T_BYTES, NULL, 0);
    if (!t) return;
    memcpy(t->lit, p, n);
    t->n = (uint8_t)n;
}

static void push_op(writer *w, uint8_t op) { push_bytes(w, &op, 1); }

/* Tasks run last-in first-out: callers push the steps of one save in reverse order. */

/* ---- scalars ---------------------------------------------------------------------- */

/* BININT1, BININT2 or BININT of x at o (room for 5 bytes): @return past it, or NULL when
 * x needs more than 32 bits. */
static inline uint8_t *put_binint(uint8_t *o, int64_t x) {
    if (x >= 0 && x <= 0xff) {
        o[0] = JLP_OP_BININT1;
        o[1] = (uint8_t)x;
        return o + 2;
    }
    if (x >= 0 && x <= 0xffff) {
        o[0] = JLP_OP_BININT2;
        o[1] = (uint8_t)x;
        o[2] = (uint8_t)(x >> 8);
        return o + 3;
    }
    if (x >= INT32_MIN && x <= INT32_MAX) {
        o[0] = JLP_OP_BININT;
        out_u32(o + 1, (uint32_t)(int32_t)x);
        return o + 5;
    }
    return NULL;
}

/* LONG1 of x at o with the minimal two's complement bytes (room for 10 bytes; all 8 are
 * stored, the length byte counts those that belong): @return past it. */
static inline uint8_t *put_long1(uint8_t *o, int64_t x) {
    uint8_t le[8];
    for (int k = 0; k < 8; k++) le[k] = (uint8_t)((uint64_t)x >> (8 * k));
    size_t n = jlp__bigint_minlen(le, 8);
    o[0] = JLP_OP_LONG1;
    o[1] = (uint8_t)n;
    memcpy(o + 2, le, 8);
    return o + 2 + n;
}

/* BINFLOAT of d at o (room for 9 bytes): @return past it. */
static inline uint8_t *put_binfloat(uint8_t *o, double d) {
    uint64_t bits;
    memcpy(&bits, &d, 8);
    o[0] = JLP_OP_BINFLOAT;
    jlp__put_be64(o + 1, bits);
    return o + 9;
}

static void save_int64(writer *w, int64_t x) {
    uint8_t b[16];
    uint8_t *o = w->proto >= 2 ? frame_room(w, 10) : NULL;   /* framed: protocol >= 4 */
    if (o) {
        uint8_t *past = put_binint(o, x);
        w->frame.len += (size_t)((past ? past : put_long1(o, x)) - o);
        return;
    }
    if (w->proto >= 1) {
        if (x >= 0 && x <= 0xff) { b[0] = JLP_OP_BININT1; b[1] = (uint8_t)x; out(w, b, 2); return; }
        if (x >= 0 && x <= 0xffff) { b[0] = JLP_OP_BININT2; b[1] = (uint8_t)x; b[2] = (uint8_t)(x >> 8); out(w, b, 3); return; }
        if (x >= INT32_MIN && x <= INT32_MAX) { b[0] = JLP_OP_BININT; out_u32(b + 1, (uint32_t)(int32_t)x); out(w, b, 5); return; }
    }
    if (w->proto >= 2) {
        out(w, b, (size_t)(put_long1(b, x) - b));
        return;
    }
    char t[32];
    uint64_t mag = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    if (x >= INT32_MIN && x <= INT32_MAX) {
        out(w, t, text_op(t, 'I', x < 0, mag));
        return;
    }
    size_t n = text_op(t, 'L', x < 0, mag);   /* "L<digits>L\n" */
    t[n - 1] = 'L';
    t[n++] = '\n';
    out(w, t, n);
}

static void save_bigint(writer *w, const jlp_val *v) {
    const uint8_t *p = (const uint8_t *)v->u.s.p;
    size_t n = v->u.s.n;
    if (w->proto >= 2) {
        uint8_t h[5];
        if (n < 256) {
            h[0] = JLP_OP_LONG1;
            h[1] = (uint8_t)n;
            out(w, h, 2);
        } else if (n <= INT32_MAX) {
            h[0] = JLP_OP_LONG4;
            out_u32(h + 1, (uint32_t)n);
            out(w, h, 5);
        } else {
            fail(w, JLP_E_UNSUPPORTED, "integer too large for LONG4");
            return;
        }
        out(w, p, n);
        return;
    }
    jlp__buf t;
    jlp__buf_init(&t, w->alc);
    jlp__buf_putc(&t, 'L');
    /* as Python: str() of an int refuses more than 4300 digits */
    if (!jlp__bigint_decimal(p, n, 4300, &t)) {
        jlp__buf_release(&t);
        fail(w, JLP_E_UNSUPPORTED, "an integer of more than 4300 digits needs protocol 2");
        return;
    }
    jlp__buf_puts(&t, "L\n");
    if (t.failed) nomem(w);
    else out(w, t.data, t.len);
    jlp__buf_release(&t);
}

static void save_float(writer *w, double d) {
    if (w->proto >= 1) {
        uint8_t *o = frame_room(w, 9);
        if (o) {
            w->frame.len += (size_t)(put_binfloat(o, d) - o);
            return;
        }
        uint8_t b[9];
        out(w, b, (size_t)(put_binfloat(b, d) - b));
        return;
    }
    char t[48] = "F";
    size_t n = 1;
    if (isnan(d)) n += (size_t)snprintf(t + 1, sizeof t - 1, "nan");
    else if (isinf(d)) n += (size_t)snprintf(t + 1, sizeof t - 1, d > 0 ? "inf" : "-inf");
    else n += jlp__float_repr(d, t + 1);
    t[n++] = '\n';
    out(w, t, n);
}

/* A backslash, `u` or `U`, and cp as `digits` lowercase hex digits, at o: @return past them. */
static char *put_hex_escape(char *o, char u, uint32_t cp, int digits) {
    static const char hex[] = "0123456789abcdef";
    *o++ = '\\';
    *o++ = u;
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) *o++ = hex[(cp >> shift) & 0xf];
    return o;
}

/* Protocol 0 str: raw-unicode-escape after escaping what would break the line. Built in
 * a buffer on the stack, written out each time it fills: no allocation per str. */
static void save_str_text(writer *w, const jlp_val *v) {
    char t[256];
    char *o = t, *const end = t + sizeof t - 10;   /* room for the longest escape */
    *o++ = 'V';
    const uint8_t *p = (const uint8_t *)v->u.s.p;
    size_t n = v->u.s.n;
    for (size_t i = 0; i < n;) {
        if (o >= end) {
            out(w, t, (size_t)(o - t));
            o = t;
        }
        uint32_t cp;
        size_t len = p[i] < 0x80 ? 1 : p[i] < 0xE0 ? 2 : p[i] < 0xF0 ? 3 : 4;
        if (i + len > n) len = n - i;
        cp = len == 1 ? p[i] : (uint32_t)(p[i] & (0x3F >> (len - 1)));
        for (size_t k = 1; k < len; k++) cp = (cp << 6) | (p[i + k] & 0x3F);
        i += len;
        if (cp == '\\' || cp == 0 || cp == '\n' || cp == '\r' || cp == 0x1a || (cp >= 0x100 && cp < 0x10000))
            o = put_hex_escape(o, 'u', cp, 4);
        else if (cp >= 0x10000)
            o = put_hex_escape(o, 'U', cp, 8);
        else
            *o++ = (char)cp;
    }
    *o++ = '\n';
    out(w, t, (size_t)(o - t));
}

/* A str or bytes argument with the smallest length field pickle.py uses: one byte when
 * `op1` is given and it fits, four bytes, eight (protocol 4) past 4 GiB; large ones
 * outside frames. @return false on failure. */
static bool out_sized(writer *w, const jlp_val *v, uint8_t op1, uint8_t op4, uint8_t op8) {
    size_t n = v->u.s.n;
    uint8_t h[9];
    jlp__buf *f = &w->frame;
    if (op1 && n <= 0xff && w->framing && f->len && f->cap - f->len >= n + 2) {
        /* the common short str in a frame with room: opcode, length and bytes at once */
        uint8_t *o = (uint8_t *)f->data + f->len;
        o[0] = op1;
        o[1] = (uint8_t)n;
        memcpy(o + 2, v->u.s.p, n);
        f->len += n + 2;
        return true;
    }
    if (op1 && n <= 0xff) {
        h[0] = op1;
        h[1] = (uint8_t)n;
        out(w, h, 2);
        out(w, v->u.s.p, n);
    } else if (n > 0xffffffffu) {
        if (w->proto < 4) {
            fail(w, JLP_E_UNSUPPORTED, "str and bytes longer than 4 GiB need protocol 4");
            return false;
        }
        h[0] = op8;
        out_u64(h + 1, n);
        out_large(w, h, 9, v->u.s.p, n);
    } else {
        h[0] = op4;
        out_u32(h + 1, (uint32_t)n);
        if (n >= FRAME_TARGET) {
            out_large(w, h, 5, v->u.s.p, n);
        } else {
            out(w, h, 5);
            out(w, v->u.s.p, n);
        }
    }
    return true;
}

static void save_str(writer *w, const jlp_val *v) {
    if (w->proto == 0) save_str_text(w, v);
    else if (!out_sized(w, v, w->proto >= 4 ? JLP_OP_SHORT_BINUNICODE : 0, JLP_OP_BINUNICODE, JLP_OP_BINUNICODE8)) return;
    memoize(w, v);
}

/* ---- globals and reductions ------------------------------------------------------- */

static const jlp_val *scratch_global(writer *w, const char *mod, const char *name) {
    const jlp_val *g = jlp_new_global(w->scratch, mod, name);
    if (!g) nomem(w);
    return g;
}

/* Strings the writer adds stand for Python's constants, which are interned. */
static jlp_val *scratch_str(writer *w, const char *s, size_t n) {
    jlp_val *v = jlp__new_bytes_copy(w->scratch, JLP_STR, s, n);
    if (!v) nomem(w);
    else v->flags |= JLP_VF_BUILT;
    return v;
}

static const jlp_val *scratch_tuple(writer *w, jlp_val *const *items, size_t n) {
    jlp_val *t = jlp__new_seq(w->scratch, JLP_TUPLE, items, n);
    if (!t) nomem(w);
    return t;
}

static bool ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)s[i] >= 0x80) return false;
    return true;
}

/* Whether every part of the dotted name `name` is non-empty ("a.b", not ".a", "a." or
 * "a..b"). */
static bool dotted_parts_named(const char *name, size_t n) {
    if (!n || name[0] == '.' || name[n - 1] == '.') return false;
    for (size_t i = 1; i < n; i++)
        if (name[i] == '.' && name[i - 1] == '.') return false;
    return true;
}

static void save_global(writer *w, const jlp_val *g) {
    const char *mod = g->u.g.mod, *name = g->u.g.name;
    size_t ml = g->aux, nl = g->u.g.name_len;
    if (w->proto >= 4) {
        /* STACK_GLOBAL from the two strings, then memoize the global */
        push(w, T_MEMOIZE, g, 0);
        push_op(w, JLP_OP_STACK_GLOBAL);
        push_save(w, scratch_str(w, name, nl));
        push_save(w, scratch_str(w, mod, ml));
        return;
    }
    const char *dot = memchr(name, '.', nl);
    if (dot && !dotted_parts_named(name, nl)) {
        /* getattr(parent, '') cannot be spelled with a name GLOBAL accepts, and Python
         * resolves no such name (its pickler refuses it, its unpickler fails on it) */
        fail(w, JLP_E_UNSUPPORTED, "a dotted class name with an empty part needs protocol 4");
        return;
    }
    if (dot) {
        /* protocols < 4 cannot name a nested qualname: getattr(parent, last) */
        const char *last = name;
        for (const char *p = name; p < name + nl; p++)
            if (*p == '.') last = p + 1;
        /* by length: a loaded name may hold NULs (GLOBAL reads any byte but '\n') */
        const jlp_val *parent = jlp__new_global(w->scratch, mod, ml, name, (size_t)(last - 1 - name));
        if (!parent) { nomem(w); return; }
        jlp_val *args[2] = {(jlp_val *)(uintptr_t)parent,
                            (jlp_val *)(uintptr_t)scratch_str(w, last, (size_t)(name + nl - last))};
        if (w->code) return;
        push(w, T_MEMOIZE, g, 0);
        push_op(w, JLP_OP_REDUCE);
        push_save(w, scratch_tuple(w, args, 2));
        push_save(w, scratch_global(w, "builtins", "getattr"));
        return;
    }
    if (memchr(mod, '\n', ml) || memchr(name, '\n', nl)) {
        fail(w, JLP_E_UNSUPPORTED, "a module or class name with a newline needs protocol 4");
        return;
    }
    if (w->proto < 3) jlp__compat_reverse(&mod, &ml, &name, &nl);
    if (w->proto < 3 && (!ascii(mod, ml) || !ascii(name, nl))) {
        fail(w, JLP_E_UNSUPPORTED, "protocols 0-2 need ASCII module and class names");
        return;
    }
    out_byte(w, JLP_OP_GLOBAL);
    out(w, mod, ml);
    out_byte(w, '\n');
    out(w, name, nl);
    out_byte(w, '\n');
    memoize(w, g);
}

/* Push the steps of `callable(*args)` REDUCE for the object v, memoized afterwards. */
static void push_reduce(writer *w, const jlp_val *v, const jlp_val *callable, const jlp_val *args) {
    push(w, T_NEWOBJ_END, v, 0);
    push_op(w, JLP_OP_REDUCE);
    push_save(w, args);
    push_save(w, callable);
}

/* ---- containers ------------------------------------------------------------------- */

static size_t save_numbers(writer *w, jlp_val *const *items, size_t j, size_t end);
static inline bool in_number_run(const writer *w, const jlp_val *x);
static bool save_inline(writer *w, const jlp_val *x);
static void finish_tuple(writer *w, const jlp_val *t, bool reached);

static void save_tuple(writer *w, const jlp_val *t) {
    size_t n = t->u.seq.n;
    if (!n) {
        if (w->proto >= 1) out_byte(w, JLP_OP_EMPTY_TUPLE);
        else {
            out_byte(w, JLP_OP_MARK);
            out_byte(w, JLP_OP_TUPLE);
        }
        return;
    }
    size_t j = 0;
    if (!(n <= 3 && w->proto >= 2)) out_byte(w, JLP_OP_MARK);
    /* the elements saved in a loop while they push no task (numbers straight into the
     * frame, as a batch writes them), as CPython's save_tuple does; a tuple whose
     * elements all went this way has not reached itself through them */
    while (j < n && !w->code) {
        const jlp_val *x = t->u.seq.v[j];
        if (in_number_run(w, x) && (j = save_numbers(w, t->u.seq.v, j, n)) == n) break;
        if (!save_inline(w, t->u.seq.v[j])) break;
        j++;
    }
    if (j == n) {
        finish_tuple(w, t, false);
        return;
    }
    push(w, T_TUPLE_END, t, 0);
    for (size_t i = n; i-- > j;) push_save(w, t->u.seq.v[i]);
}

/* `reached`: whether its elements may have reached the tuple (they went through the
 * task stack); else save() has just found it absent from the memo and nothing was
 * memoized since but its elements' own parts, so no probe is needed. */
static void finish_tuple(writer *w, const jlp_val *t, bool reached) {
    size_t n = t->u.seq.n;
    uint64_t idx;
    bool small = n <= 3 && w->proto >= 2;
    if (reached && memo_find(w, t, &idx)) {
        /* the tuple reached itself through its elements: drop them, fetch it */
        if (small) for (size_t i = 0; i < n; i++) out_byte(w, JLP_OP_POP);
        else if (w->proto >= 1) out_byte(w, JLP_OP_POP_MARK);
        else for (size_t i = 0; i <= n; i++) out_byte(w, JLP_OP_POP);
        put_get(w, idx);
        return;
    }
    out_byte(w, small ? (uint8_t)(JLP_OP_TUPLE1 + n - 1) : (uint8_t)JLP_OP_TUPLE);
    memoize(w, t);
}

/* APPENDS batches over seq[i..], SETITEMS over pairs, ADDITEMS over set items. */
static void save(writer *w, const jlp_val *v);
static void save_unmemoized(writer *w, const jlp_val *v);
static void save_new(writer *w, const jlp_val *v);

/* Values Python never memoizes: written in place, no memo lookup. */
static bool is_plain(const jlp_val *v) {
    return v->type == JLP_NONE || v->type == JLP_BOOL || v->type == JLP_INT || v->type == JLP_FLOAT;
}

static bool joblib_wraps(const writer *w, const jlp_val *v);

/* Save x now when save() writes it without pushing a task: numbers, None, bools, big
 * ints, strs, bytes and bytearrays where the protocol has an opcode for them, short
 * tuples of those, and any value the memo already holds (save() would only write its BINGET, as the memo probe
 * here does). @return false, having written nothing, for any other value: the caller
 * pushes it. The items of a container are saved in a loop this way, without a task per
 * item, as CPython's batch_list and save_tuple save theirs; the bytes are the ones the
 * task stack would produce. */
static bool save_inline(writer *w, const jlp_val *x) {
    if (!x) return false; /* a scratch value whose allocation failed: push_save reports it */
    switch ((jlp_type)x->type) {
    case JLP_NONE: case JLP_BOOL: case JLP_INT: case JLP_FLOAT: case JLP_BIGINT: case JLP_STR:
        break;
    case JLP_BYTES:
        if (w->proto >= 3) break;
        goto fetch;
    case JLP_BYTEARRAY:
        if (w->proto >= 5) break;
        goto fetch;
    case JLP_TUPLE:
        /* a short tuple of numbers, strs and bytes (a row's pair): save_tuple writes
         * its elements in its own loop and finishes it, pushing nothing */
        if (x->u.seq.n > 16) goto fetch;
        for (size_t k = 0; k < x->u.seq.n; k++) {
            const jlp_val *e = x->u.seq.v[k];
            if (!is_plain(e) && e->type != JLP_STR && e->type != JLP_BIGINT && !(e->type == JLP_BYTES && w->proto >= 3))
                goto fetch;
        }
        break;
    default:
    fetch: {
        uint64_t idx;
        if (joblib_wraps(w, x) || !memo_find(w, x, &idx)) return false;
        if (JLP_UNLIKELY(w->frame.len >= FRAME_TARGET + FRAME_HDR)) commit_frame(w, false);
        put_get(w, idx);
        return true;
    }
    }
    save(w, x);
    return true;
}

/* Whether save_numbers() writes x (protocol >= 4; x NULL: see save_inline). */
static inline bool in_number_run(const writer *w, const jlp_val *x) {
    return w->framing && x && (is_plain(x) || x == w->last_v);
}

/* A run of numbers, None and bools in a framed pickle (protocol >= 4), and of the value
 * the memo found last, written straight into the frame with what save() writes for
 * each (BININT1/BININT2/BININT/LONG1, BINFLOAT, NONE, NEWTRUE/NEWFALSE, BINGET/
 * LONG_BINGET), and the frame committed between items where save() would
 * commit it, as CPython's batch_list with save_long does. @return the index of the first
 * item it left to save(). */
static size_t save_numbers(writer *w, jlp_val *const *items, size_t j, size_t end) {
    jlp__buf *f = &w->frame;
    if (!f->len || w->code) return j;
    uint8_t *base = (uint8_t *)f->data;
    uint8_t *o = base + f->len;
    uint8_t *const commit_at = base + FRAME_TARGET + FRAME_HDR;
    for (; j < end; j++) {
        const jlp_val *x = items[j];
        if (JLP_UNLIKELY(o >= commit_at)) {
            /* where save() commits the frame: at the start of the next item */
            f->len = (size_t)(o - base);
            commit_frame(w, false);
            frame_open(w);
            if (w->code || !f->len) return j;
            base = (uint8_t *)f->data;
            o = base + f->len;
        }
        if ((size_t)((uint8_t *)f->data + f->cap - o) < 16 || !x) break; /* !x: see save_inline */
        if (x->type == JLP_INT) {
            uint8_t *past = put_binint(o, x->u.i);
            o = past ? past : put_long1(o, x->u.i);
        } else if (x->type == JLP_FLOAT) {
            o = put_binfloat(o, x->u.f);
        } else if (x->type == JLP_NONE) {
            *o++ = JLP_OP_NONE;
        } else if (x->type == JLP_BOOL) {
            *o++ = x->u.i ? JLP_OP_NEWTRUE : JLP_OP_NEWFALSE;
        } else if (x == w->last_v) {
            /* the value the memo found last (one list in every row): its GET, as
             * save_inline() writes it */
            o = put_get_at(o, w->last_idx);
        } else {
            break;
        }
    }
    f->len = (size_t)(o - (uint8_t *)f->data);
    return j;
}

static void batch_items(writer *w, task_kind k, const jlp_val *v, size_t j, size_t end);
static void batch(writer *w, task_kind k, const jlp_val *v, size_t i) {
    size_t total = v->u.seq.n;
    if (i >= total) return;
    size_t n = total - i < BATCHSIZE ? total - i : BATCHSIZE;
    bool pairs = k == T_SETITEMS;
    if (w->proto == 0) {
        /* no MARK batches in protocol 0: one APPEND / SETITEM per item. Items (keys and
         * values) that push no task are saved here in a loop (save_inline, as below);
         * at the first other one, the rest goes to the task stack. */
        uint8_t op = pairs ? JLP_OP_SETITEM : JLP_OP_APPEND;
        jlp_val *const *items = v->u.seq.v;
        bool key_saved = false;
        for (; i < total && !w->code; i++) {
            if (!save_inline(w, items[pairs ? 2 * i : i])) break;
            if (pairs && !save_inline(w, items[2 * i + 1])) {
                key_saved = true;
                break;
            }
            out_byte(w, op);
        }
        if (i == total || w->code) return;
        if (i + 1 < total) push(w, k, v, i + 1);
        push_op(w, op);
        if (pairs) push_save(w, items[2 * i + 1]);
        if (!key_saved) push_save(w, items[pairs ? 2 * i : i]);
        return;
    }
    if (n == BATCHSIZE) push(w, k, v, i + n);
    /* pickle.py writes a lone item (also the last of a batch) with APPEND/SETITEM;
     * _pickle.c does so only for a container of one item (joblib's nested pickles of
     * object arrays come from _pickle.c). */
    bool lone = w->c_batches ? total == 1 : n == 1;
    if (w->c_batches && n == BATCHSIZE && i + n == total) w->nt--; /* no empty batch follows */
    if (lone && k == T_APPENDS) {
        /* a list of one item (a chain of nested lists): saved here when it pushes no
         * task, else without a second memo probe (as batch_items does) */
        const jlp_val *x = v->u.seq.v[i];
        if (save_inline(w, x)) {
            out_byte(w, JLP_OP_APPEND);
            return;
        }
        push_op(w, JLP_OP_APPEND);
        if (!x) nomem(w);
        else push(w, T_SAVE_NEW, x, 0);
        return;
    }
    if (lone && k != T_ADDITEMS) {
        push_op(w, pairs ? JLP_OP_SETITEM : JLP_OP_APPEND);
        if (pairs) push_save(w, v->u.seq.v[2 * i + 1]);
        push_save(w, v->u.seq.v[pairs ? 2 * i : i]);
        return;
    }
    size_t first = pairs ? 2 * i : i;
    out_byte(w, JLP_OP_MARK);
    batch_items(w, k, v, first, first + (pairs ? 2 * n : n));
}

/* The items of an open batch (its MARK written), slots j..end of v's item array, then
 * its APPENDS/SETITEMS/ADDITEMS. They are saved here, in order, as long as saving them
 * pushes no task (save_inline), as CPython's batch_list saves each item in its loop.
 *
 * At another item (a container the memo does not hold), the loop leaves a task to come
 * back to the items after it (T_BATCH_REST) and saves that item. Outside such a save,
 * it saves the item right here: when that pushed no task (a tuple of memo hits, a list
 * or dict of scalars and strs), the loop takes the task back and goes on. Inside one
 * (the item's own items), it pushes the item instead, so the C stack stays two saves
 * deep whatever the depth of the input. Either way a nested container costs at most
 * two tasks, not one per item left in the batch. */
static void batch_items(writer *w, task_kind k, const jlp_val *v, size_t j, size_t end) {
    jlp_val *const *items = v->u.seq.v;
    while (j < end && !w->code) {
        /* runs of numbers (and GETs of the value the memo found last) straight into
         * the frame, also between the strs (a dict of str -> float alternates them);
         * entered at such an item only */
        const jlp_val *x = items[j];
        if (in_number_run(w, x)) {
            if ((j = save_numbers(w, items, j, end)) == end) break;
            x = items[j];
        }
        /* Each str's memo probe is a load from a table that outgrows the caches (a
         * million strs: 32 MiB): ask for the slot of an item a few places ahead now,
         * so that its probe finds it in the cache. */
        if (x->type == JLP_STR && j + MEMO_AHEAD < end && w->memo.cap)
            memo_prefetch(w, items[j + MEMO_AHEAD]);
        if (save_inline(w, x)) {
            j++;
            continue;
        }
        /* save_inline() has probed the memo for x and missed: x is saved without a
         * second probe */
        size_t below = w->nt;
        task *rest = push(w, T_BATCH_REST, v, j + 1);
        if (!rest) return;
        rest->lit[0] = (uint8_t)k;
        if (!x) {
            nomem(w);
            return;
        }
        if (w->in_item) {
            push(w, T_SAVE_NEW, x, 0);
            return;
        }
        w->in_item = true;
        save_new(w, x);
        w->in_item = false;
        if (w->nt != below + 1) return;   /* x left tasks: the rest of the batch follows them */
        w->nt = below;
        j++;
    }
    if (!w->code) out_byte(w, k == T_SETITEMS ? JLP_OP_SETITEMS : k == T_ADDITEMS ? JLP_OP_ADDITEMS : JLP_OP_APPENDS);
}

/* T_BATCH_REST: the batch of v that item slot j - 1 belongs to goes on from slot j.
 * Batches start at multiples of BATCHSIZE items (batch() pushes the next one at i + n),
 * so the batch ends at the next multiple, or at the last item. */
static void batch_rest(writer *w, task_kind k, const jlp_val *v, size_t j) {
    size_t per = k == T_SETITEMS ? 2 * BATCHSIZE : BATCHSIZE;
    size_t slots = k == T_SETITEMS ? 2 * v->u.seq.n : v->u.seq.n;
    size_t end = ((j - 1) / per + 1) * per;
    batch_items(w, k, v, j, end < slots ? end : slots);
}

/* A temporary list of the items of a set (protocols < 4 write set(list)). */
static const jlp_val *items_list(writer *w, const jlp_val *v) {
    jlp_val *l = jlp__new_seq(w->scratch, JLP_LIST, v->u.seq.v, v->u.seq.n);
    if (!l) nomem(w);
    return l;
}

static void save_set(writer *w, const jlp_val *v, bool frozen) {
    if (w->proto < 4) {
        jlp_val *arg = (jlp_val *)(uintptr_t)items_list(w, v);
        if (w->code) return;
        push_reduce(w, v, scratch_global(w, "builtins", frozen ? "frozenset" : "set"), scratch_tuple(w, &arg, 1));
        return;
    }
    if (!frozen) {
        out_byte(w, JLP_OP_EMPTY_SET);
        memoize(w, v);
        batch(w, T_ADDITEMS, v, 0);
        return;
    }
    push(w, T_FSET_END, v, 0);
    for (size_t i = v->u.seq.n; i-- > 0;) push_save(w, v->u.seq.v[i]);
    out_byte(w, JLP_OP_MARK);
}

/* ---- bytes ------------------------------------------------------------------------ */

/* Latin-1 text of raw bytes, as Python's str(b, 'latin1'): a temporary str. */
static const jlp_val *latin1_str(writer *w, const uint8_t *p, size_t n) {
    uint8_t *u = jlp__doc_alloc(w->scratch, 2 * n + 1);
    if (!u) { nomem(w); return NULL; }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) o += jlp__utf8_put(u + o, p[i]);
    return scratch_str(w, (const char *)u, o);
}

static void save_bytes(writer *w, const jlp_val *v) {
    size_t n = v->u.s.n;
    if (w->proto < 3) {
        if (!n) {
            push_reduce(w, v, scratch_global(w, "builtins", "bytes"), scratch_tuple(w, NULL, 0));
            return;
        }
        jlp_val *args[2] = {(jlp_val *)(uintptr_t)latin1_str(w, (const uint8_t *)v->u.s.p, n),
                            (jlp_val *)(uintptr_t)scratch_str(w, "latin1", 6)};
        if (w->code) return;
        push_reduce(w, v, scratch_global(w, "_codecs", "encode"), scratch_tuple(w, args, 2));
        return;
    }
    if (!out_sized(w, v, JLP_OP_SHORT_BINBYTES, JLP_OP_BINBYTES, JLP_OP_BINBYTES8)) return;
    memoize(w, v);
}

static void save_bytearray(writer *w, const jlp_val *v) {
    size_t n = v->u.s.n;
    if (w->proto < 5) {
        jlp_val *b = n ? jlp__new_bytes_borrow(w->scratch, JLP_BYTES, v->u.s.p, n) : NULL;
        if (n && !b) { nomem(w); return; }
        push_reduce(w, v, scratch_global(w, "builtins", "bytearray"), scratch_tuple(w, &b, n ? 1 : 0));
        return;
    }
    uint8_t h[9] = {JLP_OP_BYTEARRAY8};
    out_u64(h + 1, n);
    if (n >= FRAME_TARGET) out_large(w, h, 9, v->u.s.p, n);
    else {
        out(w, h, 9);
        out(w, v->u.s.p, n);
    }
    memoize(w, v);
}

/* ---- objects ---------------------------------------------------------------------- */

/* After an object is made and memoized: its list items, dict items, then BUILD(state).
 * Pushed when the object is memoized (T_NEWOBJ_END), not when its save starts: an
 * object met again through its own class or arguments is made twice and the outer copy
 * is dropped for the memo's (POP GET), and its tail must then not be written a second
 * time (items would load doubled). This is what _pickle.c does; pickle.py writes the
 * tail twice. */
static void push_object_tail(writer *w, const jlp__obj *o) {
    if (o->state) {
        push_op(w, JLP_OP_BUILD);
        push_save(w, o->state);
    }
    if (o->dictitems && o->dictitems->u.seq.n) push(w, T_SETITEMS, o->dictitems, 0);
    if (o->items && o->items->u.seq.n) push(w, T_APPENDS, o->items, 0);
}

/* The state argument of copyreg._reconstructor(cls, base, state). Python's pickler
 * passes `base(self)`, a new container each time the instance is reduced, and the
 * instance is made from a copy of it. The document keeps the instance's contents in that
 * node, which may reach the instance again through a list or dict filled after it. When
 * the writer meets the instance again while writing those contents (a cycle), the inner
 * REDUCE must not fetch the half-written node from the memo (the copy would be empty or
 * partial): like Python, each reduce writes a container of its own with the same items. */
static jlp_val *reconstructor_state(writer *w, jlp_val *state) {
    jlp_type t = (jlp_type)state->type;
    if (t != JLP_LIST && t != JLP_DICT && t != JLP_SET && t != JLP_FROZENSET && t != JLP_TUPLE) return state;
    jlp_val *c = jlp__new_seq(w->scratch, t, state->u.seq.v, state->u.seq.n);
    if (!c) {
        nomem(w);
        return NULL;
    }
    c->flags |= state->flags & JLP_VF_ORDERED;
    return c;
}

static void save_object(writer *w, const jlp_val *v) {
    const jlp__obj *o = v->u.obj;
    switch (o->kind) {
    case JLP_OBJ_NEWOBJ:
    case JLP_OBJ_NEWOBJ_EX:
        if (o->kind == JLP_OBJ_NEWOBJ_EX && o->kwargs && o->kwargs->u.seq.n) {
            if (w->proto < 4) {
                /* copyreg.__newobj_ex__(cls, args, kwargs), which Python can call */
                jlp_val *a3[3] = {o->callable, o->args, o->kwargs};
                push_reduce(w, v, scratch_global(w, "copyreg", "__newobj_ex__"), scratch_tuple(w, a3, 3));
                return;
            }
            push(w, T_NEWOBJ_END, v, 0);
            push_op(w, JLP_OP_NEWOBJ_EX);
            push_save(w, o->kwargs);
            push_save(w, o->args);
            push_save(w, o->callable);
            return;
        }
        if (w->proto >= 2) {
            push(w, T_NEWOBJ_END, v, 0);
            push_op(w, JLP_OP_NEWOBJ);
            push_save(w, o->args);
            push_save(w, o->callable);
            return;
        }
        if (!(v->flags & JLP_VF_SCRATCH)) {
            /* copyreg.__newobj__(cls, *args): the call NEWOBJ stands for, right for every
             * class. Python's pickler picks copyreg._reconstructor(cls, base, state) by
             * the class's first builtin base, which a document does not record: with
             * `object` for a subclass of list, dict, set, int... (even an empty one)
             * Python refuses to load it ("object.__new__(X) is not safe"). */
            size_t n = o->args->u.seq.n;
            jlp_val **a = jlp__doc_alloc(w->scratch, (n + 1) * sizeof *a);
            if (!a) { nomem(w); return; }
            a[0] = o->callable;
            if (n) memcpy(a + 1, o->args->u.seq.v, n * sizeof *a);
            push_reduce(w, v, scratch_global(w, "copyreg", "__newobj__"), scratch_tuple(w, a, n + 1));
            return;
        }
        /* the writer's own joblib array wrapper, a plain class: copyreg._reconstructor(cls,
         * object, None), byte for byte what joblib.dump writes at protocols 0-1 */
        {
            jlp_val *args[3] = {o->callable, (jlp_val *)(uintptr_t)scratch_global(w, "builtins", "object"),
                                jlp__new_none(w->scratch)};
            if (w->code) return;
            push_reduce(w, v, scratch_global(w, "copyreg", "_reconstructor"), scratch_tuple(w, args, 3));
        }
        return;
    case JLP_OBJ_RECONSTRUCTOR: {
        jlp_val *args[3] = {o->callable, o->args->u.seq.n > 0 ? o->args->u.seq.v[0] : jlp__new_none(w->scratch),
                            o->args->u.seq.n > 1 ? reconstructor_state(w, o->args->u.seq.v[1]) : jlp__new_none(w->scratch)};
        if (w->code) return;
        push_reduce(w, v, scratch_global(w, "copyreg", "_reconstructor"), scratch_tuple(w, args, 3));
        return;
    }
    case JLP_OBJ_OBJ:
    case JLP_OBJ_INST:
        /* cls(*args): kept as OBJ (or INST in protocol 0) so it reloads as it loaded */
        if (w->proto >= 1 || o->callable->type == JLP_GLOBAL) {
            push(w, T_NEWOBJ_END, v, 0);
            if (w->proto >= 1) {
                push_op(w, JLP_OP_OBJ);
            } else {
                const jlp_val *g = o->callable;
                size_t need = 3 + g->aux + g->u.g.name_len;
                if (need > sizeof w->tasks[0].lit || memchr(g->u.g.mod, '\n', g->aux) ||
                    memchr(g->u.g.name, '\n', g->u.g.name_len)) {
                    w->nt--;
                    push_reduce(w, v, o->callable, o->args);
                    return;
                }
                uint8_t lit[sizeof w->tasks[0].lit];
                lit[0] = JLP_OP_INST;
                memcpy(lit + 1, g->u.g.mod, g->aux);
                lit[1 + g->aux] = '\n';
                memcpy(lit + 2 + g->aux, g->u.g.name, g->u.g.name_len);
                lit[2 + g->aux + g->u.g.name_len] = '\n';
                push_bytes(w, lit, need);
            }
            for (size_t i = o->args->u.seq.n; i-- > 0;) push_save(w, o->args->u.seq.v[i]);
            if (w->proto >= 1) push_save(w, o->callable);
            push_op(w, JLP_OP_MARK);
            return;
        }
        push_reduce(w, v, o->callable, o->args);
        return;
    default: /* REDUCE: callable(*args) */
        push_reduce(w, v, o->callable, o->args);
        return;
    }
}

/* ---- numpy -------------------------------------------------------------------------- */

static jlp_val *s_int(writer *w, int64_t i) {
    jlp_val *v = jlp__new_int(w->scratch, i);
    if (!v) nomem(w);
    return v;
}

static jlp_val *shape_tuple(writer *w, const uint64_t *shape, size_t ndim) {
    jlp_val *items[64];
    for (size_t k = 0; k < ndim; k++) items[k] = s_int(w, (int64_t)shape[k]);
    return (jlp_val *)(uintptr_t)scratch_tuple(w, items, ndim);
}

/* numpy's dtype flags for the pickled state, derived when the dtype was not loaded. */
static int64_t dtype_flags(const jlp__dtype_info *d) {
    if (d->built && d->flags) return d->flags;
    if (d->kind == 'O') return 63;
    if (d->kind == 'U') return 8;
    if (d->sub_base) return dtype_flags(jlp__dt(d->sub_base)) & 0x1B;
    if (d->structured) {
        int64_t f = 0x10;
        for (size_t i = 0; i < d->nfields; i++) f |= dtype_flags(jlp__dt(d->fields[i].dtype)) & 0x1B;
        return f;
    }
    return 0;
}

/* REDUCE(numpy.dtype, (descr, False, True)) + BUILD(state), as numpy's __reduce__. */
static void save_dtype(writer *w, const jlp_val *dt) {
    const jlp__dtype_info *d = jlp__dt(dt);
    jlp_doc *s = w->scratch;
    if (d->bfloat16) {
        /* numpy has no bfloat16: written as "V2" it would load as raw bytes */
        fail(w, JLP_E_UNSUPPORTED, "bfloat16 arrays: numpy has no such dtype");
        return;
    }
    char descr[32];
    uint64_t size = d->kind == 'U' ? d->itemsize / 4 : d->itemsize;
    if (d->kind == 'M' || d->kind == 'm') snprintf(descr, sizeof descr, "%c8", d->kind);
    else snprintf(descr, sizeof descr, "%c%llu", d->kind, (unsigned long long)size);
    jlp_val *a[3] = {(jlp_val *)(uintptr_t)scratch_str(w, descr, strlen(descr)), jlp__new_bool(s, false), jlp__new_bool(s, true)};
    if (a[0]) a[0]->flags |= JLP_VF_FRESH; /* numpy formats a new str for every dtype */
    bool flexible = d->kind == 'S' || d->kind == 'U' || d->kind == 'V';
    jlp_val *sub = jlp__new_none(s), *names = jlp__new_none(s), *fields = jlp__new_none(s);
    if (d->sub_base) {
        jlp_val *p[2] = {d->sub_base, shape_tuple(w, d->sub_shape, d->sub_ndim)};
        sub = (jlp_val *)(uintptr_t)scratch_tuple(w, p, 2);
    }
    if (d->structured) {
        jlp_val **nm = jlp__doc_alloc(s, (d->nfields ? d->nfields : 1) * sizeof *nm);
        jlp_val *fd = jlp__new_seq(s, JLP_DICT, NULL, 0);
        if (!nm || !fd) { nomem(w); return; }
        for (size_t i = 0; i < d->nfields; i++) {
            const jlp__field *f = &d->fields[i];
            nm[i] = f->name_val ? f->name_val : (jlp_val *)(uintptr_t)scratch_str(w, f->name, f->name_len);
            jlp_val *e[3] = {f->dtype, s_int(w, (int64_t)f->offset), f->title};
            jlp_val *entry = (jlp_val *)(uintptr_t)scratch_tuple(w, e, f->title ? 3 : 2);
            jlp_val *kv[2] = {nm[i], entry};
            if (w->code || !jlp__seq_append(s, fd, kv, 1)) { nomem(w); return; }
            if (f->title) {
                kv[0] = f->title;
                if (!jlp__seq_append(s, fd, kv, 1)) { nomem(w); return; }
            }
        }
        names = (jlp_val *)(uintptr_t)scratch_tuple(w, nm, d->nfields);
        fields = fd;
    }
    bool sized = flexible || d->structured || d->sub_base;
    int64_t flags = dtype_flags(d);
    /* numpy keeps flags in a signed char: the low byte, signed (a loaded state may hold
     * any int; numpy ignores it for built-in types and refuses it out of range for the
     * others, and wrapping it once more must not change it again) */
    flags &= 0xFF;
    if (flags > 127) flags -= 256;
    char bo[2] = {d->byteorder, 0};
    jlp_val *st[9] = {s_int(w, 3), (jlp_val *)(uintptr_t)scratch_str(w, bo, 1), sub, names, fields,
                      s_int(w, sized ? (int64_t)d->itemsize : -1),
                      s_int(w, sized ? (int64_t)(d->alignment ? d->alignment : 1) : -1), s_int(w, flags), NULL};
    size_t nst = 8;
    if (d->kind == 'M' || d->kind == 'm') {
        /* version 4: (metadata, (unit, num, den, events)) */
        st[0] = s_int(w, 4);
        const char *unit = d->unit[0] ? d->unit : "generic";
        jlp_val *u[4] = {jlp__new_bytes_copy(s, JLP_BYTES, unit, strlen(unit)), s_int(w, d->unit_num ? d->unit_num : 1),
                         s_int(w, 1), s_int(w, 1)};
        jlp_val *m2[2] = {d->metadata ? d->metadata : jlp__new_seq(s, JLP_DICT, NULL, 0),
                          (jlp_val *)(uintptr_t)scratch_tuple(w, u, 4)};
        st[8] = (jlp_val *)(uintptr_t)scratch_tuple(w, m2, 2);
        nst = 9;
    } else if (d->metadata) {
        st[0] = s_int(w, 4);
        st[8] = d->metadata;
        nst = 9;
    }
    if (w->code) return;
    push_op(w, JLP_OP_BUILD);
    push_save(w, scratch_tuple(w, st, nst));
    push_reduce(w, dt, scratch_global(w, "numpy", "dtype"), scratch_tuple(w, a, 3));
}

static const char *numpy_core(writer *w) {
    (void)w;
    return "numpy.core.multiarray";
}

/* Whether numpy exports the items of `d` as a PEP 3118 buffer (a PickleBuffer): not
 * datetimes and timedeltas, nor long doubles in the other byte order, anywhere in the
 * dtype. numpy's __reduce_ex__(5) falls back to _reconstruct for those. */
static bool buffer_exportable(const jlp__dtype_info *d) {
    if (d->kind == 'M' || d->kind == 'm') return false;
    if ((d->kind == 'f' && d->itemsize > 8) || (d->kind == 'c' && d->itemsize > 16)) {
        const uint16_t one = 1;
        char native = *(const uint8_t *)&one ? '<' : '>';
        if (d->byteorder != native && d->byteorder != '|') return false;
    }
    if (d->sub_base && !buffer_exportable(jlp__dt(d->sub_base))) return false;
    for (size_t i = 0; i < d->nfields; i++)
        if (!buffer_exportable(jlp__dt(d->fields[i].dtype))) return false;
    return true;
}

/* numpy's own reduce of an array: _reconstruct + BUILD, or _frombuffer at protocol 5. */
static void save_array_numpy(writer *w, const jlp_val *v) {
    const jlp__ndarray *a = jlp__arr(v);
    jlp_val *dtype = a->dtype;
    const jlp__dtype_info *d = jlp__dt(dtype);
    const uint8_t *bytes = a->data;
    jlp_doc *s = w->scratch;
    bool fortran = a->order == 'F';
    /* Python holds an array its loader swapped (numpy's __setstate__, joblib's read) in
     * host order, and the rewrite must load so too (FORMAT.md W-10). numpy's
     * __setstate__ swaps a dtype that is not native at its top again: such an array is
     * written with _reconstruct, in the file's order. A structured dtype whose fields
     * joblib swapped is written as Python holds it, fields and bytes in host order. */
    bool swap_on_load = jlp__python_swapped(a);
    if (swap_on_load && d->byteorder == '|') {
        uint8_t *copy = jlp__doc_alloc(s, a->nbytes ? (size_t)a->nbytes : 1);
        dtype = jlp__dtype_fields_native(s, a->dtype);
        if (!copy || !dtype) { nomem(w); return; }
        if (a->nbytes) memcpy(copy, a->data, (size_t)a->nbytes);
        jlp__swap_to_host(d, copy, a->count, d->itemsize);
        bytes = copy;
        d = jlp__dt(dtype);
        swap_on_load = false;
    }
    /* numpy's __reduce_ex__(5) takes _frombuffer only for an exact ndarray whose items
     * have a size and no objects and export as a buffer; a subclass (matrix, recarray,
     * memmap) keeps its class through _reconstruct, and a zero itemsize has no buffer
     * numpy can rebuild from */
    bool plain = !a->subclass || jlp_global_is(a->subclass, "numpy", "ndarray");
    if (w->proto >= 5 && !d->hasobject && d->itemsize && plain && buffer_exportable(d) && !swap_on_load) {
        jlp_val *buf = jlp__new_bytes_borrow(s, JLP_BYTEARRAY, bytes ? (const char *)bytes : "", (size_t)a->nbytes);
        jlp_val *args[4] = {buf, dtype, shape_tuple(w, a->shape, a->ndim),
                            (jlp_val *)(uintptr_t)scratch_str(w, fortran ? "F" : "C", 1)};
        if (!buf || w->code) { nomem(w); return; }
        push_reduce(w, v, scratch_global(w, "numpy.core.numeric", "_frombuffer"), scratch_tuple(w, args, 4));
        return;
    }
    jlp_val *zero = s_int(w, 0);
    jlp_val *ra[3] = {(jlp_val *)(uintptr_t)(a->subclass ? a->subclass : scratch_global(w, "numpy", "ndarray")),
                      (jlp_val *)(uintptr_t)scratch_tuple(w, &zero, 1), jlp_new_bytes(s, "b", 1)};
    jlp_val *data = a->objects ? a->objects
                               : jlp__new_bytes_borrow(s, JLP_BYTES, bytes ? (const char *)bytes : "", (size_t)a->nbytes);
    jlp_val *st[5] = {s_int(w, 1), shape_tuple(w, a->shape, a->ndim), dtype, jlp__new_bool(s, fortran), data};
    if (!data || w->code) { nomem(w); return; }
    push_op(w, JLP_OP_BUILD);
    push_save(w, scratch_tuple(w, st, 5));
    push_reduce(w, v, scratch_global(w, numpy_core(w), "_reconstruct"), scratch_tuple(w, ra, 3));
}

/* joblib's NumpyArrayWrapper: NEWOBJ + BUILD(state), the frame committed, the payload. */
static void save_array_joblib(writer *w, const jlp_val *v) {
    const jlp__ndarray *a = jlp__arr(v);
    const jlp__dtype_info *d = jlp__dt(a->dtype);
    jlp_doc *s = w->scratch;
    jlp_val *state = jlp__new_seq(s, JLP_DICT, NULL, 0);
    const jlp_val *cls = scratch_global(w, "joblib.numpy_pickle", "NumpyArrayWrapper");
    if (!state || w->code) { nomem(w); return; }
    /* joblib records ndarray, matrix or memmap; anything else loads as a plain array */
    const jlp_val *sub = a->subclass && (jlp_global_is(a->subclass, "numpy", "matrix") ||
                                         jlp_global_is(a->subclass, "numpy", "memmap") ||
                                         jlp_global_is(a->subclass, "numpy.matrixlib.defmatrix", "matrix"))
                             ? a->subclass : scratch_global(w, "numpy", "ndarray");
    bool f = a->order == 'F';
    unsigned big = 0;
    for (uint32_t k = 0; k < a->ndim; k++) big += a->shape[k] > 1;
    if (big < 2 || a->count == 0) f = false; /* also C-contiguous: joblib says 'C' */
    jlp_val *kv[12] = {
        (jlp_val *)(uintptr_t)scratch_str(w, "subclass", 8), (jlp_val *)(uintptr_t)sub,
        (jlp_val *)(uintptr_t)scratch_str(w, "shape", 5), shape_tuple(w, a->shape, a->ndim),
        (jlp_val *)(uintptr_t)scratch_str(w, "order", 5), (jlp_val *)(uintptr_t)scratch_str(w, f ? "F" : "C", 1),
        (jlp_val *)(uintptr_t)scratch_str(w, "dtype", 5), a->wrapper_dtype ? a->wrapper_dtype : a->dtype,
        (jlp_val *)(uintptr_t)scratch_str(w, "allow_mmap", 10), jlp__new_bool(s, !d->hasobject),
        (jlp_val *)(uintptr_t)scratch_str(w, "numpy_array_alignment_bytes", 27), s_int(w, ARRAY_ALIGNMENT)};
    if (w->code || !jlp__seq_append(s, state, kv, 6)) { nomem(w); return; }
    jlp_val *wrapper = jlp__new_object(s, JLP_OBJ_NEWOBJ, (jlp_val *)(uintptr_t)cls, NULL);
    if (!wrapper) { nomem(w); return; }
    wrapper->u.obj->state = state;
    /* the payload must not be framed: the wrapper's frame ends at its BUILD */
    push(w, d->hasobject ? T_NESTED : T_PAYLOAD, v, 0);
    push_save(w, wrapper);
}

static void write_payload(writer *w, const jlp_val *v) {
    const jlp__ndarray *a = jlp__arr(v);
    if (w->proto >= 4) commit_frame(w, true);
    /* pad so the data starts at a multiple of 16 of the output stream */
    uint64_t pos = w->sink->pos + (w->framing && w->frame.len ? w->frame.len - FRAME_HDR : 0);
    uint8_t pad = (uint8_t)(ARRAY_ALIGNMENT - ((pos + 1) % ARRAY_ALIGNMENT));
    uint8_t buf[1 + ARRAY_ALIGNMENT];
    buf[0] = pad;
    memset(buf + 1, 0xFF, pad);
    jlp__sink_write(w->sink, buf, 1u + pad);
    if (a->nbytes) jlp__sink_write(w->sink, a->data, (size_t)a->nbytes);
}

static jlp_code run(writer *w, const jlp_val *root);

/* An object array's payload: numpy's reduce of it in a complete protocol 2 pickle with
 * its own memo, as joblib 1.2 writes it with pickle.dump(array, protocol=2). */
static void write_nested(writer *w, const jlp_val *v) {
    if (w->proto >= 4) commit_frame(w, true);
    writer inner;
    memset(&inner, 0, sizeof inner);
    inner.sink = w->sink;
    inner.alc = w->alc;
    inner.proto = 2;
    inner.arrays = JLP_ARRAYS_NUMPY;
    inner.c_batches = true;
    inner.scratch = w->scratch;
    inner.err = w->err;
    jlp__buf_init(&inner.frame, w->alc);
    w->code = run(&inner, v);
}

/* ---- the loop ---------------------------------------------------------------------- */

/* joblib wraps exactly ndarray, matrix and memmap; other subclasses (recarray...) go
 * through numpy's own reduce, and are memoized like any reduced object. */
static bool joblib_wraps(const writer *w, const jlp_val *v) {
    if (v->type != JLP_NDARRAY || w->arrays != JLP_ARRAYS_JOBLIB) return false;
    const jlp__dtype_info *d = jlp__dt(jlp__arr(v)->dtype);
    /* joblib divides by the itemsize when it writes and reads a payload (joblib.dump
     * and joblib.load both fail with ZeroDivisionError, even for an empty array):
     * such an array goes through numpy's own reduce, which joblib.load reads */
    if (d->itemsize == 0 && !d->hasobject) return false;
    const jlp_val *sub = jlp__arr(v)->subclass;
    return !sub || jlp_global_is(sub, "numpy", "ndarray") || jlp_global_is(sub, "numpy", "matrix") ||
           jlp_global_is(sub, "numpy", "memmap") || jlp_global_is(sub, "numpy.matrixlib.defmatrix", "matrix") ||
           jlp_global_is(sub, "numpy.core.memmap", "memmap");
}

static void save(writer *w, const jlp_val *v) {
    if (JLP_UNLIKELY(w->frame.len >= FRAME_TARGET + FRAME_HDR)) commit_frame(w, false);
    uint64_t idx;
    /* joblib never memoizes arrays (each reference writes its own wrapper and payload);
     * numpy's reduce does */
    if (!joblib_wraps(w, v) && !is_plain(v) && v->type != JLP_BIGINT && memo_find(w, v, &idx)) {
        put_get(w, idx);
        return;
    }
    save_unmemoized(w, v);
}

/* save() of v, which the memo's probe by node has just missed (T_SAVE_NEW) */
static void save_new(writer *w, const jlp_val *v) {
    if (JLP_UNLIKELY(w->frame.len >= FRAME_TARGET + FRAME_HDR)) commit_frame(w, false);
    save_unmemoized(w, v);
}

/* save() of v once the memo's probe by node missed (or does not apply: numbers,
 * joblib's arrays): by value, else written. */
static void save_unmemoized(writer *w, const jlp_val *v) {
    uint64_t idx;
    if ((v->type == JLP_GLOBAL || ((v->type == JLP_STR || v->type == JLP_BYTES) && v->u.s.n <= 1) ||
         (v->flags & JLP_VF_BUILT)) &&
        by_value(v) && interned_find(w, v, &idx)) {
        put_get(w, idx);
        return;
    }
    switch ((jlp_type)v->type) {
    case JLP_NONE: out_byte(w, JLP_OP_NONE); break;
    case JLP_BOOL:
        if (w->proto >= 2) out_byte(w, v->u.i ? JLP_OP_NEWTRUE : JLP_OP_NEWFALSE);
        else out(w, v->u.i ? "I01\n" : "I00\n", 4);
        break;
    case JLP_INT: save_int64(w, v->u.i); break;
    case JLP_BIGINT: save_bigint(w, v); break;
    case JLP_FLOAT: save_float(w, v->u.f); break;
    case JLP_COMPLEX: {
        jlp_val *a[2] = {jlp__new_float(w->scratch, v->u.c.re), jlp__new_float(w->scratch, v->u.c.im)};
        if (!a[0] || !a[1]) { nomem(w); break; }
        push_reduce(w, v, scratch_global(w, "builtins", "complex"), scratch_tuple(w, a, 2));
        break;
    }
    case JLP_STR: save_str(w, v); break;
    case JLP_BYTES: save_bytes(w, v); break;
    case JLP_BYTEARRAY: save_bytearray(w, v); break;
    case JLP_TUPLE: save_tuple(w, v); break;
    case JLP_LIST:
        if (w->proto >= 1) out_byte(w, JLP_OP_EMPTY_LIST);
        else out(w, "(l", 2);
        memoize(w, v);
        batch(w, T_APPENDS, v, 0);
        break;
    case JLP_DICT:
        if (v->flags & JLP_VF_ORDERED) {
            /* OrderedDict.__reduce__: OrderedDict() then SETITEMS */
            if (v->u.seq.n) push(w, T_SETITEMS, v, 0);
            push_reduce(w, v, scratch_global(w, "collections", "OrderedDict"), scratch_tuple(w, NULL, 0));
            break;
        }
        if (w->proto >= 1) out_byte(w, JLP_OP_EMPTY_DICT);
        else out(w, "(d", 2);
        memoize(w, v);
        batch(w, T_SETITEMS, v, 0);
        break;
    case JLP_SET: save_set(w, v, false); break;
    case JLP_FROZENSET: save_set(w, v, true); break;
    case JLP_GLOBAL: save_global(w, v); break;
    case JLP_OBJECT: save_object(w, v); break;
    case JLP_DTYPE: save_dtype(w, v); break;
    case JLP_NDARRAY:
        if (joblib_wraps(w, v)) save_array_joblib(w, v);
        else save_array_numpy(w, v);
        break;
    case JLP_SCALAR: {
        const jlp__scalar *sc = jlp__sc(v);
        if (sc->object) { fail(w, JLP_E_UNSUPPORTED, "object numpy scalars"); break; }
        jlp_val *a[2] = {sc->dtype, jlp__new_bytes_borrow(w->scratch, JLP_BYTES, (const char *)sc->data,
                                                          (size_t)jlp__dt(sc->dtype)->itemsize)};
        if (!a[1]) { nomem(w); break; }
        push_reduce(w, v, scratch_global(w, numpy_core(w), "scalar"), scratch_tuple(w, a, 2));
        break;
    }
    case JLP_PERSID:
        if (w->proto == 0) {
            const jlp_val *p = v->u.ref;
            if (p->type != JLP_STR || !ascii(p->u.s.p, p->u.s.n) || memchr(p->u.s.p, '\n', p->u.s.n)) {
                fail(w, JLP_E_UNSUPPORTED, "protocol 0 persistent ids must be ASCII str");
                break;
            }
            out_byte(w, JLP_OP_PERSID);
            out(w, p->u.s.p, p->u.s.n);
            out_byte(w, '\n');
        } else {
            push_op(w, JLP_OP_BINPERSID);
            push_save(w, v->u.ref);
        }
        break;
    case JLP_EXT: {
        int64_t c = v->u.i;
        uint8_t b[5];
        if (w->proto < 2) { fail(w, JLP_E_UNSUPPORTED, "extension codes need protocol 2"); break; }
        if (c <= 0xff) { b[0] = JLP_OP_EXT1; b[1] = (uint8_t)c; out(w, b, 2); }
        else if (c <= 0xffff) { b[0] = JLP_OP_EXT2; b[1] = (uint8_t)c; b[2] = (uint8_t)(c >> 8); out(w, b, 3); }
        else { b[0] = JLP_OP_EXT4; out_u32(b + 1, (uint32_t)c); out(w, b, 5); }
        break;
    }
    default:
        fail(w, JLP_E_INVALID_ARG, "a value of unknown type");
    }
}

static jlp_code run(writer *w, const jlp_val *root) {
    if (w->proto >= 2) {
        uint8_t p[2] = {JLP_OP_PROTO, (uint8_t)w->proto};
        jlp__sink_write(w->sink, p, 2);
    }
    w->framing = w->proto >= 4;
    /* A big root list, tuple, dict or set whose items Python memoizes (strs, rows,
     * records: judged from its first items) starts the memo at its size rather than
     * going through a dozen doublings, each of which rehashes every entry. */
    presize_memo(w, root);
    push_save(w, root);
    while (w->nt && !w->code && !w->sink->failed) {
        /* the task's fields, not a copy of the whole task (its literal is read in place:
         * writing it pushes nothing, so the array does not move) */
        const task *tp = &w->tasks[--w->nt];
        const task_kind kind = (task_kind)tp->kind;
        const jlp_val *const tv = tp->v;
        const size_t ti = tp->i;
        /* the value saved a few tasks from now: its memo slot, into the cache (batch()) */
        if (w->nt >= MEMO_AHEAD && w->memo.cap && w->tasks[w->nt - MEMO_AHEAD].kind == T_SAVE)
            memo_prefetch(w, w->tasks[w->nt - MEMO_AHEAD].v);
        switch (kind) {
        case T_SAVE: save(w, tv); break;
        case T_SAVE_NEW: save_new(w, tv); break;
        case T_BYTES: out(w, tp->lit, tp->n); break;
        case T_MEMOIZE: memoize(w, tv); break;
        case T_TUPLE_END: finish_tuple(w, tv, true); break;
        case T_FSET_END: {
            uint64_t idx;
            if (memo_find(w, tv, &idx)) {
                out_byte(w, JLP_OP_POP_MARK);
                put_get(w, idx);
            } else {
                out_byte(w, JLP_OP_FROZENSET);
                memoize(w, tv);
            }
            break;
        }
        case T_NEWOBJ_END: {
            uint64_t idx;
            if (memo_find(w, tv, &idx)) {
                out_byte(w, JLP_OP_POP);
                put_get(w, idx);
            } else {
                memoize(w, tv);
                if (tv->type == JLP_OBJECT) push_object_tail(w, tv->u.obj);
            }
            break;
        }
        case T_APPENDS: case T_SETITEMS: case T_ADDITEMS: batch(w, kind, tv, ti); break;
        case T_BATCH_REST: batch_rest(w, (task_kind)tp->lit[0], tv, ti); break;
        case T_PAYLOAD: write_payload(w, tv); break;
        case T_NESTED: write_nested(w, tv); break;
        }
    }
    if (!w->code && !w->sink->failed) {
        out_byte(w, JLP_OP_STOP);
        commit_frame(w, true);
        w->framing = false;
    }
    jlp__free(w->alc, w->tasks, w->cap * sizeof *w->tasks);
    map_free(w, &w->memo);
    map_free(w, &w->interned);
    map_free(w, &w->open);
    jlp__buf_release(&w->frame);
    if (!w->code && w->sink->failed) {
        w->code = w->sink->err.code;
        if (w->err) *w->err = w->sink->err;
    }
    return w->code;
}

/* ---- entry points ------------------------------------------------------------------ */

jlp_code jlp__write(jlp__sink *sink, const jlp_val *root, const jlp_write_opts *o, jlp_error *err) {
    writer w;
    memset(&w, 0, sizeof w);
    w.sink = sink;
    w.alc = jlp__alc_or_default(o->alc);
    w.proto = o->protocol;
    w.arrays = o->arrays;
    w.err = err;
    jlp__buf_init(&w.frame, w.alc);
    w.scratch = jlp_doc_new(w.alc);
    if (!w.scratch) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
    w.scratch->new_flags = JLP_VF_SCRATCH; /* memoizing these is no progress (writer.epoch) */
    jlp_code c = run(&w, root);
    jlp_doc_free(w.scratch);
    return c;
}
