/* text.c - protocol 0 text argument decoders, in the rules of either CPython unpickler. */
#include "text.h"

#include "../common/decimal_double.h"

#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static bool is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Py_ISSPACE and the C locale's isspace agree: the six above. */
static bool py_space(uint8_t c) { return is_space(c); }

/* Python's digit value of a character (_PyLong_DigitValue): 0-9, a-z/A-Z 10-35. */
static unsigned digit_value(uint8_t c) {
    if (c >= '0' && c <= '9') return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'z') return (unsigned)(c - 'a' + 10);
    if (c >= 'A' && c <= 'Z') return (unsigned)(c - 'A' + 10);
    return 99;
}

/* CPython's PyLong_FromString(s, pend, base) for base 0 or 10 over the C string
 * s[0..n) (n: up to its NUL): whitespace, sign, prefix (base 0), digits with single
 * underscores between them, whitespace, end. The digits go to `digits`. */
static bool pylong(const uint8_t *s, size_t n, unsigned base, char *digits, jlp__int_text *out) {
    size_t i = 0;
    while (i < n && py_space(s[i])) i++;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    bool zero_only = false; /* base 0 with a leading 0: an old octal literal is refused */
    if (base == 0) {
        uint8_t c1 = i + 1 < n ? s[i + 1] : 0;
        if (i >= n || s[i] != '0') base = 10;
        else if (c1 == 'x' || c1 == 'X') base = 16;
        else if (c1 == 'o' || c1 == 'O') base = 8;
        else if (c1 == 'b' || c1 == 'B') base = 2;
        else {
            zero_only = true;
            base = 10;
        }
        if (base != 10) {
            i += 2;
            if (i < n && s[i] == '_') i++; /* one underscore may follow the prefix */
        }
    }
    if (i < n && s[i] == '_') return false;
    size_t nd = 0;
    bool any = false, prev_us = false;
    for (; i < n; i++) {
        if (s[i] == '_') {
            if (prev_us) return false;
            prev_us = true;
            continue;
        }
        unsigned d = digit_value(s[i]);
        if (d >= base) break;
        prev_us = false;
        any = true;
        if (nd || d) digits[nd++] = (char)s[i];
    }
    if (prev_us || !any || (zero_only && nd)) return false;
    while (i < n && py_space(s[i])) i++;
    if (i != n) return false;
    out->neg = neg && nd;
    out->base = base;
    out->digits = digits;
    out->ndigits = nd;
    return true;
}

/* Python's int(bytes, base): PyLong_FromString over every byte (a NUL refuses). */
static bool py_int(const uint8_t *s, size_t n, unsigned base, char *digits, jlp__int_text *out) {
    if (memchr(s, 0, n)) return false;
    return pylong(s, n, base, digits, out);
}

/* _pickle.c copies the line (with its '\n') into a NUL-terminated buffer and hands
 * that C string on: `cstr` gets it, *clen its length up to the first NUL, *len the
 * line's byte count as the C unpickler counts it. */
static void c_line(const uint8_t *s, size_t n, bool has_nl, char *cstr, size_t *clen, size_t *len) {
    memcpy(cstr, s, n);
    if (has_nl) cstr[n] = '\n';
    *len = n + (has_nl ? 1 : 0);
    cstr[*len] = 0;
    const char *z = memchr(cstr, 0, *len + 1);
    *clen = (size_t)(z - cstr);
}

/* Render |v| as decimal digits. */
static void small_int(int64_t v, char *digits, jlp__int_text *out) {
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char tmp[24];
    size_t k = 0;
    while (u) {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    }
    for (size_t i = 0; i < k; i++) digits[i] = tmp[k - 1 - i];
    out->neg = v < 0;
    out->base = 10;
    out->digits = digits;
    out->ndigits = k;
}

/* C strtol(s, &end, 0) in the C locale over the C string s[0..n): *end is where it
 * stopped (0 when nothing was converted), *ovf true when the value overflowed long. */
