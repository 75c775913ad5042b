"""The host agent, spoken to directly over its stdin/stdout frames (real processes)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from miniplay.connection.agent_client import agent_source, bootstrap_command

PY38 = Path.home() / ".pyenv/versions/3.8.18/bin/python"
ECHO_ARGS = b"import json, sys\nprint(json.dumps({'args': json.load(sys.stdin)}))\n"


class Agent:
    """A running agent and a blocking frame reader/writer for it."""

    def __init__(self, python: str = sys.executable) -> None:
        self.proc = subprocess.Popen(
            [python, "-c", agent_source().decode()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.sent: set[str] = set()

    def send(self, **frame: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(frame).encode() + b"\n")
        self.proc.stdin.flush()

    def recv(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "agent closed its stdout"
        reply: dict[str, Any] = json.loads(line)
        return reply

    def call(self, **frame: Any) -> dict[str, Any]:
        self.send(**frame)
        return self.recv()

    def run_frame(self, source: bytes, rid: int = 1, **fields: Any) -> dict[str, Any]:
        digest = hashlib.sha256(source).hexdigest()
        frame = {"id": rid, "op": "run", "module": fields.pop("module", "m"), "hash": digest,
                 "args": fields.pop("args", {}), **fields}
        if digest not in self.sent:
            frame["source"] = base64.b64encode(source).decode()
            self.sent.add(digest)
        return frame

    def run(self, source: bytes, **fields: Any) -> dict[str, Any]:
        reply = self.call(**self.run_frame(source, **fields))
        result: dict[str, Any] = reply["result"]
        return result

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        self.proc.wait(timeout=10)


@pytest.fixture
def agent() -> Iterator[Agent]:
    running = Agent()
    yield running
    running.close()


def test_hello(agent: Agent) -> None:
    reply = agent.call(id=7, op="hello")
    assert reply["id"] == 7
    assert reply["python"] == ".".join(map(str, sys.version_info[:3]))
    assert reply["pid"] == agent.proc.pid
    assert reply["home"] == os.path.expanduser("~")


def test_run_passes_args_and_internal_keys(agent: Agent) -> None:
    result = agent.run(ECHO_ARGS, args={"a": 1}, check_mode=True, module="echo")
    assert result == {"args": {"a": 1, "_ansible_check_mode": True, "_ansible_diff": False,
                               "_ansible_no_log": False, "_ansible_module_name": "echo"}}


def test_module_source_is_cached_by_hash(agent: Agent) -> None:
    agent.run(ECHO_ARGS)
    frame = agent.run_frame(ECHO_ARGS)
    assert "source" not in frame
    assert agent.call(**frame)["result"]["args"]["_ansible_module_name"] == "m"


LOADED = (b"import json, sys\n"
          b"print(json.dumps({n: n in sys.modules for n in ('colorsys', 'syrupy')}))\n")


def test_a_modules_stdlib_imports_are_preloaded_for_later_runs(agent: Agent) -> None:
    """Runs fork from the agent: once a module's source arrives, the standard-library
    modules it imports are loaded in the agent, so every later fork has them; a
    third-party import (syrupy) is left to the module's own process."""
    assert agent.run(LOADED) == {"colorsys": False, "syrupy": False}
    agent.run(b"import json\nimport colorsys  # comment\nimport syrupy\n"
              b"print(json.dumps({}))\n")
    assert agent.run(LOADED) == {"colorsys": True, "syrupy": False}


