"""The benchmark suite: interp_kernel side by side with a plain cell, ipyparallel,
multiprocessing and threads (issue P1-P11). Not a test: nothing here fails on a missed
target; the report says it was missed and by how much.

    python benchmarks/run.py            # full run (what `make bench` does), ~2-4 minutes
    python benchmarks/run.py --quick    # few repetitions, for development
    python benchmarks/run.py --only P1,P7 --out-dir /tmp/b --markdown /tmp/b/RESULTS.md

Starts the real things locally: the `interp` kernel and a stock `python3` ipykernel
through jupyter_client (PYTEST_CURRENT_TEST removed from their environment), an
ipyparallel cluster on 127.0.0.1 (1 engine, then a second), multiprocessing pools,
and a `Manager` in this process for the library-level rows. Writes
`results/<date>-<python>.json` and `.svg`, then regenerates RESULTS.md from the newest
full run of each Python found in the results folder.
"""

import argparse
import datetime
import importlib
import os
import sys
import time
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# The fork pool and fork Process contenders fork a process that has threads (kernel
# clients, agents); CPython 3.12+ warns about it on every fork.
warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning)

import bench_report  # noqa: E402
import bench_kernels  # noqa: E402
import bench_machine  # noqa: E402
import bench_records  # noqa: E402

# P2 (all cores) and P7 (latency) suffer most from other load on the machine: they run first.
FAMILIES = [
    ("P2", "p2_parallel"),
    ("P7", "p7_queues"),
    ("P1", "p1_cells"),
    ("P3", "p3_startup"),
    ("P4", "p4_data"),
    ("P5", "p5_output"),
    ("P6", "p6_memory"),
    ("P8", "p8_interrupt"),
    ("P9", "p9_executor"),
    ("P10", "p10_cluster"),
    ("P11", "p11_scaling"),
]


class Context:
    """What every family gets: the running kernels, the cluster, a Manager, the mode."""

    def __init__(self, quick):
        self.quick = quick
        self.interp = None
        self.stock = None
        self.cluster = None
        self.manager = None
        self.scaling_n = None

    def reps(self, full, quick):
        return quick if self.quick else full

    def cell_contenders(self, body):
        """``(key, kernel, code)`` for running ``body`` as an ``%%interp w`` cell, a plain
        cell, a cell of the stock kernel and, with a cluster, a ``%%px`` cell."""
        cells = [("interp", self.interp, "%%interp w\n" + body), ("plain", self.interp, body),
                 ("stock", self.stock, body)]
        if self.cluster is not None:
            cells.append(("px", self.interp, "%%px\n" + body))
        return cells


def log(text):
    print(text, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="few repetitions (development)")
    p.add_argument("--only", default="", help="comma-separated families, e.g. P1,P7")
    p.add_argument("--no-ipyparallel", action="store_true", help="skip the ipyparallel contenders")
    p.add_argument("--out-dir", default=os.path.join(HERE, "results"))
    p.add_argument("--markdown", default=os.path.join(HERE, "RESULTS.md"))
    args = p.parse_args()
    only = {x.strip().upper() for x in args.only.split(",") if x.strip()}
    chosen = [(k, m) for k, m in FAMILIES if not only or k in only]

    started = time.perf_counter()
    now = datetime.datetime.now(datetime.timezone.utc)
    meta = bench_machine.machine_info()
    meta.update(date=now.strftime("%Y-%m-%d"), time_utc=now.strftime("%Y-%m-%dT%H:%M:%SZ"), quick=args.quick,
                families=[k for k, _ in chosen], load_start=bench_machine.loadavg())
    log(f"interp_kernel benchmarks: Python {meta['python']}, {meta['cores']} cores, "
        f"load average {meta['load_start']}{' (quick)' if args.quick else ''}")
    if meta["load_start"] and meta["load_start"][0] >= 1.0:
        log("  note: the machine is busy (1-minute load average >= 1): figures will be noisy")

    ctx = Context(args.quick)
    ctx.out_dir = args.out_dir
    ctx.python_tag = f"{meta['implementation']}-{meta['python']}"
    families, errors = [], {}
    from interp_kernel import Manager

    try:
        ctx.manager = Manager()
        ctx.interp = bench_kernels.start_bench_kernel("interp")
        ctx.stock = bench_kernels.start_bench_kernel("python3")
        meta["kernel_startup_s"] = {"interp": round(ctx.interp.startup, 3), "python3": round(ctx.stock.startup, 3)}
        log(f"  kernels up: interp {ctx.interp.startup:.2f} s, python3 {ctx.stock.startup:.2f} s")
        ctx.interp.execute("import sys; print(sys.version)", check=True)
        if not args.no_ipyparallel:
            try:
                ctx.cluster = bench_kernels.Cluster()
                log(f"  ipyparallel cluster on 127.0.0.1: controller + 1 engine in {ctx.cluster.first_start:.1f} s")
                if any(k in ("P2", "P3", "P6", "P9") for k, _ in chosen):
                    log(f"  second engine in {ctx.cluster.add_engine():.1f} s")
                ctx.interp.execute(ctx.cluster.kernel_setup_code(), check=True)
                meta["ipyparallel_engines"] = len(ctx.cluster.client.ids)
            except ImportError as exc:
                log(f"  ipyparallel is not installed ({exc}): its contenders are skipped")
                ctx.cluster = None
        for key, module in chosen:
            t0 = time.perf_counter()
            load_before = bench_machine.loadavg()
            cpu_before = bench_machine.cpu_snapshot()
            log(f"{key} ... (load average {load_before})")
            try:
                fam = importlib.import_module(module).run(ctx)
            except Exception:
                errors[key] = traceback.format_exc()
                log(f"  {key} FAILED:\n{errors[key]}")
                continue
            record = fam.to_json()
            record.update(load_before=load_before, load_after=bench_machine.loadavg(),
                          seconds=round(time.perf_counter() - t0, 1),
                          foreign_cores=bench_machine.foreign_cores(cpu_before, bench_machine.cpu_snapshot()))
            families.append(record)
            log(bench_report.text_summary(record))
            log(f"  ({record['seconds']:.1f} s; other processes kept {record['foreign_cores']} cores busy)")
    finally:
        for kernel in (ctx.interp, ctx.stock):
            if kernel is not None:
                kernel.shutdown()
        if ctx.cluster is not None:
            ctx.cluster.stop()
        if ctx.manager is not None:
            stuck = ctx.manager.shutdown(timeout=5)
            if stuck:
                log(f"  interpreters that could not be destroyed: {stuck}")

    meta["load_end"] = bench_machine.loadavg()
    meta["duration_s"] = round(time.perf_counter() - started, 1)
    result = {"meta": meta, "families": families, "errors": errors}
    stem = f"{meta['date']}-{meta['implementation']}-{meta['python']}" + ("-quick" if args.quick else "")
    json_path = os.path.join(args.out_dir, stem + ".json")
    bench_records.write_json(json_path, result)
    svg_path = os.path.join(args.out_dir, stem + ".svg")
    bench_report.write_svg(result, svg_path)
    md = bench_report.write_markdown(args.out_dir, args.markdown)
    log(f"wrote {os.path.relpath(json_path)}, {os.path.relpath(svg_path)} and {os.path.relpath(args.markdown)} "
        f"(from {', '.join(os.path.basename(x) for x in md)}) in {meta['duration_s']:.0f} s; "
        f"load average {meta['load_end']}")
    if errors:
        log(f"families that failed: {', '.join(errors)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
