"""Conformance harness: run one playbook under ansible-playbook and miniplay, compare.

Takes: a fixture playbook in tests/fixtures/conformance/ (with its header comments),
a scratch directory. Gives: `Case` (the parsed header), `Run` (exit code + JSON
document of one tool), `normalise` and `compare` (a list of human-readable
differences, empty when the runs agree). Raises: nothing for differences; a tool that
cannot be started raises `FileNotFoundError`/`subprocess.TimeoutExpired`.

Why this way: ansible is the oracle, so both tools always run, each in its own copy of
the fixture directory with its own HOME (async job files and ~/.ansible stay apart and
parallel runs cannot collide). Both print the same document shape (ansible through
callback_plugins/miniplay_json.py), so one comparer serves. Volatile fields (times,
job ids, temp paths, `invocation`, internal `_ansible_*` keys, uuids) are normalised
away; everything else in a result is compared, per task and host, with the derived
status, the task sequence, the stats and the exit code.

Header lines (leading `#` comments of the playbook):
  # conformance: args: -e x=1 -C      extra command-line arguments for both tools
  # conformance: needs: async         skipped when listed in MINIPLAY_CONFORMANCE_SKIP
  # conformance: ignore-keys: a, b    keys left out of the comparison (any depth)
  # conformance: ignore-keys: msg @ task name    ... only in the task(s) of that name
  # deviation: text                   a deliberate difference, explained (README lists them)

SSH mode (`SshTarget`, used by test_conformance_ssh.py): the same run against a real
sshd on loopback. The copy's inventory.ini is replaced by ssh_inventory.ini (same
groups, hosts and variables; each host an alias 127.0.0.N of the server, its key checked
against the server's own known_hosts), host key checking is on for both tools, and
ansible gets pipelining plus a short ControlPath dir under /tmp whose ControlPersist
masters are closed after the run. Without `ssh` every function behaves as before.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "conformance"
CALLBACKS = HERE / "callback_plugins"
SSH_INVENTORY = FIXTURES / "ssh_inventory.ini"
TIMEOUT = 180

# Keys whose values change from run to run, or that only one tool can know.
VOLATILE_KEYS = frozenset(
    {
        "start",
        "end",
        "delta",
        "invocation",
        "ansible_job_id",
        "results_file",
        "exception",
        "warnings",
        "deprecations",
        "duration",
        "id",
        "failed_when_suppressed_exception",
    }
)
_JID = re.compile(r"\bj\d+\.\d+\b")


@dataclass(frozen=True)
class Case:
    """One fixture playbook and what its header asks for."""

    path: Path
    args: tuple[str, ...] = ()
    needs: frozenset[str] = frozenset()
    ignores: tuple[tuple[str, frozenset[str]], ...] = ()  # (task name or "", keys)
    deviations: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.stem

    def ignored_keys(self, task_name: str) -> frozenset[str]:
        """Keys left out of the comparison for results of `task_name`."""
        keys: set[str] = set()
        for task, names in self.ignores:
            if task in ("", task_name):
                keys |= names
        return frozenset(keys)


@dataclass(frozen=True)
class SshTarget:
    """Where the SSH mode connects: a test sshd listening on 127.0.0.2-.4 (and .1)."""

    port: int
    user: str
    key: Path
    known_hosts: Path

    def inventory(self, python: str) -> str:
        """ssh_inventory.ini with this server's settings filled in."""
        text = SSH_INVENTORY.read_text(encoding="utf-8")
        for marker, value in (
            ("@PYTHON@", python),
            ("@PORT@", str(self.port)),
            ("@USER@", self.user),
            ("@KEY@", str(self.key)),
            ("@KNOWN_HOSTS@", str(self.known_hosts)),
        ):
            text = text.replace(marker, value)
        return text


@dataclass
class Run:
    """What one tool did with a case."""

    tool: str
    exit_code: int
    document: dict[str, Any] | None
    stdout: str = ""
    stderr: str = ""
    workdir: Path = field(default_factory=Path)
    home: Path = field(default_factory=Path)


