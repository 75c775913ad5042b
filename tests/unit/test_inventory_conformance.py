"""miniplay's inventory against the real ``ansible-inventory`` and ``ansible --list-hosts``.

Each case in ``tests/fixtures/inventory/<case>/case.yml`` names its sources (paths
relative to the case, or a host list), an optional playbook directory and host patterns.
Hosts, groups (own hosts and children, in order), every host's merged variables, the
hosts each pattern selects (in order) and the "Could not match" warnings must agree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from miniplay.inventory import Inventory, load_inventory
from miniplay.loader import load_file, plain

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inventory"
BIN = Path(sys.executable).parent
CASES = sorted(p.parent.name for p in FIXTURES.glob("*/case.yml"))

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not (BIN / "ansible-inventory").exists(), reason="ansible-core missing"),
]


def _case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = plain(load_file(FIXTURES / name / "case.yml").data)
    return data


def _sources(name: str, case: dict[str, Any]) -> list[str]:
    base = FIXTURES / name
    return [str(base / s) if (base / s).exists() else s for s in case["sources"]]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_HOME": str(cwd / ".ansible"),
           "ANSIBLE_CONFIG": str(cwd / "none.cfg"), "ANSIBLE_LOCALHOST_WARNING": "false"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _playbook_dir(name: str, case: dict[str, Any], tmp: Path) -> tuple[str | None, str]:
    if "playbook_dir" in case:
        path = str(FIXTURES / name / case["playbook_dir"])
        return path, path
    empty = tmp / "empty_playbook_dir"
    empty.mkdir(exist_ok=True)
    return None, str(empty)


def _groups_shape(inventory: Inventory) -> dict[str, dict[str, list[str]]]:
    shape: dict[str, dict[str, list[str]]] = {}
    for group in inventory.groups.values():
        entry: dict[str, list[str]] = {}
        if group.hosts and group.name != "all":
            entry["hosts"] = list(group.hosts)
        if group.children:
            entry["children"] = list(group.children)
        if entry:
            shape[group.name] = entry
    return shape


@pytest.mark.parametrize("name", CASES)
def test_inventory_list_matches_ansible(name: str, tmp_path: Path) -> None:
    case = _case(name)
    sources = _sources(name, case)
    ours_dir, theirs_dir = _playbook_dir(name, case, tmp_path)
    args = [str(BIN / "ansible-inventory"), "--list", "--playbook-dir", theirs_dir]
    for source in sources:
        args += ["-i", source]
    result = _run(args, tmp_path)
    assert result.returncode == 0, result.stderr
    theirs = json.loads(result.stdout)
    inventory = load_inventory(sources, ours_dir)
    hostvars = theirs.pop("_meta")["hostvars"]
    assert _groups_shape(inventory) == theirs
    ours_vars = {h: inventory.host_vars(h) for h in inventory.hosts}
    ours_vars = {h: v for h, v in json.loads(json.dumps(ours_vars)).items() if v}
    assert ours_vars == hostvars


def _list_hosts(sources: list[str], pattern: str, tmp: Path) -> tuple[list[str], list[str]]:
    args = [str(BIN / "ansible"), pattern, "--list-hosts"]
    for source in sources:
        args += ["-i", source]
    result = _run(args, tmp)
    assert result.returncode == 0, result.stderr
    hosts = [line.strip() for line in result.stdout.splitlines()[1:] if line.strip()]
    warnings = re.findall(r"Could not match supplied host pattern, ignoring: \S+", result.stderr)
    return hosts, warnings


PATTERN_CASES = [(name, p) for name in CASES for p in _case(name).get("patterns", [])]


@pytest.mark.parametrize(("name", "pattern"), PATTERN_CASES)
def test_pattern_matches_ansible(name: str, pattern: str, tmp_path: Path) -> None:
    case = _case(name)
    sources = _sources(name, case)
    theirs_hosts, theirs_warnings = _list_hosts(sources, pattern, tmp_path)
    selection = load_inventory(sources, None).match(pattern)
    if pattern in case.get("unordered", []):
        assert sorted(selection.hosts) == sorted(theirs_hosts)
    else:
        assert list(selection.hosts) == theirs_hosts
    assert list(selection.warnings) == theirs_warnings


def test_implicit_localhost_vars_match_ansible(tmp_path: Path) -> None:
    sources = _sources("precedence", _case("precedence"))
    playbook_dir = str(FIXTURES / "precedence" / "pb")
    args = [str(BIN / "ansible"), "localhost", "-m", "debug", "-a", "var=hostvars.localhost",
            "--playbook-dir", playbook_dir, "-i", sources[0]]
    result = _run(args, tmp_path)
    assert result.returncode == 0, result.stderr
    theirs = json.loads(result.stdout.split("=>", 1)[1])["hostvars.localhost"]
    inventory = load_inventory(sources, playbook_dir)
    ours = inventory.host_vars("localhost")
    for key in ("v_all", "v_g", "v_x", "v_y", "v_l", "ansible_connection"):
        assert ours.get(key) == theirs.get(key), key
    assert ours["ansible_python_interpreter"] == sys.executable