def test_agent_start_imports_little() -> None:
    """The agent's own start stays cheap: modules' needs are preloaded on demand."""
    probe = ("import sys; exec(compile(sys.stdin.read(), 'agent', 'exec'), "
             "{'__name__': 'probe'}); "
             "print(sorted(n for n in ('tempfile', 'shutil', 'traceback', 'hashlib', "
             "'subprocess', 'typing', 'miniplay') if n in sys.modules))")
    done = subprocess.run([sys.executable, "-I", "-c", probe], input=agent_source().decode(),
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_unknown_hash_asks_for_source(agent: Agent) -> None:
    reply = agent.call(id=3, op="run", module="m", hash="0" * 64, args={})
    assert reply == {"id": 3, "need_source": True}


def test_source_must_match_hash(agent: Agent) -> None:
    reply = agent.call(id=3, op="run", module="m", hash="0" * 64, args={},
                       source=base64.b64encode(b"print(1)").decode())
    assert "does not match its hash" in reply["error"]


def test_environment_reaches_module(agent: Agent) -> None:
    source = b"import json, os\nprint(json.dumps({'v': os.environ['MINIPLAY_X']}))\n"
    assert agent.run(source, environment={"MINIPLAY_X": "42"}) == {"v": "42"}
    assert "MINIPLAY_X" not in os.environ


def test_overlapping_requests_are_answered_by_id(agent: Agent) -> None:
    slow = b"import json, time\ntime.sleep(1)\nprint(json.dumps({'who': 'slow'}))\n"
    fast = b"import json\nprint(json.dumps({'who': 'fast'}))\n"
    started = time.monotonic()
    agent.send(**agent.run_frame(slow, rid=1))
    agent.send(**agent.run_frame(slow, rid=2))
    agent.send(**agent.run_frame(fast, rid=3))
    replies = [agent.recv() for _ in range(3)]
    assert replies[0] == {"id": 3, "result": {"who": "fast"}}
    assert {r["id"] for r in replies[1:]} == {1, 2}
    assert time.monotonic() - started < 1.9  # the two slow ones ran at the same time


@pytest.mark.parametrize(
    ("source", "rc"),
    [
        (b"raise RuntimeError('kaput')\n", 1),
        (b"import sys\nsys.exit(3)\n", 3),
        (b"import os\nos._exit(4)\n", 4),
        (b"import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", -9),
        (b"print('just text')\n", 0),
    ],
    ids=["exception", "sys-exit", "os-exit", "killed", "not-json"],
)
def test_misbehaving_module_is_a_failed_result(agent: Agent, source: bytes, rc: int) -> None:
    result = agent.run(source)
    assert result["failed"] is True
    assert result["msg"] == "Module result deserialization failed: No start of json char found"
    assert result["rc"] == rc
    assert set(result) == {"failed", "msg", "module_stdout", "module_stderr", "rc"}
    assert agent.call(id=9, op="hello")["pid"] == agent.proc.pid  # still serving


def test_crash_keeps_its_traceback(agent: Agent) -> None:
    result = agent.run(b"raise RuntimeError('kaput')\n")
    assert "RuntimeError: kaput" in result["module_stderr"]


def test_junk_around_json_is_dropped_with_a_warning(agent: Agent) -> None:
    source = b"print('motd line')\nprint('{\"ok\": 1}')\nprint('trailing junk')\n"
    result = agent.run(source)
    assert result["ok"] == 1
    assert result["warnings"] == ["Module invocation had junk after the JSON data: trailing junk"]


def test_hung_module_times_out_and_its_group_dies(agent: Agent, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    source = (b"import subprocess, sys\np = subprocess.Popen(['sleep', '30'])\n"
              b"open(sys.argv[1] if len(sys.argv) > 1 else %r, 'w').write(str(p.pid))\n"
              b"p.wait()\n" % str(pidfile).encode())
    started = time.monotonic()
    result = agent.run(source, timeout=0.5)
    assert time.monotonic() - started < 3
    assert result == {"failed": True, "msg": "Task failed: Timed out after 0.5 second(s).",
                      "timedout": {"period": 0.5}}
    sleeper = int(pidfile.read_text())
    deadline = time.monotonic() + 2  # SIGKILL is delivered asynchronously
    while _alive(sleeper) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(sleeper)
    assert agent.call(id=9, op="hello")["pid"] == agent.proc.pid


def test_integer_timeout_is_shown_as_integer(agent: Agent) -> None:
    result = agent.run(b"import time\ntime.sleep(5)\n", timeout=1)
    assert result["msg"] == "Task failed: Timed out after 1 second(s)."


def test_want_json_module_gets_an_args_file(agent: Agent) -> None:
    source = (b"import json, sys\n"
              b"print(json.dumps({'file': sys.argv[1], 'args': json.load(open(sys.argv[1]))}))\n")
    result = agent.run(source, style="want_json", args={"x": "y"})
    assert result["args"]["x"] == "y"
    assert result["args"]["_ansible_module_name"] == "m"
    assert not os.path.exists(result["file"])  # removed after the run


def test_want_json_module_with_shebang_is_executed(agent: Agent) -> None:
    source = b'#!/bin/sh\nprintf \'{"argv1_exists": %s}\\n\' "$(test -f "$1" && echo true)"\n'
    assert agent.run(source, style="want_json") == {"argv1_exists": True}


def test_put_and_fetch_file(agent: Agent, tmp_path: Path) -> None:
    dest = tmp_path / "f.txt"
    data = base64.b64encode(b"content\n").decode()
    assert agent.call(id=1, op="put_file", dest=str(dest), data=data, mode=0o640)["ok"]
    assert dest.read_bytes() == b"content\n"
    assert dest.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]  # no temp file left
    reply = agent.call(id=2, op="fetch_file", src=str(dest))
    assert base64.b64decode(reply["data"]) == b"content\n"


def test_errors_are_replies_not_crashes(agent: Agent) -> None:
    assert "unknown op" in agent.call(id=1, op="bogus")["error"]
    assert "No such file" in agent.call(id=2, op="fetch_file", src="/nonexistent/x")["error"]
    assert agent.call(id=3, op="hello")["id"] == 3


def test_shutdown_and_eof_end_the_agent(agent: Agent) -> None:
    assert agent.call(id=1, op="shutdown") == {"id": 1, "ok": True}
    assert agent.proc.wait(timeout=5) == 0
    second = Agent()
    second.close()  # closes stdin: EOF
    assert second.proc.returncode == 0


def test_bootstrap_command_starts_the_agent_through_a_shell() -> None:
    command = bootstrap_command(sys.executable)
    proc = subprocess.run(["/bin/sh", "-c", command], input=b'{"id": 1, "op": "hello"}\n',
                          capture_output=True, timeout=10, check=True)
    assert json.loads(proc.stdout)["id"] == 1


@pytest.mark.skipif(not PY38.exists(), reason="needs Python 3.8")
def test_agent_and_modules_run_on_python_38() -> None:
    old = Agent(str(PY38))
    try:
        assert old.call(id=1, op="hello")["python"].startswith("3.8.")
        command = (Path(__file__).parents[2] / "modules" / "command.py").read_bytes()
        result = old.run(command, args={"_raw_params": "echo hi"}, module="command")
        assert result["stdout"] == "hi"
    finally:
        old.close()


def _alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
