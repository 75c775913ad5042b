"""The executor: runs a parsed playbook against an inventory, emitting events.

Takes: a `Playbook`, an `Inventory`, `RunOptions` and an `EventSink`. Gives: a
`RunSummary` (per-host stats and the exit code ansible-playbook would return).
Raises: `MiniplayError` for input errors found while running (a vars file that cannot
be read); host problems are results, never exceptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from miniplay import events
from miniplay.events import EventSink
from miniplay.executor.context import RunContext
from miniplay.executor.hoststate import HostState
from miniplay.executor.jobs import now
from miniplay.executor.play import PlaybookStopped, PlayRunner
from miniplay.inventory import Inventory
from miniplay.model import Playbook
from miniplay.options import RunOptions
from miniplay.results import HostStats
from miniplay.runner import ModuleFinder, search_dirs
from miniplay.templating import Templar


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run ended with."""

    stats: dict[str, HostStats]
    exit_code: int
    interrupted: bool = False


def exit_code_for(states: Iterable[HostState]) -> int:
    """ansible-playbook's rule, on the hosts' state when the run ends (not on the recap's
    counts): 4 if a host is unreachable, else 2 if one is failed, else 0. A failure
    rescued, ignored or cleared by `meta: clear_host_errors` fails nothing; a host
    failed by another's any_errors_fatal does, even once rescued."""
    hosts = list(states)
    if any(s.unreachable for s in hosts):
        return 4
    if any(s.failed or s.fatal_marked for s in hosts):
        return 2
    return 0


def make_context(playbook: Playbook, inventory: Inventory, options: RunOptions,
                 sink: EventSink) -> RunContext:
    """The per-run context (one templar, empty host states)."""
    base = str(Path(playbook.path).resolve().parent)
    templar = Templar(searchpath=[base, str(Path(base) / "templates")], lookup_base_dir=base)
    return RunContext(playbook, inventory, options, sink, templar)


async def run(playbook: Playbook, inventory: Inventory, options: RunOptions,
              sink: EventSink, stats_before: Mapping[str, HostStats] | None = None
              ) -> RunSummary:
    """Run every play in order; the recap is emitted even when interrupted.

    `stats_before`: the counts of earlier playbooks of the same command line, which the
    recap adds to (ansible-playbook keeps one set of stats for all its playbooks).
    """
    ctx = make_context(playbook, inventory, options, sink)
    for host, before in (stats_before or {}).items():
        ctx.state(host).stats = dataclasses.replace(before)
    finder = ModuleFinder(search_dirs(ctx.playbook_dir, options.module_paths,
                                      playbook.role_paths))
    sink.emit(events.PlaybookStart(playbook.path, now(), len(playbook.plays)))
    for warning in inventory.warnings:
        sink.emit(events.Warning(warning))
    if not inventory.parsed:
        sink.emit(events.Warning("No inventory was parsed, only implicit localhost is available"))
    interrupted = False
    try:
        for play in playbook.plays:
            await PlayRunner(ctx, play, finder).run()
    except PlaybookStopped:
        pass
    except asyncio.CancelledError:
        interrupted = True
    finally:
        await _close(ctx)
    if ctx.start_at_task is not None and not interrupted:
        sink.emit(events.Warning(f'No matching task "{ctx.start_at_task}" found. Note: '
                                 "--start-at-task can only follow static includes."))
    stats = {host: state.stats for host, state in ctx.states.items() if _counted(state.stats)}
    sink.emit(events.Recap(stats, now(), interrupted))
    code = 99 if interrupted else exit_code_for(ctx.states.values())

    return RunSummary(stats, code, interrupted)


def _counted(stats: HostStats) -> bool:
    return any(stats.as_dict().values())


async def _close(ctx: RunContext) -> None:
    for conn in list(ctx.connections.values()):
        with contextlib.suppress(Exception):  # closing must never hide the run's result
            await conn.close()
    ctx.connections.clear()
