"""Validation reports in the formats CI systems read: JSON, SARIF, GitHub, JUnit, Code Climate.

Takes: the `Diagnostic`s of a validation run, the files it checked, and the working
directory (paths in reports are relative to it, with `/` separators). Gives: the report
text. `RULES` is the registry of every rule id validation can emit (stable ids, their
default severity and a one-line description), which SARIF's `tool.driver.rules` and
`docs/rules.md` must agree with (a test holds both). Raises: nothing.

Formats:
- `json`: a list of {file, line, column, severity, rule, message, hint}.
- `sarif`: SARIF 2.1.0, one run, every rule described, results with locations, as
  GitHub code scanning's upload-sarif accepts.
- `github`: `::error file=F,line=L,col=C,title=RULE::message` workflow commands
  (`::warning`, `::notice`), values escaped as the runner expects.
- `junit`: one test case per checked file, failing when the file has errors; the
  failure text lists every message of that file.
- `codeclimate`: GitLab code quality JSON; the fingerprint is a hash of (rule, file,
  line, message), so it is stable across runs and machines.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from hashlib import sha256
from typing import Any
from urllib.parse import quote

from miniplay import __version__
from miniplay.schema import Diagnostic

INFORMATION_URI = "https://miniplay.dev"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FORMATS = ("human", "json", "sarif", "github", "junit", "codeclimate")

# id: (default severity, what it finds). Keep in step with docs/rules.md.
RULES: dict[str, tuple[str, str]] = {
    "yaml-syntax": ("error", "The file is not valid YAML."),
    "duplicate-key": ("warning", "A mapping has the same key twice (the last value wins)."),
    "read-error": ("error", "A path given on the command line cannot be read."),
    "not-playbook": ("error", "The file is not a list of plays."),
    "schema": ("error", "A keyword has the wrong type or value, or a required one is missing."),
    "unknown-keyword": ("error", "A key that is no keyword of a play, block or task."),
    "unknown-module": ("error", "A task's action is no module miniplay knows."),
    "multiple-actions": ("error", "Two actions in one task (conflicting action statements)."),
    "no-action": ("error", "A task with no action at all."),
    "module-args": ("error", "Module arguments: unknown, missing, wrong type, bad choice."),
    "async-status-no-jid": ("error", "async_status without `jid`."),
    "async-unsupported": ("error", "`async` on an action that runs on the controller."),
    "loop-and-with": ("error", "`loop` together with `with_*`, or two `with_*`."),
    "jinja-syntax": ("error", "A template or bare condition Jinja cannot parse."),
    "templated-condition": ("warning", "A condition wrapped in {{ }}."),
    "unknown-handler": ("error", "`notify` names no handler or listen topic of the play."),
    "missing-file": ("error", "An imported, included or vars file does not exist."),
    "import-cycle": ("error", "A file that imports itself, directly or not."),
    "missing-role": ("error", "A role a play or task names is not found."),
    "not-built": ("error", "An Ansible keyword, module or option miniplay does not run yet."),
    "not-built-plugin": ("error", "A filter, test or lookup miniplay does not have "
                                  "(collections, *_plugins/, or one refused by name)."),
    "internal-error": ("error", "miniplay failed to check the file (a bug in miniplay)."),
    "undefined-variable": ("warning", "A variable no earlier task, vars or inventory defines."),
    "async-status-jid": ("warning", "async_status on a job that is not async or was awaited."),
    "async-jid-no-job": ("warning", "`async_jid` read before any task starts an async job."),
    "miniplay-extension": ("note", "`async_jid` is a miniplay extension, not Ansible."),
    "unchecked-job": ("note", "A `poll: 0` job no later async_status checks."),
}


def relative(path: str, cwd: str) -> str:
    """`path` relative to `cwd`, with `/` separators (as SARIF and CI tools want)."""
    try:
        rel = os.path.relpath(os.path.abspath(path), cwd)
    except ValueError:  # another drive on Windows
        rel = path
    return rel.replace(os.sep, "/")


def render(fmt: str, diags: Sequence[Diagnostic], files: Sequence[str], cwd: str) -> str:
    """The report of `diags` in `fmt` (any of `FORMATS` but `human`)."""
    renderers: dict[str, Callable[[Sequence[Diagnostic], Sequence[str], str], str]] = {
        "json": _json, "sarif": _sarif, "github": _github, "junit": _junit,
        "codeclimate": _codeclimate,
    }
    return renderers[fmt](diags, files, cwd)


def _json(diags: Sequence[Diagnostic], files: Sequence[str], cwd: str) -> str:
    return json.dumps([as_json(d) for d in diags], indent=2)


def as_json(diag: Diagnostic) -> dict[str, Any]:
    """One diagnostic as the `json` format writes it."""
    pos = diag.pos
    return {"file": pos.file if pos else None, "line": pos.line if pos else None,
            "column": pos.column if pos else None, "severity": diag.severity,
            "rule": diag.rule, "message": diag.message, "hint": diag.hint}


def _text(diag: Diagnostic) -> str:
    return diag.message + (f" (hint: {diag.hint})" if diag.hint else "")


def _sarif(diags: Sequence[Diagnostic], files: Sequence[str], cwd: str) -> str:
    ids = list(RULES) + sorted({d.rule for d in diags} - set(RULES))
    driver = {"name": "miniplay", "version": __version__, "semanticVersion": __version__,
              "informationUri": INFORMATION_URI, "rules": [_rule(rule) for rule in ids]}
    results = [_result(d, ids.index(d.rule), cwd) for d in diags]
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": driver}, "results": results,
                     "columnKind": "unicodeCodePoints"}]}
    return json.dumps(log, indent=2)


def _rule(rule: str) -> dict[str, Any]:
    severity, summary = RULES.get(rule, ("error", rule))
    level = {"error": "error", "warning": "warning", "note": "note"}[severity]
    return {"id": rule, "name": "".join(w.title() for w in rule.split("-")),
            "shortDescription": {"text": summary},
            "fullDescription": {"text": f"{summary} Default severity: {severity}."},
            "help": {"text": f"{summary} See docs/rules.md#{rule} for an example and "
                             "the fix.",
                     "markdown": f"{summary} See `docs/rules.md` (`{rule}`) for an "
                                 "example and the fix."},
            "defaultConfiguration": {"level": level}}


def _result(diag: Diagnostic, index: int, cwd: str) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": diag.rule, "ruleIndex": index,
                              "level": diag.severity, "message": {"text": _text(diag)}}
    if diag.pos is not None:
        uri = quote(relative(diag.pos.file, cwd))
        region = {"startLine": max(diag.pos.line, 1), "startColumn": max(diag.pos.column, 1)}
        result["locations"] = [{"physicalLocation": {
            "artifactLocation": {"uri": uri}, "region": region}}]
    return result


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _github(diags: Sequence[Diagnostic], files: Sequence[str], cwd: str) -> str:
    lines = []
    for diag in diags:
        kind = {"error": "error", "warning": "warning", "note": "notice"}[diag.severity]
        props = []
        if diag.pos is not None:
            props = [f"file={_escape(relative(diag.pos.file, cwd), True)}",
                     f"line={diag.pos.line}", f"col={diag.pos.column}"]
        props.append(f"title={_escape(diag.rule, True)}")
        message = diag.message + (f"\nhint: {diag.hint}" if diag.hint else "")
        lines.append(f"::{kind} {','.join(props)}::{_escape(message)}")
    return "\n".join(lines)


def _junit(diags: Sequence[Diagnostic], files: Sequence[str], cwd: str) -> str:
    from xml.etree import ElementTree as ET  # only this format needs it
    names = list(dict.fromkeys([*(relative(f, cwd) for f in files),
                                *(relative(d.pos.file, cwd) if d.pos else "(no file)"
                                  for d in diags)]))
    suite = ET.Element("testsuite", name="miniplay validate", tests=str(len(names)))
    failures = 0
    for name in names:
        mine = [d for d in diags if (relative(d.pos.file, cwd) if d.pos else "(no file)")
                == name]
        case = ET.SubElement(suite, "testcase", classname="miniplay.validate", name=name)
        errors = [d for d in mine if d.severity == "error"]
        text = "\n".join(f"{_where(d, cwd)}: {d.severity}: [{d.rule}] {_text(d)}" for d in mine)
        if errors:
            failures += 1
            failure = ET.SubElement(case, "failure", type="validation",
                                    message=f"{len(errors)} error(s): {errors[0].message}")
            failure.text = text
        elif text:
            ET.SubElement(case, "system-out").text = text
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    root = ET.Element("testsuites", name="miniplay validate", tests=str(len(names)),
                      failures=str(failures), errors="0")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def _where(diag: Diagnostic, cwd: str) -> str:
    pos = diag.pos
    return f"{relative(pos.file, cwd)}:{pos.line}:{pos.column}" if pos else "miniplay"


def _codeclimate(diags: Sequence[Diagnostic], files: Sequence[str], cwd: str) -> str:
    severity = {"error": "major", "warning": "minor", "note": "info"}
    issues = []
    for diag in diags:
        path = relative(diag.pos.file, cwd) if diag.pos else "."
        line = diag.pos.line if diag.pos else 1
        key = "\0".join((diag.rule, path, str(line), diag.message))
        issues.append({"type": "issue", "check_name": diag.rule, "description": _text(diag),
                       "categories": ["Bug Risk"], "severity": severity[diag.severity],
                       "fingerprint": sha256(key.encode()).hexdigest()[:32],
                       "location": {"path": path, "lines": {"begin": line}}})
    return json.dumps(issues, indent=2)
