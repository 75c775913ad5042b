"""`miniplay explain`: the plan in words and as data, without running anything."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from miniplay.cli import main

REPO = Path(__file__).resolve().parents[2]
FIXTURES = "tests/fixtures/explain"
CASES = {
    "site": ["examples/site.yml"],
    "async_plan": [f"{FIXTURES}/async_plan.yml", "-i", f"{FIXTURES}/inventory.ini"],
    "async_migration": ["examples/async_migration.yml"],
    "async_fanout": ["examples/async_fanout.yml", "-i", "examples/inventory_fanout.ini"],
    "webapp": ["examples/webapp/site.yml"],
}


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("NO_COLOR", "1")


def explain(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["explain", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def plan(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(explain(capsys, *args, "--format", "json"))
    return found


def playbook(tmp_path: Path, text: str) -> str:
    path = tmp_path / "play.yml"
    path.write_text(text)
    return str(path)


def steps(found: dict[str, Any], play: int = 0) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = found["plays"][play]["sections"][0]["steps"]
    return steps


@pytest.mark.parametrize("case", sorted(CASES))
def test_human_plan(case: str, capsys: pytest.CaptureFixture[str],
                    snapshot: SnapshotAssertion) -> None:
    assert explain(capsys, *CASES[case]) == snapshot


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_plan(case: str, capsys: pytest.CaptureFixture[str],
                   snapshot: SnapshotAssertion) -> None:
    assert plan(capsys, *CASES[case]) == snapshot


def test_hosts_after_patterns_limit_and_serial(capsys: pytest.CaptureFixture[str]) -> None:
    found = plan(capsys, *CASES["async_plan"], "-l", "web1,db2")
    assert [p["targets"]["hosts"] for p in found["plays"]] == [["db2"], ["web1"]]
    whole = plan(capsys, *CASES["async_plan"])
    assert whole["plays"][1]["targets"]["batches"] == [["web1"], ["web2"]]
    assert whole["plays"][0]["facts"]["gather"] is False
    assert whole["plays"][1]["facts"]["gather"] is True


def test_async_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    wait, start, check = steps(plan(capsys, *CASES["async_plan"]))
    assert "starts a job of up to 60 s and checks every 5 s; the play waits for it" in wait["says"]
    assert any("moves on at once; `async_jid` holds its id" in s for s in start["says"])
    assert any(s.startswith("async_status: reads the job's status file") for s in check["says"])
    assert (start["async"], start["poll"]) == ("3600", "0")


def test_block_when_is_rechecked_for_each_task(capsys: pytest.CaptureFixture[str]) -> None:
    block = steps(plan(capsys, *CASES["async_plan"]), 1)[0]
    assert block["when"] == ["deploy_app | default(true)"]
    fetch, link = block["block"]
    assert fetch["when"] == ["item is version('2.0', '>=')"]
    assert fetch["when_inherited"] == link["when_inherited"] == ["deploy_app | default(true)"]
    assert link["when"] == []
    assert any("checked for each loop item" in s for s in fetch["says"])


def test_block_when_written_after_its_tasks(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = playbook(tmp_path, "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                              "    - block:\n        - debug: msg=a\n          when: x\n"
                              "      when: y\n")
    block = steps(plan(capsys, path))[0]
    assert block["when"] == ["y"]
    assert (block["block"][0]["when"], block["block"][0]["when_inherited"]) == (["x"], ["y"])


def test_handlers_by_name_and_listen(capsys: pytest.CaptureFixture[str]) -> None:
    found = plan(capsys, *CASES["async_plan"])
    assert found["plays"][0]["handlers"][0]["notified_by"] == ["Run the migration and wait"]
    assert found["plays"][1]["handlers"] == [{
        "name": "reload web", "action": "command", "listen": ["app changed"],
        "at": f"{FIXTURES}/async_plan.yml:76", "notified_by": ["Switch the symlink"]}]
    link = steps(found, 1)[0]["block"][1]
    assert link["notify"] == [{"name": "app changed", "handlers": ["reload web"]}]


def test_tags_select_tasks(capsys: pytest.CaptureFixture[str]) -> None:
    found = plan(capsys, *CASES["async_plan"], "--tags", "backup")
    assert [s["runs"] for s in steps(found)] == [False, True, True]
    smoke = steps(plan(capsys, *CASES["async_plan"]), 1)[2]
    assert smoke["runs"] is False  # tagged `never`


def test_templated_hosts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = playbook(tmp_path, '- hosts: "{{ target }}"\n  tasks:\n    - ping:\n')
    inventory = f"{FIXTURES}/inventory.ini"
    known = plan(capsys, path, "-i", inventory, "-e", "target=db")
    assert known["plays"][0]["targets"]["hosts"] == ["db1", "db2"]
    unknown = plan(capsys, path, "-i", inventory)
    assert unknown["plays"][0]["targets"]["says"] == [
        "targets the hosts `{{ target }}` names once it is rendered at run time"]


def test_nothing_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    path = playbook(tmp_path, f"- hosts: localhost\n  tasks:\n    - command: touch {marker}\n")
    assert "runs the `command` module on each host" in explain(capsys, path)
    assert not marker.exists()
    assert os.listdir(tmp_path) == ["play.yml"]


def test_missing_playbook_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "nope.yml"]) == 1
    assert "could not be found" in capsys.readouterr().err
