#!/usr/bin/python3
"""Write libjlpickle/scan/rules_gen.h: the generated safety rules of the scan.

    /usr/bin/python3 libjlpickle/scan/gen_rules.py > libjlpickle/scan/rules_gen.h
    /usr/bin/python3 libjlpickle/scan/gen_rules.py --explain FILE   (every rule's path)
    /usr/bin/python3 libjlpickle/scan/gen_rules.py --why MODULE:QUALNAME ...

DANGEROUS rules come from a walk: every module of the installed CPython standard library,
numpy, scipy, scikit-learn, joblib, pandas, pytz, dateutil and numexpr (rulegen/modules.py)
is imported, and every name a pickle can resolve in
it (functions, classes and their methods as dotted qualnames, callable instances) is
judged by a call-flow analysis of the source (rulegen/flow.py, rulegen/judge.py): a name
is dangerous when calling it with caller-chosen arguments (or, for a class, anything a
pickle can make it do: construct, restore state, append, hash, free...) reaches a
primitive that runs programs, runs code, unpickles, imports by name, calls native code,
opens network connections or writes files (rulegen/seeds.py: PRIMITIVES). Importing a
module whose top-level code reaches such a primitive, or any `__main__` module, makes the
whole module dangerous. Reviewed whole-module and single-name seeds are added, and
the generator fails unless the walk alone catches every gadget of seeds.MUST_CATCH.

SAFE rules come from a harvest (rulegen/harvest.py): real instances of every
scikit-learn estimator (fitted on a small data set, alone and in pipelines, column
transformers and grid searches), numpy arrays of every dtype, dtypes, scalars, ufuncs,
random generators, scipy.sparse matrices and pandas objects (rulegen/pandas_objects.py:
DataFrames and Series of every column kind, every Index kind, time scalars, extension
arrays, estimators fitted on DataFrames) are pickled (protocols 0, 1, 2 and 5) and dumped
with joblib, and every global those pickles name is recorded. Each harvested name is
reviewed by the same walk: it is safe only if constructing and restoring it reaches no
primitive; the reason says so, or names the engine rule that narrows it. Every other
class scikit-learn defines (kernels, optimizers, criteria a real model may hold) is
added on the same review, its reason marked "(walked)"; so is every class pandas' own
unpickling helpers may build (rulegen/pandas_rules.py). The compiled (Cython) functions
and the singletons pandas pickles name need a reason a person wrote
(pandas_rules.SAFE_REASONS), as C functions do.

PyTorch is not walked (thousands of modules, most of them native): its rules come from
rulegen/torch_rules.py, a harvest of what torch.load's own reading resolves in real
checkpoints (tensors, parameters, state_dicts, optimizers, whole models; zip and legacy
formats), every name of it reviewed by hand, nn.Module classes whose restoring code is
reviewed, and reviewed torch functions that run code, load or write files.

Everything else is left out: the engine's default verdict for an unknown name is
suspicious. The output is sorted by module then qualname and is deterministic for a
given set of installed packages (named in the header comment).
"""
import argparse
import os
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rulegen import flow, harvest, judge, modules, pandas_rules, seeds, torch_rules  # noqa: E402


def resolve_dotted(modname, qualname):
    m = sys.modules.get(modname)
    if m is None:
        return None
    obj = m
    for part in qualname.split("."):
        obj = obj.__dict__.get(part) if hasattr(obj, "__dict__") and part in obj.__dict__ else getattr(obj, part, None)
        if obj is None:
            return None
    return obj


