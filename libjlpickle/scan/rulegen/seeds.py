"""The reviewed seeds of the rule generator: everything a person decided, in one file.

1. PRIMITIVES: the operations the walk looks for. Most are C functions or C types the
   walk cannot look into (posix.system, _posixsubprocess.fork_exec, builtins.exec,
   _io.FileIO...); a few are Python functions whose danger hides behind a dispatch
   table the walk cannot follow (pickle._Unpickler.load). Each has a category and says
   which arguments must be chosen by the caller for the call to count (an `open` with a
   constant read mode is not a file write, an `os.fork()` always forks).
2. MODULE_SEEDS: whole modules judged dangerous without a walk, because they are C
   modules the walk cannot see into, exist only on other platforms (a file scanned here
   may be loaded on Windows), or are interfaces whose every name is an operating-system,
   process, network or interpreter facility. Names in them are still walked, and the
   self-check (MUST_CATCH) asks the walk, not these seeds.
3. NAME_SEEDS: single names judged without a walk: names from packages this machine
   does not walk (torch, dill, pandas...), carried over from jlinspect's hand-written
   list so that no verdict drops when the engine switches to the generated rules.
4. NO_IMPORT: modules whose import is the effect, judged without importing them.
5. MUST_CATCH: the gadgets of public advisories and of reported scanner bypasses; the generator
   fails unless the walk itself (not a seed) finds each of them dangerous.
"""

# ---- categories ------------------------------------------------------------------------
# The words printed to users, by category. The order is the tie-break when one callable
# reaches several primitives at the same distance (the first wins).
CATEGORIES = {
    "process": "runs programs",
    "exec": "runs python code",
    "unpickle": "loads pickled or marshalled data, which can run anything",
    "import": "imports modules or resolves names chosen by its arguments",
    "native": "calls native code",
    "network": "opens network connections",
    "write": "writes, removes or changes files",
    "interp": "changes interpreter or process state",
    "signal": "signals or ends processes",
}
CATEGORY_ORDER = list(CATEGORIES)

# Categories whose reach at import time (top-level code, whatever the arguments) makes
# importing the module itself an effect.
IMPORT_EFFECT_CATEGORIES = ("process", "network", "write", "unpickle", "signal")

# ---- primitives -----------------------------------------------------------------------
# (module, qualname) -> (category, reason, which arguments count).
# Argument specs:
#   "any"     the call counts when any argument (or the receiver) is caller-chosen
#   "always"  the call counts even with constant arguments (os.fork())
#   (i, kw)   the call counts when positional argument i / keyword kw is caller-chosen
#   "open"    open(file, mode): counts when the mode is caller-chosen, or is a constant
#             write mode (w, a, x, +) and the file is caller-chosen
#   "osopen"  os.open(path, flags): counts when the flags are caller-chosen, or name a
#             write flag (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND) and the path is
def _p(cat, why, args="any"):
    return (cat, why, args)


