/*
 * jlinspect - look inside pickle and joblib files without executing anything.
 *
 *   jlinspect [--tree] [--disasm] [--globals] [--safety] [--json] [--policy FILE]
 *             [--depth N] [--items N] FILE...
 *
 * Everything is seen through the library's own parser: the loader calls back for
 * every opcode, array payload and nested pickle (jlp_read_opts.trace), so what this
 * tool reports is what the loader does, not what a second parser guesses.
 *
 * Exit status: 0 success (with --safety: every FILE safe), 1 suspicious, 2 dangerous,
 * 3 a FILE could not be loaded, 4 usage error. Several FILEs: the worst status.
 */
#include "cli.h"
#include "jlpickle_codec.h"
#include "jlpickle_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_SAFE = 0, EXIT_SUSPICIOUS = 1, EXIT_DANGEROUS = 2, EXIT_INVALID = 3, EXIT_USAGE = 4 };

#define STR_SHOW 60           /* characters of a str/bytes shown before "..." */
#define BIGINT_DECIMAL_MAX 64 /* bytes of an int printed in decimal; longer: <int of N bytes> */

/* ---- memory and strings ------------------------------------------------------------ */

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("jlinspect: out of memory\n", stderr);
        exit(EXIT_INVALID);
    }
    return q;
}
static void *xmalloc(size_t n) { return xrealloc(NULL, n); }
static char *xstrndup(const char *s, size_t n) {
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* Grow a dynamic array: *cap elements of `size` bytes hold at least `need`. */
static void *grow(void *p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    *cap = c;
    return xrealloc(p, c * size);
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
    b->p = grow(b->p, &b->cap, b->n + n + 1, 1);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_putc(sbuf *b, char c) { sb_add(b, &c, 1); }
__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        sb_add(b, tmp, (size_t)n);
        return;
    }
    b->p = grow(b->p, &b->cap, b->n + (size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}
static void sb_clear(sbuf *b) {
    b->n = 0;
    if (b->p) b->p[0] = 0;
}
static const char *sb_str(sbuf *b) {
    if (!b->p) sb_add(b, "", 0);
    return b->p;
}

/* ---- output ------------------------------------------------------------------------ */

static void out(const char *s, size_t n) { fwrite(s, 1, n, stdout); }
static void outs(const char *s) { fputs(s, stdout); }

/* A JSON string following spec/JSON.md: UTF-8 as is, lone surrogates (ED A0..BF xx) as
 * \udxxx, control characters escaped; bytes that are not UTF-8 as \u00xx. */
static void json_str_sb(sbuf *b, const char *s, size_t n) {
    sb_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c == '"') { sb_puts(b, "\\\""); i++; }
        else if (c == '\\') { sb_puts(b, "\\\\"); i++; }
        else if (c == '\b') { sb_puts(b, "\\b"); i++; }
        else if (c == '\f') { sb_puts(b, "\\f"); i++; }
        else if (c == '\n') { sb_puts(b, "\\n"); i++; }
        else if (c == '\r') { sb_puts(b, "\\r"); i++; }
        else if (c == '\t') { sb_puts(b, "\\t"); i++; }
        else if (c < 0x20) { sb_printf(b, "\\u%04x", c); i++; }
        else if (c < 0x80) { sb_putc(b, (char)c); i++; }
        else {
            size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
            bool ok = len && len <= n - i && c < 0xf5;
            for (size_t k = 1; ok && k < len; k++) ok = (p[i + k] & 0xc0) == 0x80;
            if (!ok) { sb_printf(b, "\\u%04x", c); i++; continue; }
            if (len == 3 && c == 0xed && p[i + 1] >= 0xa0) {
                unsigned cp = ((c & 0x0f) << 12) | ((p[i + 1] & 0x3fu) << 6) | (p[i + 2] & 0x3fu);
                sb_printf(b, "\\u%04x", cp);
            } else {
                sb_add(b, (const char *)p + i, len);
            }
            i += len;
        }
    }
    sb_putc(b, '"');
}
static void json_str(const char *s, size_t n) {
    sbuf b = {0};
    json_str_sb(&b, s, n);
    out(b.p, b.n);
    free(b.p);
}
static void json_cstr(const char *s) {
    if (s) json_str(s, strlen(s));
    else outs("null");
}

/* ---- Python-style rendering --------------------------------------------------------- */

/* Decode one UTF-8 sequence (surrogates allowed). @return its length, 0 if malformed. */
static size_t utf8_next(const unsigned char *p, size_t n, unsigned *cp) {
    unsigned c = p[0];
    if (c < 0x80) { *cp = c; return 1; }
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (!len || len > n || c >= 0xf5) return 0;
    unsigned v = c & (0x3fu >> (len - 1));
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (p[k] & 0x3fu);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff))) return 0;
    *cp = v;
    return len;
}

/* Python's str.isprintable(), minus the unassigned code points it cannot know. */
static bool py_printable(unsigned c) {
    if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad) return false;
    if ((c >= 0xd800 && c <= 0xdfff) || (c >= 0xe000 && c <= 0xf8ff) || c >= 0xf0000) return false;
    if (c == 0x1680 || (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
        (c >= 0x205f && c <= 0x206f) || c == 0x3000 || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) ||
        c == 0xfffe || c == 0xffff || (c >= 0x600 && c <= 0x605) || c == 0x61c || c == 0x6dd ||
        c == 0x70f || c == 0x180e || c == 0x110bd || (c >= 0x1bca0 && c <= 0x1bca3) ||
        (c >= 0x1d173 && c <= 0x1d17a) || (c >= 0xe0000 && c <= 0xe007f))
        return false;
    return true;
}

/* repr() of a Python str, showing at most `max` characters ("'abc'... (N chars)"). */
static void repr_str(sbuf *b, const char *s, size_t n, size_t max) {
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0, shown_bytes = n;
    bool sq = false, dq = false;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t l = utf8_next(p + i, n - i, &cp);
        if (!l) l = 1;
        if (chars == max) shown_bytes = i;
        if (chars < max) {
            if (p[i] == '\'') sq = true;
            if (p[i] == '"') dq = true;
        }
        chars++;
        i += l;
    }
    char q = sq && !dq ? '"' : '\'';
    sb_putc(b, q);
    for (size_t i = 0; i < shown_bytes;) {
        unsigned cp;
        size_t l = utf8_next(p + i, n - i, &cp);
        if (!l) { sb_printf(b, "\\x%02x", p[i]); i++; continue; }
        if (cp == (unsigned char)q || cp == '\\') { sb_putc(b, '\\'); sb_putc(b, (char)cp); }
        else if (cp == '\n') sb_puts(b, "\\n");
        else if (cp == '\r') sb_puts(b, "\\r");
        else if (cp == '\t') sb_puts(b, "\\t");
        else if (py_printable(cp)) sb_add(b, (const char *)p + i, l);
        else if (cp <= 0xff) sb_printf(b, "\\x%02x", cp);
        else if (cp <= 0xffff) sb_printf(b, "\\u%04x", cp);
        else sb_printf(b, "\\U%08x", cp);
        i += l;
    }
    sb_putc(b, q);
    if (chars > max) sb_printf(b, "... (%zu chars)", chars);
}

/* repr() of Python bytes (b'...'), at most `max` bytes shown. */
static void repr_bytes(sbuf *b, const char *s, size_t n, size_t max) {
    size_t shown = n < max ? n : max;
    bool sq = memchr(s, '\'', shown) != NULL, dq = memchr(s, '"', shown) != NULL;
    char q = sq && !dq ? '"' : '\'';
    sb_putc(b, 'b');
    sb_putc(b, q);
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == (unsigned char)q || c == '\\') { sb_putc(b, '\\'); sb_putc(b, (char)c); }
        else if (c == '\n') sb_puts(b, "\\n");
        else if (c == '\r') sb_puts(b, "\\r");
        else if (c == '\t') sb_puts(b, "\\t");
        else if (c < 0x20 || c >= 0x7f) sb_printf(b, "\\x%02x", c);
        else sb_putc(b, (char)c);
    }
    sb_putc(b, q);
    if (n > max) sb_printf(b, "... (%zu bytes)", n);
}

/* Python's repr(float), as the library writes it. */
static void repr_float(sbuf *b, double x) {
    char buf[JLP_FLOAT_REPR_MAX];
    jlp_float_repr(x, buf, sizeof buf);
    sb_puts(b, buf);
}

/* A two's complement little-endian integer in decimal, as Python's repr (only for
 * len <= BIGINT_DECIMAL_MAX: a stranger's file may hold huge ones). */
static void repr_bigint(sbuf *b, const uint8_t *p, size_t len) {
    char dig[BIGINT_DECIMAL_MAX * 241 / 100 + 3];
    if (len > BIGINT_DECIMAL_MAX || !jlp_bigint_repr(p, len, dig, sizeof dig)) {
        sb_printf(b, "<int of %zu bytes>", len);
        return;
    }
    sb_puts(b, dig);
}

static void repr_complex(sbuf *b, double re, double im) {
    if (re == 0 && !signbit(re)) {
        repr_float(b, im);
        sb_putc(b, 'j');
        return;
    }
    sb_putc(b, '(');
    repr_float(b, re);
    if (!signbit(im) || isnan(im)) sb_putc(b, '+');
    repr_float(b, im);
    sb_puts(b, "j)");
}

/* module.qualname of a global; control characters escaped. */
static void global_name(sbuf *b, const jlp_val *g) {
    size_t ml, nl;
    const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
    for (int part = 0; part < 2; part++) {
        const char *s = part ? n : m;
        size_t l = part ? nl : ml;
        if (part) sb_putc(b, '.');
        for (size_t i = 0; i < l; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == 0x7f || c == '\\') sb_printf(b, "\\x%02x", c);
            else sb_putc(b, (char)c);
        }
    }
}

/* ---- pointer map ------------------------------------------------------------------- */

typedef struct pmap {
    const void **keys;
    uint32_t *vals;
    size_t cap, n;
} pmap;

