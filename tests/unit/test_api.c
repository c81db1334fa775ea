/*
 * test_api.c - the API a program serving models uses: path access (jlp_at,
 * jlp_at_prefix) with the failing segment in the error, checked scalars (jlp_as_*),
 * typed views of arrays and of structured fields (jlp_array_as, jlp_array_field),
 * object arrays read as sequences, attributes, editing (jlp_dict_del, jlp_list_del,
 * jlp_obj_set_attr...), the builder's errors (jlp_doc_error), dtypes of another document,
 * the constructors of persistent ids, extension codes, NEWOBJ_EX and Fortran-ordered
 * object arrays, and the dtype names numpy accepts (tests/values/dtype_names.txt, made by
 * numpy). Every check asserts exact values, codes, offsets and messages.
 */
#include "harness.h"
#include "util.h"

#include <float.h>
#include <math.h>
#include <unistd.h>

#define CHECK_CODE(expr, code) CHECK_INT((expr), (code))

/* ---- a document to walk ------------------------------------------------------------- */

typedef struct fixture {
    jlp_doc *doc;
    jlp_val *root, *pipe, *scaler, *mean, *tree, *objarr;
} fixture;

static jlp_val *str(jlp_doc *d, const char *s) { return jlp_new_strz(d, s); }
static jlp_val *obj(jlp_doc *d, const char *mod, const char *cls) {
    return jlp_new_object(d, jlp_new_global(d, mod, cls), NULL, jlp_new_dict(d));
}

/* root = {"pipe": Pipeline(steps=[("scaler", StandardScaler(mean_=array([1.5, -2.]))),
 *                                 ("clf", Tree(nodes=structured array))]),
 *         "t": (10, "x"), "d": {1: "one", "k": "v"}, "objs": object array 2x2,
 *         "slots": Slotted(state=({"a": 1}, {"b": 2})), "nothing": None, "a/b~c": 7} */
static void make_fixture(fixture *f) {
    jlp_error err;
    jlp_doc *d = f->doc = jlp_doc_new(NULL);
    f->root = jlp_new_dict(d);
    f->pipe = obj(d, "sklearn.pipeline", "Pipeline");
    f->scaler = obj(d, "sklearn.preprocessing._data", "StandardScaler");
    uint64_t two = 2;
    double mean[2] = {1.5, -2.0};
    f->mean = jlp_new_array(d, jlp_new_dtype(d, "<f8", &err), 1, &two, 'C', mean, sizeof mean, JLP_COPY, &err);
    jlp_obj_set_attr(d, f->scaler, "mean_", f->mean);
    jlp_obj_set_attr(d, f->scaler, "with_mean", jlp_new_bool(d, 1));
    f->tree = obj(d, "sklearn.tree._tree", "Tree");
    jlp_val *step1[2] = {str(d, "scaler"), f->scaler}, *step2[2] = {str(d, "clf"), f->tree};
    jlp_val *steps = jlp_new_list(d);
    jlp_list_append(d, steps, jlp_new_tuple(d, step1, 2));
    jlp_list_append(d, steps, jlp_new_tuple(d, step2, 2));
    jlp_obj_set_attr(d, f->pipe, "steps", steps);
    jlp_dict_set_str(d, f->root, "pipe", f->pipe);
    jlp_val *t[2] = {jlp_new_int(d, 10), str(d, "x")};
    jlp_dict_set_str(d, f->root, "t", jlp_new_tuple(d, t, 2));
    jlp_val *dd = jlp_new_dict(d);
    jlp_dict_set(d, dd, jlp_new_int(d, 1), str(d, "one"));
    jlp_dict_set_str(d, dd, "k", str(d, "v"));
    jlp_dict_set_str(d, f->root, "d", dd);
    uint64_t shape[2] = {2, 2};
    jlp_val *items[4] = {str(d, "a"), str(d, "b"), str(d, "c"), jlp_new_int(d, 4)};
    f->objarr = jlp_new_object_array(d, 2, shape, items, &err);
    jlp_dict_set_str(d, f->root, "objs", f->objarr);
    jlp_val *a = jlp_new_dict(d), *b = jlp_new_dict(d);
    jlp_dict_set_str(d, a, "a", jlp_new_int(d, 1));
    jlp_dict_set_str(d, b, "b", jlp_new_int(d, 2));
    jlp_val *st[2] = {a, b};
    jlp_val *slotted = jlp_new_object(d, jlp_new_global(d, "m", "Slotted"), NULL, jlp_new_tuple(d, st, 2));
    jlp_dict_set_str(d, f->root, "slots", slotted);
    jlp_dict_set_str(d, f->root, "nothing", jlp_new_none(d));
    jlp_dict_set_str(d, f->root, "a/b~c", jlp_new_int(d, 7));
    jlp_doc_set_root(d, f->root);
    CHECK_CODE(jlp_doc_error(d, &err), JLP_OK);
}

static int64_t int_at(const jlp_val *root, const char *ptr) {
    int64_t v = -999;
    jlp_error err;
    if (jlp_as_int64(jlp_at(root, ptr, &err), &v, &err) != JLP_OK) TH_FAIL("%s: %s", ptr, err.msg);
    return v;
}

TEST(path_access_resolves_the_export_syntax_and_shorthands) {
    fixture f;
    make_fixture(&f);
    jlp_error err;
    CHECK(jlp_at(f.root, "", &err) == f.root);
    CHECK(jlp_at(f.root, "/pipe/steps/0/1/mean_", &err) == f.mean);
    CHECK(jlp_at(f.root, "/pipe/$object/state/steps/0/$tuple/1/$object/state/mean_", &err) == f.mean);
    CHECK_STR(jlp_get_str(jlp_at(f.root, "/pipe/steps/1/0", &err), NULL), "clf");
    CHECK_INT(int_at(f.root, "/t/0"), 10);
    CHECK_INT(int_at(f.root, "/t/$tuple/0"), 10);
    CHECK_STR(jlp_get_str(jlp_at(f.root, "/d/k", &err), NULL), "v");
    CHECK_STR(jlp_get_str(jlp_at(f.root, "/d/$dict/0/1", &err), NULL), "one");
    CHECK_INT(int_at(f.root, "/d/$dict/0/0"), 1);
    CHECK_STR(jlp_get_str(jlp_at(f.root, "/objs/$ndarray/data/1/0", &err), NULL), "c");
    CHECK_INT(int_at(f.root, "/objs/3"), 4);
    CHECK_INT(int_at(f.root, "/slots/a"), 1);
    CHECK_INT(int_at(f.root, "/slots/b"), 2);
    CHECK_INT(int_at(f.root, "/a~1b~0c"), 7);
    CHECK(jlp_get_type(jlp_at(f.root, "/nothing", &err)) == JLP_NONE);
    CHECK_STR(jlp_global_name(jlp_at(f.root, "/pipe/$object/class", &err), NULL), "Pipeline");
    CHECK(jlp_at(f.root, "/pipe/$object/args", &err) == NULL); /* args need an index */
    CHECK_ERR(err, JLP_E_NOT_FOUND, 13);
    CHECK_STR(err.msg, "at '/pipe/$object', segment 'args': args needs an index or key after it");
    jlp_doc_free(f.doc);
}

/* The error of jlp_at(root, ptr) is `code` at `off` with exactly `msg`. */
static void at_fails(int line, const jlp_val *root, const char *ptr, jlp_code code, uint64_t off, const char *msg) {
    jlp_error err = JLP_ERROR_INIT;
    jlp_val *v = jlp_at(root, ptr, &err);
    if (v || err.code != code || err.offset != off || strcmp(err.msg, msg))
        TH_FAIL("line %d: %s: %s at %llu: '%s', expected %s at %llu: '%s'", line, ptr ? ptr : "(NULL)",
                jlp_error_name(err.code),
                (unsigned long long)err.offset, err.msg, jlp_error_name(code), (unsigned long long)off, msg);
}
#define AT_FAILS(root, ptr, code, off, msg) at_fails(__LINE__, (root), (ptr), (code), (off), (msg))

