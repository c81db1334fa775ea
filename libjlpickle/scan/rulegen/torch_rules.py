"""The rules for PyTorch checkpoints: what torch.load's own reading of a .pt file runs.

torch.load (torch/serialization.py) reads data.pkl of a zip checkpoint, or the pickles of
a legacy file, with an Unpickler whose find_class turns every name containing 'Storage'
into a dtype tag (StorageType: nothing is imported) and whose persistent_load turns
('storage', type, key, location, numel) into a storage read from the archive. Everything
else goes through pickle's own find_class. The walk does not cover torch (thousands of
modules, most of them native), so the torch rules are made like this instead:

- harvest: real tensors of every dtype, parameters, quantized and sparse tensors,
  state_dicts, optimizer states and whole nn.Module models are saved with torch.save
  (zip and legacy formats) and loaded back with torch.load through a recording
  find_class; every name its reading resolves, plus the storage-type names torch.save
  writes, must have a reviewed verdict below (REVIEWED), or the generator fails;
- every nn.Module class of torch.nn.modules is SAFE once its restoring code is reviewed:
  the generator fails when a class restores itself with a __setstate__ or __setattr__
  not in MODULE_RESTORE_REVIEWED (a new torch release is then read again by a person);
- torch functions that run code, load other files or write them are DANGEROUS
  (DANGEROUS, checked to exist here).
"""
import collections
import inspect
import io
import pickle
import warnings

# ---- reviewed verdicts of the names torch checkpoints use ----------------------------------
R_REBUILD = ("rebuilds a tensor over a storage the loader supplies (torch checks the view "
             "against the storage size)")
R_SPARSE = ("sparse tensor with unchecked indices: pickle.load never validates them, torch.load "
            "not by default since torch 2.8")
REVIEWED = {
    ("torch._utils", "_rebuild_tensor"): ("SAFE", R_REBUILD),
    ("torch._utils", "_rebuild_tensor_v2"): ("SAFE", R_REBUILD),
    ("torch._utils", "_rebuild_parameter"): ("SAFE", "wraps a tensor as a parameter"),
    ("torch._utils", "_rebuild_meta_tensor_no_storage"): ("SAFE", "makes a tensor without data"),
    # the engine judges each call by the indices or the view it reads (spec/SAFETY.md
    # SA-7): this verdict is the name's alone
    ("torch._utils", "_rebuild_qtensor"): ("SUSPICIOUS", "quantized tensor: set_ does not check its view against "
                                                         "the storage (a view past it is read when dequantized)"),
    ("torch._utils", "_rebuild_sparse_tensor"): ("SUSPICIOUS", R_SPARSE),
    ("torch._utils", "_rebuild_sparse_csr_tensor"): ("SUSPICIOUS", R_SPARSE),
    ("torch.serialization", "_get_layout"): ("SAFE", "looks up a torch layout by name in a fixed table"),
    ("torch", "Size"): ("SAFE", "torch shape: a tuple of integers"),
    ("torch", "device"): ("SAFE", "torch device name"),
    ("torch.nn.parameter", "Parameter"): ("SAFE", "wraps a tensor as a parameter"),
    ("torch", "UntypedStorage"): ("SAFE", "torch byte storage: a buffer (from_file is a rule of its own)"),
    ("torch.nn.functional", "relu"): ("SAFE", "torch activation function: tensor arithmetic"),
    ("torch.nn.functional", "gelu"): ("SAFE", "torch activation function: tensor arithmetic"),
    ("torch._C._nn", "gelu"): ("SAFE", "torch activation function: tensor arithmetic"),
}
# torch constants a pickle names by GLOBAL (not callable: dtypes, layouts, qschemes...)
CONSTANT_TYPES = ("dtype", "layout", "qscheme", "memory_format")

