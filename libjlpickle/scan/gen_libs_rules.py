#!/usr/bin/python3
"""Write libjlpickle/scan/rules_libs_gen.h: the rules for other libraries' models and data.

    /usr/bin/python3 libjlpickle/scan/gen_libs_rules.py -o libjlpickle/scan/rules_libs_gen.h
    /usr/bin/python3 libjlpickle/scan/gen_libs_rules.py --why MODULE:QUALNAME ...

The libraries are those of rulegen/libs_objects.py LIBS (xgboost, statsmodels and patsy,
imbalanced-learn, networkx, scikit-image, nltk, gensim, astropy: Debian's python3-*
packages); what the rules are and how they are found is rulegen/libs_rules.py's
docstring. The walk is gen_rules.py's, over the standard library, numpy, scipy,
scikit-learn, joblib, pandas and these packages; the header holds only the rules of
these packages and the harvested names rules_gen.h does not judge, so the engine reads
it as a third table beside rules_gen.h (policy.c) and either can be regenerated alone.
The script fails when a library of LIBS is not installed or a harvested compiled name
has no reviewed reason.
"""
import argparse
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_rules  # noqa: E402
from rulegen import harvest, judge, libs_objects, libs_rules, seeds  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def existing_rules():
    """{(module, qualname): verdict} of rules_gen.h."""
    out = {}
    pat = re.compile(r'^JLP_RULE\((\w+), "([^"]*)", "([^"]*)",')
    with open(os.path.join(HERE, "rules_gen.h")) as f:
        for line in f:
            m = pat.match(line)
            if m:
                out[(m.group(2), m.group(3))] = m.group(1)
    return out


def native_modules(walk):
    """The modules of the packages that hold a ctypes library (xgboost's _LIB): the walk
    cannot follow their calls into it."""
    import ctypes
    return {mod for mod, m in walk.mods.items() if libs_rules.in_packages(mod)
            and any(isinstance(v, ctypes.CDLL) for v in vars(m).values())}


def walked_classes(walk, taken, native):
    """Every class the packages define whose building and restoring reach no primitive,
    live or not, as SAFE rules; none of a module in `native` (only harvested ones)."""
    strict = judge.Verdicts(walk.graph, seeds.CATEGORY_ORDER, walk.cut_ids, walk.sanitizer_ids,
                            live_only=False)
    out = {}
    for (mod, qn), node in walk.named.items():
        if not libs_rules.in_packages(mod) or "." in qn or (mod, qn) in taken or mod in native \
                or (mod, qn) in seeds.NEVER_SAFE or gen_rules.module_seed_of(mod):
            continue
        value = walk.mods[mod].__dict__.get(qn)
        if not isinstance(value, type) or value.__module__ != mod or value.__qualname__ != qn:
            continue
        if node[0] != "L" or walk.live.danger(node) or strict.danger(node):
            continue
        out[(mod, qn)] = "%s class: building and restoring it reach no dangerous call (walked)" % mod.split(".")[0]
    return out


R_NATIVE = ("%s class: restoring it reaches no dangerous call; its module calls native code through "
            "ctypes (the engine checks it is built without arguments)")


def build_rules(walk, harvested, existing, log):
    """(rules, flagged, native classes, problems): the header's rules, the harvested names
    that stay flagged {(module, qualname): the walk's path}, the safe classes of modules
    that call native code through ctypes, and what stops the header."""
    native = native_modules(walk)
    native_classes = set()
    rules, covered = gen_rules.walked_dangerous(walk, libs_rules.in_packages)
    for k, why in libs_rules.open_file_functions(walk.mods).items():
        if not covered(k[0]):
            rules[k] = ("DANGEROUS", why)
    safe, dangerous, problems = gen_rules.review_safe(walk, harvested, log, libs_rules.SAFE_REASONS)
    flagged, keep = {}, []
    marker = ", but the walk finds it dangerous: "
    for p in problems:
        # a harvested name the walk finds dangerous stays flagged: that is the finding
        if marker in p:
            flagged[p.split(":")[0]] = p.split(marker, 1)[1]
        else:
            keep.append(p)
    for k, why in dangerous.items():
        if libs_rules.in_packages(k[0]) or k not in existing:
            rules[k] = ("DANGEROUS", why)
    for k, why in safe.items():
        if existing.get(k) == "SAFE":
            continue
        if k in existing:
            keep.append("%s.%s: harvested safe but rules_gen.h says %s" % (k[0], k[1], existing[k]))
            continue
        if k in rules:
            keep.append("%s.%s: harvested safe but also a dangerous rule: %s" % (k[0], k[1], rules[k][1]))
            continue
        if k[0] in native:
            if not isinstance(gen_rules.resolve_dotted(*k), type):
                keep.append("%s.%s: harvested in a module that calls native code through ctypes, "
                            "and not a class" % k)
                continue
            why = R_NATIVE % k[0].split(".")[0]
            native_classes.add(k)
        rules[k] = ("SAFE", why)
    for k, why in walked_classes(walk, set(rules), native).items():
        rules[k] = ("SAFE", why)
    return rules, flagged, sorted(native_classes), keep


