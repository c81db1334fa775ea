/* float_repr.c - Python's float repr in C: the shortest digits that read back to the
 * double, found with Schubfach (R. Giulietti, "The Schubfach way to render doubles",
 * 2020), then laid out as repr() lays them out. */
#include "float_repr.h"

#include "common.h"
#include "decimal.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pow10_gen.h"

#define SIGNIFICAND_BITS 52
#define C_MIN (UINT64_C(1) << SIGNIFICAND_BITS) /* the least significand of a normal double */
#define Q_MIN (-1074)                            /* the exponent of subnormals */
#define MASK63 ((UINT64_C(1) << 63) - 1)

/* x >> s rounding toward minus infinity, also for negative x (whose >> C leaves to the
 * implementation). */
static int64_t floor_shift(int64_t x, int s) {
    return x >= 0 ? x >> s : -((-x - 1) >> s) - 1;
}

/* floor(e * log10(2)), floor(log10(3/4 * 2^e)) and floor(e * log2(10)): fixed-point
 * products, exact for |e| <= 1100 (checked against exact rationals), more than doubles
 * need. */
static int floor_log10_pow2(int e) { return (int)floor_shift((int64_t)e * 661971961083, 41); }
static int floor_log10_three_quarters_pow2(int e) {
    return (int)floor_shift((int64_t)e * 661971961083 - 274743187321, 41);
}
static int floor_log2_pow10(int e) { return (int)floor_shift((int64_t)e * 913124641741, 38); }

/* The high 64 bits of the 128-bit product a * b. */
static uint64_t mul_high(uint64_t a, uint64_t b) {
#ifdef __SIZEOF_INT128__
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
#else
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

/* floor(g * cp / 2^127) with its last bit set when the quotient is inexact ("round to
 * odd"), g the 126-bit {high 63 bits, low 63 bits}: exact enough to compare the scaled
 * interval ends with candidate decimals (the paper's section 9). */
static uint64_t scale_round_odd(const uint64_t g[2], uint64_t cp) {
    uint64_t x1 = mul_high(g[1], cp);
    uint64_t y0 = g[0] * cp; /* the low 64 bits, wrapping on purpose */
    uint64_t y1 = mul_high(g[0], cp);
    uint64_t z = (y0 >> 1) + x1;
    return (y1 + (z >> 63)) | (((z & MASK63) + MASK63) >> 63);
}

/* The shortest decimal f * 10^e that reads back (round-half-even) to c * 2^q, c > 0;
 * among the shortest, the nearest, ties to an even last digit: what Python's repr()
 * (David Gay's dtoa mode 0) picks. */
static void shortest_decimal(uint64_t c, int q, uint64_t *f, int *e) {
    /* Integers below 2^53 are their own shortest digits: the rounding interval is
     * narrower than 1, so no other integer (and no shorter decimal) is in it. */
    if (q < 0 && q > -SIGNIFICAND_BITS - 1 && (c >> -q) << -q == c) {
        *f = c >> -q;
        *e = 0;
        return;
    }
    /* Work in quarter units: the interval of reals that round to c * 2^q is
     * [cbl, cbr] * 2^(q-2), closed when c is even; a power of two has a narrower lower
     * half, since the double below is closer. */
    unsigned odd = (unsigned)(c & 1);
    uint64_t cb = c << 2, cbr = cb + 2, cbl;
    int k;
    if (c != C_MIN || q == Q_MIN) {
        cbl = cb - 2;
        k = floor_log10_pow2(q);
    } else {
        cbl = cb - 1;
        k = floor_log10_three_quarters_pow2(q);
    }
    /* 10^k <= the interval's width < 10^(k+1): the interval holds at most one multiple
     * of 10^(k+1) and at least one of 10^k. vb, vbl, vbr: the value and the ends,
     * divided by 10^k, still in quarter units. */
    int h = q + floor_log2_pow10(-k) + 2;
    const uint64_t *g = pow10_g[k - POW10_K_MIN];
    uint64_t vb = scale_round_odd(g, cb << h);
    uint64_t vbl = scale_round_odd(g, cbl << h) + odd;
    uint64_t vbr = scale_round_odd(g, cbr << h) - odd;
    uint64_t s = vb >> 2;
    /* One digit fewer: a multiple of ten next to s, if one is inside. */
    uint64_t sp10 = s / 10 * 10, tp10 = sp10 + 10;
    bool sp10_in = vbl <= sp10 << 2, tp10_in = tp10 << 2 <= vbr;
    if (sp10_in != tp10_in) {
        *f = sp10_in ? sp10 : tp10;
        *e = k;
        return;
    }
    /* Else s or s + 1, the one inside, or if both are the nearer, ties to even. */
    uint64_t t = s + 1;
    bool s_in = vbl <= s << 2, t_in = t << 2 <= vbr;
    if (s_in != t_in) {
        *f = s_in ? s : t;
    } else {
        int64_t cmp = (int64_t)(vb - ((s + t) << 1));
        *f = cmp < 0 || (cmp == 0 && (s & 1) == 0) ? s : t;
    }
    *e = k;
}

size_t jlp__float_repr(double d, char *out) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    bool neg = bits >> 63;
    uint64_t fraction = bits & (C_MIN - 1);
    int biased = (int)(bits >> SIGNIFICAND_BITS) & 0x7ff;
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (biased == 0 && fraction == 0) {
        memcpy(out + o, "0.0", 4);
        return o + 3;
    }
    uint64_t c = biased ? fraction | C_MIN : fraction;
    int q = biased ? biased - 1075 : Q_MIN;
    uint64_t f;
    int e;
    shortest_decimal(c, q, &f, &e);
    while (f % 10 == 0) { /* f > 0 */
        f /= 10;
        e++;
    }
    char digits[20];
    size_t nd = jlp__u64_decimal(f, digits);
    int decpt = e + (int)nd; /* value = 0.DIGITS * 10^decpt */
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -decpt; i++) out[o++] = '0';
            memcpy(out + o, digits, nd);
            o += nd;
        } else if ((size_t)decpt < nd) {
            memcpy(out + o, digits, (size_t)decpt);
            o += (size_t)decpt;
            out[o++] = '.';
            memcpy(out + o, digits + decpt, nd - (size_t)decpt);
            o += nd - (size_t)decpt;
        } else {
            memcpy(out + o, digits, nd);
            o += nd;
            for (size_t i = nd; i < (size_t)decpt; i++) out[o++] = '0';
            out[o++] = '.';
            out[o++] = '0';
        }
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, nd - 1);
            o += nd - 1;
        }
        /* Python's exponent: a sign, and at least two digits ('e-05', 'e+16', 'e-308'). */
        int x = decpt - 1;
        unsigned ax = (unsigned)(x < 0 ? -x : x);
        out[o++] = 'e';
        out[o++] = x < 0 ? '-' : '+';
        if (ax >= 100) out[o++] = (char)('0' + ax / 100);
        out[o++] = (char)('0' + ax / 10 % 10);
        out[o++] = (char)('0' + ax % 10);
    }
    out[o] = 0;
    return o;
}

size_t jlp_float_repr(double d, char *out, size_t cap) {
    if (!out || cap < JLP_FLOAT_REPR_MAX) return 0;
    const char *special = isnan(d) ? "nan" : isinf(d) ? (d > 0 ? "inf" : "-inf") : NULL;
    if (!special) return jlp__float_repr(d, out);
    size_t n = strlen(special);
    memcpy(out, special, n + 1);
    return n;
}
