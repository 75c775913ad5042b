"""Static checks of task lists: tasks, blocks, handlers, and the task files they import.

Takes: a list of task nodes as loaded (`YamlMap`s with positions) and the `Scope` they
sit in (file, playbook directory, task or handler, the play's handler names). Gives:
`Diagnostic`s — schema problems, `not-built` keywords, `loop-and-with`, the action
checks of `checks_actions`, `unknown-module`, module arguments (`checks_args`), Jinja
syntax (`checks_jinja`), `unknown-handler`, `missing-file`, `import-cycle` — with
positions in the file each node comes from. Raises: nothing.

`import_tasks` and `include_tasks` files are checked too, once per (file, scope), in
the context of the importing play; an import cycle is an error, an include cycle is
legitimate (a recursive include with a `when`) and simply not followed again.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from miniplay.checks_actions import Action, find_action
from miniplay.checks_args import check_args, unknown_option_hint
from miniplay.checks_files import Scope, Sources, missing, real, resolve
from miniplay.checks_guards import deferred, guard_of, maybe_reached
from miniplay.checks_jinja import CONDITION_KEYS, JinjaChecker, is_template
from miniplay.checks_modules import unknown_module
from miniplay.keywords import (
    HANDLER_KEYWORDS,
    NOT_BUILT,
    TASK_KEYWORDS,
    is_loop_keyword,
    loop_problem,
)
from miniplay.loader import YamlMap, YamlSeq
from miniplay.paths import modules_dir
from miniplay.schema import (
    ALIASES,
    CHILD_LISTS,
    Diagnostic,
    NodeValidator,
    SchemaSet,
    describe,
    did_you_mean,
    error,
)

BARE_ARGS = {"assert": frozenset({"that"}), "debug": frozenset({"var"})}
TASK_FILES = frozenset({"import_tasks", "include_tasks"})
ROLE_ACTIONS = frozenset({"include_role", "import_role"})
INCLUDE_KEYWORDS = frozenset({
    "action", "args", "collections", "debugger", "ignore_errors", "loop", "loop_control",
    "name", "no_log", "register", "run_once", "tags", "timeout", "vars", "when",
})


def not_built(node: YamlMap, kind: str = "task") -> list[Diagnostic]:
    """A `not-built` error for each keyword miniplay refuses rather than ignores (an
    old alias, a play's `user`, as its keyword `remote_user`)."""
    aliases = ALIASES.get(kind, {})
    found: list[Diagnostic] = []
    for key in node:
        word = aliases.get(key, key)
        if word in NOT_BUILT:
            alias = f" (an alias of `{word}`)" if word != key else ""
            found.append(error("not-built", f"miniplay does not run `{key}`{alias} yet",
                               node.key_pos.get(key), NOT_BUILT[word]))
    return found


def names_of(value: Any) -> list[str]:
    """A `notify`/`listen` value as a list of names (string or list of strings)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


class TaskChecker:
    """Checks task lists; owns the caches that make a 1,000-task file quick."""

    def __init__(self, schemas: SchemaSet, jinja: JinjaChecker, sources: Sources) -> None:
        self.schemas = schemas
        self.jinja = jinja
        self.sources = sources
        self.builtin = schemas.builtin_modules() | frozenset(
            path.stem for path in modules_dir().glob("*.py") if not path.stem.startswith("_"))
        self._done: set[tuple[str, str, frozenset[str] | None]] = set()
        self._modules: dict[Path, frozenset[str]] = {}
        self._schemas: dict[tuple[str, Path | None], NodeValidator | None] = {}

    def modules(self, scope: Scope) -> frozenset[str]:
        """Module names known to tasks of `scope`: built-in and `library/`."""
        known = self._modules.get(scope.base)
        if known is None:
            known = self._modules[scope.base] = self.builtin | self.sources.library(scope.base)
        return known

    def module_schema(self, module: str, scope: Scope | None) -> NodeValidator | None:
        """The argument validator of `module` (a `library/` schema wins), if any."""
        key = (module, scope.base if scope is not None else None)
        if key not in self._schemas:
            self._schemas[key] = self.schemas.module_schema(self._schema_path(module, scope))
        return self._schemas[key]

    def check_nodes(self, items: Any, scope: Scope) -> list[Diagnostic]:
        """Every task and block in the list `items`, depth first."""
        if not isinstance(items, YamlSeq):
            return []
        found: list[Diagnostic] = []
        for index, node in enumerate(items):
            if not isinstance(node, YamlMap):
                found.append(error("schema", f"a {scope.kind} must be a mapping, got "
                                   f"{_words(node)}", items.pos_of(index)))
            elif "block" in node:
                found += self.check_block(node, scope)
            else:
                found += self.check_task(node, scope)
        return found

    def check_block(self, node: YamlMap, scope: Scope) -> list[Diagnostic]:
        """A block's own keywords, then its block/rescue/always tasks."""
        found = self.schemas.check_node("block", node) + not_built(node)
        found += self.keyword_templates(node)
        found += self.check_notify(node, scope)
        inner = scope.guarded_by(guard_of(node))
        if "collections" in node or "module_defaults" in node:
            inner = replace(inner, collections=inner.collections or "collections" in node,
                            defaults=inner.defaults or "module_defaults" in node)
        found += self.check_nodes(node.get("block"), inner.guarded_by(
            "the block's rescue" if node.get("rescue") else None))
        for key in ("rescue", "always"):
            found += self.check_nodes(node.get(key), inner)
        return found

    def check_task(self, node: YamlMap, scope: Scope) -> list[Diagnostic]:
        """One task or handler: keywords, action, arguments, templates, notify, files."""
        found = self.schemas.check_node(scope.kind, node) + not_built(node)
        found += _loops(node)
        keywords = HANDLER_KEYWORDS if scope.kind == "handler" else TASK_KEYWORDS
        modules = self.modules(scope)
        action, problems = find_action(node, keywords, modules)
        found += problems
        found += self.keyword_templates(node, skip=action.key if action else None)
        if action is not None:
            found += self.check_action(action, node, scope.guarded_by(guard_of(node)), modules)
        found += self.check_notify(node, scope)
        why = scope.guarded or guard_of(node)
        return deferred(found, why) if why is not None else found

    def keyword_templates(self, node: YamlMap, skip: str | None = None) -> list[Diagnostic]:
        """Jinja syntax in every keyword value of `node` except child lists and `skip`."""
        found: list[Diagnostic] = []
        for key, value in node.items():
            if key in CHILD_LISTS or key == skip:
                continue
            if isinstance(value, str | YamlMap | YamlSeq):
                more = self.jinja.scan(value, str(key), node.pos_of(key),
                                       key in CONDITION_KEYS)
                found += deferred(more, "being a variable, rendered only when used") \
                    if key == "vars" else more
        return found

    def check_action(self, action: Action, node: YamlMap, scope: Scope,
                     modules: frozenset[str]) -> list[Diagnostic]:
        """Unknown or unbuilt module, arguments, templates in them, task files."""
        key_pos = node.key_pos.get(action.key, action.pos)
        if is_template(action.module):  # the action is named per host at run time
            return self.action_templates(action, node)
        if action.module not in modules:
            found = [unknown_module(action.module, key_pos, scope.file, scope.base, modules,
                                    scope.collections)]
            if action.key in ("action", "local_action"):  # Ansible resolves it at run time
                return deferred(found, "`action:`, named when the task runs")
            return found
        found = self.action_templates(action, node)
        if "async" in node:
            found += self.check_async(action, node)
        if not action.dynamic:
            found += self.check_arguments(action, scope, "module_defaults" in node)
        if action.module in TASK_FILES:
            inner = self.check_task_file(action, scope)
            why = maybe_reached(node, scope) if action.module == "include_tasks" else None
            found += deferred(inner, why, everything=True) if why is not None else inner
        if action.module in ("include_tasks", "include_role"):  # imports take any
            found += _include_keywords(action, node, scope)
        return found

    def action_templates(self, action: Action, node: YamlMap) -> list[Diagnostic]:
        """Jinja syntax in the action's value; `assert.that`/`debug.var` are expressions."""
        bare = BARE_ARGS.get(action.module, frozenset())
        value = node[action.key]
        if not isinstance(value, YamlMap):
            return self.jinja.scan(value, action.module, action.pos)
        found: list[Diagnostic] = []
        for key, item in value.items():
            found += self.jinja.scan(item, f"{action.module}.{key}", value.pos_of(key),
                                     key in bare)
        return found

    def check_async(self, action: Action, node: YamlMap) -> list[Diagnostic]:
        """`async` on an action that only runs on the controller fails at run time."""
        schema = self.module_schema(action.module, None)
        if schema is None or schema.schema.get("x-supports-async", True):
            return []
        return [error("async-unsupported", f"this action ({action.module}) does not support "
                      "async", node.key_pos.get("async"), "remove `async`/`poll` from this task")]

    def check_arguments(self, action: Action, scope: Scope,
                        defaults: bool = False) -> list[Diagnostic]:
        """The module's arguments against its schema (when it has one). Under
        `module_defaults` (refused as not built) a missing argument may be given there;
        include_tasks without a file fails only when it runs."""
        schema = self.module_schema(action.module, scope)
        if schema is None:
            return []
        found = check_args(action.module, action.args, action.source, action.pos, schema)
        if scope.defaults or defaults:
            found = [d for d in found if not d.message.startswith("missing required")]
        found = [_not_built_option(action, _with_options_hint(diag, schema.schema),
                                   schema.schema) for diag in found]
        if action.module == "include_tasks" and not any(action.args.values()):
            return deferred(found, "an include, whose file is named when it runs")
        return found

    def _schema_path(self, module: str, scope: Scope | None) -> Path:
        if scope is not None and module in self.sources.library(scope.base):
            return scope.base / "library" / f"{module}.schema.json"
        return self.schemas.root / "modules" / f"{module}.schema.json"

    def check_task_file(self, action: Action, scope: Scope) -> list[Diagnostic]:
        """`import_tasks`/`include_tasks`: the file exists, and its tasks are checked."""
        name = action.args.get("file", action.args.get("_raw_params"))
        if not isinstance(name, str) or is_template(name):
            return []
        path = resolve(name, scope)
        if path is None:
            absent = [missing(action.module, name, action.pos, scope)]
            return deferred(absent, "an include, which may name a file an earlier task "
                            "writes") if action.module == "include_tasks" else absent
        identity = real(path)
        if identity in scope.chain or identity == real(scope.file):
            if action.module == "include_tasks":
                return []
            return [error("import-cycle", f"import_tasks cycle: {name} imports itself "
                          "(directly or through other files)", action.pos,
                          "use include_tasks with a `when` for recursion")]
        inner = scope.inside(path, identity, dynamic=action.module == "include_tasks")
        return self.check_task_file_content(path, inner)

    def check_task_file_content(self, path: str, scope: Scope) -> list[Diagnostic]:
        """The tasks of a task file, checked once per (file, kind, handlers)."""
        key = (real(path), scope.kind, scope.handlers)
        if key in self._done:
            return []
        self._done.add(key)
        data, problem = self.sources.load(path)
        if problem is not None:
            return [problem]
        if data is not None and not isinstance(data, YamlSeq):
            return [error("schema", f"a task file must be a list of tasks, got {_words(data)}",
                          getattr(data, "pos", None))]
        return self.check_nodes(data, scope)

    def check_notify(self, node: YamlMap, scope: Scope) -> list[Diagnostic]:
        """Each `notify` name must be a handler's name or `listen` topic in the play."""
        if scope.handlers is None or "notify" not in node:
            return []
        value = node["notify"]
        found: list[Diagnostic] = []
        for index, name in enumerate(names_of(value)):
            if is_template(name) or name in scope.handlers:
                continue
            pos = value.pos_of(index) if isinstance(value, YamlSeq) else node.pos_of("notify")
            found.append(Diagnostic(  # an error only if the task reports a change
                "unknown-handler", "warning", f"notify names no handler: '{name}' is "
                "neither a handler name nor a listen topic in this play", pos,
                did_you_mean(name, scope.handlers, 0.6) or "Ansible (and miniplay) stop "
                "the run when a changed task notifies it"))
        return found


def collect_handlers(checker: TaskChecker, items: Any, scope: Scope) -> frozenset[str] | None:
    """Names and `listen` topics of the handlers under `items` (None: not knowable)."""
    names: set[str] = set()
    for node in items if isinstance(items, YamlSeq) else ():
        if not isinstance(node, YamlMap):
            continue
        inner = _inner_handlers(checker, node, scope)
        if inner is None:
            return None
        names |= inner
    return frozenset(names)


def _inner_handlers(checker: TaskChecker, node: YamlMap, scope: Scope) -> set[str] | None:
    if "block" in node:
        parts = [collect_handlers(checker, node.get(key), scope)
                 for key in ("block", "rescue", "always")]
        return None if any(part is None for part in parts) else set().union(*parts)  # type: ignore[arg-type]
    names = set(names_of(node.get("name"))) | set(names_of(node.get("listen")))
    if any(is_template(name) for name in names):
        return None
    file = _task_file(node)
    if file is None:
        return names
    path = resolve(file, scope) if not is_template(file) else None
    if path is None or real(path) in scope.chain:
        return names if not is_template(file) else None
    data, _ = checker.sources.load(path)
    inner = collect_handlers(checker, data, scope.inside(path, real(path)))
    return None if inner is None else names | inner


def uses_roles(items: Any) -> bool:
    """Whether any task under `items` runs a role (whose handlers are then unknown here)."""
    for node in items if isinstance(items, YamlSeq) else ():
        if not isinstance(node, YamlMap):
            continue
        if any(isinstance(key, str) and key.rsplit(".", 1)[-1] in ROLE_ACTIONS for key in node):
            return True
        if "block" in node and any(uses_roles(node.get(k)) for k in ("block", "rescue", "always")):
            return True
    return False


def _task_file(node: YamlMap) -> str | None:
    for key in node:
        if isinstance(key, str) and key.rsplit(".", 1)[-1] in TASK_FILES:
            value = node[key]
            if isinstance(value, str):
                return value.split()[0] if value.split() else None
            if isinstance(value, YamlMap) and isinstance(value.get("file"), str):
                return str(value["file"])
    return None


def _include_keywords(action: Action, node: YamlMap, scope: Scope) -> list[Diagnostic]:
    """Keywords Ansible refuses on a dynamic include ("not a valid attribute for a
    TaskInclude"): only `INCLUDE_KEYWORDS` (and a handler's `listen`) are allowed."""
    allowed = INCLUDE_KEYWORDS | ({"listen"} if scope.kind == "handler" else set())
    return [error("schema", f"`{key}` is not a valid keyword for {action.module}",
                  node.key_pos.get(key), f"{action.module} takes only: "
                  f"{', '.join(sorted(allowed))}; put `{key}` on the included tasks "
                  "(or in `apply:` of include_tasks/include_role)")
            for key in node if isinstance(key, str) and key != action.key
            and key not in allowed and not is_loop_keyword(key)]


def _loop_rule(message: str) -> str:
    if "not built" in message:
        return "not-built"
    return "schema" if message.startswith("you must specify") else "unknown-keyword"


def _loops(node: YamlMap) -> list[Diagnostic]:
    loops = [key for key in node if isinstance(key, str) and is_loop_keyword(key)]
    problems = [(key, loop_problem(key, node[key])) for key in loops]
    found = [error(_loop_rule(problem[0]), problem[0], node.key_pos.get(key), problem[1])
             for key, problem in problems if problem is not None]
    if found or len(loops) < 2:
        return found
    return [error("loop-and-with", f"duplicate loop in task: {loops[1]}",
                  node.key_pos.get(loops[1]), f"use one loop keyword: `loop` (or the older "
                  f"`with_*`), not both `{loops[0]}` and `{loops[1]}`")]


def _not_built_option(action: Action, diag: Diagnostic, spec: Any) -> Diagnostic:
    """An option (or choice) Ansible's module has and miniplay's does not: refused by
    name as not built (the schema's `x-not-built`, `x-not-built-choices`)."""
    for option in spec.get("x-not-built", ()):
        if diag.message == f"unknown {action.module} option `{option}`":
            return replace(diag, rule="not-built", message=f"miniplay's {action.module} "
                           f"does not have Ansible's option `{option}` yet",
                           hint="leave it out, or use a module from library/ that has it")
    for option, choices in spec.get("x-not-built-choices", {}).items():
        value = action.args.get(option)
        if isinstance(value, str) and value in choices and f"`{option}`" in diag.message:
            return replace(diag, rule="not-built", message=f"miniplay's {action.module} "
                           f"does not have Ansible's {option}={value} yet")
    return diag


def _with_options_hint(diag: Diagnostic, spec: Any) -> Diagnostic:
    if diag.hint is not None or not diag.message.startswith("unknown "):
        return diag
    return replace(diag, hint=unknown_option_hint("", spec))


def _words(value: Any) -> str:
    return describe(value)
