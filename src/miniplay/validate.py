"""`miniplay validate`: check playbooks statically and report every problem found.

Takes: paths to playbook files and directories. Gives: `Diagnostic`s (rule id, severity,
message, position, hint) sorted by file, line and column, and `render_report` turns them
into text (``file:line:col: error: message``, the source line, a caret, a hint) or JSON.
Raises: nothing, whatever the input: every problem, an unreadable path included, is a
diagnostic; a bug in a check becomes an `internal-error` diagnostic, not a traceback.

Which files are playbooks: a file named explicitly is always checked as a playbook. In a
directory, every ``*.yml``/``*.yaml`` file below it (hidden folders skipped) is checked
when it LOOKS like a playbook: its top level is a non-empty YAML list of mappings, at
least one of which has `hosts` or `import_playbook`. Other YAML (task files, vars files,
inventories) is skipped there; task files are checked through the plays that import
them. A file that is not valid YAML cannot be classified and is reported.

Why static: Ansible's `--syntax-check` misses unknown keywords, wrong types, Jinja
syntax errors and missing files; finding them here costs no host and no run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from miniplay.checks import IMPORT_KEYS, PlaybookChecker
from miniplay.errors import MiniplayError, Position
from miniplay.schema import Diagnostic, error

__all__ = ["Diagnostic", "error_count", "looks_like_playbook", "render_report", "validate_file",
           "validate_paths"]

PLAY_SECTIONS = frozenset({"hosts", "tasks", "pre_tasks", "post_tasks", "handlers", "roles"})


def looks_like_playbook(data: Any) -> bool:
    """A non-empty list of mappings, one of them with `hosts` or `import_playbook`."""
    if not isinstance(data, list) or not data:
        return False
    if not all(isinstance(item, dict) for item in data):
        return False
    return any("hosts" in item or any(key in item for key in IMPORT_KEYS) for item in data)


def validate_file(path: str | os.PathLike[str]) -> list[Diagnostic]:
    """Every diagnostic of one playbook file (and the files it imports)."""
    return validate_paths([os.fspath(path)])


def validate_paths(paths: Sequence[str | os.PathLike[str]]) -> list[Diagnostic]:
    """Every diagnostic of the playbooks at `paths` (files or directories), sorted."""
    checker = PlaybookChecker()
    found: list[Diagnostic] = []
    for given in paths:
        path = os.fspath(given)
        if os.path.isdir(path):
            for name in _yaml_files(path):
                found += _guarded(checker, name, explicit=False)
        elif os.path.exists(path):
            found += _guarded(checker, path, explicit=True)
        else:
            found.append(error("read-error", f"no such file or directory: {path}", None))
    return _sorted(found)


def _yaml_files(folder: str) -> list[str]:
    names: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        names += [os.path.join(root, f) for f in sorted(files)
                  if f.endswith((".yml", ".yaml"))]
    return names


def _guarded(checker: PlaybookChecker, path: str, explicit: bool) -> list[Diagnostic]:
    """`_check_file`, with any unexpected exception turned into a diagnostic."""
    try:
        return _check_file(checker, path, explicit)
    except MiniplayError as exc:
        return [error(exc.rule or "schema", exc.message, exc.pos or Position(path, 1, 1),
                      exc.hint)]
    except (RecursionError, MemoryError):
        return [error("yaml-syntax", "the file nests too deeply to check", Position(path, 1, 1))]
    except Exception as exc:  # a bug in a check must not hide the other diagnostics
        return [error("internal-error", f"miniplay could not check this file "
                      f"({type(exc).__name__}: {exc})", Position(path, 1, 1),
                      "this is a bug in miniplay; please report it with the file")]


def _check_file(checker: PlaybookChecker, path: str, explicit: bool) -> list[Diagnostic]:
    data, problem = checker.sources.load(path)
    if problem is not None:
        if problem.rule == "yaml-syntax" and problem.message.startswith(("file not found",
                                                                         "cannot read")):
            return [error("read-error", problem.message, None)]
        return [problem]
    if not looks_like_playbook(data):
        if not explicit:
            return []
        if not _play_shaped(data):
            return [_not_playbook(path, data)]
    return checker.check_playbook(path, data)


def _play_shaped(data: Any) -> bool:
    """Play-like data (a list of mappings with play sections, or one play not in a list):
    a broken playbook rather than another kind of file."""
    if isinstance(data, dict):
        return bool(PLAY_SECTIONS & set(data))
    return isinstance(data, list) and any(
        isinstance(item, dict) and PLAY_SECTIONS & set(item) for item in data)


def _not_playbook(path: str, data: Any) -> Diagnostic:
    hint = "a playbook is a list of plays, each with `hosts:` (or `import_playbook:`)"
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        hint += "; this looks like a task file: validate the playbook that imports it"
    elif isinstance(data, dict):
        hint += "; this looks like a vars file or an inventory"
    return error("not-playbook", f"{path} is not a playbook", Position(path, 1, 1), hint)


def _sorted(found: Iterable[Diagnostic]) -> list[Diagnostic]:
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda d: (d.pos.file, d.pos.line, d.pos.column) if d.pos
                  else ("", 0, 0))


def render_report(diags: Sequence[Diagnostic], fmt: Literal["human", "json"] = "human") -> str:
    """The diagnostics as text for a terminal, or as a JSON list for tools."""
    if fmt == "json":
        return json.dumps([_as_json(d) for d in diags], indent=2)
    if not diags:
        return ""
    blocks = [d.render() for d in diags]
    return "\n".join(blocks) + "\n" + _summary(diags)


def _summary(diags: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diags if d.severity == "error")
    warnings = sum(1 for d in diags if d.severity == "warning")
    files = len({d.pos.file for d in diags if d.pos})
    return f"{errors} error(s), {warnings} warning(s) in {files} file(s)"


def _as_json(diag: Diagnostic) -> dict[str, Any]:
    pos = diag.pos
    return {
        "file": pos.file if pos else None,
        "line": pos.line if pos else None,
        "column": pos.column if pos else None,
        "severity": diag.severity,
        "rule": diag.rule,
        "message": diag.message,
        "hint": diag.hint,
    }


def error_count(diags: Iterable[Diagnostic]) -> int:
    """How many diagnostics are errors (the CLI exits 4 when there is any)."""
    return sum(1 for d in diags if d.severity == "error")

