"""`miniplay jobs`: the async jobs on each host, outside any playbook run.

Takes: an inventory, a host pattern and an action (`list`, `show JID`, `cleanup [JID]`,
`kill JID`). Gives: each host's answer from the `async_jobs` module and a table for the
terminal. Raises: `UsageError` when the pattern matches no host; unreachable hosts are
reported in the table, not raised.

Ansible has no tool to see fire-and-forget jobs; this one reads the same status files
ansible-core's format defines (plus miniplay's `.<jid>.meta` sidecar), on every host at
once, over the same connections a run uses.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from miniplay.connection import open_connection
from miniplay.errors import HostUnreachable, UsageError
from miniplay.inventory import Inventory
from miniplay.options import RunOptions
from miniplay.runner import ModuleFinder, run_module, search_dirs
from miniplay.templating import Templar
from miniplay.variables import VarScope


@dataclass(frozen=True, slots=True)
class JobsRequest:
    """One `miniplay jobs` invocation."""

    action: str
    pattern: str = "all"
    jid: str | None = None
    finished_only: bool = False


async def _on_host(host: str, inventory: Inventory, options: RunOptions,
                   request: JobsRequest, finder: ModuleFinder) -> dict[str, Any]:
    scope = VarScope([*inventory.var_layers(host), options.extra_vars], Templar())
    module = finder.find("async_jobs")
    if module is None:
        return {"failed": True, "msg": "the async_jobs module is missing"}
    async_dir = scope.get("ansible_async_dir", options.async_dir)
    args = {"action": request.action, "jid": request.jid, "_async_dir": async_dir,
            "finished_only": request.finished_only}
    try:
        conn = open_connection(host, scope, options)
        try:
            return await run_module(conn, module, args, check=False, diff=False, no_log=False)
        finally:
            await conn.close()
    except HostUnreachable as exc:
        return {"unreachable": True, "msg": exc.message}


async def run_jobs(inventory: Inventory, options: RunOptions,
                   request: JobsRequest) -> dict[str, dict[str, Any]]:
    """Each selected host's answer, asked concurrently."""
    hosts = inventory.select(request.pattern, options.limit)
    if not hosts:
        raise UsageError(f"no hosts match {request.pattern!r}",
                         hint="give -i INVENTORY and a host pattern (default: all)")
    finder = ModuleFinder(search_dirs(".", options.module_paths))
    answers = await asyncio.gather(*(
        _on_host(host, inventory, options, request, finder) for host in hosts))
    return dict(zip(hosts, answers, strict=True))


def _when(stamp: Any) -> str:
    if not isinstance(stamp, (int, float)):
        return "-"
    return datetime.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def _row(host: str, job: Mapping[str, Any]) -> str:
    elapsed = job.get("elapsed")
    limit = job.get("async")
    rc = job.get("rc")
    return (f"{host:<16} {job.get('jid', ''):<24} {job.get('state', ''):<9} "
            f"{_when(job.get('started')):<19} "
            f"{('-' if elapsed is None else f'{elapsed:.0f}s'):>8} "
            f"{('-' if limit is None else f'{limit}s'):>6} "
            f"{job.get('module') or '-':<12} {'-' if rc is None else rc}")


def format_answers(answers: Mapping[str, Mapping[str, Any]], action: str) -> str:
    """Human text: a table for `list`, the result document for `show`, a line otherwise."""
    lines: list[str] = []
    if action == "list":
        lines.append(f"{'HOST':<16} {'JOB ID':<24} {'STATE':<9} {'STARTED':<19} "
                     f"{'ELAPSED':>8} {'ASYNC':>6} {'MODULE':<12} RC")
    for host, answer in answers.items():
        if answer.get("unreachable") or answer.get("failed"):
            word = "UNREACHABLE" if answer.get("unreachable") else "FAILED"
            lines.append(f"{host}: {word}: {answer.get('msg', '')}")
        elif action == "list":
            lines.extend(_row(host, job) for job in answer.get("jobs", []))
        elif action == "show":
            job = answer.get("job") or {}
            lines.append(f"{host}: {job.get('jid')} ({job.get('state')})")
            lines.append(json.dumps(job.get("result"), indent=4, sort_keys=True))
        elif action == "cleanup":
            lines.append(f"{host}: removed {len(answer.get('removed', []))} job file(s)")
        else:
            job = answer.get("job") or {}
            lines.append(f"{host}: {job.get('jid')} {job.get('state')}")
    return "\n".join(lines)


def exit_code(answers: Mapping[str, Mapping[str, Any]]) -> int:
    """4 if a host was unreachable, 2 if one failed, else 0 (ansible-playbook's rule)."""
    if any(a.get("unreachable") for a in answers.values()):
        return 4
    return 2 if any(a.get("failed") for a in answers.values()) else 0
