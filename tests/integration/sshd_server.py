"""A throwaway OpenSSH server on loopback, for the integration tests and the benchmarks.

Takes: a directory to keep its files in, the sshd binary and the loopback addresses to
listen on. Gives: `SshServer` (port, user, client key, known_hosts, pid) from
`start_sshd`, stopped with `SshServer.stop()` (the listener and every session it forked,
by pid). Raises: `SshdUnavailable` when there is no sshd binary, `RuntimeError` when it
does not come up.

Server settings that matter (see the bench kit's README): `MaxStartups`/`MaxSessions`
high, so hundreds of hosts can connect at once; `UsePAM no` and `StrictModes no`, so it
runs from a temp dir without system integration; `PermitRootLogin prohibit-password`,
since CI runs as root; `SetEnv SHLVL=1`, so Debian's bash does not source `~/.bashrc`
(a heavy rc file costs each remote command most of a second). Standard library only:
`benchmarks/ssh/bench.py` imports this file too.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = tuple(f"127.0.0.{i}" for i in range(1, 21))
MAX_LISTEN = 10


class SshdUnavailable(RuntimeError):
    """No OpenSSH server binary on this machine."""


@dataclass
class SshServer:
    """A running sshd and the files a client needs."""

    directory: Path
    port: int
    user: str
    client_key: Path
    known_hosts: Path
    pids: list[int]

    def sessions(self) -> list[int]:
        """Pids of the per-connection sshd processes the listeners forked."""
        live = [str(pid) for pid in self.pids if _alive(pid)]
        if not live:
            return []
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", ",".join(live)],
                             capture_output=True, text=True, check=False).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        """End the listeners and their sessions (by pid); safe to call twice."""
        for pid in [*self.sessions(), *self.pids]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in self.pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].startswith(" Z")


def find_sshd() -> str | None:
    """The sshd binary: `$SSHD`, then PATH, then /usr/sbin/sshd."""
    for candidate in (os.environ.get("SSHD"), shutil.which("sshd"), "/usr/sbin/sshd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
                    "-f", str(path)], check=True)


def _config(d: Path, port: int, user: str, addresses: tuple[str, ...], name: str) -> str:
    listen = "\n".join(f"ListenAddress {a}" for a in addresses)
    return f"""# generated for miniplay tests; throwaway
Port {port}
{listen}
HostKey {d}/host_key
PidFile {d}/{name}.pid
AuthorizedKeysFile {d}/authorized_keys
AllowUsers {user}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
MaxSessions 1000
MaxStartups 1000:30:2000
LoginGraceTime 60
ClientAliveInterval 0
Subsystem sftp internal-sftp
SetEnv SHLVL=1
LogLevel ERROR
"""


def _known_hosts(d: Path, port: int, addresses: tuple[str, ...]) -> str:
    key = " ".join((d / "host_key.pub").read_text().split()[:2])
    names = [*addresses, "localhost"]
    return "".join(f"[{name}]:{port} {key}\n" for name in names)


def _wait_for(address: str, port: int, pid_file: Path, log: Path) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError), \
                socket.create_connection((address, port), 0.2):
            return int(pid_file.read_text())
        time.sleep(0.05)
    raise RuntimeError(f"sshd did not come up on port {port}:\n{log.read_text()}")


def start_sshd(directory: Path, addresses: tuple[str, ...] = LOOPBACK,
               port: int | None = None) -> SshServer:
    """Start a fresh sshd on `addresses` (loopback only) with new keys in `directory`."""
    sshd = find_sshd()
    if sshd is None:
        raise SshdUnavailable("no sshd (apt-get install openssh-server, or set SSHD=)")
    assert all(a.startswith("127.") for a in addresses), "loopback addresses only"
    directory.mkdir(parents=True, exist_ok=True)
    user, port = getpass.getuser(), port or free_port()
    _keygen(directory / "host_key", "miniplay-test-host")
    _keygen(directory / "client_key", "miniplay-test-client")
    shutil.copy(directory / "client_key.pub", directory / "authorized_keys")
    (directory / "known_hosts").write_text(_known_hosts(directory, port, addresses))
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir
    server = SshServer(directory, port, user, directory / "client_key",
                       directory / "known_hosts", [])
    try:
        for index in range(0, len(addresses), MAX_LISTEN):
            group = addresses[index:index + MAX_LISTEN]
            server.pids.append(_listener(sshd, directory, port, user, group, f"sshd{index}"))
    except BaseException:
        server.stop()
        raise
    return server


def _listener(sshd: str, directory: Path, port: int, user: str, addresses: tuple[str, ...],
              name: str) -> int:
    """One sshd daemon for up to `MAX_LISTEN` addresses (OpenSSH allows 16 sockets); its pid.

    It daemonizes (no ``-D``), so it is not our child: processes that outlive their SSH
    session (async jobs) are then never re-parented to a benchmark harness.
    """
    config, log = directory / f"{name}_config", directory / f"{name}.log"
    config.write_text(_config(directory, port, user, addresses, name))
    subprocess.run([sshd, "-f", str(config), "-E", str(log)], stdin=subprocess.DEVNULL,
                   check=True)
    return _wait_for(addresses[0], port, directory / f"{name}.pid", log)
