"""AgentClient over a real agent subprocess: multiplexing, source caching, lost agents."""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from miniplay.connection.agent_client import AgentClient, bootstrap_argv
from miniplay.connection.base import ModuleRequest
from miniplay.errors import HostUnreachable

ECHO = b"import json, sys\nprint(json.dumps({'x': json.load(sys.stdin).get('x')}))\n"
SLEEP = b"import time\ntime.sleep(3)\n"


class CountingWriter:
    """Wraps the agent's stdin and keeps every frame sent, to see what went over."""

    def __init__(self, inner: asyncio.StreamWriter) -> None:
        self.inner = inner
        self.frames: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.frames.append(data)
        self.inner.write(data)

    async def drain(self) -> None:
        await self.inner.drain()

    def close(self) -> None:
        self.inner.close()


Body = Callable[[AgentClient, asyncio.subprocess.Process, CountingWriter], Awaitable[Any]]


def with_agent(body: Body) -> Any:
    async def main() -> Any:
        process = await asyncio.create_subprocess_exec(
            *bootstrap_argv(sys.executable), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)
        assert process.stdin is not None
        assert process.stdout is not None
        writer = CountingWriter(process.stdin)
        client = AgentClient(process.stdout, writer, "testhost")
        try:
            return await body(client, process, writer)
        finally:
            await client.close()
            await process.wait()

    return asyncio.run(main())


def test_hello_and_run() -> None:
    async def body(client: AgentClient, *_: Any) -> None:
        assert (await client.hello())["python"].startswith("3.")
        assert await client.run_module(ModuleRequest("echo", ECHO, {"x": 5})) == {"x": 5}

    with_agent(body)


def test_source_sent_once_per_hash_even_when_concurrent() -> None:
    async def body(client: AgentClient, _: Any, writer: CountingWriter) -> None:
        requests = [ModuleRequest("echo", ECHO, {"x": i}) for i in range(20)]
        results = await asyncio.gather(*(client.run_module(r) for r in requests))
        assert [r["x"] for r in results] == list(range(20))
        with_source = [f for f in writer.frames if b'"source": "' in f]
        assert len(with_source) == 1

    with_agent(body)


def test_need_source_is_answered_by_resending() -> None:
    async def body(client: AgentClient, _: Any, writer: CountingWriter) -> None:
        # The client believes the agent has this module (as after an agent restart);
        # the agent answers need_source and the client resends the run with the source.
        other = b"import json\nprint(json.dumps({'other': True}))\n"
        client._known.add(hashlib.sha256(other).hexdigest())
        assert await client.run_module(ModuleRequest("other", other, {})) == {"other": True}
        assert len(writer.frames) == 2
        assert b'"source"' not in writer.frames[0]
        assert b'"source": "' in writer.frames[1]

    with_agent(body)


def test_agent_death_fails_pending_and_later_requests() -> None:
    async def body(client: AgentClient, process: asyncio.subprocess.Process, _: Any) -> None:
        pending = asyncio.ensure_future(client.run_module(ModuleRequest("sleep", SLEEP, {})))
        await asyncio.sleep(0.2)
        process.kill()
        with pytest.raises(HostUnreachable, match="testhost: the agent exited"):
            await pending
        with pytest.raises(HostUnreachable):
            await client.hello()

    with_agent(body)


def test_many_concurrent_runs_are_fast() -> None:
    async def body(client: AgentClient, *_: Any) -> float:
        await client.run_module(ModuleRequest("echo", ECHO, {}))
        started = time.perf_counter()
        await asyncio.gather(*(client.run_module(ModuleRequest("echo", ECHO, {"x": i}))
                               for i in range(100)))
        return (time.perf_counter() - started) / 100

    assert with_agent(body) < 0.05  # a forked run (~2 ms idle), not a new interpreter


def test_close_is_idempotent() -> None:
    async def body(client: AgentClient, *_: Any) -> None:
        await client.close()
        await client.close()
        with pytest.raises(HostUnreachable, match="closed"):
            await client.hello()

    with_agent(body)


def test_large_frames_both_ways(tmp_path: Any) -> None:
    big = b"import json\nprint(json.dumps({'s': 'x' * 3_000_000}))\n"
    dest = str(tmp_path / "big.bin")
    payload = bytes(range(256)) * 12_000

    async def body(client: AgentClient, *_: Any) -> None:
        result = await client.run_module(ModuleRequest("big", big, {}))
        assert len(result["s"]) == 3_000_000
        await client.put_file(payload, dest)
        assert await client.fetch_file(dest) == payload

    with_agent(body)
