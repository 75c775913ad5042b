"""How to reach one SSH host, read from its variables the way Ansible reads them.

Takes: a host name, its (lazily templated) variables and the run's `RunOptions`.
Gives: `SshSettings`, a frozen value with the address, port, user, keys, password,
known_hosts files and host-key policy; and `load_known_hosts`, which reads those files.
Raises: nothing: unusable values fall back to Ansible's defaults, and a missing
known_hosts file simply contributes no keys (so the host fails as "unknown key").

Precedence follows Ansible's ssh plugin, which puts ``-o Port=``/``-o User=`` from the
host's variables before ``ansible_ssh_common_args`` on the ssh command line, where the
first value wins: an explicit ``ansible_port``/``ansible_user`` beats ``-p``/``-l`` in
the arguments, which beat the defaults (22, the current user). Only the options that
map onto asyncssh are understood; the rest (ControlMaster, ...) are ignored.
"""

from __future__ import annotations

import getpass
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import asyncssh

from miniplay.options import RunOptions

HostKeyPolicy = Literal["yes", "no", "accept-new"]
DEFAULT_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
ARG_VARS = ("ansible_ssh_common_args", "ansible_ssh_extra_args", "ansible_ssh_args")
AUTO_PYTHON = frozenset({"", "auto", "auto_silent", "auto_legacy", "auto_legacy_silent"})
SHORT_FLAGS = {"-p": "port", "-l": "user", "-i": "identityfile"}


@dataclass(frozen=True, slots=True)
class SshSettings:
    """Everything `SshConnection` needs; the password never appears in its repr."""

    host: str
    address: str
    port: int = 22
    user: str = ""
    key_files: tuple[str, ...] = ()
    password: str | None = field(default=None, repr=False)
    known_hosts: tuple[str, ...] = ()
    host_keys: HostKeyPolicy = "yes"
    timeout: float = 10.0
    python: str | None = None

    @property
    def target(self) -> str:
        """``[addr]:port`` as OpenSSH names a host in known_hosts and messages."""
        return self.address if self.port == 22 else f"[{self.address}]:{self.port}"


def _first(variables: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = variables.get(name)
        if value is not None and value != "":
            return value
    return None


def parse_ssh_args(text: str) -> dict[str, list[str]]:
    """ssh command-line options as ``{lowercase option: [values in order]}``.

    Understands ``-o Key=Value``, ``-oKey=Value``, ``-o "Key Value"``, ``-p N``,
    ``-pN``, ``-l user`` and ``-i file``; anything else is skipped.
    """
    found: dict[str, list[str]] = {}
    words = shlex.split(text)
    index = 0
    while index < len(words):
        word = words[index]
        flag, inline = word[:2], word[2:]
        if flag == "-o" or flag in SHORT_FLAGS:
            value = inline
            if not value and index + 1 < len(words):
                index += 1
                value = words[index]
            key, val = _option(flag, value)
            found.setdefault(key, []).append(val)
        index += 1
    return found


def _option(flag: str, value: str) -> tuple[str, str]:
    if flag in SHORT_FLAGS:
        return SHORT_FLAGS[flag], value
    key, _, val = value.replace("=", " ", 1).partition(" ")
    return key.strip().lower(), val.strip()


def _ssh_args(variables: Mapping[str, Any]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for name in ARG_VARS:
        text = variables.get(name)
        if text:
            for key, values in parse_ssh_args(str(text)).items():
                merged.setdefault(key, []).extend(values)
    return merged


def _port(variables: Mapping[str, Any], args: dict[str, list[str]]) -> int:
    value = _first(variables, "ansible_port", "ansible_ssh_port")
    if value is None:
        value = (args.get("port") or ["22"])[0]
    try:
        return int(value)
    except (TypeError, ValueError):
        return 22


def _known_hosts(variables: Mapping[str, Any], args: dict[str, list[str]]) -> tuple[str, ...]:
    user_files = [f for value in args.get("userknownhostsfile", []) for f in value.split()]
    files = [*(user_files or DEFAULT_KNOWN_HOSTS), *GLOBAL_KNOWN_HOSTS]
    extra = variables.get("ansible_ssh_known_hosts_file")
    if extra:
        files.append(str(extra))
    return tuple(os.path.expanduser(f) for f in files if f.lower() != "/dev/null")


def _policy(args: dict[str, list[str]], options: RunOptions) -> HostKeyPolicy:
    if not options.host_key_checking:
        return "no"
    value = (args.get("stricthostkeychecking") or ["yes"])[0].lower()
    if value in ("no", "off", "false"):
        return "no"
    return "accept-new" if value == "accept-new" else "yes"


def _python(variables: Mapping[str, Any]) -> str | None:
    value = variables.get("ansible_python_interpreter")
    return None if value is None or str(value) in AUTO_PYTHON else str(value)


def settings_from_vars(host: str, variables: Mapping[str, Any],
                       options: RunOptions) -> SshSettings:
    """The SSH settings for `host` from its variables and the run's options."""
    args = _ssh_args(variables)
    user = _first(variables, "ansible_user", "ansible_ssh_user")
    keys = [_first(variables, "ansible_ssh_private_key_file", "ansible_private_key_file"),
            *args.get("identityfile", [])]
    password = _first(variables, "ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
    return SshSettings(
        host=host,
        address=str(_first(variables, "ansible_host", "ansible_ssh_host") or host),
        port=_port(variables, args),
        user=str(user or (args.get("user") or [getpass.getuser()])[0]),
        key_files=tuple(os.path.expanduser(str(k)) for k in keys if k),
        password=None if password is None else str(password),
        known_hosts=_known_hosts(variables, args),
        host_keys=_policy(args, options),
        timeout=options.timeout,
        python=_python(variables),
    )


def load_known_hosts(files: tuple[str, ...]) -> asyncssh.SSHKnownHosts:
    """The trusted keys from every readable file of `files` (missing ones are skipped)."""
    known = asyncssh.SSHKnownHosts()
    for name in files:
        try:
            with open(name, encoding="utf-8", errors="replace") as handle:
                known.load(handle.read())
        except OSError:
            continue
    return known


def has_keys_for(known: asyncssh.SSHKnownHosts, settings: SshSettings) -> bool:
    """Whether known_hosts lists any key for this host (so a mismatch means "changed")."""
    host_keys, ca_keys, *_ = known.match(settings.address, settings.address, settings.port)
    return bool(host_keys or ca_keys)
