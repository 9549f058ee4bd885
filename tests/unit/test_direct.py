"""Direct replies: the thread that waits for a job receives its end itself (runtime.direct).

What a user relies on: a job still ends when its waiter gives up, output printed just
before the end has arrived when ``run()`` returns, Ctrl-C stops a ``run()`` promptly
and leaves the session usable, and no channel is left behind.
"""

import signal
import threading
import time

import pytest

from interp_kernel import _core

pytestmark = pytest.mark.timeout(60)


def test_output_printed_just_before_the_end_has_arrived_when_run_returns(worker):
    for _ in range(20):
        lines = []
        result = worker.run("for i in range(300): print(i)\n'end'", on_output=lambda stream, text: lines.append(text))
        assert result.value_repr == "'end'"
        assert "".join(lines).split() == [str(i) for i in range(300)]


def test_pulled_slices_are_joined_before_pull_returns(worker):
    from interp_kernel._marshalling import SLICE_ITEMS

    worker.run(f"big = list(range({3 * SLICE_ITEMS + 5}))")
    for _ in range(3):
        assert worker.pull("big") == list(range(3 * SLICE_ITEMS + 5))


def test_a_job_whose_waiter_gave_up_still_ends_and_the_next_one_runs(worker):
    with pytest.raises(TimeoutError, match="still running"):
        worker.run("import time; time.sleep(0.3); done = 1", timeout=0.05)
    assert worker.state == "running"
    assert worker.run("done").value_repr == "1"  # queued behind it: runs once it has ended
    assert worker.state == "idle"
    assert worker.history[-2].status == "ok"


def test_a_direct_job_nobody_waits_for_still_ends(worker):
    """As when Ctrl-C stops its caller before it gets to waiting: the end goes to the reader."""
    job = worker.submit("1 + 1", direct=True)
    deadline = time.monotonic() + 10
    while not job.finished() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.finished() and worker.state == "idle"
    assert job.wait(1).value_repr == "2"  # a waiter that comes late gets the result
    assert worker.run("3").value_repr == "3"


def test_a_second_thread_waiting_for_the_same_job_gets_the_result(worker):
    job = worker.submit("import time; time.sleep(0.2); 6 * 7", direct=True)
    seen = []
    other = threading.Thread(target=lambda: seen.append(job.wait(10)))
    other.start()
    result = job.wait(10)
    other.join(10)
    assert result.value_repr == "42"
    assert seen and seen[0] is result


def test_closing_the_session_ends_a_waiting_run(manager):
    session = manager.session("closing")
    session.run("pass")
    threading.Timer(0.2, session.close).start()
    started = time.monotonic()
    result = session.run("import time\nwhile True: time.sleep(0.01)")
    assert time.monotonic() - started < 10
    assert result.status in ("interrupted", "error")


def test_ctrl_c_in_the_main_thread_interrupts_the_run(worker):
    assert threading.current_thread() is threading.main_thread()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    main = threading.get_ident()
    threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT)).start()  # what Ctrl-C sends
    result = worker.run("x = 0\nwhile True: x += 1")
    assert result.status == "interrupted"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    assert worker.run("x > 0").value_repr == "True"
    assert worker.state == "idle"


def test_ctrl_c_at_any_moment_of_a_run_leaves_the_session_consistent(worker):
    """Wherever the SIGINT lands (the cell, the end being handled, after), it is not
    lost and the session's bookkeeping is not cut half-way."""
    main = threading.get_ident()
    for trial in range(30):
        go = threading.Event()
        delay = (trial % 10) * 0.0005

        def fire(go=go, delay=delay):
            go.wait()
            time.sleep(delay)
            signal.pthread_kill(main, signal.SIGINT)

        threading.Thread(target=fire).start()
        outcome = None
        try:
            go.set()
            outcome = worker.run("sum(range(20000))").status
            time.sleep(0.1)  # a SIGINT that came after the run is raised here
        except KeyboardInterrupt:
            outcome = outcome or "raised"
            time.sleep(0.1)
        assert outcome in ("ok", "interrupted", "raised")
        assert worker.state == "idle"
        assert worker.current is None and not worker._jobs
        assert worker.run("'alive'").value_repr == "'alive'"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_no_reply_channel_is_left_behind(manager):
    before = set(_core.channel_list())
    session = manager.session("leaks")
    for _ in range(5):
        session.run("pass")
    with pytest.raises(TimeoutError):
        session.run("import time; time.sleep(0.2)", timeout=0.01)
    threads = [threading.Thread(target=session.run, args=("sum(range(1000))",)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    blocker = session.submit("import time; time.sleep(0.2)")
    job = session.submit("pass", direct=True)
    assert session.drop_queued(job) is True
    assert blocker.wait(5).ok
    manager.close("leaks")
    assert set(_core.channel_list()) == before


def test_a_run_in_the_main_thread_with_sigint_ignored_leaves_it_ignored(worker):
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert worker.run("6 * 7").value_repr == "42"
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
