"""The timeline: which task ran on which host when, and how async jobs overlapped.

Takes: the event stream (`emit(event)`) and a file path ending in `.json` or `.html`.
Gives: at the `Recap` event, that file:

- `.json`: the run's data (`TimelineOutput.data()`): ``started_at`` (epoch seconds),
  ``duration``, ``playbook``, ``plays`` (uid, name, start, end), ``hosts`` (in the order
  plays listed them), ``tasks`` (uid, name, action, handler, play, start), ``spans``
  (one per task result per host: host, task, start, end, status, ignored, summary,
  items) and ``jobs`` (host, task, jid, launched, async, poll, polls [{time, finished,
  failed, by_async_status}], finished, state). Every time is seconds since
  ``started_at``. A job's ``finished`` is the time of its first poll that found it
  finished or failed (``null`` while it never did); ``state`` is ``finished``,
  ``failed`` or ``running`` (not seen to end during the run).
- `.html`: a self-contained page (inline CSS, JS and SVG; no network) that draws that
  data: a lane per host, a bar per task result coloured by status, async jobs as thin
  bars running on under later tasks with a tick per poll, handlers outlined, hover text,
  a time axis and a legend (`timeline_page.render_page`).

Raises: `ValueError` for another suffix (at construction, before anything runs);
`OSError` from writing the file. Results marked `no_log` are censored in summaries.

Why: Ansible prints a run as a list; concurrency (hosts in parallel, a `poll: 0` job
working while later tasks run) is invisible there. A picture teaches it, and the JSON
lets other tools draw their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from miniplay.events import (
    Event,
    HostResult,
    ItemResult,
    JobPolled,
    JobStarted,
    PlaybookStart,
    PlayEnd,
    PlayStart,
    Recap,
    TaskStart,
)
from miniplay.output import callback_view
from miniplay.output.timeline_page import render_page

FORMATS = (".json", ".html")
_SUMMARY_WIDTH = 160


def summarize(result: Mapping[str, Any], action: str, no_log: bool, loop: bool) -> str:
    """One short line about a result: its msg, rc, first stdout/stderr line, skip reason."""
    view = callback_view(result, action, no_log, loop)
    if "censored" in view:
        return "(censored: no_log)"
    parts: list[str] = []
    for key in ("msg", "skip_reason", "rc", "stdout", "stderr"):
        value = view.get(key)
        if value in (None, "", []):
            continue
        text = str(value).strip().splitlines()
        parts.append(f"{key}: {text[0] if text else ''}")
    if loop and isinstance(view.get("results"), list):
        parts.append(f"{len(view['results'])} loop items")
    line = "; ".join(parts)
    return line if len(line) <= _SUMMARY_WIDTH else line[:_SUMMARY_WIDTH - 1] + "…"


class TimelineOutput:
    """An `EventSink` that records spans and jobs and writes the timeline at `Recap`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in FORMATS:
            raise ValueError(f"--timeline wants a .html or .json file, not {self.path.name}")
        self.t0: float | None = None
        self.end = 0.0
        self.playbook = ""
        self.hosts: dict[str, None] = {}
        self.plays: list[dict[str, Any]] = []
        self.tasks: dict[str, dict[str, Any]] = {}
        self.spans: list[dict[str, Any]] = []
        self.jobs: dict[tuple[str, str], dict[str, Any]] = {}
        self._items: dict[tuple[str, str], int] = {}
        self._play_uid = ""
        self._handlers: dict[type, Callable[[Any], None]] = {
            PlaybookStart: self._playbook_start, PlayStart: self._play_start,
            PlayEnd: self._play_end, TaskStart: self._task_start,
            ItemResult: self._item_result, HostResult: self._host_result,
            JobStarted: self._job_started, JobPolled: self._job_polled, Recap: self._recap,
        }

    def emit(self, event: Event) -> None:
        """Record `event`; write the file when it is the `Recap`."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _t(self, stamp: float) -> float:
        if self.t0 is None:
            self.t0 = stamp
        self.end = max(self.end, stamp - self.t0)
        return round(stamp - self.t0, 3)

    def _playbook_start(self, event: PlaybookStart) -> None:
        self.playbook = event.path
        self._t(event.time)

    def _play_start(self, event: PlayStart) -> None:
        self._play_uid = event.uid
        self.hosts.update(dict.fromkeys(event.hosts))
        self.plays.append({"uid": event.uid, "name": event.name,
                           "start": self._t(event.time), "end": None})

    def _play_end(self, event: PlayEnd) -> None:
        for play in self.plays:
            if play["uid"] == event.uid:
                play["end"] = self._t(event.time)

    def _task_start(self, event: TaskStart) -> None:
        self.tasks.setdefault(event.uid, {
            "uid": event.uid, "name": event.name, "action": event.action,
            "handler": event.is_handler, "play": event.play_uid or self._play_uid,
            "start": self._t(event.time)})

    def _item_result(self, event: ItemResult) -> None:
        key = (event.host, event.task_uid)
        self._items[key] = self._items.get(key, 0) + 1

    def _host_result(self, event: HostResult) -> None:
        self.hosts.setdefault(event.host)
        self.spans.append({
            "host": event.host, "task": event.task_uid, "name": event.task_name,
            "start": self._t(event.start), "end": self._t(event.end),
            "status": event.status.value, "ignored": event.ignored,
            "summary": summarize(event.result, event.action, event.no_log, event.loop),
            "items": self._items.pop((event.host, event.task_uid), 0)})

    def _job_started(self, event: JobStarted) -> None:
        self.jobs[(event.host, event.jid)] = {
            "host": event.host, "task": event.task_uid, "jid": event.jid,
            "launched": self._t(event.time), "async": event.async_seconds,
            "poll": event.poll, "polls": [], "finished": None, "state": "running"}

    def _job_polled(self, event: JobPolled) -> None:
        job = self.jobs.get((event.host, event.jid))
        if job is None:
            return
        at = self._t(event.time)
        job["polls"].append({"time": at, "finished": event.finished, "failed": event.failed,
                             "by_async_status": event.by_async_status})
        if job["finished"] is None and (event.finished or event.failed):
            job["finished"] = at
            job["state"] = "failed" if event.failed else "finished"

    def _recap(self, event: Recap) -> None:
        self._t(event.time)
        self.write()

    def data(self) -> dict[str, Any]:
        """The run as plain data (the `.json` document, and what the page draws)."""
        return {
            "version": 1, "playbook": self.playbook, "started_at": self.t0 or 0.0,
            "duration": round(self.end, 3), "plays": self.plays,
            "hosts": list(self.hosts), "tasks": list(self.tasks.values()),
            "spans": self.spans, "jobs": list(self.jobs.values()),
        }

    def write(self) -> None:
        """Write the JSON document or the HTML page, as the path's suffix says."""
        data = self.data()
        if self.path.suffix.lower() == ".json":
            text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
        else:
            text = render_page(data)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(text, encoding="utf-8")
