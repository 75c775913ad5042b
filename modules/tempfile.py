#!/usr/bin/env python3
"""tempfile: create a uniquely named temporary file or directory on the host.

Takes (one JSON object on stdin): ``state`` (``file``/``directory``), ``path`` (the
parent; default the system temp dir), ``prefix`` (``ansible.``), ``suffix``.
Gives (one JSON object on stdout): ``{"changed": true, "path": ...}`` plus the owner,
mode and size AnsibleModule adds, as ansible-core 2.19 does. Raises: nothing; a prefix
or suffix with a ``/`` or an unwritable parent is a failed result.

Always creates something new, so it cannot honour check mode: like Ansible it skips
("does not support check mode"). Standard library only, Python >= 3.8.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat as st
import sys
from typing import Any

DEFAULTS = {"state": "file", "path": None, "prefix": "ansible.", "suffix": ""}


def create(raw: dict[str, Any]) -> dict[str, Any]:
    given = {k: v for k, v in raw.items() if not k.startswith("_ansible_")}
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        return {"failed": True, "msg": f"Unsupported parameters for (tempfile) module: "
                                       f"{', '.join(unknown)}. Supported parameters include: "
                                       f"{', '.join(sorted(DEFAULTS))}."}
    p = dict(DEFAULTS, **{k: v for k, v in given.items() if v is not None})
    if p["state"] not in ("file", "directory"):
        return {"failed": True, "msg": "value of state must be one of: file, directory, "
                                       f"got: {p['state']}"}
    for name in ("prefix", "suffix"):
        value = str(p[name])
        if value and value != os.path.basename(value):
            return {"failed": True,
                    "msg": f"{name} must be a valid file name component, got {value!r}"}
    parent = os.path.expanduser(str(p["path"])) if p["path"] else default_dir()
    try:
        path = make(parent, str(p["prefix"]), str(p["suffix"]), p["state"] == "directory")
    except OSError as exc:
        return {"failed": True, "msg": str(exc)}
    return path_info({"changed": True, "path": path})


def default_dir() -> str:
    for name in ("TMPDIR", "TEMP", "TMP"):
        if os.environ.get(name):
            return os.environ[name]
    return "/tmp"


def make(parent: str, prefix: str, suffix: str, directory: bool) -> str:
    """A new file (0600) or directory (0700) with a random name, as mkstemp/mkdtemp make
    them (the stdlib `tempfile` module is shadowed by this file when run as a script)."""
    while True:
        path = os.path.join(parent, prefix + os.urandom(6).hex()[:8] + suffix)
        try:
            if directory:
                os.mkdir(path, 0o700)
            else:
                os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
            return path
        except FileExistsError:
            continue


def path_info(result: dict[str, Any]) -> dict[str, Any]:
    info = os.lstat(result["path"])
    try:
        owner, group = pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        owner, group = str(info.st_uid), str(info.st_gid)
    kind = "directory" if st.S_ISDIR(info.st_mode) else "file"
    result.update(uid=info.st_uid, gid=info.st_gid, owner=owner, group=group, state=kind,
                  mode=f"0{st.S_IMODE(info.st_mode):03o}", size=info.st_size)
    return result


def main() -> None:
    raw = json.load(sys.stdin)
    if raw.get("_ansible_check_mode"):
        result: dict[str, Any] = {"skipped": True, "changed": False,
                                  "msg": "remote module (tempfile) does not support check mode"}
    else:
        result = create(raw)
    result["invocation"] = {"module_args": {k: v for k, v in raw.items()
                                            if not k.startswith("_ansible_")}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
