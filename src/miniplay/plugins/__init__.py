"""The Ansible filter, test and lookup set, as plain functions.

Takes: nothing. Gives: fresh name → function dicts that `Templar` installs into its own
Jinja environment (`plugin_filters`, `plugin_tests`) and the lookup globals
(`lookup_globals`). Raises: nothing here; each wrapped plugin turns its own failure into
`TemplateError("The filter plugin 'ansible.builtin.NAME' failed: ...")` as ansible-core
words it. Jinja's undefined errors pass through unchanged.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import jinja2
import jinja2.filters
import jinja2.tests

from miniplay.errors import TemplateError
from miniplay.plugins.filters import core_filters
from miniplay.plugins.filters_data import data_filters
from miniplay.plugins.filters_encode import NOT_BUILT, encode_filters
from miniplay.plugins.filters_math import math_filters
from miniplay.plugins.filters_paths import path_filters
from miniplay.plugins.lookups import lookup_globals
from miniplay.plugins.tests import plugin_tests as _raw_tests

__all__ = ["lookup_globals", "plugin_filters", "plugin_tests", "refusal"]

_PLUGIN_ERRORS = (TemplateError, TypeError, ValueError, KeyError, IndexError, re.error,
                  OverflowError, UnicodeError, OSError)


def _wrapped(kind: str, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def plugin(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except jinja2.UndefinedError:
            raise
        except _PLUGIN_ERRORS as exc:
            detail = exc.message if isinstance(exc, TemplateError) else str(exc)
            raise TemplateError(f"The {kind} plugin 'ansible.builtin.{name}' failed: {detail}",
                                hint=getattr(exc, "hint", None)) from None
    return plugin


def plugin_filters() -> dict[str, Callable[..., Any]]:
    """Every filter miniplay adds to (or replaces in) Jinja's built-in set."""
    table = {**core_filters(), **data_filters(), **math_filters(), **path_filters(),
             **encode_filters()}
    return {name: _wrapped("filter", name, function) for name, function in table.items()}


def plugin_tests() -> dict[str, Callable[..., bool]]:
    """Every test miniplay adds to Jinja's built-in set."""
    return {name: _wrapped("test", name, function) for name, function in _raw_tests().items()}


@functools.cache
def _known_names() -> tuple[frozenset[str], frozenset[str]]:
    ansible_filters, ansible_tests = set(plugin_filters()), set(plugin_tests())
    filters = ansible_filters | set(jinja2.filters.FILTERS)
    tests = ansible_tests | set(jinja2.tests.TESTS)

    def qualified(every: set[str], own: set[str]) -> frozenset[str]:
        return frozenset(every | {f"ansible.builtin.{name}" for name in every}
                         | {f"ansible.legacy.{name}" for name in own})
    return qualified(filters, ansible_filters), qualified(tests, ansible_tests)


def refusal(kind: str, name: str) -> str | None:
    """Why the filter or test (`kind`) called `name` cannot run in miniplay, or None when
    it can. Static checks call this so a playbook using one is refused before it runs."""
    filters, tests = _known_names()
    short = name.removeprefix("ansible.builtin.").removeprefix("ansible.legacy.")
    if kind == "filter" and short in NOT_BUILT:
        return f"the '{name}' filter is not supported: {NOT_BUILT[short]}"
    if name not in (filters if kind == "filter" else tests):
        return (f"the {kind} '{name}' is not available in miniplay (it has the "
                f"ansible.builtin {kind}s and Jinja's own; collections and "
                f"{kind}_plugins/ are not supported)")
    return None
