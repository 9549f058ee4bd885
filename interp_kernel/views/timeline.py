"""The timeline: an SVG picture of which interpreter ran when.

``timeline_svg(records)`` draws one lane per interpreter (``main`` first when there are
records for it), one bar per run from its start to its end coloured by outcome, an
axis in seconds, and a ``<title>`` tooltip per bar naming the cell and its duration.
No plotting library: the SVG is written by hand, sized for a notebook (~800 px).

With CPU samples (:mod:`interp_kernel.views.recorder`), each bar is drawn pale and the
moments the interpreter was actually on a CPU are drawn solid on top (the busy segments
of :mod:`interp_kernel.views.lanes`).

``timeline_for(manager)`` puts it together for a manager. Plain Python: used by
``%interp timeline`` but needs no Jupyter.
"""

import html
import math
import time

from interp_kernel.views.lanes import SHARED_GIL_CONFIGS, busy_segments, cpu_seconds, lane_names
from interp_kernel.views.recorder import recorder_for, select_records
from interp_kernel.views.units import format_duration

__all__ = ["COLORS", "Timeline", "timeline_for", "timeline_svg"]

#: Bar colours by outcome.
COLORS = {
    "ok": "#3a9a5b",
    "error": "#d64541",
    "interrupted": "#e8912d",
    "running": "#3b7dd8",
}
_UNKNOWN_COLOR = "#888888"

# Layout (px).
_TOP = 30
_LANE_H = 30
_BAR_H = 20
_AXIS_H = 26
_LEGEND_H = 24
_RIGHT = 16
_FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif"


class Timeline:
    """A timeline picture; shows itself as SVG in a notebook (``_repr_svg_``)."""

    def __init__(self, svg, *, lanes=(), runs=0):
        self.svg = svg
        self.lanes = list(lanes)
        self.runs = runs

    def _repr_svg_(self):
        return self.svg

    def _repr_mimebundle_(self, include=None, exclude=None):
        # text/html carries the same SVG inline: JupyterLab shows image/svg+xml as an
        # <img>, where the bars' <title> tooltips would not show
        return {
            "image/svg+xml": self.svg,
            "text/html": f'<div class="interp-timeline-view" style="overflow-x:auto">{self.svg}</div>',
            "text/plain": repr(self),
        }

    def __repr__(self):
        lanes = ", ".join(self.lanes) if self.lanes else "no lanes"
        return f"<interp timeline: {self.runs} run{'s' if self.runs != 1 else ''} in {lanes}>"


def timeline_for(manager, *, last=None, since_reset=False, width=800, records=None, now=None):
    """The Timeline of a manager's runs (with its recorder's CPU activity and main's runs, if any).

    ``records`` replaces the manager's history (and main's runs); ``last`` and
    ``since_reset`` select as :func:`~interp_kernel.views.recorder.select_records`
    (ValueError from there).
    """
    all_lanes = records is None and not last
    recorder = recorder_for(manager, create=False)
    if records is None:
        records = manager.history() + (recorder.main_records() if recorder is not None else [])
    records = select_records(records, last=last, since_reset=since_reset, manager=manager)
    activity = recorder.activity() if recorder is not None else None
    configs = recorder.configs() if recorder is not None else {}
    for session in manager.sessions():
        configs[session.name] = session.config
    lanes = [s.name for s in manager.sessions()] if all_lanes else None
    svg = timeline_svg(records, now=now, width=width, activity=activity, configs=configs, lanes=lanes)
    return Timeline(svg, lanes=lane_names(records, lanes), runs=len(records))


def timeline_svg(records, *, now=None, width=800, activity=None, configs=None, lanes=None, title=None):
    """An SVG timeline of ``records`` (RunRecord-like: session, job, label, start, end, status).

    ``now`` (a ``time.perf_counter()`` value) ends the bars of running records;
    ``activity`` maps job id -> [(time, cumulative CPU s)] (see ActivityRecorder);
    ``configs`` maps session name -> config ("legacy" lanes share the main GIL);
    ``lanes`` adds lanes for interpreters without runs. Times on the axis are seconds
    from the first run shown. Every bar is a ``<rect class="interp-bar">`` with
    ``data-lane``, ``data-start``, ``data-end`` (seconds on the axis), ``data-status``,
    ``data-job`` and a ``<title>``; busy segments are ``<rect class="interp-busy">``.
    """
    now = time.perf_counter() if now is None else now
    configs = dict(configs or {})
    configs.setdefault("main", "main")
    runs = _runs(records, now)
    names = lane_names([run.record for run in runs], lanes)
    frame = _Frame(runs, names, configs, width, now)
    busy, cpu_used = _cpu_activity(runs, activity or {}, configs)

    title_text = title or f"interpreter timeline · {len(runs)} run{'s' if len(runs) != 1 else ''}"
    out = _svg_head(frame, title_text, empty=not runs)
    out += _svg_lanes(frame, names, configs)
    out += _svg_axis(frame)
    lane_index = {name: i for i, name in enumerate(names)}
    for run in runs:
        out += _svg_run(frame, run, lane_index[run.record.session], busy.get(run.record.job),
                        cpu_used.get(run.record.job))
    out += _svg_legend(frame, show_busy=bool(busy))
    out.append("</svg>")
    return "\n".join(out)


