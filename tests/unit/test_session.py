"""Sessions and the manager with real subinterpreters (no Jupyter involved)."""

import threading
import time

import pytest

from interp_kernel import Manager
from interp_kernel.errors import (
    BadNameError,
    ConfigMismatchError,
    NotTransferableError,
    SessionClosedError,
    UnknownInterpreterError,
)

pytestmark = pytest.mark.timeout(60)


class Collector:
    """An on_output callback that remembers what arrived, and when."""

    def __init__(self):
        self.chunks = []
        self.lock = threading.Lock()

    def __call__(self, stream, text):
        with self.lock:
            self.chunks.append((stream, text, time.perf_counter()))

    def text(self, stream="stdout"):
        return "".join(t for s, t, _ in self.chunks if s == stream)


def test_the_issue_example(manager):
    out = Collector()
    w = manager.session("worker")
    r = w.run("import decimal\ndecimal.getcontext().prec = 5\nx = 6*7\nprint('hi')\nx", on_output=out)
    assert r.ok and r.value_repr == "42"
    assert out.text() == "hi\n"
    assert w.run("decimal.getcontext().prec").value_repr == "5"
    w.push(data=b"...", rows=[1, 2, 3])
    assert w.pull("x") == 42
    assert w.pull("data", "rows") == {"data": b"...", "rows": [1, 2, 3]}


def test_session_created_on_first_use_is_isolated(manager):
    w = manager.session("w1")
    assert manager.session("w1") is w
    assert w.config == "isolated"
    assert w.state == "idle"
    assert manager.names() == ["w1"]


def test_state_persists_thread_locals_and_contextvars(worker):
    worker.run("import threading, contextvars\nlocal = threading.local()\nlocal.v = 7\n"
               "cv = contextvars.ContextVar('cv')\ncv.set('kept')")
    assert worker.run("local.v").value_repr == "7"
    assert worker.run("cv.get()").value_repr == "'kept'"


def test_isolation_between_interpreters(manager):
    a, b = manager.session("a"), manager.session("b")
    a.run("secret = 1\nimport json")
    r = b.run("secret")
    assert r.status == "error" and r.error.ename == "NameError"
    assert b.run("import sys\n'json' in sys.modules").value_repr == "False"


def test_statement_cell_has_no_value(worker):
    r = worker.run("y = 3")
    assert r.ok and r.data is None and r.value_repr is None
    assert worker.run("None").data is None


def test_output_streams_live_and_in_order(worker):
    out = Collector()
    t0 = time.perf_counter()
    r = worker.run("import time, sys\nprint('first')\ntime.sleep(0.5)\nprint('err', file=sys.stderr)\nprint('last')",
                   on_output=out)
    assert r.ok
    first_at = next(t for s, text, t in out.chunks if "first" in text)
    assert first_at - t0 < 0.4, "the line printed before the sleep arrived only at the end"
    assert out.text() == "first\nlast\n"
    assert out.text("stderr") == "err\n"


def test_output_from_a_thread_inside_the_interpreter(worker):
    out = Collector()
    r = worker.run("import threading\n"
                   "t = threading.Thread(target=lambda: print('from thread'))\nt.start(); t.join()",
                   on_output=out)
    assert r.ok
    assert out.text() == "from thread\n"


def test_100kb_in_one_print(worker):
    out = Collector()
    worker.run("print('x' * 100_000)", on_output=out)
    assert out.text() == "x" * 100_000 + "\n"


def test_many_lines_arrive_complete_and_in_order(worker):
    out = Collector()
    worker.run("for i in range(20000): print(i)", on_output=out)
    assert out.text().split() == [str(i) for i in range(20000)]


def test_traceback_points_to_the_cell_line(worker):
    r = worker.run("a = 1\nb = 2\n\ndef f():\n    return 1 / 0\nf()")
    assert r.status == "error"
    assert r.error.ename == "ZeroDivisionError"
    assert r.error.evalue == "division by zero"
    tb = r.error.traceback
    assert "line 6" in tb and "line 5" in tb and "return 1 / 0" in tb
    assert "agent.py" not in tb and "interp_kernel" not in tb
    assert worker.run("a + b").value_repr == "3", "the interpreter lost its state after an error"


def test_syntax_error_names_the_line(worker):
    r = worker.run("x = 1\nx = = 2")
    assert r.error.ename == "SyntaxError"
    assert "line 2" in r.error.traceback


