"""`miniplay explain`: the plan of a playbook, said as a teacher would say it.

Takes: a parsed `Playbook`, the `Inventory` and the `RunOptions` (`limit`, `extra_vars`,
`tags`, `skip_tags`). Gives: `explain(...)`, the plan as plain data (the `--format json`
document), and `render(plan)`, the same as text. Nothing runs and no host is contacted:
only the playbook and the inventory are read. Raises: `MiniplayError` subclasses from
the inventory (a bad pattern); a `hosts`/`serial`/`gather_facts` template that needs
run-time variables is reported in words, not raised.

The plan, per play: the hosts it targets after patterns and `--limit`, its batches, whether
facts are gathered, then each section (pre_tasks, roles + tasks, post_tasks) with every
block and task in order and the handler flush that ends it, and the handlers with the
tasks that may notify them. Each task lists its keywords as data and as sentences
(`says`): conditions (a block's `when` is copied onto each task inside it and checked
again for every one), loops, tags, register, until/retries, errors, async behaviour.

Why: Ansible's semantics are spread over keywords whose effects combine (a `when` on a
block, `poll: 0`, handlers that wait for a flush); reading them back as sentences before
a run is how a learner (and a reviewer) sees what the playbook will do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from miniplay.errors import MiniplayError
from miniplay.executor.batches import batches, ordered
from miniplay.executor.tags import selected
from miniplay.inventory import Inventory
from miniplay.model import Block, Expr, Node, Play, Playbook, Task, iter_tasks
from miniplay.options import RunOptions
from miniplay.templating import Templar

ASYNC_STATUS = ("async_status",)
_FLUSH = ("handlers notified so far run here, once per host that was notified, "
          "in the order of the handlers section")
_META = {"flush_handlers": "runs the handlers notified so far, right here (not at the "
          "section end)", "end_play": "ends the play for every host", "end_host": "ends the "
          "play for this host", "end_batch": "ends the current batch", "noop": "does nothing",
          "clear_host_errors": "clears failed hosts so they continue"}


_CONTROLLER = {"debug": "prints a message", "fail": "fails the host on purpose",
               "assert": "checks its `that` conditions and fails the host if one is false"}


@dataclass(frozen=True, slots=True)
class _Context:
    """What every task sentence needs: the options, the play's handlers, a templar."""

    options: RunOptions
    handlers: tuple[Task, ...]
    templar: Templar


def _text(value: Any) -> str:
    """A keyword value as written (strings bare, other values as JSON)."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _where(pos: Any) -> str:
    return f"{pos.file}:{pos.line}"


def _own_when(task: Task) -> int:
    """How many of `task.when` (a suffix) the task wrote itself; the rest it inherited.

    Its own conditions sit at or after its `when:` key, in file order, in its file.
    """
    key = task.key_pos.get("when")
    count, last = 0, None
    for expr in reversed(task.when if key else ()):
        here = (expr.pos.line, expr.pos.column)
        if (expr.pos.file != key.file or here < (key.line, key.column)  # type: ignore[union-attr]
                or (last is not None and here >= last)):
            break
        count, last = count + 1, here
    return count


def _inherited(task: Task) -> tuple[Expr, ...]:
    return task.when[:len(task.when) - _own_when(task)]


def _static(templar: Templar, expr: Expr | None, options: RunOptions) -> tuple[Any, bool]:
    """The value of `expr` with only the extra vars known; (raw text, False) when it
    needs more (host or play variables, facts)."""
    if expr is None:
        return None, True
    try:
        return templar.render(expr.value, dict(options.extra_vars), expr.pos), True
    except MiniplayError:
        return expr.value, False


def _targets(play: Play, inventory: Inventory, ctx: _Context) -> dict[str, Any]:
    pattern, known = _static(ctx.templar, play.hosts, ctx.options)
    found: dict[str, Any] = {"pattern": pattern, "limit": ctx.options.limit}
    if not known:
        found.update(hosts=[], batches=[], says=[
            f"targets the hosts `{_text(pattern)}` names once it is rendered at run time"])
        return found
    selection = inventory.match(pattern, ctx.options.limit)
    hosts = ordered(list(selection.hosts), play.order)
    serial, serial_known = _static(ctx.templar, play.serial, ctx.options)
    groups = batches(hosts, serial if serial_known else None)
    limit = f" limited by `--limit {ctx.options.limit}`" if ctx.options.limit else ""
    says = [f"targets {len(hosts)} host(s) matched by `{_text(pattern)}`{limit}: "
            + (", ".join(hosts) or "none, so the play is skipped")]
    says.append(_batch_sentence(groups, play.serial, serial_known))
    found.update(hosts=hosts, batches=groups, warnings=list(selection.warnings), says=says)
    return found


def _batch_sentence(groups: list[list[str]], serial: Expr | None, known: bool) -> str:
    if serial is not None and not known:
        return f"runs in batches whose size `serial: {_text(serial.value)}` sets at run time"
    if len(groups) <= 1:
        return ("runs in one batch: every host goes through each task before the next "
                "task starts (strategy linear)")
    sizes = ", ".join(str(len(g)) for g in groups)
    return (f"runs in {len(groups)} batches of {sizes} host(s) (serial): each batch goes "
            "through the whole play before the next batch starts")


def _facts(play: Play, ctx: _Context) -> dict[str, Any]:
    value, known = _static(ctx.templar, play.gather_facts, ctx.options)
    if play.gather_facts is None:
        return {"gather": True, "says": "gathers facts first (`setup` on every host; "
                "Ansible's default when gather_facts is not set)"}
    if not known:
        return {"gather": None, "says": f"gathers facts if `{_text(value)}` is true at run time"}
    gather = str(value).lower() in ("true", "yes", "1", "on")
    return {"gather": gather, "says": "gathers facts first (`setup` on every host)" if gather
            else "does not gather facts (gather_facts: false): `ansible_facts` stays empty"}


def _conditions(task: Task) -> tuple[list[str], list[str]]:
    """The task's own `when` conditions, and those it inherited (block, import, role)."""
    own = [_text(e.value) for e in task.when[len(task.when) - _own_when(task):]]
    return own, [_text(e.value) for e in _inherited(task)]


