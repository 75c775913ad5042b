"""Output formats: consumers of the event stream, plus the result views they share.

Takes: events (`miniplay.events`) carrying result dicts. Gives: `DefaultOutput`
(Ansible's default text), `JsonOutput` (the json-callback document), and the helpers
that turn a stored result into what Ansible shows: `callback_view` (what ansible-core
hands its callbacks) and `display_view` (what the text output dumps). Raises: nothing.

Why here: both formats must hide the same keys and censor `no_log` results the same
way, and neither may import the executor (outputs see only `events` and `results`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

CENSORED = (
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
)
DEBUG_ACTIONS = frozenset({"debug", "ansible.builtin.debug", "ansible.legacy.debug"})

# Keys a censored result keeps, and internal keys callbacks still receive.
_KEPT_WHEN_CENSORED = (
    "attempts",
    "changed",
    "retries",
    "_ansible_no_log",
    "exception",
    "warnings",
    "deprecations",
)
_KEPT_INTERNAL = frozenset(
    {
        "_ansible_verbose_always",
        "_ansible_item_label",
        "_ansible_no_log",
        "_ansible_verbose_override",
    }
)
# debug with `var`: only the variable is left; with `msg`: only these.
_DEBUG_HIDDEN = (
    "changed",
    "failed",
    "skipped",
    "invocation",
    "skip_reason",
    "ansible_loop_var",
    "ansible_index_var",
    "ansible_loop",
)
_DEBUG_ALLOWED = frozenset({"msg", "exception", "warnings", "deprecations"})


_IMMUTABLE_LEAVES = (str, int, float, type(None))  # bool is an int; str subclasses too


def strip_internal(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """A deep copy of `value` without `_ansible_*` keys (except those in `keep`)."""
    if isinstance(value, _IMMUTABLE_LEAVES):  # most of a result: no copy needed
        return value
    if isinstance(value, dict | Mapping):
        return {
            k: strip_internal(v, keep)
            for k, v in value.items()
            if not (isinstance(k, str) and k.startswith("_ansible_") and k not in keep)
        }
    if isinstance(value, list | tuple):
        return [strip_internal(v, keep) for v in value]
    return copy.deepcopy(value)


def censor(result: Mapping[str, Any]) -> dict[str, Any]:
    """The `no_log` replacement of a result: a few status keys and the notice."""
    kept = {k: result[k] for k in _KEPT_WHEN_CENSORED if k in result}
    kept["censored"] = CENSORED
    kept["_ansible_no_log"] = True
    return kept


def callback_view(
    result: Mapping[str, Any],
    action: str,
    no_log: bool,
    loop: bool = False,
) -> dict[str, Any]:
    """The result as ansible-core hands it to callbacks.

    The status flags `failed`/`skipped` are dropped (the event says them), `invocation`
    too for debug, internal keys other than the display hints are stripped, and a
    `no_log` result (or item) is censored, keeping the `results` list of a loop.
    """
    if no_log or result.get("_ansible_no_log"):
        view = censor(result)
        items = result.get("results")
        if loop and isinstance(items, list):
            view["results"] = [
                censor(i)
                if isinstance(i, Mapping) and (no_log or i.get("_ansible_no_log"))
                else strip_internal(i, _KEPT_INTERNAL)
                for i in items
            ]
        return view
    hidden = {"failed", "skipped"} | ({"invocation"} if action in DEBUG_ACTIONS else set())
    kept = {k: v for k, v in result.items() if k not in hidden}
    return dict(strip_internal(kept, _KEPT_INTERNAL))


def clean_debug(view: dict[str, Any], action: str) -> dict[str, Any]:
    """Leave only what debug meant to show (`msg`, or the variable); others unchanged."""
    if action not in DEBUG_ACTIONS:
        return view
    if "msg" in view:
        return {k: v for k, v in view.items() if k in _DEBUG_ALLOWED or k.startswith("_")}
    return {k: v for k, v in view.items() if k not in _DEBUG_HIDDEN}


def display_view(view: Mapping[str, Any], verbosity: int) -> dict[str, Any]:
    """What the text output dumps: no internal keys, no warnings or exception, and
    `invocation`/`diff` only from -vvv."""
    shown = dict(strip_internal(view))
    for key in ("exception", "warnings", "deprecations"):
        shown.pop(key, None)
    if verbosity < 3:
        shown.pop("invocation", None)
        shown.pop("diff", None)
    return shown


from miniplay.output.default import DefaultOutput  # noqa: E402
from miniplay.output.json_out import JsonOutput  # noqa: E402

__all__ = [
    "CENSORED",
    "DefaultOutput",
    "JsonOutput",
    "callback_view",
    "censor",
    "clean_debug",
    "display_view",
    "strip_internal",
]
