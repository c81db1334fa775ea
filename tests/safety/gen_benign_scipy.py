#!/usr/bin/python3
"""Write tests/safety/benign/scipy_*.pkl: scipy.stats distributions as other scipy
releases than the installed one pickle them, made by hand from the installed scipy (the
benign suite of check.py requires every one to be safe; SAFETY.md S-31).

    /usr/bin/python3 tests/safety/gen_benign_scipy.py

- scipy < 1.6 pickled a distribution's state as (ctor_param, random_state) (its
  __getstate__ returned `self._updated_ctor_param(), self._random_state`): written here
  by the installed scipy with that __getstate__, for continuous and discrete
  distributions and a frozen one, protocols 2 and 4;
- distribution classes 1.10.1 does not define (irwinhall_gen and landau_gen of 1.14 and
  1.15, frechet_r_gen of 1.5, skewnorm_gen of 1.11, levy_stable_gen in
  _continuous_distns up to 1.8, betanbinom_gen of 1.12): a distribution of the installed
  scipy with the same number of shapes, its class renamed, its template the one scipy
  writes for that class's own shape names.
"""
import os
import pickle
import sys
import warnings

import scipy.stats as st
from scipy.stats import _distn_infrastructure as di

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "benign")


def old_getstate(self):
    return self._updated_ctor_param(), self._random_state


def pickled_with_getstate(obj, getstate, protocol):
    """`obj` pickled while every distribution base class's __getstate__ is `getstate`."""
    klasses = [di.rv_generic, di.rv_continuous, di.rv_discrete, di.rv_sample]
    saved = [c.__dict__.get("__getstate__") for c in klasses]
    for c in klasses:
        c.__getstate__ = getstate
    try:
        return pickle.dumps(obj, protocol=protocol)
    finally:
        for c, g in zip(klasses, saved):
            if g is None:
                del c.__getstate__
            else:
                c.__getstate__ = g


def pickled_before_1_6(obj, protocol):
    return pickled_with_getstate(obj, old_getstate, protocol)


def renamed(dist, cls, module, shapes, protocol):
    """`dist` pickled as class `module.cls` whose shapes are `shapes`."""
    data = pickle.dumps(dist, protocol=protocol)
    old_t = dist._parse_arg_template
    own = dist.shapes.replace(",", " ").split() if dist.shapes else []
    assert len(own) == len(shapes)
    ls = (("loc=0, scale=1", "loc, scale") if isinstance(dist, di.rv_continuous) else ("loc=0", "loc, 1"))
    new_t = di.parse_arg_template % dict(shape_arg_str=", ".join(shapes) + ", " if shapes else "",
                                         locscale_in=ls[0], locscale_out=ls[1])
    assert data.count(old_t.encode()) == 1 and data.count(type(dist).__name__.encode()) == 1
    return rewrite(data, {old_t: new_t, type(dist).__name__: cls, type(dist).__module__: module})


def rewrite(data, subst):
    """Re-emit `data` with every str operand and GLOBAL name in `subst` replaced (their
    lengths recomputed); protocol 2, so no frame to fix."""
    import pickletools
    import struct
    ops = list(pickletools.genops(data))
    out = bytearray()
    for i, (op, arg, pos) in enumerate(ops):
        end = ops[i + 1][2] if i + 1 < len(ops) else len(data)
        if op.name in ("BINUNICODE", "SHORT_BINUNICODE") and arg in subst:
            s = subst[arg].encode("utf-8")
            out += b"X" + struct.pack("<I", len(s)) + s
        elif op.name == "GLOBAL":
            m, n = arg.split(" ", 1)
            out += b"c" + subst.get(m, m).encode() + b"\n" + subst.get(n, n).encode() + b"\n"
        else:
            out += data[pos:end]
    return bytes(out)


def main():
    warnings.filterwarnings("ignore")
    import numpy as np
    np.random.seed(0)  # the distributions' random state: the same files every time
    os.makedirs(OUT, exist_ok=True)
    files = {}
    for proto in (2, 4):
        files["scipy15_gamma_p%d.pkl" % proto] = pickled_before_1_6(st.gamma, proto)
        files["scipy15_binom_p%d.pkl" % proto] = pickled_before_1_6(st.binom, proto)
        files["scipy15_frozen_norm_p%d.pkl" % proto] = pickled_before_1_6(st.norm(1.0, 2.0), proto)
    others = [("irwinhall_gen", "scipy.stats._continuous_distns", st.gamma, ["n"]),
              ("landau_gen", "scipy.stats._continuous_distns", st.norm, []),
              ("frechet_r_gen", "scipy.stats._continuous_distns", st.weibull_min, ["c"]),
              ("skewnorm_gen", "scipy.stats._continuous_distns", st.skewnorm, ["a"]),
              ("levy_stable_gen", "scipy.stats._continuous_distns", st.beta, ["alpha", "beta"]),
              ("betanbinom_gen", "scipy.stats._discrete_distns", st.betabinom, ["n", "a", "b"])]
    for cls, mod, dist, shapes in others:
        files["scipy_other_%s.pkl" % cls[:-4]] = renamed(dist, cls, mod, shapes, 2)
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("gen_benign_scipy: %d files in %s" % (len(files), OUT))


if __name__ == "__main__":
    sys.exit(main())
