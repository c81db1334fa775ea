/*
 * tree_importances.c - the impurity-based feature importances of a tree model, in C.
 *
 *     tree_importances MODEL.joblib
 *
 * MODEL.joblib is what joblib.dump() wrote for a DecisionTree, RandomForest, ExtraTrees
 * or GradientBoosting model (Classifier or Regressor). Prints the model's
 * feature_importances_ as scikit-learn 1.2 computes them, one per line, then the node
 * count and depth of its largest tree. Build (after `make`):
 *
 *     cc -Ilibjlpickle examples/tree_importances.c build/libjlpickle.a \
 *        -lz -lbz2 -llzma -llz4 -lzstd -lm -o tree_importances
 *
 * Where examples/sklearn_predict.c copies the node columns it walks into typed arrays,
 * this reads them in place: jlp_array_field with JLP_AS_STRIDED gives a column of the
 * structured `nodes` array as a pointer and a record stride (zero-copy, also in a mapped
 * file). A forest's estimators_ is a list and a gradient boosting's a 2-d object array
 * (stages x classes); jlp_iter walks both alike. Errors go through the calls given the
 * NULL of a failed lookup and are printed once, where they end.
 */
#include <jlpickle.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A column of the nodes array, read in place: element i at base + i * stride bytes. */
typedef struct column {
    const char *base;
    int64_t stride;
} column;

static int column_of(const jlp_val *nodes, const char *field, jlp_elem elem, column *c, uint64_t *count,
                     jlp_error *err) {
    jlp_view v = JLP_VIEW_INIT;
    /* JLP_AS_STRIDED: in place when the field already is `elem` (native, aligned), which
     * scikit-learn's int64 and float64 fields are; converted into the document otherwise */
    if (jlp_array_field(nodes, field, elem, JLP_AS_STRIDED, &v, err) != JLP_OK) return -1;
    c->base = v.data;
    c->stride = v.stride;
    *count = v.count;
    return 0;
}

#define AT(col, type, i) (*(const type *)((col).base + (int64_t)(i) * (col).stride))

typedef struct stats {
    uint64_t trees, nodes, depth; /* trees counted, and the largest tree's nodes and depth */
} stats;

/* Tree.compute_feature_importances(normalize) of one fitted tree (the tree_ of an
 * estimator), added to `imp`; its node count and depth go to *st. @return 0, 1 for a
 * tree of a single node (scikit-learn leaves those out), -1 with err filled. */
static int tree_importances(const jlp_val *est, uint64_t n_features, int normalize, double *imp, stats *st,
                            jlp_error *err) {
    const jlp_val *nodes = jlp_at(est, "/tree_/nodes", err);
    column left, right, feature, impurity, weight;
    uint64_t n = 0, k;
    if (column_of(nodes, "left_child", JLP_I64, &left, &n, err) ||
        column_of(nodes, "right_child", JLP_I64, &right, &k, err) ||
        column_of(nodes, "feature", JLP_I64, &feature, &k, err) ||
        column_of(nodes, "impurity", JLP_F64, &impurity, &k, err) ||
        column_of(nodes, "weighted_n_node_samples", JLP_F64, &weight, &k, err))
        return -1;
    int64_t max_depth;
    if (jlp_as_int64(jlp_at(est, "/tree_/max_depth", err), &max_depth, err)) return -1;
    if (n > st->nodes) st->nodes = n;
    if ((uint64_t)max_depth > st->depth) st->depth = (uint64_t)max_depth;
    if (n <= 1) return 1;
    double *mine = calloc(n_features, sizeof *mine);
    if (!mine) return -1;
    for (uint64_t i = 0; i < n; i++) {
        int64_t l = AT(left, int64_t, i), r = AT(right, int64_t, i), f = AT(feature, int64_t, i);
        if (l == -1) continue; /* a leaf */
        /* children follow their parent in scikit-learn's numbering: a file that says
         * otherwise is no tree this program reads */
        if (l <= (int64_t)i || r <= (int64_t)i || l >= (int64_t)n || r >= (int64_t)n || f < 0 ||
            f >= (int64_t)n_features) {
            snprintf(err->msg, sizeof err->msg, "tree_: node %llu is malformed", (unsigned long long)i);
            err->code = JLP_E_BAD_VALUE;
            free(mine);
            return -1;
        }
        mine[f] += AT(weight, double, i) * AT(impurity, double, i) -
                   AT(weight, double, l) * AT(impurity, double, l) - AT(weight, double, r) * AT(impurity, double, r);
    }
    double root = AT(weight, double, 0), sum = 0;
    for (uint64_t f = 0; f < n_features; f++) sum += mine[f] /= root;
    for (uint64_t f = 0; f < n_features; f++) imp[f] += normalize && sum > 0 ? mine[f] / sum : mine[f];
    free(mine);
    st->trees++;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: tree_importances MODEL.joblib\n");
        return 2;
    }
    jlp_error err = JLP_ERROR_INIT;
    jlp_doc *doc = jlp_load_path(argv[1], NULL, &err);
    const jlp_val *model = jlp_doc_root(doc);
    int64_t n_features = 0;
    if (jlp_as_int64(jlp_at(model, "/n_features_in_", &err), &n_features, &err) || n_features <= 0 ||
        n_features > 1000000) {
        fprintf(stderr, "%s: %s: %s\n", argv[1], jlp_error_name(err.code), err.msg);
        jlp_doc_free(doc);
        return 1;
    }
    double *imp = calloc((size_t)n_features, sizeof *imp);
    stats st = {0, 0, 0};
    int rc = 0;
    /* a forest's trees each give normalised importances, a boosting's stages raw ones */
    const char *cls = jlp_global_name(jlp_at(model, "/$object/class", NULL), NULL);
    int normalize = !cls || strncmp(cls, "GradientBoosting", 16) != 0;
    const jlp_val *trees = jlp_at(model, "/estimators_", NULL);
    if (!trees) { /* a single decision tree */
        rc = tree_importances(model, (uint64_t)n_features, normalize, imp, &st, &err) < 0;
    } else { /* a list of trees, or boosting's stages x classes object array, in C order */
        jlp_iter it = jlp_iter_make(trees);
        for (const jlp_val *t; !rc && (t = jlp_iter_next(&it));)
            rc = tree_importances(t, (uint64_t)n_features, normalize, imp, &st, &err) < 0;
    }
    if (rc || !st.trees) {
        fprintf(stderr, "%s: %s: %s\n", argv[1], rc ? jlp_error_name(err.code) : "NOT_FOUND",
                rc ? err.msg : "no tree of more than one node");
        free(imp);
        jlp_doc_free(doc);
        return 1;
    }
    /* the mean over the trees (GradientBoosting, RandomForest and ExtraTrees alike), then
     * normalised to sum to 1 unless every importance is 0 */
    double sum = 0;
    for (int64_t f = 0; f < n_features; f++) sum += imp[f] /= (double)st.trees;
    for (int64_t f = 0; f < n_features; f++) printf("%.17g\n", sum > 0 ? imp[f] / sum : imp[f]);
    printf("largest tree: %llu nodes, depth %llu\n", (unsigned long long)st.nodes, (unsigned long long)st.depth);
    free(imp);
    jlp_doc_free(doc);
    return 0;
}
