"""The teaching notebooks: each runs on the ``interp`` kernel and shows its lesson.

Every notebook in notebooks/ is executed with nbclient on the installed ``interp``
kernel (started without PYTEST_CURRENT_TEST in its environment). A cell that fails
without the ``raises-exception`` tag fails the notebook; then the outputs that carry
each lesson are checked, found by their cells' tags. The .ipynb files are the notebooks'
only source (edited in JupyterLab); they are stored without outputs.
"""

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import kernel_env, require_kernelspec, strip_ansi

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 120
#: On a shared machine another job can take a core away for a while: the parallel
#: notebook is run once more when its measured speed-up falls short.
PARALLEL_ATTEMPTS = 3
#: Isolated interpreters must clearly use more than one core (one GIL gives <= 1x) ...
MIN_SPEEDUP = 1.25
#: ... and keep up with a warm pool of processes measured in the same run (the
#: control: what the machine let two workers have at that moment).
MIN_SHARE_OF_PROCESSES = 0.8

_runs = {}  # notebook name -> (executed notebook, seconds)


def cpus():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def execute(name):
    """Run notebooks/<name> on the interp kernel; returns the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    require_kernelspec()
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="interp",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    t0 = time.perf_counter()
    client.execute(env=kernel_env())  # raises CellExecutionError for an unexpected failure
    _runs[name] = (nb, time.perf_counter() - t0)
    return nb


def executed(name):
    if name not in _runs:
        execute(name)
    return _runs[name][0]


# -- reading outputs ------------------------------------------------------------------


def cell(nb, tag):
    found = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(found) == 1, f"expected one cell tagged {tag!r}, found {len(found)}"
    return found[0]


def _join(value):
    return value if isinstance(value, str) else "".join(value)


def stdout(c, name="stdout"):
    return "".join(_join(o.get("text", "")) for o in c.outputs if o.output_type == "stream" and o.name == name)


def results(c):
    """text/plain of the cell's execute_result and display_data outputs."""
    return [_join(o.data.get("text/plain", "")) for o in c.outputs
            if o.output_type in ("execute_result", "display_data")]


def result(c):
    found = [_join(o.data.get("text/plain", "")) for o in c.outputs if o.output_type == "execute_result"]
    assert len(found) == 1, f"expected one result, got outputs {c.outputs}"
    return found[0]


def error(c):
    found = [o for o in c.outputs if o.output_type == "error"]
    assert len(found) == 1, f"expected one error, got outputs {c.outputs}"
    out = found[0]
    return out.ename, strip_ansi("\n".join(out.traceback))


def no_error(c):
    assert not [o for o in c.outputs if o.output_type == "error"], c.outputs


def everything(c):
    parts = []
    for o in c.outputs:
        if o.output_type == "stream":
            parts.append(_join(o.text))
        elif o.output_type == "error":
            parts.append("\n".join(o.traceback))
        elif "text/plain" in o.get("data", {}):
            parts.append(_join(o.data["text/plain"]))
    return strip_ansi("\n".join(parts))


HINT_REFUSED = "refuses to load in an isolated subinterpreter"


def check_exercises(nb, count):
    """Each exercise's check says "not yet" for the stub and "correct" for the reference solution."""
    for n in range(1, count + 1):
        assert f"exercise {n}: not yet" in stdout(cell(nb, f"check-{n}")), cell(nb, f"check-{n}").outputs
        solved = [c for c in nb.cells if f"solution-{n}-check" in c.metadata.get("tags", [])] or [cell(nb, f"solution-{n}")]
        assert f"exercise {n}: correct" in stdout(solved[0]), solved[0].outputs


def test_every_notebook_has_objectives_recap_and_exercises():
    import nbformat

    for path in STORED:
        nb = nbformat.read(path, as_version=4)
        prose = [c.source for c in nb.cells if c.cell_type == "markdown"]
        assert "you will" in prose[0].lower() or "by the end you can" in prose[0].lower(), path.name
        assert any(text.startswith("## Recap") for text in prose), path.name
        tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
        assert {"exercise-1", "check-1", "solution-1"} <= tags, path.name


# -- the stored notebooks ---------------------------------------------------------------


