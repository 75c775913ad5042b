"""Unified diffs of what a task changed, as `--diff` shows them.

Takes: a result's `diff` value (a mapping, or a list of them, with `before`/`after`
and optional `before_header`/`after_header`, or a `prepared` text). Gives: the text
ansible-core's default callback prints before the result line (coloured on a TTY).
Raises: nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from miniplay.output.colors import Color, paint


def _lines(value: Any) -> list[str]:
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return text.splitlines(keepends=True)


def _one(diff: Mapping[str, Any], color: bool) -> list[str]:
    if "prepared" in diff:
        return [str(diff["prepared"])]
    if "before" not in diff and "after" not in diff:
        return []
    before = str(diff.get("before_header", "before"))
    after = str(diff.get("after_header", "after"))
    out: list[str] = []
    for line in difflib.unified_diff(_lines(diff.get("before")), _lines(diff.get("after")),
                                     fromfile=before, tofile=after):
        text = line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
        kind = {"+": Color.OK, "-": Color.ERROR, "@": Color.SKIP}.get(line[:1])
        out.append(paint(text.rstrip("\n"), kind, color) + "\n")
    return ["".join(out)] if out else []


def render_diff(value: Any, color: bool = False) -> str:
    """The diff text for a result's `diff` value ("" when there is nothing to show)."""
    diffs = value if isinstance(value, list) else [value]
    parts: list[str] = []
    for diff in diffs:
        if isinstance(diff, Mapping):
            parts.extend(_one(diff, color))
    return "".join(parts)
