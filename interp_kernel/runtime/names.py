"""The name checks: one home for each kind of name a user gives us.

* interpreter names (``%%interp worker``, ``Manager.session("worker")``): letters,
  digits, ``_`` and ``-``, starting with a letter or ``_`` — readable in labels such as
  ``[worker]`` and safe in file names;
* Python names (variables crossing with ``--in/--out``/push/pull, named queues, ``--bg``
  job names): identifiers that are not keywords, since they are bound with ``=``.

Both raise :class:`~interp_kernel.errors.BadNameError` saying what was wrong and what
to use instead. Neither blocks.
"""

import keyword
import re

from interp_kernel.errors import BadNameError

_INTERPRETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def check_interpreter_name(name):
    """Return ``name`` if it is a valid interpreter name, else raise BadNameError."""
    if not isinstance(name, str) or not _INTERPRETER_NAME.fullmatch(name):
        raise BadNameError(
            f"bad interpreter name {name!r}: use letters, digits, '_' and '-', starting with a letter or '_'"
        )
    return name


def check_python_name(name, what="variable"):
    """Return ``name`` if it can be bound as a Python name, else raise BadNameError.

    ``what`` names the thing in the message ("variable", "queue", "job").
    """
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise BadNameError(f"bad {what} name {name!r}: it must be a Python identifier that is not a keyword")
    return name
