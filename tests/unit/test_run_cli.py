"""Running playbooks through the real CLI on local hosts: output, exit codes, safety."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

REPO = Path(__file__).resolve().parents[2]
VOLATILE = [
    (re.compile(r'"(start|end)": "[^"]*"'), r'"\1": "<time>"'),
    (re.compile(r'"delta": "[^"]*"'), '"delta": "<delta>"'),
    (re.compile(r"j\d+\.\d+"), "<jid>"),
    (re.compile(r'"(id)": "[0-9a-f-]{36}"'), r'"\1": "<uuid>"'),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z"), "<iso>"),
]


def normalise(text: str, tmp_path: Path) -> str:
    text = text.replace(str(tmp_path), "<tmp>").replace(str(REPO), "<repo>")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def miniplay(*args: str, cwd: Path | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "miniplay", *args], capture_output=True,
                          text=True, cwd=cwd, env=full_env, timeout=120, check=False)


def local_inventory(tmp_path: Path, hosts: list[str]) -> str:
    path = tmp_path / "inventory.ini"
    lines = [f"{h} ansible_connection=local ansible_python_interpreter={sys.executable}"
             for h in hosts]
    path.write_text("[web]\n" + "\n".join(lines) + "\n")
    return str(path)


def playbook(tmp_path: Path, text: str, name: str = "site.yml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_example_site_runs_from_another_directory(tmp_path: Path,
                                                  snapshot: SnapshotAssertion) -> None:
    done = miniplay(str(REPO / "examples" / "site.yml"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = re.sub(r"from \S+ running", "from <host> running", done.stdout)
    assert normalise(text, tmp_path) == snapshot


def test_one_host_fails_and_leaves_the_play(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    inv = local_inventory(tmp_path, ["web1", "web2", "web3"])
    book = playbook(tmp_path, """
- hosts: web
  gather_facts: false
  tasks:
    - name: fail on web2
      fail:
        msg: "web2 is broken"
      when: inventory_hostname == 'web2'
    - name: after
      debug:
        msg: "{{ ansible_play_hosts }}"
""")
    done = miniplay(book, "-i", inv)
    assert done.returncode == 2
    assert normalise(done.stdout, tmp_path) == snapshot


@pytest.mark.parametrize(("keyword", "failed"), [("", 3), ("serial: 2", 2),
                                                  ("strategy: free", 3)])
def test_every_host_failing_prints_no_banner(tmp_path: Path, keyword: str,
                                             failed: int) -> None:
    """ansible-core 2.19 ends such a play without "NO MORE HOSTS LEFT" (it prints it when
    max_fail_percentage aborts); the next play (and batch) does not start."""
    inv = local_inventory(tmp_path, ["web1", "web2", "web3"])
    book = playbook(tmp_path, f"""
- hosts: web
  gather_facts: false
  {keyword}
  tasks:
    - fail:
        msg: down
    - debug:
        msg: never
- hosts: web
  gather_facts: false
  tasks:
    - debug:
        msg: never either
""")
    done = miniplay(book, "-i", inv)
    assert done.returncode == 2
    assert "NO MORE HOSTS LEFT" not in done.stdout
    assert "never" not in done.stdout
    assert done.stdout.count("failed=1") == failed


def test_several_playbooks_share_the_recap_and_stop_at_a_failure(tmp_path: Path) -> None:
    """As ansible-playbook: one set of stats across the playbooks (each recap adds up),
    and a playbook that fails ends the command."""
    ok = playbook(tmp_path, "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                            "    - debug: {msg: one}\n", "ok.yml")
    bad = playbook(tmp_path, "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                             "    - fail: {msg: boom}\n", "bad.yml")
    done = miniplay(ok, ok)
    assert done.returncode == 0
    assert re.findall(r"localhost\s+: ok=(\d)", done.stdout) == ["1", "2"]
    stopped = miniplay(bad, ok)
    assert stopped.returncode == 2
    assert '"msg": "one"' not in stopped.stdout
    assert stopped.stdout.count("PLAY RECAP") == 1


def test_play_hosts_belong_to_each_play(tmp_path: Path) -> None:
    """ansible_play_hosts is cached per play and batch; a later play (or batch) never sees
    an earlier one's list, even with no host status change in between."""
    inv = local_inventory(tmp_path, ["web1", "web2", "web3"])
    plays = "".join(f"""
- hosts: {pattern}
  gather_facts: false
  {extra}
  tasks:
    - debug:
        msg: "{{{{ ansible_play_hosts | join(',') }}}}|{{{{ ansible_play_batch | join(',') }}}}"
""" for pattern, extra in (("web1", ""), ("web2:web3", ""), ("web", "serial: 2")))
    done = miniplay(playbook(tmp_path, plays), "-i", inv)
    assert done.returncode == 0, done.stdout
    assert re.findall(r'"msg": "(.*)"', done.stdout) == [
        "web1|web1", "web2,web3|web2,web3", "web2,web3|web2,web3",
        "web1,web2,web3|web1,web2", "web1,web2,web3|web1,web2", "web1,web2,web3|web3"]


