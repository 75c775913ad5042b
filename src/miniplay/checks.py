"""Static checks of a whole playbook, past what the schema can say.

Takes: a playbook's path and its loaded data. Gives: every `Diagnostic` found in it and
in the files it imports (`import_playbook`, `import_tasks`, `include_tasks`,
`vars_files`), each positioned in the file it comes from. Raises: nothing for any input.

Rules (stable ids, also used by `--format json`):

    yaml-syntax        the file is not valid YAML (or has a duplicate key)
    not-playbook       the file is not a list of plays
    schema             a keyword has the wrong type or value, a required one is missing
    unknown-keyword    a key that is no keyword of a play/block/task (did you mean ...)
    unknown-module     a task's action is no module miniplay knows (built-in, library/)
    multiple-actions   two actions in one task ("conflicting action statements")
    no-action          a task with no action at all
    module-args        module arguments: unknown, missing, wrong type, bad choice, exclusive
    async-status-no-jid  async_status without `jid`
    async-unsupported  `async` on an action that runs on the controller
    loop-and-with      `loop` together with `with_*` (or two `with_*`)
    jinja-syntax       a template or a bare condition that Jinja cannot parse
    templated-condition (warning) a condition wrapped in {{ }}
    unknown-handler    (warning) `notify` names no handler or listen topic of the play
    missing-role       a role named in roles:/import_role/include_role/meta is not found
    missing-file       import_tasks/include_tasks/vars_files/import_playbook file absent
    import-cycle       a file that imports itself, directly or not
    not-built          what Ansible has and miniplay does not run yet, refused by name: a
                       keyword (keywords.NOT_BUILT), a module, an option, a strategy, a
                       collection's module or role, an action plugin, Ansible Vault

Never an error for what `ansible-playbook --syntax-check` accepts and Ansible runs
(tests/unit/test_validate_targets.py holds this on ansible-core's own playbooks): what
Ansible reports only when a task runs is a warning where the failure is caught
(ignore_errors, a rescue) or the file may never be read (a conditional, nested or
handler include), marked `deferred` so that the parser makes that task fail when it runs
(`parser_failures`); a missing vars_files entry is a warning (Ansible 2.19 skips it).

The checker is one object per validation run: it owns the caches (compiled validators,
parsed templates, loaded files) so that nothing lives in module globals.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from miniplay.checks_files import Scope, Sources, missing, real, resolve
from miniplay.checks_guards import guard_of
from miniplay.checks_jinja import JinjaChecker, is_template
from miniplay.checks_roles import RoleChecker
from miniplay.checks_tasks import TaskChecker, collect_handlers, not_built
from miniplay.loader import YamlMap, YamlSeq
from miniplay.roles import vars_file_candidates
from miniplay.schema import Diagnostic, SchemaSet, describe, error

IMPORT_KEYS = ("import_playbook", "ansible.builtin.import_playbook",
               "ansible.legacy.import_playbook")
SECTIONS = ("pre_tasks", "tasks", "post_tasks")
NOT_BUILT_STRATEGIES = frozenset({"host_pinned", "debug"})  # ansible-core's other two


def _vars_file(name: str, scope: Scope) -> str | None:
    """The file a `vars_files` name means (`roles.vars_file_candidates`), or None."""
    for candidate in vars_file_candidates(name, scope.base, scope.base):
        if candidate.is_file():
            return os.path.normpath(candidate)
    return None


class PlaybookChecker:
    """Checks playbooks and everything they import; reuse it across files."""

    def __init__(self, schemas: SchemaSet | None = None) -> None:
        self.schemas = schemas or SchemaSet()
        self.sources = Sources()
        self.tasks = TaskChecker(self.schemas, JinjaChecker(), self.sources)
        self.roles = RoleChecker(self.tasks)
        self._playbooks: set[str] = set()

    def check_playbook(self, path: str, data: Any,
                       chain: tuple[str, ...] = ()) -> list[Diagnostic]:
        """All diagnostics of the playbook at `path` whose loaded data is `data`."""
        if real(path) in self._playbooks:
            return []
        self._playbooks.add(real(path))
        if not isinstance(data, YamlSeq):
            return [error("not-playbook", f"a playbook must be a list of plays, got "
                          f"{describe(data)}", getattr(data, "pos", None),
                          "start each play with `- hosts: ...`")]
        found: list[Diagnostic] = []
        chain = (*chain, real(path))
        for index, item in enumerate(data):
            if not isinstance(item, YamlMap):
                found.append(error("schema", f"a play must be a mapping, got {describe(item)}",
                                   data.pos_of(index)))
            elif any(key in item for key in IMPORT_KEYS):
                found += self.check_import(item, path, chain)
            else:
                found += self.check_play(item, path)
        return found

    def check_import(self, item: YamlMap, path: str, chain: tuple[str, ...]) -> list[Diagnostic]:
        """An `import_playbook` entry: its keywords, then the playbook it names."""
        found = self.schemas.check_node("import_playbook", item)
        key = next(key for key in IMPORT_KEYS if key in item)
        name, pos = item[key], item.pos_of(key)
        found += self.tasks.keyword_templates(item)
        if not isinstance(name, str) or is_template(name):
            return found
        scope = Scope(path, Path(os.path.dirname(path) or "."))
        target = resolve(name, scope)
        if target is None:
            return [*found, missing("import_playbook", name, pos, scope)]
        if real(target) in chain:
            return [*found, error("import-cycle", f"import_playbook cycle: {name} imports "
                                  "itself (directly or through other playbooks)", pos)]
        data, problem = self.sources.load(target)
        if problem is not None:
            return [*found, problem]
        return found + self.check_playbook(target, data, chain)

    def check_play(self, play: YamlMap, path: str) -> list[Diagnostic]:
        """A play's keywords, vars_files, handlers and task sections."""
        found = self.schemas.check_node("play", play) + not_built(play, "play")
        strategy = play.get("strategy")
        if isinstance(strategy, str) and strategy in NOT_BUILT_STRATEGIES:
            found.append(error("not-built", f"miniplay does not run the "
                               f"{play['strategy']} strategy yet", play.pos_of("strategy"),
                               "use strategy linear (the default) or free"))
        found += self.tasks.keyword_templates(play)
        base = Path(os.path.dirname(path) or ".")
        scope = Scope(path, base)
        found += self.check_vars_files(play.get("vars_files"), play, scope)
        handlers = collect_handlers(self.tasks, play.get("handlers"), scope)
        role_found, handlers = self.roles.check_play(play, scope, handlers)  # checks_roles
        found += role_found
        scope = Scope(path, base, "task", handlers, collections="collections" in play,
                      defaults="module_defaults" in play).guarded_by(guard_of(play))
        for section in SECTIONS:
            found += self.tasks.check_nodes(play.get(section), scope)
        handler_scope = replace(scope, kind="handler")
        found += self.tasks.check_nodes(play.get("handlers"), handler_scope)
        return found

    def check_vars_files(self, value: Any, play: YamlMap, scope: Scope) -> list[Diagnostic]:
        """Each `vars_files` entry names an existing file (a list entry: any one of them)."""
        entries = [value] if isinstance(value, str) else value
        if not isinstance(entries, YamlSeq | list):
            return []
        found: list[Diagnostic] = []
        for index, entry in enumerate(entries):
            names = [entry] if isinstance(entry, str) else entry
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                continue
            if any(is_template(name) for name in names):
                continue
            paths = [_vars_file(name, scope) for name in names]
            pos = entries.pos_of(index) if isinstance(entries, YamlSeq) else play.pos_of(
                "vars_files")
            present = [p for p in paths if p is not None]
            if not present:  # Ansible 2.19 skips it without a word: probably a mistake
                found.append(replace(
                    missing("vars_files", " or ".join(names), pos, scope), severity="warning",
                    hint=f"Ansible skips a vars_files entry it cannot find; looked in "
                         f"{scope.base}/vars/ and {scope.base}/"))
            else:
                found += self.check_vars_content(present[0], pos)
        return found

    def check_vars_content(self, path: str, pos: Any) -> list[Diagnostic]:
        """A vars file must be valid YAML holding a mapping (or nothing)."""
        data, problem = self.sources.load(path)
        if problem is not None:
            return [problem]
        if data is None or isinstance(data, YamlMap):
            return []
        if isinstance(data, str) and data.startswith("$ANSIBLE_VAULT"):
            return [error("not-built", "miniplay does not read Ansible Vault files yet",
                          getattr(data, "pos", pos), "decrypt the file, or pass its "
                          "variables with -e @FILE")]
        return [error("schema", f"a vars file must be a mapping of variables, got "
                      f"{describe(data)}", getattr(data, "pos", pos))]

