"""Mapping SSH failures to `HostUnreachable`, with Ansible-like wording.

Takes: an exception raised by asyncssh, the socket layer or a timeout, and the host's
`SshSettings`. Gives: a `HostUnreachable` whose message reads like ansible-core's
(``Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port 1:
Connection refused``), so users recognise it and scripts that grep it keep working.
Raises: nothing.

Why one place: every transport error crosses this edge exactly once; nothing past
`SshConnection` ever sees an asyncssh type. The password is never part of a message.
"""

from __future__ import annotations

import os
import socket

import asyncssh

from miniplay.connection.ssh_settings import SshSettings
from miniplay.errors import HostUnreachable

PREFIX = "Failed to connect to the host via ssh: "


def host_key_problem(settings: SshSettings, changed: bool) -> HostUnreachable:
    """An unknown or changed host key, naming the files that were searched."""
    files = ", ".join(settings.known_hosts) or "none"
    if changed:
        text = (f"WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! The {settings.target} "
                f"host key does not match the key in known_hosts ({files}).")
    else:
        text = (f"No host key is known for {settings.target} and you have requested "
                f"strict checking (known_hosts searched: {files}).")
    return HostUnreachable(f"{PREFIX}{text}\nHost key verification failed.")


def _os_text(exc: OSError, settings: SshSettings) -> str:
    if isinstance(exc, socket.gaierror):
        return f"ssh: Could not resolve hostname {settings.address}: {exc.strerror or exc}"
    if exc.filename:
        return f"ssh: {exc.filename}: {exc.strerror or exc}"
    reason = "Connection timed out" if isinstance(exc, TimeoutError) else exc.strerror
    if exc.errno and not isinstance(exc, TimeoutError):  # asyncio: "Connect call failed"
        reason = os.strerror(exc.errno)
    where = f"ssh: connect to host {settings.address} port {settings.port}"
    return f"{where}: {reason or exc or type(exc).__name__}"


def _ssh_text(exc: asyncssh.Error, settings: SshSettings) -> str:
    where = f"{settings.address} port {settings.port}"
    if isinstance(exc, asyncssh.PermissionDenied):
        methods = "publickey,password" if settings.password else "publickey"
        return f"{settings.user}@{settings.address}: Permission denied ({methods})."
    if isinstance(exc, asyncssh.ConnectionLost):
        return f"Connection to {where} closed: {exc.reason}"
    if isinstance(exc, asyncssh.DisconnectError):
        return f"Received disconnect from {where}: {exc.reason}"
    return f"ssh: {exc.reason}"


def unreachable(exc: BaseException, settings: SshSettings) -> HostUnreachable:
    """The `HostUnreachable` for `exc` on this host."""
    if isinstance(exc, HostUnreachable):
        return exc
    if isinstance(exc, asyncssh.Error):
        text = _ssh_text(exc, settings)
    elif isinstance(exc, OSError):
        text = _os_text(exc, settings)
    elif isinstance(exc, asyncssh.KeyImportError):
        text = f"ssh: cannot load a private key ({', '.join(settings.key_files)}): {exc}"
    else:
        text = f"ssh: {type(exc).__name__}: {exc}"
    return HostUnreachable(PREFIX + text)
