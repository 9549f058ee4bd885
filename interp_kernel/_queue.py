"""Named cross-interpreter queues over the C core's blocking channels.

A :class:`NamedQueue` carries any picklable object between interpreters: plain
builtin data as marshal (:mod:`interp_kernel._marshalling`; ~1 µs each way for a
small int, where a pickler costs ~10), anything else as a pickle. ``get``
and ``put`` block in C with the GIL released and wake as soon as the other side
acts (no sleep-polling; a ``get`` watches the queue for up to 20 µs before it sleeps,
so a quick answer costs no wake-up). The queue itself crosses interpreters as its name, channel
and maxsize (``handle()``; pickling works too): what arrives is a handle on the same
channel.

Used on both sides: the main side makes the queues (``Manager.queue``) and every
interpreter binds a handle on each (``agent.transfer``). A base module: it imports
only ``_core``, ``_marshalling`` and the standard library; ``pickle`` (for anything
but plain data) and the stdlib ``queue`` module (whose ``Empty`` and ``Full`` it
raises) load on first use, as every new interpreter binds the existing queues.
"""

from interp_kernel import _core
from interp_kernel._marshalling import marshalled, unmarshalled

#: First byte of every pickle of protocol 2 or later (the PROTO opcode). No marshal
#: string starts with it: 0x80 is marshal's shared-reference flag, never a type alone.
_PICKLE_START = 0x80


def __getattr__(name):
    if name in ("Empty", "Full"):
        import queue

        return getattr(queue, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class NamedQueue:
    """A FIFO shared by every interpreter that has a handle on it.

    ``maxsize`` 0 means unbounded. Closing it (from the main side) makes every
    further ``put`` and ``get`` raise ``ValueError``.
    """

    def __init__(self, name, channel, maxsize=0):
        self.name = name
        self.channel = channel
        self.maxsize = maxsize

    @classmethod
    def create(cls, name, maxsize=0):
        """Make a new queue; raises ValueError for a negative ``maxsize``."""
        if maxsize < 0:
            raise ValueError(f"maxsize must be >= 0, not {maxsize}")
        try:
            channel = _core.channel_create(maxsize)
        except OverflowError:
            raise ValueError(f"maxsize {maxsize} is too large") from None
        return cls(name, channel, maxsize)

    def handle(self):
        """``(name, channel, maxsize)``: ``NamedQueue(*handle)`` in any interpreter is this queue."""
        return (self.name, self.channel, self.maxsize)

    def __reduce__(self):
        return (NamedQueue, self.handle())

    def __repr__(self):
        return f"<NamedQueue {self.name!r} maxsize={self.maxsize}>"

    def put(self, obj, block=True, timeout=None):
        """Append ``obj`` (marshalled or pickled now). Blocks while the queue is full.

        Raises ``queue.Full`` when still full after ``timeout`` seconds (or at once
        with ``block=False``), ``TypeError`` when ``obj`` cannot be pickled,
        KeyboardInterrupt when the cell is interrupted while waiting.
        """
        data = marshalled(obj)
        if data is None:
            from interp_kernel import _pickling

            try:
                data = _pickling.dumps(obj)
            except Exception as exc:
                raise TypeError(
                    f"cannot put a {type(obj).__qualname__} object on queue {self.name!r}: it is not picklable ({exc})"
                ) from None
        try:
            _core.channel_send(self.channel, data, self._timeout(block, timeout))
        except TimeoutError:
            from queue import Full

            raise Full(f"queue {self.name!r} is full") from None
        except _core.ChannelError:
            raise ValueError(f"queue {self.name!r} is closed") from None

    def get(self, block=True, timeout=None):
        """Remove and return the oldest object. Blocks while the queue is empty.

        Raises ``queue.Empty`` when still empty after ``timeout`` seconds (or at once
        with ``block=False``), KeyboardInterrupt when interrupted while waiting.
        """
        try:
            data = _core.channel_recv(self.channel, self._timeout(block, timeout))
        except TimeoutError:
            from queue import Empty

            raise Empty(f"queue {self.name!r} is empty") from None
        except _core.ChannelError:
            raise ValueError(f"queue {self.name!r} is closed") from None
        if data[0] != _PICKLE_START:
            return unmarshalled(data)
        from interp_kernel import _pickling

        try:
            return _pickling.loads(data)
        except Exception as exc:  # the object is gone from the queue either way: say why
            exc.add_note(f"(could not unpickle an object taken from queue {self.name!r}: its class must be "
                         f"importable here)")
            raise

    def put_nowait(self, obj):
        self.put(obj, block=False)

    def get_nowait(self):
        return self.get(block=False)

    def qsize(self):
        """Number of objects waiting now (stale as soon as it returns)."""
        try:
            return _core.channel_size(self.channel)
        except _core.ChannelError:
            return 0

    def empty(self):
        return self.qsize() == 0

    def full(self):
        return self.maxsize > 0 and self.qsize() >= self.maxsize

    def close(self):
        """Free the queue: waiting and later calls raise ValueError. Idempotent."""
        try:
            _core.channel_destroy(self.channel)
        except _core.ChannelError:
            pass

    @staticmethod
    def _timeout(block, timeout):
        if not block:
            return 0
        if timeout is not None and timeout < 0:
            raise ValueError("timeout must be a non-negative number")
        return timeout
