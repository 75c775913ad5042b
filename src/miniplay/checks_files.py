"""Files a playbook names: finding them, loading them once, and where checks stand.

Takes: file names as written in a playbook (`import_tasks`, `include_tasks`,
`vars_files`, `import_playbook`) and the `Scope` they appear in. Gives: the resolved
path (or None when missing), the loaded YAML (once per path, whatever the number of
imports) or a `yaml-syntax` diagnostic, and the modules in a `library/` folder.
Raises: nothing; unreadable files become diagnostics.

A name is looked up beside the file that names it, then in the playbook's directory,
as Ansible does for task files; templated names are only known at run time and are
never looked up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from miniplay.errors import MiniplayError, Position
from miniplay.loader import load_file
from miniplay.paths import module_name
from miniplay.roles import task_file_candidates
from miniplay.schema import Diagnostic, error


@dataclass(frozen=True, slots=True)
class Scope:
    """Where the nodes being checked come from and what surrounds them."""

    file: str
    base: Path
    kind: str = "task"
    handlers: frozenset[str] | None = None
    chain: tuple[str, ...] = field(default=())
    guarded: str | None = None  # why a failure here does not stop the play (rescue...)
    collections: bool = False  # a play or block names collections to find modules in
    dynamic: bool = False  # in a file include_tasks reads at run time
    defaults: bool = False  # under module_defaults: arguments may come from there

    def inside(self, file: str, real: str, dynamic: bool = False) -> Scope:
        """The scope of a task file imported (or, `dynamic`, included) from this one."""
        return Scope(file, self.base, self.kind, self.handlers, (*self.chain, real),
                     self.guarded, self.collections, self.dynamic or dynamic, self.defaults)

    def guarded_by(self, why: str | None) -> Scope:
        """This scope, its tasks' failures caught (`why`: the rescue or ignore_errors)."""
        return self if why is None or self.guarded else replace(self, guarded=why)


def diag_from(exc: MiniplayError, rule: str, fallback: Position | None) -> Diagnostic:
    """A diagnostic carrying a `MiniplayError`'s message, place and hint."""
    if "Vault" in exc.message:  # Ansible reads it: miniplay refuses it by name
        return error("not-built", exc.message, exc.pos or fallback,
                     exc.hint or "decrypt it, or pass the value with -e")
    return error(exc.rule or rule, exc.message, exc.pos or fallback, exc.hint)


class Sources:
    """Loads each YAML file once and finds files and library modules by name."""

    def __init__(self) -> None:
        self._docs: dict[str, tuple[Any, Diagnostic | None]] = {}
        self._library: dict[Path, frozenset[str]] = {}

    def load(self, path: str) -> tuple[Any, Diagnostic | None]:
        """The data of the YAML file at `path`, or a diagnostic saying why not."""
        if path not in self._docs:
            try:
                self._docs[path] = (load_file(path).data, None)
            except MiniplayError as exc:
                self._docs[path] = (None, diag_from(exc, "yaml-syntax", Position(path, 1, 1)))
        return self._docs[path]

    def remember(self, path: str, data: Any) -> None:
        """Record data already loaded for `path` (a playbook read by the caller)."""
        self._docs[path] = (data, None)

    def library(self, base: Path) -> frozenset[str]:
        """Module names in `base/library/` (see `paths.module_name`)."""
        if base not in self._library:
            folder = base / "library"
            names: set[str] = set()
            if folder.is_dir():
                for entry in folder.iterdir():
                    name = module_name(entry.name) if entry.is_file() else None
                    if name is not None:
                        names.add(name)
            self._library[base] = frozenset(names)
        return self._library[base]


def resolve(name: str, scope: Scope) -> str | None:
    """Path of the file `name` (beside `scope.file`, in its role, then in the playbook
    dir: `roles.task_file_candidates`), or None."""
    for candidate in task_file_candidates(name, scope.file, scope.base):
        if candidate.is_file():
            return os.path.normpath(candidate)
    return None


def missing(what: str, name: str, pos: Position | None, scope: Scope) -> Diagnostic:
    """The `missing-file` diagnostic for `name`."""
    return error("missing-file", f"{what} names a file that does not exist: {name}", pos,
                 f"looked beside {scope.file} and in {scope.base}/")


def real(path: str) -> str:
    """A path's identity for cycle detection (symlinks and `..` resolved)."""
    return os.path.realpath(path)
