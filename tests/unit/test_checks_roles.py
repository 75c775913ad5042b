"""Role validation (`checks_roles`): missing roles, role files, role handlers for notify."""

from __future__ import annotations

from pathlib import Path

import pytest

from miniplay.validate import Diagnostic, validate_file


@pytest.fixture(autouse=True)
def _no_roles_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANSIBLE_ROLES_PATH", raising=False)


def write(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `root`; return root/site.yml."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "site.yml"


def rules(diags: list[Diagnostic]) -> list[tuple[str, str, int]]:
    return [(d.rule, Path(d.pos.file).name if d.pos else "", d.pos.line if d.pos else 0)
            for d in diags]


PLAY = "- hosts: localhost\n  gather_facts: false\n"


def test_missing_role_in_roles_section_names_where_it_looked(tmp_path: Path) -> None:
    site = write(tmp_path, {"site.yml": PLAY + "  roles:\n    - ghost\n"})
    (diag,) = validate_file(site)
    assert diag.rule == "missing-role"
    assert diag.message == "the role 'ghost' was not found"
    assert diag.pos is not None
    assert (diag.pos.line, diag.pos.column) == (4, 7)
    assert diag.hint is not None
    assert f"{tmp_path}/roles/" in diag.hint
    assert "ANSIBLE_ROLES_PATH (not set)" in diag.hint


def test_roles_path_is_searched_and_named(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "shared"
    write(elsewhere, {"found/tasks/main.yml": "- debug: msg=x\n"})
    monkeypatch.setenv("ANSIBLE_ROLES_PATH", str(elsewhere))
    site = write(tmp_path / "play", {"site.yml": PLAY + "  roles: [found, lost]\n"})
    (diag,) = validate_file(site)
    assert diag.rule == "missing-role"
    assert "'lost'" in diag.message
    assert f"ANSIBLE_ROLES_PATH ({elsewhere})" in (diag.hint or "")


def test_import_and_include_role_references_are_checked(tmp_path: Path) -> None:
    site = write(tmp_path, {"site.yml": PLAY + (
        "  tasks:\n"
        "    - block:\n"
        "        - import_role: {name: one}\n"
        "      rescue:\n"
        "        - include_role:\n"
        "            name: two\n"
        "    - include_role:\n"
        "        name: \"{{ templated }}\"\n")})
    assert rules(validate_file(site)) == [("missing-role", "site.yml", 5),
                                          ("missing-role", "site.yml", 8)]


def test_role_task_and_handler_files_are_checked_in_place(tmp_path: Path) -> None:
    site = write(tmp_path, {
        "site.yml": PLAY + "  roles: [web]\n",
        "roles/web/tasks/main.yml": "- debug: msg=ok\n- comand: x\n",
        "roles/web/handlers/main.yml": "- name: h\n  debug: msg=h\n  regsiter: r\n",
    })
    diags = validate_file(site)  # sorted by file: handlers/ before tasks/
    assert rules(diags) == [("unknown-keyword", "main.yml", 3), ("unknown-module", "main.yml", 2)]
    assert [d.pos.file for d in diags if d.pos] == [
        str(tmp_path / "roles/web/handlers/main.yml"), str(tmp_path / "roles/web/tasks/main.yml")]


def test_tasks_from_file_is_checked_not_main(tmp_path: Path) -> None:
    site = write(tmp_path, {
        "site.yml": PLAY + "  tasks:\n    - import_role:\n        name: web\n"
                           "        tasks_from: setup\n",
        "roles/web/tasks/main.yml": "- comand: not checked here\n",
        "roles/web/tasks/setup.yml": "- debug:\n    msgg: x\n",
    })
    assert rules(validate_file(site)) == [("module-args", "setup.yml", 2)]


def test_defaults_and_vars_must_be_mappings(tmp_path: Path) -> None:
    site = write(tmp_path, {
        "site.yml": PLAY + "  roles: [web]\n",
        "roles/web/tasks/main.yml": "- debug: msg=x\n",
        "roles/web/defaults/main.yml": "- a\n",
        "roles/web/vars/main.yml": "a: 1\n",
    })
    (diag,) = validate_file(site)
    assert diag.rule == "schema"
    assert "defaults file must be a mapping" in diag.message


def test_meta_dependencies_are_followed_without_looping(tmp_path: Path) -> None:
    site = write(tmp_path, {
        "site.yml": PLAY + "  roles: [a]\n",
        "roles/a/meta/main.yml": "dependencies: [b]\n",
        "roles/b/meta/main.yml": "dependencies:\n  - a\n  - role: c\n",
        "roles/a/tasks/main.yml": "- debug: msg=a\n",
        "roles/b/tasks/main.yml": "- debug: msg=b\n",
    })
    (diag,) = validate_file(site)
    assert diag.rule == "missing-role"
    assert "'c'" in diag.message
    assert diag.pos is not None
    assert diag.pos.file.endswith("roles/b/meta/main.yml")
    assert diag.pos.line == 3


def test_meta_must_be_a_mapping_with_a_list(tmp_path: Path) -> None:
    site = write(tmp_path, {
        "site.yml": PLAY + "  roles: [a]\n",
        "roles/a/meta/main.yml": "dependencies: b\n",
    })
    (diag,) = validate_file(site)
    assert diag.rule == "schema"
    assert "`dependencies` must be a list" in diag.message


def test_notify_knows_role_handlers_topics_and_prefixed_names(tmp_path: Path) -> None:
    site = write(tmp_path, {
        "site.yml": PLAY + (
            "  roles: [web]\n  tasks:\n"
            "    - command: echo\n      notify: [restart, topic, 'web : restart']\n"
            "    - command: echo\n      notify: restrat\n"),
        "roles/web/tasks/main.yml": "- command: echo\n  notify: restart\n",
        "roles/web/handlers/main.yml": "- name: restart\n  debug: msg=r\n"
                                       "- name: other\n  debug: msg=o\n  listen: topic\n",
    })
    (diag,) = validate_file(site)
    assert diag.rule == "unknown-handler"
    assert "'restrat'" in diag.message
    assert diag.hint == "did you mean `restart`?"


def test_role_tasks_may_notify_play_handlers(tmp_path: Path) -> None:
    site = write(tmp_path, {
        "site.yml": PLAY + "  roles: [web]\n  handlers:\n    - name: play h\n      debug:\n",
        "roles/web/tasks/main.yml": "- command: echo\n  notify: play h\n"
                                    "- command: echo\n  notify: nobody\n",
    })
    (diag,) = validate_file(site)
    assert diag.rule == "unknown-handler"
    assert diag.pos is not None
    assert diag.pos.file.endswith("roles/web/tasks/main.yml")
    assert diag.pos.line == 4


def test_templated_role_name_turns_the_notify_check_off(tmp_path: Path) -> None:
    site = write(tmp_path, {"site.yml": PLAY + (
        "  tasks:\n    - include_role:\n        name: \"{{ which }}\"\n"
        "    - command: echo\n      notify: maybe in that role\n")})
    assert validate_file(site) == []


def test_role_library_modules_are_known(tmp_path: Path) -> None:
    site = write(tmp_path, {
        "site.yml": PLAY + "  roles: [web]\n",
        "roles/web/tasks/main.yml": "- probe: {}\n- prob: {}\n",
        "roles/web/library/probe.py": "print('{}')\n",
    })
    assert rules(validate_file(site)) == [("unknown-module", "main.yml", 2)]


def test_role_used_from_an_imported_task_file(tmp_path: Path) -> None:
    site = write(tmp_path, {
        "site.yml": PLAY + "  tasks:\n    - import_tasks: more.yml\n",
        "more.yml": "- include_role:\n    name: nowhere\n",
    })
    (diag,) = validate_file(site)
    assert diag.rule == "missing-role"
    assert diag.pos is not None
    assert diag.pos.file.endswith("more.yml")
    assert diag.pos.line == 2


def test_a_role_used_twice_is_reported_once(tmp_path: Path) -> None:
    site = write(tmp_path, {
        "site.yml": PLAY + "  roles: [web, web]\n  tasks:\n    - import_role: {name: web}\n",
        "roles/web/tasks/main.yml": "- comand: x\n",
    })
    assert rules(validate_file(site)) == [("unknown-module", "main.yml", 1)]
