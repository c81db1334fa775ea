/*
 * demo_model.c - write the sample file of `make demo`: a dict holding arrays and a
 * scikit-learn-like model object, dumped with jlp_dump_path as joblib.dump would.
 *
 *     demo_model OUT.joblib
 *
 * Python then reads it with joblib.load(OUT) (the model's class is only named: loading
 * it in Python needs scikit-learn; the dict and arrays need numpy).
 */
#include "jlpickle.h"

#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: demo_model OUT.joblib\n");
        return 2;
    }
    jlp_error err;
    jlp_doc *doc = jlp_doc_new(NULL);
    if (!doc) return 1;
    jlp_val *root = jlp_new_dict(doc);

    /* a 2x3 float64 matrix and an int32 vector */
    static const double x[6] = { 0.5, 1.0, 1.5, 2.0, 2.5, 3.0 };
    static const int32_t y[3] = { 1, 0, 1 };
    uint64_t xs[2] = { 2, 3 }, ys[1] = { 3 };
    jlp_val *f8 = jlp_new_dtype(doc, "<f8", &err), *i4 = jlp_new_dtype(doc, "<i4", &err);
    jlp_val *X = jlp_new_array(doc, f8, 2, xs, 'C', x, sizeof x, JLP_COPY, &err);
    jlp_val *Y = jlp_new_array(doc, i4, 1, ys, 'C', y, sizeof y, JLP_COPY, &err);
    if (!X || !Y) goto fail;
    jlp_dict_set_str(doc, root, "X", X);
    jlp_dict_set_str(doc, root, "y", Y);
    jlp_dict_set_str(doc, root, "name", jlp_new_strz(doc, "demo"));

    /* LinearRegression-like: NEWOBJ of the class, then BUILD with its __dict__ */
    static const double coef[3] = { 0.25, -1.0, 2.0 };
    uint64_t cs[1] = { 3 };
    jlp_val *state = jlp_new_dict(doc);
    jlp_dict_set_str(doc, state, "fit_intercept", jlp_new_bool(doc, 1));
    jlp_dict_set_str(doc, state, "copy_X", jlp_new_bool(doc, 1));
    jlp_dict_set_str(doc, state, "n_jobs", jlp_new_none(doc));
    jlp_dict_set_str(doc, state, "positive", jlp_new_bool(doc, 0));
    jlp_dict_set_str(doc, state, "n_features_in_", jlp_new_int(doc, 3));
    jlp_dict_set_str(doc, state, "coef_", jlp_new_array(doc, f8, 1, cs, 'C', coef, sizeof coef, JLP_COPY, &err));
    jlp_dict_set_str(doc, state, "intercept_", jlp_new_float(doc, 0.125));
    jlp_dict_set_str(doc, state, "_sklearn_version", jlp_new_strz(doc, "1.2.1"));
    jlp_val *cls = jlp_new_global(doc, "sklearn.linear_model._base", "LinearRegression");
    jlp_dict_set_str(doc, root, "model", jlp_new_object(doc, cls, NULL, state));

    jlp_doc_set_root(doc, root);
    if (jlp_dump_path(root, argv[1], NULL, &err) != JLP_OK) goto fail;
    jlp_doc_free(doc);
    printf("wrote %s\n", argv[1]);
    return 0;
fail:
    fprintf(stderr, "demo_model: %s: %s\n", jlp_error_name(err.code), err.msg);
    jlp_doc_free(doc);
    return 1;
}
