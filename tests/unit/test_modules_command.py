"""command and shell modules, run standalone as a host would run them (real processes)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MODULES = Path(__file__).parents[2] / "modules"
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
DELTA = re.compile(r"\d+:\d\d:\d\d\.\d{6}")
RESULT_KEYS = {"changed", "cmd", "rc", "stdout", "stderr", "stdout_lines", "stderr_lines",
               "start", "end", "delta", "msg", "invocation"}


def run(module: str, args: dict[str, Any], cwd: Path | None = None) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(MODULES / f"{module}.py")], cwd=cwd,
                          input=json.dumps(args).encode(), capture_output=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_echo_result_has_ansible_fields() -> None:
    result = run("command", {"_raw_params": "echo hello"})
    assert set(result) == RESULT_KEYS
    assert result["cmd"] == ["echo", "hello"]
    assert (result["rc"], result["stdout"], result["stdout_lines"]) == (0, "hello", ["hello"])
    assert (result["stderr"], result["stderr_lines"], result["msg"]) == ("", [], "")
    assert result["changed"] is True
    assert TIME.fullmatch(result["start"])
    assert TIME.fullmatch(result["end"])
    assert DELTA.fullmatch(result["delta"])


def test_invocation_lists_every_parameter_without_internal_keys() -> None:
    result = run("command", {"cmd": "true", "_ansible_check_mode": False,
                             "_ansible_module_name": "command"})
    args = result["invocation"]["module_args"]
    assert args["cmd"] == "true"
    assert args["strip_empty_ends"] is True
    assert args["_uses_shell"] is False
    assert not any(key.startswith("_ansible") for key in args)


def test_non_zero_rc_fails() -> None:
    result = run("command", {"cmd": "ls /nonexistent-miniplay"})
    assert result["failed"] is True
    assert result["msg"] == "non-zero return code"
    assert result["rc"] == 2
    assert result["changed"] is True
    assert "nonexistent-miniplay" in result["stderr"]


def test_missing_program() -> None:
    result = run("command", {"_raw_params": "nosuchcmd arg"})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == "Error executing command."
    assert result["exception"] == "[Errno 2] No such file or directory: b'nosuchcmd'"
    assert (result["rc"], result["cmd"]) == (2, "nosuchcmd arg")
    assert "start" not in result


def test_no_shell_for_command_but_shell_for_shell() -> None:
    assert run("command", {"cmd": "echo $((1+1)) | cat"})["stdout"] == "$((1+1)) | cat"
    shell = run("shell", {"_raw_params": "echo $((1+1)) | cat"})
    assert (shell["stdout"], shell["cmd"]) == ("2", "echo $((1+1)) | cat")
    assert shell["invocation"]["module_args"]["_uses_shell"] is True


def test_shell_executable() -> None:
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    result = run("shell", {"cmd": "echo $BASH_VERSION", "executable": shutil.which("bash")})
    assert result["stdout"]


def test_argv_keeps_spaces_and_expands_home() -> None:
    result = run("command", {"argv": ["echo", "a  b", "~"]})
    assert result["cmd"] == ["echo", "a  b", "~"]
    assert result["stdout"] == f"a  b {Path.home()}"


def test_creates_and_removes_skip(tmp_path: Path) -> None:
    present = tmp_path / "here"
    present.touch()
    created = run("command", {"cmd": "echo hi", "creates": str(present)})
    assert created["changed"] is False
    assert created["msg"] == f"Did not run command since '{present}' exists"
    assert created["stdout"] == f"skipped, since {present} exists"
    assert (created["rc"], created["start"], created["delta"]) == (0, None, None)
    removed = run("command", {"cmd": "echo hi", "removes": str(tmp_path / "gone*")})
    assert removed["msg"] == f"Did not run command since '{tmp_path / 'gone*'}' does not exist"


def test_check_mode() -> None:
    result = run("command", {"cmd": "echo hi", "_ansible_check_mode": True})
    assert result["skipped"] is True
    assert result["changed"] is False
    assert result["msg"] == "Command would have run if not in check mode"
    assert (result["rc"], result["start"], result["end"], result["delta"]) == (0, None, None, None)
    with_creates = run("command", {"cmd": "echo", "creates": "/nonexistent-x",
                                   "_ansible_check_mode": True})
    assert with_creates["changed"] is True
    assert "skipped" not in with_creates
    would_not = run("command", {"cmd": "echo", "creates": "/", "_ansible_check_mode": True})
    assert would_not["msg"] == "Would not run command since '/' exists"


def test_stdin_and_newline() -> None:
    assert run("command", {"cmd": "cat", "stdin": "xx"})["stdout"] == "xx"
    raw = run("command", {"argv": ["od", "-c"], "stdin": "x", "stdin_add_newline": False,
                          "strip_empty_ends": False})
    assert "\\n" not in raw["stdout"]


def test_strip_empty_ends() -> None:
    kept = run("command", {"argv": ["printf", "\n\nx\n\n"], "strip_empty_ends": False})
    assert kept["stdout"] == "\n\nx\n\n"
    assert kept["stdout_lines"] == ["", "", "x", ""]
    assert run("command", {"argv": ["printf", "x\r\n\n"]})["stdout"] == "x"


def test_chdir(tmp_path: Path) -> None:
    assert run("command", {"cmd": "pwd", "chdir": str(tmp_path)})["stdout"] == str(tmp_path)
    failed = run("command", {"cmd": "pwd", "chdir": str(tmp_path / "no")})
    assert failed["msg"] == "Unable to change directory before execution."
    assert failed["rc"] is None


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        ({}, "one of the following is required: _raw_params, cmd, argv"),
        ({"cmd": "a", "argv": ["b"]}, "parameters are mutually exclusive: _raw_params|cmd|argv"),
        ({"cmd": "a", "bogus": 1}, "Unsupported parameters for (command) module: bogus."),
        ({"cmd": "a", "strip_empty_ends": "maybe"}, "argument 'strip_empty_ends' is of type"),
    ],
)
def test_bad_arguments(args: dict[str, Any], msg: str) -> None:
    result = run("command", args)
    assert result["failed"] is True
    assert result["msg"].startswith(msg)


def test_string_booleans_are_accepted() -> None:
    kept = run("command", {"argv": ["printf", "x\n"], "strip_empty_ends": "no"})
    assert kept["stdout"] == "x\n"
