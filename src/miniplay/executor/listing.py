"""`--list-hosts`, `--list-tasks`, `--list-tags`: the plan, printed as Ansible prints it.

Takes: a playbook, inventory and options. Gives: the text. Raises: nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from miniplay.executor.tags import rendered, selected
from miniplay.inventory import Inventory
from miniplay.model import Play, Playbook, Task, iter_tasks
from miniplay.options import RunOptions
from miniplay.templating import Templar
from miniplay.variables import VarScope


def _tags(tags: frozenset[str], sep: str = ", ") -> str:
    return "[" + sep.join(sorted(tags)) + "]"


def _task_tags(play: Play, templar: Templar, options: RunOptions) -> dict[int, frozenset[str]]:
    """Each task's tags rendered with the play's vars and the extra vars (as Ansible
    renders them to list and select tasks), by task id."""
    scope = VarScope([play.vars, options.extra_vars], templar)
    sections = play.pre_tasks + play.role_tasks + play.tasks + play.post_tasks
    return {id(task): rendered(task.tags, lambda tag: templar.render(tag, scope))
            for task in iter_tasks(sections)}


def list_playbook(playbook: Playbook, inventory: Inventory, options: RunOptions,
                  args: argparse.Namespace) -> str:
    """The listing for whichever of the three options are set."""
    lines = ["", f"playbook: {playbook.path}"]
    base = str(Path(playbook.path).resolve().parent)
    templar = Templar(searchpath=[base], lookup_base_dir=base)
    for number, play in enumerate(playbook.plays, start=1):
        pattern = play.hosts.value
        # the play's own tags print as written, as ansible-playbook prints them
        lines += ["", f"  play #{number} ({pattern}): {play.display_name}\tTAGS: "
                      f"{_tags(play.tags, ',')}"]
        if args.list_hosts:
            hosts = inventory.select(pattern, options.limit)
            lines.append(f"    pattern: {[pattern] if isinstance(pattern, str) else pattern}")
            lines.append(f"    hosts ({len(hosts)}):")
            lines += [f"      {host}" for host in hosts]
        sections = play.pre_tasks + play.role_tasks + play.tasks + play.post_tasks
        tags = _task_tags(play, templar, options)
        tasks: list[Task] = [t for t in iter_tasks(sections) if selected(tags[id(t)], options)]
        if args.list_tasks:
            lines.append("    tasks:")
            lines += [f"      {t.display_name}\tTAGS: {_tags(tags[id(t)] | play.tags)}"
                      for t in tasks]
        if args.list_tags:
            every = frozenset(play.tags).union(*(tags[id(t)] for t in tasks))
            lines.append(f"      TASK TAGS: {_tags(every)}")
    return "\n".join(lines) + "\n"
