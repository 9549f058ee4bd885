"""Explanations added to the errors people hit daily with subinterpreters.

Pure functions of an error's name, message and the cell's code; the agent adds
them to error payloads (``agent.tracebacks``), inside the interpreter that failed.
"""

import re

_REFUSED = re.compile(r"module (\S+) does not support loading in subinterpreters")
_ONCE_PER_PROCESS = re.compile(
    r"one interpreter per process|once per process|more than once per process|Interpreter change detected"
)
_IPYTHON_LINE = re.compile(
    r"^\s*(%%?[A-Za-z_]\w*|!\S|\?\??[A-Za-z_][\w.]*\s*$|[A-Za-z_][\w.]*\?\??\s*$)",  # %magic, !cmd, ?x, x?
    re.MULTILINE,
)


def refused_module_hint(module):
    """Why ``module`` failed to import here, and what to do instead."""
    top = module.split(".")[0]
    return (
        f"hint: the extension module {module!r} refuses to load in an isolated subinterpreter "
        f"(it has not declared support for per-interpreter state). "
        f"Options: run this code in the main interpreter (a normal cell); or use an interpreter "
        f"created with --config legacy, where such modules can load — but only the first "
        f"interpreter in the process that imports {top!r} (main included) can use it; "
        f"or use a process pool for work that needs {top!r}."
    )


def once_per_process_hint():
    """Why a module that loads only once per process failed in this interpreter."""
    return (
        "hint: this extension module can be loaded by only one interpreter per process, and "
        "another interpreter (often main, e.g. through the kernel itself) already loaded it. "
        "Use it from that interpreter, or move the work into a process pool."
    )


def hint_for(ename, evalue, code=""):
    """A one-paragraph hint for a known failure, or None.

    Never raises; unknown errors get None.
    """
    if ename == "ImportError":
        match = _REFUSED.search(evalue or "")
        if match:
            return refused_module_hint(match.group(1))
        if _ONCE_PER_PROCESS.search(evalue or ""):
            return once_per_process_hint()
    if ename in ("SyntaxError", "IndentationError") and code and _IPYTHON_LINE.search(code):
        return (
            "hint: the body of an %%interp cell is plain Python: IPython syntax such as "
            "%magics, !shell commands and ?help only works in normal cells."
        )
    return None
