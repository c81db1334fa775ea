#!/usr/bin/python3
"""Write the sparse and quantized tensor vectors of test_scan (spec/SAFETY.md SA-7) into
this directory.

    /usr/bin/python3 tests/safety/sparse/gen_sparse.py [OUTDIR]

Each file is a torch sparse tensor pickled by pickle (protocol 5, as joblib and pickle.dump
write one), made by torch itself: the valid ones with torch's own conversions, the forged
ones with torch's unchecked constructors (what torch._utils._rebuild_sparse_tensor calls),
which pickle just the same; the quantized ones (qtensor_*) by torch's quantize_per_tensor
and quantize_per_channel, or over such a tensor's storage with another view (QRebuild).
Tensor storages are written as torch writes them,
torch.storage._load_from_bytes(<the legacy file torch.save writes for the storage>), with
the storage key (torch uses the storage's address) made "0" so that the files do not
change from run to run.
"""
import io
import os
import pickle
import re
import sys
import warnings

import torch
import torch.storage

HERE = os.path.dirname(os.path.abspath(__file__))


def _reduce(self):
    b = io.BytesIO()
    torch.save(self, b, _use_new_zipfile_serialization=False)
    # the key (a decimal address) in pickle 4's record and pickle 5's list: BINUNICODE
    data = re.sub(rb"X[\x01-\x20]\x00\x00\x00[0-9]+", lambda m: b"X\x01\x00\x00\x000", b.getvalue())
    return (torch.storage._load_from_bytes, (data,))


def pickled(obj, dump=None):
    """pickle.dumps(obj, protocol=5), or dump(obj, file) into bytes, with storage keys "0"."""
    real = torch.storage.TypedStorage.__reduce__
    torch.storage.TypedStorage.__reduce__ = _reduce
    try:
        if dump is None:
            return pickle.dumps(obj, protocol=5)
        buf = io.BytesIO()
        dump(obj, buf)
        return buf.getvalue()
    finally:
        torch.storage.TypedStorage.__reduce__ = real


def coo(indices, values, size):
    return torch._sparse_coo_tensor_unsafe(torch.tensor(indices), torch.tensor(values), size)


def csr(crow, col, values, size):
    return torch._sparse_csr_tensor_unsafe(torch.tensor(crow), torch.tensor(col), torch.tensor(values), size)


class Rebuild:
    """torch._utils._rebuild_sparse_tensor(layout, data) as torch 2.x pickles the layouts
    torch 1.13 cannot pickle (CSC, BSR, BSC) and COO with its is_coalesced flag."""

    def __init__(self, layout, *data):
        self.layout, self.data = layout, data

    def __reduce__(self):
        return (torch._utils._rebuild_sparse_tensor, (self.layout, self.data))


def t(values, dtype=None):
    return torch.tensor(values, dtype=dtype)


class QRebuild:
    """torch._utils._rebuild_qtensor over a quantized tensor's storage with another
    offset, size and stride: set_ does not check a quantized tensor's view against its
    storage (torch 1.13), so dequantize reads past it."""

    def __init__(self, offset, size, stride):
        self.args = offset, size, stride

    def __reduce__(self):
        q = torch.quantize_per_tensor(torch.arange(6.0).reshape(2, 3), 0.5, 0, torch.qint8)
        _, args = q.__reduce_ex__(2)
        return (torch._utils._rebuild_qtensor, (args[0],) + self.args + args[4:])


def per_channel():
    return torch.quantize_per_channel(torch.arange(6.0).reshape(2, 3), t([0.5, 0.25], torch.double), t([0, 1]), 0,
                                      torch.quint8)


