"""Tests of the C core interp_kernel._core with real interpreters (raw `_interpreters`)."""
import os
import textwrap
import threading
import time

import _interpreters
import pytest

import interp_kernel
from interp_kernel import _core as core

pytestmark = pytest.mark.timeout(60, method="thread")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(interp_kernel.__file__)))
PRELUDE = (
    f"import sys\n"
    f"if {ROOT!r} not in sys.path: sys.path.insert(0, {ROOT!r})\n"
    f"import threading, time\n"
    f"import _interpreters\n"
    f"import interp_kernel._core as core\n"
    f"IID = _interpreters.get_current()[0]\n"
)
MAIN_ID = _interpreters.get_main()[0]


def run(iid, code):
    """Run code in interpreter iid (with core imported); fail with its traceback."""
    exc = _interpreters.exec(iid, PRELUDE + textwrap.dedent(code))
    assert exc is None, exc.errdisplay


class Interps:
    """Creates interpreters and background runs; cleans up even when a test fails."""

    def __init__(self):
        self.ids = []
        self.threads = []
        self.channels = []

    def new(self, kind="isolated", import_core=True):
        iid = _interpreters.create(_interpreters.new_config(kind))
        self.ids.append(iid)
        if import_core:
            run(iid, "pass")
        return iid

    def channel(self, maxsize=0):
        cid = core.channel_create(maxsize)
        self.channels.append(cid)
        return cid

    def start(self, iid, code):
        """Run code in iid in a new thread; returns (thread, result list)."""
        result = []

        def target():
            result.append(_interpreters.exec(iid, PRELUDE + textwrap.dedent(code)))

        t = threading.Thread(target=target, daemon=True)
        t.start()
        self.threads.append((iid, t))
        return t, result

    def cleanup(self):
        for cid in self.channels:
            try:
                core.channel_destroy(cid)
            except core.ChannelNotFoundError:
                pass
        for iid, t in self.threads:
            deadline = time.monotonic() + 5
            while t.is_alive() and time.monotonic() < deadline:
                try:
                    core.interrupt(iid)
                except ValueError:
                    pass
                t.join(0.05)
        for iid in self.ids:
            try:
                _interpreters.destroy(iid)
            except Exception:
                pass


@pytest.fixture
def interps():
    s = Interps()
    try:
        yield s
    finally:
        s.cleanup()


def joined(t, result, timeout=10):
    t.join(timeout)
    assert not t.is_alive(), "interpreter thread did not finish"
    assert result == [None], result[0].errdisplay if result and result[0] else result


# ---------------------------------------------------------------- import / registry


def test_import_main():
    assert core.is_registered(MAIN_ID)
    assert core.__name__ == "interp_kernel._core"
    for name in ("ChannelError", "ChannelClosedError", "ChannelNotFoundError"):
        cls = getattr(core, name)
        assert cls.__flags__ & (1 << 9), f"{name} is not a heap type"
    assert issubclass(core.ChannelClosedError, core.ChannelError)
    assert issubclass(core.ChannelNotFoundError, core.ChannelError)
    assert issubclass(core.ChannelNotFoundError, LookupError)
    assert issubclass(core.ChannelError, Exception)


@pytest.mark.parametrize("kind", ["isolated", "legacy"])
def test_import_subinterpreter_and_unregister(interps, kind):
    iid = interps.new(kind, import_core=False)
    assert not core.is_registered(iid)
    with pytest.raises(ValueError, match="unknown"):
        core.interrupt(iid)
    run(iid, """
        assert core.is_registered(IID)
        import importlib
        importlib.reload(core)              # a second exec: registered once
        assert core.ChannelError.__module__ == "interp_kernel._core"
    """)
    assert core.is_registered(iid)
    _interpreters.destroy(iid)
    assert not core.is_registered(iid)
    with pytest.raises(ValueError, match="unknown"):
        core.interrupt(iid)


