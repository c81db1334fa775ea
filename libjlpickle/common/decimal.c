/* decimal.c - the decimal digits of an unsigned integer, without snprintf. */
#include "decimal.h"

size_t jlp__u64_decimal(uint64_t v, char *out) {
    /* Two digits per division, from a table of the hundred pairs, written from the end. */
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    size_t n = 1;
    for (uint64_t p = 10; n < 20 && v >= p; p *= 10) n++;
    char *o = out + n;
    while (v >= 100) {
        size_t r = (size_t)(v % 100) * 2;
        v /= 100;
        *--o = pairs[r + 1];
        *--o = pairs[r];
    }
    if (v >= 10) {
        *--o = pairs[v * 2 + 1];
        *--o = pairs[v * 2];
    } else {
        *--o = (char)('0' + v);
    }
    return n;
}
