/*
 * reader.c - the pickle virtual machine: one loop over opcodes, a value stack with a
 * separate mark stack (the "fence" of CPython's _pickle.c), a sparse memo, PEP 3154
 * frame checks, and limits on everything an input controls. Values are built inert;
 * REDUCE hands allowlisted globals to reconstruct.c.
 */
#include "vm.h"

#include "../common/opts.h"

#include "../common/opcodes.h"
#include "text.h"
#include "../numpy/numpy.h"
#include "../value/bigint.h"
#include "../common/decimal_double.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Byte strings longer than this, read from a stream, are collected in a growing
 * temporary buffer instead of being allocated at their declared length up front: a
 * length field alone never commits more memory than the bytes that really arrive. */
#define STREAM_DIRECT_MAX ((size_t)16 << 20)

jlp_code jlp__vm_fail(jlp__vm *m, jlp_code code, const char *fmt, ...) {
    jlp_error *err = m->err;
    if (!err) return code;
    err->code = code;
    err->opcode = m->op;
    err->offset = m->op_off;
    /* inside a compressed container the input byte of a decoded byte is not known */
    err->input_offset = m->src && m->src->layer ? UINT64_MAX : m->op_off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

jlp_code jlp__vm_event(jlp__vm *m, jlp_event_kind kind, uint64_t offset, uint64_t length) {
    if (!m->opts->trace) return JLP_OK;
    jlp_event ev;
    memset(&ev, 0, sizeof ev);
    ev.size = sizeof ev;
    ev.kind = kind;
    ev.offset = offset;
    ev.length = length;
    ev.opcode = kind == JLP_EV_OPCODE ? m->op : -1;
    ev.name = kind == JLP_EV_OPCODE ? jlp__opcode_name(m->op) : NULL;
    ev.value = kind == JLP_EV_OPCODE ? m->ev_value : NULL;
    ev.callable = kind == JLP_EV_OPCODE ? m->ev_callable : NULL;
    ev.memo = kind == JLP_EV_OPCODE ? m->ev_memo : -1;
    ev.stack_depth = m->sp;
    ev.marks = m->nmarks;
    ev.depth = m->depth;
    if (kind == JLP_EV_OPCODE) {
        ev.args = m->ev_args;
        ev.kwargs = m->ev_kwargs;
        ev.arg = m->arg_len ? m->argbuf : NULL;
        ev.arg_len = m->arg_len;
    }
    if (m->opts->trace(m->opts->trace_ctx, &ev) != 0)
        return jlp__vm_fail(m, JLP_E_INVALID_ARG, "stopped by the trace callback");
    return JLP_OK;
}

jlp_code jlp__vm_nomem(jlp__vm *m) {
    if (m->doc && jlp__doc_limit_hit(m->doc))
        return jlp__vm_fail(m, JLP_E_LIMIT, "document allocation exceeds limits.max_alloc (%llu)",
                            (unsigned long long)m->lim->max_alloc);
    return jlp__vm_fail(m, JLP_E_NOMEM, "out of memory");
}

/* ---- input -------------------------------------------------------------------------- */

/* Keep argument bytes for the trace (jlp_event.arg): appended, so GLOBAL's two lines
 * come out as one argument. An allocation failure drops them (the event says NULL). */
static void note_arg(jlp__vm *m, const uint8_t *p, size_t n) {
    if (!n) return; /* nothing to add (argbuf may still be NULL) */
    if (m->arg_len + n > m->arg_cap) {
        size_t cap = m->arg_cap ? m->arg_cap : 64;
        while (cap < m->arg_len + n) cap = cap > SIZE_MAX / 2 ? m->arg_len + n : cap * 2;
        uint8_t *nb = jlp__realloc(m->alc, m->argbuf, m->arg_cap, cap);
        if (!nb) {
            m->arg_len = 0;
            return;
        }
        m->argbuf = nb;
        m->arg_cap = cap;
    }
    memcpy(m->argbuf + m->arg_len, p, n);
    m->arg_len += n;
}

/* Report why `n` bytes could not be read at the current position. */
static jlp_code short_read(jlp__vm *m, size_t n) {
    if (m->src->failed) return jlp__src_error(m->src, m->err, m->op_off, m->op);
    if (m->in_frame)
        return jlp__vm_fail(m, JLP_E_FRAME, "input ends inside a frame (frame ends at %llu)",
                            (unsigned long long)m->frame_end);
    return jlp__vm_fail(m, JLP_E_TRUNCATED, "pickle data was truncated (%zu more bytes needed)",
                        n);
}

/* An argument of `n` bytes must lie inside the current frame, if any (PEP 3154).
 * _pickle.c reads frames ahead but lets arguments run past their end. */
static jlp_code frame_check(jlp__vm *m, uint64_t n) {
    if (m->in_frame && !m->c_rules && n > m->frame_end - jlp__src_tell(m->src)) {
        jlp__vm_differs(m, "an argument past the end of its frame (pickle.py refuses it)");
        return jlp__vm_fail(m, JLP_E_FRAME, "pickle exhausted before end of frame");
    }
    return JLP_OK;
}

static jlp_code take_slow(jlp__vm *m, size_t n, const uint8_t **out) {
    jlp_code c = frame_check(m, n);
    if (c) return c;
    const uint8_t *p = jlp__src_take(m->src, n);
    if (JLP_UNLIKELY(!p)) return short_read(m, n);
    if (m->tracing) note_arg(m, p, n);
    *out = p;
    return JLP_OK;
}

/* The fast path of every fixed-size argument: from the window, inside the frame if any
 * (the loop ends a frame once its last byte is consumed, so tell <= frame_end here). */
static inline jlp_code take(jlp__vm *m, size_t n, const uint8_t **out) {
    jlp_source *s = m->src;
    if (JLP_LIKELY((size_t)(s->end - s->cur) >= n) &&
        (!m->in_frame || n <= m->frame_end - jlp__src_tell(s))) {
        *out = s->cur;
        if (JLP_UNLIKELY(m->tracing)) note_arg(m, s->cur, n);
        s->cur += n;
        return JLP_OK;
    }
    return take_slow(m, n, out);
}

/* A '\n'-terminated line of at most `max` bytes; *len excludes the '\n'. With
 * `last` non-NULL, a line that the input ends before its '\n' is returned too (*last
 * set): both unpicklers read lines with a file's readline(), which returns it (GLOBAL
 * and INST then drop its last byte, taking it for the '\n'). */
static jlp_code line_or_last(jlp__vm *m, uint64_t max, const uint8_t **out, size_t *len, bool *last) {
    size_t l;
    if (last) *last = false;
    if (max == 0 || max > SIZE_MAX - 1) max = SIZE_MAX - 1; /* a limit of 0 is no limit */
    uint64_t room = max + 1;
    if (m->in_frame && !m->c_rules && m->frame_end - jlp__src_tell(m->src) < room)
        room = m->frame_end - jlp__src_tell(m->src);
    const uint8_t *p = jlp__src_line(m->src, (size_t)room, &l);
    if (!p) {
        if (l == 0 && last && !m->src->failed && (m->c_rules || !m->in_frame) &&
            jlp__src_avail(m->src) <= max) {
            *out = m->src->cur;
            *len = jlp__src_avail(m->src);
            m->src->cur = m->src->end;
            *last = true;
            if (m->tracing) note_arg(m, *out, *len);
            return JLP_OK;
        }
        if (l == 0) return short_read(m, 1);
        if (room <= max) {
            jlp__vm_differs(m, "a line past the end of its frame (pickle.py refuses it)");
            return jlp__vm_fail(m, JLP_E_FRAME, "pickle exhausted before end of frame");
        }
        return jlp__vm_fail(m, JLP_E_LIMIT, "line longer than %llu bytes", (unsigned long long)max);
    }
    *out = p;
    *len = l - 1;
    if (m->tracing) note_arg(m, p, l);
    return JLP_OK;
}

static jlp_code line(jlp__vm *m, uint64_t max, const uint8_t **out, size_t *len) {
    return line_or_last(m, max, out, len, NULL);
}

/* Copy the next `n` bytes of a pulled source into a new arena block of n + 1 bytes
 * (NUL-terminated). A regular file's size is known, so a payload it holds is read
 * straight into a block of its final size (or is TRUNCATED at once). Otherwise, up to
 * STREAM_DIRECT_MAX the block is allocated at once; beyond, a block grows only as bytes
 * arrive (a mapped block grows without copying), so a lying length costs nothing. */
static jlp_code read_copy(jlp__vm *m, uint64_t n, char **out) {
    jlp_source *s = m->src;
    if (n >= SIZE_MAX / 2) return short_read(m, SIZE_MAX / 2);
    if (s->size_hint) {
        uint64_t here = jlp__src_tell(s);
        if (here > s->size_hint || n > s->size_hint - here) return short_read(m, (size_t)(n - (s->size_hint - here)));
    }
    bool known = s->size_hint || n <= STREAM_DIRECT_MAX;
    size_t cap = known ? (size_t)n + 1 : STREAM_DIRECT_MAX;
    bool hit = false;
    char *dst = jlp__arena_block_new(&m->doc->arena, cap, &hit);
    if (!dst) {
        m->doc->limit_hit = hit;
        return jlp__vm_nomem(m);
    }
    size_t have = 0;
    while (have < n) {
        if (have == cap) {
            size_t ncap = cap * 2 > n + 1 ? (size_t)n + 1 : cap * 2;
            char *nd = jlp__arena_block_grow(&m->doc->arena, dst, ncap, &hit);
            if (!nd) {
                jlp__arena_block_drop(&m->doc->arena, dst);
                m->doc->limit_hit = hit;
                return jlp__vm_nomem(m);
            }
            dst = nd;
            cap = ncap;
        }
        size_t want = cap - have;
        if (want > n - have) want = (size_t)(n - have);
        size_t k = jlp__src_copy(s, dst + have, want);
        have += k;
        if (k == 0) break;
    }
    if (have < n) {
        jlp__arena_block_drop(&m->doc->arena, dst);
        return short_read(m, (size_t)(n - have));
    }
    jlp__arena_block_keep(&m->doc->arena, dst);
    dst[n] = '\0';
    *out = dst;
    return JLP_OK;
}

jlp_code jlp__vm_read_raw(jlp__vm *m, uint64_t n, const uint8_t **out, bool *borrowed) {
    jlp_source *s = m->src;
    if (jlp__src_lends(s)) {
        uint64_t left = jlp__src_remaining(s);
        if (n > left) return short_read(m, (size_t)(n - left));
        const uint8_t *p = jlp__src_lend(s, n);
        if (!p) return short_read(m, (size_t)n);
        *out = p;
        *borrowed = true;
        return JLP_OK;
    }
    char *p;
    jlp_code c = read_copy(m, n, &p);
    if (c) return c;
    *out = (const uint8_t *)p;
    *borrowed = false;
    return JLP_OK;
}

/* Read an argument of `n` bytes as the payload of a new str/bytes/bytearray/bigint node.
 * Memory sources lend bytes without copying; streams copy, in bounded steps. */
static jlp_code read_blob(jlp__vm *m, uint64_t n, jlp_type t, jlp_val **out) {
    if (n > m->lim->max_str && m->lim->max_str)
        return jlp__vm_fail(m, JLP_E_LIMIT, "%s of %llu bytes exceeds limits.max_str (%llu)",
                            jlp_type_name(t), (unsigned long long)n,
                            (unsigned long long)m->lim->max_str);
    jlp_code c = frame_check(m, n);
    if (c) return c;
    jlp_source *s = m->src;
    const uint8_t *p;
    bool borrowed = false;
    if (t == JLP_BYTES && n >= 32 && jlp__src_lends(s)) {
        /* bytes may borrow from caller memory or the file's mapping; str needs its NUL;
         * bytearray is mutable */
        uint64_t left = jlp__src_remaining(s);
        if (n > left) return short_read(m, (size_t)(n - left));
        p = jlp__src_lend(s, n);
        if (!p) return short_read(m, (size_t)n);
        borrowed = true;
    } else if (n <= jlp__src_avail(s) || jlp__src_is_mem(s)) {
        if (n > jlp__src_avail(s)) return short_read(m, (size_t)(n - jlp__src_avail(s)));
        p = s->cur;
        s->cur += n;
        {
            char *copy = jlp__doc_alloc(m->doc, (size_t)n + 1);
            if (!copy) return jlp__vm_nomem(m);
            memcpy(copy, p, (size_t)n);
            copy[n] = 0;
            p = (const uint8_t *)copy;
        }
    } else {
        char *copy;
        c = read_copy(m, n, &copy);
        if (c) return c;
        p = (const uint8_t *)copy;
    }
    if (t == JLP_STR) {
        size_t ok = jlp__utf8_valid_prefix(p, (size_t)n);
        if (ok != n)
            return jlp__vm_fail(m, JLP_E_BAD_UTF8, "invalid UTF-8 at byte %zu of a string", ok);
    }
    jlp_val *v = jlp__new_val(m->doc, t);
    if (!v) return jlp__vm_nomem(m);
    if (borrowed) v->flags |= JLP_VF_BORROWED;
    v->u.s.p = (const char *)p;
    v->u.s.n = (size_t)n;
    *out = v;
    return JLP_OK;
}

/* ---- stack ---------------------------------------------------------------------------- */

static jlp_code push_slow(jlp__vm *m, jlp_val *v) {
    if (!v) return jlp__vm_nomem(m);
    if (m->sp == m->stack_cap) {
        /* the capacity never exceeds the limit, so the fast path needs no check */
        if (m->lim->max_stack && m->sp >= m->lim->max_stack)
            return jlp__vm_fail(m, JLP_E_LIMIT, "stack exceeds limits.max_stack (%llu)",
                                (unsigned long long)m->lim->max_stack);
        size_t cap = m->stack_cap ? m->stack_cap * 2 : 64;
        if (m->lim->max_stack && cap > m->lim->max_stack) cap = (size_t)m->lim->max_stack;
        jlp_val **st = jlp__realloc(m->alc, m->stack, m->stack_cap * sizeof *st, cap * sizeof *st);
        if (!st) return jlp__vm_fail(m, JLP_E_NOMEM, "out of memory growing the stack");
        m->stack = st;
        m->stack_cap = cap;
    }
    m->stack[m->sp++] = v;
    return JLP_OK;
}

/* The opcode needs `n` values above the fence. */
static inline jlp_code push(jlp__vm *m, jlp_val *v) {
    if (JLP_LIKELY(v && m->sp < m->stack_cap)) {
        m->stack[m->sp++] = v;
        return JLP_OK;
    }
    return push_slow(m, v);
}

static jlp_code need_values(jlp__vm *m, size_t n) {
    if (JLP_UNLIKELY(m->sp - m->fence < n))
        return jlp__vm_fail(m, JLP_E_STACK_UNDERFLOW, "unpickling stack underflow: %s needs %zu value%s",
                            jlp__opcode_name(m->op), n, n == 1 ? "" : "s");
    return JLP_OK;
}

static jlp_code push_mark(jlp__vm *m) {
    if (m->nmarks == m->marks_cap) {
        if (m->lim->max_depth && m->nmarks >= m->lim->max_depth)
            return jlp__vm_fail(m, JLP_E_LIMIT, "more than limits.max_depth (%llu) open MARKs",
                                (unsigned long long)m->lim->max_depth);
        size_t cap = m->marks_cap ? m->marks_cap * 2 : 32;
        if (m->lim->max_depth && cap > m->lim->max_depth) cap = (size_t)m->lim->max_depth;
        size_t *mk = jlp__realloc(m->alc, m->marks, m->marks_cap * sizeof *mk, cap * sizeof *mk);
        if (!mk) return jlp__vm_fail(m, JLP_E_NOMEM, "out of memory growing the mark stack");
        m->marks = mk;
        m->marks_cap = cap;
    }
    m->marks[m->nmarks++] = m->sp;
    m->fence = m->sp;
    return JLP_OK;
}

/* Pop the innermost MARK: *start receives the stack height it recorded, the values
 * above it stay on the stack for the caller to consume. */
static jlp_code pop_mark(jlp__vm *m, size_t *start) {
    if (!m->nmarks) return jlp__vm_fail(m, JLP_E_NO_MARK, "could not find MARK");
    *start = m->marks[--m->nmarks];
    m->fence = m->nmarks ? m->marks[m->nmarks - 1] : 0;
    return JLP_OK;
}

/* After pop_mark, the opcode's target must sit just below the mark and above the new
 * fence (Python's pure unpickler sees an empty stack otherwise). */
static jlp_code mark_target(jlp__vm *m, size_t start, jlp_val **target) {
    if (start == 0 || start - 1 < m->fence)
        return jlp__vm_fail(m, JLP_E_STACK_UNDERFLOW, "unpickling stack underflow: %s has no target",
                            jlp__opcode_name(m->op));
    *target = m->stack[start - 1];
    return JLP_OK;
}

/* ---- values ---------------------------------------------------------------------------- */

static jlp_val *int_from_bytes(jlp_doc *d, const uint8_t *b, size_t n) {
    int64_t i;
    if (jlp__bigint_to_i64(b, n, &i)) return jlp__new_int(d, i);
    return jlp__new_bytes_copy(d, JLP_BIGINT, b, jlp__bigint_minlen(b, n));
}

/* Room for reading a text line of n bytes in both unpicklers' rules (text.h: each
 * needs 2n + 4 bytes). */
static char *scratch(jlp__vm *m, size_t n) {
    size_t need;
    if (!jlp__mul_size(n, 4, &need) || !jlp__add_size(need, 16, &need)) return NULL;
    if (need > m->scratch_cap) {
        char *p = jlp__realloc(m->alc, m->scratch, m->scratch_cap, need);
        if (!p) return NULL;
        m->scratch = p;
        m->scratch_cap = need;
    }
    return m->scratch;
}

void jlp__vm_differs(jlp__vm *m, const char *what) {
    if (m->hooks && m->hooks->differs) m->hooks->differs(m->hooks->ctx, m->op_off, m->depth, what);
}

static jlp__rules rules_of(const jlp__vm *m) { return m->c_rules ? JLP__C_RULES : JLP__PY_RULES; }
static jlp__rules other_rules(const jlp__vm *m) { return m->c_rules ? JLP__PY_RULES : JLP__C_RULES; }

/* Integer text read as digits to an int or bigint node. */
static jlp_code int_value(jlp__vm *m, const jlp__int_text *t, jlp_val **out) {
    if (m->lim->max_bigint_digits && t->ndigits > m->lim->max_bigint_digits)
        return jlp__vm_fail(m, JLP_E_LIMIT, "integer of %zu digits exceeds limits.max_bigint_digits (%llu)",
                            t->ndigits, (unsigned long long)m->lim->max_bigint_digits);
    uint64_t u;
    bool may_fit = t->ndigits <= (t->base == 10 ? 20 : 64); /* else not worth trying */
    if (may_fit && jlp__int_text_u64(t, &u) && u <= (uint64_t)INT64_MAX) {
        *out = jlp__new_int(m->doc, t->neg ? -(int64_t)u : (int64_t)u);
        return *out ? JLP_OK : jlp__vm_nomem(m);
    }
    unsigned bits = t->base == 2 ? 1 : t->base == 8 ? 3 : t->base == 16 ? 4 : 0;
    size_t cap = bits ? t->ndigits * bits / 8 + 2 : t->ndigits / 2 + 8;
    uint8_t on_stack[256]; /* the bytes of most ints (up to 496 decimal digits) */
    uint8_t *tmp = cap <= sizeof on_stack ? on_stack : jlp__malloc(m->alc, cap);
    if (!tmp) return jlp__vm_nomem(m);
    bool nomem = false;
    size_t len = bits ? jlp__bigint_from_pow2(t->digits, t->ndigits, bits, t->neg, tmp)
                      : jlp__bigint_from_decimal(t->digits, t->ndigits, t->neg, tmp, m->alc, &nomem);
    *out = nomem ? NULL : int_from_bytes(m->doc, tmp, len);
    if (tmp != on_stack) jlp__free(m->alc, tmp, cap);
    return *out ? JLP_OK : jlp__vm_nomem(m);
}

/* Text that is "0" or decimal digits without a leading zero, after a '-' when `neg_ok`:
 * what protocol 0 writes for INT, LONG (before its 'L') and memo indices. Every reading
 * of such text agrees on its value (pickle.py's int(s, 0) and int(s, 10), _pickle.c's
 * strtol(s, 0) and PyLong_FromString; it is neither of INT's booleans 00 and 01 nor an
 * octal 010), so it takes none of their general parsers. *t: the digits as those parsers
 * give them (none for "0"); *out their value when there are at most 18 (*small set).
 * @return false for any other text. */
/* Whether the 8 bytes at p are all ASCII digits: each byte's high nibble is 3, and
 * adding 6 leaves it 3 (0x3A-0x3F carry into 4; no byte carries into the next). */
static inline bool eight_digits(const uint8_t *p) {
    const uint64_t nibbles = 0xF0F0F0F0F0F0F0F0ull, threes = 0x3030303030303030ull;
    uint64_t w;
    memcpy(&w, p, 8);
    return (w & nibbles) == threes && ((w + 0x0606060606060606ull) & nibbles) == threes;
}

static bool plain_decimal(const uint8_t *s, size_t n, bool neg_ok, jlp__int_text *t, int64_t *out, bool *small) {
    bool neg = neg_ok && n > 1 && s[0] == '-';
    size_t i = neg;
    *t = (jlp__int_text){.neg = neg, .base = 10, .digits = (const char *)s + i, .ndigits = n - i};
    if (n - i == 1 && s[i] == '0' && !neg) {
        t->ndigits = 0;
        *out = 0;
        *small = true;
        return true;
    }
    if (n - i < 1 || s[i] < '1' || s[i] > '9') return false;
    *small = n - i <= 18;
    if (!*small) /* a big int's digits are only checked here */
        for (; n - i >= 8; i += 8)
            if (!eight_digits(s + i)) return false;
    uint64_t v = 0; /* wraps past 18 digits, where it is not used */
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = !*small ? 0 : neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* INT (op 'I') or LONG text, read by this machine's unpickler; the scan is told when the
 * other unpickler would read it otherwise (010: pickle.py refuses, _pickle.c reads 8). */
static jlp_code int_opcode(jlp__vm *m, int op, const uint8_t *s, size_t n, jlp_val **out) {
    jlp__int_text plain;
    int64_t quick;
    bool small;
    if (plain_decimal(s, op == JLP_OP_LONG && n && s[n - 1] == 'L' ? n - 1 : n, true, &plain, &quick, &small)) {
        if (!small || (m->lim->max_bigint_digits && plain.ndigits > m->lim->max_bigint_digits))
            return int_value(m, &plain, out); /* a big int, or the limit's error */
        *out = jlp__new_int(m->doc, quick);
        return *out ? JLP_OK : jlp__vm_nomem(m);
    }
    char *sc = scratch(m, n);
    if (!sc) return jlp__vm_nomem(m);
    jlp__int_text t[2];
    bool truth[2] = {false, false};
    int kind[2];
    for (int k = 0; k < 2; k++) {
        jlp__rules r = k ? other_rules(m) : rules_of(m);
        char *at = sc + (size_t)k * (2 * n + 8);
        kind[k] = op == JLP_OP_INT ? jlp__int_line(r, s, n, true, at, &t[k], &truth[k])
                                   : jlp__long_line(r, s, n, true, at, &t[k]) ? 1 : 0;
        if (!m->hooks) break; /* the other reading is only for the scan */
    }
    if (m->hooks && (kind[0] != kind[1] || (kind[0] == 1 && !jlp__int_text_eq(&t[0], &t[1])) ||
                     (kind[0] == 2 && truth[0] != truth[1])))
        jlp__vm_differs(m, op == JLP_OP_INT ? "INT text the two unpicklers read differently"
                                            : "LONG text the two unpicklers read differently");
    if (!kind[0])
        return jlp__vm_fail(m, JLP_E_BAD_VALUE, "invalid literal for int: '%.*s'", (int)(n > 40 ? 40 : n),
                            (const char *)s);
    if (kind[0] == 2) {
        *out = jlp__new_bool(m->doc, truth[0]);
        return *out ? JLP_OK : jlp__vm_nomem(m);
    }
    return int_value(m, &t[0], out);
}

/* FLOAT text, in this machine's rules (and the scan told when the other differs). */
static jlp_code float_opcode(jlp__vm *m, const uint8_t *s, size_t n, jlp_val **out) {
    char *sc = scratch(m, n);
    if (!sc) return jlp__vm_nomem(m);
    double d[2] = {0, 0};
    bool ok[2] = {false, false};
    for (int k = 0; k < 2; k++) {
        ok[k] = jlp__float_line(k ? other_rules(m) : rules_of(m), s, n, true, sc, &d[k]);
        if (!m->hooks) break;
    }
    if (m->hooks && (ok[0] != ok[1] || (ok[0] && memcmp(&d[0], &d[1], sizeof d[0]) != 0)))
        jlp__vm_differs(m, "FLOAT text the two unpicklers read differently");
    if (!ok[0])
        return jlp__vm_fail(m, JLP_E_BAD_VALUE, "could not convert string to float: '%.*s'",
                            (int)(n > 40 ? 40 : n), (const char *)s);
    *out = jlp__new_float(m->doc, d[0]);
    return *out ? JLP_OK : jlp__vm_nomem(m);
}

static bool has_surrogate(const uint8_t *s, size_t n) {
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == 0xED && s[i + 1] >= 0xA0) return true;
    return false;
}

/* Py2 str bytes, loaded per opts->py2str. */
static jlp_code py2_string(jlp__vm *m, const uint8_t *p, size_t n, jlp_val **out) {
    bool ascii = true;
    for (size_t i = 0; i < n && ascii; i++) ascii = p[i] < 0x80;
    jlp_py2str mode = m->opts->py2str;
    if (mode == JLP_PY2STR_ASCII && !ascii)
        return jlp__vm_fail(m, JLP_E_BAD_VALUE, "non-ASCII py2 str (py2str is ASCII)");
    if (mode == JLP_PY2STR_BYTES || (mode == JLP_PY2STR_AUTO && !ascii)) {
        *out = jlp__new_bytes_copy(m->doc, JLP_BYTES, p, n);
    } else if (ascii) {
        *out = jlp__new_bytes_copy(m->doc, JLP_STR, p, n);
    } else {
        /* Latin-1 to UTF-8: at most two bytes per byte. */
        uint8_t *u = jlp__doc_alloc(m->doc, 2 * n + 1);
        if (!u) return jlp__vm_nomem(m);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) o += jlp__utf8_put(u + o, p[i]);
        u[o] = 0;
        *out = jlp__new_val(m->doc, JLP_STR);
        if (*out) { (*out)->u.s.p = (const char *)u; (*out)->u.s.n = o; }
    }
    return *out ? JLP_OK : jlp__vm_nomem(m);
}

