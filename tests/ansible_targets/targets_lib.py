"""ansible-core's own integration targets, run the way ansible-test runs them.

Takes: a target name from ansible-core 2.19's source distribution and a tool
(`miniplay` or `ansible`). Gives: `TargetRun` (passed, exit code, the output's tail).
Raises: `SdistUnavailable` when the sdist can be neither found nor downloaded.

Why this way: the targets are code nobody here wrote, so they are taken from the sdist on
PyPI (downloaded once, cached) and never copied into the repo. Each run works on a fresh
copy of the whole `targets/` tree (targets reach each other through `../setup_*` paths and
roles such as `setup_remote_tmp_dir`, and some write into their own folder), with the
environment ansible-test sets: an inventory whose `testhost` is `ansible_connection=local`,
`ANSIBLE_ROLES_PATH` at the targets, `OUTPUT_DIR`, handlers forced, its `virtualenv.sh`
helper on `PATH`, and the user's own `HOME` (as ansible-test keeps it).

- A role target runs through the wrapper playbook ansible-test writes: `hosts: testhost`,
  facts gathered unless the aliases say `gather_facts/no/`, `output_dir` as a play var,
  the role itself.
- A script target runs its `runme.sh` with a `bin/` first on `PATH` whose
  `ansible-playbook` is the tool under test. The other `ansible-*` commands in that
  folder refuse to run under miniplay (they are not part of it), so a script target can
  only pass on what miniplay itself did.
- `setup/always/X` and `setup/once/X` aliases run those setup targets first, as
  ansible-test does.

A target passes when its own checks pass: exit code 0. No oracle is needed for that; the
ansible baseline in targets.yml only records that it passes under ansible-playbook here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ANSIBLE_VERSION = "2.19.14"
SDIST_NAME = f"ansible_core-{ANSIBLE_VERSION}"
HERE = Path(__file__).resolve().parent
STATE_FILE = HERE / "targets.yml"
REPO = HERE.parent.parent
TIMEOUT = 280

# ansible-* commands other than ansible-playbook: refused under miniplay.
OTHER_COMMANDS = (
    "ansible", "ansible-config", "ansible-console", "ansible-doc", "ansible-galaxy",
    "ansible-inventory", "ansible-pull", "ansible-test", "ansible-vault",
)


class SdistUnavailable(RuntimeError):
    """The ansible-core sdist is not cached and could not be downloaded."""


@dataclass(frozen=True)
class TargetRun:
    """One run of one target under one tool."""

    target: str
    tool: str
    exit_code: int
    output: str

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    def tail(self, chars: int = 4000) -> str:
        return self.output[-chars:]


def cache_dir() -> Path:
    """Where the sdist is downloaded and unpacked (MINIPLAY_CACHE overrides)."""
    base = os.environ.get("MINIPLAY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "miniplay")
    return Path(base)


def sdist_root() -> Path:
    """The unpacked ansible-core sdist: MINIPLAY_ANSIBLE_SDIST, else the cache, else PyPI.

    The download is `pip download --no-binary :all: --no-deps ansible-core==VERSION`, the
    same file every time (the version is pinned so the baseline stays true).
    """
    given = os.environ.get("MINIPLAY_ANSIBLE_SDIST")
    if given:
        root = Path(given)
        if not (root / "test" / "integration" / "targets").is_dir():
            raise SdistUnavailable(
                f"MINIPLAY_ANSIBLE_SDIST={given} holds no test/integration/targets")
        return root
    cache = cache_dir()
    root = cache / SDIST_NAME
    if (root / "test" / "integration" / "targets").is_dir():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"{SDIST_NAME}.tar.gz"
    if not archive.exists():
        _download(cache)
    _unpack(archive, cache)
    return root


def _download(cache: Path) -> None:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
               "--no-deps", f"ansible-core=={ANSIBLE_VERSION}", "-d", str(cache)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise SdistUnavailable(f"pip download failed:\n{done.stderr[-2000:]}")


def _unpack(archive: Path, cache: Path) -> None:
    staging = Path(tempfile.mkdtemp(dir=cache, prefix=".unpack-"))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="tar")
        (staging / SDIST_NAME).rename(cache / SDIST_NAME)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def targets_dir() -> Path:
    return sdist_root() / "test" / "integration" / "targets"


def aliases(target: str, root: Path | None = None) -> list[str]:
    """The target's `aliases` lines (comments dropped)."""
    path = (root or targets_dir()) / target / "aliases"
    if not path.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def is_script(target: str, root: Path | None = None) -> bool:
    return ((root or targets_dir()) / target / "runme.sh").exists()


def setup_targets(target: str, root: Path | None = None) -> list[str]:
    """The setup targets ansible-test runs before `target` (always and once alike)."""
    found = []
    for alias in aliases(target, root):
        for prefix in ("setup/always/", "setup/once/"):
            if alias.startswith(prefix):
                found.append(alias[len(prefix):].rstrip("/"))
    return found


def _tool_command(tool: str) -> list[str]:
    if tool == "miniplay":
        return [sys.executable, "-m", "miniplay"]
    return [str(Path(sys.executable).with_name("ansible-playbook"))]


