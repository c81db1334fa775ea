/* json_num.c - Python's float repr in C. */
#include "json_num.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

size_t jlp__float_repr(double d, char *out) {
    /* Shortest round-trip digits: try precisions 1..17 in %e form. */
    char buf[40];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    if (prec == 17) snprintf(buf, sizeof buf, "%.16e", d);
    /* buf = [-]D[.DDD]e[+-]XX : collect digits and exponent */
    const char *p = buf;
    bool neg = false;
    if (*p == '-') { neg = true; p++; }
    char digits[24];
    size_t nd = 0;
    while (*p && *p != 'e') {
        if (*p >= '0' && *p <= '9') digits[nd++] = *p;
        p++;
    }
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    int decpt = exp10 + 1; /* value = 0.DIGITS * 10^decpt */
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (digits[0] == '0' && nd == 1) { /* zero */
        memcpy(out + o, "0.0", 3);
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
