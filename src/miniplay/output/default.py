"""The default text output: what ansible-playbook's `default` callback prints.

Takes: the event stream (`emit(event)`), two text streams, a verbosity, a colour switch
and a terminal width. Gives: Ansible's familiar lines on `out` (banners, `ok: [h]`,
`fatal: [h]: FAILED! => {...}`, loop items, retries, async polls, PLAY RECAP) and
`[WARNING]: ...` lines on `err`. Raises: nothing (results that json cannot encode are
printed with `str`).

Why this shape: users and tools read Ansible's output; every line here follows
ansible-core 2.19's `default` callback (checked against real runs), including its
quirks: an item skip line ends in a space, a loop prints no aggregate line unless all
items were skipped, debug and non-quiet assert results are always expanded, and the
banner's stars fill `max(79, width - 1)` columns.

Event expectations: `TaskStart` precedes the results of its task (a result for another
task reprints that task's banner, as for the `free` strategy). `JobPolled` with neither
`finished` nor `failed` prints `ASYNC POLL`; with `finished` or `failed` it prints
`ASYNC OK`/`ASYNC FAILED` (a controller-side timeout is `failed=True, finished=False`).
Module `warnings` inside results are not printed here: the executor emits `Warning`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from miniplay.events import (
    Event,
    HostResult,
    ItemResult,
    JobPolled,
    JobStarted,
    Notice,
    PlaybookStart,
    PlayStart,
    Recap,
    Retrying,
    TaskStart,
    Warning,
)
from miniplay.output import callback_view, clean_debug, display_view
from miniplay.output.colors import Color, paint
from miniplay.output.diff import render_diff
from miniplay.output.origin import error_block
from miniplay.results import HostStats, TaskStatus

_STATUS_COLOR = {
    TaskStatus.OK: Color.OK,
    TaskStatus.CHANGED: Color.CHANGED,
    TaskStatus.FAILED: Color.ERROR,
    TaskStatus.SKIPPED: Color.SKIP,
    TaskStatus.UNREACHABLE: Color.UNREACHABLE,
}
_NO_LOG_LABEL = "(censored due to no_log)"


@dataclass(frozen=True, slots=True)
class _Task:
    prefix: str
    name: str
    action: str
    path: str


def dump_json(data: Any, indent: int | None) -> str:
    """JSON as Ansible's `_dump_results` writes it: sorted keys, unicode kept."""
    try:
        return json.dumps(data, indent=indent, ensure_ascii=False, sort_keys=True, default=str)
    except TypeError:  # keys of mixed types cannot be sorted
        return json.dumps(data, indent=indent, ensure_ascii=False, default=str)


def host_label(host: str, delegated_to: str | None) -> str:
    """`web01`, or `web01 -> db1` when the task ran on a delegate."""
    return f"{host} -> {delegated_to}" if delegated_to and delegated_to != host else host


INCLUDES = frozenset({"include_tasks", "include_role"})


