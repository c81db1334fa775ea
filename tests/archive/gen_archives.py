#!/usr/bin/python3
"""Golden archives: PyTorch checkpoints written by torch.save and torch.jit.save, .npz
files written by numpy.savez and savez_compressed, and zip and tar bundles of joblib files (tar also compressed by every codec the library
detects), each with the exact JSON export the library must produce.

    /usr/bin/python3 tests/archive/gen_archives.py OUTDIR

For every NAME in OUTDIR/MANIFEST:
  NAME          the archive
  NAME.json     the expected export of jlp_load_path(NAME) (one line), or
  NAME.err      the expected error name (e.g. "UNSUPPORTED") when the load must fail
  NAME.meta     "format=<zip|tar> container=<none|gzip|...> members=<n>", then one line per
                member as Python's zipfile / tarfile list it: name, size, compressed size,
                method, data offset (in the decoded tar stream for tar), CRC-32 (zip),
                flags (d directory, l link, - other), tab-separated

How the expected JSON is made. A checkpoint's data.pkl is read by the inert reference
unpickler of tests/pickle/gen_pickles.py with two hooks: a persistent id
('storage', type, key, location, numel) becomes the storage torch itself reads from the
zip (torch._C.PyTorchFileReader.get_storage_from_record, as torch.serialization._load
does), and a REDUCE of torch._utils._rebuild_tensor_v2 / _rebuild_tensor /
_rebuild_parameter (torch._tensor._rebuild_from_type_v2 of a plain tensor) calls torch's
own function on it, so every tensor is the one torch.load builds. numpy's reductions go
through tests/joblib/gen_joblib.py's hooks; everything else stays inert. Where
torch.load(weights_only=True) accepts the file, its result, exported by an independent
converter, must equal that export; otherwise (whole modules) torch.load's tensors must
equal ours one by one. A bundle's expected JSON is gen_joblib's reference reading of
its model member; an .npz's is numpy.load's reading (arrays by the .npy magic, other
members as bytes). Output is reproducible byte for byte (numpy.savez runs with its clock
at 1980-01-01).
"""
import bz2
import collections
import gzip
import hashlib
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pickle"))
sys.path.insert(0, os.path.join(HERE, "..", "joblib"))

import gen_pickles as gp  # noqa: E402
import gen_joblib as gj  # noqa: E402
import numpy as np  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:  # pragma: no cover - the suite then skips
    torch = None


def need(cond, msg):
    if not cond:
        raise AssertionError(msg)


# ---------------------------------------------------------------------------
# Tensors as export nodes
# ---------------------------------------------------------------------------

def tensor_dtype_text(t, big=False):
    if t.dtype == torch.bfloat16:
        return '"bfloat16"'
    dt = t.numpy().dtype
    return gj.dtype_text(dt.newbyteorder(">") if big and dt.itemsize > 1 else dt)


def tensor_order(t):
    """numpy's flags of the strided view: "F" only when F- and not C-contiguous."""
    if t.numel() == 0:
        return "C"
    raw = t.view(torch.int16) if t.dtype == torch.bfloat16 else t
    return gj._order_of(raw.numpy())


def tensor_c_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


class TensorNode:
    """A rebuilt tensor: exports as the $ndarray the library gives."""
    is_container = True

    big_endian = False   # set while exporting the reference of a big-endian copy

    def __init__(self, t):
        self.t = t.detach()

    def export_parts(self, ptr):
        t = self.t
        head = '{"$ndarray":{"dtype":%s,"shape":[%s],"order":"%s",' % (
            tensor_dtype_text(t, TensorNode.big_endian), ",".join(str(s) for s in t.shape), tensor_order(t))
        if t.numel() > gj.MAX_ITEMS:
            b = tensor_c_bytes(t)
            unit = t.element_size() // (2 if t.dtype.is_complex else 1)
            if TensorNode.big_endian and unit > 1:
                b = np.frombuffer(b, dtype="u%d" % unit).byteswap().tobytes()
            return [head + '"nbytes":%d,"sha256":"%s"}}' % (len(b), hashlib.sha256(b).hexdigest())]
        arr = t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()
        data = gj.value_tree(np.array(arr, order="C"))  # (ascontiguousarray makes 0-d arrays 1-d)
        gj.KEEP_ALIVE.append(data)
        return [head + '"data":', (data, (ptr, "/$ndarray/data")), "}}"]