def parse_case(path: Path) -> Case:
    """Read the leading comment block of a fixture into a `Case`."""
    args: list[str] = []
    needs: set[str] = set()
    ignores: list[tuple[str, frozenset[str]]] = []
    deviations: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        key, _, value = text.partition(":")
        if key == "deviation":
            deviations.append(value.strip())
        elif key == "conformance":
            kind, _, rest = value.strip().partition(":")
            words = [w for w in re.split(r"[,\s]+", rest.strip()) if w]
            if kind == "args":
                args += shlex.split(rest)
            elif kind == "needs":
                needs.update(words)
            elif kind == "ignore-keys":
                keys, _, task = rest.partition("@")
                names = frozenset(w for w in re.split(r"[,\s]+", keys.strip()) if w)
                ignores.append((task.strip(), names))
    return Case(path, tuple(args), frozenset(needs), tuple(ignores), tuple(deviations))


def all_cases() -> list[Case]:
    """Every fixture playbook, sorted by name."""
    return [parse_case(p) for p in sorted(FIXTURES.glob("*.yml"))]


def skipped_features() -> frozenset[str]:
    """Features named in MINIPLAY_CONFORMANCE_SKIP (comma or space separated)."""
    raw = os.environ.get("MINIPLAY_CONFORMANCE_SKIP", "")
    return frozenset(w for w in re.split(r"[,\s]+", raw) if w)


# -- running ------------------------------------------------------------------------------


def prepare(scratch: Path, tool: str, ssh: SshTarget | None = None) -> tuple[Path, Path]:
    """A private copy of the fixture directory and a HOME for one tool."""
    workdir = scratch / tool / "play"
    home = scratch / tool / "home"
    shutil.copytree(FIXTURES, workdir)
    home.mkdir(parents=True)
    inventory = workdir / "inventory.ini"
    if ssh is not None:
        text = ssh.inventory(sys.executable)
    else:
        text = inventory.read_text(encoding="utf-8").replace("@PYTHON@", sys.executable)
    inventory.write_text(text, encoding="utf-8")
    return workdir, home


def ssh_env(env: dict[str, str], control_dir: Path) -> dict[str, str]:
    """`env` for the SSH mode: no ssh-agent, host keys checked, ansible pipelined with
    ControlPersist masters in `control_dir` (short: a socket path has ~100 bytes)."""
    env = {k: v for k, v in env.items() if k != "SSH_AUTH_SOCK"}
    env.update(
        ANSIBLE_HOST_KEY_CHECKING="True",
        ANSIBLE_PIPELINING="True",
        ANSIBLE_SSH_CONTROL_PATH_DIR=str(control_dir),
    )
    return env


