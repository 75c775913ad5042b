"""miniplay's host agent: runs modules for the controller over stdin/stdout.

Takes: newline-delimited JSON request frames ``{"id": n, "op": ...}`` on stdin.
Gives: one reply frame ``{"id": n, ...}`` per request on stdout, in completion order
(requests overlap; the controller matches replies by id). Ops: ``hello``, ``run``,
``put_file``, ``fetch_file``, ``shutdown``. Raises: nothing; a bad request gets
``{"id": n, "error": text}`` and the agent carries on. EOF on stdin ends the agent.

Why this shape: it is sent to the host on the command line and must run on any
Python >= 3.8 with the standard library only (it never imports miniplay). One
single-threaded `selectors` loop serves every request; each module runs in a forked
child in its own process group, so a crash, ``sys.exit`` or a hang never reaches the
agent. JSON-style Python modules are run in the fork itself (no new interpreter, about
1 ms); WANT_JSON modules are exec'd with an args file. Async jobs double-fork into their
own session, write Ansible-compatible status files and outlive the agent.
"""

from __future__ import annotations

import binascii
import builtins
import contextlib
import io
import json
import os
import selectors
import signal
import sys
import time

# Start-up is paid once per host, and on a busy host by all of them at once: the agent
# imports only what its loop needs; the rest (tempfile, shutil, traceback, hashlib) is
# imported where used, and what modules import is preloaded per module (`preload_for`).
TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the agent must also run on Python 3.8
    from collections.abc import Callable
    from types import CodeType
    from typing import Any, NoReturn

    JSON = dict[str, Any]
CHUNK = 65536


def trace() -> str:
    """The current exception's traceback, as text (traceback is imported only here)."""
    import traceback

    return traceback.format_exc()


def sha256_hex(data: bytes) -> str:
    """SHA-256 without importing hashlib (which loads OpenSSL: ~5 ms per agent start)."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]  # Python <= 3.11
    except ImportError:
        from hashlib import sha256
    return str(sha256(data).hexdigest())


def b64decode(text: str) -> bytes:
    return binascii.a2b_base64(text)


def b64encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def make_dir(prefix: str) -> str:
    """A new private (0700) directory under the temporary directory."""
    import tempfile

    return tempfile.mkdtemp(prefix=prefix)


class Module:
    """One cached module: its source, compiled lazily, written to disk lazily."""

    def __init__(self, name: str, digest: str, source: bytes) -> None:
        self.name = name
        self.digest = digest
        self.source = source
        self.code: CodeType | None = None
        self.path: str | None = None


class Spec:
    """Everything a child needs to run one module."""

    def __init__(self, module: Module, frame: JSON) -> None:
        self.module = module
        self.style = str(frame.get("style") or "json")
        args = dict(frame.get("args") or {})
        args["_ansible_check_mode"] = bool(frame.get("check_mode"))
        args["_ansible_diff"] = bool(frame.get("diff"))
        args["_ansible_no_log"] = bool(frame.get("no_log"))
        # the frame names the module: a cached source may be shared (shell.py -> command.py)
        args["_ansible_module_name"] = str(frame.get("module") or module.name)
        self.args_json = json.dumps(args)
        self.env = {str(k): str(v) for k, v in (frame.get("environment") or {}).items()}
        self.timeout: float | None = frame.get("timeout")
        self.async_seconds = int(frame.get("async_seconds") or 0)
        self.async_dir: str | None = frame.get("async_dir")
        self.launched: float | None = None  # when the agent launched it (async jobs)
        self.in_agent = bool(frame.get("in_agent")) and self.style == "json" and (
            self.async_seconds == 0 and self.timeout is None)


# ---------------------------------------------------------------- module output


def filter_json(text: str) -> tuple[str, list[str]]:
    """Drop lines before the first ``{`` line and after the last ``}`` line."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("{")), None)
    if start is None:
        raise ValueError("No start of json char found")
    lines = lines[start:]
    end = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip().endswith("}")), None)
    if end is None:
        raise ValueError("No end of json char found")
    junk = lines[end + 1 :]
    warnings = []
    if any(line.strip() for line in junk):
        warnings.append("Module invocation had junk after the JSON data: " + "\n".join(junk))
    return "\n".join(lines[: end + 1]), warnings