class Walk:
    def __init__(self, log, extra=(), not_walked=None, blocked=()):
        self.log = log
        names = modules.all_module_names(extra, not_walked)
        self.mods, self.import_effects = modules.import_all(names, log, blocked)
        self.all_names = names
        self.sources = flow.Sources(modules.stdlib_dir())
        prims = {}
        for (mod, qn) in sorted(seeds.PRIMITIVES):
            if (mod, qn) in seeds.PSEUDO_PRIMITIVES:
                continue
            try:
                __import__(mod)
            except ImportError:
                continue
            obj = resolve_dotted(mod, qn)
            if obj is None:
                log("primitive not found here: %s.%s" % (mod, qn))
                continue
            prims[(mod, qn)] = obj
        self.graph = judge.Graph(self.sources, prims)
        self.cut_ids, self.sanitizer_ids = set(), set()
        for table, ids in ((seeds.CUTS, self.cut_ids), (seeds.SANITIZERS, self.sanitizer_ids)):
            for (mod, qn), why in sorted(table.items()):
                obj = resolve_dotted(mod, qn)
                if not isinstance(obj, types.FunctionType):
                    raise SystemExit("gen_rules: reviewed cut %s.%s is not a Python function here" % (mod, qn))
                ids.add(id(obj))
        self.named = {}      # (module, qualname) -> node
        self._collect()
        self.graph.build()
        self._judge()

    def _judge(self):
        """Judge, then link getattr(module, <caller-chosen name>) to the getattr primitive
        for every module that holds a dangerous name, and judge again until stable."""
        g = self.graph
        linked = set()
        while True:
            self.live = judge.Verdicts(g, seeds.CATEGORY_ORDER, self.cut_ids, self.sanitizer_ids)
            by_module = {}
            for (mod, _qn), node in self.named.items():
                if self.live.danger(node):
                    by_module[mod] = True
            more = [n for n in g.edges if n[0] == "G" and n not in linked and by_module.get(n[1])]
            if not more:
                return
            p = g.add(("P", seeds.GETATTR_ON_MODULE))
            g.build()
            for n in more:
                g.edges[n] = [(p, True, "getattr")]
                linked.add(n)

    def _name(self, modname, qualname, node):
        if node is not None:
            self.named[(modname, qualname)] = self.graph.add(node)

    def node_for_value(self, value):
        g = self.graph
        if g.prim_key(value) is not None:
            return g.node_of(value)
        if isinstance(value, type):
            return ("L", value)
        if isinstance(value, (types.FunctionType, types.MethodType)):
            return g.node_of(value)
        if isinstance(value, (types.BuiltinFunctionType, types.ModuleType)):
            return None
        if type(value).__name__ == "partial":
            return g.node_of(value)
        if callable(value) or hasattr(type(value), "__dict__"):
            cls = type(value)
            if cls.__module__ in ("builtins",) or isinstance(value, (int, float, str, bytes)):
                return None
            return ("I", cls)
        return None

    def _collect(self):
        for modname in sorted(self.mods):
            m = self.mods[modname]
            for name in sorted(vars(m)):
                value = vars(m)[name]
                # dunder names only for functions (builtins.__import__); a module's
                # __loader__, __spec__... and dunder classes are the engine's dunder rule
                if name.startswith("__") and name.endswith("__") and not isinstance(
                        value, (types.FunctionType, types.BuiltinFunctionType)):
                    continue
                node = self.node_for_value(value)
                self._name(modname, name, node)
                if isinstance(value, type):
                    self._collect_methods(modname, name, value)

    def _collect_methods(self, modname, name, cls):
        seen = set()
        for k in getattr(cls, "__mro__", ()):
            if k is object:
                continue
            for meth in k.__dict__:
                if meth in seen or (meth.startswith("__") and meth.endswith("__")):
                    continue
                seen.add(meth)
                node = self.graph.method_node(cls, meth)
                self._name(modname, "%s.%s" % (name, meth), node)

    # -- verdicts
    def dangerous(self, modname, qualname):
        node = self.named.get((modname, qualname))
        return node is not None and self.live.danger(node)

    def danger_reason(self, node):
        """Short reason for a dangerous node, or None."""
        if not self.live.danger(node):
            return None
        key = self.live.prim[node]
        cat, why, _ = seeds.PRIMITIVES[key]
        if node[0] == "P":
            return why
        path = self.live.path(node)
        first = path[0] if path else None
        shown = "%s.%s" % key
        short = "%s (reaches %s)" % (seeds.CATEGORIES[cat], shown)
        if first and first != shown and first.split(".")[-1] != key[1].split(".")[-1]:
            longer = "%s (reaches %s via %s)" % (seeds.CATEGORIES[cat], shown, first)
            if len(longer) <= MAX_REASON:
                return longer
        return short

    def module_effects(self):
        """{module: reason} for modules whose import is an effect."""
        out = {}
        for mod, effs in self.import_effects.items():
            effs = [e for e in effs if e[0] in seeds.IMPORT_EFFECT_CATEGORIES]
            if effs and mod in self.all_names:
                cat, event = effs[0][:2]
                out[mod] = "importing it %s (audit event %s)" % (seeds.CATEGORIES[cat], event)
        for mod in self.all_names:
            if mod.split(".")[-1] == "__main__":
                out[mod] = "importing it runs the program"
        return out

    def explain(self, node):
        path = self.live.path(node)
        last = "%s.%s" % self.live.prim[node]
        return " -> ".join(path + ([last] if not path or path[-1] != last else []))


