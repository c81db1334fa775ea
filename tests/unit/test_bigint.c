/*
 * test_bigint.c - the big-int code (libjlpickle/value/bigint.c) against Python
 * (expected_gen.h, from tests/unit/gen_expected.py): decimal text to pickle's two's
 * complement bytes and back, hex(), binary/octal/hex digits, the minimal length, the
 * int64 fit, and the digit bound of the decimal conversion.
 */
#include "harness.h"
#include "util.h"

#include "../../libjlpickle/value/bigint.h"

#include <errno.h>

#include "expected_gen.h"

#define N_INTS (sizeof expected_ints / sizeof expected_ints[0])

/* Hex digits (two a byte) to bytes. @return the byte count. */
static size_t unhex(const char *h, uint8_t *out) {
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static uint8_t want[512], got[512];

TEST(decimal_to_bytes) {
    int bad = 0;
    for (size_t i = 0; i < N_INTS; i++) {
        const char *d = expected_ints[i].decimal;
        bool neg = *d == '-';
        if (neg) d++;
        size_t wn = unhex(expected_ints[i].bytes, want);
        bool nomem = false;
        size_t gn = jlp__bigint_from_decimal(d, strlen(d), neg, got, jlp__alc_malloc(), &nomem);
        if (nomem || gn != wn || memcmp(got, want, wn)) {
            if (bad++ < 5) TH_FAIL("%s: %zu bytes, Python's encode_long has %zu (%s)", expected_ints[i].decimal, gn, wn,
                                   expected_ints[i].bytes);
        }
    }
    CHECK_INT(bad, 0);
}

/* The reference conversion of a magnitude: bytes = bytes * 10 + digit, one digit at a
 * time, and a zero byte (the sign bit clear). */
static size_t reference_decimal(const char *d, size_t nd, uint8_t *out) {
    size_t nb = 1;
    memset(out, 0, 1024);
    for (size_t i = 0; i < nd; i++) {
        unsigned carry = (unsigned)(d[i] - '0');
        for (size_t k = 0; k < nb; k++) {
            unsigned x = out[k] * 10u + carry;
            out[k] = (uint8_t)x;
            carry = x >> 8;
        }
        if (carry) out[nb++] = (uint8_t)carry;
    }
    return jlp__bigint_minlen(out, nb + 1);
}

/* Whether the two's complement numbers a[0..an) and b[0..bn) add up to 0. */
static bool sum_is_zero(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    size_t n = (an > bn ? an : bn) + 1;
    unsigned carry = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned x = (k < an ? a[k] : an && a[an - 1] >> 7 ? 0xFF : 0) +
                     (k < bn ? b[k] : bn && b[bn - 1] >> 7 ? 0xFF : 0) + carry;
        if ((uint8_t)x) return false;
        carry = x >> 8;
    }
    return true;
}

/* Random decimals of 1 to 1200 digits (the 19-digit chunks, the limbs kept on the stack
 * and those allocated) give the reference's bytes, negated as well, and write nothing
 * past the ndigits/2 + 8 bytes the header asks for. */
TEST(random_decimals_chunk_by_chunk) {
    static char digits[1200];
    static uint8_t ref[1024], out[1024], neg_out[1024];
    uint64_t x = 0x853C49E6748FEA9Bull;
    int bad = 0;
    for (int t = 0; t < (quick() ? 2000 : 20000) && bad < 5; t++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t nd = 1 + (size_t)(x % (x & 1 ? 60 : sizeof digits));
        for (size_t i = 0; i < nd; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            digits[i] = (char)('0' + (i == 0 ? 1 + x % 9 : (x >> 3) % 4 == 0 ? 9 : x % 10));
        }
        size_t cap = nd / 2 + 8, wn = reference_decimal(digits, nd, ref), past = cap;
        memset(out, 0xA5, sizeof out);
        bool nomem = false;
        size_t gn = jlp__bigint_from_decimal(digits, nd, false, out, jlp__alc_malloc(), &nomem);
        size_t negn = jlp__bigint_from_decimal(digits, nd, true, neg_out, jlp__alc_malloc(), &nomem);
        while (past < sizeof out && out[past] == 0xA5) past++;
        if (nomem || gn != wn || memcmp(out, ref, wn) || past != sizeof out || !sum_is_zero(out, gn, neg_out, negn)) {
            bad++;
            TH_FAIL("%zu digits starting %.20s: %zu bytes (reference %zu), wrote past the %zu bytes: %s", nd, digits,
                    gn, wn, cap, past != sizeof out ? "yes" : "no");
        }
    }
}

TEST(bytes_to_decimal_and_hex) {
    int bad = 0;
    for (size_t i = 0; i < N_INTS; i++) {
        size_t wn = unhex(expected_ints[i].bytes, want);
        jlp__buf b;
        jlp__buf_init(&b, NULL);
        bool ok = jlp__bigint_decimal(want, wn, 4300, &b);
        jlp__buf_putc(&b, 0);
        if (!ok || b.failed || strcmp(b.data, expected_ints[i].decimal)) {
            if (bad++ < 5) TH_FAIL("decimal of %s: %s", expected_ints[i].decimal, ok ? b.data : "(refused)");
        }
        b.len = 0;
        jlp__bigint_hex(want, wn, &b);
        jlp__buf_putc(&b, 0);
        if (b.failed || strcmp(b.data, expected_ints[i].hex)) {
            if (bad++ < 5) TH_FAIL("hex of %s: %s, Python says %s", expected_ints[i].decimal, b.data, expected_ints[i].hex);
        }
        jlp__buf_release(&b);
    }
    CHECK_INT(bad, 0);
}

