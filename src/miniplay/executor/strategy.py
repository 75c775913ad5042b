"""The linear strategy: each task runs on every active host before the next starts.

Takes: a list of nodes (tasks and blocks) and the hosts to run them on. Gives: events
for every result and updated host states (stats, failures, notifications). Raises:
nothing for host problems; `PlayAborted` when `any_errors_fatal` or
`max_fail_percentage` ends the play for every host.

Hosts of one task run concurrently on the event loop, bounded by `forks`; results are
emitted as they complete, as Ansible prints them. Blocks keep the lockstep: the block's
tasks on all its hosts, then `rescue` on the hosts that failed in it, then `always`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from miniplay import events
from miniplay.actions import ONCE_PER_BATCH
from miniplay.errors import MiniplayError
from miniplay.executor.context import RunContext
from miniplay.executor.hoststate import HostState, PlayState
from miniplay.executor.jobs import now
from miniplay.executor.outcome import delegated_to
from miniplay.executor.tags import rendered, selected
from miniplay.executor.task import Outcome, TaskRunner
from miniplay.executor.throttle import Throttles, throttle_value
from miniplay.keywords import short_name
from miniplay.model import Block, Node, Task
from miniplay.results import TaskStatus
from miniplay.unsafe import mark_unsafe
from miniplay.variables import VarScope


class PlayAborted(Exception):
    """`any_errors_fatal` or `max_fail_percentage`: the play (and playbook) ends now."""

    def __init__(self, banners: int) -> None:
        super().__init__("play aborted")
        self.banners = banners  # how many NO MORE HOSTS LEFT lines ansible-core prints


MetaHandler = Callable[[Task, list[str]], Awaitable[None]]
IncludeHandler = Callable[[Task, list[str]], Awaitable[None]]


def count(state: HostState, outcome: Outcome) -> None:
    """Add one result to the host's recap line (spec §8.1 counting rules)."""
    stats = state.stats
    status = outcome.status
    changed = bool(outcome.result.get("changed"))
    if status is TaskStatus.SKIPPED:
        stats.skipped += 1
    elif status is TaskStatus.UNREACHABLE and not outcome.ignored:
        stats.unreachable += 1
    elif status is TaskStatus.FAILED and not outcome.ignored:
        stats.failures += 1
    else:
        stats.ok += 1
        stats.ignored += int(outcome.ignored)
        stats.changed += int(changed)