static int64_t c_strtol(const uint8_t *s, size_t n, size_t *end, bool *ovf) {
    size_t i = 0;
    while (i < n && is_space(s[i])) i++;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    unsigned base = 10;
    if (i < n && s[i] == '0') {
        if (i + 2 < n && (s[i + 1] == 'x' || s[i + 1] == 'X') && digit_value(s[i + 2]) < 16) {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    size_t start = i;
    uint64_t acc = 0;
    *ovf = false;
    for (; i < n; i++) {
        unsigned d = digit_value(s[i]);
        if (d >= base) break;
        if (acc > (UINT64_MAX - d) / base) *ovf = true;
        else acc = acc * base + d;
    }
    if (i == start) {
        *end = 0;
        return 0;
    }
    *end = i;
    if (acc > (uint64_t)INT64_MAX + (neg ? 1u : 0u)) *ovf = true;
    if (*ovf) return neg ? INT64_MIN : INT64_MAX;
    return neg ? (int64_t)(0 - acc) : (int64_t)acc;
}

int jlp__int_line(jlp__rules r, const uint8_t *s, size_t n, bool has_nl, char *scratch,
                  jlp__int_text *out, bool *is_true) {
    char *digits = scratch + n + 2;
    if (r == JLP__PY_RULES) {
        /* pickle.py: data == b'00\n' / b'01\n' are the booleans, else int(data, 0) with
         * the '\n' (whitespace) included */
        if (has_nl && n == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1')) {
            *is_true = s[1] == '1';
            return 2;
        }
        char *data = scratch;
        memcpy(data, s, n);
        if (has_nl) data[n] = '\n';
        return py_int((const uint8_t *)data, n + (has_nl ? 1 : 0), 0, digits, out) ? 1 : 0;
    }
    size_t clen, len;
    c_line(s, n, has_nl, scratch, &clen, &len);
    if (len < 2) return 0; /* bad_readline */
    size_t end;
    bool ovf;
    int64_t x = c_strtol((const uint8_t *)scratch, clen, &end, &ovf);
    char at_end = scratch[end];
    if (ovf || (at_end != '\n' && at_end != 0))
        return pylong((const uint8_t *)scratch, clen, 0, digits, out) ? 1 : 0;
    if (len == 3 && (x == 0 || x == 1)) {
        *is_true = x == 1;
        return 2;
    }
    small_int(x, digits, out);
    return 1;
}

bool jlp__long_line(jlp__rules r, const uint8_t *s, size_t n, bool has_nl, char *scratch,
                    jlp__int_text *out) {
    char *digits = scratch + n + 2;
    if (r == JLP__PY_RULES) {
        /* val = readline()[:-1]; a trailing 'L' dropped; int(val, 0) */
        size_t k = has_nl ? n : (n ? n - 1 : 0);
        if (k && s[k - 1] == 'L') k--;
        return py_int(s, k, 0, digits, out);
    }
    size_t clen, len;
    c_line(s, n, has_nl, scratch, &clen, &len);
    if (len < 2) return false;
    if (scratch[len - 2] == 'L') {
        scratch[len - 2] = 0;
        if (clen > len - 2) clen = len - 2;
    }
    return pylong((const uint8_t *)scratch, clen, 0, digits, out);
}

bool jlp__memo_line(jlp__rules r, const uint8_t *s, size_t n, bool has_nl, char *scratch,
                    jlp__int_text *out) {
    char *digits = scratch + n + 2;
    if (r == JLP__PY_RULES) return py_int(s, has_nl ? n : (n ? n - 1 : 0), 10, digits, out);
    size_t clen, len;
    c_line(s, n, has_nl, scratch, &clen, &len);
    if (len < 2) return false;
    return pylong((const uint8_t *)scratch, clen, 10, digits, out);
}

bool jlp__int_text_eq(const jlp__int_text *a, const jlp__int_text *b) {
    if (a->ndigits == 0 || b->ndigits == 0) return a->ndigits == b->ndigits;
    if (a->neg != b->neg) return false;
    if (a->base == b->base) return a->ndigits == b->ndigits && !memcmp(a->digits, b->digits, a->ndigits);
    uint64_t x, y; /* different bases: compare when both fit (larger ones: unequal) */
    return jlp__int_text_u64(a, &x) && jlp__int_text_u64(b, &y) && x == y;
}

bool jlp__int_text_u64(const jlp__int_text *t, uint64_t *out) {
    uint64_t v = 0;
    for (size_t i = 0; i < t->ndigits; i++) {
        unsigned d = digit_value((uint8_t)t->digits[i]);
        if (!jlp__mul_u64(v, t->base, &v) || !jlp__add_u64(v, d, &v)) return false;
    }
    *out = v;
    return true;
}

static bool word_is(const uint8_t *s, size_t n, const char *w) {
    size_t wl = strlen(w);
    if (n != wl) return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 'A' && c <= 'Z') c = (uint8_t)(c - 'A' + 'a');
        if (c != (uint8_t)w[i]) return false;
    }
    return true;
}

/* How much of t[0..tn) CPython's PyOS_string_to_double reads: a sign, then "inf",
 * "infinity", "nan" (any case), or digits with an optional '.' and fraction (at least
 * one digit) and an optional exponent. @return the length read, 0 for none. */
