"""Everything that talks to IPython or ipykernel.

``extension`` (``%load_ext interp_kernel``) gives a shell one ``context.InterpContext``
and registers ``cell_magic`` (``%%interp``) and ``line_magic`` (``%interp``, parsed by
``line_parser``); ``routing`` sends a cell's output back to the cell that started it,
``rendering`` shows errors and results, ``background`` and ``bgstatus`` carry ``--bg``
cells, ``sigint`` keeps Ctrl-C around a cell's start, ``shell`` runs ``!cmd``, aliases
and ``%pip`` without forking Python, ``timeline_cells`` records main's own cells for the
timeline, ``cells`` is the one ``%%interp`` recogniser, ``main_hints`` adds the
interpreters' hints to main's ImportErrors; ``kernel`` is the InterpKernel,
``install`` its kernelspec, ``demo`` a headless notebook run. May import the runtime,
views, compat, the base modules and ``agent.hints`` (pure functions); nothing else of ours imports this package (but the
public ``interp_kernel.load_ipython_extension``).
"""
