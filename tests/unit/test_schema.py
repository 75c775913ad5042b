"""The JSON Schemas: well-formed, in step with keywords.py, right positions and words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from miniplay import keywords
from miniplay.loader import loads, plain
from miniplay.paths import schemas_dir
from miniplay.schema import SchemaSet, describe, did_you_mean, label
from miniplay.validate import validate_file

REQUIRED_MODULES = (
    "command", "shell", "raw", "ping", "debug", "set_fact", "assert", "fail", "async_status",
    "meta", "pause", "wait_for", "stat", "file", "copy", "template", "lineinfile",
    "include_tasks", "import_tasks", "include_vars", "setup",
)
MODULES = sorted(p.name.removesuffix(".schema.json")
                 for p in (schemas_dir() / "modules").glob("*.schema.json"))
VALID = Path(__file__).resolve().parent.parent / "fixtures" / "valid"


def _load(name: str) -> Any:
    return json.loads((schemas_dir() / name).read_text(encoding="utf-8"))


def test_playbook_schema_is_valid_2020_12() -> None:
    schema = _load("playbook.schema.json")
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "https://miniplay.dev/schemas/playbook.schema.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(("kind", "words"), [
    ("task", keywords.TASK_KEYWORDS), ("handler", keywords.HANDLER_KEYWORDS),
    ("block", keywords.BLOCK_KEYWORDS), ("play", keywords.PLAY_KEYWORDS),
])
def test_schema_keywords_match_keywords_module(kind: str, words: frozenset[str]) -> None:
    assert SchemaSet().keywords(kind) == words


def test_required_modules_have_schemas() -> None:
    assert set(REQUIRED_MODULES) <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_module_schema_is_documented(module: str) -> None:
    schema = _load(f"modules/{module}.schema.json")
    Draft202012Validator.check_schema(schema)
    assert schema["description"]
    assert schema["examples"]
    for name, option in schema["properties"].items():
        assert option.get("description"), f"{module}.{name} has no description"
        for alias in option.get("x-aliases", []):
            assert schema["properties"][alias]["x-alias-of"] == name


@pytest.mark.parametrize("module", MODULES)
def test_module_examples_validate(module: str, tmp_path: Path) -> None:
    tasks = "\n".join(_indent(example) for example in _load(
        f"modules/{module}.schema.json")["examples"])
    path = tmp_path / "example.yml"
    path.write_text(f"- hosts: localhost\n  tasks:\n{tasks}\n")
    diags = [d for d in validate_file(path) if d.rule not in ("unknown-handler", "missing-file",
                                                                "missing-role")]
    assert diags == []


def _indent(example: str) -> str:
    return "\n".join("    " + line for line in example.splitlines())


@pytest.mark.parametrize("name", sorted(p.name for p in VALID.glob("*.yml")))
def test_published_schema_accepts_valid_fixtures(name: str) -> None:
    """Editors validate whole files with the published schema: it must agree."""
    data = plain(loads((VALID / name).read_text(encoding="utf-8"), name))
    validator = Draft202012Validator(_load("playbook.schema.json"))
    assert [e.message for e in validator.iter_errors(data)] == []


def test_published_schema_rejects_a_bad_nested_task() -> None:
    data = [{"hosts": "all", "tasks": [{"block": [{"ping": None, "retries": [1]}]}]}]
    validator = Draft202012Validator(_load("playbook.schema.json"))
    assert list(validator.iter_errors(data))


def _check(kind: str, text: str) -> list[Any]:
    return SchemaSet().check_node(kind, loads(text, "t.yml"))


def test_unknown_key_points_at_the_key() -> None:
    (diag,) = _check("play", "hosts: all\nserail: 1\n")
    assert (diag.rule, diag.pos and (diag.pos.line, diag.pos.column)) == (
        "unknown-keyword", (2, 1))
    assert diag.hint == "did you mean `serial`?"


def test_wrong_type_points_at_the_value() -> None:
    (diag,) = _check("task", "ping:\nretries:\n  - 1\n")
    assert diag.pos is not None
    assert (diag.pos.line, diag.pos.column) == (3, 3)
    assert diag.message == "`retries` must be an integer or a template string, got a list"


def test_nested_error_names_the_path() -> None:
    (diag,) = _check("task", "ping:\nloop_control:\n  pause: soon\n")
    assert diag.message == "`loop_control.pause` must be a number or a template string, got 'soon'"
    assert diag.pos is not None
    assert diag.pos.line == 3


def test_templates_accepted_for_numbers() -> None:
    text = "ping:\nasync: '{{ t }}'\npoll: 0\nretries: '{% if a %}1{% endif %}'\n"
    assert _check("task", text) == []


def test_one_error_per_key() -> None:
    diags = _check("task", "ping:\nretries: x\ndelay: []\nregister: 1a\n")
    assert sorted(d.pos.line for d in diags if d.pos) == [2, 3, 4]


def test_fast_path_agrees_with_full_validator() -> None:
    schemas = SchemaSet()
    for text in ("ping:\ntags: [a, 1]\n", "ping:\ntags: [a, [b]]\n", "ping:\nwhen: [true, x]\n",
                 "ping:\nwhen: [{}]\n", "ping:\nnotify: [a, 1]\n"):
        node = loads(text, "t.yml")
        fast = schemas.check_node("task", node)
        full = list(Draft202012Validator(_load("playbook.schema.json")).iter_errors(
            [{"hosts": "a", "tasks": [plain(node)]}]))
        assert bool(fast) == bool(full), text


def test_helpers() -> None:
    assert did_you_mean("comand", ["command", "shell"]) == "did you mean `command`?"
    assert did_you_mean("zzz", ["command"]) is None
    assert describe([1]) == "a list"
    assert describe(None) == "nothing (null)"
    assert describe(True) == "true"
    assert label(["loop_control", "pause"]) == "loop_control.pause"
    assert label(["tags", 1]) == "tags[1]"
