"""Which modules the rule generator walks, and importing them.

The walk covers what a pickle on this machine can name: every module of the CPython
standard library and of numpy, scipy, scikit-learn, joblib, pandas, the time-zone
packages pandas pickles name (pytz, dateutil) and numexpr, which pandas evaluates with
(the Debian packages), except the test suites of NOT_WALKED,
found on the file system (not with pkgutil.walk_packages, which imports packages to
list them). Modules are imported in the generator's own process so that each name is
resolved the way pickle's find_class resolves it; a module that cannot be imported here
cannot be loaded by a pickle here either, and is left out. A few modules are never
imported (seeds.NO_IMPORT, and every `__main__` module, which runs its program when
imported: the generator judges those dangerous as a whole).

What importing a module does is observed, not guessed: an audit hook (PEP 578) is active
while the walk imports, records every process, network, file-write, signal and unpickling
event, blocks it (the hook raises, so nothing happens), and charges it to the module
whose top-level code was running (the innermost `<module>` frame on the stack). The
process-wide caches of seeds.PREWARM (platform.processor(), which runs `uname -p` once)
are filled before the hook is on, so that such a fixed query is not charged to whichever
module asks first.
"""
import contextlib
import importlib
import io
import os
import sys
import sysconfig
import warnings

from . import seeds

PACKAGES = ("numpy", "scipy", "sklearn", "joblib", "pandas", "pytz", "dateutil", "numexpr")

# Packages of a package that are not walked, with the reason. Their names are in no rule:
# a pickle that names one gets the engine's default, suspicious.
NOT_WALKED = {
    "pandas.tests": "pandas' own test suite (about 1,000 modules of pytest fixtures), no "
                    "model state",
}
EXT_SUFFIXES = (".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so")


def _module_name(rel):
    """'a/b/c.py' -> 'a.b.c', 'a/b/__init__.py' -> 'a.b'; None for non-modules."""
    for suf in (".py",) + EXT_SUFFIXES:
        if rel.endswith(suf):
            rel = rel[: -len(suf)]
            break
    else:
        return None
    parts = rel.split(os.sep)
    if parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def _walk_tree(root, prefix_dirs=None):
    """Module names under root. A directory counts as a package only if it holds an
    __init__.py (or is a namespace package directly below root)."""
    names = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and d.isidentifier()
                             and d not in ("site-packages", "dist-packages"))
        if rel_dir != "." and not os.path.exists(os.path.join(dirpath, "__init__.py")):
            # not a package: nothing below is importable by dotted name
            dirnames[:] = []
            continue
        if prefix_dirs is not None and rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d in prefix_dirs]
            filenames = [f for f in filenames if f.split(".")[0] in prefix_dirs]
        for f in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, f))
            name = _module_name(rel)
            if name:
                names.add(name)
    return names


def stdlib_dir():
    return sysconfig.get_paths()["stdlib"]


def all_module_names(extra=(), not_walked=None):
    """Every module name of the stdlib and the packages (and the `extra` packages, less
    the modules not_walked(name) is true of), sorted."""
    std = stdlib_dir()
    names = set(sys.builtin_module_names)
    names |= _walk_tree(std)
    names |= _walk_tree(os.path.join(std, "lib-dynload"))
    names |= {"_frozen_importlib", "_frozen_importlib_external"}
    dist = "/usr/lib/python3/dist-packages"
    names |= _walk_tree(dist, prefix_dirs=set(PACKAGES))
    if extra:
        names |= {n for n in _walk_tree(dist, prefix_dirs=set(extra)) if not (not_walked and not_walked(n))}
    names.discard("__main__")
    return sorted(n for n in names if not any(n == p or n.startswith(p + ".") for p in NOT_WALKED))


def skipped_for_import(name):
    """Why a module is not imported by the walk, or None."""
    parts = name.split(".")
    if parts[-1] == "__main__":
        return "a __main__ module runs its program when imported"
    if name in seeds.NO_IMPORT or any(name.startswith(p + ".") for p in seeds.NO_IMPORT):
        return seeds.NO_IMPORT.get(name) or "importing it has effects"
    return None


