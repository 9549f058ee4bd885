"""P10: a CPU-bound pure-Python map of equal tasks across a local cluster.

N units of parallelism (2 in quick mode, else min(4, cores)), 4·N equal tasks:
Dask 1 worker × N threads plain (the GIL serialises them), the same with
``in_interpreter`` (one interpreter per thread), N Dask worker processes; ipyparallel
N engines (``dview.map_sync``) vs 1 engine × N interpreters (one ``%%interp`` cell over
N names, each doing its share). RSS per unit of parallelism: the processes' RSS
(``/proc/<pid>/statm``) divided by N; with Dask threads the one process is this
benchmark's own (client, scheduler and worker together), so its RSS is an upper bound. Each contender starts its own cluster and stops it.
"""

import os
import sys
import time

from bench_records import Family

LOOPS = 300_000


def spin(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def _rss_mib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total / 2**20


def _dask(n, processes, wrap):
    import distributed

    kw = dict(n_workers=n, threads_per_worker=1) if processes else dict(n_workers=1, threads_per_worker=n)
    cluster = distributed.LocalCluster(processes=processes, dashboard_address=None, **kw)
    try:
        with distributed.Client(cluster) as client:
            fn = wrap(spin)
            client.gather(client.map(fn, [1000] * n, pure=False))  # warm: interpreters, imports
            t0 = time.perf_counter()
            client.gather(client.map(fn, [LOOPS] * (4 * n), pure=False))
            elapsed = time.perf_counter() - t0
            pids = client.run(os.getpid).values() if processes else [os.getpid()]
            return elapsed, _rss_mib(set(pids))
    finally:
        cluster.close()


def _ipp(n, interpreters):
    import ipyparallel as ipp

    cluster = ipp.Cluster(n=1 if interpreters else n)
    rc = cluster.start_and_connect_sync()
    try:
        dv = rc[:]
        dv.execute(f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})", block=True)
        if interpreters:
            names = " ".join(f"w{i}" for i in range(n))
            dv.execute("%load_ext interp_kernel", block=True)
            body = "def spin(n):\n    total = 0\n    for i in range(n):\n        total += i * i % 7\n    return total\n"
            dv.execute(f"%%interp {names}\n{body}spin(1000)", block=True)
            t0 = time.perf_counter()
            dv.execute(f"%%interp {names}\nfor _ in range(4):\n    spin({LOOPS})", block=True)
        else:
            dv.map_sync(spin, [1000] * n)
            t0 = time.perf_counter()
            dv.map_sync(spin, [LOOPS] * (4 * n))
        elapsed = time.perf_counter() - t0
        return elapsed, _rss_mib(set(dv.apply_sync(os.getpid)))
    finally:
        rc.close()
        cluster.stop_cluster_sync()


def run(ctx):
    n = 2 if ctx.quick else min(4, os.cpu_count() or 1)
    fam = Family("P10", f"CPU-bound map of {4 * n} equal tasks, {n} units of parallelism", "s")
    from interp_kernel import Session
    from interp_kernel.dask import in_interpreter

    contenders = [
        ("dask_threads", f"Dask 1 worker × {n} threads, plain", lambda: _dask(n, False, lambda f: f), False),
        ("dask_interp", f"Dask 1 worker × {n} threads, `in_interpreter`", lambda: _dask(n, False, in_interpreter), True),
        ("dask_procs", f"Dask {n} worker processes", lambda: _dask(n, True, lambda f: f), False),
        ("ipp_engines", f"ipyparallel {n} engines", lambda: _ipp(n, False), False),
        ("ipp_interp", f"ipyparallel 1 engine × {n} interpreters", lambda: _ipp(n, True), True),
    ]
    for key, label, fn, ours in contenders:
        if key.startswith("dask") and sys.version_info[:3] == (3, 13, 0):
            # a Dask worker in a process that has interpreters corrupts the heap there
            # (this run aborted at exit: "double free or corruption"); in_interpreter refuses 3.13.0
            fam.note(f"{label}: skipped on 3.13.0 (Dask next to interpreters aborts the process)")
            continue
        if key == "dask_interp" and not hasattr(Session, "call"):
            fam.note(f"{label}: skipped (Session.call not merged)")
            continue
        try:
            elapsed, rss = fn()
        except (ImportError, RuntimeError) as exc:  # RuntimeError: in_interpreter on 3.13.0
            fam.note(f"{label}: skipped ({exc})")
            continue
        fam.value(label, elapsed, ours=ours, key=key)
        fam.value(f"{label}: RSS per unit", rss / n, ours=ours, unit="MiB", key=f"{key}_rss")
    return fam
