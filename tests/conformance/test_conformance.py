"""The same playbook under ansible-playbook (the oracle) and miniplay, compared.

One test per playbook in tests/fixtures/conformance/ (the id is the file name). Both
tools run every time, each in its own scratch copy; see conformance_lib for what is
compared and normalised, and README.md for how to read a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance_lib import Case, all_cases, compare, run_tool, skipped_features

CASES = all_cases()


@pytest.mark.conformance
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance(case: Case, tmp_path: Path) -> None:
    if missing := case.needs & skipped_features():
        pytest.skip(f"needs {', '.join(sorted(missing))} (MINIPLAY_CONFORMANCE_SKIP)")
    ansible = run_tool("ansible", case, tmp_path)
    assert ansible.document is not None or ansible.exit_code != 0, (
        f"ansible-playbook printed no document:\n{ansible.stdout}\n{ansible.stderr}"
    )
    miniplay = run_tool("miniplay", case, tmp_path)
    diffs = compare(ansible, miniplay, case)
    if diffs:
        report = "\n".join(f"- {d}" for d in diffs)
        tail = miniplay.stderr[-3000:]
        pytest.fail(f"{case.name}: {len(diffs)} difference(s)\n{report}\nminiplay stderr:\n{tail}")


def test_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30
