"""`throttle`: at most N hosts run a task at the same time.

Takes: a task (its `throttle`, inherited from blocks and the play, the task's own
winning) and the variables of the host about to run it. Gives: the semaphore the hosts
of that task share, or None when nothing limits it beyond `forks`. Raises:
`MiniplayError` when the value is not an integer, with ansible-core's words.

As in ansible-core, 0 means no limit, a value above `forks` changes nothing (forks still
caps), and a `run_once` task ignores it. One semaphore per task, so under the free
strategy hosts reaching the task at different times still share the limit.
"""

from __future__ import annotations

import asyncio
from typing import Any

from miniplay.errors import MiniplayError
from miniplay.model import Task
from miniplay.templating import Templar
from miniplay.variables import VarScope


def throttle_value(task: Task, templar: Templar, scope: VarScope) -> int:
    """The task's `throttle` as an integer (0 when not set)."""
    expr = task.throttle
    if expr is None:
        return 0
    try:
        value: Any = templar.render(expr.value, scope, expr.pos)
    except MiniplayError as error:
        raise MiniplayError("Failed to convert the throttle value to an integer: "
                            f"{error.message}", expr.pos) from None
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise MiniplayError("Failed to convert the throttle value to an integer: "
                            f"{error}", expr.pos) from None


class Throttles:
    """The semaphores of throttled tasks, one per task, for one play."""

    def __init__(self, forks: int) -> None:
        self.forks = forks
        self._limits: dict[int, asyncio.Semaphore] = {}

    def limit(self, task: Task, value: int, run_once: bool) -> asyncio.Semaphore | None:
        """The semaphore bounding `task` to `value` hosts at once, or None."""
        if value <= 0 or run_once or value >= self.forks:
            return None
        found = self._limits.get(id(task))
        if found is None:
            found = self._limits[id(task)] = asyncio.Semaphore(value)
        return found
