"""The examples run on a fresh machine (localhost, local connection) and say what they say.

Each run gets its own async directory (`ANSIBLE_ASYNC_DIR`) and database path in
`tmp_path`. Default output is snapshotted with its volatile parts normalised: times, job
ids, paths, retry counts, and the order in which hosts report (hosts run concurrently).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
FANOUT_INVENTORY = EXAMPLES / "inventory_fanout.ini"

# every example playbook: (extra arguments, expected exit code)
EXPECTED: dict[str, tuple[tuple[str, ...], int]] = {
    "site.yml": ((), 0),
    "async_migration.yml": ((), 0),
    "async_fanout.yml": (("-i", str(FANOUT_INVENTORY)), 0),
}


def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    return {**clean, "NO_COLOR": "1", "ANSIBLE_ASYNC_DIR": str(tmp_path / "async")}


def miniplay(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "miniplay", *args], capture_output=True,
                          text=True, cwd=tmp_path, env=env(tmp_path), timeout=180, check=False)


def run_example(tmp_path: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    args, _ = EXPECTED[name]
    return miniplay(tmp_path, str(EXAMPLES / name), *args,
                    "-e", f"db_path={tmp_path / 'app.db'}", *extra)


VOLATILE = [
    (re.compile(r'"(start|end)": "[^"]*"'), r'"\1": "<time>"'),
    (re.compile(r'"delta": "[^"]*"'), '"delta": "<delta>"'),
    (re.compile(r'"attempts": \d+'), '"attempts": <n>'),
    (re.compile(r"j\d+\.\d+"), "<jid>"),
]
RETRYING = re.compile(r"^FAILED - RETRYING: .*\n", re.MULTILINE)


def normalise(text: str, tmp_path: Path) -> str:
    """Volatile values replaced, retry lines dropped (their number is timing)."""
    text = text.replace(str(tmp_path), "<tmp>").replace(str(REPO), "<repo>")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return RETRYING.sub("", text)


def host_order_free(text: str) -> str:
    """Each task's result blocks (a status line plus its indented lines) sorted by text."""
    sections = re.split(r"(?m)^(?=TASK |PLAY RECAP)", text)
    return "".join(_sorted_blocks(section) for section in sections)


def _sorted_blocks(section: str) -> str:
    banner, _, body = section.partition("\n")
    content = body.rstrip("\n")
    blocks: list[str] = []
    for line in content.splitlines(keepends=True):
        if blocks and line.startswith((" ", "}", "]")):
            blocks[-1] += line
        else:
            blocks.append(line)
    if blocks and not blocks[-1].endswith("\n"):
        blocks[-1] += "\n"
    return banner + "\n" + "".join(sorted(blocks)) + body[len(content) + 1:]


def job_rows(listing: str, host: str) -> list[list[str]]:
    return [line.split() for line in listing.splitlines()[1:] if line.split()[0] == host]


# -- every example ------------------------------------------------------------------------


def test_every_example_is_covered() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.yml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(tmp_path: Path, name: str) -> None:
    done = run_example(tmp_path, name)
    assert done.returncode == EXPECTED[name][1], done.stdout + done.stderr


def test_examples_validate(tmp_path: Path) -> None:
    done = miniplay(tmp_path, "validate", str(EXAMPLES))
    if done.returncode != 0 and "ImportError" in done.stderr:
        pytest.skip(f"miniplay validate is not importable yet: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stdout + done.stderr


# -- async_migration ----------------------------------------------------------------------


def test_migration_output(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    done = run_example(tmp_path, "async_migration.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "migrated 600 rows into users_v2" in done.stdout
    assert normalise(done.stdout, tmp_path) == snapshot


def test_failing_migration_fires_the_fail_task(tmp_path: Path,
                                               snapshot: SnapshotAssertion) -> None:
    done = run_example(tmp_path, "async_migration.yml", "-e", "fail_migration=true")
    assert done.returncode == 2, done.stdout + done.stderr
    assert ('"msg": "Database migration failed: constraint violated after 300 of 600 rows; '
            'rolled back"') in done.stdout
    assert "ignored=1" in done.stdout
    assert normalise(done.stdout, tmp_path) == snapshot


# -- async_fanout -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fanout(tmp_path_factory: pytest.TempPathFactory) -> tuple[
        Path, subprocess.CompletedProcess[str]]:
    tmp_path = tmp_path_factory.mktemp("fanout")
    return tmp_path, run_example(tmp_path, "async_fanout.yml")


def test_fanout_output(fanout: tuple[Path, subprocess.CompletedProcess[str]],
                       snapshot: SnapshotAssertion) -> None:
    tmp_path, done = fanout
    assert done.returncode == 0, done.stdout + done.stderr
    assert host_order_free(normalise(done.stdout, tmp_path)) == snapshot


def test_jobs_list_shows_the_fanout_jobs(
        fanout: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """The local hosts share one async directory: each lists all 6 jobs (2 per host)."""
    tmp_path, _ = fanout
    done = miniplay(tmp_path, "jobs", "-i", str(FANOUT_INVENTORY), "list")
    assert done.returncode == 0, done.stderr
    for host in ("node1", "node2", "node3"):
        rows = job_rows(done.stdout, host)
        assert len(rows) == 6
        assert {(r[2], r[6], r[7], r[8]) for r in rows} == {("finished", "30s", "shell", "0")}
