"""Call-flow facts of one function, read from its source.

For each function (found through its code object's file and first line) the analysis
collects every call it makes, which local names may hold caller-chosen values, and
what each called expression refers to at run time. It is a deliberately simple,
flow-insensitive analysis:

- caller-chosen ("tainted"): every parameter of the function and of the functions and
  lambdas nested in it (self too: its attributes are whatever a pickle's state put
  there), and every local name assigned, anywhere in the body, from an expression that
  mentions a tainted name. Constants, module globals and closure cells are not tainted.
- a call expression is resolved against the function's real globals, closure cells and
  builtins, through module and class attributes (the class's MRO), `self`/`cls`
  (the class being judged), `super()`, and locals assigned a single resolvable value
  (`p = Popen(...)` makes `p.wait` Popen's method).
- calls the analysis cannot resolve (a callable taken from a dict, a parameter) are
  not followed: the analysis finds what the code can be seen to reach, and the seeds
  cover the dispatch tables it cannot see through.
"""
import ast
import builtins
import inspect
import os
import sys
import types


class Inst:
    """A value known to be an instance of cls."""
    __slots__ = ("cls",)

    def __init__(self, cls):
        self.cls = cls


class Super:
    """super() inside a method of defcls judged for class cls."""
    __slots__ = ("cls", "after")

    def __init__(self, cls, after):
        self.cls, self.after = cls, after


class Bound:
    """A Python function called as a method of cls (defined in defcls)."""
    __slots__ = ("func", "cls", "defcls", "kind")

    def __init__(self, func, cls, defcls, kind):
        self.func, self.cls, self.defcls, self.kind = func, cls, defcls, kind


def _decorator_line(node):
    decs = getattr(node, "decorator_list", None)
    return min(d.lineno for d in decs) if decs else node.lineno


class Sources:
    """Parsed source files, and the AST nodes of a code object."""

    def __init__(self, stdlib_dir):
        self.stdlib = stdlib_dir
        self._index = {}
        self._trees = {}

    def path_of(self, code_or_file):
        fn = code_or_file if isinstance(code_or_file, str) else code_or_file.co_filename
        if fn.startswith("<frozen ") and fn.endswith(">"):
            rel = fn[8:-1].replace(".", os.sep)
            for cand in (rel + ".py", os.path.join(rel, "__init__.py")):
                p = os.path.join(self.stdlib, cand)
                if os.path.isfile(p):
                    return p
            return None
        return fn if fn.endswith(".py") and os.path.isfile(fn) else None

    def tree(self, path):
        if path not in self._trees:
            try:
                with open(path, "rb") as f:
                    self._trees[path] = ast.parse(f.read(), path)
            except (SyntaxError, ValueError, OSError):
                self._trees[path] = None
        return self._trees[path]

    def defs(self, code):
        """The FunctionDef or Lambda nodes of code (several lambdas on one line merge)."""
        path = self.path_of(code)
        if path is None:
            return []
        if path not in self._index:
            idx = {}
            tree = self.tree(path)
            if tree is not None:
                for n in ast.walk(tree):
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        for line in {n.lineno, _decorator_line(n)}:
                            idx.setdefault(line, []).append(n)
                    elif isinstance(n, ast.Lambda):
                        idx.setdefault(n.lineno, []).append(n)
            self._index[path] = idx
        cands = self._index[path].get(code.co_firstlineno, [])
        if code.co_name == "<lambda>":
            return [n for n in cands if isinstance(n, ast.Lambda)]
        return [n for n in cands if getattr(n, "name", None) == code.co_name][:1]


def _target_names(t, out):
    if isinstance(t, ast.Name):
        out.append(t.id)
    elif isinstance(t, (ast.Tuple, ast.List)):
        for e in t.elts:
            _target_names(e, out)
    elif isinstance(t, ast.Starred):
        _target_names(t.value, out)
    return out


def _is_main_guard(stmt):
    """`if __name__ == "__main__":` (the block does not run when a pickle imports)."""
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    t = stmt.test
    sides = [t.left] + list(t.comparators)
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def _names_in(expr):
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


