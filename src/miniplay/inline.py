"""Inline a program's private helper files into it, for programs sent to hosts as one file.

Takes: a program's source and a way to read a helper by name. Gives: the source with each
``from [pkg.]_helper import (...)  # miniplay: inline`` replaced by the helper's text
(recursively; each helper once; its ``__future__`` import dropped, the program has its
own at the top). Raises: `OSError` (with the helper's file name) when a helper cannot be
read.

Why: the agent and the modules travel to a host as a single file each, yet keeping them
in one file each made the agent 700+ lines and copied ~220 lines of helpers into six
file modules. Where they live (run from their folder, or type-checked as part of
miniplay) the marked line is a plain import, so the code reads and tests as usual.
"""

from __future__ import annotations

from collections.abc import Callable

MARK = b"# miniplay: inline"


def helper_name(line: bytes) -> str | None:
    """The helper a marked ``from X import`` line names (X's last part), else None."""
    words = line.split()
    if MARK not in line or len(words) < 4 or words[0] != b"from" or words[2] != b"import":
        return None
    name = words[1].decode("ascii", "replace").rsplit(".", 1)[-1]
    return name if name.startswith("_") else None


def inline_helpers(source: bytes, read: Callable[[str], bytes],
                   done: set[str] | None = None) -> bytes:
    """`source` with its marked helper imports replaced by the helpers' text."""
    if MARK not in source:
        return source
    done = set() if done is None else done
    lines = source.splitlines(keepends=True)
    out: list[bytes] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        name = helper_name(line)
        if name is None:
            out.append(line)
            continue
        if b"(" in line and b")" not in line:  # a parenthesised import: skip to its end
            while index < len(lines) and b")" not in lines[index]:
                index += 1
            index += 1
        if name in done:
            continue
        done.add(name)
        text = inline_helpers(read(name), read, done)
        out += [part for part in text.splitlines(keepends=True)
                if not part.startswith(b"from __future__ import")]
    return b"".join(out)
