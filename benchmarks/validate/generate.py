"""Write a playbook of N tasks that uses the common keyword set (valid for every tool).

Takes: an output path and a task count. Gives: the file (plus the task files and
handlers it refers to). Raises: OSError when the path cannot be written.

The tasks cycle through ten shapes so the file looks like a real playbook: modules in
mapping and free-form style, `when`, `loop`, `register`, `until`/`retries`, `notify`,
`tags`, blocks with rescue/always, async with async_status.
"""

from __future__ import annotations

import sys
from pathlib import Path

SHAPES = (
    "    - name: print a message {i}\n      ansible.builtin.debug:\n"
    "        msg: \"item {i} is {{{{ value_{m} | default('none') }}}}\"\n"
    "      tags: [debug, t{m}]\n",
    "    - name: run a command {i}\n      ansible.builtin.command: echo {i}\n"
    "      register: out_{i}\n      changed_when: false\n",
    "    - name: set a fact {i}\n      ansible.builtin.set_fact:\n"
    "        value_{m}: \"{{{{ {i} * 2 }}}}\"\n",
    "    - name: loop {i}\n      ansible.builtin.debug:\n        msg: \"{{{{ item }}}}\"\n"
    "      loop: [a, b, c]\n      loop_control:\n        label: \"{{{{ item }}}}\"\n",
    "    - name: conditional {i}\n      ansible.builtin.shell: test -d /tmp && echo yes\n"
    "      when: ansible_facts is defined and {i} > 0\n      register: sh_{i}\n"
    "      failed_when: sh_{i}.rc > 1\n",
    "    - name: file {i}\n      ansible.builtin.file:\n        path: /tmp/miniplay-bench-{m}\n"
    "        state: directory\n        mode: '0755'\n      notify: done\n",
    "    - name: retry {i}\n      ansible.builtin.command: \"true\"\n      register: r_{i}\n"
    "      until: r_{i}.rc == 0\n      retries: 2\n      delay: 0\n",
    "    - name: stat {i}\n      ansible.builtin.stat:\n        path: /etc/hosts\n"
    "      register: st_{i}\n    - name: assert {i}\n      ansible.builtin.assert:\n"
    "        that:\n          - st_{i}.stat.exists\n",
    "    - name: a block {i}\n      block:\n        - name: inside {i}\n"
    "          ansible.builtin.command: echo in\n      rescue:\n        - name: rescue {i}\n"
    "          ansible.builtin.debug:\n            msg: rescued\n      always:\n"
    "        - name: always {i}\n          ansible.builtin.debug:\n            msg: always\n",
    "    - name: async {i}\n      ansible.builtin.command: sleep 0\n      async: 10\n"
    "      poll: 0\n      register: job_{i}\n    - name: wait {i}\n"
    "      ansible.builtin.async_status:\n        jid: \"{{{{ job_{i}.ansible_job_id }}}}\"\n"
    "      register: st_{i}\n      until: st_{i} is finished\n      retries: 5\n      delay: 0\n",
)


def task_count(shape: int) -> int:
    """How many tasks one shape writes (blocks count their inner tasks)."""
    return {7: 2, 8: 3, 9: 2}.get(shape, 1)


def generate(path: Path, tasks: int = 1000) -> int:
    """Write the playbook; returns the number of tasks actually written."""
    lines = ["- name: generated benchmark playbook\n  hosts: localhost\n",
             "  gather_facts: false\n  tasks:\n"]
    written = 0
    index = 0
    while written < tasks:
        shape = index % len(SHAPES)
        lines.append(SHAPES[shape].format(i=index, m=index % 50))
        written += task_count(shape)
        index += 1
    lines.append("  handlers:\n    - name: done\n      ansible.builtin.debug:\n"
                 "        msg: handler ran\n")
    path.write_text("".join(lines), encoding="utf-8")
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bench-playbook.yml")
    count = generate(target, int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
    print(f"{target}: {count} tasks")
