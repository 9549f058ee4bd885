"""Dask tasks that run inside a subinterpreter of the worker thread.

``client.map(in_interpreter(f), items)`` / ``client.submit(in_interpreter(f), x)`` run
``f`` in one interpreter per worker thread, created on that thread's first task and
closed when the worker process exits (or by :func:`close_interpreters`). ``f`` travels
by value (it may be defined in the notebook), through :meth:`interp_kernel.Session.call`; ``distributed`` itself is never
imported in the interpreter (it imports psutil, which refuses subinterpreters).

An exception in ``f`` is the task's exception, of ``f``'s type, with the interpreter's
traceback. ``print`` in ``f`` goes to the worker's stdout (the worker log), not to the
client. Works with threads (``processes=False``) and worker processes alike; the
GIL-free parallelism is between the threads of one worker.
"""

import functools
import sys
import threading

__all__ = ["close_interpreters", "in_interpreter"]

_lock = threading.Lock()
_manager = None
_at_exit = None
_local = threading.local()


def _process_manager():
    """This process's Manager for task interpreters, made when first needed (again after
    :func:`close_interpreters`); shut down at exit."""
    global _manager, _at_exit
    with _lock:
        if _manager is None:
            from interp_kernel.runtime import lifecycle
            from interp_kernel.runtime.manager import Manager

            _manager = Manager()
            if not _at_exit:
                _at_exit = lifecycle.at_exit(close_interpreters)
        return _manager


def _thread_session():
    """The interpreter session of the calling thread (created on first use; blocks
    while the interpreter starts, ~10-50 ms)."""
    manager = _process_manager()
    if getattr(_local, "manager", None) is not manager:
        _local.session = manager.session(f"dask-{threading.get_ident()}")
        _local.manager = manager
    return _local.session


def close_interpreters(timeout=5.0):
    """Close every interpreter this process made for ``in_interpreter`` tasks.

    They otherwise live until the process exits. Call it after closing a
    ``LocalCluster(processes=False)`` whose workers ran in this process, for example
    before anything forks it (a fork next to live interpreters crashes the child on
    3.14+). A later task makes new ones. Blocks up to about ``timeout`` seconds;
    returns the names of interpreters that could not be destroyed (a thread stuck in C).
    """
    global _manager
    with _lock:
        manager, _manager = _manager, None
    return manager.shutdown(timeout) if manager is not None else []


class _InInterpreter:
    """``f`` wrapped to run in the calling thread's interpreter; picklable when ``f`` is
    (Dask pickles it with cloudpickle, so notebook functions travel by value)."""

    def __init__(self, func):
        self.func = func
        functools.update_wrapper(self, func)

    def __call__(self, *args, **kwargs):
        return _thread_session().call(self.func, *args, **kwargs)

    def __reduce__(self):
        return (_InInterpreter, (self.func,))

    def __repr__(self):
        return f"in_interpreter({self.func!r})"


def in_interpreter(func):
    """Wrap ``func`` so that a Dask worker runs it in its thread's subinterpreter.

    The call blocks the worker thread until ``func`` returns in the interpreter.
    Raises ``TypeError`` at once when ``func`` is not callable; what ``func`` raises
    is raised by the task. Arguments and results must be picklable. Raises
    ``RuntimeError`` on CPython 3.13.0, where a Dask worker aborts when its tasks
    start interpreters (``free(): invalid pointer``; 3.13.18 and 3.14 run).
    """
    if sys.version_info[:3] == (3, 13, 0):
        raise RuntimeError("interp_kernel.dask needs Python 3.13.1 or newer: on 3.13.0 a Dask worker "
                           "aborts when its tasks start interpreters; use a newer 3.13 or 3.14")
    if not callable(func):
        raise TypeError(f"in_interpreter() needs a callable, got {type(func).__name__}: "
                        "pass the function itself, e.g. in_interpreter(f)")
    return _InInterpreter(func)
