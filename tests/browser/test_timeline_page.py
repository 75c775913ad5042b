"""The timeline page in a real headless browser (Debian's `chromium`).

A real run of `async_demo.yml` (an async `poll: 0` job, work while it runs, an ignored
failure, a skip, a handler, `async_status` polls) on three local hosts writes the page;
Chromium loads it from disk. Checked: no console messages at all (errors included), one
lane per host, one bar per task result, the job's bar spanning the later tasks' bars,
and a screenshot that is not blank. Without chromium this skips locally but FAILS when
`CI` is set: CI must never silently skip it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from browser_tools import chromium, demo_page, elements, load_page, png_colours, screenshot

HOSTS = ["node1", "node2", "node3"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> str:
    found = chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test, but chromium is missing "
                        "(apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    return found


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("timeline")
    out = directory / "timeline.html"
    done = demo_page(directory, HOSTS, out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def loaded(browser: str, page: Path) -> tuple[str, list[str]]:
    return load_page(browser, page)


def embedded(page: Path) -> dict[str, Any]:
    text = page.read_text(encoding="utf-8")
    found = re.search(r'id="timeline-data">(.*?)</script>', text, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def x_range(attrs: dict[str, str]) -> tuple[float, float]:
    start = float(attrs["x"])
    return start, start + float(attrs["width"])


def test_page_loads_without_console_messages(loaded: tuple[str, list[str]]) -> None:
    dom, console = loaded
    assert console == []
    assert "<svg" in dom


def test_one_lane_per_host(loaded: tuple[str, list[str]]) -> None:
    lanes = elements(loaded[0], "g", "lane")
    assert [lane["data-host"] for lane in lanes] == HOSTS


def test_one_bar_per_task_result(loaded: tuple[str, list[str]], page: Path) -> None:
    data = embedded(page)
    bars = elements(loaded[0], "rect", "bar")
    assert len(bars) == len(data["spans"]) == 7 * len(HOSTS)  # 6 tasks + 1 handler
    assert sorted((b["data-host"], b["data-task"]) for b in bars) == sorted(
        (s["host"], s["task"]) for s in data["spans"])
    handlers = {t["uid"] for t in data["tasks"] if t["handler"]}
    assert {b["data-task"] for b in bars if "handler" in b["class"].split()} == handlers
    statuses = {c for b in bars for c in b["class"].split() if c.startswith("status-")}
    assert statuses == {"status-ok", "status-changed", "status-failed", "status-skipped"}


def test_poll_0_job_bar_overlaps_the_later_tasks(loaded: tuple[str, list[str]],
                                                 page: Path) -> None:
    data = embedded(page)
    names = {t["uid"]: t["name"] for t in data["tasks"]}
    jobs = elements(loaded[0], "rect", "job")
    assert sorted(j["data-host"] for j in jobs) == HOSTS
    bars = elements(loaded[0], "rect", "bar")
    for job in jobs:
        launched, ended = x_range(job)
        later = [b for b in bars if b["data-host"] == job["data-host"]
                 and names[b["data-task"]] in ("Quick work while the job runs",
                                               "Slower work while the job runs")]
        assert len(later) == 2
        for bar in later:
            start, end = x_range(bar)
            assert launched <= start, (job, bar)
            assert end <= ended, (job, bar)
    assert len(elements(loaded[0], "line", "poll")) >= len(HOSTS)


def test_screenshot_is_not_blank(browser: str, page: Path, tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    screenshot(browser, page, out, 1000, 420)
    assert out.stat().st_size > 10_000
    width, height, colours = png_colours(out)
    assert (width, height) == (1000, 420)
    assert colours > 20