class StorageNode(TensorNode):
    """A storage (persistent id): the library gives it as a 1-d array of its items."""

    def __init__(self, storage):
        self.storage = storage
        TensorNode.__init__(self, torch.tensor([], dtype=storage.dtype).set_(
            storage.untyped(), 0, (storage.size(),), (1,)))


STORAGE_DTYPES = None


def storage_dtypes():
    global STORAGE_DTYPES
    if STORAGE_DTYPES is None:
        STORAGE_DTYPES = {name: dt for dt, name in torch.storage._dtype_to_storage_type_map().items()}
        STORAGE_DTYPES["UntypedStorage"] = torch.uint8
    return STORAGE_DTYPES


REBUILDS = {"torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"}
FROM_TYPE = {"torch._tensor._rebuild_from_type_v2", "torch.tensor._rebuild_from_type_v2"}
PLAIN_TYPES = {"torch.Tensor", "torch._tensor.Tensor", "torch.nn.parameter.Parameter"}


class TorchLoader:
    """The reference reading of a checkpoint's data.pkl (see the module docstring)."""

    def __init__(self, path):
        self.reader = torch._C.PyTorchFileReader(path)
        self.np = gj.Loader()
        self.storages = {}
        self.tensors = []      # (node, real tensor) for the cross-check

    def storage(self, pid):
        need(isinstance(pid, gp.Tuple) and len(pid.items) == 5 and pid.items[0] == "storage",
             "persistent id %r" % (pid,))
        _, stype, key, _location, numel = pid.items
        dtype = storage_dtypes()[stype.name]
        if key not in self.storages:
            nbytes = numel * torch._utils._element_size(dtype)
            raw = self.reader.get_storage_from_record("data/" + key, nbytes, torch.UntypedStorage)
            self.storages[key] = torch.storage.TypedStorage(wrap_storage=raw.storage().untyped(), dtype=dtype)
        return self.storages[key]

    def persid(self, value):
        return StorageNode(self.storage(value))

    def reduce(self, fn, args):
        name = fn.dotted() if isinstance(fn, gp.Global) else None
        a = args.items if isinstance(args, gp.Tuple) else None
        if name in FROM_TYPE and a and isinstance(a[0], gp.Global) and \
                a[0].dotted() in ("torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2") and \
                isinstance(a[1], gp.Global) and a[1].dotted() in PLAIN_TYPES:
            return self.reduce(a[0], a[2])
        if name in REBUILDS and a is not None:
            if name.startswith("torch._utils._rebuild_parameter"):
                need(isinstance(a[0], TensorNode), "parameter of a non-tensor")
                t = torch._utils._rebuild_parameter(a[0].t, bool(a[1]), collections.OrderedDict())
            else:
                need(isinstance(a[0], StorageNode), "tensor of a non-storage")
                t = torch._utils._rebuild_tensor(a[0].storage, a[1], tuple(a[2].items), tuple(a[3].items))
            node = TensorNode(t)
            self.tensors.append(node)
            return node
        return self.np.reduce(fn, args)

    def build(self, node, state, f):
        return self.np.build(node, state, f)

    def load(self, data):
        f = io.BytesIO(data)
        root = gp.unpickle_stream(f, reduce=self.reduce, build=self.build, persid=self.persid)
        need(f.tell() == len(data), "bytes after STOP in data.pkl")
        return root


def export_node(root):
    text, _ = gj.export_text(root)
    return text


def independent(obj):
    """torch.load's result as JSON, by a converter of its own (containers, numbers,
    strings, tensors; a tensor met again prints as a $ref to its first place)."""
    seen = {}

    def tok(k):
        return "/" + k.replace("~", "~0").replace("/", "~1")

    def conv(x, ptr):
        if isinstance(x, torch.Tensor):
            if id(x) in seen:
                return '{"$ref":%s}' % gp.json_str(seen[id(x)])
            seen[id(x)] = ptr
            return export_node(TensorNode(x))
        if x is None or type(x) in (bool, int, float, str):
            return export_node(x)
        if type(x) is list:
            return "[" + ",".join(conv(v, ptr + tok(str(i))) for i, v in enumerate(x)) + "]"
        if type(x) is tuple:
            return '{"$tuple":[' + ",".join(conv(v, ptr + "/$tuple" + tok(str(i)))
                                            for i, v in enumerate(x)) + "]}"
        if isinstance(x, collections.OrderedDict) and vars(x):
            # an OrderedDict with attributes: the inert OrderedDict() call (AL-6)
            base = ptr + "/$object"
            return ('{"$object":{"call":"collections.OrderedDict","state":' + conv(dict(vars(x)), base + "/state")
                    + (',"dictitems":[' + ",".join(
                        "[" + conv(k, base + "/dictitems/%d/0" % i) + "," + conv(x[k], base + "/dictitems/%d/1" % i)
                        + "]" for i, k in enumerate(x.keys())) + "]" if len(x) else "") + "}}")
        if isinstance(x, dict):
            keys = list(x.keys())
            if all(type(k) is str and not k.startswith("$") for k in keys):
                return "{" + ",".join(gp.json_str(k) + ":" + conv(x[k], ptr + tok(k)) for k in keys) + "}"
            return '{"$dict":[' + ",".join(
                "[" + conv(k, ptr + "/$dict/%d/0" % i) + "," + conv(x[k], ptr + "/$dict/%d/1" % i) + "]"
                for i, k in enumerate(keys)) + "]}"
        raise TypeError(type(x))

    return conv(obj, "")


