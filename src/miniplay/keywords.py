"""The playbook language's vocabulary: keywords, action names, free-form arguments.

Takes: raw task mappings and action values. Gives: which key is the action, its short
name, and its arguments as a dict. Raises: `PlaybookError` for two actions, none, or a
malformed ``k=v`` string.

The parser and the static checks both need these answers and must agree on them, so
they live in one place. Keywords that exist in Ansible but that miniplay does not run
yet are listed in `NOT_BUILT`: they are refused before anything runs, never ignored.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from miniplay import kv
from miniplay.errors import PlaybookError, Position

SHARED_KEYWORDS = frozenset({
    "name", "become", "become_user", "become_method", "become_flags", "become_exe",
    "connection", "remote_user", "port", "environment", "no_log", "check_mode", "diff",
    "ignore_errors", "ignore_unreachable", "run_once", "tags", "module_defaults",
    "throttle", "timeout", "vars", "any_errors_fatal", "collections", "debugger",
    "delegate_to", "delegate_facts", "when",
})

# `when`, `delegate_to` and `delegate_facts` are not play attributes in Ansible ("'when'
# is not a valid attribute for a Play"): a play that has them is refused, never run.
PLAY_KEYWORDS = (SHARED_KEYWORDS - {"when", "delegate_to", "delegate_facts"}) | {
    "hosts", "gather_facts", "gather_subset", "gather_timeout", "fact_path", "vars_files",
    "vars_prompt", "roles", "pre_tasks", "tasks", "post_tasks", "handlers", "serial",
    "strategy", "order", "max_fail_percentage", "force_handlers",
}

TASK_KEYWORDS = SHARED_KEYWORDS | {
    "action", "local_action", "args", "loop", "loop_control", "register", "notify",
    "async", "poll", "until", "retries", "delay", "changed_when", "failed_when",
}

HANDLER_KEYWORDS = TASK_KEYWORDS | {"listen"}

BLOCK_KEYWORDS = SHARED_KEYWORDS | {"block", "rescue", "always", "notify"}

# Ansible keywords miniplay does not honour yet: refused with a clear error.
NOT_BUILT: Mapping[str, str] = {
    "become_exe": "privilege escalation is not built yet",
    "vars_prompt": "interactive prompts are not supported; pass values with -e",
    "module_defaults": "module_defaults is not built yet; set the arguments on each task",
    "debugger": "the task debugger is not supported",
    "collections": "collections are not supported; use built-in or library/ modules",
    "connection": "the connection keyword is not built yet; set ansible_connection instead",
    "remote_user": "remote_user is not built yet; set ansible_user in the inventory",
    "port": "the port keyword is not built yet; set ansible_port in the inventory",
}

# Modules whose free-form text is one parameter, not k=v pairs.
FREE_FORM = frozenset({
    "command", "shell", "raw", "script", "include_tasks", "import_tasks", "include_vars",
    "import_playbook", "meta", "include_role", "import_role", "group_by", "add_host",
})
# The modules whose free text is a command: in it, only `RAW_OPTIONS` are read as k=v
# (Ansible's one list for all four); other free-form actions read every k=v pair.
RAW_PARAM_ONLY = frozenset({"command", "shell", "raw", "script"})
RAW_OPTIONS = frozenset({
    "creates", "removes", "chdir", "executable", "warn", "stdin", "stdin_add_newline",
    "strip_empty_ends",
})

_FQCN_PREFIXES = ("ansible.builtin.", "ansible.legacy.")


def short_name(action: str) -> str:
    """`ansible.builtin.command` → `command`; other names unchanged."""
    for prefix in _FQCN_PREFIXES:
        if action.startswith(prefix):
            return action[len(prefix):]
    return action


# ansible.builtin's lookups, each usable as `with_<name>` (a unit test holds this equal
# to miniplay.plugins.lookups); `url` is one, refused by name where it would run.
LOOKUP_NAMES = frozenset({
    "config", "csvfile", "dict", "env", "file", "fileglob", "first_found", "indexed_items",
    "ini", "inventory_hostnames", "items", "lines", "list", "nested", "password", "pipe",
    "random_choice", "sequence", "subelements", "template", "together", "unvault", "url",
    "varnames", "vars"})
NOT_BUILT_LOOKUPS = frozenset({"url"})


def is_loop_keyword(key: str) -> bool:
    """`loop` or a `with_<word>` keyword (the word is checked by `loop_problem`)."""
    return key == "loop" or (key.startswith("with_") and len(key) > 5)


def loop_problem(key: str, value: Any = "") -> tuple[str, str] | None:
    """(message, hint) when `key` is a `with_<word>` miniplay cannot run: no lookup of
    that name (Ansible: not a valid attribute), a lookup miniplay does not build, or no
    value at all (Ansible refuses it when it reads the task)."""
    if not key.startswith("with_") or key == "with_":
        return None
    if value is None and key[len("with_"):] in LOOKUP_NAMES:
        return (f"you must specify a value when using {key}",
                f"give {key} its terms, or remove it")
    word = key[len("with_"):]
    if word in NOT_BUILT_LOOKUPS:
        return (f"{key}: the {word} lookup is not built in miniplay",
                "fetch the data with a task and `register`, then `loop` over it")
    if word in LOOKUP_NAMES:
        return None
    close = difflib.get_close_matches(word, sorted(LOOKUP_NAMES - NOT_BUILT_LOOKUPS), n=1,
                                      cutoff=0.6)
    hint = f"did you mean `with_{close[0]}`?" if close else \
        "use `loop:`, or `with_` followed by a lookup name (with_items, with_dict, ...)"
    return f"'{key}' is not a valid attribute for a Task: there is no lookup named {word!r}", hint


def action_candidates(task: Mapping[Any, Any], keywords: frozenset[str]) -> list[str]:
    """Keys of `task` that are not keywords: each is a would-be action."""
    return [
        key for key in task
        if isinstance(key, str) and key not in keywords and not is_loop_keyword(key)
    ]


def split_kv(text: str, pos: Position | None = None) -> list[str]:
    """Split `text` as Ansible does, keeping quoted parts and Jinja blocks together."""
    return [part.rstrip() for part in kv.split(text, pos) if part.strip()]


def parse_args(action: str, value: Any, pos: Position | None = None) -> dict[str, Any]:
    """The arguments of `action` given its YAML value (mapping, free-form text, None)."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, str):
        if action in FREE_FORM:
            return {"_raw_params": value}
        raise PlaybookError(
            f"arguments of {action} must be a mapping or a k=v string, got {type(value).__name__}",
            pos, f"write `{action}:` followed by indented `key: value` lines",
        )
    return _parse_text_args(action, value, pos)


def _parse_text_args(action: str, text: str, pos: Position | None) -> dict[str, Any]:
    """Ansible's reading of a ``k=v`` string: pairs are options, the rest `_raw_params`.

    The command modules take only `RAW_OPTIONS` as pairs (``echo a=b`` stays a command);
    the other free-form actions take every pair. Free text is joined back as written, so
    a multi-line script keeps its newlines.
    """
    args: dict[str, Any] = {}
    if action in FREE_FORM:
        takes_any = action not in RAW_PARAM_ONLY
        rest: list[str] = []
        for part in kv.parse(text, pos):
            if part.key is not None and (takes_any or part.key in RAW_OPTIONS):
                args[part.name] = part.value
            else:
                rest.append(part.text)
        if rest:
            args["_raw_params"] = kv.join(rest)
        return args
    for part in kv.parse(text, pos):
        if part.key is None:
            raise PlaybookError(
                f"{action} does not take free-form text; `{part.text.strip()}` is not key=value",
                pos, f"write the arguments of {action} as key=value pairs or as a mapping",
            )
        args[part.name] = part.value
    return args
