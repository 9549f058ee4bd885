"""Reliability: interrupts, 100 in a row, through the real kernel.

Each series interrupts the same code 100 times: foreground and ``--bg`` busy loops in
one interpreter and in four at once, code inside ``time.sleep`` (the agent's
interruptible sleep) and inside a blocking named-queue ``get``. Every interrupt must
land (a KeyboardInterrupt error in the cell), the interpreter must keep its state and
run the next cell, and pure-Python loops must stop within 100 ms. Latency is measured
from the client's interrupt (SIGINT for the kernel's interrupt, the execute request of
``%interp interrupt`` for --bg jobs) to the error message on iopub, so it includes
the kernel's and ZeroMQ's delivery.

Set ``INTERP_RELIABILITY_FIGURES=path.jsonl`` to collect the figures.
"""

import queue
import random
import time

import pytest

from conftest import report, strip_ansi

pytestmark = pytest.mark.timeout(300)

ROUNDS = 100
#: pure-Python loops: every interrupt within this (client-measured, iopub included)
LIMIT_MS = 100.0
#: allowance for a loaded 2-core CI machine: at most this many rounds above LIMIT_MS ...
SLOW_ALLOWED = 3
#: ... and none above this
HARD_LIMIT_MS = 1000.0




def percentiles(latencies):
    ordered = sorted(latencies)

    def at(p):
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)

    return {"p50_ms": at(50), "p90_ms": at(90), "p99_ms": at(99), "max_ms": round(ordered[-1], 1),
            "min_ms": round(ordered[0], 1)}


def check_latencies(name, latencies, landed, limit=LIMIT_MS):
    figures = {"interrupts": len(latencies), "landed": landed, **percentiles(latencies),
               "over_100ms": sum(1 for x in latencies if x > LIMIT_MS)}
    report(name, **figures)
    assert landed == len(latencies) == ROUNDS
    slow = [round(x) for x in latencies if x > limit]
    assert len(slow) <= SLOW_ALLOWED, f"{name}: {len(slow)} interrupts over {limit} ms: {slow}"
    assert max(latencies) <= HARD_LIMIT_MS, f"{name}: an interrupt took {max(latencies):.0f} ms"
    return figures


def has_text(text):
    return lambda m: m["msg_type"] == "stream" and text in m["content"]["text"]


def is_error(m):
    return m["msg_type"] == "error"


def counter_body(names, tail):
    """Body that counts its runs in ``n`` and prints 'go N' once it reached ``tail``."""
    return (f"%%interp {' '.join(names)}\n"
            "n = globals().get('n', 0) + 1\n"
            "print('go', n, flush=True)\n" + tail)


def foreground_series(kernel, names, tail, name, limit=LIMIT_MS):
    latencies = []
    landed = 0
    for round_ in range(1, ROUNDS + 1):
        msg_id = kernel.submit(counter_body(names, tail))
        for target in names:  # every interpreter is inside the loop
            marker = f"[{target}] go {round_}" if len(names) > 1 else f"go {round_}"
            kernel.wait_for(msg_id, has_text(marker), timeout=30)
        time.sleep(0.02)
        sent = time.monotonic()
        kernel.interrupt()
        error = kernel.wait_for(msg_id, is_error, timeout=30)
        latencies.append((error["received"] - sent) * 1000)
        kernel.wait_idle(msg_id)
        content = error["content"]
        assert content["ename"] == "KeyboardInterrupt", content
        tb = strip_ansi("\n".join(content["traceback"]))
        assert "background" not in content["evalue"], content["evalue"]  # it stopped, in time
        for target in names:
            if len(names) > 1:
                assert f"[{target}]" in tb, tb
        landed += 1
    # every interpreter kept its state and ran every round
    ex = kernel.execute(f"%%interp {' '.join(names)}\nn")
    assert ex.ok, ex.summary()
    expected = str(ROUNDS) if len(names) == 1 else "\n".join(f"[{t}] {ROUNDS}" for t in names)
    assert ex.text == expected
    return check_latencies(name, latencies, landed, limit)


def background_series(kernel, names, name):
    latencies = []
    landed = 0
    for round_ in range(1, ROUNDS + 1):
        handle = f"spin{len(names)}"
        start_id = kernel.submit(counter_body(names, "while True:\n    pass").replace(
            "\n", f" --bg {handle}\n", 1))
        for target in names:
            marker = f"[{target}] go {round_}" if len(names) > 1 else f"go {round_}"
            kernel.wait_for(start_id, has_text(marker), timeout=30)
        kernel.wait_idle(start_id)
        sent = time.monotonic()
        ex = kernel.execute(f"%interp interrupt {handle}")
        assert ex.ok and f"interrupted {handle}" in ex.stdout, ex.summary()
        error = kernel.wait_for(start_id, is_error, timeout=30)
        latencies.append((error["received"] - sent) * 1000)
        assert error["content"]["ename"] == "KeyboardInterrupt", error["content"]
        landed += 1
    waited = kernel.execute(f"%interp wait spin{len(names)} --timeout 10")
    assert waited.error["ename"] == "KeyboardInterrupt"
    ex = kernel.execute(f"%%interp {' '.join(names)}\nn")
    expected = str(ROUNDS) if len(names) == 1 else "\n".join(f"[{t}] {ROUNDS}" for t in names)
    assert ex.text == expected, ex.summary()
    return check_latencies(name, latencies, landed)


