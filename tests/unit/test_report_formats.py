"""CI report formats: SARIF against the 2.1.0 schema, snapshots of every format, the rule
table in docs/rules.md, the pre-commit hook, and the CLI's --output/--strict/--disable."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft4Validator

from miniplay import __version__
from miniplay.cli import main
from miniplay.loader import load_file, plain
from miniplay.report_formats import FORMATS, RULES
from miniplay.validate import render_report, validate_run

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text("utf-8"))
# A few playbooks with errors, warnings and notes, paths relative to tests/fixtures.
CASES = ["invalid/task_unknown_module.yml", "invalid/jinja_when.yml",
         "flow/typo_register.yml", "flow/unchecked_job.yml", "valid/01_minimal.yml"]


def _report(fmt: str) -> str:
    run = validate_run(CASES)
    return render_report(run.diagnostics, fmt, run.files).replace(__version__, "VERSION")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_snapshot(fmt: str, snapshot: object,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    assert _report(fmt) == snapshot


def test_sarif_validates_against_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    run = validate_run(["invalid", "flow", "valid"])
    log = json.loads(render_report(run.diagnostics, "sarif", run.files))
    errors = [e.message for e in Draft4Validator(SCHEMA).iter_errors(log)]
    assert errors == []
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("miniplay", __version__)
    assert {rule["id"] for rule in driver["rules"]} >= set(RULES)
    results = log["runs"][0]["results"]
    assert len(results) == len(run.diagnostics) > 40
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "..")), uri


def test_github_commands_escape_values() -> None:
    from miniplay.errors import Position
    from miniplay.report_formats import render
    from miniplay.schema import Diagnostic

    diag = Diagnostic("schema", "note", "50% off\nline two", Position("a,b:c.yml", 3, 4), None)
    assert render("github", [diag], [], str(Path.cwd())) == (
        "::notice file=a%2Cb%3Ac.yml,line=3,col=4,title=schema::50%25 off%0Aline two")


def test_junit_one_case_per_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    root = ET.fromstring(_report("junit"))
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert set(cases) == set(CASES)
    assert cases["invalid/task_unknown_module.yml"].find("failure") is not None
    assert cases["flow/typo_register.yml"].find("failure") is None  # warnings only
    assert root.get("failures") == "2"


def test_codeclimate_fingerprints_are_stable_and_distinct(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    first, second = json.loads(_report("codeclimate")), json.loads(_report("codeclimate"))
    prints = [issue["fingerprint"] for issue in first]
    assert prints == [issue["fingerprint"] for issue in second]
    assert len(set(prints)) == len(prints)
    assert {issue["severity"] for issue in first} == {"major", "minor", "info"}


def _documented() -> dict[str, str]:
    rows = re.findall(r"^\| `([a-z-]+)` \| (error|warning|note) \|",
                      (ROOT / "docs" / "rules.md").read_text("utf-8"), re.M)
    return dict(rows)


def _emitted() -> set[str]:
    pattern = re.compile(r"""(?:\berror|Diagnostic|diag_from)\(\s*"([a-z]+(?:-[a-z]+)*)"|"""
                         r"""rule(?:=| or )"([a-z]+(?:-[a-z]+)*)"|"""
                         r"""\n\s+"([a-z]+(?:-[a-z]+)+)", "(?:error|warning|note)",""")
    found: set[str] = set()
    for path in (ROOT / "src" / "miniplay").rglob("*.py"):
        for match in pattern.finditer(path.read_text("utf-8")):
            found |= {group for group in match.groups() if group}
    return found


def test_every_rule_is_documented() -> None:
    documented = _documented()
    assert _emitted() <= set(RULES), sorted(_emitted() - set(RULES))
    assert set(documented) == set(RULES)
    assert {rule: severity for rule, (severity, _) in RULES.items()} == documented


def test_pre_commit_hook() -> None:
    (hook,) = plain(load_file(ROOT / ".pre-commit-hooks.yaml").data)
    assert (hook["id"], hook["entry"], hook["language"]) == (
        "miniplay-validate", "miniplay validate", "python")
    assert hook["types"] == ["yaml"]
    files = re.compile(hook["files"])
    for name in ("site.yml", "playbooks/deploy.yaml", "ops/playbooks/db.yml"):
        assert files.search(name), name
    for name in ("roles/web/tasks/main.yml", "group_vars/all.yml", ".github/workflows/ci.yml"):
        assert not files.search(name), name


def test_cli_output_strict_and_disable(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "flow")
    out = tmp_path / "report.sarif"
    assert main(["validate", "--format", "sarif", "--output", str(out),
                 "typo_register.yml"]) == 0
    assert "warning: `migration_result` is used" in capsys.readouterr().out
    assert json.loads(out.read_text())["runs"][0]["results"][0]["ruleId"] == \
        "undefined-variable"
    assert main(["validate", "--strict", "typo_register.yml"]) == 4
    assert main(["validate", "--strict", "--disable", "undefined-variable",
                 "typo_register.yml"]) == 0
    assert main(["validate", "--strict", "unchecked_job.yml"]) == 0  # notes never fail
    assert main(["validate", "--strict", "-e", "restart_requested",
                 "undefined_in_when.yml"]) == 0


def test_cli_playbooks_only_skips_other_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "flow")
    assert main(["validate", "vars/common.yml"]) == 4
    assert main(["validate", "--playbooks-only", "vars/common.yml", "clean_guards.yml"]) == 0