VECTORS = {
    # valid: torch's own conversions
    "coo_valid": lambda: torch.eye(3).to_sparse(),
    "coo_valid_hybrid": lambda: torch.tensor([[1.0, 2.0], [0.0, 0.0], [3.0, 4.0]]).to_sparse(1),
    "coo_empty": lambda: torch.zeros(2, 3).to_sparse(),
    "csr_valid": lambda: torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.0, 3.0, 4.0]]).to_sparse_csr(),
    "csr_int32": lambda: torch._sparse_csr_tensor_unsafe(torch.tensor([0, 2, 2, 4], dtype=torch.int32),
                                    torch.tensor([0, 2, 1, 2], dtype=torch.int32),
                                    torch.tensor([1.0, 2.0, 3.0, 4.0]), (3, 3)),
    # forged: an index equal to the size, negative, huge; nnz that do not match
    "coo_index_eq_size": lambda: coo([[0, 1, 3], [0, 1, 2]], [1.0, 1.0, 1.0], (3, 3)),
    "coo_index_negative": lambda: coo([[0, 1, 2], [0, -1, 2]], [1.0, 1.0, 1.0], (3, 3)),
    "coo_index_huge": lambda: coo([[0, 1, 2], [0, 1, 100000000000]], [1.0, 1.0, 1.0], (3, 3)),
    "csr_col_eq_size": lambda: csr([0, 1, 2, 3], [0, 3, 2], [1.0, 1.0, 1.0], (3, 3)),
    "csr_crow_decreasing": lambda: csr([0, 2, 1, 3], [0, 1, 2], [1.0, 1.0, 1.0], (3, 3)),
    "csr_crow_past_nnz": lambda: csr([0, 1, 2, 5], [0, 1, 2], [1.0, 1.0, 1.0], (3, 3)),
    "csr_col_unsorted": lambda: csr([0, 2, 2, 3], [2, 0, 1], [1.0, 1.0, 1.0], (3, 3)),
    # torch 2.x's forms
    "v2_csc_valid": lambda: Rebuild(torch.sparse_csc, t([0, 1, 1, 3]), t([0, 0, 2]), t([1.0, 2.0, 3.0]),
                                    torch.Size([3, 3])),
    "v2_bsr_valid": lambda: Rebuild(torch.sparse_bsr, t([0, 1, 2]), t([1, 0]), torch.ones(2, 2, 2),
                                    torch.Size([4, 4])),
    "v2_bsc_row_eq_blocks": lambda: Rebuild(torch.sparse_bsc, t([0, 1, 2]), t([0, 2]), torch.ones(2, 2, 2),
                                            torch.Size([4, 4])),
    # crow_indices back from nnz to 0 after a first row holding every entry, out of
    # order: to_dense of it crashes torch (found by tests/safety/sparse_campaign.py)
    "v2_bsr_crow_back_to_zero": lambda: Rebuild(torch.sparse_bsr, t([0, 2, 0, 2]), t([1, 0]), torch.ones(2, 2, 2),
                                                torch.Size([6, 4])),
    "v2_coo_coalesced": lambda: Rebuild(torch.sparse_coo, t([[0, 1, 1], [2, 0, 1]]), t([1.0, 2.0, 3.0]),
                                        torch.Size([2, 3]), True),
    "v2_coo_coalesced_false_claim": lambda: Rebuild(torch.sparse_coo, t([[1, 0], [0, 2]]), t([1.0, 2.0]),
                                                    torch.Size([2, 3]), True),
    # quantized tensors (torch._utils._rebuild_qtensor): torch's own, and views past the
    # 6 elements of their storage (dequantize of the huge one: SIGSEGV)
    "qtensor_valid": lambda: torch.quantize_per_tensor(torch.arange(6.0).reshape(2, 3), 0.5, 0, torch.qint8),
    "qtensor_per_channel_valid": per_channel,
    "qtensor_view_one_past": lambda: QRebuild(0, (2, 4), (4, 1)),
    "qtensor_view_huge": lambda: QRebuild(0, (2, 3000000), (3000000, 1)),
    "qtensor_offset_huge": lambda: QRebuild(1000000000, (2, 3), (3, 1)),
}


def nnz_mismatch():
    """indices of 3 entries and values of 2: torch's constructors refuse it, so the file is
    made by pickling a valid tensor and cutting one value from its values' shape."""
    data = pickled(torch.eye(3).to_sparse())
    # the values tensor's size (3,) is pickled as BININT1 3, TUPLE1 after its offset 0:
    # the last 'K\x00K\x03\x85' of the stream is it
    at = data.rindex(b"K\x00K\x03\x85")
    return data[:at] + b"K\x00K\x02\x85" + data[at + 5:]


# torch.save's checkpoints: zip (the storages are the members archive/data/<key>) and the
# legacy format (the storages follow the pickles)
CHECKPOINTS = ("coo_valid", "csr_valid", "coo_index_eq_size", "csr_col_eq_size", "csr_crow_past_nnz", "qtensor_valid",
               "qtensor_view_huge")


def saved(obj, zipfmt=True):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=zipfmt)
    if zipfmt:
        return buf.getvalue()
    # the legacy format's storage keys (addresses) made "0", "1"... in the order pickle 4
    # names them, and the key list (pickle 5) with the storages after it in that order
    keys = {}
    data = re.sub(rb"X[\x01-\x20]\x00\x00\x00([0-9]{4,})",
                  lambda m: b"X\x01\x00\x00\x00" + str(keys.setdefault(m.group(1), len(keys))).encode(),
                  buf.getvalue())
    f = io.BytesIO(data)
    sizes = {}

    class Records(pickle.Unpickler):
        def find_class(self, module, name):
            return name if name.endswith("Storage") else (lambda *args: None)

        def persistent_load(self, pid):
            sizes[pid[2]] = torch._utils._element_size(getattr(torch, pid[1]).dtype)
            return None
    for _ in range(4):
        Records(f).load()
    head = data[:f.tell()]
    listed = pickle.load(f)
    blocks = {}
    for key in listed:
        count = int.from_bytes(f.read(8), "little")
        blocks[key] = count.to_bytes(8, "little") + f.read(count * sizes[key])
    order = sorted(listed, key=int)
    return head + pickle.dumps(order, protocol=2) + b"".join(blocks[k] for k in order)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    warnings.simplefilter("ignore")
    files = {name + ".p5.pkl": pickled(f()) for name, f in VECTORS.items()}
    files["coo_nnz_mismatch.p5.pkl"] = nnz_mismatch()
    for name in CHECKPOINTS:
        files[name + ".pt"] = saved(VECTORS[name]())
        files[name + ".legacy.pt"] = saved(VECTORS[name](), False)
    for name, data in sorted(files.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("gen_sparse: %d files" % len(files))


if __name__ == "__main__":
    main()
