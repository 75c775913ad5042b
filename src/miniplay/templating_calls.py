"""How a template calls filters and tests: ansible-core 2.19's rules around each call.

Takes: a Jinja environment. Gives: the environment with Ansible's filters and tests
installed (also as `ansible.builtin.NAME` / `ansible.legacy.NAME`), every filter and test
wrapped so that an undefined argument short-circuits a filter (its result is that
undefined) and fails a test, and generator or dict-view results become lists. Raises:
nothing here; a wrapped test raises Jinja's undefined error for an undefined argument.

Why wrappers: 2.19 calls every plugin, Jinja's own included, through one dispatcher
that applies these rules; Jinja alone would iterate an undefined value (an error) or
hand a generator on (so `(xs | select)[0]` fails).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, ItemsView, Iterator, KeysView, ValuesView
from typing import Any

import jinja2

from miniplay.plugins import plugin_filters, plugin_tests


def as_list(value: Any) -> Any:
    """Generators and dict views as lists, as ansible-core 2.19 hands them on."""
    if isinstance(value, (Iterator, KeysView, ValuesView, ItemsView)):
        return list(value)
    return value


_TAKE_UNDEFINED = frozenset({"default", "d", "mandatory", "ternary", "type_debug",
                             "defined", "undefined"})
"""Plugins that are given an undefined argument; every other one short-circuits."""


def _first_undefined(args: tuple[Any, ...], kwargs: dict[str, Any]) -> jinja2.Undefined | None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, jinja2.Undefined):
            return value
    return None


def _filter_call(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` as ansible-core 2.19 calls a filter: an undefined argument is the result
    (`(x | upper) is undefined` holds for an undefined `x`), and a generator or dict
    view result is a list (`(xs | select)[0]` works). Jinja's pass-context marks are
    kept by `wraps`."""
    if name.rsplit(".", 1)[-1] in _TAKE_UNDEFINED:
        return function

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        undefined = _first_undefined(args, kwargs)
        if undefined is not None:
            return undefined
        return as_list(function(*args, **kwargs))
    return call


def _test_call(name: str, function: Any) -> Any:
    """`function` as ansible-core 2.19 calls a test: an undefined argument fails it
    (`x is string` on an undefined `x` is an error), except for `defined`/`undefined`."""
    if name.rsplit(".", 1)[-1] in _TAKE_UNDEFINED:
        return function

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        undefined = _first_undefined(args, kwargs)
        if undefined is not None:
            undefined._fail_with_undefined_error()
        return function(*args, **kwargs)
    return call


def install_plugins(env: jinja2.Environment) -> None:
    """Ansible's filters and tests into `env`, also under their FQCNs: every one (Jinja's
    own included) as `ansible.builtin.NAME`, Ansible's own as `ansible.legacy.NAME`."""
    filters, tests = plugin_filters(), plugin_tests()
    env.filters.update(filters)
    env.tests.update(tests)
    for table, own in ((env.filters, filters), (env.tests, tests)):
        qualified = {f"ansible.builtin.{name}": function for name, function in table.items()}
        qualified.update({f"ansible.legacy.{name}": function for name, function in own.items()})
        table.update(qualified)
    env.filters.update({name: _filter_call(name, function)
                        for name, function in env.filters.items()})
    env.tests.update({name: _test_call(name, function) for name, function in env.tests.items()})
