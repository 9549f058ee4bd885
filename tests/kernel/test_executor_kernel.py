"""Notebook-defined functions and classes crossing by value, Session.call and
InterpreterExecutor, through the real kernel (one kernel for the module)."""

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
