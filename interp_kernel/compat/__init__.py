"""The Python 3.14 ``concurrent.interpreters`` API, on Python 3.13 and 3.14.

On 3.14 this re-exports the standard library module.  The one addition is
that :meth:`Interpreter.prepare_main` falls back to pickle for values that are
not natively shareable (the 3.14 stdlib raises NotShareableError for them).

On 3.13 the same API is built here over the private ``_interpreters`` and
``_interpqueues`` modules, including the 3.14 pickle fallbacks:

* ``Interpreter.call()`` pickles the callable, the arguments and the result;
  "stateless" functions (no closure, no defaults, no globals other than
  builtins) are sent as code and run with the target's ``__main__`` as globals,
  as 3.14 does.
* ``Interpreter.prepare_main()`` and ``Queue.put()`` pickle what cannot be
  shared natively.

Anything that is neither shareable nor picklable raises NotShareableError.
Pickled objects travel by reference to their module (functions, classes), so
that module must be importable inside the target interpreter: a subinterpreter
does not see ``sys.path`` changes made at run time in the main interpreter.

Differences between the versions that this module does not hide:

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

import pickle
import sys
import threading
import weakref

import _interpreters
import _interpqueues

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

from _interpreters import (
    InterpreterError, InterpreterNotFoundError, NotShareableError,
    is_shareable,
)


# --- helpers used on both versions ----------------------------------------

def _natively_shareable(obj):
    """Whether obj crosses without pickle.

    is_shareable() only looks at the outer type: a tuple holding a list, or an
    int beyond 64 bits, passes it and then fails when it is actually sent.
    """
    if type(obj) is tuple:
        return all(_natively_shareable(item) for item in obj)
    if type(obj) is int:
        return -2**63 <= obj < 2**63
    return is_shareable(obj)


def _pickle_or_raise(obj):
    try:
        return pickle.dumps(obj)
    except Exception as exc:
        what = repr(obj)
        what = what if len(what) <= 200 else what[:197] + '...'
        raise NotShareableError(
            f'{what} is neither shareable nor picklable: {exc}') from exc


# Runs in the target's __main__: pops the pickled dict and binds its items.
_UNPICKLE_INTO_MAIN = (
    "globals().update(__import__('pickle').loads("
    "globals().pop('__interp_kernel_pickled__')))"
)


def _set_main_attrs(interp_id, ns):
    """Bind ns into the interpreter's __main__, pickling what must be.

    Raises NotShareableError if a value can be neither shared nor pickled, or
    if unpickling fails in the target (for example its module is not
    importable there); nothing is bound then.
    """
    pickled = {k: v for k, v in ns.items() if not _natively_shareable(v)}
    shared = {k: v for k, v in ns.items() if k not in pickled}
    if pickled:
        try:
            blob = pickle.dumps(pickled)
        except Exception:
            for name, value in pickled.items():  # find the culprit
                _pickle_or_raise(value)
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


if sys.version_info >= (3, 14):
    # --- Python 3.14: the standard library --------------------------------
    import concurrent.interpreters as _std
    from concurrent.interpreters import (
        ExecutionFailed, Queue, QueueEmpty, QueueFull, create_queue,
    )
    from concurrent.interpreters._queues import (
        QueueError, QueueNotFoundError, ItemInterpreterDestroyed,
        UNBOUND, UNBOUND_ERROR, UNBOUND_REMOVE,
    )

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
            """Bind the given values into the interpreter's __main__.

            Shareable values are shared (memoryview and Queue without a copy),
            others are pickled and unpickled in the target.  Fails if the
            interpreter is running, with InterpreterNotFoundError once it is
            closed, and with NotShareableError for a value that can be neither
            shared nor pickled, or that does not unpickle in the target.
            """
            ns = dict(ns, **kwargs) if ns is not None else kwargs
            _set_main_attrs(self._id, ns)

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
    import marshal
    import os
    import queue
    import time
    import types

    # ---- interpreters ----

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

        def __str__(self):
            errdisplay = getattr(self.excinfo, 'errdisplay', None)
            if not errdisplay:
                return super().__str__()
            return (f'{super().__str__()}\n\nUncaught in the interpreter:\n\n'
                    f'{errdisplay}')

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

    class Interpreter:
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

        def __repr__(self):
            return f'{type(self).__name__}({self._id})'

        def __hash__(self):
            return hash(self._id)

        def __reduce__(self):
            return (type(self), (self._id,))

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
        def id(self):
            return self._id

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
            # Import this module inside the interpreter: it registers our
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
            """Bind the given values into the interpreter's __main__.

            Shareable values are shared (memoryview and Queue without a copy),
            others are pickled and unpickled in the target.  Fails if the
            interpreter is running, with InterpreterNotFoundError once it is
            closed, and with NotShareableError for a value that can be neither
            shared nor pickled, or that does not unpickle in the target.
            """
            ns = dict(ns, **kwargs) if ns is not None else kwargs
            self._ensure_ready()
            _set_main_attrs(self._id, ns)

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
            return self._call(callable, args, kwargs)

        def call_in_thread(self, callable, /, *args, **kwargs):
            """Start and return a thread that runs call(callable, ...).

            The result is discarded; an exception goes to threading.excepthook.
            """
            t = threading.Thread(target=self._call,
                                 args=(callable, args, kwargs))
            t.start()
            return t

        def _call(self, callable, args, kwargs):
            request = (_dump_callable(callable),
                       _pack(args), _pack(tuple(kwargs.items())))
            self._ensure_ready()
            qid = _interpqueues.create(0, _SHARED, _UNBOUND_FLAGS[UNBOUND])
            try:
                _interpqueues.put(qid, request, _SHARED,
                                  _UNBOUND_FLAGS[UNBOUND])
                excinfo = _interpreters.exec(
                    self._id, f'{_TARGET_MODULE}._serve_call({qid})',
                    restrict=True)
                if excinfo is not None:  # our own code failed: a bug
                    raise ExecutionFailed(excinfo)
                (status, payload), _, _ = _interpqueues.get(qid)
            finally:
                _interpqueues.destroy(qid)
            if status == _CALL_OK:
                return _unpack(payload)
            excinfo = _excinfo_from_tuple(payload)
            if status == _CALL_RAISED:
                raise ExecutionFailed(excinfo)
            what = ('the callable or its arguments' if status == _CALL_BADREQ
                    else 'the result')
            raise NotShareableError(
                f'{what} could not cross into interpreter: '
                f'{excinfo.formatted}') from ExecutionFailed(excinfo)

    # If the target cannot import this module from its own sys.path, it
    # gets the folder the main interpreter imported the package from.
    _PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    _TARGET_MODULE = f'__import__({__name__!r}, fromlist=["_"])'
    _BOOTSTRAP = (
        f'try:\n    {_TARGET_MODULE}\n'
        f'except ImportError:\n'
        f'    __import__("sys").path.append({_PACKAGE_PARENT!r})\n'
        f'    {_TARGET_MODULE}\n'
    )

    # ---- call(): the wire format ----

    _SHARED, _PICKLED = 0, 1               # how an object travels
    _CALL_OK, _CALL_RAISED, _CALL_BADREQ, _CALL_BADRESULT = range(4)

    def _pack(obj):
        """(fmt, data): obj itself if it can be shared, else pickled."""
        if _natively_shareable(obj):
            return (_SHARED, obj)
        return (_PICKLED, _pickle_or_raise(obj))

    def _unpack(packed):
        fmt, data = packed
        return pickle.loads(data) if fmt == _PICKLED else data

    def _global_names(code):
        import dis
        names = {ins.argval for ins in dis.get_instructions(code)
                 if ins.opname in ('LOAD_GLOBAL', 'STORE_GLOBAL',
                                   'DELETE_GLOBAL', 'LOAD_NAME')}
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names |= _global_names(const)
        return names

    def _stateless_problem(func):
        """Why func is not stateless (None if it is), as 3.14 checks."""
        if type(func) is not types.FunctionType:
            return 'not a function'
        if func.__closure__:
            return 'closures not supported'
        if func.__defaults__:
            return 'defaults not supported'
        if func.__kwdefaults__:
            return 'keyword defaults not supported'
        import builtins
        if _global_names(func.__code__) - vars(builtins).keys():
            return 'globals not supported'
        return None

    def _make_function(code, name, qualname):
        # Runs in the target: a stateless function uses its __main__.
        func = types.FunctionType(marshal.loads(code),
                                  sys.modules['__main__'].__dict__, name)
        func.__qualname__ = qualname
        return func

    def _dump_callable(func):
        problem = _stateless_problem(func)
        if problem is None:
            return pickle.dumps((_make_function, (
                marshal.dumps(func.__code__), func.__name__,
                func.__qualname__)))
        try:
            return pickle.dumps((None, func))
        except Exception as exc:
            msg = ('only stateless functions are shareable'
                   if problem != 'not a function' else
                   f'{func!r} is neither shareable nor picklable: {exc}')
            raise NotShareableError(msg) from ValueError(problem)

    def _excinfo_to_tuple(exc):
        info = _interpreters.capture_exception(exc)
        return (info.type.__name__, info.type.__qualname__,
                info.type.__module__, info.msg, info.formatted,
                info.errdisplay)

    def _excinfo_from_tuple(data):
        name, qualname, module, msg, formatted, errdisplay = data
        return types.SimpleNamespace(
            type=types.SimpleNamespace(__name__=name, __qualname__=qualname,
                                       __module__=module),
            msg=msg, formatted=formatted, errdisplay=errdisplay)

    def _serve_call(qid):
        """Runs in the target: take the request from queue qid, call, reply."""
        def reply(*response):
            _interpqueues.put(qid, response, _SHARED, _UNBOUND_FLAGS[UNBOUND])

        (callable_blob, args, kwargs), _, _ = _interpqueues.get(qid)
        try:
            factory, fargs = pickle.loads(callable_blob)
            func = factory(*fargs) if factory else fargs
            args, kwargs = _unpack(args), dict(_unpack(kwargs))
        except BaseException as exc:
            return reply(_CALL_BADREQ, _excinfo_to_tuple(exc))
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            exc.__traceback__ = exc.__traceback__.tb_next  # hide this frame
            return reply(_CALL_RAISED, _excinfo_to_tuple(exc))
        try:
            packed = _pack(result)
        except NotShareableError as exc:
            return reply(_CALL_BADRESULT, _excinfo_to_tuple(exc))
        reply(_CALL_OK, packed)

    # ---- queues ----

    QueueError = _interpqueues.QueueError
    QueueNotFoundError = _interpqueues.QueueNotFoundError

    class QueueEmpty(QueueError, queue.Empty):
        """Raised by get_nowait(), and by get() when it times out."""

    class QueueFull(QueueError, queue.Full):
        """Raised by put_nowait(), and by put() when it times out."""

    class ItemInterpreterDestroyed(QueueError):
        """Raised by get() for an item whose interpreter was destroyed
        (when the item was put with unbounditems=UNBOUND_ERROR)."""

    class _Unbound:
        __slots__ = ()

        def __repr__(self):
            return f'{__name__}.UNBOUND'

    UNBOUND = _Unbound()      # get() returns this for an orphaned item
    UNBOUND_ERROR = object()  # get() raises ItemInterpreterDestroyed
    UNBOUND_REMOVE = object()  # the orphaned item leaves the queue

    _UNBOUND_FLAGS = {UNBOUND_REMOVE: 1, UNBOUND_ERROR: 2, UNBOUND: 3}
    _UNBOUND_BY_FLAG = {flag: obj for obj, flag in _UNBOUND_FLAGS.items()}

    def _unbound_flag(unbounditems):
        try:
            return _UNBOUND_FLAGS[unbounditems]
        except KeyError:
            raise NotImplementedError(
                f'unsupported unbounditems {unbounditems!r}') from None

    def create_queue(maxsize=0, *, unbounditems=UNBOUND):
        """Return a new cross-interpreter queue (maxsize <= 0: unbounded).

        unbounditems (UNBOUND, UNBOUND_ERROR or UNBOUND_REMOVE) says what
        get() does with an item whose interpreter has since been destroyed.
        """
        qid = _interpqueues.create(maxsize, _SHARED,
                                   _unbound_flag(unbounditems))
        return Queue(qid)

    _known_queues = weakref.WeakValueDictionary()

    class Queue:
        """A FIFO queue that any interpreter can use (one object per id).

        Shareable objects cross as such (memoryview and Queue are shared,
        immutable values copied); anything else picklable is pickled.
        """

        def __new__(cls, id, /):
            if not isinstance(id, int):
                raise TypeError(f'id must be an int, got {id!r}')
            id = int(id)
            try:
                return _known_queues[id]
            except KeyError:
                pass
            _interpqueues.bind(id)  # may raise QueueNotFoundError
            self = super().__new__(cls)
            self._id = id
            _known_queues[id] = self
            return self

        def __del__(self, _release=_interpqueues.release,
                    _notfound=QueueNotFoundError):
            try:
                _release(self._id)
            except _notfound:
                pass

        def __repr__(self):
            return f'{type(self).__name__}({self._id})'

        def __hash__(self):
            return hash(self._id)

        def __reduce__(self):
            return (type(self), (self._id,))

        @property
        def id(self):
            return self._id

        @property
        def maxsize(self):
            return _interpqueues.get_maxsize(self._id)

        @property
        def unbounditems(self):
            _, flag = _interpqueues.get_queue_defaults(self._id)
            return _UNBOUND_BY_FLAG[flag]

        def empty(self):
            return self.qsize() == 0

        def full(self):
            # 3.13's is_full() says True for an unbounded queue.
            return self.maxsize > 0 and _interpqueues.is_full(self._id)

        def qsize(self):
            return _interpqueues.get_count(self._id)

        def put(self, obj, block=True, timeout=None, *, unbounditems=None):
            """Add obj to the queue.

            If block is true this waits while the queue is full, at most
            timeout seconds (None: forever), then raises QueueFull.  Raises
            NotShareableError if obj can be neither shared nor pickled.
            unbounditems overrides the queue's default (see create_queue()).
            """
            if unbounditems is None:
                _, flag = _interpqueues.get_queue_defaults(self._id)
            else:
                flag = _unbound_flag(unbounditems)
            fmt, item = _pack(obj)
            _wait(lambda: _interpqueues.put(self._id, item, fmt, flag),
                  QueueFull, block, timeout)

        def put_nowait(self, obj, *, unbounditems=None):
            """put() without blocking: raises QueueFull if the queue is full."""
            self.put(obj, False, unbounditems=unbounditems)

        def get(self, block=True, timeout=None):
            """Remove and return the next object.

            If block is true this waits while the queue is empty, at most
            timeout seconds (None: forever), then raises QueueEmpty.  Raises
            NotShareableError if a pickled object does not unpickle here, and
            for an orphaned item see create_queue()'s unbounditems.
            """
            obj, fmt, flag = _wait(lambda: _interpqueues.get(self._id),
                                   QueueEmpty, block, timeout)
            if flag is not None:
                if _UNBOUND_BY_FLAG[flag] is UNBOUND_ERROR:
                    raise ItemInterpreterDestroyed(
                        "item's original interpreter destroyed")
                return UNBOUND
            if fmt != _PICKLED:
                return obj
            try:
                return pickle.loads(obj)
            except Exception as exc:
                raise NotShareableError(
                    f'a queued object could not be unpickled: {exc}') from exc

        def get_nowait(self):
            """get() without blocking: raises QueueEmpty if there is nothing."""
            return self.get(False)

    def _wait(attempt, busy_error, block, timeout):
        """Retry attempt() while it raises busy_error, polling with backoff."""
        if not block:
            return attempt()
        if timeout is not None:
            if timeout < 0:
                raise ValueError('timeout value must be non-negative')
            deadline = time.monotonic() + timeout
        delay = 0.0001
        while True:
            try:
                return attempt()
            except busy_error:
                if timeout is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise
                    delay = min(delay, left)
                time.sleep(delay)
                delay = min(delay * 2, 0.01)

    _interpqueues._register_heap_types(Queue, QueueEmpty, QueueFull)
