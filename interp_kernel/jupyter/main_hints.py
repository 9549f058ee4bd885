"""Hints for errors of main cells that interpreters cause.

Under the ``legacy`` config, an extension module such as numpy loads in only one
interpreter per process: once an interpreter imported it, ``import numpy`` in main fails
("cannot load module more than once per process"). The explanation is the one the
agent adds inside interpreters (``agent.hints``, pure functions); here it is appended to
main's traceback through IPython's custom exception handler for ImportError.
"""

from interp_kernel.agent.hints import hint_for


def install(shell):
    """Add the hints to ImportErrors shown in ``shell``; leaves a custom exception
    handler someone else set alone."""
    if getattr(shell, "custom_exceptions", ()):
        return
    shell.set_custom_exc((ImportError,), _with_hint)


def _with_hint(shell, etype, value, tb, tb_offset=None):
    """Show IPython's traceback of the ImportError, plus a hint line when one applies
    (IPython's run_code ignores what a custom handler returns: it shows it here)."""
    stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=1 if tb_offset is None else tb_offset)
    hint = hint_for("ImportError", str(value))
    if hint is not None:
        stb = [*stb, hint]
    shell._showtraceback(etype, value, stb)
    return stb
