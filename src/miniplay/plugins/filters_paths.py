"""Ansible's path filters: POSIX and Windows path text, and `fileglob` on the controller.

Takes: path text (or a list of parts for `path_join`/`commonpath`). Gives: text, a
pair (`splitext`, `win_splitdrive`) or a list of files (`fileglob`). Raises:
`TemplateError` for input of the wrong type ("|path_join expects string or sequence");
`Templar` adds the filter name and the position.

Why on the controller: like ansible-core, these filters run where the template is
rendered; `realpath`, `expanduser` and `fileglob` see the controller's file system.
"""

from __future__ import annotations

import glob
import ntpath
import os.path
from collections.abc import Callable
from typing import Any

from miniplay.errors import TemplateError


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _text(function: Callable[[str], Any]) -> Callable[[Any], Any]:
    """`function` applied to the value as text, as Ansible's `unicode_wrap` does."""
    def wrapped(value: Any) -> Any:
        return function(str(value))
    wrapped.__doc__ = function.__doc__
    return wrapped


def path_join(paths: Any) -> str:
    """The parts joined with `/` (a later absolute part restarts the path)."""
    if isinstance(paths, str):
        return os.path.join(paths)
    if _is_sequence(paths):
        return os.path.join(*[str(part) for part in paths])
    raise TemplateError(f"|path_join expects string or sequence, got {type(paths)} instead.")


def commonpath(paths: Any) -> str:
    """The longest common sub-path of the paths."""
    if not _is_sequence(paths):
        raise TemplateError(f"|commonpath expects sequence, got {type(paths)} instead.")
    return os.path.commonpath([str(path) for path in paths])


def relpath(path: Any, start: Any = os.curdir) -> str:
    """`path` relative to `start` (the current directory by default)."""
    return os.path.relpath(str(path), str(start))


def fileglob(pattern: Any) -> list[str]:
    """The regular files matching the glob pattern on the controller."""
    return [name for name in glob.glob(str(pattern)) if os.path.isfile(name)]


def path_filters() -> dict[str, Callable[..., Any]]:
    """Name → function for the filters in this file."""
    return {
        "basename": _text(os.path.basename), "dirname": _text(os.path.dirname),
        "expanduser": _text(os.path.expanduser), "expandvars": _text(os.path.expandvars),
        "realpath": _text(os.path.realpath), "relpath": relpath,
        "splitext": _text(os.path.splitext), "normpath": _text(os.path.normpath),
        "path_join": path_join, "commonpath": commonpath,
        "win_basename": _text(ntpath.basename), "win_dirname": _text(ntpath.dirname),
        "win_splitdrive": _text(ntpath.splitdrive),
        "fileglob": fileglob,
    }
