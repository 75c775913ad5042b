"""LocalConnection: the agent started lazily, raw shell commands, files, close."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from miniplay.connection.agent_client import AgentError
from miniplay.connection.base import Connection, ModuleRequest
from miniplay.connection.local import LocalConnection
from miniplay.errors import HostUnreachable

ECHO = b"import json, sys\nprint(json.dumps(json.load(sys.stdin)))\n"


def test_is_a_connection() -> None:
    connection: Connection = LocalConnection("localhost")
    assert connection.host == "localhost"


def test_agent_starts_on_first_use_and_stays() -> None:
    async def main() -> int:
        connection = LocalConnection("localhost")
        assert connection._process is None
        first = await connection.run_module(ModuleRequest("echo", ECHO, {"a": 1}))
        assert first["a"] == 1
        assert connection._process is not None
        pid = connection._process.pid
        await connection.run_module(ModuleRequest("echo", ECHO, {}))
        assert connection._process.pid == pid
        await connection.close()
        await connection.close()
        return pid

    assert not Path(f"/proc/{asyncio.run(main())}").exists()


def test_exec_raw_uses_sh_with_environment() -> None:
    async def main() -> None:
        connection = LocalConnection("localhost")
        raw = await connection.exec_raw("echo $MINIPLAY_T; echo oops >&2; exit 3",
                                        {"MINIPLAY_T": "v"})
        assert (raw.rc, raw.stdout, raw.stderr) == (3, "v\n", "oops\n")
        await connection.close()

    asyncio.run(main())


def test_put_and_fetch_file(tmp_path: Path) -> None:
    async def main() -> None:
        connection = LocalConnection("localhost")
        dest = tmp_path / "out.bin"
        await connection.put_file(b"\x00\x01data", str(dest), 0o600)
        assert dest.read_bytes() == b"\x00\x01data"
        assert dest.stat().st_mode & 0o777 == 0o600
        assert await connection.fetch_file(str(dest)) == b"\x00\x01data"
        with pytest.raises(AgentError, match="No such file"):
            await connection.fetch_file(str(tmp_path / "missing"))
        await connection.close()

    asyncio.run(main())


def test_put_file_keeps_existing_mode(tmp_path: Path) -> None:
    async def main() -> None:
        dest = tmp_path / "script"
        dest.write_text("old")
        os.chmod(dest, 0o751)
        connection = LocalConnection("localhost")
        await connection.put_file(b"new", str(dest))
        assert dest.read_text() == "new"
        assert dest.stat().st_mode & 0o777 == 0o751
        await connection.close()

    asyncio.run(main())


def test_missing_python_is_unreachable() -> None:
    async def main() -> None:
        connection = LocalConnection("box", python="/nonexistent/python3")
        with pytest.raises(HostUnreachable, match="box"):
            await connection.run_module(ModuleRequest("echo", ECHO, {}))
        await connection.close()

    asyncio.run(main())


def test_broken_python_is_unreachable_with_its_stderr(tmp_path: Path) -> None:
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\necho 'no python here' >&2\nexit 127\n")
    fake.chmod(0o755)

    async def main() -> None:
        connection = LocalConnection("box", python=str(fake))
        with pytest.raises(HostUnreachable, match="no python here"):
            await connection.run_module(ModuleRequest("echo", ECHO, {}))
        await connection.close()

    asyncio.run(main())


def test_custom_python() -> None:
    async def main() -> str:
        connection = LocalConnection("localhost", python=sys.executable)
        source = b"import json, sys\nprint(json.dumps({'exe': sys.executable}))\n"
        result = await connection.run_module(ModuleRequest("exe", source, {}))
        await connection.close()
        return str(result["exe"])

    assert os.path.realpath(asyncio.run(main())) == os.path.realpath(sys.executable)
