"""The agent's async jobs: detached processes that outlive the agent and the connection.

Takes: a `Spec` with ``async_seconds`` > 0. Gives: `launch` (double-fork the job into its
own session; the read end of a pipe that carries its jid once its status file exists),
the job wrapper (runs the module as a child, kills its process group at the time limit,
writes Ansible-compatible status files atomically, 0600 in a 0700 directory, and a
``.<jid>.meta`` sidecar for `miniplay jobs`). Raises: nothing to the agent.

Part of the agent (see agent.py): inlined into it when it is sent to a host.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import time

from miniplay.remote._agent_child import (  # miniplay: inline
    Child,
    Spec,
    make_dir,
    spawn,
    trace,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the agent must also run on Python 3.8
    from typing import Any, NoReturn

    JSON = dict[str, Any]


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