TEST(public_repr) {
    /* jlp_bigint_repr: Python's repr for every expected int, the length asked with cap 0,
     * nothing written when the text does not fit, 0 for NULL bytes */
    static char out[1400];
    int bad = 0;
    for (size_t i = 0; i < N_INTS; i++) {
        size_t wn = unhex(expected_ints[i].bytes, want);
        size_t dl = strlen(expected_ints[i].decimal);
        size_t need = jlp_bigint_repr(want, wn, NULL, 0);
        memset(out, 'x', sizeof out);
        size_t n = jlp_bigint_repr(want, wn, out, wn * 241 / 100 + 3);
        if (need != dl || n != dl || strcmp(out, expected_ints[i].decimal) != 0) {
            if (bad++ < 5) TH_FAIL("repr of %s: %zu/%zu bytes, '%.40s'", expected_ints[i].decimal, need, n, out);
        }
        memset(out, 'x', sizeof out);
        if (jlp_bigint_repr(want, wn, out, dl) != dl || out[0] != 'x') {
            if (bad++ < 5) TH_FAIL("repr of %s wrote into a buffer of its length only", expected_ints[i].decimal);
        }
    }
    CHECK_INT(bad, 0);
    char z[4] = "xyz";
    CHECK_INT(jlp_bigint_repr(NULL, 0, z, sizeof z), 1);
    CHECK_STR(z, "0");
    CHECK_INT(jlp_bigint_repr(NULL, 3, z, sizeof z), 0);
}

TEST(hex_digits_to_bytes) {
    /* Python's hex() text without "0x" and sign, read as base 16 (4 bits a digit) */
    int bad = 0;
    for (size_t i = 0; i < N_INTS; i++) {
        const char *h = expected_ints[i].hex;
        bool neg = *h == '-';
        h += neg ? 3 : 2;
        size_t wn = unhex(expected_ints[i].bytes, want);
        size_t gn = jlp__bigint_from_pow2(h, strlen(h), 4, neg, got);
        if (gn != wn || memcmp(got, want, wn)) {
            if (bad++ < 5) TH_FAIL("from hex %s: %zu bytes, want %zu", expected_ints[i].hex, gn, wn);
        }
    }
    CHECK_INT(bad, 0);
}

TEST(binary_and_octal_digits) {
    CHECK_INT(jlp__bigint_from_pow2("11111111", 8, 1, false, got), 2); /* 255: ff 00 */
    CHECK_INT(got[0], 0xff);
    CHECK_INT(got[1], 0x00);
    CHECK_INT(jlp__bigint_from_pow2("10000000", 8, 1, true, got), 1); /* -128: 80 */
    CHECK_INT(got[0], 0x80);
    CHECK_INT(jlp__bigint_from_pow2("777", 3, 3, false, got), 2); /* 511: ff 01 */
    CHECK_INT(got[0], 0xff);
    CHECK_INT(got[1], 0x01);
    CHECK_INT(jlp__bigint_from_pow2("0", 1, 3, true, got), 0); /* -0 is 0: no bytes */
}

TEST(minimal_length_and_int64) {
    const uint8_t pad_pos[] = {0x7f, 0x00, 0x00}, pad_neg[] = {0x80, 0xff, 0xff}, keep[] = {0xff, 0x00};
    CHECK_INT(jlp__bigint_minlen(pad_pos, 3), 1);
    CHECK_INT(jlp__bigint_minlen(pad_neg, 3), 1);
    CHECK_INT(jlp__bigint_minlen(keep, 2), 2); /* 255 needs its sign byte */
    const uint8_t zero[] = {0x00};
    CHECK_INT(jlp__bigint_minlen(zero, 1), 0);
    int bad = 0;
    for (size_t i = 0; i < N_INTS; i++) {
        size_t wn = unhex(expected_ints[i].bytes, want);
        int64_t v = 0;
        bool fits = jlp__bigint_to_i64(want, wn, &v);
        char *end;
        errno = 0;
        long long ref = strtoll(expected_ints[i].decimal, &end, 10);
        bool ref_fits = errno == 0;
        if (fits != ref_fits || (fits && v != ref)) {
            if (bad++ < 5) TH_FAIL("%s: to_i64 says %d (%lld)", expected_ints[i].decimal, fits, (long long)v);
        }
    }
    CHECK_INT(bad, 0);
}

TEST(decimal_digit_bound) {
    /* 10**100 has 101 digits: refused at 100, given at 101 */
    const char *d = "1";
    size_t wn = 0;
    for (size_t i = 0; i < N_INTS; i++)
        if (strlen(expected_ints[i].decimal) == 101 && expected_ints[i].decimal[0] == '1' &&
            strspn(expected_ints[i].decimal + 1, "0") == 100) {
            d = expected_ints[i].decimal;
            wn = unhex(expected_ints[i].bytes, want);
        }
    CHECK_INT(strlen(d), 101);
    jlp__buf b;
    jlp__buf_init(&b, NULL);
    CHECK(!jlp__bigint_decimal(want, wn, 100, &b));
    CHECK_INT(b.len, 0);
    CHECK(jlp__bigint_decimal(want, wn, 101, &b));
    CHECK_INT(b.len, 101);
    jlp__buf_release(&b);
}
