#!/usr/bin/python3
"""make_vectors.py - regenerate the conformance vectors of spec/FORMAT.md.

Every vector is NAME.bin (the input) plus NAME.json (the exact export `jlload --json`
prints, canonical per spec/JSON.md) or NAME.err (one line `CODE OFFSET`: the error name
and the decoded-stream offset `jlload` reports). A few vectors also have companion files
(NAME_01.npy, NAME_01.npy.z) that the joblib <= 0.9 formats keep beside the main file.

Nothing here is an unexplained binary: hand-made pickles are written with the small
assembler below (opcode names as in pickletools), containers with hand-made stored /
raw blocks (zlib, gzip, ZF, lz4, zstd) or Python's own bz2 / lzma modules, and the
joblib files with Debian's joblib 1.2 / numpy 1.24 (monkeypatched where noted to write
the other generations). Expected JSON is written out by hand for hand-made inputs and
derived from what Python loads (pyexport below) for Python-made ones.

    /usr/bin/python3 spec/vectors/make_vectors.py            # rewrite the vector set
    /usr/bin/python3 spec/vectors/make_vectors.py --check    # also cross-check the hand
        # written expectations against CPython's pickle/joblib where Python can load the
        # input, and print what CPython's C and pure-Python unpicklers do with each
        # CPython-differential vector

The script also checks that every MUST rule of spec/FORMAT.md (the **X-n** labels) is
covered by a vector or listed in NOVEC with the reason it cannot be tested through
`jlload --json`, and writes INDEX.md (vector -> rules, description).
"""
import base64
import bz2
import io
import lzma
import math
import os
import pickle
import re
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FORMAT_MD = os.path.join(HERE, "..", "FORMAT.md")

# ----------------------------------------------------------------------------------
# A pickle assembler. A program is a sequence of items: an opcode name, a tuple
# (name, argument), or raw bytes. Arguments are encoded as FORMAT.md section 5.2 says;
# Raw(b"...") bypasses the encoding (to write lying lengths).
# ----------------------------------------------------------------------------------

OPS = {
    # name: (byte, argument kind)
    'MARK': (0x28, None), 'STOP': (0x2e, None), 'POP': (0x30, None), 'POP_MARK': (0x31, None),
    'DUP': (0x32, None), 'FLOAT': (0x46, 'line'), 'INT': (0x49, 'line'), 'BININT': (0x4a, 'i4'),
    'BININT1': (0x4b, 'u1'), 'LONG': (0x4c, 'line'), 'BININT2': (0x4d, 'u2'), 'NONE': (0x4e, None),
    'PERSID': (0x50, 'line'), 'BINPERSID': (0x51, None), 'REDUCE': (0x52, None),
    'STRING': (0x53, 'line'), 'BINSTRING': (0x54, 'slen4'), 'SHORT_BINSTRING': (0x55, 'len1'),
    'UNICODE': (0x56, 'line'), 'BINUNICODE': (0x58, 'len4'), 'APPEND': (0x61, None),
    'BUILD': (0x62, None), 'GLOBAL': (0x63, 'line2'), 'DICT': (0x64, None),
    'EMPTY_DICT': (0x7d, None), 'APPENDS': (0x65, None), 'GET': (0x67, 'line'),
    'BINGET': (0x68, 'u1'), 'INST': (0x69, 'line2'), 'LONG_BINGET': (0x6a, 'u4'),
    'LIST': (0x6c, None), 'EMPTY_LIST': (0x5d, None), 'OBJ': (0x6f, None), 'PUT': (0x70, 'line'),
    'BINPUT': (0x71, 'u1'), 'LONG_BINPUT': (0x72, 'u4'), 'SETITEM': (0x73, None),
    'TUPLE': (0x74, None), 'EMPTY_TUPLE': (0x29, None), 'SETITEMS': (0x75, None),
    'BINFLOAT': (0x47, 'f8'), 'PROTO': (0x80, 'u1'), 'NEWOBJ': (0x81, None), 'EXT1': (0x82, 'u1'),
    'EXT2': (0x83, 'u2'), 'EXT4': (0x84, 'i4'), 'TUPLE1': (0x85, None), 'TUPLE2': (0x86, None),
    'TUPLE3': (0x87, None), 'NEWTRUE': (0x88, None), 'NEWFALSE': (0x89, None),
    'LONG1': (0x8a, 'len1'), 'LONG4': (0x8b, 'slen4'), 'BINBYTES': (0x42, 'len4'),
    'SHORT_BINBYTES': (0x43, 'len1'), 'SHORT_BINUNICODE': (0x8c, 'len1'),
    'BINUNICODE8': (0x8d, 'len8'), 'BINBYTES8': (0x8e, 'len8'), 'EMPTY_SET': (0x8f, None),
    'ADDITEMS': (0x90, None), 'FROZENSET': (0x91, None), 'NEWOBJ_EX': (0x92, None),
    'STACK_GLOBAL': (0x93, None), 'MEMOIZE': (0x94, None), 'FRAME': (0x95, 'u8'),
    'BYTEARRAY8': (0x96, 'len8'), 'NEXT_BUFFER': (0x97, None), 'READONLY_BUFFER': (0x98, None),
}
assert len(OPS) == 68


class Raw(bytes):
    """An argument written as these bytes, whatever the opcode's encoding."""


def _text(x):
    return x.encode('utf-8', 'surrogatepass') if isinstance(x, str) else bytes(x)


def _arg(kind, a):
    if isinstance(a, Raw):
        return bytes(a)
    if kind == 'u1': return struct.pack('<B', a)
    if kind == 'u2': return struct.pack('<H', a)
    if kind == 'i4': return struct.pack('<i', a)
    if kind == 'u4': return struct.pack('<I', a)
    if kind == 'u8': return struct.pack('<Q', a)
    if kind == 'f8': return struct.pack('>d', a)
    if kind == 'line': return _text(a) + b'\n'
    if kind == 'line2': return _text(a[0]) + b'\n' + _text(a[1]) + b'\n'
    d = _text(a)
    if kind == 'len1': return struct.pack('<B', len(d)) + d
    if kind == 'len4': return struct.pack('<I', len(d)) + d
    if kind == 'slen4': return struct.pack('<i', len(d)) + d
    if kind == 'len8': return struct.pack('<Q', len(d)) + d
    raise ValueError(kind)


def A(*items):
    """Assemble opcodes (see above) into bytes."""
    out = b''
    for it in items:
        if isinstance(it, (bytes, bytearray)):
            out += bytes(it)
            continue
        if isinstance(it, (list,)):
            out += A(*it)
            continue
        name, arg = (it, None) if isinstance(it, str) else it
        code, kind = OPS[name]
        out += bytes([code])
        if kind is not None:
            out += _arg(kind, arg)
        elif arg is not None:
            raise ValueError(name + ' takes no argument')
    return out


def F(*items):
    """A FRAME opcode whose length is exactly that of the assembled items, then them."""
    body = A(*items)
    return A(('FRAME', len(body))) + body


def P4(*items):
    return A(('PROTO', 4), *items)


def P2(*items):
    return A(('PROTO', 2), *items)


def S(s):
    return ('SHORT_BINUNICODE', s)


def I1(x):
    return ('BININT1', x)


def I4(x):
    return ('BININT', x)


def G4(mod, name):
    """A global the protocol 4 way: two strings and STACK_GLOBAL."""
    return [S(mod), S(name), 'STACK_GLOBAL']


def G(mod, name):
    return ('GLOBAL', (mod, name))


def dtype4(descr='f8', order='<', elsize=-1, align=-1, flags=0):
    """numpy's dtype.__reduce__ as protocol 4 writes it: REDUCE(numpy.dtype,
    (descr, False, True)) + BUILD((3, order, None, None, None, elsize, align, flags))."""
    return G4('numpy', 'dtype') + [S(descr), 'NEWFALSE', 'NEWTRUE', 'TUPLE3', 'REDUCE',
                                   'MARK', I1(3), S(order), 'NONE', 'NONE', 'NONE',
                                   I4(elsize), I4(align), I1(flags), 'TUPLE', 'BUILD']


def shape4(shape):
    ints = [I1(x) if 0 <= x < 256 else I4(x) if -2**31 <= x < 2**31 else ('LONG1', Raw(_long(x)))
            for x in shape]
    if len(shape) == 0:
        return ['EMPTY_TUPLE']
    if len(shape) <= 3:
        return ints + [('TUPLE1', 'TUPLE2', 'TUPLE3')[len(shape) - 1]]
    return ['MARK'] + ints + ['TUPLE']


def _long(x):
    n = (x.bit_length() + 8) // 8
    b = x.to_bytes(n, 'little', signed=True)
    return bytes([len(b)]) + b


def wrapper4(items, cls='NumpyArrayWrapper', mod='joblib.numpy_pickle', make='NEWOBJ'):
    """joblib's wrapper: the class, NEWOBJ with (), then BUILD with a dict of `items`
    (a list of (key, [value opcodes]))."""
    out = G4(mod, cls) + ['EMPTY_TUPLE', make, 'EMPTY_DICT', 'MARK']
    for k, v in items:
        out += [S(k)] + list(v)
    return out + ['SETITEMS', 'BUILD']


def std_state(shape=(3,), descr='f8', order='C', align=(I1(16),), dt=None, drop=()):
    """The state dict joblib >= 1.2 writes, in its key order; align=None leaves out the
    numpy_array_alignment_bytes key (G1)."""
    it = [('subclass', G4('numpy', 'ndarray')), ('shape', shape4(shape)), ('order', [S(order)]),
          ('dtype', dt if dt is not None else dtype4(descr)), ('allow_mmap', ['NEWTRUE'])]
    if align is not None:
        it.append(('numpy_array_alignment_bytes', list(align)))
    return [kv for kv in it if kv[0] not in drop]


def g2(state_items, data, tail=b'.', pad=None, prefix=None, **kw):
    """A protocol 4 joblib stream holding one wrapper: the wrapper pickle, the payload
    (the pad byte and 0xFF bytes computed as joblib does unless `pad` is given), `tail`."""
    head = (prefix if prefix is not None else A(('PROTO', 4))) + A(*wrapper4(state_items, **kw))
    if pad is None:
        has_align = any(k == 'numpy_array_alignment_bytes' and v != ['NONE'] for k, v in state_items)
        if has_align:
            p = 16 - ((len(head) + 1) % 16)
            pad = bytes([p]) + b'\xff' * p
        else:
            pad = b''
    return head + pad + data + tail


# ----------------------------------------------------------------------------------
# Hashes for the hand-made lz4 and zstd frames (xxHash 32 and 64, seed 0).
# ----------------------------------------------------------------------------------

def xxh32(data, seed=0):
    P1, P2, P3, P4_, P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
    M = 0xFFFFFFFF
    rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & M
    n = len(data)
    i = 0
    if n >= 16:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed & M, (seed - P1) & M]
        while i + 16 <= n:
            for k in range(4):
                lane = struct.unpack_from('<I', data, i + 4 * k)[0]
                v[k] = (rotl((v[k] + lane * P2) & M, 13) * P1) & M
            i += 16
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 4 <= n:
        h = (rotl((h + struct.unpack_from('<I', data, i)[0] * P3) & M, 17) * P4_) & M
        i += 4
    while i < n:
        h = (rotl((h + data[i] * P5) & M, 11) * P1) & M
        i += 1
    h ^= h >> 15; h = (h * P2) & M
    h ^= h >> 13; h = (h * P3) & M
    h ^= h >> 16
    return h


def xxh64(data, seed=0):
    P1, P2, P3, P4_, P5 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
                           9650029242287828579, 2870177450012600261)
    M = 0xFFFFFFFFFFFFFFFF
    rotl = lambda x, r: ((x << r) | (x >> (64 - r))) & M

    def rnd(acc, lane):
        return (rotl((acc + lane * P2) & M, 31) * P1) & M

    def merge(acc, v):
        acc ^= rnd(0, v)
        return (acc * P1 + P4_) & M

    n = len(data)
    i = 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed & M, (seed - P1) & M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = rnd(v[k], struct.unpack_from('<Q', data, i + 8 * k)[0])
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for k in range(4):
            h = merge(h, v[k])
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h ^= rnd(0, struct.unpack_from('<Q', data, i)[0])
        h = (rotl(h, 27) * P1 + P4_) & M
        i += 8
    if i + 4 <= n:
        h ^= (struct.unpack_from('<I', data, i)[0] * P1) & M
        h = (rotl(h, 23) * P2 + P3) & M
        i += 4
    while i < n:
        h ^= (data[i] * P5) & M
        h = (rotl(h, 11) * P1) & M
        i += 1
    h ^= h >> 33; h = (h * P2) & M
    h ^= h >> 29; h = (h * P3) & M
    h ^= h >> 32
    return h


# ----------------------------------------------------------------------------------
# Containers. Hand-made ones use stored (uncompressed) blocks so that every byte is
# explained and the decoded offsets of the error vectors do not depend on a library.
# ----------------------------------------------------------------------------------

def deflate_stored(data):
    """Raw deflate: stored blocks of at most 65535 bytes (RFC 1951, 3.2.4)."""
    out = b''
    chunks = [data[i:i + 65535] for i in range(0, len(data), 65535)] or [b'']
    for k, c in enumerate(chunks):
        final = 1 if k == len(chunks) - 1 else 0
        out += bytes([final]) + struct.pack('<HH', len(c), len(c) ^ 0xFFFF) + c
    return out


def zlib_stored(data):
    """RFC 1950: CMF 0x78, FLG 0x01 (0x7801 is a multiple of 31), stored deflate,
    Adler-32 big-endian."""
    return b'\x78\x01' + deflate_stored(data) + struct.pack('>I', zlib.adler32(data))


def gzip_stored(data, fname=None, mtime=0):
    """RFC 1952: 1f 8b, CM 8, FLG (FNAME when a name is given), MTIME, XFL 0, OS 3,
    stored deflate, CRC-32 and ISIZE little-endian."""
    flg = 0x08 if fname else 0
    head = b'\x1f\x8b\x08' + bytes([flg]) + struct.pack('<I', mtime) + b'\x00\x03'
    if fname:
        head += fname + b'\x00'
    return head + deflate_stored(data) + struct.pack('<II', zlib.crc32(data), len(data) & 0xFFFFFFFF)


def zf(data, extra_space=False):
    """joblib <= 0.9: "ZF", hex(len) left-justified in 19 bytes, (py2 <= 0.8.4: one more
    space), then a zlib stream."""
    head = b'ZF' + hex(len(data)).encode().ljust(19, b' ')
    return head + (b' ' if extra_space else b'') + zlib_stored(data)


def lz4_frame(data, content_checksum=False, flg=None, blocks=None):
    """LZ4 frame: magic, FLG (version 01, linked blocks, optional content checksum), BD
    0x40 (64 KiB blocks), HC = second byte of xxh32(FLG BD); uncompressed blocks (size
    with bit 31 set); EndMark; optional xxh32 of the content."""
    if flg is None:
        flg = 0x40 | (0x04 if content_checksum else 0)
    desc = bytes([flg, 0x40])
    out = b'\x04\x22\x4d\x18' + desc + bytes([(xxh32(desc) >> 8) & 0xFF])
    for i in range(0, len(data), 65536):
        c = data[i:i + 65536]
        out += struct.pack('<I', len(c) | 0x80000000) + c
    out += b'\x00\x00\x00\x00'
    if flg & 0x04:
        out += struct.pack('<I', xxh32(data))
    return out


def zstd_frame(data, checksum=False, block_type=0):
    """Zstandard frame (RFC 8878): magic, Frame_Header_Descriptor with Single_Segment
    (and Content_Checksum), Frame_Content_Size, raw blocks (3-byte headers: last flag,
    type 0 = raw, size), optional low 32 bits of xxh64(content)."""
    n = len(data)
    if n < 256:
        fcs_flag, fcs = 0, bytes([n])
    elif n < 65536 + 256:
        fcs_flag, fcs = 1, struct.pack('<H', n - 256)
    else:
        fcs_flag, fcs = 2, struct.pack('<I', n)
    fhd = (fcs_flag << 6) | 0x20 | (0x04 if checksum else 0)
    out = b'\x28\xb5\x2f\xfd' + bytes([fhd]) + fcs
    chunks = [data[i:i + 65536] for i in range(0, n, 65536)] or [b'']
    for k, c in enumerate(chunks):
        last = 1 if k == len(chunks) - 1 else 0
        out += struct.pack('<I', last | (block_type << 1) | (len(c) << 3))[:3] + c
    if checksum:
        out += struct.pack('<I', xxh64(data) & 0xFFFFFFFF)
    return out


def zstd_window_frame(window_log):
    """A frame header that asks for a window of 2^window_log bytes (no Single_Segment:
    Window_Descriptor exponent = window_log - 10), then one empty last raw block."""
    return b'\x28\xb5\x2f\xfd' + bytes([0x00, (window_log - 10) << 3]) + b'\x01\x00\x00'


def bz2c(data):
    return bz2.compress(data, 9)


def lzma_alone(data, preset=6):
    return lzma.compress(data, format=lzma.FORMAT_ALONE, preset=preset)


def xzc(data, check=lzma.CHECK_CRC64):
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=check, preset=6)


def flip(data, i, mask=0x01):
    b = bytearray(data)
    b[i] ^= mask
    return bytes(b)


# ----------------------------------------------------------------------------------
# pyexport: spec/JSON.md for the Python values the Python-made vectors load to, so their
# expected JSON comes from Python rather than from libjlpickle.
# ----------------------------------------------------------------------------------

