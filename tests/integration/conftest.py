"""Fixtures for the SSH integration tests: a real OpenSSH server on loopback.

`sshd` is one server for the whole session (listening on 127.0.0.1-127.0.0.20 so hosts
can be distinct addresses of the same machine); `private_sshd` is a fresh one per test,
for tests that kill it or its sessions. Without an sshd binary they skip locally, but
FAIL when `CI` is set: CI must never silently skip these.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sshd_server import SshdUnavailable, SshServer, start_sshd


def _start(directory: Path) -> SshServer:
    try:
        return start_sshd(directory)
    except SshdUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the SSH tests, but: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    server = _start(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


@pytest.fixture
def private_sshd(tmp_path: Path) -> Iterator[SshServer]:
    server = _start(tmp_path / "private-sshd")
    yield server
    server.stop()
