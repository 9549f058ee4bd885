"""P2: CPU-bound pure Python on all cores.

Two equal units of `work(N)` (N chosen so that one unit takes about 0.3 s here):
serial, in 2 threads, in 2 interpreters (`%%interp a b`, and `Manager.run_many` and 2 bare
`_interpreters.exec` calls in the driver: what interpreters give with none of our threads), on 2 ipyparallel engines
(`%%pxall`, both through the `interp` kernel, timed from the client as cell round trips)
and in multiprocessing pools (spawn and fork) from the driver process, pools and
engines already started. Speed-up = serial time / parallel time of the same 2 units, per repetition (the serial
run and the parallel one next to it in time), median over the repetitions;
the kernel's variants are divided into the kernel's serial cell, the library's into a
serial run in the driver, the pools (run in a helper process: see bench_multiprocessing.py) into a
serial run in that helper.
"""

import os
import statistics
import threading
import time

import _interpreters

from bench_multiprocessing import run_helper
from bench_work import WORK_SOURCE, work
from bench_machine import QUIET_LIMIT, quiet_repetitions
from bench_records import Family


def calibrate(unit_seconds):
    n = 200_000
    while True:
        t0 = time.perf_counter()
        work(n)
        elapsed = time.perf_counter() - t0
        if elapsed > 0.05:
            return max(10_000, int(n * unit_seconds / elapsed))
        n *= 4


def run(ctx):
    fam = Family("P2", "CPU-bound pure Python on 2 cores (2 equal units of work)", "s")
    k, cluster = ctx.interp, ctx.cluster
    reps = ctx.reps(9, 2)
    n = calibrate(ctx.reps(0.3, 0.1))
    cores = len(os.sched_getaffinity(0))
    k.execute(WORK_SOURCE + "import threading\n", check=True)
    k.execute("%%interp a b\n" + WORK_SOURCE, check=True)
    cells = {
        "serial": f"work({n}); work({n})",
        "interp": f"%%interp a b\nwork({n})",
        "threads": (f"__ts = [threading.Thread(target=work, args=({n},)) for _ in range(2)]\n"
                    "for __t in __ts: __t.start()\n"
                    "for __t in __ts: __t.join()\n"),
    }
    if cluster is not None:
        k.execute("%%pxall\n" + WORK_SOURCE, check=True)
        cells["px"] = f"%%pxall\nwork({n})"
    for code in cells.values():
        k.execute(code.replace(str(n), "1000"), check=True)

    manager = ctx.manager
    for name in ("pa", "pb"):
        manager.session(name).run(WORK_SOURCE)
    # the floor of interpreters themselves: no agent, no reader thread, no kernel
    bare = [_interpreters.create(_interpreters.new_config("isolated")) for _ in range(2)]
    for iid in bare:
        _interpreters.exec(iid, WORK_SOURCE)

    def bare_pair():
        threads = [threading.Thread(target=_interpreters.exec, args=(iid, f"work({n})")) for iid in bare]
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - t0

    turn = [0]

    def one():
        # the serial cell first, then the parallel contenders in an order that rotates from one
        # repetition to the next (on this VM an idle second core takes a while to come back, so
        # the position after a serial run is a handicap every contender must share)
        turn[0] += 1
        out = {"serial": k.execute(cells["serial"], check=True).elapsed}
        parallel = [key for key in cells if key != "serial"]
        shift = turn[0] % len(parallel)
        for key in parallel[shift:] + parallel[:shift]:
            out[key] = k.execute(cells[key], check=True).elapsed
        t0 = time.perf_counter()
        work(n), work(n)
        out["lib_serial"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = manager.run_many(["pa", "pb"], f"work({n})")
        out["run_many"] = time.perf_counter() - t0
        assert all(r.ok for r in results.values()), results
        out["bare"] = bare_pair()
        return out

    budget = ctx.reps(150, 20)
    try:
        kept, discarded, forced = quiet_repetitions(one, reps, budget)
    finally:
        for iid in bare:
            _interpreters.destroy(iid)
    samples = {key: [r[key] for r in kept] for key in kept[0]}
    # multiprocessing runs in a helper process: forking this one (it has interpreters) crashes
    pools = run_helper("pool", n=n, reps=reps, budget=budget)
    discarded_pools = pools.pop("discarded")
    forced_pools = pools.pop("forced")
    samples.update(pools)

    fam.add("serial, plain cell (interp kernel)", samples["serial"], key="serial")
    fam.add("serial, driver process", samples["lib_serial"], key="lib_serial")
    fam.add("serial, pool helper process", samples["local"], key="local")
    rows = [
        ("interp", "2 interpreters `%%interp a b`", True, "serial"),
        ("run_many", "2 interpreters, library `Manager.run_many`", True, "lib_serial"),
        ("bare", "2 bare interpreters, `_interpreters.exec` in 2 threads (no agent, no reader: the floor)",
         False, "lib_serial"),
        ("threads", "2 threads, plain cell", False, "serial"),
        ("px", "2 ipyparallel engines `%%pxall`", False, "serial"),
        ("spawn", "multiprocessing Pool(2), spawn (started)", False, "local"),
        ("fork", "multiprocessing Pool(2), fork (started)", False, "local"),
    ]
    for key, label, ours, base in rows:
        if not samples.get(key):
            continue
        fam.add(label, samples[key], ours=ours, key=key)
        # paired: each repetition's serial run against the parallel run next to it in time
        speedups = sorted(s / x for s, x in zip(samples[base], samples[key]))
        fam.value(f"speed-up: {label}", statistics.median(speedups), ours=ours, unit="×", key=f"speedup_{key}",
                  p90=speedups[0], n=len(speedups), samples=[round(x, 3) for x in speedups])
    fam.target(f"2 interpreters ≥ 1.85× over serial ({cores} cores)", fam.row("speedup_interp")["median"],
               ">=", 1.85, "×")
    fam.headline(["speedup_interp"], ["speedup_threads", "speedup_px", "speedup_spawn", "speedup_fork"],
                 {"speedup_interp": "`%%interp a b`", "speedup_threads": "2 threads",
                  "speedup_px": "2 engines `%%pxall`", "speedup_spawn": "Pool(2) spawn", "speedup_fork": "Pool(2) fork"})
    fam.plot(["speedup_interp", "speedup_run_many", "speedup_bare", "speedup_threads", "speedup_px", "speedup_spawn",
              "speedup_fork"], 1.85, "target 1.85×")
    fam.note(f"Repetitions during which processes outside this run kept more than {QUIET_LIMIT} cores busy "
             f"were discarded and run again (a parallel run on 2 cores loses a core to any busy neighbour, a serial "
             f"one does not): {len(discarded) + len(forced)} kernel/library and "
             f"{len(discarded_pools) + len(forced_pools)} pool repetitions were disturbed.")
    if forced or forced_pools:
        fam.note(f"WARNING: the machine was not quiet for long enough ({budget} s budget): "
                 f"{len(forced)} kernel/library and {len(forced_pools)} pool repetitions in these figures were "
                 f"disturbed (other processes kept {sorted(round(f, 2) for f in forced + forced_pools)} cores busy "
                 f"during them); the speed-ups are understated.")
    fam.extra = {"discarded": discarded, "forced": forced, "discarded_pools": discarded_pools,
                 "forced_pools": forced_pools}
    fam.note(f"N = {n:,} iterations per unit; {reps} repetitions of each, interleaved. "
             f"Speed-ups are medians of per-repetition ratios; their p90 column holds the worst repetition.")
    ctx.scaling_n = n
    return fam
