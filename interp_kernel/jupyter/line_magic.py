"""The ``%interp`` line magic: manage the interpreters that ``%%interp`` cells run in.

One method per sub-command (``_cmd_list``, ``_cmd_create`` ...), parsed by
:mod:`interp_kernel.jupyter.line_parser`; the work is done by the shell's
:class:`~interp_kernel.jupyter.context.InterpContext` and its Manager.
"""

import sys
import threading
import time

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from interp_kernel.errors import InterpError
from interp_kernel.jupyter.cell_magic import INTERRUPT_GRACE
from interp_kernel.jupyter.cells import CELL_MAGIC
from interp_kernel.jupyter.context import check_variables
from interp_kernel.jupyter.line_parser import LINE_PARSER, line_help, plain_help
from interp_kernel.jupyter.rendering import InterpTable, from_interp_error, one_line_error
from interp_kernel.views.table import interpreter_rows

def _warn_undestroyed(names, what_now):
    """Tell the user that these interpreters' old interpreter could not be destroyed."""
    if names:
        print(f"warning: {', '.join(names)} could not be destroyed (a thread of its own still runs, "
              f"or is stuck in a C call); {what_now}, and the old one will be cleaned up when the "
              f"kernel exits", file=sys.stderr)


@magics_class
class InterpLineMagics(Magics):
    """``%interp COMMAND ...`` (state in an InterpContext)."""

    def __init__(self, shell, context):
        super().__init__(shell)
        self.context = context

    @line_magic(CELL_MAGIC)
    def interp_line(self, line):
        try:
            args = LINE_PARSER.parse_argstring(line)
        except (UsageError, ValueError) as exc:  # ValueError: unbalanced quotes
            raise UsageError(f"%interp: {exc} (see %interp?)") from None
        command = args.command
        if command is None or command == "help":
            cell_doc = self.shell.find_cell_magic(CELL_MAGIC).__doc__ or ""
            print(line_help() + "\n\n" + plain_help(cell_doc))
            return None
        return getattr(self, "_cmd_" + command)(args)

    def _cmd_list(self, args):
        return InterpTable(interpreter_rows(self.context.manager.sessions(), self.context.in_background))

    def _cmd_create(self, args):
        for name in args.names:
            self.context.session(name, args.config)

    def _cmd_close(self, args):
        if args.all and args.names:
            raise UsageError("%interp close: give names or --all, not both")
        if not args.all and not args.names:
            raise UsageError("%interp close: give the names of interpreters to close, or --all")
        manager = self.context.manager
        names = manager.names() if args.all else args.names
        sessions = [self.context.session(name, create=False) for name in names]
        stuck = []
        for session in sessions:
            try:
                if not manager.close(session.name):
                    stuck.append(session.name)
            except InterpError:
                pass
        _warn_undestroyed(stuck, "it is closed")

    def _cmd_reset(self, args):
        sessions = [self.context.session(name, create=False) for name in args.names]
        stuck = []
        for session in sessions:
            try:
                self.context.manager.reset(session.name)
            except InterpError as exc:
                raise from_interp_error(exc) from None
            if session.stuck:
                stuck.append(session.name)
        _warn_undestroyed(stuck, "a fresh interpreter has its name")

    def _cmd_push(self, args):
        values = self.context.inputs(args.variables)
        self.context.push(self.context.session(args.name, create=False), values)

    def _cmd_pull(self, args):
        check_variables(args.variables)
        values = self.context.pull(self.context.session(args.name, create=False), args.variables)
        self.shell.user_ns.update(values)

    def _cmd_interrupt(self, args):
        for name in args.names:
            cell = self.context.background.get(name)
            if cell is not None and not cell.done:
                hit = cell.interrupt()
            else:
                hit = self.context.session(name, create=False).interrupt()
            print(f"interrupted {name}" if hit else f"{name} was not running")

    def _cmd_wait(self, args):
        cell = self.context.find_background(args.name)
        if cell is None:
            if args.name in self.context.manager:
                raise one_line_error("LookupError", f"no background job in {args.name!r} (start one with %%interp {args.name} --bg)")
            raise one_line_error("UnknownInterpreterError", f"no background job or interpreter named {args.name!r}")
        timeout = args.timeout
        if timeout is not None and not timeout >= 0:  # negative or nan
            raise UsageError(f"%interp wait: --timeout needs a number of seconds >= 0, not {timeout:g}")
        if timeout is not None and timeout > threading.TIMEOUT_MAX:
            timeout = None  # inf: as long as it takes
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            finished = cell.join(timeout)
        except KeyboardInterrupt:
            cell.interrupt()
            if not cell.join(INTERRUPT_GRACE):
                raise one_line_error(
                    "KeyboardInterrupt",
                    f"background job {cell.handle!r} did not stop within {INTERRUPT_GRACE:g} s (blocked in a C "
                    f"call such as a lock?); it goes on: %interp wait {args.name} again, or %interp reset",
                ) from None
        else:
            if not finished:
                left = "" if deadline is None else f" after {args.timeout:g} s"
                raise one_line_error("TimeoutError", f"background job {cell.handle!r} is still running{left}")
        return cell.wait()

    def _cmd_queue(self, args):
        try:
            q = self.context.manager.queue(args.qname, maxsize=args.maxsize)
        except InterpError as exc:
            raise from_interp_error(exc) from None
        except (ValueError, TypeError) as exc:
            raise one_line_error(type(exc).__name__, str(exc)) from None
        self.shell.user_ns[args.qname] = q

    def _cmd_dashboard(self, args):
        try:
            from interp_kernel.views.dashboard import Dashboard
        except ImportError as exc:
            raise one_line_error("ImportError", f"the dashboard needs ipywidgets ({exc})") from None
        context = self.context
        context.dashboards = [d for d in context.dashboards if d.running]
        dashboard = Dashboard(context.manager, bg_state=context.in_background)
        context.dashboards.append(dashboard)  # closed (its thread stopped) at shutdown
        return dashboard

    def _cmd_timeline(self, args):
        from interp_kernel.views.timeline import timeline_for

        if args.last is not None and args.last < 1:
            raise UsageError("%interp timeline: --last needs a positive number of runs")
        return timeline_for(self.context.manager, last=args.last, since_reset=args.since_reset, width=args.width)


InterpLineMagics.interp_line.__doc__ = (
    "Manage the subinterpreters that %%interp cells run in.\n\n"
    "Examples::\n\n"
    "    %interp list\n    %interp create worker --config legacy\n    %interp push worker data\n"
    "    %interp pull worker result\n    %interp interrupt job\n    %interp wait job --timeout 10\n"
    "    %interp queue q --maxsize 100\n    %interp dashboard\n    %interp timeline --last 10\n"
    "    %interp close --all\n\n" + line_help()
)
