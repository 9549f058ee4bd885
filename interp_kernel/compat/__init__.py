"""The Python 3.14 ``concurrent.interpreters`` API, on Python 3.13 and later.

This folder is the compat layer: it imports only the private ``_interpreters`` and
``_interpqueues`` modules (and, on 3.14+, the stdlib's ``concurrent.interpreters``),
nothing else of interp_kernel.  Its shape follows CPython's
``Lib/concurrent/interpreters/``: this module (interpreters), ``_queues`` (queues),
``_crossinterp`` (what crossing needs: shareability, the pickle fallback, binding
into ``__main__``), plus ``_call`` (3.13's ``Interpreter.call()``).  The public name
is :mod:`interp_kernel.interpreters`.

On 3.14+ this re-exports the standard library.  The one addition is that
:meth:`Interpreter.prepare_main` falls back to pickle for values that are not
natively shareable (the stdlib raises NotShareableError for them).

On 3.13 the same API is built over ``_interpreters`` and ``_interpqueues``,
including the 3.14 pickle fallbacks:

* ``Interpreter.call()`` pickles the callable, the arguments and the result;
  "stateless" functions (no closure, no defaults, no globals other than
  builtins) are sent as code and run with the target's ``__main__`` as globals,
  and builtins that need a frame (``dir``, ``eval``, ``exec``) run in the
  target's ``__main__``, as 3.14 does.
* ``Interpreter.prepare_main()`` and ``Queue.put()`` pickle what cannot be
  shared natively.

Anything that is neither shareable nor picklable raises NotShareableError.
Pickled objects travel by reference to their module (functions, classes), so
that module must be importable inside the target interpreter: a subinterpreter
does not see ``sys.path`` changes made at run time in the main interpreter.

Differences between the versions that this module does not hide (the full list,
with CPython's own test suite run against it: docs/interpreters.md):

* ``NotShareableError`` subclasses ValueError on 3.13 and TypeError on 3.14
  (the C modules raise their own class); catch ``NotShareableError`` itself.
* 3.14's ``Queue.get``/``put`` truncate ``timeout`` to whole seconds
  (``timeout=0.5`` does not wait at all); on 3.13 fractional timeouts are
  honoured.  Both poll while blocked (3.14: every 10 ms; 3.13: backing off
  from 0.1 ms to 10 ms), so neither belongs on a latency-critical path.
* Calling a function defined in ``__main__`` by reference (not stateless):
  3.14 re-runs the main script inside the target to find it, 3.13 raises
  NotShareableError.

Interpreters are not a security boundary.
"""

import sys

import _interpreters

from interp_kernel.compat._crossinterp import ExecutionFailed, set_main_attrs
from interp_kernel.compat._queues import (
    ItemInterpreterDestroyed, Queue, QueueEmpty, QueueError, QueueFull,
    QueueNotFoundError, UNBOUND, UNBOUND_ERROR, UNBOUND_REMOVE,
    create as create_queue,
)
from _interpreters import (
    InterpreterError, InterpreterNotFoundError, NotShareableError,
    is_shareable,
)

__all__ = [
    'get_current', 'get_main', 'create', 'list_all', 'is_shareable',
    'Interpreter',
    'InterpreterError', 'InterpreterNotFoundError', 'ExecutionFailed',
    'NotShareableError',
    'create_queue', 'Queue', 'QueueEmpty', 'QueueFull',
    # also here, for Queue's "unbounditems":
    'QueueError', 'QueueNotFoundError', 'ItemInterpreterDestroyed',
    'UNBOUND', 'UNBOUND_ERROR', 'UNBOUND_REMOVE',
]

_PREPARE_MAIN_DOC = """Bind the given values into the interpreter's __main__.

        Shareable values are shared (memoryview and Queue without a copy),
        others are pickled and unpickled in the target.  Fails if the
        interpreter is running, with InterpreterNotFoundError once it is
        closed, ValueError when there is nothing to bind or a name holds a NUL,
        TypeError for a name that is not a str, and NotShareableError for a
        value that can be neither shared nor pickled, or that does not unpickle
        in the target.
        """

