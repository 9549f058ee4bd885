"""``InterpSettings``: the extension's settings, as IPython configurables.

Set them like any IPython setting: ``%config InterpSettings.spares = 0`` in a cell,
``c.InterpSettings.spares = 4`` in ``ipython_config.py`` / ``ipython_kernel_config.py``.
A change takes effect at once.
"""

from traitlets import Int, observe
from traitlets.config import Configurable


class InterpSettings(Configurable):
    """Settings of the ``%%interp`` magics of one shell."""

    spares = Int(
        1,
        min=0,
        config=True,
        help="Warm spares: isolated interpreters started in the background ahead of need, so that "
             "`%%interp NEW` (and an InterpreterExecutor's workers) start at once. Each costs about "
             "2.3 MB; none is built while interpreter cells run on every core. 0 turns them off; "
             "raise it to the number of executor workers to start them all at once.",
    )

    def __init__(self, manager, **kwargs):
        self._manager = None  # the config given through ``parent`` is applied in super().__init__
        super().__init__(**kwargs)
        self._manager = manager
        manager.spares = self.spares

    @observe("spares")
    def _spares_changed(self, change):
        if self._manager is not None:
            self._manager.spares = change.new
