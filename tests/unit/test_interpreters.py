"""Tests for interp_kernel.interpreters: real interpreters, no mocks.

The same file runs on Python 3.13 (our implementation) and 3.14 (the stdlib
re-export).  Functions that cross by pickle must be importable inside the
target interpreter, so they live in a helper module written to a temporary
folder that every test interpreter gets on its sys.path.  Functions defined
here are "stateless" (no globals, closures or defaults), which both versions
send as code.
"""

import gc
import os
import queue
import sys
import textwrap
import threading
import time

import pytest

from interp_kernel import interpreters
from interp_kernel.interpreters import (
    ExecutionFailed, Interpreter, InterpreterError, InterpreterNotFoundError,
    ItemInterpreterDestroyed, NotShareableError, Queue, QueueEmpty,
    QueueFull, UNBOUND, UNBOUND_ERROR, UNBOUND_REMOVE, create, create_queue,
    get_current, get_main, is_shareable, list_all,
)

pytestmark = pytest.mark.timeout(30)

HELPERS = '''
import threading

class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)
    def __repr__(self):
        return f"Point({self.x}, {self.y})"

def add(a, b=0):          # the default makes it non-stateless: it is pickled
    return a + b

def make_lock():
    return threading.Lock()

def fail(msg):
    raise ValueError(msg)

def module_name():        # reads its module's __name__ (builtins has one too)
    return __name__
'''


# --- fixtures and stateless helpers ------------------------------------------

@pytest.fixture(scope='session')
def helpers(tmp_path_factory):
    folder = tmp_path_factory.mktemp('helpers')
    (folder / 'interp_test_helpers.py').write_text(HELPERS)
    sys.path.insert(0, str(folder))
    import interp_test_helpers
    yield interp_test_helpers
    sys.path.remove(str(folder))


@pytest.fixture
def interp(helpers):
    """A fresh interpreter that can import the helper module."""
    it = create()
    folder = os.path.dirname(helpers.__file__)
    it.exec(f'import sys; sys.path.insert(0, {folder!r})')
    yield it
    try:
        it.close()
    except InterpreterNotFoundError:
        pass


@pytest.fixture
def bare():
    """A fresh interpreter whose sys.path lacks the helper module."""
    it = create()
    yield it
    try:
        it.close()
    except InterpreterNotFoundError:
        pass


def identity(arg):
    return arg


def produce(q, n):
    for i in range(n):
        q.put(i)
    q.put(None)


def wait_on(q):
    return q.get()


def sum_of_squares(n):
    return sum(i * i for i in range(n))


def apply_to_two(func):
    return func(2)


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.005)


# --- module surface ----------------------------------------------------------

def test_api_names_exist():
    for name in ['create', 'list_all', 'get_current', 'get_main',
                 'Interpreter', 'create_queue', 'Queue', 'QueueEmpty',
                 'QueueFull', 'ExecutionFailed', 'InterpreterError',
                 'InterpreterNotFoundError', 'NotShareableError',
                 'is_shareable']:
        assert name in interpreters.__all__
        assert hasattr(interpreters, name)
    assert issubclass(ExecutionFailed, InterpreterError)
    assert issubclass(InterpreterNotFoundError, InterpreterError)
    assert issubclass(QueueEmpty, queue.Empty)
    assert issubclass(QueueFull, queue.Full)


def test_is_shareable():
    q = create_queue()
    for obj in (None, True, 3, 2.5, 'text', b'bytes', (1, 'a', None),
                memoryview(b'abc'), q):
        assert is_shareable(obj), obj
    for obj in ([1], {'a': 1}, threading.Lock(), object()):
        assert not is_shareable(obj), obj


# --- interpreters: identity, lifetime ----------------------------------------

def test_main_and_current():
    main = get_main()
    assert isinstance(main, Interpreter)
    assert main.id == 0
    assert main.whence == 'runtime init'
    assert get_current() is main
    assert get_main() is main
    assert main.is_running()  # the main interpreter always counts as running
    with pytest.raises(InterpreterError):
        main.close()


def test_create_and_identity(interp):
    assert interp.whence == '_interpreters module'
    assert interp.id > 0
    assert Interpreter(interp.id) is interp
    assert repr(interp) == f'Interpreter({interp.id})'
    assert hash(interp) == hash(interp.id)
    assert not interp.is_running()
    with pytest.raises(TypeError):
        Interpreter(str(interp.id))
    with pytest.raises(InterpreterNotFoundError):
        Interpreter(10**6)


def test_get_current_inside(interp):
    inside = interp.call(get_current)
    assert inside is interp
    assert interp.call(get_main) is get_main()


