/*
 * test_values.c - every public value accessor (all types, NULL tolerance, iterators,
 * globals, objects of every jlp_obj_kind, persistent ids, big ints, complex), the
 * allowlisted reconstructions and their inert fallbacks, the py2str modes, the
 * protocol 0 text opcodes, and the exact JSON export of each type through every export
 * entry point. Every value comes from a hand-written pickle.
 */
#include "harness.h"

#include <math.h>
#include "util.h"
#include <stdint.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------ */

#define LFAIL(line, ...)                                                             \
    do {                                                                             \
        fprintf(stderr, "  %s:%d: ", __FILE__, (line));                              \
        fprintf(stderr, __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                         \
        th_failed_now = 1;                                                           \
    } while (0)

static jlp_doc *load_line(int line, const void *p, size_t n, const jlp_read_opts *o) {
    jlp_error err;
    size_t consumed = 0;
    jlp_doc *d = jlp_load_mem(p, n, o, &consumed, &err);
    if (!d) {
        LFAIL(line, "load failed: %s at %llu: %s", jlp_error_name(err.code),
              (unsigned long long)err.offset, err.msg);
        return NULL;
    }
    if (consumed != n) LFAIL(line, "consumed %zu of %zu", consumed, n);
    return d;
}
#define LD(lit) load_line(__LINE__, (lit), sizeof(lit) - 1, NULL)
#define LDO(lit, o) load_line(__LINE__, (lit), sizeof(lit) - 1, (o))

static void err_line(int line, const void *p, size_t n, const jlp_read_opts *o, jlp_code code,
                     uint64_t off, int opcode) {
    jlp_error err;
    jlp_doc *d = jlp_load_mem(p, n, o, NULL, &err);
    if (d) {
        LFAIL(line, "loaded, expected %s", jlp_error_name(code));
        jlp_doc_free(d);
        return;
    }
    if (err.code != code || err.offset != off || err.opcode != opcode)
        LFAIL(line, "error %s at %llu op %d (%s), expected %s at %llu op %d",
              jlp_error_name(err.code), (unsigned long long)err.offset, err.opcode, err.msg,
              jlp_error_name(code), (unsigned long long)off, opcode);
}
#define ERR(lit, code, off, opc) err_line(__LINE__, (lit), sizeof(lit) - 1, NULL, (code), (off), (opc))
#define ERRO(lit, o, code, off, opc) err_line(__LINE__, (lit), sizeof(lit) - 1, (o), (code), (off), (opc))

static void json_line(int line, const jlp_val *v, const char *want) {
    jlp_error err;
    size_t len = 0;
    char *s = jlp_export_json_str(v, NULL, &len, &err);
    size_t wl = strlen(want);
    if (!s || len != wl + 1 || memcmp(s, want, wl) || s[wl] != '\n' || s[len] != '\0')
        LFAIL(line, "json\n    got:      %s    expected: %s", s ? s : "(null)\n", want);
    free(s);
}
#define CHECK_JSON(v, want) json_line(__LINE__, (v), (want))

/* Load `lit`, compare the root's JSON with `want`, free. */
#define JSON_OF(lit, want)                                                           \
    do {                                                                             \
        jlp_doc *jd_ = LD(lit);                                                      \
        if (jd_) json_line(__LINE__, jlp_doc_root(jd_), (want));                     \
        jlp_doc_free(jd_);                                                           \
    } while (0)

/* The root is a str/bytes/bytearray of type t with exactly these bytes. */
static void bytes_line(int line, const jlp_val *v, jlp_type t, const char *want, size_t wn) {
    size_t n = 12345;
    const char *p = jlp_get_str(v, &n);
    if (jlp_get_type(v) != t || !p || n != wn || memcmp(p, want, wn))
        LFAIL(line, "got %s of %zu bytes, expected %s of %zu bytes", jlp_type_name(jlp_get_type(v)),
              p ? n : 0, jlp_type_name(t), wn);
    if (t == JLP_STR && p && p[n] != '\0') LFAIL(line, "str not NUL-terminated");
}
#define CHECK_BYTES(v, t, lit) bytes_line(__LINE__, (v), (t), (lit), sizeof(lit) - 1)

static jlp_read_opts opts_py2(jlp_py2str mode) {
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    o.py2str = mode;
    return o;
}

/* =====================================================================================
 * Scalars
 * ===================================================================================== */

TEST(none_and_bools) {
    jlp_doc *d = LD("\x80\x02(N\x88\x89I01\nI00\nt.");
    jlp_val *t = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(jlp_item(t, 0)), JLP_NONE);
    CHECK_INT(jlp_get_type(jlp_item(t, 1)), JLP_BOOL);
    CHECK_INT(jlp_get_bool(jlp_item(t, 1)), 1);
    CHECK_INT(jlp_get_bool(jlp_item(t, 2)), 0);
    CHECK_INT(jlp_get_int(jlp_item(t, 1)), 1);
    CHECK_INT(jlp_get_int(jlp_item(t, 2)), 0);
    CHECK(jlp_get_float(jlp_item(t, 1)) == 1.0);
    CHECK_INT(jlp_get_type(jlp_item(t, 3)), JLP_BOOL);
    CHECK_INT(jlp_get_bool(jlp_item(t, 3)), 1);
    CHECK_INT(jlp_get_type(jlp_item(t, 4)), JLP_BOOL);
    CHECK_INT(jlp_get_bool(jlp_item(t, 4)), 0);
    CHECK_INT(jlp_get_bool(jlp_item(t, 0)), 0);
    CHECK_JSON(t, "{\"$tuple\":[null,true,false,true,false]}");
    jlp_doc_free(d);
}

TEST(binary_ints) {
    jlp_doc *d = LD("\x80\x02(K\x00K\xffM\xff\xffJ\xff\xff\xff\xffJ\x00\x00\x00\x80J\xff\xff\xff\x7ft.");
    jlp_val *t = jlp_doc_root(d);
    static const int64_t want[] = {0, 255, 65535, -1, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < 6; i++) {
        CHECK_INT(jlp_get_type(jlp_item(t, i)), JLP_INT);
        CHECK_INT(jlp_get_int(jlp_item(t, i)), want[i]);
        CHECK(jlp_get_float(jlp_item(t, i)) == (double)want[i]);
        CHECK_INT(jlp_get_bool(jlp_item(t, i)), 0);
    }
    CHECK_JSON(t, "{\"$tuple\":[0,255,65535,-1,-2147483648,2147483647]}");
    jlp_doc_free(d);
}

TEST(long1_long4_and_bigint_bytes) {
    /* 0, -1, INT64_MIN, INT64_MAX fit int64; non-minimal encodings shrink */
    jlp_doc *d = LD("\x80\x02(\x8a\x00\x8a\x01\xff\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80"
                    "\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f\x8a\x04\x05\x00\x00\x00"
                    "\x8b\x02\x00\x00\x00\xff\xfft.");
    jlp_val *t = jlp_doc_root(d);
    static const int64_t want[] = {0, -1, INT64_MIN, INT64_MAX, 5, -1};
    for (size_t i = 0; i < 6; i++) {
        CHECK_INT(jlp_get_type(jlp_item(t, i)), JLP_INT);
        CHECK(jlp_get_int(jlp_item(t, i)) == want[i]);
        CHECK(jlp_get_bigint(jlp_item(t, i), NULL) == NULL);
    }
    CHECK_JSON(t, "{\"$tuple\":[0,-1,-9223372036854775808,9223372036854775807,5,-1]}");
    jlp_doc_free(d);

    /* 2^63, -2^63-1, 2^64 (given with two extra zero bytes), -2^64 */
    d = LD("\x80\x02(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00"
           "\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\xff"
           "\x8b\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00"
           "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xfft.");
    t = jlp_doc_root(d);
    static const uint8_t b0[] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0};
    static const uint8_t b1[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff};
    static const uint8_t b2[] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t b3[] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff};
    const uint8_t *const bs[] = {b0, b1, b2, b3};
    for (size_t i = 0; i < 4; i++) {
        jlp_val *v = jlp_item(t, i);
        size_t n = 0;
        const uint8_t *p = jlp_get_bigint(v, &n);
        CHECK_INT(jlp_get_type(v), JLP_BIGINT);
        CHECK_INT(n, 9);
        CHECK(p && !memcmp(p, bs[i], 9));
        CHECK(jlp_get_bigint(v, NULL) == p);
        CHECK_INT(jlp_get_int(v), 0);
        CHECK(jlp_get_float(v) == 0.0);
        CHECK(jlp_get_str(v, NULL) == NULL);
    }
    CHECK_JSON(t, "{\"$tuple\":[9223372036854775808,-9223372036854775809,18446744073709551616,"
                  "-18446744073709551616]}");
    jlp_doc_free(d);
    ERR("\x80\x02\x8a\x05\x01\x02", JLP_E_TRUNCATED, 2, 0x8a);
}

TEST(binfloat_values_and_repr) {
    jlp_doc *d = LD("\x80\x02(G\x3f\xf8\x00\x00\x00\x00\x00\x00"
                    "G\x80\x00\x00\x00\x00\x00\x00\x00"
                    "G\x54\xb2\x49\xad\x25\x94\xc3\x7d"
                    "G\x3f\xb9\x99\x99\x99\x99\x99\x9a"
                    "G\x43\x41\xc3\x79\x37\xe0\x80\x00"
                    "G\x43\x0c\x6b\xf5\x26\x34\x00\x00"
                    "G\x40\x5e\xc0\x00\x00\x00\x00\x00"
                    "G\x3e\xe4\xf8\xb5\x88\xe3\x68\xf1"
                    "G\x3f\x1a\x36\xe2\xeb\x1c\x43\x2d"
                    "G\x00\x00\x00\x00\x00\x00\x00\x01"
                    "G\x7f\xef\xff\xff\xff\xff\xff\xff"
                    "G\x7f\xf8\x00\x00\x00\x00\x00\x00"
                    "G\x7f\xf0\x00\x00\x00\x00\x00\x00"
                    "G\xff\xf0\x00\x00\x00\x00\x00\x00"
                    "l.");
    jlp_val *l = jlp_doc_root(d);
    CHECK_INT(jlp_len(l), 14);
    CHECK(jlp_get_float(jlp_item(l, 0)) == 1.5);
    CHECK(jlp_get_float(jlp_item(l, 1)) == 0.0 && signbit(jlp_get_float(jlp_item(l, 1))));
    CHECK(jlp_get_float(jlp_item(l, 2)) == 1e100);
    CHECK(jlp_get_float(jlp_item(l, 3)) == 0.1);
    CHECK(isnan(jlp_get_float(jlp_item(l, 11))));
    CHECK(isinf(jlp_get_float(jlp_item(l, 12))));
    CHECK_INT(jlp_get_type(jlp_item(l, 0)), JLP_FLOAT);
    CHECK_INT(jlp_get_int(jlp_item(l, 0)), 0);
    CHECK_INT(jlp_get_bool(jlp_item(l, 0)), 0);
    CHECK_JSON(l, "[1.5,-0.0,1e+100,0.1,1e+16,1000000000000000.0,123.0,1e-05,0.0001,5e-324,"
                  "1.7976931348623157e+308,{\"$float\":\"nan\"},{\"$float\":\"inf\"},"
                  "{\"$float\":\"-inf\"}]");
    jlp_doc_free(d);
}

TEST(complex_values) {
    jlp_doc *d = LD("\x80\x02(c__builtin__\ncomplex\nG\x3f\xf8\x00\x00\x00\x00\x00\x00"
                    "G\xc0\x00\x00\x00\x00\x00\x00\x00\x86R"
                    "cbuiltins\ncomplex\nK\x01K\x02\x86R"
                    "c__builtin__\ncomplex\nG\x3f\xf8\x00\x00\x00\x00\x00\x00\x85Rt.");
    jlp_val *t = jlp_doc_root(d);
    double re = -1, im = -1;
    CHECK_INT(jlp_get_type(jlp_item(t, 0)), JLP_COMPLEX);
    CHECK_INT(jlp_get_complex(jlp_item(t, 0), &re, &im), 1);
    CHECK(re == 1.5 && im == -2.0);
    CHECK_INT(jlp_get_complex(jlp_item(t, 1), &re, &im), 1);
    CHECK(re == 1.0 && im == 2.0);
    CHECK_INT(jlp_get_complex(jlp_item(t, 2), &re, &im), 1);
    CHECK(re == 1.5 && im == 0.0);
    CHECK_INT(jlp_get_complex(jlp_item(t, 0), NULL, NULL), 1);
    CHECK(jlp_get_float(jlp_item(t, 0)) == 0.0);
    CHECK_JSON(t, "{\"$tuple\":[{\"$complex\":[1.5,-2.0]},{\"$complex\":[1.0,2.0]},"
                  "{\"$complex\":[1.5,0.0]}]}");
    jlp_doc_free(d);
    /* other argument shapes stay inert calls */
    JSON_OF("\x80\x02" "c__builtin__\ncomplex\n)R.",
            "{\"$object\":{\"call\":\"builtins.complex\"}}");
    JSON_OF("\x80\x03" "cbuiltins\ncomplex\nX\x04\x00\x00\x00" "1+2j\x85R.",
            "{\"$object\":{\"call\":\"builtins.complex\",\"args\":[\"1+2j\"]}}");
    JSON_OF("\x80\x03" "cbuiltins\ncomplex\n(K\x01K\x02K\x03tR.",
            "{\"$object\":{\"call\":\"builtins.complex\",\"args\":[1,2,3]}}");
}

