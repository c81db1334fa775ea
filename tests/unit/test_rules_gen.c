/*
 * test_rules_gen.c - libjlpickle/scan/rules_gen.h, the generated safety rules, compiles
 * as the X-macro list the scan engine includes, keeps the form the engine relies on
 * (sorted by module then qualname in byte order, no repeats, short lower-case reasons
 * without a trailing period, "*" only as a whole qualname, no safe rule under a
 * dangerous "*" rule), and holds the verdicts that matter: the gadgets of scanner
 * bypasses are dangerous, the names real scikit-learn, numpy and scipy pickles use are
 * safe.
 */
#include "harness.h"

enum rule_verdict { SAFE, SUSPICIOUS, DANGEROUS };

typedef struct rule {
    enum rule_verdict verdict;
    const char *module, *qualname, *reason;
} rule;

static const rule rules[] = {
#define JLP_RULE(verdict, module, qualname, reason) {verdict, module, qualname, reason},
#include "../../libjlpickle/scan/rules_gen.h"
#undef JLP_RULE
};
static const size_t nrules = sizeof rules / sizeof rules[0];

static int rule_cmp(const char *m1, const char *q1, const char *m2, const char *q2) {
    int c = strcmp(m1, m2);
    return c ? c : strcmp(q1, q2);
}