if sys.version_info >= (3, 14):
    # --- Python 3.14+: the standard library --------------------------------
    import concurrent.interpreters as _std

    class Interpreter(_std.Interpreter):
        """The stdlib Interpreter; prepare_main() also accepts picklable values.

        There is one object per interpreter id, shared with the stdlib: an
        object the stdlib made first gets this class when it passes through
        this module (the subclass adds no state, only the fallback).
        """

        __slots__ = ()

        def __new__(cls, id, /, _whence=None, _ownsref=None):
            self = super().__new__(cls, id, _whence, _ownsref)
            if not isinstance(self, cls):
                self.__class__ = cls
            return self

        def prepare_main(self, ns=None, /, **kwargs):
            ns = dict(ns, **kwargs) if ns is not None else kwargs
            set_main_attrs(self._id, ns)

        prepare_main.__doc__ = _PREPARE_MAIN_DOC

    def _ours(interp):
        return Interpreter(interp.id)

    def create():
        """Return a new, idle, isolated interpreter (closed when unreferenced)."""
        return _ours(_std.create())

    def list_all():
        """Return all existing interpreters."""
        return [_ours(interp) for interp in _std.list_all()]

    def get_current():
        """Return the interpreter this code runs in."""
        return _ours(_std.get_current())

    def get_main():
        """Return the main interpreter."""
        return _ours(_std.get_main())

