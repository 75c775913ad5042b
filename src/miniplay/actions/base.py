"""What a controller-side action receives, and the registry type.

Takes: nothing. Gives: `ActionCall` (one action on one host, its templated arguments
and the means to evaluate expressions) and the `Action` callable type. Raises: nothing.

Controller-side actions (`debug`, `set_fact`, `assert`, `fail`, `meta`, `include_vars`)
never touch a host; they compute a result from variables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from miniplay.executor.hoststate import HostState
from miniplay.model import Task
from miniplay.options import RunOptions
from miniplay.templating import Templar
from miniplay.variables import VarScope


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


Action = Callable[[ActionCall], Awaitable[dict[str, Any]]]
