"""The ``%%interp`` cell magic: run a cell's body in named subinterpreters.

A foreground cell blocks until every interpreter has run it (the kernel's interrupt
stops them all); ``--bg`` returns at once with a
:class:`~interp_kernel.jupyter.background.BackgroundCell`. Either way the output goes
to the cell that started it (:mod:`interp_kernel.jupyter.routing`).
"""

import time

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, kwds, magic_arguments, parse_argstring

from interp_kernel.jupyter.background import BackgroundCell, status_line
from interp_kernel.jupyter.cells import CELL_MAGIC, split_interp_cell
from interp_kernel.jupyter.context import check_variables
from interp_kernel.jupyter.rendering import log, one_line_error
from interp_kernel.jupyter.routing import Labeller
from interp_kernel.jupyter.sigint import InterruptGate
from interp_kernel.runtime.session import CONFIGS

#: How long an interrupted foreground cell may take to stop before the magic gives up
#: waiting (the cell then goes on in the background).
INTERRUPT_GRACE = 2.0


@magics_class
class InterpCellMagics(Magics):
    """``%%interp``: a cell run in named subinterpreters (state in an InterpContext)."""

    #: Lines parsed, kept (argparse costs ~50 µs a cell, a third of what the magic adds).
    PARSED_KEPT = 256

    def __init__(self, shell, context):
        super().__init__(shell)
        self.context = context
        self._parsed = {}  # line -> its arguments (a Namespace nobody changes)

    @magic_arguments(name="%" + CELL_MAGIC)  # usage line: %%interp ...
    @kwds(usage="%(prog)s NAME [NAME ...] [--config {isolated,legacy}] [--in VAR [VAR ...]] "
                "[--out VAR [VAR ...]] [--bg [JOB]]")
    @argument("names", nargs="+", metavar="NAME",
              help="interpreters to run the cell in (created on first use); several run in parallel")
    @argument("--config", choices=CONFIGS, default=None,
              help="config of interpreters created now: isolated (own GIL, the default) or legacy (shared GIL)")
    @argument("--in", dest="inputs", nargs="+", action="extend", default=[], metavar="VAR",
              help="copy these main variables into the interpreters first")
    @argument("--out", dest="outputs", nargs="+", action="extend", default=[], metavar="VAR",
              help="copy these variables back into main after success (several interpreters: a dict name -> value)")
    @argument("--bg", nargs="?", const="", default=None, metavar="JOB",
              help="run in the background: return at once; JOB names the handle (for %%interp wait/interrupt)")
    @cell_magic(CELL_MAGIC)
    def interp_cell(self, line, cell):
        """Run the cell's body in the named subinterpreter(s).

        The body is plain Python. Its output streams live into this cell (labelled
        ``[name]`` with several interpreters), the value of a trailing expression is
        the cell's result (with its rich reprs), an exception shows the interpreter's
        traceback. The kernel's interrupt stops the cell; the interpreters keep their
        state. Put the interpreter names first: ``%%interp a b --in x --out y``.
        """
        with InterruptGate() as gate:
            args = self._parse(line)
            names = list(args.names)
            context = self.context
            values = context.inputs(args.inputs)
            sessions = [context.session(name, args.config) for name in names]
            # (main's own streams need no flush here: the body prints nothing in main, and
            # with ipykernel a flush is a round trip to its IO thread)
            target = context.router.target()
            target.background = args.bg is not None
            self._say_who_is_busy(sessions, target)
            for session in sessions:
                if values:
                    context.push(session, values)
            if args.bg is not None:
                return self._run_in_background(args, sessions, cell, target)
            jobs = self._submit(sessions, cell, target, direct=True)
            return self._run_in_foreground(names, jobs, target, args.outputs, gate)

    # -- the steps ----------------------------------------------------------------------

    def _parse(self, line):
        args = self._parsed.get(line)
        if args is not None:
            return args
        try:
            args = parse_argstring(self.interp_cell, line)
        except (UsageError, ValueError) as exc:  # ValueError: unbalanced quotes
            raise UsageError(f"%%interp: {exc} (see %%interp?)") from None
        for name in args.names:
            if args.names.count(name) > 1:
                raise UsageError(f"%%interp: interpreter {name!r} is named twice (see %%interp?)")
        check_variables(args.inputs)
        check_variables(args.outputs)
        if args.bg:
            check_variables([args.bg], "job")
        if len(self._parsed) >= self.PARSED_KEPT:
            self._parsed.clear()
        self._parsed[line] = args
        return args

    def _say_who_is_busy(self, sessions, target):
        """A stderr line for each interpreter that must finish something else first."""
        for session in sessions:
            if session.current is not None:
                busy = self.context.find_background(session.name)
                what = f"background job {busy.handle!r}" if busy is not None and not busy.done else "running cell"
                self.context.router.stream(target, "stderr", f"[{session.name}] waiting for its {what} to finish first\n")

    def _submit(self, sessions, cell, target, status=None, direct=False):
        """Queue the cell in every session; returns name -> runtime Job. ``direct``
        (a foreground cell, which waits for its jobs itself): their ends come straight
        to the waiting thread (one thread wake-up less, see
        :mod:`interp_kernel.runtime.direct`)."""
        router = self.context.router
        code = _code(cell)
        multi = len(sessions) > 1
        jobs = {}
        try:
            for session in sessions:
                jobs[session.name] = session.submit(
                    code,
                    on_output=Labeller(router, target, session.name if multi else None, status),
                    on_display=lambda data, metadata, _t=target, **kw: router.display(_t, data, metadata, **kw),
                    on_clear=lambda wait, _t=target: router.clear(_t, wait),
                    on_input=lambda prompt, password, _t=target: router.ask(_t, prompt, password),
                    filename=_filename(self.shell, session.name),
                    direct=direct,
                )
        except BaseException:
            for job in jobs.values():  # nobody will wait for them: their ends go to the reader
                if job.reply is not None:
                    job.reply.close()
            raise
        return jobs

    def _run_in_background(self, args, sessions, cell, target):
        """``--bg``: submit, bind the handle, return at once."""
        names = [session.name for session in sessions]
        handle = args.bg or "+".join(names)
        status = status_line(handle, names, self.shell)
        if status is not None:
            try:  # shown first, above the cell's output
                status.start()
            except Exception as exc:
                log(f"could not show the status line of {handle!r}: {exc!r}")
        try:
            jobs = self._submit(sessions, cell, target, status)
        except BaseException as exc:
            if status is not None:
                status.finish("error", 0.0, type(exc).__name__)
            raise
        background = self._background_cell(handle, names, jobs, target, args.outputs, status)
        if args.bg:
            self.shell.user_ns[args.bg] = background
        # the live status line shows the cell; a repr here would say "running" forever
        return None if status is not None else background

    def _background_cell(self, handle, names, jobs, target, outputs, status=None):
        context = self.context
        cell = BackgroundCell(handle, names, jobs, target, context.router,
                              lambda results: context.conclude(names, results, outputs), status)
        context.add_background(cell)
        cell.start()
        return cell

    def _run_in_foreground(self, names, jobs, target, outputs, gate):
        """Wait for the jobs; returns the cell's result or raises its error."""
        router = self.context.router
        if not self._wait(jobs, target, gate):
            self._left_running(names, jobs, target)
        router.flush(target=target)
        results = {name: job.result for name, job in jobs.items()}
        gate.pending = False
        gate.open = bool(outputs)  # an interrupt stops --out's pulls (a slow __reduce__)
        try:
            error, value = self.context.conclude(names, results, outputs)
        finally:
            gate.open = False
        if error is not None:
            if value is not None and len(names) > 1:
                from IPython.display import display

                display(value)
            raise error
        return value

    def _left_running(self, names, jobs, target):
        """An interrupted cell that did not stop (blocked in a C call?) goes on in the
        background; raises the KeyboardInterrupt that says so."""
        handle = "+".join(names)
        running = [n for n, j in jobs.items() if not j.finished()]
        queued = [n for n in running if jobs[n].started == 0.0]
        target.background = True
        self._background_cell(handle, names, jobs, target, [])
        self.context.router.flush()
        if queued:
            why = f"{', '.join(queued)} had not started yet (waiting for an earlier job)"
        else:
            why = (f"{', '.join(running)} did not stop within {INTERRUPT_GRACE:g} s "
                   f"(blocked in a C call such as time.sleep or a lock?)")
        raise one_line_error(
            "KeyboardInterrupt",
            f"{why}; the cell goes on in the background and its output still comes here: "
            f"%interp interrupt {running[0]} again, %interp wait {handle}, or %interp reset {running[0]}",
        )

    def _wait(self, jobs, target, gate):
        """Wait for foreground jobs; an interrupt stops them all (KeyboardInterrupt in each).

        ``gate`` (an InterruptGate) lets an interrupt that came while the cell started
        stop it now. Returns False if a job did not stop within INTERRUPT_GRACE.
        """
        try:
            gate.open = True
            if gate.pending:
                raise KeyboardInterrupt
            for job in jobs.values():
                job.wait_done()
            return True
        except KeyboardInterrupt:
            pass
        finally:
            gate.open = False
        gate.pending = False
        target.cancelled.set()
        deadline = time.monotonic() + INTERRUPT_GRACE
        delivered = set()
        while True:
            # An interrupt reaches a job once it runs its cell's code: until then (queued,
            # or still compiling) try again, but never twice (its handlers may be running).
            for name, job in jobs.items():
                if name not in delivered and not job.finished() and job.session.current is job:
                    if job.session.interrupt():
                        delivered.add(name)
            running = [job for job in jobs.values() if not job.finished()]
            left = deadline - time.monotonic()
            if not running or left <= 0:
                break
            retry = any(name not in delivered for name, job in jobs.items() if not job.finished())
            running[0].wait_done(min(left, 0.005) if retry else left)
        return all(job.finished() for job in jobs.values())