PROC_RUN = "runs a program"
PRIMITIVES = {
    # processes
    ("posix", "system"): _p("process", "runs a shell command"),
    ("posix", "execv"): _p("process", PROC_RUN),
    ("posix", "execve"): _p("process", PROC_RUN),
    ("posix", "fexecve"): _p("process", PROC_RUN),
    ("posix", "posix_spawn"): _p("process", PROC_RUN),
    ("posix", "posix_spawnp"): _p("process", PROC_RUN),
    ("posix", "fork"): _p("process", "forks the process", "always"),
    ("posix", "forkpty"): _p("process", "forks the process", "always"),
    ("posix", "kill"): _p("signal", "signals a process"),
    ("posix", "killpg"): _p("signal", "signals a process group"),
    ("posix", "pidfd_open"): _p("signal", "signals a process"),
    ("posix", "abort"): _p("signal", "aborts the process", "always"),
    ("posix", "_exit"): _p("signal", "ends the process", "always"),
    ("posix", "register_at_fork"): _p("process", "runs callables at every fork"),
    ("_posixsubprocess", "fork_exec"): _p("process", PROC_RUN),
    ("_signal", "pthread_kill"): _p("signal", "signals a thread"),
    ("_signal", "raise_signal"): _p("signal", "signals the process"),
    ("_signal", "alarm"): _p("signal", "schedules a signal that ends the process"),
    ("_signal", "setitimer"): _p("signal", "schedules a signal that ends the process"),
    ("_signal", "signal"): _p("signal", "installs a signal handler"),
    # running Python code
    ("builtins", "eval"): _p("exec", "evaluates a python expression", (0, "source")),
    ("builtins", "exec"): _p("exec", "runs python code", (0, "source")),
    ("builtins", "breakpoint"): _p("exec", "starts a debugger", "always"),
    ("types", "FunctionType"): _p("exec", "builds a function from a code object"),
    ("types", "CodeType"): _p("exec", "builds a code object"),
    ("builtins", "__build_class__"): _p("exec", "runs a class body"),
    # (un)pickling and marshal
    ("_pickle", "load"): _p("unpickle", "loads a pickle"),
    ("_pickle", "loads"): _p("unpickle", "loads a pickle"),
    ("_pickle", "Unpickler.load"): _p("unpickle", "loads a pickle"),
    ("pickle", "_Unpickler.load"): _p("unpickle", "loads a pickle"),
    ("pickle", "_Unpickler.find_class"): _p("import", "imports any module and returns any name"),
    ("_pickle", "Unpickler.find_class"): _p("import", "imports any module and returns any name"),
    ("marshal", "load"): _p("unpickle", "loads marshalled code objects"),
    ("marshal", "loads"): _p("unpickle", "loads marshalled code objects"),
    # imports and name resolution
    ("builtins", "__import__"): _p("import", "imports a module by name", (0, "name")),
    ("_frozen_importlib", "_gcd_import"): _p("import", "imports a module by name", (0, "name")),
    ("_frozen_importlib", "__import__"): _p("import", "imports a module by name", (0, "name")),
    ("_frozen_importlib", "_find_and_load"): _p("import", "imports a module by name", (0, "name")),
    ("_frozen_importlib", "_load"): _p("import", "executes a module spec"),
    ("_frozen_importlib", "_exec"): _p("import", "executes a module spec"),
    ("_frozen_importlib", "_load_unlocked"): _p("import", "executes a module spec"),
    ("_frozen_importlib", "module_from_spec"): _p("import", "creates a module from a spec"),
    ("_imp", "create_dynamic"): _p("import", "loads a native extension module"),
    ("_imp", "exec_dynamic"): _p("import", "runs a native extension module"),
    ("_imp", "exec_builtin"): _p("import", "runs a builtin module"),
    ("_imp", "create_builtin"): _p("import", "creates a builtin module"),
    ("_imp", "init_frozen"): _p("import", "runs a frozen module"),
    ("_imp", "get_frozen_object"): _p("import", "returns a frozen module's code"),
    # native code
    ("_ctypes", "dlopen"): _p("native", "loads a native library"),
    ("_ctypes", "CFuncPtr"): _p("native", "calls native functions"),
    ("_ctypes", "call_function"): _p("native", "calls a native function"),
    ("_ctypes", "call_cdeclfunction"): _p("native", "calls a native function"),
    ("_ctypes", "PyObj_FromPtr"): _p("native", "turns an address into an object"),
    ("_ctypes", "Py_INCREF"): _p("native", "changes reference counts"),
    ("_ctypes", "Py_DECREF"): _p("native", "changes reference counts"),
    # network
    ("_socket", "socket"): _p("network", "opens a socket"),
    ("_socket", "socket.connect"): _p("network", "connects a socket"),
    ("_socket", "socket.connect_ex"): _p("network", "connects a socket"),
    ("_socket", "socket.bind"): _p("network", "binds a socket"),
    ("_socket", "socket.sendto"): _p("network", "sends a datagram"),
    ("_socket", "getaddrinfo"): _p("network", "resolves a host name (a DNS query)"),
    ("_socket", "gethostbyname"): _p("network", "resolves a host name (a DNS query)"),
    ("_socket", "gethostbyname_ex"): _p("network", "resolves a host name (a DNS query)"),
    ("_socket", "gethostbyaddr"): _p("network", "resolves an address (a DNS query)"),
    # files
    ("builtins", "open"): _p("write", "opens files for writing", "open"),
    ("_io", "open"): _p("write", "opens files for writing", "open"),
    ("_io", "FileIO"): _p("write", "opens files for writing", "open"),
    ("posix", "open"): _p("write", "opens files for writing", "osopen"),
    ("posix", "remove"): _p("write", "removes a file"),
    ("posix", "unlink"): _p("write", "removes a file"),
    ("posix", "rmdir"): _p("write", "removes a directory"),
    ("posix", "mkdir"): _p("write", "creates a directory"),
    ("posix", "rename"): _p("write", "renames a file"),
    ("posix", "replace"): _p("write", "replaces a file"),
    ("posix", "link"): _p("write", "creates a link"),
    ("posix", "symlink"): _p("write", "creates a symbolic link"),
    ("posix", "chmod"): _p("write", "changes file permissions"),
    ("posix", "fchmod"): _p("write", "changes file permissions"),
    ("posix", "lchmod"): _p("write", "changes file permissions"),
    ("posix", "chown"): _p("write", "changes file owners"),
    ("posix", "fchown"): _p("write", "changes file owners"),
    ("posix", "lchown"): _p("write", "changes file owners"),
    ("posix", "truncate"): _p("write", "truncates a file"),
    ("posix", "ftruncate"): _p("write", "truncates a file"),
    ("posix", "posix_fallocate"): _p("write", "grows a file"),
    ("posix", "write"): _p("write", "writes to a file descriptor", (0, "fd")),
    ("posix", "pwrite"): _p("write", "writes to a file descriptor", (0, "fd")),
    ("posix", "writev"): _p("write", "writes to a file descriptor", (0, "fd")),
    ("posix", "pwritev"): _p("write", "writes to a file descriptor", (0, "fd")),
    ("posix", "sendfile"): _p("write", "writes to a file descriptor"),
    ("posix", "copy_file_range"): _p("write", "writes to a file descriptor"),
    ("posix", "splice"): _p("write", "writes to a file descriptor"),
    ("posix", "utime"): _p("write", "changes file times"),
    ("posix", "mkfifo"): _p("write", "creates a fifo"),
    ("posix", "mknod"): _p("write", "creates a device node"),
    ("posix", "setxattr"): _p("write", "changes file attributes"),
    ("posix", "removexattr"): _p("write", "changes file attributes"),
    ("posix", "close"): _p("write", "closes a file descriptor", (0, "fd")),
    ("posix", "closerange"): _p("write", "closes file descriptors"),
    ("posix", "dup2"): _p("write", "replaces a file descriptor"),
    ("mmap", "mmap"): _p("write", "maps a file into memory (writable)"),
    ("_sqlite3", "connect"): _p("write", "creates or changes a database file"),
    ("_dbm", "open"): _p("write", "creates or changes a database file"),
    ("_gdbm", "open"): _p("write", "creates or changes a database file"),
    ("readline", "write_history_file"): _p("write", "writes a file"),
    ("readline", "append_history_file"): _p("write", "writes a file"),
    ("_posixshmem", "shm_open"): _p("write", "creates shared memory"),
    ("_posixshmem", "shm_unlink"): _p("write", "removes shared memory"),
    ("numpy", "ndarray.tofile"): _p("write", "writes an array to a file"),
    ("numpy", "ndarray.dump"): _p("write", "pickles an array into a file"),
    # interpreter and process state
    ("posix", "chdir"): _p("interp", "changes the working directory"),
    ("posix", "fchdir"): _p("interp", "changes the working directory"),
    ("posix", "chroot"): _p("interp", "changes the root directory"),
    ("posix", "putenv"): _p("interp", "changes the environment"),
    ("posix", "unsetenv"): _p("interp", "changes the environment"),
    ("posix", "umask"): _p("interp", "changes the file creation mask"),
    ("posix", "setuid"): _p("interp", "changes process credentials"),
    ("posix", "setgid"): _p("interp", "changes process credentials"),
    ("posix", "seteuid"): _p("interp", "changes process credentials"),
    ("posix", "setegid"): _p("interp", "changes process credentials"),
    ("posix", "setsid"): _p("interp", "changes the process session"),
    ("sys", "settrace"): _p("interp", "installs a trace function that runs on every line"),
    ("sys", "setprofile"): _p("interp", "installs a profile function that runs on every call"),
    ("sys", "addaudithook"): _p("interp", "installs an audit hook"),
    ("sys", "_getframe"): _p("interp", "exposes interpreter frames and their globals"),
    ("sys", "setrecursionlimit"): _p("interp", "changes the recursion limit"),
}