# ---- the safe list -------------------------------------------------------------------------

PKG_WORDS = {"sklearn": "scikit-learn", "numpy": "numpy", "scipy": "scipy", "joblib": "joblib",
             "pandas": "pandas", "pytz": "pytz", "dateutil": "dateutil"}
PY_DATA = ("builtins", "collections", "datetime", "decimal", "fractions", "_decimal", "uuid")


def safe_reason(mod, qn, value, reasons=None):
    """Why a harvested name that the walk did not find dangerous is safe, or None when
    it needs a person's review (a C function nobody has read); `reasons` adds reviewed
    reasons (rulegen/libs_rules.py)."""
    import numpy as np
    if (mod, qn) in seeds.SAFE_REASONS:
        return seeds.SAFE_REASONS[(mod, qn)]
    if reasons and (mod, qn) in reasons:
        return reasons[(mod, qn)]
    if (mod, qn) in pandas_rules.SAFE_REASONS:
        return pandas_rules.SAFE_REASONS[(mod, qn)]
    pkg = PKG_WORDS.get(mod.split(".")[0], "python" if mod in PY_DATA else mod.split(".")[0])
    if qn.startswith("__pyx_unpickle_"):
        return "cython unpickle helper of %s (the engine checks it builds its own module's class)" % qn[15:]
    if qn == "newObj":
        return "cython helper that calls a class's __new__ (the engine checks it is its own module's class)"
    if isinstance(value, np.ufunc):
        return "numpy ufunc: elementwise arithmetic"
    if isinstance(value, type):
        if issubclass(value, np.generic):
            return "numpy scalar type"
        kind = "class"
        if mod.startswith("sklearn"):
            from sklearn.base import BaseEstimator
            kind = "estimator" if issubclass(value, BaseEstimator) else "class"
        elif mod.startswith("scipy.sparse"):
            kind = "sparse matrix class"
        elif mod in PY_DATA:
            kind = "data type"
        return "%s %s: building and restoring it reach no dangerous call" % (pkg, kind)
    if isinstance(value, types.FunctionType):
        return "%s function: calling it reaches no dangerous call" % pkg
    if type(value).__name__ == "cython_function_or_method":
        return None  # compiled: the walk cannot read it, a person must
    if callable(value) and not isinstance(value, (types.BuiltinFunctionType, types.BuiltinMethodType)):
        return "%s object: using it reaches no dangerous call" % pkg
    return None


