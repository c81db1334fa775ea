/*
 * test_decimal_double.c - decimal text to double (libjlpickle/common/decimal_double.c)
 * gives the correctly rounded double, as Python's float() and glibc's strtod do: chosen
 * edges with their exact bits (ties, 19- and 20-digit significands, the ends of the
 * normal and subnormal ranges), then random text against strtod: repr-like text of
 * random bit patterns, shorter roundings of them, and random digit strings heavy in 0s
 * and 9s (near ties) with exponents past the range.
 */
#include "harness.h"
#include "util.h"

#include "../../libjlpickle/common/decimal_double.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t bits_of(double d) {
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static int agrees(const char *text, uint64_t want) {
    uint64_t got = bits_of(jlp__decimal_to_double(text, strlen(text)));
    if (got == want) return 1;
    TH_FAIL("%s: 0x%016llx, expected 0x%016llx", text, (unsigned long long)got, (unsigned long long)want);
    return 0;
}

TEST(edges_have_their_exact_bits) {
    static const struct { const char *text; uint64_t bits; } cases[] = {
        {"0", 0},
        {"-0.0", 0x8000000000000000ull},
        {"0e999999", 0},
        {"1.5", 0x3FF8000000000000ull},
        {"+1.5", 0x3FF8000000000000ull},
        {".5", 0x3FE0000000000000ull},
        {"5.", 0x4014000000000000ull},
        {"0.1", 0x3FB999999999999Aull},
        {"1e23", 0x44B52D02C7E14AF6ull},
        {"9007199254740993", 0x4340000000000000ull},                  /* tie: to even, down */
        {"9007199254740995", 0x4340000000000002ull},                  /* tie: to even, up */
        {"9007199254740993.0000000000001", 0x4340000000000001ull},    /* just above the tie */
        {"1.00000000000000011102230246251565404236316680908203125", 0x3FF0000000000000ull}, /* 1 + 2^-53 */
        {"1.00000000000000011102230246251565404236316680908203126", 0x3FF0000000000001ull},
        {"18446744073709551615", 0x43F0000000000000ull},
        {"99999999999999999999", 0x4415AF1D78B58C40ull},
        {"1.7976931348623157e308", 0x7FEFFFFFFFFFFFFFull},
        {"1.7976931348623159e308", 0x7FF0000000000000ull},            /* rounds to infinity */
        {"1e309", 0x7FF0000000000000ull},
        {"2.2250738585072014e-308", 0x0010000000000000ull},           /* smallest normal */
        {"2.2250738585072011e-308", 0x000FFFFFFFFFFFFFull},           /* largest subnormal */
        {"4.9406564584124654e-324", 0x0000000000000001ull},
        {"2.4703282292062328e-324", 0x0000000000000001ull},
        {"2.4703282292062327e-324", 0},                              /* below half the least */
        {"1e-400", 0},
        {"-inf", 0xFFF0000000000000ull},
        {"Infinity", 0x7FF0000000000000ull},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) agrees(cases[i].text, cases[i].bits);
    CHECK(isnan(jlp__decimal_to_double("nan", 3)));
}

static uint64_t next(uint64_t *x) {
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

TEST(random_text_agrees_with_strtod) {
    uint64_t x = 0x2545F4914F6CDD1Dull;
    long rounds = quick() ? 20000 : 1000000;
    int bad = 0;
    char text[128];
    for (long t = 0; t < rounds && bad < 5; t++) {
        int kind = (int)(next(&x) % 4);
        size_t n = 0;
        if (kind < 2) {
            uint64_t b = next(&x);
            double d;
            memcpy(&d, &b, sizeof d);
            if (!isfinite(d)) continue;
            n = (size_t)snprintf(text, sizeof text, "%.*g", kind == 0 ? 17 : (int)(next(&x) % 17) + 1, d);
        } else {
            if (next(&x) % 2) text[n++] = next(&x) % 2 ? '-' : '+';
            int digits = 1 + (int)(next(&x) % (kind == 2 ? 25 : 60)), dot = (int)(next(&x) % (uint64_t)(digits + 2));
            for (int k = 0; k < digits; k++) {
                if (k == dot) text[n++] = '.';
                uint64_t r = next(&x);
                text[n++] = (char)('0' + (kind == 3 && r % 3 ? (r & 8 ? 9 : 0) : (int)(r % 10)));
            }
            if (next(&x) % 2) n += (size_t)snprintf(text + n, sizeof text - n, "e%d", (int)(next(&x) % 700) - 350);
            text[n] = 0;
        }
        bad += !agrees(text, bits_of(strtod(text, NULL)));
    }
}
