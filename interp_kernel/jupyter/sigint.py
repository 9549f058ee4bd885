"""Ctrl-C (SIGINT) around the start and end of a cell: never lost, never raised in bookkeeping.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be when the
signal arrives. Two places make that dangerous for a cell that runs in another
interpreter:

* IPython runs the ``pre_execute`` and ``pre_run_cell`` callbacks under
  ``except (Exception, KeyboardInterrupt)``: an interrupt landing in one of them is
  printed as "Error in callback" and dropped, and the cell it was meant for starts
  anyway. A ``%%interp`` cell running ``while True: pass`` would then need a second
  press of the interrupt button. :class:`CellStartGuard` holds such an interrupt back
  and raises it just before the cell's code runs.
* The ``%%interp`` magic's own bookkeeping (submitting a job, a lock held): an
  interrupt there would leave the interpreter running with nobody to stop it.
  :class:`InterruptGate` lets it raise only where the magic waits for the cell.
  For a ``%%interp`` cell the guard hands over to the gate, so from the start of the
  request to the end of the magic an interrupt either stops the interpreter's code
  or stops the cell before anything ran.

Both act only in the main thread over Python's default handler (what IPython and
ipykernel install while a cell runs); elsewhere they do nothing.
"""

import ast
import signal
import threading

from interp_kernel.jupyter.cells import CELL_MAGIC


class _KeyboardInterruptBeforeTheCell(KeyboardInterrupt):
    """Raised instead of running a cell that was interrupted before its code started."""

    def _render_traceback_(self):  # IPython shows this instead of a traceback of ours
        return ["\x1b[0;31mKeyboardInterrupt\x1b[0m: interrupted before the cell's code started (nothing ran)"]


_KeyboardInterruptBeforeTheCell.__name__ = "KeyboardInterrupt"  # the error's name in the frontend


