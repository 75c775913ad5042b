"""`fetch`: copy a file from the host to the controller.

Takes: an `ActionCall` with `src` (on the host), `dest` (on the controller, relative to
the playbook), `flat`, `fail_on_missing` (true), `validate_checksum` (true). Gives:
ansible-core 2.19's fetch result: ``changed``, ``checksum``, ``md5sum``, ``dest`` (and
``remote_checksum`` when transferred, ``file`` when already there). Raises: nothing;
missing files and mismatches are failed results.

Without `flat` the file lands at ``dest/<inventory_hostname>/<src path>`` so several
hosts never overwrite each other. Idempotent: the host's `stat` checksum is compared
with the local copy before anything is transferred. Check mode skips, as in Ansible.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from miniplay.actions.base import ActionCall


def local_path(call: ActionCall, src: str, dest: str) -> str:
    """Where the file lands on the controller."""
    if str(call.args.get("flat", False)).lower() in ("1", "true", "yes", "on", "y", "t"):
        if dest.endswith(os.sep):
            dest = os.path.join(dest, os.path.basename(src))
    else:
        dest = f"{dest}/{call.host}/{src.lstrip('/')}"
    if not os.path.isabs(dest):
        dest = os.path.join(call.base_dir, dest)
    return os.path.normpath(dest)


def digest(path: str, algorithm: str) -> str | None:
    if not os.path.isfile(path):
        return None
    return hashlib.new(algorithm, Path(path).read_bytes()).hexdigest()


def save(target: str, data: bytes) -> None:
    """Write the fetched bytes, making the per-host directories first."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    Path(target).write_bytes(data)


def missing(call: ActionCall, message: str, src: str) -> dict[str, Any]:
    if str(call.args.get("fail_on_missing", True)).lower() in ("0", "false", "no", "off"):
        return {"changed": False, "file": src, "msg": message + ", not transferring, ignored"}
    return {"failed": True, "changed": False, "msg": message + ", not transferring, ignored"
            if "does not exist" in message else message}


async def fetch(call: ActionCall) -> dict[str, Any]:
    """Compare checksums, then bring the host's file over through the agent."""
    host = call.host_access
    assert host is not None, "fetch needs host access"
    if host.check_mode:
        return {"skipped": True, "changed": False,
                "msg": "check mode not (yet) supported for this module"}
    src, dest = call.args.get("src"), call.args.get("dest")
    if not src or not dest:
        return {"failed": True, "changed": False, "msg": "src and dest are required"}
    remote = await host.run_module("stat", {"path": src, "get_mime": False,
                                            "get_attributes": False})
    info = remote.get("stat") or {}
    if not info.get("exists"):
        return missing(call, "the remote file does not exist", str(src))
    if info.get("isdir"):
        return missing(call, "remote file is a directory, fetch cannot work on directories",
                       str(src))
    target = local_path(call, str(src), str(dest))
    if info.get("checksum") == digest(target, "sha1"):
        return {"changed": False, "md5sum": digest(target, "md5"), "file": src,
                "dest": target, "checksum": info.get("checksum")}
    data = await (await host.connection()).fetch_file(str(src))
    save(target, data)
    result = {"changed": True, "md5sum": digest(target, "md5"), "dest": target,
              "remote_md5sum": None, "checksum": digest(target, "sha1"),
              "remote_checksum": info.get("checksum")}
    if result["checksum"] != info.get("checksum") and call.args.get("validate_checksum", True):
        result.update(failed=True, changed=False, msg="checksum mismatch", file=src)
    return result
