"""Load YAML files as Ansible reads them, keeping the position of every node.

Takes: a path (or text). Gives: a `Document` whose data is built from plain Python
values; mappings are `YamlMap` and sequences `YamlSeq` (dict and list subclasses that
remember where each key and value sits). Raises: `YamlError` with a position for syntax
errors, and for duplicate keys when ANSIBLE_DUPLICATE_YAML_DICT_KEY=error.

Duplicate keys, as ansible-core 2.19: by default (``warn``) a `LoadWarning` naming both
places and the last value wins; ``error`` makes it a `YamlError`; ``ignore`` says nothing.
Warnings go to the innermost `collect_warnings()` block (the validator turns them into
diagnostics); outside one they are printed to stderr as ``[WARNING]:`` lines, each once
per process, the way Ansible's display shows a repeated warning once.

Why our own constructor: ruamel.yaml's round-trip loader is pure Python and takes over
a second on a 1,000-task playbook. Composing nodes with the C parser (ruamel.yaml.clib)
and building values here is several times faster and lets us apply YAML 1.1 scalar rules
exactly as Ansible (PyYAML) does: ``yes``/``no``/``on``/``off`` are booleans and ``0644``
is octal, whatever YAML version ruamel defaults to.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _ruamel_yaml import CParser
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.tag import Tag

from miniplay.errors import Position, YamlError
from miniplay.unsafe import UnsafeText


class YamlMap(dict[Any, Any]):
    """A mapping that remembers its own position and those of its keys and values."""

    __slots__ = ("key_pos", "pos", "value_pos")

    def __init__(self, pos: Position) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos: dict[Any, Position] = {}
        self.value_pos: dict[Any, Position] = {}

    def pos_of(self, key: Any) -> Position:
        """Position of the value at `key`, else of the key, else of the mapping."""
        return self.value_pos.get(key) or self.key_pos.get(key) or self.pos


class YamlSeq(list[Any]):
    """A sequence that remembers its own position and that of each item."""

    __slots__ = ("item_pos", "pos")

    def __init__(self, pos: Position) -> None:
        super().__init__()
        self.pos = pos
        self.item_pos: list[Position] = []

    def pos_of(self, index: int) -> Position:
        """Position of item `index`, or of the sequence when out of range."""
        return self.item_pos[index] if 0 <= index < len(self.item_pos) else self.pos


@dataclass(frozen=True, slots=True)
class Document:
    """One loaded YAML file: its data and where it came from."""

    path: str
    data: Any


@dataclass(frozen=True, slots=True)
class LoadWarning:
    """A problem the loader accepted: the message, where, and a hint naming the fix."""

    message: str
    pos: Position
    hint: str | None = None

    def render(self) -> str:
        """One line, ``file:line:col: message``, as the run prints it."""
        return f"{self.pos}: {self.message}"


_collectors: list[list[LoadWarning]] = []
_printed: set[LoadWarning] = set()


@contextmanager
def collect_warnings() -> Iterator[list[LoadWarning]]:
    """Route loader warnings raised inside the block to the list it yields."""
    found: list[LoadWarning] = []
    _collectors.append(found)
    try:
        yield found
    finally:
        _collectors.remove(found)


def mark_reported(warnings: list[LoadWarning]) -> None:
    """Remember `warnings` as shown, so a later load of the same file does not print them."""
    _printed.update(warnings)


def _warn(warning: LoadWarning) -> None:
    if _collectors:
        _collectors[-1].append(warning)
    elif warning not in _printed:
        _printed.add(warning)
        print(f"[WARNING]: {warning.render()}", file=sys.stderr)


def _duplicate_key_behaviour() -> str:
    """ANSIBLE_DUPLICATE_YAML_DICT_KEY: warn (the default), error or ignore."""
    value = os.environ.get("ANSIBLE_DUPLICATE_YAML_DICT_KEY", "warn").strip().lower()
    return value if value in ("warn", "error", "ignore") else "warn"


def position_of(container: Any, key: Any = None) -> Position | None:
    """Best position for `container[key]` (or the container itself when key is None)."""
    if isinstance(container, YamlMap):
        return container.pos if key is None else container.pos_of(key)
    if isinstance(container, YamlSeq):
        return container.pos if key is None else container.pos_of(int(key))
    return None


def walk_position(root: Any, path: Iterator[Any] | list[Any]) -> Position | None:
    """Follow `path` (keys and indexes, as jsonschema reports) to the deepest position."""
    best = position_of(root)
    node = root
    for step in path:
        here = position_of(node, step)
        if here is None:
            break
        best = here
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
    return best


# --- YAML 1.1 implicit scalars, as PyYAML resolves them -------------------------------

_BOOL_TRUE = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "y", "Y"}
_BOOL_FALSE = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N"}
_BOOL_TRUE -= {"y", "Y"}  # PyYAML's resolver leaves single letters as strings
_BOOL_FALSE -= {"n", "N"}
_NULL = {"", "~", "null", "Null", "NULL"}
_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
    re.X,
)
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


def _sexagesimal(text: str, convert: type[int] | type[float]) -> int | float:
    sign = -1 if text.startswith("-") else 1
    total: float = 0
    for part in text.lstrip("+-").split(":"):
        total = total * 60 + convert(part)
    return sign * total


def _int11(text: str) -> int:
    clean = text.replace("_", "")
    sign = -1 if clean.startswith("-") else 1
    body = clean.lstrip("+-")
    if ":" in body:
        return int(sign * _sexagesimal(body, int))
    if body.startswith("0b"):
        return sign * int(body[2:], 2)
    if body.startswith("0x"):
        return sign * int(body[2:], 16)
    if body != "0" and body.startswith("0"):
        return sign * int(body, 8)
    return sign * int(body)


def _float11(text: str) -> float:
    clean = text.replace("_", "").lower()
    if clean.endswith(".inf"):
        return -math.inf if clean.startswith("-") else math.inf
    if clean.endswith(".nan"):
        return math.nan
    if ":" in clean:
        return float(_sexagesimal(clean, float))
    return float(clean)


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar under YAML 1.1 (PyYAML's rules)."""
    if text in _NULL:
        return None
    if text in _BOOL_TRUE:
        return True
    if text in _BOOL_FALSE:
        return False
    first = text[0]
    if first.isdigit() or first in "+-.":
        if text.isdigit() and (first != "0" or len(text) == 1) and text.isascii():
            return int(text)  # the common case, without the regular expressions
        if _INT.match(text):
            return _int11(text)
        if _FLOAT.match(text):
            return _float11(text)
    return text


