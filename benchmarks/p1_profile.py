"""Where an ``%%interp w`` cell's time goes inside the kernel, step by step, next to a plain cell.

    python benchmarks/p1_profile.py [TREE] [--rounds N]

Starts an ``interp`` kernel in TREE (default: this checkout; ``python -m interp_kernel``
imports the package of its working directory), wraps the steps of a cell (IPython's
transform, async check, AST transform and magic dispatch; the magic's argument
parsing, submit and wait; the kernel's early wake; IPython's event callbacks) in
timers, then runs plain ``pass`` cells and ``%%interp w`` cells alternately through
jupyter_client as P1 does (the client reads what is pending for 10 ms before each
request, so the kernel idles between cells as in a notebook). Prints the median time
of each step per cell kind, the whole ``run_cell`` and the client's round trip.

The timers add a few µs per step; compare two trees with this script, not with P1.
Steps a tree does not have are left out (an older tree has no ``Session.wake``).
"""

import argparse
import json
import os
import statistics

from bench_kernels import start_bench_kernel

CELLS = ("pass", "%%interp w\npass")

_SETUP = r'''
import functools, json, statistics, time
from IPython.core.interactiveshell import InteractiveShell
from interp_kernel.jupyter import cell_magic, context, routing, sigint
from interp_kernel.runtime import jobs, session
_ip = get_ipython()
_steps, _log = {}, []

def _timed(owner, name, label):
    inner = owner.__dict__.get(name) or getattr(owner, name, None)
    if inner is None:
        return
    @functools.wraps(inner)
    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            _steps[label] = _steps.get(label, 0.0) + time.perf_counter() - t0
    setattr(owner, name, timed)

for owner, names in [
        (type(_ip), ["transform_cell", "should_run_async", "transform_ast", "run_cell_magic", "var_expand"]),
        (cell_magic.InterpCellMagics, ["_parse", "_submit", "_wait", "_run_in_foreground"]),
        (context.InterpContext, ["session", "conclude"]),
        (routing.Router, ["target", "flush"]),
        (jobs.Job, ["wait_done"]),
        (session.Session, ["submit", "wake"]),
        (sigint.InterruptGate, ["__enter__", "__exit__"]),
        (type(_ip.kernel), ["pre_handler_hook"])]:
    for name in names:
        _timed(owner, name, f"{owner.__name__}.{name}")
for event in ("pre_run_cell", "post_run_cell", "pre_execute", "post_execute"):
    callbacks = _ip.events.callbacks[event]
    for i, callback in enumerate(callbacks):
        holder = type("Holder", (), {"call": staticmethod(callback)})
        _timed(holder, "call", f"{event}: {getattr(callback, '__qualname__', type(callback).__qualname__)}")
        callbacks[i] = holder.call

_run_cell = _ip.run_cell
def _timed_run_cell(raw_cell, *args, **kwargs):
    t0 = time.perf_counter()
    try:
        return _run_cell(raw_cell, *args, **kwargs)
    finally:
        _steps["run_cell (whole)"] = time.perf_counter() - t0
        _log.append((raw_cell, dict(_steps)))  # with the steps before run_cell (the early wake)
        _steps.clear()
_ip.run_cell = _timed_run_cell
_steps.clear()
'''

_REPORT = r'''
_ip.run_cell = _run_cell
_table = {{}}
for _cell in {cells!r}:
    _rows = [steps for raw, steps in _log if raw == _cell]
    _labels = sorted({{label for steps in _rows for label in steps}})
    _table[_cell] = {{label: statistics.median(steps.get(label, 0.0) for steps in _rows) * 1e6 for label in _labels}}
print(json.dumps(_table))
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", default=".", help="source tree (folder holding interp_kernel/)")
    parser.add_argument("--rounds", type=int, default=250)
    args = parser.parse_args()
    kernel = start_bench_kernel("interp", cwd=os.path.abspath(args.tree))
    try:
        for _ in range(5):
            for code in CELLS:
                kernel.execute(code, check=True)
        kernel.execute(_SETUP, check=True)
        trips = {code: [] for code in CELLS}
        for i in range(args.rounds):
            for code in CELLS if i % 2 == 0 else CELLS[::-1]:
                trips[code].append(kernel.execute(code).elapsed)
        table = json.loads(kernel.execute(_REPORT.format(cells=CELLS), check=True).stdout)
    finally:
        kernel.shutdown()
    labels = sorted({label for steps in table.values() for label in steps}, key=lambda s: (s != "run_cell (whole)", s))
    print(f"{args.tree}: median µs per cell, {args.rounds} rounds of each")
    print(f"{'step':58s} {'pass':>9s} {'%%interp w':>11s}")
    for label in labels:
        print(f"{label[:58]:58s} " + " ".join(f"{table[code].get(label, 0.0):{w}.1f}"
                                            for code, w in zip(CELLS, (9, 11))))
    print(f"{'client round trip':58s} " + " ".join(f"{statistics.median(trips[code]) * 1e6:{w}.1f}"
                                                  for code, w in zip(CELLS, (9, 11))))


if __name__ == "__main__":
    main()
