"""Work the benchmarks hand out: importable, so spawn-started processes find it."""

#: CPU-bound pure Python, defined the same way in every contender (kernel, interpreters,
#: engines, pool workers) by executing this source.
WORK_SOURCE = """\
def work(n):
    t = 0
    for i in range(n):
        t += i * i % 7
    return t
"""

exec(WORK_SOURCE)


def noop():
    pass


def pid(_=None):
    """This process's id (after a short nap, so that a pool spreads calls over its workers)."""
    import os
    import time

    time.sleep(0.05)
    return os.getpid()
