/*
 * fuzz_api.c - libFuzzer target: the typed-access API over whatever loads: path access
 * (jlp_at, jlp_at_prefix), checked scalars (jlp_as_*), typed views (jlp_array_as,
 * jlp_array_field) and the sequences over object arrays.
 *
 * Input: a pickle or joblib file (any container, the fuzz budgets); the last 64 bytes
 * of the input, when it has more than 64, are also cut into JSON pointers at each NUL.
 * For the root and the values reached by those pointers and by the first items of each
 * (a bounded walk, so shared and cyclic graphs cost nothing more):
 *
 *   - jlp_at either returns a value or fails with INVALID_ARG, NOT_FOUND or BAD_TYPE at
 *     an offset inside the pointer (at 0 for INVALID_ARG when the pointer lacks its
 *     leading '/'); jlp_at_prefix returns a value and a rest that is a suffix of the
 *     pointer, the whole pointer resolved exactly when jlp_at succeeds with the same
 *     value (except where the export prints a global class as a string);
 *   - the checked scalars return OK, BAD_TYPE or RANGE, and a value that converts to
 *     int64 converts to double too unless RANGE (not BAD_TYPE);
 *   - every typed view of every element type returns OK, BAD_TYPE or RANGE (LIMIT for
 *     the budget): on OK the view has the array's element count, aligned data for the
 *     type, and a zero-copy view points at the array's own bytes; asking twice gives the
 *     same data; structured arrays give a view of every field or a reason;
 *   - jlp_len and jlp_item agree, and jlp_iter visits the same values;
 *   - every allocation is returned.
 */
#define FZ_TARGET "fuzz_api"
#include "fuzz_common.h"

#include <stdbool.h>

#define MAX_VISIT 64

static void check_scalars(const jlp_val *v) {
    jlp_error err;
    int64_t i;
    uint64_t u;
    double x;
    int b;
    const char *s;
    size_t n;
    jlp_code ci = jlp_as_int64(v, &i, &err);
    FZ_CHECK(ci == JLP_OK || ci == JLP_E_BAD_TYPE || ci == JLP_E_RANGE, "jlp_as_int64 code", ci, 0);
    jlp_code cd = jlp_as_double(v, &x, &err);
    FZ_CHECK(cd == JLP_OK || cd == JLP_E_BAD_TYPE || cd == JLP_E_RANGE, "jlp_as_double code", cd, 0);
    /* an int64 that is no datetime is a number a double is asked about too */
    if (ci == JLP_OK) FZ_CHECK(cd != JLP_E_BAD_TYPE || jlp_get_type(v) != JLP_INT, "an int is no double", cd, 0);
    jlp_code cu = jlp_as_uint64(v, &u, &err);
    FZ_CHECK(cu == JLP_OK || cu == JLP_E_BAD_TYPE || cu == JLP_E_RANGE, "jlp_as_uint64 code", cu, 0);
    if (ci == JLP_OK && cu == JLP_OK) FZ_CHECK(i >= 0 && (uint64_t)i == u, "int64 and uint64 disagree", (uint64_t)i, u);
    jlp_code cb = jlp_as_bool(v, &b, &err);
    FZ_CHECK(cb == JLP_OK || cb == JLP_E_BAD_TYPE || cb == JLP_E_RANGE, "jlp_as_bool code", cb, 0);
    if (cb == JLP_OK) FZ_CHECK(b == 0 || b == 1, "a bool that is neither", (unsigned)b, 0);
    jlp_code cs = jlp_as_str(v, &s, &n, &err);
    FZ_CHECK(cs == JLP_OK || cs == JLP_E_BAD_TYPE, "jlp_as_str code", cs, 0);
    if (cs == JLP_OK) FZ_CHECK(s[n] == 0, "a str without its NUL", n, 0);
}

static size_t align_of(jlp_elem t, size_t size) { return t == JLP_C64 ? 4 : t == JLP_C128 ? 8 : size; }

static void check_view(const jlp_val *arr, const jlp_array_info *a, const char *field, jlp_elem t, unsigned flags) {
    jlp_view v = JLP_VIEW_INIT, w = JLP_VIEW_INIT;
    jlp_error err;
    jlp_code c = field ? jlp_array_field(arr, field, t, flags, &v, &err) : jlp_array_as(arr, t, flags, &v, &err);
    FZ_CHECK(c == JLP_OK || c == JLP_E_BAD_TYPE || c == JLP_E_RANGE || c == JLP_E_LIMIT || c == JLP_E_UNSUPPORTED ||
                 c == JLP_E_NOT_FOUND,
             "typed view code", c, t);
    if (c != JLP_OK) return;
    FZ_CHECK(v.elem == t && v.elem_size && v.count >= a->count, "view element type or count", v.elem, v.count);
    if (!field) FZ_EQ("a view has the array's element count", v.count, a->count);
    if (v.count) FZ_CHECK((uintptr_t)v.data % align_of(t, v.elem_size) == 0, "a view is not aligned", (uintptr_t)v.data, t);
    if (!v.copied && !field) FZ_CHECK(v.data == a->data || !a->count, "a zero-copy view elsewhere", 0, 0);
    if (v.count) { /* read every element: a stray pointer faults under ASan */
        volatile uint8_t sink = 0;
        for (uint64_t i = 0; i < v.count; i++) sink ^= *((const uint8_t *)v.data + i * (uint64_t)v.stride);
        (void)sink;
    }
    c = field ? jlp_array_field(arr, field, t, flags, &w, &err) : jlp_array_as(arr, t, flags, &w, &err);
    FZ_CHECK(c == JLP_OK && w.data == v.data, "a second view differs", c, 0);
}