TEST(path_errors_name_the_failing_segment) {
    fixture f;
    make_fixture(&f);
    AT_FAILS(f.root, "/pipe/steps/0/1/scale_", JLP_E_NOT_FOUND, 15,
             "at '/pipe/steps/0/1', segment 'scale_': the object has no such attribute");
    AT_FAILS(f.root, "/pipe/steps/2", JLP_E_NOT_FOUND, 11,
             "at '/pipe/steps', segment '2': index 2 is past the end of a list of 2");
    AT_FAILS(f.root, "/t/0/x", JLP_E_BAD_TYPE, 4, "at '/t/0', segment 'x': an int has no such part");
    AT_FAILS(f.root, "/nothing/x", JLP_E_BAD_TYPE, 8, "at '/nothing', segment 'x': None has no such part");
    AT_FAILS(f.root, "/pipe/steps/0/1/mean_/0", JLP_E_BAD_TYPE, 21,
             "at '/pipe/steps/0/1/mean_', segment '0': a <f8 array's elements are not values: use jlp_array_as");
    AT_FAILS(f.root, "/nope", JLP_E_NOT_FOUND, 0, "at '', segment 'nope': no such key in a dict of 7 pairs");
    AT_FAILS(f.root, "/objs/$ndarray/data/2/0", JLP_E_NOT_FOUND, 19,
             "at '/objs/$ndarray/data', segment '2': dimension 0 of the array has 2 elements");
    AT_FAILS(f.root, "/d/$dict/5/1", JLP_E_NOT_FOUND, 8, "at '/d/$dict', segment '5': pair 5 is past the end of 2 pairs");
    AT_FAILS(f.root, "/pipe/$object/kwargs/x", JLP_E_NOT_FOUND, 20,
             "at '/pipe/$object/kwargs', segment 'x': no such keyword argument");
    AT_FAILS(f.root, "/pipe/$object/call", JLP_E_NOT_FOUND, 13,
             "at '/pipe/$object', segment 'call': the object is an instance: its callable is 'class'");
    AT_FAILS(f.root, "x", JLP_E_INVALID_ARG, 0, "a JSON pointer is empty or starts with '/'");
    AT_FAILS(f.root, "/a~2", JLP_E_INVALID_ARG, 2, "'~' at byte 2 is not ~0 or ~1");
    AT_FAILS(NULL, "", JLP_E_INVALID_ARG, 0, "NULL value");
    AT_FAILS(f.root, NULL, JLP_E_INVALID_ARG, 0, "NULL pointer");
    AT_FAILS(f.root, "/t/01", JLP_E_NOT_FOUND, 2, "at '/t', segment '01': a tuple has no such part");
    /* a very long path is shown by its tail */
    jlp_error err;
    CHECK(jlp_at(f.root, "/pipe/$object/state/steps/0/$tuple/1/$object/state/mean_/dtype/more", &err) == NULL);
    CHECK_ERR(err, JLP_E_BAD_TYPE, 56);
    CHECK_STR(err.msg, "at '...ate/steps/0/$tuple/1/$object/state/mean_', segment 'dtype': a <f8 array's elements are not values: use jlp_array_as");
    jlp_doc_free(f.doc);
}

TEST(path_prefix_stops_where_values_end) {
    fixture f;
    make_fixture(&f);
    jlp_error err;
    const char *rest;
    CHECK(jlp_at_prefix(f.root, "/pipe/steps/0/1/mean_/$ndarray/shape", &rest, &err) == f.mean);
    CHECK_STR(rest, "/$ndarray/shape");
    CHECK_INT(err.code, JLP_OK);
    /* a global class prints as a string in the export: the object is the deepest value */
    CHECK(jlp_at_prefix(f.root, "/pipe/$object/class", &rest, &err) == f.pipe);
    CHECK_STR(rest, "/$object/class");
    CHECK(jlp_at_prefix(f.root, "/t/1", &rest, &err) == jlp_at(f.root, "/t/1", NULL));
    CHECK_STR(rest, "");
    CHECK(jlp_at_prefix(f.root, "/missing/x", &rest, &err) == f.root);
    CHECK_STR(rest, "/missing/x");
    CHECK(jlp_at_prefix(f.root, "bad", &rest, &err) == NULL);
    CHECK_ERR(err, JLP_E_INVALID_ARG, 0);
    CHECK(jlp_at_prefix(f.root, "", NULL, &err) == NULL);
    CHECK_ERR(err, JLP_E_INVALID_ARG, 0);
    jlp_doc_free(f.doc);
}

/* ---- errors chained through NULL ----------------------------------------------------- */

static int discard(void *ctx, const void *data, size_t len) {
    (void)ctx, (void)data, (void)len;
    return 0;
}

/* `call` given the NULL of a failed lookup: it returns the lookup's code and leaves its
   error (code, offset, message) as it was. */
#define KEEPS(call)                                                                          \
    do {                                                                                     \
        jlp_error e_;                                                                        \
        jlp_val *x_ = jlp_at(f.root, "/pipe/steps/0/1/scale_", &e_);                         \
        (void)x_;                                                                            \
        jlp_code c_ = (jlp_code)(call);                                                      \
        CHECK_INT(c_, JLP_E_NOT_FOUND);                                                      \
        CHECK_ERR(e_, JLP_E_NOT_FOUND, 15);                                                  \
        CHECK_STR(e_.msg, "at '/pipe/steps/0/1', segment 'scale_': the object has no such attribute"); \
    } while (0)

/* `call` given NULL after a success (err holds OK): INVALID_ARG "NULL value". */
#define NULL_IS_INVALID(call)                                                                \
    do {                                                                                     \
        jlp_error e_;                                                                        \
        jlp_val *x_ = jlp_at(f.root, "/t", &e_);                                             \
        CHECK(x_ != NULL);                                                                   \
        x_ = NULL;                                                                           \
        jlp_code c_ = (jlp_code)(call);                                                      \
        CHECK_INT(c_, JLP_E_INVALID_ARG);                                                    \
        CHECK_ERR(e_, JLP_E_INVALID_ARG, 0);                                                 \
        CHECK_STR(e_.msg, "NULL value");                                                     \
    } while (0)

TEST(a_failed_lookup_keeps_its_error_through_the_calls_given_its_null) {
    fixture f;
    make_fixture(&f);
    int64_t i = 7;
    uint64_t u = 7;
    double x = 7.0;
    int b = 7;
    const char *s = "untouched";
    size_t len = 7;
    char buf[8];
    jlp_view view = JLP_VIEW_INIT;
    void *mem = &view;
    const char *rest = "x";
    FILE *fp = tmpfile();
    CHECK(fp != NULL);
    /* the example of jlpickle.h: a missing attribute, then a checked scalar */
    jlp_error err;
    CHECK_CODE(jlp_as_int64(jlp_at(f.root, "/pipe/steps/0/1/scale_", &err), &i, &err), JLP_E_NOT_FOUND);
    CHECK_ERR(err, JLP_E_NOT_FOUND, 15);
    CHECK_STR(err.msg, "at '/pipe/steps/0/1', segment 'scale_': the object has no such attribute");
    CHECK_INT(i, 7);
    /* every reading call given the NULL of the failed lookup */
    KEEPS(jlp_as_int64(x_, &i, &e_));
    KEEPS(jlp_as_uint64(x_, &u, &e_));
    KEEPS(jlp_as_double(x_, &x, &e_));
    KEEPS(jlp_as_bool(x_, &b, &e_));
    KEEPS(jlp_as_str(x_, &s, &len, &e_));
    KEEPS(jlp_array_as(x_, JLP_F64, 0, &view, &e_));
    KEEPS(jlp_array_field(x_, "threshold", JLP_F64, JLP_AS_STRIDED, &view, &e_));
    KEEPS(jlp_array_str(x_, 0, buf, sizeof buf, &len, &e_));
    KEEPS(jlp_array_copy_native(x_, buf, sizeof buf, &e_));
    KEEPS(jlp_at(x_, "/0", &e_) ? JLP_OK : e_.code);
    KEEPS(jlp_at_prefix(x_, "/0", &rest, &e_) ? JLP_OK : e_.code);
    KEEPS(jlp_dump_mem(x_, NULL, &mem, &len, &e_));
    KEEPS(jlp_dump_cb(x_, discard, NULL, NULL, &e_));
    KEEPS(jlp_dump_file(x_, fp, NULL, &e_));
    KEEPS(jlp_dump_fd(x_, fileno(fp), NULL, &e_));
    KEEPS(jlp_dump_path(x_, "never-written.pkl", NULL, &e_));
    KEEPS(jlp_dump_npy_mem(x_, &mem, &len, &e_));
    KEEPS(jlp_dump_npy_cb(x_, discard, NULL, &e_));
    KEEPS(jlp_dump_npz_mem(x_, 0, &mem, &len, &e_));
    KEEPS(jlp_export_json(x_, NULL, discard, NULL, &e_));
    KEEPS(jlp_export_json_file(x_, NULL, fp, &e_));
    KEEPS(jlp_export_json_str(x_, NULL, &len, &e_) ? JLP_OK : e_.code);
    /* the accessors without err pass NULL on and leave the error where it is */
    KEEPS(jlp_as_int64(jlp_item(jlp_dict_get(jlp_obj_attr(x_, "n"), "k"), 0), &i, &e_));
    KEEPS(jlp_as_int64(jlp_at(jlp_item(x_, 3), "/0", &e_), &i, &e_));
    /* nothing was written anywhere */
    CHECK(i == 7 && u == 7 && x == 7.0 && b == 7 && !strcmp(s, "untouched") && rest == NULL);
    CHECK(mem == NULL && len == 0);
    CHECK(access("never-written.pkl", F_OK) != 0);
    /* after a success, NULL is INVALID_ARG "NULL value" */
    NULL_IS_INVALID(jlp_as_int64(x_, &i, &e_));
    NULL_IS_INVALID(jlp_as_str(x_, &s, &len, &e_));
    NULL_IS_INVALID(jlp_array_as(x_, JLP_F64, 0, &view, &e_));
    NULL_IS_INVALID(jlp_array_field(x_, "threshold", JLP_F64, 0, &view, &e_));
    NULL_IS_INVALID(jlp_array_str(x_, 0, buf, sizeof buf, &len, &e_));
    NULL_IS_INVALID(jlp_array_copy_native(x_, buf, sizeof buf, &e_));
    NULL_IS_INVALID(jlp_at(x_, "", &e_) ? JLP_OK : e_.code);
    NULL_IS_INVALID(jlp_dump_mem(x_, NULL, &mem, &len, &e_));
    NULL_IS_INVALID(jlp_dump_npy_mem(x_, &mem, &len, &e_));
    NULL_IS_INVALID(jlp_dump_npz_mem(x_, 1, &mem, &len, &e_));
    NULL_IS_INVALID(jlp_export_json(x_, NULL, discard, NULL, &e_));
    /* an item past the end after a successful lookup: INVALID_ARG, not BAD_TYPE */
    CHECK_CODE(jlp_as_int64(jlp_item(jlp_at(f.root, "/t", &err), 5), &i, &err), JLP_E_INVALID_ARG);
    CHECK_STR(err.msg, "NULL value");
    /* a cleared struct, a NULL err, a code outside the table (a struct never set) */
    jlp_error clear = JLP_ERROR_INIT;
    CHECK_CODE(jlp_as_double(NULL, &x, &clear), JLP_E_INVALID_ARG);
    CHECK_ERR(clear, JLP_E_INVALID_ARG, 0);
    CHECK_STR(clear.msg, "NULL value");
    CHECK_CODE(jlp_as_double(NULL, &x, NULL), JLP_E_INVALID_ARG);
    CHECK(jlp_at(NULL, "", NULL) == NULL);
    jlp_error odd = JLP_ERROR_INIT;
    odd.code = (jlp_code)JLP_E__COUNT;
    CHECK_CODE(jlp_as_bool(NULL, &b, &odd), JLP_E_INVALID_ARG);
    CHECK_STR(odd.msg, "NULL value");
    /* a kept message is NUL-terminated even if its last byte was not */
    jlp_error full = JLP_ERROR_INIT;
    full.code = JLP_E_NOT_FOUND;
    memset(full.msg, 'm', sizeof full.msg);
    CHECK_CODE(jlp_array_as(NULL, JLP_F64, 0, &view, &full), JLP_E_NOT_FOUND);
    CHECK_INT(strlen(full.msg), sizeof full.msg - 1);
    /* a non-NULL value is read normally whatever err held */
    CHECK_CODE(jlp_as_int64(jlp_at(f.root, "/t/0", &err), &i, &err), JLP_OK);
    CHECK_INT(i, 10);
    CHECK_INT(err.code, JLP_OK);
    fclose(fp);
    jlp_doc_free(f.doc);
}

