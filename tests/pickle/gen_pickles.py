#!/usr/bin/python3
"""Generate golden pickles and their expected JSON export.

Usage:  /usr/bin/python3 tests/pickle/gen_pickles.py OUTDIR

For every case and every protocol 0..5 this writes

    OUTDIR/<case>.p<N>.pickle   bytes of pickle.dumps(obj, protocol=N) (CPython's C pickler)
    OUTDIR/<case>.p<N>.json     the expected JSON export of those bytes, exact bytes

plus OUTDIR/MANIFEST (every file stem, sorted, one per line).  A protocol is left
out only where CPython refuses to pickle the value at that protocol.

The expected JSON is NOT computed from pickle.loads().  It comes from the reference
inert unpickler below: it walks the opcodes with pickletools' opcode table and runs
its own stack machine (stack, mark stack, memo) that builds inert nodes and never
imports or calls anything named in the pickle.  The exporter that turns nodes into
JSON is iterative (no Python recursion).  The mapping follows
/work/shared/JSON-EXPORT.md; details are in the docstrings below.

A self-check then loads every case whose reference tree holds only builtin
values (no Global / Object / Persid / Ext node) with the real pickle.loads(),
converts the result with a small independent converter, and asserts that it
equals the reference export (sets compared order-insensitively if needed).

Besides the cases produced by pickle.dumps() there are a few extra groups, all
clearly named:
  persid_*   made by pickle.Pickler with persistent_id (C pickler; PERSID/BINPERSID)
  ext_*      made by pickle.dumps with copyreg extension codes registered (EXT1/2/4)
  py2_*      hand-written bytes of what Python 2.7's pickle writes (STRING,
             BINSTRING, SHORT_BINSTRING, INST, OBJ, __builtin__ names, ...)
  hand_*     other hand-written pickles (deep nesting without memo, ...)
"""

import base64
import codecs
import collections
import copyreg
import datetime
import decimal
import io
import json
import math
import os
import pickle
import pickletools
import re
import sys
import threading

import _compat_pickle
import _pickle

HERE = os.path.dirname(os.path.abspath(__file__))

# Str hash order decides the order of set/frozenset elements in the pickles.  Pin
# the hash seed so reruns reproduce the committed files byte for byte.
if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

sys.path.insert(0, HERE)
import sample_classes  # noqa: E402  (must be importable as top-level "sample_classes")

INT_MAX_STR_DIGITS = 4300
sys.set_int_max_str_digits(INT_MAX_STR_DIGITS)


# ---------------------------------------------------------------------------
# Inert nodes
# ---------------------------------------------------------------------------
# Scalars are plain Python values: None, bool, int, float, complex, str.
# Everything else is one of the classes below.  Container nodes (List, Tuple,
# Dict, Set, FrozenSet, Object) have identity that matters for $ref.

class Bytes:
    __slots__ = ("data",)

    def __init__(self, data):
        self.data = bytes(data)


class ByteArray:
    __slots__ = ("data",)

    def __init__(self, data):
        self.data = bytes(data)


class List:
    __slots__ = ("items",)

    def __init__(self, items=None):
        self.items = list(items or ())


class Tuple:
    __slots__ = ("items",)

    def __init__(self, items=None):
        self.items = list(items or ())


class Dict:
    """Ordered list of [key, value] pairs; keys are never hashed."""
    __slots__ = ("pairs",)

    def __init__(self, pairs=None):
        self.pairs = list(pairs or ())


class ODict(Dict):
    """A dict made by collections.OrderedDict(). BUILD (instance attributes) turns it
    into what the opcodes say: an inert call of OrderedDict() whose dict items are the
    pairs and whose state is the attributes (FORMAT.md AL-6); `call` is that Object,
    which shares the pairs list, so SETITEMS after BUILD still add to it."""
    __slots__ = ("call",)

    def __init__(self, pairs=None):
        Dict.__init__(self, pairs)
        self.call = None


class Set:
    __slots__ = ("items",)

    def __init__(self, items=None):
        self.items = list(items or ())


class FrozenSet:
    __slots__ = ("items",)

    def __init__(self, items=None):
        self.items = list(items or ())


class Global:
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def dotted(self):
        return self.module + "." + self.name


class Object:
    __slots__ = ("kind", "cls", "args", "kwargs", "has_state", "state",
                 "items", "dictitems")

    def __init__(self, kind, cls, args, kwargs=None):
        assert kind in ("class", "call")
        self.kind = kind
        self.cls = cls              # any node; a Global for plain names
        self.args = list(args)      # a Python list of nodes
        self.kwargs = kwargs        # None or a Dict node
        self.has_state = False
        self.state = None
        self.items = []             # from APPEND/APPENDS/ADDITEMS
        self.dictitems = []         # [k, v] from SETITEM/SETITEMS


class Persid:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Ext:
    __slots__ = ("code",)

    def __init__(self, code):
        self.code = code


CONTAINERS = (List, Tuple, Dict, Set, FrozenSet, Object)


class UnpickleError(Exception):
    pass


# ---------------------------------------------------------------------------
# Opcode walker
# ---------------------------------------------------------------------------
# This is pickletools.genops() with three argument readers replaced, because
# genops's own readers decode STRING as ASCII (so a Python 2 str with bytes
# >= 0x80 written at protocol 0 makes it raise) and GLOBAL/INST as ASCII too.
# Here STRING gives the raw bytes, like BINSTRING/SHORT_BINSTRING after
# re-encoding, and GLOBAL/INST give (module, name) decoded as UTF-8 like CPython's
# unpickler does.  Every other opcode uses pickletools' own reader.

def _read_line(f):
    data = f.readline()
    if not data.endswith(b"\n"):
        raise UnpickleError("no newline found")
    return data[:-1]


def _read_stringnl_bytes(f):
    data = _read_line(f)
    if len(data) >= 2 and data[0] == data[-1] and data[:1] in (b"'", b'"'):
        data = data[1:-1]
    else:
        raise UnpickleError("the STRING opcode argument must be quoted")
    return codecs.escape_decode(data)[0]


def _read_global_pair(f):
    module = _read_line(f).decode("utf-8")
    name = _read_line(f).decode("utf-8")
    return (module, name)


_ARG_OVERRIDES = {
    "STRING": _read_stringnl_bytes,
    "GLOBAL": _read_global_pair,
    "INST": _read_global_pair,
}


# Text numbers (INT, LONG, FLOAT, GET, PUT) are read in the rules of one of the two
# CPython unpicklers (spec/FORMAT.md V-1, V-2, MM-1): pickle.py's for a pickle, and
# _pickle.c's for the nested pickle of a joblib object array or a companion file, which
# joblib and numpy read with pickle.load (J-8). pickletools' own readers take every
# number in base 10, which is neither.

def _text_number(fn, line):
    try:
        return fn(line)
    except (ValueError, OverflowError) as e:
        raise UnpickleError("bad text number %r: %s" % (line, e))


def _py_int(f):
    line = _read_line(f)
    if line in (b"00", b"01"):
        return line == b"01"
    return _text_number(lambda x: int(x + b"\n", 0), line)


def _py_long(f):
    line = _read_line(f)
    if line.endswith(b"L"):
        line = line[:-1]
    return _text_number(lambda x: int(x, 0), line)


