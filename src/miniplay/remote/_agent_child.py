"""The agent's module runner: one module run in a forked child, its output, its result.

Takes/Gives: `Module` (a cached source), `Spec` (one run request), `spawn` (fork a child
running a spec) and `Child` (its pipes and exit status), `run_here` (a run inside the
agent, no fork), the result parsing Ansible does (`parse_result`), small shared helpers.
Raises: nothing to the agent; a module's crash is its failed result.

Part of the agent (see agent.py): inlined into it when it is sent to a host, so standard
library only, Python >= 3.8, and never an import of miniplay.
"""

from __future__ import annotations

import binascii
import builtins
import contextlib
import io
import json
import os
import shlex
import signal
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the agent must also run on Python 3.8
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
        self.rlimit_nofile = int(frame.get("rlimit_nofile") or 0)
        self.in_agent = bool(frame.get("in_agent")) and self.style == "json" and (
            self.async_seconds == 0 and self.timeout is None and not self.rlimit_nofile)


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


def args_text(spec: Spec) -> str:
    """The arguments file's text: JSON, or for an old-style module the shell-quoted
    `key=value` words ansible-core writes (each followed by a space)."""
    if spec.style != "old":
        return spec.args_json
    args = json.loads(spec.args_json)
    return "".join(f"{key}={shlex.quote(str(value))} " for key, value in args.items())


def limit_files(wanted: int) -> None:
    """`ansible_python_module_rlimit_nofile`: the soft limit of open files, at most the
    hard one, as ansible-core's module wrapper sets it."""
    if wanted <= 0:
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    chosen = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
    if chosen != soft:
        with contextlib.suppress(ValueError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (chosen, hard))


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
            limit_files(spec.rlimit_nofile)
            os._exit(run_in_process(spec.module, spec.args_json))
        assert workdir is not None, "a WANT_JSON module needs a work directory"
        path = spec.module.path or module_file(spec.module, workdir)
        args_path = os.path.join(workdir, f"args-{os.getpid()}.json")
        write_file(args_path, args_text(spec).encode("utf-8"), 0o600)
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
