"""The house rules on imports (docs/architecture.md), checked on the source tree."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

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
    "path", [SRC / "remote" / "agent.py", *sorted((ROOT / "modules").glob("*.py"))],
    ids=lambda p: p.name)
def test_host_side_code_uses_only_the_standard_library(path: Path) -> None:
    inlined = {p.stem for p in (ROOT / "modules").glob("_*.py")}  # runner.inline_helpers
    third_party = {name.split(".")[0] for name in imports_of(path)} - set(
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
