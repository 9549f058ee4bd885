"""P7: queue ping-pong main <-> interpreter.

An echo loop runs in an interpreter as a background job; main puts a small int and
waits for it to come back. Ours: `Manager.queue` named queues (C channels, blocking
waits). The stdlib-style queue: `interp_kernel.interpreters.Queue` (3.14's
`concurrent.interpreters.Queue`; on 3.13 our port of it), whose blocking `get` polls.
References: the bare C channel under the named queue (bytes in, bytes out: what is left
when the queue's encoding is taken away), a multiprocessing Pipe to a forked process, and
queue.SimpleQueue to a thread of the same interpreter (two blocking wake-ups, no
interpreter at all: the floor of any blocking round trip on this machine).
"""

import queue
import threading
import time

from bench_multiprocessing import run_helper
from bench_records import Family


def _pingpong(put, get, rounds, warm):
    samples = []
    for i in range(rounds + warm):
        t0 = time.perf_counter()
        put(i)
        get()
        if i >= warm:
            samples.append(time.perf_counter() - t0)
    return samples


def _thread_echo(a, b):
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


def _run(ctx, fam, manager, rounds, slow_rounds):
    ping, pong = manager.queue("ping"), manager.queue("pong")
    session = manager.session("echo")
    job = session.submit("while (x := ping.get()) is not None:\n    pong.put(x)\n")
    named = _pingpong(ping.put, pong.get, rounds, 200)
    ping.put(None)
    job.wait(10)

    from interp_kernel import interpreters

    qa, qb = interpreters.create_queue(), interpreters.create_queue()
    job = session.submit(
        "from interp_kernel import interpreters as _I\n"
        f"_a, _b = _I.Queue({qa.id}), _I.Queue({qb.id})\n"
        "while (x := _a.get()) is not None:\n    _b.put(x)\n")
    polling = _pingpong(qa.put, qb.get, slow_rounds, 5)
    qa.put(None)
    job.wait(10)

    from interp_kernel import _core

    a, b = _core.channel_create(), _core.channel_create()
    job = session.submit(
        "from interp_kernel import _core\n"
        f"while (x := _core.channel_recv({a})) != b'':\n    _core.channel_send({b}, x)\n")
    channel = _pingpong(lambda i: _core.channel_send(a, b"%d" % i), lambda: _core.channel_recv(b), rounds, 200)
    _core.channel_send(a, b"")
    job.wait(10)
    for ch in (a, b):
        _core.channel_destroy(ch)

    pipe = run_helper("pipe", rounds=rounds)  # forked from a helper: forking this process would crash

    a, b = queue.SimpleQueue(), queue.SimpleQueue()
    thread = threading.Thread(target=_thread_echo, args=(a, b))
    thread.start()
    threaded = _pingpong(a.put, b.get, rounds, 200)
    a.put(None)
    thread.join(10)

    fam.add("named queue (`Manager.queue`), main ↔ interpreter", named, ours=True, scale=1e6, key="named")
    fam.add("↳ the C channel under it alone (bytes, no encoding, no queue object): the transport's floor",
            channel, scale=1e6, key="channel")
    fam.add("stdlib-style polling `interpreters.Queue`, main ↔ interpreter", polling, scale=1e6, key="polling")
    fam.add("multiprocessing Pipe, main ↔ forked process", pipe, scale=1e6, key="pipe")
    fam.add("queue.SimpleQueue, main ↔ thread (same interpreter)", threaded, scale=1e6, key="thread")
    fam.headline(["named"], ["polling", "pipe", "thread"],
                 {"named": "named queue", "polling": "polling `interpreters.Queue`", "pipe": "mp Pipe (fork)",
                  "thread": "thread SimpleQueue"})
    fam.plot(["named", "channel", "polling", "pipe", "thread"], 100.0, "target 100 µs")
    fam.target("named-queue round trip ≤ 50 µs (median)", fam.row("named")["median"], "<=", 50.0, "µs")
    return fam