def test_exception_classes_are_per_interpreter(interps):
    iid = interps.new()
    cid = interps.channel()
    core.channel_send(cid, str(id(core.ChannelError)).encode())
    run(iid, f"""
        main_id = int(core.channel_recv({cid}))
        assert id(core.ChannelError) != main_id
        try:
            core.channel_recv(10**12)
        except core.ChannelNotFoundError as e:
            assert isinstance(e, LookupError) and "not found" in str(e)
        else:
            raise AssertionError("no error")
    """)


def test_unknown_interpreter_ids():
    for bad in (10**9, -5, 2**62):
        assert not core.is_registered(bad)
        with pytest.raises(ValueError):
            core.interrupt(bad)
        with pytest.raises(ValueError):
            core.interrupt(bad, threading.get_ident())
    with pytest.raises(TypeError):
        core.interrupt("0")
    with pytest.raises(TypeError):
        core.interrupt(MAIN_ID, "x")


# ---------------------------------------------------------------- channels


def test_channel_basics(interps):
    cid = interps.channel()
    assert cid in core.channel_list()
    assert core.channel_size(cid) == 0
    core.channel_send(cid, b"abc")
    core.channel_send(cid, bytearray(b"de"))
    core.channel_send(cid, memoryview(b"0123456789")[::2])     # not contiguous
    core.channel_send(cid, data=b"", timeout=1)
    assert core.channel_size(cid) == 4
    assert core.channel_recv(cid) == b"abc"
    assert core.channel_recv(cid, timeout=0) == b"de"
    assert core.channel_recv(cid, 1.5) == b"02468"
    got = core.channel_recv(cid=cid)
    assert got == b"" and type(got) is bytes
    with pytest.raises(TimeoutError):
        core.channel_recv(cid, timeout=0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        core.channel_recv(cid, timeout=0.05)
    assert 0.04 < time.monotonic() - t0 < 1
    with pytest.raises(TypeError):
        core.channel_send(cid, "text")
    with pytest.raises(ValueError):
        core.channel_recv(cid, timeout=-1)
    with pytest.raises(ValueError):
        core.channel_create(-1)
    with pytest.raises(TypeError):
        core.channel_recv(cid, 1, 0, 2)
    with pytest.raises(TypeError):
        core.channel_recv(cid, nope=1)


def test_a_receiver_that_watches_takes_an_item_sent_meanwhile_and_bad_watches_are_refused():
    cid = core.channel_create()
    for bad in (-0.001, 0.011, float("nan")):
        with pytest.raises(ValueError, match="watch"):
            core.channel_recv(cid, 0.01, bad)
    with pytest.raises(TypeError):
        core.channel_recv(cid, 0.01, "0.001")
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):  # a watch never outlasts the timeout
        core.channel_recv(cid, 0.001, 0.01)
    assert time.monotonic() - t0 < 0.5
    sender = threading.Timer(0.002, core.channel_send, (cid, b"late"))
    sender.start()
    assert core.channel_recv(cid, 5, watch=0.01) == b"late"
    sender.join()
    core.channel_send(cid, b"now")
    assert core.channel_recv(cid, None, 0) == b"now"
    core.channel_destroy(cid)


def test_unknown_channel_errors(interps):
    cid = interps.channel()
    core.channel_destroy(cid)
    for call in (
        lambda: core.channel_send(cid, b"x"),
        lambda: core.channel_recv(cid),
        lambda: core.channel_recv(cid, timeout=0),
        lambda: core.channel_close(cid),
        lambda: core.channel_destroy(cid),
        lambda: core.channel_size(cid),
        lambda: core.channel_send(10**15, b"x"),
    ):
        with pytest.raises(core.ChannelNotFoundError):
            call()
    assert cid not in core.channel_list()