def torch_reference(path):
    """(expected JSON text, loader) of a checkpoint."""
    with zipfile.ZipFile(path) as z:
        first = z.namelist()[0]
        prefix = first.split("/")[0]
        data = z.read(prefix + "/data.pkl")
    loader = TorchLoader(path)
    root = loader.load(data)
    return export_node(root), loader


def cross_check_torch(path, text, loader, mode):
    """mode "weights": torch.load(weights_only=True) must export as `text`; "data": the
    same for torch.load (the weights-only unpickler of torch 1.13 has no BINFLOAT); "module":
    every tensor of the module torch.load (torch.jit.load) builds equals one of ours."""
    if mode in ("weights", "data"):
        ref = torch.load(path, weights_only=(mode == "weights"))
        need(independent(ref) == text, "%s: torch.load exports differently" % path)
        return
    ref = torch.jit.load(path) if mode == "script" else torch.load(path)
    ours = [n.t for n in loader.tensors]
    for t in ref.state_dict().values():
        need(any(o.dtype == t.dtype and o.shape == t.shape and torch.equal(o, t) for o in ours),
             "%s: a tensor of torch.load is not among ours" % path)


# ---------------------------------------------------------------------------
# The checkpoints
# ---------------------------------------------------------------------------

def torch_objects():
    torch.manual_seed(0)
    f = torch.tensor([0.0, -1.5, 3.25, float("inf"), float("-inf"), float("nan"), 1e-30, 65504.0])
    dtypes = collections.OrderedDict([
        ("float32", f.clone()),
        ("float64", f.double() / 3),
        ("float16", f.half()),
        ("bfloat16", f.bfloat16()),
        ("int8", torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8)),
        ("uint8", torch.tensor([0, 1, 200, 255], dtype=torch.uint8)),
        ("int16", torch.tensor([-32768, 7, 32767], dtype=torch.int16)),
        ("int32", torch.tensor([-2**31, 5, 2**31 - 1], dtype=torch.int32)),
        ("int64", torch.tensor([-2**63, 9, 2**63 - 1], dtype=torch.int64)),
        ("bool", torch.tensor([True, False, True])),
        ("complex64", torch.tensor([1 + 2j, -0.5 - 0.25j], dtype=torch.complex64)),
        ("complex128", torch.tensor([3 - 4j, 1e300j], dtype=torch.complex128)),
    ])
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = collections.OrderedDict([
        ("base", base),
        ("transposed", base.t()),                       # F-contiguous view, shared
        ("rows", base[1:3]),                            # storage offset 6
        ("every_other", base[:, ::2]),                  # strided: gathered
        ("column", base[:, 4]),                         # stride 6
        ("expanded", torch.tensor([1.0, 2.0]).expand(3, 2)),  # stride 0
        ("scalar", torch.tensor(7.5)),
        ("empty", torch.zeros(0, 3)),
        ("ones_dims", torch.arange(3.0).reshape(1, 3, 1)),
        ("narrow_bf16", torch.arange(10, dtype=torch.bfloat16)[3:7]),
        ("permuted", torch.arange(24, dtype=torch.int16).reshape(2, 3, 4).permute(2, 0, 1)),
    ])
    views["same_again"] = views["rows"]                 # the same tensor twice (memo)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(),
                              torch.nn.Linear(3, 2))
    net.eval()
    cnn = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(),
                              torch.nn.Linear(8, 2))
    opt = torch.optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9)
    cnn(torch.randn(2, 1, 4, 4)).sum().backward()
    opt.step()
    checkpoint = {"epoch": 3, "model_state_dict": cnn.state_dict(), "optimizer_state_dict": opt.state_dict(),
                  "loss": 0.25, "note": "résumé"}
    lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    encoder = torch.nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
    encoder.eval()
    conv = torch.nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last)   # NHWC strides
    return [
        ("t_lstm.pt", lstm.state_dict(), "weights"),
        ("t_encoder.pt", encoder, "module"),
        ("t_channels_last.pt", conv.state_dict(), "weights"),
        ("t_dtypes.pt", dtypes, "weights"),
        ("t_views.pt", views, "weights"),
        ("t_module.pt", net, "module"),
        ("t_state_dict.pt", cnn.state_dict(), "weights"),
        ("t_checkpoint.pt", checkpoint, "data"),
        ("t_tensor.pt", torch.arange(6, dtype=torch.int64).reshape(2, 3), "weights"),
        ("t_parameter.pt", torch.nn.Parameter(torch.tensor([[0.5, -0.5]])), "weights"),
        ("t_large.pt", {"big": torch.arange(3000, dtype=torch.float32).reshape(30, 100)}, "weights"),
    ]