class CellPreparer:
    """Wakes the interpreters of an ``%%interp`` cell that is about to run: each idle
    one compiles the body and watches for its command
    (:meth:`~interp_kernel.runtime.session.Session.wake`) while IPython still parses
    the cell, so the cell's round trip waits for neither.

    ``InterpKernel`` calls :meth:`early` as soon as an execute request arrives;
    elsewhere IPython's ``pre_run_cell`` event (:meth:`pre_run_cell`) does it, later.
    Interpreters that do not exist yet are left alone. Never raises.
    """

    def __init__(self, context):
        self.context = context
        self._early = None  # the source woken for by early(), which pre_run_cell skips once

    def early(self, source):
        self._early = source
        self._wake(source)

    def pre_run_cell(self, info=None):
        source = getattr(info, "raw_cell", None)
        early, self._early = self._early, None
        if source != early:
            self._wake(source)

    def _wake(self, source):
        parts = split_interp_cell(source) if isinstance(source, str) else None
        if parts is None:
            return
        names, _, offset = parts
        body = source[offset:]
        if body and not body.endswith("\n"):  # as IPython hands it to the magic
            body += "\n"
        code = _code(body)
        for name in names:
            try:
                session = self.context.manager.get(name)
            except Exception:  # not made yet, not a name (``$name``: expanded later), shut down
                continue
            session.wake(code)


def _code(cell):
    """What the interpreter runs for a cell's body: line numbers are the cell's (line 1
    is the %%interp line)."""
    return "\n" + cell


def _filename(shell, name):
    result = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    count = getattr(result, "execution_count", None)
    if count is None:
        count = getattr(shell, "execution_count", 0)
    return f"<interp {name}: In [{count}]>"
