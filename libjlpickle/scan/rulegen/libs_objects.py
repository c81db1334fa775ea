"""Real objects of other libraries' users, as they save them with joblib.dump or pickle.

Models and data of xgboost (the scikit-learn API and the Booster), statsmodels (fitted
OLS, GLM and ARIMA results, formula models, and their `.remove_data()` forms),
imbalanced-learn (samplers and pipelines), networkx (graphs with attributes),
scikit-image (geometric transforms, feature extractors), nltk (taggers, tokenizers,
frequency distributions, trees, a classifier), gensim (Dictionary, Word2Vec, Doc2Vec,
LdaModel) and astropy (Quantity, units, Table, Time, SkyCoord, WCS). The data are
small: the committed files of tests/safety/benign are made from these objects.

libs_objects() returns [(name, factory)] for the libraries installed here (LIBS: the
packages each object comes from, which rulegen/libs_rules.py walks); a library that is
not installed contributes nothing.
"""
import importlib.util
import re
import warnings

import numpy as np

# library prefix of the object names -> the packages its objects' pickles name
# (beyond numpy, scipy, scikit-learn, pandas and the standard library)
LIBS = {
    "xgboost": ("xgboost",),
    "statsmodels": ("statsmodels", "patsy"),
    "imblearn": ("imblearn",),
    "networkx": ("networkx",),
    "skimage": ("skimage",),
    "nltk": ("nltk",),
    "gensim": ("gensim",),
    "astropy": ("astropy",),
}


def _xy(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=n) > 0).astype(int)
    return X, y


def _xgboost():
    import xgboost as xgb
    X, y = _xy()
    kw = dict(n_estimators=3, max_depth=2, n_jobs=1, tree_method="hist")
    return {
        "classifier": lambda: xgb.XGBClassifier(**kw).fit(X, y),
        "regressor": lambda: xgb.XGBRegressor(**kw).fit(X, X[:, 0]),
        "classifier_unfitted": lambda: xgb.XGBClassifier(**kw),
        "booster": lambda: xgb.train({"max_depth": 2, "nthread": 1}, xgb.DMatrix(X, label=y), 3),
        "rf_classifier": lambda: xgb.XGBRFClassifier(n_estimators=2, max_depth=2, n_jobs=1).fit(X, y),
        "pipeline": lambda: __import__("sklearn.pipeline").pipeline.make_pipeline(
            __import__("sklearn.preprocessing").preprocessing.StandardScaler(),
            xgb.XGBClassifier(**kw)).fit(X, y),
    }


def _statsmodels():
    import pandas as pd
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from statsmodels.tsa.arima.model import ARIMA
    X, y = _xy(30)
    Xc = sm.add_constant(X)
    df = pd.DataFrame({"y": X[:, 0] * 2 + X[:, 1], "a": X[:, 1], "g": list("ab") * 15})
    ts = np.cumsum(np.random.RandomState(1).normal(size=30))

    def removed(res):
        res.remove_data()
        return res
    return {
        "ols": lambda: sm.OLS(X[:, 0], Xc).fit(),
        "ols_removed": lambda: removed(sm.OLS(X[:, 0], Xc).fit()),
        "glm_binomial": lambda: sm.GLM(y, Xc, family=sm.families.Binomial()).fit(),
        "glm_removed": lambda: removed(sm.GLM(y, Xc, family=sm.families.Binomial()).fit()),
        "logit": lambda: sm.Logit(y, Xc).fit(disp=0),
        "formula_ols": lambda: smf.ols("y ~ a + C(g)", data=df).fit(),
        "formula_ols_removed": lambda: removed(smf.ols("y ~ a + C(g)", data=df).fit()),
        "arima": lambda: ARIMA(ts, order=(1, 0, 0)).fit(),
        "arima_removed": lambda: removed(ARIMA(ts, order=(1, 0, 0)).fit()),
    }


