"""Module results compared with ansible-core's own modules, run by real ansible-playbook.

Each case runs once under ansible-playbook (``-c local``, one play, results registered
and written out as JSON) and once as miniplay runs the module; the results must match
key for key, apart from timestamps and the keys the executor (not the module) owns.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MODULES = Path(__file__).parents[2] / "modules"
ANSIBLE = Path(sys.executable).parent / "ansible-playbook"
CASES: dict[str, tuple[str, dict[str, Any], bool]] = {
    "echo": ("command", {"_raw_params": "echo hello"}, False),
    "rc": ("command", {"cmd": "ls /nonexistent-miniplay"}, False),
    "missing": ("command", {"_raw_params": "nosuchcmd arg"}, False),
    "creates": ("command", {"cmd": "echo hi", "creates": "/etc"}, False),
    "removes": ("command", {"cmd": "echo hi", "removes": "/nonexistent-x"}, False),
    "check": ("command", {"cmd": "echo hi"}, True),
    "check_creates": ("command", {"cmd": "echo hi", "creates": "/etc"}, True),
    "shell": ("shell", {"_raw_params": "echo hi; echo err >&2"}, False),
    "shell_check": ("shell", {"_raw_params": "echo hi"}, True),
    "argv": ("command", {"argv": ["echo", "a b"]}, False),
    "stdin": ("command", {"cmd": "cat", "stdin": "xx", "stdin_add_newline": False}, False),
    "strip": ("command", {"cmd": "printf '\\n\\nx\\n\\n'", "strip_empty_ends": False}, False),
    "chdir": ("command", {"cmd": "pwd", "chdir": "/nonexistent-dir"}, False),
    "ping": ("ping", {}, False),
    "ping_data": ("ping", {"data": "hi"}, False),
    "ping_crash": ("ping", {"data": "crash"}, False),
}
EXECUTOR_KEYS = {"invocation", "exception", "failed", "stdout_lines", "stderr_lines"}
TIMES = ("start", "end", "delta")


def playbook(out: Path) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for name, (module, args, check) in CASES.items():
        task_args = dict(args)
        if "_raw_params" in task_args:
            task_args["cmd"] = task_args.pop("_raw_params")
        tasks.append({"name": name, module: task_args, "register": name,
                      "check_mode": check, "ignore_errors": True})
    every = "{{ {" + ", ".join(f"'{n}': {n}" for n in CASES) + "} | to_json }}"
    tasks.append({"copy": {"content": every, "dest": str(out)}})
    return [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]


@pytest.fixture(scope="module")
def ansible_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not ANSIBLE.exists() or shutil.which("sh") is None:
        pytest.skip("needs ansible-playbook")
    work = tmp_path_factory.mktemp("ansible")
    book, out = work / "book.yml", work / "out.json"
    book.write_text(json.dumps(playbook(out)))
    subprocess.run(
        [str(ANSIBLE), "-i", "localhost,", "-c", "local", str(book),
         "-e", f"ansible_python_interpreter={sys.executable}"],
        capture_output=True, check=True, timeout=120, cwd=work,
        env={**os.environ, "ANSIBLE_PIPELINING": "1", "ANSIBLE_NOCOLOR": "1"})
    results: dict[str, Any] = json.loads(out.read_text())
    return results


def ours(module: str, args: dict[str, Any], check: bool) -> dict[str, Any]:
    payload = dict(args, _ansible_check_mode=check, _ansible_module_name=module)
    proc = subprocess.run([sys.executable, str(MODULES / f"{module}.py")],
                          input=json.dumps(payload).encode(), capture_output=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def normal(result: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in result.items() if k not in EXECUTOR_KEYS}
    for key in TIMES:
        if kept.get(key) is not None:
            kept[key] = "<time>"
    return kept


@pytest.mark.conformance
@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_same_result_as_ansible(ansible_results: dict[str, Any], case: str) -> None:
    module, args, check = CASES[case]
    theirs = ansible_results[case]
    mine = ours(module, args, check)
    assert normal(mine) == normal(theirs)
    assert mine.get("failed", False) == theirs["failed"]