def test_rich_reprs_of_the_last_value(worker):
    r = worker.run("class Card:\n"
                   "    def _repr_html_(self): return '<b>ace</b>'\n"
                   "    def _repr_markdown_(self): return '**ace**'\n"
                   "    def __repr__(self): return 'Card()'\n"
                   "Card()")
    assert r.data == {"text/plain": "Card()", "text/html": "<b>ace</b>", "text/markdown": "**ace**"}


def test_display_inside_the_body(worker):
    shown = []
    worker.run("display(1, 'two')\n", on_display=lambda data, md: shown.append(data))
    assert [d["text/plain"] for d in shown] == ["1", "'two'"]


def test_input_asks_the_callback(worker):
    prompts = []
    r = worker.run("name = input('who? ')\nname.upper()",
                   on_input=lambda prompt, password: prompts.append(prompt) or "ada")
    assert prompts == ["who? "] and r.value_repr == "'ADA'"


def test_input_without_a_frontend_raises_eoferror(worker):
    r = worker.run("input()")
    assert r.error.ename == "EOFError"


def test_interrupt_stops_a_busy_loop_and_keeps_state(worker):
    worker.run("kept = 'yes'")
    job = worker.submit("while True: pass")
    time.sleep(0.2)
    assert worker.state == "running"
    assert worker.interrupt() is True
    result = job.wait(5)
    assert result is not None, "the interrupt did not land"
    assert result.status == "interrupted" and result.error.ename == "KeyboardInterrupt"
    assert "line 1" in result.error.traceback
    assert worker.state == "idle"
    assert worker.run("kept").value_repr == "'yes'"


def test_interrupt_when_idle_is_harmless(worker):
    assert worker.interrupt() is False
    assert worker.run("1 + 1").value_repr == "2"


def test_interrupt_cuts_a_long_sleep_short(worker):
    job = worker.submit("import time\ntime.sleep(30)\n'not reached'")
    time.sleep(0.2)
    t0 = time.perf_counter()
    worker.interrupt()
    result = job.wait(5)
    assert result is not None and result.status == "interrupted"
    assert time.perf_counter() - t0 < 1.0
    assert "agent.py" not in result.error.traceback and "line 2" in result.error.traceback
    assert worker.run("import time\nt = time.perf_counter(); time.sleep(0.05); time.perf_counter() - t >= 0.05") \
        .value_repr == "True"


def test_interrupted_input_shows_no_frames_of_ours(worker):
    job = worker.submit("input('?')", on_input=lambda prompt, password: time.sleep(0.5) or "late")
    time.sleep(0.2)
    worker.interrupt()
    result = job.wait(5)
    assert result.status == "interrupted"
    assert "interp_kernel" not in result.error.traceback
    time.sleep(0.5)  # the late answer arrives now and must not feed the next input()
    assert worker.run("input()", on_input=lambda prompt, password: "fresh").value_repr == "'fresh'"


def test_push_pull_of_a_dict_round_trips(worker):
    worker.push(config={"a": [1, 2], "b": {"c": None}})
    worker.run("config['a'].append(3)")
    assert worker.pull("config") == {"a": [1, 2, 3], "b": {"c": None}}


