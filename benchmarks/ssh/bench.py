#!/usr/bin/env python3
"""miniplay vs ansible-playbook vs the raw asyncssh floor, over real SSH, side by side.

Takes: workloads (benchmarks/ssh/workloads/*.yml), host counts, rounds, tools.
Gives: per case and tool the median wall time [min..max], CPU, peak RSS of the largest
process and of the whole process tree; the ratios ansible/miniplay and miniplay/floor
taken within each round, then their median (the machine is shared and noisy: only
same-round ratios mean much). Results are appended to .results/results.jsonl; `--md`
writes a Markdown table. Exit 1 if any counted run failed its check.
Raises: nothing on a failed run (it is reported with `!!` and its log kept).

It starts its own throwaway sshd on 127.0.0.1 (tests/integration/sshd_server.py), makes
an inventory of h001..hNNN pointing at it with the host key checked, and runs the tools
one at a time, rotating the order each round. ansible-playbook is configured as a careful
user would: pipelining on, ControlMaster/ControlPersist on (its default ssh_args), host
key checking on, the same forks (= N), a fresh ControlPath dir per run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from measure import Measure, become_subreaper, measure, reap_orphans  # noqa: E402
from sshd_server import SshServer, start_sshd  # noqa: E402

WORKLOADS = ("many_tasks", "templating", "async_fanout", "async_poll")
EXPECTED = {"many_tasks": 20, "templating": 5, "async_fanout": 2, "async_poll": 1}
IDEAL = {"async_fanout": 2.0, "async_poll": 3.0}
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)"
                   r"\s+skipped=(\d+)", re.M)
TOOLS = ("miniplay", "ansible", "floor")


def ansible_playbook() -> str | None:
    beside = Path(sys.executable).parent / "ansible-playbook"
    found = os.environ.get("ANSIBLE_PLAYBOOK") or (str(beside) if beside.exists() else None)
    return found or shutil.which("ansible-playbook")


def write_inventory(server: SshServer, n: int, path: Path) -> Path:
    lines = ["[bench]", *(f"h{i:03d} ansible_host=127.0.0.1" for i in range(1, n + 1)),
             "[all:vars]", f"ansible_port={server.port}", f"ansible_user={server.user}",
             f"ansible_ssh_private_key_file={server.client_key}",
             "ansible_python_interpreter=/usr/bin/python3",
             f"ansible_ssh_common_args='-o UserKnownHostsFile={server.known_hosts} "
             "-o StrictHostKeyChecking=yes'"]
    path.write_text("\n".join(lines) + "\n")
    return path


def base_env() -> dict[str, str]:
    """This environment, but Python may write bytecode (as after `pip install`)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def warm_bytecode() -> None:
    """Compile miniplay's sources once, untimed.

    An editable install has no `__pycache__` until something writes one; with
    PYTHONDONTWRITEBYTECODE set (as in some sandboxes) every miniplay run would compile
    its ~100 source files again (measured: a fifth of its samples at 10 hosts), while
    ansible-core and asyncssh load the bytecode pip compiled. Compiling here puts every
    tool on the same footing: bytecode present, as a regular install leaves it.
    """
    spec = importlib.util.find_spec("miniplay")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if locations:
        subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", *locations],
                       env=base_env(), stdout=subprocess.DEVNULL, check=False)


def ansible_env(tmp: Path) -> dict[str, str]:
    (tmp / "ansible.cfg").write_text("# empty: settings come from the environment\n")
    (tmp / "cp").mkdir()
    return {**base_env(), "ANSIBLE_CONFIG": str(tmp / "ansible.cfg"),
            "ANSIBLE_PIPELINING": "True", "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(tmp / "cp"), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "False", "ANSIBLE_DEPRECATION_WARNINGS": "False",
            "ANSIBLE_LOCALHOST_WARNING": "False"}


