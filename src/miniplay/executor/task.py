"""One task on one host: `when`, loops, arguments, retries, conditions, `register`.

Takes: a `Task`, a host and the run context. Gives: the host's final result dict (what
`register` stores) and its `TaskStatus`; emits `ItemResult`/`Retrying` events on the way.
Raises: nothing for host-level problems (templating errors, module failures and
unreachable hosts are results); only `asyncio.CancelledError` passes through.

The order of operations is ansible-core's: the loop is expanded first, then per item
`when` → templated args → run (retrying under `until`/`retries`) → `changed_when` →
`failed_when`, each seeing the result under the `register` name.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import Any

from miniplay import ansible_env, events
from miniplay.errors import MiniplayError
from miniplay.executor.argpos import arg_position
from miniplay.executor.context import RunContext
from miniplay.executor.dispatch import Dispatcher
from miniplay.executor.hoststate import PlayState
from miniplay.executor.loops import break_conditions, loop_items, loop_vars
from miniplay.executor.outcome import (
    ERROR_AT,
    ERROR_DETAIL,
    ERROR_SUMMARY,
    TASK_AT,
    UNKNOWN_ERROR,
    aggregate,
    at,
    delegated_to,
    failed,
    normalise,
    raised,
    skipped,
    status_of,
)
from miniplay.keywords import short_name
from miniplay.model import Expr, Task
from miniplay.parser_args import VARIABLE_PARAMS, is_template, merge_variable_params
from miniplay.results import TaskStatus
from miniplay.templating import UndefinedVariable
from miniplay.unsafe import mark_unsafe
from miniplay.variables import VarScope

RETRIES_EXHAUSTED = "retries exhausted"
TRACEBACK_UNAVAILABLE = "(traceback unavailable)"
LOOP_FACT_ACTIONS = frozenset({"set_fact", "include_vars"})  # they set variables per item
FACT_ACTIONS = frozenset({"set_fact", "include_vars"})


@dataclass(frozen=True, slots=True)
class Outcome:
    """A task's final result on one host."""

    result: dict[str, Any]
    status: TaskStatus
    ignored: bool
    start: float
    end: float


def _label(task: Task, scope: VarScope, item: Any, ctx: RunContext,
           result: dict[str, Any]) -> str:
    """The item's label; an undefined one fails the item, as ansible-core does."""
    label = task.loop_control.get("label")
    if label is not None:
        try:
            return str(ctx.templar.render(label, scope))
        except UndefinedVariable as exc:
            result.update(failed=True,
                          msg=f"Failed to template loop_control.label: {exc.message}")
            return str(label)
        except MiniplayError:
            return str(label)
    return repr(item) if not isinstance(item, str) else item


