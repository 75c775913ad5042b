"""One play: its hosts and serial batches, variables, sections, handlers and facts.

Takes: a `Play` and the run context. Gives: events and updated host states. Raises:
`PlaybookStopped` when every host of a batch failed, or `any_errors_fatal` /
`max_fail_percentage` aborted the play (Ansible then runs no later play);
`MiniplayError` for play-level input errors (a `vars_files` file that cannot be read).

Order per batch (ansible-core): facts → `pre_tasks` → handlers → `tasks` → handlers →
`post_tasks` → handlers. A failed host leaves the play and every later play.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import Any

from miniplay import ansible_env, events
from miniplay.errors import MiniplayError, PlaybookError, TemplateError
from miniplay.executor.argpos import mapping_at
from miniplay.executor.batches import ORDERS, batches, ordered
from miniplay.executor.context import RunContext
from miniplay.executor.dispatch import Dispatcher
from miniplay.executor.flow import Flow, PlayEnded
from miniplay.executor.handlers import Handlers
from miniplay.executor.hoststate import PlayState
from miniplay.executor.jobs import now
from miniplay.executor.strategy import Linear, PlayAborted
from miniplay.executor.task import TaskRunner
from miniplay.loader import load_file, plain
from miniplay.model import Expr, Play, Task
from miniplay.parser_args import is_template
from miniplay.roles import vars_file_candidates
from miniplay.runner import ModuleFinder
from miniplay.variables import VarScope


class PlaybookStopped(Exception):
    """ansible-playbook runs no later play (every host failed, or the play aborted)."""


def _facts_task(play: Play) -> Task:
    """The implicit fact gathering: it runs with the play's `environment`, as Ansible's
    does (a value using `ansible_env`, not gathered yet, is left out there)."""
    # The play's fact keywords become the setup arguments of the same names.
    args = {name: expr.value for name, expr in (
        ("gather_subset", play.gather_subset), ("gather_timeout", play.gather_timeout),
        ("fact_path", play.fact_path)) if expr is not None}
    environment: tuple[Expr, ...] = ()
    if "environment" in play.key_pos:
        written = mapping_at(play.pos)
        if written is not None and written.get("environment") is not None:
            environment = (Expr(plain(written["environment"]), written.pos_of("environment")),)
    return Task(action="gather_facts", args=args, pos=play.pos, action_pos=play.pos,
                name="Gathering Facts", tags=frozenset({"always"}), environment=environment)


class PlayRunner:
    """Runs one play, batch after batch."""

    def __init__(self, ctx: RunContext, play: Play, finder: ModuleFinder) -> None:
        self.ctx = ctx
        self.model = play
        self.finder = finder

    def word(self, keyword: str) -> str:
        """The play's `strategy` or `order`, rendered with the extra vars and play vars
        when it is a template (as Ansible renders play keywords), then checked."""
        value: str = getattr(self.model, keyword)
        if keyword == "strategy" and keyword not in self.model.key_pos:
            value = ansible_env.default_strategy()  # ANSIBLE_STRATEGY, else linear
        pos = self.model.key_pos.get(keyword, self.model.pos)
        if is_template(value):
            scope = VarScope([self.model.vars, self.ctx.options.extra_vars], self.ctx.templar)
            value = str(self.ctx.templar.render(value, scope, pos))
        allowed = ("linear", "free") if keyword == "strategy" else ORDERS
        if value not in allowed:
            raise PlaybookError(f"{keyword} {value} is not built yet" if keyword == "strategy"
                                else f"invalid order {value!r}", pos,
                                f"use one of: {', '.join(allowed)}")
        return value

    def _render(self, expr: Expr | None) -> Any:
        if expr is None:
            return None
        scope = VarScope([self.ctx.options.extra_vars], self.ctx.templar)
        return self.ctx.templar.render(expr.value, scope, expr.pos)

    def _hosts(self) -> tuple[list[str], list[str]]:
        """The hosts of the play's pattern (with --limit) in inventory order, and the
        same hosts in the play's `order`. Both keep hosts that failed in earlier plays:
        Ansible counts them in `ansible_play_hosts_all` and in the serial batches (a
        batch of only such hosts runs nothing)."""
        selection = self.ctx.inventory.match(self._render(self.model.hosts),
                                             self.ctx.options.limit)
        for warning in selection.warnings:
            self.ctx.sink.emit(events.Warning(warning))
        hosts = list(selection.hosts)
        return hosts, ordered(hosts, self.word("order"), self.model.key_pos.get("order"))

    def _live(self, hosts: list[str]) -> list[str]:
        return [h for h in hosts if not (self.ctx.state(h).failed or self.ctx.state(h).unreachable
                                         or self.ctx.state(h).fatal_marked)]

    async def run(self) -> None:
        pattern, hosts = self._hosts()
        if not self._live(hosts):
            uid = str(uuid.uuid4())
            self._play_start(uid, [])
            if not hosts:
                self.ctx.sink.emit(events.Notice("skipping: no hosts matched"))
            self.ctx.sink.emit(events.PlayEnd(uid, now()))
            return
        serial = self._render(self.model.serial)
        for batch in batches(hosts, serial, self.model.key_pos.get("serial")):
            if await self._batch(self._live(hosts), batch, pattern):
                return  # `meta: end_play` ends every batch, as in ansible-core

    def _name(self) -> str:
        """The play's name, rendered with its vars and the extra vars as ansible-core
        does when the play starts (an undefined variable stops the run)."""
        name = self.model.display_name
        if not is_template(name):
            return name
        pos = self.model.key_pos.get("name", self.model.pos)
        scope = VarScope([self.model.vars, self.ctx.options.extra_vars], self.ctx.templar)
        try:
            return str(self.ctx.templar.render(name, scope, pos))
        except MiniplayError as error:
            raise MiniplayError(f"Error processing keyword 'name': {error.message}",
                                pos) from None

    def _play_start(self, uid: str, batch: list[str]) -> None:
        path = f"{Path(self.model.pos.file).resolve()}:{self.model.pos.line}"
        self.ctx.sink.emit(events.PlayStart(self._name(), uid, path, tuple(batch),
                                            now(), self.word("strategy")))

    async def _batch(self, hosts: list[str], full: list[str], pattern: list[str]) -> bool:
        """One serial batch; True when `meta: end_play` ended the play. The run stops
        when every host of `full` failed in it: a batch holding a host that failed in an
        earlier play never stops it (Ansible compares the batch's size with the
        failures new in this batch)."""
        batch = self._live(full)
        uid = str(uuid.uuid4())
        state = PlayState(self.model, uid, hosts, batch=batch, all_hosts=pattern,
                          roles_done=set(self.model.roles_done))
        self._play_start(uid, batch)
        if not batch:  # every host of this batch failed in an earlier play
            self.ctx.sink.emit(events.PlayEnd(uid, now()))
            return False
        for host in batch:
            self.ctx.state(host).ended = False
        aborted = False
        try:
            state.play_vars = [dict(self.model.vars)]  # vars_files names may use play vars
            for host in batch:  # each host finds its own files, as in Ansible
                self._vars_files(state, host)
            aborted = await self._sections(state, batch)
        finally:
            self.ctx.sink.emit(events.PlayEnd(uid, now()))
        if aborted or (len(batch) == len(full) and all(
                self.ctx.state(h).failed or self.ctx.state(h).unreachable for h in batch)):
            raise PlaybookStopped
        return state.ended

    async def _sections(self, state: PlayState, batch: list[str]) -> bool:
        """Run the batch; True when the play was aborted for every host."""
        handlers = Handlers(self.ctx, state, self.model)
        flow = Flow(self.ctx, state, handlers)
        runner = TaskRunner(self.ctx, state, Dispatcher(self.ctx, state, self.finder))
        free = self.word("strategy") == "free"
        linear = Linear(self.ctx, state, runner, flow.meta, flow.include,
                        self._max_fail(), free)
        flow.bind(linear)
        aborted: PlayAborted | None = None
        try:
            gathering = self._gather(state, batch[0])
            hosts = [h for h in batch if gathering == "all"
                     or (gathering == "smart" and not self.ctx.state(h).facts_vars)]
            if hosts:
                await linear.run_task(_facts_task(self.model), hosts)
            if free:
                await asyncio.gather(*(self._run_sections(linear, handlers, [host])
                                       for host in batch))
            else:
                await self._run_sections(linear, handlers, batch)
        except PlayEnded:
            state.ended = True
        except PlayAborted as stop:
            aborted = stop
            if handlers.forced():  # force_handlers: notified handlers still run
                with contextlib.suppress(PlayAborted, PlayEnded):
                    await handlers.flush(linear, batch)
        # ansible-core 2.19 prints the banner only when max_fail_percentage aborts the
        # play (twice); not when every host simply failed (observed, with or without
        # serial or strategy free).
        banners = aborted.banners if aborted else 0
        for _ in range(banners):
            self.ctx.sink.emit(events.Notice("NO MORE HOSTS LEFT", banner=True))
        return aborted is not None

    async def _run_sections(self, linear: Linear, handlers: Handlers, hosts: list[str]) -> None:
        """pre_tasks, roles + tasks, post_tasks, each followed by a handler flush."""
        main = self.model.role_tasks + self.model.tasks
        for section in (self.model.pre_tasks, main, self.model.post_tasks):
            await linear.run_nodes(section, hosts)
            await handlers.flush(linear, hosts)

    def _max_fail(self) -> float | None:
        value = self._render(self.model.max_fail_percentage)
        return None if value is None else float(value)

    def _gather(self, state: PlayState, host: str) -> str:
        """"" (no gathering), "all" (every host of the batch) or "smart" (the hosts
        without facts yet): the play's `gather_facts`, else `ANSIBLE_GATHERING`."""
        expr = self.model.gather_facts
        if expr is None:
            mode = ansible_env.gathering()
            return {"implicit": "all", "explicit": ""}.get(mode, mode)
        scope = self.ctx.scope(host, state)
        return "all" if self.ctx.templar.render(expr.value, scope, expr.pos) else ""

    def _vars_files(self, state: PlayState, host: str) -> None:
        """`host`'s `vars_files` layers, each entry's names rendered with what the host
        sees (earlier files included) and the first existing one loaded. As in Ansible
        2.19, an entry none of whose files exists is skipped, and so is one whose name
        uses an undefined variable (with a warning)."""
        layers = state.host_files[host] = []
        for entry in self.model.vars_files:
            names = entry.value if isinstance(entry.value, list) else [entry.value]
            try:
                found = self._first_vars_file(names, entry, self.ctx.scope(host, state))
            except TemplateError as exc:
                if "undefined" not in exc.message:
                    raise
                self.ctx.sink.emit(events.Warning(
                    f"skipping vars_files item due to an undefined variable: {exc.message}"))
                continue
            if found is None:
                self.ctx.sink.emit(events.Warning(
                    f"vars_files: skipped {', '.join(map(str, names))} for {host}: no such "
                    "file (Ansible skips it too)"))
                continue
            layers.append(found)

    def _first_vars_file(self, names: list[Any], entry: Expr,
                         scope: VarScope) -> dict[str, Any] | None:
        play_dir = Path(self.model.pos.file).parent
        for written in names:
            name = self.ctx.templar.render(written, scope, entry.pos)
            for path in vars_file_candidates(str(name), play_dir, self.ctx.playbook_dir):
                if path.is_file():
                    data = plain(load_file(path).data)
                    if data is not None and not isinstance(data, dict):
                        raise PlaybookError(f"{path} must hold a mapping of variables",
                                            entry.pos)
                    return data or {}
        return None
