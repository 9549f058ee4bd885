"""Reliability: interrupting values on the move (issue 17, bugs 3 and 4).

Through the real kernel: the kernel's interrupt during ``--out`` of a value whose
``__reduce__`` is slow, during ``%interp pull`` and ``%interp push`` of such values and
during ``%interp wait`` on a job blocked in a C call ends the cell with a one-line
``KeyboardInterrupt`` (no traceback through interp_kernel), nothing is half-bound in
main, and the interpreter runs the next cell at once.
"""

import time

import pytest

from conftest import strip_ansi

pytestmark = pytest.mark.timeout(120)

SLOW = """\
import time
class Slow:
    def __reduce__(self):
        time.sleep(6)
        return (int, (7,))
"""


def interrupted(kernel, code, seen=None):
    """Run ``code``, interrupt the kernel once ``seen`` was printed (else after 1.5 s: a
    pull's or a push's own output has no cell); returns the Execution."""
    msg_id = kernel.submit(code)
    if seen is None:
        time.sleep(1.5)
    else:
        kernel.wait_for(msg_id, lambda m: m["msg_type"] == "stream" and seen in m["content"]["text"])
    kernel.km.interrupt_kernel()
    return kernel.collect(msg_id)


def assert_one_line_interrupt(ex):
    error = ex.error
    assert error["ename"] == "KeyboardInterrupt", ex.summary()
    tb = strip_ansi("\n".join(error["traceback"]))
    assert "interp_kernel" not in tb and "session.py" not in tb, tb
    assert len(tb.strip().splitlines()) == 1, tb
    return error["evalue"]


def test_interrupt_during_out_ends_the_cell_and_binds_nothing(kernel):
    kernel.execute("s_out = 'before'", check=True)
    ex = interrupted(kernel, "%%interp slow --out s_out\n" + SLOW + "s_out = Slow()")
    assert "nothing was bound" in assert_one_line_interrupt(ex)
    assert kernel.execute("s_out").text == "'before'"
    assert kernel.execute("%%interp slow\n1 + 1").text == "2"


def test_interrupt_during_pull_stops_it(kernel):
    kernel.execute("%%interp slow\n" + SLOW + "s_pull = Slow()", check=True)
    ex = interrupted(kernel, "%interp pull slow s_pull")
    assert "nothing was bound" in assert_one_line_interrupt(ex)
    assert kernel.execute("'s_pull' in globals()").text == "False"
    after = kernel.execute("%%interp slow\n'next'")
    assert after.text == "'next'" and after.elapsed < 3, after.summary()


def test_interrupt_during_push_binds_nothing(kernel):
    kernel.execute("%%interp slow\nimport time\nblob = 'before'", check=True)
    code = ("import pickle, time\n"
            "class Slowly:\n"
            "    def __reduce__(self):\n"
            "        return (time.sleep, (6,))\n"
            "blob = Slowly()\n"
            "%interp push slow blob")
    ex = interrupted(kernel, code)
    assert_one_line_interrupt(ex)
    assert kernel.execute("%%interp slow\nblob").text == "'before'"


def test_interrupt_during_wait_is_a_one_line_error(kernel):
    kernel.execute("%%interp wj --bg\nimport threading\nprint('blocked', flush=True)\nthreading.Event().wait(8)",
                   check=True)
    ex = interrupted(kernel, "print('waiting', flush=True)\n%interp wait wj", "waiting")
    assert "did not stop" in assert_one_line_interrupt(ex)
    kernel.execute("%interp reset wj")
