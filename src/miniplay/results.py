"""Typed task results and per-host statistics, shared by the executor and the outputs.

Takes: nothing. Gives: `TaskStatus`, `HostStats`. Raises: nothing.

Results travel as JSON-like dicts (they are what `register` stores and what Ansible
users read), but their *status* is decided once, by the executor, and carried as an
enum so no output format re-derives it from magic keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

JSON = Any


class TaskStatus(Enum):
    """How one task ended on one host, as the recap counts it."""

    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNREACHABLE = "unreachable"

    @property
    def label(self) -> str:
        """The word Ansible prints before `[host]`."""
        return {"failed": "fatal", "skipped": "skipping"}.get(self.value, self.value)


@dataclass(slots=True)
class HostStats:
    """One line of PLAY RECAP. Mutable: the executor adds to it as results arrive."""

    ok: int = 0
    changed: int = 0
    unreachable: int = 0
    failures: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0

    def as_dict(self) -> dict[str, int]:
        """The json callback's shape (`failures`, not `failed`)."""
        return {
            "changed": self.changed,
            "failures": self.failures,
            "ignored": self.ignored,
            "ok": self.ok,
            "rescued": self.rescued,
            "skipped": self.skipped,
            "unreachable": self.unreachable,
        }
