"""Calling a function inside a session's interpreter (main side of ``APPLY``).

The function and its arguments cross with :mod:`interp_kernel._pickling`: a
function, lambda, closure or class defined in the notebook crosses by value.
"""

from interp_kernel import _pickling
from interp_kernel._protocol import APPLY, INTERRUPTED, RAISED
from interp_kernel.errors import NotTransferableError
from interp_kernel.runtime.encoding import encode_value
from interp_kernel.runtime.jobs import Job


class InterpreterError(Exception):
    """An exception of a called function whose type could not cross back to main."""


def submit_call(session, func, args, kwargs, on_output=None, direct=False):
    """Queue ``func(*args, **kwargs)`` in ``session``; returns ``(job, carriers)`` at once.

    Raises NotTransferableError (naming the function) when the call cannot be pickled,
    SessionClosedError when the session is closed. Keep ``carriers`` alive until the
    job is done. ``on_output(stream, text)`` gets what the call prints. ``direct``:
    the caller will wait for the job, and receives its end itself (see Session.enqueue).
    """
    if not callable(func):
        raise TypeError(f"call() needs a callable, not a {type(func).__qualname__} object")
    carriers = []
    label = getattr(func, "__qualname__", type(func).__qualname__)
    payload = encode_value(label, (func, args, kwargs), carriers)
    job = Job(session, APPLY, label=f"call {label}", on_output=on_output)
    session.enqueue(job, (APPLY, job.id, payload), direct=direct)
    return job, carriers


def call_outcome(session, result):
    """The return value of a finished ``APPLY`` job; raises what the function raised.

    The function's exception is raised again here with the interpreter's traceback as a
    note (PEP 678); one whose type cannot be unpickled here becomes InterpreterError
    with the same message. A KeyboardInterrupt inside is raised as KeyboardInterrupt.
    """
    if result.status == INTERRUPTED:
        raise KeyboardInterrupt(f"the call in {session.name!r} was interrupted")
    if not result.ok:
        if result.error.ename == "NotTransferableError":
            raise NotTransferableError(result.error.evalue)
        raise RuntimeError(f"the call in {session.name!r} failed: {result.error}")
    if result.data[0] == RAISED:
        _, pickled, formatted = result.data
        exc = None
        if pickled is not None:
            try:
                exc = _pickling.loads(pickled)
            except Exception:
                exc = None
        if not isinstance(exc, BaseException):
            exc = InterpreterError(formatted.rstrip().rpartition("\n")[2])
        exc.add_note(f"--- traceback in interpreter {session.name!r} ---\n{formatted.rstrip()}")
        raise exc
    try:
        return _pickling.loads(result.data[1][1])
    except Exception as exc:
        raise NotTransferableError(
            f"cannot receive the return value from {session.name!r}: unpickling failed ({exc})") from None


def call(session, func, args, kwargs, timeout=None, on_output=None):
    """Run ``func(*args, **kwargs)`` in ``session`` and return its value (see Session.call)."""
    job, carriers = submit_call(session, func, args, kwargs, on_output, direct=True)
    result = job.wait(timeout)
    del carriers
    if result is None:
        raise TimeoutError(f"the call in {session.name!r} is still running after {timeout} s")
    return call_outcome(session, result)
