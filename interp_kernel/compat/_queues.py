"""Cross-interpreter queues: the stdlib's on 3.14+, built here over ``_interpqueues`` on 3.13.

On 3.13, shareable objects cross as such (memoryview and Queue are shared, immutable
values copied) and anything else picklable is pickled, as on 3.14.  Fractional
timeouts are honoured (3.14 truncates them to whole seconds); blocked calls poll,
backing off from 0.1 ms to 10 ms, so they do not belong on a latency-critical path.
"""

import sys

__all__ = [
    'create', 'list_all', 'Queue',
    'QueueError', 'QueueNotFoundError', 'QueueEmpty', 'QueueFull',
    'ItemInterpreterDestroyed', 'UNBOUND', 'UNBOUND_ERROR', 'UNBOUND_REMOVE',
]

if sys.version_info >= (3, 14):
    from concurrent.interpreters._queues import (  # noqa: F401
        create, list_all, Queue,
        QueueError, QueueNotFoundError, QueueEmpty, QueueFull,
        ItemInterpreterDestroyed, UNBOUND, UNBOUND_ERROR, UNBOUND_REMOVE,
    )
else:
    import pickle
    import queue
    import time
    import weakref

    import _interpqueues
    from _interpreters import NotShareableError

    from interp_kernel.compat._crossinterp import (
        UNBOUND, UNBOUND_ERROR, UNBOUND_REMOVE, _UNBOUND_CONSTANT_TO_FLAG, IdHandle,
        _UNBOUND_FLAG_TO_CONSTANT, natively_shareable, pickle_or_raise,
    )

    QueueError = _interpqueues.QueueError
    QueueNotFoundError = _interpqueues.QueueNotFoundError

    class QueueEmpty(QueueError, queue.Empty):
        """Raised by get_nowait(), and by get() when it times out."""

    class QueueFull(QueueError, queue.Full):
        """Raised by put_nowait(), and by put() when it times out."""

    class ItemInterpreterDestroyed(QueueError):
        """Raised by get() for an item whose interpreter was destroyed
        (when the item was put with unbounditems=UNBOUND_ERROR)."""

    _SHARED, _PICKLED = 0, 1   # how an item travels (the queue's "fmt")
    _UNBOUND_FLAGS = _UNBOUND_CONSTANT_TO_FLAG
    _UNBOUND_BY_FLAG = _UNBOUND_FLAG_TO_CONSTANT

    def _unbound_flag(unbounditems):
        try:
            return _UNBOUND_FLAGS[unbounditems]
        except KeyError:
            raise NotImplementedError(
                f'unsupported unbounditems {unbounditems!r}') from None

    def create(maxsize=0, *, unbounditems=UNBOUND):
        """Return a new cross-interpreter queue (maxsize <= 0: unbounded).

        unbounditems (UNBOUND, UNBOUND_ERROR or UNBOUND_REMOVE) says what
        get() does with an item whose interpreter has since been destroyed.
        """
        qid = _interpqueues.create(maxsize, _SHARED, _unbound_flag(unbounditems))
        return Queue(qid)

    def list_all():
        """Return all open queues."""
        return [Queue(qid) for qid, *_ in _interpqueues.list_all()]

    _known_queues = weakref.WeakValueDictionary()

    class Queue(IdHandle):
        """A FIFO queue that any interpreter can use (one object per id).

        Shareable objects cross as such (memoryview and Queue are shared,
        immutable values copied); anything else picklable is pickled.
        """

        def __new__(cls, id, /):
            if not isinstance(id, int):
                raise TypeError(f'id must be an int, got {id!r}')
            id = int(id)
            try:
                return _known_queues[id]
            except KeyError:
                pass
            _interpqueues.bind(id)  # may raise QueueNotFoundError
            self = super().__new__(cls)
            self._id = id
            _known_queues[id] = self
            return self

        def __del__(self, _release=_interpqueues.release,
                    _notfound=QueueNotFoundError):
            try:
                _release(self._id)
            except _notfound:
                pass

        @property
        def maxsize(self):
            return _interpqueues.get_maxsize(self._id)

        @property
        def unbounditems(self):
            _, flag = _interpqueues.get_queue_defaults(self._id)
            return _UNBOUND_BY_FLAG[flag]

        def empty(self):
            return self.qsize() == 0

        def full(self):
            # 3.13's is_full() says True for an unbounded queue.
            return self.maxsize > 0 and _interpqueues.is_full(self._id)

        def qsize(self):
            return _interpqueues.get_count(self._id)

        def put(self, obj, block=True, timeout=None, *, unbounditems=None):
            """Add obj to the queue.

            If block is true this waits while the queue is full, at most
            timeout seconds (None: forever), then raises QueueFull.  Raises
            NotShareableError if obj can be neither shared nor pickled.
            unbounditems overrides the queue's default (see create()).
            """
            if unbounditems is None:
                _, flag = _interpqueues.get_queue_defaults(self._id)
            else:
                flag = _unbound_flag(unbounditems)
            if natively_shareable(obj):
                fmt, item = _SHARED, obj
            else:
                fmt, item = _PICKLED, pickle_or_raise(obj)
            _wait(lambda: _interpqueues.put(self._id, item, fmt, flag),
                  QueueFull, block, timeout)

        def put_nowait(self, obj, *, unbounditems=None):
            """put() without blocking: raises QueueFull if the queue is full."""
            self.put(obj, False, unbounditems=unbounditems)

        def get(self, block=True, timeout=None):
            """Remove and return the next object.

            If block is true this waits while the queue is empty, at most
            timeout seconds (None: forever), then raises QueueEmpty.  Raises
            NotShareableError if a pickled object does not unpickle here, and
            for an orphaned item see create()'s unbounditems.
            """
            obj, fmt, flag = _wait(lambda: _interpqueues.get(self._id),
                                   QueueEmpty, block, timeout)
            if flag is not None:
                if _UNBOUND_BY_FLAG[flag] is UNBOUND_ERROR:
                    raise ItemInterpreterDestroyed(
                        "item's original interpreter destroyed")
                return UNBOUND
            if fmt != _PICKLED:
                return obj
            try:
                return pickle.loads(obj)
            except Exception as exc:
                raise NotShareableError(
                    f'a queued object could not be unpickled: {exc}') from exc

        def get_nowait(self):
            """get() without blocking: raises QueueEmpty if there is nothing."""
            return self.get(False)

    def _wait(attempt, busy_error, block, timeout):
        """Retry attempt() while it raises busy_error, polling with backoff."""
        if not block:
            return attempt()
        if timeout is not None:
            if timeout < 0:
                raise ValueError('timeout value must be non-negative')
            deadline = time.monotonic() + timeout
        delay = 0.0001
        while True:
            try:
                return attempt()
            except busy_error:
                if timeout is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise
                    delay = min(delay, left)
                time.sleep(delay)
                delay = min(delay * 2, 0.01)

    _interpqueues._register_heap_types(Queue, QueueEmpty, QueueFull)
