"""Measuring one tool run from outside: wall time, CPU, peak memory of its process tree.

Takes: an argv, environment, working directory and timeout. Gives: `Measure` (wall s,
CPU s of the process and the children it waited for, the largest single process's peak
RSS, the peak of the summed RSS of the whole tree sampled every 0.2 s, exit code, output).
Raises: nothing; a run past its timeout has its process group killed and exit code -9.

The harness makes itself a child subreaper, so processes that daemonize (ssh
ControlPersist masters of ansible-playbook) stay in the measured tree.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
PR_SET_CHILD_SUBREAPER = 36


@dataclass
class Measure:
    wall: float
    cpu: float
    max_rss_mb: float
    tree_rss_mb: float
    code: int
    output: str


def become_subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap_orphans(wait_s: float) -> None:
    """Reap re-parented orphans (closed ControlPersist masters); wait up to `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)


def _parents() -> dict[int, int]:
    found: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                found[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


class TreeSampler(threading.Thread):
    """Peak summed RSS of every descendant of this (harness) process."""

    def __init__(self, exclude: frozenset[int], interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.exclude = exclude  # e.g. the test sshd: its sessions are the "hosts"
        self.interval = interval
        self.peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self._halt.wait(self.interval):
            parents = _parents()
            total = sum(_rss(pid) for pid in parents if self._descends(pid, me, parents))
            self.peak = max(self.peak, total)

    def _descends(self, pid: int, root: int, parents: dict[int, int]) -> bool:
        for _ in range(64):
            if pid in self.exclude:
                return False
            pid = parents.get(pid, 0)
            if pid == root:
                return True
            if pid <= 1:
                return False
        return False

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def measure(argv: list[str], env: dict[str, str], cwd: Path, timeout: float,
            exclude: frozenset[int] = frozenset()) -> Measure:
    """Run `argv` to completion and measure it (output merged, kept in memory); the
    trees under `exclude` (pids) are not counted."""
    sampler = TreeSampler(exclude)
    sampler.start()
    started = time.monotonic()
    log = cwd / "output.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    tree = sampler.stop()
    return Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                   max(tree, usage.ru_maxrss * 1024) / 2**20, proc.returncode,
                   log.read_text(errors="replace"))
