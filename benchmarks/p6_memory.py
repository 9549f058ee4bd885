"""P6: memory per idle interpreter vs per engine or worker process.

Ours: the `interp` kernel process's RSS (and USS) before and after `%interp create`
of 10 interpreters (each with its agent thread, idle), divided by 10, read with psutil
from the driver. Others: RSS and USS of each ipyparallel engine process, of idle
multiprocessing pool workers (spawn, fork) and of a whole idle stock ipykernel. USS
(memory only that process has) is the fair figure for forked processes, whose RSS
counts pages shared with the parent.
"""

import time

from bench_multiprocessing import run_helper
from bench_records import Family

COUNT = 10


def _mem(pid):
    import psutil

    p = psutil.Process(pid)
    info = p.memory_full_info()
    return info.rss / 1e6, info.uss / 1e6


def _settled(pid, wait=0.5):
    time.sleep(wait)
    return _mem(pid)


def run(ctx):
    fam = Family("P6", "Memory per idle interpreter vs per process", "MB")
    k = ctx.interp
    pid = k.pid
    names = " ".join(f"m{i}" for i in range(COUNT))
    k.execute("import gc; gc.collect()", check=True)
    rss0, uss0 = _settled(pid)
    k.execute(f"%interp create {names}", check=True)
    k.execute("gc.collect()", check=True)
    rss1, uss1 = _settled(pid)
    k.execute(f"%interp close {names}", check=True)

    fam.value(f"idle interpreter: kernel RSS growth / {COUNT}", (rss1 - rss0) / COUNT, ours=True, key="rss",
              n=COUNT)
    fam.value(f"idle interpreter: kernel USS growth / {COUNT}", (uss1 - uss0) / COUNT, ours=True, key="uss",
              n=COUNT)
    if ctx.cluster is not None:
        mems = [_mem(p) for p in ctx.cluster.engine_pids()]
        fam.value("ipyparallel engine process: RSS", sorted(m[0] for m in mems)[len(mems) // 2], key="engine_rss",
                  n=len(mems))
        fam.value("ipyparallel engine process: USS", sorted(m[1] for m in mems)[len(mems) // 2], key="engine_uss",
                  n=len(mems))
    workers = run_helper("memory")  # pools live in a helper process (forking this one would crash)
    for method in ("spawn", "fork"):
        w = workers[method]
        fam.value(f"multiprocessing {method} worker: RSS", w["rss"], key=f"{method}_rss", n=w["n"])
        fam.value(f"multiprocessing {method} worker: USS", w["uss"], key=f"{method}_uss", n=w["n"])
    rss, uss = _mem(ctx.stock.pid)
    fam.value("idle stock python3 ipykernel process: RSS", rss, key="stock_rss")
    fam.value("idle stock python3 ipykernel process: USS", uss, key="stock_uss")
    fam.headline(["rss"], ["engine_rss", "engine_uss", "spawn_uss", "fork_uss"],
                 {"rss": "RSS per interpreter", "engine_rss": "engine RSS", "engine_uss": "engine USS",
                  "spawn_uss": "spawn worker USS", "fork_uss": "fork worker USS"})
    fam.plot(["rss", "uss", "engine_rss", "engine_uss", "spawn_rss", "spawn_uss", "fork_rss", "fork_uss",
              "stock_rss"], 5.0, "target 5 MB")
    fam.target("RSS per idle interpreter ≤ 5 MB", fam.row("rss")["median"], "<=", 5.0, "MB")
    fam.note(f"Kernel process before: RSS {rss0:.1f} MB, USS {uss0:.1f} MB; after {COUNT} interpreters: "
             f"RSS {rss1:.1f} MB, USS {uss1:.1f} MB.")
    return fam
