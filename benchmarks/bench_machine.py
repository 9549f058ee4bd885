"""The machine a benchmark runs on: its description for the record, its load, and
repetitions kept only while other processes leave the cores alone."""

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def cpu_snapshot():
    """(monotonic time, CPU seconds busy on the whole machine, CPU seconds of this process tree)."""
    import psutil

    me = psutil.Process()
    ours = 0.0
    for proc in [me] + me.children(recursive=True):
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        ours += t.user + t.system
        if proc is me:
            ours += t.children_user + t.children_system  # helpers that already ended
    total = psutil.cpu_times()
    busy = sum(getattr(total, f, 0.0) for f in ("user", "nice", "system", "irq", "softirq", "steal", "guest"))
    return time.monotonic(), busy, ours


#: A repetition of a parallel measure during which processes outside this run kept more
#: than this many cores busy is discarded and run again (P2; see `quiet_repetitions`).
QUIET_LIMIT = 0.15


def quiet_repetitions(one, reps, budget_s, limit=QUIET_LIMIT):
    """Call ``one()`` until ``reps`` calls ran while other processes left the cores alone.

    On a shared 2-core machine a parallel run loses a core to any other busy process,
    while a serial one does not notice: such repetitions would measure the neighbours.
    Returns (kept results, foreign-core figures of the discarded repetitions, foreign-core
    figures of disturbed repetitions that had to be kept): after ``budget_s`` seconds the
    least disturbed of the discarded ones fill the missing places, and the caller says so.
    """
    kept, discarded, deadline = [], [], time.monotonic() + budget_s
    while len(kept) < reps and time.monotonic() < deadline:
        before = cpu_snapshot()
        result = one()
        foreign = foreign_cores(before, cpu_snapshot())
        if foreign is not None and foreign > limit:
            discarded.append((foreign, result))
        else:
            kept.append(result)
    discarded.sort(key=lambda item: item[0])
    forced = discarded[:reps - len(kept)]
    kept.extend(result for _, result in forced)
    return kept, [f for f, _ in discarded[len(forced):]], [f for f, _ in forced]


def foreign_cores(before, after):
    """Average number of cores that processes outside this run kept busy between two snapshots."""
    elapsed = after[0] - before[0]
    if elapsed <= 0:
        return None
    return round(max(0.0, (after[1] - before[1]) - (after[2] - before[2])) / elapsed, 2)


def machine_info():
    from importlib import metadata

    versions = {}
    for dist in ("interp_kernel", "ipykernel", "jupyter_client", "ipython", "pyzmq", "ipyparallel", "psutil",
                 "tornado"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "interp_kernel", "core"], cwd=ROOT,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except Exception:
        commit, dirty = None, None
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import psutil

        memory_gib = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:
        memory_gib = None
    return {
        "python": sys.version.split()[0],
        "python_full": sys.version,
        "implementation": sys.implementation.name,
        "executable": sys.executable,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "platform": sys.platform,
        "kernel_release": os.uname().release,
        "packages": versions,
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
        "git_commit": commit,
        "product_tree_dirty": dirty,
    }