def test_list_all_and_close():
    before = list_all()
    assert get_main() in before
    it = create()
    assert it in list_all()
    assert len(list_all()) == len(before) + 1
    it.close()
    assert it not in list_all()
    assert [i.id for i in list_all()] == [i.id for i in before]
    for use in (lambda: it.exec('pass'), lambda: it.call(identity, 1),
                lambda: it.prepare_main(a=1), it.is_running, it.close):
        with pytest.raises(InterpreterNotFoundError):
            use()


def test_dropping_last_reference_destroys():
    it = create()
    iid = it.id
    del it
    gc.collect()
    assert iid not in [i.id for i in list_all()]


# --- exec --------------------------------------------------------------------

def test_docs_basic_usage(interp, capfd):
    interp.exec('print("spam!", flush=True)')
    interp.exec("""if True:
        print('spam!', flush=True)
        """)
    interp.exec(textwrap.dedent("""
        print('spam!', flush=True)
        """))
    assert capfd.readouterr().out == 'spam!\n' * 3
    assert interp.call(identity, 'spam!') == 'spam!'
    t = interp.call_in_thread(identity, 'spam!')
    t.join()


def test_exec_reuses_state(interp):
    interp.exec('x = 1')
    interp.exec('x += 41')
    interp.exec('import math; y = math.sqrt(x * x)')
    interp.exec('assert (x, y) == (42, 42.0)')
    assert interp.call(lambda: globals()['x']) == 42
    assert 'x' not in globals()  # isolated from this interpreter


def test_exec_code_object_and_function(interp):
    interp.exec(compile('z = 7', '<test>', 'exec'))

    def no_args():
        print('in no_args', flush=True)
    interp.exec(no_args)
    interp.exec('assert z == 7')


def test_exec_uncaught_exception(interp):
    with pytest.raises(ExecutionFailed) as info:
        interp.exec("raise KeyError('spam')")
    exc = info.value
    assert isinstance(exc, InterpreterError)
    assert exc.excinfo.type.__name__ == 'KeyError'
    assert exc.excinfo.msg == "'spam'"
    assert exc.excinfo.formatted == "KeyError: 'spam'"
    assert exc.excinfo.errdisplay.startswith('Traceback (most recent call')
    assert 'File "<script>", line 1' in exc.excinfo.errdisplay
    assert "KeyError: 'spam'" in exc.excinfo.errdisplay
    assert 'Uncaught in the interpreter' in str(exc)
    interp.exec('ok = True')  # still usable afterwards


def test_exec_syntax_error_and_system_exit(interp):
    with pytest.raises(SyntaxError):  # compiled by the caller, as in 3.14
        interp.exec('1 +')
    with pytest.raises(ExecutionFailed) as info:
        interp.exec('raise SystemExit(3)')
    assert info.value.excinfo.type.__name__ == 'SystemExit'


def test_thread_started_inside_interpreter(interp):
    interp.exec(textwrap.dedent("""
        import threading
        results = []
        def task(n):
            results.append(sum(range(n)))
        threads = [threading.Thread(target=task, args=(n,)) for n in (10, 100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    """))
    interp.exec('assert sorted(results) == [45, 4950], results')


def test_running_interpreter_refuses_more(interp):
    q = create_queue()
    t = interp.call_in_thread(wait_on, q)
    wait_until(interp.is_running)
    with pytest.raises(InterpreterError):
        interp.exec('pass')
    with pytest.raises(InterpreterError):
        interp.close()
    q.put('go')
    t.join()
    assert not interp.is_running()


# --- call ----------------------------------------------------------------------

def test_call_stateless(interp):
    assert interp.call(identity, 5) == 5
    assert interp.call(sum_of_squares, 4) == 14
    assert interp.call(identity, arg='kw') == 'kw'
    assert interp.call(len, 'four') == 4


def test_call_pickles_args_and_result(interp, helpers):
    assert interp.call(helpers.add, [1], [2]) == [1, 2]
    assert interp.call(helpers.add, 2) == 2
    assert interp.call(helpers.add, 'a', b='b') == 'ab'
    assert interp.call(helpers.Point, 1, 2) == helpers.Point(1, 2)
    assert interp.call(identity, {'k': [1, 2]}) == {'k': [1, 2]}
    assert interp.call(identity, (1, [2])) == (1, [2])
    assert interp.call(identity, 2**100) == 2**100
    assert interp.call(dict, a=[1]) == {'a': [1]}
    other = create()
    assert interp.call(identity, other) is other
    other.close()


