"""Reliability: output an interpreter writes reaches its cell, live and in order.

Through the real kernel (issue 17, bugs 1 and 2): a partial line (no newline) shows
before the line ends, as ipykernel's OutStream does for a main cell; ``\\r`` progress
updates arrive one by one; stdout and stderr keep the order they were written in;
the output of a thread an ``%%interp`` cell started lands in that cell, whatever
push, pull, completion, queue or other cells reach the interpreter meanwhile.
"""

import textwrap

import pytest

pytestmark = pytest.mark.timeout(120)


def streams(ex):
    """The (name, text) of each stream message of an execution, in arrival order."""
    return [(m["content"]["name"], m["content"]["text"]) for m in ex.of_type("stream")]


def test_a_partial_line_shows_before_its_newline(kernel):
    ex = kernel.execute("%%interp partial\nimport time\nprint('Loading...', end='')\ntime.sleep(1.5)\n"
                        "print(' done')", check=True)
    texts = [text for name, text in streams(ex)]
    assert ex.stdout == "Loading... done\n"
    assert texts[0] == "Loading...", texts


def test_carriage_return_progress_arrives_update_by_update(kernel):
    ex = kernel.execute("%%interp partial\nimport time\nfor i in range(4):\n"
                        "    print(f'\\r{i}', end='')\n    time.sleep(0.6)\nprint()", check=True)
    texts = [text for name, text in streams(ex)]
    assert texts[:4] == ["\r0", "\r1", "\r2", "\r3"], texts


def test_stdout_and_stderr_keep_the_order_written(kernel):
    ex = kernel.execute("%%interp partial\nimport sys, time\nprint('a', end='')\ntime.sleep(0.5)\n"
                        "sys.stderr.write('E')\ntime.sleep(0.5)\nprint('b')\n"
                        "sys.stderr.write('F\\n')\nprint('c')", check=True)
    assert streams(ex) == [("stdout", "a"), ("stderr", "E"), ("stdout", "b\n"), ("stderr", "F\n"),
                           ("stdout", "c\n")]


THREAD_CELL = """\
%%interp t
import threading, time
def chatter():
    for i in range(20):
        print(f'tick {i}')
        time.sleep(0.1)
ticker = threading.Thread(target=chatter)
ticker.start()
"""

MEANWHILE = {
    "push": "y = 1\n%interp push t y",
    "pull": "%interp pull t y",
    "queue": "%interp queue q_streams",
    "another cell": "%%interp t\nprint('second cell')",
}


@pytest.mark.parametrize("between", list(MEANWHILE))
def test_thread_output_lands_in_the_cell_that_started_the_thread(kernel, between):
    kernel.execute("%%interp t\ny = 0", check=True)
    first = kernel.submit(THREAD_CELL)
    kernel.wait_idle(first)
    kernel.wait_for(first, lambda m: m["msg_type"] == "stream" and "tick 2" in m["content"]["text"])
    other = kernel.execute(MEANWHILE[between], check=True)
    if between == "pull":
        kernel.execute("%%interp t\nprint('after pull')", check=True)
    kernel.execute("%%interp t\nticker.join()", check=True)
    kernel.drain(0.5)
    started = "".join(m["content"]["text"] for m in kernel.messages(first) if m["msg_type"] == "stream")
    assert started.splitlines() == [f"tick {i}" for i in range(20)], started
    assert "tick" not in other.stdout
    if between == "another cell":
        assert other.stdout == "second cell\n"


def test_thread_output_survives_tab_completion(kernel):
    first = kernel.submit(THREAD_CELL)
    kernel.wait_idle(first)
    code = "%%interp t\ntick"
    for _ in range(3):
        kernel.kc.complete(code, len(code), reply=True, timeout=10)
    kernel.execute("%%interp t\nticker.join()", check=True)
    kernel.drain(0.5)
    started = "".join(m["content"]["text"] for m in kernel.messages(first) if m["msg_type"] == "stream")
    assert started.splitlines() == [f"tick {i}" for i in range(20)], started


def test_partial_lines_of_threads_go_to_their_cells(kernel):
    code = textwrap.dedent("""\
        %%interp t
        import threading, time
        def dots():
            for _ in range(3):
                print('.', end='')
                time.sleep(0.3)
            print()
        dotter = threading.Thread(target=dots)
        dotter.start()
        """)
    first = kernel.submit(code)
    kernel.wait_idle(first)
    kernel.execute("%%interp t\ndotter.join()", check=True)
    kernel.drain(0.5)
    started = "".join(m["content"]["text"] for m in kernel.messages(first) if m["msg_type"] == "stream")
    assert started == "...\n"
