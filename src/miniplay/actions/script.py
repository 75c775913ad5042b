"""`script`: send a script from the controller to the host and run it there.

Takes: an `ActionCall` with the free form ``path args...`` (or `cmd`), `creates`,
`removes`, `chdir` (absolute), `executable`. Gives: ansible-core 2.19's script result:
``changed: true``, ``rc``, ``stdout``/``stderr`` (+ ``_lines``); a non-zero exit is a
failed result ("non-zero return code"). `creates`/`removes` make it a skip. Raises:
nothing; a script missing on the controller is a failed result.

How: the host's `tempfile` module makes a private directory, the agent's `put_file`
writes the script there (mode 0700), the `command` module runs it, and `file` removes
the directory. Check mode skips the script ("Check mode is not supported for this
task.") unless `creates`/`removes` already decide, as Ansible does.
"""

from __future__ import annotations

import shlex
from typing import Any

from miniplay.actions.base import ActionCall, HostAccess
from miniplay.actions.copy import find_source


async def exists(host: HostAccess, path: str) -> bool:
    result = await host.run_module("stat", {"path": path, "get_checksum": False,
                                            "get_mime": False, "get_attributes": False})
    return bool((result.get("stat") or {}).get("exists"))


async def skip_reason(host: HostAccess, args: dict[str, Any]) -> str | None:
    creates, removes = args.get("creates"), args.get("removes")
    if creates and await exists(host, str(creates)):
        return f"{creates} exists, matching creates option"
    if removes and not await exists(host, str(removes)):
        return f"{removes} does not exist, matching removes option"
    return None


def lines(result: dict[str, Any]) -> dict[str, Any]:
    for name in ("stdout", "stderr"):
        result[name + "_lines"] = str(result.get(name, "")).splitlines()
    return result


async def run_remote(host: HostAccess, data: bytes, name: str, argv: list[str],
                     args: dict[str, Any]) -> dict[str, Any]:
    """Put the script in a fresh host temp dir, run it, remove the dir."""
    made = await host.run_module("tempfile", {"state": "directory", "prefix": "miniplay-script."})
    if made.get("failed") or made.get("skipped"):
        return {"failed": True, "changed": False,
                "msg": f"could not make a temp dir on the host: {made.get('msg')}"}
    path = f"{made['path']}/{name}"
    await (await host.connection()).put_file(data, path, 0o700)
    executable = args.get("executable")
    command = [*shlex.split(str(executable)), path] if executable else [path]
    run_args: dict[str, Any] = {"argv": [*command, *argv], "strip_empty_ends": False}
    if args.get("chdir"):
        run_args["chdir"] = args["chdir"]
    result = await host.run_module("command", run_args)
    await host.run_module("file", {"path": made["path"], "state": "absent"})
    out: dict[str, Any] = {k: result[k] for k in ("rc", "stdout", "stderr") if k in result}
    if "rc" not in out:  # the program could not even start
        out.update(rc=result.get("rc", 1), stderr=result.get("msg", ""), stdout="")
    out["changed"] = True
    if out["rc"] != 0:
        out.update(failed=True, msg="non-zero return code")
    return lines(out)


async def script(call: ActionCall) -> dict[str, Any]:
    """Skip on creates/removes, refuse in check mode, else send and run the script."""
    args = dict(call.args)
    raw = args.get("_raw_params") or args.get("cmd")
    if not raw:
        return {"failed": True, "changed": False,
                "msg": "one of the following is required: _raw_params, cmd"}
    chdir = args.get("chdir")
    if chdir and not str(chdir).startswith("/"):
        return {"failed": True, "changed": False,
                "msg": f"chdir {chdir} must be an absolute path for a Unix-aware remote node"}
    host = call.host_access
    assert host is not None, "script needs host access"
    reason = await skip_reason(host, args)
    if reason:
        return {"skipped": True, "changed": False, "msg": reason}
    if host.check_mode:
        return {"skipped": True, "changed": False,
                "msg": "Check mode is not supported for this task."}
    parts = shlex.split(str(raw).strip())
    source = find_source(call, parts[0])
    if source is None or not source.is_file():
        return {"failed": True, "changed": False,
                "msg": f"Could not find or access '{parts[0]}' on the Ansible Controller."}
    return await run_remote(host, source.read_bytes(), source.name, parts[1:], args)
