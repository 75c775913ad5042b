"""The `file` module run standalone, as the agent runs it: states, modes, check mode, diff."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from miniplay.errors import ModuleError
from miniplay.runner import ModuleFinder

MODULES = Path(__file__).parents[2] / "modules"
FILE_MODULES = ("file", "copy", "lineinfile", "blockinfile", "replace", "get_url")


def run(args: dict[str, Any], tmp: Path, *, check: bool = False,
        diff: bool = False) -> dict[str, Any]:
    payload = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    proc = subprocess.run([sys.executable, str(MODULES / "file.py")],
                          input=json.dumps(payload).encode(), capture_output=True, check=True)
    text = proc.stdout.decode().replace(str(tmp), "<tmp>")
    result: dict[str, Any] = json.loads(text)
    result.pop("invocation")
    return result


@pytest.mark.parametrize("name", FILE_MODULES)
def test_shared_helpers_are_inlined_when_sent(name: str, tmp_path: Path) -> None:
    """What the host receives is one self-contained file: the marked import of
    `_filecommon` is replaced by its text, and it runs where no helper file exists."""
    sent = ModuleFinder([MODULES]).find(name)
    assert sent is not None
    assert b"from _filecommon import" not in sent.source
    assert b"def atomic_write(" in sent.source
    assert sent.source.count(b"from __future__ import") == 1
    alone = tmp_path / f"{name}.py"
    alone.write_bytes(sent.source)
    proc = subprocess.run([sys.executable, "-I", str(alone)], input=b"{}",
                          capture_output=True, check=False, cwd=tmp_path)
    result = json.loads(proc.stdout)
    assert result["failed"] is True
    assert "missing required arguments" in result["msg"]


def test_an_unreadable_helper_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(
        "import json\nfrom _gone import (  # miniplay: inline\n    x,\n)\n")
    with pytest.raises(ModuleError, match=r"mine.py inlines .*_gone.py, which cannot be read"):
        ModuleFinder([tmp_path]).find("mine")


def test_directory_is_created_with_parents_then_unchanged(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    first = run({"path": str(target), "state": "directory", "mode": "0750"}, tmp_path)
    assert first["changed"] is True
    assert (first["state"], first["mode"]) == ("directory", "0750")
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    again = run({"path": str(target), "state": "directory", "mode": "0750"}, tmp_path)
    assert again["changed"] is False


def test_check_mode_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "d"
    result = run({"path": str(target), "state": "directory"}, tmp_path, check=True)
    assert result["changed"] is True
    assert not target.exists()
    (tmp_path / "f").write_text("x")
    gone = run({"path": str(tmp_path / "f"), "state": "absent"}, tmp_path, check=True)
    assert gone["changed"] is True
    assert (tmp_path / "f").exists()


@pytest.mark.parametrize(("mode", "expected"), [
    ("0600", 0o600), (0o640, 0o640), ("u=rw,g=r,o=", 0o640), ("u+x", 0o744), ("a-w", 0o444),
])
def test_modes(tmp_path: Path, mode: Any, expected: int) -> None:
    target = tmp_path / "f"
    target.write_text("x")
    target.chmod(0o644)
    result = run({"path": str(target), "mode": mode}, tmp_path)
    assert stat.S_IMODE(target.stat().st_mode) == expected
    assert result["mode"] == f"0{expected:03o}"
    assert run({"path": str(target), "mode": mode}, tmp_path)["changed"] is False


def test_bad_mode_string_is_a_clear_failure(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    result = run({"path": str(tmp_path / "f"), "mode": "u=banana"}, tmp_path)
    assert result["failed"] is True
    assert result["msg"] == "mode must be in octal or symbolic form"
    assert result["details"] == "bad symbolic permission for mode: u=banana"


def test_state_file_on_a_missing_path_fails(tmp_path: Path) -> None:
    result = run({"path": str(tmp_path / "nope"), "state": "file"}, tmp_path)
    assert result["failed"] is True
    assert result["msg"] == "file (<tmp>/nope) is absent, cannot continue"


def test_unwritable_parent_fails(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    result = run({"path": str(tmp_path / "plain" / "sub"), "state": "directory"}, tmp_path)
    assert result["failed"] is True
    assert result["msg"].startswith("There was an issue creating <tmp>/plain/sub as requested")


def test_links_are_idempotent_and_refuse_files(tmp_path: Path) -> None:
    (tmp_path / "target").write_text("x")
    args = {"src": "target", "dest": str(tmp_path / "link"), "state": "link"}
    assert run(args, tmp_path)["changed"] is True
    assert os.readlink(tmp_path / "link") == "target"
    assert run(args, tmp_path)["changed"] is False
    refused = run({"src": "target", "dest": str(tmp_path / "target"), "state": "link"},
                  tmp_path)
    assert refused["msg"] == "refusing to convert from file to symlink for <tmp>/target"


def test_hard_link_then_unchanged(tmp_path: Path) -> None:
    (tmp_path / "target").write_text("x")
    args = {"src": str(tmp_path / "target"), "dest": str(tmp_path / "hard"), "state": "hard"}
    assert run(args, tmp_path)["changed"] is True
    assert (tmp_path / "hard").stat().st_ino == (tmp_path / "target").stat().st_ino
    assert run(args, tmp_path)["changed"] is False


def test_unknown_argument(tmp_path: Path) -> None:
    result = run({"path": str(tmp_path), "colour": "red"}, tmp_path)
    assert result["msg"].startswith("Unsupported parameters for (file) module: colour.")


def test_diff_output(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "f").write_text("x")
    (tmp_path / "d").chmod(0o755)
    diffs = {
        "mode": run({"path": str(tmp_path / "d"), "mode": "0700"}, tmp_path, diff=True)["diff"],
        "absent": run({"path": str(tmp_path / "d"), "state": "absent"}, tmp_path,
                      diff=True)["diff"],
        "create": run({"path": str(tmp_path / "n"), "state": "directory"}, tmp_path,
                      diff=True, check=True)["diff"],
    }
    assert diffs == snapshot
    assert "diff" not in run({"path": str(tmp_path / "n"), "state": "absent"}, tmp_path)


def test_touch_sets_times_unless_preserved(tmp_path: Path) -> None:
    target = tmp_path / "t"
    target.write_text("x")
    os.utime(target, (1000, 1000))
    kept = run({"path": str(target), "state": "touch", "modification_time": "preserve",
                "access_time": "preserve"}, tmp_path, diff=True)
    assert target.stat().st_mtime == 1000
    assert "mtime" not in kept["diff"]["after"]
    touched = run({"path": str(target), "state": "touch"}, tmp_path)
    assert touched["changed"] is True
    assert target.stat().st_mtime > 1000
    dated = run({"path": str(target), "state": "touch", "modification_time": "202401020304.05"},
                tmp_path)
    assert dated["changed"] is True
    assert time.localtime(target.stat().st_mtime)[:6] == (2024, 1, 2, 3, 4, 5)
    bad = run({"path": str(target), "state": "touch", "modification_time": "yesterday"},
              tmp_path)
    assert bad["msg"].startswith("Error while obtaining timestamp for time yesterday")


def test_unsupported_attributes_are_refused_not_ignored(tmp_path: Path) -> None:
    result = run({"path": str(tmp_path), "attributes": "+i"}, tmp_path)
    assert result["msg"] == "attributes: not supported by miniplay (chattr/SELinux)"
