"""Main's own IPython cells on the timeline, and switching the timeline's recording on and off.

``attach(manager, shell)`` (called by the extension) starts the manager's
:class:`~interp_kernel.views.recorder.ActivityRecorder` and hooks IPython's
``pre_run_cell`` / ``post_run_cell`` events so that each cell the main interpreter runs
becomes a RunRecord of session ``"main"`` in that recorder. ``detach(manager)`` undoes
both.
"""

import threading
import time
import weakref

from interp_kernel.jupyter.cells import is_interp_line_magic, split_interp_cell
from interp_kernel.runtime.jobs import RunRecord
from interp_kernel.views.recorder import close_recorder, recorder_for

__all__ = ["MainCells", "attach", "detach"]


class MainCells:
    """Hands the main interpreter's own cells to ``recorder`` as runs of ``"main"``.

    Cells that are ``%%interp`` cells or only ``%interp`` lines are not main's work
    (their runs are the interpreters') and are left out, and so are empty cells. The
    recorder samples main's CPU time during each cell (main shares its GIL with legacy
    interpreters). The event callbacks never raise.
    """

    def __init__(self, shell, recorder):
        self.shell = shell
        self.recorder = recorder
        self._current = None
        self._count = 0
        shell.events.register("pre_run_cell", self._pre)
        shell.events.register("post_run_cell", self._post)

    def _pre(self, info=None):
        source = getattr(info, "raw_cell", "") or ""
        self._current = None
        if not _is_main_work(source):
            return
        self._count += 1
        label = next((line.strip() for line in source.splitlines() if line.strip()), "")[:80]
        record = RunRecord("main", f"main-{self._count}", label, time.perf_counter())
        self._current = record
        self.recorder.start_main(record)

    def _post(self, result=None):
        record, self._current = self._current, None
        if record is None:
            return
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        if error is None:
            status = "ok"
        elif isinstance(error, KeyboardInterrupt) or type(error).__name__ == "KeyboardInterrupt":
            status = "interrupted"  # (the name: one-line errors are built under the original's name)
        else:
            status = "error"
        record.close(status)
        self.recorder.finish_main(record)

    def close(self):
        """Unhook the IPython events (the records stay in the recorder)."""
        for event, fn in (("pre_run_cell", self._pre), ("post_run_cell", self._post)):
            try:
                self.shell.events.unregister(event, fn)
            except ValueError:
                pass


def _is_main_work(source):
    """False for an empty cell, an ``%%interp`` cell, or one of only ``%interp`` lines and comments."""
    lines = [line.strip() for line in source.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        return False
    if split_interp_cell(source.lstrip()) is not None:
        return False
    return not all(is_interp_line_magic(line) for line in lines)


_main_cells = weakref.WeakKeyDictionary()  # manager -> MainCells
_main_cells_lock = threading.Lock()


def attach(manager, shell=None):
    """Record activity for ``manager``'s timeline (and ``shell``'s main cells); returns the
    recorder. Idempotent."""
    recorder = recorder_for(manager)
    if shell is not None:
        with _main_cells_lock:
            if manager not in _main_cells:
                _main_cells[manager] = MainCells(shell, recorder)
    return recorder


def detach(manager):
    """Stop recording for ``manager`` (waits up to 1 s for the sampler thread)."""
    with _main_cells_lock:
        cells = _main_cells.pop(manager, None)
    if cells is not None:
        cells.close()
    close_recorder(manager)