STORED = sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.name)
def test_stored_notebook_is_valid_and_clear(path):
    import nbformat

    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)  # raises ValidationError for an invalid cell or field
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5), f"{path.name}: nbformat 4.5 or later (cell ids)"
    ids = [c.get("id") for c in nb.cells]
    assert None not in ids and len(set(ids)) == len(ids), f"{path.name}: missing or repeated cell ids"
    assert nb.metadata.kernelspec.name == "interp"
    stored = [c.id for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not stored, f"{path.name}: cells {stored} stored with outputs: run `make strip-notebooks`"


# -- tour ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tour():
    return executed("tour.ipynb")


def test_tour_first_cell(tour):
    c = cell(tour, "first-cell")
    assert "running in interpreter" in stdout(c)
    assert result(c) == "42"


def test_tour_isolation(tour):
    ename, tb = error(cell(tour, "isolation"))
    assert ename == "NameError"
    assert "name 'x' is not defined" in tb
    assert "<interp other" in tb  # the traceback is the interpreter's, with the cell's name
    assert "colorsys in other's sys.modules: False" in stdout(cell(tour, "isolation-module"))
    assert result(cell(tour, "isolation-main")) == "(False, False)"


def test_tour_values_in_and_out(tour):
    assert result(cell(tour, "values-out")) == "{'n': 10, 'sum': 55, 'mean': 5.5}"


def test_tour_parallel_cell(tour):
    c = cell(tour, "two-cores")
    assert "Wall time" in stdout(c)
    lines = result(c).splitlines()
    assert lines == ["[left] 21333325333334000000", "[right] 21333325333334000000"]


def test_tour_dashboard(tour):
    c = cell(tour, "dashboard")
    no_error(c)
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in c.outputs), c.outputs


def test_tour_background_job(tour):
    assert result(cell(tour, "wait")) == "'rested'"


def test_tour_timeline(tour):
    c = cell(tour, "timeline")
    svg = [o.data["image/svg+xml"] for o in c.outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svg) == 1, c.outputs
    root = ET.fromstring(_join(svg[0]))
    bars = {}
    for rect in root.iter("{http://www.w3.org/2000/svg}rect"):
        if "interp-bar" in rect.get("class", "").split():
            bars.setdefault(rect.get("data-lane"), []).append(
                (float(rect.get("data-start")), float(rect.get("data-end"))))
    assert {"hello", "other", "left", "right", "slow"} <= set(bars), bars
    # the two-interpreter cell: its bars in `left` and `right` run at the same time
    (r_start, r_end), = bars["right"]
    l_start, l_end = max(bars["left"])
    overlap = min(l_end, r_end) - max(l_start, r_start)
    assert overlap > 0.5 * (r_end - r_start), (bars["left"], bars["right"])


def test_tour_library_and_tidy_up(tour):
    total = 21333325333334000000
    assert eval(result(cell(tour, "plain-api"))) == {"left": total, "right": total}  # in the order they finished
    assert "{'a': '499999500000', 'b': '499999500000'}" in stdout(cell(tour, "library"))
    assert "no interpreters" in everything(cell(tour, "tidy-up"))


def test_tour_exercises(tour):
    check_exercises(tour, 2)


# -- basics ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def basics():
    return executed("basics.ipynb")


def test_basics_exercises(basics):
    check_exercises(basics, 2)


def test_basics_state(basics):
    assert result(cell(basics, "state")) == "Money(1450)"


def test_basics_plain_api(basics):
    assert result(cell(basics, "plain-state")) == "1450"
    there, here = re.search(r"pid in calc2: (\d+) \| pid here: (\d+)", stdout(cell(basics, "plain-process"))).groups()
    assert there == here
    assert "readline in a legacy interpreter: loaded" in stdout(cell(basics, "plain-legacy"))
    # main's redirect_stdout does not see the interpreter's sys.stdout; one inside it does
    assert "captured in main: ''" in stdout(cell(basics, "plain-redirect-main"))
    assert result(cell(basics, "plain-redirect-inside")) == "'printed in calc2\\n'"
    text = stdout(cell(basics, "plain-lifetime"))
    for line in ("in list_all(): True", "running while a thread sleeps in it: True", "running afterwards: False",
                 "failed: ZeroDivisionError", "after close: InterpreterNotFoundError"):
        assert line in text, text


