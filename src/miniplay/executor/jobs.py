"""The controller side of async jobs: waiting for a job launched with `poll > 0`.

Takes: a job id, the poll interval and the `async` limit. Gives: the job's final result
(ansible-core's shape: the module's result plus `ansible_job_id`, `finished`,
`results_file`, `started`). Raises: `HostUnreachable` only if the host cannot be reached
again (a dropped connection is reopened by the connection itself).

ansible-core's loop (`_poll_async_result`): sleep `poll` before every check, stop when
the job is finished or `async` seconds have passed, then remove the status file. Only
the host's watchdog kills a job; miniplay's kills at exactly `async` seconds, so the
controller waits a short grace period past the limit to report the watchdog's
"Timeout exceeded" record deterministically rather than racing it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from miniplay import events
from miniplay.connection.base import Connection
from miniplay.errors import HostUnreachable
from miniplay.events import EventSink
from miniplay.runner import ModuleFile, run_module

GRACE_SECONDS = 3.0
STATUS_ATTEMPTS = 3
GRACE_STEP = 0.25


def now() -> float:
    """Wall-clock time for events (the timeline shows real times)."""
    return time.time()


class JobWaiter:
    """Polls one host's job through the `async_status` module."""

    def __init__(self, conn: Connection, status_module: ModuleFile, async_dir: str | None,
                 sink: EventSink, host: str, task_uid: str = "") -> None:
        self.conn = conn
        self.module = status_module
        self.async_dir = async_dir
        self.sink = sink
        self.host = host
        self.task_uid = task_uid

    async def status(self, jid: str, mode: str = "status") -> dict[str, Any]:
        """One async_status call. The job never depended on the connection, so a host
        that drops out while we poll is tried again (the connection reconnects) a few
        times before it is declared unreachable."""
        args = {"jid": jid, "mode": mode, "_async_dir": self.async_dir}
        for attempt in range(1, STATUS_ATTEMPTS + 1):
            try:
                return await run_module(self.conn, self.module, args, check=False,
                                        diff=False, no_log=False)
            except HostUnreachable:
                if attempt == STATUS_ATTEMPTS:
                    raise
                await asyncio.sleep(attempt)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _polled(self, jid: str, result: dict[str, Any]) -> None:
        self.sink.emit(events.JobPolled(
            self.host, self.task_uid, jid, bool(result.get("finished")),
            bool(result.get("failed")), now()))

    async def wait(self, jid: str, poll: int, async_seconds: int) -> dict[str, Any]:
        """Wait for `jid` as ansible-core does; the job's final result."""
        time_left = async_seconds
        result: dict[str, Any] = {}
        while time_left > 0:
            await asyncio.sleep(poll)
            result = await self.status(jid)
            self._polled(jid, result)
            if result.get("finished"):
                break
            time_left -= poll
        if not result.get("finished"):
            result = await self._grace(jid, result)
        if not result.get("finished"):
            return {"failed": True, "changed": False, "async_result": result,
                    "msg": "async task did not complete within the requested time - "
                           f"{async_seconds}s"}
        await self.status(jid, "cleanup")
        return result

    async def _grace(self, jid: str, last: dict[str, Any]) -> dict[str, Any]:
        """The watchdog kills at the limit; give its record a moment to land."""
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(GRACE_STEP)
            last = await self.status(jid)
            if last.get("finished"):
                self._polled(jid, last)
                return last
        return last
