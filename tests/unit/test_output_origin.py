"""The `[ERROR]: Task failed` block before a failed result, as ansible-core 2.19 prints it."""

from __future__ import annotations

from pathlib import Path

from miniplay.executor import outcome
from miniplay.output import origin

PLAY = """- hosts: all
  gather_facts: false
  tasks:
    - name: cmd fails
      command: /bin/false
    - name: undefined in when
      debug: msg=x
      when: nope2 == 1
"""


def write(tmp_path: Path) -> Path:
    path = tmp_path / "site.yml"
    path.write_text(PLAY)
    return path


def test_module_failure_points_at_the_task(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = {"failed": True, "msg": "non-zero return code", origin.ERROR_KIND: "module",
              origin.TASK_AT: f"{path}:4:7"}
    assert origin.error_block(result) == [
        "[ERROR]: Task failed: Module failed: non-zero return code",
        f"Origin: {path}:4:7",
        "",
        "2   gather_facts: false",
        "3   tasks:",
        "4     - name: cmd fails",
        "        ^ column 7",
        "",
    ]


def test_action_failure_without_a_message(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = {"failed": True, "msg": "", origin.TASK_AT: f"{path}:1:3"}
    block = origin.error_block(result)
    assert block[0] == "[ERROR]: Task failed: Action failed."
    assert block[1:] == [f"Origin: {path}:1:3", "", "1 - hosts: all", "    ^ column 3", ""]


def test_raised_error_shows_where_it_is_caused(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = {"failed": True, "msg": "Task failed: 'nope2' is undefined",
              origin.ERROR_KIND: "task", origin.TASK_AT: f"{path}:6:7",
              origin.ERROR_AT: f"{path}:8:13"}
    block = origin.error_block(result)
    assert block[:4] == ["[ERROR]: Task failed: 'nope2' is undefined", "", "Task failed.",
                         f"Origin: {path}:6:7"]
    caused = block.index("<<< caused by >>>")
    assert block[caused + 2:] == [
        "'nope2' is undefined", f"Origin: {path}:8:13", "",
        "6     - name: undefined in when", "7       debug: msg=x", "8       when: nope2 == 1",
        "              ^ column 13", ""]


def test_nothing_without_a_task_position_and_no_source_when_unreadable(tmp_path: Path) -> None:
    assert origin.error_block({"failed": True, "msg": "x"}) == []
    gone = f"{tmp_path}/gone.yml:3:1"
    assert origin.error_block({"failed": True, "msg": "x", origin.TASK_AT: gone}) == [
        "[ERROR]: Task failed: Action failed: x", f"Origin: {gone}", ""]


def test_given_summary_wins(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = {"failed": True, "msg": "'x' is undefined", origin.TASK_AT: f"{path}:4:7",
              origin.ERROR_SUMMARY: "Task failed: Finalization of task args for 'ansible."
                                    "builtin.command' failed: Error while resolving value "
                                    "for 'cmd': 'x' is undefined"}
    assert origin.error_block(result)[0].startswith("[ERROR]: Task failed: Finalization")


def test_executor_and_output_name_the_same_keys() -> None:
    assert {outcome.ERROR_KIND, outcome.TASK_AT, outcome.ERROR_AT, outcome.ERROR_DETAIL,
            outcome.ERROR_SUMMARY} == origin.INTERNAL_KEYS
    assert origin.INTERNAL_KEYS <= outcome.KEPT_INTERNAL
