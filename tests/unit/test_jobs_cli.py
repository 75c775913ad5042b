"""`miniplay jobs list|show|cleanup|kill` on jobs a real playbook run started.

Two local hosts, each with its own `ansible_async_dir` (inventory variable) inside
`tmp_path`, so each host's listing shows only its own jobs; `ANSIBLE_ASYNC_DIR` points
into `tmp_path` too, so nothing here can see or touch `~/.ansible_async`.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

PYTHON = sys.executable
HOSTS = ("n1", "n2")

START = """
- hosts: all
  gather_facts: false
  tasks:
    - name: quick job
      command: echo quick
      async: 30
      poll: 0
      register: quick
    - name: failing job
      shell: echo broken >&2; exit 3
      async: 30
      poll: 0
      register: failing
    - name: slow job
      command: sleep {slow}
      async: 120
      poll: 0
    - name: wait for the quick ones
      async_status:
        jid: "{{{{ item }}}}"
      loop:
        - "{{{{ quick.ansible_job_id }}}}"
        - "{{{{ failing.ansible_job_id }}}}"
      register: st
      until: st is finished
      retries: 60
      delay: 1
      failed_when: false
"""


@dataclass
class Started:
    """Jobs a playbook left behind: per host, the job ids by name."""

    root: Path
    slow_seconds: str
    jids: dict[str, dict[str, str]]

    def host_dir(self, host: str) -> Path:
        return self.root / f"async_{host}"


def env(root: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    return {**clean, "NO_COLOR": "1", "ANSIBLE_ASYNC_DIR": str(root / "async_default")}


def miniplay(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "miniplay", *args], capture_output=True, text=True,
                          cwd=root, env=env(root), timeout=180, check=False)


def jobs(started: Started, *args: str) -> subprocess.CompletedProcess[str]:
    return miniplay(started.root, "jobs", "-i", "inventory.ini", *args)


def write_inventory(root: Path) -> None:
    lines = [f"{h} ansible_connection=local ansible_python_interpreter={PYTHON} "
             f"ansible_async_dir={root / f'async_{h}'}" for h in HOSTS]
    (root / "inventory.ini").write_text("[nodes]\n" + "\n".join(lines) + "\n")


def launched_jids(doc: dict[str, Any]) -> dict[str, dict[str, str]]:
    """host -> task name -> job id, from the run's JSON document."""
    found: dict[str, dict[str, str]] = {h: {} for h in HOSTS}
    for task in doc["plays"][0]["tasks"]:
        for host, result in task["hosts"].items():
            if "ansible_job_id" in result and task["task"]["name"].endswith(" job"):
                found[host][task["task"]["name"]] = result["ansible_job_id"]
    return found


