"""A small pickle assembler: opcodes as bytes, for writing streams no pickler writes.

Every function returns bytes; concatenate them. Names follow pickletools' opcode names.
"""
import struct

MARK, STOP, POP, POP_MARK, DUP = b"(", b".", b"0", b"1", b"2"
NONE, NEWTRUE, NEWFALSE = b"N", b"\x88", b"\x89"
REDUCE, BUILD, NEWOBJ, NEWOBJ_EX, STACK_GLOBAL = b"R", b"b", b"\x81", b"\x92", b"\x93"
TUPLE, EMPTY_TUPLE, TUPLE1, TUPLE2, TUPLE3 = b"t", b")", b"\x85", b"\x86", b"\x87"
LIST, EMPTY_LIST, APPEND, APPENDS = b"l", b"]", b"a", b"e"
DICT, EMPTY_DICT, SETITEM, SETITEMS = b"d", b"}", b"s", b"u"
EMPTY_SET, ADDITEMS, FROZENSET = b"\x8f", b"\x90", b"\x91"
OBJ, MEMOIZE, BINPERSID = b"o", b"\x94", b"Q"


def proto(n):
    return b"\x80" + bytes([n])


def frame(n):
    return b"\x95" + struct.pack("<Q", n)


def glob(module, name):
    """GLOBAL (protocol 0 text form)."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def inst(module, name):
    return b"i" + module.encode() + b"\n" + name.encode() + b"\n"


def uni(s):
    """SHORT_BINUNICODE or BINUNICODE."""
    b = s.encode("utf-8", "surrogatepass")
    if len(b) < 256:
        return b"\x8c" + bytes([len(b)]) + b
    return b"X" + struct.pack("<I", len(b)) + b


def uni0(s):
    """UNICODE (protocol 0, raw-unicode-escape line)."""
    return b"V" + s.encode("raw_unicode_escape") + b"\n"


def sglob(module, name):
    """STACK_GLOBAL with unicode operands."""
    return uni(module) + uni(name) + STACK_GLOBAL


def binbytes(b):
    if len(b) < 256:
        return b"C" + bytes([len(b)]) + b
    return b"B" + struct.pack("<I", len(b)) + b


def binstring(b):
    """SHORT_BINSTRING / BINSTRING (py2 str: Python 3 decodes it as ASCII by default)."""
    if len(b) < 256:
        return b"U" + bytes([len(b)]) + b
    return b"T" + struct.pack("<i", len(b)) + b


def string0(s):
    return b"S" + repr(s).encode() + b"\n"


def integer(v):
    if 0 <= v < 256:
        return b"K" + bytes([v])
    if 0 <= v < 65536:
        return b"M" + struct.pack("<H", v)
    if -2 ** 31 <= v < 2 ** 31:
        return b"J" + struct.pack("<i", v)
    n = (v.bit_length() + 8) // 8
    return b"\x8a" + bytes([n]) + v.to_bytes(n, "little", signed=True)


def int_text(text):
    """INT with the literal text given (`010`, `0x10`, `1_0`...)."""
    return b"I" + text.encode() + b"\n"


def put(i):
    return b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i)


def get(i):
    return b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i)


def put_text(text):
    return b"p" + text.encode() + b"\n"


def get_text(text):
    return b"g" + text.encode() + b"\n"


def tup(*items):
    if len(items) == 0:
        return EMPTY_TUPLE
    if len(items) <= 3:
        return b"".join(items) + [TUPLE1, TUPLE2, TUPLE3][len(items) - 1]
    return MARK + b"".join(items) + TUPLE


def lst(*items):
    return EMPTY_LIST + (MARK + b"".join(items) + APPENDS if items else b"")


def dct(*pairs):
    """A dict literal; pairs may repeat keys (Python keeps the last)."""
    body = b"".join(k + v for k, v in pairs)
    return EMPTY_DICT + (MARK + body + SETITEMS if pairs else b"")


def call(func, *args):
    """func(*args) by REDUCE."""
    return func + tup(*args) + REDUCE


def system(cmd, module="os"):
    """os.system(cmd): the command runner every scanner knows."""
    return call(glob(module, "system"), uni(cmd))


def py_value(v):
    """Literal Python data (None, bool, int, str, bytes, tuple, list, dict)."""
    if v is None:
        return NONE
    if v is True:
        return NEWTRUE
    if v is False:
        return NEWFALSE
    if isinstance(v, int):
        return integer(v)
    if isinstance(v, str):
        return uni(v)
    if isinstance(v, bytes):
        return binbytes(v)
    if isinstance(v, tuple):
        return tup(*[py_value(x) for x in v])
    if isinstance(v, list):
        return lst(*[py_value(x) for x in v])
    if isinstance(v, dict):
        return dct(*[(py_value(k), py_value(x)) for k, x in v.items()])
    raise TypeError(type(v))
