"""YAML (and JSON) inventory files, checked against ``schemas/inventory.schema.json``.

Takes: the loaded data of one file (`YamlMap` with positions) and the shared
`InventoryBuilder`. Gives: groups, hosts and variables added to the builder, with
``all: {hosts, vars, children}`` nesting, host ranges and ``null`` entries read as
ansible-core's ``yaml`` plugin reads them. Raises: `InventoryError` at the offending
key or value — schema violations (first one, in file order), ``plugin:`` files,
bad ranges, group loops.

Why a schema: the same file feeds editors and ``miniplay validate``; and where Ansible
only warns and skips an unknown key (a typo like ``host:`` silently drops hosts),
miniplay stops with the position.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NoReturn

from miniplay.errors import InventoryError, Position
from miniplay.inventory_build import InventoryBuilder, expand_hostname, split_port
from miniplay.loader import plain, position_of, walk_position
from miniplay.paths import schemas_dir

if TYPE_CHECKING:  # jsonschema costs ~0.1 s to import: only YAML inventories need it
    import jsonschema

_SECTIONS = '"hosts", "vars" and "children"'


def parse_yaml(path: str, data: Any, builder: InventoryBuilder) -> None:
    """Add the YAML inventory `data` (loaded from `path`) to `builder`."""
    if data is None:
        _fail("the YAML inventory is empty", Position(path, 1, 1),
              "define at least one group, e.g. all: {hosts: {web1: }}")
    if isinstance(data, dict) and "plugin" in data:
        _fail("inventory plugin configuration files are not supported", _at(data, "plugin", path),
              "list hosts and groups directly (all: {hosts: ..., children: ...})")
    _validate(path, data)
    for name, body in data.items():
        _group(path, builder, name, body)


def _fail(message: str, pos: Position | None, hint: str | None = None) -> NoReturn:
    raise InventoryError(message, pos, hint)


def _at(container: Any, key: Any, path: str) -> Position:
    return position_of(container, key) or Position(path, 1, 1)


def _validate(path: str, data: Any) -> None:
    import jsonschema

    schema_file = schemas_dir() / "inventory.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: _sort_key(path, data, e))
    if errors:
        message, pos, hint = _describe(path, data, errors[0])
        _fail(message, pos, hint)


def _sort_key(path: str, data: Any, error: jsonschema.ValidationError) -> tuple[int, int]:
    pos = walk_position(data, list(error.absolute_path)) or Position(path, 1, 1)
    return pos.line, pos.column


def _describe(
    path: str, data: Any, error: jsonschema.ValidationError
) -> tuple[str, Position, str | None]:
    steps = list(error.absolute_path)
    where = ".".join(str(step) for step in steps) or "the file"
    pos = walk_position(data, steps) or Position(path, 1, 1)
    if error.validator == "additionalProperties":
        container: Any = error.instance
        extra = [key for key in container if key not in ("hosts", "vars", "children")]
        return (f"unknown key '{extra[0]}' in group '{steps[-1]}'" if steps else
                f"unknown key '{extra[0]}'", _key_pos(container, extra[0], path),
                f"a group may only have {_SECTIONS}; hosts go under hosts:")
    if "propertyNames" in error.schema_path:
        container = walk_node(data, steps)
        return (f"name {error.instance!r} in {where} must be a non-empty string",
                _key_pos(container, error.instance, path), "quote it: \"10\": or '10':")
    if error.validator == "type":
        words = [_TYPE_WORDS[t] for t in _types(error.validator_value)]
        expected = ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]
        return (f"{where} must be {expected}, not {_TYPE_WORDS[_json_type(error.instance)]}",
                pos, _SHAPES.get(str(steps[-1]) if steps else "", _SHAPES["group"]))
    return f"{where}: {error.message}", pos, None


def walk_node(data: Any, steps: list[Any]) -> Any:
    """The value reached by following `steps` (keys) from `data`."""
    node = data
    for step in steps:
        node = node[step]
    return node


def _key_pos(container: Any, key: Any, path: str) -> Position:
    key_pos = getattr(container, "key_pos", {})
    found = key_pos.get(key) if isinstance(key_pos, dict) else None
    return found if isinstance(found, Position) else _at(container, None, path)


_SHAPES = {
    "hosts": "write hosts as a mapping: hosts: {web1: , web2: {ansible_port: 2222}}",
    "vars": "write vars as a mapping: vars: {name: value}",
    "children": "write children as a mapping of groups: children: {web: , db: {hosts: ...}}",
    "group": "a group is a mapping with hosts:, vars: and children:, or empty",
}

_TYPE_WORDS = {"object": "a mapping", "null": "empty (null)", "string": "a string",
               "array": "a list", "number": "a number", "integer": "an integer",
               "boolean": "a boolean"}


def _types(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    for kind, python in (("object", dict), ("array", list), ("string", str),
                         ("integer", int), ("number", float)):
        if isinstance(value, python):
            return kind
    return "string"


def _as_map(value: Any) -> dict[Any, Any]:
    """A section's mapping: a lone string means ``{name: None}``; null means empty."""
    if isinstance(value, str):
        return {value: None}
    return value if isinstance(value, dict) else {}


def _group(path: str, builder: InventoryBuilder, name: str, body: Any) -> None:
    builder.add_group(name)
    if body is None:
        return
    for key, value in _as_map(body.get("vars")).items():
        try:
            builder.set_group_var(name, key, plain(value))
        except ValueError as exc:
            _fail(str(exc), _at(body["vars"], key, path))
    for section, value in body.items():
        if section == "children":
            _children(path, builder, name, body, _as_map(value))
        elif section == "hosts":
            _hosts(path, builder, name, body, _as_map(value))


def _children(path: str, builder: InventoryBuilder, name: str, body: Any,
              children: dict[Any, Any]) -> None:
    for child, child_body in children.items():
        _group(path, builder, child, child_body)
        try:
            builder.add_child(name, child)
        except ValueError as exc:
            _fail(str(exc), _key_pos(body["children"], child, path),
                  "a group cannot contain itself, directly or through its children")


def _hosts(path: str, builder: InventoryBuilder, group: str, body: Any,
           hosts: dict[Any, Any]) -> None:
    for pattern, host_vars in hosts.items():
        name, port = split_port(pattern)
        try:
            names = expand_hostname(name)
        except ValueError as exc:
            _fail(f"bad host range in '{name}': {exc}", _key_pos(body["hosts"], pattern, path),
                  "ranges look like web[01:10], db-[a:f] or s[1:9:2]")
        for host in names:
            builder.add_host(host, group, port)
            for key, value in (host_vars or {}).items():
                builder.set_host_var(host, key, plain(value))