def test_push_of_large_bytes_and_str_crosses_intact(worker):
    """Large bytes and str cross natively (one copy) instead of pickled: same values,
    same types; a large bytearray (not shareable) is pickled and stays a bytearray."""
    from interp_kernel.runtime.encoding import SHARE_NATIVELY_FROM

    blob = bytes(range(256)) * (4 * SHARE_NATIVELY_FROM // 256)
    text = "naïve ✓ " * SHARE_NATIVELY_FROM
    worker.push(blob=blob, text=text, small=b"abc", buffer=bytearray(2 * SHARE_NATIVELY_FROM))
    assert worker.run("type(blob).__name__, len(blob), blob[:3], blob[-1]").value_repr == (
        f"('bytes', {len(blob)}, b'\\x00\\x01\\x02', 255)")
    assert worker.run("type(text).__name__, len(text), text[:7]").value_repr == (
        f"('str', {len(text)}, 'naïve ✓')")
    assert worker.run("small, type(buffer).__name__, len(buffer)").value_repr == (
        f"(b'abc', 'bytearray', {2 * SHARE_NATIVELY_FROM})")
    assert worker.pull("blob") == blob and worker.pull("text") == text


def test_push_of_an_unpicklable_value_is_a_clear_error_and_nothing_is_bound(worker):
    with pytest.raises(NotTransferableError, match=r"'lock'.*lock"):
        worker.push(ok=1, lock=threading.Lock())
    assert worker.run("ok").error.ename == "NameError"


def test_pull_errors(worker):
    with pytest.raises(NameError, match="nope"):
        worker.pull("nope")
    worker.run("import threading\nlk = threading.Lock()\nclass Local: pass\nobj = Local()")
    with pytest.raises(NotTransferableError, match="lk"):
        worker.pull("lk")
    assert type(worker.pull("obj")).__name__ == "Local"  # classes of its __main__ cross by value
    with pytest.raises(BadNameError):
        worker.pull("not a name")


def test_memoryview_push_shares_memory_without_a_copy(worker):
    data = bytearray(b"abc" * 1000)
    worker.push(view=memoryview(data))
    assert worker.run("bytes(view[:3])").value_repr == "b'abc'"
    worker.run("view[0] = ord('Z')")
    assert data[:3] == b"Zbc", "the interpreter wrote to a copy, not to the shared buffer"


def test_hint_for_a_module_that_refuses_subinterpreters(worker):
    r = worker.run("import _curses")
    assert r.error.ename == "ImportError"
    assert "does not support loading in subinterpreters" in r.error.evalue
    assert "legacy" in r.error.hint and "first" in r.error.hint


def test_hint_for_ipython_syntax(worker):
    r = worker.run("%time 1 + 1")
    assert r.error.ename == "SyntaxError" and "plain Python" in r.error.hint


def test_names_and_configs(manager):
    with pytest.raises(BadNameError):
        manager.session("bad name")
    with pytest.raises(BadNameError):
        manager.session("1abc")
    with pytest.raises(UnknownInterpreterError, match="ghost"):
        manager.get("ghost")
    legacy = manager.session("old-style", config="legacy")
    assert legacy.run("1").value_repr == "1"
    with pytest.raises(ConfigMismatchError, match="legacy"):
        manager.session("old-style", config="isolated")
    with pytest.raises(ValueError, match="unknown config"):
        manager.session("x", config="shared")


def test_close_reset_and_closed_errors(manager):
    w = manager.session("w")
    w.run("v = 1")
    old_id = w.id
    fresh = manager.reset("w")
    assert fresh.id != old_id and fresh.config == "isolated"
    assert fresh.run("v").error.ename == "NameError"
    assert manager.close("w") is True
    assert "w" not in manager
    with pytest.raises(SessionClosedError):
        fresh.run("1")


def test_close_while_running_interrupts(manager):
    w = manager.session("busy")
    job = w.submit("while True: pass")
    time.sleep(0.1)
    assert manager.close("busy", timeout=5) is True
    assert job.wait(1).status in ("interrupted", "error")


def test_run_many_in_parallel_is_correct(manager):
    code = "total = sum(i * i for i in range(300_000))\ntotal"
    results = manager.run_many(["p", "q"], code)
    expected = repr(sum(i * i for i in range(300_000)))
    assert {name: r.value_repr for name, r in results.items()} == {"p": expected, "q": expected}
    records = manager.history()
    assert {r.session for r in records} == {"p", "q"} and all(r.status == "ok" for r in records)


def test_run_many_failure_in_one_does_not_hide_the_other(manager):
    manager.session("good").push(fail=False)
    manager.session("bad").push(fail=True)
    lines = []
    results = manager.run_many(["good", "bad"], "print('started')\nif fail: 1 / 0\n'done'",
                               on_output=lambda name, stream, text: lines.append((name, text)))
    assert sorted(lines) == [("bad", "started\n"), ("good", "started\n")]
    assert results["good"].value_repr == "'done'"
    assert results["bad"].error.ename == "ZeroDivisionError"


def test_queued_jobs_run_in_order(worker):
    jobs = [worker.submit(f"x = {i}\nx") for i in range(5)]
    assert [j.wait(5).value_repr for j in jobs] == [str(i) for i in range(5)]


STUBBORN = """\
import os, threading, time
def stubborn():
    while not os.path.exists({flag!r}):
        try:
            time.sleep(0.05)
        except BaseException:
            pass
threading.Thread(target=stubborn).start()
"""


def test_shutdown_is_bounded_with_a_stuck_thread(tmp_path):
    flag = tmp_path / "release"
    m = Manager()
    w = m.session("stuck")
    # A non-daemon thread that ignores interrupts: destroy waits for it.
    w.run(STUBBORN.format(flag=str(flag)))
    m.session("fine").run("1")
    t0 = time.monotonic()
    stuck = m.shutdown(timeout=2)
    assert time.monotonic() - t0 < 3
    assert stuck == ["stuck"] and w.stuck
    flag.touch()  # the thread ends, and the pending destroy completes
    deadline = time.monotonic() + 10
    while w.stuck and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not w.stuck


def test_exit_with_a_stuck_interpreter_is_bounded_and_says_why(tmp_path):
    import subprocess
    import sys
    script = ("from interp_kernel import Manager\nm = Manager()\n"
              f"m.session('stuck').run({STUBBORN.format(flag=str(tmp_path / 'never'))!r})\n")
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert time.monotonic() - t0 < 15
    assert done.returncode == 1
    assert "stuck" in done.stderr and "ignores interrupts" in done.stderr


def test_listeners_see_lifecycle_events(manager):
    events = []
    manager.add_listener(lambda kind, session, detail: events.append((kind, session.name)))
    w = manager.session("seen")
    w.run("1")
    manager.close("seen")
    assert events == [("created", "seen"), ("started", "seen"), ("finished", "seen"), ("closed", "seen")]


def test_named_queue_between_main_and_two_interpreters(manager):
    producer = manager.session("producer")
    manager.queue("jobs")
    consumer = manager.session("consumer")  # created after the queue: bound too
    results = manager.queue("results")
    job = consumer.submit("total = 0\nwhile (item := jobs.get(timeout=10)) is not None:\n"
                          "    total += item['n']\nresults.put(total)")
    producer.run("for n in range(100): jobs.put({'n': n})\njobs.put(None)")
    assert job.wait(10).ok
    assert results.get(timeout=5) == sum(range(100))


def test_named_queue_timeouts_and_errors(manager):
    import queue
    q = manager.queue("small", maxsize=1)
    q.put(1)
    with pytest.raises(queue.Full):
        q.put(2, timeout=0.05)
    assert q.get() == 1 and q.empty()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.05)
    with pytest.raises(TypeError, match="picklable"):
        q.put(threading.Lock())
    with pytest.raises(ValueError, match="maxsize"):
        manager.queue("small", maxsize=5)
    with pytest.raises(BadNameError):
        manager.queue("no-dash")


