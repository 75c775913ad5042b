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

Which checks: `validate_paths` (the `miniplay validate` command) runs the structural
checks and the data-flow checks (`checks_flow`: undefined variables, async jobs);
`validate_file` (the gate before a run) runs only the structural ones unless its
`settings` ask for more, so a run never prints lint warnings first. `ValidateSettings`
also carry the `-e` names the flow checks must accept and the rules turned off.

Turning a rule off: `ValidateSettings.disabled` (`--disable RULE`), or a trailing
``# miniplay: disable=RULE[,RULE]`` comment on the line a diagnostic points at (the
offending line itself; ``disable=all`` silences every rule on that line).

Why static: Ansible's `--syntax-check` misses unknown keywords, wrong types, Jinja
syntax errors and missing files; finding them here costs no host and no run.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from miniplay.checks import IMPORT_KEYS, PlaybookChecker
from miniplay.checks_flow import FlowChecker, FlowSettings
from miniplay.errors import MiniplayError, Position
from miniplay.loader import collect_warnings, mark_reported
from miniplay.report_formats import FORMATS, render
from miniplay.schema import Diagnostic, error

__all__ = [
    "FORMATS",
    "Diagnostic",
    "ValidateSettings",
    "Validation",
    "error_count",
    "extra_var_names",
    "failed",
    "looks_like_playbook",
    "render_report",
    "validate_file",
    "validate_paths",
    "validate_run",
]

_DISABLE = re.compile(r"#\s*miniplay:\s*disable=([\w,\s-]+)")

PLAY_SECTIONS = frozenset({"hosts", "tasks", "pre_tasks", "post_tasks", "handlers", "roles"})


def looks_like_playbook(data: Any) -> bool:
    """A non-empty list of mappings, one of them with `hosts` or `import_playbook`."""
    if not isinstance(data, list) or not data:
        return False
    if not all(isinstance(item, dict) for item in data):
        return False
    return any("hosts" in item or any(key in item for key in IMPORT_KEYS) for item in data)


@dataclass(frozen=True, slots=True)
class ValidateSettings:
    """What to check: flow checks on or off, `-e` names, inventories, rules turned off,
    and whether files named explicitly are checked only when they look like playbooks."""

    flow: bool = True
    extra_vars: frozenset[str] = frozenset()
    inventories: tuple[str, ...] = ()
    disabled: frozenset[str] = frozenset()
    playbooks_only: bool = False


STRUCTURE_ONLY = ValidateSettings(flow=False)


@dataclass(frozen=True, slots=True)
class Validation:
    """A validation run's result: the playbook files checked and the diagnostics."""

    files: tuple[str, ...]
    diagnostics: list[Diagnostic] = field(default_factory=list)


def validate_file(path: str | os.PathLike[str],
                  settings: ValidateSettings = STRUCTURE_ONLY) -> list[Diagnostic]:
    """Every diagnostic of one playbook file (and the files it imports)."""
    return validate_paths([os.fspath(path)], settings)


def validate_paths(paths: Sequence[str | os.PathLike[str]],
                   settings: ValidateSettings | None = None) -> list[Diagnostic]:
    """Every diagnostic of the playbooks at `paths` (files or directories), sorted."""
    return validate_run(paths, settings).diagnostics


def validate_run(paths: Sequence[str | os.PathLike[str]],
                 settings: ValidateSettings | None = None) -> Validation:
    """The files checked under `paths` and their diagnostics, sorted, rules turned off
    by `settings` or by `# miniplay: disable=` comments left out."""
    settings = settings or ValidateSettings()
    checker = PlaybookChecker()
    flow = FlowChecker(checker.sources, checker.tasks.builtin,
                       FlowSettings(settings.extra_vars, settings.inventories)) \
        if settings.flow else None
    files: list[str] = []
    found: list[Diagnostic] = []
    for given in paths:
        path = os.fspath(given)
        if os.path.isdir(path):
            names = [(name, False) for name in _yaml_files(path)]
        elif os.path.exists(path):
            names = [(path, not settings.playbooks_only)]
        else:
            found.append(error("read-error", f"no such file or directory: {path}", None))
            continue
        for name, explicit in names:
            with collect_warnings() as loaded:
                mine = _guarded(checker, flow, name, explicit)
            mark_reported(loaded)
            found += [Diagnostic("duplicate-key", "warning", w.message, w.pos, w.hint)
                      for w in loaded]
            if mine is not None:
                files.append(name)
                found += mine
    return Validation(tuple(files), _sorted(_kept(found, settings.disabled)))


def _yaml_files(folder: str) -> list[str]:
    names: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        names += [os.path.join(root, f) for f in sorted(files)
                  if f.endswith((".yml", ".yaml"))]
    return names


