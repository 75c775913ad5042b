"""Helpers for the SSH integration tests: inventories for a test sshd, and CLI runs.

Every run gets a temporary HOME (no `~/.ssh/known_hosts` or `~/.ssh/config` of the
machine leaks in) and no ssh-agent, so only the test's own keys and known_hosts count.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from sshd_server import SshServer

RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                   re.M)


def host_line(name: str, address: str, **extra: object) -> str:
    words = [name, f"ansible_host={address}"]
    words += [f"{key}={value}" for key, value in extra.items()]
    return " ".join(words)


def inventory(tmp_path: Path, server: SshServer, lines: list[str],
              known_hosts: Path | None = None) -> Path:
    """An INI inventory: `lines` in group `[web]`, connection settings for `server`."""
    known = known_hosts or server.known_hosts
    text = "\n".join([
        "[web]", *lines, "[all:vars]",
        f"ansible_port={server.port}", f"ansible_user={server.user}",
        f"ansible_ssh_private_key_file={server.client_key}",
        f"ansible_ssh_common_args='-o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes'",
        f"ansible_async_dir={tmp_path / 'async'}",
    ])
    path = tmp_path / "inventory.ini"
    path.write_text(text + "\n")
    return path


def loopback_hosts(count: int) -> list[str]:
    """`count` hosts h01.. on 127.0.0.1.. (wrapping after .20)."""
    return [host_line(f"h{i:02d}", f"127.0.0.{(i - 1) % 20 + 1}") for i in range(1, count + 1)]


def environment(tmp_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("SSH_AUTH_SOCK", "ANSIBLE_CONFIG")}
    return {**env, "HOME": str(home), "NO_COLOR": "1", **(extra or {})}


def command(playbook: Path, inv: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "miniplay", str(playbook), "-i", str(inv), *args]


def run(tmp_path: Path, playbook_text: str, inv: Path, *args: str, timeout: float = 120,
        env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI on `playbook_text`; fails the test if it does not end in time."""
    playbook = tmp_path / "site.yml"
    playbook.write_text(playbook_text)
    return subprocess.run(command(playbook, inv, *args), capture_output=True, text=True,
                          env=environment(tmp_path, env), timeout=timeout, check=False)


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """``{host: {ok, changed, unreachable, failed}}`` from the PLAY RECAP."""
    return {m[1]: {"ok": int(m[2]), "changed": int(m[3]), "unreachable": int(m[4]),
                   "failed": int(m[5])} for m in RECAP.finditer(stdout)}
