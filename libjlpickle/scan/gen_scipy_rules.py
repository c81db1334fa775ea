#!/usr/bin/python3
"""Write libjlpickle/scan/rules_scipy_gen.h: what the scan accepts in the state of a
scipy.stats distribution.

    /usr/bin/python3 libjlpickle/scan/gen_scipy_rules.py -o libjlpickle/scan/rules_scipy_gen.h

Restoring a distribution (rv_generic.__setstate__) updates the instance's __dict__ with
the pickled state, then _attach_methods calls _attach_argparser_methods, which execs the
state's `_parse_arg_template`: a forged template runs any code. scipy writes that
template itself, in _construct_argparser, as `parse_arg_template % dct` where
shape_arg_str is the shape names (checked to be identifiers) joined by ", " plus ", "
(or ""), and (locscale_in, locscale_out) is one of the literal pairs rv_continuous,
rv_discrete and rv_sample pass. Such a template only defines three argument-parsing
functions: that is what the engine accepts (spec/SAFETY.md S-31).

The header lists
  JLP_SCIPY_RV(module, qualname)       every rv_generic subclass of scipy.stats whose
                                       restoring is the reviewed one (rv_generic's
                                       __setstate__ and _attach_argparser_methods, the
                                       _attach_methods of rv_continuous, rv_discrete or
                                       rv_sample, which call nothing the state names);
  JLP_SCIPY_TEMPLATE(text)             scipy's parse_arg_template, verbatim;
  JLP_SCIPY_LOCSCALE(in, out)          the pairs scipy passes for %(locscale_in)s and
                                       %(locscale_out)s.
The script fails when scipy's restoring is not the reviewed one, or when the template of
a distribution scipy.stats defines is not one of those the table accepts.
"""
import argparse
import importlib
import inspect
import pkgutil
import re
import sys
import warnings

# Read in scipy's _distn_infrastructure.py (rv_continuous.__init__, rv_discrete.__init__,
# rv_sample.__init__): the only values they pass to _construct_argparser.
LOCSCALE = (("loc=0, scale=1", "loc, scale"), ("loc=0", "loc, 1"))

IDENT = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*\Z")


def c_string(s):
    out = []
    for ch in s:
        if ch == "\n":
            out.append("\\n")
        elif ch in '"\\':
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            raise SystemExit("gen_scipy_rules: cannot write %r as a C string" % s)
    return '"%s"' % "".join(out)


def expected_templates(template, shapes):
    shape_arg_str = ", ".join(shapes) + ", " if shapes else ""
    return [template % dict(shape_arg_str=shape_arg_str, locscale_in=i, locscale_out=o) for i, o in LOCSCALE]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import scipy
    import scipy.stats
    from scipy.stats import _distn_infrastructure as di
    rg = di.rv_generic
    reviewed_attach = {di.rv_continuous._attach_methods, di.rv_discrete._attach_methods,
                       di.rv_sample._attach_methods}
    classes = set()
    problems = []
    for info in pkgutil.walk_packages(scipy.stats.__path__, "scipy.stats."):
        if ".tests" in info.name:
            continue
        try:
            m = importlib.import_module(info.name)
        except Exception:  # optional dependencies missing: not listed
            continue
        for value in vars(m).values():
            if not (inspect.isclass(value) and issubclass(value, rg)):
                continue
            if value.__setstate__ is not rg.__setstate__ or \
                    value._attach_argparser_methods is not rg._attach_argparser_methods:
                problems.append("%s.%s restores itself otherwise" % (value.__module__, value.__qualname__))
                continue
            if value._attach_methods not in reviewed_attach:
                continue  # rv_generic itself: its _attach_methods raises
            classes.add((value.__module__, value.__qualname__))
    # every distribution scipy.stats defines carries a template the table accepts
    checked = 0
    for name, value in sorted(vars(scipy.stats).items()):
        if isinstance(value, rg):
            shapes = value.shapes.replace(",", " ").split() if value.shapes else []
            if not all(IDENT.match(s) for s in shapes) or \
                    value._parse_arg_template not in expected_templates(di.parse_arg_template, shapes):
                problems.append("scipy.stats.%s: a template the table does not accept" % name)
            if (type(value).__module__, type(value).__qualname__) not in classes:
                problems.append("scipy.stats.%s: class %s not listed" % (name, type(value).__qualname__))
            checked += 1
    if problems:
        for p in problems:
            print("gen_scipy_rules: " + p, file=sys.stderr)
        raise SystemExit("gen_scipy_rules: %d problems; no header written" % len(problems))
    out = open(args.output, "w") if args.output else sys.stdout
    out.write("/* rules_scipy_gen.h - generated by libjlpickle/scan/gen_scipy_rules.py; do not edit.\n"
              " *\n"
              " * scipy %s: %d distribution classes whose restoring execs the pickled\n"
              " * _parse_arg_template (checked against the templates of %d distributions).\n"
              " * JLP_SCIPY_RV(module, qualname) sorted; JLP_SCIPY_TEMPLATE(text);\n"
              " * JLP_SCIPY_LOCSCALE(locscale_in, locscale_out). */\n"
              % (scipy.__version__, len(classes), checked))
    for mod, qn in sorted(classes, key=lambda k: (k[0].encode(), k[1].encode())):
        out.write("JLP_SCIPY_RV(%s, %s)\n" % (c_string(mod), c_string(qn)))
    out.write("JLP_SCIPY_TEMPLATE(%s)\n" % c_string(di.parse_arg_template))
    for i, o in LOCSCALE:
        out.write("JLP_SCIPY_LOCSCALE(%s, %s)\n" % (c_string(i), c_string(o)))
    if args.output:
        out.close()


if __name__ == "__main__":
    main()
