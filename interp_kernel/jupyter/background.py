"""Background cells: an ``%%interp ... --bg`` cell that runs on after its cell returned.

A :class:`BackgroundCell` is what the user's handle (``%%interp w --bg job``) is bound
to. It holds one :class:`interp_kernel.runtime.jobs.Job` per interpreter (the
runtime's unit of work) and a watcher thread that, when they have all ended, works
out the cell's outcome, shows it in the cell that started it and updates the cell's
live status line (:mod:`interp_kernel.jupyter.bgstatus`).
"""

import threading
import time

from interp_kernel.jupyter.rendering import log, one_line_error
from interp_kernel.runtime.jobs import wait_event


def status_line(handle, names, shell):
    """The live status line of a background cell, or None where it cannot be shown.

    Call it in the thread of the cell that starts the background cell (the line goes
    there). Never raises.
    """
    try:
        from interp_kernel.jupyter.bgstatus import BackgroundStatus
    except ImportError:
        return None
    try:
        return BackgroundStatus(handle, names=names, shell=shell)
    except Exception as exc:
        log(f"no status line for {handle!r}: {exc!r}")
        return None


class BackgroundCell:
    """An ``%%interp ... --bg`` cell running in one or more interpreters.

    Its output keeps landing in the cell that started it. ``wait()`` blocks for the
    results, ``interrupt()`` stops it; ``%interp wait NAME`` and ``%interp interrupt
    NAME`` do the same from a cell. ``status`` is ``"running"``, then ``"ok"`` or
    ``"error"``.

    ``conclude(results)`` (results: name -> RunResult) returns ``(error or None,
    result object or None)``; it runs in the watcher thread once every job ended.
    """

    def __init__(self, handle, names, jobs, target, router, conclude, status_line=None):
        self.handle = handle  # the variable it is bound to (or the interpreter names)
        self.names = list(names)
        self.jobs = dict(jobs)  # interpreter name -> runtime Job
        self.target = target  # the CellTarget of the starting cell
        self.status_line = status_line  # a bgstatus.BackgroundStatus, or None
        self.results = None  # name -> RunResult, once done
        self.error = None  # the exception wait() raises, once done
        self.value = None  # what wait() returns, once done
        self.started = time.perf_counter()
        self.ended = None
        self._router = router
        self._conclude = conclude
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name=f"interp-bg-{handle}", daemon=True)

    def start(self):
        """Start watching the jobs (once). Never blocks."""
        self._watcher.start()

    @property
    def done(self):
        return self._done.is_set()

    @property
    def status(self):
        if not self._done.is_set():
            return "running"
        return "error" if self.error is not None else "ok"

    def running_in(self, session):
        """True while this cell's job runs in ``session``."""
        job = self.jobs.get(session.name)
        return job is not None and job.session is session and not job.finished()

    def interrupt(self):
        """Interrupt the cell in every interpreter where it is running; True if any was."""
        hit = False
        for job in self.jobs.values():
            if not job.finished() and job.session.current is job:
                hit = job.session.interrupt() or hit
        return hit

    def join(self, timeout=None):
        """Block until the cell has ended and its outcome is shown, at most ``timeout``
        seconds (None: as long as it takes). Returns True if it has ended. A
        KeyboardInterrupt (Ctrl-C, the kernel's interrupt) propagates."""
        return wait_event(self._done, timeout)

    def wait(self, timeout=None):
        """Wait for the cell; returns its result or raises its error (TimeoutError when
        it is still running after ``timeout`` seconds)."""
        if not self.join(timeout):
            raise TimeoutError(f"background job {self.handle!r} is still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.value

    def _watch(self):
        for job in self.jobs.values():
            job.done.wait()
        results = {name: job.result for name, job in self.jobs.items()}
        self.results = results
        try:
            error, value = self._conclude(results)
        except Exception as exc:  # a bug of ours: show it, do not die silently
            error, value = one_line_error(type(exc).__name__, str(exc)), None
        self.error, self.value = error, value
        self.ended = time.perf_counter()
        if self.status_line is not None:
            self._finish_status_line(results, error)
        # In a terminal the outcome would show up between prompts, and again where
        # %interp wait returns it: there the status line says how the cell ended.
        if self._router.per_cell or self.status_line is None:
            if error is not None:
                self._router.error(self.target, error)
            elif value is not None:
                self._router.display(self.target, value._repr_mimebundle_())
        self._router.flush()
        self._done.set()

    def _finish_status_line(self, results, error):
        statuses = [r.status for r in results.values()]
        state = "interrupted" if "interrupted" in statuses else ("error" if error is not None else "ok")
        detail = ""
        if error is not None:
            detail = type(error).__name__
            message = str(error).split("\n")[0]
            if message:
                detail = f"{detail}: {message}"[:120]
        try:
            self.status_line.finish(state, self.ended - self.started, detail)
        except Exception as exc:
            log(f"could not update the status line of {self.handle!r}: {exc!r}")

    def __repr__(self):
        where = ", ".join(self.names)
        return f"<interp background job {self.handle!r} in {where}: {self.status}>"
