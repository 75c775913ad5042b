"""`miniplay validate` on the fixture playbooks: exact messages, lines, exit codes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from miniplay.validate import (
    Diagnostic,
    error_count,
    looks_like_playbook,
    render_report,
    validate_file,
    validate_paths,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
INVALID = FIXTURES / "invalid"
VALID = FIXTURES / "valid"
EXPECT = re.compile(r";\s*(?:in (\S+) )?line (\d+)\s*$")


def _cases(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.yml"))


def _expected(name: str) -> tuple[str, int]:
    first = (INVALID / name).read_text(encoding="utf-8").splitlines()[0]
    match = EXPECT.search(first)
    assert match, f"{name}: first line must end with '; line N' or '; in FILE line N'"
    return os.path.normpath(match.group(1) or name), int(match.group(2))


def test_enough_fixtures() -> None:
    assert len(_cases(INVALID)) >= 40
    assert len(_cases(VALID)) >= 20


@pytest.mark.parametrize("name", _cases(INVALID))
def test_invalid_fixture(name: str, snapshot: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    diags = validate_file(name)
    # "(a warning)" in the header: Ansible accepts it (syntax-check and maybe the run),
    # so validation warns and refuses nothing
    kind = "warning" if "(a warning)" in (INVALID / name).read_text().splitlines()[0] \
        else "error"
    errors = [d for d in diags if d.severity == kind]
    assert kind == "error" or error_count(diags) == 0, render_report(diags)
    want_file, want_line = _expected(name)
    assert len(errors) == 1, render_report(diags)
    assert errors[0].pos is not None
    assert os.path.normpath(errors[0].pos.file) == want_file
    assert errors[0].pos.line == want_line
    assert render_report(diags) == snapshot


@pytest.mark.parametrize("name", _cases(VALID))
def test_valid_fixture(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(VALID)
    diags = validate_file(name)
    assert diags == [], render_report(diags)


def test_valid_directory_has_no_diagnostics() -> None:
    assert validate_paths([str(VALID)]) == []


def test_directory_reports_all_files_in_order() -> None:
    diags = validate_paths([str(INVALID)])
    files = {d.pos.file for d in diags if d.pos}
    assert len(files) >= 40
    keys = [(d.pos.file, d.pos.line, d.pos.column) for d in diags if d.pos]
    assert keys == sorted(keys)


def test_directory_skips_files_that_are_not_playbooks(tmp_path: Path) -> None:
    (tmp_path / "tasks.yml").write_text("- debug: msg=hi\n- comand: x\n")
    (tmp_path / "vars.yml").write_text("a: 1\n")
    (tmp_path / "inventory.yaml").write_text("all:\n  hosts:\n    h1:\n")
    (tmp_path / "site.yml").write_text("- hosts: all\n  tasks:\n    - comand: x\n")
    diags = validate_paths([str(tmp_path)])
    assert [(Path(d.pos.file).name, d.rule) for d in diags if d.pos] == [
        ("site.yml", "unknown-module")]


def test_explicit_non_playbook_is_a_diagnostic(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.yml"
    tasks.write_text("- debug: msg=hi\n")
    (diag,) = validate_file(tasks)
    assert diag.rule == "not-playbook"
    assert diag.hint is not None
    assert "task file" in diag.hint


def test_missing_path_is_a_diagnostic(tmp_path: Path) -> None:
    (diag,) = validate_paths([str(tmp_path / "nope.yml")])
    assert diag.rule == "read-error"
    assert "nope.yml" in diag.message


def test_empty_and_null_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    (diag,) = validate_file(empty)
    assert diag.rule == "not-playbook"


def test_templated_condition_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  tasks:\n    - ping:\n      when: \"{{ x == 1 }}\"\n")
    (diag,) = validate_file(path)
    assert (diag.rule, diag.severity, diag.pos and diag.pos.line) == (
        "templated-condition", "warning", 4)
    assert error_count([diag]) == 0


def test_json_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    data = json.loads(render_report(validate_file("task_unknown_keyword.yml"), "json"))
    assert data == [{
        "file": "task_unknown_keyword.yml", "line": 6, "column": 7, "severity": "error",
        "rule": "unknown-keyword", "message": "unknown task keyword `regsiter`",
        "hint": "did you mean `register`?",
    }]


def test_render_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    (diag,) = validate_file("task_unknown_module.yml")
    assert diag.render().splitlines() == [
        "task_unknown_module.yml:5:7: error: couldn't resolve module/action 'comand'",
        "          comand: echo hi",
        "          ^",
        "  hint: did you mean `command`?",
    ]


def test_diagnostic_without_position_renders() -> None:
    diag = Diagnostic("read-error", "error", "no such file", None, None)
    assert diag.render() == "error: no such file"
    assert json.loads(render_report([diag], "json"))[0]["line"] is None


def test_looks_like_playbook() -> None:
    assert looks_like_playbook([{"hosts": "all"}])
    assert looks_like_playbook([{"import_playbook": "x.yml"}])
    assert not looks_like_playbook([{"debug": None}])
    assert not looks_like_playbook({"hosts": "all"})
    assert not looks_like_playbook([])


def test_same_task_file_twice_reports_once(tmp_path: Path) -> None:
    (tmp_path / "t.yml").write_text("- comand: x\n")
    (tmp_path / "p.yml").write_text(
        "- hosts: all\n  tasks:\n    - import_tasks: t.yml\n    - import_tasks: t.yml\n")
    diags = validate_file(tmp_path / "p.yml")
    assert [d.rule for d in diags] == ["unknown-module"]


def test_recursive_include_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "r.yml").write_text("- include_tasks: r.yml\n  when: false\n")
    (tmp_path / "p.yml").write_text("- hosts: all\n  tasks:\n    - include_tasks: r.yml\n")
    assert validate_file(tmp_path / "p.yml") == []


def test_cli_validate_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    cli = pytest.importorskip("miniplay.cli")
    assert cli.main(["validate", str(VALID)]) == 0
    assert cli.main(["validate", str(INVALID / "task_unknown_module.yml")]) == 4
    assert "couldn't resolve module/action 'comand'" in capsys.readouterr().out
    assert cli.main(["validate", "--format", "json", str(INVALID / "poll_negative.yml")]) == 4
    assert json.loads(capsys.readouterr().out)[0]["rule"] == "schema"


def test_missing_vars_file_is_a_warning(tmp_path: Path) -> None:
    # ansible-core 2.19 skips a vars_files entry it cannot find, without a word
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  vars_files: [nothere.yml]\n  tasks:\n    - ping:\n")
    (diag,) = validate_file(path)
    assert (diag.rule, diag.severity, diag.pos and diag.pos.line) == (
        "missing-file", "warning", 2)


def test_bare_vars_file_name_is_found_in_vars_folder(tmp_path: Path) -> None:
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "only.yml").write_text("x: 1\n")
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  vars_files: [only.yml]\n  tasks:\n    - ping:\n")
    assert validate_file(path) == []


def test_play_user_is_the_not_built_remote_user(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  user: root\n  tasks:\n    - ping:\n")
    (diag,) = validate_file(path)
    assert (diag.rule, diag.severity) == ("not-built", "error")
    assert "`user` (an alias of `remote_user`)" in diag.message


def test_ansible_module_not_built_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  tasks:\n    - dnf:\n        name: vim\n"
                    "    - seport:\n        ports: 22\n")
    diags = validate_file(path)
    assert [(d.rule, d.pos and d.pos.line) for d in diags] == [
        ("not-built", 3), ("unknown-module", 5)]
    assert "Ansible module `dnf`" in diags[0].message
    assert "seport" in diags[1].message


def test_bad_jinja_in_vars_is_a_warning(tmp_path: Path) -> None:
    # a variable is rendered only when something reads it (Ansible's syntax-check passes)
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  vars:\n    broken: \"{{ x | }}\"\n  tasks:\n    - ping:\n")
    (diag,) = validate_file(path)
    assert (diag.rule, diag.severity, diag.pos and diag.pos.line) == (
        "jinja-syntax", "warning", 3)


def test_errors_of_a_task_under_ignore_errors_are_warnings(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  tasks:\n    - debug: msg=\"{{ x | }}\"\n"
                    "      ignore_errors: true\n    - block:\n        - pause:\n"
                    "            seconds: hello\n      rescue:\n        - ping:\n"
                    "    - debug: msg=\"{{ y | }}\"\n")
    diags = validate_file(path)
    assert [(d.rule, d.severity, d.pos and d.pos.line) for d in diags] == [
        ("jinja-syntax", "warning", 3), ("module-args", "warning", 7),
        ("jinja-syntax", "error", 10)]
    assert "guarded by ignore_errors" in (diags[0].hint or "")
    assert "guarded by the block's rescue" in (diags[1].hint or "")


def test_include_tasks_takes_no_environment(tmp_path: Path) -> None:
    (tmp_path / "inc.yml").write_text("- ping:\n")
    path = tmp_path / "p.yml"
    path.write_text("- hosts: all\n  tasks:\n    - import_tasks: inc.yml\n      become: true\n"
                    "    - include_tasks: inc.yml\n      environment: {A: b}\n")
    (diag,) = validate_file(path)
    assert (diag.rule, diag.pos and diag.pos.line) == ("schema", 6)
    assert "`environment` is not a valid keyword for include_tasks" in diag.message
