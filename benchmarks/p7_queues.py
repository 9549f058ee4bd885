"""P7: queue ping-pong main <-> interpreter.

An echo loop runs in an interpreter as a background job; main puts a small int and
waits for it to come back. Ours: `Manager.queue` named queues (C channels, blocking
waits). The stdlib-style queue: `interp_kernel.interpreters.Queue` (3.14's
`concurrent.interpreters.Queue`; on 3.13 our port of it), whose blocking `get` polls.
References: the bare C channel under the named queue (bytes in, bytes out: what is left
when the queue's encoding is taken away), a multiprocessing Pipe to a forked process, and
queue.SimpleQueue to a thread of the same interpreter (two blocking wake-ups, no
interpreter at all: the floor of any blocking round trip on this machine).

Where the two threads run decides much of a round trip: waking a sleeping thread on
the same core costs ~8 µs here, on the other core ~45 µs (an idle virtual CPU must be
brought back by the host). A channel receiver therefore watches the channel for up to
20 µs before it sleeps (core/channel.c), so a quick reply needs no wake-up at all;
queue.SimpleQueue and the Pipe sleep at once. So the named queue, the bare channel
and the thread queue are measured pinned (main on CPU 0, the echo on CPU 0, then on
CPU 1), in alternating blocks; the target is on the different-cores row, the usual
case for parallel work.
"""

import os
import queue
import threading
import time

from bench_multiprocessing import run_helper
from bench_records import Family

#: Seconds of untimed ping-pong before each placement's blocks (the host's wake-up path
#: settles during the first few thousand wake-ups).
WARM_UP_S = 0.5
BLOCKS = 10

_PIN = "import os as _os\n_was = _os.sched_getaffinity(0)\n_os.sched_setaffinity(0, {{{cpu}}})\n"
_UNPIN = "_os.sched_setaffinity(0, _was)\n"


def _pingpong(put, get, rounds, warm):
    samples = []
    for i in range(rounds + warm):
        t0 = time.perf_counter()
        put(i)
        get()
        if i >= warm:
            samples.append(time.perf_counter() - t0)
    return samples


def _thread_echo(a, b, cpu):
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})  # this thread only (Linux)
    while (x := a.get()) is not None:
        b.put(x)


def run(ctx):
    fam = Family("P7", "Queue ping-pong main ↔ interpreter (small int)", "µs")
    rounds = ctx.reps(3000, 300)
    slow_rounds = ctx.reps(100, 20)
    from interp_kernel import Manager

    # a Manager of its own: named queues are pushed into every interpreter created later
    manager = Manager()
    try:
        return _run(ctx, fam, manager, rounds, slow_rounds)
    finally:
        manager.shutdown(timeout=5)


