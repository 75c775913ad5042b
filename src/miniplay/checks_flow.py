"""Data-flow checks: variables read before anything can define them, and async jobs.

Takes: a playbook's path and loaded data (after the structural checks), the `Sources`
cache and the built-in module names of the run, and `FlowSettings` (names given with
`-e`, inventories). Gives: `Diagnostic`s — `undefined-variable` warnings ("`x` is used at
site.yml:14:9 but never registered; did you mean `y` registered at site.yml:8:5?") and
the async rules of `checks_flow_async`. Raises: nothing for any input.

How: the plays are walked in run order (imported playbooks and task files inline, blocks
and handlers in place) keeping what is defined so far: registers, `set_fact` keys,
`include_vars`, play/`vars_files`/block/task `vars`, role defaults/vars (and what role
tasks register), loop variables, magic variables, `-e` names, and the inventory beside
the playbook. Templates are parsed, never rendered (`checks_flow_uses`).

Why conservative: a false warning teaches users to ignore the rule. Whenever something
could define any variable — a templated include or `vars_files`, a role we cannot read,
a `library/` module (it may return facts) — reporting stops for the rest of the
playbook; names guarded by `is defined`/`default` (in the expression or the task's and
blocks' `when`) are never reported. Role tasks themselves are not walked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from miniplay.checks_files import Scope, Sources, real, resolve
from miniplay.checks_flow_async import ASYNC_JID, AsyncTracker
from miniplay.checks_flow_defs import (
    Origin,
    inventory_names,
    keys_of,
    role_names,
    task_file,
    vars_file_names,
)
from miniplay.checks_flow_uses import Use, UseFinder, place
from miniplay.checks_jinja import CONDITION_KEYS, is_template
from miniplay.errors import Position
from miniplay.keywords import HANDLER_KEYWORDS, action_candidates, short_name
from miniplay.loader import YamlMap, YamlSeq
from miniplay.parser_args import task_args
from miniplay.schema import Diagnostic, did_you_mean

MAGIC = frozenset({
    "inventory_hostname", "inventory_hostname_short", "hostvars", "groups", "group_names",
    "play_hosts", "playbook_dir", "omit", "role_name", "role_path", "role_names",
    "inventory_dir", "inventory_file", "vars", "environment", "miniplay_version",
})
ANY_NAME = "*"  # in a scope's names: its names are only known at run time
IMPORTS = ("import_playbook", "ansible.builtin.import_playbook",
           "ansible.legacy.import_playbook")
SKIP_KEYS = frozenset({"register", "vars", "vars_files", "roles", "block", "rescue", "always",
                       "pre_tasks", "tasks", "post_tasks", "handlers"})
BARE_ARGS = {"assert": frozenset({"that"}), "debug": frozenset({"var"})}
ROLE_ACTIONS = frozenset({"include_role", "import_role"})
ARGS_NEEDED = ROLE_ACTIONS | {"set_fact", "include_vars", "import_tasks", "include_tasks",
                              "async_status", "debug", "add_host"}
_ADD_HOST_ARGS = frozenset({"name", "host", "hostname", "groups", "group", "groupname"})


@dataclass(frozen=True, slots=True)
class FlowSettings:
    """What the command line tells the flow checks: `-e` names, inventory sources."""

    extra_vars: frozenset[str] = frozenset()
    inventories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Local:
    """The lexical scope of the nodes being walked: file, names, guarded names."""

    file: str
    base: Path
    names: Mapping[str, Origin] = field(default_factory=dict)
    guarded: frozenset[str] = frozenset()
    chain: tuple[str, ...] = ()
    quiet: bool = False  # a task with `ignore_errors: true`: an undefined read is a note
    caught: bool = False  # under a play/block ignore_errors or a rescue: every task quiet

    def adding(self, names: Mapping[str, Origin], guarded: frozenset[str] = frozenset(),
               file: str | None = None, quiet: bool = False) -> Local:
        """A nested scope (block, task, included file)."""
        if not names and not guarded and file is None and not quiet:
            return self if not self.quiet else replace(self, quiet=False)
        chain = (*self.chain, real(file)) if file else self.chain
        return Local(file or self.file, self.base, {**self.names, **names} if names
                     else self.names, self.guarded | guarded, chain, quiet, self.caught)


@dataclass(slots=True)
class FlowState:
    """What one playbook's walk has learned so far."""

    defined: dict[str, Origin] = field(default_factory=dict)
    opaque: bool = False
    jobs: AsyncTracker = field(default_factory=AsyncTracker)
    found: list[Diagnostic] = field(default_factory=list)
    playbooks: set[str] = field(default_factory=set)


