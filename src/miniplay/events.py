"""Events: the only thing the executor and the output formats share.

Takes: nothing. Gives: frozen event dataclasses and the `EventSink` protocol.
Raises: nothing.

The executor emits these in order; every output (text, JSON, JUnit, timeline) is a
consumer. Events carry plain data (names, positions as text, result dicts), never model
objects, so `output/` imports nothing but this module and `results`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from miniplay.results import HostStats, TaskStatus


@dataclass(frozen=True, slots=True)
class PlaybookStart:
    path: str
    time: float
    plays: int = 0  # how many plays the playbook holds (-vv prints it)


@dataclass(frozen=True, slots=True)
class PlayStart:
    name: str
    uid: str
    path: str
    hosts: tuple[str, ...]
    time: float
    strategy: str = "linear"  # "free": task banners appear with results, as in Ansible


@dataclass(frozen=True, slots=True)
class TaskStart:
    name: str
    uid: str
    action: str
    path: str
    time: float
    is_handler: bool = False
    play_uid: str = ""


@dataclass(frozen=True, slots=True)
class HostResult:
    """One task's final result on one host (after loops, retries and async waits)."""

    host: str
    task_uid: str
    task_name: str
    action: str
    status: TaskStatus
    result: Mapping[str, Any]
    start: float
    end: float
    ignored: bool = False
    delegated_to: str | None = None
    verbose_always: bool = False
    no_log: bool = False
    loop: bool = False  # the task had a loop: `result["results"]` holds the items


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One loop item's result, printed as it finishes."""

    host: str
    task_uid: str
    status: TaskStatus
    label: str
    result: Mapping[str, Any]
    delegated_to: str | None = None
    verbose_always: bool = False
    no_log: bool = False


@dataclass(frozen=True, slots=True)
class Retrying:
    """An `until` check failed and the task will run again."""

    host: str
    task_name: str
    retries_left: int
    result: Mapping[str, Any]
    delegated_to: str | None = None


@dataclass(frozen=True, slots=True)
class JobStarted:
    """An async job was launched on a host."""

    host: str
    task_uid: str
    jid: str
    async_seconds: int
    poll: int
    time: float


@dataclass(frozen=True, slots=True)
class JobPolled:
    """The controller checked an async job; `finished` says whether it was done."""

    host: str
    task_uid: str
    jid: str
    finished: bool
    failed: bool
    time: float
    by_async_status: bool = False  # an `async_status` task checked it (Ansible prints nothing)


@dataclass(frozen=True, slots=True)
class Warning:
    message: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A plain line Ansible prints between tasks (`skipping: no hosts matched`, ...).

    `banner=True` prints it as a `*` banner instead (`NO MORE HOSTS LEFT`); a line with
    a `verbosity` shows only from that many `-v` (`META: ...` at -vv).
    """

    message: str
    banner: bool = False
    verbosity: int = 0


@dataclass(frozen=True, slots=True)
class PlayEnd:
    uid: str
    time: float


@dataclass(frozen=True, slots=True)
class TaskEnd:
    uid: str
    time: float


@dataclass(frozen=True, slots=True)
class Recap:
    stats: Mapping[str, HostStats]
    time: float
    interrupted: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


Event = (
    PlaybookStart | PlayStart | TaskStart | HostResult | ItemResult | Retrying | JobStarted
    | JobPolled | Warning | Notice | PlayEnd | TaskEnd | Recap
)


class EventSink(Protocol):
    """Anything that consumes the event stream (an output format, a test recorder)."""

    def emit(self, event: Event) -> None:
        """Handle one event; must not block for long (it runs on the event loop)."""
        ...


class FanOut:
    """Sends each event to several sinks (text on the terminal plus a JSON file, ...)."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = sinks

    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink.emit(event)
