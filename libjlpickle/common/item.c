/* item.c - numpy item bytes to C values (see item.h). */
#include "item.h"

#include <math.h>

uint64_t jlp__load_uint(const uint8_t *p, uint64_t size, char bo) {
    uint64_t v = 0;
    bool little = bo == '<' || (bo == '|' && jlp__host_little());
    for (uint64_t i = 0; i < size; i++) {
        uint8_t b = little ? p[size - 1 - i] : p[i];
        v = (v << 8) | b;
    }
    return v;
}

double jlp__half_to_double(uint16_t h) {
    int exp = (h >> 10) & 0x1F;
    double mant = h & 0x3FF;
    double v = exp == 0 ? ldexp(mant, -24) : exp == 31 ? (mant ? NAN : INFINITY) : ldexp(mant + 1024, exp - 25);
    return (h & 0x8000) ? -v : v;
}

/* The x87 conversion, one rounding to nearest even. The mantissa has an explicit
 * integer bit: encodings the FPU calls invalid (integer bit clear with a non-zero
 * exponent: unnormals, pseudo-infinities, pseudo-NaNs) convert to NaN; a pseudo-denormal
 * (exponent 0, integer bit set) has the denormals' exponent. */
/* The 10 bytes of an x87 80-bit float in an item of `size` bytes (12 or 16: the value
 * first, then padding, in little-endian order; a big-endian item is all of it reversed,
 * so its value is in its last 10 bytes), least significant first. */
static void ext80_bytes(const uint8_t *p, uint64_t size, char bo, uint8_t b[10]) {
    for (int i = 0; i < 10; i++) b[i] = bo == '>' ? p[size - 1 - (uint64_t)i] : p[i];
}

/* The x87 80-bit float in the item of `size` (16 or 12) bytes at `p`, byte order `bo`, rounded to nearest
 * (ties to even) to a binary float of `bits` significant bits and largest unbiased
 * exponent `emax` (subnormals below 1 - emax), returned as a double (exact for both
 * formats used: 53 bits, 1023 and 24 bits, 127). *exact false when bits were lost or
 * the value overflowed to an infinity. */
static double ext80_round(const uint8_t *p, uint64_t size, char bo, int bits, int emax, bool *exact) {
    bool ok = true;
    uint8_t b[10];
    ext80_bytes(p, size, bo, b);
    uint64_t mant = 0;
    for (int i = 7; i >= 0; i--) mant = (mant << 8) | b[i];
    int exp = ((b[9] & 0x7F) << 8) | b[8];
    bool neg = (b[9] & 0x80) != 0;
    const uint64_t top = (uint64_t)1 << 63;
    const int emin = 1 - emax;
    double v;
    if (exp && !(mant & top)) {
        v = NAN;
    } else if (exp == 0x7FFF) {
        v = (mant << 1) ? NAN : neg ? -INFINITY : INFINITY;
    } else if (!mant) {
        v = neg ? -0.0 : 0.0;
    } else {
        /* value = mant * 2^e2, then normalized so bit 63 is set */
        int e2 = (exp ? exp : 1) - 16383 - 63;
        while (!(mant & top)) { mant <<= 1; e2--; }
        /* keep `bits` bits, fewer where the result is subnormal (unbiased exponent below emin) */
        int unbiased = e2 + 63;
        if (unbiased > emax) {
            v = neg ? -INFINITY : INFINITY;
            ok = false;
        } else {
            int shift = (64 - bits) + (unbiased < emin ? emin - unbiased : 0);
            uint64_t kept, rem, half;
            if (shift >= 65) {
                kept = 0; rem = mant; half = 1; /* below half the smallest subnormal */
            } else if (shift == 64) {
                kept = 0; rem = mant; half = top;
            } else {
                kept = mant >> shift;
                rem = mant & (((uint64_t)1 << shift) - 1);
                half = (uint64_t)1 << (shift - 1);
            }
            ok = rem == 0;
            if (shift >= 65) rem = 0; /* rounds to zero */
            if (rem > half || (rem == half && (kept & 1))) kept++;
            /* kept <= 2^bits is exact in a double and so is the scaling, but for overflow */
            v = ldexp((double)kept, e2 + shift);
            if (isinf(v) || (kept && e2 + shift + 63 - __builtin_clzll(kept) > emax)) {
                v = INFINITY;
                ok = false;
            }
            v = neg ? -v : v;
        }
    }
    if (exact) *exact = ok;
    return v;
}

double jlp__ext80_to_double(const uint8_t *p, uint64_t size, char bo, bool *exact) {
    return ext80_round(p, size, bo, 53, 1023, exact);
}

float jlp__ext80_to_float(const uint8_t *p, uint64_t size, char bo, bool *exact) {
    return (float)ext80_round(p, size, bo, 24, 127, exact);
}

bool jlp__ext80_integer(const uint8_t *p, uint64_t size, char bo, bool *neg, uint64_t *mag) {
    uint8_t b[10];
    ext80_bytes(p, size, bo, b);
    uint64_t mant = 0;
    for (int i = 7; i >= 0; i--) mant = (mant << 8) | b[i];
    int exp = ((b[9] & 0x7F) << 8) | b[8];
    *neg = (b[9] & 0x80) != 0;
    *mag = 0;
    if (!mant) return exp == 0; /* zero (an unnormal zero with an exponent: numpy's NaN) */
    if (exp == 0x7FFF || (exp && !(mant >> 63)) || !exp) return false; /* inf, NaN, denormal */
    int e2 = exp - 16383 - 63; /* value = mant * 2^e2, mant >= 2^63 */
    if (e2 > 0) return false;  /* 2^64 or more */
    if (e2 == 0) {
        *mag = mant;
        return true;
    }
    if (e2 <= -64) return false; /* below 1: a fraction */
    if (mant & (((uint64_t)1 << -e2) - 1)) return false;
    *mag = mant >> -e2;
    return true;
}

double jlp__load_float(const uint8_t *p, uint64_t size, char bo, bool *exact) {
    if (exact) *exact = true;
    uint64_t bits = size <= 8 ? jlp__load_uint(p, size, bo) : 0;
    if (size == 2) return jlp__half_to_double((uint16_t)bits);
    if (size == 4) {
        float f;
        uint32_t b32 = (uint32_t)bits;
        memcpy(&f, &b32, 4);
        return (double)f;
    }
    if (size == 8) {
        double d;
        memcpy(&d, &bits, 8);
        return d;
    }
    return jlp__ext80_to_double(p, size, bo, exact);
}
