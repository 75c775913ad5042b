"""ping module, standalone and through the agent."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from miniplay.connection.base import ModuleRequest
from miniplay.connection.local import LocalConnection

PING = Path(__file__).parents[2] / "modules" / "ping.py"


def run(args: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(PING)], input=json.dumps(args).encode(),
                          capture_output=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_pong() -> None:
    assert run({}) == {"ping": "pong", "changed": False,
                       "invocation": {"module_args": {"data": "pong"}}}


def test_data_is_echoed() -> None:
    assert run({"data": "hello"})["ping"] == "hello"


def test_crash_is_a_failed_result_like_ansible_2_19() -> None:
    result = run({"data": "crash"})
    assert result["failed"] is True
    assert result["msg"] == "Task failed: Module failed: boom"
    assert "Exception: boom" in result["exception"]


def test_through_the_agent() -> None:
    async def main() -> dict[str, Any]:
        connection = LocalConnection("localhost")
        try:
            return await connection.run_module(ModuleRequest("ping", PING.read_bytes(), {}))
        finally:
            await connection.close()

    assert asyncio.run(main())["ping"] == "pong"
