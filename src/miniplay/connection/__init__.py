"""Opening the right connection for a host from its variables.

Takes: a host name and its variable scope. Gives: a `Connection` (not yet connected:
the agent starts on first use). Raises: `HostUnreachable` for a connection type miniplay
does not have.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from typing import Any

from miniplay.connection.base import Connection
from miniplay.connection.become import Become
from miniplay.errors import HostUnreachable
from miniplay.options import RunOptions


def connection_type(variables: Mapping[str, Any], default: str | None = None) -> str:
    """`ansible_connection`, else the command line's `-c`, else ssh, as in Ansible."""
    return str(variables.get("ansible_connection") or default or "ssh")


def _local_python(become: Become | None) -> str:
    """The controller's Python, or the system's for another user (who may not be able to
    read a virtual environment under the controller user's home)."""
    if become is None:
        return sys.executable
    return shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") or sys.executable


def open_connection(host: str, variables: Mapping[str, Any], options: RunOptions,
                    become: Become | None = None) -> Connection:
    """A connection for `host` (local or ssh), escalated with `become` when given."""
    kind = connection_type(variables, options.connection)
    if kind == "local":
        from miniplay.connection.local import LocalConnection

        python = str(variables.get("ansible_python_interpreter") or _local_python(become))
        return LocalConnection(host, python, become)
    if kind in ("ssh", "paramiko", "smart"):
        from miniplay.connection.ssh import SshConnection  # asyncssh loads only when needed

        return SshConnection.from_vars(host, variables, options, become)
    raise HostUnreachable(f"connection type {kind!r} is not supported by miniplay")