def test_json_output(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    inv = local_inventory(tmp_path, ["web1", "web2"])
    book = playbook(tmp_path, """
- name: J
  hosts: web
  gather_facts: false
  tasks:
    - name: cmd
      command: echo hi
      register: out
    - name: skip
      debug: msg=x
      when: false
    - name: items
      debug:
        msg: "{{ item }}"
      loop: [1, 2]
""")
    done = miniplay(book, "-i", inv, "-o", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["stats"]["web1"]["ok"] == 2
    assert normalise(done.stdout, tmp_path) == snapshot


def test_hosts_run_concurrently(tmp_path: Path) -> None:
    inv = local_inventory(tmp_path, [f"h{i}" for i in range(5)])
    book = playbook(tmp_path, "- hosts: all\n  gather_facts: false\n  tasks:\n"
                              "    - command: sleep 3\n")

    def wall(forks: str) -> float:
        start = time.monotonic()
        done = miniplay(book, "-i", inv, "-f", forks)
        assert done.returncode == 0, done.stderr
        return time.monotonic() - start

    parallel, serial = wall("5"), wall("1")
    assert parallel < serial / 2, (parallel, serial)


def test_host_data_is_never_templated(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = "{{ lookup('pipe', 'touch " + str(marker) + "') }}"
    (tmp_path / "payload.txt").write_text(payload)
    book = playbook(tmp_path, f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - command: cat {tmp_path}/payload.txt
      register: out
    - debug:
        msg: "got {{{{ out.stdout }}}}"
    - set_fact:
        copied: "{{{{ out.stdout }}}}"
        wrapped: "x {{{{ out.stdout }}}}"
        parsed: "{{{{ ('{{\\"k\\": \\"' ~ 'v' ~ '\\"}}') | from_json }}}}"
    - debug:
        msg: "{{{{ copied }}}} {{{{ wrapped }}}}"
    - assert:
        that:
          - copied == out.stdout
          - wrapped == 'x ' ~ out.stdout
""")
    done = miniplay(book)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not marker.exists()
    assert payload in done.stdout


def test_undefined_variable_names_variable_and_position(tmp_path: Path) -> None:
    book = playbook(tmp_path, """
- hosts: localhost
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ nosuch }}"
""")
    done = miniplay(book)
    assert done.returncode == 2
    assert "'nosuch' is undefined" in done.stdout


def test_not_built_keyword_is_refused_before_anything_runs(tmp_path: Path,
                                                           snapshot: SnapshotAssertion) -> None:
    marker = tmp_path / "ran"
    book = playbook(tmp_path, f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - command: touch {marker}
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: msg=hi
      module_defaults: {{}}
""")
    done = miniplay(book)
    assert done.returncode == 4
    assert not marker.exists()
    assert normalise(done.stderr, tmp_path) == snapshot


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["missing.yml"], 1),
        (["site.yml", "--forks", "0"], 5),
        (["site.yml", "--bogus"], 5),
        (["site.yml", "-e", "@nofile.yml"], 1),
    ],
)
def test_exit_codes(tmp_path: Path, args: list[str], code: int) -> None:
    playbook(tmp_path, "- hosts: localhost\n  gather_facts: false\n  tasks: []\n")
    done = miniplay(*args, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr


def test_syntax_check_and_parse_errors(tmp_path: Path) -> None:
    good = playbook(tmp_path, "- hosts: localhost\n  tasks:\n    - ping:\n")
    done = miniplay(good, "--syntax-check")
    assert done.returncode == 0
    assert f"playbook: {good}" in done.stdout
    bad = playbook(tmp_path, "- hosts: localhost\n  tasks:\n    - comand: ls\n", "bad.yml")
    done = miniplay(bad)
    assert done.returncode == 4
    assert "bad.yml:3:7" in done.stderr


def test_extra_vars_beat_set_fact(tmp_path: Path) -> None:
    book = playbook(tmp_path, """
- hosts: localhost
  gather_facts: false
  vars: {x: play}
  tasks:
    - set_fact: {x: fact}
    - assert: {that: "x == 'extra'"}
    - assert: {that: "n == '5'"}
""")
    done = miniplay(book, "-e", "x=extra", "-e", "n=5")
    assert done.returncode == 0, done.stdout


OLD_STYLE_MODULE = """#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
AnsibleModule(argument_spec={}).exit_json(changed=False)
"""


def test_unrunnable_library_module_in_an_included_file_fails_its_task(tmp_path: Path) -> None:
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "oldmod.py").write_text(OLD_STYLE_MODULE)
    (tmp_path / "sub.yml").write_text("- name: old style\n  oldmod:\n")
    inventory = local_inventory(tmp_path, ["web01"])
    site = playbook(tmp_path, "- hosts: web\n  gather_facts: false\n  tasks:\n"
                              "    - include_tasks: sub.yml\n")
    done = miniplay(site, "-i", inventory)
    assert "Traceback" not in done.stderr
    assert done.returncode == 2
    assert "fatal: [web01]: FAILED!" in done.stdout
    assert "written for Ansible's module_utils" in done.stdout