# -- what is drawn --------------------------------------------------------------------------


class _Run:
    """A record with the end and status its bar shows (running ones end at ``now``)."""

    __slots__ = ("record", "start", "end", "status")

    def __init__(self, record, now):
        self.record = record
        self.start = record.start
        self.end = record.end if record.end is not None else max(now, record.start)
        self.status = record.status if record.end is not None else "running"


def _runs(records, now):
    return [_Run(r, now) for r in sorted(records, key=lambda r: r.start)]


def _cpu_activity(runs, activity, configs):
    """(job -> busy segments, job -> CPU seconds) of the runs that have samples."""
    measured, shared, cpu_used = {}, set(), {}
    for run in runs:
        r = run.record
        samples = activity.get(r.job)
        if samples and len(samples) >= 2:
            measured[r.job] = (run.start, run.end, samples)
            cpu_used[r.job] = cpu_seconds(samples, run.start, run.end)
            if configs.get(r.session) in SHARED_GIL_CONFIGS:
                shared.add(r.job)
    return (busy_segments(measured, shared) if measured else {}), cpu_used


class _Frame:
    """Where things go: the time span shown, its axis step and the pixel geometry."""

    def __init__(self, runs, names, configs, width, now):
        self.width = max(int(width), 320)
        self.origin = min((run.start for run in runs), default=now)
        stop = max((run.end for run in runs), default=self.origin)
        span = max(stop - self.origin, 1e-3)
        self.step = _nice_step(span / 6)
        self.axis_end = max(self.step * math.ceil(span / self.step - 1e-9), self.step)
        longest = max((len(_lane_label(n, configs)) for n in names), default=4)
        self.label_w = min(max(longest * 7 + 16, 70), 190)
        self.plot_x = self.label_w
        self.plot_w = self.width - self.label_w - _RIGHT
        self.scale = self.plot_w / self.axis_end
        self.axis_y = _TOP + max(len(names), 1) * _LANE_H
        self.height = self.axis_y + _AXIS_H + _LEGEND_H

    def x_of(self, t):
        """The x of time ``t`` (a perf_counter value)."""
        return self.plot_x + (t - self.origin) * self.scale


# -- SVG pieces (each returns a list of lines) ------------------------------------------------


def _svg_head(frame, title_text, empty):
    w, h = frame.width, frame.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="interp-timeline" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" data-origin="{frame.origin:.6f}" data-scale="{frame.scale:.6f}" '
        f'data-plot-x="{frame.plot_x}" style="{_FONT};font-size:12px;background:#fff">',
        f"<title>{_esc(title_text)}</title>",
        f'<text x="{frame.plot_x}" y="18" font-size="13" font-weight="600" fill="#222">{_esc(title_text)}</text>',
    ]
    if empty:
        out.append(f'<text x="{frame.plot_x}" y="18" dx="230" fill="#777">'
                   "no runs yet: run a cell with %%interp NAME</text>")
    return out


def _svg_lanes(frame, names, configs):
    out = []
    for i, name in enumerate(names):
        y = _TOP + i * _LANE_H
        fill = "#f4f6f8" if i % 2 == 0 else "#ffffff"
        out.append(
            f'<g class="interp-lane" data-lane="{_esc(name)}" data-config="{_esc(configs.get(name, ""))}">'
            f'<rect x="0" y="{y}" width="{frame.width}" height="{_LANE_H}" fill="{fill}"/>'
            f'<text x="{frame.label_w - 8}" y="{y + _LANE_H / 2 + 4:.1f}" text-anchor="end" fill="#222">'
            f"{_esc(_truncate(_lane_label(name, configs), 26))}</text></g>"
        )
    return out


def _svg_axis(frame):
    """Grid lines, ticks and their labels, and the axis line."""
    axis_y, step = frame.axis_y, frame.step
    out = [f'<g class="interp-axis" data-step="{step:g}">']
    for k in range(int(round(frame.axis_end / step)) + 1):
        t = k * step
        x = frame.plot_x + t * frame.scale
        out.append(f'<line x1="{x:.2f}" y1="{_TOP}" x2="{x:.2f}" y2="{axis_y}" stroke="#d8dde3" '
                   'stroke-dasharray="2,3"/>')
        out.append(f'<line x1="{x:.2f}" y1="{axis_y}" x2="{x:.2f}" y2="{axis_y + 5}" stroke="#555"/>')
        out.append(f'<text x="{x:.2f}" y="{axis_y + 17}" text-anchor="middle" fill="#444">'
                   f"{_tick_label(t, step)}</text>")
    out.append(f'<line x1="{frame.plot_x}" y1="{axis_y}" x2="{frame.plot_x + frame.plot_w}" y2="{axis_y}" '
               'stroke="#555"/>')
    out.append("</g>")
    return out


