/*
 * test_float_repr.c - Python's float repr in C (libjlpickle/common/float_repr.c): the
 * internal jlp__float_repr and the public jlp_float_repr give exactly Python's repr() for
 * edges (zeros, subnormals, extremes, ties like 2**-24 whose nearest short decimal does
 * not read back) and 2000 random doubles (expected_gen.h, from tests/unit/gen_expected.py);
 * the public call's special values and its refusal of a short buffer.
 */
#include "harness.h"

#include "expected_gen.h"

#include <math.h>

size_t jlp__float_repr(double d, char *out);

static double from_bits(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

TEST(python_repr) {
    size_t n = sizeof expected_reprs / sizeof expected_reprs[0];
    CHECK(n >= 2000);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = from_bits(expected_reprs[i].bits);
        char a[JLP_FLOAT_REPR_MAX], b[JLP_FLOAT_REPR_MAX];
        size_t la = jlp__float_repr(d, a), lb = jlp_float_repr(d, b, sizeof b);
        if (strcmp(a, expected_reprs[i].repr) || la != strlen(expected_reprs[i].repr) ||
            strcmp(b, expected_reprs[i].repr) || lb != la) {
            if (bad++ < 10)
                TH_FAIL("bits 0x%016llx: got %s / %s, Python says %s", (unsigned long long)expected_reprs[i].bits, a, b,
                        expected_reprs[i].repr);
        }
    }
    CHECK_INT(bad, 0);
}

TEST(chosen_values) {
    char b[JLP_FLOAT_REPR_MAX];
    CHECK_INT(jlp_float_repr(0.0, b, sizeof b), 3);
    CHECK_STR(b, "0.0");
    CHECK_INT(jlp_float_repr(-0.0, b, sizeof b), 4);
    CHECK_STR(b, "-0.0");
    CHECK_INT(jlp_float_repr(1e16, b, sizeof b), 5);
    CHECK_STR(b, "1e+16");
    CHECK_INT(jlp_float_repr(1.5e-5, b, sizeof b), 7);
    CHECK_STR(b, "1.5e-05");
    CHECK_INT(jlp_float_repr(ldexp(1.0, -24), b, sizeof b), 21);
    CHECK_STR(b, "5.960464477539063e-08");
    CHECK_INT(jlp_float_repr(-2.2250738585072014e-308, b, sizeof b), 24);
    CHECK_STR(b, "-2.2250738585072014e-308");
}

TEST(special_values) {
    char b[JLP_FLOAT_REPR_MAX];
    CHECK_INT(jlp_float_repr(NAN, b, sizeof b), 3);
    CHECK_STR(b, "nan");
    CHECK_INT(jlp_float_repr(-NAN, b, sizeof b), 3);
    CHECK_STR(b, "nan");
    CHECK_INT(jlp_float_repr(INFINITY, b, sizeof b), 3);
    CHECK_STR(b, "inf");
    CHECK_INT(jlp_float_repr(-INFINITY, b, sizeof b), 4);
    CHECK_STR(b, "-inf");
}

TEST(short_buffer) {
    char b[JLP_FLOAT_REPR_MAX + 1];
    memset(b, 'x', sizeof b);
    CHECK_INT(jlp_float_repr(1.0, b, JLP_FLOAT_REPR_MAX - 1), 0);
    CHECK_INT(b[0], 'x');
    CHECK_INT(jlp_float_repr(1.0, NULL, 64), 0);
    CHECK_INT(jlp_float_repr(1.0, b, JLP_FLOAT_REPR_MAX), 3);
    CHECK_STR(b, "1.0");
}
