/* elem.c - numeric values read exactly and written with exactness checks (see elem.h). */
#include "elem.h"

#include "../common/item.h"

#include <float.h>
#include <math.h>

bool jlp__num_dtype(const jlp__dtype_info *d) {
    if (d->structured || d->sub_base) return false;
    if (d->bfloat16) return true; /* PyTorch's: a float, whatever its numpy kind says */
    switch (d->kind) {
    case 'b': return d->itemsize == 1;
    case 'i': case 'u': return d->itemsize == 1 || d->itemsize == 2 || d->itemsize == 4 || d->itemsize == 8;
    case 'M': case 'm': return d->itemsize == 8;
    case 'f': return d->itemsize == 2 || d->itemsize == 4 || d->itemsize == 8 || d->itemsize == 12 || d->itemsize == 16;
    case 'c': return d->itemsize == 8 || d->itemsize == 16 || d->itemsize == 24 || d->itemsize == 32;
    default: return false;
    }
}

/* A signed integer of `size` bytes from its unsigned bit pattern. */
static int64_t sign_extend(uint64_t u, uint64_t size) {
    if (size >= 8) return (int64_t)u;
    uint64_t sign = (uint64_t)1 << (8 * size - 1);
    return (int64_t)(u ^ sign) - (int64_t)sign;
}

void jlp__num_read(const jlp__dtype_info *d, const uint8_t *p, jlp__num *out) {
    memset(out, 0, sizeof *out);
    char bo = d->byteorder;
    bool exact = true, exact2 = true;
    if (d->bfloat16) { /* the upper half of a float32: every value converts exactly */
        uint32_t b32 = (uint32_t)jlp__load_uint(p, 2, bo) << 16;
        float f;
        memcpy(&f, &b32, sizeof f);
        out->kind = JLP__V_FLOAT;
        out->f = f;
        return;
    }
    switch (d->kind) {
    case 'b':
        out->kind = JLP__V_BOOL;
        out->i = p[0] != 0;
        break;
    case 'i': case 'M': case 'm':
        out->kind = JLP__V_INT;
        out->i = sign_extend(jlp__load_uint(p, d->itemsize, bo), d->itemsize);
        out->datetime = d->kind != 'i';
        break;
    case 'u':
        out->u = jlp__load_uint(p, d->itemsize, bo);
        if (out->u <= INT64_MAX) {
            out->kind = JLP__V_INT;
            out->i = (int64_t)out->u;
        } else {
            out->kind = JLP__V_UINT;
        }
        break;
    case 'f':
        out->kind = JLP__V_FLOAT;
        out->f = jlp__load_float(p, d->itemsize, bo, &exact);
        out->inexact = !exact;
        if (d->itemsize > 8) {
            out->ext = p;
            out->ext_bo = bo;
            out->ext_size = (uint8_t)d->itemsize;
        }
        break;
    default: /* 'c': two floats of half the size each */
        out->kind = JLP__V_COMPLEX;
        out->f = jlp__load_float(p, d->itemsize / 2, bo, &exact);
        out->g = jlp__load_float(p + d->itemsize / 2, d->itemsize / 2, bo, &exact2);
        out->inexact = !exact || !exact2;
        if (d->itemsize > 16) {
            out->ext = p;
            out->ext_g = p + d->itemsize / 2;
            out->ext_bo = bo;
            out->ext_size = (uint8_t)(d->itemsize / 2);
        }
        break;
    }
}

jlp_code jlp__num_python(const jlp_val *v, jlp__num *out) {
    memset(out, 0, sizeof *out);
    switch (v ? (jlp_type)v->type : JLP_INVALID) {
    case JLP_BOOL:
        out->kind = JLP__V_BOOL;
        out->i = v->u.i != 0;
        return JLP_OK;
    case JLP_INT:
        out->kind = JLP__V_INT;
        out->i = v->u.i;
        return JLP_OK;
    case JLP_BIGINT: {
        /* two's complement, little-endian, minimal: beyond int64, so either an unsigned
         * value below 2^64 (9 bytes, the last 0) or out of every 64-bit range */
        const uint8_t *b = (const uint8_t *)v->u.s.p;
        size_t n = v->u.s.n;
        bool neg = n && (b[n - 1] & 0x80);
        if (!neg && (n <= 8 || (n == 9 && b[8] == 0))) {
            out->kind = JLP__V_UINT;
            for (size_t i = 0; i < 8 && i < n; i++) out->u |= (uint64_t)b[i] << (8 * i);
            return JLP_OK;
        }
        out->i = neg ? -1 : 1;
        return JLP_E_RANGE;
    }
    case JLP_FLOAT:
        out->kind = JLP__V_FLOAT;
        out->f = v->u.f;
        return JLP_OK;
    case JLP_COMPLEX:
        out->kind = JLP__V_COMPLEX;
        out->f = v->u.c.re;
        out->g = v->u.c.im;
        return JLP_OK;
    default:
        return JLP_E_BAD_TYPE;
    }
}

