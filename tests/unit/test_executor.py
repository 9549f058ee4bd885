"""InterpreterExecutor as a concurrent.futures.Executor (library use, no kernel)."""

import asyncio
import concurrent.futures

import pytest

from interp_kernel import InterpreterExecutor, Manager


def square(x):
    return x * x


@pytest.fixture(scope="module")
def pool():
    with InterpreterExecutor(2) as executor:
        yield executor


def test_submit_returns_the_value(pool):
    base = 5
    assert pool.submit(lambda x: x + base, 1).result(timeout=30) == 6


def test_map_keeps_order_with_and_without_chunks(pool):
    assert list(pool.map(square, range(6))) == [0, 1, 4, 9, 16, 25]
    assert list(pool.map(square, range(7), chunksize=3)) == [x * x for x in range(7)]


def test_map_rejects_a_bad_chunksize(pool):
    with pytest.raises(ValueError, match="chunksize"):
        pool.map(square, [1], chunksize=0)


def test_failing_task_raises_its_type_with_the_interpreter_traceback(pool):
    def fails():
        return {}["missing"]

    future = pool.submit(fails)
    with pytest.raises(KeyError) as info:
        future.result(timeout=30)
    assert "traceback in interpreter 'pool" in info.value.__notes__[0]
    assert pool.submit(square, 3).result(timeout=30) == 9


def test_workers_are_named_sessions(pool):
    list(pool.map(square, range(4)))
    names = {s.name for s in pool.sessions}
    assert names and all(n.startswith(pool.name + "-") for n in names)


def test_asyncio_run_in_executor(pool):
    async def main():
        return await asyncio.get_running_loop().run_in_executor(pool, square, 12)

    assert asyncio.run(main()) == 144


def test_initializer_runs_in_each_worker():
    def init(value):
        import builtins

        builtins.configured = value

    def read():
        import builtins

        return builtins.configured

    with InterpreterExecutor(1, initializer=init, initargs=("yes",)) as executor:
        assert executor.submit(read).result(timeout=30) == "yes"


def test_failing_initializer_breaks_the_executor():
    executor = InterpreterExecutor(1, initializer=lambda: 1 / 0)
    future = executor.submit(square, 2)
    with pytest.raises(concurrent.futures.BrokenExecutor, match="ZeroDivisionError"):
        future.result(timeout=30)
    executor.shutdown()


def test_shutdown_rejects_new_tasks_and_cancels_pending():
    executor = InterpreterExecutor(1)
    executor.submit(square, 1).result(timeout=30)
    executor.submit(__import__("time").sleep, 0.5)
    pending = [executor.submit(square, i) for i in range(3)]
    executor.shutdown(wait=True, cancel_futures=True)
    assert all(f.cancelled() for f in pending)
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(square, 1)


def test_workers_live_in_the_given_manager():
    manager = Manager()
    try:
        with InterpreterExecutor(1, manager=manager) as executor:
            executor.submit(square, 2).result(timeout=30)
            assert f"{executor.name}-0" in manager.names()
        assert f"{executor.name}-0" not in manager.names()
    finally:
        manager.shutdown()
