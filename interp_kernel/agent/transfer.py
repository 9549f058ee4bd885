"""Values crossing with push and pull: decoding what ``PUSH`` brings, encoding what
``PULL`` asks for (the main side's half is :mod:`interp_kernel.runtime.encoding`).

Loaded on the first push or pull. ``pickle`` loads only when a payload needs it:
every new interpreter of a manager with named queues gets a push of their handles,
and plain builtin data crosses as marshal (:mod:`interp_kernel._marshalling`).
"""

import sys

from interp_kernel import _core
from interp_kernel._marshalling import SLICE_ITEMS, SLICE_VERSION, marshalled, slices, unmarshalled
from interp_kernel._protocol import (
    ERROR, INTERRUPTED, MARSHALLED, MARSHALLED_CARRIED, MARSHALLED_CHANNEL, MARSHALLED_PARTS, NAMED_QUEUE,
    OK, PICKLED, PICKLED_CARRIED, SHARED,
)
from interp_kernel.agent.tracebacks import plain_error


def push(values):
    """Bind values (name -> payload) in ``__main__``; all are decoded before any is bound.

    Decoding (unpickling: user code may run) can be interrupted: then ``INTERRUPTED``,
    and nothing is bound.
    """
    try:
        decoded = _core.call_interruptible(lambda: {name: decode(payload) for name, payload in values.items()})
    except KeyboardInterrupt:
        return INTERRUPTED, plain_error("KeyboardInterrupt", "interrupted while the values were unpickled")
    sys.modules["__main__"].__dict__.update(decoded)
    return OK, None


def pull(names, send_part):
    """Encode ``__main__`` variables for the main side; all or nothing.

    Plain builtin data goes as marshal, the rest as a pickle. A long list or tuple
    of scalars goes in slices, each sent at once with ``send_part(name, items,
    version)`` (the agent's), so that the main side decodes one while this encodes
    the next. A missing name is a
    NameError, a value that cannot be pickled a NotShareableError (both as ``ERROR``
    payloads); pickling (user code may run) can be interrupted: then ``INTERRUPTED``.
    """
    namespace = sys.modules["__main__"].__dict__
    missing = [name for name in names if name not in namespace]
    if missing:
        return ERROR, plain_error("NameError", f"name {missing[0]!r} is not defined in this interpreter")
    try:
        return _core.call_interruptible(_encode, namespace, names, send_part)
    except KeyboardInterrupt:
        return INTERRUPTED, plain_error("KeyboardInterrupt", "interrupted while the values were pickled")


def _encode(namespace, names, send_part):
    encoded = {}
    for name in names:
        if name in encoded:
            continue
        value = namespace[name]
        if type(value) in (list, tuple) and len(value) > SLICE_ITEMS and _sent_in_slices(name, value, send_part):
            encoded[name] = (MARSHALLED_PARTS, type(value) is tuple)
            continue
        plain = marshalled(value)
        if plain is not None:
            encoded[name] = (MARSHALLED, plain)
            continue
        from interp_kernel import _pickling  # here: plain data never loads pickle

        try:
            encoded[name] = (PICKLED, _pickling.dumps(namespace[name]))
        except Exception as exc:
            kind = type(namespace[name]).__qualname__
            return ERROR, plain_error(
                "NotShareableError",
                f"cannot pull {name!r}: a {kind} object is neither shareable nor picklable ({exc})",
            )
    return OK, encoded


def _sent_in_slices(name, seq, send_part):
    """Send ``seq`` as the slices of :func:`slices`; False when it must go whole instead
    (the main side ignores the slices sent before)."""
    for items in slices(seq):
        if items is None:
            return False
        send_part(name, items, SLICE_VERSION)
    return True


def _joined(channel, as_tuple, count):
    """The list (tuple) pushed as ``count`` marshalled slices on ``channel``, each
    rebuilt while the main side encodes the next. Raises ChannelClosedError when the
    main side gave up on the push."""
    joined = []
    for _ in range(count):
        joined.extend(unmarshalled(_core.channel_recv(channel)))
    return tuple(joined) if as_tuple else joined


def decode(payload):
    """The value a ``(payload kind, data)`` pair carries."""
    kind, data = payload
    if kind == MARSHALLED:
        return unmarshalled(data)
    if kind == PICKLED:
        from interp_kernel import _pickling

        return _pickling.loads(data)
    if kind == MARSHALLED_CHANNEL:
        return _joined(*data)
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
        from interp_kernel import _pickling

        return _pickling.loads(value)
    raise ValueError(f"unknown payload kind {kind!r}")