/* ---- checked scalars ---------------------------------------------------------------- */

static jlp_val *scalar(jlp_doc *d, const char *dt, const void *bytes) {
    jlp_error err;
    return jlp_new_scalar(d, jlp_new_dtype(d, dt, &err), bytes, &err);
}

TEST(checked_scalars_accept_python_and_numpy_numbers) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    int64_t i;
    uint64_t u;
    double x;
    int b;
    /* Python values */
    CHECK_CODE(jlp_as_int64(jlp_new_int(d, -5), &i, &err), JLP_OK);
    CHECK_INT(i, -5);
    CHECK_CODE(jlp_as_int64(jlp_new_bool(d, 1), &i, &err), JLP_OK);
    CHECK_INT(i, 1);
    CHECK_CODE(jlp_as_int64(jlp_new_float(d, 3.0), &i, &err), JLP_OK);
    CHECK_INT(i, 3);
    CHECK_CODE(jlp_as_int64(jlp_new_float(d, 3.5), &i, &err), JLP_E_RANGE);
    CHECK_STR(err.msg, "the value does not fit an int64 exactly");
    CHECK_CODE(jlp_as_int64(jlp_new_float(d, NAN), &i, &err), JLP_E_RANGE);
    CHECK_CODE(jlp_as_int64(jlp_new_float(d, 9223372036854775808.0), &i, &err), JLP_E_RANGE);
    CHECK_CODE(jlp_as_int64(jlp_new_float(d, -9223372036854775808.0), &i, &err), JLP_OK);
    CHECK_INT(i, INT64_MIN);
    CHECK_CODE(jlp_as_int64(jlp_new_strz(d, "3"), &i, &err), JLP_E_BAD_TYPE);
    CHECK_STR(err.msg, "a str is not an int64");
    /* NULL is no type error (section 2 of jlpickle.h: the error of the lookup that gave
       NULL is kept; after a success, NULL is INVALID_ARG) */
    CHECK_CODE(jlp_as_int64(jlp_new_int(d, 1), &i, &err), JLP_OK);
    CHECK_CODE(jlp_as_int64(NULL, &i, &err), JLP_E_INVALID_ARG);
    CHECK_STR(err.msg, "NULL value");
    CHECK_CODE(jlp_as_int64(jlp_new_int(d, 1), NULL, &err), JLP_E_INVALID_ARG);
    CHECK_CODE(jlp_as_int64(jlp_new_complex(d, 1, 0), &i, &err), JLP_E_BAD_TYPE);
    /* 2**64 - 1 and 2**64 as Python big ints */
    static const uint8_t u64max[9] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    static const uint8_t two64[9] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK_CODE(jlp_as_uint64(jlp_new_bigint(d, u64max, 9), &u, &err), JLP_OK);
    CHECK(u == UINT64_MAX);
    CHECK_CODE(jlp_as_int64(jlp_new_bigint(d, u64max, 9), &i, &err), JLP_E_RANGE);
    CHECK_CODE(jlp_as_uint64(jlp_new_bigint(d, two64, 9), &u, &err), JLP_E_RANGE);
    CHECK_STR(err.msg, "an int beyond 64 bits does not fit a uint64");
    CHECK_CODE(jlp_as_uint64(jlp_new_int(d, -1), &u, &err), JLP_E_RANGE);
    CHECK_CODE(jlp_as_double(jlp_new_int(d, (int64_t)1 << 53), &x, &err), JLP_OK);
    CHECK(x == 9007199254740992.0);
    CHECK_CODE(jlp_as_double(jlp_new_int(d, ((int64_t)1 << 53) + 1), &x, &err), JLP_E_RANGE);
    CHECK_CODE(jlp_as_double(jlp_new_float(d, -INFINITY), &x, &err), JLP_OK);
    CHECK(isinf(x) && x < 0);
    CHECK_CODE(jlp_as_bool(jlp_new_bool(d, 0), &b, &err), JLP_OK);
    CHECK_INT(b, 0);
    CHECK_CODE(jlp_as_bool(jlp_new_int(d, 1), &b, &err), JLP_OK);
    CHECK_INT(b, 1);
    CHECK_CODE(jlp_as_bool(jlp_new_int(d, 2), &b, &err), JLP_E_RANGE);
    CHECK_CODE(jlp_as_bool(jlp_new_float(d, 1.0), &b, &err), JLP_E_BAD_TYPE);
    /* numpy scalars of every kind, both byte orders */
    int64_t n_classes = 3;
    CHECK_CODE(jlp_as_int64(scalar(d, "<i8", &n_classes), &i, &err), JLP_OK);
    CHECK_INT(i, 3);
    static const uint8_t be_i4[4] = {0xff, 0xff, 0xff, 0xfe};
    CHECK_CODE(jlp_as_int64(scalar(d, ">i4", be_i4), &i, &err), JLP_OK);
    CHECK_INT(i, -2);
    CHECK_CODE(jlp_as_uint64(scalar(d, ">i4", be_i4), &u, &err), JLP_E_RANGE);
    static const uint8_t u8max[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK_CODE(jlp_as_uint64(scalar(d, "<u8", u8max), &u, &err), JLP_OK);
    CHECK(u == UINT64_MAX);
    CHECK_CODE(jlp_as_int64(scalar(d, "<u8", u8max), &i, &err), JLP_E_RANGE);
    static const uint8_t half[2] = {0x00, 0x3e}; /* 1.5 */
    CHECK_CODE(jlp_as_double(scalar(d, "<f2", half), &x, &err), JLP_OK);
    CHECK(x == 1.5);
    float f32 = 0.1f;
    CHECK_CODE(jlp_as_double(scalar(d, "<f4", &f32), &x, &err), JLP_OK);
    CHECK(x == (double)0.1f);
    CHECK_CODE(jlp_as_int64(scalar(d, "<f4", &f32), &i, &err), JLP_E_RANGE);
    uint8_t t = 1;
    CHECK_CODE(jlp_as_bool(scalar(d, "|b1", &t), &b, &err), JLP_OK);
    CHECK_INT(b, 1);
    CHECK_CODE(jlp_as_double(scalar(d, "|b1", &t), &x, &err), JLP_OK);
    CHECK(x == 1.0);
    int64_t when = 1700000000;
    CHECK_CODE(jlp_as_int64(scalar(d, "<M8[s]", &when), &i, &err), JLP_OK);
    CHECK_INT(i, 1700000000);
    CHECK_CODE(jlp_as_double(scalar(d, "<M8[s]", &when), &x, &err), JLP_E_BAD_TYPE);
    CHECK_STR(err.msg, "a datetime64/timedelta64 value is not a double");
    double c[2] = {1.0, 0.0};
    CHECK_CODE(jlp_as_double(scalar(d, "<c16", c), &x, &err), JLP_E_BAD_TYPE);
    CHECK_CODE(jlp_as_int64(scalar(d, "|S2", "ab"), &i, &err), JLP_E_BAD_TYPE);
    CHECK_STR(err.msg, "a |S2 value is not an int64");
    /* x87 long double: 1/3 loses bits in a double, 0.5 does not */
    uint8_t ld[16] = {0};
    long double third = 1.0L / 3.0L, halfl = 0.5L;
    memcpy(ld, &third, 10);
    CHECK_CODE(jlp_as_double(scalar(d, "<f16", ld), &x, &err), JLP_E_RANGE);
    memcpy(ld, &halfl, 10);
    CHECK_CODE(jlp_as_double(scalar(d, "<f16", ld), &x, &err), JLP_OK);
    CHECK(x == 0.5);
    jlp_doc_free(d);
}

