"""Ansible's ``k=v`` argument strings: splitting, escape decoding, re-joining.

Takes: the text of a task's free-form or ``k=v`` arguments (or of ``-e k=v``).
Gives: its parts, each part as ``(key, value)`` or free text, and the free text joined
back. Raises: `PlaybookError` for an unbalanced quote or Jinja block, or an escape that
names no character.

The rules are ansible-core 2.19's, observed and re-stated here:

- text splits on newlines, then on single spaces (a tab is not a separator); a quoted
  part or a ``{{ }}``/``{% %}``/``{# #}`` block spanning spaces stays one part, with its
  spaces as written;
- a part keeps what separated it from the next: runs of spaces and the newline that
  ended its line are appended to it, so joining parts (a space between two, none after
  a newline) gives back the original layout — a multi-line ``shell: |`` script keeps its
  lines;
- a lone ``\\`` between spaces, outside quotes, joins its line to the next;
- a ``key=value`` part has its backslash escapes decoded (``\\n``, ``\\t``, ``\\x41``,
  ``\\u00e9``, ``\\N{...}`` ...) and one pair of matching quotes removed from its value;
  free text keeps its escapes, since the shell or the command reads them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from miniplay.errors import PlaybookError, Position

_SIMPLE_ESCAPES = {
    "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n",
    "r": "\r", "t": "\t", "v": "\v",
}
_ESCAPE = re.compile(
    r"\\(?:U(?P<u8>[0-9A-Fa-f]{8})|u(?P<u4>[0-9A-Fa-f]{4})|x(?P<x2>[0-9A-Fa-f]{2})"
    r"|N\{(?P<name>[^}]+)\}|(?P<simple>[\\'\"abfnrtv]))"
)
_BLOCKS = (("{{", "}}"), ("{%", "%}"), ("{#", "#}"))


@dataclass(frozen=True)
class Part:
    """One part of a ``k=v`` string: `text` as written, `key`/`value` if it is a pair.

    `key` is as decoded, surrounding whitespace included: the command modules compare it
    unstripped with their option names (``\\tchdir=/`` stays command text), and `name`
    is the option it sets.
    """

    text: str
    key: str | None = None
    value: str = ""

    @property
    def name(self) -> str:
        """The option name a pair sets: its key without surrounding whitespace."""
        return (self.key or "").strip()


def decode_escapes(text: str, pos: Position | None = None) -> str:
    """Replace the backslash escapes Ansible decodes in ``k=v`` parts by their characters."""

    def one(match: re.Match[str]) -> str:
        if match["simple"] is not None:
            return _SIMPLE_ESCAPES[match["simple"]]
        if match["name"] is not None:
            try:
                return unicodedata.lookup(match["name"])
            except KeyError:
                raise PlaybookError(f"unknown Unicode character name in {match[0]}", pos,
                                    "check the name, or write \\\\N to keep the text") from None
        code = int(match["u8"] or match["u4"] or match["x2"], 16)
        if code > 0x10FFFF:
            raise PlaybookError(f"{match[0]} is not a Unicode character", pos,
                                "\\U takes a code point up to 0010FFFF")
        return chr(code)

    return _ESCAPE.sub(one, text)


def _quote_after(token: str, quote: str) -> str:
    """The open quote character after reading `token` ("" when none is open)."""
    previous = ""
    for char in token:
        if char in "'\"" and previous != "\\":
            if not quote:
                quote = char
            elif char == quote:
                quote = ""
        previous = char
    return quote


class _Splitter:
    """State of one split: the parts so far, the open quote, the Jinja block depths."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.quote = ""
        self.depths = [0, 0, 0]

    def _tail(self, text: str) -> None:
        if not self.parts:
            self.parts.append("")
        self.parts[-1] += text

    def token(self, token: str, first: bool) -> None:
        """Read one space-separated token; `first` when it starts its line."""
        was_quoted = bool(self.quote)
        self.quote = _quote_after(token, self.quote)
        in_block = any(self.depths)
        placed = False
        if self.quote and not was_quoted and not in_block:
            self.parts.append(token)
            placed = True
        elif in_block or self.quote or was_quoted:
            self._tail(token if first else " " + token)
            placed = True
        for index, (opener, closer) in enumerate(_BLOCKS):
            change = token.count(opener) - token.count(closer)
            if change:
                before = self.depths[index]
                self.depths[index] = max(0, before + change)
                if self.depths[index] != before and not placed:
                    self.parts.append(token)
                    placed = True
        if not placed and token and not self.quote and not any(self.depths):
            self.parts.append(token)

    def line(self, line: str, last: bool) -> None:
        """Read one line; unless it is the last or ends in a lone ``\\``, keep its newline."""
        joined = False
        for index, token in enumerate(line.split(" ")):
            if not token and index:
                self._tail(" ")
            elif token == "\\" and not self.quote:
                joined = True
            else:
                self.token(token, index == 0)
        if not last and not joined:
            self._tail("\n")


def split(text: str, pos: Position | None = None) -> list[str]:
    """Split `text` into parts as written (quotes, blocks, trailing spaces, newlines kept)."""
    if not text:
        return []
    splitter = _Splitter()
    lines = text.split("\n")
    for index, line in enumerate(lines):
        splitter.line(line, index == len(lines) - 1)
    if splitter.quote or any(splitter.depths):
        raise PlaybookError(
            f"unbalanced quote or Jinja block in arguments: {text}", pos,
            "close the quote or the {{ }} block, or use the YAML mapping form for arguments",
        )
    return splitter.parts


def join(parts: list[str]) -> str:
    """Join free-text parts back: a space between two, none after one ending in a newline."""
    joined = ""
    for part in parts:
        joined += part if not joined or joined.endswith("\n") else " " + part
    return joined


def unquote(value: str) -> str:
    """Drop one pair of matching outer quotes, unless the closing one is escaped."""
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" and value[-2] != "\\":
        return value[1:-1]
    return value


def parse(text: str, pos: Position | None = None) -> list[Part]:
    """Split `text` and tell each part's key and decoded, unquoted value if it is a pair.

    A part is a pair when it has an ``=`` past its first character that no backslash
    escapes; a part whose every ``=`` is escaped is free text with ``\\=`` read as ``=``.
    """
    found: list[Part] = []
    for written in split(text, pos):
        decoded = decode_escapes(written, pos)
        at = _pair_equals(decoded)
        if at is None:
            free = decoded.replace("\\=", "=") if "=" in decoded else written
            found.append(Part(free))
            continue
        found.append(Part(written, decoded[:at], unquote(decoded[at + 1:].strip())))
    return found


def _pair_equals(text: str) -> int | None:
    """Index of the ``=`` that ends a key, or None."""
    at = text.find("=", 1)
    while at != -1:
        if text[at - 1] != "\\":
            return at
        at = text.find("=", at + 1)
    return None