TEST(str_values) {
    jlp_doc *d = LD("\x80\x04X\x06\x00\x00\x00h\xc3\xa9llo.");
    jlp_val *v = jlp_doc_root(d);
    CHECK_BYTES(v, JLP_STR, "h\xc3\xa9llo");
    CHECK(jlp_str_eq(v, "h\xc3\xa9llo"));
    CHECK(!jlp_str_eq(v, "h\xc3\xa9ll"));
    CHECK(!jlp_str_eq(v, "h\xc3\xa9lloo"));
    CHECK(!jlp_str_eq(v, NULL));
    CHECK_JSON(v, "\"h\xc3\xa9llo\"");
    jlp_doc_free(d);
    /* NUL inside: explicit length */
    d = LD("\x80\x04\x8c\x03" "a\x00" "b.");
    v = jlp_doc_root(d);
    CHECK_BYTES(v, JLP_STR, "a\0b");
    CHECK(!jlp_str_eq(v, "a"));
    CHECK_JSON(v, "\"a\\u0000b\"");
    jlp_doc_free(d);
    /* JSON escapes */
    JSON_OF("\x80\x04\x8c\x0b\x01\x08\x09\x0a\x0c\x0d\x1f\"\\/\x7f.",
            "\"\\u0001\\b\\t\\n\\f\\r\\u001f\\\"\\\\/\x7f\"");
    JSON_OF("\x80\x04\x8c\x00.", "\"\"");
    JSON_OF("\x80\x04\x8d\x04\x00\x00\x00\x00\x00\x00\x00\xf0\x9f\x98\x80.", "\"\xf0\x9f\x98\x80\"");
}

TEST(bytes_and_bytearray_values) {
    jlp_doc *d = LD("\x80\x05(C\x03" "abcC\x00" "C\x01" "aB\x02\x00\x00\x00" "ab"
                    "\x8e\x04\x00\x00\x00\x00\x00\x00\x00" "abcd"
                    "\x96\x02\x00\x00\x00\x00\x00\x00\x00\x00\xff"
                    "\x96\x00\x00\x00\x00\x00\x00\x00\x00l.");
    jlp_val *l = jlp_doc_root(d);
    CHECK_BYTES(jlp_item(l, 0), JLP_BYTES, "abc");
    CHECK_BYTES(jlp_item(l, 1), JLP_BYTES, "");
    CHECK_BYTES(jlp_item(l, 4), JLP_BYTES, "abcd");
    CHECK_BYTES(jlp_item(l, 5), JLP_BYTEARRAY, "\x00\xff");
    CHECK_BYTES(jlp_item(l, 6), JLP_BYTEARRAY, "");
    CHECK(!jlp_str_eq(jlp_item(l, 0), "abc")); /* str_eq is for str only */
    CHECK_JSON(l, "[{\"$bytes\":\"YWJj\"},{\"$bytes\":\"\"},{\"$bytes\":\"YQ==\"},{\"$bytes\":\"YWI=\"},"
                  "{\"$bytes\":\"YWJjZA==\"},{\"$bytearray\":\"AP8=\"},{\"$bytearray\":\"\"}]");
    jlp_doc_free(d);
    /* a long payload (borrowed or copied, the value is the same) */
    char big[301];
    for (int i = 0; i < 300; i++) big[i] = (char)('A' + i % 26);
    uint8_t in[320];
    size_t n = 0;
    memcpy(in, "\x80\x03" "B\x2c\x01\x00\x00", 7);
    n = 7;
    memcpy(in + n, big, 300);
    n += 300;
    in[n++] = '.';
    d = load_line(__LINE__, in, n, NULL);
    size_t len = 0;
    const char *p = jlp_get_str(jlp_doc_root(d), &len);
    CHECK_INT(len, 300);
    CHECK(p && !memcmp(p, big, 300));
    jlp_doc_free(d);
}

/* =====================================================================================
 * Containers and iterators
 * ===================================================================================== */

/* Protocol 2 bytes: _codecs.encode(text, 'latin1') with the bytes as U+0000-U+00FF text
 * (each byte from 0x80 as two bytes of UTF-8). Random bytes of many lengths, every byte
 * value, and runs of ASCII and of high bytes come back exactly; a code point past U+00FF
 * (a lead byte from 0xC4) anywhere, the last position included, is no bytes object. */
static size_t p2_bytes_pickle(uint8_t *out, const uint8_t *b, size_t n, uint32_t extra_cp, size_t at) {
    static const char head[] = "\x80\x02" "c_codecs\nencode\nq\x00";
    size_t o = sizeof head - 1, len = 0;
    memcpy(out, head, o);
    out[o++] = 'X';
    size_t len_at = o;
    o += 4;
    for (size_t i = 0; i <= n; i++) {
        if (extra_cp && i == at) { /* U+0100..U+07FF as two bytes */
            out[o++] = (uint8_t)(0xC0 | (extra_cp >> 6));
            out[o++] = (uint8_t)(0x80 | (extra_cp & 0x3F));
        }
        if (i == n) break;
        if (b[i] < 0x80) out[o++] = b[i];
        else { out[o++] = (uint8_t)(0xC0 | (b[i] >> 6)); out[o++] = (uint8_t)(0x80 | (b[i] & 0x3F)); }
    }
    len = o - len_at - 4;
    out[len_at] = (uint8_t)len; out[len_at + 1] = (uint8_t)(len >> 8);
    out[len_at + 2] = (uint8_t)(len >> 16); out[len_at + 3] = (uint8_t)(len >> 24);
    static const char tail[] = "X\x06\x00\x00\x00latin1\x86R.";
    memcpy(out + o, tail, sizeof tail - 1);
    return o + sizeof tail - 1;
}

TEST(protocol2_bytes_latin1_text) {
    enum { MAXN = 70000 };
    uint8_t *b = malloc(MAXN), *pk = malloc(2 * MAXN + 64);
    CHECK(b && pk);
    if (!b || !pk) { free(b); free(pk); return; }
    uint64_t x = 0x9E3779B97F4A7C15ull;
    static const size_t lens[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 255, 256, 1000, 4097, MAXN};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        for (int kind = 0; kind < 4; kind++) {
            size_t n = lens[li];
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                b[i] = kind == 0 ? (uint8_t)x : kind == 1 ? (uint8_t)(x | 0x80) : kind == 2 ? (uint8_t)(x & 0x7F)
                                                                                     : (uint8_t)i;
            }
            size_t pn = p2_bytes_pickle(pk, b, n, 0, 0);
            jlp_error err;
            jlp_doc *d = jlp_load_mem(pk, pn, NULL, NULL, &err);
            CHECK(d != NULL);
            if (!d) continue;
            size_t got = 0;
            const char *p = jlp_get_str(jlp_doc_root(d), &got);
            CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_BYTES);
            CHECK_INT(got, n);
            CHECK(p && !memcmp(p, b, n));
            jlp_doc_free(d);
            if (n) { /* U+0100 or U+07FF first, inside, last: no bytes */
                size_t ats[] = {0, n / 2, n};
                for (int k = 0; k < 3; k++) {
                    pn = p2_bytes_pickle(pk, b, n, k == 1 ? 0x7FF : 0x100, ats[k]);
                    d = jlp_load_mem(pk, pn, NULL, NULL, &err);
                    CHECK(d != NULL);
                    if (d) CHECK(jlp_get_type(jlp_doc_root(d)) != JLP_BYTES);
                    jlp_doc_free(d);
                }
            }
        }
    }
    free(b);
    free(pk);
}

/* LONG1 of 0-8 bytes and SHORT_BINBYTES of 0-40 bytes, random, many in one list (the
 * reader's fast loop) and each alone after a PUT (the general loop): both loops give the
 * value two's complement and the bytes say. */
TEST(long1_and_short_binbytes_runs) {
    uint64_t x = 0x2545F4914F6CDD1Dull;
    uint8_t pk[64 * 44 + 16];
    for (int round = 0; round < 200; round++) {
        size_t o = 0;
        int64_t want[64];
        uint8_t raw[64][40];
        size_t rawn[64];
        pk[o++] = 0x80; pk[o++] = 4; pk[o++] = ']'; pk[o++] = '(';
        for (int i = 0; i < 64; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            if (i % 2 == 0) {
                size_t n = (size_t)(x % 9);
                uint64_t u = 0;
                pk[o++] = 0x8a;
                pk[o++] = (uint8_t)n;
                for (size_t k = 0; k < n; k++) {
                    uint8_t b = (uint8_t)(x >> (8 * k + 3));
                    if (k + 1 == n && (x & 0x100000)) b |= 0x80; /* negative often */
                    pk[o++] = b;
                    u |= (uint64_t)b << (8 * k);
                }
                if (n && n < 8 && (u >> (8 * n - 1) & 1)) u |= ~(uint64_t)0 << (8 * n);
                want[i] = (int64_t)u;
            } else {
                size_t n = (size_t)(x % 41);
                pk[o++] = 'C';
                pk[o++] = (uint8_t)n;
                for (size_t k = 0; k < n; k++) raw[i][k] = pk[o++] = (uint8_t)(x >> (k % 56));
                rawn[i] = n;
            }
            if (round % 2 && i == 63) pk[o++] = 0x94; /* a MEMOIZE now and then */
        }
        pk[o++] = 'e'; pk[o++] = '.';
        jlp_error err;
        jlp_doc *d = jlp_load_mem(pk, o, NULL, NULL, &err);
        CHECK(d != NULL);
        if (!d) return;
        jlp_val *l = jlp_doc_root(d);
        CHECK_INT(jlp_len(l), 64);
        for (int i = 0; i < 64; i++) {
            jlp_val *v = jlp_item(l, (size_t)i);
            if (i % 2 == 0) {
                CHECK_INT(jlp_get_type(v), JLP_INT);
                CHECK_INT(jlp_get_int(v), want[i]);
            } else {
                size_t n = 999;
                const char *p = jlp_get_str(v, &n);
                CHECK_INT(jlp_get_type(v), JLP_BYTES);
                CHECK(p && n == rawn[i] && !memcmp(p, raw[i], n));
                if (p && n < 32) CHECK(p[n] == 0); /* copied; from 32 bytes borrowed from the input */
            }
        }
        jlp_doc_free(d);
    }
    /* edges: 0 bytes, the int64 limits, 9 bytes (a big int, the general loop), truncated */
    JSON_OF("\x80\x02\x8a\x00.", "0");
    JSON_OF("\x80\x02\x8a\x01\xff.", "-1");
    JSON_OF("\x80\x02\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.", "-9223372036854775808");
    JSON_OF("\x80\x02\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f.", "9223372036854775807");
    JSON_OF("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00.", "9223372036854775808");
    JSON_OF("\x80\x02]q\x00(\x8a\x02\x00\x80\x8a\x03\xff\x7f\x00" "C\x02" "abe.", "[-32768,32767,{\"$bytes\":\"YWI=\"}]");
    ERR("\x80\x02\x8a\x05\x01\x02.", JLP_E_TRUNCATED, 2, 0x8a);
}

TEST(tuple_list_iterate) {
    jlp_doc *d = LD("\x80\x04(K\x01K\x02K\x03t](K\x04K\x05" "e)\x87.");
    jlp_val *t = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(t), JLP_TUPLE);
    CHECK_INT(jlp_len(t), 3);
    jlp_val *inner = jlp_item(t, 0), *list = jlp_item(t, 1), *empty = jlp_item(t, 2);
    CHECK(jlp_item(t, 3) == NULL);
    CHECK(jlp_item(t, (size_t)-1) == NULL);
    jlp_iter it = jlp_iter_make(inner);
    jlp_val *x;
    int64_t sum = 0, count = 0;
    CHECK(jlp_iter_value(&it) == NULL);
    while ((x = jlp_iter_next(&it))) {
        sum = sum * 10 + jlp_get_int(x);
        count++;
        CHECK(jlp_iter_value(&it) == NULL); /* only dicts have values */
    }
    CHECK_INT(sum, 123);
    CHECK_INT(count, 3);
    CHECK(jlp_iter_next(&it) == NULL); /* stays exhausted */
    CHECK_INT(jlp_get_type(list), JLP_LIST);
    it = jlp_iter_make(list);
    CHECK_INT(jlp_get_int(jlp_iter_next(&it)), 4);
    CHECK_INT(jlp_get_int(jlp_iter_next(&it)), 5);
    CHECK(jlp_iter_next(&it) == NULL);
    it = jlp_iter_make(empty);
    CHECK(jlp_iter_next(&it) == NULL);
    CHECK_INT(jlp_len(empty), 0);
    CHECK_JSON(t, "{\"$tuple\":[{\"$tuple\":[1,2,3]},[4,5],{\"$tuple\":[]}]}");
    jlp_doc_free(d);
}

