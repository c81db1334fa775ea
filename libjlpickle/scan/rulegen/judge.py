"""The reach graph and the danger judgement of every name a pickle can resolve.

Nodes:
  ("P", key)                   a primitive of seeds.PRIMITIVES
  ("F", func, cls, defcls, k)  a Python function called with caller-chosen arguments,
                               as a member of cls (k: function, method, classmethod, new)
  ("C", cls)                   calling the class: __new__, __init__, the metaclass __call__
  ("L", cls)                   what a pickle can make a class do: construct it (REDUCE,
                               NEWOBJ, INST, OBJ), restore state (__setstate__,
                               __setattr__ for slot state), APPENDS/SETITEMS/ADDITEMS
                               (append, extend, __setitem__, add), hash and compare it
                               as a dict key or set member, free it (__del__), and the
                               protocol methods any caller uses on a loaded object
                               (__call__, __repr__, __len__, __iter__, __enter__, numpy's
                               __array__ and friends...)
  ("I", cls)                   an existing instance (a module attribute): as "L" without
                               construction and state
  ("G", module)                getattr(module, <caller-chosen name>): linked to the
                               getattr primitive only when the module holds a dangerous
                               name (Walk decides after a first judgement)

An edge is "live" when the call passes a caller-chosen value (flow.Facts): a function
that calls os.system with a constant string is not a command runner for the pickle that
calls it; one that passes its argument through is. A name is dangerous when its node
reaches a primitive through live edges; the shortest path is kept as the explanation.
"""
import collections
import types

from . import flow, seeds

LOAD_TIME = ("__setstate__", "__setattr__", "__getattr__", "__getattribute__", "__setitem__",
             "append", "extend", "add", "__hash__", "__eq__", "__del__", "__set_name__")
PROTOCOL = ("__call__", "__repr__", "__str__", "__format__", "__len__", "__iter__", "__next__",
            "__getitem__", "__contains__", "__bool__", "__enter__", "__exit__", "__index__",
            "__int__", "__float__", "__fspath__", "__array__", "__array_ufunc__",
            "__array_function__", "__array_finalize__", "__array_wrap__", "__array_prepare__",
            "__array_priority__", "__get__", "__set__", "__delete__", "__lt__", "__le__",
            "__gt__", "__ge__", "__ne__", "__add__", "__radd__", "__mul__", "__copy__",
            "__deepcopy__", "__reduce__", "__reduce_ex__", "__getstate__", "__sizeof__",
            "__dir__", "__instancecheck__", "__subclasscheck__", "__await__", "__aenter__",
            "__aexit__", "__init_subclass__", "__class_getitem__", "__missing__")