def test_round_trip_through_subinterpreter(interps):
    iid = interps.new()
    to_sub, to_main = interps.channel(), interps.channel()
    t, res = interps.start(iid, f"""
        while True:
            try:
                data = core.channel_recv({to_sub})
            except core.ChannelClosedError:
                break
            core.channel_send({to_main}, data)
    """)
    big = os.urandom(1 << 20)
    for payload in (b"hello", b"", big, b"\x00" * 3, big[::-1]):
        core.channel_send(to_sub, payload)
        assert core.channel_recv(to_main, timeout=10) == payload
    core.channel_close(to_sub)
    joined(t, res)


@pytest.mark.parametrize("kind", ["isolated", "legacy"])
def test_order_preserved_10k(interps, kind):
    iid = interps.new(kind)
    cid = interps.channel(maxsize=64)       # both sides block now and then
    n = 10_000
    t, res = interps.start(iid, f"""
        for i in range({n}):
            core.channel_send({cid}, i.to_bytes(4, "little"))
        core.channel_close({cid})
    """)
    got = []
    while True:
        try:
            got.append(int.from_bytes(core.channel_recv(cid, timeout=10), "little"))
        except core.ChannelClosedError:
            break
    assert got == list(range(n))
    joined(t, res)


def test_maxsize_blocks_with_timeout(interps):
    cid = interps.channel(maxsize=2)
    core.channel_send(cid, b"1")
    core.channel_send(cid, b"2")
    with pytest.raises(TimeoutError):
        core.channel_send(cid, b"3", timeout=0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        core.channel_send(cid, b"3", timeout=0.05)
    assert 0.04 < time.monotonic() - t0 < 1
    assert core.channel_size(cid) == 2

    done = threading.Event()

    def sender():
        core.channel_send(cid, b"3", timeout=10)
        done.set()

    th = threading.Thread(target=sender)
    th.start()
    assert not done.wait(0.05)              # blocked while full
    assert core.channel_recv(cid) == b"1"
    assert done.wait(5)
    th.join()
    assert [core.channel_recv(cid, timeout=0) for _ in range(2)] == [b"2", b"3"]


def test_close_semantics(interps):
    cid = interps.channel(maxsize=1)
    core.channel_send(cid, b"last")
    errors = []

    def blocked_sender():
        try:
            core.channel_send(cid, b"never", timeout=10)
        except Exception as e:
            errors.append(e)

    th = threading.Thread(target=blocked_sender)
    th.start()
    time.sleep(0.05)
    core.channel_close(cid)
    core.channel_close(cid)                 # twice is fine
    th.join(5)
    assert not th.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], core.ChannelClosedError)
    with pytest.raises(core.ChannelClosedError):
        core.channel_send(cid, b"x")
    assert core.channel_size(cid) == 1
    assert core.channel_recv(cid) == b"last"        # drains first
    with pytest.raises(core.ChannelClosedError):
        core.channel_recv(cid)
    with pytest.raises(core.ChannelClosedError):
        core.channel_recv(cid, timeout=0)
    assert cid in core.channel_list()
    core.channel_destroy(cid)
    assert cid not in core.channel_list()


@pytest.mark.parametrize("how", ["close", "destroy"])
def test_blocked_recv_woken_by_close_or_destroy(interps, how):
    cid = interps.channel()
    if how == "destroy":
        core.channel_send(cid, b"dropped")
        core.channel_recv(cid)
    outcomes = []

    def receiver():
        try:
            outcomes.append(core.channel_recv(cid, timeout=10))
        except Exception as e:
            outcomes.append(e)

    threads = [threading.Thread(target=receiver) for _ in range(3)]
    for th in threads:
        th.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    getattr(core, "channel_" + how)(cid)
    for th in threads:
        th.join(5)
    assert time.monotonic() - t0 < 1
    assert len(outcomes) == 3
    assert all(isinstance(o, core.ChannelClosedError) for o in outcomes), outcomes
    if how == "destroy":
        with pytest.raises(core.ChannelNotFoundError):
            core.channel_size(cid)


