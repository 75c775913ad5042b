"""Data-flow checks: the flow fixtures find their defect, and nothing else in the repo warns."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from miniplay.checks_flow_uses import UseFinder
from miniplay.errors import Position
from miniplay.validate import (
    ValidateSettings,
    extra_var_names,
    render_report,
    validate_file,
    validate_paths,
)

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FLOW = FIXTURES / "flow"
FLOW_RULES = frozenset({"undefined-variable", "async-status-jid", "async-jid-no-job",
                        "miniplay-extension", "unchecked-job"})
EXPECT = re.compile(r"; expect (?:none|([a-z-]+) (?:in (\S+) )?line (\d+))\s*$")
# Notes the repo's own playbooks raise on purpose (warnings are never allowed).
DELIBERATE = {
    ("conformance/async_failed_when.yml", "unchecked-job"),  # fire and forget, on purpose
    ("conformance/ignore_errors.yml", "undefined-variable"),  # an ignored template error
    ("conformance/when_errors.yml", "undefined-variable"),  # an ignored `when` error
    ("conformance/filters_text.yml", "undefined-variable"),  # `mandatory`, ignored
    ("conformance/with_undefined.yml", "undefined-variable"),  # undefined loop items, ignored
    ("conformance/rt_condition_errors.yml", "undefined-variable"),  # play ignore_errors
    ("conformance/rt_error_origin.yml", "undefined-variable"),  # play ignore_errors
    ("conformance/tmpl_undefined_args.yml", "undefined-variable"),  # an ignored failure
    ("conformance/rt_failed_exception.yml", "undefined-variable"),  # an ignored failure
}


def _flow(diags: list) -> list:  # type: ignore[type-arg]
    return [d for d in diags if d.rule in FLOW_RULES]


def _cases() -> list[str]:
    return sorted(p.name for p in FLOW.glob("*.yml"))


def _expected(name: str) -> tuple[str, str, int] | None:
    first = (FLOW / name).read_text(encoding="utf-8").splitlines()[0]
    match = EXPECT.search(first)
    assert match, f"{name}: first line must end with '; expect RULE line N' or '; expect none'"
    if match.group(1) is None:
        return None
    return match.group(1), os.path.normpath(match.group(2) or name), int(match.group(3))


def test_enough_flow_fixtures() -> None:
    assert sum(1 for name in _cases() if _expected(name) is not None) >= 10


@pytest.mark.parametrize("name", _cases())
def test_flow_fixture(name: str, snapshot: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FLOW)
    diags = validate_paths([name])
    assert [d for d in diags if d.severity == "error"] == [], render_report(diags)
    want = _expected(name)
    found = {(d.rule, os.path.normpath(d.pos.file), d.pos.line) for d in diags if d.pos}
    if want is None:
        assert diags == [], render_report(diags)
    else:
        assert want in found, render_report(diags)
    assert render_report(_flow(diags)) == snapshot


def test_seed_message_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FLOW)
    (diag,) = [d for d in validate_paths(["typo_register.yml"]) if d.severity == "warning"]
    assert diag.message == (
        "`migration_result` is used at typo_register.yml:20:45 but never registered; "
        "did you mean `migrate_result` registered at typo_register.yml:14:7?")


def _conformance_extra_vars(path: Path) -> frozenset[str]:
    head = path.read_text(encoding="utf-8").splitlines()[:5]
    args = [line.split("args:", 1)[1] for line in head if line.startswith("# conformance: args:")]
    words = shlex.split(args[0]) if args else []
    return extra_var_names([w for i, w in enumerate(words) if i and words[i - 1] == "-e"])


def _repo_playbooks() -> list[Path]:
    return [*sorted((FIXTURES / "valid").glob("*.yml")),
            *sorted((FIXTURES / "conformance").glob("*.yml")),
            *sorted((ROOT / "examples").glob("*.yml"))]


@pytest.mark.parametrize("path", _repo_playbooks(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_false_positives_in_repo_playbooks(path: Path) -> None:
    """The flow checks must stay quiet on every playbook the repo runs: no warning at all,
    notes only where deliberate (async_jid in examples, the DELIBERATE list)."""
    settings = ValidateSettings(extra_vars=_conformance_extra_vars(path))
    diags = _flow(validate_paths([str(path)], settings))
    key = f"{path.parent.name}/{path.name}"
    for diag in diags:
        assert diag.severity == "note", diag.render()
        allowed = diag.rule == "miniplay-extension" or (key, diag.rule) in DELIBERATE
        assert allowed, diag.render()


def test_valid_fixtures_have_no_diagnostics_with_flow_checks() -> None:
    assert validate_paths([str(FIXTURES / "valid")]) == []


def test_validate_file_is_the_structural_gate(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  tasks:\n    - debug: msg={{ nope }}\n")
    assert validate_file(path) == []
    assert [d.rule for d in validate_paths([str(path)])] == ["undefined-variable"]


def _rules(tmp_path: Path, text: str, **settings: object) -> list[str]:
    path = tmp_path / "site.yml"
    path.write_text(text)
    return [d.rule for d in validate_paths([str(path)], ValidateSettings(**settings))]  # type: ignore[arg-type]


PLAY = "- hosts: all\n  gather_facts: false\n  tasks:\n"


@pytest.mark.parametrize("task", [
    "    - debug: msg={{ x | default(1) }}\n",
    "    - debug: msg={{ x | d(1) }}\n",
    "    - debug:\n        msg: '{{ x.y if x is defined else 0 }}'\n",
    "    - debug: msg={{ x }}\n      when: x is defined\n",
    "    - assert:\n        that: x is undefined or x\n",
    "    - debug:\n        var: x\n",
    "    - debug: msg='{% set x = 1 %}{{ x }}"
    "{% for y in [1] %}{{ y }}{{ loop.index }}{% endfor %}'\n",
    "    - debug:\n        msg: \"{{ lookup('env', 'HOME') }} {{ range(3) | list }}\"\n",
    "    - debug: msg={{ hostvars[inventory_hostname].ansible_host | default('') }}\n",
    "    - debug: msg={{ x }}\n      vars:\n        x: 1\n",
    "    - set_fact:\n        a: 1\n        b: '{{ a }}'\n",
])
def test_conservative_reads_are_not_reported(tmp_path: Path, task: str) -> None:
    assert _rules(tmp_path, PLAY + task) == []


def test_extra_vars_are_declared(tmp_path: Path) -> None:
    text = PLAY + "    - debug:\n        msg: '{{ version }} {{ env_name }}'\n"
    assert _rules(tmp_path, text) == ["undefined-variable", "undefined-variable"]
    assert _rules(tmp_path, text, extra_vars=frozenset({"version", "env_name"})) == []


def test_extra_var_names_forms(tmp_path: Path) -> None:
    varfile = tmp_path / "vars.yml"
    varfile.write_text("from_file: 1\n")
    names = extra_var_names(["a", "b=1 c=2", '{"d": 5}', f"@{varfile}", "@missing.yml"])
    assert names == {"a", "b", "c", "d", "from_file"}


def test_unknowable_definitions_stop_reporting(tmp_path: Path) -> None:
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "facts.py").write_text("print('{}')\n")
    assert _rules(tmp_path, PLAY + "    - facts:\n    - debug: msg={{ anything }}\n") == []
    assert _rules(tmp_path, PLAY + "    - include_tasks: '{{ f }}.yml'\n"
                  "      when: f is defined\n    - debug: msg={{ anything }}\n") == []
    assert _rules(tmp_path, PLAY + "    - include_vars: '{{ f | default(1) }}'\n"
                  "    - debug: msg={{ anything }}\n") == []


def test_definitions_from_files_beside_the_playbook(tmp_path: Path) -> None:
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("from_group: 1\n")
    (tmp_path / "inventory.ini").write_text("[web]\nh1 from_inventory=2\n")
    (tmp_path / "extra.yml").write_text("from_include: 3\n")
    role = tmp_path / "roles" / "app"
    (role / "defaults").mkdir(parents=True)
    (role / "tasks").mkdir()
    (role / "defaults" / "main.yml").write_text("from_role: 4\n")
    (role / "tasks" / "main.yml").write_text("- command: id\n  register: from_role_task\n")
    text = ("- hosts: all\n  gather_facts: false\n  roles: [app]\n  tasks:\n"
            "    - include_vars: extra.yml\n"
            "    - debug: msg='{{ from_group }}{{ from_inventory }}{{ from_include }}"
            "{{ from_role }}{{ from_role_task }}'\n")
    assert _rules(tmp_path, text) == []


def test_disable_option_and_comment(tmp_path: Path) -> None:
    text = PLAY + "    - debug: msg={{ a }}\n    - debug: msg={{ b }}  # miniplay: disable=all\n"
    assert _rules(tmp_path, text) == ["undefined-variable"]
    assert _rules(tmp_path, text, disabled=frozenset({"undefined-variable"})) == []


def test_async_jid_poll_and_cleanup(tmp_path: Path) -> None:
    text = PLAY + ("    - command: sleep 1\n      async: 10\n      poll: 2\n"
                   "    - async_status: jid={{ async_jid }}\n"
                   "    - async_status: jid={{ async_jid }} mode=cleanup\n")
    assert sorted(_rules(tmp_path, text)) == ["async-status-jid", "miniplay-extension",
                                              "miniplay-extension"]


def test_fan_out_through_loop_is_checked(tmp_path: Path) -> None:
    text = PLAY + ("    - command: sleep {{ item }}\n      loop: [1, 2]\n      async: 10\n"
                   "      poll: 0\n      register: jobs\n"
                   "    - async_status:\n        jid: '{{ item.ansible_job_id }}'\n"
                   "      loop: '{{ jobs.results }}'\n")
    assert _rules(tmp_path, text) == []


def test_shape_cache_maps_generated_names_back() -> None:
    finder = UseFinder()
    for index in range(1, 30):
        text = f"{{{{ out_{index}.rc + {index} }}}} {{{{ 'x_{index + 1}' }}}}"
        uses = finder.uses(text, Position("f.yml", 1, 1))
        assert [use.name for use in uses] == [f"out_{index}"]
    assert [u.name for u in finder.uses("{{ a1 + a2 }}", Position("f.yml", 1, 1))] == [
        "a1", "a2"]


def test_names_with_digits_in_quoted_kv_text_are_reported_as_written() -> None:
    # the digit-shape cache must map every name back (it once said `ec1_access_key`)
    finder = UseFinder()
    finder.uses('echo k="{{ web1_x }}"', Position("p.yml", 1, 1))  # warms the shape
    uses = finder.uses('echo k="{{ ec2_access_key }}" t="{{ web5_y }}"',
                       Position("p.yml", 1, 1))
    assert sorted(use.name for use in uses) == ["ec2_access_key", "web5_y"]


def test_run_time_definitions_are_not_reported(tmp_path: Path) -> None:
    # add_host gives the new host variables; a templated set_fact key may define anything
    text = PLAY + ("    - add_host:\n        name: new1\n        colour: blue\n"
                   "    - set_fact: \"{{ key }}=1\"\n      vars:\n        key: shade\n"
                   "    - debug:\n        msg: '{{ colour }} {{ shade }}'\n")
    assert _rules(tmp_path, text) == []


def test_filters_pass_undefined_to_a_guard(tmp_path: Path) -> None:
    # 2.19: a filter given an undefined value gives one, which `is undefined` catches
    text = PLAY + ("    - debug:\n        msg: \"{{ (ux | upper) is undefined }} "
                   "{{ ([1] | union(uy)) is undefined }} {{ uz | upper | default('d') }}\"\n")
    assert _rules(tmp_path, text) == []