def pids_with(argument: str) -> list[int]:
    """Live (non-zombie) processes whose command line contains `argument`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, NotADirectoryError, ProcessLookupError, IndexError):
            continue
        if argument in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Started]:
    slow = f"{random.randint(300, 399)}.{random.randint(10**6, 10**7 - 1)}"
    write_inventory(tmp_path)
    (tmp_path / "start.yml").write_text(START.format(slow=slow))
    done = miniplay(tmp_path, "start.yml", "-i", "inventory.ini", "-o", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    yield Started(tmp_path, slow, launched_jids(json.loads(done.stdout)))
    for pid in pids_with(f"sleep {slow}"):  # the slow jobs this test started
        os.kill(pid, signal.SIGKILL)


VOLATILE = [
    (re.compile(r"j\d+\.\d+"), "<jid>"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+s"), "<started> <elapsed>"),
    (re.compile(r"sleep \d+\.\d+"), "sleep <n>"),
    (re.compile(r" +"), " "),  # column widths follow the replaced values
]


def normalise(text: str) -> str:
    """Volatile values replaced; rows sorted (jobs started within a few ms may swap)."""
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    header, *table = text.splitlines()
    return "\n".join([header, *sorted(table)]) + "\n"


def rows(text: str) -> dict[str, list[str]]:
    """`list` output: job id -> its columns (the header row dropped)."""
    table = [line.split() for line in text.splitlines()[1:]]
    return {cols[1]: cols for cols in table}


# -- list ---------------------------------------------------------------------------------


def test_list_shows_each_hosts_jobs_with_state_and_module(
        started: Started, snapshot: SnapshotAssertion) -> None:
    done = jobs(started, "list")
    assert done.returncode == 0, done.stderr
    listed = rows(done.stdout)
    for host, jids in started.jids.items():
        assert listed[jids["quick job"]][0] == host
        assert listed[jids["quick job"]][2] == "finished"
        assert listed[jids["failing job"]][2] == "failed"
        assert listed[jids["slow job"]][2] == "running"
    assert len(listed) == 6
    assert normalise(done.stdout) == snapshot


def test_list_json_carries_the_results(started: Started) -> None:
    done = jobs(started, "list", "--format", "json")
    answers = json.loads(done.stdout)
    assert sorted(answers) == list(HOSTS)
    for host in HOSTS:
        by_id = {job["jid"]: job for job in answers[host]["jobs"]}
        failing = by_id[started.jids[host]["failing job"]]
        assert (failing["rc"], failing["module"], failing["async"]) == (3, "shell", 30)
        assert failing["result"]["stderr"] == "broken"


def test_limit_selects_hosts(started: Started) -> None:
    done = jobs(started, "list", "--limit", "n2")
    assert {cols[0] for cols in rows(done.stdout).values()} == {"n2"}


# -- show ---------------------------------------------------------------------------------


def test_show_prints_the_result(started: Started) -> None:
    jid = started.jids["n1"]["quick job"]
    done = jobs(started, "show", jid, "--limit", "n1")
    assert done.returncode == 0, done.stderr
    first, _, document = done.stdout.partition("\n")
    assert first == f"n1: {jid} (finished)"
    result = json.loads(document)
    assert (result["stdout"], result["rc"], result["cmd"]) == ("quick", 0, ["echo", "quick"])


def test_show_of_a_job_the_host_does_not_have(started: Started) -> None:
    done = jobs(started, "show", started.jids["n1"]["quick job"], "--limit", "n2")
    assert done.returncode == 2
    assert done.stdout.strip() == "n2: FAILED: could not find job"


# -- kill ---------------------------------------------------------------------------------


def test_kill_ends_the_process_group_and_records_it(started: Started) -> None:
    jid = started.jids["n1"]["slow job"]
    assert len(pids_with(f"sleep {started.slow_seconds}")) == 2  # one per host
    done = jobs(started, "kill", jid, "--limit", "n1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"n1: {jid} killed"
    deadline = time.monotonic() + 10
    while len(pids_with(f"sleep {started.slow_seconds}")) > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(pids_with(f"sleep {started.slow_seconds}")) == 1  # n2's job still runs
    record = json.loads((started.host_dir("n1") / jid).read_text())
    assert (record["killed"], record["failed"]) == (True, True)
    assert rows(jobs(started, "list").stdout)[jid][2] == "killed"


def test_kill_refuses_a_finished_job(started: Started) -> None:
    jid = started.jids["n1"]["quick job"]
    done = jobs(started, "kill", jid, "--limit", "n1")
    assert done.returncode == 2
    assert done.stdout.strip() == f"n1: FAILED: job {jid} is not running (finished)"


# -- cleanup ------------------------------------------------------------------------------


def test_cleanup_finished_keeps_running_jobs(started: Started) -> None:
    done = jobs(started, "cleanup", "--finished")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["n1: removed 2 job file(s)", "n2: removed 2 job file(s)"]
    for host in HOSTS:
        left = sorted(p.name for p in started.host_dir(host).iterdir())
        slow = started.jids[host]["slow job"]
        assert left == [f".{slow}.meta", slow]


def test_cleanup_of_one_job(started: Started) -> None:
    jid = started.jids["n2"]["failing job"]
    done = jobs(started, "cleanup", jid, "--limit", "n2")
    assert done.returncode == 0, done.stderr
    assert not (started.host_dir("n2") / jid).exists()
    assert not (started.host_dir("n2") / f".{jid}.meta").exists()
    assert len(list(started.host_dir("n2").glob("j*"))) == 2


# -- job ids are checked ------------------------------------------------------------------


@pytest.mark.parametrize("action", ["show", "kill", "cleanup"])
@pytest.mark.parametrize("jid", ["../victim", "/etc/passwd", "j1.2/../x"])
def test_invalid_job_ids_are_refused(tmp_path: Path, action: str, jid: str) -> None:
    write_inventory(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text('{"rc": 0}')
    done = miniplay(tmp_path, "jobs", "-i", "inventory.ini", action, jid, "--limit", "n1")
    assert done.returncode == 2
    assert done.stdout.strip() == f"n1: FAILED: invalid job id: {jid!r}"
    assert victim.read_text() == '{"rc": 0}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.ini", "victim"]
