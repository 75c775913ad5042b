"""`copy`: read `src` (a file or a directory) or `content` on the controller, send it.

Takes: an `ActionCall` with `src` or `content`, `dest` and the copy module's options.
Gives: ansible-core 2.19's copy result: one file's result as the host's `copy` module
reports it; for a directory, ``{dest, src, changed}``. Raises: nothing; a missing
`src` or bad arguments are failed results.

Why on the controller: `src` names a file beside the playbook, not on the host. Each
file travels base64 in the module arguments (`_content`), so the host-side `copy`
module can compare checksums and write atomically in one step; directories under a
copied tree are made by the `file` module. `remote_src: true` hands everything to the
host module.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from miniplay.actions.base import ActionCall, HostAccess
from miniplay.executor.outcome import ERROR_KIND

FILE_ARGS = ("mode", "owner", "group", "attributes", "seuser", "serole", "setype",
             "selevel", "unsafe_writes")


def argument_error(args: Mapping[str, Any]) -> str | None:
    """Ansible's message for src/content/dest combinations it refuses."""
    src, content, dest = args.get("src"), args.get("content"), args.get("dest")
    for internal in ("_original_basename", "_diff_peek"):
        if args.get(internal) is not None:
            return f'Invalid parameter specified: "{internal}"'
    if not src and content is None:
        return "src (or content) is required"
    if not dest:
        return "dest is required"
    if src and content is not None:
        return "src and content are mutually exclusive"
    if content is not None and str(dest).endswith("/"):
        return "can not use content with a dir as dest"
    return None


def find_source(call: ActionCall, name: str) -> Path | None:
    """`name` as Ansible's `files` search finds it: `files/` (then the folder itself) in
    the task's role, beside the task's file, beside the playbook."""
    path = Path(os.path.expanduser(name))
    if path.is_absolute():
        return path if path.exists() else None
    for base in map(Path, call.search_dirs):
        for candidate in (base / "files" / path, base / path):
            if candidate.exists():
                return candidate
    return None


def not_found(call: ActionCall, name: str) -> dict[str, Any]:
    """Ansible's failure for a `src` it cannot find (an absolute one is not searched
    for, so no places are listed); raised by the action, hence `Task failed: ...`."""
    searched = ""
    if not Path(os.path.expanduser(name)).is_absolute():
        places = [str(Path(b) / sub / name) for b in call.search_dirs
                  for sub in ("files", "")]
        searched = "\nSearched in:\n\t" + "\n\t".join(p.rstrip("/") for p in places)
    return {"failed": True, "changed": False, ERROR_KIND: "task",
            "msg": "Unexpected AnsibleActionFail error: "
                   f"Could not find or access '{name}'{searched} on the "
                   "Ansible Controller.\nIf you are using a module and expect the file to "
                   "exist on the remote, see the remote_src option"}


def walk(root: Path, with_root: bool) -> tuple[list[tuple[Path, str]], list[str]]:
    """Files (path, relative name) and directories under `root`, as copy sends them."""
    prefix = root.name if with_root else ""
    files: list[tuple[Path, str]] = []
    dirs: list[str] = [prefix] if prefix else []
    for base, subdirs, names in os.walk(root, followlinks=True):
        rel = os.path.relpath(base, root)
        rel = os.path.normpath(os.path.join(prefix, rel)) if rel != "." else prefix
        dirs += [os.path.join(rel, d) for d in sorted(subdirs)]
        files += [(Path(base) / n, os.path.join(rel, n)) for n in sorted(names)]
    return files, dirs


def module_args(args: Mapping[str, Any], data: bytes, dest: str,
                basename: str | None) -> dict[str, Any]:
    """The host copy module's arguments for one file."""
    sent = {k: v for k, v in args.items() if k not in ("src", "content", "local_follow")}
    sent.update(dest=dest, _content=base64.b64encode(data).decode("ascii"))
    if basename is not None:
        sent["_original_basename"] = basename
    return sent


async def send_file(host: HostAccess, args: Mapping[str, Any], data: bytes, dest: str,
                    basename: str | None) -> dict[str, Any]:
    """One file through the host's copy module, its result shaped as the action's."""
    result = await host.run_module("copy", module_args(args, data, dest, basename))
    if result.get("msg") == "file already exists":  # force: false, nothing sent
        return {"changed": False, "dest": dest, "src": str(args.get("src", "content"))}
    refused = result.get("msg") == "can not use content with a dir as dest"
    if "checksum" not in result and not refused and (result.get("failed") or "dest" in result):
        result["checksum"] = hashlib.sha1(data).hexdigest()
    return result


async def copy_tree(host: HostAccess, args: Mapping[str, Any], root: Path,
                    dest: str) -> dict[str, Any]:
    """A controller directory: its directories (file module), then its files."""
    with_root = not str(args["src"]).endswith("/")
    files, dirs = walk(root, with_root)
    dest = dest if dest.endswith("/") else dest + "/"
    changed = False
    for rel in dirs:
        dir_args = {k: args[k] for k in FILE_ARGS if k in args and k != "mode"}
        dir_args.update(path=os.path.join(dest, rel), state="directory",
                        mode=args.get("directory_mode"))
        result = await host.run_module("file", {k: v for k, v in dir_args.items()
                                                if v is not None})
        if result.get("failed"):
            return result
        changed = changed or bool(result.get("changed"))
    for path, rel in files:
        result = await send_file(host, args, path.read_bytes(), dest, rel)
        if result.get("failed"):
            return result
        changed = changed or bool(result.get("changed"))
    return {"dest": dest, "src": str(root) + ("" if with_root else "/"), "changed": changed}


def content_bytes(content: Any) -> bytes:
    if isinstance(content, dict | list):
        return json.dumps(content).encode("utf-8")
    # b64decode gives undecodable bytes as lone surrogates: they go back to those bytes.
    return str(content).encode("utf-8", errors="surrogateescape")


async def copy(call: ActionCall) -> dict[str, Any]:
    """Send `content` or the `src` file/tree to the host's `copy` module."""
    problem = argument_error(call.args)
    if problem:
        return {"failed": True, "changed": False, "msg": problem}
    host = call.host_access
    assert host is not None, "copy needs host access"
    args = dict(call.args)
    dest = str(args["dest"])
    if args.get("remote_src"):
        return await host.run_module("copy", args)
    if args.get("content") is not None:
        return await send_file(host, args, content_bytes(args["content"]), dest, None)
    source = find_source(call, str(args["src"]))
    if source is None:
        return not_found(call, str(args["src"]))
    if source.is_dir():
        return await copy_tree(host, args, source, dest)
    result = await send_file(host, args, source.read_bytes(), dest, source.name)
    if "path" in result and "dest" not in result:
        result["dest"] = result["path"]
    return result