# Primitives the analysis recognises by the shape of a call rather than by the callee
# alone: getattr(<a module>, <caller-chosen name>) turns a string into any attribute of
# the module (the getattr builtin itself is everywhere and harmless on other objects).
GETATTR_ON_MODULE = ("builtins", "getattr(module, name)")
PRIMITIVES[GETATTR_ON_MODULE] = _p("import", "looks up a caller-chosen attribute of a module")
PSEUDO_PRIMITIVES = (GETATTR_ON_MODULE,)

# ---- reviewed cuts -------------------------------------------------------------------------
# Functions whose reach is real when a pickle names them directly (they stay dangerous
# then) but whose callers do not pass them caller-chosen data, for the reason given; the
# walk does not propagate their danger to callers. Each was read, not guessed.
CUTS = {
    ("inspect", "_signature_fromstr"):
        "evaluates the __text_signature__ of a builtin, which is C data, not caller data",
    ("inspect", "get_annotations"):
        "evaluates annotation strings only with eval_str=True, which no walked caller passes",
    ("dataclasses", "_create_fn"):
        "execs methods generated from a class's own fields",
    ("pandas.core.computation.expressions", "_evaluate_numexpr"):
        "numexpr-evaluates 'a_value OP b_value', OP from pandas' own operator table "
        "(evaluate() maps the operator through _op_str_mapping), not caller data",
    ("pandas.core.series", "Series.__repr__"):
        "renders with get_series_repr_params(), which holds no buf: to_string returns the "
        "text and writes no file",
    ("pandas.core.frame", "DataFrame.__repr__"):
        "renders with get_dataframe_repr_params() (or info() into its own StringIO), no buf: "
        "to_string returns the text and writes no file",
    ("pandas.io.formats.string", "StringFormatter._fit_strcols_to_terminal_width"):
        "applies the builtin len to its own rendered columns (Series.apply of a function, "
        "not of a caller's string)",
    ("pytz", "open_resource"):
        "reads a file of the zoneinfo directory ('..' and separators refused); its "
        "pkg_resources fallback imports only the constant package 'pytz', and "
        "timezone() passes only names of pytz's own zone list",
}

