"""What the model does not keep of a task or play, read again from its file.

Takes: a position (of a task or play mapping) and, for an argument, its name. Gives:
the mapping written there, or the position of an argument's value; None when it cannot
be told (free-form text, an argument from `args:`, an unreadable file). Raises: nothing.

The model keeps the positions of a task's keywords, not of its arguments, nor the play's
`environment` (parsed onto each task); these are asked for rarely (an argument that
fails to template; a play's fact gathering), so the file is read again then.
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


def mapping_at(pos: Position) -> YamlMap | None:
    """The mapping (a task, a play) written at `pos`, read again from its file."""
    try:
        document = load_file(pos.file)
    except MiniplayError:
        return None
    return _find_task(document.data, pos)


def arg_position(task_pos: Position, action_pos: Position, name: str) -> Position | None:
    """Position of argument `name`'s value in the task written at `task_pos`, whose
    action key sits at `action_pos`."""
    task = mapping_at(task_pos)
    if task is None:
        return None
    for key, value in task.items():
        if task.key_pos.get(key) == action_pos and isinstance(value, YamlMap):
            return value.value_pos.get(name) if name in value else None
    return None
