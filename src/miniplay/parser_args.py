"""A task's action name and arguments as Ansible reads them before anything is templated.

Takes: a task's action value (`action: NAME k=v`, `MODULE: k=v`, a mapping) and the
names imports use. Gives: the action name (possibly a template, resolved per host at run
time), the argument dict, and `merge_variable_params` for the run. Raises:
`PlaybookError` for arguments Ansible refuses while parsing (an unbalanced quote, free
text a module does not take that is no template).

Ansible leaves three things to run time that look wrong statically, and so does
miniplay (issue #12: never reject what Ansible accepts):

- a key that is a template (``set_fact: "{{ key }}=blue"``): rendered with the value;
- arguments that are one template (``assert: "{{ checks }}"``, ``args: "{{ a }}"``):
  kept as `VARIABLE_PARAMS`, rendered per host, and merged under the explicit
  arguments; a result that is not a mapping fails the task;
- an action name that is a template (``action: "{{ pkg }} name=x"``): `Task.action`
  keeps the template and the executor renders it per host.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from miniplay import keywords as kw
from miniplay.errors import PlaybookError, Position

VARIABLE_PARAMS = "_variable_params"
_ONE_TEMPLATE = re.compile(r"^\s*\{\{.*\}\}\s*$", re.DOTALL)
_MARKERS = ("{{", "{%", "{#")


def is_template(text: Any) -> bool:
    """Whether `text` is a string holding Jinja markup."""
    return isinstance(text, str) and any(marker in text for marker in _MARKERS)


def is_one_template(text: Any) -> bool:
    """Whether `text` is a single ``{{ ... }}`` (what Ansible renders to any value)."""
    return isinstance(text, str) and _ONE_TEMPLATE.match(text) is not None \
        and text.count("{{") == 1


def task_args(action: str, value: Any, pos: Position | None = None) -> dict[str, Any]:
    """The arguments of `action` given as `value`, templates left for run time."""
    if isinstance(value, str) and action not in kw.FREE_FORM:
        if is_one_template(value):
            return {VARIABLE_PARAMS: value.strip()}
        try:
            return kw.parse_args(action, value, pos)
        except PlaybookError:
            pairs = _templated_pairs(value, pos)
            if pairs is None:
                raise
            return pairs
    return kw.parse_args(action, value, pos)


def with_args_keyword(args: dict[str, Any], extra: Any) -> dict[str, Any]:
    """`args` merged with the task's `args:` keyword (a mapping, or one template)."""
    if isinstance(extra, Mapping):
        return {**extra, **args}
    if is_one_template(extra):
        return {VARIABLE_PARAMS: str(extra).strip(), **args}
    return args


def _templated_pairs(text: str, pos: Position | None) -> dict[str, Any] | None:
    """``k=v`` pairs whose keys may be templates; None when some part is no pair or a
    plain key is no identifier (then the caller's own error stands)."""
    found: dict[str, Any] = {}
    for part in kw.split_kv(text, pos):
        at = _pair_equals(part)
        if at is None:
            return None
        key, value = part[:at], part[at + 1:]
        if not is_template(key) and not key.isidentifier():
            return None
        found[key] = _unquote(value)
    return found


def _pair_equals(part: str) -> int | None:
    """Index of the first ``=`` outside ``{{ }}`` past the first character."""
    depth = 0
    for index in range(len(part)):
        pair = part[index:index + 2]
        if pair in ("{{", "{%"):
            depth += 1
        elif pair in ("}}", "%}") and depth:
            depth -= 1
        elif part[index] == "=" and not depth and index > 0:
            return index
    return None


def _unquote(value: str) -> str:
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def explicit_action(value: Any) -> tuple[str, Any]:
    """`action:`/`local_action:` → (action name, its arguments' value). The name is a
    short name, or a template kept whole (``{{ pkg }}`` with its spaces)."""
    if isinstance(value, Mapping):
        module = value.get("module")
        others = {k: v for k, v in value.items() if k != "module"}
        if isinstance(others.get("args"), Mapping):  # `args:` inside: merged, as Ansible
            others = {**others.pop("args"), **others}
        return (kw.short_name(str(module)) if module is not None else "", others)
    text = "" if value is None else str(value).strip()
    parts = kw.split_kv(text) if text else []
    if not parts:
        return "", None
    name = parts[0].strip()
    rest = text[len(parts[0]):].strip() if text.startswith(parts[0]) else \
        " ".join(parts[1:])
    return (name if is_template(name) else kw.short_name(name)), rest or None


def merge_variable_params(args: Mapping[str, Any], action: str,
                          raw: Callable[[str], Any], render: Callable[[str], Any],
                          pos: Position | None = None) -> dict[str, Any]:
    """`args` with its `VARIABLE_PARAMS` template replaced by the mapping it names,
    merged in below the explicit arguments, still unrendered where it can be.

    ``{{ name }}`` takes the variable as written (`raw`), so its strings keep the trust
    they had (an `assert` reads `that` from it as expressions, as Ansible does); any
    other template is rendered (`render`). Raises `PlaybookError` when the result is
    not a mapping (the task then fails)."""
    rest = dict(args)
    template = str(rest.pop(VARIABLE_PARAMS))
    name = template.strip()[2:-2].strip()
    if name.isidentifier():
        try:
            value = raw(name)
        except KeyError:
            value = render(template)
    else:
        value = render(template)
    if value is None:
        return rest
    if not isinstance(value, Mapping):
        raise PlaybookError(f"the arguments of {action} must give a mapping, got "
                            f"{type(value).__name__}: {value!r}", pos,
                            "a template given as a task's whole arguments must give a "
                            "mapping of options")
    return {**value, **rest}

def role_name(args: Mapping[str, Any]) -> str:
    """The role an `include_role`/`import_role` names: `name`, or its alias `role`."""
    return str(args.get("name", args.get("role", "")))


def static_name(text: str, variables: Mapping[str, Any], what: str,
                pos: Position | None) -> str:
    """An import's file name with its template rendered from what is known before the
    run (play, block and task vars, `role_path`, `playbook_dir`), as Ansible renders
    static imports. Raises `PlaybookError` when it needs anything else."""
    if not is_template(text):
        return text
    from jinja2 import StrictUndefined, TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    try:
        return str(env.from_string(text).render(dict(variables)))
    except TemplateError as exc:
        raise PlaybookError(f"{what} names its file with a template miniplay cannot render "
                            f"before the run: {exc}", pos,
                            f"{what} is static: its name may use play, block and task "
                            "vars, role_path and playbook_dir; use include_* for "
                            "anything known only at run time") from exc