def _imblearn():
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.pipeline import make_pipeline
    from imblearn.under_sampling import RandomUnderSampler
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    X, y = _xy()
    y = (X[:, 0] > 0.6).astype(int)
    return {
        "pipeline_smote": lambda: make_pipeline(StandardScaler(), SMOTE(k_neighbors=2, random_state=0),
                                                LogisticRegression()).fit(X, y),
        "smote": lambda: _resampled(SMOTE(k_neighbors=2, random_state=0), X, y),
        "under_sampler": lambda: _resampled(RandomUnderSampler(random_state=0), X, y),
        "over_sampler": lambda: _resampled(RandomOverSampler(random_state=0), X, y),
        "balanced_rf": lambda: __import__("imblearn.ensemble").ensemble.BalancedRandomForestClassifier(
            n_estimators=2, max_depth=2, random_state=0).fit(X, y),
    }


def _resampled(sampler, X, y):
    sampler.fit_resample(X, y)
    return sampler


def _networkx():
    import networkx as nx

    def attrs(g):
        g.graph["name"] = "g"
        g.add_node(0, label="a", weight=1.5)
        g.add_edge(0, 1, weight=2.0, kind="x")
        g.add_edge(1, 2, weight=0.5)
        return g
    return {
        "graph": lambda: attrs(nx.Graph()),
        "digraph": lambda: attrs(nx.DiGraph()),
        "multigraph": lambda: attrs(nx.MultiGraph()),
        "multidigraph": lambda: attrs(nx.MultiDiGraph()),
        "karate": lambda: nx.karate_club_graph(),
    }


def _skimage():
    from skimage import data, feature, transform
    img = data.camera()[::8, ::8].astype(float) / 255.0
    src = np.array([[0, 0], [10, 0], [10, 10], [0, 10.0]])
    dst = src * 1.5 + 2

    def estimated(t):
        t.estimate(src, dst)
        return t

    def extracted(ex):
        ex.detect_and_extract(img)
        return ex
    return {
        "affine": lambda: transform.AffineTransform(scale=(1.5, 1.5), rotation=0.1, translation=(2, 3)),
        "similarity": lambda: estimated(transform.SimilarityTransform()),
        "euclidean": lambda: estimated(transform.EuclideanTransform()),
        "projective": lambda: estimated(transform.ProjectiveTransform()),
        "polynomial": lambda: estimated(transform.PolynomialTransform()),
        "piecewise_affine": lambda: estimated(transform.PiecewiseAffineTransform()),
        "orb": lambda: extracted(feature.ORB(n_keypoints=5)),
        "censure": lambda: _detected(feature.CENSURE(), img),
    }


def _detected(det, img):
    det.detect(img)
    return det


def _nltk():
    import nltk
    from nltk.tag import BigramTagger, DefaultTagger, UnigramTagger
    from nltk.tokenize import PunktSentenceTokenizer, RegexpTokenizer, TreebankWordTokenizer
    train = [[("the", "DT"), ("cat", "NN"), ("sat", "VBD")], [("a", "DT"), ("dog", "NN"), ("ran", "VBD")]]
    text = "Mr. Smith went home. He sat down. The cat ran away again. It was late."
    return {
        "unigram_tagger": lambda: UnigramTagger(train, backoff=DefaultTagger("NN")),
        "bigram_tagger": lambda: BigramTagger(train),
        "regexp_tokenizer": lambda: RegexpTokenizer(r"\w+"),
        "regexp_tokenizer_flags": lambda: RegexpTokenizer(r"\w+ # word", gaps=False,
                                                          flags=re.IGNORECASE | re.VERBOSE | re.ASCII),
        "treebank_tokenizer": lambda: TreebankWordTokenizer(),
        "punkt": lambda: PunktSentenceTokenizer(text),
        "freqdist": lambda: nltk.FreqDist("the cat sat on the mat".split()),
        "cond_freqdist": lambda: nltk.ConditionalFreqDist([("a", "x"), ("a", "y"), ("b", "x")]),
        "tree": lambda: nltk.Tree.fromstring("(S (NP (DT the) (NN cat)) (VP (VBD sat)))"),
        "naive_bayes": lambda: nltk.NaiveBayesClassifier.train(
            [({"w": "a"}, "x"), ({"w": "b"}, "y"), ({"w": "a"}, "x")]),
    }


