"""The inventory: which hosts exist, their groups, their inventory variables.

Takes: inventory sources as given to ``-i`` (INI files, YAML/JSON files, directories of
those, host lists ``a,b,``), merged in order, and the playbook directory. Gives: a frozen
`Inventory` that answers host patterns (`select`, `match`), ``group_names``
(`groups_of`), the ``groups`` magic variable (`groups_map`) and each host's
inventory-level variable layers (`var_layers`), with all ``group_vars/`` and
``host_vars/`` files already read. Raises: `InventoryError` (exit 4) with a position
and a hint for a source that cannot be read, `YamlError` for YAML syntax errors,
`HostPatternError` for an unusable pattern and `UsageError` for a missing limit file.
A source that does not exist is a warning, as in Ansible: the run goes on without it.

Why frozen and read up front: the executor and `variables.py` ask the same questions for
every host and task; answering them from memory, never from disk, keeps runs fast and
the answers identical for every host. Pattern warnings are per question, so they come
back with each `Selection` (``match``), while load warnings sit in ``warnings``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miniplay.errors import InventoryError, YamlError
from miniplay.inventory_build import ALL, Group, Host, InventoryBuilder, split_port
from miniplay.inventory_ini import parse_ini
from miniplay.inventory_patterns import (
    LOCALHOST_NAMES,
    HostPatternError,
    Selection,
    group_hosts,
    select,
)
from miniplay.inventory_vars import VarsDir, load_vars_dir
from miniplay.inventory_yaml import parse_yaml
from miniplay.loader import load_file, loads

__all__ = [
    "LOCALHOST_NAMES",
    "Group",
    "Host",
    "HostPatternError",
    "Inventory",
    "Selection",
    "implicit_localhost_vars",
    "load_inventory",
]

_YAML_SUFFIXES = (".yml", ".yaml", ".json")
_SKIPPED_NAMES = ("group_vars", "host_vars", "vars_plugins")
_SKIPPED_SUFFIXES = (".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst",
                     ".orig", ".cfg", ".retry")


def implicit_localhost_vars(python: str) -> dict[str, Any]:
    """Variables of the implicit localhost: run locally with the controller's Python."""
    return {"ansible_connection": "local", "ansible_python_interpreter": python}


@dataclass(frozen=True)
class Inventory:
    """Hosts and groups in inventory order, plus the vars files found beside them.

    `vars_dirs` are the ``group_vars/``/``host_vars/`` beside each inventory source (in
    source order); `playbook_vars` those beside the playbook. `python` is the
    interpreter given to the implicit localhost.
    """

    hosts: Mapping[str, Host]
    groups: Mapping[str, Group]
    sources: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    vars_dirs: tuple[VarsDir, ...] = ()
    playbook_vars: VarsDir | None = None
    python: str = field(default=sys.executable)
    # How many sources could be read ("No inventory was parsed" when none).
    parsed: int = 0
    # Answers computed once: the inventory never changes during a run, and the executor
    # asks for every host's groups and layers on every task (Ansible caches them too).
    _memo: dict[tuple[str, str], Any] = field(default_factory=dict, compare=False,
                                              repr=False)

    def _cached(self, kind: str, key: str, compute: Callable[[], Any]) -> Any:
        if (kind, key) not in self._memo:
            self._memo[(kind, key)] = compute()
        return self._memo[(kind, key)]

    def match(self, pattern: str | Sequence[str], limit: str | None = None) -> Selection:
        """Hosts selected by `pattern` and `limit`, with the warnings Ansible prints."""
        return select(self.hosts, self.groups, pattern, limit)

    def select(self, pattern: str | Sequence[str], limit: str | None = None) -> list[str]:
        """Host names selected by `pattern` and `limit` (see `match` for warnings)."""
        return list(self.match(pattern, limit).hosts)

    def has_host(self, name: str) -> bool:
        """True for inventory hosts and for the implicit localhost names."""
        return name in self.hosts or name in LOCALHOST_NAMES

    def is_implicit(self, name: str) -> bool:
        """True for a localhost name that the inventory does not define."""
        return name not in self.hosts and name in LOCALHOST_NAMES

    def groups_of(self, host: str) -> list[str]:
        """``group_names``: every group holding `host` directly or through a child, sorted,
        without ``all``."""
        found: list[str] = self._cached("groups_of", host, lambda: sorted(
            name for name in self._host_groups(host) if name != ALL))
        return list(found)

    def groups_map(self) -> dict[str, list[str]]:
        """The ``groups`` magic variable: each group (``all``, ``ungrouped`` too) → hosts.
        One shared mapping per run, as ansible-core's groups dict cache."""
        found: dict[str, list[str]] = self._cached("groups_map", "", lambda: {
            name: group_hosts(self.groups, name) for name in self.groups})
        return found

    def var_layers(self, host: str) -> list[Mapping[str, Any]]:
        """`host`'s inventory variables, low → high precedence, as ansible-core 2.19 orders
        them: inventory-file ``all``, other groups (depth, priority, name), then
        ``group_vars/all`` beside each source and beside the playbook, then the other
        groups' ``group_vars`` the same way, then inventory-file host vars, then
        ``host_vars`` beside each source and beside the playbook. Empty layers are left
        out. Raises KeyError for an unknown host."""
        found: list[Mapping[str, Any]] = self._cached(
            "var_layers", host, lambda: self._var_layers(host))
        return list(found)

    def _var_layers(self, host: str) -> list[Mapping[str, Any]]:
        groups = self._sorted_groups(host)
        dirs = [*self.vars_dirs, *([self.playbook_vars] if self.playbook_vars else [])]
        layers: list[Mapping[str, Any] | None] = [self.groups[ALL].vars]
        layers += [self.groups[name].vars for name in groups]
        layers += [d.group_vars.get(ALL) for d in dirs]
        layers += [d.group_vars.get(name) for d in self.vars_dirs for name in groups]
        if self.playbook_vars is not None:
            layers += [self.playbook_vars.group_vars.get(name) for name in groups]
        layers.append(self._own_vars(host))
        layers += [d.host_vars.get(host) for d in dirs]
        return [layer for layer in layers if layer]

    def host_vars(self, host: str) -> dict[str, Any]:
        """The merged inventory variables of `host` (what ``ansible-inventory`` shows)."""
        merged: dict[str, Any] = {}
        for layer in self.var_layers(host):
            merged.update(layer)
        return merged

    def _own_vars(self, host: str) -> Mapping[str, Any]:
        if self.is_implicit(host):
            return implicit_localhost_vars(self.python)
        return self.hosts[host].vars

    def _host_groups(self, host: str) -> set[str]:
        if self.is_implicit(host):
            return set()
        if host not in self.hosts:
            raise KeyError(host)
        todo = [g.name for g in self.groups.values() if host in g.hosts]
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(self.groups[name].parents)
        return seen

    def _sorted_groups(self, host: str) -> list[str]:
        names = [self.groups[n] for n in self._host_groups(host) if n != ALL]
        return [g.name for g in sorted(names, key=lambda g: (g.depth, g.priority, g.name))]