static size_t phash(const void *p, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}
static uint32_t *pmap_find(pmap *m, const void *k) {
    if (!m->cap) return NULL;
    for (size_t i = phash(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) return NULL;
        if (m->keys[i] == k) return &m->vals[i];
    }
}
static void pmap_put(pmap *m, const void *k, uint32_t v) {
    if ((m->n + 1) * 2 > m->cap) {
        pmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 1024;
        m->keys = xmalloc(m->cap * sizeof *m->keys);
        m->vals = xmalloc(m->cap * sizeof *m->vals);
        memset(m->keys, 0, m->cap * sizeof *m->keys);
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i]) pmap_put(m, old.keys[i], old.vals[i]);
        free(old.keys);
        free(old.vals);
    }
    size_t i = phash(k, m->cap);
    while (m->keys[i] && m->keys[i] != k) i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) m->n++;
    m->keys[i] = k;
    m->vals[i] = v;
}
static void pmap_free(pmap *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- per-file state ---------------------------------------------------------------- */

/* One pickle's figures, for the summary. */
typedef struct pstats {
    uint64_t start, consumed, ops, payload_bytes, payloads, nested, nested_bytes;
    uint64_t arrays, array_bytes, object_arrays, wrapper_arrays;
    int protocol;
    unsigned warnings;
    const char *generation;
} pstats;

#define MAX_DEPTH_TRACKED 8

typedef struct dstate {       /* disassembly state of one (possibly nested) pickle */
    uint64_t marks_before;
    uint64_t *markpos;
    size_t nmark, markcap;
} dstate;

typedef struct insp {
    const char *file;
    bool want_tree, want_disasm, want_globals, want_safety, json;
    uint64_t depth_limit, items_limit;
    uint8_t *mem;                 /* the input read into memory (a pipe), else NULL */
    size_t mem_len;
    jlp_limits limits;            /* budgets of every pass (cli_limits) */
    cli_budget budget;            /* the --max-* options */
    /* current pickle */
    int pickle;                   /* 1-based */
    pstats cur;
    int maxproto;
    dstate ds[MAX_DEPTH_TRACKED];
    int64_t nested_at[MAX_DEPTH_TRACKED];
    bool pending_payload;         /* a PAYLOAD event waits for its BUILD */
    uint64_t pay_off, pay_len;
    int pay_depth;
    int64_t build_printed;        /* offset of a BUILD already printed (nested payload) */
    bool json_first_op;
    const jlp_policy *policy;     /* --policy rules added to the built-in ones */
    bool torch_record;            /* a checkpoint's pickle record: scanned as torch.load reads it */
    const jlp_error *no_load;     /* why the views other than the scan read nothing (an
                                     archive this library cannot open, a member past its
                                     budget), or NULL */
    jlp_archive *archive;         /* the checkpoint of a record (its storages), or NULL */
    sbuf line;
} insp;

static int ev_depth(const jlp_event *ev) {
    return ev->depth < 0 ? 0 : ev->depth >= MAX_DEPTH_TRACKED ? MAX_DEPTH_TRACKED - 1 : ev->depth;
}

/* ---- callables ------------------------------------------------------------------- */

/* A short description of a callable that is not a global. */
static void describe_computed(sbuf *b, const jlp_val *v) {
    if (jlp_get_type(v) == JLP_OBJECT) {
        const jlp_val *c = jlp_obj_callable(v);
        if (jlp_get_type(c) == JLP_GLOBAL) {
            sb_puts(b, jlp_obj_get_kind(v) == JLP_OBJ_REDUCE ? "the result of " : "an instance of ");
            global_name(b, c);
            return;
        }
        sb_puts(b, "a computed object");
        return;
    }
    sb_puts(b, "a ");
    sb_puts(b, jlp_type_name(jlp_get_type(v)));
}

static bool is_call_op(int op) {
    return op == 'R' || op == 0x81 || op == 0x92 || op == 'o' || op == 'i';
}

/* ---- disassembly ------------------------------------------------------------------- */

/* Protocol that introduced each opcode (pickletools), -1 for bytes that are none. */
static int opcode_proto(int op) {
    const jlp_opcode_desc *d = jlp_opcode_info(op);
    return d ? d->protocol : -1;
}

/* The argument of an opcode as pickletools.dis shows it. @return false when none. */
static bool render_arg(const jlp_event *ev, sbuf *b) {
    const jlp_val *v = ev->value;
    int op = ev->opcode;
    switch (op) {
    case 0x80: case 0x95: {
        size_t n = op == 0x80 ? 1 : 8;
        if (!ev->arg || ev->arg_len != n) { sb_putc(b, '?'); return true; }
        uint64_t x = 0;
        for (size_t i = n; i-- > 0;) x = (x << 8) | ev->arg[i];
        sb_printf(b, "%llu", (unsigned long long)x);
        return true;
    }
    case 'I': case 'J': case 'K': case 'M': case 'L': case 0x8a: case 0x8b:
        if (jlp_get_type(v) == JLP_BOOL) sb_puts(b, jlp_get_bool(v) ? "True" : "False");
        else if (jlp_get_type(v) == JLP_BIGINT) {
            size_t l;
            const uint8_t *p = jlp_get_bigint(v, &l);
            repr_bigint(b, p, l);
        } else sb_printf(b, "%lld", (long long)jlp_get_int(v));
        return true;
    case 'F': case 'G':
        repr_float(b, jlp_get_float(v));
        return true;
    case 'S': case 'T': case 'U': case 'V': case 'X': case 0x8c: case 0x8d: case 'B': case 'C':
    case 0x8e: case 0x96: {
        size_t l;
        const char *s = jlp_get_str(v, &l);
        jlp_type t = jlp_get_type(v);
        if (t == JLP_BYTES && (op == 'S' || op == 'T' || op == 'U')) {
            /* a Python 2 str: pickletools shows it as Latin-1 text */
            sbuf u = {0};
            size_t cut = l > 4 * STR_SHOW ? 4 * STR_SHOW : l;
            for (size_t i = 0; i < cut; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c < 0x80) sb_putc(&u, (char)c);
                else { sb_putc(&u, (char)(0xc0 | (c >> 6))); sb_putc(&u, (char)(0x80 | (c & 0x3f))); }
            }
            size_t before = b->n;
            repr_str(b, u.p ? u.p : "", u.n, STR_SHOW);
            if (cut < l) {
                /* the shown prefix came from a cut copy: state the real length */
                size_t k = b->n;
                while (k > before + 5 && memcmp(b->p + k - 5, "... (", 5) != 0) k--;
                b->n = k - 5;
                sb_printf(b, "... (%zu chars)", l);
            }
            free(u.p);
        } else if (t == JLP_STR) repr_str(b, s, l, STR_SHOW);
        else if (t == JLP_BYTES) repr_bytes(b, s, l, STR_SHOW);
        else if (t == JLP_BYTEARRAY) {
            sb_puts(b, "bytearray(");
            repr_bytes(b, s, l, STR_SHOW);
            sb_putc(b, ')');
        } else sb_putc(b, '?');
        return true;
    }
    case 'c': case 'i': {
        /* the text of the two lines as written (the loader maps Python 2 names such as
         * __builtin__ to builtins; the note shows the mapped name when it differs) */
        const jlp_val *g = op == 'i' ? ev->callable : v;
        size_t ml, nl;
        const char *m = jlp_global_module(g, &ml), *n = jlp_global_name(g, &nl);
        sbuf t = {0};
        const uint8_t *arg = ev->arg;
        size_t len = ev->arg_len;
        if (arg && len >= 2 && len < 1024 && arg[len - 1] == '\n') {
            const uint8_t *nl1 = memchr(arg, '\n', len - 1);
            if (nl1) {
                sb_add(&t, (const char *)arg, (size_t)(nl1 - arg));
                sb_putc(&t, ' ');
                sb_add(&t, (const char *)nl1 + 1, (size_t)(arg + len - 1 - nl1 - 1));
            }
        }
        if (!t.n && m) {
            sb_add(&t, m, ml);
            sb_putc(&t, ' ');
            sb_add(&t, n, nl);
        }
        if (t.n) repr_str(b, t.p, t.n, STR_SHOW * 2);
        else sb_putc(b, '?');
        if (m && (t.n != ml + 1 + nl || memcmp(t.p, m, ml) || memcmp(t.p + ml + 1, n, nl))) {
            sb_puts(b, " (");
            global_name(b, g);
            sb_putc(b, ')');
        }
        free(t.p);
        return true;
    }
    case 'P': {
        size_t l;
        const char *s = jlp_get_str(jlp_persid_value(v), &l);
        repr_str(b, s ? s : "", l, STR_SHOW);
        return true;
    }
    case 0x82: case 0x83: case 0x84:
        sb_printf(b, "%lld", (long long)jlp_ext_code(v));
        return true;
    case 'p': case 'q': case 'r': case 'g': case 'h': case 'j':
        sb_printf(b, "%lld", (long long)ev->memo);
        return true;
    default:
        return false;
    }
}

/* What is worth saying besides the argument: memo slot, MARK, global, callable. */
static void render_note(const jlp_event *ev, uint64_t popped_mark, bool mark_popped, sbuf *b) {
    int op = ev->opcode;
    if (op == 0x94) sb_printf(b, "(as %lld)", (long long)ev->memo);
    if (mark_popped) sb_printf(b, "%s(MARK at %llu)", b->n ? " " : "", (unsigned long long)popped_mark);
    if (op == 0x93 && jlp_get_type(ev->value) == JLP_GLOBAL) {
        sb_puts(b, b->n ? " (" : "(");
        global_name(b, ev->value);
        sb_putc(b, ')');
    }
    if (is_call_op(op) && op != 'i') {
        sb_puts(b, b->n ? " (calls " : "(calls ");
        if (jlp_get_type(ev->callable) == JLP_GLOBAL) global_name(b, ev->callable);
        else describe_computed(b, ev->callable);
        sb_putc(b, ')');
    }
}

static void opcode_repr(sbuf *b, int op) {
    if (op == '\\') sb_puts(b, "\\\\");
    else if (op == '\'') sb_puts(b, "\\'");
    else if (op >= 0x20 && op < 0x7f) sb_putc(b, (char)op);
    else if (op == '\n') sb_puts(b, "\\n");
    else if (op == '\t') sb_puts(b, "\\t");
    else if (op == '\r') sb_puts(b, "\\r");
    else sb_printf(b, "\\x%02x", op & 0xff);
}

static void indent(sbuf *b, size_t n) {
    for (size_t i = 0; i < n; i++) sb_putc(b, ' ');
}

/* Indentation for `levels` nesting levels of `width` spaces; past INDENT_MAX levels the
 * level is written as a number, so output stays linear in the input however deep. */
#define INDENT_MAX 32
static void level_indent(sbuf *b, uint64_t levels, size_t width) {
    if (levels <= INDENT_MAX) {
        indent(b, (size_t)levels * width);
        return;
    }
    indent(b, INDENT_MAX * width);
    sb_printf(b, "(%llu) ", (unsigned long long)levels);
}

/* Emit one disassembly line. */
static void disasm_line(insp *S, uint64_t offset, int depth, uint64_t stack, uint64_t marks, int op,
                        const char *name, const char *arg, const char *note, int64_t memo) {
    sbuf *b = &S->line;
    sb_clear(b);
    if (S->json) {
        if (!S->json_first_op) outs(",");
        S->json_first_op = false;
        outs("{\"offset\":");
        printf("%llu", (unsigned long long)offset);
        printf(",\"depth\":%d,\"op\":", depth);
        json_cstr(name);
        if (arg) { outs(",\"arg\":"); json_cstr(arg); }
        if (memo >= 0) printf(",\"memo\":%lld", (long long)memo);
        if (note && *note) { outs(",\"note\":"); json_cstr(note); }
        printf(",\"stack\":%llu,\"marks\":%llu}", (unsigned long long)stack, (unsigned long long)marks);
        return;
    }
    sb_printf(b, "%5llu: [%3llu] ", (unsigned long long)offset, (unsigned long long)stack);
    indent(b, 4 * (size_t)depth);
    size_t before = b->n;
    opcode_repr(b, op);
    while (b->n < before + 4) sb_putc(b, ' ');
    sb_putc(b, ' ');
    level_indent(b, marks, 4);
    sb_puts(b, name);
    if (arg || (note && *note)) {
        size_t nl = strlen(name);
        if (nl < 10) indent(b, 10 - nl);
        if (arg) { sb_putc(b, ' '); sb_puts(b, arg); }
        if (note && *note) { sb_putc(b, ' '); sb_puts(b, note); }
    }
    sb_putc(b, '\n');
    out(b->p, b->n);
}

static void disasm_special(insp *S, uint64_t offset, int depth, const char *what, uint64_t n, uint64_t pad) {
    if (S->json) {
        if (!S->json_first_op) outs(",");
        S->json_first_op = false;
        printf("{\"offset\":%llu,\"depth\":%d,", (unsigned long long)offset, depth);
        if (!strcmp(what, "payload"))
            printf("\"payload\":%llu,\"pad\":%llu}", (unsigned long long)n, (unsigned long long)pad);
        else outs("\"nested\":true}");
        return;
    }
    sbuf *b = &S->line;
    sb_clear(b);
    sb_printf(b, "%5llu:       ", (unsigned long long)offset);
    indent(b, 4 * (size_t)depth);
    if (!strcmp(what, "payload"))
        sb_printf(b, "payload: %llu bytes (pad %llu)\n", (unsigned long long)n, (unsigned long long)pad);
    else sb_puts(b, "nested pickle (object array payload):\n");
    out(b->p, b->n);
}

static void disasm_opcode(insp *S, const jlp_event *ev) {
    int depth = ev_depth(ev);
    dstate *d = &S->ds[depth];
    uint64_t before = d->marks_before;
    bool popped = false;
    uint64_t popped_at = 0;
    if (ev->opcode == '(') {
        d->markpos = grow(d->markpos, &d->markcap, d->nmark + 1, sizeof *d->markpos);
        d->markpos[d->nmark++] = ev->offset;
    } else if (ev->marks < before) {
        for (uint64_t k = ev->marks; k < before && d->nmark; k++) {
            popped_at = d->markpos[--d->nmark];
            popped = true;
        }
    }
    d->marks_before = ev->marks;
    if (ev->opcode == 'b' && S->build_printed >= 0 && (uint64_t)S->build_printed == ev->offset) {
        S->build_printed = -1;
        return;
    }
    sbuf arg = {0}, note = {0};
    bool has_arg = render_arg(ev, &arg);
    render_note(ev, popped_at, popped, &note);
    uint64_t indent_marks = ev->opcode == '(' ? ev->marks - 1 : before;
    if (S->json) indent_marks = ev->marks;
    disasm_line(S, ev->offset, depth, ev->stack_depth, indent_marks, ev->opcode, ev->name ? ev->name : "?",
                has_arg ? sb_str(&arg) : NULL, sb_str(&note), ev->memo);
    free(arg.p);
    free(note.p);
    if (S->pending_payload && ev->opcode == 'b' && depth == S->pay_depth) {
        jlp_array_info info = JLP_ARRAY_INFO_INIT;
        uint64_t data = S->pay_len, pad = 0;
        if (jlp_array_get(ev->value, &info) && info.offset != UINT64_MAX && info.offset >= S->pay_off &&
            info.offset - S->pay_off <= S->pay_len) {
            pad = info.offset - S->pay_off;
            data = S->pay_len - pad;
        }
        disasm_special(S, S->pay_off, depth, "payload", data, pad);
        S->pending_payload = false;
    }
}

/* ---- the trace callback ------------------------------------------------------------ */