def test_call_raises(interp, helpers):
    with pytest.raises(ExecutionFailed) as info:
        interp.call(helpers.fail, 'bad thing')
    excinfo = info.value.excinfo
    assert excinfo.type.__name__ == 'ValueError'
    assert excinfo.msg == 'bad thing'
    assert excinfo.formatted == 'ValueError: bad thing'
    assert 'in fail' in excinfo.errdisplay
    with pytest.raises(ExecutionFailed) as info:
        interp.call(sys.exit, 3)
    assert info.value.excinfo.type.__name__ == 'SystemExit'


def test_call_not_shareable(interp, bare, helpers):
    with pytest.raises(NotShareableError):
        interp.call(identity, threading.Lock())        # argument
    with pytest.raises(NotShareableError):
        interp.call(helpers.make_lock)                  # result
    y = 1
    with pytest.raises(NotShareableError):
        interp.call(lambda: y)                          # closure
    with pytest.raises(NotShareableError):
        bare.call(helpers.add, 1, 2)                    # not importable there
    assert interp.call(identity, 'still fine') == 'still fine'


def test_call_builtins_that_need_a_frame_use_targets_main(interp):
    interp.prepare_main(spam=42)
    assert 'spam' in interp.call(dir)
    assert interp.call(eval, '__name__') == '__main__'
    assert interp.call(eval, 'spam + 1') == 43
    interp.call(exec, 'made_by_exec = 7')
    interp.exec('assert made_by_exec == 7')
    with pytest.raises(NotShareableError):
        interp.call(globals)  # __main__'s dict holds its module: not picklable


def test_call_stateless_functions_as_arguments_and_results(interp):
    assert interp.call(apply_to_two, lambda x: x * 10) == 20
    double = interp.call(eval, 'lambda x: x * 2')
    assert double(21) == 42
    assert interp.call(identity, sum_of_squares)(3) == 5


def test_call_function_reading_a_module_global_is_not_stateless(interp, helpers):
    # Not sent as code (where __name__ would be the target's '__main__'): by reference.
    assert interp.call(helpers.module_name) == 'interp_test_helpers'


def test_call_in_thread(interp):
    q = create_queue()
    t = interp.call_in_thread(produce, q, 3)
    assert isinstance(t, threading.Thread)
    t.join()
    assert [q.get(timeout=1) for _ in range(4)] == [0, 1, 2, None]


def test_call_in_thread_parallel():
    workers = [create() for _ in range(2)]
    try:
        q = create_queue()
        threads = [w.call_in_thread(produce, q, 50) for w in workers]
        for t in threads:
            t.join()
        items = [q.get_nowait() for _ in range(102)]
        assert items.count(None) == 2
        assert sorted(i for i in items if i is not None) == sorted(
            list(range(50)) * 2)
        assert q.empty()
    finally:
        for w in workers:
            w.close()


# --- prepare_main --------------------------------------------------------------

def test_prepare_main_shareable(interp):
    interp.prepare_main({'a': 1, 'b': 'two'}, c=b'three', d=(4, None), e=2.5)
    interp.exec("assert (a, b, c, d, e) == (1, 'two', b'three', (4, None), 2.5)")


def test_prepare_main_memoryview_is_shared(interp):
    buf = bytearray(b'abc')
    interp.prepare_main(view=memoryview(buf))
    interp.exec("view[0] = ord('X')")
    assert buf == b'Xbc'


def test_prepare_main_pickled(interp, helpers):
    interp.prepare_main(config={'depth': [1, 2]}, point=helpers.Point(3, 4),
                        big=2**70, mixed=(1, [2]))
    interp.exec(textwrap.dedent("""
        assert config == {'depth': [1, 2]}
        assert (point.x, point.y) == (3, 4)
        assert type(point).__name__ == 'Point'
        assert big == 2**70 and mixed == (1, [2])
    """))


def test_prepare_main_not_shareable(interp, bare, helpers):
    with pytest.raises(NotShareableError):
        interp.prepare_main(lock=threading.Lock())
    with pytest.raises(NotShareableError):
        bare.prepare_main(point=helpers.Point(0, 0))  # not importable there
    with pytest.raises(ExecutionFailed):
        interp.exec('lock')


def test_prepare_main_checks_names(interp):
    with pytest.raises(ValueError):
        interp.prepare_main()  # nothing to bind, as the stdlib
    with pytest.raises(ValueError):
        interp.prepare_main({'bad\x00name': 1})  # crashed CPython 3.13.0 (gh-127165)
    with pytest.raises(TypeError):
        interp.prepare_main({1: 'one'})
    interp.prepare_main(good=1)
    interp.exec('assert good == 1')


# --- queues --------------------------------------------------------------------

