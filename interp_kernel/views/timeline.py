"""The timeline: an SVG picture of which interpreter ran when.

``timeline_svg(records)`` draws one lane per interpreter (``main`` first when there are
records for it), one bar per run from its start to its end coloured by outcome, an
axis in seconds, and a ``<title>`` tooltip per bar naming the cell and its duration.
No plotting library: the SVG is written by hand, sized for a notebook (~800 px).

Bars show *wall* time. What a run did inside its bar comes from an
:class:`ActivityRecorder`, which samples the CPU clock of every running interpreter's
agent thread (a few ms apart). With it, each bar is drawn pale and the moments the
interpreter was actually on a CPU are drawn solid on top ("busy" segments). Two
isolated interpreters (one GIL each) are busy at the same time: their solid segments
overlap. Interpreters that share the main GIL (config ``legacy``, and ``main``) can
only run one at a time: within each sample their CPU times are laid end to end, so the
picture shows them taking turns. The amounts are measured; the order of the turns
inside one sample (a few ms) is drawn, not measured.

Plain Python: used by ``%interp timeline`` but needs no Jupyter.
"""

import html
import math
import threading
import time
import weakref

from interp_kernel.jupyter.cells import is_interp_line_magic, split_interp_cell
from interp_kernel.views.units import format_duration

__all__ = [
    "ActivityRecorder",
    "MainCells",
    "attach",
    "detach",
    "Timeline",
    "recorder_for",
    "select_records",
    "timeline_for",
    "timeline_svg",
]

#: Bar colours by outcome.
COLORS = {
    "ok": "#3a9a5b",
    "error": "#d64541",
    "interrupted": "#e8912d",
    "running": "#3b7dd8",
}
_UNKNOWN_COLOR = "#888888"
_SHARED_GIL_CONFIGS = ("legacy", "main")

# Layout (px).
_TOP = 30
_LANE_H = 30
_BAR_H = 20
_AXIS_H = 26
_LEGEND_H = 24
_RIGHT = 16
_FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif"


# -- selection --------------------------------------------------------------------------


def select_records(records, *, last=None, since_reset=False, manager=None):
    """Pick the records a timeline shows.

    ``last=N`` keeps the N most recently started runs. ``since_reset`` keeps only runs
    of the sessions' current incarnations: runs of interpreters that were closed or
    reset since are dropped (needs ``manager``). Records of ``main`` are kept.
    """
    records = sorted(records, key=lambda r: r.start)
    if since_reset:
        if manager is None:
            raise ValueError("since_reset needs the manager")
        current = {id(r) for s in manager.sessions() for r in list(s.history)}
        records = [r for r in records if id(r) in current or r.session == "main"]
    if last is not None:
        if last < 0:
            raise ValueError("last must be >= 0")
        records = records[-last:] if last else []
    return records


# -- CPU activity -------------------------------------------------------------------------