static int on_event(void *ctx, const jlp_event *ev) {
    insp *S = ctx;
    int depth = ev_depth(ev);
    if (ev->kind == JLP_EV_PAYLOAD) {
        S->cur.payload_bytes += ev->length;
        S->cur.payloads++;
        if (S->want_disasm) {
            S->pending_payload = true;
            S->pay_off = ev->offset;
            S->pay_len = ev->length;
            S->pay_depth = depth;
        }
        return 0;
    }
    if (ev->kind == JLP_EV_NESTED) {
        S->cur.nested++;
        if (depth + 1 < MAX_DEPTH_TRACKED) {
            S->nested_at[depth + 1] = (int64_t)ev->offset;
            dstate *nd = &S->ds[depth + 1];
            nd->marks_before = 0;
            nd->nmark = 0;
        }
        if (S->want_disasm) {
            /* the wrapper's BUILD (one byte, just before the payload) reports after the
             * nested pickle: print it now so the listing stays in stream order */
            dstate *d = &S->ds[depth];
            if (ev->offset > 0 && S->maxproto >= 0) { /* no opcode before: a .npy file */
                disasm_line(S, ev->offset - 1, depth, ev->stack_depth ? ev->stack_depth - 1 : 0,
                            S->json ? ev->marks : d->marks_before, 'b', "BUILD", NULL, "", -1);
                S->build_printed = (int64_t)(ev->offset - 1);
            }
            disasm_special(S, ev->offset, depth, "nested", 0, 0);
        }
        return 0;
    }
    if (depth == 0) {
        int p = opcode_proto(ev->opcode);
        if (p > S->maxproto) S->maxproto = p;
    }
    if (ev->opcode == 'b' && depth + 1 < MAX_DEPTH_TRACKED && S->nested_at[depth + 1] >= 0 &&
        (uint64_t)S->nested_at[depth + 1] == ev->offset + 1) {
        S->cur.nested_bytes += ev->length - 1;
        S->nested_at[depth + 1] = -1;
    }
    if (S->want_disasm) disasm_opcode(S, ev);
    return 0;
}

/* ---- value graph: statistics and tree ---------------------------------------------- */

static bool shareable(jlp_type t) {
    return t == JLP_TUPLE || t == JLP_LIST || t == JLP_DICT || t == JLP_SET || t == JLP_FROZENSET ||
           t == JLP_OBJECT || t == JLP_NDARRAY;
}

/* Children of a value, for traversal. Objects: callable (when not a global), args,
 * kwargs, state, items, dictitems. Dicts: key0, value0, key1... (the tree shows keys
 * as labels). Object arrays: elements. Scalars of dtype object and persistent ids:
 * their value. */
enum { ST_ITEM, ST_KEY, ST_VALUE, ST_CALL, ST_CLASS, ST_ARGS, ST_KWARGS, ST_STATE, ST_ITEMS, ST_DICTITEMS,
       ST_ELEM, ST_SCALAR, ST_PERSID };

static uint64_t nchildren(const jlp_val *v) {
    switch (jlp_get_type(v)) {
    case JLP_TUPLE: case JLP_LIST: case JLP_SET: case JLP_FROZENSET: return jlp_len(v);
    case JLP_DICT: return 2 * (uint64_t)jlp_len(v);
    case JLP_OBJECT: return 6;
    case JLP_NDARRAY: {
        jlp_array_info info = JLP_ARRAY_INFO_INIT;
        jlp_array_get(v, &info);
        return info.data == NULL && jlp_dtype_kind(info.dtype) == 'O' ? info.count : 0;
    }
    case JLP_SCALAR: return jlp_scalar_object(v) ? 1 : 0;
    case JLP_PERSID: return 1;
    default: return 0;
    }
}

/* Child i (NULL for an empty object slot) and its step kind. */
static const jlp_val *child_at(const jlp_val *v, uint64_t i, int *step) {
    switch (jlp_get_type(v)) {
    case JLP_TUPLE: case JLP_LIST: case JLP_SET: case JLP_FROZENSET:
        *step = ST_ITEM;
        return jlp_item(v, (size_t)i);
    case JLP_DICT:
        *step = i % 2 ? ST_VALUE : ST_KEY;
        return i % 2 ? jlp_dict_value(v, (size_t)(i / 2)) : jlp_dict_key(v, (size_t)(i / 2));
    case JLP_OBJECT: {
        const jlp_val *c;
        switch (i) {
        case 0:
            c = jlp_obj_callable(v);
            *step = jlp_obj_get_kind(v) == JLP_OBJ_REDUCE ? ST_CALL : ST_CLASS;
            return jlp_get_type(c) == JLP_GLOBAL ? NULL : c;
        case 1: *step = ST_ARGS; c = jlp_obj_args(v); return jlp_len(c) ? c : NULL;
        case 2: *step = ST_KWARGS; return jlp_obj_kwargs(v);
        case 3: *step = ST_STATE; return jlp_obj_state(v);
        case 4: *step = ST_ITEMS; return jlp_obj_items(v);
        default: *step = ST_DICTITEMS; return jlp_obj_dictitems(v);
        }
    }
    case JLP_NDARRAY: *step = ST_ELEM; return jlp_array_object(v, i);
    case JLP_SCALAR: *step = ST_SCALAR; return jlp_scalar_object(v);
    case JLP_PERSID: *step = ST_PERSID; return jlp_persid_value(v);
    default: return NULL;
    }
}

/* Figures over every value reachable from the root, each container once. */
static void graph_stats(const jlp_val *root, pstats *st) {
    typedef struct { const jlp_val *v; uint64_t next, n; } frame;
    frame *stack = NULL;
    size_t sp = 0, cap = 0;
    pmap seen = {0};
    if (!root) return;
    stack = grow(stack, &cap, 1, sizeof *stack);
    stack[sp++] = (frame){root, 0, nchildren(root)};
    pmap_put(&seen, root, 1);
    while (sp) {
        frame *f = &stack[sp - 1];
        if (f->next == 0 && jlp_get_type(f->v) == JLP_NDARRAY) {
            jlp_array_info info = JLP_ARRAY_INFO_INIT;
            jlp_array_get(f->v, &info);
            st->arrays++;
            if (info.data || jlp_dtype_kind(info.dtype) != 'O') st->array_bytes += info.nbytes;
            else st->object_arrays++;
        }
        if (f->next >= f->n) { sp--; continue; }
        int step;
        const jlp_val *c = child_at(f->v, f->next++, &step);
        if (!c || (!nchildren(c) && jlp_get_type(c) != JLP_NDARRAY)) continue;
        if (pmap_find(&seen, c)) continue;
        pmap_put(&seen, c, 1);
        stack = grow(stack, &cap, sp + 1, sizeof *stack);
        stack[sp++] = (frame){c, 0, nchildren(c)};
    }
    free(stack);
    pmap_free(&seen);
}

/* A one-line label for a dict key. */
static void key_label(sbuf *b, const jlp_val *k, uint64_t i) {
    size_t l;
    const char *s;
    switch (jlp_get_type(k)) {
    case JLP_STR: s = jlp_get_str(k, &l); repr_str(b, s, l, 40); return;
    case JLP_BYTES: s = jlp_get_str(k, &l); repr_bytes(b, s, l, 40); return;
    case JLP_INT: sb_printf(b, "%lld", (long long)jlp_get_int(k)); return;
    case JLP_BOOL: sb_puts(b, jlp_get_bool(k) ? "True" : "False"); return;
    case JLP_NONE: sb_puts(b, "None"); return;
    case JLP_FLOAT: repr_float(b, jlp_get_float(k)); return;
    case JLP_BIGINT: {
        const uint8_t *p = jlp_get_bigint(k, &l);
        repr_bigint(b, p, l);
        return;
    }
    case JLP_GLOBAL: global_name(b, k); return;
    case JLP_TUPLE: {
        size_t n = jlp_len(k);
        bool simple = n <= 4;
        for (size_t j = 0; simple && j < n; j++) {
            jlp_type t = jlp_get_type(jlp_item(k, j));
            simple = t == JLP_STR || t == JLP_INT || t == JLP_BOOL || t == JLP_NONE || t == JLP_FLOAT;
        }
        if (simple) {
            sb_putc(b, '(');
            for (size_t j = 0; j < n; j++) {
                if (j) sb_puts(b, ", ");
                key_label(b, jlp_item(k, j), j);
            }
            sb_puts(b, n == 1 ? ",)" : ")");
            return;
        }
    }
    /* fall through */
    default:
        sb_printf(b, "<%s key #%llu>", jlp_type_name(jlp_get_type(k)), (unsigned long long)i);
    }
}

static void shape_str(sbuf *b, const jlp_array_info *info) {
    sb_putc(b, '(');
    for (uint32_t i = 0; i < info->ndim; i++)
        sb_printf(b, "%s%llu", i ? ", " : "", (unsigned long long)info->shape[i]);
    sb_puts(b, info->ndim == 1 ? ",)" : ")");
}

/* The value of a numeric numpy scalar, if simple. */
static bool scalar_value(sbuf *b, const jlp_val *v) {
    const jlp_val *dt = jlp_scalar_dtype(v);
    size_t len;
    const uint8_t *p = jlp_scalar_data(v, &len);
    char kind = jlp_dtype_kind(dt), bo = jlp_dtype_byteorder(dt);
    if (!p || len != jlp_dtype_itemsize(dt) || len > 8 || len == 0) return false;
    uint8_t le[8] = {0};
    bool big = bo == '>';
    for (size_t i = 0; i < len; i++) le[i] = big ? p[len - 1 - i] : p[i];
    uint64_t u = 0;
    for (size_t i = len; i-- > 0;) u = (u << 8) | le[i];
    if (kind == 'b') { sb_puts(b, u ? "True" : "False"); return true; }
    if (kind == 'u') { sb_printf(b, "%llu", (unsigned long long)u); return true; }
    if (kind == 'i') {
        int64_t s = len == 8 ? (int64_t)u : (u & ((uint64_t)1 << (len * 8 - 1))) ? (int64_t)(u - ((uint64_t)1 << (len * 8))) : (int64_t)u;
        sb_printf(b, "%lld", (long long)s);
        return true;
    }
    if (kind == 'f' && (len == 4 || len == 8)) {
        double d;
        if (len == 8) memcpy(&d, &u, 8);
        else {
            uint32_t w = (uint32_t)u;
            float f;
            memcpy(&f, &w, 4);
            d = f;
        }
        repr_float(b, d);
        return true;
    }
    return false;
}

/* One-line description of a value for the tree. */
static void describe(sbuf *b, const jlp_val *v) {
    size_t l;
    const char *s;
    jlp_type t = jlp_get_type(v);
    switch (t) {
    case JLP_NONE: sb_puts(b, "None"); break;
    case JLP_BOOL: sb_puts(b, jlp_get_bool(v) ? "True" : "False"); break;
    case JLP_INT: sb_printf(b, "int %lld", (long long)jlp_get_int(v)); break;
    case JLP_BIGINT: {
        const uint8_t *p = jlp_get_bigint(v, &l);
        sb_puts(b, "int ");
        repr_bigint(b, p, l);
        break;
    }
    case JLP_FLOAT: sb_puts(b, "float "); repr_float(b, jlp_get_float(v)); break;
    case JLP_COMPLEX: {
        double re, im;
        jlp_get_complex(v, &re, &im);
        sb_puts(b, "complex ");
        repr_complex(b, re, im);
        break;
    }
    case JLP_STR: s = jlp_get_str(v, &l); sb_puts(b, "str "); repr_str(b, s, l, STR_SHOW); break;
    case JLP_BYTES: s = jlp_get_str(v, &l); sb_puts(b, "bytes "); repr_bytes(b, s, l, STR_SHOW); break;
    case JLP_BYTEARRAY:
        s = jlp_get_str(v, &l);
        sb_puts(b, "bytearray ");
        repr_bytes(b, s, l, STR_SHOW);
        break;
    case JLP_TUPLE: case JLP_LIST: case JLP_SET: case JLP_FROZENSET: case JLP_DICT:
        sb_printf(b, "%s (%zu item%s)", jlp_type_name(t), jlp_len(v), jlp_len(v) == 1 ? "" : "s");
        break;
    case JLP_GLOBAL: sb_puts(b, "global "); global_name(b, v); break;
    case JLP_OBJECT: {
        static const char *const kinds[] = {"?", "NEWOBJ", "NEWOBJ_EX", "OBJ", "INST", "copyreg._reconstructor", "REDUCE"};
        jlp_obj_kind k = jlp_obj_get_kind(v);
        const jlp_val *c = jlp_obj_callable(v);
        sb_puts(b, k == JLP_OBJ_REDUCE ? "call " : "object ");
        if (jlp_get_type(c) == JLP_GLOBAL) global_name(b, c);
        else sb_puts(b, "<computed>");
        sb_printf(b, " (%s)", (unsigned)k < 7 ? kinds[k] : "?");
        break;
    }
    case JLP_NDARRAY: {
        jlp_array_info info = JLP_ARRAY_INFO_INIT;
        jlp_array_get(v, &info);
        sb_printf(b, "ndarray dtype=%s", jlp_dtype_str(info.dtype));
        if (jlp_dtype_nfields(info.dtype)) sb_printf(b, " (%zu fields)", jlp_dtype_nfields(info.dtype));
        sb_puts(b, " shape=");
        shape_str(b, &info);
        sb_printf(b, " order=%c nbytes=%llu", info.order, (unsigned long long)info.nbytes);
        if (info.offset == UINT64_MAX) sb_puts(b, " offset=-");
        else sb_printf(b, " offset=%llu", (unsigned long long)info.offset);
        if (info.origin == JLP_ORIGIN_NPY_COMPANION || info.origin == JLP_ORIGIN_ZF_COMPANION)
            sb_puts(b, " (in a companion file)");
        if (!info.data) sb_puts(b, " aligned=-");
        else sb_printf(b, " aligned=%s", info.aligned ? "yes" : "no");
        if (jlp_get_type(info.subclass) == JLP_GLOBAL && !jlp_global_is(info.subclass, "numpy", "ndarray")) {
            sb_puts(b, " subclass=");
            global_name(b, info.subclass);
        }
        break;
    }
    case JLP_SCALAR: {
        const jlp_val *dt = jlp_scalar_dtype(v);
        sb_printf(b, "numpy scalar %s", jlp_dtype_str(dt));
        sbuf val = {0};
        if (scalar_value(&val, v)) sb_printf(b, " %s", val.p);
        free(val.p);
        break;
    }
    case JLP_DTYPE:
        sb_printf(b, "dtype %s", jlp_dtype_str(v));
        if (jlp_dtype_nfields(v)) sb_printf(b, " (%zu fields)", jlp_dtype_nfields(v));
        break;
    case JLP_PERSID: sb_puts(b, "persistent id"); break;
    case JLP_EXT: sb_printf(b, "extension code %lld", (long long)jlp_ext_code(v)); break;
    default: sb_puts(b, jlp_type_name(t)); break;
    }
}

