"""`assert`: check expressions on the controller; fail at the first false one."""

from __future__ import annotations

from typing import Any

from miniplay.actions.base import ActionCall


async def assert_(call: ActionCall) -> dict[str, Any]:
    """`that` (str or list), `fail_msg` (alias `msg`), `success_msg`, `quiet`."""
    that = call.raw_args.get("that")
    if that is None:
        return {"failed": True, "changed": False,
                "msg": "missing required arguments: that" if "that" not in call.raw_args
                else "Task failed: Empty conditional expressions are not allowed."}
    # `that: "{{ checks }}"` naming a list checks each of its items
    conditions = call.templar.assertions(that, call.scope, call.task.where("args"))
    quiet = bool(call.args.get("quiet", False))
    # not quiet: the result is shown in full, passed or failed (as ansible-core's action)
    shown = {} if quiet else {"_ansible_verbose_always": True}
    for condition in conditions:
        if not call.templar.condition(condition, call.scope, call.task.where("args")):
            message = call.args.get("fail_msg", call.args.get("msg", "Assertion failed"))
            return {"failed": True, "changed": False, "assertion": condition,
                    "evaluated_to": False, "msg": message, **shown}
    return {"changed": False, "msg": call.args.get("success_msg", "All assertions passed"),
            **shown}
