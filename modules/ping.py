#!/usr/bin/env python3
"""ping: prove that the host can run a module, and answer.

Takes (one JSON object on stdin): ``data`` (default ``"pong"``).
Gives (one JSON object on stdout): ``{"ping": data, "changed": false}`` plus
``invocation.module_args``. Raises: ``data: crash`` raises an exception on purpose (as
Ansible's ping does, to test error handling); the guard below reports it as the failed
result ansible-core 2.19 registers: ``msg: "Task failed: Module failed: boom"``.

Standard library only, Python >= 3.8.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any


def ping(args: dict[str, Any]) -> dict[str, Any]:
    data = args.get("data", "pong")
    data = "pong" if data is None else str(data)
    if data == "crash":
        raise Exception("boom")  # the documented crash; Exception is what Ansible raises
    return {"ping": data, "changed": False, "invocation": {"module_args": {"data": data}}}


def main() -> None:
    args = json.load(sys.stdin)
    try:
        result = ping(args)
    except Exception as exc:
        result = {"failed": True, "changed": False, "msg": f"Task failed: Module failed: {exc}",
                  "exception": traceback.format_exc()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
