"""P3: first cell in a new interpreter (create + run) vs spawning a process vs starting an engine.

Ours: a `%%interp freshN` cell with a new name each time, timed from the client like
P1, once with a warm spare ready (the kernel's default: the interpreter was started
ahead of time) and once with spares off (create the interpreter, start its agent, run
`pass`), alternated; the same through the library (`Manager.session(name).run("pass")`),
the cold one split into `session()` (create + agent ready) and the first run; kernel
start-up with spares on and off, and the first `%%interp` cell sent as soon as the new
kernel answers. Each is closed again outside the timing. Others: multiprocessing
`Process(target=noop)` start + join per start method, `python -c pass` as a
subprocess, and an ipyparallel engine launched until the controller has registered it.
"""

import time

from bench_multiprocessing import run_helper
from bench_records import Family
from bench_kernels import start_kernel  # also puts tests/ (kernel_client) on sys.path
from kernel_client import KERNEL_NAME

#: A plain cell that returns when the kernel's warm spare is ready (outside the timings).
SPARE_READY = ("%config InterpSettings.spares = 1\n"
               "from interp_kernel.jupyter.extension import manager_for\n"
               "assert manager_for(get_ipython()).wait_for_spares(10)")


def run(ctx):
    fam = Family("P3", "First cell in a new interpreter vs a new process or engine", "ms")
    k, manager = ctx.interp, ctx.manager
    reps = ctx.reps(20, 5)

    kernel_cell, kernel_spare, kernel_plain = [], [], []
    k.execute("%%interp warm3\npass", check=True)
    k.execute("%interp close warm3", check=True)
    for i in range(reps):  # without and with a warm spare, alternated
        k.execute("%config InterpSettings.spares = 0", check=True)
        kernel_cell.append(k.execute(f"%%interp fresh{i}\npass", check=True).elapsed)
        k.execute(SPARE_READY, check=True)
        kernel_spare.append(k.execute(f"%%interp spared{i}\npass", check=True).elapsed)
        kernel_plain.append(k.execute("pass").elapsed)
        k.execute(f"%interp close fresh{i} spared{i}", check=True)

    lib_total, lib_create, lib_run, lib_spare = [], [], [], []
    for i in range(reps):
        name = f"fresh{i}"
        manager.spares = 0
        t0 = time.perf_counter()
        session = manager.session(name)
        t1 = time.perf_counter()
        session.run("pass")
        t2 = time.perf_counter()
        lib_total.append(t2 - t0)
        lib_create.append(t1 - t0)
        lib_run.append(t2 - t1)
        manager.close(name)
        manager.spares = 1
        manager.wait_for_spares(10)
        t0 = time.perf_counter()
        manager.session(name).run("pass")
        lib_spare.append(time.perf_counter() - t0)
        manager.close(name)
    manager.spares = 0

    starts = {"on": [], "off": []}
    first_cells = {"on": [], "off": []}
    for i in range(ctx.reps(5, 2)):  # kernel start-up, and the first cell as soon as it answers
        for mode, args in (("on", ("--InterpSettings.spares=1",)), ("off", ("--InterpSettings.spares=0",))):
            fresh = start_kernel(KERNEL_NAME, startup_timeout=90, timeout=120, extra_arguments=args)
            try:
                starts[mode].append(fresh.startup)
                first_cells[mode].append(fresh.execute("%%interp first\npass", check=True).elapsed)
            finally:
                fresh.shutdown()

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

    fam.add("`%%interp fresh` cell in a new interpreter, warm spare ready (interp kernel, the default)",
            kernel_spare, ours=True, scale=1e3, key="kernel")
    fam.add("`%%interp fresh` cell in a new interpreter, no spare (`InterpSettings.spares = 0`)", kernel_cell,
            ours=True, scale=1e3, key="kernel_cold")
    fam.add("↳ a plain cell in the same rounds, for reference", kernel_plain, scale=1e3, key="plain")
    fam.add("first `%%interp` cell as soon as a new kernel answers, spares on", first_cells["on"], ours=True,
            scale=1e3, key="first_on")
    fam.add("first `%%interp` cell as soon as a new kernel answers, spares off", first_cells["off"], ours=True,
            scale=1e3, key="first_off")
    fam.add("kernel start-up until it answers kernel_info, spares on", starts["on"], ours=True, scale=1e3,
            key="start_on")
    fam.add("kernel start-up until it answers kernel_info, spares off", starts["off"], ours=True, scale=1e3,
            key="start_off")
    fam.add("library, warm spare ready: `Manager(spares=1)`, `session(name)` + first `run('pass')`", lib_spare,
            ours=True, scale=1e3, key="lib")
    fam.add("library, no spare: `session(name)` + first `run('pass')`", lib_total, ours=True, scale=1e3,
            key="lib_cold")
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
    fam.target("`%%interp NEW` cell ≤ plain cell + 2 ms (median overhead, warm spare)",
               fam.row("kernel")["median"] - fam.row("plain")["median"], "<=", 2.0, "ms", headline=False)
    fam.target("kernel start-up with spares ≤ without + 10 %",
               fam.row("start_on")["median"] / fam.row("start_off")["median"], "<=", 1.10, "×", headline=False)
    fam.target("library: create + first run ≤ 15 ms", fam.row("lib")["median"], "<=", 15.0, "ms",
               headline=False)
    return fam
