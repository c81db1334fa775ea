/*
 * c_writer.c - build a broad set of values with the builder API and write it at every
 * protocol (0..5), with joblib's array wrappers and with numpy's own reduce, through
 * every codec. tests/interop/check_writer.py builds the same set in Python and checks
 * every file with joblib.load / pickle.load.
 *
 *     c_writer OUTDIR
 *
 * Files: OUTDIR/w_p<P>_<joblib|numpy>_<codec>.pkl[.ext]. For each file the program
 * also checks, with the C loader, that it loads back to the same JSON export as the
 * value it was written from (for zstd, which joblib 1.2 cannot read, this is the
 * main check), and that jlp_dump_mem/_fd/_file/_cb give the bytes jlp_dump_path wrote.
 * Output: "ok - ..." / "FAIL - ..." lines.
 *
 * Keep the value set in sync with expected_values() in check_writer.py.
 */
#include "jlpickle.h"

#include <fcntl.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static jlp_doc *D;
static int failures;
static jlp_val *GLOBALS, *INNER, *INNER_GETATTR; /* globals[3]: sample_classes.Outer.Inner */
static jlp_val *OBJS, *FRACTION;
/* list and dict subclasses: also written alone at protocols 0-1 (sub_*.pkl), where
 * they are copyreg.__newobj__ calls (README.md, regressions) */
static jlp_val *LISTSUB, *DICTSUB;
static jlp_val *TWICE, *TWICE_COPY; /* [a, a]: joblib writes two payloads, so two arrays load */
static jlp_val *ODICT, *ODICT_AS_DICT; /* the C loader rebuilds OrderedDict() + SETITEMS as a dict */ /* objects["fraction"]: NEWOBJ with arguments, protocol >= 2 only */

static void die(const char *what, const jlp_error *err) {
    fprintf(stderr, "c_writer: building %s failed: %s\n", what, err && err->code ? err->msg : "NULL");
    exit(1);
}

/* NULL-checking wrapper for constructors */
static jlp_val *chk(jlp_val *v, const char *what) {
    if (!v) die(what, NULL);
    return v;
}

#define I(x) chk(jlp_new_int(D, (x)), "int")
#define F(x) chk(jlp_new_float(D, (x)), "float")
#define S(x) chk(jlp_new_strz(D, (x)), "str")
#define SN(x, n) chk(jlp_new_str(D, (x), (n)), "str " #x)

static jlp_val *tuple(size_t n, ...) {
    jlp_val *items[16];
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) items[i] = va_arg(ap, jlp_val *);
    va_end(ap);
    return chk(jlp_new_tuple(D, items, n), "tuple");
}

static jlp_val *list(size_t n, ...) {
    jlp_val *l = chk(jlp_new_list(D), "list");
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        if (jlp_list_append(D, l, va_arg(ap, jlp_val *)) != JLP_OK) die("list append", NULL);
    va_end(ap);
    return l;
}

static void set(jlp_val *dict, const char *key, jlp_val *v) {
    if (!v || jlp_dict_set_str(D, dict, key, v) != JLP_OK) die(key, NULL);
}

static void setk(jlp_val *dict, jlp_val *key, jlp_val *v) {
    if (!key || !v || jlp_dict_set(D, dict, key, v) != JLP_OK) die("dict item", NULL);
}

static jlp_val *glob(const char *m, const char *n) { return chk(jlp_new_global(D, m, n), n); }