class FlowChecker:
    """Walks playbooks in run order; one per validation run (it caches parses)."""

    def __init__(self, sources: Sources, builtin: frozenset[str],
                 settings: FlowSettings | None = None) -> None:
        self.sources = sources
        self.builtin = builtin
        self.settings = settings or FlowSettings()
        self.uses = UseFinder()
        self._inventory: dict[Path, dict[str, Origin]] = {}

    def check(self, path: str, data: Any) -> list[Diagnostic]:
        """Every flow diagnostic of the playbook at `path` (imports followed)."""
        state = FlowState()
        state.defined.update(self.inventory(Path(os.path.dirname(path) or ".")))
        self.playbook(path, data, state)
        found = [_too_early(d, state.defined) for d in state.found]
        return found + state.jobs.found + state.jobs.unchecked()

    def inventory(self, base: Path) -> dict[str, Origin]:
        """Names the inventory beside the playbook (or given with -i) defines."""
        if base not in self._inventory:
            self._inventory[base] = inventory_names(base, self.sources, self.settings.inventories)
        return self._inventory[base]

    def playbook(self, path: str, data: Any, state: FlowState) -> None:
        """The plays of one playbook, import_playbook entries inline."""
        if real(path) in state.playbooks or not isinstance(data, YamlSeq):
            return
        state.playbooks.add(real(path))
        for play in data:
            if not isinstance(play, YamlMap):
                continue
            key = next((k for k in IMPORTS if k in play), None)
            if key is None:
                self.play(play, path, state)
            else:
                self.imported(play[key], Scope(path, Path(os.path.dirname(path) or ".")), state)

    def imported(self, name: Any, scope: Scope, state: FlowState) -> None:
        """An `import_playbook` target, walked in place (templated: unknowable)."""
        target = resolve(name, scope) if isinstance(name, str) and not is_template(name) \
            else None
        data = self.sources.load(target)[0] if target else None
        if data is None:
            self.go_opaque(state)
            return
        self.playbook(target or "", data, state)

    def play(self, play: YamlMap, path: str, state: FlowState) -> None:
        """A play: its vars, keywords, sections in run order, then its handlers."""
        local = Local(path, Path(os.path.dirname(path) or "."),
                      caught=play.get("ignore_errors") is True)
        local = local.adding(keys_of(play.get("vars"), "defined in play vars", play))
        names, known = vars_file_names(play.get("vars_files"), play, local, self.sources)
        if not known:
            self.go_opaque(state)
        local = local.adding(names)
        self.keywords(play, local, state, frozenset())
        self.nodes(play.get("pre_tasks"), local, state)
        self.roles(play.get("roles"), local, state)
        for section in ("tasks", "post_tasks", "handlers"):
            self.nodes(play.get(section), local, state)

    def roles(self, roles: Any, local: Local, state: FlowState) -> None:
        """`roles:` entries: their defaults, vars and what their tasks define."""
        for entry in roles if isinstance(roles, YamlSeq) else ():
            name = entry.get("role", entry.get("name")) if isinstance(entry, YamlMap) else entry
            self.role(name, local, state)

    def role(self, name: Any, local: Local, state: FlowState) -> None:
        """One role's names become defined; an unreadable role makes the walk opaque."""
        names = role_names(name, local.base, self.sources) if isinstance(name, str) \
            and not is_template(name) else None
        if names is None:
            self.go_opaque(state)
        else:
            state.defined.update(names)

    def go_opaque(self, state: FlowState) -> None:
        """From here on, anything may be defined: stop reporting undefined names."""
        state.opaque = True
        state.jobs.forget_pending()

    def nodes(self, items: Any, local: Local, state: FlowState) -> None:
        """Each task or block of a task list, in order."""
        for node in items if isinstance(items, YamlSeq) else ():
            if not isinstance(node, YamlMap):
                continue
            if "block" in node:
                self.block(node, local, state)
            else:
                self.task(node, local, state)

    def block(self, node: YamlMap, local: Local, state: FlowState) -> None:
        """A block's keywords, then block/rescue/always with its vars in scope."""
        inner = local.adding(keys_of(node.get("vars"), "defined in block vars", node),
                             self.when_guards(node))
        if node.get("ignore_errors") is True or node.get("rescue"):
            inner = replace(inner, caught=True)
        self.keywords(node, inner, state, frozenset())
        for key in ("block", "rescue", "always"):
            self.nodes(node.get(key), inner, state)

    def when_guards(self, node: YamlMap) -> frozenset[str]:
        """Names a node's `when` guards (`x is defined`): safe in the whole node."""
        value = node.get("when")
        if value is None or isinstance(value, bool):
            return frozenset()
        return frozenset(g for use in self.uses.uses(value, node.pos, True) for g in use.guarded)

    def task(self, node: YamlMap, local: Local, state: FlowState) -> None:
        """One task: its reads are checked, then what it defines is recorded."""
        key = next(iter(action_candidates(node, HANDLER_KEYWORDS)), None)
        module = short_name(key) if key else ""
        args = self.args(module, node.get(key)) if key else {}
        names = self.task_names(node)
        if module == "set_fact":  # conservative: a sibling key may be read (lazily)
            names.update({str(k): Origin("set by set_fact", node.pos) for k in args})
        guards = self.when_guards(node) | self.debug_guards(module, args)
        inner = local.adding(names, guards,
                             quiet=node.get("ignore_errors") is True or local.caught)
        reads = self.keywords(node, inner, state, BARE_ARGS.get(module, frozenset()))
        if module == "async_status":
            self.async_status(node, args, reads, state)
        state.jobs.task_done(node)
        self.defines(node, module, args, inner, state)

    def args(self, module: str, value: Any) -> dict[str, Any]:
        """The action's arguments when the walk needs them (else {}), or {} when they
        are not static."""
        if module not in ARGS_NEEDED:
            return {}
        try:
            return task_args(module, value)
        except Exception:  # bad arguments are the structural checks' business
            return {}

    def task_names(self, node: YamlMap) -> dict[str, Origin]:
        """Names that exist only inside this task: loop variables, task vars, its register."""
        names = keys_of(node.get("vars"), "defined in task vars", node)
        control = node.get("loop_control")
        control = control if isinstance(control, YamlMap) else {}
        if any(k == "loop" or str(k).startswith("with_") for k in node):
            origin = Origin("a loop variable", node.pos)
            loop_var = control.get("loop_var", "item")
            names.update({str(loop_var): origin, "ansible_loop": origin})
            if isinstance(control.get("index_var"), str):
                names[control["index_var"]] = origin
            if any(is_template(str(control.get(k, ""))) for k in ("loop_var", "index_var")):
                names[ANY_NAME] = origin  # named at run time: any read may be one of them
        register = node.get("register")
        if isinstance(register, str):
            names[register] = Origin("registered", node.key_pos.get("register", node.pos))
        return names

    def keywords(self, node: YamlMap, local: Local, state: FlowState,
                 bare_args: frozenset[str]) -> set[str]:
        """Check every read in `node`'s keyword and argument values; the names read."""
        read: set[str] = set()
        for key, value in node.items():
            if key in SKIP_KEYS:
                continue
            for use in self.uses_of(key, value, node, bare_args):
                read.add(use.name)
                self.judge(use, local, state)
        return read

    def uses_of(self, key: Any, value: Any, node: YamlMap,
                bare_args: frozenset[str]) -> Iterator[Use]:
        """The reads of one keyword's value; `assert.that`/`debug.var` are bare."""
        pos = node.pos_of(key)
        if isinstance(value, YamlMap) and bare_args:
            for arg, item in value.items():
                yield from self.uses.uses(item, value.pos_of(arg), arg in bare_args)
            return
        yield from self.uses.uses(value, pos, key in CONDITION_KEYS)

    def judge(self, use: Use, local: Local, state: FlowState) -> None:
        """A read is fine, an `async_jid` note, or an `undefined-variable` warning."""
        name = use.name
        if name == ASYNC_JID:
            state.jobs.jid_read(place(use), state.opaque)
            return
        if state.opaque or name in use.guarded or name in local.guarded:
            return
        if name in local.names or ANY_NAME in local.names or name in state.defined \
                or name in MAGIC:
            return
        if name.startswith("ansible_") or name in self.settings.extra_vars:
            return
        state.found.append(self.undefined(use, {**state.defined, **local.names}, local.quiet))

    def debug_guards(self, module: str, args: Mapping[str, Any]) -> frozenset[str]:
        """`debug: var=x` prints "VARIABLE IS NOT DEFINED!" for an undefined `x`: no error."""
        var = args.get("var") if module == "debug" else None
        if not isinstance(var, str):
            return frozenset()
        return frozenset(use.name for use in self.uses.uses(var, Position("", 1, 1), True))

    def undefined(self, use: Use, known: Mapping[str, Origin], quiet: bool) -> Diagnostic:
        """The `undefined-variable` warning, with the closest defined name if any."""
        at = place(use)
        close = did_you_mean(use.name, known, 0.75)
        if close is not None:
            other = close.split("`")[1]
            origin = known[other]
            verb = "registered" if origin.how == "registered" else "defined"
            message = (f"`{use.name}` is used at {at} but never {verb}; did you mean "
                       f"`{other}` {origin.how} at {origin.pos}?")
        else:
            message = (f"`{use.name}` is used at {at} but never defined: no earlier task "
                       "registers or sets it, and no vars or inventory beside the "
                       "playbook define it")
        hint = (f"if it comes from -e or another inventory, declare it "
                f"(`miniplay validate -e {use.name}`) or guard it (`| default(...)`)")
        if quiet:
            message += " (the task has ignore_errors: true, so it fails silently)"
        return Diagnostic("undefined-variable", "note" if quiet else "warning", message, at,
                          hint)

    def async_status(self, node: YamlMap, args: dict[str, Any], reads: set[str],
                     state: FlowState) -> None:
        """Which jobs this async_status looks at, and whether it can."""
        jid = args.get("jid")
        roots = {u.name for u in self.uses.uses(jid, node.pos)} if isinstance(jid, str) else set()
        loop = next((node[k] for k in node if k == "loop" or str(k).startswith("with_")), None)
        if roots & set(self.task_names(node)) and loop is not None:
            roots = {u.name for u in self.uses.uses(loop, node.pos)}
        value = node.get(next(iter(action_candidates(node, HANDLER_KEYWORDS)), ""))
        where = value.pos_of("jid") if isinstance(value, YamlMap) else node.pos
        state.jobs.status_reads(roots, where, args.get("mode") == "cleanup")
        state.jobs.marks_checked(reads)

    def defines(self, node: YamlMap, module: str, args: dict[str, Any], local: Local,
                state: FlowState) -> None:
        """Record what the task defines for the tasks after it."""
        register = node.get("register")
        if isinstance(register, str):
            state.defined[register] = Origin("registered",
                                             node.key_pos.get("register", node.pos))
        if module == "set_fact":
            self.set_fact(args, node, state)
        elif module == "include_vars":
            self.include_vars(args, node, local, state)
        elif module in ("import_tasks", "include_tasks"):
            self.task_file(args, node, local, state)
        elif module in ROLE_ACTIONS:
            self.role(args.get("name", args.get("role")), local, state)
        elif module == "add_host":  # variables of a new host, read by a later play
            state.defined.update({str(k): Origin("given to add_host", node.pos)
                                  for k in args if k not in _ADD_HOST_ARGS})
        elif module and module not in self.builtin:
            self.go_opaque(state)  # a library/ module may return any fact

    def set_fact(self, args: dict[str, Any], node: YamlMap, state: FlowState) -> None:
        """`set_fact` keys become defined; templated keys make the walk opaque."""
        for key in args:
            if not isinstance(key, str) or is_template(key) or key.startswith("_"):
                self.go_opaque(state)  # named at run time (a template, whole-args template)
            elif key != "cacheable":
                state.defined[key] = Origin("set by set_fact", node.pos)

    def include_vars(self, args: dict[str, Any], node: YamlMap, local: Local,
                     state: FlowState) -> None:
        """`include_vars`: a `name`, or the keys of a static file; else opaque."""
        if isinstance(args.get("name"), str) and not is_template(args["name"]):
            state.defined[args["name"]] = Origin("loaded by include_vars", node.pos)
            return
        file = args.get("file", args.get("_raw_params"))
        scope = Scope(local.file, local.base)
        path = resolve(file, scope) if isinstance(file, str) and not is_template(file) \
            and "dir" not in args else None
        data = self.sources.load(path)[0] if path else None
        if not isinstance(data, YamlMap):
            self.go_opaque(state)
            return
        state.defined.update(keys_of(data, "loaded by include_vars", node))

    def task_file(self, args: dict[str, Any], node: YamlMap, local: Local,
                  state: FlowState) -> None:
        """`import_tasks`/`include_tasks`: walk a static file in place; else opaque."""
        path = task_file(args, local, self.sources)
        if path is None:
            self.go_opaque(state)
            return
        if real(path) in local.chain or real(path) == real(local.file):
            return  # a recursive include: its names are those of this walk
        data = self.sources.load(path)[0]
        self.nodes(data, local.adding(self.task_names(node), file=path), state)



def _too_early(diag: Diagnostic, defined: Mapping[str, Origin]) -> Diagnostic:
    """An undefined read of a name a LATER task defines says so (order is the bug)."""
    name = diag.message.split("`")[1]
    origin = defined.get(name)
    if origin is None or "never defined:" not in diag.message:
        return diag
    head = diag.message.split(" but ", 1)[0]
    return replace(diag, message=f"{head} before any task defines it: it is {origin.how} "
                   f"later, at {origin.pos}", hint="move the task that defines it earlier")
