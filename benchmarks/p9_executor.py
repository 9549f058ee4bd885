"""P9: executors side by side (concurrent.futures interface).

For each contender: tasks/s for many tiny tasks (``abs``; one task per call, which the
targets use, and chunked), the speed-up of a CPU-bound
pure-Python map on all cores over running it serially in this process, the start-up
time of a pool (create it and run one task per worker) and memory per worker (RSS delta
of this process for interpreters and threads; the workers' own RSS for processes).
Contenders: ``interp_kernel.InterpreterExecutor`` (ours), ThreadPoolExecutor,
ProcessPoolExecutor (forkserver and spawn), the stdlib InterpreterPoolExecutor (3.14+)
and, with a cluster, an ipyparallel load-balanced view. The work items are builtins
(``abs``, ``eval`` of an expression) so that every contender ships them the same way.
"""

import concurrent.futures as cf
import multiprocessing
import os
import sys
import time

from bench_records import Family

#: CPU-bound pure Python, the same for every contender: ``eval(CPU_EXPR, {})``.
CPU_EXPR = "sum(i * i % 7 for i in range({n}))"


def _rss_mb(pid):
    import psutil

    return psutil.Process(pid).memory_info().rss / 1e6


def _contenders():
    """``(key, label, factory or None, why-absent)``; factory(workers) -> Executor."""
    out = []
    try:
        from interp_kernel import InterpreterExecutor
    except ImportError:
        out.append(("ours", "interp_kernel.InterpreterExecutor", None, "not in this build"))
    else:
        out.append(("ours", "interp_kernel.InterpreterExecutor", lambda n: InterpreterExecutor(n), None))
    out.append(("threads", "ThreadPoolExecutor", lambda n: cf.ThreadPoolExecutor(n), None))
    for method in ("forkserver", "spawn"):
        ctx = multiprocessing.get_context(method)
        out.append((method, f"ProcessPoolExecutor ({method})",
                    lambda n, ctx=ctx: cf.ProcessPoolExecutor(n, mp_context=ctx), None))
    stdlib = getattr(cf, "InterpreterPoolExecutor", None)
    out.append(("stdlib", "stdlib InterpreterPoolExecutor", (lambda n: stdlib(n)) if stdlib else None,
                None if stdlib else f"absent on Python {sys.version_info[0]}.{sys.version_info[1]} (3.14+)"))
    return out


def _worker_memory(key, executor, before):
    """MB per worker: the workers' RSS for processes, this process's RSS growth otherwise."""
    procs = getattr(executor, "_processes", None)
    if key in ("forkserver", "spawn") and procs:
        return sum(_rss_mb(p) for p in procs) / len(procs)
    return (_rss_mb(os.getpid()) - before) / executor._max_workers if hasattr(executor, "_max_workers") else None