static jlp_code make_global(jlp__vm *m, const uint8_t *mod, size_t ml, const uint8_t *name,
                            size_t nl, jlp_val **out) {
    if (jlp__utf8_valid_prefix(mod, ml) != ml || has_surrogate(mod, ml) ||
        jlp__utf8_valid_prefix(name, nl) != nl || has_surrogate(name, nl))
        return jlp__vm_fail(m, JLP_E_BAD_UTF8, "global name is not valid UTF-8");
    const char *cm = (const char *)mod, *cn = (const char *)name;
    if (m->proto < 3) jlp__compat_name(&cm, &ml, &cn, &nl);
    *out = jlp__new_global(m->doc, cm, ml, cn, nl);
    return *out ? JLP_OK : jlp__vm_nomem(m);
}

static jlp_code memo_put(jlp__vm *m, uint64_t key) {
    jlp_code c = need_values(m, 1);
    if (c) return c;
    if (m->lim->max_memo && m->memo.count >= m->lim->max_memo && !jlp__memo_get(&m->memo, key))
        return jlp__vm_fail(m, JLP_E_LIMIT, "memo exceeds limits.max_memo (%llu) entries",
                            (unsigned long long)m->lim->max_memo);
    if (!jlp__memo_put(&m->memo, key, m->stack[m->sp - 1]))
        return jlp__vm_fail(m, JLP_E_NOMEM, "out of memory growing the memo");
    return JLP_OK;
}

