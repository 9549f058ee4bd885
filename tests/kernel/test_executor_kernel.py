"""Notebook-defined functions and classes crossing by value, Session.call and
InterpreterExecutor, through the real kernel (one kernel for the module)."""

import time

from conftest import cell, strip_ansi


def test_lambda_with_closure_and_notebook_class_cross_into_an_interpreter(kernel):
    ex = kernel.execute(cell("""
        %interp create bv1
        class Point:
            def __init__(self, x):
                self.x = x
        k = 4
        scale = lambda p: Point(p.x * k)
        %interp push bv1 scale Point
    """))
    assert ex.ok, ex.summary()
    ex = kernel.execute("%%interp bv1\nscale(Point(2)).x")
    assert ex.ok and ex.text == "8", ex.summary()
    ex = kernel.execute(cell("""
        from interp_kernel.jupyter.extension import context_for
        session = context_for(get_ipython()).manager.session("bv1")
        session.call(scale, Point(3)).x
    """))
    assert ex.ok, ex.summary()
    assert ex.text == "12"


def test_function_defined_in_an_interpreter_is_called_in_main(kernel):
    ex = kernel.execute(cell("""
        %%interp bv2
        def triple(x):
            return x * 3
    """))
    assert ex.ok, ex.summary()
    ex = kernel.execute("%interp pull bv2 triple\ntriple(5)")
    assert ex.ok, ex.summary()
    assert ex.text == "15"


def test_executor_maps_a_notebook_function_in_named_workers(kernel):
    ex = kernel.execute(cell("""
        from interp_kernel import InterpreterExecutor
        offset = 10
        def work(x):
            return x * x + offset
        pool = InterpreterExecutor(2)
        list(pool.map(work, range(5)))
    """))
    assert ex.ok, ex.summary()
    assert ex.text == "[10, 11, 14, 19, 26]"
    listing = kernel.execute("%interp list")
    assert "-0" in str(listing.text) and "pool" in str(listing.text), listing.summary()


def test_failing_task_shows_its_type_and_the_interpreter_traceback(kernel):
    ex = kernel.execute(cell("""
        def broken(x):
            return {}[x]
        pool.submit(broken, "missing").result()
    """))
    assert not ex.ok
    text = strip_ansi(ex.traceback_text())
    assert "KeyError" in text and "traceback in interpreter 'pool" in text and "in broken" in text, text
    ex = kernel.execute("pool.submit(work, 2).result()")
    assert ex.ok and ex.text == "14", ex.summary()


def test_print_from_a_task_lands_in_the_submitting_cell_labelled_by_worker(kernel):
    ex = kernel.execute(cell("""
        import time
        def chatty(x):
            time.sleep(0.3)
            print("working on", x)
            return x
        late = pool.submit(chatty, 7)
    """))
    assert ex.ok, ex.summary()
    later = kernel.execute("late.result()")
    assert later.ok and later.text == "7", later.summary()
    kernel.drain(0.5)
    first_cell = strip_ansi("".join(m["content"]["text"] for m in kernel.messages(ex.msg_id)
                                    if m["msg_type"] == "stream"))
    assert "] working on 7" in first_cell and "[pool" in first_cell, first_cell
    assert "working on" not in (later.stdout or "")


def test_interrupt_during_a_map_cancels_pending_and_leaves_workers_usable(kernel):
    msg_id = kernel.submit(cell("""
        def slow(x):
            time.sleep(30)
            return x
        interrupted = InterpreterExecutor(2)
        futures = [interrupted.submit(slow, i) for i in range(6)]
        list(interrupted.map(slow, range(4)))
    """))
    time.sleep(2.0)
    kernel.interrupt()
    ex = kernel.collect(msg_id, timeout=20)
    assert not ex.ok and "KeyboardInterrupt" in strip_ansi(ex.traceback_text()), ex.summary()
    ex = kernel.execute("[f.cancelled() for f in futures[2:]], interrupted.submit(work, 3).result(timeout=20)",
                        timeout=30)
    assert ex.ok and ex.text == "([True, True, True, True], 19)", ex.summary()


def test_progress_is_a_live_widget_bar_in_the_notebook(kernel):
    ex = kernel.execute(cell("""
        import time
        from interp_kernel import InterpreterExecutor, progress
        def nap(x):
            time.sleep(0.3)
            return x
        with InterpreterExecutor(2) as naps:
            done = progress([naps.submit(nap, x) for x in range(6)], desc="naps")
        done
    """), timeout=60)
    assert ex.ok, ex.summary()
    assert ex.text == "[0, 1, 2, 3, 4, 5]"
    opened = {m["content"]["comm_id"]: m["content"]["data"]["state"] for m in ex.of_type("comm_open")
              if m["content"]["data"].get("state", {}).get("_model_name") in ("FloatProgressModel", "IntProgressModel")}
    assert len(opened) == 1, ex.summary()
    bar, state = next(iter(opened.items()))
    assert state["max"] == 6
    values = [(m["received"], m["content"]["data"]["state"]["value"]) for m in ex.of_type("comm_msg")
              if m["content"]["comm_id"] == bar and "value" in m["content"]["data"].get("state", {})]
    assert values and values[-1][1] == 6, values
    # it moved while the cell ran: intermediate counts, spread over the run's ~0.9 s
    assert len({v for _, v in values if 0 < v < 6}) >= 2, values
    assert values[-1][0] - values[0][0] > 0.3, values
