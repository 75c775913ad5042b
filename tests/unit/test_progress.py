"""The live async line: drawn while jobs are awaited, erased before other output."""

from __future__ import annotations

import io

from miniplay.events import Event, JobPolled, JobStarted, Notice, Recap
from miniplay.output.progress import CLEAR, LiveProgress


class Recorder:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def emit(self, event: Event) -> None:
        self.stream.write(f"<{type(event).__name__}>\n")


def test_line_counts_jobs_and_time_left() -> None:
    stream = io.StringIO()
    progress = LiveProgress(Recorder(stream), stream, clock=lambda: 105.0)
    progress.emit(JobStarted("a", "t", "j1.1", 60, 5, 100.0))
    progress.emit(JobStarted("b", "t", "j2.2", 60, 5, 100.0))
    progress.emit(JobPolled("a", "t", "j1.1", True, False, 104.0))
    assert progress.line() == (
        "async jobs: 1 finished, 1 running, 0 failed; 55s left before the async limit")
    progress.emit(JobPolled("b", "t", "j2.2", False, True, 105.0))
    assert progress.line().startswith("async jobs: 1 finished, 0 running, 1 failed")


def test_line_is_erased_before_other_output_and_stops_when_done() -> None:
    stream = io.StringIO()
    progress = LiveProgress(Recorder(stream), stream, clock=lambda: 0.0)
    progress.emit(JobStarted("a", "t", "j1.1", 10, 1, 0.0))
    assert stream.getvalue().endswith("10s left before the async limit")
    progress.emit(Notice("hello"))
    text = stream.getvalue()
    assert text.endswith(f"{CLEAR}<Notice>\n")
    progress.emit(Recap({}, 1.0))
    assert stream.getvalue().endswith("<Recap>\n")


def test_fire_and_forget_alone_draws_nothing() -> None:
    stream = io.StringIO()
    progress = LiveProgress(Recorder(stream), stream)
    progress.emit(JobStarted("a", "t", "j1.1", 10, 0, 0.0))
    assert stream.getvalue() == "<JobStarted>\n"


def test_diff_rendering() -> None:
    from miniplay.output.diff import render_diff

    text = render_diff({"before": "a\nb\n", "after": "a\nc\n", "before_header": "/etc/x (before)",
                        "after_header": "/etc/x (after)"})
    assert text == ("--- /etc/x (before)\n+++ /etc/x (after)\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n")
    assert render_diff([{"prepared": "P\n"}, {"before": "", "after": ""}]) == "P\n"
    assert "\x1b[0;32m+c" in render_diff({"before": "b\n", "after": "c\n"}, color=True)
