"""A session: one named subinterpreter and the long-lived agent that runs work in it.

Main side of each session: an *agent thread* (a daemon thread of the main
interpreter that stays inside ``_interpreters.exec`` running :func:`agent.serve`
for the session's whole life) and a *reader thread* that receives the agent's
events (output, displays, input requests, results) and hands them to the job
they belong to. Work is queued: the agent runs one job at a time, in order.
"""

import atexit
import marshal
import os
import pickle
import sys
import threading
import time

import _interpreters

from interp_kernel import _core, interpreters
from interp_kernel.errors import (
    NotTransferableError,
    SessionBusyError,
    SessionClosedError,
)
from interp_kernel.agent import NAMED_QUEUE, PICKLED, PICKLED_CARRIED, SHARED
from interp_kernel.runtime.names import check_interpreter_name, check_python_name
from interp_kernel.runtime.jobs import ErrorInfo, Job, RunRecord, RunResult
from interp_kernel._queue import NamedQueue

CONFIGS = ("isolated", "legacy")

_BOOTSTRAP = """\
import sys
sys.path[:] = {path!r}
import interp_kernel.agent
interp_kernel.agent.serve({commands}, {events}, {replies}, {sleeper})
"""


_undestroyed = []  # closed sessions whose interpreter would not die (a thread stuck in it)


def leave_if_stuck(exit_code, grace=1.0):
    """At exit: end the process with ``os._exit(exit_code)`` if an interpreter could
    not be destroyed, because finalizing it would wait for its stuck thread forever
    (CPython gh-128639). Waits up to ``grace`` seconds for such threads to end first;
    returns normally when none is left.
    """
    deadline = time.monotonic() + grace
    while any(s.stuck for s in _undestroyed) and time.monotonic() < deadline:
        time.sleep(0.05)
    stuck = [s.name for s in _undestroyed if s.stuck]
    if not stuck:
        return
    print(f"interp_kernel: interpreter(s) {', '.join(stuck)} still run a thread that ignores interrupts; "
          f"exiting without finalizing them (exit status {exit_code})", file=sys.__stderr__)
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(exit_code)


atexit.register(leave_if_stuck, 1)

_open_sessions = set()  # sessions not closed yet


def close_sessions(sessions, timeout):
    """Close ``sessions`` in parallel, returning within about ``timeout`` seconds.

    Returns the names of those whose interpreter could not be destroyed (user code
    that ignores interrupts, or a thread stuck in a C call).
    """
    results = {}

    def close(session):
        results[session] = session.close(timeout * 0.9)

    threads = [threading.Thread(target=close, args=(s,), daemon=True) for s in sessions]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [s.name for s in sessions if not results.get(s, False)]


def _close_open_sessions_at_exit():
    # An interpreter whose agent still runs would abort the process when Python
    # finalizes it ("Py_EndInterpreter: not the last thread"). Registered after
    # leave_if_stuck, so it runs before it (atexit runs hooks in reverse order).
    if _open_sessions:
        close_sessions(list(_open_sessions), timeout=3.0)


atexit.register(_close_open_sessions_at_exit)


#: Seconds between two fork warnings (a process pool whose children crash forks again and again).
FORK_WARNING_INTERVAL = 5.0
_last_fork_warning = -FORK_WARNING_INTERVAL


def _warn_before_fork():
    """``os.register_at_fork(before=...)``: say why the child of this fork will crash."""
    global _last_fork_warning
    try:
        count = len(_interpreters.list_all()) - 1
    except Exception:
        return
    now = time.monotonic()
    if count < 1 or now - _last_fork_warning < FORK_WARNING_INTERVAL:
        return
    _last_fork_warning = now
    print(f"interp_kernel: os.fork() while {count} subinterpreter(s) exist: the child process will crash "
          f"on this CPython (gh-139759). Use multiprocessing's 'forkserver' or 'spawn' start method "
          f"(multiprocessing.get_context('forkserver')), or close the interpreters first.",
          file=sys.stderr, flush=True)