def review_safe(walk, harvested, log, reasons=None):
    """(safe rules, dangerous rules, problems) from the harvest."""
    safe, dangerous, problems = {}, {}, []
    nodes = {}
    for (mod, qn) in sorted(harvested):
        value = resolve_dotted(mod, qn)
        node = walk.named.get((mod, qn)) or (walk.node_for_value(value) if value is not None else None)
        if node is not None:
            nodes[(mod, qn)] = walk.graph.add(node)
    walk.graph.build()
    walk._judge()
    for (mod, qn), where in sorted(harvested.items()):
        value = resolve_dotted(mod, qn)
        if value is None:
            problems.append("%s.%s: named by %s but not found" % (mod, qn, where[0]))
            continue
        node = nodes.get((mod, qn))
        if (mod, qn) in seeds.ENGINE_RULED:
            dangerous[(mod, qn)] = seeds.ENGINE_RULED[(mod, qn)]
            continue
        if node is not None and walk.live.danger(node):
            path = walk.explain(node)
            ruled = [why for fn, why in seeds.ENGINE_RULED_PATHS.items() if fn in path.split(" -> ")]
            if ruled:
                dangerous[(mod, qn)] = ruled[0]
                continue
        if node is not None and walk.live.danger(node):
            problems.append("%s.%s: named by %s, but the walk finds it dangerous: %s" % (
                mod, qn, where[0], walk.explain(node)))
            continue
        if (mod, qn) in seeds.NEVER_SAFE:
            problems.append("%s.%s: named by %s, but reviewed never safe: %s" % (
                mod, qn, where[0], seeds.NEVER_SAFE[(mod, qn)]))
            continue
        covering = module_seed_of(mod)
        if covering:
            problems.append("%s.%s: named by %s, but module seed %s covers it" % (mod, qn, where[0], covering))
            continue
        why = safe_reason(mod, qn, value, reasons)
        if why is None:
            problems.append("%s.%s: named by %s: a C function without a reviewed reason" % (mod, qn, where[0]))
            continue
        safe[(mod, qn)] = why
    return safe, dangerous, problems


# scikit-learn modules whose classes are never model state
SKLEARN_NOT_STATE = ("sklearn.datasets", "sklearn.externals", "sklearn._build_utils",
                     "sklearn.utils._testing", "sklearn.utils._show_versions",
                     "sklearn.conftest", "sklearn.experimental")


def walked_sklearn_classes(walk, taken):
    """Every class scikit-learn defines (not only those the harvest saw in a pickle: real
    models hold kernels, optimizers and criteria the small corpus does not fit) whose
    building and restoring reach no primitive at all, not even with constant arguments
    (Parallel, which starts worker processes with a fixed command, stays out), as SAFE
    rules."""
    strict = judge.Verdicts(walk.graph, seeds.CATEGORY_ORDER, walk.cut_ids, walk.sanitizer_ids,
                            live_only=False)
    out = {}
    for (mod, qn), node in walk.named.items():
        if not mod.startswith("sklearn.") or "." in qn or (mod, qn) in taken \
                or (mod, qn) in seeds.NEVER_SAFE:
            continue
        if ".tests" in mod or mod.startswith(SKLEARN_NOT_STATE) or module_seed_of(mod):
            continue
        value = walk.mods[mod].__dict__.get(qn)
        if not isinstance(value, type) or value.__module__ != mod or value.__qualname__ != qn:
            continue
        if node[0] != "L" or walk.live.danger(node) or strict.danger(node):
            continue
        out[(mod, qn)] = "scikit-learn class: building and restoring it reach no dangerous call (walked)"
    return out


def walked_pandas_classes(walk, taken, log):
    """The classes pandas' unpickling helpers may build (rulegen/pandas_rules.py: every
    pandas Index class and ndarray-backed array class, not only those the harvest saw)
    whose building and restoring the walk finds harmless, as SAFE rules; and the classes
    pandas 2.x pickles name that this pandas lacks, with their reviewed reasons."""
    try:
        roles, problems = pandas_rules.role_classes()
    except ImportError:
        log("pandas not installed: no pandas classes")
        return {}, []
    out = {}
    for (mod, qn), (_role, why) in pandas_rules.PANDAS2.items():
        if resolve_dotted(mod, qn) is None and (mod, qn) not in taken:
            out[(mod, qn)] = why
    for (mod, qn) in sorted({k for v in roles.values() for k in v}):
        node = walk.named.get((mod, qn))
        if (mod, qn) in taken or (mod, qn) in out or node is None or walk.live.danger(node):
            continue
        out[(mod, qn)] = "pandas class: building and restoring it reach no dangerous call (walked)"
    return out, problems


