"""JSON Schema validation of playbook nodes and module arguments, errors with positions.

Takes: one YAML node at a time (a play, a task, a block, a handler, an import_playbook
entry, or a module's argument mapping) as the loader built it (`YamlMap` keeps where each
key and value sits). Gives: `Diagnostic`s in plain words, each pointing at the offending
KEY (unknown keys) or VALUE (wrong types, bad choices). Raises: nothing for bad input;
`OSError`/`ValueError` only if miniplay's own schema files are missing or broken.

Why node by node: `schemas/playbook.schema.json` describes a whole playbook for editors,
with task-or-block decided by `if`/`then`. Validating a whole playbook with it reports a
wall of nested errors and is slow on big files. The checker already knows whether a node
is a task or a block, so it validates each node against a *shallow* copy of the matching
`$defs` entry (child task lists reduced to "a list"), with validators built once per
`SchemaSet`, and keeps one best error per offending key.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from miniplay.checks_conforms import conforms, fast_enough, freeze
from miniplay.errors import Position, render_message
from miniplay.keywords import NOT_BUILT
from miniplay.loader import YamlMap, walk_position
from miniplay.paths import schemas_dir

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

Severity = Literal["error", "warning", "note"]
CHILD_LISTS = ("block", "rescue", "always", "pre_tasks", "tasks", "post_tasks", "handlers")
# Old keyword names Ansible 2.19 still accepts, by node kind: alias -> keyword.
ALIASES: Mapping[str, Mapping[str, str]] = {"play": {"user": "remote_user"}}
NODE_KINDS = ("play", "task", "handler", "block", "import_playbook")
_BOUNDS = ("minimum", "maximum", "minItems", "minLength", "enum")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found without running anything: a rule id, words and a place."""

    rule: str
    severity: Severity
    message: str
    pos: Position | None
    hint: str | None = None
    deferred: bool = False  # an error Ansible reports only when the task runs: a warning
    # here, and the task fails when it runs (`parser` turns it into a failing task)

    def render(self) -> str:
        """``file:line:col: error: message``, the source line, a caret, the hint."""
        return render_message(self.severity, self.message, self.pos, self.hint)


def error(rule: str, message: str, pos: Position | None, hint: str | None = None) -> Diagnostic:
    """An error-severity `Diagnostic` (the common case)."""
    return Diagnostic(rule, "error", message, pos, hint)


def did_you_mean(word: Any, choices: Iterable[str], cutoff: float = 0.7) -> str | None:
    """A hint naming the closest of `choices` to `word`, or None when nothing is close."""
    if not isinstance(word, str):
        return None
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f"did you mean `{close[0]}`?" if close else None


def describe(value: Any) -> str:
    """A few words for a YAML value: 'a list', 'a mapping', "'text'", '-1', 'nothing'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    return repr(value)


def label(path: Iterable[Any]) -> str:
    """`loop_control.pause`, `tags[1]`: a jsonschema path as the user would write it."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


@cache
def load_json(path: Path) -> Any:
    """A JSON file's content (schemas are read once per process: they never change)."""
    return json.loads(path.read_text(encoding="utf-8"))


