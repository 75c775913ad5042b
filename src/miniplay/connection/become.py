"""Privilege escalation: running the agent (and raw commands) as another user.

Takes: `become_method`, `become_user`, `become_flags` and the become password. Gives:
`Become`, which wraps an agent's argv (or a shell command) in `sudo`/`su`, and
`handshake`, which answers the password prompt and waits for the wrapped program's
success marker before any frame is sent. Raises: `HostUnreachable` when escalation
fails (wrong password, no sudo rule, timeout) — with the reason, never the password.

The password goes only to sudo's own prompt on stdin, after sudo asked for it: never
on a command line, never to the agent. `su` reads its password from a terminal, so it
is supported only where it needs none (the connecting user is root).
"""

from __future__ import annotations

import asyncio
import secrets
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from miniplay.errors import HostUnreachable

PROMPT = "[miniplay-become-password]"
METHODS = ("sudo", "su")
HANDSHAKE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Become:
    """How to escalate: method, target user, extra flags and the password."""

    method: str = "sudo"
    user: str = "root"
    flags: str = ""
    password: str | None = field(default=None, repr=False)
    marker: str = field(default_factory=lambda: "MINIPLAY-BECOME-" + secrets.token_hex(8))

    @property
    def key(self) -> str:
        """Connections are kept per host and per (method, user)."""
        return f"{self.method}:{self.user}"

    def _prefix(self, interactive: bool) -> list[str]:
        if self.method == "su":
            if self.password:
                raise HostUnreachable("become_method su with a password needs a terminal, "
                                      "which miniplay does not drive; use sudo")
            return ["su", *shlex.split(self.flags), "-s", "/bin/sh", self.user, "-c"]
        flags = shlex.split(self.flags) if self.flags else ["-H"]
        prompt = ["-S", "-p", PROMPT] if self.password and interactive else ["-n"]
        return ["sudo", *flags, *prompt, "-u", self.user, "--", "/bin/sh", "-c"]

    def wrap_argv(self, argv: list[str]) -> list[str]:
        """`argv` run as the become user, printing the marker line first."""
        script = f"echo {self.marker}; exec {shlex.join(argv)}"
        return [*self._prefix(interactive=True), script]

    def wrap_command(self, command: str) -> str:
        """A shell command line that runs `command` as the become user (for raw)."""
        sudo_password = bool(self.password) and self.method == "sudo"
        prefix = self._prefix(interactive=sudo_password)
        if sudo_password:
            prefix = [p for p in prefix if p != PROMPT]
            prefix[prefix.index("-p") + 1] = ""
        return shlex.join([*prefix, command])


async def handshake(become: Become, stdout: asyncio.StreamReader,
                    write: Callable[[bytes], None], stderr_text: Callable[[], str]) -> None:
    """Answer sudo's prompt (once) and wait for the marker line on stdout."""
    answered = False
    deadline = asyncio.get_running_loop().time() + HANDSHAKE_SECONDS
    reader = asyncio.ensure_future(stdout.readline())
    try:
        while True:
            done, _ = await asyncio.wait({reader}, timeout=0.05)
            if done:
                line = reader.result().decode("utf-8", "replace").strip()
                if line == become.marker:
                    return
                raise HostUnreachable(_failure(become, stderr_text(), line))
            if not answered and PROMPT in stderr_text():
                if become.password is None:
                    raise HostUnreachable(f"{become.method} asked for a password; set "
                                          "ansible_become_password")
                write(become.password.encode() + b"\n")
                answered = True
            if asyncio.get_running_loop().time() > deadline:
                raise HostUnreachable(f"timed out waiting for {become.method} to {become.user}")
    finally:
        reader.cancel()


def _failure(become: Become, stderr: str, line: str) -> str:
    detail = stderr.replace(PROMPT, "").strip() or line or "no output"
    return f"privilege escalation ({become.method} to {become.user}) failed: {detail}"
