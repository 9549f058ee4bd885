"""Runs one chunk of an executor ``map`` inside a worker interpreter.

A module of the base layer so that the chunk runner crosses by reference (a plain
pickle of its name) and a worker needs no cloudpickle for a map of an importable
function; :meth:`interp_kernel.InterpreterExecutor.map` sends it.
"""


def run_chunk(fn, chunk):
    """``[fn(*args) for args in chunk]``; the first exception propagates."""
    return [fn(*args) for args in chunk]
