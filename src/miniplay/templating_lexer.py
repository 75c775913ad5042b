"""The Jinja lexer ansible-core uses for templates from YAML: backslashes kept literal.

Takes: a Jinja environment. Gives: a lexer (one per set of delimiter settings) whose
string literals inside ``{{ }}`` keep their backslashes. Raises: nothing.

Why: YAML has already processed backslash escapes once, so ``'\\1'`` in a playbook must
reach `regex_replace` as a back-reference and ``'C:\\x'`` must not be read as a broken
``\\x`` escape. The templar and the static Jinja checks share this lexer, so validation
accepts exactly what a run renders.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jinja2
from jinja2.lexer import TOKEN_STRING, TOKEN_VARIABLE_BEGIN, TOKEN_VARIABLE_END, Lexer


class BackslashLexer(Lexer):
    """Keeps backslashes in ``{{ }}`` string literals literal, as ansible-core does."""

    def tokeniter(self, source: str, name: str | None, filename: str | None = None,
                  state: str | None = None) -> Iterator[tuple[int, str, str]]:
        in_variable = False
        for lineno, kind, text in super().tokeniter(source, name, filename, state):
            if kind in (TOKEN_VARIABLE_BEGIN, TOKEN_VARIABLE_END):
                in_variable = kind == TOKEN_VARIABLE_BEGIN
            elif in_variable and kind == TOKEN_STRING:
                text = text.replace("\\", "\\\\")
            yield lineno, kind, text


def backslash_lexer(env: jinja2.Environment) -> Lexer:
    """`env`'s backslash-keeping lexer, made once per set of lexer settings."""
    lexers: dict[Any, Lexer] = env.__dict__.setdefault("_miniplay_lexers", {})
    key = (env.block_start_string, env.block_end_string, env.variable_start_string,
           env.variable_end_string, env.comment_start_string, env.comment_end_string,
           env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks,
           env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline)
    lexer = lexers.get(key)
    if lexer is None:
        lexer = lexers[key] = BackslashLexer(env)
    return lexer