def _gensim():
    from gensim.corpora import Dictionary
    from gensim.models import Doc2Vec, LdaModel, Word2Vec
    from gensim.models.doc2vec import TaggedDocument
    docs = [["cat", "sat", "mat"], ["dog", "ran", "far"], ["cat", "dog", "play"]] * 3
    kw = dict(vector_size=4, min_count=1, epochs=1, workers=1, seed=0)
    return {
        "dictionary": lambda: Dictionary(docs),
        "word2vec": lambda: Word2Vec(docs, **kw),
        "keyedvectors": lambda: Word2Vec(docs, **kw).wv,
        "doc2vec": lambda: Doc2Vec([TaggedDocument(d, [i]) for i, d in enumerate(docs)], **kw),
        "lda": lambda: _lda(Dictionary(docs), docs, LdaModel),
    }


def _lda(dic, docs, LdaModel):
    return LdaModel([dic.doc2bow(d) for d in docs], id2word=dic, num_topics=2, passes=1, random_state=0)


def _astropy():
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.table import QTable, Table
    from astropy.time import Time
    from astropy.wcs import WCS

    def wcs():
        w = WCS(naxis=2)
        w.wcs.crpix = [10, 10]
        w.wcs.cdelt = [-0.01, 0.01]
        w.wcs.crval = [150.0, 2.0]
        w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
        return w
    return {
        "quantity": lambda: np.arange(4.0) * u.m / u.s,
        "unit": lambda: u.km / u.s ** 2,
        "units_list": lambda: [u.m, u.Jy, u.deg, u.dimensionless_unscaled, u.mag, u.dex],
        "table": lambda: Table({"a": [1, 2], "b": ["x", "y"]}, meta={"k": 1}),
        "qtable": lambda: QTable({"d": [1.0, 2.0] * u.pc, "t": Time([50000.0, 50001.0], format="mjd")}),
        "time": lambda: Time(["2020-01-01T00:00:00", "2021-06-01T12:00:00"], scale="utc"),
        "skycoord": lambda: SkyCoord(ra=[10.0, 11.0] * u.deg, dec=[41.0, 42.0] * u.deg, frame="icrs"),
        "wcs": wcs,
    }


GROUPS = {"xgboost": _xgboost, "statsmodels": _statsmodels, "imblearn": _imblearn,
          "networkx": _networkx, "skimage": _skimage, "nltk": _nltk, "gensim": _gensim,
          "astropy": _astropy}


# Objects whose pickles name a class the walk finds dangerous (the verdict is intended,
# spec/SAFETY.md section 10): harvested, so that the header lists them, but not in the
# benign corpus, which must be safe.
FLAGGED = {
    "astropy_wcs": "astropy.wcs.wcs.WCS(header) opens the file a path names",
    "gensim_doc2vec": "gensim's Doc2Vec(corpus_file=...) opens and trains on that file",
}


def installed():
    """The libraries of LIBS installed here."""
    return [lib for lib, pkgs in LIBS.items() if all(importlib.util.find_spec(p) for p in pkgs)]


def libs_objects(libs=None, flagged=False):
    """[(name, factory)] of the objects of the installed libraries, sorted by name; those
    of FLAGGED only when `flagged`."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib in installed():
            if libs is not None and lib not in libs:
                continue
            for name, f in GROUPS[lib]().items():
                if flagged or "%s_%s" % (lib, name) not in FLAGGED:
                    out["%s_%s" % (lib, name)] = f
    return sorted(out.items())
