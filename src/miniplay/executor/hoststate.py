"""Everything that changes per host during a run.

Takes: nothing. Gives: `HostState` (registered results, `set_fact` values, facts, job
records, failure flags, recap counters) and `PlayState` (the current play's hosts).
Raises: nothing.

This is the only mutable runtime state of a run; the model never changes. Values stored
here that came back from hosts are already marked unsafe by the executor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from miniplay.model import Play, Task
from miniplay.results import HostStats

_STATUS_FIELDS = frozenset({"failed", "unreachable", "ended", "fatal_marked"})


@dataclass(slots=True)
class HostState:
    """One host's state for the whole run (it outlives plays, as in Ansible).

    `generation` counts changes of any host's `failed`/`unreachable`/`ended` flags, so
    that lists of active hosts (read for every task on every host) can be cached.
    """

    name: str
    facts_vars: dict[str, Any] = field(default_factory=dict)
    include_vars: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    notified: list[str] = field(default_factory=list)
    rescue_vars: dict[str, Any] = field(default_factory=dict)
    last_failure: dict[str, Any] = field(default_factory=dict)
    stats: HostStats = field(default_factory=HostStats)
    failed: bool = False
    unreachable: bool = False
    ended: bool = False
    fatal_marked: bool = False  # failed by another host's any_errors_fatal (see strategy)
    failure_pending: bool = False  # failed, running an `always:`; clear_host_errors clears
    counted: bool = False

    generation: ClassVar[int] = 0

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _STATUS_FIELDS:
            HostState.generation += 1
        object.__setattr__(self, name, value)

    @property
    def active(self) -> bool:
        """Still taking part in the play (not failed, unreachable or ended)."""
        return not (self.failed or self.unreachable or self.ended)

    @property
    def listed(self) -> bool:
        """Listed in `ansible_play_hosts`: active and never failed by another host's
        `any_errors_fatal` (such a host may still run the rest of a play, once rescued,
        but Ansible has removed it from the play's host lists and from later plays)."""
        return self.active and not self.fatal_marked


@dataclass(slots=True)
class PlayState:
    """The play being run: its hosts and the variables loaded for it."""

    play: Play
    uid: str
    hosts: list[str]
    batch: list[str] = field(default_factory=list)
    all_hosts: list[str] = field(default_factory=list)  # the pattern's, failed ones too
    play_vars: list[dict[str, Any]] = field(default_factory=list)
    host_files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # vars_files
    ended: bool = False
    added_handlers: list[Task] = field(default_factory=list)  # of roles include_role ran
    roles_done: set[str] = field(default_factory=set)  # see Play.roles_done; grows

    @property
    def handlers(self) -> list[Task]:
        """The play's handlers, then those `include_role` added while it runs."""
        return [*self.play.handlers, *self.added_handlers]
