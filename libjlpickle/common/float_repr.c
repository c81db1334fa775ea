/* float_repr.c - Python's float repr in C. */
#include "float_repr.h"

#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

/* Parse "[-]D.DDDe[+-]XX" into digits and a decimal exponent. */
static size_t split_e(const char *buf, char *digits, int *exp10) {
    const char *p = buf;
    if (*p == '-') p++;
    size_t nd = 0;
    while (*p && *p != 'e') {
        if (*p >= '0' && *p <= '9') digits[nd++] = *p;
        p++;
    }
    *exp10 = atoi(p + 1);
    return nd;
}

/* Add `delta` (+1 or -1) to the decimal significand `digits` (nd digits), keeping nd
 * digits by moving the exponent on carry or borrow. @return false if it vanished. */
static bool step_digits(char *digits, size_t nd, int *exp10, int delta) {
    size_t i = nd;
    while (i-- > 0) {
        int v = digits[i] - '0' + delta;
        if (v >= 0 && v <= 9) { digits[i] = (char)('0' + v); return true; }
        digits[i] = delta > 0 ? '0' : '9';
    }
    if (delta > 0) { /* 999 -> 1000: one more digit, drop the last */
        memmove(digits + 1, digits, nd - 1);
        digits[0] = '1';
        (*exp10)++;
        return true;
    }
    return false;
}

static double value_of(bool neg, const char *digits, size_t nd, int exp10) {
    char tmp[64];
    size_t o = 0;
    if (neg) tmp[o++] = '-';
    tmp[o++] = digits[0];
    tmp[o++] = '.';
    memcpy(tmp + o, digits + 1, nd - 1);
    o += nd - 1;
    snprintf(tmp + o, sizeof tmp - o, "e%d", exp10);
    return strtod(tmp, NULL);
}

/* The digits of d with prec + 1 significant digits that read back to d, if any: the
 * correctly rounded candidate, then its two neighbours (the interval of decimals that
 * round to d can exclude the nearest one when it is a tie, e.g. 2**-24 ->
 * 5.960464477539063e-08). @return whether one does. */
static bool digits_at(double d, bool neg, int prec, char *digits, size_t *nd, int *exp10) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.*e", prec, d);
    *nd = split_e(buf, digits, exp10);
    double v = strtod(buf, NULL);
    if (v == d) return true;
    int first = v < d ? (neg ? -1 : 1) : (neg ? 1 : -1);
    for (int k = 0; k < 2; k++) {
        int delta = k == 0 ? first : -first;
        char cand[24];
        int e2 = *exp10;
        memcpy(cand, digits, *nd);
        if (step_digits(cand, *nd, &e2, delta) && value_of(neg, cand, *nd, e2) == d) {
            memcpy(digits, cand, *nd);
            *exp10 = e2;
            return true;
        }
    }
    return false;
}

size_t jlp__float_repr(double d, char *out) {
    /* The shortest digits that read back to d: the fewest significant digits at which
     * digits_at() finds some. Finding some at a length means finding some at every
     * greater length (the decimal found, with one more zero, lies between d and the
     * nearest decimal of the greater length or is a neighbour of it, and the decimals
     * that read back to d form an interval around it), and 17 always do: the length is
     * searched by bisection, starting at 15 digits, below which random doubles rarely go
     * (2 or 3 conversions for them, not 17). */
    char digits[24];
    int exp10 = 0;
    size_t nd = 0;
    bool neg = signbit(d) != 0;
    char got[24];
    int got_exp = 0, lo = 0, hi = 16, mid = 14;  /* the least prec that holds is in [lo, hi] */
    size_t got_nd = 0;   /* 0: none found yet; else the digits found at hi */
    while (lo < hi) {
        if (digits_at(d, neg, mid, got, &got_nd, &got_exp)) {
            hi = mid;
            memcpy(digits, got, got_nd);
            nd = got_nd;
            exp10 = got_exp;
        } else {
            lo = mid + 1;
        }
        mid = lo + (hi - lo) / 2;
    }
    if (!nd && !digits_at(d, neg, 16, digits, &nd, &exp10)) {
        char buf[40];
        snprintf(buf, sizeof buf, "%.16e", d);
        nd = split_e(buf, digits, &exp10);
    }
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    int decpt = exp10 + 1; /* value = 0.DIGITS * 10^decpt */
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (digits[0] == '0' && nd == 1) { /* zero */
        memcpy(out + o, "0.0", 4);
        return o + 3;
    }
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
        int e = decpt - 1;
        o += (size_t)snprintf(out + o, 8, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
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
