"""Turning raw results into Ansible's result shapes and statuses.

Takes: result dicts from actions and modules. Gives: normalised results (the defaults
ansible-core adds), loop aggregates, skip results, and the `TaskStatus` of a result.
Raises: nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from miniplay.errors import Position
from miniplay.results import TaskStatus

UNKNOWN_ERROR = "Task failed: Action failed: Unknown error."
# Where and how a task failed, for the `[ERROR]: Task failed` block the default output
# prints (output/origin.py reads the same keys); registers and outputs drop them.
ERROR_KIND = "_ansible_error_kind"  # "module": a module reported it; "task": raised
TASK_AT = "_ansible_task_at"
ERROR_AT = "_ansible_error_at"  # where a raised error sits
ERROR_DETAIL = "_ansible_error_detail"  # what is wrong there, when it says more than msg
ERROR_SUMMARY = "_ansible_error_summary"  # the [ERROR] line, when not made from msg
KEPT_INTERNAL = frozenset({"_ansible_no_log", "_ansible_verbose_always", "_ansible_delegated_vars",
                           ERROR_KIND, TASK_AT, ERROR_AT, ERROR_DETAIL, ERROR_SUMMARY})


def delegated_to(result: dict[str, Any]) -> str | None:
    """The host a delegated result ran on, or None."""
    found = result.get("_ansible_delegated_vars")
    return str(found.get("ansible_delegated_host")) if isinstance(found, dict) else None


def normalise(result: dict[str, Any]) -> dict[str, Any]:
    """Add `failed` (from `rc`) and `changed` when missing, strip internals. (`*_lines`
    are added to module results only, by `runner.run_module`, as ansible-core does.)"""
    result = {k: v for k, v in result.items() if not str(k).startswith("_ansible_")
              or k in KEPT_INTERNAL}
    if "failed" not in result:
        rc = result.get("rc", 0)
        result["failed"] = rc not in (0, "0", None)
    if "changed" not in result:
        result["changed"] = False
    if result.get("failed") and "msg" not in result:
        result["msg"] = UNKNOWN_ERROR
    return result


def status_of(result: dict[str, Any]) -> TaskStatus:
    """How the recap counts `result`."""
    if result.get("unreachable"):
        return TaskStatus.UNREACHABLE
    if _failed(result):
        return TaskStatus.FAILED
    if result.get("skipped"):
        return TaskStatus.SKIPPED
    if result.get("changed"):
        return TaskStatus.CHANGED
    return TaskStatus.OK


def _failed(result: dict[str, Any]) -> bool:
    """ansible-core's verdict: a `failed_when_result` (of the result, or of any loop
    item) decides over `failed`, so a failed_when that held false keeps a task whose
    retries ran out from failing."""
    items = result.get("results")
    looped = isinstance(items, list) and any(
        isinstance(item, dict) and "failed_when_result" in item for item in items)
    if "failed_when_result" in result or looped:
        if looped and isinstance(items, list):
            return any(isinstance(item, dict) and bool(item.get("failed_when_result"))
                       for item in items)
        return bool(result["failed_when_result"])
    return bool(result.get("failed"))


def skipped(condition: Any) -> dict[str, Any]:
    """A `when` that did not hold (ansible-core's exact keys)."""
    return {
        "changed": False,
        "false_condition": condition,
        "skip_reason": "Conditional result was False",
        "skipped": True,
    }


def failed(message: str, **extra: Any) -> dict[str, Any]:
    """A failure raised by miniplay itself (templating, a missing module...)."""
    return {"failed": True, "msg": message, "changed": False, **extra}


def raised(message: str, pos: Position | None, *, with_changed: bool = True) -> dict[str, Any]:
    """A failure raised while preparing the task (templating, a condition): Ansible
    reports the error itself, where it sits (`pos`). `with_changed=False` leaves out
    `changed`, for the results ansible-core gives none."""
    result: dict[str, Any] = {"failed": True, "msg": message, ERROR_KIND: "task"}
    if with_changed:
        result["changed"] = False
    if pos is not None:
        result[ERROR_AT] = at(pos)
    return result


def at(pos: Position) -> str:
    """`file:line:col` with the file made absolute, as ansible-core's Origin shows it."""
    return f"{Path(pos.file).resolve()}:{pos.line}:{pos.column}"


def aggregate(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The registered value of a loop: its items under `results` (Ansible's shape)."""
    if not results:
        return {"changed": False, "results": [], "skipped": True,
                "skipped_reason": "No items in the list"}
    if all(item.get("skipped") for item in results):
        return {"changed": False, "msg": "All items skipped", "results": results,
                "skipped": True}
    combined: dict[str, Any] = {
        "changed": any(item.get("changed") for item in results),
        "msg": "All items completed",
        "results": results,
        "skipped": False,
    }
    if any(item.get("failed") for item in results):
        combined["failed"] = True
        combined["msg"] = "One or more items failed"
    return combined