def test_unrunnable_library_module_is_refused_at_its_task(tmp_path: Path) -> None:
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "oldmod.py").write_text(OLD_STYLE_MODULE)
    inventory = local_inventory(tmp_path, ["web01"])
    site = playbook(tmp_path, "- hosts: web\n  gather_facts: false\n  tasks:\n"
                              "    - name: old style\n      oldmod:\n")
    done = miniplay(site, "-i", inventory)
    assert done.returncode == 1
    assert "site.yml:5:7: error: module oldmod" in done.stderr


@pytest.mark.parametrize(("value", "code", "text"), [
    ("merge", 5, "ANSIBLE_HASH_BEHAVIOUR=merge is not built in miniplay"),
    ("Replace", 5, "Invalid value 'Replace' for config 'DEFAULT_HASH_BEHAVIOUR'"),
    ("replace", 0, ""),
])
def test_hash_behaviour_merge_is_refused(tmp_path: Path, value: str, code: int,
                                         text: str) -> None:
    inventory = local_inventory(tmp_path, ["web01"])
    site = playbook(tmp_path, "- hosts: web\n  gather_facts: false\n  tasks:\n"
                              "    - debug: {msg: hi}\n")
    done = miniplay(site, "-i", inventory, env={"ANSIBLE_HASH_BEHAVIOUR": value})
    assert done.returncode == code, done.stderr
    assert text in done.stderr


TEMPLATED_TAGS = """- hosts: web
  gather_facts: false
  vars:
    mytag: fromvar
  tags: ["{{ mytag }}_play"]
  tasks:
    - name: t1
      debug: {msg: x}
      tags: ["{{ mytag }}", plain]
    - block:
        - name: t2
          debug: {msg: y}
      tags: "{{ mytag }}_block"
"""


def test_list_tasks_renders_task_tags_with_play_vars(tmp_path: Path) -> None:
    """As ansible-playbook 2.19 prints it: task tags rendered, the play's as written."""
    inventory = local_inventory(tmp_path, ["web01"])
    site = playbook(tmp_path, TEMPLATED_TAGS)
    done = miniplay(site, "-i", inventory, "--list-tasks", "--list-tags")
    assert done.returncode == 0, done.stderr
    assert "TAGS: [{{ mytag }}_play]\n" in done.stdout
    assert "t1\tTAGS: [fromvar, fromvar_play, plain, {{ mytag }}_play]" in done.stdout
    assert "t2\tTAGS: [fromvar_block, fromvar_play, {{ mytag }}_play]" in done.stdout
    assert ("TASK TAGS: [fromvar, fromvar_block, fromvar_play, plain, {{ mytag }}_play]"
            in done.stdout)
    selected = miniplay(site, "-i", inventory, "--list-tasks", "--tags", "fromvar_block")
    assert "t2\t" in selected.stdout
    assert "t1\t" not in selected.stdout


