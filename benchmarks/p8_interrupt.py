"""P8: interrupt latency of `while True: pass` through the kernel.

The client sends the cell, waits until the kernel has announced it (execute_input)
plus 200 ms so the loop is spinning, then calls `KernelManager.interrupt_kernel()`
(SIGINT to the kernel, as the ■ button does) and times until the cell's `error`
message (KeyboardInterrupt) arrives, and until its idle status. Ours: a `%%interp w`
cell. Others: a plain cell in the same kernel, in a stock ipykernel, and a `%%px`
cell on one engine (ipyparallel forwards SIGINT to the engine). The library row is
`Session.interrupt()` -> the job's result, without Jupyter.
"""

import time

from bench_records import Family

LOOP = "while True:\n    pass\n"


def _interrupt(kernel, code, settle=0.2):
    msg_id = kernel.submit(code)
    try:
        kernel.wait_for(msg_id, lambda m: m["msg_type"] == "execute_input", timeout=30)
    except TimeoutError:
        pass  # interrupt anyway: the row then shows what that did
    time.sleep(settle)
    t_int = time.monotonic()  # the clock of each message's "received"
    kernel.interrupt()
    ex = kernel.collect(msg_id, timeout=60)
    errors = ex.of_type("error")
    t_err = errors[0]["received"] - t_int if errors else None
    t_idle = ex.messages[-1]["received"] - t_int
    ename = errors[0]["content"]["ename"] if errors else None
    return t_err, t_idle, ename, ex


def run(ctx):
    fam = Family("P8", "Interrupt latency of `while True: pass` through the kernel", "ms")
    k = ctx.interp
    reps = ctx.reps(10, 3)
    cells = ctx.cell_contenders(LOOP)
    err = {key: [] for key, _, _ in cells}
    idle = {key: [] for key, _, _ in cells}
    names = {key: set() for key, _, _ in cells}
    for i in range(reps):
        for key, kernel, code in cells:
            if key == "px" and i >= max(3, reps // 2):
                continue
            t_err, t_idle, ename, ex = _interrupt(kernel, code)
            if t_err is not None:
                err[key].append(t_err)
            idle[key].append(t_idle)
            names[key].add(ename)
            kernel.execute("pass")
    if ctx.cluster is not None:  # make sure engine 0 is idle again
        k.execute("%%px\npass")

    session = ctx.manager.session("intr")
    lib = []
    for _ in range(reps * 3):
        job = session.submit(LOOP)
        while session.state != "running":
            time.sleep(0.001)
        time.sleep(0.02)
        t0 = time.perf_counter()
        session.interrupt()
        job.wait(30)
        lib.append(time.perf_counter() - t0)

    labels = {"interp": "`%%interp w` cell", "plain": "plain cell (interp kernel)",
              "stock": "plain cell (stock python3 ipykernel)", "px": "`%%px` cell, 1 engine"}
    for key, _, _ in cells:
        if err[key]:
            fam.add(f"{labels[key]}: interrupt → error message", err[key], ours=key == "interp", scale=1e3,
                    key=key, errors=sorted(str(n) for n in names[key]))
        else:
            fam.value(f"{labels[key]}: interrupt → error message", None, ours=key == "interp", key=key,
                      n=0, errors=sorted(str(n) for n in names[key]))
        fam.add(f"{labels[key]}: interrupt → idle", idle[key], ours=key == "interp", scale=1e3,
                key=f"{key}_idle")
    fam.add("library: `Session.interrupt()` → job result", lib, ours=True, scale=1e3, key="lib")
    fam.headline(["interp"], ["plain", "stock", "px", "px_idle"],
                 {"interp": "`%%interp w` → error", "plain": "plain cell → error", "stock": "stock ipykernel → error",
                  "px": "`%%px` → error", "px_idle": "`%%px` → idle"})
    fam.plot(["interp", "plain", "stock", "px", "px_idle", "lib"], 50.0, "target 50 ms")
    value = fam.row("interp")["median"] if err["interp"] else None
    fam.target("`%%interp` interrupt → error ≤ 50 ms", value, "<=", 50.0, "ms")
    if "px" in err and not err["px"]:
        fam.note("`%%px`: no error message arrives after the interrupt (ipyparallel prints a note to stderr, "
                 "signals the engine and ends the cell); its row is the time to idle.")
    return fam
