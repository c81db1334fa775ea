/*
 * sklearn_predict.c - predict in C with scikit-learn models trained in Python.
 *
 *     sklearn_predict MODEL.joblib X.npy
 *
 * MODEL.joblib is what joblib.dump() wrote for one of: DecisionTree, RandomForest,
 * ExtraTrees and GradientBoosting (Classifier and Regressor), LogisticRegression,
 * LinearRegression, Ridge, or a Pipeline of StandardScalers ending in one of those.
 * X.npy holds the samples (numpy.save of an (n, n_features) array of any real dtype).
 * One line per sample: for a classifier its label and the class probabilities, for a
 * regressor its prediction, as predict() and predict_proba() give them (scikit-learn
 * 1.2). Build (after `make`):
 *
 *     cc -Ilibjlpickle examples/sklearn_predict.c build/libjlpickle.a \
 *        -lz -lbz2 -llzma -llz4 -lzstd -lm -o sklearn_predict
 *
 * Nothing in the model file is executed: the library reads the pickle into inert
 * values, and this program reads the fitted attributes it needs by path
 * (jlp_at(model, "/tree_/nodes", ...)), as checked numbers (jlp_as_int64) and as typed
 * arrays (jlp_array_as, and jlp_array_field for a tree's node records). A file from a
 * stranger can still describe a broken model, so the tree nodes are checked before use.
 */
#include <jlpickle.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jlp_error err; /* the last failure, reported by main */