def test_basics_own_main_same_process(basics):
    text = stdout(cell(basics, "fresh-main"))
    assert "__name__ = __main__" in text
    assert "Money" not in text and "wallet" not in text
    pids = set(re.findall(r"pid (\d+)", "\n".join(stdout(c) for c in basics.cells if c.cell_type == "code")))
    assert len(pids) == 1, pids  # calc, fresh and main: one process


def test_basics_one_thread_per_interpreter(basics):
    c = cell(basics, "same-thread")
    before = stdout(cell(basics, "set-decimal"))
    assert before.split(" ->")[0] == stdout(c).split(" ->")[0]  # the same thread id
    assert "-> 0.142857" in stdout(c)  # the decimal context set in the cell before
    text = stdout(cell(basics, "threads"))
    assert all(f"worker {n} on thread" in text for n in range(3))


def test_basics_plain_exec_keeps_no_thread_state(basics):
    text = stdout(cell(basics, "plain-exec-thread"))
    here, there = re.search(r"this cell's thread: (\d+) \| the call ran on thread: (\d+)", text).groups()
    assert here == there, text  # no implicit thread: exec and call run on the caller's
    assert "decimal precision in the second call: 28 | threading.local value still set: False" in text
    assert "three different threads: True" in stdout(cell(basics, "plain-threads"))


def test_basics_exceptions(basics):
    ename, tb = error(cell(basics, "cell-error"))
    assert ename == "ZeroDivisionError"
    assert re.search(r"<interp calc: In \[\d+\]>\", line 6, in <module>", tb), tb
    assert "line 3, in average" in tb
    assert "interp_kernel" not in tb  # no frames of ours
    assert result(cell(basics, "after-error")) == "('assigned before the error', False)"
    text = stdout(cell(basics, "excinfo"))
    assert "type:      ZeroDivisionError" in text
    assert "message:   division by zero" in text
    assert "in average" in text


def test_basics_lifetime(basics):
    ename, tb = error(cell(basics, "after-reset"))
    assert ename == "NameError" and "'wallet'" in tb
    listing = everything(cell(basics, "after-close"))
    assert "calc" in listing and "spare" not in listing and "fresh" not in listing
    create_ms = float(re.search(r"create: ([\d.]+) ms each", stdout(cell(basics, "create-cost"))).group(1))
    assert create_ms < 200
    text = stdout(cell(basics, "leak"))
    assert re.search(r"memory kept per create/close: -?[\d.]+ MB|no /proc", text), text


def test_basics_configs(basics):
    ename, tb = error(cell(basics, "refused"))
    assert ename == "ImportError" and HINT_REFUSED in tb and "--config legacy" in tb
    ename, tb = error(cell(basics, "no-fork"))
    assert ename == "RuntimeError" and "fork" in tb
    ename, tb = error(cell(basics, "no-daemon"))
    assert ename == "RuntimeError" and "daemon threads" in tb
    ename, tb = error(cell(basics, "no-exec"))
    assert ename == "RuntimeError" and "exec not supported" in tb
    assert "own allocator, no extension check: InterpreterError" in stdout(cell(basics, "config-chain"))
    c = cell(basics, "legacy")
    assert result(c) == "'readline'"
    assert "a daemon thread in a legacy interpreter" in stdout(c)
    ename, tb = error(cell(basics, "config-mismatch"))
    assert ename == "ConfigMismatchError"
    listing = result(cell(basics, "configs-list"))
    assert re.search(r"strict\s+\d+\s+isolated", listing) and re.search(r"relaxed\s+\d+\s+legacy", listing)


# -- communicating ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def communicating():
    return executed("communicating.ipynb")


def test_communicating_in_out_push_pull(communicating):
    nb = communicating
    assert result(cell(nb, "out")) == "5.25"
    assert result(cell(nb, "copy")) == "['apple', 'fig', 'fig', 'pear']"  # main's list is unchanged
    who = eval(result(cell(nb, "out-many")))
    assert set(who) == {"north", "south"} and len(set(who.values())) == 2
    assert result(cell(nb, "pull")) == "4.73"


def test_communicating_library(communicating):
    assert result(cell(communicating, "call")) == "5.0"
    assert result(cell(communicating, "exec-queue")) == "12"
    c = cell(communicating, "explicit-pickle")
    assert result(c) == "2"
    if sys.version_info >= (3, 14):  # the standard library's prepare_main refuses a list
        assert "prepare_main(list): NotShareableError" in stdout(c)
    else:
        assert "prepare_main(list): pickled for you" in stdout(c)


