"""The IPython extension: ``%load_ext interp_kernel`` / ``%unload_ext interp_kernel``.

Loading gives the shell one :class:`~interp_kernel.jupyter.context.InterpContext`
(created once, kept on the shell) and its
:class:`~interp_kernel.jupyter.settings.InterpSettings` (``%config``), registers the ``%%interp`` and ``%interp`` magics,
the cell-start guard's callbacks, the timeline's recorder, shell escapes that do not
fork (:mod:`interp_kernel.jupyter.shell`) and ``%interp`` tab completion. Unloading
shuts the interpreters down and removes all of it. The kernel
(:mod:`interp_kernel.jupyter.kernel`) loads it in its shell and reaches the context
through :func:`context_for`.
"""

import functools

from interp_kernel.jupyter.cell_magic import CellPreparer, InterpCellMagics
from interp_kernel.jupyter.cells import CELL_MAGIC
from interp_kernel.jupyter.context import InterpContext
from interp_kernel.jupyter.line_magic import InterpLineMagics
from interp_kernel.jupyter.line_parser import SUBCOMMANDS
from interp_kernel.jupyter import shell as shell_escapes
from interp_kernel.jupyter import main_hints
from interp_kernel.jupyter.rendering import log
from interp_kernel.jupyter.routing import Labeller
from interp_kernel.jupyter.settings import InterpSettings
from interp_kernel.runtime import lifecycle

_CONTEXT_ATTR = "_interp_context"

#: Seconds the interpreters get to end when the shell exits or the extension unloads.
SHUTDOWN_TIMEOUT = 3.0


def context_for(shell):
    """The InterpContext of this shell, or None before the extension loads."""
    return getattr(shell, _CONTEXT_ATTR, None)


def manager_for(shell):
    """The Manager of this shell (the one the magics use), or None before the extension loads."""
    context = context_for(shell)
    return context.manager if context is not None else None


def load_ipython_extension(ip):
    """Register %%interp / %interp in this shell (idempotent)."""
    context = context_for(ip)
    if context is None:
        context = InterpContext(ip)
        setattr(ip, _CONTEXT_ATTR, context)
        context.settings = InterpSettings(context.manager, parent=ip)  # starts the first spare
        ip.configurables.append(context.settings)
        lifecycle.at_exit(context.shutdown, SHUTDOWN_TIMEOUT)
    ip.register_magics(InterpCellMagics(ip, context), InterpLineMagics(ip, context))
    if context.cell_preparer is None:  # wakes a cell's interpreters before the magic runs
        context.cell_preparer = CellPreparer(context)
        ip.events.register("pre_run_cell", context.cell_preparer.pre_run_cell)
    from interp_kernel.runtime.executor import set_default_manager

    set_default_manager(context.manager, functools.partial(_task_output, context))  # workers in %interp list
    shell_escapes.install(ip)  # !cmd, aliases, %pip without forking Python (gh-139759)
    context.cell_start_guard.attach(ip)  # an interrupt landing in IPython's callbacks stops the cell
    main_hints.install(ip)  # legacy: numpy imported first in an interpreter fails in main
    try:
        from interp_kernel.jupyter.timeline_cells import attach

        attach(context.manager, ip)  # records runs and CPU activity for %interp timeline
    except Exception as exc:
        log(f"no timeline recording: {exc!r}")
    try:
        ip.set_hook("complete_command", _complete_line_magic, str_key="%" + CELL_MAGIC)
    except Exception:
        pass


def _task_output(context):
    """Where an InterpreterExecutor task submitted now prints: this cell, ``[worker] ``-labelled."""
    router = context.router
    target = router.target()
    return lambda worker: Labeller(router, target, worker)


def unload_ipython_extension(ip):
    """Shut the interpreters down and remove the magics."""
    context = context_for(ip)
    if context is None:
        return
    context.shutdown(SHUTDOWN_TIMEOUT)
    from interp_kernel.runtime.executor import set_default_manager

    set_default_manager(None)
    shell_escapes.uninstall(ip)
    context.cell_start_guard.detach(ip)
    if context.cell_preparer is not None:
        ip.events.unregister("pre_run_cell", context.cell_preparer.pre_run_cell)
    try:
        from interp_kernel.jupyter.timeline_cells import detach

        detach(context.manager)
    except Exception:
        pass
    lifecycle.cancel(context.shutdown)
    if context.settings in ip.configurables:
        ip.configurables.remove(context.settings)
    for kind in ("line", "cell"):
        ip.magics_manager.magics[kind].pop(CELL_MAGIC, None)
    setattr(ip, _CONTEXT_ATTR, None)


def _complete_line_magic(shell, event):
    """Tab completion for ``%interp``: sub-commands, then interpreter / handle names."""
    words = event.line.split()
    typing_new = event.line.endswith(" ")
    position = len(words) - (0 if typing_new else 1)
    if position <= 1:
        return list(SUBCOMMANDS)
    context = context_for(shell)
    names = context.manager.names() if context else []
    if words[1] in ("interrupt", "wait") and context:
        names = names + list(context.background)
    if words[1] in ("push",) and position >= 3:
        return [n for n in shell.user_ns if not n.startswith("_")]
    return names
