/* text.c - protocol 0 text argument decoders. */
#include "text.h"

#include <math.h>
#include <stdlib.h>

static bool is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void trim(const uint8_t **s, size_t *n) {
    while (*n && is_space((*s)[0])) { (*s)++; (*n)--; }
    while (*n && is_space((*s)[*n - 1])) (*n)--;
}

bool jlp__parse_decimal(const uint8_t *s, size_t n, jlp__dec *out) {
    trim(&s, &n);
    out->neg = false;
    if (n && (s[0] == '+' || s[0] == '-')) {
        out->neg = s[0] == '-';
        s++;
        n--;
    }
    if (!n) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    while (n && s[0] == '0') { s++; n--; }
    out->digits = (const char *)s;
    out->ndigits = n;
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

bool jlp__parse_float(const uint8_t *s, size_t n, double *out) {
    trim(&s, &n);
    if (!n || n > 4096) return false;
    const uint8_t *t = s;
    size_t tn = n;
    bool neg = false;
    if (tn && (t[0] == '+' || t[0] == '-')) { neg = t[0] == '-'; t++; tn--; }
    if (word_is(t, tn, "inf") || word_is(t, tn, "infinity")) { *out = neg ? -INFINITY : INFINITY; return true; }
    if (word_is(t, tn, "nan")) { *out = neg ? -NAN : NAN; return true; }
    /* digits [. digits] [e [sign] digits], at least one mantissa digit */
    size_t i = 0, mant = 0;
    while (i < tn && t[i] >= '0' && t[i] <= '9') { i++; mant++; }
    if (i < tn && t[i] == '.') {
        i++;
        while (i < tn && t[i] >= '0' && t[i] <= '9') { i++; mant++; }
    }
    if (!mant) return false;
    if (i < tn && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < tn && (t[i] == '+' || t[i] == '-')) i++;
        size_t ed = 0;
        while (i < tn && t[i] >= '0' && t[i] <= '9') { i++; ed++; }
        if (!ed) return false;
    }
    if (i != tn) return false;
    char tmp[4100];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL); /* locale: pickles use '.', and we run in the C locale */
    return true;
}

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

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

bool jlp__raw_unicode_escape(const uint8_t *s, size_t n, uint8_t *out, size_t *out_len,
                             const char **why) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c != '\\') {
            o += jlp__utf8_put(out + o, c);
            i++;
            continue;
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