def module_seed_of(mod):
    parts = mod.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in seeds.MODULE_SEEDS:
            return ".".join(parts[:i])
    return None


# ---- output ------------------------------------------------------------------------------------

MAX_REASON = 150


def check_reason(mod, qn, why):
    if not why or len(why) > MAX_REASON or why.endswith(".") or why[0].isupper():
        raise SystemExit("gen_rules: reason of %s:%s must be short lower-case English without "
                         "a trailing period: %r" % (mod, qn, why))


def c_string(s):
    if any(c in s for c in '"\\') or not s.isascii() or not s.isprintable():
        raise SystemExit("gen_rules: cannot write %r as a plain C string" % s)
    return '"%s"' % s


def walked_dangerous(walk, in_scope=lambda mod: True):
    """(rules, covered): the DANGEROUS rules of the modules in_scope(module) is true of
    (module effects and module seeds as MODULE.*, name seeds, every name the walk finds
    dangerous outside those), and covered(module), whether a MODULE.* rule covers it."""
    rules = {}          # (module, qualname) -> (verdict, reason)
    wild = {}
    for mod, why in walk.module_effects().items():
        if in_scope(mod):
            wild[mod] = why
    for mod, why in seeds.MODULE_SEEDS.items():
        if in_scope(mod):
            wild.setdefault(mod, why)
    for (mod, qn), why in seeds.NAME_SEEDS.items():
        if not in_scope(mod):
            continue
        if qn == "*":
            wild.setdefault(mod, why)
        else:
            rules[(mod, qn)] = ("DANGEROUS", why)
    for mod, why in wild.items():
        rules[(mod, "*")] = ("DANGEROUS", why)

    def covered(mod):
        parts = mod.split(".")
        return any(".".join(parts[:i]) in wild for i in range(1, len(parts) + 1))

    for (mod, qn), node in walk.named.items():
        if in_scope(mod) and walk.live.danger(node) and not covered(mod):
            rules.setdefault((mod, qn), ("DANGEROUS", walk.danger_reason(node)))
    return rules, covered


def build_rules(walk, harvested, log):
    rules, _covered = walked_dangerous(walk)
    safe, dangerous, problems = review_safe(walk, harvested, log)
    for k, why in dangerous.items():
        rules[k] = ("DANGEROUS", why)
    for k, why in safe.items():
        if k in rules:
            problems.append("%s.%s: harvested safe but also a dangerous rule: %s" % (k[0], k[1], rules[k][1]))
            continue
        rules[k] = ("SAFE", why)
    for k, why in walked_sklearn_classes(walk, set(rules)).items():
        rules[k] = ("SAFE", why)
    pd_safe, more = walked_pandas_classes(walk, set(rules), log)
    problems += more
    for k, why in pd_safe.items():
        rules[k] = ("SAFE", why)
    torch_rules_, more = torch_rules.rules(log)
    problems += more
    for k, (verdict, why) in sorted(torch_rules_.items()):
        if k in rules and rules[k][0] != verdict:
            problems.append("%s.%s: torch review says %s but the walk or seeds say %s: %s" % (
                k[0], k[1], verdict, rules[k][0], rules[k][1]))
            continue
        rules[k] = (verdict, why)
    return rules, problems


def check_must_catch(walk):
    missed = [("%s.%s" % k) for k in seeds.MUST_CATCH if not walk.dangerous(*k)]
    return ["the walk does not find %s dangerous" % m for m in missed]


