"""Opening the right connection for a host from its variables.

Takes: a host name and its variable scope. Gives: a `Connection` (not yet connected:
the agent starts on first use). Raises: `HostUnreachable` for a connection type miniplay
does not have.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from miniplay.connection.base import Connection
from miniplay.errors import HostUnreachable
from miniplay.options import RunOptions


def connection_type(variables: Mapping[str, Any]) -> str:
    """`ansible_connection`, defaulting to ssh as Ansible does."""
    return str(variables.get("ansible_connection") or "ssh")


def open_connection(host: str, variables: Mapping[str, Any], options: RunOptions) -> Connection:
    """A connection for `host` (local or ssh)."""
    kind = connection_type(variables)
    if kind == "local":
        from miniplay.connection.local import LocalConnection

        python = str(variables.get("ansible_python_interpreter") or sys.executable)
        return LocalConnection(host, python)
    if kind in ("ssh", "paramiko", "smart"):
        from miniplay.connection.ssh import SshConnection  # asyncssh loads only when needed

        return SshConnection.from_vars(host, variables, options)
    raise HostUnreachable(f"connection type {kind!r} is not supported by miniplay")
