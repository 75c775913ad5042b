"""Checked playbook data → the frozen model.

Takes: a playbook path (its data already loaded and validated). Gives: a `Playbook` with
`import_playbook` and `import_tasks` inlined, `with_*` turned into loops, free-form
arguments split, and block/play keywords resolved onto each task. Raises:
`PlaybookError` (with a position) for anything the static checks let through.

Keyword inheritance is resolved here, once: Ansible copies a block's `when` onto every
task inside it (so it is re-evaluated per task), unions tags, layers vars, and lets a
task's own scalar keywords win over its parents'. Doing it at parse time keeps the
executor free of parent walks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from miniplay import keywords as kw
from miniplay.errors import PlaybookError, Position, fail
from miniplay.loader import YamlMap, YamlSeq, load_file, plain
from miniplay.model import Block, Expr, Node, Play, Playbook, RoleInfo, Task
from miniplay.parser_args import (
    explicit_action,
    is_template,
    role_name,
    static_name,
    task_args,
    with_args_keyword,
)
from miniplay.parser_failures import Failures, playbook_failures, task_file_failures
from miniplay.parser_inherit import (
    Imported,
    Inherited,
    expr_of,
    optional_conditions,
    strings,
    tags_of,
    vars_files_of,
    vars_of,
)
from miniplay.roles import load_role, task_file_candidates

__all__ = ["IMPORT_PLAYBOOK", "Inherited", "Parser", "parse_included_role", "parse_playbook",
           "parse_task_file"]

IMPORT_PLAYBOOK = ("import_playbook", "ansible.builtin.import_playbook",
                   "ansible.legacy.import_playbook")
class Parser:
    """Builds the model for one playbook file and everything it imports."""

    def __init__(self, path: str, failures: Failures | None = None) -> None:
        self.root = path
        self.failures = failures or Failures()
        self.rescued = 0  # depth of blocks with a rescue around the tasks being parsed
        self.files: list[str] = []
        self.stack: list[str] = []
        self.play_roles: list[RoleInfo] = []
        self.role_handlers: list[Task] = []
        self.roles_done: set[str] = set()
        # role key -> the vars it exports: its dependencies' (recursively), then its own
        self.role_exports: dict[str, dict[str, Any]] = {}
        self.handler_files: set[str] = set()

    def playbook(self) -> Playbook:
        plays = self.plays_of(self.root)
        return Playbook(self.root, tuple(plays), tuple(dict.fromkeys(self.files)))

    def _load(self, path: str, pos: Position | None) -> Any:
        resolved = str(Path(path).resolve())
        if resolved in self.stack:
            fail(PlaybookError, f"{path} imports itself (an import cycle)", pos,
                 "remove the cycle of import_playbook / import_tasks")
        if not Path(path).is_file():
            fail(PlaybookError, f"file not found: {path}", pos,
                 "paths are relative to the file that imports them")
        self.files.append(path)
        return load_file(path).data

    def plays_of(self, path: str, pos: Position | None = None,
                 outer: Imported | None = None) -> list[Play]:
        outer = outer or Imported()
        data = self._load(path, pos)
        if not isinstance(data, YamlSeq):
            fail(PlaybookError, "a playbook must be a list of plays", Position(path, 1, 1),
                 "start each play with `- hosts: ...`")
        self.stack.append(str(Path(path).resolve()))
        plays: list[Play] = []
        for index, item in enumerate(data):
            if not isinstance(item, YamlMap):
                fail(PlaybookError, "each play must be a mapping", data.pos_of(index))
            key = next((k for k in IMPORT_PLAYBOOK if k in item), None)
            if key is not None:
                known = {**vars_of(item), "playbook_dir": str(Path(self.root).parent)}
                name = static_name(str(item[key]), known, "import_playbook",
                                   item.pos_of(key))
                plays.extend(self.plays_of(self._relative(path, name), item.pos_of(key),
                                           outer.entering(item)))
            else:
                plays.append(self.play(item, path, outer))
        self.stack.pop()
        return plays

    @staticmethod
    def _relative(current: str, name: str) -> str:
        candidate = Path(name)
        return str(candidate if candidate.is_absolute() else Path(current).parent / candidate)

    def play(self, data: YamlMap, path: str, outer: Imported | None = None) -> Play:
        if "hosts" not in data:
            fail(PlaybookError, "a play needs `hosts`", data.pos, "add `hosts: all` (or a pattern)")
        outer = outer or Imported()
        play_vars, extra_tags = outer.play_vars(vars_of(data))
        tags = tags_of(data) | outer.tags | extra_tags
        inherited = Inherited(tags=tags).extend(_without(data, "tags", "vars", "notify"))
        gated = replace(inherited, when=outer.when + inherited.when)  # not the handlers
        self.play_roles, self.role_handlers, self.roles_done = [], [], set()
        self.handler_files = set()
        role_tasks = tuple(self.roles_section(data, gated))
        sections = {
            name: tuple(self.nodes(data.get(name), path, gated))
            for name in ("pre_tasks", "tasks", "post_tasks")
        }
        own = self.nodes(data.get("handlers"), path, inherited, handler=True)
        handlers = tuple(node for node in [*self.role_handlers, *own] if isinstance(node, Task))
        return Play(
            hosts=Expr(plain(data["hosts"]), data.pos_of("hosts")),
            pos=data.pos,
            name=None if data.get("name") is None else str(data["name"]),
            key_pos=dict(data.key_pos),
            vars=play_vars,
            vars_files=vars_files_of(data),
            pre_tasks=sections["pre_tasks"],
            role_tasks=role_tasks,
            roles=tuple(self.play_roles),
            roles_done=frozenset(self.roles_done),
            tasks=sections["tasks"],
            post_tasks=sections["post_tasks"],
            handlers=handlers,
            gather_facts=outer.gathering(expr_of(data, "gather_facts"), data.pos),
            gather_subset=expr_of(data, "gather_subset"),
            gather_timeout=expr_of(data, "gather_timeout"),
            fact_path=expr_of(data, "fact_path"),
            serial=expr_of(data, "serial"),
            strategy=str(data.get("strategy") or "linear"),
            order=str(data.get("order") or "inventory"),
            max_fail_percentage=expr_of(data, "max_fail_percentage"),
            any_errors_fatal=expr_of(data, "any_errors_fatal"),
            force_handlers=expr_of(data, "force_handlers"),
            tags=tags,
            check_mode=expr_of(data, "check_mode"),
        )

    def nodes(self, items: Any, path: str, inherited: Inherited,
              handler: bool = False) -> list[Node]:
        if items is None:
            return []
        if not isinstance(items, YamlSeq):
            pos = items.pos if isinstance(items, YamlMap) else Position(path, 1, 1)
            fail(PlaybookError, "a task list must be a YAML list", pos, "start each task with `- `")
        found: list[Node] = []
        for index, item in enumerate(items):
            if not isinstance(item, YamlMap):
                fail(PlaybookError, "a task must be a mapping", items.pos_of(index))
            found.extend(self.node(item, path, inherited, handler))
        return found

    def node(self, data: YamlMap, path: str, inherited: Inherited, handler: bool) -> list[Node]:
        if "block" in data:
            return [self.block(data, path, inherited, handler)]
        problem = self.failures.for_task(data, self._caught(data, inherited))
        if problem is not None:
            return [self.failing(data, problem, inherited, handler)]
        action, key = self.action_of(data)
        if action == "import_tasks":
            return self.import_tasks(data, key, path, inherited, handler)
        if action == "import_role":
            args = kw.parse_args(action, plain(data[key]), data.pos_of(key))
            return self.role_nodes(role_name(args), data.pos_of(key),
                                   inherited.extend(data), {}, _choices(args), once=False,
                                   included=True)
        return [self.task(data, action, key, inherited, handler)]

    def roles_section(self, data: YamlMap, inherited: Inherited) -> list[Node]:
        """The play's `roles:` as task nodes (dependencies first, each role once)."""
        entries = data.get("roles")
        if not isinstance(entries, YamlSeq):
            return []
        nodes: list[Node] = []
        for index, entry in enumerate(entries):
            pos = entries.pos_of(index)
            if isinstance(entry, YamlMap):
                name = str(entry.get("role", entry.get("name", "")))
                nodes += self.role_nodes(name, pos, inherited.extend(entry),
                                         _role_params(entry), {})
            else:
                nodes += self.role_nodes(str(entry), pos, inherited, {}, {})
        return nodes

    def role_nodes(self, name: str, pos: Position, inherited: Inherited,
                   params: dict[str, Any], choices: dict[str, str],
                   once: bool = True, dependency: bool = False,
                   included: bool = False,
                   chain_vars: Mapping[str, Any] | None = None) -> list[Node]:
        """A role's tasks (after its dependencies'); its handlers join the play's.

        A role listed in `roles:` (or as a dependency) runs once per play for the same
        parameters, as in Ansible; `import_role` always adds its tasks. A role imported
        or included (`included`) from another role's task sees the chain of those roles,
        nearest first, in `ansible_parent_role_names`/`_paths` (include params).

        A role's vars, as ansible-core's `Role.get_vars`: those of the roles that depend
        on it (`chain_vars`, outermost first), then what its dependencies export (their
        own dependencies' first), then its own `vars/`."""
        key = _role_key(name, params, choices)
        source = load_role(name, str(Path(self.root).parent), pos, choices)
        if once and key in self.roles_done and not source.allow_duplicates:
            return []
        self.roles_done.add(key)
        nodes: list[Node] = []
        deps = source.dependency_list
        # a dependency sees the params of the roles that depend on it (the dep chain)
        chain = replace(inherited, params={**inherited.params, **params})
        inherited_vars = {**(chain_vars or {}), **source.vars}
        exported: dict[str, Any] = {}
        for index, dep in enumerate(source.dependencies):
            dep_pos = deps.pos_of(index) if deps is not None else pos
            dep_name = dep.get("role", dep.get("name")) if isinstance(dep, dict) else dep
            dep_params = _role_params(dep) if isinstance(dep, dict) else {}
            nodes += self.role_nodes(str(dep_name), dep_pos, chain, dep_params, {},
                                     dependency=True, chain_vars=inherited_vars)
            exported.update(self.role_exports.get(_role_key(str(dep_name), dep_params, {}), {}))
        exported.update(source.vars)
        self.role_exports[key] = exported
        info = RoleInfo(name, str(source.path), source.defaults,
                        {**(chain_vars or {}), **exported}, dependency)
        self.play_roles.append(info)
        scoped = replace(inherited, params={**inherited.params, **params}, role=info)
        parent = inherited.role
        if included and parent is not None:
            scoped = replace(scoped, params={
                **scoped.params,
                "ansible_parent_role_names": [
                    parent.name, *inherited.params.get("ansible_parent_role_names", [])],
                "ansible_parent_role_paths": [
                    str(Path(parent.path).resolve()),
                    *inherited.params.get("ansible_parent_role_paths", [])]})
        nodes += self._role_file(source.tasks_file, scoped, handler=False)
        if str(source.handlers_file) not in self.handler_files:  # a role's handlers once
            self.handler_files.add(str(source.handlers_file))
            self.role_handlers += [n for n in self._role_file(source.handlers_file, scoped, True)
                                   if isinstance(n, Task)]
        return nodes

    def _role_file(self, path: Path | None, inherited: Inherited, handler: bool) -> list[Node]:
        if path is None:
            return []
        data = self._load(str(path), None)
        return self.nodes(data, str(path), inherited, handler)

    def _caught(self, data: YamlMap, inherited: Inherited) -> bool:
        """Whether a failure of this task is caught: ignore_errors, a block's rescue."""
        return "ignore_errors" in data or "ignore_errors" in inherited.scalars \
            or self.rescued > 0

    def block(self, data: YamlMap, path: str, inherited: Inherited, handler: bool) -> Block:
        inner = inherited.extend(data)
        rescued = 1 if data.get("rescue") else 0
        self.rescued += rescued
        try:
            body = tuple(self.nodes(data.get("block"), path, inner, handler))
        finally:
            self.rescued -= rescued
        return Block(
            block=body,
            rescue=tuple(self.nodes(data.get("rescue"), path, inner, handler)),
            always=tuple(self.nodes(data.get("always"), path, inner, handler)),
            pos=data.pos,
            name=None if data.get("name") is None else str(data["name"]),
        )

    def import_tasks(self, data: YamlMap, key: str, path: str, inherited: Inherited,
                     handler: bool) -> list[Node]:
        args = kw.parse_args("import_tasks", data[key], data.pos_of(key))
        name = args.get("file", args.get("_raw_params"))
        if not isinstance(name, str):
            fail(PlaybookError, "import_tasks needs a file name", data.pos_of(key),
                 "write `import_tasks: FILE.yml`")
        name = static_name(name, self._static_vars(inherited.extend(data)), "import_tasks",
                           data.pos_of(key))
        candidates = task_file_candidates(name, path, Path(self.root).parent)
        target = str(next((c for c in candidates if c.is_file()), candidates[0]))
        tasks = self._load(target, data.pos_of(key))
        self.stack.append(str(Path(target).resolve()))
        nodes = self.nodes(tasks, target, inherited.extend(data), handler)
        self.stack.pop()
        return nodes

    def _static_vars(self, inherited: Inherited) -> dict[str, Any]:
        """What a static import's templated name may use."""
        known = {**inherited.vars, **inherited.params, "playbook_dir": str(Path(self.root).parent)}
        if inherited.role is not None:
            known.update(role_path=inherited.role.path, role_name=inherited.role.name)
        return known

    @staticmethod
    def action_of(data: YamlMap) -> tuple[str, str]:
        """The task's short action name and the key it was written under."""
        allowed = kw.HANDLER_KEYWORDS | {"listen"}
        candidates = kw.action_candidates(data, allowed)
        for special in ("action", "local_action"):
            if special in data:
                candidates.append(special)
        if not candidates:
            fail(PlaybookError, "no module/action detected in task", data.pos,
                 "a task needs exactly one module, e.g. `command: echo hi`")
        if len(candidates) > 1:
            fail(PlaybookError, f"conflicting action statements: {', '.join(candidates)}",
                 data.key_pos.get(candidates[1], data.pos),
                 "a task runs exactly one module; is one of these a misspelled keyword?")
        key = candidates[0]
        if key in ("action", "local_action"):
            name, _ = explicit_action(data[key])
            if not name:
                fail(PlaybookError, f"`{key}` does not name a module", data.pos_of(key),
                     f"write `{key}: MODULE key=value ...`")
            return name, key
        return kw.short_name(key), key

    def failing(self, data: YamlMap, message: str, inherited: Inherited,
                handler: bool) -> Task:
        """A task Ansible fails when it runs (see `parser_failures`): a `fail` with the
        problem's words, keeping the task's name, conditions, register and error rules."""
        try:
            own = inherited.extend(data)
        except PlaybookError:
            own = inherited
        return Task(
            action="fail", args={"msg": message}, pos=data.pos, action_pos=data.pos,
            name=None if data.get("name") is None else str(data["name"]),
            key_pos=dict(data.key_pos), when=own.when,
            register=data["register"] if isinstance(data.get("register"), str) else None,
            tags=own.tags, vars=own.vars, params=own.params, is_handler=handler,
            role=own.role,
            listen=strings(data.get("listen")),
            ignore_errors=own.scalars.get("ignore_errors"),
            ignore_unreachable=own.scalars.get("ignore_unreachable"),
            no_log=own.scalars.get("no_log"), run_once=own.scalars.get("run_once"),
            any_errors_fatal=own.scalars.get("any_errors_fatal"),
        )

    def task(self, data: YamlMap, action: str, key: str, inherited: Inherited,
             handler: bool) -> Task:
        problem = self.failures.for_task(data, self._caught(data, inherited))
        if problem is not None:
            return self.failing(data, problem, inherited, handler)
        args = self._args(data, action, key)
        own = inherited.extend(data)
        scalars = dict(own.scalars)
        if key == "local_action":
            scalars["delegate_to"] = Expr("localhost", data.pos_of(key))
        loop, loop_kind = self._loop(data)
        return Task(
            action=action, args=args, pos=data.pos, action_pos=data.key_pos.get(key, data.pos),
            name=None if data.get("name") is None else str(data["name"]),
            key_pos=dict(data.key_pos), when=own.when, loop=loop, loop_kind=loop_kind,
            loop_control=plain(data.get("loop_control") or {}),
            register=None if data.get("register") is None else str(data["register"]),
            failed_when=optional_conditions(data, "failed_when"),
            changed_when=optional_conditions(data, "changed_when"),
            until=optional_conditions(data, "until"),
            notify=own.notify, tags=own.tags, inherited_tags=inherited.tags, vars=own.vars,
            params={**own.params, **vars_of(data)} if action in _INCLUDES else own.params,
            environment=own.environment, listen=strings(data.get("listen")),
            is_handler=handler, role=own.role,
            async_=expr_of(data, "async"), poll=expr_of(data, "poll"),
            retries=expr_of(data, "retries"), delay=expr_of(data, "delay"),
            ignore_errors=scalars.get("ignore_errors"),
            ignore_unreachable=scalars.get("ignore_unreachable"),
            no_log=scalars.get("no_log"), check_mode=scalars.get("check_mode"),
            diff=scalars.get("diff"), delegate_to=scalars.get("delegate_to"),
            delegate_facts=scalars.get("delegate_facts"), run_once=scalars.get("run_once"),
            any_errors_fatal=scalars.get("any_errors_fatal"), timeout=scalars.get("timeout"),
            throttle=scalars.get("throttle"), become=scalars.get("become"),
            become_user=scalars.get("become_user"), become_method=scalars.get("become_method"),
            become_flags=scalars.get("become_flags"),
        )

    @staticmethod
    def _args(data: YamlMap, action: str, key: str) -> dict[str, Any]:
        value = data[key]
        pos = data.pos_of(key)
        if key in ("action", "local_action"):
            value = explicit_action(value)[1]
        name = action if not is_template(action) else ""
        args = task_args(name, plain(value), pos)
        return with_args_keyword(args, plain(data.get("args")))

    @staticmethod
    def _loop(data: YamlMap) -> tuple[Expr | None, str]:
        """The loop expression and its keyword; `with_<lookup>` keeps its raw terms (the
        executor hands them to that lookup). A `with_` word naming no lookup is refused."""
        for key in data:
            if isinstance(key, str) and kw.is_loop_keyword(key):
                problem = kw.loop_problem(key, data[key])
                if problem is not None:
                    fail(PlaybookError, problem[0], data.key_pos.get(key, data.pos), problem[1])
                return Expr(plain(data[key]), data.pos_of(key)), key
        return None, "loop"