def _jstr(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"': out.append('\\"')
        elif ch == '\\': out.append('\\\\')
        elif ch == '\b': out.append('\\b')
        elif ch == '\f': out.append('\\f')
        elif ch == '\n': out.append('\\n')
        elif ch == '\r': out.append('\\r')
        elif ch == '\t': out.append('\\t')
        elif c < 0x20 or 0xD800 <= c <= 0xDFFF: out.append('\\u%04x' % c)
        else: out.append(ch)
    out.append('"')
    return ''.join(out)


def _jfloat(f):
    if math.isnan(f): return '{"$float":"nan"}'
    if math.isinf(f): return '{"$float":"inf"}' if f > 0 else '{"$float":"-inf"}'
    return repr(float(f))


def _b64(b):
    return base64.b64encode(bytes(b)).decode()


def _descr(dt):
    if dt.fields is None:
        return _jstr(dt.str)

    def conv(x):
        if isinstance(x, (list, tuple)):
            return '[' + ','.join(conv(y) for y in x) + ']'
        if isinstance(x, int):
            return str(x)
        return _jstr(x)
    return conv(dt.descr)


def _npval(x, dt):
    """One item of numpy's tolist() as spec/JSON.md maps it."""
    import numpy as np
    if dt.fields is not None:
        return '[' + ','.join(_npval(x[i], dt.fields[n][0]) for i, n in enumerate(dt.names)) + ']'
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        return _nplist(np.asarray(x, dtype=base).reshape(shape), base)
    k = dt.kind
    if k == 'b': return 'true' if x else 'false'
    if k in 'iu': return str(int(x))
    if k == 'f': return _jfloat(float(x))
    if k == 'c': return '{"$complex":[%s,%s]}' % (_jfloat(x.real), _jfloat(x.imag))
    if k == 'S': return '{"$bytes":"%s"}' % _b64(bytes(x).rstrip(b'\0'))
    if k == 'U': return _jstr(str(x).rstrip('\0'))
    if k == 'V': return '{"$bytes":"%s"}' % _b64(bytes(x))
    if k == 'O': return pyexport(x)
    raise ValueError(dt)


def _nplist(a, dt):
    import numpy as np
    a = np.asarray(a)  # np.matrix indexing keeps two dimensions
    if dt.kind in 'Mm':
        a = a.view(dt.str[0] + 'i8')
        dt = a.dtype
    if a.ndim == 0:
        return _npval(a[()], dt)

    def rec(sub):
        if sub.ndim == 1:
            return '[' + ','.join(_npval(sub[i], dt) for i in range(sub.shape[0])) + ']'
        return '[' + ','.join(rec(sub[i]) for i in range(sub.shape[0])) + ']'
    return rec(a)


def pyexport(v):
    import numpy as np
    if v is None: return 'null'
    if v is True: return 'true'
    if v is False: return 'false'
    if isinstance(v, np.ndarray):
        order = 'F' if v.flags.f_contiguous and not v.flags.c_contiguous else 'C'
        return '{"$ndarray":{"dtype":%s,"shape":[%s],"order":"%s","data":%s}}' % (
            _descr(v.dtype), ','.join(str(d) for d in v.shape), order, _nplist(v, v.dtype))
    if isinstance(v, np.generic):
        return '{"$scalar":{"dtype":%s,"value":%s}}' % (_descr(v.dtype), _npval(v, v.dtype))
    if isinstance(v, np.dtype):
        return '{"$dtype":%s}' % _descr(v)
    if isinstance(v, int): return str(v)
    if isinstance(v, float): return _jfloat(v)
    if isinstance(v, complex): return '{"$complex":[%s,%s]}' % (_jfloat(v.real), _jfloat(v.imag))
    if isinstance(v, str): return _jstr(v)
    if isinstance(v, bytes): return '{"$bytes":"%s"}' % _b64(v)
    if isinstance(v, bytearray): return '{"$bytearray":"%s"}' % _b64(v)
    if isinstance(v, list): return '[' + ','.join(pyexport(x) for x in v) + ']'
    if isinstance(v, tuple): return '{"$tuple":[' + ','.join(pyexport(x) for x in v) + ']}'
    if isinstance(v, frozenset): return '{"$frozenset":[' + ','.join(pyexport(x) for x in v) + ']}'
    if isinstance(v, set): return '{"$set":[' + ','.join(pyexport(x) for x in v) + ']}'
    if isinstance(v, dict):
        if all(isinstance(k, str) and not k.startswith('$') for k in v):
            return '{' + ','.join(_jstr(k) + ':' + pyexport(x) for k, x in v.items()) + '}'
        return '{"$dict":[' + ','.join('[%s,%s]' % (pyexport(k), pyexport(x)) for k, x in v.items()) + ']}'
    if isinstance(v, type) or callable(v):
        return '{"$global":%s}' % _jstr(v.__module__ + '.' + v.__qualname__)
    raise TypeError(type(v))


def joblib_load_file_order(path):
    """joblib.load, but arrays keep the file's byte order (joblib 1.1-1.4 swaps them to
    native order; libjlpickle keeps the file's order and says so in the dtype)."""
    import joblib.numpy_pickle as m
    saved = m._ensure_native_byte_order
    m._ensure_native_byte_order = lambda a: a
    try:
        return m.load(path)
    finally:
        m._ensure_native_byte_order = saved


def joblib_dump_bytes(value, gen='G2', compress=0, protocol=None):
    """joblib.dump into memory. gen: 'G2' (joblib 1.2 as is), 'G1' (no alignment
    attribute: what joblib 0.10-1.1 wrote), 'G2-notell' (an output whose tell() raises),
    'obj-p5' (object arrays as a protocol 5 nested pickle, as joblib >= 1.5)."""
    import joblib
    import joblib.numpy_pickle as m
    saved_create = m.NumpyPickler._create_array_wrapper
    saved_pickle = m.pickle
    if gen == 'G1':
        def create(self, array):
            w = saved_create(self, array)
            del w.numpy_array_alignment_bytes
            return w
        m.NumpyPickler._create_array_wrapper = create
    if gen == 'obj-p5':
        class P5:
            def __getattr__(self, k):
                return getattr(pickle, k)

            @staticmethod
            def dump(obj, fh, protocol=None):
                return pickle.dump(obj, fh, protocol=5)
        m.pickle = P5()

    class NoTell(io.RawIOBase):
        def __init__(self):
            self.buf = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.buf += b
            return len(b)

        def tell(self):
            raise io.UnsupportedOperation('tell')

        def seek(self, *a):
            raise io.UnsupportedOperation('seek')
    try:
        if gen == 'G2-notell':
            f = NoTell()
            joblib.dump(value, f, compress=compress, protocol=protocol)
            return bytes(f.buf)
        f = io.BytesIO()
        joblib.dump(value, f, compress=compress, protocol=protocol)
        return f.getvalue()
    finally:
        m.NumpyPickler._create_array_wrapper = saved_create
        m.pickle = saved_pickle


# ----------------------------------------------------------------------------------
# The vector registry.
# ----------------------------------------------------------------------------------

VECTORS = []
NAMES = set()


def vec(name, data, json=None, err=None, rules=(), desc='', py=None, companions=None,
        cpython=None):
    """Register a vector. Exactly one of json (the expected export, without the final
    newline) and err ("CODE OFFSET") is given. py: 'pickle' or 'joblib' when CPython can
    load the input and --check compares its export with `json`. cpython: a note on what
    CPython does (differential vectors). companions: {file name: bytes}."""
    assert (json is None) != (err is None), name
    if isinstance(err, tuple):  # (CODE, k): the opcode k bytes before the end of the input
        err = '%s %d' % (err[0], len(data) + err[1])
    assert name not in NAMES, name
    assert re.fullmatch(r'[a-z0-9_]+', name), name
    NAMES.add(name)
    VECTORS.append(dict(name=name, data=data, json=json, err=err, rules=list(rules), desc=desc,
                        py=py, companions=companions or {}, cpython=cpython))


# Vectors whose expectation follows FORMAT.md but that the current code fails: they are
# not written to the committed set (see EXCLUDED.md, written by this script).
EXCLUDED = []


def excluded(name, data, why, **kw):
    EXCLUDED.append(dict(name=name, data=data, why=why, **kw))


def pyjson(value):
    return pyexport(value)


# The MUST rules of FORMAT.md that `jlload --json` with default options cannot reach,
# and why. Every other rule has at least one vector.
NOVEC = {
    'C-13': 'max_decoded / max_ratio: the defaults (1 TiB, off) cannot be reached by a small vector',
    'C-14': 'CODEC_MISSING needs a build without the codec',
    'L-2': 'max_ops, max_depth, max_stack, max_memo, max_alloc: the defaults need inputs of '
           'megabytes to gigabytes; tests/unit/test_hostile.c sets small limits instead',
    'MA-1': 'mmap and the alignment policy are options jlload --json does not set '
            '(tests/unit/test_joblib.c covers them)',
    'MA-2': 'as MA-1',
    'W-7': 'a statement about what not to write (zstd) for joblib readers',
    'W-8': 'instances below protocol 2 are written by jldump -p 0 or -p 1, which the rewrite of the '
           'w_ vectors does not use; tests/unit/test_divergences.c and tests/diff/ load them in Python',
    'W-10': "as W-9: numpy's layout is not what the rewrite of the w_ vectors writes",
    'W-9': "numpy's own reduce is written by jldump --numpy-arrays, which the rewrite of the w_ "
           "vectors (joblib's layout) does not use; tests/unit/test_divergences.c and the "
           "differential test (tests/diff/) compare it with numpy's pickles",
}


# ==================================================================================
# The vectors. Each section names the FORMAT.md rules it covers.
# ==================================================================================

def opcode_vectors():
    """One vector per opcode (FORMAT.md 5.1, 5.2): the opcode in a minimal pickle."""
    m_C = G('m', 'C')
    ops = [
        ('mark', A('MARK', I1(1), I1(2), 'LIST', 'STOP'), '[1,2]', 'pickle'),
        ('stop', A('NONE', 'STOP'), 'null', 'pickle'),
        ('pop', A(I1(1), I1(2), 'POP', 'STOP'), '1', 'pickle'),
        ('pop_mark', A(I1(1), 'MARK', I1(2), I1(3), 'POP_MARK', 'STOP'), '1', 'pickle'),
        ('dup', P2(I1(5), 'DUP', 'TUPLE2', 'STOP'), '{"$tuple":[5,5]}', 'pickle'),
        ('float', A(('FLOAT', '-1.25e-3'), 'STOP'), '-0.00125', 'pickle'),
        ('int', A(('INT', '-42'), 'STOP'), '-42', 'pickle'),
        ('binint', A(I4(-2), 'STOP'), '-2', 'pickle'),
        ('binint1', A(I1(255), 'STOP'), '255', 'pickle'),
        ('long', A(('LONG', '-12345678901234567890L'), 'STOP'), '-12345678901234567890', 'pickle'),
        ('binint2', A(('BININT2', 65535), 'STOP'), '65535', 'pickle'),
        ('none', A('EMPTY_LIST', 'NONE', 'APPEND', 'STOP'), '[null]', 'pickle'),
        ('persid', A(('PERSID', 'abc'), 'STOP'), '{"$persid":"abc"}', None),
        ('binpersid', P2(I1(5), 'BINPERSID', 'STOP'), '{"$persid":5}', None),
        ('reduce', A(G('m', 'f'), I1(1), 'TUPLE1', 'REDUCE', 'STOP'),
         '{"$object":{"call":"m.f","args":[1]}}', None),
        ('string', A(('STRING', "'a\\n\\x41'"), 'STOP'), '"a\\nA"', 'pickle'),
        ('binstring', A(('BINSTRING', b'abc'), 'STOP'), '"abc"', 'pickle'),
        ('short_binstring', A(('SHORT_BINSTRING', b'abc'), 'STOP'), '"abc"', 'pickle'),
        ('unicode', A(('UNICODE', 'x\\u00e9'), 'STOP'), '"x\u00e9"', 'pickle'),
        ('binunicode', A(('BINUNICODE', '\u00e9\u20ac'), 'STOP'), '"\u00e9\u20ac"', 'pickle'),
        ('append', A('EMPTY_LIST', I1(1), 'APPEND', 'STOP'), '[1]', 'pickle'),
        ('build', P2(m_C, 'EMPTY_TUPLE', 'NEWOBJ', 'EMPTY_DICT', ('BINUNICODE', 'a'),
                     I1(1), 'SETITEM', 'BUILD', 'STOP'),
         '{"$object":{"class":"m.C","state":{"a":1}}}', None),
        ('global', A(G('m', 'f'), 'STOP'), '{"$global":"m.f"}', None),
        ('dict', A('MARK', ('BINUNICODE', 'a'), I1(1), 'DICT', 'STOP'), '{"a":1}', 'pickle'),
        ('empty_dict', A('EMPTY_DICT', 'STOP'), '{}', 'pickle'),
        ('appends', A('EMPTY_LIST', 'MARK', I1(1), I1(2), 'APPENDS', 'STOP'), '[1,2]', 'pickle'),
        ('get', A(I1(7), ('PUT', '0'), 'POP', ('GET', '0'), 'STOP'), '7', 'pickle'),
        ('binget', A(I1(7), ('BINPUT', 0), 'POP', ('BINGET', 0), 'STOP'), '7', 'pickle'),
        ('inst', A('MARK', I1(1), ('INST', ('m', 'C')), 'STOP'),
         '{"$object":{"class":"m.C","args":[1]}}', None),
        ('long_binget', A(I1(7), ('LONG_BINPUT', 256), 'POP', ('LONG_BINGET', 256), 'STOP'), '7', 'pickle'),
        ('list', A('MARK', I1(1), 'LIST', 'STOP'), '[1]', 'pickle'),
        ('empty_list', A('EMPTY_LIST', 'STOP'), '[]', 'pickle'),
        ('obj', A('MARK', m_C, I1(1), 'OBJ', 'STOP'), '{"$object":{"class":"m.C","args":[1]}}', None),
        ('put', A(I1(7), ('PUT', '123'), 'POP', ('GET', '123'), 'STOP'), '7', 'pickle'),
        ('binput', A(I1(7), ('BINPUT', 255), 'POP', ('BINGET', 255), 'STOP'), '7', 'pickle'),
        ('long_binput', A(I1(7), ('LONG_BINPUT', 0x10000), 'POP', ('LONG_BINGET', 0x10000), 'STOP'), '7', 'pickle'),
        ('setitem', A('EMPTY_DICT', ('BINUNICODE', 'a'), I1(1), 'SETITEM', 'STOP'), '{"a":1}', 'pickle'),
        ('tuple', A('MARK', I1(1), I1(2), 'TUPLE', 'STOP'), '{"$tuple":[1,2]}', 'pickle'),
        ('empty_tuple', A('EMPTY_TUPLE', 'STOP'), '{"$tuple":[]}', 'pickle'),
        ('setitems', A('EMPTY_DICT', 'MARK', ('BINUNICODE', 'a'), I1(1), ('BINUNICODE', 'b'), I1(2),
                       'SETITEMS', 'STOP'), '{"a":1,"b":2}', 'pickle'),
        ('binfloat', A(('BINFLOAT', -0.5), 'STOP'), '-0.5', 'pickle'),
        ('proto', A(('PROTO', 5), 'NONE', 'STOP'), 'null', 'pickle'),
        ('newobj', P2(m_C, 'EMPTY_TUPLE', 'NEWOBJ', 'STOP'), '{"$object":{"class":"m.C"}}', None),
        ('ext1', P2(('EXT1', 7), 'STOP'), '{"$ext":7}', None),
        ('ext2', P2(('EXT2', 300), 'STOP'), '{"$ext":300}', None),
        ('ext4', P2(('EXT4', 70000), 'STOP'), '{"$ext":70000}', None),
        ('tuple1', P2(I1(1), 'TUPLE1', 'STOP'), '{"$tuple":[1]}', 'pickle'),
        ('tuple2', P2(I1(1), I1(2), 'TUPLE2', 'STOP'), '{"$tuple":[1,2]}', 'pickle'),
        ('tuple3', P2(I1(1), I1(2), I1(3), 'TUPLE3', 'STOP'), '{"$tuple":[1,2,3]}', 'pickle'),
        ('newtrue', P2('NEWTRUE', 'STOP'), 'true', 'pickle'),
        ('newfalse', P2('NEWFALSE', 'STOP'), 'false', 'pickle'),
        ('long1', P2(('LONG1', b'\x00\x00\x00\x00\x00\x00\x00\x00\x01'), 'STOP'), '18446744073709551616', 'pickle'),
        ('long4', P2(('LONG4', b'\xff' * 8 + b'\x7f'), 'STOP'), '2361183241434822606847', 'pickle'),
        ('binbytes', A(('PROTO', 3), ('BINBYTES', b'abc'), 'STOP'), '{"$bytes":"YWJj"}', 'pickle'),
        ('short_binbytes', A(('PROTO', 3), ('SHORT_BINBYTES', b'\x00\xff'), 'STOP'), '{"$bytes":"AP8="}', 'pickle'),
        ('short_binunicode', P4(S('h\u00e9'), 'STOP'), '"h\u00e9"', 'pickle'),
        ('binunicode8', P4(('BINUNICODE8', 'abc'), 'STOP'), '"abc"', 'pickle'),
        ('binbytes8', P4(('BINBYTES8', b'abc'), 'STOP'), '{"$bytes":"YWJj"}', 'pickle'),
        ('empty_set', P4('EMPTY_SET', 'STOP'), '{"$set":[]}', 'pickle'),
        ('additems', P4('EMPTY_SET', 'MARK', I1(1), I1(2), 'ADDITEMS', 'STOP'), '{"$set":[1,2]}', 'pickle'),
        ('frozenset', P4('MARK', I1(1), I1(2), 'FROZENSET', 'STOP'), '{"$frozenset":[1,2]}', 'pickle'),
        ('newobj_ex', P4(*G4('m', 'C'), I1(1), 'TUPLE1', 'EMPTY_DICT', S('k'), I1(2), 'SETITEM',
                         'NEWOBJ_EX', 'STOP'),
         '{"$object":{"class":"m.C","args":[1],"kwargs":{"k":2}}}', None),
        ('stack_global', P4(*G4('m', 'f'), 'STOP'), '{"$global":"m.f"}', None),
        ('memoize', P4(I1(7), 'MEMOIZE', 'POP', ('BINGET', 0), 'STOP'), '7', 'pickle'),
        ('frame', A(('PROTO', 4)) + F('NONE', 'STOP'), 'null', 'pickle'),
        ('bytearray8', A(('PROTO', 5), ('BYTEARRAY8', b'ab'), 'STOP'), '{"$bytearray":"YWI="}', 'pickle'),
        ('readonly_buffer', A(('PROTO', 5), ('BYTEARRAY8', b'ab'), 'READONLY_BUFFER', 'STOP'),
         '{"$bytes":"YWI="}', None),
    ]
    for name, data, js, py in ops:
        vec('op_' + name, data, json=js, rules=['P-1', 'P-2'], py=py,
            desc='opcode %s' % name.upper())
    vec('op_next_buffer', A(('PROTO', 5), 'NEXT_BUFFER', 'STOP'), err='NO_BUFFER 2',
        rules=['P-1', 'V-12'], desc='NEXT_BUFFER without out-of-band buffers')
    seen = {v['name'][3:].upper() for v in VECTORS if v['name'].startswith('op_')}
    assert seen == set(OPS), (set(OPS) ^ seen)


# A small protocol 2 pickle used inside every container: {'a': [1, 2, 3], 's': 'hello'}.
PAY = P2('EMPTY_DICT', 'MARK', ('BINUNICODE', 'a'), 'EMPTY_LIST', 'MARK', I1(1), I1(2), I1(3),
         'APPENDS', ('BINUNICODE', 's'), ('BINUNICODE', 'hello'), 'SETITEMS', 'STOP')
PAY_JSON = '{"a":[1,2,3],"s":"hello"}'
# The same value split in two halves, for concatenated streams.
PAY_A, PAY_B = PAY[:20], PAY[20:]


def container_vectors():
    n = len(PAY)
    ok = lambda name, data, rules, desc, **kw: vec(name, data, json=PAY_JSON, rules=rules, desc=desc, **kw)
    # -- detection (C-1, C-2)
    ok('c_raw', PAY, ['C-1'], 'uncompressed protocol 2 pickle (the payload of the c_* vectors)', py='pickle')
    vec('c_detect_empty_list', A('EMPTY_LIST', ('BINPUT', 0), 'MARK', I1(1), I1(2), I1(3), I1(4),
                                  'APPENDS', 'STOP'),
        json='[1,2,3,4]', rules=['C-1'], py='pickle',
        desc='protocol 1 pickle whose first byte 0x5d is also the lzma magic: the lzma bid fails '
             '(no valid dictionary size), the pickle bid wins')
    vec('c_detect_mark', A('MARK', I1(1), I1(2), I1(3), I1(4), I1(5), I1(6), 'TUPLE', 'STOP'),
        json='{"$tuple":[1,2,3,4,5,6]}', rules=['C-1'], py='pickle',
        desc='protocol 0 pickle starting with MARK 0x28, the first byte of the zstd magic')
    vec('c_detect_binbytes', A(('BINBYTES', b'BZh9'), 'STOP'), json='{"$bytes":"QlpoOQ=="}',
        rules=['C-1'], py='pickle', desc="pickle starting with BINBYTES 'B' (bz2's first byte)")
    vec('c_unknown', b'\xfe\xca\x01\x02', err='UNKNOWN_FORMAT 0', rules=['C-2'],
        desc='first byte neither an opcode nor a container magic')
    vec('c_empty', b'', err='TRUNCATED 0', rules=['C-2', 'P-3'], desc='empty input')
    vec('c_proto6', b'\x80\x06N.', err='BAD_PROTO 0', rules=['C-2', 'P-4'],
        desc='PROTO 6: still detected as a pickle (bid 2), then rejected by the unpickler')
    # -- zlib (C-3)
    z = zlib_stored(PAY)
    ok('c_zlib', z, ['C-1', 'C-3'], 'zlib stream, stored blocks')
    ok('c_zlib_level9', zlib.compress(PAY, 9), ['C-1', 'C-3'], 'zlib stream by Python zlib level 9 (78 da)')
    vec('c_zlib_trunc', z[:-1], err='TRUNCATED %d' % n, rules=['C-3', 'C-11'],
        desc='zlib with the last byte of its Adler-32 cut: every pickle byte decodes, the end is missing')
    vec('c_zlib_adler', flip(z, len(z) - 1), err='CHECKSUM %d' % n, rules=['C-3'],
        desc='zlib with a wrong Adler-32')
    vec('c_zlib_corrupt', flip(z, 5), err='CORRUPT 0', rules=['C-3'],
        desc='zlib whose stored block has NLEN != ~LEN')
    vec('c_zlib_trailing', z + b'\x00', err='TRAILING %d' % n, rules=['C-3', 'C-11'],
        desc='one byte after the end of the zlib stream')
    vec('c_zlib_twice', zlib_stored(PAY_A) + zlib_stored(PAY_B), err='TRAILING %d' % len(PAY_A),
        rules=['C-3', 'C-11'], desc='two zlib streams: zlib is a single stream, the second is trailing data')
    # -- gzip (C-4)
    g = gzip_stored(PAY)
    ok('c_gzip', g, ['C-1', 'C-4'], 'gzip member as joblib writes it (FLG 0, MTIME 0, OS 3), stored blocks')
    ok('c_gzip_fname', gzip_stored(PAY, fname=b'x.pkl', mtime=1450878967), ['C-4'],
       'gzip member with FNAME and MTIME (as the gzip tool and old joblib test data write it)')
    vec('c_gzip_trunc', g[:-1], err='TRUNCATED %d' % n, rules=['C-4', 'C-11'],
        desc='gzip with the last byte of ISIZE cut')
    vec('c_gzip_crc', flip(g, len(g) - 8), err='CHECKSUM %d' % n, rules=['C-4'], desc='gzip with a wrong CRC-32')
    vec('c_gzip_isize', flip(g, len(g) - 4), err='CHECKSUM %d' % n, rules=['C-4'], desc='gzip with a wrong ISIZE')
    vec('c_gzip_two_members', g + g, err='TRAILING %d' % n, rules=['C-4', 'C-11'],
        desc='two gzip members: only one is allowed')
    vec('c_gzip_split_members', gzip_stored(PAY_A) + gzip_stored(PAY_B), err='TRAILING %d' % len(PAY_A),
        rules=['C-4', 'C-11'], desc='the pickle split over two gzip members: the second member is trailing data')
    # -- ZF (C-5)
    f = zf(PAY)
    ok('c_zf', f, ['C-1', 'C-5'], "joblib <= 0.9 ZF container: 'ZF', hex length padded to 19 bytes, zlib")
    ok('c_zf_22', zf(PAY, extra_space=True), ['C-5'], 'ZF header of 22 bytes (joblib 0.8.4 on Python 2)')
    vec('c_zf_length', zf(PAY).replace(hex(n).encode(), hex(n + 1).encode(), 1),
        err='CORRUPT %d' % n, rules=['C-5'], desc='ZF header declaring one byte more than the stream holds')
    vec('c_zf_trunc', f[:-1], err='TRUNCATED %d' % n, rules=['C-5', 'C-11'], desc='ZF with the Adler-32 cut')
    vec('c_zf_trailing', f + b'x', err='TRAILING %d' % n, rules=['C-5', 'C-11'], desc='a byte after the ZF stream')
    # -- bz2 (C-6)
    b = bz2c(PAY)
    ok('c_bz2', b, ['C-1', 'C-6'], 'bzip2 stream, level 9 (BZh9)')
    ok('c_bz2_concat', bz2c(PAY_A) + bz2c(PAY_B), ['C-6', 'C-11'], 'the pickle split over two bzip2 streams')
    vec('c_bz2_trunc', b[:10], err='TRUNCATED 0', rules=['C-6', 'C-11'], desc='bzip2 cut after the block magic')
    vec('c_bz2_crc', flip(b, len(b) - 1, 0x80), err='CORRUPT %d' % n, rules=['C-6'],
        desc='bzip2 with a wrong stream CRC (reported as CORRUPT)')
    vec('c_bz2_trailing', b + b'garbage', err='TRAILING %d' % n, rules=['C-6', 'C-11'],
        desc='bytes after the bzip2 stream that are not another bzip2 stream')
    vec('c_bz2_then_xz', b + xzc(PAY), err='TRAILING %d' % n, rules=['C-11'],
        desc='an xz stream after a bzip2 stream: only the same codec may follow')
    # -- lzma alone (C-7)
    l = lzma_alone(PAY)
    ok('c_lzma', l, ['C-1', 'C-7'], "LZMA 'alone' (.lzma), preset 6, size unknown, end marker")
    known = l[:5] + struct.pack('<Q', n) + l[13:]
    ok('c_lzma_known_size', known, ['C-7'], "LZMA 'alone' header with the uncompressed size known")
    ok('c_lzma_concat', lzma_alone(PAY_A) + lzma_alone(PAY_B), ['C-7', 'C-11'],
       "the pickle split over two LZMA 'alone' streams")
    vec('c_lzma_trunc', l[:13], err='TRUNCATED 0', rules=['C-7', 'C-11'], desc='LZMA alone cut after its header')
    vec('c_lzma_corrupt', flip(l, 13, 0xff), err='CORRUPT 0', rules=['C-7'],
        desc='LZMA alone whose first range-coder byte is not 0')
    vec('c_lzma_trailing', l + b'garbage', err='TRAILING %d' % n, rules=['C-7', 'C-11'],
        desc='bytes after the LZMA alone stream')
    # -- xz (C-8)
    x = xzc(PAY)
    ok('c_xz', x, ['C-1', 'C-8'], 'xz stream, CRC64 check, preset 6')
    ok('c_xz_check_none', xzc(PAY, lzma.CHECK_NONE), ['C-8'], 'xz with check NONE (joblib 0.10/0.11)')
    ok('c_xz_concat', xzc(PAY_A) + xzc(PAY_B), ['C-8', 'C-11'], 'the pickle split over two xz streams')
    vec('c_xz_trunc', x[:-12], err='TRUNCATED %d' % n, rules=['C-8', 'C-11'], desc='xz without its stream footer')
    vec('c_xz_header_crc', flip(x, 8), err='CORRUPT 0', rules=['C-8'], desc='xz stream header with a wrong CRC32')
    vec('c_xz_trailing', x + b'\x00' * 4, err='TRAILING %d' % n, rules=['C-8', 'C-11'],
        desc='four zero bytes after the xz stream (xz stream padding is not accepted)')
    # -- lz4 (C-9)
    z4 = lz4_frame(PAY)
    ok('c_lz4', z4, ['C-1', 'C-9'], 'LZ4 frame as joblib writes it (FLG 0x40, BD 0x40), uncompressed block')
    ok('c_lz4_checksum', lz4_frame(PAY, content_checksum=True), ['C-9'], 'LZ4 frame with a content checksum')
    ok('c_lz4_concat', lz4_frame(PAY_A) + lz4_frame(PAY_B), ['C-9', 'C-11'], 'the pickle split over two LZ4 frames')
    vec('c_lz4_unchecked', flip(z4, z4.index(b'hello') + 4, 0x01),
        json='{"a":[1,2,3],"s":"helln"}', rules=['C-9'],
        desc='a flipped data byte in an LZ4 frame without checksums decodes silently')
    vec('c_lz4_trunc', z4[:-4], err='TRUNCATED %d' % n, rules=['C-9', 'C-11'], desc='LZ4 frame without its EndMark')
    vec('c_lz4_header_checksum', flip(z4, 6), err='CHECKSUM 0', rules=['C-9'],
        desc='LZ4 frame descriptor with a wrong header checksum')
    c4 = lz4_frame(PAY, content_checksum=True)
    vec('c_lz4_content_checksum', flip(c4, len(c4) - 1), err='CHECKSUM 0', rules=['C-9'],
        desc='LZ4 frame with a wrong content checksum')
    vec('c_lz4_block_size', z4[:7] + struct.pack('<I', 0x7fffffff) + z4[11:], err='CORRUPT 0', rules=['C-9'],
        desc='LZ4 block larger than the frame maximum')
    vec('c_lz4_trailing', z4 + b'garbage', err='TRAILING %d' % n, rules=['C-9', 'C-11'],
        desc='bytes after the LZ4 frame')
    # -- zstd (C-10)
    zs = zstd_frame(PAY)
    ok('c_zstd', zs, ['C-1', 'C-10'], 'Zstandard frame, raw block')
    zc = zstd_frame(PAY, checksum=True)
    ok('c_zstd_checksum', zc, ['C-10'], 'Zstandard frame with a content checksum')
    ok('c_zstd_concat', zstd_frame(PAY_A) + zstd_frame(PAY_B), ['C-10', 'C-11'], 'the pickle split over two zstd frames')
    vec('c_zstd_trunc', zc[:-2], err='TRUNCATED %d' % n, rules=['C-10', 'C-11'], desc='zstd frame with its checksum cut')
    vec('c_zstd_bad_checksum', flip(zc, len(zc) - 1), err='CHECKSUM 0', rules=['C-10'],
        desc='zstd frame with a wrong content checksum')
    vec('c_zstd_reserved_block', zstd_frame(PAY, block_type=3), err='CORRUPT 0', rules=['C-10'],
        desc='zstd block of the reserved type 3')
    vec('c_zstd_window', zstd_window_frame(28), err='LIMIT 0', rules=['C-10', 'L-1'],
        desc='zstd frame asking for a 256 MiB window (more than 2^27)')
    vec('c_zstd_trailing', zs + b'garbage', err='TRAILING %d' % n, rules=['C-10', 'C-11'],
        desc='bytes after the zstd frame')
    vec('c_zstd_skippable', zs + b'\x50\x2a\x4d\x18\x00\x00\x00\x00', err='TRAILING %d' % n,
        rules=['C-10', 'C-11'], desc='a zstd skippable frame after the frame (not accepted)')
    # -- the decoded stream ends at STOP (C-12)
    vec('c_gzip_two_pickles', gzip_stored(PAY + A('NONE', 'STOP')), err='TRAILING %d' % n, rules=['C-12'],
        desc='a compressed container must end with the pickle: a second pickle inside is trailing data')
    ok('c_raw_trailing', PAY + b'garbage after STOP', ['C-12', 'P-6'],
       'bytes after the STOP of an uncompressed pickle are ignored')
    ok('c_raw_two_pickles', PAY + A('NONE', 'STOP'), ['P-6'],
       'two pickles back to back: a load reads the first one')


def frame_vectors():
    """PEP 3154 frames as libjlpickle enforces them (FORMAT.md 5.5)."""
    vec('f_frames', A(('PROTO', 4)) + F('EMPTY_LIST', 'MEMOIZE') + F('MARK', I1(1), I1(2), 'APPENDS')
        + A('STOP'), json='[1,2]', rules=['F-1'], py='pickle',
        desc='two frames back to back, STOP after them outside any frame')
    vec('f_short_frames', A(('PROTO', 4)) + F('EMPTY_LIST') + F(I1(1)) + F('APPEND') + F('STOP'),
        json='[1]', rules=['F-1'], py='pickle', cpython='C and pure-Python unpicklers accept',
        desc='frames of 1 and 2 bytes (pickle.py never writes frames under 4 bytes, readers accept them)')
    vec('f_zero_frame', A(('PROTO', 4), ('FRAME', 0), 'NONE', 'STOP'), json='null', rules=['F-1'],
        py='pickle', desc='a frame of length 0')
    vec('f_straddle', A(('PROTO', 4), ('FRAME', 3), ('SHORT_BINBYTES', b'abcd'), 'STOP'),
        err='FRAME 11', rules=['F-2'],
        cpython='_pickle.c accepts (returns b"abcd"); pickle.py: "pickle exhausted before end of frame"',
        desc="SHORT_BINBYTES starts inside a 3-byte frame and its data runs past the frame's end")
    vec('f_straddle_opcode_arg', A(('PROTO', 4), ('FRAME', 2), I4(1), 'STOP'), err='FRAME 11', rules=['F-2'],
        desc="BININT's 4-byte argument crosses the end of a 2-byte frame")
    vec('f_straddle_line', A(('PROTO', 4), ('FRAME', 3), ('INT', '12345'), 'STOP'), err='FRAME 11', rules=['F-2'],
        desc="INT's text line crosses the end of the frame")
    vec('f_new_frame_early', A(('PROTO', 4), ('FRAME', 11), 'NONE', ('FRAME', 1), 'POP', 'STOP'),
        err='FRAME 12', rules=['F-3'], cpython='pickle.py rejects as well; _pickle.c does not check',
        desc='a FRAME opcode inside a frame that has one byte left after it')
    vec('f_frame_at_end', A(('PROTO', 4), ('FRAME', 10), 'NONE', ('FRAME', 1), 'STOP'), json='null',
        rules=['F-3'], py='pickle', desc='a FRAME that is the last opcode of the previous frame is fine')
    vec('f_past_end', A(('PROTO', 4), ('FRAME', 100), 'NONE', 'STOP'), err='FRAME 12', rules=['F-4', 'F-5'],
        cpython='_pickle.c: "pickle data was truncated"; pickle.py accepts (returns None)',
        desc='a frame declared longer than the input, holding a complete pickle')
    vec('f_past_end_no_stop', A(('PROTO', 4), ('FRAME', 100), 'NONE'), err='FRAME 12', rules=['F-4'],
        desc='the input ends inside a frame, before STOP')
    vec('f_stop_early', A(('PROTO', 4), ('FRAME', 3), 'NONE', 'STOP', 'NONE'), err='FRAME 12', rules=['F-5'],
        cpython='both CPython unpicklers accept (STOP ends the load, the rest of the frame is ignored)',
        desc='STOP inside a frame that has a byte left')
    vec('f_overflow', A(('PROTO', 4), ('FRAME', 2**64 - 1), 'NONE', 'STOP'), err='FRAME 2', rules=['F-6'],
        cpython='_pickle.c: OverflowError; pickle.py: ValueError "frame size > sys.maxsize"',
        desc='a FRAME whose end would pass 2^64')
    vec('f_frame_trunc', A(('PROTO', 4)) + b'\x95\x05\x00', err='TRUNCATED 2', rules=['F-1', 'P-2'],
        desc='the input ends inside the 8-byte FRAME argument (outside any frame)')


def mark_vectors():
    """The mark stack and its fence (FORMAT.md 5.6)."""
    vec('m_append_fence', P4('EMPTY_LIST', 'MARK', I1(1), 'APPEND', 'STOP'), err='STACK_UNDERFLOW 6',
        rules=['M-1'], desc='APPEND cannot reach the list below the MARK')
    vec('m_setitem_fence', P4('EMPTY_DICT', I1(1), 'MARK', I1(2), 'SETITEM', 'STOP'), err='STACK_UNDERFLOW 8',
        rules=['M-1'], desc='SETITEM needs three values above the fence')
    vec('m_reduce_fence', P4(*G4('m', 'f'), 'MARK', 'EMPTY_TUPLE', 'REDUCE', 'STOP'),
        err='STACK_UNDERFLOW 11', rules=['M-1'], desc='REDUCE cannot take the callable from below the MARK')
    vec('m_tuple2_fence', P4(I1(1), 'MARK', I1(2), 'TUPLE2', 'STOP'), err='STACK_UNDERFLOW 7', rules=['M-1'],
        desc='TUPLE2 with one value above the MARK')
    vec('m_dup_fence', P4('NONE', 'MARK', 'DUP', 'STOP'), err='STACK_UNDERFLOW 4', rules=['M-1'],
        desc='DUP right after a MARK')
    vec('m_stop_fence', P4('NONE', 'MARK', 'STOP'), err='STACK_UNDERFLOW 4', rules=['M-1', 'P-5'],
        cpython='_pickle.c: "unexpected MARK found"; pickle.py: IndexError',
        desc='STOP with only a MARK above the last value')
    vec('m_pop_empty', P4('POP', 'STOP'), err='STACK_UNDERFLOW 2', rules=['M-1'], desc='POP on an empty stack')
    vec('m_tuple_no_mark', P4(I1(1), 'TUPLE', 'STOP'), err='NO_MARK 4', rules=['M-2'], desc='TUPLE without MARK')
    vec('m_pop_mark_no_mark', P4('NONE', 'POP_MARK', 'STOP'), err='NO_MARK 3', rules=['M-2'],
        desc='POP_MARK without MARK')
    vec('m_inst_no_mark', A(I1(1), ('INST', ('m', 'C')), 'STOP'), err='NO_MARK 2', rules=['M-2'],
        desc='INST without MARK')
    vec('m_appends_hidden', P4('EMPTY_LIST', 'MARK', 'MARK', I1(1), 'APPENDS', 'STOP'),
        err='STACK_UNDERFLOW 7', rules=['M-3'],
        desc='APPENDS whose target would be behind another MARK')
    vec('m_appends_no_target', P4('MARK', I1(1), 'APPENDS', 'STOP'), err='STACK_UNDERFLOW 5', rules=['M-3'],
        desc='APPENDS with nothing below its MARK')
    vec('m_pop_at_mark', P4('NONE', 'MARK', 'POP', 'STOP'), json='null', rules=['M-4'], py='pickle',
        desc='POP right after a MARK discards the MARK')
    vec('m_dict_odd', P4('MARK', I1(1), 'DICT', 'STOP'), err='BAD_VALUE 5', rules=['M-5'],
        desc='DICT with an odd number of values')
    vec('m_setitems_odd', P4('EMPTY_DICT', 'MARK', I1(1), 'SETITEMS', 'STOP'), err='BAD_VALUE 6', rules=['M-5'],
        desc='SETITEMS with an odd number of values')
    vec('m_obj_empty', P4('MARK', 'OBJ', 'STOP'), err='STACK_UNDERFLOW 3', rules=['M-6'],
        desc='OBJ with no class after its MARK')
    vec('m_stop_leftover', P4('NONE', 'MARK', I1(1), 'STOP'), json='1', rules=['P-5'],
        desc='STOP returns the top value; a MARK and a value left below it are allowed')


def memo_vectors():
    """The memo (FORMAT.md 5.7)."""
    vec('mm_sparse_long_binput', P4('NONE', ('LONG_BINPUT', 0x7fffffff), 'POP', ('LONG_BINGET', 0x7fffffff),
                                    'STOP'),
        json='null', rules=['MM-1'], py='pickle',
        cpython='_pickle.c: MemoryError (it sizes a table by the key); pickle.py accepts',
        desc='memo key 2^31-1 as the only entry')
    vec('mm_sparse_text', A('NONE', ('PUT', '999999999999999999'), 'POP', ('GET', '999999999999999999'), 'STOP'),
        json='null', rules=['MM-1'], py='pickle', cpython='_pickle.c: MemoryError; pickle.py accepts',
        desc='text memo key 10^18-1')
    vec('mm_text_20_digits', A('NONE', ('PUT', '1' * 20), 'STOP'), json='null', rules=['MM-1'],
        cpython='_pickle.c: OverflowError; pickle.py accepts',
        desc='a text memo index of 20 digits, taken as pickle.py takes it')
    vec('mm_text_21_digits', A('NONE', ('PUT', '1' * 21), 'STOP'), err='BAD_VALUE 1', rules=['MM-1'],
        cpython='_pickle.c: OverflowError; pickle.py accepts',
        desc='a text memo index past 64 bits')
    vec('mm_text_negative', A('NONE', ('PUT', '-1'), 'STOP'), err='BAD_VALUE 1', rules=['MM-1'],
        desc='a negative text memo index')
    vec('mm_text_garbage', A('NONE', ('PUT', '1x'), 'STOP'), err='BAD_VALUE 1', rules=['MM-1'],
        desc='a text memo index that is not a decimal')
    vec('mm_memoize_count', P4(I1(7), ('BINPUT', 5), ('BINPUT', 5), 'MEMOIZE', 'POP', ('BINGET', 1), 'STOP'),
        json='7', rules=['MM-2', 'MM-3'], py='pickle',
        desc='MEMOIZE uses the number of entries (1: key 5 stored twice) as its key')
    vec('mm_replace', P2(I1(1), ('BINPUT', 0), I1(2), ('BINPUT', 0), 'POP', 'POP', ('BINGET', 0), 'STOP'),
        json='2', rules=['MM-3'], py='pickle', desc='a second PUT of a key replaces the value')
    vec('mm_missing', P4(('BINGET', 3), 'STOP'), err='MEMO_MISSING 2', rules=['MM-4'], desc='BINGET of an undefined key')
    vec('mm_missing_text', A(('GET', '0'), 'STOP'), err='MEMO_MISSING 0', rules=['MM-4'], desc='GET of an undefined key')
    vec('mm_shared', P2('EMPTY_LIST', ('BINPUT', 0), 'EMPTY_LIST', ('BINGET', 0), 'APPEND', ('BINGET', 0),
                        'APPEND', 'STOP'),
        json='[[],{"$ref":"/0"}]', rules=['MM-5'],
        desc='the same list fetched twice from the memo is one value')
    vec('mm_cycle', P2('EMPTY_LIST', ('BINPUT', 0), ('BINGET', 0), 'APPEND', 'STOP'), json='[{"$ref":""}]',
        rules=['MM-5'], desc='a list that contains itself')
    vec('mm_put_at_mark', P4('MARK', ('BINPUT', 0), 'STOP'), err='STACK_UNDERFLOW 3', rules=['MM-6', 'M-1'],
        desc='BINPUT right after a MARK has nothing to store')


def value_vectors():
    """Opcode arguments and operand types (FORMAT.md 5.2, 5.4, 5.8-5.11)."""
    # -- P-1, P-2, P-3: opcodes, arguments, truncation
    vec('p_bad_opcode', P4(b'\xff'), err='BAD_OPCODE 2', rules=['P-1'], desc='0xff is not an opcode')
    vec('p_bad_opcode_nul', A('NONE') + b'\x00', err='BAD_OPCODE 1', rules=['P-1'],
        desc='0x00 is not an opcode (what joblib G1 data looks like to a plain unpickler)')
    vec('p_trunc_binint', P4()[:2] + b'J\x01\x00', err='TRUNCATED 2', rules=['P-2'],
        desc='the input ends inside a BININT argument')
    vec('p_trunc_line', A(b'I12'), err='TRUNCATED 0', rules=['P-2'], desc='a text line without its newline at the end')
    vec('p_no_stop', P4('NONE'), err='TRUNCATED 3', rules=['P-3'],
        desc='the input ends before STOP: reported where the next opcode would start')
    vec('p_proto_only', A(('PROTO', 4)), err='TRUNCATED 2', rules=['P-3'], desc='PROTO and nothing else')
    # -- P-4: PROTO
    vec('p_proto0', A(('PROTO', 0), 'NONE', 'STOP'), json='null', rules=['P-4'], py='pickle', desc='PROTO 0')
    vec('p_proto_twice', A(('PROTO', 2), 'NONE', ('PROTO', 4), 'STOP'), json='null', rules=['P-4'], py='pickle',
        desc='a second PROTO, not at the start, is accepted')
    vec('p_proto_not_binding', A(('PROTO', 2), S('x'), ('BYTEARRAY8', b'y'), 'TUPLE2', 'STOP'),
        json='{"$tuple":["x",{"$bytearray":"eQ=="}]}', rules=['P-4'], py='pickle',
        desc='opcodes of protocols 4 and 5 in a stream that declares protocol 2')
    vec('p_proto_255', A(('PROTO', 4), 'NONE', ('PROTO', 255), 'STOP'), err='BAD_PROTO 3', rules=['P-4'],
        desc='PROTO 255 later in the stream')
    # -- V-1: integers
    vec('v_binint_signed', A('MARK', I4(-1), ('BININT2', 0xffff), I1(0xff), 'LIST', 'STOP'),
        json='[-1,65535,255]', rules=['V-1'], py='pickle', desc='BININT is signed; BININT1 and BININT2 are not')
    vec('v_long1_forms', P2('MARK', ('LONG1', b''), ('LONG1', b'\xff'), ('LONG1', b'\x00\x80'),
                            ('LONG1', b'\xff\xff\xff\xff\xff\xff\xff\x7f'), ('LONG1', b'\x00\x00\x00\x00\x00\x00\x00\x80'),
                            'LIST', 'STOP'),
        json='[0,-1,-32768,9223372036854775807,-9223372036854775808]', rules=['V-1'], py='pickle',
        desc="LONG1: little-endian two's complement of any length, empty = 0")
    vec('v_long4_negative', P2(('LONG4', Raw(b'\xff\xff\xff\xff')), 'STOP'), err='BAD_VALUE 2', rules=['V-1'],
        desc='LONG4 with a negative length')
    vec('v_int_bool', A('MARK', ('INT', '01'), ('INT', '00'), ('INT', '1'), 'LIST', 'STOP'), json='[true,false,1]',
        rules=['V-1'], py='pickle', desc="INT '01' and '00' are True and False")
    vec('v_int_text', A('MARK', ('INT', ' +17 '), ('LONG', '-5L'), ('LONG', '123456789012345678901234567890'),
                        'LIST', 'STOP'),
        json='[17,-5,123456789012345678901234567890]', rules=['V-1'], py='pickle',
        desc='INT/LONG: decimal with sign and blanks; LONG with or without the Python 2 L')
    vec('v_int_hex', A(('INT', '0x10'), 'STOP'), json='16', rules=['V-1'], py='pickle',
        cpython='both CPython unpicklers read 0x10 as 16 (int(s, 0))', desc='INT in hexadecimal, as int(s, 0) reads it')
    vec('v_int_prefixes', A('MARK', ('INT', '0o17'), ('INT', '-0b101'), ('INT', '1_000'), ('INT', '0x_1f'),
                            ('INT', '000'), ('LONG', '0x10L'), ('LONG', '1_0'), 'LIST', 'STOP'),
        json='[15,-5,1000,31,0,16,10]', rules=['V-1'], py='pickle',
        desc="INT and LONG read by int(s, 0): 0o/0b/0x prefixes, single '_' between digits, all-zero runs")
    vec('v_int_leading_zero', A(('INT', '010'), 'STOP'), err='BAD_VALUE 0', rules=['V-1'],
        cpython="pickle.py refuses (int('010', 0)); _pickle.c reads octal 8 (strtol)",
        desc='INT with a leading zero before other digits is refused, as pickle.py does')
    vec('v_int_l_suffix', A(('INT', '12L'), 'STOP'), err='BAD_VALUE 0', rules=['V-1'],
        cpython='both CPython unpicklers refuse it', desc="INT takes no Python 2 'L' (LONG does)")
    vec('v_int_underscores_bad', A(('INT', '1__0'), 'STOP'), err='BAD_VALUE 0', rules=['V-1'],
        desc="INT with two '_' in a row")
    vec('v_int_digits', A(('INT', '1' * 4301), 'STOP'), err='LIMIT 0', rules=['V-1', 'L-1'],
        desc='INT of 4301 digits (max_bigint_digits 4300)')
    vec('v_int_long_line', A(b'I' + b' ' * 5000 + b'7\n', 'STOP'), json='7', rules=['V-1'], py='pickle',
        desc='an INT line of 5000 blanks and a digit: int() takes any whitespace (the line obeys max_str)')
    vec('v_get_long_line', A('NONE', ('PUT', '0' * 70), ('GET', '0'), 'STOP'), json='null', rules=['MM-1'],
        py='pickle', desc='a PUT key of 70 zeros is key 0 (int() takes leading zeros)')
    # -- V-2: floats
    vec('v_float_text', A('MARK', ('FLOAT', '1e16'), ('FLOAT', '-0.0'), ('FLOAT', 'inf'), ('FLOAT', '-Infinity'),
                          ('FLOAT', 'nan'), ('FLOAT', '1.5E-5'), 'LIST', 'STOP'),
        json='[1e+16,-0.0,{"$float":"inf"},{"$float":"-inf"},{"$float":"nan"},1.5e-05]', rules=['V-2'],
        py='pickle', desc='FLOAT text forms')
    vec('v_float_bad', A(('FLOAT', '1.5x'), 'STOP'), err='BAD_VALUE 0', rules=['V-2'], desc='FLOAT that is not a number')
    vec('v_float_python', A('MARK', ('FLOAT', ' 1.5 '), ('FLOAT', '1_0.5'), ('FLOAT', '1e999'), 'LIST', 'STOP'),
        json='[1.5,10.5,{"$float":"inf"}]', rules=['V-2'], py='pickle',
        cpython="pickle.py's float(): blanks, '_' between digits, overflow to inf; _pickle.c refuses all three",
        desc='FLOAT read as float() reads it')
    vec('v_binfloat', A('MARK', ('BINFLOAT', 1e300), b'G\x7f\xf0\x00\x00\x00\x00\x00\x00', 'LIST', 'STOP'),
        json='[1e+300,{"$float":"inf"}]', rules=['V-2'], py='pickle', desc='BINFLOAT is a big-endian IEEE double')
    # -- V-3: UTF-8
    vec('v_utf8_bad', P4(('SHORT_BINUNICODE', b'a\xff'), 'STOP'), err='BAD_UTF8 2', rules=['V-3'],
        desc='SHORT_BINUNICODE with an invalid byte')
    vec('v_utf8_overlong', P4(('BINUNICODE', b'\xc0\xaf'), 'STOP'), err='BAD_UTF8 2', rules=['V-3'],
        desc='an overlong UTF-8 sequence')
    vec('v_utf8_surrogate', P4(('SHORT_BINUNICODE', b'\xed\xa0\x80x'), 'STOP'), json='"\\ud800x"', rules=['V-3'],
        py='pickle', desc='a lone surrogate encoded as CPython writes it (surrogatepass) is accepted')
    vec('v_utf8_truncated_seq', P4(('BINUNICODE8', b'\xe2\x82'), 'STOP'), err='BAD_UTF8 2', rules=['V-3'],
        desc='a UTF-8 sequence cut at the end of the string')
    # -- V-4: STRING and UNICODE text
    vec('v_string_escapes', A(('STRING', '"q\\\'\\"\\\\\\t\\101\\x42\\z"'), 'STOP'), json='"q\'\\"\\\\\\tAB\\\\z"',
        rules=['V-4', 'V-5'], py='pickle', desc='STRING escapes: quotes, backslash, \\t, octal, \\x, unknown kept')
    vec('v_string_unquoted', A(('STRING', 'abc'), 'STOP'), err='BAD_VALUE 0', rules=['V-4'],
        desc='STRING without quotes')
    vec('v_string_mismatched', A(('STRING', '\'abc"'), 'STOP'), err='BAD_VALUE 0', rules=['V-4'],
        desc='STRING whose quotes differ')
    vec('v_string_bad_x', A(('STRING', "'\\x4'"), 'STOP'), err='BAD_VALUE 0', rules=['V-4'],
        desc='STRING with a \\x escape of one digit')
    vec('v_unicode_escapes', A(('UNICODE', 'a\\u00e9\\U0001f600\\\\u0041\\x'), 'STOP'),
        json='"a\u00e9\U0001f600\\\\\\\\u0041\\\\x"', rules=['V-4'], py='pickle',
        desc='UNICODE raw-unicode-escape: \\u, \\U, an escaped backslash, other backslashes kept')
    vec('v_unicode_bad', A(('UNICODE', '\\u12'), 'STOP'), err='BAD_VALUE 0', rules=['V-4'],
        desc='UNICODE with a truncated \\u escape')
    vec('v_unicode_latin1', A(('UNICODE', b'caf\xe9'), 'STOP'), json='"caf\u00e9"', rules=['V-4'], py='pickle',
        desc='UNICODE bytes are Latin-1 code points')
    # -- V-5: Python 2 str
    vec('v_py2str_ascii', P2('MARK', ('SHORT_BINSTRING', b'abc'), ('BINSTRING', b''), ('STRING', "'x'"),
                             'LIST', 'STOP'),
        json='["abc","","x"]', rules=['V-5'], py='pickle', desc='ASCII py2 strs load as str')
    vec('v_py2str_binary', P2('MARK', ('SHORT_BINSTRING', b'\xe9t\xe9'), ('STRING', "'\\xff'"), 'LIST', 'STOP'),
        json='[{"$bytes":"6XTp"},{"$bytes":"/w=="}]', rules=['V-5'],
        cpython='Python 3 decodes py2 str as ASCII by default: UnicodeDecodeError',
        desc='py2 strs with non-ASCII bytes load as bytes')
    vec('v_binstring_negative', P2(('BINSTRING', Raw(b'\xff\xff\xff\xff')), 'STOP'), err='BAD_VALUE 2',
        rules=['V-5'], desc='BINSTRING with a negative length')
    # -- V-6: lengths
    vec('v_len_limit', P4(('BINBYTES8', Raw(struct.pack('<Q', 2**62)))), err='LIMIT 2', rules=['V-6', 'L-1'],
        desc='BINBYTES8 declaring 2^62 bytes: more than max_str, refused before reading')
    vec('v_len_limit_binunicode', P4(('BINUNICODE', Raw(b'\xff\xff\xff\xff'))), err='LIMIT 2',
        rules=['V-6', 'L-1'], desc='BINUNICODE declaring 2^32-1 bytes (max_str is 2^31)')
    vec('v_len_truncated', P4(('BINBYTES', Raw(b'\xff\xff\xff\x7fab'))), err='TRUNCATED 2', rules=['V-6'],
        desc='BINBYTES declaring 2^31-1 bytes with 2 present: nothing of that size is allocated')
    vec('v_len_truncated_short', P4(('SHORT_BINBYTES', Raw(b'\x05abc'))), err='TRUNCATED 2', rules=['V-6'],
        desc='SHORT_BINBYTES cut short')
    # -- V-7: globals
    vec('v_global_utf8', P4(('GLOBAL', (b'm\xff', b'f')), 'STOP'), err='BAD_UTF8 2', rules=['V-7'],
        desc='GLOBAL module name that is not UTF-8')
    vec('v_global_surrogate', P4(('GLOBAL', (b'm', b'\xed\xa0\x80')), 'STOP'), err='BAD_UTF8 2', rules=['V-7'],
        desc='GLOBAL name holding an encoded surrogate')
    vec('v_stack_global_type', P4(S('m'), I1(1), 'STACK_GLOBAL', 'STOP'), err='BAD_TYPE 7', rules=['V-7'],
        desc='STACK_GLOBAL with an int as the name')
    vec('v_stack_global_bytes', P4(('SHORT_BINBYTES', b'os'), S('system'), 'STACK_GLOBAL', 'STOP'),
        err='BAD_TYPE 14', rules=['V-7'], desc='STACK_GLOBAL with bytes as the module')
    vec('v_global_dotted', P4(G('os', 'path.join'), 'STOP'), json='{"$global":"os.path.join"}', rules=['V-7'],
        desc='a dotted qualname stays one inert global')
    vec('v_global_line_trunc', A(b'cmodule\nname'), err='TRUNCATED 0', rules=['V-7', 'P-2'],
        desc='GLOBAL whose second line has no newline')
    # -- V-8: calls and instances stay inert
    vec('v_inert_reduce', P2(G('os', 'system'), ('BINUNICODE', 'echo hi'), 'TUPLE1', 'REDUCE', 'STOP'),
        json='{"$object":{"call":"os.system","args":["echo hi"]}}', rules=['V-8', 'AL-10'],
        desc='REDUCE of os.system is an inert object (nothing runs)')
    vec('v_inert_object', P4(*G4('m', 'C'), 'EMPTY_TUPLE', 'NEWOBJ', 'EMPTY_DICT', 'BUILD', I1(1), 'APPEND',
                             'MARK', S('k'), I1(2), 'SETITEMS', 'STOP'),
        json='{"$object":{"class":"m.C","state":{},"items":[1],"dictitems":[["k",2]]}}', rules=['V-8'],
        desc='NEWOBJ + BUILD + APPEND + SETITEMS on an instance')
    vec('v_reduce_callable_value', P2('EMPTY_LIST', 'EMPTY_TUPLE', 'REDUCE', 'STOP'),
        json='{"$object":{"call":[]}}', rules=['V-8'], desc='REDUCE whose callable is not a global')
    vec('v_reduce_args_type', P4(*G4('m', 'f'), 'EMPTY_LIST', 'REDUCE', 'STOP'), err='BAD_TYPE 10', rules=['V-8'],
        desc='REDUCE with a list as arguments')
    vec('v_newobj_args_type', P4(*G4('m', 'C'), 'EMPTY_LIST', 'NEWOBJ', 'STOP'), err='BAD_TYPE 10', rules=['V-8'],
        desc='NEWOBJ with a list as arguments')
    vec('v_newobj_ex_kwargs_type', P4(*G4('m', 'C'), 'EMPTY_TUPLE', 'EMPTY_LIST', 'NEWOBJ_EX', 'STOP'),
        err='BAD_TYPE 11', rules=['V-8'], desc='NEWOBJ_EX with a list as keyword arguments')
    vec('v_build_state_none', P4(*G4('m', 'C'), 'EMPTY_TUPLE', 'NEWOBJ', 'NONE', 'BUILD', 'STOP'),
        json='{"$object":{"class":"m.C","state":null}}', rules=['V-8'], desc='BUILD with None')
    # -- V-9: operand types
    vec('v_append_to_int', P4(I1(1), I1(1), 'APPEND', 'STOP'), err='BAD_TYPE 6', rules=['V-9'],
        desc='APPEND into an int')
    vec('v_setitem_to_list', P4('EMPTY_LIST', I1(1), I1(1), 'SETITEM', 'STOP'), err='BAD_TYPE 7', rules=['V-9'],
        desc='SETITEM into a list')
    vec('v_additems_to_list', P4('EMPTY_LIST', 'MARK', I1(1), 'ADDITEMS', 'STOP'), err='BAD_TYPE 6', rules=['V-9'],
        desc='ADDITEMS into a list')
    vec('v_build_on_int', P4(I1(1), 'NONE', 'BUILD', 'STOP'), err='BAD_TYPE 5', rules=['V-9'],
        desc='BUILD on an int')
    vec('v_build_on_list', P4('EMPTY_LIST', 'EMPTY_DICT', 'BUILD', 'STOP'), err='BAD_TYPE 4', rules=['V-9'],
        desc='BUILD on a list')
    vec('v_additems_to_object', P4(*G4('m', 'C'), 'EMPTY_TUPLE', 'NEWOBJ', 'MARK', I1(1), 'ADDITEMS', 'STOP'),
        json='{"$object":{"class":"m.C","items":[1]}}', rules=['V-9'], desc='ADDITEMS into an instance')
    # -- V-10: persistent ids
    vec('v_persid_non_ascii', A(('PERSID', b'\xe9'), 'STOP'), err='BAD_VALUE 0', rules=['V-10'],
        desc='PERSID with a non-ASCII byte')
    vec('v_binpersid_any', P2('EMPTY_LIST', 'BINPERSID', 'STOP'), json='{"$persid":[]}', rules=['V-10'],
        desc='BINPERSID of a list')
    # -- V-11: extension codes
    vec('v_ext1_zero', P2(('EXT1', 0), 'STOP'), err='BAD_VALUE 2', rules=['V-11'], desc='EXT1 code 0')
    vec('v_ext4_negative', P2(('EXT4', -5), 'STOP'), err='BAD_VALUE 2', rules=['V-11'], desc='EXT4 code -5')
    # -- V-12: buffers
    vec('v_readonly_buffer_type', A(('PROTO', 5), I1(1), 'READONLY_BUFFER', 'STOP'), err='BAD_TYPE 4', rules=['V-12'],
        desc='READONLY_BUFFER on an int')
    vec('v_readonly_buffer_bytes', A(('PROTO', 5), ('SHORT_BINBYTES', b'ab'), 'READONLY_BUFFER', 'STOP'),
        json='{"$bytes":"YWI="}', rules=['V-12'], desc='READONLY_BUFFER on bytes leaves them')
    # -- V-13: dict keys
    vec('v_dict_duplicate_keys', P4('EMPTY_DICT', 'MARK', S('a'), I1(1), S('a'), I1(2), 'SETITEMS', 'STOP'),
        json='{"$dict":[["a",1],["a",2]]}', rules=['V-13'], cpython="CPython keeps the last: {'a': 2}",
        desc='a key set twice: both pairs are kept, in order')
    vec('v_dict_unhashable_key', P4('EMPTY_DICT', 'EMPTY_LIST', I1(1), 'SETITEM', 'STOP'),
        json='{"$dict":[[[],1]]}', rules=['V-13'], cpython='TypeError: unhashable type',
        desc='a list as a dict key is kept')
    vec('v_dict_int_keys', A('MARK', I1(2), ('BINUNICODE', 'b'), I1(1), ('BINUNICODE', 'a'), 'DICT', 'STOP'),
        json='{"$dict":[[2,"b"],[1,"a"]]}', rules=['V-13'], py='pickle', desc='DICT pairs keep their order')


def name_vectors():
    """Python 2 names (FORMAT.md 5.12)."""
    vec('n_builtin_p2', P2(G('__builtin__', 'set'), 'EMPTY_LIST', I1(1), 'APPEND', 'TUPLE1', 'REDUCE', 'STOP'),
        json='{"$set":[1]}', rules=['N-1', 'AL-2'], py='pickle',
        desc='protocol 2: __builtin__.set is builtins.set (IMPORT_MAPPING), rebuilt as a set')
    vec('n_builtin_p3', A(('PROTO', 3), G('__builtin__', 'set'), 'EMPTY_LIST', I1(1), 'APPEND', 'TUPLE1', 'REDUCE',
                          'STOP'),
        json='{"$object":{"call":"__builtin__.set","args":[[1]]}}', rules=['N-1'],
        desc='protocol 3: no renaming, __builtin__.set stays an unknown global')
    vec('n_name_mapping', P2(G('__builtin__', 'xrange'), 'STOP'), json='{"$global":"builtins.range"}',
        rules=['N-1'], py='pickle', desc='NAME_MAPPING: __builtin__.xrange is builtins.range')
    vec('n_copy_reg', A(G('copy_reg', '_reconstructor'), 'MARK', G('m', 'C'), G('__builtin__', 'object'), 'NONE',
                        'TUPLE', 'REDUCE', 'STOP'),
        json='{"$object":{"class":"m.C","args":[{"$global":"builtins.object"},null]}}', rules=['N-1', 'AL-7'],
        desc='protocol 0 (no PROTO): copy_reg._reconstructor is copyreg._reconstructor')
    vec('n_stack_global_p2', P2(S('__builtin__'), S('xrange'), 'STACK_GLOBAL', 'STOP'),
        json='{"$global":"builtins.range"}', rules=['N-1'], py='pickle',
        desc='the renaming also applies to STACK_GLOBAL under a protocol below 3')
    vec('n_exceptions', P2(G('exceptions', 'StandardError'), 'STOP'), json='{"$global":"builtins.Exception"}',
        rules=['N-1'], py='pickle', desc='NAME_MAPPING: exceptions.StandardError')


def allowlist_vectors():
    """The reconstructed globals and their inert fallbacks (FORMAT.md 6)."""
    def call(name, mod, fn, args, js, rules, desc, py='pickle', proto=P2):
        vec(name, proto(G(mod, fn), *args, 'REDUCE', 'STOP'), json=js, rules=rules, desc=desc, py=py)
    L = lambda *xs: ['EMPTY_LIST', 'MARK', *xs, 'APPENDS']
    call('al_set_empty', 'builtins', 'set', ['EMPTY_TUPLE'], '{"$set":[]}', ['AL-2'], 'set()')
    call('al_set_list', 'builtins', 'set', [*L(I1(1), I1(2)), 'TUPLE1'], '{"$set":[1,2]}', ['AL-2'],
         'set([1, 2]) as protocols 0-3 write sets')
    call('al_set_tuple', 'builtins', 'set', [I1(3), 'TUPLE1', 'TUPLE1'], '{"$set":[3]}', ['AL-2'], 'set((3,))')
    call('al_set_inert', 'builtins', 'set', [I1(1), 'TUPLE1'], '{"$object":{"call":"builtins.set","args":[1]}}',
         ['AL-2', 'AL-10'], 'set(1): not a sequence, stays inert', py=None)
    call('al_frozenset', 'builtins', 'frozenset', [*L(I1(1)), 'TUPLE1'], '{"$frozenset":[1]}', ['AL-2'],
         'frozenset([1])')
    call('al_frozenset_empty', 'builtins', 'frozenset', ['EMPTY_TUPLE'], '{"$frozenset":[]}', ['AL-2'],
         'frozenset()')
    call('al_frozenset_inert', 'builtins', 'frozenset', [I1(1), I1(2), 'TUPLE2'],
         '{"$object":{"call":"builtins.frozenset","args":[1,2]}}', ['AL-2', 'AL-10'],
         'frozenset with two arguments stays inert', py=None)
    call('al_bytes_empty', 'builtins', 'bytes', ['EMPTY_TUPLE'], '{"$bytes":""}', ['AL-3'],
         "bytes(): protocol 2 writes b'' so")
    call('al_bytes', 'builtins', 'bytes', [('SHORT_BINBYTES', b'ab'), 'TUPLE1'], '{"$bytes":"YWI="}', ['AL-3'],
         'bytes(b"ab")', proto=lambda *x: A(('PROTO', 3), *x))
    call('al_bytes_inert', 'builtins', 'bytes', [('BINUNICODE', 'ab'), 'TUPLE1'],
         '{"$object":{"call":"builtins.bytes","args":["ab"]}}', ['AL-3', 'AL-10'],
         'bytes("ab"): a str argument stays inert', py=None)
    call('al_bytearray_empty', 'builtins', 'bytearray', ['EMPTY_TUPLE'], '{"$bytearray":""}', ['AL-4'],
         'bytearray()')
    call('al_bytearray_bytes', 'builtins', 'bytearray', [('SHORT_BINBYTES', b'ab'), 'TUPLE1'],
         '{"$bytearray":"YWI="}', ['AL-4'], 'bytearray(b"ab") as protocols 3-4 write it',
         proto=lambda *x: A(('PROTO', 3), *x))
    call('al_bytearray_latin1', 'builtins', 'bytearray', [('BINUNICODE', 'a\u00ff'), ('BINUNICODE', 'latin-1'),
                                                          'TUPLE2'],
         '{"$bytearray":"Yf8="}', ['AL-4'], "bytearray('a\\xff', 'latin-1') as protocol 2 writes it")
    call('al_bytearray_wide', 'builtins', 'bytearray', [('BINUNICODE', '\u0100'), ('BINUNICODE', 'latin-1'),
                                                        'TUPLE2'],
         '{"$object":{"call":"builtins.bytearray","args":["\u0100","latin-1"]}}', ['AL-4', 'AL-10'],
         'bytearray of a code point above U+00FF stays inert', py=None)
    call('al_complex', 'builtins', 'complex', [('BINFLOAT', 1.5), I1(2), 'TUPLE2'], '{"$complex":[1.5,2.0]}',
         ['AL-5'], 'complex(1.5, 2)')
    call('al_complex_one', 'builtins', 'complex', [I1(3), 'TUPLE1'], '{"$complex":[3.0,0.0]}', ['AL-5'],
         'complex(3)')
    call('al_complex_inert', 'builtins', 'complex', [('BINUNICODE', '1j'), 'TUPLE1'],
         '{"$object":{"call":"builtins.complex","args":["1j"]}}', ['AL-5', 'AL-10'],
         'complex("1j") stays inert', py=None)
    vec('al_ordereddict', P2(G('collections', 'OrderedDict'), 'EMPTY_TUPLE', 'REDUCE', 'MARK',
                             ('BINUNICODE', 'b'), I1(1), ('BINUNICODE', 'a'), I1(2), 'SETITEMS', 'STOP'),
        json='{"b":1,"a":2}', rules=['AL-6'], py='pickle', desc='OrderedDict() then SETITEMS: a dict')
    vec('al_ordereddict_build', P2(G('collections', 'OrderedDict'), 'EMPTY_TUPLE', 'REDUCE', 'MARK',
                                   ('BINUNICODE', 'b'), I1(1), 'SETITEMS', 'EMPTY_DICT',
                                   ('BINUNICODE', 'x'), I1(2), 'SETITEM', 'BUILD', ('BINUNICODE', 'a'),
                                   I1(3), 'SETITEM', 'STOP'),
        json='{"$object":{"call":"collections.OrderedDict","state":{"x":2},"dictitems":[["b",1],["a",3]]}}',
        rules=['AL-6'], py='pickle',
        desc='OrderedDict() + SETITEMS + BUILD(attributes) (a PyTorch state dict with _metadata): an inert call')
    call('al_ordereddict_inert', 'collections', 'OrderedDict', ['EMPTY_LIST', 'TUPLE1'],
         '{"$object":{"call":"collections.OrderedDict","args":[[]]}}', ['AL-6', 'AL-10'],
         'OrderedDict([]) stays inert', py=None)
    vec('al_reconstructor', A(('PROTO', 1), G('copyreg', '_reconstructor'), 'MARK', G('m', 'C'),
                              G('builtins', 'object'), 'NONE', 'TUPLE', 'REDUCE', 'EMPTY_DICT',
                              ('BINUNICODE', 'x'), I1(1), 'SETITEM', 'BUILD', 'STOP'),
        json='{"$object":{"class":"m.C","args":[{"$global":"builtins.object"},null],"state":{"x":1}}}',
        rules=['AL-7'], desc='copyreg._reconstructor(cls, object, None) + BUILD: an instance of m.C')
    call('al_reconstructor_inert', 'copyreg', '_reconstructor', [G('m', 'C'), 'TUPLE1'],
         '{"$object":{"call":"copyreg._reconstructor","args":[{"$global":"m.C"}]}}', ['AL-7', 'AL-10'],
         '_reconstructor with one argument stays inert', py=None)
    call('al_codecs_encode', '_codecs', 'encode', [('BINUNICODE', 'a\u00e9'), ('BINUNICODE', 'latin1'), 'TUPLE2'],
         '{"$bytes":"Yek="}', ['AL-8'], "_codecs.encode('a\\xe9', 'latin1'): how protocol 2 writes bytes")
    call('al_codecs_encode_utf8', '_codecs', 'encode', [('BINUNICODE', 'a'), ('BINUNICODE', 'utf-8'), 'TUPLE2'],
         '{"$object":{"call":"_codecs.encode","args":["a","utf-8"]}}', ['AL-8', 'AL-10'],
         '_codecs.encode with another codec stays inert', py=None)
    call('al_codecs_encode_wide', '_codecs', 'encode', [('BINUNICODE', '\u20ac'), ('BINUNICODE', 'latin1'), 'TUPLE2'],
         '{"$object":{"call":"_codecs.encode","args":["\u20ac","latin1"]}}', ['AL-8', 'AL-10'],
         '_codecs.encode of a code point above U+00FF stays inert', py=None)
    call('al_prefix', 'builtins.set', 'x', ['EMPTY_TUPLE'], '{"$object":{"call":"builtins.set.x"}}',
         ['AL-1', 'AL-10'], 'a module that merely starts with an allowlisted name is not allowlisted', py=None)
    call('al_not_listed', 'builtins', 'eval', [('BINUNICODE', '1+1'), 'TUPLE1'],
         '{"$object":{"call":"builtins.eval","args":["1+1"]}}', ['AL-1', 'AL-10', 'V-8'],
         'builtins.eval is not allowlisted: inert', py=None)
    call('al_case', 'Builtins', 'set', ['EMPTY_TUPLE'], '{"$object":{"call":"Builtins.set"}}', ['AL-1'],
         'matching is exact (case-sensitive)', py=None)
    # numpy entries: their argument shapes are in the dtype and array vectors
    call('al_numpy_reconstruct_inert', 'numpy.core.multiarray', '_reconstruct', ['EMPTY_TUPLE'],
         '{"$object":{"call":"numpy.core.multiarray._reconstruct"}}', ['AL-9', 'AL-10'],
         '_reconstruct without its three arguments stays inert', py=None)
    call('al_numpy_scalar_inert', 'numpy.core.multiarray', 'scalar', [I1(1), 'TUPLE1'],
         '{"$object":{"call":"numpy.core.multiarray.scalar","args":[1]}}', ['AL-9', 'AL-10'],
         'scalar whose first argument is not a dtype stays inert', py=None)
    call('al_numpy_frombuffer_inert', 'numpy.core.numeric', '_frombuffer', [I1(1), 'TUPLE1'],
         '{"$object":{"call":"numpy.core.numeric._frombuffer","args":[1]}}', ['AL-9', 'AL-10'],
         '_frombuffer without its four arguments stays inert', py=None)
    call('al_numpy_other', 'numpy', 'ones', [I1(2), 'TUPLE1'],
         '{"$object":{"call":"numpy.ones","args":[2]}}', ['AL-1', 'AL-10'], 'numpy.ones is not allowlisted', py=None)


def _np():
    import numpy as np
    return np


def dtype_vectors():
    """numpy dtypes (FORMAT.md 7): numpy's own pickles of every family, then hand-made
    state forms and errors."""
    np = _np()
    made = [
        ('f8', np.dtype('<f8')), ('i4_be', np.dtype('>i4')), ('b1', np.dtype('?')), ('u1', np.dtype('u1')),
        ('f2', np.dtype('<f2')), ('c8', np.dtype('<c8')), ('c16_be', np.dtype('>c16')), ('s5', np.dtype('S5')),
        ('u3', np.dtype('<U3')), ('u3_be', np.dtype('>U3')), ('v4', np.dtype('V4')), ('o', np.dtype('O')),
        ('m8_ns', np.dtype('<M8[ns]')), ('td_10s', np.dtype('<m8[10s]')), ('m8_generic', np.dtype('<M8')),
        ('struct', np.dtype([('a', '>i4'), ('b', '<f8')])),
        ('struct_aligned', np.dtype([('a', 'u1'), ('b', '<f8')], align=True)),
        ('struct_subarray_field', np.dtype([('a', '<i4', (2,)), ('b', 'S2')])),
        ('subarray', np.dtype(('<i4', (2, 3)))),
        ('struct_titles', np.dtype({'names': ['x'], 'formats': ['<i2'], 'titles': ['T']})),
        ('struct_nested', np.dtype([('p', [('x', '<f4'), ('y', '<f4')]), ('n', '<u2')])),
        ('metadata', np.dtype('<f8', metadata={'unit': 'm'})),
    ]
    for name, dt in made:
        for proto in (2, 4):
            rules = ['D-1', 'D-2', 'D-3', 'AL-9']
            if dt.fields is not None: rules.append('D-5')
            if dt.subdtype is not None or name == 'struct_subarray_field': rules.append('D-6')
            if dt.kind in 'SUV': rules.append('D-4')
            if dt.kind in 'Mm' or dt.metadata: rules.append('D-7')
            vec('d_%s_p%d' % (name, proto), pickle.dumps(dt, protocol=proto), json=pyjson(dt), rules=rules,
                py='pickle', desc='numpy %r pickled by numpy 1.24 at protocol %d' % (dt, proto))
    D = lambda descr, *state: P4(*G4('numpy', 'dtype'), S(descr), 'NEWFALSE', 'NEWTRUE', 'TUPLE3', 'REDUCE',
                                 'MARK', *state, 'TUPLE', 'BUILD', 'STOP')
    N = 'NONE'
    vec('d_state_v0', D('i4', S('>'), N, N, I4(-1), I4(-1)), json='{"$dtype":">i4"}', rules=['D-2'],
        py='pickle', desc='state of 5 items (version 0: no version number, no names)')
    vec('d_state_v1', D('i4', I1(1), S('>'), N, N, I4(-1), I4(-1)), json='{"$dtype":">i4"}', rules=['D-2'],
        py='pickle', desc='state of 6 items (version 1)')
    vec('d_state_v2', D('i4', I1(2), S('>'), N, N, N, I4(-1), I4(-1)), json='{"$dtype":">i4"}', rules=['D-2'],
        py='pickle', desc='state of 7 items (version 2: names, no flags)')
    vec('d_state_v1_fields', D('V6', I1(1), S('|'), N, 'EMPTY_DICT', S('b'), *dtype4('u2', '<'), I1(4), 'TUPLE2',
                               'SETITEM', S('a'), *dtype4('i4', '>'), I1(0), 'TUPLE2', 'SETITEM', I4(6), I4(1)),
        json='{"$dtype":[["a",">i4"],["b","<u2"]]}', rules=['D-2', 'D-5'],
        desc='version 1 fields without names: fields are ordered by offset')
    vec('d_version5', D('i4', I1(5), S('>'), N, N, N, I4(-1), I4(-1), I1(0)), err=('BAD_DTYPE', -2), rules=['D-2'],
        desc='state version 5')
    vec('d_state_4', D('i4', I1(3), S('>'), N, N), err=('BAD_DTYPE', -2), rules=['D-2'], desc='state of 4 items')
    vec('d_state_not_tuple', P4(*G4('numpy', 'dtype'), S('i4'), 'NEWFALSE', 'NEWTRUE', 'TUPLE3', 'REDUCE',
                                'EMPTY_DICT', 'BUILD', 'STOP'),
        err=('BAD_DTYPE', -2), rules=['D-2'], desc='dtype state that is a dict')
    vec('d_byteorder_bad', D('i4', I1(3), S('<<'), N, N, N, I4(-1), I4(-1), I1(0)), err=('BAD_DTYPE', -2),
        rules=['D-3'], desc="byte order '<<' (numpy: ValueError, not a 1-char string)")
    vec('d_byteorder_other', D('i4', I1(3), S('x'), N, N, N, I4(-1), I4(-1), I1(0)), json='{"$dtype":"<i4"}',
        rules=['D-3'], py='pickle', desc="byte order 'x' is the host's order, as in numpy")
    vec('d_byteorder_nul', D('M8', I1(4), S('\x00'), N, N, N, I4(-1), I4(-1), I1(0), 'EMPTY_DICT', 'MARK',
                             ('SHORT_BINBYTES', b'generic'), I1(1), I1(1), I1(1), 'TUPLE', 'TUPLE2'),
        json='{"$dtype":"<M8"}', rules=['D-3'], py='pickle',
        desc="byte order NUL is the host's order, as in numpy (it exported an empty dtype string)")
    vec('d_orderless', D('u1', I1(3), S('>'), N, N, N, I4(-1), I4(-1), I1(0)), json='{"$dtype":"|u1"}',
        rules=['D-3'], cpython="numpy's __setstate__ keeps '>' (dtype.str '>u1')",
        desc="a one-byte kind gets '|' whatever the state says")
    vec('d_no_byte_order_i4', D('i4', I1(3), S('|'), N, N, N, I4(-1), I4(-1), I1(0)), json='{"$dtype":"|i4"}',
        rules=['D-3'], py='pickle', desc="a four-byte int given byte order '|' keeps it (numpy reads it in the "
                                          "host's order)")
    vec('d_no_byte_order_u2', D('U2', I1(3), S('|'), N, N, N, I4(8), I4(4), I1(8)), json='{"$dtype":"|U2"}',
        rules=['D-3', 'D-4'], py='pickle', desc="a U dtype given byte order '|' keeps it")
    vec('d_flexible_size', D('S', I1(3), S('|'), N, N, N, I4(7), I4(1), I1(0)), json='{"$dtype":"|S7"}',
        rules=['D-4'], py='pickle', desc='S with its size in the state (elsize 7)')
    vec('d_flexible_size_wins', D('S2', I1(3), S('|'), N, N, N, I4(130), I4(1), I1(0)), json='{"$dtype":"|S130"}',
        rules=['D-4'], py='pickle', desc="the state's elsize 130 wins over the descr 'S2'")
    vec('d_unicode_size_odd', D('U2', I1(3), S('<'), N, N, N, I4(130), I4(4), I1(8)), err=('BAD_DTYPE', -2),
        rules=['D-4'], cpython="numpy makes '<U32' of 130 bytes",
        desc='a U elsize of 130 bytes, no whole number of characters')
    vec('d_fixed_size_huge_ignored', D('f8', I1(3), S('<'), N, N, N, I4(788529151), I4(4), I1(0)),
        json='{"$dtype":"<f8"}', rules=['D-4'], py='pickle',
        desc='a huge elsize in the state of a fixed-size kind is ignored too, as numpy ignores it')
    vec('d_fixed_size_ignored', D('f8', I1(3), S('<'), N, N, N, I4(4), I4(4), I1(0)), json='{"$dtype":"<f8"}',
        rules=['D-4'], desc='elsize in the state of a fixed-size kind is ignored')
    vec('d_descr_bad', P4(*G4('numpy', 'dtype'), S('f3'), 'NEWFALSE', 'NEWTRUE', 'TUPLE3', 'REDUCE', 'STOP'),
        err='BAD_DTYPE 24', rules=['D-1'], desc="descr 'f3' (no such float)")
    vec('d_descr_kind', P4(*G4('numpy', 'dtype'), S('q8'), 'NEWFALSE', 'NEWTRUE', 'TUPLE3', 'REDUCE', 'STOP'),
        err='BAD_DTYPE 24', rules=['D-1'], desc="descr 'q8' (no such kind)")
    for code, want in (('b', '|i1'), ('i', '<i4'), ('f', '<f4'), ('c', '|S1')):
        order = '|' if want[0] == '|' else '<'
        vec('d_typecode_%s' % code, D(code, I1(3), S(order), N, N, N, I4(-1 if code != 'c' else 1), I4(-1), I1(0)),
            json='{"$dtype":"%s"}' % want, rules=['D-1'], py='pickle',
            desc="the bare letter '%s' is numpy's type code for %s, not a kind" % (code, want))
    vec('d_typecode_u', P4(*G4('numpy', 'dtype'), S('u'), 'NEWFALSE', 'NEWTRUE', 'TUPLE3', 'REDUCE', 'STOP'),
        err='BAD_DTYPE 23', rules=['D-1'], cpython="numpy: TypeError: data type 'u' not understood",
        desc="'u' is no type code")
    vec('d_descr_type', P4(*G4('numpy', 'dtype'), I1(1), 'TUPLE1', 'REDUCE', 'STOP'), err='BAD_DTYPE 20',
        rules=['D-1'], desc='numpy.dtype(1)')
    vec('d_descr_record', P4(*G4('numpy', 'dtype'), *G4('numpy', 'record'), 'NEWFALSE', 'NEWTRUE', 'TUPLE3',
                             'REDUCE', 'MARK', I1(3), S('|'), N, S('a'), 'TUPLE1', 'EMPTY_DICT', S('a'),
                             *dtype4('i2', '<'), I1(0), 'TUPLE2', 'SETITEM', I4(2), I4(1), I1(16), 'TUPLE',
                             'BUILD', 'STOP'),
        json='{"$dtype":[["a","<i2"]]}', rules=['D-1', 'D-5'], py='pickle',
        desc='numpy.dtype(numpy.record, ...), as np.recarray dtypes reduce')
    vec('d_built_twice', D('i4', I1(3), S('>'), N, N, N, I4(-1), I4(-1), I1(0))[:-1]
        + A('MARK', I1(3), S('>'), N, N, N, I4(-1), I4(-1), I1(0), 'TUPLE', 'BUILD', 'STOP'),
        err=('BAD_DTYPE', -2), rules=['D-8'], desc='a second BUILD on a dtype')
    vec('d_fields_nonvoid', D('i4', I1(3), S('|'), N, N, 'EMPTY_DICT', I4(4), I4(1), I1(0)), err=('BAD_DTYPE', -2),
        rules=['D-5'], desc='fields on an i4 dtype')
    vec('d_field_past_item', D('V4', I1(3), S('|'), N, S('a'), 'TUPLE1', 'EMPTY_DICT', S('a'), *dtype4('i4', '<'),
                               I1(1), 'TUPLE2', 'SETITEM', I4(4), I4(1), I1(0)),
        err=('BAD_DTYPE', -2), rules=['D-5'], desc='a field at offset 1 of 4 bytes in a 4-byte item')
    vec('d_field_missing', D('V4', I1(3), S('|'), N, S('a'), 'TUPLE1', 'EMPTY_DICT', I4(4), I4(1), I1(0)),
        err=('BAD_DTYPE', -2), rules=['D-5'], desc="names ('a',) with no field 'a'")
    vec('d_field_unbuilt', D('V8', I1(3), S('|'), N, S('a'), 'TUPLE1', 'EMPTY_DICT', S('a'), *G4('numpy', 'dtype'),
                             S('f8'), 'NEWFALSE', 'NEWTRUE', 'TUPLE3', 'REDUCE', I1(0), 'TUPLE2', 'SETITEM',
                             I4(8), I4(1), I1(0)),
        err=('BAD_DTYPE', -2), rules=['D-5'], desc='a field whose dtype never got its BUILD state')
    vec('d_subarray_size', D('V8', I1(3), S('|'), *dtype4('i4', '<'), I1(3), 'TUPLE1', 'TUPLE2', N, N, I4(8),
                             I4(4), I1(0)),
        err=('BAD_DTYPE', -2), rules=['D-6'], desc='subarray (i4, (3,)) in an 8-byte item')
    meta_dt = lambda unit, num: D('M8', I1(4), S('<'), N, N, N, I4(-1), I4(-1), I1(0), 'EMPTY_DICT', 'MARK',
                                  unit, I1(num), I1(1), I1(1), 'TUPLE', 'TUPLE2')
    vec('d_unit_unknown', meta_dt(('SHORT_BINBYTES', b'xs'), 1), err=('BAD_DTYPE', -2), rules=['D-7'],
        desc="datetime unit b'xs'")
    vec('d_unit_num', meta_dt(('SHORT_BINBYTES', b'us'), 5), json='{"$dtype":"<M8[5us]"}', rules=['D-7'],
        py='pickle', desc='datetime64 with 5 microsecond units')
    vec('d_unit_zero', meta_dt(('SHORT_BINBYTES', b's'), 0), err=('BAD_DTYPE', -2), rules=['D-7'],
        desc='datetime unit multiplier 0')
    # a dtype nested 33 levels deep (each a subarray of the previous): past the depth bound
    prog = dtype4('u1', '|')
    for k in range(33):
        prog = G4('numpy', 'dtype') + [S('V1'), 'NEWFALSE', 'NEWTRUE', 'TUPLE3', 'REDUCE', 'MARK', I1(3), S('|')] \
            + prog + [I1(1), 'TUPLE1', 'TUPLE2', 'NONE', 'NONE', I4(1), I4(1), I1(0), 'TUPLE', 'BUILD']
    data = P4(*prog, 'STOP')
    vec('d_depth', data, err=('LIMIT', -2 - 20), rules=['D-8', 'L-1'],
        desc='dtypes nested 34 levels deep: the one at level 33 (its BUILD, 20 bytes before the last) fails')


def array_vectors():
    """numpy's own array and scalar pickles (FORMAT.md 8)."""
    np = _np()
    made = [
        ('i2', np.arange(3, dtype='<i2')),
        ('f4_be_fortran', np.arange(6, dtype='>f4').reshape(2, 3, order='F')),
        ('object', np.array([1, 'a', None], dtype=object)),
        ('zero_d', np.array(3.0)),
        ('s3', np.array([b'ab', b''], dtype='S3')),
        ('u2', np.array(['xy', 'z'], dtype='<U2')),
        ('struct', np.array([(1, 2.5)], dtype=[('a', '<i2'), ('b', '<f8')])),
        ('datetime', np.array(['2020-01-01', 'NaT'], dtype='M8[D]')),
        ('complex', np.array([1 + 2j], dtype='<c8')),
        ('bool', np.array([True, False])),
        ('empty_2d', np.zeros((2, 0), dtype='<f8')),
        ('recarray', np.rec.array([(1, 2.0)], dtype=[('a', '<i4'), ('b', '<f8')])),
        ('float16', np.array([0.5, -2.0], dtype='<f2')),
        ('void', np.array([b'\x01\x02'], dtype='V2')),
    ]
    for name, arr in made:
        for proto in (2, 5):
            rules = ['A-1', 'A-4', 'AL-9'] if proto == 2 or arr.dtype.hasobject else ['A-3', 'A-4', 'AL-9']
            vec('a_%s_p%d' % (name, proto), pickle.dumps(arr, protocol=proto), json=pyjson(np.asarray(arr)),
                rules=rules, py='pickle' if arr.dtype.isnative or proto == 5 else None,
                desc='numpy array %s pickled by numpy 1.24 at protocol %d' % (name, proto))
    scalars = [('f8', np.float64(1.5)), ('i4', np.int32(-2)), ('bool', np.bool_(True)), ('str', np.str_('hi')),
               ('c16', np.complex128(1 - 1j)), ('u8_be', np.array([7], dtype='>u8')[0]),
               ('bytes', np.bytes_(b'ab'))]
    for name, sc in scalars:
        vec('a_scalar_%s' % name, pickle.dumps(sc, protocol=2), json=pyjson(sc), rules=['A-2', 'AL-9'], py='pickle',
            desc='numpy scalar %r pickled by numpy 1.24' % (sc,))
    d16 = struct.pack('<2d', 1.5, -2)
    arr_json = '{"$ndarray":{"dtype":"<f8","shape":[2],"order":"C","data":[1.5,-2.0]}}'

    def rec(mod='numpy.core.multiarray'):
        return G4(mod, '_reconstruct') + G4('numpy', 'ndarray') + [I1(0), 'TUPLE1', ('SHORT_BINBYTES', b'b'),
                                                                  'TUPLE3', 'REDUCE']

    def rec_state(shape_ops, dt, fortran, data, version=True):
        return ['MARK'] + ([I1(1)] if version else []) + shape_ops + dt + [fortran, data, 'TUPLE', 'BUILD']
    vec('a_reconstruct_core2', P4(*rec('numpy._core.multiarray'), *rec_state([I1(2), 'TUPLE1'], dtype4('f8'),
                                                                            'NEWFALSE', ('SHORT_BINBYTES', d16)),
                                  'STOP'),
        json=arr_json, rules=['A-1', 'AL-9'], desc='numpy._core.multiarray._reconstruct (numpy 2 names)')
    vec('a_reconstruct_4', P4(*rec(), *rec_state([I1(2), 'TUPLE1'], dtype4('f8'), 'NEWFALSE',
                                                 ('SHORT_BINBYTES', d16), version=False), 'STOP'),
        json=arr_json, rules=['A-1'], py='pickle', desc='array state of 4 items (no version)')
    vec('a_reconstruct_latin1', P2(*rec(), *rec_state([I1(2), 'TUPLE1'], dtype4('u1', '|'), 'NEWFALSE',
                                                     ('BINUNICODE', 'a\u00e9')), 'STOP'),
        json='{"$ndarray":{"dtype":"|u1","shape":[2],"order":"C","data":[97,233]}}', rules=['A-1'],
        desc='array data given as a str of code points below 256 (py2 str loaded as text)')
    vec('a_reconstruct_py2str', P2(*rec(), *rec_state([I1(2), 'TUPLE1'], dtype4('u1', '|'), 'NEWFALSE',
                                                     ('SHORT_BINSTRING', b'a\xe9')), 'STOP'),
        json='{"$ndarray":{"dtype":"|u1","shape":[2],"order":"C","data":[97,233]}}', rules=['A-1', 'V-5'],
        desc='array data as a Python 2 str (SHORT_BINSTRING with a non-ASCII byte loads as bytes)')
    vec('a_reconstruct_len', P4(*rec(), *rec_state([I1(3), 'TUPLE1'], dtype4('f8'), 'NEWFALSE',
                                                   ('SHORT_BINBYTES', d16)), 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-1'], desc='16 data bytes for a (3,) f8 array')
    vec('a_reconstruct_twice', P4(*rec(), *rec_state([I1(2), 'TUPLE1'], dtype4('f8'), 'NEWFALSE',
                                                     ('SHORT_BINBYTES', d16)), 'NONE', 'BUILD', 'STOP'),
        err=('BAD_TYPE', -2), rules=['A-1', 'V-9'], desc='a second BUILD on an array')
    vec('a_reconstruct_state3', P4(*rec(), I1(2), 'TUPLE1', *dtype4('f8'), 'NEWFALSE', 'TUPLE3', 'BUILD', 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-1'], desc='array state of 3 items')
    vec('a_reconstruct_no_dtype', P4(*rec(), *rec_state([I1(2), 'TUPLE1'], [S('f8')], 'NEWFALSE',
                                                       ('SHORT_BINBYTES', d16)), 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-1'], desc='array state whose dtype is a str')
    vec('a_reconstruct_data_type', P4(*rec(), *rec_state([I1(2), 'TUPLE1'], dtype4('f8'), 'NEWFALSE', I1(0)),
                                      'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-1'], desc='array data that is an int')
    vec('a_reconstruct_no_build', P4(*rec(), 'STOP'), py='pickle',
        json='{"$ndarray":{"dtype":"|i1","shape":[0],"order":"C","data":[]}}', rules=['A-1'],
        desc="_reconstruct(ndarray, (0,), b'b') never given its BUILD: numpy's empty int8 array")
    vec('a_reconstruct_no_build_dtype', P4(*G4('numpy.core.multiarray', '_reconstruct'), *G4('numpy', 'ndarray'),
                                           I1(2), I1(0), 'TUPLE2', *dtype4('f8'), 'TUPLE3', 'REDUCE', 'STOP'),
        py='pickle', json='{"$ndarray":{"dtype":"<f8","shape":[2,0],"order":"C","data":[[],[]]}}', rules=['A-1'],
        desc="_reconstruct(ndarray, (2, 0), dtype('<f8')) never given its BUILD: an empty (2, 0) array")
    vec('a_reconstruct_no_build_items', P4(*G4('numpy.core.multiarray', '_reconstruct'), *G4('numpy', 'ndarray'),
                                           I1(3), 'TUPLE1', S('f'), 'TUPLE3', 'REDUCE', 'STOP'),
        err=('BAD_ARRAY', -1), rules=['A-1'],
        cpython='numpy returns 3 float32 items of uninitialised memory',
        desc="_reconstruct(ndarray, (3,), 'f') never given its BUILD: no value numpy gives twice the same")
    vec('a_reconstruct_object_count', P4(*rec(), *rec_state([I1(3), 'TUPLE1'], dtype4('O8', '|', flags=63),
                                                            'NEWFALSE', 'EMPTY_LIST'), 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-1'], desc='object array whose element list is shorter than the shape')
    vec('a_shape_negative', P4(*rec(), *rec_state([I4(-1), 'TUPLE1'], dtype4('f8'), 'NEWFALSE',
                                                  ('SHORT_BINBYTES', b'')), 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-4'], desc='shape (-1,)')
    vec('a_shape_bigint', P4(*rec(), *rec_state([('LONG1', b'\x00' * 8 + b'\x01'), 'TUPLE1'], dtype4('f8'),
                                                'NEWFALSE', ('SHORT_BINBYTES', b'')), 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-4'], desc='a dimension of 2^64')
    vec('a_shape_65', P4(*rec(), *rec_state(['MARK'] + [I1(1)] * 65 + ['TUPLE'], dtype4('f8'), 'NEWFALSE',
                                            ('SHORT_BINBYTES', d16[:8])), 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-4'], desc='65 dimensions (numpy allows 64)')
    vec('a_shape_int', P4(*rec(), *rec_state([I1(2)], dtype4('f8'), 'NEWFALSE', ('SHORT_BINBYTES', d16)), 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-1', 'A-4'],
        desc="a bare int as the shape in an ndarray state (numpy's __setstate__ takes a tuple only: TypeError)")
    vec('a_shape_list', P4(*rec(), *rec_state(['EMPTY_LIST', I1(2), 'APPEND'], dtype4('f8'), 'NEWFALSE',
                                              ('SHORT_BINBYTES', d16)), 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-1'], desc="a list as the shape in an ndarray state (TypeError in numpy)")
    vec('a_state_version_2', P4(*rec(), 'MARK', I1(2), I1(2), 'TUPLE1', *dtype4('f8'), 'NEWFALSE',
                                ('SHORT_BINBYTES', d16), 'TUPLE', 'BUILD', 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-1'], desc="ndarray state version 2 (numpy takes 0 and 1: ValueError)")
    vec('a_state_fortran_none', P4(*rec(), *rec_state([I1(2), 'TUPLE1'], dtype4('f8'), 'NONE',
                                                      ('SHORT_BINBYTES', d16)), 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-1'], desc="is_fortran None in an ndarray state (numpy parses a C int)")
    vec('a_shape_str', P4(*rec(), *rec_state([S('2')], dtype4('f8'), 'NEWFALSE', ('SHORT_BINBYTES', d16)), 'STOP'),
        err=('BAD_ARRAY', -2), rules=['A-4'], desc='a str as the shape')
    sc = lambda mod, *a: P4(*G4(mod, 'scalar'), *a, 'REDUCE', 'STOP')
    vec('a_scalar_core2', sc('numpy._core.multiarray', *dtype4('f8'), ('SHORT_BINBYTES', d16[:8]), 'TUPLE2'),
        json='{"$scalar":{"dtype":"<f8","value":1.5}}', rules=['A-2', 'AL-9'], desc='numpy._core.multiarray.scalar')
    vec('a_scalar_size', sc('numpy.core.multiarray', *dtype4('f8'), ('SHORT_BINBYTES', d16[:7]), 'TUPLE2'),
        err=('BAD_ARRAY', -2), rules=['A-2'], desc='scalar of 7 bytes for an f8 dtype')
    vec('a_scalar_object', sc('numpy.core.multiarray', *dtype4('O8', '|', flags=63), S('hi'), 'TUPLE2'),
        json='{"$scalar":{"dtype":"|O","value":"hi"}}', rules=['A-2'], desc='an object scalar holds its value')
    fb = lambda mod, buf, dt, shape, order: A(('PROTO', 5), *G4(mod, '_frombuffer'), 'MARK', buf, *dt, *shape,
                                              S(order), 'TUPLE', 'REDUCE', 'STOP')
    vec('a_frombuffer_shape_int', fb('numpy.core.numeric', ('SHORT_BINBYTES', d16), dtype4('f8'), [I1(2)], 'C'),
        json=arr_json, rules=['A-3', 'A-4'], py='pickle', desc='_frombuffer with the bare int 2 as its shape')
    vec('a_frombuffer_shape_bool', fb('numpy.core.numeric', ('SHORT_BINBYTES', d16), dtype4('f8'),
                                      ['NEWTRUE', I1(2), 'TUPLE2'], 'C'),
        err=('BAD_ARRAY', -2), rules=['A-3', 'A-4'], desc="_frombuffer with the shape (True, 2) (numpy: TypeError, "
                                                          "an integer is required)")
    vec('a_frombuffer_core2', fb('numpy._core.numeric', ('BYTEARRAY8', d16), dtype4('f8'), [I1(2), 'TUPLE1'], 'C'),
        json=arr_json, rules=['A-3', 'AL-9'], desc='numpy._core.numeric._frombuffer (numpy 2 names)')
    vec('a_frombuffer_fortran', fb('numpy.core.numeric', ('SHORT_BINBYTES', struct.pack('<4h', 1, 2, 3, 4)),
                                   dtype4('i2'), [I1(2), I1(2), 'TUPLE2'], 'F'),
        json='{"$ndarray":{"dtype":"<i2","shape":[2,2],"order":"F","data":[[1,3],[2,4]]}}', rules=['A-3'],
        py='pickle', desc="_frombuffer of bytes with order 'F'")
    vec('a_frombuffer_object', fb('numpy.core.numeric', ('SHORT_BINBYTES', d16), dtype4('O8', '|', flags=63),
                                  [I1(2), 'TUPLE1'], 'C'),
        err=('BAD_ARRAY', -2), rules=['A-3'], desc='_frombuffer with an object dtype')
    vec('a_frombuffer_len', fb('numpy.core.numeric', ('SHORT_BINBYTES', d16[:9]), dtype4('f8'), [I1(2), 'TUPLE1'],
                               'C'),
        err=('BAD_ARRAY', -2), rules=['A-3'], desc='_frombuffer of 9 bytes for (2,) f8')


def _npy(arr):
    np = _np()
    f = io.BytesIO()
    np.save(f, arr, allow_pickle=True)
    return f.getvalue()


def joblib_vectors():
    """joblib's array wrappers in every generation (FORMAT.md 9)."""
    np = _np()

    def jl(name, value, rules, desc, **kw):
        data = joblib_dump_bytes(value, **kw)
        path = os.path.join(_tmpdir(), name + '.bin')
        open(path, 'wb').write(data)
        vec(name, data, json=pyexport(joblib_load_file_order(path)), rules=rules, py='joblib', desc=desc)
    # -- joblib-made files (expected JSON: what joblib.load returns)
    many = {
        'b1': np.array([True, False]), 'i1': np.array([-1, 2], dtype='i1'), 'u2': np.array([1, 65535], dtype='<u2'),
        'i4_be': np.array([1, -2], dtype='>i4'), 'f2': np.array([0.5], dtype='<f2'),
        'c8': np.array([1 + 2j], dtype='<c8'), 's3': np.array([b'ab', b'xyz'], dtype='S3'),
        'u2s': np.array(['h\u00e9', ''], dtype='<U2'), 'v3': np.array([b'\x01\x02\x03'], dtype='V3'),
        'dt_ns': np.array(['2020-01-01T00:00:00.5'], dtype='M8[ns]'), 'td_s': np.array([5, -1], dtype='m8[s]'),
        'rec': np.zeros(2, dtype=[('x', '<i4'), ('y', '>f8', (2,))]),
    }
    jl('j_g2_dtypes', many, ['J-1', 'J-2', 'J-3', 'J-4', 'J-5', 'J-10'],
       'joblib 1.2: a dict of arrays of every dtype family (padding before each payload)')
    jl('j_g2_fortran', np.arange(6, dtype='<i4').reshape(2, 3, order='F'), ['J-9'],
       "joblib 1.2: order 'F' payload in Fortran order")
    jl('j_g2_zero_d', np.array(7.5), ['J-3'], 'joblib 1.2: a 0-d array (shape ())')
    jl('j_g2_empty', np.zeros((2, 0), dtype='<f4'), ['J-3', 'J-5'], 'joblib 1.2: a zero-size array: pad, no data')
    jl('j_g2_shared', [np.arange(2.0)] * 2, ['J-10', 'J-7'],
       'joblib 1.2: the same array twice: two wrappers, two payloads, two arrays')
    jl('j_g2_matrix', np.matrix([[1, 2]], dtype='<i8'), ['J-1'], 'joblib 1.2: np.matrix (subclass numpy.matrix)')
    for proto in (0, 1, 2, 3, 5):
        jl('j_g2_p%d' % proto, [np.arange(3, dtype='<i2'), 'x'], ['J-1', 'J-4', 'J-5'] + (['F-7'] if proto == 5 else []),
           'joblib 1.2 at protocol %d (%s)' % (proto, {0: 'copy_reg._reconstructor, text opcodes',
                                                        1: 'copy_reg._reconstructor, binary opcodes',
                                                        2: 'GLOBAL, NEWOBJ, no frames', 3: 'no frames',
                                                        5: 'frames ending at the wrapper'}[proto]),
           protocol=proto)
    jl('j_g1', [np.arange(3, dtype='<f8'), np.arange(2, dtype='<i4')], ['J-4'],
       'G1 (joblib 0.10-1.1): no numpy_array_alignment_bytes, no pad byte')
    jl('j_g2_notell', [np.arange(3, dtype='<f8'), 'tail'], ['J-4'],
       'G2 written to an output without tell(): alignment None, no pad byte', gen='G2-notell')
    jl('j_obj_p2', [np.array([1, 'a', None, {'k': 2.5}], dtype=object), np.arange(2.0)], ['J-8'],
       'joblib 1.2: an object array is a nested protocol 2 pickle (no pad even though the key says 16)')
    jl('j_obj_p5', [np.array([1, 'a', np.arange(2, dtype='<i2')], dtype=object), np.arange(2.0)], ['J-8'],
       'joblib >= 1.5: the nested pickle is protocol 5 (an ndarray element uses _frombuffer + BYTEARRAY8)',
       gen='obj-p5')
    jl('j_obj_nested_array_p2', np.array([np.arange(2, dtype='<i2'), None], dtype=object), ['J-8', 'J-11'],
       'joblib 1.2: an object array holding an ndarray (numpy reduce inside the nested pickle)')
    for codec in ('zlib', 'gzip', 'bz2', 'lzma', 'xz', 'lz4'):
        jl('j_%s' % codec, [np.arange(5, dtype='<i8'), 'abc'], ['J-5', 'C-1'],
           'joblib 1.2 compress=%r (its default level): padding counts decoded bytes' % codec, compress=codec)
    # -- hand-made wrappers: tolerated forms
    d24 = struct.pack('<3d', 0, 1, 2)
    f8_json = '{"$ndarray":{"dtype":"<f8","shape":[3],"order":"C","data":[0.0,1.0,2.0]}}'
    vec('j_pad_zero', g2(std_state(), d24, pad=b'\x00'), json=f8_json, rules=['J-5'],
        desc='pad length 0 (joblib never writes it; its reader accepts it)')
    vec('j_pad_16', g2(std_state(), d24, pad=b'\x10' + b'\xff' * 16), json=f8_json, rules=['J-5'],
        desc='pad length 16 (the payload need not be aligned for the reader)')
    vec('j_keys_py27_order', g2([kv for k in ('dtype', 'shape', 'order', 'subclass', 'allow_mmap')
                                 for kv in std_state(align=None) if kv[0] == k], d24),
        json=f8_json, rules=['J-2'], desc='state keys in the order of a Python 2.7 file')
    vec('j_keys_extra_missing', g2([('x', [I1(1)])] + std_state(drop=('allow_mmap',)), d24),
        json=f8_json, rules=['J-2'], desc='an extra key; allow_mmap missing (joblib reads it only to map)')
    vec('j_align_32', g2(std_state(align=(I1(32),)), d24), json=f8_json, rules=['J-4'],
        desc='numpy_array_alignment_bytes 32: still one pad byte and at most 16 pad bytes')
    vec('j_order_f', g2(std_state(shape=(2, 2), descr='i2', order='F'), struct.pack('<4h', 1, 2, 3, 4)),
        json='{"$ndarray":{"dtype":"<i2","shape":[2,2],"order":"F","data":[[1,3],[2,4]]}}', rules=['J-9'],
        desc="order 'F': the payload is in Fortran order")
    vec('j_order_other', g2(std_state(shape=(2, 2), descr='i2', order='K'), struct.pack('<4h', 1, 2, 3, 4)),
        json='{"$ndarray":{"dtype":"<i2","shape":[2,2],"order":"C","data":[[1,2],[3,4]]}}', rules=['J-9'],
        desc="an order other than 'F' means C order")
    obj_made = A(('PROTO', 4), 'MARK', *G4('joblib.numpy_pickle', 'NumpyArrayWrapper'), 'OBJ', 'EMPTY_DICT',
                 'MARK', *sum(([S(k)] + v for k, v in std_state(align=None)), []), 'SETITEMS', 'BUILD')
    vec('j_wrapper_obj', obj_made + d24 + b'.', json=f8_json, rules=['J-1'],
        desc='the wrapper made with OBJ instead of NEWOBJ')
    inst_made = A('MARK', ('INST', ('joblib.numpy_pickle', 'NumpyArrayWrapper')), 'EMPTY_DICT',
                  'MARK', *sum(([S(k)] + v for k, v in std_state(align=None)), []), 'SETITEMS', 'BUILD')
    vec('j_wrapper_inst', inst_made + d24 + b'.', json=f8_json, rules=['J-1'],
        desc='the wrapper made with INST (protocol 0 style)')
    vec('j_sklearn_alias', g2(std_state(), d24, mod='sklearn.externals.joblib.numpy_pickle'), json=f8_json,
        rules=['J-1'], desc="the copy of joblib vendored in scikit-learn < 0.23")
    vec('j_other_module', g2(std_state(align=None), b'', mod='evil.numpy_pickle'),
        json='{"$object":{"class":"evil.numpy_pickle.NumpyArrayWrapper","state":{"subclass":{"$global":'
             '"numpy.ndarray"},"shape":{"$tuple":[3]},"order":"C","dtype":{"$dtype":"<f8"},"allow_mmap":true}}}',
        rules=['J-1'], desc='NumpyArrayWrapper of another module is an inert object: no payload is read')
    def items_of(state_items):
        out = []
        for k, v in state_items:
            out += [S(k)] + list(v)
        return out
    g1_items = items_of(std_state(align=None))
    vec('j_wrapper_newobj_ex',
        A(('PROTO', 4)) + A(*(G4('joblib.numpy_pickle', 'NumpyArrayWrapper') +
                              ['EMPTY_TUPLE', 'EMPTY_DICT', 'NEWOBJ_EX', 'EMPTY_DICT', 'MARK'] + g1_items +
                              ['SETITEMS', 'BUILD'])) + d24 + b'.',
        json=f8_json, rules=['J-1'], py='joblib',
        desc='a wrapper made by NEWOBJ_EX is a wrapper (joblib tests isinstance): its payload is read')
    head = A(('PROTO', 4)) + A(*(G4('joblib.numpy_pickle', 'NumpyArrayWrapper') + ['MARK'] +
                                 G4('numpy', 'ndarray') + shape4((3,)) + [S('C')] + dtype4('f8') +
                                 ['TUPLE', 'REDUCE', 'EMPTY_DICT', 'BUILD']))
    p = 16 - ((len(head) + 1) % 16)
    vec('j_wrapper_reduce_args', head + bytes([p]) + b'\xff' * p + d24 + b'.', json=f8_json, rules=['J-1', 'J-14'],
        py='joblib', desc='the wrapper class called by REDUCE with (subclass, shape, order, dtype): __init__ sets '
        'the attributes, numpy_array_alignment_bytes defaults to 16 (a pad is read), BUILD {} adds nothing')
    zero_json = '{"$ndarray":{"dtype":"<f8","shape":[0],"order":"C","data":[]}}'
    vec('j_wrapper_repeated_key',
        A(('PROTO', 4)) + A(*(G4('joblib.numpy_pickle', 'NumpyArrayWrapper') + ['EMPTY_TUPLE', 'NEWOBJ',
                              'EMPTY_DICT', 'MARK'] + g1_items + [S('shape')] + shape4((0,)) +
                              ['SETITEMS', 'BUILD'])) + b'.',
        json=zero_json, rules=['J-14'], py='joblib',
        desc="a state dict that gives 'shape' twice: the last value wins (no payload for shape (0,))")
    vec('j_wrapper_slotstate',
        A(('PROTO', 4)) + A(*(G4('joblib.numpy_pickle', 'NumpyArrayWrapper') + ['EMPTY_TUPLE', 'NEWOBJ',
                              'EMPTY_DICT', 'MARK'] + g1_items + ['SETITEMS', 'EMPTY_DICT', S('shape')] +
                              shape4((0,)) + ['SETITEM', 'TUPLE2', 'BUILD'])) + b'.',
        json=zero_json, rules=['J-14'], py='joblib',
        desc="BUILD with a (state, slotstate) pair: the slot state's 'shape' is set last and wins")
    vec('j_wrapper_reduce', g2(std_state(align=None), b'', make='REDUCE'),
        json='{"$object":{"call":"joblib.numpy_pickle.NumpyArrayWrapper","state":{"subclass":{"$global":'
             '"numpy.ndarray"},"shape":{"$tuple":[3]},"order":"C","dtype":{"$dtype":"<f8"},"allow_mmap":true}}}',
        rules=['J-1'], desc='the wrapper class called with REDUCE is not a wrapper: inert, no payload read')
    # -- hand-made wrappers: errors
    vec('j_pad_17', g2(std_state(), d24, pad=b'\x11' + b'\xff' * 17), err=('BAD_ARRAY', -(len(d24) + 20)),
        rules=['J-5'], desc='pad length 17')
    vec('j_pad_not_ff', g2(std_state(), d24, pad=b'\x03\xff\xfe\xff'), err=('BAD_ARRAY', -(len(d24) + 6)),
        rules=['J-5'], desc='a pad byte 0xfe')
    head = P4(*wrapper4(std_state()))
    vec('j_pad_trunc', head + b'\x0e\xff\xff', err='TRUNCATED %d' % (len(head) - 1), rules=['J-6'],
        desc='the input ends inside the padding')
    vec('j_payload_trunc', g2(std_state(), d24[:-1], tail=b''), err='TRUNCATED %d' % (len(head) - 1),
        rules=['J-6'], desc='the input ends one byte before the end of the payload')
    vec('j_payload_huge', g2(std_state(shape=(10**12,), align=None), d24), err=('LIMIT', -(len(d24) + 2)),
        rules=['J-6', 'L-1'], desc='a payload of 8e12 bytes: larger than max_alloc, refused before reading')
    vec('j_payload_in_frame', A(('PROTO', 4)) + F(*wrapper4(std_state(align=None)), d24, 'STOP'),
        err=('FRAME', -(len(d24) + 2)), rules=['F-7'],
        desc='a frame that covers the payload (joblib ends frames at the wrapper BUILD)')
    vec('j_frame_before_build', A(('PROTO', 4)) + F(*wrapper4(std_state(align=None))[:-1]) + A('BUILD') + d24 + b'.',
        json=f8_json, rules=['F-7'], desc='a frame that ends before the wrapper BUILD is fine')
    vec('j_no_dtype', g2(std_state(align=None, drop=('dtype',)), d24), err=('BAD_ARRAY', -(len(d24) + 2)),
        rules=['J-2'], desc='state without dtype')
    vec('j_no_shape', g2(std_state(align=None, drop=('shape',)), d24), err=('BAD_ARRAY', -(len(d24) + 2)),
        rules=['J-2'], desc='state without shape')
    vec('j_dtype_str', g2(std_state(align=None, dt=[S('<f8')]), d24), err=('BAD_ARRAY', -(len(d24) + 2)),
        rules=['J-2'], desc="state whose dtype is the str '<f8'")
    vec('j_no_order', g2(std_state(align=None, drop=('order',)), d24), err=('BAD_ARRAY', -(len(d24) + 2)),
        rules=['J-2'], desc='state without order (joblib.load: AttributeError when it reshapes the data)')
    vec('j_no_subclass', g2(std_state(align=None, drop=('subclass',)), d24), err=('BAD_ARRAY', -(len(d24) + 2)),
        rules=['J-2'], desc='state without subclass (joblib.load: AttributeError)')
    vec('j_subclass_none', g2([('subclass', ['NONE'])] + std_state(align=None, drop=('subclass',)), d24),
        err=('BAD_ARRAY', -(len(d24) + 2)), rules=['J-2'],
        desc='subclass None (joblib.load calls _reconstruct(None, ...): TypeError)')
    vec('j_shape_int', g2(std_state(align=None, drop=('shape',)) + [('shape', [I1(3)])], d24),
        err=('BAD_ARRAY', -(len(d24) + 2)), rules=['J-2', 'A-4'],
        desc='shape the bare int 3 (joblib.load takes len(shape): TypeError)')
    vec('j_shape_list', g2(std_state(align=None, drop=('shape',)) + [('shape', ['EMPTY_LIST', I1(3), 'APPEND'])], d24),
        json=f8_json, rules=['J-2', 'A-4'], desc='shape the list [3] (joblib.load accepts any sequence)')
    vec('j_state_not_dict', P4(*G4('joblib.numpy_pickle', 'NumpyArrayWrapper'), 'EMPTY_TUPLE', 'NEWOBJ',
                               'EMPTY_LIST', 'BUILD', 'STOP'),
        err=('BAD_ARRAY', -2), rules=['J-2'], desc='wrapper state that is a list')
    vec('j_align_str', g2(std_state(align=(S('16'),)), d24, pad=b''), err=('BAD_ARRAY', -(len(d24) + 2)),
        rules=['J-4'], desc="numpy_array_alignment_bytes '16' (a str)")
    vec('j_align_zero', g2(std_state(align=(I1(0),)), d24, pad=b''), err=('BAD_ARRAY', -(len(d24) + 2)),
        rules=['J-4'], desc='numpy_array_alignment_bytes 0')
    vec('j_align_big', g2(std_state(align=(I4(4097),)), d24, pad=b''), err=('BAD_ARRAY', -(len(d24) + 2)),
        rules=['J-4'], desc='numpy_array_alignment_bytes 4097')
    v0 = dtype4('V0', '|', 0, 1)
    vec('j_itemsize0', g2(std_state(align=None, dt=v0), b''), err=('BAD_ARRAY', -2), rules=['J-3'],
        desc='a dtype of itemsize 0 with 3 elements (joblib itself cannot write it)')
    vec('j_itemsize0_empty', g2(std_state(align=None, dt=v0, shape=(0,)), b''), err=('BAD_ARRAY', -2),
        rules=['J-3'], desc='itemsize 0 with 0 elements (joblib.load divides by the item size whatever the count)')
    vec('j_overflow', g2(std_state(align=None, shape=(2**32, 2**32)), b''), err=('BAD_ARRAY', -2), rules=['J-3'],
        desc='shape (2^32, 2^32) of f8: the byte count overflows 64 bits')
    vec('j_negative_dim', g2(std_state(align=None, shape=(-1,)), b''), err=('BAD_ARRAY', -2), rules=['J-3', 'A-4'],
        desc='shape (-1,)')
    # object arrays
    obj_state = std_state(dt=dtype4('O8', '|', flags=63))
    inner = pickle.dumps(np.array([1, 'a'], dtype=object), protocol=2)
    vec('j_obj_hand', g2(obj_state, inner, pad=b''), json='{"$ndarray":{"dtype":"|O","shape":[2],"order":"C",'
        '"data":[1,"a"]}}', rules=['J-8'], desc='object wrapper followed directly by a nested pickle')
    vec('j_obj_no_order', g2(std_state(dt=dtype4('O8', '|', flags=63), drop=('order',)), inner, pad=b''),
        json='{"$ndarray":{"dtype":"|O","shape":[2],"order":"C","data":[1,"a"]}}', rules=['J-2', 'J-8'],
        desc='object wrapper without order (joblib reads order only to reshape raw data)')
    pos = len(g2(obj_state, b'', pad=b'', tail=b''))
    vec('j_obj_not_array', g2(obj_state, P2(I1(5), 'STOP'), pad=b''), err='BAD_ARRAY %d' % (pos - 1),
        rules=['J-8'], desc='an object array payload whose nested pickle returns an int (reported at the BUILD)')
    nested_bad = P2(I1(5)) + b'\xff'
    vec('j_obj_nested_error', g2(obj_state, nested_bad, pad=b''), err='BAD_OPCODE %d' % (pos + 4), rules=['J-8'],
        desc='an error inside the nested pickle is reported at its absolute offset')
    nested_wrapper = P2(G('numpy.core.multiarray', '_reconstruct'), G('numpy', 'ndarray'), I1(0), 'TUPLE1',
                        ('SHORT_BINBYTES', b'b'), 'TUPLE3', 'REDUCE', 'MARK', I1(1), I1(1), 'TUPLE1',
                        G('numpy', 'dtype'), ('BINUNICODE', 'O8'), 'NEWFALSE', 'NEWTRUE', 'TUPLE3', 'REDUCE',
                        'MARK', I1(3), ('BINUNICODE', '|'), 'NONE', 'NONE', 'NONE', I4(-1), I4(-1), I1(63), 'TUPLE',
                        'BUILD', 'NEWFALSE', 'EMPTY_LIST', G('joblib.numpy_pickle', 'NumpyArrayWrapper'),
                        'EMPTY_TUPLE', 'NEWOBJ', 'EMPTY_DICT', ('BINUNICODE', 'shape'), I1(1), 'TUPLE1',
                        'SETITEM', 'BUILD', 'APPEND', 'TUPLE', 'BUILD', 'STOP')
    vec('j_obj_nested_wrapper', g2(obj_state, nested_wrapper, pad=b''),
        json='{"$ndarray":{"dtype":"|O","shape":[1],"order":"C","data":[{"$object":{"class":'
             '"joblib.numpy_pickle.NumpyArrayWrapper","state":{"shape":{"$tuple":[1]}}}}]}}',
        rules=['J-11'], desc='a NumpyArrayWrapper inside the nested pickle stays inert (no payload is read)')
    # -- G0: NDArrayWrapper and .npy companions (joblib <= 0.9)
    def g0(name, filename, companions, json=None, err=None, rules=('J-12',), desc=''):
        data = P2('EMPTY_LIST', 'MARK', G('joblib.numpy_pickle', 'NDArrayWrapper'), 'EMPTY_TUPLE', 'NEWOBJ',
                  'EMPTY_DICT', 'MARK', ('BINUNICODE', 'filename'), ('BINUNICODE', filename),
                  ('BINUNICODE', 'allow_mmap'), 'NEWTRUE', ('BINUNICODE', 'subclass'), G('numpy', 'ndarray'),
                  'SETITEMS', 'BUILD', ('BINUNICODE', 'after'), 'APPENDS', 'STOP')
        if err == 'BUILD':
            err = ('%s', -1)
        vec(name, data, json=json, err=err, rules=list(rules), desc=desc, companions=companions)
        return data
    i8 = np.arange(3, dtype='<i8')
    g0('j_g0_npy', 'j_g0_npy_01.npy', {'j_g0_npy_01.npy': _npy(i8)},
       json='[{"$ndarray":{"dtype":"<i8","shape":[3],"order":"C","data":[0,1,2]}},"after"]',
       desc='G0: NDArrayWrapper naming a .npy file beside the main file')
    g0('j_g0_npy_object', 'j_g0_npy_object_01.npy', {'j_g0_npy_object_01.npy': _npy(np.array([1, 'a'], dtype=object))},
       json='[{"$ndarray":{"dtype":"|O","shape":[2],"order":"C","data":[1,"a"]}},"after"]',
       desc='G0: a .npy companion holding a pickled object array')
    d = g0('j_g0_path_parent', '../j_g0_npy_01.npy', {}, err='PATH 0', desc="companion name '../x' is refused")
    build_at = len(d) - len(A(('BINUNICODE', 'after'), 'APPENDS', 'STOP')) - 1
    VECTORS[-1]['err'] = 'PATH %d' % build_at
    g0('j_g0_path_sep', 'sub/x.npy', {}, err='PATH %d' % (build_at - len('../j_g0_npy_01.npy') + len('sub/x.npy')),
       desc='companion name with a separator is refused')
    g0('j_g0_missing', 'j_g0_missing_01.npy', {},
       err='IO %d' % (build_at - len('../j_g0_npy_01.npy') + len('j_g0_missing_01.npy')),
       desc='a companion that does not exist')
    g0('j_g0_not_npy', 'j_g0_not_npy_01.npy', {'j_g0_not_npy_01.npy': b'not an npy file'},
       err='BAD_ARRAY %d' % (build_at - len('../j_g0_npy_01.npy') + len('j_g0_not_npy_01.npy')),
       desc='a companion that is not a .npy file')
    # -- G0z: the ZF container, inline arrays, ZNDArrayWrapper + ZF companions
    vec('j_g0z_inline', zf(pickle.dumps([i8, 'x'], protocol=2)),
        json='[{"$ndarray":{"dtype":"<i8","shape":[3],"order":"C","data":[0,1,2]}},"x"]', rules=['C-5', 'A-1'],
        desc='G0z: a ZF main file with arrays pickled inline by numpy')

    def g0z(name, filename, companions, json=None, err=None, desc=''):
        body = P2('EMPTY_LIST', 'MARK', G('joblib.numpy_pickle', 'ZNDArrayWrapper'), 'EMPTY_TUPLE', 'NEWOBJ',
                  'EMPTY_DICT', 'MARK', ('BINUNICODE', 'state'), 'MARK', I1(1), I1(3), 'TUPLE1',
                  G('numpy', 'dtype'), ('BINUNICODE', 'i8'), I1(0), I1(1), 'TUPLE3', 'REDUCE', 'MARK', I1(3),
                  ('BINUNICODE', '<'), 'NONE', 'NONE', 'NONE', I4(-1), I4(-1), I1(0), 'TUPLE', 'BUILD',
                  'NEWFALSE', 'TUPLE', ('BINUNICODE', 'init_args'), G('numpy', 'ndarray'), I1(0), 'TUPLE1',
                  ('SHORT_BINBYTES', b'b'), 'TUPLE3', ('BINUNICODE', 'filename'), ('BINUNICODE', filename),
                  'SETITEMS', 'BUILD', 'APPENDS', 'STOP')
        if err:
            err = '%s %d' % (err, len(body) - 3)
        vec(name, zf(body), json=json, err=err, rules=['J-13', 'C-5'], desc=desc, companions=companions)
    raw = i8.tobytes()
    g0z('j_g0z_companion', 'j_g0z_companion_01.npy.z', {'j_g0z_companion_01.npy.z': zf(raw)},
        json='[{"$ndarray":{"dtype":"<i8","shape":[3],"order":"C","data":[0,1,2]}}]',
        desc='G0z: ZNDArrayWrapper whose data is a ZF companion of raw bytes')
    g0z('j_g0z_companion_short', 'j_g0z_companion_short_01.npy.z', {'j_g0z_companion_short_01.npy.z': zf(raw[:-8])},
        err='TRUNCATED', desc='a ZF companion holding fewer bytes than the array needs')
    g0z('j_g0z_companion_long', 'j_g0z_companion_long_01.npy.z', {'j_g0z_companion_long_01.npy.z': zf(raw + b'x')},
        err='TRAILING', desc='a ZF companion holding more bytes than the array needs')


_TMP = []


def _tmpdir():
    import tempfile
    if not _TMP:
        _TMP.append(tempfile.mkdtemp())
    return _TMP[0]


def writer_vectors():
    """Files joblib.dump wrote (protocol 4, joblib 1.2): what a conforming writer emits
    byte for byte (FORMAT.md 12). run.sh also rewrites each with jldump and compares."""
    np = _np()
    vals = [
        ('w_g2_f8', np.arange(3, dtype='<f8'), 'the example of FORMAT.md 9.3: one f8 array'),
        ('w_g2_list', [np.arange(4, dtype='<i8'), np.arange(2, dtype='<i8'), 'abc', {'k': 1.5, 'z': None}],
         'two arrays sharing a dtype (BINGET of the memoized dtype), a str, a dict; a frame after the payload'),
        ('w_g2_fortran', np.arange(6, dtype='<i4').reshape(2, 3, order='F'), "order 'F'"),
        ('w_g2_zero_d', np.array(7.5), '0-d array'),
        ('w_g2_empty', np.zeros((0,), dtype='<f4'), 'zero-size array: pad, no data'),
        ('w_g2_object', np.array([1, 'a', None, {'x': 2}], dtype=object), 'object array: nested protocol 2 pickle'),
        ('w_g2_dict', {'a': np.array([[1, 2], [3, 4]], dtype='>i2'), 'b': np.array(['ab', 'c'], dtype='<U2'),
                       'c': np.zeros(2, dtype=[('x', '<i4'), ('y', '<f8')])},
         'big-endian, unicode and structured arrays in a dict'),
        ('w_g2_same_twice', [np.arange(3.0)] * 2, 'one array referenced twice is written twice'),
        ('w_g2_datetime', np.array(['2020-01-01'], dtype='M8[D]'), 'datetime64 (dtype state version 4)'),
    ]
    for name, value, desc in vals:
        data = joblib_dump_bytes(value)
        path = os.path.join(_tmpdir(), name + '.bin')
        open(path, 'wb').write(data)
        vec(name, data, json=pyexport(joblib_load_file_order(path)),
            rules=['W-1', 'W-2', 'W-3', 'W-4', 'W-5', 'W-6', 'J-1', 'J-2', 'J-5', 'F-7'],
            py='joblib', desc='writer reference: ' + desc)


def limit_vectors():
    """Limits reachable with the defaults are in the sections above (v_len_limit,
    v_int_digits, d_depth, j_payload_huge,
    c_zstd_window)."""


def excluded_vectors():
    """Inputs whose expected result (per FORMAT.md and Python) the current code does not
    give. They are reported, not committed (EXCLUDED.md)."""
    pass


# ----------------------------------------------------------------------------------
# Output.
# ----------------------------------------------------------------------------------

GENERATED = ('.bin', '.json', '.err', '.npy', '.npy.z')


def rules_in_format():
    """The rule labels FORMAT.md defines: list items that start with **X-n**."""
    try:
        text = open(FORMAT_MD, encoding='utf-8').read()
    except OSError:
        return None
    return set(re.findall(r'^\s*[-*] \*\*([A-Z]+-\d+)\*\*', text, re.M))


def hexdump(data, limit=256):
    lines = []
    for i in range(0, min(len(data), limit), 16):
        chunk = data[i:i + 16]
        lines.append('%08x: %-47s  %s' % (i, ' '.join('%02x' % b for b in chunk),
                                           ''.join(chr(b) if 32 <= b < 127 else '.' for b in chunk)))
    if len(data) > limit:
        lines.append('... (%d bytes)' % len(data))
    return '\n'.join(lines)


def write_all():
    for f in os.listdir(HERE):
        if f.endswith(GENERATED):
            os.remove(os.path.join(HERE, f))
    for v in VECTORS:
        with open(os.path.join(HERE, v['name'] + '.bin'), 'wb') as f:
            f.write(v['data'])
        if v['json'] is not None:
            with open(os.path.join(HERE, v['name'] + '.json'), 'w', encoding='utf-8', newline='\n') as f:
                f.write(v['json'] + '\n')
        else:
            with open(os.path.join(HERE, v['name'] + '.err'), 'w', newline='\n') as f:
                f.write(v['err'] + '\n')
        for cn, cb in v['companions'].items():
            with open(os.path.join(HERE, cn), 'wb') as f:
                f.write(cb)
    # INDEX.md: every vector with its rules
    out = ['# Vector index', '',
           'Generated by make_vectors.py; do not edit. `json`: NAME.json holds the export; '
           '`CODE OFFSET`: NAME.err. Rules are the labels of ../FORMAT.md.', '',
           '| vector | expected | rules | what it is |', '|---|---|---|---|']
    for v in VECTORS:
        exp = 'json' if v['json'] is not None else '`%s`' % v['err']
        desc = v['desc'].replace('|', '\\|')
        if v['cpython']:
            desc += ' (CPython: %s)' % v['cpython'].replace('|', '\\|')
        out.append('| %s | %s | %s | %s |' % (v['name'], exp, ' '.join(v['rules']), desc))
    with open(os.path.join(HERE, 'INDEX.md'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(out) + '\n')
    # EXCLUDED.md: what the code fails today
    out = ['# Vectors left out of the set', '',
           'Generated by make_vectors.py. Each input below follows FORMAT.md (and, where Python can '
           'load it, Python agrees with the expectation), but the current code gives another result, so '
           'it is not part of the committed set. Move it back (`vec` instead of `excluded` in '
           'make_vectors.py) once the code is fixed.', '']
    for v in EXCLUDED:
        exp = v.get('json') or v.get('err')
        out += ['## %s' % v['name'], '', v['desc'][0].upper() + v['desc'][1:] + '.', '', 'Rules: %s. Expected: `%s`.' % (
            ' '.join(v.get('rules', ())), exp), '', 'Found: ' + v['why'] + '.', '', '```',
            hexdump(v['data']), '```', '']
    with open(os.path.join(HERE, 'EXCLUDED.md'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(out))


def check_coverage():
    defined = rules_in_format()
    if defined is None:
        print('warning: %s not found, rule coverage not checked' % FORMAT_MD)
        return 0
    used = set(r for v in VECTORS for r in v['rules'])
    problems = 0
    for r in sorted(used - defined):
        print('error: vectors cite %s, which FORMAT.md does not define' % r)
        problems += 1
    for r in sorted(defined - used - set(NOVEC)):
        print('error: FORMAT.md rule %s has no vector and no NOVEC reason' % r)
        problems += 1
    for r in sorted(set(NOVEC) - defined):
        print('error: NOVEC names %s, which FORMAT.md does not define' % r)
        problems += 1
    print('%d rules in FORMAT.md, %d covered by vectors, %d not testable through jlload (NOVEC)' % (
        len(defined), len(defined & used), len(set(NOVEC) & defined)))
    return problems


def probe_main():
    """--probe: run jlload (JLLOAD, default build/jlload) on every vector and print the
    differences, without writing anything (development aid)."""
    import subprocess
    import tempfile
    jl = os.environ.get('JLLOAD', os.path.join(HERE, '..', '..', 'build', 'jlload'))
    d = tempfile.mkdtemp()
    bad = 0
    for v in VECTORS + EXCLUDED:
        v.setdefault('companions', {})
        v.setdefault('json', None)
        v.setdefault('err', None)
        p = os.path.join(d, v['name'] + '.bin')
        open(p, 'wb').write(v['data'])
        for cn, cb in v['companions'].items():
            open(os.path.join(d, cn), 'wb').write(cb)
        r = subprocess.run([jl, '--json', p], capture_output=True)
        out = r.stdout.decode('utf-8', 'surrogateescape').rstrip('\n')
        err = r.stderr.decode('utf-8', 'surrogateescape')
        m = re.search(r'error at byte (\d+): ([A-Z0-9_]+):', err)
        got_err = '%s %s' % (m.group(2), m.group(1)) if m else None
        tag = ' (excluded)' if 'why' in v else ''
        if v['json'] is not None and (r.returncode != 0 or out != v['json']):
            bad += 1
            print('%-28s want %s\n%-28s got  %s %s' % (v['name'] + tag, v['json'][:300], '', out[:300], err.strip()[:200]))
        if v['err'] is not None and got_err != v['err']:
            bad += 1
            print('%-28s want %s\n%-28s got  %s / %s %s' % (v['name'] + tag, v['err'], '', got_err, out[:200],
                                                           err.strip()[:200]))
    print('%d vectors (%d excluded), %d differ' % (len(VECTORS) + len(EXCLUDED), len(EXCLUDED), bad))
def check_main():
    """--check: compare the hand-written expectations with what CPython loads, where it
    can load the input, and show CPython's behaviour on the differential vectors."""
    import tempfile
    bad = 0
    d = tempfile.mkdtemp()
    for v in VECTORS + EXCLUDED:
        for k in ('py', 'json', 'cpython'):
            v.setdefault(k, None)
        v.setdefault('companions', {})
        if v['py'] and v['json'] is not None:
            try:
                if v['py'] == 'pickle':
                    try:
                        value = pickle.loads(v['data'])
                    except Exception:  # noqa: the pure-Python unpickler is the reference
                        value = pickle._loads(v['data'])
                else:
                    p = os.path.join(d, v['name'] + '.bin')
                    open(p, 'wb').write(v['data'])
                    for cn, cb in v['companions'].items():
                        open(os.path.join(d, cn), 'wb').write(cb)
                    value = joblib_load_file_order(p)
                got = pyexport(value)
            except Exception as e:  # noqa
                got = 'Python fails: %s: %s' % (type(e).__name__, e)
            if got != v['json']:
                bad += 1
                print('%-28s expected %s\n%-28s Python   %s' % (v['name'], v['json'][:200], '', got[:200]))
        if v['cpython']:
            res = []
            for f in (pickle.loads, pickle._loads):
                try:
                    res.append('ok %r' % (f(v['data']),))
                except Exception as e:  # noqa
                    res.append('%s: %s' % (type(e).__name__, str(e)[:50]))
            print('%-28s %s\n%-28s C: %s | py: %s' % (v['name'], v['cpython'], '', res[0][:60], res[1][:60]))
    print('%d vectors cross-checked against CPython, %d differ' % (
        sum(1 for v in VECTORS if v['py'] and v['json'] is not None), bad))
    return bad


def build_all():
    opcode_vectors()
    container_vectors()
    frame_vectors()
    mark_vectors()
    memo_vectors()
    value_vectors()
    name_vectors()
    allowlist_vectors()
    dtype_vectors()
    array_vectors()
    joblib_vectors()
    writer_vectors()
    limit_vectors()
    excluded_vectors()


if __name__ == '__main__':
    build_all()
    if '--probe' in sys.argv:
        probe_main()
        sys.exit(0)
    status = 0
    if '--check' in sys.argv:
        status |= 1 if check_main() else 0
    write_all()
    status |= 1 if check_coverage() else 0
    print('%d vectors written (%d json, %d err), %d excluded' % (
        len(VECTORS), sum(1 for v in VECTORS if v['json'] is not None),
        sum(1 for v in VECTORS if v['err'] is not None), len(EXCLUDED)))
    sys.exit(status)
