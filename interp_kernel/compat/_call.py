"""Interpreter.call() on Python 3.13, whose ``_interpreters.call`` takes no arguments
and drops the result.

The caller puts the request (callable, arguments) into a raw ``_interpqueues`` queue
and runs a small script in the target's ``__main__`` that takes it, makes the call
*in that module-level frame* (so ``call(dir)``, ``call(eval, ...)`` and
``call(exec, ...)`` see the target's ``__main__``, as on 3.14) and puts the answer
back.  Each object travels in one of three forms: shared natively, a stateless
function as its code (rebuilt with the receiving ``__main__`` as globals, as 3.14
does), or pickled.  The script binds no names in ``__main__``.
"""

import marshal
import pickle
import sys
import types

import _interpqueues
import _interpreters
from _interpreters import NotShareableError

from interp_kernel.compat._crossinterp import (
    ExecutionFailed, natively_shareable, pickle_or_raise,
)

_SHARED, _PICKLED, _FUNCTION = 0, 1, 2       # how an object travels
_OK, _RAISED, _BADREQ, _BADRESULT = range(4)  # how the call ended
_QUEUE_FMT, _QUEUE_UNBOUND = 0, 3              # raw queue: shared items; orphans kept

# Runs in the target's __main__ (module level: the call sees __main__ as its frame).
_SERVE = (
    "try:\n"
    "    {m}._reply({q}, {m}._callable({q})(*{m}._args({q}), **{m}._kwargs({q})))\n"
    "except BaseException:\n"
    "    {m}._reply_failed({q})\n"
)
_MODULE = f'__import__({__name__!r}, fromlist=["_"])'


def call(interp_id, callable, args, kwargs):
    """Call callable(*args, **kwargs) in interpreter interp_id; return the result.

    The interpreter must already have imported this package (Interpreter's
    _ensure_ready).  Raises NotShareableError when the callable, an argument or
    the result cannot cross, ExecutionFailed when the call raises.
    """
    request = (_pack_callable(callable), tuple(_pack(a) for a in args),
               tuple((k, _pack(v)) for k, v in kwargs.items()))
    qid = _interpqueues.create(0, _QUEUE_FMT, _QUEUE_UNBOUND)
    try:
        _interpqueues.put(qid, request, _QUEUE_FMT, _QUEUE_UNBOUND)
        excinfo = _interpreters.exec(
            interp_id, _SERVE.format(m=_MODULE, q=qid), restrict=True)
        if excinfo is not None:  # our own script failed: a bug
            raise ExecutionFailed(excinfo)
        (status, payload), _, _ = _interpqueues.get(qid)
    finally:
        _interpqueues.destroy(qid)
    if status == _OK:
        return _unpack(payload)
    excinfo = _excinfo_from_tuple(payload)
    if status == _RAISED:
        raise ExecutionFailed(excinfo)
    what = ('the callable or its arguments' if status == _BADREQ
            else 'the result')
    raise NotShareableError(
        f'{what} could not cross into interpreter: '
        f'{excinfo.formatted}') from ExecutionFailed(excinfo)


# ---- the wire format ----

def _global_names(code):
    import dis
    names = {ins.argval for ins in dis.get_instructions(code)
             if ins.opname in ('LOAD_GLOBAL', 'STORE_GLOBAL',
                               'DELETE_GLOBAL', 'LOAD_NAME')}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def stateless_problem(func):
    """Why func is not stateless (None if it is), as 3.14 checks.

    A global name counts as a builtin only when func's module does not define
    it: ``__name__`` is in builtins too, but a function reading it reads its
    module's.
    """
    if type(func) is not types.FunctionType:
        return 'not a function'
    if func.__closure__:
        return 'closures not supported'
    if func.__defaults__:
        return 'defaults not supported'
    if func.__kwdefaults__:
        return 'keyword defaults not supported'
    builtins = func.__builtins__
    for name in _global_names(func.__code__):
        if name in func.__globals__ or name not in builtins:
            return 'globals not supported'
    return None


def _pack(obj):
    """(form, data): obj itself if it can be shared, a stateless function as its
    code, anything else pickled (NotShareableError if it cannot be)."""
    if natively_shareable(obj):
        return (_SHARED, obj)
    if stateless_problem(obj) is None:
        return (_FUNCTION, (marshal.dumps(obj.__code__), obj.__name__,
                            obj.__qualname__))
    return (_PICKLED, pickle_or_raise(obj))


def _pack_callable(func):
    problem = stateless_problem(func)
    if problem is None:
        return _pack(func)
    try:
        return (_PICKLED, pickle.dumps(func))
    except Exception as exc:
        msg = ('only stateless functions are shareable'
               if problem != 'not a function' else
               f'{func!r} is neither shareable nor picklable: {exc}')
        raise NotShareableError(msg) from ValueError(problem)


def _unpack(packed):
    form, data = packed
    if form == _PICKLED:
        return pickle.loads(data)
    if form == _FUNCTION:
        code, name, qualname = data
        func = types.FunctionType(marshal.loads(code),
                                  sys.modules['__main__'].__dict__, name)
        func.__qualname__ = qualname
        return func
    return data


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


# ---- the target's side (called by the _SERVE script) ----

_requests = {}  # qid -> (callable, args, kwargs), while its call runs


def _request(qid):
    if qid not in _requests:
        (func, args, kwargs), _, _ = _interpqueues.get(qid)
        func = _unpack(func)
        _requests[qid] = (func, tuple(_unpack(a) for a in args),
                          {k: _unpack(v) for k, v in kwargs})
    return _requests[qid]


def _callable(qid):
    return _request(qid)[0]


def _args(qid):
    return _request(qid)[1]


def _kwargs(qid):
    return _request(qid)[2]


def _put(qid, *response):
    _interpqueues.put(qid, response, _QUEUE_FMT, _QUEUE_UNBOUND)


def _reply(qid, result):
    del _requests[qid]
    try:
        packed = _pack(result)
    except NotShareableError as exc:
        return _put(qid, _BADRESULT, _excinfo_to_tuple(exc))
    _put(qid, _OK, packed)


def _reply_failed(qid):
    exc = sys.exception()
    if _requests.pop(qid, None) is None:  # the request did not unpickle here
        return _put(qid, _BADREQ, _excinfo_to_tuple(exc))
    exc.__traceback__ = exc.__traceback__.tb_next  # hide the _SERVE script
    _put(qid, _RAISED, _excinfo_to_tuple(exc))
