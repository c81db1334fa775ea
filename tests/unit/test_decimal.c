/*
 * test_decimal.c - jlp__u64_decimal (libjlpickle/common/decimal.c), the digits behind the
 * float repr and protocol 0's INT, PUT and GET lines: every length from 1 to 20 digits,
 * both sides of each power of ten, and 100000 pseudo-random values against snprintf.
 */
#include "harness.h"

#include "../../libjlpickle/common/decimal.h"

#include <stdio.h>

static int agrees(uint64_t v) {
    char want[32], got[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long)v);
    size_t n = jlp__u64_decimal(v, got);
    got[n] = 0;
    if (n == strlen(want) && !strcmp(got, want)) return 1;
    TH_FAIL("%llu: got %s (%zu digits)", (unsigned long long)v, got, n);
    return 0;
}

TEST(powers_of_ten_and_extremes) {
    char b[32];
    CHECK_INT(jlp__u64_decimal(0, b), 1);
    CHECK_INT(b[0], '0');
    CHECK_INT(jlp__u64_decimal(UINT64_MAX, b), 20);
    b[20] = 0;
    CHECK_STR(b, "18446744073709551615");
    int bad = 0;
    for (uint64_t p = 1, k = 0; k < 20; k++, p *= 10) bad += !agrees(p - 1) + !agrees(p) + !agrees(p + 1);
    bad += !agrees(UINT64_MAX - 1) + !agrees((uint64_t)1 << 63);
    CHECK_INT(bad, 0);
}

TEST(random_values) {
    uint64_t x = 0x9E3779B97F4A7C15u;
    int bad = 0;
    for (int i = 0; i < 100000 && bad < 10; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bad += !agrees(x >> (x % 64));   /* every magnitude */
    }
    CHECK_INT(bad, 0);
}
