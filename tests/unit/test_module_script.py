"""script and pause (controller actions) through real runs, and the tempfile module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

MODULES = Path(__file__).parents[2] / "modules"


def play(tmp_path: Path, tasks: str, *flags: str) -> tuple[int, list[dict[str, Any]]]:
    book = tmp_path / "site.yml"
    book.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                    + textwrap.indent(textwrap.dedent(tasks), "    "))
    done = subprocess.run([sys.executable, "-m", "miniplay", str(book), "-o", "json", *flags],
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"},
                          check=False, timeout=120, stdin=subprocess.DEVNULL)
    document = json.loads(done.stdout[done.stdout.index("{"):])
    return done.returncode, [t["hosts"]["localhost"] for t in document["plays"][0]["tasks"]]


def scripts(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    script = tmp_path / "files" / "s.sh"
    script.write_text('#!/bin/sh\necho "args: $*"\necho err >&2\nexit "${CODE:-0}"\n')


def test_script_runs_with_arguments(tmp_path: Path) -> None:
    scripts(tmp_path)
    code, results = play(tmp_path, """\
        - script: s.sh a "b c"
        - script: s.sh
          environment: {CODE: "4"}
          ignore_errors: true
    """)
    assert code == 0
    assert (results[0]["stdout"], results[0]["stderr"], results[0]["rc"]) == \
        ("args: a b c\n", "err\n", 0)
    assert results[0]["changed"] is True
    assert (results[1]["rc"], results[1]["msg"]) == (4, "non-zero return code")


def test_script_creates_removes_and_check_mode(tmp_path: Path) -> None:
    scripts(tmp_path)
    _, results = play(tmp_path, f"""\
        - script: s.sh
          args: {{creates: {tmp_path}}}
        - script: s.sh
          args: {{removes: {tmp_path}/none}}
        - script: s.sh
    """, "-C")
    assert results[0]["msg"] == f"{tmp_path} exists, matching creates option"
    assert results[1]["msg"] == f"{tmp_path}/none does not exist, matching removes option"
    assert results[2]["msg"] == "Check mode is not supported for this task."
    assert all(r["skipped"] for r in results)


def test_script_missing(tmp_path: Path) -> None:
    _, results = play(tmp_path, "- script: nothing.sh\n  ignore_errors: true\n")
    assert results[0]["msg"] == "Could not find or access 'nothing.sh' on the Ansible Controller."


def test_pause_waits_without_blocking_other_hosts(tmp_path: Path) -> None:
    start = time.monotonic()
    _, results = play(tmp_path, "- pause: {seconds: 1}\n")
    assert time.monotonic() - start >= 1
    assert results[0]["stdout"].startswith("Paused for 1.0")
    assert (results[0]["changed"], results[0]["delta"], results[0]["user_input"]) == (False, 1, "")


def test_pause_prompt_without_a_terminal_is_refused(tmp_path: Path) -> None:
    env_book = tmp_path / "p.yml"
    env_book.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                        "    - pause: {prompt: 'go'}\n")
    done = subprocess.run([sys.executable, "-m", "miniplay", str(env_book), "-o", "json"],
                          capture_output=True, text=True, check=False, timeout=60,
                          stdin=subprocess.DEVNULL, start_new_session=True)
    result = json.loads(done.stdout[done.stdout.index("{"):])["plays"][0]["tasks"][0]
    assert result["hosts"]["localhost"]["msg"] == \
        "pause needs a terminal to wait for input; give seconds or minutes"


def run_tempfile(args: dict[str, Any], check: bool = False) -> dict[str, Any]:
    payload = dict(args, _ansible_check_mode=check)
    proc = subprocess.run([sys.executable, str(MODULES / "tempfile.py")],
                          input=json.dumps(payload).encode(), capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_tempfile(tmp_path: Path) -> None:
    made = run_tempfile({"path": str(tmp_path), "suffix": ".x"})
    assert made["changed"] is True
    assert Path(made["path"]).is_file()
    assert Path(made["path"]).name.startswith("ansible.")
    folder = run_tempfile({"path": str(tmp_path), "state": "directory", "prefix": "b."})
    assert (folder["state"], folder["mode"]) == ("directory", "0700")
    bad = run_tempfile({"prefix": "a/b"})
    assert bad["msg"] == "prefix must be a valid file name component, got 'a/b'"
    skipped = run_tempfile({}, check=True)
    assert skipped["skipped"] is True
    missing = run_tempfile({"path": str(tmp_path / "none")})
    assert missing["failed"] is True