class Scripted(torch.nn.Module if torch else object):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 2)
        self.register_buffer("scale", torch.tensor([1.5, 2.5]))

    def forward(self, x):
        return self.lin(x) * self.scale


SCRIPTED_SOURCE = '''
import torch
class Scripted(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 2)
        self.register_buffer("scale", torch.tensor([1.5, 2.5]))
    def forward(self, x):
        return self.lin(x) * self.scale
'''


def write_torchscript(path):
    """torch.jit.script needs the class's source in a file; its path is recorded in the
    archive's debug records, so it lives beside the output (reproducible per OUTDIR)."""
    tmp = os.path.join(os.path.dirname(path), "scripted_src")
    os.makedirs(tmp, exist_ok=True)
    try:
        mod = os.path.join(tmp, "scripted_model.py")
        with open(mod, "w") as fh:
            fh.write(SCRIPTED_SOURCE)
        sys.path.insert(0, tmp)
        import scripted_model
        torch.manual_seed(1)
        m = torch.jit.script(scripted_model.Scripted())
        torch.jit.save(m, path)
        sys.path.remove(tmp)
        del sys.modules["scripted_model"]
    finally:
        shutil.rmtree(tmp)


def big_endian_copy(src, dst):
    """A copy of a little-endian checkpoint as torch >= 2.1 writes big-endian ones: a
    `byteorder` record "big" and every storage byte-swapped by its item size."""
    with zipfile.ZipFile(src) as z:
        names = z.namelist()
        prefix = names[0].split("/")[0]
        loader = TorchLoader(src)
        loader.load(z.read(prefix + "/data.pkl"))
        # the unit swapped: the item, or each half of a complex item
        units = {k: torch._utils._element_size(s.dtype) // (2 if s.dtype.is_complex else 1)
                 for k, s in loader.storages.items()}
        out = zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED)
        for n in names:
            data = z.read(n)
            key = n[len(prefix) + len("/data/"):] if n.startswith(prefix + "/data/") else None
            if key in units and units[key] > 1:
                data = np.frombuffer(data, dtype="u%d" % units[key]).byteswap().tobytes()
            zi = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
            out.writestr(zi, data)
        zi = zipfile.ZipInfo(prefix + "/byteorder", date_time=(1980, 1, 1, 0, 0, 0))
        out.writestr(zi, b"big")
        out.close()


class Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek back in: it writes each member's CRC-32 and sizes in a
    data descriptor after the data (flag bit 3), as any streaming zip writer does."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += b
        return len(b)


def streamed_zip(members, method):
    """A zip of (name, bytes) written to an Unseekable: every member with a descriptor."""
    u = Unseekable()
    with zipfile.ZipFile(u, "w", method) as zf:
        for name, data in members:
            with zf.open(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), "w") as fh:
                fh.write(data)
    out = bytes(u.buf)
    need(all(zi.flag_bits & 8 for zi in zipfile.ZipFile(io.BytesIO(out)).infolist()), "no data descriptors")
    return out


