"""A session: one named subinterpreter and the long-lived agent that runs work in it.

Main side of each session: an *agent thread* (a daemon thread of the main
interpreter that stays inside ``_interpreters.exec`` running :func:`agent.serve`
for the session's whole life) and a *reader thread* that receives the agent's
events (output, displays, input requests, results) and hands them to the job
they belong to. Work is queued: the agent runs one job at a time, in order. A job
that its caller waits for (``run``, ``push``, ``pull``, ``call``, a foreground
``%%interp`` cell) ends with a direct reply to the waiting thread instead
(:mod:`interp_kernel.runtime.direct`).
"""

import marshal
import sys
import threading
import time

import _interpreters

from interp_kernel import _core
from interp_kernel._protocol import (
    CALL, CLEAR, DISPLAY, DONE, ERROR, INPUT, OK, OUT, PART, READY, RUN, STOP, WAKE,
)
from interp_kernel.errors import SessionBusyError, SessionClosedError
from interp_kernel.runtime import lifecycle
from interp_kernel.runtime.direct import DirectReply, HandledEvents, destroy_channel
from interp_kernel.runtime.jobs import ErrorInfo, Job, RunRecord, RunResult, first_line
from interp_kernel.runtime.names import check_interpreter_name

CONFIGS = ("isolated", "legacy")
_ENDED_CELLS_KEPT = 64  # threads started by older cells write into the latest cell
_WAKE = marshal.dumps((WAKE,))

