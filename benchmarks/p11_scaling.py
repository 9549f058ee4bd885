"""P11: how CPU-bound pure Python scales with the number of workers.

N equal units of `work(n)` (one unit ≈ 0.1 s here, 0.03 s with --quick) run at once on
N workers, for N = 1 … 16: N interpreters (`Manager.run_many`), N processes (a spawn
pool, started and warmed before timing) and N threads in the driver. Speed-up = N ×
(one unit's serial time) / wall time of the N units: the ideal is min(N, cores); the
threads stay near 1 (the GIL). Writes an SVG plot (no plotting library needed) beside
the results; on a machine with 2 cores every curve flattens at 2, so the shape past 2
says how much each kind of worker costs when oversubscribed, not how it scales.

    python benchmarks/run.py --only P11 [--quick]
"""

import concurrent.futures
import multiprocessing
import os
import statistics
import threading
import time

from bench_records import Family
from bench_work import WORK_SOURCE, work
from p2_parallel import calibrate

FULL_COUNTS = list(range(1, 17))
QUICK_COUNTS = [1, 2, 4, 8, 16]
KINDS = [("interpreters", "#1f77b4"), ("processes", "#2ca02c"), ("threads", "#d62728")]


def _best_wall(fn, reps):
    fn()  # warm-up
    walls = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
    return min(walls)


def _threads(count, n):
    threads = [threading.Thread(target=work, args=(n,)) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run(ctx):
    fam = Family("P11", "Scaling: N units of CPU-bound pure Python on N workers", "×")
    counts = QUICK_COUNTS if ctx.quick else FULL_COUNTS
    reps = ctx.reps(3, 1)
    n = calibrate(ctx.reps(0.1, 0.03))
    cores = len(os.sched_getaffinity(0))
    serial = statistics.median(_best_wall(lambda: work(n), 1) for _ in range(3))
    curves = {kind: [] for kind, _ in KINDS}

    names = [f"p11-{i}" for i in range(max(counts))]
    for name in names:
        ctx.manager.session(name).run(WORK_SOURCE)
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max(counts), mp_context=spawn) as pool:
        list(pool.map(work, [10] * max(counts)))  # every worker started and warm
        for count in counts:
            walls = {
                "interpreters": _best_wall(lambda: ctx.manager.run_many(names[:count], f"work({n})"), reps),
                "processes": _best_wall(lambda: list(pool.map(work, [n] * count)), reps),
                "threads": _best_wall(lambda: _threads(count, n), reps),
            }
            for kind, wall in walls.items():
                speedup = count * serial / wall
                curves[kind].append((count, speedup))
                fam.value(f"{count:2d} {kind}", speedup, ours=kind == "interpreters", unit="×",
                          key=f"{kind}_{count}")
    for name in names:
        ctx.manager.session(name).close()

    fam.extra["curves"] = curves
    fam.note(f"{cores} cores here, one unit {serial * 1e3:.0f} ms serial; the ideal is min(N, {cores}). "
             "The GPU/device machine is not lent to this task: no run on a machine with more cores yet.")
    path = os.path.join(getattr(ctx, "out_dir", os.path.dirname(os.path.abspath(__file__))),
                        f"p11-scaling-{ctx.python_tag}.svg" if hasattr(ctx, "python_tag") else "p11-scaling.svg")
    write_plot(curves, cores, path)
    fam.note(f"plot: {os.path.basename(path)}")
    top = max(counts)
    fam.target(f"{top} interpreters reach ≥ 0.9 × the processes' speed-up",
               fam.row(f"interpreters_{top}")["median"], ">=", 0.9 * fam.row(f"processes_{top}")["median"], "×")
    return fam


def write_plot(curves, cores, path):
    """An SVG line chart of speed-up against workers, one line per kind, plus the ideal."""
    width, height, left, bottom, top, right = 560, 340, 50, 40, 20, 130
    max_n = max(n for points in curves.values() for n, _ in points)
    max_y = max([cores] + [y for points in curves.values() for _, y in points]) * 1.1

    def xy(n, y):
        x = left + (n - 1) / max(1, max_n - 1) * (width - left - right)
        return x, height - bottom - y / max_y * (height - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    x0, y0 = xy(1, 0)
    x1, y1 = xy(max_n, max_y)
    out.append(f'<path d="M{x0:.1f},{y1:.1f} V{y0:.1f} H{x1:.1f}" stroke="black" fill="none"/>')
    for tick in range(0, int(max_y) + 1):
        _, y = xy(1, tick)
        out.append(f'<text x="{x0 - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{tick}×</text>')
    for n in sorted({n for points in curves.values() for n, _ in points}):
        x, _ = xy(n, 0)
        out.append(f'<text x="{x:.1f}" y="{y0 + 14:.1f}" text-anchor="middle">{n}</text>')
    out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{height - 6}" text-anchor="middle">workers (N)</text>')
    ideal = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(n, min(n, cores)) for n in range(1, max_n + 1)))
    out.append(f'<polyline points="{ideal}" stroke="#999" stroke-dasharray="4 3" fill="none"/>')
    legend = [("ideal (min(N, cores))", "#999")] + [(kind, colour) for kind, colour in KINDS if kind in curves]
    for kind, colour in KINDS:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(n, s) for n, s in curves.get(kind, [])))
        out.append(f'<polyline points="{points}" stroke="{colour}" stroke-width="2" fill="none"/>')
    for i, (label, colour) in enumerate(legend):
        y = top + 14 + i * 16
        out.append(f'<line x1="{x1 + 10:.1f}" y1="{y - 4}" x2="{x1 + 30:.1f}" y2="{y - 4}" stroke="{colour}" '
                   'stroke-width="2"/>')
        out.append(f'<text x="{x1 + 34:.1f}" y="{y}">{label}</text>')
    out.append("</svg>")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
