"""Handlers: tasks that run once per host at a flush, when a changed task notified them.

Takes: the play's handlers and the hosts' notifications. Gives: handler runs at each
flush (end of `pre_tasks`, `tasks`, `post_tasks`, and `meta: flush_handlers`).
Raises: nothing.

Order is the `handlers:` section's, not the notification order; a name matches a
handler's `name` or its `listen` topics. A host that failed skips its handlers unless
`force_handlers` (play keyword or `--force-handlers`). A handler that notifies another
makes it run in a later pass of the same flush.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from miniplay.executor.context import RunContext
from miniplay.executor.hoststate import PlayState
from miniplay.model import Play, Task

if TYPE_CHECKING:
    from miniplay.executor.strategy import Linear


def answers(handler: Task, name: str) -> bool:
    """True when notifying `name` wakes `handler`."""
    return handler.name == name or name in handler.listen


class Handlers:
    """Flushes notified handlers for one play."""

    def __init__(self, ctx: RunContext, play: PlayState, model: Play) -> None:
        self.ctx = ctx
        self.play = play
        self.model = model

    def _forced(self) -> bool:
        if self.ctx.options.force_handlers:
            return True
        expr = self.model.force_handlers
        return bool(expr.value) if expr is not None else False

    def _eligible(self, host: str) -> bool:
        state = self.ctx.state(host)
        if state.unreachable or state.ended:
            return False
        return not state.failed or self._forced()

    async def flush(self, linear: Linear, hosts: list[str]) -> None:
        """Run every notified handler, in definition order, until none is pending."""
        while True:
            pending = {h: list(self.ctx.state(h).notified) for h in hosts if self._eligible(h)}
            pending = {h: names for h, names in pending.items() if names}
            if not pending:
                return
            for host in pending:
                self.ctx.state(host).notified.clear()
            for handler in self.model.handlers:
                targets = [h for h, names in pending.items()
                           if any(answers(handler, n) for n in names) and self._eligible(h)]
                if targets:
                    await linear.run_task(handler, targets, handler=True)