/* Binary search, which only works because the list is sorted. */
static const rule *find(const char *module, const char *qualname) {
    size_t lo = 0, hi = nrules;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = rule_cmp(rules[mid].module, rules[mid].qualname, module, qualname);
        if (!c) return &rules[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* The "*" rule of module or of its closest ancestor package, as the engine matches it. */
static const rule *find_wild(const char *module) {
    char buf[256];
    size_t n = strlen(module);
    if (n >= sizeof buf) return NULL;
    memcpy(buf, module, n + 1);
    for (;;) {
        const rule *r = find(buf, "*");
        if (r) return r;
        char *dot = strrchr(buf, '.');
        if (!dot) return NULL;
        *dot = 0;
    }
}

#define CHECK_RULE(module, qualname, verdict_)                                      \
    do {                                                                            \
        const rule *r_ = find(module, qualname);                                    \
        if (!r_) TH_FAIL("no rule for %s:%s", module, qualname);                    \
        else if (r_->verdict != (verdict_))                                         \
            TH_FAIL("%s:%s is %d (%s), expected %d", module, qualname, (int)r_->verdict, \
                    r_->reason, (int)(verdict_));                                   \
    } while (0)

TEST(sorted_without_repeats) {
    CHECK(nrules > 1000);
    for (size_t i = 1; i < nrules; i++) {
        int c = rule_cmp(rules[i - 1].module, rules[i - 1].qualname, rules[i].module, rules[i].qualname);
        if (c >= 0)
            TH_FAIL("rule %zu (%s:%s) is not after rule %zu (%s:%s)", i, rules[i].module,
                    rules[i].qualname, i - 1, rules[i - 1].module, rules[i - 1].qualname);
    }
}

TEST(well_formed) {
    for (size_t i = 0; i < nrules; i++) {
        const rule *r = &rules[i];
        size_t rl = strlen(r->reason);
        if (!r->module[0] || !r->qualname[0]) TH_FAIL("rule %zu has an empty name", i);
        if (rl == 0 || rl > 160) TH_FAIL("%s:%s: reason of %zu bytes", r->module, r->qualname, rl);
        else if (r->reason[rl - 1] == '.' || (r->reason[0] >= 'A' && r->reason[0] <= 'Z'))
            TH_FAIL("%s:%s: reason '%s' is not lower-case without a trailing period", r->module,
                    r->qualname, r->reason);
        if (strchr(r->qualname, '*') && strcmp(r->qualname, "*"))
            TH_FAIL("%s:%s: '*' inside a qualname", r->module, r->qualname);
        if (!strcmp(r->qualname, "*") && r->verdict == SAFE)
            TH_FAIL("%s:*: a safe rule never covers a whole module", r->module);
        if (r->verdict == SAFE) {
            const rule *w = find_wild(r->module);
            if (w && w->verdict == DANGEROUS)
                TH_FAIL("%s:%s is safe under the dangerous %s:*", r->module, r->qualname, w->module);
        }
    }
}

/* Gadgets of scanner advisories and bypasses: each dangerous by an exact
 * rule of the walk (or, where noted, its module's rule). */
TEST(gadgets_are_dangerous) {
    CHECK_RULE("uuid", "_get_command_stdout", DANGEROUS);
    CHECK_RULE("uuid", "_netstat_getnode", DANGEROUS); /* constant arguments: a reviewed seed */
    CHECK_RULE("uuid", "getnode", DANGEROUS);
    CHECK_RULE("logging.config", "dictConfig", DANGEROUS);
    CHECK_RULE("logging.config", "fileConfig", DANGEROUS);
    CHECK_RULE("logging", "FileHandler", DANGEROUS);
    CHECK_RULE("joblib.numpy_pickle_compat", "load_compatibility", DANGEROUS);
    CHECK_RULE("joblib", "load", DANGEROUS);
    CHECK_RULE("numpy", "save", DANGEROUS);
    CHECK_RULE("numpy", "savetxt", DANGEROUS);
    CHECK_RULE("numpy", "ndarray.tofile", DANGEROUS);
    CHECK_RULE("numpy", "memmap", DANGEROUS);
    CHECK_RULE("numpy.core.memmap", "memmap", DANGEROUS);
    CHECK_RULE("pydoc", "*", DANGEROUS);
    CHECK_RULE("timeit", "*", DANGEROUS);
    CHECK_RULE("cProfile", "*", DANGEROUS);
    CHECK_RULE("bdb", "*", DANGEROUS);
    CHECK_RULE("code", "*", DANGEROUS);
    CHECK_RULE("_osx_support", "*", DANGEROUS);
    CHECK_RULE("_frozen_importlib", "*", DANGEROUS);
    CHECK_RULE("_imp", "*", DANGEROUS);
    CHECK_RULE("joblib.externals", "*", DANGEROUS);
    CHECK_RULE("sklearn.utils._testing", "*", DANGEROUS);
    CHECK_RULE("builtins", "eval", DANGEROUS);
    CHECK_RULE("builtins", "exec", DANGEROUS);
    CHECK_RULE("builtins", "__import__", DANGEROUS);
    CHECK_RULE("builtins", "getattr", DANGEROUS);
    CHECK_RULE("os", "*", DANGEROUS);
    CHECK_RULE("subprocess", "*", DANGEROUS);
    /* sympy's sympify (eval) reached through a scipy module that imports it */
    CHECK_RULE("scipy.special._precompute.wright_bessel", "S", DANGEROUS);
    /* a scipy distribution execs its pickled _parse_arg_template when restored */
    CHECK_RULE("scipy.stats._continuous_distns", "reciprocal_gen", DANGEROUS);
    /* a __main__ module runs its program when imported */
    CHECK_RULE("unittest.__main__", "*", DANGEROUS);
}

/* Names that real pickles of scikit-learn, numpy and scipy objects use. */
TEST(real_model_names_are_safe) {
    CHECK_RULE("sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
               "HistGradientBoostingClassifier", SAFE);
    CHECK_RULE("sklearn.neighbors._kd_tree", "KDTree", SAFE);
    CHECK_RULE("sklearn.neighbors._kd_tree", "newObj", SAFE);
    CHECK_RULE("sklearn.model_selection._search", "GridSearchCV", SAFE);
    CHECK_RULE("sklearn.preprocessing._function_transformer", "FunctionTransformer", SAFE);
    CHECK_RULE("sklearn.tree._tree", "Tree", SAFE);
    CHECK_RULE("numpy.core._multiarray_umath", "log1p", SAFE);
    CHECK_RULE("numpy.core.multiarray", "_reconstruct", SAFE);
    CHECK_RULE("numpy.core.multiarray", "scalar", SAFE);
    CHECK_RULE("numpy", "dtype", SAFE);
    CHECK_RULE("numpy", "ndarray", SAFE);
    CHECK_RULE("numpy.random._pickle", "__randomstate_ctor", SAFE);
    CHECK_RULE("joblib.numpy_pickle", "NumpyArrayWrapper", SAFE);
    CHECK_RULE("scipy.sparse._csr", "csr_matrix", SAFE);
    CHECK_RULE("copyreg", "_reconstructor", SAFE);
    CHECK_RULE("_codecs", "encode", SAFE);
    CHECK_RULE("builtins", "set", SAFE);
    CHECK_RULE("collections", "OrderedDict", SAFE);
}

/* PyTorch checkpoints (rulegen/torch_rules.py, reviewed): what torch.save writes for
 * tensors, parameters and whole models is safe, sparse tensors (indices checked only by
 * torch.load) stay suspicious, and torch functions that run code, load other files or
 * write them are dangerous. */
TEST(torch_rules) {
    CHECK_RULE("torch._utils", "_rebuild_tensor_v2", SAFE);
    CHECK_RULE("torch._utils", "_rebuild_parameter", SAFE);
    CHECK_RULE("torch", "FloatStorage", SAFE);
    CHECK_RULE("torch", "Size", SAFE);
    CHECK_RULE("torch", "float32", SAFE);
    CHECK_RULE("torch.nn.modules.linear", "Linear", SAFE);
    CHECK_RULE("torch.nn.modules.rnn", "LSTM", SAFE);
    CHECK_RULE("torch._utils", "_rebuild_sparse_tensor", SUSPICIOUS);
    CHECK_RULE("torch.fx.graph_module", "reduce_graph_module", DANGEROUS);
    CHECK_RULE("torch.jit", "load", DANGEROUS);
    CHECK_RULE("torch", "save", DANGEROUS);
    CHECK_RULE("torch", "load", DANGEROUS);
    CHECK_RULE("torch.storage", "_load_from_bytes", DANGEROUS);
    CHECK(find("torch", "from_file") && find("torch", "from_file")->verdict == DANGEROUS);
}

/* pandas (walked, and harvested from real pandas objects: rulegen/pandas_objects.py): what
 * DataFrames, Series, indexes, time zones and extension arrays pickle to is safe; pandas'
 * readers, writers and expression evaluators are dangerous, found by the walk (eval
 * reaches sys._getframe, read_csv and to_pickle open files) or seeded (read_pickle, and
 * DataFrame.query, which the walk does not follow through self.eval). */
TEST(pandas_rules) {
    CHECK_RULE("pandas.core.frame", "DataFrame", SAFE);
    CHECK_RULE("pandas.core.series", "Series", SAFE);
    CHECK_RULE("pandas.core.internals.managers", "BlockManager", SAFE);
    CHECK_RULE("pandas._libs.internals", "_unpickle_block", SAFE);
    CHECK_RULE("pandas.core.indexes.base", "_new_Index", SAFE);
    CHECK_RULE("pandas.core.indexes.range", "RangeIndex", SAFE);
    CHECK_RULE("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked", SAFE);
    CHECK_RULE("pandas.core.arrays.numpy_", "NumpyExtensionArray", SAFE);
    CHECK_RULE("pandas._libs.tslibs.timestamps", "_unpickle_timestamp", SAFE);
    CHECK_RULE("pandas._libs.missing", "NA", SAFE);
    CHECK_RULE("pytz", "_p", SAFE);
    CHECK_RULE("zoneinfo", "ZoneInfo._unpickle", SAFE);
    CHECK_RULE("pandas", "read_pickle", DANGEROUS);
    CHECK_RULE("pandas", "read_csv", DANGEROUS);
    CHECK_RULE("pandas", "eval", DANGEROUS);
    CHECK_RULE("pandas.core.frame", "DataFrame.eval", DANGEROUS);
    CHECK_RULE("pandas.core.frame", "DataFrame.query", DANGEROUS);
    CHECK_RULE("pandas.core.frame", "DataFrame.to_pickle", DANGEROUS);
    CHECK_RULE("numexpr", "evaluate", DANGEROUS);
    CHECK(find("pandas", "*") == NULL); /* pandas' import is no effect (seeds.PREWARM) */
}