size_t jlp__elem_size(jlp_elem t) {
    switch (t) {
    case JLP_B8: case JLP_I8: case JLP_U8: return 1;
    case JLP_I16: case JLP_U16: return 2;
    case JLP_I32: case JLP_U32: case JLP_F32: return 4;
    case JLP_I64: case JLP_U64: case JLP_F64: case JLP_C64: return 8;
    case JLP_C128: return 16;
    default: return 0;
    }
}

bool jlp__num_fits_type(jlp__vkind k, bool datetime, jlp_elem t) {
    if (!jlp__elem_size(t)) return false;
    if (datetime) return t == JLP_I64;
    switch (k) {
    case JLP__V_BOOL: case JLP__V_INT: case JLP__V_UINT: return true;
    case JLP__V_FLOAT: return t != JLP_B8;
    default: return t == JLP_C64 || t == JLP_C128;
    }
}

/* The value as a double: *exact when nothing was lost on the way. */
static double as_double(const jlp__num *v, bool *exact) {
    *exact = true;
    switch (v->kind) {
    case JLP__V_BOOL: case JLP__V_INT: {
        double d = (double)v->i;
        *exact = d != 9223372036854775808.0 && (int64_t)d == v->i;
        return d;
    }
    case JLP__V_UINT: {
        double d = (double)v->u;
        *exact = d != 18446744073709551616.0 && (uint64_t)d == v->u;
        return d;
    }
    default:
        *exact = !v->inexact;
        return v->f;
    }
}

/* An int or bool as a float, rounded once to nearest as numpy's astype does (through
 * a double it would round twice: 2^60 + 2^36 + 1 is 2^60 + 2^37 as a float, but 2^60
 * by way of the double 2^60 + 2^36). false when bits are lost unless `round`. */
static bool int_to_float(const jlp__num *v, bool round, float *out) {
    bool neg = v->kind != JLP__V_UINT && v->i < 0;
    uint64_t m = v->kind == JLP__V_UINT ? v->u : neg ? 0 - (uint64_t)v->i : (uint64_t)v->i;
    /* in integers rather than by the compiler's conversion, which some targets and
     * emulators (valgrind) do by way of a double */
    int shift = m >> 24 ? 40 - __builtin_clzll(m) : 0; /* the bits below the float's 24 */
    uint64_t kept = m >> shift, rem = shift ? m & (((uint64_t)1 << shift) - 1) : 0;
    if (rem && !round) return false;
    if (shift && (rem > (uint64_t)1 << (shift - 1) || (rem == (uint64_t)1 << (shift - 1) && (kept & 1)))) kept++;
    float f = ldexpf((float)kept, shift); /* kept <= 2^24: exact, and so is the scaling */
    *out = neg ? -f : f;
    return true;
}

/* A longdouble part as a float, rounded once: false on overflow or, unless `round`, when
 * bits are lost. */
static bool ext_to_float(const uint8_t *p, uint64_t size, char bo, bool round, float *out) {
    bool exact;
    float f = jlp__ext80_to_float(p, size, bo, &exact);
    if (!exact && (!round || isinf(f))) return false;
    *out = f;
    return true;
}

/* A double as a float: false when it does not fit (overflow) or, unless `round`, loses
 * bits. NaN and infinities convert. */
static bool to_float(double d, bool round, float *out) {
    if (isnan(d) || isinf(d)) {
        *out = (float)d;
        return true;
    }
    float f = (float)d;
    if (isinf(f)) return false; /* rounds beyond the largest float: an overflow, not a rounding */
    if (!round && (double)f != d) return false;
    *out = f;
    return true;
}

/* An integral value in [lo, hi] (hi < 2^63) as int64: from ints, or floats without a
 * fraction. */
static bool to_int(const jlp__num *v, int64_t lo, int64_t hi, int64_t *out) {
    switch (v->kind) {
    case JLP__V_BOOL: case JLP__V_INT:
        if (v->i < lo || v->i > hi) return false;
        *out = v->i;
        return true;
    case JLP__V_UINT:
        return false; /* above INT64_MAX */
    case JLP__V_FLOAT:
        if (v->inexact && v->ext) { /* a longdouble integer beyond 53 bits may still fit */
            bool neg;
            uint64_t mag;
            if (!jlp__ext80_integer(v->ext, v->ext_size, v->ext_bo, &neg, &mag)) return false;
            if (neg && mag) {
                if (mag - 1 > (uint64_t)-(lo + 1)) return false;
                *out = -(int64_t)(mag - 1) - 1;
            } else {
                if (mag > (uint64_t)hi) return false;
                *out = (int64_t)mag;
            }
            return true;
        }
        if (v->inexact || !(v->f >= (double)lo) || !(v->f <= (double)hi) || v->f != trunc(v->f)) return false;
        /* (double)hi may round up to 2^63: that value itself is out of range */
        if (hi == INT64_MAX && v->f >= 9223372036854775808.0) return false;
        *out = (int64_t)v->f;
        return true;
    default:
        return false;
    }
}

