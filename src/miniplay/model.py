"""The playbook model: frozen dataclasses built by the parser, read by the executor.

Takes: nothing (plain data). Gives: `Playbook` → `Play` → `Block`/`Task`/`Handler`, each
with its `Position`. Raises: nothing.

The model is immutable. Keyword inheritance (a block's `when`, `tags`, `vars`,
`ignore_errors`, ... applying to the tasks inside it) is resolved by the parser, so each
`Task` carries its *effective* keywords and the executor never walks parents. Runtime
state (registered results, facts, job ids) lives in per-run objects, never here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from miniplay.errors import Position


@dataclass(frozen=True, slots=True)
class Expr:
    """A raw keyword value (a template, a bare expression, or a literal) and its place."""

    value: Any
    pos: Position


@dataclass(frozen=True, slots=True)
class RoleInfo:
    """A role as the variables see it: its defaults (lowest layer) and vars."""

    name: str
    path: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    vars: Mapping[str, Any] = field(default_factory=dict)
    # Reached only as another role's dependency (`ansible_dependent_role_names`).
    dependency: bool = False


@dataclass(frozen=True, slots=True)
class Task:
    """One task (or handler) with its effective keywords; templates are still raw."""

    action: str
    args: Mapping[str, Any]
    pos: Position
    action_pos: Position
    name: str | None = None
    key_pos: Mapping[str, Position] = field(default_factory=dict)
    when: tuple[Expr, ...] = ()
    loop: Expr | None = None
    loop_kind: str = "loop"
    loop_control: Mapping[str, Any] = field(default_factory=dict)
    register: str | None = None
    failed_when: tuple[Expr, ...] | None = None
    changed_when: tuple[Expr, ...] | None = None
    until: tuple[Expr, ...] | None = None
    retries: Expr | None = None
    delay: Expr | None = None
    async_: Expr | None = None
    poll: Expr | None = None
    ignore_errors: Expr | None = None
    ignore_unreachable: Expr | None = None
    notify: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    # The play's, blocks' and role's tags without the task's own: what the tasks of a
    # dynamic include (`include_tasks`, `include_role`) inherit.
    inherited_tags: frozenset[str] = frozenset()
    vars: Mapping[str, Any] = field(default_factory=dict)
    # Role parameters and include parameters (the `vars` of the include_tasks and
    # include_role around it and, for an include, its own): above set_fact, below
    # extra vars.
    params: Mapping[str, Any] = field(default_factory=dict)
    environment: tuple[Expr, ...] = ()
    no_log: Expr | None = None
    check_mode: Expr | None = None
    diff: Expr | None = None
    delegate_to: Expr | None = None
    delegate_facts: Expr | None = None
    run_once: Expr | None = None
    any_errors_fatal: Expr | None = None
    timeout: Expr | None = None
    throttle: Expr | None = None
    become: Expr | None = None
    become_user: Expr | None = None
    become_method: Expr | None = None
    become_flags: Expr | None = None
    listen: tuple[str, ...] = ()
    is_handler: bool = False
    role: RoleInfo | None = None

    @property
    def display_name(self) -> str:
        """What the banner shows before templating: the name or the action."""
        return self.name if self.name else self.action

    def where(self, keyword: str) -> Position:
        """Position of `keyword` in the task (or the task itself)."""
        return self.key_pos.get(keyword, self.pos)


@dataclass(frozen=True, slots=True)
class Block:
    """`block` / `rescue` / `always`; inherited keywords are already on the tasks."""

    block: tuple[Node, ...]
    rescue: tuple[Node, ...]
    always: tuple[Node, ...]
    pos: Position
    name: str | None = None


Node: TypeAlias = Task | Block


@dataclass(frozen=True, slots=True)
class Play:
    """One play: hosts, variables, task sections and play-level execution rules."""

    hosts: Expr
    pos: Position
    name: str | None = None
    key_pos: Mapping[str, Position] = field(default_factory=dict)
    vars: Mapping[str, Any] = field(default_factory=dict)
    vars_files: tuple[Expr, ...] = ()
    pre_tasks: tuple[Node, ...] = ()
    role_tasks: tuple[Node, ...] = ()
    roles: tuple[RoleInfo, ...] = ()
    # Keys (name, params, entry points) of the roles the play's static roles and imports
    # ran: a dependency an include_role reaches again is not run twice (ansible-core).
    roles_done: frozenset[str] = frozenset()
    tasks: tuple[Node, ...] = ()
    post_tasks: tuple[Node, ...] = ()
    handlers: tuple[Task, ...] = ()
    gather_facts: Expr | None = None
    gather_subset: Expr | None = None
    gather_timeout: Expr | None = None
    fact_path: Expr | None = None
    serial: Expr | None = None
    strategy: str = "linear"
    order: str = "inventory"
    max_fail_percentage: Expr | None = None
    any_errors_fatal: Expr | None = None
    force_handlers: Expr | None = None
    tags: frozenset[str] = frozenset()
    check_mode: Expr | None = None

    @property
    def display_name(self) -> str:
        """Ansible's banner name: the name, else the hosts text."""
        if self.name:
            return self.name
        hosts = self.hosts.value
        return ",".join(map(str, hosts)) if isinstance(hosts, list) else str(hosts)


@dataclass(frozen=True, slots=True)
class Playbook:
    """A whole playbook file with its imported playbooks already inlined."""

    path: str
    plays: tuple[Play, ...]
    files: tuple[str, ...] = ()

    @property
    def role_paths(self) -> tuple[str, ...]:
        """Folders of every role the playbook uses (for their `library/` modules)."""
        return tuple(dict.fromkeys(role.path for play in self.plays for role in play.roles))


def iter_tasks(nodes: tuple[Node, ...]) -> list[Task]:
    """Every task under `nodes`, depth first, in file order (block, rescue, always)."""
    found: list[Task] = []
    for node in nodes:
        if isinstance(node, Task):
            found.append(node)
        else:
            found.extend(iter_tasks(node.block))
            found.extend(iter_tasks(node.rescue))
            found.extend(iter_tasks(node.always))
    return found