class Graph:
    def __init__(self, sources, primitives):
        self.sources = sources
        self.prim_by_id = {}          # id(obj) -> key
        self._keep = []
        for key, obj in primitives.items():
            self.prim_by_id[id(obj)] = key
            self._keep.append(obj)
        self.edges = {}               # node -> [(node, live, label)]
        self._queue = collections.deque()
        self._facts = {}              # code -> Facts (or None)
        self._inst_attrs = {}         # cls -> {attribute: value} from `self.attr = value`
        self._inst_busy = set()

    # -- nodes
    def add(self, node):
        if node not in self.edges:
            self.edges[node] = None
            self._queue.append(node)
        return node

    def build(self):
        while self._queue:
            node = self._queue.popleft()
            self.edges[node] = self._expand(node)

    def prim_key(self, obj):
        if isinstance(obj, flow.Bound):
            obj = obj.func
        return self.prim_by_id.get(id(obj))

    def node_of(self, obj):
        """The node for calling obj (a resolved value), or None."""
        key = self.prim_key(obj)
        if key is not None:
            return ("P", key)
        if isinstance(obj, flow.Bound):
            return ("F", obj.func, obj.cls, obj.defcls, obj.kind)
        if isinstance(obj, types.FunctionType):
            return ("F", obj, None, None, "function")
        if isinstance(obj, types.MethodType):
            f, s = obj.__func__, obj.__self__
            if isinstance(f, types.FunctionType):
                if isinstance(s, type):
                    return ("F", f, s, s, "classmethod")
                return ("F", f, type(s), type(s), "method")
            return self.node_of(f)
        if isinstance(obj, type):
            return ("C", obj)
        if isinstance(obj, flow.Inst):
            raw, k = flow.lookup(obj.cls, "__call__")
            if raw is None:
                return None
            return self.node_of(flow.member(raw, obj.cls, k, True))
        if type(obj).__name__ == "partial" and hasattr(obj, "func"):
            return self.node_of(obj.func)
        return None

    # -- expansion
    def facts(self, func):
        code = func.__code__
        if code not in self._facts:
            nodes = self.sources.defs(code)
            self._facts[code] = flow.Facts(nodes, package=flow.source_package(func)) if nodes else None
        return self._facts[code]

    def _expand(self, node):
        kind = node[0]
        if kind == "P":
            return []
        if kind == "F":
            return self._expand_function(*node[1:])
        if kind == "C":
            return self._expand_class_call(node[1])
        if kind in ("L", "I"):
            return self._expand_class_use(node[1], kind == "L")
        if kind == "G":
            return []
        raise ValueError(node)

    def _edge(self, out, obj, live, label):
        n = self.node_of(obj)
        if n is not None:
            out.append((self.add(n), live, label))

    def _expand_function(self, func, cls, defcls, kind):
        out = []
        facts = self.facts(func)
        if facts is None:
            inner = flow.unwrap_opaque(func)
            if inner is not None:
                self._edge(out, inner, True, flow.describe(inner))
            return out
        r = flow.Resolver(facts, func.__globals__, flow.closure_of(func), cls, defcls, kind,
                          self.inst_attr)
        self._calls(out, facts, r)
        return out

    def inst_attr(self, cls, name):
        """The value the methods of cls store in self.<name>, when they all store the same
        callable (FileHandler's `self._builtin_open = open`), else None."""
        if cls not in self._inst_attrs:
            if cls in self._inst_busy:
                return None
            self._inst_busy.add(cls)
            try:
                self._inst_attrs[cls] = self._collect_inst_attrs(cls)
            finally:
                self._inst_busy.discard(cls)
        return self._inst_attrs[cls].get(name)

    def _collect_inst_attrs(self, cls):
        found = {}
        for k in getattr(cls, "__mro__", ()):
            if k is object:
                continue
            for raw in list(vars(k).values()):
                func = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
                if not isinstance(func, types.FunctionType):
                    continue
                facts = self.facts(func)
                if facts is None or not facts.attr_stores:
                    continue
                r = flow.Resolver(facts, func.__globals__, flow.closure_of(func), cls, k,
                                  "method", None)
                for base, attr, expr in facts.attr_stores:
                    if base != facts.first_param:
                        continue
                    v = r.resolve(expr)
                    ok = v is not None and (self.prim_key(v) is not None or isinstance(
                        v, (types.FunctionType, types.BuiltinFunctionType, flow.Bound, type)))
                    found.setdefault(attr, []).append(v if ok else None)
        out = {}
        for attr, vals in found.items():
            if vals and vals[0] is not None and all(v is vals[0] for v in vals):
                out[attr] = vals[0]
        return out

    def _calls(self, out, facts, r):
        for call in facts.calls:
            callee = r.resolve(call.func)
            if callee is not None:
                key = self.prim_key(callee)
                if key is not None:
                    spec = seeds.PRIMITIVES[key][2]
                    live = flow.spec_live(facts, call, spec)
                    out.append((self.add(("P", key)), live, flow.describe(callee)))
                elif callee is getattr and len(call.args) >= 2:
                    # getattr(<a module>, <caller-chosen name>): whether it matters depends
                    # on what the module holds, settled after a first judgement (Walk)
                    base = r.resolve(call.args[0])
                    if isinstance(base, types.ModuleType) and facts.is_tainted(call.args[1]):
                        out.append((self.add(("G", base.__name__)), True,
                                    "getattr(%s, ...)" % base.__name__))
                else:
                    callee = self._as_method(r, call, callee)
                    self._edge(out, callee, flow.any_live(facts, call), flow.describe(callee))
            # functions handed to the call (Thread(target=f), map(os.remove, ...),
            # _call_with_frames_removed(exec, code, ...)) are called with its arguments;
            # classes handed over are mostly isinstance() checks and dtypes: not followed
            args = list(call.args) + [k.value for k in call.keywords]
            refs = [a for a in args if isinstance(a, (ast_Name, ast_Attribute))]
            if refs:
                live = flow.any_live(facts, call)
                for a in refs:
                    v = r.resolve(a)
                    if v is None or isinstance(v, (type, flow.Inst, types.ModuleType)):
                        continue
                    if self.prim_key(v) is not None or isinstance(
                            v, (types.FunctionType, flow.Bound, types.MethodType)):
                        self._edge(out, v, live, flow.describe(v))

    @staticmethod
    def _as_method(r, call, callee):
        """A class's function called with an instance as first argument (Class.f(self),
        a decorator's wrapper calling the method it wraps) is that class's method."""
        if not isinstance(callee, types.FunctionType) or not call.args:
            return callee
        parts = callee.__qualname__.split(".")
        if len(parts) < 2 or parts[-2] == "<locals>":
            return callee
        first = r.resolve(call.args[0])
        if not isinstance(first, flow.Inst):
            return callee
        owner = ".".join(parts[:-1])
        for k in first.cls.__mro__:
            if k.__qualname__ == owner:
                return flow.Bound(callee, first.cls, k, "method")
        return callee

    def _expand_class_call(self, cls):
        out = []
        for k in getattr(cls, "__mro__", ()):
            key = self.prim_by_id.get(id(k))
            if key is not None:
                out.append((self.add(("P", key)), True, flow.describe(k)))
                return out
        for name, kind in (("__new__", "new"), ("__init__", "method")):
            raw, k = flow.lookup(cls, name)
            if isinstance(raw, staticmethod):
                raw = raw.__func__
            if isinstance(raw, types.FunctionType):
                out.append((self.add(("F", raw, cls, k, kind)), True, flow.describe(raw)))
        meta = type(cls)
        if meta is not type and isinstance(meta, type):
            raw, k = flow.lookup(meta, "__call__")
            if isinstance(raw, types.FunctionType) and k is not type:
                out.append((self.add(("F", raw, meta, k, "method")), True, flow.describe(raw)))
        return out

    def _expand_class_use(self, cls, construct):
        out = []
        if construct:
            out.append((self.add(("C", cls)), True, flow.describe(cls)))
        names = (LOAD_TIME + PROTOCOL) if construct else PROTOCOL
        for name in names:
            raw, k = flow.lookup(cls, name)
            if raw is None or k is object:
                continue
            v = flow.member(raw, cls, k, True)
            if v is not None:
                self._edge(out, v, True, flow.describe(v))
        return out

    def method_node(self, cls, name):
        raw, k = flow.lookup(cls, name)
        if raw is None:
            return None
        if self.prim_by_id.get(id(raw)) is not None:
            return ("P", self.prim_by_id[id(raw)])
        v = flow.member(raw, cls, k, False)
        if v is None or isinstance(v, type):
            return None
        return self.node_of(v)


