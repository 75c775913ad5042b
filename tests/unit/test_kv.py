"""k=v argument strings split, decode and re-join as ansible-core 2.19 reads them."""

from __future__ import annotations

import pytest

from miniplay import kv
from miniplay.errors import OptionsError, PlaybookError
from miniplay.keywords import parse_args
from miniplay.variables import parse_extra_vars


def test_multi_line_free_form_keeps_its_newlines_and_spaces() -> None:
    script = "echo a\necho   b\nprintf '%s\\n' \"c  d\"\n"
    assert parse_args("shell", script) == {"_raw_params": script}


def test_free_form_options_are_read_out_of_the_script() -> None:
    assert parse_args("shell", "echo a\nchdir=/tmp echo b") == {
        "chdir": "/tmp", "_raw_params": "echo a\necho b"}


def test_command_modules_read_only_their_options_as_pairs() -> None:
    assert parse_args("command", "echo a=b chdir=/") == {"chdir": "/", "_raw_params": "echo a=b"}
    assert parse_args("include_vars", "x.yml name=v depth=1") == {
        "_raw_params": "x.yml", "name": "v", "depth": "1"}


def test_free_text_keeps_its_escapes() -> None:
    assert parse_args("command", 'printf "a\\tb"') == {"_raw_params": 'printf "a\\tb"'}


@pytest.mark.parametrize(("text", "value"), [
    ('msg="a\\tb"', "a\tb"),
    ("msg='x\\ny'", "x\ny"),
    ("msg=p\\tq", "p\tq"),
    ('msg="say \\"hi\\""', 'say "hi"'),
    ("msg=\\u00e9\\x41\\U0001F600\\N{BULLET}", "\u00e9A\U0001F600\u2022"),
    ("msg=back\\\\slash", "back\\slash"),
    ("msg=\\q", "\\q"),
])
def test_pair_values_have_their_escapes_decoded(text: str, value: str) -> None:
    assert parse_args("debug", text) == {"msg": value}


def test_escaped_equals_is_not_a_pair() -> None:
    assert parse_args("shell", "echo a\\=b") == {"_raw_params": "echo a=b"}
    assert parse_args("include_vars", "x\\=y") == {"_raw_params": "x=y"}


def test_lone_backslash_joins_lines() -> None:
    assert kv.split("echo a \\\necho b") == ["echo", "a", "echo", "b"]


def test_quotes_and_jinja_blocks_span_spaces() -> None:
    assert kv.split("a={{ x | default('y  z') }} b='1 2'  c") == [
        "a={{ x | default('y  z') }}", "b='1 2' ", "c"]
    assert kv.split("a\tb c") == ["a\tb", "c"]


@pytest.mark.parametrize("text", ["a='b", 'a="b', "a={{ b", "{% if x"])
def test_unbalanced_quote_or_block_is_an_error(text: str) -> None:
    with pytest.raises(PlaybookError, match="unbalanced"):
        parse_args("debug", text)


def test_unknown_character_name_is_an_error() -> None:
    with pytest.raises(PlaybookError, match="unknown Unicode character name"):
        parse_args("debug", "msg=\\N{NOSUCHTHING}")


def test_extra_vars_pairs_decode_escapes() -> None:
    assert parse_extra_vars(["a=x\\ty b='c d'"]) == {"a": "x\ty", "b": "c d"}
    with pytest.raises(OptionsError, match="is not key=value"):
        parse_extra_vars(["a=1 loose"])
