"""`fail`: fail the host with a message."""

from __future__ import annotations

from typing import Any

from miniplay.actions.base import ActionCall


async def fail(call: ActionCall) -> dict[str, Any]:
    """Always fails; `msg` defaults to Ansible's text."""
    return {"failed": True, "changed": False,
            "msg": call.args.get("msg", "Failed as requested from task")}
