"""`include_vars`: load variables from a YAML/JSON file or a directory of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from miniplay.actions.base import ActionCall
from miniplay.errors import MiniplayError
from miniplay.loader import load_file, plain


def _files(call: ActionCall) -> list[Path]:
    name = call.args.get("file", call.args.get("_raw_params"))
    directory = call.args.get("dir")
    base = Path(call.base_dir)
    if directory:
        root = Path(str(directory))
        root = root if root.is_absolute() else base / root
        found = [p for p in sorted(root.rglob("*")) if p.suffix in (".yml", ".yaml", ".json")]
        return found
    path = Path(str(name))
    if not path.is_absolute():
        for candidate in (base / "vars" / path, base / path):
            if candidate.is_file():
                return [candidate]
        return [base / path]
    return [path]


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
