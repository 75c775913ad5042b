"""TimelineOutput: the run's spans and async jobs as JSON, and the self-contained page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

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
from miniplay.output.timeline import TimelineOutput, summarize
from miniplay.results import HostStats, TaskStatus

T0 = 1_800_000_000.0
OK, CHANGED, FAILED = TaskStatus.OK, TaskStatus.CHANGED, TaskStatus.FAILED


def done(host: str, uid: str, name: str, status: TaskStatus, start: float, end: float,
         data: dict[str, Any], **extra: Any) -> HostResult:
    return HostResult(host, uid, name, extra.pop("action", "command"), status, data,
                      T0 + start, T0 + end, **extra)


def scenario() -> list[Event]:
    """A poll: 0 job on two hosts, work meanwhile, async_status checks, a handler."""
    return [
        PlaybookStart("/p/fanout.yml", T0),
        PlayStart("Fan out", "p1", "/p/fanout.yml:1", ("b", "a"), T0),
        TaskStart("Start", "t1", "command", "/p/fanout.yml:4", T0, play_uid="p1"),
        JobStarted("a", "t1", "j1.1", 60, 0, T0 + 0.5),
        JobStarted("b", "t1", "j2.2", 60, 0, T0 + 0.6),
        done("a", "t1", "Start", CHANGED, 0, 0.5, {"ansible_job_id": "j1.1", "changed": True}),
        done("b", "t1", "Start", CHANGED, 0, 0.6, {"ansible_job_id": "j2.2", "changed": True}),
        TaskStart("Meanwhile", "t2", "shell", "/p/fanout.yml:9", T0 + 1),
        ItemResult("a", "t2", OK, "x", {}),
        done("a", "t2", "Meanwhile", OK, 1, 2, {"results": [{}], "msg": "ok"}, loop=True),
        done("b", "t2", "Meanwhile", FAILED, 1, 2.5,
             {"failed": True, "rc": 3, "stderr": "disk full\nmore", "msg": "non-zero"},
             ignored=True),
        TaskStart("Check", "t3", "async_status", "/p/fanout.yml:12", T0 + 3),
        JobPolled("a", "t1", "j1.1", False, False, T0 + 3.0, by_async_status=True),
        JobPolled("a", "t1", "j1.1", True, False, T0 + 4.0, by_async_status=True),
        JobPolled("a", "t1", "j1.1", True, False, T0 + 4.5, by_async_status=True),
        JobPolled("b", "t1", "j2.2", False, False, T0 + 3.0, by_async_status=True),
        done("a", "t3", "Check", OK, 3, 4.5, {"finished": 1}, action="async_status"),
        done("b", "t3", "Check", FAILED, 3, 3.2, {"failed": True, "msg": "gave up"},
             action="async_status"),
        TaskStart("restart", "h1", "command", "/p/fanout.yml:20", T0 + 5, is_handler=True),
        done("a", "h1", "restart", CHANGED, 5, 5.25, {"stdout": "s3cret"}, no_log=True),
        PlayEnd("p1", T0 + 5.5),
        Recap({"a": HostStats(ok=3), "b": HostStats(failures=1)}, T0 + 6),
    ]


def run(path: Path) -> Path:
    sink = TimelineOutput(path)
    for event in scenario():
        sink.emit(event)
    return path


def data(tmp_path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(run(tmp_path / "t.json").read_text(encoding="utf-8"))
    return loaded


def test_json_lists_hosts_tasks_and_spans(tmp_path: Path) -> None:
    found = data(tmp_path)
    assert found["hosts"] == ["b", "a"]
    assert [(t["uid"], t["handler"], t["play"]) for t in found["tasks"]] == [
        ("t1", False, "p1"), ("t2", False, "p1"), ("t3", False, "p1"), ("h1", True, "p1")]
    assert len(found["spans"]) == 7
    assert found["duration"] == 6.0
    assert found["started_at"] == T0
    assert found["plays"] == [{"uid": "p1", "name": "Fan out", "start": 0.0, "end": 5.5}]
    span = found["spans"][2]
    assert (span["host"], span["task"], span["start"], span["end"], span["status"],
            span["items"]) == ("a", "t2", 1.0, 2.0, "ok", 1)


def test_job_finishes_at_the_first_poll_that_saw_it_end(tmp_path: Path) -> None:
    jobs = {job["host"]: job for job in data(tmp_path)["jobs"]}
    assert (jobs["a"]["launched"], jobs["a"]["finished"], jobs["a"]["state"]) == (
        0.5, 4.0, "finished")
    assert [p["time"] for p in jobs["a"]["polls"]] == [3.0, 4.0, 4.5]
    assert (jobs["a"]["async"], jobs["a"]["poll"], jobs["a"]["jid"]) == (60, 0, "j1.1")
    assert (jobs["b"]["finished"], jobs["b"]["state"]) == (None, "running")


def test_failed_poll_ends_the_job_as_failed(tmp_path: Path) -> None:
    sink = TimelineOutput(tmp_path / "t.json")
    for event in (PlaybookStart("/p", T0), JobStarted("a", "t1", "j1.1", 5, 1, T0),
                  JobPolled("a", "t1", "j1.1", False, True, T0 + 5)):
        sink.emit(event)
    assert sink.data()["jobs"][0]["state"] == "failed"
    assert sink.data()["jobs"][0]["finished"] == 5.0


def test_summaries_are_short_and_censored(tmp_path: Path) -> None:
    spans = data(tmp_path)["spans"]
    assert spans[3]["summary"] == "msg: non-zero; rc: 3; stderr: disk full"
    assert spans[3]["ignored"] is True
    assert spans[6]["summary"] == "(censored: no_log)"
    assert len(summarize({"msg": "x" * 500}, "debug", False, False)) == 160


def test_json_document(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    assert data(tmp_path) == snapshot


def test_page_is_self_contained_and_embeds_the_data(tmp_path: Path) -> None:
    page = run(tmp_path / "t.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched
    assert not re.search(r"<(link|script|img)[^>]+(src|href)=\"(?!data:)", page)
    embedded = re.search(r'<script type="application/json" id="timeline-data">(.*?)</script>',
                         page, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1))["hosts"] == ["b", "a"]


def test_page_data_cannot_close_its_script(tmp_path: Path) -> None:
    sink = TimelineOutput(tmp_path / "t.html")
    for event in (PlaybookStart("/p", T0), PlayStart("</script><b>x", "p", "/p", ("h",), T0),
                  Recap({}, T0 + 1)):
        sink.emit(event)
    page = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "</script><b>" not in page
    assert page.count("</script>") == 2


def test_other_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.html or \.json"):
        TimelineOutput(tmp_path / "t.svg")
    (tmp_path / "site.yml").write_text("- hosts: localhost\n  tasks:\n    - debug: msg=hi\n")
    done = subprocess.run([sys.executable, "-m", "miniplay", "site.yml", "--timeline", "t.svg"],
                          capture_output=True, text=True, timeout=60, check=False,
                          cwd=tmp_path)
    assert done.returncode == 5
    assert "must end in .html or .json" in done.stderr
    assert "TASK" not in done.stdout


def test_cli_writes_json_timeline(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - command: sleep 0.2\n      async: 10\n      poll: 0\n"
        "    - debug: msg=hi\n")
    out = tmp_path / "reports" / "run.json"
    done = subprocess.run([sys.executable, "-m", "miniplay", str(tmp_path / "site.yml"),
                           "--timeline", str(out)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(out.read_text(encoding="utf-8"))
    assert found["hosts"] == ["localhost"]
    assert [s["status"] for s in found["spans"]] == ["changed", "ok"]
    assert found["jobs"][0]["poll"] == 0
