"""The timeline's HTML page: a template with inline CSS and JS that draws the run's data.

Takes: the timeline data (`TimelineOutput.data()`). Gives: `render_page(data)`, one
self-contained HTML document: no network resources (no CDN, fonts or images; even the
favicon is a `data:` URL), so it opens from a CI artifact or an email attachment.
Raises: nothing (values json cannot encode are written with `str`).

The page embeds the data as a `<script type="application/json">` block and draws it as
SVG when it loads (and again on resize): a lane per host (`g.lane`), a bar per task
result (`rect.bar`, coloured by `status-*`, `handler` outlined), async jobs as thin bars
under the task bars (`rect.job`, from launch to the first poll that saw the job end, or
to the last poll while it never did) with a tick per poll (`line.poll`), a time axis
and a legend. Each mark has a `<title>` (hover text) and fills the details box on hover.

Why a module of constants: the page is data, kept beside the code that fills it and
packaged with it (a `.py` string needs no package-data configuration).
"""

from __future__ import annotations

import html
import json
from typing import Any

_CSS = """
:root { color-scheme: light; }
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 16px;
       color: #222; background: #fff; }
h1 { font-size: 18px; margin: 0 0 4px; }
.meta { color: #555; margin-bottom: 8px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 8px 0; }
.legend span { display: inline-flex; align-items: center; gap: 5px; }
.legend i { display: inline-block; width: 22px; height: 12px; border-radius: 2px; }
#details { min-height: 2.8em; white-space: pre-wrap; background: #f6f6f6;
           border: 1px solid #ddd; padding: 4px 8px; margin-bottom: 8px;
           font-family: ui-monospace, monospace; font-size: 12px; }
#chart svg { display: block; }
.lane-bg { fill: #fafafa; } .lane:nth-child(even) .lane-bg { fill: #f0f0f0; }
.host { font-size: 12px; fill: #222; }
.grid { stroke: #ddd; stroke-width: 1; } .tick-label { font-size: 11px; fill: #555; }
.play-band { fill: #e3eaf5; stroke: #9fb3d1; } .play-name { font-size: 11px; fill: #234; }
.bar { stroke: rgba(0,0,0,.35); stroke-width: .5; }
.bar.handler { stroke: #6a1b9a; stroke-width: 2; stroke-dasharray: 3 2; }
.bar.ignored { opacity: .55; }
.status-ok { fill: #43a047; } .status-changed { fill: #f2b807; }
.status-failed { fill: #e53935; } .status-skipped { fill: #4dd0e1; }
.status-unreachable { fill: #7f0000; }
.job { fill: #3f51b5; } .job.state-failed { fill: #e53935; }
.job.state-running { fill: #9fa8da; }
.poll { stroke: #111; stroke-width: 1.5; } .poll.done { stroke: #000; stroke-width: 3; }
.bar:hover, .job:hover { stroke: #000; stroke-width: 2; }
"""

_LEGEND = """
<span><i style="background:#43a047"></i>ok</span>
<span><i style="background:#f2b807"></i>changed</span>
<span><i style="background:#e53935"></i>failed</span>
<span><i style="background:#4dd0e1"></i>skipped</span>
<span><i style="background:#7f0000"></i>unreachable</span>
<span><i style="background:#fff;outline:2px dashed #6a1b9a;outline-offset:-2px"></i>handler</span>
<span><i style="background:#3f51b5;height:5px"></i>async job (launch → end)</span>
<span><i style="background:#9fa8da;height:5px"></i>async job not seen to end</span>
<span><i style="background:#111;width:2px"></i>job poll</span>
"""