class DefaultOutput:
    """An `EventSink` printing Ansible's default callback output."""

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        verbosity: int = 0,
        color: bool = False,
        width: int = 80,
    ) -> None:
        self.out = out
        self.err = err
        self.verbosity = verbosity
        self.color = color
        self.columns = max(79, width - 1)
        self._tasks: dict[str, _Task] = {}
        self._last_banner: str | None = None
        self._warned: set[str] = set()
        self._errors_shown: set[str] = set()
        self._free = False
        self._handlers: dict[type, Callable[[Any], None]] = {
            PlaybookStart: self._playbook_start,
            PlayStart: self._play_start,
            TaskStart: self._task_start,
            HostResult: self._host_result,
            ItemResult: self._item_result,
            Retrying: self._retrying,
            JobPolled: self._job_polled,
            JobStarted: self._job_started,
            Warning: self._warning,
            Notice: self._notice,
            Recap: self._recap,
        }

    def emit(self, event: Event) -> None:
        """Print whatever Ansible prints for `event` (some events print nothing)."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    # -- writing ---------------------------------------------------------------

    def _line(self, text: str, color: Color | None = None, stderr: bool = False) -> None:
        stream = self.err if stderr else self.out
        stream.write(paint(text, color, self.color) + "\n")

    def _banner(self, text: str) -> None:
        text = text.strip()
        stars = "*" * max(3, self.columns - len(text))
        self._line(f"\n{text} {stars}")

    def _dump(self, view: Mapping[str, Any], verbose_always: bool = False) -> str:
        always = verbose_always or view.get("_ansible_verbose_always") is True
        indent = 4 if always or self.verbosity > 2 else None
        return dump_json(display_view(view, self.verbosity), indent)

    def _is_verbose(self, view: Mapping[str, Any], verbose_always: bool) -> bool:
        wanted = self.verbosity > 0 or verbose_always
        wanted = wanted or view.get("_ansible_verbose_always") is True
        return wanted and view.get("_ansible_verbose_override") is not True

    def _ensure_banner(self, task_uid: str) -> None:
        task = self._tasks.get(task_uid)
        if task is not None and self._last_banner != task_uid:
            self._print_task_banner(task_uid, task)

    def _print_task_banner(self, uid: str, task: _Task) -> None:
        self._banner(f"{task.prefix} [{task.name}]")
        if self.verbosity >= 2 and task.path:
            self._line(f"task path: {task.path}", Color.DEBUG)
        self._last_banner = uid

    def _action(self, task_uid: str) -> str:
        task = self._tasks.get(task_uid)
        return task.action if task is not None else ""

    # -- playbook, play, task ---------------------------------------------------

    def _playbook_start(self, event: PlaybookStart) -> None:
        if self.verbosity > 1:
            self._banner(f"PLAYBOOK: {os.path.basename(event.path)}")
            self._line(f"{event.plays} plays in {event.path}")

    def _play_start(self, event: PlayStart) -> None:
        self._free = event.strategy in ("free", "host_pinned")
        name = event.name.strip()
        self._banner(f"PLAY [{name}]" if name else "PLAY")

    def _task_start(self, event: TaskStart) -> None:
        prefix = "RUNNING HANDLER" if event.is_handler else "TASK"
        task = _Task(prefix, event.name.strip(), event.action, event.path)
        self._tasks[event.uid] = task
        if not self._free:
            self._print_task_banner(event.uid, task)

    # -- results -----------------------------------------------------------------

    def _diff(self, result: Mapping[str, Any], no_log: bool) -> None:
        """`--diff`: the change as a unified diff, printed before the result line."""
        if no_log or not result.get("diff") or result.get("failed"):
            return
        text = render_diff(result["diff"], self.color)
        if text:
            self.out.write(text)

    def _host_result(self, event: HostResult) -> None:
        if event.action in INCLUDES and event.status is not TaskStatus.SKIPPED:
            return  # the grouped `included: FILE for h1, h2` line (a Notice) says it
        view = callback_view(event.result, event.action, event.no_log, event.loop)
        self._ensure_banner(event.task_uid)
        if not event.loop:
            self._diff(event.result, event.no_log)
        if event.status is TaskStatus.UNREACHABLE:
            label = host_label(event.host, event.delegated_to)
            self._line(f"fatal: [{label}]: UNREACHABLE! => {self._dump(view)}", Color.UNREACHABLE)
        else:
            has_items = event.loop and "results" in view
            view = clean_debug(view, event.action)
            if event.status is TaskStatus.FAILED:  # ansible-core cleans debug's results
                has_items = event.loop and "results" in view  # away first: a summary shows
            if event.status is TaskStatus.SKIPPED:
                self._skipped(event, view)
            elif not has_items:
                self._finished(event, view)
        if event.ignored and event.status in (TaskStatus.FAILED, TaskStatus.UNREACHABLE):
            self._line("...ignoring", Color.SKIP)

    def _skipped(self, event: HostResult, view: dict[str, Any]) -> None:
        if event.loop:
            view.pop("results", None)
        text = f"skipping: [{event.host}]"
        if self._is_verbose(view, event.verbose_always):
            text += f" => {self._dump(view, event.verbose_always)}"
        self._line(text, Color.SKIP)

    def _finished(self, event: HostResult, view: dict[str, Any]) -> None:
        """The line of a non-loop ok, changed or failed result."""
        label = host_label(event.host, event.delegated_to)
        if event.status is TaskStatus.FAILED:
            self._error_block(event.result)
            dumped = self._dump(view, event.verbose_always)
            self._line(f"fatal: [{label}]: FAILED! => {dumped}", Color.ERROR)
            return
        text = f"{event.status.label}: [{label}]"
        if self._is_verbose(view, event.verbose_always):
            text += f" => {self._dump(view, event.verbose_always)}"
        self._line(text, _STATUS_COLOR[event.status])

    def _item_result(self, event: ItemResult) -> None:
        action = self._action(event.task_uid)
        view = clean_debug(callback_view(event.result, action, event.no_log), action)
        item = _NO_LOG_LABEL if event.no_log else event.label
        self._ensure_banner(event.task_uid)
        self._diff(event.result, event.no_log)
        label = host_label(event.host, event.delegated_to)
        verbose = self._is_verbose(view, event.verbose_always)
        dumped = f" => {self._dump(view, event.verbose_always)}" if verbose else ""
        if event.status in (TaskStatus.FAILED, TaskStatus.UNREACHABLE):
            if event.status is TaskStatus.FAILED:
                self._error_block(event.result)
            full = self._dump(view, event.verbose_always)
            self._line(f"failed: [{label}] (item={item}) => {full}", Color.ERROR)
        elif event.status is TaskStatus.SKIPPED:
            self._line(f"skipping: [{event.host}] => (item={item}) {dumped}", Color.SKIP)
        else:
            word = event.status.label
            self._line(f"{word}: [{label}] => (item={item}){dumped}", _STATUS_COLOR[event.status])

    def _error_block(self, result: Mapping[str, Any]) -> None:
        """ansible-core 2.19's `[ERROR]: Task failed: ...` and `Origin:` lines; a block
        already printed is not repeated (Ansible shows each distinct error once)."""
        lines = error_block(result)
        text = "\n".join(lines)
        if not lines or text in self._errors_shown:
            return
        self._errors_shown.add(text)
        for line in lines:
            self._line(line, Color.ERROR)

    def _retrying(self, event: Retrying) -> None:
        label = host_label(event.host, event.delegated_to)
        left = event.retries_left
        text = f"FAILED - RETRYING: [{label}]: {event.task_name} ({left} retries left)."
        if self.verbosity > 2:
            text += f"Result was: {self._dump(dict(event.result))}"
        self._line(text, Color.DEBUG)

    def _job_started(self, event: JobStarted) -> None:
        """From -vv: the job id and its limits as soon as the job is launched."""
        if self.verbosity < 2:
            return
        wait = f"checked every {event.poll}s" if event.poll > 0 else "not waited for (poll: 0)"
        self._line(f"ASYNC STARTED on {event.host}: jid={event.jid} async={event.async_seconds}s "
                   f"{wait}", Color.DEBUG)

    def _job_polled(self, event: JobPolled) -> None:
        if event.by_async_status:
            return
        if not event.finished and not event.failed:
            text = f"ASYNC POLL on {event.host}: jid={event.jid} started=True finished=False"
        elif event.failed:
            text = f"ASYNC FAILED on {event.host}: jid={event.jid}"
        else:
            text = f"ASYNC OK on {event.host}: jid={event.jid}"
        self._line(text, Color.DEBUG)

    # -- messages and recap ----------------------------------------------------------

    def _warning(self, event: Warning) -> None:
        if event.message not in self._warned:
            self._warned.add(event.message)
            self._line(f"[WARNING]: {event.message}", Color.WARN, stderr=True)

    def _notice(self, event: Notice) -> None:
        if event.verbosity > self.verbosity:
            return
        if event.banner:
            self._banner(event.message)
        else:
            color = Color.SKIP if event.message.startswith("skipping") else None
            self._line(event.message, color)

    def _recap(self, event: Recap) -> None:
        self._banner("PLAY RECAP")
        for host in sorted(event.stats):
            self._line(self._recap_line(host, event.stats[host]))
        self._line("")

    def _recap_line(self, host: str, stats: HostStats) -> str:
        counts = (
            ("ok", stats.ok, Color.OK),
            ("changed", stats.changed, Color.CHANGED),
            ("unreachable", stats.unreachable, Color.UNREACHABLE),
            ("failed", stats.failures, Color.ERROR),
            ("skipped", stats.skipped, Color.SKIP),
            ("rescued", stats.rescued, Color.OK),
            ("ignored", stats.ignored, Color.WARN),
        )
        fields = [self._count(name, n, c) for name, n, c in counts]
        return f"{self._recap_host(host, stats)} : {' '.join(fields)}"

    def _count(self, name: str, number: int, color: Color) -> str:
        text = f"{name}={number:<4}"
        return paint(text, color, self.color and number != 0)

    def _recap_host(self, host: str, stats: HostStats) -> str:
        if not self.color:
            return f"{host:<26}"
        if stats.failures or stats.unreachable:
            color = Color.ERROR
        else:
            color = Color.CHANGED if stats.changed else Color.OK
        return f"{paint(host, color, True):<37}"