class Facts:
    """What one function body (or a module's top level) does, independent of the class
    it is judged for."""

    def __init__(self, nodes, top_level=False, package=None):
        self.package = package
        self.params = []
        self.first_param = None
        self.locals = set()
        self.global_decl = set()
        self.bindings = []       # (names, expr or None)
        self.calls = []
        self.imports = {}        # name -> (module name, attribute or None)
        self.single = {}         # name -> [exprs] for single-name assignments
        self.attr_stores = []    # (name, attribute, expr) for `name.attribute = expr`
        if top_level:
            for stmt in nodes:
                self._walk_top(stmt)
        else:
            for n in nodes:
                a = n.args
                pos = list(a.posonlyargs) + list(a.args)
                if pos and self.first_param is None:
                    self.first_param = pos[0].arg
                for sub in ast.walk(n):
                    self._visit(sub)
        self.tainted = self._taint(set() if top_level else set(self.params))
        self._names_cache = {}

    # -- collection
    def _walk_top(self, stmt):
        """Module top level: what runs on import (class bodies, decorators and default
        values do; function bodies and `if __name__ == '__main__'` blocks do not)."""
        stack = [stmt]
        while stack:
            n = stack.pop()
            if _is_main_guard(n):
                stack.extend(n.orelse)
                continue
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if not isinstance(n, ast.Lambda):
                    self._bind([n.name], None)
                    stack.extend(n.decorator_list)
                stack.extend(d for d in n.args.defaults + n.args.kw_defaults if d is not None)
                continue
            self._visit(n, params=False)
            stack.extend(ast.iter_child_nodes(n))

    def _bind(self, names, expr):
        self.bindings.append((names, expr))
        self.locals.update(names)
        if len(names) == 1 and expr is not None:
            self.single.setdefault(names[0], []).append(expr)

    def _visit(self, n, params=True):
        if params and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = n.args
            for arg in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
                if arg is not None:
                    self.params.append(arg.arg)
                    self.locals.add(arg.arg)
        if isinstance(n, ast.Call):
            self.calls.append(n)
        elif isinstance(n, ast.Assign):
            for t in n.targets:
                self._bind(_target_names(t, []), n.value)
                # x[k] = v, x.a = v: x now holds v
                base = t
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if base is not t and isinstance(base, ast.Name):
                    self.bindings.append(([base.id], n.value))
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name):
                    self.attr_stores.append((t.value.id, t.attr, n.value))
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign)):
            if n.value is not None:
                self._bind(_target_names(n.target, []), n.value)
        elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)):
            self._bind(_target_names(n.target, []), n.iter)
        elif isinstance(n, ast.withitem):
            if n.optional_vars is not None:
                self._bind(_target_names(n.optional_vars, []), n.context_expr)
        elif isinstance(n, ast.NamedExpr):
            self._bind([n.target.id], n.value)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            self._bind([n.name], None)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            self.global_decl.update(n.names)
        elif isinstance(n, ast.Import):
            for al in n.names:
                if al.asname:
                    self.imports[al.asname] = (al.name, None)
                    self._bind([al.asname], None)
                else:
                    top = al.name.split(".")[0]
                    self.imports[top] = (top, None)
                    self._bind([top], None)
        elif isinstance(n, ast.ImportFrom):
            mod = n.module or ""
            if n.level:
                base = (self.package or "").split(".")
                base = base[: len(base) - (n.level - 1)] if n.level > 1 else base
                mod = ".".join([p for p in base if p] + ([mod] if mod else []))
            for al in n.names:
                if al.name == "*":
                    continue
                name = al.asname or al.name
                self.imports[name] = (mod, al.name)
                self._bind([name], None)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._bind([n.name], None)

    def _taint(self, tainted):
        changed = True
        while changed:
            changed = False
            for names, expr in self.bindings:
                if expr is None or all(x in tainted for x in names):
                    continue
                if _names_in(expr) & tainted:
                    for x in names:
                        if x not in tainted:
                            tainted.add(x)
                            changed = True
        return tainted

    def is_tainted(self, expr):
        if expr is None:
            return False
        key = id(expr)
        r = self._names_cache.get(key)
        if r is None:
            r = bool(_names_in(expr) & self.tainted)
            self._names_cache[key] = r
        return r


