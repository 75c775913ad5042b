"""The parser builds the frozen model: actions, arguments, inheritance, imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from miniplay.errors import PlaybookError
from miniplay.keywords import parse_args, split_kv
from miniplay.model import Block, Task, iter_tasks
from miniplay.parser import parse_playbook


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_free_form_and_kv_arguments() -> None:
    assert parse_args("command", "chdir=/tmp echo 'a b'") == {
        "chdir": "/tmp", "_raw_params": "echo 'a b'"}
    assert parse_args("debug", "msg='hello world' verbosity=1") == {
        "msg": "hello world", "verbosity": "1"}
    assert parse_args("async_status", "jid={{ job.ansible_job_id }}") == {
        "jid": "{{ job.ansible_job_id }}"}
    assert split_kv("a={{ x | default('y z') }} b=2") == ["a={{ x | default('y z') }}", "b=2"]


def test_kv_rejects_free_text_for_non_free_form_modules() -> None:
    with pytest.raises(PlaybookError, match="does not take free-form"):
        parse_args("debug", "hello")


def test_fqcn_with_loop_and_block_inheritance(tmp_path: Path) -> None:
    path = write(tmp_path, "site.yml", """
- hosts: all
  tags: [play]
  tasks:
    - block:
        - ansible.builtin.command: echo {{ item }}
          with_items: [1, 2]
          when: b
          tags: inner
          ignore_errors: false
      when: a
      tags: outer
      vars: {v: 1}
      ignore_errors: true
      rescue:
        - debug: msg=r
""")
    play = parse_playbook(path).plays[0]
    block = play.tasks[0]
    assert isinstance(block, Block)
    task = block.block[0]
    assert isinstance(task, Task)
    assert task.action == "command"
    assert task.loop is not None
    assert task.loop_kind == "with_items"
    assert [c.value for c in task.when] == ["a", "b"]
    assert task.tags == {"play", "outer", "inner"}
    assert task.vars == {"v": 1}
    assert task.ignore_errors is not None
    assert task.ignore_errors.value is False
    rescue = block.rescue[0]
    assert isinstance(rescue, Task)
    assert rescue.ignore_errors is not None
    assert rescue.ignore_errors.value is True


def test_import_tasks_and_playbook_are_inlined(tmp_path: Path) -> None:
    write(tmp_path, "tasks/t.yml", "- debug: msg=imported\n")
    write(tmp_path, "other.yml", "- hosts: db\n  tasks:\n    - ping:\n")
    path = write(tmp_path, "site.yml", """
- hosts: all
  tasks:
    - import_tasks: tasks/t.yml
      when: x
- import_playbook: other.yml
""")
    book = parse_playbook(path)
    assert len(book.plays) == 2
    imported = iter_tasks(book.plays[0].tasks)[0]
    assert imported.args == {"msg": "imported"}
    assert [c.value for c in imported.when] == ["x"]
    assert imported.pos.file.endswith("tasks/t.yml")
    assert book.plays[1].hosts.value == "db"


def test_import_cycle_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yml", "- import_playbook: a.yml\n")
    with pytest.raises(PlaybookError, match="import cycle"):
        parse_playbook(path)


def test_local_action_delegates_to_localhost(tmp_path: Path) -> None:
    path = write(tmp_path, "site.yml",
                 "- hosts: all\n  tasks:\n    - local_action: command echo hi\n")
    task = iter_tasks(parse_playbook(path).plays[0].tasks)[0]
    assert task.action == "command"
    assert task.args == {"_raw_params": "echo hi"}
    assert task.delegate_to is not None
    assert task.delegate_to.value == "localhost"


def test_two_actions_name_both(tmp_path: Path) -> None:
    path = write(tmp_path, "site.yml",
                 "- hosts: all\n  tasks:\n    - debug: msg=x\n      bogus_kw: 1\n")
    with pytest.raises(PlaybookError, match="conflicting action statements: debug, bogus_kw"):
        parse_playbook(path)


def test_arguments_ansible_templates_at_run_time(tmp_path: Path) -> None:
    from miniplay.parser_args import VARIABLE_PARAMS

    path = write(tmp_path, "site.yml", """
- hosts: all
  tasks:
    - set_fact: "{{ key }}=blue"
    - assert: "{{ checks }}"
    - action: "{{ packager }} msg=hi"
    - debug:
      args: "{{ more }}"
    - action:
        module: ansible.legacy.assert
        args:
          that: 1 == 1
""")
    tasks = [t for t in iter_tasks(parse_playbook(path).plays[0].tasks) if isinstance(t, Task)]
    assert [(t.action, dict(t.args)) for t in tasks] == [
        ("set_fact", {"{{ key }}": "blue"}),
        ("assert", {VARIABLE_PARAMS: "{{ checks }}"}),
        ("{{ packager }}", {"msg": "hi"}),
        ("debug", {VARIABLE_PARAMS: "{{ more }}"}),
        ("assert", {"that": "1 == 1"}),
    ]


def test_static_imports_render_known_names(tmp_path: Path) -> None:
    write(tmp_path, "roles/web/tasks/main.yml", "- import_tasks: \"{{ role_path }}/x.yml\"\n")
    write(tmp_path, "roles/web/x.yml", "- debug: msg=from-x\n")
    write(tmp_path, "inner.yml", "- hosts: all\n  tasks:\n    - debug: msg=inner\n")
    path = write(tmp_path, "site.yml", """
- hosts: all
  roles: [web]
- ansible.legacy.import_playbook: "{{ 'inner' }}.yml"
""")
    plays = parse_playbook(path).plays
    assert [t.args.get("msg") for t in iter_tasks(plays[0].role_tasks)] == ["from-x"]
    assert [t.args.get("msg") for t in iter_tasks(plays[1].tasks)] == ["inner"]


def test_a_task_ansible_fails_at_run_time_fails_there(tmp_path: Path) -> None:
    path = write(tmp_path, "site.yml", """
- hosts: all
  tasks:
    - name: bad keyword value
      debug: msg=x
      diff: yes.
      ignore_errors: true
    - debug: msg=fine
""")
    first, second = iter_tasks(parse_playbook(path).plays[0].tasks)
    assert (first.action, first.name) == ("fail", "bad keyword value")
    assert "Error processing keyword 'diff'" in first.args["msg"]
    assert first.ignore_errors is not None
    assert (second.action, dict(second.args)) == ("debug", {"msg": "fine"})


def test_import_playbook_vars_tags_and_when_reach_the_plays(tmp_path: Path) -> None:
    write(tmp_path, "inner.yml", "- hosts: all\n  vars: {w: play}\n  tasks:\n"
          "    - debug: msg=x\n  handlers:\n    - name: h\n      debug: msg=h\n")
    path = write(tmp_path, "site.yml", "- import_playbook: inner.yml\n  vars: {w: import}\n"
                 "  tags: [t]\n  when: go\n")
    play = parse_playbook(path).plays[0]
    (task,) = iter_tasks(play.tasks)
    assert play.vars == {"w": "import"}
    assert "t" in play.tags
    assert "t" in task.tags
    assert [c.value for c in task.when] == ["go"]
    assert [h.when for h in play.handlers] == [()]
    assert play.gather_facts is not None
    assert play.gather_facts.value == "{{ (go) }}"