def _py_float(f):
    return _text_number(float, _read_line(f))


def _py_memo_key(f):
    return _text_number(int, _read_line(f))


def _c_string(line):
    """The line as _pickle.c hands it on: with its newline, up to the first NUL."""
    data = line + b"\n"
    return data[:data.index(b"\0")] if b"\0" in data else data


def _c_strtol(s):
    """C strtol(s, &end, 0) in the C locale: (value, end, overflowed)."""
    i, n = 0, len(s)
    while i < n and s[i] in b" \t\n\r\v\f":
        i += 1
    neg = False
    if i < n and s[i] in b"+-":
        neg = s[i] == ord("-")
        i += 1
    base = 10
    if i < n and s[i] == ord("0"):
        if i + 2 < n and s[i + 1] in b"xX" and chr(s[i + 2]) in "0123456789abcdefABCDEF":
            base, i = 16, i + 2
        else:
            base = 8
    start, acc = i, 0
    while i < n and chr(s[i]).isascii() and chr(s[i]).isalnum() and int(chr(s[i]), 36) < base:
        acc = acc * base + int(chr(s[i]), 36)
        i += 1
    if i == start:
        return 0, 0, False
    v = -acc if neg else acc
    return v, i, not (-2 ** 63 <= v < 2 ** 63)


def _c_int(f):
    line = _read_line(f)
    if not line:
        raise UnpickleError("pickle data was truncated (an empty INT line)")
    s = _c_string(line)
    x, end, ovf = _c_strtol(s)
    if ovf or end < len(s) and s[end] != ord("\n"):
        return _text_number(lambda t: int(t, 0), s)
    if len(line) + 1 == 3 and x in (0, 1):
        return x == 1
    return x


def _c_long(f):
    line = _read_line(f)
    if line.endswith(b"L"):
        line = line[:-1]
    return _text_number(lambda t: int(t, 0), _c_string(line))


_C_FLOAT = re.compile(rb"[+-]?(?:infinity|inf|nan|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)",
                      re.IGNORECASE)


def _c_float(f):
    s = _c_string(_read_line(f))
    m = _C_FLOAT.match(s)
    if not m or m.end() < len(s) and s[m.end()] != ord("\n"):
        raise UnpickleError("bad FLOAT text %r" % (s,))
    v = float(m.group(0))
    if math.isinf(v) and not m.group(0).lstrip(b"+-").lower().startswith(b"inf"):
        raise UnpickleError("FLOAT %r out of range" % (s,))
    return v


def _c_memo_key(f):
    return _text_number(lambda t: int(t, 10), _c_string(_read_line(f)))


_TEXT_NUMBERS = {
    "python": {"INT": _py_int, "LONG": _py_long, "FLOAT": _py_float, "GET": _py_memo_key, "PUT": _py_memo_key},
    "c": {"INT": _c_int, "LONG": _c_long, "FLOAT": _c_float, "GET": _c_memo_key, "PUT": _c_memo_key},
}


def iter_ops(f, rules="python"):
    """Yield (opcode name, arg, pos) up to and including STOP; text numbers are read in
    pickle.py's rules ("python") or _pickle.c's ("c")."""
    code2op = pickletools.code2op
    numbers = _TEXT_NUMBERS[rules]
    while True:
        pos = f.tell()
        code = f.read(1)
        if not code:
            raise UnpickleError("pickle exhausted before seeing STOP")
        op = code2op.get(code.decode("latin-1"))
        if op is None:
            raise UnpickleError("unknown opcode %r at %d" % (code, pos))
        reader = _ARG_OVERRIDES.get(op.name) or numbers.get(op.name)
        if reader is not None:
            arg = reader(f)
        elif op.arg is None:
            arg = None
        else:
            arg = op.arg.reader(f)
        yield op.name, arg, pos
        if op.name == "STOP":
            return


# ---------------------------------------------------------------------------
# The reference inert unpickler
# ---------------------------------------------------------------------------

def map_global(proto, module, name):
    """pickle's find_class name mapping (fix_imports=True), without importing."""
    if proto < 3:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
    return Global(module, name)


def _py2_str(data):
    data = bytes(data)
    if all(b < 0x80 for b in data):
        return data.decode("ascii")
    return Bytes(data)


def _is_real_number(x):
    return type(x) in (int, float)


def do_reduce(fn, args):
    """REDUCE: the allowlist rebuilt natively, anything else stays inert."""
    if not isinstance(args, Tuple):
        raise UnpickleError("REDUCE arguments must be a tuple")
    a = args.items
    if isinstance(fn, Global):
        key = (fn.module, fn.name)
        if key in (("builtins", "set"), ("builtins", "frozenset")):
            cls = Set if key[1] == "set" else FrozenSet
            if len(a) == 0:
                return cls()
            if len(a) == 1 and isinstance(a[0], (List, Tuple, Set, FrozenSet)):
                return cls(a[0].items)
        elif key == ("builtins", "bytes"):
            if len(a) == 0:
                return Bytes(b"")
            if len(a) == 1 and isinstance(a[0], Bytes):
                return Bytes(a[0].data)
        elif key == ("builtins", "bytearray"):
            if len(a) == 0:
                return ByteArray(b"")
            if len(a) == 1 and isinstance(a[0], Bytes):
                return ByteArray(a[0].data)
            if (len(a) == 2 and type(a[0]) is str and a[1] in ("latin-1", "latin1")
                    and all(ord(c) < 256 for c in a[0])):
                return ByteArray(a[0].encode("latin-1"))
        elif key == ("builtins", "complex"):
            if 1 <= len(a) <= 2 and all(_is_real_number(x) for x in a):
                try:
                    return complex(*a)
                except OverflowError:
                    pass
        elif key == ("collections", "OrderedDict"):
            if len(a) == 0:
                return ODict()
        elif key == ("copyreg", "_reconstructor"):
            if len(a) == 3:
                return Object("class", a[0], [a[1], a[2]])
        elif key == ("copyreg", "__newobj__"):
            # cls.__new__(cls, *args): the same as NEWOBJ
            if len(a) >= 1:
                return Object("class", a[0], a[1:])
        elif key == ("copyreg", "__newobj_ex__"):
            if len(a) == 3 and isinstance(a[1], Tuple) and isinstance(a[2], Dict):
                return Object("class", a[0], a[1].items, a[2] if a[2].pairs else None)
        elif key == ("_codecs", "encode"):
            if (len(a) == 2 and type(a[0]) is str and a[1] in ("latin1", "latin-1")
                    and all(ord(c) < 256 for c in a[0])):
                return Bytes(a[0].encode("latin-1"))
    return Object("call", fn, a)


