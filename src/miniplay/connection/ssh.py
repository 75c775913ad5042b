"""`SshConnection`: one remote host over asyncssh, with one agent kept for the run.

Takes: a host name, its variables (`ansible_host`, `ansible_port`, `ansible_user`,
`ansible_ssh_private_key_file`, `ansible_password`, `ansible_ssh_common_args`,
`ansible_ssh_known_hosts_file`, `ansible_python_interpreter`; see `ssh_settings`) and
the run's options (`timeout`, `host_key_checking`).
Gives: the `Connection` protocol. The first request opens one SSH connection and starts
`remote/agent.py` on an exec channel (sent on the command line: nothing to install on
the host but Python); module runs and file transfers go through that agent, multiplexed
by `AgentClient`; `exec_raw` opens a fresh channel per command and needs no Python.
Raises: `HostUnreachable` (only that) for every transport failure: refused, timed out,
authentication, unknown or changed host key, connection lost (`ssh_errors` words them
as ansible-core does); `AgentError` when the agent refuses a file operation.

Why retry once: a connection that drops between requests (sshd restarted, a NAT timed
out) is reopened and the agent restarted, transparently, so async status polling goes on
even though the job never depended on the connection. A request that fails again on the
fresh connection declares the host unreachable; a host that cannot be connected to in
the first place is not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import asyncssh

from miniplay.connection.agent_client import AgentClient, bootstrap_code, bootstrap_command
from miniplay.connection.base import ModuleRequest, RawOutput
from miniplay.connection.become import Become, handshake
from miniplay.connection.ssh_errors import host_key_problem, unreachable
from miniplay.connection.ssh_settings import (
    SshSettings,
    has_keys_for,
    load_known_hosts,
    settings_from_vars,
)
from miniplay.errors import HostUnreachable
from miniplay.options import RunOptions

T = TypeVar("T")
STDERR_KEPT = 4096
KEEPALIVE_SECONDS = 15
AGENT_START_FACTOR = 3  # the agent must answer within this many connect timeouts
HOST_KEY_WARNING = ("host key checking is disabled (ANSIBLE_HOST_KEY_CHECKING=False or "
                    "StrictHostKeyChecking=no): SSH hosts are not authenticated, and a "
                    "man-in-the-middle would go unnoticed")
TRANSPORT_ERRORS = (OSError, asyncssh.Error)
# asyncssh's default order puts chacha20-poly1305 first, which it runs as several Python
# calls per packet; AES-GCM is one call (and AES-NI on both ends): less CPU per frame.
CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
           "aes256-ctr", "aes192-ctr", "aes128-ctr")


def agent_command(python: str | None) -> str:
    """The exec request that starts the agent; finds python3 on the host when unset."""
    if python:
        return bootstrap_command(python)
    script = ('PY="$(command -v python3 || command -v python)" || '
              '{ echo "miniplay: no python3 or python on PATH" >&2; exit 127; }; '
              f'exec "$PY" -c {shlex.quote(bootstrap_code())}')
    return f"/bin/sh -c {shlex.quote(script)}"


def with_environment(command: str, environment: Mapping[str, str]) -> str:
    """`command` prefixed with ``export K=V;`` (sshd drops most env requests)."""
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
    return f"export {exports}; {command}" if exports else command


class _ChannelReader:
    """The agent's stdout; asyncssh's own errors become `OSError` for `AgentClient`."""

    def __init__(self, stream: asyncssh.SSHReader[bytes]) -> None:
        self._stream = stream

    async def read(self, n: int = -1) -> bytes:
        try:
            return await self._stream.read(n)
        except Exception as exc:  # asyncssh.Error, BreakReceived, ...: the channel is gone
            raise ConnectionResetError(f"Shared connection closed: {exc}") from exc


class _ChannelWriter:
    """The agent's stdin, with the same mapping."""

    def __init__(self, stream: asyncssh.SSHWriter[bytes]) -> None:
        self._stream = stream

    def write(self, data: bytes) -> None:
        try:
            self._stream.write(data)
        except asyncssh.Error as exc:
            raise ConnectionResetError(str(exc.reason)) from exc

    async def drain(self) -> None:
        try:
            await self._stream.drain()
        except asyncssh.Error as exc:
            raise ConnectionResetError(str(exc.reason)) from exc

    def close(self) -> None:
        self._stream.close()


