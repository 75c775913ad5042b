"""Where variables come from, for the data-flow checks: vars files, roles, inventories.

Takes: YAML nodes (`vars`, `vars_files`), role names, a playbook directory and the
`Sources` cache. Gives: name → `Origin` mappings (how and where each name is defined),
or None where the answer cannot be known statically (a templated file name, a role
that is not found or has dependencies or a `library/`), which the walk treats as
"anything may be defined". Raises: nothing.

Why collect role tasks' registers without walking them: what a role registers or sets
with `set_fact` is visible to the play's later tasks; checking the role's own reads is
left to the roles checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from miniplay.checks_files import Scope, Sources, resolve
from miniplay.checks_jinja import is_template
from miniplay.errors import MiniplayError, Position
from miniplay.keywords import short_name
from miniplay.loader import YamlMap, YamlSeq

if TYPE_CHECKING:
    from miniplay.checks_flow import Local

INVENTORY_PREFIXES = ("inventory", "hosts")
VARS_DIRS = ("group_vars", "host_vars")


@dataclass(frozen=True, slots=True)
class Origin:
    """How a name was defined (`registered`, `set by set_fact`, ...) and where."""

    how: str
    pos: Position | None


def keys_of(value: Any, how: str, node: YamlMap | None = None) -> dict[str, Origin]:
    """The variable names a `vars`-like mapping defines, each at its key."""
    if not isinstance(value, Mapping):
        return {}
    where = value.key_pos if isinstance(value, YamlMap) else {}
    fallback = node.pos if node is not None else None
    return {str(k): Origin(how, where.get(k, fallback)) for k in value}


def vars_file_names(value: Any, play: YamlMap, local: Local,
                    sources: Sources) -> tuple[dict[str, Origin], bool]:
    """Names the play's `vars_files` define, and whether all of them could be read."""
    entries = [value] if isinstance(value, str) else value
    if entries is None:
        return {}, True
    if not isinstance(entries, list):
        return {}, False
    names: dict[str, Origin] = {}
    scope = Scope(local.file, local.base)
    for entry in entries:
        choices = [entry] if isinstance(entry, str) else entry
        if not isinstance(choices, list):
            return names, False
        for choice in choices:
            path = resolve(choice, scope) if isinstance(choice, str) and not is_template(
                choice) else None
            data = sources.load(path)[0] if path else None
            if not isinstance(data, YamlMap):
                return names, False
            names.update(keys_of(data, "loaded from vars_files"))
    return names, True


def task_file(args: Mapping[str, Any], local: Local, sources: Sources) -> str | None:
    """The static file an `import_tasks`/`include_tasks` names, if it exists."""
    name = args.get("file", args.get("_raw_params"))
    if not isinstance(name, str) or is_template(name):
        return None
    path = resolve(name.split()[0] if name.split() else name, Scope(local.file, local.base))
    return path if path is not None and isinstance(sources.load(path)[0], YamlSeq) else None


def role_names(name: str, base: Path, sources: Sources) -> dict[str, Origin] | None:
    """Names role `name` defines for later tasks, or None when that is unknowable."""
    from miniplay.roles import find_role

    try:
        path = find_role(name, str(base), None)
    except MiniplayError:
        return None
    if (path / "library").is_dir() or _has_dependencies(path, sources):
        return None
    names: dict[str, Origin] = {}
    for part in ("defaults", "vars"):
        for file in _yaml_files(path / part):
            names.update(keys_of(sources.load(file)[0], f"defined by role {name}"))
    for part in ("tasks", "handlers"):
        for file in _yaml_files(path / part):
            found = _task_defs(sources.load(file)[0], f"set by role {name}")
            if found is None:
                return None
            names.update(found)
    return names


def _has_dependencies(path: Path, sources: Sources) -> bool:
    for file in _yaml_files(path / "meta"):
        data = sources.load(file)[0]
        if isinstance(data, YamlMap) and data.get("dependencies"):
            return True
    return False


def _yaml_files(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return [os.path.join(root, f) for root, _, files in os.walk(folder) for f in sorted(files)
            if f.endswith((".yml", ".yaml", ".json")) or "." not in f]


def _task_defs(data: Any, how: str) -> dict[str, Origin] | None:
    """Registers and set_fact keys anywhere in a role's task file (None: unknowable)."""
    names: dict[str, Origin] = {}
    for node in _mappings(data):
        if isinstance(node.get("register"), str):
            names[node["register"]] = Origin(how, node.key_pos.get("register"))
        for key, value in node.items():
            module = short_name(str(key))
            if module == "include_vars" or (module == "set_fact" and not isinstance(
                    value, YamlMap)):
                return None
            if module == "set_fact":
                names.update(keys_of(value, how, node))
    return names


def _mappings(data: Any) -> Iterator[YamlMap]:
    if isinstance(data, YamlSeq):
        for item in data:
            yield from _mappings(item)
    elif isinstance(data, YamlMap):
        yield data
        for key in ("block", "rescue", "always"):
            yield from _mappings(data.get(key))


def inventory_names(base: Path, sources: Sources,
                    inventories: tuple[str, ...]) -> dict[str, Origin]:
    """Names the inventories beside the playbook (`inventory*`, `hosts*`, group_vars,
    host_vars) and those given with `-i` define, for any host."""
    found = [str(base / n) for n in _listing(base) if n.startswith(INVENTORY_PREFIXES)]
    names: dict[str, Origin] = {}
    for source in [*found, *inventories]:
        names.update(_inventory_file_names(source))
        folder = Path(source) if os.path.isdir(source) else Path(source).parent
        names.update(_vars_dir_names(folder, sources))
    names.update(_vars_dir_names(base, sources))
    return names


def _listing(base: Path) -> list[str]:
    try:
        return sorted(os.listdir(base))
    except OSError:
        return []


def _vars_dir_names(folder: Path, sources: Sources) -> dict[str, Origin]:
    names: dict[str, Origin] = {}
    for part in VARS_DIRS:
        for file in _yaml_files(folder / part):
            names.update(keys_of(sources.load(file)[0], f"defined in {part}"))
    return names


def _inventory_file_names(source: str) -> dict[str, Origin]:
    from miniplay.inventory import load_inventory

    try:
        inventory = load_inventory([source], None)
    except (MiniplayError, OSError, ValueError):
        return {}
    origin = Origin("defined in the inventory", Position(source, 1, 1))
    names = {str(k): origin for host in inventory.hosts for k in inventory.host_vars(host)}
    names.update({str(k): origin for group in inventory.groups.values() for k in group.vars})
    return names