_BOOTSTRAP = """\
import sys
sys.path[:] = {path!r}
import interp_kernel.agent
interp_kernel.agent.serve({commands}, {events}, {replies}, {sleeper})
"""


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
        self._queued = {}  # id -> command of a job not started yet
        self._ended_cells = {}  # id -> Job of the latest cells that ended: their threads' late output goes there
        self._last_cell = None  # where late output of unknown origin goes
        self._lock = threading.Lock()
        self._closed = False
        self._ready = threading.Event()
        self._agent_failure = None
        self._create_error = None
        self._destroyer = None
        self.agent_thread_id = None
        self.id = None  # set by the agent thread, which creates the interpreter

        self._commands, self._events, self._replies, self._sleeper = (_core.channel_create() for _ in range(4))
        code = _BOOTSTRAP.format(path=list(sys.path), commands=self._commands, events=self._events,
                                 replies=self._replies, sleeper=self._sleeper)
        self._agent = threading.Thread(
            target=self._run_agent, args=(_interpreters.new_config(config), code),
            name=f"interp-agent-{name}", daemon=True,
        )
        self._reply_channels = []  # channels of direct replies, kept for reuse (runtime.direct)
        self._handled = HandledEvents()  # a direct DONE waits for the events sent before it
        self._reader = threading.Thread(target=self._read_events, name=f"interp-reader-{name}", daemon=True)
        self._reader.start()
        self._agent.start()
        if not self._ready.wait(start_timeout) or self._agent_failure:
            failure = self._agent_failure or "timed out"
            self._destroy_resources(timeout=1.0)
            if self._create_error is not None:
                raise self._create_error
            raise RuntimeError(f"could not start the agent of interpreter {name!r}: {failure}")
        lifecycle.session_opened(self)

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

    def rename(self, name):
        """Give the session a new name (a warm spare becoming a user's session).

        Changes labels, cell file names and thread names from now on; the interpreter
        and its state stay. Raises BadNameError for a bad name. Does not block.
        """
        self.name = check_interpreter_name(name)
        self._agent.name = f"interp-agent-{name}"
        self._reader.name = f"interp-reader-{name}"

    # -- work ----------------------------------------------------------------------

    def submit(self, code, *, on_output=None, on_display=None, on_input=None, on_clear=None, filename=None,
               label=None, direct=False):
        """Queue ``code`` to run as a cell; returns its :class:`Job` at once.

        The cell runs all statements, then evaluates a trailing expression whose MIME
        bundle becomes the result's ``data``. Raises SessionClosedError if closed.
        ``direct``: the caller will wait for the job (``job.wait``), and receives its
        end itself (:mod:`interp_kernel.runtime.direct`).
        """
        job = Job(self, RUN, label=label or first_line(code), on_output=on_output,
                  on_display=on_display, on_input=on_input, on_clear=on_clear)
        filename = filename or f"<{self.name}:cell {job.id}>"
        self.enqueue(job, (RUN, job.id, code, filename), direct=direct)
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
                          on_clear=on_clear, filename=filename, direct=True)
        result = job.wait(timeout)
        if result is None:
            raise TimeoutError(f"the cell in {self.name!r} is still running after {timeout} s")
        return result

    def push(self, values=None, /, **kwargs):
        """Bind values in the interpreter's ``__main__``.

        Plain builtin data crosses marshalled or pickled, a memoryview shared (no copy),
        a large bytes or str natively (one copy), functions and classes of ``__main__``
        by value. Every value is encoded before any is sent: when one cannot cross,
        raises NotTransferableError naming it and its type, and nothing is bound. Blocks
        until the interpreter has them (after any queued work); a KeyboardInterrupt
        meanwhile stops the push and is raised saying what was bound.
        """
        from interp_kernel.runtime.transfers import push

        push(self, dict(values or {}, **kwargs))

    def pull(self, *names):
        """Copy variables out of the interpreter's ``__main__``.

        One name returns its value; several return a dict name -> value. Raises
        NameError for an undefined name, NotTransferableError when a value cannot be
        pickled or unpickled here. Blocks until any queued work is done; a
        KeyboardInterrupt meanwhile stops the pull (nothing is returned).
        """
        from interp_kernel.runtime.transfers import pull

        return pull(self, names)

    def call(self, func, /, *args, **kwargs):
        """Run ``func(*args, **kwargs)`` on the agent thread (after queued work); return its value.

        Functions, lambdas, closures and classes of ``__main__`` cross by value. The
        function's exception is raised here with the interpreter's traceback as a note;
        raises NotTransferableError when the call or its value cannot cross.
        """
        from interp_kernel.runtime.calls import call

        return call(self, func, args, kwargs)

    def drop_queued(self, job):
        """Forget a job that has not started; True if it had not (then it never runs)."""
        with self._lock:
            if self._queued.pop(job.id, None) is None:
                return False
            self._jobs.pop(job.id, None)
        if job.reply is not None:
            job.reply.close()
        return True

    def call_helper(self, helper, *args, timeout=5.0):
        """Run an agent introspection helper (one of ``_protocol.HELPERS``).

        Raises SessionBusyError when the interpreter is running a job (the helper
        would wait behind it), TimeoutError if no answer comes within ``timeout``.
        """
        if self.current is not None:
            raise SessionBusyError(f"interpreter {self.name!r} is busy")
        job = Job(self, CALL, label=helper)
        self.enqueue(job, (CALL, job.id, helper, list(args)), direct=True)
        result = job.wait(timeout)
        if result is None:
            raise TimeoutError(f"{helper} in {self.name!r} did not answer within {timeout} s")
        if not result.ok:
            raise RuntimeError(str(result.error))
        return result.data

    def wake(self, code=None):
        """Say that work is about to be submitted, the cell ``code`` if given: an idle
        agent then compiles it and watches for its command for up to
        ``_protocol.WAKE_WATCH`` seconds instead of sleeping, so its thread's wake-up
        (100+ µs once its core has idled) and the compiling overlap what the caller
        does before it submits. Does nothing for a busy or closed session. Never
        blocks, never raises."""
        if self.current is None and not self._closed:
            try:
                message = _WAKE if code is None else marshal.dumps((WAKE, code))
                _core.channel_send(self._commands, message, 0)
            except (TimeoutError, ValueError, _core.ChannelError):  # closing meanwhile; code not a str
                pass

    def interrupt(self):
        """Raise KeyboardInterrupt in the cell the interpreter is running.

        Returns True if a running cell was interrupted, False if none was running.
        Does not wait for the cell to stop; code blocked in a C call (``time.sleep``)
        sees it when the call returns.
        """
        if self._closed:
            return False
        return self._interrupt_running_cell()

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
        lifecycle.session_closed(self)
        deadline = time.monotonic() + timeout
        try:
            _core.channel_send(self._commands, marshal.dumps((STOP,)))
        except _core.ChannelError:
            pass
        while self._agent.is_alive() and time.monotonic() < deadline:
            self._interrupt_running_cell()
            self._agent.join(0.05)
        destroyed = self._destroy_resources(max(0.0, deadline - time.monotonic()))
        self.on_event("closed", self)
        return destroyed

    def _interrupt_running_cell(self):
        """Raise KeyboardInterrupt in the cell the agent runs, closing or not; True if one
        was running. Only the agent's thread is interrupted, not threads the cell started."""
        try:
            return _core.interrupt(self.id, None)
        except ValueError:  # the interpreter is already gone
            return False

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
            lifecycle.session_undestroyed(self)
        for channel in (self._commands, self._replies, self._sleeper, *self._reply_channels):
            destroy_channel(channel)
        self._reply_channels.clear()
        _core.channel_close(self._events)  # the reader drains what is left, then ends
        self._reader.join(1.0)
        destroy_channel(self._events)
        self._fail_pending("the interpreter was closed")
        return destroyed

    def _destroy_interpreter(self):
        try:
            if self.id is not None:
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
        try:
            while True:
                try:
                    message = marshal.loads(_core.channel_recv(self._events))
                except _core.ChannelError:
                    return
                try:
                    self._dispatch(*message)
                except Exception as exc:  # a failing callback must not stop the reader
                    print(f"interp_kernel: error in an output callback of {self.name!r}: {exc!r}",
                          file=sys.__stderr__)
                self._handled.add()
        finally:
            self._handled.end()

    def _dispatch(self, kind, job_id, *rest):
        if kind == READY:
            self.agent_thread_id = rest[0]
            self._ready.set()
            return
        job = self._jobs.get(job_id) or self._ended_cells.get(job_id) or self._last_cell
        if kind == OUT:
            if job is not None and job.on_output is not None:
                job.on_output(*rest)
        elif kind == DISPLAY:
            if job is not None and job.on_display is not None:
                data, metadata, display_id, update = rest
                if display_id is None and not update:
                    job.on_display(data, metadata)
                else:
                    job.on_display(data, metadata, display_id=display_id, update=update)
        elif kind == CLEAR:
            if job is not None and job.on_clear is not None:
                job.on_clear(*rest)
        elif kind == INPUT:
            prompt, password, request = rest
            answer = None
            if job is not None and job.on_input is not None:
                answer = job.on_input(prompt, password)
            _core.channel_send(self._replies, marshal.dumps((request, answer)))
        elif kind == PART:
            if job is not None and job.on_part is not None:
                job.on_part(*rest)
        elif kind == DONE and job_id in self._jobs:
            status, payload, _ = rest
            job = self._jobs[job_id]
            self._complete(job, status, payload)
            if job.reply is not None:  # a waiter that armed its reply too late
                job.reply.abort()

    def _complete_direct(self, job, status, payload, events_before):
        """Complete ``job`` from its direct reply (in its waiter's thread), once the
        reader has handled the ``events_before`` events the agent sent before it."""
        if threading.current_thread() is not self._reader:
            self._handled.wait_for(events_before)
        if self._jobs.get(job.id) is job:
            self._complete(job, status, payload)

    def _complete(self, job, status, payload):
        ended = time.perf_counter()
        error = ErrorInfo(*payload) if status != OK else None
        data = payload if status == OK else None
        result = RunResult(self.name, status, data=data, error=error, started=job.started, ended=ended)
        if job.kind == RUN:
            record = self.history[-1] if self.history and self.history[-1].job == job.id else None
            if record is not None:
                record.close(status, ended)
            self.cells_run += 1
            self.last_duration = result.duration
        if job.kind == RUN:
            self._last_cell = job
            self._ended_cells[job.id] = job
            if len(self._ended_cells) > _ENDED_CELLS_KEPT:
                del self._ended_cells[next(iter(self._ended_cells))]
        self._start_next(finished=job)
        job.resolve(result)
        if job.kind == RUN:
            self.on_event("finished", self, job)

    # -- queueing --------------------------------------------------------------------------

    def enqueue(self, job, message, *, direct=False):
        """Queue a job (for this runtime layer: runs, transfers, calls); the agent gets
        its command when the jobs before it are done. ``message`` is the command
        without its reply channel: ``(kind, job id, *arguments)``. With ``direct`` the
        caller must wait for the job (``job.wait``): its ``DONE`` comes straight to
        that thread (:mod:`interp_kernel.runtime.direct`). Raises SessionClosedError."""
        reply_to = None
        if direct:
            job.reply = DirectReply(self, job)
            reply_to = job.reply.channel
        message = (message[0], message[1], reply_to, *message[2:])
        with self._lock:
            if self._closed:
                if job.reply is not None:
                    job.reply.close()
                raise SessionClosedError(f"interpreter {self.name!r} is closed")
            self._jobs[job.id] = job
            self._queued[job.id] = message
            start = self.current is None and len(self._jobs) == 1
            if start:
                self._start(job)
        if start and job.kind == RUN:
            self.on_event("started", self, job)

    def _start_next(self, finished):
        with self._lock:
            self._jobs.pop(finished.id, None)
            self.current = None
            job = self._jobs.get(next(iter(self._queued), None))
            if job is not None:
                self._start(job)
        if job is not None and job.kind == RUN:
            self.on_event("started", self, job)

    def _start(self, job):
        """Send the job's command to the agent (caller holds the lock)."""
        self.current = job
        job.started = time.perf_counter()
        if job.kind == RUN:
            self.history.append(RunRecord(self.name, job.id, job.label, job.started))
        _core.channel_send(self._commands, marshal.dumps(self._queued.pop(job.id)))

    def _fail_pending(self, reason):
        with self._lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
            self._queued.clear()
            self.current = None
        now = time.perf_counter()
        for job in jobs:
            job.resolve(RunResult(self.name, ERROR, error=ErrorInfo("SessionClosedError", reason, reason),
                                  started=job.started or now, ended=now))
            if job.reply is not None:
                job.reply.abort()
