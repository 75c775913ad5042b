"""`template`: render a Jinja2 file on the controller with the host's variables, copy it.

Takes: an `ActionCall` with `src` (looked up in templates/ of the task's role, beside the
task, beside the playbook), `dest`, the Jinja options (`trim_blocks` true,
`lstrip_blocks` false, `newline_sequence`, the six delimiter strings), `output_encoding`
and the copy module's file options (`mode: preserve` copies the template's mode). Gives:
the copy result for the rendered text (ansible-core 2.19's template result). Raises:
nothing; a template that does not render is a failed result ("Task failed: 'x' is
undefined", as Ansible words it; the error block shows the template file and line).

The template sees the host's variables plus Ansible's template variables
(`template_host`, `template_path`, `template_fullpath`, `template_destpath`,
`template_uid`, `template_mtime`, `template_run_date`, and `ansible_managed` unless the
play defines it), and its first line may override the Jinja options (`#jinja2: ...`).

Why here: rendering needs the run's variables and Jinja environment, which only the
controller has; the host receives finished bytes through the same `copy` module.
"""

from __future__ import annotations

import datetime
import os
import pwd
import stat
from pathlib import Path
from typing import Any

from miniplay.actions.base import ActionCall
from miniplay.actions.copy import send_file
from miniplay.errors import MiniplayError
from miniplay.executor.outcome import ERROR_AT, ERROR_DETAIL

DELIMITERS = ("block_start_string", "block_end_string", "variable_start_string",
              "variable_end_string", "comment_start_string", "comment_end_string")
TEMPLATE_ONLY = ("src", "trim_blocks", "lstrip_blocks", "newline_sequence", "output_encoding",
                 *DELIMITERS)
ANSIBLE_MANAGED = "Ansible managed"
"""ansible-core's default `ansible_managed` (its DEFAULT_MANAGED_STR; miniplay reads no
ansible.cfg, so the setting cannot change it)."""
_ESCAPED_NEWLINES = {"\\n": "\n", "\\r": "\r", "\\r\\n": "\r\n"}


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


def flag(call: ActionCall, name: str, default: bool) -> bool:
    value = call.args.get(name, default)
    return str(value).lower() in ("1", "true", "yes", "on", "y", "t")


def template_vars(call: ActionCall, path: Path, src: str, dest: str) -> dict[str, Any]:
    """Ansible's variables about the template being rendered."""
    info = path.stat()
    try:
        owner: int | str = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = info.st_uid
    found = {
        "template_host": os.uname()[1], "template_path": src,
        "template_fullpath": str(path.absolute()), "template_destpath": dest,
        "template_uid": owner, "template_run_date": datetime.datetime.now(),
        "template_mtime": datetime.datetime.fromtimestamp(info.st_mtime),
    }
    if "ansible_managed" not in call.scope:
        found["ansible_managed"] = ANSIBLE_MANAGED
    return found


def search_path(call: ActionCall, path: Path) -> list[str]:
    """Where `{% include %}` looks: each search folder's templates/ then itself, and
    the template's own folder last, as Ansible's template action builds it."""
    bases = [*call.search_dirs, str(path.parent)]
    return [place for base in bases for place in (str(Path(base) / "templates"), base)]


def jinja_options(call: ActionCall) -> dict[str, Any] | str:
    """The Jinja options from the task's arguments, or why they are wrong."""
    newline = call.args.get("newline_sequence", "\n")
    newline = _ESCAPED_NEWLINES.get(str(newline), newline)
    if newline not in ("\n", "\r", "\r\n"):
        return "newline_sequence needs to be one of: \n, \r or \r\n"
    options: dict[str, Any] = {"trim_blocks": flag(call, "trim_blocks", True),
                               "lstrip_blocks": flag(call, "lstrip_blocks", False),
                               "newline_sequence": newline}
    options.update({name: str(call.args[name]) for name in DELIMITERS if name in call.args})
    return options


async def template(call: ActionCall) -> dict[str, Any]:
    """Render `src` and hand the text to the host's copy module."""
    src, dest = call.args.get("src"), call.args.get("dest")
    if "state" in call.args:
        return {"failed": True, "changed": False,
                "msg": "'state' cannot be specified on a template"}
    if not src or not dest:
        return {"failed": True, "changed": False, "msg": "src and dest are required"}
    options = jinja_options(call)
    if isinstance(options, str):
        return {"failed": True, "changed": False, "msg": options}
    path = find_template(call, str(src))
    if path is None:
        return not_found(call, str(src))
    scope = call.scope.child(template_vars(call, path, str(src), str(dest)))
    try:
        text = call.templar.render_file(str(path), scope, overrides=options,
                                        searchpath=search_path(call, path))
    except MiniplayError as exc:  # Ansible words it as a failed task, not an error
        failure = {"failed": True, "changed": False, "msg": f"Task failed: {exc.message}"}
        if exc.pos is not None:  # shown as the error block's "caused by" origin
            failure.update({ERROR_AT: f"{exc.pos.file}:{exc.pos.line}:{exc.pos.column}",
                            ERROR_DETAIL: exc.message})
        return failure
    host = call.host_access
    assert host is not None, "template needs host access"
    args = {k: v for k, v in call.args.items() if k not in TEMPLATE_ONLY}
    if args.get("mode") == "preserve":
        args["mode"] = f"0{stat.S_IMODE(path.stat().st_mode):03o}"
    encoding = str(call.args.get("output_encoding") or "utf-8")
    try:
        data = text.encode(encoding, errors="surrogateescape")
    except LookupError:
        return {"failed": True, "changed": False, "msg": f"unknown encoding: {encoding}"}
    result = await send_file(host, args, data, str(dest), path.name)
    if "path" in result and "dest" not in result:
        result["dest"] = result["path"]
    return result
