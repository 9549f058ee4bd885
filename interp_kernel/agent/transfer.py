"""Values crossing with push and pull: decoding what ``PUSH`` brings, encoding what
``PULL`` asks for (the main side's half is :mod:`interp_kernel.runtime.encoding`).

Loaded on the first push or pull. ``pickle`` loads only when a payload needs it:
every new interpreter of a manager with named queues gets a push of their handles.
"""

import sys

from interp_kernel import _pickling
from interp_kernel._protocol import ERROR, NAMED_QUEUE, OK, PICKLED, PICKLED_CARRIED, SHARED
from interp_kernel.agent.tracebacks import plain_error


def push(values):
    """Bind values (name -> payload) in ``__main__``; all are decoded before any is bound."""
    decoded = {name: decode(payload) for name, payload in values.items()}
    sys.modules["__main__"].__dict__.update(decoded)
    return OK, None


def pull(names):
    """Encode ``__main__`` variables for the main side; all or nothing.

    A missing name is a NameError, a value that cannot be pickled a NotShareableError
    (both as ``ERROR`` payloads).
    """
    namespace = sys.modules["__main__"].__dict__
    missing = [name for name in names if name not in namespace]
    if missing:
        return ERROR, plain_error("NameError", f"name {missing[0]!r} is not defined in this interpreter")
    encoded = {}
    for name in names:
        try:
            encoded[name] = (PICKLED, _pickling.dumps(namespace[name]))
        except Exception as exc:
            kind = type(namespace[name]).__qualname__
            return ERROR, plain_error(
                "NotShareableError",
                f"cannot pull {name!r}: a {kind} object is neither shareable nor picklable ({exc})",
            )
    return OK, encoded


def decode(payload):
    """The value a ``(payload kind, data)`` pair carries."""
    kind, data = payload
    if kind == PICKLED:
        return _pickling.loads(data)
    if kind == NAMED_QUEUE:
        from interp_kernel._queue import NamedQueue

        return NamedQueue(*data)
    if kind == SHARED or kind == PICKLED_CARRIED:
        from interp_kernel import compat

        value = compat.Queue(data).get(timeout=5)
        if kind == SHARED:
            return value
        return _pickling.loads(value)
    raise ValueError(f"unknown payload kind {kind!r}")
