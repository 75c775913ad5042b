"""Differential test: what `ansible-playbook --syntax-check` accepts, validate accepts.

Takes: ansible-core 2.19.14's integration targets (from its sdist, never copied here) and
`tests/fixtures/ansible_targets_accepted.txt`, the targets' playbooks that
`ansible-playbook --syntax-check` accepts. Gives: one test asserting `miniplay validate`
reports no wrongful error on any of them: warnings are allowed (findings that are only
probably wrong), and so are `not-built` refusals (what miniplay does not run, refused by
name as issue #12 asks); `KNOWN` lists, with reasons, the two errors kept on purpose.
Raises: nothing; skips when neither the sdist nor pip is there.

Why: issue #12 — miniplay must never reject what Ansible accepts. The targets are
ansible-core's own corpus of valid (and deliberately odd) playbooks.

How each target is run, as ansible-test runs it: a playbook `targets/NAME/FILE.yml` is
checked from its target's folder; a role target (a folder with `tasks/main.yml` and no
`runme.sh`) through a wrapper playbook (`hosts: testhost`, the role by name). Both tools
see `ANSIBLE_ROLES_PATH` set to the targets folder, as the targets' `runme.sh` do.

Remaking the list (after an ansible-core upgrade; about ten minutes):

    python tests/unit/test_validate_targets.py --remake
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ACCEPTED = HERE.parent / "fixtures" / "ansible_targets_accepted.txt"
VERSION = "2.19.14"

pytestmark = pytest.mark.slow


def sdist_root() -> Path:
    """The extracted ansible-core sdist: the lead's shared helper when present."""
    sys.path.insert(0, str(HERE.parent))
    try:
        from ansible_targets.targets_lib import sdist_root as shared  # type: ignore
    except ImportError:
        return _own_sdist_root()
    finally:
        sys.path.remove(str(HERE.parent))
    return Path(shared())


def _own_sdist_root() -> Path:
    """`$MINIPLAY_ANSIBLE_SDIST`, else a cache under ~/.cache/miniplay/ filled by pip."""
    given = os.environ.get("MINIPLAY_ANSIBLE_SDIST")
    if given:
        return Path(given)
    cache = Path.home() / ".cache" / "miniplay"
    root = cache / f"ansible_core-{VERSION}"
    if (root / "test" / "integration" / "targets").is_dir():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:",
                    "--no-deps", "--dest", str(cache), f"ansible-core=={VERSION}"],
                   check=True, capture_output=True)
    archive = next(cache.glob(f"ansible_core-{VERSION}.tar.gz"))
    shutil.unpack_archive(archive, cache)
    return root


def entries(targets: Path) -> list[str]:
    """Every candidate: `NAME/FILE.yml` playbooks and `role:NAME` role targets."""
    found: list[str] = []
    for folder in sorted(p for p in targets.iterdir() if p.is_dir()):
        found += [f"{folder.name}/{f.name}" for f in sorted(folder.iterdir())
                  if f.is_file() and f.suffix in (".yml", ".yaml")]
        if (folder / "tasks" / "main.yml").is_file() and not (folder / "runme.sh").exists():
            found.append(f"role:{folder.name}")
    return found


def _env(targets: Path, home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "MINIPLAY_"))}
    env.update(HOME=home, ANSIBLE_ROLES_PATH=str(targets), ANSIBLE_NOCOLOR="1",
               NO_COLOR="1", ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    return env


@contextmanager
def playbook_of(targets: Path, entry: str, scratch: Path) -> Iterator[tuple[Path, Path]]:
    """(playbook, folder to run from) for one entry; a role gets a wrapper playbook."""
    if not entry.startswith("role:"):
        path = targets / entry
        yield path, path.parent
        return
    name = entry.removeprefix("role:")
    wrapper = scratch / f"{name}-wrapper.yml"
    wrapper.write_text(json.dumps([{"hosts": "testhost", "gather_facts": True,
                                    "vars": {"output_dir": str(scratch)},
                                    "roles": [name]}], indent=2))
    try:
        yield wrapper, scratch
    finally:
        wrapper.unlink()


def _syntax_ok(targets: Path, entry: str, scratch: Path) -> bool:
    playbook_cmd = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent))
    with playbook_of(targets, entry, scratch) as (playbook, cwd):
        try:
            done = subprocess.run([playbook_cmd or "ansible-playbook", "--syntax-check",
                                   "-i", "localhost,", str(playbook)],
                                  cwd=cwd, env=_env(targets, str(scratch)),
                                  stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=120)
        except subprocess.TimeoutExpired:
            return False
    return done.returncode == 0