TEST(dict_access_and_iterate) {
    jlp_doc *d = LD("\x80\x04}(\x8c\x01" "aK\x01\x8c\x01" "bK\x02K\x03K\x04\x8c\x01" "aK\x05u.");
    jlp_val *v = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(v), JLP_DICT);
    CHECK_INT(jlp_len(v), 4);
    CHECK_INT(jlp_get_int(jlp_dict_get(v, "a")), 1); /* the first of two "a" keys */
    CHECK_INT(jlp_get_int(jlp_dict_get(v, "b")), 2);
    CHECK(jlp_dict_get(v, "c") == NULL);
    CHECK(jlp_dict_get(v, NULL) == NULL);
    CHECK(jlp_dict_get(v, "") == NULL);
    CHECK(jlp_str_eq(jlp_dict_key(v, 0), "a"));
    CHECK_INT(jlp_get_int(jlp_dict_key(v, 2)), 3);
    CHECK_INT(jlp_get_int(jlp_dict_value(v, 2)), 4);
    CHECK_INT(jlp_get_int(jlp_dict_value(v, 3)), 5);
    CHECK(jlp_dict_key(v, 4) == NULL);
    CHECK(jlp_dict_value(v, 4) == NULL);
    CHECK(jlp_item(v, 0) == NULL); /* jlp_item is for sequences */
    jlp_iter it = jlp_iter_make(v);
    jlp_val *k;
    int64_t vals = 0;
    size_t n = 0;
    CHECK(jlp_iter_value(&it) == NULL);
    while ((k = jlp_iter_next(&it))) {
        CHECK(k == jlp_dict_key(v, n));
        CHECK(jlp_iter_value(&it) == jlp_dict_value(v, n));
        vals = vals * 10 + jlp_get_int(jlp_iter_value(&it));
        n++;
    }
    CHECK_INT(n, 4);
    CHECK_INT(vals, 1245);
    CHECK_JSON(v, "{\"$dict\":[[\"a\",1],[\"b\",2],[3,4],[\"a\",5]]}");
    jlp_doc_free(d);
    /* plain str keys print as an object; a '$' key or an empty dict as shown */
    JSON_OF("\x80\x04}(\x8c\x01xK\x01\x8c\x03" "a\"b]\x8c\x00Nu.", "{\"x\":1,\"a\\\"b\":[],\"\":null}");
    JSON_OF("\x80\x04}\x8c\x02$aK\x01s.", "{\"$dict\":[[\"$a\",1]]}");
    JSON_OF("\x80\x04}.", "{}");
    JSON_OF("\x80\x04}\x8c\x01$K\x01s.", "{\"$dict\":[[\"$\",1]]}");
}

TEST(set_frozenset_iterate) {
    jlp_doc *d = LD("\x80\x04\x8f(K\x01K\x02\x90(K\x03\x8c\x01x\x91\x86.");
    jlp_val *t = jlp_doc_root(d);
    jlp_val *s = jlp_item(t, 0), *f = jlp_item(t, 1);
    CHECK_INT(jlp_get_type(s), JLP_SET);
    CHECK_INT(jlp_get_type(f), JLP_FROZENSET);
    CHECK_INT(jlp_len(s), 2);
    CHECK_INT(jlp_get_int(jlp_item(s, 1)), 2);
    CHECK(jlp_str_eq(jlp_item(f, 1), "x"));
    jlp_iter it = jlp_iter_make(f);
    CHECK_INT(jlp_get_int(jlp_iter_next(&it)), 3);
    CHECK(jlp_str_eq(jlp_iter_next(&it), "x"));
    CHECK(jlp_iter_next(&it) == NULL);
    CHECK_JSON(t, "{\"$tuple\":[{\"$set\":[1,2]},{\"$frozenset\":[3,\"x\"]}]}");
    jlp_doc_free(d);
    JSON_OF("\x80\x04\x8f.", "{\"$set\":[]}");
    JSON_OF("\x80\x04(\x91.", "{\"$frozenset\":[]}");
}

/* =====================================================================================
 * Globals
 * ===================================================================================== */

TEST(globals) {
    jlp_doc *d = LD("\x80\x03" "cmod.sub\nCls.inner\n.");
    jlp_val *g = jlp_doc_root(d);
    size_t ml = 0, nl = 0;
    CHECK_INT(jlp_get_type(g), JLP_GLOBAL);
    CHECK_STR(jlp_global_module(g, &ml), "mod.sub");
    CHECK_STR(jlp_global_name(g, &nl), "Cls.inner");
    CHECK_INT(ml, 7);
    CHECK_INT(nl, 9);
    CHECK(jlp_global_module(g, NULL) != NULL);
    CHECK(jlp_global_is(g, "mod.sub", "Cls.inner"));
    CHECK(!jlp_global_is(g, "mod", "sub.Cls.inner"));
    CHECK(!jlp_global_is(g, "mod.sub", "Cls"));
    CHECK(!jlp_global_is(g, "mod.sub", "Cls.inner.x"));
    CHECK(!jlp_global_is(g, "mod.su", "Cls.inner"));
    CHECK(!jlp_global_is(g, NULL, "Cls.inner"));
    CHECK(!jlp_global_is(g, "mod.sub", NULL));
    CHECK_JSON(g, "{\"$global\":\"mod.sub.Cls.inner\"}");
    jlp_doc_free(d);
    d = LD("\x80\x04\x8c\x01m\x8c\x01" "f\x93.");
    CHECK(jlp_global_is(jlp_doc_root(d), "m", "f"));
    jlp_doc_free(d);
    /* Python 2 names are renamed below protocol 3, as Python 3 does */
    d = LD("\x80\x02(c__builtin__\nlist\ncexceptions\nValueError\ncUserDict\nUserDict\n"
           "cQueue\nQueue\ncurllib\nquote\nc__builtin__\nxrange\nt.");
    jlp_val *t = jlp_doc_root(d);
    CHECK(jlp_global_is(jlp_item(t, 0), "builtins", "list"));
    CHECK(jlp_global_is(jlp_item(t, 1), "builtins", "ValueError"));
    CHECK(jlp_global_is(jlp_item(t, 2), "collections", "UserDict"));
    CHECK(jlp_global_is(jlp_item(t, 3), "queue", "Queue"));
    CHECK(jlp_global_is(jlp_item(t, 4), "urllib.parse", "quote"));
    CHECK(jlp_global_is(jlp_item(t, 5), "builtins", "range"));
    jlp_doc_free(d);
    d = LD("\x80\x03" "c__builtin__\nlist\n.");
    CHECK(jlp_global_is(jlp_doc_root(d), "__builtin__", "list"));
    jlp_doc_free(d);
    /* protocol 0 (no PROTO) renames too */
    d = LD("ccopy_reg\n_reconstructor\n.");
    CHECK(jlp_global_is(jlp_doc_root(d), "copyreg", "_reconstructor"));
    jlp_doc_free(d);
}

/* =====================================================================================
 * Objects of every kind
 * ===================================================================================== */

TEST(object_newobj) {
    jlp_doc *d = LD("\x80\x02" "cmod\nCls\nK\x01K\x02\x86\x81}X\x01\x00\x00\x00" "xK\x03sb.");
    jlp_val *o = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(o), JLP_OBJECT);
    CHECK_INT(jlp_obj_get_kind(o), JLP_OBJ_NEWOBJ);
    CHECK(jlp_global_is(jlp_obj_callable(o), "mod", "Cls"));
    CHECK_INT(jlp_get_type(jlp_obj_args(o)), JLP_TUPLE);
    CHECK_INT(jlp_len(jlp_obj_args(o)), 2);
    CHECK(jlp_obj_kwargs(o) == NULL);
    CHECK_INT(jlp_get_int(jlp_dict_get(jlp_obj_state(o), "x")), 3);
    CHECK(jlp_obj_items(o) == NULL);
    CHECK(jlp_obj_dictitems(o) == NULL);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"mod.Cls\",\"args\":[1,2],\"state\":{\"x\":3}}}");
    jlp_doc_free(d);
    /* no args, no BUILD: the smallest object */
    d = LD("\x80\x02" "cmod\nCls\n)\x81.");
    o = jlp_doc_root(d);
    CHECK(jlp_obj_args(o) != NULL);
    CHECK_INT(jlp_len(jlp_obj_args(o)), 0);
    CHECK(jlp_obj_state(o) == NULL);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"mod.Cls\"}}");
    jlp_doc_free(d);
}

TEST(object_newobj_ex) {
    jlp_doc *d = LD("\x80\x04\x8c\x03mod\x8c\x03" "Cls\x93K\x01\x85}\x8c\x01kK\x02s\x92.");
    jlp_val *o = jlp_doc_root(d);
    CHECK_INT(jlp_obj_get_kind(o), JLP_OBJ_NEWOBJ_EX);
    CHECK(jlp_global_is(jlp_obj_callable(o), "mod", "Cls"));
    CHECK_INT(jlp_len(jlp_obj_args(o)), 1);
    CHECK_INT(jlp_get_type(jlp_obj_kwargs(o)), JLP_DICT);
    CHECK_INT(jlp_get_int(jlp_dict_get(jlp_obj_kwargs(o), "k")), 2);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"mod.Cls\",\"args\":[1],\"kwargs\":{\"k\":2}}}");
    jlp_doc_free(d);
    d = LD("\x80\x04\x8c\x03mod\x8c\x03" "Cls\x93)}\x92.");
    o = jlp_doc_root(d);
    CHECK_INT(jlp_obj_get_kind(o), JLP_OBJ_NEWOBJ_EX);
    CHECK(jlp_obj_kwargs(o) == NULL);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"mod.Cls\"}}");
    jlp_doc_free(d);
}

TEST(object_obj_and_inst) {
    jlp_doc *d = LD("(cmod\nCls\nK\x01o.");
    jlp_val *o = jlp_doc_root(d);
    CHECK_INT(jlp_obj_get_kind(o), JLP_OBJ_OBJ);
    CHECK(jlp_global_is(jlp_obj_callable(o), "mod", "Cls"));
    CHECK_INT(jlp_get_int(jlp_item(jlp_obj_args(o), 0)), 1);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"mod.Cls\",\"args\":[1]}}");
    jlp_doc_free(d);
    d = LD("(K\x01S'two'\nimod\nCls\n(dS'a'\nI1\nsb.");
    o = jlp_doc_root(d);
    CHECK_INT(jlp_obj_get_kind(o), JLP_OBJ_INST);
    CHECK(jlp_global_is(jlp_obj_callable(o), "mod", "Cls"));
    CHECK_INT(jlp_len(jlp_obj_args(o)), 2);
    CHECK(jlp_str_eq(jlp_item(jlp_obj_args(o), 1), "two"));
    CHECK_JSON(o, "{\"$object\":{\"class\":\"mod.Cls\",\"args\":[1,\"two\"],\"state\":{\"a\":1}}}");
    jlp_doc_free(d);
    /* INST names are renamed like GLOBAL's */
    d = LD("(iUserDict\nUserDict\n.");
    CHECK(jlp_global_is(jlp_obj_callable(jlp_doc_root(d)), "collections", "UserDict"));
    jlp_doc_free(d);
    ERR("(o.", JLP_E_STACK_UNDERFLOW, 1, 'o');
}

TEST(object_reconstructor) {
    jlp_doc *d = LD("ccopy_reg\n_reconstructor\n(cmod\nCls\nc__builtin__\nobject\nNtR(dS'a'\nI1\nsb.");
    jlp_val *o = jlp_doc_root(d);
    CHECK_INT(jlp_obj_get_kind(o), JLP_OBJ_RECONSTRUCTOR);
    CHECK(jlp_global_is(jlp_obj_callable(o), "mod", "Cls"));
    CHECK_INT(jlp_len(jlp_obj_args(o)), 2);
    CHECK(jlp_global_is(jlp_item(jlp_obj_args(o), 0), "builtins", "object"));
    CHECK_INT(jlp_get_type(jlp_item(jlp_obj_args(o), 1)), JLP_NONE);
    CHECK_INT(jlp_get_int(jlp_dict_get(jlp_obj_state(o), "a")), 1);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"mod.Cls\",\"args\":[{\"$global\":\"builtins.object\"},null],"
                  "\"state\":{\"a\":1}}}");
    jlp_doc_free(d);
    /* other shapes stay an inert call */
    d = LD("ccopy_reg\n_reconstructor\n(cmod\nCls\nNtR.");
    o = jlp_doc_root(d);
    CHECK_INT(jlp_obj_get_kind(o), JLP_OBJ_REDUCE);
    CHECK(jlp_global_is(jlp_obj_callable(o), "copyreg", "_reconstructor"));
    jlp_doc_free(d);
}

TEST(object_inert_reduce) {
    jlp_doc *d = LD("cos\nsystem\n(S'ls'\ntR.");
    jlp_val *o = jlp_doc_root(d);
    CHECK_INT(jlp_obj_get_kind(o), JLP_OBJ_REDUCE);
    CHECK(jlp_global_is(jlp_obj_callable(o), "os", "system"));
    CHECK(jlp_str_eq(jlp_item(jlp_obj_args(o), 0), "ls"));
    CHECK_JSON(o, "{\"$object\":{\"call\":\"os.system\",\"args\":[\"ls\"]}}");
    jlp_doc_free(d);
    /* a call of a call: "call" is itself an export */
    JSON_OF("\x80\x02" "cmod\nf\n)R)R.", "{\"$object\":{\"call\":{\"$object\":{\"call\":\"mod.f\"}}}}");
}

