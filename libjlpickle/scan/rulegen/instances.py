"""Real objects of scikit-learn, numpy, scipy and pandas, as people save them.

Shared by the safe-list harvest (gen_rules.py pickles them and records every global
the pickles name) and the benign corpus (tests/safety/gen_benign.py dumps them and
expects the scan to call every file safe), so the two cannot drift apart.

benign_objects() returns [(name, factory)], sorted by name; a factory returns the
object, fitted where that makes sense, on a small deterministic data set, or raises
Unbuildable with the reason (an estimator that cannot be fitted on small data).
"""
import collections
import datetime
import decimal
import fractions
import warnings

import numpy as np


class Unbuildable(Exception):
    pass


# ---- data -----------------------------------------------------------------------------------

def _data(kind, n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = np.abs(rng.normal(size=(n, 4))) + 0.1
    X[:, 1] += np.arange(n) % 3          # some class signal
    if kind == "classifier":
        y = np.arange(n) % 3
    elif kind == "regressor":
        y = X[:, 0] * 2.0 + X[:, 1] + rng.normal(scale=0.1, size=n)
    elif kind == "multioutput":
        y = np.stack([np.arange(n) % 2, (np.arange(n) // 2) % 2], axis=1)
    elif kind == "multioutput-regressor":
        y = np.stack([X[:, 0], X[:, 1] * 2], axis=1)
    else:
        y = None
    return X, y


def _tags(est):
    try:
        return est._get_tags()
    except Exception:
        return {}


def _fit(est, kind):
    """Fit est the way its tags ask; raise Unbuildable with the last error."""
    from sklearn.base import is_classifier, is_regressor
    tags = _tags(est)
    X, y = _data("classifier" if is_classifier(est) else "regressor" if is_regressor(est) else "none")
    if tags.get("requires_positive_X"):
        X = np.abs(X)
    if "categorical" in tags.get("X_types", []):
        X = np.floor(X).astype(np.int64)
    if "1darray" in tags.get("X_types", []):
        X = X[:, 0]
    if "string" in tags.get("X_types", []) or "dict" in tags.get("X_types", []):
        raise Unbuildable("takes text or dicts, built apart")
    if tags.get("multioutput_only"):
        y = _data("multioutput-regressor" if is_regressor(est) else "multioutput")[1]
    if tags.get("requires_y") and y is None:
        y = _data("classifier")[1]
    if tags.get("pairwise"):
        X = X @ X.T
    errors = []
    attempts = [(X, y)] if y is not None else [(X, None), (X, _data("classifier")[1])]
    for Xa, ya in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if ya is None:
                    est.fit(Xa)
                else:
                    est.fit(Xa, ya)
            return est
        except Exception as e:  # the estimator's own refusal: reported, not hidden
            errors.append("%s: %s" % (type(e).__name__, str(e).split("\n")[0][:100]))
    raise Unbuildable("; ".join(errors))


def _construct(Est):
    """An instance with its required parameters, as scikit-learn's own common tests
    build it, plus the few classes those tests skip."""
    from sklearn.utils.estimator_checks import _construct_instance
    from sklearn import linear_model, preprocessing, decomposition
    name = Est.__name__
    special = {
        "SparseCoder": lambda: Est(dictionary=np.eye(4)[:3]),
        "ColumnTransformer": lambda: Est([("num", preprocessing.StandardScaler(), [0, 1]),
                                          ("pass", "passthrough", [2]),
                                          ("min", preprocessing.MinMaxScaler(), [3])]),
        "FeatureUnion": lambda: Est([("pca", decomposition.PCA(n_components=2)),
                                     ("scale", preprocessing.StandardScaler())]),
        "Pipeline": lambda: Est([("scale", preprocessing.StandardScaler()),
                                 ("clf", linear_model.LogisticRegression())]),
        "GridSearchCV": lambda: Est(linear_model.LogisticRegression(), {"C": [0.5, 1.0]}, cv=2),
        "RandomizedSearchCV": lambda: Est(linear_model.LogisticRegression(), {"C": [0.5, 1.0]},
                                          n_iter=2, cv=2, random_state=0),
        "HalvingGridSearchCV": lambda: Est(linear_model.LogisticRegression(), {"C": [0.5, 1.0]},
                                           cv=2, min_resources=20),
        "HalvingRandomSearchCV": lambda: Est(linear_model.LogisticRegression(), {"C": [0.5, 1.0]},
                                             cv=2, min_resources=20, random_state=0),
        "SelfTrainingClassifier": lambda: Est(linear_model.LogisticRegression()),
        "TransformedTargetRegressor": lambda: Est(regressor=linear_model.Ridge(),
                                                  func=np.log1p, inverse_func=np.expm1),
        "FunctionTransformer": lambda: Est(np.log1p, inverse_func=np.expm1),
    }
    if name in special:
        return special[name]()
    from sklearn.utils._testing import SkipTest
    try:
        return _construct_instance(Est)
    except SkipTest as e:
        raise Unbuildable("cannot be constructed: %s" % e)


def _seeded(est):
    params = est.get_params(deep=False)
    if "random_state" in params:
        est.set_params(random_state=0)
    for k, v in (("max_iter", 50), ("n_estimators", 5), ("n_jobs", None)):
        if k in params and isinstance(params[k], int) and (v is None or params[k] > v):
            est.set_params(**{k: v})
    return est


def _estimator(Est, kind):
    def build():
        est = _seeded(_construct(Est))
        return _fit(est, kind)
    return build


def _wrapped(Est, how):
    def build():
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler, MinMaxScaler
        from sklearn.compose import ColumnTransformer
        from sklearn.model_selection import GridSearchCV
        from sklearn.base import is_classifier, is_regressor
        est = _seeded(_construct(Est))
        if how == "pipeline":
            scaler = MinMaxScaler() if _tags(est).get("requires_positive_X") else StandardScaler()
            wrapper = Pipeline([("scale", scaler), ("est", est)])
        elif how == "columns":
            wrapper = Pipeline([("cols", ColumnTransformer([("scale", MinMaxScaler(), [0, 1]),
                                                            ("rest", "passthrough", [2, 3])])),
                                ("est", est)])
        elif how == "grid":
            if not (is_classifier(est) or is_regressor(est)):
                raise Unbuildable("grid search needs a scorer: classifiers and regressors only")
            wrapper = GridSearchCV(est, {}, cv=2)
        else:
            raise ValueError(how)
        return _fit_wrapped(wrapper, est)
    return build


def _fit_wrapped(wrapper, est):
    from sklearn.base import is_classifier, is_regressor
    tags = _tags(est)
    if tags.get("pairwise") or set(tags.get("X_types", ["2darray"])) != {"2darray"} \
            or tags.get("multioutput_only"):
        raise Unbuildable("needs its own input shape")
    X, y = _data("classifier" if is_classifier(est) else "regressor" if is_regressor(est) else "none")
    if y is None and tags.get("requires_y"):
        y = _data("classifier")[1]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wrapper.fit(X, y) if y is not None else wrapper.fit(X)
    except Exception as e:
        raise Unbuildable("%s: %s" % (type(e).__name__, str(e).split("\n")[0][:100]))
    return wrapper


def _has(module):
    import importlib.util
    return importlib.util.find_spec(module) is not None


def _special_models():
    """Models once reported as false alarms, common parameters (ufuncs, dtypes, metrics,
    distributions) and estimators that take text or dicts."""
    from sklearn import (compose, ensemble, feature_extraction, linear_model, neighbors,
                         pipeline, preprocessing, model_selection, svm, metrics, impute)
    X, yc = _data("classifier")
    _, yr = _data("regressor")
    text = ["the cat sat", "the dog ran", "a cat ran", "dogs and cats", "the end"] * 4
    yt = np.arange(len(text)) % 2

    def fit(est, X_, y_=None):
        def build():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return est.fit(X_) if y_ is None else est.fit(X_, y_)
        return build

    def search(est, grid, **kw):
        return fit(model_selection.GridSearchCV(est, grid, cv=2, **kw), X, yc)

    import scipy.stats
    out = {
        "hgb_classifier": fit(ensemble.HistGradientBoostingClassifier(max_iter=5), X, yc),
        "hgb_regressor_categorical": fit(ensemble.HistGradientBoostingRegressor(
            max_iter=5, categorical_features=[False, True, False, False]),
            np.c_[X[:, :1], np.arange(40) % 3, X[:, 2:]], yr),
        "knn_kd_tree": fit(neighbors.KNeighborsClassifier(algorithm="kd_tree", n_neighbors=3), X, yc),
        "knn_ball_tree": fit(neighbors.KNeighborsClassifier(algorithm="ball_tree", n_neighbors=3), X, yc),
        "knn_brute_manhattan": fit(neighbors.KNeighborsRegressor(algorithm="brute", metric="manhattan"), X, yr),
        "nn_minkowski_p3": fit(neighbors.NearestNeighbors(metric="minkowski", p=3), X),
        "kde": fit(neighbors.KernelDensity(kernel="epanechnikov"), X),
        "grid_svc": search(svm.SVC(), {"C": [0.5, 1.0], "kernel": ["rbf", "linear"]}),
        "grid_scoring_f1": search(linear_model.LogisticRegression(), {"C": [1.0]}, scoring="f1_macro"),
        "grid_multi_scoring": search(linear_model.LogisticRegression(), {"C": [1.0]},
                                     scoring=["accuracy", "f1_macro"], refit="accuracy"),
        "grid_make_scorer": search(linear_model.LogisticRegression(), {"C": [1.0]},
                                   scoring=metrics.make_scorer(metrics.fbeta_score, beta=2, average="macro")),
        "randomized_loguniform": fit(model_selection.RandomizedSearchCV(
            linear_model.LogisticRegression(), {"C": scipy.stats.loguniform(1e-2, 1e2)},
            n_iter=2, cv=2, random_state=0), X, yc),
        "randomized_uniform_randint": fit(model_selection.RandomizedSearchCV(
            ensemble.RandomForestClassifier(n_estimators=3, random_state=0),
            {"max_depth": scipy.stats.randint(1, 4), "max_features": scipy.stats.uniform(0.1, 0.8)},
            n_iter=2, cv=2, random_state=0), X, yc),
        "pipeline_column_onehot": fit(pipeline.Pipeline([
            ("cols", compose.ColumnTransformer([
                ("num", preprocessing.StandardScaler(), [0, 1]),
                ("cat", preprocessing.OneHotEncoder(handle_unknown="ignore", dtype=np.float32), [2])])),
            ("clf", linear_model.LogisticRegression())]),
            np.c_[X[:, :2], np.arange(40) % 4], yc),
        "pipeline_imputer_nan": fit(pipeline.make_pipeline(
            impute.SimpleImputer(missing_values=np.nan, strategy="median"),
            preprocessing.KBinsDiscretizer(n_bins=3, dtype=np.float64),
            linear_model.LogisticRegression()), np.where(X > 2.5, np.nan, X), yc),
        "feature_union_pipeline": fit(pipeline.make_pipeline(
            pipeline.make_union(preprocessing.PolynomialFeatures(2), preprocessing.StandardScaler()),
            linear_model.Ridge()), X, yr),
        "transformed_target_log": fit(compose.TransformedTargetRegressor(
            regressor=linear_model.LinearRegression(), func=np.log, inverse_func=np.exp), X, np.abs(yr) + 1),
        "sgd_log_loss": fit(linear_model.SGDClassifier(loss="log_loss", random_state=0), X, yc),
        "stacking_passthrough": fit(ensemble.StackingClassifier(
            [("lr", linear_model.LogisticRegression()), ("knn", neighbors.KNeighborsClassifier(3))],
            passthrough=True, cv=2), X, yc),
        "voting_soft": fit(ensemble.VotingClassifier(
            [("lr", linear_model.LogisticRegression()), ("nb", __import__("sklearn.naive_bayes").naive_bayes.GaussianNB())],
            voting="soft"), X, yc),
        "count_vectorizer": fit(feature_extraction.text.CountVectorizer(), text),
        "tfidf_vectorizer_ngrams": fit(feature_extraction.text.TfidfVectorizer(ngram_range=(1, 2), dtype=np.float32), text),
        "hashing_vectorizer": fit(feature_extraction.text.HashingVectorizer(n_features=32), text),
        "tfidf_pipeline": fit(pipeline.make_pipeline(feature_extraction.text.TfidfVectorizer(),
                                                     linear_model.LogisticRegression()), text, yt),
        "dict_vectorizer": fit(feature_extraction.DictVectorizer(), [{"a": 1, "b": 2}, {"a": 3, "c": 1}]),
        "feature_hasher": fit(feature_extraction.FeatureHasher(n_features=8), [{"a": 1}, {"b": 2}]),
        "label_encoder": fit(preprocessing.LabelEncoder(), ["x", "y", "x", "z"]),
        "label_binarizer": fit(preprocessing.LabelBinarizer(), [1, 2, 6, 4, 2]),
        "multilabel_binarizer": fit(preprocessing.MultiLabelBinarizer(), [{"a", "b"}, {"c"}]),
    }
    from sklearn import calibration, decomposition, feature_selection, multioutput, svm as svm_
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    st = scipy.stats
    out.update({
        "randomized_norm_expon_gamma": fit(model_selection.RandomizedSearchCV(
            linear_model.ElasticNet(), {"alpha": st.expon(scale=0.5), "l1_ratio": st.beta(2, 2),
                                        "tol": st.gamma(2.0, scale=1e-4), "max_iter": st.poisson(200)},
            n_iter=2, cv=2, random_state=0), X, yr),
        "randomized_truncnorm_geom_lognorm": fit(model_selection.RandomizedSearchCV(
            ensemble.GradientBoostingRegressor(n_estimators=3, random_state=0),
            {"learning_rate": st.truncnorm(-1, 1, loc=0.1, scale=0.05), "max_depth": st.geom(0.5),
             "subsample": st.uniform(0.5, 0.5), "min_impurity_decrease": st.lognorm(1, scale=1e-3)},
            n_iter=2, cv=2, random_state=0), X, yr),
        "randomized_pipeline_randint_list": fit(model_selection.RandomizedSearchCV(
            pipeline.make_pipeline(preprocessing.StandardScaler(), neighbors.KNeighborsClassifier()),
            {"kneighborsclassifier__n_neighbors": st.randint(1, 6),
             "kneighborsclassifier__weights": ["uniform", "distance"]},
            n_iter=2, cv=2, random_state=0), X, yc),
        "grid_pipeline_pca_svc": search(pipeline.Pipeline([
            ("pca", decomposition.PCA(n_components=2)), ("svc", svm.SVC())]),
            {"pca__n_components": [1, 2], "svc__C": [0.5, 1.0]}),
        "halving_grid_tree": fit(model_selection.HalvingGridSearchCV(
            __import__("sklearn.tree").tree.DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2]},
            cv=2, min_resources=10, random_state=0), X, yc),
        "column_selector_remainder": fit(pipeline.make_pipeline(
            compose.ColumnTransformer([
                ("cat", preprocessing.OneHotEncoder(handle_unknown="ignore"),
                 compose.make_column_selector(dtype_include=np.int64))],
                remainder=preprocessing.StandardScaler()),
            ensemble.HistGradientBoostingClassifier(max_iter=3)),
            __import__("pandas").DataFrame({"a": X[:, 0], "b": X[:, 1], "c": np.arange(40) % 3}), yc)
        if _has("pandas") else None,
        "calibrated_linear_svc": fit(calibration.CalibratedClassifierCV(svm_.LinearSVC(), cv=2), X, yc),
        "multioutput_ridge": fit(multioutput.MultiOutputRegressor(linear_model.Ridge()), X, np.c_[yr, yr * 2]),
        "select_from_model_pipeline": fit(pipeline.make_pipeline(
            feature_selection.SelectFromModel(linear_model.Lasso(alpha=0.01)),
            feature_selection.VarianceThreshold(), linear_model.LinearRegression()), X, yr),
        "target_quantile": fit(compose.TransformedTargetRegressor(
            regressor=linear_model.Ridge(), transformer=preprocessing.QuantileTransformer(n_quantiles=10)), X, yr),
    })
    out = {k: v for k, v in out.items() if v is not None}
    # every distribution scipy.stats defines, frozen with the shape parameters of scipy's
    # own tests (a frozen distribution pickles the distribution object with it)
    from scipy.stats._distr_params import distcont, distdiscrete
    for name, args in dict(distcont + distdiscrete).items():
        # (scipy's own tests, imported by the rule generator's walk, append distribution
        # objects to these lists: only scipy.stats' names count here)
        dist = getattr(st, name, None) if isinstance(name, str) else None
        if dist is not None:
            out["scipy_frozen_%s" % name] = (lambda d=dist, a=tuple(args): d(*a))
    out["scipy_rv_discrete_values"] = lambda: st.rv_discrete(values=([1, 2, 5], [0.2, 0.3, 0.5]))
    out["scipy_rv_histogram"] = lambda: st.rv_histogram(np.histogram([1.0, 2, 2, 3, 7], bins=3))
    for fn in ("log1p", "expm1", "sqrt", "exp", "log", "abs", "square", "tanh", "negative"):
        out["function_transformer_%s" % fn] = fit(preprocessing.FunctionTransformer(getattr(np, fn)), X)
    out["function_transformer_log1p_inverse"] = fit(
        preprocessing.FunctionTransformer(np.log1p, inverse_func=np.expm1, check_inverse=True), X)
    return out


# ---- numpy, scipy and plain data ---------------------------------------------------------------

def _arrays():
    out = {}
    codes = ["?", "b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "e", "f", "d", "g",
             "F", "D", "G", "U3", "S3", "V4", "M8[ns]", "M8[D]", "m8[s]", "O"]
    for code in codes:
        for order in ("<", ">"):
            dt = np.dtype(code)
            if dt.byteorder in ("|", "=") and order == ">" and dt.itemsize <= 1:
                continue
            if order == ">" and dt.kind not in "OV":
                dt = dt.newbyteorder(">")
            name = "array_%s_%s" % (code.replace("[", "_").replace("]", ""), "be" if order == ">" else "le")
            out[name] = (lambda dt=dt: _fill(dt, (3, 4)))
    out["array_fortran_f8"] = lambda: np.asfortranarray(np.arange(12.0).reshape(3, 4))
    out["array_0d"] = lambda: np.array(3.5)
    out["array_empty"] = lambda: np.zeros((0, 3))
    out["array_3d_i2"] = lambda: np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    out["array_noncontiguous"] = lambda: np.arange(20.0).reshape(4, 5)[:, ::2]
    out["array_structured"] = lambda: np.array([(1, 2.5, b"ab"), (3, 4.5, b"cd")],
                                               dtype=[("a", "<i4"), ("b", "<f8"), ("c", "S2")])
    out["array_structured_aligned_nested"] = lambda: np.zeros(
        3, dtype=np.dtype([("x", "<f4", (2,)), ("y", [("p", "u1"), ("q", "<i8")])], align=True))
    out["array_object_mixed"] = lambda: np.array([1, "two", 3.0, None, (4, 5)], dtype=object)
    out["array_masked"] = lambda: np.ma.masked_array(np.arange(5.0), mask=[0, 1, 0, 0, 1])
    out["array_matrix"] = lambda: np.matrix([[1, 2], [3, 4]])
    out["array_recarray"] = lambda: np.rec.fromrecords([(1, 2.0), (3, 4.0)], names="a,b")
    out["array_large_f4"] = lambda: np.linspace(0, 1, 5000, dtype=np.float32)
    out["arrays_in_dict"] = lambda: {"w": np.ones((2, 2)), "b": np.zeros(2, np.float32),
                                    "meta": {"name": "m", "version": (1, 2)}}
    return out


def _fill(dt, shape):
    n = int(np.prod(shape))
    if dt.kind == "O":
        return np.array([i if i % 2 else str(i) for i in range(n)], dtype=object).reshape(shape)
    if dt.kind in "US":
        return np.array([str(i) for i in range(n)], dtype=dt).reshape(shape)
    if dt.kind == "V":
        return np.frombuffer(bytes(range(n * dt.itemsize)), dtype=dt).reshape(shape)
    if dt.kind == "M":
        return (np.arange(n) + 1_600_000_000).astype("M8[s]").astype(dt).reshape(shape)
    if dt.kind == "m":
        return np.arange(n).astype(dt).reshape(shape)
    return np.arange(n).astype(dt).reshape(shape)


def _numpy_values():
    out = {}
    for name in sorted({np.dtype(c).name for c in "?bBhHiIlLqQefdgFDG"}):
        out["scalar_%s" % name] = (lambda n=name: np.dtype(n).type(1))
        out["dtype_%s" % name] = (lambda n=name: np.dtype(n))
        out["type_%s" % name] = (lambda n=name: np.dtype(n).type)
    out["scalar_datetime64"] = lambda: np.datetime64("2024-01-02T03:04:05")
    out["scalar_timedelta64"] = lambda: np.timedelta64(5, "s")
    out["scalar_str"] = lambda: np.str_("text")
    out["scalar_bytes"] = lambda: np.bytes_(b"raw")
    out["scalar_void_record"] = lambda: np.zeros(1, dtype=[("a", "<i4"), ("b", "<f8")])[0]
    out["dtype_structured"] = lambda: np.dtype([("a", "<i4"), ("b", ">f8", (2,))])
    out["dtype_metadata"] = lambda: np.dtype("f8", metadata={"unit": "m"})
    out["dtype_datetime"] = lambda: np.dtype("M8[us]")
    out["dtype_unicode"] = lambda: np.dtype("<U7")
    out["random_state"] = lambda: np.random.RandomState(42)
    for bg in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"):
        out["generator_%s" % bg] = (lambda b=bg: np.random.Generator(getattr(np.random, b)(7)))
        out["bitgen_%s" % bg] = (lambda b=bg: getattr(np.random, b)(7))
    out["seed_sequence"] = lambda: np.random.SeedSequence(12345)
    ufuncs = sorted(n for n in dir(np) if isinstance(getattr(np, n), np.ufunc))
    out["ufuncs_all"] = lambda: [getattr(np, n) for n in ufuncs]
    out["scalar_types_all"] = lambda: sorted(set(np.sctypeDict.values()), key=lambda t: t.__name__)
    return out


def _sparse():
    import scipy.sparse as sp
    out = {}
    base = np.array([[0, 1.5, 0, 0], [2.0, 0, 0, 3.0], [0, 0, 4.5, 0]])
    for fmt in ("csr", "csc", "coo", "bsr", "dia", "dok", "lil"):
        for kind in ("matrix", "array"):
            cls = getattr(sp, "%s_%s" % (fmt, kind), None)
            if cls is None:
                continue
            for dt in ("f8", "f4", "i8", "?"):
                out["sparse_%s_%s_%s" % (fmt, kind, dt)] = (
                    lambda c=cls, d=dt: c(base.astype(d)))
    out["sparse_csr_empty"] = lambda: sp.csr_matrix((3, 4))
    return out


def _plain():
    return {
        "plain_builtins": lambda: {"int": 1, "big": 2 ** 100, "float": 1.5, "complex": 1 + 2j,
                                   "str": "s", "bytes": b"b", "bytearray": bytearray(b"ba"),
                                   "list": [1, 2], "tuple": (1,), "set": {1, 2},
                                   "frozenset": frozenset({3}), "none": None, "bool": True,
                                   "slice": slice(1, 5, 2), "range": range(3)},
        "plain_collections": lambda: {"od": collections.OrderedDict(a=1),
                                      "dd": collections.defaultdict(list, {"k": [1]}),
                                      "counter": collections.Counter("abca"),
                                      "deque": collections.deque([1, 2])},
        "plain_datetime": lambda: {"dt": datetime.datetime(2024, 1, 2, 3, 4, 5),
                                   "d": datetime.date(2024, 1, 2), "t": datetime.time(1, 2),
                                   "td": datetime.timedelta(days=1),
                                   "tz": datetime.timezone.utc},
        "plain_numbers": lambda: {"dec": decimal.Decimal("1.25"), "frac": fractions.Fraction(1, 3)},
    }


def estimator_classes():
    from sklearn.utils import all_estimators
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return all_estimators()


def benign_objects():
    """[(name, factory)] of every benign object, sorted by name."""
    from sklearn.base import is_classifier, is_regressor
    out = {}
    for name, Est in estimator_classes():
        out["est_%s" % name] = _estimator(Est, "alone")
        if name in ("Pipeline", "FeatureUnion", "ColumnTransformer"):
            continue
        out["pipe_%s" % name] = _wrapped(Est, "pipeline")
        if is_classifier(Est) or is_regressor(Est):
            out["cols_%s" % name] = _wrapped(Est, "columns")
            out["grid_%s" % name] = _wrapped(Est, "grid")
    for name, f in _special_models().items():
        out["model_%s" % name] = f
    from .pandas_objects import pandas_objects
    for group in (_arrays(), _numpy_values(), _sparse(), _plain(), pandas_objects()):
        out.update(group)
    return sorted(out.items())