class SshConnection:
    """One SSH host; implements `miniplay.connection.base.Connection`."""

    def __init__(self, settings: SshSettings, become: Become | None = None) -> None:
        self.host = settings.host
        self.settings = settings
        self.become = become
        self._ssh: asyncssh.SSHClientConnection | None = None
        self._client: AgentClient | None = None
        self._process: asyncssh.SSHClientProcess[bytes] | None = None
        self._stderr = bytearray()
        self._stderr_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_vars(cls, host: str, variables: Mapping[str, Any], options: RunOptions,
                  become: Become | None = None) -> SshConnection:
        """A connection for `host` (nothing is opened until the first request)."""
        return cls(settings_from_vars(host, variables, options), become)

    @property
    def warning(self) -> str | None:
        """What the run should warn about once (host keys not checked), if anything."""
        return HOST_KEY_WARNING if self.settings.host_keys == "no" else None

    # ------------------------------------------------------------ Connection

    async def run_module(self, request: ModuleRequest) -> dict[str, Any]:
        return await self._with_agent(lambda client: client.run_module(request))

    async def put_file(self, data: bytes, dest: str, mode: int | None = None) -> None:
        await self._with_agent(lambda client: client.put_file(data, dest, mode))

    async def fetch_file(self, src: str) -> bytes:
        return await self._with_agent(lambda client: client.fetch_file(src))

    async def exec_raw(self, command: str, environment: Mapping[str, str]) -> RawOutput:
        line = with_environment(command, environment)
        feed = None
        if self.become is not None:
            line = self.become.wrap_command(line)
            feed = f"{self.become.password}\n" if self.become.password else None
        ssh = await self._transport()
        try:
            done = await self._run(ssh, line, feed)
        except TRANSPORT_ERRORS:
            await self._discard(ssh)
            ssh = await self._transport()
            try:
                done = await self._run(ssh, line, feed)
            except TRANSPORT_ERRORS as exc:
                raise unreachable(exc, self.settings) from exc
        rc = done.exit_status if done.exit_status is not None else 255
        return RawOutput(rc, str(done.stdout or ""), str(done.stderr or ""))

    async def close(self) -> None:
        async with self._lock:
            await self._drop()

    # ------------------------------------------------------------ plumbing

    @staticmethod
    async def _run(ssh: asyncssh.SSHClientConnection, line: str,
                   feed: str | None = None) -> asyncssh.SSHCompletedProcess:
        if feed is not None:  # a become password, for sudo's prompt only
            return await ssh.run(line, check=False, input=feed, encoding="utf-8",
                                 errors="replace")
        return await ssh.run(line, check=False, stdin=asyncssh.DEVNULL, encoding="utf-8",
                             errors="replace")

    async def _with_agent(self, call: Callable[[AgentClient], Awaitable[T]]) -> T:
        """`call` on the agent; once more on a fresh connection if the first one broke."""
        client = await self._agent()
        try:
            return await call(client)
        except HostUnreachable:
            await self._discard(client)
        return await call(await self._agent())

    async def _transport(self) -> asyncssh.SSHClientConnection:
        async with self._lock:
            return await self._open()

    async def _agent(self) -> AgentClient:
        async with self._lock:
            if self._client is None:
                self._client = await self._start_agent(await self._open())
            return self._client

    async def _discard(self, broken: object) -> None:
        """Forget the connection that `broken` (a client or transport) belonged to."""
        async with self._lock:
            if broken is self._client or broken is self._ssh:
                await self._drop()

    async def _open(self) -> asyncssh.SSHClientConnection:
        if self._ssh is not None and self._ssh.is_closed():
            await self._drop()
        if self._ssh is None:
            self._ssh = await self._connect()
        return self._ssh

    def _known_hosts(self) -> asyncssh.SSHKnownHosts | None:
        if self.settings.host_keys == "no":
            return None
        known = load_known_hosts(self.settings.known_hosts)
        if self.settings.host_keys == "accept-new" and not has_keys_for(known, self.settings):
            return None
        return known

    async def _connect(self) -> asyncssh.SSHClientConnection:
        s = self.settings
        known = self._known_hosts()
        try:
            async with asyncio.timeout(s.timeout):
                return await asyncssh.connect(
                    s.address, s.port, username=s.user, password=s.password,
                    client_keys=list(s.key_files) or (), known_hosts=known,
                    compression_algs=None, encryption_algs=CIPHERS,
                    keepalive_interval=KEEPALIVE_SECONDS,
                    keepalive_count_max=3)
        except asyncssh.HostKeyNotVerifiable:
            raise host_key_problem(s, known is not None and has_keys_for(known, s)) from None
        except (*TRANSPORT_ERRORS, asyncssh.KeyImportError) as exc:
            raise unreachable(exc, s) from None

    async def _start_agent(self, ssh: asyncssh.SSHClientConnection) -> AgentClient:
        command = agent_command(self.settings.python)
        if self.become is not None:
            command = shlex.join(self.become.wrap_argv(["/bin/sh", "-c", command]))
        try:
            process = await ssh.create_process(command, encoding=None)
        except TRANSPORT_ERRORS as exc:
            raise unreachable(exc, self.settings) from exc
        self._process = process
        self._stderr = bytearray()
        self._stderr_task = asyncio.create_task(self._collect_stderr(process.stderr))
        if self.become is not None:
            await handshake(self.become, process.stdout, process.stdin.write,  # type: ignore[arg-type]
                            lambda: self._stderr.decode("utf-8", "replace"))
        client = AgentClient(_ChannelReader(process.stdout), _ChannelWriter(process.stdin),
                             self.host, self._stderr_text)
        try:
            async with asyncio.timeout(self.settings.timeout * AGENT_START_FACTOR):
                await client.hello()
        except TimeoutError:
            await client.close()
            raise HostUnreachable(f"{self.host}: the miniplay agent did not start within "
                                  f"{self.settings.timeout * AGENT_START_FACTOR:g} s") from None
        return client

    async def _drop(self) -> None:
        """Close agent, channel and connection (whatever is open); forget them."""
        client, process, ssh = self._client, self._process, self._ssh
        self._client = self._process = self._ssh = None
        if client is not None:
            await client.close()
        if process is not None:
            process.close()
        if ssh is not None:
            ssh.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ssh.wait_closed(), timeout=2)
        if self._stderr_task is not None:
            self._stderr_task.cancel()
            self._stderr_task = None

    async def _collect_stderr(self, stream: asyncssh.SSHReader[bytes]) -> None:
        with contextlib.suppress(Exception):
            while chunk := await stream.read(4096):
                self._stderr = (self._stderr + chunk)[-STDERR_KEPT:]

    async def _stderr_text(self) -> str:
        """What the agent printed on stderr (it has exited: wait a moment for the rest)."""
        task = self._stderr_task
        if task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), timeout=1)
        return self._stderr.decode("utf-8", "replace").strip()