TEST(object_items_dictitems_state_none) {
    jlp_doc *d = LD("\x80\x02" "cmod\nCls\n)\x81K\x01" "a(K\x02K\x03" "eK\x04K\x05s(K\x06K\x07uNb.");
    jlp_val *o = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(jlp_obj_items(o)), JLP_LIST);
    CHECK_INT(jlp_len(jlp_obj_items(o)), 3);
    CHECK_INT(jlp_get_int(jlp_item(jlp_obj_items(o), 2)), 3);
    CHECK_INT(jlp_get_type(jlp_obj_dictitems(o)), JLP_DICT);
    CHECK_INT(jlp_len(jlp_obj_dictitems(o)), 2);
    CHECK_INT(jlp_get_int(jlp_dict_value(jlp_obj_dictitems(o), 1)), 7);
    CHECK(jlp_obj_state(o) != NULL);
    CHECK_INT(jlp_get_type(jlp_obj_state(o)), JLP_NONE);
    CHECK_JSON(o, "{\"$object\":{\"class\":\"mod.Cls\",\"state\":null,\"items\":[1,2,3],"
                  "\"dictitems\":[[4,5],[6,7]]}}");
    jlp_doc_free(d);
    /* ADDITEMS into an object also lands in items */
    JSON_OF("\x80\x04" "cmod\nCls\n)\x81(K\x01\x90.", "{\"$object\":{\"class\":\"mod.Cls\",\"items\":[1]}}");
    /* a second BUILD replaces the state */
    JSON_OF("\x80\x02" "cmod\nCls\n)\x81K\x01" "bK\x02" "b.", "{\"$object\":{\"class\":\"mod.Cls\",\"state\":2}}");
}

/* =====================================================================================
 * Persistent ids and extension codes
 * ===================================================================================== */

TEST(persid_values) {
    jlp_doc *d = LD("Pabc\n.");
    jlp_val *p = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(p), JLP_PERSID);
    CHECK(jlp_str_eq(jlp_persid_value(p), "abc"));
    CHECK_JSON(p, "{\"$persid\":\"abc\"}");
    jlp_doc_free(d);
    JSON_OF("\x80\x02K\x05Q.", "{\"$persid\":5}");
    JSON_OF("\x80\x02](K\x01K\x02" "eQ.", "{\"$persid\":[1,2]}");
    JSON_OF("\x80\x02(X\x07\x00\x00\x00storageK\x01tQ.", "{\"$persid\":{\"$tuple\":[\"storage\",1]}}");
    JSON_OF("P\n.", "{\"$persid\":\"\"}");
    ERR("P\xe9\n.", JLP_E_BAD_VALUE, 0, 'P');
    ERR("Pabc", JLP_E_TRUNCATED, 0, 'P');
}

TEST(ext_values) {
    jlp_doc *d = LD("\x80\x02\x82\x07.");
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_EXT);
    CHECK_INT(jlp_ext_code(jlp_doc_root(d)), 7);
    CHECK_INT(jlp_get_int(jlp_doc_root(d)), 0);
    CHECK_JSON(jlp_doc_root(d), "{\"$ext\":7}");
    jlp_doc_free(d);
}

/* =====================================================================================
 * NULL tolerance: every accessor given NULL or a value of another type
 * ===================================================================================== */

static void all_accessors_neutral(int line, const jlp_val *v) {
    size_t n = 77;
    double re = 5, im = 5;
    int bad = 0;
    bad |= jlp_get_bool(v) != 0;
    bad |= jlp_get_bigint(v, &n) != NULL || n != 0;
    bad |= jlp_get_bigint(v, NULL) != NULL;
    n = 77;
    bad |= jlp_get_complex(v, &re, &im) != 0 || re != 0.0 || im != 0.0;
    bad |= jlp_get_complex(v, NULL, NULL) != 0;
    bad |= jlp_get_str(v, &n) != NULL || n != 0;
    bad |= jlp_get_str(v, NULL) != NULL;
    bad |= jlp_str_eq(v, "") != 0;
    bad |= jlp_len(v) != 0;
    bad |= jlp_item(v, 0) != NULL;
    bad |= jlp_dict_key(v, 0) != NULL || jlp_dict_value(v, 0) != NULL;
    bad |= jlp_dict_get(v, "a") != NULL;
    n = 77;
    bad |= jlp_global_module(v, &n) != NULL || n != 0;
    n = 77;
    bad |= jlp_global_name(v, &n) != NULL || n != 0;
    bad |= jlp_global_module(v, NULL) != NULL || jlp_global_name(v, NULL) != NULL;
    bad |= jlp_global_is(v, "builtins", "set") != 0;
    bad |= jlp_obj_get_kind(v) != JLP_OBJ_NONE;
    bad |= jlp_obj_callable(v) != NULL || jlp_obj_args(v) != NULL || jlp_obj_kwargs(v) != NULL;
    bad |= jlp_obj_state(v) != NULL || jlp_obj_items(v) != NULL || jlp_obj_dictitems(v) != NULL;
    bad |= jlp_persid_value(v) != NULL;
    bad |= jlp_ext_code(v) != 0;
    jlp_iter it = jlp_iter_make(v);
    bad |= jlp_iter_next(&it) != NULL;
    bad |= jlp_iter_value(&it) != NULL;
    if (bad) LFAIL(line, "an accessor was not neutral on %s", v ? jlp_type_name(jlp_get_type(v)) : "NULL");
}

TEST(null_tolerance) {
    all_accessors_neutral(__LINE__, NULL);
    CHECK_INT(jlp_get_type(NULL), JLP_INVALID);
    CHECK_INT(jlp_get_int(NULL), 0);
    CHECK(jlp_get_float(NULL) == 0.0);
    CHECK(jlp_iter_next(NULL) == NULL);
    CHECK(jlp_iter_value(NULL) == NULL);
    jlp_doc_free(NULL);
    CHECK(jlp_doc_root(NULL) == NULL);
    CHECK_INT(jlp_doc_protocol(NULL), -1);
    CHECK_INT(jlp_doc_consumed(NULL), 0);
    CHECK_INT(jlp_doc_ops(NULL), 0);
    CHECK_INT(jlp_doc_warnings(NULL), 0);
    CHECK_INT(jlp_doc_alloc_bytes(NULL), 0);
    jlp_read_opts_init(NULL);
    /* a value of each other kind: the accessors of the other kinds stay neutral */
    jlp_doc *d = LD("\x80\x02(NG\x3f\xf8\x00\x00\x00\x00\x00\x00t.");
    jlp_val *t = jlp_doc_root(d);
    all_accessors_neutral(__LINE__, jlp_item(t, 0));
    all_accessors_neutral(__LINE__, jlp_item(t, 1));
    CHECK_INT(jlp_get_int(jlp_item(t, 0)), 0);
    CHECK(jlp_get_float(jlp_item(t, 0)) == 0.0);
    /* and type-specific accessors on the wrong container */
    CHECK(jlp_global_module(t, NULL) == NULL);
    CHECK(jlp_obj_args(t) == NULL);
    CHECK(jlp_dict_key(t, 0) == NULL);
    CHECK(jlp_dict_get(t, "a") == NULL);
    jlp_doc_free(d);
}

TEST(type_names) {
    static const struct { jlp_type t; const char *name; } names[] = {
        {JLP_INVALID, "invalid"}, {JLP_NONE, "none"},       {JLP_BOOL, "bool"},
        {JLP_INT, "int"},         {JLP_BIGINT, "bigint"},   {JLP_FLOAT, "float"},
        {JLP_COMPLEX, "complex"}, {JLP_STR, "str"},         {JLP_BYTES, "bytes"},
        {JLP_BYTEARRAY, "bytearray"}, {JLP_TUPLE, "tuple"}, {JLP_LIST, "list"},
        {JLP_DICT, "dict"},       {JLP_SET, "set"},         {JLP_FROZENSET, "frozenset"},
        {JLP_GLOBAL, "global"},   {JLP_OBJECT, "object"},   {JLP_NDARRAY, "ndarray"},
        {JLP_SCALAR, "scalar"},   {JLP_DTYPE, "dtype"},     {JLP_PERSID, "persid"},
        {JLP_EXT, "ext"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK_INT(names[i].t, i);
        CHECK_STR(jlp_type_name(names[i].t), names[i].name);
    }
    CHECK_STR(jlp_type_name((jlp_type)22), "invalid");
    CHECK_STR(jlp_type_name((jlp_type)1000), "invalid");
    CHECK_STR(jlp_type_name((jlp_type)-1), "invalid");
}

/* =====================================================================================
 * Allowlisted reconstructions and their inert fallbacks
 * ===================================================================================== */

static void inert_line(int line, const void *p, size_t n, const char *module, const char *name) {
    jlp_doc *d = load_line(line, p, n, NULL);
    jlp_val *o = jlp_doc_root(d);
    if (jlp_get_type(o) != JLP_OBJECT || jlp_obj_get_kind(o) != JLP_OBJ_REDUCE ||
        !jlp_global_is(jlp_obj_callable(o), module, name))
        LFAIL(line, "got %s (kind %d), expected an inert call of %s.%s",
              jlp_type_name(jlp_get_type(o)), (int)jlp_obj_get_kind(o), module, name);
    jlp_doc_free(d);
}
#define INERT(lit, m, n) inert_line(__LINE__, (lit), sizeof(lit) - 1, (m), (n))

TEST(reconstruct_set_frozenset) {
    jlp_doc *d = LD("\x80\x02(c__builtin__\nset\n](K\x01K\x02" "e\x85R"
                    "c__builtin__\nset\n(K\x03t\x85R"
                    "c__builtin__\nset\n)R"
                    "c__builtin__\nfrozenset\n](K\x04" "e\x85R"
                    "cbuiltins\nfrozenset\n)Rt.");
    jlp_val *t = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(jlp_item(t, 0)), JLP_SET);
    CHECK_INT(jlp_get_type(jlp_item(t, 1)), JLP_SET);
    CHECK_INT(jlp_get_type(jlp_item(t, 2)), JLP_SET);
    CHECK_INT(jlp_get_type(jlp_item(t, 3)), JLP_FROZENSET);
    CHECK_INT(jlp_get_type(jlp_item(t, 4)), JLP_FROZENSET);
    CHECK_JSON(t, "{\"$tuple\":[{\"$set\":[1,2]},{\"$set\":[3]},{\"$set\":[]},"
                  "{\"$frozenset\":[4]},{\"$frozenset\":[]}]}");
    jlp_doc_free(d);
    /* protocol 0 form */
    JSON_OF("c__builtin__\nset\np0\n((lp1\nI1\naI2\natp2\nRp3\n.", "{\"$set\":[1,2]}");
    INERT("\x80\x02" "c__builtin__\nset\nK\x05\x85R.", "builtins", "set");
    INERT("\x80\x02" "c__builtin__\nset\n]]\x86R.", "builtins", "set");
    INERT("\x80\x02" "c__builtin__\nfrozenset\n}\x85R.", "builtins", "frozenset");
}

TEST(reconstruct_bytes) {
    JSON_OF("\x80\x02" "c__builtin__\nbytes\n)R.", "{\"$bytes\":\"\"}");
    JSON_OF("\x80\x03" "cbuiltins\nbytes\nC\x03" "abc\x85R.", "{\"$bytes\":\"YWJj\"}");
    JSON_OF("\x80\x02" "c_codecs\nencode\nX\x05\x00\x00\x00" "caf\xc3\xa9X\x06\x00\x00\x00latin1\x86R.",
            "{\"$bytes\":\"Y2Fm6Q==\"}");
    JSON_OF("\x80\x02" "c_codecs\nencode\nX\x01\x00\x00\x00xX\x07\x00\x00\x00latin-1\x86R.",
            "{\"$bytes\":\"eA==\"}");
    jlp_doc *d = LD("\x80\x02" "c_codecs\nencode\nX\x05\x00\x00\x00" "caf\xc3\xa9X\x06\x00\x00\x00latin1\x86R.");
    CHECK_BYTES(jlp_doc_root(d), JLP_BYTES, "caf\xe9");
    jlp_doc_free(d);
    INERT("\x80\x03" "cbuiltins\nbytes\nK\x03\x85R.", "builtins", "bytes");
    INERT("\x80\x03" "cbuiltins\nbytes\nX\x01\x00\x00\x00x\x85R.", "builtins", "bytes");
    INERT("\x80\x02" "c_codecs\nencode\nX\x02\x00\x00\x00\xc4\x80X\x06\x00\x00\x00latin1\x86R.",
          "_codecs", "encode");
    INERT("\x80\x02" "c_codecs\nencode\nX\x01\x00\x00\x00xX\x05\x00\x00\x00utf-8\x86R.", "_codecs", "encode");
    INERT("\x80\x02" "c_codecs\nencode\nC\x01xX\x06\x00\x00\x00latin1\x86R.", "_codecs", "encode");
    INERT("\x80\x02" "c_codecs\nencode\nX\x01\x00\x00\x00x\x85R.", "_codecs", "encode");
}