def unpickle_stream(f, reduce=None, build=None, persid=None, rules="python"):
    """Read one pickle (up to STOP) from the binary file f; return the root node.

    Optional hooks (used by tests/joblib/gen_joblib.py and tests/archive/gen_archives.py;
    None keeps the behaviour above): reduce(fn, args) replaces do_reduce for REDUCE;
    build(node, state, f) is asked first at BUILD and returns the node to leave on the
    stack (it may read f), or None for the default BUILD; persid(value) replaces the
    Persid node of PERSID/BINPERSID.
    """
    if reduce is None:
        reduce = do_reduce
    if persid is None:
        persid = Persid
    stack = []
    marks = []
    memo = {}
    proto = 0

    def pop_mark():
        if not marks:
            raise UnpickleError("no MARK on the mark stack")
        m = marks.pop()
        items = stack[m:]
        del stack[m:]
        return items

    def pop():
        if not stack:
            raise UnpickleError("stack underflow")
        return stack.pop()

    def top():
        if not stack:
            raise UnpickleError("stack underflow")
        return stack[-1]

    for name, arg, pos in iter_ops(f, rules):
        if name in ("INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"):
            # pickletools gives True/False for INT "01"/"00", int otherwise
            stack.append(arg)
        elif name in ("STRING",):
            stack.append(_py2_str(arg))
        elif name in ("BINSTRING", "SHORT_BINSTRING"):
            stack.append(_py2_str(arg.encode("latin-1")))
        elif name in ("BINBYTES", "SHORT_BINBYTES", "BINBYTES8"):
            stack.append(Bytes(arg))
        elif name == "BYTEARRAY8":
            stack.append(ByteArray(arg))
        elif name in ("NEXT_BUFFER", "READONLY_BUFFER"):
            raise UnpickleError("out-of-band buffers are not supported")
        elif name == "NONE":
            stack.append(None)
        elif name == "NEWTRUE":
            stack.append(True)
        elif name == "NEWFALSE":
            stack.append(False)
        elif name in ("UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"):
            stack.append(arg)
        elif name in ("FLOAT", "BINFLOAT"):
            stack.append(float(arg))
        elif name == "EMPTY_LIST":
            stack.append(List())
        elif name == "LIST":
            stack.append(List(pop_mark()))
        elif name == "APPEND":
            x = pop()
            t = top()
            if isinstance(t, List):
                t.items.append(x)
            elif isinstance(t, Object):
                t.items.append(x)
            else:
                raise UnpickleError("APPEND to a non-list")
        elif name == "APPENDS":
            xs = pop_mark()
            t = top()
            if isinstance(t, (List, Object)):
                t.items.extend(xs)
            else:
                raise UnpickleError("APPENDS to a non-list")
        elif name == "EMPTY_TUPLE":
            stack.append(Tuple())
        elif name == "TUPLE":
            stack.append(Tuple(pop_mark()))
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            if len(stack) < n:
                raise UnpickleError("stack underflow")
            items = stack[len(stack) - n:]
            del stack[len(stack) - n:]
            stack.append(Tuple(items))
        elif name == "EMPTY_DICT":
            stack.append(Dict())
        elif name == "DICT":
            items = pop_mark()
            if len(items) % 2:
                raise UnpickleError("odd number of items for DICT")
            stack.append(Dict([[items[i], items[i + 1]] for i in range(0, len(items), 2)]))
        elif name == "SETITEM":
            v = pop()
            k = pop()
            t = top()
            if isinstance(t, Dict):
                t.pairs.append([k, v])
            elif isinstance(t, Object):
                t.dictitems.append([k, v])
            else:
                raise UnpickleError("SETITEM on a non-dict")
        elif name == "SETITEMS":
            items = pop_mark()
            if len(items) % 2:
                raise UnpickleError("odd number of items for SETITEMS")
            t = top()
            pairs = [[items[i], items[i + 1]] for i in range(0, len(items), 2)]
            if isinstance(t, Dict):
                t.pairs.extend(pairs)
            elif isinstance(t, Object):
                t.dictitems.extend(pairs)
            else:
                raise UnpickleError("SETITEMS on a non-dict")
        elif name == "EMPTY_SET":
            stack.append(Set())
        elif name == "ADDITEMS":
            items = pop_mark()
            t = top()
            if isinstance(t, (Set, Object)):
                t.items.extend(items)
            else:
                raise UnpickleError("ADDITEMS on a non-set")
        elif name == "FROZENSET":
            stack.append(FrozenSet(pop_mark()))
        elif name == "POP":
            if marks and marks[-1] == len(stack):
                marks.pop()
            else:
                pop()
        elif name == "DUP":
            stack.append(top())
        elif name == "MARK":
            marks.append(len(stack))
        elif name == "POP_MARK":
            pop_mark()
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            if arg not in memo:
                raise UnpickleError("memo key %r missing" % (arg,))
            stack.append(memo[arg])
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = top()
        elif name == "MEMOIZE":
            memo[len(memo)] = top()
        elif name in ("EXT1", "EXT2", "EXT4"):
            stack.append(Ext(arg))
        elif name == "GLOBAL":
            module, qual = arg
            stack.append(map_global(proto, module, qual))
        elif name == "STACK_GLOBAL":
            qual = pop()
            module = pop()
            if type(module) is not str or type(qual) is not str:
                raise UnpickleError("STACK_GLOBAL requires str")
            stack.append(map_global(proto, module, qual))
        elif name == "REDUCE":
            args = pop()
            fn = pop()
            stack.append(reduce(fn, args))
        elif name == "BUILD":
            state = pop()
            t = top()
            if build is not None:
                r = build(t, state, f)
                if r is not None:
                    stack[-1] = r
                    continue
            if isinstance(t, ODict):
                if t.call is None:
                    t.call = Object("call", Global("collections", "OrderedDict"), [])
                    t.call.dictitems = t.pairs
                t = t.call
            if not isinstance(t, Object):
                raise UnpickleError("BUILD on a non-object")
            t.has_state = True
            t.state = state
        elif name == "INST":
            module, qual = arg
            args = pop_mark()
            stack.append(Object("class", map_global(proto, module, qual), args))
        elif name == "OBJ":
            items = pop_mark()
            if not items:
                raise UnpickleError("OBJ without a class")
            stack.append(Object("class", items[0], items[1:]))
        elif name == "NEWOBJ":
            args = pop()
            cls = pop()
            if not isinstance(args, Tuple):
                raise UnpickleError("NEWOBJ arguments must be a tuple")
            stack.append(Object("class", cls, args.items))
        elif name == "NEWOBJ_EX":
            kwargs = pop()
            args = pop()
            cls = pop()
            if not isinstance(args, Tuple) or not isinstance(kwargs, Dict):
                raise UnpickleError("NEWOBJ_EX needs a tuple and a dict")
            stack.append(Object("class", cls, args.items, kwargs))
        elif name == "PROTO":
            proto = arg
        elif name == "FRAME":
            pass
        elif name == "PERSID":
            stack.append(persid(arg))
        elif name == "BINPERSID":
            stack.append(persid(pop()))
        elif name == "STOP":
            # as both CPython unpicklers: the top value above the last MARK; values
            # and marks left below it do not matter
            if not stack or (marks and marks[-1] == len(stack)):
                raise UnpickleError("stack underflow at STOP")
            return stack.pop()
        else:
            raise UnpickleError("unhandled opcode %s" % name)
    raise UnpickleError("no STOP")


def unpickle_all(data):
    """All pickles concatenated in data, as a list of root nodes."""
    f = io.BytesIO(data)
    roots = []
    while f.tell() < len(data):
        roots.append(unpickle_stream(f))
    return roots


# ---------------------------------------------------------------------------
# The JSON export (iterative)
# ---------------------------------------------------------------------------

