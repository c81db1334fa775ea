/*
 * test_divergences.c - one regression per divergence from Python that the randomized
 * differential test (tests/diff/) found: each failed before its fix. Expected values
 * come from Python 3.11 / numpy 1.24 (the pickles below are what pickle.dumps wrote;
 * tests/diff/ checks the same behaviour against the live interpreter at scale).
 */
#include "harness.h"
#include "util.h"

#include "jlpickle_codec.h"

static char *json_of(const jlp_val *v) {
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = 0;
    jlp_error err;
    return jlp_export_json_str(v, &jo, NULL, &err);
}

static jlp_doc *load(const void *p, size_t n) {
    jlp_error err;
    jlp_doc *d = jlp_load_mem(p, n, NULL, NULL, &err);
    if (!d) TH_FAIL("load: %s at %llu: %s", jlp_error_name(err.code), (unsigned long long)err.offset, err.msg);
    return d;
}

/* Dump v at a protocol and layout; NULL when the dump fails (code in *code). */
static void *dump(const jlp_val *v, int proto, jlp_array_format arrays, size_t *len, jlp_code *code) {
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.protocol = proto;
    o.arrays = arrays;
    void *out = NULL;
    jlp_error err;
    *code = jlp_dump_mem(v, &o, &out, len, &err);
    if (*code) {
        free(out);
        return NULL;
    }
    return out;
}

/* Dump v at every protocol and both layouts: each must load back to v's export. */
static void check_round_trips(const jlp_val *v, const char *want) {
    for (int proto = 0; proto <= 5; proto++)
        for (int numpy = 0; numpy < 2; numpy++) {
            size_t len;
            jlp_code c;
            void *out = dump(v, proto, numpy ? JLP_ARRAYS_NUMPY : JLP_ARRAYS_JOBLIB, &len, &c);
            if (!out) {
                TH_FAIL("protocol %d: dump failed with %s", proto, jlp_error_name(c));
                continue;
            }
            jlp_doc *back = load(out, len);
            char *got = back ? json_of(jlp_doc_root(back)) : NULL;
            if (!got || strcmp(got, want))
                TH_FAIL("protocol %d numpy %d:\n    got:      %s    expected: %s", proto, numpy, got ? got : "(null)\n",
                        want);
            free(got);
            jlp_doc_free(back);
            free(out);
        }
}

/* m.D is `class D(dict)`; d = D(); d['me'] = [d]; d['x'] = 1; pickle.dumps(d, 1). Python
 * passes dict(d) to copyreg._reconstructor, a new dict per reduce, so the inner reduce
 * (reached through the list) gets every item. The writer fetched the state dict it was
 * still filling from the memo: the instance came back empty at every protocol. */
static const char DSUB_P1[] =
    "ccopy_reg\n_reconstructor\nq\x00(cm\nD\nq\x01" "c__builtin__\ndict\nq\x02}q\x03(X\x02\x00\x00\x00meq\x04]q\x05"
    "h\x00(h\x01h\x02}q\x06(h\x04h\x05X\x01\x00\x00\x00xq\x07K\x01utq\x08Rq\ta" "h\x07K\x01utq\nR0h\t.";

TEST(reconstructor_state_reaching_the_instance) {
    jlp_doc *d = load(DSUB_P1, sizeof DSUB_P1 - 1);
    if (!d) return;
    char *want = json_of(jlp_doc_root(d));
    CHECK_STR(want, "{\"$object\":{\"class\":\"m.D\",\"args\":[{\"$global\":\"builtins.dict\"},"
                    "{\"me\":[{\"$ref\":\"\"}],\"x\":1}]}}\n");
    if (want) check_round_trips(jlp_doc_root(d), want);
    /* at the file's protocol the bytes are Python's own */
    size_t len;
    jlp_code c;
    void *out = dump(jlp_doc_root(d), 1, JLP_ARRAYS_JOBLIB, &len, &c);
    CHECK(out && len == sizeof DSUB_P1 - 1 && !memcmp(out, DSUB_P1, len));
    free(out);
    free(want);
    jlp_doc_free(d);
}

/* An instance made by NEWOBJ (an empty dict or list subclass gives no hint of its base)
 * was written below protocol 2 as copyreg._reconstructor(cls, object, None), which
 * Python refuses for such classes ("object.__new__(D) is not safe"). It is now
 * copyreg.__newobj__(cls), which Python calls for every class, and loads back as the
 * same instance. */
TEST(newobj_below_protocol_2) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_val *o = jlp_new_object(d, jlp_new_global(d, "m", "D"), NULL, NULL);
    CHECK(o != NULL);
    if (!o) { jlp_doc_free(d); return; }
    for (int proto = 0; proto <= 1; proto++) {
        size_t len;
        jlp_code c;
        void *out = dump(o, proto, JLP_ARRAYS_JOBLIB, &len, &c);
        CHECK(out && mem_has(out, len, "ccopy_reg\n__newobj__\n") && !mem_has(out, len, "_reconstructor"));
        free(out);
    }
    check_round_trips(o, "{\"$object\":{\"class\":\"m.D\"}}\n");
    jlp_doc_free(d);
}

/* m.L is `class L(list)`; o = L() whose arguments reach o again, with items: the object
 * is made twice (the inner one is kept, the outer dropped by POP GET) and its items were
 * written after each, so they loaded doubled. Python's _pickle.c writes them once. */
TEST(object_tail_written_once) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_val *holder = jlp_new_list(d);
    jlp_val *args = jlp_new_tuple(d, &holder, 1);
    jlp_val *o = jlp_new_object(d, jlp_new_global(d, "m", "L"), args, jlp_new_strz(d, "state"));
    CHECK(o && jlp_obj_append_item(d, o, jlp_new_int(d, 7)) == JLP_OK && jlp_list_append(d, holder, o) == JLP_OK);
    if (!o) { jlp_doc_free(d); return; }
    check_round_trips(o, "{\"$object\":{\"class\":\"m.L\",\"args\":[[{\"$ref\":\"\"}]],\"state\":\"state\","
                         "\"items\":[7]}}\n");
    jlp_doc_free(d);
}

/* np.matrix([[1, 2]], dtype='<i2') at protocol 2. numpy's __reduce_ex__(5) writes
 * _frombuffer only for an exact ndarray; the writer used it for subclasses too, and the
 * matrix loaded back as a plain ndarray. */
static const char MATRIX_P2[] =
    "\x80\x02" "cnumpy.core.multiarray\n_reconstruct\nq\x00" "cnumpy\nmatrix\nq\x01K\x00\x85q\x02"
    "c_codecs\nencode\nq\x03X\x01\x00\x00\x00" "bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07\x87q\x08Rq\t"
    "(K\x01K\x01K\x02\x86q\n" "cnumpy\ndtype\nq\x0bX\x02\x00\x00\x00i2q\x0c\x89\x88\x87q\rRq\x0e"
    "(K\x03X\x01\x00\x00\x00<q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x10" "b\x89h\x03"
    "X\x04\x00\x00\x00\x01\x00\x02\x00q\x11h\x05\x86q\x12Rq\x13tq\x14" "b.";