def _placed(manager, cpu, rounds):
    """Named queue, bare channel and thread queue round trips with main pinned to CPU 0
    and each echo to ``cpu`` (unpinned when ``cpu`` is None), in alternating blocks."""
    from interp_kernel import _core

    pin = _PIN.format(cpu=cpu) if cpu is not None else ""
    unpin = _UNPIN if cpu is not None else ""
    ping, pong = manager.queue(f"ping{cpu}"), manager.queue(f"pong{cpu}")
    named_job = manager.session("echo").submit(
        f"{pin}while (x := ping{cpu}.get()) is not None:\n    pong{cpu}.put(x)\n{unpin}")
    a, b = _core.channel_create(), _core.channel_create()
    channel_job = manager.session("echo-bare").submit(
        f"{pin}from interp_kernel import _core\n"
        f"while (x := _core.channel_recv({a})) != b'':\n    _core.channel_send({b}, x)\n{unpin}")
    ta, tb = queue.SimpleQueue(), queue.SimpleQueue()
    thread = threading.Thread(target=_thread_echo, args=(ta, tb, cpu))
    thread.start()
    main_cpus = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {0})
    try:
        deadline = time.perf_counter() + WARM_UP_S
        while time.perf_counter() < deadline:
            _pingpong(ping.put, pong.get, 100, 0)
            _pingpong(ta.put, tb.get, 100, 0)
        named, channel, threaded = [], [], []
        for _ in range(BLOCKS):
            named += _pingpong(ping.put, pong.get, rounds // BLOCKS, 20)
            channel += _pingpong(lambda i: _core.channel_send(a, b"%d" % i), lambda: _core.channel_recv(b),
                                 rounds // BLOCKS, 20)
            threaded += _pingpong(ta.put, tb.get, rounds // BLOCKS, 20)
    finally:
        os.sched_setaffinity(0, main_cpus)
        ping.put(None)
        _core.channel_send(a, b"")
        ta.put(None)
        named_job.wait(10)
        channel_job.wait(10)
        thread.join(10)
        for ch in (a, b):
            _core.channel_destroy(ch)
    return named, channel, threaded


def _run(ctx, fam, manager, rounds, slow_rounds):
    pinnable = hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2 and \
        {0, 1} <= os.sched_getaffinity(0)
    placements = [("same core", 0), ("different cores", 1)] if pinnable else [("unpinned", None)]
    for where, cpu in placements:
        named, channel, threaded = _placed(manager, cpu, rounds)
        suffix = "" if cpu == 1 or cpu is None else "_same"
        fam.add(f"named queue (`Manager.queue`), main ↔ interpreter, {where}", named, ours=True, scale=1e6,
                key=f"named{suffix}")
        fam.add(f"↳ the C channel under it alone (bytes, no encoding, no queue object), {where}: the transport's floor",
                channel, scale=1e6, key=f"channel{suffix}")
        fam.add(f"queue.SimpleQueue, main ↔ thread (same interpreter), {where}", threaded, scale=1e6,
                key=f"thread{suffix}")
    if not pinnable:
        fam.note("Threads not pinned (fewer than 2 CPUs, or no sched_setaffinity): the rows mix placements.")

    from interp_kernel import interpreters

    qa, qb = interpreters.create_queue(), interpreters.create_queue()
    job = manager.session("echo").submit(
        "from interp_kernel import interpreters as _I\n"
        f"_a, _b = _I.Queue({qa.id}), _I.Queue({qb.id})\n"
        "while (x := _a.get()) is not None:\n    _b.put(x)\n")
    polling = _pingpong(qa.put, qb.get, slow_rounds, 5)
    qa.put(None)
    job.wait(10)
    pipe = run_helper("pipe", rounds=rounds)  # forked from a helper: forking this process would crash
    fam.add("stdlib-style polling `interpreters.Queue`, main ↔ interpreter, unpinned", polling, scale=1e6,
            key="polling")
    fam.add("multiprocessing Pipe, main ↔ forked process, unpinned", pipe, scale=1e6, key="pipe")

    fam.headline(["named"] + (["named_same"] if pinnable else []), ["channel", "polling", "pipe", "thread"],
                 {"named": "named queue" + (", different cores" if pinnable else ""),
                  "named_same": "named queue, same core", "channel": "bare channel",
                  "polling": "polling `interpreters.Queue`", "pipe": "mp Pipe (fork)",
                  "thread": "thread SimpleQueue"})
    keys = [key for key in ("named_same", "channel_same", "thread_same", "named", "channel", "thread", "polling",
                            "pipe") if key in {row["key"] for row in fam.rows}]
    fam.plot(keys, 100.0, "target 100 µs")
    fam.target("named-queue round trip ≤ 50 µs (median" + (", different cores)" if pinnable else ")"),
               fam.row("named")["median"], "<=", 50.0, "µs")
    for suffix, where in (("_same", "same core"), ("", "different cores")):
        if f"named{suffix}" in {row["key"] for row in fam.rows} and pinnable:
            fam.target(f"named queue ≤ bare channel + 2 µs ({where}: what our layer adds)",
                       fam.row(f"named{suffix}")["median"], "<=", fam.row(f"channel{suffix}")["median"] + 2.0, "µs")
    fam.note("queue.SimpleQueue between two threads of one interpreter shows what a round trip costs when each "
             "side sleeps until woken. A channel receiver watches for up to 20 µs first, so a reply that quick is "
             "taken without a wake-up. What the named queue adds to the channel is the difference with the bare "
             "channel in the same placement.")
    return fam