_STR_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f",
                "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_STR_NEEDS_ESCAPE = re.compile("[\"\\\\\x00-\x1f\ud800-\udfff]")


def _esc_char(m):
    c = m.group(0)
    e = _STR_ESCAPES.get(c)
    if e is not None:
        return e
    return "\\u%04x" % ord(c)


def json_str(s):
    return '"' + _STR_NEEDS_ESCAPE.sub(_esc_char, s) + '"'


def json_int(n):
    try:
        return str(n)          # raises ValueError over 4300 digits
    except ValueError:
        return '{"$int":{"hex":"%s"}}' % hex(n)


def json_float(x):
    if math.isnan(x):
        return '{"$float":"nan"}'
    if math.isinf(x):
        return '{"$float":"inf"}' if x > 0 else '{"$float":"-inf"}'
    return repr(x)


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _ptr_key(k):
    return k.replace("~", "~0").replace("/", "~1")


def _plain_dict(d):
    keys = [k for k, _ in d.pairs]
    return (all(type(k) is str and not k.startswith("$") for k in keys)
            and len(set(keys)) == len(keys))


def _ptr_text(chain):
    """Text of a pointer chain: None is the root "", else (parent, suffix)."""
    parts = []
    while chain is not None:
        chain, suffix = chain
        parts.append(suffix)
    return "".join(reversed(parts))


def export(root):
    """The export of a node tree as a str (without the trailing newline).

    JSON pointers are kept as chains (parent, "/token...") and only turned into
    text for a $ref, so deep trees stay linear.
    """
    out = []
    seen = {}                           # id(container) -> JSON pointer
    work = [(root, None)]               # items: str to emit, or (node, pointer)
    while work:
        item = work.pop()
        if type(item) is str:
            out.append(item)
            continue
        node, ptr = item
        t = type(node)
        if node is None:
            out.append("null")
        elif t is bool:
            out.append("true" if node else "false")
        elif t is int:
            out.append(json_int(node))
        elif t is float:
            out.append(json_float(node))
        elif t is complex:
            out.append('{"$complex":[%s,%s]}' % (json_float(node.real), json_float(node.imag)))
        elif t is str:
            out.append(json_str(node))
        elif t is Bytes:
            out.append('{"$bytes":"%s"}' % _b64(node.data))
        elif t is ByteArray:
            out.append('{"$bytearray":"%s"}' % _b64(node.data))
        elif t is Global:
            out.append('{"$global":%s}' % json_str(node.dotted()))
        elif t is Ext:
            out.append('{"$ext":%s}' % json_int(node.code))
        elif t is Persid:
            work.extend(reversed(['{"$persid":', (node.value, (ptr, "/$persid")), "}"]))
        elif t in CONTAINERS or t is ODict:
            key = id(node)
            if key in seen:
                out.append('{"$ref":%s}' % json_str(_ptr_text(seen[key])))
                continue
            seen[key] = ptr
            if t is ODict:
                node, t = (node, Dict) if node.call is None else (node.call, Object)
            parts = []
            if t is List:
                parts.append("[")
                for i, x in enumerate(node.items):
                    if i:
                        parts.append(",")
                    parts.append((x, (ptr, "/%d" % i)))
                parts.append("]")
            elif t in (Tuple, Set, FrozenSet):
                tag = {Tuple: "$tuple", Set: "$set", FrozenSet: "$frozenset"}[t]
                parts.append('{"%s":[' % tag)
                for i, x in enumerate(node.items):
                    if i:
                        parts.append(",")
                    parts.append((x, (ptr, "/%s/%d" % (tag, i))))
                parts.append("]}")
            elif t is Dict:
                if _plain_dict(node):
                    parts.append("{")
                    for i, (k, v) in enumerate(node.pairs):
                        if i:
                            parts.append(",")
                        parts.append(json_str(k) + ":")
                        parts.append((v, (ptr, "/" + _ptr_key(k))))
                    parts.append("}")
                else:
                    parts.append('{"$dict":[')
                    for i, (k, v) in enumerate(node.pairs):
                        if i:
                            parts.append(",")
                        parts.append("[")
                        parts.append((k, (ptr, "/$dict/%d/0" % i)))
                        parts.append(",")
                        parts.append((v, (ptr, "/$dict/%d/1" % i)))
                        parts.append("]")
                    parts.append("]}")
            else:  # Object
                base = (ptr, "/$object")
                fields = []
                head = '"%s":' % node.kind
                if isinstance(node.cls, Global):
                    fields.append([head + json_str(node.cls.dotted())])
                else:
                    fields.append([head, (node.cls, (base, "/" + node.kind))])
                if node.args:
                    f = ['"args":[']
                    for i, x in enumerate(node.args):
                        if i:
                            f.append(",")
                        f.append((x, (base, "/args/%d" % i)))
                    f.append("]")
                    fields.append(f)
                if node.kwargs is not None and node.kwargs.pairs:
                    fields.append(['"kwargs":', (node.kwargs, (base, "/kwargs"))])
                if node.has_state:
                    fields.append(['"state":', (node.state, (base, "/state"))])
                if node.items:
                    f = ['"items":[']
                    for i, x in enumerate(node.items):
                        if i:
                            f.append(",")
                        f.append((x, (base, "/items/%d" % i)))
                    f.append("]")
                    fields.append(f)
                if node.dictitems:
                    f = ['"dictitems":[']
                    for i, (k, v) in enumerate(node.dictitems):
                        if i:
                            f.append(",")
                        f.extend(["[", (k, (base, "/dictitems/%d/0" % i)), ",",
                                  (v, (base, "/dictitems/%d/1" % i)), "]"])
                    f.append("]")
                    fields.append(f)
                parts.append('{"$object":{')
                for i, f in enumerate(fields):
                    if i:
                        parts.append(",")
                    parts.extend(f)
                parts.append("}}")
            work.extend(reversed(parts))
        elif hasattr(node, "export_parts"):
            # extension node (tests/joblib/gen_joblib.py): export_parts(ptr) gives
            # its parts, str or (child node, (ptr, "/suffix")); `is_container`
            # nodes take part in $ref sharing like the containers above
            if getattr(node, "is_container", False):
                key = id(node)
                if key in seen:
                    out.append('{"$ref":%s}' % json_str(_ptr_text(seen[key])))
                    continue
                seen[key] = ptr
            work.extend(reversed(node.export_parts(ptr)))
        else:
            raise TypeError("not a node: %r" % (t,))
    return "".join(out)


def export_pickle_bytes(data):
    """The expected .json file contents for a .pickle file (one line per pickle)."""
    lines = [export(root) + "\n" for root in unpickle_all(data)]
    return "".join(lines).encode("utf-8")


def tree_is_builtin(root):
    """True when no Global, Object, Persid or Ext node is reachable (iterative)."""
    seen = set()
    work = [root]
    while work:
        n = work.pop()
        t = type(n)
        if t in (Global, Object, Persid, Ext) or (t is ODict and n.call is not None):
            return False
        if t is ODict:
            t = Dict
        if t in CONTAINERS:
            if id(n) in seen:
                continue
            seen.add(id(n))
            if t is Dict:
                for k, v in n.pairs:
                    work.append(k)
                    work.append(v)
            else:
                work.extend(n.items)
    return True


