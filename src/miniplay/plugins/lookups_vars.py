"""Lookups that read the run's own state: vars, varnames, env, inventory_hostnames.

Takes: terms (names, patterns), the `LookupCall` (the caller's variables) and options.
Gives: values as ansible-core 2.19 does; a missing variable without `default` becomes a
`Missing` value, which the caller turns into an undefined value (so `| default(...)`
still applies, as in Ansible). Raises: `LookupFailure`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2

from miniplay.errors import MiniplayError
from miniplay.inventory_build import Group, Host
from miniplay.inventory_patterns import select
from miniplay.plugins.lookups_base import (
    LookupCall,
    LookupFailure,
    LookupSpec,
)


@dataclass(frozen=True, slots=True)
class Missing:
    """A variable the vars lookup did not find: undefined, with this message."""

    message: str


def _vars(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    default = options["default"]
    results: list[Any] = []
    for term in terms:
        if not isinstance(term, str):
            raise LookupFailure(f"Variable name must be 'str' not {type(term).__name__!r}.")
        if term in call.variables:
            results.append(call.variables[term])
        elif default is not None:
            results.append(default)
        else:
            results.append(Missing(f"No variable named {term!r} was found."))
    return results


def _varnames(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    names = list(call.variables)
    results: list[Any] = []
    for term in terms:
        if not isinstance(term, str):
            raise LookupFailure(f'Invalid setting identifier, "{term}" is not a string, it is '
                                f"a {type(term)}")
        try:
            pattern = re.compile(term)
        except re.error as exc:
            raise LookupFailure(f'Unable to use "{term}" as a search parameter: {exc}') from None
        results.extend(name for name in names if pattern.search(name))
    return results


def _env(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    """`default=undef()` (no hint) gives an undefined value saying the variable is unset."""
    default = options["default"]
    results: list[Any] = []
    for term in terms:
        words = str(term).split()
        name = words[0] if words else str(term)
        value = os.environ.get(name, default)
        if isinstance(value, jinja2.Undefined) and value._undefined_hint is None:
            value = Missing(f"The environment variable {name!r} is not set.")
        results.append(value)
    return results


def _inventory_hostnames(terms: list[Any], call: LookupCall,
                         options: dict[str, Any]) -> list[Any]:
    """Hosts matching the patterns, over the flat groups of the `groups` variable (as
    ansible-core rebuilds its inventory from it); a bad pattern gives []."""
    groups_var = call.variables.get("groups") if "groups" in call.variables else None
    if not isinstance(groups_var, Mapping):
        return []
    groups = {name: Group(str(name), tuple(map(str, members)), (), {}, ())
              for name, members in groups_var.items()}
    hosts = {host: Host(host, {}) for group in groups.values() for host in group.hosts}
    try:
        return list(select(hosts, groups, [str(term) for term in terms]).hosts)
    except MiniplayError:
        return []


VAR_LOOKUPS: dict[str, LookupSpec] = {
    "vars": LookupSpec(_vars, {"default": None}, passes_terms=True),
    "varnames": LookupSpec(_varnames),
    "env": LookupSpec(_env, {"default": ""}),
    "inventory_hostnames": LookupSpec(_inventory_hostnames),
}