static jlp_code memo_get(jlp__vm *m, uint64_t key) {
    jlp_val *v = jlp__memo_get(&m->memo, key);
    if (!v) return jlp__vm_fail(m, JLP_E_MEMO_MISSING, "memo key %llu not defined", (unsigned long long)key);
    return push(m, v);
}

/* A memo key's text (GET, PUT) in one unpickler's rules. @return 1 a key, 0 refused,
 * -1 negative, -2 too large (pickle.py takes any int; _pickle.c a C ssize_t; the memo
 * here 64 bits). */
static int memo_key(jlp__rules r, const uint8_t *s, size_t n, char *sc, uint64_t *key) {
    jlp__int_text t;
    if (!jlp__memo_line(r, s, n, true, sc, &t)) return 0;
    if (t.neg) return -1;
    if (!jlp__int_text_u64(&t, key) || (r == JLP__C_RULES && *key > (uint64_t)INT64_MAX)) return -2;
    return 1;
}

/* Text memo index (GET, PUT). */
static jlp_code text_index(jlp__vm *m, uint64_t *key) {
    const uint8_t *p;
    size_t n;
    jlp_code c = line(m, m->lim->max_str, &p, &n);
    if (c) return c;
    jlp__int_text plain;
    int64_t quick;
    bool small;
    if (plain_decimal(p, n, false, &plain, &quick, &small) && small) {
        *key = (uint64_t)quick;
        return JLP_OK;
    }
    char *sc = scratch(m, n);
    if (!sc) return jlp__vm_nomem(m);
    int got = memo_key(rules_of(m), p, n, sc, key);
    if (m->hooks) {
        uint64_t other = 0;
        int got2 = memo_key(other_rules(m), p, n, sc, &other);
        if (got != got2 || (got == 1 && other != *key))
            jlp__vm_differs(m, "a memo key the two unpicklers read differently");
    }
    if (got == 0)
        return jlp__vm_fail(m, JLP_E_BAD_VALUE, "invalid memo index '%.*s'", (int)(n > 40 ? 40 : n), (const char *)p);
    if (got == -1) return jlp__vm_fail(m, JLP_E_BAD_VALUE, "negative memo index");
    if (got == -2) return jlp__vm_fail(m, JLP_E_BAD_VALUE, "memo index too large");
    return JLP_OK;
}

/* Build a container from the values above the innermost MARK. */
static jlp_code collect_mark(jlp__vm *m, jlp_type t) {
    size_t start;
    jlp_code c = pop_mark(m, &start);
    if (c) return c;
    size_t n = m->sp - start;
    if (t == JLP_DICT && (n & 1))
        return jlp__vm_fail(m, JLP_E_BAD_VALUE, "odd number of items for DICT");
    jlp_val *v = jlp__new_seq(m->doc, t, m->stack + start, t == JLP_DICT ? n / 2 : n);
    if (!v) return jlp__vm_nomem(m);
    if (t == JLP_DICT || t == JLP_SET || t == JLP_FROZENSET)
        jlp__note_keys(m, m->stack + start, n, t == JLP_DICT ? 2 : 1);
    m->sp = start;
    return push(m, v);
}

/* Whether Python could hash `v`: lists, dicts, sets and bytearrays cannot be hashed,
 * nor tuples holding one. Tuples may nest deeply or (through the memo) cyclically, so
 * the walk is iterative and bounded; past the bound a key is taken as hashable. */
#define HASH_WALK_MAX 256
static bool unhashable(const jlp_val *v) {
    const jlp_val *todo[HASH_WALK_MAX];
    size_t n = 0, visited = 0;
    todo[n++] = v;
    while (n && visited++ < HASH_WALK_MAX) {
        const jlp_val *x = todo[--n];
        switch ((jlp_type)x->type) {
        case JLP_LIST: case JLP_DICT: case JLP_SET: case JLP_BYTEARRAY: return true;
        case JLP_TUPLE:
            for (size_t i = 0; i < x->u.seq.n && n < HASH_WALK_MAX; i++) todo[n++] = x->u.seq.v[i];
            break;
        default: break;
        }
    }
    return false;
}

void jlp__note_keys(jlp__vm *m, jlp_val *const *kv, size_t n, size_t step) {
    if (m->doc->warnings & JLP_WARN_UNHASHABLE_KEY) return;
    for (size_t i = 0; i < n; i += step)
        if (unhashable(kv[i])) {
            m->doc->warnings |= JLP_WARN_UNHASHABLE_KEY;
            return;
        }
}

/* APPEND(S)/ADDITEMS into a list, set or object; SETITEM(S) into a dict or object. */
static jlp_code add_items(jlp__vm *m, jlp_val *target, jlp_val *const *items, size_t n, bool pairs) {
    jlp_val *dest = NULL;
    jlp_type want = pairs ? JLP_DICT : (m->op == JLP_OP_ADDITEMS ? JLP_SET : JLP_LIST);
    if (target->type == want) {
        dest = target;
    } else if (target->type == JLP_OBJECT) {
        jlp_val **slot = pairs ? &target->u.obj->dictitems : &target->u.obj->items;
        if (!*slot) *slot = jlp__new_seq(m->doc, pairs ? JLP_DICT : JLP_LIST, NULL, 0);
        if (!*slot) return jlp__vm_nomem(m);
        dest = *slot;
    } else if (m->lenient && target->type == JLP_GLOBAL) {
        /* Python calls the global's own __setitem__, append, extend or add (sys.modules,
         * sys.path, a module's __dict__): a scan reading goes on and the scan judges the
         * change (its trace event names the global as the target) */
        if (pairs && (n & 1)) return jlp__vm_fail(m, JLP_E_BAD_VALUE, "odd number of items for SETITEMS");
        return JLP_OK;
    } else {
        return jlp__vm_fail(m, JLP_E_BAD_TYPE, "%s into %s", jlp__opcode_name(m->op),
                            jlp__a_type(target));
    }
    if (pairs && (n & 1))
        return jlp__vm_fail(m, JLP_E_BAD_VALUE, "odd number of items for SETITEMS");
    if (pairs || want == JLP_SET) jlp__note_keys(m, items, n, pairs ? 2 : 1);
    if (n && !jlp__seq_append(m->doc, dest, items, pairs ? n / 2 : n)) return jlp__vm_nomem(m);
    return JLP_OK;
}

static jlp_code items_from_mark(jlp__vm *m, bool pairs) {
    size_t start = 0;
    jlp_val *target = NULL;
    jlp_code c = pop_mark(m, &start);
    if (!c) c = mark_target(m, start, &target);
    if (!c) c = add_items(m, target, m->stack + start, m->sp - start, pairs);
    if (!c) m->sp = start;
    return c;
}

/* Python's truth of a state value (`if state:`); an inert object counts as true. */
static bool falsy(const jlp_val *v) {
    switch ((jlp_type)v->type) {
    case JLP_NONE: return true;
    case JLP_BOOL: case JLP_INT: return v->u.i == 0;
    case JLP_FLOAT: return v->u.f == 0.0;
    case JLP_STR: case JLP_BYTES: case JLP_BYTEARRAY: return v->u.s.n == 0;
    case JLP_TUPLE: case JLP_LIST: case JLP_DICT: case JLP_SET: case JLP_FROZENSET: return v->u.seq.n == 0;
    default: return false;
    }
}

/* BUILD on what the document keeps as no object, in a scan reading: does Python accept
 * it? load_build splits a (state, slotstate) pair, does nothing with false parts, merges
 * a state into the target's __dict__ and setattr()s a slot state. Classes, functions and
 * modules (a global) and an OrderedDict have attributes to set; the scan judges what is
 * set. Other built-in values have none: Python fails unless there is nothing to set. */
static bool build_elsewhere(const jlp__vm *m, const jlp_val *target, const jlp_val *state) {
    if (target->type == JLP_GLOBAL) return true;
    if (target->type == JLP_DICT && (target->flags & JLP_VF_ORDERED)) return true;
    if (m->c_rules) return state->type == JLP_NONE; /* _pickle.c tests `state is not None` */
    if (state->type == JLP_TUPLE && state->u.seq.n == 2)
        return falsy(state->u.seq.v[0]) && falsy(state->u.seq.v[1]);
    return falsy(state);
}

/* The arguments pickle.py passes as `*args`: any iterable, where _pickle.c (and the
 * loader) want a tuple. A scan reading with pickle.py's rules takes a list, set or
 * frozenset as the tuple of its items, a dict as the tuple of its keys, bytes as the
 * tuple of their values and a numpy array as the tuple of arr[0], arr[1]..., and reads on
 * (SAFETY.md S-6); *args is left alone otherwise, for the caller to refuse. */
static jlp_code py_star_args(jlp__vm *m, jlp_val **args) {
    jlp_val *a = *args;
    if (a->type == JLP_TUPLE || !m->lenient) return JLP_OK;
    jlp__vm_differs(m, "call arguments that are not a tuple (_pickle.c refuses them)");
    if (m->c_rules) return JLP_OK;
    if (a->type == JLP_BYTES || a->type == JLP_BYTEARRAY) { /* its bytes, as ints */
        jlp_val **items = jlp__doc_alloc(m->doc, (a->u.s.n ? a->u.s.n : 1) * sizeof *items);
        if (!items) return jlp__vm_nomem(m);
        for (size_t i = 0; i < a->u.s.n; i++)
            if (!(items[i] = jlp__new_int(m->doc, (uint8_t)a->u.s.p[i]))) return jlp__vm_nomem(m);
        jlp_val *t = jlp__new_seq(m->doc, JLP_TUPLE, items, a->u.s.n);
        if (!t) return jlp__vm_nomem(m);
        *args = t;
        return JLP_OK;
    }
    if (a->type == JLP_NDARRAY) { /* arr[0], arr[1]...; a 0-d array is refused */
        jlp__np np = jlp__vm_np(m);
        jlp_val *t;
        jlp_code c = jlp__ndarray_items(&np, a, &t);
        if (c) return c;
        if (t) *args = t;
        return JLP_OK;
    }
    if (a->type != JLP_LIST && a->type != JLP_SET && a->type != JLP_FROZENSET && a->type != JLP_DICT) return JLP_OK;
    size_t n = a->u.seq.n;
    jlp_val **items = a->u.seq.v;
    if (a->type == JLP_DICT) { /* the keys, which are every other entry */
        items = jlp__doc_alloc(m->doc, (n ? n : 1) * sizeof *items);
        if (!items) return jlp__vm_nomem(m);
        for (size_t i = 0; i < n; i++) items[i] = a->u.seq.v[2 * i];
    }
    jlp_val *t = jlp__new_seq(m->doc, JLP_TUPLE, items, n);
    if (!t) return jlp__vm_nomem(m);
    *args = t;
    return JLP_OK;
}

static jlp_code new_object(jlp__vm *m, jlp_obj_kind kind, jlp_val *cls, jlp_val *args,
                           jlp_val *kwargs) {
    jlp_val *o = jlp__new_object(m->doc, kind, cls, args);
    if (!o) return jlp__vm_nomem(m);
    o->u.obj->kwargs = kwargs;
    return push(m, o);
}

/* ---- the fast path ---------------------------------------------------------------------
 *
 * Runs of the opcodes most pickles are made of (small ints, floats, short strs, None and
 * bools, the memo, marks, lists, dicts and tuples being built) run here with the input
 * pointer, the end of the window (or of the frame, if it ends first), the stack and the
 * opcode budget in locals. Only the path where nothing can go wrong is here: an opcode
 * outside the set, an argument that runs past the window or frame, any check that would
 * fail (a missing value, a full stack or mark stack, a memo or string limit, invalid
 * UTF-8, an allocation) returns to the general loop with the input back at that opcode,
 * and the general loop executes it with every check, so errors, their offsets and the
 * limits are the general loop's by construction. (An opcode that bails out after its
 * node was allocated leaves that node unused in the arena.) The heavier opcodes
 * (APPENDS, SETITEMS, TUPLE...) call the general loop's own handlers, with m->op and
 * m->op_off set as the general loop sets them. Not used while tracing: every opcode
 * is then an event. */

/* Whether the n bytes at p are all ASCII (then they are valid UTF-8 without the
 * decoder), 8 bytes at a time. `lim` bounds what may be read: a short string's last
 * word is read whole when it lies before lim, and its bytes past n masked off. */
static inline bool ascii_run(const uint8_t *p, size_t n, const uint8_t *lim) {
    const uint64_t high = 0x8080808080808080ull;
    uint64_t acc = 0, w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        acc |= w;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n && (size_t)(lim - p) >= 8) {
        memcpy(&w, p, 8);
        acc |= w & (((uint64_t)1 << (8 * n)) - 1); /* the first n bytes */
    } else
#endif
    {
        for (size_t i = 0; i < n; i++) acc |= (uint64_t)p[i];
    }
    return (acc & high) == 0;
}

/* The '\n'-ended line at p, inside [p, lim), of at most max_str bytes (0: no limit) as
 * line() reads it; *n: its length without the '\n'. @return the byte after the '\n',
 * or NULL when the window holds no such line (the general loop then reads it). */
