"""JUnitOutput: a test case per task per host, over synthetic events and a real run."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from syrupy.assertion import SnapshotAssertion

from miniplay.events import (
    Event,
    HostResult,
    ItemResult,
    PlaybookStart,
    PlayEnd,
    PlayStart,
    Recap,
    TaskStart,
)
from miniplay.output.junit import JUnitOutput
from miniplay.results import HostStats, TaskStatus

T0 = 1_800_000_000.0
OK, CHANGED, FAILED = TaskStatus.OK, TaskStatus.CHANGED, TaskStatus.FAILED
SKIPPED, UNREACHABLE = TaskStatus.SKIPPED, TaskStatus.UNREACHABLE


def result(host: str, uid: str, name: str, status: TaskStatus, start: float,
           data: dict[str, Any], **extra: Any) -> HostResult:
    return HostResult(host, uid, name, extra.pop("action", "command"), status, data,
                      T0 + start, T0 + start + 0.25, **extra)


def scenario() -> list[Event]:
    """Two plays: every status, an ignored failure, a loop, a handler, no_log."""
    items = [ItemResult("web1", "t3", OK, "a", {"item": "a"}),
             ItemResult("web1", "t3", SKIPPED, "b", {"item": "b", "skipped": True})]
    return [
        PlaybookStart("/p/site.yml", T0),
        PlayStart("Web", "p1", "/p/site.yml:1", ("web1", "web2"), T0),
        TaskStart("Run", "t1", "command", "/p/site.yml:5", T0),
        result("web1", "t1", "Run", CHANGED, 0.0, {"changed": True, "rc": 0, "stdout": "hi"}),
        result("web2", "t1", "Run", FAILED, 0.0,
               {"failed": True, "rc": 2, "msg": "non-zero return code", "stdout": ""}),
        TaskStart("Maybe", "t2", "debug", "/p/site.yml:9", T0 + 1),
        result("web1", "t2", "Maybe", SKIPPED, 1.0,
               {"skipped": True, "skip_reason": "Conditional result was False"}),
        TaskStart("Loop", "t3", "debug", "/p/site.yml:12", T0 + 2),
        *items,
        result("web1", "t3", "Loop", OK, 2.0, {"results": [{"item": "a"}, {"item": "b"}]},
               action="debug", loop=True),
        TaskStart("Risky", "t4", "command", "/p/site.yml:15", T0 + 3),
        result("web1", "t4", "Risky", FAILED, 3.0, {"failed": True, "msg": "boom", "rc": 1},
               ignored=True),
        TaskStart("Secret", "t5", "command", "/p/site.yml:18", T0 + 4),
        result("web1", "t5", "Secret", FAILED, 4.0,
               {"failed": True, "msg": "password=hunter2"}, no_log=True),
        TaskStart("restart", "h1", "command", "/p/site.yml:22", T0 + 5, is_handler=True),
        result("web1", "h1", "restart", CHANGED, 5.0, {"changed": True}),
        PlayEnd("p1", T0 + 6),
        PlayStart("Db", "p2", "/p/site.yml:30", ("db1",), T0 + 6),
        TaskStart("Ping", "t6", "ping", "/p/site.yml:33", T0 + 6),
        result("db1", "t6", "Ping", UNREACHABLE, 6.0,
               {"unreachable": True, "msg": "Failed to connect to the host via ssh"}),
        PlayEnd("p2", T0 + 7),
        Recap({"web1": HostStats(ok=3), "web2": HostStats(failures=1),
               "db1": HostStats(unreachable=1)}, T0 + 7),
    ]


def write(tmp_path: Path) -> ET.Element:
    path = tmp_path / "out" / "report.xml"
    sink = JUnitOutput(path)
    for event in scenario():
        sink.emit(event)
    return ET.parse(path).getroot()


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in root.iter("testcase")}


def test_one_suite_per_play_one_case_per_task_per_host(tmp_path: Path) -> None:
    root = write(tmp_path)
    assert [s.get("name") for s in root.iter("testsuite")] == ["Web", "Db"]
    web = next(root.iter("testsuite"))
    assert (web.get("tests"), web.get("failures"), web.get("skipped")) == ("7", "2", "1")
    assert (root.get("tests"), root.get("errors"), root.get("time")) == ("8", "1", "7.000")
    assert list(cases(root))[:2] == ["[web1] Run", "[web2] Run"]
    assert {c.get("classname") for c in web.iter("testcase")} == {"Web"}
    assert cases(root)["[web1] Run"].get("time") == "0.250"
    assert web.get("timestamp") == "2027-01-15T08:00:00"


def test_failures_carry_message_and_result(tmp_path: Path) -> None:
    failure = cases(write(tmp_path))["[web2] Run"].find("failure")
    assert failure is not None
    assert failure.get("message") == "non-zero return code"
    assert '"rc": 2' in (failure.text or "")


def test_skipped_unreachable_ignored_and_no_log(tmp_path: Path) -> None:
    found = cases(write(tmp_path))
    skipped = found["[web1] Maybe"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "Conditional result was False"
    error = found["[db1] Ping"].find("error")
    assert error is not None
    assert error.get("type") == "unreachable"
    ignored = found["[web1] Risky"]
    assert ignored.find("failure") is None
    assert "ignored (ignore_errors): boom" in (ignored.findtext("system-out") or "")
    secret = ET.tostring(found["[web1] Secret"], encoding="unicode")
    assert "hunter2" not in secret
    assert "no_log" in secret


def test_loop_items_are_summarised(tmp_path: Path) -> None:
    out = cases(write(tmp_path))["[web1] Loop"].findtext("system-out") or ""
    assert out.startswith("loop: 2 items (1 ok, 1 skipped)\n  ok: a\n  skipped: b")


def test_whole_report(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    write(tmp_path)
    assert (tmp_path / "out" / "report.xml").read_text(encoding="utf-8") == snapshot


PLAYBOOK = """\
- name: Report
  hosts: all
  gather_facts: false
  tasks:
    - name: Works
      command: echo hi
    - name: Loops
      debug:
        msg: "{{ item }}"
      loop: [1, 2]
    - name: Skips
      debug:
        msg: never
      when: false
    - name: Fails on one host
      command: "false"
      when: inventory_hostname == 'h2'
"""


def test_cli_writes_the_report(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    inventory = tmp_path / "inv.ini"
    inventory.write_text("".join(
        f"{h} ansible_connection=local ansible_python_interpreter={sys.executable}\n"
        for h in ("h1", "h2")))
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    report = tmp_path / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "miniplay", str(tmp_path / "site.yml"), "-i", str(inventory),
         "--junit-xml", str(report)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    text = re.sub(r'(time="|timestamp=")[^"]*"', r'\1<t>"', report.read_text(encoding="utf-8"))
    text = re.sub(r'("(?:delta|start|end)": )"[^"]*"', r'\1"<t>"', text)
    assert text == snapshot
    root = ET.fromstring(report.read_bytes())
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("8", "1", "3")
