"""The dashboard widget against a real Manager (no kernel: widgets without a frontend)."""

import threading
import time

import pytest

from interp_kernel.views.dashboard import Dashboard

pytestmark = pytest.mark.timeout(60)

LOOP = "while True:\n    pass\n"


@pytest.fixture
def dashboards(manager):
    made = []

    def make(**kwargs):
        d = Dashboard(manager, **kwargs)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


def eventually(predicate, timeout=5.0, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {message}")


def field(d, name, key):
    row = d.row(name)
    return None if row is None else row[key]


def dashboard_threads():
    return [t for t in threading.enumerate() if t.name == "interp-dashboard"]


def test_rows_appear_on_create_without_redisplay(manager, dashboards):
    d = dashboards()
    assert d.row("a") is None
    assert "interp-dashboard-empty" in [c._dom_classes[0] for c in d.children]
    manager.session("a")
    manager.session("b", config="legacy")
    # the "created" listener wakes the refresh thread: no need to wait for the idle period
    row = eventually(lambda: d.row("b"), timeout=1.0, message="row b")
    assert row["config"] == "legacy" and row["state"] == "idle" and row["cells"] == "0"
    assert field(d, "a", "id") == str(manager.get("a").id)
    rows = [c for c in d.children if "interp-row" in c._dom_classes]
    assert [r._dom_classes for r in rows] == [("interp-row", "interp-row-a"), ("interp-row", "interp-row-b")]
    assert "2 interpreters" in d._title.value


def test_state_follows_runs_and_time_ticks(manager, dashboards):
    d = dashboards(interval=0.2)
    w = manager.session("w")
    job = w.submit(LOOP)
    eventually(lambda: field(d, "w", "state") == "running", message="running")
    row = d.row("w")
    assert row["interrupt_enabled"] and row["time"].startswith("running")
    state_label = d._rows["w"].labels["state"]
    assert "interp-state-running" in state_label._dom_classes
    before = d.refreshes
    # no events while the loop runs: the timer refreshes (interval 0.2 s here)
    eventually(lambda: d.refreshes - before >= 3, timeout=10, message="periodic refreshes")
    eventually(lambda: field(d, "w", "time") != row["time"], message="time to tick")
    w.interrupt()
    assert job.wait(5).status == "interrupted"
    eventually(lambda: field(d, "w", "state") == "idle", message="idle again")
    row = d.row("w")
    assert row["cells"] == "1" and row["time"].startswith("last ") and not row["interrupt_enabled"]
    assert "interp-state-idle" in state_label._dom_classes
    assert "interp-state-running" not in state_label._dom_classes


def test_background_state(manager, dashboards):
    d = dashboards(bg_state=lambda session: session.name == "bg")
    bg, fg = manager.session("bg"), manager.session("fg")
    jobs = [bg.submit(LOOP), fg.submit(LOOP)]
    eventually(lambda: field(d, "bg", "state") == "background" and field(d, "fg", "state") == "running")
    for s in (bg, fg):
        s.interrupt()
    for j in jobs:
        j.wait(5)


def test_interrupt_button(manager, dashboards):
    d = dashboards()
    w = manager.session("w")
    job = w.submit(LOOP)
    eventually(lambda: field(d, "w", "state") == "running")
    assert d.click("interrupt", "w") == "interrupted w"
    assert job.wait(5).status == "interrupted"
    eventually(lambda: field(d, "w", "state") == "idle")
    assert d.click("interrupt", "w") == "w was not running"


def test_reset_button(manager, dashboards):
    d = dashboards()
    w = manager.session("w")
    w.run("x = 1")
    eventually(lambda: field(d, "w", "cells") == "1")
    old_id = d.row("w")["id"]
    assert d.click("reset", "w").startswith("reset w")
    row = d.row("w")  # refreshed at once by the click
    assert row["id"] != old_id and row["cells"] == "0" and row["state"] == "idle"
    assert manager.get("w").run("'x' in dir()").value_repr == "False"


def test_close_button_interrupts_a_running_interpreter(manager, dashboards):
    d = dashboards()
    w = manager.session("w")
    manager.session("keep")
    job = w.submit(LOOP)
    eventually(lambda: field(d, "w", "state") == "running")
    t = time.monotonic()
    assert d.click("close", "w") == "closed w"
    assert time.monotonic() - t < 5
    assert job.wait(5) is not None and job.result.status != "ok"
    assert "w" not in manager and d.row("w") is None and d.row("keep") is not None
    assert [c._dom_classes for c in d.children if "interp-row" in c._dom_classes] == [("interp-row", "interp-row-keep")]


def test_errors_show_in_the_message_line(manager, dashboards):
    d = dashboards()
    manager.session("w")
    eventually(lambda: d.row("w"))
    manager.close("w")  # gone before the click arrives
    assert d._act("reset", "w").startswith("could not reset w")
    assert d.message.startswith("could not reset w")


def test_several_dashboards_and_close_stops_the_thread(manager):
    before = len(dashboard_threads())
    one, two = Dashboard(manager), Dashboard(manager)
    assert len(dashboard_threads()) == before + 2
    manager.session("a")
    eventually(lambda: one.row("a") and two.row("a"))
    one.close()
    assert not one.running and len(dashboard_threads()) == before + 1
    manager.session("b")
    eventually(lambda: two.row("b"), message="the open dashboard still updates")
    assert one.row("b") is None  # the closed one does not
    assert one.comm is None  # its widget is closed
    two.close()
    assert not two.running and len(dashboard_threads()) == before
    two.close()  # idempotent


def test_close_while_something_runs(manager):
    d = Dashboard(manager, interval=0.05)
    w = manager.session("w")
    job = w.submit(LOOP)
    eventually(lambda: field(d, "w", "state") == "running")
    d.close()
    assert not d.running
    w.interrupt()
    job.wait(5)


def test_text_form_is_a_table_of_the_interpreters(manager, dashboards):
    """Where no widget can show, the dashboard reads as the table %interp list prints."""
    d = dashboards(bg_state=lambda session: session.name == "bg")
    assert repr(d) == "no interpreters (create one with %interp create NAME or %%interp NAME)"
    manager.session("a").run("1")
    bg = manager.session("bg", config="legacy")
    job = bg.submit(LOOP)
    eventually(lambda: bg.state == "running")
    try:
        lines = d._repr_mimebundle_()["text/plain"].splitlines()
        assert lines[0].split() == ["name", "id", "config", "state", "cells", "run", "last", "duration"]
        assert set(lines[1]) == {"-", " "}
        assert lines[2].split()[:5] == ["a", str(manager.get("a").id), "isolated", "idle", "1"]
        assert lines[3].split()[:4] == ["bg", str(bg.id), "legacy", "background"]
    finally:
        bg.interrupt()
        job.wait(5)


def test_dashboard_in_a_terminal_ipython_prints_the_table(capsys):
    """`%interp dashboard` in IPython without a notebook: a table, not a widget's repr."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "interp_kernel")
    try:
        assert shell.run_cell("%interp create term-a").success
        capsys.readouterr()
        assert shell.run_cell("%interp dashboard").success
        out = capsys.readouterr().out
        assert "Dashboard(" not in out and "HTML(" not in out
        rows = [line.split() for line in out.splitlines()]
        assert rows[0][0].startswith("Out[")  # the table starts on its own line
        assert ["name", "id", "config", "state"] == rows[1][:4]
        assert ["term-a", "isolated", "idle", "0"] == [rows[3][0]] + rows[3][2:5]
    finally:
        shell.run_line_magic("unload_ext", "interp_kernel")
        InteractiveShell.clear_instance()