def parse_result(out: bytes, err: bytes, rc: int) -> JSON:
    """The module's JSON result, or Ansible's failed result for unparsable output."""
    stdout = out.decode("utf-8", "replace")
    stderr = err.decode("utf-8", "replace")
    try:
        text, warnings = filter_json(stdout)
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("module result is not a JSON object")
    except ValueError as exc:
        return {"failed": True, "msg": f"Module result deserialization failed: {exc}",
                "module_stdout": stdout, "module_stderr": stderr, "rc": rc}
    if warnings:
        data["warnings"] = list(data.get("warnings") or []) + warnings
    return data


def exit_code(status: int) -> int:
    """A waitpid status as subprocess reports it: exit code, or -signal."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


# ---------------------------------------------------------------- in the child


def write_file(path: str, data: bytes, mode: int) -> None:
    """Write `path` atomically: a temp file beside it, then rename."""
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".miniplay-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def module_file(module: Module, directory: str) -> str:
    """Write the module's source to `directory` (executable) and return its path."""
    path = os.path.join(directory, f"{module.name}-{module.digest[:16]}")
    write_file(path, module.source, 0o700)
    return path


def exec_code(module: Module) -> int:
    """Execute a JSON-style module's code as ``__main__`` with the current sys.stdin,
    sys.stdout and sys.stderr; its exit code (``sys.exit`` and crashes included)."""
    if module.code is None:
        module.code = compile(module.source, module.name + ".py", "exec")
    sys.argv = [module.name + ".py"]
    scope = {"__name__": "__main__", "__builtins__": builtins, "__file__": sys.argv[0]}
    rc = 0
    try:
        exec(module.code, scope)
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            rc = stop.code or 0
        else:
            sys.stderr.write(f"{stop.code}\n")
            rc = 1
    except BaseException:
        sys.stderr.write(trace())
        rc = 1
    return rc


