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

Other scipy releases (a pickle is loaded by whatever scipy the loading Python has, and
was written by whatever scipy the writer had): `--harvest-git DIR` reads every release
tag v1.5.0 and later of a scipy git repository and writes what their sources say
(libjlpickle/scan/scipy_releases.txt): the template, the (locscale_in, locscale_out)
pairs, how the shapes string is made, the rv_generic subclasses of scipy.stats (by their
class statements: any class whose bases lead to rv_continuous, rv_discrete or rv_sample,
none of which may restore itself otherwise) and, for releases before 1.6, whose
__getstate__ is (ctor_param, random_state), the constructor parameters such a state
holds. The header then lists the classes and templates of every release, and
  JLP_SCIPY_CTOR_PARAM(name)           a key of a scipy < 1.6 state's ctor_param;
  JLP_SCIPY_GETATTR(name)              a method of a distribution that the installed
                                       scipy's own pickles of distributions look up
                                       with getattr (vecentropy = vectorize(_entropy)).
    /usr/bin/python3 libjlpickle/scan/gen_scipy_rules.py --harvest-git DIR > libjlpickle/scan/scipy_releases.txt
"""
import argparse
import ast
import importlib
import inspect
import os
import pkgutil
import re
import subprocess
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


# ---- other releases, from their sources ---------------------------------------------------------

RELEASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scipy_releases.txt")
RV_BASES = {"rv_continuous", "rv_discrete", "rv_sample"}
RESTORING = {"__setstate__", "__getstate__", "__reduce__", "__reduce_ex__", "_attach_methods",
             "_attach_argparser_methods"}
SHAPES_STR = "shapes_str = ', '.join(shapes) + ', ' if shapes else ''"
OLD_GETSTATE = "return self._updated_ctor_param(), self._random_state"


def version_key(tag):
    return tuple(int(x) for x in tag[1:].split("."))


def harvest(gitdir):
    """What every release tag v1.5.0 and later says, as lines of scipy_releases.txt."""
    def git(*a):
        return subprocess.run(["git", "-C", gitdir] + list(a), capture_output=True, check=True).stdout.decode()
    tags = sorted((t for t in git("tag").split() if re.fullmatch(r"v1\.\d+\.\d+", t) and version_key(t) >= (1, 5, 0)),
                  key=version_key)
    templates, pairs, classes, params, old_state, problems = {}, {}, {}, {}, [], []
    for tag in tags:
        v = tag[1:]
        di = git("show", "%s:scipy/stats/_distn_infrastructure.py" % tag)
        tree = ast.parse(di)
        tmpl = [n.value.value for n in tree.body if isinstance(n, ast.Assign) and
                any(getattr(t, "id", None) == "parse_arg_template" for t in n.targets)]
        if len(tmpl) != 1:
            problems.append("%s: no parse_arg_template" % tag)
            continue
        templates.setdefault(tmpl[0], []).append(v)
        ins = re.findall(r"locscale_in='([^']*)'", di)
        outs = re.findall(r"locscale_out='([^']*)'", di)
        if len(ins) != len(outs) or not ins:
            problems.append("%s: locscale pairs not read" % tag)
        for pair in zip(ins, outs):
            pairs.setdefault(pair, []).append(v)
        if SHAPES_STR not in di or "re.match('^[_a-zA-Z][_a-zA-Z0-9]*$', field)" not in di:
            problems.append("%s: the shapes string is made otherwise" % tag)
        old = OLD_GETSTATE in di
        if old:
            old_state.append(v)
        elif "self.__dict__.update(state)" not in di:
            problems.append("%s: rv_generic restores itself otherwise" % tag)
        defs = {}
        for f in git("ls-tree", "-r", "--name-only", tag, "scipy/stats").split():
            if not f.endswith(".py") or "/tests/" in f:
                continue
            mod = f[:-3].replace("/", ".")
            mod = mod[:-9] if mod.endswith(".__init__") else mod
            for node in ast.parse(git("show", "%s:%s" % (tag, f))).body:
                if isinstance(node, ast.ClassDef):
                    bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", None) for b in node.bases]
                    meths = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
                    defs.setdefault(node.name, []).append((mod, bases, meths))

        def is_rv(name, seen=()):
            if name in RV_BASES:
                return True
            return name in defs and name not in seen and any(
                is_rv(b, seen + (name,)) for _, bases, _ in defs[name] for b in bases if b)
        for name, entries in defs.items():
            for mod, bases, meths in entries:
                if not is_rv(name):
                    continue
                if name not in RV_BASES and set(meths) & RESTORING:
                    problems.append("%s: %s.%s restores itself otherwise" % (tag, mod, name))
                    continue
                classes.setdefault((mod, name), []).append(v)
                init = meths.get("__init__")
                if old and init:
                    for a in init.args.args[1:] + init.args.kwonlyargs:
                        params.setdefault(a.arg, []).append(v)
    if problems:
        for p in problems:
            print("gen_scipy_rules: " + p, file=sys.stderr)
        raise SystemExit("gen_scipy_rules: %d problems; nothing written" % len(problems))
    span = lambda vs: "%s-%s" % (vs[0], vs[-1]) if len(vs) > 1 else vs[0]
    out = ["# scipy releases read by gen_scipy_rules.py --harvest-git: %s (%d tags)" % (
        " ".join(t[1:] for t in tags), len(tags))]
    for t, vs in templates.items():
        out.append("template\t%s\t%s" % (span(vs), c_string(t)))
    for (i, o), vs in sorted(pairs.items()):
        out.append("locscale\t%s\t%s\t%s" % (span(vs), i, o))
    out.append("ctor_state\t%s" % span(old_state))
    for name, vs in sorted(params.items()):
        out.append("ctor_param\t%s\t%s" % (span(sorted(set(vs), key=lambda x: version_key("v" + x))), name))
    for (mod, name), vs in sorted(classes.items()):
        out.append("class\t%s\t%s\t%s" % (span(vs), mod, name))
    return "\n".join(out) + "\n"


def releases_span(header):
    """'scipy 1.5.0 to 1.18.1, 43 releases' from the first line of scipy_releases.txt."""
    if not header:
        return "the installed scipy only"
    vs = header.split(": ", 1)[1].rsplit(" (", 1)[0].split()
    return "scipy %s to %s, %d releases" % (vs[0], vs[-1], len(vs))


def read_releases(path):
    """The facts of scipy_releases.txt: templates, pairs, ctor params, classes."""
    facts = {"template": [], "locscale": [], "ctor_param": [], "class": [], "header": ""}
    if not os.path.exists(path):
        return facts
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("#"):
            facts["header"] = line[2:]
            continue
        f = line.split("\t")
        if f[0] == "template":
            facts["template"].append(ast.literal_eval(f[2]))
        elif f[0] == "locscale":
            facts["locscale"].append((f[2], f[3]))
        elif f[0] == "ctor_param":
            facts["ctor_param"].append(f[2])
        elif f[0] == "class":
            facts["class"].append((f[2], f[3], f[1]))
    return facts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output")
    ap.add_argument("--harvest-git", metavar="DIR", help="print what scipy's releases in git say, and stop")
    ap.add_argument("--releases", default=RELEASES, help="the facts of other releases (default %(default)s)")
    args = ap.parse_args()
    if args.harvest_git:
        sys.stdout.write(harvest(args.harvest_git))
        return
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
    # the methods of a distribution its own pickle looks up with getattr (rv_discrete
    # keeps vecentropy = vectorize(self._entropy) in its state)
    import numpy as np
    getattrs = set()
    for value in vars(scipy.stats).values():
        if isinstance(value, rg):
            state = value.__getstate__()
            for v in (state.values() if isinstance(state, dict) else ()):
                f = v.pyfunc if isinstance(v, np.vectorize) else v
                if inspect.ismethod(f) and f.__self__ is value:
                    getattrs.add(f.__name__)
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
    rel = read_releases(args.releases)
    # the installed scipy agrees with its own release's sources
    installed = "v" + scipy.__version__
    for mod, qn in classes:
        if rel["header"] and not any(c[:2] == (mod, qn) for c in rel["class"]):
            problems.append("%s.%s is not among the classes read from the releases" % (mod, qn))
    if rel["template"] and di.parse_arg_template not in rel["template"]:
        problems.append("the installed template is not among the releases' (%s)" % installed)
    if problems:
        for p in problems:
            print("gen_scipy_rules: " + p, file=sys.stderr)
        raise SystemExit("gen_scipy_rules: %d problems; no header written" % len(problems))
    spans = {c[:2]: c[2] for c in rel["class"]}
    for mod, qn in classes:
        spans.setdefault((mod, qn), scipy.__version__)
    templates = [di.parse_arg_template] + [t for t in rel["template"] if t != di.parse_arg_template]
    pairs = list(LOCSCALE) + [p for p in rel["locscale"] if p not in LOCSCALE]
    out = open(args.output, "w") if args.output else sys.stdout
    out.write("/* rules_scipy_gen.h - generated by libjlpickle/scan/gen_scipy_rules.py; do not edit.\n"
              " *\n"
              " * scipy %s: %d distribution classes whose restoring execs the pickled\n"
              " * _parse_arg_template (checked against the templates of %d distributions);\n"
              " * %d classes of all releases (%s).\n"
              " * JLP_SCIPY_RV(module, qualname) sorted, with the releases that define it;\n"
              " * JLP_SCIPY_TEMPLATE(text); JLP_SCIPY_LOCSCALE(locscale_in, locscale_out);\n"
              " * JLP_SCIPY_CTOR_PARAM(name): a key of a scipy < 1.6 state's ctor_param;\n"
              " * JLP_SCIPY_GETATTR(name): a method scipy's own pickles of a distribution look up. */\n"
              % (scipy.__version__, len(classes), checked, len(spans),
                 releases_span(rel["header"])))
    for (mod, qn), span in sorted(spans.items(), key=lambda kv: (kv[0][0].encode(), kv[0][1].encode())):
        out.write("JLP_SCIPY_RV(%s, %s) /* %s */\n" % (c_string(mod), c_string(qn), span))
    for t in templates:
        out.write("JLP_SCIPY_TEMPLATE(%s)\n" % c_string(t))
    for i, o in pairs:
        out.write("JLP_SCIPY_LOCSCALE(%s, %s)\n" % (c_string(i), c_string(o)))
    for name in rel["ctor_param"]:
        out.write("JLP_SCIPY_CTOR_PARAM(%s)\n" % c_string(name))
    for name in sorted(getattrs):
        out.write("JLP_SCIPY_GETATTR(%s)\n" % c_string(name))
    if args.output:
        out.close()


if __name__ == "__main__":
    main()