def test_queue_basics():
    q = create_queue()
    assert isinstance(q, Queue)
    assert Queue(q.id) is q
    assert repr(q) == f'Queue({q.id})'
    assert q.maxsize == 0
    assert q.empty() and not q.full() and q.qsize() == 0
    q.put(1)
    q.put_nowait('two')
    assert q.qsize() == 2 and not q.empty()
    assert q.get() == 1
    assert q.get_nowait() == 'two'
    with pytest.raises(QueueEmpty):
        q.get_nowait()
    with pytest.raises(QueueEmpty):
        q.get(block=False)


def test_queue_bounded():
    q = create_queue(2)
    assert q.maxsize == 2
    q.put('a')
    q.put('b')
    assert q.full() and q.qsize() == 2
    with pytest.raises(QueueFull):
        q.put_nowait('c')
    with pytest.raises(QueueFull):
        q.put('c', block=False)
    assert q.get() == 'a'
    q.put('c')
    assert [q.get(), q.get()] == ['b', 'c']


def test_queue_timeouts():
    q = create_queue(1)
    start = time.monotonic()
    with pytest.raises(QueueEmpty):
        q.get(timeout=0.1)
    q.put(1)
    with pytest.raises(QueueFull):
        q.put(2, timeout=0.1)
    assert time.monotonic() - start < 2
    with pytest.raises(ValueError):
        q.get(timeout=-1)


def test_queue_blocking_get_waits_for_producer(interp):
    q = create_queue()
    t = interp.call_in_thread(produce, q, 3)
    got = []
    while (item := q.get(timeout=5)) is not None:
        got.append(item)
    t.join()
    assert got == [0, 1, 2]


def test_queue_pickled_objects(helpers):
    q = create_queue()
    q.put({'a': [1]})
    q.put(helpers.Point(1, 2))
    q.put((1, [2]))
    assert q.get() == {'a': [1]}
    assert q.get() == helpers.Point(1, 2)
    assert q.get() == (1, [2])
    with pytest.raises(NotShareableError):
        q.put(threading.Lock())
    assert q.empty()


def test_queue_across_interpreters(interp, helpers):
    # The HOWTO pattern: share a queue through prepare_main.
    inbox, outbox = create_queue(), create_queue()
    interp.prepare_main(inbox=inbox, outbox=outbox)
    interp.exec(textwrap.dedent("""
        assert type(inbox).__name__ == 'Queue', type(inbox)
        outbox.put(inbox.id)
    """))
    assert outbox.get(timeout=1) == inbox.id
    inbox.put('spam!')
    inbox.put(helpers.Point(5, 6))
    interp.exec(textwrap.dedent("""
        msg = inbox.get()
        point = inbox.get()
        outbox.put((msg.upper(), point.x + point.y))
        outbox.put({'reply': [msg]})
    """))
    assert outbox.get(timeout=1) == ('SPAM!', 11)
    assert outbox.get(timeout=1) == {'reply': ['spam!']}


def test_queue_passed_by_call_and_through_queue(interp):
    q, carrier = create_queue(), create_queue()
    interp.call(produce, q, 1)                # a Queue as a call argument
    assert [q.get_nowait(), q.get_nowait()] == [0, None]
    assert interp.call(identity, q) is q      # and back as a result
    carrier.put(q)                            # a Queue inside a queue
    assert carrier.get() is q
    interp.prepare_main(carrier=carrier)
    carrier.put(q)
    interp.exec("carrier.get().put('via carrier')")
    assert q.get(timeout=1) == 'via carrier'


def test_queue_consumer_in_interpreter(interp):
    # Producer here, consumer thread inside the interpreter.
    jobs, results = create_queue(), create_queue()
    interp.prepare_main(jobs=jobs, results=results)
    t = threading.Thread(target=interp.exec, args=(textwrap.dedent("""
        while (n := jobs.get()) is not None:
            results.put(n * n)
    """),))
    t.start()
    for n in range(5):
        jobs.put(n)
    jobs.put(None)
    t.join(10)
    assert [results.get(timeout=1) for _ in range(5)] == [0, 1, 4, 9, 16]


@pytest.mark.parametrize('unbounditems', [None, UNBOUND, UNBOUND_ERROR,
                                          UNBOUND_REMOVE])
def test_queue_items_of_closed_interpreter(bare, unbounditems):
    kwargs = {} if unbounditems is None else {'unbounditems': unbounditems}
    q = create_queue(**kwargs)
    bare.prepare_main(q=q)
    bare.exec("q.put('orphan')")
    bare.close()
    if unbounditems in (None, UNBOUND):
        assert q.get_nowait() is UNBOUND
    elif unbounditems is UNBOUND_ERROR:
        with pytest.raises(ItemInterpreterDestroyed):
            q.get_nowait()
    else:
        assert q.empty()