def _when_says(task: Task, own: list[str], inherited: list[str]) -> list[str]:
    says = []
    per = "for each loop item" if task.loop else "on each host, just before it runs"
    if own:
        says.append(f"runs only where {' and '.join(f'`{c}`' for c in own)} holds, "
                    f"checked {per}; where it does not, the task is skipped")
    if inherited:
        says.append(f"checks the enclosing {' and '.join(f'`{c}`' for c in inherited)} "
                    "again, for this task (inherited from a block, import or role)")
    return says


def _loop_says(task: Task) -> list[str]:
    if task.loop is None:
        return []
    var = task.loop_control.get("loop_var", "item")
    kind = "" if task.loop_kind == "loop" else f" ({task.loop_kind}, the older form of loop)"
    says = [f"repeats for each item of `{_text(task.loop.value)}`{kind}; "
            f"each run sees the item as `{var}`"]
    if task.register:
        says.append(f"`{task.register}.results` holds one result per item")
    return says


def _async_says(task: Task, ctx: _Context) -> list[str]:
    if task.action in ASYNC_STATUS:
        return ["async_status: reads the job's status file on the host; a job awaited with "
                "poll > 0 is already cleaned up in Ansible, miniplay returns its recorded "
                "result"]
    if task.async_ is None:
        return []
    limit = _text(task.async_.value)
    poll = ctx.options.poll_interval if task.poll is None else task.poll.value
    if str(poll).strip() in ("0", "0.0"):
        return [f"starts a job of up to {limit} s and moves on at once; `async_jid` holds "
                "its id (and a register's `ansible_job_id`); check it later with "
                "async_status — the job is killed if it runs past the limit"]
    default = " (the default poll)" if task.poll is None else ""
    return [f"starts a job of up to {limit} s and checks every {_text(poll)} s{default}; "
            "the play waits for it"]


def _retry_says(task: Task) -> list[str]:
    if task.until is None:
        return []
    retries = "3" if task.retries is None else _text(task.retries.value)
    delay = "5" if task.delay is None else _text(task.delay.value)
    cond = " and ".join(f"`{_text(e.value)}`" for e in task.until)
    return [f"runs again until {cond} holds: up to {retries} retries, {delay} s apart; "
            "then it fails"]


