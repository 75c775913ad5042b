"""Module argument checks against `schemas/modules/NAME.schema.json`.

Takes: a module's name, its arguments as the task gave them (already split by
`keywords.parse_args`, so free-form text is `_raw_params`), the mapping they came from
(for positions) and the module's schema. Gives: `Diagnostic`s with rule `module-args`
(unknown option with a did-you-mean, missing required option, wrong type, bad choice,
mutually exclusive options) and `async-status-no-jid`. Raises: nothing.

Why coerce first: Ansible converts ``timeout=5`` (always text in ``k=v`` form) to the
option's type before checking it, so the checker does the same; a value that is a
template is only known at run time and is never judged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from miniplay.checks_jinja import is_template
from miniplay.errors import Position
from miniplay.loader import YamlMap, plain
from miniplay.schema import Diagnostic, NodeValidator, did_you_mean, error, explain

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_TRUE = frozenset({"yes", "true", "on", "1", "y"})
_FALSE = frozenset({"no", "false", "off", "0", "n"})
_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
RAW = "_raw_params"


def option_word(name: str) -> str:
    """How an option is named in messages (`_raw_params` is the free-form text)."""
    return "free-form text" if name == RAW else name


def coerce(value: Any, kind: Any) -> Any:
    """`value` converted as Ansible converts module options of JSON type `kind`."""
    if not isinstance(kind, str) or (isinstance(value, str) and is_template(value)):
        return value
    if kind == "boolean" and isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).lower()
        return True if text in _TRUE else False if text in _FALSE else value
    if kind == "integer" and isinstance(value, str) and _INT.match(value.strip()):
        return int(value)
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "number" and isinstance(value, str) and _FLOAT.match(value.strip()):
        return float(value)
    if kind == "string" and value is not None and not isinstance(value, str):
        return str(plain(value))  # Ansible converts any value given to a string option
    if kind == "array" and isinstance(value, str):
        return [part.strip() for part in value.split(",")]
    if kind == "array" and isinstance(value, int | float | bool):
        return [value]
    return value


def canonical(args: Mapping[str, Any], source: Any, pos: Position,
              schema: Mapping[str, Any]) -> tuple[YamlMap, list[Diagnostic]]:
    """Arguments under their canonical names, coerced, with their positions kept."""
    props: Mapping[str, Any] = schema.get("properties", {})
    result = YamlMap(source.pos if isinstance(source, YamlMap) else pos)
    found: list[Diagnostic] = []
    for key, value in args.items():
        name = props.get(key, {}).get("x-alias-of", key) if isinstance(key, str) else key
        key_pos, value_pos = _places(source, key, pos)
        if name in result:
            found.append(error("module-args", f"`{key}` is an alias of `{name}`, which is "
                               "also set", key_pos, f"set only one of `{name}` and `{key}`"))
            continue
        prop = props.get(name, {})
        # x-no-conversion: ansible-core's str_no_conversion options take only text
        result[name] = value if prop.get("x-no-conversion") else coerce(value, prop.get("type"))
        result.key_pos[name] = key_pos
        result.value_pos[name] = value_pos
    return result, found


def _places(source: Any, key: Any, pos: Position) -> tuple[Position, Position]:
    if isinstance(source, YamlMap) and key in source.key_pos:
        return source.key_pos[key], source.value_pos[key]
    return pos, pos


def check_args(module: str, args: Mapping[str, Any], source: Any, pos: Position,
               validator: NodeValidator) -> list[Diagnostic]:
    """Problems with a module's arguments; `pos` stands in where no better place exists."""
    spec = validator.schema
    named, found = canonical(args, source, pos, spec)
    errors = [err for err in validator.iter_errors(named) if not _templated(err)]
    required = [err for err in errors if err.validator == "required"]
    others = [err for err in errors if err.validator != "required"]
    found += [_missing(module, err, named.pos) for err in required]
    found += explain(others, named, f"{module} option", spec.get("properties", {}))
    found += _exclusive(module, named, spec)
    found += _one_of(module, named, spec)
    return [replace(d, rule=_rule(d), pos=d.pos or pos,
                    message=d.message.replace(f"`{RAW}`", "the free-form text"))
            for d in found]


def _rule(diag: Diagnostic) -> str:
    return diag.rule if diag.rule == "async-status-no-jid" else "module-args"


def _templated(err: ValidationError) -> bool:
    return isinstance(err.instance, str) and is_template(err.instance)


def _missing(module: str, err: ValidationError, pos: Position) -> Diagnostic:
    name = err.message.split("'")[1] if "'" in err.message else "?"
    if module == "async_status" and name == "jid":
        return error("async-status-no-jid",
                     "async_status needs `jid`, the id of the job to check", pos,
                     'register the async task (`register: job`) and pass '
                     '`jid: "{{ job.ansible_job_id }}"`')
    return error("module-args", f"missing required argument for {module}: "
                 f"{option_word(name)}", pos)


def _exclusive(module: str, named: YamlMap, spec: Mapping[str, Any]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for group in spec.get("x-mutually-exclusive", []):
        present = [name for name in group if name in named]
        if len(present) > 1:
            words = "|".join(option_word(name) for name in present)
            found.append(error("module-args", f"{module}: parameters are mutually exclusive: "
                               f"{words}", named.key_pos.get(present[1], named.pos),
                               "set only one of them"))
    return found


def _one_of(module: str, named: YamlMap, spec: Mapping[str, Any]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for group in spec.get("x-required-one-of", []):
        if not any(name in named for name in group):
            words = ", ".join(option_word(name) for name in group)
            found.append(error("module-args", f"{module}: one of the following is required: "
                               f"{words}", named.pos))
    return found


def unknown_option_hint(key: str, spec: Mapping[str, Any]) -> str | None:
    """'did you mean' for an unknown option, else the list of options."""
    options = [name for name in spec.get("properties", {}) if name != RAW]
    return did_you_mean(key, options) or "options: " + ", ".join(sorted(options))