static inline const uint8_t *fast_line(const uint8_t *p, const uint8_t *lim, uint64_t max_str, size_t *n) {
    size_t room = (size_t)(lim - p);
    if (JLP_UNLIKELY(max_str && max_str < room)) room = (size_t)max_str + 1;
    const uint8_t *q = p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* most lines are short: their first 16 bytes 8 at a time, before any call. A byte
     * is '\n' when it is 0 after the xor; the lowest flagged byte is the first such. */
    for (int k = 0; k < 2 && room - (size_t)(q - p) >= 8; k++, q += 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        w ^= 0x0A0A0A0A0A0A0A0Aull;
        uint64_t zero = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
        if (zero) {
            q += __builtin_ctzll(zero) >> 3;
            *n = (size_t)(q - p);
            return q + 1;
        }
    }
#endif
    const uint8_t *nl = memchr(q, '\n', room - (size_t)(q - p));
    if (!nl) return NULL;
    *n = (size_t)(nl - p);
    return nl + 1;
}

/* Text as plain_decimal reads it with at most 18 digits (its `small` case), taken
 * apart here without its other results: *v the value, *ndigits the digits counted
 * against max_bigint_digits (none for "0"). @return false for any other text. */
static inline bool small_decimal(const uint8_t *s, size_t n, bool neg_ok, int64_t *v, size_t *ndigits) {
    bool neg = neg_ok && n > 1 && s[0] == '-';
    size_t i = neg, nd = n - i;
    if (nd == 0 || nd > 18) return false;
    uint64_t u = (uint64_t)s[i] - '0';
    if (u > 9 || (u == 0 && (nd > 1 || neg))) return false; /* a leading 0, "-0" */
    for (i++; i < n; i++) {
        uint64_t d = (uint64_t)s[i] - '0';
        if (d > 9) return false;
        u = u * 10 + d;
    }
    *v = neg ? -(int64_t)u : (int64_t)u;
    *ndigits = u ? nd : 0;
    return true;
}

/* FLOAT text as Python's repr writes a finite float: [-]digits[.digits][e[+-]digits].
 * Both unpicklers read such text alike (no whitespace, '_' or NUL; a finite value), as
 * the nearest double, into *out. The byte after the text is the line's '\n'.
 * @return false for any other text, and for a value too large for a double (the
 * unpicklers differ there: float_opcode reads it). */
static bool plain_float(const uint8_t *s, size_t n, double *out) {
    size_t i = s[0] == '-', digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) digits++;
    if (!digits) return false;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
        if (i == e) return false;
    }
    if (i != n) return false;
    double d = jlp__decimal_to_double((const char *)s, n);
    if (isinf(d)) return false;
    *out = d;
    return true;
}

/* UNICODE's line s[0..n) (raw-unicode-escape) as a str node. @return NULL with *why
 * set for text Python refuses, NULL with *why NULL when out of memory. */
static jlp_val *unicode_line(jlp__vm *m, const uint8_t *s, size_t n, const char **why) {
    *why = NULL;
    /* ASCII without a backslash is the text itself */
    if (ascii_run(s, n, s + n) && !memchr(s, '\\', n)) return jlp__new_bytes_copy(m->doc, JLP_STR, s, n);
    uint8_t *tmp = (uint8_t *)scratch(m, n); /* 4n + 16 bytes: the decoder needs 2n */
    size_t len;
    if (!tmp) return NULL;
    if (!jlp__raw_unicode_escape(s, n, tmp, &len, why)) return NULL;
    return jlp__new_bytes_copy(m->doc, JLP_STR, tmp, len);
}

/* The fast path's opcodes, numbered densely (0: not in the fast path), so that its
 * switch is one indexed jump. */
enum {
    F_OTHER,
    F_BININT1,
    F_BININT2,
    F_BININT,
    F_BINFLOAT,
    F_NONE,
    F_NEWTRUE,
    F_NEWFALSE,
    F_SHORT_BINUNICODE,
    F_BINUNICODE,
    F_EMPTY_LIST,
    F_EMPTY_DICT,
    F_EMPTY_TUPLE,
    F_TUPLE1,
    F_TUPLE2,
    F_TUPLE3,
    F_MEMOIZE,
    F_BINPUT,
    F_LONG_BINPUT,
    F_BINGET,
    F_LONG_BINGET,
    F_MARK,
    F_APPENDS,
    F_SETITEMS,
    F_APPEND,
    F_SETITEM,
    F_TUPLE,
    F_LIST,
    F_DICT,
    F_REDUCE,
    F_LONG1,
    F_SHORT_BINBYTES,
    F_INT,
    F_LONG,
    F_FLOAT,
    F_UNICODE,
    F_PUT,
    F_GET,
};
static const uint8_t fast_op[256] = {
    [JLP_OP_BININT1] = F_BININT1,
    [JLP_OP_BININT2] = F_BININT2,
    [JLP_OP_BININT] = F_BININT,
    [JLP_OP_BINFLOAT] = F_BINFLOAT,
    [JLP_OP_NONE] = F_NONE,
    [JLP_OP_NEWTRUE] = F_NEWTRUE,
    [JLP_OP_NEWFALSE] = F_NEWFALSE,
    [JLP_OP_SHORT_BINUNICODE] = F_SHORT_BINUNICODE,
    [JLP_OP_BINUNICODE] = F_BINUNICODE,
    [JLP_OP_EMPTY_LIST] = F_EMPTY_LIST,
    [JLP_OP_EMPTY_DICT] = F_EMPTY_DICT,
    [JLP_OP_EMPTY_TUPLE] = F_EMPTY_TUPLE,
    [JLP_OP_TUPLE1] = F_TUPLE1,
    [JLP_OP_TUPLE2] = F_TUPLE2,
    [JLP_OP_TUPLE3] = F_TUPLE3,
    [JLP_OP_MEMOIZE] = F_MEMOIZE,
    [JLP_OP_BINPUT] = F_BINPUT,
    [JLP_OP_LONG_BINPUT] = F_LONG_BINPUT,
    [JLP_OP_BINGET] = F_BINGET,
    [JLP_OP_LONG_BINGET] = F_LONG_BINGET,
    [JLP_OP_MARK] = F_MARK,
    [JLP_OP_APPENDS] = F_APPENDS,
    [JLP_OP_SETITEMS] = F_SETITEMS,
    [JLP_OP_APPEND] = F_APPEND,
    [JLP_OP_SETITEM] = F_SETITEM,
    [JLP_OP_TUPLE] = F_TUPLE,
    [JLP_OP_LIST] = F_LIST,
    [JLP_OP_DICT] = F_DICT,
    [JLP_OP_LONG1] = F_LONG1,
    [JLP_OP_SHORT_BINBYTES] = F_SHORT_BINBYTES,
    [JLP_OP_REDUCE] = F_REDUCE,
    [JLP_OP_INT] = F_INT,
    [JLP_OP_LONG] = F_LONG,
    [JLP_OP_FLOAT] = F_FLOAT,
    [JLP_OP_UNICODE] = F_UNICODE,
    [JLP_OP_PUT] = F_PUT,
    [JLP_OP_GET] = F_GET,
};

/* REDUCE in the fast path: the two calls an object array of numpy scalars pickled at
 * protocol 2 is made of, numpy.core.multiarray.scalar(dtype, _codecs.encode(str,
 * 'latin1')) (protocol 3 and later: scalar(dtype, bytes)), and the call every complex
 * number is pickled as, builtins.complex(re, im), each in the one argument shape where
 * jlp__reduce gives a value and nothing can fail; NULL otherwise (the general loop then
 * runs the REDUCE). The callable is recognised by the address of the global node the
 * memo hands back each time (global nodes are never changed once made). */
static jlp_val *fast_reduce(jlp__vm *m, const jlp_val *fn, const jlp_val *args) {
    if (fn->type != JLP_GLOBAL || args->type != JLP_TUPLE || args->u.seq.n != 2) return NULL;
    jlp_val *a0 = args->u.seq.v[0], *a1 = args->u.seq.v[1];
    if (fn != m->fast_scalar && fn != m->fast_encode && fn != m->fast_complex) {
        if (jlp__numpy_is_scalar_fn(fn)) m->fast_scalar = fn;
        else if (JLP__GLOBAL_IS(fn, "_codecs", "encode")) m->fast_encode = fn;
        else if (JLP__GLOBAL_IS(fn, "builtins", "complex")) m->fast_complex = fn;
        else return NULL;
    }
    if (fn == m->fast_complex) {
        /* jlp__reduce's complex of two numbers */
        if ((a0->type != JLP_FLOAT && a0->type != JLP_INT) || (a1->type != JLP_FLOAT && a1->type != JLP_INT))
            return NULL;
        jlp_val *r = jlp__new_val(m->doc, JLP_COMPLEX);
        if (r) {
            r->u.c.re = jlp_get_float(a0);
            r->u.c.im = jlp_get_float(a1);
        }
        return r;
    }
    if (fn == m->fast_scalar) {
        /* jlp__numpy_reduce's NP_SCALAR: a dtype without objects and its item's bytes */
        if (a0->type != JLP_DTYPE || (a1->type != JLP_BYTES && a1->type != JLP_BYTEARRAY)) return NULL;
        const jlp__dtype_info *dt = jlp__dt(a0);
        if (dt->hasobject || a1->u.s.n != dt->itemsize) return NULL;
        return jlp__numpy_scalar_new(m->doc, a0, (const uint8_t *)a1->u.s.p);
    }
    /* jlp__reduce's _codecs.encode(str, 'latin1'), unless a code point is above U+00FF */
    if (a0->type != JLP_STR || a1->type != JLP_STR || !jlp__is_latin1_name(a1)) return NULL;
    bool inert = false;
    return jlp__latin1_encode(m->doc, a0, JLP_BYTES, &inert);
}

/* ---- numpy scalars, whole ----------------------------------------------------------------
 *
 * An object array of numpy scalars (a model's classes_, say) is pickled by joblib at
 * protocol 2, each scalar as the 14 opcodes
 *     GET scalar  GET dtype  GET _codecs.encode  BINUNICODE str  PUT  GET 'latin1'
 *     TUPLE2  PUT  REDUCE  PUT  TUPLE2  PUT  REDUCE  PUT
 * (protocol 3 and later: GET scalar  GET dtype  SHORT_BINBYTES  PUT  TUPLE2  PUT  REDUCE
 * PUT; PUT is BINPUT, LONG_BINPUT or MEMOIZE, GET is BINGET or LONG_BINGET). When the
 * fast path meets a GET of the global it has seen reduced as numpy's scalar, it reads the
 * whole run at once: every opcode is decoded and every condition under which the
 * opcode-by-opcode execution could do anything but succeed, or would make anything but a
 * scalar, is checked first (the run within the window and frame, the opcode budget, room
 * on the stack for its five values, memo keys new, increasing, in the dense array and
 * within max_memo, memo hits of the right nodes, the str within max_str, valid UTF-8 of
 * code points up to U+00FF, its Latin-1 bytes as long as the dtype's items, bytes short
 * enough to be copied); only then are the same nodes made, in the same order and sizes,
 * stored under the same keys, and the scalar pushed. Anything else leaves the run to be
 * executed opcode by opcode, so values, errors and offsets are those of that execution
 * by construction. */

#define NPS_MAX_ITEM 16 /* numpy's widest scalar items (complex128, longdouble) */

/* The run's small readers are inlined, so that its cursor and keys stay in registers. */
#if defined(__GNUC__)
#define NPS_INLINE static inline __attribute__((always_inline))
#else
#define NPS_INLINE static inline
#endif

typedef struct nps_run {
    const uint8_t *p, *lim;
    uint64_t keys[5];    /* memo keys the run stores, in order */
    size_t nkeys;
    uint64_t next_auto;  /* MEMOIZE's key: the memo's count after the run's puts so far */
} nps_run;

/* A GET's value, as the memo holds it before the run (a key the run stores is new, so
 * reading it here gives NULL and the run is left to the general path). */
NPS_INLINE jlp_val *nps_get(const jlp__vm *m, nps_run *r) {
    const uint8_t *p = r->p;
    if (p >= r->lim) return NULL;
    uint64_t k;
    if (*p == JLP_OP_BINGET && r->lim - p >= 2) { k = p[1]; r->p = p + 2; }
    else if (*p == JLP_OP_LONG_BINGET && r->lim - p >= 5) { k = jlp__le32(p + 1); r->p = p + 5; }
    else return NULL;
    return jlp__memo_get(&m->memo, k);
}

/* A PUT whose key is new, in the dense array and above the run's previous one. */
NPS_INLINE bool nps_put(const jlp__vm *m, nps_run *r) {
    const uint8_t *p = r->p;
    if (p >= r->lim) return false;
    uint64_t k;
    if (*p == JLP_OP_BINPUT && r->lim - p >= 2) { k = p[1]; r->p = p + 2; }
    else if (*p == JLP_OP_LONG_BINPUT && r->lim - p >= 5) { k = jlp__le32(p + 1); r->p = p + 5; }
    else if (*p == JLP_OP_MEMOIZE) { k = r->next_auto; r->p = p + 1; }
    else return false;
    if (k >= m->memo.dense_cap || m->memo.dense[k] || (r->nkeys && k <= r->keys[r->nkeys - 1])) return false;
    r->keys[r->nkeys++] = k;
    r->next_auto++;
    return true;
}

NPS_INLINE bool nps_op(nps_run *r, int op) {
    if (r->p >= r->lim || *r->p != op) return false;
    r->p++;
    return true;
}

/* A str or bytes node over a copy of `len` bytes and a NUL, in a block of `room` + 1
 * bytes allocated before the node, as read_blob and jlp__latin1_encode allocate them. */
