"""Tasks that must fail when they run: what Ansible accepts statically but fails at run.

Takes: a playbook (or a task file read at run time by `include_tasks`). Gives:
`Failures`, which tells for a task node the message it must fail with, from the
validation diagnostics marked `deferred` (errors under `ignore_errors` or a block's
rescue, or in a file Ansible reads only when an include runs). Raises: nothing.

Why: validation only warns about them, as Ansible's `--syntax-check` accepts them; at
run time Ansible fails just that task ("Error processing keyword 'diff'...") and the
play goes on. Running the task with a meaning Ansible never gives it (`ignore_errors:
maybe` read as true) would be the worst kind of bug, so the parser makes it a task that
fails with the diagnostic's words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from miniplay.errors import Position
from miniplay.loader import YamlMap, YamlSeq
from miniplay.schema import Diagnostic

# Problems the run itself meets when the task runs, with Ansible's timing: a missing
# include target (an earlier task may write it), an unknown module (`action:` names it
# per host), a template error (rendered only if the task's `when` holds).
AT_RUN_TIME = frozenset({"missing-file", "missing-role", "unknown-module", "jinja-syntax"})


class Failures:
    """Deferred diagnostics by file, matched to the task nodes they sit in."""

    def __init__(self, diagnostics: Iterable[Diagnostic] = (),
                 source: Callable[[], Iterable[Diagnostic]] | None = None,
                 everywhere: bool = False) -> None:
        """`diagnostics` now, or `source` called the first time a task whose failure is
        caught asks (validation costs time a playbook without such tasks never pays);
        `everywhere`: any task may fail so (a file read at run time)."""
        self._by_file: dict[str, list[Diagnostic]] | None = None
        self._source = source or (lambda: diagnostics)
        self.everywhere = everywhere

    def _index(self) -> dict[str, list[Diagnostic]]:
        if self._by_file is None:
            self._by_file = defaultdict(list)
            for diag in self._source():
                if diag.deferred and diag.pos is not None and diag.rule not in AT_RUN_TIME:
                    self._by_file[_key(diag.pos.file)].append(diag)
        return self._by_file

    def for_task(self, node: YamlMap, caught: bool) -> str | None:
        """The message a task must fail with, or None when it may run. `caught`: its
        failure is caught (ignore_errors, a block's rescue), where such problems are."""
        if not (caught or self.everywhere):
            return None
        found = self._index().get(_key(node.pos.file))
        if not found:
            return None
        start, end = (node.pos.line, node.pos.column), _extent(node)
        for diag in found:
            assert diag.pos is not None
            if start <= (diag.pos.line, diag.pos.column) <= end:
                return diag.message
        return None


def playbook_failures(path: str) -> Failures:
    """The deferred failures of a playbook and the files it statically reaches."""
    from miniplay.validate import validate_file

    return Failures(source=lambda: validate_file(path))


def task_file_failures(path: str, playbook_dir: str) -> Failures:
    """Every error of a task file read at run time (include_tasks) as a failure of its
    task: Ansible reports them only now, and so the task fails (not-built ones too)."""
    from dataclasses import replace

    from miniplay.checks import PlaybookChecker
    from miniplay.checks_files import Scope

    checker = PlaybookChecker()
    found = checker.tasks.check_task_file_content(path, Scope(path, Path(playbook_dir),
                                                              dynamic=True))
    return Failures([replace(d, deferred=True) for d in found
                     if d.severity == "error" or d.deferred], everywhere=True)


def _key(file: str) -> str:
    return str(Path(file).resolve())


def _extent(node: Any, depth: int = 0) -> tuple[int, int]:
    """The last (line, column) any key or value of `node` starts at (three levels)."""
    last = (node.pos.line, node.pos.column) if isinstance(node, YamlMap | YamlSeq) else (0, 0)
    if isinstance(node, YamlMap):
        places: list[Position] = [*node.key_pos.values(), *node.value_pos.values()]
        last = max([last, *((p.line, p.column) for p in places)])
        if depth < 2:
            last = max([last, *(_extent(v, depth + 1) for v in node.values()
                                 if isinstance(v, YamlMap | YamlSeq))])
    elif isinstance(node, YamlSeq):
        last = max([last, *((p.line, p.column) for p in node.item_pos)])
        if depth < 2:
            last = max([last, *(_extent(v, depth + 1) for v in node
                                 if isinstance(v, YamlMap | YamlSeq))])
    return last
