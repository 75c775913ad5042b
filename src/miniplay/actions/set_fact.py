"""`set_fact`: set host variables at the set_fact/register precedence level."""

from __future__ import annotations

from typing import Any

from miniplay.actions.base import ActionCall
from miniplay.executor.outcome import ERROR_KIND

# Names Jinja gives a meaning of its own: a variable so named could never be read.
JINJA_KEYWORDS = frozenset({"true", "false", "none", "True", "False", "None", "not"})


def valid_name(name: object) -> bool:
    """A name a variable can have: an ASCII identifier that is not a Jinja keyword."""
    return (isinstance(name, str) and name.isidentifier() and name.isascii()
            and name not in JINJA_KEYWORDS)


def _shown(name: object) -> str:
    """How ansible-core names a bad key in its message."""
    if isinstance(name, str | int | float | bool | type(None)):
        text = f"name {str(name)!r}"
        return text if isinstance(name, str) else f"{text} of type {type(name).__name__!r}"
    return f"name of type {type(name).__name__!r}"


async def set_fact(call: ActionCall) -> dict[str, Any]:
    """Each argument (but `cacheable`) becomes a host variable; `k=v` gives strings. A
    key (templated ones too) that cannot be a variable name fails the task, nothing set."""
    facts = {k: v for k, v in call.args.items() if k != "cacheable"}
    if not facts:
        return {"failed": True, "changed": False,
                "msg": "No key/value pairs provided, at least one is required for this action "
                       "to succeed"}
    for name in facts:
        if not valid_name(name):
            return {"failed": True, "changed": False, ERROR_KIND: "task",
                    "msg": f"Task failed: Invalid variable {_shown(name)}."}
    call.state.vars.update(facts)
    return {"ansible_facts": facts, "changed": False}