/* An int from decimal text, through jlp_new_bigint (two's complement little-endian). */
static jlp_val *bigint_dec(const char *text) {
    int neg = *text == '-';
    if (neg) text++;
    uint8_t mag[512] = {0};
    size_t n = 1;
    for (const char *p = text; *p; p++) { /* mag = mag * 10 + digit */
        unsigned carry = (unsigned)(*p - '0');
        for (size_t i = 0; i < n; i++) {
            unsigned x = mag[i] * 10u + carry;
            mag[i] = (uint8_t)x;
            carry = x >> 8;
        }
        if (carry) mag[n++] = (uint8_t)carry;
    }
    n++; /* room for the sign bit */
    if (neg) { /* two's complement: invert and add one */
        unsigned carry = 1;
        for (size_t i = 0; i < n; i++) {
            unsigned x = (uint8_t)~mag[i] + carry;
            mag[i] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    return chk(jlp_new_bigint(D, mag, n), text);
}

/* ---- arrays ------------------------------------------------------------------------ */

static jlp_val *dtype(const char *descr) {
    jlp_error err;
    jlp_val *dt = jlp_new_dtype(D, descr, &err);
    if (!dt) die(descr, &err);
    return dt;
}

static jlp_val *arr(const char *descr, uint32_t ndim, const uint64_t *shape, char order, const void *data,
                    size_t nbytes) {
    jlp_error err;
    jlp_val *a = jlp_new_array(D, dtype(descr), ndim, shape, order, data, nbytes, JLP_COPY, &err);
    if (!a) die(descr, &err);
    return a;
}

static void swap_items(uint8_t *p, size_t count, size_t itemsize, size_t unit) {
    (void)itemsize;
    for (size_t i = 0; i < count * itemsize; i += unit)
        for (size_t a = 0, b = unit - 1; a < b; a++, b--) {
            uint8_t t = p[i + a];
            p[i + a] = p[i + b];
            p[i + b] = t;
        }
}

static const uint8_t B1[6] = {1, 0, 0, 1, 1, 0};
static const int8_t I1[6] = {-128, -1, 0, 1, 127, 42};
static const int16_t I2[6] = {-32768, -1, 0, 1, 32767, 1234};
static const int32_t I4[6] = {INT32_MIN, -1, 0, 1, INT32_MAX, 123456};
static const int64_t I8[6] = {INT64_MIN, -1, 0, 1, INT64_MAX, 1099511627776LL};
static const uint8_t U1[6] = {0, 1, 127, 128, 255, 42};
static const uint16_t U2[6] = {0, 1, 32767, 32768, 65535, 1234};
static const uint32_t U4[6] = {0, 1, 2147483647u, 2147483648u, 4294967295u, 123456};
static const uint64_t U8[6] = {0, 1, 9223372036854775807ull, 9223372036854775808ull, 18446744073709551615ull,
                               1099511627776ull};
static const uint16_t F2[6] = {0x0000, 0x8000, 0x3c00, 0x7c00, 0x7e00, 0x3555};
static float F4[6];
static double F8[6];
static float C8[12];
static double C16[12];
static const char S5[6][5] = {"", "a", "abcde", "a\0b", "xy", "\xff\x01"};
static const uint32_t U3[6][3] = {{0}, {'a'}, {'a', 'b', 'c'}, {0xe9}, {0x1f600, 'z'}, {0xd800}};
static const uint8_t V4[6][4] = {{0, 0, 0, 0}, {1, 2, 3, 4}, {255, 255, 255, 255},
                                 {0, 0, 0, 1}, {'a', 'b', 'c', 'd'}, {0x7f, 0x80, 0, 0}};
static const int64_t M8NS[6] = {INT64_MIN, 0, 1, -1, 1577836800000000000LL, -1577836800000000000LL};
static const int64_t M8S[6] = {INT64_MIN, 0, 1, -1, 86400, 31536000};

static void init_floats(void) {
    const float f4[6] = {0.0f, -0.0f, 1.5f, INFINITY, NAN, 3.4028235e38f};
    const double f8[6] = {0.0, -0.0, 0.1, -INFINITY, NAN, 1e308};
    const float c8[12] = {1, 2, NAN, 0, -0.0f, INFINITY, 0.5f, -0.25f, 0, 0, -1, 1e30f};
    const double c16[12] = {1, 2, NAN, 0, -0.0, -INFINITY, 0.1, -0.2, 0, 0, 1e300, -1e-300};
    memcpy(F4, f4, sizeof F4);
    memcpy(F8, f8, sizeof F8);
    memcpy(C8, c8, sizeof C8);
    memcpy(C16, c16, sizeof C16);
}

typedef struct {
    const char *name, *descr;
    size_t itemsize, swap_unit; /* swap_unit: bytes per swapped unit for '>' variants */
    const void *vals;           /* 6 items */
} family;

static family FAMILIES[] = {
    {"b1", "b1", 1, 1, B1},      {"i1", "i1", 1, 1, I1},       {"i2", "i2", 2, 2, I2},
    {"i4", "i4", 4, 4, I4},      {"i8", "i8", 8, 8, I8},       {"u1", "u1", 1, 1, U1},
    {"u2", "u2", 2, 2, U2},      {"u4", "u4", 4, 4, U4},       {"u8", "u8", 8, 8, U8},
    {"f2", "f2", 2, 2, F2},      {"f4", "f4", 4, 4, F4},       {"f8", "f8", 8, 8, F8},
    {"c8", "c8", 8, 4, C8},      {"c16", "c16", 16, 8, C16},   {"S5", "S5", 5, 1, S5},
    {"U3", "U3", 12, 4, U3},     {"V4", "V4", 4, 1, V4},       {"M8ns", "M8[ns]", 8, 8, M8NS},
    {"m8s", "m8[s]", 8, 8, M8S},
    /* big-endian variants: the same values, swapped */
    {"be_f8", ">f8", 8, 8, F8},  {"be_i4", ">i4", 4, 4, I4},   {"be_U3", ">U3", 12, 4, U3},
    {"be_c16", ">c16", 16, 8, C16},
};

/* The family's six values as an array of `shape` (2x3 or less), C or F order. */
static jlp_val *family_array(const family *f, uint32_t ndim, const uint64_t *shape, char order, size_t first) {
    uint8_t buf[6 * 16];
    uint64_t count = 1;
    for (uint32_t i = 0; i < ndim; i++) count *= shape[i];
    for (uint64_t k = 0; k < count; k++) {
        /* memory slot k holds logical (C-order) element src */
        uint64_t src = k;
        if (order == 'F' && ndim == 2) src = (k % shape[0]) * shape[1] + k / shape[0];
        memcpy(buf + k * f->itemsize, (const uint8_t *)f->vals + (first + src) * f->itemsize, f->itemsize);
    }
    if (f->descr[0] == '>') swap_items(buf, count, f->itemsize, f->swap_unit);
    return arr(f->descr, ndim, shape, order, buf, count * f->itemsize);
}

/* The structured dtype of the set: a subarray field and a nested struct with a
 * big-endian field. */
#define STRUCT_DESCR "[('a', '<i4'), ('b', '<f8', (2,)), ('c', 'S3'), ('d', [('x', '<u2'), ('y', '>f4')])]"
#pragma pack(push, 1)
typedef struct {
    int32_t a;
    double b[2];
    char c[3];
    uint16_t x;
    uint8_t y_be[4];
} rec;
#pragma pack(pop)

static rec make_rec(int k) {
    rec r;
    memset(&r, 0, sizeof r);
    r.a = k - 2;
    r.b[0] = k * 0.5;
    r.b[1] = -k;
    memcpy(r.c, k % 2 ? "ab" : "xyz", k % 2 ? 2 : 3);
    r.x = (uint16_t)(k * 1000);
    float y = (float)k * 1.5f;
    uint8_t yb[4];
    memcpy(yb, &y, 4);
    for (int i = 0; i < 4; i++) r.y_be[i] = yb[3 - i];
    return r;
}

static jlp_val *arrays(void) {
    jlp_val *d = chk(jlp_new_dict(D), "arrays");
    char key[64];
    const uint64_t s23[2] = {2, 3}, s0[1] = {0}, s20[2] = {2, 0};
    for (size_t i = 0; i < sizeof FAMILIES / sizeof *FAMILIES; i++) {
        const family *f = &FAMILIES[i];
        snprintf(key, sizeof key, "%s_c", f->name);
        set(d, key, family_array(f, 2, s23, 'C', 0));
        snprintf(key, sizeof key, "%s_f", f->name);
        set(d, key, family_array(f, 2, s23, 'F', 0));
        snprintf(key, sizeof key, "%s_e0", f->name);
        set(d, key, family_array(f, 1, s0, 'C', 0));
        snprintf(key, sizeof key, "%s_e20", f->name);
        set(d, key, family_array(f, 2, s20, 'C', 0));
        snprintf(key, sizeof key, "%s_z", f->name);
        set(d, key, family_array(f, 0, NULL, 'C', 4));
    }
    /* a large array (crosses 64 KiB frames and codec blocks) */
    static double big[9000];
    for (int i = 0; i < 9000; i++) big[i] = i * 0.25 - 1000;
    const uint64_t sbig[1] = {9000};
    set(d, "f8_big", arr("f8", 1, sbig, 'C', big, sizeof big));
    /* Fortran-order int16 40x30; logical element (i, j) = (i*30+j)*7 % 1000 - 500 */
    static int16_t f2d[1200];
    for (int j = 0; j < 30; j++)
        for (int i = 0; i < 40; i++) f2d[j * 40 + i] = (int16_t)(((i * 30 + j) * 7) % 1000 - 500);
    const uint64_t s4030[2] = {40, 30};
    set(d, "i2_f_40x30", arr("i2", 2, s4030, 'F', f2d, sizeof f2d));
    /* 3-d Fortran int32 (2,3,4): logical element n (C order) = n * 3 - 20 */
    int32_t f3d[24];
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 4; c++) f3d[a + 2 * b + 6 * c] = (a * 12 + b * 4 + c) * 3 - 20;
    const uint64_t s234[3] = {2, 3, 4};
    set(d, "i4_f_2x3x4", arr("i4", 3, s234, 'F', f3d, sizeof f3d));
    /* structured: 1-d C (3 records) and 2x2 F */
    rec recs[4];
    for (int k = 0; k < 4; k++) recs[k] = make_rec(k);
    const uint64_t s3[1] = {3}, s22[2] = {2, 2};
    set(d, "struct_c", arr(STRUCT_DESCR, 1, s3, 'C', recs, 3 * sizeof(rec)));
    rec fr[4] = {recs[0], recs[2], recs[1], recs[3]}; /* logical [[0,1],[2,3]] in F order */
    set(d, "struct_f", arr(STRUCT_DESCR, 2, s22, 'F', fr, sizeof fr));
    set(d, "struct_z", arr(STRUCT_DESCR, 0, NULL, 'C', &recs[3], sizeof(rec)));
    /* object arrays */
    jlp_error err;
    jlp_val *shared = list(2, I(1), I(2));
    const uint64_t s6[1] = {6};
    jlp_val *o1[6] = {S("one"), I(2), chk(jlp_new_none(D), "none"), list(1, I(3)), NULL, tuple(1, I(5))};
    o1[4] = chk(jlp_new_dict(D), "dict");
    set(o1[4], "k", I(4));
    set(d, "obj_1d", chk(jlp_new_object_array(D, 1, s6, o1, &err), "obj_1d"));
    jlp_val *o2[4] = {I(1), S("b"), F(2.5), chk(jlp_new_none(D), "none")};
    set(d, "obj_2d", chk(jlp_new_object_array(D, 2, s22, o2, &err), "obj_2d"));
    jlp_val *o0[1] = {I(7)};
    set(d, "obj_0d", chk(jlp_new_object_array(D, 0, NULL, o0, &err), "obj_0d"));
    const uint64_t s3i[1] = {3};
    const int32_t small[3] = {7, 8, 9};
    jlp_val *o3[3] = {shared, shared, arr("i4", 1, s3i, 'C', small, sizeof small)};
    set(d, "obj_shared", chk(jlp_new_object_array(D, 1, s3i, o3, &err), "obj_shared"));
    /* the same array twice */
    jlp_val *twice = arr("f4", 1, s3i, 'C', F4, 3 * sizeof(float));
    TWICE = list(2, twice, twice);
    TWICE_COPY = arr("f4", 1, s3i, 'C', F4, 3 * sizeof(float));
    set(d, "twice", TWICE);
    return d;
}

static jlp_val *scalar(const char *descr, const void *data) {
    jlp_error err;
    jlp_val *s = jlp_new_scalar(D, dtype(descr), data, &err);
    if (!s) die(descr, &err);
    return s;
}

static jlp_val *scalars(void) {
    jlp_val *d = chk(jlp_new_dict(D), "scalars");
    double f8 = 1.5, nan = NAN, be[1] = {2.0};
    float f4 = -2.5f;
    int64_t i8 = -3, m8d = 18262, m8s = 3600;
    uint8_t u1 = 255, b1 = 1;
    double c16[2] = {1, -1};
    uint16_t f2 = 0x3c00;
    uint32_t u3[3] = {'h', 0xe9, 'y'};
    char s4[4] = "ab";
    uint8_t v3[3] = {1, 0, 2};
    swap_items((uint8_t *)be, 1, 8, 8);
    set(d, "f8", scalar("f8", &f8));
    set(d, "f8_nan", scalar("f8", &nan));
    set(d, "f4", scalar("f4", &f4));
    set(d, "i8", scalar("i8", &i8));
    set(d, "u1", scalar("u1", &u1));
    set(d, "b1", scalar("b1", &b1));
    set(d, "c16", scalar("c16", c16));
    set(d, "f2", scalar("f2", &f2));
    set(d, "M8D", scalar("M8[D]", &m8d));
    set(d, "m8s", scalar("m8[s]", &m8s));
    set(d, "U3", scalar("U3", u3));
    set(d, "S4", scalar("S4", s4));
    set(d, "V3", scalar("V3", v3));
    set(d, "be_f8", scalar(">f8", be));
    return d;
}

static jlp_val *build(void) {
    jlp_val *root = chk(jlp_new_dict(D), "root");
    set(root, "none", jlp_new_none(D));
    set(root, "true", jlp_new_bool(D, 1));
    set(root, "false", jlp_new_bool(D, 0));
    jlp_val *ints = list(0);
    const int64_t iv[] = {0, 1, -1, 255, 256, -256, 65535, 65536, 2147483647, -2147483648LL, 2147483648LL,
                          INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof iv / sizeof *iv; i++) jlp_list_append(D, ints, I(iv[i]));
    set(root, "ints", ints);
    jlp_val *big = list(0);
    const char *bv[] = {"9223372036854775808", "-9223372036854775809", "18446744073709551616",
                        "1267650600228229401496703205376", "-1267650600228229401496703205376",
                        "10000000000000000000000000000000000000000",
                        /* 2**1000 */
                        "10715086071862673209484250490600018105614048117055336074437503883703510511249361224931983788156958581275946729175531468251871452856923140435984577574698574803934567774824230985421074605062371141877954182153046474983581941267398767559165543946077062914571196477686542167660429831652624386837205668069376"};
    for (size_t i = 0; i < sizeof bv / sizeof *bv; i++) jlp_list_append(D, big, bigint_dec(bv[i]));
    /* non-minimal encodings that fit int64 */
    const uint8_t b42[10] = {42, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t bm1[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    jlp_list_append(D, big, chk(jlp_new_bigint(D, b42, sizeof b42), "42"));
    jlp_list_append(D, big, chk(jlp_new_bigint(D, bm1, sizeof bm1), "-1"));
    set(root, "bigints", big);
    set(root, "floats", list(12, F(0.0), F(-0.0), F(1.5), F(0.1), F(1e300), F(5e-324), F(2.2250738585072014e-308),
                             F(INFINITY), F(-INFINITY), F(NAN), F(1e16), F(123456789.123)));
    set(root, "complex", list(4, chk(jlp_new_complex(D, 1, 2), "c"), chk(jlp_new_complex(D, -0.0, 0.0), "c"),
                              chk(jlp_new_complex(D, NAN, -INFINITY), "c"), chk(jlp_new_complex(D, 0, 1e-300), "c")));
    char x300[301];
    memset(x300, 'x', 300);
    x300[300] = 0;
    set(root, "strs",
        list(15, S(""), S("ascii"), S("h\xc3\xa9llo w\xc3\xb6rld"), S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
             S("\xf0\x9f\x98\x80 emoji \xf0\x9d\x84\x9e"), S("\xed\xa0\x80"), S("\xed\xbf\xbf"),
             S("a\xed\xa0\xbdz"), S("\xed\xa0\xbd\xed\xb8\x80"), SN("a\0b", 3), S("line\nbreak\\back\rslash"),
             S("quote\"'"), S("\xc4\x80\xef\xbf\xbf"), S(x300), S("\xc2\x80\xc3\xbf")));
    uint8_t all[256];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
    set(root, "bytes",
        list(4, chk(jlp_new_bytes(D, "", 0), "b"), chk(jlp_new_bytes(D, "\0\xff" "abc", 5), "b"),
             chk(jlp_new_bytes(D, all, 256), "b"), chk(jlp_new_bytes(D, x300, 300), "b")));
    set(root, "bytearrays",
        list(3, chk(jlp_new_bytearray(D, NULL, 0), "ba"), chk(jlp_new_bytearray(D, "\x01\x02\xff", 3), "ba"),
             chk(jlp_new_bytearray(D, all, 256), "ba")));
    jlp_val *kd = chk(jlp_new_dict(D), "d");
    set(kd, "k", tuple(1, I(3)));
    set(root, "tuples", list(6, tuple(0), tuple(1, I(1)), tuple(2, I(1), I(2)), tuple(3, I(1), I(2), I(3)),
                             tuple(4, I(1), I(2), I(3), I(4)), tuple(3, tuple(1, I(1)), list(1, I(2)), kd)));
    set(root, "list", list(5, I(1), S("two"), F(3.0), jlp_new_none(D), list(2, I(4), list(2, I(5), list(0)))));
    jlp_val *dict = chk(jlp_new_dict(D), "dict");
    setk(dict, S("a"), I(1));
    setk(dict, I(2), S("b"));
    setk(dict, tuple(2, I(1), I(2)), list(1, I(3)));
    setk(dict, jlp_new_none(D), jlp_new_none(D));
    setk(dict, F(1.5), jlp_new_bool(D, 1));
    setk(dict, S(""), jlp_new_dict(D));
    setk(dict, chk(jlp_new_bytes(D, "k", 1), "b"), S("bytes key"));
    setk(dict, I(-7), I(-7));
    set(root, "dict", dict);
    jlp_val *s1 = chk(jlp_new_set(D), "set"), *s2 = chk(jlp_new_set(D), "set");
    jlp_list_append(D, s1, I(1));
    jlp_list_append(D, s1, I(2));
    jlp_list_append(D, s1, I(3));
    jlp_list_append(D, s2, S("x"));
    jlp_list_append(D, s2, tuple(2, I(1), I(2)));
    jlp_list_append(D, s2, jlp_new_none(D));
    jlp_val *fs[2] = {I(1), S("a")};
    set(root, "sets", list(5, chk(jlp_new_set(D), "set"), s1, s2, chk(jlp_new_frozenset(D, NULL, 0), "fs"),
                           chk(jlp_new_frozenset(D, fs, 2), "fs")));
    /* sharing and cycles */
    jlp_val *x = list(2, I(1), I(2)), *sd = chk(jlp_new_dict(D), "d");
    set(sd, "k", S("v"));
    jlp_val *t = tuple(2, x, sd);
    jlp_val *shared = chk(jlp_new_dict(D), "shared");
    set(shared, "a", x);
    set(shared, "b", x);
    set(shared, "c", list(3, x, sd, sd));
    set(shared, "t1", t);
    set(shared, "t2", t);
    set(root, "shared", shared);
    jlp_val *cl = list(2, I(1), S("x"));
    jlp_list_append(D, cl, cl);
    set(root, "cycle_list", cl);
    jlp_val *cd = chk(jlp_new_dict(D), "cd");
    set(cd, "n", I(1));
    set(cd, "self", cd);
    set(root, "cycle_dict", cd);
    jlp_val *ctl = list(0), *ct = tuple(2, ctl, I(1)); /* a tuple reached again through its own item */
    jlp_list_append(D, ctl, ct);
    set(root, "cycle_tuple", ct);
    /* globals */
    INNER = glob("sample_classes", "Outer.Inner");
    GLOBALS = list(4, glob("collections", "OrderedDict"), glob("builtins", "len"),
                   glob("sample_classes", "some_function"), INNER);
    set(root, "globals", GLOBALS);
    /* Protocols 0-3 cannot name a dotted qualname: the writer, like Python's pickler,
     * writes getattr(sample_classes.Outer, 'Inner'), which the C loader keeps as that
     * call. The C-side comparison expects that form below protocol 4. */
    INNER_GETATTR = chk(jlp_new_call(D, glob("builtins", "getattr"),
                                     tuple(2, glob("sample_classes", "Outer"), S("Inner"))), "getattr");
    /* instances */
    jlp_val *objs = chk(jlp_new_dict(D), "objects");
    jlp_val *st = chk(jlp_new_dict(D), "state");
    set(st, "a", I(1));
    set(st, "b", S("two"));
    set(objs, "plain", chk(jlp_new_object(D, glob("sample_classes", "Plain"), NULL, st), "Plain"));
    jlp_val *slots = chk(jlp_new_dict(D), "slots");
    set(slots, "x", I(10));
    set(slots, "y", list(1, I(20)));
    set(objs, "slotted", chk(jlp_new_object(D, glob("sample_classes", "Slotted"), NULL,
                                            tuple(2, jlp_new_none(D), slots)), "Slotted"));
    set(objs, "tuple_state", chk(jlp_new_object(D, glob("sample_classes", "TupleState"), NULL,
                                                tuple(2, I(3), F(4.5))), "TupleState"));
    jlp_val *ls = chk(jlp_new_object(D, glob("sample_classes", "ListSub"), NULL, NULL), "ListSub");
    jlp_obj_append_item(D, ls, I(1));
    jlp_obj_append_item(D, ls, S("two"));
    jlp_val *lst = chk(jlp_new_dict(D), "ls state");
    set(lst, "tag", S("t"));
    jlp_obj_set_state(D, ls, lst);
    set(objs, "listsub", ls);
    LISTSUB = ls;
    jlp_val *ds = chk(jlp_new_object(D, glob("sample_classes", "DictSub"), NULL, NULL), "DictSub");
    jlp_obj_set_dictitem(D, ds, S("a"), I(1));
    jlp_obj_set_dictitem(D, ds, I(2), S("b"));
    set(objs, "dictsub", ds);
    DICTSUB = ds;
    jlp_val *bag = chk(jlp_new_call(D, glob("sample_classes", "Bag"), NULL), "Bag");
    jlp_val *bst = chk(jlp_new_dict(D), "bag state");
    set(bst, "label", S("L"));
    jlp_obj_set_state(D, bag, bst);
    jlp_obj_append_item(D, bag, I(1));
    jlp_obj_append_item(D, bag, I(2));
    jlp_obj_set_dictitem(D, bag, S("k"), S("v"));
    set(objs, "bag", bag);
    FRACTION = chk(jlp_new_object(D, glob("fractions", "Fraction"), tuple(2, I(3), I(4)), NULL), "Fraction");
    set(objs, "fraction", FRACTION);
    OBJS = objs;
    jlp_val *od = chk(jlp_new_call(D, glob("collections", "OrderedDict"), NULL), "OrderedDict");
    jlp_obj_set_dictitem(D, od, S("z"), I(1));
    jlp_obj_set_dictitem(D, od, S("a"), I(2));
    set(objs, "ordereddict", od);
    ODICT = od;
    ODICT_AS_DICT = chk(jlp_new_dict(D), "od as dict");
    set(ODICT_AS_DICT, "z", I(1));
    set(ODICT_AS_DICT, "a", I(2));
    set(objs, "decimal", chk(jlp_new_call(D, glob("decimal", "Decimal"), tuple(1, S("1.25"))), "Decimal"));
    set(objs, "range", chk(jlp_new_call(D, glob("builtins", "range"), tuple(3, I(0), I(10), I(3))), "range"));
    set(objs, "date", chk(jlp_new_call(D, glob("datetime", "date"),
                                       tuple(1, chk(jlp_new_bytes(D, "\x07\xe4\x01\x02", 4), "b"))), "date"));
    jlp_val *shared_obj = chk(jlp_new_object(D, glob("sample_classes", "Plain"), NULL, NULL), "Plain2");
    set(objs, "same_instance", list(2, shared_obj, shared_obj));
    set(root, "objects", objs);
    set(root, "arrays", arrays());
    set(root, "scalars", scalars());
    set(root, "dtypes", list(6, dtype("<f8"), dtype(">i2"), dtype("<M8[ns]"),
                             dtype("[('a', '<i4'), ('b', '<f8', (2,))]"), dtype("|S7"), dtype("O")));
    return root;
}

/* ---- writing and checking ------------------------------------------------------------ */

static void check(int ok, const char *what, const char *name, const char *detail) {
    if (ok) {
        printf("ok - %s %s\n", what, name);
    } else {
        printf("FAIL - %s %s: %s\n", what, name, detail ? detail : "");
        failures++;
    }
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

typedef struct {
    char *p;
    size_t n, cap;
} membuf;

static int mem_write(void *ctx, const void *data, size_t len) {
    membuf *m = ctx;
    if (m->n + len > m->cap) {
        m->cap = (m->n + len) * 2;
        m->p = realloc(m->p, m->cap);
        if (!m->p) return 1;
    }
    memcpy(m->p + m->n, data, len);
    m->n += len;
    return 0;
}

/* The same document written twice must give the same bytes. */
#define SINK_DIFF "bytes differ from jlp_dump_path's for the same document (see c_regress: the output depends on node addresses)"

static const char *CODECS[][2] = {{"none", ".pkl"},     {"zlib", ".pkl.z"},   {"gzip", ".pkl.gz"},
                                  {"bz2", ".pkl.bz2"},   {"lzma", ".pkl.lzma"}, {"xz", ".pkl.xz"},
                                  {"lz4", ".pkl.lz4"},   {"zstd", ".pkl.zst"}};

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    init_floats();
    D = jlp_doc_new(NULL);
    if (!D) die("doc", NULL);
    jlp_val *root = build();
    jlp_doc_set_root(D, root);
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = 0;
    jlp_error err;
    char path[4096], name[256], detail[512];

    /* Protocols 0 and 1 have no NEWOBJ: an object with __new__ arguments is written as
     * copyreg.__newobj__(cls, *args), which Python calls. */
    jlp_write_opts p0 = JLP_WRITE_OPTS_INIT;
    p0.protocol = 1;
    void *junk = NULL;
    size_t junk_len;
    jlp_code urc = jlp_dump_mem(FRACTION, &p0, &junk, &junk_len, &err);
    free(junk);
    /* written as copyreg.__newobj__(cls, *args), which Python calls */
    check(urc == JLP_OK, "c-newobj-args", "newobj-args-protocol-1", jlp_error_name(urc));

    for (int proto = 0; proto <= 5; proto++) {
        set(OBJS, "fraction", FRACTION);
        set(OBJS, "listsub", LISTSUB);
        set(OBJS, "dictsub", DICTSUB);
        for (int mode = 0; mode < 2; mode++) {
            /* the reference: what the C loader makes of what is written */
            jlp_list_set(D, GLOBALS, 3, proto < 4 ? INNER_GETATTR : INNER);
            set(OBJS, "ordereddict", ODICT_AS_DICT);
            if (mode == 0) jlp_list_set(D, TWICE, 1, TWICE_COPY);
            char *want = jlp_export_json_str(root, &jo, NULL, &err);
            jlp_list_set(D, GLOBALS, 3, INNER); /* what is written */
            set(OBJS, "ordereddict", ODICT);
            jlp_list_set(D, TWICE, 1, jlp_item(TWICE, 0));
            if (!want) die("the JSON export of the built value", &err);
            /* Every protocol loads back as the value built: below protocol 2
             * instances are copyreg.__newobj__ calls, which load as instances. */
            for (size_t c = 0; c < sizeof CODECS / sizeof *CODECS; c++) {
                snprintf(name, sizeof name, "w_p%d_%s_%s%s", proto, mode ? "numpy" : "joblib", CODECS[c][0],
                         CODECS[c][1]);
                snprintf(path, sizeof path, "%s/%s", argv[1], name);
                jlp_write_opts o = JLP_WRITE_OPTS_INIT;
                o.protocol = proto;
                o.arrays = mode ? JLP_ARRAYS_NUMPY : JLP_ARRAYS_JOBLIB;
                o.codec = CODECS[c][0];
                jlp_code rc = jlp_dump_path(root, path, &o, &err);
                snprintf(detail, sizeof detail, "%s: %s", jlp_error_name(err.code), err.msg);
                check(rc == JLP_OK, "c-dump", name, detail);
                if (rc != JLP_OK) continue;
                /* load back with the C loader: the same export */
                jlp_doc *back = jlp_load_path(path, NULL, &err);
                char *got = back ? jlp_export_json_str(jlp_doc_root(back), &jo, NULL, &err) : NULL;
                if (!got) {
                    snprintf(detail, sizeof detail, "load: %s: %s", jlp_error_name(err.code), err.msg);
                    check(0, "c-reload", name, detail);
                } else {
                    const char *ref = want;
                    size_t i = 0;
                    while (got[i] && got[i] == ref[i]) i++;
                    snprintf(detail, sizeof detail, "exports differ at byte %zu: want ...%.80s... got ...%.80s...", i,
                             ref + (i > 40 ? i - 40 : 0), got + (i > 40 ? i - 40 : 0));
                    check(strcmp(got, ref) == 0, "c-reload", name, detail);
                    const char *cont = jlp_doc_container(back);
                    snprintf(detail, sizeof detail, "container %s", cont ? cont : "NULL");
                    check(cont && strcmp(cont, CODECS[c][0]) == 0, "c-container", name, detail);
                    int p = jlp_doc_protocol(back);
                    snprintf(detail, sizeof detail, "protocol %d", p);
                    check(proto >= 2 ? p == proto : p == 0, "c-protocol", name, detail);
                }
                free(got);
                jlp_doc_free(back);
                /* the other sinks write the same bytes (uncompressed only: gzip headers
                 * may carry a time) */
                if (strcmp(CODECS[c][0], "none") != 0) continue;
                size_t flen = 0, mlen = 0;
                char *file = slurp(path, &flen);
                void *mem = NULL;
                rc = jlp_dump_mem(root, &o, &mem, &mlen, &err);
                check(rc == JLP_OK && file && mlen == flen && memcmp(mem, file, flen) == 0, "c-sink-mem", name,
                      rc ? err.msg : SINK_DIFF);
                free(mem);
                membuf m = {0};
                rc = jlp_dump_cb(root, mem_write, &m, &o, &err);
                check(rc == JLP_OK && m.n == flen && memcmp(m.p, file, flen) == 0, "c-sink-cb", name,
                      rc ? err.msg : SINK_DIFF);
                free(m.p);
                FILE *fp = tmpfile();
                rc = fp ? jlp_dump_file(root, fp, &o, &err) : JLP_E_IO;
                int same = 0;
                if (rc == JLP_OK) {
                    fflush(fp);
                    long n = ftell(fp);
                    char *b = malloc((size_t)n + 1);
                    rewind(fp);
                    same = n == (long)flen && fread(b, 1, (size_t)n, fp) == (size_t)n && memcmp(b, file, flen) == 0;
                    free(b);
                }
                if (fp) fclose(fp);
                check(same, "c-sink-file", name, rc ? err.msg : SINK_DIFF);
                /* a file descriptor positioned after 3 bytes: padding follows the position */
                fp = tmpfile();
                int fd = fp ? fileno(fp) : -1;
                same = 0;
                if (fd >= 0 && write(fd, "abc", 3) == 3 && jlp_dump_fd(root, fd, &o, &err) == JLP_OK) {
                    jlp_doc *d2 = NULL;
                    if (lseek(fd, 3, SEEK_SET) == 3) d2 = jlp_load_fd(fd, NULL, &err);
                    char *g2 = d2 ? jlp_export_json_str(jlp_doc_root(d2), &jo, NULL, &err) : NULL;
                    same = g2 && strcmp(g2, want) == 0;
                    free(g2);
                    jlp_doc_free(d2);
                }
                if (fp) fclose(fp);
                check(same, "c-sink-fd-offset3", name, err.msg);
                free(file);
            }
            free(want);
        }
    }
    /* the list and dict subclass instances alone at protocols 0 and 1, which Python
     * refused when they were copyreg._reconstructor(cls, object, None) */
    for (int proto = 0; proto <= 1; proto++) {
        jlp_val *which[2] = {LISTSUB, DICTSUB};
        const char *names[2] = {"listsub", "dictsub"};
        for (int k = 0; k < 2; k++) {
            snprintf(name, sizeof name, "sub_%s_p%d.pkl", names[k], proto);
            snprintf(path, sizeof path, "%s/%s", argv[1], name);
            jlp_write_opts o = JLP_WRITE_OPTS_INIT;
            o.protocol = proto;
            jlp_code rc = jlp_dump_path(which[k], path, &o, &err);
            check(rc == JLP_OK, "c-dump", name, err.msg);
        }
    }
    jlp_doc_free(D);
    return failures ? 1 : 0;
}
