/* bigint.c - two's complement byte strings <-> int64, decimal and hex text. */
#include "bigint.h"

#include <stdio.h>
#include <string.h>

size_t jlp__bigint_minlen(const uint8_t *b, size_t n) {
    while (n > 1) {
        uint8_t top = b[n - 1], next = b[n - 2];
        if ((top == 0x00 && !(next & 0x80)) || (top == 0xFF && (next & 0x80))) n--;
        else break;
    }
    if (n == 1 && b[0] == 0) return 0;
    return n;
}

bool jlp__bigint_to_i64(const uint8_t *b, size_t n, int64_t *out) {
    n = jlp__bigint_minlen(b, n);
    if (n > 8) return false;
    if (n == 0) { *out = 0; return true; }
    uint64_t v = (b[n - 1] & 0x80) ? ~(uint64_t)0 : 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | b[i];
    *out = (int64_t)v;
    return true;
}

/* Negate a little-endian two's complement byte string in place. */
static void negate(uint8_t *b, size_t n) {
    unsigned carry = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned x = (uint8_t)~b[i] + carry;
        b[i] = (uint8_t)x;
        carry = x >> 8;
    }
}

/* The value of the n (<= 19) decimal digits at d: 8 at a time by the SWAR steps of
 * Lemire's parse_eight_digits (pairs, then quads, then the eight, in one word). */
static uint64_t decimal_chunk(const char *d, size_t n) {
    uint64_t v = 0;
    size_t k = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; n - k >= 8; k += 8) {
        uint64_t w;
        memcpy(&w, d + k, 8);
        w -= 0x3030303030303030ull;
        w = w * 10 + (w >> 8);
        w = ((w & 0x000000FF000000FFull) * (100 + (1000000ull << 32)) +
             ((w >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32))) >> 32;
        v = v * 100000000u + w;
    }
#endif
    for (; k < n; k++) v = v * 10 + (uint64_t)(d[k] - '0');
    return v;
}

size_t jlp__bigint_from_decimal(const char *digits, size_t ndigits, bool neg, uint8_t *out,
                                const jlp_alc *alc, bool *nomem) {
    /* Magnitude in base 2^64 limbs, built 19 decimal digits (the most below 2^64) at a
     * time: limbs = limbs * 10^19 + chunk. ndigits * log2(10) bits need at most
     * ndigits/19*64/64+1 limbs; ndigits/16+2 leaves room. Numbers of up to 304 digits
     * (most) use the stack. */
    static const uint64_t pow10[20] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
                                       100000000u, 1000000000u, 10000000000u, 100000000000u,
                                       1000000000000u, 10000000000000u, 100000000000000u,
                                       1000000000000000u, 10000000000000000u, 100000000000000000u,
                                       1000000000000000000u, 10000000000000000000u};
    uint64_t on_stack[21];
    size_t cap = ndigits / 16 + 2, nl = 0;
    uint64_t *limb = on_stack;
    if (cap > sizeof on_stack / sizeof on_stack[0]) {
        limb = jlp__malloc(alc, cap * sizeof *limb);
        if (!limb) { *nomem = true; return 0; }
    }
    size_t i = 0;
    size_t first = ndigits % 19 ? ndigits % 19 : 19;
    while (i < ndigits) {
        size_t take = i == 0 ? first : 19;
        uint64_t mul = pow10[take], carry = decimal_chunk(digits + i, take);
        i += take;
        for (size_t k = 0; k < nl; k++) {
            unsigned __int128 x = (unsigned __int128)limb[k] * mul + carry;
            limb[k] = (uint64_t)x;
            carry = (uint64_t)(x >> 64);
        }
        if (carry) limb[nl++] = carry;
    }
    /* Limbs to bytes (the top limb's up to its highest nonzero one: `out` is sized for
     * the digits, not for whole limbs), plus one zero byte so the sign bit is clear
     * before negation. */
    size_t nb = 0;
    for (size_t k = 0; k < nl; k++) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (k + 1 < nl) {
            memcpy(out + nb, &limb[k], 8);
            nb += 8;
            continue;
        }
#endif
        for (uint64_t v = limb[k], s = 0; s < 8 && (k + 1 < nl || v >> (8 * s)); s++)
            out[nb++] = (uint8_t)(v >> (8 * s));
    }
    out[nb++] = 0;
    if (limb != on_stack) jlp__free(alc, limb, cap * sizeof *limb);
    if (neg) negate(out, nb);
    return jlp__bigint_minlen(out, nb);
}