MISSING = object()


class Resolver:
    """Resolves the expressions of one Facts for one function object judged as a member
    of cls (defined in defcls)."""

    def __init__(self, facts, func_globals, closure, cls=None, defcls=None, kind="function",
                 inst_attr=None):
        self.f = facts
        self.inst_attr = inst_attr
        self.g = func_globals or {}
        self.closure = closure or {}
        self.cls, self.defcls, self.kind = cls, defcls, kind
        self._busy = set()

    def name(self, n):
        f = self.f
        if n == f.first_param and self.cls is not None:
            if self.kind == "method":
                return Inst(self.cls)
            if self.kind in ("classmethod", "new"):
                return self.cls
        if n in f.imports:
            mod, attr = f.imports[n]
            m = sys.modules.get(mod)
            if m is None:
                return None
            if attr is None:
                return m
            v = getattr_module(m, attr)
            return v
        if n in f.locals and n not in f.global_decl:
            exprs = f.single.get(n)
            if not exprs or n in self._busy or n in f.params:
                return None
            self._busy.add(n)
            try:
                vals = [self.resolve(e) for e in exprs]
            finally:
                self._busy.discard(n)
            first = vals[0]
            if first is None or any(not same(v, first) for v in vals[1:]):
                return None
            return first
        if n in self.closure:
            return self.closure[n]
        v = self.g.get(n, MISSING)
        if v is not MISSING:
            return v
        return getattr(builtins, n, None)

    def resolve(self, e, depth=0):
        if depth > 12 or e is None:
            return None
        if isinstance(e, ast.Name):
            return self.name(e.id)
        if isinstance(e, ast.Attribute):
            base = self.resolve(e.value, depth + 1)
            v = attribute(base, e.attr)
            if v is None and isinstance(base, Inst) and self.inst_attr is not None:
                v = self.inst_attr(base.cls, e.attr)
            return v
        if isinstance(e, ast.Call):
            f = self.resolve(e.func, depth + 1)
            if f is super and not e.args and self.cls is not None and self.defcls is not None:
                return Super(self.cls, self.defcls)
            if f is super and len(e.args) == 2:
                start = self.resolve(e.args[0], depth + 1)
                inst = self.resolve(e.args[1], depth + 1)
                cls = inst.cls if isinstance(inst, Inst) else inst if isinstance(inst, type) else None
                if isinstance(start, type) and isinstance(cls, type):
                    return Super(cls, start)
                return None
            if f is type and len(e.args) == 1:
                v = self.resolve(e.args[0], depth + 1)
                return v.cls if isinstance(v, Inst) else None
            if isinstance(f, type):
                return Inst(f)
            return None
        return None


def same(a, b):
    if isinstance(a, Inst) and isinstance(b, Inst):
        return a.cls is b.cls
    return a is b


def getattr_module(m, attr):
    d = getattr(m, "__dict__", {})
    if attr in d:
        return d[attr]
    sub = sys.modules.get("%s.%s" % (getattr(m, "__name__", ""), attr))
    return sub


def member(raw, cls, defcls, via_instance):
    """What getting a class member `raw` (found in defcls.__dict__) gives for cls."""
    if isinstance(raw, staticmethod):
        return raw.__func__
    if isinstance(raw, classmethod):
        f = raw.__func__
        return Bound(f, cls, defcls, "classmethod") if isinstance(f, types.FunctionType) else f
    if isinstance(raw, types.FunctionType):
        return Bound(raw, cls, defcls, "method")
    if isinstance(raw, property):
        return None
    return raw


def lookup(cls, name, after=None):
    """(raw member, defining class) for name in cls's MRO (after `after`), or (None, None)."""
    try:
        mro = cls.__mro__
    except AttributeError:
        return None, None
    started = after is None
    for k in mro:
        if not started:
            started = k is after
            continue
        d = k.__dict__
        if name in d:
            return d[name], k
    return None, None