def test_failed_task_output_names_its_origin(tmp_path: Path) -> None:
    """ansible-core 2.19's `[ERROR]: Task failed: ...` + `Origin:` lines before `fatal:`."""
    inventory = local_inventory(tmp_path, ["web01"])
    site = playbook(tmp_path, """- hosts: web
  gather_facts: false
  ignore_errors: true
  tasks:
    - name: cmd fails
      command: /bin/false
    - name: failed_when
      command: /bin/true
      failed_when: true
    - name: undefined arg
      debug:
        msg: "{{ nope }}"
""")
    done = miniplay(site, "-i", inventory)
    lines = done.stdout.splitlines()
    at = lines.index("[ERROR]: Task failed: Module failed: non-zero return code")
    assert lines[at + 1] == f"Origin: {site}:5:7"
    assert lines[at + 5] == "5     - name: cmd fails"
    assert lines[at + 8].startswith("fatal: [web01]: FAILED!")
    assert "[ERROR]: Task failed: Action failed." in lines
    assert ("[ERROR]: Task failed: Finalization of task args for 'ansible.builtin.debug' "
            "failed: Error while resolving value for 'msg': 'nope' is undefined") in lines
    assert f"Origin: {site}:12:14" in lines  # the undefined variable's value


GATHER_TWICE = """- hosts: web
  tasks:
    - debug: {msg: "{{ ansible_system | default('nofacts') }}"}
- hosts: web
  tasks:
    - debug: {msg: second}
"""


@pytest.mark.parametrize(("mode", "gathered"), [("implicit", 2), ("explicit", 0), ("smart", 1)])
def test_ansible_gathering_decides_implicit_fact_gathering(tmp_path: Path, mode: str,
                                                           gathered: int) -> None:
    inventory = local_inventory(tmp_path, ["web01"])
    done = miniplay(playbook(tmp_path, GATHER_TWICE), "-i", inventory,
                    env={"ANSIBLE_GATHERING": mode})
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("TASK [Gathering Facts]") == gathered
    assert ('"msg": "nofacts"' in done.stdout) == (mode == "explicit")


@pytest.mark.parametrize(("name", "value"), [
    ("ANSIBLE_CACHE_PLUGIN", "jsonfile"), ("ANSIBLE_INJECT_FACT_VARS", "sometimes"),
    ("ANSIBLE_STRATEGY", "host_pinned"), ("ANSIBLE_GATHERING", "sometimes"),
    ("ANSIBLE_FORCE_HANDLERS", "maybe"),
])
def test_configuration_miniplay_does_not_build_is_refused_by_name(
        tmp_path: Path, name: str, value: str) -> None:
    inventory = local_inventory(tmp_path, ["web01"])
    site = playbook(tmp_path, "- hosts: web\n  gather_facts: false\n  tasks:\n"
                              "    - debug: {msg: hi}\n")
    done = miniplay(site, "-i", inventory, env={name: value})
    assert done.returncode == 5
    assert value in done.stderr
    assert "TASK" not in done.stdout


def test_ansible_force_handlers_runs_handlers_of_failed_hosts(tmp_path: Path) -> None:
    inventory = local_inventory(tmp_path, ["web01"])
    site = playbook(tmp_path, """- hosts: web
  gather_facts: false
  tasks:
    - command: echo
      notify: h
    - fail: {msg: stop}
  handlers:
    - name: h
      debug: {msg: handler ran}
""")
    forced = miniplay(site, "-i", inventory, env={"ANSIBLE_FORCE_HANDLERS": "yes"})
    assert "handler ran" in forced.stdout
    plain = miniplay(site, "-i", inventory, env={"ANSIBLE_FORCE_HANDLERS": "no"})
    assert "handler ran" not in plain.stdout


