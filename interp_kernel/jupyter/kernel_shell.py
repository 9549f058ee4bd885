"""InterpShell: the kernel's IPython shell, with a short way in for ``%%interp`` cells.

For any cell IPython first transforms the source to Python (``transform_cell``:
tokenizing it, then prefiltering a one-line result) and then compiles it once more to
decide whether it needs an event loop (``should_run_async``); in a kernel both happen
twice (ipykernel asks first, then IPython's ``run_cell``). An ``%%interp`` cell always
becomes one call, ``get_ipython().run_cell_magic('interp', line, body)``, which never
needs an event loop. So InterpShell has IPython's static transforms make that call,
once per cell, skips tokenizing and prefiltering it (they leave such a line as it is)
and answers ``False``.

Measured through a kernel (``benchmarks/p1_trees.py``, 250 rounds, both kernels side
by side): the ``%%interp w`` cell's overhead over a plain cell went from 0.43 / 0.54 ms
to 0.26 / 0.25 ms. Hot, the steps skipped take ~40 µs a cell; after the kernel idled
for 10 ms, as between a notebook's cells, they cost far more (cold caches).

The short way is taken only while IPython's transformer lists (static, token,
prefilter, post) are those the shell started with: with a transformer of the user's or
of an extension, every cell goes the whole way. Its result is what the whole way gives
for these cells (``tests/kernel/test_kernel_shell.py`` compares them). Everything else
is ZMQInteractiveShell's.
"""

from ipykernel.zmqshell import ZMQInteractiveShell

from interp_kernel.jupyter.cells import CELL_MAGIC, split_interp_cell

_CALL = f"get_ipython().run_cell_magic({CELL_MAGIC!r}, "


class InterpShell(ZMQInteractiveShell):
    """ZMQInteractiveShell whose ``%%interp`` cells skip tokenizing and the async check."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._started_with = self._transformers()
        self._written_for = self._written = None  # the last %%interp cell, and its call

    def _transformers(self):
        static = self.input_transformer_manager
        prefilter = self.prefilter_manager
        return (tuple(static.cleanup_transforms), tuple(static.line_transforms),
                tuple(static.token_transformers), tuple(prefilter.checkers),
                tuple(prefilter.transformers), tuple(self.input_transformers_post))

    def transform_cell(self, raw_cell):
        if raw_cell is self._written_for and self._transformers() == self._started_with:
            return self._written  # ipykernel transforms each cell, then IPython's run_cell again
        call = self._interp_call(raw_cell)
        if call is None:
            return super().transform_cell(raw_cell)
        self._last_input_line = call  # (as IPython's prefilter does)
        self._written_for, self._written = raw_cell, call + "\n"
        return self._written

    def should_run_async(self, raw_cell, *, transformed_cell=None, preprocessing_exc_tuple=None):
        if transformed_cell is not None and transformed_cell is self._written:
            return False
        return super().should_run_async(raw_cell, transformed_cell=transformed_cell,
                                        preprocessing_exc_tuple=preprocessing_exc_tuple)

    def _interp_call(self, raw_cell):
        """The Python line IPython makes of ``raw_cell`` when it is an ``%%interp`` cell
        (without its newline), else None. IPython's own static transforms make it; what
        is skipped (tokenizing the one line, prefiltering it) leaves such a line as it is."""
        if not isinstance(raw_cell, str) or split_interp_cell(raw_cell) is None:
            return None
        if self._transformers() != self._started_with:
            return None
        static = self.input_transformer_manager
        lines = (raw_cell if raw_cell.endswith("\n") else raw_cell + "\n").splitlines(keepends=True)
        for transform in static.cleanup_transforms + static.line_transforms:
            lines = transform(lines)
        if len(lines) != 1 or not lines[0].startswith(_CALL):  # not the call (prompts stripped?)
            return None
        return lines[0][:-1]
