"""Which variables a YAML value reads, found by parsing its Jinja (never rendering it).

Takes: a loaded YAML value (string, `YamlMap`, `YamlSeq`), its position, and whether its
strings are bare expressions (`when`, `until`, `assert.that`, ...). Gives: `Use`s — one
per (root variable name, string) — each with the place of the name in the file as close
as the source allows, and the names the same string GUARDS (`x is defined`,
`x is undefined`, `x | default(...)`/`d(...)`), which a flow check must not report.
Raises: nothing; a string Jinja cannot parse reads no variables here (the
`jinja-syntax` check reports it).

Why our own walk over `jinja2.meta`: `find_undeclared_variables` compiles the template
(so every Ansible filter and test must exist) and gives neither the guards nor the line
of a name inside a block scalar. Each distinct (text, bare) is
parsed once per `UseFinder`; texts that differ only in generated digits (`out_1` ...
`out_999`) share one parse, and their names are mapped back through the digits.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

from jinja2 import Environment, TemplateSyntaxError, nodes
from jinja2.parser import Parser

from miniplay.checks_jinja import is_template, shift
from miniplay.errors import Position, source_line
from miniplay.loader import YamlMap, YamlSeq
from miniplay.unsafe import UnsafeText

# Globals of miniplay's templar (lookups and Jinja's own): never variables.
TEMPLAR_GLOBALS = frozenset({"lookup", "query", "q", "now", "undef", "range", "omit", "dict",
                             "lipsum", "cycler", "joiner", "namespace"})
GUARD_TESTS = frozenset({"defined", "undefined"})
GUARD_FILTERS = frozenset({"default", "d"})
_NUMBERED = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z_]*[0-9][A-Za-z0-9_]*")
# Digit runs that cannot change which names a template reads (as in checks_jinja).
_DIGITS = re.compile(r"(?<![0-9])([A-Za-z_]+)[0-9]+|(?<![\w.])[1-9][0-9]*(?=\s|$)")
_STRINGS = re.compile(r"'[^']*'|\"[^\"]*\"")


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one string reads: root names, the guarded ones, each name's Jinja line."""

    names: frozenset[str]
    guarded: frozenset[str]
    lines: tuple[tuple[str, int], ...] = ()


class Use(NamedTuple):
    """One variable read by one string, and where (a tuple: made by the thousand)."""

    name: str
    pos: Position
    line: int
    guarded: frozenset[str]


EMPTY = Parsed(frozenset(), frozenset())


