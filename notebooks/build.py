"""Write the teaching notebooks from the sources in this file (outputs cleared).

    python notebooks/build.py            # (re)write notebooks/*.ipynb
    python notebooks/build.py --check    # exit 1 if a stored notebook differs from its source here

`make notebooks` runs the first. Edit the cells here, not in the .ipynb files, so that
diffs stay readable; the stored notebooks carry no outputs. Cells that demonstrate an
error are tagged ``raises-exception`` (nbclient and "Run all" go on past them); other
tags name the cells whose outputs tests/test_notebooks.py checks.
"""

import argparse
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
RAISES = "raises-exception"

KERNELSPEC = {"name": "interp", "display_name": "Python 3 (subinterpreters)", "language": "python"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3", "file_extension": ".py"}


class Book:
    """Cells of one notebook, with stable ids (``<prefix>-NN``) so that diffs stay small."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.cells = []

    def _id(self):
        return f"{self.prefix}-{len(self.cells):02d}"

    def md(self, text):
        self.cells.append(new_markdown_cell(textwrap.dedent(text).strip("\n"), id=self._id()))

    def code(self, source, *tags):
        cell = new_code_cell(textwrap.dedent(source).strip("\n"), id=self._id())
        if tags:
            cell.metadata["tags"] = list(tags)
        self.cells.append(cell)

    def notebook(self):
        return new_notebook(cells=self.cells, metadata={"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})


# =====================================================================================
# tour.ipynb
# =====================================================================================


def tour():
    b = Book("tour")
    b.md("""
    # A five-minute tour of `interp`

    This notebook runs on the **interp** kernel: an ordinary IPython kernel plus two magics.
    A cell that starts with `%%interp NAME` runs in a CPython **subinterpreter** called
    `NAME`: another Python interpreter inside this same process, with its own modules,
    its own `__main__` and (by default) its own GIL. Normal cells run in the *main*
    interpreter, as in any notebook.

    Run the cells from top to bottom (Shift-Enter). Each section is one idea; the other
    notebooks next to this one go deeper.
    """)

    b.md("""
    ## 1. A cell in an interpreter

    The interpreter `hello` is created the first time a cell names it (in about 10 ms).
    What the cell prints streams in as it is printed; the value of the last line is the
    cell's result, as in any cell.
    """)
    b.code("""
    %%interp hello
    import sys
    from interp_kernel import interpreters

    x = 6 * 7
    print("running in interpreter", interpreters.get_current().id, "- Python", sys.version.split()[0])
    x
    """, "first-cell")
    b.md("""
    `hello` keeps its variables between cells: another `%%interp hello` cell can use `x`.
    """)

    b.md("""
    ## 2. Isolation: nothing is shared by default

    A second interpreter starts from scratch. It has never heard of `x`:
    """)
    b.code("""
    %%interp other
    print(x)
    """, RAISES, "isolation")
    b.md("""
    Modules are per interpreter too. `hello` imports `colorsys` (a small standard module
    nobody has imported yet); `other` does not have it, not even in `sys.modules`:
    """)
    b.code("""
    %%interp hello
    import colorsys
    colorsys.rgb_to_hsv(1.0, 0.5, 0.0)
    """)
    b.code("""
    %%interp other
    import sys
    print("colorsys in other's sys.modules:", "colorsys" in sys.modules)
    """, "isolation-module")
    b.md("And the main interpreter — this notebook's normal cells — has neither:")
    b.code("""
    "x" in globals(), "colorsys" in globals()
    """, "isolation-main")

    b.md("""
    ## 3. Values in and out

    `--in` copies variables of main into the interpreter before the cell runs; `--out`
    copies variables back into main when it has run. What crosses is a *copy*, never the
    same object.
    """)
    b.code("""
    numbers = list(range(1, 11))
    """)
    b.code("""
    %%interp hello --in numbers --out stats
    stats = {"n": len(numbers), "sum": sum(numbers), "mean": sum(numbers) / len(numbers)}
    """)
    b.code("""
    stats
    """, "values-out")
    b.md("""
    `%interp push NAME VAR` and `%interp pull NAME VAR` do the same between cells, and
    named queues connect interpreters while they run (see `communicating.ipynb`).
    """)

    b.md("""
    ## 4. Two cores at once

    Each isolated interpreter has its own GIL, so interpreters run Python code in
    parallel. Name several interpreters and the cell runs in each of them at the same
    time; its output lines are labelled with the interpreter's name. First the work in
    one interpreter, then the same work in two (IPython's `%%time` times the cell):
    """)
    b.code("""
    %%time
    %%interp left
    total = sum(i * i for i in range(4_000_000))
    """, "one-core")
    b.code("""
    %%time
    %%interp left right
    total = sum(i * i for i in range(4_000_000))
    total
    """, "two-cores")
    b.md("""
    On a machine with two free cores: twice the work in about the same wall time, and a
    CPU time about twice the wall time — two cores were busy. (Two threads in *one*
    interpreter would take turns on its GIL and need twice as long; `parallel.ipynb`
    measures serial, threads, interpreters and processes side by side.)
    """)

    b.md("""
    ## 5. The dashboard

    `%interp dashboard` shows a live table of the interpreters — config, state, cells
    run, time — with Interrupt, Reset and Close buttons. It keeps updating while other
    cells run: start the background job below and watch the `slow` row.
    """)
    b.code("""
    %interp dashboard
    """, "dashboard")
    b.code("""
    %%interp slow --bg nap
    import time
    for step in range(3):
        print("step", step)
        time.sleep(0.3)
    "rested"
    """)
    b.md("""
    `--bg` returns at once; the job's output keeps landing in its own cell.
    `%interp wait nap` waits for it and shows its result:
    """)
    b.code("""
    %interp wait nap
    """, "wait")

    b.md("""
    ## 6. The timeline

    Which interpreter ran when: one lane per interpreter (and one for main's own cells),
    one bar per cell, solid where the interpreter was actually on a CPU. The two bars of
    section 4 lie side by side in the `left` and `right` lanes; the `slow` job is mostly
    pale: it slept.
    """)
    b.code("""
    %interp timeline
    """, "timeline")

    b.md("""
    ## 7. The same without Jupyter

    The magics are a thin layer over a plain Python API, usable in any script:
    """)
    b.code("""
    from interp_kernel import Manager

    manager = Manager()
    results = manager.run_many(["a", "b"], "sum(range(10**6))")   # in parallel, one core each
    print({name: result.value_repr for name, result in results.items()})
    stuck = manager.shutdown(timeout=5)   # the names of interpreters that would not stop: none
    """, "library")

    b.md("""
    ## Tidy up

    `%interp list` shows the interpreters; `%interp close --all` destroys them.
    """)
    b.code("""
    %interp list
    """)
    b.code("""
    %interp close --all
    %interp list
    """)
    b.md("""
    ## Where next

    * `basics.ipynb` — state, `__main__`, threads, errors, lifetime, isolated vs legacy.
    * `communicating.ipynb` — what can cross and how: copies, shared memory, queues, pipes.
    * `parallel.ipynb` — serial vs threads vs interpreters vs processes, measured.
    * `gotchas.ipynb` — what goes wrong and what to do about it.

    One thing to keep in mind from the start: interpreters isolate *Python objects*, not
    *programs*. They share one process — its memory, files and environment — so they are
    **not a security boundary**: never use them to contain untrusted code.
    """)
    return b.notebook()


# =====================================================================================
# basics.ipynb
# =====================================================================================


def basics():
    b = Book("basics")
    b.md("""
    # Basics: running code in subinterpreters

    What an interpreter is, what lives in it and for how long:

    1. running code and reusing state
    2. `__main__`, modules and the process the interpreters share
    3. threads
    4. uncaught exceptions (and `excinfo` in the library)
    5. lifetime: create, reset, close
    6. configs: `isolated` and `legacy`, and what each allows
    """)

    b.md("""
    ## 1. Running code, reusing state

    The body of an `%%interp` cell is plain Python. `print` and `sys.stderr` stream into
    the cell, the last expression is the result — with its rich representations, which are
    computed *inside* the interpreter — and `display()` works too.
    """)
    b.code("""
    %%interp calc
    import sys

    class Money:
        def __init__(self, cents):
            self.cents = cents
        def __repr__(self):
            return f"Money({self.cents})"
        def _repr_html_(self):
            return f"<b>{self.cents / 100:.2f} €</b>"

    print("to stdout")
    print("to stderr", file=sys.stderr)
    display("display() works too")
    wallet = Money(1250)
    wallet
    """)
    b.md("""
    Variables, functions, classes and imports stay in the interpreter until it is reset
    or closed. Each cell below adds to `wallet`:
    """)
    b.code("""
    %%interp calc
    wallet.cents += 100
    wallet
    """)
    b.code("""
    %%interp calc
    wallet.cents += 100
    wallet
    """, "state")

    b.md("""
    ## 2. `__main__`, modules, the process

    Every interpreter has its own `__main__` module — the namespace its cells run in —
    its own `sys.modules` and its own copy of every module it imports. Compare two:
    """)
    b.code("""
    %%interp calc
    import __main__, os
    from interp_kernel import interpreters
    mine = sorted(name for name in vars(__main__) if not name.startswith("_"))
    print("interpreter", interpreters.get_current().id, "| __name__ =", __name__, "| pid", os.getpid())
    print("its __main__ holds:", mine)
    """)
    b.code("""
    %%interp fresh
    import __main__, os, sys
    from interp_kernel import interpreters
    mine = sorted(name for name in vars(__main__) if not name.startswith("_"))
    print("interpreter", interpreters.get_current().id, "| __name__ =", __name__, "| pid", os.getpid())
    print("its __main__ holds:", mine)
    """, "fresh-main")
    b.code("""
    import os
    from interp_kernel import interpreters
    print("main is interpreter", interpreters.get_main().id, "| pid", os.getpid())
    """)
    b.md("""
    Same process id everywhere: interpreters are not processes. They share the process's
    memory, file descriptors, current directory and environment — `gotchas.ipynb` shows
    what that means. What they do not share is Python objects.
    """)

    b.md("""
    ## 3. Threads

    Each interpreter runs its cells one after the other on **one long-lived thread** of
    its own. So per-thread state — the `decimal` context, thread locals, context
    variables — survives from one cell to the next:
    """)
    b.code("""
    %%interp calc
    import decimal, threading
    decimal.getcontext().prec = 6
    print("thread", threading.get_native_id(), "->", decimal.Decimal(1) / decimal.Decimal(7))
    """)
    b.code("""
    %%interp calc
    print("thread", threading.get_native_id(), "->", decimal.Decimal(1) / decimal.Decimal(7))
    """, "same-thread")
    b.md("""
    Code in an interpreter can start threads of its own. Their output lands in the cell
    too, and they belong to that interpreter: `threading.enumerate()` there does not list
    main's threads, nor those of other interpreters. Threads of one interpreter share its
    GIL, exactly as in a normal program; it is *different* interpreters that run in
    parallel.
    """)
    b.code("""
    %%interp calc
    import time

    def worker(n):
        time.sleep(0.05 * n)
        print(f"worker {n} on thread {threading.get_native_id()}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("threads this interpreter knows:", len(threading.enumerate()))
    """, "threads")
    b.code("""
    import threading
    print("threads main knows:", len(threading.enumerate()))
    """)
    b.md("""
    The library has the same idea: `Interpreter.call_in_thread(fn, *args)` starts a
    thread *of main* that runs `fn` inside the interpreter.
    """)

    b.md("""
    ## 4. Uncaught exceptions

    An exception that escapes the cell shows the interpreter's own traceback, with the
    cell's line numbers (line 1 is the `%%interp` line) and the exception's real type.
    """)
    b.code("""
    %%interp calc
    def average(values):
        return sum(values) / len(values)

    before = "assigned before the error"
    average([])
    after = "never assigned"
    """, RAISES, "cell-error")
    b.md("The interpreter survives and keeps what ran before the error:")
    b.code("""
    %%interp calc
    before, "after" in globals()
    """, "after-error")
    b.md("""
    With the library (`interp_kernel.interpreters`, Python 3.14's `concurrent.interpreters`
    API, also on 3.13) the exception stays in the interpreter it was raised in; what
    crosses is a description, `ExecutionFailed.excinfo`: the type's name, the message and
    the formatted traceback.
    """)
    b.code("""
    from interp_kernel import interpreters

    interp = interpreters.create()
    try:
        interp.exec("def average(values):\\n    return sum(values) / len(values)\\naverage([])")
    except interpreters.ExecutionFailed as failure:
        info = failure.excinfo
        print("type:     ", info.type.__name__)
        print("message:  ", info.msg)
        print("formatted:", info.formatted)
        print(info.errdisplay)
    interp.close()
    """, "excinfo")
    b.md("""
    The `Manager` API returns errors as data rather than raising them:
    `manager.session("x").run("1/0").error` has `ename`, `evalue` and `traceback`.
    """)

    b.md("""
    ## 5. Lifetime: create, reset, close

    Interpreters are created on first use (or with `%interp create NAME`) and live until
    closed — or until the kernel shuts down. `%interp list` shows them:
    """)
    b.code("""
    %interp create spare
    %interp list
    """)
    b.md("""
    `%interp reset NAME` replaces an interpreter by a fresh one with the same name and
    config: everything in it is gone.
    """)
    b.code("""
    %interp reset calc
    """)
    b.code("""
    %%interp calc
    wallet
    """, RAISES, "after-reset")
    b.md("""
    `%interp close NAME` destroys it (interrupting whatever it was running).
    """)
    b.code("""
    %interp close spare fresh
    %interp list
    """, "after-close")
    b.md("""
    Creating one costs milliseconds, not the tens of milliseconds of starting a process;
    destroying one is faster still. In the library, `interpreters.create()` makes one and
    `.close()` destroys it:
    """)
    b.code("""
    import time

    count = 5
    t0 = time.perf_counter()
    made = [interpreters.create() for _ in range(count)]
    t1 = time.perf_counter()
    for one in made:
        one.close()
    t2 = time.perf_counter()
    print(f"create: {(t1 - t0) / count * 1e3:.1f} ms each, close: {(t2 - t1) / count * 1e3:.1f} ms each")
    """, "create-cost")
    b.md("""
    They are not free, though: each holds a few MB, and on Python 3.13.0 a create/close
    cycle leaks about 1.7 MB (a CPython bug). Reuse interpreters rather than making one per
    task.
    """)

    b.md("""
    ## 6. Configs: `isolated` and `legacy`

    An interpreter is created with a config that cannot change afterwards.

    | | `isolated` (the default) | `legacy` |
    |---|---|---|
    | GIL | its own: runs in parallel with the others | shared with main: takes turns |
    | memory allocator | its own | main's |
    | extension modules without subinterpreter support (`readline`, `_curses`, numpy...) | refused at import | load (numpy & co.: only in the first interpreter that imports them) |
    | `os.fork()`, `os.exec*()`, daemon threads | refused (`subprocess` still works) | allowed |

    The settings behind the two names:
    """)
    b.code("""
    import _interpreters   # the low-level module underneath

    for name in ("isolated", "legacy"):
        print(f"{name:>8}: {_interpreters.new_config(name)}")
    """)
    b.md("An isolated interpreter refuses `readline`, and says what to do about it:")
    b.code("""
    %%interp strict
    import readline
    """, RAISES, "refused")
    b.code("""
    %%interp strict
    import os
    os.fork()
    """, RAISES, "no-fork")
    b.code("""
    %%interp strict
    import threading
    threading.Thread(target=print, daemon=True)
    """, RAISES, "no-daemon")
    b.md("A `legacy` interpreter allows all three, at the price of sharing main's GIL:")
    b.code("""
    %%interp relaxed --config legacy
    import readline, threading
    helper = threading.Thread(target=print, args=("a daemon thread in a legacy interpreter",), daemon=True)
    helper.start()
    helper.join()
    readline.__name__
    """, "legacy")
    b.md("An existing interpreter cannot change config; close it first or use another name:")
    b.code("""
    %%interp strict --config legacy
    pass
    """, RAISES, "config-mismatch")
    b.code("""
    %interp list
    """, "configs-list")
    b.code("""
    %interp close --all
    """)
    return b.notebook()


# =====================================================================================
# communicating.ipynb
# =====================================================================================


def communicating():
    b = Book("comm")
    b.md("""
    # Communicating between interpreters

    Interpreters share nothing by default. This notebook shows every way to move data:

    1. `--in` / `--out` on a cell, `%interp push` / `pull` between cells
    2. `prepare_main`, `exec` and `call` in the library
    3. what crosses natively, what is pickled, what is refused
    4. zero-copy: one `bytearray` seen by two interpreters through a `memoryview`
    5. named queues: producer/consumer, fan-out/fan-in
    6. pipes
    """)

    b.md("""
    ## 1. `--in`, `--out`, `push`, `pull`

    `--in` copies main's variables into the interpreter before the body runs; `--out`
    copies the interpreter's variables back into main afterwards.
    """)
    b.code("""
    prices = {"apple": 0.5, "pear": 0.75, "fig": 2.0}
    basket = ["apple", "fig", "fig", "pear"]
    """)
    b.code("""
    %%interp shop --in prices basket --out bill
    bill = round(sum(prices[item] for item in basket), 2)
    """)
    b.code("""
    bill
    """, "out")
    b.md("""
    The values are **copies**. Changing them in the interpreter leaves main's alone:
    """)
    b.code("""
    %%interp shop
    basket.append("melon")
    basket
    """)
    b.code("""
    basket
    """, "copy")
    b.md("""
    With several interpreters, each `--out` variable arrives as a dict
    `{interpreter name: value}`:
    """)
    b.code("""
    %%interp north south --out who
    from interp_kernel import interpreters
    who = interpreters.get_current().id
    """)
    b.code("""
    who
    """, "out-many")
    b.md("""
    Between cells, `%interp push NAME VAR...` and `%interp pull NAME VAR...` do the same:
    """)
    b.code("""
    discount = 0.1
    %interp push shop discount
    """)
    b.code("""
    %%interp shop
    total = round(bill * (1 - discount), 2)
    """)
    b.code("""
    %interp pull shop total
    total
    """, "pull")

    b.md("""
    ## 2. The library: `prepare_main`, `exec`, `call`

    `interp_kernel.interpreters` is Python 3.14's `concurrent.interpreters` API (on 3.13
    too). `prepare_main(**values)` binds values in the interpreter's `__main__`, `exec(code)`
    runs code there and `call(fn, *args)` calls a function there and returns its result.
    """)
    b.code("""
    from interp_kernel import interpreters

    interp = interpreters.create()
    interp.prepare_main(width=3, height=4)
    interp.exec("area = width * height")

    def hypotenuse(a, b):
        return (a * a + b * b) ** 0.5

    interp.call(hypotenuse, 3, 4)
    """, "call")
    b.md("""
    `exec` returns nothing: to get `area` back, send it through a queue (section 5) — the
    same queue object works in both interpreters:
    """)
    b.code("""
    answers = interpreters.create_queue()
    interp.prepare_main(answers=answers)
    interp.exec("answers.put(area)")
    answers.get(timeout=5)
    """, "exec-queue")
    b.code("""
    interp.close()
    """)

    b.md("""
    ## 3. Shared, pickled or refused

    A few types cross **natively**: `None`, `bool`, `int`, `float`, `str`, `bytes`,
    tuples of these, `memoryview` and queues. Immutable ones arrive as an equal copy;
    a `memoryview` and a queue refer to the *same* buffer or queue on both sides.
    Everything else is **pickled**: the other side gets a copy, rebuilt there. What can be
    neither — a lock, a generator, an open socket — is **refused**.
    """)
    b.code("""
    import pickle, threading

    def how_it_crosses(value):
        if interpreters.is_shareable(value):
            return "natively"
        try:
            pickle.dumps(value)
        except Exception:
            return "refused"
        return "pickled"

    samples = {
        "None": None, "42": 42, "3.5": 3.5, "'text'": "text", "b'bytes'": b"bytes", "(1, 'a')": (1, "a"),
        "memoryview(...)": memoryview(bytearray(4)), "[1, 2]": [1, 2], "{'a': 1}": {"a": 1}, "{1, 2}": {1, 2},
        "threading.Lock()": threading.Lock(), "(n for n in ...)": (n for n in range(3)),
    }
    for text, value in samples.items():
        print(f"{text:>18}  {how_it_crosses(value)}")
    """, "crossing")
    b.md("""
    The magics check every value before anything is sent, and name the one that cannot
    cross:
    """)
    b.code("""
    lock = threading.Lock()
    %interp push shop lock
    """, RAISES, "refused")

    b.md("""
    ## 4. Zero-copy: one buffer, two interpreters

    A `memoryview` crosses without a copy: both sides see the same memory. Here a
    `bytearray` of main is shared by two interpreters; one writes, the other reads, and
    main sees the change.
    """)
    b.code("""
    board = bytearray(16)          # the memory
    view = memoryview(board)       # what crosses
    %interp create writer reader
    %interp push writer view
    %interp push reader view
    """)
    b.code("""
    %%interp writer
    view[:5] = b"hello"
    """)
    b.code("""
    %%interp reader
    bytes(view[:5])
    """, "shared-read")
    b.code("""
    board
    """, "shared-main")
    b.md("""
    Since nothing is copied, size does not matter. Compare sending 50 MB as `bytes`
    (copied into the interpreter) and as a `memoryview` (shared):
    """)
    b.code("""
    import time

    big = bytes(50_000_000)
    t0 = time.perf_counter()
    %interp push reader big
    copied = time.perf_counter() - t0

    big_view = memoryview(bytearray(50_000_000))
    t0 = time.perf_counter()
    %interp push reader big_view
    shared = time.perf_counter() - t0
    print(f"50 MB as bytes: {copied * 1e3:.1f} ms, as a memoryview: {shared * 1e3:.1f} ms")
    del big, big_view
    """, "zero-copy-timing")
    b.md("""
    Shared memory comes with the usual duties: nothing synchronizes the writers (use a
    queue to say "ready"), and the `bytearray` cannot grow or shrink while a view of it
    exists.
    """)

    b.md("""
    ## 5. Named queues

    `%interp queue NAME` makes a queue that every interpreter — and main — sees under
    that name, including interpreters created later. `put` and `get` block until they can
    proceed (they wait in C, without polling); any picklable object can be put.

    ### Producer / consumer

    Two background cells: a producer puts words on `words` (at most 3 waiting: `put`
    blocks when the queue is full), a consumer takes them, transforms them and puts the
    results on `shouted`. `None` means "no more".
    """)
    b.code("""
    %interp queue words --maxsize 3
    %interp queue shouted
    """)
    b.code("""
    %%interp producer --bg
    for word in "the quick brown fox jumps over the lazy dog".split():
        words.put(word)
    words.put(None)
    """)
    b.code("""
    %%interp consumer --bg
    while (word := words.get()) is not None:
        shouted.put(word.upper())
    shouted.put(None)
    """)
    b.md("Main reads the results as they come:")
    b.code("""
    received = []
    while (word := shouted.get(timeout=10)) is not None:
        received.append(word)
    print(" ".join(received))
    """, "producer-consumer")

    b.md("""
    ### Fan-out / fan-in

    Three workers take ranges of numbers from one queue (fan-out) and put their prime
    counts on another (fan-in). The work is shared out dynamically: a worker that finishes
    early takes the next range. One `None` per worker stops them.
    """)
    b.code("""
    %interp queue ranges
    %interp queue counts
    """)
    b.code("""
    %%interp w1 w2 w3 --bg workers
    def is_prime(n):
        if n < 2:
            return False
        f = 2
        while f * f <= n:
            if n % f == 0:
                return False
            f += 1
        return True

    done = 0
    while (task := ranges.get()) is not None:
        start, stop = task
        counts.put(sum(1 for n in range(start, stop) if is_prime(n)))
        done += 1
    f"{done} ranges"
    """)
    b.code("""
    LIMIT, STEP = 200_000, 10_000
    chunks = [(start, start + STEP) for start in range(0, LIMIT, STEP)]
    for chunk in chunks:
        ranges.put(chunk)           # fan out
    for _ in range(3):
        ranges.put(None)            # one stop signal per worker

    total = sum(counts.get(timeout=60) for _ in chunks)   # fan in
    print(f"primes below {LIMIT}: {total} (from {len(chunks)} ranges)")
    """, "fan-in")
    b.md("How many ranges each worker took:")
    b.code("""
    %interp wait workers
    """, "fan-out-share")

    b.md("""
    ## 6. Pipes

    File descriptors belong to the process, so every interpreter can use them. A pipe
    made in main, its write end pushed to one interpreter and its read end to another,
    connects them at the operating-system level — bytes only, but usable with any code
    that speaks files.
    """)
    b.code("""
    import os

    read_end, write_end = os.pipe()
    %interp push writer write_end
    %interp push reader read_end
    """)
    b.code("""
    %%interp writer
    import os
    os.write(write_end, b"sent through a pipe\\n")
    os.close(write_end)
    """)
    b.code("""
    %%interp reader
    import os
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read()
    message
    """, "pipe")
    b.code("""
    %interp close --all
    """)
    return b.notebook()


# =====================================================================================
# parallel.ipynb
# =====================================================================================

WORKLOAD = '''
"""A CPU-bound, pure-Python workload: random walks driven by a small random generator."""


def simulate(seed, steps):
    """Walk `steps` steps on a grid; return the end point and the farthest squared distance."""
    x = y = far = 0
    state = seed
    for _ in range(steps):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF   # a linear congruential generator
        move = state >> 29                                  # its top two bits: 0, 1, 2 or 3
        if move == 0:
            x += 1
        elif move == 1:
            x -= 1
        elif move == 2:
            y += 1
        else:
            y -= 1
        distance = x * x + y * y
        if distance > far:
            far = distance
    return x, y, far


def run_share(seeds, steps):
    """The walks of several seeds, one after the other."""
    return [simulate(seed, steps) for seed in seeds]
'''


def parallel():
    b = Book("par")
    b.md("""
    # Parallel Python: serial, threads, interpreters, processes

    One CPU-bound, pure-Python workload, run four ways on two workers, each measured
    here:

    * **serial** — one after the other;
    * **threads** — two threads of main: they share main's GIL;
    * **interpreters** — two isolated subinterpreters, each with its own GIL (and, for
      comparison, two `legacy` ones, which share main's GIL);
    * **processes** — a `ProcessPoolExecutor` of two processes.

    Then: when interpreters win, and when they don't.
    """)

    b.md("""
    ## The workload

    Random walks: pure Python arithmetic, no I/O, no C library that would release the GIL.
    Interpreters and processes start empty — they *import* code — so the workload lives
    in a small module (written to a temporary folder here, to keep this notebook
    self-contained; in real work it would be part of your package).
    """)
    b.code(
        "import os, pathlib, sys, tempfile, time\n\n"
        "WORKLOAD = '''" + WORKLOAD.strip("\n") + "\n'''\n\n"
        'folder = pathlib.Path(tempfile.mkdtemp(prefix="interp-parallel-"))\n'
        '(folder / "walks.py").write_text(WORKLOAD)\n'
        "sys.path.insert(0, str(folder))    # before creating interpreters: each copies sys.path\n"
        "import walks",
        "workload",
    )
    b.md("""
    Four walks (four seeds) of a million steps each, shared by two workers. One walk
    takes a few tenths of a second on a current CPU, so the serial run lasts about a
    second: long enough for stable timings. Each timing below is the best of a few runs.
    """)
    b.code("""
    WORKERS = 2
    SEEDS = [11, 23, 37, 41]

    def best_of(repeat, run):
        \"\"\"The shortest of `repeat` timings of run(), and its result.\"\"\"
        best = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = run()
            elapsed = time.perf_counter() - t0
            best = elapsed if best is None else min(best, elapsed)
        return best, result

    STEPS = 1_000_000
    one_walk, _ = best_of(2, lambda: walks.simulate(SEEDS[0], STEPS))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{cpus} CPUs available; one walk of {STEPS:,} steps takes {one_walk:.2f} s")
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        print(f"load average {load:.1f}" + (": other programs are busy on these CPUs, expect lower speed-ups"
                                            if load > cpus else ""))
    """, "calibrate")

    b.md("## Serial")
    b.code("""
    timings = {}
    timings["serial"], expected = best_of(2, lambda: walks.run_share(SEEDS, STEPS))
    print(f"serial: {timings['serial']:.2f} s")
    """, "serial")

    b.md("""
    ## Threads

    Two threads of the main interpreter. They take turns on its GIL, so pure-Python work
    gains nothing (a free-threaded build of Python would differ).
    """)
    b.code("""
    from concurrent.futures import ThreadPoolExecutor

    def with_threads():
        with ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(walks.simulate, SEEDS, [STEPS] * len(SEEDS)))

    timings["threads"], result = best_of(1, with_threads)
    assert result == expected
    print(f"threads: {timings['threads']:.2f} s")
    """, "threads")

    b.md("""
    ## Interpreters

    Two isolated interpreters, created once and importing the module once (these costs
    are measured in the last section). Each gets half of the seeds.
    """)
    b.code("""
    %interp create sim1 sim2
    """)
    b.code("""
    %%interp sim1 sim2
    import walks        # each interpreter imports its own copy of the module
    walks.__name__
    """)
    b.md("""
    To time many runs from one cell we use the library under the magics: the `Manager`
    that `%%interp` uses, whose `run_many` runs code in several interpreters at once and
    waits for all. Same interpreters, same timeline.
    """)
    b.code("""
    from interp_kernel.jupyter.magics import manager_for

    manager = manager_for(get_ipython())      # the Manager behind %%interp

    def in_interpreters(names):
        \"\"\"Share the seeds among the interpreters `names`, run them at once, gather the results.\"\"\"
        for i, name in enumerate(names):
            manager.get(name).push(seeds=SEEDS[i::len(names)], steps=STEPS)
        runs = manager.run_many(names, "part = walks.run_share(seeds, steps)")
        failed = [str(run.error) for run in runs.values() if not run.ok]
        assert not failed, failed
        parts = [manager.get(name).pull("part") for name in names]
        return [parts[i % len(names)][i // len(names)] for i in range(len(SEEDS))]   # back in seed order

    ISOLATED = "interpreters (isolated)"
    timings[ISOLATED], result = best_of(4, lambda: in_interpreters(["sim1", "sim2"]))
    assert result == expected
    print(f"{ISOLATED}: {timings[ISOLATED]:.2f} s")
    """, "interpreters")
    b.md("""
    The same with two `legacy` interpreters: they share main's GIL, like threads.
    """)
    b.code("""
    %interp create old1 old2 --config legacy
    """)
    b.code("""
    %%interp old1 old2
    import walks
    """)
    b.code("""
    LEGACY = "interpreters (legacy)"
    timings[LEGACY], result = best_of(1, lambda: in_interpreters(["old1", "old2"]))
    assert result == expected
    print(f"{LEGACY}: {timings[LEGACY]:.2f} s")
    """, "legacy")

    b.md("""
    ## Processes

    A pool of two processes, started with `spawn` (a fresh Python each: safe in a
    process that runs threads, unlike `fork`). Timed twice: the first `map` includes
    starting the processes, the second reuses them.
    """)
    b.code("""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    spawn = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()
    with ProcessPoolExecutor(WORKERS, mp_context=spawn) as pool:
        result = list(pool.map(walks.simulate, SEEDS, [STEPS] * len(SEEDS)))
        timings["processes (incl. start-up)"] = time.perf_counter() - t0
        assert result == expected
        timings["processes (warm pool)"], result = best_of(
            1, lambda: list(pool.map(walks.simulate, SEEDS, [STEPS] * len(SEEDS))))
        assert result == expected
    print(f"processes: {timings['processes (incl. start-up)']:.2f} s, warm: {timings['processes (warm pool)']:.2f} s")
    """, "processes")

    b.md("## The results")
    b.code("""
    base = timings["serial"]
    print(f"{'method':<30}{'time':>8}{'speed-up':>10}")
    for method, seconds in timings.items():
        print(f"{method:<30}{seconds:>7.2f}s{base / seconds:>9.2f}x")
    print()
    print("every method computed the same walks:", result == expected)
    print(f"speed-up with threads: {base / timings['threads']:.2f}x")
    print(f"speed-up with legacy interpreters: {base / timings[LEGACY]:.2f}x")
    print(f"speed-up with isolated interpreters: {base / timings[ISOLATED]:.2f}x on {WORKERS} workers, {cpus} CPUs")
    """, "speedup")
    b.md("""
    On two or more free cores, isolated interpreters come close to 2×, like a warm
    process pool, while threads and legacy interpreters stay near 1×. (On a busy machine
    every parallel number drops: the other cores are not free.)

    The timeline shows why. In main's lane, the serial run is solid (main computed); the
    thread and process runs are pale: main's own thread only waited for its workers. In
    the `sim1` and `sim2` lanes the bars are solid *at the same time*: two cores. In the
    `old1` and `old2` lanes the bars are striped, each solid about half of the time: the
    two legacy interpreters took turns on one GIL.
    """)
    b.code("""
    %interp timeline
    """, "timeline")

    b.md("""
    ## When interpreters win, and when they don't

    **Start-up.** An interpreter starts in milliseconds; a `spawn`ed process needs a new
    Python, tens of milliseconds or more. For short-lived workers, interpreters win.
    """)
    b.code("""
    from interp_kernel import interpreters

    def start_interpreter():
        interpreters.create().close()

    def start_process():
        process = spawn.Process(target=abs, args=(0,))
        process.start()
        process.join()

    t_interp, _ = best_of(5, start_interpreter)
    t_process, _ = best_of(3, start_process)
    print(f"start and stop an interpreter: {t_interp * 1e3:6.1f} ms")
    print(f"start and stop a process:      {t_process * 1e3:6.1f} ms")
    """, "startup")
    b.md("""
    **Memory.** An idle isolated interpreter adds a few MB to this process; a worker
    process is a whole Python (tens of MB).
    """)
    b.code("""
    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    if os.path.exists("/proc/self/statm"):
        before = rss_mb()
        crowd = [interpreters.create() for _ in range(8)]
        print(f"8 idle interpreters: +{rss_mb() - before:.1f} MB ({(rss_mb() - before) / 8:.1f} MB each)")
        for one in crowd:
            one.close()
    else:
        print("(no /proc here: skipped)")
    """)
    b.md("""
    **Moving data.** Anything that crosses is pickled and copied, to an interpreter as
    to a process — except a `memoryview`, which an interpreter shares without a copy (a
    process would need `multiprocessing.shared_memory`). Workloads that ship large inputs
    for little computation gain little either way.
    """)
    b.code("""
    data = bytes(50_000_000)
    t0 = time.perf_counter()
    %interp push sim1 data
    t_copy = time.perf_counter() - t0

    data_view = memoryview(bytearray(50_000_000))
    t0 = time.perf_counter()
    %interp push sim1 data_view
    t_share = time.perf_counter() - t0
    print(f"50 MB to an interpreter: {t_copy * 1e3:.1f} ms as bytes (copied), {t_share * 1e3:.2f} ms as a memoryview (shared)")
    del data, data_view
    """, "transfer")
    b.md("""
    **Small tasks.** Each hand-over to an interpreter costs on the order of a hundred
    microseconds (measured below); for tasks not much longer than that, batch them (as `run_share` does) instead of sending one call
    per item.
    """)
    b.code("""
    sim1 = manager.get("sim1")
    calls = 200
    t0 = time.perf_counter()
    for _ in range(calls):
        sim1.run("None")
    print(f"one round trip to an interpreter: {(time.perf_counter() - t0) / calls * 1e6:.0f} µs")
    """, "round-trip")
    b.md("""
    **Extension modules.** Many compiled modules (numpy, pandas, pydantic-core, orjson
    ...) refuse to load in an isolated interpreter, and in `legacy` ones only the first
    interpreter that imports them can use them (see `gotchas.ipynb`). For work that needs
    them, use processes — or keep that part in main.

    **In short:** CPU-bound pure Python split into sizeable pieces → interpreters give the
    speed-up of processes at a fraction of their start-up time and memory, plus zero-copy
    sharing of buffers. I/O-bound work → threads or asyncio are enough. Work that needs numpy &
    co. → processes (or numpy itself, which releases the GIL in its own loops).
    """)
    b.code("""
    import shutil

    %interp close --all
    sys.path.remove(str(folder))
    shutil.rmtree(folder)
    """)
    return b.notebook()


# =====================================================================================
# gotchas.ipynb
# =====================================================================================


def gotchas():
    b = Book("gotchas")
    b.md("""
    # Gotchas

    What goes wrong with subinterpreters, why, and what to do:

    1. extension modules that refuse subinterpreters — and the hint we print
    2. `legacy` interpreters: only one importer per process for many compiled modules
    3. values that cannot cross
    4. interrupting: what stops at once and what does not
    5. IPython syntax in an `%%interp` cell
    6. shared process state
    7. interpreters are **not** a security boundary
    """)

    b.md("""
    ## 1. Modules that refuse subinterpreters

    A compiled module must declare that it supports several interpreters (per-interpreter
    state, "multi-phase init"). Those that don't are refused by isolated interpreters.
    Two from the standard library, `_curses` and `readline`:
    """)
    b.code("""
    %%interp strict
    import _curses
    """, RAISES, "refused-curses")
    b.code("""
    %%interp strict
    import readline
    """, RAISES, "refused-readline")
    b.md("""
    The cyan hint under the traceback is ours: it explains the error and the three ways
    out — run that code in main, in a `legacy` interpreter, or in another process.
    numpy, pandas, orjson, pydantic-core, psutil and many more refuse in the same way
    (if numpy is installed here, the next cell shows it):
    """)
    b.code("""
    %%interp strict
    import importlib.util
    if importlib.util.find_spec("numpy") is None:
        print("numpy is not installed in this environment: nothing to show")
    else:
        import numpy
    """, RAISES, "refused-numpy")

    b.md("""
    ## 2. `legacy`: one importer per process

    A `legacy` interpreter lets such modules load. Some, like `readline`, then work in
    every legacy interpreter — even though main imported `readline` too:
    """)
    b.code("""
    %%interp old --config legacy
    import readline
    print("loaded in a legacy interpreter:", readline.__name__)
    """, "legacy-loads")
    b.md("""
    But many compiled modules — numpy, and those built with Cython or PyO3 — keep global
    state and check that only **one interpreter in the whole process** ever imports them.
    Main counts: this kernel itself runs on pyzmq (a Cython module), which main imported
    at start-up. So no other interpreter can import `zmq`:
    """)
    b.code("""
    %%interp old
    import zmq
    """, RAISES, "one-importer")
    b.md("""
    Which modules allow a second importer can even change between Python versions:
    `_curses` (also imported by main) loads in a legacy interpreter on Python 3.13, but on
    3.14 it refuses a second importer:
    """)
    b.code("""
    %%interp old
    import sys
    try:
        import _curses
        print(f"Python {sys.version_info.major}.{sys.version_info.minor}: _curses loaded here too")
    except ImportError as exc:
        print(f"Python {sys.version_info.major}.{sys.version_info.minor}: ImportError: {exc}")
    """, "curses-legacy")
    b.md("""
    The fix is the same as before: the one interpreter that imported such a module (often
    main) does that work, or a process pool does.
    """)

    b.md("""
    ## 3. Values that cannot cross

    What crosses is pickled (except natively shareable values like `int`, `str`, `bytes`,
    tuples of those and `memoryview`). So the usual pickle limits apply. A lock, a
    generator, an open file cannot cross:
    """)
    b.code("""
    import threading
    guard = threading.Lock()
    %interp push strict guard
    """, RAISES, "unpicklable-lock")
    b.md("""
    Functions and classes pickle *by name*: the other side imports them from their
    module. A `lambda`, or a class defined in a cell (module `__main__`), has no name the
    other side could import:
    """)
    b.code("""
    %%interp strict
    class Point:
        def __init__(self, x, y):
            self.x, self.y = x, y

    corner = Point(3, 4)
    """)
    b.code("""
    %interp pull strict corner
    """, RAISES, "unpicklable-class")
    b.md("""
    Ways out: send plain data (`vars(corner)` is a dict), or define the class in a module
    that both sides import.
    """)
    b.code("""
    %%interp strict
    corner_data = vars(corner)
    """)
    b.code("""
    %interp pull strict corner_data
    corner_data
    """, "plain-data")
    b.md("Queues pickle what they carry, with the same limits:")
    b.code("""
    %interp queue mailbox
    """)
    b.code("""
    %%interp strict
    mailbox.put(n for n in range(3))
    """, RAISES, "unpicklable-queue")

    b.md("""
    ## 4. Interrupting

    The ■ button (or `%interp interrupt NAME`) raises `KeyboardInterrupt` inside the
    interpreter. Python code stops at once and the interpreter keeps its state:
    """)
    b.code("""
    %%interp spinner --bg spin
    laps = 0
    while True:
        laps += 1
    """)
    b.code("""
    import time
    time.sleep(0.3)
    %interp interrupt spin
    """, "interrupt")
    b.code("""
    %interp wait spin
    """, RAISES, "interrupted")
    b.code("""
    %%interp spinner
    print(f"{laps:,} laps before the interrupt; still here")
    """, "after-interrupt")
    b.md("""
    A C call that blocks — waiting on a lock, a socket, a pipe — is not interrupted: the
    `KeyboardInterrupt` lands when the call returns. Here the interrupt is sent 0.2 s into
    a 1.5 s wait for a lock that nobody releases:
    """)
    b.code("""
    %%interp sleeper --bg nap
    import threading
    gate = threading.Lock()
    gate.acquire()
    gate.acquire(timeout=1.5)     # blocks in C for 1.5 s: nobody releases the lock
    """)
    b.code("""
    time.sleep(0.2)
    %interp interrupt nap
    """)
    b.code("""
    %interp wait nap
    """, RAISES, "interrupted-sleep")
    b.md("The job's handle `nap` keeps the run's record:")
    b.code("""
    run = nap.results["sleeper"]
    print(f"interrupted 0.2 s in, stopped after {run.duration:.1f} s ({run.status})")
    """, "sleep-delay")
    b.md("""
    Two exceptions, made interruptible by the kernel: `time.sleep` (replaced, in every
    interpreter, by a sleep that an interrupt cuts short) and the waits of named queues
    (`%interp queue`). A 30 s sleep, interrupted 0.2 s in:
    """)
    b.code("""
    %%interp sleeper --bg doze
    import time
    time.sleep(30)
    """)
    b.code("""
    time.sleep(0.2)
    %interp interrupt doze
    """)
    b.code("""
    %interp wait doze
    """, RAISES)
    b.code("""
    run = doze.results["sleeper"]
    print(f"a 30 s sleep, interrupted 0.2 s in, stopped after {run.duration:.1f} s ({run.status})")
    """, "sleep-interrupted")
    b.md("""
    So in code you may want to stop, give other blocking calls a timeout and loop
    (`lock.acquire(timeout=0.5)`, `sock.settimeout(0.5)`). A foreground cell that has not
    stopped 2 s after an interrupt goes on in the background; then `%interp wait`,
    `%interp interrupt` again, or `%interp reset`.
    """)

    b.md("""
    ## 5. IPython syntax

    The body of an `%%interp` cell is plain Python, compiled inside the interpreter:
    magics, `!shell` and `?help` are IPython features of normal cells.
    """)
    b.code("""
    %%interp strict
    %time sum(range(10))
    """, RAISES, "ipython-syntax")

    b.md("""
    ## 6. Shared process state

    Interpreters have separate Python objects, but one process: one current directory,
    one set of file descriptors, one environment, one `os._exit`. Changing the current
    directory in an interpreter changes it for main too:
    """)
    b.code("""
    import os
    home = os.getcwd()
    """)
    b.code("""
    %%interp strict
    import os, tempfile
    os.chdir(tempfile.gettempdir())
    """)
    b.code("""
    print("main's current directory is now", os.getcwd())
    os.chdir(home)
    """, "chdir")
    b.md("""
    Likewise `os._exit()` or a crash in a compiled module in *any* interpreter ends the
    whole kernel (don't run it!).
    """)
    b.md("""
    One process also means that `os.fork()` copies every interpreter, and CPython cannot
    yet tidy them up in the child: a forked child of a process with subinterpreters
    crashes (CPython gh-139759; the kernel prints a warning when it sees such a fork).
    So this kernel makes `forkserver` the default start method of `multiprocessing`, as
    Python 3.14 does: process pools in normal cells keep working next to interpreters
    (their functions must be importable, as always without fork):
    """)
    b.code("""
    import multiprocessing
    print(multiprocessing.get_start_method())
    with multiprocessing.Pool(2) as pool:
        print(pool.map(abs, [-3, -2, -1]))
    """, "process-pool")

    b.md("""
    ## 7. Not a security boundary

    Isolation between interpreters is about *objects*, not about *trust*. Code in any
    interpreter runs with all the rights of the process: it can read and write its files,
    start programs, and read the memory of every other interpreter. Here an interpreter
    that is given nothing but two numbers — an address and a length — reads a secret held
    by main (it could just as well search the process's memory for it):
    """)
    b.code("""
    secret = b"main's secret: hunter2"
    address, length = id(secret), len(secret)
    %interp push strict address length
    """)
    b.code("""
    %%interp strict
    import ctypes, sys
    header = sys.getsizeof(b"") - 1          # where a bytes object's data starts
    ctypes.string_at(address + header, length)   # main's memory, read from another interpreter
    """, "not-security")
    b.md("""
    **Never run untrusted code in a subinterpreter expecting it to be contained.** Use a
    separate process with operating-system protections — a container, a sandbox, a
    separate user — for that.
    """)
    b.code("""
    %interp close --all
    """)
    return b.notebook()


NOTEBOOKS = {
    "tour.ipynb": tour,
    "basics.ipynb": basics,
    "communicating.ipynb": communicating,
    "parallel.ipynb": parallel,
    "gotchas.ipynb": gotchas,
}


def render(builder):
    nb = builder()
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the notebooks (outputs cleared) from notebooks/build.py")
    parser.add_argument("--check", action="store_true", help="only check that the stored notebooks are up to date")
    args = parser.parse_args(argv)
    stale = []
    for name, builder in NOTEBOOKS.items():
        path = HERE / name
        text = render(builder)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print(f"out of date (run `make notebooks`): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
