"""The error hierarchy: every user-facing error is a value with a position.

Takes: a message, an optional `Position` and an optional hint.
Gives: `MiniplayError.render()` — ``file:line:col: error: message``, the source line,
a caret under the column and ``hint: ...`` — and an exit code the CLI maps to.
Raises: nothing itself; each pipeline stage raises these through its own `fail()`.

Positions are 1-based everywhere. The loader converts ruamel's 0-based marks once, so
no other stage does arithmetic on positions.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, NamedTuple, NoReturn


class Position(NamedTuple):
    """Where something sits in a user's file (1-based line and column).

    A NamedTuple rather than a frozen dataclass: the loader makes two for every mapping
    entry, and a tuple is several times cheaper to build.
    """

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def shifted(self, lines: int, column: int | None = None) -> Position:
        """The position `lines` further down (a Jinja line inside a YAML scalar)."""
        return Position(self.file, self.line + lines, self.column if column is None else column)


def source_line(pos: Position) -> str | None:
    """The text of the line `pos` points at, or None when the file cannot be read."""
    try:
        with Path(pos.file).open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == pos.line:
                    return text.rstrip("\n").rstrip("\r")
    except OSError:
        return None
    return None


class MiniplayError(Exception):
    """Base of every error miniplay shows a user; never shown as a traceback."""

    exit_code: ClassVar[int] = 1
    kind: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        pos: Position | None = None,
        hint: str | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.hint = hint
        self.rule = rule

    def __str__(self) -> str:
        return f"{self.pos}: {self.message}" if self.pos else self.message

    def render(self, severity: str = "error") -> str:
        """The full text: location, message, source line with a caret, hint."""
        return render_message(severity, self.message, self.pos, self.hint)


def render_message(severity: str, message: str, pos: Position | None, hint: str | None) -> str:
    """``file:line:col: severity: message``, the source line, a caret, ``  hint: ...``.

    Shared by `MiniplayError.render` and the validator's diagnostics, so both look alike.
    """
    lines = [f"{pos}: {severity}: {message}" if pos else f"{severity}: {message}"]
    if pos is not None:
        text = source_line(pos)
        if text is not None:
            lines.append(f"    {text.expandtabs(1)}")
            lines.append("    " + " " * max(pos.column - 1, 0) + "^")
    if hint:
        lines.append(f"  hint: {hint}")
    return "\n".join(lines)


class InputError(MiniplayError):
    """Something wrong in the user's files or inputs; ansible-playbook exits 4."""

    exit_code = 4


class YamlError(InputError):
    """The file is not valid YAML (or has a duplicate key, when that is made an error)."""


class SchemaError(InputError):
    """The YAML is valid but breaks the playbook, inventory or module schema."""


class PlaybookError(InputError):
    """A playbook problem found past the schema (unknown module, missing file, ...)."""


class InventoryError(InputError):
    """An inventory source that cannot be read."""


class TemplateError(InputError):
    """A Jinja template that does not parse, or does not render (undefined variable)."""


class OptionsError(MiniplayError):
    """Bad command-line options; ansible-playbook exits 5."""

    exit_code = 5


class UsageError(MiniplayError):
    """A run that cannot start for reasons Ansible reports with exit 1."""

    exit_code = 1


class HostUnreachable(MiniplayError):
    """A host cannot be reached; becomes an UNREACHABLE result, never stops the run."""

    exit_code = 4


class ModuleError(MiniplayError):
    """A module is missing or misbehaved; becomes a failed result."""


class JobError(MiniplayError):
    """An async job id that is invalid, or a job that cannot be found."""


def fail(error: type[MiniplayError], message: str, pos: Position | None = None,
         hint: str | None = None) -> NoReturn:
    """Raise `error`; the one raise path each stage uses, as Jinja's `Parser.fail`."""
    raise error(message, pos, hint)
