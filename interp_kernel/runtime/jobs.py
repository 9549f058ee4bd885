"""Jobs (one piece of work sent to an interpreter's agent) and their results."""

import itertools
import threading
import time
from dataclasses import dataclass, field

from interp_kernel._protocol import OK

_job_ids = itertools.count(1)

#: Longest a wait in the main thread sleeps without running signal handlers. A SIGINT
#: that arrives just before a lock wait starts does not wake the wait (CPython runs
#: the handler only when the thread next runs Python code), so such waits come in
#: slices, like the C core's channel waits.
SIGNAL_SLICE = 0.1


def wait_event(event, timeout=None):
    """``event.wait(timeout)`` that Ctrl-C always interrupts (within SIGNAL_SLICE seconds).

    Returns True once ``event`` is set, False if ``timeout`` seconds passed first.
    Raises whatever a signal handler raises (KeyboardInterrupt) in the main thread.
    """
    if timeout is not None and timeout > threading.TIMEOUT_MAX:
        timeout = None
    if threading.current_thread() is not threading.main_thread():
        return event.wait(timeout)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        step = SIGNAL_SLICE if deadline is None else min(SIGNAL_SLICE, deadline - time.monotonic())
        if step <= 0:
            return event.is_set()
        if event.wait(step):
            return True


@dataclass(frozen=True)
class ErrorInfo:
    """An exception raised inside an interpreter.

    ``traceback`` is the interpreter's own formatted traceback, limited to the cell's
    frames; ``hint`` is our explanation for known failures ("" when none).
    """

    ename: str
    evalue: str
    traceback: str
    hint: str = ""

    def __str__(self):
        return f"{self.ename}: {self.evalue}"


@dataclass
class RunResult:
    """What a finished job produced.

    ``status`` is one of the job statuses of :mod:`interp_kernel._protocol`: ``OK``
    (``"ok"``), ``ERROR`` (``"error"``, details in ``error``) or ``INTERRUPTED``
    (``"interrupted"``); ``data`` is the MIME bundle of the trailing expression's
    value (None when the cell ended in a statement or None), or a helper's answer.
    """

    session: str
    status: str
    data: dict | None = None
    error: ErrorInfo | None = None
    started: float = 0.0
    ended: float = 0.0

    @property
    def ok(self):
        return self.status == OK

    @property
    def value_repr(self):
        """The trailing expression's ``repr`` (text/plain), or None."""
        return None if self.data is None else self.data.get("text/plain")

    @property
    def duration(self):
        return self.ended - self.started


@dataclass(eq=False)
class Job:
    """The runtime's unit of work: one command (``kind``: ``RUN``, ``PUSH``, ``PULL`` or
    ``CALL`` of :mod:`interp_kernel._protocol`) queued in one session, which runs its
    jobs one at a time, in order. Finished when its ``done`` event is set; ``result``
    is then its :class:`RunResult`. (The Jupyter side's background cells wrap a Job.)

    Callbacks run on the session's reader thread: ``on_output(stream, text)``,
    ``on_display(data, metadata)`` (with ``display_id=..., update=...`` keywords when
    the interpreter gave a display id), ``on_clear(wait)`` (``clear_output``),
    ``on_input(prompt, password) -> str | None``, ``on_part(name, items)`` (a slice of
    a long list or tuple being pulled). A job queued with ``direct=True`` has a
    ``reply`` (:mod:`interp_kernel.runtime.direct`): its waiter receives its ``DONE``.
    """

    session: object
    kind: str
    label: str = ""
    on_output: object = None
    on_display: object = None
    on_input: object = None
    on_clear: object = None
    on_part: object = None
    id: int = field(default_factory=lambda: next(_job_ids))
    result: RunResult | None = None
    started: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)
    reply: object = None  # a DirectReply when the waiter takes the job's DONE itself

    def finished(self):
        """True once the job has a result."""
        return self.done.is_set()

    def wait_done(self, timeout=None):
        """Block until the job has finished (True) or ``timeout`` seconds passed (False).

        Raises KeyboardInterrupt (Ctrl-C in the main thread) with the job still going on.
        """
        if self.reply is not None:
            return self.reply.wait(timeout)
        return wait_event(self.done, timeout)

    def wait(self, timeout=None):
        """Wait for the result; returns it, or None if ``timeout`` seconds passed first.

        A KeyboardInterrupt while waiting (Ctrl-C, the kernel's interrupt) interrupts
        the job inside its interpreter, if it is the one running, and waits up to 2 s
        for it to stop; if it does not (or the job is still queued), the
        KeyboardInterrupt propagates and the job goes on.
        """
        try:
            self.wait_done(timeout)
        except KeyboardInterrupt:
            if self.session.current is not self:  # queued behind another job: leave that one be
                raise
            self.session.interrupt()
            if not self.wait_done(2.0):
                raise
        return self.result

    def resolve(self, result):
        """Set the result and wake the waiters; the session calls it once per job."""
        self.result = result
        self.done.set()

    def __repr__(self):
        state = self.result.status if self.result else "running"
        return f"<Job {self.id} {self.kind} in {self.session.name!r}: {state}>"


def first_line(code):
    """A run's default label: the first non-blank line of its code, at most 80 characters."""
    for line in code.splitlines():
        if line.strip():
            return line.strip()[:80]
    return ""


class RunRecord:
    """When a run started and ended, for the timeline and the dashboard."""

    __slots__ = ("session", "job", "label", "start", "end", "status")

    def __init__(self, session, job, label, start):
        self.session = session
        self.job = job
        self.label = label
        self.start = start
        self.end = None
        self.status = "running"

    def close(self, status, end=None):
        self.status = status
        self.end = end if end is not None else time.perf_counter()