# --- construction ----------------------------------------------------------------------

_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_PLAIN_TAG = "tag:miniplay,2026:plain"  # an untagged plain scalar, resolved by the builder
# Shared Tag objects: a node keeps the one the resolver returns, so the builder can test
# identity instead of paying ruamel's per-node tag decoding.
_PLAIN = Tag(suffix=_PLAIN_TAG)
_STR = Tag(suffix=_STR_TAG)
_SEQ = Tag(suffix=_SEQ_TAG)
_MAP = Tag(suffix=_MAP_TAG)


class _Composer(CParser):  # type: ignore[misc]
    """libyaml's parser and composer (ruamel.yaml.clib) with a resolver that only says
    whether a scalar is untagged and plain.

    Why: ruamel's Python resolver walks version-keyed regex tables for every scalar and
    was the largest single cost of loading a playbook; `_Builder.scalar` applies the
    YAML 1.1 rules itself (`resolve_plain`), so the composer needs no opinion.
    """

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> Tag:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, parent: Any, index: Any) -> None:
        """No path-based resolvers."""

    def ascend_resolver(self) -> None:
        """No path-based resolvers."""


def _compose(text: str) -> Node | None:
    composer = _Composer(text)
    try:
        node: Node | None = composer.get_single_node()
        return node
    finally:
        composer.dispose()


def _unsafe_within(value: Any) -> Any:
    """`!unsafe` on a list or mapping: every string value inside is unsafe, as in Ansible
    (keys stay as they are; they are never templated). Changes containers in place."""
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _unsafe_within(item)
    elif isinstance(value, list):
        value[:] = [_unsafe_within(item) for item in value]
    elif isinstance(value, str) and not isinstance(value, UnsafeText):
        return UnsafeText(value)
    return value