class ActivityRecorder:
    """Samples the CPU time of each running interpreter's agent thread.

    Attached to a manager through its listeners: a run's first sample is taken when
    it starts, its last when it finishes, and a sampler thread (alive only while
    something runs) samples all running ones together in between: every 2 ms while
    the youngest run is under 2 s old, then less often (runs that go on for hours
    stay cheap; a run keeps at most MAX_SAMPLES samples, thinned evenly).
    Linux/Unix only (``time.pthread_getcpuclockid``); elsewhere it records nothing
    and the timeline shows plain bars.
    """

    #: Seconds between samples, by the age of the run: (age up to, interval).
    SCHEDULE = ((2.0, 0.002), (30.0, 0.02), (math.inf, 0.25))
    #: Samples kept per run before every other one is dropped (cumulative values,
    #: so dropping samples only coarsens the picture).
    MAX_SAMPLES = 4000
    #: Finished runs whose samples are kept.
    MAX_RUNS = 1000

    supported = hasattr(time, "pthread_getcpuclockid")

    def __init__(self, manager):
        self._manager_ref = weakref.ref(manager)
        self._lock = threading.Lock()
        self._active = {}  # job id -> _Track
        self._done = {}  # job id -> _Track (insertion ordered)
        self._configs = {}  # session name -> config
        self._thread = None
        self._closed = False
        for session in manager.sessions():
            self._configs[session.name] = session.config
        manager.add_listener(self._on_event)

    # -- events (any thread, must not block) -------------------------------------------

    def _on_event(self, kind, session, detail=None):
        if self._closed:
            return
        if kind == "created":
            self._configs[session.name] = session.config
        elif kind == "started" and detail is not None:
            self._configs[session.name] = session.config
            now = time.perf_counter()
            with self._lock:
                for job_id, track in list(self._active.items()):
                    if track.session is session:  # its previous run ended just now
                        self._finish(job_id, track, _record_end(session, job_id) or now)
                if not self.supported:
                    return
                clock = _thread_clock(session)
                if clock is None:
                    return
                track = _Track(session, session.name, clock, detail.started or now)
                cpu = _read_clock(clock)
                if cpu is None:
                    return
                track.add(detail.started or now, cpu)
                self._active[detail.id] = track
                self._ensure_thread()
        elif kind in ("finished", "closed"):
            with self._lock:
                for job_id, track in list(self._active.items()):
                    if track.session is session and (kind == "closed" or detail is None or job_id == detail.id):
                        self._finish(job_id, track, _record_end(session, job_id) or time.perf_counter())

    def start_main(self, job_id, start=None, ident=None):
        """Track a cell of the main interpreter (its thread ``ident``, the main thread by default)."""
        if self._closed or not self.supported:
            return
        start = time.perf_counter() if start is None else start
        try:
            clock = time.pthread_getcpuclockid(ident or threading.main_thread().ident)
        except (OSError, OverflowError, ValueError):
            return
        cpu = _read_clock(clock)
        if cpu is None:
            return
        with self._lock:
            track = _Track(None, "main", clock, start)
            track.add(start, cpu)
            self._active[job_id] = track
            self._ensure_thread()

    def finish_main(self, job_id, end=None):
        with self._lock:
            track = self._active.get(job_id)
            if track is not None:
                self._finish(job_id, track, time.perf_counter() if end is None else end)

    def _finish(self, job_id, track, end):
        """Last sample and move to done (caller holds the lock)."""
        cpu = _read_clock(track.clock)
        if cpu is not None:
            track.add(max(end, track.times[-1]), cpu)
        self._active.pop(job_id, None)
        self._done[job_id] = track
        while len(self._done) > self.MAX_RUNS:
            self._done.pop(next(iter(self._done)))

    # -- sampler ---------------------------------------------------------------------------

    def _ensure_thread(self):
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._sample, name="interp-activity", daemon=True)
            self._thread.start()

    def _sample(self):
        while True:
            with self._lock:
                if self._closed or not self._active:
                    self._thread = None
                    return
                # every running job is sampled on every tick (same sample windows for
                # all, so the picture can compare them); the youngest sets the pace
                now = time.perf_counter()
                wait = min(track.interval(now) for track in self._active.values())
                for job_id, track in list(self._active.items()):
                    session = track.session  # None for main cells: finished by finish_main
                    if session is not None and (session.closed or session.current is None):
                        self._finish(job_id, track, _record_end(track.session, job_id) or now)
                        continue
                    cpu = _read_clock(track.clock)
                    if cpu is None:  # the thread is gone
                        self._finish(job_id, track, now)
                        continue
                    track.add(now, cpu)
                    if len(track.times) > self.MAX_SAMPLES:
                        track.thin()
            time.sleep(wait)

    # -- queries -----------------------------------------------------------------------------

    def samples(self, job_id):
        """[(perf_counter time, cumulative thread CPU seconds)] of a run, or None."""
        with self._lock:
            track = self._active.get(job_id) or self._done.get(job_id)
            return None if track is None else list(zip(track.times, track.cpus))

    def activity(self):
        """job id -> samples for every run known."""
        with self._lock:
            tracks = {**self._done, **self._active}
            return {job_id: list(zip(t.times, t.cpus)) for job_id, t in tracks.items()}

    def configs(self):
        """session name -> config, for every session seen."""
        return dict(self._configs)

    @property
    def running(self):
        """True while the sampler thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def close(self):
        """Stop recording (the sampler thread ends within one interval)."""
        self._closed = True
        manager = self._manager_ref()
        if manager is not None:
            manager.remove_listener(self._on_event)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(1.0)


class _Track:
    __slots__ = ("session", "name", "clock", "start", "times", "cpus")

    def __init__(self, session, name, clock, start):
        self.session = session
        self.name = name
        self.clock = clock
        self.start = start
        self.times = []
        self.cpus = []

    def add(self, t, cpu):
        self.times.append(t)
        self.cpus.append(cpu)

    def interval(self, now):
        age = now - self.start
        for limit, interval in ActivityRecorder.SCHEDULE:
            if age <= limit:
                return interval
        return ActivityRecorder.SCHEDULE[-1][1]

    def thin(self):
        keep = list(range(0, len(self.times) - 1, 2)) + [len(self.times) - 1]
        self.times = [self.times[i] for i in keep]
        self.cpus = [self.cpus[i] for i in keep]


def _thread_clock(session):
    ident = getattr(session, "agent_thread_id", None)
    if ident is None:
        agent = getattr(session, "_agent", None)
        ident = getattr(agent, "ident", None)
    if ident is None:
        return None
    try:
        return time.pthread_getcpuclockid(ident)
    except (OSError, OverflowError, ValueError):
        return None


def _read_clock(clock):
    try:
        return time.clock_gettime(clock)
    except OSError:
        return None


def _record_end(session, job_id):
    for record in reversed(list(getattr(session, "history", ()))):
        if record.job == job_id:
            return record.end
    return None


_recorders = weakref.WeakKeyDictionary()
_recorders_lock = threading.Lock()


def recorder_for(manager, create=True):
    """The ActivityRecorder attached to ``manager`` (attached on first call)."""
    with _recorders_lock:
        recorder = _recorders.get(manager)
        if recorder is None and create:
            recorder = _recorders[manager] = ActivityRecorder(manager)
        return recorder


class MainCells:
    """Records the main interpreter's own cells as RunRecords of session ``"main"``.

    Hooks IPython's ``pre_run_cell`` / ``post_run_cell``. Cells that are ``%%interp``
    cells or ``%interp`` lines are not main's work (their runs are the interpreters')
    and are left out. With a recorder, main's CPU time is sampled too (main shares its
    GIL with legacy interpreters).
    """

    MAX_RECORDS = 5000

    def __init__(self, shell, recorder=None):
        from interp_kernel.runtime.jobs import RunRecord

        self._RunRecord = RunRecord
        self.shell = shell
        self.recorder = recorder
        self.records = []
        self._current = None
        self._count = 0
        shell.events.register("pre_run_cell", self._pre)
        shell.events.register("post_run_cell", self._post)

    def _pre(self, info=None):
        source = getattr(info, "raw_cell", "") or ""
        self._current = None
        if _is_interp_cell(source):
            return
        self._count += 1
        label = next((line.strip() for line in source.splitlines() if line.strip()), "")[:80]
        record = self._RunRecord("main", f"main-{self._count}", label, time.perf_counter())
        self._current = record
        self.records.append(record)
        del self.records[: -self.MAX_RECORDS]
        if self.recorder is not None:
            self.recorder.start_main(record.job, record.start)

    def _post(self, result=None):
        record, self._current = self._current, None
        if record is None:
            return
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        if error is None:
            status = "ok"
        elif isinstance(error, KeyboardInterrupt) or type(error).__name__ == "KeyboardInterrupt":
            status = "interrupted"
        else:
            status = "error"
        record.close(status)
        if self.recorder is not None:
            self.recorder.finish_main(record.job, record.end)

    def close(self):
        for event, fn in (("pre_run_cell", self._pre), ("post_run_cell", self._post)):
            try:
                self.shell.events.unregister(event, fn)
            except ValueError:
                pass


def _is_interp_cell(source):
    lines = [line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]
    if not lines:
        return True  # an empty cell is nobody's work
    if split_interp_cell(source.lstrip()) is not None:
        return True
    return all(is_interp_line_magic(line) for line in lines)


_main_cells = weakref.WeakKeyDictionary()


def attach(manager, shell=None):
    """Record activity for ``manager``'s timeline (and ``shell``'s main cells). Idempotent."""
    recorder = recorder_for(manager)
    if shell is not None:
        with _recorders_lock:
            if manager not in _main_cells:
                _main_cells[manager] = MainCells(shell, recorder)
    return recorder


def detach(manager):
    """Stop recording for ``manager``."""
    with _recorders_lock:
        cells = _main_cells.pop(manager, None)
        recorder = _recorders.pop(manager, None)
    if cells is not None:
        cells.close()
    if recorder is not None:
        recorder.close()


def main_records(manager):
    cells = _main_cells.get(manager)
    return list(cells.records) if cells is not None else []


# -- busy segments -----------------------------------------------------------------------


def _pieces(samples, start, end):
    """(t0, t1, cpu seconds) per sample interval, clipped to the run."""
    pieces = []
    for (t0, c0), (t1, c1) in zip(samples, samples[1:]):
        t0, t1 = max(t0, start), min(t1, end)
        if t1 <= t0:
            continue
        pieces.append((t0, t1, min(max(c1 - c0, 0.0), t1 - t0)))
    return pieces


def busy_segments(runs, shared):
    """Busy segments per run: ``runs`` maps key -> (start, end, samples).

    Runs that do not share a GIL are busy from the start of each sample interval for
    the CPU time it used. Runs in ``shared`` (one GIL between them) are laid end to end
    inside each elementary interval, the one that ran last going first, so they never
    overlap. Returns key -> [(t0, t1)] (merged, sorted).
    """
    out = {}
    shared_pieces = {}
    for key, (start, end, samples) in runs.items():
        pieces = _pieces(samples, start, end) if samples else []
        if key in shared:
            shared_pieces[key] = pieces
        else:
            out[key] = _merge([(t0, t0 + cpu) for t0, _t1, cpu in pieces if cpu > 0])
    if shared_pieces:
        out.update(_pack(shared_pieces))
    return out


def _pack(pieces_by_key):
    bounds = sorted({t for pieces in pieces_by_key.values() for p in pieces for t in p[:2]})
    cursors = {key: 0 for key in pieces_by_key}
    segments = {key: [] for key in pieces_by_key}
    order = list(pieces_by_key)
    for u0, u1 in zip(bounds, bounds[1:]):
        width = u1 - u0
        if width <= 0:
            continue
        demand = {}
        for key, pieces in pieces_by_key.items():
            i = cursors[key]
            while i < len(pieces) and pieces[i][1] <= u0:
                i += 1
            cursors[key] = i
            if i < len(pieces) and pieces[i][0] <= u0 and pieces[i][1] >= u1:
                t0, t1, cpu = pieces[i]
                d = cpu * width / (t1 - t0)
                if d > 0:
                    demand[key] = d
        if not demand:
            continue
        total = sum(demand.values())
        scale = min(1.0, width / total)
        t = u0
        for key in [k for k in order if k in demand]:
            d = demand[key] * scale
            segments[key].append((t, t + d))
            t += d
        # whoever ran last goes first in the next interval (continuous turns)
        last = [k for k in order if k in demand][-1]
        order.remove(last)
        order.insert(0, last)
    return {key: _merge(segs) for key, segs in segments.items()}


def _merge(segments, gap=1e-6):
    merged = []
    for t0, t1 in sorted(segments):
        if t1 <= t0:
            continue
        if merged and t0 <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], t1)
        else:
            merged.append([t0, t1])
    return [tuple(s) for s in merged]


# -- drawing ---------------------------------------------------------------------------------


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

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)


def timeline_for(manager, *, last=None, since_reset=False, width=800, records=None, now=None):
    """The Timeline of a manager's runs (with its recorder's CPU activity, if any)."""
    all_lanes = records is None and not last
    if records is None:
        records = manager.history() + main_records(manager)
    records = select_records(records, last=last, since_reset=since_reset, manager=manager)
    recorder = recorder_for(manager, create=False)
    activity = recorder.activity() if recorder is not None else None
    configs = recorder.configs() if recorder is not None else {}
    for session in manager.sessions():
        configs[session.name] = session.config
    lanes = [s.name for s in manager.sessions()] if all_lanes else None
    svg = timeline_svg(records, now=now, width=width, activity=activity, configs=configs, lanes=lanes)
    names = _lane_names(records, lanes)
    return Timeline(svg, lanes=names, runs=len(records))


def _lane_names(records, extra=None):
    names = []
    for r in records:
        if r.session not in names:
            names.append(r.session)
    for name in extra or ():
        if name not in names:
            names.append(name)
    if "main" in names:
        names.remove("main")
        names.insert(0, "main")
    return names


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
    records = sorted(records, key=lambda r: r.start)
    names = _lane_names(records, lanes)
    width = max(int(width), 320)

    runs = []
    for r in records:
        end = r.end if r.end is not None else max(now, r.start)
        status = r.status if r.end is not None else "running"
        runs.append((r, r.start, end, status))
    origin = min((s for _, s, _, _ in runs), default=now)
    stop = max((e for _, _, e, _ in runs), default=origin)
    span = max(stop - origin, 1e-3)
    step = _nice_step(span / 6)
    axis_end = max(step * math.ceil(span / step - 1e-9), step)

    label_w = min(max((max((len(_lane_label(n, configs)) for n in names), default=4)) * 7 + 16, 70), 190)
    plot_x = label_w
    plot_w = width - label_w - _RIGHT
    scale = plot_w / axis_end

    def x_of(t):
        return plot_x + (t - origin) * scale

    lanes_h = max(len(names), 1) * _LANE_H
    axis_y = _TOP + lanes_h
    height = axis_y + _AXIS_H + _LEGEND_H
    lane_index = {name: i for i, name in enumerate(names)}

    # busy segments from sampled CPU time
    busy = {}
    cpu_used = {}
    if activity:
        measured = {}
        shared = set()
        for r, start, end, _status in runs:
            samples = activity.get(r.job)
            if samples and len(samples) >= 2:
                measured[r.job] = (start, end, samples)
                cpu_used[r.job] = sum(p[2] for p in _pieces(samples, start, end))
                if configs.get(r.session) in _SHARED_GIL_CONFIGS:
                    shared.add(r.job)
        busy = busy_segments(measured, shared)

    out = []
    add = out.append
    title_text = title or f"interpreter timeline · {len(runs)} run{'s' if len(runs) != 1 else ''}"
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="interp-timeline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" data-origin="{origin:.6f}" data-scale="{scale:.6f}" '
        f'data-plot-x="{plot_x}" style="{_FONT};font-size:12px;background:#fff">'
    )
    add(f"<title>{_esc(title_text)}</title>")
    add(f'<text x="{plot_x}" y="18" font-size="13" font-weight="600" fill="#222">{_esc(title_text)}</text>')
    if not runs:
        add(f'<text x="{plot_x}" y="18" dx="230" fill="#777">no runs yet: run a cell with %%interp NAME</text>')

    # lanes
    for i, name in enumerate(names):
        y = _TOP + i * _LANE_H
        fill = "#f4f6f8" if i % 2 == 0 else "#ffffff"
        add(
            f'<g class="interp-lane" data-lane="{_esc(name)}" data-config="{_esc(configs.get(name, ""))}">'
            f'<rect x="0" y="{y}" width="{width}" height="{_LANE_H}" fill="{fill}"/>'
            f'<text x="{label_w - 8}" y="{y + _LANE_H / 2 + 4:.1f}" text-anchor="end" fill="#222">'
            f"{_esc(_truncate(_lane_label(name, configs), 26))}</text></g>"
        )

    # grid and axis
    add(f'<g class="interp-axis" data-step="{step:g}">')
    n_ticks = int(round(axis_end / step))
    for k in range(n_ticks + 1):
        t = k * step
        x = plot_x + t * scale
        add(f'<line x1="{x:.2f}" y1="{_TOP}" x2="{x:.2f}" y2="{axis_y}" stroke="#d8dde3" stroke-dasharray="2,3"/>')
        add(f'<line x1="{x:.2f}" y1="{axis_y}" x2="{x:.2f}" y2="{axis_y + 5}" stroke="#555"/>')
        add(f'<text x="{x:.2f}" y="{axis_y + 17}" text-anchor="middle" fill="#444">{_tick_label(t, step)}</text>')
    add(f'<line x1="{plot_x}" y1="{axis_y}" x2="{plot_x + plot_w}" y2="{axis_y}" stroke="#555"/>')
    add("</g>")

    # bars
    bar_off = (_LANE_H - _BAR_H) / 2
    for r, start, end, status in runs:
        i = lane_index[r.session]
        y = _TOP + i * _LANE_H + bar_off
        x0 = x_of(start)
        w = max((end - start) * scale, 1.0)
        color = COLORS.get(status, _UNKNOWN_COLOR)
        duration = end - start
        segs = busy.get(r.job)
        tip = f"{r.session} · {r.label or '(empty cell)'}\n{format_duration(duration)} · {status}"
        if r.job in cpu_used:
            tip += f" · CPU {format_duration(cpu_used[r.job])} ({100 * cpu_used[r.job] / max(duration, 1e-9):.0f}%)"
        cpu_attr = f' data-cpu="{cpu_used[r.job]:.6f}"' if r.job in cpu_used else ""
        add(
            f'<g class="interp-run run-{_esc(status)}" data-lane="{_esc(r.session)}" data-job="{_esc(str(r.job))}">'
            f"<title>{_esc(tip)}</title>"
        )
        opacity = "0.35" if segs is not None else "0.95"
        dash = ' stroke-dasharray="3,2"' if status == "running" else ""
        add(
            f'<rect class="interp-bar" x="{x0:.2f}" y="{y:.2f}" width="{w:.2f}" height="{_BAR_H}" rx="2" '
            f'fill="{color}" fill-opacity="{opacity}" stroke="{color}" stroke-width="1"{dash} '
            f'data-lane="{_esc(r.session)}" data-job="{_esc(str(r.job))}" data-status="{_esc(status)}" '
            f'data-start="{start - origin:.6f}" data-end="{end - origin:.6f}" '
            f'data-duration="{duration:.6f}"{cpu_attr} data-label="{_esc(r.label or "")}"/>'
        )
        for t0, t1 in _pixel_merge(segs or (), x_of):
            add(
                f'<rect class="interp-busy" x="{t0:.2f}" y="{y + 3:.2f}" width="{t1 - t0:.2f}" '
                f'height="{_BAR_H - 6}" fill="{color}" data-lane="{_esc(r.session)}" '
                f'data-job="{_esc(str(r.job))}"/>'
            )
        if w > 48 and r.label:
            chars = int((w - 8) / 6.6)
            if chars >= 4:
                text_color = "#fff" if segs is None else "#13233a"
                add(
                    f'<text x="{x0 + 4:.2f}" y="{y + _BAR_H / 2 + 4:.2f}" font-size="11" fill="{text_color}" '
                    f'pointer-events="none">{_esc(_truncate(r.label, chars))}</text>'
                )
        add("</g>")

    # legend
    ly = axis_y + _AXIS_H + 14
    lx = plot_x
    add('<g class="interp-legend">')
    for status in ("ok", "error", "interrupted", "running"):
        add(f'<rect x="{lx}" y="{ly - 9}" width="12" height="10" rx="2" fill="{COLORS[status]}"/>')
        add(f'<text x="{lx + 16}" y="{ly}" fill="#333">{status}</text>')
        lx += 24 + 7 * len(status) + 14
    if busy:
        add(f'<rect x="{lx}" y="{ly - 9}" width="12" height="10" rx="2" fill="#3a9a5b" fill-opacity="0.35"/>')
        add(f'<text x="{lx + 16}" y="{ly}" fill="#333">pale: waiting · solid: on a CPU (legacy share one GIL)</text>')
    else:
        add(f'<text x="{lx}" y="{ly}" fill="#777">seconds since the first run shown</text>')
    add("</g>")
    add("</svg>")
    return "\n".join(out)


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
