"""Finding roles and reading their parts.

Takes: a role name (or path) and where to look. Gives: a `RoleSource` — its folder,
defaults, vars, the data of its tasks and handlers files, and its `meta/main.yml`
dependencies. Raises: `PlaybookError` (positioned at the reference) for a role that is
not found or a part that is not what Ansible expects.

Lookup order is Ansible's: `roles/` beside the playbook, the `roles_path` folders
(`ANSIBLE_ROLES_PATH`, colon-separated), then the playbook's own folder; a name with a
slash may be a path. Each part is `<part>/main.yml` (or `.yaml`, or no extension), or
the `*_from` file a reference asks for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miniplay.errors import PlaybookError, Position
from miniplay.loader import YamlMap, YamlSeq, load_file, plain


@dataclass(frozen=True, slots=True)
class RoleSource:
    """A role on disk, its variables loaded, its task files not yet parsed."""

    name: str
    path: Path
    defaults: Mapping[str, Any] = field(default_factory=dict)
    vars: Mapping[str, Any] = field(default_factory=dict)
    tasks_file: Path | None = None
    handlers_file: Path | None = None
    dependencies: tuple[Any, ...] = ()
    dependency_list: YamlSeq | None = None
    allow_duplicates: bool = False  # meta/main.yml: run again for the same parameters


def search_paths(playbook_dir: str) -> list[Path]:
    """Where roles are looked up, first match wins."""
    paths = [Path(playbook_dir) / "roles"]
    env = os.environ.get("ANSIBLE_ROLES_PATH", "")
    paths += [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    paths.append(Path(playbook_dir))
    return paths


def find_role(name: str, playbook_dir: str, pos: Position | None) -> Path:
    """The folder of role `name`."""
    if not name.strip():
        raise PlaybookError("a role reference names no role", pos,
                            "give the role's name (`name: ROLE` or `role: ROLE`)")
    candidates = [base / name for base in search_paths(playbook_dir)]
    if "/" in name or name.startswith("."):
        candidates.insert(0, Path(playbook_dir) / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    looked = ", ".join(str(c.parent) for c in candidates)
    raise PlaybookError(f"the role '{name}' was not found in {looked}", pos,
                        "create roles/NAME/tasks/main.yml beside the playbook, or set "
                        "ANSIBLE_ROLES_PATH")


def part_file(role: Path, part: str, name: str = "main") -> Path | None:
    """`<role>/<part>/<name>.yml` (or .yaml, or no extension), if present."""
    for suffix in (".yml", ".yaml", ""):
        candidate = role / part / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _mapping(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    data = load_file(path).data
    if data is None:
        return {}
    if not isinstance(data, YamlMap):
        raise PlaybookError(f"{path} must hold a mapping of variables", Position(str(path), 1, 1))
    return plain(data)  # type: ignore[no-any-return]


def load_role(name: str, playbook_dir: str, pos: Position | None,
              choices: Mapping[str, str] | None = None) -> RoleSource:
    """Read role `name`; `choices` holds `tasks_from`, `vars_from`... of the reference."""
    chosen = dict(choices or {})
    path = find_role(name, playbook_dir, pos)
    meta = part_file(path, "meta")
    deps: YamlSeq | None = None
    duplicates = False
    if meta is not None:
        data = load_file(meta).data
        if isinstance(data, YamlMap) and isinstance(data.get("dependencies"), YamlSeq):
            deps = data["dependencies"]
        if isinstance(data, YamlMap):
            duplicates = str(data.get("allow_duplicates", False)).lower() in (
                "true", "yes", "on", "1")
    return RoleSource(
        name=name,
        path=path,
        defaults=_mapping(part_file(path, "defaults", chosen.get("defaults_from", "main"))),
        vars=_mapping(part_file(path, "vars", chosen.get("vars_from", "main"))),
        tasks_file=part_file(path, "tasks", chosen.get("tasks_from", "main")),
        handlers_file=part_file(path, "handlers", chosen.get("handlers_from", "main")),
        dependencies=tuple(deps or ()),
        dependency_list=deps,
        allow_duplicates=duplicates,
    )


def role_root_of(file: str | os.PathLike[str]) -> Path | None:
    """The role folder a role's task or handler file sits in (``ROLE/tasks/x.yml``,
    ``ROLE/handlers/main.yml``, ``ROLE/tasks/sub/y.yml``), or None outside a role."""
    for parent in list(Path(file).parents)[:3]:
        if parent.name in ("tasks", "handlers") and (parent.parent / "tasks").is_dir():
            return parent.parent
    return None


def task_file_candidates(name: str, including: str | os.PathLike[str],
                         playbook_dir: str | os.PathLike[str]) -> list[Path]:
    """Where `include_tasks`/`import_tasks` look for `name`, in Ansible's order: beside
    the including file; in a role, the role's `tasks/` and then the role folder (so a
    handler's `include_tasks: restart.yml` finds ``ROLE/tasks/restart.yml`` and
    ``tasks/restart.yml`` works from anywhere in the role); then the playbook's folder."""
    path = Path(name).expanduser()
    if path.is_absolute():
        return [path]
    found = [Path(including).parent / path]
    role = role_root_of(including)
    if role is not None:
        found += [role / "tasks" / path, role / path]
    found.append(Path(playbook_dir) / path)
    return found


def vars_file_candidates(name: str, play_dir: str | os.PathLike[str],
                         playbook_dir: str | os.PathLike[str]) -> list[Path]:
    """Where a play's `vars_files` entry is looked for, in Ansible's order: the play's
    folder's `vars/` then the folder itself, then the same in the first playbook's folder
    (`vars/` skipped when the name already starts with it)."""
    path = Path(name).expanduser()
    if path.is_absolute():
        return [path]
    found: list[Path] = []
    for folder in dict.fromkeys((Path(play_dir), Path(playbook_dir))):
        if path.parts[:1] != ("vars",):
            found.append(folder / "vars" / path)
        found.append(folder / path)
    return found
