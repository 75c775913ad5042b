"""Inventory changes made by a running play: `add_host` and `group_by`.

Takes: the run's current `Inventory` and what one `add_host` or `group_by` result asks
for. Gives: a new `Inventory` with the change applied and reconciled as at load time
(a new group goes under ``all``, a host in a group leaves ``ungrouped``, depths
recomputed, ``group_vars/``/``host_vars/`` read for the new names), and whether anything
changed (Ansible reports exactly that as the task's `changed`). Raises: `ValueError`
with a plain message for a group cycle.

Why a new value instead of a mutation: the inventory is frozen and memoises its answers;
the executor swaps in the new one, so every later question sees the change and no answer
computed before it is reused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from miniplay.inventory import Inventory, implicit_localhost_vars
from miniplay.inventory_build import InventoryBuilder
from miniplay.inventory_vars import VarsDir, load_vars_dir


def _thaw(inventory: Inventory) -> InventoryBuilder:
    builder = InventoryBuilder()
    for name, host in inventory.hosts.items():
        builder.hosts[name] = dict(host.vars)
    for name, group in inventory.groups.items():
        builder.add_group(name)
        draft = builder.groups[name]
        draft.hosts = list(group.hosts)
        draft.children = list(group.children)
        draft.parents = list(group.parents)
        draft.vars = dict(group.vars)
        draft.priority = group.priority
    return builder


def _declare(inventory: Inventory, builder: InventoryBuilder, name: str) -> bool:
    """Make `name` an inventory host; the implicit localhost keeps its local connection."""
    if name in builder.hosts:
        return False
    builder.add_host(name, None)
    if inventory.is_implicit(name):
        builder.hosts[name].update(implicit_localhost_vars(inventory.python))
    return True


def _refresh_dir(old: VarsDir, groups: Iterable[str], hosts: Iterable[str]) -> VarsDir:
    fresh = load_vars_dir(old.base, groups, hosts)
    return VarsDir(old.base, {**old.group_vars, **fresh.group_vars},
                   {**old.host_vars, **fresh.host_vars})


def _rebuild(inventory: Inventory, builder: InventoryBuilder, new_groups: Sequence[str],
             new_hosts: Sequence[str]) -> Inventory:
    hosts, groups = builder.freeze()
    vars_dirs = tuple(_refresh_dir(d, new_groups, new_hosts) for d in inventory.vars_dirs)
    playbook_vars = inventory.playbook_vars
    if playbook_vars is not None and (new_groups or new_hosts):
        playbook_vars = _refresh_dir(playbook_vars, new_groups, new_hosts)
    return dataclasses.replace(inventory, hosts=hosts, groups=groups, vars_dirs=vars_dirs,
                               playbook_vars=playbook_vars, _memo={})


def add_dynamic_host(inventory: Inventory, name: str, groups: Sequence[str],
                     host_vars: Mapping[str, Any]) -> tuple[Inventory, bool]:
    """`add_host`: the host (new or known) gets `host_vars` merged and joins `groups`."""
    builder = _thaw(inventory)
    changed = False
    new_hosts: list[str] = []
    if _declare(inventory, builder, name):
        new_hosts.append(name)
        changed = True
    merged = {**builder.hosts[name], **host_vars}
    if merged != builder.hosts[name]:
        builder.hosts[name] = merged
        changed = True
    new_groups = [group for group in groups if group not in builder.groups]
    for group in groups:
        if name not in builder.groups.get(group, _EMPTY).hosts:
            builder.add_host(name, group)
            changed = True
    if not changed:
        return inventory, False
    return _rebuild(inventory, builder, new_groups, new_hosts), True


def add_dynamic_group(inventory: Inventory, host: str, group: str,
                      parents: Sequence[str]) -> tuple[Inventory, bool]:
    """`group_by`: `host` joins `group`, made a child of each of `parents`. Changed when a
    parent group is new, a parent gains `group` as a child, or the host joins it."""
    builder = _thaw(inventory)
    new_groups = [g for g in dict.fromkeys([group, *parents]) if g not in builder.groups]
    changed = any(parent in new_groups for parent in parents if parent != group)
    builder.add_group(group)
    for parent in parents:
        if group not in builder.groups.get(parent, _EMPTY).children:
            builder.add_child(parent, group)
            changed = True
    _declare(inventory, builder, host)
    if host not in builder.groups[group].hosts:
        builder.add_host(host, group)
        changed = True
    if not changed and not new_groups:
        return inventory, False
    return _rebuild(inventory, builder, new_groups, []), changed


class _NoGroup:
    hosts: tuple[str, ...] = ()
    children: tuple[str, ...] = ()


_EMPTY = _NoGroup()
