"""What the ``%%interp`` and ``%interp`` magics of one IPython shell share.

One :class:`InterpContext` per shell (made by :mod:`interp_kernel.jupyter.extension`):
the :class:`~interp_kernel.runtime.manager.Manager` whose interpreters the cells run
in, the output :class:`~interp_kernel.jupyter.routing.Router`, the background cells
by handle, the dashboards opened, the cell-start guard; and the steps both magics
take, each turning the runtime's errors into one-line errors of the magics.
"""

from interp_kernel.errors import InterpError
from interp_kernel.jupyter.rendering import (
    InterpMagicError,
    cell_error,
    from_interp_error,
    one_line_error,
    result_object,
)
from interp_kernel.jupyter.routing import Router
from interp_kernel.jupyter.sigint import CellStartGuard
from interp_kernel.runtime.names import check_python_name


def check_variables(names, what="variable"):
    """Raise a one-line BadNameError unless every name is a Python identifier (no keyword)."""
    try:
        for name in names:
            check_python_name(name, what)
    except InterpError as exc:
        raise from_interp_error(exc) from None


class InterpContext:
    """The per-shell state of the magics (see the module docstring).

    ``background`` maps a handle to its latest
    :class:`~interp_kernel.jupyter.background.BackgroundCell`.
    """

    def __init__(self, shell, manager=None):
        if manager is None:
            from interp_kernel.runtime.manager import Manager

            manager = Manager()
        self.shell = shell
        self.manager = manager
        self.router = Router(shell)
        self.background = {}  # handle -> BackgroundCell (latest per handle)
        self.dashboards = []  # Dashboard widgets opened by %interp dashboard
        self.cell_start_guard = CellStartGuard()
        self.settings = None  # InterpSettings, set by the extension
        self.cell_preparer = None  # a cell_magic.CellPreparer, set by the extension

    # -- interpreters ------------------------------------------------------------------

    def session(self, name, config=None, create=True):
        """The Session named ``name`` (created with ``config`` when ``create``).
        Blocks while a new interpreter starts; one-line errors."""
        try:
            if create:
                return self.manager.session(name, config=config)
            return self.manager.get(name)
        except InterpError as exc:
            raise from_interp_error(exc) from None
        except RuntimeError as exc:  # the interpreter could not start
            raise one_line_error("InterpError", str(exc)) from None

    def inputs(self, names):
        """Values of main variables for --in / push (Session.push checks they can cross
        before it binds any)."""
        check_variables(names)
        values = {}
        user_ns = self.shell.user_ns
        for name in names:
            if name not in user_ns:
                raise one_line_error("NameError", f"name {name!r} is not defined in the main interpreter")
            values[name] = user_ns[name]
        return values

    def push(self, session, values):
        """Bind ``values`` in the interpreter's ``__main__``; one-line errors."""
        try:
            session.push(**values)
        except InterpError as exc:
            raise from_interp_error(exc) from None
        except KeyboardInterrupt as exc:
            raise one_line_error("KeyboardInterrupt", str(exc) or "push interrupted") from None

    def pull(self, session, names):
        """A dict name -> value of the interpreter's variables; one-line errors."""
        try:
            values = session.pull(*names)
        except NameError as exc:
            raise one_line_error("NameError", f"[{session.name}] {exc}") from None
        except InterpError as exc:
            raise from_interp_error(exc) from None
        except KeyboardInterrupt as exc:
            raise one_line_error("KeyboardInterrupt", str(exc) or "pull interrupted: nothing was bound") from None
        return values if len(names) > 1 else {names[0]: values}

    def conclude(self, names, results, outputs):
        """After the runs of a cell: apply --out, build the result or the error.

        Returns (error or None, result object or None); raises nothing of its own.
        """
        failures = {n: results[n].error for n in names if not results[n].ok}
        value = result_object(names, results)
        if failures:
            return cell_error(failures, labelled=len(names) > 1), value
        if outputs:
            try:
                pulled = {n: self.pull(self.session(n, create=False), outputs) for n in names}
            except Exception as exc:
                return (exc if isinstance(exc, InterpMagicError) else from_interp_error(exc)), value
            for var in outputs:
                if len(names) == 1:
                    self.shell.user_ns[var] = pulled[names[0]][var]
                else:
                    self.shell.user_ns[var] = {n: pulled[n][var] for n in names}
        return None, value

    # -- background cells -----------------------------------------------------------------

    def add_background(self, cell):
        """Remember ``cell`` under its handle (the latest one of a handle wins)."""
        self.background.pop(cell.handle, None)
        self.background[cell.handle] = cell

    def find_background(self, name):
        """The background cell with this handle, else the latest one running in the
        interpreter ``name``, else None."""
        cell = self.background.get(name)
        if cell is not None:
            return cell
        for cell in reversed(list(self.background.values())):
            if name in cell.names:
                return cell
        return None

    def in_background(self, session):
        """True while a background cell runs in ``session``."""
        return any(cell.running_in(session) for cell in self.background.values())

    # -- lifetime -------------------------------------------------------------------------

    def shutdown(self, timeout=3.0):
        """Close the dashboards and every interpreter, within about ``timeout`` seconds;
        returns the names of interpreters that could not be destroyed."""
        for dashboard in self.dashboards:
            try:
                dashboard.close()
            except Exception:
                pass
        self.dashboards = []
        return self.manager.shutdown(timeout)