else:
    # --- Python 3.13: our own implementation ------------------------------
    import os
    import threading
    import weakref

    from interp_kernel.compat import _call
    from interp_kernel.compat._crossinterp import IdHandle

    _WHENCE_NAMES = {
        _interpreters.WHENCE_UNKNOWN: 'unknown',
        _interpreters.WHENCE_RUNTIME: 'runtime init',
        _interpreters.WHENCE_LEGACY_CAPI: 'legacy C-API',
        _interpreters.WHENCE_CAPI: 'C-API',
        _interpreters.WHENCE_XI: 'cross-interpreter C-API',
        _interpreters.WHENCE_STDLIB: '_interpreters module',
    }

    def create():
        """Return a new, idle, isolated interpreter.

        It is destroyed by close(), or when the last Interpreter object for it
        (in any interpreter) goes away.
        """
        id = _interpreters.create(reqrefs=True)
        return Interpreter(id, _ownsref=True)

    def list_all():
        """Return all existing interpreters."""
        found = []
        for id, whence in _interpreters.list_all(require_ready=True):
            try:
                found.append(Interpreter(id, _whence=whence))
            except InterpreterNotFoundError:
                pass  # destroyed after it was listed
        return found

    def get_current():
        """Return the interpreter this code runs in."""
        id, whence = _interpreters.get_current()
        return Interpreter(id, _whence=whence)

    def get_main():
        """Return the main interpreter."""
        id, whence = _interpreters.get_main()
        return Interpreter(id, _whence=whence)

    _known_interpreters = weakref.WeakValueDictionary()

    # If the target cannot import this package from its own sys.path, it gets
    # the folder the main interpreter imported it from.
    _PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    _IMPORT_HERE = f'__import__({__name__!r})'
    _BOOTSTRAP = (
        f'try:\n    {_IMPORT_HERE}\n'
        f'except ImportError:\n'
        f'    __import__("sys").path.append({_PACKAGE_PARENT!r})\n'
        f'    {_IMPORT_HERE}\n'
    )

    class Interpreter(IdHandle):
        """One Python interpreter in this process (one object per id).

        .id is the process-wide id, .whence says who created it.  close(),
        prepare_main(), exec() and call() work only on interpreters made by
        create(); on others they raise InterpreterError, and on a closed one
        InterpreterNotFoundError.
        """

        def __new__(cls, id, /, _whence=None, _ownsref=None):
            if not isinstance(id, int):
                raise TypeError(f'id must be an int, got {id!r}')
            id = int(id)
            try:
                return _known_interpreters[id]
            except KeyError:
                pass
            if _whence is None:
                _whence = (_interpreters.WHENCE_STDLIB if _ownsref
                           else _interpreters.whence(id))  # may raise NotFound
            if _ownsref is None:
                _ownsref = _whence == _interpreters.WHENCE_STDLIB
            self = super().__new__(cls)
            self._id = id
            self._whence = _whence
            self._ownsref = False
            self._ready = False
            if _ownsref:
                _interpreters.incref(id)  # may raise InterpreterNotFoundError
                self._ownsref = True
            _known_interpreters[id] = self
            return self

        def __del__(self, _decref=_interpreters.decref,
                    _notfound=InterpreterNotFoundError):
            # Keeps its own references: module globals may be gone at exit.
            if getattr(self, '_ownsref', False):
                self._ownsref = False
                try:
                    _decref(self._id)
                except _notfound:
                    pass

        @property
        def whence(self):
            return _WHENCE_NAMES[self._whence]

        def is_running(self):
            """Whether the interpreter is executing code in its __main__.

            Raises InterpreterNotFoundError once it is closed.
            """
            return _interpreters.is_running(self._id)

        def close(self):
            """Destroy the interpreter.

            Blocks until threads still running in it have finished.  Raises
            InterpreterError for the current or a running interpreter and
            InterpreterNotFoundError if it is already closed.
            """
            return _interpreters.destroy(self._id, restrict=True)

        def _ensure_ready(self):
            # Import this package inside the interpreter: it registers our
            # Queue type there (so a shared Queue arrives as a Queue) and
            # _interpreters (so a memoryview can be received).
            if self._ready:
                return
            excinfo = _interpreters.exec(self._id, _BOOTSTRAP, restrict=True)
            if excinfo is not None:
                raise InterpreterError(
                    f'could not import {__name__} in interpreter {self._id}'
                ) from ExecutionFailed(excinfo)
            self._ready = True

        def prepare_main(self, ns=None, /, **kwargs):
            ns = dict(ns, **kwargs) if ns is not None else kwargs
            self._ensure_ready()
            set_main_attrs(self._id, ns)

        prepare_main.__doc__ = _PREPARE_MAIN_DOC

        def exec(self, code, /):
            """Run source code (str), a code object or a no-argument function
            in the interpreter's __main__, in the current thread.

            Blocks until it is done; other threads keep running meanwhile.
            An uncaught exception raises ExecutionFailed; a SyntaxError in
            source code is raised directly.  Raises InterpreterError if the
            interpreter is already running.
            """
            if isinstance(code, (bytes, bytearray)):
                code = bytes(code).decode()
            if isinstance(code, str):
                # Compile here, as 3.14 does: a SyntaxError is raised
                # directly, and tracebacks name the code "<script>".
                code = compile(code, '<script>', 'exec', dont_inherit=True)
            excinfo = _interpreters.exec(self._id, code, restrict=True)
            if excinfo is not None:
                raise ExecutionFailed(excinfo)

        def call(self, callable, /, *args, **kwargs):
            """Call callable(*args, **kwargs) in the interpreter; return the
            result.

            Blocks the current thread until done.  The callable, arguments
            and result are shared or pickled; stateless functions are sent as
            code.  Raises NotShareableError if one of them cannot cross (or
            does not unpickle on the other side), ExecutionFailed if the call
            raises, InterpreterError if the interpreter is already running.
            """
            self._ensure_ready()
            return _call.call(self._id, callable, args, kwargs)

        def call_in_thread(self, callable, /, *args, **kwargs):
            """Start and return a thread that runs call(callable, ...).

            The result is discarded; an exception goes to threading.excepthook.
            """
            t = threading.Thread(target=self.call, args=(callable, *args),
                                 kwargs=kwargs)
            t.start()
            return t
