"""Read libjlpickle/scan/rules_gen.h and rules_libs_gen.h (the generated rules) from the test
scripts."""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
RULES_H = os.path.join(HERE, "..", "..", "libjlpickle", "scan", "rules_gen.h")
# the other libraries' rules, a second generated table the engine reads beside rules_gen.h
RULES_LIBS_H = os.path.join(HERE, "..", "..", "libjlpickle", "scan", "rules_libs_gen.h")
_LINE = re.compile(r'^JLP_RULE\((SAFE|SUSPICIOUS|DANGEROUS), "([^"]*)", "([^"]*)", "([^"]*)"\)$')


def load(path=RULES_H):
    """{(module, qualname): (verdict, reason)}."""
    out = {}
    with open(path) as f:
        for line in f:
            m = _LINE.match(line.rstrip("\n"))
            if m:
                out[(m.group(2), m.group(3))] = (m.group(1), m.group(4))
    return out


def safe_names(path=RULES_H):
    """The safe names of path; of both generated tables by default (a name one table
    calls dangerous is not safe: the engine takes the worse rule)."""
    rules = load(path)
    if path == RULES_H and os.path.exists(RULES_LIBS_H):
        more = load(RULES_LIBS_H)
        bad = {k for k, (v, _) in list(rules.items()) + list(more.items()) if v != "SAFE"}
        return {k for k, (v, _) in list(rules.items()) + list(more.items()) if v == "SAFE" and k not in bad}
    return {k for k, (v, _) in rules.items() if v == "SAFE"}
