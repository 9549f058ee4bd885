"""Direct replies: a job's ``DONE`` sent straight to the thread that waits for it.

Without one, the agent sends ``DONE`` on the session's events channel: the session's
reader thread takes it, completes the job and wakes the thread waiting for it: two
thread wake-ups after the interpreter has finished, each of which has to take main's
GIL too. A job queued with ``direct=True`` gets a :class:`DirectReply`: a channel of
its own, whose id travels in the job's command. While a thread waits for the job,
the agent sends ``DONE`` there, and that thread receives it and completes the job
itself: one wake-up (measured in a kernel, from the agent's ``DONE`` to the waiting
cell running again: 215 -> 72 µs).

Order is kept: ``DONE`` says how many events the agent had sent before it, and the
waiter lets the reader handle that many first, so output printed just before a
cell ends is handled before the cell ends.

The channel holds one item at most and starts with a token in it, so the agent's
``DONE`` only fits once a waiter has taken the token out (*armed* it); otherwise the
agent sends ``DONE`` on the events channel as usual. So a job ends even when nobody
waits for it (its waiter was stopped by Ctrl-C before it got to waiting, or gave up:
a wait that ends closes the channel), and the reader then wakes a waiter that armed
too late. Other threads waiting for the same job wait on ``job.done``.

In the main thread a SIGINT is held back while the reply is received and the job
completed (the session's bookkeeping must not stop half-way, and a received ``DONE``
must not be dropped), and raised through the handler installed before, within
:data:`SIGNAL_STEP` seconds of its arrival.
"""

import marshal
import signal
import threading
import time

from interp_kernel import _core
from interp_kernel.runtime.jobs import wait_event

#: Longest a main-thread wait goes without looking for a held-back SIGINT.
SIGNAL_STEP = 0.005
#: Reply channels a session keeps for reuse (one per thread waiting at the same time).
KEPT_CHANNELS = 4
_TOKEN = b""


def destroy_channel(channel):
    """Destroy ``channel``, which may be gone already. Never blocks."""
    try:
        _core.channel_destroy(channel)
    except _core.ChannelError:
        pass


class _HeldBack:
    """A SIGINT handler that only remembers that the signal came."""

    __slots__ = ("came",)

    def __init__(self):
        self.came = False

    def __call__(self, signum, frame):
        self.came = True


class DirectReply:
    """The channel on which the agent sends ``DONE`` of ``job`` to its waiter.

    Made by :meth:`Session.enqueue` for a job queued with ``direct=True``.
    """

    __slots__ = ("session", "job", "channel", "_taken")

    def __init__(self, session, job):
        self.session = session
        self.job = job
        try:  # one that carried a DONE before is watched before its receiver sleeps
            self.channel = session._reply_channels.pop()
        except IndexError:
            self.channel = _core.channel_create(1)
            _core.channel_send(self.channel, _TOKEN)
        self._taken = threading.Lock()

    def wait(self, timeout=None):
        """Block until the job has finished (True) or ``timeout`` seconds passed (False).

        The first caller receives ``DONE`` here and completes the job; a caller while
        another one receives, or after a receiving wait ended, waits on ``job.done``.
        Raises KeyboardInterrupt (main thread: Ctrl-C, raised by the previously
        installed SIGINT handler) with the job still running, its ``DONE`` then going
        to the reader.
        """
        if self.channel is None or not self._taken.acquire(blocking=False):
            return wait_event(self.job.done, timeout)
        try:
            if threading.current_thread() is not threading.main_thread():
                return self._receive(timeout, None, None)
            previous = signal.getsignal(signal.SIGINT)
            if not callable(previous):  # SIG_DFL, SIG_IGN, or not installed from Python: no KeyboardInterrupt
                return self._receive(timeout, None, None)
            held = _HeldBack()
            signal.signal(signal.SIGINT, held)  # (a pending SIGINT raises here: nothing armed yet)
            try:
                return self._receive(timeout, SIGNAL_STEP, held)
            finally:
                self.close()
                signal.signal(signal.SIGINT, previous)
                if held.came:
                    previous(signal.SIGINT, None)
        finally:
            self.close()
            self._taken.release()

    def _receive(self, timeout, step, held):
        channel = self.channel
        try:
            _core.channel_recv(channel, 0)  # the token out: DONE fits now
        except (TimeoutError, _core.ChannelError):  # closed: the session failed the job
            return self.job.finished()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = step
            if deadline is not None:
                left = max(0.0, deadline - time.monotonic())
                wait = left if wait is None else min(wait, left)
            try:
                data = _core.channel_recv(channel, wait)
            except TimeoutError:
                if (held is not None and held.came) or (deadline is not None and time.monotonic() >= deadline):
                    return self.job.finished()
                continue
            except _core.ChannelError:  # closed: the reader or the session completed the job
                return wait_event(self.job.done, 1.0)
            self._handle(data)
            self._keep(channel)
            return True

    def _keep(self, channel):
        """Keep the channel, with its token, for the session's next direct reply."""
        self.channel = None
        pool = self.session._reply_channels
        try:
            if len(pool) < KEPT_CHANNELS and not self.session.closed:
                _core.channel_send(channel, _TOKEN, 0)
                pool.append(channel)
                return
        except _core.ChannelError:  # closed by the session meanwhile
            pass
        destroy_channel(channel)

    def _handle(self, data):
        _, _, status, payload, events_before = marshal.loads(data)
        self.session._complete_direct(self.job, status, payload, events_before)

    def close(self):
        """End the direct path: later ``DONE``\\ s of the job go to the reader; one
        already here is handled now. Idempotent; never blocks for long."""
        channel, self.channel = self.channel, None
        if channel is None:
            return
        try:
            _core.channel_close(channel)
            while True:
                try:
                    data = _core.channel_recv(channel, 0)
                except (TimeoutError, _core.ChannelError):
                    break
                if data != _TOKEN:
                    self._handle(data)
        finally:
            destroy_channel(channel)

    def abort(self):
        """Wake a thread waiting here: the job was completed elsewhere (by the reader,
        or failed by a closing session). Any thread; never blocks."""
        channel = self.channel
        if channel is not None:
            try:
                _core.channel_close(channel)
            except _core.ChannelError:
                pass


class HandledEvents:
    """How many events a session's reader has handled, for direct replies to wait on."""

    __slots__ = ("count", "_cond", "_waiting", "_ended")

    def __init__(self):
        self.count = 0
        self._cond = threading.Condition()
        self._waiting = 0
        self._ended = False

    def add(self):
        """One more handled (the reader, after each event)."""
        self.count += 1
        if self._waiting:
            with self._cond:
                self._cond.notify_all()

    def end(self):
        """The reader has stopped: nobody waits any more."""
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def wait_for(self, count):
        """Block until ``count`` events have been handled, or the reader has stopped."""
        if self.count >= count:
            return
        with self._cond:
            self._waiting += 1
            try:
                while self.count < count and not self._ended:
                    self._cond.wait(0.1)
            finally:
                self._waiting -= 1
