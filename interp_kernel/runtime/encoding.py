"""Values crossing with :meth:`Session.push` and :meth:`Session.pull`, main side.

The main side's half of the payload kinds of :mod:`interp_kernel._protocol`; the
agent's half is :mod:`interp_kernel.agent.transfer`.
"""

import marshal

from interp_kernel import _core, _pickling, compat
from interp_kernel._marshalling import SLICE_ITEMS, SLICE_VERSION, marshalled, slices, unmarshalled
from interp_kernel._protocol import (
    MARSHALLED, MARSHALLED_CARRIED, MARSHALLED_CHANNEL, MARSHALLED_PARTS, NAMED_QUEUE, PICKLED,
    PICKLED_CARRIED, SHARED,
)
from interp_kernel._queue import NamedQueue
from interp_kernel.errors import NotTransferableError

#: bytes, str and pickles at least this long cross natively through a queue (one copy,
#: made by the receiving interpreter) rather than inside the command (four copies:
#: marshal, the channel in and out, unmarshal); shorter ones are cheaper in the command.
SHARE_NATIVELY_FROM = 1 << 16


def encode_value(name, value, carriers, streams=None):
    """Encode one value for :meth:`Session.push`; raises NotTransferableError naming it.

    A memoryview crosses without a copy (the interpreter sees the same memory), a
    large bytes or str with one copy, a NamedQueue as its handle (no pickle module
    needed there), plain builtin data as marshal (:func:`_encode_plain`); anything
    else is pickled. Memoryviews, large bytes/str and large marshal strings or
    pickles travel in a cross-interpreter queue appended to ``carriers``: the caller
    keeps them until the agent has taken the values. Given a ``streams`` list, a
    long list or tuple of scalars becomes a :class:`PushedSlices` appended to it,
    which the caller sends once the push is queued and closes after.
    """
    if isinstance(value, NamedQueue):
        return (NAMED_QUEUE, value.handle())
    if isinstance(value, memoryview) or (
            type(value) in (bytes, str) and len(value) >= SHARE_NATIVELY_FROM):
        return (SHARED, _carry(value, carriers))
    if (streams is not None and type(value) in (list, tuple) and len(value) > SLICE_ITEMS
            and _core.sliceable(value)):
        streams.append(PushedSlices(value))
        return streams[-1].payload()
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


class PushedSlices:
    """A long list or tuple of scalars pushed in slices through a ``_core`` channel of
    its own, so that the interpreter rebuilds one slice while this side encodes the next.
    """

    def __init__(self, seq):
        self.seq = seq
        self.channel = _core.channel_create()

    def payload(self):
        count = -(-len(self.seq) // SLICE_ITEMS)
        return (MARSHALLED_CHANNEL, (self.channel, type(self.seq) is tuple, count))

    def send(self):
        """Marshal and send every slice; never blocks otherwise (the channel is unbounded).

        Raises RuntimeError when the sequence no longer holds only scalars (another
        thread changed it), and whatever interrupts it (KeyboardInterrupt): the
        channel is then closed, so the agent stops waiting and binds nothing.
        """
        try:
            for items in slices(self.seq):
                if items is None:
                    raise RuntimeError("the list or tuple changed while it was pushed")
                _core.channel_send(self.channel, marshal.dumps(items, SLICE_VERSION))
        except BaseException:
            _core.channel_close(self.channel)
            raise

    def close(self):
        """Free the channel and any slice the agent did not take. Idempotent."""
        try:
            _core.channel_destroy(self.channel)
        except _core.ChannelError:
            pass


class PulledSlices:
    """The slices of the long lists and tuples of one pull, joined as they arrive.

    :meth:`add` is the pull job's ``on_part``: it runs on the session's reader thread
    while the agent encodes the next slice.
    """

    def __init__(self):
        self._lists = {}
        self._failed = {}  # name -> why joining its slices failed (MemoryError...)

    def add(self, name, items):
        try:
            joined = self._lists.get(name)
            if joined is None:
                self._lists[name] = items if type(items) is list else list(items)
            else:
                joined.extend(items)
        except Exception as exc:  # never a partial value: take() raises instead
            self._failed.setdefault(name, exc)

    def take(self, name, as_tuple):
        """The list (a tuple when ``as_tuple``) joined from the slices of ``name``.
        Raises NotTransferableError when a slice could not be joined."""
        joined = self._lists.pop(name, [])
        if name in self._failed:
            raise NotTransferableError(f"cannot pull {name!r} into the main interpreter: "
                                       f"joining its slices failed ({self._failed[name]!r})")
        return tuple(joined) if as_tuple else joined


def decode_pulled(name, payload, parts):
    """The value of a pulled variable from its payload (a marshal string, a pickle, or
    the word that it came in ``parts``, a :class:`PulledSlices`).

    Raises NotTransferableError when it cannot be unpickled here.
    """
    if payload[0] == MARSHALLED:
        return unmarshalled(payload[1])
    if payload[0] == MARSHALLED_PARTS:
        return parts.take(name, payload[1])
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
