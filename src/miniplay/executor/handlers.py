"""Handlers: tasks that run once per host at a flush, when a changed task notified them.

Takes: the play's handlers and the hosts' notifications. Gives: handler runs at each
flush (end of `pre_tasks`, `tasks`, `post_tasks`, and `meta: flush_handlers`).
Raises: nothing.

Order is the `handlers:` section's (then handlers of roles added by `include_role`, in
the order they were included), not the notification order. A notification wakes the
last-loaded handler whose name (or `role : name`) it is, and every handler that listens
to it, one per name (ansible-core's lookup). A host that failed skips its handlers unless
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


def named(handler: Task, name: str) -> bool:
    """True when `name` is the handler's name, plain or prefixed by its role's."""
    if not handler.name:
        return False
    role = handler.role
    return name == handler.name or (role is not None and name == f"{role.name} : {handler.name}")


def woken(handlers: list[Task], name: str) -> list[Task]:
    """The handlers that notifying `name` wakes: the last-loaded one with that name,
    and those listening to it (of several with the same name, the last-loaded)."""
    found: list[Task] = []
    for handler in reversed(handlers):
        if named(handler, name):
            found.append(handler)
            break
    seen: set[str] = set()
    for handler in reversed(handlers):
        if name in handler.listen:
            if handler.name and handler.name in seen:
                continue
            if handler.name:
                seen.add(handler.name)
            found.append(handler)
    return found


class Handlers:
    """Flushes notified handlers for one play."""

    def __init__(self, ctx: RunContext, play: PlayState, model: Play) -> None:
        self.ctx = ctx
        self.play = play
        self.model = model

    def add(self, handlers: list[Task]) -> None:
        """Handlers of a role that `include_role` brought in join the play's."""
        self.play.added_handlers.extend(handlers)

    def forced(self) -> bool:
        """`force_handlers` is on: the play keyword when written (it overrides the
        command line, as in ansible-core), else `--force-handlers` or the environment."""
        expr = self.model.force_handlers
        if expr is not None:
            return bool(expr.value)
        return self.ctx.options.force_handlers or ansible_env.force_handlers()

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
            handlers = self.play.handlers
            for handler in handlers:
                targets = []
                for host in hosts:
                    names = [n for n in self.ctx.state(host).notified
                             if any(h is handler for h in woken(handlers, n))]
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
