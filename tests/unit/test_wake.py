"""Compiling ahead: ``Session.wake(code)`` before the cell is submitted (runtime.session).

What a user relies on: a cell woken for runs exactly as one that was not, under its own
file name (tracebacks, warnings), a cell other than the woken one runs as sent, compile
errors and warnings still reach the cell that runs, and the cell can be interrupted.
"""

import threading

import pytest

pytestmark = pytest.mark.timeout(60)


def test_a_woken_cell_runs_with_its_own_file_name_in_every_frame(worker):
    code = "\nx = 41\ndef f():\n    return 1 / 0\nclass C:\n    g = staticmethod(lambda: f())\nx + 1"
    worker.wake(code)
    assert worker.run(code, filename="<cell A>").value_repr == "42"
    for call in ("f()", "C.g()"):
        worker.wake("\n" + call)
        result = worker.run("\n" + call, filename=f"<cell {call}>")
        assert result.error.ename == "ZeroDivisionError"
        assert f'File "<cell {call}>", line 2' in result.error.traceback
        assert 'File "<cell A>", line 4, in f' in result.error.traceback
        assert "return 1 / 0" in result.error.traceback  # the source line: the cell was kept


def test_a_cell_other_than_the_woken_one_runs_as_sent(worker):
    worker.wake("\n'woken'")
    assert worker.run("\n'sent'").value_repr == "'sent'"
    worker.wake("\n'woken'")
    worker.wake("\n'woken again'")
    assert worker.run("\n'woken again'").value_repr == "'woken again'"


def test_a_woken_cell_that_does_not_compile_reports_its_syntax_error(worker):
    worker.wake("\nx = (1 +\n")
    result = worker.run("\nx = (1 +\n", filename="<broken>")
    assert result.error.ename == "SyntaxError"
    assert "<broken>" in result.error.traceback
    assert worker.run("1 + 1").value_repr == "2"


def test_a_compile_warning_of_a_woken_cell_goes_to_that_cell_once(worker):
    before = []
    worker.run("print('before')", on_output=lambda stream, text: before.append(text))
    code = "\nx = 1\nx is 1"
    worker.wake(code)
    written = []
    result = worker.run(code, filename="<warned>", on_output=lambda stream, text: written.append((stream, text)))
    assert result.value_repr == "True"
    errors = "".join(text for stream, text in written if stream == "stderr")
    assert errors.count("SyntaxWarning") == 1 and "<warned>:3" in errors
    assert "".join(before) == "before\n"


def test_a_woken_cell_can_be_interrupted(worker):
    code = "\nimport time\nwhile True:\n    time.sleep(0.001)"
    worker.wake(code)
    job = worker.submit(code)
    threading.Timer(0.2, worker.interrupt).start()
    assert job.wait(10).status == "interrupted"
    assert worker.run("'usable'").value_repr == "'usable'"


def test_waking_a_busy_or_closed_session_changes_nothing(manager, worker):
    job = worker.submit("import time\ntime.sleep(0.3)\n'slept'")
    worker.wake("\n'other'")
    assert job.wait(10).value_repr == "'slept'"
    assert worker.run("\n'other'").value_repr == "'other'"
    closed = manager.session("closed")
    closed.close()
    closed.wake("\n1")
    closed.wake()
