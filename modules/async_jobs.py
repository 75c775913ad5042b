#!/usr/bin/env python3
"""async_jobs: list, show, clean up and kill the async jobs in a host's async directory.

Takes (JSON on stdin): ``action`` (``list`` | ``show`` | ``cleanup`` | ``kill``), ``jid``
(for show/kill, optional for cleanup), ``finished_only`` (cleanup), ``_async_dir``.
Gives (JSON on stdout): ``jobs`` (list) or ``job`` (one record) and ``changed``.
Raises: nothing; problems are ``failed`` results.

This is the host side of ``miniplay jobs`` (Ansible has no such tool). It reads the
status files ansible-core's format defines plus the ``.<jid>.meta`` sidecar the
miniplay agent writes (module, start time, limit, process group). Job ids are checked
against the job-id format before they touch a path.
"""

import contextlib
import json
import os
import re
import signal
import sys
import time

JID = re.compile(r"j\d+\.\d+")


def job_dir(args):
    chosen = args.get("_async_dir") or os.environ.get("ANSIBLE_ASYNC_DIR") or "~/.ansible_async"
    return os.path.abspath(os.path.expanduser(chosen))


def read_json(path):
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    if not text.strip():
        return {"started": True, "finished": False}
    try:
        return json.loads(text)
    except ValueError:
        return {"failed": True, "msg": "corrupt status file"}


def state_of(status):
    if status is None:
        return "missing"
    if status.get("killed"):
        return "killed"
    if "started" in status and not status.get("finished"):
        return "running"
    if status.get("failed") or status.get("rc") not in (None, 0):
        return "failed"
    return "finished"


def record(directory, jid):
    status = read_json(os.path.join(directory, jid))
    meta = read_json(os.path.join(directory, "." + jid + ".meta")) or {}
    started = meta.get("started")
    if started is None and status is not None:
        started = os.stat(os.path.join(directory, jid)).st_mtime
    return {
        "jid": jid,
        "state": state_of(status),
        "module": meta.get("module"),
        "started": started,
        "elapsed": round(time.time() - started, 1) if started else None,
        "async": meta.get("async"),
        "rc": None if status is None else status.get("rc"),
        "result": status,
    }


def all_jobs(directory):
    if not os.path.isdir(directory):
        return []
    names = [name for name in os.listdir(directory) if JID.fullmatch(name)]
    jobs = [record(directory, name) for name in names]
    return sorted(jobs, key=lambda job: job["started"] or 0)


def remove(directory, jid):
    for name in (jid, "." + jid + ".meta"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            os.unlink(path)


def kill(directory, jid):
    job = record(directory, jid)
    if job["state"] != "running":
        return {"failed": True, "msg": "job %s is not running (%s)" % (jid, job["state"])}
    meta = read_json(os.path.join(directory, "." + jid + ".meta")) or {}
    wrapper = int(jid.split(".")[1])
    for pid, group in ((wrapper, False), (meta.get("pgid"), True)):
        if not pid:
            continue
        with contextlib.suppress(OSError):  # already gone
            (os.killpg if group else os.kill)(int(pid), signal.SIGKILL)
    path = os.path.join(directory, jid)
    tmp = path + ".tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        json.dump({"failed": True, "killed": True, "msg": "killed by miniplay jobs kill",
                   "ansible_job_id": jid}, handle)
    os.rename(tmp, path)
    return {"changed": True, "job": record(directory, jid)}


def main():
    args = json.load(sys.stdin)
    action = args.get("action", "list")
    directory = job_dir(args)
    jid = args.get("jid")
    if jid is not None and (not JID.fullmatch(str(jid))):
        print(json.dumps({"failed": True, "msg": "invalid job id: %r" % (jid,)}))
        return
    if action == "list":
        out = {"changed": False, "jobs": all_jobs(directory)}
    elif action == "show":
        job = record(directory, jid) if jid else None
        out = ({"failed": True, "msg": "could not find job"} if not job or
               job["state"] == "missing" else {"changed": False, "job": job})
    elif action == "cleanup":
        targets = [jid] if jid else [job["jid"] for job in all_jobs(directory)
                                     if not args.get("finished_only")
                                     or job["state"] in ("finished", "failed", "killed")]
        for target in targets:
            remove(directory, target)
        out = {"changed": bool(targets), "removed": targets}
    elif action == "kill" and jid:
        out = kill(directory, jid)
    else:
        out = {"failed": True, "msg": "unknown action %r (or missing jid)" % (action,)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
