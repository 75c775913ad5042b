"""ansible-core's integration targets under miniplay: a gate made of code nobody here wrote.

Every target targets.yml lists as `pass` must pass under miniplay (its own asserts, exit
0). The other states are documented there (`refused`: what miniplay refuses, by name;
`wrong`: a known wrong result and why) and run only with `-m targets_all`, which reports
each state that changed. The selection itself is checked without running anything:
targets.yml lists exactly the candidates of remake.py's rule that pass under
ansible-playbook here (the recorded baseline), plus the excluded ones with the reason.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from targets_lib import STATE_FILE, SdistUnavailable, TargetRun, run_target, sdist_root

STATES = ("pass", "refused", "wrong")


def _load() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(STATE_FILE.read_text())
    return data


STATE = _load()
TARGETS: dict[str, dict[str, str]] = STATE["targets"]
PASSING = sorted(name for name, entry in TARGETS.items() if entry["state"] == "pass")
OTHERS = sorted(name for name, entry in TARGETS.items() if entry["state"] != "pass")


@pytest.fixture(scope="session")
def sdist() -> Path:
    try:
        return sdist_root()
    except SdistUnavailable as exc:
        pytest.fail(f"the ansible-core sdist is needed for the target tests: {exc}")


def test_state_file_is_well_formed() -> None:
    assert STATE["ansible_core"] == "2.19.14"
    for name, entry in TARGETS.items():
        assert entry["state"] in STATES, name
        if entry["state"] != "pass":
            assert entry.get("why"), f"{name}: a {entry['state']} target says why"


def test_state_file_lists_the_selection(sdist: Path) -> None:
    from remake import candidates

    listed = set(TARGETS) | set(STATE.get("excluded") or {})
    assert listed == set(candidates())


def test_at_least_seventy_pass() -> None:
    assert len(PASSING) >= 70


@pytest.fixture(scope="session")
def passing_runs(request: pytest.FixtureRequest, sdist: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, TargetRun]:
    """Every selected `test_target_passes` target, run MINIPLAY_TARGET_JOBS (default 2)
    at a time: each run is its own process tree, so two keep two cores busy."""
    names = [item.callspec.params["target"] for item in request.session.items
             if getattr(item, "originalname", "") == "test_target_passes"]
    base = tmp_path_factory.mktemp("targets")
    jobs = int(os.environ.get("MINIPLAY_TARGET_JOBS", "2"))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {name: pool.submit(run_target, name, "miniplay", base / name)
                   for name in names}
    return {name: future.result() for name, future in futures.items()}


@pytest.mark.slow
@pytest.mark.timeout(3600)  # the first test waits for the whole batch (passing_runs)
@pytest.mark.parametrize("target", PASSING)
def test_target_passes(target: str, passing_runs: dict[str, TargetRun]) -> None:
    result = passing_runs[target]
    assert result.passed, f"{target} stopped passing under miniplay:\n{result.tail()}"


@pytest.mark.targets_all
@pytest.mark.parametrize("target", OTHERS)
def test_target_state(target: str, sdist: Path, tmp_path: Path) -> None:
    result = run_target(target, "miniplay", tmp_path / "work")
    assert not result.passed, f"{target} now passes: mark it `pass` in targets.yml"