TEST(checked_scalars_look_into_small_arrays_and_objects) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    int64_t i;
    double x;
    const char *s;
    size_t len;
    int32_t v = 42;
    jlp_val *dt = jlp_new_dtype(d, "<i4", &err);
    jlp_val *zero_d = jlp_new_array(d, dt, 0, NULL, 'C', &v, 4, JLP_COPY, &err);
    uint64_t one = 1, three = 3;
    jlp_val *one_el = jlp_new_array(d, dt, 1, &one, 'C', &v, 4, JLP_COPY, &err);
    int32_t three_v[3] = {1, 2, 3};
    jlp_val *three_el = jlp_new_array(d, dt, 1, &three, 'C', three_v, 12, JLP_COPY, &err);
    CHECK_CODE(jlp_as_int64(zero_d, &i, &err), JLP_OK);
    CHECK_INT(i, 42);
    CHECK_CODE(jlp_as_double(one_el, &x, &err), JLP_OK);
    CHECK(x == 42.0);
    CHECK_CODE(jlp_as_int64(three_el, &i, &err), JLP_E_BAD_TYPE);
    CHECK_STR(err.msg, "an array of 3 elements is not an int64");
    jlp_val *item = jlp_new_strz(d, "liblinear");
    jlp_val *objs = jlp_new_object_array(d, 1, &one, &item, &err);
    CHECK_CODE(jlp_as_str(objs, &s, &len, &err), JLP_OK);
    CHECK_STR(s, "liblinear");
    CHECK_INT(len, 9);
    CHECK_CODE(jlp_as_str(jlp_new_bytes(d, "ab", 2), &s, &len, &err), JLP_E_BAD_TYPE);
    CHECK_STR(err.msg, "a bytes is not a str");
    CHECK_CODE(jlp_as_str(item, NULL, &len, &err), JLP_E_INVALID_ARG);
    jlp_val *num = jlp_new_int(d, 7);
    jlp_val *objn = jlp_new_object_array(d, 0, NULL, &num, &err);
    CHECK_CODE(jlp_as_int64(objn, &i, &err), JLP_OK);
    CHECK_INT(i, 7);
    jlp_doc_free(d);
}

/* ---- typed views -------------------------------------------------------------------- */

TEST(typed_views_are_zero_copy_when_they_can_be) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    uint64_t shape[2] = {2, 3};
    double data[6] = {0.5, 1, 2, 3, 4, 5};
    jlp_val *arr = jlp_new_array(d, jlp_new_dtype(d, "float64", &err), 2, shape, 'C', data, sizeof data, JLP_BORROW, &err);
    jlp_view v = JLP_VIEW_INIT;
    CHECK_CODE(jlp_array_as(arr, JLP_F64, 0, &v, &err), JLP_OK);
    CHECK(v.data == data);
    CHECK_INT(v.copied, 0);
    CHECK_INT(v.count, 6);
    CHECK_INT(v.ndim, 2);
    CHECK(v.shape[0] == 2 && v.shape[1] == 3);
    CHECK_INT(v.stride, 8);
    CHECK_INT(v.elem, JLP_F64);
    CHECK_INT(v.elem_size, 8);
    /* to float32: exact for these values; converted once, the same bytes next time */
    jlp_view w = JLP_VIEW_INIT, w2 = JLP_VIEW_INIT;
    CHECK_CODE(jlp_array_as(arr, JLP_F32, 0, &w, &err), JLP_OK);
    CHECK_INT(w.copied, 1);
    CHECK(((const float *)w.data)[0] == 0.5f && ((const float *)w.data)[5] == 5.0f);
    CHECK_CODE(jlp_array_as(arr, JLP_F32, 0, &w2, &err), JLP_OK);
    CHECK(w2.data == w.data);
    CHECK_CODE(jlp_array_as(arr, JLP_I32, JLP_AS_NOCOPY, &w2, &err), JLP_E_UNSUPPORTED);
    CHECK_STR(err.msg, "an int32 view of a <f8 array needs a conversion (JLP_AS_NOCOPY)");
    CHECK_CODE(jlp_array_as(arr, JLP_I32, 0, &w2, &err), JLP_E_RANGE);
    CHECK_STR(err.msg, "array: element 0 does not fit int32 exactly (JLP_AS_ROUND rounds floats)");
    /* editing the bytes forgets the conversions */
    double *mut = jlp_array_data_mut(d, arr);
    mut[0] = 0.1;
    CHECK_CODE(jlp_array_as(arr, JLP_F32, 0, &w2, &err), JLP_E_RANGE);
    CHECK_STR(err.msg, "array: element 0 does not fit float32 exactly (JLP_AS_ROUND rounds floats)");
    CHECK_CODE(jlp_array_as(arr, JLP_F32, JLP_AS_ROUND, &w2, &err), JLP_OK);
    CHECK(((const float *)w2.data)[0] == 0.1f);
    jlp_doc_free(d);
}

/* A one-element array of dtype `dt` holding `bytes`, viewed as `t`. */
static jlp_code view1(jlp_doc *d, const char *dt, const void *bytes, size_t n, jlp_elem t, unsigned flags,
                      void *out, jlp_error *err) {
    uint64_t one = 1;
    jlp_val *a = jlp_new_array(d, jlp_new_dtype(d, dt, err), 1, &one, 'C', bytes, n, JLP_COPY, err);
    jlp_view v = JLP_VIEW_INIT;
    jlp_code c = jlp_array_as(a, t, flags, &v, err);
    if (!c) memcpy(out, v.data, v.elem_size);
    return c;
}

/* The 16 bytes of a little-endian x87 longdouble item: sign, unbiased exponent and the
   64-bit significand (its integer bit included), then 6 bytes of padding. */
static void ext80(uint8_t out[16], int neg, int exp, uint64_t mant) {
    memset(out, 0, 16);
    for (int k = 0; k < 8; k++) out[k] = (uint8_t)(mant >> (8 * k));
    unsigned e = (unsigned)(exp + 16383) | (neg ? 0x8000u : 0);
    out[8] = (uint8_t)e;
    out[9] = (uint8_t)(e >> 8);
}

/* Found by tests/views (random arrays against numpy's astype): rounding goes once from
   the item's own value to the target, as numpy rounds; an overflow is only what rounds
   to an infinity; a longdouble integer beyond a double's 53 bits converts to an int. */
