"""Options of a template file: the `#jinja2:` header and the template module's overrides.

Takes: a template file's text, and the overrides a caller passes (the template module's
`variable_start_string`, `trim_blocks`, `newline_sequence`...). Gives: the text without
its header and the Jinja environment options to render it with, in ansible-core 2.19's
order (Ansible's defaults, then the caller's, then the header's). Raises:
`TemplateError` with Ansible's wording for a malformed header ("Invalid '#jinja2:'
override key 'x'.") or start strings that are not all different.

A header is the first line when it starts with `#jinja2:`: comma-separated
`key: value` pairs, each value a Python literal (`'[%'`, `False`).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from miniplay.errors import TemplateError

HEADER = "#jinja2:"

DEFAULTS: Mapping[str, Any] = {
    "block_start_string": "{%", "block_end_string": "%}",
    "variable_start_string": "{{", "variable_end_string": "}}",
    "comment_start_string": "{#", "comment_end_string": "#}",
    "line_statement_prefix": None, "line_comment_prefix": None,
    "trim_blocks": True, "lstrip_blocks": False,
    "newline_sequence": "\n", "keep_trailing_newline": False,
}
"""Ansible's Jinja settings for templates (Jinja's own, except `trim_blocks`)."""


def split_header(source: str) -> tuple[str, dict[str, Any]]:
    """(the text without its `#jinja2:` line, the overrides that line sets)."""
    if not source.startswith(HEADER):
        return source, {}
    end = source.find("\n")
    if end == -1:
        raise TemplateError(f"Missing newline after {HEADER!r} override.")
    overrides: dict[str, Any] = {}
    for pair in source[len(HEADER):end].split(","):
        if not pair.strip():
            raise TemplateError(f"Empty {HEADER!r} override pair not allowed.")
        if ":" not in pair:
            raise TemplateError(f"Missing key-value separator `:` in {HEADER!r} override "
                                f"pair {pair!r}.")
        key, text = (part.strip() for part in pair.split(":", 1))
        if key not in DEFAULTS:
            raise TemplateError(f"Invalid {HEADER!r} override key {key!r}.")
        try:
            overrides[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise TemplateError(f"Invalid {HEADER!r} override value for {key!r}: {text}",
                                hint="values are Python literals: quote strings "
                                     "('[%'), write booleans as True/False") from None
    return source[end + 1:], overrides


def file_options(caller: Mapping[str, Any], header: Mapping[str, Any]) -> dict[str, Any]:
    """The environment options: defaults, then `caller`'s, then the header's."""
    unknown = sorted(set(caller) - set(DEFAULTS))
    if unknown:
        raise TemplateError(f"unknown template option(s): {', '.join(unknown)}")
    options = {**DEFAULTS, **caller, **header}
    starts = (options["block_start_string"], options["variable_start_string"],
              options["comment_start_string"])
    if len(set(starts)) != len(starts):
        raise TemplateError("Block, variable and comment start strings must be different.")
    if options["newline_sequence"] not in ("\n", "\r", "\r\n"):
        raise TemplateError("newline_sequence needs to be one of: \n, \r or \r\n")
    return options


def trailing_newlines(text: str) -> int:
    """How many `\\n` end `text`."""
    return len(text) - len(text.rstrip("\n"))


def pad_newlines(source: str, text: str, newline: str) -> str:
    """`text` with the trailing newlines Jinja dropped given back: as many as the
    template file had, in `newline` (as ansible-core pads a rendered template)."""
    missing = trailing_newlines(source) - trailing_newlines(text)
    return text + newline * missing if missing > 0 else text
