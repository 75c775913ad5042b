"""Static checks of the roles a play uses, and of the files inside those roles.

Takes: a play (`YamlMap` with positions), the `Scope` of its file and the names and
`listen` topics of the play's own handlers (None when they cannot be known). Gives:
`Diagnostic`s and the handler names the play's `notify` may use once its roles are
counted (None when some role cannot be known statically). Raises: nothing.

What is checked, for every role named in `roles:` (a string, or a mapping with `role`
or `name`), by `import_role`/`include_role` (`name` not templated) in the play's task
lists and blocks, in the task files they import, in role task files and in
`meta/main.yml` dependencies:

    missing-role   the role is not found; positioned at the reference, the hint names
                   where miniplay looked (`roles/` beside the playbook, the folders of
                   ANSIBLE_ROLES_PATH, the playbook's folder), as `miniplay.roles` does
    (task checks)  `tasks/main.yml` (or the `tasks_from` file) with the task checks of
                   play tasks, `handlers/main.yml` (or `handlers_from`) with the handler
                   checks, positions in the role's files
    schema         `defaults/` and `vars/` files (or `defaults_from`/`vars_from`) hold a
                   mapping; `meta/main.yml` holds a mapping and a list of dependencies

A play that uses roles gets the handler names of all of them (plain, and as
`ROLE : name`) added to its own, so that `unknown-handler` still holds for it. A role
shipping modules in its `library/` folder may use them: `unknown-module` diagnostics
naming one of those are dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from miniplay.checks_files import Scope, real, resolve
from miniplay.checks_guards import deferred, maybe_reached
from miniplay.checks_jinja import is_template
from miniplay.checks_tasks import (
    ROLE_ACTIONS,
    TASK_FILES,
    TaskChecker,
    collect_handlers,
)
from miniplay.errors import Position
from miniplay.loader import YamlMap, YamlSeq
from miniplay.roles import part_file, search_paths
from miniplay.schema import Diagnostic, describe, error

TASK_SECTIONS = ("pre_tasks", "tasks", "post_tasks", "handlers")
VAR_PARTS = (("defaults", "defaults_from"), ("vars", "vars_from"))


@dataclass(frozen=True, slots=True)
class RoleRef:
    """One place that names a role: the name as written, where, and its `*_from` choices."""

    name: str
    pos: Position
    choices: tuple[tuple[str, str], ...] = ()
    guarded: str | None = None  # an include_role run only maybe: its errors come later
    dynamic: bool = False  # include_role: the role is looked up when the task runs

    def chosen(self, key: str) -> str:
        """The `tasks_from`/`handlers_from`/... file stem asked for, else `main`."""
        return dict(self.choices).get(key, "main")


@dataclass(frozen=True, slots=True)
class FoundRole:
    """A reference whose role folder exists."""

    ref: RoleRef
    path: Path


class RoleChecker:
    """Checks the roles of plays; shares the task checker's caches and sources."""

    def __init__(self, tasks: TaskChecker) -> None:
        self.tasks = tasks
        self.sources = tasks.sources

    def check_play(self, play: YamlMap, scope: Scope,
                   handlers: frozenset[str] | None) -> tuple[list[Diagnostic],
                                                             frozenset[str] | None]:
        """Diagnostics of the play's roles, and the handler names its `notify` may use."""
        refs, known = self.play_refs(play, scope)
        found, roles = self.resolve_all(refs, scope)
        known = known and not any(d.rule in ("missing-role", "not-built") for d in found)
        role_handlers = self.role_handlers(roles, scope)
        if handlers is not None and known and role_handlers is not None:
            handlers = handlers | role_handlers
        else:
            handlers = None
        for role in roles:
            found += self.check_role(role, Scope(scope.file, scope.base, "task", handlers))
        return found, handlers

    # -- finding the references ---------------------------------------------------------

    def play_refs(self, play: YamlMap, scope: Scope) -> tuple[list[RoleRef], bool]:
        """Roles named by the play; False when one of them is templated (unknowable)."""
        refs, known = roles_section(play.get("roles"), play)
        for section in TASK_SECTIONS:
            inner = replace(scope, kind="handler") if section == "handlers" else scope
            more, ok = self.task_refs(play.get(section), inner, ())
            refs += more
            known = known and ok
        return refs, known

    def task_refs(self, items: Any, scope: Scope,
                  chain: tuple[str, ...]) -> tuple[list[RoleRef], bool]:
        """`import_role`/`include_role` under `items` (blocks and task files followed)."""
        refs: list[RoleRef] = []
        known = True
        for node in _task_nodes(items):
            ref, ok = role_action_ref(node, scope)
            known = known and ok
            refs += [ref] if ref is not None else []
            more, ok = self.file_refs(node, scope, chain)
            refs += more
            known = known and ok
        return refs, known

    def file_refs(self, node: YamlMap, scope: Scope,
                  chain: tuple[str, ...]) -> tuple[list[RoleRef], bool]:
        """Role references in the task file an `import_tasks`/`include_tasks` names."""
        name = _task_file_name(node)
        if name is None or is_template(name):
            return [], True
        path = resolve(name, scope)
        if path is None or real(path) in chain:
            return [], True
        data, _ = self.sources.load(path)
        dynamic = any(isinstance(k, str) and k.rsplit(".", 1)[-1] == "include_tasks"
                      for k in node)
        inner = Scope(path, scope.base, scope.kind, scope.handlers,
                      dynamic=scope.dynamic or dynamic)
        return self.task_refs(data, inner, (*chain, real(path)))

    # -- resolving ------------------------------------------------------------------------

    def resolve_all(self, refs: list[RoleRef],
                    scope: Scope) -> tuple[list[Diagnostic], list[FoundRole]]:
        """Each reference found (dependencies and roles used by roles too), or reported."""
        found: list[Diagnostic] = []
        roles: list[FoundRole] = []
        pending = list(refs)
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        while pending:
            ref = pending.pop(0)
            path = locate_role(ref.name, str(scope.base))
            if path is None:
                missing = [missing_role(ref, str(scope.base))]
                found += deferred(missing, "an include_role, which may name a role an "
                                  "earlier task writes") if ref.dynamic else missing
                continue
            key = (real(str(path)), ref.choices)
            if key in seen:
                continue
            seen.add(key)
            roles.append(FoundRole(ref, path))
            problems, inner = self.inner_refs(FoundRole(ref, path), scope)
            found += problems
            pending += [replace(r, guarded=ref.guarded) for r in inner] if ref.guarded \
                else inner
        return found, roles

    def inner_refs(self, role: FoundRole, scope: Scope) -> tuple[list[Diagnostic],
                                                                  list[RoleRef]]:
        """The role's dependencies and the roles its own task files name."""
        found, refs = self.dependencies(role.path)
        for part, key in (("tasks", "tasks_from"), ("handlers", "handlers_from")):
            path = part_file(role.path, part, role.ref.chosen(key))
            if path is not None:
                data, _ = self.sources.load(str(path))
                more, _ = self.task_refs(data, Scope(str(path), scope.base), (real(str(path)),))
                refs += more
        return found, refs

    def dependencies(self, role: Path) -> tuple[list[Diagnostic], list[RoleRef]]:
        """`meta/main.yml`: a mapping whose `dependencies` is a list of role entries."""
        path = part_file(role, "meta")
        if path is None:
            return [], []
        data, problem = self.sources.load(str(path))
        if problem is not None:
            return [problem], []
        if data is None:
            return [], []
        if not isinstance(data, YamlMap):
            return [error("schema", f"a role's meta/main.yml must be a mapping, got "
                          f"{describe(data)}", data_pos(data, path))], []
        deps = data.get("dependencies")
        if deps is None:
            return [], []
        if not isinstance(deps, YamlSeq):
            return [error("schema", f"`dependencies` must be a list of roles, got "
                          f"{describe(deps)}", data.pos_of("dependencies"))], []
        refs, _ = roles_section(deps, data)
        return [], refs

    # -- checking the role's files ----------------------------------------------------------

    def check_role(self, role: FoundRole, scope: Scope) -> list[Diagnostic]:
        """Tasks, handlers, defaults and vars of one role."""
        found: list[Diagnostic] = []
        for part, key, kind in (("tasks", "tasks_from", "task"),
                                ("handlers", "handlers_from", "handler")):
            path = part_file(role.path, part, role.ref.chosen(key))
            if path is not None:
                inner = Scope(str(path), scope.base, kind, scope.handlers, (real(str(path)),))
                found += self.tasks.check_task_file_content(str(path), inner)
        for part, key in VAR_PARTS:
            path = part_file(role.path, part, role.ref.chosen(key))
            if path is not None:
                found += self.check_vars_file(path, part)
        found = self.drop_library_modules(found, role.path)
        why = role.ref.guarded
        return deferred(found, why, everything=True) if why is not None else found

    def check_vars_file(self, path: Path, part: str) -> list[Diagnostic]:
        """A role's defaults or vars file must hold a mapping of variables (or nothing)."""
        data, problem = self.sources.load(str(path))
        if problem is not None:
            return [problem]
        if data is None or isinstance(data, YamlMap):
            return []
        return [error("schema", f"a role's {part} file must be a mapping of variables, got "
                      f"{describe(data)}", data_pos(data, path),
                      "write `name: value` lines at the top level")]

    def drop_library_modules(self, found: list[Diagnostic], role: Path) -> list[Diagnostic]:
        """Forget `unknown-module` for modules the role ships in its `library/`."""
        shipped = self.sources.library(role)
        if not shipped:
            return found
        quoted = {f"'{name}'" for name in shipped}
        return [d for d in found if d.rule != "unknown-module"
                or not any(d.message.endswith(q) for q in quoted)]

    def role_handlers(self, roles: list[FoundRole], scope: Scope) -> frozenset[str] | None:
        """Handler names and listen topics of `roles` (also as `ROLE : name`)."""
        names: set[str] = set()
        for role in roles:
            path = part_file(role.path, "handlers", role.ref.chosen("handlers_from"))
            if path is None:
                continue
            data, _ = self.sources.load(str(path))
            inner = collect_handlers(self.tasks, data, Scope(str(path), scope.base, "handler"))
            if inner is None:
                return None
            names |= inner | {f"{role.path.name} : {name}" for name in inner}
        return frozenset(names)


