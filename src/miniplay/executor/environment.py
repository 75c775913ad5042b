"""The `environment:` a task's module runs with, merged as ansible-core 2.19 merges it.

Takes: the task's `environment` values (play, then blocks, then the task: each a
mapping, a list of mappings, or a template) and the host's scope. Gives: one
``{name: text}`` mapping and the warnings to show. Raises: `TemplateError` from a value
that does not template.

Each level may be a list: its items merge in order, later names win. A mapping item has
each value templated, and a value that templates to `omit` is left out (so is one using
`ansible_env` before facts are gathered, as Ansible's special case); any other item
is templated whole and must give a mapping, else it is skipped with Ansible's warning
(`could not parse environment value, skipping: ...`) rather than failing the task.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from miniplay.model import Expr
from miniplay.templating import OMIT, Templar, UndefinedVariable


def merged_environment(levels: tuple[Expr, ...], templar: Templar,
                       scope: Mapping[str, Any],
                       warn: Callable[[str], None]) -> dict[str, str]:
    """The environment of a task whose `environment` values are `levels`, outermost first."""
    merged: dict[str, Any] = {}
    written = [(item, expr.pos) for expr in levels
               for item in (expr.value if isinstance(expr.value, list) else [expr.value])]
    for item, pos in written:
        if isinstance(item, Mapping):
            for name, value in item.items():
                try:
                    rendered = templar.render(value, scope, pos)
                except UndefinedVariable as exc:
                    if "ansible_env" in exc.message or "ansible_facts.env" in exc.message:
                        continue  # facts not gathered yet: Ansible leaves the name out
                    raise
                if not _is_omit(rendered):
                    merged[str(name)] = rendered
            continue
        rendered = templar.render(item, scope, pos)
        if isinstance(rendered, Mapping):
            merged.update((str(k), v) for k, v in rendered.items())
        elif not _is_omit(rendered):
            shown = [item for item, _ in written]
            warn(f"could not parse environment value, skipping: {shown!r}")
    return {name: _text(value) for name, value in merged.items()}


def _is_omit(value: Any) -> bool:
    return isinstance(value, str) and value == OMIT


def _text(value: Any) -> str:
    """An environment value as the module sees it: Python's `str`, as Ansible passes it."""
    return value if isinstance(value, str) else str(value)
