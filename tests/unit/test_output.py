"""DefaultOutput over synthetic event sequences, checked against ansible-core 2.19 text.

The scenario mirrors a real ansible-playbook run (command, debug, a failing host, loops
that succeed / all skip / fail an item, until-retries, async polls, delegation, assert,
no_log, a handler, an unreachable host); the exact-line tests were copied from that
run's output, the snapshots cover the whole text per verbosity and colour.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from miniplay.events import (
    Event,
    HostResult,
    ItemResult,
    JobPolled,
    JobStarted,
    Notice,
    PlaybookStart,
    PlayEnd,
    PlayStart,
    Recap,
    Retrying,
    TaskEnd,
    TaskStart,
    Warning,
)
from miniplay.output import DefaultOutput
from miniplay.results import HostStats, TaskStatus

T0 = 1_800_000_000.0
OK, CHANGED, FAILED = TaskStatus.OK, TaskStatus.CHANGED, TaskStatus.FAILED
SKIPPED, UNREACHABLE = TaskStatus.SKIPPED, TaskStatus.UNREACHABLE
SKIP = {
    "changed": False,
    "false_condition": "inventory_hostname == 'web02'",
    "skip_reason": "Conditional result was False",
    "skipped": True,
}


def command(out: str, rc: int = 0, **extra: Any) -> dict[str, Any]:
    """A command module result with fixed times."""
    result = {
        "changed": True,
        "cmd": out.split(),
        "delta": "0:00:00.006686",
        "end": "2026-11-29 05:00:19.114159",
        "msg": "" if rc == 0 else "non-zero return code",
        "rc": rc,
        "start": "2026-11-29 05:00:19.107473",
        "stderr": "",
        "stderr_lines": [],
        "stdout": out if rc == 0 else "",
        "stdout_lines": [out] if rc == 0 else [],
        "invocation": {"module_args": {"_raw_params": out}},
        "_ansible_no_log": False,
    }
    if rc:
        result["failed"] = True
    result.update(extra)
    return result


class Play:
    """Builds the event list of one play, task by task."""

    def __init__(self) -> None:
        self.events: list[Event] = [
            PlaybookStart("/p/site.yml", T0, 1),
            PlayStart("Demo", "play-1", "/p/site.yml:1", ("web01", "web02", "db1"), T0),
        ]
        self.uid = ""

    def task(self, name: str, action: str, handler: bool = False) -> None:
        self.uid = f"task-{len(self.events)}"
        line = len(self.events)
        self.events.append(
            TaskStart(name, self.uid, action, f"/p/site.yml:{line}", T0, handler, "play-1")
        )

    def result(self, host: str, status: TaskStatus, result: dict[str, Any], **kw: Any) -> None:
        start: TaskStart = next(
            e for e in self.events if isinstance(e, TaskStart) and e.uid == self.uid
        )
        self.events.append(
            HostResult(host, self.uid, start.name, start.action, status, result, T0, T0 + 1, **kw)
        )

    def item(
        self, host: str, status: TaskStatus, label: str, result: dict[str, Any], **kw: Any
    ) -> None:
        self.events.append(ItemResult(host, self.uid, status, label, result, **kw))

    def end(self) -> None:
        self.events.append(TaskEnd(self.uid, T0 + 2))


def scenario() -> list[Event]:
    p = Play()
    p.task("command", "command")
    for host in ("web02", "web01", "db1"):
        p.result(host, CHANGED, command("hi"))
    p.result(
        "bad",
        UNREACHABLE,
        {"changed": False, "msg": "Task failed: ssh: refused", "unreachable": True},
    )
    p.end()
    p.task("debug", "debug")
    p.result(
        "web01",
        OK,
        {"r.stdout": "hi", "changed": False, "_ansible_verbose_always": True},
        verbose_always=True,
    )
    p.task("fail one", "fail")
    p.result("web01", SKIPPED, dict(SKIP))
    p.result(
        "web02",
        FAILED,
        {"changed": False, "failed": True, "msg": "nope", "exception": "(traceback unavailable)"},
    )
    p.events.append(Warning("Host web02 left the play"))
    add_loops(p)
    add_retry_async(p)
    add_misc(p)
    stats = {
        "web01": HostStats(ok=12, changed=5, skipped=4, ignored=1),
        "db1": HostStats(ok=13, changed=6, skipped=3, ignored=1),
        "web02": HostStats(ok=3, changed=1, failures=1),
        "bad": HostStats(unreachable=1),
    }
    p.events += [PlayEnd("play-1", T0 + 9), Recap(stats, T0 + 9)]
    return p.events


def add_loops(p: Play) -> None:
    p.task("loop", "command")
    for n in ("1", "2"):
        p.item("web01", OK, n, command(n, changed=False, item=int(n), ansible_loop_var="item"))
    p.result(
        "web01", OK, {"changed": False, "msg": "All items completed", "results": []}, loop=True
    )
    p.task("loop skip", "debug")
    item_skip = {**SKIP, "item": 1, "ansible_loop_var": "item", "false_condition": "item > 5"}
    p.item("web01", SKIPPED, "1", item_skip)
    p.result(
        "web01",
        SKIPPED,
        {"changed": False, "msg": "All items skipped", "results": [item_skip], "skipped": True},
        loop=True,
    )
    p.task("loop fail", "command")
    p.item("web01", CHANGED, "true", command("true", item="true", ansible_loop_var="item"))
    p.item("web01", FAILED, "false", command("false", rc=1, item="false", ansible_loop_var="item"))
    p.result(
        "web01",
        FAILED,
        {"changed": True, "failed": True, "msg": "One or more items failed", "results": []},
        loop=True,
        ignored=True,
    )
    p.task("debug items", "debug")
    p.item(
        "web01",
        OK,
        "a",
        {"msg": "a", "item": "a", "ansible_loop_var": "item", "changed": False},
        verbose_always=True,
    )
    p.task("empty", "command")
    p.result(
        "web01",
        SKIPPED,
        {
            "skipped": True,
            "skipped_reason": "No items in the list",
            "results": [],
            "changed": False,
        },
        loop=True,
    )


def add_retry_async(p: Play) -> None:
    p.task("retry", "command")
    p.events.append(Retrying("db1", "retry", 3, command("true", attempts=1, retries=3)))
    p.result("db1", CHANGED, command("true", attempts=2))
    p.task("async", "command")
    p.events.append(JobStarted("db1", p.uid, "j159156714219.6810", 10, 1, T0))
    p.events.append(JobPolled("db1", p.uid, "j159156714219.6810", False, False, T0))
    p.events.append(JobPolled("db1", p.uid, "j159156714219.6810", True, False, T0))
    p.result("db1", CHANGED, command("sleep 2", ansible_job_id="j159156714219.6810", finished=True))
    p.task("async fail", "command")
    p.events.append(JobPolled("db1", p.uid, "j1.2", True, True, T0))
    p.result("db1", FAILED, command("false", rc=1, ansible_job_id="j1.2"), ignored=True)


def add_misc(p: Play) -> None:
    p.task("deleg", "command")
    p.result("db1", SKIPPED, dict(SKIP))
    p.result("web01", CHANGED, command("true"), delegated_to="db1")
    p.task("assert", "assert")
    p.result("web01", OK, {"changed": False, "msg": "All assertions passed"}, verbose_always=True)
    p.task("nolog", "command")
    p.result("web01", CHANGED, command("secret"), no_log=True)
    p.task("nolog loop", "command")
    p.item("web01", CHANGED, "a", command("a"), no_log=True)
    p.task("a handler", "command", handler=True)
    p.result("db1", CHANGED, command("x"))
    p.events.append(Notice("NO MORE HOSTS LEFT", banner=True))


def render(events: list[Event], **kw: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    sink = DefaultOutput(out, err, **kw)
    for event in events:
        sink.emit(event)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("verbosity", [0, 1, 2, 3])
@pytest.mark.parametrize("color", [False, True], ids=["plain", "color"])
def test_default_output_snapshot(verbosity: int, color: bool, snapshot: SnapshotAssertion) -> None:
    out, err = render(scenario(), verbosity=verbosity, color=color)
    assert (out, err) == snapshot


def test_lines_match_ansible_2_19() -> None:
    lines = render(scenario())[0].splitlines()
    expected = [
        "PLAY [Demo] ********************************************************************",
        "TASK [command] *****************************************************************",
        "changed: [web02]",
        'fatal: [bad]: UNREACHABLE! => {"changed": false, "msg": "Task failed: ssh: refused", '
        '"unreachable": true}',
        'fatal: [web02]: FAILED! => {"changed": false, "msg": "nope"}',
        "ok: [web01] => (item=1)",
        "skipping: [web01] => (item=1) ",
        "skipping: [web01]",
        "...ignoring",
        "FAILED - RETRYING: [db1]: retry (3 retries left).",
        "ASYNC POLL on db1: jid=j159156714219.6810 started=True finished=False",
        "ASYNC OK on db1: jid=j159156714219.6810",
        "ASYNC FAILED on db1: jid=j1.2",
        "changed: [web01 -> db1]",
        "changed: [web01] => (item=(censored due to no_log))",
        "RUNNING HANDLER [a handler] ****************************************************",
        "NO MORE HOSTS LEFT *************************************************************",
        "db1                        : ok=13   changed=6    unreachable=0    failed=0    "
        "skipped=3    rescued=0    ignored=1   ",
        "bad                        : ok=0    changed=0    unreachable=1    failed=0    "
        "skipped=0    rescued=0    ignored=0   ",
    ]
    for line in expected:
        assert line in lines, line
    assert all(len(line) == 80 for line in lines if line.endswith("**"))


def test_loop_ok_and_failed_print_no_aggregate_line() -> None:
    lines = render(scenario())[0].splitlines()
    start = lines.index(
        "TASK [loop fail] ***************************************************************"
    )
    block = lines[start + 1 : start + 4]
    assert block[0] == "changed: [web01] => (item=true)"
    assert block[1].startswith(
        'failed: [web01] (item=false) => {"ansible_loop_var": "item", "changed": true'
    )
    assert block[2] == "...ignoring"


def test_debug_is_expanded_and_cleaned() -> None:
    text = render(scenario())[0]
    assert 'ok: [web01] => {\n    "r.stdout": "hi"\n}\n' in text
    assert 'ok: [web01] => (item=a) => {\n    "msg": "a"\n}\n' in text
    assert (
        'ok: [web01] => {\n    "changed": false,\n    "msg": "All assertions passed"\n}\n' in text
    )


def test_verbose_hides_internal_keys_and_invocation_until_vvv() -> None:
    v1 = render(scenario(), verbosity=1)[0]
    assert "invocation" not in v1
    assert "_ansible" not in v1
    assert '"censored": "the output has been hidden' in v1
    assert "secret" not in v1
    assert '"skip_reason": "Conditional result was False"' in v1
    assert '"skipped": true' not in v1.split("TASK [fail one]")[1].split("TASK")[0]
    v3 = render(scenario(), verbosity=3)[0]
    assert '"invocation": {' in v3
    assert "task path: /p/site.yml:" in v3


def test_warnings_go_to_err_once() -> None:
    events = [Warning("x is odd"), Warning("x is odd")]
    out, err = render(events)
    assert (out, err) == ("", "[WARNING]: x is odd\n")


def test_colour_codes_follow_ansible_palette() -> None:
    out = render(scenario(), color=True)[0]
    assert "\033[0;33mchanged: [web02]\033[0m" in out
    assert "\033[0;31mfatal: [web02]: FAILED!" in out
    assert "\033[1;31mfatal: [bad]: UNREACHABLE!" in out
    assert "\033[0;36mskipping: [web01]\033[0m" in out
    assert "\033[0;32mdb1\033[0m" not in out  # db1 changed: yellow host
    assert "\033[0;33mdb1\033[0m" + " " * 23 + " : \033[0;32mok=13  \033[0m" in out


def test_no_colour_when_disabled() -> None:
    assert "\033[" not in "".join(render(scenario(), color=False))


def test_wide_terminal_banner() -> None:
    out = render([PlayStart("x", "u", "", (), T0)], width=120)[0]
    assert out == "\nPLAY [x] " + "*" * (119 - 8) + "\n"