# -- helpers ---------------------------------------------------------------------------------


def roles_section(entries: Any, owner: YamlMap) -> tuple[list[RoleRef], bool]:
    """References in a `roles:` list or a `dependencies:` list (False: one templated)."""
    if not isinstance(entries, YamlSeq):
        return [], True
    refs: list[RoleRef] = []
    known = True
    for index, entry in enumerate(entries):
        name, pos = entry, entries.pos_of(index)
        if isinstance(entry, YamlMap):
            key = "role" if "role" in entry else "name"
            name, pos = entry.get(key), entry.pos_of(key)
        if not isinstance(name, str) or not name:
            continue  # the schema reports a malformed entry
        if is_template(name):
            known = False
            continue
        refs.append(RoleRef(name, pos))
    return refs, known


def role_action_ref(node: YamlMap, scope: Scope) -> tuple[RoleRef | None, bool]:
    """The role an `import_role`/`include_role` task names (False: templated name)."""
    for key in node:
        if not isinstance(key, str) or key.rsplit(".", 1)[-1] not in ROLE_ACTIONS:
            continue
        args = node[key]
        field = "name" if isinstance(args, YamlMap) and "name" in args else "role"
        if not isinstance(args, YamlMap) or not isinstance(args.get(field), str):
            return None, True  # the module-args check reports it
        name = str(args[field])
        if is_template(name):
            return None, False
        choices = tuple(sorted((k, str(v)) for k, v in args.items()
                               if isinstance(k, str) and k.endswith("_from")
                               and isinstance(v, str) and not is_template(v)))
        dynamic = key.rsplit(".", 1)[-1] == "include_role"
        why = maybe_reached(node, scope) if dynamic else None
        return RoleRef(name, args.pos_of(field), choices, why, dynamic), True
    return None, True


