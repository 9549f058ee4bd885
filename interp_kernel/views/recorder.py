"""What the timeline draws from: CPU samples of running interpreters, and main's own runs.

An :class:`ActivityRecorder` samples the CPU clock of every running interpreter's agent
thread (a few ms apart) so the timeline can show when a run was actually on a CPU, not
just its wall time. It also keeps the main interpreter's own runs (RunRecords of session
``"main"``), which the manager's history does not hold: whoever runs code on main (the
Jupyter extension, for IPython's cells) hands them in with ``start_main``/``finish_main``.

``select_records`` picks the runs a timeline shows. Plain Python: needs no Jupyter.
"""

import math
import threading
import time
import weakref

__all__ = ["ActivityRecorder", "close_recorder", "recorder_for", "select_records"]


def select_records(records, *, last=None, since_reset=False, manager=None):
    """Pick the records a timeline shows.

    ``last=N`` keeps the N most recently started runs. ``since_reset`` keeps only runs
    of the sessions' current incarnations: runs of interpreters that were closed or
    reset since are dropped (needs ``manager``). Records of ``main`` are kept.
    Raises ValueError for ``since_reset`` without a manager or a negative ``last``.
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


class ActivityRecorder:
    """Samples the CPU time of each running interpreter's agent thread.

    Attached to a manager through its listeners: a run's first sample is taken when
    it starts, its last when it finishes, and a sampler thread (looking for runs
    every POLL seconds while none runs, ending after PARK_LIMIT seconds of that)
    samples all running ones together in between: every 2 ms while the youngest run
    is under 2 s old, then less often (runs that go on for hours stay cheap; a run
    keeps at most MAX_SAMPLES samples, thinned evenly).
    Linux/Unix only (``time.pthread_getcpuclockid``); elsewhere it records no samples
    (main's runs are still kept) and the timeline shows plain bars.
    """

    #: Seconds between samples, by the age of the run: (age up to, interval).
    SCHEDULE = ((2.0, 0.002), (30.0, 0.02), (math.inf, 0.25))
    #: Samples kept per run before every other one is dropped (cumulative values,
    #: so dropping samples only coarsens the picture).
    MAX_SAMPLES = 4000
    #: Finished runs whose samples are kept.
    MAX_RUNS = 1000
    #: Runs of the main interpreter kept (the oldest are dropped).
    MAX_MAIN_RECORDS = 5000
    #: Seconds the sampler thread goes on with nothing to sample before it ends.
    PARK_LIMIT = 30.0
    #: Seconds between the sampler's looks for new runs while it samples none. A new
    #: run does not wake it: the wake-up would take main's GIL and a core in the middle
    #: of the run's start (measured: +0.2 ms on a plain cell's round trip when the
    #: sampler ticked during it). A run shorter than this may get only its first and
    #: last samples, which still give its CPU share.
    POLL = 0.02

    supported = hasattr(time, "pthread_getcpuclockid")

    def __init__(self, manager):
        self._manager_ref = weakref.ref(manager)
        self._lock = threading.Lock()
        self._active = {}  # job id -> _Track
        self._done = {}  # job id -> _Track (insertion ordered)
        self._configs = {}  # session name -> config
        self._main_records = []
        self._thread = None
        self._closed = False
        for session in manager.sessions():
            self._configs[session.name] = session.config
        manager.add_listener(self._on_event)

    # -- manager events (any thread, must not block) ---------------------------------

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
                if self.supported:
                    self._start(detail.id, session, session.name, _thread_clock(session), detail.started or now)
        elif kind in ("finished", "closed"):
            with self._lock:
                for job_id, track in list(self._active.items()):
                    if track.session is session and (kind == "closed" or detail is None or job_id == detail.id):
                        self._finish(job_id, track, _record_end(session, job_id) or time.perf_counter())

    # -- the main interpreter's runs ----------------------------------------------------

    def start_main(self, record):
        """Keep ``record`` (a RunRecord of session ``"main"`` that starts now) and
        sample the main thread's CPU until :meth:`finish_main`. Never blocks."""
        with self._lock:
            self._main_records.append(record)
            del self._main_records[: -self.MAX_MAIN_RECORDS]
            if self._closed or not self.supported:
                return
            try:
                clock = time.pthread_getcpuclockid(threading.main_thread().ident)
            except (OSError, OverflowError, ValueError):
                return
            self._start(record.job, None, "main", clock, record.start)

    def finish_main(self, record):
        """Take the last CPU sample of ``record`` (closed by the caller)."""
        with self._lock:
            track = self._active.get(record.job)
            if track is not None:
                self._finish(record.job, track, record.end if record.end is not None else time.perf_counter())

    def main_records(self):
        """The main interpreter's runs handed in with :meth:`start_main`, oldest first."""
        with self._lock:
            return list(self._main_records)

    # -- tracks (the caller holds the lock) ---------------------------------------------

    def _start(self, job_id, session, name, clock, start):
        if clock is None:
            return
        cpu = _read_clock(clock)
        if cpu is None:
            return
        track = _Track(session, name, clock, start)
        track.add(start, cpu)
        self._active[job_id] = track
        self._ensure_thread()

    def _finish(self, job_id, track, end):
        """Last sample and move to done."""
        cpu = _read_clock(track.clock)
        if cpu is not None:
            track.add(max(end, track.times[-1]), cpu)
        self._active.pop(job_id, None)
        self._done[job_id] = track
        while len(self._done) > self.MAX_RUNS:
            self._done.pop(next(iter(self._done)))

    # -- sampler ------------------------------------------------------------------------

    def _ensure_thread(self):
        """Start the sampler if it is not running (the caller holds the lock)."""
        if self._thread is None or not self._thread.is_alive():  # first run, idle too long, or a fork
            self._thread = threading.Thread(target=self._sample, name="interp-activity", daemon=True)
            self._thread.start()

    def _sample(self):
        """The sampler thread: started by the first run (starting one per cell cost every
        plain cell ~0.3 ms), ends after PARK_LIMIT seconds with nothing to sample;
        looks for new runs every POLL seconds, and samples every run on every tick
        (same windows for all, so the picture can compare them)."""
        idle_since = time.perf_counter()
        while True:
            with self._lock:
                now = time.perf_counter()
                if self._closed or (not self._active and now - idle_since >= self.PARK_LIMIT):
                    self._thread = None  # the next run starts another
                    return
                if self._active:
                    idle_since = now
                    wait = min(track.interval(now) for track in self._active.values())
                else:
                    wait = self.POLL
            time.sleep(wait)  # the youngest run sets the pace
            with self._lock:
                if self._closed:
                    return
                now = time.perf_counter()
                for job_id, track in list(self._active.items()):
                    session = track.session  # None for main's runs: finished by finish_main
                    if session is not None and (session.closed or session.current is None):
                        self._finish(job_id, track, _record_end(session, job_id) or now)
                        continue
                    cpu = _read_clock(track.clock)
                    if cpu is None:  # the thread is gone
                        self._finish(job_id, track, now)
                        continue
                    track.add(now, cpu)
                    if len(track.times) > self.MAX_SAMPLES:
                        track.thin()

    # -- queries ------------------------------------------------------------------------

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
        """True while some run is being sampled (has not finished)."""
        return bool(self._active) and not self._closed

    def close(self):
        """Stop recording; waits up to 1 s for the sampler thread (it ends within one POLL)."""
        self._closed = True
        manager = self._manager_ref()
        if manager is not None:
            manager.remove_listener(self._on_event)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(1.0)


class _Track:
    """The CPU samples of one run: parallel lists of times and cumulative CPU seconds."""

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
    """The CPU clock of ``session``'s agent thread, or None."""
    ident = session.agent_thread_id
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
    for record in reversed(session.history):  # no copy: the run is nearly always the last one
        if record.job == job_id:
            return record.end
    return None


_recorders = weakref.WeakKeyDictionary()
_recorders_lock = threading.Lock()


def recorder_for(manager, create=True):
    """The ActivityRecorder attached to ``manager`` (attached on first call), or None
    when there is none and ``create`` is false."""
    with _recorders_lock:
        recorder = _recorders.get(manager)
        if recorder is None and create:
            recorder = _recorders[manager] = ActivityRecorder(manager)
        return recorder


def close_recorder(manager):
    """Detach and close ``manager``'s recorder, if it has one (see ActivityRecorder.close)."""
    with _recorders_lock:
        recorder = _recorders.pop(manager, None)
    if recorder is not None:
        recorder.close()
