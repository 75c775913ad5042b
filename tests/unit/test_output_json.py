"""JsonOutput over the synthetic scenario of test_output: the json-callback document."""

from __future__ import annotations

import io
import json
from typing import Any

from syrupy.assertion import SnapshotAssertion
from test_output import T0, scenario

from miniplay.events import Event, Recap
from miniplay.output import JsonOutput
from miniplay.output.json_out import iso_time


def run(events: list[Event]) -> tuple[str, dict[str, Any]]:
    out = io.StringIO()
    sink = JsonOutput(out)
    for event in events:
        sink.emit(event)
    text = out.getvalue()
    return text, json.loads(text)


def test_json_snapshot(snapshot: SnapshotAssertion) -> None:
    text, _ = run(scenario())
    assert text == snapshot


def test_prints_nothing_before_recap() -> None:
    events = [e for e in scenario() if not isinstance(e, Recap)]
    out = io.StringIO()
    sink = JsonOutput(out)
    for event in events:
        sink.emit(event)
    assert out.getvalue() == ""


def test_document_shape() -> None:
    text, doc = run(scenario())
    assert text.startswith('{\n    "custom_stats": {},\n    "global_custom_stats": {},\n')
    assert sorted(doc) == ["custom_stats", "global_custom_stats", "plays", "stats"]
    play = doc["plays"][0]
    assert sorted(play["play"]) == ["duration", "id", "name", "path"]
    assert play["play"]["duration"] == {"start": iso_time(T0), "end": iso_time(T0 + 9)}
    task = play["tasks"][0]
    assert sorted(task["task"]) == ["duration", "id", "name", "path"]
    assert doc["stats"]["web02"] == {
        "changed": 1,
        "failures": 1,
        "ignored": 0,
        "ok": 3,
        "rescued": 0,
        "skipped": 0,
        "unreachable": 0,
    }


def hosts_of(doc: dict[str, Any], name: str) -> dict[str, Any]:
    tasks = doc["plays"][0]["tasks"]
    return next(t["hosts"] for t in tasks if t["task"]["name"] == name)


def test_host_entries_are_callback_views_with_action_and_flags() -> None:
    _, doc = run(scenario())
    fail = hosts_of(doc, "fail one")
    assert fail["web02"] == {
        "_ansible_no_log": False,
        "action": "fail",
        "changed": False,
        "exception": "(traceback unavailable)",
        "failed": True,
        "msg": "nope",
    }
    assert fail["web01"]["skipped"] is True
    assert "invocation" in hosts_of(doc, "command")["web01"]
    assert hosts_of(doc, "command")["bad"]["unreachable"] is True
    assert "failed" not in hosts_of(doc, "command")["web01"]


def test_loop_entry_holds_results_and_no_log_is_censored() -> None:
    _, doc = run(scenario())
    skipped_loop = hosts_of(doc, "loop skip")["web01"]
    assert skipped_loop["skipped"] is True
    assert skipped_loop["results"][0]["item"] == 1
    failed_loop = hosts_of(doc, "loop fail")["web01"]
    assert failed_loop["failed"] is True
    nolog = hosts_of(doc, "nolog")["web01"]
    assert nolog["_ansible_no_log"] is True
    assert "secret" not in json.dumps(nolog)
    assert nolog["censored"].startswith("the output has been hidden")


def test_handler_gets_its_own_task_entry() -> None:
    _, doc = run(scenario())
    assert hosts_of(doc, "a handler")["db1"]["changed"] is True
