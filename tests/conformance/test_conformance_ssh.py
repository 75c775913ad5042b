"""A subset of the conformance playbooks over real SSH, for both tools, compared.

Each case runs under ansible-playbook and miniplay exactly as in test_conformance.py,
except that the inventory is ssh_inventory.ini: web01, web02 and db01 are aliases
127.0.0.2-.4 of one throwaway OpenSSH server (tests/integration/sshd_server.py, its own
host and client keys and known_hosts, host key checking on), ansible runs with
pipelining and ControlPersist (ControlPath dir under /tmp), and both tools use the same
`ansible_python_interpreter`. The subset avoids local-only behaviour: command, shell,
raw and ping; register, when and loops; failed_when, changed_when, until; async with
poll > 0 and poll 0 + async_status; multi-host failure and unreachable hosts; every play
is facts-free. One SSH-only normalisation: what OpenSSH's tty adds to ansible's `raw`
results (`\\r\\n`, "Shared connection to HOST closed.") is removed (`untty_raw`).
Without an sshd it skips locally but FAILS when `CI` is set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance_lib import (
    FIXTURES,
    Case,
    SshTarget,
    compare,
    parse_case,
    run_tool,
    skipped_features,
    untty_raw,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from sshd_server import LOOPBACK, SshdUnavailable, start_sshd

SSH_CASES = (
    "command_basic",
    "command_fail",
    "shell_stderr",
    "raw_ping",
    "register_tests",
    "when_basic",
    "when_per_item",
    "loop_basic",
    "loop_item_fails",
    "failed_when",
    "changed_when",
    "until_retries",
    "ignore_errors",
    "multi_host_fail",
    "all_hosts_fail",
    "unreachable",
    "async_poll",
    "async_status_wait",
    "async_poll0_fields",
    "async_multi_host",
)
CASES = [parse_case(FIXTURES / f"{name}.yml") for name in SSH_CASES]

pytestmark = [pytest.mark.ssh, pytest.mark.conformance]


@pytest.fixture(scope="module")
def ssh_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshTarget]:
    try:
        server = start_sshd(tmp_path_factory.mktemp("conformance-sshd"), LOOPBACK[:4])
    except SshdUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the SSH conformance cases, but: {exc}")
        pytest.skip(str(exc))
    try:
        yield SshTarget(server.port, server.user, server.client_key, server.known_hosts)
    finally:
        server.stop()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance_ssh(case: Case, ssh_target: SshTarget, tmp_path: Path) -> None:
    skip = skipped_features()
    if "ssh" in skip:
        pytest.skip("ssh listed in MINIPLAY_CONFORMANCE_SKIP")
    if missing := case.needs & skip:
        pytest.skip(f"needs {', '.join(sorted(missing))} (MINIPLAY_CONFORMANCE_SKIP)")
    ansible = run_tool("ansible", case, tmp_path, ssh_target)
    assert ansible.document is not None or ansible.exit_code != 0, (
        f"ansible-playbook printed no document:\n{ansible.stdout}\n{ansible.stderr}"
    )
    untty_raw(ansible.document)  # ansible's `raw` runs under `ssh -tt`
    miniplay = run_tool("miniplay", case, tmp_path, ssh_target)
    diffs = compare(ansible, miniplay, case)
    if diffs:
        report = "\n".join(f"- {d}" for d in diffs)
        tail = miniplay.stderr[-3000:]
        pytest.fail(
            f"{case.name} over SSH: {len(diffs)} difference(s)\n{report}\nminiplay stderr:\n{tail}"
        )


def test_ssh_subset_size() -> None:
    assert len(CASES) >= 10
    assert all(c.path.exists() for c in CASES)


def test_untty_raw() -> None:
    doc: dict[str, Any] = {
        "plays": [
            {
                "tasks": [
                    {
                        "hosts": {
                            "h": {
                                "action": "ansible.builtin.raw",
                                "stdout": "a\r\nb\r\n",
                                "stdout_lines": ["a", "b"],
                                "stderr_lines": ["x"],
                                "stderr": "Shared connection to 127.0.0.2 closed.\r\n",
                            }
                        }
                    },
                    {"hosts": {"h": {"action": "command", "stdout": "a\r\n"}}},
                ]
            }
        ]
    }
    untty_raw(doc)
    raw, command = (t["hosts"]["h"] for t in doc["plays"][0]["tasks"])
    assert raw == {
        "action": "ansible.builtin.raw",
        "stdout": "a\nb\n",
        "stdout_lines": ["a", "b"],
        "stderr": "",
        "stderr_lines": [],
    }
    assert command["stdout"] == "a\r\n"
