"""Reliability: the result's repr is as interruptible as the cell's code (issue 17, bug 5).

An endless pure-Python ``__repr__`` of a cell's last expression: the kernel's interrupt
and ``%interp interrupt`` of a ``--bg`` cell end it with KeyboardInterrupt, and the
interpreter keeps its state and runs the next cell.
"""

import pytest

pytestmark = pytest.mark.timeout(120)

ENDLESS = """\
%%interp r{flags}
class Endless:
    def __repr__(self):
        print('in repr', flush=True)
        while True:
            pass
kept = 41
Endless()
"""


def _stdout_seen(kernel, msg_id, text):
    kernel.wait_for(msg_id, lambda m: m["msg_type"] == "stream" and text in m["content"]["text"])


def test_kernel_interrupt_stops_an_endless_repr(kernel):
    msg_id = kernel.submit(ENDLESS.format(flags=""))
    _stdout_seen(kernel, msg_id, "in repr")
    kernel.km.interrupt_kernel()
    ex = kernel.collect(msg_id)
    assert ex.error["ename"] == "KeyboardInterrupt", ex.summary()
    assert "did not stop" not in ex.stderr + ex.traceback_text()
    assert kernel.execute("%%interp r\nkept + 1").text == "42"


def test_interp_interrupt_stops_an_endless_repr_of_a_bg_cell(kernel):
    msg_id = kernel.submit(ENDLESS.format(flags=" --bg"))
    kernel.collect(msg_id)
    _stdout_seen(kernel, msg_id, "in repr")
    ex = kernel.execute("%interp interrupt r")
    assert "not running" not in ex.stdout + ex.stderr, ex.summary()
    waited = kernel.execute("%interp wait r")
    assert "KeyboardInterrupt" in waited.error_text() + waited.stdout + waited.stderr, waited.summary()
    assert kernel.execute("%%interp r\nkept + 1").text == "42"
