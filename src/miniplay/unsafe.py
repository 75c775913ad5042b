"""Values that must never be templated.

Takes: any JSON-like value. Gives: the same value with every string wrapped as
`UnsafeText`. Raises: nothing.

Data that comes back from hosts (module results, facts, job status files) and YAML
marked `!unsafe` is text, never a template: a registered stdout containing
``{{ lookup('pipe', 'touch /tmp/pwned') }}`` must stay text forever, through `register`,
`set_fact`, `from_json` and string concatenation. Templating checks for this class.
"""

from __future__ import annotations

from typing import Any


class UnsafeText(str):
    """A string that the templating engine returns as-is and never renders."""

    __slots__ = ()
    __UNSAFE__ = True


def is_unsafe(value: object) -> bool:
    """True for text that must not be rendered."""
    return isinstance(value, UnsafeText)


_PLAIN_LEAVES = frozenset({int, float, bool, type(None)})


def mark_unsafe(value: Any) -> Any:
    """A deep copy of `value` with every string (keys too) turned into UnsafeText."""
    kind = type(value)  # exact types first: every host result goes through here
    if kind is str:
        return UnsafeText(value)
    if kind is dict:
        return {mark_unsafe(key): mark_unsafe(item) for key, item in value.items()}
    if kind is list:
        return [mark_unsafe(item) for item in value]
    if kind in _PLAIN_LEAVES:
        return value
    if isinstance(value, UnsafeText):
        return value
    if isinstance(value, str):
        return UnsafeText(value)
    if isinstance(value, dict):
        return {mark_unsafe(key): mark_unsafe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mark_unsafe(item) for item in value]
    return value
