"""Loop items: `loop`, and `with_<lookup>` as ansible-core 2.19 runs it.

Takes: a task with a loop, the templar and the task's variables. Gives: the list of
items (`loop_items`), each item's loop variables (`loop_vars`: `item`,
`ansible_loop_var`, `index_var`, `ansible_loop`) and `break_when`'s conditions.
Raises: `TemplateError` when a `loop` value is not a list, or when the lookup of a
`with_<lookup>` fails.

`with_X: terms` means `loop: "{{ query('X', *terms) }}"`: text terms are templated first
(a text that is not a list becomes the only term), a list's entries are templated each,
and the lookup decides what the items are (`with_items` flattens one level,
`with_sequence` reads `start=1 end=3`, `with_nested` crosses its lists...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from miniplay.errors import Position, TemplateError
from miniplay.model import Task
from miniplay.plugins.lookups import LookupCall, run_lookup
from miniplay.plugins.lookups_vars import Missing
from miniplay.templating import Templar, UndefinedVariable


def _with_terms(task: Task, templar: Templar, variables: Mapping[str, Any]) -> list[Any]:
    assert task.loop is not None
    raw = task.loop.value
    if isinstance(raw, str):
        raw = raw.strip()
    if task.loop_kind == "with_first_found" and isinstance(raw, (list, dict)):
        terms = _defined(raw, templar, variables, task.loop.pos)
    else:
        terms = templar.render(raw, variables, task.loop.pos)
    return terms if isinstance(terms, list) else [terms]


def _defined(raw: Any, templar: Templar, variables: Mapping[str, Any], pos: Position) -> Any:
    """`raw` rendered with every entry that is undefined left out (ansible-core's
    with_first_found drops undefined candidates and tries the next)."""
    if isinstance(raw, list):
        kept = []
        for entry in raw:
            try:
                kept.append(_defined(entry, templar, variables, pos))
            except UndefinedVariable:
                continue
        return kept
    if isinstance(raw, dict):
        found = {}
        for key, entry in raw.items():
            try:
                found[key] = _defined(entry, templar, variables, pos)
            except UndefinedVariable:
                continue
        return found
    return templar.render(raw, variables, pos)


def loop_items(task: Task, templar: Templar, variables: Mapping[str, Any]) -> list[Any]:
    """The items `task`'s loop iterates, in order."""
    assert task.loop is not None
    pos = task.loop.pos
    if task.loop_kind == "loop":
        value = templar.render(task.loop.value, variables, pos)
        return _checked_list(value, pos)
    name = task.loop_kind.removeprefix("with_")
    terms = _with_terms(task, templar, variables)
    base = variables.get("playbook_dir") if "playbook_dir" in variables else None
    call = LookupCall(str(base or "."), variables, templar, invoked_as_with=True,
                      action=task.action)
    try:
        items = run_lookup(name, terms, {}, call)
    except TemplateError as exc:
        raise type(exc)(exc.message, exc.pos or pos, exc.hint) from None
    for item in items:
        if isinstance(item, Missing):
            raise TemplateError(item.message, pos)
    return items


def _checked_list(value: Any, pos: Position) -> list[Any]:
    if not isinstance(value, list):
        raise TemplateError(
            f"Invalid data passed to 'loop', it requires a list, got this instead: {value!r}.",
            pos, "Hint: If you passed a list/dict of just one element, try adding wantlist=True "
                 "to your lookup invocation or use q/query instead of lookup.",
        )
    return value


def control_names(task: Task, templar: Templar, variables: Mapping[str, Any]) -> dict[str, Any]:
    """`loop_control` with a templated `loop_var`/`index_var` rendered first, as
    ansible-core renders them before the loop (for included tasks too)."""
    control = dict(task.loop_control)
    for key in ("loop_var", "index_var"):
        if templar.is_template(control.get(key)):
            control[key] = str(templar.render(control[key], variables, task.pos))
    return control


def loop_vars(control: Mapping[str, Any], item: Any, index: int,
              items: list[Any]) -> dict[str, Any]:
    """The variables one iteration sees; `extended_allitems: false` leaves
    `ansible_loop.allitems` out (large loops), as in ansible-core."""
    loop_var = str(control.get("loop_var") or "item")
    found: dict[str, Any] = {loop_var: item, "ansible_loop_var": loop_var}
    index_var = control.get("index_var")
    if index_var:
        found[str(index_var)] = index
        found["ansible_index_var"] = str(index_var)
    if control.get("extended"):
        length = len(items)
        extended: dict[str, Any] = {
            "index": index + 1, "index0": index, "first": index == 0,
            "last": index + 1 == length, "length": length,
            "revindex": length - index, "revindex0": length - index - 1,
        }
        if _truthy(control.get("extended_allitems", True)):
            extended["allitems"] = items
        # absent, not null, at either end (as ansible-core sets them)
        if index + 1 < length:
            extended["nextitem"] = items[index + 1]
        if index > 0:
            extended["previtem"] = items[index - 1]
        found["ansible_loop"] = extended
    return found


def break_conditions(control: Mapping[str, Any]) -> list[Any]:
    """`loop_control.break_when` as a list of conditions (one text is one condition)."""
    conditions = control.get("break_when")
    if conditions is None:
        return []
    return list(conditions) if isinstance(conditions, list) else [conditions]


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)