def test_destroy_with_blocked_sub_receiver(interps):
    iid = interps.new()
    cid = core.channel_create()
    ready = interps.channel()
    t, res = interps.start(iid, f"""
        core.channel_send({ready}, b"go")
        try:
            core.channel_recv({cid})
        except core.ChannelClosedError:
            core.channel_send({ready}, b"closed")
    """)
    assert core.channel_recv(ready, timeout=5) == b"go"
    time.sleep(0.05)
    core.channel_destroy(cid)
    assert core.channel_recv(ready, timeout=5) == b"closed"
    joined(t, res)


# ---------------------------------------------------------------- interrupts

SPIN = textwrap.dedent("""
    def spin():
        while True:
            pass
""")


@pytest.mark.parametrize("kind", ["isolated", "legacy"])
def test_interrupt_busy_loop(interps, kind):
    iid = interps.new(kind)
    report = interps.channel()
    t, res = interps.start(iid, SPIN + textwrap.dedent(f"""
        try:
            core.call_interruptible(spin)
        except KeyboardInterrupt:
            core.channel_send({report}, b"stopped")
    """))
    deadline = time.monotonic() + 5
    while not core.interrupt(iid):
        assert time.monotonic() < deadline
        time.sleep(0.001)
    assert core.channel_recv(report, timeout=5) == b"stopped"
    joined(t, res)
    run(iid, "x = sum(range(1000))")        # still usable


def test_interrupt_200_in_a_row(interps):
    iid = interps.new()
    report = interps.channel()
    n = 200
    t, res = interps.start(iid, SPIN + textwrap.dedent(f"""
        for i in range({n}):
            try:
                core.call_interruptible(spin)
            except KeyboardInterrupt:
                core.channel_send({report}, str(i).encode())
    """))
    deadline = time.monotonic() + 20
    for i in range(n):
        while not core.interrupt(iid, None):
            assert time.monotonic() < deadline
            time.sleep(0)
        assert core.channel_recv(report, timeout=5) == str(i).encode()
    joined(t, res)
    run(iid, "assert sum(range(10)) == 45")


def test_interrupt_from_another_subinterpreter(interps):
    target, other = interps.new(), interps.new()
    report = interps.channel()
    t, res = interps.start(target, SPIN + textwrap.dedent(f"""
        try:
            core.call_interruptible(spin)
        except KeyboardInterrupt:
            core.channel_send({report}, b"stopped")
    """))
    run(other, f"""
        deadline = time.monotonic() + 5
        while not core.interrupt({target}):
            assert time.monotonic() < deadline
            time.sleep(0.001)
    """)
    assert core.channel_recv(report, timeout=5) == b"stopped"
    joined(t, res)


def test_subinterpreter_interrupts_main_interpreter(interps):
    other = interps.new()
    outcome = []

    def spinner():
        def spin():
            while True:
                pass
        try:
            core.call_interruptible(spin)
        except KeyboardInterrupt:
            outcome.append("KI")

    th = threading.Thread(target=spinner)
    th.start()
    run(other, f"""
        deadline = time.monotonic() + 5
        while not core.interrupt({MAIN_ID}):
            assert time.monotonic() < deadline
            time.sleep(0.001)
    """)
    th.join(5)
    assert outcome == ["KI"]


def test_ctrl_c_reaches_main_thread_blocked_in_recv(interps):
    import _thread

    cid = interps.channel()
    timer = threading.Timer(0.1, _thread.interrupt_main)    # what SIGINT does
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        core.channel_recv(cid, timeout=10)
    assert time.monotonic() - t0 < 2
    timer.join()


