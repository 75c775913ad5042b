"""Template files: the `#jinja2:` header, the caller's overrides, trailing newlines and
where an error in the file is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from miniplay.errors import TemplateError
from miniplay.templating import Templar, UndefinedVariable
from miniplay.templating_files import file_options, pad_newlines, split_header


def test_header_is_parsed_and_removed() -> None:
    body, header = split_header("#jinja2: variable_start_string:'[%', trim_blocks: False\nx\n")
    assert body == "x\n"
    assert header == {"variable_start_string": "[%", "trim_blocks": False}


def test_no_header_leaves_text_alone() -> None:
    assert split_header("# jinja2: x\n") == ("# jinja2: x\n", {})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("#jinja2: trim_blocks: False", "Missing newline after '#jinja2:' override."),
        ("#jinja2: trim_blocks: False,\n", "Empty '#jinja2:' override pair not allowed."),
        ("#jinja2: trim_blocks\n", "Missing key-value separator"),
        ("#jinja2: nope: 1\n", "Invalid '#jinja2:' override key 'nope'."),
        ("#jinja2: trim_blocks: no\n", "Invalid '#jinja2:' override value"),
    ],
)
def test_bad_headers(source: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        split_header(source)


def test_header_wins_over_caller_and_start_strings_must_differ() -> None:
    options = file_options({"trim_blocks": True, "variable_start_string": "<<"},
                           {"trim_blocks": False})
    assert options["trim_blocks"] is False
    assert options["variable_start_string"] == "<<"
    with pytest.raises(TemplateError, match="must be different"):
        file_options({"variable_start_string": "{%"}, {})


def test_pad_newlines_counts_the_source() -> None:
    assert pad_newlines("a\n\n\n", "a", "\r\n") == "a\r\n\r\n\r\n"
    assert pad_newlines("a", "a\n", "\n") == "a\n"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "t.j2"
    path.write_text(text)
    return str(path)


def test_render_file_applies_header_and_overrides(tmp_path: Path) -> None:
    templar = Templar()
    path = write(tmp_path, "#jinja2: variable_start_string:'[%', variable_end_string:'%]'\n"
                           "v=[% v %] {{ v }}\n\n")
    assert templar.render_file(path, {"v": 1}) == "v=1 {{ v }}\n\n"
    other = write(tmp_path, "<< v >>|{{ v }}\n")
    text = templar.render_file(other, {"v": 2}, overrides={
        "variable_start_string": "<<", "variable_end_string": ">>", "newline_sequence": "\r\n"})
    assert text == "2|{{ v }}\r\n"


def test_undefined_in_file_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "#jinja2: trim_blocks: True\none\ntwo={{ nosuch }}\n")
    with pytest.raises(UndefinedVariable) as caught:
        Templar().render_file(path, {})
    assert caught.value.pos is not None
    assert (caught.value.pos.file, caught.value.pos.line) == (path, 3)
    assert caught.value.message == "'nosuch' is undefined"


def test_include_uses_searchpath(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "part.j2").write_text("part {{ v }}")
    path = write(tmp_path, "{% include 'part.j2' %}!\n")
    text = Templar().render_file(path, {"v": 3}, searchpath=[str(tmp_path / "templates")])
    assert text == "part 3!\n"