static size_t float_prefix(const uint8_t *t, size_t tn) {
    size_t i = 0;
    if (i < tn && (t[i] == '+' || t[i] == '-')) i++;
    static const char *const words[] = {"infinity", "inf", "nan"};
    for (size_t w = 0; w < 3; w++) {
        size_t wl = strlen(words[w]);
        if (tn - i >= wl && word_is(t + i, wl, words[w])) return i + wl;
    }
    size_t mant = 0;
    while (i < tn && t[i] >= '0' && t[i] <= '9') { i++; mant++; }
    if (i < tn && t[i] == '.') {
        i++;
        while (i < tn && t[i] >= '0' && t[i] <= '9') { i++; mant++; }
    }
    if (!mant) return 0;
    if (i < tn && (t[i] == 'e' || t[i] == 'E')) {
        size_t e = i + 1;
        if (e < tn && (t[e] == '+' || t[e] == '-')) e++;
        size_t ed = 0;
        while (e < tn && t[e] >= '0' && t[e] <= '9') { e++; ed++; }
        if (ed) i = e; /* "1e" reads as "1" */
    }
    return i;
}

bool jlp__float_line(jlp__rules r, const uint8_t *s, size_t n, bool has_nl, char *scratch,
                     double *out) {
    size_t k;
    if (r == JLP__PY_RULES) {
        /* float(readline()[:-1]): whitespace around, single '_' between digits */
        size_t m = has_nl ? n : (n ? n - 1 : 0);
        if (memchr(s, 0, m)) return false;
        const uint8_t *t = s;
        while (m && py_space(t[0])) { t++; m--; }
        while (m && py_space(t[m - 1])) m--;
        k = 0;
        for (size_t i = 0; i < m; i++) {
            if (t[i] == '_') {
                bool digit_before = i > 0 && t[i - 1] >= '0' && t[i - 1] <= '9';
                bool digit_after = i + 1 < m && t[i + 1] >= '0' && t[i + 1] <= '9';
                if (!digit_before || !digit_after) return false;
                continue;
            }
            scratch[k++] = (char)t[i];
        }
        if (!k || float_prefix((const uint8_t *)scratch, k) != k) return false;
        scratch[k] = 0;
        *out = jlp__decimal_to_double(scratch, k); /* pickles use '.': no locale */
        return true;
    }
    /* _pickle.c: PyOS_string_to_double(line) must stop at the '\n' or a NUL; no
     * whitespace, no '_'; a value out of range is an OverflowError */
    size_t clen, len;
    c_line(s, n, has_nl, scratch, &clen, &len);
    k = float_prefix((const uint8_t *)scratch, clen);
    if (!k || (scratch[k] != '\n' && scratch[k] != 0)) return false;
    char keep = scratch[k];
    scratch[k] = 0;
    double d = jlp__decimal_to_double(scratch, k);
    scratch[k] = keep;
    if (isinf(d) && !word_is((const uint8_t *)scratch + (scratch[0] == '+' || scratch[0] == '-'),
                             k - (scratch[0] == '+' || scratch[0] == '-'), "inf") &&
        !word_is((const uint8_t *)scratch + (scratch[0] == '+' || scratch[0] == '-'),
                 k - (scratch[0] == '+' || scratch[0] == '-'), "infinity"))
        return false;
    *out = d;
    return true;
}

/* A hex digit's value plus one; 0 for any other byte. */
static const uint8_t hex_plus1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int hexval(uint8_t c) { return hex_plus1[c] - 1; }

bool jlp__unescape_string(const uint8_t *s, size_t n, uint8_t *out, size_t *out_len,
                          const char **why) {
    /* Both CPython unpicklers require matching quotes at both ends of the line. */
    if (n < 2 || (s[0] != '\'' && s[0] != '"') || s[n - 1] != s[0]) {
        *why = "the STRING opcode argument must be quoted";
        return false;
    }
    s++;
    n -= 2;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i++];
        if (c != '\\') { out[o++] = c; continue; }
        if (i >= n) { *why = "trailing \\ in string"; return false; }
        c = s[i++];
        switch (c) {
        case '\n': break;
        case '\\': out[o++] = '\\'; break;
        case '\'': out[o++] = '\''; break;
        case '"': out[o++] = '"'; break;
        case 'a': out[o++] = 7; break;
        case 'b': out[o++] = 8; break;
        case 'f': out[o++] = 12; break;
        case 'n': out[o++] = 10; break;
        case 'r': out[o++] = 13; break;
        case 't': out[o++] = 9; break;
        case 'v': out[o++] = 11; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            unsigned v = c - '0';
            for (int k = 0; k < 2 && i < n && s[i] >= '0' && s[i] <= '7'; k++)
                v = v * 8 + (unsigned)(s[i++] - '0');
            out[o++] = (uint8_t)v; /* Python keeps the low byte of \400..\777 */
            break;
        }
        case 'x': {
            int h1 = i < n ? hexval(s[i]) : -1, h2 = i + 1 < n ? hexval(s[i + 1]) : -1;
            if (h1 < 0 || h2 < 0) { *why = "invalid \\x escape"; return false; }
            out[o++] = (uint8_t)(h1 * 16 + h2);
            i += 2;
            break;
        }
        default: /* unknown escapes are kept as written */
            out[o++] = '\\';
            out[o++] = c;
        }
    }
    *out_len = o;
    return true;
}