typedef struct trec {          /* a container printed in the tree */
    uint32_t parent;           /* record of the parent, UINT32_MAX for the root */
    uint8_t step;
    bool open;                 /* still being expanded: a reference to it is a cycle */
    uint64_t index;
    const jlp_val *key;        /* dict key of a ST_VALUE step */
} trec;

static const char *const step_names[] = {"", "", "", ".call", ".class", ".args", ".kwargs", ".state",
                                         ".items", ".dictitems", "", ".value", ".value"};

static void path_of(sbuf *b, const trec *recs, uint32_t r) {
    uint32_t chain[64];
    size_t n = 0;
    bool cut = false;
    for (uint32_t x = r; x != UINT32_MAX; x = recs[x].parent) {
        if (n == sizeof chain / sizeof *chain) { cut = true; break; }
        chain[n++] = x;
    }
    sb_puts(b, cut ? "root..." : "root");
    while (n-- > 0) {
        const trec *t = &recs[chain[n]];
        if (t->parent == UINT32_MAX) continue;
        if (t->step == ST_ITEM || t->step == ST_ELEM) sb_printf(b, "[%llu]", (unsigned long long)t->index);
        else if (t->step == ST_VALUE) {
            sb_putc(b, '[');
            key_label(b, t->key, t->index);
            sb_putc(b, ']');
        } else if (t->step == ST_KEY) sb_printf(b, ".<key #%llu>", (unsigned long long)t->index);
        else sb_puts(b, step_names[t->step]);
    }
}

static void print_tree(insp *S, const jlp_val *root) {
    typedef struct { const jlp_val *v; uint32_t rec; uint64_t next, n, shown; uint64_t depth; } frame;
    frame *stack = NULL;
    size_t sp = 0, scap = 0;
    trec *recs = NULL;
    size_t nrec = 0, rcap = 0;
    pmap seen = {0};
    sbuf *b = &S->line;

    sb_clear(b);
    sb_puts(b, "root: ");
    describe(b, root);
    uint64_t n = nchildren(root);
    bool expand = n && S->depth_limit > 0;
    if (n && !expand) sb_puts(b, " [...]");
    sb_putc(b, '\n');
    out(b->p, b->n);
    if (!expand) return;
    recs = grow(recs, &rcap, 1, sizeof *recs);
    recs[nrec++] = (trec){UINT32_MAX, 0, true, 0, NULL};
    if (shareable(jlp_get_type(root))) pmap_put(&seen, root, 0);
    stack = grow(stack, &scap, 1, sizeof *stack);
    stack[sp++] = (frame){root, 0, 0, n, 0, 0};
    while (sp) {
        frame *f = &stack[sp - 1];
        int step = ST_ITEM;
        const jlp_val *c = NULL;
        while (f->next < f->n && !(c = child_at(f->v, f->next, &step))) f->next++;
        if (f->next >= f->n || (jlp_get_type(f->v) != JLP_OBJECT && f->shown >= S->items_limit)) {
            /* done: say how many were not shown */
            uint64_t total = jlp_get_type(f->v) == JLP_DICT ? f->n / 2 : f->n;
            if (jlp_get_type(f->v) != JLP_OBJECT && total > f->shown) {
                sb_clear(b);
                level_indent(b, f->depth + 1, 2);
                sb_printf(b, "... %llu more\n", (unsigned long long)(total - f->shown));
                out(b->p, b->n);
            }
            recs[f->rec].open = false;
            sp--;
            continue;
        }
        uint64_t idx = f->next++;
        const jlp_val *key = NULL;
        if (step == ST_KEY) {
            /* a key is shown as the label of its value */
            key = c;
            c = child_at(f->v, f->next++, &step);
            idx /= 2;
        } else if (jlp_get_type(f->v) == JLP_DICT) {
            idx /= 2;
        }
        f->shown++;
        sb_clear(b);
        uint64_t depth = f->depth + 1;
        level_indent(b, depth, 2);
        switch (step) {
        case ST_ITEM: case ST_ELEM: sb_printf(b, "[%llu]", (unsigned long long)idx); break;
        case ST_VALUE: key_label(b, key, idx); break;
        default: sb_puts(b, step_names[step] + 1); break;
        }
        sb_puts(b, ": ");
        uint32_t *prev = shareable(jlp_get_type(c)) ? pmap_find(&seen, c) : NULL;
        if (prev) {
            sb_puts(b, jlp_type_name(jlp_get_type(c)));
            sb_puts(b, " -> ");
            path_of(b, recs, *prev);
            if (recs[*prev].open) sb_puts(b, " (cycle)");
            sb_putc(b, '\n');
            out(b->p, b->n);
            continue;
        }
        describe(b, c);
        uint64_t cn = nchildren(c);
        bool exp = cn && depth < S->depth_limit;
        if (cn && !exp) sb_puts(b, " [...]");
        sb_putc(b, '\n');
        out(b->p, b->n);
        /* a container shown whole (expanded, or with nothing inside) is where later
         * occurrences point to; one cut by --depth is not */
        if ((cn && !exp) || (!exp && !shareable(jlp_get_type(c))) || nrec >= UINT32_MAX - 1) continue;
        recs = grow(recs, &rcap, nrec + 1, sizeof *recs);
        recs[nrec] = (trec){f->rec, (uint8_t)step, exp, idx, key};
        if (shareable(jlp_get_type(c))) pmap_put(&seen, c, (uint32_t)nrec);
        if (exp) {
            stack = grow(stack, &scap, sp + 1, sizeof *stack);
            stack[sp++] = (frame){c, (uint32_t)nrec, 0, cn, 0, depth};
        }
        nrec++;
    }
    free(stack);
    free(recs);
    pmap_free(&seen);
}

/* ---- summary ------------------------------------------------------------------------ */

static void warnings_str(sbuf *b, unsigned w) {
    static const struct { unsigned bit; const char *name; } names[] = {
        {JLP_WARN_UNHASHABLE_KEY, "unhashable-key"}, {JLP_WARN_DUPLICATE_PROTO, "duplicate-proto"},
        {JLP_WARN_PROTO_NOT_FIRST, "proto-not-first"}, {JLP_WARN_STACK_LEFT, "stack-left"}};
    bool any = false;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (w & names[i].bit) {
            if (any) sb_puts(b, ", ");
            sb_puts(b, names[i].name);
            any = true;
        }
    if (!any) sb_puts(b, "none");
}

static void print_pickle_summary(insp *S, const pstats *st, const char *container) {
    sbuf w = {0};
    warnings_str(&w, st->warnings);
    if (S->pickle > 1) printf("pickle %d at byte %llu:\n", S->pickle, (unsigned long long)st->start);
    if (st->generation) printf("format:     joblib %s\n", st->generation);
    else if (!strcmp(container, "npy")) printf("format:     numpy .npy file\n");
    else printf("format:     plain pickle (no joblib arrays)\n");
    printf("container:  %s\n", container);
    printf("protocol:   %d\n", st->protocol);
    printf("decoded:    %llu bytes", (unsigned long long)st->consumed);
    if (st->payloads) printf(", of which %llu in %llu array payload%s", (unsigned long long)st->payload_bytes,
                             (unsigned long long)st->payloads, st->payloads == 1 ? "" : "s");
    if (st->nested) printf("%s %llu in %llu nested pickle%s", st->payloads ? " and" : ", of which",
                           (unsigned long long)st->nested_bytes, (unsigned long long)st->nested,
                           st->nested == 1 ? "" : "s");
    outs("\n");
    printf("arrays:     %llu", (unsigned long long)st->arrays);
    if (st->arrays) {
        printf(", %llu bytes of data", (unsigned long long)st->array_bytes);
        if (st->object_arrays) printf(", %llu of dtype object", (unsigned long long)st->object_arrays);
        printf(" (%llu read through joblib wrappers)", (unsigned long long)st->wrapper_arrays);
    }
    outs("\n");
    printf("opcodes:    %llu\n", (unsigned long long)st->ops);
    printf("warnings:   %s\n", w.p);
    free(w.p);
}

static void json_pickle_fields(const pstats *st) {
    printf(",\"protocol\":%d,\"consumed\":%llu,\"ops\":%llu,\"generation\":", st->protocol,
           (unsigned long long)st->consumed, (unsigned long long)st->ops);
    json_cstr(st->generation);
    printf(",\"payloads\":%llu,\"payload_bytes\":%llu,\"nested_pickles\":%llu,\"nested_bytes\":%llu",
           (unsigned long long)st->payloads, (unsigned long long)st->payload_bytes,
           (unsigned long long)st->nested, (unsigned long long)st->nested_bytes);
    printf(",\"arrays\":%llu,\"array_bytes\":%llu,\"object_arrays\":%llu,\"wrapper_arrays\":%llu",
           (unsigned long long)st->arrays, (unsigned long long)st->array_bytes,
           (unsigned long long)st->object_arrays, (unsigned long long)st->wrapper_arrays);
    outs(",\"warnings\":[");
    static const struct { unsigned bit; const char *name; } names[] = {
        {JLP_WARN_UNHASHABLE_KEY, "unhashable-key"}, {JLP_WARN_DUPLICATE_PROTO, "duplicate-proto"},
        {JLP_WARN_PROTO_NOT_FIRST, "proto-not-first"}, {JLP_WARN_STACK_LEFT, "stack-left"}};
    bool first = true;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (st->warnings & names[i].bit) {
            if (!first) outs(",");
            json_cstr(names[i].name);
            first = false;
        }
    outs("]");
}

/* jlp_export_json writer: the export ends in "\n", which inside our document is dropped. */
typedef struct jsink {
    bool pending_nl;
} jsink;
static int json_sink(void *ctx, const void *data, size_t len) {
    jsink *j = ctx;
    if (!len) return 0;
    if (j->pending_nl) { out("\n", 1); j->pending_nl = false; }
    const char *p = data;
    if (p[len - 1] == '\n') { j->pending_nl = true; len--; }
    out(p, len);
    return ferror(stdout) ? 1 : 0;
}

/* ---- globals and safety output ------------------------------------------------------ */

/* module.name with control bytes and backslashes escaped. */
static void clean_name(sbuf *b, const char *m, size_t ml, const char *n, size_t nl) {
    for (int part = 0; part < 2; part++) {
        const char *s = part ? n : m;
        size_t l = part ? nl : ml;
        if (part) sb_putc(b, '.');
        for (size_t k = 0; k < l; k++) {
            unsigned char c = (unsigned char)s[k];
            if (c < 0x20 || c == 0x7f || c == '\\') sb_printf(b, "\\x%02x", c);
            else sb_putc(b, (char)c);
        }
    }
}