os.register_at_fork(before=_warn_before_fork)


class Session:
    """One named interpreter with its agent.

    Creating a session creates the interpreter and starts its agent; it blocks until
    the agent is ready (about 10 ms for an isolated interpreter) and raises
    ``RuntimeError`` if the agent could not start.
    """

    def __init__(self, name, config="isolated", *, on_event=None, start_timeout=30.0):
        self.name = check_interpreter_name(name)
        if config not in CONFIGS:
            raise ValueError(f"unknown config {config!r}: use one of {', '.join(CONFIGS)}")
        self.config = config
        self.on_event = on_event or (lambda kind, session, detail=None: None)
        self.cells_run = 0
        self.last_duration = None
        self.history = []  # RunRecords of the runs of this session
        self.current = None  # the job the agent is running now
        self._jobs = {}  # id -> Job not yet finished
        self._last_job = None  # where late output (from user threads) goes
        self._lock = threading.Lock()
        self._closed = False
        self._ready = threading.Event()
        self._agent_failure = None
        self._create_error = None
        self._destroyer = None
        self.agent_thread_id = None
        self.id = None  # set by the agent thread, which creates the interpreter

        self._commands = _core.channel_create()
        self._events = _core.channel_create()
        self._replies = _core.channel_create()
        self._sleeper = _core.channel_create()
        code = _BOOTSTRAP.format(
            path=list(sys.path), commands=self._commands, events=self._events, replies=self._replies,
            sleeper=self._sleeper,
        )
        self._agent = threading.Thread(
            target=self._run_agent, args=(_interpreters.new_config(config), code),
            name=f"interp-agent-{name}", daemon=True,
        )
        self._reader = threading.Thread(target=self._read_events, name=f"interp-reader-{name}", daemon=True)
        self._reader.start()
        self._agent.start()
        if not self._ready.wait(start_timeout) or self._agent_failure:
            failure = self._agent_failure or "timed out"
            self._destroy_resources(timeout=1.0)
            if self._create_error is not None:
                raise self._create_error
            raise RuntimeError(f"could not start the agent of interpreter {name!r}: {failure}")
        _open_sessions.add(self)

    # -- state -------------------------------------------------------------------

    @property
    def state(self):
        """``"closed"``, ``"running"`` (a job is in the agent) or ``"idle"``."""
        if self._closed:
            return "closed"
        return "running" if self.current is not None else "idle"

    @property
    def closed(self):
        return self._closed

    def __repr__(self):
        return f"<Session {self.name!r} id={self.id} {self.config} {self.state}>"

    # -- work ----------------------------------------------------------------------

    def submit(self, code, *, on_output=None, on_display=None, on_input=None, on_clear=None, filename=None,
               label=None):
        """Queue ``code`` to run as a cell; returns its :class:`Job` at once.

        The cell runs all statements, then evaluates a trailing expression whose MIME
        bundle becomes the result's ``data``. Raises SessionClosedError if closed.
        """
        job = Job(self, "run", label=label or _first_line(code), on_output=on_output,
                  on_display=on_display, on_input=on_input, on_clear=on_clear)
        filename = filename or f"<{self.name}:cell {job.id}>"
        self._send(job, ("run", job.id, code, filename))
        return job

    def run(self, code, *, on_output=None, on_display=None, on_input=None, on_clear=None, filename=None,
            timeout=None):
        """Run ``code`` as a cell and wait for its :class:`RunResult`.

        Blocks until the cell ends (or ``timeout`` seconds: then raises TimeoutError,
        the cell keeps running). Errors inside the cell come back in the result,
        they are not raised here. Output goes to ``on_output(stream, text)`` as it is
        written, from the reader thread (the other callbacks: see :class:`Job`).
        """
        job = self.submit(code, on_output=on_output, on_display=on_display, on_input=on_input,
                          on_clear=on_clear, filename=filename)
        result = job.wait(timeout)
        if result is None:
            raise TimeoutError(f"the cell in {self.name!r} is still running after {timeout} s")
        return result

    def push(self, values=None, /, **kwargs):
        """Bind values in the interpreter's ``__main__``.

        Values are pickled, except a memoryview (shared: no copy) and a large bytes or
        str (natively shareable: one copy); large ones travel beside the command. Every
        value is encoded before any is sent: when one cannot cross, raises
        NotTransferableError naming it and its type, and nothing is bound. Blocks until
        the interpreter has them (after any queued work).
        """
        values = dict(values or {}, **kwargs)
        for name in values:
            check_python_name(name)
        carriers = []  # queues holding shared objects until the agent has taken them
        encoded = {name: encode_value(name, value, carriers) for name, value in values.items()}
        job = Job(self, "push", label="push " + ", ".join(values))
        self._send(job, ("push", job.id, encoded))
        result = job.wait()
        del carriers
        if not result.ok:
            raise NotTransferableError(f"could not push into {self.name!r}: {result.error}")

    def pull(self, *names):
        """Copy variables out of the interpreter's ``__main__``.

        One name returns its value; several return a dict name -> value. Raises
        NameError for an undefined name, NotTransferableError when a value cannot be
        pickled or unpickled here. Blocks until any queued work is done.
        """
        if not names:
            raise TypeError("pull() needs at least one variable name")
        for name in names:
            check_python_name(name)
        job = Job(self, "pull", label="pull " + ", ".join(names))
        self._send(job, ("pull", job.id, list(names)))
        result = job.wait()
        if not result.ok:
            if result.error.ename == "NameError":
                raise NameError(result.error.evalue)
            raise NotTransferableError(result.error.evalue)
        values = {}
        for name in names:
            try:
                values[name] = pickle.loads(result.data[name][1])
            except Exception as exc:
                why = ("; classes defined in the interpreter's __main__ do not exist here"
                       if isinstance(exc, AttributeError) else "")
                raise NotTransferableError(
                    f"cannot pull {name!r} into the main interpreter: unpickling failed ({exc}){why}"
                ) from None
        return values[names[0]] if len(names) == 1 else values

    def call_helper(self, helper, *args, timeout=5.0):
        """Run an agent introspection helper ("complete", "inspect", "names").

        Raises SessionBusyError when the interpreter is running a job (the helper
        would wait behind it), TimeoutError if no answer comes within ``timeout``.
        """
        if self.current is not None:
            raise SessionBusyError(f"interpreter {self.name!r} is busy")
        job = Job(self, "call", label=helper)
        self._send(job, ("call", job.id, helper, list(args)))
        result = job.wait(timeout)
        if result is None:
            raise TimeoutError(f"{helper} in {self.name!r} did not answer within {timeout} s")
        if not result.ok:
            raise RuntimeError(str(result.error))
        return result.data

    def interrupt(self):
        """Raise KeyboardInterrupt in the cell the interpreter is running.

        Returns True if a running cell was interrupted, False if none was running.
        Does not wait for the cell to stop; code blocked in a C call (``time.sleep``)
        sees it when the call returns.
        """
        if self._closed:
            return False
        try:
            return _core.interrupt(self.id, None)
        except ValueError:  # the interpreter is already gone
            return False

    # -- lifetime --------------------------------------------------------------------

    def close(self, timeout=5.0):
        """Stop the agent and destroy the interpreter, within about ``timeout`` seconds.

        A running cell is interrupted first (repeatedly, as code that catches
        KeyboardInterrupt may need). Returns True when the interpreter was destroyed,
        False when user code would not stop (a thread stuck in a C call): the session
        is closed either way and its interpreter is left to the process's exit.
        Idempotent.
        """
        with self._lock:
            if self._closed:
                return True
            self._closed = True
        _open_sessions.discard(self)
        deadline = time.monotonic() + timeout
        try:
            _core.channel_send(self._commands, marshal.dumps(("stop",)))
        except _core.ChannelError:
            pass
        while self._agent.is_alive() and time.monotonic() < deadline:
            self.interrupt_all()
            self._agent.join(0.05)
        destroyed = self._destroy_resources(max(0.0, deadline - time.monotonic()))
        self.on_event("closed", self)
        return destroyed

    def interrupt_all(self):
        """Interrupt the running cell even when the session is closing."""
        try:
            _core.interrupt(self.id, None)
        except ValueError:
            pass

    @property
    def stuck(self):
        """True while a closed session's interpreter is still not destroyed."""
        return self._agent.is_alive() or (self._destroyer is not None and self._destroyer.is_alive())

    def _destroy_resources(self, timeout):
        self._closed = True
        destroyed = False
        if not self._agent.is_alive():
            self._destroyer = threading.Thread(target=self._destroy_interpreter, daemon=True,
                                               name=f"interp-destroy-{self.name}")
            self._destroyer.start()
            self._destroyer.join(timeout)
            destroyed = not self._destroyer.is_alive()
        if not destroyed:
            _undestroyed.append(self)
        for channel in (self._commands, self._replies, self._sleeper):
            _destroy_channel(channel)
        _core.channel_close(self._events)  # the reader drains what is left, then ends
        self._reader.join(1.0)
        _destroy_channel(self._events)
        self._fail_pending("the interpreter was closed")
        return destroyed

    def _destroy_interpreter(self):
        if self.id is None:
            return
        try:
            _interpreters.destroy(self.id)
        except Exception:
            pass

    # -- agent and reader threads -------------------------------------------------------

    def _run_agent(self, config, code):
        # The interpreter is created here rather than in the caller's thread: outside the
        # main thread CPython 3.14 finds the thread's stack bounds without parsing
        # /proc/self/maps (in a kernel process: ~20 ms -> ~9 ms per interpreter).
        try:
            self.id = _interpreters.create(config)
        except BaseException as exc:  # raised again by __init__, in the caller's thread
            self._create_error = exc
            self._agent_failure = f"could not create the interpreter: {exc}"
            self._ready.set()
            return
        try:
            failure = _interpreters.exec(self.id, code)
        except Exception as exc:  # e.g. the interpreter could not be entered
            failure = exc
        if failure is not None:
            self._agent_failure = getattr(failure, "formatted", None) or str(failure)
            if not self._ready.is_set():
                self._ready.set()
                return
            if not self._closed:
                self._closed = True
                self._fail_pending(f"the agent of {self.name!r} died: {self._agent_failure}")

    def _read_events(self):
        while True:
            try:
                message = marshal.loads(_core.channel_recv(self._events))
            except _core.ChannelError:
                return
            try:
                self._dispatch(*message)
            except Exception as exc:  # a failing callback must not stop the reader
                print(f"interp_kernel: error in an output callback of {self.name!r}: {exc!r}", file=sys.__stderr__)

    def _dispatch(self, kind, job_id, *rest):
        if kind == "ready":
            self.agent_thread_id = rest[0]
            self._ready.set()
            return
        job = self._jobs.get(job_id) or self._last_job
        if kind == "out":
            if job is not None and job.on_output is not None:
                job.on_output(*rest)
        elif kind == "display":
            if job is not None and job.on_display is not None:
                data, metadata, display_id, update = rest
                if display_id is None and not update:
                    job.on_display(data, metadata)
                else:
                    job.on_display(data, metadata, display_id=display_id, update=update)
        elif kind == "clear":
            if job is not None and job.on_clear is not None:
                job.on_clear(*rest)
        elif kind == "input":
            prompt, password, request = rest
            answer = None
            if job is not None and job.on_input is not None:
                answer = job.on_input(prompt, password)
            _core.channel_send(self._replies, marshal.dumps((request, answer)))
        elif kind == "done" and job_id in self._jobs:
            self._complete(self._jobs[job_id], *rest)

    def _complete(self, job, status, payload):
        ended = time.perf_counter()
        error = ErrorInfo(*payload) if status != "ok" else None
        data = payload if status == "ok" else None
        result = RunResult(self.name, status, data=data, error=error, started=job.started, ended=ended)
        if job.kind == "run":
            record = self.history[-1] if self.history and self.history[-1].job == job.id else None
            if record is not None:
                record.close(status, ended)
            self.cells_run += 1
            self.last_duration = result.duration
        self._last_job = job
        self._start_next(finished=job)
        job._finish(result)
        if job.kind == "run":
            self.on_event("finished", self, job)

    # -- queueing --------------------------------------------------------------------------

    def _send(self, job, message):
        """Queue a job; the agent gets its command when the jobs before it are done."""
        with self._lock:
            if self._closed:
                raise SessionClosedError(f"interpreter {self.name!r} is closed")
            self._jobs[job.id] = job
            job._message = message
            start = self.current is None and len(self._jobs) == 1
            if start:
                self._start(job)
        if start and job.kind == "run":
            self.on_event("started", self, job)

    def _start_next(self, finished):
        with self._lock:
            self._jobs.pop(finished.id, None)
            self.current = None
            pending = [j for j in self._jobs.values() if j.started == 0.0]
            job = pending[0] if pending else None
            if job is not None:
                self._start(job)
        if job is not None and job.kind == "run":
            self.on_event("started", self, job)

    def _start(self, job):
        """Send the job's command to the agent (caller holds the lock)."""
        self.current = job
        job.started = time.perf_counter()
        if job.kind == "run":
            self.history.append(RunRecord(self.name, job.id, job.label, job.started))
        _core.channel_send(self._commands, marshal.dumps(job._message))

    def _fail_pending(self, reason):
        for job in list(self._jobs.values()):
            self._jobs.pop(job.id, None)
            now = time.perf_counter()
            job._finish(RunResult(self.name, "error", error=ErrorInfo("SessionClosedError", reason, reason),
                                  started=job.started or now, ended=now))
        self.current = None