TEST(ndarray_subclass_at_protocol_5) {
    jlp_doc *d = load(MATRIX_P2, sizeof MATRIX_P2 - 1);
    if (!d) return;
    size_t len;
    jlp_code c;
    void *out = dump(jlp_doc_root(d), 5, JLP_ARRAYS_NUMPY, &len, &c);
    CHECK(out && !mem_has(out, len, "_frombuffer") && mem_has(out, len, "_reconstruct") &&
          mem_has(out, len, "matrix"));
    free(out);
    jlp_doc_free(d);
}

/* numpy's __reduce_ex__(5) falls back to _reconstruct when the items do not export as
 * a buffer: datetimes and timedeltas, long doubles in the other byte order, anywhere in
 * the dtype. The writer used _frombuffer for them, and numpy then kept a byte order its
 * own pickles do not (it loads those arrays in native order). */
TEST(unbufferable_dtypes_at_protocol_5) {
    static const char *const unbufferable[] = {"<M8[s]", ">m8[ms]", ">f16", ">c32", "[('a', '<i4'), ('t', '<M8[D]')]"};
    static const char *const bufferable[] = {"<f16", ">f8", "[('a', '>f2')]"};
    jlp_doc *d = jlp_doc_new(NULL);
    for (int k = 0; k < 2; k++) {
        size_t n = k ? sizeof bufferable / sizeof *bufferable : sizeof unbufferable / sizeof *unbufferable;
        for (size_t i = 0; i < n; i++) {
            jlp_error err;
            const char *descr = k ? bufferable[i] : unbufferable[i];
            jlp_val *dt = jlp_new_dtype(d, descr, &err);
            uint64_t shape[1] = {0};
            jlp_val *a = dt ? jlp_new_array(d, dt, 1, shape, 'C', "", 0, JLP_COPY, &err) : NULL;
            if (!a) { TH_FAIL("%s: %s", descr, err.msg); continue; }
            size_t len;
            jlp_code c;
            void *out = dump(a, 5, JLP_ARRAYS_NUMPY, &len, &c);
            if (!out || mem_has(out, len, "_frombuffer") != k) TH_FAIL("%s: _frombuffer %s", descr, k ? "expected" : "written");
            free(out);
        }
    }
    jlp_doc_free(d);
}

/* dtype([]) has names () and fields {}: numpy's descr is [] and its items are (). It
 * exported as "|V0" with bytes items, and was written back without its (empty) fields. */
TEST(dtype_without_fields) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *dt = jlp_new_dtype(d, "[]", &err);
    CHECK(dt != NULL);
    if (!dt) { jlp_doc_free(d); return; }
    uint64_t shape[1] = {2};
    jlp_val *a = jlp_new_array(d, dt, 1, shape, 'C', "", 0, JLP_COPY, &err);
    jlp_val *pair[2] = {dt, a};
    jlp_val *t = jlp_new_tuple(d, pair, 2);
    char *js = json_of(t);
    CHECK_STR(js, "{\"$tuple\":[{\"$dtype\":[]},{\"$ndarray\":{\"dtype\":[],\"shape\":[2],\"order\":\"C\","
                  "\"data\":[[],[]]}}]}\n");
    if (js) check_round_trips(t, js);
    free(js);
    jlp_doc_free(d);
}

/* An array whose dtype has itemsize 0: joblib.dump and joblib.load divide by the
 * itemsize, numpy cannot rebuild it from a buffer. Both layouts write numpy's
 * _reconstruct (no wrapper, no _frombuffer) and load back. */
TEST(zero_itemsize_arrays) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *dt = jlp_new_dtype(d, "|V0", &err);
    uint64_t shape[1] = {0};
    jlp_val *a = dt ? jlp_new_array(d, dt, 1, shape, 'C', "", 0, JLP_COPY, &err) : NULL;
    CHECK(a != NULL);
    if (!a) { jlp_doc_free(d); return; }
    for (int proto = 2; proto <= 5; proto++) {
        size_t len;
        jlp_code c;
        void *out = dump(a, proto, JLP_ARRAYS_JOBLIB, &len, &c);
        CHECK(out && !mem_has(out, len, "NumpyArrayWrapper") && !mem_has(out, len, "_frombuffer"));
        free(out);
    }
    check_round_trips(a, "{\"$ndarray\":{\"dtype\":\"|V0\",\"shape\":[0],\"order\":\"C\",\"data\":[]}}\n");
    jlp_doc_free(d);
}

/* A qualified name with an empty part cannot be spelled with GLOBAL (protocols 0-3
 * write getattr(parent, last)): UNSUPPORTED, where it failed with NOMEM. Protocol 4
 * writes the name as it is. */
TEST(global_with_an_empty_part) {
    static const char *const names[] = {"a..b", ".a", "a.", "."};
    jlp_doc *d = jlp_doc_new(NULL);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        jlp_val *g = jlp_new_global(d, "m", names[i]);
        CHECK(g != NULL);
        if (!g) continue;
        for (int proto = 0; proto <= 5; proto++) {
            size_t len;
            jlp_code c;
            void *out = dump(g, proto, JLP_ARRAYS_JOBLIB, &len, &c);
            if (proto < 4) CHECK_INT(c, JLP_E_UNSUPPORTED);
            else CHECK_INT(c, JLP_OK);
            free(out);
        }
    }
    jlp_doc_free(d);
}

/* np.array([([1], 5)], dtype=[('a', 'O'), ('b', '<i4')]) at protocol 2: numpy pickles
 * the records of a structured array with an object field as tuples; they print as
 * arrays of their field values (spec/JSON.md), as other structured records do, not as
 * {"$tuple": [...]}. */
static const char RECORDS_P2[] = "\x80\x02" "cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00" "cnumpy\x0andarray\x0aq\x01K\x00\x85q\x02" "c_codecs\x0a" "encode\x0aq\x03X\x01\x00\x00\x00" "bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x01\x85q\x0a" "cnumpy\x0a" "dtype\x0aq\x0bX\x03\x00\x00\x00V12q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00|q\x0fNX\x01\x00\x00\x00" "aq\x10X\x01\x00\x00\x00" "bq\x11\x86q\x12}q\x13(h\x10h\x0bX\x02\x00\x00\x00O8q\x14\x89\x88\x87q\x15Rq\x16(K\x03h\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tq\x17" "bK\x00\x86q\x18h\x11h\x0bX\x02\x00\x00\x00i4q\x19\x89\x88\x87q\x1aRq\x1b(K\x03X\x01\x00\x00\x00<q\x1cNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x1d" "bK\x08\x86q\x1euK\x0cK\x01K\x1btq\x1f" "b\x89]q ]q!K\x01" "aK\x05\x86q\x22" "atq#b.";

TEST(structured_object_records) {
    jlp_doc *d = load(RECORDS_P2, sizeof RECORDS_P2 - 1);
    if (!d) return;
    char *js = json_of(jlp_doc_root(d));
    CHECK_STR(js, "{\"$ndarray\":{\"dtype\":[[\"a\",\"|O\"],[\"b\",\"<i4\"]],\"shape\":[1],\"order\":\"C\","
                  "\"data\":[[[1],5]]}}\n");
    if (js) check_round_trips(jlp_doc_root(d), js);
    free(js);
    jlp_doc_free(d);
}

/* x87 long doubles ('<f16') as numpy's float() reads them: an unnormal (integer bit
 * clear, exponent 0x3fff) and a pseudo-infinity are nan (they exported as 0.5 and -inf),
 * and values below the double range round once, to nearest even (2^-1074 * (1 + 2^-53)
 * is 5e-324, 2^-1074 * 1.5 rounds up to 1e-323), then 1.0. */
