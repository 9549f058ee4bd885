"""P3: first cell in a new interpreter (create + run) vs spawning a process vs starting an engine.

Ours: a `%%interp freshN` cell with a new name each time (create the interpreter, start
its agent, run `pass`), timed from the client like P1, and the same through the library
(`Manager.session(name).run("pass")`), split into `session()` (create + agent ready)
and the first run. Each is closed again outside the timing. Others: multiprocessing
`Process(target=noop)` start + join per start method, `python -c pass` as a
subprocess, and an ipyparallel engine launched until the controller has registered it.
"""

import time

from bench_multiprocessing import run_helper
from bench_records import Family


def run(ctx):
    fam = Family("P3", "First cell in a new interpreter vs a new process or engine", "ms")
    k, manager = ctx.interp, ctx.manager
    reps = ctx.reps(20, 5)

    kernel_cell, kernel_plain = [], []
    k.execute("%%interp warm3\npass", check=True)
    k.execute("%interp close warm3", check=True)
    for i in range(reps):
        kernel_cell.append(k.execute(f"%%interp fresh{i}\npass", check=True).elapsed)
        kernel_plain.append(k.execute("pass").elapsed)
        k.execute(f"%interp close fresh{i}", check=True)

    lib_total, lib_create, lib_run = [], [], []
    for i in range(reps):
        name = f"fresh{i}"
        t0 = time.perf_counter()
        session = manager.session(name)
        t1 = time.perf_counter()
        session.run("pass")
        t2 = time.perf_counter()
        lib_total.append(t2 - t0)
        lib_create.append(t1 - t0)
        lib_run.append(t2 - t1)
        manager.close(name)

    manager.queue("p3_jobs")  # every new session now binds this queue too
    lib_with_queue = []
    for i in range(reps):
        name = f"fresh_q{i}"
        t0 = time.perf_counter()
        manager.session(name).run("pass")
        lib_with_queue.append(time.perf_counter() - t0)
        manager.close(name)

    import _interpreters

    raw = []
    for _ in range(reps):
        t0 = time.perf_counter()
        iid = _interpreters.create(_interpreters.new_config("isolated"))
        raw.append(time.perf_counter() - t0)
        _interpreters.destroy(iid)

    procs = run_helper("start", reps=reps)  # a helper process: forking this one would crash
    sub = procs["subprocess"]

    fam.add("`%%interp fresh` cell in a new interpreter (interp kernel)", kernel_cell, ours=True, scale=1e3,
            key="kernel")
    fam.add("↳ a plain cell in the same rounds, for reference", kernel_plain, scale=1e3, key="plain")
    fam.add("library: `session(name)` + first `run('pass')`", lib_total, ours=True, scale=1e3, key="lib")
    fam.add("↳ of which `session(name)`: create + agent ready", lib_create, ours=True, scale=1e3, key="lib_create")
    fam.add("↳ of which the first `run('pass')`", lib_run, ours=True, scale=1e3, key="lib_run")
    fam.add("library, with a named queue to bind: `session(name)` + first `run('pass')`", lib_with_queue,
            ours=True, scale=1e3, key="lib_queue")
    fam.add("↳ a bare `_interpreters.create()` (isolated) in the main thread (sessions create theirs "
            "in the agent thread)", raw, scale=1e3, key="raw_create")
    fam.add("multiprocessing fork: start + join", procs["fork"], scale=1e3, key="fork")
    fam.add("multiprocessing forkserver: start + join", procs["forkserver"], scale=1e3, key="forkserver")
    fam.add("multiprocessing spawn: start + join", procs["spawn"], scale=1e3, key="spawn")
    fam.add("subprocess `python -c pass`", sub, scale=1e3, key="subprocess")
    if ctx.cluster is not None:
        fam.add("ipyparallel engine: launch until registered", ctx.cluster.engine_starts, scale=1e3, key="engine")
        fam.note("Engine starts: the first sample is the cluster start (controller + 1 engine), "
                 "the others are engines added to the running controller.")
    fam.headline(["kernel", "lib"], ["fork", "spawn", "subprocess", "engine"],
                 {"kernel": "`%%interp fresh` cell", "lib": "library", "fork": "fork", "spawn": "spawn",
                  "subprocess": "`python -c pass`", "engine": "ipyparallel engine"})
    fam.plot(["kernel", "lib", "fork", "forkserver", "spawn", "subprocess", "engine"], 15.0, "target 15 ms")
    fam.target("first cell in a new interpreter ≤ 15 ms (through the kernel)", fam.row("kernel")["median"],
               "<=", 15.0, "ms")
    fam.target("library: create + first run ≤ 15 ms", fam.row("lib")["median"], "<=", 15.0, "ms",
               headline=False)
    return fam