#: bytes, str and pickles at least this long cross natively through a queue (one copy,
#: made by the receiving interpreter) rather than inside the command (four copies:
#: marshal, the channel in and out, unmarshal); shorter ones are cheaper in the command.
SHARE_NATIVELY_FROM = 1 << 16


def encode_value(name, value, carriers):
    """Encode one value for :meth:`Session.push`; raises NotTransferableError naming it.

    A memoryview crosses without a copy (the interpreter sees the same memory), a
    large bytes or str with one copy, a NamedQueue as its handle (no pickle module
    needed there); anything else is pickled. Memoryviews, large bytes/str and large
    pickles travel in a cross-interpreter queue appended to ``carriers``.
    """
    if isinstance(value, NamedQueue):
        return (NAMED_QUEUE, value.handle())
    if isinstance(value, memoryview) or (
            type(value) in (bytes, str) and len(value) >= SHARE_NATIVELY_FROM):
        return (SHARED, _carry(value, carriers))
    try:
        pickled = pickle.dumps(value, protocol=5)
    except Exception as exc:
        raise NotTransferableError(
            f"cannot send {name!r} to an interpreter: a {type(value).__qualname__} object is neither "
            f"shareable nor picklable ({exc})"
        ) from None
    if len(pickled) >= SHARE_NATIVELY_FROM:
        return (PICKLED_CARRIED, _carry(pickled, carriers))
    return (PICKLED, pickled)


def _carry(shareable, carriers):
    """A new cross-interpreter queue holding ``shareable``; returns its id."""
    carrier = interpreters.create_queue()
    carrier.put(shareable)
    carriers.append(carrier)
    return carrier.id


def _destroy_channel(channel):
    try:
        _core.channel_destroy(channel)
    except _core.ChannelError:
        pass


def _first_line(code):
    for line in code.splitlines():
        if line.strip():
            return line.strip()[:80]
    return ""
