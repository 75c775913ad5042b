"""ansible-core 2.19's trust rule for expressions, the parts that need no Jinja.

Takes: text (is it a template around an expression?) and variable values (which objects
can a template hand back untouched?). Gives: `is_possibly_all_template`, `reachable`,
and `untrusted(pos)`, the error for an expression from untrusted data. Raises: nothing.

Why: in 2.19 an expression (a condition, `debug: var=`) must come from a trusted source
such as the playbook; text a module returned, an `!unsafe` value, or a string a template
built is refused with "Encountered untrusted template or expression." A value passed
through a template untouched (`that: "{{ item }}"`) keeps its trust. miniplay marks
untrusted text as `UnsafeText`; `reachable` tells a passed-through value from a new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from miniplay.errors import Position, TemplateError

UNTRUSTED = "Encountered untrusted template or expression."
UNTRUSTED_HINT = ("templates and expressions must come from trusted sources such as "
                  "playbooks or roles, not from module results, !unsafe values or "
                  "template output")
REACH_LIMIT = 10_000


class UntrustedFailure(TemplateError):
    """An expression from untrusted data (conditions report it without a prefix)."""


def untrusted(pos: Position | None) -> UntrustedFailure:
    """The error for an untrusted expression at `pos`, in ansible-core's words."""
    return UntrustedFailure(UNTRUSTED, pos, UNTRUSTED_HINT)


def is_possibly_all_template(text: str) -> bool:
    """Starts with a Jinja opening delimiter and ends with a closing one (any of each),
    or starts with a ``#jinja2:`` header: a value ansible-core renders before using it
    as an expression, whether or not the middle is one template."""
    if text.startswith("#jinja2:"):
        return True
    return text.startswith(("{{", "{%", "{#")) and text.endswith(("}}", "%}", "#}"))


def reachable(values: Iterable[Any], limit: int = REACH_LIMIT) -> set[int]:
    """Ids of the strings, lists and dicts inside `values` (plain containers only, at most
    `limit` of them): what a template can hand back untouched from its variables."""
    found: set[int] = set()
    stack = list(values)
    while stack and len(found) < limit:
        item = stack.pop()
        if isinstance(item, (str, list, dict)) and id(item) not in found:
            found.add(id(item))
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return found
