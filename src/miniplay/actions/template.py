"""`template`: render a Jinja2 file on the controller with the host's variables, copy it.

Takes: an `ActionCall` with `src` (looked up in templates/ of the task's role, beside the
task, beside the playbook), `dest`, `trim_blocks` (true), `lstrip_blocks` (false),
`newline_sequence` and the copy module's file options. Gives: the copy result for the
rendered text (ansible-core 2.19's template result). Raises: nothing; a template that
does not render is a failed result ("Task failed: 'x' is undefined", as Ansible words
it).

Why here: rendering needs the run's variables and Jinja environment, which only the
controller has; the host receives finished bytes through the same `copy` module.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from miniplay.actions.base import ActionCall
from miniplay.actions.copy import send_file
from miniplay.errors import MiniplayError

TEMPLATE_ONLY = ("src", "trim_blocks", "lstrip_blocks", "newline_sequence", "output_encoding",
                 "block_start_string", "block_end_string", "variable_start_string",
                 "variable_end_string", "comment_start_string", "comment_end_string")


def find_template(call: ActionCall, name: str) -> Path | None:
    path = Path(os.path.expanduser(name))
    if path.is_absolute():
        return path if path.is_file() else None
    for base in map(Path, call.search_dirs):
        for candidate in (base / "templates" / path, base / path):
            if candidate.is_file():
                return candidate
    return None


def not_found(call: ActionCall, name: str) -> dict[str, Any]:
    places = [f"{b}/{sub}{name}" for b in call.search_dirs
              for sub in ("templates/", "")]
    return {"failed": True, "changed": False,
            "msg": f"Could not find or access '{name}'\nSearched in:\n\t"
                   + "\n\t".join(places) + " on the Ansible Controller.\nIf you are using a "
                   "module and expect the file to exist on the remote, see the remote_src option"}


def keep_trailing_newlines(source: str, text: str) -> str:
    """Ansible pads the output to as many trailing newlines as the template file had."""
    wanted = len(source) - len(source.rstrip("\n"))
    have = len(text) - len(text.rstrip("\n"))
    return text + "\n" * (wanted - have) if wanted > have else text


def flag(call: ActionCall, name: str, default: bool) -> bool:
    value = call.args.get(name, default)
    return str(value).lower() in ("1", "true", "yes", "on", "y", "t")


async def template(call: ActionCall) -> dict[str, Any]:
    """Render `src` and hand the text to the host's copy module."""
    src, dest = call.args.get("src"), call.args.get("dest")
    if not src or not dest:
        return {"failed": True, "changed": False, "msg": "src and dest are required"}
    path = find_template(call, str(src))
    if path is None:
        return not_found(call, str(src))
    try:
        text = call.templar.render_file(str(path), call.scope,
                                        trim_blocks=flag(call, "trim_blocks", True),
                                        lstrip_blocks=flag(call, "lstrip_blocks", False))
    except MiniplayError as exc:  # Ansible words it as a failed task, not an error
        return {"failed": True, "changed": False, "msg": f"Task failed: {exc.message}"}
    text = keep_trailing_newlines(path.read_text(encoding="utf-8"), text)
    newline = str(call.args.get("newline_sequence", "\n"))
    if newline != "\n":
        text = text.replace("\n", newline.encode().decode("unicode_escape"))
    host = call.host_access
    assert host is not None, "template needs host access"
    args = {k: v for k, v in call.args.items() if k not in TEMPLATE_ONLY}
    result = await send_file(host, args, text.encode("utf-8"), str(dest), path.name)
    if "path" in result and "dest" not in result:
        result["dest"] = result["path"]
    return result
