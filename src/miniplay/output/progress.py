"""A live status line for async jobs, on a terminal only.

Takes: the event stream (it wraps another sink). Gives: while jobs are being waited
for, one line at the bottom of the terminal — jobs finished / running / failed and the
time left before the nearest `async` limit — redrawn at each poll and erased before any
other output. Raises: nothing.

Only used when stdout is a TTY: logs and pipes get exactly the inner sink's text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from miniplay.events import Event, EventSink, JobPolled, JobStarted, Recap, Retrying

CLEAR = "\r\x1b[K"


@dataclass(slots=True)
class _Job:
    deadline: float
    state: str = "running"


class LiveProgress:
    """Wraps a sink; draws the async progress line between its outputs."""

    def __init__(self, inner: EventSink, stream: TextIO,
                 clock: Callable[[], float] = time.time) -> None:
        self.inner = inner
        self.stream = stream
        self.clock = clock
        self.jobs: dict[tuple[str, str], _Job] = {}
        self.shown = False
        self.waiting = False

    def emit(self, event: Event) -> None:
        if self.shown:
            self.stream.write(CLEAR)
            self.shown = False
        self.inner.emit(event)
        self._track(event)
        if self.waiting and not isinstance(event, Recap):
            self._draw()

    def _track(self, event: Event) -> None:
        if isinstance(event, JobStarted):
            self.jobs[(event.host, event.jid)] = _Job(event.time + event.async_seconds)
            self.waiting = event.poll > 0
        elif isinstance(event, JobPolled):
            job = self.jobs.setdefault((event.host, event.jid), _Job(event.time))
            if event.finished or event.failed:
                job.state = "failed" if event.failed else "finished"
            self.waiting = any(j.state == "running" for j in self.jobs.values())
        elif isinstance(event, Retrying):
            self.waiting = any(j.state == "running" for j in self.jobs.values())
        else:
            self.waiting = False

    def line(self) -> str:
        """The text of the status line."""
        states = [job.state for job in self.jobs.values()]
        running = [job for job in self.jobs.values() if job.state == "running"]
        left = max((job.deadline - self.clock() for job in running), default=0.0)
        return (f"async jobs: {states.count('finished')} finished, {len(running)} running, "
                f"{states.count('failed')} failed; {max(left, 0):.0f}s left before the "
                "async limit")

    def _draw(self) -> None:
        self.stream.write(CLEAR + self.line())
        self.stream.flush()
        self.shown = True
