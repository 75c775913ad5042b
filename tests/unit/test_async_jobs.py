"""Async jobs end to end on this machine: launch, status files, watchdog, async_status."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from miniplay.connection.base import ModuleRequest
from miniplay.connection.local import LocalConnection

MODULES = Path(__file__).parents[2] / "modules"
SHELL = (MODULES / "shell.py").read_bytes()
STATUS = (MODULES / "async_status.py").read_bytes()


class Host:
    """A LocalConnection driven from sync tests, with its own event loop."""

    def __init__(self, async_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.connection = LocalConnection("localhost")
        self.async_dir = str(async_dir)

    def shell(self, cmd: str, async_seconds: int = 0, **fields: Any) -> dict[str, Any]:
        request = ModuleRequest("shell", SHELL, {"_raw_params": cmd},
                                async_seconds=async_seconds, async_dir=self.async_dir, **fields)
        return self.loop.run_until_complete(self.connection.run_module(request))

    def status(self, jid: str, mode: str = "status") -> dict[str, Any]:
        args = {"jid": jid, "mode": mode, "_async_dir": self.async_dir}
        request = ModuleRequest("async_status", STATUS, args)
        return self.loop.run_until_complete(self.connection.run_module(request))

    def close(self) -> None:
        self.loop.run_until_complete(self.connection.close())
        self.loop.close()


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    running = Host(tmp_path / "async")
    yield running
    running.close()


def wait_finished(path: Path, limit: float = 5) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        record: dict[str, Any] = json.loads(path.read_text())
        if "started" not in record:
            return record
        time.sleep(0.05)
    raise AssertionError(f"job did not finish: {path.read_text()}")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_launch_is_fast_and_leaves_a_running_record(host: Host, tmp_path: Path) -> None:
    host.shell("true")  # agent started: time only the launch
    started = time.monotonic()
    launch = host.shell("sleep 1", async_seconds=10)
    assert time.monotonic() - started < 1  # about 5 ms when the machine is idle
    jid = launch["ansible_job_id"]
    assert re.fullmatch(r"j\d+\.\d+", jid)
    results = tmp_path / "async" / jid
    assert launch == {"ansible_job_id": jid, "started": True, "finished": False,
                      "results_file": str(results), "changed": True, "failed": False}
    assert json.loads(results.read_text()) == {"started": True, "finished": False,
                                               "ansible_job_id": jid}
    assert (tmp_path / "async").stat().st_mode & 0o777 == 0o700
    assert results.stat().st_mode & 0o777 == 0o600


def test_job_outlives_the_agent(host: Host, tmp_path: Path) -> None:
    launch = host.shell("sleep 0.5; echo done", async_seconds=10)
    host.loop.run_until_complete(host.connection.close())
    record = wait_finished(Path(launch["results_file"]))
    assert record["stdout"] == "done"
    assert record["rc"] == 0
    assert record["changed"] is True
    assert "finished" not in record
    jid = launch["ansible_job_id"]
    # the status file, plus the `.<jid>.meta` sidecar that `miniplay jobs` reads
    assert sorted(p.name for p in (tmp_path / "async").iterdir()) == [f".{jid}.meta", jid]


def test_status_file_is_always_whole_json(host: Host) -> None:
    launch = host.shell("sleep 0.2; echo x", async_seconds=10)
    path = Path(launch["results_file"])
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        record = json.loads(path.read_text())  # never empty or partial
        if "started" not in record:
            break
    assert record["stdout"] == "x"


def test_watchdog_kills_the_whole_group_at_the_limit(host: Host, tmp_path: Path) -> None:
    pidfile = tmp_path / "sleeper"
    started = time.monotonic()
    launch = host.shell(f"sleep 30 & echo $! > {pidfile}; wait", async_seconds=1)
    record = wait_finished(Path(launch["results_file"]))
    assert 0.9 < time.monotonic() - started < 4
    assert record["failed"] is True
    assert record["msg"] == "Timeout exceeded"
    assert isinstance(record["child_pid"], int)
    assert not alive(int(pidfile.read_text()))
    assert not alive(record["child_pid"])


def test_failed_job_and_non_json_job(host: Host) -> None:
    failed = wait_finished(Path(host.shell("echo oops >&2; exit 3", 5)["results_file"]))
    assert (failed["rc"], failed["failed"], failed["stderr"]) == (3, True, "oops")
    assert failed["msg"] == "non-zero return code"
    request = ModuleRequest("junk", b"print('no json here')\n", {}, async_seconds=5,
                            async_dir=host.async_dir)
    launch = host.loop.run_until_complete(host.connection.run_module(request))
    junk = wait_finished(Path(launch["results_file"]))
    assert junk["failed"] is True
    assert junk["msg"] == "Module result deserialization failed: No start of json char found"
    assert junk["module_stdout"] == "no json here\n"


def test_check_mode_job_still_launches(host: Host) -> None:
    launch = host.shell("echo hi", async_seconds=5, check_mode=True)
    assert launch["changed"] is True
    record = wait_finished(Path(launch["results_file"]))
    assert record["skipped"] is True
    assert record["msg"] == "Command would have run if not in check mode"


def test_async_status_running_finished_cleanup(host: Host) -> None:
    launch = host.shell("sleep 0.4; echo out", async_seconds=10)
    jid, path = launch["ansible_job_id"], launch["results_file"]
    running = host.status(jid)
    assert running["started"] is True
    assert running["finished"] is False
    assert running["results_file"] == path
    assert (running["stdout"], running["stderr"], running["stdout_lines"]) == ("", "", [])
    wait_finished(Path(path))
    done = host.status(jid)
    assert done["finished"] is True
    assert done["started"] is True
    assert done["stdout"] == "out"
    assert done["rc"] == 0
    assert done["ansible_job_id"] == jid
    assert host.status(jid)["finished"] is True  # status never deletes
    erased = host.status(jid, mode="cleanup")
    assert erased["erased"] == path
    assert (erased["started"], erased["finished"]) == (False, False)
    assert not Path(path).exists()


def test_async_status_unknown_job(host: Host) -> None:
    result = host.status("j123.456")
    assert result["failed"] is True
    assert result["msg"] == "could not find job"
    assert (result["started"], result["finished"]) == (True, True)
    assert (result["stdout"], result["stderr"]) == ("", "")


def test_async_status_corrupt_and_empty_files(host: Host) -> None:
    directory = Path(host.async_dir)
    directory.mkdir(mode=0o700)
    (directory / "j1.1").write_text("{not json")
    (directory / "j2.2").write_text("")
    corrupt = host.status("j1.1")
    assert corrupt["failed"] is True
    assert corrupt["msg"] == "Could not parse job output: {not json"
    empty = host.status("j2.2")
    assert (empty["started"], empty["finished"]) == (True, False)
    assert not empty.get("failed")


@pytest.mark.parametrize(
    "jid", ["../victim", "{victim}", "j1.2/../../victim", "j1.2\0", "j1", "123.456", "j1.2\n"],
)
@pytest.mark.parametrize("mode", ["status", "cleanup"])
def test_async_status_refuses_paths_as_job_ids(
    host: Host, tmp_path: Path, jid: str, mode: str
) -> None:
    victim = tmp_path / "victim"
    victim.write_text('{"secret": 1}')
    result = host.status(jid.format(victim=victim), mode=mode)
    assert result["failed"] is True
    assert result["msg"].startswith("invalid job id: ")
    assert "secret" not in result
    assert victim.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim"]  # nothing created


def test_meta_start_time_is_the_launch_time(host: Host, tmp_path: Path) -> None:
    """`miniplay jobs list` orders by the `.meta` start time: it is taken when the agent
    launches the job, before the launch is answered, so jobs list in launch order."""
    host.shell("true")
    launched = []
    for _ in range(3):
        before = time.time()
        jid = host.shell("sleep 0.3", async_seconds=10)["ansible_job_id"]
        launched.append((jid, before, time.time()))
    for jid, before, answered in launched:
        meta = tmp_path / "async" / f".{jid}.meta"
        deadline = time.monotonic() + 5
        while not meta.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        started = json.loads(meta.read_text())["started"]
        assert before <= started <= answered
