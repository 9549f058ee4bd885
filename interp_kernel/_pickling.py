"""Pickling for every value that crosses between interpreters (base layer).

Objects of a ``__main__`` module (functions, lambdas, closures, classes and their
instances, of the main interpreter's notebook or of a subinterpreter) cross *by
value*: the receiving interpreter has a different ``__main__`` where they do not
exist. Everything else (functions and classes of importable modules) crosses by
reference, as plain pickle does.

The C pickler runs first (stopping at the first object of ``__main__``, which it
would save as a reference the other side cannot resolve); only when it stops or fails is
``cloudpickle`` imported (lazily: a new interpreter never loads it before a value
needs it). Unpickling is plain ``pickle.loads``: a cloudpickle payload imports
cloudpickle itself.
"""

import io
import pickle


class _NeedsValue(Exception):
    """Raised inside the C pickler when it meets an object of a ``__main__``."""


class _ByReference(pickle.Pickler):
    """The C pickler, stopping at objects of ``__main__`` (it would save them by reference).

    ``reducer_override`` is not called for None, bools and exact ints, floats, str,
    bytes, lists, tuples, dicts and sets: plain data costs no Python call per item.
    """

    def reducer_override(self, obj):
        if getattr(obj, "__module__", None) == "__main__" or type(obj).__module__ == "__main__":
            raise _NeedsValue
        return NotImplemented


def dumps(obj):
    """``obj`` pickled (protocol 5), by value where it refers to ``__main__``.

    Raises what cloudpickle raises (``pickle.PicklingError``, ``TypeError``...) when
    neither can encode ``obj``: its message names the part that cannot be pickled
    (a lock, a generator...), where the C pickler's would only name the function.
    """
    buffer = io.BytesIO()
    try:
        _ByReference(buffer, protocol=5).dump(obj)
    except Exception:
        pass
    else:
        return buffer.getvalue()
    del buffer
    import cloudpickle

    return cloudpickle.dumps(obj, protocol=5)


def loads(data):
    """The object pickled in ``data`` (bytes-like). Raises what ``pickle.loads`` raises."""
    return pickle.loads(data)
