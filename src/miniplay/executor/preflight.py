"""Refuse, before anything runs, what miniplay cannot run yet.

Takes: a parsed `Playbook` and the module finder. Gives: nothing when the playbook can
run. Raises: `PlaybookError` (positioned) naming the first module or keyword that
miniplay does not implement.

Running a play without a keyword the user wrote (a `serial` ignored, a task delegated to
the wrong host) is the worst kind of bug, so unimplemented features stop the run here,
with nothing half-done on any host.
"""

from __future__ import annotations

from miniplay.actions import ACTIONS
from miniplay.checks_modules import ANSIBLE_MODULES
from miniplay.errors import PlaybookError
from miniplay.executor.batches import ORDERS
from miniplay.model import Play, Playbook, Task, iter_tasks
from miniplay.parser_args import is_template
from miniplay.runner import ModuleFinder

CONTROLLER_SIDE = frozenset({*ACTIONS, "meta", "raw", "include_tasks", "include_role",
                             "gather_facts"})

_TASK_FEATURES: dict[str, str] = {}
_PLAY_FEATURES: dict[str, str] = {}


def _check_task(task: Task, finder: ModuleFinder) -> None:
    for keyword, message in _TASK_FEATURES.items():
        if getattr(task, keyword) is not None:
            raise PlaybookError(message, task.where(keyword),
                                "remove the keyword; miniplay refuses what it cannot honour")
    if task.action in ("include_tasks", "include_role") and "apply" in task.args:
        raise PlaybookError(f"{task.action} `apply` is not built yet", task.action_pos,
                            "put the keywords on the included tasks, or use import_tasks")
    if task.action in CONTROLLER_SIDE or is_template(task.action):
        return  # a templated name is resolved per host, at run time
    explicit = "action" in task.key_pos or "local_action" in task.key_pos
    if explicit and task.action not in ANSIBLE_MODULES and finder.find(task.action) is None:
        return  # `action: NAME`: Ansible resolves it when the task runs, and so does miniplay
    finder.require(task.action, task.action_pos)


def _check_play(play: Play) -> None:
    for keyword, message in _PLAY_FEATURES.items():
        if getattr(play, keyword) is not None:
            raise PlaybookError(message, play.key_pos.get(keyword, play.pos),
                                "remove the keyword; miniplay refuses what it cannot honour")
    if is_template(play.strategy) or is_template(play.order):
        return  # rendered when the play starts (PlayRunner.word)
    if play.strategy not in ("linear", "free"):
        raise PlaybookError(f"strategy {play.strategy} is not built yet",
                            play.key_pos.get("strategy", play.pos), "use linear or free")
    if play.order not in ORDERS:
        raise PlaybookError(f"invalid order {play.order!r}", play.key_pos.get("order", play.pos),
                            f"use one of: {', '.join(ORDERS)}")


def preflight(playbook: Playbook, finder: ModuleFinder) -> None:
    """Raise for the first thing in `playbook` that miniplay cannot run."""
    for play in playbook.plays:
        _check_play(play)
        if play.gather_facts is None or play.gather_facts.value not in (False, "false", "no"):
            finder.require("setup", play.pos)
        sections = play.pre_tasks + play.role_tasks + play.tasks + play.post_tasks
        for task in iter_tasks(sections) + list(play.handlers):
            _check_task(task, finder)