size_t jlp__bigint_from_pow2(const char *digits, size_t ndigits, unsigned bits, bool neg, uint8_t *out) {
    size_t nb = (ndigits * bits + 7) / 8 + 1; /* + a zero byte: the sign bit clear */
    memset(out, 0, nb);
    size_t at = 0; /* bit position */
    for (size_t i = ndigits; i-- > 0; at += bits) {
        char c = digits[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : (unsigned)(c - 'A' + 10);
        for (unsigned k = 0; k < bits; k++)
            if (d >> k & 1u) out[(at + k) / 8] |= (uint8_t)(1u << ((at + k) % 8));
    }
    if (neg) negate(out, nb);
    return jlp__bigint_minlen(out, nb);
}

/* Magnitude of b[0..n) as base 2^32 limbs (caller frees). */
static uint32_t *magnitude(const jlp_alc *alc, const uint8_t *b, size_t n, bool *neg,
                           size_t *nl_out, size_t *cap_out) {
    *neg = n && (b[n - 1] & 0x80);
    size_t cap = (n + 3) / 4 + 1;
    uint32_t *limb = jlp__malloc(alc, cap * sizeof *limb);
    if (!limb) return NULL;
    memset(limb, 0, cap * sizeof *limb);
    memcpy(limb, b, n); /* little-endian host assumed for limbs: fixed up below */
    uint8_t *m = (uint8_t *)limb;
    if (*neg) negate(m, n);
    size_t nl = (n + 3) / 4;
    for (size_t k = 0; k < nl; k++) limb[k] = jlp__le32(m + 4 * k);
    while (nl && limb[nl - 1] == 0) nl--;
    *nl_out = nl;
    *cap_out = cap;
    return limb;
}

bool jlp__bigint_decimal(const uint8_t *b, size_t n, size_t max_digits, jlp__buf *buf) {
    /* Each byte adds at least 2.408 decimal digits beyond the first few, so a number with
     * more than max_digits/2.408 + 2 bytes certainly has too many digits. */
    if (n > max_digits * 1000 / 2408 + 2) return false;
    bool neg;
    size_t nl, lcap;
    uint32_t *limb = magnitude(buf->alc, b, n, &neg, &nl, &lcap);
    if (!limb) { buf->failed = true; return true; }
    /* Repeated division by 10^9 collects base-10^9 chunks, least significant first. */
    size_t nchunks = 0, cap = nl * 2 + 2;
    uint32_t *chunk = jlp__malloc(buf->alc, cap * sizeof *chunk);
    if (!chunk) { jlp__free(buf->alc, limb, lcap * sizeof *limb); buf->failed = true; return true; }
    while (nl) {
        uint64_t rem = 0;
        for (size_t k = nl; k-- > 0;) {
            uint64_t cur = (rem << 32) | limb[k];
            limb[k] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        chunk[nchunks++] = (uint32_t)rem;
        while (nl && limb[nl - 1] == 0) nl--;
    }
    char head[16];
    int hl = snprintf(head, sizeof head, "%u", nchunks ? chunk[nchunks - 1] : 0u);
    size_t digits = (size_t)hl + (nchunks ? (nchunks - 1) * 9 : 0);
    bool ok = digits <= max_digits;
    if (ok) {
        if (neg) jlp__buf_putc(buf, '-');
        jlp__buf_put(buf, head, (size_t)hl);
        for (size_t k = nchunks ? nchunks - 1 : 0; k-- > 0;) jlp__buf_printf(buf, "%09u", chunk[k]);
    }
    jlp__free(buf->alc, chunk, cap * sizeof *chunk);
    jlp__free(buf->alc, limb, lcap * sizeof *limb);
    return ok;
}

void jlp__bigint_hex(const uint8_t *b, size_t n, jlp__buf *buf) {
    static const char hexd[] = "0123456789abcdef";
    bool neg = n && (b[n - 1] & 0x80);
    uint8_t *m = jlp__malloc(buf->alc, n ? n : 1);
    if (!m) { buf->failed = true; return; }
    memcpy(m, b, n);
    if (neg) negate(m, n);
    size_t top = n;
    while (top && m[top - 1] == 0) top--;
    jlp__buf_puts(buf, neg ? "-0x" : "0x");
    if (!top) jlp__buf_putc(buf, '0');
    for (size_t i = top; i-- > 0;) {
        if (i != top - 1 || (m[i] >> 4)) jlp__buf_putc(buf, hexd[m[i] >> 4]);
        jlp__buf_putc(buf, hexd[m[i] & 15]);
    }
    jlp__free(buf->alc, m, n ? n : 1);
}

size_t jlp_bigint_repr(const uint8_t *bytes, size_t len, char *out, size_t cap) {
    if ((!bytes && len) || len > SIZE_MAX / 4) return 0;
    static const uint8_t zero = 0;
    if (!len) { /* no bytes is 0 */
        bytes = &zero;
        len = 1;
    }
    jlp__buf b;
    jlp__buf_init(&b, jlp__alc_malloc());
    /* every byte adds fewer than 2.41 digits: the bound never refuses */
    bool ok = jlp__bigint_decimal(bytes, len, len * 3 + 2, &b);
    size_t n = ok && !b.failed ? b.len : 0;
    if (n && out && cap > n) {
        memcpy(out, b.data, n);
        out[n] = 0;
    }
    jlp__buf_release(&b);
    return n;
}
