"""P4: moving data into and out of an interpreter vs ipyparallel push/pull.

Library calls from the driver (no Jupyter on the path; each call returns when the
interpreter has the value): `Session.push(buf=memoryview(bytearray(100 MB)))`
(shared, no copy), `Session.push(data=bytes(100 MB))` (natively shareable: one copy,
in a queue beside the command), `Session.push(array=bytearray(100 MB))` (pickled, the
pickle in a queue beside the command), `Session.pull("L")` of `L = list(range(10**6))`
and `Session.push(L=...)` of the same list (plain builtin data: marshal, in slices
that one side rebuilds while the other encodes the next; their throughput counts the
pickle's size so that it compares with the pickle floor row). The same with ipyparallel's
`DirectView.push/pull(block=True)` on one engine over loopback. Throughput is the
payload's bytes (the pickle's size for the list) per second, MB = 10**6 bytes.
"""

import pickle
import time

from bench_records import Family

SIZE = 100_000_000
LIST_N = 10**6


def _times(fn, reps):
    fn()  # warm-up
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def run(ctx):
    fam = Family("P4", "Moving data: 100 MB push, 10⁶-int list pull and push", "ms")
    reps = ctx.reps(10, 3)
    session = ctx.manager.session("data")
    buf = bytearray(SIZE)
    view = memoryview(buf)
    blob = bytes(SIZE)

    mv = _times(lambda: session.push(buf=view), reps)
    buf[12345] = 7  # zero-copy check: the interpreter sees main's write
    shared = session.run("buf[12345], len(buf)").value_repr
    if shared != f"(7, {SIZE})":
        fam.note(f"WARNING: the pushed memoryview is not shared (interpreter saw {shared})")
    by = _times(lambda: session.push(data=blob), reps)
    session.run("data = None")
    ba = _times(lambda: session.push(array=buf), reps)
    session.run("array = None")
    session.run(f"L = list(range({LIST_N}))")
    pulled = session.pull("L")
    assert pulled == list(range(LIST_N))
    list_bytes = len(pickle.dumps(pulled, protocol=5))
    pl = _times(lambda: session.pull("L"), reps)
    session.run("L = None")
    pu = _times(lambda: session.push(L=pulled), reps)

    ipp_mv = ipp_by = ipp_pl = None
    if ctx.cluster is not None:
        dv = ctx.cluster.client[0]
        ipp_reps = max(2, reps // 2)
        ipp_mv = _times(lambda: dv.push({"buf": view}, block=True), ipp_reps)
        ipp_by = _times(lambda: dv.push({"data": blob}, block=True), ipp_reps)
        dv.execute("buf = data = None", block=True)
        dv.execute(f"L = list(range({LIST_N}))", block=True)
        ipp_pl = _times(lambda: dv.pull("L", block=True), ipp_reps)
        dv.execute("L = None", block=True)
    session.run("buf = L = None")
    # the floor: what pickling alone costs here (dumps + loads in one process, no transport)
    floor_bytes = _times(lambda: pickle.loads(pickle.dumps(blob, protocol=5)), reps)
    floor_list = _times(lambda: pickle.loads(pickle.dumps(pulled, protocol=5)), reps)

    mb = SIZE / 1e6
    lmb = list_bytes / 1e6
    fam.add("push 100 MB memoryview (shared, zero-copy)", mv, ours=True, scale=1e3, key="mv")
    fam.add("push 100 MB bytes (natively shared, one copy)", by, ours=True, scale=1e3, key="bytes")
    fam.add("push 100 MB bytearray (pickled)", ba, ours=True, scale=1e3, key="bytearray")
    fam.add(f"pull 10⁶-int list ({lmb:.1f} MB as a pickle; crosses as marshal)", pl, ours=True, scale=1e3, key="pull")
    fam.add("push 10⁶-int list (crosses as marshal)", pu, ours=True, scale=1e3, key="push_list")
    if ipp_mv:
        fam.add("ipyparallel push 100 MB memoryview", ipp_mv, scale=1e3, key="ipp_mv")
        fam.add("ipyparallel push 100 MB bytes", ipp_by, scale=1e3, key="ipp_bytes")
        fam.add("ipyparallel pull 10⁶-int list", ipp_pl, scale=1e3, key="ipp_pull")
    fam.add("floor: pickle.dumps + loads of the 100 MB bytes, in one process", floor_bytes, scale=1e3,
            key="floor_bytes")
    fam.add("floor: pickle.dumps + loads of the 10⁶-int list, in one process", floor_list, scale=1e3,
            key="floor_list")
    for key, label, size, ours in [("bytes", "push bytes", mb, True), ("bytearray", "push bytearray", mb, True),
                                   ("pull", "pull list", lmb, True), ("push_list", "push list", lmb, True),
                                   ("ipp_bytes", "ipyparallel push bytes", mb, False),
                                   ("ipp_pull", "ipyparallel pull list", lmb, False),
                                   ("ipp_mv", "ipyparallel push memoryview", mb, False),
                                   ("floor_bytes", "floor, pickle bytes", mb, False),
                                   ("floor_list", "floor, pickle list", lmb, False)]:
        try:
            row = fam.row(key)
        except KeyError:
            continue
        fam.value(f"throughput: {label}", size / (row["median"] / 1e3), ours=ours, unit="MB/s", key=f"rate_{key}")
    fam.headline(["mv", "rate_bytes", "rate_bytearray", "rate_pull", "rate_push_list"], ["ipp_mv", "rate_ipp_bytes", "rate_ipp_pull", "rate_floor_list"],
                 {"mv": "memoryview push", "rate_bytes": "bytes push", "rate_bytearray": "bytearray push",
                  "rate_pull": "list pull", "rate_push_list": "list push",
                  "ipp_mv": "ipyparallel memoryview push", "rate_ipp_bytes": "ipyparallel bytes push",
                  "rate_ipp_pull": "ipyparallel list pull", "rate_floor_list": "pickle alone, list"})
    fam.plot(["mv", "bytes", "bytearray", "pull", "push_list", "ipp_mv", "ipp_bytes", "ipp_pull"], 1.0, "1 ms")
    fam.note("The floor rows are the ceiling of any pickle-based transport on this machine: for the list, "
             "rebuilding 10⁶ int objects costs far more than moving its 4.9 MB, so ≥ 500 MB/s of pickle is out "
             "of reach for it whatever the transport.")
    fam.target("memoryview push of 100 MB ≤ 1 ms", fam.row("mv")["median"], "<=", 1.0, "ms")
    fam.target("bytes push (100 MB) ≥ 500 MB/s", fam.row("rate_bytes")["median"], ">=", 500, "MB/s")
    fam.target("pickled push (100 MB bytearray) ≥ 500 MB/s", fam.row("rate_bytearray")["median"], ">=", 500, "MB/s")
    fam.target("list pull ≥ the pickle floor of this run", fam.row("rate_pull")["median"], ">=",
               fam.row("rate_floor_list")["median"], "MB/s")
    fam.target("list push ≥ the pickle floor of this run", fam.row("rate_push_list")["median"], ">=",
               fam.row("rate_floor_list")["median"], "MB/s")
    fam.target("list pull (10⁶-int list) ≥ 500 MB/s", fam.row("rate_pull")["median"], ">=", 500, "MB/s")
    return fam
