"""The controller's side of the agent protocol, independent of the transport.

Takes: a byte stream pair to a running `remote/agent.py` (an asyncio subprocess's
stdout/stdin, or an SSH channel's reader/writer: anything with ``read(n)`` on one side
and ``write``/``drain``/``close`` on the other).
Gives: `AgentClient`, which sends request frames with ids and matches the replies, so
many module runs share one agent at once; and `bootstrap_command` / `bootstrap_argv`,
the command line that starts the agent on a host with nothing installed there.
Raises: `HostUnreachable` for every pending and later request once the stream ends or
breaks; `AgentError` when the agent refuses a file operation.

Frames are single lines of JSON: requests ``{"id": n, "op": ..., ...}``, replies
``{"id": n, ...}`` in any order. Module source is sent once per sha256 per agent; the
agent answers ``{"need_source": true}`` if it does not have it, and the run is resent.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import shlex
import zlib
from collections.abc import Awaitable, Callable
from functools import cache
from importlib import resources
from typing import Any, Protocol

from miniplay.connection.base import ModuleRequest
from miniplay.errors import HostUnreachable, ModuleError
from miniplay.inline import inline_helpers

JSON = dict[str, Any]
CHUNK = 1 << 16


class AgentError(ModuleError):
    """The agent could not do a file operation (missing file, permission denied, ...)."""


class FrameReader(Protocol):
    """The agent's stdout as the controller sees it."""

    async def read(self, n: int = -1) -> bytes: ...


class FrameWriter(Protocol):
    """The agent's stdin as the controller sees it."""

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def close(self) -> None: ...


@cache
def agent_source() -> bytes:
    """The agent program as hosts receive it: remote/agent.py with its helper files
    (`_agent_child.py`, `_agent_jobs.py`) inlined, one self-contained file."""
    folder = resources.files("miniplay.remote")
    return inline_helpers(folder.joinpath("agent.py").read_bytes(),
                          lambda name: folder.joinpath(f"{name}.py").read_bytes())


@cache
def bootstrap_code() -> str:
    """Python code (for ``-c``) that unpacks and runs the agent; shell-safe characters.
    Cached: compressing costs ~2 ms, once per host otherwise."""
    packed = base64.b64encode(zlib.compress(agent_source(), 9)).decode("ascii")
    return f"import base64,zlib;exec(zlib.decompress(base64.b64decode('{packed}')))"


def bootstrap_argv(python: str) -> list[str]:
    """The agent's argv, for transports that exec without a shell."""
    return [python, "-c", bootstrap_code()]


def bootstrap_command(python: str) -> str:
    """The agent's command line for a POSIX shell (what an SSH exec request needs)."""
    return shlex.join(bootstrap_argv(python))


def _run_fields(request: ModuleRequest, digest: str) -> JSON:
    return {
        "module": request.name, "hash": digest, "args": dict(request.args),
        "style": request.style, "check_mode": request.check_mode, "diff": request.diff,
        "no_log": request.no_log, "environment": dict(request.environment),
        "timeout": request.timeout, "async_seconds": request.async_seconds,
        "async_dir": request.async_dir, "in_agent": request.in_agent,
        "rlimit_nofile": request.rlimit_nofile,
    }


