"""Warm spares: started interpreters kept ready for the next new session.

Creating an interpreter and starting its agent takes 10–20 ms, most of it
``_interpreters.create`` itself (7–9 ms), so creating faster cannot get far. A
:class:`Spares` pool instead builds isolated sessions ahead of need, on a background
thread; :meth:`Manager.session` takes one for a new isolated session, renames it and
starts building the next. The first cell in a new interpreter then pays for the
hand-over only.

The rules:

* only the default config (``isolated``) is kept; ``legacy`` is built on demand;
* no spare is built while sessions run on every core (``busy()`` says so): the build
  would take a core from them, so the builder waits until one finishes;
* a spare is not a session of its manager until taken: it is not listed, not in the
  dashboard, the timeline or the manager's history;
* a spare costs what an idle isolated interpreter costs (about 2.3 MB RSS);
* before ``os.fork()`` in a process whose only subinterpreters are spares, the spares
  are closed (the child would crash, CPython gh-139759) and built again afterwards
  (:mod:`interp_kernel.runtime.lifecycle` calls :meth:`Spares.suspend` / :meth:`resume`).
"""

import itertools
import os
import sys
import threading
import time

from interp_kernel._protocol import ENVIRON
from interp_kernel.runtime import lifecycle
from interp_kernel.runtime.session import Session

#: Seconds between two looks at ``busy()`` while sessions run on every core.
BUSY_POLL = 0.1
#: Seconds the replacement of a taken spare waits before it is built, so that building
#: it does not compete with the first cell of the session that took it (in a kernel, 3.13.0,
#: 60 alternated rounds: that cell 7.63 ms with no wait, 4.33 ms with 0.05 s; a plain cell
#: right after it 5.67 vs 3.53 ms).
REFILL_DELAY = 0.05

_numbers = itertools.count(1)


class Spares:
    """A pool of ``count`` started isolated sessions (see the module docstring).

    ``busy()`` returns True while building would slow running sessions. Thread-safe.
    Nothing here raises for a spare that fails to start: the builder stops trying and
    sessions are created on demand as without spares.
    """

    def __init__(self, count=0, busy=lambda: False):
        self._busy = busy
        self._ready = []  # (session, (sys.path, os.environ) when it was built), oldest first
        self._count = 0
        self._building = False
        self._suspended = 0
        self._closed = False
        self._failure = None
        self._cond = threading.Condition()
        self._builder = None
        self._taken_at = None  # when a spare was last taken
        lifecycle.spares_opened(self)
        self.count = count

    # -- settings and state -------------------------------------------------------------

    @property
    def count(self):
        """How many spares to keep ready. Setting it closes the extra ones or builds more."""
        return self._count

    @count.setter
    def count(self, count):
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError(f"the number of spares must be an integer >= 0, not {count!r}")
        with self._cond:
            self._count = count
            extra = self._ready[count:]
            del self._ready[count:]
            self._start_builder()
            self._cond.notify_all()
        _close([session for session, _ in extra])

    def ready(self):
        """How many spares are ready now."""
        return len(self._ready)

    def wait_ready(self, timeout=5.0):
        """Block until ``count`` spares are ready (or ``timeout`` seconds); True if they are."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._ready) < self._count and not self._closed and self._failure is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return len(self._ready) >= self._count

    @property
    def failure(self):
        """Why building a spare failed (then none is built any more), else None."""
        return self._failure

    # -- taking --------------------------------------------------------------------------

    def take(self, name):
        """A ready spare renamed ``name``, or None when none is ready.

        Waits for a spare being built right now (it is nearer than a new one). The
        spare catches up with main's ``sys.path`` and ``os.environ`` when they changed
        since it was built. Starts building its replacement.
        """
        with self._cond:
            while not self._ready and self._building and not self._suspended:
                self._cond.wait()
            if not self._ready:
                return None
            session, snapshot = self._ready.pop(0)
            self._taken_at = time.monotonic()
            self._start_builder()
        try:
            _catch_up(session, snapshot)
        except Exception:  # a spare that cannot catch up is no good: build one on demand
            _close([session])
            return None
        session.rename(name)
        return session

    # -- lifetime --------------------------------------------------------------------------

    def close(self, timeout=2.0):
        """Close every spare and stop building; idempotent."""
        with self._cond:
            self._closed = True
        self._close_all(timeout)
        lifecycle.spares_closed(self)

    def suspend(self, timeout=2.0):
        """Stop building and close the spares (before a fork); :meth:`resume` undoes it."""
        with self._cond:
            self._suspended += 1
        self._close_all(timeout)

    def _close_all(self, timeout):
        """Close the ready spares and the one being built, if any (building has been stopped)."""
        with self._cond:
            spares = [session for session, _ in self._ready]
            self._ready.clear()
            self._cond.notify_all()
        self._wait_build(timeout)
        _close(spares, timeout)

    def resume(self):
        """Build again after :meth:`suspend`."""
        with self._cond:
            self._suspended = max(0, self._suspended - 1)
            self._start_builder()
            self._cond.notify_all()

    def forget(self):
        """In a forked child: no spare, no builder (the parent's thread does not exist here)."""
        self._ready = []
        self._building = False
        self._closed = True
        self._builder = None
        self._cond = threading.Condition()

    def _wait_build(self, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._building and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))

    # -- the builder ---------------------------------------------------------------------

    def _start_builder(self):
        """Start the builder thread if spares are wanted and none runs (caller holds the lock)."""
        if self._count and self._builder is None and not self._closed:
            self._builder = threading.Thread(target=self._build_loop, name="interp-spares", daemon=True)
            self._builder.start()

    def _wanted(self):
        return not self._closed and self._failure is None and len(self._ready) < self._count

    def _build_loop(self):
        while True:
            with self._cond:
                while self._wanted() and self._suspended:
                    self._cond.wait()
                if not self._wanted():
                    self._builder = None
                    return
            if self._busy():
                time.sleep(BUSY_POLL)
                continue
            if self._taken_at is not None:
                delay = self._taken_at + REFILL_DELAY - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            with self._cond:
                if not self._wanted() or self._suspended:
                    continue
                self._building = True
            session = None
            try:
                snapshot = (list(sys.path), dict(os.environ))
                session = Session(f"spare-{next(_numbers)}", "isolated")
            except Exception as exc:
                self._failure = f"{type(exc).__name__}: {exc}"
            with self._cond:
                keep = session is not None and self._wanted() and not self._suspended
                if keep:
                    self._ready.append((session, snapshot))
                    self._building = False
                    self._cond.notify_all()
            if not keep:  # closed before the build counts as over: suspend() and close() wait for it
                if session is not None:
                    _close([session])
                with self._cond:
                    self._building = False
                    self._cond.notify_all()


def _catch_up(session, snapshot):
    """Give a spare the ``sys.path`` and ``os.environ`` main has now, if they changed."""
    path, environ = snapshot
    now = dict(os.environ)
    if sys.path == path and now == environ:
        return
    changed = {k: v for k, v in now.items() if environ.get(k) != v}
    removed = [k for k in environ if k not in now]
    session.call_helper(ENVIRON, list(sys.path), changed, removed)


def _close(sessions, timeout=2.0):
    for session in sessions:
        session.close(timeout)