def versions():
    import joblib
    import numpy
    import scipy
    import sklearn
    import torch
    try:
        import pandas
        pd = ", pandas %s" % pandas.__version__
    except ImportError:
        pd = ""
    return "CPython %s, numpy %s, scipy %s, scikit-learn %s, joblib %s%s; torch %s reviewed" % (
        sys.version.split()[0], numpy.__version__, scipy.__version__, sklearn.__version__,
        joblib.__version__, pd, torch.__version__.split("+")[0])


def write_header(out, rules):
    n_d = sum(1 for v, _ in rules.values() if v == "DANGEROUS")
    n_s = sum(1 for v, _ in rules.values() if v == "SAFE")
    n_q = len(rules) - n_d - n_s
    out.write("/* rules_gen.h - generated by libjlpickle/scan/gen_rules.py; do not edit.\n"
              " *\n"
              " * Walked: %s.\n"
              " * %d rules: %d dangerous (the walk, import effects and reviewed seeds),\n"
              " * %d safe (names real scikit-learn, numpy, scipy, pandas and torch files use, reviewed),\n"
              " * %d suspicious (reviewed: used by real files, not safe in every reading).\n"
              " * JLP_RULE(VERDICT, module, qualname, reason), sorted by module then qualname\n"
              " * (byte order); qualname \"*\" covers the module and its submodules. */\n"
              % (versions(), len(rules), n_d, n_s, n_q))
    for (mod, qn) in sorted(rules, key=lambda k: (k[0].encode(), k[1].encode())):
        verdict, why = rules[(mod, qn)]
        check_reason(mod, qn, why)
        out.write("JLP_RULE(%s, %s, %s, %s)\n" % (verdict, c_string(mod), c_string(qn), c_string(why)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("-o", "--output", metavar="FILE", help="write the header here (default stdout)")
    ap.add_argument("--explain", metavar="FILE", help="also write every dangerous name's call path")
    ap.add_argument("--why", nargs="*", metavar="MODULE:QUALNAME", help="print the judgement of names")
    ap.add_argument("--log", metavar="FILE", help="write the walk's log (modules not imported...)")
    args = ap.parse_args()
    logs = []
    with tempfile.TemporaryDirectory() as tmp:
        # the working directory is a throwaway one: some modules look at it on import
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            walk = Walk(logs.append)
            if args.why:
                for spec in args.why:
                    mod, _, qn = spec.partition(":")
                    node = walk.named.get((mod, qn))
                    print(spec, "->", walk.danger_reason(node) if node else "not a walked name",
                          "|", walk.explain(node) if node and walk.live.danger(node) else "")
                return
            harvested = harvest.harvest(logs.append)
        finally:
            os.chdir(cwd)
    problems = check_must_catch(walk)
    rules, more = build_rules(walk, harvested, logs.append)
    problems += more
    if args.log:
        with open(args.log, "w") as f:
            f.write("\n".join(logs) + "\n")
    if args.explain:
        with open(args.explain, "w") as f:
            for (mod, qn), node in sorted(walk.named.items()):
                if walk.live.danger(node):
                    f.write("%s:%s\t%s\n" % (mod, qn, walk.explain(node)))
            for (mod, qn), where in sorted(harvested.items()):
                f.write("harvested %s:%s\tnamed by %s\n" % (mod, qn, ", ".join(where[:5])))
    if problems:
        for p in problems:
            print("gen_rules: " + p, file=sys.stderr)
        raise SystemExit("gen_rules: %d problems; no header written" % len(problems))
    out = open(args.output, "w") if args.output else sys.stdout
    write_header(out, rules)
    if args.output:
        out.close()
    print("gen_rules: %d modules walked, %d names judged, %d rules" % (
        len(walk.mods), len(walk.named), len(rules)), file=sys.stderr)


if __name__ == "__main__":
    main()
    # every module is imported: some leave threads or exit handlers (process pools,
    # resource trackers) that would keep the interpreter alive for minutes
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
