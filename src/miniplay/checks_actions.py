"""Which key of a task is its action, and what arguments it gets.

Takes: a task mapping, the keywords its kind allows and the module names known here.
Gives: an `Action` (module short name, arguments split by `keywords.parse_args`, the
mapping they sit in for positions) plus diagnostics: `unknown-keyword` (a key close to
a keyword: `regsiter`), `multiple-actions` (Ansible's "conflicting action statements"),
`no-action`, `module-args` (free-form text a module does not take). Raises: nothing.

Why guess keyword vs module: Ansible reads every unknown key as a second action, so a
typo in `register` says "conflicting action statements: debug, regsiter". Pointing at
the typo with the keyword it resembles is the fix the user needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from miniplay.errors import PlaybookError, Position
from miniplay.keywords import action_candidates, short_name
from miniplay.loader import YamlMap
from miniplay.parser_args import VARIABLE_PARAMS, explicit_action, is_template, task_args
from miniplay.schema import Diagnostic, did_you_mean, error

EXPLICIT = ("action", "local_action")


@dataclass(frozen=True, slots=True)
class Action:
    """A task's action: the module and its arguments, with their places."""

    key: str
    module: str
    args: Mapping[str, Any]
    source: Any
    pos: Position
    dynamic: bool = False


def find_action(task: YamlMap, keywords: frozenset[str],
                modules: frozenset[str]) -> tuple[Action | None, list[Diagnostic]]:
    """The task's one action and the diagnostics found on the way."""
    found: list[Diagnostic] = []
    actions: list[str] = []
    candidates = set(action_candidates(task, keywords))
    alone = len(candidates) + sum(1 for key in EXPLICIT if key in task) == 1
    for key in task:
        if key in EXPLICIT:
            actions.append(key)
        elif key in candidates and not alone and _misspelt(key, keywords, modules):
            found.append(error("unknown-keyword", f"unknown task keyword `{key}`",
                               task.key_pos.get(key), did_you_mean(key, keywords)))
        elif key in candidates:
            actions.append(key)
    if not actions:
        if not found:
            found.append(error("no-action", "no module/action detected in task", task.pos,
                               "add a module, for example `debug:` or `command: ...`"))
        return None, found
    if len(actions) > 1:
        found.append(_conflict(task, actions, modules))
    action, problem = _build(task, actions[0], modules)
    return action, found + problem


def _misspelt(key: str, keywords: frozenset[str], modules: frozenset[str]) -> bool:
    """A key close to a keyword, in a task that has another action: a misspelt keyword.
    (The only candidate of a task is its action: `seport:` is a module, not `port`.)"""
    name = short_name(key)
    if name in modules:
        return False
    return did_you_mean(key, keywords, 0.8) is not None and \
        did_you_mean(name, modules, 0.8) is None


def _conflict(task: YamlMap, actions: list[str], modules: frozenset[str]) -> Diagnostic:
    second = actions[1]
    unknown = [key for key in actions if short_name(key) not in modules and key not in EXPLICIT]
    if unknown:
        hint = f"`{unknown[0]}` is neither a task keyword nor a known module"
        close = did_you_mean(short_name(unknown[0]), modules)
        hint += f"; {close}" if close else ""
    else:
        hint = "a task runs one module: split it into two tasks"
    return error("multiple-actions", f"conflicting action statements: {', '.join(actions)}",
                 task.key_pos.get(second), hint)


def _build(task: YamlMap, key: str,
           modules: frozenset[str]) -> tuple[Action | None, list[Diagnostic]]:
    pos = task.pos_of(key)
    module, value = short_name(key), task[key]
    if key in EXPLICIT:
        module, value = _explicit(value)
        if not module:
            return None, [error("no-action", f"`{key}` does not name a module", pos,
                                f"write `{key}: MODULE key=value ...`")]
    if module not in modules or is_template(module):
        return Action(key, module, {}, None, pos, dynamic=True), []
    try:
        args = task_args(module, value, pos)
    except PlaybookError as exc:
        return None, [error("module-args", exc.message, exc.pos or pos, exc.hint)]
    source = value if isinstance(value, YamlMap) else None
    extra = task.get("args")
    if isinstance(extra, str) or VARIABLE_PARAMS in args or any(
            is_template(name) for name in args):
        return Action(key, module, args, source, pos, dynamic=True), []
    if isinstance(extra, YamlMap):
        source = _merged(extra, source)
        args = {**extra, **args}
    return Action(key, module, args, source, pos), []


def _explicit(value: Any) -> tuple[str, Any]:
    """`action: command echo hi` → ("command", "echo hi"); mapping → its `module`."""
    if isinstance(value, str):
        try:
            return explicit_action(value)
        except PlaybookError:
            name, _, text = value.strip().partition(" ")
            return short_name(name), text.strip() or None
    if isinstance(value, YamlMap) and isinstance(value.get("module"), str):
        rest: YamlMap = YamlMap(value.pos)
        nested = value.get("args")  # `action: {module: x, args: {...}}`: merged, as Ansible
        for part in (nested if isinstance(nested, YamlMap) else None, value):
            for item_key, item in (part or {}).items():
                if item_key in ("module", "args") and part is value and (
                        item_key == "module" or isinstance(nested, YamlMap)):
                    continue
                rest[item_key] = item
                rest.key_pos[item_key] = part.key_pos[item_key]  # type: ignore[union-attr]
                rest.value_pos[item_key] = part.value_pos[item_key]  # type: ignore[union-attr]
        return short_name(value["module"]), rest
    return "", None


def _merged(extra: YamlMap, source: YamlMap | None) -> YamlMap:
    merged = YamlMap(extra.pos)
    for part in (extra, source):
        if part is None:
            continue
        for item_key, item in part.items():
            merged[item_key] = item
            merged.key_pos[item_key] = part.key_pos[item_key]
            merged.value_pos[item_key] = part.value_pos[item_key]
    return merged
