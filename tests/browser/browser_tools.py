"""Helpers for checking the timeline page in Debian's headless `chromium`.

`chromium()` finds the browser (installing the `chromium` package with apt-get when
running as root and it is missing); `load_page` runs it with `--dump-dom` and returns
the DOM after the page's scripts ran plus every console message (Chromium prints them
to stderr as `CONSOLE` lines with `--enable-logging=stderr`); `screenshot` saves a PNG;
`png_colours` decodes a PNG with the standard library only; `elements` lists the
dumped DOM's tags with their attributes; `demo_page` runs the demo playbook on local
hosts and writes the timeline page.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")


def chromium() -> str | None:
    """The chromium binary, installed with apt-get when missing and allowed (root)."""
    found = shutil.which("chromium")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env,
                   capture_output=True, timeout=900, check=False)
    return shutil.which("chromium")


def _run(browser: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="miniplay-chromium-") as profile:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120, check=False)


def load_page(browser: str, page: Path) -> tuple[str, list[str]]:
    """The DOM of `page` after its scripts ran, and the console messages it logged."""
    done = _run(browser, "--enable-logging=stderr", "--v=0", "--window-size=1200,800",
                "--dump-dom", page.resolve().as_uri())
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def screenshot(browser: str, page: Path, out: Path, width: int, height: int) -> None:
    """Save a `width` x `height` PNG of `page` at `out`."""
    _run(browser, f"--window-size={width},{height}", f"--screenshot={out.resolve()}",
         page.resolve().as_uri())


def _unfilter(kind: int, line: bytearray, prior: bytes, bpp: int) -> None:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = prior[i]
        corner = prior[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + best) & 0xFF


def png_colours(path: Path) -> tuple[int, int, int]:
    """Width, height and number of distinct colours of an 8-bit RGB/RGBA PNG."""
    raw = path.read_bytes()
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, chunks, header = 8, b"", b""
    while pos < len(raw):
        size, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + size]
        header = body if kind == b"IHDR" else header
        chunks += body if kind == b"IDAT" else b""
        pos += 12 + size
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    if depth != 8 or colour_type not in (2, 6):
        raise ValueError("only 8-bit RGB/RGBA PNGs")
    bpp = 3 if colour_type == 2 else 4
    data, stride = zlib.decompress(chunks), width * bpp
    prior, colours = bytes(stride), set()
    for row in range(height):
        start = row * (stride + 1)
        line = bytearray(data[start + 1:start + 1 + stride])
        _unfilter(data[start], line, prior, bpp)
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        prior = bytes(line)
    return width, height, len(colours)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def elements(dom: str, tag: str, css_class: str) -> list[dict[str, str]]:
    """Attributes of every `tag` element whose class list holds `css_class`."""
    parser = _Elements()
    parser.feed(dom)
    return [attrs for name, attrs in parser.found
            if name == tag and css_class in attrs.get("class", "").split()]


def inventory(directory: Path, hosts: list[str]) -> Path:
    """An INI inventory of local hosts (one process each, the controller's Python)."""
    path = directory / "inventory.ini"
    path.write_text("[fanout]\n" + "".join(
        f"{h} ansible_connection=local ansible_python_interpreter={sys.executable}\n"
        for h in hosts))
    return path


def demo_page(directory: Path, hosts: list[str], out: Path) -> subprocess.CompletedProcess[str]:
    """Run the demo playbook (an async `poll: 0` job) on `hosts`; the page goes to `out`."""
    return subprocess.run(
        [sys.executable, "-m", "miniplay", "tests/browser/async_demo.yml",
         "-i", str(inventory(directory, hosts)), "--timeline", str(out.resolve())],
        capture_output=True, text=True, timeout=300, check=False, cwd=HERE.parents[1],
        env={**os.environ, "NO_COLOR": "1"})
