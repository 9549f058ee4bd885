"""Exceptions of the session layer. Every message says what was wrong and what to do."""


class InterpError(Exception):
    """Base class of interp_kernel's errors."""


class BadNameError(InterpError, ValueError):
    """An interpreter or queue name that is not an identifier (letters, digits, ``_``, ``-``)."""


class UnknownInterpreterError(InterpError, LookupError):
    """No interpreter of that name exists in this manager."""

    def __str__(self):
        return str(self.args[0]) if self.args else "unknown interpreter"


class ConfigMismatchError(InterpError, ValueError):
    """An existing interpreter was asked for with another config."""


class SessionClosedError(InterpError):
    """The session was closed (or its interpreter died); create it again to go on."""


class SessionBusyError(InterpError):
    """The interpreter is still running another job (for example a ``--bg`` cell)."""


class NotTransferableError(InterpError, TypeError):
    """A value can be neither shared nor pickled into (or out of) an interpreter."""