def descriptor_copy(src, dst):
    """A copy of a checkpoint whose records are written by a streaming zip writer (stored,
    each with a data descriptor); torch.load reads it."""
    with zipfile.ZipFile(src) as z:
        records = [(n, z.read(n)) for n in z.namelist()]
    with open(dst, "wb") as fh:
        fh.write(streamed_zip(records, zipfile.ZIP_STORED))


def aligned_copy(src, dst):
    """A copy of a checkpoint laid out as torch >= 2.1's writer (caffe2's
    PyTorchStreamWriter over miniz) lays it out: every record stored with a `FB` extra
    field in its local header only, padding its data to a multiple of 64 bytes, and the
    records `byteorder` ("little"), `.data/version` and `.data/serialization_id`."""
    with zipfile.ZipFile(src) as z:
        names = z.namelist()
        prefix = names[0].split("/")[0]
        records = [(n, z.read(n)) for n in names]
    records += [(prefix + "/byteorder", b"little"), (prefix + "/.data/version", b"3\n"),
                (prefix + "/.data/serialization_id", b"0123456789012345678901234567890123456789")]
    out = bytearray()
    central = []
    for name, data in records:
        nm = name.encode()
        offset = len(out)
        pad = -(offset + 30 + len(nm) + 4) % 64
        extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        crc = zlib.crc32(data)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, len(data), len(data), len(nm),
                           len(extra))
        out += nm + extra + data
        central.append((nm, crc, len(data), offset))
    cd = len(out)
    for nm, crc, size, offset in central:
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20, 0, 0, 0, 0x21, crc, size, size, len(nm),
                           0, 0, 0, 0, 0o100644 << 16, offset)
        out += nm
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(out) - cd, cd, 0)
    with open(dst, "wb") as fh:
        fh.write(bytes(out))


# ---------------------------------------------------------------------------
# Bundles
# ---------------------------------------------------------------------------

