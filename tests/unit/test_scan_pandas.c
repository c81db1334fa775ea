/*
 * test_scan_pandas.c - pandas pickles in the safety scan (spec/SAFETY.md S-33): the
 * helpers that build the class they are given (_new_Index, _new_DatetimeIndex,
 * _new_IntervalIndex, _new_PeriodIndex, __pyx_unpickle_NDArrayBacked) are safe for
 * their own role's classes only, and the states pandas' arrays setattr() are held to
 * the dunder rule. Inputs are hand-assembled protocol 2 opcodes, in the shapes pandas
 * 1.5 and 2.x write (checked against their source), with forged classes and states.
 */
#include "harness.h"
#include "jlpickle_scan.h"

static jlp_scan_report *scan_bytes(const void *p, size_t n) {
    jlp_error e;
    jlp_scan_report *r = jlp_scan_mem(p, n, NULL, &e);
    if (!r) TH_FAIL("jlp_scan_mem failed: %s: %s", jlp_error_name(e.code), e.msg);
    return r;
}

/* The first finding of the joblib reading with this action and global. */
static const jlp_finding *find(const jlp_scan_report *r, const char *action, const char *module,
                               const char *name) {
    for (size_t i = 0; r && i < jlp_report_count(r); i++) {
        const jlp_finding *f = jlp_report_finding(r, i);
        if (f->reading != JLP_READING_JOBLIB || strcmp(f->action, action)) continue;
        if (strlen(module) != f->module_len || memcmp(module, f->module, f->module_len)) continue;
        if (strlen(name) != f->name_len || memcmp(name, f->name, f->name_len)) continue;
        return f;
    }
    return NULL;
}

typedef struct {
    char b[1024];
    size_t n;
} pk;

static void put(pk *p, const char *s) {
    size_t l = strlen(s);
    if (p->n + l > sizeof p->b) TH_FAIL("pickle too long");
    else {
        memcpy(p->b + p->n, s, l);
        p->n += l;
    }
}

/* BINUNICODE of s. */
static void put_str(pk *p, const char *s) {
    size_t l = strlen(s);
    char h[6] = {'X', (char)l, 0, 0, 0, 0};
    if (p->n + 5 + l > sizeof p->b) TH_FAIL("pickle too long");
    memcpy(p->b + p->n, h, 5);
    memcpy(p->b + p->n + 5, s, l);
    p->n += 5 + l;
}

/* PROTO 2, GLOBAL helper, GLOBAL cls, then `args` (opcodes that push the other
 * arguments), TUPLE of n, REDUCE at *call; the caller ends it. */
static void helper_call(pk *p, const char *helper, const char *cls, const char *args, int nargs, size_t *call) {
    p->n = 0;
    put(p, "\x80\x02");
    put(p, helper);
    put(p, cls);
    put(p, args);
    put(p, nargs == 2 ? "\x86" : "\x87");
    *call = p->n;
    put(p, "R");
}

#define NEW_INDEX "cpandas.core.indexes.base\n_new_Index\n"
#define NEW_DTI "cpandas.core.indexes.datetimes\n_new_DatetimeIndex\n"
#define NEW_II "cpandas.core.indexes.interval\n_new_IntervalIndex\n"
#define NDAB "cpandas._libs.arrays\n__pyx_unpickle_NDArrayBacked\n"
#define CHECKSUM_NONE "J\xb8\x56\x55\x0d" "N" /* the checksum pandas 1.5 writes, no state */

/* Scan p: the input's verdict is `want`; unless it is SAFE, the joblib reading has a
 * finding of `action` on module.name with verdict `want` at `offset`, whose reason holds
 * reason_part (when given); a SAFE input has no such finding. */
static void expect_finding(const pk *p, jlp_verdict want, const char *action, const char *module,
                           const char *name, size_t offset, const char *reason_part) {
    jlp_scan_report *r = scan_bytes(p->b, p->n);
    const jlp_finding *f = find(r, action, module, name);
    CHECK_STR(jlp_verdict_name(jlp_report_verdict(r)), jlp_verdict_name(want));
    if (want == JLP_VERDICT_SAFE) {
        CHECK(f == NULL);
    } else if (!f) {
        TH_FAIL("no %s finding of %s.%s", action, module, name);
    } else {
        CHECK_STR(jlp_verdict_name(f->verdict), jlp_verdict_name(want));
        CHECK_INT(f->offset, offset);
        if (reason_part && !strstr(f->reason, reason_part)) TH_FAIL("reason: %s", f->reason);
    }
    jlp_report_free(r);
}