NPS_INLINE jlp_val *nps_blob(jlp_doc *doc, jlp_type t, const uint8_t *p, size_t len, size_t room) {
    char *copy = jlp__doc_alloc(doc, room + 1);
    jlp_val *v = copy ? jlp__new_val(doc, t) : NULL;
    if (!v) return NULL;
    memcpy(copy, p, len);
    copy[len] = 0;
    v->u.s.p = copy;
    v->u.s.n = len;
    return v;
}

/* The run that starts at `cur` (a GET of m->fast_scalar, the global `fn`), executed
 * whole. @return where it ends, with *out the scalar and *nops its opcodes, or NULL to
 * execute it opcode by opcode. */
static const uint8_t *np_scalar_run(jlp__vm *m, const uint8_t *cur, const uint8_t *lim, size_t sp,
                                    uint64_t budget, jlp_val **out, uint64_t *nops) {
    jlp_doc *doc = m->doc;
    const uint64_t max_str = m->lim->max_str, max_memo = m->lim->max_memo;
    nps_run r = {.p = cur, .lim = lim, .next_auto = m->memo.count};
    if (m->stack_cap - sp < 5 || budget < 14) return NULL;
    jlp_val *fn = nps_get(m, &r), *dtype = nps_get(m, &r), *enc = NULL, *latin1 = NULL;
    if (fn != m->fast_scalar || !dtype || dtype->type != JLP_DTYPE) return NULL;
    const jlp__dtype_info *dt = jlp__dt(dtype);
    if (dt->hasobject || dt->itemsize == 0 || dt->itemsize > NPS_MAX_ITEM) return NULL;
    size_t isz = (size_t)dt->itemsize;
    uint8_t item[NPS_MAX_ITEM];
    const uint8_t *text;
    size_t n;
    bool p2 = r.p < lim && (*r.p == JLP_OP_BINGET || *r.p == JLP_OP_LONG_BINGET);
    if (p2) {
        /* _codecs.encode(str, 'latin1') */
        enc = nps_get(m, &r);
        if (!enc || enc->type != JLP_GLOBAL) return NULL;
        if (enc != m->fast_encode) {
            if (!JLP__GLOBAL_IS(enc, "_codecs", "encode")) return NULL;
            m->fast_encode = enc;
        }
        size_t hdr;
        if (r.p < lim && *r.p == JLP_OP_BINUNICODE) hdr = 5;
        else if (r.p < lim && *r.p == JLP_OP_SHORT_BINUNICODE) hdr = 2;
        else return NULL;
        if ((size_t)(lim - r.p) < hdr) return NULL;
        n = hdr == 2 ? r.p[1] : jlp__le32(r.p + 1);
        if ((size_t)(lim - r.p) - hdr < n || n > 2 * isz || (max_str && n > max_str)) return NULL;
        text = r.p + hdr;
        r.p += hdr + n;
        /* valid UTF-8 of code points up to U+00FF is ASCII bytes and C2/C3 lead bytes each
         * followed by a continuation byte; any other byte leaves the run to the general
         * path (invalid UTF-8 fails there, a higher code point makes an inert call) */
        size_t o = 0;
        for (size_t i = 0; i < n; o++) {
            uint8_t b = text[i];
            if (o == isz) return NULL;
            if (b < 0x80) {
                item[o] = b;
                i++;
            } else if ((b & 0xFE) == 0xC2 && i + 1 < n && (text[i + 1] & 0xC0) == 0x80) {
                item[o] = (uint8_t)(text[i + 1] + ((b & 1) << 6));
                i += 2;
            } else {
                return NULL;
            }
        }
        if (o != isz) return NULL;
        if (!nps_put(m, &r)) return NULL;
        latin1 = nps_get(m, &r);
        if (!latin1 || latin1->type != JLP_STR) return NULL;
        if (latin1 != m->fast_latin1) {
            if (!jlp__is_latin1_name(latin1)) return NULL;
            m->fast_latin1 = latin1;
        }
        if (!nps_op(&r, JLP_OP_TUPLE2) || !nps_put(m, &r) || !nps_op(&r, JLP_OP_REDUCE) || !nps_put(m, &r))
            return NULL;
    } else {
        /* SHORT_BINBYTES: copied, as read_blob copies bytes shorter than 32 */
        if (r.p >= lim || *r.p != JLP_OP_SHORT_BINBYTES || lim - r.p < 2) return NULL;
        n = r.p[1];
        if ((size_t)(lim - r.p) - 2 < n || n != isz || (max_str && n > max_str)) return NULL;
        text = r.p + 2;
        r.p += 2 + n;
        if (!nps_put(m, &r)) return NULL;
    }
    if (!nps_op(&r, JLP_OP_TUPLE2) || !nps_put(m, &r) || !nps_op(&r, JLP_OP_REDUCE) || !nps_put(m, &r))
        return NULL;
    if (max_memo && (m->memo.count > max_memo || max_memo - m->memo.count < r.nkeys)) return NULL;

    /* the nodes, as the opcodes make them: the str (its bytes, then the node), its
     * argument tuple and the encoded bytes (protocol 2); or the bytes; then the
     * scalar's argument tuple and the scalar */
    jlp_val *made[5], *bytes;
    size_t nm = 0;
    if (p2) {
        jlp_val *str = nps_blob(doc, JLP_STR, text, n, n);
        jlp_val *targs[2] = {str, latin1};
        jlp_val *t = str ? jlp__new_seq(doc, JLP_TUPLE, targs, 2) : NULL;
        bytes = t ? nps_blob(doc, JLP_BYTES, item, isz, n) : NULL; /* jlp__latin1_encode's sizes */
        if (!bytes) return NULL;
        made[nm++] = str;
        made[nm++] = t;
        made[nm++] = bytes;
    } else {
        bytes = nps_blob(doc, JLP_BYTES, text, n, n);
        if (!bytes) return NULL;
        made[nm++] = bytes;
    }
    jlp_val *sargs[2] = {dtype, bytes};
    jlp_val *t = jlp__new_seq(doc, JLP_TUPLE, sargs, 2);
    jlp_val *sc = t ? jlp__numpy_scalar_new(doc, dtype, (const uint8_t *)bytes->u.s.p) : NULL;
    if (!sc) return NULL;
    made[nm++] = t;
    made[nm++] = sc;
    for (size_t i = 0; i < nm; i++) {
        m->memo.dense[r.keys[i]] = made[i];
        m->memo.count++;
    }
    *out = sc;
    *nops = p2 ? 14 : 8;
    return r.p;
}

/* ---- runs of pushes -------------------------------------------------------------------
 * A list of flags is None, True and False between its MARK and APPENDS; a list of
 * repeated objects is memo GETs. Each such opcode pushes a node that already exists (the
 * document's shared singletons, a memo entry), so a run of them is executed here, where
 * the room on the stack and the opcode budget are taken once for the whole run and the
 * kind of each opcode comes from one table, without the fast path's dispatch and
 * per-push checks (3 ns an opcode there, against CPython's 4 to 6). The run stops
 * before the first opcode that is not one of them or that the fast path must see: an
 * argument past lim, a key not in the dense memo or with no value, a singleton not made
 * yet (the fast path makes it), the GET of the numpy scalar callable (np_scalar_run's). */
enum { R_OTHER, R_NONE, R_TRUE, R_FALSE, R_BINGET, R_LONG_BINGET };
static const uint8_t run_kind[256] = {
    [JLP_OP_NONE] = R_NONE,
    [JLP_OP_NEWTRUE] = R_TRUE,
    [JLP_OP_NEWFALSE] = R_FALSE,
    [JLP_OP_BINGET] = R_BINGET,
    [JLP_OP_LONG_BINGET] = R_LONG_BINGET,
};

/* Push the run that starts at *cur onto top[0..room). @return the values pushed (one
 * opcode each), with *cur moved past their opcodes. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline)) /* inlined, it cost the fast path's dispatch 2 instructions an opcode */
#endif
static size_t push_run(const jlp__vm *m, const uint8_t **cur, const uint8_t *lim, jlp_val **top, size_t room) {
    const jlp_doc *doc = m->doc;
    jlp_val *const single[R_FALSE + 1] = {NULL, doc->none_val, doc->true_val, doc->false_val};
    jlp_val *const *dense = m->memo.dense;
    const size_t dense_cap = m->memo.dense_cap;
    const uint8_t *p = *cur;
    size_t n = 0;
    while (n < room && p < lim) {
        unsigned kind = run_kind[*p];
        jlp_val *v;
        if (kind <= R_FALSE) {
            v = single[kind]; /* R_OTHER: NULL */
            if (!v) break;
            p++;
        } else {
            size_t len = kind == R_BINGET ? 2 : 5;
            if ((size_t)(lim - p) < len) break;
            uint64_t key = len == 2 ? p[1] : jlp__le32(p + 1);
            if (key >= dense_cap) break;
            v = dense[key];
            if (!v || v == m->fast_scalar) break;
            p += len;
        }
        top[n++] = v;
    }
    *cur = p;
    return n;
}