_JS = r"""
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("timeline-data").textContent);
  var L = {label: 170, right: 24, plays: 20, axis: 24, bar: 16, job: 5, gap: 3, pad: 7};
  var tasks = {};
  data.tasks.forEach(function (t) { tasks[t.uid] = t; });

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function secs(s) {
    if (s === 0) { return "0 s"; }
    if (s < 1) { return s.toFixed(2) + " s"; }
    if (s < 60) { return s.toFixed(1) + " s"; }
    return Math.floor(s / 60) + "m " + ("0" + Math.round(s % 60)).slice(-2) + "s";
  }
  function hover(node, text) {
    el("title", {}, node).textContent = text;
    node.addEventListener("mouseenter", function () {
      document.getElementById("details").textContent = text;
    });
  }
  function jobEnd(job) {
    if (job.finished !== null) { return job.finished; }
    var last = job.polls.length ? job.polls[job.polls.length - 1].time : job.launched;
    return job.state === "running" ? Math.max(last, data.duration) : last;
  }
  function jobRows(jobs) {
    var ends = [];
    jobs.forEach(function (job) {
      var row = 0;
      while (row < ends.length && ends[row] > job.launched) { row += 1; }
      ends[row] = jobEnd(job);
      job.row = row;
    });
    return ends.length;
  }
  function niceStep(span) {
    var raw = span / 8, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i += 1) {
      if (steps[i] * p >= raw) { return steps[i] * p; }
    }
    return 10 * p;
  }

  function layout(width) {
    var lanes = [], y = L.plays + L.axis;
    data.hosts.forEach(function (host) {
      var jobs = data.jobs.filter(function (j) { return j.host === host; });
      var rows = jobRows(jobs);
      var h = L.pad * 2 + L.bar + (rows ? L.gap + rows * (L.job + L.gap) : 0);
      lanes.push({host: host, y: y, h: h, jobs: jobs});
      y += h;
    });
    var span = Math.max(data.duration, 0.001), inner = width - L.label - L.right;
    return {lanes: lanes, height: y + 4, width: width,
            x: function (t) { return L.label + (Math.max(t, 0) / span) * inner; }};
  }

  function drawAxis(svg, g) {
    var step = niceStep(Math.max(data.duration, 0.001));
    for (var t = 0; t <= data.duration + 1e-9; t += step) {
      var x = g.x(t);
      el("line", {"class": "grid", x1: x, x2: x, y1: L.plays + L.axis - 6, y2: g.height}, svg);
      el("text", {"class": "tick-label", x: x, y: L.plays + 14, "text-anchor": "middle"},
         svg).textContent = secs(Number(t.toFixed(6)));
    }
    data.plays.forEach(function (play) {
      var x1 = g.x(play.start), x2 = g.x(play.end === null ? data.duration : play.end);
      var band = el("rect", {"class": "play-band", x: x1, y: 2, height: L.plays - 6,
                             width: Math.max(x2 - x1, 2)}, svg);
      hover(band, "play: " + play.name + "\n" + secs(play.start) + " → " +
            secs(play.end === null ? data.duration : play.end));
      el("text", {"class": "play-name", x: x1 + 4, y: 13}, svg).textContent = play.name;
    });
  }

  function drawBar(lane, span, g) {
    var task = tasks[span.task] || {name: span.name, action: "", handler: false};
    var x1 = g.x(span.start), w = Math.max(g.x(span.end) - x1, task.handler ? 8 : 3);
    var cls = "bar status-" + span.status + (task.handler ? " handler" : "") +
              (span.ignored ? " ignored" : "");
    var bar = el("rect", {"class": cls, x: x1.toFixed(2), y: lane.y + L.pad, width: w.toFixed(2),
                          height: L.bar, rx: 2, "data-host": span.host,
                          "data-task": span.task}, lane.g);
    hover(bar, span.host + " · " + (task.handler ? "handler: " : "") + span.name +
          " [" + task.action + "]\n" + span.status + (span.ignored ? " (ignored)" : "") +
          " · " + secs(span.end - span.start) + " (at " + secs(span.start) + ")" +
          (span.items ? " · " + span.items + " loop items" : "") +
          (span.summary ? "\n" + span.summary : ""));
  }

  function drawJob(lane, job, g) {
    var y = lane.y + L.pad + L.bar + L.gap + job.row * (L.job + L.gap);
    var x1 = g.x(job.launched), w = Math.max(g.x(jobEnd(job)) - x1, 2);
    var task = tasks[job.task] || {name: job.task};
    var bar = el("rect", {"class": "job state-" + job.state, x: x1.toFixed(2), y: y,
                          width: w.toFixed(2), height: L.job, "data-host": job.host,
                          "data-jid": job.jid, "data-task": job.task}, lane.g);
    hover(bar, job.host + " · async job " + job.jid + " from “" + task.name + "”\n" +
          "async " + job.async + " s, poll " + job.poll + " s · " + job.state +
          (job.finished !== null ? " after " + secs(job.finished - job.launched) : "") +
          " · " + job.polls.length + " poll(s)");
    job.polls.forEach(function (p) {
      var x = g.x(p.time);
      var tick = el("line", {"class": "poll" + (p.finished || p.failed ? " done" : ""),
                             x1: x, x2: x, y1: y - 2, y2: y + L.job + 2}, lane.g);
      hover(tick, job.host + " · poll of " + job.jid + " at " + secs(p.time) + ": " +
            (p.failed ? "failed" : p.finished ? "finished" : "running") +
            (p.by_async_status ? " (async_status task)" : ""));
    });
  }

  function drawLane(svg, lane, g) {
    lane.g = el("g", {"class": "lane", "data-host": lane.host}, svg);
    el("rect", {"class": "lane-bg", x: 0, y: lane.y, width: g.width, height: lane.h}, lane.g);
    var name = lane.host.length > 24 ? lane.host.slice(0, 23) + "…" : lane.host;
    var label = el("text", {"class": "host", x: 6, y: lane.y + L.pad + L.bar - 3}, lane.g);
    label.textContent = name;
    hover(label, lane.host);
    data.spans.forEach(function (s) { if (s.host === lane.host) { drawBar(lane, s, g); } });
    lane.jobs.forEach(function (job) { drawJob(lane, job, g); });
  }

  function draw() {
    var chart = document.getElementById("chart");
    var width = Math.max(640, chart.clientWidth || 960);
    var g = layout(width);
    var svg = el("svg", {width: width, height: g.height, viewBox: "0 0 " + width + " " +
                         g.height, role: "img", "aria-label": "timeline of the run"});
    drawAxis(svg, g);
    g.lanes.forEach(function (lane) { drawLane(svg, lane, g); });
    chart.replaceChildren(svg);
  }

  document.getElementById("summary").textContent = data.hosts.length + " host(s) · " +
    data.tasks.length + " task(s) · " + data.spans.length + " result(s) · " +
    data.jobs.length + " async job(s) · " + secs(data.duration) +
    (data.started_at ? " · started " + new Date(data.started_at * 1000).toISOString() : "");
  draw();
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(draw, 100);
  });
}());
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>miniplay timeline: {title}</title>
<style>{css}</style>
</head>
<body>
<h1>miniplay timeline <small>{title}</small></h1>
<div class="meta" id="summary"></div>
<div class="legend">{legend}</div>
<div id="details">Hover over a bar for the host, task, status, duration and result.</div>
<div id="chart"></div>
<script type="application/json" id="timeline-data">{data}</script>
<script>{js}</script>
</body>
</html>
"""


def _script_json(data: Any) -> str:
    """JSON that cannot end its `<script>` element early (`<`, `>`, `&` escaped)."""
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(data: dict[str, Any]) -> str:
    """The self-contained HTML page drawing `data` (the timeline's JSON document)."""
    title = html.escape(str(data.get("playbook") or "run"))
    return _PAGE.format(title=title, css=_CSS, legend=_LEGEND, data=_script_json(data),
                        js=_JS)