def _result_says(task: Task) -> list[str]:
    says = []
    if task.register:
        says.append(f"saves its result as `{task.register}` for later tasks on the same host")
    for key, verb in (("failed_when", "fails when"), ("changed_when", "reports changed when")):
        conds = getattr(task, key)
        if conds is not None and [c.value for c in conds] in ([False], ["false"]):
            says.append("never reports changed" if key == "changed_when" else "never fails")
        elif conds is not None:
            says.append(f"{verb} {' and '.join(f'`{_text(c.value)}`' for c in conds)}"
                        " (instead of the module's own verdict)")
    if task.ignore_errors is not None:
        says.append(f"ignore_errors: `{_text(task.ignore_errors.value)}`: a failure is "
                    "reported but the host carries on")
    return says


def _where_says(task: Task) -> list[str]:
    says = []
    if task.delegate_to is not None:
        says.append(f"runs on `{_text(task.delegate_to.value)}` instead of each host "
                    "(delegate_to), with that host's variables")
    if task.run_once is not None:
        says.append("runs once, on the first host; its result applies to every host")
    if task.no_log is not None:
        says.append("hides its result in the output (no_log)")
    if task.action == "meta":
        what = str(task.args.get("_raw_params", ""))
        says.append(f"meta {what}: {_META.get(what, 'changes how the play runs')}")
    if task.action == "include_tasks":
        says.append("reads its file only when it runs (dynamic): its tasks appear then")
    return says


def _notify(task: Task, ctx: _Context) -> list[dict[str, Any]]:
    found = []
    for name in task.notify:
        answering = [h.display_name for h in ctx.handlers if h.name == name or name in h.listen]
        found.append({"name": name, "handlers": answering})
    return found


def _notify_says(notified: list[dict[str, Any]]) -> list[str]:
    says = []
    for entry in notified:
        who = ", ".join(f"'{h}'" for h in entry["handlers"]) or "no handler (nothing runs)"
        says.append(f"if it reports changed, notifies `{entry['name']}` → {who}; "
                    "the handler runs at the next flush, not now")
    return says


def _tags_says(task: Task, options: RunOptions) -> list[str]:
    runs = selected(task.tags, options)
    if not task.tags:
        return [] if runs else ["not run: it has no tags and the --tags asked for do not match"]
    tags = ", ".join(sorted(task.tags))
    return [f"tags: {tags}" + ("" if runs else " — not run with these --tags/--skip-tags")]


def _action_says(task: Task) -> str | None:
    """What the action does, and where it runs."""
    action, args = task.action, task.args
    if action in _CONTROLLER:
        return f"{_CONTROLLER[action]} (on the controller: nothing runs on the host)"
    if action == "set_fact":
        names = ", ".join(f"`{k}`" for k in args if k != "cacheable")
        return f"sets {names} for this host (on the controller)"
    if action in ("meta", "include_tasks"):
        return None
    if action in ("include_role", "include_vars"):
        return f"{action}: handled by the controller when it runs"
    return f"runs the `{action}` module on each host"


def _task(task: Task, ctx: _Context) -> dict[str, Any]:
    own, upper = _conditions(task)
    notified = _notify(task, ctx)
    action = _action_says(task)
    says = [*([action] if action else []), *_when_says(task, own, upper), *_loop_says(task),
            *_async_says(task, ctx), *_retry_says(task), *_result_says(task), *_where_says(task),
            *_notify_says(notified), *_tags_says(task, ctx.options)]
    return {
        "kind": "task", "name": task.display_name, "action": task.action,
        "at": _where(task.pos), "role": task.role.name if task.role else None,
        "when": own, "when_inherited": upper, "tags": sorted(task.tags),
        "loop": None if task.loop is None else _text(task.loop.value),
        "register": task.register,
        "async": None if task.async_ is None else _text(task.async_.value),
        "poll": None if task.poll is None else _text(task.poll.value),
        "notify": notified, "runs": selected(task.tags, ctx.options), "says": says,
    }


def _block_when(block: Block, depth: int) -> list[Expr]:
    """The block's own `when`: what all its tasks inherit beyond the `depth` above it."""
    inherited = [_inherited(t) for t in iter_tasks((block,))]
    if not inherited:
        return []
    common = list(inherited[0])
    for other in inherited[1:]:
        size = next((i for i, (a, b) in enumerate(zip(common, other, strict=False))
                     if a != b), min(len(common), len(other)))
        common = common[:size]
    return common[depth:]