MODULE_RESTORE_REVIEWED = {
    # restoring an nn.Module: its __dict__ is updated with the state, and missing
    # attributes get defaults; hooks it holds are other names of the pickle, called only
    # when the model runs
    "torch.nn.modules.module.Module.__setstate__",
    "torch.nn.modules.module.Module.__setattr__",
    "torch.nn.modules.activation.LogSoftmax.__setstate__",
    "torch.nn.modules.activation.MultiheadAttention.__setstate__",
    "torch.nn.modules.activation.Softmax.__setstate__",
    "torch.nn.modules.activation.Softmin.__setstate__",
    "torch.nn.modules.conv._ConvNd.__setstate__",
    "torch.nn.modules.pooling.AvgPool3d.__setstate__",
    "torch.nn.modules.rnn.RNNBase.__setstate__",
    "torch.nn.modules.rnn.RNNBase.__setattr__",
    "torch.nn.modules.transformer.TransformerDecoderLayer.__setstate__",
    "torch.nn.modules.transformer.TransformerEncoderLayer.__setstate__",
}
R_MODULE = "torch module class: restoring it sets its attributes (reviewed __setstate__)"

R_PICKLE = "loads another pickle, which can run anything"
DANGEROUS = {
    ("torch.fx.graph_module", "reduce_graph_module"): "execs the python source a pickled GraphModule carries",
    ("torch.fx.graph_module", "reduce_deploy_graph_module"): "execs the python source a pickled GraphModule carries",
    ("torch.fx.graph_module", "reduce_package_graph_module"): "imports code from a torch.package archive",
    ("torch.fx.graph_module", "_forward_from_src"): "runs python code",
    ("torch.fx.graph_module", "_exec_with_source"): "runs python code",
    ("torch.jit", "load"): "loads a TorchScript archive, whose code runs",
    ("torch.jit._serialization", "load"): "loads a TorchScript archive, whose code runs",
    ("torch.package", "*"): "imports and runs code from package archives",
    ("torch", "save"): "writes files",
    ("torch.serialization", "save"): "writes files",
    ("torch", "from_file"): "maps a file (a shared mapping writes it)",
    ("torch.multiprocessing", "*"): "starts processes",
    ("torch.distributed.rpc", "*"): "calls functions on other processes over the network",
    ("torch.distributed.run", "*"): "starts processes",
    ("torch.distributed.launch", "*"): "starts processes",
    ("torch.testing._internal", "*"): "test helpers that run programs and python code",
    ("torch.utils.tensorboard", "*"): "writes event files",
    ("torch.utils.benchmark", "*"): "execs the statements it times",
    ("torch.utils.data.datapipes.iter.fileopener", "*"): "opens files by name",
    ("torch._tensor", "_rebuild_from_type"): "calls its first argument and replaces the result's __dict__",
}


def _storage_names():
    """The storage type names torch.save writes (module 'torch'): torch.load's find_class
    reads them as dtype tags, pickle.load builds a buffer of numbers."""
    from torch.storage import _storage_type_to_dtype_map
    return sorted(_storage_type_to_dtype_map())


