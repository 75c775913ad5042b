"""`add_host` and `group_by`: ask for an inventory change; the executor applies it.

Takes: the templated arguments. Gives: a result carrying `add_host` (host_name, groups,
host_vars) or `add_group` + `parent_groups`, with `changed: False`; the executor applies
the change to the run's inventory and sets `changed` to whether anything changed, as
Ansible's strategy does. Raises: nothing (bad arguments are task failures).

Ansible's argument rules, kept exactly: the name comes from `name`, `hostname` or
`host` (a `:port` suffix becomes `ansible_ssh_port`); groups from `groupname`, `groups`
or `group` (a list or a comma-separated string); every argument other than `name`,
`hostname`, `groupname` and `groups` becomes a host variable (so `host` and `group`
do too). `group_by` replaces spaces in group names with dashes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from miniplay.actions.base import ActionCall
from miniplay.inventory_build import split_port

_NOT_VARS = frozenset({"name", "hostname", "groupname", "groups"})


def _fail(msg: str) -> dict[str, Any]:
    return {"failed": True, "changed": False, "msg": msg}


def _group_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        value = value.split(",") if value else []
    if not isinstance(value, list):
        return None
    found: list[str] = []
    for item in value:
        name = str(item).strip()
        if name not in found:
            found.append(name)
    return found


async def add_host(call: ActionCall) -> dict[str, Any]:
    """Add (or update) a host of the running inventory."""
    args: dict[str, Any] = dict(call.args)
    raw = args.pop("_raw_params", {})
    if not isinstance(raw, Mapping):
        return _fail(f"Invalid raw parameters passed, requires a dictionary/mapping got a "
                     f"{type(raw).__name__}")
    args = {**raw, **args}
    given = args.get("name", args.get("hostname", args.get("host")))
    if given is None:
        return _fail("name, host or hostname needs to be provided")
    name, port = split_port(str(given), allow_ranges=False)
    if port:
        args["ansible_ssh_port"] = port
    groups = _group_list(args.get("groupname", args.get("groups", args.get("group", ""))))
    if groups is None:
        return _fail("Groups must be specified as a list.")
    host_vars = {k: v for k, v in args.items() if k not in _NOT_VARS}
    return {"changed": False,
            "add_host": {"host_name": name, "groups": groups, "host_vars": host_vars}}


async def group_by(call: ActionCall) -> dict[str, Any]:
    """Put the current host into the group named by `key`."""
    if "key" not in call.args:
        return _fail("the 'key' param is required when using group_by")
    parents = call.args.get("parents", ["all"])
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list):
        return _fail("parents must be a list of group names")
    return {"changed": False, "add_group": str(call.args["key"]).replace(" ", "-"),
            "parent_groups": [str(name).replace(" ", "-") for name in parents]}