# ---------------------------------------------------------------------------
# Independent converter for the self-check: real Python objects -> JSON text
# ---------------------------------------------------------------------------
# Written separately from export(): recursive, id()-based sharing, strings via
# the json module.  Only builtin types.

_SURR = re.compile("[\ud800-\udfff]")


def _ind_str(s):
    t = json.dumps(s, ensure_ascii=False)
    return _SURR.sub(lambda m: "\\u%04x" % ord(m.group(0)), t)


def _ind_float(x):
    if x != x:
        return '{"$float":"nan"}'
    if x == float("inf"):
        return '{"$float":"inf"}'
    if x == float("-inf"):
        return '{"$float":"-inf"}'
    return json.dumps(x)


def independent_export(obj):
    ids = {}

    def text(path):          # path: None or (unescaped token, parent path)
        toks = []
        while path is not None:
            tok, path = path
            toks.append("/" + tok.replace("~", "~0").replace("/", "~1"))
        toks.reverse()
        return "".join(toks)

    def conv(x, ptr):
        if x is None or x is True or x is False:
            return json.dumps(x)
        if type(x) is int:
            if abs(x) >= 10 ** INT_MAX_STR_DIGITS:          # more than 4300 digits
                return json.dumps({"$int": {"hex": hex(x)}}, separators=(",", ":"))
            return json.dumps(x)
        if type(x) is float:
            return _ind_float(x)
        if type(x) is complex:
            return '{"$complex":[' + _ind_float(x.real) + "," + _ind_float(x.imag) + "]}"
        if type(x) is str:
            return _ind_str(x)
        if type(x) is bytes:
            return '{"$bytes":' + json.dumps(base64.b64encode(x).decode()) + "}"
        if type(x) is bytearray:
            return '{"$bytearray":' + json.dumps(base64.b64encode(bytes(x)).decode()) + "}"
        container = type(x) in (list, tuple, dict, set, frozenset, collections.OrderedDict)
        if not container:
            raise TypeError(type(x))
        # the empty tuple is a singleton in CPython but never memoized by pickle
        if not (type(x) is tuple and len(x) == 0):
            if id(x) in ids:
                return '{"$ref":' + _ind_str(text(ids[id(x)])) + "}"
            ids[id(x)] = ptr
        # plain loops, no generator expressions: deep trees then recurse only
        # in Python frames, not on the C stack
        if type(x) is list:
            body = []
            for i, v in enumerate(x):
                body.append(conv(v, (str(i), ptr)))
            return "[" + ",".join(body) + "]"
        if type(x) in (tuple, set, frozenset):
            tag = {tuple: "$tuple", set: "$set", frozenset: "$frozenset"}[type(x)]
            body = []
            for i, v in enumerate(x):
                body.append(conv(v, (str(i), (tag, ptr))))
            return '{"%s":[' % tag + ",".join(body) + "]}"
        keys = list(x.keys())
        if all(type(k) is str and k[:1] != "$" for k in keys):
            body = []
            for k in keys:
                p = (k, ptr)
                body.append(_ind_str(k) + ":" + conv(x[k], p))
            return "{" + ",".join(body) + "}"
        body = []
        for i, k in enumerate(keys):
            body.append("[" + conv(k, ("0", (str(i), ("$dict", ptr)))) + "," +
                        conv(x[k], ("1", (str(i), ("$dict", ptr)))) + "]")
        return '{"$dict":[' + ",".join(body) + "]}"

    return conv(obj, None)


