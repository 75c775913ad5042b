"""examples/webapp: a role-based project that validates clean and runs on localhost.

Each run writes under its own `tmp_path` (`-e webapp_root=...`). The default output is
snapshotted with its volatile parts (times, deltas, the temp directory) normalised.
Handler order is checked through the log the handlers append to, and through the
`RUNNING HANDLER` banners.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from miniplay.validate import validate_file, validate_paths

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "examples" / "webapp"
SITE = PROJECT / "site.yml"

VOLATILE = [
    (re.compile(r'"(start|end)": "[^"]*"'), r'"\1": "<time>"'),
    (re.compile(r'"delta": "[^"]*"'), '"delta": "<delta>"'),
]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(NO_COLOR="1", ANSIBLE_ASYNC_DIR=str(tmp_path / "async"))
    return subprocess.run(
        [sys.executable, "-m", "miniplay", str(SITE), "-e", f"webapp_root={tmp_path / 'app'}",
         *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=180,
        check=False)


def normalise(text: str, tmp_path: Path) -> str:
    text = text.replace(str(tmp_path), "<tmp>").replace(str(REPO), "<repo>")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def banners(stdout: str) -> list[str]:
    """`TASK [...]` and `RUNNING HANDLER [...]` names, in order."""
    return re.findall(r"^(?:TASK|RUNNING HANDLER) \[(.*)\]", stdout, re.MULTILINE)


def handler_log(tmp_path: Path) -> list[str]:
    log = tmp_path / "app" / "logs" / "handlers.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_project_validates_with_no_diagnostics() -> None:
    assert validate_file(SITE) == []
    assert validate_paths([str(PROJECT)]) == []


def test_default_run(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    done = run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rescued=1" in done.stdout
    assert "failed=0" in done.stdout
    assert (tmp_path / "app" / "releases" / "current").read_text() == "hello 1.0"
    conf = (tmp_path / "app" / "conf" / "app.conf").read_text()
    assert "listen 8080\n" in conf
    assert "worker 2\n" in conf
    assert normalise(done.stdout, tmp_path) == snapshot


def test_handlers_run_once_in_definition_order(tmp_path: Path) -> None:
    done = run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert handler_log(tmp_path) == ["restart hello", "release 1.0"]
    names = banners(done.stdout)
    handlers = [n for n in names if n in ("webapp : restart webapp",
                                          "webapp : announce the release")]
    assert handlers == ["webapp : restart webapp", "webapp : announce the release"]
    # after the role's section, before post_tasks
    assert names.index("webapp : announce the release") < names.index("Read the deployed config")


def test_second_run_changes_nothing_and_notifies_nobody(tmp_path: Path) -> None:
    assert run(tmp_path).returncode == 0
    done = run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "RUNNING HANDLER" not in done.stdout
    assert handler_log(tmp_path) == ["restart hello", "release 1.0"]
    # only the always-section shell line reports a change
    assert "changed=1 " in done.stdout


def test_tags_config_runs_only_config_and_always(tmp_path: Path) -> None:
    done = run(tmp_path, "--tags", "config")
    assert done.returncode == 0, done.stdout + done.stderr
    assert banners(done.stdout) == [
        "webapp : Create the app directories",
        "webapp : Write the config",
        "webapp : restart webapp",
        "Read the deployed config",
        "The config names the port and the app",
    ]
    assert handler_log(tmp_path) == ["restart hello"]
    assert not (tmp_path / "app" / "releases" / "current").exists()


def test_skip_tags_health_skips_the_block_and_its_assert(tmp_path: Path) -> None:
    done = run(tmp_path, "--skip-tags", "health")
    assert done.returncode == 0, done.stdout + done.stderr
    names = banners(done.stdout)
    assert "webapp : Run without the cache" not in names
    assert "The release file and the health check did what they should" not in names
    assert "rescued=0" in done.stdout
    assert handler_log(tmp_path) == ["restart hello", "release 1.0"]


@pytest.mark.parametrize("port", ["9090"])
def test_extra_vars_beat_role_defaults(tmp_path: Path, port: str) -> None:
    done = run(tmp_path, "-e", f"webapp_port={port}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"config ok for hello on {port}" in done.stdout
