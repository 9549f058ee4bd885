"""The helpers a ``CALL`` command runs: completion, inspection and the list of names,
all on the interpreter's ``__main__``; and, for a warm spare taken into use, catching
up with main's ``sys.path`` and ``os.environ``.

Loaded on the first call.
"""

import sys

from interp_kernel._protocol import COMPLETE, ENVIRON, INSPECT, NAMES, OK


def call(helper, args):
    """Run the helper named ``helper``; returns ``(OK, its answer)``.

    Raises KeyError for an unknown helper (the loop reports it as an error).
    """
    return OK, _HELPERS[helper](*args)


def _complete(code, cursor_pos):
    import rlcompleter

    text = code[:cursor_pos]
    start = cursor_pos
    while start > 0 and (text[start - 1].isidentifier() or text[start - 1].isdigit() or text[start - 1] in "._"):
        start -= 1
    token = text[start:]
    completer = rlcompleter.Completer(sys.modules["__main__"].__dict__)
    matches = []
    for state in range(1000):
        match = completer.complete(token, state)
        if match is None:
            break
        matches.append(match.rstrip("("))
    return (sorted(set(matches)), start, cursor_pos)


def _inspect(code, cursor_pos):
    import inspect
    import pydoc

    text = code[:cursor_pos]
    end = cursor_pos
    while end < len(code) and (code[end].isalnum() or code[end] == "_"):
        end += 1
    start = cursor_pos
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._"):
        start -= 1
    name = code[start:end]
    if not name:
        return None
    namespace = sys.modules["__main__"].__dict__
    try:
        obj = eval(name, namespace)
    except Exception:
        return None
    try:
        signature = str(inspect.signature(obj))
    except (TypeError, ValueError):
        signature = ""
    doc = pydoc.getdoc(obj) or ""
    header = f"{name}{signature}" if signature else name
    return f"{header}\nType: {type(obj).__name__}\n\n{doc}".rstrip()


def _names():
    namespace = sys.modules["__main__"].__dict__
    return sorted(n for n in namespace if not n.startswith("_"))


def _environ(path, changed, removed):
    import os

    sys.path[:] = path
    os.environ.update(changed)
    for key in removed:
        os.environ.pop(key, None)


_HELPERS = {COMPLETE: _complete, INSPECT: _inspect, NAMES: _names, ENVIRON: _environ}
