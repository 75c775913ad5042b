"""Run options: everything the command line decides, as one frozen value.

Takes: nothing (the CLI fills it). Gives: `RunOptions`. Raises: nothing.

Options travel explicitly from the CLI to the executor; nothing reads a global.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run a playbook (ansible-playbook's options, plus miniplay's own)."""

    inventory: tuple[str, ...] = ()
    limit: str | None = None
    extra_vars: Mapping[str, Any] = field(default_factory=dict)
    forks: int = 5
    check: bool = False
    diff: bool = False
    verbosity: int = 0
    tags: tuple[str, ...] = ("all",)
    skip_tags: tuple[str, ...] = ()
    start_at_task: str | None = None
    force_handlers: bool = False
    timeout: float = 10.0
    module_paths: tuple[str, ...] = ()
    host_key_checking: bool = True
    poll_interval: int = 15
    async_dir: str | None = None
    connection: str | None = None  # -c: the connection when no ansible_connection is set