def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    """An uncompressed tar of (name, bytes | None for a directory | ('link', target))."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            if data is None:
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                tf.addfile(ti)
            elif isinstance(data, tuple):
                ti.type = tarfile.SYMTYPE
                ti.linkname = data[1]
                tf.addfile(ti)
            else:
                ti.size = len(data)
                ti.mode = 0o644
                tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def compress(codec, data):
    if codec == "none":
        return data
    if codec == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if codec == "bz2":
        return bz2.compress(data, 9)
    if codec == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ)
    if codec == "lzma":
        return lzma.compress(data, format=lzma.FORMAT_ALONE)
    if codec == "zlib":
        return zlib.compress(data, 6)
    if codec == "lz4":
        import lz4.frame
        return lz4.frame.compress(data)
    if codec == "zstd":
        return subprocess.run(["zstd", "-q", "-19", "-c"], input=data, check=True, stdout=subprocess.PIPE).stdout
    raise ValueError(codec)


TAR_EXT = {"none": ".tar", "gzip": ".tar.gz", "bz2": ".tar.bz2", "xz": ".tar.xz", "lzma": ".tar.lzma",
           "zlib": ".tar.z", "lz4": ".tar.lz4", "zstd": ".tar.zst"}


def zip_bytes(members, method):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=method)
    return buf.getvalue()


def joblib_bytes(obj, tmpdir, compress_arg=0):
    import joblib
    p = os.path.join(tmpdir, "m.joblib")
    joblib.dump(obj, p, compress=compress_arg, protocol=4)
    with open(p, "rb") as fh:
        return fh.read()


def joblib_reference(data, tmpdir):
    p = os.path.join(tmpdir, "ref.joblib")
    with open(p, "wb") as fh:
        fh.write(data)
    return gj.Reference(p).json.decode("utf-8").rstrip("\n")


def bundle_cases(tmpdir, torch_dir):
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    X, y = make_classification(n_samples=40, n_features=3, n_informative=2, n_redundant=0, random_state=0)
    model = LogisticRegression(random_state=0).fit(X, y)
    plain = joblib_bytes(model, tmpdir)
    arrays = joblib_bytes({"w": np.arange(12, dtype="<f8").reshape(3, 4), "i": np.arange(5, dtype="<i4")}, tmpdir)
    packed = joblib_bytes(model, tmpdir, ("gzip", 3))
    ref_plain = joblib_reference(plain, tmpdir)
    ref_arrays = joblib_reference(arrays, tmpdir)
    ref_packed = joblib_reference(packed, tmpdir)
    readme = b"A model bundle.\n"
    tree = [("model", None), ("model/model.joblib", plain), ("model/README.txt", readme),
            ("model/latest", ("link", "model.joblib"))]
    cases = []
    for codec in ("none", "gzip", "bz2", "xz", "lzma", "zlib", "lz4", "zstd"):
        cases.append(("b_model" + TAR_EXT[codec], compress(codec, tar_bytes(tree)), ref_plain))
    cases.append(("b_arrays.tar", tar_bytes([("arrays.joblib", arrays)]), ref_arrays))
    cases.append(("b_packed.tar", tar_bytes([("model.joblib.gz", packed)]), ref_packed))
    cases.append(("b_model.zip", zip_bytes([("model/model.joblib", plain), ("model/README.txt", readme)],
                                           zipfile.ZIP_DEFLATED), ref_plain))
    cases.append(("b_model_stored.zip", zip_bytes([("model.joblib", arrays)], zipfile.ZIP_STORED), ref_arrays))
    two = [("a.joblib", plain), ("b.joblib", arrays)]
    cases.append(("b_two.tar", tar_bytes(two), "error:MEMBER"))
    cases.append(("b_none.tar", tar_bytes([("README.txt", readme)]), "error:MEMBER"))
    # a checkpoint inside a tar, stored and inside a compressed tar
    with open(os.path.join(torch_dir, "t_state_dict.pt"), "rb") as fh:
        ckpt = fh.read()
    ref_ckpt, _ = torch_reference(os.path.join(torch_dir, "t_state_dict.pt"))
    cases.append(("b_ckpt.tar", tar_bytes([("ckpt/pytorch_model.bin", ckpt)]), ref_ckpt))
    cases.append(("b_ckpt.tar.xz", compress("xz", tar_bytes([("pytorch_model.bin", ckpt)])), ref_ckpt))
    cases.append(("b_ckpt.zip", zip_bytes([("t_state_dict.pt", ckpt)], zipfile.ZIP_DEFLATED), ref_ckpt))
    # zips written as a stream (data descriptors), deflated and stored
    cases.append(("b_streamed.zip", streamed_zip([("model/model.joblib", plain), ("model/README.txt", readme)],
                                                 zipfile.ZIP_DEFLATED), ref_plain))
    cases.append(("b_streamed_stored.zip", streamed_zip([("arrays.joblib", arrays)], zipfile.ZIP_STORED), ref_arrays))
    # GNU tar: a name longer than 100 bytes in a ././@LongLink entry
    cases.append(("b_gnu_long.tar.xz", compress("xz", tar_bytes([("models/" + "long_directory_name_" * 6 + "/model.joblib",
                                                                 plain)], tarfile.GNU_FORMAT)), ref_plain))
    cases.append(("b_ustar.tar.bz2", compress("bz2", tar_bytes([("model.joblib", plain)], tarfile.USTAR_FORMAT)), ref_plain))
    # bundles wrapped once more: no model file at the top, one nested archive holding it
    model_tar = tar_bytes([("model/model.joblib", plain), ("model/README.txt", readme)])
    cases.append(("b_tar_in.zip", zip_bytes([("bundle.tar", model_tar)], zipfile.ZIP_DEFLATED), ref_plain))
    cases.append(("b_targz_in.zip", zip_bytes([("README.txt", readme), ("bundle.tar.gz", compress("gzip", model_tar))],
                                              zipfile.ZIP_STORED), ref_plain))
    cases.append(("b_zip_in.tar.gz", compress("gzip", tar_bytes([("export", None), ("export/model.zip", zip_bytes(
        [("model.joblib", arrays)], zipfile.ZIP_STORED))])), ref_arrays))
    return cases


# ---------------------------------------------------------------------------
# .npz files
# ---------------------------------------------------------------------------

def npz_arrays():
    rec = np.dtype([("a", "<i4"), ("b", ">f8", (2,))])
    return collections.OrderedDict([
        ("x", np.arange(6.0).reshape(2, 3)),
        ("flags", np.array([True, False, True])),
        ("text", np.array(["ab", "c", "é"])),
        ("raw", np.array([b"\x00a", b"bc"])),
        ("big", np.arange(5, dtype=">i8")),
        ("fortran", np.asfortranarray(np.arange(12, dtype="<u2").reshape(3, 4))),
        ("records", np.array([(1, (2.5, -1.0)), (3, (4.0, 0.5))], dtype=rec)),
        ("when", np.array(["2020-01-01T00:00", "NaT"], dtype="M8[m]")),
        ("zerod", np.array(3.25)),
        ("empty", np.zeros((0, 4), dtype="<c8")),
        ("half", np.array([1.5, -0.0, np.inf], dtype="<f2")),
        ("dir/nested", np.arange(3, dtype="|i1")),
    ])


class NpyNode:
    """An array read by numpy.load, exported as the library exports it."""
    is_container = True

    def __init__(self, arr):
        fortran = arr.flags.f_contiguous and not arr.flags.c_contiguous
        self.nd = gj.NDArray.from_bytes(arr.dtype, arr.shape, fortran, arr.tobytes(order="A"), "npy")

    def export_parts(self, ptr):
        return self.nd.export_parts(ptr)


def npz_reference(path):
    """numpy.load's reading of an .npz: a dict of key -> array, or the member's bytes."""
    d = gp.Dict()
    with np.load(path) as z, zipfile.ZipFile(path) as zf:
        for key, name in zip(z.files, zf.namelist()):
            raw = zf.read(name)
            value = NpyNode(z[key]) if raw[:6] == b"\x93NUMPY" else gp.Bytes(z[key])
            d.pairs.append([key, value])
    return export_node(d)


class fixed_clock:
    """numpy.savez dates its members with the clock (zipfile.ZipInfo of time.time()):
    the clock reads 1980-01-01 00:00 UTC while it runs, so the output is reproducible."""

    def __enter__(self):
        import time
        self.time, self.tz = time.time, os.environ.get("TZ")
        os.environ["TZ"] = "UTC"
        time.tzset()
        time.time = lambda: 315532800.0
        return self

    def __exit__(self, *exc):
        import time
        time.time = self.time
        if self.tz is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = self.tz
        time.tzset()


def npz_cases(tmpdir):
    with fixed_clock():
        return _npz_cases(tmpdir)


def _npz_cases(tmpdir):
    arrs = npz_arrays()
    out = []
    for name, fn in (("n_savez.npz", np.savez), ("n_savez_compressed.npz", np.savez_compressed)):
        p = os.path.join(tmpdir, name)
        fn(p, **arrs)
        out.append((name, open(p, "rb").read()))
    p = os.path.join(tmpdir, "n_args.npz")
    np.savez(p, np.arange(4, dtype="<f4"), np.array([[1, 2]], dtype="<i2"))
    out.append(("n_args.npz", open(p, "rb").read()))
    p = os.path.join(tmpdir, "n_large.npz")
    np.savez_compressed(p, w=np.arange(5000, dtype="<f8").reshape(50, 100))
    out.append(("n_large.npz", open(p, "rb").read()))
    p = os.path.join(tmpdir, "n_object.npz")
    np.savez(p, o=np.array([1, "a", None], dtype=object))
    out.append(("n_object.npz", open(p, "rb").read()))
    # a zip numpy.load reads as an .npz with a member that is no .npy file
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as zf:
        a = io.BytesIO()
        np.save(a, np.arange(3))
        zf.writestr(zipfile.ZipInfo("a.npy", date_time=(1980, 1, 1, 0, 0, 0)), a.getvalue())
        zf.writestr(zipfile.ZipInfo("notes.txt", date_time=(1980, 1, 1, 0, 0, 0)), b"plain bytes")
    out.append(("n_mixed.npz", b.getvalue()))
    return out


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

ZIP_METHODS = {0: "stored", 8: "deflated", 12: "bzip2", 14: "lzma", 93: "zstd", 95: "xz"}


def members_of(path):
    """(format, container, [member line]) as Python's zipfile / tarfile see the archive.
    A member line: name, size, csize, method, data offset, CRC-32 (hex), flags
    (d: directory, l: link, u: unsafe name, -: none), tab-separated."""
    with open(path, "rb") as fh:
        raw = fh.read()
    lines = []
    if raw[:2] == b"PK":
        with zipfile.ZipFile(path) as z:
            for i in z.infolist():
                h = i.header_offset
                nlen, xlen = int.from_bytes(raw[h + 26:h + 28], "little"), int.from_bytes(raw[h + 28:h + 30], "little")
                flags = "d" if i.is_dir() else "-"
                lines.append("\t".join([i.filename, str(i.file_size), str(i.compress_size),
                                        ZIP_METHODS[i.compress_type], str(h + 30 + nlen + xlen), "%08x" % i.CRC, flags]))
        return "zip", "none", lines
    container = gj.detect_container(raw[:8])
    stream = gj.decompress(container, raw, path)
    with tarfile.open(fileobj=io.BytesIO(stream)) as tf:
        for m in tf.getmembers():
            flags = "d" if m.isdir() else "l" if (m.issym() or m.islnk()) else "-"
            lines.append("\t".join([m.name, str(m.size), str(m.size), "stored", str(m.offset_data), "00000000", flags]))
    return "tar", container, lines


def clean(outdir):
    os.makedirs(outdir, exist_ok=True)
    for fn in os.listdir(outdir):
        if fn.startswith(("t_", "b_", "n_")) or fn == "MANIFEST":
            os.unlink(os.path.join(outdir, fn))


def main(outdir):
    if torch is None:
        print("gen_archives.py: needs python3-torch", file=sys.stderr)
        return 2
    clean(outdir)
    tmpdir = tempfile.mkdtemp()
    plan = collections.OrderedDict()   # name -> (expected text or "error:NAME", kind)
    try:
        for name, obj, mode in torch_objects():
            path = os.path.join(outdir, name)
            torch.save(obj, path)
            text, loader = torch_reference(path)
            cross_check_torch(path, text, loader, mode)
            plan[name] = (text, "torch")
        path = os.path.join(outdir, "t_script.pt")
        write_torchscript(path)
        text, loader = torch_reference(path)
        cross_check_torch(path, text, loader, "script")
        plan["t_script.pt"] = (text, "torchscript")
        big = os.path.join(outdir, "t_bigendian.pt")
        big_endian_copy(os.path.join(outdir, "t_dtypes.pt"), big)
        TensorNode.big_endian = True
        try:
            plan["t_bigendian.pt"] = (torch_reference(os.path.join(outdir, "t_dtypes.pt"))[0], "torch")
        finally:
            TensorNode.big_endian = False
        aligned = os.path.join(outdir, "t_aligned.pt")
        aligned_copy(os.path.join(outdir, "t_dtypes.pt"), aligned)
        text, loader = torch_reference(aligned)
        cross_check_torch(aligned, text, loader, "weights")
        plan["t_aligned.pt"] = (text, "torch")
        streamed = os.path.join(outdir, "t_descriptor.pt")
        descriptor_copy(os.path.join(outdir, "t_state_dict.pt"), streamed)
        text, loader = torch_reference(streamed)
        cross_check_torch(streamed, text, loader, "weights")
        plan["t_descriptor.pt"] = (text, "torch")
        buf = io.BytesIO()
        torch.save({"x": torch.arange(4, dtype=torch.int32)}, buf)
        with open(os.path.join(outdir, "t_bytesio.pt"), "wb") as fh:
            fh.write(buf.getvalue())
        plan["t_bytesio.pt"] = (torch_reference(os.path.join(outdir, "t_bytesio.pt"))[0], "torch")
        # the format of torch < 1.6; no tensor, whose storage key would be a memory address
        torch.save({"epoch": 1, "lr": 0.5}, os.path.join(outdir, "t_legacy.pt"), _use_new_zipfile_serialization=False)
        plan["t_legacy.pt"] = ("error:UNSUPPORTED", None)
        for name, data in npz_cases(tmpdir):
            path = os.path.join(outdir, name)
            with open(path, "wb") as fh:
                fh.write(data)
            # numpy.load refuses object arrays unless allow_pickle: so does the library
            plan[name] = ("error:UNSUPPORTED" if name == "n_object.npz" else npz_reference(path), "npz")
        for name, data, expected in bundle_cases(tmpdir, outdir):
            with open(os.path.join(outdir, name), "wb") as fh:
                fh.write(data)
            plan[name] = (expected, None)
    finally:
        shutil.rmtree(tmpdir)
    names = []
    for name, (expected, _kind) in plan.items():
        path = os.path.join(outdir, name)
        if expected.startswith("error:"):
            with open(path + ".err", "w") as fh:
                fh.write(expected[6:] + "\n")
        else:
            with open(path + ".json", "w", encoding="utf-8") as fh:
                fh.write(expected + "\n")
        if name != "t_legacy.pt":
            fmt, container, lines = members_of(path)
            with open(path + ".meta", "w", encoding="utf-8") as fh:
                fh.write("format=%s container=%s members=%d\n" % (fmt, container, len(lines)))
                for line in lines:
                    fh.write(line + "\n")
        names.append(name)
    with open(os.path.join(outdir, "MANIFEST"), "w") as fh:
        for n in sorted(names):
            fh.write(n + "\n")
    print("%d archives written to %s" % (len(names), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "golden")))
