"""The run's context: what every stage of the executor shares for one run.

Takes: the playbook, inventory, options, event sink and templar. Gives: `RunContext`,
which builds each host's variable scope in Ansible's precedence order and owns the host
states and connections. Raises: nothing itself.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miniplay import __version__
from miniplay.connection.base import Connection
from miniplay.events import EventSink
from miniplay.executor.hoststate import HostState, PlayState
from miniplay.inventory import Inventory
from miniplay.inventory_dynamic import add_dynamic_group, add_dynamic_host
from miniplay.model import Playbook, RoleInfo, Task
from miniplay.options import RunOptions
from miniplay.templating import OMIT, Templar
from miniplay.variables import HostVars, VarScope

ANSIBLE_VERSION = {"full": "2.19.14", "major": 2, "minor": 19, "revision": 14,
                   "string": "2.19.14"}


@dataclass
class RunContext:
    """Shared, per-run objects; one per `executor.run` call."""

    playbook: Playbook
    inventory: Inventory
    options: RunOptions
    sink: EventSink
    templar: Templar
    states: dict[str, HostState] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    start_at_task: str | None = None

    _active: tuple[PlayState, list[str], int, list[str], list[str]] | None = field(
        default=None, repr=False)
    _paths: dict[str, str] = field(default_factory=dict, repr=False)
    _sources: list[str] = field(default_factory=list, repr=False)
    _task_paths: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.start_at_task = self.options.start_at_task
        self.former = self.inventory  # before the last refresh_inventory (inventory_of)
        self.dynamic: list[tuple[str, dict[str, Any]]] = []  # add_host/group_by applied
        # Resolved once: magic variables are built for every task on every host.
        self._paths["playbook_dir"] = str(Path(self.playbook.path).resolve().parent)
        # `ansible_inventory_sources`: each -i as given, a path made absolute.
        self._sources = [str(Path(s).resolve()) if Path(s).exists() else s
                         for s in self.options.inventory]
        if self.options.inventory:
            first = Path(self.options.inventory[0])
            if first.exists():
                self._paths["inventory_dir"] = str(first.resolve().parent)
                self._paths["inventory_file"] = str(first.resolve())

    @property
    def playbook_dir(self) -> str:
        return self._paths["playbook_dir"]

    def active_hosts(self, play: PlayState) -> tuple[list[str], list[str]]:
        """The play's hosts still taking part (in inventory order, as Ansible lists
        `ansible_play_hosts`), and those of the current batch; cached until any host's
        status changes (see `HostState.generation`)."""
        cached = self._active  # holds the play and batch themselves: ids could be reused
        if (cached is None or cached[0] is not play or cached[1] is not play.batch
                or cached[2] != HostState.generation):
            active = [h for h in (play.all_hosts or play.hosts) if self.state(h).listed]
            batch = [h for h in (play.batch or play.hosts) if self.state(h).listed]
            cached = self._active = (play, play.batch, HostState.generation, active, batch)
        return list(cached[3]), list(cached[4])

    def inventory_of(self, host: str) -> Inventory:
        """The inventory that knows `host`: the run's, or for a host that
        `meta: refresh_inventory` removed while its play runs, the one before (the play
        keeps such a host, with its variables, as ansible-core does)."""
        if host in self.inventory.hosts or host not in self.former.hosts:
            return self.inventory
        return self.former

    def refresh_inventory(self, fresh: Inventory) -> None:
        """`meta: refresh_inventory`: the sources as they read now become the run's, with
        the hosts and groups add_host/group_by made kept (as ansible-core keeps them); a
        group_by of a host the sources no longer have is dropped with the host."""
        self.former = self.inventory
        self.inventory = fresh
        for host, result in self.dynamic:
            if "add_host" in result or host in self.inventory.hosts:
                self.inventory, _ = _changed_inventory(self.inventory, host, result)

    def apply_inventory_change(self, host: str, result: dict[str, Any]) -> None:
        """Apply an `add_host`/`group_by` result to the run's inventory (a new frozen
        value) and set the result's `changed` to whether anything changed."""
        if "add_host" not in result and "add_group" not in result:
            return
        self.inventory, result["changed"] = _changed_inventory(self.inventory, host, result)
        self.dynamic.append((host, result))

    def state(self, host: str) -> HostState:
        """The host's state, created on first use."""
        if host not in self.states:
            self.states[host] = HostState(host)
        return self.states[host]

    def base_layers(self, host: str) -> list[Mapping[str, Any]]:
        """Inventory vars, facts, include_vars, set_fact/register, extra vars.
        `ansible_facts` is defined (empty) before any fact is gathered, as in Ansible."""
        state = self.state(host)
        layers: list[Mapping[str, Any]] = [{"ansible_facts": {}}]
        layers += self.inventory_of(host).var_layers(host)
        layers.append(state.facts_vars)
        return layers

    def top_layers(self, host: str) -> list[Mapping[str, Any]]:
        state = self.state(host)
        return [state.include_vars, state.vars, state.rescue_vars, self.options.extra_vars]

    def hostvars(self, play: PlayState | None) -> HostVars:
        names = list(self.inventory.hosts)
        if play is not None:
            known = self.inventory.hosts
            names += [h for h in play.hosts if h not in known]
        return HostVars(names, lambda h: VarScope(
            [*self.base_layers(h), *self.top_layers(h), self.magic(h, play)], self.templar))

    def scope(self, host: str, play: PlayState, task: Task | None = None) -> VarScope:
        """The variables `task` sees on `host`, low → high precedence.

        Role defaults sit below everything (every role of the play, then the task's own
        role again so it wins); role vars sit above the play's `vars_files`, as in
        ansible-core with its default of public role variables.
        """
        own = task.role if task is not None else None
        roles = [*play.play.roles, *([own] if own is not None else [])]
        layers: list[Mapping[str, Any]] = [role.defaults for role in roles]
        layers += self.base_layers(host)
        layers.extend(play.play_vars)
        layers.extend(play.host_files.get(host, ()))
        layers += [role.vars for role in roles]
        if task is not None:
            layers.append(task.vars)
        *facts, extra = self.top_layers(host)
        layers += facts
        if task is not None:
            layers.append(task.params)  # role and include params, above set_fact
        layers.append(extra)
        layers.append(self.magic(host, play))
        if task is not None:
            layers.append(self.task_paths(task))
        if not any("ansible_host" in layer or "ansible_ssh_host" in layer for layer in layers):
            layers.insert(0, {"ansible_host": host})  # ansible-core's connection default
        return VarScope(layers, self.templar)

    def task_paths(self, task: Task) -> dict[str, Any]:
        """`ansible_search_path` (the task's role, its file's folder, the playbook's
        folder: where lookups look for relative files) and `role_path`/`role_name`."""
        key = (task.pos.file, task.role.path if task.role else "")
        found = self._task_paths.get(key)
        if found is None:
            search = [str(Path(task.role.path).resolve())] if task.role else []
            for folder in (str(Path(task.pos.file).resolve().parent), self.playbook_dir):
                if folder not in search:
                    search.append(folder)
            found = {"ansible_search_path": search}
            if task.role is not None:
                found.update(role_path=search[0], role_name=task.role.name)
            self._task_paths[key] = found
        return {**found, "ansible_search_path": list(found["ansible_search_path"])}

    def magic(self, host: str, play: PlayState | None) -> dict[str, Any]:
        """Ansible's magic variables for `host` in `play`."""
        active, batch = self.active_hosts(play) if play else ([], [])
        magic: dict[str, Any] = {
            "inventory_hostname": host,
            "inventory_hostname_short": host.split(".")[0],
            "group_names": self.inventory_of(host).groups_of(host),
            "groups": self.inventory.groups_map(),
            "hostvars": self.hostvars(play) if play is not None else {},
            "ansible_play_hosts": active,
            "ansible_play_hosts_all": list(play.all_hosts or play.hosts) if play else [],
            "ansible_play_batch": batch,
            "play_hosts": batch,
            "ansible_check_mode": self.options.check,
            "ansible_diff_mode": self.options.diff,
            "ansible_forks": self.options.forks,
            "ansible_verbosity": self.options.verbosity,
            "ansible_run_tags": list(self.options.tags),
            "ansible_skip_tags": list(self.options.skip_tags),
            "ansible_version": ANSIBLE_VERSION,
            "ansible_config_file": None,
            "playbook_dir": self.playbook_dir,
            "ansible_playbook_python": sys.executable,
            "omit": OMIT,
            "miniplay_version": __version__,
        }
        if play is not None:
            magic["ansible_play_name"] = play.play.display_name
            magic.update(_role_names(play.play.roles))
        if self.options.limit:
            magic["ansible_limit"] = self.options.limit
        magic["ansible_inventory_sources"] = list(self._sources)
        for name in ("inventory_dir", "inventory_file"):
            if name in self._paths:
                magic[name] = self._paths[name]
        return magic


def _role_names(roles: Sequence[RoleInfo]) -> dict[str, list[str]]:
    """The role-name magic variables: the play's own roles, and their dependencies."""
    own = list(dict.fromkeys(r.name for r in roles if not r.dependency))
    deps = list(dict.fromkeys(r.name for r in roles if r.dependency))
    every = list(dict.fromkeys(r.name for r in roles))
    return {"role_names": own, "ansible_play_role_names": own, "ansible_role_names": every,
            "ansible_dependent_role_names": deps}


def _changed_inventory(inventory: Inventory, host: str,
                       result: Mapping[str, Any]) -> tuple[Inventory, bool]:
    """`inventory` with one `add_host` or `group_by` result applied, and whether it
    changed anything."""
    if "add_host" in result:
        info = result["add_host"]
        return add_dynamic_host(inventory, info["host_name"], info["groups"],
                                info["host_vars"])
    return add_dynamic_group(inventory, host, result["add_group"], result["parent_groups"])
