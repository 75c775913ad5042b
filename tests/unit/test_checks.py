"""Static checks: Jinja positions and caches, and the no-traceback property (hypothesis)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miniplay.checks import PlaybookChecker
from miniplay.checks_args import coerce
from miniplay.checks_jinja import JinjaChecker
from miniplay.errors import Position
from miniplay.loader import loads, plain
from miniplay.validate import validate_file

VALID = Path(__file__).resolve().parent.parent / "fixtures" / "valid"
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _only_diagnostics(path: Path) -> None:
    diags = validate_file(path)
    assert all(d.rule != "internal-error" for d in diags), [d.render() for d in diags]


# -- random YAML text ---------------------------------------------------------------------

_PIECES = st.sampled_from([
    "- ", "  ", "    ", "\n", ": ", "hosts", "tasks", "block", "rescue", "when", "loop",
    "register", "debug", "command", "msg", "{{", "}}", "{%", "%}", "'", '"', "[", "]", "{",
    "}", "|", ">", "&a", "*a", "<<", "!unsafe ", "!vault ", "import_tasks", "x.yml", "#",
    "\t", "-1", "0644", "yes", "notify", "handlers", "async_status", "with_items", "null",
])


@SETTINGS
@given(text=st.lists(_PIECES, max_size=40).map("".join))
def test_random_yaml_text_gives_only_diagnostics(text: str, tmp_path: Path) -> None:
    path = tmp_path / "random.yml"
    path.write_text(text, encoding="utf-8")
    _only_diagnostics(path)


@SETTINGS
@given(text=st.text(max_size=200))
def test_arbitrary_text_gives_only_diagnostics(text: str, tmp_path: Path) -> None:
    path = tmp_path / "text.yml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    _only_diagnostics(path)


# -- mutated valid playbooks --------------------------------------------------------------

_FIXTURES = sorted(p.name for p in VALID.glob("*.yml"))
_VALUES = st.sampled_from([None, 0, -1, 1.5, True, "", "x", "{{ x }", "{% if %}", [], [1, [2]],
                           {}, {"a": {"b": 1}}, "comand", "regsiter"])


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _mutate(data: Any, seed: int, action: str, value: Any) -> Any:
    spots = [p for p in _paths(data) if p]
    if not spots:
        return value
    where = random.Random(seed).choice(spots)
    parent = data
    for step in where[:-1]:
        parent = parent[step]
    last = where[-1]
    if action == "delete":
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{last}x"[1:] or "x"] = parent.pop(last)
    else:
        parent[last] = value
    return data


@SETTINGS
@given(name=st.sampled_from(_FIXTURES), seed=st.integers(0, 10**6),
       action=st.sampled_from(["delete", "rename", "retype"]), value=_VALUES)
def test_mutated_playbooks_give_only_diagnostics(name: str, seed: int, action: str, value: Any,
                                                 tmp_path: Path) -> None:
    data = plain(loads((VALID / name).read_text(encoding="utf-8"), name))
    mutated = _mutate(data, seed, action, value)
    shutil.copytree(VALID, tmp_path / "valid", dirs_exist_ok=True)
    path = tmp_path / "valid" / name
    path.write_text(json.dumps(mutated, default=str), encoding="utf-8")  # JSON is YAML
    _only_diagnostics(path)


# -- Jinja -----------------------------------------------------------------------------------

def test_bare_expression_errors_and_successes() -> None:
    jinja = JinjaChecker()
    assert jinja.problem("x == 1 and y is defined", bare=True) is None
    assert jinja.problem("x ==", bare=True) is not None
    assert jinja.problem("x = 1", bare=True) is not None
    assert jinja.problem("{{ x }}", bare=True) is None


def test_number_shapes_never_hide_an_error() -> None:
    jinja = JinjaChecker()
    assert jinja.problem("{{ out_1.rc }} is 5", bare=False) is None
    assert jinja.problem("{{ out_2.rc }} is 7", bare=False) is None
    found = jinja.problem("{{ out_3.rc }", bare=False)
    assert found is not None
    assert jinja.problem("{{ 0b1 }}", bare=False) is None
    assert jinja.problem("{{ 0b2 }}", bare=False) is not None


def test_jinja_line_inside_block_scalar(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  tasks:\n    - debug:\n        msg: |\n          ok\n"
                    "          {{ x y }}\n")
    (diag,) = validate_file(path)
    assert diag.pos == Position(str(path), 6, 11)


def test_jinja_line_inside_plain_multiline_when(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  tasks:\n    - ping:\n      when: >-\n        a and\n"
                    "        b ==\n")
    (diag,) = validate_file(path)
    assert diag.rule == "jinja-syntax"
    assert diag.pos is not None
    assert diag.pos.line >= 5


def test_unsafe_text_is_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  vars:\n    a: !unsafe '{{ x }'\n  tasks:\n    - ping:\n")
    assert validate_file(path) == []


def test_coerce_as_ansible_does() -> None:
    assert coerce("5", "integer") == 5
    assert coerce("yes", "boolean") is True
    assert coerce("a,b", "array") == ["a", "b"]
    assert coerce(5, "string") == "5"
    assert coerce("{{ x }}", "integer") == "{{ x }}"
    assert coerce("soon", "integer") == "soon"


def test_checker_is_reusable_and_caches() -> None:
    checker = PlaybookChecker()
    data = loads("- hosts: all\n  tasks:\n    - comand: x\n", "a.yml")
    assert [d.rule for d in checker.check_playbook("a.yml", data)] == ["unknown-module"]
    other = loads("- hosts: all\n  tasks:\n    - ping:\n", "b.yml")
    assert checker.check_playbook("b.yml", other) == []


def test_invalid_escape_in_a_jinja_string_is_no_syntax_error() -> None:
    # Python warns of '\d' (an error under -W error); Ansible runs it with the backslash
    jinja = JinjaChecker()
    assert jinja.problem("out is search('\\d+')", bare=True) is None
    assert jinja.problem("{{ out | regex_search('\\s+') }}", bare=False) is None