static const char LONGDOUBLE_P2[] = "\x80\x02" "cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00" "cnumpy\x0andarray\x0aq\x01K\x00\x85q\x02" "c_codecs\x0a" "encode\x0aq\x03X\x01\x00\x00\x00" "bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x05\x85q\x0a" "cnumpy\x0a" "dtype\x0aq\x0bX\x03\x00\x00\x00" "f16q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00<q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x10" "b\x89h\x03XZ\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00@\xc3\xbf?\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc3\xbf\xc3\xbf\x00\x00\x00\x00\x00\x00\xc3\xbf\x07\x00\x00\x00\x00\x00\xc2\x80\xc3\x8c;\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\xc3\x80\xc3\x8d;\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc2\x80\xc3\xbf?\x00\x00\x00\x00\x00\x00q\x11h\x05\x86q\x12Rq\x13tq\x14" "b.";

TEST(x87_long_doubles_as_numpy_reads_them) {
    jlp_doc *d = load(LONGDOUBLE_P2, sizeof LONGDOUBLE_P2 - 1);
    if (!d) return;
    char *js = json_of(jlp_doc_root(d));
    CHECK_STR(js, "{\"$ndarray\":{\"dtype\":\"<f16\",\"shape\":[5],\"order\":\"C\",\"data\":"
                  "[{\"$float\":\"nan\"},{\"$float\":\"nan\"},5e-324,1e-323,1.0]}}\n");
    free(js);
    jlp_doc_free(d);
}

/* np.frombuffer(b'A\0\0\0\0\0\x11\0', '<U2'): numpy reads the item into a str holding
 * U+110000, which no UTF-8 or JSON text can carry. The export fails with UNSUPPORTED
 * (it printed U+FFFD); the load and a rewrite keep the bytes. */
static const char U_BEYOND_P2[] = "\x80\x02" "cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00" "cnumpy\x0andarray\x0aq\x01K\x00\x85q\x02" "c_codecs\x0a" "encode\x0aq\x03X\x01\x00\x00\x00" "bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x01\x85q\x0a" "cnumpy\x0a" "dtype\x0aq\x0bX\x02\x00\x00\x00U2q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00<q\x0fNNNK\x08K\x04K\x08tq\x10" "b\x89h\x03X\x08\x00\x00\x00" "A\x00\x00\x00\x00\x00\x11\x00q\x11h\x05\x86q\x12Rq\x13tq\x14" "b.";

TEST(u_item_above_u10ffff) {
    jlp_doc *d = load(U_BEYOND_P2, sizeof U_BEYOND_P2 - 1);
    if (!d) return;
    jlp_error err;
    char *js = jlp_export_json_str(jlp_doc_root(d), NULL, NULL, &err);
    CHECK(js == NULL);
    CHECK_ERR(err, JLP_E_UNSUPPORTED, 0);
    free(js);
    size_t len;
    jlp_code c;
    void *out = dump(jlp_doc_root(d), 2, JLP_ARRAYS_NUMPY, &len, &c);
    CHECK(out && mem_has(out, len, "A\x00\x00\x00\x00\x00\x11\x00"));
    free(out);
    jlp_doc_free(d);
}

/* Two zstd frames whose header declares 5690 bytes of content and which hold only an
 * empty last block. libzstd decodes a frame in a single pass when one call holds all of
 * it and room for that size, and that pass checks the size before the checksum; fed in
 * pieces it streams, and after an empty last block it checked only the checksum. With a
 * wrong checksum the first frame gave CORRUPT in one piece and CHECKSUM in pieces; with
 * the right one (XXH64 of nothing) the second gave CORRUPT in one piece and decoded to
 * nothing, successfully, in pieces. The codec now always streams and checks the size:
 * each frame gives one code however its bytes arrive. */
static void *a_malloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void *a_realloc(void *ctx, void *p, size_t old, size_t n) { (void)ctx; (void)old; return realloc(p, n); }
static void a_free(void *ctx, void *p, size_t n) { (void)ctx; (void)n; free(p); }

TEST(zstd_frame_same_error_in_one_piece_and_in_chunks) {
    static const jlp_alc alc = {a_malloc, a_realloc, a_free, NULL};
    static const uint8_t frames[2][15] = {
        {0x28, 0xb5, 0x2f, 0xfd, 0x44, 0x68, 0x3a, 0x15, 0x01, 0x00, 0x00, 0xa8, 0x1f, 0x33, 0x21},
        {0x28, 0xb5, 0x2f, 0xfd, 0x44, 0x68, 0x3a, 0x15, 0x01, 0x00, 0x00, 0x99, 0xe9, 0xd8, 0x51}};
    static const jlp_code want[2] = {JLP_E_CHECKSUM, JLP_E_CORRUPT};
    const jlp_codec *z = jlp_registry_find(jlp_registry_default(), "zstd");
    if (!z || !z->dec_new) return; /* built without zstd */
    static uint8_t out[8192];
    for (int f = 0; f < 2; f++) {
        const uint8_t *frame = frames[f];
        size_t n = sizeof frames[f];
        for (size_t in_step = 1; in_step <= n; in_step++)
            for (size_t out_cap = 1; out_cap <= sizeof out; out_cap *= 8) {
                jlp_error err;
                memset(&err, 0, sizeof err);
                void *st = z->dec_new(z, &alc, &err);
                if (!st) { TH_FAIL("dec_new"); return; }
                size_t ip = 0, op = 0;
                jlp_codec_status s = JLP_CODEC_MORE;
                for (int calls = 0; calls < 100000 && s == JLP_CODEC_MORE; calls++) {
                    size_t end = ip + in_step < n ? ip + in_step : n;
                    jlp_inbuf in = {frame, end, ip};
                    jlp_outbuf ob = {out, op + out_cap < sizeof out ? op + out_cap : sizeof out, op};
                    s = z->dec_run(z, st, &in, &ob, &err);
                    if (s == JLP_CODEC_MORE && in.pos == ip && ob.pos == op && end == n) break;
                    ip = in.pos;
                    op = ob.pos;
                }
                z->dec_free(z, st);
                if (s != JLP_CODEC_ERROR || err.code != want[f])
                    TH_FAIL("frame %d, input by %zu, output by %zu: status %d, %s", f, in_step, out_cap, (int)s,
                            s == JLP_CODEC_ERROR ? jlp_error_name(err.code) : "-");
            }
        /* and through the loader, in one piece */
        jlp_error err;
        CHECK(jlp_load_mem(frame, n, NULL, NULL, &err) == NULL);
        CHECK_INT(err.code, want[f]);
    }
}

/* joblib's NumpyArrayWrapper.read reads the attributes dtype, shape (its len()),
 * subclass (compared with ndarray and memmap, else _reconstruct(subclass, ...)) and, to
 * reshape raw data, order, and divides by the item size of a non-object dtype:
 * joblib.load fails on a wrapper state without one of them, with a shape that is a bare
 * int, a subclass that is not a class, or an item size of 0 even with no elements.
 * The loader accepted all of these. Each wrapper below is a protocol 2 pickle with a
 * <f8 dtype (or V0, or O) and three items of payload; the BUILD is the byte before the
 * payload. */
