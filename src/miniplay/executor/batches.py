"""Host order and serial batches of a play.

Takes: the play's hosts, its `order` and its rendered `serial`. Gives: the hosts in
order and the batches they run in. Raises: `PlaybookError` for a `serial` or `order`
value Ansible would refuse.

`serial` is a number, a percentage (`"30%"`: int(30% of the hosts), at least 1) or a
list of them, whose last value repeats until every host has run.
"""

from __future__ import annotations

import random
from typing import Any

from miniplay.errors import PlaybookError, Position

ORDERS = ("inventory", "reverse_inventory", "sorted", "reverse_sorted", "shuffle")


def ordered(hosts: list[str], order: str, pos: Position | None = None) -> list[str]:
    """`hosts` in the play's `order`."""
    if order == "inventory":
        return list(hosts)
    if order == "reverse_inventory":
        return list(reversed(hosts))
    if order == "sorted":
        return sorted(hosts)
    if order == "reverse_sorted":
        return sorted(hosts, reverse=True)
    if order == "shuffle":
        shuffled = list(hosts)
        random.shuffle(shuffled)
        return shuffled
    raise PlaybookError(f"invalid order {order!r}", pos, f"use one of: {', '.join(ORDERS)}")


def _size(value: Any, total: int, pos: Position | None) -> int:
    text = str(value).strip()
    try:
        if text.endswith("%"):
            return max(1, int(float(text[:-1]) / 100.0 * total))
        size = int(text)
    except ValueError:
        raise PlaybookError(f"invalid serial value {value!r}", pos,
                            'serial takes a number, a percentage like "30%", or a list') from None
    return total if size <= 0 else size


def batches(hosts: list[str], serial: Any, pos: Position | None = None) -> list[list[str]]:
    """The serial batches of `hosts` (one batch of all when `serial` is unset)."""
    if serial is None or serial == [] or not hosts:
        return [list(hosts)]
    steps = serial if isinstance(serial, list) else [serial]
    found: list[list[str]] = []
    index = 0
    step = 0
    while index < len(hosts):
        size = _size(steps[min(step, len(steps) - 1)], len(hosts), pos)
        found.append(hosts[index:index + size])
        index += size
        step += 1
    return found
