"""Tag selection: which tasks `--tags` and `--skip-tags` let run.

Takes: a task's effective tags and the run options. Gives: whether it runs.
Raises: nothing.

Ansible's rules: `all` (the default) runs everything except `never`; `tagged` and
`untagged` select by whether a task has tags; `always` runs unless skipped by name
(`--skip-tags always`); `never` runs only when one of its other tags is asked for (or
`never` itself).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from miniplay.options import RunOptions

_MARKERS = ("{{", "{%")


def rendered(tags: frozenset[str], render: Callable[[str], Any]) -> frozenset[str]:
    """`tags` with templated ones rendered by `render` (Ansible renders tags with the
    play's variables before it selects tasks); a tag that renders to a list gives each
    of its items."""
    if not any(marker in tag for tag in tags for marker in _MARKERS):
        return tags
    found: set[str] = set()
    for tag in tags:
        if not any(marker in tag for marker in _MARKERS):
            found.add(tag)
            continue
        value = render(tag)
        found.update(str(v) for v in value) if isinstance(value, list) else found.add(str(value))
    return frozenset(found)


def _matches(task_tags: frozenset[str], wanted: Iterable[str]) -> bool:
    for tag in wanted:
        if tag == "all" and "never" not in task_tags:
            return True
        if tag == "tagged" and task_tags:
            return True
        if tag == "untagged" and not task_tags:
            return True
        if tag in task_tags:
            return True
    return False


def selected(task_tags: frozenset[str], options: RunOptions) -> bool:
    """True when a task with `task_tags` runs under `options`."""
    wanted = set(options.tags) or {"all"}
    skipped = set(options.skip_tags)
    if skipped and _matches(task_tags, skipped):
        return False
    if "always" in task_tags and "always" not in skipped:
        return True
    if "never" in task_tags and not (task_tags - {"never"}) & wanted and "never" not in wanted:
        return False
    return _matches(task_tags, wanted)
