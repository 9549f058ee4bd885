"""``APPLY``: call a function sent by :meth:`Session.call` and encode its outcome.

Loaded on the first call. The function, its arguments and the outcome cross with
:mod:`interp_kernel._pickling` (by value for objects of a ``__main__``).
"""

from interp_kernel import _core, _pickling
from interp_kernel._protocol import ERROR, INTERRUPTED, OK, PICKLED, RAISED, RETURNED
from interp_kernel.agent.tracebacks import error_payload, plain_error
from interp_kernel.agent.transfer import decode


def apply(payload):
    """Decode ``(func, args, kwargs)``, call it, return ``(status, outcome)``.

    An exception of the function is an ``OK`` outcome ``(RAISED, pickled exception or
    None, traceback)``; a KeyboardInterrupt is ``INTERRUPTED``; a call that cannot be
    decoded, or a return value that cannot be pickled, is ``ERROR``.
    """
    try:
        func, args, kwargs = decode(payload)
    except Exception as exc:
        return ERROR, plain_error("NotTransferableError",
                                  f"cannot receive the call in this interpreter: unpickling failed ({exc})")
    try:
        value = _core.call_interruptible(_invoke, func, args, kwargs)
    except KeyboardInterrupt as exc:
        return INTERRUPTED, error_payload(_without_this_frame(exc), None, "")
    except Exception as exc:
        formatted = error_payload(_without_this_frame(exc), None, "")[2]
        try:
            pickled = _pickling.dumps(exc)
        except Exception:
            pickled = None
        return OK, (RAISED, pickled, formatted)
    try:
        return OK, (RETURNED, (PICKLED, _pickling.dumps(value)))
    except Exception as exc:
        return ERROR, plain_error(
            "NotTransferableError",
            f"the call returned a {type(value).__qualname__} object, which cannot be pickled ({exc})")


def _invoke(func, args, kwargs):
    return func(*args, **kwargs)


def _without_this_frame(exc):
    """``exc`` with the frames of this module dropped from the front of its traceback."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    exc.__traceback__ = tb
    return exc