def inline(schema: Any, defs: Mapping[str, Any]) -> Any:
    """`schema` with every local `$ref` replaced by its target (no recursion in shallow
    node schemas), because reference lookups dominate jsonschema's running time."""
    if isinstance(schema, list):
        return [inline(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = inline(defs[ref.removeprefix("#/$defs/")], defs)
        rest = {key: inline(value, defs) for key, value in schema.items() if key != "$ref"}
        return {**target, **rest}
    return {key: inline(value, defs) for key, value in schema.items()}


def _shallow_defs(root: Mapping[str, Any]) -> dict[str, Any]:
    defs = dict(root["$defs"])
    for kind in NODE_KINDS:
        shallow = dict(defs[kind])
        props = dict(shallow.get("properties", {}))
        for key in CHILD_LISTS:
            if key in props:
                props[key] = {"type": ["array", "null"], "x-expect": "a list of tasks"}
        shallow["properties"] = props
        defs[f"_shallow_{kind}"] = shallow
    return defs


class NodeValidator:
    """One node kind's validator with a fast path for the common, valid case.

    A node is valid when its keys are allowed and each value is valid for its key; the
    verdict for a small value is remembered per (key, value). Only when something fails
    is jsonschema asked for the errors. Alias entries of module schemas (`$ref`s) are
    never consulted: the checker renames aliases before validating.
    """

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.fast = fast_enough(schema)
        self.props: Mapping[str, Any] = schema.get("properties", {})
        self._shell = {**schema, "properties": {key: {} for key in self.props}}
        self._full: Any = None
        self._verdicts: dict[tuple[Any, Any], bool] = {}

    def iter_errors(self, node: Mapping[Any, Any]) -> list[ValidationError]:
        """jsonschema's errors for `node`, computed only when the fast path finds one."""
        if self.fast and self._valid(node):
            return []
        if self._full is None:
            from jsonschema import Draft202012Validator

            self._full = Draft202012Validator(self.schema)
        return list(self._full.iter_errors(node))

    def _valid(self, node: Mapping[Any, Any]) -> bool:
        if not isinstance(node, dict) or not conforms(self._shell, node):
            return False
        for key, value in node.items():
            sub = self.props.get(key)
            if sub is None:
                continue
            frozen = freeze(value)
            if frozen is None:
                if not conforms(sub, value):
                    return False
                continue
            verdict = self._verdicts.get((key, frozen))
            if verdict is None:
                verdict = self._verdicts[(key, frozen)] = conforms(sub, value)
            if not verdict:
                return False
        return True


class SchemaSet:
    """The playbook schema and module argument schemas, with validators built once."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or schemas_dir()
        self.playbook = load_json(self.root / "playbook.schema.json")
        self._defs = _shallow_defs(self.playbook)
        self._validators: dict[str, NodeValidator] = {}
        self._modules: dict[Path, NodeValidator | None] = {}

    def keywords(self, kind: str) -> frozenset[str]:
        """The keys a node of `kind` may have, as the schema lists them (old aliases such
        as a play's `user` left out: see `ALIASES`)."""
        return frozenset(self._defs[kind].get("properties", {})) - frozenset(
            ALIASES.get(kind, {}))

    def _validator(self, kind: str) -> NodeValidator:
        found = self._validators.get(kind)
        if found is None:
            found = NodeValidator(inline(self._defs[f"_shallow_{kind}"], self._defs))
            self._validators[kind] = found
        return found

    def check_node(self, kind: str, node: YamlMap) -> list[Diagnostic]:
        """Schema problems of one play/task/handler/block/import node, best error per key."""
        errors = [err for err in self._validator(kind).iter_errors(node)
                  if not _unset(err)]
        if not errors:
            return []
        words = f"{kind.replace('_', ' ')} keyword"
        return explain(errors, node, words, self.keywords(kind))

    def builtin_modules(self) -> frozenset[str]:
        """Names of modules that ship an argument schema."""
        return frozenset(p.name.removesuffix(".schema.json")
                         for p in (self.root / "modules").glob("*.schema.json"))

    def module_schema(self, path: Path) -> NodeValidator | None:
        """A module's argument validator (`.schema` is the schema), or None when absent."""
        if path not in self._modules:
            self._modules[path] = NodeValidator(load_json(path)) if path.is_file() else None
        return self._modules[path]


# Keywords whose null value Ansible does not read as "not set".
_NULL_REFUSED = frozenset({"hosts", "block", "import_playbook",
                           "ansible.builtin.import_playbook", "ansible.legacy.import_playbook"})


def _unset(err: ValidationError) -> bool:
    """A keyword written with no value (`name:`, `roles:`): Ansible reads it as not set.
    (Also true for the value of a keyword refused as not built: that error says it.)"""
    path = tuple(err.absolute_path)
    if path and path[0] in NOT_BUILT:
        return True
    return err.instance is None and len(path) == 1 and path[0] not in _NULL_REFUSED


def explain(errors: list[ValidationError], node: Any, words: str,
            known: Iterable[str]) -> list[Diagnostic]:
    """Plain-word diagnostics for jsonschema `errors` raised on `node`, one per place."""
    found: list[Diagnostic] = []
    seen: set[tuple[Any, ...]] = set()
    for err in sorted(errors, key=lambda e: len(e.absolute_path)):
        where = tuple(err.absolute_path)
        if where in seen and err.validator != "additionalProperties":
            continue
        seen.add(where)
        found.extend(_explain_one(err, node, words, known))
    return found


def _explain_one(err: ValidationError, node: Any, words: str,
                 known: Iterable[str]) -> Iterator[Diagnostic]:
    path = list(err.absolute_path)
    if err.validator == "additionalProperties":
        yield from _unknown_keys(err, node, path, words, known)
        return
    if "propertyNames" in err.absolute_schema_path:
        yield _bad_name(err, node, path)
        return
    if err.validator == "required":
        pos = walk_position(node, path)
        yield error("schema", _required_message(err, words), pos)
        return
    best = _deepest(err)
    where = list(best.absolute_path)
    message, hint = _message(best, label(where) or "value")
    yield error("schema", message, walk_position(node, where), hint)


def _unknown_keys(err: ValidationError, node: Any, path: list[Any], words: str,
                  known: Iterable[str]) -> Iterator[Diagnostic]:
    container = _follow(node, path)
    allowed = set(err.schema.get("properties", {})) if isinstance(err.schema, dict) else set()
    choices = sorted(allowed or set(known))
    instance: Any = err.instance
    for key in instance:
        if key in allowed:
            continue
        pos = container.key_pos.get(key) if isinstance(container, YamlMap) else None
        what = f"{label(path)} option" if path else words
        yield error("unknown-keyword", f"unknown {what} `{key}`",
                    pos or walk_position(node, path), did_you_mean(key, choices))


def _bad_name(err: ValidationError, node: Any, path: list[Any]) -> Diagnostic:
    container = _follow(node, path)
    key = err.instance if err.validator != "propertyNames" else None
    bad = [k for k in (container or {}) if not isinstance(k, str) or not k.isidentifier()]
    key = key if key is not None else (bad[0] if bad else "?")
    pos = container.key_pos.get(key) if isinstance(container, YamlMap) else None
    message = f"`{key}` is not a valid variable name"
    hint = "use letters, digits and _, not starting with a digit"
    return error("schema", message, pos or walk_position(node, path), hint)


def _follow(node: Any, path: list[Any]) -> Any:
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _required_message(err: ValidationError, words: str) -> str:
    missing = err.message.split("'")[1] if "'" in err.message else err.message
    if words.endswith(" option"):
        return f"{words.removesuffix(' option')} needs the `{missing}` option"
    return f"`{missing}` is required in a {words.removesuffix(' keyword')}"


def _deepest(err: ValidationError) -> ValidationError:
    """For anyOf errors, the branch error that says more than 'wrong type', if one does."""
    if err.validator not in ("anyOf", "oneOf") or not err.context:
        return err
    telling = [c for c in err.context if c.validator != "type" and c.validator != "anyOf"]
    deeper = [c for c in err.context if len(c.absolute_path) > len(err.absolute_path)]
    if deeper:
        return _deepest(max(deeper, key=lambda c: len(c.absolute_path)))
    bounds = [c for c in telling if c.validator in _BOUNDS]
    return bounds[0] if len(bounds) == 1 and len(telling) == 1 else err


def _message(err: ValidationError, name: str) -> tuple[str, str | None]:
    schema = err.schema if isinstance(err.schema, dict) else {}
    expect = schema.get("x-expect")
    got = describe(err.instance)
    value: Any = err.validator_value
    if schema.get("x-message"):  # ansible-core's own words for this kind of value
        text = str(_plain(err.instance))
        return str(schema["x-message"]).format(
            name=name, got=got, kind=type(_plain(err.instance)).__name__, text=text), None
    if err.validator == "enum":
        choices = ", ".join(str(c) for c in value)
        return f"`{name}` must be one of: {choices}; got {got}", did_you_mean(
            err.instance, [str(c) for c in value])
    if err.validator == "minimum":
        return f"`{name}` must be at least {value}, got {got}", None
    if err.validator == "maximum":
        return f"`{name}` must be at most {value}, got {got}", None
    if err.validator in ("minItems", "minLength"):
        return f"`{name}` must not be empty", None
    if err.validator == "type" and not expect:
        expect = _type_words(value)
    if expect:
        return f"`{name}` must be {expect}, got {got}", None
    return f"`{name}`: {err.message}", None


_TYPE_WORDS = {
    "string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
    "array": "a list", "object": "a mapping", "null": "empty",
}


def _plain(value: Any) -> Any:
    """`value` as plain dicts and lists (YAML's positioned containers say dict and list)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _type_words(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(_TYPE_WORDS.get(name, name) for name in names)
