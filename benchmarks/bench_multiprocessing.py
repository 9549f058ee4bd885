"""The multiprocessing contenders, run in a helper process of their own.

    python benchmarks/bench_multiprocessing.py TASK '{"arg": value}'   -> one JSON object on stdout

Why a separate process: on CPython 3.13.0 and 3.14, a child forked from a process that
has (or had, and has not destroyed) a subinterpreter dies at once (3.13: "Fatal Python
error: PyThreadState_Get", SIGABRT; 3.14: "Py_EndInterpreter: not the last thread" or
SIGSEGV). The driver holds interpreters for the library rows, so its fork-based
contenders would crash; this helper has none.
"""

import json
import multiprocessing
import os
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_work  # noqa: E402


def pool(n, reps, budget=150):
    """Seconds for 2 units of work: serial here, and Pool(2) map per start method (pools started).

    Repetitions disturbed by other processes are run again, as in P2 (bench_machine.quiet_repetitions).
    """
    from bench_machine import quiet_repetitions

    pools = {}
    for method in ("spawn", "fork"):
        p = multiprocessing.get_context(method).Pool(2)
        p.map(bench_work.work, [1000, 1000], chunksize=1)
        pools[method] = p

    turn = [0]

    def one():
        res = {}
        t0 = time.perf_counter()
        bench_work.work(n), bench_work.work(n)
        res["local"] = time.perf_counter() - t0
        turn[0] += 1
        order = list(pools.items())
        if turn[0] % 2:
            order.reverse()
        for method, p in order:
            t0 = time.perf_counter()
            p.map(bench_work.work, [n, n], chunksize=1)
            res[method] = time.perf_counter() - t0
        return res

    kept, discarded, forced = quiet_repetitions(one, reps, budget)
    for p in pools.values():
        p.terminate()
        p.join()
    out = {key: [r[key] for r in kept] for key in kept[0]}
    out["discarded"] = [round(f, 2) for f in discarded]
    out["forced"] = [round(f, 2) for f in forced]
    return out


def start(reps):
    """Seconds to start + join a Process(target=noop) per start method, and `python -c pass`."""
    out = {}
    for method in ("fork", "forkserver", "spawn"):
        mp = multiprocessing.get_context(method)
        p = mp.Process(target=bench_work.noop)  # warm-up (starts the fork server)
        p.start()
        p.join()
        samples = []
        for _ in range(reps if method != "spawn" else max(3, reps // 2)):
            t0 = time.perf_counter()
            p = mp.Process(target=bench_work.noop)
            p.start()
            p.join()
            samples.append(time.perf_counter() - t0)
        out[method] = samples
    out["subprocess"] = []
    for _ in range(max(3, reps // 2)):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        out["subprocess"].append(time.perf_counter() - t0)
    return out


def memory():
    """RSS and USS (MB) of idle Pool workers per start method."""
    import psutil

    out = {}
    for method in ("spawn", "fork"):
        p = multiprocessing.get_context(method).Pool(2)
        pids = set(p.map(bench_work.pid, range(8), chunksize=1))
        time.sleep(0.3)
        infos = [psutil.Process(pid).memory_full_info() for pid in pids]
        out[method] = {"rss": max(i.rss for i in infos) / 1e6, "uss": max(i.uss for i in infos) / 1e6,
                       "n": len(infos)}
        p.terminate()
        p.join()
    return out


def _pipe_echo(conn):
    while (x := conn.recv()) is not None:
        conn.send(x)


def pipe(rounds, warm=200):
    """Round-trip seconds of a small int over a multiprocessing Pipe to a forked process."""
    mp = multiprocessing.get_context("fork")
    parent, child = mp.Pipe()
    proc = mp.Process(target=_pipe_echo, args=(child,))
    proc.start()
    samples = []
    for i in range(rounds + warm):
        t0 = time.perf_counter()
        parent.send(i)
        parent.recv()
        if i >= warm:
            samples.append(time.perf_counter() - t0)
    parent.send(None)
    proc.join(10)
    return samples


TASKS = {"pool": pool, "start": start, "memory": memory, "pipe": pipe}


def run_helper(task, **kwargs):
    """Run TASK in a fresh helper process (from the driver); returns its JSON answer."""
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), task, json.dumps(kwargs)],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"bench_multiprocessing {task} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    result = TASKS[sys.argv[1]](**json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}"))
    print(json.dumps(result))
