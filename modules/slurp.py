#!/usr/bin/env python3
"""slurp: read a whole file on the host and return it base64-encoded.

Takes (one JSON object on stdin): ``src`` (aliases ``path``).
Gives (one JSON object on stdout): ``{"content": base64, "encoding": "base64",
"source": src, "changed": false}`` as ansible-core 2.19 returns it. Raises: nothing; a
missing, unreadable or directory path is a failed result with Ansible's message.

Read-only, so check mode is the same run. Standard library only, Python >= 3.8.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import sys
from typing import Any


def slurp(raw: dict[str, Any]) -> dict[str, Any]:
    given = {k: v for k, v in raw.items() if not k.startswith("_ansible_")}
    if "path" in given:
        given.setdefault("src", given.pop("path"))
    unknown = sorted(set(given) - {"src"})
    if unknown:
        return {"failed": True, "msg": f"Unsupported parameters for (slurp) module: "
                                       f"{', '.join(unknown)}. Supported parameters include: "
                                       "path, src."}
    if given.get("src") is None:
        return {"failed": True, "msg": "missing required arguments: src"}
    source = os.path.expanduser(os.path.expandvars(str(given["src"])))
    try:
        with open(source, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        messages = {errno.ENOENT: f"File not found: {source}",
                    errno.EACCES: f"File is not readable: {source}",
                    errno.EISDIR: f"Source is a directory and must be a file: {source}"}
        return {"failed": True,
                "msg": messages.get(exc.errno, "Unable to slurp file: {source}")}
    return {"content": base64.b64encode(data).decode("ascii"), "source": source,
            "encoding": "base64"}


def main() -> None:
    raw = json.load(sys.stdin)
    result = slurp(raw)
    result["invocation"] = {"module_args": {k: v for k, v in raw.items()
                                            if not k.startswith("_ansible_")}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
