"""Values crossing with push and pull: decoding what ``PUSH`` brings, encoding what
``PULL`` asks for (the main side's half is :mod:`interp_kernel.runtime.encoding`).

Loaded on the first push or pull. ``pickle`` loads only when a payload needs it:
every new interpreter of a manager with named queues gets a push of their handles,
and plain builtin data crosses as marshal (:mod:`interp_kernel._marshalling`).
"""

import sys

from interp_kernel._marshalling import marshalled, unmarshalled
from interp_kernel._protocol import (
    ERROR, MARSHALLED, MARSHALLED_CARRIED, NAMED_QUEUE, OK, PICKLED, PICKLED_CARRIED, SHARED,
)
from interp_kernel.agent.tracebacks import plain_error


def push(values):
    """Bind values (name -> payload) in ``__main__``; all are decoded before any is bound."""
    decoded = {name: _decode(payload) for name, payload in values.items()}
    sys.modules["__main__"].__dict__.update(decoded)
    return OK, None


def pull(names):
    """Encode ``__main__`` variables for the main side; all or nothing.

    Plain builtin data goes as marshal, the rest as a pickle. A missing name is a
    NameError, a value that cannot be pickled a NotShareableError (both as ``ERROR``
    payloads).
    """
    namespace = sys.modules["__main__"].__dict__
    missing = [name for name in names if name not in namespace]
    if missing:
        return ERROR, plain_error("NameError", f"name {missing[0]!r} is not defined in this interpreter")
    encoded = {}
    for name in names:
        plain = marshalled(namespace[name])
        if plain is not None:
            encoded[name] = (MARSHALLED, plain)
            continue
        import pickle

        try:
            encoded[name] = (PICKLED, pickle.dumps(namespace[name], protocol=5))
        except Exception as exc:
            kind = type(namespace[name]).__qualname__
            return ERROR, plain_error(
                "NotShareableError",
                f"cannot pull {name!r}: a {kind} object is neither shareable nor picklable ({exc})",
            )
    return OK, encoded


def _decode(payload):
    kind, data = payload
    if kind == MARSHALLED:
        return unmarshalled(data)
    if kind == PICKLED:
        import pickle

        return pickle.loads(data)
    if kind == NAMED_QUEUE:
        from interp_kernel._queue import NamedQueue

        return NamedQueue(*data)
    if kind in (SHARED, PICKLED_CARRIED, MARSHALLED_CARRIED):
        from interp_kernel import compat

        value = compat.Queue(data).get(timeout=5)
        if kind == SHARED:
            return value
        if kind == MARSHALLED_CARRIED:
            return unmarshalled(value)
        import pickle

        return pickle.loads(value)
    raise ValueError(f"unknown payload kind {kind!r}")
