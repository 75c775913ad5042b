"""Turning raw results into Ansible's result shapes and statuses.

Takes: result dicts from actions and modules. Gives: normalised results (the defaults
ansible-core adds), loop aggregates, skip results, and the `TaskStatus` of a result.
Raises: nothing.
"""

from __future__ import annotations

from typing import Any

from miniplay.results import TaskStatus

UNKNOWN_ERROR = "Task failed: Action failed: Unknown error."
KEPT_INTERNAL = frozenset({"_ansible_no_log", "_ansible_verbose_always", "_ansible_delegated_vars"})


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
    if result.get("failed"):
        return TaskStatus.FAILED
    if result.get("skipped"):
        return TaskStatus.SKIPPED
    if result.get("changed"):
        return TaskStatus.CHANGED
    return TaskStatus.OK


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
