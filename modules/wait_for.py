#!/usr/bin/env python3
"""wait_for: wait until a TCP port opens or closes, a file appears or goes, or time passes.

Takes (one JSON object on stdin): ``host`` (127.0.0.1), ``port``, ``path``, ``state``
(``started``/``present``, ``stopped``/``absent``), ``search_regex`` (in the file, or in
what the port sends), ``timeout`` (300 s), ``delay`` (before the first check),
``sleep`` (between checks, 1 s), ``connect_timeout`` (5 s), ``msg`` (failure message).
Gives (one JSON object on stdout): ansible-core 2.19's result: ``state``, ``port``,
``path``, ``search_regex``, ``match_groups``, ``match_groupdict``, ``elapsed`` (whole
seconds), ``changed: false`` (plus the path's owner/mode/size, and ``state`` naming its kind,
as AnsibleModule adds them); on timeout a failed result with Ansible's message.
Raises: nothing. ``state: drained`` (counting connections) is refused as not built.

Waiting is all it does, so check mode waits too, as Ansible's does. Standard library
only, Python >= 3.8.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import socket
import stat as st
import sys
import time
from typing import Any

DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1", "port": None, "path": None, "state": "started",
    "search_regex": None, "timeout": 300, "delay": 0, "sleep": 1, "connect_timeout": 5,
    "msg": None, "exclude_hosts": None, "active_connection_states": None}
STATES = ("absent", "drained", "present", "started", "stopped")


class Failure(Exception):
    """Ends the module with a failed result."""

    def __init__(self, msg: str, elapsed: int = 0) -> None:
        super().__init__(msg)
        self.result = {"failed": True, "msg": msg, "elapsed": elapsed}


def params_of(raw: dict[str, Any]) -> dict[str, Any]:
    given = {k: v for k, v in raw.items() if not k.startswith("_ansible_")}
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise Failure(f"Unsupported parameters for (wait_for) module: {', '.join(unknown)}. "
                      f"Supported parameters include: {', '.join(sorted(DEFAULTS))}.")
    p = dict(DEFAULTS, **{k: v for k, v in given.items() if v is not None})
    for name in ("timeout", "delay", "connect_timeout", "port"):
        if p[name] is not None:
            p[name] = int(p[name])
    p["sleep"] = float(p["sleep"])
    if p["state"] not in STATES:
        raise Failure(f"value of state must be one of: {', '.join(STATES)}, got: {p['state']}")
    if p["port"] and p["path"]:
        raise Failure("port and path parameter can not both be passed to wait_for")
    if p["path"] and p["state"] == "stopped":
        raise Failure("state=stopped should only be used for checking a port in the wait_for "
                      "module")
    if p["state"] == "drained":
        raise Failure("state=drained is not built in miniplay's wait_for")
    return p


def port_open(p: dict[str, Any], left: float, regex: Any) -> Any:
    """True (or the regex match) when the port accepts a connection; None otherwise."""
    try:
        conn = socket.create_connection((p["host"], p["port"]),
                                        max(0.1, min(p["connect_timeout"], left)))
    except OSError:
        return None
    with conn:
        if regex is None:
            return True
        data, deadline = b"", time.monotonic() + left
        while time.monotonic() < deadline:
            conn.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = conn.recv(1024)
            except OSError:
                return None
            if not chunk:
                break
            data += chunk
            match = regex.search(data)
            if match:
                return match
    return None


def file_ready(path: str, regex: Any) -> Any:
    try:
        with open(path, "rb") as handle:
            data = handle.read() if regex is not None else b""
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return True if regex is None else None
    except OSError as exc:
        raise Failure(f"Failed to stat {path}, {exc.strerror}") from None
    return True if regex is None else regex.search(data)


def gone(p: dict[str, Any]) -> bool:
    if p["path"]:
        return not os.path.exists(p["path"])
    return port_open(p, p["connect_timeout"], None) is None


def timeout_message(p: dict[str, Any]) -> str:
    where = f"{p['host']}:{p['port']}" if p["port"] else p["path"]
    if p["state"] in ("absent", "stopped"):
        return (f"Timeout when waiting for {where} to stop." if p["port"]
                else f"Timeout when waiting for {where} to be absent.")
    if p["search_regex"]:
        return f"Timeout when waiting for search string {p['search_regex']} in {where}"
    return f"Timeout when waiting for {where}" if p["port"] else (
        f"Timeout when waiting for file {where}")


def wait(p: dict[str, Any], start: float) -> Any:
    """Poll until the condition holds; the match found (or True)."""
    regex = re.compile(p["search_regex"].encode()) if p["search_regex"] else None
    end = start + p["timeout"]
    while time.monotonic() < end:
        if p["state"] in ("absent", "stopped"):
            if gone(p):
                return True
        else:
            found = (file_ready(p["path"], regex) if p["path"]
                     else port_open(p, end - time.monotonic(), regex))
            if found is not None:
                return found
        time.sleep(min(p["sleep"], max(0.0, end - time.monotonic())))
    raise Failure(p["msg"] or timeout_message(p), int(time.monotonic() - start))


def run(p: dict[str, Any]) -> dict[str, Any]:
    start = time.monotonic()
    if p["delay"]:
        time.sleep(p["delay"])
    found: Any = True
    if not p["port"] and not p["path"]:
        time.sleep(p["timeout"])
    else:
        found = wait(p, start)
    groups, named = [], {}
    if found is not True and found is not None:
        groups = [g.decode("utf-8", "replace") if g is not None else None for g in found.groups()]
        named = {k: v.decode("utf-8", "replace") if v is not None else None
                 for k, v in found.groupdict().items()}
    return {"changed": False, "state": p["state"], "port": p["port"],
            "search_regex": p["search_regex"], "match_groups": groups,
            "match_groupdict": named, "path": p["path"],
            "elapsed": int(time.monotonic() - start)}


def path_info(result: dict[str, Any]) -> dict[str, Any]:
    """What AnsibleModule adds for a result naming an existing `path` (state included)."""
    path = result.get("path")
    if not path or not os.path.exists(path):
        return result
    info = os.lstat(path)
    try:
        owner, group = pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        owner, group = str(info.st_uid), str(info.st_gid)
    kind = ("link" if st.S_ISLNK(info.st_mode) else "directory" if st.S_ISDIR(info.st_mode)
            else "hard" if info.st_nlink > 1 else "file")
    result.update(uid=info.st_uid, gid=info.st_gid, owner=owner, group=group, state=kind,
                  mode=f"0{st.S_IMODE(info.st_mode):03o}", size=info.st_size)
    return result


def main() -> None:
    raw = json.load(sys.stdin)
    try:
        result = path_info(run(params_of(raw)))
    except Failure as failure:
        result = failure.result
    except (ValueError, re.error) as exc:
        result = {"failed": True, "msg": str(exc), "elapsed": 0}
    result["invocation"] = {"module_args": {k: v for k, v in raw.items()
                                            if not k.startswith("_ansible_")}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