class AgentClient:
    """Multiplexes requests to one agent over one stream pair.

    Create it inside a running event loop: it starts a reader task at once. `diagnostics`
    (optional) is awaited when the stream ends unexpectedly, to add e.g. the agent's
    stderr to the `HostUnreachable` message.
    """

    def __init__(self, reader: FrameReader, writer: FrameWriter, host: str = "",
                 diagnostics: Callable[[], Awaitable[str]] | None = None) -> None:
        self.host = host
        self._writer = writer
        self._diagnostics = diagnostics
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[JSON]] = {}
        self._known: set[str] = set()
        self._lost: str | None = None
        self._write_lock = asyncio.Lock()
        self._reader = asyncio.get_running_loop().create_task(self._read_loop(reader))

    # ------------------------------------------------------------ requests

    async def request(self, op: str, **fields: Any) -> JSON:
        """Send one request and wait for its reply (raises `HostUnreachable`)."""
        if self._lost is not None:
            raise HostUnreachable(self._lost)
        rid = next(self._ids)
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        try:
            await self._send({"id": rid, "op": op, **fields})
            return await future
        finally:
            self._pending.pop(rid, None)
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # retrieved: it was raised, or superseded by another

    async def hello(self) -> JSON:
        """The agent's Python version, pid and home directory."""
        return await self.request("hello")

    async def run_module(self, request: ModuleRequest) -> JSON:
        """The module's result (or an async job's launch record); source sent once."""
        digest = hashlib.sha256(request.source).hexdigest()
        fields = _run_fields(request, digest)
        source = base64.b64encode(request.source).decode("ascii")
        first = digest not in self._known
        self._known.add(digest)  # frames arrive in order: later runs find it cached
        reply = await self.request("run", **fields, **({"source": source} if first else {}))
        if reply.get("need_source"):
            reply = await self.request("run", **fields, source=source)
        if "error" in reply:
            return {"failed": True, "msg": f"miniplay agent error: {reply['error']}"}
        result: JSON = reply["result"]
        return result

    async def put_file(self, data: bytes, dest: str, mode: int | None = None) -> None:
        """Write `dest` on the host atomically (raises `AgentError`)."""
        encoded = base64.b64encode(data).decode("ascii")
        self._check(await self.request("put_file", dest=dest, data=encoded, mode=mode))

    async def fetch_file(self, src: str) -> bytes:
        """The content of `src` on the host (raises `AgentError`)."""
        reply = self._check(await self.request("fetch_file", src=src))
        return base64.b64decode(reply["data"])

    async def close(self) -> None:
        """Ask the agent to stop, close the stream, stop the reader; safe to repeat."""
        if self._lost is None:
            with contextlib.suppress(HostUnreachable):
                await asyncio.wait_for(self.request("shutdown"), timeout=5)
        self._fail_all("connection to the agent closed")
        with contextlib.suppress(Exception):
            self._writer.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    # ------------------------------------------------------------ plumbing

    def _check(self, reply: JSON) -> JSON:
        if "error" in reply:
            raise AgentError(f"{self.host}: {reply['error']}")
        return reply

    async def _send(self, frame: JSON) -> None:
        data = json.dumps(frame).encode("utf-8") + b"\n"
        try:
            async with self._write_lock:
                self._writer.write(data)
                await self._writer.drain()
        except (OSError, RuntimeError, EOFError) as exc:
            # the reader sees the end too, and gathers diagnostics: prefer its account
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._reader), timeout=2)
            self._fail_all(f"lost the agent: {exc}")
            raise HostUnreachable(self._lost or str(exc)) from exc

    async def _read_loop(self, reader: FrameReader) -> None:
        buffer = bytearray()
        try:
            while chunk := await reader.read(CHUNK):
                buffer += chunk
                if b"\n" not in chunk:
                    continue
                *lines, rest = bytes(buffer).split(b"\n")
                buffer = bytearray(rest)
                for line in lines:
                    self._dispatch(line)
            reason = "the agent exited"
        except (OSError, EOFError, ValueError) as exc:
            reason = f"lost the agent: {exc}"
        if self._lost is None and self._diagnostics is not None:
            with contextlib.suppress(Exception):
                reason = f"{reason}\n{await self._diagnostics()}".strip()
        self._fail_all(reason)

    def _dispatch(self, line: bytes) -> None:
        if not line.strip():
            return
        frame = json.loads(line)
        future = self._pending.get(frame.get("id"))
        if future is not None and not future.done():
            future.set_result(frame)

    def _fail_all(self, reason: str) -> None:
        if self._lost is None:
            self._lost = f"{self.host}: {reason}" if self.host else reason
        for future in self._pending.values():
            if not future.done():
                future.set_exception(HostUnreachable(self._lost))
