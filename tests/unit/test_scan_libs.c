/*
 * test_scan_libs.c - the rules for other libraries' models (libjlpickle/scan/
 * rules_libs_gen.h, written by gen_libs_rules.py: xgboost, statsmodels, imbalanced-learn,
 * networkx, scikit-image, nltk, gensim, astropy): the table keeps the form the engine
 * relies on and agrees with rules_gen.h, the names real models of these libraries use
 * are safe, their gadgets (functions that unpickle or load files) are dangerous, and a
 * newly safe class given a dangerous argument or state is still dangerous. Inputs are
 * hand-assembled protocol 2 opcodes in the shapes these libraries' pickles have.
 */
#include "harness.h"
#include "jlpickle_scan.h"

enum rule_verdict { SAFE, SUSPICIOUS, DANGEROUS };

typedef struct rule {
    enum rule_verdict verdict;
    const char *module, *qualname, *reason;
} rule;

#define JLP_RULE(verdict, module, qualname, reason) {verdict, module, qualname, reason},
static const rule libs[] = {
#include "../../libjlpickle/scan/rules_libs_gen.h"
};
static const rule gen[] = {
#include "../../libjlpickle/scan/rules_gen.h"
};
#undef JLP_RULE
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int rule_cmp(const char *m1, const char *q1, const char *m2, const char *q2) {
    int c = strcmp(m1, m2);
    return c ? c : strcmp(q1, q2);
}

