"""The agent: the code that runs INSIDE a subinterpreter.

A session starts one long-lived agent per interpreter: a main-side thread calls
``_interpreters.exec`` with :func:`serve`, which loops until told to stop. Because
the loop never leaves that one ``exec`` call, the interpreter keeps one thread state
for it, so the decimal context, contextvars, thread locals and ``sys.settrace``
survive from one cell to the next, and interrupts always have the same target. The
messages it exchanges with the session are described in :mod:`interp_kernel._protocol`.

This package imports only ``interp_kernel._core``, ``_protocol``, ``_queue``,
``compat``, its own modules and the standard library: nothing from the main side,
nothing third-party, nothing that refuses to load in an isolated interpreter
(``tests/unit/test_layers.py`` checks it). Its modules:

* this one: :func:`serve`, the command loop and the interruptible ``time.sleep``;
* ``cells``: compiling and running a cell;
* ``frontend``: what cell code uses to reach the frontend (``sys.stdout``/``stderr``,
  ``display`` and MIME bundles, ``input``/``getpass``);
* ``tracebacks``, ``transfer``, ``introspect``, ``hints``: error payloads, values
  crossing with push/pull, completion and inspection, error explanations.

Start-up time of every new interpreter counts, and each module imported costs about
0.1 ms there: only this module, ``cells`` and ``frontend`` load at start; the others
(and ``traceback``, ``pickle``, ``re``, ``linecache``) load on first use.
"""

import _thread
import builtins
import marshal
import sys

from interp_kernel import _core
from interp_kernel._protocol import APPLY, CALL, DONE, ERROR, PART, PULL, PUSH, READY, RUN, STOP, WAKE, WAKE_WATCH
from interp_kernel.agent import cells, frontend


class _Agent:
    """State of the agent loop of this interpreter (one per interpreter)."""

    def __init__(self, commands, events, replies):
        self.commands = commands
        self.events = events
        self.replies = replies
        self.job = None  # id of the job being run, or the last one
        self.cell_job = None  # id of the last cell run: output of threads of unknown origin goes there
        self.thread_id = _thread.get_ident()
        self.thread_jobs = {}  # thread id -> id of the job whose code started that thread
        self.send_lock = _thread.allocate_lock()
        self.input_requests = 0
        self.sent = 0  # events sent so far; a DONE sent elsewhere says how many came before it
        self.wrote_while_preparing = False

    def send(self, *message):
        """Send one event to the main side. Blocks only if the channel is full."""
        data = marshal.dumps(message)
        with self.send_lock:
            _core.channel_send(self.events, data)
            self.sent += 1

    def send_part(self, name, items, version):
        """Send a ``PART`` event of the running job, marshalled with ``version``.

        Raises ValueError (nothing sent) when marshal cannot encode ``items``.
        """
        data = marshal.dumps((PART, self.job, name, items), version)
        with self.send_lock:
            _core.channel_send(self.events, data)
            self.sent += 1

    def send_done(self, job, status, payload, reply_to):
        """Send the job's ``DONE``: to ``reply_to`` (its waiter's channel), saying how
        many events came before it, when a thread waits there (the channel has room);
        otherwise as an event."""
        if reply_to is not None:
            try:
                _core.channel_send(reply_to, marshal.dumps((DONE, job, status, payload, self.sent)), 0)
                return
            except (TimeoutError, _core.ChannelError):
                pass
        self.send(DONE, job, status, payload, None)

    def output_job(self):
        """The job that output written now by the calling thread belongs to: the running
        job on the agent's thread; on another thread the job (cell) that started it."""
        ident = _thread.get_ident()
        if ident == self.thread_id:
            return self.job
        return self.thread_jobs.get(ident, self.cell_job)

    def track_threads(self):
        """Make every thread started from now on remember the job that started it (see
        :meth:`output_job`), by wrapping ``_thread``'s starters, which ``threading``
        takes at its import."""
        for name in ("start_joinable_thread", "start_new_thread"):
            setattr(_thread, name, self._tracking(getattr(_thread, name)))

    def _tracking(self, start):
        def start_thread(function, *args, **kwargs):
            job = self.output_job()
            jobs = self.thread_jobs

            def run(*run_args, **run_kwargs):
                ident = _thread.get_ident()
                jobs[ident] = job
                try:
                    return function(*run_args, **run_kwargs)
                finally:
                    jobs.pop(ident, None)

            return start(run, *args, **kwargs)

        start_thread.__doc__ = start.__doc__
        return start_thread

    def prepare(self, code):
        """Compile the cell that comes next (``cells.prepare``). When compiling writes
        something (a SyntaxWarning), the text is dropped with the compiled cell: its
        ``RUN`` compiles it again, and the text goes to that cell."""
        job, self.job = self.job, frontend.PREPARING
        self.wrote_while_preparing = False
        try:
            cells.prepare(code)
        finally:
            self.job = job
        if self.wrote_while_preparing:
            cells.forget_prepared()

    def serve(self):
        """Handle commands until ``STOP`` arrives or the command channel closes."""
        handlers = {RUN: cells.run_cell, PUSH: _push, PULL: lambda names: _pull(names, self.send_part),
                    CALL: _call, APPLY: _apply}
        watch = None
        while True:
            try:
                message = marshal.loads(_core.channel_recv(self.commands, None, watch))
            except KeyboardInterrupt:  # an interrupt aimed at a cell that already ended
                continue
            except _core.ChannelError:
                return
            kind = message[0]
            if kind == WAKE:  # a command is on its way: catch it awake (its cell compiled)
                watch = WAKE_WATCH
                if len(message) > 1:
                    self.prepare(*message[1:])
                continue
            watch = None
            if kind == STOP:
                return
            job, reply_to = message[1], message[2]
            self.job = job
            if kind == RUN:
                self.cell_job = job
            try:
                status, payload = handlers[kind](*message[3:])
            except BaseException as exc:  # a bug of ours: report it, keep serving
                from interp_kernel.agent.tracebacks import error_payload

                status, payload = ERROR, error_payload(exc, None, "")
            frontend.flush_streams()
            self.send_done(job, status, payload, reply_to)


