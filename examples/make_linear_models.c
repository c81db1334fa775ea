/*
 * make_linear_models.c - build scikit-learn 1.2 linear models in C and save them as
 * joblib files that Python loads with joblib.load() and uses right away:
 *
 *     model = joblib.load("linear_regression.joblib")
 *     model.predict([[0.5, 1.0]])
 *
 * Build (from the source tree, after `make`):
 *
 *     cc -Ilibjlpickle examples/make_linear_models.c build/libjlpickle.a \
 *        -lz -lbz2 -llzma -llz4 -lzstd -lm -o make_linear_models
 *     ./make_linear_models OUTDIR [SKLEARN_VERSION]
 *
 * It writes OUTDIR/linear_regression.joblib, OUTDIR/logistic_binary.joblib and
 * OUTDIR/logistic_3class.joblib, and prints the predictions the models must give.
 *
 * How scikit-learn pickles an estimator
 * -------------------------------------
 * An estimator is an ordinary Python object: pickle writes its class as a global and
 * creates it with cls.__new__(cls) (the NEWOBJ opcode, no arguments), then passes
 * the dict returned by __getstate__() to BUILD, which sets every entry as an
 * attribute. That dict holds, in this order:
 *
 *   - the constructor's hyper-parameters (fit_intercept, C, penalty, ...), as plain
 *     Python values;
 *   - what fit() learnt: attributes whose names end in "_" (coef_, intercept_, ...),
 *     mostly numpy arrays whose dtype and shape predict() relies on;
 *   - "_sklearn_version": the version that pickled it. Loading under a different
 *     version warns ("Trying to unpickle estimator ... from version ..."), so pass
 *     yours (python3 -c 'import sklearn; print(sklearn.__version__)') as the second
 *     argument if it is not 1.2.1.
 *
 * With the builder API that is: jlp_new_global() for the class, jlp_new_dict() +
 * jlp_dict_set_str() for the state, jlp_new_object(doc, cls, NULL, state) for the
 * instance. jlp_dump_path() then writes protocol 4 with joblib's array layout, as
 * joblib.dump() does.
 *
 * The fitting below is deliberately plain (normal equations, gradient descent) and
 * only good for tiny well-conditioned problems; the point is the file layout.
 */
#include "jlpickle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define NFEAT 2

/* ---- the training data ---------------------------------------------------------- */

static const double REG_X[8][NFEAT] = {{0, 1}, {1, 3}, {2, 2}, {3, 5}, {4, 4}, {5, 7}, {6, 5}, {7, 8}};
static const double REG_Y[8] = {1.5, 0.5, 4.0, 2.5, 6.5, 4.0, 10.0, 8.0};

static const double BIN_X[10][NFEAT] = {{0, 0}, {1, 1}, {1, 0}, {2, 1}, {2, 3},
                                        {3, 2}, {3, 4}, {4, 3}, {1, 3}, {4, 1}};
static const long long BIN_Y[10] = {0, 0, 0, 1, 0, 1, 1, 1, 1, 0};

static const double MC_X[12][NFEAT] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {4, 0}, {5, 1},
                                       {4, 1}, {5, 0}, {2, 4}, {3, 5}, {2, 5}, {2, 2}};
/* class labels need not be 0..K-1: classes_ maps column k to its label */
static const long long MC_Y[12] = {10, 10, 10, 20, 20, 20, 20, 20, 30, 30, 30, 10};

/* Points whose predictions the program prints, for checking in Python. */
static const double TEST_X[4][NFEAT] = {{0.5, 1.0}, {2.5, 2.5}, {6.0, 3.0}, {-1.0, 4.0}};

/* ---- small helpers for the pickle side --------------------------------------------- */

static void die(const char *what, const jlp_error *err) {
    if (err && err->code != JLP_OK)
        fprintf(stderr, "make_linear_models: %s: %s (%s)\n", what, err->msg, jlp_error_name(err->code));
    else
        fprintf(stderr, "make_linear_models: %s failed\n", what);
    exit(1);
}

/* Set state[key] = v. The constructors return NULL when they fail (out of memory, bad
 * argument), so a NULL v is reported here, where the key gives context. */
static void put(jlp_doc *doc, jlp_val *state, const char *key, jlp_val *v) {
    if (!v || jlp_dict_set_str(doc, state, key, v) != JLP_OK) die(key, NULL);
}

/* A C-order numpy array from host values. "f8", "i8", "i4" without a byte order
 * character mean the host's order, which is how `data` is laid out. */
static jlp_val *array(jlp_doc *doc, const char *dtype, uint32_t ndim, const uint64_t *shape,
                      const void *data, size_t nbytes) {
    jlp_error err;
    jlp_val *dt = jlp_new_dtype(doc, dtype, &err);
    if (!dt) die(dtype, &err);
    jlp_val *a = jlp_new_array(doc, dt, ndim, shape, 'C', data, nbytes, JLP_COPY, &err);
    if (!a) die("jlp_new_array", &err);
    return a;
}

