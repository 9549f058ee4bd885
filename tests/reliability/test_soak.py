"""Reliability: load and soak through the real kernel.

Cells across 8 interpreters, mixing plain output, stderr, several targets, output of
threads, displays, errors, interrupts of foreground cells, ``--bg`` jobs (some
interrupted) and normal main cells. Every printed line carries its cell and its
interpreter (``C<cell>|<interpreter>|<n>``), so the test checks that every line
arrives, once, in the cell that printed it: 0 lost, 0 misrouted, 0 duplicated.
The kernel's RSS is sampled after a warm-up and at the end.

``make test`` runs the short version (~100 cells); ``make soak`` the long one
(1,000 cells, marker ``soak``). The upstream leak of isolated create/destroy is
measured separately, in a fresh process.

Set ``INTERP_RELIABILITY_FIGURES=path.jsonl`` to collect the figures
(docs/reliability.md quotes them).
"""

import json
import os
import random
import re
import subprocess
import sys
import time

import pytest

from conftest import report, start_kernel

WORKERS = [f"w{i}" for i in range(8)]
LINE = re.compile(r"^(?:\[(?P<label>w\d)\] )?C(?P<cell>\d+)\|(?P<where>w\d|main)\|(?P<n>\d+)$")
# stderr lines the magics add for a cell whose interpreter is still busy with a --bg job
NOTICE = re.compile(r"^\[w\d\] waiting for its .* to finish first$")




def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# -- the cells --------------------------------------------------------------------------------


def lines_code(cell, where, count, stream="stdout"):
    target = "" if stream == "stdout" else ", file=sys.stderr"
    return f"for _n in range({count}):\n    print(f'C{cell}|{where}|{{_n}}'{target})\n"


class Plan:
    """What each cell is expected to print: (msg_id) -> {stream: [lines]}."""

    def __init__(self):
        self.expected = {}  # msg_id -> {"stdout": [...], "stderr": [...]}
        self.cells = {}  # msg_id -> (cell number, kind)
        self.kinds = {}

    def add(self, msg_id, cell, kind, stdout=(), stderr=()):
        self.expected[msg_id] = {"stdout": list(stdout), "stderr": list(stderr)}
        self.cells[msg_id] = (cell, kind)
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    @property
    def lines_sent(self):
        return sum(len(e["stdout"]) + len(e["stderr"]) for e in self.expected.values())


