"""The conformance comparer and normaliser on hand-written documents (no tools run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance_lib import (
    Case,
    Run,
    all_cases,
    compare,
    extract_document,
    normalise,
    parse_case,
    short_path,
    status_of,
)

CASE = Case(Path("x.yml"))


def document(home: str, rc: int = 0, name: str = "echo") -> dict[str, Any]:
    result = {
        "_ansible_no_log": False,
        "action": "command",
        "changed": True,
        "cmd": ["echo", "hi"],
        "delta": "0:00:00.006",
        "end": "2026-01-01 00:00:01",
        "start": "2026-01-01 00:00:00",
        "invocation": {"module_args": {}},
        "msg": "",
        "rc": rc,
        "stdout": f"{home}/x",
        "ansible_job_id": "j123.456",
        "results_file": f"{home}/.ansible_async/j123.456",
    }
    return {
        "custom_stats": {},
        "global_custom_stats": {},
        "plays": [
            {
                "play": {
                    "name": "P",
                    "id": "u1",
                    "path": f"{home}/x.yml:1",
                    "duration": {"start": "a", "end": "b"},
                },
                "tasks": [
                    {
                        "task": {
                            "name": name,
                            "id": "u2",
                            "path": f"{home}/x.yml:5:7",
                            "duration": {"start": "a"},
                        },
                        "hosts": {"h1": result},
                    }
                ],
            }
        ],
        "stats": {
            "h1": {
                "changed": 1,
                "failures": 0,
                "ignored": 0,
                "ok": 1,
                "rescued": 0,
                "skipped": 0,
                "unreachable": 0,
            }
        },
    }


def runs(doc_a: dict[str, Any], doc_m: dict[str, Any], code_m: int = 0) -> tuple[Run, Run]:
    a = Run("ansible", 0, doc_a, workdir=Path("/tmp/a/play"), home=Path("/tmp/a/home"))
    m = Run("miniplay", code_m, doc_m, workdir=Path("/tmp/m/play"), home=Path("/tmp/m/home"))
    return a, m


def test_volatile_fields_are_normalised_away() -> None:
    a, m = runs(document("/tmp/a/home"), document("/tmp/m/home"))
    assert compare(a, m, CASE) == []


def test_result_status_stats_exit_and_sequence_differences() -> None:
    doc_m = document("/tmp/m/home", rc=1)
    doc_m["plays"][0]["tasks"][0]["hosts"]["h1"]["failed"] = True
    doc_m["stats"]["h1"]["failures"] = 1
    a, m = runs(document("/tmp/a/home"), doc_m, code_m=2)
    diffs = compare(a, m, CASE)
    assert diffs == [
        "exit code: ansible=0 miniplay=2",
        "stats.h1.failures: ansible=0 miniplay=1",
        "play 1 task 1 [echo] h1: status: ansible=changed miniplay=failed",
        "play 1 task 1 [echo] h1.failed: only in miniplay: true",
        "play 1 task 1 [echo] h1.rc: ansible=0 miniplay=1",
    ]


def test_task_sequence_difference_stops_the_per_task_comparison() -> None:
    a, m = runs(document("/tmp/a/home"), document("/tmp/m/home", name="other"))
    (diff,) = compare(a, m, CASE)
    assert diff.startswith("task sequence:")
    assert "P / echo" in diff
    assert "P / other" in diff


def test_types_matter_and_ignored_keys_do_not() -> None:
    doc_m = document("/tmp/m/home")
    doc_m["plays"][0]["tasks"][0]["hosts"]["h1"]["rc"] = "0"
    a, m = runs(document("/tmp/a/home"), doc_m)
    assert compare(a, m, CASE) == ['play 1 task 1 [echo] h1.rc: ansible=0 miniplay="0"']
    scoped = Case(Path("x.yml"), ignores=(("echo", frozenset({"rc"})),))
    assert compare(a, m, scoped) == []
    other_task = Case(Path("x.yml"), ignores=(("nope", frozenset({"rc"})),))
    assert len(compare(a, m, other_task)) == 1


def test_missing_document_and_hosts() -> None:
    doc_m = document("/tmp/m/home")
    doc_m["plays"][0]["tasks"][0]["hosts"]["h2"] = {"changed": False}
    a, m = runs(document("/tmp/a/home"), doc_m)
    assert compare(a, m, CASE) == [
        "play 1 task 1 [echo]: hosts: ansible=['h1'] miniplay=['h1', 'h2']"
    ]
    a, m = runs(document("/tmp/a/home"), doc_m)
    m.document = None
    assert compare(a, m, CASE) == ["document: ansible=present miniplay=missing"]


def test_item_results_are_compared_inside_results() -> None:
    doc_a = document("/tmp/a/home")
    doc_a["plays"][0]["tasks"][0]["hosts"]["h1"]["results"] = [{"item": 1, "rc": 0}]
    doc_m = document("/tmp/m/home")
    doc_m["plays"][0]["tasks"][0]["hosts"]["h1"]["results"] = [{"item": "1", "rc": 0}]
    a, m = runs(doc_a, doc_m)
    assert compare(a, m, CASE) == [
        'play 1 task 1 [echo] h1.results[0].item: ansible=1 miniplay="1"'
    ]


def test_helpers() -> None:
    run = Run("x", 0, None, workdir=Path("/w"), home=Path("/h"))
    assert normalise({"a": "/w/f j1.2 /h", "_ansible_x": 1, "delta": 3}, run) == {
        "a": "<dir>/f <jid> <home>"
    }
    assert short_path("/tmp/p/loops.yml:12:5") == "loops.yml:12"
    assert status_of({"failed": True, "changed": True}) == "failed"
    assert status_of({"changed": True}) == "changed"
    assert extract_document('noise\n{\n "a": 1\n}\n') == {"a": 1}
    assert extract_document("no json") is None


def test_header_parsing(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        "# conformance: args: -e x=1 -e '{\"n\": 5}' -C\n"
        "# conformance: needs: async, ssh\n"
        "# conformance: ignore-keys: msg @ some task\n"
        "# conformance: ignore-keys: attempts\n"
        "# deviation: on purpose\n"
        "- hosts: all\n# conformance: needs: late\n"
    )
    case = parse_case(path)
    assert case.args == ("-e", "x=1", "-e", '{"n": 5}', "-C")
    assert case.needs == {"async", "ssh"}
    assert case.ignored_keys("some task") == {"msg", "attempts"}
    assert case.ignored_keys("other") == {"attempts"}
    assert case.deviations == ("on purpose",)


def test_fixture_headers_parse() -> None:
    cases = all_cases()
    assert len(cases) >= 30
    assert {"async_poll", "async_status_wait"} <= {c.name for c in cases if "async" in c.needs}