def close_masters(control_dir: Path) -> None:
    """End the ControlPersist masters ansible-playbook left in `control_dir`, remove it."""
    sockets = list(control_dir.iterdir()) if control_dir.exists() else []
    for proc in [
        subprocess.Popen(
            ["ssh", "-o", f"ControlPath={s}", "-O", "exit", "x"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for s in sockets
    ]:
        proc.wait(timeout=30)
    shutil.rmtree(control_dir, ignore_errors=True)


_SHARED_CLOSED = re.compile(r"Shared connection to \S+ closed\.\r?\n?")


def untty_raw(document: dict[str, Any] | None) -> None:
    """Undo what OpenSSH's tty does to ansible's `raw` results over SSH, in place.

    ansible runs `raw` with `ssh -tt`: the pty turns each `\\n` of stdout into `\\r\\n`
    and the client adds "Shared connection to HOST closed." to stderr. miniplay runs raw
    on a plain exec channel. Those bytes are the SSH client's, not the module's, so the
    SSH mode removes them from ansible's document (the `_lines` are rebuilt) before
    comparing; everything else in the result is still compared.
    """
    for play in (document or {}).get("plays", []):
        for task in play.get("tasks", []):
            for result in task.get("hosts", {}).values():
                if str(result.get("action", "")).rpartition(".")[2] == "raw":
                    for item in [result, *result.get("results", [])]:
                        _untty(item)


def _untty(result: dict[str, Any]) -> None:
    for key in ("stdout", "stderr"):
        if isinstance(result.get(key), str):
            text = result[key].replace("\r\n", "\n")
            if key == "stderr":
                text = _SHARED_CLOSED.sub("", text)
            result[key] = text
            if f"{key}_lines" in result:
                result[f"{key}_lines"] = text.splitlines()


def tool_env(home: Path) -> dict[str, str]:
    """The environment both tools run in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        HOME=str(home),
        NO_COLOR="1",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_STDOUT_CALLBACK="miniplay_json",
        ANSIBLE_DEPRECATION_WARNINGS="False",
        ANSIBLE_CONFIG=str(home / "none.cfg"),
        # Absolute: ansible expands `~` for async_status from the passwd home, but the
        # job writer from $HOME; with a scratch HOME they would disagree.
        ANSIBLE_ASYNC_DIR=str(home / ".ansible_async"),
    )
    return env


def ansible_playbook() -> str:
    """ansible-playbook next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.exists():
        return str(beside)
    return shutil.which("ansible-playbook") or "ansible-playbook"


def command_for(tool: str, case: Case) -> list[str]:
    """The command line of `tool` for `case` (run from the case's copied directory)."""
    playbook = case.path.name
    if tool == "ansible":
        return [ansible_playbook(), playbook, "-i", "inventory.ini", *case.args]
    return [
        sys.executable,
        "-m",
        "miniplay",
        playbook,
        "-i",
        "inventory.ini",
        "-o",
        "json",
        *case.args,
    ]


def run_tool(tool: str, case: Case, scratch: Path, ssh: SshTarget | None = None) -> Run:
    """Run `tool` ("ansible" or "miniplay") on `case` in a fresh copy under `scratch`;
    over SSH to `ssh`'s server when given."""
    workdir, home = prepare(scratch, tool, ssh)
    env = tool_env(home)
    control_dir = None
    if ssh is not None:
        control_dir = Path(tempfile.mkdtemp(prefix="mpcp-", dir="/tmp"))
        env = ssh_env(env, control_dir)
    try:
        proc = subprocess.run(
            command_for(tool, case),
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    finally:
        if control_dir is not None:
            close_masters(control_dir)
    document = extract_document(proc.stdout)
    return Run(tool, proc.returncode, document, proc.stdout, proc.stderr, workdir, home)


def extract_document(stdout: str) -> dict[str, Any] | None:
    """The JSON document at the end of stdout (lines before it are ignored)."""
    if stdout.startswith("{"):
        start = 0
    elif (found := stdout.find("\n{")) >= 0:
        start = found + 1
    else:
        return None
    try:
        value = json.loads(stdout[start:])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


# -- normalising --------------------------------------------------------------------------


def normalise(value: Any, run: Run, ignore: frozenset[str] = frozenset()) -> Any:
    """`value` without volatile keys, with temp paths and job ids replaced by markers."""
    if isinstance(value, Mapping):
        return {
            k: normalise(v, run, ignore)
            for k, v in value.items()
            if k not in VOLATILE_KEYS and k not in ignore and not str(k).startswith("_ansible_")
        }
    if isinstance(value, list):
        return [normalise(v, run, ignore) for v in value]
    if isinstance(value, str):
        return normalise_text(value, run)
    return value


def normalise_text(text: str, run: Run) -> str:
    """Replace this run's directories and async job ids with stable markers."""
    for path, marker in ((run.workdir, "<dir>"), (run.home, "<home>")):
        if str(path) not in (".", ""):
            text = text.replace(str(path), marker)
    return _JID.sub("<jid>", text)


def short_path(path: str) -> str:
    """`/tmp/x/play/loops.yml:12` -> `loops.yml:12` (columns dropped)."""
    file, _, rest = path.rpartition("/")[2].partition(":")
    return f"{file}:{rest.split(':')[0]}" if rest else file


def status_of(result: Mapping[str, Any]) -> str:
    """The status a host entry stands for, as the default callback would print it."""
    for flag in ("unreachable", "failed", "skipped"):
        if result.get(flag) is True:
            return flag
    return "changed" if result.get("changed") else "ok"


# -- comparing ----------------------------------------------------------------------------


def compare(ansible: Run, miniplay: Run, case: Case) -> list[str]:
    """Every difference between the two runs, one line each; empty when they agree."""
    diffs: list[str] = []
    if ansible.exit_code != miniplay.exit_code:
        diffs.append(f"exit code: ansible={ansible.exit_code} miniplay={miniplay.exit_code}")
    if ansible.document is None or miniplay.document is None:
        if (ansible.document is None) != (miniplay.document is None):
            diffs.append(f"document: ansible={_has(ansible)} miniplay={_has(miniplay)}")
        return diffs
    diffs += _compare_stats(ansible.document, miniplay.document)
    diffs += _compare_plays(ansible, miniplay, case)
    return diffs


def _has(run: Run) -> str:
    return "present" if run.document is not None else "missing"


def _compare_stats(a: Mapping[str, Any], m: Mapping[str, Any]) -> list[str]:
    return diff_values(a.get("stats", {}), m.get("stats", {}), "stats")


def task_sequence(doc: Mapping[str, Any]) -> list[str]:
    """`play name / task name` for every task entry, in order."""
    return [
        f"{p['play']['name']} / {t['task']['name']}"
        for p in doc.get("plays", [])
        for t in p.get("tasks", [])
    ]


def _compare_plays(ansible: Run, miniplay: Run, case: Case) -> list[str]:
    assert ansible.document is not None
    assert miniplay.document is not None
    seq_a, seq_m = task_sequence(ansible.document), task_sequence(miniplay.document)
    if seq_a != seq_m:
        return [f"task sequence:\n  ansible:  {seq_a}\n  miniplay: {seq_m}"]
    diffs: list[str] = []
    for where, entry_a, entry_m in _task_pairs(ansible.document, miniplay.document):
        diffs += _compare_task(where, entry_a, entry_m, ansible, miniplay, case)
    return diffs


def _task_pairs(a: Mapping[str, Any], m: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    for pi, (play_a, play_m) in enumerate(zip(a["plays"], m["plays"], strict=True), 1):
        for ti, (ta, tm) in enumerate(zip(play_a["tasks"], play_m["tasks"], strict=True), 1):
            yield f"play {pi} task {ti} [{ta['task']['name']}]", ta, tm


def _compare_task(
    where: str,
    a: Mapping[str, Any],
    m: Mapping[str, Any],
    ansible: Run,
    miniplay: Run,
    case: Case,
) -> list[str]:
    diffs: list[str] = []
    ignore = case.ignored_keys(a["task"]["name"])
    path_a, path_m = short_path(a["task"]["path"]), short_path(m["task"]["path"])
    if "path" not in ignore and path_a != path_m:
        diffs.append(f"{where}: path: ansible={path_a} miniplay={path_m}")
    hosts_a, hosts_m = a.get("hosts", {}), m.get("hosts", {})
    if sorted(hosts_a) != sorted(hosts_m):
        diffs.append(f"{where}: hosts: ansible={sorted(hosts_a)} miniplay={sorted(hosts_m)}")
    for host in sorted(set(hosts_a) & set(hosts_m)):
        ra, rm = hosts_a[host], hosts_m[host]
        if status_of(ra) != status_of(rm):
            diffs.append(
                f"{where} {host}: status: ansible={status_of(ra)} miniplay={status_of(rm)}"
            )
        na = normalise(ra, ansible, ignore)
        nm = normalise(rm, miniplay, ignore)
        diffs += diff_values(na, nm, f"{where} {host}")
    return diffs


def diff_values(a: Any, m: Any, where: str) -> list[str]:
    """Differences between two JSON values, as `where.key[i]: ansible=.. miniplay=..`."""
    if isinstance(a, Mapping) and isinstance(m, Mapping):
        diffs: list[str] = []
        for key in sorted(set(a) | set(m), key=str):
            if key not in m:
                diffs.append(f"{where}.{key}: only in ansible: {_show(a[key])}")
            elif key not in a:
                diffs.append(f"{where}.{key}: only in miniplay: {_show(m[key])}")
            else:
                diffs += diff_values(a[key], m[key], f"{where}.{key}")
        return diffs
    if isinstance(a, list) and isinstance(m, list) and len(a) == len(m):
        return [
            d
            for i, (x, y) in enumerate(zip(a, m, strict=True))
            for d in diff_values(x, y, f"{where}[{i}]")
        ]
    if a == m and type(a) is type(m):
        return []
    return [f"{where}: ansible={_show(a)} miniplay={_show(m)}"]


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 200 else text[:197] + "..."
