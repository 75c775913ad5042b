"""`pause`: wait some seconds or minutes, or until the user presses enter.

Takes: an `ActionCall` with `seconds` or `minutes` (integers), `prompt`, `echo`.
Gives: ansible-core 2.19's pause result: ``changed: false``, ``rc: 0``,
``stdout: "Paused for N seconds"`` (or minutes), ``start``/``stop``, ``delta``,
``echo``, ``user_input``. Raises: nothing; bad arguments, and a `prompt` with no time
when no terminal is attached, are failed results.

Why refuse a prompt without a TTY: Ansible then warns and goes on at once, which turns
"wait for the operator" into "do not wait" in CI; miniplay says so instead (a declared
difference). Waiting never blocks the event loop: other hosts keep running.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import time
from typing import Any

from miniplay.actions.base import ActionCall


def duration(call: ActionCall) -> tuple[float | None, str] | str:
    """(seconds or None, unit), or the error message."""
    minutes, seconds = call.args.get("minutes"), call.args.get("seconds")
    if minutes is not None and seconds is not None:
        return "parameters are mutually exclusive: minutes|seconds"
    try:
        if minutes is not None:
            return max(int(float(minutes)) * 60, 1), "minutes"
        if seconds is not None:
            return max(int(float(seconds)), 1), "seconds"
    except (TypeError, ValueError):
        return f"argument 'seconds'/'minutes' must be an integer, got {seconds or minutes!r}"
    return None, "minutes"


async def read_line(prompt: str) -> str:
    """Show `prompt` on the controlling terminal and read one line without blocking."""
    fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()
    buffer = bytearray()

    def readable() -> None:
        buffer.extend(os.read(fd, 1024))
        if b"\n" in buffer and not answer.done():
            answer.set_result(buffer.split(b"\n")[0].decode("utf-8", "replace"))

    try:
        os.write(fd, prompt.encode())
        loop.add_reader(fd, readable)
        return await answer
    finally:
        loop.remove_reader(fd)
        os.close(fd)


def has_tty() -> bool:
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


async def pause(call: ActionCall) -> dict[str, Any]:
    """Sleep for the duration, or wait for enter on the terminal."""
    wait = duration(call)
    if isinstance(wait, str):
        return {"failed": True, "changed": False, "msg": wait}
    seconds, unit = wait
    prompt = call.args.get("prompt")
    echo = str(call.args.get("echo", True)).lower() not in ("0", "false", "no", "off")
    if seconds is None and not has_tty():
        return {"failed": True, "changed": False,
                "msg": "pause needs a terminal to wait for input; give seconds or minutes"}
    start, started = time.monotonic(), datetime.datetime.now()
    user_input = ""
    if seconds is None:
        text = prompt or "Press enter to continue, Ctrl+C to interrupt"
        user_input = await read_line(f"[{call.task.name or 'pause'}]\n{text}:\n")
    else:
        await asyncio.sleep(seconds)
    elapsed = time.monotonic() - start
    shown = round(elapsed / 60.0, 2) if unit == "minutes" else round(elapsed, 2)
    return {"changed": False, "rc": 0, "stderr": "", "stdout": f"Paused for {shown} {unit}",
            "start": str(started), "stop": str(datetime.datetime.now()),
            "delta": int(elapsed), "echo": echo, "user_input": user_input}