#define W_HEAD "\x80\x02" "cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}("
#define W_DTYPE(s) "cnumpy\ndtype\nX\x02\x00\x00\x00" s "\x89\x88\x87R(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
#define W_KEY(n, s) "X" n "\x00\x00\x00" s
#define W_F8 W_KEY("\x05", "dtype") W_DTYPE("f8")
#define W_SHAPE W_KEY("\x05", "shape") "K\x03\x85"
#define W_ORDER W_KEY("\x05", "order") "X\x01\x00\x00\x00" "C"
#define W_SUB W_KEY("\x08", "subclass") "cnumpy\nndarray\n"
#define W_DATA "ub" "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@."

TEST(wrapper_state_as_joblib_reads_it) {
    static const struct {
        const char *what;
        const char *pickle;
        size_t len;
        size_t payload; /* bytes after the BUILD */
        const char *json;   /* NULL: BAD_ARRAY at the BUILD */
    } cases[] = {
#define W(what, body, payload, json) {what, W_HEAD body, sizeof(W_HEAD body) - 1, payload, json}
        W("complete", W_SUB W_SHAPE W_ORDER W_F8 W_DATA, 25,
          "{\"$ndarray\":{\"dtype\":\"<f8\",\"shape\":[3],\"order\":\"C\",\"data\":[0.0,1.0,2.0]}}\n"),
        W("without order", W_SUB W_SHAPE W_F8 W_DATA, 25, NULL),
        W("without subclass", W_SHAPE W_ORDER W_F8 W_DATA, 25, NULL),
        W("subclass None", W_KEY("\x08", "subclass") "N" W_SHAPE W_ORDER W_F8 W_DATA, 25, NULL),
        W("shape the int 3", W_SUB W_KEY("\x05", "shape") "K\x03" W_ORDER W_F8 W_DATA, 25, NULL),
        W("shape the list [3]", W_SUB W_KEY("\x05", "shape") "]K\x03" "a" W_ORDER W_F8 W_DATA, 25,
          "{\"$ndarray\":{\"dtype\":\"<f8\",\"shape\":[3],\"order\":\"C\",\"data\":[0.0,1.0,2.0]}}\n"),
        W("order 'K' (C order)", W_SUB W_SHAPE W_KEY("\x05", "order") "X\x01\x00\x00\x00K" W_F8 W_DATA, 25,
          "{\"$ndarray\":{\"dtype\":\"<f8\",\"shape\":[3],\"order\":\"C\",\"data\":[0.0,1.0,2.0]}}\n"),
        W("item size 0, no elements", W_SUB W_KEY("\x05", "shape") "K\x00\x85" W_ORDER W_KEY("\x05", "dtype")
          W_DTYPE("V0") "ub.", 1, NULL),
#undef W
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        jlp_error err;
        jlp_doc *d = jlp_load_mem(cases[i].pickle, cases[i].len, NULL, NULL, &err);
        if (cases[i].json) {
            char *js = d ? json_of(jlp_doc_root(d)) : NULL;
            if (!js || strcmp(js, cases[i].json))
                TH_FAIL("%s: %s", cases[i].what, js ? js : err.msg);
            free(js);
        } else if (d || err.code != JLP_E_BAD_ARRAY || err.offset != cases[i].len - cases[i].payload - 1) {
            TH_FAIL("%s: %s at %llu, expected BAD_ARRAY at %zu", cases[i].what, d ? "loaded" : jlp_error_name(err.code),
                    (unsigned long long)err.offset, cases[i].len - cases[i].payload - 1);
        }
        jlp_doc_free(d);
    }
}

/* numpy.dtype(obj, align=False, copy=False, metadata={}) takes 1 to 4 arguments,
 * align and copy of any value and metadata a dict; 5 arguments, or metadata that is not
 * a dict, are a TypeError. The loader accepted any number of arguments. */
TEST(numpy_dtype_arguments) {
    static const struct {
        const char *args;
        size_t len;
        int ok;
    } cases[] = {
#define A(s, ok) {s, sizeof s - 1, ok}
        A("X\x02\x00\x00\x00" "f8\x85", 1),
        A("X\x02\x00\x00\x00" "f8N\x86", 1),
        A("X\x02\x00\x00\x00" "f8\x89\x88\x87", 1),
        A("(X\x02\x00\x00\x00" "f8]K\x02}t", 1),
        A("(X\x02\x00\x00\x00" "f8\x89\x88Nt", 0),
        A("(X\x02\x00\x00\x00" "f8\x89\x88}K\x01t", 0),
#undef A
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char p[64];
        size_t n = 0;
        memcpy(p, "\x80\x02" "cnumpy\ndtype\n", 15);
        n = 15;
        memcpy(p + n, cases[i].args, cases[i].len);
        n += cases[i].len;
        memcpy(p + n, "R.", 2);
        n += 2;
        jlp_error err;
        jlp_doc *d = jlp_load_mem(p, n, NULL, NULL, &err);
        char *js = d ? json_of(jlp_doc_root(d)) : NULL;
        if (cases[i].ok && (!js || strcmp(js, "{\"$dtype\":\"<f8\"}\n")))
            TH_FAIL("case %zu: %s", i, js ? js : err.msg);
        if (!cases[i].ok && (d || err.code != JLP_E_BAD_DTYPE || err.offset != n - 2))
            TH_FAIL("case %zu: %s at %llu, expected BAD_DTYPE at %zu", i, d ? "loaded" : jlp_error_name(err.code),
                    (unsigned long long)err.offset, n - 2);
        free(js);
        jlp_doc_free(d);
    }
}

/* Python holds an array in host byte order when its loader swapped it: numpy's
 * __setstate__ (protocols 0-4) for a dtype not native at its top, joblib's read also for
 * a structured dtype whose fields all are big-endian. The document keeps the file's
 * order; a rewrite in numpy's layout at protocol 5 wrote _frombuffer with it, and Python
 * then loaded a big-endian array where it had a native one. Now: np.arange(3,
 * dtype='>i4') pickled at protocol 2 is written with _reconstruct (numpy swaps it
 * again) and reloads as it was; joblib.dump of a ('>i4', '>f8') record array is written
 * with its fields native and swapped bytes, as numpy writes the array joblib.load gives;
 * the same '>i4' array pickled at protocol 5 (numpy's _frombuffer keeps the order) and a
 * built one keep _frombuffer and '>i4'. */