@pytest.mark.parametrize("op", ["recv", "send"])
def test_interrupt_wakes_blocked_channel_call(interps, op):
    iid = interps.new()
    report = interps.channel()
    cid = interps.channel(maxsize=1)
    if op == "send":
        core.channel_send(cid, b"full")
    call = f"core.channel_recv({cid})" if op == "recv" else f"core.channel_send({cid}, b'x')"
    t, res = interps.start(iid, f"""
        core.channel_send({report}, str(threading.get_ident()).encode())
        try:
            {call}
        except KeyboardInterrupt:
            core.channel_send({report}, b"KI")
        # exactly once: nothing else is pending
        for _ in range(100000):
            pass
        core.channel_send({report}, b"clean")
    """)
    tid = int(core.channel_recv(report, timeout=5))
    time.sleep(0.1)                          # let it block
    t0 = time.monotonic()
    assert core.interrupt(iid, tid) is True
    assert core.channel_recv(report, timeout=5) == b"KI"
    assert time.monotonic() - t0 < 0.5
    assert core.channel_recv(report, timeout=5) == b"clean"
    joined(t, res)
    # nothing lost, nothing added (the interrupted send did not send)
    assert core.channel_size(cid) == (1 if op == "send" else 0)


def test_interrupt_blocked_recv_in_main_interpreter(interps):
    """Same-interpreter path; the item sent afterwards is still there."""
    cid = interps.channel()
    outcome = []

    def receiver():
        try:
            outcome.append(core.call_interruptible(core.channel_recv, cid, timeout=10))
        except KeyboardInterrupt:
            outcome.append("KI")

    th = threading.Thread(target=receiver)
    th.start()
    deadline = time.monotonic() + 5
    while not core.interrupt(MAIN_ID):
        assert time.monotonic() < deadline
        time.sleep(0.001)
    th.join(5)
    assert outcome == ["KI"]
    core.channel_send(cid, b"item")
    assert core.channel_recv(cid, timeout=0) == b"item"


def test_interrupt_at_channel_entry_is_never_lost(interps):
    """Interrupts racing the start of a blocking recv: each one must wake it."""
    iid = interps.new()
    report, never = interps.channel(), interps.channel()
    n = 200
    t, res = interps.start(iid, f"""
        for i in range({n}):
            try:
                core.call_interruptible(core.channel_recv, {never})
            except KeyboardInterrupt:
                core.channel_send({report}, str(i).encode())
    """)
    deadline = time.monotonic() + 20
    for i in range(n):
        while not core.interrupt(iid):
            assert time.monotonic() < deadline
        assert core.channel_recv(report, timeout=5) == str(i).encode()
    joined(t, res)


def test_interrupt_none_without_call_interruptible(interps):
    iid = interps.new()
    assert core.interrupt(iid) is False
    assert core.interrupt(iid, None) is False
    run(iid, """
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.05:
            pass
    """)
    # a thread that is not in the interpreter: False, nothing happens
    assert core.interrupt(iid, threading.get_ident()) is False


def test_late_interrupt_is_dropped_at_exit(interps):
    """An interrupt still pending when call_interruptible returns never surfaces later."""
    iid = interps.new()
    run(iid, """
        tid = threading.get_ident()
        # func is a C function: no bytecode runs between the interrupt and the return
        assert core.call_interruptible(core.interrupt, IID, tid) is True
        for _ in range(100000):
            pass
        assert core.interrupt(IID) is False      # nothing inside call_interruptible now
    """)


def test_nested_calls_keep_late_interrupt_for_outer(interps):
    iid = interps.new()
    run(iid, """
        tid = threading.get_ident()
        def outer():
            core.call_interruptible(core.interrupt, IID, tid)   # inner exit keeps it
            for _ in range(10**7):
                pass
            return "not interrupted"
        try:
            r = core.call_interruptible(outer)
        except KeyboardInterrupt:
            r = "interrupted"
        assert r == "interrupted", r
        for _ in range(100000):
            pass
    """)