static void check_array(const jlp_val *arr) {
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    if (!jlp_array_get(arr, &a)) return;
    for (int t = JLP_B8; t <= JLP_C128; t++) {
        check_view(arr, &a, NULL, (jlp_elem)t, 0);
        check_view(arr, &a, NULL, (jlp_elem)t, JLP_AS_ROUND);
    }
    size_t nf = jlp_dtype_nfields(a.dtype);
    for (size_t f = 0; f < nf && f < 4; f++) {
        const char *name;
        jlp_dtype_field(a.dtype, f, &name, NULL, NULL);
        check_view(arr, &a, name, JLP_F64, 0);
        check_view(arr, &a, name, JLP_I64, JLP_AS_STRIDED);
    }
    if (!a.data) {
        size_t n = jlp_len(arr);
        FZ_EQ("an object array's length", n, a.count);
        jlp_iter it = jlp_iter_make(arr);
        size_t k = 0;
        for (jlp_val *x; (x = jlp_iter_next(&it)); k++) FZ_CHECK(x == jlp_item(arr, k), "iter and item differ", k, n);
        FZ_EQ("iter visits every element", k, n);
    }
}

static void check_pointer(const jlp_val *root, const char *ptr) {
    jlp_error err, perr;
    jlp_val *v = jlp_at(root, ptr, &err);
    size_t len = strlen(ptr);
    if (!v) {
        FZ_CHECK(err.code == JLP_E_INVALID_ARG || err.code == JLP_E_NOT_FOUND || err.code == JLP_E_BAD_TYPE,
                 "jlp_at code", err.code, len);
        FZ_CHECK(err.offset <= len, "jlp_at offset past the pointer", err.offset, len);
    }
    /* chained through NULL, a lookup's error reaches the caller of the next call intact */
    jlp_error cerr;
    int64_t i;
    jlp_code ci = jlp_as_int64(jlp_at(root, ptr, &cerr), &i, &cerr);
    jlp_view view = JLP_VIEW_INIT;
    jlp_error verr;
    jlp_code cv = jlp_array_as(jlp_at(root, ptr, &verr), JLP_F64, JLP_AS_NOCOPY, &view, &verr);
    if (!v) {
        FZ_CHECK(ci == err.code && cerr.code == err.code && cerr.offset == err.offset && !strcmp(cerr.msg, err.msg),
                 "jlp_as_int64 after a failed jlp_at lost its error", ci, err.code);
        FZ_CHECK(cv == err.code && verr.offset == err.offset && !strcmp(verr.msg, err.msg),
                 "jlp_array_as after a failed jlp_at lost its error", cv, err.code);
    }
    const char *rest = NULL;
    jlp_val *p = jlp_at_prefix(root, ptr, &rest, &perr);
    if (!p) {
        FZ_CHECK(perr.code == JLP_E_INVALID_ARG && err.code == JLP_E_INVALID_ARG, "jlp_at_prefix failed", perr.code, 0);
        return;
    }
    FZ_CHECK(rest >= ptr && rest <= ptr + len, "rest is not in the pointer", (uintptr_t)rest, (uintptr_t)ptr);
    if (!*rest && v) FZ_CHECK(p == v, "a whole prefix and jlp_at differ", 0, 0);
    if (*rest) FZ_CHECK(rest[0] == '/', "a rest not at a segment", (unsigned char)rest[0], 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_heap heap = {0, 0, 0, 0, 0};
    jlp_alc alc = fz_alc(&heap);
    jlp_read_opts o;
    jlp_read_opts_init(&o);
    jlp_limits lim;
    fz_budget(&o, &lim);
    o.alc = &alc;
    jlp_error err;
    jlp_doc *d = jlp_load_mem(data, size, &o, NULL, &err);
    if (d) {
        /* the values to look at: the root, then the first parts of each, breadth first */
        const jlp_val *seen[MAX_VISIT];
        size_t n = 0;
        seen[n++] = jlp_doc_root(d);
        for (size_t i = 0; i < n; i++) {
            const jlp_val *v = seen[i];
            check_scalars(v);
            check_array(v);
            const jlp_val *kids[4] = {jlp_item(v, 0), jlp_item(v, 1), jlp_obj_state(v), jlp_dict_value(v, 0)};
            for (int k = 0; k < 4 && n < MAX_VISIT; k++)
                if (kids[k]) seen[n++] = kids[k];
        }
        static const char *const fixed[] = {"", "/0", "/0/0", "/$tuple/1", "/$object/state", "/$object/args/0",
                                            "/$ndarray/data/0", "/coef_", "/steps/0/1", "/$dict/0/1", "/a~1b", "x",
                                            "/~", "/$object/class", "/$persid"};
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) check_pointer(jlp_doc_root(d), fixed[i]);
        if (size > 64) { /* pointers from the input's tail */
            char tail[65];
            memcpy(tail, data + size - 64, 64);
            tail[64] = 0;
            for (size_t i = 0; i < 64;) {
                check_pointer(jlp_doc_root(d), tail + i);
                i += strlen(tail + i) + 1;
            }
        }
        jlp_doc_free(d);
    }
    fz_heap_check_empty(&heap, "loads and typed access");
    return 0;
}