def remake(root: Path) -> list[str]:
    """The entries `ansible-playbook --syntax-check` accepts (two at a time)."""
    targets = root / "test" / "integration" / "targets"
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        scratches = [Path(first), Path(second)]
        todo = entries(targets)
        with ThreadPoolExecutor(2) as pool:
            verdicts = list(pool.map(lambda pair: _syntax_ok(targets, pair[1],
                                                             scratches[pair[0] % 2]),
                                     enumerate(todo)))
    return [entry for entry, ok in zip(todo, verdicts, strict=True) if ok]


def validate_errors(root: Path, accepted: list[str]) -> dict[str, list[str]]:
    """Entry -> the error lines `miniplay validate` reports for it (only entries with
    errors). Runs in this process, changing directory and environment per entry."""
    from miniplay.validate import validate_paths

    targets = root / "test" / "integration" / "targets"
    found: dict[str, list[str]] = {}
    saved_cwd, saved_env = os.getcwd(), dict(os.environ)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            os.environ.clear()
            os.environ.update(_env(targets, scratch))
            for entry in accepted:
                with playbook_of(targets, entry, Path(scratch)) as (playbook, cwd):
                    os.chdir(cwd)
                    diags = validate_paths([str(playbook)])
                errors = [f"[{d.rule}] {d.render().splitlines()[0]}" for d in diags
                          if d.severity == "error"]
                if errors:
                    found[entry] = errors
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
    return found


# Refusals by name of what miniplay does not build (issue #12 wants them refused before
# anything runs): not wrongful rejections. Every other error is one.
REFUSALS = ("not-built", "not-built-plugin")

# Accepted by syntax-check, yet an error here on purpose, each with its reason. The test
# fails when one of them goes away or another appears.
KNOWN = {
    # the role it includes imports a missing file: Ansible fails the run too (its
    # runme.sh expects "Could not find or access" three times)
    "include_import/test_nested_non_existent_tasks.yml": "missing-file",
}


def wrongful(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The errors that are neither a refusal by name nor a `KNOWN` one."""
    found: dict[str, list[str]] = {}
    for entry, lines in errors.items():
        rest = [line for line in lines
                if not line.startswith(tuple(f"[{rule}]" for rule in REFUSALS))
                and not line.startswith(f"[{KNOWN.get(entry)}]")]
        if rest:
            found[entry] = rest
    return found


def _accepted() -> list[str]:
    return [line for line in ACCEPTED.read_text().splitlines()
            if line and not line.startswith("#")]


def test_validate_accepts_what_syntax_check_accepts() -> None:
    try:
        root = sdist_root()
    except (OSError, RuntimeError, subprocess.SubprocessError, StopIteration) as exc:
        pytest.skip(f"ansible-core {VERSION} sdist not available: {exc}")
    accepted = _accepted()
    assert len(accepted) > 500, "the accepted list is unexpectedly short"
    errors = validate_errors(root, accepted)
    bad = wrongful(errors)
    report = "\n".join(f"{entry}: {line}" for entry, lines in bad.items() for line in lines)
    assert bad == {}, f"{sum(map(len, bad.values()))} wrongful error(s):\n{report}"
    still = {entry for entry, rule in KNOWN.items()
             if any(line.startswith(f"[{rule}]") for line in errors.get(entry, []))}
    assert still == set(KNOWN), f"no longer an error, drop from KNOWN: {set(KNOWN) - still}"


def main(argv: list[str]) -> int:
    """`--remake`: recompute the accepted list; `--report`: print validate's errors."""
    root = sdist_root()
    if "--remake" in argv:
        lines = remake(root)
        ACCEPTED.write_text(
            f"# ansible-core {VERSION} integration targets that "
            "`ansible-playbook --syntax-check` accepts.\n"
            "# Remake: python tests/unit/test_validate_targets.py --remake\n"
            + "".join(f"{line}\n" for line in lines))
        print(f"{len(lines)} accepted of {len(entries(root / 'test/integration/targets'))}")
    if "--report" in argv:
        errors = validate_errors(root, _accepted())
        for entry, lines in errors.items():
            for line in lines:
                print(f"{entry}: {line}")
        bad = wrongful(errors)
        print(f"{sum(map(len, errors.values()))} error(s) in {len(errors)} entries; "
              f"{sum(map(len, bad.values()))} wrongful in {len(bad)} entries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