def test_communicating_exercises(communicating):
    check_exercises(communicating, 2)


def test_communicating_plain_api(communicating):
    nb = communicating
    assert result(cell(nb, "plain-in-out")) == "5.25"
    assert result(cell(nb, "plain-memoryview")) == "bytearray(b'plain\\x00\\x00\\x00')"
    assert stdout(cell(nb, "plain-queue")).strip() == "THE QUICK BROWN FOX"
    assert result(cell(nb, "plain-pipe")) == "b'from a plain interpreter\\n'"
    assert result(cell(nb, "socketpair")) == "b'PING'"


def test_communicating_what_crosses(communicating):
    lines = dict(line.rsplit(None, 1) for line in stdout(cell(communicating, "crossing")).strip().splitlines())
    lines = {k.strip(): v for k, v in lines.items()}
    assert lines["42"] == lines["memoryview(...)"] == "natively"
    assert lines["[1, 2]"] == lines["{'a': 1}"] == "pickled"
    assert lines["threading.Lock()"] == lines["(n for n in ...)"] == "refused"
    ename, tb = error(cell(communicating, "refused"))
    assert ename == "NotTransferableError" and "'lock'" in tb


def test_communicating_zero_copy(communicating):
    assert result(cell(communicating, "shared-read")) == "b'hello'"
    assert result(cell(communicating, "shared-main")).startswith("bytearray(b'hello\\x00")
    text = stdout(cell(communicating, "zero-copy-timing"))
    copied, shared = map(float, re.search(r"bytes: ([\d.]+) ms, as a memoryview: ([\d.]+) ms", text).groups())
    assert shared < copied, text


def test_communicating_queues(communicating):
    assert stdout(cell(communicating, "producer-consumer")).strip() == "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG"
    assert stdout(cell(communicating, "fan-in")).strip() == "primes below 200000: 17984 (from 20 ranges)"
    shares = re.findall(r"\[(w\d)\] '(\d+) ranges'", result(cell(communicating, "fan-out-share")))
    assert {name for name, _ in shares} == {"w1", "w2", "w3"}
    assert sum(int(n) for _, n in shares) == 20


def test_communicating_pipe(communicating):
    assert result(cell(communicating, "pipe")) == "b'sent through a pipe\\n'"


# -- parallel -------------------------------------------------------------------------------------


def _speedups(nb):
    text = stdout(cell(nb, "speedup"))
    found = dict(re.findall(r"speed-up with ([\w ]+?): ([\d.]+)x", text))
    return {k: float(v) for k, v in found.items()}, text


@pytest.fixture(scope="module")
def parallel():
    nb = executed("parallel.ipynb")
    for _ in range(PARALLEL_ATTEMPTS - 1):
        if not _speedup_problems(_speedups(nb)[0], _process_speedup(nb)):
            break
        nb = execute("parallel.ipynb")  # the machine was busy: measure again
    return nb


def _speedup_problems(speedups, control):
    """What the measured speed-ups contradict; ``control`` is the warm process pool's."""
    problems = []
    if speedups.get("threads", 0.0) >= 1.4:
        problems.append("threads should gain nothing on pure Python (one GIL)")
    if speedups.get("legacy interpreters", 0.0) >= 1.4:
        problems.append("legacy interpreters share main's GIL: no speed-up expected")
    isolated = speedups.get("isolated interpreters", 0.0)
    if cpus() >= 2 and (isolated <= MIN_SPEEDUP or isolated < MIN_SHARE_OF_PROCESSES * control):
        problems.append(f"isolated interpreters should beat {MIN_SPEEDUP}x on {cpus()} CPUs and "
                        f"{MIN_SHARE_OF_PROCESSES:.0%} of the process pool's {control:.2f}x")
    return problems


def test_parallel_speedup(parallel):
    speedups, text = _speedups(parallel)
    assert "every method computed the same walks: True" in text
    assert set(speedups) == {"threads", "legacy interpreters", "isolated interpreters"}, text
    control = _process_speedup(parallel)
    problems = _speedup_problems(speedups, control)
    if problems and control <= MIN_SPEEDUP:
        # The control, measured side by side in the same run: if two *processes* could not
        # get two cores either, other programs held the CPUs and nothing was measured.
        pytest.skip(f"other programs kept the CPUs busy: a warm pool of 2 processes reached only "
                    f"{control:.2f}x in the same runs ({'; '.join(problems)}); last measurement:\n{text}")
    assert not problems, f"{problems}\n{text}"


