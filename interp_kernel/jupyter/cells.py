"""The ``%%interp`` cell recogniser: the one place that decides whether a cell's source
is an ``%%interp`` cell and splits its first line from its body.

Used by the kernel (completion and inspection inside a body), the cell-start guard
and the timeline's record of main-side cells. Never blocks, never raises.
"""

CELL_MAGIC = "interp"
_PREFIX = "%%" + CELL_MAGIC


def split_interp_cell(source):
    """``(names, first_line, body_offset)`` for a cell starting with ``%%interp``, else None.

    ``names`` are the words before the first option; ``body_offset`` is where the body
    starts in ``source``. ``%%interpolate`` and other longer magic names are not ours.
    """
    if not source.startswith(_PREFIX):
        return None
    newline = source.find("\n")
    first = source if newline < 0 else source[:newline]
    rest = first[len(_PREFIX):]
    if rest and not rest[0].isspace():
        return None
    names = []
    for word in rest.split():
        if word.startswith("-"):
            break
        names.append(word)
    return names, first, (len(source) if newline < 0 else newline + 1)


def is_interp_line_magic(line):
    """True for a line that calls the ``%interp`` line magic (not ``%interpolate``)."""
    line = line.strip()
    if not line.startswith("%" + CELL_MAGIC):
        return False
    rest = line[len(CELL_MAGIC) + 1:]
    return not rest or rest[0].isspace()
