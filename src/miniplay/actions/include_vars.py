"""`include_vars`: load variables from a YAML/JSON file or a directory of them.

A relative name is looked for as Ansible looks: in the task's role (its `vars/` first),
then beside the task's file, then in the playbook's folder (each `vars/` first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from miniplay.actions.base import ActionCall
from miniplay.errors import MiniplayError
from miniplay.loader import load_file, plain


def _found(call: ActionCall, name: str, kind: str) -> Path:
    """Where a relative `file`/`dir` is, in Ansible's order: each of the task's search
    folders (its role, its file's folder, the playbook's), `vars/` inside it first."""
    path = Path(name).expanduser()
    if path.is_absolute():
        return path
    wanted = Path.is_dir if kind == "dir" else Path.is_file
    folders = [Path(folder) for folder in call.search_dirs]
    for folder in dict.fromkeys(folders):
        for candidate in (folder / "vars" / path, folder / path):
            if wanted(candidate):
                return candidate
    return Path(call.base_dir) / path


def _files(call: ActionCall) -> list[Path]:
    name = call.args.get("file", call.args.get("_raw_params"))
    directory = call.args.get("dir")
    if directory:
        root = _found(call, str(directory), "dir")
        return [p for p in sorted(root.rglob("*")) if p.suffix in (".yml", ".yaml", ".json")]
    return [_found(call, str(name), "file")]


async def include_vars(call: ActionCall) -> dict[str, Any]:
    """Variables land in the include_vars layer (below set_fact, above task vars)."""
    loaded: dict[str, Any] = {}
    files = _files(call)
    for path in files:
        try:
            data = plain(load_file(path).data)
        except MiniplayError as exc:
            return {"failed": True, "changed": False, "msg": exc.message}
        if data is None:
            continue
        if not isinstance(data, dict):
            return {"failed": True, "changed": False,
                    "msg": f"{path} must be stored as a dictionary/hash"}
        loaded.update(data)
    name = call.args.get("name")
    if name:
        loaded = {str(name): loaded}
    call.state.include_vars.update(loaded)
    return {"ansible_facts": loaded, "ansible_included_var_files": [str(p) for p in files],
            "changed": False}
