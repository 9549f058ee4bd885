"""The marshal fast path for push and pull: plain builtin data without pickle.

Lists, tuples, dicts, sets and frozensets of int, float, complex, str, bytes, bool
and None (nested to any depth, shared and cyclic references kept) cross as a
:mod:`marshal` string, which both ends read faster than a pickle and which needs no
``pickle`` import in the interpreter. Anything else (a subclass, an instance, a
bytearray) makes :func:`marshalled` answer None and the caller pickles. Used by both
halves of the transfer (:mod:`interp_kernel.runtime.encoding`,
:mod:`interp_kernel.agent.transfer`); both ends run the same Python, so the format
always matches.

A long list or tuple of scalars crosses in slices (:func:`slices`), pulled and pushed,
so that one side rebuilds a slice while the other encodes the next: on two cores a
transfer then costs about what rebuilding the objects alone costs.
"""

import marshal

from interp_kernel import _core

#: Top-level types worth trying; marshal itself refuses anything inside that is not
#: builtin (it checks exact types, so subclasses go to pickle with their class).
_PLAIN = frozenset({list, tuple, dict, set, frozenset, int, float, complex, str, bytes, bool, type(None)})

#: A list or tuple longer than this crosses in slices of this many items.
SLICE_ITEMS = 1 << 15

#: marshal version of a slice of scalars: 2 records no shared references, which
#: scalars do not need, and is 3.5x faster on a slice (whose items are all referenced
#: twice, which versions 3 and 4 look up in a table of shared objects).
SLICE_VERSION = 2


def marshalled(value):
    """``value`` as a marshal string, or None when it is not plain builtin data.

    Never raises for unsupported contents (the caller falls back to pickle). A value
    holding a code object marshals too; it crosses intact (same interpreter build).
    """
    if type(value) not in _PLAIN:
        return None
    try:
        return marshal.dumps(value)
    except (ValueError, RecursionError):
        return None


def unmarshalled(data):
    """The value of a :func:`marshalled` string; raises ValueError/EOFError when it is not one."""
    return marshal.loads(data)


def slices(seq):
    """Yield ``seq`` (a list or tuple) cut into slices of the same type,
    :data:`SLICE_ITEMS` items each, to marshal with :data:`SLICE_VERSION`.

    Yields None, and stops, at the first slice that :func:`_core.sliceable` refuses
    (anything but immutable scalars, or a str or bytes also held elsewhere): such a
    ``seq`` must be marshalled whole, which keeps what is shared shared. Each slice
    is checked as it is cut, so the first one is ready at once. Never raises.
    """
    for start in range(0, len(seq), SLICE_ITEMS):
        if not _core.sliceable(seq, start, start + SLICE_ITEMS):
            yield None
            return
        yield seq[start:start + SLICE_ITEMS]
