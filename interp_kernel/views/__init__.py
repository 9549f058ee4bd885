"""Pictures of the runtime's state: what a person looks at, not what runs.

``dashboard`` (a live ipywidgets table of a manager's interpreters with Interrupt /
Reset / Close buttons, and its text form), ``table`` (the interpreters table and its
state words, shared by the dashboard and ``%interp list``), ``recorder`` (CPU samples of
running interpreters and main's own runs), ``lanes`` (when each run was on a CPU, in
seconds), ``timeline`` (the SVG picture of who ran when), ``units`` (how durations
read) and ``progress`` (a live bar while futures finish).

May import ``runtime``, ``compat`` and the base modules (``errors``, ``_protocol``,
``_queue``, ``_core``), never ``jupyter``: whatever hooks IPython lives there (main's
cells on the timeline: ``jupyter/timeline_cells.py``).
"""