def load_inventory(sources: Sequence[str], playbook_dir: str | None) -> Inventory:
    """Read every source in order into one inventory, with its vars files.

    No sources give an empty inventory (only the implicit localhost can be targeted).
    """
    builder = InventoryBuilder()
    bases: list[str] = []
    parsed = 0
    for source in sources:
        base = _load_source(source, builder)
        if base == _UNPARSED:
            continue
        parsed += 1
        if base is not None and base not in bases:
            bases.append(base)
    hosts, groups = builder.freeze()
    host_names = [*hosts, *(name for name in LOCALHOST_NAMES if name not in hosts)]
    return Inventory(
        hosts=hosts,
        groups=groups,
        sources=tuple(sources),
        warnings=tuple(builder.warnings),
        parsed=parsed,
        vars_dirs=tuple(load_vars_dir(base, groups, host_names) for base in bases),
        playbook_vars=load_vars_dir(playbook_dir, groups, host_names) if playbook_dir else None,
    )


_UNPARSED = "\0unparsed"


def _load_source(source: str, builder: InventoryBuilder) -> str | None:
    """Parse one ``-i`` value; return the directory whose vars files apply, if any, or
    `_UNPARSED` (with a warning) for a source that does not exist."""
    path = Path(source).expanduser()
    if "," in source and not path.exists():
        _load_host_list(source, builder)
        return None
    if path.is_dir():
        _load_dir(path, builder)
        return str(path)
    if path.is_file():
        _load_file(path, builder)
        return str(path.parent)
    # Ansible warns and goes on with what it could parse (the implicit localhost at least).
    builder.warnings.append(f"Unable to parse {path.absolute()} as an inventory source")
    return _UNPARSED


def _load_host_list(source: str, builder: InventoryBuilder) -> None:
    for item in source.split(","):
        entry = item.strip()
        if entry:
            name, port = split_port(entry, allow_ranges=False)
            if name not in builder.hosts:
                builder.add_host(name, "ungrouped", port)


def _load_dir(path: Path, builder: InventoryBuilder) -> None:
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name.startswith(".") or name in _SKIPPED_NAMES or name.endswith(_SKIPPED_SUFFIXES):
            continue
        if entry.is_dir():
            _load_dir(entry, builder)
        else:
            _load_file(entry, builder)


def _load_file(path: Path, builder: InventoryBuilder) -> None:
    """YAML for .yml/.yaml/.json; INI otherwise, unless an unsuffixed file is a YAML map."""
    if path.suffix in _YAML_SUFFIXES:
        parse_yaml(str(path), load_file(path).data, builder)
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"cannot read inventory file {path}: {exc}") from None
    if not path.suffix:
        try:
            data = loads(text, str(path))
        except YamlError:
            data = None
        if isinstance(data, dict):
            parse_yaml(str(path), data, builder)
            return
    parse_ini(str(path), text, builder)