def run_in_process(module: Module, args_json: str) -> int:
    """Run a JSON-style Python module in this (forked) process; its exit code."""
    sys.stdin = io.TextIOWrapper(io.BytesIO(args_json.encode("utf-8")), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8")
    rc = exec_code(module)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    return rc


def run_here(spec: Spec) -> JSON:
    """Run a module inside the agent itself, without a fork; its result.

    Only for what the controller marks ``in_agent``: miniplay's own quick, read-mostly
    modules (async_status, polled hundreds of times per run). A fork costs the host
    ~5-10 ms of CPU; this costs well under one. The agent's stdio, argv and environment
    are restored afterwards.
    """
    saved = (sys.stdin, sys.stdout, sys.stderr, sys.argv)
    old_env = {key: os.environ.get(key) for key in spec.env}
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.update(spec.env)
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(spec.args_json), out, err
        rc = exec_code(spec.module)
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved
        for key, value in old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return parse_result(out.getvalue().encode("utf-8"), err.getvalue().encode("utf-8"), rc)


def exec_module(spec: Spec, out_fd: int, err_fd: int, workdir: str | None) -> NoReturn:
    """In a fresh fork: own process group, pipes on fd 1/2, then run the module."""
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.environ.update(spec.env)
        if spec.style == "json":
            os._exit(run_in_process(spec.module, spec.args_json))
        assert workdir is not None, "a WANT_JSON module needs a work directory"
        path = spec.module.path or module_file(spec.module, workdir)
        args_path = os.path.join(workdir, f"args-{os.getpid()}.json")
        write_file(args_path, spec.args_json.encode("utf-8"), 0o600)
        argv = [path] if spec.module.source.startswith(b"#!") else [sys.executable, path]
        for name in ("SIGPIPE", "SIGXFSZ"):  # Python ignores these; programs expect defaults
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        os.execv(argv[0], [*argv, args_path])
    except BaseException:
        os.write(2, trace().encode("utf-8", "replace"))
    os._exit(1)


def spawn(spec: Spec, workdir: str | None) -> Child:
    """Fork a child running `spec`; the parent gets its pid and pipe ends."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.close(err_r)
        exec_module(spec, out_w, err_w, workdir)
    os.close(out_w)
    os.close(err_w)
    return Child(pid, out_r, err_r)


class Child:
    """A module process and the output collected from it so far."""

    def __init__(self, pid: int, out_fd: int, err_fd: int) -> None:
        self.pid = pid
        self.buffers: dict[int, bytearray] = {out_fd: bytearray(), err_fd: bytearray()}
        self.out_fd = out_fd
        self.err_fd = err_fd
        self.open = {out_fd, err_fd}
        self.status: int | None = None
        for fd in self.open:
            os.set_blocking(fd, False)

    def read(self, fd: int) -> bool:
        """Read what `fd` has; False once it reached EOF (and was closed)."""
        while True:
            try:
                data = os.read(fd, CHUNK)
            except BlockingIOError:
                return True
            if not data:
                self.open.discard(fd)
                os.close(fd)
                return False
            self.buffers[fd] += data

    def reap(self) -> bool:
        """True once the process has exited (its status recorded)."""
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is not None

    def kill(self) -> None:
        """SIGKILL the child's whole process group."""
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)

    def close(self) -> None:
        for fd in list(self.open):
            self.open.discard(fd)
            os.close(fd)

    def result(self) -> JSON:
        rc = exit_code(self.status or 0)
        return parse_result(bytes(self.buffers[self.out_fd]), bytes(self.buffers[self.err_fd]), rc)

    def stderr(self) -> str:
        return bytes(self.buffers[self.err_fd]).decode("utf-8", "replace")


# ---------------------------------------------------------------- async jobs


def write_status(path: str, data: JSON) -> None:
    """Write a job status file: ``<jid>.tmp`` (0600), then rename."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        json.dump(data, handle)
    os.rename(tmp, path)


def write_meta(directory: str, jid: str, spec: Spec, pgid: int) -> None:
    """`.<jid>.meta`: what `miniplay jobs` shows (module, start, limit, process group).

    Kept beside, not inside, the status file so that file stays what ansible-core writes.
    """
    name = json.loads(spec.args_json).get("_ansible_module_name", spec.module.name)
    meta = {"jid": jid, "module": name, "started": spec.launched or time.time(),
            "async": spec.async_seconds, "wrapper_pid": os.getpid(), "pgid": pgid}
    with contextlib.suppress(OSError):
        write_status(os.path.join(directory, "." + jid + ".meta"), meta)


def async_dir(spec: Spec) -> str:
    """The job directory: the request's, else $ANSIBLE_ASYNC_DIR, else ~/.ansible_async."""
    chosen = spec.async_dir or os.environ.get("ANSIBLE_ASYNC_DIR") or "~/.ansible_async"
    return os.path.abspath(os.path.expanduser(chosen))


def watch(child: Child, seconds: int) -> bool:
    """Collect `child` until it exits; kill its group at `seconds`. True if timed out."""
    deadline = time.monotonic() + seconds
    sel = selectors.DefaultSelector()
    for fd in child.open:
        sel.register(fd, selectors.EVENT_READ)
    while not child.reap():
        left = deadline - time.monotonic()
        if left <= 0:
            child.kill()
            os.waitpid(child.pid, 0)
            return True
        for key, _ in sel.select(min(left, 0.1)):
            if not child.read(int(key.fd)):
                sel.unregister(key.fd)
    for fd in list(child.open):
        child.read(fd)
    return False


def job_result(child: Child, seconds: int) -> JSON:
    """The record a finished (or killed) job leaves in its status file."""
    if watch(child, seconds):
        return {"failed": True, "msg": "Timeout exceeded", "child_pid": child.pid}
    result = child.result()
    err = child.stderr()
    if err and "stderr" not in result:
        result["stderr"] = err
    return result