def _write_bin(bin_dir: Path, tool: str) -> None:
    """`ansible-playbook` (and, for ansible, the other commands) for script targets."""
    bin_dir.mkdir()
    python_bin = Path(sys.executable).parent
    playbook = " ".join(_tool_command(tool))
    scripts = {"ansible-playbook": f'exec {playbook} "$@"\n',
               "python.py": f'exec {sys.executable} "$@"\n'}  # ansible-test's injector
    for name in OTHER_COMMANDS:
        if tool == "ansible":
            scripts[name] = f'exec {python_bin / name} "$@"\n'
        else:
            scripts[name] = (f'echo "{name}: not part of miniplay (target runner)" >&2\n'
                             "exit 127\n")
    injector = sdist_root() / "test/lib/ansible_test/_util/target/injector/virtualenv.sh"
    if injector.exists():  # `source virtualenv.sh` in some runme.sh: a fresh venv
        shutil.copy(injector, bin_dir / "virtualenv.sh")
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)


def _inventory(path: Path) -> None:
    path.write_text(
        "[testgroup]\n"
        f"testhost ansible_connection=local ansible_pipelining=yes "
        f"ansible_python_interpreter={sys.executable}\n")


def _environment(work: Path, tool: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "MINIPLAY_", "PYTEST_"))}
    output_dir = work / "output_dir"
    output_dir.mkdir()
    junit = work / "junit"
    junit.mkdir()
    env.update(
        PATH=f"{work / 'bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
             f"{env.get('PATH', '/usr/bin:/bin')}",
        ANSIBLE_ROLES_PATH=str(work / "integration" / "targets"),
        ANSIBLE_FORCE_HANDLERS="true",
        ANSIBLE_HOST_KEY_CHECKING="false",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_DEPRECATION_WARNINGS="false",
        ANSIBLE_DEVEL_WARNING="false",
        ANSIBLE_NOCOLOR="1",
        NO_COLOR="1",
        ANSIBLE_INVENTORY="/dev/null",
        ANSIBLE_PYTHON_INTERPRETER="/set/ansible_python_interpreter/in/inventory",
        ANSIBLE_TEST_ANSIBLE_VERSION=ANSIBLE_VERSION,
        ANSIBLE_TEST_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_TEST_PYTHON_VERSION=f"{sys.version_info[0]}.{sys.version_info[1]}",
        ANSIBLE_PYTHON_MODULE_RLIMIT_NOFILE="1024",
        ANSIBLE_CALLBACKS_ENABLED="junit",
        JUNIT_OUTPUT_DIR=str(junit),
        JUNIT_TASK_RELATIVE_PATH=str(work),
        JUNIT_REPLACE_OUT_OF_TREE_PATH="out-of-tree:",
        OUTPUT_DIR=str(output_dir),
        INVENTORY_PATH=str(work / "integration" / "inventory"),
        PAGER="/bin/cat",
    )
    # ansible-test puts ansible's own package on PYTHONPATH (helper scripts import it,
    # also from the venvs virtualenv.sh makes); miniplay's source goes first for miniplay.
    paths = [str(Path(ansible_package()).parent)]
    if tool == "miniplay":
        paths.insert(0, str(REPO / "src"))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def ansible_package() -> str:
    """The installed ansible package's directory (a test dependency)."""
    import ansible

    return os.path.dirname(ansible.__file__)


def _role_playbook(target: str, output_dir: Path, root: Path) -> str:
    tags = aliases(target, root)
    gather = "gather_facts/no/" not in tags
    return (f"- hosts: testhost\n  gather_facts: {'true' if gather else 'false'}\n"
            f"  vars:\n    output_dir: {output_dir}\n  roles:\n    - {target}\n")


def _run_one(target: str, tool: str, work: Path, env: dict[str, str]) -> tuple[int, str]:
    integration = work / "integration"
    root = integration / "targets"
    if is_script(target, root):
        cwd = root / target
        command = ["bash", "./runme.sh"]
        env = {**env, "ANSIBLE_PLAYBOOK_DIR": str(cwd)}
    else:
        playbook = integration / f"{target}-wrapper.yml"
        playbook.write_text(_role_playbook(target, Path(env["OUTPUT_DIR"]), root))
        cwd = integration
        command = [*_tool_command(tool), playbook.name, "-i", "inventory"]
        env = {**env, "ANSIBLE_PLAYBOOK_DIR": str(cwd)}
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True,
                              encoding="utf-8", errors="replace", timeout=TIMEOUT,
                              check=False, stdin=subprocess.DEVNULL, start_new_session=True)
    except subprocess.TimeoutExpired as exc:
        raw = exc.stdout or b""
        out = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        return 124, f"{out or ''}\n[timed out after {TIMEOUT} s]"
    return done.returncode, done.stdout + done.stderr


def run_target(target: str, tool: str, scratch: Path | None = None) -> TargetRun:
    """Run `target` (after its setup targets) under `tool` in a fresh copy of the targets."""
    source = targets_dir()
    owned = scratch is None
    work = Path(tempfile.mkdtemp(prefix=f"target-{target}-")) if scratch is None else scratch
    try:
        integration = work / "integration"
        integration.mkdir(parents=True)
        shutil.copytree(source, integration / "targets", symlinks=True)
        _inventory(integration / "inventory")
        _write_bin(work / "bin", tool)
        env = _environment(work, tool)
        log = []
        for name in [*setup_targets(target, source), target]:
            code, output = _run_one(name, tool, work, env)
            log.append(f"=== {name} ({tool}): exit {code}\n{output}")
            if code != 0:
                return TargetRun(target, tool, code, "\n".join(log))
        return TargetRun(target, tool, 0, "\n".join(log))
    finally:
        if owned:
            shutil.rmtree(work, ignore_errors=True)