# -- the series ---------------------------------------------------------------------------------


def test_foreground_busy_loop_in_one_interpreter(kernel):
    foreground_series(kernel, ["fg1"], "while True:\n    pass", "interrupt_fg_busy_1")


def test_foreground_busy_loop_in_four_interpreters(kernel):
    foreground_series(kernel, ["fg4a", "fg4b", "fg4c", "fg4d"], "while True:\n    pass", "interrupt_fg_busy_4")


def test_background_busy_loop_in_one_interpreter(kernel):
    background_series(kernel, ["bg1"], "interrupt_bg_busy_1")


def test_background_busy_loop_in_four_interpreters(kernel):
    background_series(kernel, ["bg4a", "bg4b", "bg4c", "bg4d"], "interrupt_bg_busy_4")


def test_inside_time_sleep(kernel):
    foreground_series(kernel, ["sleeper"], "import time\ntime.sleep(60)", "interrupt_time_sleep")


def test_inside_a_blocking_queue_get(kernel):
    assert kernel.execute("%interp queue rq").ok
    foreground_series(kernel, ["getter"], "rq.get()", "interrupt_queue_get")
    # the queue still works both ways afterwards
    assert kernel.execute("rq.put('after')").ok
    assert kernel.execute("%%interp getter\nrq.get(timeout=5)").text == "'after'"


def _explain_missing_reply(kernel, msg_id, round_):
    """Fail with what can still be learnt: is the kernel alive, does a second interrupt help?"""
    alive = kernel.km.is_alive()
    kernel.interrupt()
    try:
        second = kernel.reply(msg_id, timeout=10)["content"]["status"]
        second = f"a second interrupt brought the reply ({second})"
    except (TimeoutError, queue.Empty):
        second = "a second interrupt brought no reply either"
    seen = [(m["msg_type"], m["content"].get("execution_state", m["content"].get("ename", "")))
            for m in kernel.messages(msg_id)]
    pytest.fail(f"round {round_}: no execute_reply within 30 s; kernel alive: {alive}; {second}; iopub: {seen}")


def test_interrupts_while_the_cell_starts(kernel):
    """Interrupts sent as soon as the kernel starts the cell (no marker awaited): they
    land in ipykernel's or IPython's code before the cell (its pre_run_cell callbacks
    drop a KeyboardInterrupt), in the magic while it submits the job, or just before
    the main thread starts waiting (where CPython can miss the wake-up). Each must stop
    the cell with a KeyboardInterrupt and a reply, and leave nothing running.
    """
    rng = random.Random(3)
    rounds = 60
    where = {"in the interpreter": 0, "before the cell's code": 0}
    for round_ in range(rounds):
        msg_id = kernel.submit("%%interp early\nwhile True:\n    pass")
        kernel.wait_for(msg_id, lambda m: m["msg_type"] == "execute_input", timeout=30)
        time.sleep(rng.choice([0, 0, 0.0005, 0.001, 0.002, 0.005]))
        kernel.interrupt()
        try:
            reply = kernel.reply(msg_id, timeout=30)
        except (TimeoutError, queue.Empty):
            _explain_missing_reply(kernel, msg_id, round_)
        messages = kernel.wait_idle(msg_id, timeout=30)
        errors = [m["content"] for m in messages if m["msg_type"] == "error"]
        assert reply["content"]["status"] == "error", (round_, reply["content"])
        assert len(errors) == 1 and errors[0]["ename"] == "KeyboardInterrupt", (round_, errors)
        assert "background" not in errors[0]["evalue"], errors[0]["evalue"]
        traceback = strip_ansi("\n".join(errors[0]["traceback"]))
        where["in the interpreter" if "<interp early" in traceback else "before the cell's code"] += 1
        # nothing is left running: the next cell runs at once
        ex = kernel.execute("%%interp early\n'idle'", timeout=10)
        assert ex.ok and "waiting for" not in ex.stderr, ex.summary()
    report("interrupt_at_cell_start", interrupts=rounds, **{k.replace(" ", "_").replace("'", ""): v for k, v in where.items()})
    assert sum(where.values()) == rounds