def _process_speedup(nb):
    """serial time / warm process-pool time, both printed by parallel.ipynb."""
    serial = float(re.search(r"serial: ([\d.]+) s", stdout(cell(nb, "serial"))).group(1))
    warm = float(re.search(r"warm: ([\d.]+) s", stdout(cell(nb, "processes"))).group(1))
    return serial / warm


def test_parallel_plain_interpreter_does_not_copy_sys_path(parallel):
    assert "a plain interpreter sees the folder on sys.path: False" in stdout(cell(parallel, "plain-sys-path"))


def test_parallel_plain_interpreters(parallel):
    assert re.search(r"plain interpreters on two threads: [\d.]+ s", stdout(cell(parallel, "plain-interpreters")))


def test_parallel_interpreter_pool_executor(parallel):
    text = stdout(cell(parallel, "pool-executor"))
    if sys.version_info >= (3, 14):
        assert re.search(r"InterpreterPoolExecutor \(start-up included\): [\d.]+ s", text), text
    else:
        assert "InterpreterPoolExecutor is new in Python 3.14" in text, text


def test_parallel_exercises(parallel):
    check_exercises(parallel, 2)


def test_parallel_serial_run_is_long_enough(parallel):
    serial = float(re.search(r"serial: ([\d.]+) s", stdout(cell(parallel, "serial"))).group(1))
    # long enough that start-up (tens of ms) cannot decide the comparison; 3.14/3.15 on a
    # quiet machine run the notebook's fixed work in 0.48 s, so not more than that
    assert serial > 0.3


def test_parallel_timeline(parallel):
    c = cell(parallel, "timeline")
    svg = [_join(o.data["image/svg+xml"]) for o in c.outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svg) == 1
    root = ET.fromstring(svg[0])
    lanes = {r.get("data-lane") for r in root.iter("{http://www.w3.org/2000/svg}rect")
             if "interp-bar" in r.get("class", "").split()}
    assert {"main", "sim1", "sim2", "old1", "old2"} <= lanes, lanes


def test_parallel_when_interpreters_win(parallel):
    text = stdout(cell(parallel, "startup"))
    t_interp = float(re.search(r"an interpreter:\s+([\d.]+) ms", text).group(1))
    t_process = float(re.search(r"a process:\s+([\d.]+) ms", text).group(1))
    assert t_interp < t_process, text
    text = stdout(cell(parallel, "transfer"))
    t_copy, t_share = map(float, re.search(r"([\d.]+) ms as bytes .*?([\d.]+) ms as a memoryview", text).groups())
    assert t_share < t_copy, text
    assert re.search(r"one round trip to an interpreter: \d+ µs", stdout(cell(parallel, "round-trip")))


# -- gotchas -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gotchas():
    return executed("gotchas.ipynb")


@pytest.mark.parametrize("tag, module", [("refused-curses", "_curses"), ("refused-readline", "readline")])
def test_gotchas_refused_modules_get_a_hint(gotchas, tag, module):
    ename, tb = error(cell(gotchas, tag))
    assert ename == "ImportError"
    assert f"module {module} does not support loading in subinterpreters" in tb
    assert f"hint: the extension module '{module}' {HINT_REFUSED}" in tb
    assert "--config legacy" in tb and "process" in tb


def test_gotchas_numpy_if_installed(gotchas):
    c = cell(gotchas, "refused-numpy")
    if importlib.util.find_spec("numpy") is None:
        assert "numpy is not installed" in stdout(c)
    else:
        ename, tb = error(c)
        assert ename == "ImportError" and HINT_REFUSED in tb


def test_gotchas_legacy_one_importer(gotchas):
    assert "loaded in a legacy interpreter: readline" in stdout(cell(gotchas, "legacy-loads"))
    if importlib.util.find_spec("_testsinglephase") is not None:  # single-phase init: objects shared
        assert "the same function object as main's: True" in stdout(cell(gotchas, "single-phase-shared"))
    ename, tb = error(cell(gotchas, "one-importer"))
    assert ename == "ImportError"
    assert "one interpreter per process" in tb, tb
    text = stdout(cell(gotchas, "curses-legacy"))
    if sys.version_info >= (3, 14):
        assert "ImportError" in text and "once per process" in text, text
    else:
        assert "_curses loaded here too" in text, text


