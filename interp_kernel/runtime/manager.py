"""The manager: the set of named sessions of one process.

Plain Python, no Jupyter: the magics, the dashboard and the timeline sit on top.
"""

import os
import threading
import time
import weakref

from interp_kernel.errors import ConfigMismatchError, UnknownInterpreterError
from interp_kernel._queue import NamedQueue
from interp_kernel.runtime.names import check_interpreter_name, check_python_name
from interp_kernel.runtime import lifecycle
from interp_kernel.runtime.session import Session
from interp_kernel.runtime.spares import Spares


class Manager:
    """Named sessions: create on first use, close, reset, run many in parallel, shut down.

    Thread-safe. ``add_listener(fn)`` registers ``fn(kind, session, detail)`` for the
    events ``"created"``, ``"started"``, ``"finished"``, ``"closed"``; listeners run on
    whichever thread caused the event and must not block.

    ``spares``: how many isolated interpreters to keep started ahead of need (warm
    spares, :mod:`interp_kernel.runtime.spares`): a new isolated session takes one and
    is ready at once. Each costs about 2.3 MB; none is built while sessions run on
    every core. Settable later through :attr:`spares`.
    """

    def __init__(self, *, spares=0):
        self._sessions = {}
        self._lock = threading.RLock()
        self._listeners = []
        self._queues = {}
        self.retired = []  # RunRecords of sessions that were closed or reset
        self.created_at = time.perf_counter()
        self._spares = Spares(spares, busy=self._every_core_busy)
        lifecycle.at_exit(_shutdown_at_exit, weakref.ref(self))  # see lifecycle for why

    # -- lookup ---------------------------------------------------------------------

    def session(self, name, *, config=None, create=True):
        """The session called ``name``, created on first use.

        ``config`` is ``"isolated"`` (own GIL, the default for new ones) or ``"legacy"``
        (shared GIL). Raises BadNameError for a bad name, ConfigMismatchError when an
        existing session has another config, UnknownInterpreterError when it does not
        exist and ``create`` is false.
        """
        check_interpreter_name(name)
        with self._lock:
            existing = self._sessions.get(name)
            if existing is not None and not existing.closed:
                if config is not None and config != existing.config:
                    raise ConfigMismatchError(
                        f"interpreter {name!r} exists with config {existing.config!r}, not {config!r}: "
                        f"close it first (%interp close {name}) or use another name"
                    )
                return existing
            if not create:
                raise UnknownInterpreterError(f"no interpreter named {name!r}; existing: {self._names_text()}")
            session = self._spares.take(name) if config in (None, "isolated") else None
            if session is None:
                session = Session(name, config or "isolated", on_event=self._emit)
            else:
                session.on_event = self._emit
            if self._queues:
                session.push(self._queues)
            self._sessions[name] = session
        self._emit("created", session)
        return session

    def get(self, name):
        """The existing session ``name``; raises UnknownInterpreterError otherwise."""
        return self.session(name, create=False)

    def __contains__(self, name):
        session = self._sessions.get(name)
        return session is not None and not session.closed

    def sessions(self):
        """Open sessions, in creation order."""
        with self._lock:
            return [s for s in self._sessions.values() if not s.closed]

    def names(self):
        return [s.name for s in self.sessions()]

    @property
    def spares(self):
        """How many warm spares are kept ready (0: none). Setting it builds or closes
        spares in the background; raises ValueError unless an integer >= 0."""
        return self._spares.count

    @spares.setter
    def spares(self, count):
        self._spares.count = count

    def wait_for_spares(self, timeout=5.0):
        """Block until every wanted spare is ready (or ``timeout`` s); True if they are."""
        return self._spares.wait_ready(timeout)

    def _every_core_busy(self):
        running = sum(1 for s in self.sessions() if s.state == "running")
        return running >= (os.process_cpu_count() or 1)

    def _names_text(self):
        names = self.names()
        return ", ".join(names) if names else "none"

    # -- lifetime ----------------------------------------------------------------------

    def close(self, name, timeout=5.0):
        """Close one session (interrupting what it runs); returns Session.close's result."""
        session = self.get(name)
        with self._lock:
            self._sessions.pop(name, None)
            self.retired.extend(session.history)
        return session.close(timeout)

    def reset(self, name, timeout=5.0):
        """Replace a session by a fresh interpreter with the same name and config."""
        config = self.get(name).config
        self.close(name, timeout)
        return self.session(name, config=config)

    def shutdown(self, timeout=5.0):
        """Close every session, in parallel, returning within about ``timeout`` seconds.

        Returns the names of sessions whose interpreter could not be destroyed
        (user code that ignores interrupts or a thread stuck in a C call).
        """
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
            for session in sessions:
                self.retired.extend(session.history)
        self._spares.close()
        stuck = lifecycle.close_sessions(sessions, timeout)
        for q in self._queues.values():
            q.close()
        self._queues.clear()
        return stuck

    # -- work ----------------------------------------------------------------------------

    def run_many(self, names, code, *, on_output=None, on_display=None, config=None):
        """Run ``code`` in several sessions at once (each on its own core) and wait for all.

        ``on_output(name, stream, text)`` and ``on_display(name, data, metadata)`` get
        the session's name first. Returns a dict name -> RunResult; a failure in one
        does not stop the others.
        """
        jobs = self.submit_many(names, code, on_output=on_output, on_display=on_display, config=config,
                                direct=True)
        return {name: job.wait() for name, job in jobs.items()}

    def submit_many(self, names, code, *, on_output=None, on_display=None, config=None, direct=False):
        """Start ``code`` in several sessions; returns a dict name -> Job without waiting.

        ``direct``: the caller will wait for every job (see :meth:`Session.submit`)."""
        sessions = [self.session(name, config=config) for name in names]
        jobs = {}
        for session in sessions:
            jobs[session.name] = session.submit(
                code,
                on_output=_tagged(on_output, session.name),
                on_display=_tagged(on_display, session.name),
                direct=direct,
            )
        return jobs

    def queue(self, name, maxsize=0):
        """The named cross-interpreter queue ``name``, made on first use.

        It is bound as ``name`` in every interpreter of this manager, existing and
        created later (binding in main is the caller's business). Raises BadNameError
        for a name that is not an identifier, ValueError when it exists with another
        ``maxsize``.
        """
        check_python_name(name, "queue")
        with self._lock:
            existing = self._queues.get(name)
            if existing is not None:
                if maxsize != existing.maxsize:
                    raise ValueError(f"queue {name!r} exists with maxsize {existing.maxsize}, not {maxsize}")
                return existing
            q = self._queues[name] = NamedQueue.create(name, maxsize)
            sessions = self.sessions()
        for session in sessions:
            session.push({name: q})
        return q

    def queues(self):
        """The named queues, by name."""
        return dict(self._queues)

    def interrupt(self, name):
        """Interrupt what session ``name`` is running; True if a cell was running."""
        return self.get(name).interrupt()

    # -- records and events ---------------------------------------------------------------

    def history(self):
        """RunRecords of every run of this manager, closed sessions included, by start time."""
        with self._lock:
            records = list(self.retired)
            for session in self._sessions.values():
                records.extend(session.history)
        return sorted(records, key=lambda r: r.start)

    def add_listener(self, listener):
        self._listeners.append(listener)

    def remove_listener(self, listener):
        try:
            self._listeners.remove(listener)
        except ValueError:
            pass

    def _emit(self, kind, session, detail=None):
        for listener in list(self._listeners):
            try:
                listener(kind, session, detail)
            except Exception:
                pass


def _tagged(callback, name):
    if callback is None:
        return None
    return lambda *args, **kwargs: callback(name, *args, **kwargs)


def _shutdown_at_exit(manager_ref):
    manager = manager_ref()
    if manager is not None and manager.sessions():
        manager.shutdown(timeout=5.0)