/* The bytes from s up to the first backslash (or s + n) as raw-unicode-escape reads
 * them: ASCII as it is, 0x80-0xFF as the Latin-1 code points in UTF-8. Plain ASCII is
 * copied 16 bytes a step where the CPU has SSE2 (a block is stored whole, then only its
 * plain prefix counted: `out` has room for 2n bytes, and *o <= 2 * the bytes read so
 * far). @return the bytes read; *o advanced by those written. */
static size_t escape_free_run(const uint8_t *s, size_t n, uint8_t *out, size_t *o) {
    size_t i = 0, w = *o;
    for (;;) {
#if defined(__SSE2__)
        const __m128i backslash = _mm_set1_epi8('\\');
        while (n - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            _mm_storeu_si128((__m128i *)(out + w), v);
            unsigned special = (unsigned)_mm_movemask_epi8(_mm_or_si128(v, _mm_cmpeq_epi8(v, backslash)));
            if (special) {
                unsigned k = (unsigned)__builtin_ctz(special);
                i += k;
                w += k;
                break;
            }
            i += 16;
            w += 16;
        }
        if (n - i >= 16) { /* stopped in a block: its first byte that is not plain ASCII */
            uint8_t c = s[i];
            if (c == '\\') break;
            out[w++] = (uint8_t)(0xC0 | (c >> 6));
            out[w++] = (uint8_t)(0x80 | (c & 0x3F));
            i++;
            continue;
        }
#endif
        /* the last bytes (all of them without SSE2), one at a time */
        for (uint8_t c; i < n && (c = s[i]) != '\\'; i++) {
            if (c < 0x80) {
                out[w++] = c;
            } else {
                out[w++] = (uint8_t)(0xC0 | (c >> 6));
                out[w++] = (uint8_t)(0x80 | (c & 0x3F));
            }
        }
        break;
    }
    *o = w;
    return i;
}

bool jlp__raw_unicode_escape(const uint8_t *s, size_t n, uint8_t *out, size_t *out_len,
                             const char **why) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            i += escape_free_run(s + i, n - i, out, &o);
            if (i == n) break;
        }
        /* the common escape: one backslash, 'u' and four hex digits (protocol 0 writes
         * every code point above U+00FF so) */
        if (n - i >= 6 && s[i + 1] == 'u') {
            unsigned h0 = hex_plus1[s[i + 2]], h1 = hex_plus1[s[i + 3]], h2 = hex_plus1[s[i + 4]],
                     h3 = hex_plus1[s[i + 5]];
            if (h0 && h1 && h2 && h3) {
                o += jlp__utf8_put(out + o, (h0 - 1) << 12 | (h1 - 1) << 8 | (h2 - 1) << 4 | (h3 - 1));
                i += 6;
                continue;
            }
        }
        /* A run of backslashes: \u or \U is an escape only after an odd number of them;
         * the others stand for themselves. */
        size_t run = 0;
        while (i + run < n && s[i + run] == '\\') run++;
        bool escape = (run & 1) && i + run < n && (s[i + run] == 'u' || s[i + run] == 'U');
        size_t literal = escape ? run - 1 : run;
        for (size_t k = 0; k < literal; k++) out[o++] = '\\';
        i += run;
        if (!escape) continue;
        int count = s[i] == 'u' ? 4 : 8;
        i++;
        uint32_t cp = 0;
        for (int k = 0; k < count; k++, i++) {
            int h = i < n ? hexval(s[i]) : -1;
            if (h < 0) {
                *why = count == 4 ? "truncated \\uXXXX escape" : "truncated \\UXXXXXXXX escape";
                return false;
            }
            cp = (cp << 4) | (uint32_t)h;
        }
        if (cp > 0x10FFFF) { *why = "\\Uxxxxxxxx out of range"; return false; }
        o += jlp__utf8_put(out + o, cp);
    }
    *out_len = o;
    return true;
}
