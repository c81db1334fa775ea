"""Read libjlpickle/scan/rules_gen.h (the generated rules) from the test scripts."""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
RULES_H = os.path.join(HERE, "..", "..", "libjlpickle", "scan", "rules_gen.h")
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
    return {k for k, (v, _) in load(path).items() if v == "SAFE"}