import ast as _ast  # noqa: E402  (names used above, kept short)
ast_Name, ast_Attribute = _ast.Name, _ast.Attribute


class Verdicts:
    """For every node, the first category (in seeds.CATEGORY_ORDER) whose primitives it
    reaches through live edges, and the shortest such path: a command runner that also
    opens a file is reported as a command runner."""

    def __init__(self, graph, categories, cut_ids=frozenset(), sanitizer_ids=frozenset(),
                 live_only=True):
        rev = collections.defaultdict(list)
        for node, edges in graph.edges.items():
            if node[0] == "F" and id(node[1]) in sanitizer_ids:
                continue
            for tgt, live, label in edges or ():
                if (live or not live_only) and not (tgt[0] == "F" and id(tgt[1]) in cut_ids):
                    rev[tgt].append((node, label))
        self.next, self.prim, self.dist, self.label = {}, {}, {}, {}
        for cat in seeds.CATEGORY_ORDER:
            if cat not in categories:
                continue
            srcs = sorted(n for n in graph.edges if n[0] == "P" and seeds.PRIMITIVES[n[1]][0] == cat)
            seen = set(srcs)
            q = collections.deque()
            for s in srcs:
                if s not in self.dist:
                    self.dist[s], self.prim[s] = 0, s[1]
                q.append((s, s[1], 0))
            while q:
                k, prim, d = q.popleft()
                for p, label in rev.get(k, ()):
                    if p in seen:
                        continue
                    seen.add(p)
                    q.append((p, prim, d + 1))
                    if p not in self.dist:
                        self.dist[p], self.next[p], self.prim[p], self.label[p] = d + 1, k, prim, label

    def danger(self, node):
        return node is not None and node in self.dist

    def path(self, node):
        out = []
        while node in self.next:
            out.append(self.label[node])
            node = self.next[node]
        return out
