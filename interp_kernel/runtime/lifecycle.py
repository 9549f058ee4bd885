"""Every process hook of interp_kernel: what runs at exit and before a fork.

Also the process-wide records those hooks need: the sessions not closed yet and the
closed ones whose interpreter could not be destroyed.

At exit, one ``atexit`` hook (registered when this module is first imported, so
before any session exists) runs, in this order:

1. the functions given to :func:`at_exit`, newest first: the kernel's and the
   magics' shutdowns, each :class:`Manager`'s shutdown. They go first because they
   know their sessions and record what they close;
2. closing every pool of warm spares, then every session still open, in parallel,
   within 3 s: CPython aborts the
   process ("Py_EndInterpreter: not the last thread") when it finalizes an
   interpreter whose agent still runs;
3. :func:`leave_if_stuck` with exit status 1: when an interpreter could not be
   destroyed (a thread stuck in it), finalizing it would wait forever (CPython
   gh-128639), so the process ends with ``os._exit``.

Hooks registered with ``atexit`` directly after this module's import run before all
of these (``atexit`` runs newest first); :func:`at_exit` keeps the order in one place.

Before every ``os.fork()`` (``os.register_at_fork``, registered at the same time):
warm spares (:mod:`interp_kernel.runtime.spares`) are closed, so that a process
whose only subinterpreters are spares forks a healthy child, and built again in the
parent after the fork; then a warning on stderr when subinterpreters exist: the child will crash
on this CPython (gh-139759). At most one warning per FORK_WARNING_INTERVAL seconds.
"""

import atexit
import os
import sys
import threading
import time
import weakref

import _interpreters

#: Seconds between two fork warnings (a process pool whose children crash forks again and again).
FORK_WARNING_INTERVAL = 5.0

_exit_hooks = []  # (fn, args) from at_exit, oldest first
_open_sessions = set()  # sessions not closed yet
_undestroyed = []  # closed sessions whose interpreter would not die (a thread stuck in it)
_last_fork_warning = -FORK_WARNING_INTERVAL
_spare_pools = weakref.WeakSet()  # Spares pools not closed yet
_suspended_pools = []  # pools suspended by the fork hook, resumed after the fork


# -- the API -------------------------------------------------------------------------


def at_exit(fn, *args):
    """Run ``fn(*args)`` at exit, before the open sessions are closed (newest first).

    Returns ``fn``. An exception in ``fn`` is printed to stderr and the next hook
    runs, as with ``atexit``.
    """
    _exit_hooks.append((fn, args))
    return fn


def cancel(fn):
    """Forget every :func:`at_exit` registration of ``fn``; nothing happens if there is none."""
    _exit_hooks[:] = [(f, a) for f, a in _exit_hooks if f != fn]


def session_opened(session):
    """Record an open session: it is closed at exit if nobody closes it before."""
    _open_sessions.add(session)


def session_closed(session):
    """Forget a session that is closed (or closing)."""
    _open_sessions.discard(session)


def session_undestroyed(session):
    """Record a closed session whose interpreter could not be destroyed; while its
    ``stuck`` property is true, :func:`leave_if_stuck` ends the process at exit."""
    _undestroyed.append(session)


def spares_opened(pool):
    """Record a pool of warm spares: the fork hook closes them before a fork."""
    _spare_pools.add(pool)


def spares_closed(pool):
    """Forget a closed pool of warm spares."""
    _spare_pools.discard(pool)


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


def leave_if_stuck(exit_code, grace=1.0):
    """End the process with ``os._exit(exit_code)`` if an interpreter could not be
    destroyed, because finalizing it would wait for its stuck thread forever
    (CPython gh-128639). Waits up to ``grace`` seconds for such threads to end first;
    returns normally when none is left. Flushes the standard streams before leaving.
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


# -- the hooks ---------------------------------------------------------------------------


def _at_exit():
    while _exit_hooks:
        fn, args = _exit_hooks.pop()
        try:
            fn(*args)
        except BaseException:
            import traceback

            print(f"interp_kernel: exception ignored in exit hook {fn!r}:", file=sys.__stderr__)
            traceback.print_exc(file=sys.__stderr__)
    for pool in list(_spare_pools):  # stops their builders: no spare is made past this point
        pool.close()
    if _open_sessions:
        close_sessions(list(_open_sessions), timeout=3.0)
    leave_if_stuck(1)


def _before_fork():
    for pool in list(_spare_pools):  # a spare alone must not crash the child
        pool.suspend()
        _suspended_pools.append(pool)
    try:
        count = len(_interpreters.list_all()) - 1
    except Exception:
        return
    _warn_before_fork(count)


def _after_fork_in_parent():
    while _suspended_pools:
        _suspended_pools.pop().resume()


def _after_fork_in_child():
    for pool in list(_spare_pools):
        pool.forget()
    _spare_pools.clear()
    _suspended_pools.clear()


def _warn_before_fork(count):
    global _last_fork_warning
    now = time.monotonic()
    if count < 1 or now - _last_fork_warning < FORK_WARNING_INTERVAL:
        return
    _last_fork_warning = now
    print(f"interp_kernel: os.fork() while {count} subinterpreter(s) exist: the child process will crash "
          f"on this CPython (gh-139759). Use multiprocessing's 'forkserver' or 'spawn' start method "
          f"(multiprocessing.get_context('forkserver')), or close the interpreters first.",
          file=sys.stderr, flush=True)


atexit.register(_at_exit)
os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                    after_in_child=_after_fork_in_child)
