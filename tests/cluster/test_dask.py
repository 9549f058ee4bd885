"""interp_kernel.dask.in_interpreter on a real LocalCluster (1 worker, 2 threads),
with worker processes and with threads in this process."""

import subprocess
import sys
import time

import pytest

distributed = pytest.importorskip("distributed")

from interp_kernel import Session  # noqa: E402
from interp_kernel.dask import close_interpreters, in_interpreter  # noqa: E402

BROKEN_PYTHON = sys.version_info[:3] == (3, 13, 0)


@pytest.mark.skipif(not BROKEN_PYTHON, reason="only 3.13.0 refuses")
def test_refused_on_3_13_0():
    with pytest.raises(RuntimeError, match="3.13.1 or newer"):
        in_interpreter(abs)


if not hasattr(Session, "call"):
    pytest.skip("Session.call (branch h-exec) is not merged yet", allow_module_level=True)


def _workers_left():
    out = subprocess.run(["pgrep", "-f", "distributed"], capture_output=True, text=True).stdout
    return out.split()


@pytest.fixture(scope="module", params=[True, False], ids=["processes", "threads"])
def client(request):
    if BROKEN_PYTHON:
        pytest.skip("3.13.0: a Dask worker aborts when tasks start interpreters")
    before = _interpreters_here()
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=request.param,
                                       dashboard_address=None)
    try:
        with distributed.Client(cluster) as c:
            yield c
    finally:
        cluster.close()
        if not request.param:  # the worker threads' interpreters were made in this process
            assert close_interpreters() == []
            assert _interpreters_here() == before, "close_interpreters() left interpreters behind"
    deadline = time.monotonic() + 20
    while _workers_left() and time.monotonic() < deadline:
        time.sleep(0.2)


def _interpreters_here():
    import _interpreters

    return len(_interpreters.list_all())


def notebook_functions(source):
    """Functions defined as a notebook defines them (in ``__main__``), so they travel
    by value: this test module imports distributed, which no interpreter may import."""
    namespace = {"__name__": "__main__"}
    exec(source, namespace)
    return namespace


NOTEBOOK = notebook_functions("""
def interpreter_id(x):
    import _interpreters
    return x * x, _interpreters.get_current()[0]

def add(a, b=0):
    return a + b

def fails(x):
    raise ValueError(f"bad {x}")
""")
interpreter_id, add, fails = NOTEBOOK["interpreter_id"], NOTEBOOK["add"], NOTEBOOK["fails"]


def test_map_runs_in_subinterpreters(client):
    results = client.gather(client.map(in_interpreter(interpreter_id), range(8)))
    assert [r[0] for r in results] == [x * x for x in range(8)]
    ids = {r[1] for r in results}
    assert 0 not in ids  # never the main interpreter
    assert 1 <= len(ids) <= 2  # one interpreter per worker thread


def test_submit_and_notebook_function(client):
    assert client.submit(in_interpreter(add), 2, b=3).result() == 5


def test_exception_keeps_its_type(client):
    future = client.submit(in_interpreter(fails), 7)
    with pytest.raises(ValueError, match="bad 7"):
        future.result()
    assert client.submit(in_interpreter(interpreter_id), 3).result()[0] == 9  # still usable


@pytest.mark.skipif(BROKEN_PYTHON, reason="3.13.0 refuses every function")
def test_not_callable_is_refused_at_once():
    with pytest.raises(TypeError, match="needs a callable"):
        in_interpreter(42)