def _measure(key, factory, workers, tiny_n, cpu_expr, cpu_n, serial_s):
    before = _rss_mb(os.getpid())
    t0 = time.perf_counter()
    ex = factory(workers)
    try:
        list(ex.map(abs, range(workers)))
        startup = time.perf_counter() - t0
        time.sleep(0.3)
        mem = _worker_memory(key, ex, before)
        tps = {}
        for chunk in (1, max(1, tiny_n // (workers * 8))):
            t0 = time.perf_counter()
            got = list(ex.map(abs, range(-tiny_n, 0), chunksize=chunk))
            tps[chunk] = tiny_n / (time.perf_counter() - t0)
            assert got[0] == tiny_n, got[:3]
        t0 = time.perf_counter()
        list(ex.map(eval, [cpu_expr] * cpu_n, [{}] * cpu_n))
        cpu_s = time.perf_counter() - t0
    finally:
        ex.shutdown(wait=True)
    return {"startup": startup, "mem": mem, "tps": tps[1], "chunk": chunk, "tps_chunked": tps[chunk],
            "speedup": serial_s / cpu_s}


def _ipyparallel(cluster, tiny_n, cpu_expr, cpu_n, serial_s):
    view = cluster.client.load_balanced_view()
    t0 = time.perf_counter()
    view.map_sync(abs, range(-tiny_n, 0))
    tiny_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    view.map_sync(eval, [cpu_expr] * cpu_n, [{}] * cpu_n)
    cpu_s = time.perf_counter() - t0
    return {"tps": tiny_n / tiny_s, "speedup": serial_s / cpu_s, "engines": len(cluster.client.ids)}


def run(ctx):
    fam = Family("P9", "Executors: tiny-task throughput, CPU-bound speed-up, start-up, memory", "tasks/s")
    workers = os.cpu_count() or 1
    tiny_n = ctx.reps(10_000, 1_000)
    cpu_expr = CPU_EXPR.format(n=ctx.reps(300_000, 100_000))
    cpu_n = workers * ctx.reps(4, 2)
    t0 = time.perf_counter()
    for _ in range(cpu_n):
        eval(cpu_expr, {})
    serial_s = time.perf_counter() - t0
    fam.note(f"{workers} workers each; {tiny_n} tiny tasks (`abs`); CPU map: {cpu_n} × `eval({cpu_expr!r})`, "
             f"serial in this process {serial_s:.2f} s")

    results = {}
    for key, label, factory, absent in _contenders():
        if factory is None:
            fam.value(f"{label}: {absent}", None, ours=key == "ours", key=f"{key}.tps")
            fam.note(f"{label}: {absent}")
            continue
        try:
            r = results[key] = _measure(key, factory, workers, tiny_n, cpu_expr, cpu_n, serial_s)
        except Exception as exc:  # a contender that breaks is a row saying so, not a failed family
            fam.value(f"{label}: failed ({type(exc).__name__}: {exc})", None, ours=key == "ours", key=f"{key}.tps")
            continue
        ours = key == "ours"
        fam.value(f"{label}: tiny tasks, one per call", r["tps"], ours=ours, key=f"{key}.tps")
        fam.value(f"{label}: tiny tasks, chunksize {r['chunk']}", r["tps_chunked"], ours=ours, key=f"{key}.chunked")
        fam.value(f"{label}: CPU-bound speed-up on {workers} workers", r["speedup"], ours=ours, unit="×",
                  key=f"{key}.speedup")
        fam.value(f"{label}: pool start-up ({workers} workers, one task each)", r["startup"] * 1e3, ours=ours,
                  unit="ms", key=f"{key}.startup")
        if r["mem"] is not None:
            fam.value(f"{label}: memory per worker (RSS)", r["mem"], ours=ours, unit="MB", key=f"{key}.mem")
    if ctx.cluster is not None:
        try:
            r = results["ipp"] = _ipyparallel(ctx.cluster, tiny_n, cpu_expr, cpu_n, serial_s)
        except Exception as exc:
            fam.value(f"ipyparallel load-balanced map: failed ({type(exc).__name__}: {exc})", None, key="ipp.tps")
            r = None
    if results.get("ipp"):
        fam.value(f"ipyparallel load-balanced map: tiny tasks ({r['engines']} engines)", r["tps"], key="ipp.tps")
        fam.value(f"ipyparallel load-balanced map: CPU-bound speed-up ({r['engines']} engines)", r["speedup"],
                  unit="×", key="ipp.speedup")

    def val(key, what):
        return results.get(key, {}).get(what)

    def ratio(a, b):
        return a / b if a is not None and b else None

    fam.target("tiny-task throughput ≥ 3× ProcessPool (forkserver)", ratio(val("ours", "tps"),
               val("forkserver", "tps")), ">=", 3.0, "×")
    fam.target("tiny-task throughput ≥ 2× stdlib InterpreterPoolExecutor", ratio(val("ours", "tps"),
               val("stdlib", "tps")), ">=", 2.0, "×")
    fam.target("CPU-bound speed-up within 5 % of the process pool", ratio(val("ours", "speedup"),
               val("forkserver", "speedup")), ">=", 0.95, "×")
    fam.target("memory per worker ≤ 1/5 of a process's", ratio(val("ours", "mem"), val("forkserver", "mem")),
               "<=", 0.2, "×")
    keys = [k for k in ("ours", "threads", "forkserver", "spawn", "stdlib", "ipp") if k in results]
    fam.headline([f"{k}.tps" for k in keys if k == "ours"], [f"{k}.tps" for k in keys if k != "ours"],
                 {"ours.tps": "InterpreterExecutor", "threads.tps": "threads", "forkserver.tps": "procs (forkserver)",
                  "spawn.tps": "procs (spawn)", "stdlib.tps": "stdlib InterpreterPool", "ipp.tps": "ipyparallel"})
    fam.plot([f"{k}.tps" for k in keys])
    return fam
