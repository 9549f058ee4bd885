"""Compiling and running a cell in the interpreter's ``__main__``.

The statements run, then a trailing expression is evaluated on its own so that its
value can be shown (as a MIME bundle) and bound to ``_``. The cells' sources are
kept for tracebacks.
"""

import _ast
import sys

from interp_kernel import _core
from interp_kernel._protocol import ERROR, INTERRUPTED, OK
from interp_kernel.agent.frontend import mime_bundle

_ONLY_AST = 0x400  # ast.PyCF_ONLY_AST, without importing ast
_sources = {}  # cell filename -> source, for tracebacks (see register_sources)
_prepared = None  # (code, compiled, last): the cell compiled ahead (see prepare)
_PREPARED_AS = "<interp cell compiled ahead>"


def prepare(code):
    """Compile ahead the cell whose ``RUN`` is on its way, so that ``RUN`` finds it
    compiled (under its own file name then). A cell that does not compile is left for
    ``RUN`` to report."""
    global _prepared
    _prepared = None
    try:
        _prepared = (code, *_compile(code, _PREPARED_AS))
    except Exception:
        pass


def forget_prepared():
    global _prepared
    _prepared = None


def run_cell(code, filename):
    """Run a cell; returns ``(status, payload)`` for the ``DONE`` event.

    ``payload`` is the trailing expression's MIME bundle (None when there is none or
    it is None) with ``OK``, the error payload with ``ERROR`` or ``INTERRUPTED``.
    """
    global _prepared
    prepared, _prepared = _prepared, None
    _remember(code, filename)
    try:
        if prepared is not None and prepared[0] == code:
            compiled, last = _renamed(prepared[1], filename), _renamed(prepared[2], filename)
        else:
            compiled, last = _compile(code, filename)
    except SyntaxError as exc:
        from interp_kernel.agent.tracebacks import error_payload

        return ERROR, error_payload(exc, None, code)
    namespace = sys.modules["__main__"].__dict__
    try:
        value, bundle = _core.call_interruptible(_run_compiled, compiled, last, namespace)
    except BaseException as exc:
        from interp_kernel.agent.tracebacks import error_payload

        status = INTERRUPTED if isinstance(exc, KeyboardInterrupt) else ERROR
        return status, error_payload(exc, filename, code)
    if value is not None:
        namespace["_"] = value
    return OK, bundle


def register_sources():
    """Make the cells' sources known to linecache, so tracebacks show their lines."""
    import linecache

    for filename, code in _sources.items():
        _register(linecache, filename, code)


def _register(linecache, filename, code):
    if filename not in linecache.cache:
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)


def _remember(code, filename):
    """Keep the cell's source for tracebacks."""
    _sources[filename] = code
    linecache = sys.modules.get("linecache")
    if linecache is not None:  # once loaded, each new cell goes in (all of them: register_sources)
        _register(linecache, filename, code)


def _compile(code, filename):
    """Compile all statements, and a trailing expression separately so its value can be shown."""
    tree = compile(code, filename, "exec", _ONLY_AST)
    last = None
    if tree.body and isinstance(tree.body[-1], _ast.Expr):
        last = compile(_ast.Expression(tree.body.pop().value), filename, "eval")
    return compile(tree, filename, "exec"), last


def _renamed(compiled, filename):
    """``compiled`` (None or a code object) with its and its nested code objects' file name set."""
    if compiled is None:
        return None
    consts = tuple(_renamed(c, filename) if type(c) is type(compiled) else c for c in compiled.co_consts)
    return compiled.replace(co_filename=filename, co_consts=consts)


def _run_compiled(compiled, last, namespace):
    """Run the cell; returns the trailing expression's value and its MIME bundle, made
    here so that an interrupt stops a ``__repr__`` as it stops the cell's code."""
    exec(compiled, namespace)
    if last is None:
        return None, None
    value = eval(last, namespace)
    return value, None if value is None else mime_bundle(value)
