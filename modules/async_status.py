#!/usr/bin/env python3
"""async_status: report on (or clean up after) an async job on this host.

Takes (one JSON object on stdin): ``jid`` (required), ``mode`` (``status`` | ``cleanup``),
``_async_dir`` (else ``$ANSIBLE_ASYNC_DIR``, else ``~/.ansible_async``).
Gives (one JSON object on stdout), as ansible-core 2.19's action + module together:
defaults ``started``/``finished`` false, empty ``stdout``/``stderr`` (+ ``_lines``),
``ansible_job_id`` and ``results_file`` (status) or ``erased`` (cleanup), with the
module's answer merged over them: running → ``started: true, finished: false``; done →
the job's own result + ``finished: true``; unknown → failed "could not find job".
Raises: nothing; every problem is a failed result.

Deviation (security): the jid is checked against ``^j\\d+\\.\\d+$`` before any path is
built, so ``../x`` or an absolute jid cannot read or delete files outside the directory.
Standard library only, Python >= 3.8.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

JID = re.compile(r"j\d+\.\d+")


def job_dir(args: dict[str, Any]) -> str:
    chosen = args.get("_async_dir") or os.environ.get("ANSIBLE_ASYNC_DIR") or "~/.ansible_async"
    return os.path.abspath(os.path.expanduser(str(chosen)))


def read_job(jid: str, path: str) -> dict[str, Any]:
    """The job's record as async_status reports it."""
    if not os.path.exists(path):
        return {"failed": True, "msg": "could not find job", "started": True, "finished": True}
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    if not text.strip():
        return {"started": True, "finished": False}  # created, not written yet: running
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except ValueError:
        return {"failed": True, "msg": f"Could not parse job output: {text}",
                "started": True, "finished": True}
    if "started" not in data:
        data["finished"] = True
    elif "finished" not in data:
        data["finished"] = False
    return data


def answer(args: dict[str, Any]) -> dict[str, Any]:
    jid = str(args.get("jid") or "")
    mode = args.get("mode") or "status"
    # Argument errors come before ansible-core's action builds its defaults: msg only.
    if not jid:
        return {"failed": True, "msg": "missing required arguments: jid"}
    if mode not in ("status", "cleanup"):
        return {"failed": True,
                "msg": f"value of mode must be one of: status, cleanup, got: {mode}"}
    result: dict[str, Any] = {"started": False, "finished": False, "stdout": "", "stderr": "",
                              "stdout_lines": [], "stderr_lines": [], "ansible_job_id": jid}
    if not JID.fullmatch(jid) or any(bad in jid for bad in ("/", "\\", "..", "\0")):
        return dict(result, failed=True, msg=f"invalid job id: {jid!r}")
    path = os.path.join(job_dir(args), jid)
    if mode == "cleanup":
        result["erased"] = path
        if not os.path.exists(path):
            return dict(result, failed=True, msg="could not find job", started=True, finished=True)
        os.unlink(path)
        meta = os.path.join(job_dir(args), "." + jid + ".meta")
        if os.path.exists(meta):
            os.unlink(meta)
        return dict(result, changed=False)
    result.update(results_file=path, started=True)
    result.update(read_job(jid, path))
    result["ansible_job_id"] = jid
    result["started"] = bool(result["started"])
    result["finished"] = bool(result["finished"])
    return result


def main() -> None:
    print(json.dumps(answer(json.load(sys.stdin))))


if __name__ == "__main__":
    main()
