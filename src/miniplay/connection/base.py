"""The `Connection` protocol: how the controller reaches one host and its agent.

Takes: a host's connection settings. Gives: module runs, raw commands and file
transfers on that host. Raises: `HostUnreachable` (and only that) when the host cannot
be reached; every transport maps its own errors to it at this edge.

A connection starts `remote/agent.py` on the host once, on first use, and keeps it for
the whole run; modules are sent once per host and cached by hash on the agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ModuleStyle = Literal["json", "want_json", "old"]


@dataclass(frozen=True, slots=True)
class ModuleRequest:
    """One module run as the agent receives it.

    `style` is the module contract: ``json`` (miniplay's: arguments as one JSON object
    on stdin, one JSON result on stdout) or ``want_json`` (Ansible's: argv[1] is the path
    of a JSON file with the arguments) or ``old`` (Ansible's old-style: argv[1] is the
    path of a file of shell-quoted `key=value` words). `async_seconds` > 0 launches a
    detached job and returns its launch record at once instead of the module's result.
    `in_agent` asks the agent to run the module in its own process instead of a fork.
    """

    name: str
    source: bytes
    args: Mapping[str, Any]
    style: ModuleStyle = "json"
    rlimit_nofile: int = 0  # a JSON-style module's soft RLIMIT_NOFILE; 0 leaves it
    check_mode: bool = False
    diff: bool = False
    no_log: bool = False
    async_seconds: int = 0
    async_dir: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None
    in_agent: bool = False  # run inside the agent, no fork (see runner.IN_AGENT)


@dataclass(frozen=True, slots=True)
class RawOutput:
    """What a shell command printed, for the `raw` module (no Python needed)."""

    rc: int
    stdout: str
    stderr: str


class Connection(Protocol):
    """One host. Implementations: `local.LocalConnection`, `ssh.SshConnection`."""

    host: str

    async def run_module(self, request: ModuleRequest) -> dict[str, Any]:
        """Run a module through the agent; the module's JSON result (never raises for
        module failures: a crash, non-JSON output or a hang is a failed result)."""
        ...

    async def exec_raw(self, command: str, environment: Mapping[str, str]) -> RawOutput:
        """Run `command` with the host's shell, without the agent."""
        ...

    async def put_file(self, data: bytes, dest: str, mode: int | None = None) -> None:
        """Write `data` to `dest` on the host (atomically: temp file, then rename)."""
        ...

    async def fetch_file(self, src: str) -> bytes:
        """Read a file from the host."""
        ...

    async def close(self) -> None:
        """Stop the agent and close the transport; safe to call twice."""
        ...
