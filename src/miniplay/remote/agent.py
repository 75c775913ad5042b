"""miniplay's host agent: runs modules for the controller over stdin/stdout.

Takes: newline-delimited JSON request frames ``{"id": n, "op": ...}`` on stdin.
Gives: one reply frame ``{"id": n, ...}`` per request on stdout, in completion order
(requests overlap; the controller matches replies by id). Ops: ``hello``, ``run``,
``put_file``, ``fetch_file``, ``shutdown``. Raises: nothing; a bad request gets
``{"id": n, "error": text}`` and the agent carries on. EOF on stdin ends the agent.

Why this shape: it is sent to the host on the command line and must run on any
Python >= 3.8 with the standard library only (it never imports miniplay: the lines marked
``# miniplay: inline`` are replaced by `_agent_child.py` and `_agent_jobs.py` when it is
sent, see `miniplay.inline`). One
single-threaded `selectors` loop serves every request; each module runs in a forked
child in its own process group, so a crash, ``sys.exit`` or a hang never reaches the
agent. JSON-style Python modules are run in the fork itself (no new interpreter, about
1 ms); WANT_JSON modules are exec'd with an args file. Async jobs double-fork into their
own session, write Ansible-compatible status files and outlive the agent.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import sys
import time

from miniplay.remote._agent_child import (  # miniplay: inline
    Child,
    Module,
    Spec,
    b64decode,
    b64encode,
    make_dir,
    module_file,
    run_here,
    sha256_hex,
    spawn,
    write_file,
)
from miniplay.remote._agent_jobs import launch  # miniplay: inline

# Start-up is paid once per host, and on a busy host by all of them at once: the agent
# imports only what its loop needs; the rest (tempfile, shutil, traceback, hashlib) is
# imported where used, and what modules import is preloaded per module (`preload_for`).
TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the agent must also run on Python 3.8
    from collections.abc import Callable
    from typing import Any

    JSON = dict[str, Any]

CHUNK = 65536


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
        # capped: poll() takes at most ~24 days in milliseconds (timeout: 100000000)
        return min(86400.0, max(0.0, min(deadlines) - time.monotonic())) if deadlines else None

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
