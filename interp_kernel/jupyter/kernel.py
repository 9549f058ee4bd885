"""InterpKernel: the IPython kernel plus the %%interp magics.

Everything a Python kernel does keeps working in normal cells. In a cell that starts
with ``%%interp NAME``, completion and inspection are answered from inside that
interpreter. Shutdown and restart destroy every interpreter within a bound, even
when user code ignores interrupts or left a thread running.

Its shell is :class:`~interp_kernel.jupyter.kernel_shell.InterpShell`, which turns an
``%%interp`` cell into Python without tokenizing it. Two process-wide choices differ
from a stock IPython kernel: the SIGINT handler is
``sigint.CellStartGuard`` until each cell's code starts, and multiprocessing's default
start method is 'forkserver' on 3.13 as on 3.14 (a forked child of a process with
subinterpreters crashes).
"""

from ipykernel.ipkernel import IPythonKernel
from traitlets import Type

from interp_kernel._version import __version__
from interp_kernel.jupyter import crash_note
from interp_kernel.jupyter.cells import split_interp_cell
from interp_kernel.jupyter.extension import context_for, load_ipython_extension
from interp_kernel.jupyter.kernel_shell import InterpShell
from interp_kernel.jupyter.rendering import log
from interp_kernel.runtime import lifecycle
from interp_kernel.runtime.lifecycle import leave_if_stuck

#: Seconds the manager may take to destroy the interpreters at shutdown. jupyter_client
#: waits half its 5 s ``shutdown_wait_time`` for the kernel to exit, then sends SIGTERM:
#: this leaves the reply and the process exit about 1 s of those 2.5 s.
SHUTDOWN_TIMEOUT = 1.5

_CELL_OPTIONS = ("--config", "--in", "--out", "--bg")


def prefer_forkserver():
    """Make 'forkserver' multiprocessing's default start method where it is 'fork'
    (Python 3.13 on Linux; 3.14 already defaults to it), unless the user chose one.

    A forked child of a process with subinterpreters crashes (CPython gh-139759), so
    with 'fork' every process pool would hang once a cell ran in an interpreter.
    """
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()  # the first is the platform's default
    if (multiprocessing.get_start_method(allow_none=True) is None
            and methods[0] == "fork" and "forkserver" in methods):
        multiprocessing.set_start_method("forkserver")


