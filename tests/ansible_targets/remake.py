"""Remake the target list and the states in targets.yml.

    python tests/ansible_targets/remake.py candidates            # the selection rule's list
    python tests/ansible_targets/remake.py run ansible  OUT.jsonl [TARGET...]
    python tests/ansible_targets/remake.py run miniplay OUT.jsonl [TARGET...]
    python tests/ansible_targets/remake.py state ANSIBLE.jsonl MINIPLAY.jsonl  # targets.yml

`run` appends one JSON line per target ({"target", "tool", "exit", "tail"}) to OUT.jsonl,
skipping targets already there, so an interrupted run can go on. The baseline in
targets.yml is `run ansible` over the candidates on this machine: a candidate that fails
under ansible-playbook here is not selected.

The selection rule (why a target is not a candidate):
- its aliases say it cannot run here: unsupported, disabled, hidden (setup roles),
  Windows, network devices, cloud services, `needs/httptester` (network services
  beyond loopback), `needs/ssh` (another host over SSH), `needs/privileged`;
- it tests another ansible command than ansible-playbook (ansible-test, ansible-galaxy,
  ansible-doc, ansible-inventory, ansible-config, ansible-console, ansible-pull,
  ansible-vault, ad-hoc `ansible`), or inventory plugins, collections loading,
  module_utils packaging, or the controller's own Python packaging;
- it is the target of a module miniplay does not have (apt, dnf, git, user, service…:
  SKIPPED_MODULE_TARGETS) or one that needs internet (url lookups, get_url, uri).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from targets_lib import (
    ANSIBLE_VERSION,
    STATE_FILE,
    aliases,
    is_script,
    run_target,
    targets_dir,
)

EXCLUDED_ALIASES = re.compile(
    r"^(unsupported|disabled|hidden|windows|network|cloud/|needs/httptester|needs/ssh"
    r"|needs/privileged)")

OTHER_TOOLS = re.compile(
    r"^(ansible-.*|ansible|adhoc|cli|inventory.*|collections_.*|module_utils.*"
    r"|packaging_cli-doc|entry_points|pkg_resources|setup_.*|prepare_.*)$")

SKIPPED_MODULE_TARGETS = frozenset({
    "apt", "apt_key", "apt_repository", "dnf", "dnf-oldest", "yum_repository", "rpm_key",
    "deb822_repository", "debconf", "dpkg_selections", "git", "subversion", "user", "group",
    "getent", "service", "service_facts", "systemd", "cron", "pip", "package",
    "package_facts", "iptables", "hostname", "known_hosts", "mount_facts", "unarchive",
    "expect", "reboot", "hardware_facts", "connection_paramiko_ssh", "connection_ssh",
    "ssh_agent", "binary_modules_posix", "become_unprivileged", "missing_required_lib",
    "wait_for", "uri", "get_url", "lookup_url", "lookup_password", "protomatter",
    "fork_safe_stdio", "facts_linux_network",
})


def candidates() -> list[str]:
    root = targets_dir()
    chosen = []
    for path in sorted(root.iterdir()):
        name = path.name
        tags = aliases(name, root)
        if not path.is_dir() or OTHER_TOOLS.match(name) or name in SKIPPED_MODULE_TARGETS:
            continue
        if any(EXCLUDED_ALIASES.match(tag) for tag in tags):
            continue
        if not any(tag.startswith(("shippable/posix", "context/controller", "context/target"))
                   for tag in tags):
            continue
        chosen.append(name)
    return chosen


def run(tool: str, out: Path, names: list[str]) -> None:
    done = set()
    if out.exists():
        done = {json.loads(line)["target"] for line in out.read_text().splitlines() if line}
    for name in names or candidates():
        if name in done:
            continue
        result = run_target(name, tool)
        with out.open("a") as stream:
            stream.write(json.dumps({"target": name, "tool": tool, "exit": result.exit_code,
                                     "tail": result.tail(3000)}) + "\n")
        print(f"{name}: {result.exit_code}", flush=True)


def _first(lines: list[str], *marks: str) -> str:
    for line in lines:
        if any(mark in line for mark in marks):
            return line.strip()[:240]
    return ""


_TEMP = re.compile(r"/tmp/target-[^/\s]+/integration/targets/")


def classify(tail: str) -> tuple[str, str]:
    """(`refused` or `wrong`, why) for a failed miniplay run, from its output: refused
    when miniplay stopped before running (its `file:line:col: error:` or `error:` lines,
    or another ansible command the runner does not provide), else wrong, with the first
    task failure."""
    lines = [_TEMP.sub("", line) for line in tail.splitlines()]
    for line in lines:
        if match := _OTHER.search(line):
            return "refused", f"runs `{match.group(1)}`, another command than ansible-playbook"
    refusal = next((line for line in lines if _REFUSAL.search(line)), "")
    if refusal:
        return "refused", _REFUSAL.split(refusal, 1)[-1].strip()[:240]
    failure = _first(lines, "[ERROR]: Task failed", "fatal: [", "failed: [", "Traceback")
    last = next((line.strip() for line in reversed(lines) if line.strip()), "")
    return "wrong", failure or f"runme.sh stops at: {last[:200]}"


_OTHER = re.compile(r"(ansible[-a-z]*): not part of miniplay \(target runner\)")
_REFUSAL = re.compile(r"^(?:\S+:\d+:\d+: )?error: ")


def _jsonl(path: Path) -> dict[str, dict[str, Any]]:
    return {d["target"]: d for d in map(json.loads, path.read_text().splitlines())}


def write_state(ansible_out: Path, miniplay_out: Path) -> None:
    """targets.yml from a baseline and a miniplay run (each reason from that run)."""
    yaml = YAML()
    baseline, mine = _jsonl(ansible_out), _jsonl(miniplay_out)
    targets: dict[str, dict[str, str]] = {}
    excluded: dict[str, str] = {}
    for name in candidates():
        if baseline[name]["exit"] != 0:
            excluded[name] = f"fails under ansible-playbook here (exit {baseline[name]['exit']})"
            continue
        run = mine.get(name)
        entry = {"kind": "script" if is_script(name) else "role"}
        if run is not None and run["exit"] == 0:
            entry["state"] = "pass"
        else:
            state, why = classify(run["tail"]) if run else ("wrong", "not run")
            entry.update(state=state, why=why)
        targets[name] = entry
    document = {"ansible_core": ANSIBLE_VERSION,
                "remake": "python tests/ansible_targets/remake.py run ansible A.jsonl && "
                          "python tests/ansible_targets/remake.py run miniplay M.jsonl && "
                          "python tests/ansible_targets/remake.py state A.jsonl M.jsonl",
                "targets": targets, "excluded": excluded}
    with STATE_FILE.open("w") as stream:
        stream.write(HEADER)
        yaml.dump(document, stream)


HEADER = """\
# ansible-core's integration targets under miniplay (see targets_lib.py and remake.py).
# state: pass (CI fails when it stops passing), refused (miniplay refuses something the
# target uses, named in `why`), wrong (runs but fails; `why` is the first failure).
# excluded: candidates of remake.py's rule that fail under ansible-playbook here.
"""


def main(argv: list[str]) -> int:
    if argv[:1] == ["candidates"]:
        print("\n".join(candidates()))
        return 0
    if argv[:1] == ["state"] and len(argv) == 3:
        write_state(Path(argv[1]), Path(argv[2]))
        return 0
    if argv[:1] == ["run"] and len(argv) >= 3:
        run(argv[1], Path(argv[2]), argv[3:])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