def _block(block: Block, ctx: _Context, depth: int) -> dict[str, Any]:
    when = _block_when(block, depth)
    inner = depth + len(when)
    says = ["runs its tasks in order"]
    if when:
        says.append(f"its condition {' and '.join(f'`{_text(e.value)}`' for e in when)} is "
                    "not checked once: it is copied onto every task inside and checked again "
                    "for each one")
    if block.rescue:
        says.append("if a task in it fails, `rescue` runs and the failure counts as rescued")
    if block.always:
        says.append("`always` runs afterwards whatever happened")
    return {"kind": "block", "name": block.name, "at": _where(block.pos),
            "when": [_text(e.value) for e in when], "says": says,
            "block": _nodes(block.block, ctx, inner),
            "rescue": _nodes(block.rescue, ctx, inner),
            "always": _nodes(block.always, ctx, inner)}


def _nodes(nodes: Sequence[Node], ctx: _Context, depth: int = 0) -> list[dict[str, Any]]:
    return [_task(n, ctx) if isinstance(n, Task) else _block(n, ctx, depth)
            for n in nodes]


def _handlers(play: Play) -> list[dict[str, Any]]:
    tasks = iter_tasks(play.pre_tasks + play.role_tasks + play.tasks + play.post_tasks)
    return [{"name": h.display_name, "action": h.action, "listen": list(h.listen),
             "at": _where(h.pos),
             "notified_by": [t.display_name for t in tasks
                             if any(h.name == n or n in h.listen for n in t.notify)]}
            for h in play.handlers]


def _play(play: Play, inventory: Inventory, ctx: _Context) -> dict[str, Any]:
    main = "roles + tasks" if play.role_tasks else "tasks"
    parts = (("pre_tasks", play.pre_tasks), (main, play.role_tasks + play.tasks),
             ("post_tasks", play.post_tasks))
    sections = [{"name": name, "steps": _nodes(nodes, ctx), "then": _FLUSH}
                for name, nodes in parts if nodes]
    return {"name": play.display_name, "at": _where(play.pos),
            "targets": _targets(play, inventory, ctx), "facts": _facts(play, ctx),
            "roles": [r.name for r in play.roles], "sections": sections,
            "handlers": _handlers(play)}


def explain(playbook: Playbook, inventory: Inventory, options: RunOptions) -> dict[str, Any]:
    """The plan of `playbook` on `inventory` under `options`, as plain data."""
    templar = Templar()
    plays = [_play(p, inventory, _Context(options, p.handlers, templar))
             for p in playbook.plays]
    return {"playbook": playbook.path, "plays": plays}


def _render_steps(steps: list[dict[str, Any]], indent: str, lines: list[str]) -> None:
    for number, step in enumerate(steps, start=1):
        if step["kind"] == "task":
            role = f"{step['role']} : " if step["role"] else ""
            lines.append(f"{indent}{number}. {role}{step['name']} [{step['action']}] "
                         f"({step['at']})")
        else:
            name = f" '{step['name']}'" if step["name"] else ""
            lines.append(f"{indent}{number}. block{name} ({step['at']})")
        lines += [f"{indent}   - {say}" for say in step["says"]]
        for part in ("block", "rescue", "always"):
            if step["kind"] == "block" and step[part]:
                lines.append(f"{indent}   {part}:")
                _render_steps(step[part], indent + "     ", lines)


def render(plan: dict[str, Any]) -> str:
    """The plan as text, one play after another."""
    lines = [f"Playbook {plan['playbook']}: {len(plan['plays'])} play(s)."]
    for number, play in enumerate(plan["plays"], start=1):
        lines += ["", f"PLAY {number}: {play['name']} ({play['at']})"]
        lines += [f"  - {say}" for say in play["targets"]["says"]]
        lines += [f"  - warning: {w}" for w in play["targets"].get("warnings", [])]
        lines.append(f"  - {play['facts']['says']}")
        for section in play["sections"]:
            lines += ["", f"  {section['name']}:"]
            _render_steps(section["steps"], "    ", lines)
            lines.append(f"    then: {section['then']}")
        if play["handlers"]:
            lines += ["", "  handlers (run only when notified, at the end of each section "
                          "or at `meta: flush_handlers`):"]
            for handler in play["handlers"]:
                listen = f", listens to {', '.join(handler['listen'])}" if handler["listen"] else ""
                by = ", ".join(f"'{n}'" for n in handler["notified_by"]) or "no task"
                lines.append(f"    - {handler['name']} [{handler['action']}]{listen}: "
                             f"notified by {by}")
    return "\n".join(lines) + "\n"