/* An integral value in [0, hi] as uint64. */
static bool to_uint(const jlp__num *v, uint64_t hi, uint64_t *out) {
    switch (v->kind) {
    case JLP__V_BOOL: case JLP__V_INT:
        if (v->i < 0 || (uint64_t)v->i > hi) return false;
        *out = (uint64_t)v->i;
        return true;
    case JLP__V_UINT:
        if (v->u > hi) return false;
        *out = v->u;
        return true;
    case JLP__V_FLOAT:
        if (v->inexact && v->ext) { /* a longdouble integer beyond 53 bits may still fit */
            bool neg;
            uint64_t mag;
            if (!jlp__ext80_integer(v->ext, v->ext_size, v->ext_bo, &neg, &mag) || (neg && mag) || mag > hi) return false;
            *out = mag;
            return true;
        }
        if (v->inexact || !(v->f >= 0) || !(v->f < 18446744073709551616.0) || v->f != trunc(v->f) ||
            (uint64_t)v->f > hi)
            return false;
        *out = (uint64_t)v->f;
        return true;
    default:
        return false;
    }
}

bool jlp__num_write(const jlp__num *v, jlp_elem t, bool round, void *dst) {
    int64_t i;
    uint64_t u;
    bool exact;
    switch (t) {
    case JLP_B8:
        if (!to_uint(v, 1, &u) || v->kind == JLP__V_FLOAT) return false;
        *(uint8_t *)dst = (uint8_t)u;
        return true;
    case JLP_I8:
        if (!to_int(v, INT8_MIN, INT8_MAX, &i)) return false;
        *(int8_t *)dst = (int8_t)i;
        return true;
    case JLP_I16:
        if (!to_int(v, INT16_MIN, INT16_MAX, &i)) return false;
        *(int16_t *)dst = (int16_t)i;
        return true;
    case JLP_I32:
        if (!to_int(v, INT32_MIN, INT32_MAX, &i)) return false;
        *(int32_t *)dst = (int32_t)i;
        return true;
    case JLP_I64:
        if (!to_int(v, INT64_MIN, INT64_MAX, &i)) return false;
        *(int64_t *)dst = i;
        return true;
    case JLP_U8:
        if (!to_uint(v, UINT8_MAX, &u)) return false;
        *(uint8_t *)dst = (uint8_t)u;
        return true;
    case JLP_U16:
        if (!to_uint(v, UINT16_MAX, &u)) return false;
        *(uint16_t *)dst = (uint16_t)u;
        return true;
    case JLP_U32:
        if (!to_uint(v, UINT32_MAX, &u)) return false;
        *(uint32_t *)dst = (uint32_t)u;
        return true;
    case JLP_U64:
        if (!to_uint(v, UINT64_MAX, &u)) return false;
        *(uint64_t *)dst = u;
        return true;
    case JLP_F32: {
        if (v->kind == JLP__V_COMPLEX) return false;
        float f;
        if (v->kind != JLP__V_FLOAT) {
            if (!int_to_float(v, round, &f)) return false;
            memcpy(dst, &f, sizeof f);
            return true;
        }
        if (v->ext) {
            if (!ext_to_float(v->ext, v->ext_size, v->ext_bo, round, &f)) return false;
            memcpy(dst, &f, sizeof f);
            return true;
        }
        double d = as_double(v, &exact);
        if ((!exact && !round) || !to_float(d, round, &f)) return false;
        memcpy(dst, &f, sizeof f);
        return true;
    }
    case JLP_F64: {
        if (v->kind == JLP__V_COMPLEX) return false;
        double d = as_double(v, &exact);
        if (!exact && !round) return false;
        memcpy(dst, &d, sizeof d);
        return true;
    }
    case JLP_C64: case JLP_C128: {
        double re = as_double(v, &exact), im = v->kind == JLP__V_COMPLEX ? v->g : 0.0;
        if (t == JLP_C64 && v->ext) { /* each part rounded once from the longdouble */
            float c[2] = {0.0f, 0.0f};
            if (!ext_to_float(v->ext, v->ext_size, v->ext_bo, round, &c[0]) ||
                (v->ext_g && !ext_to_float(v->ext_g, v->ext_size, v->ext_bo, round, &c[1])))
                return false;
            memcpy(dst, c, sizeof c);
            return true;
        }
        if (!exact && !round) return false;
        if (t == JLP_C128) {
            double c[2] = {re, im};
            memcpy(dst, c, sizeof c);
            return true;
        }
        float c[2];
        if (v->kind != JLP__V_FLOAT && v->kind != JLP__V_COMPLEX) {
            if (!int_to_float(v, round, &c[0])) return false;
            c[1] = 0.0f;
        } else if (!to_float(re, round, &c[0]) || !to_float(im, round, &c[1])) {
            return false;
        }
        memcpy(dst, c, sizeof c);
        return true;
    }
    default:
        return false;
    }
}
