"""copy/template/fetch through a real miniplay run, and stat/slurp/find/copy standalone."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

MODULES = Path(__file__).parents[2] / "modules"


def run(module: str, args: dict[str, Any], tmp: Path, *, check: bool = False,
        diff: bool = False) -> dict[str, Any]:
    payload = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    proc = subprocess.run([sys.executable, str(MODULES / f"{module}.py")],
                          input=json.dumps(payload).encode(), capture_output=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout.decode().replace(str(tmp), "<tmp>"))
    result.pop("invocation")
    return result


def play(tmp_path: Path, tasks: str, *flags: str) -> list[dict[str, Any]]:
    """Run `tasks` on localhost with miniplay -o json; each task's localhost result."""
    book = tmp_path / "site.yml"
    book.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n" + tasks)
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "miniplay", str(book), "-o", "json", *flags],
                          capture_output=True, text=True, env=env, check=False, timeout=120)
    document = json.loads(done.stdout[done.stdout.index("{"):])
    return [task["hosts"]["localhost"] for task in document["plays"][0]["tasks"]]


def content(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_copy_module_writes_then_is_idempotent(tmp_path: Path) -> None:
    args = {"dest": str(tmp_path / "f"), "_content": content(b"hi\n"), "mode": "0600"}
    first = run("copy", args, tmp_path)
    assert first["changed"] is True
    assert first["checksum"] == hashlib.sha1(b"hi\n").hexdigest()
    assert (first["mode"], first["size"]) == ("0600", 3)
    assert run("copy", args, tmp_path)["changed"] is False


def test_copy_module_check_mode_and_diff(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    (tmp_path / "f").write_text("old\n")
    result = run("copy", {"dest": str(tmp_path / "f"), "_content": content(b"new\n")},
                 tmp_path, check=True, diff=True)
    assert result["changed"] is True
    assert (tmp_path / "f").read_text() == "old\n"
    assert result["diff"] == snapshot


def test_copy_module_backup(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("old\n")
    result = run("copy", {"dest": str(tmp_path / "f"), "_content": content(b"new\n"),
                          "backup": True}, tmp_path)
    backup = Path(result["backup_file"].replace("<tmp>", str(tmp_path)))
    assert backup.read_text() == "old\n"


def test_copy_module_errors(tmp_path: Path) -> None:
    missing_dir = run("copy", {"dest": str(tmp_path / "no" / "f"), "_content": content(b"x")},
                      tmp_path)
    assert missing_dir["msg"] == "Destination directory <tmp>/no does not exist"
    bad_mode = run("copy", {"dest": str(tmp_path / "f"), "_content": content(b"x"),
                            "mode": "x=y"}, tmp_path)
    assert bad_mode["msg"] == "mode must be in octal or symbolic form"
    remote = run("copy", {"dest": str(tmp_path / "g"), "src": str(tmp_path / "none"),
                          "remote_src": True}, tmp_path)
    assert remote["msg"] == "Source <tmp>/none not found"


def test_copy_action_sends_files_and_trees(tmp_path: Path) -> None:
    (tmp_path / "files" / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "files" / "tree" / "sub" / "a.txt").write_text("a\n")
    (tmp_path / "files" / "one.txt").write_text("1\n")
    out = tmp_path / "out"
    tasks = (f"    - file: {{path: {out}, state: directory}}\n"
             f"    - copy: {{src: one.txt, dest: {out}/}}\n"
             f"    - copy: {{src: tree, dest: {out}}}\n"
             f"    - copy: {{src: tree, dest: {out}}}\n"
             f"    - copy: {{src: missing.txt, dest: {out}}}\n")
    results = play(tmp_path, tasks)
    assert (out / "one.txt").read_text() == "1\n"
    assert (out / "tree" / "sub" / "a.txt").read_text() == "a\n"
    assert [r["changed"] for r in results[1:4]] == [True, True, False]
    assert "Could not find or access 'missing.txt'" in results[4]["msg"]


def test_template_and_fetch_actions(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.j2").write_text("{% if true %}\nx={{ 1 + 1 }}\n{% endif %}\n")
    dest = tmp_path / "rendered"
    tasks = (f"    - template: {{src: t.j2, dest: {dest}}}\n"
             f"    - template: {{src: t.j2, dest: {dest}}}\n"
             f"    - fetch: {{src: {dest}, dest: {tmp_path}/got}}\n"
             f"    - fetch: {{src: {dest}, dest: {tmp_path}/got}}\n")
    results = play(tmp_path, tasks)
    assert dest.read_text() == "x=2\n"
    assert [r["changed"] for r in results] == [True, False, True, False]
    assert (tmp_path / "got" / "localhost" / str(dest).lstrip("/")).read_text() == "x=2\n"


def test_check_mode_copy_changes_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "c.txt"
    results = play(tmp_path, f"    - copy: {{content: hi, dest: {dest}}}\n", "-C")
    assert results[0]["changed"] is True
    assert not dest.exists()


def test_stat_module(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("abc")
    (tmp_path / "f").chmod(0o640)
    info = run("stat", {"path": str(tmp_path / "f")}, tmp_path)["stat"]
    assert (info["exists"], info["isreg"], info["mode"], info["size"]) == (True, True, "0640", 3)
    assert info["checksum"] == hashlib.sha1(b"abc").hexdigest()
    sha = run("stat", {"path": str(tmp_path / "f"), "checksum_algorithm": "sha256"}, tmp_path)
    assert sha["stat"]["checksum"] == hashlib.sha256(b"abc").hexdigest()
    assert run("stat", {"path": str(tmp_path / "no")}, tmp_path)["stat"] == {"exists": False}
    bad = run("stat", {"path": "x", "checksum_algorithm": "crc"}, tmp_path)
    assert bad["msg"].startswith("value of checksum_algorithm must be one of")


def test_slurp_module(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"\x00bin")
    result = run("slurp", {"src": str(tmp_path / "f")}, tmp_path)
    assert base64.b64decode(result["content"]) == b"\x00bin"
    assert run("slurp", {"path": str(tmp_path / "x")}, tmp_path)["msg"] == \
        "File not found: <tmp>/x"
    assert run("slurp", {"src": str(tmp_path)}, tmp_path)["msg"] == \
        "Source is a directory and must be a file: <tmp>"


@pytest.mark.parametrize(("args", "names"), [
    ({"patterns": "*.txt"}, ["a.txt"]),
    ({"patterns": "*.txt", "recurse": True}, ["a.txt", "b.txt"]),
    ({"file_type": "directory"}, ["sub"]),
    ({"patterns": ".*\\.log", "use_regex": True, "hidden": True, "recurse": True}, [".c.log"]),
    ({"size": "2k", "recurse": True}, ["big.bin"]),
    ({"contains": "^needle", "recurse": True}, ["b.txt"]),
])
def test_find_module(tmp_path: Path, args: dict[str, Any], names: list[str]) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "sub" / "b.txt").write_text("needle\n")
    (tmp_path / ".c.log").write_text("x")
    (tmp_path / "big.bin").write_bytes(b"x" * 4096)
    result = run("find", {"paths": str(tmp_path), **args}, tmp_path)
    assert sorted(Path(f["path"]).name for f in result["files"]) == names
    assert result["matched"] == len(names)


def test_find_reports_missing_paths(tmp_path: Path) -> None:
    result = run("find", {"paths": [str(tmp_path / "none")]}, tmp_path)
    assert result["msg"] == "Not all paths examined, check warnings for details"
    assert result["skipped_paths"] == {"<tmp>/none": "'<tmp>/none' is not a directory"}
