"""Run `jlinspect --safety --json` and read what it says (SCAN-CONTRACT.md section 2).

Understands the contract's form (one document; several files as {"files": [...]}, each
with findings that name their reading) and the form jlinspect printed before the scan
became a library (one document per file, a "globals" list without readings): for the
latter every global counts for every reading.
"""
import json
import os
import subprocess
import threading

VERDICTS = {"safe": 0, "suspicious": 1, "dangerous": 2}
EXIT_VERDICT = {0: "safe", 1: "suspicious", 2: "dangerous", 3: "invalid"}
ANY = "*"


class Result:
    def __init__(self, doc):
        self.file = doc.get("file")
        self.verdict = doc.get("verdict")
        self.error = doc.get("error")
        self.findings = doc.get("findings") or []
        self.names = {}        # reading -> {(module, name)}
        for f in self.findings:
            if "reading" in f and "module" in f:
                self.names.setdefault(f["reading"], set()).add((f["module"], f["name"]))
        if not self.names:      # the older form: globals without readings
            for g in doc.get("globals") or []:
                self.names.setdefault(ANY, set()).add((g["module"], g["name"]))
        self.doc = doc

    def has(self, reading, module, name):
        for r in (reading, ANY):
            if (module, name) in self.names.get(r, ()):
                return True
        return False

    def reports_readings(self):
        return ANY not in self.names and bool(self.names)


def parse(stdout):
    """Every top-level JSON document in stdout, flattened to per-file documents."""
    dec = json.JSONDecoder()
    i, n, docs = 0, len(stdout), []
    while i < n:
        while i < n and stdout[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        doc, i = dec.raw_decode(stdout, i)
        if isinstance(doc, dict) and "files" in doc:
            docs.extend(doc["files"])
        else:
            docs.append(doc)
    return docs


class Run:
    """One child process: exit status, output, CPU seconds and peak memory."""

    def __init__(self, cmd, timeout=60.0, mem_bytes=None, cwd=None):
        def limit():
            if mem_bytes:
                import resource
                resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=limit, cwd=cwd)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        chunks = {}

        def drain(name, stream):
            chunks[name] = stream.read()
        t = threading.Thread(target=drain, args=("err", p.stderr))
        t.start()
        out = p.stdout.read()
        t.join()
        _, status, ru = os.wait4(p.pid, 0)
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        self.status = p.returncode
        self.timed_out = not timer.is_alive() and p.returncode < 0 and timer.finished.is_set() \
            and p.returncode == -9
        self.stdout = out.decode("utf-8", "replace")
        self.stderr = chunks.get("err", b"").decode("utf-8", "replace")
        self.cpu = ru.ru_utime + ru.ru_stime
        self.maxrss = ru.ru_maxrss * 1024


def scan(jlinspect, files, timeout=120.0, mem_bytes=None, cwd=None):
    """({file: Result}, Run) for jlinspect --safety --json over files."""
    run = Run([jlinspect, "--safety", "--json"] + list(files), timeout, mem_bytes, cwd)
    results = {}
    try:
        for doc in parse(run.stdout):
            r = Result(doc)
            results[r.file] = r
    except ValueError:
        pass
    return results, run