def test_call_interruptible_passes_arguments_and_errors(interps):
    assert core.call_interruptible(lambda a, b=0, *, c: (a, b, c), 1, b=2, c=3) == (1, 2, 3)
    assert core.call_interruptible(max, [3, 9, 4]) == 9
    with pytest.raises(ZeroDivisionError):
        core.call_interruptible(lambda: 1 / 0)
    with pytest.raises(TypeError):
        core.call_interruptible()
    assert core.interrupt(MAIN_ID) is False


@pytest.mark.parametrize("kind", ["isolated", "legacy"])
def test_interrupt_races_destroy(interps, kind):
    """interrupt() against Py_EndInterpreter: only bools and ValueErrors, never a crash."""
    outcomes = {"bool": 0, "ValueError": 0}
    bad = []

    for _ in range(25):                     # x2 kinds = 50 races
        iid = interps.new(kind)
        stop = threading.Event()

        def hammer(tid):
            while not stop.is_set():
                try:
                    r = core.interrupt(iid, tid)
                    assert isinstance(r, bool)
                    outcomes["bool"] += 1
                except ValueError:
                    outcomes["ValueError"] += 1
                except BaseException as e:      # pragma: no cover - reported below
                    bad.append(e)

        hammers = [threading.Thread(target=hammer, args=(tid,)) for tid in (None, 1)]
        for h in hammers:
            h.start()
        _interpreters.destroy(iid)
        interps.ids.remove(iid)
        stop.set()
        for h in hammers:
            h.join(5)
        assert not core.is_registered(iid)
    assert not bad, bad
    assert outcomes["ValueError"] > 0


def test_interrupt_races_destroy_with_running_thread(interps):
    """A thread spinning in the interpreter is interrupted, joined, then destroyed under fire."""
    for _ in range(10):
        iid = interps.new()
        report = interps.channel()
        t, res = interps.start(iid, SPIN + textwrap.dedent(f"""
            try:
                core.call_interruptible(spin)
            except KeyboardInterrupt:
                core.channel_send({report}, b"KI")
        """))
        stop = threading.Event()
        errors = []

        def hammer():
            while not stop.is_set():
                try:
                    core.interrupt(iid)
                except ValueError:
                    pass
                except BaseException as e:      # pragma: no cover
                    errors.append(e)

        h = threading.Thread(target=hammer)
        h.start()
        assert core.channel_recv(report, timeout=5) == b"KI"
        joined(t, res)
        _interpreters.destroy(iid)
        interps.ids.remove(iid)
        stop.set()
        h.join(5)
        assert not errors, errors


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_child_starts_clean(interps):
    """After fork the child's copy of the registry and channels is usable.

    No subinterpreter may exist while forking: CPython 3.13.0 and 3.14 crash the
    child then (SIGSEGV/SIGABRT), with or without this module.
    """
    import warnings

    iid = interps.new()
    _interpreters.destroy(iid)
    interps.ids.remove(iid)
    cid = interps.channel()
    core.channel_send(cid, b"kept")
    blocked = interps.channel()
    errors = []

    def waiter():                               # a waiter that will not exist in the child
        try:
            core.call_interruptible(core.channel_recv, blocked, timeout=10)
        except Exception as e:
            errors.append(e)

    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # fork with threads
        pid = os.fork()
    if pid == 0:                                # child: report through the exit code
        ok = False
        try:
            ok = (core.is_registered(MAIN_ID)
                  and not core.is_registered(iid)
                  and core.channel_recv(cid, timeout=0) == b"kept"
                  and core.call_interruptible(lambda: 7) == 7
                  and core.interrupt(MAIN_ID) is False)     # the waiter is not here
            core.channel_send(cid, b"child")
            ok = ok and core.channel_recv(cid, timeout=1) == b"child"
            core.channel_destroy(blocked)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    core.channel_close(blocked)
    th.join(5)
    assert os.waitstatus_to_exitcode(status) == 0
    assert len(errors) == 1 and isinstance(errors[0], core.ChannelClosedError)
    assert core.channel_recv(cid, timeout=0) == b"kept"     # parent's copy untouched