def test_gotchas_unpicklable(gotchas):
    ename, tb = error(cell(gotchas, "unpicklable-lock"))
    assert ename == "NotTransferableError" and "'guard'" in tb
    assert result(cell(gotchas, "by-value-class")) == "('Point', 7)"
    assert result(cell(gotchas, "plain-data")) == "{'x': 3, 'y': 4}"
    ename, tb = error(cell(gotchas, "unpicklable-queue"))
    assert ename == "TypeError" and "not picklable" in tb
    assert "NotShareableError:" in stdout(cell(gotchas, "plain-not-shareable"))


def test_gotchas_interrupt(gotchas):
    assert "interrupted spin" in stdout(cell(gotchas, "interrupt"))
    ename, tb = error(cell(gotchas, "interrupted"))
    assert ename == "KeyboardInterrupt"
    laps = re.search(r"([\d,]+) laps before the interrupt; still here", stdout(cell(gotchas, "after-interrupt")))
    assert laps and int(laps.group(1).replace(",", "")) > 0
    ename, tb = error(cell(gotchas, "interrupted-sleep"))
    assert ename == "KeyboardInterrupt"
    text = stdout(cell(gotchas, "sleep-delay"))
    stopped = float(re.search(r"stopped after ([\d.]+) s \(interrupted\)", text).group(1))
    assert stopped >= 1.2, text  # the blocking C call was not cut short
    text = stdout(cell(gotchas, "sleep-interrupted"))
    stopped = float(re.search(r"stopped after ([\d.]+) s \(interrupted\)", text).group(1))
    assert stopped < 5, text  # time.sleep is cut short


def test_gotchas_plain_api_has_no_signals_but_stops_cooperatively(gotchas):
    text = stdout(cell(gotchas, "plain-no-signal"))
    assert "ValueError: signal only works in main thread of the main interpreter" in text, text
    assert re.search(r"stopped on request after [\d,]+ laps; still running: False", stdout(cell(gotchas, "cooperative-stop")))


def test_gotchas_exercises(gotchas):
    check_exercises(gotchas, 2)


def test_gotchas_ipython_syntax_hint(gotchas):
    ename, tb = error(cell(gotchas, "ipython-syntax"))
    assert ename == "SyntaxError" and "plain Python" in tb
    assert "%time sum(range(10))" in tb and "agent.py" not in tb  # the cell's line, none of our frames


def test_gotchas_shared_process_state(gotchas):
    assert f"main's current directory is now {tempfile.gettempdir()}" in stdout(cell(gotchas, "chdir"))


def test_gotchas_process_pools_next_to_interpreters(gotchas):
    assert stdout(cell(gotchas, "process-pool")).splitlines() == ["forkserver", "[3, 2, 1]"]


def test_gotchas_not_a_security_boundary(gotchas):
    assert result(cell(gotchas, "not-security")) == 'b"main\'s secret: hunter2"'
    prose = "\n".join(c.source for c in gotchas.cells if c.cell_type == "markdown")
    assert "not** a security boundary" in prose


def test_no_notebook_claims_a_security_boundary():
    import nbformat

    for path in STORED:
        name = path.name
        text = " ".join(c.source for c in nbformat.read(path, as_version=4).cells).lower()
        for claim in ("are a security boundary", "is a security boundary", "secure sandbox", "safe to run untrusted"):
            assert claim not in text, (name, claim)


#: What CPython's interpreters HOWTO draft shows that does not work in 3.14's standard library.
HOWTO_MISTAKES = {
    r"^\s*(import interpreters|from interpreters import)": "the module is concurrent.interpreters",
    r"\b(create_channel|syncobj|get_main_attr)\b": "not in the standard library",
    r"\.submit\(\s*['\"]": "executors take callables, not scripts",
    r"os\.write\([^,]+,\s*['\"]": "os.write takes bytes",
}


def test_no_notebook_copies_the_howto_drafts_mistakes():
    import nbformat

    for path in STORED:
        for c in nbformat.read(path, as_version=4).cells:
            if c.cell_type == "code":
                for pattern, why in HOWTO_MISTAKES.items():
                    assert not re.search(pattern, c.source, re.M), (path.name, c.id, why)


# -- cluster -------------------------------------------------------------------------------------