def versions():
    out = []
    for lib in libs_objects.LIBS:
        for pkg in libs_objects.LIBS[lib]:
            m = __import__(pkg)
            out.append("%s %s" % (pkg, getattr(m, "__version__", "?")))
    return ", ".join(out)


def write_header(out, rules, flagged, n_harvested):
    n_d = sum(1 for v, _ in rules.values() if v == "DANGEROUS")
    n_s = len(rules) - n_d
    out.write("/* rules_libs_gen.h - generated by libjlpickle/scan/gen_libs_rules.py; do not edit.\n"
              " *\n"
              " * Walked with rules_gen.h's walk: %s.\n"
              " * %d rules: %d dangerous (the walk and import effects in these packages),\n"
              " * %d safe (of %d names the harvested pickles of rulegen/libs_objects.py name, and the\n"
              " * classes of these packages the walk finds harmless).\n"
              % (versions(), len(rules), n_d, n_s, n_harvested))
    if flagged:
        out.write(" * Harvested but not safe (the walk's path; files naming them stay flagged):\n")
        for name in sorted(flagged):
            out.write(" *   %s: %s\n" % (name, flagged[name].replace("*/", "* /")))
    out.write(" * JLP_RULE(VERDICT, module, qualname, reason), sorted by module then qualname\n"
              " * (byte order); qualname \"*\" covers the module and its submodules. */\n")
    for (mod, qn) in sorted(rules, key=lambda k: (k[0].encode(), k[1].encode())):
        verdict, why = rules[(mod, qn)]
        # a path through an instance the flow knows only by its class names it by repr,
        # an address that changes from run to run: the reason leaves the path out there
        why = re.sub(r" via [^()]* object at 0x[0-9a-f]+>", "", why)
        gen_rules.check_reason(mod, qn, why)
        out.write("JLP_RULE(%s, %s, %s, %s)\n" % (verdict, gen_rules.c_string(mod), gen_rules.c_string(qn),
                                                  gen_rules.c_string(why)))


def write_native(out, native):
    out.write("/* rules_libs_native_gen.h - generated by libjlpickle/scan/gen_libs_rules.py; do not edit.\n"
              " *\n"
              " * The safe classes (rules_libs_gen.h) of modules that call native code through ctypes,\n"
              " * which the rule walk cannot follow: pickles build them without arguments and restore\n"
              " * their state; called with arguments they are suspicious (spec/SAFETY.md S-40).\n"
              " * JLP_NATIVE_CLASS(module, qualname), sorted. */\n")
    for mod, qn in sorted(native, key=lambda k: (k[0].encode(), k[1].encode())):
        out.write("JLP_NATIVE_CLASS(%s, %s)\n" % (gen_rules.c_string(mod), gen_rules.c_string(qn)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("-o", "--output", metavar="FILE",
                    help="the header (rules_libs_native_gen.h is written beside it)")
    ap.add_argument("--why", nargs="*", metavar="MODULE:QUALNAME")
    ap.add_argument("--log", metavar="FILE")
    args = ap.parse_args()
    missing = [lib for lib in libs_objects.LIBS if lib not in libs_objects.installed()]
    if missing:
        raise SystemExit("gen_libs_rules: not installed: %s" % " ".join(missing))
    logs = []
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            seeds.SANITIZERS.update(libs_rules.SANITIZERS)
            # pytest stays importable (modules.import_all): statsmodels' `test` objects run
            # it and are dangerous by that path
            walk = gen_rules.Walk(logs.append, libs_rules.PACKAGES, libs_rules.not_walked)
            if args.why:
                for spec in args.why:
                    mod, _, qn = spec.partition(":")
                    node = walk.named.get((mod, qn))
                    print(spec, "->", walk.danger_reason(node) if node else "not a walked name",
                          "|", walk.explain(node) if node and walk.live.danger(node) else "")
                return
            harvested = harvest.harvest(logs.append, libs_objects.libs_objects(flagged=True))
        finally:
            os.chdir(cwd)
    rules, flagged, native, problems = build_rules(walk, harvested, existing_rules(), logs.append)
    if args.log:
        with open(args.log, "w") as f:
            f.write("\n".join(logs) + "\n")
    for name in sorted(flagged):
        print("gen_libs_rules: stays flagged: %s: %s" % (name, flagged[name]), file=sys.stderr)
    if problems:
        for p in problems:
            print("gen_libs_rules: " + p, file=sys.stderr)
        raise SystemExit("gen_libs_rules: %d problems; no header written" % len(problems))
    out = open(args.output, "w") if args.output else sys.stdout
    write_header(out, rules, flagged, len(harvested))
    if args.output:
        out.close()
        with open(os.path.join(os.path.dirname(args.output), "rules_libs_native_gen.h"), "w") as f:
            write_native(f, native)
    print("gen_libs_rules: %d modules walked, %d names judged, %d rules" % (
        len(walk.mods), len(walk.named), len(rules)), file=sys.stderr)


if __name__ == "__main__":
    # every module is imported: some leave threads or exit handlers that would keep the
    # interpreter alive for minutes, so the process ends with os._exit, failures too
    code = 0
    try:
        main()
    except SystemExit as e:
        if e.code not in (None, 0):
            print(e.code if isinstance(e.code, str) else "", file=sys.stderr)
            code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
