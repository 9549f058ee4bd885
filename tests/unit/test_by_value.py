"""Values defined in ``__main__`` (here: this test module stands in for a notebook by
setting ``__module__``) cross by value in every path: push, pull, call, named queues."""

import threading

import pytest

from interp_kernel import Manager
from interp_kernel.errors import NotTransferableError


def as_main(obj):
    """Make ``obj`` look defined in a notebook (``__main__``), which plain pickle cannot send."""
    obj.__module__ = "__main__"
    obj.__qualname__ = obj.__name__
    return obj


@as_main
class Point:
    def __init__(self, x):
        self.x = x

    def moved(self, dx):
        return Point(self.x + dx)


@pytest.fixture(scope="module")
def session():
    manager = Manager()
    yield manager.session("byvalue")
    manager.shutdown()


def test_lambda_with_closure_is_called_in_the_interpreter(session):
    factor = 7
    assert session.call(lambda x: x * factor, 6) == 42


def test_class_and_instance_from_main_cross_both_ways(session):
    moved = session.call(lambda p: p.moved(2), Point(1))
    assert type(moved).__name__ == "Point" and moved.x == 3


def test_pushed_main_function_runs_in_a_cell(session):
    offset = 100
    session.push(add=as_main(lambda x: x + offset))
    result = session.run("add(1)")
    assert result.ok and result.value_repr == "101"


def test_function_defined_in_the_interpreter_is_pulled_and_called_in_main(session):
    assert session.run("class Box:\n    def __init__(self, v):\n        self.v = v\n"
                       "def double(x):\n    return Box(x * 2)\n").ok
    double = session.pull("double")
    assert double(4).v == 8


def test_module_functions_still_cross_by_reference(session):
    import os.path

    assert session.call(os.path.join, "a", "b") == "a/b"


def test_unpicklable_closure_names_the_variable(session):
    lock = threading.Lock()
    with pytest.raises(NotTransferableError, match=r"'holder'.*function.*lock"):
        session.push(holder=lambda: lock)
    assert session.run("1 + 1").value_repr == "2"


def test_exception_of_a_call_is_reraised_with_the_interpreter_traceback(session):
    def fails(x):
        raise ValueError(f"bad {x}")

    with pytest.raises(ValueError, match="bad 3") as info:
        session.call(fails, 3)
    note = "\n".join(info.value.__notes__)
    assert "interpreter 'byvalue'" in note and "in fails" in note
    assert session.call(len, "abc") == 3


def test_main_class_crosses_a_named_queue():
    manager = Manager()
    try:
        q = manager.queue("points")
        s = manager.session("qside")
        q.put(Point(5))
        assert s.run("p = points.get()\np.moved(1).x").value_repr == "6"
    finally:
        manager.shutdown()
