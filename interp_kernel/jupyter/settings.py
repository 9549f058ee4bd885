"""``InterpSettings``: the extension's settings, as IPython configurables.

Set them like any IPython setting: ``%config InterpSettings.spares = 0`` in a cell,
``c.InterpSettings.spares = 4`` in ``ipython_config.py`` / ``ipython_kernel_config.py``.
A change takes effect at once.
"""

import sys

from traitlets import Int, default, observe
from traitlets.config import Configurable

#: CPython 3.13.0 (the first 3.13 release) crashed a starting kernel (a segfault in the
#: thread creating the first spare, while the kernel still imported its own modules): there
#: the spares are off unless asked for. Later 3.13 releases, 3.14 and 3.15 did not.
SPARES_OFF_BY_DEFAULT = sys.version_info[:3] == (3, 13, 0)


class InterpSettings(Configurable):
    """Settings of the ``%%interp`` magics of one shell."""

    spares = Int(
        min=0,
        config=True,
        help="Warm spares: isolated interpreters started in the background ahead of need, so that "
             "`%%interp NEW` (and an InterpreterExecutor's workers) start at once. Each costs about "
             "2.3 MB; none is built while interpreter cells run on every core. 0 turns them off; "
             "raise it to the number of executor workers to start them all at once. Default 1 "
             "(0 on CPython 3.13.0, where building one while the kernel started crashed it).",
    )

    @default("spares")
    def _default_spares(self):
        return 0 if SPARES_OFF_BY_DEFAULT else 1

    def __init__(self, manager, **kwargs):
        self._manager = None  # the config given through ``parent`` is applied in super().__init__
        super().__init__(**kwargs)
        self._manager = manager
        manager.spares = self.spares

    @observe("spares")
    def _spares_changed(self, change):
        if self._manager is not None:
            self._manager.spares = change.new
