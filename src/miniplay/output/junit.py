"""The JUnit XML run report: one test case per task per host, for CI dashboards.

Takes: the event stream (`emit(event)`) and a file path. Gives: at the `Recap` event, a
JUnit XML file at that path::

    <testsuites name="miniplay" tests= failures= errors= skipped= time=>
      <testsuite name=PLAY tests= failures= errors= skipped= time= timestamp=>
        <testcase classname=PLAY name="[host] task" time=SECONDS>
          <failure message=MSG type="failed">result JSON</failure>   (a failed task)
          <error message=MSG type="unreachable">result JSON</error>  (an unreachable host)
          <skipped message=REASON/>                                  (a skipped task)
          <system-out>loop items, ignored failures, the result</system-out>

One `<testsuite>` per `PlayStart` (a play run in serial batches gives one per batch);
its cases in task order, then in the play's host order (not in completion order).
Times come from the events: a case lasts from its `HostResult.start` to `.end`, a suite
from its `PlayStart` to its `PlayEnd`. A failure with `ignore_errors` passes, as in
Ansible's junit callback by default, with a note in `<system-out>`. `no_log` results are
censored. Raises: `OSError` from writing the file (at `Recap`).

Why: Jenkins, GitLab and GitHub test reporters all read this format, so a playbook run
in CI shows up beside the unit tests, one line per task per host.
"""

from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miniplay.events import Event, HostResult, ItemResult, PlayEnd, PlayStart, Recap
from miniplay.output import callback_view, display_view
from miniplay.results import TaskStatus

_COUNTED = {TaskStatus.FAILED: "failures", TaskStatus.UNREACHABLE: "errors",
            TaskStatus.SKIPPED: "skipped"}
_NO_LOG_LABEL = "(censored due to no_log)"


@dataclass(slots=True)
class _Case:
    event: HostResult
    items: list[ItemResult]


@dataclass(slots=True)
class _Suite:
    name: str
    start: float
    hosts: tuple[str, ...] = ()
    end: float | None = None
    cases: list[_Case] = field(default_factory=list)

    def ordered(self) -> list[_Case]:
        """Cases by task (in the order tasks ran), then by the play's host order."""
        uids = dict.fromkeys(c.event.task_uid for c in self.cases)
        tasks = {uid: index for index, uid in enumerate(uids)}
        hosts = {host: index for index, host in enumerate(self.hosts)}
        return sorted(self.cases, key=lambda c: (tasks[c.event.task_uid],
                                                 hosts.get(c.event.host, len(hosts))))


class JUnitOutput:
    """An `EventSink` that collects task results and writes JUnit XML at `Recap`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.suites: list[_Suite] = []
        self._suite_of: dict[str, _Suite] = {}
        self._items: dict[tuple[str, str], list[ItemResult]] = {}

    def emit(self, event: Event) -> None:
        """Record `event`; write the file when it is the `Recap`."""
        if isinstance(event, PlayStart):
            suite = _Suite(event.name, event.time, event.hosts)
            self.suites.append(suite)
            self._suite_of[event.uid] = suite
        elif isinstance(event, PlayEnd) and event.uid in self._suite_of:
            self._suite_of[event.uid].end = event.time
        elif isinstance(event, ItemResult):
            self._items.setdefault((event.host, event.task_uid), []).append(event)
        elif isinstance(event, HostResult):
            self._host_result(event)
        elif isinstance(event, Recap):
            self.write()

    def _host_result(self, event: HostResult) -> None:
        if not self.suites:  # a result outside any play: keep it rather than drop it
            self.suites.append(_Suite("", event.start))
        items = self._items.pop((event.host, event.task_uid), [])
        self.suites[-1].cases.append(_Case(event, items))

    def document(self) -> ET.Element:
        """The report as an element tree (`<testsuites>` at the root)."""
        root = ET.Element("testsuites", name="miniplay")
        for suite in self.suites:
            root.append(_suite_element(suite))
        _add_counts(root, list(root))
        total = sum(float(s.get("time", "0")) for s in root)
        root.set("time", _seconds(total))
        return root

    def write(self) -> None:
        """Write the report to `path` (UTF-8, with an XML declaration)."""
        tree = ET.ElementTree(self.document())
        ET.indent(tree, space="  ")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tree.write(self.path, encoding="utf-8", xml_declaration=True)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _add_counts(element: ET.Element, children: list[ET.Element]) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(sum(int(c.get(key, "0")) for c in children)))


def _suite_element(suite: _Suite) -> ET.Element:
    start = datetime.datetime.fromtimestamp(suite.start, datetime.UTC)
    end = suite.end if suite.end is not None else max(
        [c.event.end for c in suite.cases], default=suite.start)
    element = ET.Element("testsuite", name=suite.name,
                         timestamp=start.strftime("%Y-%m-%dT%H:%M:%S"))
    counts = {"tests": len(suite.cases), "failures": 0, "errors": 0, "skipped": 0}
    for case in suite.ordered():
        counted = _COUNTED.get(case.event.status)
        if counted and not case.event.ignored:
            counts[counted] += 1
        element.append(_case_element(suite.name, case))
    for key, value in counts.items():
        element.set(key, str(value))
    element.set("time", _seconds(end - suite.start))
    return element


def _case_element(play: str, case: _Case) -> ET.Element:
    event = case.event
    element = ET.Element("testcase", classname=play, name=f"[{event.host}] {event.task_name}",
                         time=_seconds(event.end - event.start))
    view = _shown(callback_view(event.result, event.action, event.no_log, event.loop))
    if event.status is TaskStatus.SKIPPED:
        ET.SubElement(element, "skipped", message=str(view.get("skip_reason", "skipped")))
    elif event.status is TaskStatus.FAILED and not event.ignored:
        _detail(element, "failure", "failed", view)
    elif event.status is TaskStatus.UNREACHABLE and not event.ignored:
        _detail(element, "error", "unreachable", view)
    out = _system_out(case, view)
    if out:
        ET.SubElement(element, "system-out").text = out
    return element


def _shown(view: dict[str, Any]) -> dict[str, Any]:
    """The result as the text output shows it, without the `*_lines` copies."""
    shown = display_view(view, 0)
    return {k: v for k, v in shown.items() if k not in ("stdout_lines", "stderr_lines")}


def _detail(parent: ET.Element, tag: str, kind: str, view: dict[str, Any]) -> None:
    message = str(view.get("msg") or kind)
    ET.SubElement(parent, tag, message=message, type=kind).text = _json(view)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def _system_out(case: _Case, view: dict[str, Any]) -> str:
    """Loop items, an ignored failure, and the result of a passing case."""
    event = case.event
    lines: list[str] = []
    if case.items:
        lines.append(_items_line(case.items))
        lines += [f"  {i.status.value}: {_NO_LOG_LABEL if i.no_log else i.label}"
                  for i in case.items]
    if event.ignored and event.status in _COUNTED:
        lines.append(f"{event.status.value}, ignored (ignore_errors): "
                     f"{view.get('msg') or event.status.value}")
    if event.status in (TaskStatus.OK, TaskStatus.CHANGED):
        shown = {k: v for k, v in view.items() if k != "results" or not case.items}
        lines.append(f"{event.status.value}: {_json(shown)}")
    return "\n".join(lines)


def _items_line(items: list[ItemResult]) -> str:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status.value] = counts.get(item.status.value, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in counts.items())
    return f"loop: {len(items)} item{'s' if len(items) != 1 else ''} ({parts})"