static jlp_val *f8_vector(jlp_doc *doc, const double *v, uint64_t n) {
    return array(doc, "f8", 1, &n, v, n * sizeof *v);
}

/* A numpy.float64 scalar (what a float64 array reduction returns). */
static jlp_val *f8_scalar(jlp_doc *doc, double x) {
    jlp_error err;
    jlp_val *dt = jlp_new_dtype(doc, "f8", &err);
    jlp_val *s = dt ? jlp_new_scalar(doc, dt, &x, &err) : NULL;
    if (!s) die("numpy.float64", &err);
    return s;
}

static void save(const jlp_val *model, const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    jlp_error err;
    /* Any value of a document can be written; NULL options mean protocol 4, joblib's
     * array wrappers, and the codec named by the extension (".joblib" names none, so
     * the file is uncompressed; "model.joblib.gz" would be gzip). The write is atomic:
     * a temporary file renamed over `path`. */
    if (jlp_dump_path(model, path, NULL, &err) != JLP_OK) die(path, &err);
    printf("wrote %s\n", path);
}

static void print_row(const char *what, const double *x, const double *v, int n) {
    printf("  %s([%.17g, %.17g]) = ", what, x[0], x[1]);
    if (n == 1) {
        printf("%.17g\n", v[0]);
        return;
    }
    printf("[");
    for (int k = 0; k < n; k++) printf("%s%.17g", k ? ", " : "", v[k]);
    printf("]\n");
}

/* ---- LinearRegression ------------------------------------------------------------------
 *
 * sklearn.linear_model._base.LinearRegression, fit on 1-d y, pickles this state:
 *
 *   fit_intercept     bool        True
 *   copy_X            bool        True
 *   n_jobs            None
 *   positive          bool        False
 *   n_features_in_    int         2
 *   coef_             ndarray     float64, shape (n_features,)
 *   rank_             int         rank of the centred X
 *   singular_         ndarray     float64, (n_features,): singular values of the
 *                                 centred X, largest first
 *   intercept_        numpy.float64 scalar (a 0-d result, not a Python float)
 *   _sklearn_version  str
 *
 * predict(X) = X @ coef_ + intercept_.
 */
static void linear_regression(const char *dir, const char *version) {
    const int n = 8;
    double mx[NFEAT] = {0}, my = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < NFEAT; j++) mx[j] += REG_X[i][j] / n;
        my += REG_Y[i] / n;
    }
    /* Normal equations on centred data: (Xc'Xc) w = Xc'yc, a 2x2 system. */
    double a = 0, b = 0, d = 0, r0 = 0, r1 = 0;
    for (int i = 0; i < n; i++) {
        double x0 = REG_X[i][0] - mx[0], x1 = REG_X[i][1] - mx[1], yc = REG_Y[i] - my;
        a += x0 * x0, b += x0 * x1, d += x1 * x1;
        r0 += x0 * yc, r1 += x1 * yc;
    }
    double det = a * d - b * b;
    if (fabs(det) < 1e-12 * (a * d)) {
        fprintf(stderr, "make_linear_models: the regression data is rank deficient\n");
        exit(1);
    }
    double coef[NFEAT] = {(d * r0 - b * r1) / det, (a * r1 - b * r0) / det};
    double intercept = my - (mx[0] * coef[0] + mx[1] * coef[1]);
    /* singular values of Xc = square roots of the eigenvalues of Xc'Xc [[a b][b d]] */
    double half_tr = (a + d) / 2, disc = sqrt((a - d) * (a - d) / 4 + b * b);
    double singular[NFEAT] = {sqrt(half_tr + disc), sqrt(half_tr - disc)};

    jlp_doc *doc = jlp_doc_new(NULL);
    if (!doc) die("jlp_doc_new", NULL);
    jlp_val *state = jlp_new_dict(doc);
    if (!state) die("jlp_new_dict", NULL);
    put(doc, state, "fit_intercept", jlp_new_bool(doc, 1));
    put(doc, state, "copy_X", jlp_new_bool(doc, 1));
    put(doc, state, "n_jobs", jlp_new_none(doc));
    put(doc, state, "positive", jlp_new_bool(doc, 0));
    put(doc, state, "n_features_in_", jlp_new_int(doc, NFEAT));
    put(doc, state, "coef_", f8_vector(doc, coef, NFEAT));
    put(doc, state, "rank_", jlp_new_int(doc, NFEAT));
    put(doc, state, "singular_", f8_vector(doc, singular, NFEAT));
    put(doc, state, "intercept_", f8_scalar(doc, intercept));
    put(doc, state, "_sklearn_version", jlp_new_strz(doc, version));

    jlp_val *cls = jlp_new_global(doc, "sklearn.linear_model._base", "LinearRegression");
    jlp_val *model = jlp_new_object(doc, cls, NULL, state);
    if (!model) die("LinearRegression object", NULL);
    save(model, dir, "linear_regression.joblib");
    jlp_doc_free(doc);

    for (int t = 0; t < 4; t++) {
        double y = TEST_X[t][0] * coef[0] + TEST_X[t][1] * coef[1] + intercept;
        print_row("predict", TEST_X[t], &y, 1);
    }
}