def _push(values):
    from interp_kernel.agent.transfer import push

    return push(values)


def _pull(names, send_part):
    from interp_kernel.agent.transfer import pull

    return pull(names, send_part)


def _call(helper, args):
    from interp_kernel.agent.introspect import call

    return call(helper, args)


def _apply(payload):
    from interp_kernel.agent.apply import apply

    return apply(payload)


def _make_sleep(channel):
    """A ``time.sleep`` that waits on the never-written ``channel``, so that an
    interrupt of the interpreter cuts it short."""
    import time

    plain_sleep = time.sleep

    def sleep(seconds):
        """time.sleep that an interrupt of the cell cuts short (KeyboardInterrupt)."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        if seconds == 0:
            return plain_sleep(0)
        try:
            _core.channel_recv(channel, seconds)  # nothing is ever sent: only times out or is interrupted
        except TimeoutError:
            pass
        except _core.ChannelError:  # the session is closing: sleep the plain way
            plain_sleep(seconds)

    sleep.__wrapped__ = plain_sleep
    return sleep


def serve(commands, events, replies, sleeper):
    """Install the stream writers, ``display``, ``input`` and an interruptible
    ``time.sleep`` (waiting on the never-written channel ``sleeper``), then run the
    agent loop.

    Called by the session inside the subinterpreter; returns when the session stops it.
    """
    agent = _Agent(commands, events, replies)
    # An interrupt has to take this interpreter's GIL from the running cell, which lets
    # go of it once per switch interval (per interpreter, 5 ms by default).
    sys.setswitchinterval(0.001)
    outbox = frontend.Outbox(agent)
    sys.stdout = frontend.StreamWriter(outbox, "stdout")
    sys.stderr = frontend.StreamWriter(outbox, "stderr")
    agent.track_threads()
    builtins.display, builtins.update_display, builtins.clear_output = frontend.make_display(agent)
    builtins.input, getpass = frontend.make_input(agent)
    sys.meta_path.insert(0, frontend.GetpassFinder(getpass))
    import time

    time.sleep = _make_sleep(sleeper)
    agent.send(READY, None, _thread.get_ident())
    try:
        agent.serve()
    finally:
        frontend.flush_streams()
        outbox.stop()
