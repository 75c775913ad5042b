#!/usr/bin/env python3
"""The raw floor: the workloads' remote commands over plain asyncssh, nothing else.

Takes: a workload name, a host count and the test sshd's port, user, key and known_hosts.
Gives: one JSON line (in-process seconds, slowest handshake); exit 1 if a command fails.
Raises: nothing.

Per host: one connection (host key checked), then the host's commands in order, each on
its own exec channel, the commands of one step (the 5 sleeps of async_fanout) as
concurrent channels; all hosts at once. No agent, no module, no templating, no output:
what is left is interpreter start, handshakes and channel round trips, the least any
asyncssh-based engine can do on this machine. Keep `STEPS` in step with workloads/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

STARTED = time.perf_counter()

STEPS = {
    "many_tasks": lambda host: [["/bin/true"]] * 20,
    "templating": lambda host: [[f"echo HELLO-{host} item={i} triple={i * 3}"]
                                for i in range(1, 21)],
    "async_fanout": lambda host: [["sleep 2"] * 5],
    "async_poll": lambda host: [["sleep 3"]],
}


async def one_host(name: str, args: argparse.Namespace, slowest: list[float]) -> int:
    import asyncssh

    began = time.perf_counter()
    async with asyncssh.connect(args.address, args.port, username=args.user,
                                client_keys=[args.key], known_hosts=args.known_hosts,
                                agent_path=None, config=[], compression_algs=None) as conn:
        slowest.append(time.perf_counter() - began)
        for step in STEPS[args.workload](name):
            for done in await asyncio.gather(*(conn.run(cmd) for cmd in step)):
                if done.exit_status != 0:
                    raise SystemExit(f"floor: {name}: exit {done.exit_status}: {done.stderr!r}")
    return 1


async def main(args: argparse.Namespace) -> dict[str, object]:
    slowest: list[float] = []
    began = time.perf_counter()
    hosts = [f"h{i:03d}" for i in range(1, args.n + 1)]
    await asyncio.gather(*(one_host(h, args, slowest) for h in hosts))
    return {"workload": args.workload, "n": args.n, "run_s": round(time.perf_counter() - began, 3),
            "process_s": round(time.perf_counter() - STARTED, 3),
            "slowest_connect_s": round(max(slowest), 3)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(STEPS))
    parser.add_argument("n", type=int)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--known-hosts", required=True)
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
    sys.exit(0)
