"""uri, get_url and wait_for against an HTTP server and ports this test starts on 127.0.0.1."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from miniplay.runner import ModuleFinder

MODULES = Path(__file__).parents[2] / "modules"
PAYLOAD = b"downloaded bytes\n"


class Handler(http.server.BaseHTTPRequestHandler):
    """/json, /text, /file.bin (honours If-Modified-Since), /echo (POST), /missing -> 404."""

    requests: ClassVar[list[tuple[str, str, dict[str, str], bytes]]] = []

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def reply(self, status: int, body: bytes, kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def record(self) -> bytes:
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size) if size else b""
        Handler.requests.append((self.command, self.path, dict(self.headers), body))
        return body

    def do_GET(self) -> None:
        self.record()
        if self.path == "/json":
            self.reply(200, b'{"ok": true, "n": 3}', "application/json")
        elif self.path == "/text":
            self.reply(200, b"hello")
        elif self.path == "/file.bin":
            if self.headers.get("If-Modified-Since"):
                self.send_response(304)
                self.end_headers()
                return
            self.reply(200, PAYLOAD, "application/octet-stream")
        else:
            self.reply(404, b"nope")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        body = self.record()
        self.reply(201, json.dumps({"got": json.loads(body or b"null")}).encode(),
                   "application/json")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def run(module: str, args: dict[str, Any], *, check: bool = False) -> dict[str, Any]:
    payload = dict(args, _ansible_check_mode=check, _ansible_diff=False)
    # The module as a host receives it (helpers inlined), run as `-c` with -P: modules/ is
    # not on sys.path, where modules/tempfile.py would shadow the stdlib's (urllib imports
    # it); the agent runs modules in its own process, where this cannot happen.
    sent = ModuleFinder([MODULES]).find(module)
    assert sent is not None
    proc = subprocess.run([sys.executable, "-P", "-c", sent.source.decode()],
                          input=json.dumps(payload).encode(), capture_output=True, check=True,
                          timeout=60)
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_uri_get_json(server: str) -> None:
    result = run("uri", {"url": f"{server}/json"})
    assert (result["status"], result["changed"], result["json"]) == (200, False,
                                                                     {"ok": True, "n": 3})
    assert result["msg"] == "OK (20 bytes)"
    assert result["content_type"] == "application/json"
    assert "content" not in result


def test_uri_return_content_and_status_codes(server: str) -> None:
    text = run("uri", {"url": f"{server}/text", "return_content": True})
    assert text["content"] == "hello"
    missing = run("uri", {"url": f"{server}/missing"})
    assert missing["failed"] is True
    assert missing["msg"] == "Status code was 404 and not [200]: HTTP Error 404: Not Found"
    allowed = run("uri", {"url": f"{server}/missing", "status_code": [200, 404]})
    assert "failed" not in allowed


def test_uri_post_json_with_headers_and_auth(server: str) -> None:
    result = run("uri", {"url": f"{server}/echo", "method": "POST", "body_format": "json",
                         "body": {"a": 1}, "status_code": 201, "headers": {"X-Test": "yes"},
                         "url_username": "u", "url_password": "p", "force_basic_auth": True})
    assert result["json"] == {"got": {"a": 1}}
    method, _, headers, _ = Handler.requests[-1]
    assert method == "POST"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Test"] == "yes"
    assert headers["Authorization"] == "Basic dTpw"
    assert result["invocation"]["module_args"]["url_password"] == \
        "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_uri_unreachable() -> None:
    result = run("uri", {"url": f"http://127.0.0.1:{free_port()}/", "timeout": 2})
    assert result["status"] == -1
    assert result["failed"] is True
    assert "Connection refused" in result["msg"]


def test_get_url_downloads_once(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "file.bin"
    first = run("get_url", {"url": f"{server}/file.bin", "dest": str(dest), "mode": "0600"})
    assert first["changed"] is True
    assert dest.read_bytes() == PAYLOAD
    assert (first["mode"], first["status_code"]) == ("0600", 200)
    again = run("get_url", {"url": f"{server}/file.bin", "dest": str(dest), "mode": "0600"})
    assert again["changed"] is False


def test_get_url_checksum(server: str, tmp_path: Path) -> None:
    good = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()
    first = run("get_url", {"url": f"{server}/file.bin", "dest": str(tmp_path), "checksum": good})
    assert first["changed"] is True
    assert first["dest"] == str(tmp_path / "file.bin")
    count = len(Handler.requests)
    again = run("get_url", {"url": f"{server}/file.bin", "dest": str(tmp_path / "file.bin"),
                            "checksum": good})
    assert (again["changed"], again["msg"]) == (False, "file already exists")
    assert len(Handler.requests) == count  # nothing fetched
    bad = run("get_url", {"url": f"{server}/file.bin", "dest": str(tmp_path / "other"),
                          "checksum": "sha256:" + "0" * 64})
    assert bad["failed"] is True
    assert "did not match" in bad["msg"]
    assert not (tmp_path / "other").exists()


def test_get_url_check_mode_and_errors(server: str, tmp_path: Path) -> None:
    checked = run("get_url", {"url": f"{server}/file.bin", "dest": str(tmp_path / "f")},
                  check=True)
    assert checked["changed"] is True
    assert not (tmp_path / "f").exists()
    missing = run("get_url", {"url": f"{server}/missing", "dest": str(tmp_path / "f")})
    assert (missing["msg"], missing["status_code"]) == ("Request failed", 404)
    bad = run("get_url", {"url": f"{server}/x", "dest": str(tmp_path / "f"), "checksum": "abc"})
    assert bad["msg"] == "The checksum parameter has to be in format <algorithm>:<checksum>"


def test_wait_for_port_open_and_closed(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    opened = run("wait_for", {"port": port, "timeout": 5})
    assert (opened["state"], opened["port"], opened["elapsed"]) == ("started", port, 0)
    closed = run("wait_for", {"port": free_port(), "state": "stopped", "timeout": 5})
    assert closed["state"] == "stopped"
    late = run("wait_for", {"port": free_port(), "timeout": 1, "sleep": 0.2})
    assert late["failed"] is True
    assert late["msg"].startswith("Timeout when waiting for 127.0.0.1:")
    assert late["elapsed"] == 1


def test_wait_for_port_that_opens_later() -> None:
    port = free_port()

    def listen_later() -> None:
        time.sleep(1)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
            sock.listen()
            conn, _ = sock.accept()
            with conn:
                conn.sendall(b"SSH-2.0-fake ready\r\n")

    thread = threading.Thread(target=listen_later, daemon=True)
    thread.start()
    result = run("wait_for", {"port": port, "timeout": 10, "sleep": 0.2,
                              "search_regex": r"SSH-(\d)\.(\d)"})
    thread.join(5)
    assert result["match_groups"] == ["2", "0"]


def test_wait_for_file(tmp_path: Path) -> None:
    path = tmp_path / "ready"

    def write_later() -> None:
        time.sleep(0.5)
        path.write_text("status=up pid=42\n")

    threading.Thread(target=write_later, daemon=True).start()
    found = run("wait_for", {"path": str(path), "search_regex": r"pid=(?P<pid>\d+)",
                             "timeout": 5, "sleep": 0.1})
    assert found["match_groupdict"] == {"pid": "42"}
    os.unlink(path)
    gone = run("wait_for", {"path": str(path), "state": "absent", "timeout": 2})
    assert gone["state"] == "absent"
    missing = run("wait_for", {"path": str(path), "timeout": 1, "sleep": 0.2, "msg": "no file"})
    assert (missing["failed"], missing["msg"]) == (True, "no file")


def test_uri_through_a_playbook(server: str, tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text(f"""- hosts: localhost
  gather_facts: false
  tasks:
    - wait_for: {{port: {server.rsplit(':', 1)[1]}, timeout: 5}}
    - uri: {{url: "{server}/json"}}
      register: r
    - assert: {{that: ["r.json.n == 3", "r.status == 200"]}}
    - get_url: {{url: "{server}/file.bin", dest: "{tmp_path}/dl.bin"}}
""")
    done = subprocess.run([sys.executable, "-m", "miniplay", str(book)], capture_output=True,
                          text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "dl.bin").read_bytes() == PAYLOAD