static const char BE_I4_P2[] = "\x80\x02" "cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00" "cnumpy\x0andarray\x0aq\x01K\x00\x85q\x02" "c_codecs\x0a" "encode\x0aq\x03X\x01\x00\x00\x00" "bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x03\x85q\x0a" "cnumpy\x0a" "dtype\x0aq\x0bX\x02\x00\x00\x00i4q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00>q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x10" "b\x89h\x03X\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02q\x11h\x05\x86q\x12Rq\x13tq\x14" "b.";
static const char BE_I4_P5[] = "\x80\x05\x95\x7f\x00\x00\x00\x00\x00\x00\x00\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuffer\x94\x93\x94(\x96\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x94\x8c\x05numpy\x94\x8c\x05" "dtype\x94\x93\x94\x8c\x02i4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01>\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94" "bK\x03\x85\x94\x8c\x01" "C\x94t\x94R\x94.";
static const char BE_STRUCT_JOBLIB[] = "\x80\x02" "cjoblib.numpy_pickle\x0aNumpyArrayWrapper\x0aq\x00)\x81q\x01}q\x02(X\x08\x00\x00\x00subclassq\x03" "cnumpy\x0andarray\x0aq\x04X\x05\x00\x00\x00shapeq\x05K\x02\x85q\x06X\x05\x00\x00\x00orderq\x07X\x01\x00\x00\x00" "Cq\x08X\x05\x00\x00\x00" "dtypeq\x09" "cnumpy\x0a" "dtype\x0aq\x0aX\x03\x00\x00\x00V12q\x0b\x89\x88\x87q\x0cRq\x0d(K\x03X\x01\x00\x00\x00|q\x0eNX\x01\x00\x00\x00" "aq\x0fX\x01\x00\x00\x00" "bq\x10\x86q\x11}q\x12(h\x0fh\x0aX\x02\x00\x00\x00i4q\x13\x89\x88\x87q\x14Rq\x15(K\x03X\x01\x00\x00\x00>q\x16NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x17" "bK\x00\x86q\x18h\x10h\x0aX\x02\x00\x00\x00" "f8q\x19\x89\x88\x87q\x1aRq\x1b(K\x03h\x16NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x1c" "bK\x04\x86q\x1duK\x0cK\x01K\x10tq\x1e" "bX\x0a\x00\x00\x00" "allow_mmapq\x1f\x88X\x1b\x00\x00\x00numpy_array_alignment_bytesq K\x10ub\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x01@\x04\x00\x00\x00\x00\x00\x00\xff\xff\xff\xfe\x3f\xe0\x00\x00\x00\x00\x00\x00.";

/* Dump doc's root at protocol 5 in numpy's layout; whether _frombuffer was written, and
 * the export of the reload. */
static char *rewrite_p5(const char *pickle, size_t n, int *frombuffer) {
    jlp_doc *d = load(pickle, n);
    if (!d) return NULL;
    size_t len;
    jlp_code c;
    void *out = dump(jlp_doc_root(d), 5, JLP_ARRAYS_NUMPY, &len, &c);
    jlp_doc_free(d);
    if (!out) return NULL;
    *frombuffer = mem_has(out, len, "_frombuffer");
    jlp_doc *back = load(out, len);
    char *js = back ? json_of(jlp_doc_root(back)) : NULL;
    jlp_doc_free(back);
    free(out);
    return js;
}

TEST(arrays_python_loads_native) {
    static const char be_i4[] = "{\"$ndarray\":{\"dtype\":\">i4\",\"shape\":[3],\"order\":\"C\",\"data\":[0,1,2]}}\n";
    int fb = -1;
    char *js = rewrite_p5(BE_I4_P2, sizeof BE_I4_P2 - 1, &fb);
    CHECK_STR(js, be_i4);
    CHECK_INT(fb, 0);
    free(js);
    fb = -1;
    js = rewrite_p5(BE_I4_P5, sizeof BE_I4_P5 - 1, &fb);
    CHECK_STR(js, be_i4);
    CHECK_INT(fb, 1);
    free(js);
    fb = -1;
    js = rewrite_p5(BE_STRUCT_JOBLIB, sizeof BE_STRUCT_JOBLIB - 1, &fb);
    CHECK_STR(js, "{\"$ndarray\":{\"dtype\":[[\"a\",\"<i4\"],[\"b\",\"<f8\"]],\"shape\":[2],\"order\":\"C\","
                  "\"data\":[[1,2.5],[-2,0.5]]}}\n");
    CHECK_INT(fb, 1);
    free(js);
    /* the same bytes in joblib's layout keep the file's order (joblib.load swaps them) */
    jlp_doc *d = load(BE_STRUCT_JOBLIB, sizeof BE_STRUCT_JOBLIB - 1);
    size_t len;
    jlp_code c;
    void *out = d ? dump(jlp_doc_root(d), 2, JLP_ARRAYS_JOBLIB, &len, &c) : NULL;
    CHECK(out && len == sizeof BE_STRUCT_JOBLIB - 1 && !memcmp(out, BE_STRUCT_JOBLIB, len));
    free(out);
    jlp_doc_free(d);
    /* a built '>i4' array is what its dtype says */
    d = jlp_doc_new(NULL);
    jlp_error err;
    uint64_t shape[1] = {3};
    jlp_val *a = jlp_new_array(d, jlp_new_dtype(d, ">i4", &err), 1, shape, 'C',
                               "\0\0\0\0\0\0\0\1\0\0\0\2", 12, JLP_COPY, &err);
    out = a ? dump(a, 5, JLP_ARRAYS_NUMPY, &len, &c) : NULL;
    CHECK(out && mem_has(out, len, "_frombuffer") && mem_has(out, len, "\x8c\x01>"));
    free(out);
    jlp_doc_free(d);
}

/* numpy counts an array whose items have size 0 (all strides 0) as both C- and
 * F-contiguous once it is loaded, whatever order it was made in: such an array built in
 * Fortran order exported "order":"F", and Python's own pickle of what it loaded said C. */
TEST(zero_itemsize_fortran_order_is_c) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    uint64_t shape[3] = {2, 4, 2};
    jlp_val *a = jlp_new_array(d, jlp_new_dtype(d, "[]", &err), 3, shape, 'F', "", 0, JLP_COPY, &err);
    char *js = a ? json_of(a) : NULL;
    CHECK(js && strstr(js, "\"order\":\"C\"") && !strstr(js, "\"order\":\"F\""));
    free(js);
    jlp_doc_free(d);
}

/* A bare letter given to numpy.dtype is numpy's one-character type code, not a kind:
 * numpy.dtype('b') is int8, 'i' int32, 'f' float32, 'c' S1, and 'u' is a TypeError.
 * The loader took them as kinds with its own default sizes (bool, int64, float64,
 * complex128, uint64). */
