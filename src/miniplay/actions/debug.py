"""`debug`: print a message or a variable (controller-side, never touches a host).

Takes: an `ActionCall` with `msg` xor `var`, and `verbosity`. Gives: the debug result.
Raises: nothing; a `var` expression that fails for any reason other than an undefined
value is a failed result ("Task failed: Error while resolving `var` expression: ...",
as ansible-core 2.19 words it).
"""

from __future__ import annotations

from typing import Any

from miniplay.actions.base import ActionCall
from miniplay.errors import MiniplayError
from miniplay.templating import UndefinedVariable


async def debug(call: ActionCall) -> dict[str, Any]:
    """`msg` (any type, default "Hello world!") xor `var` (an expression); `verbosity`.

    An undefined value in `var` becomes a ``<< error 1 - ... >>`` placeholder and the
    task is ok, as Ansible replaces only undefined markers there; a recursive variable,
    a failing filter or a syntax error fails the task."""
    threshold = int(call.args.get("verbosity", 0) or 0)
    if call.options.verbosity < threshold:
        return {"skipped": True, "skipped_reason": "Verbosity threshold not met.",
                "changed": False}
    if "var" in call.raw_args:
        pos = call.task.where("var")
        expression = call.raw_args["var"]
        extra: dict[str, Any] = {}
        try:
            value = call.templar.evaluate(expression, call.scope, pos)
        except UndefinedVariable as exc:
            value = f"<< error 1 - {exc.message} >>"
            extra["warnings"] = [f"Encountered 1 template error.\nerror 1 - {exc.message}"]
        except MiniplayError as exc:
            return {"failed": True, "changed": False,
                    "msg": f"Task failed: Error while resolving `var` expression: "
                           f"{exc.message}"}
        return {str(expression): value, "changed": False, "failed": False,
                "_ansible_verbose_always": True, **extra}
    message = call.args.get("msg", "Hello world!")
    return {"msg": message, "changed": False, "failed": False,
            "_ansible_verbose_always": True}