TEST(typed_views_round_once_as_numpy) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    float f;
    float c[2];
    int64_t i;
    uint64_t u;
    /* 2^60 + 2^36 + 1: just above a float midpoint; by way of the double 2^60 + 2^36 (the
       midpoint itself) it rounded to even, 2^60 */
    int64_t near = ((int64_t)1 << 60) + ((int64_t)1 << 36) + 1;
    CHECK_CODE(view1(d, "<i8", &near, 8, JLP_F32, JLP_AS_ROUND, &f, &err), JLP_OK);
    CHECK(f == 0x1.000002p60f);
    CHECK_CODE(view1(d, "<i8", &near, 8, JLP_C64, JLP_AS_ROUND, c, &err), JLP_OK);
    CHECK(c[0] == 0x1.000002p60f && c[1] == 0.0f);
    CHECK_CODE(view1(d, "<i8", &near, 8, JLP_F32, 0, &f, &err), JLP_E_RANGE);
    uint64_t unear = ((uint64_t)1 << 63) + ((uint64_t)1 << 39) + 1;
    CHECK_CODE(view1(d, "<u8", &unear, 8, JLP_F32, JLP_AS_ROUND, &f, &err), JLP_OK);
    CHECK(f == 0x1.000002p63f);
    /* a quarter ulp past FLT_MAX rounds to FLT_MAX; half an ulp rounds (to even) to inf */
    double above = 0x1.fffffe8p127, half = 0x1.ffffffp127;
    CHECK_CODE(view1(d, "<f8", &above, 8, JLP_F32, JLP_AS_ROUND, &f, &err), JLP_OK);
    CHECK(f == 0x1.fffffep127f);
    CHECK_CODE(view1(d, "<f8", &above, 8, JLP_F32, 0, &f, &err), JLP_E_RANGE);
    CHECK_CODE(view1(d, "<f8", &half, 8, JLP_F32, JLP_AS_ROUND, &f, &err), JLP_E_RANGE);
    CHECK_STR(err.msg, "array: element 0 does not fit float32 exactly");
    /* x87 longdouble items, written byte by byte (no long double arithmetic: valgrind
       does it in 64 bits): 2^63 + 1, -2^63, 1 + 2^-24 + 2^-60 */
    uint8_t ld[16];
    ext80(ld, 0, 63, 0x8000000000000001u);
    CHECK_CODE(view1(d, "<f16", ld, 16, JLP_U64, 0, &u, &err), JLP_OK);
    CHECK(u == ((uint64_t)1 << 63) + 1);
    CHECK_CODE(view1(d, "<f16", ld, 16, JLP_I64, 0, &i, &err), JLP_E_RANGE);
    CHECK_CODE(jlp_as_uint64(scalar(d, "<f16", ld), &u, &err), JLP_OK);
    CHECK(u == ((uint64_t)1 << 63) + 1);
    uint8_t neg[16];
    ext80(neg, 1, 63, 0x8000000000000000u);
    CHECK_CODE(view1(d, "<f16", neg, 16, JLP_I64, 0, &i, &err), JLP_OK);
    CHECK(i == INT64_MIN);
    CHECK_CODE(view1(d, "<f16", neg, 16, JLP_U64, 0, &u, &err), JLP_E_RANGE);
    /* above the midpoint of 1 and 1 + 2^-23; the double 1 + 2^-24 in between made it 1 */
    uint8_t mid[16];
    ext80(mid, 0, 0, 0x8000008000000008u);
    CHECK_CODE(view1(d, "<f16", mid, 16, JLP_F32, JLP_AS_ROUND, &f, &err), JLP_OK);
    CHECK(f == 0x1.000002p0f);
    CHECK_CODE(view1(d, "<f16", mid, 16, JLP_F32, 0, &f, &err), JLP_E_RANGE);
    CHECK_CODE(view1(d, "<f16", mid, 16, JLP_I64, 0, &i, &err), JLP_E_RANGE);
    uint8_t cld[32];
    memcpy(cld, mid, 16);
    memcpy(cld + 16, ld, 16);
    CHECK_CODE(view1(d, "<c32", cld, 32, JLP_C64, JLP_AS_ROUND, c, &err), JLP_OK);
    CHECK(c[0] == 0x1.000002p0f && c[1] == 0x1p63f);
    /* a big-endian 12-byte longdouble (numpy's on 32-bit x86, byte swapped): its value is
       in its last 10 bytes; reading it as a 16-byte item went 4 bytes past (fuzz_npy,
       corpus/fuzz_npy/regress_f12_big_endian) */
    static const uint8_t be12[12] = {0, 0, 0x3f, 0xff, 0xc0, 0, 0, 0, 0, 0, 0, 0}; /* 1.5 */
    double x = 0;
    CHECK_CODE(jlp_as_double(scalar(d, ">f12", be12), &x, &err), JLP_OK);
    CHECK(x == 1.5);
    CHECK_CODE(view1(d, ">f12", be12, 12, JLP_F32, 0, &f, &err), JLP_OK);
    CHECK(f == 1.5f);
    static const uint8_t le12[12] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x3f, 0, 0};
    CHECK_CODE(view1(d, "<f12", le12, 12, JLP_I64, 0, &i, &err), JLP_E_RANGE);
    jlp_doc_free(d);
}

TEST(typed_views_convert_byte_order_memory_order_and_kind) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    /* big-endian int16 in Fortran order, shape (2, 3): memory holds columns */
    uint64_t shape[2] = {2, 3};
    static const uint8_t be[12] = {0, 1, 0, 4, 0, 2, 0, 5, 0, 3, 0, 6}; /* [[1,2,3],[4,5,6]] */
    jlp_val *arr = jlp_new_array(d, jlp_new_dtype(d, ">i2", &err), 2, shape, 'F', be, sizeof be, JLP_COPY, &err);
    jlp_view v = JLP_VIEW_INIT;
    CHECK_CODE(jlp_array_as(arr, JLP_I16, 0, &v, &err), JLP_OK);
    CHECK_INT(v.copied, 1);
    const int16_t *s = v.data;
    CHECK(s[0] == 1 && s[1] == 2 && s[2] == 3 && s[3] == 4 && s[4] == 5 && s[5] == 6);
    CHECK_CODE(jlp_array_as(arr, JLP_F64, 0, &v, &err), JLP_OK);
    const double *f = v.data;
    CHECK(f[0] == 1.0 && f[5] == 6.0);
    CHECK_CODE(jlp_array_as(arr, JLP_U8, 0, &v, &err), JLP_OK);
    CHECK(((const uint8_t *)v.data)[3] == 4);
    CHECK_CODE(jlp_array_as(arr, JLP_B8, 0, &v, &err), JLP_E_RANGE);
    CHECK_STR(err.msg, "array: element 1 does not fit bool exactly (JLP_AS_ROUND rounds floats)");
    CHECK_CODE(jlp_array_as(arr, JLP_C128, 0, &v, &err), JLP_OK);
    CHECK(((const double *)v.data)[2] == 2.0 && ((const double *)v.data)[3] == 0.0);
    /* int64 beyond 2**53 to float64 only with JLP_AS_ROUND */
    uint64_t two = 2;
    int64_t big[2] = {((int64_t)1 << 53) + 1, -3};
    jlp_val *bi = jlp_new_array(d, jlp_new_dtype(d, "<i8", &err), 1, &two, 'C', big, sizeof big, JLP_COPY, &err);
    CHECK_CODE(jlp_array_as(bi, JLP_F64, 0, &v, &err), JLP_E_RANGE);
    CHECK_CODE(jlp_array_as(bi, JLP_F64, JLP_AS_ROUND, &v, &err), JLP_OK);
    CHECK(((const double *)v.data)[0] == 9007199254740992.0 && ((const double *)v.data)[1] == -3.0);
    CHECK_CODE(jlp_array_as(bi, JLP_U64, 0, &v, &err), JLP_E_RANGE);
    CHECK_STR(err.msg, "array: element 1 does not fit uint64 exactly (JLP_AS_ROUND rounds floats)");
    /* datetime64 only as int64, zero-copy */
    int64_t days[2] = {1, 19000};
    jlp_val *dt = jlp_new_array(d, jlp_new_dtype(d, "datetime64[D]", &err), 1, &two, 'C', days, sizeof days, JLP_BORROW, &err);
    CHECK_CODE(jlp_array_as(dt, JLP_I64, 0, &v, &err), JLP_OK);
    CHECK(v.data == days && v.copied == 0);
    CHECK_CODE(jlp_array_as(dt, JLP_F64, 0, &v, &err), JLP_E_BAD_TYPE);
    CHECK_STR(err.msg, "a <M8[D] array has no float64 view");
    /* not numeric, not an array, bad arguments */
    jlp_val *txt = jlp_new_array(d, jlp_new_dtype(d, "|S2", &err), 1, &two, 'C', "abcd", 4, JLP_COPY, &err);
    CHECK_CODE(jlp_array_as(txt, JLP_U8, 0, &v, &err), JLP_E_BAD_TYPE);
    CHECK_CODE(jlp_array_as(jlp_new_int(d, 1), JLP_I64, 0, &v, &err), JLP_E_BAD_TYPE);
    CHECK_STR(err.msg, "a typed view needs an ndarray, not an int");
    CHECK_CODE(jlp_array_as(bi, (jlp_elem)99, 0, &v, &err), JLP_E_INVALID_ARG);
    CHECK_CODE(jlp_array_as(bi, JLP_I64, 0x80, &v, &err), JLP_E_INVALID_ARG);
    CHECK_CODE(jlp_array_as(bi, JLP_I64, 0, NULL, &err), JLP_E_INVALID_ARG);
    jlp_view unset;
    memset(&unset, 0, sizeof unset);
    CHECK_CODE(jlp_array_as(bi, JLP_I64, 0, &unset, &err), JLP_E_INVALID_ARG);
    /* an older view struct gets only the fields it has */
    jlp_view old = JLP_VIEW_INIT;
    old.size = offsetof(jlp_view, stride);
    old.stride = -7;
    CHECK_CODE(jlp_array_as(bi, JLP_I64, 0, &old, &err), JLP_OK);
    CHECK(old.data != NULL && old.count == 2 && old.stride == -7);
    jlp_doc_free(d);
}

/* numpy's sklearn Tree node record (scikit-learn 1.2): left_child, right_child, feature
 * (intp), threshold, impurity (f8), n_node_samples (intp), weighted_n_node_samples (f8). */
static const char NODE_DESCR[] =
    "[('left_child', '<i8'), ('right_child', '<i8'), ('feature', '<i8'), ('threshold', '<f8'), "
    "('impurity', '<f8'), ('n_node_samples', '<i8'), ('weighted_n_node_samples', '<f8')]";

typedef struct node { int64_t left, right, feature; double threshold, impurity; int64_t n; double w; } node;