static jlp_code run_fast(jlp__vm *m, uint64_t *ops_left) {
    jlp_source *s = m->src;
    const uint8_t *cur = s->cur, *lim = s->end;
    if (m->in_frame) {
        uint64_t here = jlp__src_tell(s);
        if (here >= m->frame_end) return JLP_OK;
        if (m->frame_end - here < (uint64_t)(lim - cur)) lim = cur + (m->frame_end - here);
    }
    jlp_doc *doc = m->doc;
    jlp_val **stack = m->stack;
    size_t sp = m->sp, cap = m->stack_cap;
    uint64_t budget = *ops_left;
    const uint64_t max_str = m->lim->max_str, max_memo = m->lim->max_memo;
    const uint64_t max_digits = m->lim->max_bigint_digits;
    jlp_code c = JLP_OK;
    const uint8_t *at = cur;
    while (cur < lim && budget) {
        at = cur;
        jlp_val *v;
        size_t n;
        switch (fast_op[*cur]) {
        case F_BININT1:
            if (lim - cur < 2) goto out;
            v = jlp__new_int(doc, cur[1]);
            cur += 2;
            goto push_v;
        case F_BININT2:
            if (lim - cur < 3) goto out;
            v = jlp__new_int(doc, jlp__le16(cur + 1));
            cur += 3;
            goto push_v;
        case F_BININT:
            if (lim - cur < 5) goto out;
            v = jlp__new_int(doc, (int32_t)jlp__le32(cur + 1));
            cur += 5;
            goto push_v;
        case F_BINFLOAT: {
            if (lim - cur < 9) goto out;
            uint64_t bits = jlp__be64(cur + 1);
            double d;
            memcpy(&d, &bits, 8);
            v = jlp__new_float(doc, d);
            cur += 9;
            goto push_v;
        }
        case F_NONE: v = jlp__new_none(doc); cur++; goto push_v_run;
        case F_NEWTRUE: v = jlp__new_bool(doc, true); cur++; goto push_v_run;
        case F_NEWFALSE: v = jlp__new_bool(doc, false); cur++; goto push_v_run;
        case F_SHORT_BINUNICODE: case F_BINUNICODE: {
            size_t hdr = *cur == JLP_OP_SHORT_BINUNICODE ? 2 : 5;
            if ((size_t)(lim - cur) < hdr) goto out;
            n = hdr == 2 ? cur[1] : jlp__le32(cur + 1);
            if ((size_t)(lim - cur) - hdr < n || (max_str && n > max_str)) goto out;
            const uint8_t *p = cur + hdr;
            if (!ascii_run(p, n, lim) && jlp__utf8_valid_prefix(p, n) != n) goto out;
            /* as read_blob: the bytes with a NUL, then the node */
            char *copy = jlp__doc_alloc(doc, n + 1);
            if (!copy) goto out;
            if (n < 16 && (size_t)(lim - p) >= 16) {
                /* the arena gives at least 16 bytes: copy two words, not a call */
                uint64_t w[2];
                memcpy(w, p, 16);
                memcpy(copy, w, 16);
            } else {
                memcpy(copy, p, n);
            }
            copy[n] = 0;
            v = jlp__new_val(doc, JLP_STR);
            if (!v) goto out;
            v->u.s.p = copy;
            v->u.s.n = n;
            cur += hdr + n;
            goto push_v;
        }
        case F_LONG1: {
            /* up to 8 bytes of two's complement: an int64, as the general loop makes
             * of them (longer ones are its own) */
            if (lim - cur < 2) goto out;
            n = cur[1];
            if (n > 8 || (size_t)(lim - cur) - 2 < n || (max_str && n > max_str)) goto out;
            uint64_t u = 0;
            for (size_t k = 0; k < n; k++) u |= (uint64_t)cur[2 + k] << (8 * k);
            if (n && n < 8 && (cur[1 + n] & 0x80)) u |= ~(uint64_t)0 << (8 * n); /* sign */
            v = jlp__new_int(doc, (int64_t)u);
            cur += 2 + n;
            goto push_v;
        }
        case F_SHORT_BINBYTES: {
            /* short bytes are copied, as read_blob copies those under 32 bytes */
            if (lim - cur < 2) goto out;
            n = cur[1];
            if (n >= 32 || (size_t)(lim - cur) - 2 < n || (max_str && n > max_str)) goto out;
            char *copy = jlp__doc_alloc(doc, n + 1);
            if (!copy) goto out;
            memcpy(copy, cur + 2, n);
            copy[n] = 0;
            v = jlp__new_val(doc, JLP_BYTES);
            if (!v) goto out;
            v->u.s.p = copy;
            v->u.s.n = n;
            cur += 2 + n;
            goto push_v;
        }
        case F_INT: case F_LONG: {
            /* protocol 0's text: INT's booleans 00 and 01, and the plain decimal ints
             * int_opcode reads without the unpicklers' parsers */
            const uint8_t *t = cur + 1, *next = fast_line(t, lim, max_str, &n);
            if (!next) goto out;
            int64_t i;
            size_t nd;
            if (*cur == JLP_OP_INT && n == 2 && t[0] == '0' && (t[1] == '0' || t[1] == '1')) {
                v = jlp__new_bool(doc, t[1] == '1');
            } else if (small_decimal(t, *cur == JLP_OP_LONG && n && t[n - 1] == 'L' ? n - 1 : n, true, &i, &nd) &&
                       !(max_digits && nd > max_digits)) {
                v = jlp__new_int(doc, i);
            } else {
                goto out;
            }
            cur = next;
            goto push_v;
        }
        case F_FLOAT: {
            const uint8_t *next = fast_line(cur + 1, lim, max_str, &n);
            double d;
            if (!next || !n || !plain_float(cur + 1, n, &d)) goto out;
            v = jlp__new_float(doc, d);
            cur = next;
            goto push_v;
        }
        case F_UNICODE: {
            const uint8_t *next = fast_line(cur + 1, lim, max_str, &n);
            const char *why;
            if (!next || !(v = unicode_line(m, cur + 1, n, &why))) goto out;
            cur = next;
            goto push_v;
        }
        case F_PUT: case F_GET: {
            /* memo keys as text: the plain decimal ones text_index reads without the
             * unpicklers' parsers */
            const uint8_t *next = fast_line(cur + 1, lim, max_str, &n);
            int64_t key;
            size_t nd;
            if (!next || !small_decimal(cur + 1, n, false, &key, &nd)) goto out;
            if (*cur == JLP_OP_GET) {
                if (!(v = jlp__memo_get(&m->memo, (uint64_t)key))) goto out;
                cur = next;
                goto push_v;
            }
            if (sp == m->fence || (max_memo && m->memo.count >= max_memo)) goto out;
            if (!jlp__memo_put_inline(&m->memo, (uint64_t)key, stack[sp - 1])) goto out;
            cur = next;
            break;
        }
        case F_EMPTY_LIST: v = jlp__new_seq(doc, JLP_LIST, NULL, 0); cur++; goto push_v;
        case F_EMPTY_DICT: v = jlp__new_seq(doc, JLP_DICT, NULL, 0); cur++; goto push_v;
        case F_EMPTY_TUPLE: v = jlp__new_seq(doc, JLP_TUPLE, NULL, 0); cur++; goto push_v;
        case F_TUPLE1: case F_TUPLE2: case F_TUPLE3:
            n = (size_t)(*cur - JLP_OP_TUPLE1 + 1);
            if (sp - m->fence < n) goto out;
            v = jlp__new_seq(doc, JLP_TUPLE, stack + sp - n, n);
            if (!v) goto out;
            sp -= n;
            cur++;
            goto push_v;
        case F_MEMOIZE: case F_BINPUT: case F_LONG_BINPUT: {
            uint64_t k;
            size_t len = *cur == JLP_OP_MEMOIZE ? 1 : *cur == JLP_OP_BINPUT ? 2 : 5;
            if ((size_t)(lim - cur) < len || sp == m->fence) goto out;
            k = len == 1 ? m->memo.count : len == 2 ? cur[1] : jlp__le32(cur + 1);
            if (max_memo && m->memo.count >= max_memo) goto out;
            if (!jlp__memo_put_inline(&m->memo, k, stack[sp - 1])) goto out;
            cur += len;
            break;
        }
        case F_BINGET: case F_LONG_BINGET: {
            size_t len = *cur == JLP_OP_BINGET ? 2 : 5;
            if ((size_t)(lim - cur) < len) goto out;
            v = jlp__memo_get(&m->memo, len == 2 ? cur[1] : jlp__le32(cur + 1));
            if (!v) goto out;
            if (v == m->fast_scalar) {
                /* a numpy scalar's run, whole when it can be (the stack and memo are
                 * then final: push_v cannot fail, np_scalar_run checked the room) */
                uint64_t nops;
                const uint8_t *end = np_scalar_run(m, cur, lim, sp, budget, &v, &nops);
                if (end) {
                    cur = end;
                    budget -= nops - 1;
                    goto push_v;
                }
            }
            cur += len;
            goto push_v_run;
        }
        case F_MARK:
            if (m->nmarks == m->marks_cap) goto out;
            m->marks[m->nmarks++] = sp;
            m->fence = sp;
            cur++;
            break;
        case F_REDUCE:
            if (sp - m->fence < 2) goto out;
            v = fast_reduce(m, stack[sp - 2], stack[sp - 1]);
            if (!v) goto out;
            sp -= 2;
            cur++;
            goto push_v;
        case F_TUPLE: case F_LIST: {
            /* collect_mark's work, when a mark is open and the stack has room for the
             * node before anything changes */
            size_t start = m->nmarks ? m->marks[m->nmarks - 1] : cap;
            if (start >= cap) goto handler;
            v = jlp__new_seq(doc, *cur == JLP_OP_TUPLE ? JLP_TUPLE : JLP_LIST, stack + start, sp - start);
            if (!v) goto out;
            m->nmarks--;
            m->fence = m->nmarks ? m->marks[m->nmarks - 1] : 0;
            sp = start;
            cur++;
            goto push_v;
        }
        case F_APPEND: {
            /* add_items' work for a list with room for the item (protocols 0 and 1
             * append one item at a time) */
            jlp_val *list = sp - m->fence >= 2 ? stack[sp - 2] : NULL;
            if (!list || list->type != JLP_LIST || list->u.seq.n >= list->u.seq.cap) goto handler;
            list->u.seq.v[list->u.seq.n++] = stack[sp - 1];
            sp--;
            cur++;
            break;
        }
        case F_APPENDS: case F_SETITEMS: case F_SETITEM: case F_DICT:
        handler: {
            /* the general loop's handlers, called as the general loop calls them */
            int op = *cur;
            m->op = op;
            m->op_off = s->end_off - (uint64_t)(s->end - cur);
            m->sp = sp;
            s->cur = cur + 1;
            switch (fast_op[op]) {
            case F_APPENDS: c = items_from_mark(m, false); break;
            case F_SETITEMS: c = items_from_mark(m, true); break;
            case F_APPEND:
                c = need_values(m, 2);
                if (!c) c = add_items(m, m->stack[m->sp - 2], m->stack + m->sp - 1, 1, false);
                if (!c) m->sp--;
                break;
            case F_SETITEM:
                c = need_values(m, 3);
                if (!c) c = add_items(m, m->stack[m->sp - 3], m->stack + m->sp - 2, 2, true);
                if (!c) m->sp -= 2;
                break;
            case F_TUPLE: c = collect_mark(m, JLP_TUPLE); break;
            case F_LIST: c = collect_mark(m, JLP_LIST); break;
            default: c = collect_mark(m, JLP_DICT); break;
            }
            budget--;
            cur++;
            stack = m->stack;
            sp = m->sp;
            cap = m->stack_cap;
            if (c) goto done;
            continue;
        }
        default: /* F_OTHER */
            goto out;
        }
        budget--;
        continue;
    push_v:
        if (JLP_UNLIKELY(!v || sp == cap)) goto out;
        stack[sp++] = v;
        budget--;
        continue;
    push_v_run:
        /* a singleton or GET: when the next opcode is one too, the rest of the run is
         * push_run's (a lone GET, as in nested containers, is cheaper without it) */
        if (JLP_UNLIKELY(!v || sp == cap)) goto out;
        stack[sp++] = v;
        budget--;
        if (cur < lim && run_kind[*cur]) {
            size_t pushed = push_run(m, &cur, lim, stack + sp, cap - sp < budget ? cap - sp : (size_t)budget);
            sp += pushed;
            budget -= pushed;
        }
    }
    at = cur;
out:
    /* the general loop takes over at `at`, an opcode not yet executed */
    s->cur = at;
done:
    m->sp = sp;
    *ops_left = budget;
    return c;
}

/* ---- the loop ---------------------------------------------------------------------- */

#define TRY(expr) do { if ((c = (expr)) != JLP_OK) goto done; } while (0)
#define FAIL(...) do { c = jlp__vm_fail(m, __VA_ARGS__); goto done; } while (0)

/* BUILD on a dict made by collections.OrderedDict(): Python pickles an OrderedDict that
 * has instance attributes (PyTorch's state dicts carry `_metadata`) as OrderedDict() +
 * SETITEMS + BUILD(attributes). The node becomes what the opcodes say, in place so every
 * reference to it follows: an inert call of collections.OrderedDict with no arguments,
 * whose dict items are the pairs set so far and whose state is the attributes (AL-6). */
static jlp_code ordered_dict_build(jlp__vm *m, jlp_val *target, jlp_val *state) {
    jlp_doc *doc = m->doc;
    jlp_val *items = jlp__new_val(doc, JLP_DICT);
    jlp_val *callable = jlp__new_global(doc, "collections", 11, "OrderedDict", 11);
    jlp_val *args = jlp__new_seq(doc, JLP_TUPLE, NULL, 0);
    jlp_val *obj = items && callable && args ? jlp__new_object(doc, JLP_OBJ_REDUCE, callable, args) : NULL;
    if (!obj) return jlp__vm_nomem(m);
    items->u.seq = target->u.seq;
    items->flags = (uint8_t)(target->flags & ~JLP_VF_ORDERED);
    obj->u.obj->dictitems = items;
    obj->u.obj->state = state;
    target->type = JLP_OBJECT;
    target->flags &= (uint8_t)~JLP_VF_ORDERED;
    target->u.obj = obj->u.obj;
    return JLP_OK;
}