def test_ansible_strategy_sets_the_default_strategy(tmp_path: Path) -> None:
    """A play naming no strategy runs free under ANSIBLE_STRATEGY=free: a host that
    fails early does not hold the others back, each runs all it can."""
    inventory = local_inventory(tmp_path, ["web01", "web02"])
    site = playbook(tmp_path, """- hosts: web
  gather_facts: false
  tasks:
    - command: sleep {{ '1' if inventory_hostname == 'web01' else '0' }}
    - debug: {msg: "done {{ inventory_hostname }}"}
""")
    def entries(strategy: str) -> int:
        done = miniplay(site, "-i", inventory, "-o", "json",
                        env={"ANSIBLE_STRATEGY": strategy})
        assert done.returncode == 0, done.stderr
        return len(json.loads(done.stdout)["plays"][0]["tasks"])

    assert entries("linear") == 2  # each task once, all hosts in lockstep
    assert entries("free") > 2  # free: each host announces the tasks it reaches


def test_ansible_inject_fact_vars_false_keeps_facts_under_ansible_facts(tmp_path: Path) -> None:
    inventory = local_inventory(tmp_path, ["web01"])
    site = playbook(tmp_path, """- hosts: web
  tasks:
    - debug: {msg: "{{ ansible_facts.system }} {{ ansible_system | default('none') }}"}
""")
    hidden = miniplay(site, "-i", inventory, env={"ANSIBLE_INJECT_FACT_VARS": "0"})
    assert '"msg": "Linux none"' in hidden.stdout
    shown = miniplay(site, "-i", inventory, env={"ANSIBLE_INJECT_FACT_VARS": "1"})
    assert '"msg": "Linux Linux"' in shown.stdout


def test_connection_option_is_the_default_connection(tmp_path: Path) -> None:
    """`-c local` connects a host with no `ansible_connection` locally (without it the
    host would be tried over ssh), as ansible-playbook's `-c`."""
    (tmp_path / "hosts").write_text(
        f"nowhere ansible_host=192.0.2.1 ansible_python_interpreter={sys.executable}\n")
    site = playbook(tmp_path, """- hosts: nowhere
  gather_facts: false
  tasks:
    - command: echo reached
""")
    result = miniplay(site, "-i", str(tmp_path / "hosts"), "-c", "local", "--timeout", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "changed: [nowhere]" in result.stdout


def test_meta_lines_show_from_vv(tmp_path: Path) -> None:
    """ansible-core prints `META: ...` at -vv: what a meta did, or why it was skipped."""
    inventory = local_inventory(tmp_path, ["web01", "web02"])
    site = playbook(tmp_path, """- hosts: web
  gather_facts: false
  tasks:
    - meta: end_host
      when: inventory_hostname == 'web02'
    - meta: noop
""")
    chatty = miniplay(site, "-i", inventory, "-vv")
    assert "META: end_host conditional evaluated to False, continuing execution for web01" \
        in chatty.stdout
    assert "META: ending play for web02" in chatty.stdout
    assert "META: noop" in chatty.stdout
    quiet = miniplay(site, "-i", inventory, "-v")
    assert "META:" not in quiet.stdout


def test_refresh_inventory_reads_the_sources_again(tmp_path: Path) -> None:
    """`meta: refresh_inventory` re-reads the inventory: a host gone from the file leaves
    the current play at once (as in ansible-core, without a failure); add_host's hosts
    are kept."""
    hosts = tmp_path / "hosts"
    local = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    hosts.write_text(f"[web]\nold {local}\n")
    (tmp_path / "new").write_text(f"[web]\nnew {local}\n")
    site = playbook(tmp_path, f"""- hosts: web
  gather_facts: false
  tasks:
    - add_host: {{name: extra, groups: web, ansible_connection: local}}
    - command: cp {tmp_path / "new"} {hosts}
    - meta: refresh_inventory
    - debug: {{msg: "still {{{{ inventory_hostname }}}}"}}
- hosts: web
  gather_facts: false
  tasks:
    - debug: {{msg: "{{{{ ansible_play_hosts | sort | join(',') }}}}"}}
      run_once: true
""")
    result = miniplay(site, "-i", str(hosts))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "still old" not in result.stdout
    assert '"msg": "extra,new"' in result.stdout
