"""The JSON output: one document per run, in the shape of Ansible's `json` callback.

Takes: the event stream (`emit(event)`) and a text stream. Gives: at the `Recap` event,
ONE JSON document (keys sorted, indent 4) on `out`::

    {"custom_stats": {}, "global_custom_stats": {},
     "plays": [{"play": {"duration": {"start", "end"}, "id", "name", "path"},
                "tasks": [{"task": {"duration": {"start", "end"}, "id", "name", "path"},
                           "hosts": {host: result + "action"}}]}],
     "stats": {host: {changed, failures, ignored, ok, rescued, skipped, unreachable}}}

Raises: nothing (values json cannot encode are written with `str`).

Why this shape: tools built for the ansible.posix `json` stdout callback (and the
conformance suite, whose ansible-side plugin records the same document) read it
unchanged. A host entry is the result as Ansible hands it to callbacks (internal keys
stripped, `no_log` censored) plus `action`, with `failed: true`/`skipped: true` on
failed/skipped results only. A loop's entry is the aggregate result with `results`.
Times are UTC ISO-8601 with a `Z`. Items, retries and async polls add nothing: the
json callback records final results only. Warnings go to `err` when one is given.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TextIO

from miniplay.events import (
    Event,
    HostResult,
    PlayEnd,
    PlayStart,
    Recap,
    TaskEnd,
    TaskStart,
    Warning,
)
from miniplay.output import callback_view
from miniplay.output.default import dump_json
from miniplay.results import TaskStatus

_FLAGS = {TaskStatus.FAILED: {"failed": True}, TaskStatus.SKIPPED: {"skipped": True}}


def iso_time(stamp: float) -> str:
    """`1700000000.5` -> `2023-11-14T22:13:20.500000Z`, as the json callback writes."""
    moment = datetime.datetime.fromtimestamp(stamp, datetime.UTC)
    return moment.isoformat().replace("+00:00", "Z")


class JsonOutput:
    """An `EventSink` collecting the run, printing the document at `Recap`."""

    def __init__(self, out: TextIO, err: TextIO | None = None) -> None:
        self.out = out
        self.err = err
        self.plays: list[dict[str, Any]] = []
        self._handlers: dict[type, Callable[[Any], None]] = {
            PlayStart: self._play_start,
            TaskStart: self._task_start,
            HostResult: self._host_result,
            TaskEnd: self._task_end,
            PlayEnd: self._play_end,
            Warning: self._warning,
            Recap: self._recap,
        }

    def emit(self, event: Event) -> None:
        """Record `event`; print the whole document when it is the `Recap`."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def document(self, recap: Recap) -> dict[str, Any]:
        """The document as it stands, with `recap`'s statistics."""
        return {
            "custom_stats": {},
            "global_custom_stats": {},
            "plays": self.plays,
            "stats": {host: recap.stats[host].as_dict() for host in sorted(recap.stats)},
        }

    def _play_start(self, event: PlayStart) -> None:
        info = _header(event.name, event.uid, event.path, event.time)
        self.plays.append({"play": info, "tasks": []})

    def _task_start(self, event: TaskStart) -> None:
        if not self.plays:  # a task outside any play: keep it rather than crash
            self.plays.append({"play": _header("", "", "", event.time), "tasks": []})
        info = _header(event.name, event.uid, event.path, event.time)
        self.plays[-1]["tasks"].append({"task": info, "hosts": {}})

    def _task_entry(self, task_uid: str) -> dict[str, Any] | None:
        for play in reversed(self.plays):
            for entry in reversed(play["tasks"]):
                if entry["task"]["id"] == task_uid:
                    return entry  # type: ignore[no-any-return]
        return None

    def _host_result(self, event: HostResult) -> None:
        entry = self._task_entry(event.task_uid)
        if entry is None:
            return
        data = callback_view(event.result, event.action, event.no_log, event.loop)
        if not event.loop:
            data.setdefault("_ansible_no_log", event.no_log)
        if event.verbose_always:
            data.setdefault("_ansible_verbose_always", True)
        data.update(_FLAGS.get(event.status, {}))
        data["action"] = event.action
        entry["hosts"][event.host] = data
        entry["task"]["duration"]["end"] = iso_time(event.end)
        self.plays[-1]["play"]["duration"]["end"] = iso_time(event.end)

    def _task_end(self, event: TaskEnd) -> None:
        entry = self._task_entry(event.uid)
        if entry is not None:
            entry["task"]["duration"]["end"] = iso_time(event.time)

    def _play_end(self, event: PlayEnd) -> None:
        for play in reversed(self.plays):
            if play["play"]["id"] == event.uid:
                play["play"]["duration"]["end"] = iso_time(event.time)
                return

    def _warning(self, event: Warning) -> None:
        if self.err is not None:
            self.err.write(f"[WARNING]: {event.message}\n")

    def _recap(self, event: Recap) -> None:
        self.out.write(dump_json(self.document(event), 4) + "\n")
        self.out.flush()


def _header(name: str, uid: str, path: str, start: float) -> dict[str, Any]:
    return {"name": name, "id": uid, "path": path, "duration": {"start": iso_time(start)}}