# Functions that are not dangerous at all, although the walk sees them reach a primitive:
# they check what they pass to it. Neither they nor their callers are judged dangerous.
SANITIZERS = {
    ("collections", "namedtuple"):
        "execs source built only from names it has checked to be identifiers",
}

# Harvested names whose danger comes through one of these functions: real files name
# them, and the engine must check the state they receive.
ENGINE_RULED_PATHS = {
    "scipy.stats._distn_infrastructure.rv_generic._attach_argparser_methods":
        "restoring it execs the pickled _parse_arg_template; safe only when that is scipy's "
        "own template for the shapes (engine rule)",
}

# ---- whole-module seeds -----------------------------------------------------------------
OS_WHY = "operating-system interface: commands, processes, files and environment"
MODULE_SEEDS = {
    # C modules the walk cannot look into, and their Python faces
    "os": OS_WHY,
    "posix": OS_WHY,
    "nt": OS_WHY,
    "_posixsubprocess": "starts processes",
    "_socket": "network access",
    "_ctypes": "calls native code",
    "_imp": "the import machinery",
    "_pickle": "loads pickles, which can run anything",
    "marshal": "loads code objects",
    "sys": "interpreter internals: modules, hooks, frames, exit",
    "_thread": "starts threads running any callable",
    # Windows and macOS only: not importable here, but a file scanned here may be
    # loaded there
    "_winapi": "windows process and file interface",
    "msvcrt": "windows runtime: processes and files",
    "winreg": "windows registry",
    "_winreg": "windows registry",
    "_overlapped": "windows asynchronous i/o",
    "winsound": "windows sound interface",
    "_msi": "windows installer interface",
    "_scproxy": "macos network proxy interface",
    # Python 2 names that Python 3's pickle maps to modules (fix_imports) or that old
    # loaders import
    "commands": "python 2 command runner",
    "popen2": "python 2 command runner",
    "cPickle": "loads pickles, which can run anything",
    # whole interfaces of command, process, network, code and import machinery
    "subprocess": "runs programs",
    "pty": "runs programs in a pseudo-terminal",
    "multiprocessing": "starts processes",
    "concurrent": "starts processes and threads running any callable",
    "asyncio": "runs programs, opens network connections",
    "socket": "network access",
    "ssl": "network access",
    "socketserver": "network servers",
    "http": "network access",
    "urllib": "network access",
    "ftplib": "network access",
    "smtplib": "network access",
    "smtpd": "network servers",
    "poplib": "network access",
    "imaplib": "network access",
    "nntplib": "network access",
    "telnetlib": "network access",
    "xmlrpc": "network access",
    "wsgiref": "network servers",
    "webbrowser": "runs a web browser",
    # importing it opens a web browser where one is installed (the walk's audit hook sees
    # nothing on a machine without one)
    "antigravity": "importing it opens a web browser",
    "pickle": "loads pickles, which can run anything",
    "shelve": "loads pickles from files",
    "importlib": "the import machinery",
    "_frozen_importlib": "the import machinery",
    "_frozen_importlib_external": "the import machinery",
    "imp": "the import machinery",
    "zipimport": "imports code from zip files",
    "pkgutil": "imports modules by name",
    "runpy": "runs modules and scripts",
    "code": "runs python code",
    "codeop": "compiles python code",
    "pdb": "the debugger runs python code",
    "bdb": "the debugger runs python code",
    "timeit": "runs python code",
    "profile": "runs python code",
    "cProfile": "runs python code",
    "trace": "runs python code",
    "doctest": "runs python code from docstrings",
    "pydoc": "imports modules by name and runs a pager",
    "ctypes": "calls native code",
    "shutil": "copies, moves and removes files",
    "tempfile": "creates and removes files",
    "ensurepip": "installs packages",
    "venv": "creates environments and runs programs",
    "distutils": "builds and installs packages (runs their code)",
    "lib2to3": "rewrites source files",
    "idlelib": "the IDLE shell runs python code",
    "test": "python's test support: runs programs, writes files, imports modules",
    "compileall": "compiles and writes source trees",
    "py_compile": "compiles and writes files",
    "zipapp": "writes executable archives",
    "cgitb": "writes reports to files",
    "_bootsubprocess": "runs programs",
    "_aix_support": "runs programs",
    "_osx_support": "runs shell commands",
    "numpy.distutils": "builds and installs packages (runs their code)",
    "numpy.f2py": "compiles and runs code",
    "numpy.testing": "test helpers run code and programs",
    "numpy.ctypeslib": "loads native libraries",
    "joblib.externals": "process pools and code rebuilding (loky, cloudpickle)",
    "joblib.pool": "starts processes",
    "joblib._parallel_backends": "starts processes",
    "joblib._multiprocessing_helpers": "starts processes",
    "joblib.executor": "starts processes",
    "joblib.test": "joblib's tests",
    "joblib.testing": "test helpers run programs",
    "scipy._lib._testutils": "test helpers run programs",
    "sklearn.utils._testing": "test helpers run scripts and write files",
    "sklearn.datasets": "downloads and writes data files",
    # C modules the walk cannot look into, found in a second red-team round: each runs
    # code, writes files or reaches native memory through its arguments
    "_testcapi": "cpython's c-api test module: runs code in subinterpreters, corrupts memory",
    "_testinternalcapi": "cpython's internal test module: changes the interpreter's configuration",
    "_testbuffer": "cpython's buffer test module: raw memory views",
    "_testclinic": "cpython's test module",
    "_testmultiphase": "cpython's test module",
    "_testimportmultiple": "cpython's test module",
    "_testsinglephase": "cpython's test module",
    "_xxtestfuzz": "cpython's fuzzing harness: runs parsers on raw bytes",
    "_ctypes_test": "calls native test code",
    "xxlimited": "cpython's example module",
    "xxlimited_35": "cpython's example module",
    "xxsubtype": "cpython's example module",
    "_xxsubinterpreters": "runs python code in subinterpreters",
    "_xxinterpchannels": "subinterpreter channels",
    "_sqlite3": "creates and changes database files, loads native extensions",
    "sqlite3": "creates and changes database files, loads native extensions",
    "_pyio": "the pure-python io: opens, creates and writes files",
    "_tkinter": "the tcl interpreter, which runs programs",
    "fcntl": "ioctl and fcntl on any file descriptor, a terminal's input included",
    "termios": "changes terminal settings",
    "resource": "changes resource limits, of other processes too",
    "_multiprocessing": "creates and removes named semaphores",
    "syslog": "writes to the system log",
}

