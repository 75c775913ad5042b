"""`set_fact`: set host variables at the set_fact/register precedence level."""

from __future__ import annotations

from typing import Any

from miniplay.actions.base import ActionCall


async def set_fact(call: ActionCall) -> dict[str, Any]:
    """Each argument (but `cacheable`) becomes a host variable; `k=v` gives strings."""
    facts = {k: v for k, v in call.args.items() if k != "cacheable"}
    if not facts:
        return {"failed": True, "changed": False,
                "msg": "No key/value pairs provided, at least one is required for this action "
                       "to succeed"}
    call.state.vars.update(facts)
    return {"ansible_facts": facts, "changed": False}