/* ---- LogisticRegression --------------------------------------------------------------
 *
 * sklearn.linear_model._logistic.LogisticRegression (default solver lbfgs) pickles:
 *
 *   penalty "l2", dual False, tol 0.0001, C 1.0, fit_intercept True,
 *   intercept_scaling 1, class_weight None, random_state None, solver "lbfgs",
 *   max_iter 100, multi_class "auto", verbose 0, warm_start False, n_jobs None,
 *   l1_ratio None                       hyper-parameters, in this order
 *   n_features_in_    int
 *   classes_          ndarray (n_classes,), the sorted labels (int64 here)
 *   n_iter_           ndarray int32, shape (1,)
 *   coef_             ndarray float64, (1, n_features) for two classes,
 *                     (n_classes, n_features) for more
 *   intercept_        ndarray float64, (1,) or (n_classes,)
 *   _sklearn_version  str
 *
 * Two classes: p(classes_[1]) = sigmoid(x . coef_[0] + intercept_[0]).
 * More (multi_class "auto" + lbfgs = multinomial): p = softmax(x @ coef_.T + intercept_).
 *
 * Fitting minimises the same objective as scikit-learn's lbfgs solver, the summed log
 * loss + ||coef||^2 / (2 C) (the intercept is not penalised), here by plain gradient
 * descent; n_iter_ records its iterations and max_iter its cap.
 */
#define MAXK 3
#define GD_MAX_ITER 200000

typedef struct {
    int k;                      /* rows of coef_: 1 (binary) or the number of classes */
    double w[MAXK][NFEAT], b[MAXK];
    int iters;
} logit;

/* Class probabilities of one point: nclass values. */
static void logit_proba(const logit *m, const double *x, double *p) {
    double z[MAXK], zmax = -INFINITY, s = 0;
    for (int c = 0; c < m->k; c++) {
        z[c] = m->b[c];
        for (int j = 0; j < NFEAT; j++) z[c] += m->w[c][j] * x[j];
    }
    if (m->k == 1) { /* binary: [1 - sigmoid(z), sigmoid(z)] */
        p[1] = 1 / (1 + exp(-z[0]));
        p[0] = 1 - p[1];
        return;
    }
    for (int c = 0; c < m->k; c++) zmax = z[c] > zmax ? z[c] : zmax;
    for (int c = 0; c < m->k; c++) s += (p[c] = exp(z[c] - zmax));
    for (int c = 0; c < m->k; c++) p[c] /= s;
}

/* y[i] is the class index 0..nclass-1 of row i. */
static logit logit_fit(const double (*x)[NFEAT], const int *y, int n, int nclass, double C) {
    logit m = {.k = nclass == 2 ? 1 : nclass};
    double lip = 0; /* a bound on the curvature, for a safe fixed step */
    for (int i = 0; i < n; i++) lip += 1 + x[i][0] * x[i][0] + x[i][1] * x[i][1];
    double step = 1 / (lip + 1 / C);
    for (m.iters = 1; m.iters <= GD_MAX_ITER; m.iters++) {
        double gw[MAXK][NFEAT] = {{0}}, gb[MAXK] = {0}, p[MAXK], gmax = 0;
        for (int i = 0; i < n; i++) {
            logit_proba(&m, x[i], p);
            for (int c = 0; c < m.k; c++) {
                /* d loss / d z_c = p_c - [y == c]; binary uses the class-1 column */
                int cls = m.k == 1 ? 1 : c;
                double r = p[cls] - (y[i] == cls);
                gb[c] += r;
                for (int j = 0; j < NFEAT; j++) gw[c][j] += r * x[i][j];
            }
        }
        for (int c = 0; c < m.k; c++) {
            for (int j = 0; j < NFEAT; j++) {
                gw[c][j] += m.w[c][j] / C;
                gmax = fmax(gmax, fabs(gw[c][j]));
                m.w[c][j] -= step * gw[c][j];
            }
            gmax = fmax(gmax, fabs(gb[c]));
            m.b[c] -= step * gb[c];
        }
        if (gmax < 1e-10) break;
    }
    return m;
}

