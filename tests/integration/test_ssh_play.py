"""Plays over real SSH: many hosts at once, command/shell/raw/ping, no Python needed for raw."""

from __future__ import annotations

from pathlib import Path

import pytest
from ssh_cli import host_line, inventory, loopback_hosts, recap, run
from sshd_server import SshServer

pytestmark = pytest.mark.ssh

MODULES = """
- hosts: all
  gather_facts: false
  tasks:
    - name: command
      command: echo "{{ inventory_hostname }} via {{ ansible_host }}"
      register: said
    - name: shell
      shell: echo $((6 * 7)) | tr -d '\\n'; echo " $SSH_CONNECTION" >&2
      register: sh
    - name: raw
      raw: echo raw-ok
      register: rawed
    - name: ping
      ping:
    - name: check
      assert:
        that:
          - said.stdout == inventory_hostname ~ " via " ~ ansible_host
          - sh.stdout == "42"
          - ansible_host in sh.stderr
          - rawed.stdout | trim == "raw-ok"
          - rawed.rc == 0
"""


def test_twenty_loopback_hosts_run_every_module(tmp_path: Path, sshd: SshServer) -> None:
    inv = inventory(tmp_path, sshd, loopback_hosts(20))
    done = run(tmp_path, MODULES, inv, "-f", "20")
    assert done.returncode == 0, done.stdout + done.stderr
    stats = recap(done.stdout)
    assert sorted(stats) == [f"h{i:02d}" for i in range(1, 21)]
    assert all(s == {"ok": 5, "changed": 3, "unreachable": 0, "failed": 0}
               for s in stats.values()), stats


def test_hosts_connect_concurrently(tmp_path: Path, sshd: SshServer) -> None:
    """20 hosts each sleeping 2 s finish in far less than 20 x 2 s."""
    inv = inventory(tmp_path, sshd, loopback_hosts(20))
    text = "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: sleep 2\n"
    done = run(tmp_path, text, inv, "-f", "20", timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


def test_raw_needs_no_python(tmp_path: Path, sshd: SshServer) -> None:
    inv = inventory(tmp_path, sshd, [
        host_line("nopython", "127.0.0.2", ansible_python_interpreter="/nonexistent/python")])
    text = """
- hosts: all
  gather_facts: false
  tasks:
    - raw: uname -s
      register: out
    - assert: {that: [out.stdout | trim == "Linux"]}
"""
    done = run(tmp_path, text, inv)
    assert done.returncode == 0, done.stdout + done.stderr


def test_python_is_found_on_the_host_when_not_set(tmp_path: Path, sshd: SshServer) -> None:
    inv = inventory(tmp_path, sshd, [host_line("found", "127.0.0.3")])
    text = "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n"
    done = run(tmp_path, text, inv)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok: [found]" in done.stdout


def test_host_without_python_fails_modules_as_unreachable(tmp_path: Path,
                                                          sshd: SshServer) -> None:
    inv = inventory(tmp_path, sshd, [
        host_line("nopython", "127.0.0.2", ansible_python_interpreter="/nonexistent/python")])
    text = "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n"
    done = run(tmp_path, text, inv)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "/nonexistent/python" in done.stdout
