"""Warm spares (interp_kernel.runtime.spares) through the library's Manager.

What a user relies on: a new isolated session is a spare built ahead of time, a
replacement follows, spares are never listed as the user's interpreters, other configs
still work, nothing is built while sessions run on every core, a spare sees the
``sys.path`` and ``os.environ`` main has when it is taken, and a process whose only
subinterpreters are spares forks a healthy child. Timings are for ``make bench`` (P3).
"""

import os
import subprocess
import sys
import textwrap
import time

import _interpreters
import pytest

from interp_kernel import InterpreterExecutor, Manager

pytestmark = pytest.mark.timeout(60)


def interpreter_ids():
    return {info[0] for info in _interpreters.list_all()}


@pytest.fixture
def spared():
    """A Manager keeping one spare, with the spare ready; yields (manager, the spare's id)."""
    before = interpreter_ids()
    m = Manager(spares=1)
    assert m.wait_for_spares(10), m._spares.failure
    (spare,) = interpreter_ids() - before
    yield m, spare
    m.shutdown(timeout=5)


def test_a_new_session_is_the_spare_and_a_replacement_follows(spared):
    m, spare = spared
    assert m.names() == [], "a spare is not one of the user's interpreters"
    a = m.session("a")
    assert a.id == spare and a.name == "a" and a.config == "isolated"
    assert m.names() == ["a"]
    assert m.wait_for_spares(10)
    assert m.session("b").id not in (spare, None)
    assert m.names() == ["a", "b"]
    assert a.run("6 * 7").value_repr == "42"


def test_a_taken_spare_is_known_by_its_new_name(spared):
    m, _ = spared
    events = []
    m.add_listener(lambda kind, session, detail=None: events.append((kind, session.name)))
    w = m.session("worker")
    result = w.run("x = 1\n1 / 0")
    assert not result.ok and "<worker:cell" in result.error.traceback
    assert ("created", "worker") in events and ("finished", "worker") in events
    assert [r.session for r in m.history()] == ["worker"]


def test_legacy_sessions_do_not_take_the_spare(spared):
    m, spare = spared
    legacy = m.session("old", config="legacy")
    assert legacy.id != spare and legacy.config == "legacy"
    assert m._spares.ready() == 1
    assert m.session("new").id == spare


def test_setting_spares_builds_and_closes_them():
    before = interpreter_ids()
    m = Manager()
    try:
        assert m.spares == 0 and m.wait_for_spares(1)
        assert interpreter_ids() == before, "Manager() keeps no spare unless asked"
        m.spares = 2
        assert m.wait_for_spares(10)
        assert len(interpreter_ids() - before) == 2
        m.spares = 0
        assert interpreter_ids() == before, "the spares were not closed"
        with pytest.raises(ValueError, match="integer >= 0"):
            m.spares = -1
    finally:
        m.shutdown(timeout=5)
    assert interpreter_ids() == before


def test_shutdown_closes_the_spares():
    before = interpreter_ids()
    m = Manager(spares=1)
    assert m.wait_for_spares(10)
    m.session("a")
    m.shutdown(timeout=5)
    time.sleep(0.2)  # a replacement build that had started is closed when it ends
    assert interpreter_ids() == before


def test_no_spare_is_built_while_sessions_run_on_every_core(tmp_path):
    cores = os.process_cpu_count() or 1
    go = tmp_path / "go"
    m = Manager()
    try:
        jobs = [m.session(f"spin{i}").submit(
            f"import os\nwhile not os.path.exists({str(go)!r}):\n    pass") for i in range(cores)]
        deadline = time.monotonic() + 10
        while any(s.state != "running" for s in m.sessions()) and time.monotonic() < deadline:
            time.sleep(0.01)
        before = interpreter_ids()
        m.spares = 1
        time.sleep(0.5)
        assert m._spares.ready() == 0 and interpreter_ids() == before, "a spare was built under full load"
        go.touch()
        for job in jobs:
            assert job.wait(10).ok
        assert m.wait_for_spares(10), "no spare once the cores were free"
    finally:
        go.touch()
        m.shutdown(timeout=5)


def test_a_spare_catches_up_with_sys_path_and_environ(spared, monkeypatch):
    m, _ = spared
    monkeypatch.setenv("INTERP_SPARE_TEST", "set after the spare was built")
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.syspath_prepend("/nonexistent/added-later")
    w = m.session("late")
    values = w.run("import os, sys\n(os.environ.get('INTERP_SPARE_TEST'), 'HOME' in os.environ, sys.path[0])")
    assert values.value_repr == repr(("set after the spare was built", False, "/nonexistent/added-later"))


def test_executor_workers_take_spares():
    before = interpreter_ids()
    m = Manager(spares=2)
    try:
        assert m.wait_for_spares(10)
        spares = interpreter_ids() - before
        with InterpreterExecutor(2, manager=m) as pool:
            assert sorted(pool.map(abs, [-1, -2, -3, -4])) == [1, 2, 3, 4]
            assert {s.id for s in pool.sessions} <= spares
    finally:
        m.shutdown(timeout=5)


def test_a_process_with_only_spares_forks_a_healthy_child():
    # In a process of its own: this test process may hold other tests' interpreters.
    script = textwrap.dedent("""
        import os, _interpreters
        from interp_kernel import Manager
        m = Manager(spares=1)
        assert m.wait_for_spares(10)
        pid = os.fork()
        if pid == 0:
            os._exit(40 + len(_interpreters.list_all()))  # main only: 41
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        assert m.wait_for_spares(10), "no spare after the fork"
        print(status, len(_interpreters.list_all()))
        m.session("a").run("pass")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["41", "2"], out.stderr
    assert "will crash" not in out.stderr