# audit events that are effects when they happen at import time, by category
EFFECT_EVENTS = {
    "subprocess.Popen": "process", "os.system": "process", "os.exec": "process",
    "os.posix_spawn": "process", "os.spawn": "process", "os.fork": "process",
    "os.forkpty": "process", "pty.spawn": "process", "webbrowser.open": "process",
    "os.kill": "signal", "os.killpg": "signal", "signal.pthread_kill": "signal",
    "socket.connect": "network", "socket.bind": "network", "socket.getaddrinfo": "network",
    "socket.gethostbyname": "network", "socket.gethostbyaddr": "network",
    "socket.sendto": "network", "http.client.connect": "network", "ftplib.connect": "network",
    "smtplib.connect": "network", "urllib.Request": "network", "poplib.connect": "network",
    "imaplib.open": "network", "nntplib.connect": "network", "telnetlib.Telnet.open": "network",
    "os.remove": "write", "os.rename": "write", "os.mkdir": "write", "os.rmdir": "write",
    "os.chmod": "write", "os.chown": "write", "os.link": "write", "os.symlink": "write",
    "os.truncate": "write", "os.utime": "write", "shutil.rmtree": "write",
    "shutil.copyfile": "write", "shutil.move": "write", "shutil.copytree": "write",
    "pickle.find_class": "unpickle",
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _event_category(event, args):
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if not isinstance(path, (str, bytes, os.PathLike)):
            return None
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return "write"
        if isinstance(flags, int) and flags & WRITE_FLAGS:
            return "write"
        return None
    return EFFECT_EVENTS.get(event)


class ImportEffects:
    """The audit hook: {module: [(category, event)]} of what importing each module did."""

    def __init__(self):
        self.effects = {}
        self.active = False
        sys.addaudithook(self._hook)

    def _hook(self, event, args):
        if not self.active:
            return
        cat = _event_category(event, args)
        if cat is None:
            return
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_name != "<module>":
            frame = frame.f_back
        mod = frame.f_globals.get("__name__", "?") if frame is not None else "?"
        self.effects.setdefault(mod, [])
        if (cat, event) not in [e[:2] for e in self.effects[mod]]:
            self.effects[mod].append((cat, event, repr(args)[:160]))
        raise PermissionError("blocked by the rule generator's walk: %s" % event)


def import_all(names, log, blocked=()):
    """Import every module that can be; return ({name: module}, {name: effects}).
    `blocked` modules are made unimportable first (none by default)."""
    warnings.filterwarnings("ignore")
    sys.dont_write_bytecode = True
    # The test runner stays importable where it is installed: numpy.test, scipy.test and
    # statsmodels' `test` objects run pytest with what they are given, and are judged
    # dangerous by that path (a verdict must hold where pytest is installed). Its import
    # by sklearn.utils._testing (an ldconfig query through threadpoolctl) is made once
    # before the hook (seeds.PREWARM), so those modules import and are walked.
    for name in blocked:
        sys.modules.setdefault(name, None)
    for (mod, fn), _why in sorted(seeds.PREWARM.items()):
        getattr(importlib.import_module(mod), fn)()
    hook = ImportEffects()
    mods = {}
    for name in names:
        why = skipped_for_import(name)
        if why:
            log("not imported: %s: %s" % (name, why))
            continue
        out = io.StringIO()
        hook.active = True
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                mods[name] = importlib.import_module(name)
        except BaseException as e:  # SystemExit from scripts, missing optional deps...
            log("cannot import %s: %s: %s" % (name, type(e).__name__, str(e).split("\n")[0][:120]))
        finally:
            hook.active = False
    for mod, effs in sorted(hook.effects.items()):
        log("import effects of %s: %s" % (mod, ", ".join("%s (%s %s)" % e for e in effs)))
    return mods, hook.effects