def _cluster_pids(nb):
    """The controller, engine and Dask worker pids that cluster.ipynb printed when stopping."""
    text = stdout(cell(nb, "stop"))
    found = re.search(r"controller pid: (\d+) \| engine pids: \[([\d, ]+)\] \| Dask worker pid: (\d+|None)", text)
    assert found, text
    pids = [int(found.group(1)), *(int(p) for p in found.group(2).split(","))]
    return pids + ([int(found.group(3))] if found.group(3) != "None" else [])


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("ipyparallel")
    pytest.importorskip("distributed")
    return executed("cluster.ipynb")


def test_cluster_interp_cells_in_engines(cluster):
    engines = {}  # engine id -> {interpreter: (pid, thread)}
    for text in results(cell(cluster, "px-interp")):
        engine = re.match(r"\[stdout:(\d)\]", text)
        assert engine, text
        for name, pid, thread in re.findall(r"\[(a|b)\] pid (\d+), thread (\d+)", text):
            engines.setdefault(engine.group(1), {})[name] = (pid, thread)
    assert set(engines) == {"0", "1"}, engines
    for lines in engines.values():
        assert set(lines) == {"a", "b"}, engines
        assert lines["a"][0] == lines["b"][0] and lines["a"][1] != lines["b"][1], engines  # one process, two threads
    assert engines["0"]["a"][0] != engines["1"]["a"][0], engines  # two engine processes


def test_cluster_values_there_and_back(cluster):
    assert stdout(cell(cluster, "pull")) == "per engine: [[1, 4, 9, 16, 25], [36, 49, 64, 81, 100]]\ntotal: 385\n"


def test_cluster_interpreter_error_is_a_remote_error(cluster):
    c = cell(cluster, "remote-error")
    text = everything(c)
    assert text.count("ZeroDivisionError: division by zero") == 2, text  # one per engine
    assert '"<interp a: In [' in text and "in ratio" in text  # the interpreter's traceback
    assert "[0:execute]" in text and "[1:execute]" in text
    assert result(cell(cluster, "after-error-pull")) == "['still here, part has 5 values', 'still here, part has 5 values']"


def test_cluster_memory_measured(cluster):
    text = stdout(cell(cluster, "memory"))
    found = re.search(r"one engine process: ([\d.]+) MB; one more idle interpreter in it: ([\d.]+) MB", text)
    if not found:
        assert "no /proc here" in text, text
        return
    engine, interp = map(float, found.groups())
    assert engine > 20 and interp < engine, text  # an engine is a whole Python; an interpreter a fraction
    eight_engines, one_engine = map(int, re.search(r"as 8 engines: (\d+) MB\nas 1 engine x 8 interpreters: (\d+) MB",
                                                   text).groups())
    assert one_engine < eight_engines, text


def test_cluster_dask_in_interpreter_or_refused(cluster):
    wrap = stdout(cell(cluster, "dask-wrap"))
    mapped = stdout(cell(cluster, "dask-map"))
    if sys.version_info[:3] == (3, 13, 0):
        assert "in_interpreter refused: interp_kernel.dask needs Python 3.13.1 or newer" in wrap, wrap
        assert "skipped" in stdout(cell(cluster, "dask-start")) and "skipped" in mapped
        return
    assert "wrapped: in_interpreter(<function collatz_steps" in wrap, wrap
    assert "threads per worker: [2]" in stdout(cell(cluster, "dask-start"))
    assert mapped == ("steps: [111, 118, 178, 261]\nran in one worker process: True\n"
                      "distributed imported where f ran: False\n"), mapped


def test_cluster_exercises(cluster):
    check_exercises(cluster, 2)


def test_cluster_points_to_the_cluster_docs(cluster):
    prose = "\n".join(c.source for c in cluster.cells if c.cell_type == "markdown")
    assert "docs/cluster.md" in prose
    assert (ROOT / "docs" / "cluster.md").exists()


def test_cluster_stopped_every_process(cluster):
    pids = _cluster_pids(cluster)
    expected = 4 if sys.version_info[:3] != (3, 13, 0) else 3  # controller, 2 engines (, Dask worker)
    assert len(pids) == expected, pids
    assert f"processes started: {expected}, left: 0" in stdout(cell(cluster, "stopped"))
    # after the kernel has gone too: none of them is still running
    running = subprocess.run(["pgrep", "-f", "python"], capture_output=True, text=True).stdout.split()
    assert not set(pids) & {int(p) for p in running}, pids


