"""Interpreters inside ipyparallel engines: a real local cluster of 2 engines.

What ``%%px`` sends is the cell body, so the engines run ``%%interp`` cells exactly as
written here; the client side of ``%%px`` is ipyparallel's own and not retested.
"""

import signal
import subprocess
import time

import pytest

ipp = pytest.importorskip("ipyparallel")


def _engines_left():
    out = subprocess.run(["pgrep", "-f", "ipyparallel.engine"], capture_output=True, text=True).stdout
    return out.split()


@pytest.fixture(scope="module")
def cluster():
    """Two engines with ``%load_ext interp_kernel`` done; stopped after the module."""
    c = ipp.Cluster(n=2)
    rc = c.start_and_connect_sync()
    try:
        rc.wait_for_engines(2, timeout=120)
        dv = rc[:]
        dv.execute("%load_ext interp_kernel", block=True)
        yield c, rc, dv
    finally:
        rc.close()
        c.stop_cluster_sync()
    deadline = time.monotonic() + 20
    while _engines_left() and time.monotonic() < deadline:
        time.sleep(0.2)


def test_cell_runs_in_every_engines_interpreters(cluster):
    _, _, dv = cluster
    ar = dv.execute("%%interp a b\nimport os\nprint('pid', os.getpid())", silent=False, block=True)
    assert len(ar.stdout) == 2
    pids = set()
    for text in ar.stdout:
        lines = text.strip().splitlines()
        assert sorted(line.split()[0] for line in lines) == ["[a]", "[b]"], text
        assert len({line.split()[-1] for line in lines}) == 1  # both interpreters in one engine process
        pids.add(lines[0].split()[-1])
    assert len(pids) == 2  # two engines


def test_values_main_engine_interpreter_and_back(cluster):
    _, rc, dv = cluster
    dv.scatter("part", [3, 4], block=True)
    dv.execute("%%interp a --in part --out doubled\ndoubled = [v * 2 for v in part]", block=True)
    assert sorted(dv.pull("doubled", block=True)) == [[6], [8]]


def test_last_expression_comes_back_as_each_engines_result(cluster):
    _, _, dv = cluster
    ar = dv.execute("%%interp a\n6 * 7", silent=False, block=True)
    assert [r["data"]["text/plain"] for r in ar.execute_result] == ["42", "42"]
    ar = dv.execute("%%interp a b\nimport _interpreters\n_interpreters.get_current()[0] > 0",
                    silent=False, block=True)
    assert [r["data"]["text/plain"] for r in ar.execute_result] == ["[a] True\n[b] True"] * 2


def test_executor_runs_inside_an_engine(cluster):
    _, _, dv = cluster
    dv.execute("from interp_kernel import InterpreterExecutor\n"
               "def where(x):\n    import _interpreters, os\n    return x * x, _interpreters.get_current()[0], os.getpid()\n"
               "with InterpreterExecutor(2) as pool:\n    got = list(pool.map(where, range(6)))", block=True)
    for got in dv.pull("got", block=True):
        assert [g[0] for g in got] == [x * x for x in range(6)]
        assert all(g[1] > 0 for g in got)  # in subinterpreters, by value (a function of the engine's __main__)
        assert len({g[2] for g in got}) == 1  # of that one engine process


def test_line_magic_through_engines(cluster):
    _, _, dv = cluster
    ar = dv.execute("%interp list", silent=False, block=True)
    for result in ar.execute_result:
        names = [line.split()[0] for line in result["data"]["text/plain"].splitlines()[2:]]
        assert names == ["a", "b"], result


def test_interpreter_error_is_a_remote_error_with_its_traceback(cluster):
    _, _, dv = cluster
    with pytest.raises(ipp.error.CompositeError) as info:
        dv.execute("%%interp a\ndef inner():\n    return 1 / 0\ninner()", block=True)
    text = "\n".join(str(e) for e in info.value.elist) + "".join(
        "\n".join(e[-1] if isinstance(e[-1], list) else [str(e[-1])]) for e in info.value.elist)
    assert "ZeroDivisionError" in text
    assert "inner()" in text and "return 1 / 0" in text, text  # the interpreter's own traceback
    # the engines and interpreters stay usable
    assert dv.execute("%%interp a --out ok\nok = 1", block=True) is not None
    assert dv.pull("ok", block=True) == [1, 1]


def test_sigint_to_engines_stops_interpreter_code(cluster):
    c, _, dv = cluster
    ar = dv.execute("%%interp a\nimport time\nwhile True:\n    time.sleep(0.01)", block=False)
    time.sleep(2)
    c.signal_engines_sync(signal.SIGINT)
    with pytest.raises(ipp.error.CompositeError) as info:
        ar.get(timeout=30)
    assert "KeyboardInterrupt" in str(info.value) or "nterrupt" in str(info.value)
    dv.execute("%%interp a --out after\nafter = 'usable'", block=True)
    assert dv.pull("after", block=True) == ["usable", "usable"]