def run_soak(kernel, cells, seed):
    rng = random.Random(seed)
    plan = Plan()
    bg_jobs = {}  # handle -> (msg_id, worker)
    interrupts = {"sent": 0, "landed": 0}
    queued = []  # msg_ids of cells sent without waiting for them
    pid = kernel.km.provisioner.process.pid

    setup = kernel.execute("%interp create " + " ".join(WORKERS) + "\nimport sys")
    assert setup.ok, setup.summary()
    rss_start = None
    started = time.monotonic()
    kinds = (["print"] * 5 + ["stderr"] * 2 + ["multi"] * 2 + ["queued"] * 3 + ["thread", "display", "error",
             "error", "interrupt", "bg", "bg", "bg_interrupt", "main"])
    for cell in range(cells):
        if cell == max(10, cells // 10):
            kernel.drain(0.2)
            rss_start = rss_mb(pid)
        kind = rng.choice(kinds)
        worker = rng.choice(WORKERS)
        count = rng.randint(1, 40)
        targets = rng.sample(WORKERS, rng.randint(2, 4)) if kind == "multi" else [worker]
        # a cell for an interpreter waits for its --bg job: stop the ones that spin first
        for handle, (bg_id, bg_worker, bg_kind) in list(bg_jobs.items()):
            if bg_kind == "bg_interrupt" and (bg_worker in targets or _has_text(kernel, bg_id, "spinning")):
                _interrupt_bg(kernel, bg_jobs, handle, interrupts)
        expected_out = [f"C{cell}|{worker}|{n}" for n in range(count)]
        if kind == "print":
            msg_id = kernel.submit(f"%%interp {worker}\n" + lines_code(cell, worker, count))
            plan.add(msg_id, cell, kind, stdout=expected_out)
        elif kind == "queued":  # sent without waiting, like "Run All": it queues in the kernel
            msg_id = kernel.submit(f"%%interp {worker}\n" + lines_code(cell, worker, count), stop_on_error=False)
            plan.add(msg_id, cell, kind, stdout=expected_out)
            queued.append(msg_id)
            continue
        elif kind == "stderr":
            code = (f"%%interp {worker}\nimport sys\n" + lines_code(cell, worker, count)
                    + lines_code(cell, worker, count, "stderr"))
            msg_id = kernel.submit(code)
            plan.add(msg_id, cell, kind, stdout=expected_out, stderr=expected_out)
        elif kind == "multi":
            code = f"%%interp {' '.join(targets)}\n" + (
                f"for _n in range({count}):\n    print(f'C{cell}|{{WHO}}|{{_n}}')\n"
            )
            msg_id = kernel.submit(code)
            plan.add(msg_id, cell, kind, stdout=[f"[{t}] C{cell}|{t}|{n}" for t in targets for n in range(count)])
        elif kind == "thread":
            code = (f"%%interp {worker}\nimport sys, threading\n"
                    f"def _emit():\n    for _n in range({count}):\n"
                    f"        sys.stdout.write(f'C{cell}|{worker}|{{_n}}\\n')\n"
                    "_t = threading.Thread(target=_emit)\n_t.start()\n_t.join()\n")
            msg_id = kernel.submit(code)
            plan.add(msg_id, cell, kind, stdout=expected_out)
        elif kind == "display":
            code = (f"%%interp {worker}\n" + lines_code(cell, worker, count)
                    + f"display({{'text/plain': 'shown C{cell}'}}, raw=True)\n'value C{cell}'")
            msg_id = kernel.submit(code)
            plan.add(msg_id, cell, kind, stdout=expected_out)
        elif kind == "error":
            code = f"%%interp {worker}\n" + lines_code(cell, worker, count) + f"raise ValueError('E{cell}')"
            msg_id = kernel.submit(code)
            plan.add(msg_id, cell, kind, stdout=expected_out)
        elif kind == "interrupt":
            code = (f"%%interp {worker}\n" + lines_code(cell, worker, count)
                    + "print('spinning', flush=True)\nwhile True:\n    pass")
            msg_id = kernel.submit(code)
            plan.add(msg_id, cell, kind, stdout=expected_out + ["spinning"])
            kernel.wait_for(msg_id, lambda m: m["msg_type"] == "stream" and "spinning" in m["content"]["text"])
            interrupts["sent"] += 1
            kernel.interrupt()
        elif kind in ("bg", "bg_interrupt"):
            handle = f"job{cell}"
            pause = rng.choice([0.0, 0.002, 0.01])
            code = (f"%%interp {worker} --bg {handle}\nimport time\n"
                    f"for _n in range({count}):\n    print(f'C{cell}|{worker}|{{_n}}')\n    time.sleep({pause})\n")
            if kind == "bg_interrupt":
                code += "print('spinning', flush=True)\nwhile True:\n    pass\n"
                expected_out = expected_out + ["spinning"]
            msg_id = kernel.submit(code)
            plan.add(msg_id, cell, kind, stdout=expected_out)
            bg_jobs[handle] = (msg_id, worker, kind)
        else:  # main
            msg_id = kernel.submit(f"for _n in range({count}):\n    print(f'C{cell}|main|{{_n}}')")
            plan.add(msg_id, cell, kind, stdout=[f"C{cell}|main|{n}" for n in range(count)])
        reply = kernel.reply(msg_id, timeout=60)  # (drops the replies of queued cells)
        kernel.wait_idle(msg_id, timeout=60)
        for queued_id in queued:  # they ran before this one
            kernel.wait_idle(queued_id, timeout=60)
            assert not [m for m in kernel.messages(queued_id) if m["msg_type"] == "error"], kernel.messages(queued_id)
        queued.clear()
        status = reply["content"]["status"]
        if kind in ("error", "interrupt"):
            assert status == "error", (cell, kind, reply["content"])
            ename = reply["content"]["ename"]
            assert ename == ("ValueError" if kind == "error" else "KeyboardInterrupt"), (cell, reply["content"])
            if kind == "interrupt":
                interrupts["landed"] += 1
        else:
            assert status == "ok", (cell, kind, reply["content"], kernel.messages(msg_id))
    for queued_id in queued:
        kernel.wait_idle(queued_id, timeout=60)
    # every bg job ends; interrupt the ones still spinning
    for handle, (bg_id, bg_worker, bg_kind) in list(bg_jobs.items()):
        if bg_kind == "bg_interrupt":
            _interrupt_bg(kernel, bg_jobs, handle, interrupts)
    for handle, (bg_id, bg_worker, bg_kind) in bg_jobs.items():
        ex = kernel.execute(f"%interp wait {handle} --timeout 30")
        if bg_kind == "bg_interrupted":
            assert ex.error["ename"] == "KeyboardInterrupt", ex.summary()
            interrupts["landed"] += 1
        else:
            assert ex.ok, ex.summary()
    kernel.drain(0.5)
    elapsed = time.monotonic() - started
    rss_end = rss_mb(pid)

    # -- every line arrived, once, in its own cell ---------------------------------------
    received = 0
    lost, misrouted, extra = [], [], []
    for msg_id, streams in plan.expected.items():
        cell, kind = plan.cells[msg_id]
        got = {"stdout": "", "stderr": ""}
        for m in kernel.messages(msg_id):
            if m["msg_type"] == "stream":  # (a message may hold part of a line: join them first)
                got[m["content"]["name"]] += m["content"]["text"]
        for name in ("stdout", "stderr"):
            lines = [line for line in got[name].splitlines() if not (name == "stderr" and NOTICE.match(line))]
            received += len(lines)
            for line in lines:
                match = LINE.match(line)
                if line == "spinning":
                    continue
                if match is None or int(match["cell"]) != cell:
                    misrouted.append((cell, kind, name, line))
            want = streams[name]
            if kind == "multi":  # interleaved between interpreters: compare per interpreter
                for label in {w[1:3] for w in want}:
                    mine = [x for x in lines if x.startswith(f"[{label}] ")]
                    expect = [x for x in want if x.startswith(f"[{label}] ")]
                    if mine != expect:
                        lost.append((cell, kind, name, label, len(expect), len(mine)))
            elif lines != want:
                missing = [x for x in want if x not in lines]
                surplus = [x for x in lines if x not in want]
                if missing:
                    lost.append((cell, kind, name, missing[:3], len(missing)))
                if surplus or (not missing and lines != want):
                    extra.append((cell, kind, name, surplus[:3], "order" if not surplus else ""))
    assert not misrouted, misrouted[:10]
    assert not lost, lost[:10]
    assert not extra, extra[:10]
    assert received == plan.lines_sent
    # the kernel still works, and so does every interpreter
    ex = kernel.execute("%%interp " + " ".join(WORKERS) + "\n'alive'")
    assert ex.ok and ex.text.count("'alive'") == len(WORKERS), ex.summary()
    return {
        "cells": cells,
        "kinds": plan.kinds,
        "lines_sent": plan.lines_sent,
        "lines_received": received,
        "lost": len(lost),
        "misrouted": len(misrouted),
        "interrupts_sent": interrupts["sent"],
        "interrupts_landed": interrupts["landed"],
        "seconds": round(elapsed, 1),
        "rss_after_warmup_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_growth_mb": round(rss_end - rss_start, 1),
    }


def _interrupt_bg(kernel, bg_jobs, handle, interrupts):
    """Wait until the --bg job ``handle`` spins, then ``%interp interrupt`` it."""
    bg_id, bg_worker, _ = bg_jobs[handle]
    kernel.wait_for(bg_id, lambda m: m["msg_type"] == "stream" and "spinning" in m["content"]["text"])
    interrupts["sent"] += 1
    ex = kernel.execute(f"%interp interrupt {handle}")
    assert ex.ok and f"interrupted {handle}" in ex.stdout, ex.summary()
    bg_jobs[handle] = (bg_id, bg_worker, "bg_interrupted")


def _has_text(kernel, msg_id, text):
    return any(m["msg_type"] == "stream" and text in m["content"]["text"] for m in kernel.messages(msg_id))


@pytest.fixture
def soak_kernel():
    handle = start_kernel()
    yield handle
    handle.shutdown()


def _name_workers(kernel):
    """WHO: each interpreter's own name, for the cells that run in several at once."""
    for worker in WORKERS:
        assert kernel.execute(f"%%interp {worker}\nWHO = {worker!r}").ok


@pytest.mark.timeout(240)
def test_short_soak(soak_kernel):
    _name_workers(soak_kernel)
    figures = run_soak(soak_kernel, cells=100, seed=7)
    report("soak_short", **figures)
    # First use, not per cell: +17 MB on 3.13.0; +76 MB on 3.14.10 with the packages of
    # 2026-12-06, the same before warm spares (b2f82a0), while the 1,000-cell soak stays
    # under its 150 MB bound. The long soak is the check that growth does not scale.
    assert figures["rss_growth_mb"] < 100, figures


@pytest.mark.soak
@pytest.mark.timeout(1800)
def test_long_soak(soak_kernel):
    _name_workers(soak_kernel)
    figures = run_soak(soak_kernel, cells=1000, seed=1000)
    report("soak_long", **figures)
    assert figures["rss_growth_mb"] < 150, figures


LEAK_SCRIPT = r"""
import gc, json, sys, _interpreters
from interp_kernel.runtime.session import Session

def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

def per_cycle(make, n):
    make(); make()  # warm up
    gc.collect()
    before = rss()
    for _ in range(n):
        make()
    gc.collect()
    return (rss() - before) / n

def raw(config):
    def make():
        _interpreters.destroy(_interpreters.create(_interpreters.new_config(config)))
    return make

def session(config):
    def make():
        s = Session("leak", config)
        s.run("x = sum(range(1000))")
        assert s.close(5.0)
    return make

n = int(sys.argv[1])
print(json.dumps({
    "raw_isolated_mb": round(per_cycle(raw("isolated"), n), 2),
    "raw_legacy_mb": round(per_cycle(raw("legacy"), n), 2),
    "session_isolated_mb": round(per_cycle(session("isolated"), n), 2),
    "session_legacy_mb": round(per_cycle(session("legacy"), n), 2),
}))
"""


@pytest.mark.timeout(120)
def test_memory_per_create_and_destroy():
    """RSS kept per interpreter create/destroy, in a fresh process: the raw cycle
    (the upstream leak, ~1.7 MB isolated on 3.13.0) and a whole Session (agent, channels,
    one cell, close) — ours must add little to what CPython itself keeps."""
    cycles = 40
    out = subprocess.run([sys.executable, "-c", LEAK_SCRIPT, str(cycles)], capture_output=True, text=True,
                         timeout=100, cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    report("memory_per_create_destroy", cycles=cycles, **figures)
    for kind in ("isolated", "legacy"):
        assert figures[f"session_{kind}_mb"] < figures[f"raw_{kind}_mb"] + 1.0, figures
        assert figures[f"session_{kind}_mb"] < 5.0, figures
