"""`--list-hosts`, `--list-tasks`, `--list-tags`: the plan, printed as Ansible prints it.

Takes: a playbook, inventory and options. Gives: the text. Raises: nothing.
"""

from __future__ import annotations

import argparse

from miniplay.executor.tags import selected
from miniplay.inventory import Inventory
from miniplay.model import Playbook, iter_tasks
from miniplay.options import RunOptions


def _tags(tags: frozenset[str]) -> str:
    return "[" + ", ".join(sorted(tags)) + "]"


def list_playbook(playbook: Playbook, inventory: Inventory, options: RunOptions,
                  args: argparse.Namespace) -> str:
    """The listing for whichever of the three options are set."""
    lines = ["", f"playbook: {playbook.path}"]
    for number, play in enumerate(playbook.plays, start=1):
        pattern = play.hosts.value
        lines += ["", f"  play #{number} ({pattern}): {play.display_name}\tTAGS: "
                      f"{_tags(play.tags)}"]
        if args.list_hosts:
            hosts = inventory.select(pattern, options.limit)
            lines.append(f"    pattern: {[pattern] if isinstance(pattern, str) else pattern}")
            lines.append(f"    hosts ({len(hosts)}):")
            lines += [f"      {host}" for host in hosts]
        sections = play.pre_tasks + play.role_tasks + play.tasks + play.post_tasks
        tasks = [t for t in iter_tasks(sections)
                 if selected(t.tags, options)]
        if args.list_tasks:
            lines.append("    tasks:")
            lines += [f"      {t.display_name}\tTAGS: {_tags(t.tags)}" for t in tasks]
        if args.list_tags:
            every = frozenset().union(*(t.tags for t in tasks)) if tasks else frozenset()
            lines.append(f"      TASK TAGS: {_tags(every)}")
    return "\n".join(lines) + "\n"
