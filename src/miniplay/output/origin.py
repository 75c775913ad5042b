"""The `[ERROR]: Task failed: ...` block ansible-core 2.19 prints before a failed result.

Takes: a failed result carrying the executor's internal error keys. Gives: the block's
lines: the summary, `Origin: file:line:col` of the task with its source lines and a
caret, and for an error positioned elsewhere in the task (an undefined variable in a
condition, say) a `<<< caused by >>>` part pointing there. Raises: nothing (a source
file that cannot be read gives the block without its source lines).

The summary follows ansible-core's wording: `Module failed: MSG` when a module reported
the failure, `Action failed: MSG` for a controller action or a `failed_when`, and the
error itself for a failure raised while preparing the task (templating, conditions).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

ERROR_KIND = "_ansible_error_kind"  # "module" or "task"; absent: an action's failure
TASK_AT = "_ansible_task_at"  # the failed task's file:line:col
ERROR_AT = "_ansible_error_at"  # where a "task" error sits, when it knows
ERROR_DETAIL = "_ansible_error_detail"  # what is wrong there, if more than `msg` says
ERROR_SUMMARY = "_ansible_error_summary"  # the summary line, when not made from `msg`
INTERNAL_KEYS = frozenset({ERROR_KIND, TASK_AT, ERROR_AT, ERROR_DETAIL, ERROR_SUMMARY})

_TASK_FAILED = "Task failed: "


def _summary(result: Mapping[str, Any]) -> str:
    if isinstance(given := result.get(ERROR_SUMMARY), str):
        return given
    text = str(result.get("msg", "Unknown error."))
    kind = result.get(ERROR_KIND)
    if text.startswith(_TASK_FAILED):  # already ansible-core's summary
        return text
    if kind == "task":
        return _TASK_FAILED + text
    word = "Module" if kind == "module" else "Action"
    return f"{_TASK_FAILED}{word} failed: {text}" if text else f"{_TASK_FAILED}{word} failed."


def _source(at: str) -> list[str]:
    """The origin's line with up to two lines before it, numbered, and a caret line."""
    file, _, rest = at.rpartition(":")
    file, _, line_text = file.rpartition(":")
    try:
        line, column = int(line_text), int(rest)
        lines = Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
    except (OSError, ValueError):
        return []
    if not 0 < line <= len(lines):
        return []
    width = len(str(line))
    shown = [f"{number:>{width}} {lines[number - 1]}"
             for number in range(max(1, line - 2), line + 1)]
    return ["", *shown, " " * (width + column) + f"^ column {column}"]


def error_block(result: Mapping[str, Any]) -> list[str]:
    """The lines printed before `fatal:`/`failed:` for `result` ([] when it has no task
    position, as for results miniplay did not produce from a task)."""
    task_at = result.get(TASK_AT)
    if not isinstance(task_at, str):
        return []
    summary = _summary(result)
    cause = result.get(ERROR_AT)
    if not isinstance(cause, str) or cause == task_at:
        return [f"[ERROR]: {summary}", f"Origin: {task_at}", *_source(task_at), ""]
    return [f"[ERROR]: {summary}", "", "Task failed.", f"Origin: {task_at}",
            *_source(task_at), "", "<<< caused by >>>", "",
            str(result.get(ERROR_DETAIL) or summary.removeprefix(_TASK_FAILED)),
            f"Origin: {cause}", *_source(cause), ""]