def _objects():
    import torch
    import torch.nn as nn
    torch.manual_seed(0)
    dtypes = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8,
              torch.uint8, torch.int16, torch.int32, torch.int64, torch.bool,
              torch.complex64, torch.complex128]
    out = {
        "tensors_every_dtype": lambda: {str(dt): torch.zeros(3, dtype=dt) for dt in dtypes},
        "tensor_view": lambda: torch.arange(10.0)[2:7:2],
        "tensor_requires_grad": lambda: torch.ones(2, requires_grad=True),
        "parameter": lambda: nn.Parameter(torch.ones(2, 3)),
        "quantized_per_tensor": lambda: torch.quantize_per_tensor(torch.ones(3), 0.1, 0, torch.qint8),
        "quantized_per_channel": lambda: torch.quantize_per_channel(
            torch.ones(2, 3), torch.tensor([0.1, 0.2]), torch.tensor([0, 0]), 0, torch.quint8),
        "sparse_coo": lambda: torch.eye(3).to_sparse(),
        "sparse_coo_hybrid": lambda: torch.arange(12.0).reshape(3, 4).to_sparse(1),
        "sparse_csr": lambda: torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.0, 3.0, 4.0]]).to_sparse_csr(),
        "size_device_dtype": lambda: (torch.Size([2, 3]), torch.device("cpu"), torch.float32,
                                      torch.strided, torch.sparse_coo, torch.per_tensor_affine),
        "state_dict_linear": lambda: nn.Linear(3, 2).state_dict(),
        "state_dict_convnet": lambda: _convnet().state_dict(),
        "optimizer_sgd": lambda: _optimizer(torch.optim.SGD, lr=0.1, momentum=0.9),
        "optimizer_adam": lambda: _optimizer(torch.optim.Adam, lr=0.01),
        "model_convnet": _convnet,
        "model_lstm": lambda: nn.LSTM(3, 4, num_layers=2),
        "model_gru_bidirectional": lambda: nn.GRU(3, 4, bidirectional=True),
        "model_embedding_bag": lambda: nn.Sequential(nn.EmbeddingBag(10, 3), nn.Linear(3, 1)),
        "model_transformer": lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 1),
        "model_transformer_gelu": lambda: nn.TransformerEncoderLayer(8, 2, activation="gelu"),
        "model_mlp_module_dict": lambda: nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Tanh()}),
        "checkpoint_dict": lambda: {"epoch": 3, "model": _convnet().state_dict(),
                                    "optimizer": _optimizer(torch.optim.Adam, lr=0.01),
                                    "loss": 0.25, "rng": torch.get_rng_state()},
        "tensor_channels_last": lambda: torch.ones(1, 2, 3, 3).to(memory_format=torch.channels_last),
        "tensor_transposed": lambda: torch.arange(6.0).reshape(2, 3).t(),
        "state_dict_lstm": lambda: nn.LSTM(3, 4).state_dict(),
        "optimizer_rmsprop": lambda: _optimizer(torch.optim.RMSprop, lr=0.01),
        "optimizer_adamw": lambda: _optimizer(torch.optim.AdamW, lr=0.01),
        "scheduler_step_lr": lambda: torch.optim.lr_scheduler.StepLR(
            torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), 1).state_dict(),
        "model_conv1d_batchnorm": lambda: nn.Sequential(
            nn.Conv1d(2, 3, 3), nn.BatchNorm1d(3), nn.LeakyReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten()),
        "model_conv_transpose": lambda: nn.Sequential(nn.ConvTranspose2d(2, 1, 3), nn.Sigmoid()),
        "model_activations_norms": lambda: nn.Sequential(
            nn.Linear(4, 4), nn.GroupNorm(2, 4), nn.PReLU(), nn.Softplus(), nn.ELU(), nn.SiLU(), nn.GELU(),
            nn.LayerNorm(4), nn.Hardtanh(), nn.Softmax(dim=-1)),
        "model_multihead_attention": lambda: nn.MultiheadAttention(8, 2),
        "model_transformer_decoder": lambda: nn.TransformerDecoderLayer(8, 2),
        "model_rnn_embedding": lambda: nn.ModuleList([nn.Embedding(10, 4), nn.RNN(4, 4, batch_first=True)]),
        "model_bilinear_identity": lambda: nn.Sequential(nn.Identity(), nn.Bilinear(2, 2, 1)),
        "model_parameter_list": lambda: nn.ParameterList([nn.Parameter(torch.ones(2)), nn.Parameter(torch.zeros(3))]),
    }
    return out


def _convnet():
    import torch.nn as nn
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(), nn.Linear(8, 2), nn.LogSoftmax(dim=1))


def _optimizer(cls, **kw):
    import torch
    import torch.nn as nn
    model = nn.Linear(2, 2)
    opt = cls(model.parameters(), **kw)
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    return opt.state_dict()


def torch_objects():
    """[(name, factory)] of real torch objects as people save them, sorted by name."""
    return sorted(_objects().items())


def _record_load(data, seen):
    """torch.load(data) with pickle's Unpickler replaced by a recording one, so that
    torch's own UnpicklerWrapper (which subclasses pickle.Unpickler when torch.load is
    called) resolves every name through it."""
    import torch
    real = pickle.Unpickler

    class Recording(real):
        def find_class(self, module, name):
            seen.add((module, name))
            return real.find_class(self, module, name)
    pickle.Unpickler = Recording
    try:
        torch.load(io.BytesIO(data))
    finally:
        pickle.Unpickler = real


