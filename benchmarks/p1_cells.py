"""P1: trivial cell round trip — plain cell vs `%%interp w` vs `%%px` (1 engine).

Every cell goes through a real kernel from the client's side (execute_request sent ->
execute_reply and status idle received). Plain, `%%interp` and `%%px` run in the same
`interp` kernel, interleaved round by round, so they share the kernel's own overhead and
the machine's noise; a stock `python3` ipykernel's plain cell runs in the same rounds.
`%%px` is ipyparallel's magic in that kernel (`Client(...)[0].activate()`, blocking).
The library rows are the same round trips without Jupyter: `Session.run("pass")` and
ipyparallel's client API `view.execute("pass", block=True)`.
"""

import time

from bench_records import Family


def run(ctx):
    fam = Family("P1", "Trivial cell round trip", "ms")
    k, stock, cluster = ctx.interp, ctx.stock, ctx.cluster
    rounds = ctx.reps(300, 40)
    cells = [("plain", k, "pass"), ("interp", k, "%%interp w\npass"), ("stock", stock, "pass")]
    if cluster is not None:
        cells.append(("px", k, "%%px\npass"))
    for _, kernel, code in cells:  # warm-up: create `w`, first-call costs
        for _ in range(5):
            kernel.execute(code, check=True)
    samples = {key: [] for key, _, _ in cells}
    for i in range(rounds):
        order = cells if i % 2 == 0 else cells[::-1]
        for key, kernel, code in order:
            samples[key].append(kernel.execute(code).elapsed)

    session = ctx.manager.session("p1")
    session.run("pass")
    lib = []
    for _ in range(rounds * 3):
        t0 = time.perf_counter()
        session.run("pass")
        lib.append(time.perf_counter() - t0)
    api = []
    if cluster is not None:
        view = cluster.client[0]
        view.execute("pass", block=True)
        for _ in range(rounds):
            t0 = time.perf_counter()
            view.execute("pass", block=True)
            api.append(time.perf_counter() - t0)

    fam.add("`%%interp w` cell (interp kernel)", samples["interp"], ours=True, scale=1e3, key="interp")
    fam.add("plain cell (interp kernel)", samples["plain"], scale=1e3, key="plain")
    fam.add("plain cell (stock python3 ipykernel)", samples["stock"], scale=1e3, key="stock")
    if cluster is not None:
        fam.add("`%%px` cell, 1 engine (interp kernel + ipyparallel magics)", samples["px"], scale=1e3, key="px")
    fam.add("library: `Session.run('pass')`", lib, ours=True, scale=1e3, key="lib")
    if api:
        fam.add("library: ipyparallel `view.execute('pass', block=True)`", api, scale=1e3, key="px_api")

    interp, plain = fam.row("interp")["median"], fam.row("plain")["median"]
    fam.target("`%%interp` ≤ plain cell + 0.5 ms (median overhead)", interp - plain, "<=", 0.5, "ms")
    if cluster is not None:
        fam.target("`%%interp` ≥ 5× faster than `%%px`", fam.row("px")["median"] / interp, ">=", 5.0, "×")
    fam.headline(["interp"], ["plain", "stock", "px"],
                 {"interp": "`%%interp w`", "plain": "plain cell", "stock": "stock ipykernel", "px": "`%%px`"})
    fam.plot(["interp", "plain", "stock", "px", "lib", "px_api"], plain + 1.0, "plain + 1 ms")
    fam.note("Round trip = client sends execute_request until it has the execute_reply and the idle status. "
             "Most of a plain cell's time is ipykernel's own message handling (the stock kernel shows the same), "
             "not the cell.")
    return fam
