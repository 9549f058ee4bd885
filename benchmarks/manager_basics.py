"""The Manager's basic costs, without Jupyter: create, round trip, interrupt latency, parallel speed-up.

Run with `make bench` (or `.venv/bin/python benchmarks/manager_basics.py`). Prints medians
and p90s measured side by side in one run; these machines are shared and noisy, so
compare ratios, not absolute numbers. Not a test: nothing here asserts.
"""

import os
import statistics
import sys
import threading
import time

from interp_kernel import Manager

CPU_WORK = "def work(n):\n    t = 0\n    for i in range(n):\n        t += i * i % 7\n    return t\n"
N = 8_000_000


def quantiles(samples):
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def report(label, samples, unit="ms", scale=1e3):
    med, p90 = quantiles(samples)
    print(f"  {label:<46} median {med * scale:9.3f} {unit}   p90 {p90 * scale:9.3f} {unit}")


def bench_create(manager, repeat=20):
    samples = []
    for i in range(repeat):
        t0 = time.perf_counter()
        session = manager.session(f"c{i}")
        session.run("pass")
        samples.append(time.perf_counter() - t0)
        manager.close(f"c{i}")
    report("create + first run (isolated)", samples)


def bench_round_trip(manager, repeat=500):
    session = manager.session("rt")
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        session.run("1")
        samples.append(time.perf_counter() - t0)
    report("run('1') round trip", samples, "µs", 1e6)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        session.pull("__name__")
        samples.append(time.perf_counter() - t0)
    report("pull of a small value", samples, "µs", 1e6)


def bench_interrupt(manager, repeat=50):
    session = manager.session("intr")
    samples = []
    for _ in range(repeat):
        job = session.submit("while True: pass")
        while session.state != "running":
            time.sleep(0.001)
        time.sleep(0.01)
        t0 = time.perf_counter()
        session.interrupt()
        job.wait()
        samples.append(time.perf_counter() - t0)
    report("interrupt of `while True: pass` (to result)", samples)


def bench_parallel(manager):
    exec(CPU_WORK, globals())
    t0 = time.perf_counter()
    work(N), work(N)  # noqa: F821 - defined by exec above
    serial = time.perf_counter() - t0

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, args=(N,)) for _ in range(2)]  # noqa: F821
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    threaded = time.perf_counter() - t0

    for name in ("pa", "pb"):
        manager.session(name).run(CPU_WORK)
    t0 = time.perf_counter()
    results = manager.run_many(["pa", "pb"], f"work({N})")
    interps = time.perf_counter() - t0
    assert all(r.ok for r in results.values())

    for name in ("la", "lb"):
        manager.session(name, config="legacy").run(CPU_WORK)
    t0 = time.perf_counter()
    manager.run_many(["la", "lb"], f"work({N})")
    legacy = time.perf_counter() - t0

    print(f"  2 x CPU-bound work ({os.cpu_count()} cores): serial {serial:.2f} s, 2 threads {threaded:.2f} s "
          f"({serial / threaded:.2f}x), 2 legacy interpreters {legacy:.2f} s ({serial / legacy:.2f}x), "
          f"2 isolated interpreters {interps:.2f} s ({serial / interps:.2f}x)")


def main():
    print(f"interp_kernel Manager basics — Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    manager = Manager()
    try:
        bench_create(manager)
        bench_round_trip(manager)
        bench_interrupt(manager)
        bench_parallel(manager)
    finally:
        manager.shutdown()


if __name__ == "__main__":
    main()