def harvest(log):
    """{(module, name): [object names]} of every name torch.load resolves in real
    checkpoints, and every storage-type name torch.save writes."""
    import torch
    found = collections.defaultdict(set)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for oname, factory in torch_objects():
            obj = factory()
            for zipfmt in (True, False):
                buf = io.BytesIO()
                torch.save(obj, buf, _use_new_zipfile_serialization=zipfmt)
                seen = set()
                _record_load(buf.getvalue(), seen)
                for n in seen:
                    found[n].add(oname)
    for name in _storage_names():
        found[("torch", name)].add("torch.save storage types")
    log("torch harvest: %d objects, %d names" % (len(torch_objects()), len(found)))
    return {k: sorted(v) for k, v in found.items()}


def module_classes():
    """{(module, qualname): class} of every nn.Module class defined in torch.nn.modules."""
    import importlib
    import pkgutil
    import torch.nn as nn
    out = {}
    for info in pkgutil.iter_modules(nn.modules.__path__):
        modname = "torch.nn.modules." + info.name
        mod = importlib.import_module(modname)
        for value in vars(mod).values():
            if inspect.isclass(value) and value.__module__ == modname and issubclass(value, nn.Module):
                out[(modname, value.__qualname__)] = value
    return out


def _restore_code(cls):
    """The qualified names of the methods a pickle makes cls run when restoring it."""
    out = set()
    for meth in ("__setstate__", "__setattr__", "__reduce_ex__", "__reduce__", "__new__",
                 "__setitem__"):
        owner = next((k for k in cls.__mro__ if meth in k.__dict__), None)
        if owner is None or owner is object:
            continue
        if meth == "__setitem__":
            continue        # containers' item assignment: only for SETITEM on the class itself
        out.add("%s.%s.%s" % (owner.__module__, owner.__qualname__, meth))
    return out


def rules(log):
    """({(module, qualname): (verdict, reason)}, problems)."""
    import torch
    problems = []
    out = {}
    harvested = harvest(log)
    storages = set(_storage_names())
    modules = module_classes()
    for (mod, name), where in sorted(harvested.items()):
        if (mod, name) in REVIEWED:
            continue
        if mod == "torch" and name in storages:
            continue
        if (mod, name) in modules:
            continue
        if mod == "torch" and type(getattr(torch, name, None)).__name__ in CONSTANT_TYPES:
            continue
        if (mod, name) in (("collections", "OrderedDict"), ("builtins", "set"), ("__builtin__", "set")):
            continue        # plain data, ruled with the standard library
        problems.append("torch: %s.%s is named by torch checkpoints (%s) but has no reviewed verdict"
                        % (mod, name, ", ".join(where[:3])))
    for key, (verdict, why) in REVIEWED.items():
        out[key] = (verdict, why)
    for name in storages:
        out[("torch", name)] = ("SAFE", "torch storage type: torch.load reads it as a dtype tag, "
                                        "pickle.load builds a buffer of numbers")
    for name in sorted(dir(torch)):
        value = getattr(torch, name, None)
        if type(value).__name__ in CONSTANT_TYPES and not name.startswith("_"):
            out[("torch", name)] = ("SAFE", "torch %s constant" % type(value).__name__)
    for key, cls in sorted(modules.items()):
        unread = sorted(_restore_code(cls) - MODULE_RESTORE_REVIEWED)
        if unread:
            problems.append("torch: %s.%s restores itself with code nobody reviewed: %s"
                            % (key[0], key[1], ", ".join(unread)))
            continue
        out[key] = ("SAFE", R_MODULE)
    for (mod, qn), why in sorted(DANGEROUS.items()):
        try:
            m = __import__(mod, fromlist=["_"])
        except Exception as e:  # not built here (distributed...): dangerous where it is
            log("torch: %s not importable here (%s); ruled as reviewed" % (mod, e))
            m = None
        if m is not None and qn != "*" and not hasattr(m, qn):
            problems.append("torch: dangerous name %s.%s does not exist here" % (mod, qn))
            continue
        out[(mod, qn)] = ("DANGEROUS", why)
    return out, problems
