"""INI inventory files, read the way ansible-core 2.19's ``ini`` plugin reads them.

Takes: a file path, its text and the `InventoryBuilder` shared by all sources.
Gives: groups, hosts and variables added to the builder. Raises: `InventoryError` with
the file position and a hint for any line Ansible would refuse.

Rules kept on purpose (see spec §7): hosts before any section go to ``ungrouped``;
``[g]``, ``[g:vars]``, ``[g:children]``; inline host vars are split shell-style; every
value (inline *and* in ``[g:vars]``) goes through `ast.literal_eval`, falling back to
the string, so ``5`` is an int and ``true`` stays text; ``h:2200`` sets ``ansible_port``;
ranges ``web[01:03]``. A ``[g:vars]`` or ``[p:children]`` naming a group that no section
ever declares is an error, as in Ansible.
"""

from __future__ import annotations

import ast
import re
import shlex
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from miniplay.errors import InventoryError, Position, source_line
from miniplay.inventory_build import UNGROUPED, InventoryBuilder, expand_hostname, split_port

_SECTION = re.compile(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$")
_GROUP_NAME = re.compile(r"^([^:\]\s]+)\s*(?:#.*)?$")
_KINDS = ("hosts", "vars", "children")


@dataclass
class _Pending:
    """A group named before any section declared it: ``[g:vars]`` or a child name."""

    kind: str
    pos: Position
    parents: list[str] = field(default_factory=list)


@dataclass
class _IniParser:
    path: str
    builder: InventoryBuilder
    group: str = UNGROUPED
    kind: str = "hosts"
    pos: Position = field(default_factory=lambda: Position("", 0, 1))
    pending: dict[str, _Pending] = field(default_factory=dict)

    def fail(self, message: str, hint: str | None = None) -> NoReturn:
        raise InventoryError(message, self.pos, hint)

    def parse(self, text: str) -> None:
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            self.pos = Position(self.path, number, len(raw) - len(raw.lstrip()) + 1)
            if not line or line[0] in "#;":
                continue
            if not self._section(line):
                self._entry(line)
        self._check_pending()

    def _section(self, line: str) -> bool:
        match = _SECTION.match(line)
        if match is None:
            if line.startswith("[") and line.endswith("]"):
                self.fail(f"Invalid section entry: '{line}'",
                          "a section is [name], [name:vars] or [name:children], without spaces")
            return False
        self.group, kind = match.group(1), match.group(2) or "hosts"
        if kind not in _KINDS:
            self.fail(f"Section [{self.group}:{kind}] has unknown type: {kind}",
                      "use [name], [name:vars] or [name:children]")
        self.kind = kind
        self._declare(self.group)
        return True

    def _declare(self, name: str) -> None:
        known = name in self.builder.groups
        if not known and self.kind == "vars" and name not in self.pending:
            self.pending[name] = _Pending("vars", self.pos)
        self.builder.add_group(name)
        waiting = self.pending.get(name)
        if waiting is None or self.kind == "vars":
            return
        del self.pending[name]
        for parent in waiting.parents:
            self._add_child(parent, name)

    def _entry(self, line: str) -> None:
        if self.kind == "hosts":
            self._hosts(line)
        elif self.kind == "vars":
            key, sep, value = line.partition("=")
            if not sep:
                self.fail(f"Expected key=value, got: {line}",
                          f"lines under [{self.group}:vars] are variables: name=value")
            self._set(lambda: self.builder.set_group_var(self.group, key.strip(),
                                                          parse_value(value.strip())),
                      "ansible_group_priority is a whole number; higher wins among siblings")
        else:
            self._child(line)

    def _child(self, line: str) -> None:
        match = _GROUP_NAME.match(line)
        if match is None:
            self.fail(f"Expected group name, got: {line}",
                      f"lines under [{self.group}:children] are group names, one per line")
        child = match.group(1)
        if child in self.builder.groups:
            self._add_child(self.group, child)
            return
        waiting = self.pending.setdefault(child, _Pending("children", self.pos))
        waiting.parents.append(self.group)

    def _add_child(self, parent: str, child: str) -> None:
        self._set(lambda: self.builder.add_child(parent, child),
                  "a group cannot contain itself, directly or through its children")

    def _set(self, action: Callable[[], None], hint: str | None = None) -> None:
        try:
            action()
        except ValueError as exc:
            self.fail(str(exc), hint)

    def _hosts(self, line: str) -> None:
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError as exc:
            self.fail(f"Error parsing host definition '{line}': {exc}",
                      "close the quote, or escape it with a backslash")
        names, port = self._host_names(tokens[0])
        variables = dict(self._host_var(token) for token in tokens[1:])
        for name in names:
            self.builder.add_host(name, self.group, port)
            for key, value in variables.items():
                self.builder.set_host_var(name, key, value)

    def _host_names(self, text: str) -> tuple[list[str], int | None]:
        name, port = split_port(text)
        if text.endswith(":") and port is None:
            self.fail(f"Invalid host pattern '{text}' supplied, ending in ':' is not allowed",
                      "':' is reserved for a port (host:2222); a YAML inventory must be "
                      "named *.yml or *.yaml")
        if name == "---":
            self.fail(f"Invalid host pattern '{text}' supplied, '---' starts a YAML document",
                      "a YAML inventory must be named *.yml or *.yaml")
        try:
            return expand_hostname(name), port
        except ValueError as exc:
            self.fail(f"bad host range in '{name}': {exc}",
                      "ranges look like web[01:10], db-[a:f] or s[1:9:2]")

    def _host_var(self, token: str) -> tuple[str, Any]:
        key, sep, value = token.partition("=")
        if not sep:
            self._point_at(token)
            self.fail(f"Expected key=value host variable assignment, got: {token}",
                      "host variables are name=value; quote values that contain spaces")
        return key, parse_value(value)

    def _point_at(self, text: str) -> None:
        """Move the error column to where `text` first appears after the host name."""
        line = source_line(self.pos) or ""
        found = line.find(text, line.find(" ") + 1)
        if found >= 0:
            self.pos = Position(self.pos.file, self.pos.line, found + 1)

    def _check_pending(self) -> None:
        for name, waiting in self.pending.items():
            self.pos = waiting.pos
            if waiting.kind == "vars":
                self.fail(f"Section [{name}:vars] not valid for undefined group '{name}'",
                          f"declare the group with a [{name}] or [{name}:children] section")
            self.fail(f"Section [{waiting.parents[-1]}:children] includes undefined group "
                      f"'{name}'", f"declare the group with a [{name}] section, even empty")


def parse_ini(path: str, text: str, builder: InventoryBuilder) -> None:
    """Add the INI inventory `text` (read from `path`) to `builder`."""
    _IniParser(path, builder).parse(text)


def parse_value(text: str) -> Any:
    """An INI value: a Python literal when `ast.literal_eval` accepts it, else the text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    return _coerce(value)


def _coerce(value: Any) -> Any:
    """Keep only variable types: containers become list/dict; odd literals become text."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_coerce(item) for item in value]
    if isinstance(value, dict):
        return {key: _coerce(item) for key, item in value.items()}
    if value is Ellipsis:
        return "..."
    if isinstance(value, complex):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