TEST(reconstruct_bytearray) {
    jlp_doc *d = LD("\x80\x02" "c__builtin__\nbytearray\nX\x05\x00\x00\x00" "caf\xc3\xa9X\x07\x00\x00\x00latin-1\x86R.");
    CHECK_BYTES(jlp_doc_root(d), JLP_BYTEARRAY, "caf\xe9");
    CHECK_JSON(jlp_doc_root(d), "{\"$bytearray\":\"Y2Fm6Q==\"}");
    jlp_doc_free(d);
    /* protocol 0 writes the same call with UNICODE strings */
    d = LD("c__builtin__\nbytearray\np0\n(Vab\\u00ff\np1\nVlatin-1\np2\ntp3\nRp4\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_BYTEARRAY, "ab\xff");
    jlp_doc_free(d);
    d = LD("\x80\x03" "cbuiltins\nbytearray\nC\x03" "abc\x85R.");
    CHECK_BYTES(jlp_doc_root(d), JLP_BYTEARRAY, "abc");
    jlp_doc_free(d);
    /* a long bytes argument (may be borrowed from the input) is copied into a bytearray */
    static const char head[] = "\x80\x03" "cbuiltins\nbytearray\nC\x40";
    uint8_t in[200];
    size_t hn = sizeof head - 1;
    memcpy(in, head, hn);
    memset(in + hn, 'z', 64);
    memcpy(in + hn + 64, "\x85R.", 3);
    d = load_line(__LINE__, in, hn + 67, NULL);
    size_t n = 0;
    const char *p = jlp_get_str(jlp_doc_root(d), &n);
    CHECK_INT(jlp_get_type(jlp_doc_root(d)), JLP_BYTEARRAY);
    CHECK_INT(n, 64);
    CHECK(p && (p < (const char *)in || p >= (const char *)in + sizeof in));
    jlp_doc_free(d);
    JSON_OF("\x80\x03" "cbuiltins\nbytearray\n)R.", "{\"$bytearray\":\"\"}");
    INERT("\x80\x03" "cbuiltins\nbytearray\nK\x05\x85R.", "builtins", "bytearray");
    INERT("\x80\x02" "c__builtin__\nbytearray\nX\x02\x00\x00\x00\xc4\x80X\x07\x00\x00\x00latin-1\x86R.",
          "builtins", "bytearray");
    INERT("\x80\x02" "c__builtin__\nbytearray\nX\x01\x00\x00\x00xX\x05\x00\x00\x00utf-8\x86R.",
          "builtins", "bytearray");
    INERT("\x80\x02" "c__builtin__\nbytearray\n(X\x01\x00\x00\x00xX\x06\x00\x00\x00latin1X\x06\x00\x00\x00stricttR.",
          "builtins", "bytearray");
}

TEST(reconstruct_ordereddict) {
    jlp_doc *d = LD("\x80\x02" "ccollections\nOrderedDict\n)R(K\x01K\x02X\x01\x00\x00\x00" "aNu.");
    jlp_val *v = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(v), JLP_DICT);
    CHECK_INT(jlp_len(v), 2);
    CHECK_JSON(v, "{\"$dict\":[[1,2],[\"a\",null]]}");
    jlp_doc_free(d);
    JSON_OF("\x80\x02" "ccollections\nOrderedDict\n)R.", "{}");
    INERT("\x80\x02" "ccollections\nOrderedDict\n]\x85R.", "collections", "OrderedDict");
}

/* =====================================================================================
 * py2str modes
 * ===================================================================================== */

static void py2_line(int line, const char *in, size_t n, jlp_py2str mode, jlp_type t,
                     const char *want, size_t wn) {
    jlp_read_opts o = opts_py2(mode);
    jlp_doc *d = load_line(line, in, n, &o);
    if (d) bytes_line(line, jlp_doc_root(d), t, want, wn);
    jlp_doc_free(d);
}
#define PY2(lit, mode, t, want) py2_line(__LINE__, (lit), sizeof(lit) - 1, (mode), (t), (want), sizeof(want) - 1)

TEST(py2str_modes) {
#define SLO(lit, op) {(lit), sizeof(lit) - 1, (op)}
    static const struct { const char *p; size_t n; int op; } ascii[] = {
        SLO("U\x03" "abc.", 'U'),
        SLO("T\x03\x00\x00\x00" "abc.", 'T'),
        SLO("S'abc'\n.", 'S'),
    }, latin[] = {
        SLO("U\x02\xe9x.", 'U'),
        SLO("T\x02\x00\x00\x00\xe9x.", 'T'),
        SLO("S'\xe9x'\n.", 'S'),
        SLO("S'\\xe9x'\n.", 'S'),
    };
    for (size_t i = 0; i < 3; i++) {
        py2_line(__LINE__, ascii[i].p, ascii[i].n, JLP_PY2STR_AUTO, JLP_STR, "abc", 3);
        py2_line(__LINE__, ascii[i].p, ascii[i].n, JLP_PY2STR_BYTES, JLP_BYTES, "abc", 3);
        py2_line(__LINE__, ascii[i].p, ascii[i].n, JLP_PY2STR_LATIN1, JLP_STR, "abc", 3);
        py2_line(__LINE__, ascii[i].p, ascii[i].n, JLP_PY2STR_ASCII, JLP_STR, "abc", 3);
    }
    for (size_t i = 0; i < 4; i++) {
        py2_line(__LINE__, latin[i].p, latin[i].n, JLP_PY2STR_AUTO, JLP_BYTES, "\xe9x", 2);
        py2_line(__LINE__, latin[i].p, latin[i].n, JLP_PY2STR_BYTES, JLP_BYTES, "\xe9x", 2);
        py2_line(__LINE__, latin[i].p, latin[i].n, JLP_PY2STR_LATIN1, JLP_STR, "\xc3\xa9x", 3);
        jlp_read_opts o = opts_py2(JLP_PY2STR_ASCII);
        err_line(__LINE__, latin[i].p, latin[i].n, &o, JLP_E_BAD_VALUE, 0, latin[i].op);
    }
    /* the default is AUTO */
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    CHECK_INT(o.py2str, JLP_PY2STR_AUTO);
    /* the ASCII error points at the opcode, also mid-stream */
    jlp_read_opts oa = opts_py2(JLP_PY2STR_ASCII);
    ERRO("\x80\x02]U\x01\x80.", &oa, JLP_E_BAD_VALUE, 3, 'U');
    /* the JSON of each outcome */
    jlp_read_opts ol = opts_py2(JLP_PY2STR_LATIN1);
    jlp_doc *d = LDO("U\x02\xe9x.", &ol);
    CHECK_JSON(jlp_doc_root(d), "\"\xc3\xa9x\"");
    jlp_doc_free(d);
    JSON_OF("U\x02\xe9x.", "{\"$bytes\":\"6Xg=\"}");
}

/* =====================================================================================
 * Protocol 0 text opcodes
 * ===================================================================================== */

TEST(text_int) {
    jlp_doc *d = LD("(I00\nI01\nI42\nI-7\nI 12 \nI+5\nI0\nI9223372036854775807\n"
                    "I-9223372036854775808\nI9223372036854775808\nl.");
    jlp_val *l = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(jlp_item(l, 0)), JLP_BOOL);
    CHECK_INT(jlp_get_type(jlp_item(l, 1)), JLP_BOOL);
    CHECK_INT(jlp_get_type(jlp_item(l, 2)), JLP_INT);
    CHECK_INT(jlp_get_type(jlp_item(l, 6)), JLP_INT);
    CHECK_INT(jlp_get_type(jlp_item(l, 8)), JLP_INT);
    CHECK_INT(jlp_get_int(jlp_item(l, 8)), INT64_MIN);
    CHECK_INT(jlp_get_type(jlp_item(l, 9)), JLP_BIGINT);
    CHECK_JSON(l, "[false,true,42,-7,12,5,0,9223372036854775807,-9223372036854775808,"
                  "9223372036854775808]");
    jlp_doc_free(d);
    ERR("I1.5\n.", JLP_E_BAD_VALUE, 0, 'I');
    ERR("I\n.", JLP_E_BAD_VALUE, 0, 'I');
    ERR("I010\n.", JLP_E_BAD_VALUE, 0, 'I');    /* pickle.py's int('010', 0) refuses it */
    ERR("I12L\n.", JLP_E_BAD_VALUE, 0, 'I');    /* INT takes no Python 2 L */
    ERR("I1 2\n.", JLP_E_BAD_VALUE, 0, 'I');
    ERR("I-\n.", JLP_E_BAD_VALUE, 0, 'I');
}

TEST(text_long) {
    jlp_doc *d = LD("(L12L\nL-5\nL0L\nL123456789012345678901234567890L\nL-123456789012345678901234567890\nl.");
    jlp_val *l = jlp_doc_root(d);
    CHECK_INT(jlp_get_int(jlp_item(l, 0)), 12);
    CHECK_INT(jlp_get_type(jlp_item(l, 3)), JLP_BIGINT);
    CHECK_JSON(l, "[12,-5,0,123456789012345678901234567890,-123456789012345678901234567890]");
    jlp_doc_free(d);
    ERR("LL\n.", JLP_E_BAD_VALUE, 0, 'L');
    ERR("L12LL\n.", JLP_E_BAD_VALUE, 0, 'L');
    ERR("L1e3\n.", JLP_E_BAD_VALUE, 0, 'L');
}

/* Plain decimal text (what protocol 0 writes) takes a short path in the reader; around
 * its edges the general parsers decide, and both must give the same values. */
TEST(text_int_plain_decimal_edges) {
    JSON_OF("(I0\nI7\nI-7\nI100\nI123456789012345678\nI-123456789012345678\nI1234567890123456789\n"
            "I-1234567890123456789\nI-0\nI00\nI01\nI10\nI-1\nl.",
            "[0,7,-7,100,123456789012345678,-123456789012345678,1234567890123456789,"
            "-1234567890123456789,0,false,true,10,-1]");
    JSON_OF("(L0L\nL999999999999999999L\nL-999999999999999999L\nL1000000000000000000L\nL-0L\nL42\nl.",
            "[0,999999999999999999,-999999999999999999,1000000000000000000,0,42]");
    /* memo text: plain keys and the general parser's (leading zeros) name the same slots */
    JSON_OF("(I5\np0\nI6\np17\ng0\ng017\ng00\nl.", "[5,6,5,6,5]");
    ERR("(I5\np-1\n.", JLP_E_BAD_VALUE, 4, 'p');  /* negative memo index */
    ERR("I007\n.", JLP_E_BAD_VALUE, 0, 'I');    /* int('007', 0) refuses it */
    ERR("I--5\n.", JLP_E_BAD_VALUE, 0, 'I');
    ERR("I12a\n.", JLP_E_BAD_VALUE, 0, 'I');
    ERR("L12aL\n.", JLP_E_BAD_VALUE, 0, 'L');
    /* limits.max_bigint_digits holds for short plain text too */
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_bigint_digits = 5;
    o.limits = &lim;
    ERRO("I123456\n.", &o, JLP_E_LIMIT, 0, 'I');
    ERRO("L-123456L\n.", &o, JLP_E_LIMIT, 0, 'L');
    ERRO("L1234567890123456789012345L\n.", &o, JLP_E_LIMIT, 0, 'L');
    JSON_OF("(I12345678901234567890123\nL-98765432109876543210987654321L\nL10000000000000000000\nl.",
            "[12345678901234567890123,-98765432109876543210987654321,10000000000000000000]");
    jlp_doc *d = LDO("(I12345\nL-12345L\nI0\nl.", &o);
    if (d) CHECK_JSON(jlp_doc_root(d), "[12345,-12345,0]");
    jlp_doc_free(d);
}

/* UNICODE text: ASCII without a backslash is the text itself; escapes and Latin-1 bytes
 * go through the raw-unicode-escape decoder. */
TEST(text_unicode_plain_and_escaped) {
    JSON_OF("(V\nVabc def\nV\\u00e9t\\u00e9\nVa\\b\nV\xe9\nVx\\U0001f600\nl.",
            "[\"\",\"abc def\",\"\xc3\xa9t\xc3\xa9\",\"a\\\\b\",\"\xc3\xa9\",\"x\xf0\x9f\x98\x80\"]");
}

TEST(text_float) {
    jlp_doc *d = LD("(F1.5\nF-0.0\nFnan\nFinf\nF-inf\nFInfinity\nF1e3\nF.5\nF5.\nF1e400\nF 2.5 \nF-NaN\nl.");
    jlp_val *l = jlp_doc_root(d);
    CHECK(jlp_get_float(jlp_item(l, 0)) == 1.5);
    CHECK(signbit(jlp_get_float(jlp_item(l, 1))));
    CHECK(isnan(jlp_get_float(jlp_item(l, 2))));
    CHECK(jlp_get_float(jlp_item(l, 3)) == INFINITY);
    CHECK(jlp_get_float(jlp_item(l, 4)) == -INFINITY);
    CHECK_JSON(l, "[1.5,-0.0,{\"$float\":\"nan\"},{\"$float\":\"inf\"},{\"$float\":\"-inf\"},"
                  "{\"$float\":\"inf\"},1000.0,0.5,5.0,{\"$float\":\"inf\"},2.5,{\"$float\":\"nan\"}]");
    jlp_doc_free(d);
    ERR("Fabc\n.", JLP_E_BAD_VALUE, 0, 'F');
    ERR("F1e\n.", JLP_E_BAD_VALUE, 0, 'F');
    ERR("F0x1p3\n.", JLP_E_BAD_VALUE, 0, 'F');
    ERR("F\n.", JLP_E_BAD_VALUE, 0, 'F');
    ERR("F1.5", JLP_E_TRUNCATED, 0, 'F');
}

