#!/usr/bin/python3
"""Write tests/values/dtype_names.txt: every dtype name, character code and spelling
numpy.dtype() accepts that jlp_new_dtype() takes too, with numpy's dtype.str for it.

Usage:  /usr/bin/python3 tests/values/gen_dtype_names.py > tests/values/dtype_names.txt

Each line is "NAME<TAB>STR". The names are numpy's sctypeDict keys (its type names and
one-character codes), the same codes led by a byte order, and the sized and unit forms
(S5, a5, U3, V8, datetime64[ns], timedelta64[D], M8[us]). numpy is asked for every one,
so the file says what this numpy (1.24, on this LP64 host) gives.
"""
import warnings

import numpy as np

names = sorted(k for k in np.sctypeDict if isinstance(k, str))
codes = [k for k in names if len(k) == 1 and k not in "SaUVOc"]
names += ["%s%s" % (o, c) for o in "<>=|" for c in codes]
names += ["S5", "a5", "U3", "<U3", ">U3", "V8", "b1", "i1", "u8", ">f8", "<c8", "datetime64[ns]",
          "timedelta64[D]", "M8[us]", ">m8[s]", "datetime64[15m]", "c"]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for n in names:
        print("%s\t%s" % (n, np.dtype(n).str))