def attribute(base, name):
    if base is None:
        return None
    if isinstance(base, types.ModuleType):
        return getattr_module(base, name)
    if isinstance(base, Inst):
        raw, k = lookup(base.cls, name)
        return None if raw is None else member(raw, base.cls, k, True)
    if isinstance(base, Super):
        raw, k = lookup(base.cls, name, after=base.after)
        return None if raw is None else member(raw, base.cls, k, True)
    if isinstance(base, type):
        raw, k = lookup(base, name)
        return None if raw is None else member(raw, base, k, False)
    return None


def closure_of(func):
    code = func.__code__
    cells = func.__closure__ or ()
    out = {}
    for name, cell in zip(code.co_freevars, cells):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # an empty cell
            pass
    return out


def call_args(call):
    """(positional exprs, {keyword: expr}, a caller-chosen *args/**kwargs expr list)."""
    pos, kw, spread = [], {}, []
    for a in call.args:
        if isinstance(a, ast.Starred):
            spread.append(a.value)
        else:
            pos.append(a)
    for k in call.keywords:
        if k.arg is None:
            spread.append(k.value)
        else:
            kw[k.arg] = k.value
    return pos, kw, spread


WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_EXCL"}
WRITE_BITS = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000


def _arg(pos, kw, i, name):
    if i < len(pos):
        return pos[i]
    return kw.get(name)


def spec_live(facts, call, spec):
    """Whether a call of a primitive with this argument spec counts (see seeds.py)."""
    t = facts.is_tainted
    pos, kw, spread = call_args(call)
    spread_t = any(t(s) for s in spread)
    recv = call.func.value if isinstance(call.func, ast.Attribute) else None
    if spec == "always":
        return True
    if spec == "any":
        return spread_t or any(t(a) for a in pos) or any(t(v) for v in kw.values()) or t(recv)
    if isinstance(spec, tuple):
        a = _arg(pos, kw, spec[0], spec[1])
        return t(a) if a is not None else spread_t
    if spec == "open":
        file, mode = _arg(pos, kw, 0, "file"), _arg(pos, kw, 1, "mode")
        if file is None:
            file = kw.get("name")
        if mode is None:
            return spread_t
        if isinstance(mode, ast.Constant):
            write = isinstance(mode.value, str) and any(c in mode.value for c in "wax+")
            return write and (t(file) or spread_t)
        return t(mode) or t(file) or spread_t
    if spec == "osopen":
        path, flags = _arg(pos, kw, 0, "path"), _arg(pos, kw, 1, "flags")
        if flags is None:
            return spread_t
        if t(flags):
            return True
        if isinstance(flags, ast.Constant):
            write = isinstance(flags.value, int) and bool(flags.value & WRITE_BITS)
        else:
            names = {n.attr for n in ast.walk(flags) if isinstance(n, ast.Attribute)}
            names |= _names_in(flags)
            write = bool(names & WRITE_FLAGS) or not names
        return write and (t(path) or spread_t)
    raise ValueError(spec)


def any_live(facts, call):
    return spec_live(facts, call, "any")


def is_python_function(obj):
    return isinstance(obj, types.FunctionType)


def source_package(func):
    g = getattr(func, "__globals__", {})
    return g.get("__package__") or g.get("__name__", "").rpartition(".")[0]


def unwrap_opaque(func):
    """A function without readable source that only forwards: numpy's
    array_function_dispatch wrappers (`_implementation`) and functools.wraps
    (`__wrapped__`)."""
    for attr in ("_implementation", "__wrapped__"):
        inner = getattr(func, attr, None)
        if inner is not None and inner is not func:
            return inner
    return None


def describe(obj):
    """module.qualname of a callable, for explanations."""
    if isinstance(obj, Bound):
        obj = obj.func
    mod = getattr(obj, "__module__", None)
    qn = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    if mod is None and hasattr(obj, "__objclass__"):
        mod = getattr(obj.__objclass__, "__module__", None)
    return "%s.%s" % (mod, qn) if mod else qn


def isclass(obj):
    return inspect.isclass(obj)
