"""Loop items: `loop`, `with_items`, `with_dict`, `with_list` and friends.

Takes: a task's loop expression, already templated. Gives: the list of items and each
item's loop variables (`item`, `ansible_loop_var`, `index_var`, `ansible_loop`).
Raises: `TemplateError` when the loop value is not a list (as Ansible does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from miniplay.errors import Position, TemplateError


def _flatten_once(value: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in value:
        if isinstance(item, list):
            flat.extend(item)
        else:
            flat.append(item)
    return flat


def items_of(kind: str, value: Any, pos: Position) -> list[Any]:
    """The items a loop keyword yields for `value`."""
    if kind == "with_dict":
        if not isinstance(value, Mapping):
            raise TemplateError("with_dict expects a dict", pos)
        return [{"key": k, "value": v} for k, v in value.items()]
    if isinstance(value, str) and kind.startswith("with_"):
        value = [value]
    if value is None and kind.startswith("with_"):
        return []
    if not isinstance(value, list):
        raise TemplateError(
            f"Invalid data passed to 'loop', it requires a list, got this instead: {value!r}.",
            pos, "Hint: If you passed a list/dict of just one element, try adding wantlist=True "
                 "to your lookup invocation or use q/query instead of lookup.",
        )
    if kind in ("with_items", "with_flattened"):
        return _flatten_once(value)
    if kind == "with_indexed_items":
        return [[index, item] for index, item in enumerate(_flatten_once(value))]
    if kind in ("loop", "with_list", "with_sequence", "with_fileglob", "with_lines"):
        return list(value)
    if kind == "with_together":
        return [list(group) for group in zip(*value, strict=False)]
    return list(value)


def loop_vars(control: Mapping[str, Any], item: Any, index: int,
              items: list[Any]) -> dict[str, Any]:
    """The variables one iteration sees."""
    loop_var = str(control.get("loop_var") or "item")
    found: dict[str, Any] = {loop_var: item, "ansible_loop_var": loop_var}
    index_var = control.get("index_var")
    if index_var:
        found[str(index_var)] = index
        found["ansible_index_var"] = str(index_var)
    if control.get("extended"):
        length = len(items)
        found["ansible_loop"] = {
            "allitems": items, "index": index + 1, "index0": index,
            "revindex": length - index, "revindex0": length - index - 1,
            "first": index == 0, "last": index == length - 1, "length": length,
            "previtem": items[index - 1] if index > 0 else None,
            "nextitem": items[index + 1] if index + 1 < length else None,
        }
    return found