def _is_merge_key(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.value == "<<" and node.style in ("", None)


class _Builder:
    """Turns composed ruamel nodes into YamlMap/YamlSeq/plain values."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.done: dict[int, Any] = {}
        self.merged_keys: dict[int, set[Any]] = {}

    def pos(self, node: Node) -> Position:
        mark = node.start_mark
        return Position(self.path, mark.line + 1, mark.column + 1)

    def build(self, node: Node) -> Any:
        known = self.done.get(id(node))
        if known is not None:
            return known
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            seq = YamlSeq(self.pos(node))
            self.done[id(node)] = seq
            for item in node.value:
                seq.item_pos.append(self.pos(item))
                seq.append(self.build(item))
            return _unsafe_within(seq) if str(node.tag) == "!unsafe" else seq
        if isinstance(node, MappingNode):
            built = self.mapping(node)
            return _unsafe_within(built) if str(node.tag) == "!unsafe" else built
        raise YamlError(f"unsupported YAML node {type(node).__name__}", self.pos(node))

    def scalar(self, node: ScalarNode) -> Any:
        value: str = node.value
        if node.ctag is _PLAIN:
            return resolve_plain(value)
        if node.ctag is _STR:
            return value
        tag = str(node.tag)
        if tag == "!unsafe":
            return UnsafeText(value)
        if tag == "!vault":
            raise YamlError(
                "Ansible Vault values (!vault) are not supported by miniplay",
                self.pos(node),
                "decrypt the value or pass it with -e from a secret store",
            )
        if tag.startswith("!") and not tag.startswith("!!"):
            raise YamlError(f"unknown YAML tag {tag}", self.pos(node), "remove the tag")
        if tag == "tag:yaml.org,2002:int":
            return _int11(value)
        if tag == "tag:yaml.org,2002:float":
            return _float11(value)
        if tag == "tag:yaml.org,2002:bool":
            return value in _BOOL_TRUE
        if tag == "tag:yaml.org,2002:null":
            return None
        return value

    def mapping(self, node: MappingNode) -> YamlMap:
        result = YamlMap(self.pos(node))
        self.done[id(node)] = result
        for key_node, value_node in node.value:
            if _is_merge_key(key_node):
                self.merge(result, value_node)
                continue
            key = self.build(key_node)
            if isinstance(key, (dict, list)):
                raise YamlError(
                    "a mapping key must be a scalar, but this key is a mapping or a list",
                    self.pos(key_node),
                    'a value starting with "{{" must be quoted: "{{ var }}"',
                )
            if key in result.key_pos and not self.merged(result, key):
                self.duplicate(key, result.key_pos[key], self.pos(key_node))
            result.key_pos[key] = self.pos(key_node)
            result.value_pos[key] = self.pos(value_node)
            result[key] = self.build(value_node)
        return result

    def duplicate(self, key: Any, first: Position, again: Position) -> None:
        """A key seen twice in one mapping: Ansible keeps the last value (see the header)."""
        behaviour = _duplicate_key_behaviour()
        if behaviour == "ignore":
            return
        hint = f"remove one of the two; the first is at {first}"
        if behaviour == "error":
            raise YamlError(f"Found duplicate mapping key {key!r}.", again, hint)
        _warn(LoadWarning(f"Found duplicate mapping key {key!r} (first defined at "
                          f"{first.line}:{first.column}); using the last defined value only.",
                          again, hint))

    def merged(self, result: YamlMap, key: Any) -> bool:
        return key in self.merged_keys.get(id(result), ())

    def merge(self, result: YamlMap, value_node: Node) -> None:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source_node in sources:
            source = self.build(source_node)
            if not isinstance(source, YamlMap):
                raise YamlError("a merge key (<<) needs a mapping", self.pos(source_node))
            for key, value in source.items():
                if key not in result:
                    result[key] = value
                    result.key_pos[key] = source.key_pos[key]
                    result.value_pos[key] = source.value_pos[key]
                    self.merged_keys.setdefault(id(result), set()).add(key)


def loads(text: str, path: str = "<string>") -> Any:
    """Parse YAML `text` into positioned data; an empty document gives None."""
    try:
        node = _compose(text)
    except MarkedYAMLError as exc:
        raise _syntax_error(exc, text, path) from None
    except YAMLError as exc:
        raise YamlError(f"YAML error: {exc}", Position(path, 1, 1)) from None
    except ValueError as exc:  # e.g. bad integers from explicit tags
        raise YamlError(f"YAML error: {exc}", Position(path, 1, 1)) from None
    if node is None:
        return None
    try:
        return _Builder(path).build(node)
    except ValueError as exc:
        raise YamlError(f"YAML error: {exc}", Position(path, 1, 1)) from None


def _syntax_error(exc: MarkedYAMLError, text: str, path: str) -> YamlError:
    """A positioned error for a YAML syntax problem, with where its context began, in
    ansible-core's words: "YAML parsing failed: <Problem>."."""
    mark = exc.problem_mark or exc.context_mark
    pos = Position(path, mark.line + 1, mark.column + 1) if mark is not None else None
    problem = exc.problem or exc.context or "invalid YAML"
    context = exc.context_mark
    if exc.context and exc.problem:
        where = ""
        if context is not None and (mark is None or context.line != mark.line):
            where = f" started at line {context.line + 1}, column {context.column + 1}"
        problem = f"{exc.problem} ({exc.context}{where})"
    line = text.splitlines()[mark.line] if mark is not None and mark.line < len(
        text.splitlines()) else ""
    words = problem[:1].upper() + problem[1:]
    words = words if words.endswith(".") else f"{words}."
    return YamlError(f"YAML parsing failed: {words}", pos, _syntax_hint(problem, line))


def _syntax_hint(problem: str, line: str) -> str | None:
    if "\t" in line or "\t" in problem:
        return "YAML does not allow tabs for indentation; use spaces"
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted"
    if "{{" in line:
        return 'a value starting with "{{" must be quoted: "{{ var }}"'
    if "quoted scalar" in problem:
        return "a quoted string is not closed"
    return None


def load_file(path: str | Path) -> Document:
    """Read and parse a YAML file; unreadable files become a positioned `YamlError`."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlError(f"file not found: {name}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(f"cannot read {name}: {exc}") from None
    return Document(name, loads(text, name))


def plain(value: Any) -> Any:
    """A deep copy of loaded data as ordinary dicts/lists (keeps UnsafeText)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
