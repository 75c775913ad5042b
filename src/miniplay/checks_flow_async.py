"""Data-flow checks of async jobs: which job an `async_status` waits for, and whether it can.

Takes (from `checks_flow`, task by task in run order): each task's registration (with
its `async`/`poll`), each `async_status` task's `jid` reads, each read of `async_jid`.
Gives: `Diagnostic`s —

    async-status-jid   (warning) `jid` names the register of a task that is not async,
                       or that was awaited with `poll > 0` (its status file is gone)
    async-jid-no-job   (warning) `async_jid` is read but no earlier task starts a job
    miniplay-extension (note)    `async_jid` is miniplay's; Ansible has no such variable
    unchecked-job      (note)    a `poll: 0` job no later `async_status` looks at

Raises: nothing.

Why: in Ansible a `poll > 0` task deletes its job's status file when it finishes, so an
`async_status` on it fails "could not find job"; `async_jid` does not exist there at all
(spec section 10). Both are cheap to see statically and costly to find in a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from miniplay.errors import Position
from miniplay.loader import YamlMap
from miniplay.schema import Diagnostic

DEFAULT_POLL = 15  # ANSIBLE_POLL_INTERVAL's default: a task with `async` and no `poll` waits
ASYNC_JID = "async_jid"


@dataclass(slots=True)
class Job:
    """What a register holds as far as async goes."""

    register: str | None
    is_async: bool
    poll: int | None  # None: templated, unknown here
    pos: Position
    checked: bool = False


def _number(value: Any, default: int | None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def job_of(node: YamlMap) -> Job | None:
    """The async facts of a task that registers or starts a job (None: neither)."""
    if node.get("when") is False:  # never runs: starts no job, registers a skip
        return None
    register = node.get("register")
    register = register if isinstance(register, str) else None
    seconds = _number(node.get("async"), 0)
    is_async = "async" in node and seconds != 0
    if register is None and not is_async:
        return None
    poll = _number(node.get("poll"), DEFAULT_POLL) if is_async else None
    pos = node.key_pos.get("poll") or node.key_pos.get("async") or node.key_pos.get(
        "register") or node.pos
    return Job(register, is_async, poll, pos)


class AsyncTracker:
    """Jobs started so far in one playbook, in run order, and what was said about them."""

    def __init__(self) -> None:
        self.by_register: dict[str, Job] = {}
        self.last: Job | None = None
        self.started: list[Job] = []
        self.found: list[Diagnostic] = []

    def task_done(self, node: YamlMap) -> None:
        """Record what a task registers and whether it started a job."""
        job = job_of(node)
        if job is None:
            return
        if job.register is not None:
            self.by_register[job.register] = job
        if job.is_async:
            self.last = job
            self.started.append(job)

    def forget_pending(self) -> None:
        """Something unknowable ran (a templated include, a role): it may check any job."""
        for job in self.started:
            job.checked = True

    def status_reads(self, roots: set[str], where: Position, cleanup: bool) -> None:
        """An `async_status` whose `jid` starts from the variables `roots`."""
        for root in sorted(roots):
            job = self.last if root == ASYNC_JID else self.by_register.get(root)
            if job is None:
                continue
            job.checked = True
            self._judge(root, job, where, cleanup)

    def marks_checked(self, names: set[str]) -> None:
        """An `async_status` task reads `names` anywhere (jid, loop, vars): their jobs
        count as checked."""
        for name in names:
            job = self.last if name == ASYNC_JID else self.by_register.get(name)
            if job is not None:
                job.checked = True

    def _judge(self, root: str, job: Job, where: Position, cleanup: bool) -> None:
        label = "async_jid" if root == ASYNC_JID else f"`{root}`"
        origin = f"{job.pos}"
        if not job.is_async:
            self.found.append(Diagnostic(
                "async-status-jid", "warning", f"async_status jid refers to {label}, "
                f"registered at {origin}, which is not an async task: it has no job id",
                where, "add `async: SECONDS` and `poll: 0` to that task"))
        elif job.poll is not None and job.poll > 0 and not cleanup:
            self.found.append(Diagnostic(
                "async-status-jid", "warning", f"async_status jid refers to {label}, whose "
                f"job (at {origin}) was awaited with poll > 0, its status file is already "
                "cleaned up in Ansible; use poll: 0", where,
                "with poll > 0 the task already waited: use its registered result directly"))

    def jid_read(self, where: Position, opaque: bool) -> None:
        """`async_jid` read at `where`: always a portability note, a warning with no job."""
        self.found.append(Diagnostic(
            "miniplay-extension", "note", "async_jid is a miniplay extension; use register "
            "+ .ansible_job_id for Ansible", where,
            "register the async task (`register: job`) and use `{{ job.ansible_job_id }}`"))
        if self.last is None and not opaque:
            self.found.append(Diagnostic(
                "async-jid-no-job", "warning", f"async_jid is used at {where} but no earlier "
                "task starts an async job", where,
                "start the job first: a task with `async: SECONDS` and `poll: 0`"))

    def unchecked(self) -> list[Diagnostic]:
        """An `unchecked-job` note per `poll: 0` job nothing looked at afterwards."""
        notes: list[Diagnostic] = []
        for job in self.started:
            if job.checked or job.poll != 0:
                continue
            what = f"`{job.register}`" if job.register else "async_jid"
            hint = (f"add `async_status: {{jid: \"{{{{ {job.register}.ansible_job_id }}}}\"}}` "
                    "later (with `until: ... is finished`), or `mode: cleanup`"
                    if job.register else "register the task and check the job with "
                    "async_status later")
            notes.append(Diagnostic(
                "unchecked-job", "note", f"this job (poll: 0) is never checked: no later "
                f"async_status reads {what}", job.pos, hint))
        return notes
