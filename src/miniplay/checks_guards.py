"""When a static finding is only what Ansible reports as the task runs: warnings, not
errors, and which tasks they make fail at run time.

Takes: diagnostics of a task (or of a file or role an include reads) and the task node
and `Scope` around them. Gives: why a failure there is caught or may never happen
(`guard_of`, `maybe_reached`), and `deferred`, the same diagnostics as warnings marked
`deferred` (the parser then makes the task fail when it runs: `parser_failures`).
Raises: nothing.

Why: `ansible-playbook --syntax-check` accepts such playbooks and Ansible runs them,
failing only the task (under ignore_errors or a rescue the play goes on), and never
reads a file an include does not reach. miniplay must not refuse them (issue #12).
"""

from __future__ import annotations

from dataclasses import replace

from miniplay.checks_files import Scope
from miniplay.checks_jinja import is_template
from miniplay.loader import YamlMap
from miniplay.schema import Diagnostic

# Rules whose errors, in a task whose failure is caught (ignore_errors, a block's
# rescue), are what Ansible reports when the task runs: the play goes on.
DEFERRED = frozenset({"jinja-syntax", "module-args", "schema", "unknown-module",
                      "missing-file", "missing-role", "yaml-syntax", "async-status-no-jid"})
_TRUE = frozenset({"yes", "true", "on", "1", "y"})
def maybe_reached(node: YamlMap, scope: Scope) -> str | None:
    """Why the file (or role) an include names may never be read: Ansible reads it
    only when the include runs (its `--syntax-check` never does), so its problems
    are certain only for an include every run reaches. None: such an include."""
    if "when" in node:
        return "a `when` on the include"
    if scope.kind == "handler":
        return "an include in a handler, run only when notified"
    if scope.dynamic:
        return "an include inside a file include_tasks reads at run time"
    return scope.guarded or guard_of(node)


def guard_of(node: YamlMap) -> str | None:
    """Why a failure of `node` does not stop its host: `ignore_errors`, or None."""
    value = node.get("ignore_errors")
    if value is True or (isinstance(value, str) and (value.lower() in _TRUE
                                                     or is_template(value))):
        return "ignore_errors"
    return None


def deferred(found: list[Diagnostic], why: str, everything: bool = False) -> list[Diagnostic]:
    """`found` with the errors Ansible reports only when the task runs turned into
    warnings (all but `not-built` ones when `everything`): `why` says what catches
    the failure. Ansible accepts such a playbook and runs it; so must miniplay."""
    def later(diag: Diagnostic) -> bool:
        if diag.severity != "error":
            return False
        return not diag.rule.startswith("not-built") if everything else diag.rule in DEFERRED

    return [replace(d, severity="warning", deferred=True,
                    hint=f"{d.hint + '; ' if d.hint else ''}Ansible accepts this and fails "
                         f"only when the task runs (guarded by {why})")
            if later(d) else d for d in found]
