"""Make docs/timeline.png: the demo run on four local hosts, drawn by the timeline page.

Usage (from the repository root): `python tests/browser/make_screenshot.py [OUT.png]`.
Needs Debian's `chromium`. The page goes to a temporary directory, the PNG to OUT
(default `docs/timeline.png`).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from browser_tools import chromium, demo_page, screenshot

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "timeline.png"
    browser = chromium()
    if browser is None:
        print("chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as directory:
        page = Path(directory) / "timeline.html"
        done = demo_page(Path(directory), ["web1", "web2", "db1", "db2"], page)
        if done.returncode != 0:
            print(done.stdout + done.stderr, file=sys.stderr)
            return done.returncode
        screenshot(browser, page, out, 1100, 370)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
