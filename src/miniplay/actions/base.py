"""What a controller-side action receives, and the registry type.

Takes: nothing. Gives: `ActionCall` (one action on one host, its templated arguments
and the means to evaluate expressions) and the `Action` callable type. Raises: nothing.

Controller-side actions (`debug`, `set_fact`, `assert`, `fail`, `meta`, `include_vars`)
never touch a host; they compute a result from variables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from miniplay.connection.base import Connection
from miniplay.executor.hoststate import HostState
from miniplay.model import Task
from miniplay.options import RunOptions
from miniplay.templating import Templar
from miniplay.variables import VarScope


class HostAccess(Protocol):
    """What an action that wraps a module may do on its host (copy, template, fetch...)."""

    check_mode: bool
    diff: bool

    async def connection(self) -> Connection:
        """The host's connection (opened on first use); raises `HostUnreachable`."""
        ...

    async def run_module(self, name: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """Run a module on the host with the task's check/diff/no_log/environment."""
        ...


@dataclass(frozen=True, slots=True)
class ActionCall:
    """One controller-side action on one host."""

    task: Task
    host: str
    args: Mapping[str, Any]
    raw_args: Mapping[str, Any]
    scope: VarScope
    templar: Templar
    state: HostState
    options: RunOptions
    base_dir: str
    host_access: HostAccess | None = None

    @property
    def task_dir(self) -> str:
        """The directory of the file the task is written in (for relative `src`)."""
        return str(Path(self.task.pos.file).resolve().parent)

    @property
    def search_dirs(self) -> tuple[str, ...]:
        """Where a relative `src` is looked for, in Ansible's order: the task's role, the
        folder of the task's file, the playbook's folder (each tried with its `files/` or
        `templates/` subfolder first). Not deduplicated: "Searched in" lists a folder
        twice when the task sits beside the playbook, as Ansible's message does."""
        role = [str(Path(self.task.role.path).resolve())] if self.task.role else []
        return (*role, self.task_dir, self.base_dir)


Action = Callable[[ActionCall], Awaitable[dict[str, Any]]]
