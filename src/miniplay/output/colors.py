"""ANSI colours for the text output, with Ansible's default palette.

Takes: a text and a colour role. Gives: the text wrapped in SGR escapes, line by line
(as Ansible does, so a multi-line JSON dump is coloured on every line). Raises: nothing.

Why a module: the palette is data (Ansible's `COLOR_*` defaults), and keeping it apart
lets `default.py` stay about layout. Colour is decided by the caller (`color=True`),
never here: this module does not look at TTYs or `NO_COLOR`.
"""

from __future__ import annotations

from enum import Enum


class Color(Enum):
    """A colour role and its SGR code (ansible-core 2.19 defaults)."""

    OK = "0;32"  # green
    CHANGED = "0;33"  # yellow
    ERROR = "0;31"  # red
    SKIP = "0;36"  # cyan
    UNREACHABLE = "1;31"  # bright red
    DEBUG = "1;30"  # dark gray: retries, async lines, task path
    WARN = "1;35"  # bright purple
    VERBOSE = "0;34"  # blue


def paint(text: str, color: Color | None, enabled: bool) -> str:
    """Colour each line of `text`; unchanged when disabled or `color` is None."""
    if not enabled or color is None:
        return text
    return "\n".join(f"\033[{color.value}m{line}\033[0m" for line in text.split("\n"))
