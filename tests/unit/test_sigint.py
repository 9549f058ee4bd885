"""Ctrl-C around the start of a cell (interp_kernel.jupyter.sigint) and waits that always see it.

In a plain in-process IPython shell with the extension loaded, and in the real kernel.
``signal.raise_signal`` stands for the kernel's interrupt: the same SIGINT, delivered
at a chosen point.
"""

import signal
import threading
import time

import pytest
from IPython.core.interactiveshell import InteractiveShell

from conftest import strip_ansi
from interp_kernel.runtime.jobs import wait_event

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "interp_kernel")
    callbacks = []
    shell.test_callbacks = callbacks
    yield shell
    for event, callback in callbacks:
        shell.events.unregister(event, callback)
    shell.user_ns.pop("ran", None)


def interrupt_in(ip, event):
    """Deliver a SIGINT from inside an IPython ``event`` callback of the next cells."""

    def callback(*args):
        signal.raise_signal(signal.SIGINT)

    ip.events.register(event, callback)
    ip.test_callbacks.append((event, callback))


@pytest.mark.parametrize("event", ["pre_execute", "pre_run_cell"])
def test_an_interrupt_in_a_pre_cell_callback_stops_the_cell(ip, event):
    """IPython drops a KeyboardInterrupt raised in its callbacks and runs the cell anyway;
    the guard holds it back and raises it just before the cell's code instead."""
    interrupt_in(ip, event)
    result = ip.run_cell("ran = True")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert "ran" not in ip.user_ns
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_before_an_interp_cell_stops_it_before_the_interpreter_runs(ip):
    interrupt_in(ip, "pre_run_cell")
    result = ip.run_cell("%%interp sig_a\nran = True\nprint('ran')")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    ip.test_callbacks and ip.events.unregister(*ip.test_callbacks.pop())
    # the interpreter did not run the body, and is usable
    after = ip.run_cell("%%interp sig_a\n'ran' in globals()")
    assert after.success and after.result is not None
    assert ip.run_cell("%interp pull sig_a ran").error_in_exec is not None


def test_the_cells_own_code_gets_the_default_handler(ip):
    """The guard hands over before the code runs: an interrupt inside it raises there,
    and code that inspects the handler sees Python's default one."""
    result = ip.run_cell(
        "import signal\n"
        "handler_seen = signal.getsignal(signal.SIGINT)\n"
        "try:\n"
        "    signal.raise_signal(signal.SIGINT)\n"
        "    caught = False\n"
        "except KeyboardInterrupt:\n"
        "    caught = True\n"
    )
    assert result.success
    assert ip.user_ns["handler_seen"] is signal.default_int_handler
    assert ip.user_ns["caught"] is True


def test_a_cell_that_fails_to_compile_leaves_the_default_handler(ip):
    interrupt_in(ip, "pre_run_cell")
    result = ip.run_cell("def broken(:\n")
    assert result.error_before_exec is not None
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ip.events.unregister(*ip.test_callbacks.pop())
    # and the interrupt held back for it does not stop the next cell
    assert ip.run_cell("ran = 1").success and ip.user_ns["ran"] == 1


def test_wait_event_sees_an_interrupt_that_did_not_wake_it():
    """A SIGINT handled by another thread's C-level handler (as when it lands just before
    the main thread starts to wait) does not wake a lock wait; wait_event still raises."""
    assert threading.current_thread() is threading.main_thread()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    event = threading.Event()

    def interrupt_from_another_thread():
        time.sleep(0.2)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)  # handled in this thread

    threading.Thread(target=interrupt_from_another_thread).start()  # (before the mask: not inherited)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])  # the main thread is not woken
    try:
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            wait_event(event, timeout=30)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    assert time.monotonic() - started < 15  # (not the 30 s timeout)


def test_wait_event_times_out_and_sees_the_event():
    event = threading.Event()
    assert wait_event(event, timeout=0.05) is False
    threading.Timer(0.05, event.set).start()
    assert wait_event(event, timeout=30) is True


def test_in_the_kernel_an_interrupt_in_pre_run_cell_stops_the_interp_cell(fresh_kernel):
    """In InterpKernel the guard is installed for the whole execute request."""
    kernel = fresh_kernel
    assert kernel.execute(
        "import signal\n"
        "def _interrupt(info):\n"
        "    if 'interrupt me' in info.raw_cell:\n"
        "        signal.raise_signal(signal.SIGINT)\n"
        "get_ipython().events.register('pre_run_cell', _interrupt)"
    ).ok
    for code in ("%%interp k1\nprint('ran')  # interrupt me", "print('ran')  # interrupt me"):
        ex = kernel.execute(code)
        assert not ex.ok and ex.error["ename"] == "KeyboardInterrupt", ex.summary()
        assert "ran" not in ex.stdout
        assert "nothing ran" in strip_ansi("\n".join(ex.error["traceback"]))
        assert "Error in callback" not in ex.stdout + ex.stderr
    assert kernel.execute("%%interp k1\n6 * 7").text == "42"


def test_in_the_kernel_an_interrupt_after_the_cell_is_dropped(fresh_kernel):
    """Once the cell's code is over, a SIGINT would land in IPython's post-cell callbacks
    or in ipykernel's reply code (which then sends no reply): the kernel drops it."""
    kernel = fresh_kernel
    assert kernel.execute(
        "import signal\n"
        "def _late_interrupt():\n"
        "    signal.raise_signal(signal.SIGINT)\n"
        "get_ipython().events.register('post_execute', _late_interrupt)"
    ).ok
    for code in ("%%interp late\n6 * 7", "6 * 7"):
        ex = kernel.execute(code)
        assert ex.ok and ex.text == "42", ex.summary()
        assert "KeyboardInterrupt" not in ex.stdout + ex.stderr
        assert not ex.errors
    # and the cell's own code is still interruptible
    ex = kernel.execute("import time\nsignal.raise_signal(signal.SIGINT)\ntime.sleep(5)")
    assert ex.error["ename"] == "KeyboardInterrupt"