TEST(structured_fields_by_name_and_column_views) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *dt = jlp_new_dtype(d, NODE_DESCR, &err);
    CHECK_INT(jlp_dtype_itemsize(dt), 56);
    uint64_t off;
    size_t idx;
    jlp_val *thr = jlp_dtype_field_named(dt, "threshold", &off, &idx);
    CHECK_STR(jlp_dtype_str(thr), "<f8");
    CHECK_INT(off, 24);
    CHECK_INT(idx, 3);
    CHECK(jlp_dtype_field_named(dt, "thresh", NULL, NULL) == NULL);
    CHECK(jlp_dtype_field_named(thr, "x", NULL, NULL) == NULL);
    const char *name;
    size_t nlen;
    jlp_dtype_field(dt, 6, &name, &nlen, NULL);
    CHECK_INT(nlen, 23);
    CHECK_INT(name[nlen], 0); /* NUL-terminated */
    CHECK_STR(name, "weighted_n_node_samples");
    node nodes[3] = {{1, 2, 0, 0.5, 0.4, 10, 10.0}, {-1, -1, -2, -2.0, 0.0, 4, 4.0}, {-1, -1, -2, -2.0, 0.1, 6, 6.0}};
    uint64_t three = 3;
    jlp_val *arr = jlp_new_array(d, dt, 1, &three, 'C', nodes, sizeof nodes, JLP_BORROW, &err);
    jlp_view v = JLP_VIEW_INIT;
    CHECK_CODE(jlp_array_field(arr, "threshold", JLP_F64, 0, &v, &err), JLP_OK);
    CHECK_INT(v.copied, 1);
    CHECK_INT(v.stride, 8);
    CHECK(((const double *)v.data)[0] == 0.5 && ((const double *)v.data)[2] == -2.0);
    CHECK_CODE(jlp_array_field(arr, "left_child", JLP_I64, JLP_AS_STRIDED, &v, &err), JLP_OK);
    CHECK_INT(v.copied, 0);
    CHECK_INT(v.stride, 56);
    CHECK(v.data == (const void *)&nodes[0].left);
    CHECK(*(const int64_t *)((const char *)v.data + 2 * v.stride) == -1);
    CHECK_CODE(jlp_array_field(arr, "feature", JLP_I32, 0, &v, &err), JLP_OK);
    CHECK(((const int32_t *)v.data)[0] == 0 && ((const int32_t *)v.data)[1] == -2);
    CHECK_CODE(jlp_array_field(arr, "value", JLP_F64, 0, &v, &err), JLP_E_NOT_FOUND);
    CHECK_STR(err.msg, "no field 'value' in |V56");
    CHECK_CODE(jlp_array_field(arr, "threshold", JLP_F64, JLP_AS_NOCOPY, &v, &err), JLP_OK); /* made before */
    CHECK_CODE(jlp_array_field(arr, "impurity", JLP_F64, JLP_AS_NOCOPY, &v, &err), JLP_E_UNSUPPORTED);
    CHECK_STR(err.msg, "a float64 view of field 'impurity' needs a copy (JLP_AS_NOCOPY)");
    CHECK_CODE(jlp_array_field(jlp_at(arr, "", NULL), "x", JLP_F64, 0, NULL, &err), JLP_E_INVALID_ARG);
    /* a subarray field: the view's shape is the array's then the field's */
    jlp_val *sdt = jlp_new_dtype(d, "[('id', '<u2'), ('xy', '>f4', (2,))]", &err);
    static const uint8_t rec[2 * 10] = {1, 0, 0x3f, 0x80, 0, 0, 0x40, 0, 0, 0,    /* 1, (1.0, 2.0) */
                                        2, 0, 0x40, 0x40, 0, 0, 0x40, 0x80, 0, 0}; /* 2, (3.0, 4.0) */
    uint64_t two = 2;
    jlp_val *sarr = jlp_new_array(d, sdt, 1, &two, 'C', rec, sizeof rec, JLP_COPY, &err);
    CHECK_CODE(jlp_array_field(sarr, "xy", JLP_F32, 0, &v, &err), JLP_OK);
    CHECK_INT(v.ndim, 2);
    CHECK(v.shape[0] == 2 && v.shape[1] == 2 && v.count == 4);
    const float *xy = v.data;
    CHECK(xy[0] == 1.0f && xy[1] == 2.0f && xy[2] == 3.0f && xy[3] == 4.0f);
    CHECK_CODE(jlp_array_field(sarr, "id", JLP_U16, JLP_AS_STRIDED, &v, &err), JLP_OK);
    CHECK_INT(v.copied, 0); /* 10-byte records keep a u2 at offset 0 aligned */
    CHECK_INT(v.stride, 10);
    CHECK(*(const uint16_t *)((const char *)v.data + v.stride) == 2);
    CHECK_CODE(jlp_array_field(sarr, "xy", JLP_F32, JLP_AS_STRIDED, &v, &err), JLP_OK);
    CHECK_INT(v.copied, 1); /* big-endian, and a subarray: converted */
    CHECK_CODE(jlp_array_field(arr, "threshold", JLP_F64, 0, &v, &err), JLP_OK);
    CHECK_CODE(jlp_array_as(arr, JLP_F64, 0, &v, &err), JLP_E_BAD_TYPE);
    CHECK_STR(err.msg, "a |V56 array has no float64 view");
    jlp_doc_free(d);
}

/* ---- object arrays as sequences ----------------------------------------------------- */

/* numpy.array([[1, 'a'], [None, 2.5]], dtype=object, order='F') pickled at protocol 2 by
 * numpy itself: its elements are listed in C order, is_fortran set. */
static const char FORTRAN_OBJECTS[] =
    "\x80\x02" "cnumpy.core.multiarray\n_reconstruct\nq\x00" "cnumpy\nndarray\nq\x01K\x00\x85q\x02" "c_co"
    "decs\nencode\nq\x03X\x01\x00\x00\x00" "bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07\x87q\x08Rq\x09"
    "(K\x01K\x02K\x02\x86q\ncnumpy\ndtype\nq\x0bX\x02\x00\x00\x00O8q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01"
    "\x00\x00\x00|q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x3ftq\x10" "b\x88]q\x11(K\x01X\x01\x00\x00\x00"
    "" "aq\x12NG@\x04\x00\x00\x00\x00\x00\x00" "etq\x13" "b.";


TEST(object_arrays_read_as_sequences) {
    jlp_error err;
    jlp_doc *d = jlp_load_mem(FORTRAN_OBJECTS, sizeof FORTRAN_OBJECTS - 1, NULL, NULL, &err);
    if (!d) {
        TH_FAIL("%s: %s", jlp_error_name(err.code), err.msg);
        return;
    }
    jlp_val *a = jlp_doc_root(d);
    jlp_array_info info = JLP_ARRAY_INFO_INIT;
    CHECK(jlp_array_get(a, &info) && info.order == 'F');
    CHECK_INT(jlp_len(a), 4);
    CHECK_INT(jlp_get_int(jlp_item(a, 0)), 1);
    CHECK_STR(jlp_get_str(jlp_item(a, 1), NULL), "a");
    CHECK_INT(jlp_get_type(jlp_item(a, 2)), JLP_NONE);
    CHECK(jlp_get_float(jlp_item(a, 3)) == 2.5);
    CHECK(jlp_item(a, 4) == NULL);
    jlp_iter it = jlp_iter_make(a);
    int n = 0;
    for (jlp_val *x; (x = jlp_iter_next(&it));) CHECK(x == jlp_item(a, (size_t)n++));
    CHECK_INT(n, 4);
    CHECK_STR(jlp_get_str(jlp_at(a, "/$ndarray/data/0/1", &err), NULL), "a");
    /* a numeric array is not a sequence */
    jlp_doc *b = jlp_doc_new(NULL);
    uint64_t one = 1;
    jlp_val *num = jlp_new_array(b, jlp_new_dtype(b, "u1", &err), 1, &one, 'C', "x", 1, JLP_COPY, &err);
    CHECK_INT(jlp_len(num), 0);
    CHECK(jlp_item(num, 0) == NULL);
    jlp_doc_free(b);
    jlp_doc_free(d);
}

/* ---- objects and editing ------------------------------------------------------------ */