def locate_role(name: str, playbook_dir: str) -> Path | None:
    """The role's folder, looked up as `miniplay.roles.find_role` does, or None."""
    candidates = [base / name for base in search_paths(playbook_dir)]
    if "/" in name or name.startswith("."):
        candidates.insert(0, Path(playbook_dir) / name)
    return next((c for c in candidates if c.is_dir()), None)


def missing_role(ref: RoleRef, playbook_dir: str) -> Diagnostic:
    """The `missing-role` diagnostic, naming every folder looked in (a collection's
    role, `ns.coll.role`, is refused as not built)."""
    if ref.name.count(".") >= 2 and "/" not in ref.name:
        return error("not-built", f"the role '{ref.name}' is a collection's role, which "
                     "miniplay does not load", ref.pos, "put the role in roles/ beside the "
                     "playbook or in ANSIBLE_ROLES_PATH, under a plain name")
    beside = os.path.join(playbook_dir, "roles")
    env = os.environ.get("ANSIBLE_ROLES_PATH", "")
    where = f"ANSIBLE_ROLES_PATH ({env})" if env else "ANSIBLE_ROLES_PATH (not set)"
    hint = (f"looked in {beside}/ beside the playbook, {where} and {playbook_dir}/; "
            f"create {beside}/{ref.name}/tasks/main.yml or add its folder to "
            "ANSIBLE_ROLES_PATH")
    return error("missing-role", f"the role '{ref.name}' was not found", ref.pos, hint)


def data_pos(data: Any, path: Path) -> Position:
    """Where loaded data starts, else the file's first line."""
    pos = getattr(data, "pos", None)
    return pos if isinstance(pos, Position) else Position(str(path), 1, 1)


def _task_nodes(items: Any) -> Iterator[YamlMap]:
    """Every task mapping under `items`, blocks opened (block, rescue, always)."""
    for node in items if isinstance(items, YamlSeq) else ():
        if not isinstance(node, YamlMap):
            continue
        if "block" in node:
            for key in ("block", "rescue", "always"):
                yield from _task_nodes(node.get(key))
        else:
            yield node


def _task_file_name(node: YamlMap) -> str | None:
    for key in node:
        if isinstance(key, str) and key.rsplit(".", 1)[-1] in TASK_FILES:
            value = node[key]
            if isinstance(value, str) and value.split():
                return value.split()[0]
            if isinstance(value, YamlMap) and isinstance(value.get("file"), str):
                return str(value["file"])
    return None