TEST(numpy_dtype_type_codes) {
    static const struct {
        char code;
        const char *json; /* NULL: BAD_DTYPE */
    } cases[] = {{'b', "{\"$dtype\":\"|i1\"}\n"}, {'i', "{\"$dtype\":\"<i4\"}\n"}, {'f', "{\"$dtype\":\"<f4\"}\n"},
                 {'c', "{\"$dtype\":\"|S1\"}\n"}, {'u', NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        static const char tmpl[] = "\x80\x02" "cnumpy\ndtype\nX\x01\x00\x00\x00?\x89\x88\x87R.";
        char p[sizeof tmpl];
        memcpy(p, tmpl, sizeof tmpl);
        p[20] = cases[i].code; /* the '?' */
        jlp_error err;
        jlp_doc *d = jlp_load_mem(p, sizeof tmpl - 1, NULL, NULL, &err);
        char *js = d ? json_of(jlp_doc_root(d)) : NULL;
        if (cases[i].json ? !js || strcmp(js, cases[i].json) : d || err.code != JLP_E_BAD_DTYPE)
            TH_FAIL("'%c': %s", cases[i].code, js ? js : jlp_error_name(err.code));
        free(js);
        jlp_doc_free(d);
    }
}

/* numpy's _reconstruct(cls, shape, dtype) makes an array of uninitialised items that
 * its BUILD replaces. Never given the BUILD, _reconstruct(ndarray, (0,), b'b') is an
 * empty int8 array (the reference refused it); one with items has no value numpy gives
 * twice the same way, and the load fails at the STOP (it loaded as an empty int8
 * array). */
TEST(reconstruct_without_build) {
    static const char empty[] = "\x80\x02" "cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" "C\x01" "b\x87R.";
    static const char items[] = "\x80\x02" "cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x03\x85" "C\x01" "b\x87R.";
    jlp_doc *d = load(empty, sizeof empty - 1);
    char *js = d ? json_of(jlp_doc_root(d)) : NULL;
    CHECK_STR(js, "{\"$ndarray\":{\"dtype\":\"|i1\",\"shape\":[0],\"order\":\"C\",\"data\":[]}}\n");
    free(js);
    jlp_doc_free(d);
    jlp_error err;
    d = jlp_load_mem(items, sizeof items - 1, NULL, NULL, &err);
    CHECK(d == NULL);
    CHECK_ERR(err, JLP_E_BAD_ARRAY, sizeof items - 2);
    jlp_doc_free(d);
}

/* A dtype state's byte order is read as numpy's __setstate__ reads it: one ASCII
 * character (str) or one byte (bytes); '<', '>' and '|' are kept and any other is the
 * host's order. A NUL exported as an empty dtype string and 'x' was refused (a mutant of
 * the differential test found the NUL). */
TEST(dtype_byte_order_characters) {
    const uint16_t one = 1;
    const char host = *(const uint8_t *)&one ? '<' : '>';
    static const struct {
        char op;             /* 'X' BINUNICODE, 'C' SHORT_BINBYTES */
        const char *text;
        size_t n;
        char want;           /* the dtype's byte order, 'h' the host's, 0 BAD_DTYPE */
    } cases[] = {{'X', "\0", 1, 'h'},  {'X', "x", 1, 'h'},   {'X', "=", 1, 'h'},      {'X', "|", 1, '|'},
                 {'X', ">", 1, '>'},   {'X', "", 0, 0},      {'X', "<<", 2, 0},       {'X', "\xc3\xa9", 2, 0},
                 {'C', "\x80", 1, 'h'}, {'C', "|", 1, '|'},  {'C', "", 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t p[128];
        size_t n = 0;
        static const char head[] = "\x80\x03" "cnumpy\ndtype\nX\x02\x00\x00\x00i4\x89\x88\x87R(K\x03";
        static const char tail[] = "NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb.";
        memcpy(p, head, sizeof head - 1);
        n = sizeof head - 1;
        p[n++] = (uint8_t)cases[i].op;
        if (cases[i].op == 'X') {
            uint32_t len = (uint32_t)cases[i].n;
            for (int k = 0; k < 4; k++) p[n++] = (uint8_t)(len >> (8 * k));
        } else {
            p[n++] = (uint8_t)cases[i].n;
        }
        memcpy(p + n, cases[i].text, cases[i].n);
        n += cases[i].n;
        memcpy(p + n, tail, sizeof tail - 1);
        n += sizeof tail - 1;
        jlp_error err;
        jlp_doc *d = jlp_load_mem(p, n, NULL, NULL, &err);
        char *js = d ? json_of(jlp_doc_root(d)) : NULL;
        char want[32];
        snprintf(want, sizeof want, "{\"$dtype\":\"%ci4\"}\n", cases[i].want == 'h' ? host : cases[i].want);
        if (cases[i].want ? !js || strcmp(js, want) : d || err.code != JLP_E_BAD_DTYPE)
            TH_FAIL("case %zu (%c, %zu bytes): %s", i, cases[i].op, cases[i].n, js ? js : jlp_error_name(err.code));
        free(js);
        jlp_doc_free(d);
    }
}

/* DV-9, closed: a structured dtype whose fields overlap or are out of offset order
 * (numpy's dtype({'names': ['a', 'b'], 'formats': ['<i4', ('<i2', (2,))], 'offsets':
 * [2, 0], 'titles': [None, 'T'], 'itemsize': 6}), pickled by numpy at protocol 2). Its
 * descr list laid the fields end to end ([["a","<i4"],[["T","b"],"<i2",[2]]]: a at 0,
 * b at 4) and so did not show where they are; the export prints numpy's dict form with
 * the offsets, and jlp_new_dtype (jldump --from-json) reads that form back. */
static const char OVERLAP_P2[] = "\x80\x02" "cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00" "cnumpy\x0andarray\x0aq\x01K\x00\x85q\x02" "c_codecs\x0a" "encode\x0aq\x03X\x01\x00\x00\x00" "bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x01\x85q\x0a" "cnumpy\x0a" "dtype\x0aq\x0bX\x02\x00\x00\x00V6q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00|q\x0fNX\x01\x00\x00\x00" "aq\x10X\x01\x00\x00\x00" "bq\x11\x86q\x12}q\x13(h\x10h\x0bX\x02\x00\x00\x00i4q\x14\x89\x88\x87q\x15Rq\x16(K\x03X\x01\x00\x00\x00<q\x17NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x18" "bK\x02\x86q\x19h\x11h\x0bX\x02\x00\x00\x00V4q\x1a\x89\x88\x87q\x1bRq\x1c(K\x03h\x0fh\x0bX\x02\x00\x00\x00i2q\x1d\x89\x88\x87q\x1eRq\x1f(K\x03h\x17NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq bK\x02\x85q!\x86q\x22NNK\x04K\x02K\x00tq#bK\x00X\x01\x00\x00\x00Tq$\x87q%h$h%uK\x06K\x01K\x10tq&b\x89h\x03X\x06\x00\x00\x00\x00\x01\x02\x03\x04\x05q'h\x05\x86q(Rq)tq*b.";

#define OVERLAP_D "{\"names\":[\"a\",\"b\"],\"formats\":[\"<i4\",[\"<i2\",[2]]],\"offsets\":[2,0],\"titles\":[null,\"T\"],\"itemsize\":6}"

TEST(overlapping_fields_export_their_offsets) {
    jlp_doc *d = load(OVERLAP_P2, sizeof OVERLAP_P2 - 1);
    if (!d) return;
    /* numpy: a.tolist() == [(84148994, array([256, 770], dtype=int16))] */
    static const char want[] = "{\"$ndarray\":{\"dtype\":" OVERLAP_D ",\"shape\":[1],\"order\":\"C\","
                               "\"data\":[[84148994,[256,770]]]}}\n";
    char *js = json_of(jlp_doc_root(d));
    CHECK_STR(js, want);
    if (js && !strcmp(js, want)) check_round_trips(jlp_doc_root(d), want);
    free(js);
    jlp_doc_free(d);

    /* the text forms read back, each exporting as it was given: the dict form (numpy's
     * repr), a dict form field inside a descr list and a descr list field inside a dict
     * form, a subarray of a dict form dtype, and fields out of order without overlap */
    static const struct { const char *text, *json; } forms[] = {
        {"{'names': ['a', 'b'], 'formats': ['<i4', ('<i2', (2,))], 'offsets': [2, 0], 'titles': [None, 'T'], "
         "'itemsize': 6}", OVERLAP_D},
        {"[('x', '|u1'), ('y', {'names': ['p', 'q'], 'formats': ['<u2', '<u2'], 'offsets': [2, 0], 'itemsize': 4})]",
         "[[\"x\",\"|u1\"],[\"y\",{\"names\":[\"p\",\"q\"],\"formats\":[\"<u2\",\"<u2\"],\"offsets\":[2,0],\"itemsize\":4}]]"},
        {"{'names': ['r', 's'], 'formats': [[('u', '<f4'), ('', '|V2'), ('v', '|i1')], '|S3'], 'offsets': [0, 1]}",
         "{\"names\":[\"r\",\"s\"],\"formats\":[[[\"u\",\"<f4\"],[\"\",\"|V2\"],[\"v\",\"|i1\"]],\"|S3\"],\"offsets\":[0,1],"
         "\"itemsize\":7}"},
        {"[('z', {'names': ['a', 'b'], 'formats': ['<i2', '<i2'], 'offsets': [0, 0], 'itemsize': 2}, (3,))]",
         "[[\"z\",{\"names\":[\"a\",\"b\"],\"formats\":[\"<i2\",\"<i2\"],\"offsets\":[0,0],\"itemsize\":2},[3]]]"},
        {"{'names': ['b', 'a'], 'formats': ['<i4', '|u1'], 'offsets': [4, 0], 'itemsize': 8}",
         "{\"names\":[\"b\",\"a\"],\"formats\":[\"<i4\",\"|u1\"],\"offsets\":[4,0],\"itemsize\":8}"},
        /* in order: the descr list numpy gives, padding included */
        {"{'names': ['a', 'b'], 'formats': ['|u1', '<i4'], 'offsets': [1, 4], 'itemsize': 12}",
         "[[\"\",\"|V1\"],[\"a\",\"|u1\"],[\"\",\"|V2\"],[\"b\",\"<i4\"],[\"\",\"|V4\"]]"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        jlp_doc *b = jlp_doc_new(NULL);
        jlp_error err;
        jlp_val *dt = jlp_new_dtype(b, forms[i].text, &err);
        char *got = dt ? json_of(dt) : NULL;
        char want_dt[512];
        snprintf(want_dt, sizeof want_dt, "{\"$dtype\":%s}\n", forms[i].json);
        if (!got || strcmp(got, want_dt))
            TH_FAIL("form %zu: %s\n    expected %s", i, got ? got : jlp_error_name(err.code), want_dt);
        else
            check_round_trips(dt, want_dt);
        free(got);
        jlp_doc_free(b);
    }

    /* what numpy.dtype() refuses in the dict form is BAD_DTYPE */
    static const char *const bad[] = {
        "{'names': ['a', 'a'], 'formats': ['<i4', '<i4']}",                                /* a name twice */
        "{'names': ['a', 'b'], 'formats': ['<i4', '<i4'], 'titles': ['b', None]}",         /* a title is a name */
        "{'names': ['a'], 'formats': ['<i4'], 'offsets': [2], 'itemsize': 4}",            /* item too small */
        "{'names': ['a'], 'formats': ['<i4'], 'offsets': [-1]}",                           /* negative offset */
        "{'names': ['a', 'b'], 'formats': ['|O', '<i8'], 'offsets': [0, 4]}",              /* object overlapped */
        "{'names': ['a', 'b'], 'formats': ['<i4']}",                                       /* lengths differ */
        "{'names': ['a'], 'formats': ['<i4'], 'aligned': True}",                           /* a key not read */
        "{'names': ['a'], 'formats': ['<i4'], 'names': ['b']}",                            /* a key twice */
        "{'names': ['a']}",                                                                /* no formats */
        "{'names': [1], 'formats': ['<i4']}",                                              /* a name not a str */
        "{'names': ['a'], 'formats': [('<i4', (2,), 1)]}",                                 /* a format tuple of 3 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        jlp_doc *b = jlp_doc_new(NULL);
        jlp_error err;
        jlp_val *dt = jlp_new_dtype(b, bad[i], &err);
        if (dt || err.code != JLP_E_BAD_DTYPE)
            TH_FAIL("bad form %zu: %s", i, dt ? "accepted" : jlp_error_name(err.code));
        jlp_doc_free(b);
    }

    /* a .npy header's descr is a str or a list, as numpy's format reads it: no dict */
    static const char npy[] = "\x93NUMPY\x01\x00\x76\x00{'descr': {'names': ['a'], 'formats': ['<i4'], 'offsets': [0]}, "
                              "'fortran_order': False, 'shape': (1,), }             \n"
                              "\x01\x00\x00\x00";
    jlp_error err;
    jlp_doc *n = jlp_load_npy_mem(npy, sizeof npy - 1, NULL, &err);
    CHECK(n == NULL);
    if (!n) CHECK_INT(err.code, JLP_E_BAD_DTYPE);
    jlp_doc_free(n);
}

/* ndarray.__setstate__ parses its state as "(iO!O!iO)" (or without the version): the
 * version an int of 0 or 1, the shape a tuple of ints (not bools, not a list, not an
 * int), is_fortran a C int. The loader took a list, an int or bools for the shape, any
 * value for is_fortran (a tuple printed as C order, the reference as F) and any
 * version, where numpy refuses the state (the differential test, seeds 305 and 307).
 * Each state below was checked with pickle.loads. */
/* A byte string and its length, NULs included. */
#define BS(s) s, sizeof s - 1

/* Case i: the n bytes at p load and export as `want`, or (want NULL) fail with `code`
 * at their BUILD, the opcode before the final STOP. */
static void expect_load(size_t i, const char *p, size_t n, const char *want, jlp_code code) {
    jlp_error err;
    jlp_doc *d = jlp_load_mem(p, n, NULL, NULL, &err);
    char *js = d ? json_of(jlp_doc_root(d)) : NULL;
    if (want) {
        if (!js || strcmp(js, want)) TH_FAIL("case %zu: %s", i, js ? js : jlp_error_name(err.code));
    } else if (d || err.code != code || err.offset != n - 2) {
        TH_FAIL("case %zu: %s at %llu, expected %s at %zu", i, d ? js : jlp_error_name(err.code),
                (unsigned long long)err.offset, jlp_error_name(code), n - 2);
    }
    free(js);
    jlp_doc_free(d);
}

TEST(ndarray_state_as_numpy_parses_it) {
    static const char head[] = "\x80\x03" "cnumpy.core.multiarray\n_reconstruct\nq\x00" "cnumpy\nndarray\nq\x01K\x00\x85q\x02" "C\x01" "b\x87R(";
    static const char dt[] = "cnumpy\ndtype\nX\x02\x00\x00\x00i1\x89\x88\x87R(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb";
    static const struct {
        const char *version; size_t vn;
        const char *shape; size_t sn;
        const char *fortran; size_t fn;
        const char *data; size_t dn;
        const char *want; /* the export's shape and data, or NULL: BAD_ARRAY at the BUILD */
    } cases[] = {
        {BS("K\x01"), BS("K\x02\x85"), BS("\x89"), BS("C\x02" "ab"), "[2],\"order\":\"C\",\"data\":[97,98]"},
        {BS(""), BS("K\x02\x85"), BS("\x89"), BS("C\x02" "ab"), "[2],\"order\":\"C\",\"data\":[97,98]"},  /* no version */
        {BS("\x88"), BS("K\x02\x85"), BS("\x89"), BS("C\x02" "ab"), "[2],\"order\":\"C\",\"data\":[97,98]"}, /* True */
        {BS("K\x00"), BS("K\x02\x85"), BS("J\xff\xff\xff\xff"), BS("C\x02" "ab"),           /* 0, is_fortran -1 */
         "[2],\"order\":\"C\",\"data\":[97,98]"},
        {BS("K\x01"), BS("K\x02K\x01\x86"), BS("K\x02"), BS("C\x02" "ab"),                   /* is_fortran 2 */
         "[2,1],\"order\":\"C\",\"data\":[[97],[98]]"},
        {BS("K\x02"), BS("K\x02\x85"), BS("\x89"), BS("C\x02" "ab"), NULL},                           /* version 2 */
        {BS("J\xff\xff\xff\xff"), BS("K\x02\x85"), BS("\x89"), BS("C\x02" "ab"), NULL},               /* version -1 */
        {BS("\x8a\x05\x00\x00\x00\x00\x01"), BS("K\x02\x85"), BS("\x89"), BS("C\x02" "ab"), NULL},    /* 2^32 */
        {BS("K\x01"), BS("]K\x02" "a"), BS("\x89"), BS("C\x02" "ab"), NULL},                          /* a list */
        {BS("K\x01"), BS("K\x02"), BS("\x89"), BS("C\x02" "ab"), NULL},                               /* an int */
        {BS("K\x01"), BS("\x88\x88\x86"), BS("\x89"), BS("C\x01" "a"), NULL},                         /* bools */
        {BS("K\x01"), BS("K\x02\x85"), BS(")"), BS("C\x02" "ab"), NULL},                              /* () */
        {BS("K\x01"), BS("K\x02\x85"), BS("N"), BS("C\x02" "ab"), NULL},                              /* None */
        {BS("K\x01"), BS("K\x02\x85"), BS("G?\xf0\x00\x00\x00\x00\x00\x00"), BS("C\x02" "ab"), NULL}, /* 1.0 */
        {BS("K\x01"), BS("K\x02\x85"), BS("\x8a\x05\x00\x00\x00\x00\x01"), BS("C\x02" "ab"), NULL},   /* 2^32 */
        {BS(""), BS("K\x02\x85"), BS("C\x00"), BS("C\x02" "ab"), NULL},                               /* b'' */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char p[256];
        size_t n = 0;
        const struct { const char *s; size_t n; } parts[] = {
            {head, sizeof head - 1}, {cases[i].version, cases[i].vn}, {cases[i].shape, cases[i].sn}, {dt, sizeof dt - 1},
            {cases[i].fortran, cases[i].fn}, {cases[i].data, cases[i].dn}, {"tb.", 3}};
        for (size_t k = 0; k < sizeof parts / sizeof *parts; k++) {
            memcpy(p + n, parts[k].s, parts[k].n);
            n += parts[k].n;
        }
        char want[160];
        if (cases[i].want)
            snprintf(want, sizeof want, "{\"$ndarray\":{\"dtype\":\"|i1\",\"shape\":%s}}\n", cases[i].want);
        expect_load(i, p, n, cases[i].want ? want : NULL, JLP_E_BAD_ARRAY);
    }
}

/* A datetime dtype's metadata is (metadata, (unit, num[, den[, events]])) for numpy's
 * __setstate__ (FORMAT.md D-7): the loader took any other metadata as a datetime
 * without unit where numpy refuses it ((metadata, {...}): the differential test, seed
 * 304), and any num or den. Each state below was checked with pickle.loads; a den
 * above 1, which numpy turns into a smaller unit ((ms, 1, 2) is 500us) and never
 * writes, is refused. */
TEST(datetime_metadata_as_numpy_takes_it) {
    static const char head[] = "\x80\x03" "cnumpy\ndtype\nX\x02\x00\x00\x00m8\x89\x88\x87R(K\x04X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00";
    static const struct {
        const char *meta; size_t n;
        const char *want; /* the dtype string, or NULL: BAD_DTYPE at the BUILD */
    } cases[] = {
        {BS("N"), "<m8"},
        {BS("(}(C\x02msK\x01K\x01K\x01tt"), "<m8[ms]"},
        {BS("(}(C\x02msK\x02tt"), "<m8[2ms]"},
        {BS("(}(C\x02msK\x01K\x07tt"), "<m8[ms]"},                    /* a third item is ignored */
        {BS("(N(C\x02msK\x01tt"), "<m8[ms]"},                         /* any first item */
        {BS("(}(C\x02msJ\xff\xff\xff\x7ftt"), "<m8[2147483647ms]"},
        {BS("(}(C\x02ms\x88tt"), "<m8[ms]"},                          /* num True */
        {BS("(}(C\x02msK\x01K\x01Ntt"), "<m8[ms]"},                   /* events None */
        {BS("(}(X\x02\x00\x00\x00usK\x03tt"), "<m8[3us]"},
        {BS("(}}t"), NULL},                                           /* units a dict */
        {BS("}"), NULL},
        {BS("(}t"), NULL},
        {BS("K\x05"), NULL},
        {BS("(}(C\x02mstt"), NULL},                                   /* no num */
        {BS("(}(C\x02msK\x01K\x01K\x01K\x01tt"), NULL},               /* 5 items */
        {BS("(}(C\x02msK\x01K\x02K\x01tt"), NULL},                    /* den 2 (numpy: 500us) */
        {BS("(}(C\x02ms\x8a\x05\x00\x00\x00\x80\x00tt"), NULL},       /* num 2^31 */
        {BS("(}(C\x02msK\x00tt"), NULL},                              /* num 0 */
        {BS("(}(C\x02xxK\x01tt"), NULL},                              /* unknown unit */
        {BS("(}]C\x02msaK\x01\x86t"), NULL},                          /* units a list */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char p[160];
        size_t n = sizeof head - 1;
        memcpy(p, head, n);
        memcpy(p + n, cases[i].meta, cases[i].n);
        n += cases[i].n;
        memcpy(p + n, "tb.", 3);
        n += 3;
        char want[64];
        if (cases[i].want) snprintf(want, sizeof want, "{\"$dtype\":\"%s\"}\n", cases[i].want);
        expect_load(i, p, n, cases[i].want ? want : NULL, JLP_E_BAD_DTYPE);
    }
}

/* numpy takes no bool for a dimension ("an integer is required"), in a state, a
 * _frombuffer shape, a subarray or a wrapper alike; the loader took True and False as
 * 1 and 0. _frombuffer(b'ab', dtype('i1'), SHAPE, 'C') at protocol 5, checked with
 * pickle.loads: (True, 2) is a TypeError, (1, 2) loads. */
#define FB_HEAD "\x80\x05\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuffer\x94\x93\x94(C\x02" "ab\x8c\x05numpy\x8c\x05" \
    "dtype\x93\x8c\x02i1\x89\x88\x87R(K\x03\x8c\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
#define FB_TAIL "\x86\x8c\x01" "Ct\x94R\x94."

TEST(bool_dimensions) {
    static const char with_bool[] = FB_HEAD "\x88K\x02" FB_TAIL, with_int[] = FB_HEAD "K\x01K\x02" FB_TAIL;
    jlp_error err;
    jlp_doc *d = jlp_load_mem(with_bool, sizeof with_bool - 1, NULL, NULL, &err);
    CHECK(d == NULL);
    if (!d) CHECK_ERR(err, JLP_E_BAD_ARRAY, sizeof with_bool - 1 - 3); /* the REDUCE */
    jlp_doc_free(d);
    d = load(with_int, sizeof with_int - 1);
    char *js = d ? json_of(jlp_doc_root(d)) : NULL;
    CHECK_STR(js, "{\"$ndarray\":{\"dtype\":\"|i1\",\"shape\":[1,2],\"order\":\"C\",\"data\":[[97,98]]}}\n");
    free(js);
    jlp_doc_free(d);
}