def detach() -> None:
    """Point stdio at /dev/null and close every other inherited descriptor."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, 1024)


def job_wrapper(spec: Spec, number: int, notify: int) -> NoReturn:
    """The detached job: running record, notify the agent, run the module, final record."""
    jid = f"j{number}.{os.getpid()}"
    try:
        directory = async_dir(spec)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        path = os.path.join(directory, jid)
        write_status(path, {"started": True, "finished": False, "ansible_job_id": jid})
    except BaseException:
        os.write(notify, json.dumps({"error": trace()}).encode("utf-8"))
        os._exit(1)
    with contextlib.suppress(OSError):  # the agent may be gone already: run the job anyway
        os.write(notify, json.dumps({"ansible_job_id": jid, "results_file": path}).encode())
    detach()
    workdir = None
    try:
        if spec.style != "json":  # only exec'd modules need files
            workdir = make_dir("miniplay-job-")
        spec.env["ANSIBLE_ASYNC_DIR"] = directory
        spec.module.path = None  # the agent's cached copy may vanish with the agent
        child = spawn(spec, workdir)
        write_meta(directory, jid, spec, child.pid)
        write_status(path, job_result(child, spec.async_seconds))
    except BaseException:
        record = {"failed": True, "msg": trace(), "ansible_job_id": jid}
        write_status(path, record)
    if workdir is not None:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    os._exit(0)


def launch(spec: Spec) -> int:
    """Double-fork a job into its own session; the read end of its notify pipe."""
    number = int.from_bytes(os.urandom(8), "big") % 1000000000000
    spec.launched = time.time()  # the order of launch, whichever wrapper writes first
    notify_r, notify_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(notify_r)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.set_wakeup_fd(-1)
            os.setsid()
            if os.fork() == 0:
                job_wrapper(spec, number, notify_w)
        finally:
            os._exit(0)
    os.close(notify_w)
    os.waitpid(pid, 0)
    return notify_r


# ---------------------------------------------------------------- the agent loop


class Run:
    """A synchronous module run the agent is waiting on."""

    def __init__(self, rid: Any, child: Child, timeout: float | None,
                 args_path: str | None) -> None:
        self.rid = rid
        self.child = child
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.timed_out = False
        self.args_path = args_path

    def result(self) -> JSON:
        if not self.timed_out:
            return self.child.result()
        period = self.timeout or 0
        shown = int(period) if float(period).is_integer() else period
        return {"failed": True, "msg": f"Task failed: Timed out after {shown} second(s).",
                "timedout": {"period": shown}}


def sigchld(signum: int, frame: Any) -> None:
    """No-op: the wakeup fd is what tells the loop a child exited."""


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Agent:
    """The request loop: one selector for stdin, child pipes, launch pipes, SIGCHLD."""

    def __init__(self) -> None:
        self.sel = selectors.DefaultSelector()
        self.modules: dict[str, Module] = {}
        self.runs: dict[int, Run] = {}
        self.outputs: dict[int, Run] = {}
        self.launches: dict[int, tuple[Any, bytearray]] = {}
        self.inbuf = bytearray()
        self.running = True
        self._workdir: str | None = None
        wake_r, wake_w = os.pipe()
        for fd in (wake_r, wake_w):
            os.set_blocking(fd, False)
        signal.signal(signal.SIGCHLD, sigchld)
        signal.set_wakeup_fd(wake_w)
        self.sel.register(0, selectors.EVENT_READ, self.on_stdin)
        self.sel.register(wake_r, selectors.EVENT_READ, self.on_wakeup)
        self.ops: dict[str, Callable[[Any, JSON], None]] = {
            "hello": self.op_hello, "run": self.op_run, "put_file": self.op_put_file,
            "fetch_file": self.op_fetch_file, "shutdown": self.op_shutdown}

    def serve(self) -> None:
        try:
            while self.running:
                for key, _ in self.sel.select(self.next_timeout()):
                    if self.sel.get_map().get(key.fd) is key:  # not closed by an earlier event
                        key.data(key.fd)
                self.check_deadlines()
        finally:
            self.stop()

    def send(self, frame: JSON) -> None:
        data = memoryview(json.dumps(frame).encode("utf-8") + b"\n")
        try:
            while data:
                data = data[os.write(1, data):]
        except OSError:
            self.running = False

    # ------------------------------------------------------------ events

    def on_stdin(self, fd: int) -> None:
        data = os.read(fd, CHUNK)
        if not data:
            self.running = False
            return
        self.inbuf += data
        if b"\n" not in data:
            return
        *lines, rest = bytes(self.inbuf).split(b"\n")
        self.inbuf = bytearray(rest)
        for line in lines:
            if self.running and line.strip():
                self.handle(line)

    def handle(self, line: bytes) -> None:
        rid = None
        try:
            frame = json.loads(line)
            rid = frame.get("id")
            op = self.ops.get(frame.get("op"))
            if op is None:
                raise ValueError(f"unknown op {frame.get('op')!r}")
            op(rid, frame)
        except Exception as exc:
            self.send({"id": rid, "error": f"{type(exc).__name__}: {exc}"})

    def on_output(self, fd: int) -> None:
        run = self.outputs[fd]
        self.drain(run, fd)
        if not run.child.open and run.child.reap():
            self.finish(run)

    def drain(self, run: Run, fd: int) -> None:
        """Read what is waiting on `fd`; forget the fd once it reaches EOF."""
        if not run.child.read(fd):  # EOF: read() closed it; the selector tolerates that
            self.sel.unregister(fd)
            del self.outputs[fd]

    def on_wakeup(self, fd: int) -> None:
        try:
            while os.read(fd, CHUNK):
                pass
        except BlockingIOError:
            pass
        for run in list(self.runs.values()):
            if run.child.reap():
                for out in list(run.child.open):
                    self.drain(run, out)
                self.finish(run)

    def on_notify(self, fd: int) -> None:
        data = os.read(fd, CHUNK)
        rid, buf = self.launches[fd]
        if data:
            buf += data
            return
        self.sel.unregister(fd)
        os.close(fd)
        del self.launches[fd]
        info = json.loads(bytes(buf) or b'{"error": "job wrapper died before starting"}')
        if "error" in info:
            self.send({"id": rid, "result": {"failed": True, "msg": info["error"]}})
            return
        info.update(started=True, finished=False, changed=True, failed=False)
        self.send({"id": rid, "result": info})

    # ------------------------------------------------------------ runs

    def next_timeout(self) -> float | None:
        deadlines = [r.deadline for r in self.runs.values() if r.deadline and not r.timed_out]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def check_deadlines(self) -> None:
        now = time.monotonic()
        for run in self.runs.values():
            if run.deadline is not None and not run.timed_out and now >= run.deadline:
                run.timed_out = True
                run.child.kill()

    def finish(self, run: Run) -> None:
        self.runs.pop(run.child.pid, None)
        for fd in list(run.child.open):
            self.sel.unregister(fd)
            del self.outputs[fd]
        run.child.close()
        if run.args_path is not None and os.path.exists(run.args_path):
            os.unlink(run.args_path)
        self.send({"id": run.rid, "result": run.result()})

    def stop(self) -> None:
        for run in list(self.runs.values()):
            run.child.kill()
            os.waitpid(run.child.pid, 0)
            run.child.close()
        if self._workdir is not None:
            import shutil

            shutil.rmtree(self._workdir, ignore_errors=True)

    @property
    def workdir(self) -> str:
        """Where exec'd (WANT_JSON, binary) modules and their args files go; made on
        first use, since JSON-style modules run in the fork and need no files."""
        if self._workdir is None:
            self._workdir = make_dir("miniplay-agent-")
        return self._workdir

    # ------------------------------------------------------------ ops

    def op_hello(self, rid: Any, frame: JSON) -> None:
        version = ".".join(str(part) for part in sys.version_info[:3])
        self.send({"id": rid, "python": version, "pid": os.getpid(),
                   "home": os.path.expanduser("~")})

    def op_run(self, rid: Any, frame: JSON) -> None:
        module = self.module(frame)
        if module is None:
            self.send({"id": rid, "need_source": True})
            return
        spec = Spec(module, frame)
        if spec.style == "json" and module.code is None:
            # on a syntax error the child compiles again and reports the traceback
            with contextlib.suppress(SyntaxError, ValueError):
                module.code = compile(module.source, module.name + ".py", "exec")
        elif spec.style != "json" and module.path is None:
            module.path = module_file(module, self.workdir)
        if spec.in_agent:
            self.send({"id": rid, "result": run_here(spec)})
            return
        if spec.async_seconds > 0:
            fd = launch(spec)
            self.launches[fd] = (rid, bytearray())
            self.sel.register(fd, selectors.EVENT_READ, self.on_notify)
            return
        workdir = None if spec.style == "json" else self.workdir
        child = spawn(spec, workdir)
        args_path = None if workdir is None else os.path.join(workdir, f"args-{child.pid}.json")
        self.runs[child.pid] = Run(rid, child, spec.timeout, args_path)
        for fd in child.open:
            self.outputs[fd] = self.runs[child.pid]
            self.sel.register(fd, selectors.EVENT_READ, self.on_output)

    def module(self, frame: JSON) -> Module | None:
        digest = str(frame["hash"])
        if frame.get("source") is not None:
            source = b64decode(frame["source"])
            if sha256_hex(source) != digest:
                raise ValueError(f"source of module {frame['module']!r} does not match its hash")
            self.modules[digest] = Module(str(frame["module"]), digest, source)
            preload_for(source)
        return self.modules.get(digest)

    def op_put_file(self, rid: Any, frame: JSON) -> None:
        dest = os.path.expanduser(str(frame["dest"]))
        mode = frame.get("mode")
        if mode is None:
            exists = os.path.exists(dest)
            mode = os.stat(dest).st_mode & 0o7777 if exists else 0o666 & ~umask()
        write_file(dest, b64decode(frame["data"]), int(mode))
        self.send({"id": rid, "ok": True})

    def op_fetch_file(self, rid: Any, frame: JSON) -> None:
        with open(os.path.expanduser(str(frame["src"])), "rb") as handle:
            data = handle.read()
        self.send({"id": rid, "data": b64encode(data)})

    def op_shutdown(self, rid: Any, frame: JSON) -> None:
        self.send({"id": rid, "ok": True})
        self.running = False


def imported_names(source: bytes) -> list[str]:
    """The modules `source` imports at top level (``import a, b.c`` / ``from d import e``)."""
    found: list[str] = []
    for line in source.decode("utf-8", "replace").splitlines():
        code = line.split("#", 1)[0].rstrip()
        if code.startswith("import "):
            found += [part.split(" as ")[0].strip() for part in code[7:].split(",")]
        elif code.startswith("from ") and " import " in code:
            found.append(code[5:].split(" import ")[0].strip())
    return [name for name in found if name and not name.startswith(".")]


def preload_for(source: bytes) -> None:
    """Import, here in the agent, the standard-library modules a module imports.

    Why: modules run in forks of the agent, so whatever the agent has imported every later
    run of any module gets for free (~30 ms of host CPU per task for `command`), while
    importing on demand keeps the agent's own start cheap. Only standard-library names
    are imported (a library module's own dependencies could start threads or hold
    sockets that a fork must not inherit); failures are ignored, the module will report
    them itself. Python < 3.10 has no list of standard modules: nothing is preloaded.
    """
    stdlib = getattr(sys, "stdlib_module_names", ())
    for name in imported_names(source):
        if name.split(".")[0] in stdlib and name not in sys.modules:
            with contextlib.suppress(Exception):
                __import__(name)


def main() -> None:
    Agent().serve()


if __name__ == "__main__":
    main()
