"""`LocalConnection`: the controller's own machine as a host.

Takes: a host name (for messages) and the Python to run the agent with.
Gives: the `Connection` protocol: module runs and file transfers through one agent
subprocess, started on first use and kept until `close()`; raw commands through
``/bin/sh``. Raises: `HostUnreachable` when the agent cannot start or dies;
`AgentError` (a `ModuleError`) when a file cannot be read or written.

Why an agent even locally: the same code path as SSH (one agent per host, modules
cached by hash, async jobs detached by the agent), so local runs test it, and a
forked module costs far less than a fresh interpreter per task.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Mapping
from typing import Any

from miniplay.connection.agent_client import AgentClient, bootstrap_argv
from miniplay.connection.base import ModuleRequest, RawOutput
from miniplay.connection.become import Become, handshake
from miniplay.errors import HostUnreachable

STDERR_KEPT = 4096


class LocalConnection:
    """One local "host"; implements `miniplay.connection.base.Connection`."""

    def __init__(self, host: str, python: str = sys.executable,
                 become: Become | None = None) -> None:
        self.host = host
        self.python = python
        self.become = become
        self._process: asyncio.subprocess.Process | None = None
        self._client: AgentClient | None = None
        self._stderr = bytearray()
        self._stderr_task: asyncio.Task[None] | None = None
        self._start_lock = asyncio.Lock()

    async def run_module(self, request: ModuleRequest) -> dict[str, Any]:
        return await (await self._agent()).run_module(request)

    async def exec_raw(self, command: str, environment: Mapping[str, str]) -> RawOutput:
        password = None
        if self.become is not None:
            command = self.become.wrap_command(command)
            password = self.become.password
        try:
            process = await asyncio.create_subprocess_shell(
                command, stdin=asyncio.subprocess.PIPE if password else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                env={**os.environ, **environment},
            )
            feed = (password + "\n").encode() if password and self.become else None
            stdout, stderr = await process.communicate(feed)
        except OSError as exc:
            raise HostUnreachable(f"{self.host}: cannot run /bin/sh: {exc}") from exc
        return RawOutput(process.returncode or 0, stdout.decode("utf-8", "replace"),
                         stderr.decode("utf-8", "replace"))

    async def put_file(self, data: bytes, dest: str, mode: int | None = None) -> None:
        await (await self._agent()).put_file(data, dest, mode)

    async def fetch_file(self, src: str) -> bytes:
        return await (await self._agent()).fetch_file(src)

    async def close(self) -> None:
        client, process = self._client, self._process
        self._client = self._process = None
        if client is not None:
            await client.close()
        if process is not None:
            try:
                await asyncio.wait_for(process.wait(), timeout=5)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._stderr_task is not None:
            await self._stderr_task
            self._stderr_task = None

    async def _agent(self) -> AgentClient:
        async with self._start_lock:
            if self._client is None:
                self._client = await self._start()
            return self._client

    async def _start(self) -> AgentClient:
        argv = bootstrap_argv(self.python)
        if self.become is not None:
            argv = self.become.wrap_argv(argv)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # Ctrl-C reaches miniplay, which closes the agent
            )
        except OSError as exc:
            raise HostUnreachable(f"{self.host}: cannot start {self.python}: {exc}") from exc
        self._process = process
        if process.stdin is None or process.stdout is None or process.stderr is None:
            raise HostUnreachable(f"{self.host}: the agent has no pipes")
        self._stderr_task = asyncio.create_task(self._collect_stderr(process.stderr))
        if self.become is not None:
            await handshake(self.become, process.stdout, process.stdin.write,
                            lambda: self._stderr.decode("utf-8", "replace"))
        client = AgentClient(process.stdout, process.stdin, self.host, self._stderr_text)
        await client.hello()
        return client

    async def _collect_stderr(self, stream: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError):
            while chunk := await stream.read(4096):
                self._stderr = (self._stderr + chunk)[-STDERR_KEPT:]

    async def _stderr_text(self) -> str:
        """What the agent printed on stderr (it has exited: wait a moment for the rest)."""
        if self._stderr_task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._stderr_task), timeout=1)
        return self._stderr.decode("utf-8", "replace").strip()
