"""`debug`: print a message or a variable (controller-side, never touches a host)."""

from __future__ import annotations

from typing import Any

from miniplay.actions.base import ActionCall
from miniplay.errors import MiniplayError


async def debug(call: ActionCall) -> dict[str, Any]:
    """`msg` (any type, default "Hello world!") xor `var` (an expression); `verbosity`."""
    threshold = int(call.args.get("verbosity", 0) or 0)
    if call.options.verbosity < threshold:
        return {"skipped": True, "skipped_reason": "Verbosity threshold not met.",
                "changed": False}
    if "var" in call.raw_args:
        expression = call.raw_args["var"]
        name = str(expression)
        try:
            value = call.templar.evaluate(expression, call.scope, call.task.where("var"))
        except MiniplayError as exc:
            value = f"<< error 1 - {exc.message} >>"
        return {name: value, "changed": False, "failed": False,
                "_ansible_verbose_always": True}
    message = call.args.get("msg", "Hello world!")
    return {"msg": message, "changed": False, "failed": False,
            "_ansible_verbose_always": True}