def close_masters(tmp: Path) -> None:
    """End the ControlPersist masters ansible-playbook left (not timed)."""
    sockets = list((tmp / "cp").iterdir()) if (tmp / "cp").exists() else []
    for proc in [subprocess.Popen(["ssh", "-o", f"ControlPath={s}", "-O", "exit", "x"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for s in sockets]:
        proc.wait()
    reap_orphans(3.0 if sockets else 0.1)


def argv_for(tool: str, workload: str, n: int, inv: Path, server: SshServer) -> list[str]:
    playbook = str(HERE / "workloads" / f"{workload}.yml")
    if tool == "miniplay":
        return [sys.executable, "-m", "miniplay", playbook, "-i", str(inv), "-f", str(n)]
    if tool == "ansible":
        return [str(ansible_playbook()), "-i", str(inv), "-f", str(n), playbook]
    return [sys.executable, str(HERE / "floor.py"), workload, str(n), "--port", str(server.port),
            "--user", server.user, "--key", str(server.client_key),
            "--known-hosts", str(server.known_hosts)]


def check(tool: str, workload: str, n: int, m: Measure) -> str | None:
    """Why a run does not count (None if it does)."""
    if m.code != 0:
        return f"exit {m.code}"
    if tool == "floor":
        return None
    rows = RECAP.findall(m.output)
    good = [r for r in rows if r[2] == r[3] == "0" and int(r[1]) + int(r[4]) == EXPECTED[workload]]
    return None if len(rows) == n == len(good) else f"recap: {len(good)}/{n} hosts as expected"


def run_one(tool: str, workload: str, n: int, inv: Path, server: SshServer,
            timeout: float, logs: Path) -> tuple[Measure, str | None]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{tool}-") as name:
        tmp = Path(name)
        env = ansible_env(tmp) if tool == "ansible" else {**base_env(), "NO_COLOR": "1"}
        m = measure(argv_for(tool, workload, n, inv, server), env, tmp, timeout,
                    frozenset(server.pids))
        if tool == "ansible":
            close_masters(tmp)
    problem = check(tool, workload, n, m)
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"{tool}{'.failed' if problem else ''}.log").write_text(m.output)
    return m, problem


def ratios(rounds: list[dict[str, Measure]], top: str, bottom: str) -> list[float]:
    return [r[top].wall / r[bottom].wall for r in rounds if top in r and bottom in r]


def spread(values: list[float], unit: str = "") -> str:
    if not values:
        return "-"
    return (f"{statistics.median(values):.2f}{unit} "
            f"[{min(values):.2f}..{max(values):.2f}]")


def summarize(workload: str, n: int, rounds: list[dict[str, Measure]]) -> dict[str, object]:
    tools = [t for t in TOOLS if any(t in r for r in rounds)]
    summary: dict[str, object] = {"workload": workload, "n": n, "rounds": len(rounds)}
    for tool in tools:
        ms = [r[tool] for r in rounds if tool in r]
        summary[tool] = {"wall": [m.wall for m in ms], "cpu": [m.cpu for m in ms],
                         "max_rss_mb": max(m.max_rss_mb for m in ms),
                         "tree_rss_mb": max(m.tree_rss_mb for m in ms)}
    summary["ansible/miniplay"] = ratios(rounds, "ansible", "miniplay")
    summary["miniplay/floor"] = ratios(rounds, "miniplay", "floor")
    return summary


def print_summary(s: dict[str, object]) -> None:
    print(f"== {s['workload']} n={s['n']} ({s['rounds']} rounds, load average "
          f"{spread(s.get('load1') or [])})")  # type: ignore[arg-type]
    for tool in TOOLS:
        data = s.get(tool)
        if isinstance(data, dict):
            print(f"   {tool:9s} wall {spread(data['wall'], 's'):28s} cpu "
                  f"{statistics.median(data['cpu']):7.2f}s  max RSS {data['max_rss_mb']:6.0f} MB"
                  f"  tree RSS {data['tree_rss_mb']:7.0f} MB")
    for key in ("ansible/miniplay", "miniplay/floor"):
        print(f"   {key:17s} x{spread(s[key])}")  # type: ignore[arg-type]
    ideal, mini = IDEAL.get(str(s["workload"])), s.get("miniplay")
    if ideal and isinstance(mini, dict):
        print(f"   miniplay over ideal {ideal:g}s: +{statistics.median(mini['wall']) - ideal:.2f}s")


def run_case(workload: str, n: int, args: argparse.Namespace, server: SshServer,
             state: Path) -> tuple[dict[str, object], bool]:
    inv = write_inventory(server, n, state / f"inventory-{n}.ini")
    tools = list(args.tools)
    rounds: list[dict[str, Measure]] = []
    loads: list[float] = []
    ok = True
    for index in range(args.rounds):
        this: dict[str, Measure] = {}
        for tool in tools[index % len(tools):] + tools[:index % len(tools)]:
            m, problem = run_one(tool, workload, n, inv, server, args.timeout,
                                 state / "logs" / f"{workload}-n{n}-r{index}")
            loads.append(os.getloadavg()[0])
            print(f"   round {index + 1} {tool:9s} {m.wall:8.2f}s  load {loads[-1]:5.1f}"
                  f"{'  !! ' + problem if problem else ''}", flush=True)
            ok = ok and problem is None
            if problem is None:
                this[tool] = m
        rounds.append(this)
    summary = summarize(workload, n, rounds)
    summary["load1"] = [round(x, 1) for x in loads]
    print_summary(summary)
    return summary, ok


def markdown(summaries: list[dict[str, object]]) -> str:
    head = ("| workload | N | miniplay s | ansible s | floor s | ansible/miniplay | "
            "miniplay/floor | miniplay max RSS MB | ansible max / tree RSS MB |\n"
            "|---|---|---|---|---|---|---|---|---|\n")
    rows = []
    for s in summaries:
        def cell(tool: str, key: str = "wall", s: dict[str, object] = s) -> str:
            data = s.get(tool)
            return spread(data[key]) if isinstance(data, dict) else "-"
        ans, mini = s.get("ansible"), s.get("miniplay")
        mem = (f"{ans['max_rss_mb']:.0f} / {ans['tree_rss_mb']:.0f}"
               if isinstance(ans, dict) else "-")
        rows.append(f"| {s['workload']} | {s['n']} | {cell('miniplay')} | {cell('ansible')} | "
                    f"{cell('floor')} | x{spread(s['ansible/miniplay'])} | "  # type: ignore[arg-type]
                    f"x{spread(s['miniplay/floor'])} | "  # type: ignore[arg-type]
                    f"{mini['max_rss_mb'] if isinstance(mini, dict) else 0:.0f} | {mem} |")
    return head + "\n".join(rows) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-w", "--workloads", default=",".join(WORKLOADS))
    parser.add_argument("-n", "--hosts", default="10,50", help="comma list of host counts")
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument("-t", "--tools", default=",".join(TOOLS))
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--md", type=Path, help="also write a Markdown table here")
    args = parser.parse_args()
    args.tools = [t for t in args.tools.split(",") if t != "ansible" or ansible_playbook()]
    state = HERE / ".results"
    state.mkdir(exist_ok=True)
    warm_bytecode()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the sshd
    server = start_sshd(Path(tempfile.mkdtemp(prefix="miniplay-bench-sshd-")), ("127.0.0.1",))
    become_subreaper()  # after the sshd daemonized: its sessions and jobs are not ours
    summaries, ok = [], True
    try:
        for workload in args.workloads.split(","):
            for n in (int(x) for x in args.hosts.split(",")):
                summary, good = run_case(workload, n, args, server, state)
                summaries.append(summary)
                ok = ok and good
                with (state / "results.jsonl").open("a") as out:
                    out.write(json.dumps(summary) + "\n")
    finally:
        server.stop()
    if args.md:
        args.md.write_text(markdown(summaries))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
