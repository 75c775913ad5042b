"""``group_vars/`` and ``host_vars/`` beside an inventory source or a playbook.

Takes: a base directory and the group and host names to look up. Gives: a frozen
`VarsDir` mapping each name that has files to its merged variables. Raises:
`YamlError` for a file that does not parse and `InventoryError` for one whose top level
is not a mapping.

Files are found as ansible-core's ``host_group_vars`` plugin finds them: for a name, the
first of ``<name>``, ``<name>.yml``, ``<name>.yaml``, ``<name>.json`` that exists wins;
when it is a directory, every file in it (recursively, sorted, skipping hidden files,
backups ``*~`` and unknown extensions) is loaded and merged, later files winning.
Everything is read once, at load time, so the `Inventory` does no I/O later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from miniplay.errors import InventoryError, Position
from miniplay.loader import load_file, plain, position_of

_EXTENSIONS = (".yml", ".yaml", ".json")


@dataclass(frozen=True)
class VarsDir:
    """Variables from ``group_vars/`` and ``host_vars/`` under `base`."""

    base: str
    group_vars: Mapping[str, Mapping[str, Any]]
    host_vars: Mapping[str, Mapping[str, Any]]


def load_vars_dir(base: str, groups: Iterable[str], hosts: Iterable[str]) -> VarsDir:
    """Read the vars files for `groups` and `hosts` found beside `base`."""
    root = Path(base)
    return VarsDir(
        base,
        _load_names(root / "group_vars", groups),
        _load_names(root / "host_vars", hosts),
    )


def _load_names(folder: Path, names: Iterable[str]) -> Mapping[str, Mapping[str, Any]]:
    if not folder.is_dir():
        return MappingProxyType({})
    found: dict[str, Mapping[str, Any]] = {}
    for name in names:
        files = entity_files(folder, name)
        if files:
            merged: dict[str, Any] = {}
            for file in files:
                merged.update(_read_vars(file))
            found[name] = MappingProxyType(merged)
    return MappingProxyType(found)


def entity_files(folder: Path, name: str) -> list[Path]:
    """The vars files for `name` in `folder`, in the order they are merged."""
    for ext in ("", *_EXTENSIONS):
        candidate = folder / f"{name}{ext}"
        if candidate.is_dir():
            return _dir_files(candidate)
        if candidate.exists():
            return [candidate]
    return []


def _dir_files(folder: Path) -> list[Path]:
    files: list[Path] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name.endswith("~"):
            continue
        if entry.is_dir() and not entry.suffix:
            files.extend(_dir_files(entry))
        elif entry.is_file() and (not entry.suffix or entry.suffix in _EXTENSIONS):
            files.append(entry)
    return files


def _read_vars(file: Path) -> dict[str, Any]:
    data = load_file(file).data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InventoryError(
            f"variables file {file} must hold a mapping of names to values",
            position_of(data) or Position(str(file), 1, 1),
            "write name: value lines at the top level",
        )
    result: dict[str, Any] = plain(data)
    return result