# ---- single names from packages the walk does not cover ---------------------------------
R_PICKLE = "loads another pickle, which can run anything"
R_CODE = "runs python code"
NAME_SEEDS = {
    ("dill", "*"): "rebuilds functions from code",
    ("cloudpickle", "*"): "rebuilds functions from code",
    ("requests", "*"): "network access",
    ("aiohttp", "*"): "network access",
    ("urllib2", "*"): "network access",
    ("httplib", "*"): "network access",
    ("pip", "*"): "installs packages (runs their code)",
    ("setuptools", "*"): "builds and installs packages (runs their code)",
    ("cffi", "*"): "calls native code",
    ("pandas", "read_pickle"): R_PICKLE,
    ("pandas.io.pickle", "read_pickle"): R_PICKLE,
    # DataFrame.query is self.eval(expr): the walk does not follow the call through self
    ("pandas", "DataFrame.query"): "evaluates an expression string with the caller's frames in scope (DataFrame.eval)",
    ("pandas.core.frame", "DataFrame.query"):
        "evaluates an expression string with the caller's frames in scope (DataFrame.eval)",
    ("torch", "load"): R_PICKLE,
    ("torch.serialization", "load"): R_PICKLE,
    ("torch.serialization", "_load"): R_PICKLE,
    ("torch.storage", "_load_from_bytes"): R_PICKLE,
    ("torch.hub", "*"): "downloads and runs code",
    ("torch.utils.cpp_extension", "*"): "compiles and loads native code",
    ("torch._inductor.codecache", "compile_file"): "runs programs",
    ("torch.jit.unsupported_tensor_ops", "execWrapper"): R_CODE,
    ("torch._dynamo.guards", "GuardBuilder.get"): R_CODE,
    ("torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression"): R_CODE,
    ("torch.utils._config_module", "ConfigModule.load_config"): R_PICKLE,
    ("torch.utils.bottleneck.__main__", "*"): R_CODE,
    ("torch.utils.collect_env", "run"): "runs programs",
    ("torch.utils.data.datapipes.utils.decoder", "basichandlers"): R_PICKLE,
    ("torch._utils", "_import_dotted_name"): "imports the module a dotted name chosen by its argument names and returns any attribute of it",
    # typing evaluates a forward reference's string with eval() and the builtins in
    # scope: ForwardRef(code) is only compiled, _eval_type() and get_type_hints() run it
    ("typing", "_eval_type"): R_CODE,
    ("typing", "ForwardRef._evaluate"): R_CODE,
    ("typing", "get_type_hints"): R_CODE,
    # views of any strides over any memory: reads and writes outside the buffer
    ("numpy.lib.stride_tricks", "as_strided"): "makes an array view of any shape and strides, outside its buffer",
    ("numpy.lib.stride_tricks", "DummyArray"): "holds an __array_interface__ numpy reads as memory at any address",
    # builtins the walk sees as resolvers or object makers rather than primitives, and
    # Python 2 spellings
    ("builtins", "getattr"): "looks up any attribute (os.system from a module...)",
    ("builtins", "setattr"): "changes any attribute",
    ("builtins", "delattr"): "changes any attribute",
    ("builtins", "compile"): "compiles code",
    ("builtins", "globals"): "exposes interpreter state",
    ("builtins", "locals"): "exposes interpreter state",
    ("builtins", "vars"): "exposes interpreter state",
    ("builtins", "input"): "reads the terminal",
    ("builtins", "help"): "imports modules by name and runs a pager",
    ("builtins", "exit"): "stops the interpreter",
    ("builtins", "quit"): "stops the interpreter",
    ("builtins", "execfile"): R_CODE,
    ("builtins", "apply"): "calls anything",
    ("builtins", "reload"): "imports modules",
    ("operator", "attrgetter"): "looks up any attribute",
    ("operator", "methodcaller"): "calls any method",
    ("_operator", "attrgetter"): "looks up any attribute",
    ("_operator", "methodcaller"): "calls any method",
    ("types", "LambdaType"): "builds functions from code objects",
    ("types", "MethodType"): "binds any callable as a method",
    ("gc", "get_objects"): "exposes every live object",
    ("gc", "get_referrers"): "exposes live objects",
    ("gc", "get_referents"): "exposes live objects",
    # programs run with constant arguments (the walk counts a process primitive only
    # when the caller chooses its arguments): calling these runs what PATH finds first
    ("uuid", "_netstat_getnode"): "runs the program netstat",
    ("uuid", "getnode"): "runs ip or ifconfig where the uuid module has no native call",
}