/* The class name of a fitted estimator ("RandomForestClassifier"), "" for others. */
static const char *class_of(const jlp_val *est) {
    const char *name = jlp_global_name(jlp_obj_callable(est), NULL);
    return name ? name : "";
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* An attribute as `n` doubles (a float64 view: zero-copy when the file holds exactly
 * that). NULL when it is missing, not numeric or of another size. */
static const double *doubles(const jlp_val *est, const char *path, uint64_t n) {
    jlp_view v = JLP_VIEW_INIT;
    if (jlp_array_as(jlp_at(est, path, &err), JLP_F64, 0, &v, &err) != JLP_OK) return NULL;
    if (v.count != n) {
        snprintf(err.msg, sizeof err.msg, "%s has %llu values, %llu expected", path, (unsigned long long)v.count,
                 (unsigned long long)n);
        return NULL;
    }
    return v.data;
}

/* ---- decision trees -------------------------------------------------------------- */

typedef struct tree {
    const int64_t *left, *right, *feature;
    const double *threshold;
    const double *value;  /* node_count x n_outputs x max_n_classes */
    uint64_t stride;      /* values per node */
} tree;

/* A fitted tree (the tree_ of an estimator), its node records read by field name. */
static int tree_load(const jlp_val *est, uint64_t n_features, tree *t) {
    const jlp_val *nodes = jlp_at(est, "/tree_/nodes", &err);
    jlp_view left = JLP_VIEW_INIT, right = JLP_VIEW_INIT, feature = JLP_VIEW_INIT, threshold = JLP_VIEW_INIT,
             value = JLP_VIEW_INIT;
    if (!nodes || jlp_array_field(nodes, "left_child", JLP_I64, 0, &left, &err) ||
        jlp_array_field(nodes, "right_child", JLP_I64, 0, &right, &err) ||
        jlp_array_field(nodes, "feature", JLP_I64, 0, &feature, &err) ||
        jlp_array_field(nodes, "threshold", JLP_F64, 0, &threshold, &err) ||
        jlp_array_as(jlp_at(est, "/tree_/values", &err), JLP_F64, 0, &value, &err))
        return -1;
    uint64_t n = left.count;
    if (!n || value.ndim != 3 || value.shape[0] != n) {
        snprintf(err.msg, sizeof err.msg, "tree_: %llu nodes and values of another shape", (unsigned long long)n);
        return -1;
    }
    t->left = left.data;
    t->right = right.data;
    t->feature = feature.data;
    t->threshold = threshold.data;
    t->value = value.data;
    t->stride = value.shape[1] * value.shape[2];
    /* scikit-learn numbers children after their parent: checking that keeps every walk
     * inside the tree and finite */
    for (uint64_t i = 0; i < n; i++) {
        int leaf = t->left[i] == -1;
        if (!leaf && (t->left[i] <= (int64_t)i || t->right[i] <= (int64_t)i || t->left[i] >= (int64_t)n ||
                      t->right[i] >= (int64_t)n || t->feature[i] < 0 || t->feature[i] >= (int64_t)n_features)) {
            snprintf(err.msg, sizeof err.msg, "tree_: node %llu is malformed", (unsigned long long)i);
            return -1;
        }
    }
    return 0;
}

/* The values of the leaf a sample falls in. Trees compare float32 features, as
 * scikit-learn converts X to float32 before walking them. */
static const double *tree_leaf(const tree *t, const double *x) {
    int64_t node = 0;
    while (t->left[node] != -1)
        node = (double)(float)x[t->feature[node]] <= t->threshold[node] ? t->left[node] : t->right[node];
    return t->value + (uint64_t)node * t->stride;
}

/* ---- the estimators ------------------------------------------------------------------ */

typedef struct job {
    double *x;            /* n samples x d features, C order (a pipeline scales them) */
    uint64_t n, d;
    uint64_t k;           /* classes (classifiers), or 1 */
    double *out;          /* n x k: probabilities, or the prediction */
} job;

/* A tree's class probabilities: its leaf's class weights, normalised. */
static void tree_proba(const tree *t, const double *x, uint64_t k, double *p) {
    const double *v = tree_leaf(t, x);
    double sum = 0;
    for (uint64_t c = 0; c < k; c++) sum += v[c];
    if (sum == 0.0) sum = 1.0;
    for (uint64_t c = 0; c < k; c++) p[c] = v[c] / sum;
}

/* DecisionTree, RandomForest, ExtraTrees: the mean of the trees' probabilities (or
 * predictions), summed in order as scikit-learn does. */
static int forest(const jlp_val *model, const job *j, int classifier) {
    int single = ends_with(class_of(model), "TreeClassifier") || ends_with(class_of(model), "TreeRegressor");
    const jlp_val *trees = single ? NULL : jlp_at(model, "/estimators_", &err);
    size_t count = single ? 1 : jlp_len(trees);
    if (!count) return -1;
    double *p = malloc(j->k * sizeof *p);
    memset(j->out, 0, j->n * j->k * sizeof *j->out);
    for (size_t e = 0; e < count; e++) {
        tree t;
        if (tree_load(single ? model : jlp_item(trees, e), j->d, &t)) {
            free(p);
            return -1;
        }
        for (uint64_t i = 0; i < j->n; i++) {
            double *o = j->out + i * j->k;
            if (!classifier) {
                o[0] += tree_leaf(&t, j->x + i * j->d)[0];
                continue;
            }
            tree_proba(&t, j->x + i * j->d, j->k, p);
            for (uint64_t c = 0; c < j->k; c++) o[c] += p[c];
        }
    }
    for (uint64_t i = 0; i < j->n * j->k; i++) j->out[i] /= (double)count;
    free(p);
    return 0;
}

static double expit(double v) { return 1.0 / (1.0 + exp(-v)); }

/* GradientBoosting: the init estimator's raw prediction plus learning_rate times each
 * stage's tree (estimators_ is an object array of n_stages x K regression trees). */
static int boosting(const jlp_val *model, const job *j, int classifier) {
    uint64_t K = classifier && j->k > 2 ? j->k : 1;
    double lr;
    const jlp_val *stages = jlp_at(model, "/estimators_", &err);
    if (!stages || jlp_as_double(jlp_at(model, "/learning_rate", &err), &lr, &err)) return -1;
    if (classifier && strcmp(class_of(jlp_at(model, "/_loss", &err)), K == 1 ? "BinomialDeviance" : "MultinomialDeviance")) {
        snprintf(err.msg, sizeof err.msg, "only loss='log_loss' is supported");
        return -1;
    }
    /* the init estimator's raw prediction: the log-odds or log-priors of a
     * DummyClassifier (clipped as scikit-learn clips them), the mean of a
     * DummyRegressor, or zero */
    double raw0[64] = {0};
    const jlp_val *init = jlp_at(model, "/init_", &err);
    if (K > 64) return -1;
    if (!jlp_str_eq(init, "zero")) {
        const double *prior = doubles(init, classifier ? "/class_prior_" : "/constant_", classifier ? j->k : 1);
        if (!prior) return -1;
        const double eps = 1.1920928955078125e-07; /* numpy.finfo(numpy.float32).eps */
        if (!classifier) {
            raw0[0] = prior[0];
        } else if (K == 1) {
            double q = fmin(fmax(prior[1], eps), 1 - eps);
            raw0[0] = log(q / (1 - q));
        } else {
            for (uint64_t c = 0; c < K; c++) raw0[c] = log(fmin(fmax(prior[c], eps), 1 - eps));
        }
    }
    size_t n_stages = jlp_len(stages) / K;
    double *raw = j->out; /* n x K raw predictions, turned into probabilities below */
    double *tmp = malloc(j->n * K * sizeof *tmp);
    for (uint64_t i = 0; i < j->n; i++)
        for (uint64_t c = 0; c < K; c++) tmp[i * K + c] = raw0[c];
    for (size_t s = 0; s < n_stages; s++) {
        for (uint64_t c = 0; c < K; c++) {
            tree t;
            if (tree_load(jlp_item(stages, s * K + c), j->d, &t)) {
                free(tmp);
                return -1;
            }
            for (uint64_t i = 0; i < j->n; i++) tmp[i * K + c] += lr * tree_leaf(&t, j->x + i * j->d)[0];
        }
    }
    for (uint64_t i = 0; i < j->n; i++) {
        const double *r = tmp + i * K;
        double *o = raw + i * j->k;
        if (!classifier) {
            o[0] = r[0];
        } else if (K == 1) {
            o[1] = expit(r[0]);
            o[0] = 1.0 - o[1];
        } else { /* softmax through scipy's logsumexp */
            double m = r[0], s = 0;
            for (uint64_t c = 1; c < K; c++) m = fmax(m, r[c]);
            for (uint64_t c = 0; c < K; c++) s += exp(r[c] - m);
            double lse = log(s) + m;
            for (uint64_t c = 0; c < K; c++) o[c] = exp(r[c] - lse);
        }
    }
    free(tmp);
    return 0;
}

/* LogisticRegression, LinearRegression, Ridge: X @ coef_.T + intercept_, then for a
 * logistic regression its probabilities (one-vs-rest or softmax, as it was fitted). */
static int linear(const jlp_val *model, const job *j, int classifier) {
    uint64_t rows = classifier && j->k == 2 ? 1 : j->k;
    const double *coef = doubles(model, "/coef_", rows * j->d);
    const jlp_val *b = jlp_at(model, "/intercept_", &err);
    double b0 = 0;
    const double *intercept = jlp_as_double(b, &b0, NULL) == JLP_OK ? &b0 : doubles(model, "/intercept_", rows);
    if (!coef || !intercept) return -1;
    /* multi_class "auto" means one-vs-rest for two classes and for liblinear */
    const char *mc = "", *solver = "";
    jlp_as_str(jlp_at(model, "/multi_class", &err), &mc, NULL, NULL);
    jlp_as_str(jlp_at(model, "/solver", &err), &solver, NULL, NULL);
    int ovr = !strcmp(mc, "ovr") || (!strcmp(mc, "auto") && (j->k <= 2 || !strcmp(solver, "liblinear") ||
                                                             !strcmp(solver, "newton-cholesky")));
    for (uint64_t i = 0; i < j->n; i++) {
        const double *x = j->x + i * j->d;
        double *o = j->out + i * j->k, z[64];
        if (rows > 64) return -1;
        for (uint64_t r = 0; r < rows; r++) {
            z[r] = 0;
            for (uint64_t f = 0; f < j->d; f++) z[r] += x[f] * coef[r * j->d + f];
            z[r] += intercept[rows == 1 ? 0 : r];
        }
        if (!classifier) {
            o[0] = z[0];
        } else if (rows == 1 && ovr) {
            o[1] = expit(z[0]);
            o[0] = 1 - o[1];
        } else if (rows == 1) { /* softmax of (-z, z) */
            double m = fabs(z[0]), e0 = exp(-z[0] - m), e1 = exp(z[0] - m);
            o[0] = e0 / (e0 + e1);
            o[1] = e1 / (e0 + e1);
        } else if (ovr) {
            double s = 0;
            for (uint64_t c = 0; c < rows; c++) s += (o[c] = expit(z[c]));
            for (uint64_t c = 0; c < rows; c++) o[c] /= s;
        } else {
            double m = z[0], s = 0;
            for (uint64_t c = 1; c < rows; c++) m = fmax(m, z[c]);
            for (uint64_t c = 0; c < rows; c++) s += (o[c] = exp(z[c] - m));
            for (uint64_t c = 0; c < rows; c++) o[c] /= s;
        }
    }
    return 0;
}

/* StandardScaler.transform, in place. */
static int scale(const jlp_val *scaler, job *j) {
    int with_mean = 1, with_std = 1;
    jlp_as_bool(jlp_at(scaler, "/with_mean", &err), &with_mean, NULL);
    jlp_as_bool(jlp_at(scaler, "/with_std", &err), &with_std, NULL);
    const double *mean = with_mean ? doubles(scaler, "/mean_", j->d) : NULL;
    const double *sd = with_std ? doubles(scaler, "/scale_", j->d) : NULL;
    if ((with_mean && !mean) || (with_std && !sd)) return -1;
    for (uint64_t i = 0; i < j->n * j->d; i++) {
        if (mean) j->x[i] -= mean[i % j->d];
        if (sd) j->x[i] /= sd[i % j->d];
    }
    return 0;
}

/* ---- main ---------------------------------------------------------------------------- */

/* Print class `c` of classes_: ints, floats or strings (a numpy str array, or str in an
 * object array). */
static void print_label(const jlp_val *classes, uint64_t c) {
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    jlp_view v = JLP_VIEW_INIT;
    char s[256];
    jlp_array_get(classes, &a);
    char kind = jlp_dtype_kind(a.dtype);
    if (kind == 'f' && !jlp_array_as(classes, JLP_F64, 0, &v, NULL)) printf("%.17g", ((const double *)v.data)[c]);
    else if (!jlp_array_as(classes, JLP_I64, 0, &v, NULL)) printf("%lld", (long long)((const int64_t *)v.data)[c]);
    else if (!jlp_array_str(classes, c, s, sizeof s, NULL, NULL)) printf("%s", s);
    else printf("?");
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: sklearn_predict MODEL.joblib X.npy\n");
        return 2;
    }
    jlp_doc *doc = jlp_load_path(argv[1], NULL, &err);
    jlp_doc *xdoc = doc ? jlp_load_npy_path(argv[2], NULL, &err) : NULL;
    if (!doc || !xdoc) {
        fprintf(stderr, "%s: %s: %s\n", argv[doc ? 2 : 1], jlp_error_name(err.code), err.msg);
        return 1;
    }
    /* the samples as float64 in C order (converted if X.npy holds another dtype) */
    jlp_view xv = JLP_VIEW_INIT;
    if (jlp_array_as(jlp_doc_root(xdoc), JLP_F64, 0, &xv, &err) || xv.ndim != 2) {
        fprintf(stderr, "%s: not a 2-d array of numbers (%s)\n", argv[2], err.msg);
        return 1;
    }
    job j = {malloc(xv.count * sizeof(double) + 1), xv.shape[0], xv.shape[1], 1, NULL};
    memcpy(j.x, xv.data, xv.count * sizeof(double)); /* a copy: a pipeline scales it */

    /* a Pipeline: its StandardScalers transform X, its last step predicts */
    const jlp_val *model = jlp_doc_root(doc);
    int rc = 0;
    if (!strcmp(class_of(model), "Pipeline")) {
        const jlp_val *steps = jlp_at(model, "/steps", &err);
        size_t n = jlp_len(steps);
        for (size_t s = 0; s + 1 < n && !rc; s++) {
            const jlp_val *step = jlp_item(jlp_item(steps, s), 1);
            if (!strcmp(class_of(step), "StandardScaler")) rc = scale(step, &j);
            else if (!jlp_str_eq(step, "passthrough") && jlp_get_type(step) != JLP_NONE) {
                snprintf(err.msg, sizeof err.msg, "pipeline step %zu is a %s", s, class_of(step));
                rc = -1;
            }
        }
        model = n ? jlp_item(jlp_item(steps, n - 1), 1) : NULL;
    }

    const char *cls = class_of(model);
    int classifier = ends_with(cls, "Classifier") || !strcmp(cls, "LogisticRegression");
    const jlp_val *classes = jlp_at(model, "/classes_", &err);
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    if (classifier) j.k = jlp_array_get(classes, &a) ? a.count : 0;
    j.out = calloc(j.n * j.k + 1, sizeof *j.out);
    if (rc) {
        /* a pipeline step we cannot apply */
    } else if (classifier && j.k < 2) {
        snprintf(err.msg, sizeof err.msg, "%s without classes_", cls);
        rc = -1;
    } else if (ends_with(cls, "TreeClassifier") || ends_with(cls, "ForestClassifier") || !strcmp(cls, "ExtraTreesClassifier")) {
        rc = forest(model, &j, 1);
    } else if (ends_with(cls, "TreeRegressor") || ends_with(cls, "ForestRegressor") || !strcmp(cls, "ExtraTreesRegressor")) {
        rc = forest(model, &j, 0);
    } else if (!strcmp(cls, "GradientBoostingClassifier") || !strcmp(cls, "GradientBoostingRegressor")) {
        rc = boosting(model, &j, classifier);
    } else if (!strcmp(cls, "LogisticRegression") || !strcmp(cls, "LinearRegression") || !strcmp(cls, "Ridge")) {
        rc = linear(model, &j, classifier);
    } else {
        snprintf(err.msg, sizeof err.msg, "%s models are not supported", cls);
        rc = -1;
    }
    if (rc) {
        fprintf(stderr, "%s: %s\n", argv[1], err.msg);
        return 1;
    }
    for (uint64_t i = 0; i < j.n; i++) {
        const double *o = j.out + i * j.k;
        if (!classifier) {
            printf("%.17g\n", o[0]);
            continue;
        }
        uint64_t best = 0; /* argmax: the first of equal maxima */
        for (uint64_t c = 1; c < j.k; c++)
            if (o[c] > o[best]) best = c;
        print_label(classes, best);
        for (uint64_t c = 0; c < j.k; c++) printf(" %.17g", o[c]);
        putchar('\n');
    }
    free(j.out);
    free(j.x);
    jlp_doc_free(xdoc);
    jlp_doc_free(doc);
    return 0;
}