_INCLUDES = ("include_tasks", "include_role")


def _role_params(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A role entry's parameters (in `roles:` or `dependencies:`): its keys that are no
    keyword, and its `vars`, which become the role's variables the same way."""
    params = {k: plain(v) for k, v in entry.items()
              if k not in ("role", "name") and k not in kw.TASK_KEYWORDS}
    params.update(plain(entry.get("vars") or {}))
    return params


def _role_key(name: str, params: Mapping[str, Any], choices: Mapping[str, str]) -> str:
    """What makes two uses of a role the same one (it then runs once per play)."""
    return f"{name}:{sorted(params.items())!r}:{sorted(choices.items())!r}"


def _choices(args: dict[str, Any]) -> dict[str, str]:
    """`tasks_from`, `vars_from`, ... of an import_role/include_role."""
    names = ("tasks_from", "vars_from", "defaults_from", "handlers_from")
    return {name: str(args[name]) for name in names if name in args}


def _without(data: YamlMap, *keys: str) -> YamlMap:
    copy = YamlMap(data.pos)
    for key, value in data.items():
        if key not in keys:
            copy[key] = value
            copy.key_pos[key] = data.key_pos[key]
            copy.value_pos[key] = data.value_pos[key]
    return copy


def parse_playbook(path: str) -> Playbook:
    """The model of the playbook at `path` (imports inlined; tasks Ansible fails when
    they run, though it accepts them, made failing tasks: `parser_failures`)."""
    return Parser(path, playbook_failures(path)).playbook()


def parse_task_file(path: str, root: str, inherited: Inherited) -> list[Node]:
    """Tasks of a file included at run time (`include_tasks`), with the include's keywords;
    a task with a problem fails when it runs, as in Ansible."""
    parser = Parser(root, task_file_failures(path, str(Path(root).parent)))
    return parser.nodes(parser._load(path, None), path, inherited)


def parse_included_role(name: str, root: str, inherited: Inherited, args: dict[str, Any],
                        pos: Position, done: set[str] | None = None,
                        ) -> tuple[list[Node], list[Task]]:
    """Tasks and handlers of a role included at run time (`include_role`); the caller
    adds the handlers to the running play's, as ansible-core does. `done` holds the
    roles the play ran so far: a dependency among them is not run again (the set is
    updated with what this include runs)."""
    playbook_dir = str(Path(root).parent)
    tasks = load_role(name, playbook_dir, pos, _choices(args)).tasks_file
    failures = task_file_failures(str(tasks), playbook_dir) if tasks is not None else None
    parser = Parser(root, failures)
    if done is not None:
        parser.roles_done = done
    nodes = parser.role_nodes(name, pos, inherited, {}, _choices(args), once=False,
                              included=True)
    return nodes, parser.role_handlers
