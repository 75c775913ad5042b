"""Time `miniplay validate` against `ansible-playbook --syntax-check` and `ansible-lint`.

Takes (environment): ANSIBLE_PLAYBOOK (default: `ansible-playbook` beside this Python,
else on PATH), ANSIBLE_LINT (default: /tmp/lint-venv/bin/ansible-lint, else on PATH),
BENCH_TASKS (default 1000), BENCH_ROUNDS (default 5). Gives: a table of median wall
times per tool and the ratios to miniplay, on one generated playbook, all tools run
side by side in each round. Raises: nothing; a missing tool is reported and skipped.

Run: python benchmarks/validate/bench.py
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate


def find_tool(env: str, *candidates: str) -> str | None:
    """The tool's path from `env`, else the first existing candidate, else PATH."""
    for option in (os.environ.get(env), *candidates):
        if option and (os.path.isfile(option) or shutil.which(option)):
            return shutil.which(option) or option
    return None


def in_process(path: Path, cpu: list[float]) -> Callable[[], float]:
    """A timer for validate_paths in this process (imports already paid)."""
    from miniplay.validate import error_count, validate_paths

    def run() -> float:
        start, start_cpu = time.perf_counter(), time.process_time()
        errors = error_count(validate_paths([str(path)]))
        elapsed = time.perf_counter() - start
        cpu.append(time.process_time() - start_cpu)
        if errors:
            raise SystemExit(f"miniplay found {errors} error(s) in the benchmark playbook")
        return elapsed
    return run


def command(argv: list[str], cwd: Path, cpu: list[float]) -> Callable[[], float]:
    """A timer for one subprocess run (start-up included, as a user would wait); the
    child's CPU time (user + sys) is appended to `cpu`, steadier on a busy machine."""
    def run() -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode not in (0, 2):  # ansible-lint exits 2 for rule violations
            print(f"  ! {argv[0]} exited {done.returncode}: {done.stderr[-300:]}")
        return elapsed
    return run


def tools(path: Path, cpu: dict[str, list[float]]) -> dict[str, Callable[[], float]]:
    """Every tool that is available here, by display name; CPU times go to `cpu`."""
    folder = path.parent
    names = ("miniplay (in-process)", "miniplay validate", "ansible-playbook --syntax-check",
             "ansible-lint")
    for name in names:
        cpu[name] = []
    found: dict[str, Callable[[], float]] = {
        names[0]: in_process(path, cpu[names[0]]),
        names[1]: command([sys.executable, "-m", "miniplay", "validate", path.name], folder,
                          cpu[names[1]]),
    }
    playbook = find_tool("ANSIBLE_PLAYBOOK", str(Path(sys.executable).with_name(
        "ansible-playbook")), "ansible-playbook")
    if playbook:
        found[names[2]] = command(
            [playbook, "--syntax-check", "-i", "localhost,", path.name], folder, cpu[names[2]])
    lint = find_tool("ANSIBLE_LINT", "/tmp/lint-venv/bin/ansible-lint", "ansible-lint")
    if lint:
        found[names[3]] = command([lint, "--offline", "--nocolor", "-p", path.name],
                                  folder, cpu[names[3]])
    return found


def main() -> None:
    """Generate the playbook, run every tool each round, print medians and ratios."""
    count = int(os.environ.get("BENCH_TASKS", "1000"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    with tempfile.TemporaryDirectory(prefix="miniplay-bench-") as tmp:
        path = Path(tmp) / "bench.yml"
        written = generate(path, count)
        cpu: dict[str, list[float]] = {}
        timers = tools(path, cpu)
        times: dict[str, list[float]] = {name: [] for name in timers}
        for round_no in range(1, rounds + 1):
            for name, run in timers.items():
                times[name].append(run())
            print(f"round {round_no}: " + ", ".join(f"{n} {t[-1]:.3f}s" for n, t in times.items()))
    report(written, rounds, times, "wall")
    report(written, rounds, {name: cpu[name] for name in times}, "CPU (user+sys)")


def report(tasks: int, rounds: int, times: dict[str, list[float]], what: str) -> None:
    """The results table: median, min, and how many times slower than miniplay."""
    medians = {name: statistics.median(values) for name, values in times.items()}
    base_in = medians["miniplay (in-process)"]
    base_cli = medians["miniplay validate"]
    print(f"\n{tasks} tasks, {rounds} rounds, median {what} time")
    print(f"{'tool':34} {'median':>9} {'min':>9} {'x in-proc':>10} {'x CLI':>8}")
    for name, median in medians.items():
        print(f"{name:34} {median:8.3f}s {min(times[name]):8.3f}s "
              f"{median / base_in:9.1f}x {median / base_cli:7.1f}x")


if __name__ == "__main__":
    main()
