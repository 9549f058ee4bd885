"""What crossing into another interpreter needs, on every version: which objects cross
natively, the pickle fallback, binding values into a ``__main__``, ExecutionFailed, and
(3.13) what a queue does with an item whose interpreter is gone (UNBOUND...).

Imports only the private ``_interpreters`` module (and the stdlib's ExecutionFailed on 3.14+).
"""

import pickle
import sys

import _interpreters
from _interpreters import InterpreterError, NotShareableError, is_shareable

if sys.version_info >= (3, 14):
    from concurrent.interpreters import ExecutionFailed
else:
    class ExecutionFailed(InterpreterError):
        """An unhandled exception happened in Interpreter.exec() or call().

        The exception object itself stays in the other interpreter; .excinfo
        describes it: .type (with __name__, __qualname__, __module__), .msg,
        .formatted ("Type: msg") and .errdisplay (the traceback).
        """

        def __init__(self, excinfo):
            msg = excinfo.formatted or f'{excinfo.type.__name__}: {excinfo.msg}'
            super().__init__(msg)
            self.excinfo = excinfo

        __module__ = 'interp_kernel.interpreters'  # where users import it from

        def __str__(self):
            errdisplay = getattr(self.excinfo, 'errdisplay', None)
            if not errdisplay:
                return super().__str__()
            return (f'{super().__str__()}\n\nUncaught in the interpreter:\n\n'
                    f'{errdisplay}')


if sys.version_info < (3, 14):
    class _Unbound:
        __slots__ = ()

        def __repr__(self):
            return 'interp_kernel.interpreters.UNBOUND'

    UNBOUND = _Unbound()      # a queue's get() returns this for an orphaned item
    UNBOUND_ERROR = object()  # get() raises ItemInterpreterDestroyed
    UNBOUND_REMOVE = object()  # the orphaned item leaves the queue
    # The flags of 3.13's _interpqueues (the names are those of CPython 3.14's module).
    _UNBOUND_CONSTANT_TO_FLAG = {UNBOUND_REMOVE: 1, UNBOUND_ERROR: 2, UNBOUND: 3}
    _UNBOUND_FLAG_TO_CONSTANT = {flag: obj for obj, flag in _UNBOUND_CONSTANT_TO_FLAG.items()}

    class IdHandle:
        """Base of 3.13's Interpreter and Queue: one object per process-wide ._id,
        pickled (and shared) as its class and id."""

        def __repr__(self):
            return f'{type(self).__name__}({self._id})'

        def __hash__(self):
            return hash(self._id)

        def __reduce__(self):
            return (type(self), (self._id,))

        @property
        def id(self):
            return self._id


def natively_shareable(obj):
    """Whether obj crosses without pickle.

    is_shareable() only looks at the outer type: a tuple holding a list, or an
    int beyond 64 bits, passes it and then fails when it is actually sent.
    """
    if type(obj) is tuple:
        return all(natively_shareable(item) for item in obj)
    if type(obj) is int:
        return -2**63 <= obj < 2**63
    return is_shareable(obj)


def pickle_or_raise(obj):
    """pickle.dumps(obj); NotShareableError (naming obj) when it cannot be pickled."""
    try:
        return pickle.dumps(obj)
    except Exception as exc:
        what = repr(obj)
        what = what if len(what) <= 200 else what[:197] + '...'
        raise NotShareableError(
            f'{what} is neither shareable nor picklable: {exc}') from exc


def check_main_names(ns):
    """Raise unless ns can be bound in a __main__: a non-empty dict with str keys
    without NUL (a NUL in a name crashes CPython 3.13.0, gh-127165).

    ValueError for an empty ns or a NUL, TypeError for a key that is not a str.
    """
    if not ns:
        raise ValueError('nothing to bind: give prepare_main() at least one name')
    for name in ns:
        if type(name) is not str:
            raise TypeError(f'names bound in __main__ must be str, not {type(name).__name__}')
        if '\x00' in name:
            raise ValueError(f'a name bound in __main__ contains a NUL character: {name!r}')


# Runs in the target's __main__: pops the pickled dict and binds its items.
_UNPICKLE_INTO_MAIN = (
    "globals().update(__import__('pickle').loads("
    "globals().pop('__interp_kernel_pickled__')))"
)


def set_main_attrs(interp_id, ns):
    """Bind ns into the interpreter's __main__, pickling what must be.

    Raises what check_main_names() raises; NotShareableError if a value can be
    neither shared nor pickled, or if unpickling fails in the target (for
    example its module is not importable there); nothing is bound then.
    """
    check_main_names(ns)
    pickled = {k: v for k, v in ns.items() if not natively_shareable(v)}
    shared = {k: v for k, v in ns.items() if k not in pickled}
    if pickled:
        try:
            blob = pickle.dumps(pickled)
        except Exception:
            for value in pickled.values():  # find the culprit
                pickle_or_raise(value)
            raise
        excinfo = _interpreters.exec(
            interp_id, _UNPICKLE_INTO_MAIN,
            {'__interp_kernel_pickled__': blob}, restrict=True)
        if excinfo is not None:
            raise NotShareableError(
                f'could not unpickle {", ".join(pickled)} in interpreter '
                f'{interp_id}: {excinfo.formatted}'
            ) from ExecutionFailed(excinfo)
    if shared:
        _interpreters.set___main___attrs(interp_id, shared, restrict=True)
