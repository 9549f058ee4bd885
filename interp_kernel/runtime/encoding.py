"""Values crossing with :meth:`Session.push` and :meth:`Session.pull`, main side.

The main side's half of the payload kinds of :mod:`interp_kernel._protocol`; the
agent's half is :mod:`interp_kernel.agent.transfer`.
"""

from interp_kernel import _pickling, compat
from interp_kernel._marshalling import marshalled, unmarshalled
from interp_kernel._protocol import (
    MARSHALLED, MARSHALLED_CARRIED, NAMED_QUEUE, PICKLED, PICKLED_CARRIED, SHARED,
)
from interp_kernel._queue import NamedQueue
from interp_kernel.errors import NotTransferableError

#: bytes, str and pickles at least this long cross natively through a queue (one copy,
#: made by the receiving interpreter) rather than inside the command (four copies:
#: marshal, the channel in and out, unmarshal); shorter ones are cheaper in the command.
SHARE_NATIVELY_FROM = 1 << 16


def encode_value(name, value, carriers):
    """Encode one value for :meth:`Session.push`; raises NotTransferableError naming it.

    A memoryview crosses without a copy (the interpreter sees the same memory), a
    large bytes or str with one copy, a NamedQueue as its handle (no pickle module
    needed there), plain builtin data as marshal (:func:`_encode_plain`); anything
    else is pickled. Memoryviews, large bytes/str and large marshal strings or
    pickles travel in a cross-interpreter queue appended to ``carriers``: the caller
    keeps them until the agent has taken the values.
    """
    if isinstance(value, NamedQueue):
        return (NAMED_QUEUE, value.handle())
    if isinstance(value, memoryview) or (
            type(value) in (bytes, str) and len(value) >= SHARE_NATIVELY_FROM):
        return (SHARED, _carry(value, carriers))
    plain = _encode_plain(value, carriers)
    if plain is not None:
        return plain
    try:
        pickled = _pickling.dumps(value)
    except Exception as exc:
        raise NotTransferableError(
            f"cannot send {name!r} to an interpreter: a {type(value).__qualname__} object is neither "
            f"shareable nor picklable ({exc})"
        ) from None
    if len(pickled) >= SHARE_NATIVELY_FROM:
        return (PICKLED_CARRIED, _carry(pickled, carriers))
    return (PICKLED, pickled)


def _encode_plain(value, carriers):
    """The marshal payload of plain builtin data, or None when ``value`` is not that."""
    data = marshalled(value)
    if data is None:
        return None
    if len(data) >= SHARE_NATIVELY_FROM:
        return (MARSHALLED_CARRIED, _carry(data, carriers))
    return (MARSHALLED, data)


def decode_pulled(name, payload):
    """The value of a pulled variable from its payload (a marshal string or a pickle).

    Raises NotTransferableError when it cannot be unpickled here.
    """
    if payload[0] == MARSHALLED:
        return unmarshalled(payload[1])
    try:
        return _pickling.loads(payload[1])
    except Exception as exc:
        why = ("; it refers by name to a class or function the main interpreter cannot import"
               if isinstance(exc, (AttributeError, ImportError)) else "")
        raise NotTransferableError(
            f"cannot pull {name!r} into the main interpreter: unpickling failed ({exc}){why}"
        ) from None


def _carry(shareable, carriers):
    """A new cross-interpreter queue holding ``shareable``; returns its id."""
    carrier = compat.create_queue()
    carrier.put(shareable)
    carriers.append(carrier)
    return carrier.id
