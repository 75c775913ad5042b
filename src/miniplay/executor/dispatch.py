"""Sending one templated task to what runs it: a controller action, `raw`, or a module.

Takes: a task, its templated arguments and the host's scope. Gives: the raw result
(before `changed_when`/`failed_when`). Raises: nothing for host problems: unreachable
hosts and module misbehaviour come back as results.

This is also where async starts: a task with `async > 0` launches a job through the
host's agent, binds `async_jid`, and either returns the launch record (`poll: 0`) or
waits for the job (`jobs.wait`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from miniplay import events
from miniplay.actions import ACTIONS, ActionCall
from miniplay.connection import open_connection
from miniplay.connection.base import Connection
from miniplay.connection.become import METHODS, Become
from miniplay.errors import HostUnreachable, MiniplayError, ModuleError
from miniplay.executor import jobs
from miniplay.executor.context import RunContext
from miniplay.executor.environment import merged_environment
from miniplay.executor.hoststate import PlayState
from miniplay.executor.outcome import ERROR_KIND, failed, raised
from miniplay.model import Expr, Task
from miniplay.paths import modules_dir
from miniplay.runner import ModuleFinder, run_module, run_raw
from miniplay.templating import OMIT, strip_omit
from miniplay.variables import VarScope


class Dispatcher:
    """Runs templated tasks for one play."""

    def __init__(self, ctx: RunContext, play: PlayState, finder: ModuleFinder) -> None:
        self.ctx = ctx
        self.play = play
        self.finder = finder

    def _value(self, expr: Expr | None, scope: VarScope, default: Any) -> Any:
        if expr is None:
            return default
        return self.ctx.templar.render(expr.value, scope, expr.pos)

    def resolved_name(self, action: str) -> str:
        """The action's name as ansible-core reports it: `ansible.builtin.X` for the
        built-in ones, the plain name for a library module."""
        if action in ACTIONS or action in ("meta", "raw", "include_tasks", "include_role"):
            return f"ansible.builtin.{action}"
        try:
            module = self.finder.find(action)
        except MiniplayError:
            return action
        if module is not None and Path(module.path).parent == modules_dir():
            return f"ansible.builtin.{action}"
        return action

    def forget_job(self, task: Task, host: str) -> None:
        """An async task that launches nothing unbinds `async_jid` (miniplay rule)."""
        if task.async_ is not None:
            self.ctx.state(host).vars.pop("async_jid", None)

    async def execute(self, task: Task, host: str, scope: VarScope,
                      args: dict[str, Any], uid: str = "") -> dict[str, Any]:
        """The task's raw result on `host` (marked with its delegate, if any)."""
        result = await self._execute(task, host, scope, args, uid)
        if task.delegate_to is not None:
            target, _ = self.target(task, host, scope)
            if target != host:
                result["_ansible_delegated_vars"] = {"ansible_delegated_host": target}
        return result

    async def _execute(self, task: Task, host: str, scope: VarScope,
                       args: dict[str, Any], uid: str) -> dict[str, Any]:
        args = strip_omit(args)
        try:
            async_seconds = int(self._value(task.async_, scope, 0) or 0)
        except (MiniplayError, ValueError, TypeError) as exc:
            return failed(f"invalid value for async: {exc}")
        if task.action in ACTIONS:
            if async_seconds > 0:
                return failed(f"This action ({task.action}) does not support async.")
            return await self._action(task, host, scope, args)
        target, target_scope = self.target(task, host, scope)
        try:
            conn = await self.connection(target, target_scope, self.become(task, scope))
            if task.action == "raw":
                return await run_raw(conn, args, self._environment(task, scope))
            if task.action == "async_status":
                return await self._async_status(conn, host, scope, args, uid)
            return await self._module(task, host, scope, args, conn, async_seconds, uid)
        except HostUnreachable as exc:
            self.forget_job(task, host)
            python = target_scope.get("ansible_python_interpreter")
            if python and exc.message.startswith(f"{target}: cannot start {python}: "):
                # the host is there, its Python is not: a failure, as ansible-core's
                return failed(f"The module interpreter '{python}' was not found.",
                              module_stdout="", module_stderr=f"/bin/sh: 1: {python}: not found\n",
                              rc=127)  # what ansible-core's /bin/sh said
            return {"unreachable": True, "changed": False, "msg": exc.message}

    async def _action(self, task: Task, host: str, scope: VarScope,
                      args: dict[str, Any]) -> dict[str, Any]:
        access = _HostAccess(self, task, host, scope)
        call = ActionCall(task, host, args, task.args, scope, self.ctx.templar,
                          self.ctx.state(host), self.ctx.options, self.ctx.playbook_dir,
                          access)
        try:
            result = await ACTIONS[task.action](call)
            if not result.get("failed"):
                self.ctx.apply_inventory_change(host, result)
            return result
        except ValueError as exc:  # a group cycle from group_by/add_host
            return failed(str(exc))
        except HostUnreachable as exc:
            return {"unreachable": True, "changed": False, "msg": exc.message}
        except MiniplayError as exc:
            return raised(exc.message, exc.pos)

    def target(self, task: Task, host: str, scope: VarScope) -> tuple[str, VarScope]:
        """Where the task runs: `host`, or its `delegate_to` with that host's connection
        variables (the task keeps the inventory host's other variables)."""
        if task.delegate_to is None:
            return host, scope
        delegate = str(self._value(task.delegate_to, scope, host))
        if delegate == host:
            return host, scope
        try:
            layers = list(self.ctx.inventory_of(delegate).var_layers(delegate))
        except KeyError:
            layers = [{"ansible_host": delegate}]
        return delegate, VarScope([*layers, self.ctx.options.extra_vars], self.ctx.templar)

    def become(self, task: Task, scope: VarScope) -> Become | None:
        """The task's privilege escalation, or None (`become` false or unset)."""
        if not self._value(task.become, scope, False):
            return None
        method = str(self._value(task.become_method, scope, "sudo"))
        if method not in METHODS:
            raise HostUnreachable(f"become_method {method} is not supported by miniplay",
                                  hint=f"use one of: {', '.join(METHODS)}")
        password = scope.get("ansible_become_password", scope.get("ansible_become_pass"))
        return Become(method, str(self._value(task.become_user, scope, "root")),
                      str(self._value(task.become_flags, scope, "") or ""),
                      None if password is None else str(password))

    async def connection(self, host: str, scope: VarScope,
                         become: Become | None = None) -> Connection:
        """The host's connection, opened on first use and kept for the run (one per
        become user: each escalation has its own agent; and for a local host, one per
        Python a task's `ansible_python_interpreter` names beyond the first)."""
        key = host if become is None else f"{host}\0{become.key}"
        conn = self.ctx.connections.get(key)
        wanted = scope.get("ansible_python_interpreter")
        if conn is not None and wanted and getattr(conn, "python", str(wanted)) != str(wanted):
            key = f"{key}\0{wanted}"
            conn = self.ctx.connections.get(key)
        if conn is None:
            conn = open_connection(host, scope, self.ctx.options, become)
            warning = getattr(conn, "warning", None)  # e.g. ssh host keys not checked
            if warning and not any(getattr(c, "warning", None) == warning
                                   for c in self.ctx.connections.values()):
                self.ctx.sink.emit(events.Warning(warning))
            self.ctx.connections[key] = conn
        return conn

    def _rlimit_nofile(self, scope: VarScope) -> int | None:
        """`ansible_python_module_rlimit_nofile` (omit: unset), else the
        ANSIBLE_PYTHON_MODULE_RLIMIT_NOFILE setting; 0 leaves the limit alone; None
        for a value that is no integer."""
        value = scope.get("ansible_python_module_rlimit_nofile")
        if value is None:
            value = os.environ.get("ANSIBLE_PYTHON_MODULE_RLIMIT_NOFILE", "0")
        if value == OMIT:
            return 0
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def _environment(self, task: Task, scope: VarScope) -> dict[str, str]:
        return merged_environment(task.environment, self.ctx.templar, scope,
                                  lambda text: self.ctx.sink.emit(events.Warning(text)))

    def async_dir(self, scope: VarScope) -> str | None:
        """`ansible_async_dir`, else `ANSIBLE_ASYNC_DIR`, else the host's default."""
        if "ansible_async_dir" in scope:
            return str(scope["ansible_async_dir"])
        return self.ctx.options.async_dir or os.environ.get("ANSIBLE_ASYNC_DIR")

    def _check_mode(self, task: Task, scope: VarScope) -> bool:
        return bool(self._value(task.check_mode, scope, self.ctx.options.check))

    async def _module(self, task: Task, host: str, scope: VarScope, args: dict[str, Any],
                      conn: Connection, async_seconds: int, uid: str) -> dict[str, Any]:
        # the implicit fact gathering is reported as ansible-core names it
        try:
            module = self.finder.find("setup" if task.action == "gather_facts" else task.action)
        except ModuleError as exc:  # not runnable (an included task: no preflight saw it)
            return failed(exc.message)
        if module is None:
            return failed(f"module {task.action} is not available in miniplay yet")
        check = self._check_mode(task, scope)
        diff = bool(self._value(task.diff, scope, self.ctx.options.diff))
        no_log = bool(self._value(task.no_log, scope, False))
        environment = self._environment(task, scope)
        if async_seconds <= 0:
            timeout = self._value(task.timeout, scope, None)
            limit = None if timeout is None else float(timeout)
            try:
                files = self._rlimit_nofile(scope)
            except MiniplayError as exc:  # e.g. an undefined variable in its template
                return failed(f"Task failed: {exc.message}")
            if files is None:
                return failed("ansible_python_module_rlimit_nofile must be an integer, got "
                              f"{scope.get('ansible_python_module_rlimit_nofile')!r}")
            return reported(await run_module(
                conn, module, args, check=check, diff=diff, no_log=no_log,
                environment=environment, time_limit=limit if limit else None,  # 0: none
                variables=scope, rlimit_nofile=files))
        launch = await run_module(conn, module, args, check=check, diff=diff, no_log=no_log,
                                  environment=environment, async_seconds=async_seconds,
                                  async_dir=self.async_dir(scope), variables=scope)
        return reported(await self._after_launch(task, host, scope, conn, launch,
                                                 async_seconds, uid))

    async def _after_launch(self, task: Task, host: str, scope: VarScope, conn: Connection,
                            launch: dict[str, Any], async_seconds: int,
                            uid: str) -> dict[str, Any]:
        jid = launch.get("ansible_job_id")
        if not isinstance(jid, str):
            self.forget_job(task, host)
            return launch
        state = self.ctx.state(host)
        state.vars["async_jid"] = jid
        poll = int(self._value(task.poll, scope, self.ctx.options.poll_interval))
        self.ctx.sink.emit(events.JobStarted(host, uid, jid, async_seconds, poll,
                                             jobs.now()))
        if poll <= 0:
            return launch
        status = self.finder.find("async_status")
        assert status is not None, "the built-in async_status module is missing"
        waiter = jobs.JobWaiter(conn, status, self.async_dir(scope), self.ctx.sink, host, uid)
        result = await waiter.wait(jid, poll, async_seconds)
        state.jobs[jid] = result
        return result

    async def _async_status(self, conn: Connection, host: str, scope: VarScope,
                            args: dict[str, Any], uid: str) -> dict[str, Any]:
        jid = str(args.get("jid", ""))
        recorded = self.ctx.state(host).jobs.get(jid)
        mode = str(args.get("mode", "status"))
        if recorded is not None and mode == "status":
            return dict(recorded)
        module = self.finder.find("async_status")
        if module is None:
            return failed("module async_status is missing")
        call_args = {**args, "_async_dir": self.async_dir(scope)}
        result = reported(await run_module(conn, module, call_args, check=False, diff=False,
                                           no_log=False))
        if mode == "status" and jid:
            self.ctx.sink.emit(events.JobPolled(host, uid, jid, bool(result.get("finished")),
                                                bool(result.get("failed")), jobs.now(),
                                                by_async_status=True))
        return result


