"""Hosts that cannot be reached: closed port, bad host key, bad key, sshd killed mid-run.

Each fails only its own host, as UNREACHABLE with an Ansible-like reason; the others go
on; the recap counts it and the run exits 4; nothing hangs (every run has a timeout).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from ssh_cli import command, environment, host_line, inventory, recap, run
from sshd_server import SshServer, free_port

pytestmark = pytest.mark.ssh

TWO_TASKS = """
- hosts: all
  gather_facts: false
  tasks:
    - command: echo one
    - command: echo two
"""


def test_closed_port_is_unreachable(tmp_path: Path, sshd: SshServer) -> None:
    port = free_port()
    inv = inventory(tmp_path, sshd, [host_line("closed", "127.0.0.1", ansible_port=port),
                                     host_line("fine", "127.0.0.2")])
    done = run(tmp_path, TWO_TASKS, inv, timeout=60)
    assert done.returncode == 4, done.stdout + done.stderr
    assert (f"fatal: [closed]: UNREACHABLE! => {{\"changed\": false, \"msg\": \"Failed to "
            f"connect to the host via ssh: ssh: connect to host 127.0.0.1 port {port}: "
            "Connection refused\"") in done.stdout
    stats = recap(done.stdout)
    assert stats["closed"] == {"ok": 0, "changed": 0, "unreachable": 1, "failed": 0}
    assert stats["fine"] == {"ok": 2, "changed": 2, "unreachable": 0, "failed": 0}


def _wrong_known_hosts(tmp_path: Path, server: SshServer, address: str) -> Path:
    key = tmp_path / "impostor_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    known = tmp_path / "wrong_known_hosts"
    impostor = " ".join((tmp_path / "impostor_key.pub").read_text().split()[:2])
    known.write_text(f"[{address}]:{server.port} {impostor}\n")
    return known


def test_changed_host_key_fails_that_host_only(tmp_path: Path, sshd: SshServer) -> None:
    wrong = _wrong_known_hosts(tmp_path, sshd, "127.0.0.3")
    args = f"'-o UserKnownHostsFile={wrong} -o StrictHostKeyChecking=yes'"
    inv = inventory(tmp_path, sshd, [
        host_line("spoofed", "127.0.0.3", ansible_ssh_common_args=args),
        host_line("good1", "127.0.0.4"), host_line("good2", "127.0.0.5")])
    done = run(tmp_path, TWO_TASKS, inv, timeout=60)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "fatal: [spoofed]: UNREACHABLE!" in done.stdout
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in done.stdout
    assert "Host key verification failed." in done.stdout
    stats = recap(done.stdout)
    assert stats["spoofed"]["unreachable"] == 1
    assert stats["good1"] == stats["good2"] == {"ok": 2, "changed": 2, "unreachable": 0,
                                                "failed": 0}


def test_unknown_host_key_fails(tmp_path: Path, sshd: SshServer) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    inv = inventory(tmp_path, sshd, [host_line("stranger", "127.0.0.6")], known_hosts=empty)
    done = run(tmp_path, TWO_TASKS, inv, timeout=60)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "No host key is known for [127.0.0.6]:" in done.stdout
    assert recap(done.stdout)["stranger"]["unreachable"] == 1


def test_known_hosts_file_variable_is_honoured(tmp_path: Path, sshd: SshServer) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    inv = inventory(tmp_path, sshd, [host_line(
        "listed", "127.0.0.7", ansible_ssh_known_hosts_file=sshd.known_hosts)],
        known_hosts=empty)
    done = run(tmp_path, TWO_TASKS, inv, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_host_key_checking_off_connects_and_warns(tmp_path: Path, sshd: SshServer) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    inv = inventory(tmp_path, sshd, [host_line("a", "127.0.0.8"), host_line("b", "127.0.0.9")],
                    known_hosts=empty)
    done = run(tmp_path, TWO_TASKS, inv, env={"ANSIBLE_HOST_KEY_CHECKING": "False"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.count("host key checking is disabled") == 1, done.stderr


def test_wrong_client_key_is_permission_denied(tmp_path: Path, sshd: SshServer) -> None:
    key = tmp_path / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    inv = inventory(tmp_path, sshd, [host_line(
        "locked", "127.0.0.10", ansible_ssh_private_key_file=key)])
    done = run(tmp_path, TWO_TASKS, inv, timeout=60)
    assert done.returncode == 4, done.stdout + done.stderr
    assert f"{sshd.user}@127.0.0.10: Permission denied (publickey)." in done.stdout


SLOW = """
- hosts: all
  gather_facts: false
  tasks:
    - command: echo before
    - name: slow
      command: sleep 3
    - command: echo after
"""


def test_sshd_killed_mid_run(tmp_path: Path, private_sshd: SshServer) -> None:
    hosts = [host_line(f"k{i}", f"127.0.0.{i}") for i in range(1, 6)]
    inv = inventory(tmp_path, private_sshd, hosts)
    playbook = tmp_path / "slow.yml"
    playbook.write_text(SLOW)
    with subprocess.Popen(command(playbook, inv, "-f", "5"), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=environment(tmp_path)) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("TASK [slow]"):
                break
        time.sleep(1)
        private_sshd.stop()
        started = time.monotonic()
        rest, errors = proc.communicate(timeout=60)
    assert time.monotonic() - started < 30
    assert proc.returncode == 4, rest + errors
    stats = recap(rest)
    assert all(s["unreachable"] == 1 and s["ok"] == 1 for s in stats.values()), rest
    assert sorted(stats) == [f"k{i}" for i in range(1, 6)]
    assert "Connection refused" in rest
