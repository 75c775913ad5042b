"""Jinja syntax checks on YAML values: parse, never render.

Takes: any loaded YAML value (with `YamlMap`/`YamlSeq` positions), the keyword or option
it sits under, and whether it is a bare expression (`when`, `failed_when`,
`changed_when`, `until`, `assert.that`, ...). Gives: `Diagnostic`s with rule
`jinja-syntax`, positioned at the scalar shifted down by Jinja's line number, and
`templated-condition` warnings for conditions wrapped in ``{{ }}``. Raises: nothing.

Why parse only: rendering needs host variables and filters that exist only at run time;
a syntax error, though, is certain from the text alone. Each distinct string is parsed
once per `JinjaChecker` (a 1,000-task playbook repeats most of its templates).
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from jinja2 import Environment, TemplateSyntaxError, nodes
from jinja2.lexer import Lexer, describe_token
from jinja2.parser import Parser

from miniplay.errors import Position, source_line
from miniplay.loader import YamlMap, YamlSeq
from miniplay.plugins import refusal
from miniplay.plugins.lookups import lookup_refusal
from miniplay.schema import Diagnostic, error
from miniplay.templating_lexer import backslash_lexer
from miniplay.unsafe import UnsafeText

LOOKUP_CALLS = frozenset({"lookup", "query", "q"})
CONDITION_KEYS = frozenset({"when", "failed_when", "changed_when", "until", "break_when"})
_MARKERS = ("{{", "{%", "{#")
# Digit runs whose value cannot change whether a template parses: the tail of a name
# (`out_12`, `web3`) and a whole decimal number between spaces (`item 12 is`, `x > 12`).
_NUMBERS = re.compile(r"(?<![0-9])([A-Za-z_]+)[0-9]+|(?<![\w.])[1-9][0-9]*(?=\s|$)")


def is_template(text: str) -> bool:
    """True when `text` holds Jinja markup (and so is rendered at run time)."""
    return any(marker in text for marker in _MARKERS)


class _Environment(Environment):
    """Jinja reading `{{ }}` strings as a run does: backslashes kept literal."""

    @property
    def lexer(self) -> Lexer:
        return backslash_lexer(self)


class JinjaChecker:
    """Finds Jinja syntax errors; remembers each string it has already parsed."""

    def __init__(self) -> None:
        self.env = _Environment(extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"])
        self._seen: dict[tuple[str, bool], tuple[int, str] | None] = {}
        self._fine: set[tuple[str, bool]] = set()

    def problem(self, text: str, bare: bool) -> tuple[int, str] | None:
        """(line, message) of the first syntax error in `text`, or None if it parses.

        Texts that differ from an already valid one only in `_NUMBERS` are valid too,
        so generated names (`out_1` ... `out_999`) cost one parse. Errors are always
        parsed from the exact text, so their messages quote the user's own words.
        """
        key = (text, bare)
        if key in self._seen:
            return self._seen[key]
        shape = (_NUMBERS.sub(_one, text), bare)
        found = None if shape in self._fine else self._parse(text, bare)
        if found is None:
            self._fine.add(shape)
        self._seen[key] = found
        return found

    def _parse(self, text: str, bare: bool) -> tuple[int, str] | None:
        with warnings.catch_warnings():
            # Python warns of an invalid escape (`'\d'`) in a Jinja string: Ansible runs
            # it (the backslash stays), so it must not become an error (-W error)
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._parse_quietly(text, bare)

    def _parse_quietly(self, text: str, bare: bool) -> tuple[int, str] | None:
        try:
            if bare and not is_template(text):
                parser = Parser(self.env, text, state="variable")
                parser.parse_expression()
                if not parser.stream.eos:
                    token = parser.stream.current
                    found = describe_token(token)
                    return token.lineno, f"unexpected '{found}' after the end of the expression"
            else:
                self.env.parse(text)
        except TemplateSyntaxError as exc:
            message = exc.message or str(exc)
            if bare and not is_template(text):
                message = message.replace("end of template", "end of expression")
            return exc.lineno or 1, message
        return None

    def refused(self, text: str, bare: bool) -> list[str]:
        """Why each filter, test or lookup in `text` that miniplay cannot run is refused."""
        if "|" not in text and " is " not in text and "(" not in text:
            return []
        try:
            tree = (Parser(self.env, text, state="variable").parse_expression()
                    if bare and not is_template(text) else self.env.parse(text))
        except TemplateSyntaxError:
            return []
        kinds = (nodes.Filter, nodes.Test)
        used = [tree, *tree.find_all(kinds)] if isinstance(tree, kinds) else tree.find_all(kinds)
        found = [refusal("filter" if isinstance(node, nodes.Filter) else "test", node.name)
                 for node in used]
        found += [lookup_refusal(node.args[0].value) for node in tree.find_all(nodes.Call)
                  if isinstance(node.node, nodes.Name) and node.node.name in LOOKUP_CALLS
                  and node.args and isinstance(node.args[0], nodes.Const)
                  and isinstance(node.args[0].value, str)]
        return sorted({message for message in found if message is not None})

    def scan(self, value: Any, name: str, pos: Position, bare: bool = False) -> list[Diagnostic]:
        """Diagnostics for every string under `value` (recursing into maps and lists)."""
        if isinstance(value, str):
            return self._check_text(value, name, pos, bare)
        found: list[Diagnostic] = []
        if isinstance(value, YamlMap):
            for key, item in value.items():
                where = value.value_pos.get(key, pos)
                inner = bare or key in CONDITION_KEYS
                found += self.scan(item, f"{name}.{key}", where, inner)
        elif isinstance(value, YamlSeq):
            for index, item in enumerate(value):
                found += self.scan(item, name, value.pos_of(index), bare)
        return found

    def _check_text(self, text: str, name: str, pos: Position, bare: bool) -> list[Diagnostic]:
        if isinstance(text, UnsafeText) or not text.strip():
            return []
        if not bare and not is_template(text):
            return []
        found = self.problem(text, bare)
        if found is None and (refused := self.refused(text, bare)):
            return [error("not-built-plugin", message, pos,
                          "remove it, or write the step with the filters, tests and lookups "
                          "miniplay has")
                    for message in refused]
        if found is not None:
            line, message = found
            return [error("jinja-syntax", f"Jinja syntax error in `{name}`: {message}",
                          shift(pos, line), _hint(message))]
        if bare and text.strip().startswith("{{") and text.strip().endswith("}}"):
            return [Diagnostic("templated-condition", "warning",
                               f"`{name}` is a bare expression; drop the {{{{ }}}} around it",
                               pos, f"write `{name.rsplit('.', 1)[-1]}: x == 1`, "
                               "not `\"{{ x == 1 }}\"` (deprecated in Ansible 2.19)")]
        return []


def _one(match: re.Match[str]) -> str:
    return (match.group(1) or "") + "1"


def shift(pos: Position, line: int) -> Position:
    """Where Jinja's `line` (1-based, inside the scalar at `pos`) is in the YAML file."""
    text = source_line(pos)
    block = text is not None and text[pos.column - 1:pos.column] in ("|", ">")
    offset = line if block else line - 1
    if offset <= 0:
        return pos
    moved = pos.shifted(offset)
    target = source_line(moved)
    if target is None:
        return moved
    return pos.shifted(offset, len(target) - len(target.lstrip()) + 1)


def _hint(message: str) -> str | None:
    if "unexpected '}'" in message or "end of print statement" in message:
        return "check that every `{{` is closed by `}}` and every `{%` by `%}`"
    if "unexpected end of template" in message:
        return "a `{% if %}`/`{% for %}` needs its `{% endif %}`/`{% endfor %}`"
    return None