/* helper_call(...) then STOP, checked as check_call does. */
static void expect_call(const char *helper, const char *helper_mod, const char *helper_name, const char *cls,
                        const char *args, int nargs, jlp_verdict want, const char *reason_part) {
    pk p;
    size_t call;
    helper_call(&p, helper, cls, args, nargs, &call);
    put(&p, ".");
    expect_finding(&p, want, "call", helper_mod, helper_name, call, reason_part);
}
#define EXPECT_NEW_INDEX(cls, d, want, why) \
    expect_call(NEW_INDEX, "pandas.core.indexes.base", "_new_Index", cls, d, 2, JLP_VERDICT_##want, why)
#define EXPECT_NEW_DTI(cls, want, why)                                                                \
    expect_call(NEW_DTI, "pandas.core.indexes.datetimes", "_new_DatetimeIndex", cls, "}", 2, \
                JLP_VERDICT_##want, why)
#define EXPECT_NEW_II(cls, want, why) \
    expect_call(NEW_II, "pandas.core.indexes.interval", "_new_IntervalIndex", cls, "}", 2, JLP_VERDICT_##want, why)
#define EXPECT_NDAB(cls, want, why)                                                                   \
    expect_call(NDAB, "pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked", cls, CHECKSUM_NONE, 3, \
                JLP_VERDICT_##want, why)
#define IMX "cpandas._libs.interval\n__pyx_unpickle_IntervalMixin\n"
#define EXPECT_IMX(cls, want, why)                                                                    \
    expect_call(IMX, "pandas._libs.interval", "__pyx_unpickle_IntervalMixin", cls, CHECKSUM_NONE, 3, \
                JLP_VERDICT_##want, why)

/* _new_Index(cls, d) is cls.__new__(cls, **d): a pandas Index class is safe (the class of
 * 1.5's Int64Index and of 2.x's int64 Index alike), a command runner is dangerous, a
 * harmless class that is not an Index and keyword arguments that are not a dict are
 * suspicious. Before S-33 every one of them was suspicious: _new_Index was not in the
 * safe list. */
TEST(new_index_builds_index_classes_only) {
    static const char *const index_classes[] = {
        "cpandas.core.indexes.base\nIndex\n", "cpandas.core.indexes.range\nRangeIndex\n",
        "cpandas.core.indexes.multi\nMultiIndex\n", "cpandas.core.indexes.numeric\nInt64Index\n",
        "cpandas.core.indexes.category\nCategoricalIndex\n", "cpandas.core.indexes.period\nPeriodIndex\n"};
    for (size_t i = 0; i < sizeof index_classes / sizeof *index_classes; i++)
        EXPECT_NEW_INDEX(index_classes[i], "}", SAFE, NULL);
    EXPECT_NEW_INDEX("csubprocess\nPopen\n", "}", DANGEROUS, "subprocess.Popen");
    EXPECT_NEW_INDEX("cposix\nsystem\n", "}", DANGEROUS, "posix.system");
    EXPECT_NEW_INDEX("ccollections\nOrderedDict\n", "}", SUSPICIOUS,
                     "builds collections.OrderedDict, not a pandas Index class");
    /* a pandas class of another kind: the Series constructor with the pickle's arguments */
    EXPECT_NEW_INDEX("cpandas.core.series\nSeries\n", "}", SUSPICIOUS, "not a pandas Index class");
    EXPECT_NEW_INDEX("cpandas.core.indexes.base\nIndex\n", "N", SUSPICIOUS, "not a dict");
    /* the class computed by the pickle */
    EXPECT_NEW_INDEX("cbuiltins\ntype\nN\x85R", "}", SUSPICIOUS,
                     "builds the result of builtins.type, not a pandas Index class");
}

/* _new_DatetimeIndex calls cls._simple_new and _new_IntervalIndex cls.from_arrays: a
 * plain Index class is not theirs. */
TEST(datetime_and_interval_helpers_by_role) {
    EXPECT_NEW_DTI("cpandas.core.indexes.datetimes\nDatetimeIndex\n", SAFE, NULL);
    EXPECT_NEW_DTI("cpandas.core.indexes.base\nIndex\n", SUSPICIOUS, "not a pandas DatetimeIndex class");
    EXPECT_NEW_II("cpandas.core.indexes.interval\nIntervalIndex\n", SAFE, NULL);
    EXPECT_NEW_II("cnumpy\nrecarray\n", SUSPICIOUS, "not a pandas IntervalIndex class");
}

/* __pyx_unpickle_NDArrayBacked(cls, checksum, state) is Cython's helper of
 * pandas._libs.arrays; it builds the array classes of pandas.core.arrays (other modules:
 * S-20 alone would call them suspicious), pandas 2.x's NumpyExtensionArray among them,
 * and nothing else. */
TEST(ndarray_backed_helper_builds_pandas_arrays) {
    static const char *const arrays[] = {
        "cpandas.core.arrays.categorical\nCategorical\n", "cpandas.core.arrays.datetimes\nDatetimeArray\n",
        "cpandas.core.arrays.string_\nStringArray\n", "cpandas.core.arrays.numpy_\nNumpyExtensionArray\n",
        "cpandas.core.arrays.period\nPeriodArray\n"};
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++)
        EXPECT_NDAB(arrays[i], SAFE, NULL);
    EXPECT_NDAB("cpandas.core.frame\nDataFrame\n", SUSPICIOUS, "not a pandas array class backed by an ndarray");
    EXPECT_NDAB("cos\nsystem\n", DANGEROUS, "os.system");
}

/* NDArrayBacked.__setstate__ setattr()s the pairs of its state's third item, and Cython's
 * generated __set_state updates __dict__ from the item after its fields: a dunder key
 * there is S-22's attack (numpy then reads __array_interface__ as an address), whether
 * the state comes by BUILD or as the helper's third argument. */
TEST(array_states_with_dunder_keys) {
    pk p;
    size_t call;
    helper_call(&p, NDAB, "cpandas.core.arrays.categorical\nCategorical\n", CHECKSUM_NONE, 3, &call);
    put(&p, "NN}");
    size_t first_key = p.n;
    put_str(&p, "_freq");
    put(&p, "Ns\x87");
    size_t build = p.n;
    put(&p, "b.");
    expect_finding(&p, JLP_VERDICT_SAFE, "state", "pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked", 0, NULL);

    p.n = first_key; /* the same state with another key */
    put_str(&p, "__array_interface__");
    put(&p, "}s\x87");
    build = p.n;
    put(&p, "b.");
    /* the finding names what built the object */
    expect_finding(&p, JLP_VERDICT_DANGEROUS, "state", "pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked", build,
                   "__array_interface__");

    /* the same state as the helper's third argument */
    p.n = 0;
    put(&p, "\x80\x02" NDAB "cpandas.core.arrays.categorical\nCategorical\nJ\xb8\x56\x55\x0dNN}");
    put_str(&p, "__class__");
    put(&p, "cos\nsystem\ns\x87\x87");
    call = p.n;
    put(&p, "R.");
    expect_finding(&p, JLP_VERDICT_DANGEROUS, "state", "pandas.core.arrays.categorical", "Categorical", call,
                   "__class__");
}

/* A pickle of one call: PROTO 2, `head`, a BINUNICODE of attr (if any), `mid`, a
 * BINUNICODE of arg (if any), `tail` (closing the arguments), REDUCE at *call, STOP. */
static void one_call(pk *p, const char *head, const char *attr, const char *mid, const char *arg, const char *tail,
                     size_t *call) {
    p->n = 0;
    put(p, "\x80\x02");
    put(p, head);
    if (attr) put_str(p, attr);
    put(p, mid);
    if (arg) put_str(p, arg);
    put(p, tail);
    *call = p->n;
    put(p, "R.");
}

/* dateutil's time zones (pandas' "dateutil/..." zones) pickle as tzfile(None, filename),
 * which reads nothing; a first argument is a file tzfile opens and reads. */
TEST(dateutil_tzfile_reads_no_file) {
    pk p;
    size_t call;
    one_call(&p, "cdateutil.tz.tz\ntzfile\nN", NULL, "", "/usr/share/zoneinfo/Europe/Paris", "\x86", &call);
    expect_finding(&p, JLP_VERDICT_SAFE, "call", "dateutil.tz.tz", "tzfile", call, NULL);
    one_call(&p, "cdateutil.tz.tz\ntzfile\n", NULL, "", "/run/some.fifo", "N\x86", &call);
    expect_finding(&p, JLP_VERDICT_SUSPICIOUS, "call", "dateutil.tz.tz", "tzfile", call, "opens and reads");
}

/* Protocol 2 pickles a class's bound method as getattr(Class, 'name') (zoneinfo's time
 * zones: ZoneInfo._unpickle); calling what getattr returned is calling Class.name,
 * judged as that dotted name. Before, every such call was a suspicious "computed
 * callable", and a DataFrame holding a zoneinfo time zone was not safe. */
TEST(call_of_getattr_result_is_the_method) {
    pk p;
    size_t call;
    one_call(&p, "cbuiltins\ngetattr\nczoneinfo\nZoneInfo\n", "_unpickle", "\x86R", "America/New_York", "K\x01\x86",
             &call);
    expect_finding(&p, JLP_VERDICT_SAFE, "call", "zoneinfo", "ZoneInfo._unpickle", call, NULL);
    one_call(&p, "cbuiltins\ngetattr\ncpandas.core.frame\nDataFrame\n", "to_pickle", "\x86RN", "/tmp/x.pkl", "\x86",
             &call);
    expect_finding(&p, JLP_VERDICT_DANGEROUS, "call", "pandas.core.frame", "DataFrame.to_pickle", call, "writes");
    one_call(&p, "cbuiltins\ngetattr\nccollections\nOrderedDict\n", "no_such_method", "\x86R", NULL, ")", &call);
    expect_finding(&p, JLP_VERDICT_SUSPICIOUS, "call", "collections", "OrderedDict.no_such_method", call,
                   "not in the safe list");
}

/* Cython's __pyx_unpickle_IntervalMixin builds pandas' IntervalArray (another module's
 * class); a class that is no interval class is suspicious. */
TEST(interval_helper_builds_interval_classes) {
    EXPECT_IMX("cpandas.core.arrays.interval\nIntervalArray\n", SAFE, NULL);
    EXPECT_IMX("cpandas.core.frame\nDataFrame\n", SUSPICIOUS, "not a pandas interval class");
}
