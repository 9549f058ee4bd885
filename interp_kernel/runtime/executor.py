"""``InterpreterExecutor``: a ``concurrent.futures`` executor whose workers are sessions.

Each worker is a long-lived :class:`Session` (named ``pool<N>-<i>``) plus a main-side
thread that feeds it tasks one at a time with :func:`calls.call`; tasks and results
cross by value (:mod:`interp_kernel._pickling`). Inside the kernel the sessions live in
the kernel's Manager (the Jupyter extension sets it with :func:`set_default_manager`),
so they show in ``%interp list``, the dashboard and the timeline.
"""

import concurrent.futures
import functools
import itertools
import os
import queue
import threading

from interp_kernel._chunks import run_chunk
from interp_kernel.runtime import calls

_pool_numbers = itertools.count(1)
_default_manager = None
_output_capture = None


def set_default_manager(manager, output_capture=None):
    """Make ``manager`` hold the workers of executors created without ``manager=`` (None: own sessions).

    ``output_capture()``, called in the thread that submits a task, returns
    ``for_worker(worker_name) -> on_output(stream, text)``: where the task's prints go
    (the Jupyter extension: the submitting cell, labelled by worker). None: dropped.
    """
    global _default_manager, _output_capture
    _default_manager = manager
    _output_capture = output_capture


class _TaskFuture(concurrent.futures.Future):
    """A Future whose ``result``/``exception`` wait, when Ctrl-C (the kernel's interrupt)
    stops it, cancels the executor's pending tasks and interrupts its running ones."""

    def __init__(self, executor):
        super().__init__()
        self._executor = executor

    def result(self, timeout=None):
        return self._waiting(super().result, timeout)

    def exception(self, timeout=None):
        return self._waiting(super().exception, timeout)

    def _waiting(self, wait, timeout):
        try:
            return wait(timeout)
        except KeyboardInterrupt:
            self._executor.interrupt()
            raise


def interrupt_owners(futures):
    """Interrupt (:meth:`InterpreterExecutor.interrupt`) each executor that made one of
    ``futures``; futures of other executors are left alone. Returns at once."""
    owners = {id(f._executor): f._executor for f in futures if isinstance(f, _TaskFuture)}
    for executor in owners.values():
        executor.interrupt()


class InterpreterExecutor(concurrent.futures.Executor):
    """Run callables in subinterpreters, ``max_workers`` at a time.

    ``max_workers`` defaults to ``os.process_cpu_count()``; ``config`` is the workers'
    interpreter config; ``initializer(*initargs)`` runs in each worker when it starts
    (if it raises, the executor is broken: pending and later futures raise
    ``concurrent.futures.BrokenExecutor``). ``manager``: the Manager that owns the
    workers' sessions (default: the kernel's inside the kernel, else sessions of its
    own, closed by ``shutdown``). Workers start on demand, one per submit while fewer
    than ``max_workers`` run.

    A task's exception is raised by ``future.result()`` with its own type and the
    interpreter's traceback as a note; a task's value or exception that cannot be
    pickled raises NotTransferableError.
    """

    def __init__(self, max_workers=None, *, config="isolated", initializer=None, initargs=(), manager=None):
        if max_workers is None:
            max_workers = os.process_cpu_count() or 1
        if max_workers <= 0:
            raise ValueError(f"max_workers must be greater than 0, not {max_workers}")
        if initializer is not None and not callable(initializer):
            raise TypeError(f"initializer must be callable, not a {type(initializer).__qualname__} object")
        self._max_workers = max_workers
        self._config = config
        self._initializer = initializer
        self._initargs = tuple(initargs)
        self._manager = manager if manager is not None else _default_manager
        self.name = f"pool{next(_pool_numbers)}"
        self._work = queue.SimpleQueue()
        self._threads = []
        self.sessions = []  # the workers' sessions, in start order
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._shutdown = False
        self._broken = None

    def __repr__(self):
        return f"<InterpreterExecutor {self.name!r} workers={len(self.sessions)}/{self._max_workers}>"

    def submit(self, fn, /, *args, **kwargs):
        """Schedule ``fn(*args, **kwargs)``; returns its Future at once.

        Raises RuntimeError after shutdown, BrokenExecutor when a worker's initializer
        failed. Pickling happens in the worker thread: a task that cannot be pickled
        fails its future with NotTransferableError.
        """
        with self._lock:
            if self._broken:
                raise concurrent.futures.BrokenExecutor(self._broken)
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future = _TaskFuture(self)
            output = _output_capture() if _output_capture is not None else None
            self._work.put((future, fn, args, kwargs, output))
            self._add_worker_if_needed()
        return future

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        """Like ``Executor.map``; with ``chunksize`` > 1 each task runs ``chunksize`` calls."""
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1")
        if chunksize == 1:
            return super().map(fn, *iterables, timeout=timeout)
        args = zip(*iterables)
        chunks = iter(lambda: list(itertools.islice(args, chunksize)), [])
        results = super().map(functools.partial(run_chunk, fn), chunks, timeout=timeout)
        return itertools.chain.from_iterable(results)

    def shutdown(self, wait=True, *, cancel_futures=False):
        """Stop taking tasks; with ``cancel_futures`` cancel those not started. With
        ``wait``, blocks until running tasks end and the own sessions are closed."""
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                self._cancel_pending()
            for _ in self._threads:
                self._work.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

    def interrupt(self):
        """Cancel the tasks not started and raise KeyboardInterrupt in the running ones
        (their futures raise it); the workers stay usable. Returns at once."""
        with self._lock:
            self._cancel_pending()
        for session in list(self.sessions):
            session.interrupt()

    def _cancel_pending(self):
        stops = 0
        while True:
            try:
                item = self._work.get_nowait()
            except queue.Empty:
                break
            if item is None:
                stops += 1
            else:
                item[0].cancel()
        for _ in range(stops):  # shutdown's stop marks stay for the workers
            self._work.put(None)

    def _add_worker_if_needed(self):
        if self._idle.acquire(blocking=False) or len(self._threads) >= self._max_workers:
            return
        index = len(self._threads)
        thread = threading.Thread(target=self._worker, args=(index,), name=f"{self.name}-{index}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _open_session(self, index):
        name = f"{self.name}-{index}"
        if self._manager is not None:
            return self._manager.session(name, config=self._config)
        from interp_kernel.runtime.session import Session

        return Session(name, self._config)

    def _worker(self, index):
        try:
            session = self._open_session(index)
            self.sessions.append(session)
            if self._initializer is not None:
                calls.call(session, self._initializer, self._initargs, {})
        except BaseException as exc:
            self._break(f"worker {self.name}-{index} could not start: {type(exc).__name__}: {exc}")
            return
        try:
            while True:
                item = self._work.get()
                if item is None:
                    return
                future, fn, args, kwargs, output = item
                if not future.set_running_or_notify_cancel():
                    continue
                on_output = output(session.name) if output is not None else None
                try:
                    future.set_result(calls.call(session, fn, args, kwargs, on_output=on_output))
                except BaseException as exc:
                    future.set_exception(exc)
                del future, item, output, on_output
                self._idle.release()
        finally:
            if self._manager is not None:
                self._manager.close(session.name)
            else:
                session.close()

    def _break(self, reason):
        with self._lock:
            self._broken = reason
            while True:
                try:
                    item = self._work.get_nowait()
                except queue.Empty:
                    return
                if item is not None:
                    item[0].set_exception(concurrent.futures.BrokenExecutor(reason))