TEST(attributes_read_and_edited) {
    fixture f;
    make_fixture(&f);
    jlp_doc *d = f.doc;
    jlp_error err;
    CHECK(jlp_obj_attr(f.scaler, "mean_") == f.mean);
    CHECK(jlp_obj_attr(f.scaler, "nope") == NULL);
    CHECK(jlp_obj_attr(f.root, "pipe") == NULL); /* a dict is no object */
    jlp_val *slotted = jlp_at(f.root, "/slots", &err);
    CHECK_INT(jlp_get_int(jlp_obj_attr(slotted, "b")), 2);
    /* set: slots keep their attributes; others go to the dict */
    CHECK_CODE(jlp_obj_set_attr(d, slotted, "b", jlp_new_int(d, 20)), JLP_OK);
    CHECK_CODE(jlp_obj_set_attr(d, slotted, "c", jlp_new_int(d, 30)), JLP_OK);
    CHECK_INT(int_at(f.root, "/slots/$object/state/$tuple/1/b"), 20);
    CHECK_INT(int_at(f.root, "/slots/$object/state/$tuple/0/c"), 30);
    CHECK_CODE(jlp_obj_del_attr(d, slotted, "a"), JLP_OK);
    CHECK_CODE(jlp_obj_del_attr(d, slotted, "a"), JLP_E_NOT_FOUND);
    CHECK_CODE(jlp_doc_error(d, &err), JLP_E_NOT_FOUND);
    CHECK_STR(err.msg, "jlp_obj_del_attr: no attribute 'a'");
    CHECK_CODE(jlp_doc_error(d, &err), JLP_OK); /* reading forgets it */
    /* an object without state gets a dict; (None, slots) becomes (dict, slots) */
    jlp_val *bare = jlp_new_object(d, jlp_new_global(d, "m", "Bare"), NULL, NULL);
    CHECK_CODE(jlp_obj_set_attr(d, bare, "x", jlp_new_int(d, 1)), JLP_OK);
    CHECK_INT(jlp_get_type(jlp_obj_state(bare)), JLP_DICT);
    jlp_val *slots = jlp_new_dict(d);
    jlp_dict_set_str(d, slots, "s", jlp_new_int(d, 5));
    jlp_val *ns[2] = {jlp_new_none(d), slots};
    jlp_val *tuple_state = jlp_new_tuple(d, ns, 2);
    jlp_val *half = jlp_new_object(d, jlp_new_global(d, "m", "Half"), NULL, tuple_state);
    CHECK_CODE(jlp_obj_set_attr(d, half, "x", jlp_new_int(d, 1)), JLP_OK);
    CHECK(jlp_obj_state(half) != tuple_state); /* a new tuple: the old one may be shared */
    CHECK_INT(jlp_get_type(jlp_item(tuple_state, 0)), JLP_NONE);
    CHECK_INT(jlp_get_int(jlp_obj_attr(half, "x")), 1);
    CHECK_INT(jlp_get_int(jlp_obj_attr(half, "s")), 5);
    jlp_val *odd = jlp_new_object(d, jlp_new_global(d, "m", "Odd"), NULL, jlp_new_int(d, 3));
    CHECK_CODE(jlp_obj_set_attr(d, odd, "x", jlp_new_int(d, 1)), JLP_E_BAD_TYPE);
    CHECK_CODE(jlp_doc_error(d, &err), JLP_E_BAD_TYPE);
    CHECK_STR(err.msg, "jlp_obj_set_attr: the object's state is an int, not a dict");
    /* dict and list deletion keep the order */
    jlp_val *dd = jlp_at(f.root, "/d", &err);
    CHECK_CODE(jlp_dict_del(d, dd, "k"), JLP_OK);
    CHECK_INT(jlp_len(dd), 1);
    CHECK_CODE(jlp_dict_del(d, dd, "k"), JLP_E_NOT_FOUND);
    CHECK_CODE(jlp_dict_del(d, jlp_new_list(d), "k"), JLP_E_INVALID_ARG);
    jlp_val *steps = jlp_at(f.root, "/pipe/steps", &err);
    jlp_val *second = jlp_item(steps, 1);
    CHECK_CODE(jlp_list_del(d, steps, 0), JLP_OK);
    CHECK(jlp_len(steps) == 1 && jlp_item(steps, 0) == second);
    CHECK_CODE(jlp_list_del(d, steps, 1), JLP_E_NOT_FOUND);
    CHECK_CODE(jlp_list_del(NULL, steps, 0), JLP_E_INVALID_ARG);
    jlp_doc_free(d);
}

TEST(builder_failures_are_kept_in_the_document) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    CHECK_CODE(jlp_doc_error(d, &err), JLP_OK);
    CHECK(jlp_new_str(d, "\xff", 1) == NULL);
    CHECK(jlp_new_tuple(d, NULL, 2) == NULL); /* a later failure does not replace the first */
    CHECK_CODE(jlp_doc_error(d, &err), JLP_E_BAD_UTF8);
    CHECK_STR(err.msg, "jlp_new_str: not UTF-8 at byte 0");
    CHECK(jlp_new_global(d, "m", "") == NULL);
    CHECK_CODE(jlp_doc_error(d, &err), JLP_E_INVALID_ARG);
    CHECK_STR(err.msg, "jlp_new_global: NULL or empty module or name");
    CHECK(jlp_new_dtype(d, "<f3", &err) == NULL);
    CHECK_CODE(jlp_doc_error(d, &err), JLP_E_BAD_DTYPE);
    CHECK_STR(err.msg, "jlp_new_dtype: unsupported dtype 'f3'");
    CHECK(jlp_new_ext(d, 0) == NULL);
    CHECK_CODE(jlp_doc_error(d, NULL), JLP_E_INVALID_ARG);
    CHECK_CODE(jlp_doc_error(NULL, &err), JLP_E_INVALID_ARG);
    jlp_doc_free(d);
    /* a loaded document's budget: LIMIT, not NOMEM */
    jlp_limits lim = JLP_LIMITS_INIT;
    lim.max_alloc = 1 << 16;
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.limits = &lim;
    d = jlp_load_mem("\x80\x04]\x94.", 5, &o, NULL, &err);
    CHECK(d != NULL);
    jlp_val *list = jlp_doc_root(d);
    char big[4096];
    memset(big, 'x', sizeof big);
    jlp_code c = JLP_OK;
    for (int i = 0; i < 100 && c == JLP_OK; i++) {
        jlp_val *b = jlp_new_bytes(d, big, sizeof big);
        c = b ? jlp_list_append(d, list, b) : JLP_E_LIMIT;
    }
    CHECK_CODE(c, JLP_E_LIMIT);
    CHECK_CODE(jlp_doc_error(d, &err), JLP_E_LIMIT);
    CHECK_STR(err.msg, "jlp_new_bytes: the document's limits.max_alloc is reached");
    jlp_doc_free(d);
}

/* A constructor given the NULL dtype of a failed jlp_new_dtype or lookup keeps that error
   (in err and as the document's), as the reading calls do (section 2 of jlpickle.h). */
TEST(constructors_keep_the_error_of_a_null_dtype) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    uint64_t two = 2;
    double data[2] = {1, 2};
    CHECK(jlp_new_array(d, jlp_new_dtype(d, "<f3", &err), 1, &two, 'C', data, sizeof data, JLP_COPY, &err) == NULL);
    CHECK_ERR(err, JLP_E_BAD_DTYPE, 0);
    CHECK_STR(err.msg, "jlp_new_dtype: unsupported dtype 'f3'");
    CHECK(jlp_new_scalar(d, jlp_new_dtype(d, "<f3", &err), data, &err) == NULL);
    CHECK_STR(err.msg, "jlp_new_dtype: unsupported dtype 'f3'");
    CHECK(jlp_new_dtype_copy(d, jlp_at(jlp_doc_root(d), "", &err), &err) == NULL); /* no root */
    CHECK_ERR(err, JLP_E_BAD_DTYPE, 0);
    jlp_doc_free(d);
    /* a lookup's NOT_FOUND, kept and noted in the document */
    d = jlp_doc_new(NULL);
    jlp_val *root = jlp_new_dict(d);
    jlp_doc_set_root(d, root);
    CHECK(jlp_new_array(d, jlp_at(root, "/dtype", &err), 1, &two, 'C', data, sizeof data, JLP_COPY, &err) == NULL);
    CHECK_ERR(err, JLP_E_NOT_FOUND, 0);
    CHECK_STR(err.msg, "at '', segment 'dtype': no such key in a dict of 0 pairs");
    jlp_error kept;
    CHECK_CODE(jlp_doc_error(d, &kept), JLP_E_NOT_FOUND);
    CHECK_STR(kept.msg, "at '', segment 'dtype': no such key in a dict of 0 pairs");
    jlp_doc_free(d);
    /* with a clear err: INVALID_ARG naming the call */
    d = jlp_doc_new(NULL);
    jlp_error clear = JLP_ERROR_INIT;
    CHECK(jlp_new_scalar(d, NULL, data, &clear) == NULL);
    CHECK_ERR(clear, JLP_E_INVALID_ARG, 0);
    CHECK_STR(clear.msg, "jlp_new_scalar: NULL dtype");
    CHECK(jlp_new_array(d, NULL, 1, &two, 'C', data, sizeof data, JLP_COPY, NULL) == NULL);
    CHECK_CODE(jlp_doc_error(d, &kept), JLP_E_INVALID_ARG);
    CHECK_STR(kept.msg, "jlp_new_scalar: NULL dtype");
    jlp_doc_free(d);
}

TEST(dtypes_of_another_document_are_copied) {
    jlp_error err;
    jlp_doc *src = jlp_doc_new(NULL);
    jlp_val *dt = jlp_new_dtype(src, "[(('title', 'a'), '>i4'), ('b', '<f8', (2,)), ('c', [('d', 'u1')])]", &err);
    jlp_doc *dst = jlp_doc_new(NULL);
    uint64_t one = 1;
    uint8_t bytes[21] = {0, 0, 0, 7};
    jlp_val *arr = jlp_new_array(dst, dt, 1, &one, 'C', bytes, sizeof bytes, JLP_COPY, &err);
    CHECK(arr != NULL);
    jlp_doc_free(src); /* the array keeps its own copy */
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    jlp_array_get(arr, &a);
    CHECK_STR(jlp_dtype_str(a.dtype), "|V21");
    char *js = jlp_export_json_str(arr, NULL, NULL, &err);
    CHECK_STR(js, "{\"$ndarray\":{\"dtype\":[[[\"title\",\"a\"],\">i4\"],[\"b\",\"<f8\",[2]],[\"c\",[[\"d\",\"|u1\"]]]],"
                  "\"shape\":[1],\"order\":\"C\",\"data\":[[7,[0.0,0.0],[0]]]}}\n");
    free(js);
    jlp_view v = JLP_VIEW_INIT;
    CHECK_CODE(jlp_array_field(arr, "a", JLP_I32, 0, &v, &err), JLP_OK);
    CHECK_INT(((const int32_t *)v.data)[0], 7);
    jlp_val *copy = jlp_new_dtype_copy(dst, a.dtype, &err);
    CHECK_STR(jlp_dtype_str(copy), "|V21");
    CHECK(jlp_new_dtype_copy(dst, arr, &err) == NULL);
    CHECK_ERR(err, JLP_E_INVALID_ARG, 0);
    jlp_doc_free(dst);
}