# -- the demo --------------------------------------------------------------------------------------


def _demo(*args, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "interp_kernel.jupyter.demo", "--no-color", *args],
        capture_output=True, text=True, timeout=timeout, env=kernel_env(), cwd=ROOT,
    )


def test_demo_prints_the_tour():
    require_kernelspec()
    done = _demo("notebooks/tour.ipynb")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "%%interp other\nprint(x)" in out  # the sources
    assert "NameError: name 'x' is not defined" in out  # an error, with its traceback
    assert "{'n': 10, 'sum': 55, 'mean': 5.5}" in out  # a result
    assert "colorsys in other's sys.modules: False" in out  # a stream
    assert re.search(r"\[image/svg\+xml, \d+ KB", out)  # a rich output, as a placeholder
    assert "[widget " in out
    assert "notebooks/tour.ipynb: ok" in out


def test_demo_fails_on_an_unexpected_error(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    require_kernelspec()
    nb = new_notebook(cells=[
        new_code_cell("%%interp probe\n1 / 0", metadata={"tags": ["raises-exception"]}),
        new_code_cell("print('still going')"),
        new_code_cell("%%interp probe\n[][1]"),
        new_code_cell("print('never run')"),
    ], metadata={"kernelspec": {"name": "interp", "display_name": "interp", "language": "python"}})
    path = tmp_path / "failing.ipynb"
    nbformat.write(nb, path)
    done = _demo(str(path), timeout=120)
    assert done.returncode == 1, done.stdout
    assert "ZeroDivisionError" in done.stdout and "still going" in done.stdout
    assert "IndexError: list index out of range" in done.stdout
    assert "never run" not in done.stdout  # execution stopped at the failing cell
    assert "FAILED" in done.stdout


def test_notebooks_time_budget():
    """All six notebooks (executed by the tests above) take well under three minutes."""
    missing = [n for n in ("tour.ipynb", "basics.ipynb", "communicating.ipynb", "parallel.ipynb", "gotchas.ipynb",
                           "cluster.ipynb")
               if n not in _runs]
    if missing:
        pytest.skip(f"not executed in this session: {', '.join(missing)}")
    total = sum(seconds for _, seconds in _runs.values())
    assert total < 150, {name: round(s, 1) for name, (_, s) in _runs.items()}


# -- recipes ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recipes():
    return executed("recipes.ipynb")


RECIPE_WORKLOADS = ["parse_json", "scan_logs", "hash_compress", "simulate"]
RECIPE_METHODS = ["serial", "threads", "asyncio", "processes", "interpreters", "executor"]


def test_recipes_exercises(recipes):
    check_exercises(recipes, 2)


def test_recipes_every_way_computes_the_same(recipes):
    text = stdout(cell(recipes, "measure"))
    assert "every method computed the same results: True" in text, text
    for name in RECIPE_WORKLOADS:
        line = next(x for x in text.splitlines() if x.startswith(name))
        assert all(re.search(rf"{m} [\d.]+ s \([\d.]+x\)", line) for m in RECIPE_METHODS), line


def test_recipes_pipeline_totals_every_document(recipes):
    text = stdout(cell(recipes, "pipeline"))
    m = re.search(r"pipeline total (\d+), expected (\d+): True", text)
    assert m and m.group(1) == m.group(2), text


def test_recipes_tenants_keep_their_own_state(recipes):
    text = stdout(cell(recipes, "isolation"))
    assert "alpha -> (2, 'patched by alpha')" in text, text
    assert "beta -> (1, 'patched by beta')" in text, text
    assert "main's json.dumps untouched: True" in text, text


def test_recipes_heartbeat_is_measured_both_ways(recipes):
    text = stdout(cell(recipes, "heartbeat"))
    assert re.search(r"work on the loop: \d+ ms", text), text
    assert re.search(r"work in an interpreter: \d+ ms", text), text
    assert "same result both ways: True" in text, text


def test_recipes_table_names_a_winner_per_workload(recipes):
    rows = stdout(cell(recipes, "table")).splitlines()[1:]
    assert [r.split()[0] for r in rows] == RECIPE_WORKLOADS, rows
    assert all(r.split()[-1].lower() in RECIPE_METHODS for r in rows), rows