static jlp_code run(jlp__vm *m) {
    jlp_code c = JLP_OK;
    jlp_source *src = m->src;
    jlp_doc *doc = m->doc;
    const uint64_t max_ops = m->lim->max_ops;
    /* opcodes still allowed: counting down costs one test per opcode */
    const uint64_t ops_budget = max_ops ? max_ops : UINT64_MAX;
    uint64_t ops_left = ops_budget;
    const bool tracing = m->tracing;
    const uint8_t *p;

    for (;;) {
        if (!tracing) {
            c = run_fast(m, &ops_left);
            if (c) goto done;
        }
        const uint8_t *cur = src->cur;
        uint64_t at = src->end_off - (uint64_t)(src->end - cur);
        if (JLP_UNLIKELY(m->in_frame) && at >= m->frame_end) m->in_frame = false;
        m->op_off = at;
        if (JLP_UNLIKELY(cur == src->end)) {
            m->op = -1;
            if (!jlp__src_fill(src, 1)) {
                c = src->failed ? jlp__src_error(src, m->err, m->op_off, -1)
                    : m->in_frame ? jlp__vm_fail(m, JLP_E_FRAME, "input ends inside a frame")
                    : jlp__vm_fail(m, JLP_E_TRUNCATED, ops_left != ops_budget ? "pickle ended without STOP" : "empty input");
                goto done;
            }
            cur = src->cur;
        }
        int op = *cur;
        src->cur = cur + 1;
        m->op = op;
        if (JLP_UNLIKELY(tracing)) {
            m->ev_memo = -1;
            m->ev_callable = NULL;
            m->ev_args = m->ev_kwargs = NULL;
            m->arg_len = 0;
        }
        if (JLP_UNLIKELY(ops_left == 0))
            FAIL(JLP_E_LIMIT, "more than limits.max_ops (%llu) opcodes", (unsigned long long)max_ops);
        ops_left--;

        switch (op) {
        /* -- framing and protocol -- */
        case JLP_OP_PROTO:
            TRY(take(m, 1, &p));
            if (p[0] > 5) FAIL(JLP_E_BAD_PROTO, "unsupported pickle protocol: %d", p[0]);
            if (m->op_off != m->start) doc->warnings |= JLP_WARN_PROTO_NOT_FIRST;
            if (m->proto_seen) doc->warnings |= JLP_WARN_DUPLICATE_PROTO;
            m->proto_seen = true;
            m->proto = p[0];
            break;
        case JLP_OP_FRAME: {
            TRY(take(m, 8, &p));
            uint64_t len = jlp__le64(p);
            uint64_t here = jlp__src_tell(src);
            if (m->c_rules) {
                /* _pickle.c reads the frame ahead in full (failing when the input is
                 * shorter) and checks nothing else about frames */
                if (m->lim->max_str && len > m->lim->max_str)
                    FAIL(JLP_E_LIMIT, "frame of %llu bytes exceeds limits.max_str", (unsigned long long)len);
                if (jlp__src_fill(src, (size_t)len) < len) {
                    if (src->failed) { c = jlp__src_error(src, m->err, m->op_off, m->op); goto done; }
                    FAIL(JLP_E_TRUNCATED, "pickle data was truncated (a frame of %llu bytes)", (unsigned long long)len);
                }
                break;
            }
            if (m->in_frame && here != m->frame_end) {
                jlp__vm_differs(m, "a FRAME before the end of the previous one (pickle.py refuses it)");
                FAIL(JLP_E_FRAME, "beginning of a new frame before end of current frame");
            }
            if (len > UINT64_MAX - here) FAIL(JLP_E_FRAME, "frame length %llu overflows", (unsigned long long)len);
            if (m->hooks && jlp__src_fill(src, len > SIZE_MAX ? SIZE_MAX : (size_t)len) < len && !src->failed)
                jlp__vm_differs(m, "a FRAME longer than the rest of the input (_pickle.c refuses it)");
            m->in_frame = true;
            m->frame_end = here + len;
            break;
        }
        case JLP_OP_STOP: {
            TRY(need_values(m, 1));
            /* F-5: the format ends frames exactly; both unpicklers stop at STOP */
            if (m->in_frame && !m->c_rules && jlp__src_tell(src) != m->frame_end) {
                if (!m->lenient) FAIL(JLP_E_FRAME, "STOP before the end of the current frame");
                if (m->depth == 0) {
                    /* pickle.py drops the rest of the frame it buffered: the next
                     * pickle.load() of the file starts at the frame's end; _pickle.c on
                     * a file that can peek starts right after the STOP */
                    jlp__vm_differs(m, "a STOP before the end of its frame (the next pickle starts at the frame's "
                                       "end for pickle.py, after the STOP for _pickle.c)");
                    m->doc->frame_rest = m->frame_end - jlp__src_tell(src);
                }
            }
            m->result = m->stack[--m->sp];
            if (m->sp || m->nmarks) doc->warnings |= JLP_WARN_STACK_LEFT;
            /* numpy's _reconstruct leaves the items of an array it made uninitialised
             * until its BUILD: a document still holding such an array has no value
             * Python would give the same way (FORMAT.md A-1) */
            if (m->depth == 0 && doc->unbuilt)
                FAIL(JLP_E_BAD_ARRAY, "%llu array(s) made by numpy's _reconstruct never got the BUILD that gives their items",
                     (unsigned long long)doc->unbuilt);
            m->ops = ops_budget - ops_left;
            m->ev_value = m->result;
            return jlp__vm_event(m, JLP_EV_OPCODE, m->op_off, jlp__src_tell(src) - m->op_off);
        }

        /* -- stack manipulation -- */
        case JLP_OP_MARK: TRY(push_mark(m)); break;
        case JLP_OP_POP:
            /* As _pickle.c: a POP right at a MARK pops the mark. */
            if (m->nmarks && m->marks[m->nmarks - 1] == m->sp) {
                m->nmarks--;
                m->fence = m->nmarks ? m->marks[m->nmarks - 1] : 0;
            } else {
                TRY(need_values(m, 1));
                m->sp--;
            }
            break;
        case JLP_OP_POP_MARK: {
            size_t start;
            TRY(pop_mark(m, &start));
            m->sp = start;
            break;
        }
        case JLP_OP_DUP:
            TRY(need_values(m, 1));
            TRY(push(m, m->stack[m->sp - 1]));
            break;

        /* -- memo -- */
        case JLP_OP_PUT: case JLP_OP_BINPUT: case JLP_OP_LONG_BINPUT: case JLP_OP_MEMOIZE:
        case JLP_OP_GET: case JLP_OP_BINGET: case JLP_OP_LONG_BINGET: {
            uint64_t k = 0;
            if (op == JLP_OP_PUT || op == JLP_OP_GET) TRY(text_index(m, &k));
            else if (op == JLP_OP_BINPUT || op == JLP_OP_BINGET) { TRY(take(m, 1, &p)); k = p[0]; }
            else if (op == JLP_OP_MEMOIZE) k = m->memo.count;
            else { TRY(take(m, 4, &p)); k = jlp__le32(p); }
            m->ev_memo = (int64_t)(k > INT64_MAX ? INT64_MAX : k);
            if (op == JLP_OP_GET || op == JLP_OP_BINGET || op == JLP_OP_LONG_BINGET) TRY(memo_get(m, k));
            else TRY(memo_put(m, k));
            break;
        }

        /* -- scalars -- */
        case JLP_OP_NONE: TRY(push(m, jlp__new_none(doc))); break;
        case JLP_OP_NEWTRUE: TRY(push(m, jlp__new_bool(doc, true))); break;
        case JLP_OP_NEWFALSE: TRY(push(m, jlp__new_bool(doc, false))); break;
        case JLP_OP_BININT1: TRY(take(m, 1, &p)); TRY(push(m, jlp__new_int(doc, p[0]))); break;
        case JLP_OP_BININT2: TRY(take(m, 2, &p)); TRY(push(m, jlp__new_int(doc, jlp__le16(p)))); break;
        case JLP_OP_BININT: TRY(take(m, 4, &p)); TRY(push(m, jlp__new_int(doc, (int32_t)jlp__le32(p)))); break;
        case JLP_OP_INT: case JLP_OP_LONG: {
            /* the line may hold any amount of whitespace and '_' (int() takes them): it
             * is bounded by max_str, the digits by max_bigint_digits */
            size_t n;
            TRY(line(m, m->lim->max_str, &p, &n));
            jlp_val *v = NULL;
            TRY(int_opcode(m, op, p, n, &v));
            TRY(push(m, v));
            break;
        }
        case JLP_OP_LONG1: case JLP_OP_LONG4: {
            uint64_t n;
            if (op == JLP_OP_LONG1) { TRY(take(m, 1, &p)); n = p[0]; }
            else {
                TRY(take(m, 4, &p));
                int32_t sn = (int32_t)jlp__le32(p);
                if (sn < 0) FAIL(JLP_E_BAD_VALUE, "LONG pickle has negative byte count");
                n = (uint64_t)sn;
            }
            jlp_val *v = NULL;
            TRY(read_blob(m, n, JLP_BIGINT, &v));
            int64_t i;
            if (jlp__bigint_to_i64((const uint8_t *)v->u.s.p, v->u.s.n, &i)) {
                v->type = JLP_INT;
                v->flags = 0;
                v->u.i = i;
            } else {
                v->u.s.n = jlp__bigint_minlen((const uint8_t *)v->u.s.p, v->u.s.n);
            }
            TRY(push(m, v));
            break;
        }
        case JLP_OP_FLOAT: {
            size_t n;
            TRY(line(m, m->lim->max_str, &p, &n));
            jlp_val *v = NULL;
            TRY(float_opcode(m, p, n, &v));
            TRY(push(m, v));
            break;
        }
        case JLP_OP_BINFLOAT: {
            TRY(take(m, 8, &p));
            uint64_t bits = jlp__be64(p);
            double d;
            memcpy(&d, &bits, 8);
            TRY(push(m, jlp__new_float(doc, d)));
            break;
        }

        /* -- strings and bytes -- */
        case JLP_OP_SHORT_BINUNICODE: case JLP_OP_BINUNICODE: case JLP_OP_BINUNICODE8:
        case JLP_OP_SHORT_BINBYTES: case JLP_OP_BINBYTES: case JLP_OP_BINBYTES8:
        case JLP_OP_BYTEARRAY8: {
            uint64_t n;
            jlp_type t = (op == JLP_OP_SHORT_BINUNICODE || op == JLP_OP_BINUNICODE ||
                          op == JLP_OP_BINUNICODE8) ? JLP_STR
                         : op == JLP_OP_BYTEARRAY8 ? JLP_BYTEARRAY : JLP_BYTES;
            if (op == JLP_OP_SHORT_BINUNICODE || op == JLP_OP_SHORT_BINBYTES) { TRY(take(m, 1, &p)); n = p[0]; }
            else if (op == JLP_OP_BINUNICODE || op == JLP_OP_BINBYTES) { TRY(take(m, 4, &p)); n = jlp__le32(p); }
            else { TRY(take(m, 8, &p)); n = jlp__le64(p); }
            jlp_val *v = NULL;
            TRY(read_blob(m, n, t, &v));
            TRY(push(m, v));
            break;
        }
        case JLP_OP_SHORT_BINSTRING: case JLP_OP_BINSTRING: {
            uint64_t n;
            if (op == JLP_OP_SHORT_BINSTRING) { TRY(take(m, 1, &p)); n = p[0]; }
            else {
                TRY(take(m, 4, &p));
                int32_t sn = (int32_t)jlp__le32(p);
                if (sn < 0) FAIL(JLP_E_BAD_VALUE, "BINSTRING pickle has negative byte count");
                n = (uint64_t)sn;
            }
            jlp_val *raw = NULL, *v = NULL;
            TRY(read_blob(m, n, JLP_BYTES, &raw));
            TRY(py2_string(m, (const uint8_t *)raw->u.s.p, raw->u.s.n, &v));
            TRY(push(m, v));
            break;
        }
        case JLP_OP_STRING: case JLP_OP_UNICODE: {
            size_t n, outn;
            const char *why = "";
            TRY(line(m, m->lim->max_str, &p, &n));
            if (op == JLP_OP_UNICODE) {
                jlp_val *v = unicode_line(m, p, n, &why);
                if (!v) { c = why ? jlp__vm_fail(m, JLP_E_BAD_VALUE, "%s", why) : jlp__vm_nomem(m); goto done; }
                TRY(push(m, v));
                break;
            }
            size_t cap = n + 1;
            uint8_t *tmp = jlp__malloc(m->alc, cap);
            if (!tmp) { c = jlp__vm_nomem(m); goto done; }
            bool ok = jlp__unescape_string(p, n, tmp, &outn, &why);
            jlp_val *v = NULL;
            if (!ok) c = jlp__vm_fail(m, JLP_E_BAD_VALUE, "%s", why);
            else c = py2_string(m, tmp, outn, &v);
            jlp__free(m->alc, tmp, cap);
            if (c) goto done;
            TRY(push(m, v));
            break;
        }

        /* -- containers -- */
        case JLP_OP_EMPTY_TUPLE: TRY(push(m, jlp__new_seq(doc, JLP_TUPLE, NULL, 0))); break;
        case JLP_OP_TUPLE1: case JLP_OP_TUPLE2: case JLP_OP_TUPLE3: {
            size_t n = (size_t)(op - JLP_OP_TUPLE1 + 1);
            TRY(need_values(m, n));
            jlp_val *t = jlp__new_seq(doc, JLP_TUPLE, m->stack + m->sp - n, n);
            if (!t) { c = jlp__vm_nomem(m); goto done; }
            m->sp -= n;
            TRY(push(m, t));
            break;
        }
        case JLP_OP_TUPLE: TRY(collect_mark(m, JLP_TUPLE)); break;
        case JLP_OP_EMPTY_LIST: TRY(push(m, jlp__new_seq(doc, JLP_LIST, NULL, 0))); break;
        case JLP_OP_LIST: TRY(collect_mark(m, JLP_LIST)); break;
        case JLP_OP_EMPTY_DICT: TRY(push(m, jlp__new_seq(doc, JLP_DICT, NULL, 0))); break;
        case JLP_OP_DICT: TRY(collect_mark(m, JLP_DICT)); break;
        case JLP_OP_EMPTY_SET: TRY(push(m, jlp__new_seq(doc, JLP_SET, NULL, 0))); break;
        case JLP_OP_FROZENSET: TRY(collect_mark(m, JLP_FROZENSET)); break;
        case JLP_OP_APPEND:
            TRY(need_values(m, 2));
            TRY(add_items(m, m->stack[m->sp - 2], m->stack + m->sp - 1, 1, false));
            m->sp--;
            break;
        case JLP_OP_SETITEM:
            TRY(need_values(m, 3));
            TRY(add_items(m, m->stack[m->sp - 3], m->stack + m->sp - 2, 2, true));
            m->sp -= 2;
            break;
        case JLP_OP_APPENDS: case JLP_OP_ADDITEMS: TRY(items_from_mark(m, false)); break;
        case JLP_OP_SETITEMS: TRY(items_from_mark(m, true)); break;

        /* -- globals, calls and instances -- */
        case JLP_OP_GLOBAL: case JLP_OP_INST: {
            const uint8_t *mod, *name;
            size_t ml, nl;
            bool last_mod = false, last_name = false;
            /* a scan reading takes lines the input ends before their '\n', as Python's
             * readline() does: Python then imports what they name (GLOBAL_EOF) */
            TRY(line_or_last(m, m->lim->max_str, &mod, &ml, m->lenient ? &last_mod : NULL));
            if (last_mod) {
                /* the name line is empty: pickle.py imports the module, then fails to
                 * find '' in it; _pickle.c refuses both short lines first */
                if (m->c_rules || ml < 2) FAIL(JLP_E_TRUNCATED, "pickle data was truncated (a global's lines)");
                jlp_val *g;
                TRY(make_global(m, mod, ml - 1, (const uint8_t *)"", 0, &g));
                m->ev_value = g;
                TRY(jlp__vm_event(m, JLP_EV_OPCODE, m->op_off, jlp__src_tell(src) - m->op_off));
                FAIL(JLP_E_TRUNCATED, "pickle data was truncated (a global without its name)");
            }
            /* The second line may move the window: keep the module name safe. */
            uint8_t small[256];
            uint8_t *modcopy = ml <= sizeof small ? small : jlp__malloc(m->alc, ml);
            if (!modcopy) { c = jlp__vm_nomem(m); goto done; }
            memcpy(modcopy, mod, ml);
            jlp_val *g = NULL;
            c = line_or_last(m, m->lim->max_str, &name, &nl, m->lenient ? &last_name : NULL);
            if (!c && last_name) {
                /* readline()[:-1] drops the last byte of a last line */
                if (m->c_rules && nl < 2) c = jlp__vm_fail(m, JLP_E_TRUNCATED, "pickle data was truncated (a global's name)");
                else if (nl) nl--;
            }
            if (!c) c = make_global(m, modcopy, ml, name, nl, &g);
            if (modcopy != small) jlp__free(m->alc, modcopy, ml);
            if (c) goto done;
            if (last_name && nl == 0) {
                /* getattr(module, '') fails after the import */
                m->ev_value = g;
                TRY(jlp__vm_event(m, JLP_EV_OPCODE, m->op_off, jlp__src_tell(src) - m->op_off));
                FAIL(JLP_E_TRUNCATED, "pickle data was truncated (a global without its name)");
            }
            if (op == JLP_OP_GLOBAL) { TRY(push(m, g)); break; }
            size_t start;
            if (!m->nmarks && m->lenient) jlp__vm_differs(m, "INST without a MARK (pickle.py imports its class first)");
            if (!m->nmarks && m->lenient && !m->c_rules) {
                /* pickle.py's load_inst imports the class before it looks for the MARK
                 * (_pickle.c looks first): the name is resolved, then the load fails */
                m->ev_value = g;
                TRY(jlp__vm_event(m, JLP_EV_OPCODE, m->op_off, jlp__src_tell(src) - m->op_off));
            }
            TRY(pop_mark(m, &start));
            jlp_val *args = jlp__new_seq(doc, JLP_TUPLE, m->stack + start, m->sp - start);
            if (!args) { c = jlp__vm_nomem(m); goto done; }
            m->sp = start;
            m->ev_callable = g;
            m->ev_args = args;
            TRY(new_object(m, JLP_OBJ_INST, g, args, NULL));
            break;
        }
        case JLP_OP_STACK_GLOBAL: {
            TRY(need_values(m, 2));
            jlp_val *mod = m->stack[m->sp - 2], *name = m->stack[m->sp - 1];
            if (mod->type != JLP_STR || name->type != JLP_STR)
                FAIL(JLP_E_BAD_TYPE, "STACK_GLOBAL requires str");
            jlp_val *g;
            TRY(make_global(m, (const uint8_t *)mod->u.s.p, mod->u.s.n,
                            (const uint8_t *)name->u.s.p, name->u.s.n, &g));
            m->sp -= 2;
            TRY(push(m, g));
            break;
        }
        case JLP_OP_REDUCE: {
            TRY(need_values(m, 2));
            jlp_val *fn = m->stack[m->sp - 2], *args = m->stack[m->sp - 1], *r;
            m->ev_callable = fn;
            TRY(py_star_args(m, &args));
            m->ev_args = args;
            if (args->type != JLP_TUPLE) FAIL(JLP_E_BAD_TYPE, "REDUCE argument list must be a tuple");
            TRY(jlp__reduce(m, fn, args, &r));
            m->sp -= 2;
            TRY(push(m, r));
            break;
        }
        case JLP_OP_NEWOBJ: {
            TRY(need_values(m, 2));
            jlp_val *cls = m->stack[m->sp - 2], *args = m->stack[m->sp - 1];
            m->ev_callable = cls;
            TRY(py_star_args(m, &args));
            m->ev_args = args;
            if (args->type != JLP_TUPLE) FAIL(JLP_E_BAD_TYPE, "NEWOBJ expected an arg tuple");
            m->sp -= 2;
            TRY(new_object(m, JLP_OBJ_NEWOBJ, cls, args, NULL));
            break;
        }
        case JLP_OP_NEWOBJ_EX: {
            TRY(need_values(m, 3));
            jlp_val *cls = m->stack[m->sp - 3], *args = m->stack[m->sp - 2], *kw = m->stack[m->sp - 1];
            m->ev_callable = cls;
            TRY(py_star_args(m, &args));
            m->ev_args = args;
            m->ev_kwargs = kw;
            if (args->type != JLP_TUPLE) FAIL(JLP_E_BAD_TYPE, "NEWOBJ_EX args argument must be a tuple");
            if (kw->type != JLP_DICT) FAIL(JLP_E_BAD_TYPE, "NEWOBJ_EX kwargs argument must be a dict");
            m->sp -= 3;
            TRY(new_object(m, JLP_OBJ_NEWOBJ_EX, cls, args, kw->u.seq.n ? kw : NULL));
            break;
        }
        case JLP_OP_OBJ: {
            size_t start;
            TRY(pop_mark(m, &start));
            if (m->sp == start) FAIL(JLP_E_STACK_UNDERFLOW, "OBJ needs a class after the MARK");
            jlp_val *args = jlp__new_seq(doc, JLP_TUPLE, m->stack + start + 1, m->sp - start - 1);
            if (!args) { c = jlp__vm_nomem(m); goto done; }
            jlp_val *cls = m->stack[start];
            m->ev_callable = cls;
            m->ev_args = args;
            m->sp = start;
            TRY(new_object(m, JLP_OBJ_OBJ, cls, args, NULL));
            break;
        }
        case JLP_OP_BUILD: {
            TRY(need_values(m, 2));
            jlp_val *target = m->stack[m->sp - 2], *state = m->stack[m->sp - 1];
            if (target->type == JLP_OBJECT) m->ev_callable = target->u.obj->callable;
            m->ev_args = state;
            if (m->hooks && m->hooks->build) m->hooks->build(m->hooks->ctx, m->op_off, m->depth, target, state);
            if (target->type == JLP_OBJECT) {
                bool handled = false;
                /* joblib reads array payloads after its wrappers' BUILD (not inside the
                 * nested pickle of an object array, where joblib uses plain pickle) */
                if (!m->nested) TRY(jlp__joblib_build(m, target, state, &handled));
                if (!handled) target->u.obj->state = state;
            } else if (target->type == JLP_DTYPE) {
                jlp__np np = jlp__vm_np(m);
                TRY(jlp__dtype_build(&np, target, state));
            } else if (target->type == JLP_NDARRAY) {
                jlp__np np = jlp__vm_np(m);
                TRY(jlp__ndarray_build(&np, target, state));
            } else if (target->type == JLP_DICT && (target->flags & JLP_VF_ORDERED)) {
                TRY(ordered_dict_build(m, target, state));
            } else if (!(m->lenient && build_elsewhere(m, target, state))) {
                FAIL(JLP_E_BAD_TYPE, "BUILD on %s", jlp__a_type(target));
            }
            m->sp--;
            break;
        }

        /* -- persistent ids, extensions, out-of-band buffers -- */
        case JLP_OP_PERSID: {
            size_t n;
            TRY(line(m, m->lim->max_str, &p, &n));
            for (size_t i = 0; i < n; i++)
                if (p[i] >= 0x80) FAIL(JLP_E_BAD_VALUE, "persistent IDs in protocol 0 must be ASCII strings");
            jlp_val *s = jlp__new_bytes_copy(doc, JLP_STR, p, n), *v = jlp__new_val(doc, JLP_PERSID);
            if (!s || !v) { c = jlp__vm_nomem(m); goto done; }
            v->u.ref = s;
            TRY(push(m, v));
            break;
        }
        case JLP_OP_BINPERSID: {
            TRY(need_values(m, 1));
            jlp_val *v = jlp__new_val(doc, JLP_PERSID);
            if (!v) { c = jlp__vm_nomem(m); goto done; }
            v->u.ref = m->stack[m->sp - 1];
            m->stack[m->sp - 1] = v;
            break;
        }
        case JLP_OP_EXT1: case JLP_OP_EXT2: case JLP_OP_EXT4: {
            int64_t code;
            if (op == JLP_OP_EXT1) { TRY(take(m, 1, &p)); code = p[0]; }
            else if (op == JLP_OP_EXT2) { TRY(take(m, 2, &p)); code = jlp__le16(p); }
            else { TRY(take(m, 4, &p)); code = (int32_t)jlp__le32(p); }
            if (code <= 0) FAIL(JLP_E_BAD_VALUE, "EXT specifies code <= 0");
            jlp_val *v = jlp__new_val(doc, JLP_EXT);
            if (v) v->u.i = code;
            TRY(push(m, v));
            break;
        }
        case JLP_OP_NEXT_BUFFER: {
            if (m->next_buffer >= m->opts->nbuffers)
                FAIL(JLP_E_NO_BUFFER, "pickle stream refers to out-of-band data but %s",
                     m->opts->nbuffers ? "not enough buffers were given" : "no buffers were given");
            const jlp_buffer *b = &m->opts->buffers[m->next_buffer++];
            if (!b->data && b->len) FAIL(JLP_E_INVALID_ARG, "buffer %zu is NULL", m->next_buffer - 1);
            TRY(push(m, jlp__new_bytes_borrow(doc, b->readonly ? JLP_BYTES : JLP_BYTEARRAY,
                                              b->data ? b->data : "", b->len)));
            break;
        }
        case JLP_OP_READONLY_BUFFER: {
            TRY(need_values(m, 1));
            jlp_val *b = m->stack[m->sp - 1];
            if (b->type == JLP_BYTEARRAY) {
                jlp_val *ro = jlp__new_val(doc, JLP_BYTES);
                if (!ro) { c = jlp__vm_nomem(m); goto done; }
                *ro = *b;
                ro->type = JLP_BYTES;
                m->stack[m->sp - 1] = ro;
            } else if (b->type != JLP_BYTES) {
                FAIL(JLP_E_BAD_TYPE, "READONLY_BUFFER on %s", jlp__a_type(b));
            }
            break;
        }
        default:
            FAIL(JLP_E_BAD_OPCODE, "invalid load key, '\\x%02x'", op);
        }
        if (JLP_UNLIKELY(tracing)) {
            /* what the opcode left on top is its value (or, for BUILD, the built object) */
            m->ev_value = m->sp > m->fence ? m->stack[m->sp - 1] : NULL;
            TRY(jlp__vm_event(m, JLP_EV_OPCODE, m->op_off, jlp__src_tell(src) - m->op_off));
        }
    }
done:
    return c;
}

