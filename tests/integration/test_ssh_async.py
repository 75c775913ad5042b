"""Async jobs over SSH: poll > 0, poll 0 + async_status, jobs that outlive the connection,
and polling that survives a dropped connection (reconnects and goes on)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from ssh_cli import command, environment, inventory, loopback_hosts, recap, run
from sshd_server import SshServer

pytestmark = pytest.mark.ssh

POLLED = """
- hosts: all
  gather_facts: false
  tasks:
    - name: polled
      command: sleep 1
      async: 10
      poll: 1
      register: job
    - assert:
        that: [job.finished == 1, job.rc == 0, job.ansible_job_id is defined]
"""

FANOUT = """
- hosts: all
  gather_facts: false
  tasks:
    - name: start
      command: "sleep {{ item }}"
      async: 30
      poll: 0
      loop: [1, 2, 1]
      register: jobs
    - name: wait
      async_status:
        jid: "{{ item.ansible_job_id }}"
      loop: "{{ jobs.results }}"
      register: waited
      until: waited.finished
      retries: 30
      delay: 1
    - assert:
        that:
          - "waited.results | map(attribute='rc') | list == [0, 0, 0]"
"""


def test_async_poll_over_ssh(tmp_path: Path, sshd: SshServer) -> None:
    inv = inventory(tmp_path, sshd, loopback_hosts(5))
    done = run(tmp_path, POLLED, inv, "-f", "5", timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert all(s["ok"] == 2 for s in recap(done.stdout).values())


def test_async_fire_and_forget_then_status(tmp_path: Path, sshd: SshServer) -> None:
    inv = inventory(tmp_path, sshd, loopback_hosts(5))
    started = time.monotonic()
    done = run(tmp_path, FANOUT, inv, "-f", "5", timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - started < 15  # the sleeps overlap
    assert all(s["ok"] == 3 for s in recap(done.stdout).values())


def test_job_outlives_its_connection(tmp_path: Path, sshd: SshServer) -> None:
    marker = tmp_path / "marker"
    text = f"""
- hosts: all
  gather_facts: false
  tasks:
    - command: sh -c 'sleep 2; echo done > {marker}'
      async: 30
      poll: 0
      register: job
    - meta: reset_connection
    - async_status:
        jid: "{{{{ job.ansible_job_id }}}}"
      register: waited
      until: waited.finished
      retries: 20
      delay: 1
    - command: cat {marker}
      register: out
    - assert: {{that: [out.stdout == "done"]}}
"""
    inv = inventory(tmp_path, sshd, loopback_hosts(1))
    done = run(tmp_path, text, inv, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def _drop_sessions_during(tmp_path: Path, server: SshServer, text: str,
                          task: str) -> tuple[int, str]:
    """Run `text`; once `task` starts, kill every SSH session (the listener stays)."""
    playbook = tmp_path / "drop.yml"
    playbook.write_text(text)
    inv = inventory(tmp_path, server, loopback_hosts(3))
    with subprocess.Popen(command(playbook, inv, "-f", "3"), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          env=environment(tmp_path)) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(f"TASK [{task}]"):
                break
        time.sleep(1.5)
        sessions = server.sessions()
        assert sessions, "no SSH session to drop"
        for pid in sessions:
            os.kill(pid, signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    return proc.returncode, rest


def test_status_polling_survives_a_dropped_connection(tmp_path: Path,
                                                      private_sshd: SshServer) -> None:
    text = FANOUT.replace("[1, 2, 1]", "[4, 4, 4]")
    code, out = _drop_sessions_during(tmp_path, private_sshd, text, "wait")
    assert code == 0, out
    assert all(s["ok"] == 3 and s["unreachable"] == 0 for s in recap(out).values()), out


def test_poll_survives_a_dropped_connection(tmp_path: Path, private_sshd: SshServer) -> None:
    text = POLLED.replace("sleep 1", "sleep 4")
    code, out = _drop_sessions_during(tmp_path, private_sshd, text, "polled")
    assert code == 0, out
    assert all(s["ok"] == 2 and s["unreachable"] == 0 for s in recap(out).values()), out
