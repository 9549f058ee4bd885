"""Ping-pong and interrupt latency of interp_kernel._core (a script, not a test).

    python benchmarks/core_pingpong.py [--rounds 5000] [--interrupts 100]

Round trip main -> subinterpreter -> main: an agent thread inside an isolated
subinterpreter echoes every message.  Transports compared:
  * _core channels (blocking condition-variable waits, GIL released);
  * raw _interpqueues put/get with a polling get: time.sleep(0) between tries, and
    time.sleep(0.010) like the stdlib Queue.get of 3.13/3.14 (fewer rounds: slow).
Interrupt latency: time from interrupt() being called in main until the agent
observes KeyboardInterrupt, for a busy loop inside call_interruptible() and for a
thread blocked in channel_recv().  time.perf_counter_ns() is CLOCK_MONOTONIC, so
stamps taken in different interpreters compare.
"""
import argparse
import os
import sys
import textwrap
import threading
import time

import _interpqueues
import _interpreters

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from interp_kernel import _core as core  # noqa: E402

PRELUDE = f"""
import sys, time
if {ROOT!r} not in sys.path:
    sys.path.insert(0, {ROOT!r})
import interp_kernel._core as core
"""

# _interpqueues differs between 3.13 and 3.14 (see DESIGN.md); both need their
# exception types registered in every interpreter that uses a queue.
QUEUE_SHIM = """
import sys, time
import _interpqueues as _q

class _Queue:
    pass

class QueueEmpty(_q.QueueError):
    pass

class QueueFull(_q.QueueError):
    pass

_q._register_heap_types(_Queue, QueueEmpty, QueueFull)
UNBOUND_REMOVE = 1
if sys.version_info >= (3, 14):
    def q_create():
        return _q.create(0, UNBOUND_REMOVE, -1)
    def q_put(qid, obj):
        _q.put(qid, obj, UNBOUND_REMOVE)
else:
    def q_create():
        return _q.create(0, 0, UNBOUND_REMOVE)     # fmt 0: shareable objects only
    def q_put(qid, obj):
        _q.put(qid, obj, 0, UNBOUND_REMOVE)

def q_get(qid, delay):
    while True:
        try:
            return _q.get(qid)[0]
        except QueueEmpty:
            time.sleep(delay)
"""

ns = {}
exec(QUEUE_SHIM, ns)


def stats(samples_ns):
    s = sorted(samples_ns)
    n = len(s)
    med = s[n // 2] / 1000
    p90 = s[min(n - 1, int(n * 0.9))] / 1000
    return f"median {med:9.1f} us   p90 {p90:9.1f} us   (n={n})"


class Agent:
    """An isolated subinterpreter with one long-lived thread running `code`."""

    def __init__(self, code):
        self.iid = _interpreters.create(_interpreters.new_config("isolated"))
        err = _interpreters.exec(self.iid, PRELUDE + QUEUE_SHIM)
        assert err is None, err
        self.result = []
        self.thread = threading.Thread(
            target=lambda: self.result.append(
                _interpreters.exec(self.iid, PRELUDE + QUEUE_SHIM + textwrap.dedent(code))),
            daemon=True)
        self.thread.start()

    def close(self):
        self.thread.join(30)
        assert self.result == [None], self.result
        _interpreters.destroy(self.iid)


def bench_channel(rounds, payload):
    a, b = core.channel_create(), core.channel_create()
    agent = Agent(f"""
        while True:
            try:
                data = core.channel_recv({a})
            except core.ChannelClosedError:
                break
            core.channel_send({b}, data)
    """)
    samples = []
    for i in range(rounds + 200):
        t0 = time.perf_counter_ns()
        core.channel_send(a, payload)
        core.channel_recv(b)
        if i >= 200:                            # warm-up
            samples.append(time.perf_counter_ns() - t0)
    core.channel_close(a)
    agent.close()
    core.channel_destroy(a)
    core.channel_destroy(b)
    return samples


def bench_queue(rounds, payload, delay):
    qa, qb = ns["q_create"](), ns["q_create"]()
    agent = Agent(f"""
        while True:
            data = q_get({qa}, {delay!r})
            if data == b"STOP":
                break
            q_put({qb}, data)
    """)
    samples = []
    warm = 20 if delay else 200
    for i in range(rounds + warm):
        t0 = time.perf_counter_ns()
        ns["q_put"](qa, payload)
        ns["q_get"](qb, delay)
        if i >= warm:
            samples.append(time.perf_counter_ns() - t0)
    ns["q_put"](qa, b"STOP")
    agent.close()
    _interpqueues.destroy(qa)
    _interpqueues.destroy(qb)
    return samples


def bench_interrupt(n, blocked):
    report = core.channel_create()
    idle = core.channel_create()
    body = f"core.channel_recv({idle})" if blocked else "spin()"
    agent = Agent(f"""
        def spin():
            while True:
                pass
        def work():
            {body}
        for i in range({n}):
            core.channel_send({report}, b"ready")
            try:
                core.call_interruptible(work)
            except KeyboardInterrupt:
                core.channel_send({report}, str(time.perf_counter_ns()).encode())
    """)
    samples = []
    for _ in range(n):
        assert core.channel_recv(report, timeout=10) == b"ready"
        time.sleep(0.002)                       # let it get into spin()/recv
        t0 = time.perf_counter_ns()
        while not core.interrupt(agent.iid):    # False until it is inside the call
            pass
        t1 = int(core.channel_recv(report, timeout=10))
        samples.append(t1 - t0)
    agent.close()
    core.channel_destroy(report)
    core.channel_destroy(idle)
    return samples


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5000)
    p.add_argument("--slow-rounds", type=int, default=200,
                   help="round trips for the 10 ms polling queue")
    p.add_argument("--interrupts", type=int, default=100)
    p.add_argument("--payload", type=int, default=64, help="message size in bytes")
    args = p.parse_args()
    payload = b"x" * args.payload

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"payload {args.payload} B, round trip main -> isolated subinterpreter -> main")
    print(f"  _core channel (blocking)          {stats(bench_channel(args.rounds, payload))}")
    print(f"  _interpqueues, poll sleep(0)      {stats(bench_queue(args.rounds, payload, 0.0))}")
    print(f"  _interpqueues, poll sleep(10 ms)  "
          f"{stats(bench_queue(args.slow_rounds, payload, 0.010))}")
    print("interrupt() -> KeyboardInterrupt observed in the subinterpreter")
    print(f"  busy loop in call_interruptible   {stats(bench_interrupt(args.interrupts, False))}")
    print(f"  blocked in channel_recv           {stats(bench_interrupt(args.interrupts, True))}")


if __name__ == "__main__":
    main()
