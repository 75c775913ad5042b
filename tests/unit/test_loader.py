"""The loader reads YAML as Ansible does (1.1 scalars) and keeps every position."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from miniplay.errors import Position, YamlError
from miniplay.loader import YamlMap, YamlSeq, load_file, loads, plain, walk_position
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


def test_duplicate_key_names_both_positions(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    path = tmp_path / "dup.yml"
    path.write_text("- hosts: all\n  tasks: []\n  hosts: web\n")
    with pytest.raises(YamlError) as caught:
        load_file(path)
    assert caught.value.pos == Position(str(path), 3, 3)
    assert "1:3" in caught.value.message
    assert caught.value.render().replace(str(tmp_path), "<tmp>") == snapshot


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
