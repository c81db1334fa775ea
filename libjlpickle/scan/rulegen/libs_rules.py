"""The rules for other libraries' models and data: xgboost, statsmodels (and patsy),
imbalanced-learn, networkx, scikit-image, nltk, gensim and astropy.

The same walk as rules_gen.h's (rulegen/flow.py, rulegen/judge.py, the same primitives
and seeds) also imports every module of these packages (their test suites left out:
NOT_WALKED) and judges every name in them; the harvest pickles the objects of
rulegen/libs_objects.py (what users of these libraries save) and records every global
their pickles name. gen_libs_rules.py writes rules_libs_gen.h from that:

- DANGEROUS: every name of these packages the walk finds dangerous, and every module of
  theirs whose import has an effect;
- SAFE: every harvested name the walk finds harmless (in any package: the names of the
  standard library these pickles use too, unless rules_gen.h already judges them), and
  every class these packages define whose building and restoring reach no primitive at
  all, not even with constant arguments (as walked_sklearn_classes does for
  scikit-learn: real models hold classes the small corpus does not build);
- harvested names the walk finds dangerous are not safe: they are listed in the
  header's comment with the walk's path, and the files that name them stay flagged.

A compiled name (C or Cython) the walk cannot read is safe only with a reason a person
wrote after reading its source (SAFE_REASONS), as for pandas.
"""
from .libs_objects import LIBS

PACKAGES = tuple(sorted({p for pkgs in LIBS.values() for p in pkgs}))

# module name components that mark a test suite or test helper: not walked (their names
# are in no rule, a pickle that names one is suspicious)
TEST_PARTS = ("tests", "test", "testing", "conftest", "_testing")


def not_walked(name):
    """Whether the walk leaves the module `name` of PACKAGES out."""
    return any(part in TEST_PARTS for part in name.split(".")[1:])


def in_packages(mod):
    return mod.split(".")[0] in PACKAGES


# (module, name) -> why it is safe; compiled names only, each read in its source
R_FLAG = "a member of re's RegexFlag enum (an int flag), looked up by getattr, never called"
SAFE_REASONS = {
    ("builtins", "hash"): "hashes its argument (the object's own __hash__, judged where the pickle builds it)",
    ("_operator", "or_"):
        "the | operator: Python's enum pickles a combination of flags as or_ of its members "
        "(the operands are judged where the pickle builds them)",
    ("re", "RegexFlag.ASCII"): R_FLAG,
    ("re", "RegexFlag.DOTALL"): R_FLAG,
    ("re", "RegexFlag.IGNORECASE"): R_FLAG,
    ("re", "RegexFlag.MULTILINE"): R_FLAG,
    ("re", "RegexFlag.UNICODE"): R_FLAG,
    ("re", "RegexFlag.VERBOSE"): R_FLAG,
}

# Functions that are not dangerous at all although the walk sees them reach a primitive
# (added to seeds.SANITIZERS for this walk): each was read, not guessed.
SANITIZERS = {
    ("astropy.table.column", "_convert_sequence_data_to_array"):
        "evals 'any(... d0 is ma_masked for d0 in data)', text built only from its own "
        "words and range(ndim): the data is iterated and compared by identity, never evaluated",
}


R_OPEN_FILE = ("opens the path or file it is given (networkx's open_file decorator, code the walk "
               "cannot follow): reads, writes or unpickles it")


def open_file_functions(mods):
    """{(module, name): reason} of networkx's functions wrapped by its open_file decorator
    (read_gpickle, write_graphml...): networkx's argmap compiles the wrapper at the first
    call, so the walk sees neither the wrapper nor the open; each is dangerous here."""
    out = {}
    for mod, m in mods.items():
        if not mod.startswith("networkx"):
            continue
        for name, value in vars(m).items():
            amap = getattr(value, "__argmap__", None) if callable(value) else None
            func = getattr(amap, "_func", None)
            if func is not None and getattr(func, "__qualname__", "") == "open_file.<locals>._open_file":
                out[(mod, name)] = R_OPEN_FILE
    return out