/* The stack exists from the start, so slices of it (m->stack + start) are never
 * offsets from a null pointer. */
#define STACK_INITIAL 64
static jlp_code stack_init(jlp__vm *m) {
    size_t cap = STACK_INITIAL;
    if (m->lim->max_stack && cap > m->lim->max_stack) cap = (size_t)m->lim->max_stack;
    m->stack = jlp__malloc(m->alc, (cap ? cap : 1) * sizeof *m->stack);
    if (!m->stack) return jlp__vm_fail(m, JLP_E_NOMEM, "out of memory for the stack");
    m->stack_cap = cap;
    return JLP_OK;
}

jlp_code jlp__vm_nested(jlp__vm *parent, jlp_val **root) {
    return jlp__vm_nested_src(parent, parent->src, root);
}

jlp_code jlp__vm_nested_src(jlp__vm *parent, jlp_source *src, jlp_val **root) {
    jlp__vm m;
    memset(&m, 0, sizeof m);
    m.src = src;
    m.doc = parent->doc;
    m.opts = parent->opts;
    m.lim = parent->lim;
    m.alc = parent->alc;
    m.err = parent->err;
    m.start = jlp__src_tell(m.src);
    m.op_off = m.start;
    m.op = -1;
    m.nested = true;
    m.depth = parent->depth + 1;
    /* joblib reads an object array's pickle, and numpy.load a .npy file's, with
     * pickle.load: _pickle.c's rules */
    m.tracing = parent->tracing;
    m.mode = parent->mode;
    m.c_rules = true;
    m.lenient = parent->lenient;
    m.hooks = parent->hooks;
    jlp__memo_init(&m.memo, m.alc);
    jlp_code c = stack_init(&m);
    if (!c) c = run(&m);
    jlp__free(m.alc, m.stack, m.stack_cap * sizeof *m.stack);
    jlp__free(m.alc, m.marks, m.marks_cap * sizeof *m.marks);
    jlp__free(m.alc, m.scratch, m.scratch_cap);
    jlp__free(m.alc, m.argbuf, m.arg_cap);
    jlp__memo_release(&m.memo);
    if (c == JLP_OK) *root = m.result;
    return c;
}

/* ---- one load ---------------------------------------------------------------------- */

/* A vm for one load from `src` in the rules of `how` (the loader read as). */
static void vm_init(jlp__vm *m, jlp_source *src, const jlp_read_opts *opts, const jlp__load_how *how,
                    jlp_error *err) {
    memset(m, 0, sizeof *m);
    m->src = src;
    m->opts = opts;
    m->lim = opts->limits;
    m->alc = jlp__alc_or_default(opts->alc);
    m->err = err;
    m->start = jlp__src_tell(src);
    m->op_off = m->start;
    m->op = -1;
    m->tracing = opts->trace != NULL;
    m->mode = how->mode;
    m->c_rules = how->mode == JLP__MODE_PICKLE || how->mode == JLP__MODE_NUMPY;
    m->lenient = how->mode != JLP__MODE_LOAD;
    m->hooks = how->hooks;
    if (how->body) src->detected = true; /* other formats are never inside a container */
}

/* Run the load into m->doc and free the vm's buffers (not the document). */
static jlp_code vm_run(jlp__vm *m, const jlp__load_how *how) {
    jlp__memo_init(&m->memo, m->alc);
    jlp_code c = stack_init(m);
    if (!c) c = how->body ? how->body(m, how) : run(m);
    jlp__free(m->alc, m->stack, m->stack_cap * sizeof *m->stack);
    jlp__free(m->alc, m->marks, m->marks_cap * sizeof *m->marks);
    jlp__free(m->alc, m->scratch, m->scratch_cap);
    jlp__free(m->alc, m->argbuf, m->arg_cap);
    jlp__memo_release(&m->memo);
    return c;
}

jlp_code jlp__load_into(jlp_doc *doc, jlp_source *src, const jlp_read_opts *opts, const jlp__load_how *how,
                        jlp_val **root, jlp_error *err) {
    jlp__vm m;
    vm_init(&m, src, opts, how, err);
    if (!src->detected && m.start == 0) {
        jlp_code c = jlp__src_detect(src, opts, err);
        if (c) return c;
    }
    m.doc = doc;
    jlp_code c = vm_run(&m, how);
    if (!c) *root = m.result;
    return c;
}

jlp_doc *jlp__load_resolved(jlp_source *src, const jlp_read_opts *opts, const jlp__load_how *how,
                            jlp_error *err) {
    src->threads = opts->threads; /* 0: decided when a large payload comes (source.c) */
    jlp__vm m;
    vm_init(&m, src, opts, how, err);
    if (!src->detected && m.start == 0 && jlp__src_detect(src, opts, err) != JLP_OK) return NULL;
    bool limit_hit = false;
    m.doc = jlp__doc_new(m.alc, m.lim->max_alloc, &limit_hit);
    if (!m.doc) {
        if (limit_hit) jlp__fail(err, JLP_E_LIMIT, m.start, -1, "limits.max_alloc is smaller than an empty document");
        else jlp__fail(err, JLP_E_NOMEM, m.start, -1, "cannot allocate a document");
        return NULL;
    }
    m.doc->mapped = src->mapped && !src->layer;
    jlp_code c = vm_run(&m, how);
    if (c != JLP_OK) {
        jlp_doc_free(m.doc);
        return NULL;
    }
    m.doc->root = m.result;
    m.doc->ops = m.ops;
    m.doc->container = how->body ? how->container : jlp__src_container(src);
    m.doc->protocol = m.proto;
    m.doc->consumed = jlp__src_tell(src) - m.start;
    return m.doc;
}
