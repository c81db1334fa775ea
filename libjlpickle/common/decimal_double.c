/* decimal_double.c - decimal text to double: Clinger's exact fast path, then the
 * Eisel-Lemire algorithm over 128-bit powers of ten, then strtod for what they leave. */
#include "decimal_double.h"

#include <float.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pow10_table.h"

/* The powers of ten a double holds exactly. */
static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double from_bits(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* w * 10^e10 (w != 0) rounded to the nearest double, by Eisel-Lemire: a 64x128-bit
 * product of w and the power's truncated significand gives the result's 54 top bits
 * unless the product's discarded bits are too close to a rounding boundary.
 * @return false when it cannot decide, or the result is subnormal, zero or infinite
 * (those go to strtod). */
static bool eisel_lemire(uint64_t w, int64_t e10, uint64_t *bits) {
    if (e10 < JLP__POW10_MIN || e10 > JLP__POW10_MAX) return false;
    const uint64_t *pow = jlp__pow10_128[e10 - JLP__POW10_MIN];
    int lz = __builtin_clzll(w);
    w <<= lz;
    /* floor(e10 * log2(10)) + 64 + the bias: 217706 / 2^16 is log2(10) to the needed
     * precision over the table's range */
    int64_t e2 = ((217706 * e10) >> 16) + 64 + 1023 - lz;
    unsigned __int128 x = (unsigned __int128)w * pow[0];
    uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
    if ((hi & 0x1FF) == 0x1FF && lo + w < w) {
        /* the low half of the power could carry into the bits kept: take it in */
        unsigned __int128 y = (unsigned __int128)w * pow[1];
        uint64_t yhi = (uint64_t)(y >> 64), ylo = (uint64_t)y;
        uint64_t mlo = lo + yhi, mhi = hi + (mlo < lo);
        if ((mhi & 0x1FF) == 0x1FF && mlo + 1 == 0 && ylo + w < w) return false;
        hi = mhi;
        lo = mlo;
    }
    uint64_t msb = hi >> 63;
    uint64_t mant = hi >> (msb + 9);
    e2 -= (int64_t)(1 ^ msb);
    /* exactly half way between two doubles (or too close to tell) */
    if (lo == 0 && (hi & 0x1FF) == 0 && (mant & 3) == 1) return false;
    mant += mant & 1; /* round to nearest: 54 bits to 53 */
    mant >>= 1;
    if (mant >> 53) {
        mant >>= 1;
        e2++;
    }
    if (e2 <= 0 || e2 >= 0x7FF) return false;
    *bits = (uint64_t)e2 << 52 | (mant & ((UINT64_C(1) << 52) - 1));
    return true;
}

double jlp__decimal_to_double(const char *s, size_t n) {
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i == n || (s[i] != '.' && (s[i] < '0' || s[i] > '9'))) return strtod(s, NULL); /* inf, nan */
    /* the first 19 significant digits in w, scaled by 10^e10; `dropped`: a nonzero
     * digit after them */
    uint64_t w = 0;
    int64_t e10 = 0;
    int sig = 0;
    bool dropped = false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (sig < 19) {
            w = w * 10 + (uint64_t)(s[i] - '0');
            sig += w != 0;
        } else {
            e10++;
            dropped |= s[i] != '0';
        }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (sig < 19) {
                w = w * 10 + (uint64_t)(s[i] - '0');
                sig += w != 0;
                e10--;
            } else {
                dropped |= s[i] != '0';
            }
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        int64_t e = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000) e = e * 10 + (s[i] - '0'); /* far past any double's range */
        e10 += eneg ? -e : e;
    }
    if (w == 0) return neg ? -0.0 : 0.0;
    double d;
#if FLT_EVAL_METHOD == 0
    /* Clinger: w and 10^|e10| are both exact doubles, so one correctly rounded
     * multiplication or division gives the correctly rounded result */
    if (!dropped && w <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
        d = (double)w;
        d = e10 < 0 ? d / exact_pow10[-e10] : d * exact_pow10[e10];
        return neg ? -d : d;
    }
#endif
    uint64_t bits, bits_up;
    /* with digits dropped the value lies in (w, w+1) * 10^e10: decided when both ends
     * round to the same double */
    if (eisel_lemire(w, e10, &bits) && (!dropped || (eisel_lemire(w + 1, e10, &bits_up) && bits_up == bits))) {
        d = from_bits(bits);
        return neg ? -d : d;
    }
    return strtod(s, NULL);
}
