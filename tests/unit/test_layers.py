"""The house rules on imports (docs/architecture.md), checked on the source tree."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from miniplay.connection.agent_client import agent_source

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "miniplay"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def miniplay_imports(path: Path) -> set[str]:
    return {name for name in imports_of(path) if name.split(".")[0] == "miniplay"}


@pytest.mark.parametrize("path", sorted((SRC / "output").glob("*.py")), ids=lambda p: p.name)
def test_output_sees_only_events_and_results(path: Path) -> None:
    allowed = {"miniplay.events", "miniplay.results"}
    bad = {m for m in miniplay_imports(path) if m not in allowed
           and not m.startswith("miniplay.output")}
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize(
    "path", [*sorted((SRC / "remote").glob("*.py")), *sorted((ROOT / "modules").glob("*.py"))],
    ids=lambda p: p.name)
def test_host_side_code_uses_only_the_standard_library(path: Path) -> None:
    # helpers inlined when the program is sent (miniplay.inline) are not imports there
    inlined = {p.stem for p in (ROOT / "modules").glob("_*.py")} | {
        f"miniplay.remote.{p.stem}" for p in (SRC / "remote").glob("_*.py")}
    third_party = {name.split(".")[0] for name in set(imports_of(path)) - inlined} - set(
        sys.stdlib_module_names) - {"__future__"} - inlined
    assert not third_party, f"{path.name} imports {third_party}"


def test_nothing_imports_the_cli() -> None:
    offenders = [p.name for p in SRC.rglob("*.py")
                 if p.name not in ("cli.py", "__main__.py") and "miniplay.cli" in imports_of(p)]
    assert not offenders


@pytest.mark.parametrize("name", ["errors", "model", "events", "results", "unsafe"])
def test_foundations_import_nothing_above_them(name: str) -> None:
    allowed = {"miniplay.errors", "miniplay.results", "miniplay.unsafe"}
    bad = miniplay_imports(SRC / f"{name}.py") - allowed
    assert not bad, f"{name}.py imports {bad}"


def test_the_agent_as_sent_imports_nothing_of_miniplay() -> None:
    source = agent_source().decode()
    assert "import miniplay" not in source
    assert "from miniplay" not in source
    assert "class Agent:" in source
    assert "def job_wrapper(" in source
    compile(source, "agent", "exec")
