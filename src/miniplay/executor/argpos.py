"""Where a task argument's value is written, for an error in it.

Takes: a task and the name of one of its arguments. Gives: the position of that
argument's value in the task's file, or None when it cannot be told (free-form text,
an argument from `args:`, an unreadable file). Raises: nothing.

The model keeps the positions of a task's keywords, not of its arguments; this is asked
only when an argument fails to template, so the file is read again then, never on the
way of a task that works.
"""

from __future__ import annotations

from typing import Any

from miniplay.errors import MiniplayError, Position
from miniplay.loader import YamlMap, YamlSeq, load_file


def _find_task(node: Any, pos: Position) -> YamlMap | None:
    if isinstance(node, YamlMap):
        if node.pos == pos:
            return node
        children: Any = node.values()
    elif isinstance(node, YamlSeq):
        children = node
    else:
        return None
    for child in children:
        found = _find_task(child, pos)
        if found is not None:
            return found
    return None


def arg_position(task_pos: Position, action_pos: Position, name: str) -> Position | None:
    """Position of argument `name`'s value in the task written at `task_pos`, whose
    action key sits at `action_pos`."""
    try:
        document = load_file(task_pos.file)
    except MiniplayError:
        return None
    task = _find_task(document.data, task_pos)
    if task is None:
        return None
    for key, value in task.items():
        if task.key_pos.get(key) == action_pos and isinstance(value, YamlMap):
            return value.value_pos.get(name) if name in value else None
    return None