def _sort_sets(v):
    """Parsed JSON with $set/$frozenset arrays sorted (order-insensitive compare)."""
    if isinstance(v, list):
        return [_sort_sets(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1 and next(iter(v)) in ("$set", "$frozenset"):
            k = next(iter(v))
            items = [_sort_sets(x) for x in v[k]]
            return {k: sorted(items, key=lambda x: json.dumps(x, sort_keys=True))}
        return {k: _sort_sets(x) for k, x in v.items()}
    return v


def _resolve(doc, ptr):
    cur = doc
    if ptr == "":
        return cur
    for tok in ptr.split("/")[1:]:
        tok = tok.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, list):
            cur = cur[int(tok)]
        else:
            cur = cur[tok]
    return cur


def _check_refs(doc):
    """Every $ref in a parsed export must point at a container in the document."""
    work = [doc]
    while work:
        v = work.pop()
        if isinstance(v, list):
            work.extend(v)
        elif isinstance(v, dict):
            if len(v) == 1 and "$ref" in v:
                target = _resolve(doc, v["$ref"])
                ok = isinstance(target, list) or (
                    isinstance(target, dict) and not (
                        len(target) == 1 and next(iter(target)) in (
                            "$bytes", "$bytearray", "$global", "$int", "$float",
                            "$complex", "$persid", "$ext", "$ref")))
                if not ok:
                    raise AssertionError("$ref %r -> %r" % (v["$ref"], target))
            else:
                work.extend(v.values())


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------

def build_cases():
    """Ordered dict: case name -> object (built fresh so identity is meaningful)."""
    sc = sample_classes
    c = collections.OrderedDict()

    # -- scalars
    c["none"] = None
    c["true"] = True
    c["false"] = False
    ints = {
        "int_0": 0, "int_1": 1, "int_m1": -1, "int_255": 255, "int_256": 256,
        "int_65535": 65535, "int_65536": 65536,
        "int_2p31_m1": 2 ** 31 - 1, "int_2p31": 2 ** 31,
        "int_m2p31": -2 ** 31, "int_m2p31_m1": -2 ** 31 - 1,
        "int_2p63_m1": 2 ** 63 - 1, "int_2p63": 2 ** 63,
        "int_m2p63": -2 ** 63, "int_m2p63_m1": -2 ** 63 - 1,
        "int_2p64": 2 ** 64, "int_1e30": 10 ** 30, "int_m1e30": -10 ** 30,
        "int_2p1000": 2 ** 1000,
        "int_4300_digits": 10 ** 4300 - 1,      # largest that still prints in decimal
        "int_4301_digits": 10 ** 4300,          # smallest that prints as $int hex
        "int_1e5000": 10 ** 5000, "int_m1e5000": -10 ** 5000,
    }
    c.update(ints)
    floats = {
        "float_0": 0.0, "float_m0": -0.0, "float_1_5": 1.5, "float_third": 1 / 3,
        "float_1e16": 1e16, "float_1e_5": 1e-5, "float_denorm_min": 5e-324,
        "float_max": sys.float_info.max, "float_nan": float("nan"),
        "float_inf": float("inf"), "float_minf": float("-inf"),
    }
    c.update(floats)
    c["complex_1_2"] = 1 + 2j
    c["complex_values"] = [complex(0.0, -0.0), -1.5j, complex(float("inf"), float("nan")),
                           complex(1e300, -5e-324), complex(-0.0, 1)]

    # -- str
    c["str_empty"] = ""
    c["str_ascii"] = "hello, world"
    c["str_latin1"] = "caf\xe9 \xe9t\xe9 \xff"
    c["str_cjk"] = "\u6f22\u5b57\u304b\u306a\ud55c\uae00"
    c["str_emoji"] = "smile \U0001f600 \U0001f468\u200d\U0001f469\u200d\U0001f467"
    c["str_controls"] = ('a\\b"c\nd\re\x00f\x1ag\th\bi\fj\x01\x1f\x7f'
                         "\x80\x85\xa0\u2028\u2029\ufeff\uffff")
    c["str_lone_high_surrogate"] = "\ud800"
    c["str_lone_low_surrogate"] = "x\udfffy"
    c["str_surrogate_pair_code_points"] = "\ud83d\ude00"
    c["str_300"] = "".join(chr(0x61 + i % 26) for i in range(300))
    c["str_70000"] = "".join("%09d;" % i for i in range(7000))
    c["str_dollar"] = "$ref"

    # -- bytes / bytearray
    big = (b"0123456789abcdef" * 4096) + b"\xff"          # 65537 bytes
    for prefix, cls in (("bytes", bytes), ("bytearray", bytearray)):
        c[prefix + "_empty"] = cls(b"")
        c[prefix + "_short"] = cls(b"ab\x00\n\xff")
        c[prefix + "_all256"] = cls(bytes(range(256)))
        c[prefix + "_65537"] = cls(big)

    # -- tuples and lists
    c["tuple_0"] = ()
    c["tuple_1"] = (1,)
    c["tuple_2"] = (1, "two")
    c["tuple_3"] = (1, "two", 3.0)
    c["tuple_4"] = (1, "two", 3.0, None)
    c["tuple_10"] = tuple(range(10))
    c["tuple_nested"] = ((), ((),), (1, (2, (3,))))
    c["list_empty"] = []
    c["list_mixed"] = [1, "a", None, 2.5, True, False, b"x", [], {}]
    c["list_1001"] = list(range(1001))          # APPENDS batch of 1000, then APPEND
    nested = []
    cur = nested
    for _ in range(99):
        nxt = []
        cur.append(nxt)
        cur = nxt
    cur.append("bottom")
    c["list_nested_100"] = nested

    # -- dicts
    c["dict_empty"] = {}
    c["dict_str_keys"] = {"a": 1, "b": [2, 3], "c": {"d": None}, "": "empty key"}
    c["dict_int_keys"] = {1: "one", 2: "two", -3: "minus three", 2 ** 70: "big"}
    c["dict_tuple_keys"] = {(1, 2): "a", (3, "x"): "b", (): "empty"}
    c["dict_dollar_key"] = {"$ref": 1, "b": 2}
    c["dict_dollar_only"] = {"$tuple": []}
    c["dict_mixed_keys"] = {"s": 1, 2: 2, None: 3, 1.5: 4, b"k": 5, True: 6, (): 7}
    shared_val = [1, 2]
    c["dict_pointer_escapes"] = {"a/b": shared_val, "c~d": shared_val, "~/": [shared_val],
                                 "": shared_val, "e\u00e9\n": {"x": shared_val}}
    c["dict_1001"] = {"k%d" % i: i for i in range(1001)}  # SETITEMS 1000, then SETITEM

    # -- sets
    c["set_empty"] = set()
    c["set_ints"] = {1, 2, 3, 100, -5}
    c["set_strs"] = {"a", "b", "c", "dd", "\u00e9"}
    c["frozenset_empty"] = frozenset()
    c["frozenset_ints"] = frozenset({1, 2, 3, 100, -5})
    c["frozenset_strs"] = frozenset({"a", "b", "c", "dd", "\u00e9"})
    c["frozenset_of_tuples"] = frozenset({(1, 2), (3, "x"), ()})

    # -- OrderedDict
    c["ordereddict"] = collections.OrderedDict([("b", 1), ("a", [2]), ("c", None)])
    c["ordereddict_empty"] = collections.OrderedDict()
    c["ordereddict_int_keys"] = collections.OrderedDict([(2, "b"), (1, "a")])

    # -- sharing
    x = [1, 2]
    c["shared_list"] = [x, x]
    x = {"k": "v"}
    c["shared_dict"] = [x, x]
    x = (1, 2)
    c["shared_tuple"] = [x, x]
    x = b"shared bytes"
    c["shared_bytes"] = [x, x]
    x = "shared str"
    c["shared_str"] = [x, x]
    x = [1]
    c["shared_in_tuple_and_dict"] = ({"a": x, "b": (x, x)}, x)
    x = {1, 2}
    y = frozenset({3})
    c["shared_sets"] = [x, x, y, y]

    # -- cycles
    L = []
    L.append(L)
    c["cycle_list"] = L
    d = {}
    d["self"] = d
    c["cycle_dict"] = d
    inner = []
    t = (inner, "tag")
    inner.append(t)
    c["cycle_tuple_list"] = t
    inner = []
    t = (inner,)
    inner.append(t)
    c["cycle_list_tuple_root_list"] = inner
    p = sample_classes.Plain(1, "x")
    p.me = p
    c["cycle_instance"] = p
    L = [1]
    d = {"list": L}
    L.append(d)
    c["cycle_dict_list"] = d

    # -- class instances
    c["obj_plain"] = sc.Plain(1, "two")
    c["obj_slots"] = sc.Slotted(1, [2])
    c["obj_tuple_state"] = sc.TupleState(1, 2.5)
    c["obj_custom_reduce"] = sc.Custom(3, "y")
    ls = sc.ListSub([1, 2, 3])
    ls.tag = "attrs"
    c["obj_list_subclass"] = ls
    c["obj_dict_subclass"] = sc.DictSub(a=1, b=[2])
    bag = sc.Bag()
    bag.items = [1, "two"]
    bag.mapping = {"k": "v", 3: 4}
    bag.label = "L"
    c["obj_reduce_5_tuple"] = bag
    c["obj_newargs_ex"] = sc.NewArgsEx(5, scale=3)
    pl = sc.Plain(1, "two")
    c["obj_shared_instance"] = [pl, pl, sc.Plain(2, pl)]

    # -- references to functions and classes
    c["ref_len"] = len
    c["ref_ordereddict_class"] = collections.OrderedDict
    c["ref_some_function"] = sc.some_function
    c["ref_nested_class"] = sc.Outer.Inner
    c["ref_builtin_misc"] = [int, dict, type(None), Ellipsis, NotImplemented]

    # -- stdlib values
    c["datetime_datetime"] = datetime.datetime(2024, 2, 29, 13, 45, 30, 123456)
    c["datetime_datetime_utc"] = datetime.datetime(2001, 1, 2, 3, 4, 5,
                                                   tzinfo=datetime.timezone.utc)
    c["datetime_date"] = datetime.date(1999, 12, 31)
    c["datetime_timedelta"] = datetime.timedelta(days=1, seconds=2, microseconds=3)
    c["decimal_decimal"] = decimal.Decimal("-3.14159")
    c["range_obj"] = range(0, 10, 3)
    c["slice_obj"] = slice(1, 10, 2)

    # -- kitchen sink
    shared = ["shared", 1]
    c["kitchen_sink"] = {
        "none": None, "bools": [True, False], "ints": [0, -1, 255, 2 ** 40, -2 ** 70],
        "floats": [0.5, -0.0, float("inf"), float("nan")], "complex": 2 - 3j,
        "str": "k\u00e9\U0001f600\n", "bytes": b"\x00\xff", "bytearray": bytearray(b"ba"),
        "tuple": (1, (2, 3)), "set": {1, 2}, "frozenset": frozenset({"f"}),
        "odict": collections.OrderedDict(z=1), "nested": {"a": {"b": {"c": [shared]}}},
        "shared": shared, "int_keys": {1: "a"}, "dollar_keys": {"$k": 1},
        "obj": sc.Plain(shared, (shared,)), "func": sc.some_function, "cls": sc.Outer.Inner,
        "date": datetime.date(2020, 1, 1), "dec": decimal.Decimal("1.10"),
        "rng": range(3), "big": 2 ** 100,
    }
    return c


# (case name, first pickle, second pickle) for the concatenated case
MULTI = ("multi", [1, "a", None], {"b": (1, 2), "c": b"x"})


class _Marker:
    """Objects of this type are written as persistent ids."""

    def __init__(self, pid):
        self.pid = pid


def _persid_dumps(obj, proto):
    f = io.BytesIO()

    class P(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, _Marker):
                return o.pid
            return None

    P(f, protocol=proto).dump(obj)
    return f.getvalue()


def persid_cases():
    """name -> {proto: bytes}.  Protocol 0 PERSID needs an ASCII str id."""
    out = collections.OrderedDict()
    out["persid_str"] = {p: _persid_dumps([_Marker("blob-1"), 2, _Marker("blob-2")], p)
                         for p in range(6)}
    out["persid_tuple"] = {p: _persid_dumps({"a": _Marker(("file", 3, [1]))}, p)
                           for p in range(1, 6)}
    return out


def ext_cases():
    """Pickles using copyreg extension codes (EXT1, EXT2, EXT4 at protocol >= 2)."""
    regs = [("sample_classes", "some_function", 7),          # EXT1
            ("sample_classes", "make_point", 300),           # EXT2
            ("sample_classes", "Plain", 70000)]              # EXT4
    for mod, name, code in regs:
        copyreg.add_extension(mod, name, code)
    try:
        obj = [sample_classes.some_function, sample_classes.make_point,
               sample_classes.Plain, sample_classes.Plain(1, "x")]
        res = {p: pickle.dumps(obj, protocol=p) for p in range(6)}
    finally:
        for mod, name, code in regs:
            copyreg.remove_extension(mod, name, code)
    return collections.OrderedDict([("ext_codes", res)])


def py2_cases():
    """Hand-written bytes, as Python 2.7's pickle/cPickle wrote them."""
    c = collections.OrderedDict()
    # str 'abc' and '\xe9t\xe9' (a py2 byte string), u'\xe9'
    c["py2_str_ascii"] = {
        0: b"S'abc'\np0\n.",
        1: b"U\x03abcq\x00.",
        2: b"\x80\x02U\x03abcq\x00.",
    }
    c["py2_str_nonascii"] = {
        0: b"S'\\xe9t\\xe9'\np0\n.",
        1: b"U\x03\xe9t\xe9q\x00.",
        2: b"\x80\x02U\x03\xe9t\xe9q\x00.",
    }
    c["py2_binstring_long"] = {
        1: b"T\x00\x01\x00\x00" + b"a" * 256 + b"q\x00.",
        2: b"\x80\x02T\x00\x01\x00\x00" + b"a" * 255 + b"\x80q\x00.",
    }
    # [u'\xe9', 12345678901234567890L, 1.5, True, None]
    c["py2_mixed_list"] = {
        0: (b"(lp0\nV\xe9\np1\naL12345678901234567890L\naF1.5\naI01\naNa."),
        2: (b"\x80\x02]q\x00(X\x02\x00\x00\x00\xc3\xa9q\x01\x8a\t\xd2\n\x1f\xeb\x8c"
            b"\xa9T\xab\x00G?\xf8\x00\x00\x00\x00\x00\x00\x88Ne."),
    }
    # {'a': 1, 'b': 'x'} as py2 dict (STRING keys)
    c["py2_dict"] = {
        0: b"(dp0\nS'a'\np1\nI1\nsS'b'\np2\nS'x'\np3\ns.",
        2: b"\x80\x02}q\x00(U\x01aq\x01K\x01U\x01bq\x02U\x01xq\x03u.",
    }
    # old-style class instance: INST at protocol 0, OBJ at protocol 1 and 2
    c["py2_oldstyle_instance"] = {
        0: b"(i__main__\nOld\np0\n(dp1\nS'x'\np2\nI1\nsb.",
        1: b"(c__main__\nOld\nq\x00oq\x01}q\x02U\x01xq\x03K\x01sb.",
        2: b"\x80\x02(c__main__\nOld\nq\x00oq\x01}q\x02U\x01xq\x03K\x01sb.",
    }
    # INST / OBJ with constructor arguments (class with __getinitargs__)
    c["py2_inst_args"] = {
        1: b"(c__main__\nOldArgs\nq\x00K\x01U\x03twoq\x01oq\x02}q\x03U\x01xq\x04K\x01sb.",
        0: b"(I1\nS'two'\np0\ni__main__\nOldArgs\np1\n(dp2\nS'x'\np3\nI1\nsb.",
    }
    # set([1, 2]) and xrange(5) as Python 2 names (__builtin__ -> builtins, xrange -> range)
    c["py2_builtin_names"] = {
        0: (b"(lp0\nc__builtin__\nset\np1\n((lp2\nI1\naI2\natp3\nRp4\na"
            b"c__builtin__\nxrange\np5\n(I0\nI5\nI1\ntp6\nRp7\na"
            b"c__builtin__\nunicode\np8\nacUserDict\nUserDict\np9\na."),
        2: (b"\x80\x02]q\x00(c__builtin__\nset\nq\x01]q\x02(K\x01K\x02e\x85q\x03Rq\x04"
            b"c__builtin__\nxrange\nq\x05K\x00K\x05K\x01\x87q\x06Rq\x07"
            b"c__builtin__\nunicode\nq\x08cUserDict\nUserDict\nq\te."),
    }
    # datetime.datetime(2024, 2, 29, 13, 45, 30, 123456) from Python 2: STRING state
    state = b"\x07\xe8\x02\x1d\x0d\x2d\x1e\x01\xe2\x40"
    c["py2_datetime"] = {
        0: (b"cdatetime\ndatetime\np0\n(S" + repr(state)[1:].encode("ascii") +
            b"\np1\ntp2\nRp3\n."),
        2: b"\x80\x02cdatetime\ndatetime\nq\x00U\n" + state + b"q\x01\x85q\x02Rq\x03.",
    }
    # bytearray(b'ab\xff') as Python 2.7 wrote it: (unicode latin-1 text, 'latin-1')
    c["py2_bytearray"] = {
        0: b"c__builtin__\nbytearray\np0\n(Vab\xff\np1\nS'latin-1'\np2\ntp3\nRp4\n.",
        2: (b"\x80\x02c__builtin__\nbytearray\nq\x00X\x04\x00\x00\x00ab\xc3\xbfq\x01"
            b"U\x07latin-1q\x02\x86q\x03Rq\x04."),
    }
    # new-style instance at protocol 0/1: copy_reg._reconstructor
    c["py2_reconstructor"] = {
        0: (b"ccopy_reg\n_reconstructor\np0\n(c__main__\nNew\np1\nc__builtin__\nobject\n"
            b"p2\nNtp3\nRp4\n(dp5\nS'a'\np6\nI1\nsb."),
    }
    return c


def hand_cases():
    c = collections.OrderedDict()
    n = 50000
    # 50000 nested lists, no memo: stresses iterative loading and export
    # (kept at 50000 so the whole golden set stays near 3 MiB)
    c["hand_deep_list_50000"] = {2: b"\x80\x02" + b"]" * n + b"a" * (n - 1) + b"."}
    # POP right after MARK pops the mark itself (CPython's rule); result is 1
    c["hand_pop_mark"] = {2: b"\x80\x02(0K\x01."}
    # DUP a list and APPEND it into itself: a cycle with no memo at all
    c["hand_dup_cycle"] = {2: b"\x80\x02]2a."}
    # SETITEM with a repeated (int) key: both pairs are kept, in file order
    c["hand_dict_duplicate_int_keys"] = {2: b"\x80\x02}(K\x01X\x01\x00\x00\x00aK\x01X\x01\x00\x00\x00bu."}
    # SETITEM with a repeated str key: a JSON object cannot hold both pairs, so $dict
    c["hand_dict_duplicate_str_keys"] = {2: b"\x80\x02}(X\x01\x00\x00\x00kK\x01X\x01\x00\x00\x00kK\x02u."}
    # one list memoized under two keys and fetched through both: one node
    c["hand_memo_two_keys"] = {2: b"\x80\x02]q\x01q\x02K\x07ah\x01h\x02\x87."}
    return c


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

def _loads_for_check(data):
    """Real pickle.loads of every pickle in data (for builtin-only cases)."""
    f = io.BytesIO(data)
    out = []
    while f.tell() < len(data):
        out.append(pickle.load(f, encoding="latin1"))
    return out


# cases whose real pickle.loads() result legitimately differs from the inert tree
NO_LOADS_CHECK = {"hand_dict_duplicate_int_keys", "hand_dict_duplicate_str_keys"}


def _self_check(stem, data, expected, roots, stats):
    text = expected.decode("utf-8")
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == len(roots) + 1, stem
    for line in lines[:-1]:
        doc = json.loads(line)
        _check_refs(doc)
    if not all(tree_is_builtin(r) for r in roots):
        stats["skipped"] += 1
        return
    if stem.split(".")[0] in NO_LOADS_CHECK:
        stats["skipped"] += 1
        return
    if stem.startswith("py2_"):
        # py2 str (STRING) loads as str under encoding="latin1"; the reference
        # gives Bytes for non-ASCII.  Compare only when no such value exists.
        if b"$bytes" in expected:
            stats["skipped"] += 1
            return
    objs = _loads_for_check(data)
    got = "".join(independent_export(o) + "\n" for o in objs)
    if got != text:
        a = [_sort_sets(json.loads(line)) for line in got.split("\n")[:-1]]
        b = [_sort_sets(json.loads(line)) for line in lines[:-1]]
        if a != b:
            raise AssertionError("self-check mismatch for %s:\n ref: %.300s\n got: %.300s"
                                 % (stem, text, got))
        stats["set_order"] += 1
    stats["checked"] += 1


def _selftest_exporter():
    """Deep trees must export without recursion; a couple of fixed expectations."""
    root = List()
    cur = root
    for _ in range(100000):
        nxt = List()
        cur.items.append(nxt)
        cur = nxt
    s = export(root)
    assert s == "[" * 100001 + "]" * 100001
    shared = List()
    assert export(List([Dict([["a/b~", shared], ["c", shared]])])) == \
        '[{"a/b~":[],"c":{"$ref":"/0/a~1b~0"}}]'
    assert json_str("\ud83d\ude00\x7f\x1f\"\\") == '"\\ud83d\\ude00\x7f\\u001f\\"\\\\"'
    assert json_int(10 ** 4300 - 1) == "9" * 4300
    assert json_int(-10 ** 4300) == '{"$int":{"hex":"%s"}}' % hex(-10 ** 4300)
    assert json_float(1e16) == "1e+16" and json_float(-0.0) == "-0.0"


def main(outdir):
    if pickle.Pickler is not _pickle.Pickler or pickle.dumps is not _pickle.dumps:
        raise SystemExit("CPython's C pickler (_pickle) is required")
    if sys.version_info[:2] != (3, 11):
        print("warning: golden files were made with Python 3.11; this is %s"
              % sys.version.split()[0], file=sys.stderr)
    _selftest_exporter()
    os.makedirs(outdir, exist_ok=True)
    for name in os.listdir(outdir):
        if name == "MANIFEST" or name.endswith((".pickle", ".json")):
            os.unlink(os.path.join(outdir, name))

    # name -> {proto: bytes}
    files = collections.OrderedDict()
    skipped = []
    for name, obj in build_cases().items():
        assert re.fullmatch("[a-z0-9_]+", name), name
        per = {}
        for proto in range(6):
            try:
                per[proto] = pickle.dumps(obj, protocol=proto)
            except Exception as e:          # only where CPython refuses
                skipped.append("%s.p%d (%s: %s)" % (name, proto, type(e).__name__, e))
        files[name] = per
    mname, first, second = MULTI
    files[mname] = {p: pickle.dumps(first, protocol=p) + pickle.dumps(second, protocol=p)
                    for p in range(6)}
    for group in (persid_cases(), ext_cases(), py2_cases(), hand_cases()):
        files.update(group)

    stats = collections.Counter()
    stems = []
    total = 0
    for name, per in files.items():
        assert re.fullmatch("[a-z0-9_]+", name), name
        for proto, data in sorted(per.items()):
            stem = "%s.p%d" % (name, proto)
            roots = unpickle_all(data)
            expected = export_pickle_bytes(data)
            _self_check(stem, data, expected, roots, stats)
            with open(os.path.join(outdir, stem + ".pickle"), "wb") as f:
                f.write(data)
            with open(os.path.join(outdir, stem + ".json"), "wb") as f:
                f.write(expected)
            stems.append(stem)
            total += len(data) + len(expected)
            if len(data) > 200 * 1024:
                print("warning: %s is %d bytes" % (stem, len(data)), file=sys.stderr)
    stems.sort()
    with open(os.path.join(outdir, "MANIFEST"), "w") as f:
        f.write("".join(s + "\n" for s in stems))
    print("%d cases, %d pickles, %d files + MANIFEST, %d bytes"
          % (len(files), len(stems), 2 * len(stems), total))
    print("self-check: %d compared with pickle.loads (%d needed set-order normalization), "
          "%d skipped (not builtin-only)" % (stats["checked"], stats["set_order"],
                                            stats["skipped"]))
    for s in skipped:
        print("not pickled: " + s)


def _run():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.split("\n\n")[1])
    # the real pickle.loads / independent converter recurse on deep trees
    sys.setrecursionlimit(1000000)
    threading.stack_size(512 * 1024 * 1024)
    err = []

    def target():
        try:
            main(sys.argv[1])
        except BaseException as e:   # re-raised in the main thread
            err.append(e)

    th = threading.Thread(target=target)
    th.start()
    th.join()
    if err:
        raise err[0]


if __name__ == "__main__":
    _run()
