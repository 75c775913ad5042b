"""Tasks that change the play's flow: `meta` and `include_tasks`.

Takes: a meta or include task and the hosts it runs on. Gives: events, host-state
changes and, for `include_tasks`, the included tasks run through the strategy.
Raises: `PlayEnded` (`meta: end_play`), `PlaybookError` for an include file that cannot
be found.

Meta tasks follow ansible-core's linear strategy: the play-wide ones run once, for the
first host (whose `when` decides for all); the rest run per host. A meta whose `when` is
false prints `skipping:`; none is counted in the recap.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from miniplay import events
from miniplay.errors import PlaybookError
from miniplay.executor.context import RunContext
from miniplay.executor.handlers import Handlers
from miniplay.executor.hoststate import PlayState
from miniplay.executor.jobs import now
from miniplay.executor.loops import control_names, loop_items, loop_vars
from miniplay.executor.outcome import aggregate, skipped
from miniplay.inventory import load_inventory
from miniplay.model import Task
from miniplay.parser import Inherited, parse_included_role, parse_task_file
from miniplay.parser_args import role_name
from miniplay.results import TaskStatus
from miniplay.roles import task_file_candidates

if TYPE_CHECKING:
    from miniplay.executor.strategy import Linear

PLAY_WIDE_META = frozenset({"end_play", "end_batch", "clear_host_errors", "clear_facts",
                            "refresh_inventory"})
# What ansible-core's `META:` line (-vv) says when the meta runs on `host`.
META_DONE = {
    "noop": "noop",
    "flush_handlers": "triggered running handlers for {host}",
    "refresh_inventory": "inventory successfully refreshed",
    "clear_facts": "facts cleared",
    "clear_host_errors": "cleared host errors",
    "end_batch": "ending batch",
    "end_play": "ending play",
    "end_host": "ending play for {host}",
    "reset_connection": "reset connection",
}
META_SKIP_SUFFIX = {
    "flush_handlers": ", not running handlers for {host}",
    "clear_facts": ", not clearing facts and fact cache for {host}",
    "clear_host_errors": ", not clearing host error state for {host}",
    "end_batch": ", continuing current batch",
    "end_play": ", continuing play",
    "end_host": ", continuing execution for {host}",
}


_HOLDS = object()  # every `when` of an include held


def _item_label(item: Any) -> str:
    return item if isinstance(item, str) else repr(item)


class PlayEnded(Exception):
    """`meta: end_play`: stop the rest of the play for every host."""


def task_path(task: Task) -> str:
    """`file:line` of a task, as the events carry it."""
    return f"{Path(task.pos.file).resolve()}:{task.pos.line}"


class Flow:
    """Runs `meta` and `include_tasks` for one play (or serial batch)."""

    def __init__(self, ctx: RunContext, play: PlayState, handlers: Handlers) -> None:
        self.ctx = ctx
        self.play = play
        self.handlers = handlers
        self._linear: Linear | None = None

    def bind(self, linear: Linear) -> None:
        """The strategy that runs included tasks (it also calls back into this object)."""
        self._linear = linear

    @property
    def linear(self) -> Linear:
        assert self._linear is not None, "Flow.bind() was not called"
        return self._linear

    async def meta(self, task: Task, hosts: list[str]) -> None:
        """Meta tasks, as ansible-core's linear strategy runs them: play-wide ones once,
        for the first host (its `when` decides for all); the rest per host. A meta whose
        `when` is false prints `skipping:`; none is counted in the recap."""
        action = str(task.args.get("_raw_params", "")).strip()
        uid = str(uuid.uuid4())
        state = self.play
        self.ctx.sink.emit(events.TaskStart(task.name or "meta", uid, task.action,
                                            task_path(task), now(), False, state.uid))
        targets = hosts[:1] if action in PLAY_WIDE_META else hosts
        try:
            live = []
            for host in targets:
                if self._meta_condition(task, host, action):
                    live.append(host)
                    done = META_DONE.get(action)
                    if done is not None:
                        self.ctx.sink.emit(events.Notice(
                            f"META: {done.format(host=host)}", verbosity=2))
                else:
                    self._meta_skipped(task, host, uid, action)
            if action == "flush_handlers":
                await self.handlers.flush(self.linear, live)
                return
            for host in live:
                await self._meta_run(action, host, hosts)
        finally:
            self.ctx.sink.emit(events.TaskEnd(uid, now()))

    def _meta_condition(self, task: Task, host: str, action: str) -> bool:
        if action in ("noop", "refresh_inventory", "reset_connection"):
            return True
        scope = self.ctx.scope(host, self.play, task)
        return all(self.ctx.templar.condition(c.value, scope, c.pos) for c in task.when)

    def _meta_skipped(self, task: Task, host: str, uid: str, action: str) -> None:
        reason = f"{action} conditional evaluated to False"
        reason += META_SKIP_SUFFIX.get(action, "").format(host=host)
        self.ctx.sink.emit(events.Notice(f"META: {reason}", verbosity=2))
        message = action
        if action == "end_host":
            message = f"end_host conditional evaluated to false, continuing execution for {host}"
        result = {"msg": message, "skipped": True, "skip_reason": reason}
        stamp = now()
        self.ctx.sink.emit(events.HostResult(
            host=host, task_uid=uid, task_name=task.name or "meta", action="meta",
            status=TaskStatus.SKIPPED, result=result, start=stamp, end=stamp))

    def _refresh_inventory(self) -> None:
        """The inventory sources read again (add_host/group_by kept, see RunContext); a
        host they no longer have leaves the current play at once, uncounted."""
        self.ctx.refresh_inventory(load_inventory(self.ctx.options.inventory,
                                                  self.ctx.playbook_dir))
        for target in self.play.all_hosts or self.play.hosts:
            if target not in self.ctx.inventory.hosts:
                self.ctx.state(target).ended = True

    async def _meta_run(self, action: str, host: str, hosts: list[str]) -> None:
        if action == "end_play":
            raise PlayEnded
        elif action in ("end_host", "end_batch"):
            for target in hosts if action == "end_batch" else [host]:
                self.ctx.state(target).ended = True
        elif action == "clear_host_errors":  # every host of the play's pattern
            for target in self.play.all_hosts or self.play.hosts:
                self.ctx.state(target).failed = False
                self.ctx.state(target).unreachable = False
                self.ctx.state(target).failure_pending = False  # in an always: for good
        elif action == "refresh_inventory":
            self._refresh_inventory()
        elif action == "clear_facts":
            for target in self.play.hosts:
                self.ctx.state(target).facts_vars.clear()
        elif action == "reset_connection":
            conn = self.ctx.connections.pop(host, None)
            if conn is not None:
                await conn.close()

    async def include(self, task: Task, hosts: list[str]) -> None:
        """`include_tasks`: resolve the file per host (and item), then run its tasks
        on the hosts that included it, grouped so the lockstep holds per file."""
        uid = str(uuid.uuid4())
        name = task.display_name
        if not task.name and task.action == "include_role":
            name = f"include_role : {role_name(task.args)}"
        elif task.role is not None and task.action != "include_role":
            # a role's include_tasks shows as the role's; include_role names itself only
            name = f"{task.role.name} : {name}"
        self.ctx.sink.emit(events.TaskStart(name, uid, task.action,
                                            task_path(task), now(), False, self.play.uid))
        groups: dict[tuple[str, str], tuple[list[str], dict[str, Any]]] = {}
        for host in hosts:
            for path, extra in self._include_on(task, host, uid):
                key = (path, repr(sorted(extra.items())))
                groups.setdefault(key, ([], extra))[0].append(host)
        role = task.action == "include_role"
        for (path, _), (members, extra) in groups.items():
            label = f" => (item={extra.get('item')})" if task.loop is not None else ""
            self.ctx.sink.emit(events.Notice(f"included: {path} for {', '.join(members)}{label}"))
            for host in members:
                self.ctx.state(host).stats.ok += 1
        self.ctx.sink.emit(events.TaskEnd(uid, now()))
        for (path, _), (members, extra) in groups.items():
            inherited = Inherited(vars=task.vars, role=task.role, tags=task.inherited_tags,
                                  params={**task.params, **extra})
            if role:
                nodes, handlers = parse_included_role(path, self.ctx.playbook.path, inherited,
                                                      dict(task.args), task.action_pos,
                                                      self.play.roles_done)
                self.handlers.add(handlers)
            else:
                nodes = parse_task_file(path, self.ctx.playbook.path, inherited)
            await self.linear.run_nodes(nodes, members)

    def _include_on(self, task: Task, host: str, uid: str) -> list[tuple[str, dict[str, Any]]]:
        """What `host` includes (file or role, with its loop variables), after reporting
        the host's result as ansible-core records it: each item included or skipped by
        its `when`; a host that includes nothing is skipped and counted so."""
        scope = self.ctx.scope(host, self.play, task)
        looped = task.loop is not None
        items: list[Any] = loop_items(task, self.ctx.templar, scope) if looped else [None]
        control = control_names(task, self.ctx.templar, scope) if looped else {}
        found: list[tuple[str, dict[str, Any]]] = []
        results: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            extra = loop_vars(control, item, index, items) if looped else {}
            item_scope = scope.child(extra)
            false = next((c.value for c in task.when if not self.ctx.templar.condition(
                c.value, item_scope, c.pos)), _HOLDS)
            if false is not _HOLDS:
                results.append({**skipped(false), **extra})
                if looped:
                    self.ctx.sink.emit(events.ItemResult(
                        host, uid, TaskStatus.SKIPPED, _item_label(item), results[-1]))
                continue
            args = self.ctx.templar.render(dict(task.args), item_scope, task.action_pos)
            if task.action == "include_role":
                found.append((role_name(args), extra))
                results.append({"include_args": args, **extra})
                continue
            written = str(args.get("file", args.get("_raw_params", "")))
            found.append((self._task_file(task, written), extra))
            rest = {k: v for k, v in args.items() if k not in ("file", "_raw_params")}
            results.append({"include": written, "include_args": rest, **extra})
        if looped:
            result = aggregate(results)
            if not result.get("skipped"):
                result.pop("skipped", None)
        else:
            result = {**results[0], "changed": False}
        status = TaskStatus.SKIPPED if result.get("skipped") else TaskStatus.OK
        if status is TaskStatus.SKIPPED:
            self.ctx.state(host).stats.skipped += 1
        stamp = now()
        self.ctx.sink.emit(events.HostResult(
            host=host, task_uid=uid, task_name=task.name or task.action, action=task.action,
            status=status, result=result, start=stamp, end=stamp, loop=looped))
        return found

    def _task_file(self, task: Task, name: str) -> str:
        candidates = task_file_candidates(name, task.pos.file, self.ctx.playbook_dir)
        if Path(name).is_absolute():
            return str(candidates[0])
        for candidate in candidates:
            if candidate.is_file():
                return str(candidate.resolve())
        raise PlaybookError(f"could not find or access '{name}'", task.action_pos,
                            "include_tasks paths are relative to the including file")
