"""The inventory under construction, and host-name expansion shared by every source parser.

Takes: calls from the source parsers (INI, YAML, host lists) — add a group, a host, a
child edge, a variable. Gives: `InventoryBuilder.freeze()` → frozen `Host` and `Group`
maps with Ansible's reconciliation applied (every parentless group under ``all``;
``ungrouped`` = hosts in no other group; depths for variable precedence). Raises:
`ValueError` with a plain message (range syntax, group cycles); the parsers add the
file position and turn it into an `InventoryError`.

Why one builder for every format: Ansible merges all sources into one graph and only
then reconciles it; doing the same here keeps multi-source inventories equal to Ansible's.
A builder lives for one `load_inventory` call, so nothing here is global.
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

ALL = "all"
UNGROUPED = "ungrouped"
PRIORITY_VAR = "ansible_group_priority"


@dataclass(frozen=True)
class Host:
    """A host as the inventory files define it; `vars` are inventory-file host vars only."""

    name: str
    vars: Mapping[str, Any]


@dataclass(frozen=True)
class Group:
    """A group: its own hosts (not its children's), child and parent group names, vars.

    `depth` is the longest path from ``all`` (``all`` is 0) and `priority` the
    ``ansible_group_priority`` (default 1); both order group vars in precedence.
    """

    name: str
    hosts: tuple[str, ...]
    children: tuple[str, ...]
    vars: Mapping[str, Any]
    parents: tuple[str, ...]
    depth: int = 0
    priority: int = 1


@dataclass
class _Draft:
    name: str
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)
    priority: int = 1


class InventoryBuilder:
    """Accumulates groups, hosts and vars from any number of sources, in order."""

    def __init__(self) -> None:
        self.hosts: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, _Draft] = {}
        self.warnings: list[str] = []
        self.add_group(ALL)
        self.add_group(UNGROUPED)
        self.add_child(ALL, UNGROUPED)

    def add_group(self, name: str) -> None:
        """Declare `name` (no-op when it exists)."""
        if name not in self.groups:
            self.groups[name] = _Draft(name)

    def add_host(self, name: str, group: str | None, port: int | None = None) -> None:
        """Declare host `name`, put it in `group`, and set ``ansible_port`` when given."""
        self.hosts.setdefault(name, {})
        if group is not None:
            self.add_group(group)
            if name not in self.groups[group].hosts:
                self.groups[group].hosts.append(name)
        if port is not None:
            self.hosts[name]["ansible_port"] = port

    def set_host_var(self, host: str, key: str, value: Any) -> None:
        """Set an inventory-file host variable; later definitions win."""
        self.hosts[host][key] = value

    def set_group_var(self, group: str, key: str, value: Any) -> None:
        """Set a group variable; ``ansible_group_priority`` sets the priority instead."""
        self.add_group(group)
        if key == PRIORITY_VAR:
            try:
                self.groups[group].priority = int(value)
            except (TypeError, ValueError):
                raise ValueError(f"{PRIORITY_VAR} must be an integer, got {value!r}") from None
            return
        self.groups[group].vars[key] = value

    def add_child(self, parent: str, child: str) -> None:
        """Make `child` a child group of `parent`, refusing loops as Ansible does."""
        self.add_group(parent)
        self.add_group(child)
        if parent == child:
            raise ValueError(f"group '{child}' cannot be a child of itself")
        if child in self.groups[parent].children:
            return
        if child in self._ancestors(parent):
            raise ValueError(f"Adding group '{child}' as child to '{parent}' "
                             "creates a recursive dependency loop.")
        self.groups[parent].children.append(child)
        self.groups[child].parents.append(parent)

    def _ancestors(self, name: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.groups[name].parents)
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.groups[current].parents)
        return seen

    def _reconcile(self) -> None:
        for draft in list(self.groups.values()):
            if draft.name != ALL and not draft.parents:
                self.add_child(ALL, draft.name)
        member: dict[str, set[str]] = {name: set() for name in self.hosts}
        for draft in self.groups.values():
            for host in draft.hosts:
                member[host].add(draft.name)
        ungrouped = self.groups[UNGROUPED]
        for host, groups in member.items():
            others = groups - {ALL, UNGROUPED}
            if others and UNGROUPED in groups:
                ungrouped.hosts.remove(host)
            elif not others and UNGROUPED not in groups:
                ungrouped.hosts.append(host)

    def _depths(self) -> dict[str, int]:
        depth = {name: 0 for name in self.groups}
        order = [ALL]
        for name in order:  # grows while iterating: a breadth-first walk
            for child in self.groups[name].children:
                if depth[name] + 1 > depth[child]:
                    depth[child] = depth[name] + 1
                    order.append(child)
        return depth

    def freeze(self) -> tuple[dict[str, Host], dict[str, Group]]:
        """Reconcile and return immutable hosts and groups, both in declaration order."""
        self._reconcile()
        for name in [group for group in self.groups if group in self.hosts]:
            self.warnings.append(f"Found both group and host with same name: {name}")
        depth = self._depths()
        hosts = {name: Host(name, MappingProxyType(dict(v))) for name, v in self.hosts.items()}
        groups = {
            d.name: Group(
                d.name, tuple(d.hosts), tuple(d.children), MappingProxyType(dict(d.vars)),
                tuple(d.parents), depth[d.name], d.priority,
            )
            for d in self.groups.values()
        }
        return hosts, groups


# --- host names: ports and ranges -------------------------------------------------------

_RANGE = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]"
_LABEL = rf"(?:\w|{_RANGE})(?:[\w-]|{_RANGE})*(?<![_-])"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$", re.I)
_HOSTPORT = re.compile(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$")
_BRACKETED = re.compile(r"^\[(.+)\]:([0-9]+)$")


def is_address(text: str) -> bool:
    """True for a host name, IPv4 or IPv6 address (ranges allowed), as Ansible checks."""
    if _HOSTNAME.match(text):
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def split_port(text: str, allow_ranges: bool = True) -> tuple[str, int | None]:
    """``h:2222`` → ``("h", 2222)``; anything not a valid address stays whole, port None."""
    host, port = text, None
    match = _BRACKETED.match(text) or _HOSTPORT.match(text)
    if match:
        host, port = match.group(1), int(match.group(2))
    if not is_address(host) or (not allow_ranges and "[" in host):
        return text, None
    return host, port


def expand_hostname(pattern: str) -> list[str]:
    """Expand ``web[01:03]``, ``node-[a:c]``, ``s[01:06:2]`` (several ranges allowed)."""
    if "[" not in pattern:
        return [pattern]
    head, _, rest = pattern.partition("[")
    body, closed, tail = rest.partition("]")
    if not closed:
        raise ValueError(f"host range in '{pattern}' has no closing ']'")
    names: list[str] = []
    for item in _range_items(body):
        names.extend(expand_hostname(f"{head}{item}{tail}"))
    return names


def _range_items(body: str) -> list[str]:
    bounds = body.split(":")
    if len(bounds) not in (2, 3):
        raise ValueError("host range must be begin:end or begin:end:step")
    begin, end = bounds[0] or "0", bounds[1]
    if not end:
        raise ValueError("host range must specify end value")
    step = _int_bound(bounds[2]) if len(bounds) == 3 else 1
    if step < 1:
        raise ValueError("host range step must be a positive number")
    width = len(begin) if begin.startswith("0") and len(begin) > 1 else 0
    if width and width != len(end):
        raise ValueError("host range must specify equal-length begin and end formats")
    letters = string.ascii_letters
    if begin in letters and end in letters and len(begin) == len(end) == 1:
        first, last = letters.index(begin), letters.index(end)
        if first > last:
            raise ValueError("host range must have begin <= end")
        return list(letters[first : last + 1 : step])
    first_number, last_number = _int_bound(begin), _int_bound(end)
    if first_number > last_number:
        raise ValueError("host range must have begin <= end")
    return [str(n).zfill(width) for n in range(first_number, last_number + 1, step)]


def _int_bound(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"host range bound '{text}' must be a number or a single letter"
        ) from None