TEST(text_string_escapes) {
    jlp_doc *d = LD("S'a\\nb\\tc\\\\d\\'e\\\"f'\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_STR, "a\nb\tc\\d'e\"f");
    jlp_doc_free(d);
    d = LD("S'\\x41\\101\\7\\a\\b\\f\\r\\v'\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_STR, "AA\x07\x07\x08\x0c\x0d\x0b");
    jlp_doc_free(d);
    /* octal: up to three digits, the low byte of \400 */
    d = LD("S'\\400\\1234'\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_STR, "\x00S4");
    jlp_doc_free(d);
    /* unknown escapes stay as written; double quotes work too */
    d = LD("S\"\\q'\"\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_STR, "\\q'");
    jlp_doc_free(d);
    /* \x escapes above 0x7f make a non-ASCII py2 str: bytes in AUTO mode */
    d = LD("S'\\xff\\x00'\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_BYTES, "\xff\x00");
    jlp_doc_free(d);
}

TEST(text_unicode_raw_escape) {
    jlp_doc *d = LD("Vabc\\u00e9\\U0001f600\\u20ac\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_STR, "abc\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac");
    jlp_doc_free(d);
    /* raw bytes are Latin-1 code points */
    d = LD("V\xe9\xff\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_STR, "\xc3\xa9\xc3\xbf");
    jlp_doc_free(d);
    /* other backslashes are literal */
    d = LD("Va\\x41\\n\\\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_STR, "a\\x41\\n\\");
    jlp_doc_free(d);
    /* \U0010ffff is the largest */
    d = LD("V\\U0010ffff\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_STR, "\xf4\x8f\xbf\xbf");
    jlp_doc_free(d);
    ERR("V\\U00110000\n.", JLP_E_BAD_VALUE, 0, 'V');
    ERR("NV\\Uffffffff\n.", JLP_E_BAD_VALUE, 1, 'V');
    ERR("V\\u12\n.", JLP_E_BAD_VALUE, 0, 'V');
    ERR("V\\U1234\n.", JLP_E_BAD_VALUE, 0, 'V');
    ERR("V\\u12g4\n.", JLP_E_BAD_VALUE, 0, 'V');
    ERR("Vabc", JLP_E_TRUNCATED, 0, 'V');
}

TEST(text_unicode_even_backslashes) {
    /* raw-unicode-escape: \u is an escape only after an odd number of backslashes.
     * Python: b'\\\\u0041' -> '\\\\u0041' (7 chars), b'\\\\\\u0041' -> '\\\\A'. */
    jlp_doc *d = LD("V\\\\u0041\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_STR, "\\\\u0041");
    jlp_doc_free(d);
    d = LD("V\\\\\\u0041\n.");
    CHECK_BYTES(jlp_doc_root(d), JLP_STR, "\\\\A");
    jlp_doc_free(d);
}

TEST(json_ref_pointers_inside_objects) {
    JSON_OF("\x80\x02" "cm\nC\n]\x94\x85\x81h\x00" "b.",
            "{\"$object\":{\"class\":\"m.C\",\"args\":[[]],\"state\":{\"$ref\":\"/$object/args/0\"}}}");
    JSON_OF("\x80\x02" "cm\nC\n)\x81]\x94" "ah\x00" "b.",
            "{\"$object\":{\"class\":\"m.C\",\"state\":[],\"items\":[{\"$ref\":\"/$object/state\"}]}}");
    JSON_OF("\x80\x02" "cm\nC\n)\x81K\x01]\x94sh\x00\x86.",
            "{\"$tuple\":[{\"$object\":{\"class\":\"m.C\",\"dictitems\":[[1,[]]]}},"
            "{\"$ref\":\"/$tuple/0/$object/dictitems/0/1\"}]}");
    JSON_OF("\x80\x04" "cm\nC\n)}\x94\x8c\x01kK\x01s\x92h\x00\x86.",
            "{\"$tuple\":[{\"$object\":{\"class\":\"m.C\",\"kwargs\":{\"k\":1}}},"
            "{\"$ref\":\"/$tuple/0/$object/kwargs\"}]}");
    JSON_OF("\x80\x02]\x94Qh\x00\x86.", "{\"$tuple\":[{\"$persid\":[]},{\"$ref\":\"/$tuple/0/$persid\"}]}");
}

TEST(json_ref_pointer_escaping) {
    JSON_OF("\x80\x04}(\x8c\x03" "a\"b]\x94\x8c\x01" "ch\x00u.",
            "{\"a\\\"b\":[],\"c\":{\"$ref\":\"/a\\\"b\"}}");
    /* a lone surrogate in a key is escaped in the pointer as in the key: the output
     * must stay valid UTF-8 */
    JSON_OF("\x80\x04}(\x8c\x03\xed\xa0\x80]\x94\x8c\x01" "bh\x00u.",
            "{\"\\ud800\":[],\"b\":{\"$ref\":\"/\\ud800\"}}");
}

TEST(json_duplicate_str_keys) {
    JSON_OF("\x80\x04}(\x8c\x01" "aK\x01\x8c\x01" "aK\x02u.", "{\"$dict\":[[\"a\",1],[\"a\",2]]}");
}

TEST(bytes_from_memory_are_not_copied) {
    /* jlp_load_mem copies nothing: a 1 MiB BINBYTES costs no 1 MiB in the document */
    size_t n = 1u << 20;
    uint8_t *in = malloc(n + 16);
    memcpy(in, "\x80\x03" "B\x00\x00\x10\x00", 7);
    memset(in + 7, 0x5a, n);
    in[n + 7] = '.';
    jlp_doc *d = load_line(__LINE__, in, n + 8, NULL);
    size_t len = 0;
    CHECK(jlp_get_str(jlp_doc_root(d), &len) != NULL);
    CHECK_INT(len, n);
    CHECK(jlp_doc_alloc_bytes(d) < 65536);
    jlp_doc_free(d);
    free(in);
}

/* =====================================================================================
 * Export entry points
 * ===================================================================================== */

typedef struct sink {
    char *data;
    size_t len, cap;
    int calls, fail_at;
} sink;

static int sink_write(void *ctx, const void *p, size_t n) {
    sink *s = ctx;
    s->calls++;
    if (s->fail_at && s->calls >= s->fail_at) return -1;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        while (cap < s->len + n) cap *= 2;
        char *nd = realloc(s->data, cap);
        if (!nd) return -1;
        s->data = nd;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
    return 0;
}

TEST(export_entry_points) {
    jlp_doc *d = LD("\x80\x04}(\x8c\x01" "a](K\x01\x88N" "e\x8c\x01" "bC\x01" "zu.");
    jlp_val *v = jlp_doc_root(d);
    const char *want = "{\"a\":[1,true,null],\"b\":{\"$bytes\":\"eg==\"}}\n";
    jlp_error err;
    size_t len = 99;
    char *s = jlp_export_json_str(v, NULL, &len, &err);
    CHECK_STR(s, want);
    CHECK_INT(len, strlen(want));
    CHECK_INT(err.code, JLP_OK);
    free(s);
    s = jlp_export_json_str(v, NULL, NULL, NULL);
    CHECK_STR(s, want);
    free(s);
    /* a callback writer */
    sink k = {0};
    CHECK_INT(jlp_export_json(v, NULL, sink_write, &k, &err), JLP_OK);
    CHECK_INT(k.len, strlen(want));
    CHECK(k.data && !memcmp(k.data, want, k.len));
    free(k.data);
    /* a FILE */
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(jlp_export_json_file(v, NULL, f, &err), JLP_OK);
        rewind(f);
        char buf[256] = {0};
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        CHECK_INT(got, strlen(want));
        CHECK_STR(buf, want);
        fclose(f);
    }
    /* max_items does not touch plain containers */
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = 1;
    s = jlp_export_json_str(v, &jo, NULL, &err);
    CHECK_STR(s, want);
    free(s);
    /* invalid arguments */
    len = 99;
    CHECK(jlp_export_json_str(NULL, NULL, &len, &err) == NULL);
    CHECK_INT(err.code, JLP_E_INVALID_ARG);
    CHECK_INT(len, 0);
    CHECK_INT(jlp_export_json(NULL, NULL, sink_write, &k, &err), JLP_E_INVALID_ARG);
    CHECK_INT(err.code, JLP_E_INVALID_ARG);
    CHECK_INT(jlp_export_json(v, NULL, NULL, NULL, &err), JLP_E_INVALID_ARG);
    CHECK_INT(jlp_export_json_file(v, NULL, NULL, &err), JLP_E_INVALID_ARG);
    CHECK_INT(err.code, JLP_E_INVALID_ARG);
    CHECK_INT(jlp_export_json_file(NULL, NULL, stdout, &err), JLP_E_INVALID_ARG);
    jlp_doc_free(d);
}

TEST(export_failing_writers) {
    jlp_doc *d = LD("\x80\x04](K\x01K\x02" "e.");
    jlp_error err;
    sink k = {0};
    k.fail_at = 1;
    CHECK_INT(jlp_export_json(jlp_doc_root(d), NULL, sink_write, &k, &err), JLP_E_IO);
    CHECK_INT(err.code, JLP_E_IO);
    CHECK_INT(k.calls, 1);
    free(k.data);
    jlp_doc_free(d);
    /* a large export is written in several blocks: fail the second, no call after it */
    enum { N = 100000 };
    size_t n = 0;
    uint8_t *in = malloc(2 * N + 8);
    in[n++] = 0x80;
    in[n++] = 0x04;
    in[n++] = ']';
    in[n++] = '(';
    for (int i = 0; i < N; i++) {
        in[n++] = 'K';
        in[n++] = (uint8_t)(i % 100);
    }
    in[n++] = 'e';
    in[n++] = '.';
    d = load_line(__LINE__, in, n, NULL);
    sink all = {0};
    CHECK_INT(jlp_export_json(jlp_doc_root(d), NULL, sink_write, &all, &err), JLP_OK);
    CHECK(all.calls > 1);
    char *s = jlp_export_json_str(jlp_doc_root(d), NULL, NULL, &err);
    CHECK(s && strlen(s) == all.len && !memcmp(s, all.data, all.len));
    free(s);
    free(all.data);
    sink k2 = {0};
    k2.fail_at = 2;
    CHECK_INT(jlp_export_json(jlp_doc_root(d), NULL, sink_write, &k2, &err), JLP_E_IO);
    CHECK_INT(k2.calls, 2);
    free(k2.data);
    /* a FILE that cannot be written */
    FILE *f = tmpfile();
    if (f) {
        int fd = dup(fileno(f));
        FILE *ro = fd >= 0 ? fdopen(fd, "r") : NULL;
        if (ro) {
            CHECK_INT(jlp_export_json_file(jlp_doc_root(d), NULL, ro, &err), JLP_E_IO);
            CHECK_INT(err.code, JLP_E_IO);
            fclose(ro);
        }
        fclose(f);
    }
    jlp_doc_free(d);
    free(in);
}

/* =====================================================================================
 * numpy scalar runs: the fast path's whole-run reading of scalar(dtype, encode(str,
 * 'latin1')) and scalar(dtype, bytes) (pickle/reader.c np_scalar_run) against the
 * opcode-by-opcode execution (a load with a trace callback never takes the fast path)
 * ===================================================================================== */

typedef struct nps_buf {
    uint8_t *p;
    size_t n, cap;
} nps_buf;

static void nb_put(nps_buf *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}
static void nb_byte(nps_buf *b, int c) { uint8_t x = (uint8_t)c; nb_put(b, &x, 1); }
static void nb_le32(nps_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    nb_put(b, x, 4);
}

static uint64_t nps_rng;
static uint32_t nps_rand(void) {
    nps_rng ^= nps_rng << 13;
    nps_rng ^= nps_rng >> 7;
    nps_rng ^= nps_rng << 17;
    return (uint32_t)(nps_rng >> 11);
}
static int nps_chance(int one_in) { return nps_rand() % (uint32_t)one_in == 0; }

/* What Python's pickler writes, protocol `proto`, with the memo counted here. */
typedef struct nps_gen {
    nps_buf b;
    int proto;
    uint32_t next_key;
    int64_t k_scalar, k_encode, k_latin1, k_dtype[16];
    int clobbered;
    int bend;         /* 0: the shapes Python writes; else bent shapes at 1/bend of this */
} nps_gen;

/* a bent shape, never when the generator writes what Python writes */
static int g_bend(const nps_gen *g, int one_in) { return g->bend && nps_chance(one_in * g->bend); }

static void g_put(nps_gen *g) {
    uint32_t k = g->next_key++;
    if (g->proto >= 4) nb_byte(&g->b, 0x94);          /* MEMOIZE */
    else if (k < 256) { nb_byte(&g->b, 'q'); nb_byte(&g->b, (int)k); }
    else { nb_byte(&g->b, 'r'); nb_le32(&g->b, k); }
}
static void g_get(nps_gen *g, uint32_t k) {
    if (k < 256) { nb_byte(&g->b, 'h'); nb_byte(&g->b, (int)k); }
    else { nb_byte(&g->b, 'j'); nb_le32(&g->b, k); }
}
static void g_str(nps_gen *g, const void *p, size_t n) {
    if (g->proto >= 4 && n < 256) { nb_byte(&g->b, 0x8c); nb_byte(&g->b, (int)n); }
    else { nb_byte(&g->b, 'X'); nb_le32(&g->b, (uint32_t)n); }
    nb_put(&g->b, p, n);
}
static void g_global(nps_gen *g, const char *mod, const char *name, int64_t *key) {
    if (*key >= 0) { g_get(g, (uint32_t)*key); return; }
    nb_byte(&g->b, 'c');
    nb_put(&g->b, mod, strlen(mod));
    nb_byte(&g->b, '\n');
    nb_put(&g->b, name, strlen(name));
    nb_byte(&g->b, '\n');
    *key = g->next_key;
    g_put(g);
}

/* numpy's dtypes as numpy pickles them: dtype(code, False, True) + BUILD of
 * (3, order, None, None, None, -1, -1, flags) */
static const struct { const char *code, *order; int itemsize, flags; } nps_dtypes[] = {
    {"b1", "|", 1, 0},  {"i1", "|", 1, 0},  {"u1", "|", 1, 0},  {"i2", "<", 2, 0},
    {"u2", ">", 2, 0},  {"i4", "<", 4, 0},  {"u4", "<", 4, 0},  {"i8", ">", 8, 0},
    {"u8", "<", 8, 0},  {"f2", "<", 2, 0},  {"f4", ">", 4, 0},  {"f8", "<", 8, 0},
    {"f16", "<", 16, 0}, {"c8", "<", 8, 0}, {"c16", ">", 16, 0}, {"c32", "<", 32, 0},
};
#define NPS_NDT (sizeof nps_dtypes / sizeof nps_dtypes[0])

static void g_dtype(nps_gen *g, size_t d, int64_t *k_dtype_global) {
    if (g->k_dtype[d] >= 0) { g_get(g, (uint32_t)g->k_dtype[d]); return; }
    g_global(g, "numpy", "dtype", k_dtype_global);
    g_str(g, nps_dtypes[d].code, strlen(nps_dtypes[d].code));
    g_put(g);
    nb_put(&g->b, "\x89\x88\x87", 3);  /* NEWFALSE NEWTRUE TUPLE3 */
    g_put(g);
    nb_byte(&g->b, 'R');
    g->k_dtype[d] = g->next_key;
    g_put(g);
    nb_byte(&g->b, '(');
    nb_put(&g->b, "K\x03", 2);
    g_str(g, nps_dtypes[d].order, 1);
    g_put(g);
    nb_put(&g->b, "NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK", 14);
    nb_byte(&g->b, nps_dtypes[d].flags);
    nb_byte(&g->b, 't');
    g_put(g);
    nb_byte(&g->b, 'b');
}

/* One scalar as Python writes it, sometimes bent (a shape the fast path must leave to
 * the general loop, or an error it must report exactly as the general loop does).
 * `item` receives its bytes; @return the itemsize, or -1 when the value is bent. */
static int g_scalar(nps_gen *g, int64_t *k_dtype_global, uint8_t *item) {
    size_t d = nps_rand() % NPS_NDT;
    int isz = nps_dtypes[d].itemsize, bent = 0;
    for (int i = 0; i < isz; i++) {
        /* bytes of every kind: ASCII, C2/C3 pairs in UTF-8, runs of one value */
        uint32_t r = nps_rand();
        item[i] = (uint8_t)(r % 4 == 0 ? 0 : r % 4 == 1 ? 0x80 | (r >> 8) : r >> 8);
    }
    g_global(g, "numpy.core.multiarray", "scalar", &g->k_scalar);
    g_dtype(g, d, k_dtype_global);
    if (g->proto <= 2) {
        g_global(g, "_codecs", "encode", &g->k_encode);
        uint8_t u[80];
        size_t n = 0;
        for (int i = 0; i < isz; i++) {
            if (item[i] < 0x80) u[n++] = item[i];
            else { u[n++] = (uint8_t)(0xC0 | (item[i] >> 6)); u[n++] = (uint8_t)(0x80 | (item[i] & 0x3F)); }
        }
        int lone_lead = 0;
        if (g_bend(g, 25)) { u[n++] = 0xC4; u[n++] = 0x80; bent = 1; }        /* U+0100 */
        else if (g_bend(g, 25) && n) { n--; bent = 1; }                          /* short or broken */
        else if (g_bend(g, 40)) { u[n++] = 0xE2; u[n++] = 0x82; u[n++] = 0xAC; bent = 1; }
        else if (g_bend(g, 30) && u[0] < 0x80) {
            /* the first code point in the overlong form C0/C1 + continuation (invalid
             * UTF-8, as many code points) */
            memmove(u + 2, u + 1, n - 1);
            uint8_t c = u[0];
            u[0] = (uint8_t)(0xC0 | (c >> 6));
            u[1] = (uint8_t)(0x80 | (c & 0x3F));
            n++;
            bent = 1;
        } else if (g_bend(g, 30) && n >= 2 && u[n - 2] >= 0xC2) {
            /* the text ends in a lead byte, and the opcode after it (MEMOIZE, 0x94) looks
             * like the continuation byte it lacks */
            n--;
            lone_lead = 1;
            bent = 1;
        }
        if (nps_chance(20)) {                                                     /* SHORT_BINUNICODE */
            nb_byte(&g->b, 0x8c);
            nb_byte(&g->b, (int)n);
            nb_put(&g->b, u, n);
        } else {
            g_str(g, u, n);
        }
        if (lone_lead) {
            nb_byte(&g->b, 0x94);
            g->next_key++;
        } else {
            g_put(g);
        }
        if (nps_chance(30)) { g_str(g, "latin-1", 7); g_put(g); }
        else if (g_bend(g, 40)) { g_str(g, "utf8", 4); g_put(g); bent = 1; }
        else if (g->k_latin1 >= 0) g_get(g, (uint32_t)g->k_latin1);
        else { g_str(g, "latin1", 6); g->k_latin1 = g->next_key; g_put(g); }
        nb_byte(&g->b, 0x86);
        g_put(g);
        nb_byte(&g->b, 'R');
        g_put(g);
    } else {
        size_t n = (size_t)isz;
        if (g_bend(g, 30)) { n = n ? n - 1 : 1; bent = 1; }
        if (nps_chance(20)) { nb_byte(&g->b, 'B'); nb_le32(&g->b, (uint32_t)n); }
        else { nb_byte(&g->b, 'C'); nb_byte(&g->b, (int)n); }
        nb_put(&g->b, item, n);
        g_put(g);
    }
    nb_byte(&g->b, 0x86);
    if (!g_bend(g, 50)) g_put(g);
    nb_byte(&g->b, 'R');
    if (g_bend(g, 50)) {
        /* a PUT that reuses a key, or none */
        if (nps_chance(2) && g->next_key) {
            nb_byte(&g->b, 'q');
            nb_byte(&g->b, (int)(nps_rand() % g->next_key % 256));
            g->clobbered = 1; /* a global or dtype fetched later may be this scalar */
        }
    } else {
        g_put(g);
    }
    return bent ? -1 : isz;
}

static int trace_continue(void *ctx, const jlp_event *ev) {
    (void)ctx;
    (void)ev;
    return 0;
}

/* The JSON of a load, or its error, as one string. */
static char *nps_outcome(const uint8_t *p, size_t n, const jlp_limits *lim, bool general) {
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    o.limits = lim;
    if (general) o.trace = trace_continue;
    jlp_error err;
    jlp_doc *d = jlp_load_mem(p, n, &o, NULL, &err);
    char *s;
    if (!d) {
        s = malloc(600);
        snprintf(s, 600, "error %s at %llu op %d: %s", jlp_error_name(err.code),
                 (unsigned long long)err.offset, err.opcode, err.msg);
        return s;
    }
    char *j = jlp_export_json_str(jlp_doc_root(d), NULL, NULL, &err);
    size_t jl = j ? strlen(j) : 0;
    s = malloc(jl + 64);
    snprintf(s, jl + 64, "warn %u ops %llu %s", jlp_doc_warnings(d), (unsigned long long)jlp_doc_ops(d),
             j ? j : "(no json)");
    free(j);
    jlp_doc_free(d);
    return s;
}

/* Variant v of the pickle in b (malloc()ed, *n bytes): every third one whole, cut at a
 * random length, or with one to three bytes changed. */
static uint8_t *nps_variant(const nps_buf *b, int v, size_t *n) {
    uint8_t *in = malloc(b->n);
    if (!in) abort();
    memcpy(in, b->p, b->n);
    *n = b->n;
    if (v % 3 == 1) *n = 1 + nps_rand() % *n;
    else if (v % 3 == 2)
        for (int k = 1 + (int)(nps_rand() % 3); k--;) in[nps_rand() % *n] = (uint8_t)nps_rand();
    return in;
}

TEST(numpy_scalar_runs_match_the_general_path) {
    nps_rng = 0x9e3779b97f4a7c15ull;
    int rounds = quick() ? 60 : 400, compared = 0, fast_scalars = 0, mismatches = 0;
    for (int round = 0; round < rounds && mismatches < 3; round++) {
        nps_gen g;
        memset(&g, 0, sizeof g);
        g.proto = 2 + (int)(nps_rand() % 4);
        g.bend = round % 3 == 0 ? 0 : round % 3 == 1 ? 1 : 8;
        g.k_scalar = g.k_encode = g.k_latin1 = -1;
        for (size_t i = 0; i < 16; i++) g.k_dtype[i] = -1;
        int64_t k_dtype_global = -1;
        nb_byte(&g.b, 0x80);
        nb_byte(&g.b, g.proto);
        nb_byte(&g.b, ']');
        g_put(&g);
        nb_byte(&g.b, '(');
        int count = 1 + (int)(nps_rand() % 400);
        uint8_t (*items)[32] = malloc((size_t)count * 32);
        int *sizes = malloc((size_t)count * sizeof *sizes);
        for (int i = 0; i < count; i++) {
            int clobbered = g.clobbered;
            sizes[i] = g_scalar(&g, &k_dtype_global, items[i]);
            if (clobbered) sizes[i] = -1;
        }
        nb_byte(&g.b, 'e');
        /* memo probes: what each key holds (str, argument tuples, bytes, scalars) */
        for (int i = 0; i < 8 && g.next_key; i++) {
            g_get(&g, nps_rand() % g.next_key);
            nb_byte(&g.b, 'a');
        }
        nb_byte(&g.b, '.');

        /* the values: each scalar's bytes where the pickle is not bent */
        jlp_error err;
        jlp_doc *d = jlp_load_mem(g.b.p, g.b.n, NULL, NULL, &err);
        if (d) {
            for (int i = 0; i < count; i++) {
                if (sizes[i] < 0) continue;
                size_t len = 0;
                const void *data = jlp_scalar_data(jlp_item(jlp_doc_root(d), (size_t)i), &len);
                if (!data || len != (size_t)sizes[i] || memcmp(data, items[i], len)) {
                    TH_FAIL("round %d (protocol %d): scalar %d has the wrong bytes", round, g.proto, i);
                    mismatches++;
                    break;
                }
                fast_scalars++;
            }
            jlp_doc_free(d);
        }
        /* the input whole, cut, and with bytes changed; under default and small limits */
        for (int v = 0; v < 12 && mismatches < 3; v++) {
            size_t n;
            uint8_t *in = nps_variant(&g.b, v, &n);
            jlp_limits lim;
            jlp_limits_init(&lim);
            if (v >= 6) {
                uint32_t which = nps_rand() % 4;
                if (which == 0) lim.max_memo = nps_rand() % (g.next_key + 2);
                else if (which == 1) lim.max_str = nps_rand() % 24;
                else if (which == 2) lim.max_ops = nps_rand() % (uint32_t)(count * 16 + 40);
                else lim.max_stack = 1 + nps_rand() % (uint32_t)(count + 8);
            }
            char *fast = nps_outcome(in, n, &lim, false), *general = nps_outcome(in, n, &lim, true);
            if (strcmp(fast, general)) {
                TH_FAIL("round %d (protocol %d) variant %d: fast path\n    %.300s\n  general\n    %.300s", round,
                        g.proto, v, fast, general);
                mismatches++;
            }
            compared++;
            free(fast);
            free(general);
            free(in);
        }
        free(items);
        free(sizes);
        free(g.b.p);
    }
    CHECK(compared >= rounds * 12 || mismatches);
    /* a third of the rounds write what Python writes: about 200 scalars each */
    if (fast_scalars < rounds * 50) TH_FAIL("only %d scalars read with their bytes", fast_scalars);
}

/* A run whose GETs read keys the same run has just written (the encoding is the str
 * itself, "latin1"; the scalar global is then fetched from the key of its own
 * argument tuple): the memo the opcodes see changes inside the run, so the fast path
 * leaves it to them, and the values are theirs. */
TEST(numpy_scalar_run_reading_its_own_keys) {
    static const char p[] =
        "\x80\x02" "cnumpy.core.multiarray\nscalar\nq\x00"
        "cnumpy\ndtype\nq\x01" "X\x02\x00\x00\x00S6q\x02\x89\x88\x87q\x03Rq\x04"
        "(K\x03X\x01\x00\x00\x00|q\x05NNNK\x06K\x01K\x00tq\x06b"
        "c_codecs\nencode\nq\x07"
        /* the first scalar: scalar(dtype, encode('latin1', <key 8>)) */
        "h\x00h\x04h\x07X\x06\x00\x00\x00latin1q\x08h\x08\x86q\x09Rq\x0a\x86q\x0bRq\x0c"
        /* the second, whole as Python writes it, but its str under key 13 is the
         * encoding its GET reads */
        "h\x00h\x04h\x07X\x06\x00\x00\x00latin1q\x0dh\x0d\x86q\x0eRq\x0f\x86q\x10Rq\x11"
        "\x86.";
    jlp_doc *d = LD(p);
    if (d) CHECK_JSON(jlp_doc_root(d), "{\"$tuple\":[{\"$scalar\":{\"dtype\":\"|S6\",\"value\":{\"$bytes\":\"bGF0aW4x\"}}},"
                                       "{\"$scalar\":{\"dtype\":\"|S6\",\"value\":{\"$bytes\":\"bGF0aW4x\"}}}]}");
    jlp_doc_free(d);
}

/* =====================================================================================
 * runs of pushes: None, True, False and memo GETs between a MARK and APPENDS, which the
 * fast path pushes as one run (pickle/reader.c push_run), against the values they stand
 * for and against the opcode-by-opcode execution (under small limits, cut and changed)
 * ===================================================================================== */

/* One list of `count` items: strs put in the memo (BINPUT, LONG_BINPUT, sometimes a
 * key far beyond the dense memo), then None/True/False and GETs of them in random runs,
 * in FRAMEs at protocol 4. want_json receives the list's export where every GET names
 * a key that holds a value. */
static void push_run_pickle(nps_buf *b, int proto, int count, char *want_json, size_t want_cap) {
    static const char *const single_json[3] = {"null", "true", "false"};
    static const uint8_t single_op[3] = {'N', 0x88, 0x89};
    uint32_t keys[64];
    int nkeys = 1 + (int)(nps_rand() % 64);
    size_t w = 0;
    nb_byte(b, 0x80);
    nb_byte(b, proto);
    size_t frame_at = b->n;
    if (proto >= 4) { nb_byte(b, 0x95); nb_put(b, "\0\0\0\0\0\0\0\0", 8); }
    nb_byte(b, ']');
    nb_byte(b, '(');
    for (int k = 0; k < nkeys; k++) {
        /* a str "k<key>" stored under key k, or under a key past the dense memo */
        keys[k] = nps_chance(16) ? 0x10000000u + (uint32_t)k : (uint32_t)k;
        char s[16];
        int sl = snprintf(s, sizeof s, "k%u", (unsigned)keys[k]);
        nb_byte(b, 'X');
        nb_le32(b, (uint32_t)sl);
        nb_put(b, s, (size_t)sl);
        if (keys[k] < 256 && nps_chance(2)) { nb_byte(b, 'q'); nb_byte(b, (int)keys[k]); }
        else { nb_byte(b, 'r'); nb_le32(b, keys[k]); }
        w += (size_t)snprintf(want_json + w, want_cap - w, "%s\"k%u\"", k ? "," : "[", (unsigned)keys[k]);
    }
    for (int i = 0; i < count; i++) {
        if (i % 700 == 699) { nb_byte(b, 'e'); nb_byte(b, '('); } /* APPENDS batches */
        if (proto >= 4 && nps_chance(300)) {
            /* close the frame and open the next: a run stops at its end */
            uint64_t len = b->n - frame_at - 9;
            for (int k = 0; k < 8; k++) b->p[frame_at + 1 + k] = (uint8_t)(len >> (8 * k));
            frame_at = b->n;
            nb_byte(b, 0x95);
            nb_put(b, "\0\0\0\0\0\0\0\0", 8);
        }
        uint32_t r = nps_rand();
        if (r % 2) {
            int s = (int)(r / 2 % 3);
            nb_byte(b, single_op[s]);
            w += (size_t)snprintf(want_json + w, want_cap - w, ",%s", single_json[s]);
        } else {
            int k = (int)(r / 2 % (uint32_t)nkeys);
            if (keys[k] < 256 && r % 3) { nb_byte(b, 'h'); nb_byte(b, (int)keys[k]); }
            else { nb_byte(b, 'j'); nb_le32(b, keys[k]); }
            w += (size_t)snprintf(want_json + w, want_cap - w, ",\"k%u\"", (unsigned)keys[k]);
        }
    }
    nb_byte(b, 'e');
    nb_byte(b, '.');
    if (proto >= 4) {
        uint64_t len = b->n - frame_at - 9;
        for (int k = 0; k < 8; k++) b->p[frame_at + 1 + k] = (uint8_t)(len >> (8 * k));
    }
    snprintf(want_json + w, want_cap - w, "]\n"); /* as the export ends */
}

/* The fast path against the traced load on nine variants of b (nps_variant), the last
 * six under one small limit each: max_memo below memo_max, max_ops below ops_max or
 * max_stack up to stack_max. @return the mismatches (each reported). */
static int fast_matches_general(const nps_buf *b, int round, int proto, uint32_t memo_max, uint32_t ops_max,
                                uint32_t stack_max) {
    int mismatches = 0;
    for (int v = 0; v < 9; v++) {
        size_t n;
        uint8_t *in = nps_variant(b, v, &n);
        jlp_limits lim;
        jlp_limits_init(&lim);
        if (v >= 3) {
            uint32_t which = nps_rand() % 3;
            if (which == 0) lim.max_memo = nps_rand() % memo_max;
            else if (which == 1) lim.max_ops = nps_rand() % ops_max;
            else lim.max_stack = 1 + nps_rand() % stack_max;
        }
        char *fast = nps_outcome(in, n, &lim, false), *general = nps_outcome(in, n, &lim, true);
        if (strcmp(fast, general)) {
            TH_FAIL("round %d (protocol %d) variant %d: fast path\n    %.300s\n  general\n    %.300s", round,
                    proto, v, fast, general);
            mismatches++;
        }
        free(fast);
        free(general);
        free(in);
    }
    return mismatches;
}

TEST(push_runs_match_their_values_and_the_general_path) {
    nps_rng = 0x51ed2701a1b2c3d4ull;
    int rounds = quick() ? 40 : 300, compared = 0, exact = 0, mismatches = 0;
    size_t want_cap = 16 * 3000 + 2048;
    char *want = malloc(want_cap);
    for (int round = 0; round < rounds && mismatches < 3; round++) {
        nps_buf b = {0};
        int proto = 2 + (int)(nps_rand() % 3), count = 1 + (int)(nps_rand() % 2500);
        push_run_pickle(&b, proto, count, want, want_cap);
        jlp_error err;
        jlp_doc *d = jlp_load_mem(b.p, b.n, NULL, NULL, &err);
        if (!d) {
            TH_FAIL("round %d: %s at %llu: %s", round, jlp_error_name(err.code), (unsigned long long)err.offset,
                    err.msg);
            mismatches++;
        } else {
            char *j = jlp_export_json_str(jlp_doc_root(d), NULL, NULL, &err);
            if (!j || strcmp(j, want)) {
                size_t at = 0;
                while (j && j[at] && j[at] == want[at]) at++;
                TH_FAIL("round %d: from byte %zu got %.80s\n  want %.80s", round, at, j ? j + at : "(null)",
                        want + at);
                mismatches++;
            }
            exact++;
            free(j);
            jlp_doc_free(d);
        }
        /* the input whole, cut, and with bytes changed; under default and small limits */
        mismatches += fast_matches_general(&b, round, proto, 70, (uint32_t)count + 140, (uint32_t)count + 70);
        compared += 9;
        free(b.p);
    }
    free(want);
    CHECK(exact == rounds || mismatches);
    CHECK(compared == rounds * 9 || mismatches);
}

/* =====================================================================================
 * complex numbers: builtins.complex(re, im), which the fast path's REDUCE builds
 * (pickle/reader.c fast_reduce), with arguments of every kind, against the numbers and
 * against the opcode-by-opcode execution (under small limits, cut and changed)
 * ===================================================================================== */

TEST(complex_reduces_match_their_values_and_the_general_path) {
    nps_rng = 0x0c0ffee5eed5ull;
    int rounds = quick() ? 40 : 300, compared = 0, numbers = 0, mismatches = 0;
    for (int round = 0; round < rounds && mismatches < 3; round++) {
        nps_buf b = {0};
        int proto = 2 + (int)(nps_rand() % 3), count = 1 + (int)(nps_rand() % 300);
        double *re = malloc((size_t)count * sizeof *re), *im = malloc((size_t)count * sizeof *im);
        bool *number = malloc((size_t)count * sizeof *number);
        nb_byte(&b, 0x80);
        nb_byte(&b, proto);
        nb_byte(&b, ']');
        nb_byte(&b, '(');
        nb_put(&b, "cbuiltins\ncomplex\nq\x00", 20);
        nb_byte(&b, '0'); /* POP: the global stays in the memo */
        for (int i = 0; i < count; i++) {
            /* the callable: the memoised global, or a new one (Python 2's name too, which
             * protocol 2 maps to builtins) */
            uint32_t how = nps_rand() % 8;
            if (how == 0 && proto == 2) nb_put(&b, "c__builtin__\ncomplex\n", 21);
            else if (how == 1) nb_put(&b, "cbuiltins\ncomplex\n", 18);
            else nb_put(&b, "h\x00", 2);
            int nargs = nps_chance(20) ? 1 : 2;
            number[i] = true;
            for (int k = 0; k < nargs; k++) {
                double *out = k ? &im[i] : &re[i];
                uint32_t kind = nps_rand() % 10;
                if (kind < 5) { /* BINFLOAT */
                    union { double d; uint64_t u; } x = {.d = (double)(int32_t)nps_rand() / (1 + nps_rand() % 1000)};
                    uint8_t be[9] = {'G'};
                    for (int j = 0; j < 8; j++) be[1 + j] = (uint8_t)(x.u >> (56 - 8 * j));
                    nb_put(&b, be, 9);
                    *out = x.d;
                } else if (kind < 7) { /* BININT1 */
                    uint8_t v = (uint8_t)nps_rand();
                    nb_byte(&b, 'K');
                    nb_byte(&b, v);
                    *out = v;
                } else if (kind < 8) { /* BININT, negative */
                    int32_t v = -(int32_t)(nps_rand() % 100000) - 1;
                    nb_byte(&b, 'J');
                    nb_le32(&b, (uint32_t)v);
                    *out = v;
                } else if (kind < 9) { /* None: the call stays an inert object */
                    nb_byte(&b, 'N');
                    number[i] = false;
                } else { /* a 9-byte LONG1 (a bigint): inert too */
                    nb_put(&b, "\x8a\x09\x01\x00\x00\x00\x00\x00\x00\x00\x01", 11);
                    number[i] = false;
                }
            }
            if (nargs == 1) im[i] = 0.0;
            nb_byte(&b, nargs == 1 ? 0x85 : 0x86); /* TUPLE1, TUPLE2 */
            nb_byte(&b, 'R');
        }
        nb_byte(&b, 'e');
        nb_byte(&b, '.');
        jlp_error err;
        jlp_doc *d = jlp_load_mem(b.p, b.n, NULL, NULL, &err);
        if (!d) {
            TH_FAIL("round %d: %s at %llu: %s", round, jlp_error_name(err.code), (unsigned long long)err.offset,
                    err.msg);
            mismatches++;
        } else {
            for (int i = 0; i < count; i++) {
                double r, m;
                const jlp_val *v = jlp_item(jlp_doc_root(d), (size_t)i);
                bool is = jlp_get_complex(v, &r, &m) == 1;
                if (is != number[i] || (is && (r != re[i] || m != im[i]))) {
                    TH_FAIL("round %d item %d: complex %d (%g, %g), want %d (%g, %g)", round, i, is, is ? r : 0,
                            is ? m : 0, number[i], re[i], im[i]);
                    mismatches++;
                    break;
                }
                numbers += is;
            }
            jlp_doc_free(d);
        }
        mismatches += fast_matches_general(&b, round, proto, 2, (uint32_t)count * 5 + 10, (uint32_t)count + 8);
        compared += 9;
        free(re);
        free(im);
        free(number);
        free(b.p);
    }
    CHECK(compared == rounds * 9 || mismatches);
    if (numbers < rounds * 30) TH_FAIL("only %d complex numbers read", numbers);
}
