"""Reliability: shutdown and restart of the real kernel in bad situations.

Each scenario is set up, the kernel restarted (timed), the scenario set up again in
the new kernel, and the kernel shut down (timed). Every time the old kernel process
must be gone within 5 s, having exited by itself (jupyter_client kills a kernel only
after its 5 s grace: a negative return code), and leave no child process behind.

Set ``INTERP_RELIABILITY_FIGURES=path.jsonl`` to collect the figures.
"""

import os
import time

import pytest

from conftest import cell, report, start_kernel

pytestmark = pytest.mark.timeout(120)

LIMIT_S = 5.0






def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid):
    """Pids of the processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def check_gone(process, pid, kids, what):
    deadline = time.monotonic() + 2.0
    while (alive(pid) or any(alive(k) for k in kids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid), f"{what}: the kernel process {pid} is still there"
    assert not [k for k in kids if alive(k)], f"{what}: child processes left behind"
    code = process.poll() if process is not None else None
    assert code is None or code >= 0, f"{what}: the kernel was killed (return code {code}), it did not exit"


def restart_and_shutdown(setup, name, check=None):
    """Set up, restart (timed), set up again, shut down (timed); returns the figures."""
    handle = start_kernel()
    try:
        setup(handle)
        process = handle.km.provisioner.process
        pid = process.pid
        kids = children(pid)
        start = time.monotonic()
        handle.km.restart_kernel(now=False)
        restart_s = time.monotonic() - start
        check_gone(process, pid, kids, f"{name}: restart")
        assert restart_s < LIMIT_S, f"{name}: restart took {restart_s:.1f} s"
        handle.kc.wait_for_ready(timeout=30)
        handle._iopub.clear()
        handle._idle.clear()
        handle.drain(0.2)
        ex = handle.execute("%interp list")
        assert ex.ok and "no interpreters" in ex.text, ex.summary()
        setup(handle)
        if check is not None:
            check(handle)
        process = handle.km.provisioner.process
        pid = process.pid
        kids = children(pid)
        start = time.monotonic()
        handle.kc.stop_channels()
        handle.km.shutdown_kernel(now=False)
        shutdown_s = time.monotonic() - start
        check_gone(process, pid, kids, f"{name}: shutdown")
        assert shutdown_s < LIMIT_S, f"{name}: shutdown took {shutdown_s:.1f} s"
    finally:
        if handle.km.is_alive():
            handle.km.shutdown_kernel(now=True)
    figures = {"restart_s": round(restart_s, 2), "shutdown_s": round(shutdown_s, 2)}
    report(name, **figures)
    return figures


# -- scenarios --------------------------------------------------------------------------------


STUCK_IN_C = cell("""
    %%interp stuck --bg stuckjob
    import threading
    # a user thread blocked in a C call for ever, and the agent itself too
    threading.Thread(target=threading.Event().wait, name="user-stuck").start()
    print("stuck", flush=True)
    threading.Event().wait()
""")


def test_with_threads_stuck_in_c_calls():
    def setup(handle):
        msg_id = handle.submit(STUCK_IN_C)
        handle.wait_for(msg_id, lambda m: m["msg_type"] == "stream" and "stuck" in m["content"]["text"])
        handle.wait_idle(msg_id)
        assert handle.execute("%%interp other\nx = 1").ok

    restart_and_shutdown(setup, "shutdown_stuck_in_c")


def test_with_twenty_interpreters():
    names = [f"i{n:02d}" for n in range(20)]

    def setup(handle):
        ex = handle.execute("%interp create " + " ".join(names[:10]) + "\n%interp create "
                            + " ".join(names[10:]) + " --config legacy")
        assert ex.ok, ex.summary()
        # some hold data, five run busy loops in the background
        assert handle.execute(f"%%interp {' '.join(names[:10])}\ndata = list(range(100_000))").ok
        for name in names[15:]:
            assert handle.execute(f"%%interp {name} --bg\nwhile True:\n    pass").ok
        listing = handle.execute("%interp list").text
        assert all(name in listing for name in names)

    restart_and_shutdown(setup, "shutdown_twenty_interpreters")


def test_with_a_bg_job_running():
    def setup(handle):
        msg_id = handle.submit(cell("""
            %%interp busy --bg running
            import time
            n = 0
            while True:
                n += 1
                if n % 100_000 == 0:
                    print("tick", n, flush=True)
        """))
        handle.wait_for(msg_id, lambda m: m["msg_type"] == "stream" and "tick" in m["content"]["text"])
        handle.wait_idle(msg_id)

    restart_and_shutdown(setup, "shutdown_bg_job")


def test_while_a_foreground_cell_is_stuck_in_c():
    """Shutdown (on the control channel) while the shell runs a cell blocked in C."""
    def setup(handle):
        handle.last_stuck = handle.submit("%%interp fg\nimport threading\nprint('in', flush=True)\n"
                                          "threading.Event().wait()")
        handle.wait_for(handle.last_stuck, lambda m: m["msg_type"] == "stream" and "in" in m["content"]["text"])

    restart_and_shutdown(setup, "shutdown_fg_stuck_in_c")
