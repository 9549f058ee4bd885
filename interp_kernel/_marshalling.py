"""The marshal fast path for push and pull: plain builtin data without pickle.

Lists, tuples, dicts, sets and frozensets of int, float, complex, str, bytes, bool
and None (nested to any depth, shared and cyclic references kept) cross as a
:mod:`marshal` string, which both ends read faster than a pickle and which needs no
``pickle`` import in the interpreter. Anything else (a subclass, an instance, a
bytearray) makes :func:`marshalled` answer None and the caller pickles. Used by both
halves of the transfer (:mod:`interp_kernel.runtime.encoding`,
:mod:`interp_kernel.agent.transfer`); both ends run the same Python, so the format
always matches.
"""

import marshal

#: Top-level types worth trying; marshal itself refuses anything inside that is not
#: builtin (it checks exact types, so subclasses go to pickle with their class).
_PLAIN = frozenset({list, tuple, dict, set, frozenset, int, float, complex, str, bytes, bool, type(None)})


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
