#!/usr/bin/python3
"""Write the benign corpus: real scikit-learn, numpy and scipy objects as people save them.

    /usr/bin/python3 tests/safety/gen_benign.py OUTDIR [--all] [--sample N] [--seed S]
                                                [--only NAME...] [--formats F,...]

Every object of libjlpickle/scan/rulegen/instances.py (the same objects the safe list
is harvested from): every scikit-learn estimator of all_estimators() that can be fitted
on a small data set, alone and inside a Pipeline, a ColumnTransformer and a
GridSearchCV; the models once reported as false alarms (HistGradientBoosting, KNeighbors with
kd_tree, GridSearchCV, FunctionTransformer(np.log1p)...) and common parameter values
(ufuncs, dtypes, scorers, scipy distributions); numpy arrays of every dtype, scalars,
dtypes, RandomState and Generators; scipy.sparse matrices and arrays; plain data; pandas
DataFrames, Series, Index kinds, time scalars, extension arrays and estimators fitted on
DataFrames (rulegen/pandas_objects.py, when pandas is installed).

PyTorch tensors, parameters, state_dicts, optimizer states and whole models (the
objects of libjlpickle/scan/rulegen/torch_rules.py) are written with torch.save in the
zip and the legacy format and with pickle protocol 5 (NAME.pt, NAME.legacy.pt,
NAME.p5.pkl).

Every other object is written in eight forms: joblib.dump with compress 0, 3 (zlib), lz4
and xz, and pickle.dumps with protocols 0, 1, 2 and 5 (NAME.c0.joblib, NAME.z3.joblib,
NAME.lz4.joblib, NAME.xz.joblib, NAME.p0.pkl, NAME.p1.pkl, NAME.p2.pkl, NAME.p5.pkl);
an object that copyreg's protocol 0/1 reduction refuses is written in the other six.
The scan must call every file safe.

Without --all, a sample is written: those reported models, plus N (default 40)
others drawn with seed S (default: from the clock, printed, so a failing run can be
replayed with --seed). `make safety-campaign` writes --all.
"""
import argparse
import fnmatch
import os
import pickle
import random
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "libjlpickle", "scan"))

from rulegen import instances  # noqa: E402

# PyTorch objects (rulegen/torch_rules.py: the ones its harvest reads) are written as
# people save them: torch.save (zip and legacy formats) and pickle protocol 5.
TORCH_FORMATS = {
    "pt": ("torch", True),
    "legacy.pt": ("torch", False),
    "p5.pkl": ("pickle", 5),
}

FORMATS = {
    "c0.joblib": ("joblib", 0),
    "z3.joblib": ("joblib", 3),
    "lz4.joblib": ("joblib", "lz4"),
    "xz.joblib": ("joblib", "xz"),
    "p0.pkl": ("pickle", 0),
    "p1.pkl": ("pickle", 1),
    "p2.pkl": ("pickle", 2),
    "p5.pkl": ("pickle", 5),
}

# The models once reported as false alarms: always in the sample.
ALWAYS = ("est_HistGradientBoostingClassifier", "model_hgb_classifier", "model_knn_kd_tree",
          "model_grid_svc", "model_function_transformer_log1p", "est_GridSearchCV",
          "model_randomized_loguniform", "array_O_le", "random_state", "sparse_csr_matrix_f8",
          "pandas_frame_datetimes", "pandas_sk_column_transformer_names")


def torch_objects():
    """[(name, factory)] of the torch objects, or [] without torch."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return []
    from rulegen import torch_rules
    return [("torch_" + n, f) for n, f in torch_rules.torch_objects()]


def libs_objects():
    """[(name, factory)] of the other libraries' objects (rulegen/libs_objects.py) that
    are installed here."""
    from rulegen import libs_objects as lo
    return lo.libs_objects()


def write(obj, path, how, arg):
    import joblib
    if how == "torch":
        import torch
        torch.save(obj, path, _use_new_zipfile_serialization=arg)
    elif how == "joblib":
        joblib.dump(obj, path, compress=arg)
    else:
        with open(path, "wb") as f:
            pickle.dump(obj, f, protocol=arg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--all", action="store_true", help="every object")
    ap.add_argument("--sample", type=int, default=40)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--only", nargs="*", help="these objects only (fnmatch patterns: 'pandas_*')")
    ap.add_argument("--formats", help="comma-separated subset of " + ",".join(FORMATS))
    args = ap.parse_args()
    objects = instances.benign_objects() + torch_objects() + libs_objects()
    names = [n for n, _ in objects]
    if args.only:
        unknown = sorted(p for p in args.only if not fnmatch.filter(names, p))
        if unknown:
            sys.exit("gen_benign: unknown objects: " + " ".join(unknown))
        chosen = {n for n in names if any(fnmatch.fnmatchcase(n, p) for p in args.only)}
    elif args.all:
        chosen = set(names)
    else:
        seed = args.seed if args.seed is not None else int(time.time())
        print("gen_benign: sample seed %d" % seed)
        rest = [n for n in names if n not in ALWAYS]
        chosen = set(ALWAYS) | set(random.Random(seed).sample(rest, min(args.sample, len(rest))))
    formats = args.formats.split(",") if args.formats else list(FORMATS)
    os.makedirs(args.outdir, exist_ok=True)
    written = skipped = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, factory in objects:
            if name not in chosen:
                continue
            try:
                obj = factory()
            except instances.Unbuildable as e:
                skipped += 1
                print("gen_benign: %s not built: %s" % (name, e))
                continue
            table = TORCH_FORMATS if name.startswith("torch_") else FORMATS
            for fmt in formats if not name.startswith("torch_") else list(TORCH_FORMATS):
                how, arg = table[fmt]
                path = os.path.join(args.outdir, "%s.%s" % (name, fmt))
                try:
                    write(obj, path, how, arg)
                except (TypeError, pickle.PicklingError) as e:
                    if how != "pickle" or arg >= 2:
                        raise
                    # copyreg's protocol 0/1 reduction refuses some objects (__slots__
                    # without __getstate__, objects of C types without __reduce__)
                    os.unlink(path)
                    print("gen_benign: %s not picklable with protocol %d: %s" % (name, arg, e))
                    continue
                written += 1
    print("gen_benign: %d files of %d objects (%d not buildable)" % (
        written, len(chosen) - skipped, skipped))


if __name__ == "__main__":
    main()