class UseFinder:
    """Parses templates for the names they read; caches by text and by digit shape."""

    def __init__(self, env: Environment | None = None) -> None:
        self.env = env or Environment(extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"])
        self._seen: dict[tuple[str, bool], Parsed] = {}

    def parsed(self, text: str, bare: bool) -> Parsed:
        """The names `text` reads (memoised)."""
        key = (text, bare)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._via_shape(text, bare)
        return found

    def _via_shape(self, text: str, bare: bool) -> Parsed:
        shape = _DIGITS.sub(_one, text)
        if shape == text:
            return self._parse(text, bare)
        general = self.parsed(shape, bare)
        if not general.names:
            return EMPTY
        mapping = _unshape(text)
        if mapping is None or any(name not in mapping and _DIGITS.search(name)
                                  for name in general.names):
            return self._parse(text, bare)  # a name the shape renamed is not mapped back
        return Parsed(frozenset(mapping.get(n, n) for n in general.names),
                      frozenset(mapping.get(n, n) for n in general.guarded),
                      tuple((mapping.get(n, n), line) for n, line in general.lines))

    def _parse(self, text: str, bare: bool) -> Parsed:
        tree = self._tree(text, bare)
        if tree is None:
            return EMPTY
        names = _undeclared(tree) - TEMPLAR_GLOBALS
        if not names:
            return EMPTY
        lines: dict[str, int] = {}
        for node in tree.find_all(nodes.Name):
            if node.name in names and node.name not in lines:
                lines[node.name] = node.lineno
        return Parsed(names, frozenset(_guarded(tree)) & names, tuple(lines.items()))

    def _tree(self, text: str, bare: bool) -> nodes.Template | None:
        with warnings.catch_warnings():  # an invalid escape in a string: see checks_jinja
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._tree_quietly(text, bare)

    def _tree_quietly(self, text: str, bare: bool) -> nodes.Template | None:
        try:
            if bare and not is_template(text):
                parser = Parser(self.env, text, state="variable")
                expr = parser.parse_expression()
                if not parser.stream.eos:
                    return None
                tree = nodes.Template([nodes.Output([expr], lineno=1)], lineno=1)
                tree.set_environment(self.env)
                return tree
            return self.env.parse(text)
        except TemplateSyntaxError:
            return None

    def uses(self, value: Any, pos: Position, bare: bool = False) -> list[Use]:
        """Every variable read by the strings under `value` (maps and lists walked)."""
        if isinstance(value, str):
            return self._text_uses(value, pos, bare)
        found: list[Use] = []
        if isinstance(value, YamlMap):
            for key, item in value.items():
                found += self.uses(item, value.value_pos.get(key, pos), bare)
        elif isinstance(value, YamlSeq):
            for index, item in enumerate(value):
                found += self.uses(item, value.pos_of(index), bare)
        return found

    def _text_uses(self, text: str, pos: Position, bare: bool) -> list[Use]:
        if isinstance(text, UnsafeText) or not (bare or is_template(text)):
            return []
        parsed = self.parsed(text, bare)
        if not parsed.names:
            return []
        lines = dict(parsed.lines)
        return [Use(name, pos, lines.get(name, 1), parsed.guarded)
                for name in sorted(parsed.names)]


def place(use: Use) -> Position:
    """Where `use` reads its name: the line Jinja names inside the scalar and, when the
    source line shows it, the column of the name itself."""
    where = shift(use.pos, use.line)
    text = source_line(where)
    if text is None:
        return where
    start = where.column - 1 if where.line == use.pos.line else 0
    match = re.compile(rf"(?<![\w.]){re.escape(use.name)}(?!\w)").search(text, start)
    return Position(where.file, where.line, match.start() + 1) if match else where


def _undeclared(tree: nodes.Template) -> frozenset[str]:
    """Names read and never set in the template (`{% set %}`, `for` targets, macro
    parameters are set). Simpler than `jinja2.meta`, which compiles the template and so
    needs every filter and test to exist; a name set anywhere counts as set everywhere,
    which can only make us report less."""
    loaded: set[str] = set()
    stored: set[str] = set()
    for name in tree.find_all(nodes.Name):
        (loaded if name.ctx == "load" else stored).add(name.name)
    if tree.find(nodes.For) is not None:
        stored.add("loop")
    if tree.find(nodes.Macro) is not None or tree.find(nodes.CallBlock) is not None:
        stored |= {"caller", "varargs", "kwargs"}
    return frozenset(loaded - stored)


def _guarded(tree: nodes.Template) -> set[str]:
    guarded: set[str] = set()
    for test in tree.find_all(nodes.Test):
        if test.name in GUARD_TESTS:
            guarded |= _roots(test.node)
    for flt in tree.find_all(nodes.Filter):
        if flt.name in GUARD_FILTERS and flt.node is not None:
            guarded |= _roots(flt.node)
    return guarded


def _roots(node: nodes.Node) -> set[str]:
    """The variables a `x`, `x.y`, `x['y']` or `x.y[0].z` expression starts from; through
    filters too (`x | upper`, `[1] | union(x)`): in 2.19 a filter given an undefined
    value gives an undefined one, which `is defined` or `default` then catches."""
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        node = node.node
    if isinstance(node, nodes.Filter):
        found: set[str] = set()
        for part in (node.node, *node.args):
            if part is not None:
                found |= _roots(part)
        return found
    return {node.name} if isinstance(node, nodes.Name) else set()


def _one(match: re.Match[str]) -> str:
    return (match.group(1) or "") + "1"


def _unshape(text: str) -> dict[str, str] | None:
    """Shape name → real name (`out_1` → `out_7`) when each shape has one real name."""
    mapping: dict[str, str] = {}
    for ident in _NUMBERED.findall(_STRINGS.sub("''", text)):
        if mapping.setdefault(_DIGITS.sub(_one, ident), ident) != ident:
            return None
    return mapping