def test_interrupt_a_blocking_queue_get(manager):
    manager.queue("never")
    w = manager.session("waiter")
    job = w.submit("never.get()")
    time.sleep(0.2)
    t0 = time.perf_counter()
    w.interrupt()
    assert job.wait(5).status == "interrupted"
    assert time.perf_counter() - t0 < 1.0
    assert w.run("1").ok


@pytest.mark.parametrize("message", [
    "Interpreter change detected - this module can only be loaded into one interpreter per process.",
    "module 'curses' can only be loaded once per process",
    "cannot load module more than once per process",
])
def test_hint_for_modules_loadable_once_per_process(message):
    from interp_kernel.agent.hints import hint_for
    assert "only one interpreter per process" in hint_for("ImportError", message)


def test_no_hint_for_other_errors():
    from interp_kernel.agent.hints import hint_for
    assert hint_for("ImportError", "No module named 'nothere'") is None
    assert hint_for("ValueError", "x") is None


def test_process_exits_cleanly_without_an_explicit_shutdown(tmp_path):
    import subprocess
    import sys
    script = ("from interp_kernel import Manager\n"
              "m = Manager()\nm.session('a').run('1')\nm.session('b').submit('while True: pass')\n"
              "print('exiting')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "exiting\n" and "Fatal" not in done.stderr


def test_a_session_left_open_is_closed_at_exit():
    """A script that never closes its Session exits normally (an interpreter whose agent
    still ran made CPython abort at exit: "Py_EndInterpreter: not the last thread")."""
    import subprocess
    import sys

    code = "from interp_kernel import Session\ns = Session('lonely')\nprint(s.run('6 * 7').value_repr)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "42"
    assert "Fatal Python error" not in proc.stderr


def test_display_ids_and_clear_output_reach_the_callbacks(worker):
    shown, cleared = [], []
    result = worker.run(
        "display('plain')\n"
        "h = display('first', display_id=True)\n"
        "h.update('second')\n"
        "clear_output(wait=True)\n",
        on_display=lambda data, metadata, **kw: shown.append((data["text/plain"], kw)),
        on_clear=cleared.append,
    )
    assert result.ok, result.error
    assert shown[0] == ("'plain'", {})
    (first, first_kw), (second, second_kw) = shown[1:]
    assert (first, second) == ("'first'", "'second'")
    assert first_kw["display_id"] == second_kw["display_id"] and first_kw["display_id"]
    assert (first_kw["update"], second_kw["update"]) == (False, True)
    assert cleared == [True]