class Linear:
    """Runs nodes in lockstep across hosts for one play."""

    def __init__(self, ctx: RunContext, play: PlayState, runner: TaskRunner,
                 on_meta: MetaHandler, on_include: IncludeHandler,
                 max_fail_percentage: float | None = None, free: bool = False) -> None:
        self.ctx = ctx
        self.max_fail = max_fail_percentage
        self.free = free
        self._uids: dict[int, str] = {}
        self._catching = 0  # enclosing block sections that a failure leads to rescue/always
        self._marked: set[str] = set()  # failed by another host's any_errors_fatal
        self.play = play
        self.runner = runner
        self.on_meta = on_meta
        self.on_include = on_include
        self.forks = asyncio.Semaphore(max(1, ctx.options.forks))
        self.throttles = Throttles(max(1, ctx.options.forks))

    def active(self, hosts: Sequence[str]) -> list[str]:
        return [h for h in hosts if self.ctx.state(h).active]

    async def run_nodes(self, nodes: Sequence[Node], hosts: Sequence[str]) -> None:
        for node in nodes:
            live = self.active(hosts)
            if not live or self.play.ended:
                return
            if isinstance(node, Block):
                await self.run_block(node, live)
            else:
                await self.run_task(node, live)

    async def run_block(self, block: Block, hosts: list[str]) -> None:
        await self._section(block.block, hosts, bool(block.rescue or block.always))
        failed = [h for h in hosts if self.ctx.state(h).failed]
        if block.rescue and failed:
            for host in failed:
                self._enter_rescue(host)
            await self._section(block.rescue, failed, bool(block.always))
            for host in failed:
                self.ctx.state(host).rescue_vars.clear()
        if block.always:
            pending = [h for h in hosts if self.ctx.state(h).failed
                       and not self.ctx.state(h).unreachable]
            for host in pending:
                self.ctx.state(host).failed = False
                self.ctx.state(host).failure_pending = True
            await self.run_nodes(block.always, [h for h in hosts
                                                if not self.ctx.state(h).unreachable])
            for host in pending:  # still failed, unless `meta: clear_host_errors` ran
                state = self.ctx.state(host)
                state.failed = state.failed or state.failure_pending
                state.failure_pending = False

    async def _section(self, nodes: Sequence[Node], hosts: list[str], catching: bool) -> None:
        """A block's `block:` or `rescue:` list; `catching` when a failure in it goes on
        to a rescue or always section (`any_errors_fatal` then fails the other hosts
        into it instead of ending the play)."""
        self._catching += catching
        try:
            await self.run_nodes(nodes, hosts)
        finally:
            self._catching -= catching

    def _enter_rescue(self, host: str) -> None:
        state = self.ctx.state(host)
        state.failed = False
        if host in self._marked:  # sent here by another host's failure: nothing to count
            self._marked.discard(host)
            return
        state.stats.failures -= 1
        state.stats.rescued += 1
        state.rescue_vars.update(state.last_failure)

    def _fail_the_others(self, failed: list[str]) -> None:
        """`any_errors_fatal` inside a block with rescue/always: every other host still
        running is failed too (not counted), as ansible-core's iterator marks them, so it
        moves on to the rescue or always section with the failed host. Such a host stays
        out of `ansible_play_hosts` and of later plays, even once rescued."""
        for host in self.play.batch or self.play.hosts:
            state = self.ctx.state(host)
            if host in failed or not state.active:
                continue
            state.failed = True
            state.fatal_marked = True
            self._marked.add(host)

    def _name(self, task: Task) -> str:
        name = self._plain_name(task)
        return f"{task.role.name} : {name}" if task.role is not None else name

    def _plain_name(self, task: Task) -> str:
        if not task.name:
            return task.action
        try:
            scope = self.ctx.scope(self.play.hosts[0], self.play, task) if self.play.hosts else {}
            return str(self.ctx.templar.render(task.name, scope))
        except MiniplayError:
            return task.name

    def _waiting_for_start(self, task: Task) -> bool:
        """`--start-at-task`: skip tasks until one with that name (then run all)."""
        wanted = self.ctx.start_at_task
        if wanted is None:
            return False
        if wanted in (task.name, self._name(task), self._plain_name(task)):
            self.ctx.start_at_task = None
            return False
        return True

    def _tags(self, task: Task) -> frozenset[str]:
        """The task's tags, templated ones rendered with the play's variables and the
        extra vars (not a host's: Ansible selects tasks for the whole play)."""
        scope = VarScope([*self.play.play_vars, self.ctx.options.extra_vars], self.ctx.templar)
        return rendered(task.tags, lambda tag: self.ctx.templar.render(tag, scope))

    def _truthy(self, task: Task, expr: Any, host: str) -> bool:
        if expr is None:
            return False
        scope = self.ctx.scope(host, self.play, task)
        return bool(self.ctx.templar.render(expr.value, scope, expr.pos))

    async def run_task(self, task: Task, hosts: list[str], handler: bool = False) -> None:
        if not handler and (not selected(self._tags(task), self.ctx.options)
                            or self._waiting_for_start(task)):
            return
        if task.action == "meta":
            await self.on_meta(task, hosts)
            return
        if task.action in ("include_tasks", "include_role"):
            await self.on_include(task, hosts)
            return
        # free strategy: each host announces the task again, under the same id
        uid = self._uids.setdefault(id(task), str(uuid.uuid4())) if self.free else str(
            uuid.uuid4())
        name = self._name(task)
        self.ctx.sink.emit(events.TaskStart(name, uid, task.action, _path(task), now(),
                                            handler, self.play.uid))
        run_once = not self.free and self._truthy(task, task.run_once, hosts[0])
        targets = hosts[:1] if run_once or task.action in ONCE_PER_BATCH else hosts
        limit = self.throttles.limit(task, throttle_value(
            task, self.ctx.templar, self.ctx.scope(hosts[0], self.play, task)),
            run_once or self._truthy(task, task.run_once, hosts[0]))
        try:
            async with asyncio.TaskGroup() as group:
                runs = [group.create_task(self._on_host(task, host, uid, name, limit))
                        for host in targets]
        except* MiniplayError as errors:  # a positioned error, not a traceback of a group
            raise errors.exceptions[0] from None
        self.ctx.sink.emit(events.TaskEnd(uid, now()))
        outcomes = [run.result() for run in runs]
        if run_once:
            self._share(task, targets[0], outcomes[0], hosts)
        self._failure_rules(task, dict(zip(targets, outcomes, strict=True)))

    def _share(self, task: Task, first: str, outcome: Outcome, hosts: list[str]) -> None:
        """`run_once`: the first host's registered result and facts go to the batch."""
        source = self.ctx.state(first)
        facts = outcome.result.get("ansible_facts")
        for host in hosts[1:]:
            target = self.ctx.state(host)
            if task.register and task.register in source.vars:
                target.vars[task.register] = source.vars[task.register]
            if task.action == "set_fact" and isinstance(facts, dict):
                target.vars.update(mark_unsafe(facts))

    def _failure_rules(self, task: Task, outcomes: dict[str, Outcome]) -> None:
        failed = [h for h, o in outcomes.items()
                  if o.status in (TaskStatus.FAILED, TaskStatus.UNREACHABLE) and not o.ignored]
        if not failed:
            return
        if self._truthy(task, task.any_errors_fatal, failed[0]):
            if not self._catching:
                raise PlayAborted(banners=0)
            self._fail_the_others(failed)
        batch = self.play.batch or self.play.hosts
        if self.max_fail is not None and batch:
            down = sum(1 for h in batch if self.ctx.state(h).failed
                       or self.ctx.state(h).unreachable)
            if down / len(batch) * 100 > self.max_fail:
                raise PlayAborted(banners=2)

    async def _on_host(self, task: Task, host: str, uid: str, name: str,
                       limit: asyncio.Semaphore | None = None) -> Outcome:
        if limit is not None:
            async with limit, self.forks:
                outcome = await self.runner.run(task, host, uid)
        else:
            async with self.forks:
                outcome = await self.runner.run(task, host, uid)
        self.record(task, host, uid, name, outcome)
        return outcome

    def record(self, task: Task, host: str, uid: str, name: str, outcome: Outcome) -> None:
        """Emit the host's result, count it, apply failure and notification rules."""
        state = self.ctx.state(host)
        warnings = outcome.result.get("warnings")
        if isinstance(warnings, list) and task.loop is None:  # shown before the result line
            for warning in warnings:
                self.ctx.sink.emit(events.Warning(str(warning)))
        self.ctx.sink.emit(events.HostResult(
            host=host, task_uid=uid, task_name=name, action=self._action(task, host),
            status=outcome.status, result=outcome.result, start=outcome.start,
            end=outcome.end, ignored=outcome.ignored, delegated_to=delegated_to(outcome.result),
            verbose_always=bool(outcome.result.get("_ansible_verbose_always")),
            no_log=_no_log(outcome.result), loop=task.loop is not None))
        count(state, outcome)
        if outcome.ignored:
            return
        if outcome.status is TaskStatus.FAILED:
            state.failed = True
            state.last_failure = {
                "ansible_failed_task": {"name": self._plain_name(task), "action": task.action,
                                        "args": mark_unsafe(dict(task.args))},
                "ansible_failed_result": mark_unsafe(dict(outcome.result)),
            }
        elif outcome.status is TaskStatus.UNREACHABLE:
            state.unreachable = True
        elif outcome.status is TaskStatus.CHANGED and task.notify:
            self._known_handlers(task)
            state.notified.extend(n for n in task.notify if n not in state.notified)

    def _action(self, task: Task, host: str) -> str:
        """The action a host's result names: a templated one (`action: "{{ pkg }}"`)
        rendered for the host, as Ansible reports it; as written if it cannot be."""
        if "{{" not in task.action:
            return task.action
        try:
            scope = self.ctx.scope(host, self.play, task)
            return short_name(str(self.ctx.templar.render(task.action, scope)).strip())
        except MiniplayError:
            return task.action

    def _known_handlers(self, task: Task) -> None:
        """A changed task notifying no handler of the play stops the run, as Ansible's
        default (error_on_missing_handler) does; validate only warns before."""
        known: set[str] = set()
        for handler in self.play.handlers:
            names = {n for n in (handler.name, *handler.listen) if n}
            prefix = f"{handler.role.name} : " if handler.role is not None else ""
            known |= names | {prefix + n for n in names}
        for name in task.notify:
            if "{{" in name or name in known:
                continue
            raise MiniplayError(f"The requested handler '{name}' was not found in either "
                                "the main handlers list nor in the listening handlers list",
                                task.where("notify"), "name a handler of the play (or one "
                                "of its `listen` topics)")


def _no_log(result: dict[str, Any]) -> bool:
    return bool(result.get("_ansible_no_log"))


def _path(task: Task) -> str:
    return f"{Path(task.pos.file).resolve()}:{task.pos.line}"
