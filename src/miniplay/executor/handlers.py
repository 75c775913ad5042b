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

from miniplay import ansible_env
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

    def forced(self) -> bool:
        """`force_handlers` (play keyword or `--force-handlers`) is on."""
        if self.ctx.options.force_handlers:
            return True
        expr = self.model.force_handlers
        return bool(expr.value) if expr is not None else ansible_env.force_handlers()

    def _eligible(self, host: str) -> bool:
        state = self.ctx.state(host)
        if state.unreachable or state.ended:
            return False
        return not state.failed or self.forced()

    async def flush(self, linear: Linear, hosts: list[str]) -> None:
        """Run every notified handler, in definition order, until none is pending.

        As in ansible-core, one pass walks the handlers in order and reads the live
        notifications: a handler notified during the pass runs in it if it comes later
        in the list, in the next pass if it came earlier (h2 → h3 → h4, then h1)."""
        while True:
            consumed: dict[str, set[str]] = {h: set() for h in hosts}
            ran = False
            for handler in self.model.handlers:
                targets = []
                for host in hosts:
                    names = [n for n in self.ctx.state(host).notified if answers(handler, n)]
                    if names and self._eligible(host):
                        targets.append(host)
                        consumed[host].update(names)
                if targets:
                    await linear.run_task(handler, targets, handler=True)
                    ran = True
            for host, done in consumed.items():
                state = self.ctx.state(host)
                state.notified = [n for n in state.notified if n not in done]
            if not ran:
                return
