"""One play: its hosts, variables, sections, handlers, facts and flow-changing metas.

Takes: a `Play` and the run context. Gives: events and updated host states. Raises:
`PlaybookStopped` when every host of the play failed (Ansible then runs no later play);
`MiniplayError` for play-level input errors (a `vars_files` file that cannot be read).

Order (ansible-core): facts → `pre_tasks` → handlers → `tasks` → handlers →
`post_tasks` → handlers. A failed host leaves the play and every later play.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from miniplay import events
from miniplay.errors import PlaybookError, UsageError
from miniplay.executor.context import RunContext
from miniplay.executor.dispatch import Dispatcher
from miniplay.executor.handlers import Handlers
from miniplay.executor.hoststate import PlayState
from miniplay.executor.jobs import now
from miniplay.executor.loops import items_of, loop_vars
from miniplay.executor.strategy import Linear, PlayEnded
from miniplay.executor.task import TaskRunner
from miniplay.loader import load_file, plain
from miniplay.model import Expr, Play, Task
from miniplay.parser import Inherited, parse_task_file
from miniplay.results import TaskStatus
from miniplay.runner import ModuleFinder
from miniplay.variables import VarScope

PLAY_WIDE_META = frozenset({"end_play", "end_batch", "clear_host_errors", "clear_facts",
                            "refresh_inventory"})


META_SKIP_SUFFIX = {
    "flush_handlers": ", not running handlers for {host}",
    "clear_facts": ", not clearing facts and fact cache for {host}",
    "clear_host_errors": ", not clearing host error state for {host}",
    "end_batch": ", continuing current batch",
    "end_play": ", continuing play",
    "end_host": ", continuing execution for {host}",
}


class PlaybookStopped(Exception):
    """Every host of a play failed: ansible-playbook runs no later play."""


def _facts_task(play: Play) -> Task:
    return Task(action="setup", args={}, pos=play.pos, action_pos=play.pos,
                name="Gathering Facts", tags=frozenset({"always"}))


class PlayRunner:
    """Runs one play from start to handlers."""

    def __init__(self, ctx: RunContext, play: Play, finder: ModuleFinder) -> None:
        self.ctx = ctx
        self.model = play
        self.finder = finder

    def _hosts(self) -> list[str]:
        scope = VarScope([self.ctx.options.extra_vars], self.ctx.templar)
        pattern = self.ctx.templar.render(self.model.hosts.value, scope, self.model.hosts.pos)
        selection = self.ctx.inventory.match(pattern, self.ctx.options.limit)
        for warning in selection.warnings:
            self.ctx.sink.emit(events.Warning(warning))
        hosts = list(selection.hosts)
        return [h for h in hosts if not (self.ctx.state(h).failed
                                         or self.ctx.state(h).unreachable)]

    async def run(self) -> None:
        uid = str(uuid.uuid4())
        hosts = self._hosts()
        state = PlayState(self.model, uid, hosts)
        self.ctx.sink.emit(events.PlayStart(self.model.display_name, uid, _path(self.model),
                                            tuple(hosts), now()))
        if not hosts:
            self.ctx.sink.emit(events.Notice("skipping: no hosts matched"))
            self.ctx.sink.emit(events.PlayEnd(uid, now()))
            return
        for host in hosts:
            self.ctx.state(host).ended = False
        state.play_vars = [dict(self.model.vars), *self._vars_files(state, hosts[0])]
        try:
            await self._sections(state, hosts)
        finally:
            self.ctx.sink.emit(events.PlayEnd(uid, now()))
        if all(self.ctx.state(h).failed or self.ctx.state(h).unreachable for h in hosts):
            raise PlaybookStopped

    async def _sections(self, state: PlayState, hosts: list[str]) -> None:
        dispatcher = Dispatcher(self.ctx, state, self.finder)
        runner = TaskRunner(self.ctx, state, dispatcher)
        handlers = Handlers(self.ctx, state, self.model)
        linear = Linear(self.ctx, state, runner, self._meta, self._include)
        self.linear, self.handlers = linear, handlers
        try:
            if self._gather(state, hosts[0]):
                await linear.run_task(_facts_task(self.model), hosts)
            for section in (self.model.pre_tasks, self.model.tasks, self.model.post_tasks):
                await linear.run_nodes(section, hosts)
                await handlers.flush(linear, hosts)
        except PlayEnded:
            state.ended = True
        if not linear.active(hosts) and any(self.ctx.state(h).failed for h in hosts):
            self.ctx.sink.emit(events.Notice("NO MORE HOSTS LEFT", banner=True))

    def _gather(self, state: PlayState, host: str) -> bool:
        expr = self.model.gather_facts
        if expr is None:
            return True
        return bool(self.ctx.templar.render(expr.value, self.ctx.scope(host, state), expr.pos))

    def _vars_files(self, state: PlayState, host: str) -> list[dict[str, Any]]:
        layers: list[dict[str, Any]] = []
        for entry in self.model.vars_files:
            scope = self.ctx.scope(host, state)
            names = self.ctx.templar.render(entry.value, scope, entry.pos)
            layers.append(self._first_vars_file(names, entry))
        return layers

    def _first_vars_file(self, names: Any, entry: Expr) -> dict[str, Any]:
        candidates = names if isinstance(names, list) else [names]
        for name in candidates:
            path = Path(str(name))
            path = path if path.is_absolute() else Path(self.ctx.playbook_dir) / path
            if path.is_file():
                data = plain(load_file(path).data)
                if data is not None and not isinstance(data, dict):
                    raise PlaybookError(f"{path} must hold a mapping of variables", entry.pos)
                return data or {}
        raise UsageError(f"vars_files: could not find {', '.join(map(str, candidates))}",
                         entry.pos, "paths are relative to the playbook's directory")

    async def _meta(self, task: Task, hosts: list[str]) -> None:
        """Meta tasks, as ansible-core's linear strategy runs them: play-wide ones once,
        for the first host (its `when` decides for all); the rest per host. A meta whose
        `when` is false prints `skipping:`; none is counted in the recap."""
        action = str(task.args.get("_raw_params", "")).strip()
        uid = str(uuid.uuid4())
        state = self.linear.play
        self.ctx.sink.emit(events.TaskStart(task.name or "meta", uid, task.action,
                                            _task_path(task), now(), False, state.uid))
        targets = hosts[:1] if action in PLAY_WIDE_META else hosts
        try:
            for host in targets:
                if not self._meta_condition(task, host, action):
                    self._meta_skipped(task, host, uid, action)
                    continue
                await self._meta_run(action, host, hosts)
        finally:
            self.ctx.sink.emit(events.TaskEnd(uid, now()))

    def _meta_condition(self, task: Task, host: str, action: str) -> bool:
        if action in ("noop", "refresh_inventory", "reset_connection"):
            return True
        scope = self.ctx.scope(host, self.linear.play, task)
        return all(self.ctx.templar.condition(c.value, scope, c.pos) for c in task.when)

    def _meta_skipped(self, task: Task, host: str, uid: str, action: str) -> None:
        reason = f"{action} conditional evaluated to False"
        reason += META_SKIP_SUFFIX.get(action, "").format(host=host)
        message = action
        if action == "end_host":
            message = f"end_host conditional evaluated to false, continuing execution for {host}"
        result = {"msg": message, "skipped": True, "skip_reason": reason}
        stamp = now()
        self.ctx.sink.emit(events.HostResult(
            host=host, task_uid=uid, task_name=task.name or "meta", action="meta",
            status=TaskStatus.SKIPPED, result=result, start=stamp, end=stamp))

    async def _meta_run(self, action: str, host: str, hosts: list[str]) -> None:
        if action == "flush_handlers":
            await self.handlers.flush(self.linear, [host])
        elif action == "end_play":
            raise PlayEnded
        elif action in ("end_host", "end_batch"):
            for target in hosts if action == "end_batch" else [host]:
                self.ctx.state(target).ended = True
        elif action == "clear_host_errors":
            for target in self.linear.play.hosts:
                self.ctx.state(target).failed = False
                self.ctx.state(target).unreachable = False
        elif action == "clear_facts":
            for target in self.linear.play.hosts:
                self.ctx.state(target).facts_vars.clear()
        elif action == "reset_connection":
            conn = self.ctx.connections.pop(host, None)
            if conn is not None:
                await conn.close()

    async def _include(self, task: Task, hosts: list[str]) -> None:
        """`include_tasks`: resolve the file per host (and item), then run its tasks
        on the hosts that included it, grouped so the lockstep holds per file."""
        uid = str(uuid.uuid4())
        self.ctx.sink.emit(events.TaskStart(task.display_name, uid, task.action,
                                            _task_path(task), now(), False, self.linear.play.uid))
        groups: dict[tuple[str, str], tuple[list[str], dict[str, Any]]] = {}
        for host in hosts:
            for path, extra in self._included(task, host):
                key = (path, repr(sorted(extra.items())))
                groups.setdefault(key, ([], extra))[0].append(host)
        for (path, _), (members, extra) in groups.items():
            label = f" => (item={extra.get('item')})" if task.loop is not None else ""
            self.ctx.sink.emit(events.Notice(f"included: {path} for {', '.join(members)}{label}"))
            for host in members:
                self.ctx.state(host).stats.ok += 1
        self.ctx.sink.emit(events.TaskEnd(uid, now()))
        for (path, _), (members, extra) in groups.items():
            inherited = Inherited(vars={**task.vars, **extra})
            nodes = parse_task_file(path, self.ctx.playbook.path, inherited)
            await self.linear.run_nodes(nodes, members)

    def _included(self, task: Task, host: str) -> list[tuple[str, dict[str, Any]]]:
        scope = self.ctx.scope(host, self.linear.play, task)
        items: list[Any] = [None]
        if task.loop is not None:
            value = self.ctx.templar.render(task.loop.value, scope, task.loop.pos)
            items = items_of(task.loop_kind, value, task.loop.pos)
        found: list[tuple[str, dict[str, Any]]] = []
        for index, item in enumerate(items):
            extra = loop_vars(task.loop_control, item, index, items) if task.loop else {}
            item_scope = scope.child(extra)
            if not all(self.ctx.templar.condition(c.value, item_scope, c.pos) for c in task.when):
                continue
            args = self.ctx.templar.render(dict(task.args), item_scope, task.action_pos)
            name = str(args.get("file", args.get("_raw_params", "")))
            found.append((self._task_file(task, name), extra))
        return found

    def _task_file(self, task: Task, name: str) -> str:
        path = Path(name)
        if path.is_absolute():
            return str(path)
        for base in (Path(task.pos.file).parent, Path(self.ctx.playbook_dir)):
            if (base / path).is_file():
                return str((base / path).resolve())
        raise PlaybookError(f"could not find or access '{name}'", task.action_pos,
                            "include_tasks paths are relative to the including file")


def _task_path(task: Task) -> str:
    return f"{Path(task.pos.file).resolve()}:{task.pos.line}"


def _path(play: Play) -> str:
    return f"{Path(play.pos.file).resolve()}:{play.pos.line}"


