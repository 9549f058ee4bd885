"""A live status line for ``--bg`` jobs, updated in place in the cell that started them.

::

    status = BackgroundStatus("job", names=["worker"])   # in the cell's thread
    status.start()                      # shows "▶ job: running in worker since 12:03:04"
    status.output(text)                 # from any thread: counts the lines printed
    status.finish("ok", duration)       # "✔ job done in 3.21 s · 12 lines printed"

In a kernel the line is a display with a ``display_id``; updates are
``update_display_data`` messages sent with the parent header of the cell that started
the job (captured in the constructor), so they belong to that cell even while other
cells run. A shared ticker thread (alive only while some status runs) refreshes the
elapsed time and the line count about once a second. Outside a kernel (terminal
IPython) only the start and the end are printed.
"""

import threading
import time
import uuid

from interp_kernel.views.units import format_duration

__all__ = ["BackgroundStatus"]

_STYLE = {
    "running": ("▶", "#1565c0"),
    "ok": ("✔", "#2e7d32"),
    "error": ("✘", "#c62828"),
    "interrupted": ("■", "#ef6c00"),
}
_WORDS = {"ok": "done", "error": "failed", "interrupted": "interrupted", "running": "running"}


class BackgroundStatus:
    """The status line of one background job.

    Create it in the thread of the cell that starts the job (it captures where the
    line goes); every other method may be called from any thread. ``status`` is
    ``"running"``, then ``"ok"``, ``"error"`` or ``"interrupted"``.
    """

    #: Seconds between refreshes of a running job's line.
    TICK = 1.0

    def __init__(self, label, *, names=None, shell=None):
        self.label = str(label)
        self.names = list(names or [])
        self.display_id = "interp-bg-" + uuid.uuid4().hex
        self.status = "running"
        self.detail = ""
        self.lines = 0
        self.started = time.perf_counter()
        self.started_wall = time.time()
        self.duration = None
        self._partial = {}  # stream -> True when the last text did not end a line
        self._lock = threading.Lock()
        self._publish_lock = threading.Lock()  # one message at a time, in order
        self._shown = False
        if shell is None:
            try:
                from IPython import get_ipython

                shell = get_ipython()
            except Exception:
                shell = None
        self.shell = shell
        self._pub = getattr(shell, "display_pub", None)
        self._parent = None
        kernel = getattr(shell, "kernel", None)
        if kernel is not None and hasattr(kernel, "get_parent"):
            try:
                self._parent = kernel.get_parent("shell")
            except Exception:
                self._parent = None
        self._live = self._pub is not None and hasattr(self._pub, "set_thread_parent")

    # -- what the magics call -------------------------------------------------------------

    def start(self):
        """Show the line (once: later calls do nothing)."""
        if self._shown:
            return self
        self._publish(update=False)
        self._shown = True
        if self._live:
            _ticker.add(self)
        return self

    def output(self, text, stream="stdout"):
        """Count the lines in ``text`` (stream output of the job)."""
        if not text:
            return
        with self._lock:
            newlines = text.count("\n")
            # a line is counted when it ends, or at once when it is the first text after one ended
            if not self._partial.get(stream, False):
                newlines += 1
            if text.endswith("\n"):
                newlines -= 1
                self._partial[stream] = False
            else:
                self._partial[stream] = True
            self.lines += max(newlines, 0)

    def line_printed(self, n=1):
        """Count ``n`` more lines."""
        with self._lock:
            self.lines += n

    def finish(self, status, duration=None, detail=""):
        """The job ended: show its outcome and duration (the last update)."""
        with self._lock:
            if self.status != "running":
                return
            self.status = status if status in _STYLE else "error"
            self.duration = duration if duration is not None else time.perf_counter() - self.started
            self.detail = detail or ""
        _ticker.discard(self)
        self._publish(update=self._shown)

    @property
    def done(self):
        return self.status != "running"

    # -- rendering -------------------------------------------------------------------------

    def text(self, now=None):
        """The status line as plain text."""
        # "in NAMES" unless the label already is them (a --bg job without a handle name)
        where = f" in {', '.join(self.names)}" if self.names and self.label != "+".join(self.names) else ""
        lines = f"{self.lines} line{'s' if self.lines != 1 else ''} printed"
        icon = _STYLE[self.status][0]
        if self.status == "running":
            now = time.perf_counter() if now is None else now
            since = time.strftime("%H:%M:%S", time.localtime(self.started_wall))
            elapsed = format_duration(max(now - self.started, 0.0))
            return f"{icon} {self.label}: running{where} since {since} ({elapsed}) · {lines}"
        word = _WORDS[self.status]
        prep = "in" if self.status == "ok" else "after"
        detail = f" · {self.detail}" if self.detail else ""
        return f"{icon} {self.label}: {word}{where} {prep} {format_duration(self.duration)} · {lines}{detail}"

    def bundle(self, now=None):
        """The MIME bundle of the line (text/plain and text/html)."""
        import html

        text = self.text(now)
        color = _STYLE[self.status][1]
        body = html.escape(text)
        return {
            "text/plain": text,
            "text/html": (
                f'<div class="interp-bg-status interp-bg-{self.status}" data-job="{html.escape(self.label)}" '
                f'style="font-family:var(--jp-code-font-family,monospace);font-size:12px;color:{color};'
                f'padding:2px 0">{body}</div>'
            ),
        }

    # -- publishing -------------------------------------------------------------------------

    def _publish(self, update, only_running=False):
        with self._publish_lock:
            if only_running and self.status != "running":
                return
            self._send(update)

    def _send(self, update):
        with self._lock:
            data = self.bundle()
        pub = self._pub
        if pub is None:
            return
        try:
            if self._live:
                transient = {"display_id": self.display_id}
                token = pub.set_thread_parent(self._parent) if self._parent else None
                try:
                    pub.publish(data, metadata={}, transient=transient, update=update)
                finally:
                    if token is not None:
                        pub.reset_thread_parent(token)
            elif not update or self.status != "running":
                print(data["text/plain"], flush=True)
        except Exception:
            pass

    def tick(self, now):
        """Refresh a running line (the ticker calls it about once a TICK)."""
        self._publish(update=True, only_running=True)


class _Ticker:
    """One thread refreshing every running status line; it ends when none runs."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items = []
        self._thread = None

    def add(self, status):
        with self._lock:
            self._items.append(status)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="interp-bg-status", daemon=True)
                self._thread.start()

    def discard(self, status):
        with self._lock:
            if status in self._items:
                self._items.remove(status)

    @property
    def running(self):
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _run(self):
        while True:
            time.sleep(min((s.TICK for s in list(self._items)), default=1.0))
            with self._lock:
                items = list(self._items)
                if not items:
                    self._thread = None
                    return
            now = time.perf_counter()
            for status in items:
                try:
                    status.tick(now)
                except Exception:
                    pass


_ticker = _Ticker()