class InterpKernel(IPythonKernel):
    """An IPython kernel whose ``%%interp`` cells run in named subinterpreters."""

    implementation = "interp_kernel"
    implementation_version = __version__
    shell_class = Type(InterpShell)  # %%interp cells skip IPython's tokenizing (see kernel_shell)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        prefer_forkserver()
        load_ipython_extension(self.shell)
        crash_note.install(self.shell, getattr(self.parent, "connection_file", None), log)
        self._stuck = []
        lifecycle.at_exit(self._exit_if_stuck)

    @property
    def banner(self):
        return (
            super().banner
            + "\ninterp_kernel: `%%interp NAME` runs a cell in the subinterpreter NAME; `%interp help` for more.\n"
        )

    # -- interrupts ----------------------------------------------------------------------------

    def pre_handler_hook(self):
        """Before an execute request, the SIGINT handler is our CellStartGuard instead of
        Python's default one (ipykernel's choice): an interrupt that arrives before the
        cell's code starts is raised when it starts, instead of landing in ipykernel's
        or IPython's own code (which drop it, or send no reply). An ``%%interp`` cell's
        interpreters are woken now, the earliest moment (see ``CellPreparer``)."""
        context = context_for(self.shell)
        parent = self.get_parent()
        if context is None or parent.get("header", {}).get("msg_type") != "execute_request":
            return super().pre_handler_hook()
        self.saved_sigint_handler = context.cell_start_guard.install()
        content = parent.get("content", {})
        if not content.get("silent") and context.cell_preparer is not None:
            context.cell_preparer.early(content.get("code"))  # an %%interp cell's interpreters wake now

    # -- completion and inspection -------------------------------------------------------------

    def _interp_target(self, code, cursor_pos):
        """(session, body, body_cursor, offset) when the cursor is in the body of an %%interp cell."""
        parsed = split_interp_cell(code)
        if parsed is None:
            return None
        names, first, offset = parsed
        if cursor_pos <= len(first) or not names:
            return None
        context = context_for(self.shell)
        if context is None or names[0] not in context.manager:
            return None
        session = context.manager.get(names[0])
        return session, code[offset:], cursor_pos - offset, offset

    def _complete_first_line(self, code, cursor_pos):
        parsed = split_interp_cell(code)
        if parsed is None:
            return None
        names, first, offset = parsed
        if cursor_pos > len(first) or cursor_pos <= len("%%interp"):
            return None
        start = cursor_pos
        while start > 0 and not code[start - 1].isspace():
            start -= 1
        token = code[start:cursor_pos]
        if token.startswith("-"):
            matches = [o for o in _CELL_OPTIONS if o.startswith(token)]
        else:
            previous = code[len("%%interp"):start].split()
            if previous and previous[-1] == "--config":
                matches = [c for c in ("isolated", "legacy") if c.startswith(token)]
            else:
                context = context_for(self.shell)
                existing = context.manager.names() if context else []
                matches = [n for n in existing if n.startswith(token)]
        return {"matches": matches, "cursor_start": start, "cursor_end": cursor_pos, "metadata": {}, "status": "ok"}

    async def do_complete(self, code, cursor_pos):
        if cursor_pos is None:
            cursor_pos = len(code)
        first = self._complete_first_line(code, cursor_pos)
        if first is not None:
            return first
        target = self._interp_target(code, cursor_pos)
        if target is None:
            return super().do_complete(code, cursor_pos)
        session, body, pos, offset = target
        reply = {"matches": [], "cursor_start": cursor_pos, "cursor_end": cursor_pos, "metadata": {}, "status": "ok"}
        try:
            matches, start, end = session.call_helper("complete", body, pos)
        except Exception:  # busy, closed or slow: no completions rather than main's
            return reply
        reply.update(matches=list(matches), cursor_start=start + offset, cursor_end=end + offset)
        return reply

    async def do_inspect(self, code, cursor_pos, detail_level=0, omit_sections=()):
        if cursor_pos is None:
            cursor_pos = len(code)
        target = self._interp_target(code, cursor_pos)
        if target is None:
            return super().do_inspect(code, cursor_pos, detail_level, omit_sections)
        session, body, pos, offset = target
        reply = {"status": "ok", "data": {}, "metadata": {}, "found": False}
        try:
            text = session.call_helper("inspect", body, pos)
        except Exception:
            return reply
        if text:
            reply.update(found=True, data={"text/plain": text})
        return reply

    # -- shutdown --------------------------------------------------------------------------------

    def shutdown_interpreters(self, timeout=SHUTDOWN_TIMEOUT):
        """Destroy every interpreter; remembers those that would not die."""
        context = context_for(self.shell)
        if context is None:
            return []
        try:
            stuck = context.shutdown(timeout)
        except Exception as exc:
            self.log.warning("interp_kernel: shutting the interpreters down failed: %r", exc)
            stuck = ["?"]
        self._stuck = list(stuck or [])
        if self._stuck:
            self.log.warning("interp_kernel: interpreters %s could not be destroyed; exiting hard", self._stuck)
        return self._stuck

    async def do_shutdown(self, restart):
        self.shutdown_interpreters()
        return super().do_shutdown(restart)

    def _exit_if_stuck(self):
        """At exit: if an interpreter could not be destroyed (a thread stuck in it), the
        interpreter's finalization would hang the process (gh-128639), so leave now."""
        if not self._stuck:
            context = context_for(self.shell)
            if context is not None and context.manager.sessions():
                self.shutdown_interpreters()
        # (stuck threads already had SHUTDOWN_TIMEOUT to end: a short grace keeps the
        # exit within jupyter_client's 2.5 s before SIGTERM)
        leave_if_stuck(0, grace=0.25)


__all__ = ["InterpKernel"]
