"""Controller-side actions: the actions that never run a module on a host.

Takes: nothing. Gives: `ACTIONS`, the registry the executor dispatches to by name, and
`META_ACTIONS` (handled by the play runner because they change the play's flow).
Raises: nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from miniplay.actions.add_host import add_host, group_by
from miniplay.actions.assert_ import assert_
from miniplay.actions.base import Action, ActionCall
from miniplay.actions.copy import copy
from miniplay.actions.debug import debug
from miniplay.actions.fail import fail
from miniplay.actions.fetch import fetch
from miniplay.actions.include_vars import include_vars
from miniplay.actions.pause import pause
from miniplay.actions.script import script
from miniplay.actions.set_fact import set_fact
from miniplay.actions.template import template

ACTIONS: Mapping[str, Action] = {
    "debug": debug,
    "set_fact": set_fact,
    "assert": assert_,
    "fail": fail,
    "include_vars": include_vars,
    "copy": copy,
    "template": template,
    "fetch": fetch,
    "script": script,
    "pause": pause,
    "add_host": add_host,
    "group_by": group_by,
}

# Actions that run once per batch, on its first host, whatever the number of hosts
# (Ansible's "bypass host loop"): unlike `run_once`, their result is not copied to the
# other hosts.
ONCE_PER_BATCH = frozenset({"add_host"})

META_ACTIONS = frozenset({
    "noop", "flush_handlers", "end_play", "end_host", "end_batch", "clear_host_errors",
    "refresh_inventory", "clear_facts", "reset_connection",
})

__all__ = ["ACTIONS", "META_ACTIONS", "ONCE_PER_BATCH", "Action", "ActionCall"]
