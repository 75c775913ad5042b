"""Host patterns (``hosts:``, ``--limit``) evaluated as ansible-core 2.19 does.

Takes: the frozen hosts and groups, a pattern (string or list) and an optional limit.
Gives: a `Selection` — host names and the warnings Ansible would print
(``Could not match supplied host pattern, ignoring: x``). Raises: `HostPatternError`
for an invalid regex or an out-of-range single subscript, `UsageError` for a missing
``--limit @file``.

Semantics (spec §5, each checked against ``ansible --list-hosts``): ``a:b``/``a,b`` is a
union, ``&`` an intersection, ``!`` an exclusion, applied unions first, then
intersections, then exclusions, whatever the written order. Hosts come out in the order
the patterns produce them (``db:web`` lists db's hosts first), a group's hosts in
breadth-first group order. A name in ``localhost``/``127.0.0.1``/``::1`` that matches
nothing yields that implicit host, which is never part of ``all``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from miniplay.errors import InventoryError, UsageError
from miniplay.inventory_build import Group, Host, is_address, split_port

LOCALHOST_NAMES = ("127.0.0.1", "localhost", "::1")
_SPLIT = re.compile(r"(?:[^\s:\[\]]|\[[^\]]*\])+")
_SUBSCRIPT = re.compile(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)[:-]([0-9]*))\]$")


class HostPatternError(InventoryError):
    """A host pattern that cannot be evaluated (bad regex, subscript out of range)."""


@dataclass(frozen=True)
class Selection:
    """Hosts a pattern selects, in Ansible's order, and the warnings it produced."""

    hosts: tuple[str, ...]
    warnings: tuple[str, ...]


def split_patterns(pattern: str | Sequence[str]) -> list[str]:
    """``'a,b[1], c'`` → ``['a', 'b[1]', 'c']``; ``:`` separates too unless it is a port."""
    if not isinstance(pattern, str):
        return [part for item in pattern for part in split_patterns(item)]
    if "," in pattern:
        parts = pattern.split(",")
    elif _is_single(pattern):
        parts = [pattern]
    else:
        parts = _SPLIT.findall(pattern)
    return [part.strip() for part in parts if part.strip()]


def _is_single(pattern: str) -> bool:
    host, _port = split_port(pattern)
    return host != pattern or is_address(pattern)


def order_patterns(patterns: Sequence[str]) -> list[str]:
    """Unions, then ``&`` intersections, then ``!`` exclusions; ``all`` if no union."""
    regular = [p for p in patterns if p and p[0] not in "!&"]
    meet = [p for p in patterns if p and p[0] == "&"]
    exclude = [p for p in patterns if p and p[0] == "!"]
    return (regular or ["all"]) + meet + exclude


def group_hosts(groups: Mapping[str, Group], name: str) -> list[str]:
    """All hosts of group `name` and its descendants, in Ansible's breadth-first order."""
    ordered = [name]
    level = list(groups[name].children)
    while level:
        ordered.extend(g for g in level if g not in ordered)
        level = [c for g in level for c in groups[g].children if c not in ordered]
    hosts: list[str] = []
    for group in ordered:
        hosts.extend(h for h in groups[group].hosts if h not in hosts)
    return hosts


@dataclass
class _Matcher:
    hosts: Mapping[str, Host]
    groups: Mapping[str, Group]
    warnings: list[str] = field(default_factory=list)

    def evaluate(self, patterns: Sequence[str]) -> list[str]:
        selected: list[str] = []
        for pattern in order_patterns(patterns):
            found = [pattern] if pattern in self.hosts else self.match_one(pattern)
            if pattern[0] == "!":
                selected = [h for h in selected if h not in found]
            elif pattern[0] == "&":
                selected = [h for h in selected if h in found]
            else:
                selected.extend(h for h in found if h not in selected)
        return selected

    def match_one(self, pattern: str) -> list[str]:
        bare = pattern[1:] if pattern[0] in "&!" else pattern
        expr, subscript = _split_subscript(bare)
        found = self.enumerate(expr)
        if not found or subscript is None:
            return found
        start, end = subscript
        if end is not None:
            return found[start : (len(found) if end == -1 else end + 1)]
        try:
            return [found[start]]
        except IndexError:
            raise HostPatternError(
                f"No hosts matched the subscripted pattern '{bare}'",
                hint=f"the pattern selects {len(found)} host(s), indexed from 0",
            ) from None

    def enumerate(self, expr: str) -> list[str]:
        groups = _match_names(self.groups, expr)
        found = [host for group in groups for host in group_hosts(self.groups, group)]
        if not groups or expr[0] == "~" or any(c in expr for c in ".?*["):
            found.extend(_match_names(self.hosts, expr))
        if not found and expr in LOCALHOST_NAMES:
            found.append(expr)
        if not found and not groups and expr != "all":
            warning = f"Could not match supplied host pattern, ignoring: {expr}"
            if warning not in self.warnings:
                self.warnings.append(warning)
        return found


def _split_subscript(pattern: str) -> tuple[str, tuple[int, int | None] | None]:
    if pattern[0] == "~":
        return pattern, None
    match = _SUBSCRIPT.match(pattern)
    if match is None:
        return pattern, None
    expr, index, start, end = match.groups()
    if index is not None:
        return expr, (int(index), None)
    return expr, (int(start), int(end) if end else -1)


def _match_names(names: Mapping[str, object], expr: str) -> list[str]:
    try:
        regex = re.compile(expr[1:] if expr[0] == "~" else fnmatch.translate(expr))
    except re.error as exc:
        raise HostPatternError(f"Invalid host list pattern: {expr}", hint=f"regex: {exc}") from None
    return [name for name in names if regex.match(name)]


def read_limit(limit: str) -> list[str]:
    """Split a ``--limit`` value, replacing each ``@file`` by the file's lines."""
    patterns: list[str] = []
    for part in split_patterns(limit):
        if not part.startswith("@"):
            patterns.append(part)
            continue
        path = Path(part[1:])
        if not path.is_file():
            problem = "is a directory" if path.is_dir() else "does not exist"
            raise UsageError(f"limit file {path} {problem}",
                             hint="--limit @FILE reads one host pattern per line")
        patterns.extend(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [p for p in patterns if p]


def select(hosts: Mapping[str, Host], groups: Mapping[str, Group],
           pattern: str | Sequence[str], limit: str | None = None) -> Selection:
    """Evaluate `pattern`, then keep only the hosts `limit` also selects."""
    matcher = _Matcher(hosts, groups)
    chosen = matcher.evaluate(split_patterns(pattern))
    limits = read_limit(limit) if limit is not None else []
    if limits:
        allowed = set(matcher.evaluate(limits))
        chosen = [host for host in chosen if host in allowed]
    return Selection(tuple(chosen), tuple(matcher.warnings))
