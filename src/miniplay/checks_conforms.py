"""A yes/no JSON Schema check for the keywords miniplay's schemas use, built for speed.

Takes: a schema (a plain dict, `$ref`s already inlined) and a loaded YAML value. Gives:
`conforms(schema, value) -> bool`, `fast_enough(schema)` (whether `conforms` knows every
keyword in it) and `freeze(value)` (a hashable key to memoise verdicts). Raises: nothing.

Why not jsonschema here: importing jsonschema costs more than checking a whole
1,000-task playbook, and its general machinery is slow per node. Valid nodes, by far
the common case, only need a yes; `schema.NodeValidator` asks jsonschema for the
detailed errors only when this says no, so messages always come from one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SCALARS = (str, int, float, bool, type(None))
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "default", "examples"})
_TYPES: dict[str, Any] = {
    "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "array": lambda v: isinstance(v, list), "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def freeze(value: Any, budget: int = 32) -> Any:
    """A hashable stand-in for a small value, types included (1 and True differ); None
    when the value is too big or not plain data."""
    if isinstance(value, _SCALARS):
        return (type(value), value)
    if not isinstance(value, list | dict) or budget <= 0 or len(value) > budget:
        return None
    if isinstance(value, list):
        items = tuple(freeze(item, budget // 2) for item in value)
        return None if None in items else (list, items)
    pairs = tuple((freeze(k, 1), freeze(v, budget // 2)) for k, v in value.items())
    return None if any(None in pair for pair in pairs) else (dict, pairs)


def _keys_ok(schema: Mapping[str, Any], value: dict[Any, Any]) -> bool:
    props = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extra = schema.get("additionalProperties", True)
    names = schema.get("propertyNames")
    for key in value:
        if names is not None and not conforms(names, key):
            return False
        if key in props or any(re.search(p, str(key)) for p in patterns):
            continue
        if extra is False or (isinstance(extra, dict) and not conforms(extra, value[key])):
            return False
    return all(key in value for key in schema.get("required", ())) and len(value) >= int(
        schema.get("minProperties", 0))


def conforms(schema: Mapping[str, Any], value: Any) -> bool:
    """Whether `value` is valid under `schema` (for the keywords `fast_enough` accepts)."""
    kind = schema.get("type")
    if kind is not None and not any(_TYPES[k](value) for k in (
            [kind] if isinstance(kind, str) else kind)):
        return False
    if "enum" in schema and not any(type(value) is type(c) and value == c
                                    for c in schema["enum"]):
        return False
    if "anyOf" in schema and not any(conforms(sub, value) for sub in schema["anyOf"]):
        return False
    if isinstance(value, str):
        return len(value) >= schema.get("minLength", 0) and (
            "pattern" not in schema or re.search(schema["pattern"], value) is not None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return bool(schema.get("minimum", value) <= value <= schema.get("maximum", value))
    if isinstance(value, list):
        items = schema.get("items")
        return len(value) >= schema.get("minItems", 0) and (
            items is None or all(conforms(items, item) for item in value))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return _keys_ok(schema, value) and all(
            conforms(props[key], item) for key, item in value.items() if key in props)
    return True


_FAST = frozenset({
    "type", "enum", "anyOf", "minLength", "pattern", "minimum", "maximum", "minItems",
    "items", "properties", "patternProperties", "additionalProperties", "propertyNames",
    "required", "minProperties",
})


def fast_enough(schema: Any, top: bool = True) -> bool:
    """True when `conforms` understands every keyword used in `schema`."""
    if not isinstance(schema, dict):
        return isinstance(schema, bool)
    for key, value in schema.items():
        if key.startswith("x-") or key in _ANNOTATIONS:
            continue
        if key not in _FAST:
            return False
        if key in ("properties", "patternProperties"):
            subs = [v for k, v in value.items() if not (top and "x-alias-of" in v)]
        else:
            subs = value if key == "anyOf" else [value] if key in (
                "items", "additionalProperties", "propertyNames") else []
        if not all(fast_enough(sub, False) for sub in subs):
            return False
    return True
