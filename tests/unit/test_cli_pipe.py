"""A reader that goes away (`miniplay validate ... | head`) ends miniplay quietly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_closed_pipe_is_no_traceback(tmp_path: Path) -> None:
    playbook = tmp_path / "many.yml"
    tasks = "".join(f"    - name: t{i}\n      debug:\n        msg: '{{{{ u{i} }}}}'\n"
                    for i in range(400))
    playbook.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    proc = subprocess.Popen([sys.executable, "-m", "miniplay", "validate", str(playbook)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away after one line, as `head -1` does
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    code = proc.wait(timeout=60)
    assert first
    assert "Traceback" not in stderr
    assert code == 141
