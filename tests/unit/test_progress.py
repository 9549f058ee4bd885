"""interp_kernel.progress outside a notebook: a text line that counts futures as they finish."""

import concurrent.futures
import io
import signal
import threading

import pytest

from interp_kernel import InterpreterExecutor, progress


def _slow_square(x):
    import time

    time.sleep(0.25 * x)  # finishes apart by more than tqdm's 0.1 s redraw interval
    return x * x


def test_counts_every_future_and_returns_results_in_order():
    out = io.StringIO()
    with InterpreterExecutor(2) as pool:
        futures = [pool.submit(_slow_square, x) for x in (3, 1, 2, 0)]
        assert progress(futures, desc="squares", file=out) == [9, 1, 4, 0]
    text = out.getvalue()
    assert "squares" in text and "4/4" in text, text
    # the line was redrawn as futures finished, not only once at the end
    counts = {n for n in range(5) if f"{n}/4" in text}
    assert len(counts) >= 3, text


def test_a_failed_future_counts_as_done_and_its_error_is_raised():
    out = io.StringIO()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(int, "1"), pool.submit(int, "x")]
        with pytest.raises(ValueError, match="invalid literal"):
            progress(futures, file=out)
    assert "2/2" in out.getvalue()


def test_something_else_than_futures_is_a_clear_error():
    with pytest.raises(TypeError, match=r"takes futures .* tqdm\(executor.map"):
        progress([1, 2])


def test_interrupting_the_wait_cancels_and_interrupts_the_executor():
    with InterpreterExecutor(1) as pool:
        spinning = pool.submit(exec, "while True: pass")
        queued = pool.submit(_slow_square, 1)
        assert threading.current_thread() is threading.main_thread()
        main = threading.get_ident()
        threading.Timer(0.5, signal.pthread_kill, (main, signal.SIGINT)).start()  # what Ctrl-C sends
        with pytest.raises(KeyboardInterrupt):
            progress([spinning, queued], file=io.StringIO())
        assert queued.cancelled()
        with pytest.raises(KeyboardInterrupt):
            spinning.result(timeout=10)
        assert pool.submit(_slow_square, 2).result(timeout=10) == 4  # the worker is usable
