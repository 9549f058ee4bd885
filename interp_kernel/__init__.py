"""interp_kernel: run notebook cells in named CPython subinterpreters.

``from interp_kernel import Manager`` gives the plain-Python API; ``%load_ext
interp_kernel`` adds the ``%%interp`` magics to any IPython. This module stays light:
it is also imported inside every subinterpreter (by the agent).
"""

from interp_kernel._version import __version__ as __version__

__all__ = [
    "InterpreterExecutor", "Manager", "Session", "progress", "load_ipython_extension", "unload_ipython_extension",
]


def __getattr__(name):
    if name == "Manager":
        from interp_kernel.runtime.manager import Manager

        return Manager
    if name == "Session":
        from interp_kernel.runtime.session import Session

        return Session
    if name == "InterpreterExecutor":
        from interp_kernel.runtime.executor import InterpreterExecutor

        return InterpreterExecutor
    if name == "progress":
        from interp_kernel.views.progress import progress

        return progress
    raise AttributeError(f"module 'interp_kernel' has no attribute {name!r}")


def load_ipython_extension(ipython):
    """Register the %%interp / %interp magics (``%load_ext interp_kernel``)."""
    from interp_kernel.jupyter.extension import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython):
    from interp_kernel.jupyter.extension import unload_ipython_extension as unload

    unload(ipython)