def _guarded(checker: PlaybookChecker, flow: FlowChecker | None, path: str,
             explicit: bool) -> list[Diagnostic] | None:
    """`_check_file`, with any unexpected exception turned into a diagnostic."""
    try:
        return _check_file(checker, flow, path, explicit)
    except MiniplayError as exc:
        return [error(exc.rule or "schema", exc.message, exc.pos or Position(path, 1, 1),
                      exc.hint)]
    except (RecursionError, MemoryError):
        return [error("yaml-syntax", "the file nests too deeply to check", Position(path, 1, 1))]
    except Exception as exc:  # a bug in a check must not hide the other diagnostics
        return [error("internal-error", f"miniplay could not check this file "
                      f"({type(exc).__name__}: {exc})", Position(path, 1, 1),
                      "this is a bug in miniplay; please report it with the file")]


def _check_file(checker: PlaybookChecker, flow: FlowChecker | None, path: str,
                explicit: bool) -> list[Diagnostic] | None:
    """The file's diagnostics; None when it is skipped (not a playbook, not explicit)."""
    data, problem = checker.sources.load(path)
    if problem is not None:
        if problem.rule == "yaml-syntax" and problem.message.startswith(("file not found",
                                                                         "cannot read")):
            return [error("read-error", problem.message, None)]
        return [problem]
    if not looks_like_playbook(data):
        if not explicit:
            return None
        if not _play_shaped(data):
            return [_not_playbook(path, data)]
    found = checker.check_playbook(path, data)
    return found + flow.check(path, data) if flow is not None else found


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


def render_report(diags: Sequence[Diagnostic], fmt: str = "human",
                  files: Sequence[str] = (), cwd: str | None = None) -> str:
    """The diagnostics as text for a terminal, or in one of the CI `FORMATS`."""
    if fmt != "human":
        return render(fmt, diags, files, cwd or os.getcwd())
    if not diags:
        return ""
    blocks = [d.render() for d in diags]
    return "\n".join(blocks) + "\n" + _summary(diags)


def _summary(diags: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diags if d.severity == "error")
    warnings = sum(1 for d in diags if d.severity == "warning")
    notes = sum(1 for d in diags if d.severity == "note")
    files = len({d.pos.file for d in diags if d.pos})
    tail = f", {notes} note(s)" if notes else ""
    return f"{errors} error(s), {warnings} warning(s){tail} in {files} file(s)"


def error_count(diags: Iterable[Diagnostic]) -> int:
    """How many diagnostics are errors (the CLI exits 4 when there is any)."""
    return sum(1 for d in diags if d.severity == "error")



def failed(diags: Iterable[Diagnostic], strict: bool = False) -> bool:
    """Whether validation fails: any error, or (with `strict`) any warning. Notes never."""
    fatal = ("error", "warning") if strict else ("error",)
    return any(d.severity in fatal for d in diags)


def _kept(found: list[Diagnostic], disabled: frozenset[str]) -> list[Diagnostic]:
    """`found` without disabled rules and without those a disable comment silences."""
    lines: dict[str, list[str]] = {}
    return [d for d in found if d.rule not in disabled and not _silenced(d, lines)]


def _silenced(diag: Diagnostic, lines: dict[str, list[str]]) -> bool:
    pos = diag.pos
    if pos is None:
        return False
    if pos.file not in lines:
        try:
            with open(pos.file, encoding="utf-8", errors="replace") as handle:
                lines[pos.file] = handle.read().splitlines()
        except OSError:
            lines[pos.file] = []
    text = lines[pos.file][pos.line - 1] if 0 < pos.line <= len(lines[pos.file]) else ""
    match = _DISABLE.search(text) if "miniplay:" in text else None
    if match is None:
        return False
    rules = {rule.strip() for rule in match.group(1).split(",")}
    return diag.rule in rules or "all" in rules


def extra_var_names(values: Sequence[str]) -> frozenset[str]:
    """The variable names `-e` values give: `NAME`, `k=v k2=v2`, JSON, or `@file`."""
    names: set[str] = set()
    for value in values:
        text = value.strip()
        if text.startswith("@"):
            names |= _file_names(text[1:])
        elif text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                continue
            names |= {str(key) for key in data} if isinstance(data, dict) else set()
        else:
            names |= {part.split("=", 1)[0] for part in text.split() if part}
    return frozenset(names)


def _file_names(path: str) -> set[str]:
    from miniplay.loader import load_file

    try:
        data = load_file(path).data
    except (MiniplayError, OSError):
        return set()
    return {str(key) for key in data} if isinstance(data, dict) else set()