def _svg_run(frame, run, lane, segments, cpu):
    """One run: its bar, its busy segments (None: no samples) and its label, in a group."""
    r, status = run.record, run.status
    y = _TOP + lane * _LANE_H + (_LANE_H - _BAR_H) / 2
    x0 = frame.x_of(run.start)
    w = max((run.end - run.start) * frame.scale, 1.0)
    color = COLORS.get(status, _UNKNOWN_COLOR)
    duration = run.end - run.start
    lane_job = f'data-lane="{_esc(r.session)}" data-job="{_esc(str(r.job))}"'
    tip = f"{r.session} · {r.label or '(empty cell)'}\n{format_duration(duration)} · {status}"
    if cpu is not None:
        tip += f" · CPU {format_duration(cpu)} ({100 * cpu / max(duration, 1e-9):.0f}%)"
    cpu_attr = f' data-cpu="{cpu:.6f}"' if cpu is not None else ""
    opacity = "0.35" if segments is not None else "0.95"
    dash = ' stroke-dasharray="3,2"' if status == "running" else ""
    out = [
        f'<g class="interp-run run-{_esc(status)}" {lane_job}><title>{_esc(tip)}</title>',
        f'<rect class="interp-bar" x="{x0:.2f}" y="{y:.2f}" width="{w:.2f}" height="{_BAR_H}" rx="2" '
        f'fill="{color}" fill-opacity="{opacity}" stroke="{color}" stroke-width="1"{dash} '
        f'{lane_job} data-status="{_esc(status)}" '
        f'data-start="{run.start - frame.origin:.6f}" data-end="{run.end - frame.origin:.6f}" '
        f'data-duration="{duration:.6f}"{cpu_attr} data-label="{_esc(r.label or "")}"/>',
    ]
    for s0, s1 in _pixel_merge(segments or (), frame.x_of):
        out.append(f'<rect class="interp-busy" x="{s0:.2f}" y="{y + 3:.2f}" width="{s1 - s0:.2f}" '
                   f'height="{_BAR_H - 6}" fill="{color}" {lane_job}/>')
    chars = int((w - 8) / 6.6)
    if w > 48 and r.label and chars >= 4:
        text_color = "#fff" if segments is None else "#13233a"
        out.append(f'<text x="{x0 + 4:.2f}" y="{y + _BAR_H / 2 + 4:.2f}" font-size="11" fill="{text_color}" '
                   f'pointer-events="none">{_esc(_truncate(r.label, chars))}</text>')
    out.append("</g>")
    return out


def _svg_legend(frame, show_busy):
    ly = frame.axis_y + _AXIS_H + 14
    lx = frame.plot_x
    out = ['<g class="interp-legend">']
    for status in ("ok", "error", "interrupted", "running"):
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="12" height="10" rx="2" fill="{COLORS[status]}"/>')
        out.append(f'<text x="{lx + 16}" y="{ly}" fill="#333">{status}</text>')
        lx += 24 + 7 * len(status) + 14
    if show_busy:
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="12" height="10" rx="2" fill="#3a9a5b" fill-opacity="0.35"/>')
        out.append(f'<text x="{lx + 16}" y="{ly}" fill="#333">'
                   "pale: waiting · solid: on a CPU (legacy share one GIL)</text>")
    else:
        out.append(f'<text x="{lx}" y="{ly}" fill="#777">seconds since the first run shown</text>')
    out.append("</g>")
    return out


# -- small helpers ----------------------------------------------------------------------------


def _pixel_merge(segments, x_of, min_gap=0.5):
    """Segments in px, merging gaps under ``min_gap`` px (keeps the SVG small)."""
    merged = []
    for t0, t1 in segments:
        x0, x1 = x_of(t0), x_of(t1)
        if merged and x0 - merged[-1][1] < min_gap:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return [(x0, x1) for x0, x1 in merged if x1 - x0 >= 0.05]


def _lane_label(name, configs):
    config = configs.get(name)
    if name == "main" or not config or config == "isolated":
        return name
    return f"{name} ({config})"


_CLOCK_STEPS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def _nice_step(raw):
    """A round axis step near ``raw`` seconds (1, 2, 2.5, 5 x 10^n; clock steps past 20 s)."""
    if raw <= 0:
        return 1.0
    if raw > 20:  # minutes and hours
        for step in _CLOCK_STEPS:
            if raw <= step:
                return float(step)
        return 86400.0 * math.ceil(raw / 86400)
    exp = math.floor(math.log10(raw))
    base = 10**exp
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * base + 1e-12:
            return m * base
    return 10 * base


def _tick_label(t, step):
    if t == 0:
        return "0 s"
    if step >= 30 and t >= 60:
        hours, rest = divmod(int(round(t)), 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return f"{hours} h" + (f" {minutes:02d} min" if minutes else "")
        return f"{minutes} min" + (f" {seconds:02d} s" if seconds else "")
    if step >= 1:
        return f"{t:g} s"
    if step >= 0.01:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        if abs(step * 10**decimals - round(step * 10**decimals)) > 1e-9:
            decimals += 1
        return f"{t:.{decimals}f} s"
    return f"{t * 1000:g} ms"


def _truncate(text, n):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: max(n - 1, 1)] + "…"


def _esc(text):
    return html.escape(str(text), quote=True)