static void print_globals(const jlp_scan_report *r) {
    size_t n = jlp_report_global_count(r);
    printf("globals: %zu\n", n);
    if (!n) return;
    printf("  %-10s %6s %6s  %s\n", "VERDICT", "NAMED", "CALLED", "GLOBAL AND OFFSETS");
    bool any_nested = false;
    for (size_t i = 0; i < n; i++) {
        const jlp_scan_global *e = jlp_report_global(r, i);
        sbuf b = {0};
        clean_name(&b, e->module, e->module_len, e->name, e->name_len);
        sb_puts(&b, "  at ");
        for (unsigned k = 0; k < e->noffsets; k++) {
            sb_printf(&b, "%s%llu%s", k ? ", " : "", (unsigned long long)e->offsets[k], e->nested[k] ? "*" : "");
            any_nested |= e->nested[k] != 0;
        }
        if (e->named > e->noffsets) sb_printf(&b, " (+%llu more)", (unsigned long long)(e->named - e->noffsets));
        if (!e->noffsets) sb_puts(&b, "-");
        printf("  %-10s %6llu %6llu  %s\n", jlp_verdict_name(e->verdict), (unsigned long long)e->named,
               (unsigned long long)e->called, b.p);
        free(b.p);
    }
    if (any_nested) outs("  (* inside a nested pickle)\n");
}

/* The reading whose findings are printed without a "(reading ...)" note. */
static jlp_reading primary_reading(const jlp_scan_report *r) {
    const char *c = jlp_report_container(r);
    return c && !strcmp(c, "zf") ? JLP_READING_JOBLIB_COMPAT : JLP_READING_JOBLIB;
}

/* A finding of another reading that says what a listed finding of the primary reading
 * already says adds nothing to the text output. */
static bool repeats_primary(const jlp_scan_report *r, const jlp_finding *f, jlp_reading primary) {
    if (f->reading == primary) return false;
    for (size_t i = 0, n = jlp_report_count(r); i < n; i++) {
        const jlp_finding *g = jlp_report_finding(r, i);
        if (g->reading == primary && g->offset == f->offset && g->verdict == f->verdict &&
            !strcmp(g->action, f->action) && g->module_len == f->module_len && g->name_len == f->name_len &&
            !memcmp(g->module, f->module, f->module_len) && !memcmp(g->name, f->name, f->name_len) &&
            !(g->file || f->file))
            return true;
    }
    return false;
}

/* How a finding's action reads in a sentence; `named`: the finding names a global. */
static const char *action_words(const char *action, bool named) {
    static const struct { const char *action, *named, *unnamed; } words[] = {
        {"global", "names", "names a global"},
        {"call", "calls", "calls a computed callable"},
        {"ext", "names", "names an extension code"},
        {"persid", "names", "names a persistent id"},
        {"trailing", "has", "has trailing data"},
        {"build", "sets the state of", "sets the state of an object"},
        {"state", "sets", "sets a state"},
        {"divergence", "reads differently", "reads differently"},
        {"limit", "stops at", "stops at a budget"},
        {"companion", "reads the companion file", "reads a companion file"},
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strcmp(action, words[i].action)) return named ? words[i].named : words[i].unnamed;
    return action;
}

/* The order findings are printed in: the primary reading's first, then each other
 * reading's, each by pickle and offset. */
