"""The loader reads YAML as Ansible does (1.1 scalars) and keeps every position."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from miniplay.errors import Position, YamlError
from miniplay.loader import (
    YamlMap,
    YamlSeq,
    collect_warnings,
    load_file,
    loads,
    plain,
    walk_position,
)
from miniplay.unsafe import UnsafeText


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True), ("no", False), ("on", True), ("off", False), ("True", True),
        ("FALSE", False), ("y", "y"), ("n", "n"), ("0644", 420), ("0o644", "0o644"),
        ("0x1f", 31), ("1_000", 1000), ("1:30", 90), ("1.5", 1.5), ("~", None),
        ("null", None), ("'yes'", "yes"), ('"0644"', "0644"), ("hello", "hello"),
        ("-0755", -493), ("1e3", "1e3"), ("1.0e+3", 1000.0),
        ("!!str yes", "yes"), ("!!str 0644", "0644"), ('!!int "0644"', 420),
        ("!!bool 'yes'", True), ("!!float '1.5'", 1.5), ("!!null ''", None),
    ],
)
def test_yaml_11_scalars(text: str, expected: object) -> None:
    assert loads(f"v: {text}\n")["v"] == expected
    assert type(loads(f"v: {text}\n")["v"]) is type(expected)


def test_yaml_11_boolean_keys() -> None:
    assert loads("{on: 1, off: 2}") == {True: 1, False: 2}


def test_positions_are_one_based(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  tasks:\n    - command: echo hi\n")
    data = load_file(path).data
    assert isinstance(data, YamlSeq)
    play = data[0]
    assert isinstance(play, YamlMap)
    assert play.pos == Position(str(path), 1, 3)
    task = play["tasks"][0]
    assert task.key_pos["command"] == Position(str(path), 3, 7)
    assert task.value_pos["command"] == Position(str(path), 3, 16)
    assert walk_position(data, [0, "tasks", 0, "command"]) == Position(str(path), 3, 16)


def test_duplicate_key_warns_naming_both_and_the_last_wins(tmp_path: Path) -> None:
    """ansible-core 2.19's default (ANSIBLE_DUPLICATE_YAML_DICT_KEY=warn)."""
    path = tmp_path / "dup.yml"
    path.write_text("- hosts: all\n  tasks: []\n  hosts: web\n")
    with collect_warnings() as found:
        data = load_file(path).data
    assert data[0]["hosts"] == "web"
    assert list(data[0]) == ["hosts", "tasks"]
    assert [w.pos for w in found] == [Position(str(path), 3, 3)]
    assert "Found duplicate mapping key 'hosts'" in found[0].message
    assert "1:3" in found[0].message


def test_duplicate_key_error_mode_names_both_positions(
        tmp_path: Path, snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSIBLE_DUPLICATE_YAML_DICT_KEY", "error")
    path = tmp_path / "dup.yml"
    path.write_text("- hosts: all\n  tasks: []\n  hosts: web\n")
    with pytest.raises(YamlError) as caught:
        load_file(path)
    assert caught.value.pos == Position(str(path), 3, 3)
    assert caught.value.render().replace(str(tmp_path), "<tmp>") == snapshot


def test_duplicate_key_ignore_mode_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSIBLE_DUPLICATE_YAML_DICT_KEY", "ignore")
    with collect_warnings() as found:
        assert loads("a: 1\na: 2\n") == {"a": 2}
    assert found == []


def test_uncollected_warning_is_printed_once(capsys: pytest.CaptureFixture[str]) -> None:
    loads("a: 1\na: 2\n", "once.yml")
    loads("a: 1\na: 2\n", "once.yml")
    err = capsys.readouterr().err
    assert err.count("[WARNING]: once.yml:2:1: Found duplicate mapping key 'a'") == 1


@pytest.mark.parametrize(
    "text",
    [
        "- a: [1\n- b: 2\n",
        "- name: x\n  debug: msg={{ x }}\n  when: {{ x }}\n",
        "a:\n\t- b\n",
        "a: b: c\n",
        "- 'unterminated\n",
    ],
    ids=["flow", "unquoted-template", "tab", "colon", "quote"],
)
def test_syntax_errors_are_positioned(tmp_path: Path, text: str,
                                      snapshot: SnapshotAssertion) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(YamlError) as caught:
        load_file(path)
    assert caught.value.pos is not None
    assert caught.value.render().replace(str(tmp_path), "<tmp>") == snapshot


def test_unsafe_tag_and_anchors() -> None:
    data = loads("a: !unsafe '{{ x }}'\nb: &anchor [1, 2]\nc: *anchor\nd:\n  <<: {e: 1}\n  f: 2\n")
    assert isinstance(data["a"], UnsafeText)
    assert data["c"] == [1, 2]
    assert plain(data["d"]) == {"e": 1, "f": 2}


def test_vault_is_refused() -> None:
    with pytest.raises(YamlError, match="Vault"):
        loads("a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n")


def test_missing_file() -> None:
    with pytest.raises(YamlError, match="file not found"):
        load_file("/nonexistent/x.yml")


def test_empty_document() -> None:
    assert loads("") is None


def test_unsafe_tag_on_collections_marks_every_string_inside() -> None:
    data = loads("l: !unsafe ['{{ a }}', 1]\nm: !unsafe {k: '{{ b }}', n: ['{{ c }}']}\n")
    assert isinstance(data["l"][0], UnsafeText)
    assert data["l"][1] == 1
    assert isinstance(data["m"]["k"], UnsafeText)
    assert isinstance(data["m"]["n"][0], UnsafeText)
    assert not isinstance(next(iter(data["m"])), UnsafeText)