# ---- caches filled before the walk imports anything ----------------------------------------
# Calls made once, outside the audit hook, because what they do is a fixed query of the
# machine cached for the life of the process, not an effect of the module that happens
# to ask first. (module, function) -> why.
PREWARM = {
    ("platform", "processor"):
        "platform.uname()'s processor field runs the fixed command 'uname -p' once per "
        "process and caches it; Debian's pandas/__init__.py asks platform.uname()[4] (a "
        "mips check) on import",
    ("sklearn.utils.fixes", "threadpool_info"):
        "threadpoolctl's controller, which sklearn.utils._testing builds on import (an "
        "openblas check), finds libc with ctypes.util.find_library ('ldconfig -p') once "
        "per process and sklearn caches it",
}

# ---- modules never imported by the walk ----------------------------------------------------
# (The walk imports everything else under an audit hook that blocks effects.)
NO_IMPORT = {
    "idlelib.idle": "importing it starts the IDLE shell",
    "turtledemo": "importing it starts graphical demos",
}

# ---- gadgets the walk itself must find -------------------------------------------------------
# Each was used against a pickle scanner or is a known gadget of these packages. The
# generator asks its walk (with module seeds off) and fails if one is not dangerous.
MUST_CATCH = [
    ("uuid", "_get_command_stdout"),
    ("_osx_support", "_read_output"),
    ("_osx_support", "_find_build_tool"),
    ("logging.config", "dictConfig"),
    ("logging.config", "fileConfig"),
    ("logging.config", "listen"),
    ("logging.config", "DictConfigurator.configure"),
    ("logging", "FileHandler"),
    ("joblib.externals.cloudpickle", "load"),
    ("joblib.externals.cloudpickle.cloudpickle", "_make_function"),
    ("joblib.externals.loky.backend.popen_loky_posix", "Popen"),
    ("joblib.externals.loky.backend.spawn", "prepare"),
    ("joblib.numpy_pickle_compat", "load_compatibility"),
    ("joblib.numpy_pickle", "load"),
    ("joblib", "load"),
    ("joblib", "dump"),
    ("sklearn.utils._testing", "assert_run_python_script"),
    ("sklearn.utils._testing", "create_memmap_backed_data"),
    ("numpy", "save"),
    ("numpy", "savetxt"),
    ("numpy", "savez"),
    ("numpy", "load"),
    ("numpy", "ndarray.tofile"),
    ("numpy", "memmap"),
    ("numpy.lib.format", "open_memmap"),
    ("_frozen_importlib", "_gcd_import"),
    ("_frozen_importlib_external", "SourceFileLoader.load_module"),
    ("importlib", "import_module"),
    ("_imp", "create_dynamic"),
    ("timeit", "timeit"),
    ("timeit", "Timer"),
    ("cProfile", "Profile.run"),
    ("profile", "Profile.runctx"),
    ("bdb", "Bdb.run"),
    ("pdb", "run"),
    ("pydoc", "locate"),
    ("pydoc", "pipepager"),
    ("code", "InteractiveInterpreter.runsource"),
    ("code", "InteractiveInterpreter.runcode"),
    ("code", "InteractiveConsole.push"),
    ("trace", "Trace.run"),
    ("runpy", "run_path"),
    ("pickle", "loads"),
    ("pickle", "load"),
    ("pickle", "_loads"),
    ("shelve", "open"),
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "Popen"),
    ("subprocess", "check_output"),
    ("pty", "spawn"),
    ("shutil", "rmtree"),
    ("tempfile", "mkstemp"),
    ("ctypes", "CDLL"),
    ("socket", "create_connection"),
    ("http.client", "HTTPConnection.connect"),
    ("webbrowser", "GenericBrowser.open"),
    ("zipfile", "ZipFile"),
    ("tarfile", "TarFile.extractall"),
    ("distutils.spawn", "spawn"),
    ("multiprocessing.popen_fork", "Popen"),
    ("builtins", "exec"),
    ("builtins", "eval"),
    ("builtins", "open"),
    ("builtins", "__import__"),
]

