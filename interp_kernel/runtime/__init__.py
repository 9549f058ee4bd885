"""The main side without Jupyter: the plain-Python API under the magics.

``manager`` (the named sessions of a process), ``session`` (one interpreter and its
agent), ``jobs`` (the unit of work and its result), ``transfers`` (push and pull),
``encoding`` (how their values are encoded), ``calls`` (``Session.call``),
``executor`` (``InterpreterExecutor``), ``names`` (the one check of interpreter and variable names),
``lifecycle`` (every exit and fork hook). It imports the base modules
(``errors``, ``_protocol``, ``_queue``, ``_core``) and ``compat``; never ``agent``
(which runs inside the interpreters and is reached only through the protocol),
``views`` or ``jupyter``.
"""
