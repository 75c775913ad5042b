"""lineinfile, blockinfile and replace run standalone: edits, idempotence, check mode, diffs."""

from __future__ import annotations

import json
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


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    path = tmp_path / "app.conf"
    path.write_text("# app\nport=80\n")
    return path


def test_lineinfile_replaces_then_is_idempotent(conf: Path, tmp_path: Path) -> None:
    args = {"path": str(conf), "regexp": "^port=", "line": "port=8080"}
    first = run("lineinfile", args, tmp_path)
    assert (first["changed"], first["msg"]) == (True, "line replaced")
    assert conf.read_text() == "# app\nport=8080\n"
    assert run("lineinfile", args, tmp_path)["changed"] is False


@pytest.mark.parametrize(("extra", "expected"), [
    ({"insertafter": "^# app"}, "# app\nnew\nport=80\n"),
    ({"insertbefore": "^port"}, "# app\nnew\nport=80\n"),
    ({"insertbefore": "BOF"}, "new\n# app\nport=80\n"),
    ({}, "# app\nport=80\nnew\n"),
])
def test_lineinfile_insert_positions(conf: Path, tmp_path: Path, extra: dict[str, str],
                                     expected: str) -> None:
    args = {"path": str(conf), "line": "new", **extra}
    assert run("lineinfile", args, tmp_path)["msg"] == "line added"
    assert conf.read_text() == expected
    assert run("lineinfile", args, tmp_path)["changed"] is False


def test_lineinfile_backrefs_and_absent(conf: Path, tmp_path: Path) -> None:
    run("lineinfile", {"path": str(conf), "regexp": r"^port=(\d+)", "line": r"port=\g<1>1",
                       "backrefs": True}, tmp_path)
    assert conf.read_text() == "# app\nport=801\n"
    gone = run("lineinfile", {"path": str(conf), "regexp": "^port", "state": "absent"},
               tmp_path)
    assert (gone["found"], gone["msg"]) == (1, "1 line(s) removed")


def test_lineinfile_check_mode_and_diff(conf: Path, tmp_path: Path,
                                        snapshot: SnapshotAssertion) -> None:
    result = run("lineinfile", {"path": str(conf), "regexp": "^port=", "line": "port=1"},
                 tmp_path, check=True, diff=True)
    assert result["changed"] is True
    assert conf.read_text() == "# app\nport=80\n"
    assert result["diff"] == snapshot


def test_lineinfile_errors(tmp_path: Path) -> None:
    missing = run("lineinfile", {"path": str(tmp_path / "nope"), "line": "x"}, tmp_path)
    assert (missing["msg"], missing["rc"]) == ("Destination <tmp>/nope does not exist !", 257)
    directory = run("lineinfile", {"path": str(tmp_path), "line": "x"}, tmp_path)
    assert directory["msg"] == "Path <tmp> is a directory !"
    backrefs = run("lineinfile", {"path": str(tmp_path / "f"), "line": "x", "backrefs": True},
                   tmp_path)
    assert backrefs["msg"] == "regexp is required with backrefs=true"
    bad_mode = run("lineinfile", {"path": str(tmp_path / "f"), "line": "x", "create": True,
                                  "mode": "u=zz"}, tmp_path)
    assert bad_mode["msg"] == "mode must be in octal or symbolic form"


def test_lineinfile_unwritable_path(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    result = run("lineinfile", {"path": str(tmp_path / "plain" / "f"), "line": "x",
                                "create": True}, tmp_path)
    assert result["failed"] is True
    assert "Not a directory" in result["msg"] or "File exists" in result["msg"]


def test_blockinfile_insert_update_remove(conf: Path, tmp_path: Path,
                                         snapshot: SnapshotAssertion) -> None:
    args = {"path": str(conf), "block": "a\nb"}
    first = run("blockinfile", args, tmp_path, diff=True)
    assert first["msg"] == "Block inserted"
    assert run("blockinfile", args, tmp_path)["changed"] is False
    assert conf.read_text() == ("# app\nport=80\n# BEGIN ANSIBLE MANAGED BLOCK\na\nb\n"
                                "# END ANSIBLE MANAGED BLOCK\n")
    removed = run("blockinfile", {"path": str(conf), "state": "absent"}, tmp_path)
    assert removed["msg"] == "Block removed"
    assert conf.read_text() == "# app\nport=80\n"
    assert first["diff"] == snapshot


def test_blockinfile_check_mode_and_errors(conf: Path, tmp_path: Path) -> None:
    result = run("blockinfile", {"path": str(conf), "block": "x"}, tmp_path, check=True)
    assert result["changed"] is True
    assert "BEGIN" not in conf.read_text()
    missing = run("blockinfile", {"path": str(tmp_path / "no"), "block": "x"}, tmp_path)
    assert (missing["msg"], missing["rc"]) == ("Path <tmp>/no does not exist !", 257)


def test_replace(conf: Path, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    args = {"path": str(conf), "regexp": r"^port=(\d+)$", "replace": r"port=\g<1>0"}
    first = run("replace", args, tmp_path, diff=True)
    assert (first["changed"], first["msg"]) == (True, "1 replacements made")
    assert conf.read_text() == "# app\nport=800\n"
    unchanged = run("replace", {**args, "regexp": "^nothing$", "replace": "x"}, tmp_path)
    assert unchanged["changed"] is False
    assert first["diff"] == snapshot
    checked = run("replace", {**args, "replace": "x"}, tmp_path, check=True)
    assert checked["changed"] is True
    assert conf.read_text() == "# app\nport=800\n"


def test_replace_errors(tmp_path: Path) -> None:
    missing = run("replace", {"path": str(tmp_path / "x"), "regexp": "a"}, tmp_path)
    assert (missing["msg"], missing["rc"]) == ("Path <tmp>/x does not exist !", 257)
    (tmp_path / "f").write_text("a")
    bad = run("replace", {"path": str(tmp_path / "f"), "regexp": "(a"}, tmp_path)
    assert bad["msg"].startswith("Task failed: Module failed: missing )")
    required = run("replace", {"path": str(tmp_path / "f")}, tmp_path)
    assert required["msg"] == "missing required arguments: regexp"
