"""Templar against ansible-core 2.19: one table of templates and conditions.

`tests/fixtures/templating/cases.json` holds the shared variables, the templates and the
conditions (add a case there); `ansible_2_19.json` holds what real ansible-playbook gave for
each case (value and `type_debug`, or the error text). The always-on tests compare
Templar with that file; the `conformance` test re-runs ansible-playbook and compares it
with the file. Regenerate the file with
``MINIPLAY_REGENERATE=1 pytest -m conformance tests/unit/test_templating_conformance.py``.
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

from miniplay.errors import TemplateError
from miniplay.plugins.filters import native_type_name
from miniplay.templating import Templar

FIXTURE = Path(__file__).parent.parent / "fixtures" / "templating" / "ansible_2_19.json"
ENV = {"MINIPLAY_TEST_ENV": "from-env"}

CASES: dict[str, Any] = json.loads((FIXTURE.parent / "cases.json").read_text())
VARS: dict[str, Any] = CASES["vars"]
TEMPLATES: dict[str, str] = CASES["templates"]
CONDITIONS: dict[str, str] = CASES["conditions"]

_CALLBACK = """
import json
from ansible.plugins.callback import CallbackBase

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "capture"

    def __init__(self):
        super().__init__()
        self.rows = {}

    def _add(self, result, status):
        self.rows[result._task.get_name()] = {"status": status, "msg": result._result.get("msg")}

    def v2_runner_on_ok(self, result):
        self._add(result, "ok")

    def v2_runner_on_skipped(self, result):
        self._add(result, "skipped")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add(result, "failed")

    def v2_playbook_on_stats(self, stats):
        print(json.dumps(self.rows, default=repr))
"""

_PREFIX = re.compile(
    r"^Task failed: (Finalization of task args for '[\w.]+' failed: )?"
    r"(Error while resolving value for 'msg': )?"
)
_AT = re.compile(r" at '[^']*'\.")


def _playbook() -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for name, template in TEMPLATES.items():
        tasks.append(
            {
                "name": name,
                "vars": {"r": template},
                "ignore_errors": True,
                "debug": {"msg": {"v": "{{ r }}", "t": "{{ r | type_debug }}"}},
            }
        )
    for name, expression in CONDITIONS.items():
        tasks.append(
            {"name": name, "when": expression, "ignore_errors": True, "debug": {"msg": "ran"}}
        )
    return [{"hosts": "localhost", "gather_facts": False, "vars": VARS, "tasks": tasks}]


def _normal_error(message: str) -> str:
    return _AT.sub(" at '<pos>'.", _PREFIX.sub("", message))


def _observed(rows: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, row in rows.items():
        if row["status"] == "failed":
            result[name] = {"error": _normal_error(str(row["msg"]))}
        elif name in CONDITIONS:
            result[name] = {"value": row["status"] == "ok"}
        else:
            result[name] = {"value": row["msg"]["v"], "type": row["msg"]["t"]}
    return result


def run_ansible(workdir: Path) -> dict[str, Any]:
    """Run the table through ansible-playbook; name → {value, type} or {error}."""
    (workdir / "cb").mkdir()
    (workdir / "cb" / "capture.py").write_text(_CALLBACK)
    (workdir / "play.yml").write_text(json.dumps(_playbook()))
    env = {
        **os.environ,
        **ENV,
        "ANSIBLE_CALLBACK_PLUGINS": str(workdir / "cb"),
        "ANSIBLE_STDOUT_CALLBACK": "capture",
        "ANSIBLE_NOCOLOR": "1",
    }
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        str(workdir / "play.yml"),
    ]
    done = subprocess.run(
        command, env=env, cwd=workdir, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.stdout.strip(), done.stderr
    return _observed(json.loads(done.stdout.strip().splitlines()[-1]))


def _expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


# Where miniplay differs on purpose; each id maps to the reason (documented in README).
KNOWN_DIFFERENCES: dict[str, str] = {}


def _miniplay_value(templar: Templar, template: str) -> dict[str, Any]:
    try:
        value = templar.render(template, VARS)
    except TemplateError as exc:
        return {"error": exc.message}
    return {"value": json.loads(json.dumps(value, default=repr)), "type": native_type_name(value)}


def _miniplay_condition(templar: Templar, expression: str) -> dict[str, Any]:
    try:
        return {"value": templar.condition(expression, VARS)}
    except TemplateError as exc:
        return {"error": _AT.sub(" at '<pos>'.", exc.message)}


@pytest.fixture(scope="module")
def templar() -> Templar:
    return Templar()


@pytest.fixture(autouse=True)
def _lookup_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)


def test_fixture_covers_every_case() -> None:
    assert set(_expected()) == set(TEMPLATES) | set(CONDITIONS)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_matches_ansible(templar: Templar, name: str) -> None:
    if name in KNOWN_DIFFERENCES:
        pytest.skip(KNOWN_DIFFERENCES[name])
    assert _miniplay_value(templar, TEMPLATES[name]) == _expected()[name]


@pytest.mark.parametrize("name", sorted(CONDITIONS))
def test_condition_matches_ansible(templar: Templar, name: str) -> None:
    if name in KNOWN_DIFFERENCES:
        pytest.skip(KNOWN_DIFFERENCES[name])
    assert _miniplay_condition(templar, CONDITIONS[name]) == _expected()[name]


@pytest.mark.conformance
def test_fixture_matches_live_ansible(tmp_path: Path) -> None:
    observed = run_ansible(tmp_path)
    if os.environ.get("MINIPLAY_REGENERATE"):
        FIXTURE.write_text(json.dumps(observed, indent=1, sort_keys=True) + "\n")
    assert observed == _expected()
