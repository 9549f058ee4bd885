"""The interpreters table as values and as plain text: one row per interpreter with its
name, id, config, state, cells run and last duration.

The state is one word of :data:`STATES`; a running interpreter whose job is a background
(``--bg``) cell reads ``background`` (:data:`BACKGROUND`) wherever it is shown: the
dashboard's state column, its text form, and ``%interp list``.
"""

from interp_kernel.views.units import format_duration

__all__ = ["BACKGROUND", "COLUMNS", "EMPTY", "STATES", "interpreter_rows", "state_of", "text_table"]

#: The state of a running interpreter whose job is a background cell.
BACKGROUND = "background"
#: Every state an interpreter is shown in.
STATES = ("idle", "running", BACKGROUND, "closed")
#: The columns of :func:`interpreter_rows`.
COLUMNS = ("name", "id", "config", "state", "cells run", "last duration")
#: What the text table says when there are no interpreters.
EMPTY = "no interpreters (create one with %interp create NAME or %%interp NAME)"


def state_of(session, in_background=None):
    """``session``'s state word: its own (idle / running / closed), or ``background``
    when it runs and ``in_background(session)`` is true. An exception raised by
    ``in_background`` counts as false (the state is still shown)."""
    state = session.state
    if state == "running" and in_background is not None:
        try:
            if in_background(session):
                return BACKGROUND
        except Exception:
            pass
    return state


def interpreter_rows(sessions, in_background=None):
    """One tuple of :data:`COLUMNS` values per session."""
    return [
        (s.name, s.id, s.config, state_of(s, in_background), s.cells_run, format_duration(s.last_duration))
        for s in sessions
    ]


def text_table(rows, columns=COLUMNS, empty=EMPTY):
    """``rows`` as a plain-text table: a header, a rule, columns padded to line up;
    ``empty`` when there are no rows."""
    if not rows:
        return empty
    table = [tuple(columns)] + [tuple(str(v) for v in row) for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