def _sigint_handler_of_main_thread():
    """The current SIGINT handler when called in the main thread, else None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.getsignal(signal.SIGINT)


class InterruptGate:
    """Holds back SIGINT while an ``%%interp`` cell starts and ends.

    While installed (``with InterruptGate() as gate:``) a SIGINT raises
    ``KeyboardInterrupt`` only while ``gate.open`` is true; otherwise it is remembered
    in ``gate.pending`` for the waiting code to take up. It takes over from Python's
    default handler or from a :class:`CellStartGuard` (and what that held back).
    """

    def __init__(self):
        self.open = False
        self.pending = False
        self._previous = None

    def __call__(self, signum, frame):
        if self.open:
            raise KeyboardInterrupt
        self.pending = True

    def __enter__(self):
        handler = _sigint_handler_of_main_thread()
        if handler is signal.default_int_handler or isinstance(handler, CellStartGuard):
            self._previous = signal.signal(signal.SIGINT, self)  # runs a pending SIGINT first
            if isinstance(self._previous, CellStartGuard):
                self.pending = self._previous.take_deferred() or self.pending
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            previous, self._previous = self._previous, None
            signal.signal(signal.SIGINT, previous)
        return False


def _calls_cell_magic(module, name):
    """True if ``module`` (a cell's AST) is one ``%%name`` cell magic, as IPython transforms it:
    ``get_ipython().run_cell_magic('name', line, body)``."""
    if len(module.body) != 1 or not isinstance(module.body[0], ast.Expr):
        return False
    call = module.body[0].value
    return (isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute) and call.func.attr == "run_cell_magic"
            and bool(call.args) and isinstance(call.args[0], ast.Constant) and call.args[0].value == name)


class CellStartGuard(ast.NodeTransformer):
    """Holds back a SIGINT that arrives while a cell is prepared, until its code starts.

    While it is the SIGINT handler, a SIGINT only sets ``deferred``. As the last AST
    transformer (IPython applies those after the ``pre_run_cell`` callbacks, just
    before it runs the cell's code) it raises the deferred ``KeyboardInterrupt``, which
    IPython reports as the cell's error: the cell does not run. Otherwise it puts
    Python's default handler back, except for a ``%%cell_magic`` cell, whose magic
    takes over with an :class:`InterruptGate`. Raised any earlier, the interrupt would
    land in IPython's callbacks, which drop it, or in ipykernel's code, which then
    sends no reply.

    ``InterpKernel`` installs it at the start of each execute request, which leaves no
    window, and when the cell is over (``post_execute``) it becomes the handler again,
    dropping interrupts until ipykernel restores its own at the end of the request: a
    KeyboardInterrupt landing while ipykernel sends the reply would lose the reply.
    Elsewhere (``%load_ext`` in IPython or ipykernel) the first ``pre_execute``
    callback installs it and ``post_execute`` puts Python's default handler back: an
    interrupt landing outside that is handled as IPython and ipykernel handle it.
    """

    def __init__(self, cell_magic=CELL_MAGIC):
        super().__init__()
        self.cell_magic = cell_magic
        self.deferred = False
        self.for_request = False  # installed by the kernel for a whole execute request
        self.cell_over = False  # the request's cell has ended: drop interrupts
        self.depth = 0  # cells running (a cell's code may run cells itself)

    def __call__(self, signum, frame):
        if not self.cell_over:
            self.deferred = True

    def take_deferred(self):
        """Whether a SIGINT was held back (and forget it)."""
        deferred, self.deferred = self.deferred, False
        return deferred

    def install(self, for_request=True):
        """Become the SIGINT handler, with nothing held back yet; returns the previous
        handler. Main thread only (ValueError elsewhere)."""
        self.deferred = self.cell_over = False
        self.for_request = for_request
        if for_request:
            self.depth = 0
        return signal.signal(signal.SIGINT, self)

    def pre_execute(self):
        """``pre_execute`` callback: take over from Python's default handler."""
        self.depth += 1
        if _sigint_handler_of_main_thread() is not signal.default_int_handler:
            return  # in InterpKernel: installed already; otherwise not ours to replace
        try:
            self.install(for_request=False)
        except KeyboardInterrupt:  # one was pending: signal.signal ran the default handler first
            signal.signal(signal.SIGINT, self)
            self.deferred = True

    def visit(self, node):
        """IPython's AST transformer hook: the cell's code runs next."""
        if signal.getsignal(signal.SIGINT) is not self:
            return node
        if not _calls_cell_magic(node, self.cell_magic):
            self._restore_default()  # runs a pending SIGINT first: held back too
        if self.take_deferred():
            self._restore_default()
            raise _KeyboardInterruptBeforeTheCell
        return node

    def post_execute(self):
        """``post_execute`` callback: the cell is over (or failed before its code ran,
        a syntax error); an interrupt held back since is dropped."""
        self.depth = max(0, self.depth - 1)
        self.deferred = False
        if self.for_request and self.depth == 0:
            self.cell_over = True
            handler = _sigint_handler_of_main_thread()
            if handler is not None and handler is not self:
                try:
                    signal.signal(signal.SIGINT, self)
                except KeyboardInterrupt:  # a pending one ran the old handler: the cell is over anyway
                    signal.signal(signal.SIGINT, self)
        else:
            self._restore_default()

    def _restore_default(self):
        if signal.getsignal(signal.SIGINT) is self:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def attach(self, shell):
        """Hook into ``shell`` (an IPython InteractiveShell); idempotent."""
        callbacks = shell.events.callbacks["pre_execute"]
        if self.pre_execute not in callbacks:
            callbacks.insert(0, self.pre_execute)  # before IPython's own callbacks
        if self.post_execute not in shell.events.callbacks["post_execute"]:
            shell.events.register("post_execute", self.post_execute)
        if self not in shell.ast_transformers:
            shell.ast_transformers.append(self)

    def detach(self, shell):
        for event, callback in (("pre_execute", self.pre_execute), ("post_execute", self.post_execute)):
            if callback in shell.events.callbacks[event]:
                shell.events.unregister(event, callback)
        if self in shell.ast_transformers:
            shell.ast_transformers.remove(self)
        self._restore_default()