class TaskRunner:
    """Runs tasks of one play; one instance per play, shared by its hosts."""

    def __init__(self, ctx: RunContext, play: PlayState, dispatcher: Dispatcher) -> None:
        self.ctx = ctx
        self.play = play
        self.dispatch = dispatcher

    async def run(self, task: Task, host: str, uid: str) -> Outcome:
        """Run `task` on `host` to its final result; registers it."""
        start = time.time()
        scope = self.ctx.scope(host, self.play, task)
        if task.loop is not None:
            state = self.ctx.state(host)
            kept = (dict(state.vars), dict(state.include_vars))
            result = await self._loop(task, host, scope, uid)
            if "results" not in result:  # the loop itself failed: no items were run
                with_exception(result)
            if result.get("failed") and task.action in LOOP_FACT_ACTIONS:
                # later items saw the earlier items' variables, but ansible-core keeps
                # none of them when the looped task fails (ignored or not)
                for layer, before in zip((state.vars, state.include_vars), kept, strict=True):
                    layer.clear()
                    layer.update(before)
        else:
            result = with_exception(await self.one(task, host, scope, uid))
        if task.register:
            self.ctx.state(host).vars[task.register] = mark_unsafe(_registered(result))
        if self._flag(task.no_log, scope):
            result["_ansible_no_log"] = True
        facts = result.get("ansible_facts")
        if isinstance(facts, dict) and task.action not in FACT_ACTIONS:
            owner = delegated_to(result) if self._flag(task.delegate_facts, scope) else None
            self._store_facts(owner or host, facts)
        status = status_of(result)
        if status is TaskStatus.FAILED and (task.loop is None or "results" not in result):
            result[TASK_AT] = at(task.pos)  # a loop's failed items carry their own
        ignored = status is TaskStatus.FAILED and self._flag(task.ignore_errors, scope)
        if status is TaskStatus.UNREACHABLE and self._flag(task.ignore_unreachable, scope):
            ignored = True
        return Outcome(result, status, ignored, start, time.time())

    def _store_facts(self, host: str, facts: dict[str, Any]) -> None:
        """Facts go under `ansible_facts` (unprefixed) and as top-level `ansible_*`
        (unless ANSIBLE_INJECT_FACT_VARS is false)."""
        store = self.ctx.state(host).facts_vars
        safe = mark_unsafe(facts)
        namespace = store.setdefault("ansible_facts", {})
        inject = ansible_env.inject_facts()
        for key, value in safe.items():
            local = key == "ansible_local"  # keeps its prefix, and is always top-level too
            short = key[len("ansible_"):] if key.startswith("ansible_") and not local else key
            namespace[short] = value
            if inject or local:
                store[key if key.startswith("ansible_") else f"ansible_{key}"] = value

    def _flag(self, expr: Expr | None, scope: VarScope) -> bool:
        if expr is None:
            return False
        try:
            return bool(self.ctx.templar.render(expr.value, scope, expr.pos))
        except MiniplayError:
            return False

    async def _loop(self, task: Task, host: str, scope: VarScope, uid: str) -> dict[str, Any]:
        assert task.loop is not None
        try:
            items = loop_items(task, self.ctx.templar, scope)
            control = self._loop_names(task, scope)
        except UndefinedVariable as exc:  # ansible-core keeps it until `when` has been seen
            return self._unlooped(task, scope, exc)
        except MiniplayError as exc:  # ansible-core's result for this failure has no `changed`
            return raised(exc.message, exc.pos, with_changed=False)
        results: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            extra = loop_vars(control, item, index, items)
            item_scope = scope.child(extra)
            result = await self.one(task, host, item_scope, uid)
            result.update(extra)
            if result.get("failed"):
                result[TASK_AT] = at(task.pos)
                with_exception(result)
            # the task's register already names this item's result (ansible-core)
            label_scope = item_scope.child({task.register: result}) if task.register \
                else item_scope
            label = _label(task, label_scope, item, self.ctx, result)
            result["_ansible_item_label"] = label
            if self._flag(task.no_log, item_scope):
                result["_ansible_no_log"] = True
            self.ctx.sink.emit(events.ItemResult(
                host, uid, status_of(result), label, result, delegated_to(result),
                verbose_always=bool(result.get("_ansible_verbose_always")),
                no_log=bool(result.get("_ansible_no_log"))))
            results.append(result)
            try:
                if self._breaks(task, item_scope, result):
                    break
            except MiniplayError as exc:
                return raised(exc.message, exc.pos, with_changed=False)
            await self._loop_pause(task, scope)
        return aggregate(results)

    def _breaks(self, task: Task, item_scope: VarScope, result: dict[str, Any]) -> bool:
        """`loop_control.break_when`: every condition holds after this item, its result
        already under the task's `register` name (as ansible-core checks it)."""
        conditions = break_conditions(task.loop_control)
        if not conditions:
            return False
        scope = item_scope.child({task.register: result}) if task.register else item_scope
        where = task.where("loop_control")
        return all(self.ctx.templar.condition(c, scope, where) for c in conditions)

    def _unlooped(self, task: Task, scope: VarScope, error: MiniplayError) -> dict[str, Any]:
        """A loop whose items are undefined: skipped when a `when` (seen without an
        item) is false, else failed with the undefined error, as ansible-core does."""
        for condition in task.when:
            try:
                if not self.ctx.templar.condition(condition.value, scope, condition.pos):
                    return skipped(condition.value)
            except MiniplayError:
                break
        return raised(f"Task failed: {error.message}", error.pos)

    def _loop_names(self, task: Task, scope: VarScope) -> dict[str, Any]:
        """`loop_control` with a templated `loop_var`/`index_var` rendered, as Ansible
        renders loop_control before the loop."""
        control = dict(task.loop_control)
        for key in ("loop_var", "index_var"):
            if is_template(control.get(key)):
                control[key] = str(self.ctx.templar.render(control[key], scope, task.pos))
        return control

    async def _loop_pause(self, task: Task, scope: VarScope) -> None:
        pause = task.loop_control.get("pause")
        if pause:
            await asyncio.sleep(float(self.ctx.templar.render(pause, scope)))

    async def one(self, task: Task, host: str, scope: VarScope, uid: str = "") -> dict[str, Any]:
        """One item (or the task without a loop): `when`, then run with retries."""
        for condition in task.when:
            try:
                holds = self.ctx.templar.condition(condition.value, scope, condition.pos)
            except MiniplayError as exc:
                return raised(f"Task failed: {exc.message}", exc.pos)
            if not holds:
                self.dispatch.forget_job(task, host)
                return skipped(condition.value)
        try:
            if is_template(task.action):  # `action: "{{ name }} k=v"`: named per host
                task = replace(task, action=short_name(str(self.ctx.templar.render(
                    task.action, scope, task.action_pos)).strip()))
            if VARIABLE_PARAMS in task.args:  # `assert: "{{ checks }}"`: per host
                task = replace(task, args=merge_variable_params(
                    task.args, task.action, scope.raw,
                    lambda text: self.ctx.templar.render(text, scope, task.action_pos),
                    task.action_pos))
            args = self.ctx.templar.render(dict(task.args), scope, task.action_pos)
        except MiniplayError as exc:
            self.dispatch.forget_job(task, host)
            return self._arg_error(task, scope, exc)
        return await self._attempts(task, host, scope, args, uid)

    def _arg_error(self, task: Task, scope: VarScope, error: MiniplayError) -> dict[str, Any]:
        """The failure of arguments that do not template, pointing (as ansible-core's
        Origin does) at the value of the first argument that fails."""
        result = raised(error.message, error.pos)
        for name, value in task.args.items():
            try:
                self.ctx.templar.render(value, scope, task.action_pos)
            except MiniplayError as exc:
                detail = f"Error while resolving value for '{name}': {exc.message}"
                result[ERROR_SUMMARY] = (f"Task failed: Finalization of task args for "
                                         f"'{self.dispatch.resolved_name(task.action)}' "
                                         f"failed: {detail}")
                pos = arg_position(task.pos, task.action_pos, str(name))
                if pos is not None:
                    result[ERROR_AT] = at(pos)
                    result[ERROR_DETAIL] = detail
                break
        return result

    def _retries(self, task: Task, scope: VarScope) -> int:
        if task.retries is not None:
            return int(self.ctx.templar.render(task.retries.value, scope, task.retries.pos))
        return 3 if task.until is not None else 0

    async def _attempts(self, task: Task, host: str, scope: VarScope,
                        args: dict[str, Any], uid: str) -> dict[str, Any]:
        try:
            retries = self._retries(task, scope)
            delay = float(self.ctx.templar.render(task.delay.value, scope)) if task.delay else 5.0
        except (MiniplayError, ValueError, TypeError) as exc:
            return failed(str(exc))
        attempt = 1
        while True:
            result = with_exception(normalise(
                await self.dispatch.execute(task, host, scope, args, uid)))
            if retries > 0:  # as in ansible-core, changed_when/failed_when can read it
                result["attempts"] = attempt
            result = self._conditions(task, scope, result)
            if retries <= 0 or result.get("unreachable"):
                return result
            if self._done(task, scope, result):
                result["attempts"] = attempt
                return result
            if attempt > retries:
                result["failed"] = True
                result["attempts"] = retries
                result.setdefault("msg", RETRIES_EXHAUSTED)
                return result
            self.ctx.sink.emit(events.Retrying(host, self._name(task, scope),
                                               retries - attempt + 1, result))
            attempt += 1
            await asyncio.sleep(delay)

    def _name(self, task: Task, scope: VarScope) -> str:
        try:
            return str(self.ctx.templar.render(task.display_name, scope))
        except MiniplayError:
            return task.display_name

    def _bound(self, task: Task, scope: VarScope, result: dict[str, Any]) -> VarScope:
        if not task.register:
            return scope
        return scope.child({task.register: mark_unsafe(result)})

    def _done(self, task: Task, scope: VarScope, result: dict[str, Any]) -> bool:
        if task.until is None:
            return not result.get("failed")
        bound = self._bound(task, scope, result)
        try:
            return all(self.ctx.templar.condition(c.value, bound, c.pos) for c in task.until)
        except MiniplayError:
            return False

    def _conditions(self, task: Task, scope: VarScope, result: dict[str, Any]) -> dict[str, Any]:
        if result.get("skipped") or result.get("unreachable"):
            return result
        bound = self._bound(task, scope, result)
        if task.changed_when is not None:
            try:
                result["changed"] = all(
                    self.ctx.templar.condition(c.value, bound, c.pos) for c in task.changed_when)
            except MiniplayError as exc:
                return _condition_error(result, "changed_when_result", exc.message)
        if task.failed_when is not None:
            try:
                verdict = all(
                    self.ctx.templar.condition(c.value, bound, c.pos) for c in task.failed_when)
            except MiniplayError as exc:
                return _condition_error(result, "failed_when_result", exc.message)
            result["failed"] = verdict
            result["failed_when_result"] = verdict
            if verdict:
                result.setdefault("msg", UNKNOWN_ERROR)
                with_exception(result)
            elif "exception" in result:  # the action's failure, overruled
                result["failed_when_suppressed_exception"] = result.pop("exception")
        return result


def with_exception(result: dict[str, Any]) -> dict[str, Any]:
    """A failed result carries `exception`, as ansible-core 2.19's do: the module's
    traceback when it sent one, else its placeholder (registered values show it)."""
    if result.get("failed") and not result.get("exception"):
        result["exception"] = TRACEBACK_UNAVAILABLE
    return result


def _condition_error(result: dict[str, Any], key: str, message: str) -> dict[str, Any]:
    """A `changed_when`/`failed_when` that cannot be evaluated fails the task, the error
    under `key` (ansible-core 2.19: `msg` is left as the action gave it, or set to its
    unknown-error text when the action gave none)."""
    return {"msg": UNKNOWN_ERROR, **result, "failed": True, key: message}


def _strip_internal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_internal(v) for k, v in value.items()
                if not (isinstance(k, str) and k.startswith("_ansible_"))}
    if isinstance(value, list):
        return [_strip_internal(item) for item in value]
    return value


def _registered(result: dict[str, Any]) -> dict[str, Any]:
    """What `register` stores (ansible-core): no internal keys, no top-level invocation."""
    cleaned: dict[str, Any] = _strip_internal(result)
    cleaned.pop("invocation", None)
    return cleaned