class _HostAccess:
    """`HostAccess` for one task on one host: module runs carry the task's settings."""

    def __init__(self, dispatcher: Dispatcher, task: Task, host: str, scope: VarScope) -> None:
        self._dispatcher = dispatcher
        self._task = task
        self._host = host
        self._scope = scope
        self.check_mode = dispatcher._check_mode(task, scope)
        self.diff = bool(dispatcher._value(task.diff, scope, dispatcher.ctx.options.diff))

    async def connection(self) -> Connection:
        target, scope = self._dispatcher.target(self._task, self._host, self._scope)
        become = self._dispatcher.become(self._task, self._scope)
        return await self._dispatcher.connection(target, scope, become)

    async def run_module(self, name: str, args: Mapping[str, Any]) -> dict[str, Any]:
        try:
            module = self._dispatcher.finder.find(name)
        except ModuleError as exc:
            return failed(exc.message)
        if module is None:
            return failed(f"module {name} is not available in miniplay yet")
        conn = await self.connection()
        no_log = bool(self._dispatcher._value(self._task.no_log, self._scope, False))
        return reported(await run_module(
            conn, module, args, check=self.check_mode, diff=self.diff, no_log=no_log,
            environment=self._dispatcher._environment(self._task, self._scope)))


def reported(result: dict[str, Any]) -> dict[str, Any]:
    """A module's result, its failure marked as the module's (Ansible's summary then says
    `Module failed:`, where a controller action or `failed_when` says `Action failed:`)."""
    if result.get("failed"):
        result[ERROR_KIND] = "module"
    return result