static const jlp_scan_report *sort_report;
static jlp_reading sort_primary;
static int finding_order(const void *a, const void *b) {
    const jlp_finding *x = jlp_report_finding(sort_report, *(const size_t *)a);
    const jlp_finding *y = jlp_report_finding(sort_report, *(const size_t *)b);
    int px = x->reading == sort_primary ? -1 : (int)x->reading, py = y->reading == sort_primary ? -1 : (int)y->reading;
    if (px != py) return px < py ? -1 : 1;
    if (x->pickle != y->pickle) return x->pickle < y->pickle ? -1 : 1;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void print_findings(const char *file, const jlp_scan_report *r) {
    jlp_reading primary = primary_reading(r);
    size_t n = jlp_report_count(r), shown = 0;
    size_t *order = xmalloc((n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++) order[i] = i;
    sort_report = r;
    sort_primary = primary;
    qsort(order, n, sizeof *order, finding_order);
    for (size_t k = 0; k < n; k++) {
        const jlp_finding *f = jlp_report_finding(r, order[k]);
        if (f->verdict == JLP_VERDICT_SAFE || repeats_primary(r, f, primary)) continue;
        shown++;
        sbuf line = {0};
        bool named = f->module_len || f->name_len;
        sb_printf(&line, "%s: byte %llu: %s: %s", file, (unsigned long long)f->offset, jlp_verdict_name(f->verdict),
                  action_words(f->action, named));
        if (named) {
            sb_putc(&line, ' ');
            clean_name(&line, f->module, f->module_len, f->name, f->name_len);
        }
        if (f->opcode) sb_printf(&line, " (%s)", f->opcode);
        if (f->nested_at != UINT64_MAX)
            sb_printf(&line, " in the nested pickle at byte %llu", (unsigned long long)f->nested_at);
        if (f->pickle > 1) sb_printf(&line, " in pickle %u", f->pickle);
        if (f->file) sb_printf(&line, " in %s", f->file);
        if (f->reading != primary) sb_printf(&line, " (reading %s)", jlp_reading_name(f->reading));
        sb_printf(&line, ": %s\n", f->reason);
        out(line.p, line.n);
        free(line.p);
    }
    free(order);
    if (jlp_report_not_listed(r))
        printf("%s: %llu more findings like the above not shown\n", file,
               (unsigned long long)jlp_report_not_listed(r));
    uint64_t total = shown;
    size_t ng = jlp_report_global_count(r);
    jlp_verdict v = jlp_report_verdict(r);
    if (jlp_report_error(r) && v == JLP_VERDICT_SAFE)
        printf("%s: verdict: invalid (the file could not be read to its end; invalid does not mean harmless: "
               "Python runs what it reads before an error)\n", file);
    else if (jlp_report_error(r))
        printf("%s: verdict: %s (the file could not be read to its end; before the error: %llu finding%s)\n", file,
               jlp_verdict_name(v), (unsigned long long)total, total == 1 ? "" : "s");
    else if (v != JLP_VERDICT_SAFE)
        printf("%s: verdict: %s (%llu finding%s, %zu global%s)\n", file, jlp_verdict_name(v),
               (unsigned long long)total, total == 1 ? "" : "s", ng, ng == 1 ? "" : "s");
    else if (ng)
        printf("%s: verdict: safe (%zu global%s, all in the safe list)\n", file, ng, ng == 1 ? "" : "s");
    else
        printf("%s: verdict: safe (no globals)\n", file);
}

static void json_error(const jlp_error *err) {
    printf("{\"code\":\"%s\",\"offset\":%llu,\"input_offset\":", jlp_error_name(err->code),
           (unsigned long long)err->offset);
    if (err->input_offset == UINT64_MAX) outs("null");
    else printf("%llu", (unsigned long long)err->input_offset);
    outs(",\"message\":");
    json_cstr(err->msg);
    outs("}");
}

static void json_report(const jlp_scan_report *r) {
    outs(",\"globals\":[");
    for (size_t i = 0, n = jlp_report_global_count(r); i < n; i++) {
        const jlp_scan_global *e = jlp_report_global(r, i);
        if (i) outs(",");
        outs("{\"module\":");
        json_str(e->module, e->module_len);
        outs(",\"name\":");
        json_str(e->name, e->name_len);
        printf(",\"named\":%llu,\"called\":%llu,\"verdict\":\"%s\",\"reason\":", (unsigned long long)e->named,
               (unsigned long long)e->called, jlp_verdict_name(e->verdict));
        json_cstr(e->reason);
        outs(",\"offsets\":[");
        for (unsigned k = 0; k < e->noffsets; k++) printf("%s%llu", k ? "," : "", (unsigned long long)e->offsets[k]);
        outs("],\"in_nested_pickle\":[");
        for (unsigned k = 0; k < e->noffsets; k++) printf("%s%s", k ? "," : "", e->nested[k] ? "true" : "false");
        outs("]}");
    }
    outs("],\"findings\":[");
    for (size_t i = 0, n = jlp_report_count(r); i < n; i++) {
        const jlp_finding *f = jlp_report_finding(r, i);
        if (i) outs(",");
        printf("{\"verdict\":\"%s\",\"reading\":\"%s\",\"offset\":%llu,\"depth\":%d,\"module\":",
               jlp_verdict_name(f->verdict), jlp_reading_name(f->reading), (unsigned long long)f->offset, f->depth);
        json_str(f->module, f->module_len);
        outs(",\"name\":");
        json_str(f->name, f->name_len);
        outs(",\"action\":");
        json_cstr(f->action);
        outs(",\"reason\":");
        json_cstr(f->reason);
        outs(",\"opcode\":");
        json_cstr(f->opcode);
        printf(",\"pickle\":%u,\"nested_at\":", f->pickle);
        if (f->nested_at != UINT64_MAX) printf("%llu", (unsigned long long)f->nested_at);
        else outs("null");
        if (f->file) {
            outs(",\"file\":");
            json_cstr(f->file);
        }
        outs("}");
    }
    printf("],\"findings_not_listed\":%llu", (unsigned long long)jlp_report_not_listed(r));
}

/* ---- one file ---------------------------------------------------------------------- */

static void insp_free(insp *S) {
    for (int i = 0; i < MAX_DEPTH_TRACKED; i++) free(S->ds[i].markpos);
    free(S->line.p);
}

/* cli_report after what is already on standard output. */
static void report(const char *file, const jlp_error *err) {
    fflush(stdout);
    cli_report(file, err);
}

/* Is the failure one of the container (a codec knows the compressed byte) rather than
 * of the pickle bytes? */
static bool container_error(const jlp_error *err) {
    return err->input_offset != UINT64_MAX && err->input_offset != err->offset;
}

/* Read all of `fd` (a pipe or standard input) into memory, at most `cap` bytes. */
static bool read_all(int fd, uint64_t cap, uint8_t **out, size_t *len, jlp_error *err) {
    size_t n = 0, room = 0;
    uint8_t *buf = NULL;
    for (;;) {
        if (n == room) {
            room = room ? room * 2 : 1 << 16;
            buf = xrealloc(buf, room);
        }
        ssize_t got = read(fd, buf + n, room - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            snprintf(err->msg, sizeof err->msg, "read error: %s", strerror(errno));
            err->code = JLP_E_IO;
            free(buf);
            return false;
        }
        if (got == 0) break;
        n += (size_t)got;
        if (cap && n > cap) {
            snprintf(err->msg, sizeof err->msg, "the input is larger than the budget of %llu bytes (--max-decoded)",
                     (unsigned long long)cap);
            err->code = JLP_E_LIMIT;
            err->offset = cap;
            free(buf);
            return false;
        }
    }
    *out = buf;
    *len = n;
    return true;
}

/* What one more pickle of the input costs beyond its opcodes, in opcodes (as the scan
 * counts it, libjlpickle/scan/reading.c): the opcode budget holds over all the pickles
 * of the input, so millions of tiny pickles in a small compressed file cost no more
 * than the budget allows. */
#define PICKLE_COST_OPS 64

/* The tree, summary and disassembly: one load pass with the trace callback. */
static void load_pass(insp *S, jlp_source *src, const char *file, uint64_t file_size, bool have_size,
                      const char **container, char *container_buf, size_t cbsize, bool *invalid, jlp_error *err) {
    jlp_read_opts ro;
    jlp_read_opts_init(&ro);
    jlp_limits lim = S->limits; /* max_ops counts down over the pickles */
    ro.limits = &lim;
    ro.trace = on_event;
    ro.trace_ctx = S;
    ro.flags |= JLP_READ_NPY_PICKLE; /* a .npy object array is a pickle to inspect */
    for (S->pickle = 1;; S->pickle++) {
        memset(&S->cur, 0, sizeof S->cur);
        S->cur.start = jlp_source_tell(src);
        S->maxproto = -1;
        for (int i = 0; i < MAX_DEPTH_TRACKED; i++) {
            S->ds[i].marks_before = 0;
            S->ds[i].nmark = 0;
            S->nested_at[i] = -1;
        }
        S->pending_payload = false;
        S->build_printed = -1;
        if (S->json) {
            printf("%s{\"offset\":%llu", S->pickle > 1 ? "," : "", (unsigned long long)S->cur.start);
            if (S->want_disasm) {
                outs(",\"disasm\":[");
                S->json_first_op = true;
            }
        } else if (S->want_disasm) {
            if (S->pickle > 1) printf("pickle %d at byte %llu:\n", S->pickle, (unsigned long long)S->cur.start);
            if (S->pickle == 1) outs("# offset: [stack] opcode argument\n");
        }
        const void *head;
        long long have = jlp_source_peek(src, 6, &head, err);
        jlp_doc *doc = have >= 0 && jlp_is_npy(head, (size_t)have) ? jlp_load_npy(src, &ro, err)
                                                                   : jlp_load(src, &ro, err);
        if (S->json && S->want_disasm) outs("]");
        if (!doc) {
            /* after a complete pickle, bytes that are not one are the scan's finding */
            if (S->pickle == 1 || container_error(err)) {
                report(file, err);
                *invalid = true;
            }
            if (S->json) {
                outs(",\"error\":");
                json_error(err);
                outs("}");
            }
            return;
        }
        /* copied: the name is only promised for the document's lifetime */
        snprintf(container_buf, cbsize, "%s", jlp_doc_container(doc));
        *container = container_buf;
        pstats *st = &S->cur;
        st->consumed = jlp_doc_consumed(doc);
        st->ops = jlp_doc_ops(doc);
        st->protocol = jlp_doc_protocol(doc);
        st->warnings = jlp_doc_warnings(doc);
        st->generation = jlp_doc_generation(doc);
        st->wrapper_arrays = jlp_doc_array_count(doc);
        graph_stats(jlp_doc_root(doc), st);
        /* look for a following pickle now: a compressed container is checked to its end
         * before anything is printed, so a damaged file prints no tree */
        int eof = jlp_source_at_eof(src, err);
        if (eof < 0) {
            report(file, err);
            *invalid = true;
            jlp_doc_free(doc);
            if (S->json) outs("}");
            return;
        }
        if (!S->json && S->want_disasm && S->maxproto >= 0)
            printf("highest protocol among opcodes = %d\n", S->maxproto);
        if (S->json) {
            json_pickle_fields(st);
            outs(",\"tree\":");
            jsink js = {false};
            jlp_error e2;
            if (jlp_export_json(jlp_doc_root(doc), NULL, json_sink, &js, &e2) != JLP_OK) {
                outs("null");
                report(file, &e2);
                *invalid = true;
            }
            outs("}");
        } else if (S->want_tree) {
            if (S->pickle == 1) {
                printf("file:       %s\n", file);
                if (have_size)
                    printf("size:       %llu bytes%s\n", (unsigned long long)file_size,
                           S->mem ? " (read from a pipe)" : "");
            }
            print_pickle_summary(S, st, *container);
            outs("tree:\n");
            print_tree(S, jlp_doc_root(doc));
        }
        uint64_t used = jlp_doc_ops(doc) + PICKLE_COST_OPS;
        jlp_doc_free(doc);
        if (*invalid || eof) return;
        if (lim.max_ops && used >= lim.max_ops) {
            memset(err, 0, sizeof *err);
            err->code = JLP_E_LIMIT;
            err->offset = jlp_source_tell(src);
            err->input_offset = UINT64_MAX;
            snprintf(err->msg, sizeof err->msg, "more than limits.max_ops (%llu) opcodes in the pickles of the input",
                     (unsigned long long)S->limits.max_ops);
            report(file, err);
            *invalid = true;
            if (S->json) {
                printf(",{\"offset\":%llu,\"error\":", (unsigned long long)err->offset);
                json_error(err);
                outs("}");
            }
            return;
        }
        if (lim.max_ops) lim.max_ops -= used;
    }
}

/* A member of an archive being inspected (inspect_path). */
typedef struct member_ref {
    jlp_archive *ar;
    size_t i;
    uint64_t size;            /* decoded bytes, as declared */
    uint64_t packed;          /* the archive's compressed bytes (jlp_scan_archive_member) */
} member_ref;

/* Inspect the pickle (or .npy) file at `path`, shown as `file`. A member of an archive
 * (m not NULL) is scanned by the library from the archive, within the budgets of the
 * outermost file (proto->limits), as jlp_scan() of that file scans it; the other views
 * read a temporary copy at `path` (NULL when there is none: proto->no_load says why). */
static int inspect_path(const char *path, const char *file, const insp *proto, bool several, bool first,
                        const member_ref *m) {
    insp S = *proto;
    S.file = file;
    S.build_printed = -1;
    for (int i = 0; i < MAX_DEPTH_TRACKED; i++) S.nested_at[i] = -1;

    if (several && !S.json) printf("==> %s <==\n", file);

    /* a regular file is read by path (companion files of old joblib formats live beside
     * it) in every pass; anything else (standard input, a pipe) is read into memory
     * first, within the budget, so that every pass sees the same bytes */
    jlp_error err;
    memset(&err, 0, sizeof err);
    uint64_t file_size = 0;
    bool have_size = false, open_failed = false;
    struct stat sb;
    bool is_stdin = path && !strcmp(path, "-");
    int fd = !path || m ? -1 : is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (m) {
        file_size = m->size;
        have_size = true;
    } else if (fd < 0) {
        err.code = JLP_E_IO;
        snprintf(err.msg, sizeof err.msg, "cannot open %.100s: %s", file, strerror(errno));
        open_failed = true;
    } else if (!is_stdin && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        file_size = (uint64_t)sb.st_size;
        have_size = true;
    } else {
        jlp_limits cap;
        cli_limits("-", 0, &S.budget, &cap);
        if (read_all(fd, cap.max_decoded, &S.mem, &S.mem_len, &err)) {
            file_size = S.mem_len;
            have_size = true;
        } else {
            open_failed = true;
        }
    }
    if (!m) cli_limits(path, file_size, &S.budget, &S.limits);
    bool want_load = S.want_tree || S.want_disasm || S.json;
    bool want_scan = S.want_safety || S.want_globals || S.json;
    bool invalid = false;
    const char *container = NULL;
    char container_buf[64];

    if (S.json) {
        if (several) outs(first ? "{\"files\":[" : ",");
        outs("{\"file\":");
        json_cstr(file);
        outs(",\"pickles\":[");
    }
    if (open_failed) {
        report(file, &err);
        invalid = true;
    } else if (want_load && S.no_load) {
        err = *S.no_load;
        report(file, &err);
        invalid = true;
    } else if (want_load) {
        jlp_source *src = S.mem ? jlp_source_mem(S.mem, S.mem_len, NULL, &err) : (fflush(stdout), cli_open(path, true, &err));
        if (!src) {
            if (S.mem) report(file, &err); /* cli_open reported already */
            invalid = true;
        } else {
            load_pass(&S, src, file, file_size, have_size, &container, container_buf, sizeof container_buf,
                      &invalid, &err);
            jlp_source_free(src);
        }
    }
    jlp_scan_report *rep = NULL;
    if (!open_failed && want_scan) {
        jlp_scan_opts so;
        jlp_scan_opts_init(&so);
        so.policy = S.policy;
        so.limits = &S.limits;
        so.torch_record = S.torch_record;
        so.torch_archive = S.torch_record ? S.archive : NULL;
        jlp_error e;
        rep = m ? jlp_scan_archive_member(m->ar, m->i, m->packed, &so, &e)
            : S.mem ? jlp_scan_mem(S.mem, S.mem_len, &so, &e) : jlp_scan_path(path, &so, &e);
        if (!rep) {
            if (!invalid) report(file, &e);
            invalid = true;
            err = e;
        } else if (jlp_report_error(rep) && !want_load) {
            report(file, jlp_report_error(rep));
        }
        if (rep && !container && jlp_report_container(rep)) {
            snprintf(container_buf, sizeof container_buf, "%s", jlp_report_container(rep));
            container = container_buf;
        }
    }
    const jlp_error *scan_err = rep ? jlp_report_error(rep) : NULL;
    jlp_verdict v = rep ? jlp_report_verdict(rep) : JLP_VERDICT_SAFE;
    bool failed = invalid || scan_err;
    if (S.json) {
        outs("],\"size\":");
        if (have_size) printf("%llu", (unsigned long long)file_size);
        else outs("null");
        outs(",\"container\":");
        json_cstr(container);
        if (rep) json_report(rep);
        else outs(",\"globals\":[],\"findings\":[],\"findings_not_listed\":0");
        outs(",\"verdict\":");
        json_cstr(v != JLP_VERDICT_SAFE ? jlp_verdict_name(v) : failed ? "invalid" : "safe");
        outs(",\"error\":");
        if (invalid) json_error(&err);
        else if (scan_err) json_error(scan_err);
        else outs("null");
        outs("}");
        if (!several) outs("\n");
    } else {
        if (S.want_globals && rep) print_globals(rep);
        if (S.want_safety && rep) print_findings(file, rep);
        else if (S.want_safety)
            printf("%s: verdict: invalid (the file could not be read; invalid does not mean harmless)\n", file);
    }
    int status = EXIT_SAFE;
    if (S.want_safety && v != JLP_VERDICT_SAFE) status = (int)v;
    else if (failed) status = EXIT_INVALID;
    jlp_report_free(rep);
    if (fd >= 0 && fd != STDIN_FILENO) close(fd);
    free(S.mem);
    insp_free(&S);
    return status;
}

static int inspect_file(const char *file, const insp *proto, bool several, bool first) {
    return inspect_path(file, file, proto, several, first, NULL);
}

/* ---- archives ------------------------------------------------------------------------
 * A zip or tar (a checkpoint, an .npz, a model bundle) is listed, and each member that is
 * a pickle, a compressed pickle or a .npy file is inspected as a file of its own, shown
 * as ARCHIVE::MEMBER: scanned by the library within the budgets of the archive's file
 * (jlp_scan_archive_member), the other views read from a temporary copy made within the
 * same budget; a member that is an archive is listed and
 * inspected in turn (the library bounds the nesting). The archive's verdict is the worst
 * of its members' and of what the listing itself shows: names that are absolute or climb
 * out with "..", duplicate names (readers disagree on which one counts), links, members
 * that cannot be read (encrypted, unknown method). */

typedef struct member_row {
    const char *content;  /* the library's: pickle torch-record npy archive storage code data
                             directory link unreadable (jlp_scan_member.content) */
    int status;           /* inspect status of the member, -1 when not inspected */
} member_row;

/* The library's member report of the archive being listed (jlp_report_member): the
 * table's content and verdict columns come from it, so the table says what the scan
 * read. Members are listed in archive order, a nested archive's after the member that
 * holds it, named "INNER::NAME"; `pos` is where the next lookup starts. */
typedef struct member_table {
    const jlp_scan_report *rep; /* NULL when the scan of the archive failed */
    size_t pos;
} member_table;

/* The report's entry of member `mi` of the archive whose members the report names with
 * `prefix` ("" or "INNER::"), found from t->pos on (duplicates are listed in order), or
 * NULL. */
static const jlp_scan_member *table_row(member_table *t, const char *prefix, const jlp_member_info *mi) {
    size_t pl = strlen(prefix), n = jlp_report_member_count(t->rep);
    for (size_t k = t->pos; k < n; k++) {
        const jlp_scan_member *x = jlp_report_member(t->rep, k);
        if (x->name_len == pl + mi->name_len && !memcmp(x->name, prefix, pl) &&
            !memcmp(x->name + pl, mi->name, mi->name_len)) {
            t->pos = k + 1;
            return x;
        }
    }
    return NULL;
}

static bool ends_with(const char *s, size_t n, const char *tail) {
    size_t k = strlen(tail);
    return n >= k && !memcmp(s + n - k, tail, k);
}

/* Whether member i is itself an archive (by its first bytes, as the scan tells). */
static bool member_is_archive(jlp_archive *ar, size_t i) {
    jlp_error err;
    jlp_source *s = jlp_archive_member_source(ar, i, &err);
    if (!s) return false;
    const void *head = NULL;
    long long n = jlp_source_peek(s, 512, &head, &err);
    bool yes = n > 0 && jlp_archive_detect(head, (size_t)n, NULL);
    jlp_source_free(s);
    return yes;
}

static void flags_text(sbuf *b, unsigned f) {
    static const struct { unsigned bit; const char *name; } names[] = {
        {JLP_MEMBER_DIR, "dir"}, {JLP_MEMBER_LINK, "link"}, {JLP_MEMBER_SPECIAL, "special"},
        {JLP_MEMBER_UNSAFE_NAME, "unsafe-name"}, {JLP_MEMBER_DUPLICATE, "duplicate"},
        {JLP_MEMBER_ENCRYPTED, "encrypted"}, {JLP_MEMBER_UNREADABLE, "unreadable"},
        {JLP_MEMBER_MAPPABLE, "mappable"}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (f & names[k].bit) {
            if (b->n) sb_putc(b, ',');
            sb_puts(b, names[k].name);
        }
    if (!b->n) sb_putc(b, '-');
}

/* A checkpoint's record prefix: the directory of its first member. */
typedef struct tprefix {
    const char *p;
    size_t n;       /* 0 when the archive is no checkpoint */
} tprefix;

static tprefix torch_prefix(const jlp_archive *ar, jlp_archive_kind kind) {
    tprefix t = {"", 0};
    jlp_member_info first = {0};
    if ((kind != JLP_KIND_TORCH && kind != JLP_KIND_TORCHSCRIPT) || !jlp_archive_member(ar, 0, &first)) return t;
    const char *slash = memchr(first.name, '/', first.name_len);
    t.p = first.name;
    t.n = slash ? (size_t)(slash - first.name) : 0;
    return t;
}

/* Whether `mi` lies under `<prefix>/<dir>`. */
static bool under(const jlp_member_info *mi, tprefix t, const char *dir) {
    size_t dl = strlen(dir);
    return t.n && mi->name_len > t.n + 1 + dl && !memcmp(mi->name, t.p, t.n) && mi->name[t.n] == '/' &&
           !memcmp(mi->name + t.n + 1, dir, dl);
}

/* Whether `mi` is one of a checkpoint's pickle records (`<prefix>/NAME.pkl`: data.pkl,
 * constants.pkl; TorchScript's `<prefix>/code/...debug_pkl`), which torch.load and
 * torch.jit.load read with unpicklers of their own. */
static bool torch_record(const jlp_member_info *mi, tprefix t) {
    if (!under(mi, t, "")) return false;
    const char *rest = mi->name + t.n + 1;
    size_t n = mi->name_len - t.n - 1;
    if (!memchr(rest, '/', n)) return ends_with(rest, n, ".pkl");
    return n > 5 && !memcmp(rest, "code/", 5) && ends_with(rest, n, ".debug_pkl");
}

/* Whether `mi` is TorchScript source (`<prefix>/code/....py`), which torch.jit.load
 * compiles and runs. */
static bool torchscript_code(const jlp_member_info *mi, jlp_archive_kind kind, tprefix t) {
    return kind == JLP_KIND_TORCHSCRIPT && under(mi, t, "code/") && ends_with(mi->name, mi->name_len, ".py");
}

/* The verdict a member's listing alone gives, with the reason (as the library's scan of
 * an archive judges it). */
static int listing_verdict(unsigned f, bool code, const char **why) {
    *why = NULL;
    if (f & JLP_MEMBER_UNSAFE_NAME) *why = "an absolute name or one with '..': an extractor may write outside its directory";
    else if (f & JLP_MEMBER_DUPLICATE) *why = "another member has the same name: readers disagree on which one counts";
    else if (f & JLP_MEMBER_LINK) *why = "a link: an extractor may follow it out of its directory";
    else if (f & (JLP_MEMBER_ENCRYPTED | JLP_MEMBER_UNREADABLE)) *why = "cannot be read here, so it was not inspected";
    else if (code)
        *why = "TorchScript code: torch.jit.load compiles it and runs its __setstate__ methods; the scan does not "
               "judge TorchScript";
    return *why ? EXIT_SUSPICIOUS : EXIT_SAFE;
}

static const char *kind_name(jlp_archive_kind k) {
    switch (k) {
    case JLP_KIND_TORCH: return "torch checkpoint";
    case JLP_KIND_TORCHSCRIPT: return "TorchScript archive";
    case JLP_KIND_NPZ: return "npz";
    case JLP_KIND_MODEL: return "model bundle";
    case JLP_KIND_LEGACY_TORCH: return "torch checkpoint (pre-0.4 tar)";
    default: return "bundle";
    }
}

/* The name of an inspection status that is a verdict (EXIT_SAFE..EXIT_DANGEROUS). */
static const char *status_name(int st) {
    static const char *const names[] = {"safe", "suspicious", "dangerous"};
    return st >= EXIT_SAFE && st <= EXIT_DANGEROUS ? names[st] : "invalid";
}

static int status_of(int st, bool safety) {
    if (st == EXIT_INVALID) return EXIT_INVALID;
    return safety ? st : EXIT_SAFE;
}

static int inspect_archive(jlp_archive *ar, uint64_t packed, const char *shown, const insp *proto, bool several,
                           bool first, const char *tmpdir, int depth, member_table *t, const char *prefix);

/* Inspect member i of `ar` (whose compressed bytes are `packed`), shown as `shown`: the
 * scan by the library from the archive; the other views (--tree, --disasm, --json) from
 * a temporary copy in `tmpdir`, made only for a member within the scan's budget for it
 * (jlp_scan_member_budget: a member bomb costs what the same bomb as a compressed file
 * costs; past it the views report the LIMIT and the scan reads the bytes before). */
static int inspect_copy(jlp_archive *ar, size_t i, uint64_t packed, const char *shown, const insp *proto, bool several,
                        bool first, const char *tmpdir) {
    jlp_member_info mi = {0};
    jlp_archive_member(ar, i, &mi);
    member_ref m = {ar, i, mi.size, packed};
    if (!(proto->want_tree || proto->want_disasm || proto->json)) return inspect_path(NULL, shown, proto, several, first, &m);
    jlp_error no_copy;
    memset(&no_copy, 0, sizeof no_copy);
    insp refused = *proto;
    refused.no_load = &no_copy;
    sbuf path = {0};
    sb_printf(&path, "%s/member", tmpdir);
    void *buf = NULL;
    size_t len = 0;
    int st;
    uint64_t budget = jlp_scan_member_budget(ar, i, packed, &proto->limits);
    if (mi.size > budget) {
        /* the reader refuses a member longer than it declares: the declared size bounds
         * the copy */
        no_copy.code = JLP_E_LIMIT;
        no_copy.input_offset = UINT64_MAX;
        no_copy.offset = budget;
        snprintf(no_copy.msg, sizeof no_copy.msg, "member of %llu bytes, past its budget (%llu bytes): not read",
                 (unsigned long long)mi.size, (unsigned long long)budget);
        st = inspect_path(NULL, shown, &refused, several, first, &m);
    } else if (jlp_archive_read(ar, i, &buf, &len, &no_copy) != JLP_OK) {
        st = inspect_path(NULL, shown, &refused, several, first, &m);
    } else {
        int fd = open(sb_str(&path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        const char *p = buf;
        size_t left = len;
        while (fd >= 0 && left) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            p += w;
            left -= (size_t)w;
        }
        free(buf);
        buf = NULL;
        if (fd < 0 || left || close(fd) != 0) {
            fprintf(stderr, "jlinspect: %s: cannot write a temporary copy: %s\n", shown, strerror(errno));
            st = EXIT_INVALID;
        } else {
            st = inspect_path(sb_str(&path), shown, proto, several, first, &m);
        }
        unlink(sb_str(&path));
    }
    free(buf);
    free(path.p);
    return st;
}

/* Inspect member i: inspect_copy() for pickles and .npy files, recursion for archives.
 * In JSON, each is an element of the archive's "inspected" list (`first` opens it). */
static int inspect_member(jlp_archive *ar, uint64_t packed, size_t i, const jlp_member_info *mi, const char *content,
                          const char *shown, const insp *proto, bool first, const char *tmpdir, int depth,
                          member_table *t, const char *prefix) {
    sbuf name = {0};
    sb_printf(&name, "%s::%s", shown, mi->name);
    int st;
    if (!strcmp(content, "archive")) {
        jlp_error err;
        jlp_archive *sub = jlp_archive_open_member(ar, i, &err);
        if (!sub) {
            report(sb_str(&name), &err);
            st = EXIT_INVALID;
        } else {
            sbuf inner = {0};
            sb_printf(&inner, "%s", prefix);
            sb_add(&inner, mi->name, mi->name_len);
            sb_puts(&inner, "::");
            st = inspect_archive(sub, mi->size, sb_str(&name), proto, true, first, tmpdir, depth + 1, t, sb_str(&inner));
            free(inner.p);
            jlp_archive_free(sub);
        }
    } else {
        st = inspect_copy(ar, i, packed, sb_str(&name), proto, true, first, tmpdir);
    }
    free(name.p);
    return st;
}

/* A member's verdict in the table: the worst of its inspection's status, its listing's
 * and the scan's verdict of it (which includes the listing's); -2 for invalid (the
 * inspection failed). */
static int member_verdict(int status, int listing, const jlp_scan_member *row) {
    if (status == EXIT_INVALID) return -2;
    int v = status > listing ? status : listing;
    if (row && (int)row->verdict > v) v = (int)row->verdict;
    return v;
}

static int inspect_archive(jlp_archive *ar, uint64_t packed, const char *shown, const insp *proto, bool several,
                           bool first, const char *tmpdir, int depth, member_table *t, const char *prefix) {
    size_t n = jlp_archive_count(ar);
    member_row *rows = xmalloc((n ? n : 1) * sizeof *rows);
    int worst = EXIT_SAFE;
    bool invalid = false;
    /* the members first, each with its own output (in JSON, a list of file reports, as
     * jlinspect prints for several files) */
    bool any_inspected = false;
    size_t model = SIZE_MAX;
    jlp_archive_kind kind = jlp_archive_kind_of(ar, &model);
    tprefix tp = torch_prefix(ar, kind);
    insp record = *proto;
    record.torch_record = true;
    record.archive = ar; /* the storages its records name (sparse tensors' indices) */
    if (proto->json) {
        if (several) outs(first ? "{\"files\":[" : ",");
        outs("{\"file\":");
        json_cstr(shown);
        outs(",\"inspected\":");
    }
    /* the table's rows: the library's member report */
    const jlp_scan_member **table = xmalloc((n ? n : 1) * sizeof *table);
    for (size_t i = 0; i < n; i++) {
        jlp_member_info mi = {0};
        jlp_archive_member(ar, i, &mi);
        const jlp_scan_member *row = table[i] = t->rep ? table_row(t, prefix, &mi) : NULL;
        /* a member the scan did not list (it failed, out of memory) is inspected as the
         * scan's to judge */
        rows[i].content = row ? row->content : "unreadable";
        rows[i].status = -1;
        const char *c = rows[i].content;
        /* a member whose bytes break off before its kind shows is the scan's to read
         * and judge (what comes before the damage counts), not skipped as harmless */
        bool broken = !strcmp(c, "unreadable") &&
                      !(mi.flags & (JLP_MEMBER_SPECIAL | JLP_MEMBER_UNREADABLE | JLP_MEMBER_ENCRYPTED));
        if (!strcmp(c, "pickle") || !strcmp(c, "torch-record") || !strcmp(c, "npy") || !strcmp(c, "archive") ||
            broken) {
            if (!proto->json && (i || depth)) outs("\n");
            rows[i].status = inspect_member(ar, packed, i, &mi, c, shown, torch_record(&mi, tp) ? &record : proto,
                                            !any_inspected, tmpdir, depth, t, prefix);
            any_inspected = true;
            if (rows[i].status == EXIT_INVALID) invalid = true;
            else if (rows[i].status > worst) worst = rows[i].status;
        }
        const char *why;
        int lv = listing_verdict(mi.flags, torchscript_code(&mi, kind, tp), &why);
        if (lv > worst) worst = lv;
        if (proto->want_safety && row && (int)row->verdict > worst) worst = (int)row->verdict;
    }
    bool safety = proto->want_safety;
    if (proto->json) {
        outs(any_inspected ? "]}" : "null");
        outs(",\"archive\":{\"format\":");
        json_cstr(jlp_archive_format(ar));
        outs(",\"container\":");
        json_cstr(jlp_archive_container(ar));
        outs(",\"kind\":");
        json_cstr(kind_name(kind));
        outs(",\"members\":[");
        for (size_t i = 0; i < n; i++) {
            jlp_member_info mi = {0};
            jlp_archive_member(ar, i, &mi);
            sbuf fl = {0};
            flags_text(&fl, mi.flags);
            const char *why;
            int lv = listing_verdict(mi.flags, torchscript_code(&mi, kind, tp), &why);
            printf("%s{\"name\":", i ? "," : "");
            json_str(mi.name, mi.name_len);
            printf(",\"size\":%llu,\"csize\":%llu,\"method\":", (unsigned long long)mi.size,
                   (unsigned long long)mi.csize);
            json_cstr(mi.method);
            printf(",\"offset\":%llu,\"flags\":", (unsigned long long)mi.offset);
            json_cstr(sb_str(&fl));
            outs(",\"content\":");
            json_cstr(rows[i].content);
            outs(",\"finding\":");
            json_cstr(why);
            outs(",\"verdict\":");
            int v = member_verdict(rows[i].status, lv, table[i]);
            json_cstr(!safety && rows[i].status >= 0 ? NULL : v == -2 ? "invalid" : status_name(v));
            outs("}");
            free(fl.p);
        }
        outs("]},\"verdict\":");
        json_cstr(invalid ? "invalid" : status_name(worst));
        outs("}");
        if (!several) outs("\n");
    } else {
        if (n || depth) outs("\n");
        printf("archive:    %s\n", shown);
        printf("format:     %s%s%s, %zu members, %s", jlp_archive_format(ar),
               strcmp(jlp_archive_container(ar), "none") ? " in " : "",
               strcmp(jlp_archive_container(ar), "none") ? jlp_archive_container(ar) : "", n, kind_name(kind));
        if (kind == JLP_KIND_MODEL) {
            jlp_member_info mm = {0};
            jlp_archive_member(ar, model, &mm);
            printf(" (%s)", mm.name);
        }
        outs("\n");
        printf("%-12s %12s %12s  %-9s %-12s %-11s %s\n", "verdict", "size", "stored", "method", "content", "flags",
               "name");
        for (size_t i = 0; i < n; i++) {
            jlp_member_info mi = {0};
            jlp_archive_member(ar, i, &mi);
            sbuf fl = {0};
            flags_text(&fl, mi.flags);
            const char *why;
            int lv = listing_verdict(mi.flags, torchscript_code(&mi, kind, tp), &why);
            int mv = member_verdict(rows[i].status, lv, table[i]);
            const char *v = "-";
            if (mv == -2) v = "invalid";
            else if (safety || lv) v = status_name(mv);
            printf("%-12s %12llu %12llu  %-9s %-12s %-11s %s\n", v, (unsigned long long)mi.size,
                   (unsigned long long)mi.csize, mi.method, rows[i].content, sb_str(&fl), mi.name);
            if (why) printf("%-12s %s\n", "", why);
            free(fl.p);
        }
        if (safety) printf("verdict:    %s\n", invalid ? "invalid" : status_name(worst));
    }
    free(rows);
    free(table);
    return invalid ? EXIT_INVALID : status_of(worst, safety);
}

/* A private temporary directory for members' copies, in $TMPDIR or /tmp. */
static bool make_tmpdir(sbuf *dir) {
    const char *tmp = getenv("TMPDIR");
    sb_printf(dir, "%s/jlinspect.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir->p)) return true;
    fprintf(stderr, "jlinspect: cannot make a temporary directory: %s\n", strerror(errno));
    free(dir->p);
    dir->p = NULL;
    return false;
}

/* Inspect member i alone, from a copy in a temporary directory of its own. */
static int with_tmpdir_copy(jlp_archive *ar, size_t i, uint64_t packed, const char *shown, const insp *proto,
                            bool several, bool first) {
    sbuf dir = {0};
    if (!make_tmpdir(&dir)) return EXIT_INVALID;
    int r = inspect_copy(ar, i, packed, shown, proto, several, first, dir.p);
    rmdir(dir.p);
    free(dir.p);
    return r;
}

/* FILE is an archive (by its first bytes) or ARCHIVE::MEMBER naming an archive: inspect
 * it as one. @return -1 when it is not an archive (inspect it as a pickle), or is one
 * this library cannot open (*unopened set, *open_err says why: the scan of the file
 * judges it, and the other views report the error). */
/* The archive at `path` opened as jlp_scan() opens it: all members together read at
 * most limits->max_decoded bytes, each within its budget (jlp_scan_member_budget). */
static jlp_archive *open_archive(const char *path, const jlp_limits *lim, jlp_error *err) {
    jlp_archive_opts ao;
    jlp_archive_opts_init(&ao);
    jlp_scan_archive_opts(&ao, lim);
    return jlp_archive_open_path(path, &ao, err);
}

/* The scan of the archive `path` (ar NULL), or of member i of `ar` (an archive), within
 * proto's budgets, for its member report; NULL when it fails (the table then lists
 * every member as the scan's to judge, and the members' own scans say why). */
static jlp_scan_report *scan_for_table(const insp *proto, jlp_archive *ar, size_t i, uint64_t packed,
                                       const char *path) {
    jlp_scan_opts so;
    jlp_scan_opts_init(&so);
    so.policy = proto->policy;
    so.limits = &proto->limits;
    jlp_error e;
    return ar ? jlp_scan_archive_member(ar, i, packed, &so, &e) : jlp_scan_path(path, &so, &e);
}

static int maybe_archive(const char *file, const insp *proto_in, bool several, bool first, jlp_error *open_err,
                         bool *unopened) {
    if (!strcmp(file, "-")) return -1;
    struct stat st;
    jlp_error err;
    jlp_archive *ar = NULL;
    jlp_scan_report *rep = NULL;
    /* every member, nested archives' too, within the budgets of the file (as jlp_scan()
     * of it): a member's budget is a ratio of the compressed bytes that hold it */
    insp arch = *proto_in;
    const insp *proto = &arch;
    uint64_t packed = 0;
    if (stat(file, &st) == 0) {
        if (!S_ISREG(st.st_mode)) return -1;
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return -1;
        static char head[65536];
        ssize_t n = read(fd, head, sizeof head);
        close(fd);
        if (n <= 0 || !jlp_archive_detect(head, (size_t)n, NULL)) return -1;
        packed = (uint64_t)st.st_size;
        cli_limits(file, packed, &arch.budget, &arch.limits);
        ar = open_archive(file, &arch.limits, open_err);
        /* one this library cannot open: inspected as a file, the scan judges it (an
         * archive other readers may accept is suspicious) */
        *unopened = !ar;
        if (!ar) return -1;
        rep = scan_for_table(proto, NULL, 0, packed, file);
    } else {
        /* ARCHIVE::MEMBER, member an archive itself (a member that is a pickle is found
         * the same way and inspected alone, as a member of a listed archive is) */
        const char *sep = strstr(file, "::");
        if (!sep) return -1;
        char *top = xstrndup(file, (size_t)(sep - file));
        packed = stat(top, &st) == 0 ? (uint64_t)st.st_size : 0;
        cli_limits(top, packed, &arch.budget, &arch.limits);
        ar = open_archive(top, &arch.limits, &err);
        free(top);
        const char *rest = sep + 2;
        while (ar) {
            const char *next = strstr(rest, "::");
            char *nm = xstrndup(rest, next ? (size_t)(next - rest) : strlen(rest));
            size_t i;
            jlp_code c = jlp_archive_find(ar, nm, &i, &err);
            free(nm);
            if (c) {
                jlp_archive_free(ar);
                ar = NULL;
                break;
            }
            jlp_member_info mi = {0};
            jlp_archive_member(ar, i, &mi);
            bool is_archive = member_is_archive(ar, i);
            if (!next && !is_archive) {
                /* a single member: inspect it alone */
                insp one = *proto;
                one.torch_record = torch_record(&mi, torch_prefix(ar, jlp_archive_kind_of(ar, NULL)));
                one.archive = ar;
                int r = with_tmpdir_copy(ar, i, packed, file, &one, several, first);
                jlp_archive_free(ar);
                return r;
            }
            /* the last one's member report, from the scan of it as the scan of the file
             * scans it */
            if (!next) rep = scan_for_table(proto, ar, i, packed, NULL);
            jlp_archive *sub = jlp_archive_open_member(ar, i, &err);
            jlp_archive_free(ar);
            ar = sub;
            packed = mi.size;
            if (!next) break;
            rest = next + 2;
        }
    }
    if (!ar) {
        jlp_report_free(rep);
        report(file, &err);
        if (proto->json) {
            if (several) outs(first ? "{\"files\":[" : ",");
            outs("{\"file\":");
            json_cstr(file);
            outs(",\"error\":");
            json_error(&err);
            outs(",\"verdict\":\"invalid\"}");
            if (!several) outs("\n");
        }
        return EXIT_INVALID;
    }
    if (several && !proto->json) printf("==> %s <==\n", file);
    sbuf dir = {0};
    member_table t = {rep, 0};
    int status =
        make_tmpdir(&dir) ? inspect_archive(ar, packed, file, proto, several, first, dir.p, 0, &t, "") : EXIT_INVALID;
    if (dir.p) rmdir(dir.p);
    free(dir.p);
    jlp_archive_free(ar);
    jlp_report_free(rep);
    return status;
}

/* ---- main -------------------------------------------------------------------------- */

static void usage(FILE *fp) {
    fputs("usage: jlinspect [--tree] [--disasm] [--globals] [--safety] [--json]\n"
          "                 [--policy FILE] [--depth N] [--items N] FILE...\n"
          "Look inside pickle and joblib files (- for standard input) without executing\n"
          "anything. With no view option: a summary and a tree of the values. An archive\n"
          "(a PyTorch checkpoint, an .npz, a tar or zip bundle; ARCHIVE::MEMBER for one\n"
          "member) is listed, and each member that is a pickle or .npy file is inspected;\n"
          "its verdict is the worst of its members' and of its listing.\n"
          "  --tree         the summary and tree (the default view)\n"
          "  --disasm       every opcode with its offset, stack depth and argument,\n"
          "                 array payloads and nested pickles, as pickletools.dis\n"
          "  --globals      every global the stream names, how often, where, and\n"
          "                 whether it is called\n"
          "  --safety       findings and a verdict: safe, suspicious or dangerous\n"
          "  --json         one JSON document per FILE with the summary, globals,\n"
          "                 findings, verdict and the tree as jlload --json exports it\n"
          "                 (with --disasm, the opcodes too)\n"
          "  --policy FILE  more rules: lines 'safe|suspicious|dangerous MODULE.NAME',\n"
          "                 'MODULE:DOTTED.QUALNAME' or 'MODULE.*'; '#' comments\n"
          "  --depth N      tree levels shown (default 8)\n"
          "  --items N      items shown per container (default 20)\n"
          CLI_BUDGET_USAGE
          "  --help, --version\n"
          "Exit status: 0 success (with --safety: safe), 1 suspicious, 2 dangerous,\n"
          "3 a FILE could not be loaded, 4 usage error; the worst over all FILEs.\n",
          fp);
}

int main(int argc, char **argv) {
    insp proto;
    memset(&proto, 0, sizeof proto);
    proto.depth_limit = 8;
    proto.items_limit = 20;
    const char **files = xmalloc(sizeof *files * (size_t)(argc > 0 ? argc : 1));
    size_t nfiles = 0;
    bool opts_done = false;
    jlp_policy *policy = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && a[0] == '-' && a[1]) {
            if (!strcmp(a, "--")) { opts_done = true; continue; }
            if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); free(files); return EXIT_SAFE; }
            if (!strcmp(a, "--version")) { cli_version("jlinspect"); free(files); return EXIT_SAFE; }
            if (!strcmp(a, "--tree")) { proto.want_tree = true; continue; }
            if (!strcmp(a, "--disasm")) { proto.want_disasm = true; continue; }
            if (!strcmp(a, "--globals")) { proto.want_globals = true; continue; }
            if (!strcmp(a, "--safety")) { proto.want_safety = true; continue; }
            if (!strcmp(a, "--json")) { proto.json = true; continue; }
            if (!strcmp(a, "--policy")) {
                if (i + 1 >= argc) {
                    fputs("jlinspect: --policy needs a FILE\n", stderr);
                    free(files);
                    return EXIT_USAGE;
                }
                jlp_error pe;
                if (!policy && !(policy = jlp_policy_new(NULL, &pe))) {
                    cli_report("jlinspect", &pe);
                    free(files);
                    return EXIT_USAGE;
                }
                if (jlp_policy_load_path(policy, argv[++i], &pe) != JLP_OK) {
                    fprintf(stderr, "jlinspect: %s\n", pe.msg);
                    jlp_policy_free(policy);
                    free(files);
                    return EXIT_USAGE;
                }
                proto.policy = policy;
                continue;
            }
            if (!strcmp(a, "--depth") || !strcmp(a, "--items")) {
                uint64_t *dst = a[2] == 'd' ? &proto.depth_limit : &proto.items_limit;
                if (i + 1 >= argc || cli_parse_u64(argv[++i], dst)) {
                    fprintf(stderr, "jlinspect: %s needs a non-negative number\n", a);
                    free(files);
                    return EXIT_USAGE;
                }
                continue;
            }
            int k = cli_budget_option("jlinspect", argc, argv, &i, &proto.budget);
            if (k < 0) {
                free(files);
                return EXIT_USAGE;
            }
            if (k) continue;
            fprintf(stderr, "jlinspect: unknown option '%s'\n", a);
            usage(stderr);
            free(files);
            return EXIT_USAGE;
        }
        files[nfiles++] = a;
    }
    if (!nfiles) {
        usage(stderr);
        free(files);
        return EXIT_USAGE;
    }
    if (!proto.want_disasm && !proto.want_globals && !proto.want_safety) proto.want_tree = true;
    int worst = EXIT_SAFE;
    for (size_t i = 0; i < nfiles; i++) {
        jlp_error open_err;
        bool unopened = false;
        int st = maybe_archive(files[i], &proto, nfiles > 1, i == 0, &open_err, &unopened);
        if (st < 0) {
            insp one = proto;
            if (unopened) one.no_load = &open_err;
            st = inspect_file(files[i], &one, nfiles > 1, i == 0);
        }
        if (st > worst) worst = st;
        if (nfiles > 1 && i + 1 < nfiles && !proto.json) outs("\n");
    }
    if (proto.json && nfiles > 1) outs("]}\n");
    free(files);
    jlp_policy_free(policy);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("jlinspect: error writing standard output\n", stderr);
        return EXIT_INVALID;
    }
    return worst;
}
