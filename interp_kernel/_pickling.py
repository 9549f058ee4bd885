"""Pickling for every value that crosses between interpreters (base layer).

Objects of a ``__main__`` module (functions, lambdas, closures, classes and their
instances, of the main interpreter's notebook or of a subinterpreter) cross *by
value*: the receiving interpreter has a different ``__main__`` where they do not
exist. Everything else (functions and classes of importable modules) crosses by
reference, as plain pickle does.

The C pickler runs first; its output is kept unless it failed or names ``__main__``
(a by-reference global the other side cannot resolve), and only then is
``cloudpickle`` imported (lazily: a new interpreter never loads it before a value
needs it). Unpickling is plain ``pickle.loads``: a cloudpickle payload imports
cloudpickle itself.
"""

import pickle

_MAIN_MARK = b"__main__"


def dumps(obj):
    """``obj`` pickled (protocol 5), by value where it refers to ``__main__``.

    Raises what cloudpickle raises (``pickle.PicklingError``, ``TypeError``...) when
    neither can encode ``obj``: its message names the part that cannot be pickled
    (a lock, a generator...), where the C pickler's would only name the function.
    """
    try:
        data = pickle.dumps(obj, protocol=5)
    except Exception:
        pass
    else:
        if _MAIN_MARK not in data:
            return data
    import cloudpickle

    return cloudpickle.dumps(obj, protocol=5)


def loads(data):
    """The object pickled in ``data`` (bytes-like). Raises what ``pickle.loads`` raises."""
    return pickle.loads(data)
