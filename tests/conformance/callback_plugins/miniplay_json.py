"""ansible-core stdout callback that records miniplay's JSON document shape.

Takes: the callback events of one ansible-playbook run.
Gives: at the end of the run, ONE JSON document on stdout (or in the file named by the
environment variable MINIPLAY_JSON_OUT), in the shape of the ansible.posix ``json``
callback, which is also the shape of ``miniplay -o json``::

    {"custom_stats": {}, "global_custom_stats": {},
     "plays": [{"play": {"duration": {"start", "end"}, "id", "name", "path"},
                "tasks": [{"task": {"duration", "id", "name", "path"},
                           "hosts": {host: cleaned result + "action"}}]}],
     "stats": {host: {changed, failures, ignored, ok, rescued, skipped, unreachable}}}

Raises: nothing of its own.

Why: ansible-core 2.19 ships no ``json`` stdout callback (it lives in ansible.posix),
and the conformance harness must not depend on a collection. This is written from the
callback API, not copied. Failed results get ``failed: true`` and skipped results
``skipped: true`` (ansible strips both flags before callbacks see a result); loop
results keep their per-item ``results`` list; handler tasks get their own entries.
One deliberate difference from ansible.posix: ansible announces a ``meta`` task once per
host; consecutive starts of the same task are recorded as one entry.

Load it with ANSIBLE_CALLBACK_PLUGINS=<this dir> ANSIBLE_STDOUT_CALLBACK=miniplay_json.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: miniplay_json
    type: stdout
    short_description: one JSON document per run, in the json-callback shape
    description:
        - Test helper of miniplay's conformance suite.
"""


def _now() -> str:
    stamp = datetime.datetime.now(datetime.UTC).isoformat()
    return stamp.replace("+00:00", "Z")


class CallbackModule(CallbackBase):  # type: ignore[misc]
    """Records plays, tasks and per-host results; prints the document on stats."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "miniplay_json"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plays: list[dict[str, Any]] = []

    def v2_playbook_on_play_start(self, play: Any) -> None:
        info = {
            "name": play.get_name(),
            "id": str(play._uuid),
            "path": str(play.get_path()),
            "duration": {"start": _now()},
        }
        self.plays.append({"play": info, "tasks": []})

    def _new_task(self, task: Any) -> None:
        tasks = self.plays[-1]["tasks"]
        if tasks and tasks[-1]["task"]["id"] == str(task._uuid):
            return  # a meta task is "started" once per host: record it once
        info = {
            "name": task.get_name(),
            "id": str(task._uuid),
            "path": str(task.get_path()),
            "duration": {"start": _now()},
        }
        self.plays[-1]["tasks"].append({"task": info, "hosts": {}})

    def v2_playbook_on_task_start(self, task: Any, is_conditional: Any) -> None:
        self._new_task(task)

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        self._new_task(task)

    def _entry_for(self, task_uuid: str) -> dict[str, Any]:
        for entry in reversed(self.plays[-1]["tasks"]):
            if entry["task"]["id"] == task_uuid:
                return entry  # type: ignore[no-any-return]
        return self.plays[-1]["tasks"][-1]  # type: ignore[no-any-return]

    def _record(self, result: Any, flags: dict[str, bool]) -> None:
        data = copy.deepcopy(dict(result.result))
        data.update(flags)
        data["action"] = result.task.action
        entry = self._entry_for(str(result.task._uuid))
        entry["hosts"][result.host.get_name()] = data
        end = _now()
        entry["task"]["duration"]["end"] = end
        self.plays[-1]["play"]["duration"]["end"] = end

    def v2_runner_on_ok(self, result: Any) -> None:
        self._record(result, {})

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._record(result, {"failed": True})

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._record(result, {"skipped": True})

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._record(result, {})

    def v2_playbook_on_stats(self, stats: Any) -> None:
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        custom = stats.custom if stats.custom else {}
        document = {
            "plays": self.plays,
            "stats": summary,
            "custom_stats": {k: v for k, v in custom.items() if k != "_run"},
            "global_custom_stats": custom.get("_run", {}),
        }
        text = json.dumps(document, indent=4, sort_keys=True, default=str)
        target = os.environ.get("MINIPLAY_JSON_OUT")
        if target:
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        else:
            self._display.display(text)
