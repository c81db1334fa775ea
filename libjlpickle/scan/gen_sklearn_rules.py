#!/usr/bin/python3
"""Print the scikit-learn classes the scan treats as safe, as the JLP_RULE lines of
libjlpickle/scan/rules_builtin.h (merged there with the other hand-made rules, in sorted
order).

Every class defined in scikit-learn's own modules is listed (estimators, the fitted
state they hold: sklearn.tree._tree.Tree, loss, link, kernel, distance-metric and
KD/ball-tree classes), except those of sklearn.datasets (downloaders), test helpers
and vendored code. Functions are not listed: a pickle that names a scikit-learn
function stays "suspicious" unless a --policy file says otherwise.

    /usr/bin/python3 libjlpickle/scan/gen_sklearn_rules.py
"""
import importlib
import inspect
import pkgutil
import warnings

import sklearn

SKIP = ("sklearn.datasets", "sklearn.externals", "sklearn._build_utils",
        "sklearn.utils._testing", "sklearn.utils._show_versions", "sklearn.conftest")


def main():
    warnings.filterwarnings("ignore")
    names = set()
    for info in pkgutil.walk_packages(sklearn.__path__, "sklearn."):
        mod = info.name
        if ".tests" in mod or mod.startswith(SKIP) or mod.endswith("conftest"):
            continue
        try:
            m = importlib.import_module(mod)
        except Exception:  # optional dependencies missing: not listed
            continue
        for value in vars(m).values():
            if inspect.isclass(value) and getattr(value, "__module__", None) == mod:
                names.add((mod, value.__qualname__))
    print("/* scikit-learn %s */" % sklearn.__version__)
    for mod, name in sorted(names):
        print('JLP_RULE(SAFE, "%s", "%s", "scikit-learn class")' % (mod, name))


if __name__ == "__main__":
    main()