/* ---- what the new constructors write -------------------------------------------------- */

/* Whether `needle` occurs in the n bytes at p. */
static int contains(const void *p, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp((const char *)p + i, needle, k)) return 1;
    return 0;
}

static char *dump_json(const jlp_val *root, int protocol) {
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.protocol = protocol;
    o.arrays = JLP_ARRAYS_NUMPY;
    void *out = NULL;
    size_t n = 0;
    jlp_error err;
    if (jlp_dump_mem(root, &o, &out, &n, &err) != JLP_OK) {
        TH_FAIL("dump at protocol %d: %s", protocol, err.msg);
        return NULL;
    }
    jlp_doc *back = jlp_load_mem(out, n, NULL, NULL, &err);
    char *js = back ? jlp_export_json_str(jlp_doc_root(back), NULL, NULL, &err) : NULL;
    if (!back) TH_FAIL("reload at protocol %d: %s", protocol, err.msg);
    jlp_doc_free(back);
    free(out);
    return js;
}

TEST(persid_ext_newobj_ex_and_fortran_object_arrays_are_written) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *items[5];
    items[0] = jlp_new_persid(d, jlp_new_strz(d, "blob-1"));
    items[1] = jlp_new_ext(d, 300);
    jlp_val *kw = jlp_new_dict(d);
    jlp_dict_set_str(d, kw, "k", jlp_new_int(d, 2));
    jlp_val *one = jlp_new_int(d, 1);
    items[2] = jlp_new_object_ex(d, jlp_new_global(d, "m", "C"), jlp_new_tuple(d, &one, 1), kw, NULL);
    uint64_t shape[2] = {2, 2};
    jlp_val *el[4] = {jlp_new_int(d, 1), jlp_new_strz(d, "a"), jlp_new_none(d), jlp_new_float(d, 2.5)};
    items[3] = jlp_new_object_array_ex(d, 2, shape, 'F', el, &err);
    items[4] = jlp_new_persid(d, jlp_new_int(d, 9));
    jlp_val *root = jlp_new_tuple(d, items, 5);
    CHECK_CODE(jlp_doc_error(d, &err), JLP_OK);
    CHECK_INT(jlp_obj_get_kind(items[2]), JLP_OBJ_NEWOBJ_EX);
    static const char tail[] = "{\"$ndarray\":{\"dtype\":\"|O\",\"shape\":[2,2],\"order\":\"F\",\"data\":[[1,\"a\"],[null,2.5]]}},"
                               "{\"$persid\":9}]}\n";
    char want[512];
    snprintf(want, sizeof want, "{\"$tuple\":[{\"$persid\":\"blob-1\"},{\"$ext\":300},"
             "{\"$object\":{\"class\":\"m.C\",\"args\":[1],\"kwargs\":{\"k\":2}}},%s", tail);
    char *js = dump_json(root, 4);
    CHECK_STR(js, want);
    free(js);
    /* below protocol 4 NEWOBJ_EX is written as copyreg.__newobj_ex__(cls, args, kwargs),
     * which the loader reads back as the same object */
    js = dump_json(root, 2);
    CHECK_STR(js, want);
    free(js);
    jlp_write_opts o2 = JLP_WRITE_OPTS_INIT;
    o2.protocol = 2;
    void *out = NULL;
    size_t n = 0;
    CHECK_CODE(jlp_dump_mem(items[2], &o2, &out, &n, &err), JLP_OK);
    CHECK(out && contains(out, n, "ccopy_reg\n__newobj_ex__\n")); /* Python 2's module name, as pickle writes it */
    free(out);
    CHECK(jlp_new_persid(d, NULL) == NULL);
    CHECK(jlp_new_object_ex(d, jlp_new_global(d, "m", "C"), NULL, jlp_new_list(d), NULL) == NULL);
    CHECK_CODE(jlp_doc_error(d, &err), JLP_E_INVALID_ARG);
    CHECK(jlp_new_object_array_ex(d, 1, shape, 'X', el, &err) == NULL);
    CHECK_ERR(err, JLP_E_INVALID_ARG, 0);
    jlp_doc_free(d);
}

/* ---- dtype names (numpy is the oracle: tests/values/dtype_names.txt) ------------------ */

TEST(dtype_names_numpy_accepts) {
    size_t len;
    char *text = slurp("tests/values/dtype_names.txt", &len);
    if (!text) {
        TH_FAIL("cannot read tests/values/dtype_names.txt");
        return;
    }
    jlp_doc *d = jlp_doc_new(NULL);
    int n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        jlp_error err;
        jlp_val *dt = jlp_new_dtype(d, line, &err);
        if (!dt) TH_FAIL("'%s': %s", line, err.msg);
        else if (strcmp(jlp_dtype_str(dt), tab + 1)) TH_FAIL("'%s' is %s, numpy says %s", line, jlp_dtype_str(dt), tab + 1);
        n++;
    }
    CHECK(n > 200);
    jlp_doc_free(d);
    free(text);
}

TEST(string_elements_as_text) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    char buf[16];
    size_t len;
    /* numpy.array(['setosa', 'é', '']) is <U6: UTF-32, NUL-padded */
    uint32_t u[3][6] = {{'s', 'e', 't', 'o', 's', 'a'}, {0xe9}, {0}};
    uint64_t three = 3;
    jlp_val *arr = jlp_new_array(d, jlp_new_dtype(d, "<U6", &err), 1, &three, 'C', u, sizeof u, JLP_COPY, &err);
    CHECK_CODE(jlp_array_str(arr, 0, buf, sizeof buf, &len, &err), JLP_OK);
    CHECK_STR(buf, "setosa");
    CHECK_INT(len, 6);
    CHECK_CODE(jlp_array_str(arr, 1, buf, sizeof buf, &len, &err), JLP_OK);
    CHECK_STR(buf, "\xc3\xa9");
    CHECK_CODE(jlp_array_str(arr, 2, buf, sizeof buf, &len, &err), JLP_OK);
    CHECK_STR(buf, "");
    CHECK_CODE(jlp_array_str(arr, 0, buf, 6, &len, &err), JLP_E_RANGE);
    CHECK_INT(len, 6);
    CHECK_STR(err.msg, "the string needs 6 bytes and its NUL");
    CHECK_CODE(jlp_array_str(arr, 3, buf, sizeof buf, &len, &err), JLP_E_NOT_FOUND);
    /* big-endian S in Fortran order: element 1 in C order is column 1 of row 0 */
    uint64_t shape[2] = {2, 2};
    jlp_val *s = jlp_new_array(d, jlp_new_dtype(d, "|S3", &err), 2, shape, 'F', "a\0\0c\0\0b\0\0dd\0", 12, JLP_COPY, &err);
    CHECK_CODE(jlp_array_str(s, 1, buf, sizeof buf, &len, &err), JLP_OK);
    CHECK_STR(buf, "b");
    CHECK_CODE(jlp_array_str(s, 3, buf, sizeof buf, &len, &err), JLP_OK);
    CHECK_STR(buf, "dd");
    /* object arrays of str; numbers are no strings */
    jlp_val *items[2] = {jlp_new_strz(d, "liblinear"), jlp_new_int(d, 3)};
    uint64_t two = 2;
    jlp_val *objs = jlp_new_object_array(d, 1, &two, items, &err);
    CHECK_CODE(jlp_array_str(objs, 0, buf, sizeof buf, &len, &err), JLP_OK);
    CHECK_STR(buf, "liblinear");
    CHECK_CODE(jlp_array_str(objs, 1, buf, sizeof buf, &len, &err), JLP_E_BAD_TYPE);
    CHECK_STR(err.msg, "element 1 is an int, not a str");
    CHECK_CODE(jlp_array_str(jlp_new_int(d, 1), 0, buf, sizeof buf, &len, &err), JLP_E_BAD_TYPE);
    CHECK_CODE(jlp_array_str(arr, 0, NULL, 4, &len, &err), JLP_E_INVALID_ARG);
    uint32_t big = 0x110000;
    jlp_val *bad = jlp_new_scalar(d, jlp_new_dtype(d, "<U1", &err), &big, &err);
    CHECK_CODE(jlp_array_str(bad, 0, buf, sizeof buf, &len, &err), JLP_E_BAD_UTF8);
    jlp_doc_free(d);
}