static void logistic_regression(const char *dir, const char *version, const char *file,
                                const double (*x)[NFEAT], const long long *labels, int n) {
    /* classes_ = the sorted distinct labels; y = each row's index in classes_ */
    long long classes[MAXK];
    int nclass = 0, y[16];
    for (int i = 0; i < n; i++) {
        int c = 0;
        while (c < nclass && classes[c] != labels[i]) c++;
        if (c == nclass) {
            if (nclass == MAXK) die("too many classes", NULL);
            classes[nclass++] = labels[i];
        }
    }
    for (int i = 1; i < nclass; i++) /* insertion sort */
        for (int j = i; j > 0 && classes[j - 1] > classes[j]; j--) {
            long long t = classes[j];
            classes[j] = classes[j - 1];
            classes[j - 1] = t;
        }
    for (int i = 0; i < n; i++)
        for (y[i] = 0; classes[y[i]] != labels[i];) y[i]++;

    const double C = 1.0;
    logit m = logit_fit(x, y, n, nclass, C);

    jlp_doc *doc = jlp_doc_new(NULL);
    if (!doc) die("jlp_doc_new", NULL);
    jlp_val *state = jlp_new_dict(doc);
    if (!state) die("jlp_new_dict", NULL);
    put(doc, state, "penalty", jlp_new_strz(doc, "l2"));
    put(doc, state, "dual", jlp_new_bool(doc, 0));
    put(doc, state, "tol", jlp_new_float(doc, 1e-4));
    put(doc, state, "C", jlp_new_float(doc, C));
    put(doc, state, "fit_intercept", jlp_new_bool(doc, 1));
    put(doc, state, "intercept_scaling", jlp_new_int(doc, 1));
    put(doc, state, "class_weight", jlp_new_none(doc));
    put(doc, state, "random_state", jlp_new_none(doc));
    put(doc, state, "solver", jlp_new_strz(doc, "lbfgs"));
    put(doc, state, "max_iter", jlp_new_int(doc, GD_MAX_ITER));
    put(doc, state, "multi_class", jlp_new_strz(doc, "auto"));
    put(doc, state, "verbose", jlp_new_int(doc, 0));
    put(doc, state, "warm_start", jlp_new_bool(doc, 0));
    put(doc, state, "n_jobs", jlp_new_none(doc));
    put(doc, state, "l1_ratio", jlp_new_none(doc));
    put(doc, state, "n_features_in_", jlp_new_int(doc, NFEAT));

    uint64_t ncls = (uint64_t)nclass, one = 1;
    int64_t cls64[MAXK];
    for (int c = 0; c < nclass; c++) cls64[c] = classes[c];
    put(doc, state, "classes_", array(doc, "i8", 1, &ncls, cls64, ncls * sizeof *cls64));
    int32_t n_iter = m.iters > GD_MAX_ITER ? GD_MAX_ITER : m.iters;
    put(doc, state, "n_iter_", array(doc, "i4", 1, &one, &n_iter, sizeof n_iter));

    /* coef_ is 2-d even for two classes: shape (rows, n_features), C order */
    uint64_t cshape[2] = {(uint64_t)m.k, NFEAT}, rows = (uint64_t)m.k;
    put(doc, state, "coef_", array(doc, "f8", 2, cshape, m.w, (size_t)m.k * NFEAT * sizeof(double)));
    put(doc, state, "intercept_", array(doc, "f8", 1, &rows, m.b, (size_t)m.k * sizeof(double)));
    put(doc, state, "_sklearn_version", jlp_new_strz(doc, version));

    jlp_val *cls = jlp_new_global(doc, "sklearn.linear_model._logistic", "LogisticRegression");
    jlp_val *model = jlp_new_object(doc, cls, NULL, state);
    if (!model) die("LogisticRegression object", NULL);
    save(model, dir, file);
    jlp_doc_free(doc);

    printf("  classes_ = [");
    for (int c = 0; c < nclass; c++) printf("%s%lld", c ? ", " : "", classes[c]);
    printf("], n_iter_ = %d\n", (int)n_iter);
    for (int t = 0; t < 4; t++) {
        double p[MAXK], label;
        logit_proba(&m, TEST_X[t], p);
        int best = 0;
        for (int c = 1; c < nclass; c++) best = p[c] > p[best] ? c : best;
        label = (double)classes[best];
        print_row("predict_proba", TEST_X[t], p, nclass);
        print_row("predict", TEST_X[t], &label, 1);
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s OUTDIR [SKLEARN_VERSION]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1], *version = argc > 2 ? argv[2] : "1.2.1";
    linear_regression(dir, version);
    logistic_regression(dir, version, "logistic_binary.joblib", BIN_X, BIN_Y, 10);
    logistic_regression(dir, version, "logistic_3class.joblib", MC_X, MC_Y, 12);
    return 0;
}