static const rule *find_in(const rule *t, size_t n, const char *module, const char *qualname) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = rule_cmp(t[mid].module, t[mid].qualname, module, qualname);
        if (!c) return &t[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* The dangerous "*" rule of either table over module or one of its packages. */
static const rule *dangerous_wild(const char *module) {
    char m[256];
    snprintf(m, sizeof m, "%s", module);
    for (;;) {
        const rule *w = find_in(libs, COUNT(libs), m, "*");
        if (!w || w->verdict != DANGEROUS) w = find_in(gen, COUNT(gen), m, "*");
        if (w && w->verdict == DANGEROUS) return w;
        char *dot = strrchr(m, '.');
        if (!dot) return NULL;
        *dot = 0;
    }
}

TEST(table_form) {
    CHECK(COUNT(libs) > 100);
    for (size_t i = 0; i < COUNT(libs); i++) {
        const rule *r = &libs[i];
        if (i && rule_cmp(libs[i - 1].module, libs[i - 1].qualname, r->module, r->qualname) >= 0)
            TH_FAIL("rule %zu (%s:%s) is not after (%s:%s)", i, r->module, r->qualname, libs[i - 1].module,
                    libs[i - 1].qualname);
        size_t rl = strlen(r->reason);
        if (!r->module[0] || !r->qualname[0]) TH_FAIL("rule %zu has an empty name", i);
        if (rl == 0 || rl > 160 || r->reason[rl - 1] == '.' || (r->reason[0] >= 'A' && r->reason[0] <= 'Z'))
            TH_FAIL("%s:%s: reason '%s'", r->module, r->qualname, r->reason);
        if (strlen(r->module) >= 128 || strlen(r->qualname) >= 128)
            TH_FAIL("%s:%s: 128 bytes or longer", r->module, r->qualname);
        if (strchr(r->qualname, '*') && strcmp(r->qualname, "*"))
            TH_FAIL("%s:%s: '*' inside a qualname", r->module, r->qualname);
        if (r->verdict == SAFE && !strcmp(r->qualname, "*")) TH_FAIL("%s:* is a safe wildcard", r->module);
        if (r->verdict == SAFE && dangerous_wild(r->module))
            TH_FAIL("%s:%s is safe under a dangerous wildcard", r->module, r->qualname);
        /* the table adds to rules_gen.h, never contradicts it */
        const rule *g = find_in(gen, COUNT(gen), r->module, r->qualname);
        if (g) TH_FAIL("%s:%s is in both tables", r->module, r->qualname);
    }
}

static jlp_verdict judge(const char *m, const char *n) {
    char why[256];
    return jlp_policy_judge(NULL, m, strlen(m), n, strlen(n), why, sizeof why);
}

#define CHECK_JUDGED(m, n, want) CHECK_STR(jlp_verdict_name(judge(m, n)), jlp_verdict_name(JLP_VERDICT_##want))

/* What the engine says of the names the libraries' real pickles use (before the table,
 * every one of them was suspicious: not in the safe list), and of their gadgets. */
TEST(names_by_the_table) {
    CHECK_JUDGED("xgboost.sklearn", "XGBClassifier", SAFE);
    CHECK_JUDGED("statsmodels.regression.linear_model", "OLSResults", SAFE);
    CHECK_JUDGED("statsmodels.regression.linear_model", "RegressionResultsWrapper", SAFE);
    CHECK_JUDGED("statsmodels.genmod.generalized_linear_model", "GLMResults", SAFE);
    CHECK_JUDGED("imblearn.pipeline", "Pipeline", SAFE);
    CHECK_JUDGED("imblearn.over_sampling._smote.base", "SMOTE", SAFE);
    CHECK_JUDGED("networkx.classes.graph", "Graph", SAFE);
    CHECK_JUDGED("networkx.classes.multidigraph", "MultiDiGraph", SAFE);
    CHECK_JUDGED("skimage.transform._geometric", "AffineTransform", SAFE);
    CHECK_JUDGED("nltk.probability", "FreqDist", SAFE);
    CHECK_JUDGED("nltk.tree.tree", "Tree", SAFE);
    CHECK_JUDGED("gensim.corpora.dictionary", "Dictionary", SAFE);
    CHECK_JUDGED("astropy.units.quantity", "Quantity", SAFE);
    CHECK_JUDGED("astropy.time.core", "Time", SAFE);
    CHECK_JUDGED("re", "RegexFlag.DOTALL", SAFE);
    /* gadgets: they unpickle a file, or read one */
    CHECK_JUDGED("nltk.data", "load", DANGEROUS);
    CHECK_JUDGED("gensim.utils", "unpickle", DANGEROUS);
    CHECK_JUDGED("networkx.readwrite.gpickle", "read_gpickle", DANGEROUS);
    CHECK_JUDGED("networkx", "write_graphml", DANGEROUS); /* networkx's open_file decorator */
    CHECK_JUDGED("xgboost.core", "Booster", SAFE);        /* by name; its calls: S-40 */
    CHECK_JUDGED("statsmodels.iolib.smpickle", "load_pickle", DANGEROUS);
    /* WCS(header) opens a file when the header is a path: it stays flagged */
    CHECK_JUDGED("astropy.wcs.wcs", "WCS", DANGEROUS);
    CHECK_JUDGED("astropy.wcs.wcs", "__WCS_unpickle__", DANGEROUS);
    /* a test suite is not walked: suspicious by default */
    CHECK_JUDGED("networkx.tests.test_all_random_functions", "run_all_random_functions", SUSPICIOUS);
}

/* ---- scans ------------------------------------------------------------------------------- */

typedef struct {
    char b[1024];
    size_t n;
} pk;

static void put(pk *p, const char *s, size_t l) {
    if (p->n + l > sizeof p->b) TH_FAIL("pickle too long");
    else {
        memcpy(p->b + p->n, s, l);
        p->n += l;
    }
}
#define PUT(p, lit) put(p, lit, sizeof lit - 1)

/* SHORT_BINUNICODE of s. */
static void put_str(pk *p, const char *s) {
    size_t l = strlen(s);
    char h[2] = {'\x8c', (char)l};
    put(p, h, 2);
    put(p, s, l);
}

static jlp_verdict verdict_of(const pk *p, char *why, size_t cap) {
    jlp_error e;
    jlp_scan_report *r = jlp_scan_mem(p->b, p->n, NULL, &e);
    if (!r) {
        TH_FAIL("jlp_scan_mem failed: %s: %s", jlp_error_name(e.code), e.msg);
        return JLP_VERDICT_SAFE;
    }
    jlp_verdict v = jlp_report_verdict(r);
    /* "module.name: reason; " of every finding of the file's verdict */
    size_t used = 0;
    why[0] = 0;
    for (size_t i = 0; i < jlp_report_count(r) && v != JLP_VERDICT_SAFE && used < cap; i++) {
        const jlp_finding *f = jlp_report_finding(r, i);
        if (f->verdict != v) continue;
        int k = snprintf(why + used, cap - used, "%.*s.%.*s: %s; ", (int)f->module_len, f->module,
                         (int)f->name_len, f->name, f->reason);
        if (k < 0) break;
        used += (size_t)k;
    }
    jlp_report_free(r);
    return v;
}

static void expect(const pk *p, jlp_verdict want, const char *reason_part) {
    char why[512];
    jlp_verdict got = verdict_of(p, why, sizeof why);
    CHECK_STR(jlp_verdict_name(got), jlp_verdict_name(want));
    if (reason_part && !strstr(why, reason_part)) TH_FAIL("reason: %s", why);
}

#define GRAPH "cnetworkx.classes.graph\nGraph\n"

/* A networkx Graph as pickle writes it (NEWOBJ of no arguments, BUILD of its __dict__)
 * is safe; the same state with a __class__ key, or with a value os.system computes, is
 * dangerous; the class given data os.system computes too. */
TEST(networkx_graph_state) {
    pk p = {.n = 0};
    PUT(&p, "\x80\x02" GRAPH ")\x81}(");
    put_str(&p, "graph");
    PUT(&p, "}");
    put_str(&p, "_node");
    PUT(&p, "}");
    put_str(&p, "_adj");
    PUT(&p, "}");
    size_t end = p.n;
    PUT(&p, "ub.");
    expect(&p, JLP_VERDICT_SAFE, NULL);

    p.n = end;
    put_str(&p, "__class__");
    PUT(&p, "csubprocess\nPopen\nub.");
    expect(&p, JLP_VERDICT_DANGEROUS, NULL);

    p.n = end;
    put_str(&p, "name");
    PUT(&p, "cos\nsystem\n");
    put_str(&p, "id");
    PUT(&p, "\x85Rub.");
    expect(&p, JLP_VERDICT_DANGEROUS, "os.system");

    p.n = 0;
    PUT(&p, "\x80\x02" GRAPH "cposix\nsystem\n");
    put_str(&p, "id");
    PUT(&p, "\x85R\x85R.");
    expect(&p, JLP_VERDICT_DANGEROUS, "posix.system");
}

#define UNIT_BUILDER "castropy.units.core\n_recreate_irreducible_unit\n"

/* astropy's _recreate_irreducible_unit(cls, names, registered) returns the registry's
 * unit or calls cls(names): with astropy's IrreducibleUnit it is what astropy pickles
 * (safe); given subprocess.Popen and an argv it runs a program (dangerous); given a class
 * outside the safe list, suspicious. */
TEST(astropy_unit_builder) {
    pk p = {.n = 0};
    PUT(&p, "\x80\x02" UNIT_BUILDER "castropy.units.core\nIrreducibleUnit\n]");
    put_str(&p, "m");
    PUT(&p, "a\x88\x87R.");
    expect(&p, JLP_VERDICT_SAFE, NULL);

    p.n = 0;
    PUT(&p, "\x80\x02" UNIT_BUILDER "csubprocess\nPopen\n](");
    put_str(&p, "sh");
    put_str(&p, "-c");
    put_str(&p, "id");
    PUT(&p, "e\x89\x87R.");
    expect(&p, JLP_VERDICT_DANGEROUS, "subprocess.Popen");

    p.n = 0;
    PUT(&p, "\x80\x02" UNIT_BUILDER "cnot_a_module\nMaker\n]");
    put_str(&p, "m");
    PUT(&p, "a\x88\x87R.");
    expect(&p, JLP_VERDICT_SUSPICIOUS, NULL);
}

/* A statsmodels results object (NEWOBJ, BUILD of its __dict__) with its parameters
 * computed by os.system; and nltk.data.load of a path. */
TEST(statsmodels_state_and_nltk_load) {
    pk p = {.n = 0};
    PUT(&p, "\x80\x02" "cstatsmodels.regression.linear_model\nOLSResults\n)\x81}");
    put_str(&p, "params");
    PUT(&p, "N");
    size_t value = p.n - 1;
    PUT(&p, "sb.");
    expect(&p, JLP_VERDICT_SAFE, NULL);
    p.n = value;
    PUT(&p, "cos\nsystem\n");
    put_str(&p, "id");
    PUT(&p, "\x85Rsb.");
    expect(&p, JLP_VERDICT_DANGEROUS, "os.system");

    p.n = 0;
    PUT(&p, "\x80\x02" "cnltk.data\nload\n");
    put_str(&p, "file:/tmp/x.pickle");
    PUT(&p, "\x85R.");
    expect(&p, JLP_VERDICT_DANGEROUS, NULL);
}

#define BOOSTER "cxgboost.core\nBooster\n"

/* xgboost's Booster as its pickles build it (NEWOBJ of (), BUILD of a state whose
 * handle is the model's bytes) is safe; called by REDUCE with a model file it loads it in
 * native code, which the walk cannot follow: suspicious (S-40); with no arguments safe. */
TEST(xgboost_booster_built_without_arguments) {
    pk p = {.n = 0};
    PUT(&p, "\x80\x02" BOOSTER ")\x81}");
    put_str(&p, "handle");
    PUT(&p, "N");
    PUT(&p, "sb.");
    expect(&p, JLP_VERDICT_SAFE, NULL);

    p.n = 0;
    PUT(&p, "\x80\x02" BOOSTER "NN");
    put_str(&p, "/etc/passwd");
    PUT(&p, "\x87R.");
    expect(&p, JLP_VERDICT_SUSPICIOUS, "Booster called with arguments");

    p.n = 0;
    PUT(&p, "\x80\x02" BOOSTER ")R.");
    expect(&p, JLP_VERDICT_SAFE, NULL);

    /* NEWOBJ with arguments runs object.__new__ only */
    p.n = 0;
    PUT(&p, "\x80\x02" BOOSTER "N\x85\x81.");
    expect(&p, JLP_VERDICT_SAFE, NULL);
}

/* ---- ndarray subclasses that keep their own state beside ndarray's (S-40) -------------- */

#define F8 "cnumpy\ndtype\nX\x02\x00\x00\x00" "f8\x89\x88\x87R(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
#define ND_STATE "(K\x01K\x02\x85" F8 "\x89" "C\x10\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@t"

/* _reconstruct(cls, (0,), b'b') as numpy pickles an array of class cls; the caller adds
 * its state and BUILD. */
static void reconstruct(pk *p, const char *cls) {
    p->n = 0;
    PUT(p, "\x80\x02" "cnumpy.core.multiarray\n_reconstruct\n");
    put(p, cls, strlen(cls));
    PUT(p, "K\x00\x85" "C\x01" "b\x87R");
}

/* The array a pickle holds: its item count, and the first item as a double. */
static void expect_array(const pk *p, uint64_t count, double first) {
    jlp_error e;
    jlp_doc *d = jlp_load_mem(p->b, p->n, NULL, NULL, &e);
    if (!d) {
        TH_FAIL("load failed: %s: %s", jlp_error_name(e.code), e.msg);
        return;
    }
    jlp_array_info info = JLP_ARRAY_INFO_INIT;
    CHECK_INT(jlp_array_get(jlp_doc_root(d), &info), 1);
    CHECK_INT(info.count, count);
    double x[2] = {0, 0};
    CHECK_INT(jlp_array_copy_native(jlp_doc_root(d), x, sizeof x, &e), JLP_OK);
    CHECK(x[0] == first);
    jlp_doc_free(d);
}

/* astropy's Quantity pickles (ndarray state, __dict__); before S-40 the reader refused
 * the pair ("ndarray state is not a 4- or 5-tuple") and a Quantity file was "invalid".
 * A dunder key in the dict is S-22's attack; numpy's own classes still refuse the pair,
 * as numpy does. */
TEST(quantity_state_pair) {
    pk p;
    reconstruct(&p, "castropy.units.quantity\nQuantity\n");
    PUT(&p, ND_STATE "}");
    size_t key = p.n;
    /* the dict: "}" key value SETITEM; then TUPLE2 of (state, dict) and BUILD */
    put_str(&p, "_unit");
    PUT(&p, "Ns\x86" "b.");
    expect(&p, JLP_VERDICT_SAFE, NULL);
    expect_array(&p, 2, 1.0);

    p.n = key;
    put_str(&p, "__array_interface__");
    PUT(&p, "}s\x86" "b.");
    expect(&p, JLP_VERDICT_DANGEROUS, "__array_interface__");

    reconstruct(&p, "cnumpy\nndarray\n");
    PUT(&p, ND_STATE "}\x86" "b.");
    jlp_error e;
    jlp_doc *d = jlp_load_mem(p.b, p.n, NULL, NULL, &e);
    CHECK(d == NULL);
    if (!d) CHECK_STR(jlp_error_name(e.code), "BAD_ARRAY");
    jlp_doc_free(d);
}

/* astropy's Column pickles ndarray's 5-tuple with a tuple of its attributes after it. */
TEST(column_state_with_attributes) {
    pk p;
    reconstruct(&p, "castropy.table.column\nColumn\n");
    /* ND_STATE without its closing "t", one more item, then "t" */
    PUT(&p, ND_STATE);
    p.n--;
    PUT(&p, "(");
    put_str(&p, "a");
    PUT(&p, "NNN}]tt" "b.");
    expect(&p, JLP_VERDICT_SAFE, NULL);
    expect_array(&p, 2, 1.0);

    reconstruct(&p, "cnumpy\nndarray\n");
    PUT(&p, ND_STATE);
    p.n--;
    PUT(&p, ")tb.");
    jlp_error e;
    jlp_doc *d = jlp_load_mem(p.b, p.n, NULL, NULL, &e);
    CHECK(d == NULL);
    jlp_doc_free(d);
}