# ---- the safe list's review ------------------------------------------------------------------
# Harvested names the walk finds dangerous but that real files name: the engine narrows
# them with an argument rule, so they are emitted DANGEROUS with the rule named.
ENGINE_RULED = {
    ("numpy.core.memmap", "memmap"):
        "creates or overwrites files; acceptable only as a joblib wrapper's subclass value (engine rule)",
    ("numpy", "memmap"):
        "creates or overwrites files; acceptable only as a joblib wrapper's subclass value (engine rule)",
    ("builtins", "getattr"):
        "looks up any attribute; a safe object's method by a plain name is judged as Class.name (engine rule)",
}

# Classes the walk finds harmless to build and restore but that are not model state: it
# cannot follow where they lead (joblib's backends are chosen at run time). Never SAFE.
NEVER_SAFE = {
    ("sklearn.utils.parallel", "Parallel"): "starts worker processes through joblib's backends",
}

# Reasons for harvested names the walk cannot read (C functions) or whose arguments the
# engine narrows; every other harvested name gets a reason from its kind.
SAFE_REASONS = {
    ("_codecs", "encode"): "encodes text to bytes (the engine checks the codec)",
    ("copyreg", "_reconstructor"): "builds an object of the class it is given (the engine judges that class)",
    ("copyreg", "__newobj__"): "builds an object of the class it is given (the engine judges that class)",
    ("copyreg", "__newobj_ex__"): "builds an object of the class it is given (the engine judges that class)",
    ("numpy.core.multiarray", "_reconstruct"):
        "rebuilds an array of the ndarray subclass it is given (the engine judges the class)",
    ("numpy.core.multiarray", "scalar"): "rebuilds a numpy scalar from a dtype and bytes",
    ("numpy.core.numeric", "_frombuffer"): "rebuilds an array from a buffer, dtype and shape",
    ("numpy.ma.core", "_mareconstruct"):
        "rebuilds a masked array of the classes it is given (the engine judges them)",
    ("numpy.random._pickle", "__randomstate_ctor"):
        "rebuilds a RandomState from a fixed table of bit generator names",
    ("numpy.random._pickle", "__generator_ctor"):
        "rebuilds a Generator from a fixed table of bit generator names",
    ("numpy.random._pickle", "__bit_generator_ctor"):
        "rebuilds a bit generator from a fixed table of names",
    ("joblib.numpy_pickle", "NumpyArrayWrapper"): "joblib array wrapper: the loader reads its payload",
}
